//! Server configuration from the `SYNC_*` environment variables (§1.2).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where device-login emails go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProvider {
    /// Kept in process memory (the last one is inspectable).
    Memory,
    /// Recipient and purpose logged, nothing sent.
    Log,
    /// Accepted as a name, but this build cannot send through it (startup error).
    Cloudflare,
}

/// Log line format on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Requests per minute per class (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Per client IP on `/auth/*` and `/v1/auth/*`.
    pub auth: u32,
    /// Per API key, push.
    pub push: u32,
    /// Per API key, pull.
    pub pull: u32,
    /// Per API key on other authenticated routes; per IP on device poll.
    pub other: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            auth: 10,
            push: 60,
            pull: 120,
            other: 300,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen_addr: String,
    pub server_db_path: PathBuf,
    pub project_data_dir: PathBuf,
    pub shutdown_timeout: Duration,
    pub allow_signup: bool,
    pub base_url: String,
    pub email_provider: EmailProvider,
    pub dev_email_inspect: bool,
    pub email_base_url: String,
    pub log_format: LogFormat,
    pub log_level: tracing::Level,
    pub rate_limits: RateLimits,
    /// `SYNC_ADDR_FILE` (extension): after binding, the bound address is written here, so a
    /// process started on port 0 can be found.
    pub addr_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen_addr: ":8080".into(),
            server_db_path: PathBuf::from("./data/server.db"),
            project_data_dir: PathBuf::from("./data/projects"),
            shutdown_timeout: Duration::from_secs(30),
            allow_signup: true,
            base_url: "http://localhost:8080".into(),
            email_provider: EmailProvider::Log,
            dev_email_inspect: false,
            email_base_url: String::new(),
            log_format: LogFormat::Json,
            log_level: tracing::Level::INFO,
            rate_limits: RateLimits::default(),
            addr_file: None,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("SYNC_EMAIL_PROVIDER: unknown provider {0:?} (want memory, log or cloudflare)")]
    EmailProvider(String),
}

impl Config {
    /// Defaults, with server.db and the project stores under `dir`.
    pub fn in_dir(dir: &Path) -> Config {
        Config {
            server_db_path: dir.join("server.db"),
            project_data_dir: dir.join("projects"),
            ..Config::default()
        }
    }

    /// Reads the process environment. Returns the config and warnings to log once logging
    /// is up (email-configuration problems, unparseable values that kept their default).
    pub fn from_env() -> Result<(Config, Vec<String>), ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    /// Like [`Config::from_env`] with an arbitrary variable source.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<(Config, Vec<String>), ConfigError> {
        let mut c = Config::default();
        let mut warnings = Vec::new();
        let set = |k: &str| get(k).filter(|v| !v.is_empty());
        if let Some(v) = set("SYNC_LISTEN_ADDR") {
            c.listen_addr = v;
        }
        if let Some(v) = set("SYNC_SERVER_DB_PATH") {
            c.server_db_path = v.into();
        }
        if let Some(v) = set("SYNC_PROJECT_DATA_DIR") {
            c.project_data_dir = v.into();
        }
        c.addr_file = set("SYNC_ADDR_FILE").map(PathBuf::from);
        if let Some(v) = set("SYNC_SHUTDOWN_TIMEOUT") {
            match parse_go_duration(&v) {
                Some(d) => c.shutdown_timeout = d,
                None => warnings.push(format!("SYNC_SHUTDOWN_TIMEOUT {v:?} is not a duration")),
            }
        }
        if let Some(v) = set("SYNC_ALLOW_SIGNUP") {
            c.allow_signup = !(v == "false" || v == "0");
        }
        if let Some(v) = set("SYNC_BASE_URL") {
            c.base_url = v;
        }
        if let Some(v) = set("SYNC_EMAIL_PROVIDER") {
            c.email_provider = match v.as_str() {
                "memory" => EmailProvider::Memory,
                "log" => EmailProvider::Log,
                "cloudflare" => EmailProvider::Cloudflare,
                _ => return Err(ConfigError::EmailProvider(v)),
            };
        }
        c.dev_email_inspect =
            set("SYNC_DEV_EMAIL_INSPECT").is_some_and(|v| v == "true" || v == "1");
        c.email_base_url = get("SYNC_EMAIL_BASE_URL").unwrap_or_default();
        c.log_format = match set("SYNC_LOG_FORMAT").as_deref() {
            Some("text") => LogFormat::Text,
            _ => LogFormat::Json,
        };
        if let Some(v) = set("SYNC_LOG_LEVEL") {
            c.log_level = match v.to_ascii_lowercase().as_str() {
                "debug" => tracing::Level::DEBUG,
                "info" => tracing::Level::INFO,
                "warn" | "warning" => tracing::Level::WARN,
                "error" => tracing::Level::ERROR,
                _ => {
                    warnings.push(format!("SYNC_LOG_LEVEL {v:?} unknown, using info"));
                    tracing::Level::INFO
                }
            };
        }
        let rate = |k: &str, default: u32| {
            set(k)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let d = RateLimits::default();
        c.rate_limits = RateLimits {
            auth: rate("SYNC_RATE_LIMIT_AUTH", d.auth),
            push: rate("SYNC_RATE_LIMIT_PUSH", d.push),
            pull: rate("SYNC_RATE_LIMIT_PULL", d.pull),
            other: rate("SYNC_RATE_LIMIT_OTHER", d.other),
        };
        warnings.extend(c.email_warnings());
        Ok((c, warnings))
    }

    fn email_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.email_base_url.is_empty() {
            w.push(
                "SYNC_EMAIL_BASE_URL is empty: approval links in emails will be relative".into(),
            );
        }
        if self.dev_email_inspect && self.email_provider != EmailProvider::Memory {
            w.push(
                "SYNC_DEV_EMAIL_INSPECT needs SYNC_EMAIL_PROVIDER=memory; inspection stays off"
                    .into(),
            );
        }
        w
    }
}

/// Parses a Go duration (`300ms`, `1.5s`, `2m30s`, `1h`); `None` if malformed or negative.
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|n| *n > 0)?;
        let value: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Result<(Config, Vec<String>), ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_unset() {
        let (c, warnings) = cfg(&[]).unwrap();
        assert_eq!(c.listen_addr, ":8080");
        assert_eq!(c.rate_limits, RateLimits::default());
        assert_eq!(c.email_provider, EmailProvider::Log);
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(!c.dev_email_inspect && c.allow_signup);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn harness_values() {
        let (c, _) = cfg(&[
            ("SYNC_LISTEN_ADDR", ":4567"),
            ("SYNC_EMAIL_PROVIDER", "memory"),
            ("SYNC_DEV_EMAIL_INSPECT", "1"),
            ("SYNC_LOG_FORMAT", "text"),
            ("SYNC_LOG_LEVEL", "WARN"),
            ("SYNC_RATE_LIMIT_PUSH", "2"),
            ("SYNC_RATE_LIMIT_PULL", "-3"),
            ("SYNC_RATE_LIMIT_OTHER", "x"),
            ("SYNC_ALLOW_SIGNUP", "0"),
            ("SYNC_SHUTDOWN_TIMEOUT", "1m30s"),
        ])
        .unwrap();
        assert_eq!(c.listen_addr, ":4567");
        assert!(c.dev_email_inspect && !c.allow_signup);
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.log_level, tracing::Level::WARN);
        assert_eq!(
            (c.rate_limits.push, c.rate_limits.pull, c.rate_limits.other),
            (2, 120, 300)
        );
        assert_eq!(c.shutdown_timeout, Duration::from_secs(90));
        assert_eq!(
            cfg(&[("SYNC_EMAIL_PROVIDER", "smtp")]).unwrap_err(),
            ConfigError::EmailProvider("smtp".into())
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_go_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_go_duration("1.5h"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("s"), None);
        assert_eq!(parse_go_duration("5x"), None);
    }
}
