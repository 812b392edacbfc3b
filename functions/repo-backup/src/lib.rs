//! `repo-backup`: CodeCommit repositories backed up to S3 as standard git
//! bundles, incrementally, with gix (no git binary); and their restore.
//!
//! - [`handler`]: push, schedule and continuation events in, backups out
//!   ([`handle`]);
//! - [`continuation`]: the message that hands the rest of a run over;
//! - [`backup`]: one repository's backup (mirror, bundle, manifest CAS);
//! - the /tmp mirror is fetched over git HTTP(S) with SigV4 by
//!   `shared::git_fetch` (shared with secret-scanner's git path);
//! - [`evict`]: room in /tmp (least recently used mirrors deleted);
//! - [`pack`]: bundle writing with gix-pack;
//! - [`restore`]: chain download, SHA-256 checks, apply with gix;
//! - [`store`]: S3 (conditional writes, multipart upload);
//! - [`ports`]: the capabilities above, in domain terms;
//! - [`config`]: the environment, read once.
//!
//! Without the default `fetch` feature only [`restore`], [`store`] and
//! [`pack`] are built (what `codewarden restore` needs: no git transport).

#[cfg(feature = "fetch")]
pub mod adapters;
#[cfg(feature = "fetch")]
pub mod backup;
#[cfg(feature = "fetch")]
pub mod config;
pub mod continuation;
mod error;
#[cfg(feature = "fetch")]
pub mod evict;
#[cfg(feature = "fetch")]
pub mod handler;
pub mod pack;
pub mod ports;
pub mod restore;
pub mod store;

pub use error::Error;
#[cfg(feature = "fetch")]
pub use {
    backup::{BackupOutcome, GitAccess, back_up, collect_garbage},
    config::{Config, ConfigError},
    handler::{Deadline, Deps, NoDeadline, Outcome, handle},
};

/// The SDK-backed dependencies from one loaded SDK configuration.
#[cfg(feature = "fetch")]
pub fn sdk_deps(
    sdk: &aws_config::SdkConfig,
    config: &Config,
) -> Result<
    Deps<store::S3Store, adapters::CodeCommitRepositories, adapters::SqsContinuations>,
    ConfigError,
> {
    let region = sdk
        .region()
        .map(|r| r.to_string())
        .ok_or(ConfigError::Missing("AWS_REGION"))?;
    let credentials = sdk
        .credentials_provider()
        .ok_or(ConfigError::Missing("AWS credentials"))?;
    let s3 = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(config.s3_force_path_style)
        .build();
    let mut store = store::S3Store::new(aws_sdk_s3::Client::from_conf(s3), config.bucket.clone());
    store.kms_key_id = config.kms_key_id.clone();
    store.part_size = config.part_size_mb * 1024 * 1024;
    Ok(Deps {
        store,
        repositories: adapters::CodeCommitRepositories {
            client: aws_sdk_codecommit::Client::new(sdk),
            filter: config.filter.clone(),
        },
        git: GitAccess {
            endpoint: config.git_endpoint(&region),
            region,
            credentials,
            mirror_root: config.mirror_dir.clone(),
            min_free_tmp: config.min_free_tmp_mb * 1024 * 1024,
            free_space: std::sync::Arc::new(evict::Statvfs),
        },
        full_every: config.full_every,
        gc_grace: chrono::Duration::minutes(config.gc_grace_minutes as i64),
        continuations: config.continuation_queue_url.as_ref().map(|url| {
            adapters::SqsContinuations {
                client: aws_sdk_sqs::Client::new(sdk),
                queue_url: url.clone(),
            }
        }),
        margin: std::time::Duration::from_secs(config.continuation_margin_seconds),
    })
}
