//! Outgoing email (§3.4): the `memory` provider keeps the last message for
//! `GET /internal/dev/last-email`; `log` only logs recipient and purpose.

use std::sync::Mutex;

use td_core::wire::LastEmail;

use crate::config::EmailProvider;

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("email provider cloudflare is not supported by this build (use memory or log)")]
    Unsupported,
}

pub struct EmailSender {
    provider: EmailProvider,
    last: Mutex<Option<LastEmail>>,
}

impl EmailSender {
    pub fn new(provider: EmailProvider) -> Result<EmailSender, EmailError> {
        if provider == EmailProvider::Cloudflare {
            return Err(EmailError::Unsupported);
        }
        Ok(EmailSender {
            provider,
            last: Mutex::new(None),
        })
    }

    pub fn provider(&self) -> EmailProvider {
        self.provider
    }

    /// Delivers `email` through the provider.
    pub fn send(&self, email: LastEmail) {
        tracing::info!(to = %email.to, purpose = %email.purpose, trace_id = %email.trace_id,
            "email sent");
        if self.provider == EmailProvider::Memory {
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(email);
        }
    }

    /// The most recent email kept by the memory provider.
    pub fn last(&self) -> Option<LastEmail> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
