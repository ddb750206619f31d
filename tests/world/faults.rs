//! The nemesis against real worlds: each fault kind does what it says to real td and
//! td-sync processes, is counted and recorded, heals, and leaves nothing behind; each fault
//! postcondition fails when fed a crafted violation; one seed replays the same faults.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};
use td_e2e::config::HarnessConfig;
use td_e2e::driver::Driver;
use td_e2e::engine::extract_created_id;
use td_e2e::faults::{Fault, FaultKind, Nemesis, PartitionMode, RequestRates};
use td_e2e::harness::{Harness, WorldOptions};

fn world(env: &[(&str, &str)]) -> Harness {
    let cfg = HarnessConfig::load_default().expect("harness.toml");
    let mut opts = WorldOptions::actors(2);
    opts.td_env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    opts.td_env.push(("TD_SYNC_TIMEOUT".into(), "1s".into()));
    Harness::setup(&cfg, &opts).expect("world setup")
}

fn create(h: &Harness, actor: &str, title: &str) -> String {
    let out = h
        .td(actor, &["create".to_string(), title.to_string()])
        .expect("td create");
    assert!(out.ok(), "{}", out.output);
    extract_created_id(&out.output).expect("created id")
}

fn every_request(actor: &str, kind: FaultKind) -> Fault {
    Fault::every_request(actor, kind)
}

/// The server's stored events as (device, session, client_action_id, entity_id).
fn server_events(h: &Harness) -> Vec<(String, String, i64, String)> {
    let path = h
        .world_dir()
        .join("server-data/projects")
        .join(h.project_id())
        .join("events.db");
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare("SELECT device_id, session_id, client_action_id, entity_id FROM events ORDER BY server_seq")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn count_of(h: &Harness, kind: FaultKind) -> u64 {
    h.faults().counts().get(&kind).copied().unwrap_or(0)
}

/// One value of a read-only query on `actor`'s database.
fn scalar<T: rusqlite::types::FromSql>(h: &Harness, actor: &str, sql: &str) -> T {
    let conn =
        Connection::open_with_flags(h.db_path(actor), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn unsynced(h: &Harness, actor: &str) -> i64 {
    scalar(
        h,
        actor,
        "SELECT COUNT(*) FROM action_log WHERE synced_at IS NULL AND undone = 0",
    )
}

#[test]
fn lost_response_commits_on_the_server_and_the_retry_does_not_duplicate() {
    let h = world(&[]);
    let id = create(&h, "alice", "lost answer");
    let before = server_events(&h).len();
    h.faults()
        .invoke(&every_request("alice", FaultKind::LostResponse))
        .unwrap();
    let out = h.sync("alice").unwrap();
    assert!(
        !out.ok(),
        "the answer was lost, td must fail: {}",
        out.output
    );
    let stored = server_events(&h);
    assert!(
        stored.len() > before,
        "the push was committed before the answer was lost"
    );
    assert!(stored.iter().any(|e| e.3 == id));
    assert!(
        unsynced(&h, "alice") > 0,
        "td never heard the ack: rows stay pending"
    );
    assert!(count_of(&h, FaultKind::LostResponse) >= 1);
    h.faults().heal().unwrap();
    let out = h.sync("alice").unwrap();
    assert!(out.ok(), "{}", out.output);
    assert_eq!(
        server_events(&h).len(),
        stored.len(),
        "the retry was deduplicated"
    );
    assert_eq!(unsynced(&h, "alice"), 0);
}

#[test]
fn partitions_refuse_hang_or_drop_answers_and_heal() {
    let h = world(&[]);
    create(&h, "alice", "cut off");
    for mode in PartitionMode::ALL {
        let fault = Fault::Partition {
            actor: "alice".into(),
            mode,
        };
        h.faults().invoke(&fault).unwrap();
        assert!(h.faults().cut_off("alice") && !h.faults().cut_off("bob"));
        let started = Instant::now();
        let out = h.sync("alice").unwrap();
        assert!(!out.ok(), "{mode:?}: {}", out.output);
        if mode != PartitionMode::Refuse {
            assert!(
                started.elapsed() >= Duration::from_millis(900),
                "{mode:?} must wait for td's own timeout"
            );
        }
        assert!(h.sync("bob").unwrap().ok(), "bob is not partitioned");
        h.faults().end(&fault).unwrap();
        assert!(!h.faults().cut_off("alice"));
    }
    assert!(count_of(&h, FaultKind::Partition) >= 3);
    let out = h.sync("alice").unwrap();
    assert!(out.ok(), "{}", out.output);
    let history = h.history().records();
    assert!(history.iter().any(|r| r.action == "fault:partition"));
    assert!(history.iter().any(|r| r.action == "heal:partition"));
}

#[test]
fn injected_answers_never_reach_the_server() {
    let h = world(&[]);
    create(&h, "alice", "never stored");
    let before = server_events(&h).len();
    for (kind, code) in [
        (FaultKind::Http500, "500"),
        (FaultKind::Http503, "503"),
        (FaultKind::Http429, "429"),
    ] {
        h.faults().invoke(&every_request("alice", kind)).unwrap();
        let out = h.td("alice", &["sync".to_string()]).unwrap();
        assert!(
            !out.ok() && out.output.contains(code),
            "{kind:?}: {}",
            out.output
        );
        assert_eq!(
            server_events(&h).len(),
            before,
            "{kind:?} reached the store"
        );
        assert!(count_of(&h, kind) >= 1);
    }
    h.faults().heal().unwrap();
    assert!(h.sync("alice").unwrap().ok());
}

#[test]
fn reset_and_truncated_answers_leave_nothing_half_done() {
    let h = world(&[]);
    for kind in [FaultKind::Reset, FaultKind::Truncate] {
        create(&h, "alice", &format!("{kind:?}"));
        h.faults().invoke(&every_request("alice", kind)).unwrap();
        let out = h.sync("alice").unwrap();
        assert!(!out.ok(), "{kind:?}: {}", out.output);
        assert!(
            unsynced(&h, "alice") > 0,
            "{kind:?}: a half answer marked rows synced"
        );
        h.faults().heal().unwrap();
        assert!(h.sync("alice").unwrap().ok());
        assert_eq!(unsynced(&h, "alice"), 0);
    }
    let events = server_events(&h);
    let mut keys: Vec<_> = events.iter().map(|e| (&e.0, &e.1, e.2)).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), events.len(), "no client action stored twice");
}

#[test]
fn server_killed_in_flight_restarts_on_the_same_data() {
    let h = world(&[]);
    let id = create(&h, "alice", "survives the kill");
    let pid = h.server_pid().unwrap();
    h.faults()
        .invoke(&every_request("alice", FaultKind::ServerKill))
        .unwrap();
    let out = h.sync("alice").unwrap();
    assert!(!out.ok(), "{}", out.output);
    assert_eq!(
        count_of(&h, FaultKind::ServerKill),
        1,
        "one kill per failed request"
    );
    let new_pid = h.server_pid().expect("restarted");
    assert_ne!(pid, new_pid);
    assert!(
        server_events(&h).iter().any(|e| e.3 == id),
        "committed before the kill"
    );
    h.faults().heal().unwrap();
    assert!(h.sync("alice").unwrap().ok());
    assert!(h.sync("bob").unwrap().ok());
    let bob = Connection::open(h.db_path("bob")).unwrap();
    let n: i64 = bob
        .query_row("SELECT COUNT(*) FROM issues WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn client_killed_mid_sync_keeps_a_consistent_database() {
    let h = world(&[]);
    for i in 0..5 {
        create(&h, "alice", &format!("kill {i}"));
    }
    h.faults()
        .invoke(&every_request("alice", FaultKind::ClientKill))
        .unwrap();
    let before = h.faults().disturbances("alice");
    let out = h.sync("alice").unwrap();
    assert_eq!(out.code, None, "td was killed: {}", out.output);
    assert!(h.faults().disturbances("alice") > before);
    let conn = Connection::open(h.db_path("alice")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    h.faults().heal().unwrap();
    let out = h.sync("alice").unwrap();
    assert!(out.ok(), "{}", out.output);
    assert_eq!(unsynced(&h, "alice"), 0, "a later sync finished the job");
}

#[test]
fn busy_database_rolls_the_page_back_and_keeps_the_cursor() {
    let h = world(&[("TD_BUSY_TIMEOUT_MS", "200")]);
    create(&h, "bob", "to pull");
    assert!(h.sync("bob").unwrap().ok());
    h.faults()
        .invoke(&every_request("alice", FaultKind::BusyDb))
        .unwrap();
    let cursor = h.faults().core().cursor("alice").unwrap();
    let out = h.sync("alice").unwrap();
    assert!(
        !out.ok(),
        "the apply must fail under the lock: {}",
        out.output
    );
    h.faults().after_op("alice", out.ok());
    assert_eq!(h.faults().core().cursor("alice").unwrap(), cursor);
    assert!(
        h.faults().core().violations().is_empty(),
        "{:?}",
        h.faults().core().violations()
    );
    assert_eq!(count_of(&h, FaultKind::BusyDb), 1);
    h.faults().heal().unwrap();
    assert!(h.sync("alice").unwrap().ok());
    assert!(
        h.faults().core().cursor("alice").unwrap() > cursor,
        "delivered later"
    );
}

#[test]
fn a_sync_that_succeeds_under_the_lock_is_a_violation() {
    let h = world(&[("TD_BUSY_TIMEOUT_MS", "200")]);
    create(&h, "bob", "to pull");
    assert!(h.sync("bob").unwrap().ok());
    h.faults()
        .invoke(&every_request("alice", FaultKind::BusyDb))
        .unwrap();
    let out = h.sync("alice").unwrap();
    assert!(!out.ok());
    // Crafted: report the sync as a success while the lock was held.
    h.faults().after_op("alice", true);
    let v = h.faults().core().violations();
    assert!(v.iter().any(|v| v.contains("reported success")), "{v:?}");
}

#[test]
fn paused_server_times_requests_out_and_resumes() {
    let h = world(&[]);
    create(&h, "alice", "paused");
    h.faults().invoke(&Fault::ServerPause).unwrap();
    assert!(h.faults().cut_off("alice"));
    let started = Instant::now();
    let out = h.sync("alice").unwrap();
    assert!(!out.ok(), "{}", out.output);
    assert!(started.elapsed() >= Duration::from_millis(900));
    h.faults().end(&Fault::ServerPause).unwrap();
    assert!(!h.faults().cut_off("alice"));
    let out = h.sync("alice").unwrap();
    assert!(out.ok(), "{}", out.output);
    assert_eq!(count_of(&h, FaultKind::ServerPause), 1);
}

#[test]
fn latency_and_a_slow_link_delay_but_deliver() {
    let h = world(&[]);
    for i in 0..20 {
        create(&h, "alice", &format!("slow {i} {}", "x".repeat(150)));
    }
    let rates = RequestRates {
        latency: Some((Duration::from_millis(40), Duration::from_millis(60))),
        slow_link: Some(20_000),
        ..RequestRates::default()
    };
    h.faults()
        .invoke(&Fault::Requests {
            actor: "alice".into(),
            rates,
            seed: 3,
        })
        .unwrap();
    let started = Instant::now();
    let out = h.sync("alice").unwrap();
    assert!(out.ok(), "{}", out.output);
    assert!(
        started.elapsed() >= Duration::from_millis(80),
        "two requests, 40 ms each at least"
    );
    assert!(count_of(&h, FaultKind::Latency) >= 2);
    let history = h.history().records();
    let delays: Vec<&str> = history
        .iter()
        .filter(|r| r.action == "fault:latency")
        .map(|r| r.output.as_str())
        .collect();
    assert!(delays.iter().all(|d| d.contains("ms")), "{delays:?}");
}

#[test]
fn a_fault_world_leaves_no_process_or_port_behind() {
    let h = world(&[]);
    let pid = h.server_pid().unwrap();
    let proxy = h.actor_url("alice");
    h.faults().invoke(&Fault::ServerPause).unwrap();
    drop(h);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the paused server outlived its world"
    );
    let port: u16 = proxy.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the proxy still accepts connections"
    );
}

#[test]
fn the_same_seed_fires_the_same_faults_at_the_same_requests() {
    fn run() -> Vec<(String, String)> {
        let h = world(&[]);
        let rates = RequestRates {
            basis_points: BTreeMap::from([
                (FaultKind::LostResponse, 2_000),
                (FaultKind::Http503, 2_000),
            ]),
            ..RequestRates::default()
        };
        for actor in ["alice", "bob"] {
            h.faults()
                .invoke(&Fault::Requests {
                    actor: actor.into(),
                    rates: rates.clone(),
                    seed: 99,
                })
                .unwrap();
        }
        for i in 0..12 {
            let actor = if i % 2 == 0 { "alice" } else { "bob" };
            create(&h, actor, &format!("op {i}"));
            let _ = h.sync(actor).unwrap();
        }
        h.history()
            .records()
            .into_iter()
            .filter(|r| r.action.starts_with("fault:"))
            .map(|r| (r.action, r.actor))
            .collect()
    }
    let (a, b) = (run(), run());
    assert!(a.len() >= 4, "faults fired: {a:?}");
    assert_eq!(a, b);
}

fn newest_local_stamp(h: &Harness, actor: &str) -> String {
    scalar(
        h,
        actor,
        "SELECT timestamp FROM action_log WHERE synced_at IS NULL ORDER BY rowid DESC LIMIT 1",
    )
}

fn epoch_of(stamp: &str) -> i64 {
    td_core::time::parse_any(stamp).unwrap().timestamp()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn clock_skew_moves_the_actors_timestamps_and_heals() {
    if td_e2e::faults::clock::library().is_err() {
        panic!("libfaketime is required for this test (apt-get install -y faketime)");
    }
    let h = world(&[]);
    for (offset, title) in [(-2 * 86_400, "two days ago"), (3 * 3_600, "three hours on")] {
        h.faults()
            .invoke(&Fault::ClockSkew {
                actor: "alice".into(),
                offset_secs: offset,
            })
            .unwrap();
        create(&h, "alice", title);
        h.faults().after_op("alice", true);
        let shift = epoch_of(&newest_local_stamp(&h, "alice")) - now();
        assert!(
            (shift - offset).abs() < 30,
            "offset {offset}, shift {shift}"
        );
    }
    create(&h, "bob", "real time");
    assert!((epoch_of(&newest_local_stamp(&h, "bob")) - now()).abs() < 30);
    assert!(h.faults().core().violations().is_empty());
    h.faults().heal().unwrap();
    create(&h, "alice", "back to now");
    assert!((epoch_of(&newest_local_stamp(&h, "alice")) - now()).abs() < 30);
    assert_eq!(count_of(&h, FaultKind::ClockSkew), 2);

    // Crafted: a "faketime" that does nothing. The skew must be caught not taking effect.
    // (Set here, not in a test of its own: the variable is process-wide.)
    std::env::set_var("FAKETIME_LIB", "/lib/x86_64-linux-gnu/libm.so.6");
    h.faults()
        .invoke(&Fault::ClockSkew {
            actor: "bob".into(),
            offset_secs: 86_400,
        })
        .unwrap();
    create(&h, "bob", "not really skewed");
    h.faults().after_op("bob", true);
    std::env::remove_var("FAKETIME_LIB");
    let v = h.faults().core().violations();
    assert!(
        v.iter()
            .any(|v| v.contains("clock_skew: bob should run at +1d")),
        "{v:?}"
    );
}

#[test]
fn a_panicking_case_leaves_no_paused_server_or_proxy() {
    let seen = std::sync::Mutex::new((0u32, 0u16));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let h = world(&[]);
        let port: u16 = h
            .actor_url("alice")
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        *seen.lock().unwrap() = (h.server_pid().unwrap(), port);
        h.faults().invoke(&Fault::ServerPause).unwrap();
        h.faults()
            .invoke(&Fault::Partition {
                actor: "alice".into(),
                mode: PartitionMode::Blackhole,
            })
            .unwrap();
        panic!("the case blew up mid-fault");
    }));
    assert!(r.is_err());
    let (pid, port) = *seen.lock().unwrap();
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn one_seed_replays_the_same_chaos_faults_at_the_same_operations() {
    use std::sync::Arc;
    use td_e2e::engine::{run_chaos, ChaosConfig, ChaosHooks, SyncMode};
    fn run() -> Vec<String> {
        let h = world(&[]);
        let mut config = ChaosConfig::new(4242, 60);
        config.sync_mode = SyncMode::Aggressive;
        config.faults.requests.basis_points =
            BTreeMap::from([(FaultKind::LostResponse, 1_500), (FaultKind::Reset, 1_000)]);
        config.faults.partition = 1_000;
        config.faults.partition_modes = vec![PartitionMode::Refuse];
        config.faults.partition_actions = (2, 4);
        config.faults.server_restart_every = 25;
        // The world's history: the proxies record their faults there too.
        let history = h.history();
        let hooks = ChaosHooks {
            history: Arc::clone(&history),
            nemesis: Some(h.faults()),
            progress: None,
            after_sync: None,
        };
        run_chaos(&h, &config, hooks).expect("chaos");
        history
            .records()
            .into_iter()
            .map(|r| format!("{} {} {}", r.action, r.actor, r.result.as_str()))
            .collect()
    }
    let (a, b) = (run(), run());
    let faults = a.iter().filter(|l| l.starts_with("fault:")).count();
    assert!(faults >= 5, "too few faults to prove anything: {a:#?}");
    let first_difference = a.iter().zip(&b).position(|(x, y)| x != y);
    assert_eq!(first_difference, None, "{a:#?}\n---\n{b:#?}");
    assert_eq!(a.len(), b.len());
}
