//! The ports implemented with the AWS SDK, and how SDK errors map to
//! [`Error`] (retryable or not).

use aws_sdk_codebuild::types::StatusType;
use aws_sdk_codepipeline::types::{ActionExecutionFilter, ActionExecutionStatus};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use chrono::{DateTime, Utc};
use shared::notify::SnsPublish;

use crate::Error;
use crate::ports::{
    BuildFacts, BuildLogs, Builds, FailedAction, FailedPhase, LogStream, Markers, Notifier,
    PipelineHistory, PipelineRun,
};

/// Maps an SDK error to [`Error::Aws`], retryable or not by the one
/// classification every function shares ([`shared::sdk::is_retryable`]).
pub(crate) fn aws_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    Error::Aws {
        operation,
        retryable: shared::sdk::is_retryable(&error),
        message: shared::sdk::describe(&error),
        source: Box::new(error),
    }
}

fn to_chrono(time: Option<&aws_sdk_codepipeline::primitives::DateTime>) -> Option<DateTime<Utc>> {
    time.and_then(|t| DateTime::from_timestamp(t.secs(), t.subsec_nanos()))
}

/// CodeBuild writes `": "` for a phase without context: drop such entries.
pub(crate) fn meaningful_context(entries: impl Iterator<Item = String>) -> Vec<String> {
    entries
        .map(|entry| entry.trim().to_owned())
        .filter(|entry| !entry.trim_matches([':', ' ']).is_empty())
        .collect()
}

/// [`PipelineHistory`] over CodePipeline.
#[derive(Clone, Debug)]
pub struct CodePipelineHistory {
    pub client: aws_sdk_codepipeline::Client,
}

impl PipelineHistory for CodePipelineHistory {
    async fn failed_actions(
        &self,
        pipeline: &str,
        execution_id: &str,
    ) -> Result<Vec<FailedAction>, Error> {
        let mut failed = Vec::new();
        let mut next_token = None;
        // An execution has at most a few hundred actions; bound the loop anyway.
        for _ in 0..20 {
            let page = self
                .client
                .list_action_executions()
                .pipeline_name(pipeline)
                .filter(
                    ActionExecutionFilter::builder()
                        .pipeline_execution_id(execution_id)
                        .build(),
                )
                .max_results(100)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("ListActionExecutions", e))?;
            for detail in page.action_execution_details() {
                if detail.status() != Some(&ActionExecutionStatus::Failed) {
                    continue;
                }
                let type_id = detail.input().and_then(|i| i.action_type_id());
                let result = detail.output().and_then(|o| o.execution_result());
                let error = result.and_then(|r| r.error_details());
                failed.push(FailedAction {
                    stage: detail.stage_name().unwrap_or_default().to_owned(),
                    action: detail.action_name().unwrap_or_default().to_owned(),
                    provider: type_id.map(|t| t.provider().to_owned()),
                    category: type_id.map(|t| t.category().as_str().to_owned()),
                    error_code: error.and_then(|e| e.code()).map(str::to_owned),
                    error_message: error.and_then(|e| e.message()).map(str::to_owned),
                    summary: result
                        .and_then(|r| r.external_execution_summary())
                        .map(str::to_owned),
                    external_execution_id: result
                        .and_then(|r| r.external_execution_id())
                        .map(str::to_owned),
                    external_execution_url: result
                        .and_then(|r| r.external_execution_url())
                        .map(str::to_owned),
                });
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        // Oldest first reads like the pipeline: the first failure first.
        failed.reverse();
        Ok(failed)
    }

    async fn recent_executions(&self, pipeline: &str) -> Result<Vec<PipelineRun>, Error> {
        let page = self
            .client
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .max_results(25)
            .send()
            .await
            .map_err(|e| aws_error("ListPipelineExecutions", e))?;
        Ok(page
            .pipeline_execution_summaries()
            .iter()
            .filter_map(|summary| {
                Some(PipelineRun {
                    execution_id: summary.pipeline_execution_id()?.to_owned(),
                    status: summary.status()?.as_str().to_owned(),
                    started: to_chrono(summary.start_time()),
                    updated: to_chrono(summary.last_update_time()),
                })
            })
            .collect())
    }
}

/// [`Builds`] over CodeBuild.
#[derive(Clone, Debug)]
pub struct CodeBuildBuilds {
    pub client: aws_sdk_codebuild::Client,
}

impl Builds for CodeBuildBuilds {
    async fn build(&self, id: &str) -> Result<Option<BuildFacts>, Error> {
        let output = self
            .client
            .batch_get_builds()
            .ids(id)
            .send()
            .await
            .map_err(|e| aws_error("BatchGetBuilds", e))?;
        let Some(build) = output.builds().first() else {
            return Ok(None);
        };
        let failed_phase = build
            .phases()
            .iter()
            .find(|p| {
                p.phase_status()
                    .is_some_and(|s| !matches!(s, StatusType::Succeeded | StatusType::InProgress))
            })
            .map(|p| FailedPhase {
                phase: p
                    .phase_type()
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                status: p
                    .phase_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                context: meaningful_context(p.contexts().iter().map(|c| {
                    format!(
                        "{}: {}",
                        c.status_code().unwrap_or_default(),
                        c.message().unwrap_or_default()
                    )
                })),
            });
        let log = build.logs().and_then(|logs| {
            Some(LogStream {
                group: logs.group_name()?.to_owned(),
                stream: logs.stream_name()?.to_owned(),
            })
        });
        let id = build.id().unwrap_or(id);
        Ok(Some(BuildFacts {
            id: shared::links::build_id(id).to_owned(),
            project: build
                .project_name()
                .map(str::to_owned)
                .unwrap_or_else(|| id.split(':').next().unwrap_or_default().to_owned()),
            status: build
                .build_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            initiator: build.initiator().map(str::to_owned),
            failed_phase,
            log,
        }))
    }
}

/// [`BuildLogs`] over CloudWatch Logs.
#[derive(Clone, Debug)]
pub struct CloudWatchBuildLogs {
    pub client: aws_sdk_cloudwatchlogs::Client,
}

impl BuildLogs for CloudWatchBuildLogs {
    async fn tail(&self, log: &LogStream, lines: u32) -> Result<Vec<String>, Error> {
        let output = self
            .client
            .get_log_events()
            .log_group_name(&log.group)
            .log_stream_name(&log.stream)
            .start_from_head(false)
            .limit(i32::try_from(lines).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|e| aws_error("GetLogEvents", e))?;
        Ok(output
            .events()
            .iter()
            .filter_map(|e| e.message())
            .map(|m| m.trim_end_matches(['\n', '\r']).to_owned())
            .collect())
    }
}

/// [`Notifier`] over SNS.
#[derive(Clone, Debug)]
pub struct SnsNotifier {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

impl Notifier for SnsNotifier {
    async fn publish(&self, message: &SnsPublish) -> Result<String, Error> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(message.subject.as_str())
            .message(message.message.as_str())
            .message_structure("json");
        for (name, value) in &message.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value.as_str())
                .build()
                .map_err(|e| Error::Aws {
                    operation: "Publish",
                    retryable: false,
                    message: e.to_string(),
                    source: Box::new(e),
                })?;
            request = request.message_attributes(name, value);
        }
        let output = request.send().await.map_err(|e| aws_error("Publish", e))?;
        Ok(output.message_id().unwrap_or_default().to_owned())
    }
}

/// [`Markers`] as S3 objects, created with `If-None-Match: *`.
#[derive(Clone, Debug)]
pub struct S3Markers {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl Markers for S3Markers {
    async fn claim(&self, key: &str) -> Result<bool, Error> {
        let result = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .if_none_match("*")
            .content_type("text/plain")
            .body(ByteStream::from_static(b"alerted\n"))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(context))
                if context.err().code() == Some("PreconditionFailed")
                    || context.raw().status().as_u16() == 412 =>
            {
                Ok(false)
            }
            Err(error) => Err(aws_error("PutObject", error)),
        }
    }

    async fn release(&self, key: &str) -> Result<(), Error> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| aws_error("DeleteObject", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Request shapes and error mapping against the real SDK clients, with
    //! responses from aws-smithy-mocks.

    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn http(status: u16, body: &'static str) -> aws_sdk_s3::config::http::HttpResponse {
        aws_sdk_s3::config::http::HttpResponse::new(
            status.try_into().unwrap_or_else(|_| unreachable!()),
            aws_sdk_s3::primitives::SdkBody::from(body),
        )
    }

    #[tokio::test]
    async fn markers_claim_with_if_none_match_and_read_412_as_taken() -> TestResult {
        use aws_sdk_s3::Client;
        use aws_sdk_s3::operation::put_object::PutObjectOutput;
        // GIVEN S3 that accepts the first conditional write and refuses the second
        let created = mock!(Client::put_object)
            .match_requests(|r| r.if_none_match() == Some("*") && r.key() == Some("p/k"))
            .then_output(|| PutObjectOutput::builder().build());
        let exists = mock!(Client::put_object).then_http_response(|| {
            http(
                412,
                "<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>",
            )
        });
        let markers = S3Markers {
            client: mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&created, &exists]),
            bucket: "b".to_owned(),
        };
        // WHEN claiming the same key twice THEN only the first claim wins
        assert!(markers.claim("p/k").await?);
        assert!(!markers.claim("p/k").await?);
        Ok(())
    }

    #[tokio::test]
    async fn markers_access_denied_is_not_retryable() {
        use aws_sdk_s3::Client;
        let denied = mock!(Client::put_object).then_http_response(|| {
            http(
                403,
                "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
            )
        });
        let markers = S3Markers {
            client: mock_client!(aws_sdk_s3, [&denied]),
            bucket: "b".to_owned(),
        };
        let error = markers.claim("k").await.err();
        assert!(
            error.as_ref().is_some_and(|e| !e.is_retryable()),
            "{error:?}"
        );
        assert!(error.is_some_and(|e| e.to_string().starts_with("PutObject failed")));
    }

    #[tokio::test]
    async fn notifier_publishes_json_structure_with_attributes() -> TestResult {
        use aws_sdk_sns::Client;
        use aws_sdk_sns::operation::publish::PublishOutput;
        let publish = mock!(Client::publish)
            .match_requests(|r| {
                r.message_structure() == Some("json")
                    && r.subject() == Some("Pipeline web FAILED")
                    && r.topic_arn() == Some("arn:topic")
                    && r.message_attributes().is_some_and(|a| {
                        a.get("pipeline").and_then(|v| v.string_value()) == Some("web")
                    })
            })
            .then_output(|| PublishOutput::builder().message_id("m-1").build());
        let notifier = SnsNotifier {
            client: mock_client!(aws_sdk_sns, [&publish]),
            topic_arn: "arn:topic".to_owned(),
        };
        let message = SnsPublish {
            subject: shared::masked::Masked::new("Pipeline web FAILED"),
            message: shared::masked::Masked::new(r#"{"default":"x"}"#),
            attributes: [("pipeline".to_owned(), shared::masked::Masked::new("web"))].into(),
        };
        assert_eq!(notifier.publish(&message).await?, "m-1");
        Ok(())
    }

    #[tokio::test]
    async fn notifier_throttling_is_retryable_and_not_found_is_not() {
        use aws_sdk_sns::Client;
        use aws_sdk_sns::operation::publish::PublishError;
        use aws_sdk_sns::types::error::NotFoundException;
        let throttled = mock!(Client::publish).then_error(|| {
            PublishError::generic(
                aws_sdk_sns::error::ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        });
        let missing = mock!(Client::publish).then_error(|| {
            PublishError::NotFoundException(
                NotFoundException::builder()
                    .message("Topic does not exist")
                    .build(),
            )
        });
        let notifier = SnsNotifier {
            client: mock_client!(
                aws_sdk_sns,
                RuleMode::Sequential,
                &[&throttled, &missing],
                |c| c.retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
            ),
            topic_arn: "arn:topic".to_owned(),
        };
        let message = SnsPublish {
            subject: shared::masked::Masked::new("s"),
            message: shared::masked::Masked::new("{}"),
            attributes: Default::default(),
        };
        let first = notifier.publish(&message).await.err();
        assert!(first.is_some_and(|e| e.is_retryable()));
        let second = notifier.publish(&message).await.err();
        assert!(
            second.as_ref().is_some_and(|e| !e.is_retryable()),
            "{second:?}"
        );
        assert!(second.is_some_and(|e| e.to_string().contains("Topic does not exist")));
    }

    #[tokio::test]
    async fn logs_tail_asks_for_the_last_lines() -> TestResult {
        use aws_sdk_cloudwatchlogs::Client;
        use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsOutput;
        use aws_sdk_cloudwatchlogs::types::OutputLogEvent;
        let tail = mock!(Client::get_log_events)
            .match_requests(|r| {
                r.start_from_head() == Some(false)
                    && r.limit() == Some(3)
                    && r.log_group_name() == Some("/aws/codebuild/app")
                    && r.log_stream_name() == Some("s-1")
            })
            .then_output(|| {
                GetLogEventsOutput::builder()
                    .events(OutputLogEvent::builder().message("one\n").build())
                    .events(OutputLogEvent::builder().message("two\n").build())
                    .build()
            });
        let logs = CloudWatchBuildLogs {
            client: mock_client!(aws_sdk_cloudwatchlogs, [&tail]),
        };
        let log = LogStream {
            group: "/aws/codebuild/app".to_owned(),
            stream: "s-1".to_owned(),
        };
        assert_eq!(logs.tail(&log, 3).await?, ["one", "two"]);
        Ok(())
    }

    #[tokio::test]
    async fn logs_missing_stream_is_not_retryable() {
        use aws_sdk_cloudwatchlogs::Client;
        use aws_sdk_cloudwatchlogs::operation::get_log_events::GetLogEventsError;
        use aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException;
        let missing = mock!(Client::get_log_events).then_error(|| {
            GetLogEventsError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("The specified log stream does not exist.")
                    .build(),
            )
        });
        let logs = CloudWatchBuildLogs {
            client: mock_client!(aws_sdk_cloudwatchlogs, [&missing]),
        };
        let log = LogStream {
            group: "g".to_owned(),
            stream: "s".to_owned(),
        };
        let error = logs.tail(&log, 5).await.err();
        assert!(error.is_some_and(
            |e| !e.is_retryable() && e.to_string().contains("log stream does not exist")
        ));
    }

    #[tokio::test]
    async fn builds_map_the_failed_phase_and_log_location() -> TestResult {
        use aws_sdk_codebuild::Client;
        use aws_sdk_codebuild::operation::batch_get_builds::BatchGetBuildsOutput;
        use aws_sdk_codebuild::types::{
            Build, BuildPhase, BuildPhaseType, LogsLocation, PhaseContext,
        };
        let found = mock!(Client::batch_get_builds)
            .match_requests(|r| r.ids() == ["app:1"])
            .then_output(|| {
                BatchGetBuildsOutput::builder()
                    .builds(
                        Build::builder()
                            .id("app:1")
                            .project_name("app")
                            .build_status(StatusType::Failed)
                            .initiator("codepipeline/web")
                            .phases(
                                BuildPhase::builder()
                                    .phase_type(BuildPhaseType::Provisioning)
                                    .phase_status(StatusType::Succeeded)
                                    .contexts(
                                        PhaseContext::builder().status_code("").message("").build(),
                                    )
                                    .build(),
                            )
                            .phases(
                                BuildPhase::builder()
                                    .phase_type(BuildPhaseType::Build)
                                    .phase_status(StatusType::Failed)
                                    .contexts(
                                        PhaseContext::builder()
                                            .status_code("COMMAND_EXECUTION_ERROR")
                                            .message("exit status 1")
                                            .build(),
                                    )
                                    .build(),
                            )
                            .logs(
                                LogsLocation::builder()
                                    .group_name("/aws/codebuild/app")
                                    .stream_name("1")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let builds = CodeBuildBuilds {
            client: mock_client!(aws_sdk_codebuild, [&found]),
        };
        let facts = builds.build("app:1").await?.ok_or("no build")?;
        assert_eq!(facts.status, "FAILED");
        assert_eq!(
            facts.failed_phase,
            Some(FailedPhase {
                phase: "BUILD".to_owned(),
                status: "FAILED".to_owned(),
                context: vec!["COMMAND_EXECUTION_ERROR: exit status 1".to_owned()],
            })
        );
        assert_eq!(
            facts.log.map(|l| l.group),
            Some("/aws/codebuild/app".to_owned())
        );
        Ok(())
    }

    #[tokio::test]
    async fn builds_server_error_is_retryable() {
        use aws_sdk_codebuild::Client;
        let broken = mock!(Client::batch_get_builds).then_http_response(|| {
            http(500, r#"{"__type": "InternalFailure", "message": "boom"}"#)
        });
        let builds = CodeBuildBuilds {
            client: mock_client!(aws_sdk_codebuild, RuleMode::Sequential, &[&broken], |c| c
                .retry_config(aws_sdk_codebuild::config::retry::RetryConfig::disabled())),
        };
        let error = builds.build("app:1").await.err();
        assert!(error.is_some_and(|e| e.is_retryable()));
    }

    #[tokio::test]
    async fn history_keeps_only_failed_actions() -> TestResult {
        use aws_sdk_codepipeline::Client;
        use aws_sdk_codepipeline::operation::list_action_executions::ListActionExecutionsOutput;
        use aws_sdk_codepipeline::types::{
            ActionCategory, ActionExecutionDetail, ActionExecutionInput, ActionExecutionOutput,
            ActionExecutionResult, ActionOwner, ActionTypeId, ErrorDetails,
        };
        let type_id = |category, provider: &str| {
            ActionTypeId::builder()
                .category(category)
                .owner(ActionOwner::Aws)
                .provider(provider)
                .version("1")
                .build()
        };
        let build_type = type_id(ActionCategory::Build, "CodeBuild")?;
        let source_type = type_id(ActionCategory::Source, "CodeCommit")?;
        let listing = mock!(Client::list_action_executions)
            .match_requests(|r| {
                r.pipeline_name() == Some("web")
                    && r.filter().and_then(|f| f.pipeline_execution_id()) == Some("e-1")
            })
            .then_output(move || {
                ListActionExecutionsOutput::builder()
                    .action_execution_details(
                        ActionExecutionDetail::builder()
                            .stage_name("Build")
                            .action_name("Build")
                            .status(ActionExecutionStatus::Failed)
                            .input(
                                ActionExecutionInput::builder()
                                    .action_type_id(build_type.clone())
                                    .build(),
                            )
                            .output(
                                ActionExecutionOutput::builder()
                                    .execution_result(
                                        ActionExecutionResult::builder()
                                            .external_execution_id("app:1")
                                            .error_details(
                                                ErrorDetails::builder()
                                                    .code("JobFailed")
                                                    .message("Build terminated with state: FAILED")
                                                    .build(),
                                            )
                                            .build(),
                                    )
                                    .build(),
                            )
                            .build(),
                    )
                    .action_execution_details(
                        ActionExecutionDetail::builder()
                            .stage_name("Source")
                            .action_name("Source")
                            .status(ActionExecutionStatus::Succeeded)
                            .input(
                                ActionExecutionInput::builder()
                                    .action_type_id(source_type.clone())
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let history = CodePipelineHistory {
            client: mock_client!(aws_sdk_codepipeline, [&listing]),
        };
        let failed = history.failed_actions("web", "e-1").await?;
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].provider.as_deref(), Some("CodeBuild"));
        assert_eq!(failed[0].error_code.as_deref(), Some("JobFailed"));
        assert_eq!(failed[0].external_execution_id.as_deref(), Some("app:1"));
        Ok(())
    }

    #[tokio::test]
    async fn history_missing_pipeline_is_not_retryable() {
        use aws_sdk_codepipeline::Client;
        use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsError;
        use aws_sdk_codepipeline::types::error::PipelineNotFoundException;
        let missing = mock!(Client::list_pipeline_executions).then_error(|| {
            ListPipelineExecutionsError::PipelineNotFoundException(
                PipelineNotFoundException::builder().build(),
            )
        });
        let history = CodePipelineHistory {
            client: mock_client!(aws_sdk_codepipeline, [&missing]),
        };
        let error = history.recent_executions("web").await.err();
        assert!(error.is_some_and(|e| !e.is_retryable() && e.error_type() == "AwsError"));
    }
}
