//! One replica as the oracle reads it, read-only: every synced table's rows by id with all
//! their columns, and the actor's action_log (what td says it did, and what the server
//! acknowledged).

use std::collections::BTreeMap;

use rusqlite::types::Value;

use super::super::db::{as_int, as_text, ReadOnlyDb};
use super::super::{ActorDb, VerifyError};
use super::schema::{Schema, SYNCED};

/// table → id → column → value.
pub type Rows = BTreeMap<String, BTreeMap<String, BTreeMap<String, Value>>>;

/// One action_log row.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRow {
    pub rowid: i64,
    pub session_id: String,
    pub action_type: String,
    pub entity_type: String,
    pub entity_id: String,
    pub previous_data: String,
    pub new_data: String,
    pub timestamp: String,
    pub undone: bool,
    pub server_seq: Option<i64>,
}

/// One actor's database.
#[derive(Debug, Clone)]
pub struct Replica {
    pub actor: String,
    pub rows: Rows,
    /// By rowid.
    pub log: Vec<LogRow>,
}

impl Replica {
    pub fn row(&self, table: &str, id: &str) -> Option<&BTreeMap<String, Value>> {
        self.rows.get(table)?.get(id)
    }

    pub fn value(&self, table: &str, id: &str, column: &str) -> Option<&Value> {
        self.row(table, id)?.get(column)
    }
}

const LOG_SQL: &str = "SELECT rowid, session_id, action_type, entity_type, entity_id, \
    COALESCE(previous_data, ''), COALESCE(new_data, ''), timestamp, COALESCE(undone, 0), \
    server_seq FROM action_log ORDER BY rowid";

/// Reads `db` (every synced table of `schema`, and its action_log).
pub fn read(schema: &Schema, db: &ActorDb) -> Result<Replica, VerifyError> {
    let conn = ReadOnlyDb::open(&db.path)?;
    let mut rows = Rows::new();
    for table in SYNCED {
        if schema.table(table).is_none() {
            continue;
        }
        let (names, data) = conn.table(&format!("SELECT * FROM \"{table}\""), [])?;
        let id_at = names.iter().position(|n| n == "id").ok_or_else(|| {
            VerifyError::Setup(format!("oracle: {}: {table} has no id column", db.actor))
        })?;
        let by_id = rows.entry(table.to_string()).or_default();
        for r in data {
            let id = match &r[id_at] {
                Value::Text(t) => t.clone(),
                other => super::super::db::render_value(other),
            };
            by_id.insert(id, names.iter().cloned().zip(r).collect());
        }
    }
    let log = conn
        .rows(LOG_SQL, [])?
        .iter()
        .map(|r| log_row(r))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            VerifyError::Setup(format!(
                "oracle: {}: an action_log row has unexpected types",
                db.actor
            ))
        })?;
    Ok(Replica {
        actor: db.actor.clone(),
        rows,
        log,
    })
}

fn log_row(r: &[Value]) -> Option<LogRow> {
    let text = |i: usize| match r.get(i)? {
        Value::Null => Some(String::new()),
        v => as_text(v).map(str::to_string),
    };
    let timestamp = text(7)?;
    Some(LogRow {
        rowid: as_int(r.first()?)?,
        session_id: text(1)?,
        action_type: text(2)?,
        entity_type: text(3)?,
        entity_id: text(4)?,
        previous_data: text(5)?,
        new_data: text(6)?,
        timestamp,
        undone: as_int(r.get(8)?)? != 0,
        server_seq: match r.get(9)? {
            Value::Null => None,
            v => Some(as_int(v)?),
        },
    })
}
