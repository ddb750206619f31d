//! The expected state the fold builds: per synced table, per row id, per column, the value
//! it should hold and the event that wrote it; plus what removed rows that are gone and
//! which events had no effect.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::types::Value;

/// How an event wrote a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// From the event's data.
    Payload,
    /// A full-row write left the column out: its default.
    Default,
    /// Soft delete / restore: the event's own time.
    EventTime,
    /// A hard delete of the parent issue cleared `parent_id`.
    ParentDeleted,
    /// The built-in row every client creates at init (seq 0).
    Init,
}

impl How {
    pub fn label(self) -> &'static str {
        match self {
            How::Payload => "its data",
            How::Default => "the column default",
            How::EventTime => "its event time",
            How::ParentDeleted => "the parent's hard delete",
            How::Init => "td init",
        }
    }
}

/// The event (by server_seq; 0 = init) that last wrote something, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writer {
    pub seq: i64,
    pub how: How,
}

/// What a cell should hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Value(Value),
    /// Written as `CURRENT_TIMESTAMP` by each replica at apply time.
    ApplyTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub expect: Expect,
    pub by: Writer,
}

impl Cell {
    pub fn new(expect: Expect, by: Writer) -> Cell {
        Cell { expect, by }
    }

    /// The value when it is predictable.
    pub fn value(&self) -> Option<&Value> {
        match &self.expect {
            Expect::Value(v) => Some(v),
            Expect::ApplyTime => None,
        }
    }
}

/// One expected row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: BTreeMap<String, Cell>,
    /// The full-row write that (last) created it.
    pub created: Writer,
}

impl Row {
    pub fn value(&self, column: &str) -> Option<&Value> {
        self.cells.get(column).and_then(Cell::value)
    }

    pub fn text(&self, column: &str) -> Option<&str> {
        match self.value(column) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }
}

/// Why a row is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub seq: i64,
    pub why: String,
}

/// Why an event had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The rules drop the write in favour of another event: its parent was removed (orphan),
    /// the cycle rule kept the reverse edge, or the updated row is gone. `by` names that
    /// event when the log shows it.
    Superseded { by: Option<i64> },
    /// Apply refuses the event itself (bad payload, constraint failure): no rule explains
    /// it away.
    Refused,
}

/// An event the rules give no effect, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoEffect {
    pub seq: i64,
    pub why: String,
    pub cause: Cause,
}

/// The fold's result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    /// table → id → row.
    pub rows: BTreeMap<String, BTreeMap<String, Row>>,
    /// (table, id) → the last event that removed it (a later create revives the row).
    pub removed: BTreeMap<(String, String), Removal>,
    /// Events skipped or quarantined by the rules (orphans, bad payloads, constraint
    /// failures), and dependency creates the cycle rule dropped.
    pub no_effect: Vec<NoEffect>,
    /// Per event (seq), the columns it wrote on its own row: a partial update only the
    /// fields its previous→new diff changed.
    pub wrote: BTreeMap<i64, BTreeSet<String>>,
    /// Events folded.
    pub events: usize,
}

impl Expected {
    pub fn row(&self, table: &str, id: &str) -> Option<&Row> {
        self.rows.get(table)?.get(id)
    }

    pub fn table(&self, table: &str) -> impl Iterator<Item = (&String, &Row)> {
        self.rows.get(table).into_iter().flatten()
    }

    /// True when event `seq` wrote `column` of its own row.
    pub fn wrote(&self, seq: i64, column: &str) -> bool {
        self.wrote.get(&seq).is_some_and(|c| c.contains(column))
    }

    /// Why `seq` had no effect, if it had none.
    pub fn no_effect(&self, seq: i64) -> Option<&NoEffect> {
        self.no_effect.iter().find(|n| n.seq == seq)
    }
}
