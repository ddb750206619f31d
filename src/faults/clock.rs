//! Per-actor clock skew with libfaketime (Debian's `faketime` package): td runs with the
//! library preloaded and `FAKETIME` set to the actor's offset. A case that asks for skew on a
//! machine without the library fails with this module's error; it never runs unskewed.

use std::path::{Path, PathBuf};

/// Where Debian and others install the preload library.
const CANDIDATES: [&str; 4] = [
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
    "/usr/local/lib/faketime/libfaketime.so.1",
];

/// The error a skew request gets when libfaketime is missing.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "clock skew needs libfaketime, which is not installed (looked for {looked}); install \
     Debian's `faketime` package (apt-get install -y faketime) or set FAKETIME_LIB to the \
     library's path"
)]
pub struct NoFaketime {
    looked: String,
}

/// The preload library: `FAKETIME_LIB` when set, else the usual install paths.
pub fn library() -> Result<PathBuf, NoFaketime> {
    let from_env = std::env::var_os("FAKETIME_LIB").map(PathBuf::from);
    let mut looked: Vec<PathBuf> = from_env.into_iter().collect();
    looked.extend(CANDIDATES.iter().map(PathBuf::from));
    find(&looked)
}

/// The first of `candidates` that exists.
fn find(candidates: &[PathBuf]) -> Result<PathBuf, NoFaketime> {
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| NoFaketime {
            looked: candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The environment that puts a process `offset_secs` away from the real clock. Monotonic
/// clocks stay real so td's own timeouts keep working.
pub fn env(lib: &Path, offset_secs: i64) -> Vec<(String, String)> {
    vec![
        ("LD_PRELOAD".into(), lib.display().to_string()),
        ("FAKETIME".into(), format!("{offset_secs:+}")),
        ("FAKETIME_DONT_FAKE_MONOTONIC".into(), "1".into()),
    ]
}

/// libfaketime 0.9.10 creates a shared-memory segment and a semaphore per process and
/// leaves them behind when the process dies: remove those of `pid`.
pub fn remove_leftovers(pid: u32) {
    for name in [
        format!("faketime_shm_{pid}"),
        format!("sem.faketime_sem_{pid}"),
    ] {
        let _ = std::fs::remove_file(Path::new("/dev/shm").join(name));
    }
}

/// True when `observed` (a td timestamp) sits at `offset_secs` from `real_now` within
/// `tolerance_secs`.
pub fn shows_offset(observed: &str, real_now: i64, offset_secs: i64, tolerance_secs: i64) -> bool {
    td_core::time::parse_any(observed)
        .is_some_and(|t| (t.timestamp() - (real_now + offset_secs)).abs() <= tolerance_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_says_how_to_install_it() {
        let e = find(&[PathBuf::from("/nonexistent/libfaketime.so.1")]).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("/nonexistent/libfaketime.so.1"), "{text}");
        assert!(text.contains("apt-get install -y faketime"), "{text}");
    }

    #[test]
    fn offset_env_is_signed_seconds() {
        let e = env(Path::new("/lib/x.so"), -3600);
        assert!(e.contains(&("FAKETIME".into(), "-3600".into())));
        let e = env(Path::new("/lib/x.so"), 90);
        assert!(e.contains(&("FAKETIME".into(), "+90".into())));
    }

    #[test]
    fn offset_detection() {
        // 2026-01-01T00:00:00Z = 1767225600.
        let now = 1_767_225_600;
        assert!(shows_offset("2026-01-02 00:00:05", now, 86_400, 60));
        assert!(!shows_offset("2026-01-01 00:00:05", now, 86_400, 60));
        assert!(!shows_offset("garbage", now, 0, 60));
    }
}
