//! Runs the handler once on an event file, configured from the environment
//! exactly as the Lambda function is (`Config::from_env`, one `aws_config`
//! load, `AWS_ENDPOINT_URL*`, `CODEWARDEN_GIT_ENDPOINT`), and prints the
//! outcome. For the demo, the benchmark, and trying an event locally:
//!
//! ```sh
//! BACKUP_BUCKET=b S3_FORCE_PATH_STYLE=true \
//!   cargo run -p repo-backup --example repo-backup-invoke -- events/codecommit-push.json
//! ```

use anyhow::Context as _;
use repo_backup::{Config, NoDeadline, handle, sdk_deps};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: repo-backup-invoke EVENT.json")?;
    let event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?,
    )?;
    let config = Config::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let deps = sdk_deps(&sdk, &config)?;
    let started = std::time::Instant::now();
    let outcome = handle(event, &NoDeadline, &deps).await?;
    println!(
        "{} elapsed_ms={}",
        serde_json::to_string(&outcome)?,
        started.elapsed().as_millis()
    );
    Ok(())
}
