//! [`Error`]: why an invocation failed, and whether Lambda should retry it.

use lambda_runtime::Diagnostic;
use shared::events::EventError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event cannot be read; retrying will not change that (it goes to
    /// the dead-letter queue after Lambda's retries).
    #[error(transparent)]
    InvalidEvent(#[from] EventError),
    /// An AWS call failed. `retryable`: throttling, a 5xx, a timeout or a
    /// connection problem, which a later attempt may not meet.
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        retryable: bool,
        /// The SDK's error with its context (code and service message).
        message: String,
        #[source]
        source: BoxError,
    },
}

impl Error {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::InvalidEvent(_) => false,
            Self::Aws { retryable, .. } => *retryable,
        }
    }

    /// The stable Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::Aws {
                retryable: true, ..
            } => "Retryable",
            Self::Aws { .. } => "AwsError",
        }
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.error_type().to_owned(),
            // Masked: a message may quote a path, a ref name or an
            // answer that holds a secret.
            error_message: shared::masked::Masked::new(&error.to_string()).into_string(),
        }
    }
}
