//! `td auth login|logout|status`: the device login flow for people (client spec §10).

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use td_core::wire::{DevicePollRequest, DeviceStartRequest};

use super::Global;
use crate::sync::{self as engine, SyncClient};
use crate::user_config::{self, Auth};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum Cmd {
    /// Log in with the emailed device link.
    Login {
        /// Email (otherwise asked on stdin).
        #[arg(long)]
        email: Option<String>,
    },
    /// Forget the stored API key.
    Logout,
    /// Show who is logged in.
    Status,
}

pub fn run(_g: &Global, a: Args) -> Result<()> {
    match a.cmd {
        Cmd::Login { email } => login(email),
        Cmd::Logout => {
            user_config::remove_auth()?;
            println!("Logged out.");
            Ok(())
        }
        Cmd::Status => {
            let auth = user_config::load_auth();
            if auth.api_key.is_empty() {
                println!("Not logged in.");
                return Ok(());
            }
            println!("Email: {}", auth.email);
            println!("Server: {}", user_config::server_url(&auth));
            let prefix: String = auth.api_key.chars().take(12).collect();
            println!("Key: {prefix}...");
            Ok(())
        }
    }
}

fn ask_email() -> Result<String> {
    print!("Email: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

fn login(email: Option<String>) -> Result<()> {
    let email = match email {
        Some(e) => e,
        None => ask_email()?,
    };
    if email.is_empty() {
        bail!("email is required");
    }
    let existing = user_config::load_auth();
    let url = user_config::server_url(&existing);
    let client = SyncClient::new(&url, None, engine::request_timeout());
    let pkce = engine::pkce_pair();
    let start = client
        .device_start(&DeviceStartRequest {
            email: email.clone(),
            code_challenge: pkce.challenge.clone(),
            code_challenge_method: pkce.method.to_string(),
            device_name: "td".into(),
        })
        .map_err(|e| anyhow::anyhow!("start login: {e}"))?;
    println!("Check {email} for a login link and open it to approve this device. Waiting…");
    let interval = Duration::from_secs(start.interval.clamp(1, 30) as u64);
    let deadline = Instant::now() + Duration::from_secs(start.expires_in.max(1) as u64);
    let request = DevicePollRequest {
        device_code: start.device_code,
        code_verifier: pkce.verifier,
    };
    loop {
        let r = client
            .device_poll(&request)
            .map_err(|e| anyhow::anyhow!("poll login: {e}"))?;
        if r.status == "complete" {
            let auth = Auth {
                api_key: r.api_key.unwrap_or_default(),
                user_id: r.user_id.unwrap_or_default(),
                email: r.email.unwrap_or(email),
                server_url: url,
                device_id: if existing.device_id.is_empty() {
                    td_core::ids::random_hex(16)
                } else {
                    existing.device_id
                },
                expires_at: r.expires_at,
            };
            user_config::save_auth(&auth)?;
            println!("Logged in as {}", auth.email);
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("login link expired; run td auth login again");
        }
        // The person is reading their email: the server's suggested interval is the pace.
        std::thread::sleep(interval);
    }
}
