//! One td user: own HOME and working dir, a fixed `TD_SESSION_ID`, an environment with
//! nothing inherited but PATH, and auth.json/config.json written like the e2e harness
//! writes them (client spec §1.3).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};
use serde_json::json;
use td_core::schema::quote_ident;

use super::bins;
use super::login::{device_login, Credentials};
use super::process::{run, Out, Running};

/// Budget of one td invocation (a big push included).
pub const TD_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Actor {
    pub name: String,
    pub email: String,
    pub home: PathBuf,
    /// The project directory (`client-<name>`), td's working directory.
    pub root: PathBuf,
    pub device_id: String,
    pub creds: Credentials,
}

impl Actor {
    /// `td init` in `<dir>/client-<name>`, device login against `server_url`, config files.
    pub fn new(dir: &Path, name: &str, server_url: &str) -> Actor {
        let email = format!("{name}@test.local");
        let home = dir.join(format!("home-{name}"));
        let root = dir.join(format!("client-{name}"));
        std::fs::create_dir_all(&home).expect("create home");
        std::fs::create_dir_all(&root).expect("create client dir");
        let actor = Actor {
            name: name.to_string(),
            creds: device_login(server_url, &email),
            email,
            home,
            root,
            device_id: hex::encode(rand::random::<[u8; 16]>()),
        };
        actor.write_config(server_url);
        actor.ok(&["init"]);
        actor
    }

    /// `~/.config/td/auth.json` and `config.json` (autosync off, bootstrap disabled).
    pub fn write_config(&self, server_url: &str) {
        let dir = self.home.join(".config").join("td");
        std::fs::create_dir_all(&dir).expect("create ~/.config/td");
        let auth = json!({
            "api_key": self.creds.api_key, "user_id": self.creds.user_id,
            "email": self.creds.email, "server_url": server_url,
            "device_id": self.device_id, "expires_at": self.creds.expires_at,
        });
        let config = json!({"sync": {
            "url": server_url, "enabled": true, "autosync": null, "snapshot_threshold": 0,
            "auto": {"enabled": false, "on_start": false, "debounce": "2s",
                     "interval": "10s", "pull": true},
        }});
        std::fs::write(dir.join("auth.json"), auth.to_string()).expect("write auth.json");
        std::fs::write(dir.join("config.json"), config.to_string()).expect("write config.json");
    }

    /// The configured `td <args>` command.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bins::td());
        cmd.args(args)
            .current_dir(&self.root)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("TD_SESSION_ID", &self.name)
            .env("TD_ANALYTICS", "0")
            .env(
                "TD_ENABLE_FEATURE",
                "sync_cli,sync_autosync,sync_monitor_prompt",
            );
        cmd
    }

    pub fn td(&self, args: &[&str]) -> Out {
        run(self.command(args), TD_TIMEOUT)
    }

    /// `td <args>`, asserting exit 0.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.td(args);
        assert_eq!(
            out.code,
            Some(0),
            "{}: td {args:?} failed: {out:#?}",
            self.name
        );
        out
    }

    /// `td <args>` in the background.
    pub fn spawn(&self, args: &[&str]) -> Running {
        Running::spawn(self.command(args), true)
    }

    /// `td sync`, asserting exit 0.
    #[track_caller]
    pub fn sync(&self) -> Out {
        self.ok(&["sync"])
    }

    /// `td create <title> <extra…>`; returns the new issue id.
    #[track_caller]
    pub fn create(&self, title: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", title];
        args.extend_from_slice(extra);
        let out = self.ok(&args);
        out.stdout
            .split(|c: char| c.is_whitespace() || c == ':' || c == ',')
            .find(|w| w.starts_with("td-"))
            .unwrap_or_else(|| panic!("no issue id in {out:#?}"))
            .to_string()
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(".todos").join("issues.db")
    }

    /// Read-only, as the e2e verifier opens it between commands.
    pub fn db(&self) -> Connection {
        let c = Connection::open_with_flags(self.db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open issues.db");
        c.busy_timeout(Duration::from_secs(10))
            .expect("busy timeout");
        c
    }

    /// Writable, for seeding states the CLI cannot reach quickly.
    pub fn db_rw(&self) -> Connection {
        let c = Connection::open(self.db_path()).expect("open issues.db");
        td_core::schema::apply_pragmas(&c).expect("pragmas");
        c
    }

    /// One integer from `sql`.
    #[track_caller]
    pub fn int(&self, sql: &str) -> i64 {
        self.db()
            .query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `table.column` of the row with id `id` (panics when the row is missing).
    #[track_caller]
    pub fn field(&self, table: &str, id: &str, column: &str) -> SqlValue {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            quote_ident(column),
            quote_ident(table)
        );
        self.db()
            .query_row(&sql, [id], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{}: {sql} [{id}]: {e}", self.name))
    }

    /// `field` as text (panics on NULL or non-text).
    #[track_caller]
    pub fn text(&self, table: &str, id: &str, column: &str) -> String {
        match self.field(table, id, column) {
            SqlValue::Text(t) => t,
            other => panic!("{}: {table}.{column} of {id} is {other:?}", self.name),
        }
    }
}
