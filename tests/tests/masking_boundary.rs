//! The masking boundary end to end (secret-scanner): a key that a pusher
//! puts in repository-derived text (a file name, a branch or tag name, a
//! commit message, a pull request's branch, title or description) reaches
//! no output: not the SNS alert (subject, body, attributes, read through
//! the topic's SQS subscription in moto), not a commit or pull request
//! comment (local-aws), not the S3 report, not a log line (captured
//! through the deployed functions' writer). A key in a commit message is a
//! finding of its own, located at `<commit message>`, on the API path and
//! on the git path.

use anyhow::{Context, Result, bail};
use e2e::scanner::ScannerStack;
use e2e::{CapturedLogs, git, unique_name};
use secret_scanner::{ApprovalStatus, Outcome, ScanPath};
use serde_json::{Value, json};

/// An AWS access key id shaped like a real one, built at run time so that
/// no key-shaped literal sits in the source.
fn key() -> String {
    ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat()
}

/// What the key must never show as: its 16 characters after `AKIA`.
fn tail(key: &str) -> &str {
    &key[4..]
}

/// A second credential, in a file's content, so that the push has a
/// finding to alert and comment on.
const GITHUB_TOKEN: &str = "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";

fn findings_of(outcome: &Outcome) -> Result<(usize, ScanPath)> {
    match outcome {
        Outcome::Scanned { findings, via, .. } => Ok((*findings, *via)),
        other => bail!("expected a scan, got {other:?}"),
    }
}

/// Everything the scanner sent out for `commits` (each compared with its
/// first parent): every SNS message as delivered (subject, message,
/// attributes), every commit comment and every report.
async fn outputs(stack: &ScannerStack, commits: &[&str]) -> Result<String> {
    let mut all = String::new();
    for message in stack.received().await? {
        all.push_str(&message.raw);
        all.push('\n');
    }
    for commit in commits {
        let parent = git(&stack.repo, &["rev-parse", &format!("{commit}^")]).ok();
        all.push_str(&serde_json::to_string(
            &stack.commit_comments(parent.as_deref(), commit).await?,
        )?);
        if let Some(report) = stack.report(commit).await? {
            all.push_str(&report.to_string());
        }
    }
    Ok(all)
}

/// What the scanner logged while `captured` was capturing; never empty,
/// so that a check of it looks at real output.
fn logs(captured: &CapturedLogs) -> Result<String> {
    let text = captured.text();
    if !text.contains("\"level\"") {
        bail!("no log line was captured");
    }
    Ok(text)
}

fn assert_masked(all: &str, key: &str) {
    assert!(!all.contains(tail(key)), "the key leaked:\n{all}");
    // The check looked at real output: the token's masked preview is there.
    assert!(all.contains("ghp_***") || all.contains("AKIA***"), "{all}");
}

#[tokio::test]
async fn a_key_in_a_file_name_reaches_no_alert_comment_or_report() -> Result<()> {
    // GIVEN a push adding a file whose name is a key (and whose content
    // holds a token)
    let key = key();
    let captured = CapturedLogs::default();
    let _guard = captured.capture(tracing::Level::DEBUG);
    let stack = ScannerStack::start(&[]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit(
        &format!("config/{key}.env"),
        &format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n"),
        "add config",
    )?;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    assert!(findings_of(&outcome)?.0 >= 1, "{outcome:?}");
    // THEN the key is in no output, logs included
    let all = outputs(&stack, &[&c2]).await? + &logs(&captured)?;
    assert_masked(&all, &key);
    // AND the token's comment still names the file, masked, on the commit
    let comments = stack.commit_comments(Some(&c1), &c2).await?;
    assert!(
        comments.iter().any(|c| c["content"]
            .as_str()
            .is_some_and(|t| t.contains("config/AKIA") && t.contains("ghp_***"))),
        "{comments:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_key_in_a_branch_or_tag_name_reaches_no_alert_comment_or_report() -> Result<()> {
    // GIVEN a new branch and a tag whose names hold a key, on a commit
    // adding a token
    let key = key();
    let captured = CapturedLogs::default();
    let _guard = captured.capture(tracing::Level::DEBUG);
    let stack = ScannerStack::start(&[]).await?;
    stack.commit("README.md", "# app\n", "init")?;
    let branch = format!("feature/{key}");
    let c2 = stack.commit_on(
        &branch,
        "deploy.sh",
        &format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n"),
        "deploy script",
    )?;
    // WHEN the branch push is scanned
    let outcome = stack.invoke(stack.push(&branch, None, &c2)?).await?;
    assert!(findings_of(&outcome)?.0 >= 1, "{outcome:?}");
    // THEN the key is in no output, logs included
    let all = outputs(&stack, &[&c2]).await? + &logs(&captured)?;
    assert_masked(&all, &key);

    // GIVEN a tag named after the key on a root-like commit with a token
    let other = ScannerStack::start(&[]).await?;
    let c3 = other.commit(
        "notify.sh",
        &format!("export GITHUB_TOKEN={GITHUB_TOKEN}\n"),
        "init",
    )?;
    let tag_name = format!("v1-{key}");
    git(&other.repo, &["tag", &tag_name, &c3])?;
    let mut tag = e2e::scanner::sample_event("codecommit-tag-created")?;
    tag["detail"]["repositoryName"] = json!(other.repository);
    tag["detail"]["commitId"] = json!(c3);
    tag["detail"]["referenceName"] = json!(tag_name);
    tag["detail"]["referenceFullName"] = json!(format!("refs/tags/{tag_name}"));
    // WHEN the tag is scanned
    let outcome = other.invoke(tag).await?;
    assert!(findings_of(&outcome)?.0 >= 1, "{outcome:?}");
    // THEN the key is in no output either
    let all = outputs(&other, &[&c3]).await? + &logs(&captured)?;
    assert_masked(&all, &key);
    Ok(())
}

/// A commit whose message (not its content) holds a key: found, reported
/// at `<commit message>`, masked everywhere; on the API path and on the
/// git path (`git: true`).
async fn commit_message_key(git_path: bool) -> Result<()> {
    let key = key();
    let mut stack = ScannerStack::start(&[("GIT_SCAN_THRESHOLD", "1")]).await?;
    if git_path {
        stack.enable_git().await?;
    }
    let c0 = stack.commit("README.md", "# app\n", "init")?;
    // Two commits: more than GIT_SCAN_THRESHOLD, for the git path.
    let c1 = stack.commit("src/lib.rs", "pub fn f() {}\n", "add lib")?;
    let c2 = stack.commit(
        "docs/deploy.md",
        "# Deploy\n\nAsk ops for credentials.\n",
        &format!("Document the deploy\n\nused aws_access_key_id = {key} for the test run\n"),
    )?;
    // WHEN the push is scanned
    let outcome = stack.invoke(stack.push("main", Some(&c0), &c2)?).await?;
    // THEN the message's key is a finding, on the path asked for
    let (findings, via) = findings_of(&outcome)?;
    assert_eq!(findings, 1, "{outcome:?}");
    assert_eq!(
        via,
        if git_path {
            ScanPath::Git
        } else {
            ScanPath::Api
        }
    );
    let report = stack.report(&c2).await?.context("no report")?;
    assert_eq!(report["findingCount"], 1, "{report}");
    assert_eq!(report["findings"][0]["path"], "<commit message>");
    assert_eq!(report["findings"][0]["line"], 3);
    assert_eq!(report["findings"][0]["ruleId"], "aws-access-key-id");
    // AND the alert says where, masked
    let message = stack.one_message().await?;
    let text = message.document["text"].as_str().unwrap_or_default();
    assert!(text.contains("<commit message>"), "{text}");
    // AND the comment is on the commit as a whole (a message has no line
    // in a file), masked
    let comments = stack.commit_comments(Some(&c1), &c2).await?;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["path"], Value::Null);
    let content = comments[0]["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("<commit message>") && content.contains("AKIA***"),
        "{content}"
    );
    let all = format!(
        "{}{}{}",
        message.raw,
        serde_json::to_string(&comments)?,
        report
    );
    assert!(!all.contains(tail(&key)), "the key leaked:\n{all}");
    Ok(())
}

#[tokio::test]
async fn a_key_in_a_commit_message_is_a_finding_masked_everywhere_api_path() -> Result<()> {
    commit_message_key(false).await
}

#[tokio::test]
async fn a_key_in_a_commit_message_is_a_finding_masked_everywhere_git_path() -> Result<()> {
    commit_message_key(true).await
}

#[tokio::test]
async fn a_pull_request_naming_a_key_is_revoked_and_masked() -> Result<()> {
    // GIVEN a pull request whose source branch, title and description
    // hold a key, from a branch whose only secret is in a commit message
    let key = key();
    let stack = ScannerStack::start(&[]).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let branch = format!("fix/{key}");
    let c2 = stack.commit_on(
        &branch,
        "src/app.rs",
        "fn main() {}\n",
        &format!("Fix startup\n\naws_access_key_id = {key}\n"),
    )?;
    let created = stack
        .codecommit
        .create_pull_request()
        .title(format!("Rotate {key}"))
        .description(format!("The old key {key} is revoked."))
        .targets(
            aws_sdk_codecommit::types::Target::builder()
                .repository_name(&stack.repository)
                .source_reference(&branch)
                .destination_reference("main")
                .build()?,
        )
        .client_request_token(unique_name("pr"))
        .send()
        .await?;
    let pull_request = created.pull_request().context("no pull request")?;
    let pr = pull_request
        .pull_request_id()
        .context("no pull request id")?
        .to_owned();
    let mut event = e2e::scanner::sample_event("codecommit-pr-created")?;
    let detail = &mut event["detail"];
    detail["repositoryNames"] = json!([stack.repository]);
    detail["pullRequestId"] = json!(pr);
    detail["sourceCommit"] = json!(c2);
    detail["destinationCommit"] = json!(c1);
    detail["mergeBase"] = json!(c1);
    detail["sourceReference"] = json!(format!("refs/heads/{branch}"));
    detail["destinationReference"] = json!("refs/heads/main");
    detail["title"] = json!(format!("Rotate {key}"));
    detail["description"] = json!(format!("The old key {key} is revoked."));
    // WHEN the pull request event is handled
    let outcome = stack.invoke(event).await?;
    // THEN the message's key is a finding, and the pull request is not
    // approved
    let approval = match &outcome {
        Outcome::Scanned {
            findings, approval, ..
        } => {
            assert_eq!(*findings, 1, "{outcome:?}");
            *approval
        }
        other => bail!("expected a scan, got {other:?}"),
    };
    assert_eq!(approval, Some(ApprovalStatus::Revoked), "{outcome:?}");
    // AND no pull request comment, alert or report holds the key
    let comments = stack
        .codecommit
        .get_comments_for_pull_request()
        .pull_request_id(&pr)
        .send()
        .await?;
    let mut all = String::new();
    for group in comments.comments_for_pull_request_data() {
        if let Some(path) = group.location().and_then(|l| l.file_path()) {
            all.push_str(path);
        }
        for comment in group.comments() {
            all.push_str(comment.content().unwrap_or_default());
            all.push('\n');
        }
    }
    assert!(all.contains("AKIA***"), "{all}");
    all.push_str(&outputs(&stack, &[&c2]).await?);
    assert!(!all.contains(tail(&key)), "the key leaked:\n{all}");
    Ok(())
}
