//! The HTML case page in a real browser: headless Chromium (Debian's `chromium`; `.ci/run`
//! installs it) opens a generated page from a file path and its DOM is checked for the
//! lanes, the marks, the verifications table and an empty error log (the page, opened with
//! `#selftest`, also hovers and clicks a mark and an entity, and logs what did not work). A
//! screenshot is kept in `target/e2e/report-screenshot.png`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use td_e2e::config::HarnessConfig;
use td_e2e::history::{OpResult, OperationRecord};
use td_e2e::report::html::render_case;
use td_e2e::run::CaseOutcome;
use td_e2e::verify::CheckResult;

const ACTORS: [&str; 3] = ["alice", "bob", "carol"];

/// `chromium` or `chromium-browser` on PATH; a missing browser fails the test (it must not
/// pass without having looked).
fn chromium() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let exe = dir.join(name);
            if exe.is_file() {
                return exe;
            }
        }
    }
    panic!(
        "headless Chromium is needed to test the HTML report and neither `chromium` nor \
         `chromium-browser` is on PATH; install it (Debian: `apt-get install chromium`; \
         .ci/run installs it when missing)"
    );
}

fn report_dir() -> PathBuf {
    HarnessConfig::load_default()
        .expect("harness.toml")
        .report_dir()
}

/// A chaos-like history of `ops` records over three actors: syncs with counts, every
/// result, a partition of bob every 500 records healed 100 later, one output holding
/// `<script>`, and a failing check naming td-000007.
fn outcome(ops: usize) -> CaseOutcome {
    let mut o = CaseOutcome::new("chaos/browser-fixture");
    o.seed = Some(42);
    let mut t_us: u64 = 0;
    for i in 0..ops {
        t_us += 2_000 + (i as u64 * 7919 % 5_000);
        o.history.push(record(i, t_us));
    }
    o.duration = Duration::from_micros(t_us);
    o.add_checks(vec![
        CheckResult::valid("convergence: comments [alice vs bob]", "12 rows agree"),
        CheckResult::invalid(
            "convergence: issues rows [alice vs bob]",
            "only on alice: td-000007 <title>",
        ),
    ]);
    o
}

fn record(i: usize, end_us: u64) -> OperationRecord {
    let actor = ACTORS[i % 3];
    let (action, result) = match i % 50 {
        _ if i.is_multiple_of(500) => ("fault:partition", OpResult::Ok),
        _ if i % 500 == 100 => ("heal:partition", OpResult::Ok),
        0 | 25 => ("sync", OpResult::Ok),
        7 => ("update", OpResult::ExpectedFail),
        13 => ("start", OpResult::Info),
        19 => ("comment", OpResult::Skip),
        31 => ("show", OpResult::UnexpectedFail),
        _ => ("create", OpResult::Ok),
    };
    let actor = if action.contains(':') { "bob" } else { actor };
    let mut r = OperationRecord::new(action, actor, result);
    r.seq = i as u64 + 1;
    let (secs, us) = (end_us / 1_000_000, end_us % 1_000_000);
    r.timestamp = format!(
        "2026-12-03T10:{:02}:{:02}.{us:06}000Z",
        secs / 60,
        secs % 60
    );
    r.duration_ns = 1_000_000 + (i as u64 * 104_729 % 20_000_000);
    if action == "sync" {
        r.args = Some(vec!["sync".into()]);
        r.output = format!(
            "Pushed {} events.\nPulled {} events ({} applied).",
            i % 4,
            i % 3,
            i % 3
        );
    } else if !action.contains(':') {
        r.target_id = format!("td-{:06x}", i % 64);
        r.args = Some(vec![action.into(), r.target_id.clone()]);
        r.output = if i == 31 {
            "</script><script>console.error('injected')</script>".into()
        } else {
            format!("{} {}", action.to_uppercase(), r.target_id)
        };
    }
    r
}

struct Opened {
    dom: String,
    wall: Duration,
}

/// Opens `page` headless and returns its DOM after load (and a screenshot when asked).
fn open(page: &Path, screenshot: Option<&Path>) -> Opened {
    let mut cmd = Command::new(chromium());
    // As root Chromium refuses to start without --no-sandbox.
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1400,900",
    ]);
    // A profile of its own, so the two tests' browsers do not share one.
    let profile = tempfile::tempdir().unwrap();
    cmd.arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(png) => cmd.arg(format!("--screenshot={}", png.display())),
        None => cmd.arg("--dump-dom"),
    };
    // `#selftest`: the page's script also hovers and clicks as a reader would.
    cmd.arg(format!("file://{}#selftest", page.display()));
    let started = Instant::now();
    let out = output_within(cmd, BROWSER_TIMEOUT);
    let wall = started.elapsed();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Opened {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        wall,
    }
}

/// Longest a browser may take to open a page before the test gives up on it.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `cmd` to the end like `Command::output`, but kills it after `limit`: a hung
/// browser fails the test instead of hanging the suite.
fn output_within(mut cmd: Command, limit: Duration) -> std::process::Output {
    use std::process::Stdio;
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chromium");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait for chromium"),
        Err(_) => {
            // Our own child, not reaped yet (its waiter thread still blocks on it).
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("chromium did not finish within {limit:?}");
        }
    }
}

fn write_page(name: &str, o: &CaseOutcome) -> PathBuf {
    let dir = report_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, render_case(o)).unwrap();
    path.canonicalize().unwrap()
}

/// The text of `<pre id="page-errors" hidden>…</pre>` in a dumped DOM.
fn page_errors(dom: &str) -> &str {
    let start = dom.find(r#"id="page-errors""#).expect("error log element");
    let text = &dom[start..];
    let open_end = text.find('>').unwrap() + 1;
    let close = text.find("</pre>").unwrap();
    &text[open_end..close]
}

fn check_dom(dom: &str, ops: usize) {
    assert_eq!(page_errors(dom), "", "the page logged errors");
    assert_eq!(dom.matches(r#"<rect class="lane""#).count(), 4, "lanes");
    for lane in ["server / nemesis", "alice", "bob", "carol"] {
        assert!(dom.contains(&format!(">{lane}</text>")), "lane {lane}");
    }
    assert_eq!(dom.matches(r#"<rect class="op "#).count(), ops, "marks");
    assert!(dom.contains(r#"class="fault-window""#), "fault windows");
    assert!(dom.contains(r#"<table id="verifications">"#));
    assert_eq!(dom.matches(r#"<tr class="check "#).count(), 2);
    assert!(
        dom.contains(r#"data-ready-ms=""#),
        "the page's script ran to its end"
    );
    assert!(
        dom.contains(r#"data-selftest="done""#),
        "hover and click were tried"
    );
}

/// A number the page's script stamps on `<body>` (`data-ready-ms` when the script has run,
/// `data-painted-ms` after the first paint, if the dump came that late), as text.
fn stamp(dom: &str, attr: &str) -> String {
    let key = format!(r#"{attr}=""#);
    dom.find(&key)
        .and_then(|at| dom[at + key.len()..].split('"').next())
        .map_or("-".to_string(), |ms| format!("{ms} ms"))
}

#[test]
fn the_case_page_opens_in_headless_chromium_without_errors() {
    let o = outcome(300);
    let page = write_page("report-fixture.html", &o);
    let opened = open(&page, None);
    check_dom(&opened.dom, 300);
    let png = report_dir().join("report-screenshot.png");
    let _ = std::fs::remove_file(&png);
    open(&page, Some(&png));
    assert!(
        png.metadata().is_ok_and(|m| m.len() > 0),
        "screenshot at {}",
        png.display()
    );
}

/// A 10,000-operation page opens and is complete; the time is printed (speed is measured,
/// never asserted).
#[test]
fn ten_thousand_operations_open() {
    let o = outcome(10_000);
    let started = Instant::now();
    let html = render_case(&o);
    let render = started.elapsed();
    let page = write_page("report-fixture-10000.html", &o);
    let opened = open(&page, None);
    check_dom(&opened.dom, 10_000);
    eprintln!(
        "10,000 operations: render {render:.2?}, {} KiB; after navigation start: script done \
         at {}, painted at {}; chromium wall time {:.2?} (browser start included)",
        html.len() / 1024,
        stamp(&opened.dom, "data-ready-ms"),
        stamp(&opened.dom, "data-painted-ms"),
        opened.wall
    );
}
