//! The shape of every synced table, read from td's own DDL (`td_core::schema::create` on an
//! in-memory database): columns with their affinity, NOT NULL and default, foreign keys,
//! and unique keys. The schema is shared truth between the replicas and the oracle; only
//! the apply *rules* are restated here (in `fold`), never called.

use std::collections::BTreeMap;

use rusqlite::types::Value;
use rusqlite::Connection;

use super::super::VerifyError;

/// The tables whose rows travel through sync (td-core `SYNCED_TABLES`, restated), parents
/// first.
pub const SYNCED: &[&str] = &[
    "issues",
    "logs",
    "comments",
    "handoffs",
    "boards",
    "work_sessions",
    "board_issue_positions",
    "issue_dependencies",
    "issue_files",
    "work_session_issues",
    "issue_reviews",
    "notes",
];

/// Tables replaced in place on a create (upsert), so ON DELETE CASCADE never fires for a
/// replace (docs/deviations.md, "Create on a cascade parent is an in-place replace").
pub const UPSERTED: &[&str] = &["issues", "boards", "work_sessions"];

/// SQLite column affinity (datatype3.html §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Text,
    Numeric,
    Integer,
    Real,
    Blob,
}

impl Affinity {
    fn of(decl: &str) -> Affinity {
        let d = decl.to_ascii_uppercase();
        if d.contains("INT") {
            Affinity::Integer
        } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
            Affinity::Text
        } else if d.contains("BLOB") || d.is_empty() {
            Affinity::Blob
        } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }
}

/// A column's default when a row is written without it.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnDefault {
    Value(Value),
    /// `CURRENT_TIMESTAMP`: the time the row was written on each replica.
    ApplyTime,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub affinity: Affinity,
    pub not_null: bool,
    pub default: ColumnDefault,
    /// Declared exactly `TEXT DEFAULT ''`: a JSON null lands as `''` (sync spec §7.6).
    pub text_default_empty: bool,
}

/// A single-column foreign key.
#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub column: String,
    pub parent: String,
    pub parent_column: String,
    pub cascade: bool,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Unique keys other than the primary key (each a column list).
    pub unique: Vec<Vec<String>>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn has(&self, name: &str) -> bool {
        self.column(name).is_some()
    }
}

/// Every synced table by name.
#[derive(Debug, Clone)]
pub struct Schema {
    tables: BTreeMap<String, Table>,
}

impl Schema {
    /// Builds td's schema in memory and reads every synced table's shape from it.
    pub fn load() -> Result<Schema, VerifyError> {
        let setup = |what: &str, e: rusqlite::Error| {
            VerifyError::Setup(format!("oracle: {what} of td's schema: {e}"))
        };
        let conn = Connection::open_in_memory().map_err(|e| setup("open", e))?;
        td_core::schema::create(&conn).map_err(|e| setup("create", e))?;
        let mut tables = BTreeMap::new();
        for name in SYNCED {
            let t = read_table(&conn, name).map_err(|e| setup(&format!("read {name}"), e))?;
            if t.columns.is_empty() {
                return Err(VerifyError::Setup(format!(
                    "oracle: td's schema has no table {name}"
                )));
            }
            tables.insert(name.to_string(), t);
        }
        Ok(Schema { tables })
    }

    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// Foreign keys in other tables that point at `parent`, as (child table, key).
    pub fn referencing<'a>(
        &'a self,
        parent: &'a str,
    ) -> impl Iterator<Item = (&'a Table, &'a ForeignKey)> + 'a {
        self.tables.values().flat_map(move |t| {
            t.foreign_keys
                .iter()
                .filter(move |fk| fk.parent == parent)
                .map(move |fk| (t, fk))
        })
    }
}

fn read_table(conn: &Connection, name: &str) -> rusqlite::Result<Table> {
    let mut stmt = conn.prepare(
        "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?1) ORDER BY cid",
    )?;
    let columns = stmt
        .query_map([name], |r| {
            let decl: String = r.get::<_, Option<String>>(1)?.unwrap_or_default();
            let default: Option<String> = r.get(3)?;
            Ok(Column {
                name: r.get(0)?,
                affinity: Affinity::of(&decl),
                not_null: r.get::<_, i64>(2)? != 0,
                text_default_empty: decl == "TEXT" && default.as_deref() == Some("''"),
                default: parse_default(default.as_deref()),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
    )?;
    let rows = stmt
        .query_map([name], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let foreign_keys = rows
        .iter()
        .filter(|(id, ..)| rows.iter().filter(|r| r.0 == *id).count() == 1)
        .map(|(_, parent, from, to, on_delete)| ForeignKey {
            column: from.clone(),
            parent: parent.clone(),
            parent_column: to.clone().unwrap_or_else(|| "id".into()),
            cascade: on_delete.eq_ignore_ascii_case("CASCADE"),
        })
        .collect();
    Ok(Table {
        name: name.to_string(),
        columns,
        foreign_keys,
        unique: unique_keys(conn, name)?,
    })
}

/// Unique indexes (origin `u`: a UNIQUE constraint), each as its column list.
fn unique_keys(conn: &Connection, table: &str) -> rusqlite::Result<Vec<Vec<String>>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM pragma_index_list(?1) WHERE \"unique\" = 1 AND origin = 'u' ORDER BY name",
    )?;
    let names = stmt
        .query_map([table], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for index in names {
        let mut stmt = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")?;
        let cols = stmt
            .query_map([&index], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(cols);
    }
    Ok(out)
}

/// A `dflt_value` as written in the DDL: `''`/`'x'` text, bare numbers, `CURRENT_TIMESTAMP`.
fn parse_default(text: Option<&str>) -> ColumnDefault {
    let Some(t) = text.map(str::trim) else {
        return ColumnDefault::Value(Value::Null);
    };
    if t.eq_ignore_ascii_case("CURRENT_TIMESTAMP") {
        return ColumnDefault::ApplyTime;
    }
    if t.len() >= 2 && t.starts_with('\'') && t.ends_with('\'') {
        return ColumnDefault::Value(Value::Text(t[1..t.len() - 1].replace("''", "'")));
    }
    if let Ok(i) = t.parse::<i64>() {
        return ColumnDefault::Value(Value::Integer(i));
    }
    if let Ok(f) = t.parse::<f64>() {
        return ColumnDefault::Value(Value::Real(f));
    }
    if t.eq_ignore_ascii_case("NULL") {
        return ColumnDefault::Value(Value::Null);
    }
    ColumnDefault::Value(Value::Text(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_columns_defaults_keys_from_tds_ddl() {
        let s = Schema::load().unwrap();
        let issues = s.table("issues").unwrap();
        let status = issues.column("status").unwrap();
        assert!(status.not_null);
        assert_eq!(
            status.default,
            ColumnDefault::Value(Value::Text("open".into()))
        );
        assert!(issues.column("description").unwrap().text_default_empty);
        assert_eq!(
            issues.column("created_at").unwrap().default,
            ColumnDefault::ApplyTime
        );
        assert_eq!(issues.column("points").unwrap().affinity, Affinity::Integer);
        assert_eq!(
            issues.column("closed_at").unwrap().affinity,
            Affinity::Numeric
        );
        let pos = s.table("board_issue_positions").unwrap();
        assert_eq!(pos.unique, vec![vec!["board_id", "issue_id"]]);
        assert!(pos
            .foreign_keys
            .iter()
            .any(|fk| fk.column == "board_id" && fk.parent == "boards" && fk.cascade));
        let reviews = s.table("issue_reviews").unwrap();
        assert!(!reviews.foreign_keys[0].cascade);
        let children: Vec<&str> = s
            .referencing("boards")
            .map(|(t, _)| t.name.as_str())
            .collect();
        assert_eq!(children, ["board_issue_positions"]);
    }
}
