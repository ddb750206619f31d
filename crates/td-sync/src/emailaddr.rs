//! A close approximation of RFC 5322 address parsing (Go's `net/mail.ParseAddress`):
//! `local@domain` or `Display Name <local@domain>`, with dot-atom or quoted local parts and
//! dot-atom or literal domains.

/// True when `text` parses as one address.
pub fn is_valid_address(text: &str) -> bool {
    let text = text.trim();
    let spec = match text.find('<') {
        Some(open) => {
            let Some(inner) = text[open + 1..].strip_suffix('>') else {
                return false;
            };
            if !valid_display_name(text[..open].trim()) {
                return false;
            }
            inner
        }
        None => text,
    };
    let Some((local, domain)) = spec.rsplit_once('@') else {
        return false;
    };
    (is_dot_atom(local) || is_quoted(local)) && (is_dot_atom(domain) || is_literal(domain))
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

fn is_quoted(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with('"')
        && s.ends_with('"')
        && !s[1..s.len() - 1].contains(['"', '\r', '\n'])
}

fn is_literal(s: &str) -> bool {
    s.len() >= 2
        && s.starts_with('[')
        && s.ends_with(']')
        && !s[1..s.len() - 1].contains(['[', ']'])
}

fn valid_display_name(name: &str) -> bool {
    name.is_empty()
        || is_quoted(name)
        || name
            .split_whitespace()
            .all(|w| w.chars().all(|c| is_atext(c) || c == '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_refuses() {
        for ok in [
            "alice@test.local",
            "a.b+c@x.io",
            "x@localhost",
            "Alice <alice@test.local>",
            "\"a b\"@x.io",
            "u@[127.0.0.1]",
        ] {
            assert!(is_valid_address(ok), "{ok}");
        }
        for bad in [
            "",
            "alice",
            "@x.io",
            "a@",
            "a..b@x.io",
            "a@x..io",
            "a b@x.io",
            "<a@x.io",
            "a@x.io>",
            "a@b@",
        ] {
            assert!(!is_valid_address(bad), "{bad}");
        }
    }
}
