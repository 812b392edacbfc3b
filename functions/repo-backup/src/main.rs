//! Lambda entry point: configuration and clients once, then the runtime loop.

use lambda_runtime::{LambdaEvent, service_fn};
use repo_backup::{Config, Deadline, handle, sdk_deps};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deps = &sdk_deps(&sdk, &config)?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(event.payload, &Deadline(event.context.deadline()), deps).await
    }))
    .await
}
