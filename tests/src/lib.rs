//! Test harness for the end-to-end tests: starts the local AWS stand-in
//! in-process (one per test, so fault injection and models never leak
//! between tests), builds real SDK clients pointed at it, and drives real
//! git repositories with the `git` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use local_aws::{Config, Server};

/// A running `local-aws` with its own temporary directory of repositories.
pub struct LocalAws {
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl LocalAws {
    pub async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let config = Config::new(dir.path().join("repos"));
        let server = Server::start(config).await.context("starting local-aws")?;
        Ok(Self { server, dir })
    }

    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    pub fn repos_dir(&self) -> PathBuf {
        self.server.state().config.repos_dir.clone()
    }

    /// An SDK config as a function would load it, with the endpoint
    /// overridden the way `AWS_ENDPOINT_URL_*` does and test credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_codecommit::config::Credentials::new(
                "test", "test", None, None, "e2e",
            ))
            .load()
            .await
    }

    pub async fn codecommit(&self) -> aws_sdk_codecommit::Client {
        aws_sdk_codecommit::Client::new(&self.sdk_config().await)
    }

    pub async fn codepipeline(&self) -> aws_sdk_codepipeline::Client {
        aws_sdk_codepipeline::Client::new(&self.sdk_config().await)
    }

    /// POSTs JSON to the admin API (`path` like `/faults`).
    pub async fn admin_post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value> {
        admin_request(&self.endpoint(), "POST", path, Some(body)).await
    }

    pub async fn admin_get(&self, path: &str) -> Result<serde_json::Value> {
        admin_request(&self.endpoint(), "GET", path, None).await
    }
}

/// A minimal HTTP/1.1 client for the admin API (keeps an HTTP client crate
/// out of the dependency graph).
async fn admin_request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} /_admin{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(req.as_bytes()).await?;
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).await?;
    let text = String::from_utf8_lossy(&resp);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("malformed HTTP response")?;
    let status = head.split_whitespace().nth(1).unwrap_or("0");
    if !status.starts_with('2') {
        bail!("admin {method} {path} answered {status}: {body}");
    }
    if body.trim().is_empty() {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_str(body.trim()).with_context(|| format!("admin answer is not JSON: {body}"))
}

/// Runs `git` with a fixed identity and dates so that commit ids are
/// reproducible; fails with an install hint when git is missing.
pub fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev One")
        .env("GIT_AUTHOR_EMAIL", "dev1@example.com")
        .env("GIT_COMMITTER_NAME", "Dev One")
        .env("GIT_COMMITTER_EMAIL", "dev1@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .map_err(|e| {
            anyhow::anyhow!("cannot run git ({e}): install it with `apt-get install git` (scripts/setup.sh does)")
        })?;
    if !out.status.success() {
        bail!(
            "git {} failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Creates `<repos_dir>/<name>` as a repository with a work tree on branch
/// `main` and returns its path. Commit into it with [`commit_file`].
pub fn init_repo(repos_dir: &Path, name: &str) -> Result<PathBuf> {
    let path = repos_dir.join(name);
    std::fs::create_dir_all(&path)?;
    git(&path, &["init", "-q", "-b", "main"])?;
    Ok(path)
}

/// Writes `file` with `contents`, commits it, returns the new commit id.
pub fn commit_file(repo: &Path, file: &str, contents: &[u8], message: &str) -> Result<String> {
    let full = repo.join(file);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&full, contents)?;
    git(repo, &["add", "-A"])?;
    git(repo, &["commit", "-q", "-m", message])?;
    git(repo, &["rev-parse", "HEAD"])
}

/// What to do when the moto half of the local stack is not running.
pub const START_THE_STACK: &str = "start the stack: scripts/local-stack.sh up && . .local/env";

/// The moto server's endpoint (S3, SNS, SQS, CloudWatch Logs): `MOTO_ENDPOINT`,
/// else `AWS_ENDPOINT_URL`, as `.local/env` exports them. Fails with how to
/// start the stack when neither is set.
pub fn moto() -> Result<String> {
    ["MOTO_ENDPOINT", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .with_context(|| format!("MOTO_ENDPOINT / AWS_ENDPOINT_URL is not set: {START_THE_STACK}"))
}

/// An SDK config for moto, loaded as a function loads its own: endpoint
/// override, region us-east-1, the stack's test credentials.
pub async fn moto_sdk_config() -> Result<aws_config::SdkConfig> {
    Ok(aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(moto()?)
        .credentials_provider(aws_sdk_codecommit::config::Credentials::new(
            "test", "test", None, None, "e2e",
        ))
        .load()
        .await)
}

/// A name no other test (nor an earlier run against the same moto) uses:
/// `<prefix>-<hex>`.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{:x}{:x}{n:x}",
        nanos & 0xffff_ffff_ffff,
        std::process::id()
    )
}
