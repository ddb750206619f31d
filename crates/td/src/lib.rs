//! td: a local-first issue tracker on SQLite. Every mutation is recorded in `action_log`
//! so `td sync` can ship it to a td-sync server. The binary is `main.rs`, a call to
//! [`run`]; the library exists so that builds depending on td (the e2e harness's tests)
//! share one feature resolution with the binary and cargo compiles td's dependencies once.

mod cascade;
mod cli;
mod commands;
mod config;
mod context;
mod git;
mod output;
mod session;
mod store;
mod sync;
mod tdq;
mod user_config;
mod workflow;

use std::process::ExitCode;

/// The whole CLI: parses `std::env::args`, runs the command, returns the exit code.
pub fn run() -> ExitCode {
    // Like any Unix filter: a closed stdout (`td list | head`) ends the process quietly
    // instead of panicking on the write.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let argv: Vec<String> = std::env::args().collect();
    let parsed = match cli::parse(&argv) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match commands::dispatch(parsed) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<output::Silent>().is_none() {
                eprintln!("ERROR: {}", output::error_text(&e));
            }
            ExitCode::from(1)
        }
    }
}
