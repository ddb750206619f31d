//! The fold: the server log replayed in server_seq order with the sync apply rules restated
//! (sync spec §7.4–§7.8, docs/deviations.md "td-core apply"), independently of td-core's
//! apply code, which is what the oracle checks.
//!
//! - create = full-row replace: exactly the payload's known columns, the rest their
//!   defaults; issues, boards and work_sessions are replaced in place (children kept), other
//!   tables `INSERT OR REPLACE` (a row clashing on a unique key is replaced); a fresh insert
//!   whose cascade parent is missing is an orphan (no effect);
//! - update = the fields previous→new changed, written with UPDATE (last write to a field in
//!   server order wins); with no previous data, nothing changed, no such row or a failing
//!   UPDATE it falls back to replace-if-exists: an update never inserts;
//! - delete = hard delete with ON DELETE CASCADE (an issue's children first lose their
//!   parent_id); a row still referenced without cascade makes the whole event fail;
//! - soft_delete / restore = `deleted_at` (and restore's `updated_at`) at the event time;
//! - dependency creates that would close a cycle keep the lexically smaller of `I|D` and
//!   `D|I`, judged on the edges the log implies before the event;
//! - an event that fails leaves nothing behind (one savepoint per event).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::types::Value;
use serde_json::{Map, Value as Json};

use super::cycle::Cycle;
use super::payload::{canonical_table, decode, diff, is_identifier, unwrap_issue, Decoded};
use super::schema::{ColumnDefault, Schema, Table, UPSERTED};
use super::server_log::ServerEvent;
use super::state::{Cause, Cell, Expect, Expected, How, NoEffect, Row, Writer};
use super::value::{event_time_text, stored, with_affinity};

/// Id of the built-in board every client creates at init (td-core schema, restated).
pub const BUILTIN_BOARD_ID: &str = "bd-all-issues";

/// Replays `events` (any order; folded by seq) over `schema`.
pub fn fold(schema: &Schema, events: &[ServerEvent]) -> Expected {
    let mut order: Vec<&ServerEvent> = events.iter().collect();
    order.sort_by_key(|e| e.seq);
    let mut f = Fold {
        schema,
        state: Expected::default(),
    };
    f.seed_builtin_board();
    for ev in order {
        f.state.events += 1;
        if let Err(r) = f.apply(ev) {
            f.state.no_effect.push(NoEffect {
                seq: ev.seq,
                why: r.why,
                cause: r.cause,
            });
        }
    }
    f.state
}

/// A value as the text a key column compares with (ids are text).
pub(super) fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::Text(t) => Some(t.clone()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Null | Value::Blob(_) => None,
    }
}

/// Why an event has no effect.
struct Reject {
    why: String,
    cause: Cause,
}

impl From<String> for Reject {
    fn from(why: String) -> Reject {
        Reject {
            why,
            cause: Cause::Refused,
        }
    }
}

impl From<&str> for Reject {
    fn from(why: &str) -> Reject {
        Reject::from(why.to_string())
    }
}

pub(super) struct Fold<'s> {
    pub(super) schema: &'s Schema,
    pub(super) state: Expected,
}

impl Fold<'_> {
    fn table(&self, name: &str) -> Result<&Table, String> {
        self.schema
            .table(name)
            .ok_or_else(|| format!("no such table: {name}"))
    }

    pub(super) fn rows(&self, table: &str) -> Option<&BTreeMap<String, Row>> {
        self.state.rows.get(table)
    }

    pub(super) fn exists(&self, table: &str, id: &str) -> bool {
        self.state.row(table, id).is_some()
    }

    fn seed_builtin_board(&mut self) {
        let Some(t) = self.schema.table("boards") else {
            return;
        };
        let by = Writer {
            seq: 0,
            how: How::Init,
        };
        let given = [
            ("id", Value::Text(BUILTIN_BOARD_ID.into())),
            ("name", Value::Text("All Issues".into())),
            ("query", Value::Text(String::new())),
            ("is_builtin", Value::Integer(1)),
            ("view_mode", Value::Text("swimlanes".into())),
        ];
        let cells = t
            .columns
            .iter()
            .map(|c| {
                let expect = match given.iter().find(|(n, _)| *n == c.name) {
                    Some((_, v)) => Expect::Value(v.clone()),
                    None => match &c.default {
                        ColumnDefault::Value(v) => Expect::Value(v.clone()),
                        ColumnDefault::ApplyTime => Expect::ApplyTime,
                    },
                };
                (c.name.clone(), Cell::new(expect, by))
            })
            .collect();
        self.insert_row("boards", BUILTIN_BOARD_ID, Row { cells, created: by });
    }

    fn apply(&mut self, ev: &ServerEvent) -> Result<(), Reject> {
        let table = canonical_table(&ev.entity_type)
            .ok_or_else(|| format!("invalid entity type {:?}", ev.entity_type))?;
        let data = decode(table, &ev.payload)?;
        if ev.entity_id.is_empty() {
            return Err("empty entity id".into());
        }
        let (id, seq) = (ev.entity_id.as_str(), ev.seq);
        match ev.action_type.as_str() {
            "create" => self.create(table, id, &data.new, seq),
            "update" => self.update(table, id, &data, seq),
            "delete" => self.delete(table, id, seq).map_err(Reject::from),
            "soft_delete" => self
                .soft_delete(table, id, &ev.client_timestamp, seq)
                .map_err(Reject::from),
            "restore" => self
                .restore(table, id, &ev.client_timestamp, seq)
                .map_err(Reject::from),
            other => Err(format!("unknown action type {other:?}").into()),
        }
    }

    fn create(
        &mut self,
        table: &str,
        id: &str,
        new: &Map<String, Json>,
        seq: i64,
    ) -> Result<(), Reject> {
        let fields = unwrap_issue(table, new);
        let cycle = if table == "issue_dependencies" {
            self.cycle(&fields)
        } else {
            Cycle::Apply
        };
        if let Cycle::Skip(why, by) = cycle {
            return Err(Reject {
                why,
                cause: Cause::Superseded { by },
            });
        }
        let fresh = !self.exists(table, id);
        let row = self.full_row(table, id, &fields, seq, fresh)?;
        if let Cycle::ReplaceReverse(issue, on) = cycle {
            let reverse: Vec<String> = self
                .table_rows("issue_dependencies")
                .filter(|(_, r)| {
                    r.text("issue_id") == Some(&issue) && r.text("depends_on_id") == Some(&on)
                })
                .map(|(rid, _)| rid.clone())
                .collect();
            for rid in reverse {
                let why = format!("the cycle rule replaced this reverse edge with {id}");
                self.remove("issue_dependencies", &rid, seq, why);
            }
        }
        self.put(table, id, row, seq);
        Ok(())
    }

    fn update(&mut self, table: &str, id: &str, data: &Decoded, seq: i64) -> Result<(), Reject> {
        let new = unwrap_issue(table, &data.new);
        let prev = unwrap_issue(table, &data.prev);
        if new.is_empty() && prev.is_empty() {
            return Err("payload has no fields".into());
        }
        if !prev.is_empty() && self.partial_update(table, id, &prev, &new, seq)? {
            return Ok(());
        }
        if !self.exists(table, id) {
            let gone = self
                .state
                .removed
                .get(&(table.to_string(), id.to_string()))
                .map(|r| r.seq);
            return Err(Reject {
                why: format!(
                    "update of {table}/{id}, which does not exist (an update never inserts)"
                ),
                cause: Cause::Superseded { by: gone },
            });
        }
        let row = self.full_row(table, id, &new, seq, false)?;
        self.put(table, id, row, seq);
        Ok(())
    }

    /// The diff written with UPDATE. Ok(false) sends the caller to its fallback (nothing
    /// changed, no such row, or a constraint the UPDATE would violate).
    fn partial_update(
        &mut self,
        table: &str,
        id: &str,
        prev: &Map<String, Json>,
        new: &Map<String, Json>,
        seq: i64,
    ) -> Result<bool, Reject> {
        let t = self.table(table)?;
        let changes: Vec<(String, Value)> = diff(prev, new)
            .into_iter()
            .filter(|(k, _)| is_identifier(k))
            .filter_map(|(k, v)| t.column(&k).map(|c| (k.clone(), stored(table, c, &v))))
            .collect();
        if changes.is_empty() {
            return Ok(false);
        }
        let Some(row) = self.state.row(table, id) else {
            return Ok(false);
        };
        let violates_not_null = changes
            .iter()
            .any(|(k, v)| *v == Value::Null && t.column(k).is_some_and(|c| c.not_null));
        let mut after: BTreeMap<String, Value> = row
            .cells
            .iter()
            .filter_map(|(k, c)| c.value().map(|v| (k.clone(), v.clone())))
            .collect();
        for (k, v) in &changes {
            after.insert(k.clone(), v.clone());
        }
        let changed: BTreeSet<&str> = changes.iter().map(|(k, _)| k.as_str()).collect();
        let fk_broken = t
            .foreign_keys
            .iter()
            .filter(|fk| changed.contains(fk.column.as_str()))
            .any(|fk| {
                self.fk_missing(&fk.parent, &fk.parent_column, after.get(&fk.column))
                    .is_some()
            });
        let unique_clash = t
            .unique
            .iter()
            .filter(|key| key.iter().any(|c| changed.contains(c.as_str())))
            .any(|key| !self.clashing(table, id, key, &after).is_empty());
        if violates_not_null || fk_broken || unique_clash {
            return Ok(false);
        }
        let by = Writer {
            seq,
            how: How::Payload,
        };
        self.note_writes(seq, changes.iter().map(|(k, _)| k.clone()));
        if let Some(row) = self.row_mut(table, id) {
            for (k, v) in changes {
                row.cells.insert(k, Cell::new(Expect::Value(v), by));
            }
        }
        Ok(true)
    }

    /// The row a full-row write produces, checked against NOT NULL and foreign keys.
    fn full_row(
        &self,
        table: &str,
        id: &str,
        fields: &Map<String, Json>,
        seq: i64,
        fresh: bool,
    ) -> Result<Row, Reject> {
        if fields.is_empty() {
            return Err("payload has no fields".into());
        }
        let t = self.table(table)?;
        let mut fields = fields.clone();
        fields.insert("id".into(), Json::String(id.to_string()));
        if fields.keys().filter(|k| t.has(k)).count() <= 1 {
            return Err("no known fields in payload".into());
        }
        let upsert = UPSERTED.contains(&table);
        let mut cells = BTreeMap::new();
        for c in &t.columns {
            let (expect, how) = match fields.get(&c.name) {
                Some(j) => (Expect::Value(stored(table, c, j)), How::Payload),
                None => (default_of(&c.default), How::Default),
            };
            let (expect, how) = match expect {
                Expect::Value(Value::Null) if c.not_null => {
                    // An upsert aborts; INSERT OR REPLACE substitutes the default when the
                    // column has one (SQLite's REPLACE rule for NOT NULL).
                    match (&c.default, upsert) {
                        (ColumnDefault::Value(Value::Null), _) | (_, true) => {
                            return Err(
                                format!("NOT NULL constraint failed: {table}.{}", c.name).into()
                            )
                        }
                        (d, false) => (default_of(d), How::Default),
                    }
                }
                other => (other, how),
            };
            cells.insert(c.name.clone(), Cell::new(expect, Writer { seq, how }));
        }
        let row = Row {
            cells,
            created: Writer {
                seq,
                how: How::Payload,
            },
        };
        for fk in &t.foreign_keys {
            let v = row.value(&fk.column);
            if let Some(missing) = self.fk_missing(&fk.parent, &fk.parent_column, v) {
                // Only a fresh insert is pre-checked, and only for a non-empty key: an empty
                // text key reaches the INSERT and fails its constraint instead.
                let keyed = match v {
                    Some(Value::Text(s)) => !s.is_empty(),
                    Some(Value::Integer(_) | Value::Real(_)) => true,
                    _ => false,
                };
                let orphan = fresh && fk.cascade && keyed;
                if !orphan {
                    return Err(format!(
                        "FOREIGN KEY constraint failed: {table}.{} references missing {missing}",
                        fk.column
                    )
                    .into());
                }
                let by = v
                    .and_then(key_text)
                    .and_then(|k| self.state.removed.get(&(fk.parent.clone(), k)))
                    .map(|r| r.seq);
                return Err(Reject {
                    why: format!("orphan: {table}.{} references missing {missing}", fk.column),
                    cause: Cause::Superseded { by },
                });
            }
        }
        Ok(row)
    }

    /// `parent/<value>` when `value` (non-NULL) names no row of `parent`.
    fn fk_missing(&self, parent: &str, column: &str, value: Option<&Value>) -> Option<String> {
        let key = key_text(value?)?;
        let found = if column == "id" {
            self.exists(parent, &key)
        } else {
            self.table_rows(parent)
                .any(|(_, r)| r.value(column).and_then(key_text).as_deref() == Some(&key))
        };
        (!found).then(|| format!("{parent}/{key}"))
    }

    /// Ids of other rows of `table` equal to `values` on every column of `key` (NULLs never
    /// clash).
    fn clashing(
        &self,
        table: &str,
        id: &str,
        key: &[String],
        values: &BTreeMap<String, Value>,
    ) -> Vec<String> {
        let wanted: Option<Vec<&Value>> = key
            .iter()
            .map(|c| values.get(c).filter(|v| **v != Value::Null))
            .collect();
        let Some(wanted) = wanted else {
            return Vec::new();
        };
        self.table_rows(table)
            .filter(|(rid, _)| rid.as_str() != id)
            .filter(|(_, r)| key.iter().zip(&wanted).all(|(c, w)| r.value(c) == Some(*w)))
            .map(|(rid, _)| rid.clone())
            .collect()
    }

    /// Stores a full-row write: in place for upserted parents, else `INSERT OR REPLACE`
    /// (rows clashing on a unique key are replaced away first).
    fn put(&mut self, table: &str, id: &str, row: Row, seq: i64) {
        if !UPSERTED.contains(&table) {
            let values: BTreeMap<String, Value> = row
                .cells
                .iter()
                .filter_map(|(k, c)| c.value().map(|v| (k.clone(), v.clone())))
                .collect();
            let keys = self
                .schema
                .table(table)
                .map(|t| t.unique.clone())
                .unwrap_or_default();
            for key in keys {
                for other in self.clashing(table, id, &key, &values) {
                    let why = format!("replaced by {table}/{id} (same {})", key.join(", "));
                    self.remove(table, &other, seq, why);
                }
            }
        }
        self.note_writes(seq, row.cells.keys().cloned());
        self.insert_row(table, id, row);
    }

    /// Records that event `seq` wrote `columns` of its row.
    fn note_writes(&mut self, seq: i64, columns: impl Iterator<Item = String>) {
        self.state.wrote.entry(seq).or_default().extend(columns);
    }

    fn insert_row(&mut self, table: &str, id: &str, row: Row) {
        self.state
            .removed
            .remove(&(table.to_string(), id.to_string()));
        self.state
            .rows
            .entry(table.to_string())
            .or_default()
            .insert(id.to_string(), row);
    }

    pub(super) fn row_mut(&mut self, table: &str, id: &str) -> Option<&mut Row> {
        self.state.rows.get_mut(table)?.get_mut(id)
    }

    pub(super) fn table_rows<'a>(
        &'a self,
        table: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Row)> {
        self.rows(table).into_iter().flatten()
    }

    /// Soft delete: `deleted_at`, and `updated_at` where the table has it, at the event time
    /// (docs/deviations.md: "Soft delete stamps `updated_at` too").
    fn soft_delete(&mut self, table: &str, id: &str, ts: &str, seq: i64) -> Result<(), String> {
        let t = self.table(table)?;
        let Some(del) = t.column("deleted_at") else {
            return Err(format!("no such column: {table}.deleted_at"));
        };
        let at = event_time_text(ts).ok_or_else(|| format!("invalid client_timestamp {ts:?}"))?;
        let mut stamps = vec![(
            "deleted_at".to_string(),
            with_affinity(del.affinity, Value::Text(at.clone())),
        )];
        if let Some(upd) = t.column("updated_at") {
            stamps.push((
                "updated_at".to_string(),
                with_affinity(upd.affinity, Value::Text(at)),
            ));
        }
        if let Some(r) = self.row_mut(table, id) {
            let by = Writer {
                seq,
                how: How::EventTime,
            };
            for (c, v) in &stamps {
                r.cells
                    .insert(c.clone(), Cell::new(Expect::Value(v.clone()), by));
            }
            self.note_writes(seq, stamps.into_iter().map(|(c, _)| c));
        }
        Ok(())
    }

    fn restore(&mut self, table: &str, id: &str, ts: &str, seq: i64) -> Result<(), String> {
        let t = self.table(table)?;
        let (Some(del), Some(upd)) = (t.column("deleted_at"), t.column("updated_at")) else {
            return Err(format!(
                "no such column: {table}.deleted_at or {table}.updated_at"
            ));
        };
        let at = event_time_text(ts).ok_or_else(|| format!("invalid client_timestamp {ts:?}"))?;
        let cleared = with_affinity(del.affinity, Value::Null);
        let stamped = with_affinity(upd.affinity, Value::Text(at));
        if let Some(r) = self.row_mut(table, id) {
            let by = Writer {
                seq,
                how: How::EventTime,
            };
            r.cells
                .insert("deleted_at".into(), Cell::new(Expect::Value(cleared), by));
            r.cells
                .insert("updated_at".into(), Cell::new(Expect::Value(stamped), by));
            let cols = ["deleted_at".to_string(), "updated_at".to_string()];
            self.note_writes(seq, cols.into_iter());
        }
        Ok(())
    }
}

fn default_of(d: &ColumnDefault) -> Expect {
    match d {
        ColumnDefault::Value(v) => Expect::Value(v.clone()),
        ColumnDefault::ApplyTime => Expect::ApplyTime,
    }
}
