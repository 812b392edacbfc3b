//! Every sample in `events/` parses into the variant its name announces, with
//! the values a handler relies on; lenient fields accept every spelling AWS
//! uses; nothing panics and no error quotes the payload.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail, ensure};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Unwraps the expected variant or fails the test naming what came instead.
macro_rules! expect_variant {
    ($event:expr, $variant:ident) => {
        match $event {
            CodewardenEvent::$variant(inner) => inner,
            other => bail!("expected {}, got {}", stringify!($variant), other.kind()),
        }
    };
}

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Every `*.json` in `events/`, sorted: a new sample is tested without
/// touching this file.
fn sample_files() -> Result<Vec<PathBuf>> {
    let dir = samples_dir();
    let mut files = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn load(name: &str) -> Result<CodewardenEvent> {
    let path = samples_dir().join(name);
    let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_event_bytes(&bytes).with_context(|| format!("parsing {name}"))
}

/// The variant a sample must parse into, from its file-name prefix (first
/// match wins). A sample named otherwise fails the suite: name it after its
/// trigger.
fn expected_kind(name: &str) -> Option<&'static str> {
    const BY_PREFIX: &[(&str, &str)] = &[
        ("codecommit-pr-", PULL_REQUEST_STATE_CHANGE),
        ("codecommit-", REPOSITORY_STATE_CHANGE),
        ("codebuild-", BUILD_STATE_CHANGE),
        ("codepipeline-pipeline-", PIPELINE_EXECUTION_STATE_CHANGE),
        ("codepipeline-stage-", STAGE_EXECUTION_STATE_CHANGE),
        ("codepipeline-action-", ACTION_EXECUTION_STATE_CHANGE),
        ("sns-approval", MANUAL_APPROVAL),
        ("scheduled", SCHEDULED_EVENT),
        ("function-url-", FUNCTION_URL_REQUEST),
    ];
    BY_PREFIX
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, kind)| *kind)
}

/// The decoded event written back as JSON, for the variants whose decoded
/// form has the shape of the event (all but the SNS approval, whose message
/// is decoded out of its string).
fn reserialized(event: &CodewardenEvent) -> Result<Option<Value>> {
    use CodewardenEvent as E;
    Ok(Some(match event {
        E::RepositoryStateChange(inner) => serde_json::to_value(inner)?,
        E::PullRequestStateChange(inner) => serde_json::to_value(inner)?,
        E::BuildStateChange(inner) => serde_json::to_value(inner)?,
        E::PipelineExecutionStateChange(inner) => serde_json::to_value(inner)?,
        E::StageExecutionStateChange(inner) => serde_json::to_value(inner)?,
        E::ActionExecutionStateChange(inner) => serde_json::to_value(inner)?,
        E::Scheduled(inner) => serde_json::to_value(inner)?,
        E::FunctionUrl(inner) => serde_json::to_value(inner)?,
        E::ManualApproval(_) | E::Unsupported { .. } => return Ok(None),
    }))
}

#[test]
fn every_sample_parses_into_the_variant_its_name_announces_and_round_trips() -> Result<()> {
    // GIVEN every sample in events/
    let files = sample_files()?;
    ensure!(
        !files.is_empty(),
        "no samples in {}",
        samples_dir().display()
    );
    for path in files {
        let name = file_name(&path);
        // WHEN it is parsed
        let event =
            parse_event_bytes(&fs::read(&path)?).with_context(|| format!("parsing {name}"))?;
        // THEN it is the variant its name announces
        let expected = expected_kind(&name)
            .with_context(|| format!("{name}: unknown prefix, name samples after their trigger"))?;
        ensure!(
            event.kind() == expected,
            "{name}: expected {expected}, got {}",
            event.kind()
        );
        // AND writing it back and parsing again gives the same event
        if let Some(json) = reserialized(&event)? {
            let again = parse_event(&json).with_context(|| format!("re-parsing {name}"))?;
            ensure!(
                again == event,
                "{name}: changed in a serialise/parse round trip"
            );
        }
    }
    Ok(())
}

#[test]
fn push_to_a_branch_carries_the_commit_range_and_the_pusher() -> Result<()> {
    let event = expect_variant!(load("codecommit-push.json")?, RepositoryStateChange);
    let detail = &event.detail;
    assert_eq!(detail.event, RepositoryEventKind::ReferenceUpdated);
    assert_eq!(detail.repository_name, "codewarden-demo");
    assert_eq!(
        detail.repository_id.as_deref(),
        Some("f1c5a4d2-7b3e-4c9a-9e21-3d8b6a0c4e57")
    );
    assert_eq!(detail.reference_type, Some(ReferenceType::Branch));
    assert_eq!(detail.reference_name.as_deref(), Some("main"));
    assert_eq!(
        detail.reference_full_name.as_deref(),
        Some("refs/heads/main")
    );
    assert_eq!(
        detail.old_commit_id.as_deref(),
        Some("4b8d2f6a0c1e3a5b7d9f1e2c4a6b8d0f2e4a6c8b")
    );
    assert_eq!(
        detail.commit_id.as_deref(),
        Some("9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e")
    );
    assert_eq!(
        detail.caller_user_arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/mary.major")
    );
    // The envelope survives: its id is the idempotency key.
    assert_eq!(
        event.id.as_deref(),
        Some("6f1e0b8a-3c2d-4e5f-9a7b-1c2d3e4f5a6b")
    );
    assert_eq!(event.region.as_deref(), Some("us-east-1"));
    assert_eq!(
        event.time,
        Some(Utc.with_ymd_and_hms(2024, 5, 14, 9, 21, 37).unwrap())
    );
    Ok(())
}

#[test]
fn created_and_deleted_references_carry_only_the_commit_that_exists() -> Result<()> {
    let created = expect_variant!(
        load("codecommit-branch-created.json")?,
        RepositoryStateChange
    );
    assert_eq!(created.detail.event, RepositoryEventKind::ReferenceCreated);
    assert_eq!(
        created.detail.reference_full_name.as_deref(),
        Some("refs/heads/feature/login-form")
    );
    assert_eq!(
        created.detail.commit_id.as_deref(),
        Some("c3e5a7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1")
    );
    assert_eq!(created.detail.old_commit_id, None);

    let deleted = expect_variant!(
        load("codecommit-branch-deleted.json")?,
        RepositoryStateChange
    );
    assert_eq!(deleted.detail.event, RepositoryEventKind::ReferenceDeleted);
    assert_eq!(
        deleted.detail.reference_name.as_deref(),
        Some("feature/old-experiment")
    );
    assert_eq!(deleted.detail.commit_id, None);
    assert_eq!(
        deleted.detail.old_commit_id.as_deref(),
        Some("2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a2c4e6b8d0a")
    );

    let tag = expect_variant!(load("codecommit-tag-created.json")?, RepositoryStateChange);
    assert_eq!(tag.detail.event, RepositoryEventKind::ReferenceCreated);
    assert_eq!(tag.detail.reference_type, Some(ReferenceType::Tag));
    assert_eq!(
        tag.detail.reference_full_name.as_deref(),
        Some("refs/tags/v1.4.0")
    );
    Ok(())
}

#[test]
fn pull_request_events_carry_both_sides_and_a_real_is_merged_flag() -> Result<()> {
    let created = expect_variant!(load("codecommit-pr-created.json")?, PullRequestStateChange);
    let pr = &created.detail;
    assert_eq!(pr.event, PullRequestEventKind::PullRequestCreated);
    assert_eq!(pr.pull_request_id, "42");
    assert_eq!(pr.repository_name(), Some("codewarden-demo"));
    assert_eq!(pr.title.as_deref(), Some("Add login form"));
    assert_eq!(
        pr.source_reference.as_deref(),
        Some("refs/heads/feature/login-form")
    );
    assert_eq!(pr.destination_reference.as_deref(), Some("refs/heads/main"));
    assert_eq!(
        pr.source_commit.as_deref(),
        Some("c3e5a7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1")
    );
    assert_eq!(
        pr.destination_commit.as_deref(),
        Some("9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e")
    );
    assert_eq!(
        pr.merge_base.as_deref(),
        Some("9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e")
    );
    assert_eq!(pr.pull_request_status, Some(PullRequestStatus::Open));
    // AWS sends the string "False".
    assert_eq!(pr.is_merged, Some(false));
    // AWS escapes `=` as \u003d; decoded, the console link is usable.
    let body = pr.notification_body.as_deref().unwrap_or_default();
    assert!(
        body.ends_with("pull-requests/42?region=us-east-1"),
        "{body}"
    );

    let updated = expect_variant!(
        load("codecommit-pr-source-updated.json")?,
        PullRequestStateChange
    );
    assert_eq!(
        updated.detail.event,
        PullRequestEventKind::PullRequestSourceBranchUpdated
    );
    assert_eq!(updated.detail.pull_request_id, "42");
    assert_eq!(
        updated.detail.source_commit.as_deref(),
        Some("7a1c3e5b9d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c")
    );
    Ok(())
}

#[test]
fn failed_build_says_which_phase_failed_why_and_where_the_log_is() -> Result<()> {
    let event = expect_variant!(load("codebuild-failed.json")?, BuildStateChange);
    let build = &event.detail;
    assert_eq!(build.build_status, BuildStatus::Failed);
    assert_eq!(build.project_name, "codewarden-demo-build");
    assert_eq!(build.current_phase.as_deref(), Some("COMPLETED"));
    assert_eq!(build.version, Some(1));
    let info = build
        .additional_information
        .as_ref()
        .context("additional-information")?;
    assert_eq!(info.initiator.as_deref(), Some("mary.major"));
    assert_eq!(info.build_complete, Some(true));
    assert_eq!(info.phases.len(), 11);
    let logs = info.logs.as_ref().context("logs")?;
    assert_eq!(
        logs.group_name.as_deref(),
        Some("/aws/codebuild/codewarden-demo-build")
    );
    assert_eq!(
        logs.stream_name.as_deref(),
        Some("2b7e5c1d-8f4a-4e3b-9c6d-0a1b2c3d4e5f")
    );
    assert!(
        logs.deep_link
            .as_deref()
            .is_some_and(|link| link.contains("#logEvent:group="))
    );
    let failed = info.failed_phase().context("a failed phase")?;
    assert_eq!(failed.phase_type.as_deref(), Some("BUILD"));
    assert_eq!(failed.phase_status, Some(BuildStatus::Failed));
    assert_eq!(failed.duration_in_seconds, Some(147));
    assert_eq!(
        failed.phase_context,
        [
            "COMMAND_EXECUTION_ERROR: Error while executing command: cargo test --locked. Reason: exit status 101"
        ]
    );
    Ok(())
}

#[test]
fn in_progress_build_has_neither_logs_nor_phases() -> Result<()> {
    let event = expect_variant!(load("codebuild-in-progress.json")?, BuildStateChange);
    assert_eq!(event.detail.build_status, BuildStatus::InProgress);
    let info = event
        .detail
        .additional_information
        .as_ref()
        .context("additional-information")?;
    assert_eq!(info.logs, None);
    assert!(info.phases.is_empty());
    assert_eq!(info.build_complete, Some(false));
    assert_eq!(info.failed_phase(), None);
    Ok(())
}

#[test]
fn timed_out_build_reads_float_counts_as_integers() -> Result<()> {
    let event = expect_variant!(load("codebuild-timed-out.json")?, BuildStateChange);
    assert_eq!(event.detail.build_status, BuildStatus::TimedOut);
    let info = event
        .detail
        .additional_information
        .as_ref()
        .context("additional-information")?;
    // Sent as 118.0 and 30.0.
    assert_eq!(info.build_number, Some(118));
    assert_eq!(info.timeout_in_minutes, Some(30));
    let failed = info.failed_phase().context("a failed phase")?;
    assert_eq!(failed.phase_status, Some(BuildStatus::TimedOut));
    assert_eq!(failed.duration_in_seconds, Some(1768));
    Ok(())
}

#[test]
fn pipeline_build_is_the_one_the_failed_action_points_to() -> Result<()> {
    // The failure notifier joins the action's external execution id to the
    // build's id to fetch the log tail: the samples must agree.
    let build = expect_variant!(load("codebuild-from-pipeline.json")?, BuildStateChange);
    let action = expect_variant!(
        load("codepipeline-action-failed.json")?,
        ActionExecutionStateChange
    );
    let info = build
        .detail
        .additional_information
        .as_ref()
        .context("additional-information")?;
    assert_eq!(
        info.initiator
            .as_deref()
            .and_then(|initiator| initiator.strip_prefix("codepipeline/")),
        Some(action.detail.pipeline.as_str())
    );
    let result = action
        .detail
        .execution_result
        .as_ref()
        .context("execution-result")?;
    let build_id = build
        .detail
        .build_id
        .rsplit_once(":build/")
        .map(|(_, id)| id);
    assert_eq!(result.external_execution_id.as_deref(), build_id);
    assert_eq!(
        info.failed_phase().map(|phase| phase.phase_context.as_slice()),
        Some(
            ["COMMAND_EXECUTION_ERROR: Error while executing command: cargo clippy --all-targets -- -D warnings. \
              Reason: exit status 101"
                .to_owned()]
            .as_slice()
        )
    );
    Ok(())
}

#[test]
fn failed_action_names_the_action_the_error_and_the_build_link() -> Result<()> {
    let event = expect_variant!(
        load("codepipeline-action-failed.json")?,
        ActionExecutionStateChange
    );
    let action = &event.detail;
    assert_eq!(action.pipeline, "codewarden-demo-pipeline");
    assert_eq!(action.execution_id, "c7d3e1f0-5a4b-4c2d-8e9f-0a1b2c3d4e5f");
    assert_eq!(action.stage, "Build");
    assert_eq!(action.action, "Build");
    assert_eq!(action.state, ExecutionState::Failed);
    // Sent as 7.0 and 1.0.
    assert_eq!(action.version, Some(7));
    assert_eq!(action.pipeline_execution_attempt, Some(1));
    assert_eq!(action.region.as_deref(), Some("us-east-1"));
    let action_type = action.action_type.as_ref().context("type")?;
    assert_eq!(action_type.category.as_deref(), Some("Build"));
    assert_eq!(action_type.provider.as_deref(), Some("CodeBuild"));
    assert_eq!(action_type.version.as_deref(), Some("1"));
    assert_eq!(action.input_artifacts.len(), 1);
    assert_eq!(
        action.input_artifacts[0].name.as_deref(),
        Some("SourceArtifact")
    );
    let result = action
        .execution_result
        .as_ref()
        .context("execution-result")?;
    assert_eq!(result.error_code.as_deref(), Some("JobFailed"));
    assert_eq!(
        result.external_execution_summary.as_deref(),
        Some("Build terminated with state: FAILED")
    );
    assert!(
        result
            .external_execution_url
            .as_deref()
            .is_some_and(|url| url.contains("/builds/codewarden-demo-build:"))
    );
    Ok(())
}

#[test]
fn pipeline_and_stage_versions_normalise_from_int_string_and_float() -> Result<()> {
    let failed = expect_variant!(
        load("codepipeline-pipeline-failed.json")?,
        PipelineExecutionStateChange
    );
    assert_eq!(failed.detail.state, ExecutionState::Failed);
    assert_eq!(failed.detail.version, Some(7)); // sent as 7
    assert_eq!(failed.detail.pipeline_execution_attempt, Some(1)); // sent as 1.0
    let trigger = failed
        .detail
        .execution_trigger
        .as_ref()
        .context("execution-trigger")?;
    assert_eq!(trigger.trigger_type.as_deref(), Some("CloudWatchEvent"));

    let stage = expect_variant!(
        load("codepipeline-stage-failed.json")?,
        StageExecutionStateChange
    );
    assert_eq!(stage.detail.stage, "Build");
    assert_eq!(stage.detail.state, ExecutionState::Failed);
    assert_eq!(stage.detail.version, Some(7)); // sent as "7"
    assert_eq!(stage.detail.execution_id, failed.detail.execution_id);

    let succeeded = expect_variant!(
        load("codepipeline-pipeline-succeeded.json")?,
        PipelineExecutionStateChange
    );
    assert_eq!(succeeded.detail.state, ExecutionState::Succeeded);
    assert_eq!(succeeded.detail.pipeline, "codewarden-demo-pipeline");
    Ok(())
}

#[test]
fn version_is_accepted_as_int_string_or_whole_float_and_nothing_else() -> Result<()> {
    let with_version = |version: Value| {
        json!({
            "source": "aws.codepipeline",
            "detail-type": "CodePipeline Stage Execution State Change",
            "detail": {"pipeline": "p", "execution-id": "e", "stage": "s", "state": "STARTED", "version": version}
        })
    };
    for (sent, expected) in [
        (json!(6), Some(6)),
        (json!("6"), Some(6)),
        (json!(" 6 "), Some(6)),
        (json!(6.0), Some(6)),
        (json!("6.0"), Some(6)),
        (Value::Null, None),
    ] {
        let stage = expect_variant!(
            parse_event(&with_version(sent.clone()))?,
            StageExecutionStateChange
        );
        assert_eq!(stage.detail.version, expected, "version {sent}");
    }
    for sent in [
        json!(6.5),
        json!(-1),
        json!("seven"),
        json!(true),
        json!([6]),
    ] {
        let error = match parse_event(&with_version(sent.clone())) {
            Err(error) => error.to_string(),
            Ok(event) => bail!("version {sent} accepted as {event:?}"),
        };
        assert!(error.contains("`detail.version`"), "{error}");
        assert!(!error.contains("seven"), "error quotes the value: {error}");
    }
    Ok(())
}

#[test]
fn approval_message_is_decoded_from_the_sns_message_string() -> Result<()> {
    let notification = expect_variant!(load("sns-approval.json")?, ManualApproval);
    assert_eq!(
        notification.sns.message_id,
        "9a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d"
    );
    assert_eq!(
        notification.sns.topic_arn,
        "arn:aws:sns:us-east-1:123456789012:codewarden-approvals"
    );
    let message = &notification.message;
    assert_eq!(message.region, "us-east-1");
    let approval = &message.approval;
    assert_eq!(approval.pipeline_name, "codewarden-demo-pipeline");
    assert_eq!(approval.stage_name, "Approve");
    assert_eq!(approval.action_name, "ManualApproval");
    assert_eq!(approval.token, "3b9f1c2e-7d4a-4e8b-a5c6-0f1e2d3c4b5a");
    // Sent as "2024-05-21T09:35Z".
    assert_eq!(
        approval.expires,
        Utc.with_ymd_and_hms(2024, 5, 21, 9, 35, 0).unwrap()
    );
    // `null` and absent both read as None.
    assert_eq!(approval.external_entity_link, None);
    assert_eq!(approval.custom_data, None);
    assert!(
        approval
            .approval_review_link
            .as_deref()
            .is_some_and(|link| link.ends_with(&approval.token))
    );

    let custom = expect_variant!(load("sns-approval-custom-data.json")?, ManualApproval);
    let approval = &custom.message.approval;
    assert_eq!(
        approval.custom_data.as_deref(),
        Some("Release 1.4.0: check the staging smoke tests before approving.")
    );
    assert_eq!(
        approval.external_entity_link.as_deref(),
        Some("https://codewarden-demo.example.com/releases/1.4.0")
    );
    assert_eq!(
        approval.expires,
        Utc.with_ymd_and_hms(2024, 5, 22, 14, 2, 0).unwrap()
    );
    Ok(())
}

#[test]
fn expiry_accepts_the_approval_format_and_rfc_3339_only() {
    let expected = Utc.with_ymd_and_hms(2022, 8, 30, 11, 9, 0).unwrap();
    assert_eq!(parse_expiry("2022-08-30T11:09Z"), Some(expected));
    assert_eq!(parse_expiry("2022-08-30T11:09:00Z"), Some(expected));
    assert_eq!(parse_expiry("2022-08-30T13:09:00+02:00"), Some(expected));
    assert_eq!(parse_expiry("2022-08-30 11:09"), None);
    assert_eq!(parse_expiry("next tuesday"), None);
}

#[test]
fn scheduled_event_has_an_empty_detail() -> Result<()> {
    let event = expect_variant!(load("scheduled.json")?, Scheduled);
    assert_eq!(event.detail, json!({}));
    assert_eq!(
        event.resources.as_deref(),
        Some(
            [
                "arn:aws:events:us-east-1:123456789012:rule/codewarden-repo-backup-nightly"
                    .to_owned()
            ]
            .as_slice()
        )
    );
    Ok(())
}

#[test]
fn function_url_get_carries_the_signed_link_in_the_query() -> Result<()> {
    let request = expect_variant!(load("function-url-get.json")?, FunctionUrl);
    assert_eq!(request.request_context.http.method.as_deref(), Some("GET"));
    assert_eq!(request.raw_path.as_deref(), Some("/approval"));
    assert_eq!(
        request.request_context.http.source_ip.as_deref(),
        Some("198.51.100.23")
    );
    let query = &request.query_string_parameters;
    assert_eq!(
        query.get("token").map(String::as_str),
        Some("3b9f1c2e-7d4a-4e8b-a5c6-0f1e2d3c4b5a")
    );
    assert_eq!(query.get("decision").map(String::as_str), Some("approve"));
    assert!(
        request
            .raw_query_string
            .as_deref()
            .is_some_and(|raw| raw.contains("&sig="))
    );
    assert_eq!(request_body(&request)?, b"");
    Ok(())
}

#[test]
fn function_url_post_body_decodes_to_the_form_it_declares() -> Result<()> {
    let request = expect_variant!(load("function-url-post.json")?, FunctionUrl);
    assert_eq!(request.request_context.http.method.as_deref(), Some("POST"));
    assert!(request.is_base64_encoded);
    assert_eq!(
        request
            .headers
            .get("content-type")
            .map(|value| value.as_bytes()),
        Some(&b"application/x-www-form-urlencoded"[..])
    );
    let body = String::from_utf8(request_body(&request)?)?;
    assert!(
        body.starts_with("decision=approve&pipeline=codewarden-demo-pipeline&"),
        "{body}"
    );
    assert!(
        body.ends_with("&comment=Staging+smoke+tests+are+green"),
        "{body}"
    );
    let declared = request
        .headers
        .get("content-length")
        .map(|value| value.as_bytes());
    assert_eq!(declared, Some(body.len().to_string().as_bytes()));
    Ok(())
}

#[test]
fn events_for_other_services_are_unsupported_not_errors() -> Result<()> {
    let ec2 = json!({
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change Notification",
        "detail": {"instance-id": "i-0abcd1234efgh5678", "state": "running"}
    });
    assert_eq!(
        parse_event(&ec2)?,
        CodewardenEvent::Unsupported {
            source: "aws.ec2".to_owned(),
            detail_type: Some("EC2 Instance State-change Notification".to_owned())
        }
    );
    // Same source, a detail type codewarden does not handle.
    let comment = json!({"source": "aws.codecommit", "detail-type": "CodeCommit Comment on Commit", "detail": {}});
    assert!(matches!(
        parse_event(&comment)?,
        CodewardenEvent::Unsupported { .. }
    ));
    // An SQS batch.
    let sqs = json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]});
    assert_eq!(
        parse_event(&sqs)?,
        CodewardenEvent::Unsupported {
            source: "aws:sqs".to_owned(),
            detail_type: None
        }
    );
    Ok(())
}

/// `sns-approval.json` with its SNS `Message` replaced.
fn approval_with_message(message: &str) -> Result<Value> {
    let mut event: Value =
        serde_json::from_slice(&fs::read(samples_dir().join("sns-approval.json"))?)?;
    *event
        .pointer_mut("/Records/0/Sns/Message")
        .context("Message")? = Value::from(message);
    Ok(event)
}

#[test]
fn sns_messages_that_are_not_approval_requests_are_unsupported() -> Result<()> {
    for message in [
        "deployment finished",
        r#"{"AlarmName": "codewarden-errors"}"#,
    ] {
        let event = parse_event(&approval_with_message(message)?)?;
        assert_eq!(
            event,
            CodewardenEvent::Unsupported {
                source: "aws:sns".to_owned(),
                detail_type: None
            }
        );
    }
    Ok(())
}

#[test]
fn approval_errors_name_the_path_inside_the_message_and_not_the_value() -> Result<()> {
    let missing_token = approval_with_message(
        r#"{"region":"us-east-1","approval":{"pipelineName":"p","stageName":"s","actionName":"a","expires":"2024-05-21T09:35Z"}}"#,
    )?;
    let error = parse_event(&missing_token)
        .err()
        .context("accepted without a token")?
        .to_string();
    assert_eq!(
        error,
        "invalid CodePipeline manual-approval message: `Records[0].Sns.Message.approval.token` is missing"
    );

    let bad_expiry = approval_with_message(
        r#"{"region":"us-east-1","approval":{"pipelineName":"p","stageName":"s","actionName":"a","token":"t","expires":"CANARY-not-a-date"}}"#,
    )?;
    let error = parse_event(&bad_expiry)
        .err()
        .context("accepted a bad expiry")?
        .to_string();
    assert!(
        error.contains("`Records[0].Sns.Message.approval.expires` is invalid"),
        "{error}"
    );
    assert!(!error.contains("CANARY"), "error quotes the value: {error}");
    Ok(())
}

#[test]
fn errors_name_what_is_wrong_without_quoting_the_payload() -> Result<()> {
    let mut push: Value =
        serde_json::from_slice(&fs::read(samples_dir().join("codecommit-push.json"))?)?;
    let detail = push
        .get_mut("detail")
        .and_then(Value::as_object_mut)
        .context("detail")?;
    detail.remove("repositoryName");
    detail.insert("referenceName".to_owned(), json!(["CANARY-secret-branch"]));
    let error = parse_event(&push)
        .err()
        .context("accepted without a repository name")?;
    assert_eq!(
        error.to_string(),
        "invalid CodeCommit Repository State Change: `detail.referenceName` has the wrong type: \
         expected a string, found an array"
    );

    detail_mut(&mut push)?.insert("referenceName".to_owned(), json!("main"));
    let error = parse_event(&push)
        .err()
        .context("accepted without a repository name")?;
    assert_eq!(
        error.to_string(),
        "invalid CodeCommit Repository State Change: `detail.repositoryName` is missing"
    );

    detail_mut(&mut push)?.insert(
        "repositoryName".to_owned(),
        json!("CANARY-secret-name-that-is-a-string"),
    );
    detail_mut(&mut push)?.insert("repositoryId".to_owned(), json!(31337));
    let error = parse_event(&push)
        .err()
        .context("accepted a numeric repository id")?
        .to_string();
    assert!(
        error.contains("`detail.repositoryId` has the wrong type"),
        "{error}"
    );
    assert!(
        !error.contains("31337") && !error.contains("CANARY"),
        "error quotes the payload: {error}"
    );

    let no_source = json!({"detail-type": "Scheduled Event", "detail": {}});
    assert_eq!(
        parse_event(&no_source)
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some("invalid EventBridge event: `source` is missing")
    );
    Ok(())
}

fn detail_mut(event: &mut Value) -> Result<&mut serde_json::Map<String, Value>> {
    event
        .get_mut("detail")
        .and_then(Value::as_object_mut)
        .context("detail")
}

#[test]
fn input_that_is_not_an_event_is_an_error() {
    assert!(matches!(
        parse_event_bytes(b"{\"source\": "),
        Err(EventError::Malformed { .. })
    ));
    assert!(matches!(
        parse_event_bytes(b"[1, 2]"),
        Err(EventError::NotAnObject)
    ));
    assert!(matches!(
        parse_event(&json!({"hello": "world"})),
        Err(EventError::Unrecognized)
    ));
    assert!(matches!(
        parse_event(&json!({"Records": []})),
        Err(EventError::Invalid { .. })
    ));
}

#[test]
fn unknown_enum_values_are_kept_not_rejected() -> Result<()> {
    let mut build: Value =
        serde_json::from_slice(&fs::read(samples_dir().join("codebuild-failed.json"))?)?;
    detail_mut(&mut build)?.insert("build-status".to_owned(), json!("PAUSED_FOR_LUNCH"));
    let event = expect_variant!(parse_event(&build)?, BuildStateChange);
    assert_eq!(
        event.detail.build_status,
        BuildStatus::Other("PAUSED_FOR_LUNCH".to_owned())
    );
    assert_eq!(event.detail.build_status.to_string(), "PAUSED_FOR_LUNCH");
    // Case differences are not new values.
    assert_eq!(BuildStatus::from("failed"), BuildStatus::Failed);
    Ok(())
}

// ---------------------------------------------------------------------------
// Robustness: whatever arrives, the parser answers Ok or Err, never panics,
// and its errors never quote a value from the payload.

/// Text planted in mutated samples; an error message containing it quotes
/// the payload.
const CANARY: &str = "CANARY-not-a-secret-0000";

/// Keys and strings the parser looks for, so random events get past the
/// first checks more often than pure noise would.
const INTERESTING_KEYS: &[&str] = &[
    "source",
    "detail-type",
    "detail",
    "Records",
    "EventSource",
    "Sns",
    "Message",
    "requestContext",
    "http",
    "approval",
    "version",
    "state",
    "build-status",
    "additional-information",
    "phases",
    "logs",
    "expires",
];
const INTERESTING_STRINGS: &[&str] = &[
    "aws.codecommit",
    "aws.codebuild",
    "aws.codepipeline",
    "aws.events",
    "aws:sns",
    "Scheduled Event",
    "CodeBuild Build State Change",
    "CodePipeline Action Execution State Change",
    "7",
    "7.0",
    "True",
    "2022-08-30T11:09Z",
    "{\"approval\":{}}",
];

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        any::<String>().prop_map(Value::from),
        prop::sample::select(INTERESTING_STRINGS).prop_map(Value::from),
    ];
    let key = prop_oneof![
        prop::sample::select(INTERESTING_KEYS).prop_map(str::to_owned),
        "[a-zA-Z-]{1,12}"
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// The samples, with each SNS message decoded in place so that mutations
/// also reach into the approval document.
fn exploded_samples() -> &'static [(String, Value)] {
    static SAMPLES: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let files = sample_files().expect("samples directory is readable");
        files
            .iter()
            .map(|path| {
                let mut value: Value =
                    serde_json::from_slice(&fs::read(path).expect("sample is readable"))
                        .expect("sample is JSON");
                if let Some(message) = value.pointer_mut("/Records/0/Sns/Message")
                    && let Some(document) = message
                        .as_str()
                        .and_then(|text| serde_json::from_str(text).ok())
                {
                    *message = document;
                }
                (file_name(path), value)
            })
            .collect()
    })
}

/// JSON pointers of every node below the root.
fn pointers(value: &Value, prefix: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, child)| (key.replace('~', "~0").replace('/', "~1"), child))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(index, child)| (index.to_string(), child))
            .collect(),
        _ => return,
    };
    for (segment, child) in children {
        let pointer = format!("{prefix}/{segment}");
        pointers(child, &pointer, out);
        out.push(pointer);
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Delete,
    Replace(Value),
}

fn mutate(value: &mut Value, pointer: &str, mutation: Mutation) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let Some(parent) = value.pointer_mut(parent) else {
        return;
    };
    match (parent, mutation) {
        (Value::Object(map), Mutation::Delete) => {
            map.remove(&last.replace("~1", "/").replace("~0", "~"));
        }
        (Value::Array(items), Mutation::Delete) => {
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
        }
        (parent, Mutation::Replace(replacement)) => {
            if let Some(slot) = parent.pointer_mut(&format!("/{last}")) {
                *slot = replacement;
            }
        }
        _ => {}
    }
}

/// Undoes [`exploded_samples`]: an SNS message that is still a document
/// goes back into its string.
fn implode(value: &mut Value) {
    if let Some(message) = value.pointer_mut("/Records/0/Sns/Message")
        && (message.is_object() || message.is_array())
    {
        *message = Value::from(message.to_string());
    }
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        Just(Mutation::Delete),
        Just(Mutation::Replace(Value::from(CANARY))),
        arb_json().prop_map(Mutation::Replace),
    ]
}

proptest! {
    #[test]
    fn arbitrary_json_never_panics(event in arb_json()) {
        let _ = parse_event(&event);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_event_bytes(&bytes);
    }

    #[test]
    fn arbitrary_details_of_known_detail_types_never_panic(
        kind in prop::sample::select(&[
            ("aws.codecommit", REPOSITORY_STATE_CHANGE),
            ("aws.codecommit", PULL_REQUEST_STATE_CHANGE),
            ("aws.codebuild", BUILD_STATE_CHANGE),
            ("aws.codepipeline", PIPELINE_EXECUTION_STATE_CHANGE),
            ("aws.codepipeline", STAGE_EXECUTION_STATE_CHANGE),
            ("aws.codepipeline", ACTION_EXECUTION_STATE_CHANGE),
            ("aws.events", SCHEDULED_EVENT),
        ][..]),
        detail in arb_json(),
    ) {
        let event = json!({"source": kind.0, "detail-type": kind.1, "detail": detail});
        let _ = parse_event(&event);
    }

    #[test]
    fn mutated_samples_never_panic_and_errors_never_quote_them(
        sample in any::<prop::sample::Index>(),
        target in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(arb_mutation(), 1..4),
    ) {
        let samples = exploded_samples();
        prop_assume!(!samples.is_empty());
        let (name, original) = sample.get(samples);
        let mut event = original.clone();
        for mutation in mutations {
            let mut targets = Vec::new();
            pointers(&event, "", &mut targets);
            if targets.is_empty() {
                break;
            }
            let pointer = target.get(&targets).clone();
            mutate(&mut event, &pointer, mutation);
        }
        implode(&mut event);
        if let Err(error) = parse_event(&event) {
            let message = error.to_string();
            prop_assert!(!message.contains(CANARY), "{}: error quotes the payload: {}", name, message);
        }
    }
}
