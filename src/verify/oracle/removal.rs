//! Removing rows: hard deletes with ON DELETE CASCADE, the non-cascading key that fails a
//! delete, and an issue's children losing their parent_id.

use rusqlite::types::Value;

use super::fold::{key_text, Fold};
use super::state::{Cell, Expect, How, Removal, Writer};

impl Fold<'_> {
    /// Removes a row and, through ON DELETE CASCADE, every row that references it.
    pub(super) fn remove(&mut self, table: &str, id: &str, seq: i64, why: String) {
        for (child, rid) in self.cascade_set(table, id) {
            if (child.as_str(), rid.as_str()) == (table, id) {
                continue;
            }
            let why = format!("cascade from {table}/{id}");
            self.drop_row(&child, &rid, seq, why);
        }
        self.drop_row(table, id, seq, why);
    }

    pub(super) fn drop_row(&mut self, table: &str, id: &str, seq: i64, why: String) {
        if let Some(rows) = self.state.rows.get_mut(table) {
            if rows.remove(id).is_some() {
                self.state
                    .removed
                    .insert((table.to_string(), id.to_string()), Removal { seq, why });
            }
        }
    }

    /// `(table, id)` and every row reachable through cascading foreign keys.
    pub(super) fn cascade_set(&self, table: &str, id: &str) -> Vec<(String, String)> {
        let mut out = vec![(table.to_string(), id.to_string())];
        let mut i = 0;
        while i < out.len() {
            let (t, rid) = out[i].clone();
            i += 1;
            let Some(row) = self.state.row(&t, &rid) else {
                continue;
            };
            for (child, fk) in self.schema.referencing(&t).filter(|(_, fk)| fk.cascade) {
                let Some(parent_key) = row.value(&fk.parent_column).and_then(key_text) else {
                    continue;
                };
                for (cid, crow) in self.table_rows(&child.name) {
                    let hit = crow.value(&fk.column).and_then(key_text).as_deref()
                        == Some(parent_key.as_str());
                    let pair = (child.name.clone(), cid.clone());
                    if hit && !out.contains(&pair) {
                        out.push(pair);
                    }
                }
            }
        }
        out
    }

    pub(super) fn delete(&mut self, table: &str, id: &str, seq: i64) -> Result<(), String> {
        let doomed = if self.exists(table, id) {
            self.cascade_set(table, id)
        } else {
            Vec::new()
        };
        // A row still referenced by a non-cascading key fails the whole event.
        for (t, rid) in &doomed {
            let Some(row) = self.state.row(t, rid) else {
                continue;
            };
            for (child, fk) in self.schema.referencing(t).filter(|(_, fk)| !fk.cascade) {
                let Some(key) = row.value(&fk.parent_column).and_then(key_text) else {
                    continue;
                };
                let holder = self.table_rows(&child.name).find(|(cid, crow)| {
                    !doomed.contains(&(child.name.clone(), (*cid).clone()))
                        && crow.value(&fk.column).and_then(key_text).as_deref() == Some(&key)
                });
                if let Some((cid, _)) = holder {
                    return Err(format!(
                        "FOREIGN KEY constraint failed: {}/{cid} still references {t}/{rid}",
                        child.name
                    ));
                }
            }
        }
        if table == "issues" {
            let by = Writer {
                seq,
                how: How::ParentDeleted,
            };
            let children: Vec<String> = self
                .table_rows("issues")
                .filter(|(_, r)| r.text("parent_id") == Some(id))
                .map(|(cid, _)| cid.clone())
                .collect();
            for cid in children {
                if let Some(r) = self.row_mut("issues", &cid) {
                    let cleared = Cell::new(Expect::Value(Value::Text(String::new())), by);
                    r.cells.insert("parent_id".into(), cleared);
                }
            }
        }
        if doomed.is_empty() {
            return Ok(());
        }
        self.remove(table, id, seq, "hard-deleted".into());
        Ok(())
    }
}
