//! [`handle`]: the Lambda entry point's logic.
//!
//! Consumes EventBridge *CodeCommit Repository State Change* events (any
//! created, updated or deleted ref: the whole repository is backed up, so
//! deleted refs are recorded too), the *Scheduled Event* of the backup
//! schedule (every repository from `ListRepositories`, optionally filtered,
//! that changed or has no backup yet; unchanged ones cost one ref listing),
//! and SQS events of the continuation queue (the rest of a scheduled run).
//!
//! A run over many repositories checks the time left before each one: when
//! less than the margin (`CONTINUATION_MARGIN_SECONDS`) remains, it stops
//! taking repositories and sends the rest to the continuation queue
//! ([`Continuation`]), whose message invokes the function again. Every
//! invocation backs up at least one repository, so a run always advances.
//!
//! Failures: an invocation that handed nothing over returns them (Lambda
//! retries the event; SQS redelivers the message, then the dead-letter
//! queue keeps it). One that handed over must not fail (a retry would hand
//! the same repositories over twice): its failed repositories travel in the
//! message, retried up to [`MAX_ATTEMPTS`] times in the run, then reported
//! by the invocation that ends it.
//!
//! Side effects: objects under `s3://BACKUP_BUCKET/backups/<repo>/`; a mirror
//! per repository in `MIRROR_DIR`; messages on `CONTINUATION_QUEUE_URL`.
//! IAM: `codecommit:GitPull`, `codecommit:ListRepositories`,
//! `s3:GetObject`/`PutObject`/`DeleteObject`/`AbortMultipartUpload` on
//! `backups/*`, `s3:ListBucket` on that prefix, `sqs:SendMessage` on the
//! continuation queue (and receiving from it, for its event source),
//! `kms:GenerateDataKey`/`Decrypt` on the key.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use shared::events::{CodewardenEvent, parse_event};

use crate::Error;
use crate::backup::{BackupOutcome, GitAccess, back_up, collect_garbage};
use crate::continuation::{Continuation, Failed, MAX_ATTEMPTS};
use crate::ports::{BackupStore, Continuations, Repositories, TimeBudget};

/// What the handler needs, built once in `main`.
pub struct Deps<S, R, Q> {
    pub store: S,
    pub repositories: R,
    pub git: GitAccess,
    pub full_every: usize,
    /// How old an unreferenced bundle must be to be collected.
    pub gc_grace: chrono::Duration,
    /// The continuation queue; `None`: a run goes on until it is done (or
    /// the invocation times out).
    pub continuations: Option<Q>,
    /// No new repository is started with less time than this left.
    pub margin: Duration,
}

/// The time left until the Lambda context's deadline.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub SystemTime);

impl TimeBudget for Deadline {
    fn remaining(&self) -> Duration {
        self.0
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }
}

/// No deadline (a local run).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDeadline;

impl TimeBudget for NoDeadline {
    fn remaining(&self) -> Duration {
        Duration::MAX
    }
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
        /// Repositories sent to the continuation queue (no time left).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        handed_over: Vec<String>,
        /// Failures sent along with them (reported when the run ends).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        failures_handed_over: Vec<String>,
    },
}

/// One repository to back up in this invocation.
struct Item {
    repository: String,
    /// Failed attempts earlier in the run.
    attempts: u32,
}

/// The repositories of one run that this invocation was given.
struct Run {
    id: String,
    /// The hop the next continuation of this run gets.
    next_hop: u32,
    items: Vec<Item>,
    /// Failures from earlier invocations of the run.
    failed: Vec<Failed>,
}

/// The invocation's events and their deadline.
pub async fn handle<S: BackupStore, R: Repositories, Q: Continuations>(
    event: Value,
    budget: &impl TimeBudget,
    deps: &Deps<S, R, Q>,
) -> Result<Outcome, Error> {
    let parsed = match parse_event(&event) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(error = %error, "unreadable event: acknowledged, not retried");
            return Err(Error::InvalidEvent(error));
        }
    };
    let event_id = |id: &Option<String>| {
        id.clone()
            .unwrap_or_else(|| format!("run-{}", chrono::Utc::now().timestamp_millis()))
    };
    let runs = match &parsed {
        CodewardenEvent::RepositoryStateChange(e) => {
            let name = &e.detail.repository_name;
            // Before any use: the name becomes a directory and an S3 prefix.
            if let Err(problem) = shared::codecommit_git::check_repository_name(name) {
                tracing::warn!(problem = %problem, "invalid repository name: acknowledged, not used");
                return Ok(Outcome::Ignored {
                    kind: "invalid repository name".to_owned(),
                });
            }
            if !deps.repositories.includes(name) {
                tracing::info!(repository = %name, "repository not in the filter: ignored");
                return Ok(Outcome::Ignored {
                    kind: "filtered repository".to_owned(),
                });
            }
            vec![Run::new(event_id(&e.id), 1, vec![name.clone()])]
        }
        CodewardenEvent::Scheduled(e) => {
            let names = deps
                .repositories
                .list()
                .await?
                .into_iter()
                .filter(|name| match shared::codecommit_git::check_repository_name(name) {
                    Ok(()) => true,
                    Err(problem) => {
                        tracing::warn!(problem = %problem, "invalid repository name listed: skipped");
                        false
                    }
                })
                .collect();
            vec![Run::new(event_id(&e.id), 1, names)]
        }
        CodewardenEvent::Unsupported { source, .. } if source == "aws:sqs" => {
            let continuations = match Continuation::from_sqs_event(&event) {
                Ok(continuations) => continuations,
                Err(error) => {
                    tracing::error!(error = %error, "unreadable continuation: not retried");
                    return Err(Error::InvalidContinuation(error));
                }
            };
            continuations
                .into_iter()
                .map(|c| Run::continued(c, deps))
                .collect()
        }
        other => {
            tracing::info!(kind = other.kind(), "not a push or schedule event: ignored");
            return Ok(Outcome::Ignored {
                kind: other.kind().to_owned(),
            });
        }
    };
    run(runs, budget, deps).await
}

impl Run {
    fn new(id: String, next_hop: u32, repositories: Vec<String>) -> Self {
        Self {
            id,
            next_hop,
            items: repositories
                .into_iter()
                .map(|repository| Item {
                    repository,
                    attempts: 0,
                })
                .collect(),
            failed: Vec::new(),
        }
    }

    fn continued<S, R: Repositories, Q>(c: Continuation, deps: &Deps<S, R, Q>) -> Self {
        tracing::info!(
            run = %c.run_id,
            hop = c.hop,
            repositories = c.repositories.len(),
            "continuing a run"
        );
        let mut seen = std::collections::HashSet::new();
        let repositories = c
            .repositories
            .into_iter()
            .filter(|name| seen.insert(name.clone()))
            .filter(|name| {
                // The filter may have changed since the run began.
                let included = deps.repositories.includes(name);
                if !included {
                    tracing::info!(repository = %name, "repository not in the filter: skipped");
                }
                included
            });
        let items = repositories
            .map(|repository| Item {
                attempts: c.attempts.get(&repository).copied().unwrap_or(0),
                repository,
            })
            .collect();
        Self {
            id: c.run_id,
            next_hop: c.hop.saturating_add(1),
            items,
            failed: c.failed,
        }
    }
}

/// What became of one run in this invocation.
struct Progress {
    id: String,
    next_hop: u32,
    /// Not started: no time was left.
    rest: Vec<Item>,
    failures: Vec<(Item, Error)>,
    failed_before: Vec<Failed>,
}

async fn run<S: BackupStore, R: Repositories, Q: Continuations>(
    runs: Vec<Run>,
    budget: &impl TimeBudget,
    deps: &Deps<S, R, Q>,
) -> Result<Outcome, Error> {
    let mut results = Vec::new();
    let mut progress = Vec::new();
    let mut started = 0usize;
    let mut out_of_time = false;
    for run in runs {
        let mut state = Progress {
            id: run.id,
            next_hop: run.next_hop,
            rest: Vec::new(),
            failures: Vec::new(),
            failed_before: run.failed,
        };
        for item in run.items {
            if !out_of_time && deps.continuations.is_some() && budget.remaining() < deps.margin {
                // At least one repository per invocation, so that a run
                // advances whatever the margin.
                if started > 0 {
                    out_of_time = true;
                } else {
                    tracing::warn!(
                        repository = %item.repository,
                        margin_s = deps.margin.as_secs(),
                        "less than the margin left, but no repository backed up yet: starting one"
                    );
                }
            }
            if out_of_time {
                state.rest.push(item);
                continue;
            }
            started += 1;
            let repository = item.repository.clone();
            match back_up(&deps.store, &deps.git, &repository, deps.full_every).await {
                Ok(outcome) => {
                    tracing::info!(repository = %repository, run = %state.id, outcome = ?outcome, "backup done");
                    // Housekeeping only: the backup is stored whatever happens
                    // here, and the next run collects what this one could not.
                    if let Err(error) =
                        collect_garbage(&deps.store, &repository, deps.gc_grace).await
                    {
                        tracing::warn!(repository = %repository, error = %error, "garbage collection failed");
                    }
                    results.push((repository, outcome));
                }
                Err(error) => {
                    tracing::error!(repository = %repository, run = %state.id, error = %error, "backup failed");
                    state.failures.push((item, error));
                }
            }
        }
        progress.push(state);
    }

    let handing_over = progress.iter().any(|p| !p.rest.is_empty());
    let Some(queue) = deps.continuations.as_ref().filter(|_| handing_over) else {
        // Nothing handed over: failures are this invocation's error, so that
        // Lambda retries the event (a swallowed error is a lost backup).
        let failures: Vec<(String, Error)> = progress
            .into_iter()
            .flat_map(|p| {
                let earlier = p
                    .failed_before
                    .into_iter()
                    .map(|f| (f.repository, Error::FailedEarlier(f.error)));
                p.failures
                    .into_iter()
                    .map(|(item, e)| (item.repository, e))
                    .chain(earlier)
            })
            .collect();
        return if failures.is_empty() {
            Ok(Outcome::BackedUp {
                results,
                handed_over: Vec::new(),
                failures_handed_over: Vec::new(),
            })
        } else {
            Err(Error::Partial(failures))
        };
    };

    let mut handed_over = Vec::new();
    let mut failures_handed_over = Vec::new();
    for p in progress {
        let mut next = Continuation::new(&p.id, p.next_hop);
        next.failed = p.failed_before;
        let mut attempts = BTreeMap::new();
        let mut retries = Vec::new();
        for item in p.rest {
            if item.attempts > 0 {
                attempts.insert(item.repository.clone(), item.attempts);
            }
            next.repositories.push(item.repository);
        }
        for (item, error) in p.failures {
            let attempts_now = item.attempts + 1;
            if error.is_retryable() && attempts_now < MAX_ATTEMPTS {
                attempts.insert(item.repository.clone(), attempts_now);
                retries.push(item.repository);
            } else {
                next.failed.push(Failed::new(&item.repository, &error));
            }
        }
        // Failed ones last: the others should not wait behind them.
        next.repositories.extend(retries);
        next.attempts = attempts;
        if next.is_empty() {
            continue;
        }
        queue.send(&next).await?;
        tracing::info!(
            run = %next.run_id,
            hop = next.hop,
            repositories = next.repositories.len(),
            failed = next.failed.len(),
            "little time left: the rest of the run handed over to the continuation queue"
        );
        handed_over.extend(next.repositories);
        failures_handed_over.extend(next.failed.into_iter().map(|f| f.repository));
    }
    Ok(Outcome::BackedUp {
        results,
        handed_over,
        failures_handed_over,
    })
}
