//! Reading an actor's database for a scenario's assertions: one read-only connection per
//! question (td holds no lock between commands), values kept typed so `8` and `"8"` differ.
//! A read error is an Unknown result, a missing row an Invalid one — never a pass.

use rusqlite::types::Value;
use rusqlite::Params;

use super::ctx::Ctx;
use crate::driver::Driver;
use crate::verify::db::{render_value, ReadOnlyDb, Row};
use crate::verify::diff::{row_diff, truncate_chars};
use crate::verify::VerifyError;

/// `Value::Text`.
pub fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// `Value::Integer`.
pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

/// Issue columns a scenario may ask for (identifiers cannot be bound, so they come from this
/// fixed list, never from data).
const ISSUE_COLUMNS: &[&str] = &[
    "title",
    "description",
    "status",
    "type",
    "priority",
    "points",
    "labels",
    "parent_id",
    "sprint",
    "implementer_session",
    "closed_by_session",
    "creator_session",
];

/// Characters of a rendered value shown in a result.
const VALUE_CHARS: usize = 300;

fn shown(v: &Value) -> String {
    truncate_chars(&render_value(v), VALUE_CHARS)
}

impl Ctx<'_> {
    /// Every row of `sql` on `actor`'s database.
    pub fn rows<P: Params>(
        &self,
        actor: &str,
        sql: &str,
        params: P,
    ) -> Result<Vec<Row>, VerifyError> {
        ReadOnlyDb::open(&self.harness().db_path(actor))?.rows(sql, params)
    }

    /// The single integer `sql` returns on `actor`'s database; -1 when it returns none (NULL
    /// or no row).
    pub fn count<P: Params>(&self, actor: &str, sql: &str, params: P) -> Result<i64, VerifyError> {
        let rows = self.rows(actor, sql, params)?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(|v| match v {
                Value::Integer(i) => Some(*i),
                _ => None,
            })
            .unwrap_or(-1))
    }

    /// The first column of every row of `sql` on `actor`, as text (other types rendered),
    /// sorted: a multiset to compare with an expected one.
    pub fn texts<P: Params>(
        &self,
        actor: &str,
        sql: &str,
        params: P,
    ) -> Result<Vec<String>, VerifyError> {
        let mut out: Vec<String> = self
            .rows(actor, sql, params)?
            .into_iter()
            .map(|r| match r.into_iter().next() {
                Some(Value::Text(s)) => s,
                Some(v) => render_value(&v),
                None => String::new(),
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// Asserts [`Ctx::texts`] equals `want` as a multiset: result `<what> [<actor>]`.
    pub fn expect_texts<P: Params>(
        &mut self,
        what: &str,
        actor: &str,
        sql: &str,
        params: P,
        want: &[String],
    ) -> bool {
        let name = format!("{what} [{actor}]");
        let mut want = want.to_vec();
        want.sort();
        match self.texts(actor, sql, params) {
            Ok(got) if got == want => {
                let shown = got.join(", ");
                let details = if got.len() <= 3 && shown.len() <= 300 {
                    format!("{} rows as expected: {shown}", got.len())
                } else {
                    format!("{} rows as expected", got.len())
                };
                self.pass(&name, details);
                true
            }
            Ok(got) => {
                let diff = row_diff(actor, &got, "expected", &want).unwrap_or_default();
                self.fail(&name, diff);
                false
            }
            Err(e) => {
                self.unknown(&name, e.to_string());
                false
            }
        }
    }

    /// One column of one issue (deleted or not); `Ok(None)` when the row does not exist.
    pub fn issue_field(
        &self,
        actor: &str,
        id: &str,
        column: &str,
    ) -> Result<Option<Value>, VerifyError> {
        let column = ISSUE_COLUMNS
            .iter()
            .find(|c| **c == column)
            .unwrap_or_else(|| panic!("issue column {column:?} is not in ISSUE_COLUMNS"));
        let sql = format!("SELECT {column} FROM issues WHERE id = ?1");
        let rows = self.rows(actor, &sql, [id])?;
        Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()))
    }

    /// Whether the issue is soft-deleted; `Ok(None)` when the row does not exist.
    pub fn deleted(&self, actor: &str, id: &str) -> Result<Option<bool>, VerifyError> {
        let rows = self.rows(
            actor,
            "SELECT deleted_at IS NOT NULL FROM issues WHERE id = ?1",
            [id],
        )?;
        Ok(rows
            .first()
            .map(|r| matches!(r.first(), Some(Value::Integer(1)))))
    }

    /// Asserts one issue column on one actor: result `<what>: <column> [<actor>]`.
    pub fn expect_field(
        &mut self,
        what: &str,
        actor: &str,
        id: &str,
        column: &str,
        want: &Value,
    ) -> bool {
        let name = format!("{what}: {column} [{actor}]");
        match self.issue_field(actor, id, column) {
            Ok(Some(got)) if got == *want => {
                self.pass(&name, format!("{id} has {}", shown(&got)));
                true
            }
            Ok(Some(got)) => {
                let details = format!("{id}: expected {}, got {}", shown(want), shown(&got));
                self.fail(&name, details);
                false
            }
            Ok(None) => {
                self.fail(&name, format!("issue {id} does not exist on {actor}"));
                false
            }
            Err(e) => {
                self.unknown(&name, e.to_string());
                false
            }
        }
    }

    /// Asserts an issue's deleted-ness on one actor: result `<what>: deleted [<actor>]`.
    pub fn expect_deleted(&mut self, what: &str, actor: &str, id: &str, want: bool) -> bool {
        let name = format!("{what}: deleted [{actor}]");
        match self.deleted(actor, id) {
            Ok(Some(got)) => self.check(
                &name,
                got == want,
                format!("{id}: deleted={got} (expected {want})"),
            ),
            Ok(None) => {
                self.fail(&name, format!("issue {id} does not exist on {actor}"));
                false
            }
            Err(e) => {
                self.unknown(&name, e.to_string());
                false
            }
        }
    }

    /// Asserts the integer `sql` returns on `actor`: result `<what> [<actor>]`.
    pub fn expect_count<P: Params>(
        &mut self,
        what: &str,
        actor: &str,
        sql: &str,
        params: P,
        want: i64,
    ) -> bool {
        let name = format!("{what} [{actor}]");
        match self.count(actor, sql, params) {
            Ok(got) => self.check(
                &name,
                got == want,
                format!("{got} (expected {want}; {sql})"),
            ),
            Err(e) => {
                self.unknown(&name, e.to_string());
                false
            }
        }
    }

    /// The same assertion on every actor of the world.
    pub fn expect_field_everywhere(
        &mut self,
        what: &str,
        id: &str,
        column: &str,
        want: &Value,
    ) -> bool {
        let mut ok = true;
        for a in self.harness().actors() {
            ok &= self.expect_field(what, &a, id, column, want);
        }
        ok
    }

    /// [`Ctx::expect_deleted`] on every actor.
    pub fn expect_deleted_everywhere(&mut self, what: &str, id: &str, want: bool) -> bool {
        let mut ok = true;
        for a in self.harness().actors() {
            ok &= self.expect_deleted(what, &a, id, want);
        }
        ok
    }
}
