//! `auth_email_challenges` rows of purpose `device_login` (§3.3).

use chrono::{Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, TransactionBehavior};

use super::keys::{self, IssuedKey};
use super::{format_time, now_text, StoreResult};

/// Purpose of device-login challenges.
pub const DEVICE_LOGIN: &str = "device_login";
/// Lifetime of keys issued by device login.
pub const DEVICE_KEY_DAYS: i64 = 365;

/// What a device start stores: hashes only, never the secrets.
#[derive(Debug, Clone)]
pub struct NewDeviceChallenge {
    pub id: String,
    pub email: String,
    pub user_id: String,
    pub selector: String,
    pub token_hash: String,
    pub device_code_hash: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub ip: String,
    pub user_agent: String,
    /// RFC3339 seconds.
    pub expires_at: String,
}

/// A stored challenge, as approve and poll need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub purpose: String,
    pub user_id: String,
    pub token_hash: String,
    pub code_challenge: String,
    pub status: String,
    pub expires_at: String,
}

impl Challenge {
    pub fn is_expired(&self) -> bool {
        self.expires_at <= now_text()
    }
}

pub fn insert_device(c: &Connection, ch: &NewDeviceChallenge) -> StoreResult<()> {
    c.execute(
        "INSERT INTO auth_email_challenges
            (id, purpose, email, user_id, selector, token_hash, device_code_hash,
             code_challenge, code_challenge_method, status, ip, user_agent, expires_at,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11, ?12, ?13)",
        params![
            ch.id,
            DEVICE_LOGIN,
            ch.email,
            ch.user_id,
            ch.selector,
            ch.token_hash,
            ch.device_code_hash,
            ch.code_challenge,
            ch.code_challenge_method,
            ch.ip,
            ch.user_agent,
            ch.expires_at,
            now_text()
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, purpose, user_id, token_hash, code_challenge, status, expires_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Challenge> {
    Ok(Challenge {
        id: r.get(0)?,
        purpose: r.get(1)?,
        user_id: r.get(2)?,
        token_hash: r.get(3)?,
        code_challenge: r.get(4)?,
        status: r.get(5)?,
        expires_at: r.get(6)?,
    })
}

pub fn find_by_selector(c: &Connection, selector: &str) -> StoreResult<Option<Challenge>> {
    let sql = format!("SELECT {COLUMNS} FROM auth_email_challenges WHERE selector = ?1");
    Ok(c.query_row(&sql, params![selector], from_row).optional()?)
}

/// The device-login challenge whose device code hashes to `hash`, in any status.
pub fn find_by_device_code_hash(c: &Connection, hash: &str) -> StoreResult<Option<Challenge>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM auth_email_challenges
         WHERE device_code_hash = ?1 AND purpose = ?2"
    );
    Ok(c.query_row(&sql, params![hash, DEVICE_LOGIN], from_row)
        .optional()?)
}

/// `pending → verified`; false when the status had already moved on.
pub fn mark_verified(c: &Connection, id: &str) -> StoreResult<bool> {
    let n = c.execute(
        "UPDATE auth_email_challenges SET status = 'verified', verified_at = ?1
         WHERE id = ?2 AND status = 'pending'",
        params![now_text(), id],
    )?;
    Ok(n > 0)
}

/// `pending → expired`, for a link opened after its expiry.
pub fn mark_expired(c: &Connection, id: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE auth_email_challenges SET status = 'expired' WHERE id = ?1 AND status = 'pending'",
        params![id],
    )?;
    Ok(())
}

/// Atomically `verified → consumed` and issues the device key for `user_id` in the same
/// transaction. `None` when another poll won the race (or the status is not `verified`).
pub fn consume_and_issue_key(
    c: &mut Connection,
    id: &str,
    user_id: &str,
) -> StoreResult<Option<IssuedKey>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE auth_email_challenges SET status = 'consumed', consumed_at = ?1
         WHERE id = ?2 AND status = 'verified'",
        params![now_text(), id],
    )?;
    if n == 0 {
        return Ok(None);
    }
    let expires = Utc::now() + Duration::days(DEVICE_KEY_DAYS);
    let key = keys::issue(&tx, user_id, "device-auth", "sync", Some(expires))?;
    tx.commit()?;
    Ok(Some(key))
}

/// Expiry time for a challenge created now.
pub fn expiry_from_now(minutes: i64) -> String {
    format_time(Utc::now() + Duration::minutes(minutes))
}
