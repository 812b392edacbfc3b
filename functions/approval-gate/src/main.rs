//! Lambda entry point: configuration, clients and the signing key once,
//! then the runtime loop.

use approval_gate::{Clients, Config, SdkDeps, adapters, handle, load_policy};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_tracing();
    let mut config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clients = Clients::new(&sdk, &config);
    load_policy(&mut config, &clients).await?;
    let key = adapters::signing_key(&clients.secrets, &config.signing_secret_id).await?;
    let deps = &SdkDeps::new(config, clients, key);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        handle(event.payload, deps)
    }))
    .await
}
