//! The handler: a CodeCommit event in; findings out to an alert, comments
//! and reports.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;
use shared::events::{
    CodeCommitPullRequestStateChange, CodeCommitRepositoryStateChange, CodewardenEvent,
    EventBridgeEvent, EventError, PullRequestEventKind, PullRequestStatus, ReferenceType,
    RepositoryEventKind, parse_event,
};
use shared::masked::Masked;
use shared::scan::Scanner;
use tracing::{info, warn};

use crate::aws_keys::{AccessKeys, KeyReport, MAX_KEY_LOOKUPS};
use crate::config::Config;
use crate::git_cursor::Cursor;
use crate::git_path::{self, Budget, Push, Route};
use crate::ports::{
    ApprovalChange, CommentRequest, Comments, CommitInfo, CommitSource, Notifier, PullRequests,
    Repositories, Store, comment_path,
};
use crate::protection::{self, Verdict};
use crate::report::{self, AlertContext, Truncation, comment_text, token};
use crate::scanning::{
    COMMIT_MESSAGE_PATH, CommitScan, FileFinding, RepoScanner, ScannerCache, repo_scanner,
    scan_commit,
};
use crate::sweep::SweepRequest;
use crate::trust::trusted_revision;
use crate::walk::{Plan, Walk, push_plan, tag_plan, walk};
use crate::{Error, adapters};

/// Everything the handler needs, built once in `main`.
pub struct Deps<S, C, N, T, P, K> {
    pub config: Config,
    /// The built-in rules, for repositories without a `.codewarden.toml`.
    pub scanner: Arc<Scanner>,
    pub cache: ScannerCache,
    pub source: S,
    pub comments: C,
    pub notifier: N,
    pub store: T,
    /// Approvals and the summary comment of pull requests.
    pub pull_requests: P,
    /// STS and IAM, for the access key ids found
    /// (`LEAKED_AWS_KEY_ACTION`).
    pub access_keys: K,
    /// Large pushes over git ([`crate::git_path`]); `None`: the API only.
    pub git: Option<crate::git_path::GitAccess>,
    /// The CodeCommit requests sent, for the outcome's `apiCalls`.
    pub api_calls: crate::api_calls::ApiCalls,
}

/// The dependencies backed by the AWS SDK.
pub type SdkDeps = Deps<
    adapters::CodeCommitSource,
    adapters::CodeCommitSource,
    adapters::SnsNotifier,
    adapters::S3Store,
    adapters::CodeCommitSource,
    adapters::IamAccessKeys,
>;

/// What happened to the alert of an invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AlertStatus {
    /// No new findings: nothing to alert.
    None,
    #[serde(rename_all = "camelCase")]
    Sent { message_id: String },
    /// Sent by an earlier delivery of the same event.
    Duplicate,
}

/// What an invocation did; the function's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    #[serde(rename_all = "camelCase")]
    Scanned {
        repository: String,
        /// Commits scanned now.
        commits: usize,
        /// Commits skipped because a report shows they were scanned before.
        already_scanned: usize,
        findings: usize,
        comments: usize,
        alert: AlertStatus,
        /// The newest commit left unscanned when `MAX_COMMITS` was reached.
        stopped_at: Option<String>,
        /// Pull requests only: what the scanner did to the approval state.
        #[serde(skip_serializing_if = "Option::is_none")]
        approval: Option<ApprovalStatus>,
        /// Where the commits and diffs came from.
        via: ScanPath,
        /// CodeCommit API requests this invocation sent (retries and
        /// pages included; the git fetch is not an API call).
        api_calls: u64,
        /// Git path: the first commit handed to the next invocation (time
        /// ran out; not a truncation, the scan goes on).
        #[serde(skip_serializing_if = "Option::is_none")]
        continues_at: Option<String>,
    },
    /// A full-history sweep planned: a cursor per branch sent to the
    /// continuation queue ([`crate::sweep`]).
    #[serde(rename_all = "camelCase")]
    SweepPlanned {
        sweep: String,
        repositories: usize,
        /// Cursors sent (branches whose tip no branch before had).
        branches: usize,
    },
    Acknowledged {
        reason: String,
    },
}

/// Where a scan read the commits and their diffs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ScanPath {
    /// The CodeCommit API (GetDifferences, GetBlobDifferences per file).
    Api,
    /// A local copy fetched over git ([`crate::git_path`]).
    Git,
}

/// What the scanner did to a pull request's approval state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ApprovalStatus {
    /// The revision scanned is approved.
    Approved,
    /// Not approved: findings, or an incomplete scan.
    Revoked,
    /// The pull request moved on (a newer push) or closed before the
    /// scan finished: the event of the newer revision decides.
    Superseded,
    /// `PULL_REQUEST_APPROVAL=false`.
    Disabled,
}

fn acknowledged(reason: impl Into<String>) -> Outcome {
    Outcome::Acknowledged {
        reason: reason.into(),
    }
}

/// Handles one EventBridge event:
///
/// - *CodeCommit Repository State Change* `referenceUpdated` and
///   `referenceCreated` (branch): every new commit, merged side branches
///   included, each against its first parent (see [`crate::walk`]);
///   `referenceCreated` (tag): the tagged commit and its ancestors that
///   have no report, back to the default branch; `referenceDeleted`:
///   acknowledged;
/// - *CodeCommit Pull Request State Change* `pullRequestCreated` /
///   `pullRequestSourceBranchUpdated`: the source branch's new commits, a
///   comment on the pull request at each line that still holds a secret,
///   one summary comment, and APPROVE / REVOKE of the revision (push
///   protection, [`crate::protection`]);
/// - anything else: acknowledged.
///
/// Side effects, in this order so that a retry after a failure duplicates
/// nothing: one SNS alert per event with findings or with anything not
/// scanned (guarded by an S3 marker written first), one comment per
/// finding (CodeCommit de-duplicates by a `clientRequestToken` derived
/// from repository, commit, path, line and fingerprint), then one report per scanned commit at
/// `findings/<repository>/<commitId>.json` (last: a report means "done").
///
/// IAM: `codecommit:GetRepository`, `codecommit:GetBranch` (the default
/// branch's tip, the commit trusted), `codecommit:BatchGetCommits`,
/// `codecommit:GetMergeOptions`, `codecommit:GetDifferences`,
/// `codecommit:GetBlobDifferences`, `codecommit:GetBlob`, `codecommit:GetFile`,
/// `codecommit:PostCommentForComparedCommit`,
/// `codecommit:PostCommentForPullRequest`; for pull requests also
/// `codecommit:GetPullRequest`, `codecommit:GetCommentsForPullRequest`,
/// `codecommit:UpdateComment`, `codecommit:UpdatePullRequestApprovalState`
/// (see [`crate::protection`]); `sns:Publish`, `s3:PutObject`,
/// `s3:GetObject` (HeadObject, the recorded default branch),
/// `s3:DeleteObject` (marker release); `sts:GetCallerIdentity` (the
/// scanner's own ARN, author of its summary comments);
/// `sts:GetAccessKeyInfo`,
/// `iam:GetAccessKeyLastUsed`, `iam:ListAccessKeys` (and
/// `iam:UpdateAccessKey` with `LEAKED_AWS_KEY_ACTION=deactivate`) for the
/// access key ids found ([`crate::aws_keys`]).
pub async fn handle<S, C, N, T, P, K>(
    event: Value,
    deps: &Deps<S, C, N, T, P, K>,
) -> Result<Outcome, Error>
where
    S: CommitSource + Repositories,
    C: Comments,
    N: Notifier,
    T: Store,
    P: PullRequests,
    K: AccessKeys,
{
    handle_until(event, Budget::default(), deps).await
}

/// [`handle`] within the invocation's deadline (Lambda's context): a
/// git-path scan near it hands the rest over ([`crate::git_path`]). Also
/// takes the continuation queue's SQS events (a [`Cursor`] each).
pub async fn handle_until<S, C, N, T, P, K>(
    raw: Value,
    budget: Budget,
    deps: &Deps<S, C, N, T, P, K>,
) -> Result<Outcome, Error>
where
    S: CommitSource + Repositories,
    C: Comments,
    N: Notifier,
    T: Store,
    P: PullRequests,
    K: AccessKeys,
{
    let event = match parse_event(&raw) {
        Ok(event) => event,
        Err(error) => {
            warn!(error = %error, "invalid event");
            return Err(error.into());
        }
    };
    let calls_before = deps.api_calls.total();
    let mut outcome = match event {
        CodewardenEvent::RepositoryStateChange(event) => {
            repository_changed(&event, &raw, None, budget, deps).await
        }
        CodewardenEvent::Unsupported { source, .. } if source == "aws:sqs" => {
            continue_scans(&raw, budget, deps).await
        }
        CodewardenEvent::PullRequestStateChange(event) => pull_request_changed(&event, deps).await,
        CodewardenEvent::Scheduled(event) => sweep(&event, deps).await,
        other => Ok(acknowledged(format!("not handled: {}", other.kind()))),
    };
    if let Ok(Outcome::Scanned { api_calls, .. }) = &mut outcome {
        *api_calls = deps.api_calls.total().saturating_sub(calls_before);
    }
    match &outcome {
        Ok(outcome) => info!(outcome = ?outcome, "done"),
        Err(error) => warn!(error = %error, retryable = error.is_retryable(), "failed"),
    }
    outcome
}

/// `Some(acknowledged)` when `repository` (from an event, a queue message
/// or a listing) is not a CodeCommit repository name: such an event is
/// logged without the name, acknowledged and dropped, never used for a
/// path, a key or an API call.
fn invalid_repository(repository: &str) -> Option<Outcome> {
    let problem = shared::codecommit_git::check_repository_name(repository).err()?;
    warn!(problem = %problem, "invalid repository name: acknowledged, not used");
    Some(acknowledged("invalid repository name"))
}

fn missing(event: &'static str, path: &str) -> Error {
    Error::InvalidEvent(EventError::Invalid {
        event,
        path: path.to_owned(),
        problem: "is missing".to_owned(),
    })
}

/// A full-history sweep's first step: a cursor per branch of every watched
/// repository to the continuation queue ([`crate::sweep`]).
async fn sweep<S, C, N, T, P, K>(
    event: &EventBridgeEvent<Value>,
    deps: &Deps<S, C, N, T, P, K>,
) -> Result<Outcome, Error>
where
    S: CommitSource + Repositories,
{
    // A name that is no repository name: acknowledged, never used.
    if let Some(Value::Array(items)) = event.detail.get("repositories")
        && let Some(outcome) = items
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .find_map(invalid_repository)
    {
        return Ok(outcome);
    }
    let request = SweepRequest::from_event(event)?;
    let git = deps.git.as_ref().ok_or(Error::SweepUnavailable(
        "the git path is off (GIT_SCAN_THRESHOLD=0)",
    ))?;
    if git.cursors.is_none() {
        return Err(Error::SweepUnavailable(
            "there is no continuation queue (GIT_SCAN_QUEUE_URL)",
        ));
    }
    let names = match &request.repositories {
        Some(names) => names.clone(),
        None => deps.source.repository_names().await?,
    };
    let watched: Vec<String> = names
        .into_iter()
        .filter(|name| invalid_repository(name).is_none() && deps.config.watches(name))
        .collect();
    info!(sweep = %request.id, repositories = watched.len(), "full-history sweep");
    let mut branches = 0;
    for repository in &watched {
        let default = deps.source.default_branch(repository).await?;
        let tips = deps.source.branch_tips(repository).await?;
        let cursors = request.cursors(repository, default.as_ref().map(|d| d.name.as_str()), tips);
        for cursor in &cursors {
            git.hand_over(cursor).await?;
        }
        info!(sweep = %request.id, repository, branches = cursors.len(), "sweep planned");
        branches += cursors.len();
    }
    Ok(Outcome::SweepPlanned {
        sweep: request.id,
        repositories: watched.len(),
        branches,
    })
}

/// The continuation queue's records: each cursor's push scanned on from
/// where it stopped.
async fn continue_scans<S, C, N, T, P, K>(
    raw: &Value,
    budget: Budget,
    deps: &Deps<S, C, N, T, P, K>,
) -> Result<Outcome, Error>
where
    S: CommitSource,
    C: Comments,
    N: Notifier,
    T: Store,
    K: AccessKeys,
{
    let cursors = Cursor::from_sqs_event(raw).map_err(|e| {
        Error::InvalidEvent(EventError::Invalid {
            event: "git scan cursor",
            path: e.message_id.clone(),
            problem: e.problem.clone(),
        })
    })?;
    let mut last = acknowledged("no cursor in the SQS event");
    for cursor in &cursors {
        let event = match parse_event(&cursor.event)? {
            CodewardenEvent::RepositoryStateChange(event) => event,
            other => {
                return Err(Error::InvalidEvent(EventError::Invalid {
                    event: "git scan cursor",
                    path: "event".to_owned(),
                    problem: format!("is a {}, not a push", other.kind()),
                }));
            }
        };
        if let Some(outcome) = invalid_repository(&event.detail.repository_name) {
            last = outcome;
            continue;
        }
        info!(repository = %event.detail.repository_name, part = cursor.part, done = cursor.done, "continuing a git scan");
        last = repository_changed(&event, &cursor.event, Some(cursor), budget, deps).await?;
    }
    Ok(last)
}

async fn repository_changed<S, C, N, T, P, K>(
    event: &EventBridgeEvent<CodeCommitRepositoryStateChange>,
    raw: &Value,
    resume: Option<&Cursor>,
    budget: Budget,
    deps: &Deps<S, C, N, T, P, K>,
) -> Result<Outcome, Error>
where
    S: CommitSource,
    C: Comments,
    N: Notifier,
    T: Store,
    K: AccessKeys,
{
    const KIND: &str = "CodeCommit Repository State Change";
    let detail = &event.detail;
    let repository = detail.repository_name.as_str();
    if let Some(outcome) = invalid_repository(repository) {
        return Ok(outcome);
    }
    info!(repository, event = %detail.event, reference = ?detail.reference_full_name, "repository state change");
    if !deps.config.watches(repository) {
        return Ok(acknowledged("repository not in RepositoryFilter"));
    }
    if !matches!(
        detail.event,
        RepositoryEventKind::ReferenceCreated | RepositoryEventKind::ReferenceUpdated
    ) {
        return Ok(acknowledged(format!("{} needs no scan", detail.event)));
    }
    let new = detail
        .commit_id
        .as_deref()
        .ok_or_else(|| missing(KIND, "detail.commitId"))?;
    // The default branch, resolved to its tip commit once: everything
    // trusted below is read at that id, never at the name.
    let default = deps.source.default_branch(repository).await?;
    if resume.is_none()
        && let Some(current) = &default
    {
        let region = event.region.clone().unwrap_or_default();
        crate::default_branch::watch(
            &crate::default_branch::Alerting {
                store: &deps.store,
                notifier: &deps.notifier,
                format: deps.config.format,
                marker_prefix: &deps.config.marker_prefix,
                region: &region,
            },
            repository,
            current,
        )
        .await?;
    }
    let plan = if let Some(cursor) = resume {
        // The cursor says what is left: no walk, no API call to plan it.
        Plan {
            tip: cursor.tip.clone(),
            ..Plan::default()
        }
    } else if detail.reference_type == Some(ReferenceType::Tag) {
        // A tag adds no commit of its own, but may name commits that no
        // branch push brought: those without a report are scanned.
        tag_plan(&deps.source, repository, new, default.as_ref()).await?
    } else {
        let old = match detail.event {
            RepositoryEventKind::ReferenceUpdated => detail.old_commit_id.as_deref(),
            _ => None,
        };
        push_plan(
            &deps.source,
            repository,
            new,
            old,
            detail.reference_name.as_deref(),
            default.as_ref(),
        )
        .await?
    };
    let sweep = resume.and_then(|cursor| cursor.sweep.as_deref());
    let route = git_path::route(
        &deps.source,
        &deps.store,
        deps.git.as_ref(),
        &deps.config,
        &deps.cache,
        &deps.scanner,
        Push {
            detail,
            plan,
            event: raw,
            resume,
            budget,
            default_branch: default.as_ref(),
        },
    )
    .await?;
    let mut part = 0;
    let mut rest = None;
    let (walk, scans, via) = match route {
        Route::Api(walk) => {
            let before = match detail.event {
                RepositoryEventKind::ReferenceUpdated => detail.old_commit_id.as_deref(),
                _ => None,
            };
            let branch = match detail.reference_type {
                Some(ReferenceType::Tag) => None,
                _ => detail.reference_name.as_deref(),
            };
            let revision = trusted_revision(default.as_ref(), branch, before);
            let trusted = trusted_scanner(deps, repository, revision.as_deref()).await?;
            let scans = scan_all(deps, repository, &walk.commits, &trusted).await?;
            (walk, scans, ScanPath::Api)
        }
        Route::Git(scanned) => {
            part = scanned.part;
            rest = scanned.rest;
            (Walk::default(), scanned.scans, ScanPath::Git)
        }
    };
    let truncation = Truncation {
        stopped_at: walk.stopped_at.clone(),
    };
    let context = AlertContext {
        repository: repository.to_owned(),
        region: event.region.clone().unwrap_or_default(),
        branch: detail.reference_name.clone(),
        reference: detail.reference_full_name.clone(),
        pull_request_id: None,
        pushed_by: match sweep {
            Some(id) => Some(format!("nobody: full-history sweep {id}")),
            None => detail.caller_user_arn.clone(),
        },
        truncation: truncation.clone(),
        max_blob_bytes: deps.config.max_blob_bytes,
    };
    let mut marker = format!(
        "{}{repository}/push-{}",
        deps.config.marker_prefix,
        token(&[
            detail.reference_full_name.as_deref().unwrap_or_default(),
            detail.old_commit_id.as_deref().unwrap_or_default(),
            new,
        ])
    );
    if let Some(id) = sweep {
        // A sweep alerts once per sweep, apart from the branch's pushes.
        marker.push_str(&format!("-sweep-{}", token(&[id])));
    }
    if part > 0 {
        // Each part of a continued git scan alerts on its own findings.
        marker.push_str(&format!("-part-{part}"));
    }
    let delivered = deliver(deps, &context, &marker, &scans, Vec::new()).await?;
    // Last: the next invocation starts once this part is delivered.
    let continues_at = match (&rest, &deps.git) {
        (Some(cursor), Some(git)) => {
            git.hand_over(cursor).await?;
            Some(cursor.next.clone())
        }
        _ => None,
    };
    Ok(Outcome::Scanned {
        repository: repository.to_owned(),
        commits: scans.len(),
        already_scanned: walk.already_scanned,
        findings: delivered.findings,
        comments: delivered.comments,
        alert: delivered.alert,
        stopped_at: truncation.stopped_at,
        approval: None,
        via,
        api_calls: 0,
        continues_at,
    })
}

async fn pull_request_changed<S, C, N, T, P, K>(
    event: &EventBridgeEvent<CodeCommitPullRequestStateChange>,
    deps: &Deps<S, C, N, T, P, K>,
) -> Result<Outcome, Error>
where
    S: CommitSource,
    C: Comments,
    N: Notifier,
    T: Store,
    P: PullRequests,
    K: AccessKeys,
{
    const KIND: &str = "CodeCommit Pull Request State Change";
    let detail = &event.detail;
    info!(pull_request = %detail.pull_request_id, event = %detail.event, "pull request state change");
    if !matches!(
        detail.event,
        PullRequestEventKind::PullRequestCreated
            | PullRequestEventKind::PullRequestSourceBranchUpdated
    ) {
        return Ok(acknowledged(format!("{} needs no scan", detail.event)));
    }
    if detail.pull_request_status == Some(PullRequestStatus::Closed) {
        return Ok(acknowledged("the pull request is closed"));
    }
    let repository = detail
        .repository_name()
        .ok_or_else(|| missing(KIND, "detail.repositoryNames[0]"))?;
    if let Some(outcome) = invalid_repository(repository) {
        return Ok(outcome);
    }
    if !deps.config.watches(repository) {
        return Ok(acknowledged("repository not in RepositoryFilter"));
    }
    let source = detail
        .source_commit
        .as_deref()
        .ok_or_else(|| missing(KIND, "detail.sourceCommit"))?;
    let destination = detail
        .destination_commit
        .as_deref()
        .ok_or_else(|| missing(KIND, "detail.destinationCommit"))?;
    let base = match &detail.merge_base {
        Some(base) => Some(base.clone()),
        None => {
            deps.source
                .merge_base(repository, source, destination)
                .await?
        }
    };
    let plan = Plan {
        tip: source.to_owned(),
        stops: base.iter().cloned().collect(),
        references: vec![destination.to_owned()],
        scan_known_tip: false,
    };
    let walk = walk(&deps.source, &deps.store, &deps.config, repository, plan).await?;
    // The configuration at the destination commit the event names (an id:
    // no ref of the destination's name can stand in for it). What reaches
    // the destination branch was scanned against its own trusted config
    // when pushed; a loosening there was a finding of its own.
    let trusted = trusted_scanner(deps, repository, Some(destination)).await?;
    let scans = scan_all(deps, repository, &walk.commits, &trusted).await?;

    // The pull request's own diff (merge base to source tip): a comment at
    // each line of the source tip that holds a secret.
    let net = CommitInfo {
        id: source.to_owned(),
        parents: base.iter().cloned().collect(),
        author: None,
        summary: String::new(),
        message: String::new(),
    };
    let mut net = scan_all(deps, repository, std::slice::from_ref(&net), &trusted)
        .await?
        .remove(0);
    // A secret in a commit message is in the history the pull request
    // merges whatever its tip holds: it counts as at the tip.
    net.findings.extend(
        scans
            .iter()
            .flat_map(|scan| &scan.findings)
            .filter(|found| found.path == COMMIT_MESSAGE_PATH)
            .cloned(),
    );
    let pr = detail.pull_request_id.as_str();
    let mut pr_comments: Vec<CommentRequest> = net
        .findings
        .iter()
        .map(|found| {
            let (path, line, content) = located(found);
            CommentRequest {
                repository: repository.to_owned(),
                pull_request_id: Some(pr.to_owned()),
                before_commit: Some(destination.to_owned()),
                after_commit: source.to_owned(),
                path,
                line,
                content,
                client_request_token: token(&[
                    "pull-request",
                    repository,
                    pr,
                    &found.path,
                    &found.finding.line.to_string(),
                    &found.finding.fingerprint,
                ]),
            }
        })
        .collect();
    // Secrets that a later commit of the pull request removed are still in
    // its history: say so on the pull request itself.
    let at_tip: HashSet<&str> = net
        .findings
        .iter()
        .map(|f| f.finding.fingerprint.as_str())
        .collect();
    for scan in &scans {
        for found in &scan.findings {
            if at_tip.contains(found.finding.fingerprint.as_str()) {
                continue;
            }
            pr_comments.push(CommentRequest {
                repository: repository.to_owned(),
                pull_request_id: Some(pr.to_owned()),
                before_commit: Some(destination.to_owned()),
                after_commit: source.to_owned(),
                path: None,
                line: None,
                content: Masked::new(&format!(
                    "Commit {} added a secret at `{}:{}` that a later commit removed: it is still in this pull request's history.\n\n{}",
                    scan.commit.id,
                    found.path,
                    found.finding.line,
                    comment_text(&found.finding)
                )),
                client_request_token: token(&[
                    "pull-request-history",
                    repository,
                    pr,
                    &scan.commit.id,
                    &found.path,
                    &found.finding.line.to_string(),
                    &found.finding.fingerprint,
                ]),
            });
        }
    }
    let branch = detail
        .source_reference
        .as_deref()
        .map(|r| r.trim_start_matches("refs/heads/").to_owned());
    let context = AlertContext {
        repository: repository.to_owned(),
        region: event.region.clone().unwrap_or_default(),
        branch,
        reference: detail.source_reference.clone(),
        pull_request_id: Some(pr.to_owned()),
        pushed_by: detail.caller_user_arn.clone(),
        truncation: Truncation {
            stopped_at: walk.stopped_at.clone(),
        },
        max_blob_bytes: deps.config.max_blob_bytes,
    };
    let marker = format!(
        "{}{repository}/pr-{}",
        deps.config.marker_prefix,
        token(&[pr, source])
    );
    let delivered = deliver(deps, &context, &marker, &scans, pr_comments).await?;
    // Last: the approval vouches for everything above being done.
    let approval = protect(
        deps,
        &Revision {
            repository,
            pull_request: pr,
            source,
            destination,
        },
        &net,
        walk.stopped_at.as_deref(),
    )
    .await?;
    Ok(Outcome::Scanned {
        repository: repository.to_owned(),
        commits: scans.len(),
        already_scanned: walk.already_scanned,
        findings: delivered.findings,
        comments: delivered.comments,
        alert: delivered.alert,
        stopped_at: walk.stopped_at,
        approval: Some(approval),
        via: ScanPath::Api,
        api_calls: 0,
        continues_at: None,
    })
}

/// The pull request revision an event names.
struct Revision<'a> {
    repository: &'a str,
    pull_request: &'a str,
    source: &'a str,
    destination: &'a str,
}

/// Push protection: the summary comment, then APPROVE or REVOKE of the
/// pull request's current revision, when that revision is the one the
/// event named (an older event arriving late decides nothing).
async fn protect<S, C, N, T, P, K>(
    deps: &Deps<S, C, N, T, P, K>,
    revision: &Revision<'_>,
    net: &CommitScan,
    stopped_at: Option<&str>,
) -> Result<ApprovalStatus, Error>
where
    C: Comments,
    P: PullRequests,
{
    if !deps.config.pull_request_approval {
        return Ok(ApprovalStatus::Disabled);
    }
    let pr = revision.pull_request;
    let state = deps.pull_requests.state(pr).await?;
    if !state.open || state.source_commit.as_deref() != Some(revision.source) {
        info!(
            pull_request = pr,
            open = state.open,
            "the pull request moved on: the newer event decides"
        );
        return Ok(ApprovalStatus::Superseded);
    }
    let verdict = protection::verdict(net, stopped_at, deps.config.max_blob_bytes);
    let text = Masked::new(&protection::summary(&verdict, net, revision.destination));
    upsert_summary(deps, revision, &text).await?;
    let approve = verdict.approves();
    let change = deps
        .pull_requests
        .set_approval(pr, &state.revision_id, approve)
        .await?;
    let status = match (change, &verdict) {
        (ApprovalChange::Superseded, _) => ApprovalStatus::Superseded,
        (ApprovalChange::Done, Verdict::Approve) => ApprovalStatus::Approved,
        (ApprovalChange::Done, Verdict::Revoke { .. }) => ApprovalStatus::Revoked,
    };
    info!(pull_request = pr, revision = %state.revision_id, approval = ?status, "approval state set");
    Ok(status)
}

/// One summary comment per pull request, the scanner's own: found by its
/// token *and* its author (the scanner's identity, see
/// [`PullRequests::own_identity`]), updated when its text changes, posted
/// otherwise.
///
/// The token is deterministic (`pull-request-summary`, repository, pull
/// request), so anyone can compute it and post first with it. Such a
/// comment neither counts (its author is not the scanner) nor blocks: the
/// scanner then posts its own with a token of the same prefix and a part
/// nobody can predict. Two deliveries racing to post with the
/// deterministic token: the loser's post fails (same token, other text),
/// it finds the winner's comment (the scanner's) and updates that.
async fn upsert_summary<S, C, N, T, P, K>(
    deps: &Deps<S, C, N, T, P, K>,
    revision: &Revision<'_>,
    text: &Masked,
) -> Result<(), Error>
where
    C: Comments,
    P: PullRequests,
{
    let (repository, pr) = (revision.repository, revision.pull_request);
    let me = deps.pull_requests.own_identity().await?;
    let base = token(&["pull-request-summary", repository, pr]);
    let prefix = base[..SUMMARY_TOKEN_PREFIX].to_owned();
    let prefix = prefix.as_str();
    let mine = |found: &[crate::ports::FoundComment]| {
        found
            .iter()
            .find(|c| c.author.as_deref() == Some(me.as_str()))
            .cloned()
    };
    let update = |found: crate::ports::FoundComment| async move {
        if found.content == text.as_str() {
            return Ok(());
        }
        deps.pull_requests.update_comment(&found.id, text).await
    };
    let found = deps
        .pull_requests
        .comments_with_token(repository, pr, prefix)
        .await?;
    if let Some(own) = mine(&found) {
        return update(own).await;
    }
    let squatted = found.iter().any(|c| c.token == base);
    let client_request_token = if squatted {
        warn!(
            pull_request = pr,
            "another caller posted with the summary's token: posting the scanner's own"
        );
        unpredictable_token(prefix, &me)
    } else {
        base
    };
    let request = CommentRequest {
        repository: repository.to_owned(),
        pull_request_id: Some(pr.to_owned()),
        before_commit: Some(revision.destination.to_owned()),
        after_commit: revision.source.to_owned(),
        path: None,
        line: None,
        content: text.clone(),
        client_request_token,
    };
    match deps.comments.post(&request).await {
        Ok(()) => Ok(()),
        Err(error) => {
            let found = deps
                .pull_requests
                .comments_with_token(repository, pr, prefix)
                .await?;
            match mine(&found) {
                Some(own) => update(own).await,
                None => Err(error),
            }
        }
    }
}

/// How much of the summary's deterministic token its fallback tokens keep.
const SUMMARY_TOKEN_PREFIX: usize = 24;

/// `<prefix>-<32 hex digits nobody can predict>` (the time in nanoseconds,
/// the process, a counter and the caller, hashed): a token another caller
/// cannot take first.
fn unpredictable_token(prefix: &str, me: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let seed = token(&[
        me,
        &nanos.to_string(),
        &std::process::id().to_string(),
        &n.to_string(),
    ]);
    format!("{prefix}-{}", &seed[..32])
}

/// The engine with the repository's configuration at `revision` (a
/// commit id, see [`crate::trust`]; `None`: built-in rules only).
async fn trusted_scanner<S, C, N, T, P, K>(
    deps: &Deps<S, C, N, T, P, K>,
    repository: &str,
    revision: Option<&str>,
) -> Result<RepoScanner, Error>
where
    S: CommitSource,
{
    info!(repository, trusted = ?revision, "configuration trusted");
    repo_scanner(
        &deps.source,
        &deps.cache,
        &deps.scanner,
        repository,
        revision,
        deps.config.allowlist_policy,
    )
    .await
}

/// Scans each commit with the repository's trusted configuration; the
/// results in the order of `commits`.
async fn scan_all<S, C, N, T, P, K>(
    deps: &Deps<S, C, N, T, P, K>,
    repository: &str,
    commits: &[CommitInfo],
    trusted: &RepoScanner,
) -> Result<Vec<CommitScan>, Error>
where
    S: CommitSource,
{
    let results: Vec<Result<CommitScan, Error>> = stream::iter(commits)
        .map(|commit| async move {
            scan_commit(
                &deps.source,
                trusted,
                repository,
                commit,
                deps.config.concurrency,
                deps.config.max_blob_bytes,
            )
            .await
        })
        // Commits a few at a time; the CodeCommit adapter bounds the calls
        // in flight to CONCURRENCY overall.
        .buffered(deps.config.concurrency.div_ceil(2))
        .collect()
        .await;
    let mut scans = Vec::with_capacity(results.len());
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(scan) => scans.push(scan),
            Err(error) => errors.push(error),
        }
    }
    Error::collect(errors)?;
    Ok(scans)
}

/// A finding's comment location and text: at its line when its path is
/// a clean file path ([`comment_path`]); otherwise on the whole change,
/// the location named (masked) in the text.
fn located(found: &FileFinding) -> (Option<Masked>, Option<usize>, Masked) {
    match comment_path(&found.path) {
        Some(path) => (
            Some(path),
            Some(found.finding.line),
            Masked::new(&comment_text(&found.finding)),
        ),
        None => (
            None,
            None,
            Masked::new(&format!(
                "In `{}`, line {}:\n\n{}",
                found.path,
                found.finding.line,
                comment_text(&found.finding)
            )),
        ),
    }
}

struct Delivered {
    findings: usize,
    comments: usize,
    alert: AlertStatus,
}

/// The findings people are told about (alert, comments): all, except a
/// merge commit's finding that a non-merge commit of the same event also
/// has. That is the side branch's commit that added the secret, where it
/// is told once; the merge's report keeps the finding, since what the
/// merge brings into the branch is what `approval-gate` judges.
fn told(scans: &[CommitScan]) -> Vec<(&CommitScan, &FileFinding)> {
    let is_merge = |scan: &CommitScan| scan.commit.parents.len() > 1;
    let added: HashSet<(&str, &str)> = scans
        .iter()
        .filter(|scan| !is_merge(scan))
        .flat_map(|scan| &scan.findings)
        .map(|found| (found.path.as_str(), found.finding.fingerprint.as_str()))
        .collect();
    scans
        .iter()
        .flat_map(|scan| scan.findings.iter().map(move |found| (scan, found)))
        .filter(|(scan, found)| {
            !is_merge(scan)
                || !added.contains(&(found.path.as_str(), found.finding.fingerprint.as_str()))
        })
        .collect()
}

/// The alert (once per event), the comments (once per finding), then the
/// reports. Failures are collected; any failure returns an error before
/// the reports are written, so that the retry redoes what is missing.
async fn deliver<S, C, N, T, P, K>(
    deps: &Deps<S, C, N, T, P, K>,
    context: &AlertContext,
    marker: &str,
    scans: &[CommitScan],
    extra_comments: Vec<CommentRequest>,
) -> Result<Delivered, Error>
where
    C: Comments,
    N: Notifier,
    T: Store,
    K: AccessKeys,
{
    let repository = context.repository.as_str();
    let findings = told(scans);
    let incomplete = context.truncation.stopped_at.is_some()
        || scans.iter().any(|scan| !scan.not_scanned.is_empty());
    let alert = if findings.is_empty() && !incomplete {
        AlertStatus::None
    } else {
        send_once(deps, context, marker, &findings, scans).await?
    };

    let mut comments = extra_comments;
    comments.extend(findings.iter().map(|(scan, found)| {
        let commit = &scan.commit.id;
        let (path, line, content) = located(found);
        CommentRequest {
            repository: repository.to_owned(),
            pull_request_id: None,
            before_commit: scan.commit.parents.first().cloned(),
            after_commit: commit.clone(),
            path,
            line,
            content,
            client_request_token: token(&[
                "commit",
                repository,
                commit,
                &found.path,
                &found.finding.line.to_string(),
                &found.finding.fingerprint,
            ]),
        }
    }));
    let posted: Vec<Result<(), Error>> = stream::iter(&comments)
        .map(|comment| deps.comments.post(comment))
        .buffer_unordered(deps.config.concurrency)
        .collect()
        .await;
    Error::collect(posted.into_iter().filter_map(Result::err).collect())?;

    let now = chrono::Utc::now();
    let written: Vec<Result<(), Error>> = stream::iter(scans)
        .map(|scan| async move {
            let body = report::report(
                repository,
                context.reference.as_deref(),
                scan,
                &context.truncation,
                now,
            );
            let body = serde_json::to_value(&body).map_err(|e| Error::Aws {
                operation: "PutObject",
                retryable: false,
                message: format!("the report does not serialise: {e}"),
                source: Box::new(e),
            })?;
            deps.store
                .put_json(
                    &deps.config.report_key(repository, &scan.commit.id),
                    &Masked::json(&body),
                )
                .await
        })
        .buffer_unordered(deps.config.concurrency)
        .collect()
        .await;
    Error::collect(written.into_iter().filter_map(Result::err).collect())?;
    Ok(Delivered {
        findings: findings.len(),
        comments: comments.len(),
        alert,
    })
}

/// Publishes the alert unless `marker` says it was sent already. The
/// marker is written first so that two concurrent deliveries cannot both
/// publish; when publishing fails it is deleted and the error returned.
async fn send_once<S, C, N, T, P, K>(
    deps: &Deps<S, C, N, T, P, K>,
    context: &AlertContext,
    marker: &str,
    findings: &[(&CommitScan, &FileFinding)],
    scans: &[CommitScan],
) -> Result<AlertStatus, Error>
where
    N: Notifier,
    T: Store,
    K: AccessKeys,
{
    if !deps.store.claim(marker).await? {
        info!(marker, "already alerted");
        return Ok(AlertStatus::Duplicate);
    }
    // After the claim: a redelivery that finds the marker looks nothing
    // up again (and deactivates nothing twice).
    let keys = KeyReport::build(
        &deps.access_keys,
        findings.iter().filter_map(|(_, f)| f.access_key.as_ref()),
        deps.config.leaked_aws_key_action,
        MAX_KEY_LOOKUPS,
    )
    .await;
    let alert = report::alert(context, findings, scans, &deps.scanner, &keys);
    let message = alert.render(deps.config.format);
    match deps.notifier.publish(&message).await {
        Ok(message_id) => {
            info!(marker, message_id = %message_id, severity = alert.severity.as_str(), findings = findings.len(), "alert published");
            Ok(AlertStatus::Sent { message_id })
        }
        Err(error) => {
            if let Err(release) = deps.store.release(marker).await {
                warn!(marker, error = %release, "could not delete the marker after a failed publish");
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fallback_summary_token_keeps_the_prefix_and_is_never_the_same() {
        // GIVEN the deterministic token's prefix
        let base = token(&["pull-request-summary", "app", "7"]);
        let prefix = &base[..SUMMARY_TOKEN_PREFIX];
        // WHEN two fallback tokens are made
        let one = unpredictable_token(prefix, "arn:aws:sts::1:assumed-role/r/s");
        let two = unpredictable_token(prefix, "arn:aws:sts::1:assumed-role/r/s");
        // THEN both are found by the prefix, neither is the deterministic
        // token, and they differ
        assert!(one.starts_with(prefix) && two.starts_with(prefix));
        assert_ne!(one, base);
        assert_ne!(one, two);
        assert!(one.len() <= 64, "{one}");
    }
}
