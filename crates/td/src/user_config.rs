//! `~/.config/td/auth.json` and `config.json` (§1.3): who I am to the server and where it is.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::config::user_config_dir;

/// `auth.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Auth {
    pub api_key: String,
    pub user_id: String,
    pub email: String,
    pub server_url: String,
    pub device_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

fn auth_path() -> PathBuf {
    user_config_dir().join("auth.json")
}

/// Reads auth.json (absent = empty); `TD_AUTH_KEY` overrides the key.
pub fn load_auth() -> Auth {
    let mut auth: Auth = std::fs::read_to_string(auth_path())
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    if let Ok(k) = std::env::var("TD_AUTH_KEY") {
        if !k.is_empty() {
            auth.api_key = k;
        }
    }
    auth
}

/// Writes auth.json with mode 0600.
pub fn save_auth(auth: &Auth) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = user_config_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let path = auth_path();
    std::fs::write(&path, serde_json::to_string_pretty(auth)?)
        .with_context(|| format!("write {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

pub fn remove_auth() -> Result<bool> {
    match std::fs::remove_file(auth_path()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).context("remove auth.json"),
    }
}

/// Server URL: `TD_SYNC_URL` > config.json `sync.url` > auth.json `server_url` > default.
pub fn server_url(auth: &Auth) -> String {
    if let Ok(u) = std::env::var("TD_SYNC_URL") {
        if !u.is_empty() {
            return u;
        }
    }
    let from_config = std::fs::read_to_string(user_config_dir().join("config.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            v.pointer("/sync/url")
                .and_then(|u| u.as_str())
                .map(String::from)
        })
        .filter(|u| !u.is_empty());
    from_config
        .or_else(|| Some(auth.server_url.clone()).filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "http://localhost:8080".into())
        .trim_end_matches('/')
        .to_string()
}

/// The device id from auth.json, or a fresh one for this call.
pub fn device_id(auth: &Auth) -> String {
    if auth.device_id.is_empty() {
        td_core::ids::random_hex(16)
    } else {
        auth.device_id.clone()
    }
}
