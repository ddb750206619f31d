//! Naming events in messages: `seq 42 (bob, update issues/td-abc123)`. The author of a seq
//! is the actor whose action_log row carries it; a seq no replica claims is named by its
//! device id.

use std::collections::BTreeMap;

use super::replica::Replica;
use super::server_log::ServerEvent;
use super::state::Writer;

pub struct Names<'a> {
    events: BTreeMap<i64, &'a ServerEvent>,
    authors: BTreeMap<i64, String>,
}

impl<'a> Names<'a> {
    pub fn new(events: &'a [ServerEvent], replicas: &[Replica]) -> Names<'a> {
        let authors = replicas
            .iter()
            .flat_map(|r| {
                r.log
                    .iter()
                    .filter_map(move |l| l.server_seq.map(|s| (s, r.actor.clone())))
            })
            .collect();
        Names {
            events: events.iter().map(|e| (e.seq, e)).collect(),
            authors,
        }
    }

    pub fn event(&self, seq: i64) -> Option<&'a ServerEvent> {
        self.events.get(&seq).copied()
    }

    /// The actor whose pushed row became `seq`.
    pub fn author(&self, seq: i64) -> Option<&str> {
        self.authors.get(&seq).map(String::as_str)
    }

    /// `seq 42 (bob, update issues/td-abc123)`; seq 0 is td init.
    pub fn seq(&self, seq: i64) -> String {
        if seq == 0 {
            return "td init (no event)".into();
        }
        let who = match (self.author(seq), self.event(seq)) {
            (Some(a), _) => a.to_string(),
            (None, Some(e)) => format!("device {}", e.device_id.get(..8).unwrap_or(&e.device_id)),
            (None, None) => "unknown author".into(),
        };
        match self.event(seq) {
            Some(e) => format!(
                "seq {seq} ({who}, {} {}/{})",
                e.action_type, e.entity_type, e.entity_id
            ),
            None => format!("seq {seq} ({who}, not in the server log)"),
        }
    }

    /// `seq 42 (bob, update issues/td-abc123) via its data`.
    pub fn writer(&self, w: &Writer) -> String {
        format!("{} via {}", self.seq(w.seq), w.how.label())
    }
}
