//! JUnit XML: one `<testsuite>` per run, one `<testcase>` per case, as nextest writes it:
//! `failure` when a check failed, `error` when the world could not be set up.

use std::path::Path;
use std::time::Duration;

use junit_report::{ReportBuilder, TestCase, TestCaseBuilder, TestSuiteBuilder};

/// How one case ended, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JunitResult {
    Passed,
    /// A check failed: `message` is the one-line summary, `details` the full text.
    Failed {
        message: String,
        details: String,
    },
    /// The case could not run (setup failure, malformed case file).
    Errored {
        message: String,
        details: String,
    },
    Skipped,
}

/// One `<testcase>`.
#[derive(Debug, Clone)]
pub struct JunitCase {
    pub name: String,
    pub duration: Duration,
    pub result: JunitResult,
}

fn jd(d: Duration) -> junit_report::Duration {
    junit_report::Duration::try_from(d).unwrap_or(junit_report::Duration::ZERO)
}

fn testcase(c: &JunitCase) -> TestCase {
    let mut b = match &c.result {
        JunitResult::Passed => TestCaseBuilder::success(&c.name, jd(c.duration)),
        JunitResult::Failed { message, .. } => {
            TestCaseBuilder::failure(&c.name, jd(c.duration), "verification", message)
        }
        JunitResult::Errored { message, .. } => {
            TestCaseBuilder::error(&c.name, jd(c.duration), "setup", message)
        }
        JunitResult::Skipped => TestCaseBuilder::skipped(&c.name),
    };
    b.set_classname("e2e");
    if let JunitResult::Failed { details, .. } | JunitResult::Errored { details, .. } = &c.result {
        b.set_system_out(details);
    }
    b.build()
}

/// Renders the report; cases are sorted by name so the file is stable.
pub fn render(
    suite: &str,
    cases: &[JunitCase],
    timestamp: Option<junit_report::OffsetDateTime>,
) -> String {
    let mut sorted: Vec<&JunitCase> = cases.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut sb = TestSuiteBuilder::new(suite);
    if let Some(t) = timestamp {
        sb.set_timestamp(t);
    }
    for c in sorted {
        sb.add_testcase(testcase(c));
    }
    let report = ReportBuilder::new().add_testsuite(sb.build()).build();
    let mut out = Vec::new();
    report
        .write_xml(&mut out)
        .expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("junit-report writes UTF-8")
}

/// Writes the report to `path` (creating its directory).
pub fn write(path: &Path, suite: &str, cases: &[JunitCase]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("xml.tmp");
    std::fs::write(&tmp, render(suite, cases, None))?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<JunitCase> {
        vec![
            JunitCase { name: "scenarios/b".into(), duration: Duration::from_millis(1500), result: JunitResult::Passed },
            JunitCase {
                name: "chaos/a".into(),
                duration: Duration::from_secs(2),
                result: JunitResult::Failed {
                    message: "convergence: issues differ".into(),
                    details: "only on alice: td-1\nreplay: E2E_SEED=7 cargo test --test e2e -- --exact chaos/a".into(),
                },
            },
            JunitCase {
                name: "broken".into(),
                duration: Duration::ZERO,
                result: JunitResult::Errored { message: "broken.toml:3: unknown key `acters`".into(), details: String::new() },
            },
            JunitCase { name: "soak/long".into(), duration: Duration::ZERO, result: JunitResult::Skipped },
        ]
    }

    #[test]
    fn golden_report() {
        let t = junit_report::OffsetDateTime::from_unix_timestamp(1_767_323_045)
            .expect("valid timestamp");
        let xml = render("td-e2e", &cases(), Some(t));
        let golden = include_str!("../../tests/fixtures/junit/golden.xml");
        assert_eq!(xml.trim(), golden.trim(), "\n--- got ---\n{xml}");
    }
}
