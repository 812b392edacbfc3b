//! Runs the handler once on an event file, configured from the environment
//! exactly as the Lambda function is (`Config::from_env`, one `aws_config`
//! load, the signing key from Secrets Manager, `AWS_ENDPOINT_URL*`), and
//! prints the outcome:
//!
//! ```sh
//! cargo run -p approval-gate --example invoke_gate -- events/sns-approval.json
//! ```

use anyhow::Context as _;
use approval_gate::{Clients, Config, SdkDeps, adapters, handle, load_policy};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: invoke EVENT.json")?;
    let event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?,
    )?;
    let mut config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let clients = Clients::new(&sdk, &config);
    load_policy(&mut config, &clients).await?;
    let key = adapters::signing_key(&clients.secrets, &config.signing_secret_id).await?;
    let deps = SdkDeps::new(config, clients, key);
    let outcome = handle(event, &deps).await?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}
