//! Secrets and ids: random hex, SHA-256 hex, API keys (§3.1), PKCE (§3.3), row ids (§2.1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::distributions::{Alphanumeric, DistString};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of every API key plaintext.
pub const API_KEY_PREFIX: &str = "td_live_";

/// `n` random bytes from the OS-seeded CSPRNG as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Lowercase hex SHA-256 of `text`.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A row id: `prefix` + 16 lowercase hex (`u_`, `ak_`, `p_`, `ec_`).
pub fn row_id(prefix: &str) -> String {
    format!("{prefix}{}", random_hex(8))
}

/// A fresh API key plaintext: `td_live_` + 32 chars uniform over `0-9A-Za-z`.
pub fn new_api_key() -> String {
    let body = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
    format!("{API_KEY_PREFIX}{body}")
}

/// `key_prefix` column: the first 8 chars after `td_live_`.
pub fn api_key_prefix(plaintext: &str) -> String {
    plaintext
        .strip_prefix(API_KEY_PREFIX)
        .unwrap_or(plaintext)
        .chars()
        .take(8)
        .collect()
}

/// PKCE S256: base64url-no-padding(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Compares secrets without an early exit on the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// True for `p_` + 16 lowercase hex: the only project ids that may name a directory.
pub fn is_project_id(id: &str) -> bool {
    id.strip_prefix("p_").is_some_and(|h| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_shape() {
        let k = new_api_key();
        assert_eq!(k.len(), API_KEY_PREFIX.len() + 32);
        assert!(k[API_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(api_key_prefix(&k), k[8..16]);
    }

    #[test]
    fn pkce_matches_rfc7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn ids_and_comparison() {
        let id = row_id("p_");
        assert!(is_project_id(&id));
        assert!(!is_project_id("p_../../etc"));
        assert!(!is_project_id("p_ABCDEF0123456789"));
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
