//! The git path: a push too large for one API call per file is fetched over
//! git into a local copy (`GIT_SCAN_DIR`, kept across warm invocations,
//! [`shared::git_fetch`] with the SigV4 git password of the function's
//! role) and diffed locally ([`crate::git_source`]), with no `MAX_COMMITS`
//! cap. The commits are scanned by the same [`crate::scanning`] code as on
//! the API path, so findings, reports, comments and the alert are the same.
//!
//! When: a branch push of more than `GIT_SCAN_THRESHOLD` commits (the API
//! walk stops at the threshold and hands over), or a new branch whose
//! history shares nothing with the default branch (a migrated repository):
//! that one goes to git at once, without walking over the API. Tags and
//! pull requests stay on the API path.
//!
//! No commit cap: when `GIT_SCAN_QUEUE_URL` is set and less than
//! `GIT_SCAN_MARGIN_SECONDS` of the invocation is left, the scan stops after
//! the commit at hand, delivers what it found and hands a [`Cursor`] to the
//! queue; the next invocation resumes there (see [`crate::git_cursor`]).
//!
//! IAM: `codecommit:GitPull` on the repositories; `sqs:SendMessage` on the
//! continuation queue.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::SharedCredentialsProvider;
use shared::events::{CodeCommitRepositoryStateChange, ReferenceType, RepositoryEventKind};
use shared::git_fetch::{self, GitRemote};
use shared::local_copies;
use tracing::info;

use crate::adapters::SqsCursors;
use crate::git_cursor::Cursor;
use crate::git_source::LocalGitSource;
use crate::ports::{CommitSource, DefaultBranch, Store};
use crate::scanning::{CommitScan, ScannerCache, repo_scanner, scan_commit};
use crate::trust::trusted_revision;
use crate::walk::{Plan, Walk, walk};
use crate::{Config, Error};

/// Commits per invocation of a git-path scan with a continuation queue:
/// 5,000 reports written 8 at a time take well under the 60 s margin.
pub const PART_COMMITS: usize = 5_000;

/// How the function reaches repositories over git.
#[derive(Clone, Debug)]
pub struct GitAccess {
    /// `https://git-codecommit.<region>.amazonaws.com`, or
    /// `CODEWARDEN_GIT_ENDPOINT`.
    pub endpoint: String,
    pub region: String,
    pub credentials: SharedCredentialsProvider,
    /// `GIT_SCAN_DIR`: local copies are `<dir>/<repository>.git`.
    pub dir: PathBuf,
    /// `GIT_SCAN_THRESHOLD` (at least 1).
    pub threshold: usize,
    /// `GIT_SCAN_QUEUE_URL`: where a scan running out of time hands over;
    /// `None`: it goes on until done (or the timeout).
    pub cursors: Option<SqsCursors>,
    /// `GIT_SCAN_MARGIN_SECONDS`: no further commit is started with less
    /// time than this left.
    pub margin: Duration,
    /// Commits one invocation scans at most before handing the rest over
    /// (with a queue): the reports of a part are written after its scan,
    /// so the part bounds that time too ([`PART_COMMITS`]).
    pub part_commits: usize,
    /// `GIT_SCAN_MIN_FREE_MB` in bytes: before a fetch, the least recently
    /// used other copies go until this much is free (0: never).
    pub min_free: u64,
}

impl GitAccess {
    /// From the function's SDK configuration; `None` (the API path only)
    /// when `GIT_SCAN_THRESHOLD` is 0 or the SDK has no region or
    /// credentials.
    pub fn from_sdk(sdk: &aws_config::SdkConfig, config: &Config) -> Option<Self> {
        if config.git_scan_threshold == 0 {
            return None;
        }
        let region = sdk.region()?.to_string();
        let Some(credentials) = sdk.credentials_provider() else {
            tracing::warn!("no AWS credentials: large pushes are scanned over the API");
            return None;
        };
        Some(Self {
            endpoint: config
                .git_endpoint
                .clone()
                .unwrap_or_else(|| shared::codecommit_git::default_git_endpoint(&region)),
            region,
            credentials,
            dir: config.git_scan_dir.clone(),
            threshold: config.git_scan_threshold,
            cursors: config.git_scan_queue_url.as_ref().map(|url| SqsCursors {
                client: aws_sdk_sqs::Client::new(sdk),
                queue_url: url.clone(),
            }),
            margin: Duration::from_secs(config.git_scan_margin_seconds),
            min_free: config.git_scan_min_free_mb.saturating_mul(1024 * 1024),
            part_commits: PART_COMMITS,
        })
    }

    fn remote(&self) -> GitRemote<'_> {
        GitRemote {
            endpoint: &self.endpoint,
            region: &self.region,
            credentials: &self.credentials,
        }
    }

    /// Brings the local copy of `repository` up to date (on the blocking
    /// pool) and opens it.
    pub async fn fetch(&self, repository: &str) -> Result<LocalGitSource, Error> {
        // The copy is `<dir>/<repository>.git`: never a path outside it.
        shared::codecommit_git::check_repository_name(repository).map_err(|problem| {
            Error::InvalidEvent(shared::events::EventError::Invalid {
                event: "CodeCommit Repository State Change",
                path: "detail.repositoryName".to_owned(),
                problem,
            })
        })?;
        let auth = self.remote().auth(repository).await?;
        let url = self.remote().url(repository);
        let dir = self.dir.join(format!("{repository}.git"));
        let name = repository.to_owned();
        let started = std::time::Instant::now();
        let (root, min_free) = (self.dir.clone(), self.min_free);
        let (repo, state) = tokio::task::spawn_blocking(move || {
            // Room first: a sweep brings many repositories to one instance.
            if min_free > 0 {
                match local_copies::make_room(&root, &dir, min_free, &local_copies::Statvfs) {
                    Ok(evicted) if !evicted.is_empty() => {
                        info!(
                            evicted = evicted.len(),
                            "older local copies deleted for room"
                        );
                    }
                    Ok(_) => {}
                    // The fetch may still fit: it says so if it does not.
                    Err(error) => {
                        tracing::warn!(error = %error, "making room in GIT_SCAN_DIR failed")
                    }
                }
            }
            let synced = git_fetch::sync(&dir, &name, &url, &auth, None)?;
            if let Err(error) = local_copies::touch(&dir) {
                tracing::warn!(error = %error, "marking the local copy as used failed");
            }
            Ok::<_, Error>(synced)
        })
        .await
        .map_err(|e| Error::Aws {
            operation: "git fetch",
            retryable: true,
            message: format!("the fetch task failed: {e}"),
            source: Box::new(e),
        })??;
        let default_branch = state
            .head
            .as_deref()
            .and_then(|head| head.strip_prefix("refs/heads/"))
            .map(str::to_owned);
        info!(
            repository,
            refs = state.refs.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "local copy up to date"
        );
        Ok(LocalGitSource::new(repo, repository, default_branch))
    }
}

/// Which path scans a push.
pub enum Route {
    /// The API path, with the commits it walked.
    Api(Walk),
    /// Scanned over git.
    Git(GitScanned),
}

/// What the git path scanned in this invocation.
pub struct GitScanned {
    pub scans: Vec<CommitScan>,
    /// 0 for the invocation the push event started, then the cursor's part.
    pub part: u32,
    /// The rest, when time ran out (to be sent once this part is delivered).
    pub rest: Option<Cursor>,
}

/// The invocation's time: its deadline, if known.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    pub deadline: Option<SystemTime>,
}

impl Budget {
    fn remaining(&self) -> Duration {
        self.deadline.map_or(Duration::MAX, |deadline| {
            deadline
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
        })
    }
}

/// What the handler gives [`route`]: the push, its plan, and where an
/// earlier invocation stopped.
pub struct Push<'a> {
    pub detail: &'a CodeCommitRepositoryStateChange,
    pub plan: Plan,
    /// The push event as received (carried by a cursor).
    pub event: &'a serde_json::Value,
    pub resume: Option<&'a Cursor>,
    pub budget: Budget,
    /// The default branch, resolved to its tip commit once for the event.
    pub default_branch: Option<&'a DefaultBranch>,
}

/// The API walk of a branch push, or the git path when the push is large
/// (see the module) or continues an earlier invocation. Without git
/// access: the API walk, bounded by `MAX_COMMITS`, exactly as before.
pub async fn route<S: CommitSource, T: Store>(
    source: &S,
    store: &T,
    git: Option<&GitAccess>,
    config: &Config,
    cache: &ScannerCache,
    default: &std::sync::Arc<shared::scan::Scanner>,
    push: Push<'_>,
) -> Result<Route, Error> {
    let Push {
        detail,
        plan,
        event,
        resume,
        budget,
        default_branch,
    } = push;
    let repository = detail.repository_name.as_str();
    let is_branch = detail.reference_type != Some(ReferenceType::Tag);
    let Some(git) = git.filter(|_| is_branch) else {
        if resume.is_some() {
            return Err(Error::NotFound {
                what: "git access for a git scan cursor (GIT_SCAN_THRESHOLD is 0)".to_owned(),
            });
        }
        return Ok(Route::Api(
            walk(source, store, config, repository, plan).await?,
        ));
    };
    let new_history =
        detail.event == RepositoryEventKind::ReferenceCreated && plan.stops.is_empty();
    if !new_history && resume.is_none() {
        let mut bounded = config.clone();
        bounded.max_commits = git.threshold.min(config.max_commits);
        let walked = walk(source, store, &bounded, repository, plan.clone()).await?;
        if walked.stopped_at.is_none() {
            return Ok(Route::Api(walked));
        }
    }
    info!(
        repository,
        new_history,
        resumed = resume.is_some(),
        threshold = git.threshold,
        "large push: scanning over git"
    );
    let local = git.fetch(repository).await?;
    let (tip, hidden) = match resume {
        Some(cursor) => (cursor.tip.clone(), cursor.hidden.clone()),
        None => {
            let mut hidden = Vec::new();
            for spec in plan.stops.iter().chain(&plan.references) {
                hidden.extend(local.resolve(spec)?.map(|id| id.to_string()));
            }
            hidden.sort();
            hidden.dedup();
            (plan.tip.clone(), hidden)
        }
    };
    let ids = local.commits_between(&tip, &hidden)?;
    // Where to begin: the cursor's commit (absent: the rest became known
    // meanwhile, nothing is left).
    let start = match resume {
        Some(cursor) => ids
            .iter()
            .position(|id| *id == cursor.next)
            .unwrap_or(ids.len()),
        None => 0,
    };
    let commits = local.commits(repository, &ids[start..]).await?;
    let branch = detail.reference_name.as_deref();
    let before = match detail.event {
        RepositoryEventKind::ReferenceUpdated => detail.old_commit_id.as_deref(),
        _ => None,
    };
    // The default branch as the event resolved it (by id, over the API),
    // not the local copy's HEAD or a name the copy resolves.
    let revision = trusted_revision(default_branch, branch, before);
    let trusted = repo_scanner(
        &local,
        cache,
        default,
        repository,
        revision.as_deref(),
        config.allowlist_policy,
    )
    .await?;
    let part = resume.map_or(0, |c| c.part);
    let done_before = resume.map_or(0, |c| c.done);
    let mut scans = Vec::with_capacity(commits.len());
    let mut rest = None;
    for commit in &commits {
        // At least one commit per invocation, so that a scan advances
        // whatever the margin.
        let out_of_time = budget.remaining() < git.margin;
        if !scans.is_empty()
            && git.cursors.is_some()
            && (out_of_time || scans.len() >= git.part_commits)
        {
            rest = Some(Cursor {
                kind: crate::git_cursor::KIND.to_owned(),
                version: crate::git_cursor::VERSION,
                event: event.clone(),
                tip: tip.clone(),
                hidden: hidden.clone(),
                next: commit.id.clone(),
                done: done_before + scans.len(),
                part: part + 1,
                sweep: resume.and_then(|c| c.sweep.clone()),
            });
            break;
        }
        // One file at a time: the reads are local and sequential anyway.
        scans.push(
            scan_commit(
                &local,
                &trusted,
                repository,
                commit,
                1,
                config.max_blob_bytes,
            )
            .await?,
        );
    }
    info!(
        repository,
        commits = scans.len(),
        done_before,
        left = commits.len() - scans.len(),
        "scanned over git"
    );
    Ok(Route::Git(GitScanned { scans, part, rest }))
}

impl GitAccess {
    /// Hands the rest of a scan to the continuation queue.
    pub async fn hand_over(&self, cursor: &Cursor) -> Result<(), Error> {
        match &self.cursors {
            Some(queue) => queue.send(cursor).await,
            None => Ok(()),
        }
    }
}
