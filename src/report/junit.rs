//! JUnit XML as CI dashboards read it: one `<testsuite>` per run, one `<testcase>` per case
//! with `name` (the case name), `classname` (its group: `chaos`, `scenarios`, …) and `file`
//! (the case file, which GitHub annotates and GitLab shows); a failure's body and the
//! case's `system-out` both carry the whole failure text (GitLab ignores the `message`
//! attribute). Written by hand: the format is small and the XML 1.0 escaping rules (no
//! control characters even as references) matter more than a builder.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

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
    /// The case's group: the first segment of its name.
    pub classname: String,
    /// The case file, relative to the workspace (`cases/chaos/adaptive-2.toml`).
    pub file: String,
    pub duration: Duration,
    pub result: JunitResult,
}

impl JunitCase {
    /// A case named `group/rest` in `cases/group/rest.toml`.
    pub fn for_case(name: &str, duration: Duration, result: JunitResult) -> Self {
        JunitCase {
            name: name.to_string(),
            classname: name.split('/').next().unwrap_or(name).to_string(),
            file: format!("cases/{name}.toml"),
            duration,
            result,
        }
    }
}

/// XML 1.0 text: the five entities escaped (as in the HTML pages); characters XML cannot
/// carry at all (controls other than tab, newline and carriage return, e.g. an ANSI escape
/// in td's output) become U+FFFD.
pub fn escape(s: &str) -> String {
    let carried: String = s
        .chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    super::html::escape::esc(&carried)
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn testcase(out: &mut String, c: &JunitCase) {
    let _ = write!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{}\"",
        escape(&c.name),
        escape(&c.classname),
        escape(&c.file),
        secs(c.duration)
    );
    let (tag, kind, message, details) = match &c.result {
        JunitResult::Passed => {
            out.push_str("/>\n");
            return;
        }
        JunitResult::Skipped => {
            out.push_str(">\n      <skipped/>\n    </testcase>\n");
            return;
        }
        JunitResult::Failed { message, details } => ("failure", "verification", message, details),
        JunitResult::Errored { message, details } => ("error", "setup", message, details),
    };
    let _ = write!(
        out,
        ">\n      <{tag} type=\"{kind}\" message=\"{}\">{}</{tag}>\n      <system-out>{}</system-out>\n    </testcase>\n",
        escape(message),
        escape(details),
        escape(details)
    );
}

/// Renders the report; cases sorted by name so the file is stable. `timestamp` is the
/// run's start (RFC 3339), when known.
pub fn render(suite: &str, cases: &[JunitCase], timestamp: Option<&str>) -> String {
    let mut sorted: Vec<&JunitCase> = cases.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let count = |f: fn(&JunitResult) -> bool| sorted.iter().filter(|c| f(&c.result)).count();
    let failures = count(|r| matches!(r, JunitResult::Failed { .. }));
    let errors = count(|r| matches!(r, JunitResult::Errored { .. }));
    let skipped = count(|r| matches!(r, JunitResult::Skipped));
    let time = secs(sorted.iter().map(|c| c.duration).sum());
    let totals = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\"",
        sorted.len()
    );
    let name = escape(suite);
    let stamp = timestamp
        .map(|t| format!(" timestamp=\"{}\"", escape(t)))
        .unwrap_or_default();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{name}\" {totals}>\n  <testsuite name=\"{name}\" {totals}{stamp}>\n"
    );
    for c in sorted {
        testcase(&mut out, c);
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Writes the report to `path` (creating its directory), atomically.
pub fn write(path: &Path, suite: &str, cases: &[JunitCase]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("xml.tmp");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    std::fs::write(&tmp, render(suite, cases, Some(&now)))?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cases() -> Vec<JunitCase> {
        vec![
            JunitCase::for_case("scenarios/b", Duration::from_millis(1500), JunitResult::Passed),
            JunitCase::for_case(
                "chaos/a",
                Duration::from_secs(2),
                JunitResult::Failed {
                    message: "convergence: issues differ".into(),
                    details: "only on alice: td-1 <&>\nreplay: E2E_SEED=7 cargo test --test e2e -- --exact chaos/a".into(),
                },
            ),
            JunitCase::for_case(
                "broken",
                Duration::ZERO,
                JunitResult::Errored {
                    message: "broken.toml:3: unknown key `acters`".into(),
                    details: "cases/broken.toml:3: unknown key `acters`".into(),
                },
            ),
            JunitCase::for_case("soak/long", Duration::ZERO, JunitResult::Skipped),
        ]
    }

    #[test]
    fn golden_report() {
        let xml = render("td-e2e", &cases(), Some("2026-01-02T03:04:05Z"));
        let golden = include_str!("../../tests/fixtures/junit/golden.xml");
        assert_eq!(xml.trim(), golden.trim(), "\n--- got ---\n{xml}");
    }

    #[test]
    fn escapes_what_xml_cannot_carry() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(escape("red \u{1b}[31mx\u{0}"), "red \u{FFFD}[31mx\u{FFFD}");
        assert_eq!(escape("tab\tnl\n"), "tab\tnl\n");
    }

    #[test]
    fn groups_and_files_come_from_the_name() {
        let c = JunitCase::for_case("chaos/adaptive-2", Duration::ZERO, JunitResult::Passed);
        assert_eq!(c.classname, "chaos");
        assert_eq!(c.file, "cases/chaos/adaptive-2.toml");
    }
}
