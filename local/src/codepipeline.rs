//! The CodePipeline API subset the functions call, answered from an
//! in-memory [`Model`] that tests seed through the admin API ([`seed`] has
//! the JSON shapes).
//!
//! Implemented: `GetPipelineExecution`, `ListPipelineExecutions`,
//! `ListActionExecutions`, `GetPipelineState`, `PutApprovalResult`. Member
//! names, enum values and error codes are those of aws-sdk-codepipeline 1.131
//! (the SDK turns `__type` into its typed errors); timestamps are epoch
//! seconds, as AWS JSON 1.1 sends them.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, SubsecRound, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::server::lock;
use crate::{ApiError, State};

pub mod seed;

type Ts = DateTime<Utc>;

/// Pipelines with their executions, action executions and approvals,
/// seeded by tests through `/_admin/codepipeline/...`.
#[derive(Debug, Default)]
pub struct Model {
    pipelines: BTreeMap<String, Pipeline>,
    /// Counter behind generated execution ids, action execution ids and tokens.
    next_id: u64,
}

#[derive(Debug)]
struct Pipeline {
    name: String,
    version: i32,
    execution_mode: String,
    created: Ts,
    updated: Ts,
    stages: Vec<Stage>,
    /// In seeding order; listings sort them by start time.
    executions: Vec<Execution>,
    /// Every approval request ever made, pending or decided.
    approvals: Vec<Approval>,
}

#[derive(Debug)]
struct Stage {
    name: String,
    actions: Vec<Action>,
}

#[derive(Debug)]
struct Action {
    name: String,
    type_id: ActionTypeId,
    configuration: BTreeMap<String, String>,
    region: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionTypeId {
    category: String,
    owner: String,
    provider: String,
    version: String,
}

#[derive(Debug)]
struct Execution {
    id: String,
    status: String,
    status_summary: Option<String>,
    pipeline_version: i32,
    start: Ts,
    last_update: Ts,
    artifacts: Vec<Artifact>,
    trigger: Option<seed::TriggerSeed>,
    /// Action executions in the order they ran; an action may run twice
    /// (retry), and the last run is its current state.
    runs: Vec<ActionRun>,
}

#[derive(Debug)]
struct Artifact {
    name: String,
    action_name: String,
    revision_id: Option<String>,
    revision_change_identifier: Option<String>,
    revision_summary: Option<String>,
    revision_url: Option<String>,
    created: Option<Ts>,
}

#[derive(Debug)]
struct ActionRun {
    id: String,
    stage: String,
    action: String,
    type_id: ActionTypeId,
    region: Option<String>,
    status: String,
    summary: Option<String>,
    start: Ts,
    last_update: Ts,
    error: Option<ErrorDetails>,
    external_id: Option<String>,
    external_url: Option<String>,
    configuration: BTreeMap<String, String>,
    resolved_configuration: BTreeMap<String, String>,
    /// Set while a manual approval waits for `PutApprovalResult`.
    token: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct ErrorDetails {
    code: String,
    message: String,
}

/// A manual approval request and, once decided, its result: what
/// `GET /_admin/codepipeline/approvals` answers, so a test can assert what
/// `PutApprovalResult` recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    pub pipeline_execution_id: String,
    pub token: String,
    pub status: ApprovalStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
}

pub fn handle(state: &State, operation: &str, input: Value) -> Result<Value, ApiError> {
    let mut model = lock(&state.codepipeline);
    let output = match operation {
        "GetPipelineExecution" => model.get_pipeline_execution(parse(input)?),
        "ListPipelineExecutions" => model.list_pipeline_executions(parse(input)?),
        "ListActionExecutions" => model.list_action_executions(parse(input)?, &state.config.region),
        "GetPipelineState" => model.get_pipeline_state(parse(input)?),
        "PutApprovalResult" => model.put_approval_result(parse(input)?, now()),
        _ => Err(ApiError::unknown_operation(operation)),
    }?;
    Ok(without_nulls(output))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetPipelineExecutionInput {
    pipeline_name: Option<String>,
    pipeline_execution_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPipelineExecutionsInput {
    pipeline_name: Option<String>,
    max_results: Option<i32>,
    next_token: Option<String>,
    filter: Option<PipelineExecutionFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PipelineExecutionFilter {
    succeeded_in_stage: Option<SucceededInStageFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SucceededInStageFilter {
    stage_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListActionExecutionsInput {
    pipeline_name: Option<String>,
    filter: Option<ActionExecutionFilter>,
    max_results: Option<i32>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionExecutionFilter {
    pipeline_execution_id: Option<String>,
    latest_in_pipeline_execution: Option<LatestInPipelineExecutionFilter>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LatestInPipelineExecutionFilter {
    pipeline_execution_id: Option<String>,
    start_time_range: Option<String>,
}

/// What `PutApprovalResult` accepts as `result.summary`, in characters.
const MAX_APPROVAL_SUMMARY_CHARS: usize = 512;

#[derive(Deserialize)]
struct GetPipelineStateInput {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PutApprovalResultInput {
    pipeline_name: Option<String>,
    stage_name: Option<String>,
    action_name: Option<String>,
    result: Option<ApprovalResultInput>,
    token: Option<String>,
}

#[derive(Deserialize)]
struct ApprovalResultInput {
    summary: Option<String>,
    status: Option<String>,
}

impl Model {
    fn pipeline(&self, name: &str) -> Result<&Pipeline, ApiError> {
        self.pipelines
            .get(name)
            .ok_or_else(|| pipeline_not_found(name))
    }

    fn get_pipeline_execution(&self, input: GetPipelineExecutionInput) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(&required(input.pipeline_name, "pipelineName")?)?;
        let execution = pipeline.execution(&required(
            input.pipeline_execution_id,
            "pipelineExecutionId",
        )?)?;
        Ok(json!({
            "pipelineExecution": {
                "pipelineName": pipeline.name,
                "pipelineVersion": execution.pipeline_version,
                "pipelineExecutionId": execution.id,
                "status": execution.status,
                "statusSummary": execution.status_summary,
                "artifactRevisions": execution.artifacts.iter().map(Artifact::to_revision).collect::<Vec<_>>(),
                "trigger": execution.trigger,
                "executionMode": pipeline.execution_mode,
                "executionType": "STANDARD",
            }
        }))
    }

    fn list_pipeline_executions(
        &self,
        input: ListPipelineExecutionsInput,
    ) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(&required(input.pipeline_name, "pipelineName")?)?;
        let succeeded_in = input
            .filter
            .and_then(|f| f.succeeded_in_stage)
            .map(|f| required(f.stage_name, "filter.succeededInStage.stageName"))
            .transpose()?;
        let mut executions = pipeline.executions_newest_first();
        if let Some(stage_name) = &succeeded_in {
            let stage = pipeline.stage(stage_name)?;
            executions.retain(|e| stage_status(stage, e) == Some("Succeeded"));
        }
        // The token remembers the listing it belongs to, so a token reused
        // with another pipeline or filter is refused as AWS refuses it.
        let scope = format!(
            "ListPipelineExecutions/{}/{}",
            pipeline.name,
            succeeded_in.unwrap_or_default()
        );
        let (page, next_token) = page(
            executions,
            input.max_results,
            input.next_token.as_deref(),
            &scope,
        )?;
        let summaries: Vec<Value> = page.iter().map(|e| e.to_summary(pipeline)).collect();
        Ok(json!({ "pipelineExecutionSummaries": summaries, "nextToken": next_token }))
    }

    fn list_action_executions(
        &self,
        input: ListActionExecutionsInput,
        region: &str,
    ) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(&required(input.pipeline_name, "pipelineName")?)?;
        let filter = input.filter.unwrap_or(ActionExecutionFilter {
            pipeline_execution_id: None,
            latest_in_pipeline_execution: None,
        });
        // `latestInPipelineExecution`: the runs of one execution, each
        // action's latest run only (`Latest`) or every attempt (`All`).
        let (execution_id, latest_only) = match filter.latest_in_pipeline_execution {
            Some(latest) => {
                let id = required(
                    latest.pipeline_execution_id,
                    "filter.latestInPipelineExecution.pipelineExecutionId",
                )?;
                let range = required(
                    latest.start_time_range,
                    "filter.latestInPipelineExecution.startTimeRange",
                )?;
                let latest_only = match range.as_str() {
                    "Latest" => true,
                    "All" => false,
                    other => {
                        return Err(ApiError::validation(format!(
                            "1 validation error detected: Value '{other}' at \
                             'filter.latestInPipelineExecution.startTimeRange' failed to satisfy \
                             constraint: Member must satisfy enum value set: [Latest, All]"
                        )));
                    }
                };
                if filter
                    .pipeline_execution_id
                    .as_ref()
                    .is_some_and(|other| *other != id)
                {
                    return Err(ApiError::validation(
                        "filter.pipelineExecutionId and filter.latestInPipelineExecution name different executions",
                    ));
                }
                (Some(id), latest_only)
            }
            None => (filter.pipeline_execution_id, false),
        };
        let executions = match &execution_id {
            Some(id) => vec![pipeline.execution(id)?],
            None => pipeline.executions_newest_first(),
        };
        // Newest first, as AWS lists them: by start time, then the later
        // execution and the later action on ties.
        // (execution rank, position in the execution, execution, run)
        let mut runs: Vec<(usize, usize, &Execution, &ActionRun)> = executions
            .iter()
            .enumerate()
            .flat_map(|(rank, e)| {
                e.runs
                    .iter()
                    .enumerate()
                    .filter(move |(_, r)| {
                        !latest_only
                            || e.last_run(&r.stage, &r.action)
                                .is_some_and(|last| std::ptr::eq(last, *r))
                    })
                    .map(move |(i, r)| (rank, i, *e, r))
            })
            .collect();
        runs.sort_by(|a, b| {
            b.3.start
                .cmp(&a.3.start)
                .then(a.0.cmp(&b.0))
                .then(b.1.cmp(&a.1))
        });
        let scope = format!(
            "ListActionExecutions/{}/{}/{latest_only}",
            pipeline.name,
            execution_id.unwrap_or_default()
        );
        let (page, next_token) =
            page(runs, input.max_results, input.next_token.as_deref(), &scope)?;
        let details: Vec<Value> = page
            .iter()
            .map(|(_, _, e, r)| r.to_detail(e, region))
            .collect();
        Ok(json!({ "actionExecutionDetails": details, "nextToken": next_token }))
    }

    fn get_pipeline_state(&self, input: GetPipelineStateInput) -> Result<Value, ApiError> {
        let pipeline = self.pipeline(&required(input.name, "name")?)?;
        let executions = pipeline.executions_newest_first();
        let stage_states: Vec<Value> = pipeline
            .stages
            .iter()
            .map(|stage| {
                let latest = executions
                    .iter()
                    .find(|e| e.runs.iter().any(|r| r.stage == stage.name));
                let action_states: Vec<Value> = stage
                    .actions
                    .iter()
                    .map(|action| {
                        let run = executions
                            .iter()
                            .find_map(|e| e.last_run(&stage.name, &action.name));
                        json!({
                            "actionName": action.name,
                            "latestExecution": run.map(ActionRun::to_action_execution),
                        })
                    })
                    .collect();
                json!({
                    "stageName": stage.name,
                    "inboundTransitionState": { "enabled": true },
                    "latestExecution": latest.map(|e| json!({
                        "pipelineExecutionId": e.id,
                        "status": stage_status(stage, e),
                    })),
                    "actionStates": action_states,
                })
            })
            .collect();
        Ok(json!({
            "pipelineName": pipeline.name,
            "pipelineVersion": pipeline.version,
            "stageStates": stage_states,
            "created": epoch_seconds(&pipeline.created),
            "updated": epoch_seconds(&pipeline.updated),
        }))
    }

    fn put_approval_result(
        &mut self,
        input: PutApprovalResultInput,
        now: Ts,
    ) -> Result<Value, ApiError> {
        let pipeline_name = required(input.pipeline_name, "pipelineName")?;
        let stage_name = required(input.stage_name, "stageName")?;
        let action_name = required(input.action_name, "actionName")?;
        let token = required(input.token, "token")?;
        let result = input.result.ok_or_else(|| missing("result"))?;
        let summary = required(result.summary, "result.summary")?;
        if summary.chars().count() > MAX_APPROVAL_SUMMARY_CHARS {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at 'result.summary' failed to satisfy \
                 constraint: Member must have length less than or equal to {MAX_APPROVAL_SUMMARY_CHARS}"
            )));
        }
        let (status, run_status) = match required(result.status, "result.status")?.as_str() {
            "Approved" => (ApprovalStatus::Approved, "Succeeded"),
            "Rejected" => (ApprovalStatus::Rejected, "Failed"),
            other => {
                return Err(ApiError::validation(format!(
                    "1 validation error detected: Value '{other}' at 'result.status' failed to satisfy \
                     constraint: Member must satisfy enum value set: [Approved, Rejected]"
                )));
            }
        };

        let pipeline = self
            .pipelines
            .get_mut(&pipeline_name)
            .ok_or_else(|| pipeline_not_found(&pipeline_name))?;
        pipeline.action(&stage_name, &action_name)?;
        let approval = pipeline
            .approvals
            .iter_mut()
            .find(|a| a.stage_name == stage_name && a.action_name == action_name && a.token == token)
            .ok_or_else(|| {
                ApiError::client(
                    "InvalidApprovalTokenException",
                    format!("The approval token is not valid for action '{action_name}' in stage '{stage_name}'"),
                )
            })?;
        if approval.status != ApprovalStatus::Pending {
            return Err(ApiError::client(
                "ApprovalAlreadyCompletedException",
                format!(
                    "The approval request for action '{action_name}' was already {:?}",
                    approval.status
                ),
            ));
        }
        approval.status = status;
        approval.summary = Some(summary.clone());
        approval.approved_at = Some(now);
        let execution_id = approval.pipeline_execution_id.clone();

        // The decision finishes the approval action; a rejection fails the
        // execution, as CodePipeline does.
        if let Some(execution) = pipeline
            .executions
            .iter_mut()
            .find(|e| e.id == execution_id)
        {
            if let Some(run) = execution
                .runs
                .iter_mut()
                .rev()
                .find(|r| r.stage == stage_name && r.action == action_name)
            {
                run.status = run_status.into();
                run.summary = Some(summary);
                run.token = None;
                run.last_update = now;
            }
            if status == ApprovalStatus::Rejected {
                execution.status = "Failed".into();
                execution.last_update = now;
            }
        }
        Ok(json!({ "approvedAt": epoch_seconds(&now) }))
    }
}

impl Pipeline {
    fn execution(&self, id: &str) -> Result<&Execution, ApiError> {
        self.executions.iter().find(|e| e.id == id).ok_or_else(|| {
            ApiError::client(
                "PipelineExecutionNotFoundException",
                format!(
                    "Pipeline execution '{id}' does not exist in pipeline '{}'",
                    self.name
                ),
            )
        })
    }

    /// Newest first: by start time, the later seeded first on ties.
    fn executions_newest_first(&self) -> Vec<&Execution> {
        let mut executions: Vec<(usize, &Execution)> = self.executions.iter().enumerate().collect();
        executions.sort_by(|(i, a), (j, b)| b.start.cmp(&a.start).then(j.cmp(i)));
        executions.into_iter().map(|(_, e)| e).collect()
    }

    fn stage(&self, name: &str) -> Result<&Stage, ApiError> {
        self.stages.iter().find(|s| s.name == name).ok_or_else(|| {
            ApiError::client(
                "StageNotFoundException",
                format!("Stage '{name}' does not exist in pipeline '{}'", self.name),
            )
        })
    }

    fn action(&self, stage: &str, name: &str) -> Result<&Action, ApiError> {
        self.stage(stage)?
            .actions
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| {
                ApiError::client(
                    "ActionNotFoundException",
                    format!(
                        "Action '{name}' does not exist in stage '{stage}' of pipeline '{}'",
                        self.name
                    ),
                )
            })
    }
}

impl Execution {
    /// The action's current run in this execution, if it ran.
    fn last_run(&self, stage: &str, action: &str) -> Option<&ActionRun> {
        self.runs
            .iter()
            .rev()
            .find(|r| r.stage == stage && r.action == action)
    }

    fn to_summary(&self, pipeline: &Pipeline) -> Value {
        // `SourceRevision.revisionId` is required by the model: revisions
        // seeded without one are not source revisions.
        let source_revisions: Vec<Value> = self
            .artifacts
            .iter()
            .filter(|a| a.revision_id.is_some())
            .map(|a| {
                json!({
                    "actionName": a.action_name,
                    "revisionId": a.revision_id,
                    "revisionSummary": a.revision_summary,
                    "revisionUrl": a.revision_url,
                })
            })
            .collect();
        json!({
            "pipelineExecutionId": self.id,
            "status": self.status,
            "statusSummary": self.status_summary,
            "startTime": epoch_seconds(&self.start),
            "lastUpdateTime": epoch_seconds(&self.last_update),
            "sourceRevisions": source_revisions,
            "trigger": self.trigger,
            "executionMode": pipeline.execution_mode,
            "executionType": "STANDARD",
        })
    }
}

impl Artifact {
    fn to_revision(&self) -> Value {
        json!({
            "name": self.name,
            "revisionId": self.revision_id,
            "revisionChangeIdentifier": self.revision_change_identifier,
            "revisionSummary": self.revision_summary,
            "revisionUrl": self.revision_url,
            "created": self.created.as_ref().map(epoch_seconds),
        })
    }
}

impl ActionRun {
    /// `ActionExecutionDetail`, as `ListActionExecutions` lists it.
    fn to_detail(&self, execution: &Execution, default_region: &str) -> Value {
        let has_result = self.external_id.is_some()
            || self.external_url.is_some()
            || self.summary.is_some()
            || self.error.is_some();
        let execution_result = has_result.then(|| {
            json!({
                "externalExecutionId": self.external_id,
                "externalExecutionSummary": self.summary,
                "externalExecutionUrl": self.external_url,
                "errorDetails": self.error,
            })
        });
        json!({
            "pipelineExecutionId": execution.id,
            "actionExecutionId": self.id,
            "pipelineVersion": execution.pipeline_version,
            "stageName": self.stage,
            "actionName": self.action,
            "startTime": epoch_seconds(&self.start),
            "lastUpdateTime": epoch_seconds(&self.last_update),
            "status": self.status,
            "input": {
                "actionTypeId": self.type_id,
                "configuration": self.configuration,
                "resolvedConfiguration": self.resolved_configuration,
                "region": self.region.as_deref().unwrap_or(default_region),
                "inputArtifacts": [],
            },
            "output": {
                "outputArtifacts": [],
                "executionResult": execution_result,
                "outputVariables": {},
            },
        })
    }

    /// `ActionExecution`, the action's latest run in `GetPipelineState`.
    fn to_action_execution(&self) -> Value {
        json!({
            "actionExecutionId": self.id,
            "status": self.status,
            "summary": self.summary,
            "lastStatusChange": epoch_seconds(&self.last_update),
            "token": self.token,
            "externalExecutionId": self.external_id,
            "externalExecutionUrl": self.external_url,
            "errorDetails": self.error,
        })
    }
}

/// A stage's status in one execution, derived from the current run of each
/// of its actions; `None` when the execution did not reach the stage.
fn stage_status(stage: &Stage, execution: &Execution) -> Option<&'static str> {
    let statuses: Vec<Option<&str>> = stage
        .actions
        .iter()
        .map(|a| {
            execution
                .last_run(&stage.name, &a.name)
                .map(|r| r.status.as_str())
        })
        .collect();
    let status = if statuses.iter().all(Option::is_none) {
        return None;
    } else if statuses.contains(&Some("Failed")) {
        "Failed"
    } else if statuses.contains(&Some("InProgress")) {
        "InProgress"
    } else if statuses.contains(&Some("Abandoned")) {
        "Cancelled"
    } else if statuses.iter().all(|s| *s == Some("Succeeded")) {
        "Succeeded"
    } else {
        // Some actions succeeded and later ones (higher run order) have not started.
        "InProgress"
    };
    Some(status)
}

/// One page of `items` after the offset carried by `next_token`.
fn page<T>(
    items: Vec<T>,
    max_results: Option<i32>,
    next_token: Option<&str>,
    scope: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = match max_results {
        None => 100,
        Some(n) => usize::try_from(n).ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
            ApiError::validation(format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: \
                 Member must have value between 1 and 100"
            ))
        })?,
    };
    let start = match next_token {
        None => 0,
        Some(token) => decode_token(token, scope)
            .filter(|offset| *offset <= items.len())
            .ok_or_else(|| {
                ApiError::client("InvalidNextTokenException", "The next token is not valid")
            })?,
    };
    let end = start.saturating_add(max).min(items.len());
    let next = (end < items.len()).then(|| BASE64.encode(format!("{scope}#{end}")));
    Ok((items.into_iter().skip(start).take(max).collect(), next))
}

fn decode_token(token: &str, scope: &str) -> Option<usize> {
    let text = String::from_utf8(BASE64.decode(token).ok()?).ok()?;
    let (token_scope, offset) = text.rsplit_once('#')?;
    if token_scope != scope {
        return None;
    }
    offset.parse().ok()
}

fn parse<T: DeserializeOwned>(input: Value) -> Result<T, ApiError> {
    ApiError::parse(input)
}

fn required(value: Option<String>, member: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing(member))
}

/// The message AWS's request validation gives for a missing member.
fn missing(member: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

fn pipeline_not_found(name: &str) -> ApiError {
    ApiError::client(
        "PipelineNotFoundException",
        format!("Account does not have a pipeline with name '{name}'"),
    )
}

/// Now, to the millisecond: the precision AWS timestamps carry.
fn now() -> Ts {
    Utc::now().trunc_subsecs(3)
}

/// AWS JSON 1.1 sends timestamps as epoch seconds. Whole seconds stay an
/// integer so that a seeded time reaches the SDK exactly.
fn epoch_seconds(t: &Ts) -> Value {
    let millis = t.timestamp_millis();
    if millis % 1000 == 0 {
        json!(millis / 1000)
    } else {
        json!(millis as f64 / 1000.0)
    }
}

/// Drops null members: AWS omits absent members rather than sending null,
/// and `json!` with `Option`s yields nulls.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_page_through_everything_once() -> Result<(), ApiError> {
        let items: Vec<u32> = (0..7).collect();
        let (first, token) = page(items.clone(), Some(3), None, "s")?;
        assert_eq!(first, [0, 1, 2]);
        let (second, token) = page(items.clone(), Some(3), token.as_deref(), "s")?;
        assert_eq!(second, [3, 4, 5]);
        let (third, token) = page(items.clone(), Some(3), token.as_deref(), "s")?;
        assert_eq!(third, [6]);
        assert_eq!(token, None);
        Ok(())
    }

    #[test]
    fn a_token_from_another_listing_is_refused() -> Result<(), ApiError> {
        let (_, token) = page(vec![1, 2, 3], Some(1), None, "pipeline-a")?;
        let err = page(vec![1, 2, 3], Some(1), token.as_deref(), "pipeline-b").unwrap_err();
        assert_eq!(err.code, "InvalidNextTokenException");
        Ok(())
    }

    #[test]
    fn max_results_outside_1_to_100_is_a_validation_error() {
        for bad in [0, 101, -1] {
            let err = page(vec![1], Some(bad), None, "s").unwrap_err();
            assert_eq!(err.code, "ValidationException", "maxResults {bad}");
        }
    }

    #[test]
    fn whole_second_timestamps_stay_integers() {
        let t = DateTime::from_timestamp_millis(1_767_225_600_000).unwrap();
        assert_eq!(epoch_seconds(&t), json!(1_767_225_600));
        let t = DateTime::from_timestamp_millis(1_767_225_600_250).unwrap();
        assert_eq!(epoch_seconds(&t), json!(1_767_225_600.25));
    }
}
