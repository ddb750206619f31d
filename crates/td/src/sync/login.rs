//! PKCE for device login (sync spec §3.3): the verifier stays local, the S256 challenge
//! goes to `/v1/auth/device/start`, the verifier to `/v1/auth/device/poll`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A PKCE verifier and its S256 challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkcePair {
    pub verifier: String,
    pub challenge: String,
    /// Always `S256`.
    pub method: &'static str,
}

/// A fresh random verifier (32 bytes, base64url) and its challenge.
pub fn pkce_pair() -> PkcePair {
    let bytes: [u8; 32] = rand::random();
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    PkcePair {
        challenge: challenge_for(&verifier),
        verifier,
        method: "S256",
    }
}

/// base64url(sha256(verifier)) without padding.
pub fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_unpadded_base64url_of_sha256() {
        // Vector computed independently: base64.urlsafe_b64encode(sha256(v)).rstrip("=").
        assert_eq!(
            challenge_for("td-e2e-verifier"),
            "0GudwtBfckgExcB3GGbIUFFd_oQSpBf9IucJNdOWkFM"
        );
        let p = pkce_pair();
        assert_eq!(p.verifier.len(), 43);
        assert_eq!(p.challenge, challenge_for(&p.verifier));
    }
}
