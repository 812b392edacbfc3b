//! [`ApiCalls`]: how many CodeCommit API requests the function sent, counted
//! by an SDK interceptor on its CodeCommit client (every attempt, retries and
//! pages included). An invocation's count is in its outcome (`apiCalls`):
//! what the git path saves on a large push is measured, not estimated.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_codecommit::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_codecommit::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_codecommit::error::BoxError;

/// A shared request counter; clones count into the same total.
#[derive(Clone, Debug, Default)]
pub struct ApiCalls(Arc<AtomicU64>);

impl ApiCalls {
    /// The requests sent so far through every client it was installed on.
    pub fn total(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// `client` with this counter installed (the same configuration
    /// otherwise).
    pub fn install(&self, client: &aws_sdk_codecommit::Client) -> aws_sdk_codecommit::Client {
        aws_sdk_codecommit::Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(Counter(self.clone()))
                .build(),
        )
    }
}

#[derive(Debug)]
struct Counter(ApiCalls);

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "codewarden.ApiCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_codecommit::operation::get_repository::GetRepositoryOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    #[tokio::test]
    async fn every_request_is_counted_once() -> anyhow::Result<()> {
        // GIVEN a client whose every GetRepository succeeds, with the counter
        let rule = mock!(aws_sdk_codecommit::Client::get_repository)
            .then_output(|| GetRepositoryOutput::builder().build());
        let client = mock_client!(aws_sdk_codecommit, RuleMode::MatchAny, &[&rule]);
        let calls = ApiCalls::default();
        let counted = calls.install(&client);
        // WHEN three calls go through the counted client and one through
        // the original
        for _ in 0..3 {
            counted.get_repository().repository_name("r").send().await?;
        }
        client.get_repository().repository_name("r").send().await?;
        // THEN three are counted
        assert_eq!(calls.total(), 3);
        Ok(())
    }
}
