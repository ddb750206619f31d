//! Reading an actor's database for a scenario's assertions: one read-only connection per
//! question (td holds no lock between commands), values kept typed so `8` and `"8"` differ.
//! A read error is an Unknown result, a missing row an Invalid one — never a pass.

use rusqlite::types::Value;
use rusqlite::Params;

use super::ctx::Ctx;
use crate::driver::Driver;
use crate::verify::db::{as_int, as_text, render_value, ReadOnlyDb, Row};
use crate::verify::diff::{row_diff, truncate_chars};
use crate::verify::tables::ISSUE_FIELDS;
use crate::verify::VerifyError;

/// `Value::Text`.
pub fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// `Value::Integer`.
pub fn int(i: i64) -> Value {
    Value::Integer(i)
}

/// Issue columns a scenario may ask for besides the compared [`ISSUE_FIELDS`] (identifiers
/// cannot be bound, so they come from these fixed lists, never from data).
const EXTRA_ISSUE_COLUMNS: &[&str] = &["closed_by_session"];

/// `column` when it is a known issue column; a scenario asking for another is a bug.
fn issue_column(column: &str) -> &'static str {
    ISSUE_FIELDS
        .iter()
        .chain(EXTRA_ISSUE_COLUMNS)
        .find(|c| **c == column)
        .unwrap_or_else(|| panic!("{column:?} is not a known issue column"))
}

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
            .and_then(as_int)
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
            .map(|r| match r.first() {
                Some(v) => as_text(v).map_or_else(|| render_value(v), str::to_string),
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
        let sql = format!("SELECT {} FROM issues WHERE id = ?1", issue_column(column));
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
        Ok(rows.first().map(|r| r.first().and_then(as_int) == Some(1)))
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
        let got = self.issue_field(actor, id, column);
        self.judge_issue(&name, actor, id, got, |c, got| {
            if got == *want {
                c.pass(&name, format!("{id} has {}", shown(&got)));
                true
            } else {
                let details = format!("{id}: expected {}, got {}", shown(want), shown(&got));
                c.fail(&name, details);
                false
            }
        })
    }

    /// Asserts an issue's deleted-ness on one actor: result `<what>: deleted [<actor>]`.
    pub fn expect_deleted(&mut self, what: &str, actor: &str, id: &str, want: bool) -> bool {
        let name = format!("{what}: deleted [{actor}]");
        let got = self.deleted(actor, id);
        self.judge_issue(&name, actor, id, got, |c, got| {
            let details = format!("{id}: deleted={got} (expected {want})");
            c.check(&name, got == want, details)
        })
    }

    /// `judge`s an issue read that succeeded; a missing issue is Invalid, a read error Unknown.
    fn judge_issue<T>(
        &mut self,
        name: &str,
        actor: &str,
        id: &str,
        got: Result<Option<T>, VerifyError>,
        judge: impl FnOnce(&mut Self, T) -> bool,
    ) -> bool {
        match got {
            Ok(Some(got)) => judge(self, got),
            Ok(None) => {
                self.fail(name, format!("issue {id} does not exist on {actor}"));
                false
            }
            Err(e) => {
                self.unknown(name, e.to_string());
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
        self.on_every_actor(|c, a| c.expect_field(what, a, id, column, want))
    }

    /// [`Ctx::expect_deleted`] on every actor.
    pub fn expect_deleted_everywhere(&mut self, what: &str, id: &str, want: bool) -> bool {
        self.on_every_actor(|c, a| c.expect_deleted(what, a, id, want))
    }

    /// Runs `expect` for every actor (all of them, even after a failure); true when all pass.
    fn on_every_actor(&mut self, mut expect: impl FnMut(&mut Self, &str) -> bool) -> bool {
        let mut ok = true;
        for a in self.harness().actors() {
            ok &= expect(self, &a);
        }
        ok
    }
}
