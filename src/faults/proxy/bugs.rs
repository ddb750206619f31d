//! Bug injectors: test-only corruptions of sync traffic that make the proxy behave like a
//! buggy server, so the shrinker has real failures to shrink without a bug planted in td or
//! td-sync. They are planted through a Rust API only ([`crate::faults::WorldFaults::plant_bug`]);
//! no case-file key reaches them.
//!
//! An injector fires on every exchange it applies to, as a server with that bug would, and
//! decides from the exchange alone, so a run and every shrunk replay of it meet the same
//! corruption at the same traffic. Bodies are decoded from
//! their wire framing (Content-Length or chunked), rewritten as JSON and sent back with a
//! fresh Content-Length.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::Value;

use super::http::Message;

/// How a planted bug corrupts traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BugInjector {
    /// In each push, the first issue event that carries a `title` loses it on the way to
    /// the server, which stores it and answers success.
    DropPushedField,
    /// Each pull page leaves out its last event from another device (an off-by-one: the
    /// page's cursor still moves past it).
    DropPulledEvent,
    /// In each pull page, the first two events from other devices on one entity change
    /// places, each taking the other's seq (td applies a page in seq order, so the later
    /// write is applied first).
    SwapPulledEvents,
    /// Each push of two or more events reaches the server without its last event, and the
    /// answer acknowledges that event anyway, at a seq the server never gave it.
    FakePushAcks,
}

impl BugInjector {
    pub const ALL: [BugInjector; 4] = [
        BugInjector::DropPushedField,
        BugInjector::DropPulledEvent,
        BugInjector::SwapPulledEvents,
        BugInjector::FakePushAcks,
    ];

    /// snake_case name (file names, reports).
    pub fn name(self) -> &'static str {
        match self {
            BugInjector::DropPushedField => "drop_pushed_field",
            BugInjector::DropPulledEvent => "drop_pulled_event",
            BugInjector::SwapPulledEvents => "swap_pulled_events",
            BugInjector::FakePushAcks => "fake_push_acks",
        }
    }
}

/// Firings remembered per world (the first ones; a long run fires many times).
const MAX_LOG: usize = 100;

/// A bug planted in every proxy of one world.
#[derive(Debug)]
pub struct BugPlant {
    pub bug: BugInjector,
    log: Mutex<Vec<String>>,
    /// Each actor's device id, learnt from its pushes: pull corruptions touch only events
    /// of other devices (a replica already holds its own).
    devices: Mutex<BTreeMap<String, String>>,
}

impl BugPlant {
    pub fn new(bug: BugInjector) -> BugPlant {
        BugPlant {
            bug,
            log: Mutex::new(Vec::new()),
            devices: Mutex::new(BTreeMap::new()),
        }
    }

    /// What the bug did so far (empty: it never fired).
    pub fn firings(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn learn_device(&self, actor: &str, body: &Value) {
        if let Some(d) = body.get("device_id").and_then(Value::as_str) {
            self.devices
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(actor.to_string(), d.to_string());
        }
    }

    /// True when `event` came from another device than `actor`'s.
    fn foreign(&self, actor: &str, event: &Value) -> bool {
        let devices = self.devices.lock().unwrap_or_else(|e| e.into_inner());
        let mine = devices.get(actor).map(String::as_str);
        event.get("device_id").and_then(Value::as_str) != mine || mine.is_none()
    }

    fn note(&self, actor: &str, what: String) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() < MAX_LOG {
            log.push(format!("{} on {actor}'s traffic: {what}", self.bug.name()));
        }
    }
}

/// What a request-side corruption must finish on the answer.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    /// FakePushAcks: the client action id the server never saw.
    fake_ack: Option<i64>,
}

/// Rewrites a push request (DropPushedField, FakePushAcks).
pub fn on_push_request(plant: &BugPlant, actor: &str, req: &Message) -> (Message, Pending) {
    let unchanged = (req.clone(), Pending::default());
    let Some(mut body) = json_body(req) else {
        return unchanged;
    };
    plant.learn_device(actor, &body);
    let Some(events) = body.get_mut("events").and_then(Value::as_array_mut) else {
        return unchanged;
    };
    match plant.bug {
        BugInjector::DropPushedField => {
            let victim = events.iter_mut().find_map(|e| {
                let issue = e.get("entity_type").and_then(Value::as_str) == Some("issues");
                let id = e.get("entity_id")?.as_str()?.to_string();
                let new_data = e.get_mut("payload")?.get_mut("new_data")?.as_object_mut()?;
                (issue && new_data.contains_key("title")).then_some((id, new_data))
            });
            let Some((id, new_data)) = victim else {
                return unchanged;
            };
            new_data.remove("title");
            plant.note(
                actor,
                format!("dropped `title` from the pushed event of {id}"),
            );
            (with_json_body(req, &body), Pending::default())
        }
        BugInjector::FakePushAcks => {
            if events.len() < 2 {
                return unchanged;
            }
            let dropped = events.pop().expect("two or more events");
            let cid = dropped.get("client_action_id").and_then(Value::as_i64);
            plant.note(
                actor,
                format!(
                    "withheld pushed client action {} from the server",
                    cid.unwrap_or(-1)
                ),
            );
            (with_json_body(req, &body), Pending { fake_ack: cid })
        }
        _ => unchanged,
    }
}

/// Rewrites a push answer (FakePushAcks: acknowledge the withheld event).
pub fn on_push_response(
    plant: &BugPlant,
    actor: &str,
    resp: &Message,
    pending: &Pending,
) -> Message {
    let Some(cid) = pending.fake_ack else {
        return resp.clone();
    };
    let Some(mut body) = json_body(resp).filter(|_| resp.status() == 200) else {
        return resp.clone();
    };
    let acks = match body.get_mut("acks") {
        Some(Value::Array(a)) => a,
        Some(slot) => {
            *slot = Value::Array(Vec::new());
            slot.as_array_mut().expect("just set")
        }
        None => return resp.clone(),
    };
    let top = acks
        .iter()
        .filter_map(|a| a.get("server_seq").and_then(Value::as_i64))
        .max()
        .unwrap_or(0);
    let seq = top + 1;
    acks.push(serde_json::json!({ "client_action_id": cid, "server_seq": seq }));
    if let Some(n) = body.get("accepted").and_then(Value::as_i64) {
        body["accepted"] = Value::from(n + 1);
    }
    plant.note(
        actor,
        format!("acknowledged client action {cid} at seq {seq}, never stored"),
    );
    with_json_body(resp, &body)
}

/// Rewrites a pull page (DropPulledEvent, SwapPulledEvents).
pub fn on_pull_response(plant: &BugPlant, actor: &str, resp: &Message) -> Message {
    if resp.status() != 200 {
        return resp.clone();
    }
    let Some(mut body) = json_body(resp) else {
        return resp.clone();
    };
    let Some(events) = body.get_mut("events").and_then(Value::as_array_mut) else {
        return resp.clone();
    };
    let seq = |e: &Value| e.get("server_seq").and_then(Value::as_i64).unwrap_or(-1);
    match plant.bug {
        BugInjector::DropPulledEvent => {
            let Some(at) = events.iter().rposition(|e| plant.foreign(actor, e)) else {
                return resp.clone();
            };
            let gone = events.remove(at);
            plant.note(actor, format!("left seq {} out of a pull page", seq(&gone)));
        }
        BugInjector::SwapPulledEvents => {
            let entity = |e: &Value| {
                e.get("entity_id")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let pair = (0..events.len()).find_map(|i| {
                let j = (i + 1..events.len()).find(|&j| {
                    plant.foreign(actor, &events[i])
                        && plant.foreign(actor, &events[j])
                        && entity(&events[j]) == entity(&events[i])
                        && events[j].get("payload") != events[i].get("payload")
                })?;
                Some((i, j))
            });
            let Some((i, j)) = pair else {
                return resp.clone();
            };
            // td applies a page in server_seq order, so the seqs stay where they were:
            // the later write arrives labelled as the earlier one and the other way round.
            let (si, sj) = (
                events[i]["server_seq"].clone(),
                events[j]["server_seq"].clone(),
            );
            events.swap(i, j);
            events[i]["server_seq"] = si;
            events[j]["server_seq"] = sj;
            plant.note(
                actor,
                format!(
                    "swapped the events at seqs {} and {} ({}) in a pull page",
                    seq(&events[i]),
                    seq(&events[j]),
                    entity(&events[i])
                ),
            );
        }
        _ => return resp.clone(),
    }
    with_json_body(resp, &body)
}

/// The body as JSON, decoded from its framing.
fn json_body(msg: &Message) -> Option<Value> {
    let chunked = msg
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let raw = if chunked {
        dechunk(&msg.body)?
    } else {
        msg.body.clone()
    };
    serde_json::from_slice(&raw).ok()
}

/// The payload of a chunked body (trailers ignored).
fn dechunk(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + body[at..].windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&body[at..line_end]).ok()?;
        let size = usize::from_str_radix(line.trim().split(';').next()?, 16).ok()?;
        at = line_end + 2;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(at..at + size)?);
        at += size + 2;
    }
}

/// `msg` with `body` as its JSON body, framed by a fresh Content-Length.
fn with_json_body(msg: &Message, body: &Value) -> Message {
    let bytes = serde_json::to_vec(body).expect("a JSON value serializes");
    let text = String::from_utf8_lossy(&msg.head);
    let mut head = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
        {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", bytes.len()));
    Message {
        head: head.into_bytes(),
        body: bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::proxy::http::read_response;

    fn response(body: &str, chunked: bool) -> Message {
        let raw = if chunked {
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                body.len()
            )
        } else {
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        read_response(&mut std::io::Cursor::new(raw.into_bytes()), "GET").unwrap()
    }

    fn reparse(m: &Message) -> Value {
        let again = read_response(&mut std::io::Cursor::new(m.bytes()), "GET").unwrap();
        serde_json::from_slice(&again.body).unwrap()
    }

    const PAGE: &str = r#"{"events":[{"server_seq":1,"entity_id":"td-a","payload":{"x":1}},{"server_seq":2,"entity_id":"td-b","payload":{"x":2}},{"server_seq":3,"entity_id":"td-a","payload":{"x":3}}],"last_server_seq":3,"has_more":false}"#;

    #[test]
    fn drop_pulled_event_drops_the_last_and_reframes_chunked_bodies() {
        let plant = BugPlant::new(BugInjector::DropPulledEvent);
        let out = on_pull_response(&plant, "bob", &response(PAGE, true));
        let v = reparse(&out);
        assert_eq!(v["events"].as_array().unwrap().len(), 2);
        assert_eq!(v["events"][1]["server_seq"], 2);
        assert_eq!(v["last_server_seq"], 3);
        assert!(out.header("transfer-encoding").is_none());
        assert!(
            plant.firings()[0].contains("seq 3"),
            "{:?}",
            plant.firings()
        );
    }

    #[test]
    fn a_replica_own_events_are_left_alone() {
        let plant = BugPlant::new(BugInjector::DropPulledEvent);
        let page = r#"{"events":[{"server_seq":1,"device_id":"bd","entity_id":"td-a","payload":{}},{"server_seq":2,"device_id":"ad","entity_id":"td-b","payload":{}}],"last_server_seq":2,"has_more":false}"#;
        let _ = on_push_request(&plant, "alice", &push_from("ad", "[]"));
        let v = reparse(&on_pull_response(&plant, "alice", &response(page, false)));
        let seqs: Vec<i64> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["server_seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, vec![2], "bob's seq 1 dropped, alice's own seq 2 kept");
    }

    #[test]
    fn swap_pulled_events_swaps_one_entity_pair() {
        let plant = BugPlant::new(BugInjector::SwapPulledEvents);
        let v = reparse(&on_pull_response(&plant, "bob", &response(PAGE, false)));
        let seqs: Vec<i64> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["server_seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, vec![1, 2, 3], "seqs stay in place");
        assert_eq!(v["events"][0]["payload"]["x"], 3, "the contents moved");
        assert_eq!(v["events"][2]["payload"]["x"], 1);
        assert!(plant.firings()[0].contains("td-a"), "{:?}", plant.firings());
    }

    fn push(events: &str) -> Message {
        push_from("d", events)
    }

    fn push_from(device: &str, events: &str) -> Message {
        let body = format!(r#"{{"device_id":"{device}","session_id":"s","events":{events}}}"#);
        let raw = format!(
            "POST /v1/projects/p/sync/push HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        crate::faults::proxy::http::read_request(&mut std::io::Cursor::new(raw.into_bytes()))
            .unwrap()
            .unwrap()
    }

    #[test]
    fn drop_pushed_field_removes_the_title() {
        let plant = BugPlant::new(BugInjector::DropPushedField);
        let req = push(
            r#"[{"client_action_id":1,"entity_type":"issues","entity_id":"td-a","payload":{"new_data":{"id":"td-a","title":"t"}}}]"#,
        );
        let (out, _) = on_push_request(&plant, "alice", &req);
        let v: Value = serde_json::from_slice(&out.body).unwrap();
        assert!(v["events"][0]["payload"]["new_data"].get("title").is_none());
        assert_eq!(v["events"][0]["payload"]["new_data"]["id"], "td-a");
        assert_eq!(plant.firings().len(), 1);
    }

    #[test]
    fn fake_push_acks_withholds_and_acknowledges() {
        let plant = BugPlant::new(BugInjector::FakePushAcks);
        let req = push(r#"[{"client_action_id":1},{"client_action_id":2}]"#);
        let (out, pending) = on_push_request(&plant, "alice", &req);
        let v: Value = serde_json::from_slice(&out.body).unwrap();
        assert_eq!(v["events"].as_array().unwrap().len(), 1);
        let resp = response(
            r#"{"accepted":1,"acks":[{"client_action_id":1,"server_seq":7}]}"#,
            false,
        );
        let v = reparse(&on_push_response(&plant, "alice", &resp, &pending));
        assert_eq!(v["accepted"], 2);
        assert_eq!(v["acks"][1]["client_action_id"], 2);
        assert_eq!(v["acks"][1]["server_seq"], 8);
    }
}
