//! Commits, blobs and files: GetCommit, BatchGetCommits, GetBlob, GetFile,
//! GetMergeOptions, and the lookups the other operations share (commit
//! specifiers, full object ids, blobs under the size limit).

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::repository::{self, Repo};
use super::{internal, merge, required};
use crate::server::lock;
use crate::{ApiError, State};

/// CodeCommit's BatchGetCommits limit.
const MAX_BATCH_COMMITS: usize = 100;

/// Parses a full object id; CodeCommit refuses abbreviated ids.
pub(super) fn parse_id(value: &str) -> Option<gix::ObjectId> {
    if value.len() != 40 {
        return None;
    }
    gix::ObjectId::from_hex(value.as_bytes()).ok()
}

/// The kind of object `id` names, `None` when the repository lacks it.
fn kind_of(repo: &gix::Repository, id: gix::ObjectId) -> Result<Option<gix::objs::Kind>, ApiError> {
    Ok(repo
        .try_find_header(id)
        .map_err(internal("reading an object header"))?
        .map(|h| h.kind()))
}

/// A full commit id that must name a commit of the repository. `missing`
/// is the operation's error code for an unknown commit
/// (`CommitIdDoesNotExistException` for GetCommit,
/// `CommitDoesNotExistException` for the comment operations).
pub(super) fn existing_commit_id(
    repo: &Repo,
    value: &str,
    missing: &str,
) -> Result<gix::ObjectId, ApiError> {
    let id = parse_id(value).ok_or_else(|| {
        ApiError::client(
            "InvalidCommitIdException",
            format!("{value:?} is not a full commit id (40 hexadecimal characters)"),
        )
    })?;
    match kind_of(&repo.git, id)? {
        Some(gix::objs::Kind::Commit) => Ok(id),
        _ => Err(ApiError::client(
            missing,
            format!("Commit {value} does not exist in repository {}", repo.name),
        )),
    }
}

/// Resolves a commit specifier as CodeCommit does: a full commit id, a
/// branch or tag name, a full reference, or `HEAD`; annotated tags are
/// peeled. Unknown → `CommitDoesNotExistException`; something that is not
/// a commit → `InvalidCommitException`.
pub(super) fn resolve_commit(repo: &Repo, spec: &str) -> Result<gix::ObjectId, ApiError> {
    let not_found = || {
        ApiError::client(
            "CommitDoesNotExistException",
            format!("Commit {spec} does not exist in repository {}", repo.name),
        )
    };
    let id = match parse_id(spec) {
        Some(id) if kind_of(&repo.git, id)?.is_some() => id,
        _ => {
            // An invalid reference name cannot exist: not found, not a 500.
            let Ok(Some(mut reference)) = repo.git.try_find_reference(spec) else {
                return Err(not_found());
            };
            reference.peel_to_id().map_err(|_| not_found())?.detach()
        }
    };
    let object = repo
        .git
        .find_object(id)
        .map_err(internal("reading an object"))?;
    match object.peel_tags_to_end() {
        Ok(peeled) if peeled.kind == gix::objs::Kind::Commit => Ok(peeled.id),
        _ => Err(ApiError::client(
            "InvalidCommitException",
            format!("{spec} does not name a commit"),
        )),
    }
}

/// The tree of a commit known to exist.
pub(super) fn commit_tree(
    repo: &gix::Repository,
    commit: gix::ObjectId,
) -> Result<gix::Tree<'_>, ApiError> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(internal("reading a commit's tree"))
}

/// A file (blob or symlink) at `path` in `tree`: its blob id and mode.
pub(super) fn file_entry(
    tree: &gix::Tree<'_>,
    path: &str,
) -> Result<Option<(gix::ObjectId, gix::objs::tree::EntryKind)>, ApiError> {
    let Some(entry) = tree
        .lookup_entry_by_path(path)
        .map_err(internal("looking up a path"))?
    else {
        return Ok(None);
    };
    use gix::objs::tree::EntryKind::{Blob, BlobExecutable, Link};
    let kind = entry.mode().kind();
    Ok(matches!(kind, Blob | BlobExecutable | Link).then(|| (entry.object_id(), kind)))
}

/// The user-facing path: CodeCommit accepts a leading `/`.
pub(super) fn normalize_path(path: &str) -> &str {
    path.trim_start_matches('/')
}

/// Reads blob `id`, refusing it with `FileTooLargeException` above the
/// configured limit before loading it.
pub(super) fn read_blob(
    state: &State,
    repo: &Repo,
    id: gix::ObjectId,
) -> Result<Vec<u8>, ApiError> {
    let header = repo
        .git
        .try_find_header(id)
        .map_err(internal("reading a blob header"))?
        .filter(|h| h.kind() == gix::objs::Kind::Blob)
        .ok_or_else(|| {
            ApiError::client(
                "BlobIdDoesNotExistException",
                format!("Blob {id} does not exist in repository {}", repo.name),
            )
        })?;
    let limit = lock(&state.codecommit).limits.max_blob_bytes;
    if header.size() > limit {
        return Err(ApiError::client(
            "FileTooLargeException",
            format!(
                "The blob {id} is {} bytes, larger than the {limit} bytes CodeCommit returns",
                header.size()
            ),
        ));
    }
    let mut blob = repo.git.find_blob(id).map_err(internal("reading a blob"))?;
    Ok(blob.take_data())
}

/// A blob id from a request: required, full, and naming a blob.
pub(super) fn blob_id(value: &Option<String>, field: &str) -> Result<gix::ObjectId, ApiError> {
    let value = required(value, "BlobIdRequiredException", field)?;
    parse_id(value).ok_or_else(|| {
        ApiError::client(
            "InvalidBlobIdException",
            format!("{value:?} is not a full blob id (40 hexadecimal characters)"),
        )
    })
}

fn user_info(signature: gix::actor::SignatureRef<'_>) -> Value {
    let signature = signature.trim();
    json!({
        "name": signature.name.to_string(),
        "email": signature.email.to_string(),
        // git's raw form, which is also CodeCommit's: "1767225600 +0000".
        "date": signature.time.trim(),
    })
}

/// The `Commit` shape of CodeCommit for a commit known to exist.
pub(super) fn commit_json(repo: &gix::Repository, id: gix::ObjectId) -> Result<Value, ApiError> {
    let commit = repo.find_commit(id).map_err(internal("reading a commit"))?;
    let decoded = commit.decode().map_err(internal("decoding a commit"))?;
    let author = decoded
        .author()
        .map_err(internal("decoding a commit's author"))?;
    let committer = decoded
        .committer()
        .map_err(internal("decoding a commit's committer"))?;
    let parents: Vec<String> = decoded.parents().map(|p| p.to_string()).collect();
    Ok(json!({
        "commitId": id.to_string(),
        "treeId": decoded.tree().to_string(),
        "parents": parents,
        "message": decoded.message.to_string(),
        "author": user_info(author),
        "committer": user_info(committer),
        "additionalData": "",
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetCommitInput {
    repository_name: Option<String>,
    commit_id: Option<String>,
}

pub(super) fn get_commit(state: &State, input: GetCommitInput) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let value = required(&input.commit_id, "CommitIdRequiredException", "commitId")?;
    let id = existing_commit_id(&repo, value, "CommitIdDoesNotExistException")?;
    Ok(json!({ "commit": commit_json(&repo.git, id)? }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BatchGetCommitsInput {
    repository_name: Option<String>,
    commit_ids: Option<Vec<String>>,
}

pub(super) fn batch_get_commits(
    state: &State,
    input: BatchGetCommitsInput,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let ids = match input.commit_ids {
        Some(ids) if !ids.is_empty() => ids,
        _ => {
            return Err(ApiError::required(
                "CommitIdsListRequiredException",
                "commitIds",
            ));
        }
    };
    if ids.len() > MAX_BATCH_COMMITS {
        return Err(ApiError::client(
            "CommitIdsLimitExceededException",
            format!(
                "at most {MAX_BATCH_COMMITS} commit ids per call, got {}",
                ids.len()
            ),
        ));
    }
    let mut commits = Vec::new();
    let mut errors = Vec::new();
    for value in &ids {
        // Per-id failures go to `errors`, as CodeCommit reports them.
        match existing_commit_id(&repo, value, "CommitIdDoesNotExistException") {
            Ok(id) => commits.push(commit_json(&repo.git, id)?),
            Err(e) if e.status.is_client_error() => errors.push(json!({
                "commitId": value,
                "errorCode": e.code,
                "errorMessage": e.message,
            })),
            Err(e) => return Err(e),
        }
    }
    Ok(json!({ "commits": commits, "errors": errors }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetBlobInput {
    repository_name: Option<String>,
    blob_id: Option<String>,
}

pub(super) fn get_blob(state: &State, input: GetBlobInput) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let id = blob_id(&input.blob_id, "blobId")?;
    let data = read_blob(state, &repo, id)?;
    Ok(json!({ "content": base64::engine::general_purpose::STANDARD.encode(data) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetFileInput {
    repository_name: Option<String>,
    commit_specifier: Option<String>,
    file_path: Option<String>,
}

pub(super) fn get_file(state: &State, input: GetFileInput) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let path = normalize_path(required(
        &input.file_path,
        "PathRequiredException",
        "filePath",
    )?);
    if path.is_empty() {
        return Err(ApiError::required("PathRequiredException", "filePath"));
    }
    // Without a specifier CodeCommit reads the default branch.
    let spec = input
        .commit_specifier
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("HEAD");
    let commit = resolve_commit(&repo, spec)?;
    let tree = commit_tree(&repo.git, commit)?;
    let (id, kind) = file_entry(&tree, path)?.ok_or_else(|| {
        ApiError::client(
            "FileDoesNotExistException",
            format!(
                "{path} does not exist at {spec} in repository {}",
                repo.name
            ),
        )
    })?;
    let data = read_blob(state, &repo, id)?;
    use gix::objs::tree::EntryKind::{BlobExecutable, Link};
    let mode = match kind {
        BlobExecutable => "EXECUTABLE",
        Link => "SYMLINK",
        _ => "NORMAL",
    };
    Ok(json!({
        "commitId": commit.to_string(),
        "blobId": id.to_string(),
        "filePath": path,
        "fileMode": mode,
        "fileSize": data.len(),
        "fileContent": base64::engine::general_purpose::STANDARD.encode(&data),
    }))
}

/// The merge base of two commits, if they share history.
pub(super) fn merge_base(
    repo: &gix::Repository,
    one: gix::ObjectId,
    two: gix::ObjectId,
) -> Result<Option<gix::ObjectId>, ApiError> {
    Ok(repo
        .merge_base(one, two)
        .map_err(internal("computing the merge base"))?
        .map(|id| id.detach()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetMergeOptionsInput {
    repository_name: Option<String>,
    source_commit_specifier: Option<String>,
    destination_commit_specifier: Option<String>,
    conflict_detail_level: Option<String>,
    conflict_resolution_strategy: Option<String>,
}

pub(super) fn get_merge_options(
    state: &State,
    input: GetMergeOptionsInput,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let source = required(
        &input.source_commit_specifier,
        "CommitRequiredException",
        "sourceCommitSpecifier",
    )?;
    let destination = required(
        &input.destination_commit_specifier,
        "CommitRequiredException",
        "destinationCommitSpecifier",
    )?;
    if let Some(level) = input.conflict_detail_level.as_deref()
        && !matches!(level, "FILE_LEVEL" | "LINE_LEVEL")
    {
        return Err(ApiError::client(
            "InvalidConflictDetailLevelException",
            "conflictDetailLevel must be FILE_LEVEL or LINE_LEVEL",
        ));
    }
    if let Some(strategy) = input.conflict_resolution_strategy.as_deref()
        && !matches!(
            strategy,
            "NONE" | "ACCEPT_SOURCE" | "ACCEPT_DESTINATION" | "AUTOMERGE"
        )
    {
        return Err(ApiError::client(
            "InvalidConflictResolutionStrategyException",
            "conflictResolutionStrategy must be NONE, ACCEPT_SOURCE, ACCEPT_DESTINATION or AUTOMERGE",
        ));
    }
    let source_id = resolve_commit(&repo, source)?;
    let destination_id = resolve_commit(&repo, destination)?;
    // Unrelated histories have no merge base: CodeCommit cannot judge the
    // merge and says so with this modeled error (the output's
    // `baseCommitId` is required, so there is no answer without one).
    let base = merge_base(&repo.git, source_id, destination_id)?.ok_or_else(|| {
        ApiError::client(
            "TipsDivergenceExceededException",
            format!(
                "{source} and {destination} share no history: there is no merge base to compare them from"
            ),
        )
    })?;
    // Conflicts block squash and three-way merges unless a resolution
    // strategy settles them (AUTOMERGE merges what git would merge: line
    // level). Fast-forward never conflicts: the destination has no changes.
    let strategy = input
        .conflict_resolution_strategy
        .as_deref()
        .unwrap_or("NONE");
    let level = match (input.conflict_detail_level.as_deref(), strategy) {
        (_, "AUTOMERGE") | (Some("LINE_LEVEL"), _) => merge::Level::Line,
        _ => merge::Level::File,
    };
    let conflicted = if matches!(strategy, "ACCEPT_SOURCE" | "ACCEPT_DESTINATION") {
        Vec::new()
    } else {
        merge::conflicts(&repo.git, base, source_id, destination_id, level)?
    };
    let mut options = Vec::new();
    if base == destination_id {
        options.push("FAST_FORWARD_MERGE");
    }
    if conflicted.is_empty() {
        options.extend(["SQUASH_MERGE", "THREE_WAY_MERGE"]);
    } else {
        tracing::debug!(repository = %repo.name, files = conflicted.len(), "merge conflicts");
    }
    let out = json!({
        "mergeOptions": options,
        "sourceCommitId": source_id.to_string(),
        "destinationCommitId": destination_id.to_string(),
        "baseCommitId": base.to_string(),
    });
    Ok(out)
}
