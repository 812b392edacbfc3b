//! Comments (on compared commits and on pull requests) and pull requests,
//! kept in [`super::Model`]. Posting is idempotent by `clientRequestToken`,
//! as on CodeCommit: the same token with the same request returns the
//! first comment; with a different request it is refused. That is what
//! lets the secret scanner retry without double-commenting.

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::commits::{self, existing_commit_id, file_entry, merge_base, normalize_path};
use super::repository::{self, Repo};
use super::{Model, Paging, internal, max_results, now, put_opt, required, uuid_from};
use crate::server::lock;
use crate::{ApiError, State};

/// CodeCommit's comment size limit, in characters.
const MAX_COMMENT_CHARS: usize = 10240;
const MAX_TITLE_CHARS: usize = 150;
const MAX_DESCRIPTION_CHARS: usize = 10240;
const DEFAULT_COMMENTS_PAGE: usize = 100;
/// The comment listings take `maxResults` up to this.
const MAX_COMMENTS_PAGE: i64 = 500;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Location {
    file_path: Option<String>,
    file_position: Option<i64>,
    relative_file_version: Option<String>,
}

impl Location {
    fn json(&self) -> Value {
        let mut out = json!({});
        put_opt(&mut out, "filePath", self.file_path.clone());
        put_opt(&mut out, "filePosition", self.file_position);
        put_opt(
            &mut out,
            "relativeFileVersion",
            self.relative_file_version.clone(),
        );
        out
    }
}

/// Where a comment is attached; two posts with the same token must agree
/// on all of it.
#[derive(Debug, Clone, PartialEq)]
struct Anchor {
    repository_name: String,
    pull_request_id: Option<String>,
    before_commit_id: Option<String>,
    after_commit_id: String,
    before_blob_id: Option<String>,
    after_blob_id: Option<String>,
    location: Option<Location>,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredComment {
    id: String,
    client_request_token: String,
    content: String,
    created: f64,
    /// Changed by UpdateComment.
    modified: f64,
    author_arn: String,
    anchor: Anchor,
}

impl StoredComment {
    fn json(&self) -> Value {
        json!({
            "commentId": self.id,
            "content": self.content,
            "creationDate": self.created,
            "lastModifiedDate": self.modified,
            "authorArn": self.author_arn,
            "deleted": false,
            "clientRequestToken": self.client_request_token,
            "callerReactions": [],
            "reactionCounts": {},
        })
    }
}

/// The members a comment's container shares (`CommentsForComparedCommit`,
/// `CommentsForPullRequest` and the post outputs).
fn anchor_json(anchor: &Anchor) -> Value {
    let mut out = json!({
        "repositoryName": anchor.repository_name,
        "afterCommitId": anchor.after_commit_id,
    });
    put_opt(&mut out, "pullRequestId", anchor.pull_request_id.clone());
    put_opt(&mut out, "beforeCommitId", anchor.before_commit_id.clone());
    put_opt(&mut out, "beforeBlobId", anchor.before_blob_id.clone());
    put_opt(&mut out, "afterBlobId", anchor.after_blob_id.clone());
    put_opt(
        &mut out,
        "location",
        anchor.location.as_ref().map(Location::json),
    );
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PostCommentInput {
    pull_request_id: Option<String>,
    repository_name: Option<String>,
    before_commit_id: Option<String>,
    after_commit_id: Option<String>,
    location: Option<Location>,
    content: Option<String>,
    client_request_token: Option<String>,
}

fn pull_request_not_found(id: &str) -> ApiError {
    ApiError::client(
        "PullRequestDoesNotExistException",
        format!("Pull request {id} does not exist"),
    )
}

/// A pull request id: required, a positive number, known.
fn find_pull_request<'m>(
    model: &'m Model,
    id: &Option<String>,
) -> Result<&'m StoredPullRequest, ApiError> {
    let id = required(id, "PullRequestIdRequiredException", "pullRequestId")?;
    let index: usize = id.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
        ApiError::client(
            "InvalidPullRequestIdException",
            format!("{id:?} is not a pull request id"),
        )
    })?;
    model
        .pull_requests
        .get(index - 1)
        .ok_or_else(|| pull_request_not_found(id))
}

fn not_associated(repository: &str, pull_request: &str) -> ApiError {
    ApiError::client(
        "RepositoryNotAssociatedWithPullRequestException",
        format!("Repository {repository} is not a target of pull request {pull_request}"),
    )
}

/// Checks a comment's location against the compared commits and returns
/// the blob ids of the commented file on each side.
fn check_location(
    repo: &Repo,
    location: &Location,
    before: Option<gix::ObjectId>,
    after: gix::ObjectId,
) -> Result<(Option<gix::ObjectId>, Option<gix::ObjectId>), ApiError> {
    let path = location
        .file_path
        .as_deref()
        .map(normalize_path)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::required("PathRequiredException", "location.filePath"))?;
    let version = location.relative_file_version.as_deref().unwrap_or("AFTER");
    if !matches!(version, "BEFORE" | "AFTER") {
        return Err(ApiError::client(
            "InvalidRelativeFileVersionEnumException",
            "relativeFileVersion must be BEFORE or AFTER",
        ));
    }
    let after_blob = file_entry(&commits::commit_tree(&repo.git, after)?, path)?.map(|(id, _)| id);
    let before_blob = match before {
        Some(id) => file_entry(&commits::commit_tree(&repo.git, id)?, path)?.map(|(id, _)| id),
        None => None,
    };
    let commented = if version == "BEFORE" {
        if before.is_none() {
            return Err(ApiError::client(
                "InvalidFileLocationException",
                "a BEFORE location needs a beforeCommitId",
            ));
        }
        before_blob
    } else {
        after_blob
    };
    let blob = commented.ok_or_else(|| {
        ApiError::client(
            "PathDoesNotExistException",
            format!("{path} does not exist in the {version} version"),
        )
    })?;
    if let Some(position) = location.file_position {
        // CodeCommit refuses a line the commented version does not have;
        // this catches a caller that computes line numbers wrongly.
        let data = repo
            .git
            .find_blob(blob)
            .map_err(internal("reading a blob"))?;
        let text = &data.data;
        let lines = text.iter().filter(|b| **b == b'\n').count()
            + usize::from(!text.is_empty() && !text.ends_with(b"\n"));
        let in_range = usize::try_from(position).is_ok_and(|p| p >= 1 && p <= lines.max(1));
        if !in_range {
            return Err(ApiError::client(
                "InvalidFilePositionException",
                format!(
                    "line {position} does not exist in the {version} version of {path} ({lines} lines)"
                ),
            ));
        }
    }
    Ok((before_blob, after_blob))
}

pub(super) fn post_comment(
    state: &State,
    caller: &str,
    input: PostCommentInput,
    for_pull_request: bool,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let pull_request_id = if for_pull_request {
        let model = lock(&state.codecommit);
        let pr = find_pull_request(&model, &input.pull_request_id)?;
        if !pr.targets.iter().any(|t| t.repository_name == repo.name) {
            return Err(not_associated(&repo.name, &pr.id));
        }
        Some(pr.id.clone())
    } else {
        None
    };
    let content = required(&input.content, "CommentContentRequiredException", "content")?;
    if content.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::client(
            "CommentContentSizeLimitExceededException",
            format!("a comment holds at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    let token = required(
        &input.client_request_token,
        "ClientRequestTokenRequiredException",
        "clientRequestToken",
    )?;
    let after_value = required(
        &input.after_commit_id,
        "CommitIdRequiredException",
        "afterCommitId",
    )?;
    let after = existing_commit_id(&repo, after_value, "CommitDoesNotExistException")?;
    let before = match input.before_commit_id.as_deref().filter(|s| !s.is_empty()) {
        Some(value) => Some(existing_commit_id(
            &repo,
            value,
            "CommitDoesNotExistException",
        )?),
        None if for_pull_request => {
            return Err(ApiError::required(
                "CommitIdRequiredException",
                "beforeCommitId",
            ));
        }
        None => None,
    };
    if before == Some(after) {
        return Err(ApiError::client(
            "BeforeCommitIdAndAfterCommitIdAreSameException",
            "beforeCommitId and afterCommitId must differ",
        ));
    }
    let (before_blob, after_blob) = match &input.location {
        Some(location) => check_location(&repo, location, before, after)?,
        None => (None, None),
    };
    let anchor = Anchor {
        repository_name: repo.name.clone(),
        pull_request_id,
        before_commit_id: before.map(|id| id.to_string()),
        after_commit_id: after.to_string(),
        before_blob_id: before_blob.map(|id| id.to_string()),
        after_blob_id: after_blob.map(|id| id.to_string()),
        location: input.location.clone(),
    };

    // Check and insert under one lock so concurrent retries cannot both post.
    let mut model = lock(&state.codecommit);
    let comment = match model
        .comments
        .iter()
        .find(|c| c.client_request_token == token)
    {
        Some(existing) if existing.anchor == anchor && existing.content == content => {
            existing.clone()
        }
        Some(_) => {
            return Err(ApiError::client(
                "IdempotencyParameterMismatchException",
                format!("clientRequestToken {token} was already used for a different comment"),
            ));
        }
        None => {
            let comment = StoredComment {
                id: uuid_from(&format!("comment/{}/{token}", model.comments.len())),
                client_request_token: token.to_string(),
                content: content.to_string(),
                created: now(),
                modified: now(),
                author_arn: caller.to_string(),
                anchor,
            };
            model.comments.push(comment.clone());
            if let Some(pr) = comment
                .anchor
                .pull_request_id
                .as_deref()
                .and_then(|id| id.parse::<usize>().ok())
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| model.pull_requests.get_mut(i))
            {
                pr.last_activity = comment.created;
            }
            tracing::info!(repository = %comment.anchor.repository_name, comment = %comment.id, "comment posted");
            comment
        }
    };
    let mut out = anchor_json(&comment.anchor);
    put_opt(&mut out, "comment", Some(comment.json()));
    Ok(out)
}

/// Comments in posting order, paged by comment, then grouped into
/// containers of consecutive comments at the same place.
fn paged_groups(
    comments: Vec<StoredComment>,
    paging: &Paging,
    next_token: Option<&str>,
    max: Option<i64>,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    if let Some(n) = max.filter(|n| *n > MAX_COMMENTS_PAGE) {
        return Err(ApiError::client(
            "InvalidMaxResultsException",
            format!("maxResults must be between 1 and {MAX_COMMENTS_PAGE}, not {n}"),
        ));
    }
    let size = max_results(max, DEFAULT_COMMENTS_PAGE)?;
    let offset = paging.offset(next_token)?;
    let (page, next) = paging.page(&comments, offset, size);
    let mut groups: Vec<(Anchor, Vec<Value>)> = Vec::new();
    for comment in page {
        match groups.last_mut() {
            Some((anchor, list)) if *anchor == comment.anchor => list.push(comment.json()),
            _ => groups.push((comment.anchor.clone(), vec![comment.json()])),
        }
    }
    let groups = groups
        .into_iter()
        .map(|(anchor, list)| {
            let mut out = anchor_json(&anchor);
            put_opt(&mut out, "comments", Some(list));
            out
        })
        .collect();
    Ok((groups, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetCommentsForComparedCommitInput {
    repository_name: Option<String>,
    before_commit_id: Option<String>,
    after_commit_id: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub(super) fn get_comments_for_compared_commit(
    state: &State,
    input: GetCommentsForComparedCommitInput,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let after_value = required(
        &input.after_commit_id,
        "CommitIdRequiredException",
        "afterCommitId",
    )?;
    let after = existing_commit_id(&repo, after_value, "CommitDoesNotExistException")?.to_string();
    let before = match input.before_commit_id.as_deref().filter(|s| !s.is_empty()) {
        Some(value) => {
            Some(existing_commit_id(&repo, value, "CommitDoesNotExistException")?.to_string())
        }
        None => None,
    };
    let comments: Vec<StoredComment> = lock(&state.codecommit)
        .comments
        .iter()
        .filter(|c| {
            let a = &c.anchor;
            a.repository_name == repo.name
                && a.pull_request_id.is_none()
                && a.after_commit_id == after
                && (before.is_none() || a.before_commit_id == before)
        })
        .cloned()
        .collect();
    let before_text = before.clone().unwrap_or_default();
    let paging = Paging::new(&[
        "GetCommentsForComparedCommit",
        &repo.name,
        &before_text,
        &after,
    ]);
    let (groups, next) = paged_groups(
        comments,
        &paging,
        input.next_token.as_deref(),
        input.max_results,
    )?;
    let mut out = json!({ "commentsForComparedCommitData": groups });
    put_opt(&mut out, "nextToken", next);
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetCommentsForPullRequestInput {
    pull_request_id: Option<String>,
    repository_name: Option<String>,
    before_commit_id: Option<String>,
    after_commit_id: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub(super) fn get_comments_for_pull_request(
    state: &State,
    input: GetCommentsForPullRequestInput,
) -> Result<Value, ApiError> {
    let (pr_id, targets) = {
        let model = lock(&state.codecommit);
        let pr = find_pull_request(&model, &input.pull_request_id)?;
        (pr.id.clone(), pr.targets.clone())
    };
    if input
        .repository_name
        .as_deref()
        .is_some_and(|r| !r.is_empty())
    {
        let repo = repository::open(state, &input.repository_name)?;
        if !targets.iter().any(|t| t.repository_name == repo.name) {
            return Err(not_associated(&repo.name, &pr_id));
        }
    }
    for value in [&input.before_commit_id, &input.after_commit_id]
        .into_iter()
        .flatten()
    {
        if commits::parse_id(value).is_none() {
            return Err(ApiError::client(
                "InvalidCommitIdException",
                format!("{value:?} is not a full commit id"),
            ));
        }
    }
    let matches =
        |wanted: &Option<String>, actual: &Option<String>| wanted.is_none() || wanted == actual;
    let comments: Vec<StoredComment> = lock(&state.codecommit)
        .comments
        .iter()
        .filter(|c| {
            let a = &c.anchor;
            a.pull_request_id.as_deref() == Some(pr_id.as_str())
                && matches(&input.repository_name, &Some(a.repository_name.clone()))
                && matches(&input.before_commit_id, &a.before_commit_id)
                && matches(&input.after_commit_id, &Some(a.after_commit_id.clone()))
        })
        .cloned()
        .collect();
    let paging = Paging::new(&[
        "GetCommentsForPullRequest",
        &pr_id,
        input.repository_name.as_deref().unwrap_or_default(),
        input.before_commit_id.as_deref().unwrap_or_default(),
        input.after_commit_id.as_deref().unwrap_or_default(),
    ]);
    let (groups, next) = paged_groups(
        comments,
        &paging,
        input.next_token.as_deref(),
        input.max_results,
    )?;
    let mut out = json!({ "commentsForPullRequestData": groups });
    put_opt(&mut out, "nextToken", next);
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredTarget {
    repository_name: String,
    source_reference: String,
    destination_reference: String,
    source_commit: String,
    destination_commit: String,
    merge_base: Option<String>,
    /// Set once the source tip is reachable from the destination (a merge
    /// by push): the destination commit that holds it.
    merged_into: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredPullRequest {
    id: String,
    title: String,
    description: Option<String>,
    client_request_token: String,
    created: f64,
    last_activity: f64,
    author_arn: String,
    targets: Vec<StoredTarget>,
    /// CLOSED once merged or once its source branch is deleted; a closed
    /// pull request no longer follows its branches.
    closed: bool,
    /// From the approval rule templates associated with the repository
    /// when the pull request was created.
    approval_rules: Vec<super::approvals::PullRequestRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TargetInput {
    repository_name: Option<String>,
    source_reference: Option<String>,
    destination_reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePullRequestInput {
    title: Option<String>,
    description: Option<String>,
    targets: Option<Vec<TargetInput>>,
    client_request_token: Option<String>,
}

/// A branch reference as CodeCommit stores it in a pull request
/// (`refs/heads/<branch>`), with the commit it points at.
fn branch_reference(repo: &Repo, reference: &str) -> Result<(String, gix::ObjectId), ApiError> {
    let branch = match reference.strip_prefix("refs/") {
        Some(rest) => rest.strip_prefix("heads/").ok_or_else(|| {
            ApiError::client(
                "ReferenceTypeNotSupportedException",
                format!("{reference} is not a branch: pull requests are between branches"),
            )
        })?,
        None => reference,
    };
    let commit = repository::branch_commit(&repo.git, branch)
        .map_err(|e| ApiError::client("InvalidReferenceNameException", e.message))?
        .ok_or_else(|| {
            ApiError::client(
                "ReferenceDoesNotExistException",
                format!("{reference} does not exist in repository {}", repo.name),
            )
        })?;
    Ok((format!("refs/heads/{branch}"), commit))
}

fn target(state: &State, input: &TargetInput) -> Result<StoredTarget, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let source = required(
        &input.source_reference,
        "ReferenceNameRequiredException",
        "sourceReference",
    )?;
    let (source_reference, source_commit) = branch_reference(&repo, source)?;
    // CodeCommit's default destination is the repository's default branch.
    let destination = match input
        .destination_reference
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(d) => d.to_string(),
        None => repository::default_branch(&repo.git).ok_or_else(|| {
            ApiError::client(
                "ReferenceDoesNotExistException",
                "the repository has no default branch",
            )
        })?,
    };
    let (destination_reference, destination_commit) = branch_reference(&repo, &destination)?;
    if source_reference == destination_reference {
        return Err(ApiError::client(
            "SourceAndDestinationAreSameException",
            "the source and destination branches are the same",
        ));
    }
    let base = merge_base(&repo.git, source_commit, destination_commit)?;
    Ok(StoredTarget {
        repository_name: repo.name,
        source_reference,
        destination_reference,
        source_commit: source_commit.to_string(),
        destination_commit: destination_commit.to_string(),
        merge_base: base.map(|b| b.to_string()),
        merged_into: None,
    })
}

/// Brings an open pull request up to date with its branches, as CodeCommit
/// does on every push: the source commit follows the source branch; when
/// the destination comes to contain the source tip (merged by a push) the
/// pull request is merged and CLOSED; when the source branch is deleted it
/// is CLOSED unmerged. A closed pull request keeps its last commits.
fn refresh(state: &State, pr: &mut StoredPullRequest) {
    if pr.closed {
        return;
    }
    let mut changed = false;
    for stored in &mut pr.targets {
        let input = TargetInput {
            repository_name: Some(stored.repository_name.clone()),
            source_reference: Some(stored.source_reference.clone()),
            destination_reference: Some(stored.destination_reference.clone()),
        };
        let Ok(mut fresh) = target(state, &input) else {
            // A branch (or the repository) is gone: closed as it last was.
            pr.closed = true;
            changed = true;
            continue;
        };
        if fresh.merge_base.as_deref() == Some(fresh.source_commit.as_str()) {
            fresh.merged_into = Some(fresh.destination_commit.clone());
            pr.closed = true;
        }
        if fresh != *stored {
            *stored = fresh;
            changed = true;
        }
    }
    if changed {
        pr.last_activity = now();
    }
}

/// Refreshes pull request `id` in the model (see [`refresh`]) and returns it.
fn refreshed(state: &State, id: &Option<String>) -> Result<StoredPullRequest, ApiError> {
    let mut pr = find_pull_request(&lock(&state.codecommit), id)?.clone();
    // Git is read without the model's lock held.
    refresh(state, &mut pr);
    let mut model = lock(&state.codecommit);
    if let Some(slot) = model.pull_requests.iter_mut().find(|p| p.id == pr.id) {
        *slot = pr.clone();
    }
    Ok(pr)
}

fn pull_request_json(pr: &StoredPullRequest) -> Value {
    let targets = &pr.targets;
    let revision_seed: String = targets
        .iter()
        .map(|t| format!("{}:{}", t.source_commit, t.destination_commit))
        .collect();
    let targets_json: Vec<Value> = targets
        .iter()
        .map(|t| {
            let mut out = json!({
                "repositoryName": t.repository_name,
                "sourceReference": t.source_reference,
                "destinationReference": t.destination_reference,
                "sourceCommit": t.source_commit,
                "destinationCommit": t.destination_commit,
                "mergeMetadata": match &t.merged_into {
                    Some(commit) => json!({
                        "isMerged": true,
                        "mergeCommitId": commit,
                        "mergedBy": pr.author_arn,
                    }),
                    None => json!({ "isMerged": false }),
                },
            });
            put_opt(&mut out, "mergeBase", t.merge_base.clone());
            out
        })
        .collect();
    let mut out = json!({
        "pullRequestId": pr.id,
        "title": pr.title,
        "lastActivityDate": pr.last_activity,
        "creationDate": pr.created,
        "pullRequestStatus": if pr.closed { "CLOSED" } else { "OPEN" },
        "authorArn": pr.author_arn,
        "pullRequestTargets": targets_json,
        "clientRequestToken": pr.client_request_token,
        "revisionId": hex::encode(Sha256::digest(format!("{}/{revision_seed}", pr.id).as_bytes())),
        "approvalRules": pr.approval_rules.iter().map(|r| r.json()).collect::<Vec<_>>(),
    });
    put_opt(&mut out, "description", pr.description.clone());
    out
}

pub(super) fn create_pull_request(
    state: &State,
    caller: &str,
    input: CreatePullRequestInput,
) -> Result<Value, ApiError> {
    let title = required(&input.title, "TitleRequiredException", "title")?;
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::client(
            "InvalidTitleException",
            format!("a title holds at most {MAX_TITLE_CHARS} characters"),
        ));
    }
    if let Some(description) = &input.description
        && description.chars().count() > MAX_DESCRIPTION_CHARS
    {
        return Err(ApiError::client(
            "InvalidDescriptionException",
            format!("a pull request description holds at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    let inputs = match &input.targets {
        Some(t) if !t.is_empty() => t,
        _ => return Err(ApiError::required("TargetsRequiredException", "targets")),
    };
    if inputs.len() > 1 {
        return Err(ApiError::client(
            "MultipleRepositoriesInPullRequestException",
            "a pull request has exactly one target",
        ));
    }
    let token = required(
        &input.client_request_token,
        "ClientRequestTokenRequiredException",
        "clientRequestToken",
    )?;
    let targets = inputs
        .iter()
        .map(|t| target(state, t))
        .collect::<Result<Vec<_>, _>>()?;

    let pr = {
        let mut model = lock(&state.codecommit);
        match model
            .pull_requests
            .iter()
            .find(|p| p.client_request_token == token)
        {
            Some(existing)
                if existing.title == title
                    && existing.description == input.description
                    && existing
                        .targets
                        .iter()
                        .map(|t| {
                            (
                                &t.repository_name,
                                &t.source_reference,
                                &t.destination_reference,
                            )
                        })
                        .eq(targets.iter().map(|t| {
                            (
                                &t.repository_name,
                                &t.source_reference,
                                &t.destination_reference,
                            )
                        })) =>
            {
                existing.clone()
            }
            Some(_) => {
                return Err(ApiError::client(
                    "IdempotencyParameterMismatchException",
                    format!(
                        "clientRequestToken {token} was already used for a different pull request"
                    ),
                ));
            }
            None => {
                let created = now();
                let id = (model.pull_requests.len() + 1).to_string();
                let approval_rules = targets
                    .first()
                    .map(|t| {
                        super::approvals::rules_for_new_pull_request(
                            &model,
                            &t.repository_name,
                            &t.destination_reference,
                            &id,
                        )
                    })
                    .unwrap_or_default();
                let pr = StoredPullRequest {
                    // CodeCommit numbers pull requests 1, 2, ...
                    id,
                    title: title.to_string(),
                    description: input.description.clone(),
                    client_request_token: token.to_string(),
                    created,
                    last_activity: created,
                    author_arn: caller.to_string(),
                    targets,
                    closed: false,
                    approval_rules,
                };
                model.pull_requests.push(pr.clone());
                tracing::info!(pull_request = %pr.id, "pull request created");
                pr
            }
        }
    };
    // A retried create answers the pull request as it is now.
    let pr = refreshed(state, &Some(pr.id))?;
    Ok(json!({ "pullRequest": pull_request_json(&pr) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetPullRequestInput {
    pull_request_id: Option<String>,
}

pub(super) fn get_pull_request(
    state: &State,
    input: GetPullRequestInput,
) -> Result<Value, ApiError> {
    let pr = refreshed(state, &input.pull_request_id)?;
    Ok(json!({ "pullRequest": pull_request_json(&pr) }))
}

/// The `pullRequest` member of GetPullRequest's answer for `id` (for the
/// approval operations, which read a pull request as callers see it).
pub(super) fn pull_request_value(state: &State, id: &Option<String>) -> Result<Value, ApiError> {
    let input = GetPullRequestInput {
        pull_request_id: id.clone(),
    };
    Ok(get_pull_request(state, input)?["pullRequest"].take())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateCommentInput {
    comment_id: Option<String>,
    content: Option<String>,
}

/// UpdateComment: only the comment's author may change it.
pub(super) fn update_comment(
    state: &State,
    caller: &str,
    input: UpdateCommentInput,
) -> Result<Value, ApiError> {
    let id = required(&input.comment_id, "CommentIdRequiredException", "commentId")?;
    let content = required(&input.content, "CommentContentRequiredException", "content")?;
    if content.chars().count() > MAX_COMMENT_CHARS {
        return Err(ApiError::client(
            "CommentContentSizeLimitExceededException",
            format!("a comment holds at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    let mut model = lock(&state.codecommit);
    let comment = model
        .comments
        .iter_mut()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            ApiError::client(
                "CommentDoesNotExistException",
                format!("comment {id} does not exist"),
            )
        })?;
    if comment.author_arn != caller {
        return Err(ApiError::client(
            "CommentNotCreatedByCallerException",
            "only the author of a comment can update it",
        ));
    }
    comment.content = content.to_string();
    comment.modified = now();
    Ok(json!({ "comment": comment.json() }))
}
