//! [`handle`]: the Lambda entry point's logic.
//!
//! Consumes EventBridge *CodeCommit Repository State Change* events (any
//! created, updated or deleted ref: the whole repository is backed up, so
//! deleted refs are recorded too) and the *Scheduled Event* of the backup
//! schedule (every repository from `ListRepositories`, optionally filtered,
//! that changed or has no backup yet; unchanged ones cost one ref listing).
//!
//! Side effects: objects under `s3://BACKUP_BUCKET/backups/<repo>/`; a mirror
//! in `MIRROR_DIR`. IAM: `codecommit:GitPull`, `codecommit:ListRepositories`,
//! `s3:GetObject`/`PutObject`/`DeleteObject`/`AbortMultipartUpload` on
//! `backups/*`, `kms:GenerateDataKey`/`Decrypt` on the key.

use serde_json::Value;
use shared::events::{CodewardenEvent, parse_event};

use crate::Error;
use crate::backup::{BackupOutcome, GitAccess, back_up, collect_garbage};
use crate::ports::{BackupStore, Repositories};

/// What the handler needs, built once in `main`.
pub struct Deps<S, R> {
    pub store: S,
    pub repositories: R,
    pub git: GitAccess,
    pub full_every: usize,
    /// How old an unreferenced bundle must be to be collected.
    pub gc_grace: chrono::Duration,
}

/// The invocation's result (logged by Lambda, returned to `invoke`).
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Ignored {
        kind: String,
    },
    BackedUp {
        results: Vec<(String, BackupOutcome)>,
    },
}

pub async fn handle<S: BackupStore, R: Repositories>(
    event: Value,
    deps: &Deps<S, R>,
) -> Result<Outcome, Error> {
    let event = match parse_event(&event) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(error = %error, "unreadable event: acknowledged, not retried");
            return Err(Error::InvalidEvent(error));
        }
    };
    let repositories = match &event {
        CodewardenEvent::RepositoryStateChange(e) => {
            let name = &e.detail.repository_name;
            if !deps.repositories.includes(name) {
                tracing::info!(repository = %name, "repository not in the filter: ignored");
                return Ok(Outcome::Ignored {
                    kind: "filtered repository".to_owned(),
                });
            }
            vec![name.clone()]
        }
        CodewardenEvent::Scheduled(_) => deps.repositories.list().await?,
        other => {
            tracing::info!(kind = other.kind(), "not a push or schedule event: ignored");
            return Ok(Outcome::Ignored {
                kind: other.kind().to_owned(),
            });
        }
    };
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for repository in repositories {
        match back_up(&deps.store, &deps.git, &repository, deps.full_every).await {
            Ok(outcome) => {
                tracing::info!(repository = %repository, outcome = ?outcome, "backup done");
                // Housekeeping only: the backup is stored whatever happens
                // here, and the next run collects what this one could not.
                if let Err(error) = collect_garbage(&deps.store, &repository, deps.gc_grace).await {
                    tracing::warn!(repository = %repository, error = %error, "garbage collection failed");
                }
                results.push((repository, outcome));
            }
            Err(error) => {
                tracing::error!(repository = %repository, error = %error, "backup failed");
                failures.push((repository, error));
            }
        }
    }
    if failures.is_empty() {
        Ok(Outcome::BackedUp { results })
    } else {
        // Returned, so that Lambda retries (and the dead-letter queue keeps
        // the event after the retries): a swallowed error is a lost backup.
        Err(Error::Partial(failures))
    }
}
