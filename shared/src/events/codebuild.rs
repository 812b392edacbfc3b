//! CodeBuild *Build State Change* detail.
//!
//! Ours rather than `aws_lambda_events::codebuild` because that one requires
//! `logs` and `phases`, which an `IN_PROGRESS` event does not have. The build
//! environment (`additional-information.environment`) is deliberately not
//! modelled: its `PLAINTEXT` environment variables can hold secrets, and a
//! field we do not read is a field we cannot leak.

use serde::{Deserialize, Serialize};

use super::lenient::{self, string_enum};

string_enum! {
    /// `build-status` of a build, and `phase-status` of one of its phases.
    pub enum BuildStatus {
        InProgress => "IN_PROGRESS",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
        Fault => "FAULT",
        Stopped => "STOPPED",
        TimedOut => "TIMED_OUT",
    }
}

/// Detail of `aws.codebuild` / `CodeBuild Build State Change`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CodeBuildStateChange {
    pub build_status: BuildStatus,
    pub project_name: String,
    /// The build ARN: `arn:aws:codebuild:REGION:ACCOUNT:build/PROJECT:UUID`.
    pub build_id: String,
    pub additional_information: Option<BuildInformation>,
    /// `SUBMITTED`, `BUILD`, `COMPLETED`, ...
    pub current_phase: Option<String>,
    /// A list rendered as text by AWS, e.g. `"[: ]"`; kept verbatim.
    pub current_phase_context: Option<String>,
    /// Sent as `"1"`.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub version: Option<u64>,
}

/// `additional-information` of a build state change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BuildInformation {
    /// An IAM user name, `codepipeline/PIPELINE`, `rule/RULE`, ...
    pub initiator: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub build_complete: Option<bool>,
    /// Sent as a float (`55.0`).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub build_number: Option<u64>,
    /// Free-form local time such as `May 14, 2024 9:22:41 AM`: kept as text.
    pub build_start_time: Option<String>,
    pub source: Option<BuildSource>,
    /// Branch, commit id, or an S3 artifact ARN when started by CodePipeline.
    pub source_version: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub timeout_in_minutes: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub queued_timeout_in_minutes: Option<u64>,
    /// Absent until the build has a log stream (e.g. `IN_PROGRESS`).
    pub logs: Option<BuildLogs>,
    /// Absent on `IN_PROGRESS`; empty means "not sent".
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub phases: Vec<BuildPhase>,
}

impl BuildInformation {
    /// The first phase that ended in something other than success: the
    /// answer to "why did the build fail?".
    pub fn failed_phase(&self) -> Option<&BuildPhase> {
        self.phases.iter().find(|phase| {
            phase.phase_status.as_ref().is_some_and(|status| {
                !matches!(status, BuildStatus::Succeeded | BuildStatus::InProgress)
            })
        })
    }
}

/// `additional-information.source`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BuildSource {
    /// `CODECOMMIT`, `CODEPIPELINE`, `S3`, `GITHUB`, ...
    #[serde(rename = "type")]
    pub source_type: Option<String>,
    pub location: Option<String>,
    pub buildspec: Option<String>,
}

/// `additional-information.logs`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BuildLogs {
    pub group_name: Option<String>,
    pub stream_name: Option<String>,
    /// Console link to the log stream.
    pub deep_link: Option<String>,
}

/// One entry of `additional-information.phases`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BuildPhase {
    /// `SUBMITTED`, `PROVISIONING`, `BUILD`, ..., `COMPLETED`.
    pub phase_type: Option<String>,
    /// Absent on the final `COMPLETED` pseudo-phase.
    pub phase_status: Option<BuildStatus>,
    /// Why the phase ended as it did, e.g. `COMMAND_EXECUTION_ERROR: Error
    /// while executing command: ... Reason: exit status 1`; successful
    /// phases often carry a meaningless `": "`.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub phase_context: Vec<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    /// Sent as `36` or `36.0`.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub duration_in_seconds: Option<u64>,
}
