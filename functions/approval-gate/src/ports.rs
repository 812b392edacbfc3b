//! The capabilities the handler needs, in domain terms. SDK adapters
//! implement them in [`crate::adapters`]; no SDK type appears here.

use std::future::Future;

use shared::approval::{Decision, ScanState};
use shared::events::ApprovalRequest;
use shared::notify::SnsPublish;

use crate::Error;

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

    /// `PutApprovalResult`.
    fn put_result(
        &self,
        request: &ApprovalRequest,
        decision: Decision,
        summary: &str,
    ) -> impl Future<Output = Result<Recorded, Error>> + Send;
}

/// secret-scanner's findings reports.
pub trait Reports: Sync {
    /// What the report of `commit` in `repository` says. Errors only when
    /// a retry may help; an unreadable report is [`ScanState::Unknown`].
    fn scan_state(
        &self,
        repository: &str,
        commit: &str,
    ) -> impl Future<Output = Result<ScanState, Error>> + Send;
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
