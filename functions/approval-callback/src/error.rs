//! [`Error`]: why a call to AWS failed, and whether a retry may help.

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An AWS call failed. `retryable`: throttling, a 5xx, a timeout or a
    /// connection problem.
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        retryable: bool,
        message: String,
        #[source]
        source: BoxError,
    },
    /// The link signing secret is missing, empty or too short.
    #[error("signing secret unusable: {0}")]
    SigningKey(String),
}

impl Error {
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Aws {
                retryable: true,
                ..
            }
        )
    }
}
