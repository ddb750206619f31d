//! Where a run's reports go. Each case's own files (ChaosReport and OperationHistory JSON)
//! are written when that case finishes; the run's JUnit file is rewritten as cases finish,
//! so a suite killed halfway keeps what it finished.

use std::path::{Path, PathBuf};

use super::html::{self, IndexRow};
use super::junit::{self, JunitCase, JunitResult};
use crate::history::OperationRecord;
use crate::run::{CaseEntry, CaseOutcome, Status, Suite};

fn junit_case(suite: &Suite, o: &CaseOutcome) -> JunitCase {
    let result = match o.status {
        Status::Passed => JunitResult::Passed,
        Status::Failed => JunitResult::Failed {
            message: o.summary.clone(),
            details: o.failure_text(),
        },
        Status::Errored => JunitResult::Errored {
            message: o.summary.clone(),
            details: o.failure_text(),
        },
    };
    with_file(suite, JunitCase::for_case(&o.name, o.duration, result))
}

/// The case's real file, relative to the workspace when it lies inside it.
fn with_file(suite: &Suite, mut c: JunitCase) -> JunitCase {
    if let Some(e) = suite.entries.iter().find(|e| e.name == c.name) {
        let root = crate::config::workspace_root();
        let rel = e.path.strip_prefix(&root).unwrap_or(&e.path);
        c.file = rel.to_string_lossy().into_owned();
    }
    c
}

fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

/// Where this process's JUnit file goes. Under nextest every case is its own process, so
/// each writes its own file instead of racing for one shared `junit.xml`.
fn junit_path(dir: &Path, outcomes: &[CaseOutcome]) -> PathBuf {
    match (std::env::var_os("NEXTEST"), outcomes) {
        (Some(_), [one]) => dir.join(format!("junit-{}.xml", one.name.replace('/', "__"))),
        _ => dir.join("junit.xml"),
    }
}

/// The OperationHistory records as pretty JSON.
pub fn history_json(records: &[OperationRecord]) -> serde_json::Result<String> {
    serde_json::to_string_pretty(records)
}

/// `dir/<group>/<case>.<ext>`, the case name's slashes kept as directories.
pub fn case_file(dir: &Path, group: &str, case: &str, ext: &str) -> PathBuf {
    dir.join(group).join(format!("{case}.{ext}"))
}

/// Writes one finished case's files: `chaos/<case>.json` (chaos cases),
/// `history/<case>.json` and its page `html/<case>.html`.
pub fn write_case_files(dir: &Path, o: &CaseOutcome) -> std::io::Result<()> {
    if let Some(r) = &o.chaos_report {
        let json = r.to_json().map_err(std::io::Error::other)?;
        write_file(&case_file(dir, "chaos", &o.name, "json"), &json)?;
    }
    if !o.history.is_empty() {
        let json = history_json(&o.history)?;
        write_file(&case_file(dir, "history", &o.name, "json"), &json)?;
    }
    write_file(
        &case_file(dir, "html", &o.name, "html"),
        &html::render_case(o),
    )?;
    Ok(())
}

/// Rewrites the run's summary files from the cases finished so far (and the ignored ones).
pub fn write_reports(
    suite: &Suite,
    outcomes: &[CaseOutcome],
    skipped: &[&CaseEntry],
) -> std::io::Result<()> {
    let dir = &suite.report_dir;
    let mut cases: Vec<JunitCase> = outcomes.iter().map(|o| junit_case(suite, o)).collect();
    cases.extend(skipped.iter().map(|e| {
        let c = JunitCase::for_case(&e.name, std::time::Duration::ZERO, JunitResult::Skipped);
        with_file(suite, c)
    }));
    if !cases.is_empty() {
        junit::write(&junit_path(dir, outcomes), "td-e2e", &cases)?;
    }
    write_index(suite, outcomes, skipped)
}

/// The case's kind from its file, else the first segment of its name.
fn kind_of(suite: &Suite, name: &str) -> String {
    suite
        .entries
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.case.as_ref().ok())
        .map(|c| c.kind.label().to_string())
        .unwrap_or_else(|| html::group_of(name).to_string())
}

/// `index.html`: one row per finished case and per ignored one. Under nextest every case is
/// its own process, so a shared index would hold whichever case finished last; the pages
/// under `html/` are still written.
fn write_index(
    suite: &Suite,
    outcomes: &[CaseOutcome],
    skipped: &[&CaseEntry],
) -> std::io::Result<()> {
    if std::env::var_os("NEXTEST").is_some() && outcomes.len() == 1 {
        return Ok(());
    }
    let mut rows: Vec<IndexRow> = outcomes
        .iter()
        .map(|o| IndexRow::from_outcome(o, &kind_of(suite, &o.name)))
        .collect();
    rows.extend(
        skipped
            .iter()
            .map(|e| IndexRow::skipped(&e.name, &kind_of(suite, &e.name))),
    );
    if rows.is_empty() {
        return Ok(());
    }
    write_file(
        &suite.report_dir.join("index.html"),
        &html::render_index(&rows),
    )
}
