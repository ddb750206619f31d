//! Shared helpers of the td-sync end-to-end tests and benchmarks: a real td-sync process
//! ([`server::Server`]), real td clients ([`actor::Actor`]), device login over HTTP
//! ([`login`]), processes that cannot outlive a test ([`process`]), database comparisons
//! ([`db`]), and [`Team`], the usual setup of one server, one project and its members.
//!
//! Each test binary uses only part of this module.
#![allow(dead_code)]

pub mod actor;
pub mod bins;
pub mod db;
pub mod login;
pub mod process;
pub mod seed;
pub mod server;

use actor::Actor;
use server::Server;

/// A member's role, or no membership at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Writer,
    Reader,
    /// Logged in, linked to the project id, but never invited.
    Outsider,
}

/// One running server, a project created by the first actor (its owner) and the others
/// invited with their roles and linked. Dropping it kills the server.
pub struct Team {
    pub actors: Vec<Actor>,
    pub project: String,
    pub server: Server,
    // Last: the directory outlives the processes using it.
    tmp: tempfile::TempDir,
}

impl Team {
    /// `names[0]` owns the project; everyone else is a writer.
    pub fn new(names: &[&str]) -> Team {
        let (owner, rest) = names.split_first().expect("at least one actor");
        let members: Vec<(&str, Role)> = rest.iter().map(|n| (*n, Role::Writer)).collect();
        Team::with_roles(owner, &members)
    }

    pub fn with_roles(owner: &str, members: &[(&str, Role)]) -> Team {
        let tmp = tempfile::Builder::new()
            .prefix("td-sync-e2e-")
            .tempdir()
            .expect("temp dir");
        let mut server = Server::new(tmp.path());
        for name in std::iter::once(owner).chain(members.iter().map(|(n, _)| *n)) {
            server.create_user(&format!("{name}@test.local"));
        }
        server.start();
        let url = server.url();
        let boss = Actor::new(tmp.path(), owner, &url);
        let out = boss.ok(&["sync-project", "create", "e2e"]);
        let project = out
            .stdout
            .split(|c: char| c.is_whitespace() || "(),".contains(c))
            .find(|w| w.starts_with("p_"))
            .unwrap_or_else(|| panic!("no project id in {out:#?}"))
            .to_string();
        let mut team = Team {
            actors: vec![boss],
            project,
            server,
            tmp,
        };
        for (name, role) in members {
            team.join(name, *role);
        }
        team
    }

    /// Logs `name` in (the user must exist), adds it to the project with `role` and links
    /// its client.
    pub fn join(&mut self, name: &str, role: Role) -> &Actor {
        let a = Actor::new(self.tmp.path(), name, &self.server.url());
        let owner = &self.actors[0];
        match role {
            Role::Writer => owner.ok(&["sync-project", "invite", &a.email, "writer"]),
            Role::Reader => owner.ok(&["sync-project", "invite", &a.email, "reader"]),
            Role::Outsider => a.ok(&["auth", "status"]),
        };
        a.ok(&["sync-project", "link", &self.project]);
        self.actors.push(a);
        self.actors.last().expect("just pushed")
    }

    /// The actor called `name`.
    pub fn get(&self, name: &str) -> &Actor {
        self.actors
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no actor {name}"))
    }

    /// `td sync` for everyone in order, then again for all but the last, so every client
    /// has pulled every other's pushes.
    pub fn sync_all(&self) {
        for a in &self.actors {
            a.sync();
        }
        for a in &self.actors[..self.actors.len() - 1] {
            a.sync();
        }
    }

    /// Every client's synced tables equal the first client's, row by row.
    #[track_caller]
    pub fn assert_converged(&self) {
        self.assert_converged_ignoring(&[]);
    }

    /// [`Team::assert_converged`] without the `(table, column)` pairs of `ignored`.
    #[track_caller]
    pub fn assert_converged_ignoring(&self, ignored: &[(&str, &str)]) {
        let first = &self.actors[0];
        let expected = db::snapshot_ignoring(&first.db(), ignored);
        for a in &self.actors[1..] {
            let got = db::snapshot_ignoring(&a.db(), ignored);
            db::assert_same(&first.name, &expected, &a.name, &got);
        }
    }

    /// The number of events the server holds for the project (read from events.db).
    pub fn server_event_count(&self) -> i64 {
        self.server_int("SELECT COUNT(*) FROM events")
    }

    /// One integer from the project's events.db (read-only; the server may be running).
    pub fn server_int(&self, sql: &str) -> i64 {
        let c = rusqlite::Connection::open_with_flags(
            self.server.events_db(&self.project),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open events.db");
        c.busy_timeout(std::time::Duration::from_secs(10))
            .expect("busy timeout");
        c.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}
