//! One client connection: read a request, decide what this request suffers, act, repeat
//! (td keeps its connection alive between requests of one `td sync`).

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::bugs;
use super::http::{self, Message};
use super::Shared;
use crate::engine::seeds::intn;
use crate::faults::kind::{FaultKind, PartitionMode};

/// Which part of the API a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Push,
    Pull,
    /// Other authenticated API calls (projects, members, status).
    Other,
    /// Login, health and dev routes: never faulted, so a world can always be set up.
    Exempt,
}

fn route(path: &str) -> Route {
    if path.contains("/sync/push") {
        Route::Push
    } else if path.contains("/sync/pull") {
        Route::Pull
    } else if path.starts_with("/v1/auth") || !path.starts_with("/v1/") {
        Route::Exempt
    } else {
        Route::Other
    }
}

/// What happens to one request.
enum Plan {
    Hold,
    Answer(FaultKind, Vec<u8>),
    Forward {
        delay: Duration,
        slow: Option<u64>,
        after: After,
    },
}

/// What happens once the server has answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Relay,
    /// One-way partition: the answer is dropped and the client left waiting.
    DropAnswer,
    Fault(FaultKind),
}

/// How a request ended for the connection.
enum Next {
    KeepAlive,
    Close,
    Reset,
}

pub(super) fn serve(shared: &Shared, client: TcpStream) {
    let id = shared.track(&client);
    let next = serve_requests(shared, &client).unwrap_or(Next::Close);
    if matches!(next, Next::Reset) {
        reset(&client);
    }
    shared.untrack(id);
}

fn serve_requests(shared: &Shared, client: &TcpStream) -> io::Result<Next> {
    if shared.state().partition == Some(PartitionMode::Refuse) {
        shared.fire(
            FaultKind::Partition,
            true,
            "connection refused (reset at once)",
        );
        return Ok(Next::Reset);
    }
    client.set_read_timeout(Some(shared.io_timeout))?;
    client.set_nodelay(true)?;
    let mut reader = BufReader::new(client.try_clone()?);
    loop {
        let Some(req) = http::read_request(&mut reader)? else {
            return Ok(Next::Close);
        };
        match exchange(shared, client, &req)? {
            Next::KeepAlive if !req.closes() => continue,
            Next::KeepAlive => return Ok(Next::Close),
            other => return Ok(other),
        }
    }
}

fn exchange(shared: &Shared, client: &TcpStream, req: &Message) -> io::Result<Next> {
    let (method, path) = req.request_line();
    let what = format!("{method} {path}");
    match plan(shared, route(&path), &what) {
        Plan::Hold => {
            hold(shared, client);
            Ok(Next::Close)
        }
        Plan::Answer(kind, bytes) => {
            shared.fire(kind, true, &format!("{what}: answered by the proxy"));
            (&*client).write_all(&bytes)?;
            Ok(Next::KeepAlive)
        }
        Plan::Forward { delay, slow, after } => {
            if !delay.is_zero() {
                shared.fire(
                    FaultKind::Latency,
                    false,
                    &format!("{what}: +{}ms", delay.as_millis()),
                );
                std::thread::sleep(delay);
            }
            let bug = shared.bug().filter(|_| after == After::Relay);
            let route = route(&path);
            let (req, pending) = match (&bug, route) {
                (Some(b), Route::Push) => bugs::on_push_request(b, &shared.actor, req),
                _ => (req.clone(), bugs::Pending::default()),
            };
            let Some(resp) = forward(shared, &req, &method, slow)? else {
                return Ok(Next::Reset);
            };
            let resp = match (&bug, route) {
                (Some(b), Route::Push) => bugs::on_push_response(b, &shared.actor, &resp, &pending),
                (Some(b), Route::Pull) => bugs::on_pull_response(b, &shared.actor, &resp),
                _ => resp,
            };
            finish(shared, client, &what, route, &resp, slow, after)
        }
    }
}

/// Draws this request's fate: exactly two draws per request whatever the outcome, so the
/// stream stays aligned with the request sequence.
fn plan(shared: &Shared, route: Route, what: &str) -> Plan {
    let mut st = shared.state();
    let pick = intn(&mut st.rng, 10_000) as u32;
    let jitter = intn(&mut st.rng, 1_000_001) as u64;
    if route == Route::Exempt {
        return forward_plan(None, Duration::ZERO, After::Relay);
    }
    match st.partition {
        Some(PartitionMode::Refuse | PartitionMode::Blackhole) => {
            drop(st);
            shared.fire(
                FaultKind::Partition,
                true,
                &format!("{what}: never answered"),
            );
            return Plan::Hold;
        }
        Some(PartitionMode::DropResponses) => {
            let slow = st.rates.slow_link;
            return forward_plan(slow, Duration::ZERO, After::DropAnswer);
        }
        None => {}
    }
    let delay = st.rates.latency.map_or(Duration::ZERO, |(lo, hi)| {
        let span = hi.saturating_sub(lo).as_micros() as u64;
        lo + Duration::from_micros(span * jitter / 1_000_000)
    });
    let slow = st.rates.slow_link;
    let mut acc = 0;
    let drawn = FaultKind::PER_REQUEST.into_iter().find(|k| {
        acc += st.rates.basis_points.get(k).copied().unwrap_or(0);
        pick < acc
    });
    let after = match drawn {
        Some(k) if applies(k, route) => k,
        _ => return forward_plan(slow, delay, After::Relay),
    };
    match after {
        FaultKind::Http500 => Plan::Answer(after, http::injected(500, None)),
        FaultKind::Http503 => Plan::Answer(after, http::injected(503, None)),
        FaultKind::Http429 => Plan::Answer(after, http::injected(429, Some(1))),
        k => forward_plan(slow, delay, After::Fault(k)),
    }
}

fn forward_plan(slow: Option<u64>, delay: Duration, after: After) -> Plan {
    Plan::Forward { delay, slow, after }
}

fn applies(kind: FaultKind, route: Route) -> bool {
    match kind {
        FaultKind::ServerKill | FaultKind::ClientKill => matches!(route, Route::Push | Route::Pull),
        FaultKind::BusyDb => route == Route::Pull,
        _ => route != Route::Exempt,
    }
}

/// Sends the request to the server on a fresh connection and reads its answer; `None` when
/// the server cannot be reached or dies mid-answer (the client then gets a reset, as it
/// would from a dead server).
fn forward(
    shared: &Shared,
    req: &Message,
    method: &str,
    slow: Option<u64>,
) -> io::Result<Option<Message>> {
    let port = shared.upstream.load(Ordering::SeqCst);
    if port == 0 {
        return Ok(None);
    }
    let Ok(upstream) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), shared.io_timeout)
    else {
        return Ok(None);
    };
    let id = shared.track(&upstream);
    shared.hooks.in_flight(1);
    let result = (|| {
        upstream.set_read_timeout(Some(shared.io_timeout))?;
        upstream.set_nodelay(true)?;
        send(&upstream, &req.bytes(), slow)?;
        http::read_response(&mut BufReader::new(&upstream), method)
    })();
    shared.hooks.in_flight(-1);
    shared.untrack(id);
    Ok(result.ok())
}

fn finish(
    shared: &Shared,
    client: &TcpStream,
    what: &str,
    route: Route,
    resp: &Message,
    slow: Option<u64>,
    after: After,
) -> io::Result<Next> {
    let kind = match after {
        After::Relay => return relay(client, resp, slow),
        After::DropAnswer => {
            shared.fire(
                FaultKind::Partition,
                true,
                &format!(
                    "{what}: the server answered {}, the answer was dropped",
                    resp.status()
                ),
            );
            hold(shared, client);
            return Ok(Next::Close);
        }
        After::Fault(k) => k,
    };
    let status = resp.status();
    let half = resp.body.len() / 2;
    match kind {
        FaultKind::LostResponse => {
            shared.fire(
                kind,
                true,
                &format!("{what}: server answered {status}; client got a reset"),
            );
            Ok(Next::Reset)
        }
        FaultKind::Reset | FaultKind::Truncate => {
            send(client, &resp.head, slow)?;
            send(client, &resp.body[..half], slow)?;
            let how = if kind == FaultKind::Reset {
                "reset"
            } else {
                "closed"
            };
            shared.fire(
                kind,
                true,
                &format!(
                    "{what}: {how} after {half} of {} body bytes",
                    resp.body.len()
                ),
            );
            if kind == FaultKind::Truncate {
                let _ = client.shutdown(Shutdown::Write);
                return Ok(Next::Close);
            }
            Ok(Next::Reset)
        }
        FaultKind::ServerKill => {
            let note = shared.hooks.kill_server();
            shared.fire(
                kind,
                true,
                &format!("{what}: server answered {status}, then {}", note_text(note)),
            );
            Ok(Next::Reset)
        }
        FaultKind::ClientKill => {
            // Counted before the kill: the harness may see td die before this thread resumes.
            shared.state().disturbances += 1;
            let note = shared.hooks.kill_client(&shared.actor);
            shared.fire(
                kind,
                false,
                &format!("{what}: before the answer, {}", note_text(note)),
            );
            Ok(Next::Reset)
        }
        FaultKind::BusyDb if route == Route::Pull && has_events(resp) => {
            let note = shared.hooks.lock_db(&shared.actor);
            shared.fire(kind, true, &format!("{what}: {}", note_text(note)));
            relay(client, resp, slow)
        }
        _ => relay(client, resp, slow),
    }
}

fn note_text(note: Result<String, String>) -> String {
    note.unwrap_or_else(|e| format!("(failed: {e})"))
}

/// True when a pull page carries at least one event (only then is there anything to apply).
fn has_events(resp: &Message) -> bool {
    let body = String::from_utf8_lossy(&resp.body);
    resp.status() == 200 && body.contains("\"events\"") && !body.contains("\"events\":[]")
}

fn relay(client: &TcpStream, resp: &Message, slow: Option<u64>) -> io::Result<Next> {
    send(client, &resp.bytes(), slow)?;
    Ok(if resp.closes() {
        Next::Close
    } else {
        Next::KeepAlive
    })
}

/// Writes `bytes`, paced to `slow` bytes per second when set (in 20 slices a second).
fn send(mut stream: &TcpStream, bytes: &[u8], slow: Option<u64>) -> io::Result<()> {
    let Some(bps) = slow.filter(|b| *b > 0) else {
        return stream.write_all(bytes);
    };
    let slice = ((bps / 20).max(1)) as usize;
    let start = Instant::now();
    for (i, chunk) in bytes.chunks(slice).enumerate() {
        stream.write_all(chunk)?;
        let due = Duration::from_millis(50 * (i as u64 + 1));
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    Ok(())
}

/// Keeps a connection open without answering until the client gives up, the fault heals
/// or the proxy closes.
fn hold(shared: &Shared, client: &TcpStream) {
    let epoch = shared.heal_epoch.load(Ordering::SeqCst);
    let _ = client.set_read_timeout(Some(Duration::from_millis(50)));
    let deadline = Instant::now() + shared.io_timeout;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline
        && shared.heal_epoch.load(Ordering::SeqCst) == epoch
        && !shared.closing.load(Ordering::SeqCst)
    {
        match (&*client).read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// Closes with RST instead of FIN.
fn reset(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
    let _ = stream.shutdown(Shutdown::Read);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/v1/projects/p_1/sync/push"), Route::Push);
        assert_eq!(
            route("/v1/projects/p_1/sync/pull?after_server_seq=3"),
            Route::Pull
        );
        assert_eq!(route("/v1/projects"), Route::Other);
        assert_eq!(route("/v1/auth/device/start"), Route::Exempt);
        assert_eq!(route("/healthz"), Route::Exempt);
    }

    #[test]
    fn kills_only_on_sync_routes() {
        assert!(applies(FaultKind::ServerKill, Route::Push));
        assert!(!applies(FaultKind::ServerKill, Route::Other));
        assert!(applies(FaultKind::BusyDb, Route::Pull));
        assert!(!applies(FaultKind::BusyDb, Route::Push));
        assert!(!applies(FaultKind::Http503, Route::Exempt));
    }
}
