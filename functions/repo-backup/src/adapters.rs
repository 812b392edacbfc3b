//! [`CodeCommitRepositories`]: [`Repositories`] over `ListRepositories`;
//! [`SqsContinuations`]: [`Continuations`] over an SQS queue.

use crate::Error;
use crate::continuation::Continuation;
use crate::ports::{Continuations, Repositories};
use crate::store::aws_error;

/// The continuation queue (`CONTINUATION_QUEUE_URL`).
#[derive(Clone, Debug)]
pub struct SqsContinuations {
    pub client: aws_sdk_sqs::Client,
    pub queue_url: String,
}

impl Continuations for SqsContinuations {
    async fn send(&self, continuation: &Continuation) -> Result<(), Error> {
        let bodies = continuation.bodies().map_err(|e| Error::Aws {
            operation: "SendMessage",
            retryable: false,
            message: format!("the continuation cannot be written: {e}"),
            source: Box::new(e),
        })?;
        for body in bodies {
            self.client
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(body)
                .send()
                .await
                .map_err(|e| aws_error("SendMessage", e))?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct CodeCommitRepositories {
    pub client: aws_sdk_codecommit::Client,
    pub filter: Option<globset::GlobSet>,
}

impl Repositories for CodeCommitRepositories {
    fn includes(&self, repository: &str) -> bool {
        self.filter.as_ref().is_none_or(|f| f.is_match(repository))
    }

    async fn list(&self) -> Result<Vec<String>, Error> {
        let mut names = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_repositories()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| codecommit_error("ListRepositories", e))?;
            names.extend(
                page.repositories()
                    .iter()
                    .filter_map(|r| r.repository_name())
                    .filter(|n| self.includes(n))
                    .map(str::to_owned),
            );
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(names);
            }
        }
    }
}

fn codecommit_error<E>(
    operation: &'static str,
    error: aws_sdk_codecommit::error::SdkError<E, aws_sdk_codecommit::config::http::HttpResponse>,
) -> Error
where
    E: aws_sdk_codecommit::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    // Same classification as S3's: the SdkError type is shared.
    aws_error(operation, error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codecommit::operation::list_repositories::ListRepositoriesOutput;
    use aws_sdk_codecommit::types::RepositoryNameIdPair;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    #[tokio::test]
    async fn a_continuation_is_one_message_to_the_queue_and_throttling_is_retryable()
    -> anyhow::Result<()> {
        use aws_sdk_sqs::operation::send_message::{SendMessageError, SendMessageOutput};
        // GIVEN SQS accepting one message and throttling the next
        let accepted = mock!(aws_sdk_sqs::Client::send_message)
            .match_requests(|r| {
                r.queue_url() == Some("https://sqs.example/q")
                    && r.message_body()
                        .and_then(|b| Continuation::parse("m", b).ok())
                        .is_some_and(|c| c.repositories == ["b", "c"] && c.run_id == "run-1")
            })
            .then_output(|| SendMessageOutput::builder().message_id("m-1").build());
        let throttled = mock!(aws_sdk_sqs::Client::send_message).then_error(|| {
            SendMessageError::generic(
                aws_sdk_sqs::error::ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .build(),
            )
        });
        let queue = SqsContinuations {
            client: mock_client!(aws_sdk_sqs, RuleMode::Sequential, &[&accepted, &throttled]),
            queue_url: "https://sqs.example/q".into(),
        };
        let mut continuation = Continuation::new("run-1", 1);
        continuation.repositories = vec!["b".into(), "c".into()];
        // WHEN sending twice THEN the first goes out, the second is retryable
        queue.send(&continuation).await?;
        let err = queue.send(&continuation).await.err();
        assert!(err.is_some_and(|e| e.is_retryable()));
        Ok(())
    }

    #[tokio::test]
    async fn lists_every_page_and_filters() -> anyhow::Result<()> {
        // GIVEN two pages of repositories
        let first = mock!(aws_sdk_codecommit::Client::list_repositories)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListRepositoriesOutput::builder()
                    .repositories(
                        RepositoryNameIdPair::builder()
                            .repository_name("app")
                            .build(),
                    )
                    .repositories(
                        RepositoryNameIdPair::builder()
                            .repository_name("tmp-x")
                            .build(),
                    )
                    .next_token("t2")
                    .build()
            });
        let second = mock!(aws_sdk_codecommit::Client::list_repositories)
            .match_requests(|r| r.next_token() == Some("t2"))
            .then_output(|| {
                ListRepositoriesOutput::builder()
                    .repositories(
                        RepositoryNameIdPair::builder()
                            .repository_name("lib")
                            .build(),
                    )
                    .build()
            });
        let repos = CodeCommitRepositories {
            client: mock_client!(aws_sdk_codecommit, RuleMode::Sequential, &[&first, &second]),
            filter: Some({
                let mut set = globset::GlobSetBuilder::new();
                set.add(globset::Glob::new("app")?);
                set.add(globset::Glob::new("l*")?);
                set.build()?
            }),
        };
        // WHEN listing THEN both pages are read and the filter applies
        assert_eq!(repos.list().await?, ["app", "lib"]);
        Ok(())
    }
}
