//! [`CodeCommitRepositories`]: [`Repositories`] over `ListRepositories`.

use crate::Error;
use crate::ports::Repositories;
use crate::store::aws_error;

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
