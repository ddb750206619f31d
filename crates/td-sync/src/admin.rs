//! `td-sync admin <command> [flags]` (§1.4): offline account commands against server.db.
//! Flags follow Go's `flag` package: `-x v`, `--x v`, `-x=v`, `--x=v`; parsing stops at
//! the first non-flag argument or `--`.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::store::keys;
use crate::store::schema::open_server_db;
use crate::store::users::{self, AdminChange};
use crate::store::{Db, StoreError};

pub const USAGE: &str = "usage: td-sync admin <command> [flags]

commands:
  create-user --email EMAIL            create a user (the first user becomes admin)
  grant --email EMAIL                  make a user an admin
  revoke --email EMAIL                 remove admin rights (not from the last admin)
  create-key --email EMAIL --name NAME [--scopes SCOPES]
                                       create an API key for an admin (scopes default: sync)
  revoke-key --email EMAIL --key-id ID delete an API key

every command accepts --db PATH (default: $SYNC_SERVER_DB_PATH, else ./data/server.db)";

/// Why an admin command failed; the binary prints `error: <msg>` and exits 1.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AdminError {
    /// Bad invocation: also print [`USAGE`]. Empty message = usage only.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Failed(String),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Failed(e.to_string())
    }
}

/// Runs `args` (everything after `admin`). `default_db` is `SYNC_SERVER_DB_PATH` if set.
/// Returns what to print on stdout.
pub fn run(args: &[String], default_db: Option<String>) -> Result<String, AdminError> {
    let Some((command, rest)) = args.split_first() else {
        return Err(AdminError::Usage(String::new()));
    };
    let allowed: &[&str] = match command.as_str() {
        "create-user" | "grant" | "revoke" => &["email", "db"],
        "create-key" => &["email", "name", "scopes", "db"],
        "revoke-key" => &["email", "key-id", "db"],
        other => return Err(AdminError::Usage(format!("unknown command {other:?}"))),
    };
    let flags = parse_flags(rest, allowed)?;
    let email = required(&flags, "email")?;
    let db_path = flags
        .get("db")
        .cloned()
        .or(default_db)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "./data/server.db".into());
    let db = open_server_db(&PathBuf::from(db_path))?;
    match command.as_str() {
        "create-user" => create_user(&db, &email),
        "grant" => set_admin(&db, &email, true),
        "revoke" => set_admin(&db, &email, false),
        "create-key" => {
            let name = required(&flags, "name")?;
            let scopes = flags
                .get("scopes")
                .filter(|s| !s.is_empty())
                .cloned()
                .unwrap_or_else(|| "sync".into());
            create_key(&db, &email, &name, &scopes)
        }
        _ => revoke_key(&db, &email, &required(&flags, "key-id")?),
    }
}

/// Go-style flag parsing restricted to `allowed` names; every flag takes a value.
fn parse_flags(args: &[String], allowed: &[&str]) -> Result<HashMap<String, String>, AdminError> {
    let mut out = HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" || !arg.starts_with('-') || arg == "-" {
            break;
        }
        let body = arg.strip_prefix("--").unwrap_or(&arg[1..]);
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if !allowed.contains(&name) {
            return Err(AdminError::Usage(format!(
                "flag provided but not defined: -{name}"
            )));
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i)
                    .cloned()
                    .ok_or_else(|| AdminError::Usage(format!("flag needs an argument: -{name}")))?
            }
        };
        out.insert(name.to_string(), value);
        i += 1;
    }
    Ok(out)
}

fn required(flags: &HashMap<String, String>, name: &str) -> Result<String, AdminError> {
    flags
        .get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AdminError::Usage(format!("--{name} is required")))
}

fn create_user(db: &Db, email: &str) -> Result<String, AdminError> {
    let (user, created) = db.with(|c| users::ensure(c, email))?;
    Ok(if created {
        format!("created user {} ({})\n", user.email, user.id)
    } else {
        format!("user already exists: {} ({})\n", user.email, user.id)
    })
}

fn set_admin(db: &Db, email: &str, admin: bool) -> Result<String, AdminError> {
    match db.with(|c| users::set_admin(c, email, admin))? {
        AdminChange::Done(user) if admin => Ok(format!("granted admin to {}\n", user.email)),
        AdminChange::Done(user) => Ok(format!("revoked admin from {}\n", user.email)),
        AdminChange::NoSuchUser => Err(not_found(email)),
        AdminChange::LastAdmin => Err(AdminError::Failed("cannot revoke the last admin".into())),
    }
}

fn not_found(email: &str) -> AdminError {
    AdminError::Failed(format!("user not found: {}", users::normalize_email(email)))
}

fn create_key(db: &Db, email: &str, name: &str, scopes: &str) -> Result<String, AdminError> {
    let user = db
        .with(|c| users::find_by_email(c, email))?
        .ok_or_else(|| not_found(email))?;
    if !user.is_admin {
        return Err(AdminError::Failed(format!(
            "user {} is not an admin",
            user.email
        )));
    }
    let key = db.with(|c| keys::issue(c, &user.id, name, scopes, None))?;
    Ok(format!(
        "created key {} ({}) for {}\nname: {}\nscopes: {}\nkey: {}\n\
         store this key now; it will not be shown again\n",
        key.name, key.id, user.email, key.name, key.scopes, key.plaintext
    ))
}

fn revoke_key(db: &Db, email: &str, key_id: &str) -> Result<String, AdminError> {
    let user = db
        .with(|c| users::find_by_email(c, email))?
        .ok_or_else(|| not_found(email))?;
    if !db.with(|c| keys::revoke(c, &user.id, key_id))? {
        return Err(AdminError::Failed(format!(
            "key {key_id} not found for {}",
            user.email
        )));
    }
    Ok(format!("revoked key {key_id} from {}\n", user.email))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flag_syntaxes() {
        let allowed = ["email", "db"];
        for form in [
            &["--email", "a@x"][..],
            &["-email", "a@x"],
            &["--email=a@x"],
            &["-email=a@x"],
        ] {
            let f = parse_flags(&args(form), &allowed).unwrap();
            assert_eq!(f["email"], "a@x", "{form:?}");
        }
        assert!(matches!(
            parse_flags(&args(&["--bogus", "x"]), &allowed),
            Err(AdminError::Usage(_))
        ));
        assert!(matches!(
            parse_flags(&args(&["--email"]), &allowed),
            Err(AdminError::Usage(_))
        ));
        let f = parse_flags(&args(&["pos", "--email", "x"]), &allowed).unwrap();
        assert!(f.is_empty());
    }

    #[test]
    fn commands_end_to_end() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db").display().to_string();
        let run_ok = |a: &[&str]| {
            let mut v = args(a);
            v.extend(["--db".to_string(), db.clone()]);
            run(&v, None)
        };
        let out = run_ok(&["create-user", "--email", "Alice@Test.local"]).unwrap();
        assert!(
            out.starts_with("created user alice@test.local (u_"),
            "{out}"
        );
        let again = run_ok(&["create-user", "--email=alice@test.local"]).unwrap();
        assert!(again.starts_with("user already exists: alice@test.local (u_"));
        assert_eq!(
            out[out.find('(').unwrap()..],
            again[again.find('(').unwrap()..]
        );
        assert_eq!(
            run_ok(&["create-user"]),
            Err(AdminError::Usage("--email is required".into()))
        );
        assert_eq!(
            run_ok(&["revoke", "--email", "alice@test.local"]),
            Err(AdminError::Failed("cannot revoke the last admin".into()))
        );
        run_ok(&["create-user", "--email", "bob@test.local"]).unwrap();
        assert!(run_ok(&["create-key", "--email", "bob@test.local", "--name", "k"]).is_err());
        let key = run_ok(&["create-key", "--email", "alice@test.local", "--name", "k"]).unwrap();
        assert!(
            key.contains("key: td_live_") && key.contains("scopes: sync"),
            "{key}"
        );
        let id = key.split(['(', ')']).nth(1).unwrap();
        assert_eq!(
            run_ok(&["revoke-key", "--email", "alice@test.local", "--key-id", id]).unwrap(),
            format!("revoked key {id} from alice@test.local\n")
        );
        assert_eq!(
            run_ok(&["grant", "-email", "bob@test.local"]).unwrap(),
            "granted admin to bob@test.local\n"
        );
        assert!(matches!(run_ok(&["frobnicate"]), Err(AdminError::Usage(_))));
    }
}
