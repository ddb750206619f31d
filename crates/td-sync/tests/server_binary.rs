//! The real `td-sync` binary: admin commands, startup, SIGKILL + restart on the same data
//! dir and port (acked events survive, seqs continue), SIGTERM shutdown.

#[allow(dead_code)]
#[path = "server_api/common.rs"]
mod common;

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{events, push_body, Http};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_td-sync");
const TIMEOUT: Duration = Duration::from_secs(30);
const ALICE: &str = "alice@test.local";

/// A child process that is killed and reaped when dropped.
struct Proc(Child);

impl Proc {
    /// Waits up to `limit` for exit. Child has no blocking wait with a timeout, so this
    /// polls `try_wait`.
    fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        wait_child(&mut self.0, limit)
    }

    fn sigkill(&mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reap");
    }

    fn sigterm(&mut self) {
        let rc = unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        assert_eq!(rc, 0, "kill(SIGTERM)");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_child(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// Runs `td-sync admin …` with a timeout.
fn admin(args: &[&str], db: &Path) -> Output {
    let mut child = Command::new(BIN)
        .arg("admin")
        .args(args)
        .arg("--db")
        .arg(db)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn td-sync admin");
    // Output is a few lines, far below the pipe buffer, so waiting before reading is safe.
    if wait_child(&mut child, TIMEOUT).is_none() {
        let _ = child.kill();
        let _ = child.wait();
        panic!("td-sync admin {args:?} timed out");
    }
    child.wait_with_output().expect("admin output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn admin_create_user_is_idempotent_and_flags_follow_go_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/server.db");
    let out = admin(&["create-user", "--email", "Alice@Test.local"], &db);
    assert!(out.status.success(), "{out:?}");
    let first = text(&out.stdout);
    let id = first
        .strip_prefix("created user alice@test.local (")
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("stdout: {first:?}"));
    assert!(id.starts_with("u_") && id.len() == 18);
    for form in [
        &["create-user", "-email", ALICE][..],
        &["create-user", "--email=alice@test.local"],
    ] {
        let again = admin(form, &db);
        assert!(again.status.success());
        assert_eq!(
            text(&again.stdout),
            format!("user already exists: {ALICE} ({id})\n")
        );
    }
    let missing = admin(&["create-user"], &db);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).starts_with("error: --email is required\n"));
    assert!(text(&missing.stderr).contains("usage: td-sync admin"));
    let unknown = admin(&["frobnicate"], &db);
    assert_eq!(unknown.status.code(), Some(1));
    let granted = admin(&["grant", "--email", ALICE], &db);
    assert_eq!(text(&granted.stdout), format!("granted admin to {ALICE}\n"));
    let refused = admin(&["revoke", "--email", ALICE], &db);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        text(&refused.stderr),
        "error: cannot revoke the last admin\n"
    );
}

/// Server environment as the harness sets it, on `listen` with `data` as the data dir.
/// Any previous address file is removed first, so its presence means this start bound.
fn server(listen: &str, data: &Path, extra: &[(&str, &str)]) -> Proc {
    let _ = std::fs::remove_file(data.join("addr"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("server.log"))
        .unwrap();
    let child = Command::new(BIN)
        .env_clear()
        .env("SYNC_LISTEN_ADDR", listen)
        .env("SYNC_ADDR_FILE", data.join("addr"))
        .env("SYNC_SERVER_DB_PATH", data.join("server.db"))
        .env("SYNC_PROJECT_DATA_DIR", data.join("projects"))
        .env("SYNC_EMAIL_PROVIDER", "memory")
        .env("SYNC_DEV_EMAIL_INSPECT", "1")
        .env("SYNC_EMAIL_BASE_URL", "http://localhost:1")
        .env("SYNC_LOG_FORMAT", "text")
        .env("SYNC_RATE_LIMIT_AUTH", "1000")
        .env("SYNC_RATE_LIMIT_PUSH", "10000")
        .env("SYNC_RATE_LIMIT_PULL", "10000")
        .env("SYNC_RATE_LIMIT_OTHER", "10000")
        .envs(extra.iter().copied())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("spawn td-sync");
    Proc(child)
}

/// Waits for the address file, then for `/healthz` on `localhost` (which may resolve to
/// `::1` first, so this also checks the dual-stack bind). Returns the port.
fn wait_ready(p: &mut Proc, data: &Path) -> u16 {
    let deadline = Instant::now() + TIMEOUT;
    let addr_file = data.join("addr");
    let port = loop {
        if addr_file.exists() {
            let addr: std::net::SocketAddr = std::fs::read_to_string(&addr_file)
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            break addr.port();
        }
        assert!(
            p.0.try_wait().unwrap().is_none(),
            "td-sync exited: {}",
            log(data)
        );
        assert!(Instant::now() < deadline, "no address file: {}", log(data));
        std::thread::sleep(Duration::from_millis(10));
    };
    let http = Http::new(&format!("http://localhost:{port}"));
    loop {
        if let Ok(r) = http.try_call("GET", "/healthz", None, common::Body::None) {
            if r.status == 200 {
                return port;
            }
        }
        assert!(
            p.0.try_wait().unwrap().is_none(),
            "td-sync exited: {}",
            log(data)
        );
        assert!(Instant::now() < deadline, "never healthy: {}", log(data));
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log(data: &Path) -> String {
    std::fs::read_to_string(data.join("server.log")).unwrap_or_default()
}

fn pull_all(http: &Http, key: &str, p: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let page = http
            .pull(key, p, &format!("after_server_seq={}", out.len()))
            .json();
        let evs = page["events"].as_array().unwrap().clone();
        if evs.is_empty() {
            return out;
        }
        out.extend(evs);
    }
}

#[test]
fn sigkill_mid_push_then_restart_keeps_acked_events_and_continues_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert!(
        admin(&["create-user", "--email", ALICE], &data.join("server.db"))
            .status
            .success()
    );
    let mut proc = server(":0", data, &[]);
    let port = wait_ready(&mut proc, data);
    assert!(log(data).contains("server started"), "{}", log(data));
    let http = Http::new(&format!("http://localhost:{port}"));
    let key = http.login(ALICE);
    let p = http.create_project(&key, "restart");

    // A pusher acks batches until the server dies under it.
    let (tx, rx) = mpsc::channel::<Vec<(i64, i64)>>();
    let (k2, p2, base) = (key.clone(), p.clone(), http.base.clone());
    let pusher = std::thread::spawn(move || {
        let http = Http::new(&base);
        for batch in 0.. {
            let body = push_body("dev1", "ses_a", events(batch * 200 + 1, 200));
            let Ok(r) = http.try_call(
                "POST",
                &format!("/v1/projects/{p2}/sync/push"),
                Some(&k2),
                common::Body::Json(body),
            ) else {
                return;
            };
            let acks = r.json()["acks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["client_action_id"].as_i64().unwrap(),
                        a["server_seq"].as_i64().unwrap(),
                    )
                })
                .collect();
            if tx.send(acks).is_err() {
                return;
            }
        }
    });
    let mut acked: Vec<(i64, i64)> = Vec::new();
    for _ in 0..3 {
        acked.extend(
            rx.recv_timeout(TIMEOUT)
                .expect("pushes acked before the kill"),
        );
    }
    proc.sigkill();
    pusher.join().expect("pusher");
    acked.extend(rx.try_iter().flatten());

    let mut proc = server(&format!(":{port}"), data, &[]);
    assert_eq!(wait_ready(&mut proc, data), port, "same port after SIGKILL");
    let stored = pull_all(&http, &key, &p);
    let seqs: Vec<i64> = stored
        .iter()
        .map(|e| e["server_seq"].as_i64().unwrap())
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
    let next = http.push(&key, &p, push_body("dev1", "ses_b", events(1, 1)));
    next.expect(200);
    assert_eq!(common::ack_seqs(&next), [stored.len() as i64 + 1]);

    proc.sigterm();
    let status = proc.wait_for(TIMEOUT).expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}: {}", log(data));
}

#[test]
fn bad_email_provider_fails_startup() {
    let dir = tempfile::tempdir().unwrap();
    let mut proc = server(":0", dir.path(), &[("SYNC_EMAIL_PROVIDER", "smtp")]);
    let status = proc.wait_for(TIMEOUT).expect("exits");
    assert_eq!(status.code(), Some(1));
}
