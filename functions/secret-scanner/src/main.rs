//! Lambda entry point: configuration and clients once, then the runtime loop.

use lambda_runtime::{LambdaEvent, service_fn};
use secret_scanner::{Clients, Config, SdkDeps, handle};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clients = Clients::new(&sdk, &config);
    let deps = &SdkDeps::load(config, clients).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(event.payload, deps)
    }))
    .await
}
