//! The binaries under test: td-sync from Cargo's `CARGO_BIN_EXE_*`, td built once per test
//! process through `$CARGO build -p td --message-format=json` (td is another package, so
//! Cargo gives this crate no path to it; asking Cargo avoids guessing target dirs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::process::run;

/// The td-sync server binary of this package.
pub fn td_sync() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_td-sync"))
}

/// The td binary, built in the profile this test crate was built in (release for
/// `cargo bench`).
pub fn td() -> &'static Path {
    static TD: OnceLock<PathBuf> = OnceLock::new();
    TD.get_or_init(build_td)
}

fn build_td() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", "td", "--message-format=json", "--quiet"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    // Building from scratch on a shared 2-core machine can be slow.
    let out = run(cmd, Duration::from_secs(900));
    assert_eq!(
        out.code,
        Some(0),
        "cargo build -p td failed: {}",
        out.stderr
    );
    td_executable(&out.stdout)
        .unwrap_or_else(|| panic!("no td executable in cargo output:\n{}", out.stdout))
}

/// The `executable` of the `compiler-artifact` message whose target is the `td` binary.
fn td_executable(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "td")
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|x| x == "bin"))
        })
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
}
