//! [`HarnessError`]: why a world could not be set up or changed, with its source chain.

use crate::driver::DriverError;

/// Why a world could not be set up or changed. Every variant keeps what caused it as its
/// `source()`, so `{:#}`-style reports show the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A step failed for a reason that is only text (a td refusal, a bad answer).
    #[error("{step}: {message}")]
    Setup { step: String, message: String },
    /// A file or directory operation failed.
    #[error("{step}: {source}")]
    Io {
        step: String,
        #[source]
        source: std::io::Error,
    },
    /// A process could not be run.
    #[error(transparent)]
    Driver(#[from] DriverError),
}

impl HarnessError {
    pub(crate) fn setup(step: impl Into<String>, message: impl std::fmt::Display) -> Self {
        HarnessError::Setup {
            step: step.into(),
            message: message.to_string(),
        }
    }

    pub(crate) fn io(step: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let step = step.into();
        move |source| HarnessError::Io { step, source }
    }
}
