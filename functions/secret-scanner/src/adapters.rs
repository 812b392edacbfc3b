//! The ports implemented with the AWS SDK, and how SDK errors map to
//! [`Error`] (retryable or not).

use std::sync::Arc;

use aws_sdk_codecommit::types::{DiffChangeType, Location, RelativeFileVersionEnum};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use shared::masked::Masked;
use shared::notify::SnsPublish;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::Error;
use crate::aws_keys::{AccessKeyId, AccessKeys, KeyOwner, LastUse};
use crate::ports::{
    AddedLine, ApprovalChange, BlobChange, BlobContent, ChangedFile, CommentRequest, Comments,
    CommitInfo, CommitSource, DefaultBranch, FoundComment, Notifier, PullRequestState,
    PullRequests, Repositories, Store,
};

/// Pages followed at most per listing: 1000 pages of 100 differences or
/// hunks is far beyond any real commit; the bound keeps a misbehaving
/// service from looping us.
const MAX_PAGES: usize = 1000;

/// Maps an SDK error to [`Error::Aws`], retryable or not by the one
/// classification every function shares ([`shared::sdk::is_retryable`]).
pub(crate) fn aws_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Error::Aws {
        operation,
        retryable: shared::sdk::is_retryable(&error),
        message: shared::sdk::describe(&error),
        source: Box::new(error),
    }
}

/// The key fingerprints are computed with: the secret's string (trimmed)
/// or binary value, at least [`FingerprintKey::MIN_LEN`] bytes. The value
/// is never logged or put in an error.
///
/// [`FingerprintKey::MIN_LEN`]: shared::scan::FingerprintKey::MIN_LEN
pub async fn fingerprint_key(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<shared::scan::FingerprintKey, Error> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| aws_error("GetSecretValue", e))?;
    let bytes = match (output.secret_string(), output.secret_binary()) {
        (Some(text), _) => text.trim().as_bytes().to_vec(),
        (None, Some(blob)) => blob.as_ref().to_vec(),
        (None, None) => Vec::new(),
    };
    shared::scan::FingerprintKey::new(bytes).map_err(|e| Error::FingerprintKey {
        secret: secret_id.to_owned(),
        problem: e.to_string(),
    })
}

/// The service error code of an SDK error, if it is one.
fn code<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Option<&str> {
    match error {
        SdkError::ServiceError(context) => context.err().code(),
        _ => None,
    }
}

fn line_number(value: Option<i32>) -> Option<usize> {
    value
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
}

/// [`CommitSource`] and [`Comments`] over the CodeCommit API, with at most
/// `concurrency` calls in flight however many commits and files are
/// scanned at once.
#[derive(Clone, Debug)]
pub struct CodeCommitSource {
    client: aws_sdk_codecommit::Client,
    limit: Arc<Semaphore>,
    /// Who the function is, for [`PullRequests::own_identity`].
    identity: Option<Arc<OwnIdentity>>,
}

/// STS with the same credentials as the CodeCommit client, and the ARN it
/// answered (asked once per instance: the role does not change).
#[derive(Debug)]
struct OwnIdentity {
    sts: aws_sdk_sts::Client,
    arn: tokio::sync::OnceCell<String>,
}

impl CodeCommitSource {
    pub fn new(client: aws_sdk_codecommit::Client, concurrency: usize) -> Self {
        Self {
            client,
            limit: Arc::new(Semaphore::new(concurrency.max(1))),
            identity: None,
        }
    }

    /// With `sts` (built from the same credentials as the CodeCommit
    /// client) to learn the function's own identity.
    pub fn with_identity(mut self, sts: aws_sdk_sts::Client) -> Self {
        self.identity = Some(Arc::new(OwnIdentity {
            sts,
            arn: tokio::sync::OnceCell::new(),
        }));
        self
    }

    /// A slot for one call; the semaphore is never closed, so `None`
    /// cannot happen (and would only mean "unbounded").
    async fn slot(&self) -> Option<SemaphorePermit<'_>> {
        self.limit.acquire().await.ok()
    }
}

impl Repositories for CodeCommitSource {
    async fn repository_names(&self) -> Result<Vec<String>, Error> {
        let mut names = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_PAGES {
            let _slot = self.slot().await;
            let page = self
                .client
                .list_repositories()
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("ListRepositories", e))?;
            names.extend(
                page.repositories()
                    .iter()
                    .filter_map(|r| r.repository_name().map(str::to_owned)),
            );
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        Ok(names)
    }

    async fn branch_tips(&self, repository: &str) -> Result<Vec<(String, String)>, Error> {
        let mut branches = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_PAGES {
            let _slot = self.slot().await;
            let page = self
                .client
                .list_branches()
                .repository_name(repository)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("ListBranches", e))?;
            branches.extend(page.branches().iter().cloned());
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        let mut tips = Vec::with_capacity(branches.len());
        for branch in branches {
            let _slot = self.slot().await;
            let output = self
                .client
                .get_branch()
                .repository_name(repository)
                .branch_name(&branch)
                .send()
                .await;
            match output {
                Ok(output) => {
                    if let Some(tip) = output.branch().and_then(|b| b.commit_id()) {
                        tips.push((branch, tip.to_owned()));
                    }
                }
                // Deleted between the listing and now: nothing to sweep.
                Err(error) if code(&error) == Some("BranchDoesNotExistException") => {}
                Err(error) => return Err(aws_error("GetBranch", error)),
            }
        }
        Ok(tips)
    }
}

impl CommitSource for CodeCommitSource {
    async fn commits(&self, repository: &str, ids: &[String]) -> Result<Vec<CommitInfo>, Error> {
        let _slot = self.slot().await;
        let output = self
            .client
            .batch_get_commits()
            .repository_name(repository)
            .set_commit_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("BatchGetCommits", e))?;
        Ok(output
            .commits()
            .iter()
            .filter_map(|commit| {
                let author = commit.author().map(|a| {
                    format!(
                        "{} <{}>",
                        a.name().unwrap_or_default(),
                        a.email().unwrap_or_default()
                    )
                });
                Some(CommitInfo {
                    id: commit.commit_id()?.to_owned(),
                    parents: commit.parents().to_vec(),
                    author,
                    summary: commit
                        .message()
                        .unwrap_or_default()
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    message: commit.message().unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }

    async fn merge_base(
        &self,
        repository: &str,
        source: &str,
        destination: &str,
    ) -> Result<Option<String>, Error> {
        let _slot = self.slot().await;
        let result = self
            .client
            .get_merge_options()
            .repository_name(repository)
            .source_commit_specifier(source)
            .destination_commit_specifier(destination)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(output.base_commit_id())
                .filter(|id| !id.is_empty())
                .map(str::to_owned)),
            // Histories too far apart for CodeCommit to compare: no usable
            // base, the walk stays bounded by MAX_COMMITS.
            Err(error) if code(&error) == Some("TipsDivergenceExceededException") => Ok(None),
            Err(error) => Err(aws_error("GetMergeOptions", error)),
        }
    }

    async fn default_branch(&self, repository: &str) -> Result<Option<DefaultBranch>, Error> {
        let _slot = self.slot().await;
        let output = self
            .client
            .get_repository()
            .repository_name(repository)
            .send()
            .await
            .map_err(|e| aws_error("GetRepository", e))?;
        let Some(name) = output
            .repository_metadata()
            .and_then(|m| m.default_branch())
            .map(str::to_owned)
        else {
            return Ok(None);
        };
        // GetBranch names a branch (refs/heads/<name>): no tag or other
        // ref of that name can answer for it.
        let result = self
            .client
            .get_branch()
            .repository_name(repository)
            .branch_name(&name)
            .send()
            .await;
        match result {
            Ok(output) => {
                Ok(output
                    .branch()
                    .and_then(|b| b.commit_id())
                    .map(|commit| DefaultBranch {
                        name,
                        commit: commit.to_owned(),
                    }))
            }
            // Deleted meanwhile (or an empty repository): nothing trusted.
            Err(error) if code(&error) == Some("BranchDoesNotExistException") => Ok(None),
            Err(error) => Err(aws_error("GetBranch", error)),
        }
    }

    async fn changed_files(
        &self,
        repository: &str,
        before: Option<&str>,
        after: &str,
    ) -> Result<Vec<ChangedFile>, Error> {
        let mut files = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_PAGES {
            let _slot = self.slot().await;
            let page = self
                .client
                .get_differences()
                .repository_name(repository)
                .set_before_commit_specifier(before.map(str::to_owned))
                .after_commit_specifier(after)
                .max_results(100)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("GetDifferences", e))?;
            for difference in page.differences() {
                let Some(blob) = difference.after_blob() else {
                    continue; // deleted: nothing added
                };
                let (Some(path), Some(id)) = (blob.path(), blob.blob_id()) else {
                    continue;
                };
                files.push(ChangedFile {
                    path: path.to_owned(),
                    // A rename (another path before) is compared with
                    // nothing: the file is scanned whole at its new path,
                    // whatever its old path allowed.
                    before_blob: difference
                        .before_blob()
                        .filter(|b| b.path() == Some(path))
                        .and_then(|b| b.blob_id())
                        .map(str::to_owned),
                    after_blob: id.to_owned(),
                    mode: blob.mode().unwrap_or("100644").to_owned(),
                });
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        Ok(files)
    }

    async fn added_lines(
        &self,
        repository: &str,
        before_blob: Option<&str>,
        after_blob: &str,
        max_bytes: u64,
    ) -> Result<BlobChange, Error> {
        let mut lines = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_PAGES {
            let _slot = self.slot().await;
            let result = self
                .client
                .get_blob_differences()
                .repository_name(repository)
                .set_before_blob_id(before_blob.map(str::to_owned))
                .after_blob_id(after_blob)
                .context_lines(0)
                .set_next_token(next_token)
                .send()
                .await;
            let page = match result {
                Ok(page) => page,
                Err(error) if code(&error) == Some("FileTooLargeException") => {
                    return Ok(BlobChange::FileTooLarge);
                }
                Err(error) => return Err(aws_error("GetBlobDifferences", error)),
            };
            // Size first: a binary answer leads to GetBlob, bounded by it.
            if u64::try_from(page.after_blob_size()).unwrap_or(u64::MAX) > max_bytes {
                return Ok(BlobChange::TooLarge);
            }
            if page.is_binary() {
                return Ok(BlobChange::Binary);
            }
            for hunk in page.hunks() {
                for change in hunk.changes() {
                    if change.r#type() != Some(&DiffChangeType::Add) {
                        continue;
                    }
                    if let Some(number) = line_number(change.after_line_number()) {
                        lines.push(AddedLine {
                            number,
                            content: change.content().unwrap_or_default().to_owned(),
                        });
                    }
                }
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        Ok(BlobChange::Text(lines))
    }

    async fn blob(&self, repository: &str, blob_id: &str) -> Result<BlobContent, Error> {
        let _slot = self.slot().await;
        let result = self
            .client
            .get_blob()
            .repository_name(repository)
            .blob_id(blob_id)
            .send()
            .await;
        match result {
            Ok(output) => Ok(BlobContent::Bytes(output.content().as_ref().to_vec())),
            Err(error) if code(&error) == Some("FileTooLargeException") => {
                Ok(BlobContent::FileTooLarge)
            }
            Err(error) => Err(aws_error("GetBlob", error)),
        }
    }

    async fn file(
        &self,
        repository: &str,
        commit: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        let _slot = self.slot().await;
        let result = self
            .client
            .get_file()
            .repository_name(repository)
            .commit_specifier(commit)
            .file_path(path)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(output.file_content().as_ref().to_vec())),
            Err(error) if code(&error) == Some("FileDoesNotExistException") => Ok(None),
            Err(error) => Err(aws_error("GetFile", error)),
        }
    }
}

impl Comments for CodeCommitSource {
    async fn post(&self, comment: &CommentRequest) -> Result<(), Error> {
        let _slot = self.slot().await;
        let location = comment.path.as_ref().map(|path| {
            Location::builder()
                .file_path(path.as_str())
                .set_file_position(comment.line.and_then(|l| i64::try_from(l).ok()))
                .relative_file_version(RelativeFileVersionEnum::After)
                .build()
        });
        match &comment.pull_request_id {
            Some(id) => {
                self.client
                    .post_comment_for_pull_request()
                    .pull_request_id(id)
                    .repository_name(&comment.repository)
                    .set_before_commit_id(comment.before_commit.clone())
                    .after_commit_id(&comment.after_commit)
                    .set_location(location)
                    .content(comment.content.as_str())
                    .client_request_token(&comment.client_request_token)
                    .send()
                    .await
                    .map_err(|e| aws_error("PostCommentForPullRequest", e))?;
            }
            None => {
                self.client
                    .post_comment_for_compared_commit()
                    .repository_name(&comment.repository)
                    .set_before_commit_id(comment.before_commit.clone())
                    .after_commit_id(&comment.after_commit)
                    .set_location(location)
                    .content(comment.content.as_str())
                    .client_request_token(&comment.client_request_token)
                    .send()
                    .await
                    .map_err(|e| aws_error("PostCommentForComparedCommit", e))?;
            }
        }
        Ok(())
    }
}

impl PullRequests for CodeCommitSource {
    async fn state(&self, pull_request_id: &str) -> Result<PullRequestState, Error> {
        let _slot = self.slot().await;
        let output = self
            .client
            .get_pull_request()
            .pull_request_id(pull_request_id)
            .send()
            .await
            .map_err(|e| aws_error("GetPullRequest", e))?;
        let pr = output.pull_request().ok_or_else(|| Error::NotFound {
            what: format!("pull request {pull_request_id}"),
        })?;
        Ok(PullRequestState {
            revision_id: pr.revision_id().unwrap_or_default().to_owned(),
            open: pr.pull_request_status()
                == Some(&aws_sdk_codecommit::types::PullRequestStatusEnum::Open),
            source_commit: pr
                .pull_request_targets()
                .first()
                .and_then(|t| t.source_commit())
                .map(str::to_owned),
        })
    }

    async fn set_approval(
        &self,
        pull_request_id: &str,
        revision_id: &str,
        approve: bool,
    ) -> Result<ApprovalChange, Error> {
        use aws_sdk_codecommit::types::ApprovalState;
        let _slot = self.slot().await;
        let result = self
            .client
            .update_pull_request_approval_state()
            .pull_request_id(pull_request_id)
            .revision_id(revision_id)
            .approval_state(if approve {
                ApprovalState::Approve
            } else {
                ApprovalState::Revoke
            })
            .send()
            .await;
        match result {
            Ok(_) => Ok(ApprovalChange::Done),
            Err(error)
                if matches!(
                    code(&error),
                    Some("RevisionNotCurrentException" | "PullRequestAlreadyClosedException")
                ) =>
            {
                Ok(ApprovalChange::Superseded)
            }
            Err(error) => Err(aws_error("UpdatePullRequestApprovalState", error)),
        }
    }

    async fn own_identity(&self) -> Result<String, Error> {
        let identity = self.identity.as_ref().ok_or_else(|| Error::NotFound {
            what: "an STS client for the scanner's own identity (CodeCommitSource::with_identity)"
                .to_owned(),
        })?;
        identity
            .arn
            .get_or_try_init(|| async {
                let output = identity
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| aws_error("GetCallerIdentity", e))?;
                output
                    .arn()
                    .filter(|arn| !arn.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| Error::NotFound {
                        what: "the caller's ARN in GetCallerIdentity's answer".to_owned(),
                    })
            })
            .await
            .cloned()
    }

    async fn comments_with_token(
        &self,
        repository: &str,
        pull_request_id: &str,
        token_prefix: &str,
    ) -> Result<Vec<FoundComment>, Error> {
        let mut all = Vec::new();
        let mut next_token = None;
        for _ in 0..MAX_PAGES {
            let _slot = self.slot().await;
            let page = self
                .client
                .get_comments_for_pull_request()
                .pull_request_id(pull_request_id)
                .repository_name(repository)
                .max_results(100)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("GetCommentsForPullRequest", e))?;
            all.extend(
                page.comments_for_pull_request_data()
                    .iter()
                    .flat_map(|group| group.comments())
                    .filter(|c| !c.deleted())
                    .filter_map(|c| {
                        let token = c.client_request_token()?;
                        token.starts_with(token_prefix).then(|| FoundComment {
                            id: c.comment_id().unwrap_or_default().to_owned(),
                            content: c.content().unwrap_or_default().to_owned(),
                            token: token.to_owned(),
                            author: c.author_arn().map(str::to_owned),
                        })
                    }),
            );
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        Ok(all)
    }

    async fn update_comment(&self, comment_id: &str, content: &Masked) -> Result<(), Error> {
        let _slot = self.slot().await;
        self.client
            .update_comment()
            .comment_id(comment_id)
            .content(content.as_str())
            .send()
            .await
            .map_err(|e| aws_error("UpdateComment", e))?;
        Ok(())
    }
}

/// [`Notifier`] over SNS (`MessageStructure=json`).
#[derive(Clone, Debug)]
pub struct SnsNotifier {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

impl Notifier for SnsNotifier {
    async fn publish(&self, message: &SnsPublish) -> Result<String, Error> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(message.subject.as_str())
            .message(message.message.as_str())
            .message_structure("json");
        for (name, value) in &message.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value.as_str())
                .build()
                .map_err(|e| Error::Aws {
                    operation: "Publish",
                    retryable: false,
                    message: e.to_string(),
                    source: Box::new(e),
                })?;
            request = request.message_attributes(name, value);
        }
        let output = request.send().await.map_err(|e| aws_error("Publish", e))?;
        Ok(output.message_id().unwrap_or_default().to_owned())
    }
}

/// [`Store`] in one S3 bucket; markers are created with `If-None-Match: *`.
#[derive(Clone, Debug)]
pub struct S3Store {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl Store for S3Store {
    async fn claim(&self, key: &str) -> Result<bool, Error> {
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .if_none_match("*")
            .content_type("text/plain")
            .body(ByteStream::from_static(b"alerted\n"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context))
                if context.err().code() == Some("PreconditionFailed")
                    || context.raw().status().as_u16() == 412 =>
            {
                Ok(false)
            }
            Err(error) => Err(aws_error("PutObject", error)),
        }
    }

    async fn release(&self, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| aws_error("DeleteObject", e))?;
        Ok(())
    }

    async fn exists(&self, key: &str) -> Result<bool, Error> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context)) if context.raw().status().as_u16() == 404 => {
                Ok(false)
            }
            Err(error) => Err(aws_error("HeadObject", error)),
        }
    }

    async fn put_json(&self, key: &str, body: &Masked) -> Result<(), Error> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.as_str().as_bytes().to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("PutObject", e))?;
        Ok(())
    }

    async fn get_text(&self, key: &str) -> Result<Option<String>, Error> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await;
        let output = match result {
            Ok(output) => output,
            Err(SdkError::ServiceError(context)) if context.raw().status().as_u16() == 404 => {
                return Ok(None);
            }
            Err(error) => return Err(aws_error("GetObject", error)),
        };
        let bytes = output.body.collect().await.map_err(|e| Error::Aws {
            operation: "GetObject",
            retryable: true,
            message: format!("reading the object's body failed: {e}"),
            source: Box::new(e),
        })?;
        Ok(Some(
            String::from_utf8_lossy(&bytes.into_bytes()).into_owned(),
        ))
    }
}

/// [`AccessKeys`] over STS and IAM. The function's own account is asked
/// once (`GetCallerIdentity`) and kept. Error messages are scrubbed of the
/// key id by [`crate::aws_keys::inspect`]; `key_error` scrubs them here
/// too, so that no caller can forget.
#[derive(Clone, Debug)]
pub struct IamAccessKeys {
    pub sts: aws_sdk_sts::Client,
    pub iam: aws_sdk_iam::Client,
    own_account: Arc<tokio::sync::OnceCell<String>>,
}

impl IamAccessKeys {
    pub fn new(sts: aws_sdk_sts::Client, iam: aws_sdk_iam::Client) -> Self {
        Self {
            sts,
            iam,
            own_account: Arc::default(),
        }
    }
}

/// [`aws_error`] with the key id masked in the message.
fn key_error<E>(
    operation: &'static str,
    id: &AccessKeyId,
    error: SdkError<E, HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match aws_error(operation, error) {
        Error::Aws {
            operation,
            retryable,
            message,
            ..
        } => {
            let message = crate::aws_keys::scrub(&message, id);
            Error::Aws {
                operation,
                retryable,
                source: message.clone().into(),
                message,
            }
        }
        other => other,
    }
}

/// IAM's "no value" for a key never used: `N/A`.
fn known(value: &str) -> Option<String> {
    (!value.is_empty() && value != "N/A").then(|| value.to_owned())
}

impl AccessKeys for IamAccessKeys {
    async fn key_account(&self, id: &AccessKeyId) -> Result<String, Error> {
        let output = self
            .sts
            .get_access_key_info()
            .access_key_id(id.expose())
            .send()
            .await
            .map_err(|e| key_error("GetAccessKeyInfo", id, e))?;
        output
            .account()
            .map(str::to_owned)
            .ok_or_else(|| Error::Aws {
                operation: "GetAccessKeyInfo",
                retryable: false,
                message: "the answer names no account".to_owned(),
                source: "no Account".into(),
            })
    }

    async fn own_account(&self) -> Result<String, Error> {
        self.own_account
            .get_or_try_init(|| async {
                let output = self
                    .sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| aws_error("GetCallerIdentity", e))?;
                output
                    .account()
                    .map(str::to_owned)
                    .ok_or_else(|| Error::Aws {
                        operation: "GetCallerIdentity",
                        retryable: false,
                        message: "the answer names no account".to_owned(),
                        source: "no Account".into(),
                    })
            })
            .await
            .cloned()
    }

    async fn owner(&self, id: &AccessKeyId) -> Result<Option<KeyOwner>, Error> {
        let output = match self
            .iam
            .get_access_key_last_used()
            .access_key_id(id.expose())
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) if code(&error) == Some("NoSuchEntity") => return Ok(None),
            Err(error) => return Err(key_error("GetAccessKeyLastUsed", id, error)),
        };
        let Some(user) = output.user_name().filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let last_use = output.access_key_last_used().and_then(|used| {
            let date = used.last_used_date()?;
            let date = date
                .fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime)
                .ok()?;
            Some(LastUse {
                date,
                service: known(used.service_name()),
                region: known(used.region()),
            })
        });
        Ok(Some(KeyOwner {
            user: user.to_owned(),
            last_use,
        }))
    }

    async fn is_active(&self, user: &str, id: &AccessKeyId) -> Result<Option<bool>, Error> {
        let mut pages = self
            .iam
            .list_access_keys()
            .user_name(user)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| key_error("ListAccessKeys", id, e))?;
            if let Some(key) = page
                .access_key_metadata()
                .iter()
                .find(|k| k.access_key_id() == Some(id.expose()))
            {
                return Ok(Some(
                    key.status() == Some(&aws_sdk_iam::types::StatusType::Active),
                ));
            }
        }
        Ok(None)
    }

    async fn deactivate(&self, user: &str, id: &AccessKeyId) -> Result<(), Error> {
        self.iam
            .update_access_key()
            .user_name(user)
            .access_key_id(id.expose())
            .status(aws_sdk_iam::types::StatusType::Inactive)
            .send()
            .await
            .map_err(|e| key_error("UpdateAccessKey", id, e))?;
        Ok(())
    }
}

/// The continuation queue (`GIT_SCAN_QUEUE_URL`).
#[derive(Clone, Debug)]
pub struct SqsCursors {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl SqsCursors {
    pub async fn send(&self, cursor: &crate::git_cursor::Cursor) -> Result<(), Error> {
        let body = serde_json::to_string(cursor).map_err(|e| Error::Aws {
            operation: "SendMessage",
            retryable: false,
            message: format!("the cursor cannot be written: {e}"),
            source: Box::new(e),
        })?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| aws_error("SendMessage", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Request shapes and error mapping against the real SDK clients, with
    //! responses from aws-smithy-mocks.

    use aws_sdk_codecommit::operation::get_blob_differences::GetBlobDifferencesOutput;
    use aws_sdk_codecommit::operation::get_differences::GetDifferencesOutput;
    use aws_sdk_codecommit::types::{BlobMetadata, DiffChange, DiffHunk, Difference};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn http(status: u16, body: &'static str) -> HttpResponse {
        HttpResponse::new(
            status.try_into().unwrap_or_else(|_| unreachable!()),
            aws_sdk_s3::primitives::SdkBody::from(body),
        )
    }

    #[tokio::test]
    async fn changed_files_follow_pages_and_skip_deletions() -> TestResult {
        use aws_sdk_codecommit::Client;
        // GIVEN two pages: an added file and a deletion, then a submodule
        let first = mock!(Client::get_differences)
            .match_requests(|r| {
                r.next_token().is_none() && r.before_commit_specifier() == Some("p")
            })
            .then_output(|| {
                GetDifferencesOutput::builder()
                    .differences(
                        Difference::builder()
                            .after_blob(
                                BlobMetadata::builder()
                                    .blob_id("b1")
                                    .path("a.txt")
                                    .mode("100644")
                                    .build(),
                            )
                            .build(),
                    )
                    .differences(
                        Difference::builder()
                            .before_blob(BlobMetadata::builder().blob_id("b0").path("gone").build())
                            .build(),
                    )
                    .next_token("t1")
                    .build()
            });
        let second = mock!(Client::get_differences)
            .match_requests(|r| r.next_token() == Some("t1"))
            .then_output(|| {
                GetDifferencesOutput::builder()
                    .differences(
                        Difference::builder()
                            .after_blob(
                                BlobMetadata::builder()
                                    .blob_id("c1")
                                    .path("vendor/lib")
                                    .mode("160000")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let source = CodeCommitSource::new(
            mock_client!(aws_sdk_codecommit, RuleMode::Sequential, &[&first, &second]),
            2,
        );
        // WHEN listing
        let files = source.changed_files("r", Some("p"), "c").await?;
        // THEN both pages, without the deletion
        let listed: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.path.as_str(), f.mode.as_str()))
            .collect();
        assert_eq!(listed, vec![("a.txt", "100644"), ("vendor/lib", "160000")]);
        Ok(())
    }

    #[tokio::test]
    async fn added_lines_keep_only_additions_and_map_limits() -> TestResult {
        use aws_sdk_codecommit::Client;
        let text = mock!(Client::get_blob_differences)
            .match_requests(|r| r.context_lines() == Some(0) && r.before_blob_id() == Some("b0"))
            .then_output(|| {
                GetBlobDifferencesOutput::builder()
                    .is_binary(false)
                    .after_blob_size(10)
                    .hunks(
                        DiffHunk::builder()
                            .changes(
                                DiffChange::builder()
                                    .r#type(DiffChangeType::Delete)
                                    .before_line_number(2)
                                    .content("old")
                                    .build(),
                            )
                            .changes(
                                DiffChange::builder()
                                    .r#type(DiffChangeType::Add)
                                    .after_line_number(2)
                                    .content("new")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
                    .unwrap_or_else(|_| unreachable!("every required member is set"))
            });
        let too_large = mock!(Client::get_blob_differences).then_http_response(|| {
            http(
                400,
                r#"{"__type":"FileTooLargeException","message":"too large"}"#,
            )
        });
        let throttled = mock!(Client::get_blob_differences).then_http_response(|| {
            http(
                400,
                r#"{"__type":"ThrottlingException","message":"slow down"}"#,
            )
        });
        let source = CodeCommitSource::new(
            mock_client!(
                aws_sdk_codecommit,
                RuleMode::Sequential,
                &[&text, &too_large, &throttled]
            ),
            2,
        );
        assert_eq!(
            source.added_lines("r", Some("b0"), "b1", 100).await?,
            BlobChange::Text(vec![AddedLine {
                number: 2,
                content: "new".to_owned()
            }])
        );
        assert_eq!(
            source.added_lines("r", None, "b2", 100).await?,
            BlobChange::FileTooLarge
        );
        let error = source.added_lines("r", None, "b3", 100).await.err();
        assert!(error.is_some_and(|e| e.is_retryable()));
        Ok(())
    }

    #[tokio::test]
    async fn a_binary_answer_within_the_size_limit_is_binary_beyond_it_too_large() -> TestResult {
        use aws_sdk_codecommit::Client;
        let binary = |size: i64| {
            move || {
                GetBlobDifferencesOutput::builder()
                    .is_binary(true)
                    .after_blob_size(size)
                    .set_hunks(Some(Vec::new()))
                    .build()
                    .unwrap_or_else(|_| unreachable!("every required member is set"))
            }
        };
        let small = mock!(Client::get_blob_differences).then_output(binary(100));
        let big = mock!(Client::get_blob_differences).then_output(binary(101));
        let source = CodeCommitSource::new(
            mock_client!(aws_sdk_codecommit, RuleMode::Sequential, &[&small, &big]),
            2,
        );
        // GIVEN a limit of 100 bytes: a binary of 100 is fetched later, one
        // of 101 is over the limit whatever it holds
        assert_eq!(
            source.added_lines("r", None, "b1", 100).await?,
            BlobChange::Binary
        );
        assert_eq!(
            source.added_lines("r", None, "b2", 100).await?,
            BlobChange::TooLarge
        );
        Ok(())
    }

    #[tokio::test]
    async fn blobs_are_read_whole_and_a_refusal_is_not_an_error() -> TestResult {
        use aws_sdk_codecommit::Client;
        use aws_sdk_codecommit::operation::get_blob::GetBlobOutput;
        use aws_sdk_codecommit::primitives::Blob;
        let bytes = mock!(Client::get_blob)
            .match_requests(|r| r.blob_id() == Some("b1") && r.repository_name() == Some("r"))
            .then_output(|| {
                GetBlobOutput::builder()
                    .content(Blob::new(b"\xFF\xFEa\0".to_vec()))
                    .build()
                    .unwrap_or_else(|_| unreachable!("every required member is set"))
            });
        let refused = mock!(Client::get_blob).then_http_response(|| {
            http(
                400,
                r#"{"__type":"FileTooLargeException","message":"too large"}"#,
            )
        });
        let missing = mock!(Client::get_blob).then_http_response(|| {
            http(
                400,
                r#"{"__type":"BlobIdDoesNotExistException","message":"no such blob"}"#,
            )
        });
        let source = CodeCommitSource::new(
            mock_client!(
                aws_sdk_codecommit,
                RuleMode::Sequential,
                &[&bytes, &refused, &missing]
            ),
            2,
        );
        assert_eq!(
            source.blob("r", "b1").await?,
            BlobContent::Bytes(b"\xFF\xFEa\0".to_vec())
        );
        assert_eq!(source.blob("r", "b2").await?, BlobContent::FileTooLarge);
        let error = source.blob("r", "b3").await.err();
        assert!(error.is_some_and(|e| !e.is_retryable()));
        Ok(())
    }

    #[tokio::test]
    async fn comments_carry_the_token_and_the_line() -> TestResult {
        use aws_sdk_codecommit::Client;
        use aws_sdk_codecommit::operation::post_comment_for_compared_commit::PostCommentForComparedCommitOutput;
        let rule = mock!(Client::post_comment_for_compared_commit)
            .match_requests(|r| {
                r.client_request_token() == Some("tok")
                    && r.location().and_then(|l| l.file_position()) == Some(7)
                    && r.location().and_then(|l| l.file_path()) == Some("a.env")
                    && r.before_commit_id() == Some("p")
            })
            .then_output(|| PostCommentForComparedCommitOutput::builder().build());
        let source = CodeCommitSource::new(mock_client!(aws_sdk_codecommit, [&rule]), 2);
        source
            .post(&CommentRequest {
                repository: "r".into(),
                pull_request_id: None,
                before_commit: Some("p".into()),
                after_commit: "c".into(),
                path: Some(Masked::new("a.env")),
                line: Some(7),
                content: Masked::new("x"),
                client_request_token: "tok".into(),
            })
            .await?;
        assert_eq!(rule.num_calls(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn store_reads_412_as_claimed_and_404_as_absent() -> TestResult {
        use aws_sdk_s3::Client;
        use aws_sdk_s3::operation::put_object::PutObjectOutput;
        let created = mock!(Client::put_object)
            .match_requests(|r| r.if_none_match() == Some("*"))
            .then_output(|| PutObjectOutput::builder().build());
        let taken = mock!(Client::put_object).then_http_response(|| {
            http(
                412,
                "<Error><Code>PreconditionFailed</Code><Message>no</Message></Error>",
            )
        });
        let missing = mock!(Client::head_object).then_http_response(|| http(404, ""));
        let store = S3Store {
            client: mock_client!(
                aws_sdk_s3,
                RuleMode::Sequential,
                &[&created, &taken, &missing]
            ),
            bucket: "b".into(),
        };
        assert!(store.claim("k").await?);
        assert!(!store.claim("k").await?);
        assert!(!store.exists("findings/r/c.json").await?);
        Ok(())
    }

    const KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

    fn iam_error(code: &str, message: &str) -> HttpResponse {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        );
        HttpResponse::new(
            400.try_into().unwrap_or_else(|_| unreachable!()),
            aws_sdk_s3::primitives::SdkBody::from(body),
        )
    }

    fn key() -> Result<AccessKeyId, Box<dyn std::error::Error>> {
        Ok(AccessKeyId::parse(KEY).ok_or("a key id")?)
    }

    #[tokio::test]
    async fn a_key_iam_does_not_know_is_none_and_the_account_is_asked_once() -> TestResult {
        use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
        // GIVEN STS naming the account once, and IAM not knowing the key
        let identity = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            GetCallerIdentityOutput::builder()
                .account("123456789012")
                .build()
        });
        let unknown = mock!(aws_sdk_iam::Client::get_access_key_last_used)
            .match_requests(|r| r.access_key_id() == Some(KEY))
            .then_http_response(|| {
                iam_error(
                    "NoSuchEntity",
                    "The Access Key with id AKIAZ7Q3XK2LMNB4RT6Y cannot be found",
                )
            });
        let keys = IamAccessKeys::new(
            mock_client!(aws_sdk_sts, RuleMode::MatchAny, &[&identity]),
            mock_client!(aws_sdk_iam, RuleMode::MatchAny, &[&unknown]),
        );
        // WHEN asked twice for the own account, and for the key's owner
        assert_eq!(keys.own_account().await?, "123456789012");
        assert_eq!(keys.own_account().await?, "123456789012");
        assert_eq!(keys.owner(&key()?).await?, None);
        // THEN GetCallerIdentity went out once
        assert_eq!(identity.num_calls(), 1);
        assert_eq!(unknown.num_calls(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn owner_status_and_deactivation_read_iam_and_errors_are_scrubbed() -> TestResult {
        use aws_sdk_iam::operation::get_access_key_last_used::GetAccessKeyLastUsedOutput;
        use aws_sdk_iam::operation::list_access_keys::ListAccessKeysOutput;
        use aws_sdk_iam::operation::update_access_key::UpdateAccessKeyOutput;
        use aws_sdk_iam::primitives::DateTime;
        use aws_sdk_iam::types::{AccessKeyLastUsed, AccessKeyMetadata, StatusType};
        // GIVEN IAM with the key of user deploy, used by S3, on two pages
        let last_used = mock!(aws_sdk_iam::Client::get_access_key_last_used).then_output(|| {
            GetAccessKeyLastUsedOutput::builder()
                .user_name("deploy")
                .access_key_last_used(
                    AccessKeyLastUsed::builder()
                        .last_used_date(DateTime::from_secs(1_796_032_800))
                        .service_name("s3")
                        .region("N/A")
                        .build()
                        .unwrap_or_else(|_| unreachable!()),
                )
                .build()
        });
        let first_page = mock!(aws_sdk_iam::Client::list_access_keys)
            .match_requests(|r| r.marker().is_none() && r.user_name() == Some("deploy"))
            .then_output(|| {
                ListAccessKeysOutput::builder()
                    .access_key_metadata(
                        AccessKeyMetadata::builder()
                            .access_key_id("AKIAOTHEROTHEROTHER2")
                            .status(StatusType::Active)
                            .build(),
                    )
                    .is_truncated(true)
                    .marker("m")
                    .build()
                    .unwrap_or_else(|_| unreachable!())
            });
        let second_page = mock!(aws_sdk_iam::Client::list_access_keys)
            .match_requests(|r| r.marker() == Some("m"))
            .then_output(|| {
                ListAccessKeysOutput::builder()
                    .access_key_metadata(
                        AccessKeyMetadata::builder()
                            .access_key_id(KEY)
                            .status(StatusType::Active)
                            .build(),
                    )
                    .build()
                    .unwrap_or_else(|_| unreachable!())
            });
        let update = mock!(aws_sdk_iam::Client::update_access_key)
            .match_requests(|r| {
                r.user_name() == Some("deploy")
                    && r.access_key_id() == Some(KEY)
                    && r.status() == Some(&StatusType::Inactive)
            })
            .then_output(|| UpdateAccessKeyOutput::builder().build());
        let denied = mock!(aws_sdk_iam::Client::update_access_key).then_http_response(|| {
            iam_error(
                "AccessDenied",
                "not authorized to update AKIAZ7Q3XK2LMNB4RT6Y",
            )
        });
        let sts = mock!(aws_sdk_sts::Client::get_caller_identity).then_output(|| {
            aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput::builder().build()
        });
        let keys = IamAccessKeys::new(
            mock_client!(aws_sdk_sts, RuleMode::MatchAny, &[&sts]),
            mock_client!(
                aws_sdk_iam,
                RuleMode::Sequential,
                &[&last_used, &first_page, &second_page, &update, &denied]
            ),
        );
        let id = key()?;
        // WHEN the owner, the status and a deactivation are asked for
        let owner = keys.owner(&id).await?.ok_or("an owner")?;
        // THEN IAM's answers come through, "N/A" as nothing
        assert_eq!(owner.user, "deploy");
        let used = owner.last_use.ok_or("a last use")?;
        assert_eq!(used.date, "2026-11-30T10:00:00Z");
        assert_eq!(used.service.as_deref(), Some("s3"));
        assert_eq!(used.region, None);
        assert_eq!(keys.is_active("deploy", &id).await?, Some(true));
        keys.deactivate("deploy", &id).await?;
        assert_eq!(update.num_calls(), 1);
        // AND a refusal names the operation, never the key id
        let error = keys
            .deactivate("deploy", &id)
            .await
            .err()
            .ok_or("an error")?;
        let text = format!("{error} {error:?}");
        assert!(text.contains("UpdateAccessKey"), "{text}");
        assert!(text.contains("AKIA***") && !text.contains(KEY), "{text}");
        // AND an identity without an account is an error, not a guess
        assert!(keys.own_account().await.is_err());
        Ok(())
    }
}
