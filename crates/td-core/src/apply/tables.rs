//! Per-page cache of table shapes: columns, the `TEXT DEFAULT ''` set, cascade FKs.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use super::error::ApplyError;
use crate::schema::{column_is_text_default_empty, table_columns};

/// A single-column foreign key declared `ON DELETE CASCADE`.
#[derive(Debug, Clone)]
pub(crate) struct CascadeFk {
    pub column: String,
    pub parent: String,
    pub parent_column: String,
}

/// What apply needs to know about one table.
#[derive(Debug, Clone)]
pub(crate) struct TableInfo {
    pub columns: Vec<String>,
    pub text_default_empty: HashSet<String>,
    pub cascade_fks: Vec<CascadeFk>,
}

impl TableInfo {
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }
}

/// Lazily filled cache; the schema does not change while a page is applied.
#[derive(Debug, Default)]
pub(crate) struct TableCache {
    tables: HashMap<String, TableInfo>,
}

impl TableCache {
    pub fn get(&mut self, conn: &Connection, table: &str) -> Result<&TableInfo, ApplyError> {
        if !self.tables.contains_key(table) {
            let info = load(conn, table)?;
            self.tables.insert(table.to_string(), info);
        }
        Ok(&self.tables[table])
    }
}

fn load(conn: &Connection, table: &str) -> Result<TableInfo, ApplyError> {
    let ctx = || format!("read schema of {table}");
    let cols = table_columns(conn, table).map_err(ApplyError::sql(ctx()))?;
    if cols.is_empty() {
        return Err(ApplyError::NoSuchTable(table.to_string()));
    }
    let mut text_default_empty = HashSet::new();
    for c in &cols {
        if column_is_text_default_empty(conn, table, &c.name).map_err(ApplyError::sql(ctx()))? {
            text_default_empty.insert(c.name.clone());
        }
    }
    Ok(TableInfo {
        columns: cols.into_iter().map(|c| c.name).collect(),
        text_default_empty,
        cascade_fks: cascade_fks(conn, table).map_err(ApplyError::sql(ctx()))?,
    })
}

/// Single-column `ON DELETE CASCADE` foreign keys of `table`.
fn cascade_fks(conn: &Connection, table: &str) -> rusqlite::Result<Vec<CascadeFk>> {
    let mut stmt = conn.prepare("SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")?;
    let rows = stmt.query_map([table], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, String>(4)?,
        ))
    })?;
    let rows: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
    let mut fks = Vec::new();
    for (id, parent, from, to, on_delete) in &rows {
        let single = rows.iter().filter(|r| r.0 == *id).count() == 1;
        if single && on_delete.eq_ignore_ascii_case("CASCADE") {
            fks.push(CascadeFk {
                column: from.clone(),
                parent: parent.clone(),
                parent_column: to.clone().unwrap_or_else(|| "id".to_string()),
            });
        }
    }
    Ok(fks)
}
