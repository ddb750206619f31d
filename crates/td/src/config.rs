//! `.todos/config.json` (project-local config) and `~/.config/td/` files.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The project-local config; an absent or unreadable file means all defaults.
#[derive(Debug, Clone, Default)]
pub struct ProjectConfig {
    raw: serde_json::Map<String, Value>,
}

impl ProjectConfig {
    pub fn load(todos: &Path) -> ProjectConfig {
        let raw = std::fs::read_to_string(todos.join("config.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        ProjectConfig { raw }
    }

    fn string_flag(&self, name: &str) -> Option<String> {
        self.raw
            .get("feature_string_flags")?
            .get(name)?
            .as_str()
            .map(String::from)
    }

    /// Review policy mode: env `TD_FEATURE_REVIEW_POLICY_MODE` > project config > trusted.
    pub fn review_policy_mode(&self) -> String {
        let mode = std::env::var("TD_FEATURE_REVIEW_POLICY_MODE")
            .ok()
            .filter(|m| !m.is_empty())
            .or_else(|| self.string_flag("review_policy_mode"))
            .unwrap_or_else(|| "trusted".into())
            .to_ascii_lowercase();
        match mode.as_str() {
            "strict" | "balanced" | "delegated" | "trusted" => mode,
            _ => "trusted".into(),
        }
    }

    /// Legacy fallbacks when no session_state row exists.
    pub fn legacy_focus(&self) -> Option<String> {
        self.raw.get("focused_issue_id")?.as_str().map(String::from)
    }

    pub fn legacy_active_work_session(&self) -> Option<String> {
        self.raw
            .get("active_work_session")?
            .as_str()
            .map(String::from)
    }
}

/// `$HOME/.config/td`.
pub fn user_config_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".config").join("td")
}
