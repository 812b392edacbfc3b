//! [`Error`]: why a backup or a restore failed, and whether a retry can help.

use shared::backup::{BundleError, ChainError};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The event cannot be read; retrying will not change that.
    #[cfg(feature = "fetch")]
    #[error(transparent)]
    InvalidEvent(#[from] shared::events::EventError),
    /// A continuation message cannot be read; retrying will not change that.
    #[error(transparent)]
    InvalidContinuation(#[from] crate::continuation::ContinuationError),
    /// A repository whose backup failed for good in an earlier invocation of
    /// the same run (the text of that error).
    #[error("{0} (in an earlier invocation of this run)")]
    FailedEarlier(String),
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
    /// A git operation (fetch, pack generation, indexing) failed.
    #[error("{action} for repository {repository} failed: {source}")]
    Git {
        repository: String,
        action: &'static str,
        #[source]
        source: BoxError,
    },
    /// Fetching into the mirror (`shared::git_fetch`): network, disk or
    /// credentials.
    #[cfg(feature = "fetch")]
    #[error(transparent)]
    Fetch(#[from] shared::git_fetch::FetchError),
    /// Local disk (the mirror in /tmp, a bundle file, the restore target).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Another invocation kept winning the manifest compare-and-swap.
    #[error(
        "the manifest of {repository} changed under {attempts} consecutive attempts: another backup is running, retry later"
    )]
    Contention { repository: String, attempts: u32 },
    /// No manifest at all for the repository.
    #[error(
        "no backup of repository {repository} in s3://{bucket}/backups/{repository}/ (check --bucket and --repo)"
    )]
    NoBackup { repository: String, bucket: String },
    /// The manifest cannot be parsed.
    #[error("the manifest s3://{bucket}/{key} is not valid: {source}")]
    BadManifest {
        bucket: String,
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A bundle is missing, has the wrong size or hash, or does not apply.
    #[error("bundle {seq} ({key}) is unusable: {problem}")]
    Corrupt {
        seq: u64,
        key: String,
        problem: String,
    },
    #[error("bundle {key}: {source}")]
    Bundle {
        key: String,
        #[source]
        source: BundleError,
    },
    /// Not a CodeCommit repository name (the text says why, never the
    /// name): it is never joined to a path or an S3 key.
    #[error("{0}")]
    InvalidRepository(String),
    /// The restore target exists and is not empty.
    #[error("{0} exists and is not empty: choose a new directory")]
    TargetNotEmpty(String),
    /// Some repositories of a scheduled run failed (the others are backed up).
    #[error("{} of the repositories failed: {}", .0.len(), .0.iter().map(|(r, e)| format!("{r}: {e}")).collect::<Vec<_>>().join("; "))]
    Partial(Vec<(String, Error)>),
}

impl Error {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Aws { retryable, .. } => *retryable,
            Self::Git { .. } | Self::Io { .. } | Self::Contention { .. } => true,
            #[cfg(feature = "fetch")]
            Self::Fetch(_) => true,
            Self::Partial(failures) => failures.iter().any(|(_, e)| e.is_retryable()),
            _ => false,
        }
    }

    /// The stable Lambda `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            #[cfg(feature = "fetch")]
            Self::InvalidEvent(_) => "InvalidEvent",
            Self::InvalidContinuation(_) | Self::InvalidRepository(_) => "InvalidEvent",
            e if e.is_retryable() => "Retryable",
            Self::Aws { .. } => "AwsError",
            _ => "BackupError",
        }
    }

    pub(crate) fn git(repository: &str, action: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Git {
            repository: repository.to_owned(),
            action,
            source: source.into(),
        }
    }

    /// `Err` unless `repository` is a CodeCommit repository name (see
    /// [`shared::codecommit_git::check_repository_name`]).
    pub fn check_repository(repository: &str) -> Result<(), Self> {
        shared::codecommit_git::check_repository_name(repository).map_err(Self::InvalidRepository)
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

#[cfg(feature = "fetch")]
impl From<shared::local_copies::CopyError> for Error {
    fn from(error: shared::local_copies::CopyError) -> Self {
        Self::io(error.context, error.source)
    }
}

#[cfg(feature = "fetch")]
impl From<Error> for lambda_runtime::Diagnostic {
    fn from(error: Error) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.error_type().to_owned(),
            // Masked: a message may quote a path, a ref name or an
            // answer that holds a secret.
            error_message: shared::masked::Masked::new(&error.to_string()).into_string(),
        }
    }
}
