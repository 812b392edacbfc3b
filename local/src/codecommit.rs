//! The CodeCommit JSON API subset, answered from real git repositories.
//!
//! Every call opens the repository afresh (cheap with gix), so tests can
//! commit with the `git` binary between SDK calls and see the result at
//! once. What git does not hold (comments, pull requests) lives in [`Model`].
//! Member names, error codes and paging follow the CodeCommit model as the
//! Rust SDK (`aws-sdk-codecommit`) serialises it, so the SDK maps every
//! answer, errors included, to its typed outputs and errors.
//!
//! - [`repository`]: repositories and branches;
//! - [`commits`]: commits, blobs, files, merge options;
//! - [`diff`]: GetDifferences and GetBlobDifferences;
//! - [`merge`]: the merge conflicts GetMergeOptions judges by;
//! - [`comments`]: comments and pull requests;
//! - [`approvals`]: approval rule templates, approval states, merging.

mod approvals;
mod comments;
mod commits;
mod diff;
mod merge;
mod repository;

use std::fmt::Display;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{ApiError, State};

/// Limits that CodeCommit enforces and tests want to lower.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// GetBlob, GetFile and GetBlobDifferences answer
    /// `FileTooLargeException` for blobs larger than this (CodeCommit: 6 MB).
    pub max_blob_bytes: u64,
    /// Items per page of ListRepositories and ListBranches (CodeCommit:
    /// 1000); lower it to exercise `nextToken` paging.
    pub list_page_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_blob_bytes: 6 * 1024 * 1024,
            list_page_size: 1000,
        }
    }
}

/// In-memory CodeCommit state that git does not hold: comments, pull
/// requests, and the limits tests may tune.
#[derive(Debug, Default)]
pub struct Model {
    pub limits: Limits,
    comments: Vec<comments::StoredComment>,
    pull_requests: Vec<comments::StoredPullRequest>,
    approvals: approvals::Approvals,
}

/// Answers one CodeCommit operation for `caller` (the ARN the request's
/// credentials map to, see [`crate::server::Config::identities`]).
/// Blocking (reads git): called on a blocking thread by the server.
pub fn handle(
    state: &State,
    caller: &str,
    operation: &str,
    input: Value,
) -> Result<Value, ApiError> {
    match operation {
        "GetRepository" => repository::get_repository(state, parse(input)?),
        "ListRepositories" => repository::list_repositories(state, parse(input)?),
        "CreateRepository" => repository::create_repository(state, parse(input)?),
        "GetBranch" => repository::get_branch(state, parse(input)?),
        "UpdateDefaultBranch" => repository::update_default_branch(state, parse(input)?),
        "ListBranches" => repository::list_branches(state, parse(input)?),
        "GetCommit" => commits::get_commit(state, parse(input)?),
        "BatchGetCommits" => commits::batch_get_commits(state, parse(input)?),
        "GetBlob" => commits::get_blob(state, parse(input)?),
        "GetFile" => commits::get_file(state, parse(input)?),
        "GetMergeOptions" => commits::get_merge_options(state, parse(input)?),
        "GetDifferences" => diff::get_differences(state, parse(input)?),
        "GetBlobDifferences" => diff::get_blob_differences(state, parse(input)?),
        "PostCommentForComparedCommit" => {
            comments::post_comment(state, caller, parse(input)?, false)
        }
        "PostCommentForPullRequest" => comments::post_comment(state, caller, parse(input)?, true),
        "UpdateComment" => comments::update_comment(state, caller, parse(input)?),
        "GetCommentsForComparedCommit" => {
            comments::get_comments_for_compared_commit(state, parse(input)?)
        }
        "GetCommentsForPullRequest" => {
            comments::get_comments_for_pull_request(state, parse(input)?)
        }
        "CreatePullRequest" => comments::create_pull_request(state, caller, parse(input)?),
        "GetPullRequest" => comments::get_pull_request(state, parse(input)?),
        "CreateApprovalRuleTemplate" => {
            approvals::create_approval_rule_template(state, caller, parse(input)?)
        }
        "GetApprovalRuleTemplate" => approvals::get_approval_rule_template(state, parse(input)?),
        "AssociateApprovalRuleTemplateWithRepository" => {
            approvals::associate_approval_rule_template_with_repository(state, parse(input)?)
        }
        "BatchAssociateApprovalRuleTemplateWithRepositories" => {
            approvals::batch_associate_approval_rule_template_with_repositories(
                state,
                parse(input)?,
            )
        }
        "ListAssociatedApprovalRuleTemplatesForRepository" => {
            approvals::list_associated_approval_rule_templates_for_repository(state, parse(input)?)
        }
        "GetPullRequestApprovalStates" => {
            approvals::get_pull_request_approval_states(state, parse(input)?)
        }
        "EvaluatePullRequestApprovalRules" => {
            approvals::evaluate_pull_request_approval_rules(state, parse(input)?)
        }
        "UpdatePullRequestApprovalState" => {
            approvals::update_pull_request_approval_state(state, caller, parse(input)?)
        }
        "MergePullRequestByFastForward" => {
            approvals::merge_pull_request_by_fast_forward(state, caller, parse(input)?)
        }
        _ => Err(ApiError::unknown_operation(operation)),
    }
}

/// The directory of repository `name` under `repos_dir` (bare
/// `<name>.git` first, then `<name>` with a work tree), if the name is a
/// valid CodeCommit name and the repository exists. Shared with git smart
/// HTTP so that both see the same repositories.
pub fn repository_path(repos_dir: &Path, name: &str) -> Option<PathBuf> {
    repository::validate_name(name).ok()?;
    repository::locate(repos_dir, name)
}

pub(crate) use repository::{adopt_default_branch, has_branches};

fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ApiError> {
    ApiError::parse(input)
}

/// A required string member: absent or empty gives the operation's own
/// `...RequiredException`, as CodeCommit answers.
fn required<'a>(value: &'a Option<String>, code: &str, field: &str) -> Result<&'a str, ApiError> {
    match value.as_deref() {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ApiError::required(code, field)),
    }
}

/// Maps an unexpected failure (I/O, corrupt repository) to a 500, keeping
/// what was being done and the cause in the message.
fn internal<E: Display>(doing: &'static str) -> impl FnOnce(E) -> ApiError {
    move |e| ApiError::server(format!("{doing}: {e}"))
}

/// A validated `MaxResults`, defaulting to `default`.
fn max_results(value: Option<i64>, default: usize) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Some(n) => Err(ApiError::client(
            "InvalidMaxResultsException",
            format!("MaxResults must be a positive number, not {n}"),
        )),
    }
}

/// Opaque continuation tokens: the offset into the full result list, bound
/// to a fingerprint of the query so that a token from another query is
/// refused (`InvalidContinuationTokenException`) instead of silently
/// paging through the wrong list.
struct Paging {
    scope: String,
}

impl Paging {
    fn new(parts: &[&str]) -> Self {
        let mut hash = Sha256::new();
        for part in parts {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        Self {
            scope: hex::encode(&hash.finalize()[..8]),
        }
    }

    fn offset(&self, token: Option<&str>) -> Result<usize, ApiError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Ok(0);
        };
        let invalid = || {
            ApiError::client(
                "InvalidContinuationTokenException",
                "The continuation token is not valid.",
            )
        };
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(raw).map_err(|_| invalid())?;
        let (scope, offset) = text.split_once(':').ok_or_else(invalid)?;
        if scope != self.scope {
            return Err(invalid());
        }
        offset.parse().map_err(|_| invalid())
    }

    /// The page of `items` at `offset` and the token for the next one.
    fn page<'a, T>(&self, items: &'a [T], offset: usize, size: usize) -> (&'a [T], Option<String>) {
        let start = offset.min(items.len());
        let end = start.saturating_add(size).min(items.len());
        let next = (end < items.len()).then(|| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}:{end}", self.scope))
        });
        (&items[start..end], next)
    }
}

/// Seconds since the epoch, as AWS JSON protocols send timestamps.
fn epoch_seconds(time: std::time::SystemTime) -> f64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

fn now() -> f64 {
    epoch_seconds(std::time::SystemTime::now())
}

/// A stable UUID-shaped id derived from `seed` (CodeCommit ids look like
/// UUIDs; derived ids keep answers reproducible across runs).
pub(crate) fn uuid_from(seed: &str) -> String {
    let h = hex::encode(Sha256::digest(seed.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Inserts `value` under `key` only when it is present, since CodeCommit
/// omits absent members rather than sending `null`.
fn put_opt(object: &mut Value, key: &str, value: Option<impl Into<Value>>) {
    if let (Some(map), Some(v)) = (object.as_object_mut(), value) {
        map.insert(key.to_string(), v.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_tokens_round_trip_and_are_bound_to_their_query() -> Result<(), ApiError> {
        let items: Vec<u32> = (0..5).collect();
        let paging = Paging::new(&["GetDifferences", "repo", "a", "b"]);
        let (first, token) = paging.page(&items, 0, 2);
        assert_eq!(first, &[0, 1]);
        let token = token.ok_or_else(|| ApiError::server("no token"))?;
        let offset = paging.offset(Some(&token))?;
        assert_eq!(paging.page(&items, offset, 2).0, &[2, 3]);
        let (last, none) = paging.page(&items, 4, 2);
        assert_eq!((last, none), (&[4][..], None));

        let other = Paging::new(&["GetDifferences", "repo", "a", "c"]);
        assert_eq!(
            other.offset(Some(&token)).map_err(|e| e.code),
            Err("InvalidContinuationTokenException".to_string())
        );
        assert!(paging.offset(Some("!!not base64")).is_err());
        Ok(())
    }

    #[test]
    fn max_results_must_be_positive() {
        assert_eq!(max_results(None, 100), Ok(100));
        assert_eq!(max_results(Some(3), 100), Ok(3));
        assert_eq!(
            max_results(Some(0), 100).map_err(|e| e.code),
            Err("InvalidMaxResultsException".to_string())
        );
    }
}
