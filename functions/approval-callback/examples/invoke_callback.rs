//! Runs the handler once on a function URL event file, configured from the
//! environment exactly as the Lambda function is, and prints the response:
//!
//! ```sh
//! cargo run -p approval-callback --example invoke_callback -- events/function-url-get.json
//! ```

use anyhow::Context as _;
use approval_callback::{Config, SdkDeps, adapters, handle};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: invoke EVENT.json")?;
    let event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?,
    )?;
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let key = adapters::signing_key(&secrets, &config.signing_secret_id).await?;
    let deps = SdkDeps::new(aws_sdk_codepipeline::Client::new(&sdk), key);
    let response = handle(event, &deps).await;
    println!("{}", serde_json::to_string(&response)?);
    Ok(())
}
