//! Following each acknowledged intent end to end: td printed success → td's action_log row
//! in the invocation's window carries the value → the server acknowledged that row at seq S
//! → the server's event S carries the same value → every replica holds it, unless a later
//! server event wrote the field (named).

use std::collections::BTreeMap;

use rusqlite::types::Value;

use super::super::db::render_value;
use super::super::CheckResult;
use super::carried::{carried, event_json, log_json, previous, Carried};
use super::names::Names;
use super::payload::{canonical_action, canonical_table};
use super::replica::{LogRow, Replica};
use super::schema::Schema;
use super::state::Expected;
use super::survival::{final_removal, final_values};
use crate::engine::{Intent, IntentKind, IntentTarget, IntentValue};

/// What the oracle needs besides the intents.
pub struct World<'a> {
    pub schema: &'a Schema,
    pub replicas: &'a [Replica],
    pub expected: &'a Expected,
    pub names: &'a Names<'a>,
}

/// A value an intent resolved against the author's log row.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Want {
    Is(Value),
    NotNull,
}

impl Want {
    pub(super) fn holds(&self, got: Option<&Value>) -> bool {
        match (self, got) {
            (Want::Is(w), Some(g)) => w == g,
            (Want::NotNull, Some(g)) => *g != Value::Null,
            (_, None) => false,
        }
    }

    fn carried_by(&self, got: Option<&Carried>) -> bool {
        match (self, got) {
            (Want::NotNull, Some(Carried::EventTime)) => true,
            (_, Some(Carried::Value(v))) => self.holds(Some(v)),
            _ => false,
        }
    }

    pub(super) fn show(&self) -> String {
        match self {
            Want::Is(v) => render_value(v),
            Want::NotNull => "<not null>".into(),
        }
    }
}

fn show_carried(c: Option<&Carried>) -> String {
    match c {
        Some(Carried::Value(v)) => render_value(v),
        Some(Carried::EventTime) => "<event time>".into(),
        None => "<absent>".into(),
    }
}

/// How one intent ended: fields followed, and the ones a named event legitimately
/// overwrote or superseded.
pub(super) struct Followed {
    pub(super) fields: usize,
    pub(super) overwritten: Vec<String>,
}

impl Followed {
    pub(super) fn new(fields: usize) -> Followed {
        Followed {
            fields,
            overwritten: Vec::new(),
        }
    }
}

/// Examples of overwritten intents listed in a passing result.
const EXAMPLES: usize = 5;

/// One result over every intent.
pub fn check(w: &World<'_>, intents: &[Intent], label: &str) -> CheckResult {
    let name = format!("oracle: intents {label}");
    let mut violations = Vec::new();
    let mut fields = 0;
    let mut overwritten: Vec<String> = Vec::new();
    let mut by_action: BTreeMap<&str, usize> = BTreeMap::new();
    for intent in intents {
        *by_action.entry(intent.action.as_str()).or_default() += 1;
        match follow(w, intent) {
            Ok(f) => {
                fields += f.fields;
                overwritten.extend(f.overwritten.into_iter().map(|o| {
                    format!(
                        "{} by {} ({}): {o}",
                        intent.describe_target(),
                        intent.actor,
                        intent.action
                    )
                }));
            }
            Err(why) => violations.push(format!(
                "{} by {} ({}, {}…{}): {why}",
                intent.describe_target(),
                intent.actor,
                intent.action,
                intent.started,
                intent.finished
            )),
        }
    }
    let counts: Vec<String> = by_action.iter().map(|(a, n)| format!("{a} {n}")).collect();
    let ok = if intents.is_empty() {
        "no intents were recorded for this run (only the chaos engine records them)".to_string()
    } else {
        let mut ok = format!(
            "{} intent(s), {fields} field value(s) followed from td's success line through the \
             author's action_log and the server log to every replica; {} value(s) later \
             overwritten or superseded by a named event [{}]",
            intents.len(),
            overwritten.len(),
            counts.join(", ")
        );
        for o in overwritten.iter().take(EXAMPLES) {
            ok.push_str(&format!("\n  e.g. {o}"));
        }
        ok
    };
    CheckResult::from_violations(name, ok, &violations)
}

/// The log row's carried values, with its canonical action.
fn log_carried(
    w: &World<'_>,
    table: &str,
    row: &LogRow,
) -> (&'static str, BTreeMap<String, Carried>) {
    let action = canonical_action(&row.action_type);
    let values = carried(
        w.schema,
        table,
        action,
        &log_json(&row.new_data),
        &log_json(&row.previous_data),
    );
    (action, values)
}

/// Does `row` (canonical action, carried values) record this intent?
fn matches(
    intent: &Intent,
    row: &LogRow,
    action: &str,
    values: &BTreeMap<String, Carried>,
) -> bool {
    let removal = action == "delete";
    if removal != (intent.kind == IntentKind::Remove) {
        return false;
    }
    match &intent.target {
        IntentTarget::Row(id) => row.entity_id == *id,
        IntentTarget::Matching => intent.fields.iter().all(|(c, v)| {
            let concrete = match v {
                IntentValue::Text(t) => Value::Text(t.clone()),
                IntentValue::Int(i) => Value::Integer(*i),
                _ => return true,
            };
            values.get(c) == Some(&Carried::Value(concrete))
        }),
    }
}

/// Resolves the intent's values against the author's row (Logged, ActingSession) and checks
/// the row carries them.
fn resolve(
    intent: &Intent,
    row: &LogRow,
    values: &BTreeMap<String, Carried>,
) -> Result<Vec<(String, Want)>, String> {
    let mut out = Vec::new();
    for (column, v) in &intent.fields {
        let got = values.get(column);
        let want = match v {
            IntentValue::Text(t) => Want::Is(Value::Text(t.clone())),
            IntentValue::Int(i) => Want::Is(Value::Integer(*i)),
            IntentValue::Null => Want::Is(Value::Null),
            IntentValue::NotNull => Want::NotNull,
            IntentValue::ActingSession => Want::Is(Value::Text(row.session_id.clone())),
            IntentValue::Logged => match got {
                Some(Carried::Value(v)) => Want::Is(v.clone()),
                _ => {
                    return Err(format!(
                        "td's action_log row {} ({}) logs no {column}",
                        row.rowid, row.action_type
                    ))
                }
            },
        };
        if !want.carried_by(got) {
            return Err(format!(
                "td's action_log row {} ({}) logs {column} = {} where {} was asked",
                row.rowid,
                row.action_type,
                show_carried(got),
                want.show()
            ));
        }
        out.push((column.clone(), want));
    }
    Ok(out)
}

fn follow(w: &World<'_>, intent: &Intent) -> Result<Followed, String> {
    let author = w
        .replicas
        .iter()
        .find(|r| r.actor == intent.actor)
        .ok_or_else(|| format!("no replica for actor {}", intent.actor))?;
    let table = intent.table.as_str();
    let in_window: Vec<&LogRow> = author
        .log
        .iter()
        .filter(|l| intent.first_rowid < l.rowid && l.rowid <= intent.last_rowid)
        .filter(|l| canonical_table(&l.entity_type) == Some(table))
        .collect();
    let found = in_window.iter().rev().find_map(|l| {
        let (action, values) = log_carried(w, table, l);
        matches(intent, l, action, &values).then_some((*l, action, values))
    });
    let Some((row, action, values)) = found else {
        let seen: Vec<String> = in_window
            .iter()
            .map(|l| format!("{} {} {}", l.rowid, l.action_type, l.entity_id))
            .collect();
        return Err(format!(
            "td printed success but wrote no matching {table} row to its action_log (rowids \
             {}..={}; rows of {table} there: [{}])",
            intent.first_rowid + 1,
            intent.last_rowid,
            seen.join("; ")
        ));
    };
    let wants = match intent.kind {
        IntentKind::Write => resolve(intent, row, &values)?,
        IntentKind::Remove => Vec::new(),
    };
    let seq = acknowledged(row)?;
    check_server_event(w, table, row, action, seq, &wants)?;
    let before = previous(w.schema, table, &row.previous_data);
    match intent.kind {
        IntentKind::Write => final_values(w, table, &row.entity_id, seq, &wants, &before),
        IntentKind::Remove => final_removal(w, table, &row.entity_id, seq),
    }
}

fn acknowledged(row: &LogRow) -> Result<i64, String> {
    match (row.server_seq, row.undone) {
        (Some(s), false) => Ok(s),
        (_, true) => Err(format!(
            "td's action_log row {} ({} {}) is marked undone",
            row.rowid, row.action_type, row.entity_id
        )),
        (None, false) => Err(format!(
            "td's action_log row {} ({} {}) was never acknowledged by the server (server_seq is NULL)",
            row.rowid, row.action_type, row.entity_id
        )),
    }
}

/// The server's event `seq` must be this row's event and carry every wanted value.
fn check_server_event(
    w: &World<'_>,
    table: &str,
    row: &LogRow,
    action: &str,
    seq: i64,
    wants: &[(String, Want)],
) -> Result<(), String> {
    let ev = w.names.event(seq).ok_or_else(|| {
        format!(
            "acknowledged at seq {seq} (action_log row {}), but the server log has no seq {seq}",
            row.rowid
        )
    })?;
    let same = ev.entity_id == row.entity_id
        && canonical_table(&ev.entity_type) == Some(table)
        && ev.action_type == action
        && ev.client_action_id == Some(row.rowid);
    if !same {
        return Err(format!(
            "acknowledged at seq {seq} (action_log row {} {} {}), but the server's seq {seq} is \
             {} {}/{} for client action {}",
            row.rowid,
            action,
            row.entity_id,
            ev.action_type,
            ev.entity_type,
            ev.entity_id,
            ev.client_action_id
                .map_or("<not an integer>".to_string(), |c| c.to_string())
        ));
    }
    let (new, prev) = event_json(table, &ev.payload);
    let stored = carried(w.schema, table, &ev.action_type, &new, &prev);
    for (column, want) in wants {
        if !want.carried_by(stored.get(column)) {
            return Err(format!(
                "acknowledged at {} but the server's event stores {column} = {} where td wrote {}",
                w.names.seq(seq),
                show_carried(stored.get(column)),
                want.show()
            ));
        }
    }
    Ok(())
}
