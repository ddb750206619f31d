//! The real `td-sync` binary: admin commands, startup, SIGKILL + restart on the same data
//! dir and port (acked events survive, seqs continue), SIGTERM shutdown. Requests go
//! straight to the server over raw HTTP ([`td_e2e::harness::api`]).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use td_e2e::config::HarnessConfig;
use td_e2e::harness::api::{Api, ApiResponse};
use td_e2e::harness::control::admin;
use td_e2e::harness::server::ServerSpec;
use td_e2e::harness::sut::{binaries, Binaries};
use td_e2e::harness::Harness;

use crate::world::world;

const TIMEOUT: Duration = Duration::from_secs(30);
const ALICE: &str = "alice@test.local";

fn config() -> HarnessConfig {
    HarnessConfig::load_default().expect("load harness.toml")
}

fn bins(cfg: &HarnessConfig) -> Binaries {
    binaries(cfg).expect("build td and td-sync")
}

/// `td-sync admin <args> --db <db>`: exit code and output (stdout and stderr together).
fn run_admin(bins: &Binaries, db: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = admin(bins, db, args, TIMEOUT).expect("run td-sync admin");
    (out.code, out.output)
}

#[test]
fn admin_create_user_is_idempotent_and_flags_follow_go_syntax() {
    let bins = bins(&config());
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("data/server.db");
    let (code, first) = run_admin(&bins, &db, &["create-user", "--email", "Alice@Test.local"]);
    assert_eq!(code, Some(0), "{first}");
    let id = first
        .strip_prefix("created user alice@test.local (")
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("output: {first:?}"));
    assert!(id.starts_with("u_") && id.len() == 18);
    for form in [
        &["create-user", "-email", ALICE][..],
        &["create-user", "--email=alice@test.local"],
    ] {
        let (code, again) = run_admin(&bins, &db, form);
        assert_eq!(code, Some(0), "{again}");
        assert_eq!(again, format!("user already exists: {ALICE} ({id})\n"));
    }
    let (code, missing) = run_admin(&bins, &db, &["create-user"]);
    assert_eq!(code, Some(1));
    assert!(
        missing.starts_with("error: --email is required\n"),
        "{missing}"
    );
    assert!(missing.contains("usage: td-sync admin"), "{missing}");
    let (code, _) = run_admin(&bins, &db, &["frobnicate"]);
    assert_eq!(code, Some(1));
    let (_, granted) = run_admin(&bins, &db, &["grant", "--email", ALICE]);
    assert_eq!(granted, format!("granted admin to {ALICE}\n"));
    let (code, refused) = run_admin(&bins, &db, &["revoke", "--email", ALICE]);
    assert_eq!(code, Some(1));
    assert_eq!(refused, "error: cannot revoke the last admin\n");
}

/// `n` push events with client_action_ids `first..first+n`.
fn events(first: i64, n: i64) -> Vec<Value> {
    (first..first + n)
        .map(|i| {
            json!({
                "client_action_id": i,
                "action_type": "create",
                "entity_type": "issues",
                "entity_id": format!("td-{i:06}"),
                "payload": {"schema_version": 1, "new_data": {"id": format!("td-{i:06}"),
                            "title": format!("issue {i}")}, "previous_data": {}},
                "client_timestamp": "2026-01-02T03:04:05Z",
            })
        })
        .collect()
}

/// A push body from `device`/`session`.
fn push_body(device: &str, session: &str, events: Vec<Value>) -> Value {
    json!({"device_id": device, "session_id": session, "events": events})
}

/// A push answer's acks as (client_action_id, server_seq), in order.
fn acks(resp: &ApiResponse) -> Vec<(i64, i64)> {
    let v = resp.json().expect("push answer");
    v["acks"]
        .as_array()
        .unwrap_or_else(|| panic!("no acks in {v}"))
        .iter()
        .map(|a| {
            let field = |k: &str| a[k].as_i64().unwrap_or_else(|| panic!("{k} of {a}"));
            (field("client_action_id"), field("server_seq"))
        })
        .collect()
}

/// The port the world's server listens on now.
fn port(h: &Harness) -> u16 {
    let url = h.server_url();
    url.rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in server url")
}

/// `/healthz` answers 200 on `localhost`, which may resolve to `::1` first, so this also
/// checks the dual-stack bind of a Go-style `:PORT`.
fn assert_healthy_on_localhost(h: &Harness) -> Api {
    let api = Api::new(&format!("http://localhost:{}", port(h)));
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match api.call("GET", "/healthz", None, None) {
            Ok(r) if r.status == 200 => return api,
            other => assert!(
                Instant::now() < deadline,
                "never healthy on localhost: {other:?}\n{}",
                h.server_log()
            ),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pushes 200-event batches as dev1/ses_a until the server dies under it, sending each
/// batch's acks to `tx`.
fn push_until_dead(base: String, key: String, project: String, tx: mpsc::Sender<Vec<(i64, i64)>>) {
    let api = Api::new(&base);
    for batch in 0.. {
        let body = push_body("dev1", "ses_a", events(batch * 200 + 1, 200));
        let Ok(r) = api.push(&key, &project, &body) else {
            return;
        };
        if tx.send(acks(&r)).is_err() {
            return;
        }
    }
}

#[test]
fn sigkill_mid_push_then_restart_keeps_acked_events_and_continues_seqs() {
    let h = world(2);
    // Go-style `:PORT` from here on: every interface, IPv6 and IPv4.
    h.set_server_listen_host("");
    h.restart_server().expect("restart on :PORT");
    let port_before = port(&h);
    let api = assert_healthy_on_localhost(&h);
    assert!(
        h.server_log().contains("server started"),
        "{}",
        h.server_log()
    );
    let key = h.auth_field("alice", "api_key").expect("alice's key");
    let project = h.project_id();

    // A pusher acks batches until the server dies under it.
    let (tx, rx) = mpsc::channel();
    let pusher = {
        let (base, key, project) = (
            format!("http://localhost:{port_before}"),
            key.clone(),
            project.clone(),
        );
        std::thread::spawn(move || push_until_dead(base, key, project, tx))
    };
    let mut acked: Vec<(i64, i64)> = Vec::new();
    for _ in 0..3 {
        acked.extend(
            rx.recv_timeout(TIMEOUT)
                .expect("pushes acked before the kill"),
        );
    }
    h.stop_server().expect("SIGKILL the server");
    pusher.join().expect("pusher");
    acked.extend(rx.try_iter().flatten());

    h.start_server().expect("restart after SIGKILL");
    assert_eq!(port(&h), port_before, "same port after SIGKILL");
    assert_healthy_on_localhost(&h);
    let stored = api.pull_all(&key, &project).expect("pull everything");
    let seqs: Vec<i64> = stored
        .iter()
        .map(|e| e["server_seq"].as_i64().expect("server_seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "no gaps"
    );
    for (cid, seq) in &acked {
        let ev = &stored[(*seq - 1) as usize];
        assert_eq!(
            ev["client_action_id"], *cid,
            "acked event {cid} lost or moved"
        );
    }
    assert!(stored.len() >= acked.len());
    let next = api
        .push(&key, &project, &push_body("dev1", "ses_b", events(1, 1)))
        .expect("push after the restart");
    assert_eq!(next.status, 200, "{}", next.body);
    let next_seqs: Vec<i64> = acks(&next).into_iter().map(|(_, seq)| seq).collect();
    assert_eq!(next_seqs, [stored.len() as i64 + 1]);

    let status = h.terminate_server(TIMEOUT).expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}: {}", h.server_log());
}

#[test]
fn bad_email_provider_fails_startup() {
    let cfg = config();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("server-data")).expect("mkdir server-data");
    let mut env: Vec<(String, String)> = cfg.server_env.clone().into_iter().collect();
    env.push(("SYNC_EMAIL_PROVIDER".into(), "smtp".into()));
    let spec = ServerSpec {
        binary: bins(&cfg).td_sync,
        world: dir.path().to_path_buf(),
        env,
        health_timeout: TIMEOUT,
        listen_host: "127.0.0.1".into(),
    };
    let err = spec.start(0).err().expect("startup must fail");
    assert!(err.contains("(exit status: 1)"), "{err}");
}
