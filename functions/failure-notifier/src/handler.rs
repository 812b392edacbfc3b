//! The handler: one event in, at most one alert out.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::events::{
    BuildInformation, BuildStatus, CodeBuildStateChange, CodePipelineExecutionStateChange,
    CodewardenEvent, EventBridgeEvent, ExecutionState, parse_event,
};
use shared::links;
use shared::masked::Masked;
use shared::notify::Alert;
use tracing::{info, warn};

use crate::alert::{ActionReport, BuildReport, Origin, PipelineFailure, Recovery, build_alert};
use crate::config::Config;
use crate::ports::{
    BuildFacts, BuildLogs, Builds, FailedPhase, LogStream, Markers, Notifier, PipelineHistory,
};
use crate::{Error, adapters};

/// Everything the handler needs, built once in `main`.
pub struct Deps<H, B, L, N, M> {
    pub config: Config,
    pub history: H,
    pub builds: B,
    pub logs: L,
    pub notifier: N,
    pub markers: M,
}

/// Everything a handler function works through, bundled so that it names
/// one bound (`D: Ports`) instead of one per port. [`Deps`] implements it
/// for any set of port implementations (SDK adapters or fakes).
pub trait Ports: Sync {
    type History: PipelineHistory;
    type Builds: Builds;
    type Logs: BuildLogs;
    type Notifier: Notifier;
    type Markers: Markers;

    fn config(&self) -> &Config;
    fn history(&self) -> &Self::History;
    fn builds(&self) -> &Self::Builds;
    fn logs(&self) -> &Self::Logs;
    fn notifier(&self) -> &Self::Notifier;
    fn markers(&self) -> &Self::Markers;
}

impl<H, B, L, N, M> Ports for Deps<H, B, L, N, M>
where
    H: PipelineHistory,
    B: Builds,
    L: BuildLogs,
    N: Notifier,
    M: Markers,
{
    type History = H;
    type Builds = B;
    type Logs = L;
    type Notifier = N;
    type Markers = M;

    fn config(&self) -> &Config {
        &self.config
    }
    fn history(&self) -> &H {
        &self.history
    }
    fn builds(&self) -> &B {
        &self.builds
    }
    fn logs(&self) -> &L {
        &self.logs
    }
    fn notifier(&self) -> &N {
        &self.notifier
    }
    fn markers(&self) -> &M {
        &self.markers
    }
}

/// The dependencies backed by the AWS SDK.
pub type SdkDeps = Deps<
    adapters::CodePipelineHistory,
    adapters::CodeBuildBuilds,
    adapters::CloudWatchBuildLogs,
    adapters::SnsNotifier,
    adapters::S3Markers,
>;

/// What an invocation did; the function's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum Outcome {
    /// An alert was published; `marker` is its idempotency key.
    Alerted { marker: String, message_id: String },
    /// The alert was already sent (a redelivered or repeated event).
    Duplicate { marker: String },
    /// Nothing to say about this event.
    Acknowledged { reason: String },
}

fn acknowledged(reason: impl Into<String>) -> Outcome {
    Outcome::Acknowledged {
        reason: reason.into(),
    }
}

/// Handles one EventBridge event:
///
/// - *CodePipeline Pipeline Execution State Change*: on an alerted state
///   (`PIPELINE_ALERT_STATES`, default `FAILED`) one alert naming the failed
///   action(s) with the failing build's phase and log tail; on `SUCCEEDED`
///   after a failed execution, a "recovered" notice;
/// - *CodeBuild Build State Change*: `FAILED`, `FAULT`, `TIMED_OUT`,
///   `STOPPED` of a build not started by a pipeline (a pipeline's build is
///   in the pipeline's alert);
/// - stage and action state changes, and anything else: acknowledged.
///
/// Side effects: an S3 marker per alert (written before publishing, deleted
/// again when publishing fails), one SNS publish.
/// IAM: `codepipeline:ListActionExecutions`, `codepipeline:ListPipelineExecutions`,
/// `codebuild:BatchGetBuilds`, `logs:GetLogEvents`, `sns:Publish`,
/// `s3:PutObject`, `s3:DeleteObject`.
pub async fn handle<D: Ports>(event: Value, deps: &D) -> Result<Outcome, Error> {
    let event = match parse_event(&event) {
        Ok(event) => event,
        Err(error) => {
            warn!(error = %error, "invalid event");
            return Err(error.into());
        }
    };
    let outcome = match event {
        CodewardenEvent::PipelineExecutionStateChange(event) => {
            pipeline_changed(&event, deps).await
        }
        CodewardenEvent::BuildStateChange(event) => build_changed(&event, deps).await,
        CodewardenEvent::StageExecutionStateChange(_)
        | CodewardenEvent::ActionExecutionStateChange(_) => Ok(acknowledged(
            "stage and action changes are reported with their pipeline execution",
        )),
        other => Ok(acknowledged(format!("not handled: {}", other.kind()))),
    };
    match &outcome {
        Ok(outcome) => info!(outcome = ?outcome, "done"),
        Err(error) => warn!(error = %error, retryable = error.is_retryable(), "failed"),
    }
    outcome
}

fn origin<T: serde::Serialize + serde::de::DeserializeOwned>(
    event: &EventBridgeEvent<T>,
) -> Origin {
    Origin {
        account: event.account.clone().unwrap_or_default(),
        region: event.region.clone().unwrap_or_default(),
        time: event.time,
    }
}

async fn pipeline_changed<D: Ports>(
    event: &EventBridgeEvent<CodePipelineExecutionStateChange>,
    deps: &D,
) -> Result<Outcome, Error> {
    let detail = &event.detail;
    let state = detail.state.to_string();
    info!(pipeline = %detail.pipeline, execution_id = %detail.execution_id, state = %state, "pipeline execution state change");
    if detail.state == ExecutionState::Succeeded {
        return recovered(event, deps).await;
    }
    if !deps.config().alerts_on(&state) {
        return Ok(acknowledged(format!(
            "pipeline state {state} is not alerted"
        )));
    }
    let failed = deps
        .history()
        .failed_actions(&detail.pipeline, &detail.execution_id)
        .await?;
    let mut actions = Vec::with_capacity(failed.len());
    for action in failed {
        let mut report = ActionReport {
            build: None,
            build_problem: None,
            action,
        };
        let is_build = report.action.provider.as_deref() == Some("CodeBuild");
        if let (true, Some(id)) = (is_build, report.action.external_execution_id.clone()) {
            match deps.builds().build(&id).await {
                Ok(Some(facts)) => report.build = Some(build_report(facts, deps).await?),
                Ok(None) => {
                    report.build_problem = Some(format!("CodeBuild does not know build {id}"))
                }
                Err(error) if !error.is_retryable() => {
                    report.build_problem = Some(error.to_string())
                }
                Err(error) => return Err(error),
            }
        }
        actions.push(report);
    }
    let failure = PipelineFailure {
        pipeline: detail.pipeline.clone(),
        execution_id: detail.execution_id.clone(),
        state: state.clone(),
        actions,
    };
    let marker = format!(
        "{}pipeline/{}/{}/{}",
        deps.config().marker_prefix,
        detail.pipeline,
        detail.execution_id,
        state
    );
    send_once(failure.alert(&origin(event)), marker, deps).await
}

async fn recovered<D: Ports>(
    event: &EventBridgeEvent<CodePipelineExecutionStateChange>,
    deps: &D,
) -> Result<Outcome, Error> {
    let detail = &event.detail;
    let runs = deps.history().recent_executions(&detail.pipeline).await?;
    let Some(position) = runs
        .iter()
        .position(|r| r.execution_id == detail.execution_id)
    else {
        return Ok(acknowledged("execution not in the recent history"));
    };
    let this = &runs[position];
    // The previous execution that ran to an end; superseded or cancelled
    // ones say nothing about the pipeline's health.
    let previous = runs[position + 1..].iter().find(|r| {
        !matches!(
            r.status.as_str(),
            "InProgress" | "Stopping" | "Superseded" | "Cancelled"
        )
    });
    let Some(previous) = previous else {
        return Ok(acknowledged("no previous execution"));
    };
    let failed = previous.status == "Failed"
        || (previous.status == "Stopped" && deps.config().alerts_on("STOPPED"));
    if !failed {
        return Ok(acknowledged("previous execution did not fail"));
    }
    let succeeded_at: Option<DateTime<Utc>> = this.updated.or(event.time);
    let failed_at = previous.updated.or(previous.started);
    let recovery = Recovery {
        pipeline: detail.pipeline.clone(),
        execution_id: detail.execution_id.clone(),
        failed_execution_id: previous.execution_id.clone(),
        down_for: succeeded_at.zip(failed_at).map(|(ok, failed)| ok - failed),
    };
    let marker = format!(
        "{}pipeline/{}/{}/RECOVERED",
        deps.config().marker_prefix,
        detail.pipeline,
        detail.execution_id
    );
    send_once(recovery.alert(&origin(event)), marker, deps).await
}

async fn build_changed<D: Ports>(
    event: &EventBridgeEvent<CodeBuildStateChange>,
    deps: &D,
) -> Result<Outcome, Error> {
    let detail = &event.detail;
    let id = links::build_id(&detail.build_id).to_owned();
    info!(project = %detail.project_name, build_id = %id, status = %detail.build_status, "build state change");
    if !matches!(
        detail.build_status,
        BuildStatus::Failed | BuildStatus::Fault | BuildStatus::TimedOut | BuildStatus::Stopped
    ) {
        return Ok(acknowledged(format!(
            "build status {} is not alerted",
            detail.build_status
        )));
    }
    let info = detail.additional_information.clone().unwrap_or_default();
    if info
        .initiator
        .as_deref()
        .is_some_and(|i| i.starts_with("codepipeline/"))
    {
        return Ok(acknowledged(
            "build started by a pipeline: reported with the pipeline execution",
        ));
    }
    let from_event = facts_from_event(detail, &id, &info);
    let facts = if from_event.log.is_some() {
        from_event
    } else {
        // The event lacks the log location (it does on some failures
        // before the build ran): ask CodeBuild.
        deps.builds().build(&id).await?.unwrap_or(from_event)
    };
    let report = build_report(facts, deps).await?;
    let marker = format!(
        "{}build/{}",
        deps.config().marker_prefix,
        id.replacen(':', "/", 1)
    );
    send_once(build_alert(&report, &origin(event)), marker, deps).await
}

fn facts_from_event(
    detail: &CodeBuildStateChange,
    id: &str,
    info: &BuildInformation,
) -> BuildFacts {
    let failed_phase = info.failed_phase().map(|phase| FailedPhase {
        phase: phase.phase_type.clone().unwrap_or_default(),
        status: phase
            .phase_status
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        context: adapters::meaningful_context(phase.phase_context.iter().cloned()),
    });
    let log = info.logs.as_ref().and_then(|logs| {
        Some(LogStream {
            group: logs.group_name.clone()?,
            stream: logs.stream_name.clone()?,
        })
    });
    BuildFacts {
        id: id.to_owned(),
        project: detail.project_name.clone(),
        status: detail.build_status.to_string(),
        initiator: info.initiator.clone(),
        failed_phase,
        log,
    }
}

/// The build with its log tail, masked. A log that cannot be read for good
/// (deleted, no permission) is noted in the alert instead of blocking it.
async fn build_report<D: Ports>(facts: BuildFacts, deps: &D) -> Result<BuildReport, Error> {
    let mut report = BuildReport {
        facts,
        log_tail: Vec::new(),
        log_problem: None,
    };
    if let Some(log) = &report.facts.log {
        match deps.logs().tail(log, deps.config().log_tail_lines).await {
            Ok(lines) => {
                // The tail as one text: a key's body spans lines.
                let masked = Masked::new(&lines.join("\n"));
                report.log_tail = masked.lines().map(str::to_owned).collect();
            }
            Err(error) if !error.is_retryable() => report.log_problem = Some(error.to_string()),
            Err(error) => return Err(error),
        }
    }
    Ok(report)
}

/// Publishes `alert` unless `marker` says it was sent already. The marker
/// is written first so that two concurrent deliveries cannot both publish;
/// when publishing fails it is deleted and the error returned, so the
/// retry alerts.
async fn send_once<D: Ports>(alert: Alert, marker: String, deps: &D) -> Result<Outcome, Error> {
    if !deps.markers().claim(&marker).await? {
        info!(marker = %marker, "already alerted");
        return Ok(Outcome::Duplicate { marker });
    }
    // Everything in the alert that came from outside (phase contexts,
    // action errors and summaries, log lines) may quote a credential.
    let message = alert.render(deps.config().format);
    match deps.notifier().publish(&message).await {
        Ok(message_id) => {
            info!(marker = %marker, message_id = %message_id, severity = alert.severity.as_str(), "alert published");
            Ok(Outcome::Alerted { marker, message_id })
        }
        Err(error) => {
            if let Err(release) = deps.markers().release(&marker).await {
                warn!(marker = %marker, error = %release, "could not delete the marker after a failed publish");
            }
            Err(error)
        }
    }
}
