//! The CodePipeline subset of `local-aws`, driven through the real
//! `aws_sdk_codepipeline::Client`: what the functions will see. Each test
//! seeds its own server through the admin API, then asserts on what the SDK
//! parsed (typed statuses, timestamps, typed errors).

use std::collections::HashSet;

use anyhow::{Context, Result};
use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::primitives::DateTime;
use aws_sdk_codepipeline::types::{
    ActionCategory, ActionExecutionDetail, ActionExecutionFilter, ActionExecutionStatus,
    ActionOwner, ActionState, ApprovalResult, ApprovalStatus, ExecutionMode,
    PipelineExecutionStatus, StageExecutionStatus, StageState, TriggerType,
};
use e2e::LocalAws;
use serde_json::{Value, json};

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;

/// Source -> Build -> Approve -> Deploy, like the pipelines codewarden guards.
async fn start() -> Result<(LocalAws, Client)> {
    let aws = LocalAws::start().await?;
    aws.admin_post(
        "/codepipeline/pipelines",
        json!({
            "name": "web",
            "stages": [
                {"name": "Source", "actions": [{"name": "Source", "category": "Source",
                    "configuration": {"RepositoryName": "app", "BranchName": "main"}}]},
                {"name": "Build", "actions": [{"name": "Build", "category": "Build",
                    "configuration": {"ProjectName": "app-build"}}]},
                {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]},
                {"name": "Deploy", "actions": [{"name": "Deploy", "category": "Deploy", "region": "eu-west-1"}]},
            ]
        }),
    )
    .await?;
    let client = aws.codepipeline().await;
    Ok((aws, client))
}

async fn seed_execution(aws: &LocalAws, execution: Value) -> Result<()> {
    aws.admin_post("/codepipeline/executions", execution)
        .await?;
    Ok(())
}

/// An execution that built and then waits at the approval.
async fn seed_waiting_for_approval(aws: &LocalAws) -> Result<()> {
    seed_execution(
        aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "e-1", "startTime": T0,
               "actions": [{"stageName": "Source", "actionName": "Source"},
                           {"stageName": "Build", "actionName": "Build"}]}),
    )
    .await
}

/// Opens an approval with a generated token and returns the token.
async fn open_approval(aws: &LocalAws) -> Result<String> {
    let approval = aws
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": "web", "stageName": "Approve", "actionName": "Approve"}),
        )
        .await?;
    assert_eq!(approval["status"], "Pending");
    assert_eq!(
        approval["pipelineExecutionId"], "e-1",
        "defaults to the newest execution"
    );
    Ok(approval["token"]
        .as_str()
        .context("approval has no token")?
        .to_string())
}

fn approval(status: ApprovalStatus, summary: &str) -> Result<ApprovalResult> {
    Ok(ApprovalResult::builder()
        .status(status)
        .summary(summary)
        .build()?)
}

fn stage<'a>(stages: &'a [StageState], name: &str) -> Result<&'a StageState> {
    stages
        .iter()
        .find(|s| s.stage_name() == Some(name))
        .with_context(|| format!("no stage {name}"))
}

fn action<'a>(stage: &'a StageState, name: &str) -> Result<&'a ActionState> {
    stage
        .action_states()
        .iter()
        .find(|a| a.action_name() == Some(name))
        .with_context(|| format!("no action {name}"))
}

async fn approvals(aws: &LocalAws) -> Result<Vec<Value>> {
    Ok(aws
        .admin_get("/codepipeline/approvals")
        .await?
        .as_array()
        .context("approvals is not a list")?
        .clone())
}

#[tokio::test]
async fn get_pipeline_execution_returns_the_seeded_execution() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_execution(
        &aws,
        json!({
            "pipelineName": "web", "pipelineExecutionId": "e-1", "status": "Failed",
            "statusSummary": "Build failed", "startTime": T0,
            "trigger": {"triggerType": "CloudWatchEvent", "triggerDetail": "arn:aws:events:us-east-1:123456789012:rule/app"},
            "artifactRevisions": [{"revisionId": "4c1f9a0", "revisionSummary": "fix login",
                                   "revisionUrl": "https://console.aws.amazon.com/codecommit/app/commit/4c1f9a0"}],
        }),
    )
    .await?;

    let out = cp
        .get_pipeline_execution()
        .pipeline_name("web")
        .pipeline_execution_id("e-1")
        .send()
        .await?;

    let e = out.pipeline_execution().context("no pipelineExecution")?;
    assert_eq!(e.pipeline_name(), Some("web"));
    assert_eq!(e.pipeline_execution_id(), Some("e-1"));
    assert_eq!(e.pipeline_version(), Some(1));
    assert_eq!(e.status(), Some(&PipelineExecutionStatus::Failed));
    assert_eq!(e.status_summary(), Some("Build failed"));
    assert_eq!(e.execution_mode(), Some(&ExecutionMode::Superseded));
    let trigger = e.trigger().context("no trigger")?;
    assert_eq!(trigger.trigger_type(), Some(&TriggerType::CloudWatchEvent));
    let [revision] = e.artifact_revisions() else {
        panic!(
            "one artifact revision expected: {:?}",
            e.artifact_revisions()
        );
    };
    assert_eq!(revision.name(), Some("SourceArtifact"));
    assert_eq!(revision.revision_id(), Some("4c1f9a0"));
    assert_eq!(revision.revision_summary(), Some("fix login"));
    assert!(
        revision
            .revision_url()
            .is_some_and(|u| u.ends_with("/commit/4c1f9a0"))
    );
    Ok(())
}

#[tokio::test]
async fn list_pipeline_executions_pages_newest_first() -> Result<()> {
    let (aws, cp) = start().await?;
    // Seeded out of order: the listing must sort by start time, not by insertion.
    for k in [3, 0, 6, 1, 5, 2, 4] {
        seed_execution(
            &aws,
            json!({"pipelineName": "web", "pipelineExecutionId": format!("e-{k}"),
                   "status": "Succeeded", "startTime": T0 + 60 * k, "lastUpdateTime": T0 + 60 * k + 30,
                   "artifactRevisions": [{"revisionId": format!("rev-{k}"), "revisionSummary": format!("change {k}")}]}),
        )
        .await?;
    }

    let mut ids = Vec::new();
    let mut page_sizes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = cp
            .list_pipeline_executions()
            .pipeline_name("web")
            .max_results(3)
            .set_next_token(token.take())
            .send()
            .await?;
        let summaries = out.pipeline_execution_summaries();
        page_sizes.push(summaries.len());
        for s in summaries {
            let id = s.pipeline_execution_id().context("no id")?.to_string();
            let k: i64 = id.trim_start_matches("e-").parse()?;
            assert_eq!(
                s.start_time(),
                Some(&DateTime::from_secs(T0 + 60 * k)),
                "{id}"
            );
            assert_eq!(
                s.last_update_time(),
                Some(&DateTime::from_secs(T0 + 60 * k + 30)),
                "{id}"
            );
            assert_eq!(s.status(), Some(&PipelineExecutionStatus::Succeeded));
            let [source] = s.source_revisions() else {
                panic!("one source revision expected for {id}");
            };
            assert_eq!(
                source.action_name(),
                "Source",
                "defaults to the Source action"
            );
            assert_eq!(source.revision_id(), Some(format!("rev-{k}").as_str()));
            ids.push(id);
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(page_sizes, [3, 3, 1]);
    assert_eq!(ids, ["e-6", "e-5", "e-4", "e-3", "e-2", "e-1", "e-0"]);

    // The SDK's own paginator walks the same tokens.
    let all = cp
        .list_pipeline_executions()
        .pipeline_name("web")
        .max_results(2)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await?;
    let paginated: Vec<&str> = all
        .iter()
        .filter_map(|s| s.pipeline_execution_id())
        .collect();
    assert_eq!(paginated, ids);
    Ok(())
}

#[tokio::test]
async fn list_pipeline_executions_filters_on_a_succeeded_stage() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_execution(
        &aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "built", "startTime": T0,
               "actions": [{"stageName": "Build", "actionName": "Build"}]}),
    )
    .await?;
    seed_execution(
        &aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "broken", "startTime": T0 + 60,
               "actions": [{"stageName": "Build", "actionName": "Build", "status": "Failed"}]}),
    )
    .await?;

    let out = cp
        .list_pipeline_executions()
        .pipeline_name("web")
        .filter(
            aws_sdk_codepipeline::types::PipelineExecutionFilter::builder()
                .succeeded_in_stage(
                    aws_sdk_codepipeline::types::SucceededInStageFilter::builder()
                        .stage_name("Build")
                        .build(),
                )
                .build(),
        )
        .send()
        .await?;
    let ids: Vec<&str> = out
        .pipeline_execution_summaries()
        .iter()
        .filter_map(|s| s.pipeline_execution_id())
        .collect();
    assert_eq!(ids, ["built"]);
    Ok(())
}

/// Two executions: e-1 failed in Build, e-2 (later) built and is deploying.
async fn seed_two_runs(aws: &LocalAws) -> Result<()> {
    seed_execution(
        aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "e-1", "status": "Failed", "startTime": T0,
               "actions": [
                   {"stageName": "Source", "actionName": "Source"},
                   {"stageName": "Build", "actionName": "Build", "status": "Failed",
                    "startTime": T0 + 30, "lastUpdateTime": T0 + 200,
                    "summary": "1 test failed",
                    "errorCode": "JobFailed", "errorMessage": "Build terminated with state: FAILED",
                    "externalExecutionId": "app-build:11",
                    "externalExecutionUrl": "https://console.aws.amazon.com/codesuite/codebuild/projects/app-build/build/app-build:11"},
               ]}),
    )
    .await?;
    seed_execution(
        aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "e-2", "startTime": T0 + 600,
               "actions": [
                   {"stageName": "Source", "actionName": "Source"},
                   {"stageName": "Build", "actionName": "Build", "startTime": T0 + 630,
                    "externalExecutionId": "app-build:12"},
                   {"stageName": "Approve", "actionName": "Approve", "startTime": T0 + 800},
                   {"stageName": "Deploy", "actionName": "Deploy", "status": "InProgress", "startTime": T0 + 900},
               ]}),
    )
    .await
}

async fn list_action_executions(
    cp: &Client,
    execution: Option<&str>,
    max_results: i32,
) -> Result<Vec<ActionExecutionDetail>> {
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = cp
            .list_action_executions()
            .pipeline_name("web")
            .set_filter(execution.map(|id| {
                ActionExecutionFilter::builder()
                    .pipeline_execution_id(id)
                    .build()
            }))
            .max_results(max_results)
            .set_next_token(token.take())
            .send()
            .await?;
        assert!(out.action_execution_details().len() <= max_results as usize);
        all.extend_from_slice(out.action_execution_details());
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(all),
        }
    }
}

fn keys(details: &[ActionExecutionDetail]) -> Vec<String> {
    details
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d.pipeline_execution_id().unwrap_or("?"),
                d.action_name().unwrap_or("?")
            )
        })
        .collect()
}

#[tokio::test]
async fn list_action_executions_pages_through_every_run_once_newest_first() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_two_runs(&aws).await?;

    let all = list_action_executions(&cp, None, 2).await?;
    assert_eq!(
        keys(&all),
        [
            "e-2/Deploy",
            "e-2/Approve",
            "e-2/Build",
            "e-2/Source",
            "e-1/Build",
            "e-1/Source"
        ]
    );
    let ids: HashSet<&str> = all.iter().filter_map(|d| d.action_execution_id()).collect();
    assert_eq!(
        ids.len(),
        all.len(),
        "every action execution has its own id"
    );

    let e1 = list_action_executions(&cp, Some("e-1"), 1).await?;
    assert_eq!(keys(&e1), ["e-1/Build", "e-1/Source"]);
    Ok(())
}

#[tokio::test]
async fn list_action_executions_describes_input_and_output() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_two_runs(&aws).await?;
    let e1 = list_action_executions(&cp, Some("e-1"), 100).await?;
    let build = e1
        .iter()
        .find(|d| d.action_name() == Some("Build"))
        .context("no Build")?;

    assert_eq!(build.stage_name(), Some("Build"));
    assert_eq!(build.pipeline_version(), Some(1));
    assert_eq!(build.status(), Some(&ActionExecutionStatus::Failed));
    assert_eq!(build.start_time(), Some(&DateTime::from_secs(T0 + 30)));
    assert_eq!(
        build.last_update_time(),
        Some(&DateTime::from_secs(T0 + 200))
    );
    let input = build.input().context("no input")?;
    let type_id = input.action_type_id().context("no actionTypeId")?;
    assert_eq!(type_id.category(), &ActionCategory::Build);
    assert_eq!(type_id.owner(), &ActionOwner::Aws);
    assert_eq!(type_id.provider(), "CodeBuild");
    assert_eq!(type_id.version(), "1");
    let project = input.configuration().and_then(|c| c.get("ProjectName"));
    assert_eq!(project.map(String::as_str), Some("app-build"));
    assert_eq!(input.resolved_configuration(), input.configuration());
    assert_eq!(
        input.region(),
        Some("us-east-1"),
        "the server's region by default"
    );
    let result = build
        .output()
        .and_then(|o| o.execution_result())
        .context("no executionResult")?;
    assert_eq!(result.external_execution_id(), Some("app-build:11"));
    assert_eq!(result.external_execution_summary(), Some("1 test failed"));
    assert!(
        result
            .external_execution_url()
            .is_some_and(|u| u.ends_with("/build/app-build:11"))
    );
    let error = result.error_details().context("no errorDetails")?;
    assert_eq!(error.code(), Some("JobFailed"));
    assert_eq!(error.message(), Some("Build terminated with state: FAILED"));

    let e2 = list_action_executions(&cp, Some("e-2"), 100).await?;
    let deploy = e2
        .iter()
        .find(|d| d.action_name() == Some("Deploy"))
        .context("no Deploy")?;
    assert_eq!(
        deploy.input().and_then(|i| i.region()),
        Some("eu-west-1"),
        "the action's own region"
    );
    let source = e2
        .iter()
        .find(|d| d.action_name() == Some("Source"))
        .context("no Source")?;
    let source_type = source
        .input()
        .and_then(|i| i.action_type_id())
        .context("no actionTypeId")?;
    assert_eq!(
        (source_type.category(), source_type.provider()),
        (&ActionCategory::Source, "CodeCommit")
    );
    Ok(())
}

#[tokio::test]
async fn get_pipeline_state_shows_the_latest_execution_of_each_stage_and_action() -> Result<()> {
    let (aws, cp) = start().await?;
    // e-1 went all the way; e-2, later, failed in Build. A stage shows the
    // latest execution that reached it, as CodePipeline does.
    seed_execution(
        &aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "e-1", "status": "Succeeded", "startTime": T0,
               "actions": [{"stageName": "Source", "actionName": "Source"},
                           {"stageName": "Build", "actionName": "Build"},
                           {"stageName": "Approve", "actionName": "Approve"},
                           {"stageName": "Deploy", "actionName": "Deploy", "lastUpdateTime": T0 + 500}]}),
    )
    .await?;
    seed_execution(
        &aws,
        json!({"pipelineName": "web", "pipelineExecutionId": "e-2", "status": "Failed", "startTime": T0 + 600,
               "actions": [{"stageName": "Source", "actionName": "Source"},
                           {"stageName": "Build", "actionName": "Build", "status": "Failed",
                            "summary": "1 test failed", "errorCode": "JobFailed", "errorMessage": "tests failed",
                            "externalExecutionUrl": "https://example.invalid/build/12"}]}),
    )
    .await?;

    let state = cp.get_pipeline_state().name("web").send().await?;

    assert_eq!(state.pipeline_name(), Some("web"));
    assert_eq!(state.pipeline_version(), Some(1));
    assert!(state.created().is_some());
    let names: Vec<&str> = state
        .stage_states()
        .iter()
        .filter_map(|s| s.stage_name())
        .collect();
    assert_eq!(names, ["Source", "Build", "Approve", "Deploy"]);

    let build = stage(state.stage_states(), "Build")?;
    let latest = build
        .latest_execution()
        .context("Build has no latestExecution")?;
    assert_eq!(
        (latest.pipeline_execution_id(), latest.status()),
        ("e-2", &StageExecutionStatus::Failed)
    );
    let build_action = action(build, "Build")?
        .latest_execution()
        .context("no action execution")?;
    assert_eq!(build_action.status(), Some(&ActionExecutionStatus::Failed));
    assert_eq!(build_action.summary(), Some("1 test failed"));
    assert_eq!(
        build_action.external_execution_url(),
        Some("https://example.invalid/build/12")
    );
    let error = build_action.error_details().context("no errorDetails")?;
    assert_eq!(
        (error.code(), error.message()),
        (Some("JobFailed"), Some("tests failed"))
    );
    assert_eq!(build_action.token(), None);

    let deploy = stage(state.stage_states(), "Deploy")?;
    let latest = deploy
        .latest_execution()
        .context("Deploy has no latestExecution")?;
    assert_eq!(
        (latest.pipeline_execution_id(), latest.status()),
        ("e-1", &StageExecutionStatus::Succeeded)
    );
    let deploy_action = action(deploy, "Deploy")?
        .latest_execution()
        .context("no action execution")?;
    assert_eq!(
        deploy_action.last_status_change(),
        Some(&DateTime::from_secs(T0 + 500))
    );
    Ok(())
}

#[tokio::test]
async fn approving_records_the_result_and_finishes_the_action() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_waiting_for_approval(&aws).await?;
    let token = open_approval(&aws).await?;

    // The pending approval is visible the way approval-gate finds its token.
    let state = cp.get_pipeline_state().name("web").send().await?;
    let approve = stage(state.stage_states(), "Approve")?;
    let pending = action(approve, "Approve")?
        .latest_execution()
        .context("no approval execution")?;
    assert_eq!(pending.status(), Some(&ActionExecutionStatus::InProgress));
    assert_eq!(pending.token(), Some(token.as_str()));
    let latest = approve
        .latest_execution()
        .context("Approve has no latestExecution")?;
    assert_eq!(latest.status(), &StageExecutionStatus::InProgress);

    let before = DateTime::from_secs(DateTime::from(std::time::SystemTime::now()).secs() - 1);
    let out = cp
        .put_approval_result()
        .pipeline_name("web")
        .stage_name("Approve")
        .action_name("Approve")
        .token(&token)
        .result(approval(
            ApprovalStatus::Approved,
            "No findings on 4c1f9a0; change window open",
        )?)
        .send()
        .await?;
    let approved_at = out.approved_at().context("no approvedAt")?;
    assert!(
        approved_at >= &before,
        "approvedAt {approved_at} is not now"
    );

    let recorded = approvals(&aws).await?;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["status"], "Approved");
    assert_eq!(
        recorded[0]["summary"],
        "No findings on 4c1f9a0; change window open"
    );
    assert_eq!(recorded[0]["token"], token.as_str());
    assert!(recorded[0]["approvedAt"].is_string());

    let state = cp.get_pipeline_state().name("web").send().await?;
    let approve = stage(state.stage_states(), "Approve")?;
    let done = action(approve, "Approve")?
        .latest_execution()
        .context("no approval execution")?;
    assert_eq!(done.status(), Some(&ActionExecutionStatus::Succeeded));
    assert_eq!(
        done.summary(),
        Some("No findings on 4c1f9a0; change window open")
    );
    assert_eq!(
        done.token(),
        None,
        "a decided approval has no token any more"
    );
    assert_eq!(
        approve.latest_execution().map(|e| e.status()),
        Some(&StageExecutionStatus::Succeeded)
    );

    // The approval is also an action execution, with the token as its external id.
    let runs = list_action_executions(&cp, Some("e-1"), 100).await?;
    let run = runs
        .iter()
        .find(|d| d.action_name() == Some("Approve"))
        .context("no Approve run")?;
    assert_eq!(run.status(), Some(&ActionExecutionStatus::Succeeded));
    let external_id = run
        .output()
        .and_then(|o| o.execution_result())
        .and_then(|r| r.external_execution_id());
    assert_eq!(external_id, Some(token.as_str()));

    let execution = cp
        .get_pipeline_execution()
        .pipeline_name("web")
        .pipeline_execution_id("e-1")
        .send()
        .await?;
    assert_eq!(
        execution.pipeline_execution().and_then(|e| e.status()),
        Some(&PipelineExecutionStatus::InProgress),
        "an approval lets the execution go on"
    );
    Ok(())
}

#[tokio::test]
async fn rejecting_fails_the_action_and_the_execution() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_waiting_for_approval(&aws).await?;
    let token = open_approval(&aws).await?;

    cp.put_approval_result()
        .pipeline_name("web")
        .stage_name("Approve")
        .action_name("Approve")
        .token(&token)
        .result(approval(
            ApprovalStatus::Rejected,
            "secret finding on 4c1f9a0",
        )?)
        .send()
        .await?;

    let recorded = approvals(&aws).await?;
    assert_eq!(
        (
            recorded[0]["status"].as_str(),
            recorded[0]["summary"].as_str()
        ),
        (Some("Rejected"), Some("secret finding on 4c1f9a0"))
    );
    let state = cp.get_pipeline_state().name("web").send().await?;
    let approve = stage(state.stage_states(), "Approve")?;
    let rejected = action(approve, "Approve")?
        .latest_execution()
        .context("no approval execution")?;
    assert_eq!(rejected.status(), Some(&ActionExecutionStatus::Failed));
    assert_eq!(rejected.summary(), Some("secret finding on 4c1f9a0"));
    let execution = cp
        .get_pipeline_execution()
        .pipeline_name("web")
        .pipeline_execution_id("e-1")
        .send()
        .await?;
    assert_eq!(
        execution.pipeline_execution().and_then(|e| e.status()),
        Some(&PipelineExecutionStatus::Failed)
    );
    Ok(())
}

#[tokio::test]
async fn a_wrong_token_and_a_second_decision_are_typed_errors() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_waiting_for_approval(&aws).await?;
    let token = open_approval(&aws).await?;

    let wrong = cp
        .put_approval_result()
        .pipeline_name("web")
        .stage_name("Approve")
        .action_name("Approve")
        .token("not-the-token")
        .result(approval(ApprovalStatus::Approved, "sneaky")?)
        .send()
        .await
        .expect_err("a wrong token must be refused")
        .into_service_error();
    assert!(wrong.is_invalid_approval_token_exception(), "{wrong:?}");
    assert_eq!(
        approvals(&aws).await?[0]["status"],
        "Pending",
        "a refused call records nothing"
    );

    cp.put_approval_result()
        .pipeline_name("web")
        .stage_name("Approve")
        .action_name("Approve")
        .token(&token)
        .result(approval(ApprovalStatus::Approved, "first")?)
        .send()
        .await?;
    let again = cp
        .put_approval_result()
        .pipeline_name("web")
        .stage_name("Approve")
        .action_name("Approve")
        .token(&token)
        .result(approval(ApprovalStatus::Rejected, "second")?)
        .send()
        .await
        .expect_err("a decided approval cannot be decided again")
        .into_service_error();
    assert!(again.is_approval_already_completed_exception(), "{again:?}");
    let recorded = approvals(&aws).await?;
    assert_eq!(
        (
            recorded[0]["status"].as_str(),
            recorded[0]["summary"].as_str()
        ),
        (Some("Approved"), Some("first"))
    );
    Ok(())
}

#[tokio::test]
async fn unknown_names_are_typed_not_found_errors() -> Result<()> {
    let (aws, cp) = start().await?;
    seed_waiting_for_approval(&aws).await?;
    let token = open_approval(&aws).await?;

    let e = cp
        .get_pipeline_execution()
        .pipeline_name("nope")
        .pipeline_execution_id("e-1")
        .send()
        .await;
    assert!(
        e.expect_err("unknown pipeline")
            .into_service_error()
            .is_pipeline_not_found_exception()
    );
    let e = cp
        .get_pipeline_execution()
        .pipeline_name("web")
        .pipeline_execution_id("e-9")
        .send()
        .await;
    assert!(
        e.expect_err("unknown execution")
            .into_service_error()
            .is_pipeline_execution_not_found_exception()
    );
    let e = cp
        .list_pipeline_executions()
        .pipeline_name("nope")
        .send()
        .await;
    assert!(
        e.expect_err("unknown pipeline")
            .into_service_error()
            .is_pipeline_not_found_exception()
    );
    let e = cp
        .list_pipeline_executions()
        .pipeline_name("web")
        .next_token("bm90IGEgdG9rZW4=")
        .send()
        .await;
    assert!(
        e.expect_err("forged token")
            .into_service_error()
            .is_invalid_next_token_exception()
    );
    let e = cp
        .list_action_executions()
        .pipeline_name("web")
        .filter(
            ActionExecutionFilter::builder()
                .pipeline_execution_id("e-9")
                .build(),
        )
        .send()
        .await;
    assert!(
        e.expect_err("unknown execution")
            .into_service_error()
            .is_pipeline_execution_not_found_exception()
    );
    let e = cp.get_pipeline_state().name("nope").send().await;
    assert!(
        e.expect_err("unknown pipeline")
            .into_service_error()
            .is_pipeline_not_found_exception()
    );

    let put = |pipeline: &'static str, stage: &'static str, action: &'static str| {
        cp.put_approval_result()
            .pipeline_name(pipeline)
            .stage_name(stage)
            .action_name(action)
            .token(&token)
            .set_result(approval(ApprovalStatus::Approved, "ok").ok())
            .send()
    };
    let e = put("nope", "Approve", "Approve")
        .await
        .expect_err("unknown pipeline")
        .into_service_error();
    assert!(e.is_pipeline_not_found_exception(), "{e:?}");
    let e = put("web", "Nope", "Approve")
        .await
        .expect_err("unknown stage")
        .into_service_error();
    assert!(e.is_stage_not_found_exception(), "{e:?}");
    let e = put("web", "Approve", "Nope")
        .await
        .expect_err("unknown action")
        .into_service_error();
    assert!(e.is_action_not_found_exception(), "{e:?}");
    assert_eq!(approvals(&aws).await?[0]["status"], "Pending");
    Ok(())
}

#[tokio::test]
async fn seeding_mistakes_are_refused_by_the_admin_api() -> Result<()> {
    let (aws, _cp) = start().await?;
    let typo = aws
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": "web", "actions": [{"stageName": "Biuld", "actionName": "Build"}]}),
        )
        .await
        .expect_err("an unknown stage must be refused");
    assert!(typo.to_string().contains("Biuld"), "{typo}");
    let not_approval = aws
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": "web", "stageName": "Build", "actionName": "Build"}),
        )
        .await
        .expect_err("only Approval actions take approvals");
    assert!(
        not_approval.to_string().contains("Approval"),
        "{not_approval}"
    );
    Ok(())
}
