//! Parsing one case file: `kind` picks the schema, serde reads it (syntax, types, unknown
//! keys), then each value is checked and turned into its runtime form. Steps cases continue
//! in `validate_steps`. Every error is located by [`Cx`].

use std::path::Path;

use toml::Spanned;

use super::error::Cx;
use super::schema::{ChaosFile, KindProbe, ScenarioFile};
use super::SyncMode;
use super::{
    validate_faults, validate_steps, Budget, Case, CaseError, CaseKind, ChaosCase, ScenarioCase,
};
use crate::config::parse_duration;
use crate::verify::CheckKind;

/// Parses and validates one case file's text. `name` and `path` are recorded in the case
/// and in errors.
pub fn parse(name: &str, path: &Path, text: &str) -> Result<Case, CaseError> {
    let cx = Cx { path, text };
    let probe: KindProbe = cx.deserialize()?;
    let Some(kind) = probe.kind else {
        return Err(cx.error(
            0..0,
            "kind",
            "missing key `kind` (chaos, scenario or steps)",
        ));
    };
    let (ignored, kind) = match kind.get_ref().as_str() {
        "chaos" => chaos(&cx, cx.deserialize()?)?,
        "scenario" => scenario(&cx, cx.deserialize()?)?,
        "steps" => validate_steps::steps(&cx, cx.deserialize()?)?,
        other => {
            return Err(cx.error(
                kind.span(),
                "kind",
                format!("unknown kind {other:?} (expected chaos, scenario or steps)"),
            ))
        }
    };
    let expect_quarantine = match probe.expect_quarantine {
        None => Vec::new(),
        Some(list) => cx.value(
            &list,
            "expect_quarantine",
            |l| (!l.is_empty() && l.iter().all(|k| !k.trim().is_empty())).then(|| l.clone()),
            |_| "expect_quarantine lists event kinds: `entity_type` or `action:entity_type`".into(),
        )?,
    };
    Ok(Case {
        name: name.to_string(),
        path: path.to_path_buf(),
        ignored,
        kind,
        expect_quarantine,
    })
}

/// `actors`: 2 or 3.
pub(super) fn actors(cx: &Cx<'_>, v: &Spanned<i64>) -> Result<usize, CaseError> {
    cx.value(
        v,
        "actors",
        |n| matches!(n, 2 | 3).then_some(*n as usize),
        |n| format!("actors must be 2 or 3, got {n}"),
    )
}

pub(super) fn non_negative(n: &i64) -> Option<u64> {
    u64::try_from(*n).ok()
}

/// `seed`: ≥ 0 when given.
fn seed(cx: &Cx<'_>, v: Option<&Spanned<i64>>) -> Result<Option<u64>, CaseError> {
    v.map(|s| {
        cx.value(s, "seed", non_negative, |n| {
            format!("seed must be ≥ 0, got {n}")
        })
    })
    .transpose()
}

/// A non-empty list of distinct check names.
pub(super) fn check_names(
    cx: &Cx<'_>,
    key: &str,
    v: &Spanned<Vec<Spanned<String>>>,
) -> Result<Vec<CheckKind>, CaseError> {
    if v.get_ref().is_empty() {
        return Err(cx.error(
            v.span(),
            key,
            format!("`{key}` needs at least one check: {}", CheckKind::names()),
        ));
    }
    let mut out = Vec::new();
    for name in v.get_ref() {
        let kind = cx.value(
            name,
            key,
            |n| CheckKind::parse(n),
            |n| {
                format!(
                    "unknown check {n:?} (expected one of: {})",
                    CheckKind::names()
                )
            },
        )?;
        if out.contains(&kind) {
            return Err(cx.error(name.span(), key, format!("check {kind} is listed twice")));
        }
        out.push(kind);
    }
    Ok(out)
}

fn chaos(cx: &Cx<'_>, f: ChaosFile) -> Result<(bool, CaseKind), CaseError> {
    // Checked in this order so a file with several mistakes always reports the same one.
    let budget = budget(cx, &f)?;
    let sync_mode = match &f.sync_mode {
        None => SyncMode::Adaptive,
        Some(m) => cx.value(
            m,
            "sync_mode",
            |s| SyncMode::parse(s),
            |s| format!("unknown sync_mode {s:?} (adaptive, aggressive or random)"),
        )?,
    };
    let conflict_rate = match &f.conflict_rate {
        None => 20,
        Some(c) => cx.value(
            c,
            "conflict_rate",
            |n| u8::try_from(*n).ok().filter(|n| *n <= 100),
            |n| format!("conflict_rate must be 0–100, got {n}"),
        )?,
    };
    let verify = match &f.verify {
        None => CheckKind::ALL.to_vec(),
        Some(v) => check_names(cx, "verify", v)?,
    };
    let actors = actors(cx, &f.actors)?;
    let faults = match &f.faults {
        None => Default::default(),
        Some(x) => validate_faults::plan(cx, x, actors)?,
    };
    let access = match &f.access {
        None => super::AccessPlan::default(),
        Some(a) => super::AccessPlan {
            reader: a.reader,
            outsider: a.outsider,
            remove_reader_after: match &a.remove_reader_after {
                None => 0,
                Some(n) => cx.value(
                    n,
                    "access.remove_reader_after",
                    |n| non_negative(n).filter(|_| a.reader),
                    |n| format!("remove_reader_after needs reader = true and a count ≥ 0, got {n}"),
                )?,
            },
        },
    };
    let sizes = super::SyncSizes {
        push_batch: bounded(cx, f.push_batch.as_ref(), "push_batch", 1000)?,
        pull_limit: bounded(cx, f.pull_limit.as_ref(), "pull_limit", 10_000)?,
    };
    let case = ChaosCase {
        actors,
        budget,
        seed: seed(cx, f.seed.as_ref())?,
        sync_mode,
        conflict_rate,
        verify,
        faults,
        access,
        swarm: f.swarm,
        lanes: f.lanes.unwrap_or(true),
        sizes,
    };
    Ok((f.ignored, CaseKind::Chaos(case)))
}

/// An optional count in `1..=max`.
fn bounded(
    cx: &Cx<'_>,
    v: Option<&Spanned<i64>>,
    key: &str,
    max: u64,
) -> Result<Option<u64>, CaseError> {
    v.map(|n| {
        cx.value(
            n,
            key,
            |n| non_negative(n).filter(|n| (1..=max).contains(n)),
            |n| format!("{key} must be 1–{max}, got {n}"),
        )
    })
    .transpose()
}

/// Exactly one of `actions` (> 0) and `duration`.
fn budget(cx: &Cx<'_>, f: &ChaosFile) -> Result<Budget, CaseError> {
    match (&f.actions, &f.duration) {
        (Some(a), None) => cx
            .value(
                a,
                "actions",
                |n| non_negative(n).filter(|n| *n > 0),
                |n| format!("actions must be > 0, got {n}"),
            )
            .map(Budget::Actions),
        (None, Some(d)) => cx
            .value(
                d,
                "duration",
                |s| parse_duration(s),
                |s| format!("invalid duration {s:?} (an integer > 0 and ms, s, m or h: \"30s\")"),
            )
            .map(Budget::Duration),
        (Some(_), Some(d)) => Err(cx.error(
            d.span(),
            "duration",
            "give either `actions` or `duration`, not both",
        )),
        (None, None) => Err(cx.error(0..0, "actions", "missing `actions` (or `duration`)")),
    }
}

fn scenario(cx: &Cx<'_>, f: ScenarioFile) -> Result<(bool, CaseKind), CaseError> {
    let is_snake = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    let scenario = cx.value(
        &f.scenario,
        "scenario",
        |n| is_snake(n).then(|| n.clone()),
        |n| format!("scenario must be a snake_case name like \"dependency_cycle\", got {n:?}"),
    )?;
    let case = ScenarioCase {
        scenario,
        actors: actors(cx, &f.actors)?,
        seed: seed(cx, f.seed.as_ref())?,
    };
    Ok((f.ignored, CaseKind::Scenario(case)))
}
