//! [`Approvals`] over CodePipeline, and the signing key from Secrets
//! Manager.

use aws_sdk_codepipeline::config::http::HttpResponse;
use aws_sdk_codepipeline::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultError;
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use shared::approval::{ApprovalLink, Decision, SigningKey};
use shared::masked::Masked;

use crate::Error;
use crate::ports::{Approvals, Recorded};

/// Maps an SDK error to [`Error::Aws`], retryable or not by the one
/// classification every function shares ([`shared::sdk::is_retryable`]).
fn aws_error<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Error
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

/// The link signing key: the secret's string (or binary) value, never
/// logged or put in an error.
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

/// [`Approvals`] over CodePipeline.
#[derive(Clone, Debug)]
pub struct CodePipelineApprovals {
    pub client: aws_sdk_codepipeline::Client,
}

impl Approvals for CodePipelineApprovals {
    async fn put_result(&self, link: &ApprovalLink, summary: &Masked) -> Result<Recorded, Error> {
        let status = match link.decision {
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
            .pipeline_name(&link.pipeline)
            .stage_name(&link.stage)
            .action_name(&link.action)
            .token(&link.token)
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

#[cfg(test)]
mod tests {
    use aws_sdk_codepipeline::Client;
    use aws_sdk_codepipeline::operation::put_approval_result::PutApprovalResultOutput;
    use aws_sdk_codepipeline::types::error::ApprovalAlreadyCompletedException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use chrono::DateTime;

    use super::*;

    fn link() -> ApprovalLink {
        ApprovalLink {
            pipeline: "web".into(),
            stage: "Approve".into(),
            action: "Manual".into(),
            token: "tok-1".into(),
            decision: Decision::Approve,
            expires: DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            execution_id: None,
            repository: None,
            commit: None,
            requester: None,
        }
    }

    #[tokio::test]
    async fn records_the_decision_and_maps_conflicts_and_throttling()
    -> Result<(), Box<dyn std::error::Error>> {
        let done = mock!(Client::put_approval_result)
            .match_requests(|r| {
                r.pipeline_name() == Some("web")
                    && r.stage_name() == Some("Approve")
                    && r.action_name() == Some("Manual")
                    && r.token() == Some("tok-1")
                    && r.result().map(|x| x.status()) == Some(&ApprovalStatus::Approved)
                    && r.result().map(|x| x.summary()) == Some(&Masked::new("Approved by Ann"))
            })
            .then_output(|| PutApprovalResultOutput::builder().build());
        let completed = mock!(Client::put_approval_result).then_error(|| {
            PutApprovalResultError::ApprovalAlreadyCompletedException(
                ApprovalAlreadyCompletedException::builder().build(),
            )
        });
        let throttled = mock!(Client::put_approval_result).then_error(|| {
            PutApprovalResultError::generic(
                aws_sdk_codepipeline::error::ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .build(),
            )
        });
        let approvals = CodePipelineApprovals {
            client: mock_client!(
                aws_sdk_codepipeline,
                RuleMode::Sequential,
                &[&done, &completed, &throttled],
                |c| c.retry_config(aws_sdk_codepipeline::config::retry::RetryConfig::disabled())
            ),
        };
        assert_eq!(
            approvals
                .put_result(&link(), &Masked::new("Approved by Ann"))
                .await?,
            Recorded::Done
        );
        assert_eq!(
            approvals
                .put_result(&link(), &Masked::new("Approved by Ann"))
                .await?,
            Recorded::AlreadyDecided
        );
        let error = approvals
            .put_result(&link(), &Masked::new("Approved by Ann"))
            .await
            .err();
        assert!(error.is_some_and(|e| e.is_retryable()));
        Ok(())
    }
}
