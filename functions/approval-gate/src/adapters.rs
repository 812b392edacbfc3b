//! The ports implemented with the AWS SDK, how SDK errors map to [`Error`]
//! (retryable or not), and the signing key from Secrets Manager.

use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultError;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use shared::approval::{Decision, Policy, ScanState, SigningKey};
use shared::events::ApprovalRequest;
use shared::notify::SnsPublish;

use crate::Error;
use crate::ports::{ExecutionFacts, Markers, Notifier, Pipelines, Recorded, Reports, Revision};

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

/// The link signing key: the secret's string (or binary) value. The value
/// is never logged or put in an error.
pub async fn signing_key(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<SigningKey, Error> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| aws_error("GetSecretValue", e))?;
    let bytes = match (output.secret_string(), output.secret_binary()) {
        (Some(text), _) => text.trim().as_bytes().to_vec(),
        (None, Some(blob)) => blob.as_ref().to_vec(),
        (None, None) => {
            return Err(Error::SigningKey(format!(
                "secret {secret_id} has no value"
            )));
        }
    };
    SigningKey::new(bytes).map_err(|e| Error::SigningKey(e.to_string()))
}

/// The approval policy stored in an SSM parameter.
pub async fn policy_parameter(client: &aws_sdk_ssm::Client, name: &str) -> Result<Policy, Error> {
    let output = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| aws_error("GetParameter", e))?;
    let text = output
        .parameter()
        .and_then(|p| p.value())
        .unwrap_or_default();
    Policy::from_json(text).map_err(|source| Error::Policy {
        name: name.to_owned(),
        source,
    })
}

/// [`Pipelines`] over CodePipeline.
#[derive(Clone, Debug)]
pub struct CodePipelineApprovals {
    pub client: aws_sdk_codepipeline::Client,
}

impl Pipelines for CodePipelineApprovals {
    async fn pending_execution(&self, request: &ApprovalRequest) -> Result<Option<String>, Error> {
        let state = self
            .client
            .get_pipeline_state()
            .name(&request.pipeline_name)
            .send()
            .await
            .map_err(|e| aws_error("GetPipelineState", e))?;
        let Some(stage) = state
            .stage_states()
            .iter()
            .find(|s| s.stage_name() == Some(request.stage_name.as_str()))
        else {
            return Ok(None);
        };
        let waiting = stage.action_states().iter().any(|a| {
            a.action_name() == Some(request.action_name.as_str())
                && a.latest_execution().and_then(|e| e.token()) == Some(request.token.as_str())
        });
        Ok(waiting
            .then(|| stage.latest_execution())
            .flatten()
            .map(|e| e.pipeline_execution_id().to_owned()))
    }

    async fn execution(&self, pipeline: &str, execution_id: &str) -> Result<ExecutionFacts, Error> {
        let output = self
            .client
            .get_pipeline_execution()
            .pipeline_name(pipeline)
            .pipeline_execution_id(execution_id)
            .send()
            .await
            .map_err(|e| aws_error("GetPipelineExecution", e))?;
        let execution = output.pipeline_execution();
        let trigger = execution.and_then(|e| e.trigger());
        Ok(ExecutionFacts {
            execution_id: execution_id.to_owned(),
            revisions: execution
                .map(|e| e.artifact_revisions())
                .unwrap_or_default()
                .iter()
                .map(|r| Revision {
                    revision_id: r.revision_id().map(str::to_owned),
                    url: r.revision_url().map(str::to_owned),
                    summary: r.revision_summary().map(str::to_owned),
                })
                .collect(),
            requester: trigger
                .and_then(|t| t.trigger_detail())
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .or_else(|| {
                    trigger
                        .and_then(|t| t.trigger_type())
                        .map(|t| t.as_str().to_owned())
                }),
        })
    }

    async fn put_result(
        &self,
        request: &ApprovalRequest,
        decision: Decision,
        summary: &str,
    ) -> Result<Recorded, Error> {
        let status = match decision {
            Decision::Approve => ApprovalStatus::Approved,
            Decision::Reject => ApprovalStatus::Rejected,
        };
        let result = ApprovalResult::builder()
            .summary(summary)
            .status(status)
            .build()
            .map_err(|e| Error::Aws {
                operation: "PutApprovalResult",
                retryable: false,
                message: e.to_string(),
                source: Box::new(e),
            })?;
        let sent = self
            .client
            .put_approval_result()
            .pipeline_name(&request.pipeline_name)
            .stage_name(&request.stage_name)
            .action_name(&request.action_name)
            .token(&request.token)
            .result(result)
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Recorded::Done),
            Err(SdkError::ServiceError(context)) => match context.err() {
                PutApprovalResultError::ApprovalAlreadyCompletedException(_) => {
                    Ok(Recorded::AlreadyDecided)
                }
                PutApprovalResultError::InvalidApprovalTokenException(_) => {
                    Ok(Recorded::TokenInvalid)
                }
                _ => Err(aws_error(
                    "PutApprovalResult",
                    SdkError::ServiceError(context),
                )),
            },
            Err(error) => Err(aws_error("PutApprovalResult", error)),
        }
    }
}

/// [`Reports`] as S3 objects `<prefix><repository>/<commit>.json`.
#[derive(Clone, Debug)]
pub struct S3Reports {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

impl Reports for S3Reports {
    async fn scan_state(&self, repository: &str, commit: &str) -> Result<ScanState, Error> {
        let key = format!("{}{repository}/{commit}.json", self.prefix);
        let got = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await;
        let object = match got {
            Ok(object) => object,
            Err(SdkError::ServiceError(context))
                if matches!(context.err(), GetObjectError::NoSuchKey(_))
                    || context.raw().status().as_u16() == 404 =>
            {
                return Ok(ScanState::NotScanned);
            }
            Err(error) if shared::sdk::is_retryable(&error) => {
                return Err(aws_error("GetObject", error));
            }
            Err(error) => {
                // Access denied, no such bucket: a person decides, and the
                // log says what to fix.
                let error = aws_error("GetObject", error);
                tracing::warn!(bucket = %self.bucket, key = %key, error = %error, "findings report unreadable");
                return Ok(ScanState::Unknown {
                    reason: format!(
                        "the secret-scanner report for commit {} could not be read",
                        shared::approval::policy::short(commit)
                    ),
                });
            }
        };
        let bytes = object.body.collect().await.map_err(|e| Error::Aws {
            operation: "GetObject",
            retryable: true,
            message: format!("reading the body of s3://{}/{key}: {e}", self.bucket),
            source: Box::new(e),
        })?;
        Ok(crate::report::classify(&bytes.into_bytes(), commit))
    }
}

/// [`Notifier`] over SNS (`MessageStructure=json`).
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
            .subject(&message.subject)
            .message(&message.message)
            .message_structure("json");
        for (name, value) in &message.attributes {
            let value = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
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
            .body(ByteStream::from_static(b"approvers asked\n"))
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
    use chrono::DateTime;

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            pipeline_name: "web".into(),
            stage_name: "Approve".into(),
            action_name: "Manual".into(),
            token: "tok-1".into(),
            expires: DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            external_entity_link: None,
            approval_review_link: None,
            custom_data: None,
        }
    }

    #[tokio::test]
    async fn put_result_maps_already_completed_and_invalid_token() -> TestResult {
        use aws_sdk_codepipeline::Client;
        use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultOutput;
        use aws_sdk_codepipeline::types::error::{
            ApprovalAlreadyCompletedException, InvalidApprovalTokenException,
        };
        let done = mock!(Client::put_approval_result)
            .match_requests(|r| {
                r.token() == Some("tok-1")
                    && r.result().map(|x| x.status()) == Some(&ApprovalStatus::Rejected)
                    && r.result().map(|x| x.summary()) == Some("why")
            })
            .then_output(|| PutApprovalResultOutput::builder().build());
        let completed = mock!(Client::put_approval_result).then_error(|| {
            PutApprovalResultError::ApprovalAlreadyCompletedException(
                ApprovalAlreadyCompletedException::builder().build(),
            )
        });
        let invalid = mock!(Client::put_approval_result).then_error(|| {
            PutApprovalResultError::InvalidApprovalTokenException(
                InvalidApprovalTokenException::builder().build(),
            )
        });
        let pipelines = CodePipelineApprovals {
            client: mock_client!(
                aws_sdk_codepipeline,
                RuleMode::Sequential,
                &[&done, &completed, &invalid]
            ),
        };
        let r = request();
        assert_eq!(
            pipelines.put_result(&r, Decision::Reject, "why").await?,
            Recorded::Done
        );
        assert_eq!(
            pipelines.put_result(&r, Decision::Reject, "why").await?,
            Recorded::AlreadyDecided
        );
        assert_eq!(
            pipelines.put_result(&r, Decision::Reject, "why").await?,
            Recorded::TokenInvalid
        );
        Ok(())
    }

    #[tokio::test]
    async fn pending_execution_matches_the_token() -> TestResult {
        use aws_sdk_codepipeline::Client;
        use aws_sdk_codepipeline::operation::get_pipeline_state::GetPipelineStateOutput;
        use aws_sdk_codepipeline::types::{
            ActionExecution, ActionState, StageExecution, StageExecutionStatus, StageState,
        };
        let state = |token: &'static str| {
            mock!(Client::get_pipeline_state)
                .match_requests(|r| r.name() == Some("web"))
                .then_output(move || {
                    GetPipelineStateOutput::builder()
                        .stage_states(
                            StageState::builder()
                                .stage_name("Approve")
                                .latest_execution(
                                    StageExecution::builder()
                                        .pipeline_execution_id("e-7")
                                        .status(StageExecutionStatus::InProgress)
                                        .build()
                                        .unwrap_or_else(|_| unreachable!()),
                                )
                                .action_states(
                                    ActionState::builder()
                                        .action_name("Manual")
                                        .latest_execution(
                                            ActionExecution::builder().token(token).build(),
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                })
        };
        let current = state("tok-1");
        let other = state("tok-2");
        let pipelines = CodePipelineApprovals {
            client: mock_client!(
                aws_sdk_codepipeline,
                RuleMode::Sequential,
                &[&current, &other]
            ),
        };
        assert_eq!(
            pipelines.pending_execution(&request()).await?.as_deref(),
            Some("e-7")
        );
        assert_eq!(pipelines.pending_execution(&request()).await?, None);
        Ok(())
    }

    #[tokio::test]
    async fn missing_report_is_not_scanned_and_denied_is_unknown() -> TestResult {
        use aws_sdk_s3::Client;
        use aws_sdk_s3::types::error::NoSuchKey;
        let missing = mock!(Client::get_object)
            .match_requests(|r| {
                r.key() == Some("findings/app/c0ffee.json") && r.bucket() == Some("b")
            })
            .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        let denied = mock!(Client::get_object).then_http_response(|| {
            aws_sdk_s3::config::http::HttpResponse::new(
                403.try_into().unwrap_or_else(|_| unreachable!()),
                aws_sdk_s3::primitives::SdkBody::from(
                    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                ),
            )
        });
        let reports = S3Reports {
            client: mock_client!(aws_sdk_s3, RuleMode::Sequential, &[&missing, &denied]),
            bucket: "b".into(),
            prefix: "findings/".into(),
        };
        assert_eq!(
            reports.scan_state("app", "c0ffee").await?,
            ScanState::NotScanned
        );
        assert!(matches!(
            reports.scan_state("app", "c0ffee").await?,
            ScanState::Unknown { .. }
        ));
        Ok(())
    }

    #[tokio::test]
    async fn policy_parameter_is_read_decrypted_and_validated() -> TestResult {
        use aws_sdk_ssm::Client;
        use aws_sdk_ssm::operation::get_parameter::GetParameterOutput;
        use aws_sdk_ssm::types::Parameter;
        let answer = |value: &'static str| {
            mock!(Client::get_parameter)
                .match_requests(|r| {
                    r.name() == Some("/cw/policy") && r.with_decryption() == Some(true)
                })
                .then_output(move || {
                    GetParameterOutput::builder()
                        .parameter(Parameter::builder().value(value).build())
                        .build()
                })
        };
        let good = answer(r#"{"rejectOnFindings": false}"#);
        let bad = answer(r#"{"rules": [{"pipeline": "web", "autoApprove": true}]}"#);
        let client = mock_client!(aws_sdk_ssm, RuleMode::Sequential, &[&good, &bad]);
        assert!(
            !policy_parameter(&client, "/cw/policy")
                .await?
                .reject_on_findings
        );
        let error = policy_parameter(&client, "/cw/policy").await.err();
        assert!(error.is_some_and(|e| e.error_type() == "Configuration"
            && e.to_string().contains("/cw/policy")
            && e.to_string().contains("change window")));
        Ok(())
    }

    #[tokio::test]
    async fn signing_key_comes_from_the_secret_string() -> TestResult {
        use aws_sdk_secretsmanager::Client;
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
        let long = mock!(Client::get_secret_value)
            .match_requests(|r| r.secret_id() == Some("arn:secret"))
            .then_output(|| {
                GetSecretValueOutput::builder()
                    .secret_string("k".repeat(64))
                    .build()
            });
        let short = mock!(Client::get_secret_value).then_output(|| {
            GetSecretValueOutput::builder()
                .secret_string("short")
                .build()
        });
        let client = mock_client!(
            aws_sdk_secretsmanager,
            RuleMode::Sequential,
            &[&long, &short]
        );
        assert!(signing_key(&client, "arn:secret").await.is_ok());
        let error = signing_key(&client, "arn:secret").await.err();
        assert!(error.is_some_and(|e| !e.is_retryable() && e.to_string().contains("at least 32")));
        Ok(())
    }
}
