//! The capabilities backups need, in domain terms. The S3, CodeCommit and
//! SQS adapters live in [`crate::store`] and [`crate::adapters`]; free
//! space in [`crate::evict`]; the invocation's deadline in
//! [`crate::handler`].

use std::future::Future;
use std::path::Path;

use shared::backup::Manifest;

use crate::Error;

/// A manifest as read, with the version token a conditional write needs.
#[derive(Clone, Debug)]
pub struct Versioned {
    pub manifest: Manifest,
    /// S3 ETag of the manifest object.
    pub etag: String,
}

/// A bundle object as listed: its key and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredBundle {
    pub key: String,
    pub written: chrono::DateTime<chrono::Utc>,
}

/// Where backups live (S3 under `backups/<repo>/`).
pub trait BackupStore: Sync {
    /// The manifest, or `None` when the repository was never backed up.
    fn load_manifest(
        &self,
        repository: &str,
    ) -> impl Future<Output = Result<Option<Versioned>, Error>> + Send;
    /// Writes the manifest only if it is still at `previous` (`None`: only
    /// if there is none yet). `Ok(false)`: someone else wrote it first.
    fn save_manifest(
        &self,
        manifest: &Manifest,
        previous: Option<&str>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
    /// Uploads a bundle file (multipart above the part size); returns the
    /// bytes sent.
    fn upload_bundle(
        &self,
        key: &str,
        file: &Path,
        size: u64,
    ) -> impl Future<Output = Result<u64, Error>> + Send;
    /// Downloads a bundle into `file`; `Ok(false)` when it does not exist.
    fn download_bundle(
        &self,
        key: &str,
        file: &Path,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
    fn delete_bundle(&self, key: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Every bundle object stored for `repository`, referenced or not.
    fn list_bundles(
        &self,
        repository: &str,
    ) -> impl Future<Output = Result<Vec<StoredBundle>, Error>> + Send;
    /// The bucket, for messages.
    fn bucket(&self) -> &str;
}

/// The repositories a scheduled run looks at (`ListRepositories`).
pub trait Repositories: Sync {
    /// Every repository the function backs up.
    fn list(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
    /// Whether a push to `repository` is backed up (the repository filter).
    fn includes(&self, repository: &str) -> bool;
}

/// Free space on the filesystem of the mirrors (statvfs in Lambda; a fixed
/// capacity in tests, which makes eviction deterministic).
#[cfg(feature = "fetch")]
pub use shared::local_copies::FreeSpace;

/// How much of the invocation is left (the Lambda context's deadline).
pub trait TimeBudget: Sync {
    fn remaining(&self) -> std::time::Duration;
}

/// Where a run that is running out of time hands over the repositories it
/// had no time for (an SQS queue that invokes the function again).
pub trait Continuations: Sync {
    fn send(
        &self,
        continuation: &crate::continuation::Continuation,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}
