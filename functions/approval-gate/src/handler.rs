//! The handler: one approval message in, one decision (or one request to
//! the approvers) out.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::approval::{Decision, Facts, ScanState, SigningKey, Verdict, summary};
use shared::events::{ApprovalNotification, CodewardenEvent, parse_event};
use shared::masked::Masked;
use shared::notify::Format;
use tracing::{info, warn};

use crate::config::Config;
use crate::history::{self, Checked};
use crate::message::HumanRequest;
use crate::ports::{Commits, Markers, Notifier, Pipelines, Recorded, Reports};
use crate::report::{is_commit_id, repository_from_url};
use crate::{Error, adapters};

/// Everything the handler needs, built once in `main`.
pub struct Deps<P, C, R, N, M> {
    pub config: Config,
    /// Signs the approve / reject links.
    pub key: SigningKey,
    pub pipelines: P,
    pub commits: C,
    pub reports: R,
    pub notifier: N,
    pub markers: M,
}

/// The dependencies backed by the AWS SDK.
pub type SdkDeps = Deps<
    adapters::CodePipelineApprovals,
    adapters::CodeCommitCommits,
    adapters::S3Reports,
    adapters::SnsNotifier,
    adapters::S3Markers,
>;

/// What an invocation did; the function's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// `PutApprovalResult` recorded the policy's decision.
    Decided { status: String, summary: Masked },
    /// The approvers were sent signed links.
    AskedApprovers { reason: Masked, message_id: String },
    /// The approvers were already asked (a redelivered message).
    Duplicate { marker: String },
    /// Nothing to do (not an approval message, or no longer pending).
    Acknowledged { reason: String },
}

fn acknowledged(reason: impl Into<String>) -> Outcome {
    Outcome::Acknowledged {
        reason: reason.into(),
    }
}

/// [`handle_at`] now.
pub async fn handle<P, C, R, N, M>(
    event: Value,
    deps: &Deps<P, C, R, N, M>,
) -> Result<Outcome, Error>
where
    P: Pipelines,
    C: Commits,
    R: Reports,
    N: Notifier,
    M: Markers,
{
    handle_at(event, deps, Utc::now()).await
}

/// Handles the SNS message a CodePipeline *Manual approval* action
/// publishes to the approval-requests topic:
///
/// 1. finds the execution waiting at the action (`GetPipelineState`, the
///    action whose latest execution holds the message's token) and its
///    source commit (`GetPipelineExecution` artifact revisions);
/// 2. finds the pipeline's last successful execution
///    (`ListPipelineExecutions`) and walks the commits the source commit
///    brings since that execution's commit (`BatchGetCommits`, see
///    [`history`]), the source commit included;
/// 3. reads secret-scanner's report of each of those commits from S3;
/// 4. lets the policy decide on the whole history: reject (findings in
///    any commit), approve (every commit clean and completely scanned,
///    allow-listed, inside a change window) through `PutApprovalResult`
///    with a summary naming the commits and why, or ask a human (a commit
///    not scanned or incompletely, an unreadable report or history, a
///    history longer than `MAX_HISTORY_COMMITS`, no rule, no window): one
///    SNS message to the approvers topic with signed Approve / Reject links.
///
/// Idempotent: a second `PutApprovalResult` meets
/// `ApprovalAlreadyCompleted` (acknowledged); asking is guarded by an S3
/// marker per approval token (hashed, never the token itself).
/// IAM: `codepipeline:GetPipelineState`, `codepipeline:GetPipelineExecution`,
/// `codepipeline:ListPipelineExecutions`, `codepipeline:PutApprovalResult`,
/// `codecommit:BatchGetCommits`, `s3:GetObject` (findings), `s3:PutObject` /
/// `s3:DeleteObject` (markers), `sns:Publish`, `secretsmanager:GetSecretValue`
/// (at cold start).
pub async fn handle_at<P, C, R, N, M>(
    event: Value,
    deps: &Deps<P, C, R, N, M>,
    now: DateTime<Utc>,
) -> Result<Outcome, Error>
where
    P: Pipelines,
    C: Commits,
    R: Reports,
    N: Notifier,
    M: Markers,
{
    let outcome = match parse_event(&event) {
        Ok(CodewardenEvent::ManualApproval(notification)) => {
            approval(&notification, deps, now).await
        }
        Ok(other) => Ok(acknowledged(format!("not handled: {}", other.kind()))),
        Err(error) => {
            warn!(error = %error, "invalid event");
            return Err(error.into());
        }
    };
    match &outcome {
        Ok(outcome) => info!(outcome = ?outcome, "done"),
        Err(error) => warn!(error = %error, retryable = error.is_retryable(), "failed"),
    }
    outcome
}

async fn approval<P, C, R, N, M>(
    notification: &ApprovalNotification,
    deps: &Deps<P, C, R, N, M>,
    now: DateTime<Utc>,
) -> Result<Outcome, Error>
where
    P: Pipelines,
    C: Commits,
    R: Reports,
    N: Notifier,
    M: Markers,
{
    let message = &notification.message;
    let request = &message.approval;
    // Never the token: it is what approves.
    info!(pipeline = %request.pipeline_name, stage = %request.stage_name, action = %request.action_name, expires = %request.expires, "approval requested");
    if request.expires <= now {
        return Ok(acknowledged("the approval request has expired"));
    }
    let Some(execution_id) = deps.pipelines.pending_execution(request).await? else {
        return Ok(acknowledged(
            "the action no longer waits for this approval (decided, retried or superseded)",
        ));
    };
    let execution = deps
        .pipelines
        .execution(&request.pipeline_name, &execution_id)
        .await?;
    let revision = execution
        .revisions
        .iter()
        .find(|r| r.revision_id.as_deref().is_some_and(is_commit_id));
    let commit = revision.and_then(|r| r.revision_id.as_deref());
    let rule = deps
        .config
        .policy
        .rule_for(&request.pipeline_name, &request.stage_name);
    // The policy's mapping wins: it is what the operator wrote down. A
    // name that is no CodeCommit repository name is never used (a key,
    // a call): the repository is unknown then, and a person decides.
    let repository = rule
        .and_then(|r| r.repository.clone())
        .or_else(|| {
            revision
                .and_then(|r| r.url.as_deref())
                .and_then(repository_from_url)
        })
        .filter(|name| valid_repository(name));
    let mut checked = match (&repository, commit) {
        (Some(repository), Some(commit)) => Some(
            history::check(
                &deps.pipelines,
                &deps.commits,
                &deps.reports,
                &request.pipeline_name,
                repository,
                commit,
                deps.config.max_history_commits,
            )
            .await,
        ),
        _ => None,
    };
    // Every other source action's revision: its history is checked the
    // same way; one that names no commit of a CodeCommit repository
    // (another provider, an S3 object, a URL without a repository) is a
    // problem, so that a person decides.
    if let Some(checked) = &mut checked {
        let others = execution
            .revisions
            .iter()
            .filter(|r| !revision.is_some_and(|primary| std::ptr::eq(*r, primary)));
        for (position, other) in others.enumerate() {
            match other_source(other) {
                Ok((other_repository, other_commit)) => {
                    let other_checked = history::check(
                        &deps.pipelines,
                        &deps.commits,
                        &deps.reports,
                        &request.pipeline_name,
                        &other_repository,
                        &other_commit,
                        deps.config.max_history_commits,
                    )
                    .await;
                    checked.absorb(&other_repository, &other_commit, other_checked);
                }
                Err(problem) => checked.add_problem(format!(
                    "source revision {} of execution {execution_id} {problem}: it cannot be checked",
                    position + 2
                )),
            }
        }
    }
    let scan = match (&checked, &repository, commit) {
        (Some(checked), _, _) => checked.scan_state(),
        (None, None, Some(commit)) => ScanState::Unknown {
            reason: format!(
                "the repository of commit {} is unknown: add `repository` to the policy rule for {}",
                shared::approval::policy::short(commit),
                request.pipeline_name
            ),
        },
        (None, _, _) => ScanState::Unknown {
            reason: format!("execution {execution_id} has no CodeCommit source commit"),
        },
    };
    info!(
        pipeline = %request.pipeline_name,
        execution_id = %execution_id,
        commit = commit.unwrap_or("-"),
        commits_checked = checked.as_ref().map_or(0, |c| c.commits.len()),
        scan = ?scan,
        "facts"
    );
    let verdict = deps.config.policy.evaluate(&Facts {
        pipeline: &request.pipeline_name,
        stage: &request.stage_name,
        commit,
        scan,
        now,
    });
    let verdict = match &checked {
        Some(checked) => checked.explain(verdict),
        None => verdict,
    };
    let (decision, reason) = match verdict {
        Verdict::Approve { reason } => (Decision::Approve, reason),
        Verdict::Reject { reason } => (Decision::Reject, reason),
        Verdict::AskHuman { reason } => {
            let history = checked.as_ref().map(Checked::scope_counted);
            let ask = HumanRequest {
                message,
                execution_id: &execution_id,
                repository: repository.as_deref(),
                commit,
                commit_summary: revision.and_then(|r| r.summary.as_deref()),
                requester: execution.requester.as_deref(),
                history: history.as_deref(),
                reason: &reason,
            };
            return ask_approvers(&ask, deps).await;
        }
    };
    let summary = summary(&format!("codewarden approval-gate: {reason}"));
    match deps
        .pipelines
        .put_result(request, decision, &summary)
        .await?
    {
        Recorded::Done => Ok(Outcome::Decided {
            status: decision.status().to_owned(),
            summary,
        }),
        Recorded::AlreadyDecided => Ok(acknowledged("the approval was already decided")),
        Recorded::TokenInvalid => Ok(acknowledged(
            "the approval token is no longer valid (superseded or expired)",
        )),
    }
}

/// Whether `name` may be used as a repository name (logged, not quoted,
/// when not).
fn valid_repository(name: &str) -> bool {
    match shared::codecommit_git::check_repository_name(name) {
        Ok(()) => true,
        Err(problem) => {
            warn!(problem = %problem, "invalid repository name in the execution or policy: not used");
            false
        }
    }
}

/// The repository and commit of a source revision other than the first,
/// or why it has none (worded to follow "source revision N").
fn other_source(revision: &crate::ports::Revision) -> Result<(String, String), &'static str> {
    let commit = revision
        .revision_id
        .as_deref()
        .filter(|id| is_commit_id(id))
        .ok_or("is not a commit")?;
    let repository = revision
        .url
        .as_deref()
        .and_then(repository_from_url)
        .ok_or("names no CodeCommit repository")?;
    if !valid_repository(&repository) {
        return Err("names no valid CodeCommit repository");
    }
    Ok((repository, commit.to_owned()))
}

async fn ask_approvers<P, C, R, N, M>(
    ask: &HumanRequest<'_>,
    deps: &Deps<P, C, R, N, M>,
) -> Result<Outcome, Error>
where
    N: Notifier,
    M: Markers,
{
    // One request per approval token, whatever the redeliveries; the key
    // holds a hash of the token, which must not appear in S3 listings.
    let token_hash = hex::encode(Sha256::digest(ask.message.approval.token.as_bytes()));
    let marker = format!("{}asked/{token_hash}", deps.config.marker_prefix);
    if !deps.markers.claim(&marker).await? {
        return Ok(Outcome::Duplicate { marker });
    }
    let publish = ask.publish(&deps.config.callback_url, &deps.key, Format::Json);
    match deps.notifier.publish(&publish).await {
        Ok(message_id) => Ok(Outcome::AskedApprovers {
            reason: Masked::new(ask.reason),
            message_id,
        }),
        Err(error) => {
            // Let the retry ask again; if even the release fails, say so.
            if let Err(release) = deps.markers.release(&marker).await {
                warn!(marker = %marker, error = %release, "marker not released: approvers will not be asked on retry");
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    //! The paths that end before any AWS call; the rest runs end to end in
    //! `tests/tests/approvals.rs`.

    use super::*;
    use crate::Clients;

    fn sample(name: &str) -> Result<Value, Box<dyn std::error::Error>> {
        let path = format!("{}/../../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
        Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
    }

    #[test]
    fn every_other_source_maps_to_a_repository_and_commit_or_says_why_not() {
        let revision = |id: Option<&str>, url: Option<&str>| crate::ports::Revision {
            revision_id: id.map(str::to_owned),
            url: url.map(str::to_owned),
            summary: None,
        };
        let commit = "9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e";
        let url = |repo: &str| {
            format!(
                "https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/{commit}"
            )
        };
        // GIVEN a CodeCommit revision THEN its repository and commit
        assert_eq!(
            other_source(&revision(Some(commit), Some(&url("lib")))),
            Ok(("lib".to_owned(), commit.to_owned()))
        );
        // GIVEN no commit, no URL, or a name that is no repository name
        // THEN why it cannot be checked
        assert_eq!(
            other_source(&revision(
                Some("3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"),
                Some(&url("lib"))
            )),
            Err("is not a commit")
        );
        assert_eq!(
            other_source(&revision(Some(commit), None)),
            Err("names no CodeCommit repository")
        );
        for bad in ["..", "lib.git"] {
            assert_eq!(
                other_source(&revision(Some(commit), Some(&url(bad)))),
                Err("names no valid CodeCommit repository"),
                "{bad}"
            );
        }
    }

    /// Real SDK clients pointed at a closed port: any call would fail the test.
    fn deps() -> Result<SdkDeps, Box<dyn std::error::Error>> {
        let config = Config::from_lookup(|name| {
            Some(
                match name {
                    "APPROVERS_TOPIC_ARN" => "arn:aws:sns:us-east-1:1:approvers",
                    "CALLBACK_URL" => "https://cb.example/",
                    "SIGNING_SECRET_ARN" => "arn:secret",
                    "FINDINGS_BUCKET" => "reports",
                    _ => return None,
                }
                .to_owned(),
            )
        })?;
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let clients = Clients::new(&sdk, &config);
        Ok(SdkDeps::new(
            config,
            clients,
            SigningKey::new(vec![7u8; 32])?,
        ))
    }

    #[tokio::test]
    async fn expired_requests_and_other_events_are_acknowledged_without_calls()
    -> Result<(), Box<dyn std::error::Error>> {
        let deps = deps()?;
        // GIVEN the sample approval (it expired in 2024)
        let outcome = handle(sample("sns-approval")?, &deps).await?;
        assert_eq!(outcome, acknowledged("the approval request has expired"));
        // GIVEN an event for another function
        let outcome = handle(sample("codepipeline-pipeline-failed")?, &deps).await?;
        assert!(
            matches!(outcome, Outcome::Acknowledged { reason } if reason.starts_with("not handled"))
        );
        Ok(())
    }

    #[tokio::test]
    async fn an_approval_without_token_is_an_invalid_event()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut event = sample("sns-approval")?;
        let message = event["Records"][0]["Sns"]["Message"]
            .as_str()
            .unwrap_or_default()
            .replace("\"token\"", "\"tokn\"");
        event["Records"][0]["Sns"]["Message"] = Value::String(message);
        let error = handle(event, &deps()?).await.err();
        assert!(
            error
                .as_ref()
                .is_some_and(|e| e.error_type() == "InvalidEvent" && !e.is_retryable()),
            "{error:?}"
        );
        assert!(error.is_some_and(|e| e.to_string().contains("approval.token` is missing")));
        Ok(())
    }
}
