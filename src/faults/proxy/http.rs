//! Just enough HTTP/1.1 to find where one request and one response begin and end, so the
//! proxy can act on a single exchange. Bytes are forwarded as they came (chunked bodies
//! stay chunked); only the head is parsed.

use std::io::{self, BufRead};

/// Heads larger than this are refused: td never sends one, a broken peer might.
const MAX_HEAD: usize = 64 * 1024;

/// One request or response as raw bytes.
#[derive(Debug, Clone, Default)]
pub struct Message {
    /// Start line and headers, through the blank line.
    pub head: Vec<u8>,
    /// The body exactly as framed on the wire.
    pub body: Vec<u8>,
}

impl Message {
    pub fn len(&self) -> usize {
        self.head.len() + self.body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Head then body, as one buffer.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        out.extend_from_slice(&self.head);
        out.extend_from_slice(&self.body);
        out
    }

    fn start_line(&self) -> &str {
        let end = self
            .head
            .windows(2)
            .position(|w| w == b"\r\n")
            .unwrap_or(self.head.len());
        std::str::from_utf8(&self.head[..end]).unwrap_or("")
    }

    /// `(method, path)` of a request.
    pub fn request_line(&self) -> (String, String) {
        let mut parts = self.start_line().split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        (method, path)
    }

    /// Status code of a response (0 when unreadable).
    pub fn status(&self) -> u16 {
        self.start_line()
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The value of the first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.head);
        text.split("\r\n").skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    /// True when the peer asked to close the connection after this message.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// How a body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(usize),
    Chunked,
    UntilClose,
}

fn framing(msg: &Message, response_to_head: bool, is_response: bool) -> io::Result<Framing> {
    if is_response {
        let status = msg.status();
        if response_to_head || status == 204 || status == 304 || (100..200).contains(&status) {
            return Ok(Framing::None);
        }
    }
    if msg
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
    {
        return Ok(Framing::Chunked);
    }
    match msg.header("content-length") {
        Some(v) => v
            .parse()
            .map(Framing::Length)
            .map_err(|_| bad(format!("bad Content-Length {v:?}"))),
        None if is_response => Ok(Framing::UntilClose),
        None => Ok(Framing::None),
    }
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Reads one head; `None` on a clean end of stream before its first byte.
fn read_head(r: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let n = r.read_until(b'\n', &mut head)?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(bad("end of stream inside a head".into()))
            };
        }
        if head.len() > MAX_HEAD {
            return Err(bad(format!("head longer than {MAX_HEAD} bytes")));
        }
        // A blank line ends the head (a bare LF is tolerated as well as CRLF).
        let line = &head[before..];
        if (line == b"\r\n" || line == b"\n") && before > 0 {
            return Ok(Some(head));
        }
    }
}

fn read_body(r: &mut impl BufRead, framing: Framing) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    match framing {
        Framing::None => {}
        Framing::Length(n) => {
            body.resize(n, 0);
            r.read_exact(&mut body)?;
        }
        Framing::UntilClose => {
            r.read_to_end(&mut body)?;
        }
        Framing::Chunked => loop {
            let start = body.len();
            if r.read_until(b'\n', &mut body)? == 0 {
                return Err(bad("end of stream inside a chunked body".into()));
            }
            let line = String::from_utf8_lossy(&body[start..]).into_owned();
            let size_text = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| bad(format!("bad chunk size {size_text:?}")))?;
            if size == 0 {
                // Trailers, then the final blank line.
                loop {
                    let at = body.len();
                    if r.read_until(b'\n', &mut body)? == 0 || body[at..].trim_ascii().is_empty() {
                        return Ok(body);
                    }
                }
            }
            let at = body.len();
            body.resize(at + size + 2, 0);
            r.read_exact(&mut body[at..])?;
        },
    }
    Ok(body)
}

/// Reads one request; `None` when the client closed the connection between requests.
pub fn read_request(r: &mut impl BufRead) -> io::Result<Option<Message>> {
    let Some(head) = read_head(r)? else {
        return Ok(None);
    };
    let mut msg = Message {
        head,
        body: Vec::new(),
    };
    msg.body = read_body(r, framing(&msg, false, false)?)?;
    Ok(Some(msg))
}

/// Reads one response to a request made with `method`.
pub fn read_response(r: &mut impl BufRead, method: &str) -> io::Result<Message> {
    let head = read_head(r)?.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "server closed the connection without answering",
        )
    })?;
    let mut msg = Message {
        head,
        body: Vec::new(),
    };
    msg.body = read_body(r, framing(&msg, method == "HEAD", true)?)?;
    Ok(msg)
}

/// A complete response the proxy answers itself, without asking the server.
pub fn injected(status: u16, retry_after: Option<u32>) -> Vec<u8> {
    let (reason, code) = match status {
        429 => ("Too Many Requests", "rate_limited"),
        503 => ("Service Unavailable", "unavailable"),
        _ => ("Internal Server Error", "internal"),
    };
    let body = format!(
        r#"{{"error":{{"code":"{code}","message":"injected by the td-e2e fault proxy"}}}}"#
    );
    let retry = retry_after.map_or_else(String::new, |s| format!("Retry-After: {s}\r\n"));
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{retry}\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Option<Message> {
        read_request(&mut io::Cursor::new(text.as_bytes().to_vec())).unwrap()
    }

    #[test]
    fn request_with_length_body() {
        let m = req("POST /v1/x HTTP/1.1\r\nContent-Length: 3\r\nHost: h\r\n\r\nabcNEXT").unwrap();
        assert_eq!(m.request_line(), ("POST".into(), "/v1/x".into()));
        assert_eq!(m.body, b"abc");
        assert_eq!(m.header("host").as_deref(), Some("h"));
    }

    #[test]
    fn clean_eof_is_none_and_partial_head_is_an_error() {
        assert!(req("").is_none());
        assert!(read_request(&mut io::Cursor::new(b"GET / HTTP/1.1\r\n".to_vec())).is_err());
    }

    #[test]
    fn chunked_response_kept_raw() {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nrest";
        let m = read_response(&mut io::Cursor::new(raw.as_bytes().to_vec()), "GET").unwrap();
        assert_eq!(m.status(), 200);
        assert_eq!(m.body, b"3\r\nabc\r\n0\r\n\r\n");
    }

    #[test]
    fn response_without_length_reads_to_close_and_204_has_none() {
        let raw = "HTTP/1.1 200 OK\r\n\r\nall of it";
        let m = read_response(&mut io::Cursor::new(raw.as_bytes().to_vec()), "GET").unwrap();
        assert_eq!(m.body, b"all of it");
        let raw = "HTTP/1.1 204 No Content\r\n\r\n";
        let m = read_response(&mut io::Cursor::new(raw.as_bytes().to_vec()), "GET").unwrap();
        assert!(m.body.is_empty());
    }

    #[test]
    fn injected_answers_parse_back() {
        let bytes = injected(429, Some(1));
        let m = read_response(&mut io::Cursor::new(bytes), "POST").unwrap();
        assert_eq!(m.status(), 429);
        assert_eq!(m.header("retry-after").as_deref(), Some("1"));
        assert!(String::from_utf8_lossy(&m.body).contains("rate_limited"));
    }
}
