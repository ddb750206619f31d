//! `td-sync`: runs the server configured by `SYNC_*` variables, or `td-sync admin …`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use td_sync::admin::{self, AdminError};
use td_sync::{listen, logging, App, Config};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("admin") {
        return run_admin(&args[1..]);
    }
    match run_server() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "fatal");
            eprintln!("td-sync: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_admin(args: &[String]) -> ExitCode {
    let default_db = std::env::var("SYNC_SERVER_DB_PATH").ok();
    match admin::run(args, default_db) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(AdminError::Usage(msg)) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{}", admin::USAGE);
            ExitCode::FAILURE
        }
        Err(AdminError::Failed(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run_server() -> anyhow::Result<()> {
    let (config, warnings) = Config::from_env().context("load config")?;
    logging::init(config.log_format, config.log_level);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let listen_addr = config.listen_addr.clone();
    let addr_file = config.addr_file.clone();
    let app = App::open(config)?;
    let listener = listen::bind(&listen_addr).context("start server")?;
    if let Some(path) = addr_file {
        write_addr_file(&path, listener.local_addr()?)?;
    }
    let runtime = tokio::runtime::Runtime::new().context("start tokio runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).context("start server")?;
        app.serve(listener, shutdown_signal()).await?;
        Ok(())
    })
}

/// `SYNC_ADDR_FILE` (a td-e2e addition): writes the bound address atomically (temp file +
/// rename), so a harness can listen on port 0 and a reader never sees half an address.
fn write_addr_file(path: &Path, addr: SocketAddr) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{addr}\n"))
        .with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("rename to {}", path.display()))?;
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
