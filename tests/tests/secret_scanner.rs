//! secret-scanner end to end: the handler, called as Lambda would call it,
//! with real SDK clients against the local stack: local-aws (in process)
//! for CodeCommit, backed by real git repositories that the tests commit to
//! with `git`; moto (from `.local/env`) for S3 (reports, markers) and SNS,
//! whose topic delivers to an SQS queue that each test reads.

use anyhow::{Context, Result, bail};
use e2e::scanner::ScannerStack;
use e2e::{CapturedLogs, Delivered, commit_file, git, unique_name};
use secret_scanner::{AlertStatus, Outcome, handle};
use serde_json::{Value, json};

/// Credentials shaped like real ones (not documentation examples, which
/// the engine deliberately ignores).
const AWS_KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
const GITHUB_TOKEN: &str = "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";
const SLACK_TOKEN: &str = "xoxb-6820573976702-1518795619475-xkBEssdb9JOCC4qzOlJjNxfb";
const PLANTED: [&str; 3] = [AWS_KEY, GITHUB_TOKEN, SLACK_TOKEN];

/// One test's stack (see [`ScannerStack`]).
struct Stack(ScannerStack);

impl std::ops::Deref for Stack {
    type Target = ScannerStack;
    fn deref(&self) -> &ScannerStack {
        &self.0
    }
}

impl Stack {
    async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    async fn start_with(settings: &[(&str, &str)]) -> Result<Self> {
        Ok(Self(ScannerStack::start(settings).await?))
    }
}

fn sample(name: &str) -> Result<Value> {
    e2e::scanner::sample_event(name)
}

fn scanned(outcome: &Outcome) -> Result<(usize, usize, &AlertStatus)> {
    match outcome {
        Outcome::Scanned {
            commits,
            findings,
            alert,
            ..
        } => Ok((*commits, *findings, alert)),
        other => bail!("expected a scan, got {other:?}"),
    }
}

fn env_file(key: &str) -> String {
    format!("# production\nregion = us-east-1\naws_access_key_id = {key}\n")
}

#[tokio::test]
async fn a_plain_push_alerts_comments_at_the_line_and_reports() -> Result<()> {
    // GIVEN main at a clean commit, then a push adding a key at line 3
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("config/prod.env", &env_file(AWS_KEY), "add prod config")?;
    // WHEN the push event arrives
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN one commit was scanned with one finding, and the alert went out
    let (commits, findings, alert) = scanned(&outcome)?;
    assert_eq!((commits, findings), (1, 1));
    assert!(matches!(alert, AlertStatus::Sent { .. }), "{alert:?}");
    let message = stack.one_message().await?;
    assert!(message.subject.chars().count() < 100);
    assert!(
        message.subject.contains(&stack.repository),
        "{}",
        message.subject
    );
    assert_eq!(message.attributes["repository"], stack.repository);
    assert_eq!(message.attributes["branch"], "main");
    assert_eq!(message.attributes["ruleIds"], "aws-access-key-id");
    assert_eq!(message.attributes["severity"], "critical");
    let text = message.document["text"].as_str().unwrap_or_default();
    for expected in [
        "config/prod.env:3:21",
        "AKIA***",
        "Dev One <dev1@example.com>",
        "Rotate",
        "remove it from the history",
        "/codesuite/codecommit/repositories/",
        &c2[..8],
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert_eq!(message.document["findings"][0]["line"], 3);
    // AND one comment at the line, on the commit compared with its parent
    let comments = stack.commit_comments(Some(&c1), &c2).await?;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["path"], "config/prod.env");
    assert_eq!(comments[0]["line"], 3);
    assert!(
        comments[0]["content"]
            .as_str()
            .is_some_and(|c| c.contains("AKIA***") && c.contains("aws-access-key-id"))
    );
    // AND the report of the scanned commit, none of the old one
    let report = stack.report(&c2).await?.context("no report for c2")?;
    assert_eq!(report["schema"], "codewarden/findings-report@1");
    assert_eq!(report["repository"], stack.repository);
    assert_eq!(report["commitId"], c2);
    assert_eq!(report["ref"], "refs/heads/main");
    assert_eq!(report["findingCount"], 1);
    assert_eq!(report["findings"][0]["path"], "config/prod.env");
    assert_eq!(report["findings"][0]["line"], 3);
    assert_eq!(report["findings"][0]["ruleId"], "aws-access-key-id");
    assert_eq!(report["truncated"], false);
    assert!(
        chrono::DateTime::parse_from_rfc3339(report["scannedAt"].as_str().unwrap_or("")).is_ok()
    );
    assert!(stack.report(&c1).await?.is_none());
    Ok(())
}

#[tokio::test]
async fn a_secret_added_then_deleted_in_one_push_is_found() -> Result<()> {
    // GIVEN a push of two commits: the first adds a token, the second removes it
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit(
        "deploy.sh",
        &format!("#!/bin/sh\nexport GITHUB_TOKEN={GITHUB_TOKEN}\n"),
        "deploy script",
    )?;
    let c3 = stack.commit("deploy.sh", "#!/bin/sh\n", "oops, remove the token")?;
    // WHEN the push (c1 -> c3) is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c3)?).await?;
    // THEN both commits were scanned and the token found in the first
    assert_eq!(scanned(&outcome)?.0, 2);
    assert_eq!(scanned(&outcome)?.1, 1);
    let message = stack.one_message().await?;
    assert_eq!(message.document["findings"][0]["commitId"], c2);
    assert_eq!(message.attributes["ruleIds"], "github-pat-classic");
    let c2_report = stack.report(&c2).await?.context("no report for c2")?;
    assert_eq!(c2_report["findingCount"], 1);
    // AND the clean commit has its report too: scanned clean, not unscanned
    let c3_report = stack.report(&c3).await?.context("no report for c3")?;
    assert_eq!(c3_report["findingCount"], 0);
    assert_eq!(c3_report["findings"], json!([]));
    assert_eq!(stack.commit_comments(Some(&c1), &c2).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_new_branch_scans_only_the_commits_not_on_the_default_branch() -> Result<()> {
    // GIVEN main with two commits and a feature branch with one more
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("src/lib.rs", "pub fn f() {}\n", "code")?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature/slack"])?;
    let c3 = stack.commit(
        "notify.py",
        &format!("TOKEN = \"{SLACK_TOKEN}\"\n"),
        "notify",
    )?;
    // (HEAD names the default branch of a local-aws repository)
    git(&stack.repo, &["checkout", "-q", "main"])?;
    // WHEN the branch creation event arrives
    let outcome = stack
        .invoke(stack.push("feature/slack", None, &c3)?)
        .await?;
    // THEN only the branch's own commit was scanned
    let (commits, findings, _) = scanned(&outcome)?;
    assert_eq!((commits, findings), (1, 1));
    assert!(stack.report(&c3).await?.is_some());
    assert!(stack.report(&c2).await?.is_none());
    assert!(stack.report(&c1).await?.is_none());
    let message = stack.one_message().await?;
    assert_eq!(message.attributes["branch"], "feature/slack");
    Ok(())
}

#[tokio::test]
async fn a_force_push_scans_the_rewritten_commits_only() -> Result<()> {
    // GIVEN main pushed up to c2, then rewritten: c2 dropped, c3 on c1
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("a.txt", "a\n", "a")?;
    git(&stack.repo, &["reset", "-q", "--hard", &c1])?;
    let c3 = stack.commit("b.env", &env_file(AWS_KEY), "b")?;
    // WHEN the force push (c2 -> c3) arrives
    let outcome = stack.invoke(stack.push("main", Some(&c2), &c3)?).await?;
    // THEN only c3 was scanned: the walk stopped at the merge base c1
    let (commits, findings, _) = scanned(&outcome)?;
    assert_eq!((commits, findings), (1, 1));
    assert!(stack.report(&c3).await?.is_some());
    assert!(stack.report(&c1).await?.is_none());
    assert_eq!(stack.one_message().await?.attributes["branch"], "main");
    Ok(())
}

#[tokio::test]
async fn a_pull_request_gets_a_comment_at_the_line() -> Result<()> {
    // GIVEN main and a feature branch adding a key, then another commit
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature/login"])?;
    let c2 = stack.commit("login/settings.env", &env_file(AWS_KEY), "login settings")?;
    let c3 = stack.commit("login/form.html", "<form></form>\n", "form")?;
    let created = stack
        .codecommit
        .create_pull_request()
        .title("Add login form")
        .targets(
            aws_sdk_codecommit::types::Target::builder()
                .repository_name(&stack.repository)
                .source_reference("feature/login")
                .destination_reference("main")
                .build()?,
        )
        .client_request_token(unique_name("pr"))
        .send()
        .await?;
    let pr = created
        .pull_request()
        .and_then(|p| p.pull_request_id())
        .context("no pull request id")?
        .to_owned();
    let mut event = sample("codecommit-pr-created")?;
    let detail = &mut event["detail"];
    detail["repositoryNames"] = json!([stack.repository]);
    detail["pullRequestId"] = json!(pr);
    detail["sourceCommit"] = json!(c3);
    detail["destinationCommit"] = json!(c1);
    detail["mergeBase"] = json!(c1);
    detail["sourceReference"] = json!("refs/heads/feature/login");
    // WHEN the pull request event arrives
    let outcome = stack.invoke(event).await?;
    // THEN the source branch's commits were scanned
    let (commits, findings, _) = scanned(&outcome)?;
    assert_eq!((commits, findings), (2, 1));
    // AND the pull request has a comment at the secret's line
    let comments = stack
        .codecommit
        .get_comments_for_pull_request()
        .pull_request_id(&pr)
        .send()
        .await?;
    let located: Vec<(Option<&str>, Option<i64>, bool)> = comments
        .comments_for_pull_request_data()
        .iter()
        // The pull request's summary comment has no location.
        .filter(|group| group.location().is_some())
        .flat_map(|group| {
            group.comments().iter().map(move |c| {
                (
                    group.location().and_then(|l| l.file_path()),
                    group.location().and_then(|l| l.file_position()),
                    c.content().is_some_and(|t| t.contains("AKIA***")),
                )
            })
        })
        .collect();
    assert_eq!(located, vec![(Some("login/settings.env"), Some(3), true)]);
    // AND the alert names the pull request
    let message = stack.one_message().await?;
    assert_eq!(message.document["pullRequestId"], json!(pr));
    assert!(stack.report(&c2).await?.is_some() && stack.report(&c3).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn a_redelivered_event_gives_one_alert_and_one_comment() -> Result<()> {
    // GIVEN a push with a key, scanned once
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("config/prod.env", &env_file(AWS_KEY), "config")?;
    let event = stack.push("main", Some(&c1), &c2)?;
    stack.invoke(event.clone()).await?;
    // WHEN the same event is delivered again
    let again = stack.invoke(event.clone()).await?;
    // THEN it is recognised as scanned
    assert!(
        matches!(
            &again,
            Outcome::Scanned {
                commits: 0,
                already_scanned: 1,
                ..
            }
        ),
        "{again:?}"
    );
    // AND WHEN a delivery finds no report (the first attempt failed before
    // writing it), it scans again but neither alerts nor comments twice
    stack
        .s3
        .delete_object()
        .bucket(&stack.config.report_bucket)
        .key(stack.config.report_key(&stack.repository, &c2))
        .send()
        .await?;
    let third = stack.invoke(event).await?;
    assert_eq!(scanned(&third)?.2, &AlertStatus::Duplicate);
    assert_eq!(stack.received().await?.len(), 1);
    assert_eq!(stack.commit_comments(Some(&c1), &c2).await?.len(), 1);
    assert!(stack.report(&c2).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn the_repository_allowlist_and_baseline_apply() -> Result<()> {
    // GIVEN main with a .codewarden.toml allowing fixtures/, and a baseline
    // accepting the GitHub token (as `codewarden scan --write-baseline` does)
    let stack = Stack::start().await?;
    let scanner = shared::scan::Scanner::new(shared::scan::Rules::builtin()?);
    let known = format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n");
    let mut baseline = shared::scan::Baseline::new();
    for finding in scanner.scan(known.as_bytes()) {
        baseline.add("old/deploy.sh", &finding);
    }
    assert_eq!(baseline.len(), 1);
    std::fs::write(
        stack.repo.join(".codewarden-baseline.json"),
        baseline.to_json()?,
    )?;
    let c1 = stack.commit(
        ".codewarden.toml",
        "[allow]\npaths = [\"fixtures/**\"]\n",
        "config",
    )?;
    // AND a push adding the known token, a fixture and a line with a pragma
    std::fs::write(stack.repo.join("deploy.sh"), &known)?;
    stack.commit("README.md", "# app\n", "deploy script")?;
    std::fs::create_dir_all(stack.repo.join("fixtures"))?;
    std::fs::write(stack.repo.join("fixtures/keys.env"), env_file(AWS_KEY))?;
    let c3 = stack.commit(
        "tests/slack.py",
        &format!("TOKEN = \"{SLACK_TOKEN}\"  # codewarden:allow\n"),
        "fixtures",
    )?;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c3)?).await?;
    // THEN the path is allowed and the token is in the baseline; the
    // pragma the push itself adds is not honoured (issue 23: main before
    // the push does not have it, tests/tests/scanner_pragmas.rs): the
    // Slack token stands, and the comment is a finding of its own
    let (commits, findings, alert) = scanned(&outcome)?;
    assert_eq!((commits, findings), (2, 2));
    assert!(matches!(alert, AlertStatus::Sent { .. }), "{alert:?}");
    let report = stack.report(&c3).await?.context("no report")?;
    assert_eq!(report["findingCount"], 2);
    assert_eq!(report["allowedFiles"], 1);
    let mut rules: Vec<&str> = report["findings"]
        .as_array()
        .map(|all| all.iter().filter_map(|f| f["ruleId"].as_str()).collect())
        .unwrap_or_default();
    rules.sort_unstable();
    assert_eq!(rules.len(), 2, "{report}");
    assert_eq!(rules[0], "codewarden-suppression-changed", "{report}");
    assert!(rules[1].starts_with("slack"), "{report}");
    Ok(())
}

#[tokio::test]
async fn throttling_mid_scan_completes_without_duplicates() -> Result<()> {
    // GIVEN a push of several files, and CodeCommit throttling mid-scan
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    for i in 0..5 {
        std::fs::write(stack.repo.join(format!("f{i}.txt")), format!("line {i}\n"))?;
    }
    let c2 = stack.commit("config/prod.env", &env_file(AWS_KEY), "many files")?;
    for (operation, count) in [
        ("GetBlobDifferences", 3),
        ("GetDifferences", 1),
        ("PostCommentForComparedCommit", 1),
    ] {
        stack
            .aws
            .admin_post(
                "/faults",
                json!({"operation": operation, "kind": "throttle", "count": count}),
            )
            .await?;
    }
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN the SDK's retries carried it through: one finding, one alert, one comment
    assert_eq!(scanned(&outcome)?.1, 1);
    let calls = stack.calls().await?;
    assert!(calls["GetBlobDifferences"] >= 6 + 3, "{calls:?}");
    assert_eq!(stack.received().await?.len(), 1);
    assert_eq!(stack.commit_comments(Some(&c1), &c2).await?.len(), 1);
    assert_eq!(
        stack.report(&c2).await?.context("no report")?["findingCount"],
        1
    );
    Ok(())
}

#[tokio::test]
async fn a_failure_after_the_alert_is_retried_without_duplicates() -> Result<()> {
    // GIVEN comment posting failing beyond the SDK's retries
    let stack = Stack::start_with(&[("MAX_RETRY_ATTEMPTS", "2")]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("config/prod.env", &env_file(AWS_KEY), "config")?;
    stack
        .aws
        .admin_post(
            "/faults",
            json!({"operation": "PostCommentForComparedCommit", "kind": "server_error", "count": 2}),
        )
        .await?;
    let event = stack.push("main", Some(&c1), &c2)?;
    // WHEN the event is handled
    let error = handle(event.clone(), &stack.deps).await.err();
    // THEN it fails retryably, after alerting, without writing the report
    let error = error.context("expected a failure")?;
    assert!(error.is_retryable(), "{error}");
    assert!(stack.report(&c2).await?.is_none());
    // AND Lambda's retry completes the work without a second alert or comment
    let retried = stack.invoke(event).await?;
    assert_eq!(scanned(&retried)?.2, &AlertStatus::Duplicate);
    assert_eq!(stack.received().await?.len(), 1);
    assert_eq!(stack.commit_comments(Some(&c1), &c2).await?.len(), 1);
    assert!(stack.report(&c2).await?.is_some());
    Ok(())
}

#[tokio::test]
async fn binary_and_oversized_files_are_skipped_and_counted() -> Result<()> {
    // GIVEN a commit adding a binary file, a file over MAX_BLOB_BYTES (5 KB
    // > 4 KiB) and one over what CodeCommit returns (9 KB > 8000 here), all
    // holding a key
    let stack = Stack::start_with(&[("MAX_BLOB_BYTES", "4096")]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let mut binary = b"\x89PNG\r\n\x1a\n\0\0\0".to_vec();
    binary.extend_from_slice(format!("aws_access_key_id = {AWS_KEY}\n").as_bytes());
    std::fs::write(stack.repo.join("logo.png"), &binary)?;
    let big = format!("{}{}", "# padding\n".repeat(500), env_file(AWS_KEY));
    std::fs::write(stack.repo.join("big.env"), big)?;
    stack.commit(
        "huge.env",
        &format!("{}{}", "# padding\n".repeat(900), env_file(AWS_KEY)),
        "assets",
    )?;
    let c2 = git(&stack.repo, &["rev-parse", "HEAD"])?;
    local_aws::server::lock(&stack.aws.server.state().codecommit)
        .limits
        .max_blob_bytes = 8000;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN nothing is found, and the skips are counted in the report
    assert_eq!(scanned(&outcome)?.1, 0);
    let report = stack.report(&c2).await?.context("no report")?;
    assert_eq!(report["skipped"]["binary"], 1);
    assert_eq!(report["skipped"]["tooLarge"], 2);
    assert_eq!(report["findingCount"], 0);
    Ok(())
}

#[tokio::test]
async fn a_submodule_is_skipped_and_counted() -> Result<()> {
    // GIVEN a commit adding a submodule (a gitlink, mode 160000) next to a file
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let pinned = "4b8d2f6a0c1e3a5b7d9f1e2c4a6b8d0f2e4a6c8b";
    std::fs::create_dir_all(stack.repo.join("src"))?;
    std::fs::write(stack.repo.join("src/main.rs"), "fn main() {}\n")?;
    git(&stack.repo, &["add", "src/main.rs"])?;
    // (not `git add -A`: the gitlink has no work tree and would be dropped)
    git(
        &stack.repo,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{pinned},vendor/lib"),
        ],
    )?;
    git(&stack.repo, &["commit", "-q", "-m", "vendor lib"])?;
    let c2 = git(&stack.repo, &["rev-parse", "HEAD"])?;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN GetDifferences lists the submodule with mode 160000, and the
    // scanner counts it instead of asking for its "blob"
    let differences = stack
        .codecommit
        .get_differences()
        .repository_name(&stack.repository)
        .before_commit_specifier(&c1)
        .after_commit_specifier(&c2)
        .send()
        .await?;
    let modes: Vec<(Option<&str>, Option<&str>)> = differences
        .differences()
        .iter()
        .filter_map(|d| d.after_blob())
        .map(|b| (b.path(), b.mode()))
        .collect();
    assert!(
        modes.contains(&(Some("vendor/lib"), Some("160000"))),
        "{modes:?}"
    );
    assert_eq!(scanned(&outcome)?.0, 1);
    let report = stack.report(&c2).await?.context("no report")?;
    assert_eq!(report["skipped"]["submodule"], 1);
    Ok(())
}

#[tokio::test]
async fn a_tag_scans_its_commit_once_and_deletions_are_acknowledged() -> Result<()> {
    let stack = Stack::start().await?;
    let c1 = stack.commit("config/prod.env", &env_file(AWS_KEY), "init")?;
    let mut tag = sample("codecommit-tag-created")?;
    tag["detail"]["repositoryName"] = json!(stack.repository);
    tag["detail"]["commitId"] = json!(c1);
    // A root commit is compared with the empty tree.
    assert_eq!(scanned(&stack.invoke(tag.clone()).await?)?.1, 1);
    assert!(matches!(
        stack.invoke(tag).await?,
        Outcome::Scanned {
            commits: 0,
            already_scanned: 1,
            ..
        }
    ));
    let mut deleted = sample("codecommit-branch-deleted")?;
    deleted["detail"]["repositoryName"] = json!(stack.repository);
    assert!(matches!(
        stack.invoke(deleted).await?,
        Outcome::Acknowledged { .. }
    ));
    Ok(())
}

#[tokio::test]
async fn a_long_push_is_truncated_and_says_where_it_stopped() -> Result<()> {
    let stack = Stack::start_with(&[("MAX_COMMITS", "2")]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("a.txt", "a\n", "a")?;
    let c3 = stack.commit("b.env", &env_file(AWS_KEY), "b")?;
    let c4 = stack.commit("c.txt", "c\n", "c")?;
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c4)?).await?;
    assert!(
        matches!(&outcome, Outcome::Scanned { commits: 2, stopped_at: Some(s), .. } if *s == c2),
        "{outcome:?}"
    );
    let report = stack.report(&c3).await?.context("no report")?;
    assert_eq!(report["truncated"], true);
    assert_eq!(report["stoppedAt"], c2);
    let message = stack.one_message().await?;
    assert_eq!(message.document["truncated"], true);
    assert!(
        message.document["text"]
            .as_str()
            .is_some_and(|t| t.contains(&c2) && t.contains("NOT scanned"))
    );
    Ok(())
}

#[tokio::test]
async fn malformed_and_foreign_events() -> Result<()> {
    let stack = Stack::start().await?;
    // A CodeCommit event without its required commit: a clear, non-retryable error.
    let mut broken = sample("codecommit-push")?;
    if let Some(d) = broken["detail"].as_object_mut() {
        d.remove("commitId");
    }
    let error = handle(broken, &stack.deps)
        .await
        .err()
        .context("expected an error")?;
    assert!(!error.is_retryable());
    assert_eq!(error.error_type(), "InvalidEvent");
    assert!(error.to_string().contains("commitId"), "{error}");
    // Not an object at all.
    let error = handle(json!([1, 2]), &stack.deps)
        .await
        .err()
        .context("expected an error")?;
    assert_eq!(error.error_type(), "InvalidEvent");
    // Another service's event: acknowledged.
    let foreign = sample("codebuild-failed")?;
    assert!(matches!(
        stack.invoke(foreign).await?,
        Outcome::Acknowledged { .. }
    ));
    Ok(())
}

#[tokio::test]
async fn no_planted_secret_leaves_unmasked() -> Result<()> {
    // GIVEN a push planting three kinds of secret, one also in the commit message
    let stack = Stack::start().await?;
    let captured = CapturedLogs::default();
    let _guard = captured.capture(tracing::Level::DEBUG);
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    stack.commit(
        "config/prod.env",
        &env_file(AWS_KEY),
        &format!("config {AWS_KEY}"),
    )?;
    std::fs::write(
        stack.repo.join("deploy.sh"),
        format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n"),
    )?;
    let c3 = stack.commit(
        "notify.py",
        &format!("TOKEN = \"{SLACK_TOKEN}\"\n"),
        "notify",
    )?;
    // WHEN it is scanned (twice, as a redelivery would)
    let event = stack.push("main", Some(&c1), &c3)?;
    let outcome = stack.invoke(event.clone()).await?;
    stack.invoke(event).await?;
    // Three in files, one in the commit message (scanned too).
    assert_eq!(scanned(&outcome)?.1, 4);
    // THEN the alert, the comments, the reports and the logs hold none of them
    let mut everything = String::new();
    for message in stack.received().await? {
        everything.push_str(&message.raw);
    }
    let c2 = git(&stack.repo, &["rev-parse", "HEAD~1"])?;
    for (before, after) in [(&c1, &c2), (&c2, &c3)] {
        everything.push_str(&serde_json::to_string(
            &stack.commit_comments(Some(before), after).await?,
        )?);
        everything.push_str(&stack.report(after).await?.context("no report")?.to_string());
    }
    let logs = captured.text();
    assert!(
        logs.contains("commit scanned"),
        "the logs were not captured"
    );
    everything.push_str(&logs);
    for secret in PLANTED {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    // AND the masked previews are there, so the check looked at real output
    for masked in ["AKIA***", "ghp_***", "xoxb***"] {
        assert!(everything.contains(masked), "{masked} missing");
    }
    Ok(())
}

/// The first 8 characters of a commit id, as the alert shortens it.
fn short(commit: &str) -> &str {
    &commit[..8]
}

impl Stack {
    /// Fails when any of `secrets` appears in `message`, the reports of
    /// `commits` or the comments on them (each compared with its parent).
    async fn assert_masked(
        &self,
        secrets: &[&str],
        message: &Delivered,
        commits: &[(Option<&str>, &str)],
    ) -> Result<()> {
        let mut everything = message.raw.clone();
        for (before, after) in commits {
            if let Some(report) = self.report(after).await? {
                everything.push_str(&report.to_string());
            }
            everything.push_str(&serde_json::to_string(
                &self.commit_comments(*before, after).await?,
            )?);
        }
        for secret in secrets {
            assert!(!everything.contains(secret), "{secret} leaked");
        }
        Ok(())
    }
}

/// `text` as UTF-16LE, after `bom` (empty: none).
fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for unit in text.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

/// PEM body lines of 64 characters from a small LCG: random-looking
/// enough for the engine's entropy floor, and no real key.
fn pem_body(seed: u64, lines: usize) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = seed;
    (0..lines)
        .map(|_| {
            (0..64)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    char::from(ALPHABET[usize::try_from(state >> 58).unwrap_or(0)])
                })
                .collect()
        })
        .collect()
}

fn rsa_key_file(body: &[String]) -> String {
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
        body.join("\n")
    )
}

#[tokio::test]
async fn a_truncated_walk_alerts_and_reports_incomplete_without_findings() -> Result<()> {
    // GIVEN a clean push of three commits with MAX_COMMITS=2
    let stack = Stack::start_with(&[("MAX_COMMITS", "2")]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("a.txt", "a\n", "a")?;
    let c3 = stack.commit("b.txt", "b\n", "b")?;
    let c4 = stack.commit("c.txt", "c\n", "c")?;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c4)?).await?;
    // THEN two commits were scanned, and an alert says the rest was not
    let (commits, findings, alert) = scanned(&outcome)?;
    assert_eq!((commits, findings), (2, 0));
    assert!(matches!(alert, AlertStatus::Sent { .. }), "{alert:?}");
    let message = stack.one_message().await?;
    assert!(
        message.subject.contains("incomplete") && message.subject.contains("MAX_COMMITS"),
        "{}",
        message.subject
    );
    assert_eq!(message.attributes["complete"], "false");
    assert_eq!(message.document["complete"], false);
    assert!(
        message.document["text"]
            .as_str()
            .is_some_and(|t| t.contains(&c2) && t.contains("NOT scanned")),
        "{}",
        message.document["text"]
    );
    // AND every report of the push is incomplete, naming the truncated walk
    for commit in [&c3, &c4] {
        let report = stack.report(commit).await?.context("no report")?;
        assert_eq!(report["complete"], false);
        assert_eq!(
            report["notScanned"],
            json!([{"path": "", "reason": "truncatedWalk"}])
        );
        assert_eq!(report["truncated"], true);
    }
    Ok(())
}

#[tokio::test]
async fn oversized_files_are_not_scanned_and_say_so() -> Result<()> {
    // GIVEN a commit adding a file over MAX_BLOB_BYTES (5 KB > 4 KiB) and
    // one over what CodeCommit returns (9 KB > 8000 here)
    let stack = Stack::start_with(&[("MAX_BLOB_BYTES", "4096")]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    std::fs::write(stack.repo.join("big.env"), "# padding\n".repeat(500))?;
    let c2 = stack.commit("huge.env", &"# padding\n".repeat(900), "assets")?;
    local_aws::server::lock(&stack.aws.server.state().codecommit)
        .limits
        .max_blob_bytes = 8000;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN no finding, but an alert naming each file and why
    let (_, findings, alert) = scanned(&outcome)?;
    assert_eq!(findings, 0);
    assert!(matches!(alert, AlertStatus::Sent { .. }), "{alert:?}");
    let message = stack.one_message().await?;
    let text = message.document["text"].as_str().unwrap_or_default();
    let expected = format!(
        "not scanned: 2 files in {}: big.env (over 4 KiB), huge.env (over CodeCommit's size limit)",
        short(&c2)
    );
    assert!(text.contains(&expected), "{expected} missing from:\n{text}");
    assert_eq!(message.attributes["complete"], "false");
    // AND the report lists them with their reasons, and keeps the counts
    let report = stack.report(&c2).await?.context("no report")?;
    assert_eq!(report["complete"], false);
    assert_eq!(
        report["notScanned"],
        json!([
            {"path": "big.env", "reason": "tooLarge"},
            {"path": "huge.env", "reason": "fileTooLarge"},
        ])
    );
    assert_eq!(report["skipped"]["tooLarge"], 2);
    Ok(())
}

#[tokio::test]
async fn utf16_files_are_decoded_and_scanned_at_the_right_line() -> Result<()> {
    // GIVEN two UTF-16LE files (one with a byte order mark, one without)
    // that a second commit changes, adding a key at line 3 and a token at
    // line 2: CodeCommit calls both binary (NUL bytes)
    let stack = Stack::start().await?;
    std::fs::write(
        stack.repo.join("settings.ini"),
        utf16le("[default]\r\nregion = us-east-1\r\n", true),
    )?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    std::fs::write(
        stack.repo.join("settings.ini"),
        utf16le(
            &format!(
                "[default]\r\nregion = us-east-1\r\naws_access_key_id = {AWS_KEY}\r\noutput = json\r\n"
            ),
            true,
        ),
    )?;
    let c2 = commit_file(
        &stack.repo,
        "deploy.ps1",
        &utf16le(
            &format!("# deploy\r\n$env:GITHUB_TOKEN = \"{GITHUB_TOKEN}\"\r\n"),
            false,
        ),
        "keys in UTF-16",
    )?;
    let binary = stack
        .codecommit
        .get_differences()
        .repository_name(&stack.repository)
        .before_commit_specifier(&c1)
        .after_commit_specifier(&c2)
        .send()
        .await?;
    assert_eq!(binary.differences().len(), 2);
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN both secrets are found at their lines, and the report is complete
    assert_eq!(scanned(&outcome)?.1, 2);
    let report = stack.report(&c2).await?.context("no report")?;
    let found: Vec<(&str, &str, i64)> = report["findings"]
        .as_array()
        .context("no findings")?
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default(),
                f["ruleId"].as_str().unwrap_or_default(),
                f["line"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("deploy.ps1", "github-pat-classic", 2),
            ("settings.ini", "aws-access-key-id", 3),
        ]
    );
    assert_eq!(report["complete"], true);
    assert_eq!(report["notScanned"], json!([]));
    assert_eq!(report["skipped"]["binary"], 0);
    // AND the comments sit at those lines
    let mut lines: Vec<(Value, Value)> = stack
        .commit_comments(Some(&c1), &c2)
        .await?
        .into_iter()
        .map(|c| (c["path"].clone(), c["line"].clone()))
        .collect();
    lines.sort_by_key(|(path, _)| path.to_string());
    assert_eq!(
        lines,
        vec![
            (json!("deploy.ps1"), json!(2)),
            (json!("settings.ini"), json!(3))
        ]
    );
    let message = stack.one_message().await?;
    assert_eq!(message.attributes["complete"], "true");
    stack
        .assert_masked(&[AWS_KEY, GITHUB_TOKEN], &message, &[(Some(&c1), &c2)])
        .await?;
    Ok(())
}

#[tokio::test]
async fn real_binaries_are_not_scanned_and_say_so() -> Result<()> {
    // GIVEN a commit adding a PNG and a zip (which hold no UTF-16 text)
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0".to_vec();
    png.extend_from_slice(b"\x1f\xf3\xffa\0\0\0\0IEND\xaeB`\x82");
    std::fs::write(stack.repo.join("logo.png"), &png)?;
    let zip =
        b"PK\x03\x04\x14\0\0\0\x08\0\x00\x00!\0\x9c\x8e\xa1\x1b\x05\0\0\0\x03\0\0\0\x05\0\0\0a.txt";
    let c2 = commit_file(&stack.repo, "assets/bundle.zip", zip, "assets")?;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    // THEN an alert says both were not scanned, as binary
    let (_, findings, alert) = scanned(&outcome)?;
    assert_eq!(findings, 0);
    assert!(matches!(alert, AlertStatus::Sent { .. }), "{alert:?}");
    let message = stack.one_message().await?;
    assert!(
        message.subject.contains("2 file(s) not scanned"),
        "{}",
        message.subject
    );
    let text = message.document["text"].as_str().unwrap_or_default();
    let expected = format!(
        "not scanned: 2 files in {}: assets/bundle.zip (binary), logo.png (binary)",
        short(&c2)
    );
    assert!(text.contains(&expected), "{expected} missing from:\n{text}");
    let report = stack.report(&c2).await?.context("no report")?;
    assert_eq!(report["complete"], false);
    assert_eq!(
        report["notScanned"],
        json!([
            {"path": "assets/bundle.zip", "reason": "binary"},
            {"path": "logo.png", "reason": "binary"},
        ])
    );
    assert_eq!(report["skipped"]["binary"], 2);
    // AND a redelivery alerts no second time, also when it scans again
    // (no report: the first delivery failed before writing it)
    let event = stack.push("main", Some(&c1), &c2)?;
    assert_eq!(scanned(&stack.invoke(event.clone()).await?)?.0, 0);
    stack
        .s3
        .delete_object()
        .bucket(&stack.config.report_bucket)
        .key(stack.config.report_key(&stack.repository, &c2))
        .send()
        .await?;
    assert_eq!(
        scanned(&stack.invoke(event).await?)?.2,
        &AlertStatus::Duplicate
    );
    assert!(stack.received().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_no_ff_side_branch_that_adds_then_deletes_a_key_is_found() -> Result<()> {
    // GIVEN a feature branch that adds a key and deletes it again, merged
    // into main with --no-ff: the merge commit itself shows nothing
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature"])?;
    let s1 = stack.commit("config/dev.env", &env_file(AWS_KEY), "dev config")?;
    let s2 = stack.commit("config/dev.env", "# dev\nregion = us-east-1\n", "no key")?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    git(
        &stack.repo,
        &["merge", "-q", "--no-ff", "feature", "-m", "merge feature"],
    )?;
    let merge = git(&stack.repo, &["rev-parse", "HEAD"])?;
    // WHEN the push of main (c1 -> merge) is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &merge)?).await?;
    // THEN the side branch's commits were scanned too, and the key found
    // in the commit that added it
    assert_eq!(scanned(&outcome)?.0, 3);
    assert_eq!(scanned(&outcome)?.1, 1);
    let message = stack.one_message().await?;
    assert_eq!(message.document["findings"][0]["commitId"], s1);
    assert_eq!(message.document["findings"][0]["line"], 3);
    assert_eq!(
        stack.report(&s1).await?.context("no report")?["findingCount"],
        1
    );
    assert!(stack.report(&s2).await?.is_some());
    assert_eq!(
        stack.report(&merge).await?.context("no report")?["findingCount"],
        0
    );
    assert_eq!(stack.commit_comments(Some(&c1), &s1).await?.len(), 1);
    // AND the walk cost one BatchGetCommits per level and one merge base
    // for the side branch
    let calls = stack.calls().await?;
    assert_eq!(calls.get("BatchGetCommits"), Some(&3), "{calls:?}");
    assert_eq!(calls.get("GetMergeOptions"), Some(&2), "{calls:?}");
    stack
        .assert_masked(
            &[AWS_KEY],
            &message,
            &[(Some(&c1), &s1), (Some(&c1), &merge)],
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_secret_merged_in_is_told_once_and_stays_in_the_merge_report() -> Result<()> {
    // GIVEN a side branch adding a key, merged with --no-ff while main
    // moved on too
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature"])?;
    let s1 = stack.commit("config/dev.env", &env_file(AWS_KEY), "dev config")?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    let c2 = stack.commit("src/lib.rs", "pub fn f() {}\n", "code")?;
    git(
        &stack.repo,
        &["merge", "-q", "--no-ff", "feature", "-m", "merge feature"],
    )?;
    let merge = git(&stack.repo, &["rev-parse", "HEAD"])?;
    // WHEN the push (c1 -> merge) is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &merge)?).await?;
    // THEN all three commits were scanned; the key is told once, at the
    // commit that added it
    assert_eq!(scanned(&outcome)?.0, 3);
    assert_eq!(scanned(&outcome)?.1, 1);
    let message = stack.one_message().await?;
    assert_eq!(message.document["findingCount"], 1);
    assert_eq!(message.document["findings"][0]["commitId"], s1);
    assert!(stack.report(&c2).await?.is_some());
    // AND the merge's report still has it: the merge brings it into main,
    // and approval-gate reads the tip's report
    assert_eq!(
        stack.report(&merge).await?.context("no report")?["findingCount"],
        1
    );
    assert_eq!(
        stack.report(&s1).await?.context("no report")?["findingCount"],
        1
    );
    Ok(())
}

#[tokio::test]
async fn a_tag_push_scans_the_ancestors_that_have_no_report() -> Result<()> {
    // GIVEN main scanned at c1, a branch `release` pushed and scanned at
    // r1, then two commits pushed with a tag only: r2 adds a token, r3
    // (tagged) removes it
    let stack = Stack::start().await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    stack.invoke(stack.push("main", None, &c1)?).await?;
    git(&stack.repo, &["checkout", "-q", "-b", "release"])?;
    let r1 = stack.commit("CHANGELOG.md", "# 1.0\n", "changelog")?;
    // (HEAD names the default branch of a local-aws repository)
    git(&stack.repo, &["checkout", "-q", "main"])?;
    stack.invoke(stack.push("release", None, &r1)?).await?;
    assert!(stack.report(&r1).await?.is_some());
    git(&stack.repo, &["checkout", "-q", "release"])?;
    let r2 = stack.commit(
        "deploy.sh",
        &format!("#!/bin/sh\nexport GITHUB_TOKEN={GITHUB_TOKEN}\n"),
        "deploy",
    )?;
    let r3 = stack.commit("deploy.sh", "#!/bin/sh\n", "no token")?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    let mut tag = sample("codecommit-tag-created")?;
    tag["detail"]["repositoryName"] = json!(stack.repository);
    tag["detail"]["commitId"] = json!(r3);
    // WHEN the tag push is scanned
    let outcome = stack.invoke(tag).await?;
    // THEN r3 and r2 were scanned, the walk stopped at r1 (it has a
    // report), and the token was found in r2
    assert!(
        matches!(
            &outcome,
            Outcome::Scanned {
                commits: 2,
                already_scanned: 1,
                findings: 1,
                ..
            }
        ),
        "{outcome:?}"
    );
    let message = stack.one_message().await?;
    assert_eq!(message.document["findings"][0]["commitId"], r2);
    assert_eq!(
        stack.report(&r2).await?.context("no report")?["findingCount"],
        1
    );
    assert_eq!(
        stack.report(&r3).await?.context("no report")?["complete"],
        true
    );
    stack
        .assert_masked(&[GITHUB_TOKEN], &message, &[(Some(&r1), &r2)])
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_private_key_edited_in_place_is_found() -> Result<()> {
    // GIVEN a private key committed before, then one line of its body
    // replaced: the push adds a single base64 line
    let stack = Stack::start().await?;
    let mut body = pem_body(0x9E37_79B9_7F4A_7C15, 8);
    let c1 = stack.commit("deploy/id_rsa", &rsa_key_file(&body), "deploy key")?;
    stack.commit("README.md", "# app\n", "readme")?;
    let c2 = git(&stack.repo, &["rev-parse", "HEAD"])?;
    body[3] = pem_body(42, 1).remove(0);
    let c3 = stack.commit("deploy/id_rsa", &rsa_key_file(&body), "rotate a line")?;
    // WHEN the push (c2 -> c3) is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c2), &c3)?).await?;
    // THEN the key is found through its whole block, at its first body
    // line in the file, and commented there
    assert_eq!(scanned(&outcome)?.1, 1);
    let report = stack.report(&c3).await?.context("no report")?;
    assert_eq!(report["findings"][0]["ruleId"], "private-key-rsa");
    assert_eq!(report["findings"][0]["path"], "deploy/id_rsa");
    assert_eq!(report["findings"][0]["line"], 2);
    let comments = stack.commit_comments(Some(&c2), &c3).await?;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["line"], 2);
    // AND only that file's after-blob was fetched
    assert_eq!(stack.calls().await?.get("GetBlob"), Some(&1));
    let message = stack.one_message().await?;
    let lines: Vec<&str> = body.iter().map(|l| &l[..16]).collect();
    stack
        .assert_masked(&lines, &message, &[(Some(&c2), &c3)])
        .await?;
    assert!(stack.report(&c1).await?.is_none());
    Ok(())
}

#[tokio::test]
async fn a_ten_commit_push_walks_with_one_call_per_commit_and_fetches_no_blob() -> Result<()> {
    // GIVEN ten commits of one text file each
    let stack = Stack::start().await?;
    let c0 = stack.commit("README.md", "# app\n", "init")?;
    let mut tip = c0.clone();
    for i in 0..10 {
        tip = stack.commit(
            &format!("src/f{i}.rs"),
            &format!("pub fn f{i}() {{}}\n"),
            "code",
        )?;
    }
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c0), &tip)?).await?;
    assert_eq!(scanned(&outcome)?.0, 10);
    // THEN the walk costs one BatchGetCommits per commit (a parent is known
    // only once its child is) and one GetMergeOptions; no blob is fetched
    let calls = stack.calls().await?;
    assert_eq!(calls.get("BatchGetCommits"), Some(&10), "{calls:?}");
    assert_eq!(calls.get("GetMergeOptions"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("GetBlob"), None, "{calls:?}");
    assert_eq!(calls.get("GetBlobDifferences"), Some(&10), "{calls:?}");
    Ok(())
}
