//! Extra devices of a world: a fresh replica — a new user and device with an empty database,
//! invited as a reader — that joins the project and pulls the whole log, and a rewound cursor
//! that makes an existing replica pull everything again. Both prove the log alone rebuilds
//! the state ("replay from nothing").

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;

use super::world::{email, Harness};
use super::HarnessError;
use crate::driver::{Driver, DriverError, TdOutput};

static FRESH: AtomicUsize = AtomicUsize::new(0);

impl Harness {
    /// Runs td as the extra device `who`; a failure is an error naming the step.
    fn device_ok(&self, who: &str, args: &[&str], step: &str) -> Result<String, HarnessError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let out = self.spawn_td(who, &args, &[])?;
        if !out.ok() {
            return Err(HarnessError::setup(
                format!("{step} ({who})"),
                format!("exit {:?}: {}", out.code, out.output),
            ));
        }
        Ok(out.output)
    }

    /// A new device (its own user, HOME, login, device id and empty database), invited by the
    /// first actor as a reader; it links to the project and syncs once. Returns its
    /// `issues.db`. (A new user, not a second device of an actor's: td-sync allows one
    /// device-login email per address a minute.)
    pub fn add_fresh_replica(&self) -> Result<PathBuf, HarnessError> {
        let who = format!("fresh-{}", FRESH.fetch_add(1, Ordering::SeqCst));
        self.add_device(&who, Some("reader"))?;
        self.device_ok(&who, &["sync-project", "link", &self.project_id()], "link")?;
        self.device_ok(&who, &["sync"], "sync")?;
        Ok(self.device_db(&who))
    }

    /// A new user `who` with one logged-in device and an initialised, empty database, talking
    /// to the server directly. With a `role` the first actor invites it to the project;
    /// without one it is an outsider (logged in to the same server, never invited). It is not
    /// linked to the project yet.
    pub fn add_device(&self, who: &str, role: Option<&str>) -> Result<(), HarnessError> {
        for d in [self.client_dir(who), self.home_dir(who).join(".config/td")] {
            std::fs::create_dir_all(&d)
                .map_err(HarnessError::io(format!("mkdir {}", d.display())))?;
        }
        self.create_user(who)?;
        self.device_ok(who, &["init"], "init")?;
        if let Some(role) = role {
            let owner = self.actors()[0].clone();
            self.expect_ok(
                &owner,
                &["sync-project", "invite", &email(who), role],
                &format!("invite {who} as {role}"),
            )?;
        }
        let creds = crate::harness::auth::device_login(&self.server_url(), &email(who))
            .map_err(|e| HarnessError::setup(format!("auth {who}"), e))?;
        let mut id = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut id);
        let auth = json!({
            "api_key": creds.api_key, "device_id": hex::encode(id), "email": creds.email,
            "server_url": self.server_url(), "user_id": creds.user_id,
        });
        self.write_actor_file(who, "auth.json", &auth, 0o600)?;
        let config = json!({"sync": {"url": self.server_url(), "enabled": true,
            "snapshot_threshold": 0, "auto": {"enabled": false, "on_start": false,
            "debounce": "2s", "interval": "10s", "pull": true}}});
        self.write_actor_file(who, "config.json", &config, 0o644)
    }

    /// `td <args>` as an extra device of [`Harness::add_device`].
    pub fn device_td(&self, who: &str, args: &[&str]) -> Result<TdOutput, DriverError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        self.spawn_td(who, &args, &[])
    }

    /// An extra device's `issues.db`.
    pub fn device_db(&self, who: &str) -> PathBuf {
        self.client_dir(who).join(".todos/issues.db")
    }

    /// A string field of `who`'s auth.json (`device_id`, `user_id`, `api_key`).
    pub fn auth_field(&self, who: &str, field: &str) -> Result<String, HarnessError> {
        let path = self.home_dir(who).join(".config/td/auth.json");
        let text = std::fs::read_to_string(&path)
            .map_err(HarnessError::io(format!("read {}", path.display())))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| HarnessError::setup(format!("parse {}", path.display()), e))?;
        v[field].as_str().map(str::to_string).ok_or_else(|| {
            HarnessError::setup(format!("{}", path.display()), format!("no {field}"))
        })
    }

    /// Removes `member` from the project through the server's API, as the first actor (td
    /// has no verb for it).
    pub fn remove_member(&self, member: &str) -> Result<(), HarnessError> {
        let owner = self.actors()[0].clone();
        let key = self.auth_field(&owner, "api_key")?;
        let user = self.auth_field(member, "user_id")?;
        let path = format!("/v1/projects/{}/members/{user}", self.project_id());
        let resp = self.api().call("DELETE", &path, Some(&key), None)?;
        if !(200..300).contains(&resp.status) {
            return Err(HarnessError::setup(
                format!("remove {member}"),
                format!("HTTP {}: {}", resp.status, resp.body),
            ));
        }
        Ok(())
    }

    /// Overwrites one string field of `who`'s auth.json (a revoked or forged `api_key`, for
    /// instance); the next td run uses it.
    pub fn set_auth_field(&self, who: &str, field: &str, value: &str) -> Result<(), HarnessError> {
        let path = self.home_dir(who).join(".config/td/auth.json");
        let text = std::fs::read_to_string(&path)
            .map_err(HarnessError::io(format!("read {}", path.display())))?;
        let mut v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| HarnessError::setup(format!("parse {}", path.display()), e))?;
        v[field] = serde_json::Value::String(value.into());
        self.write_actor_file(who, "auth.json", &v, 0o600)
    }

    /// Sets `actor`'s pull cursor back to 0, so its next sync pulls the whole log again.
    pub fn rewind_pull_cursor(&self, actor: &str) -> Result<(), HarnessError> {
        let path = self.db_path(actor);
        let conn = rusqlite::Connection::open(&path).map_err(|e| {
            HarnessError::setup("rewind cursor", format!("{}: {e}", path.display()))
        })?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .and_then(|_| conn.execute("UPDATE sync_state SET last_pulled_server_seq = 0", []))
            .map_err(|e| HarnessError::setup("rewind cursor", e))?;
        Ok(())
    }
}

/// For the checker: the replay steps as driver errors.
pub(crate) fn fresh(h: &Harness) -> Result<PathBuf, DriverError> {
    h.add_fresh_replica()
        .map_err(|e| DriverError::Other(e.to_string()))
}

pub(crate) fn rewind(h: &Harness, actor: &str) -> Result<(), DriverError> {
    h.rewind_pull_cursor(actor)
        .map_err(|e| DriverError::Other(e.to_string()))
}
