//! The system under test: td and td-sync binaries, built once per process.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::config::{HarnessConfig, SutSource};

/// Paths of the two binaries.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub td: PathBuf,
    pub td_sync: PathBuf,
}

static BUILT: OnceLock<Result<Binaries, String>> = OnceLock::new();

/// Returns the binaries, building them the first time (however many worlds ask at once).
pub fn binaries(cfg: &HarnessConfig) -> Result<Binaries, String> {
    BUILT.get_or_init(|| locate(cfg)).clone()
}

fn locate(cfg: &HarnessConfig) -> Result<Binaries, String> {
    match cfg.sut.source {
        SutSource::Paths => {
            let b = Binaries {
                td: cfg.root.join(cfg.sut.td.as_ref().expect("validated")),
                td_sync: cfg.root.join(cfg.sut.td_sync.as_ref().expect("validated")),
            };
            for p in [&b.td, &b.td_sync] {
                if !p.is_file() {
                    return Err(format!("[sut] binary not found: {}", p.display()));
                }
            }
            Ok(b)
        }
        SutSource::Workspace => build(cfg),
    }
}

fn build(cfg: &HarnessConfig) -> Result<Binaries, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    // The e2e test target is selected too (already built, so no work) to keep this build's
    // dependency graph, and so its feature resolution, the one the tests were built with:
    // cargo then reuses every dependency instead of compiling a second copy.
    cmd.current_dir(&cfg.root).args([
        "build",
        "-p",
        "td",
        "-p",
        "td-sync",
        "-p",
        "td-e2e",
        "--bins",
        "--test",
        "e2e",
        "--message-format=json-render-diagnostics",
        "--profile",
        &cfg.sut.profile,
    ]);
    let out = cmd
        .output()
        .map_err(|e| format!("run {cargo} build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo build -p td -p td-sync failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let (mut td, mut td_sync) = (None, None);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(exe) = msg.get("executable").and_then(|e| e.as_str()) else {
            continue;
        };
        match msg.pointer("/target/name").and_then(|n| n.as_str()) {
            Some("td") => td = Some(PathBuf::from(exe)),
            Some("td-sync") => td_sync = Some(PathBuf::from(exe)),
            _ => {}
        }
    }
    match (td, td_sync) {
        (Some(td), Some(td_sync)) => Ok(Binaries { td, td_sync }),
        _ => Err("cargo build did not report the td and td-sync executables".into()),
    }
}
