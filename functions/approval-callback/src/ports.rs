//! The one capability the handler needs, in domain terms.

use std::future::Future;

use shared::approval::ApprovalLink;
use shared::masked::Masked;

use crate::Error;

/// What `PutApprovalResult` answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Done,
    /// `ApprovalAlreadyCompletedException`.
    AlreadyDecided,
    /// `InvalidApprovalTokenException`: superseded, expired or retried.
    TokenInvalid,
}

/// CodePipeline's approvals.
pub trait Approvals: Sync {
    /// Records the link's decision with `summary`.
    fn put_result(
        &self,
        link: &ApprovalLink,
        summary: &Masked,
    ) -> impl Future<Output = Result<Recorded, Error>> + Send;
}
