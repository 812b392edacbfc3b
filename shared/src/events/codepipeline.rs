//! CodePipeline execution state changes: pipeline, stage and action.
//!
//! Ours rather than `aws_lambda_events::codepipeline_cloudwatch` because
//! real events send `version` as an integer, a string or a float (`7`, `"7"`,
//! `7.0`) and `type.version` as a string, which its structs reject.

use serde::{Deserialize, Serialize};

use super::lenient::{self, string_enum};

string_enum! {
    /// `state` of a pipeline, stage or action execution.
    pub enum ExecutionState {
        Started => "STARTED",
        Succeeded => "SUCCEEDED",
        Resumed => "RESUMED",
        Failed => "FAILED",
        Canceled => "CANCELED",
        Superseded => "SUPERSEDED",
        Stopping => "STOPPING",
        Stopped => "STOPPED",
        Abandoned => "ABANDONED",
    }
}

/// Detail of `aws.codepipeline` / `CodePipeline Pipeline Execution State Change`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CodePipelineExecutionStateChange {
    pub pipeline: String,
    pub execution_id: String,
    pub state: ExecutionState,
    /// Pipeline structure version; `7`, `"7"` and `7.0` all give 7.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub version: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub pipeline_execution_attempt: Option<u64>,
    /// RFC 3339 text, kept as sent.
    pub start_time: Option<String>,
    pub execution_trigger: Option<ExecutionTrigger>,
}

/// `execution-trigger`: what started the execution.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExecutionTrigger {
    /// `CloudWatchEvent`, `StartPipelineExecution`, `Webhook`, ...
    pub trigger_type: Option<String>,
    /// A rule ARN, a user ARN, a webhook ARN, ...
    pub trigger_detail: Option<String>,
}

/// Detail of `aws.codepipeline` / `CodePipeline Stage Execution State Change`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct StageExecutionStateChange {
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub state: ExecutionState,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub version: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub pipeline_execution_attempt: Option<u64>,
    pub start_time: Option<String>,
}

/// Detail of `aws.codepipeline` / `CodePipeline Action Execution State Change`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActionExecutionStateChange {
    pub pipeline: String,
    pub execution_id: String,
    pub stage: String,
    pub action: String,
    pub state: ExecutionState,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub version: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub pipeline_execution_attempt: Option<u64>,
    pub start_time: Option<String>,
    /// Region the action runs in (cross-region actions differ from the
    /// pipeline's).
    pub region: Option<String>,
    #[serde(rename = "type")]
    pub action_type: Option<ActionType>,
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub input_artifacts: Vec<Artifact>,
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub output_artifacts: Vec<Artifact>,
    /// Present once the action has a result (succeeded or failed).
    pub execution_result: Option<ExecutionResult>,
}

/// `type` of an action.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ActionType {
    /// `AWS`, `ThirdParty`, `Custom`.
    pub owner: Option<String>,
    /// `Source`, `Build`, `Test`, `Deploy`, `Approval`, `Invoke`.
    pub category: Option<String>,
    /// `CodeBuild`, `CodeCommit`, `Manual`, ...
    pub provider: Option<String>,
    /// Sent as `"1"` (sometimes `1`): normalised to a string.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub version: Option<String>,
}

/// An input or output artifact of an action.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Artifact {
    pub name: Option<String>,
    /// Spelled `s3location` by AWS.
    pub s3location: Option<S3Location>,
}

/// Where an artifact is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Location {
    pub bucket: Option<String>,
    pub key: Option<String>,
}

/// `execution-result` of an action.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExecutionResult {
    /// Console link to what ran (a CodeBuild build, a deployment, ...).
    pub external_execution_url: Option<String>,
    /// e.g. `Build terminated with state: FAILED`, or the approver's comment.
    pub external_execution_summary: Option<String>,
    /// e.g. `PROJECT:BUILD-UUID` for CodeBuild.
    pub external_execution_id: Option<String>,
    /// e.g. `JobFailed`; absent on success.
    pub error_code: Option<String>,
}
