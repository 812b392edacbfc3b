//! Lambda entry point: configuration, clients and the signing key once,
//! then the runtime loop.

use approval_callback::{Config, SdkDeps, adapters, handle};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let key = adapters::signing_key(&secrets, &config.signing_secret_id).await?;
    let deps = &SdkDeps::new(aws_sdk_codepipeline::Client::new(&sdk), key);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, lambda_runtime::Error>(handle(event.payload, deps).await)
    }))
    .await
}
