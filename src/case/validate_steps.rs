//! Validating a `steps` case: each `[[step]]` does exactly one thing, names a known actor,
//! and only uses `{name}` placeholders an earlier step saved. Keys in errors are
//! `step[N].key` (N 1-based).

use std::ops::Range;

use toml::Spanned;

use super::error::Cx;
use super::placeholder::{is_name, placeholders};
use super::schema::{ConcurrentFile, SqlFile, StepFile, StepsFile};
use super::validate::{actors, check_names};
use super::{
    validate_faults, CaseError, CaseKind, ConcurrentTd, Expect, SqlExpect, SqlLiteral, Step,
    StepAction, StepsCase, SyncTarget, DEFAULT_ACTORS,
};

pub(super) fn steps(cx: &Cx<'_>, f: StepsFile) -> Result<(bool, CaseKind), CaseError> {
    let n = actors(cx, &f.actors)?;
    if f.step.is_empty() {
        return Err(cx.error(0..0, "step", "a steps case needs at least one [[step]]"));
    }
    let mut v = StepValidator {
        cx,
        actors: &DEFAULT_ACTORS[..n],
        saved: Vec::new(),
        index: 0,
    };
    let steps = f
        .step
        .iter()
        .map(|s| v.step(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((f.ignored, CaseKind::Steps(StepsCase { actors: n, steps })))
}

/// Validates steps in order, tracking the names saved so far.
struct StepValidator<'a> {
    cx: &'a Cx<'a>,
    actors: &'a [&'static str],
    saved: Vec<String>,
    /// 1-based number of the step being validated.
    index: usize,
}

impl StepValidator<'_> {
    /// `step[N].k` for the current step.
    fn key(&self, k: &str) -> String {
        format!("step[{}].{k}", self.index)
    }

    fn error(&self, span: Range<usize>, k: &str, message: impl Into<String>) -> CaseError {
        self.cx.error(span, self.key(k), message)
    }

    fn step(&mut self, s: &Spanned<StepFile>) -> Result<Step, CaseError> {
        self.index += 1;
        let f = s.get_ref();
        let action =
            match f.actions().as_slice() {
                [] => return Err(self.cx.error(
                    s.span(),
                    format!("step[{}]", self.index),
                    "a step needs exactly one of td, sync, fault, heal, verify, sql, concurrent; it has none",
                )),
                [(only, _)] => *only,
                [(first, _), (second, span), ..] => {
                    return Err(self.error(
                        span.clone(),
                        second,
                        format!(
                            "a step does exactly one of td, sync, fault, heal, verify, sql, concurrent; \
                         this one has both `{first}` and `{second}`"
                        ),
                    ))
                }
            };
        if action != "td" {
            self.reject_td_only_keys(f, action == "sync")?;
        }
        let action = match action {
            "td" => self.td(f)?,
            "sync" => self.sync(f.sync.as_ref().expect("present"), self.expect(f)?)?,
            "fault" => StepAction::Fault(validate_faults::step_fault(
                self.cx,
                &self.key("fault"),
                f.fault.as_ref().expect("present"),
                self.actors,
            )?),
            "heal" => self.heal(f.heal.as_ref().expect("present"))?,
            "verify" => StepAction::Verify(check_names(
                self.cx,
                &self.key("verify"),
                f.verify.as_ref().expect("present"),
            )?),
            "concurrent" => self.concurrent(f.concurrent.as_ref().expect("present"))?,
            _ => self.sql(f.sql.as_ref().expect("present"))?,
        };
        Ok(Step {
            line: self.cx.line_of(s.span().start),
            action,
        })
    }

    fn reject_td_only_keys(&self, f: &StepFile, sync: bool) -> Result<(), CaseError> {
        let extra = f
            .td_only_keys()
            .into_iter()
            .find(|(k, _)| !(sync && *k == "expect"));
        match extra {
            None => Ok(()),
            Some((k, span)) => Err(self.error(span, k, format!("`{k}` belongs to td steps only"))),
        }
    }

    fn actor(&self, k: &str, v: &Spanned<String>) -> Result<String, CaseError> {
        self.cx.value(
            v,
            self.key(k),
            |a| self.actors.contains(&a.as_str()).then(|| a.clone()),
            |a| {
                format!(
                    "unknown actor {a:?} (this case has {})",
                    self.actors.join(", ")
                )
            },
        )
    }

    fn td(&mut self, f: &StepFile) -> Result<StepAction, CaseError> {
        let td = f.td.as_ref().expect("present");
        let Some(actor) = f.actor.as_ref() else {
            return Err(self.error(td.span(), "actor", "a td step needs `actor`"));
        };
        let actor = self.actor("actor", actor)?;
        if td.get_ref().is_empty() {
            return Err(self.error(td.span(), "td", "td needs at least one argument"));
        }
        for arg in td.get_ref() {
            self.placeholders_known("td", td.span(), arg)?;
        }
        let expect = self.expect(f)?;
        let save = f.save.as_ref().map(|s| self.save(s)).transpose()?;
        Ok(StepAction::Td {
            actor,
            args: td.get_ref().clone(),
            save,
            expect,
            output_contains: f.output_contains.as_ref().map(|o| o.get_ref().clone()),
        })
    }

    fn expect(&self, f: &StepFile) -> Result<Expect, CaseError> {
        match &f.expect {
            None => Ok(Expect::Ok),
            Some(e) => self.cx.value(
                e,
                self.key("expect"),
                |s| Expect::parse(s),
                |s| format!("expect must be ok, fail or any, got {s:?}"),
            ),
        }
    }

    fn concurrent(
        &self,
        v: &Spanned<Vec<Spanned<ConcurrentFile>>>,
    ) -> Result<StepAction, CaseError> {
        if v.get_ref().len() < 2 {
            return Err(self.error(
                v.span(),
                "concurrent",
                "concurrent needs at least two `{ actor, td }` entries",
            ));
        }
        let mut out = Vec::new();
        for item in v.get_ref() {
            let f = item.get_ref();
            let actor = self.actor("concurrent.actor", &f.actor)?;
            if f.td.get_ref().is_empty() {
                return Err(self.error(
                    f.td.span(),
                    "concurrent.td",
                    "td needs at least one argument",
                ));
            }
            for arg in f.td.get_ref() {
                self.placeholders_known("concurrent.td", f.td.span(), arg)?;
            }
            out.push(ConcurrentTd {
                actor,
                args: f.td.get_ref().clone(),
            });
        }
        Ok(StepAction::Concurrent(out))
    }

    fn heal(&self, v: &Spanned<bool>) -> Result<StepAction, CaseError> {
        if !*v.get_ref() {
            return Err(self.error(v.span(), "heal", "heal takes only `true`"));
        }
        Ok(StepAction::Heal)
    }

    fn save(&mut self, s: &Spanned<String>) -> Result<String, CaseError> {
        let name = s.get_ref();
        if !is_name(name) {
            return Err(self.error(
                s.span(),
                "save",
                format!("save name must be letters, digits or _, got {name:?}"),
            ));
        }
        if self.saved.contains(name) {
            return Err(self.error(
                s.span(),
                "save",
                format!("{{{name}}} is already saved by an earlier step"),
            ));
        }
        self.saved.push(name.clone());
        Ok(name.clone())
    }

    /// Every `{name}` in `text` was saved by an earlier step.
    fn placeholders_known(&self, k: &str, span: Range<usize>, text: &str) -> Result<(), CaseError> {
        match placeholders(text)
            .into_iter()
            .find(|name| !self.saved.iter().any(|s| s == name))
        {
            None => Ok(()),
            Some(name) => Err(self.error(
                span,
                k,
                format!("{{{name}}} is used before any step saved it"),
            )),
        }
    }

    fn sync(&self, v: &Spanned<String>, expect: Expect) -> Result<StepAction, CaseError> {
        let target = if v.get_ref() == "all" {
            SyncTarget::All
        } else {
            let actor = self.actor("sync", v).map_err(|mut e| {
                e.message = format!("sync must be \"all\" or an actor name; {}", e.message);
                e
            })?;
            SyncTarget::Actor(actor)
        };
        Ok(StepAction::Sync { target, expect })
    }

    fn sql(&self, v: &Spanned<SqlFile>) -> Result<StepAction, CaseError> {
        let f = v.get_ref();
        let actor = self.actor("sql.actor", &f.actor)?;
        let query = f.query.get_ref();
        let head = query.trim_start().to_ascii_lowercase();
        if !(head.starts_with("select") || head.starts_with("with")) {
            return Err(self.error(
                f.query.span(),
                "sql.query",
                "query must be a SELECT (or WITH … SELECT)",
            ));
        }
        self.placeholders_known("sql.query", f.query.span(), query)?;
        let expect = match (&f.equals, &f.rows) {
            (Some(e), None) => {
                SqlExpect::Equals(self.literal("sql.equals", e.span(), e.get_ref())?)
            }
            (None, Some(r)) => SqlExpect::Rows(
                r.get_ref()
                    .iter()
                    .map(|row| {
                        row.iter()
                            .map(|c| self.literal("sql.rows", r.span(), c))
                            .collect()
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => {
                return Err(self.error(
                    v.span(),
                    "sql.equals",
                    "sql needs exactly one of `equals` and `rows`",
                ))
            }
        };
        Ok(StepAction::Sql {
            actor,
            query: query.clone(),
            expect,
        })
    }

    /// A typed value of a sql step; text may hold `{name}` placeholders like the query.
    fn literal(
        &self,
        k: &str,
        span: Range<usize>,
        v: &toml::Value,
    ) -> Result<SqlLiteral, CaseError> {
        Ok(match v {
            toml::Value::String(s) => {
                self.placeholders_known(k, span, s)?;
                SqlLiteral::Text(s.clone())
            }
            toml::Value::Integer(i) => SqlLiteral::Integer(*i),
            toml::Value::Float(f) => SqlLiteral::Real(*f),
            toml::Value::Boolean(b) => SqlLiteral::Integer(i64::from(*b)),
            other => {
                return Err(self.error(
                    span,
                    k,
                    format!(
                        "expected a string, integer, float or boolean, got {}",
                        other.type_str()
                    ),
                ))
            }
        })
    }
}
