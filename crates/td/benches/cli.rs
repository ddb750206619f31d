//! Wall time of td commands (not a timed test): median per command on a project with 100
//! and with 10,000 issues, next to the floor `td noop` (open the project, resolve the session).
//!
//! Run with `cargo bench -p td --bench cli` (release build). `TD_BENCH_RUNS` sets the sample
//! count per command (default 40).

#[path = "../tests/cli/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Project;
use rand::seq::SliceRandom;
use rand::Rng;
use rusqlite::{params, Connection};
use serde_json::json;

const SIZES: [usize; 2] = [100, 10_000];
const COMMANDS: [&str; 5] = ["noop", "create", "update", "show", "list --all"];

fn main() {
    let runs: usize = std::env::var("TD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let projects: Vec<(Project, Vec<String>)> = SIZES
        .iter()
        .map(|&n| {
            let p = Project::new();
            let started = Instant::now();
            let ids = seed(&p, n);
            eprintln!("seeded {n} issues in {:?}", started.elapsed());
            (p, ids)
        })
        .collect();
    let medians = measure(&projects, runs);
    let table: Vec<_> = SIZES.iter().copied().zip(medians).collect();
    report(&table, runs);
}

/// Inserts `n` issues straight into the real schema, each with the rows `td create` writes
/// (action_log `create`, history `created`) plus two logged progress entries.
fn seed(p: &Project, n: usize) -> Vec<String> {
    let me = p.session_of("alice");
    let mut conn = Connection::open(p.db_path()).expect("open db");
    let tx = conn.transaction().expect("begin");
    let mut rng = rand::thread_rng();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("td-{:06x}", 0x100000 + i);
        let status = ["open", "open", "in_progress", "closed", "blocked"][i % 5];
        let priority = format!("P{}", rng.gen_range(0..4));
        let ts = td_core::time::db_now();
        let title = format!("Seeded issue number {i} for the benchmark");
        tx.execute(
            "INSERT INTO issues (id, title, description, status, type, priority, points, labels, \
             creator_session, created_at, updated_at) \
             VALUES (?1, ?2, 'seeded', ?3, 'task', ?4, 3, 'bench,seed', ?5, ?6, ?6)",
            params![id, title, status, priority, me, ts],
        )
        .expect("insert issue");
        let new = json!({"id": id, "title": title, "description": "seeded", "status": status,
            "type": "task", "priority": priority, "points": 3, "labels": ["bench", "seed"],
            "implementer_session": "", "creator_session": me, "reviewer_session": "",
            "created_at": td_core::time::db_to_json(&ts), "updated_at": td_core::time::db_to_json(&ts),
            "minor": false, "defer_count": 0});
        action(&tx, &me, ("create", "issue", &id), &new.to_string());
        tx.execute(
            "INSERT INTO issue_session_history (id, issue_id, session_id, action, created_at) \
             VALUES (?1, ?2, ?3, 'created', ?4)",
            params![format!("td-h{i:06x}"), id, me, ts],
        )
        .expect("insert history");
        for k in 0..2 {
            let log_id = format!("lg-{:08x}", i * 2 + k);
            tx.execute(
                "INSERT INTO logs (id, issue_id, session_id, message, type, timestamp) \
                 VALUES (?1, ?2, ?3, 'seeded progress', 'progress', ?4)",
                params![log_id, id, me, ts],
            )
            .expect("insert log");
            let new = json!({"id": log_id, "issue_id": id, "session_id": me,
                "work_session_id": "", "message": "seeded progress", "type": "progress",
                "timestamp": td_core::time::db_to_json(&ts)});
            action(&tx, &me, ("create", "logs", &log_id), &new.to_string());
        }
        ids.push(id);
    }
    tx.commit().expect("commit seed");
    ids
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// One action_log row; seeded ids are sequential (random 32-bit ids collide at this volume).
fn action(tx: &rusqlite::Transaction, me: &str, (kind, entity, id): (&str, &str, &str), new: &str) {
    tx.execute(
        "INSERT INTO action_log (id, session_id, action_type, entity_type, entity_id, \
         previous_data, new_data, timestamp, undone) \
         VALUES (?1, ?2, ?3, ?4, ?5, '', ?6, ?7, 0)",
        params![
            format!("al-s{:07x}", SEQ.fetch_add(1, Ordering::Relaxed)),
            me,
            kind,
            entity,
            id,
            new,
            td_core::time::action_log_now()
        ],
    )
    .expect("insert action_log");
}

/// Median wall time per (project, command). Sizes and commands are interleaved round by
/// round so the noise of a shared machine hits every figure alike.
fn measure(projects: &[(Project, Vec<String>)], runs: usize) -> Vec<Vec<Duration>> {
    const WARMUP: usize = 3; // the first rounds warm the page cache
    let mut rng = rand::thread_rng();
    let mut samples = vec![vec![Vec::new(); COMMANDS.len()]; projects.len()];
    for round in 0..runs + WARMUP {
        for (pi, (p, ids)) in projects.iter().enumerate() {
            for (c, name) in COMMANDS.iter().enumerate() {
                let id = ids.choose(&mut rng).expect("seeded ids");
                let title = format!("Benchmark created issue {round}");
                let args: Vec<&str> = match *name {
                    "noop" => vec!["noop"],
                    "create" => vec!["create", &title, "-p", "P2"],
                    "update" => vec!["update", id, "--priority", "P1", "--sprint", "bench"],
                    "show" => vec!["show", id],
                    _ => vec!["list", "--all"],
                };
                let t = Instant::now();
                let out = p.td(&args);
                let dt = t.elapsed();
                assert_eq!(out.code, 0, "{args:?}: {out:?}");
                if round >= WARMUP {
                    samples[pi][c].push(dt);
                }
            }
        }
    }
    samples
        .into_iter()
        .map(|per_cmd| per_cmd.into_iter().map(median).collect())
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn report(table: &[(usize, Vec<Duration>)], runs: usize) {
    println!("\ntd command wall time, median of {runs} runs (release build)\n");
    print!("{:<12}", "command");
    for (n, _) in table {
        print!("{:>16}{:>10}", format!("{n} issues"), "x floor");
    }
    println!("{:>14}", "10k / 100");
    for (c, name) in COMMANDS.iter().enumerate() {
        print!("{name:<12}");
        for (_, meds) in table {
            let ratio = meds[c].as_secs_f64() / meds[0].as_secs_f64();
            print!("{:>16}{:>10}", ms(meds[c]), format!("{ratio:.2}"));
        }
        let growth = table[1].1[c].as_secs_f64() / table[0].1[c].as_secs_f64();
        println!("{:>14}", format!("{growth:.2}"));
    }
    println!("\ntargets: every command ≤ 2x floor at 100 issues; create/update/show at 10k ≤ 1.5x their 100-issue figure");
    let small = &table[0].1;
    let big = &table[1].1;
    for (c, name) in COMMANDS.iter().enumerate().skip(1) {
        let floor_ok = small[c].as_secs_f64() <= 2.0 * small[0].as_secs_f64();
        let scale_ok =
            *name == "list --all" || big[c].as_secs_f64() <= 1.5 * small[c].as_secs_f64();
        let verdict = if floor_ok && scale_ok {
            "met"
        } else {
            "MISSED"
        };
        println!("  {name:<12} {verdict}");
    }
}
