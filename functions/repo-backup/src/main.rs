//! Lambda entry point: configuration and clients once, then the runtime loop.

use lambda_runtime::{LambdaEvent, service_fn};
use repo_backup::{Config, handle, sdk_deps};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deps = &sdk_deps(&sdk, &config)?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(event.payload, deps)
    }))
    .await
}
