//! The capabilities the handler needs, in domain terms, and the facts they
//! return. SDK adapters implement them in [`crate::adapters`]; no SDK type
//! appears here.

use std::future::Future;

use chrono::{DateTime, Utc};
use shared::notify::SnsPublish;

use crate::Error;

/// An action that failed in a pipeline execution (`ListActionExecutions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailedAction {
    pub stage: String,
    pub action: String,
    /// `CodeBuild`, `CodeDeploy`, `CloudFormation`, ...
    pub provider: Option<String>,
    pub category: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub summary: Option<String>,
    /// For CodeBuild, the build id (`PROJECT:UUID`).
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
}

/// One execution of a pipeline (`ListPipelineExecutions`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineRun {
    pub execution_id: String,
    /// As the API spells it: `Failed`, `Succeeded`, `InProgress`, ...
    pub status: String,
    pub started: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
}

/// Where a build wrote its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogStream {
    pub group: String,
    pub stream: String,
}

/// The phase that made a build fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailedPhase {
    /// `BUILD`, `INSTALL`, ...
    pub phase: String,
    /// `FAILED`, `TIMED_OUT`, ...
    pub status: String,
    /// `COMMAND_EXECUTION_ERROR: Error while executing command: ...`
    pub context: Vec<String>,
}

/// What a build tells about its failure (`BatchGetBuilds`, or the event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildFacts {
    /// `PROJECT:UUID`.
    pub id: String,
    pub project: String,
    pub status: String,
    pub initiator: Option<String>,
    pub failed_phase: Option<FailedPhase>,
    pub log: Option<LogStream>,
}

/// A pipeline's history.
pub trait PipelineHistory: Sync {
    /// The failed actions of one execution.
    fn failed_actions(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> impl Future<Output = Result<Vec<FailedAction>, Error>> + Send;

    /// The most recent executions, newest first.
    fn recent_executions(
        &self,
        pipeline: &str,
    ) -> impl Future<Output = Result<Vec<PipelineRun>, Error>> + Send;
}

/// CodeBuild builds.
pub trait Builds: Sync {
    /// The build with this id or ARN; `None` when CodeBuild does not know it.
    fn build(&self, id: &str) -> impl Future<Output = Result<Option<BuildFacts>, Error>> + Send;
}

/// Build logs.
pub trait BuildLogs: Sync {
    /// The last `lines` lines of the stream, oldest first, as logged (not
    /// yet masked).
    fn tail(
        &self,
        log: &LogStream,
        lines: u32,
    ) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
}

/// Where alerts go.
pub trait Notifier: Sync {
    /// Publishes; answers the message id.
    fn publish(&self, message: &SnsPublish) -> impl Future<Output = Result<String, Error>> + Send;
}

/// "Already alerted" markers, for idempotency.
pub trait Markers: Sync {
    /// Creates the marker unless it exists: `true` when this call created
    /// it (go ahead and alert), `false` when it was there (a redelivery).
    fn claim(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;
    /// Removes a marker, so that a retry can alert.
    fn release(&self, key: &str) -> impl Future<Output = Result<(), Error>> + Send;
}
