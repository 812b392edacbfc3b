//! The message a CodePipeline *Manual approval* action publishes to SNS.
//!
//! It arrives as a JSON document inside the SNS `Message` string. Its
//! `expires` is `2022-08-30T11:09Z` (minutes, no seconds), which is not
//! RFC 3339, so chrono's default decoding rejects it.

use aws_lambda_events::sns::SnsMessage;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::lenient;

/// A manual-approval request together with its SNS envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApprovalNotification {
    /// The SNS envelope: `message_id` (stable across redeliveries, so usable
    /// for idempotency), `topic_arn`, `timestamp`, `subject`. Its `message`
    /// is the raw text that [`Self::message`] was decoded from.
    pub sns: SnsMessage,
    pub message: ApprovalMessage,
}

/// The JSON document in the SNS `Message` of a manual-approval action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalMessage {
    /// Region of the pipeline: where `PutApprovalResult` must be called.
    pub region: String,
    /// Console link to the pipeline.
    pub console_link: Option<String>,
    pub approval: ApprovalRequest,
}

/// `approval` of an [`ApprovalMessage`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequest {
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    /// Identifies this approval request in `PutApprovalResult`.
    pub token: String,
    /// When the request lapses; sent as `2022-08-30T11:09Z`, RFC 3339 accepted.
    #[serde(deserialize_with = "lenient::expiry")]
    pub expires: DateTime<Utc>,
    /// The action's "URL for review", `null` when not configured.
    pub external_entity_link: Option<String>,
    /// Console page where a person approves or rejects.
    pub approval_review_link: Option<String>,
    /// The action's "comments", absent when not configured.
    pub custom_data: Option<String>,
}
