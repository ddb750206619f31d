//! Device login done for real over HTTP, as the e2e harness does it (sync spec §3.3):
//! start with a PKCE challenge, read the emailed link from `/internal/dev/last-email`, open
//! it, then poll until the key is issued.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use td_core::wire::{DevicePollResponse, DeviceStartResponse, LastEmail};

const APPROVE_PATH: &str = "/auth/device/approve?token=";
const POLL_BUDGET: Duration = Duration::from_secs(15);

/// What the poll hands out on completion.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub api_key: String,
    pub user_id: String,
    pub email: String,
    pub expires_at: String,
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build()
}

/// A 2xx JSON body.
fn decode<T: serde::de::DeserializeOwned>(r: ureq::Response) -> T {
    let url = r.get_url().to_string();
    r.into_json()
        .unwrap_or_else(|e| panic!("decode answer of {url}: {e}"))
}

/// Logs `email` in against the server at `url`.
pub fn device_login(url: &str, email: &str) -> Credentials {
    let agent = agent();
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let start: DeviceStartResponse = agent
        .post(&format!("{url}/v1/auth/device/start"))
        .send_json(serde_json::json!({
            "email": email, "code_challenge": challenge,
            "code_challenge_method": "S256", "device_name": "td-sync tests",
        }))
        .map_or_else(|e| panic!("device start for {email}: {e}"), decode);
    approve_emailed_link(&agent, url, email);
    poll(&agent, url, &start.device_code, &verifier)
}

/// Reads the last email, checks it went to `email`, and opens its approval link.
fn approve_emailed_link(agent: &ureq::Agent, url: &str, email: &str) {
    let mail: LastEmail = agent
        .get(&format!("{url}/internal/dev/last-email"))
        .call()
        .map_or_else(|e| panic!("last email: {e}"), decode);
    assert_eq!(mail.to, email, "last email went elsewhere: {mail:?}");
    let at = mail
        .text
        .find(APPROVE_PATH)
        .unwrap_or_else(|| panic!("no approval link in {:?}", mail.text));
    let link: String = mail.text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    // The link's host is SYNC_EMAIL_BASE_URL (unset here: the port is unknown before the
    // first start), so the path is opened on the server itself.
    let page = agent
        .get(&format!("{url}{link}"))
        .call()
        .unwrap_or_else(|e| panic!("open approval link: {e}"));
    assert_eq!(page.status(), 200);
    let html = page.into_string().expect("approval page body");
    assert!(html.contains("Device approved"), "approval failed: {html}");
}

fn poll(agent: &ureq::Agent, url: &str, device_code: &str, verifier: &str) -> Credentials {
    let deadline = Instant::now() + POLL_BUDGET;
    loop {
        let r: DevicePollResponse = agent
            .post(&format!("{url}/v1/auth/device/poll"))
            .send_json(serde_json::json!({"device_code": device_code, "code_verifier": verifier}))
            .map_or_else(|e| panic!("device poll: {e}"), decode);
        match r.status.as_str() {
            "complete" => {
                return Credentials {
                    api_key: r.api_key.expect("api_key"),
                    user_id: r.user_id.expect("user_id"),
                    email: r.email.expect("email"),
                    expires_at: r.expires_at.unwrap_or_default(),
                }
            }
            "pending" if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200))
            }
            other => panic!("device poll: status {other:?}"),
        }
    }
}
