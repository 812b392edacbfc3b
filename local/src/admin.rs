//! The admin API under `/_admin`, for tests and demos: seed the CodePipeline
//! model, inject faults, read and reset call counters, read what
//! `PutApprovalResult` recorded. Plain JSON, not an AWS protocol; a seeding
//! mistake answers 400 with `{"__type", "message"}` naming it.
//!
//! | route | does |
//! |---|---|
//! | `POST /_admin/codepipeline/pipelines` | add or replace a pipeline |
//! | `POST /_admin/codepipeline/executions` | add or replace an execution |
//! | `POST /_admin/codepipeline/approvals` | open a manual approval |
//! | `GET /_admin/codepipeline/approvals` | approvals and their results |
//! | `POST /_admin/codebuild/builds` | add or replace a build (`BatchGetBuilds`) |
//! | `POST /_admin/faults`, `DELETE /_admin/faults` | inject / clear faults |
//! | `GET /_admin/calls`, `DELETE /_admin/calls` | read / reset call counters |
//! | `GET /_admin/health` | liveness |

use std::sync::Arc;

use axum::extract::State as AxState;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::codepipeline::Approval;
use crate::codepipeline::seed::{ApprovalSeed, ExecutionSeed, PipelineSeed};
use crate::faults::FaultSpec;
use crate::server::lock;
use crate::{ApiError, State};

pub fn router() -> Router<Arc<State>> {
    Router::new()
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/calls", get(calls).delete(reset_calls))
        .route("/codepipeline/pipelines", post(put_pipeline))
        .route("/codepipeline/executions", post(put_execution))
        .route("/codepipeline/approvals", post(add_approval).get(approvals))
        .route("/codebuild/builds", post(put_build))
        .route("/health", get(|| async { "ok" }))
}

/// `POST /_admin/faults {"operation": "GetPipelineState", "kind": "throttle", "count": 2}`:
/// the next 2 calls of the operation (`"*"`: of any operation) fail. Kinds:
/// `throttle` (400 `ThrottlingException`), `server_error` (500
/// `InternalFailure`), `service_unavailable` (503 `ServiceUnavailable`).
/// Answers `{"ok": true}`.
async fn add_fault(
    AxState(state): AxState<Arc<State>>,
    Json(spec): Json<FaultSpec>,
) -> Json<Value> {
    lock(&state.faults).add(spec);
    Json(json!({"ok": true}))
}

/// `DELETE /_admin/faults`: drops every pending fault.
async fn clear_faults(AxState(state): AxState<Arc<State>>) -> Json<Value> {
    lock(&state.faults).clear();
    Json(json!({"ok": true}))
}

/// `GET /_admin/calls`: `{"GetPipelineState": 3, ...}`, faulted calls included.
async fn calls(AxState(state): AxState<Arc<State>>) -> Json<Value> {
    Json(serde_json::to_value(&*lock(&state.calls)).unwrap_or_default())
}

/// `DELETE /_admin/calls`: resets every counter, so a test can count the
/// calls of one step only. Answers `{"ok": true}`.
async fn reset_calls(AxState(state): AxState<Arc<State>>) -> Json<Value> {
    lock(&state.calls).clear();
    Json(json!({"ok": true}))
}

/// `POST /_admin/codepipeline/pipelines`: adds a pipeline, or replaces the
/// one with that name (dropping its executions and approvals).
///
/// ```json
/// {"name": "web", "stages": [
///   {"name": "Source", "actions": [{"name": "Source", "category": "Source"}]},
///   {"name": "Build", "actions": [{"name": "Build", "category": "Build",
///                                  "configuration": {"ProjectName": "app"}}]},
///   {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]}]}
/// ```
///
/// Answers `{"name": "web", "version": 1}`. Defaults (owner `AWS`, provider
/// by category, version `"1"`, ...) are listed on [`PipelineSeed`].
async fn put_pipeline(
    AxState(state): AxState<Arc<State>>,
    Json(seed): Json<PipelineSeed>,
) -> Result<Json<Value>, ApiError> {
    lock(&state.codepipeline).put_pipeline(seed).map(Json)
}

/// `POST /_admin/codepipeline/executions`: adds an execution of a seeded
/// pipeline, or replaces the one with that `pipelineExecutionId`.
///
/// ```json
/// {"pipelineName": "web", "pipelineExecutionId": "e-1", "status": "Failed",
///  "startTime": 1767225600, "lastUpdateTime": 1767225900,
///  "artifactRevisions": [{"revisionId": "4c1f...", "revisionSummary": "fix login",
///                         "revisionUrl": "https://..."}],
///  "actions": [
///    {"stageName": "Source", "actionName": "Source", "status": "Succeeded"},
///    {"stageName": "Build", "actionName": "Build", "status": "Failed",
///     "errorCode": "JobFailed", "errorMessage": "Build terminated with state: FAILED",
///     "externalExecutionId": "app:1234", "externalExecutionUrl": "https://...",
///     "summary": "1 test failed"}]}
/// ```
///
/// Answers `{"pipelineExecutionId": "e-1"}` (generated when omitted).
/// Defaults are listed on [`ExecutionSeed`].
async fn put_execution(
    AxState(state): AxState<Arc<State>>,
    Json(seed): Json<ExecutionSeed>,
) -> Result<Json<Value>, ApiError> {
    lock(&state.codepipeline).put_execution(seed).map(Json)
}

/// `POST /_admin/codepipeline/approvals`: opens a manual approval on an
/// `Approval` action of the pipeline's newest execution (or of
/// `pipelineExecutionId`); the action turns `InProgress` with the token.
///
/// ```json
/// {"pipelineName": "web", "stageName": "Approve", "actionName": "Approve", "token": "tok-1"}
/// ```
///
/// Answers the approval, as `GET` lists it (the token is generated when omitted).
async fn add_approval(
    AxState(state): AxState<Arc<State>>,
    Json(seed): Json<ApprovalSeed>,
) -> Result<Json<Approval>, ApiError> {
    lock(&state.codepipeline).add_approval(seed).map(Json)
}

/// `GET /_admin/codepipeline/approvals`: every approval with what
/// `PutApprovalResult` recorded:
///
/// ```json
/// [{"pipelineName": "web", "stageName": "Approve", "actionName": "Approve",
///   "pipelineExecutionId": "e-1", "token": "tok-1", "status": "Approved",
///   "summary": "lgtm", "approvedAt": "2026-01-01T00:05:00.123Z"}]
/// ```
///
/// `status` is `Pending` until decided (then `summary` and `approvedAt` are absent).
async fn approvals(AxState(state): AxState<Arc<State>>) -> Json<Vec<Approval>> {
    Json(lock(&state.codepipeline).approvals())
}

/// `POST /_admin/codebuild/builds`: adds a build, or replaces the one with
/// that `id`; the body is a `Build` as `BatchGetBuilds` answers it (see
/// [`crate::codebuild::Model::put_build`]). Answers `{"id": "PROJECT:UUID"}`.
async fn put_build(
    AxState(state): AxState<Arc<State>>,
    Json(seed): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let (region, account) = (&state.config.region, &state.config.account_id);
    lock(&state.codebuild)
        .put_build(seed, region, account)
        .map(Json)
}
