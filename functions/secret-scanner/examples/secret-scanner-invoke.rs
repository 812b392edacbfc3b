//! Runs the handler once on an event file, configured from the environment
//! exactly as the Lambda function is (`Config::from_env`, one `aws_config`
//! load, `AWS_ENDPOINT_URL*`), and prints the outcome. For the demo and for
//! trying an event locally without the Lambda runtime API:
//!
//! ```sh
//! cargo run -p secret-scanner --example secret-scanner-invoke -- events/codecommit-push.json
//! ```

use anyhow::Context as _;
use secret_scanner::{Clients, Config, SdkDeps, handle};

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
    let clients = Clients::new(&sdk, &config);
    let deps = SdkDeps::load(config, clients).await?;
    let outcome = handle(event, &deps).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}
