//! The ports implemented with the AWS SDK, how SDK errors map to [`Error`]
//! (retryable or not), and the signing key from Secrets Manager.

use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultError;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus, PipelineExecutionStatus};
use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_sns::config::http::HttpResponse;
use aws_sdk_sns::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sns::types::MessageAttributeValue;
use shared::approval::{Decision, Policy, SigningKey};
use shared::events::ApprovalRequest;
use shared::masked::Masked;
use shared::notify::SnsPublish;

use crate::Error;
use crate::history::source_commit;
use crate::ports::{
    CommitNode, Commits, ExecutionFacts, LastSuccess, Markers, Notifier, Pipelines, Recorded,
    Reports, Revision,
};
use crate::report::CommitState;

/// `ListPipelineExecutions` pages (of 100) searched for the last success:
/// a pipeline that has not succeeded in its last 1000 executions is
/// treated as one that never did (its whole branch is checked).
const MAX_EXECUTION_PAGES: usize = 10;

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

    async fn last_success(
        &self,
        pipeline: &str,
        repository: &str,
    ) -> Result<Option<LastSuccess>, Error> {
        let mut next_token = None;
        for _ in 0..MAX_EXECUTION_PAGES {
            let page = self
                .client
                .list_pipeline_executions()
                .pipeline_name(pipeline)
                .max_results(100)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error("ListPipelineExecutions", e))?;
            // Newest first, as CodePipeline lists them.
            for summary in page.pipeline_execution_summaries() {
                if summary.status() != Some(&PipelineExecutionStatus::Succeeded) {
                    continue;
                }
                let revisions: Vec<Revision> = summary
                    .source_revisions()
                    .iter()
                    .map(|r| Revision {
                        revision_id: r.revision_id().map(str::to_owned),
                        url: r.revision_url().map(str::to_owned),
                        summary: r.revision_summary().map(str::to_owned),
                    })
                    .collect();
                if let (Some(commit), Some(execution_id)) = (
                    source_commit(&revisions, repository),
                    summary.pipeline_execution_id(),
                ) {
                    return Ok(Some(LastSuccess {
                        execution_id: execution_id.to_owned(),
                        commit: commit.to_owned(),
                    }));
                }
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        Ok(None)
    }

    async fn put_result(
        &self,
        request: &ApprovalRequest,
        decision: Decision,
        summary: &Masked,
    ) -> Result<Recorded, Error> {
        let status = match decision {
            Decision::Approve => ApprovalStatus::Approved,
            Decision::Reject => ApprovalStatus::Rejected,
        };
        let result = ApprovalResult::builder()
            .summary(summary.as_str())
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

/// [`Commits`] over CodeCommit `BatchGetCommits`.
#[derive(Clone, Debug)]
pub struct CodeCommitCommits {
    pub client: aws_sdk_codecommit::Client,
}

impl Commits for CodeCommitCommits {
    async fn commits(&self, repository: &str, ids: &[String]) -> Result<Vec<CommitNode>, Error> {
        let output = self
            .client
            .batch_get_commits()
            .repository_name(repository)
            .set_commit_ids(Some(ids.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("BatchGetCommits", e))?;
        // Ids CodeCommit does not know come back in `errors`: left out.
        Ok(output
            .commits()
            .iter()
            .filter_map(|commit| {
                let time = [commit.committer(), commit.author()]
                    .into_iter()
                    .flatten()
                    .find_map(|who| epoch_seconds(who.date()?));
                Some(CommitNode {
                    id: commit.commit_id()?.to_owned(),
                    parents: commit.parents().to_vec(),
                    time: time.unwrap_or(0),
                })
            })
            .collect())
    }
}

/// CodeCommit's `UserInfo.date`, git's raw form: `1767225600 +0000`.
fn epoch_seconds(date: &str) -> Option<i64> {
    date.split_whitespace().next()?.parse().ok()
}

/// [`Reports`] as S3 objects `<prefix><repository>/<commit>.json`.
#[derive(Clone, Debug)]
pub struct S3Reports {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
}

impl Reports for S3Reports {
    async fn commit_state(&self, repository: &str, commit: &str) -> Result<CommitState, Error> {
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
                return Ok(CommitState::NotScanned);
            }
            Err(error) if shared::sdk::is_retryable(&error) => {
                return Err(aws_error("GetObject", error));
            }
            Err(error) => {
                // Access denied, no such bucket: a person decides, and the
                // log says what to fix.
                let error = aws_error("GetObject", error);
                tracing::warn!(bucket = %self.bucket, key = %key, error = %error, "findings report unreadable");
                return Ok(CommitState::Unknown {
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
            pipelines
                .put_result(&r, Decision::Reject, &Masked::new("why"))
                .await?,
            Recorded::Done
        );
        assert_eq!(
            pipelines
                .put_result(&r, Decision::Reject, &Masked::new("why"))
                .await?,
            Recorded::AlreadyDecided
        );
        assert_eq!(
            pipelines
                .put_result(&r, Decision::Reject, &Masked::new("why"))
                .await?,
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
    async fn last_success_pages_to_the_newest_succeeded_execution_of_the_repository() -> TestResult
    {
        use aws_sdk_codepipeline::Client;
        use aws_sdk_codepipeline::operation::list_pipeline_executions::ListPipelineExecutionsOutput;
        use aws_sdk_codepipeline::types::{PipelineExecutionSummary, SourceRevision};
        fn execution(
            id: &str,
            status: PipelineExecutionStatus,
            revisions: &[(char, &str)],
        ) -> PipelineExecutionSummary {
            let mut summary = PipelineExecutionSummary::builder()
                .pipeline_execution_id(id)
                .status(status);
            for (digit, repo) in revisions {
                summary = summary.source_revisions(
                    SourceRevision::builder()
                        .action_name("Source")
                        .revision_id(digit.to_string().repeat(40))
                        .revision_url(format!(
                            "https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/x"
                        ))
                        .build()
                        .unwrap_or_else(|_| unreachable!()),
                );
            }
            summary.build()
        }
        // GIVEN a first page with the running execution, a failure and a
        // success of another repository only, and a second page with the
        // success wanted
        let first = mock!(Client::list_pipeline_executions)
            .match_requests(|r| {
                r.pipeline_name() == Some("web")
                    && r.max_results() == Some(100)
                    && r.next_token().is_none()
            })
            .then_output(|| {
                ListPipelineExecutionsOutput::builder()
                    .pipeline_execution_summaries(execution(
                        "e-3",
                        PipelineExecutionStatus::InProgress,
                        &[('3', "app")],
                    ))
                    .pipeline_execution_summaries(execution(
                        "e-2",
                        PipelineExecutionStatus::Failed,
                        &[('2', "app")],
                    ))
                    .pipeline_execution_summaries(execution(
                        "e-lib",
                        PipelineExecutionStatus::Succeeded,
                        &[('9', "lib")],
                    ))
                    .next_token("page-2")
                    .build()
            });
        let second = mock!(Client::list_pipeline_executions)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListPipelineExecutionsOutput::builder()
                    .pipeline_execution_summaries(execution(
                        "e-1",
                        PipelineExecutionStatus::Succeeded,
                        &[('8', "lib"), ('1', "app")],
                    ))
                    .build()
            });
        let pipelines = CodePipelineApprovals {
            client: mock_client!(
                aws_sdk_codepipeline,
                RuleMode::Sequential,
                &[&first, &second]
            ),
        };
        // WHEN asked for the last success of `app`
        let last = pipelines.last_success("web", "app").await?;
        // THEN the second page's execution, with the commit of `app`
        assert_eq!(
            last,
            Some(LastSuccess {
                execution_id: "e-1".into(),
                commit: "1".repeat(40)
            })
        );
        assert_eq!((first.num_calls(), second.num_calls()), (1, 1));
        Ok(())
    }

    #[tokio::test]
    async fn commits_come_with_parents_and_time_and_errors_keep_their_retryability() -> TestResult {
        use aws_sdk_codecommit::Client;
        use aws_sdk_codecommit::operation::batch_get_commits::{
            BatchGetCommitsError, BatchGetCommitsOutput,
        };
        use aws_sdk_codecommit::types::error::RepositoryDoesNotExistException;
        use aws_sdk_codecommit::types::{BatchGetCommitsError as PerId, Commit, UserInfo};
        let (a, b, gone) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
        let (a2, b2, gone2) = (a.clone(), b.clone(), gone.clone());
        let found = mock!(Client::batch_get_commits)
            .match_requests(move |r| {
                r.repository_name() == Some("app") && r.commit_ids() == [a2.clone(), gone2.clone()]
            })
            .then_output(move || {
                BatchGetCommitsOutput::builder()
                    .commits(
                        Commit::builder()
                            .commit_id(&a)
                            .parents(&b)
                            .committer(UserInfo::builder().date("1767225600 +0100").build())
                            .build(),
                    )
                    .errors(
                        PerId::builder()
                            .commit_id(&gone)
                            .error_code("CommitIdDoesNotExistException")
                            .build(),
                    )
                    .build()
            });
        let no_repository = mock!(Client::batch_get_commits).then_error(|| {
            BatchGetCommitsError::RepositoryDoesNotExistException(
                RepositoryDoesNotExistException::builder().build(),
            )
        });
        let throttled = mock!(Client::batch_get_commits).then_http_response(|| {
            aws_sdk_codecommit::config::http::HttpResponse::new(
                400.try_into().unwrap_or_else(|_| unreachable!()),
                aws_sdk_s3::primitives::SdkBody::from(
                    r#"{"__type": "ThrottlingException", "message": "Rate exceeded"}"#,
                ),
            )
        });
        let commits = CodeCommitCommits {
            client: mock_client!(
                aws_sdk_codecommit,
                RuleMode::Sequential,
                &[&found, &no_repository, &throttled]
            ),
        };
        let ids = ["a".repeat(40), "c".repeat(40)];
        assert_eq!(
            commits.commits("app", &ids).await?,
            [CommitNode {
                id: "a".repeat(40),
                parents: vec![b2],
                time: 1_767_225_600
            }]
        );
        let missing = commits.commits("app", &ids).await.err();
        assert!(
            missing.as_ref().is_some_and(
                |e| !e.is_retryable() && e.to_string().starts_with("BatchGetCommits failed")
            ),
            "{missing:?}"
        );
        let throttled = commits.commits("app", &ids).await.err();
        assert!(
            throttled
                .as_ref()
                .is_some_and(|e| e.is_retryable() && e.to_string().contains("ThrottlingException")),
            "{throttled:?}"
        );
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
            reports.commit_state("app", "c0ffee").await?,
            CommitState::NotScanned
        );
        assert!(matches!(
            reports.commit_state("app", "c0ffee").await?,
            CommitState::Unknown { .. }
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
