//! Lambda entry point: configuration and clients once, then the runtime loop.

use lambda_runtime::{LambdaEvent, service_fn};
use secret_scanner::git_path::{Budget, GitAccess};
use secret_scanner::{Clients, Config, SdkDeps, handle_until};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::init_tracing();
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clients = Clients::new(&sdk, &config);
    let git = GitAccess::from_sdk(&sdk, &config);
    let mut deps = SdkDeps::load(config, clients).await?;
    deps.git = git;
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let budget = Budget {
            deadline: Some(event.context.deadline()),
        };
        handle_until(event.payload, budget, deps)
    }))
    .await
}
