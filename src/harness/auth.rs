//! Device login through the real PKCE flow (spec §1.7), as a person would do it:
//! start, read the emailed link from the dev mailbox, approve it, poll for the key.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// What a successful login yields.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub api_key: String,
    pub user_id: String,
    pub email: String,
}

/// A PKCE verifier (43 chars) and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

fn post(agent: &ureq::Agent, url: &str, body: Value) -> Result<Value, String> {
    match agent.post(url).send_json(body) {
        Ok(r) => r
            .into_json()
            .map_err(|e| format!("POST {url}: bad JSON: {e}")),
        Err(ureq::Error::Status(code, r)) => Err(format!(
            "POST {url}: status {code}: {}",
            r.into_string().unwrap_or_default()
        )),
        Err(e) => Err(format!("POST {url}: {e}")),
    }
}

/// The approve path (`/auth/device/approve?token=…`) from the email text, up to the first
/// whitespace. The harness sends it to the server it started rather than to the email's
/// base URL, which it cannot know before the kernel picks the port.
pub fn approve_path(text: &str) -> Option<String> {
    let start = text.find("/auth/device/approve?token=")?;
    let rest = &text[start..];
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// Logs `email` in against `server` and returns its API key.
pub fn device_login(server: &str, email: &str) -> Result<Credentials, String> {
    let agent = agent();
    let (verifier, challenge) = pkce_pair();
    let start = post(
        &agent,
        &format!("{server}/v1/auth/device/start"),
        json!({"email": email, "code_challenge": challenge,
               "code_challenge_method": "S256", "device_name": "e2e-harness"}),
    )?;
    let device_code = start["device_code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if device_code.is_empty() {
        return Err(format!("device/start gave no device_code: {start}"));
    }
    let mail: Value = agent
        .get(&format!("{server}/internal/dev/last-email"))
        .call()
        .map_err(|e| format!("GET /internal/dev/last-email: {e}"))?
        .into_json()
        .map_err(|e| format!("last-email JSON: {e}"))?;
    if mail["to"].as_str() != Some(email) {
        return Err(format!(
            "last-email recipient {} is not {email} (wrong email buffered)",
            mail["to"]
        ));
    }
    let path = approve_path(mail["text"].as_str().unwrap_or(""))
        .ok_or_else(|| format!("no approve link in email: {}", mail["text"]))?;
    agent
        .get(&format!("{server}{path}"))
        .call()
        .map_err(|e| format!("GET approve link: {e}"))?;
    poll(&agent, server, &device_code, &verifier, email)
}

fn poll(
    agent: &ureq::Agent,
    server: &str,
    code: &str,
    verifier: &str,
    email: &str,
) -> Result<Credentials, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut wait = Duration::from_millis(5);
    loop {
        let r = post(
            agent,
            &format!("{server}/v1/auth/device/poll"),
            json!({"device_code": code, "code_verifier": verifier}),
        )?;
        match r["status"].as_str() {
            Some("complete") => {
                let key = r["api_key"].as_str().unwrap_or_default();
                let uid = r["user_id"].as_str().unwrap_or_default();
                if key.is_empty() || uid.is_empty() {
                    return Err(format!("device/poll complete without key: {r}"));
                }
                return Ok(Credentials {
                    api_key: key.into(),
                    user_id: uid.into(),
                    email: email.into(),
                });
            }
            // The link was approved before the first poll, so pending is rare: back off briefly.
            Some("pending") if Instant::now() < deadline => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(200));
            }
            _ => return Err(format!("device/poll unexpected answer: {r}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_shapes() {
        let (v, c) = pkce_pair();
        assert_eq!(v.len(), 43);
        assert_eq!(c.len(), 43);
        assert_ne!(v, c);
    }

    #[test]
    fn link_extraction() {
        let text = "Click the link to approve: http://127.0.0.1:9/auth/device/approve?token=ab.cd\n\nThis link";
        assert_eq!(
            approve_path(text).unwrap(),
            "/auth/device/approve?token=ab.cd"
        );
        assert!(approve_path("nothing here").is_none());
    }
}
