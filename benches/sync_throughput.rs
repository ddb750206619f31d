//! `cargo bench --bench sync_throughput`: sync throughput through the real binaries
//! (release td-sync, release td) in harness worlds, printed as a table.
//!
//! - push: 10,000 pending events seeded on one client, one `td sync --push`;
//! - pull: the same 10,000 events into a fresh client, one `td sync --pull`;
//! - incremental pull: 100 new events pulled by a client whose cursor already covers 100
//!   vs 10,000 older events (median of several runs; the history length should not show).
//!
//! Each figure is the wall time of the td process (process start, the integrity check and
//! the local transactions included, as a user sees them), next to the CPU time td and the
//! server spent: on a shared machine the wall time also holds waiting for a CPU, and the
//! load average printed with the table says how much of that there was. td talks to the
//! server directly (`TD_SYNC_URL`), not through the world's fault proxy.

use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use td_e2e::config::{HarnessConfig, SutSource};
use td_e2e::driver::Driver;
use td_e2e::harness::{Harness, WorldOptions};

const BIG: usize = 10_000;
const NEW: usize = 100;
const RUNS: usize = 7;
const MIN_EVENTS_PER_SEC: f64 = 5_000.0;
const MAX_HISTORY_RATIO: f64 = 1.5;

fn main() {
    let started = Instant::now();
    let cfg = release_config();
    td_e2e::harness::sut::binaries(&cfg).expect("build td and td-sync"); // before any timing
    println!("load average at start: {}", loadavg());
    let mut table = Table::default();

    let big = world(&cfg);
    seed_pending(&big, "alice", BIG);
    let push = measure(
        &big,
        "alice",
        &["sync", "--push"],
        &format!("Pushed {BIG} events."),
    );
    let pull = measure(
        &big,
        "bob",
        &["sync", "--pull"],
        &format!("Pulled {BIG} events"),
    );
    for (what, m) in [("push", push), ("pull", pull)] {
        let rate = BIG as f64 / m.wall.as_secs_f64();
        table.row(
            &format!("{what} {BIG} events"),
            format!("{:.3} s = {rate:.0} events/s", m.wall.as_secs_f64()),
            &m,
            format!(">= {MIN_EVENTS_PER_SEC:.0}/s"),
            rate >= MIN_EVENTS_PER_SEC,
        );
    }

    let long = incremental_pulls(&big);
    let short_world = world(&cfg);
    seed_pending(&short_world, "alice", NEW);
    ok(&short_world, "alice", &["sync"]);
    ok(&short_world, "bob", &["sync"]);
    let short = incremental_pulls(&short_world);
    let ratio = long.wall.as_secs_f64() / short.wall.as_secs_f64();
    table.info(
        &format!("pull {NEW} new after {NEW} old"),
        format!("{:.1} ms (median of {RUNS})", ms(short.wall)),
        &short,
    );
    table.row(
        &format!("pull {NEW} new after {BIG} old"),
        format!("{:.1} ms (median of {RUNS}) = x{ratio:.2}", ms(long.wall)),
        &long,
        format!("<= x{MAX_HISTORY_RATIO}"),
        ratio <= MAX_HISTORY_RATIO,
    );
    for (label, h) in [(NEW, &short_world), (BIG, &big)] {
        breakdown(&mut table, h, label);
    }

    table.print();
    println!("load average at end: {}", loadavg());
    println!("total bench time {:.1} s", started.elapsed().as_secs_f64());
    if table.missed {
        println!("TARGET MISSED");
    }
}

/// harness.toml, with a workspace build in release: throughput is a property of the
/// optimised binaries, not of the dev profile the test suite uses.
fn release_config() -> HarnessConfig {
    let mut cfg = HarnessConfig::load_default().expect("load harness.toml");
    if cfg.sut.source == SutSource::Workspace {
        cfg.sut.profile = "release".into();
    }
    cfg
}

/// A world of alice (owner) and bob (writer).
fn world(cfg: &HarnessConfig) -> Harness {
    Harness::setup(cfg, &WorldOptions::actors(2)).expect("world setup")
}

/// Wall time of one td run plus the CPU time td and the server used meanwhile.
#[derive(Debug, Clone, Copy, Default)]
struct Measured {
    wall: Duration,
    td_cpu: Duration,
    server_cpu: Duration,
}

/// `td <args>` as `who`, straight to the server, asserting exit 0; returns the output.
fn ok(h: &Harness, who: &str, args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let direct = [("TD_SYNC_URL".to_string(), h.server_url())];
    let out = h
        .td_with_env(who, &args, &direct)
        .unwrap_or_else(|e| panic!("{who}: td {args:?}: {e}"));
    assert!(out.ok(), "{who}: td {args:?} failed: {out:#?}");
    out.output
}

/// Runs `td <args>` as `who`, which must succeed and print `expect`.
fn measure(h: &Harness, who: &str, args: &[&str], expect: &str) -> Measured {
    let server = h.server_pid().expect("server running");
    let (cpu0, srv0) = (children_cpu(), process_cpu(server));
    let t = Instant::now();
    let out = ok(h, who, args);
    let wall = t.elapsed();
    assert!(out.contains(expect), "want {expect:?}: {out}");
    Measured {
        wall,
        td_cpu: children_cpu().saturating_sub(cpu0),
        server_cpu: process_cpu(server).saturating_sub(srv0),
    }
}

/// Seeds `n` pending create events on `who`.
fn seed_pending(h: &Harness, who: &str, n: usize) {
    h.seed_pending_issues(who, "Bench issue", n)
        .expect("seed pending issues");
}

/// Median (by wall time) of bob pulling `NEW` events alice just pushed.
fn incremental_pulls(h: &Harness) -> Measured {
    median(|| {
        seed_pending(h, "alice", NEW);
        ok(h, "alice", &["sync", "--push"]);
        measure(
            h,
            "bob",
            &["sync", "--pull"],
            &format!("Pulled {NEW} events"),
        )
    })
}

/// The pieces of an incremental pull on bob's side, each the median of `RUNS`.
fn breakdown(table: &mut Table, h: &Harness, history: usize) {
    let floor = median(|| measure(h, "bob", &["noop"], ""));
    table.info(
        &format!("  td noop (start + open), {history} old"),
        format!("{:.1} ms", ms(floor.wall)),
        &floor,
    );
    let empty = median(|| measure(h, "bob", &["sync", "--pull"], "Nothing to pull."));
    table.info(
        &format!("  td sync --pull, nothing new, {history} old"),
        format!("{:.1} ms", ms(empty.wall)),
        &empty,
    );
    // A fresh connection each time, as td opens one per run: the whole file is read.
    let check = median(|| timed(|| quick_check(h, "bob")));
    table.info(
        &format!("  PRAGMA quick_check, {history} old"),
        format!("{:.1} ms", ms(check.wall)),
        &check,
    );
    let http = median(|| timed(|| http_pull(h, "bob")));
    table.info(
        &format!("  HTTP GET of {NEW} events, {history} old"),
        format!("{:.1} ms", ms(http.wall)),
        &http,
    );
}

/// `PRAGMA quick_check` on a fresh read-only connection to `who`'s database.
fn quick_check(h: &Harness, who: &str) {
    let conn = Connection::open_with_flags(h.db_path(who), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open issues.db");
    let r: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .expect("quick_check");
    assert_eq!(r, "ok");
}

/// The last `NEW` events of the project, fetched directly with `who`'s key.
fn http_pull(h: &Harness, who: &str) {
    let last = h
        .server_int("SELECT MAX(server_seq) FROM events")
        .expect("read events.db");
    let key = h.auth_field(who, "api_key").expect("api key");
    let path = format!(
        "/v1/projects/{}/sync/pull?after_server_seq={}&limit=1000",
        h.project_id(),
        last - NEW as i64
    );
    let resp = h.api().call("GET", &path, Some(&key), None).expect("pull");
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.body.len() > NEW * 100, "short pull answer");
}

/// Wall time of an in-process step (no td, no CPU split).
fn timed(f: impl FnOnce()) -> Measured {
    let t = Instant::now();
    f();
    Measured {
        wall: t.elapsed(),
        ..Measured::default()
    }
}

fn median(mut f: impl FnMut() -> Measured) -> Measured {
    let mut v: Vec<Measured> = (0..RUNS).map(|_| f()).collect();
    v.sort_by_key(|m| m.wall);
    v[RUNS / 2]
}

/// user + system time of reaped children (td runs one at a time here).
fn children_cpu() -> Duration {
    // SAFETY: getrusage fills the zeroed struct we pass.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// user + system time of a running process, from /proc/<pid>/stat.
fn process_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    let ticks = f[11] + f[12];
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The printed result table.
#[derive(Default)]
struct Table {
    rows: Vec<[String; 6]>,
    missed: bool,
}

impl Table {
    /// A measurement with a target.
    fn row(&mut self, what: &str, result: String, m: &Measured, target: String, pass: bool) {
        self.missed |= !pass;
        let verdict = if pass { "ok" } else { "MISSED" };
        self.push(what, result, m, target, verdict.into());
    }

    /// A measurement without a target.
    fn info(&mut self, what: &str, result: String, m: &Measured) {
        self.push(what, result, m, String::new(), String::new());
    }

    fn push(&mut self, what: &str, result: String, m: &Measured, target: String, v: String) {
        let cpu = |d: Duration| {
            if d.is_zero() {
                "-".to_string()
            } else {
                format!("{:.1} ms", ms(d))
            }
        };
        self.rows.push([
            what.to_string(),
            result,
            cpu(m.td_cpu),
            cpu(m.server_cpu),
            target,
            v,
        ]);
    }

    fn print(&self) {
        let header =
            ["measurement", "wall", "td CPU", "server CPU", "target", ""].map(String::from);
        let all: Vec<&[String; 6]> = std::iter::once(&header).chain(&self.rows).collect();
        let widths: Vec<usize> = (0..6)
            .map(|i| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        for r in all {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            println!("{}", cells.join("  ").trim_end());
        }
    }
}
