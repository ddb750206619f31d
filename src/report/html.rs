//! The HTML reports: `index.html` (one row per case) and `html/<case>.html` (a Jepsen-style
//! timeline of the case's OperationHistory with fault windows shaded, its verifications, and
//! the entities a failing check names). Pages are self-contained — inline CSS, SVG and a
//! little JavaScript, no network — so they open from a CI artifact or a file path.
//!
//! `render_case` and `render_index` are pure; `files` writes them. Submodules: `escape`
//! (HTML, script JSON, URLs), `timeline` (the SVG), `entities` (ids in failing checks),
//! `case_page` and `index_page` (the two pages' sections).

mod case_page;
pub mod entities;
pub mod escape;
mod index_page;
pub mod timeline;

use std::time::Duration;

use crate::run::{CaseOutcome, Status};

pub use case_page::render_case;
pub use escape::{esc, url_path};
pub use index_page::render_index;

const CSS: &str = include_str!("html/page.css");
const JS: &str = include_str!("html/page.js");

/// Captures uncaught errors and `console.error` into `#page-errors`, first thing in the
/// body, so a headless browser's dumped DOM shows whether the page's script failed.
const ERROR_CAPTURE: &str = r#"<pre id="page-errors" hidden></pre>
<script>(function () {
  var box = document.getElementById('page-errors');
  function note(m) { box.textContent += m + '\n'; }
  window.onerror = function (msg, src, line) { note('error: ' + msg + ' at ' + src + ':' + line); };
  window.addEventListener('unhandledrejection', function (e) { note('rejection: ' + e.reason); });
  var err = console.error;
  console.error = function () { note('console.error: ' + Array.prototype.join.call(arguments, ' ')); err.apply(console, arguments); };
})();</script>
"#;

/// A whole page: head with the stylesheet, the error capture, `body`, then the script.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{}</title><style>{CSS}</style></head>\n<body>\n{ERROR_CAPTURE}{body}\
         <script>{JS}</script>\n</body></html>\n",
        esc(title)
    )
}

/// One row of `index.html`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub name: String,
    /// `passed`, `failed`, `errored` or `skipped`.
    pub status: &'static str,
    /// `chaos`, `scenario` or `steps`.
    pub kind: String,
    pub seed: Option<u64>,
    pub duration: Duration,
    /// Operations recorded (fault records excluded).
    pub actions: usize,
    /// Faults injected (`fault:<kind>` records).
    pub faults: usize,
    /// Names of the checks that did not pass.
    pub failing: Vec<String>,
    /// Whether `html/<case>.html` exists (not for skipped cases).
    pub has_page: bool,
}

pub fn status_text(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Errored => "errored",
    }
}

impl IndexRow {
    pub fn from_outcome(o: &CaseOutcome, kind: &str) -> IndexRow {
        let faults = o
            .history
            .iter()
            .filter(|r| r.action.starts_with("fault:") && r.action != "fault:arm")
            .count();
        IndexRow {
            name: o.name.clone(),
            status: status_text(o.status),
            kind: kind.to_string(),
            seed: o.seed,
            duration: o.duration,
            actions: o
                .history
                .iter()
                .filter(|r| !timeline::is_nemesis(r))
                .count(),
            faults,
            failing: failing(o),
            has_page: true,
        }
    }

    /// A case the filter selected but that is marked ignored.
    pub fn skipped(name: &str, kind: &str) -> IndexRow {
        IndexRow {
            name: name.to_string(),
            status: "skipped",
            kind: kind.to_string(),
            seed: None,
            duration: Duration::ZERO,
            actions: 0,
            faults: 0,
            failing: Vec::new(),
            has_page: false,
        }
    }
}

/// The names of the checks that did not pass; for a case that failed otherwise (a steps
/// assertion, a setup error), its summary.
fn failing(o: &CaseOutcome) -> Vec<String> {
    let checks: Vec<String> = o
        .checks
        .iter()
        .filter(|c| !c.passed())
        .map(|c| c.name.clone())
        .collect();
    if checks.is_empty() && !o.passed() {
        return vec![o.summary.clone()];
    }
    checks
}

/// The group a case name starts with (`chaos/adaptive-2` → `chaos`; empty for a name with
/// no directory), the kind when the case file could not say.
pub fn group_of(name: &str) -> &str {
    match name.split_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

#[cfg(test)]
mod tests;
