//! Writing a run's reports: JUnit XML, and per case ChaosReport and OperationHistory JSON.

use std::path::{Path, PathBuf};

use super::outcome::{CaseOutcome, Status};
use super::{CaseEntry, Suite};
use crate::junit::{self, JunitCase, JunitResult};

fn junit_case(o: &CaseOutcome) -> JunitCase {
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
    JunitCase {
        name: o.name.clone(),
        duration: o.duration,
        result,
    }
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

/// Writes every report of a run into the suite's report directory.
pub fn write_reports(
    suite: &Suite,
    outcomes: &[CaseOutcome],
    skipped: &[&CaseEntry],
) -> std::io::Result<()> {
    let dir = &suite.report_dir;
    let mut cases: Vec<JunitCase> = outcomes.iter().map(junit_case).collect();
    cases.extend(skipped.iter().map(|e| JunitCase {
        name: e.name.clone(),
        duration: std::time::Duration::ZERO,
        result: JunitResult::Skipped,
    }));
    if !cases.is_empty() {
        junit::write(&junit_path(dir, outcomes), "td-e2e", &cases)?;
    }
    for o in outcomes {
        if let Some(r) = &o.chaos_report {
            write_file(&dir.join("chaos").join(format!("{}.json", o.name)), r)?;
        }
        if let Some(h) = &o.history {
            write_file(&dir.join("history").join(format!("{}.json", o.name)), h)?;
        }
    }
    Ok(())
}
