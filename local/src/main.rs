//! `local-aws`: serve the CodeCommit / CodePipeline stand-in on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use local_aws::{Config, Server};

#[derive(Parser)]
#[command(
    version,
    about = "Offline stand-in for the CodeCommit and CodePipeline APIs (codewarden)"
)]
struct Args {
    /// Directory of git repositories, one per CodeCommit repository.
    #[arg(long, env = "LOCAL_AWS_REPOS", default_value = ".local/repos")]
    repos: PathBuf,
    /// Address to listen on (loopback only by default).
    #[arg(long, env = "LOCAL_AWS_BIND", default_value = "127.0.0.1:4599")]
    bind: SocketAddr,
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Caller identities, `ACCESS_KEY_ID=ARN,...`: requests signed with
    /// such a key call as that ARN (approval rule pool members match it);
    /// any other key calls as `arn:aws:iam::<account>:user/local-aws`.
    #[arg(long, env = "LOCAL_AWS_IDENTITIES", default_value = "")]
    identities: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let mut config = Config::new(args.repos);
    config.bind = args.bind;
    config.region = args.region;
    config.identities = local_aws::identity::parse_identities(&args.identities)
        .map_err(|e| anyhow::anyhow!("LOCAL_AWS_IDENTITIES: {e}"))?
        .into_iter()
        .collect();
    let mut server = Server::start(config).await?;
    tracing::info!(endpoint = %server.endpoint(), "local-aws listening");
    tokio::select! {
        _ = server.wait() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
