//! Reports written while the suite runs: each case's files as soon as it finishes, and the
//! run's summary files rewritten after every case, so a suite killed halfway keeps the
//! reports of everything that finished.

use std::sync::{Arc, Mutex};

use super::files::{write_case_files, write_reports};
use crate::run::{CaseEntry, CaseOutcome, Suite};

/// The finished cases so far.
pub struct LiveReports {
    suite: Arc<Suite>,
    /// Indices of the ignored cases the filter selected (listed as skipped).
    skipped: Vec<usize>,
    finished: Mutex<Vec<CaseOutcome>>,
}

impl LiveReports {
    pub fn new(suite: Arc<Suite>, skipped: Vec<usize>) -> Self {
        LiveReports {
            suite,
            skipped,
            finished: Mutex::new(Vec::new()),
        }
    }

    /// Writes `o`'s files and rewrites the summaries with it.
    pub fn finished(&self, o: &CaseOutcome) -> std::io::Result<()> {
        write_case_files(&self.suite.report_dir, o)?;
        let mut all = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        all.push(o.clone());
        write_reports(&self.suite, &all, &self.skipped_entries())
    }

    fn skipped_entries(&self) -> Vec<&CaseEntry> {
        self.skipped
            .iter()
            .map(|&i| &self.suite.entries[i])
            .collect()
    }

    /// Rewrites the summaries once more (also when no case ran, for the skipped ones).
    pub fn close(&self) -> std::io::Result<()> {
        let all = self.finished.lock().unwrap_or_else(|e| e.into_inner());
        write_reports(&self.suite, &all, &self.skipped_entries())
    }
}
