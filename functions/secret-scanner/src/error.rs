//! [`Error`]: why an invocation failed, and whether Lambda should retry it.

use lambda_runtime::Diagnostic;
use shared::events::EventError;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event cannot be read; retrying will not change that.
    #[error(transparent)]
    InvalidEvent(#[from] EventError),
    /// An AWS call failed. `retryable`: throttling, a 5xx, a timeout or a
    /// connection problem, which a later attempt may not meet. The message
    /// is the SDK's (code and service message), which never holds file
    /// contents.
    #[error("{operation} failed: {message}")]
    Aws {
        operation: &'static str,
        retryable: bool,
        message: String,
        #[source]
        source: BoxError,
    },
    /// Something the event names does not exist (a commit deleted since,
    /// a wrong repository): a retry cannot help.
    #[error("{what} does not exist")]
    NotFound { what: String },
    /// The detection rules (built in, or with a repository's
    /// `.codewarden.toml`) do not compile. Messages never quote the input.
    #[error("the detection rules do not compile: {0}")]
    Rules(#[from] shared::scan::RulesError),
    /// The fingerprint key secret (`FINGERPRINT_KEY_SECRET_ARN`) has no
    /// usable value. Never holds the value.
    #[error("the fingerprint key in secret {secret} is unusable: {problem}")]
    FingerprintKey { secret: String, problem: String },
    /// A full-history sweep arrived where it cannot run: the git path is
    /// off (`GIT_SCAN_THRESHOLD=0`) or there is no continuation queue
    /// (`GIT_SCAN_QUEUE_URL`). A retry cannot help: fix the settings.
    #[error("a full-history sweep cannot run: {0}")]
    SweepUnavailable(&'static str),
    /// Fetching the repository over git (the git path) failed: the
    /// network, /tmp or the credentials; a retry may succeed.
    #[error(transparent)]
    GitFetch(#[from] shared::git_fetch::FetchError),
    /// Reading the local copy failed (a damaged copy is fetched anew by a
    /// retry only if it is deleted, so this is retryable but logged).
    #[error("the local git copy: {0}")]
    LocalGit(#[from] shared::git_diff::DiffError),
    /// Per-item failures, collected (never only logged): the first few
    /// messages and whether any of them is retryable.
    #[error("{count} of the scan's steps failed, e.g. {first}")]
    Partial {
        count: usize,
        retryable: bool,
        first: String,
    },
}

impl Error {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::InvalidEvent(_)
            | Self::Rules(_)
            | Self::NotFound { .. }
            | Self::FingerprintKey { .. }
            | Self::SweepUnavailable(_) => false,
            Self::Aws { retryable, .. } | Self::Partial { retryable, .. } => *retryable,
            Self::GitFetch(_) | Self::LocalGit(_) => true,
        }
    }

    /// The stable Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::Rules(_) => "InvalidRules",
            Self::FingerprintKey { .. } => "InvalidFingerprintKey",
            Self::NotFound { .. } => "NotFound",
            Self::SweepUnavailable(_) => "SweepUnavailable",
            _ if self.is_retryable() => "Retryable",
            _ => "AwsError",
        }
    }

    /// Folds several failures into one error (the retryable kind wins, so
    /// that Lambda retries when a retry can help).
    pub(crate) fn collect(errors: Vec<Error>) -> Result<(), Error> {
        let mut errors = errors;
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            count => Err(Self::Partial {
                count,
                retryable: errors.iter().any(Error::is_retryable),
                first: errors[0].to_string(),
            }),
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
