//! Identifier formats (client spec §3): random ids and deterministic link ids.
//!
//! `TD_ID_SEED` (a test hook, not in the original): when it holds a number, this process
//! draws its "random" ids from a generator seeded with it, so a harness that gives every
//! invocation its own seed replays a run id for id. Unset or unparsable, ids are random.

use std::sync::{Mutex, OnceLock};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

/// The environment variable that seeds this process's ids.
pub const ID_SEED_ENV: &str = "TD_ID_SEED";

/// `n` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill(&mut buf);
    hex::encode(buf)
}

fn fill(buf: &mut [u8]) {
    static SEEDED: OnceLock<Option<Mutex<StdRng>>> = OnceLock::new();
    let seeded = SEEDED.get_or_init(|| {
        let seed = std::env::var(ID_SEED_ENV)
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()?;
        Some(Mutex::new(StdRng::seed_from_u64(seed)))
    });
    match seeded {
        Some(rng) => rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .fill_bytes(buf),
        None => rand::thread_rng().fill_bytes(buf),
    }
}

/// `td-` + 6 hex.
pub fn issue_id() -> String {
    format!("td-{}", random_hex(3))
}

/// `ses_` + 6 hex.
pub fn session_id() -> String {
    format!("ses_{}", random_hex(3))
}

/// `ws-` + 4 hex.
pub fn work_session_id() -> String {
    format!("ws-{}", random_hex(2))
}

/// `bd-` + 8 hex.
pub fn board_id() -> String {
    format!("bd-{}", random_hex(4))
}

/// A `<prefix>` + 8 hex id: `lg-`, `ho-`, `cm-`, `gs-`, `al-`, `rv-`.
pub fn prefixed8(prefix: &str) -> String {
    format!("{prefix}{}", random_hex(4))
}

fn digest16(input: &str) -> String {
    let d = Sha256::digest(input.as_bytes());
    hex::encode(d)[..16].to_string()
}

/// `dep_` + sha256(`issue|depends_on|relation`)[..16].
pub fn dependency_id(issue_id: &str, depends_on_id: &str, relation: &str) -> String {
    format!(
        "dep_{}",
        digest16(&format!("{issue_id}|{depends_on_id}|{relation}"))
    )
}

/// `ifl_` + sha256(`issue|path`)[..16]; `path` must already be normalized.
pub fn issue_file_id(issue_id: &str, path: &str) -> String {
    format!("ifl_{}", digest16(&format!("{issue_id}|{path}")))
}

/// `bip_` + sha256(`board|issue`)[..16].
pub fn board_position_id(board_id: &str, issue_id: &str) -> String {
    format!("bip_{}", digest16(&format!("{board_id}|{issue_id}")))
}

/// `wsi_` + sha256(`ws|issue`)[..16].
pub fn work_session_issue_id(ws_id: &str, issue_id: &str) -> String {
    format!("wsi_{}", digest16(&format!("{ws_id}|{issue_id}")))
}

/// `wt_` + sha256(path)[..12].
pub fn worktree_id(path: &str) -> String {
    let d = Sha256::digest(path.as_bytes());
    format!("wt_{}", &hex::encode(d)[..12])
}

/// Accepts bare hex (`abc123`) as `td-abc123`; anything else is returned unchanged.
pub fn normalize_issue_id(input: &str) -> String {
    let is_hex = !input.is_empty() && input.chars().all(|c| c.is_ascii_hexdigit());
    if is_hex && !input.starts_with("td-") {
        format!("td-{}", input.to_ascii_lowercase())
    } else {
        input.to_string()
    }
}

/// True for ids that `log`/`handoff` recognise as an issue positional (`^td-[0-9a-f]{6,8}$`).
pub fn looks_like_issue_id(s: &str) -> bool {
    s.strip_prefix("td-").is_some_and(|h| {
        (6..=8).contains(&h.len()) && h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(looks_like_issue_id(&issue_id()));
        assert_eq!(session_id().len(), 10);
        assert_eq!(work_session_id().len(), 7);
        assert_eq!(board_id().len(), 11);
        assert_eq!(prefixed8("al-").len(), 11);
    }

    #[test]
    fn deterministic_ids_are_stable() {
        assert_eq!(
            dependency_id("td-a", "td-b", "depends_on"),
            dependency_id("td-a", "td-b", "depends_on")
        );
        assert_ne!(
            dependency_id("td-a", "td-b", "depends_on"),
            dependency_id("td-b", "td-a", "depends_on")
        );
        assert!(board_position_id("bd-1", "td-1").starts_with("bip_"));
        assert_eq!(work_session_issue_id("ws-1", "td-1").len(), 20);
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_issue_id("abc123"), "td-abc123");
        assert_eq!(normalize_issue_id("td-abc123"), "td-abc123");
        assert_eq!(normalize_issue_id("nope"), "nope");
        assert!(!looks_like_issue_id("td-e2e-x"));
    }
}
