//! Test harness for the end-to-end tests: starts the local AWS stand-in
//! in-process (one per test, so fault injection and models never leak
//! between tests), builds real SDK clients pointed at it, and drives real
//! git repositories with the `git` binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use local_aws::{Config, Server};

pub mod scanner;

/// A running `local-aws` with its own temporary directory of repositories.
pub struct LocalAws {
    pub server: Server,
    pub dir: tempfile::TempDir,
}

impl LocalAws {
    /// Starts with two extra caller identities: the access key
    /// [`SCANNER_ACCESS_KEY`] calls as [`SCANNER_ARN`] (the secret
    /// scanner's assumed role), [`REVIEWER_ACCESS_KEY`] as [`REVIEWER_ARN`];
    /// every other key (`test`) as [`DEFAULT_ARN`].
    pub async fn start() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut config = Config::new(dir.path().join("repos"));
        for (key, arn) in [
            (SCANNER_ACCESS_KEY, SCANNER_ARN),
            (REVIEWER_ACCESS_KEY, REVIEWER_ARN),
        ] {
            config.identities.insert(key.to_owned(), arn.to_owned());
            // Their git passwords too (secret `test`, as the SDK configs sign).
            config
                .git_credentials
                .push(local_aws::server::GitCredential {
                    access_key_id: key.to_owned(),
                    secret_access_key: "test".to_owned(),
                });
        }
        let server = Server::start(config).await.context("starting local-aws")?;
        Ok(Self { server, dir })
    }

    /// [`Self::sdk_config`] signing with another access key (an identity).
    pub async fn sdk_config_as(&self, access_key_id: &str) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_codecommit::config::Credentials::new(
                access_key_id,
                "test",
                None,
                None,
                "e2e",
            ))
            .load()
            .await
    }

    /// A CodeCommit client calling as `access_key_id`'s identity.
    pub async fn codecommit_as(&self, access_key_id: &str) -> aws_sdk_codecommit::Client {
        aws_sdk_codecommit::Client::new(&self.sdk_config_as(access_key_id).await)
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

    /// The git smart-HTTP URL of `repository` with a CodeCommit SigV4 git
    /// password signed with `secret` for the `test` access key (the
    /// server's own credential signs with `test`).
    pub fn git_url_signed_with(&self, repository: &str, secret: &str) -> String {
        use shared::codecommit_git::{self, Scope};
        let host = self.server.addr().to_string();
        let region = self.server.state().config.region.clone();
        let scope = Scope {
            region: &region,
            host: &host,
            repository,
        };
        let password = codecommit_git::password(secret, &scope, chrono::Utc::now());
        let user = codecommit_git::username("test", None);
        format!("http://{user}:{password}@{host}/v1/repos/{repository}")
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

/// S3 in moto as the functions reach it there (path-style addressing).
pub fn moto_s3(moto: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(moto)
            .force_path_style(true)
            .build(),
    )
}

/// Creates a bucket `<prefix>-<unique>` and returns its name.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, prefix: &str) -> Result<String> {
    let bucket = unique_name(prefix);
    s3.create_bucket().bucket(&bucket).send().await?;
    Ok(bucket)
}

/// An SNS topic with an SQS queue subscribed to it: where a function
/// publishes, and where the test reads what it published.
pub struct TopicQueue {
    pub topic_arn: String,
    pub queue_url: String,
}

impl TopicQueue {
    /// Creates topic and queue `<prefix>-<unique>` and subscribes the queue
    /// (SNS envelopes, not raw delivery, so subject and attributes show).
    pub async fn create(
        sns: &aws_sdk_sns::Client,
        sqs: &aws_sdk_sqs::Client,
        prefix: &str,
    ) -> Result<Self> {
        use aws_sdk_sqs::types::QueueAttributeName;
        let topic_arn = sns
            .create_topic()
            .name(unique_name(prefix))
            .send()
            .await?
            .topic_arn
            .context("no topic ARN")?;
        let queue_url = sqs
            .create_queue()
            .queue_name(unique_name(prefix))
            .send()
            .await?
            .queue_url
            .context("no queue URL")?;
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await?
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .context("no queue ARN")?;
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("RawMessageDelivery", "false")
            .send()
            .await?;
        Ok(Self {
            topic_arn,
            queue_url,
        })
    }

    /// The body of every message the queue holds now (each an SNS
    /// envelope), deleted from the queue as read.
    pub async fn drain(&self, sqs: &aws_sdk_sqs::Client) -> Result<Vec<String>> {
        let mut all = Vec::new();
        for _ in 0..5 {
            let out = sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await?;
            let messages = out.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                all.push(message.body.context("message without body")?);
                if let Some(handle) = message.receipt_handle {
                    sqs.delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await?;
                }
            }
        }
        Ok(all)
    }

    /// Every message the queue holds now, parsed as alerts ([`Delivered`]).
    pub async fn delivered(&self, sqs: &aws_sdk_sqs::Client) -> Result<Vec<Delivered>> {
        self.drain(sqs)
            .await?
            .into_iter()
            .map(Delivered::parse)
            .collect()
    }
}

/// An alert as the SQS subscriber of its topic received it.
pub struct Delivered {
    /// The SQS body: the SNS envelope, as is.
    pub raw: String,
    pub subject: String,
    /// The `sqs` variant: the alert's JSON document.
    pub document: serde_json::Value,
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl Delivered {
    pub fn parse(raw: String) -> Result<Self> {
        let envelope: serde_json::Value = serde_json::from_str(&raw)?;
        let document = serde_json::from_str(envelope["Message"].as_str().context("no Message")?)?;
        let attributes = envelope["MessageAttributes"]
            .as_object()
            .map(|map| {
                map.iter()
                    .map(|(k, v)| (k.clone(), v["Value"].as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            subject: envelope["Subject"].as_str().unwrap_or("").to_owned(),
            raw,
            document,
            attributes,
        })
    }
}

/// What the functions log, captured as Lambda would capture it (JSON
/// lines), for tests of what does and does not reach the logs.
///
/// One global subscriber (installed on first use) writes each event to the
/// capture of the thread that logs it, if that thread has one (tokio tests
/// run on one thread). A scoped subscriber per test (`set_default`) is not
/// reliable when tests run in parallel: a call site first reached by a
/// thread without a subscriber can cache "not interested" and stay silent
/// in the capturing test.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<(tracing::Level, CapturedLogs)>> =
        const { std::cell::RefCell::new(None) };
}

/// Where the global subscriber writes: the current thread's capture, or
/// nowhere.
struct ThreadCapture;

/// The writer for one event: the capture's buffer or a sink.
pub struct CaptureWriter(Option<CapturedLogs>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(logs) = &self.0 {
            // Through the writer the deployed functions log with
            // (`shared::lambda::init_tracing`): what a test reads is what
            // CloudWatch would get.
            let mut masked = shared::lambda::MaskingWriter(Vec::new());
            std::io::Write::write_all(&mut masked, buf)?;
            logs.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(&masked.0);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ThreadCapture {
    type Writer = CaptureWriter;
    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(None)
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        CaptureWriter(CAPTURE.with(|current| {
            current
                .borrow()
                .as_ref()
                .filter(|(level, _)| meta.level() <= level)
                .map(|(_, logs)| logs.clone())
        }))
    }
}

/// Ends a capture when dropped.
pub struct CaptureGuard(());

impl Drop for CaptureGuard {
    fn drop(&mut self) {
        CAPTURE.with(|current| current.borrow_mut().take());
    }
}

impl CapturedLogs {
    /// Captures what this thread logs at `level` and above until the guard
    /// drops. Events below DEBUG are never captured.
    ///
    /// # Panics
    ///
    /// If another global subscriber was installed in this test binary.
    pub fn capture(&self, level: tracing::Level) -> CaptureGuard {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .json()
                .with_max_level(tracing::Level::DEBUG)
                .with_writer(ThreadCapture)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("CapturedLogs needs the global tracing subscriber of the test binary");
        });
        CAPTURE.with(|current| *current.borrow_mut() = Some((level, self.clone())));
        CaptureGuard(())
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

/// The access key id [`LocalAws::start`] maps to [`SCANNER_ARN`].
pub const SCANNER_ACCESS_KEY: &str = "scanner";
/// The secret scanner's role name in the tests (the template's role).
pub const SCANNER_ROLE: &str = "codewarden-secret-scanner";
/// The secret scanner's identity in the tests: a Lambda role session.
pub const SCANNER_ARN: &str =
    "arn:aws:sts::123456789012:assumed-role/codewarden-secret-scanner/secret-scanner";
/// The identity of every other test caller (local-aws's default).
pub const DEFAULT_ARN: &str = "arn:aws:iam::123456789012:user/local-aws";
/// A second person: not the author, not in the scanner's approval pool.
pub const REVIEWER_ACCESS_KEY: &str = "reviewer";
pub const REVIEWER_ARN: &str = "arn:aws:iam::123456789012:user/reviewer";
