//! The capabilities the handler needs, in domain terms. SDK adapters
//! implement them in [`crate::adapters`]; no SDK type appears here.

use std::future::Future;

use shared::approval::Decision;
use shared::events::ApprovalRequest;
use shared::masked::Masked;
use shared::notify::SnsPublish;

use crate::Error;
use crate::report::CommitState;

/// A source revision of a pipeline execution (`artifactRevisions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revision {
    /// For CodeCommit, the commit id.
    pub revision_id: Option<String>,
    /// For CodeCommit, the console URL of the commit (names the repository).
    pub url: Option<String>,
    /// The commit message, for CodeCommit.
    pub summary: Option<String>,
}

/// What the approval is about: the execution waiting at the action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionFacts {
    pub execution_id: String,
    pub revisions: Vec<Revision>,
    /// Who or what started the execution (`trigger.triggerDetail`, or
    /// `trigger.triggerType`).
    pub requester: Option<String>,
}

/// The newest execution of a pipeline that succeeded, and the commit it
/// released from the repository in question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastSuccess {
    pub execution_id: String,
    pub commit: String,
}

/// A commit as far as a history walk needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitNode {
    pub id: String,
    /// Every parent, in order (a merge has two or more).
    pub parents: Vec<String>,
    /// Committer time, epoch seconds; orders the walk (0 when unreadable).
    pub time: i64,
}

/// What `PutApprovalResult` answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The decision is recorded.
    Done,
    /// `ApprovalAlreadyCompletedException`: someone decided first.
    AlreadyDecided,
    /// `InvalidApprovalTokenException`: the request is no longer current
    /// (superseded, expired, or the action was retried).
    TokenInvalid,
}

/// CodePipeline, for approvals.
pub trait Pipelines: Sync {
    /// The id of the execution whose approval action waits with this
    /// request's token; `None` when the action no longer waits for it.
    fn pending_execution(
        &self,
        request: &ApprovalRequest,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send;

    /// An execution's source revisions and trigger.
    fn execution(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<ExecutionFacts, Error>> + Send;

    /// The newest `Succeeded` execution of `pipeline` that has a source
    /// revision from `repository` ([`crate::history::source_commit`]);
    /// `None` when no execution within the bound does.
    fn last_success(
        &self,
        pipeline: &str,
        repository: &str,
    ) -> impl Future<Output = Result<Option<LastSuccess>, Error>> + Send;

    /// `PutApprovalResult`.
    fn put_result(
        &self,
        request: &ApprovalRequest,
        decision: Decision,
        summary: &Masked,
    ) -> impl Future<Output = Result<Recorded, Error>> + Send;
}

/// A repository's commits.
pub trait Commits: Sync {
    /// The commits of `repository` among `ids` (at most 100); an id the
    /// repository does not have is left out of the answer.
    fn commits(
        &self,
        repository: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<CommitNode>, Error>> + Send;
}

/// secret-scanner's findings reports.
pub trait Reports: Sync {
    /// What the report of `commit` in `repository` says. Errors only when
    /// a retry may help; an unreadable report is [`CommitState::Unknown`].
    fn commit_state(
        &self,
        repository: &str,
        commit: &str,
    ) -> impl Future<Output = Result<CommitState, Error>> + Send;
}

/// Where requests to approvers go.
pub trait Notifier: Sync {
    /// Publishes; answers the message id.
    fn publish(&self, message: &SnsPublish) -> impl Future<Output = Result<String, Error>> + Send;
}

/// "Approvers already asked" markers, for idempotency.
pub trait Markers: Sync {
    /// Creates the marker unless it exists: `true` when this call created it.
    fn claim(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;
    /// Removes a marker, so that a retry can ask again.
    fn release(&self, key: &str) -> impl Future<Output = Result<(), Error>> + Send;
}
