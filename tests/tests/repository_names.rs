//! Every repository name from an event is validated before any use
//! (issue 23, point 9), end to end against the local stack: a push, a
//! pull request, a sweep and a continuation cursor of the secret scanner,
//! a push of repo-backup, and a restore, each with names that could leave
//! a directory or an S3 prefix (`../x`, `a/b`), or are no CodeCommit name
//! at all (empty, too long, control characters, `.git`). Each event is
//! acknowledged and dropped: no API call, no file, no object, no alert,
//! and the name is not quoted in any error.

use anyhow::{Result, bail};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use e2e::scanner::{ScannerStack, sample_event};
use e2e::{LocalAws, moto_sdk_config, unique_name};
use repo_backup::store::S3Store;
use repo_backup::{GitAccess, NoDeadline};
use secret_scanner::Outcome;
use serde_json::{Value, json};
use shared::backup::Selector;

/// Names an attacker who can craft or replay an event could send.
fn bad_names() -> Vec<String> {
    vec![
        "../x".into(),
        "..".into(),
        "a/b".into(),
        String::new(),
        "r".repeat(101),
        "x\ny".into(),
        "x\u{1b}[31m".into(),
        ".git".into(),
        "app.git".into(),
        "AKIAZ7Q3XK2LMNB4RT6Y/../x".into(),
    ]
}

fn acknowledged(outcome: &Outcome) -> Result<()> {
    match outcome {
        Outcome::Acknowledged { reason } if !reason.contains("AKIA") => Ok(()),
        other => bail!("expected the event acknowledged, got {other:?}"),
    }
}

/// The number of CodeCommit calls local-aws answered.
async fn api_calls(stack: &ScannerStack) -> Result<u64> {
    Ok(stack.calls().await?.values().sum())
}

#[tokio::test]
async fn the_secret_scanner_acknowledges_events_with_invalid_repository_names() -> Result<()> {
    let mut stack = ScannerStack::start(&[]).await?;
    stack
        .enable_git_continuation(std::time::Duration::ZERO)
        .await?;
    let commit = "c3e5a7b9d1f3a5c7e9b1d3f5a7c9e1b3d5f7a9c1";
    for name in bad_names() {
        // GIVEN a push, a pull request, a sweep and a continuation cursor
        // naming the repository `name`
        let mut push = sample_event("codecommit-push")?;
        push["detail"]["repositoryName"] = json!(name);
        let mut pr = sample_event("codecommit-pr-created")?;
        pr["detail"]["repositoryNames"] = json!([name]);
        let mut sweep = sample_event("scheduled-secret-scan-sweep")?;
        sweep["detail"] = json!({ "repositories": [name] });
        let cursor = json!({
            "kind": secret_scanner::git_cursor::KIND,
            "version": secret_scanner::git_cursor::VERSION,
            "event": push,
            "tip": commit,
            "hidden": [],
            "next": commit,
            "done": 0,
            "part": 1,
        });
        let continuation = json!({"Records": [{
            "messageId": "m-1", "eventSource": "aws:sqs", "body": cursor.to_string()
        }]});
        for event in [push.clone(), pr, sweep, continuation] {
            // WHEN the scanner handles it
            let outcome = stack.invoke(event.clone()).await;
            // THEN it is acknowledged, without one API call
            let outcome = match outcome {
                Ok(outcome) => outcome,
                Err(error) => bail!("{name:?}: {event}: failed: {error}"),
            };
            acknowledged(&outcome).map_err(|e| anyhow::anyhow!("{name:?}: {e}"))?;
        }
        assert_eq!(api_calls(&stack).await?, 0, "{name:?}");
    }
    // AND nothing was alerted, nothing was fetched
    assert!(stack.received().await?.is_empty());
    assert_eq!(std::fs::read_dir(stack.git_dir.path())?.count(), 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repo_backup_and_restore_refuse_invalid_repository_names() -> Result<()> {
    // GIVEN repo-backup's dependencies: local-aws, a bucket, a mirror root
    // inside a directory of its own
    let local = LocalAws::start().await?;
    let sdk = moto_sdk_config().await?;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    let bucket = unique_name("backups");
    s3.create_bucket().bucket(&bucket).send().await?;
    let outer = tempfile::tempdir()?;
    let root = outer.path().join("mirrors");
    let config = repo_backup::Config::from_lookup(|var| match var {
        "BACKUP_BUCKET" => Some(bucket.clone()),
        _ => None,
    })?;
    let deps = repo_backup::Deps {
        store: S3Store::new(s3.clone(), &bucket),
        repositories: repo_backup::adapters::CodeCommitRepositories {
            client: local.codecommit().await,
            filter: config.filter,
        },
        git: GitAccess {
            endpoint: local.endpoint(),
            region: "us-east-1".into(),
            credentials: SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "e2e",
            )),
            mirror_root: root.clone(),
            min_free_tmp: 0,
            free_space: std::sync::Arc::new(repo_backup::evict::Statvfs),
        },
        full_every: 10,
        gc_grace: chrono::Duration::minutes(60),
        continuations: None::<repo_backup::adapters::SqsContinuations>,
        margin: std::time::Duration::from_secs(180),
    };
    let push: Value = sample_event("codecommit-push")?;
    for name in bad_names() {
        // WHEN a push event names the repository `name`
        let mut event = push.clone();
        event["detail"]["repositoryName"] = json!(name);
        let outcome = repo_backup::handle(event, &NoDeadline, &deps).await;
        // THEN it is acknowledged and ignored
        match outcome {
            Ok(repo_backup::Outcome::Ignored { kind }) => {
                assert!(kind.contains("invalid repository name"), "{name:?}: {kind}")
            }
            other => bail!("{name:?}: expected ignored, got {other:?}"),
        }
        // AND a restore of it is refused before any read, the name unquoted
        let dest = outer.path().join("restore");
        let error = repo_backup::restore::restore(&deps.store, &name, Selector::Latest, &dest)
            .await
            .err();
        let Some(error) = error else {
            bail!("{name:?}: the restore was accepted");
        };
        assert_eq!(error.error_type(), "InvalidEvent", "{name:?}: {error}");
        assert!(!error.to_string().contains("AKIA"), "{error}");
        assert!(!dest.exists());
    }
    // AND nothing was written: no mirror, nothing beside it, no object,
    // and local-aws was never asked
    assert!(!root.exists() || std::fs::read_dir(&root)?.count() == 0);
    let beside: Vec<_> = std::fs::read_dir(outer.path())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n != "mirrors")
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    let objects = s3.list_objects_v2().bucket(&bucket).send().await?;
    assert_eq!(objects.key_count(), Some(0));
    let calls: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(local.admin_get("/calls").await?)?;
    assert_eq!(calls.values().sum::<u64>(), 0, "{calls:?}");
    Ok(())
}
