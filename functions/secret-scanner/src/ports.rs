//! The capabilities the scanner needs, in domain terms, and the facts they
//! return. SDK adapters implement them in [`crate::adapters`]; no SDK type
//! appears here.

use std::future::Future;

use shared::masked::Masked;
use shared::notify::SnsPublish;

use crate::Error;

/// A commit, as far as the scanner cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: String,
    /// First parent first; empty for a root commit.
    pub parents: Vec<String>,
    /// `Name <email>`.
    pub author: Option<String>,
    /// The first line of the message.
    pub summary: String,
    /// The whole message (scanned: a secret may be pasted there too).
    pub message: String,
}

/// The repository's default branch as an event trusts it: its name and
/// the commit it pointed at when the event was handled (GetRepository,
/// then GetBranch of `refs/heads/<name>`). Everything trusted afterwards
/// is read at `commit`, never at the name, which a tag or another ref
/// could shadow or move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultBranch {
    pub name: String,
    /// Full commit id.
    pub commit: String,
}

/// Git's mode of a submodule entry.
pub const SUBMODULE_MODE: &str = "160000";

/// A file that a commit adds or changes (deletions are not listed: they
/// add no text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    /// `None` when the file is new.
    pub before_blob: Option<String>,
    pub after_blob: String,
    /// `100644`, `100755`, `120000`, `160000` (submodule).
    pub mode: String,
}

/// One added line and its number in the new version of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedLine {
    pub number: usize,
    pub content: String,
}

/// The lines a change adds to a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobChange {
    Text(Vec<AddedLine>),
    /// CodeCommit found a NUL byte in one of the blobs (which UTF-16 text
    /// has too); within the configured size limit.
    Binary,
    /// Over the configured size limit (`MAX_BLOB_BYTES`).
    TooLarge,
    /// Refused by CodeCommit (`FileTooLargeException`).
    FileTooLarge,
}

/// A blob's bytes, or CodeCommit's refusal to return them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobContent {
    Bytes(Vec<u8>),
    /// `FileTooLargeException`.
    FileTooLarge,
}

/// Where commits and their changes come from (CodeCommit).
pub trait CommitSource: Sync {
    /// The commits with these ids (at most 100), in any order; unknown ids
    /// are left out.
    fn commits(
        &self,
        repository: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<CommitInfo>, Error>> + Send;

    /// The merge base of two commits (full ids: the scanner never passes
    /// a name, see [`DefaultBranch`]); `None` when they share no history.
    fn merge_base(
        &self,
        repository: &str,
        source: &str,
        destination: &str,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send;

    /// The repository's default branch and its tip commit, if it has one
    /// (an empty repository has none).
    fn default_branch(
        &self,
        repository: &str,
    ) -> impl Future<Output = Result<Option<DefaultBranch>, Error>> + Send;

    /// The files `after` adds or modifies relative to `before` (the empty
    /// tree when `None`), every page.
    fn changed_files(
        &self,
        repository: &str,
        before: Option<&str>,
        after: &str,
    ) -> impl Future<Output = Result<Vec<ChangedFile>, Error>> + Send;

    /// The lines `after_blob` adds relative to `before_blob`, every page.
    fn added_lines(
        &self,
        repository: &str,
        before_blob: Option<&str>,
        after_blob: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<BlobChange, Error>> + Send;

    /// A blob's bytes (GetBlob): for the files CodeCommit calls binary
    /// (UTF-16 text is decoded and scanned) and the after-blob of a change
    /// inside a PEM block.
    fn blob(
        &self,
        repository: &str,
        blob_id: &str,
    ) -> impl Future<Output = Result<BlobContent, Error>> + Send;

    /// A file's bytes at a commit; `None` when the commit has no such file.
    fn file(
        &self,
        repository: &str,
        commit: &str,
        path: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, Error>> + Send;
}

/// The repositories and branches a full-history sweep covers (CodeCommit
/// `ListRepositories`, `ListBranches`, `GetBranch`).
pub trait Repositories: Sync {
    /// Every repository's name, every page.
    fn repository_names(&self) -> impl Future<Output = Result<Vec<String>, Error>> + Send;

    /// Every branch of `repository` with its tip commit, every page.
    fn branch_tips(
        &self,
        repository: &str,
    ) -> impl Future<Output = Result<Vec<(String, String)>, Error>> + Send;
}

/// A comment to post at a line of a commit or pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentRequest {
    pub repository: String,
    /// Set for a pull-request comment.
    pub pull_request_id: Option<String>,
    pub before_commit: Option<String>,
    pub after_commit: String,
    /// `None`: a comment on the whole comparison. Masked, and only set
    /// when masking leaves the path as it is ([`comment_path`]): a path
    /// holding a secret is named, masked, in the content instead.
    pub path: Option<Masked>,
    pub line: Option<usize>,
    pub content: Masked,
    /// Deterministic: the same finding always gives the same token, so
    /// CodeCommit posts it once however often it is sent.
    pub client_request_token: String,
}

/// `path` as a comment location: `None` when masking changes it (it
/// holds a secret) or when it is no file (the commit message).
pub fn comment_path(path: &str) -> Option<Masked> {
    (Masked::is_clean(path) && path != crate::scanning::COMMIT_MESSAGE_PATH)
        .then(|| Masked::new(path))
}

/// Where comments go (CodeCommit).
pub trait Comments: Sync {
    fn post(&self, comment: &CommentRequest) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Where alerts go (SNS).
pub trait Notifier: Sync {
    /// Publishes; answers the message id.
    fn publish(&self, message: &SnsPublish) -> impl Future<Output = Result<String, Error>> + Send;
}

/// Reports and idempotency markers (S3).
pub trait Store: Sync {
    /// Creates the marker unless it exists: `true` when this call created
    /// it, `false` when it was there (a redelivery).
    fn claim(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;
    /// Removes a marker, so that a retry can alert.
    fn release(&self, key: &str) -> impl Future<Output = Result<(), Error>> + Send;
    /// Whether an object exists (a commit's report: it was scanned).
    fn exists(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;
    /// Writes (or overwrites) a JSON object, masked.
    fn put_json(&self, key: &str, body: &Masked) -> impl Future<Output = Result<(), Error>> + Send;
    /// Reads a small object written by [`Store::put_json`]; `None` when
    /// there is none.
    fn get_text(&self, key: &str) -> impl Future<Output = Result<Option<String>, Error>> + Send;
}

/// A pull request as the approval step needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestState {
    /// Changes with every push to the source branch; approvals are per
    /// revision.
    pub revision_id: String,
    pub open: bool,
    /// The source branch's commit now.
    pub source_commit: Option<String>,
}

/// Whether an approval state change took effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApprovalChange {
    Done,
    /// The pull request moved on (new revision) or closed meanwhile: the
    /// event that moved it decides.
    Superseded,
}

/// A comment found on a pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundComment {
    pub id: String,
    pub content: String,
    /// The `clientRequestToken` it was posted with.
    pub token: String,
    /// Who posted it (`authorArn`).
    pub author: Option<String>,
}

/// Pull request approvals and the summary comment (CodeCommit).
pub trait PullRequests: Sync {
    fn state(
        &self,
        pull_request_id: &str,
    ) -> impl Future<Output = Result<PullRequestState, Error>> + Send;

    /// APPROVE (`true`) or REVOKE the scanner's approval of `revision_id`.
    fn set_approval(
        &self,
        pull_request_id: &str,
        revision_id: &str,
        approve: bool,
    ) -> impl Future<Output = Result<ApprovalChange, Error>> + Send;

    /// The ARN this function calls CodeCommit as, the `authorArn` of the
    /// comments it posts (STS GetCallerIdentity, asked once and kept).
    fn own_identity(&self) -> impl Future<Output = Result<String, Error>> + Send;

    /// The comments on the pull request (not deleted) whose
    /// `clientRequestToken` starts with `token_prefix`, whoever posted
    /// them (every page).
    fn comments_with_token(
        &self,
        repository: &str,
        pull_request_id: &str,
        token_prefix: &str,
    ) -> impl Future<Output = Result<Vec<FoundComment>, Error>> + Send;

    fn update_comment(
        &self,
        comment_id: &str,
        content: &Masked,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}
