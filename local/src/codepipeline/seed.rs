//! The JSON that `/_admin/codepipeline/...` accepts to seed the
//! CodePipeline [`Model`], and how it becomes model entries.
//!
//! Every field a test rarely cares about has a default, so a test writes
//! only what it asserts on. Names are camelCase like the API's. Times are
//! epoch seconds (`1767225600`) or RFC 3339 (`"2026-01-01T00:00:00Z"`).
//! Statuses, categories and owners are checked against the API's enums so
//! that a typo fails the seeding call instead of confusing the SDK.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Action, ActionRun, ActionTypeId, Approval, ApprovalStatus, Artifact, ErrorDetails, Execution,
    Model, Pipeline, Stage, Ts, now, pipeline_not_found,
};
use crate::ApiError;

/// `POST /_admin/codepipeline/pipelines`: a pipeline's structure.
///
/// ```json
/// {"name": "web", "stages": [
///   {"name": "Source", "actions": [{"name": "Source", "category": "Source",
///     "configuration": {"RepositoryName": "app", "BranchName": "main"}}]},
///   {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]}]}
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSeed {
    pub name: String,
    /// Default 1.
    pub version: Option<i32>,
    /// `QUEUED`, `SUPERSEDED` (default) or `PARALLEL`.
    pub execution_mode: Option<String>,
    #[serde(default)]
    pub stages: Vec<StageSeed>,
    /// Default: now.
    pub created: Option<TimeSeed>,
    /// Default: `created`.
    pub updated: Option<TimeSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StageSeed {
    pub name: String,
    #[serde(default)]
    pub actions: Vec<ActionSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionSeed {
    pub name: String,
    /// `Source`, `Build`, `Test`, `Deploy`, `Approval`, `Invoke` or `Compute`.
    pub category: String,
    /// Default `AWS`.
    pub owner: Option<String>,
    /// Default by category: `CodeCommit`, `CodeBuild`, `CodeDeploy`, `Manual`,
    /// `Lambda`, `Commands`.
    pub provider: Option<String>,
    /// Default `"1"`.
    pub version: Option<String>,
    #[serde(default)]
    pub configuration: BTreeMap<String, String>,
    /// Default: the server's region.
    pub region: Option<String>,
}

/// `POST /_admin/codepipeline/executions`: an execution and the actions it
/// ran. Posting an existing `pipelineExecutionId` again replaces that
/// execution (recorded approvals stay).
///
/// ```json
/// {"pipelineName": "web", "pipelineExecutionId": "e-1", "status": "Failed",
///  "startTime": 1767225600,
///  "artifactRevisions": [{"revisionId": "4c1f...", "revisionSummary": "fix login"}],
///  "actions": [
///    {"stageName": "Source", "actionName": "Source"},
///    {"stageName": "Build", "actionName": "Build", "status": "Failed",
///     "errorCode": "JobFailed", "errorMessage": "Build terminated with state: FAILED",
///     "externalExecutionId": "app-build:1234"}]}
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionSeed {
    pub pipeline_name: String,
    /// Default: a generated UUID-shaped id (the response carries it).
    pub pipeline_execution_id: Option<String>,
    /// Default `InProgress`.
    pub status: Option<String>,
    pub status_summary: Option<String>,
    /// Default: the pipeline's version.
    pub pipeline_version: Option<i32>,
    /// Default: now.
    pub start_time: Option<TimeSeed>,
    /// Default: `startTime`.
    pub last_update_time: Option<TimeSeed>,
    #[serde(default)]
    pub artifact_revisions: Vec<ArtifactRevisionSeed>,
    pub trigger: Option<TriggerSeed>,
    #[serde(default)]
    pub actions: Vec<ActionExecutionSeed>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactRevisionSeed {
    /// Default `SourceArtifact`.
    pub name: Option<String>,
    /// The source action that produced it, for `sourceRevisions` in
    /// `ListPipelineExecutions`. Default: the pipeline's first Source action.
    pub action_name: Option<String>,
    pub revision_id: Option<String>,
    pub revision_change_identifier: Option<String>,
    pub revision_summary: Option<String>,
    pub revision_url: Option<String>,
    pub created: Option<TimeSeed>,
}

/// Passed through as the execution's `trigger`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerSeed {
    pub trigger_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_detail: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionExecutionSeed {
    pub stage_name: String,
    pub action_name: String,
    /// Default: generated.
    pub action_execution_id: Option<String>,
    /// `InProgress`, `Succeeded` (default), `Failed` or `Abandoned`.
    pub status: Option<String>,
    /// Both `summary` in `GetPipelineState` and
    /// `executionResult.externalExecutionSummary` in `ListActionExecutions`.
    pub summary: Option<String>,
    /// `errorDetails.code` / `.message`.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub external_execution_id: Option<String>,
    pub external_execution_url: Option<String>,
    /// Default: the execution's `startTime`.
    pub start_time: Option<TimeSeed>,
    /// Default: the later of this action's start and the execution's `lastUpdateTime`.
    pub last_update_time: Option<TimeSeed>,
    /// Default: the action's configuration in the pipeline.
    pub configuration: Option<BTreeMap<String, String>>,
    /// Default: `configuration` (no variables to resolve).
    pub resolved_configuration: Option<BTreeMap<String, String>>,
}

/// `POST /_admin/codepipeline/approvals`: a manual approval now waiting
/// for `PutApprovalResult`. The action (category `Approval`) turns
/// `InProgress` with this token in `GetPipelineState`.
///
/// ```json
/// {"pipelineName": "web", "stageName": "Approve", "actionName": "Approve", "token": "tok-1"}
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalSeed {
    pub pipeline_name: String,
    pub stage_name: String,
    pub action_name: String,
    /// Default: a generated UUID-shaped token (the response carries it).
    pub token: Option<String>,
    /// Default: the pipeline's newest execution.
    pub pipeline_execution_id: Option<String>,
}

/// A seeded time: epoch seconds, as the API sends them, or RFC 3339.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum TimeSeed {
    EpochSeconds(f64),
    Rfc3339(DateTime<Utc>),
}

impl TimeSeed {
    fn resolve(&self) -> Result<Ts, ApiError> {
        match self {
            // The saturating cast is fine: out-of-range values are refused just below.
            Self::EpochSeconds(seconds) => {
                DateTime::from_timestamp_millis((seconds * 1000.0).round() as i64)
                    .ok_or_else(|| invalid(format!("time {seconds} is out of range")))
            }
            Self::Rfc3339(t) => Ok(t.trunc_subsecs(3)),
        }
    }
}

fn time_or(seed: Option<&TimeSeed>, default: Ts) -> Result<Ts, ApiError> {
    seed.map_or(Ok(default), TimeSeed::resolve)
}

const EXECUTION_STATUSES: &[&str] = &[
    "Cancelled",
    "InProgress",
    "Stopped",
    "Stopping",
    "Succeeded",
    "Superseded",
    "Failed",
];
const ACTION_STATUSES: &[&str] = &["Abandoned", "InProgress", "Succeeded", "Failed"];
const CATEGORIES: &[&str] = &[
    "Source", "Build", "Test", "Deploy", "Approval", "Invoke", "Compute",
];
const OWNERS: &[&str] = &["AWS", "Custom", "ThirdParty"];
const EXECUTION_MODES: &[&str] = &["QUEUED", "SUPERSEDED", "PARALLEL"];

fn one_of(value: String, field: &str, allowed: &[&str]) -> Result<String, ApiError> {
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(invalid(format!(
            "{field} '{value}' is not one of {allowed:?}"
        )))
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::validation(message)
}

/// UUID-shaped like the ids AWS hands out, but counted so runs are reproducible.
fn new_id(next_id: &mut u64) -> String {
    *next_id += 1;
    format!("00000000-0000-4000-8000-{:012x}", *next_id)
}

impl Model {
    /// Adds a pipeline, or replaces the one with the same name together
    /// with its executions and approvals. Answers `{"name", "version"}`.
    pub fn put_pipeline(&mut self, seed: PipelineSeed) -> Result<Value, ApiError> {
        if seed.name.is_empty() {
            return Err(invalid("a pipeline needs a name".into()));
        }
        let created = time_or(seed.created.as_ref(), now())?;
        let updated = time_or(seed.updated.as_ref(), created)?;
        let mut stages: Vec<Stage> = Vec::new();
        for stage in seed.stages {
            if stages.iter().any(|s| s.name == stage.name) {
                return Err(invalid(format!("stage '{}' appears twice", stage.name)));
            }
            let mut actions: Vec<Action> = Vec::new();
            for action in stage.actions {
                if actions.iter().any(|a| a.name == action.name) {
                    return Err(invalid(format!(
                        "action '{}' appears twice in stage '{}'",
                        action.name, stage.name
                    )));
                }
                actions.push(Action::from_seed(action)?);
            }
            stages.push(Stage {
                name: stage.name,
                actions,
            });
        }
        let version = seed.version.unwrap_or(1);
        let pipeline = Pipeline {
            name: seed.name.clone(),
            version,
            execution_mode: one_of(
                seed.execution_mode.unwrap_or_else(|| "SUPERSEDED".into()),
                "executionMode",
                EXECUTION_MODES,
            )?,
            created,
            updated,
            stages,
            executions: Vec::new(),
            approvals: Vec::new(),
        };
        self.pipelines.insert(seed.name.clone(), pipeline);
        Ok(json!({ "name": seed.name, "version": version }))
    }

    /// Adds (or replaces) an execution. Answers `{"pipelineExecutionId"}`.
    pub fn put_execution(&mut self, seed: ExecutionSeed) -> Result<Value, ApiError> {
        let Model { pipelines, next_id } = self;
        let pipeline = pipelines
            .get_mut(&seed.pipeline_name)
            .ok_or_else(|| pipeline_not_found(&seed.pipeline_name))?;
        let id = seed
            .pipeline_execution_id
            .unwrap_or_else(|| new_id(next_id));
        let start = time_or(seed.start_time.as_ref(), now())?;
        let last_update = time_or(seed.last_update_time.as_ref(), start)?;
        let source_action = pipeline
            .stages
            .iter()
            .flat_map(|s| &s.actions)
            .find(|a| a.type_id.category == "Source")
            .map_or("Source", |a| a.name.as_str())
            .to_string();
        let artifacts = seed
            .artifact_revisions
            .into_iter()
            .map(|a| {
                Ok(Artifact {
                    name: a.name.unwrap_or_else(|| "SourceArtifact".into()),
                    action_name: a.action_name.unwrap_or_else(|| source_action.clone()),
                    revision_id: a.revision_id,
                    revision_change_identifier: a.revision_change_identifier,
                    revision_summary: a.revision_summary,
                    revision_url: a.revision_url,
                    created: a.created.as_ref().map(TimeSeed::resolve).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let mut runs = Vec::new();
        for run in seed.actions {
            let action = pipeline.action(&run.stage_name, &run.action_name)?;
            let run_start = time_or(run.start_time.as_ref(), start)?;
            let configuration = run
                .configuration
                .unwrap_or_else(|| action.configuration.clone());
            let error =
                (run.error_code.is_some() || run.error_message.is_some()).then(|| ErrorDetails {
                    code: run.error_code.unwrap_or_default(),
                    message: run.error_message.unwrap_or_default(),
                });
            runs.push(ActionRun {
                id: run.action_execution_id.unwrap_or_else(|| new_id(next_id)),
                type_id: action.type_id.clone(),
                region: action.region.clone(),
                status: one_of(
                    run.status.unwrap_or_else(|| "Succeeded".into()),
                    "status",
                    ACTION_STATUSES,
                )?,
                summary: run.summary,
                start: run_start,
                last_update: time_or(run.last_update_time.as_ref(), run_start.max(last_update))?,
                error,
                external_id: run.external_execution_id,
                external_url: run.external_execution_url,
                resolved_configuration: run
                    .resolved_configuration
                    .unwrap_or_else(|| configuration.clone()),
                configuration,
                token: None,
                stage: run.stage_name,
                action: run.action_name,
            });
        }
        let execution = Execution {
            id: id.clone(),
            status: one_of(
                seed.status.unwrap_or_else(|| "InProgress".into()),
                "status",
                EXECUTION_STATUSES,
            )?,
            status_summary: seed.status_summary,
            pipeline_version: seed.pipeline_version.unwrap_or(pipeline.version),
            start,
            last_update,
            artifacts,
            trigger: seed.trigger,
            runs,
        };
        match pipeline.executions.iter_mut().find(|e| e.id == id) {
            Some(existing) => *existing = execution,
            None => pipeline.executions.push(execution),
        }
        Ok(json!({ "pipelineExecutionId": id }))
    }

    /// Opens a manual approval: records it as pending and puts the action
    /// `InProgress` with the token in the execution. Answers the [`Approval`].
    pub fn add_approval(&mut self, seed: ApprovalSeed) -> Result<Approval, ApiError> {
        let now = now();
        let Model { pipelines, next_id } = self;
        let pipeline = pipelines
            .get_mut(&seed.pipeline_name)
            .ok_or_else(|| pipeline_not_found(&seed.pipeline_name))?;
        let action = pipeline.action(&seed.stage_name, &seed.action_name)?;
        if action.type_id.category != "Approval" {
            return Err(invalid(format!(
                "action '{}' has category '{}': only Approval actions wait for PutApprovalResult",
                action.name, action.type_id.category
            )));
        }
        let (type_id, region, configuration) = (
            action.type_id.clone(),
            action.region.clone(),
            action.configuration.clone(),
        );
        if pipeline.approvals.iter().any(|a| {
            a.stage_name == seed.stage_name
                && a.action_name == seed.action_name
                && a.status == ApprovalStatus::Pending
        }) {
            return Err(invalid(format!(
                "action '{}' already waits for an approval: decide it first",
                seed.action_name
            )));
        }
        let execution_id = match seed.pipeline_execution_id {
            Some(id) => id,
            None => pipeline
                .executions_newest_first()
                .first()
                .map(|e| e.id.clone())
                .ok_or_else(|| {
                    invalid(format!(
                        "pipeline '{}' has no execution: seed one first",
                        pipeline.name
                    ))
                })?,
        };
        let token = seed.token.unwrap_or_else(|| new_id(next_id));
        let pipeline_name = pipeline.name.clone();
        let execution = pipeline
            .executions
            .iter_mut()
            .find(|e| e.id == execution_id)
            .ok_or_else(|| {
                invalid(format!(
                    "pipeline '{pipeline_name}' has no execution '{execution_id}'"
                ))
            })?;
        match execution
            .runs
            .iter_mut()
            .rev()
            .find(|r| r.stage == seed.stage_name && r.action == seed.action_name)
        {
            Some(run) => {
                run.status = "InProgress".into();
                run.summary = None;
                run.error = None;
                run.last_update = now;
                run.token = Some(token.clone());
                // For approvals, AWS reports the token as the external
                // execution id (the documented way to find it in PARALLEL mode).
                run.external_id = Some(token.clone());
            }
            None => execution.runs.push(ActionRun {
                id: new_id(next_id),
                stage: seed.stage_name.clone(),
                action: seed.action_name.clone(),
                type_id,
                region,
                status: "InProgress".into(),
                summary: None,
                start: now,
                last_update: now,
                error: None,
                external_id: Some(token.clone()),
                external_url: None,
                resolved_configuration: configuration.clone(),
                configuration,
                token: Some(token.clone()),
            }),
        }
        let approval = Approval {
            pipeline_name,
            stage_name: seed.stage_name,
            action_name: seed.action_name,
            pipeline_execution_id: execution_id,
            token,
            status: ApprovalStatus::Pending,
            summary: None,
            approved_at: None,
        };
        pipeline.approvals.push(approval.clone());
        Ok(approval)
    }

    /// Every approval, pending or decided, by pipeline then in request order.
    pub fn approvals(&self) -> Vec<Approval> {
        self.pipelines
            .values()
            .flat_map(|p| p.approvals.iter().cloned())
            .collect()
    }
}

impl Action {
    fn from_seed(seed: ActionSeed) -> Result<Self, ApiError> {
        let category = one_of(seed.category, "category", CATEGORIES)?;
        let provider = seed.provider.unwrap_or_else(|| {
            match category.as_str() {
                "Source" => "CodeCommit",
                "Build" | "Test" => "CodeBuild",
                "Deploy" => "CodeDeploy",
                "Approval" => "Manual",
                "Invoke" => "Lambda",
                _ => "Commands",
            }
            .into()
        });
        Ok(Self {
            name: seed.name,
            type_id: ActionTypeId {
                category,
                owner: one_of(seed.owner.unwrap_or_else(|| "AWS".into()), "owner", OWNERS)?,
                provider,
                version: seed.version.unwrap_or_else(|| "1".into()),
            },
            configuration: seed.configuration,
            region: seed.region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeded() -> Result<Model, Box<dyn std::error::Error>> {
        let mut model = Model::default();
        model.put_pipeline(serde_json::from_value(json!({
            "name": "web",
            "stages": [
                {"name": "Source", "actions": [{"name": "Source", "category": "Source"}]},
                {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]},
            ]
        }))?)?;
        Ok(model)
    }

    #[test]
    fn an_execution_naming_an_unknown_action_is_refused() -> Result<(), Box<dyn std::error::Error>>
    {
        let mut model = seeded()?;
        let err = model
            .put_execution(serde_json::from_value(json!({
                "pipelineName": "web",
                "actions": [{"stageName": "Source", "actionName": "Typo"}]
            }))?)
            .unwrap_err();
        assert_eq!(err.code, "ActionNotFoundException");
        Ok(())
    }

    #[test]
    fn a_misspelt_status_is_refused() -> Result<(), Box<dyn std::error::Error>> {
        let mut model = seeded()?;
        let seed = serde_json::from_value(json!({"pipelineName": "web", "status": "FAILED"}))?;
        assert!(
            model
                .put_execution(seed)
                .unwrap_err()
                .message
                .contains("FAILED")
        );
        Ok(())
    }

    #[test]
    fn only_approval_actions_take_approvals() -> Result<(), Box<dyn std::error::Error>> {
        let mut model = seeded()?;
        model.put_execution(serde_json::from_value(json!({"pipelineName": "web"}))?)?;
        let seed = |action: &str| {
            serde_json::from_value::<ApprovalSeed>(
                json!({"pipelineName": "web", "stageName": action, "actionName": action}),
            )
        };
        assert!(model.add_approval(seed("Source")?).is_err());
        let approval = model.add_approval(seed("Approve")?)?;
        assert_eq!(approval.status, ApprovalStatus::Pending);
        // A second request while the first one waits is a test mistake.
        assert!(model.add_approval(seed("Approve")?).is_err());
        Ok(())
    }

    #[test]
    fn times_are_epoch_seconds_or_rfc3339() -> Result<(), Box<dyn std::error::Error>> {
        let a: TimeSeed = serde_json::from_value(json!(1_767_225_600.5))?;
        let b: TimeSeed = serde_json::from_value(json!("2026-01-01T00:00:00.500Z"))?;
        assert_eq!(a.resolve()?, b.resolve()?);
        Ok(())
    }
}
