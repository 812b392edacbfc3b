//! failure-notifier end to end: the handler, called as Lambda would call
//! it, with real SDK clients against the local stack: local-aws (in
//! process) for CodePipeline and CodeBuild, moto (from `.local/env`) for
//! CloudWatch Logs, S3 (markers) and SNS, whose topic delivers to an SQS
//! queue that each test reads.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use e2e::{Delivered, LocalAws, TopicQueue, create_bucket, moto_s3, moto_sdk_config, unique_name};
use failure_notifier::{Clients, Config, Outcome, SdkDeps, handle};
use serde_json::{Value, json};

const PIPELINE: &str = "codewarden-demo-pipeline";
/// The execution of `events/codepipeline-*-failed.json`.
const EXECUTION: &str = "c7d3e1f0-5a4b-4c2d-8e9f-0a1b2c3d4e5f";
/// The build of `events/codebuild-from-pipeline.json`.
const BUILD: &str = "codewarden-demo-build:8e4f2a6c-1b3d-4e5f-a7b9-c0d1e2f3a4b5";
/// 2024-05-14T09:21:41Z, the sample events' execution start.
const T0: i64 = 1_715_678_501;
/// A credential shaped like a real one (not AWS's documentation key, which
/// the engine deliberately ignores).
const SECRET: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

/// One test's stack: its own local-aws, its own bucket, topic and queue in
/// moto, and the function's dependencies pointed at them.
struct Stack {
    aws: LocalAws,
    deps: SdkDeps,
    config: Config,
    clients: Clients,
    sqs: aws_sdk_sqs::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    topic: TopicQueue,
}

impl Stack {
    async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    async fn start_with(settings: &[(&str, &str)]) -> Result<Self> {
        let moto = moto_sdk_config().await?;
        let s3 = moto_s3(&moto);
        let sns = aws_sdk_sns::Client::new(&moto);
        let sqs = aws_sdk_sqs::Client::new(&moto);
        let bucket = create_bucket(&s3, "fn-markers").await?;
        let topic = TopicQueue::create(&sns, &sqs, "alerts").await?;

        let mut env: BTreeMap<&str, String> = BTreeMap::from([
            ("ALERT_TOPIC_ARN", topic.topic_arn.clone()),
            ("MARKER_BUCKET", bucket),
            ("LOG_TAIL_LINES", "5".to_owned()),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
        ]);
        for (name, value) in settings {
            env.insert(name, (*value).to_owned());
        }
        let config = Config::from_lookup(|name| env.get(name).cloned())?;

        let aws = LocalAws::start().await?;
        seed_pipeline(&aws).await?;
        // As `main` builds them; CodePipeline and CodeBuild pointed at
        // local-aws the way AWS_ENDPOINT_URL_CODEPIPELINE / _CODEBUILD do.
        let mut clients = Clients::new(&moto, &config);
        let local = aws.sdk_config().await;
        clients.codepipeline = aws_sdk_codepipeline::Client::new(&local);
        clients.codebuild = aws_sdk_codebuild::Client::new(&local);
        let deps = SdkDeps::new(config.clone(), clients.clone())?;
        Ok(Self {
            aws,
            deps,
            config,
            clients,
            sqs,
            logs: aws_sdk_cloudwatchlogs::Client::new(&moto),
            topic,
        })
    }

    /// Writes `lines` to a new log stream, timestamped now (moto drops
    /// events older than 14 days, as AWS does).
    async fn seed_log(&self, group: &str, stream: &str, lines: &[String]) -> Result<()> {
        let created = self
            .logs
            .create_log_group()
            .log_group_name(group)
            .send()
            .await;
        if let Err(e) = created
            && !format!("{e:?}").contains("ResourceAlreadyExists")
        {
            return Err(e.into());
        }
        self.logs
            .create_log_stream()
            .log_group_name(group)
            .log_stream_name(stream)
            .send()
            .await?;
        let now = chrono::Utc::now().timestamp_millis();
        let events = lines.iter().enumerate().map(|(i, line)| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now + i as i64)
                .message(line)
                .build()
        });
        self.logs
            .put_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .set_log_events(Some(events.collect::<Result<Vec<_>, _>>()?))
            .send()
            .await?;
        Ok(())
    }

    async fn invoke(&self, event: Value) -> Result<Outcome> {
        Ok(handle(event, &self.deps).await?)
    }

    /// Every message the queue holds now.
    async fn received(&self) -> Result<Vec<Delivered>> {
        self.topic.delivered(&self.sqs).await
    }

    async fn one_message(&self) -> Result<Delivered> {
        let mut messages = self.received().await?;
        if messages.len() != 1 {
            bail!("expected exactly one alert, got {}", messages.len());
        }
        Ok(messages.remove(0))
    }
}

/// Source -> Build (CodeBuild) -> Deploy (CodeDeploy), as in the samples.
async fn seed_pipeline(aws: &LocalAws) -> Result<()> {
    aws.admin_post(
        "/codepipeline/pipelines",
        json!({"name": PIPELINE, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source",
                "configuration": {"RepositoryName": "codewarden-demo", "BranchName": "main"}}]},
            {"name": "Build", "actions": [{"name": "Build", "category": "Build",
                "configuration": {"ProjectName": "codewarden-demo-build"}}]},
            {"name": "Deploy", "actions": [{"name": "Deploy", "category": "Deploy"}]},
        ]}),
    )
    .await?;
    Ok(())
}

/// The sample execution, failed in its Build action (build [`BUILD`]).
async fn seed_failed_build(stack: &Stack, stream: &str) -> Result<()> {
    stack
        .aws
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": PIPELINE, "pipelineExecutionId": EXECUTION, "status": "Failed",
                   "startTime": T0, "lastUpdateTime": T0 + 334,
                   "actions": [
                       {"stageName": "Source", "actionName": "Source"},
                       {"stageName": "Build", "actionName": "Build", "status": "Failed",
                        "errorCode": "JobFailed", "errorMessage": "Build terminated with state: FAILED",
                        "summary": "Build terminated with state: FAILED",
                        "externalExecutionId": BUILD,
                        "externalExecutionUrl": "https://console.aws.amazon.com/codebuild/home?region=us-east-1#/builds/codewarden-demo-build:8e4f2a6c-1b3d-4e5f-a7b9-c0d1e2f3a4b5/view/new"}]}),
        )
        .await?;
    stack
        .aws
        .admin_post(
            "/codebuild/builds",
            json!({"id": BUILD, "buildStatus": "FAILED", "currentPhase": "COMPLETED",
                   "initiator": format!("codepipeline/{PIPELINE}"),
                   "phases": [
                       {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED"},
                       {"phaseType": "PROVISIONING", "phaseStatus": "SUCCEEDED",
                        "contexts": [{"statusCode": "", "message": ""}]},
                       {"phaseType": "BUILD", "phaseStatus": "FAILED",
                        "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR",
                                      "message": "Error while executing command: cargo clippy --all-targets -- -D warnings. Reason: exit status 101"}]},
                       {"phaseType": "FINALIZING", "phaseStatus": "SUCCEEDED"},
                       {"phaseType": "COMPLETED"}],
                   "logs": {"groupName": "/aws/codebuild/codewarden-demo-build", "streamName": stream}}),
        )
        .await?;
    Ok(())
}

/// 30 lines of a failing `cargo clippy` run; `extra` replaces line 28.
fn build_log(extra: Option<&str>) -> Vec<String> {
    (1..=30)
        .map(|i| match (i, extra) {
            (28, Some(line)) => line.to_owned(),
            (27, _) => "error: this `if` has identical blocks --> src/lib.rs:12:5".to_owned(),
            (29, _) => "error: could not compile `app` (lib) due to 1 previous error".to_owned(),
            (30, _) => "[Container] 2024/05/14 09:26:01 Command did not exit successfully cargo clippy --all-targets -- -D warnings exit status 101".to_owned(),
            (i, _) => format!("   Compiling dep-{i} v1.0.{i}"),
        })
        .collect()
}

fn sample(name: &str) -> Result<Value> {
    let path = format!("{}/../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    Ok(serde_json::from_str(&text)?)
}

/// The stream name with its per-run suffix replaced.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"run-[0-9a-f]+", "[stream]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "[host]");
    settings
}

/// The subject, the plain text (as email subscribers read it) and the rest
/// of the JSON document, for a snapshot.
fn text(received: &Delivered) -> String {
    let mut document = received.document.clone();
    let text = document
        .as_object_mut()
        .and_then(|d| d.remove("text"))
        .and_then(|t| t.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("{}\n\n{text}\n{document:#}", received.subject)
}

#[tokio::test]
async fn pipeline_failing_in_codebuild_sends_one_alert_with_the_log_tail() -> Result<()> {
    // GIVEN an execution whose Build action failed, and the build's log
    let stack = Stack::start().await?;
    let stream = unique_name("run");
    seed_failed_build(&stack, &stream).await?;
    stack
        .seed_log(
            "/aws/codebuild/codewarden-demo-build",
            &stream,
            &build_log(None),
        )
        .await?;

    // WHEN the pipeline's FAILED event arrives
    let outcome = stack
        .invoke(sample("codepipeline-pipeline-failed")?)
        .await?;

    // THEN one alert names the action, the error, the phase and the last 5 log lines
    assert!(matches!(outcome, Outcome::Alerted { .. }), "{outcome:?}");
    let alert = stack.one_message().await?;
    assert_eq!(
        alert.subject,
        "Pipeline codewarden-demo-pipeline FAILED in Build/Build: JobFailed"
    );
    let action = &alert.document["failedActions"][0];
    assert_eq!(action["provider"], "CodeBuild");
    assert_eq!(action["build"]["phase"], "BUILD");
    let tail = action["build"]["logTail"]
        .as_array()
        .context("no log tail")?;
    assert_eq!(tail.len(), 5);
    assert_eq!(tail[0], "   Compiling dep-26 v1.0.26");
    assert!(
        tail[4]
            .as_str()
            .is_some_and(|l| l.contains("exit status 101"))
    );
    assert_eq!(alert.attributes["pipeline"], PIPELINE);
    assert_eq!(alert.attributes["stage"], "Build");
    assert_eq!(alert.attributes["state"], "FAILED");
    assert_eq!(alert.attributes["severity"], "high");
    assert_eq!(alert.attributes["account"], "123456789012");
    assert_eq!(alert.attributes["region"], "us-east-1");
    settings().bind(|| insta::assert_snapshot!(text(&alert)));
    Ok(())
}

#[tokio::test]
async fn pipeline_failing_in_a_deploy_action_names_the_action_and_error() -> Result<()> {
    let stack = Stack::start().await?;
    stack
        .aws
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": PIPELINE, "pipelineExecutionId": EXECUTION, "status": "Failed",
                   "startTime": T0,
                   "actions": [
                       {"stageName": "Source", "actionName": "Source"},
                       {"stageName": "Build", "actionName": "Build", "externalExecutionId": BUILD},
                       {"stageName": "Deploy", "actionName": "Deploy", "status": "Failed",
                        "errorCode": "JobFailed",
                        "errorMessage": "Deployment d-7KQ2X3ABC failed: too many individual instances failed deployment",
                        "externalExecutionId": "d-7KQ2X3ABC",
                        "externalExecutionUrl": "https://console.aws.amazon.com/codedeploy/home?region=us-east-1#/deployments/d-7KQ2X3ABC"}]}),
        )
        .await?;

    let outcome = stack
        .invoke(sample("codepipeline-pipeline-failed")?)
        .await?;

    assert!(matches!(outcome, Outcome::Alerted { .. }), "{outcome:?}");
    let alert = stack.one_message().await?;
    assert_eq!(
        alert.subject,
        "Pipeline codewarden-demo-pipeline FAILED in Deploy/Deploy: JobFailed"
    );
    let actions = alert.document["failedActions"]
        .as_array()
        .context("no actions")?;
    assert_eq!(actions.len(), 1, "only the failed action is reported");
    assert_eq!(actions[0]["provider"], "CodeDeploy");
    assert_eq!(actions[0]["build"], Value::Null);
    assert_eq!(alert.attributes["stage"], "Deploy");
    settings().bind(|| insta::assert_snapshot!(text(&alert)));
    Ok(())
}

#[tokio::test]
async fn a_standalone_build_timing_out_gets_its_own_alert() -> Result<()> {
    let stack = Stack::start().await?;
    let stream = unique_name("run");
    let mut event = sample("codebuild-timed-out")?;
    event["detail"]["additional-information"]["logs"]["stream-name"] = json!(stream);
    let lines: Vec<String> = (1..=8)
        .map(|i| format!("test integration::case_{i} ... ok"))
        .collect();
    stack
        .seed_log(
            "/aws/codebuild/codewarden-integration-tests",
            &stream,
            &lines,
        )
        .await?;

    let outcome = stack.invoke(event).await?;

    assert!(matches!(outcome, Outcome::Alerted { .. }), "{outcome:?}");
    let alert = stack.one_message().await?;
    assert_eq!(
        alert.subject,
        "Build codewarden-integration-tests TIMED_OUT in phase BUILD"
    );
    assert_eq!(
        alert.document["build"]["phaseContext"][0],
        "BUILD_TIMED_OUT: Build has timed out."
    );
    assert_eq!(
        alert.document["build"]["logTail"][4],
        "test integration::case_8 ... ok"
    );
    assert_eq!(alert.attributes["project"], "codewarden-integration-tests");
    assert_eq!(alert.attributes["state"], "TIMED_OUT");
    settings().bind(|| insta::assert_snapshot!(text(&alert)));
    Ok(())
}

#[tokio::test]
async fn the_events_of_one_failure_give_one_alert() -> Result<()> {
    // GIVEN a failed execution
    let stack = Stack::start().await?;
    let stream = unique_name("run");
    seed_failed_build(&stack, &stream).await?;
    stack
        .seed_log(
            "/aws/codebuild/codewarden-demo-build",
            &stream,
            &build_log(None),
        )
        .await?;

    // WHEN the build, action, stage and pipeline events all arrive
    let mut outcomes = Vec::new();
    for name in [
        "codebuild-from-pipeline",
        "codepipeline-action-failed",
        "codepipeline-stage-failed",
        "codepipeline-pipeline-failed",
    ] {
        outcomes.push(stack.invoke(sample(name)?).await?);
    }

    // THEN only the pipeline event alerts, and once
    assert!(
        matches!(outcomes[0], Outcome::Acknowledged { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], Outcome::Acknowledged { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[2], Outcome::Acknowledged { .. }),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[3], Outcome::Alerted { .. }),
        "{outcomes:?}"
    );
    assert_eq!(stack.received().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_redelivered_event_alerts_once() -> Result<()> {
    let stack = Stack::start().await?;
    let stream = unique_name("run");
    seed_failed_build(&stack, &stream).await?;
    stack
        .seed_log(
            "/aws/codebuild/codewarden-demo-build",
            &stream,
            &build_log(None),
        )
        .await?;
    let event = sample("codepipeline-pipeline-failed")?;

    let first = stack.invoke(event.clone()).await?;
    let second = stack.invoke(event).await?;

    assert!(matches!(first, Outcome::Alerted { .. }), "{first:?}");
    assert!(matches!(second, Outcome::Duplicate { .. }), "{second:?}");
    assert_eq!(stack.received().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_secret_in_the_log_tail_is_masked_everywhere() -> Result<()> {
    let stack = Stack::start().await?;
    let stream = unique_name("run");
    seed_failed_build(&stack, &stream).await?;
    let line = format!("+ aws configure set aws_access_key_id {SECRET}");
    stack
        .seed_log(
            "/aws/codebuild/codewarden-demo-build",
            &stream,
            &build_log(Some(&line)),
        )
        .await?;

    stack
        .invoke(sample("codepipeline-pipeline-failed")?)
        .await?;

    let alert = stack.one_message().await?;
    // The raw SQS body holds the subject, the message and the attributes.
    assert!(
        !alert.raw.contains(SECRET),
        "the secret leaked: {}",
        alert.raw
    );
    assert!(!alert.subject.contains(SECRET));
    assert!(alert.attributes.values().all(|v| !v.contains(SECRET)));
    let tail = &alert.document["failedActions"][0]["build"]["logTail"];
    assert_eq!(tail[2], "+ aws configure set aws_access_key_id AKIA***");
    Ok(())
}

#[tokio::test]
async fn credentials_quoted_by_phase_context_errors_and_summaries_are_masked() -> Result<()> {
    // GIVEN a build whose phase context quotes `curl -u deploy:<password>`
    // (a low-entropy password no detection rule flags), and an action
    // whose error message and summary quote URL userinfo and a
    // `password=` assignment
    let stack = Stack::start().await?;
    let password = "Winter2026";
    let stream = unique_name("run");
    stack
        .aws
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": PIPELINE, "pipelineExecutionId": EXECUTION, "status": "Failed",
                   "startTime": T0, "lastUpdateTime": T0 + 334,
                   "actions": [
                       {"stageName": "Source", "actionName": "Source"},
                       {"stageName": "Build", "actionName": "Build", "status": "Failed",
                        "errorCode": "JobFailed",
                        "errorMessage": format!("fatal: unable to access 'https://ci:{password}@git.example.com/app.git/'"),
                        "summary": format!("deploy with DB_PASSWORD={password} failed"),
                        "externalExecutionId": BUILD}]}),
        )
        .await?;
    stack
        .aws
        .admin_post(
            "/codebuild/builds",
            json!({"id": BUILD, "buildStatus": "FAILED", "currentPhase": "COMPLETED",
                   "initiator": format!("codepipeline/{PIPELINE}"),
                   "phases": [
                       {"phaseType": "BUILD", "phaseStatus": "FAILED",
                        "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR",
                                      "message": format!("Error while executing command: curl -fsS -u deploy:{password} https://nexus.example.com/upload. Reason: exit status 22")}]}],
                   "logs": {"groupName": "/aws/codebuild/codewarden-demo-build", "streamName": stream}}),
        )
        .await?;
    let line = format!("+ curl -u deploy:{password} https://nexus.example.com/upload");
    stack
        .seed_log(
            "/aws/codebuild/codewarden-demo-build",
            &stream,
            &build_log(Some(&line)),
        )
        .await?;

    // WHEN the failure is reported
    stack
        .invoke(sample("codepipeline-pipeline-failed")?)
        .await?;

    // THEN the password is nowhere in what subscribers receive
    let alert = stack.one_message().await?;
    assert!(
        !alert.raw.contains(password),
        "the password leaked: {}",
        alert.raw
    );
    // AND what surrounds it is still there to act on
    assert!(
        alert
            .raw
            .contains("curl -fsS -u deploy:*** https://nexus.example.com/upload"),
        "phase context not shown masked: {}",
        alert.raw
    );
    assert!(
        alert
            .raw
            .contains("https://ci:***@git.example.com/app.git/")
    );
    assert!(alert.raw.contains("DB_PASSWORD=*** failed"));
    Ok(())
}

#[tokio::test]
async fn a_pipeline_succeeding_after_a_failure_sends_recovered() -> Result<()> {
    // GIVEN a failed execution, then a successful one 1h 5m later
    let stack = Stack::start().await?;
    let succeeded = sample("codepipeline-pipeline-succeeded")?;
    let recovered_id = succeeded["detail"]["execution-id"]
        .as_str()
        .context("id")?
        .to_owned();
    for (id, status, start, end) in [
        (EXECUTION, "Failed", T0, T0 + 300),
        (
            recovered_id.as_str(),
            "Succeeded",
            T0 + 1800,
            T0 + 300 + 3900,
        ),
    ] {
        stack
            .aws
            .admin_post(
                "/codepipeline/executions",
                json!({"pipelineName": PIPELINE, "pipelineExecutionId": id, "status": status,
                       "startTime": start, "lastUpdateTime": end}),
            )
            .await?;
    }

    // WHEN the SUCCEEDED event arrives (twice)
    let outcome = stack.invoke(succeeded.clone()).await?;
    let again = stack.invoke(succeeded).await?;

    // THEN one short recovered notice
    assert!(matches!(outcome, Outcome::Alerted { .. }), "{outcome:?}");
    assert!(matches!(again, Outcome::Duplicate { .. }), "{again:?}");
    let alert = stack.one_message().await?;
    assert_eq!(
        alert.subject,
        "Pipeline codewarden-demo-pipeline recovered after 1h 5m"
    );
    assert_eq!(alert.document["failedExecutionId"], EXECUTION);
    assert_eq!(alert.attributes["severity"], "info");
    settings().bind(|| insta::assert_snapshot!(text(&alert)));
    Ok(())
}

#[tokio::test]
async fn success_after_success_is_quiet() -> Result<()> {
    let stack = Stack::start().await?;
    let succeeded = sample("codepipeline-pipeline-succeeded")?;
    let id = succeeded["detail"]["execution-id"]
        .as_str()
        .context("id")?
        .to_owned();
    for (id, start) in [(EXECUTION, T0), (id.as_str(), T0 + 1800)] {
        stack
            .aws
            .admin_post(
                "/codepipeline/executions",
                json!({"pipelineName": PIPELINE, "pipelineExecutionId": id,
                       "status": "Succeeded", "startTime": start}),
            )
            .await?;
    }

    let outcome = stack.invoke(succeeded).await?;

    assert!(
        matches!(outcome, Outcome::Acknowledged { .. }),
        "{outcome:?}"
    );
    assert!(stack.received().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_failed_publish_releases_the_marker_so_the_retry_alerts() -> Result<()> {
    // GIVEN a topic that does not exist
    let stack = Stack::start().await?;
    seed_failed_build(&stack, &unique_name("run")).await?;
    let mut config = stack.config.clone();
    config.topic_arn = "arn:aws:sns:us-east-1:123456789012:no-such-topic".to_owned();
    let broken = SdkDeps::new(config, stack.clients.clone())?;
    let event = sample("codepipeline-pipeline-failed")?;

    // WHEN publishing fails
    let error = handle(event.clone(), &broken)
        .await
        .err()
        .context("expected an error")?;
    assert!(error.to_string().contains("Publish failed"), "{error}");

    // THEN the marker is gone: the retry (with a working topic) alerts
    let retry = stack.invoke(event).await?;
    assert!(matches!(retry, Outcome::Alerted { .. }), "{retry:?}");
    assert_eq!(stack.received().await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn malformed_events_are_an_error_and_foreign_ones_acknowledged() -> Result<()> {
    let stack = Stack::start().await?;
    let mut broken = sample("codepipeline-pipeline-failed")?;
    broken["detail"]
        .as_object_mut()
        .context("detail")?
        .remove("execution-id");

    let error = handle(broken, &stack.deps)
        .await
        .err()
        .context("expected an error")?;
    assert_eq!(error.error_type(), "InvalidEvent");
    assert!(error.to_string().contains("detail.execution-id"), "{error}");

    let outcome = stack.invoke(sample("codecommit-push")?).await?;
    assert!(
        matches!(outcome, Outcome::Acknowledged { .. }),
        "{outcome:?}"
    );
    assert!(stack.received().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn chatbot_format_keeps_the_json_document_for_sqs() -> Result<()> {
    // GIVEN the Chatbot format (the `https` variant; unit-tested in shared::notify)
    let stack = Stack::start_with(&[("CHATBOT_FORMAT", "true")]).await?;
    seed_failed_build(&stack, &unique_name("run")).await?;

    stack
        .invoke(sample("codepipeline-pipeline-failed")?)
        .await?;

    // THEN the SQS subscriber still gets the JSON document
    let alert = stack.one_message().await?;
    assert_eq!(alert.document["pipeline"], PIPELINE);
    assert_eq!(alert.document["kind"], "pipeline-execution");
    Ok(())
}

/// Base64 lines shaped like a private key's body (64 characters each),
/// made at run time from a seed.
fn key_body(lines: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..lines)
        .map(|_| {
            (0..64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ALPHABET[(state % 64) as usize] as char
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn the_log_tail_is_masked_maximally_whatever_the_pragma_quoting_or_cut() -> Result<()> {
    // GIVEN a build log whose last 25 lines hold: a key under a
    // `codewarden:allow` pragma, a key assigned to a fixture-named
    // variable, `mysql -p<password>`, quoted passwords with spaces, JSON
    // escaped inside a JSON string, URL userinfo whose password holds
    // `@ / : #`, and the body of a private key whose BEGIN line is above
    // the tail
    let stack = Stack::start_with(&[("LOG_TAIL_LINES", "25")]).await?;
    let stream = unique_name("run");
    seed_failed_build(&stack, &stream).await?;
    let pragma_key = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
    let fixture_key = ["AKIA", "Q4VZ3T7XKP2MNB6W"].concat();
    let body = key_body(20);
    let mut log: Vec<String> = (1..=10).map(|i| format!("step {i}")).collect();
    log.push("-----BEGIN RSA PRIVATE KEY-----".to_owned());
    log.extend(body.iter().cloned());
    log.push("-----END RSA PRIVATE KEY-----".to_owned());
    log.extend([
        format!("+ aws configure set aws_access_key_id {pragma_key} # codewarden:allow"),
        format!("fake_aws_key = \"{fixture_key}\""),
        "+ mysql -uadmin -pS3cretPw9 app < schema.sql".to_owned(),
        "DB_PASSWORD=\"correct horse battery staple\" ./migrate".to_owned(),
        "PASSWORD: 'tr0ub4dor and three'".to_owned(),
        r#"{"level":"error","body":"{\"password\":\"hunter2hunter\",\"user\":\"ci\"}"}"#.to_owned(),
        "fatal: unable to access 'https://ci:p@ss/w:rd#9@git.example.com/app.git/'".to_owned(),
        "error: could not compile `app`".to_owned(),
    ]);
    // The tail (25 lines) starts inside the key's body.
    assert!(
        log.len() - 25 > 10,
        "the BEGIN line must fall outside the tail"
    );
    stack
        .seed_log("/aws/codebuild/codewarden-demo-build", &stream, &log)
        .await?;

    // WHEN the failure is reported
    stack
        .invoke(sample("codepipeline-pipeline-failed")?)
        .await?;

    // THEN none of them reaches the subscribers
    let alert = stack.one_message().await?;
    let mut leaked: Vec<&str> = [
        &pragma_key[4..],
        &fixture_key[4..],
        "S3cretPw9",
        "horse battery",
        "tr0ub4dor",
        "and three",
        "hunter2hunter",
        "ss/w:rd#9",
    ]
    .into_iter()
    .filter(|secret| alert.raw.contains(secret))
    .collect();
    leaked.extend(
        body.iter()
            .map(String::as_str)
            .filter(|line| alert.raw.contains(&line[..32])),
    );
    assert!(leaked.is_empty(), "leaked {leaked:?}:\n{}", alert.raw);
    // AND the tail is still there to act on, masked in place
    let tail: Vec<&str> = alert.document["failedActions"][0]["build"]["logTail"]
        .as_array()
        .context("no log tail")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "-----END RSA PRIVATE KEY-----",
        "+ mysql -uadmin -p*** app < schema.sql",
        "DB_PASSWORD=\"***\" ./migrate",
        "PASSWORD: '***'",
        "fatal: unable to access 'https://ci:***@git.example.com/app.git/'",
        "error: could not compile `app`",
    ] {
        assert!(
            tail.contains(&expected),
            "{expected} missing from {tail:#?}"
        );
    }
    Ok(())
}
