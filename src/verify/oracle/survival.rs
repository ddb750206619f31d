//! The last leg of an intent: what every replica holds at the end. The wanted value, unless a
//! later event wrote the field or removed the row, the rules superseded the event, or the
//! author's own snapshot already held the value (no change under the diff rule); each
//! exception is named.

use std::collections::BTreeMap;

use rusqlite::types::Value;

use super::super::db::render_value;
use super::intents::{Followed, Want, World};
use super::local;
use super::state::Cause;

/// Every replica holds each wanted value, unless a later event wrote the field or removed
/// the row.
pub(super) fn final_values(
    w: &World<'_>,
    table: &str,
    id: &str,
    seq: i64,
    wants: &[(String, Want)],
    before: &BTreeMap<String, Value>,
) -> Result<Followed, String> {
    let mut followed = Followed::new(wants.len());
    if let Some(why) = superseded(w, seq) {
        followed.overwritten.push(why);
        return Ok(followed);
    }
    let key = (table.to_string(), id.to_string());
    let expected_row = w.expected.row(table, id);
    if expected_row.is_none() {
        if let Some(gone) = w.expected.removed.get(&key).filter(|r| r.seq > seq) {
            let by = w.names.seq(gone.seq);
            followed
                .overwritten
                .push(format!("row {} by {by}", gone.why));
            return Ok(followed);
        }
    }
    for (column, want) in wants {
        let cell = expected_row.and_then(|r| r.cells.get(column));
        if let Some(c) = cell.filter(|c| c.by.seq > seq) {
            let by = w.names.writer(&c.by);
            followed
                .overwritten
                .push(format!("{column} overwritten by {by}"));
            continue;
        }
        // An update writes only what its previous→new diff changed (sync spec §7.5): a
        // value the author's snapshot already held is no change, and the field keeps what
        // the log wrote last, even an earlier write the author had not pulled yet.
        let unwritten = !w.expected.wrote(seq, column) && w.expected.no_effect(seq).is_none();
        if unwritten && want.holds(before.get(column)) {
            let standing = cell.map_or("the row's default".to_string(), |c| {
                format!(
                    "{} = {}",
                    w.names.writer(&c.by),
                    c.value().map_or("<apply time>".into(), render_value)
                )
            });
            followed.overwritten.push(format!(
                "{column} = {} was already in the author's previous_data, so the diff rule \
                 keeps {standing}",
                want.show()
            ));
            continue;
        }
        let mut bad = Vec::new();
        for r in w.replicas {
            if local::always(table, column) {
                continue;
            }
            let got = r.value(table, id, column);
            if !want.holds(got) {
                bad.push(format!(
                    "{} holds {}",
                    r.actor,
                    r.row(table, id)
                        .map_or("no such row".to_string(), |_| super::compare::shown(got))
                ));
            }
        }
        if !bad.is_empty() {
            let last = match cell {
                Some(c) => format!(
                    "the log's last write to it is {} = {}",
                    w.names.writer(&c.by),
                    c.value().map_or("<apply time>".into(), render_value)
                ),
                None => match w.expected.removed.get(&key) {
                    Some(g) => format!(
                        "the log removed the row: {} by {}",
                        g.why,
                        w.names.seq(g.seq)
                    ),
                    None => "the log never created the row".to_string(),
                },
            };
            let skipped = w
                .expected
                .no_effect(seq)
                .map(|n| format!("; seq {seq} had no effect: {}", n.why))
                .unwrap_or_default();
            return Err(format!(
                "write lost: {column} = {} acknowledged at {}, but {}; no later event wrote \
                 {column} ({last}{skipped})",
                want.show(),
                w.names.seq(seq),
                bad.join(", ")
            ));
        }
    }
    Ok(followed)
}

/// `seq` had no effect because the rules preferred another event (named when known).
fn superseded(w: &World<'_>, seq: i64) -> Option<String> {
    let n = w.expected.no_effect(seq)?;
    match n.cause {
        Cause::Superseded { by: Some(by) } => {
            Some(format!("superseded by {} ({})", w.names.seq(by), n.why))
        }
        Cause::Superseded { by: None } => Some(format!("superseded by the rules ({})", n.why)),
        Cause::Refused => None,
    }
}

/// The row is gone everywhere, unless a later event created it again.
pub(super) fn final_removal(
    w: &World<'_>,
    table: &str,
    id: &str,
    seq: i64,
) -> Result<Followed, String> {
    let mut followed = Followed::new(1);
    if let Some(why) = superseded(w, seq) {
        followed.overwritten.push(why);
        return Ok(followed);
    }
    if let Some(row) = w.expected.row(table, id) {
        if row.created.seq > seq {
            let by = w.names.seq(row.created.seq);
            followed
                .overwritten
                .push(format!("row written again by {by}"));
            return Ok(followed);
        }
        return Err(format!(
            "removal lost: acknowledged at {}, but the log keeps the row (written by {})",
            w.names.seq(seq),
            w.names.seq(row.created.seq)
        ));
    }
    let holders: Vec<&str> = w
        .replicas
        .iter()
        .filter(|r| r.row(table, id).is_some())
        .map(|r| r.actor.as_str())
        .collect();
    if !holders.is_empty() {
        return Err(format!(
            "removal lost: acknowledged at {}, but {} still hold the row",
            w.names.seq(seq),
            holders.join(", ")
        ));
    }
    Ok(followed)
}
