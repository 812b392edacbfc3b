//! Benchmark: one push of 100 changed files (95 modified, 5 new; 3 files
//! with a secret) scanned by the real handler against the local stack:
//! local-aws in process (a real git repository, CodeCommit API over HTTP)
//! and moto (`MOTO_ENDPOINT` / `AWS_ENDPOINT_URL`) for S3 and SNS. Prints
//! the wall time of the handler and the CodeCommit calls per operation.
//! Not a test: numbers vary with the machine, nothing is asserted.
//!
//! With `--commits N,M,...`: pushes of N (then M, ...) commits, each
//! changing two files, scanned once over the API and once over git
//! (`GIT_SCAN_THRESHOLD` 50, local-aws's git endpoint): the API calls per
//! push of each path (scripts/bench-history.sh prints them).
//!
//! ```sh
//! . .local/env && scripts/bench-secret-scanner.sh
//! # or: cargo run -p secret-scanner --example bench_push -- [files] [runs]
//! #     cargo run -p secret-scanner --example bench_push -- --commits 11,200
//! ```

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use secret_scanner::{Clients, Config, SdkDeps, handle};
use serde_json::json;

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .context("cannot run git: install it (apt-get install git)")?;
    if !out.status.success() {
        bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A source file of about 120 lines.
fn source(i: usize, version: usize) -> String {
    (0..120)
        .map(|line| format!("let value_{i}_{line} = compute({line}, {version}); // step {line}\n"))
        .collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    let commits: Option<Vec<usize>> = match std::env::args().nth(1).as_deref() {
        Some("--commits") => Some(
            std::env::args()
                .nth(2)
                .context("--commits takes a list, e.g. 11,200")?
                .split(',')
                .map(|n| {
                    n.trim()
                        .parse()
                        .context("--commits takes numbers, e.g. 11,200")
                })
                .collect::<Result<_>>()?,
        ),
        _ => None,
    };
    // `--sweep DIR`: a full-history sweep of the git repository DIR.
    let sweep = match std::env::args().nth(1).as_deref() {
        Some("--sweep") => {
            Some(std::path::PathBuf::from(std::env::args().nth(2).context(
                "--sweep takes a git repository, e.g. .local/bench/history-10000",
            )?))
        }
        _ => None,
    };
    let commits = commits.or_else(|| sweep.as_ref().map(|_| Vec::new()));
    let files: usize = match commits {
        Some(_) => 0,
        None => std::env::args().nth(1).map_or(Ok(100), |a| a.parse())?,
    };
    let runs: usize = match commits {
        Some(_) => 1,
        None => std::env::args().nth(2).map_or(Ok(3), |a| a.parse())?,
    };
    let moto = std::env::var("MOTO_ENDPOINT")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .context(
            "MOTO_ENDPOINT is not set: start the stack (scripts/local-stack.sh up && . .local/env)",
        )?;

    let dir = tempfile::tempdir()?;
    let repos = dir.path().join("repos");
    let server = local_aws::Server::start(local_aws::Config::new(&repos)).await?;
    let sdk = |endpoint: &str| {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "test", "test", None, None, "bench",
            ))
            .load()
    };
    let moto_sdk = sdk(&moto).await;
    let local_sdk = sdk(&server.endpoint()).await;

    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let bucket = format!("bench-findings-{stamp:x}");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&moto_sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket().bucket(&bucket).send().await?;
    let topic = aws_sdk_sns::Client::new(&moto_sdk)
        .create_topic()
        .name(format!("bench-findings-{stamp:x}"))
        .send()
        .await?
        .topic_arn
        .context("no topic ARN")?;
    let env = std::collections::HashMap::from([
        ("FINDINGS_TOPIC_ARN", topic),
        ("REPORT_BUCKET", bucket),
        ("S3_FORCE_PATH_STYLE", "true".to_owned()),
        ("CODEWARDEN_GIT_ENDPOINT", server.endpoint()),
        (
            "GIT_SCAN_DIR",
            dir.path().join("copies").to_string_lossy().into_owned(),
        ),
    ]);
    let config = Config::from_lookup(|name| env.get(name).cloned())?;
    let mut clients = Clients::new(&moto_sdk, &config);
    clients.codecommit = secret_scanner::codecommit_client(&local_sdk, &config);
    clients.caller = aws_sdk_sts::Client::new(&local_sdk);
    let mut deps = SdkDeps::new(config.clone(), clients)?;
    if let Some(commits) = commits.filter(|c| !c.is_empty()) {
        return api_calls_per_push(&mut deps, &local_sdk, &server, &repos, &commits).await;
    }
    if let Some(history) = sweep {
        let sqs = aws_sdk_sqs::Client::new(&moto_sdk);
        return sweep_history(&mut deps, &local_sdk, &server, &repos, &history, sqs).await;
    }

    println!(
        "push of {files} changed files, concurrency {}, {runs} runs",
        config.concurrency
    );
    for run in 0..runs {
        // A fresh repository per run: the scanner skips commits it reported.
        let name = format!("bench-{run}");
        let repo = repos.join(&name);
        std::fs::create_dir_all(&repo)?;
        git(&repo, &["init", "-q", "-b", "main"])?;
        for i in 0..files - files / 20 {
            std::fs::create_dir_all(repo.join(format!("src/m{}", i % 10)))?;
            std::fs::write(repo.join(format!("src/m{}/f{i}.rs", i % 10)), source(i, 0))?;
        }
        git(&repo, &["add", "-A"])?;
        git(&repo, &["commit", "-q", "-m", "base"])?;
        let old = git(&repo, &["rev-parse", "HEAD"])?;
        for i in 0..files {
            let path = repo.join(format!("src/m{}/f{i}.rs", i % 10));
            let mut text = source(i, 1);
            if i % 40 == 7 {
                text.push_str("const KEY: &str = \"AKIAZ7Q3XK2LMNB4RT6Y\";\n");
            }
            std::fs::write(path, text)?;
        }
        git(&repo, &["add", "-A"])?;
        git(&repo, &["commit", "-q", "-m", "change every file"])?;
        let new = git(&repo, &["rev-parse", "HEAD"])?;
        let event = push_event(format!("bench-{run}"), &name, &old, &new);
        local_aws::server::lock(&server.state().calls).clear();
        let started = Instant::now();
        let outcome = handle(event, &deps).await?;
        let elapsed = started.elapsed();
        let calls = local_aws::server::lock(&server.state().calls).clone();
        let total: u64 = calls.values().sum();
        println!(
            "run {run}: {:.0} ms, {total} CodeCommit calls {calls:?}; {}",
            elapsed.as_secs_f64() * 1000.0,
            serde_json::to_string(&outcome)?
        );
    }
    Ok(())
}

/// Pushes of `n` commits (two files changed each, a key in one), scanned
/// over the API and over git: wall time and CodeCommit calls of each.
async fn api_calls_per_push(
    deps: &mut SdkDeps,
    local_sdk: &aws_config::SdkConfig,
    server: &local_aws::Server,
    repos: &Path,
    pushes: &[usize],
) -> Result<()> {
    let access = secret_scanner::git_path::GitAccess::from_sdk(local_sdk, &deps.config)
        .context("GIT_SCAN_THRESHOLD is 0")?;
    println!(
        "{:>8} {:>5} {:>10} {:>10}  calls by operation",
        "commits", "path", "ms", "API calls"
    );
    for &n in pushes {
        for via_git in [false, true] {
            let name = format!("push-{n}-{}", if via_git { "git" } else { "api" });
            let repo = repos.join(&name);
            std::fs::create_dir_all(&repo)?;
            git(&repo, &["init", "-q", "-b", "main"])?;
            std::fs::write(repo.join("README.md"), "# bench\n")?;
            git(&repo, &["add", "-A"])?;
            git(&repo, &["commit", "-q", "-m", "base"])?;
            let old = git(&repo, &["rev-parse", "HEAD"])?;
            for i in 0..n {
                for f in [i % 7, 7 + i % 5] {
                    let path = repo.join(format!("src/f{f}.rs"));
                    std::fs::create_dir_all(repo.join("src"))?;
                    let mut text = source(f, i);
                    if i == n / 2 && f < 7 {
                        text.push_str("const KEY: &str = \"AKIAZ7Q3XK2LMNB4RT6Y\";\n");
                    }
                    std::fs::write(path, text)?;
                }
                git(&repo, &["add", "-A"])?;
                git(&repo, &["commit", "-q", "-m", &format!("change {i}")])?;
            }
            let new = git(&repo, &["rev-parse", "HEAD"])?;
            let event = push_event(name.as_str(), &name, &old, &new);
            deps.git = via_git.then(|| access.clone());
            local_aws::server::lock(&server.state().calls).clear();
            let started = Instant::now();
            let outcome = handle(event, deps).await?;
            let elapsed = started.elapsed();
            let calls = local_aws::server::lock(&server.state().calls).clone();
            let (via, api_calls) = match &outcome {
                secret_scanner::Outcome::Scanned { via, api_calls, .. } => (*via, *api_calls),
                other => bail!("expected a scan, got {other:?}"),
            };
            println!(
                "{n:>8} {:>5} {:>10.0} {api_calls:>10}  {calls:?}",
                format!("{via:?}").to_lowercase(),
                elapsed.as_secs_f64() * 1000.0
            );
        }
    }
    Ok(())
}

/// A full-history sweep of `history` (served by local-aws as the
/// repository `history`), as in Lambda: the Scheduled Event, then each
/// cursor from the continuation queue (moto's SQS), every invocation given
/// a 300 s deadline (the template's timeout). Prints the wall time, the
/// invocations, commits, findings and CodeCommit calls.
async fn sweep_history(
    deps: &mut SdkDeps,
    local_sdk: &aws_config::SdkConfig,
    server: &local_aws::Server,
    repos: &Path,
    history: &Path,
    sqs: aws_sdk_sqs::Client,
) -> Result<()> {
    let name = "history";
    let served = repos.join(format!("{name}.git"));
    let source = history
        .to_str()
        .context("the repository path is not UTF-8")?;
    git(
        repos,
        &["clone", "-q", "--bare", source, &served.to_string_lossy()],
    )?;
    let queue_url = sqs
        .create_queue()
        .queue_name(format!("bench-sweep-{}", std::process::id()))
        .send()
        .await?
        .queue_url
        .context("no queue URL")?;
    let mut access = secret_scanner::git_path::GitAccess::from_sdk(local_sdk, &deps.config)
        .context("GIT_SCAN_THRESHOLD is 0")?;
    access.cursors = Some(secret_scanner::adapters::SqsCursors {
        client: sqs.clone(),
        queue_url: queue_url.clone(),
    });
    deps.git = Some(access);
    let budget = || secret_scanner::git_path::Budget {
        deadline: Some(std::time::SystemTime::now() + std::time::Duration::from_secs(300)),
    };
    local_aws::server::lock(&server.state().calls).clear();
    let started = Instant::now();
    let event = json!({
        "version": "0", "id": "bench-sweep", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [], "detail": {"repositories": [name]}
    });
    let planned = secret_scanner::handle_until(event, budget(), deps).await?;
    let (mut invocations, mut commits, mut findings) = (1, 0, 0);
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(1)
            .send()
            .await?;
        let Some(message) = received.messages().first() else {
            break;
        };
        let event = json!({"Records": [{
            "messageId": message.message_id(), "eventSource": "aws:sqs", "body": message.body()
        }]});
        let outcome = secret_scanner::handle_until(event, budget(), deps).await?;
        sqs.delete_message()
            .queue_url(&queue_url)
            .set_receipt_handle(message.receipt_handle().map(str::to_owned))
            .send()
            .await?;
        invocations += 1;
        if let secret_scanner::Outcome::Scanned {
            commits: c,
            findings: f,
            ..
        } = outcome
        {
            commits += c;
            findings += f;
        }
    }
    let elapsed = started.elapsed();
    let calls = local_aws::server::lock(&server.state().calls).clone();
    let total: u64 = calls.values().sum();
    println!(
        "sweep of {}: {:.1} s, {invocations} invocations, {commits} commits, {findings} findings, {total} CodeCommit API calls {calls:?}; planned: {}",
        history.display(),
        elapsed.as_secs_f64(),
        serde_json::to_string(&planned)?
    );
    Ok(())
}

/// A push of `old..new` to `main` of `repository`, as EventBridge sends it.
fn push_event(id: impl Into<String>, repository: &str, old: &str, new: &str) -> serde_json::Value {
    json!({
        "version": "0", "id": id.into(),
        "detail-type": "CodeCommit Repository State Change", "source": "aws.codecommit",
        "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
        "resources": [], "detail": {
            "event": "referenceUpdated", "repositoryName": repository, "referenceType": "branch",
            "referenceName": "main", "referenceFullName": "refs/heads/main",
            "commitId": new, "oldCommitId": old}
    })
}
