//! A pusher's own suppression never silences the guard chain (issue 23,
//! points 1 and 10), end to end against the local stack: a
//! `codewarden:allow` comment is honoured only where the trusted revision
//! (the default branch) already has the lines of its match; a comment the
//! change adds leaves the finding standing and is a
//! `codewarden-suppression-changed` finding of its own, on the API path,
//! the git path, pull requests and full-history sweeps alike. And an
//! invalid `.codewarden.toml` or baseline holding a key is reported
//! without quoting it.

use anyhow::{Context, Result, bail};
use e2e::scanner::ScannerStack;
use e2e::{CapturedLogs, git};
use secret_scanner::{ApprovalStatus, Outcome, ScanPath, handle};
use serde_json::{Value, json};

/// Credentials shaped like real ones (not documentation examples).
const KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
const KEY_2: &str = "AKIAQW3RTY7UIOP2LKJH";
const KEY_3: &str = "AKIAM4XC6VB2NJ7HGF5D";
const KEY_4: &str = "AKIAW5N2QJ7XR4TL6MZC";
const SUPPRESSION: &str = "codewarden-suppression-changed";

/// `(ruleId, path, line, masked)` of each finding of a report, sorted.
fn report_findings(report: &Value) -> Vec<(String, String, u64, String)> {
    let mut all: Vec<_> = report["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                    (
                        s("ruleId"),
                        s("path"),
                        f["line"].as_u64().unwrap_or(0),
                        s("masked"),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

async fn report_of(stack: &ScannerStack, commit: &str) -> Result<Value> {
    stack
        .report(commit)
        .await?
        .with_context(|| format!("no report for {commit}"))
}

fn via(outcome: &Outcome) -> Result<ScanPath> {
    match outcome {
        Outcome::Scanned { via, .. } => Ok(*via),
        other => bail!("expected a scan, got {other:?}"),
    }
}

/// A PEM body of 64-character lines, random-looking (an LCG), so that
/// the engine's entropy floor accepts it; no real key.
fn pem_body(lines: usize, seed: u64) -> Vec<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state: u64 = seed;
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

fn pem(body: &[String]) -> String {
    format!(
        "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY----- # codewarden:allow -- test key\n",
        body.join("\n")
    )
}

/// The history both paths scan: main (trusted) holds a fixture key with a
/// comment, a key without one and a PEM key with a comment; the branch
/// `feature` then, one commit each:
/// 1. adds a new file with a key and a comment;
/// 2. appends a comment to main's line without one;
/// 3. edits a line of the PEM key (the comment, on its END line, kept);
/// 4. deletes the fixture, 5. adds it back unchanged (main's comment:
///    honoured);
/// 6. renames the fixture (a comment moves with its file only once the
///    rename is on main).
struct History {
    stack: ScannerStack,
    tip: String,
    new_file: String,
    appended: String,
    pem_edit: String,
    restored: String,
    renamed: String,
}

async fn history(settings: &[(&str, &str)], git_path: bool) -> Result<History> {
    let mut stack = ScannerStack::start(settings).await?;
    if git_path {
        stack.enable_git().await?;
    }
    let body = pem_body(6, 0x9E37_79B9_7F4A_7C15);
    stack.commit("README.md", "# app\n", "init")?;
    stack.commit(
        "fixtures/ok.env",
        &format!("# test fixture\naws_access_key_id = {KEY_2} # codewarden:allow -- fixture\n"),
        "fixture",
    )?;
    stack.commit(
        "legacy.env",
        &format!("region = us-east-1\naws_access_key_id = {KEY_3}\n"),
        "legacy",
    )?;
    stack.commit("keys/deploy.pem", &pem(&body), "test key")?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature"])?;
    let new_file = stack.commit(
        "prod.env",
        &format!("region = us-east-1\naws_access_key_id = {KEY} # codewarden:allow\n"),
        "prod config",
    )?;
    let appended = stack.commit(
        "legacy.env",
        &format!("region = us-east-1\naws_access_key_id = {KEY_3}  # codewarden:allow aws-access-key-id\n"),
        "not a secret, promise",
    )?;
    let mut edited = body.clone();
    edited[2] = pem_body(1, 42).remove(0);
    let pem_edit = stack.commit("keys/deploy.pem", &pem(&edited), "rotate the test key")?;
    git(&stack.repo, &["rm", "-q", "fixtures/ok.env"])?;
    git(&stack.repo, &["commit", "-q", "-m", "drop the fixture"])?;
    let restored = stack.commit(
        "fixtures/ok.env",
        &format!("# test fixture\naws_access_key_id = {KEY_2} # codewarden:allow -- fixture\n"),
        "fixture back",
    )?;
    git(
        &stack.repo,
        &["mv", "fixtures/ok.env", "fixtures/moved.env"],
    )?;
    git(&stack.repo, &["commit", "-q", "-m", "move the fixture"])?;
    let renamed = git(&stack.repo, &["rev-parse", "HEAD"])?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    Ok(History {
        tip: renamed.clone(),
        stack,
        new_file,
        appended,
        pem_edit,
        restored,
        renamed,
    })
}

/// What each commit of [`history`] must report; `alert` is the alert of
/// the feature branch.
async fn assert_pragmas_judged(h: &History, alert: &e2e::Delivered) -> Result<()> {
    let stack = &h.stack;
    let suppression = |path: &str, line: u64, rule: &str| {
        (
            SUPPRESSION.to_owned(),
            path.to_owned(),
            line,
            format!(
                "`codewarden:allow` at line {line} would suppress {rule} (a comment not on the default branch is not honoured)"
            ),
        )
    };
    let key = |path: &str, line: u64| {
        (
            "aws-access-key-id".to_owned(),
            path.to_owned(),
            line,
            "AKIA***".to_owned(),
        )
    };
    // A new file's comment: the key stands, and the comment is reported.
    assert_eq!(
        report_findings(&report_of(stack, &h.new_file).await?),
        vec![
            key("prod.env", 2),
            suppression("prod.env", 2, "aws-access-key-id"),
        ]
    );
    // A comment appended to a line main has without it: the same.
    assert_eq!(
        report_findings(&report_of(stack, &h.appended).await?),
        vec![
            key("legacy.env", 2),
            suppression("legacy.env", 2, "aws-access-key-id"),
        ]
    );
    // A multi-line match whose comment main has, but not every line of it.
    let pem = report_findings(&report_of(stack, &h.pem_edit).await?);
    let rules: Vec<(&str, &str)> = pem.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(
        rules,
        vec![
            (SUPPRESSION, "keys/deploy.pem"),
            ("private-key-rsa", "keys/deploy.pem"),
        ],
        "{pem:?}"
    );
    assert_eq!(pem[0].2, 8, "the comment is on the END line: {pem:?}");
    // The fixture added back as main has it: the comment is honoured.
    let restored = report_of(stack, &h.restored).await?;
    assert_eq!(restored["findingCount"], 0, "{restored}");
    // The fixture renamed: not at that path on main, not honoured.
    assert_eq!(
        report_findings(&report_of(stack, &h.renamed).await?),
        vec![
            key("fixtures/moved.env", 2),
            suppression("fixtures/moved.env", 2, "aws-access-key-id"),
        ]
    );
    // The alert tells, with no key in it.
    for key in [KEY, KEY_2, KEY_3] {
        assert!(!alert.raw.contains(key), "{}", alert.raw);
    }
    assert!(alert.raw.contains("would suppress"), "{}", alert.raw);
    Ok(())
}

#[tokio::test]
async fn a_pushed_pragma_never_silences_the_api_path() -> Result<()> {
    // GIVEN the history, the default REPOSITORY_ALLOWLISTS=allowed
    let h = history(&[], false).await?;
    // WHEN the branch's push arrives
    let outcome = h
        .stack
        .invoke(h.stack.push("feature", None, &h.tip)?)
        .await?;
    // THEN scanned over the API, each comment judged by main's version
    assert_eq!(via(&outcome)?, ScanPath::Api);
    assert_pragmas_judged(&h, &h.stack.one_message().await?).await
}

#[tokio::test]
async fn a_pushed_pragma_never_silences_the_git_path() -> Result<()> {
    // GIVEN the same history, pushes of more than one commit going to git
    let h = history(&[("GIT_SCAN_THRESHOLD", "1")], true).await?;
    // WHEN the branch's push arrives
    let outcome = h
        .stack
        .invoke(h.stack.push("feature", None, &h.tip)?)
        .await?;
    // THEN scanned over git, with the same verdicts
    assert_eq!(via(&outcome)?, ScanPath::Git);
    assert_pragmas_judged(&h, &h.stack.one_message().await?).await
}

async fn take_cursors(stack: &ScannerStack, queue_url: &str) -> Result<Vec<Value>> {
    let received = stack
        .sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await?;
    let mut events = Vec::new();
    for message in received.messages() {
        events.push(json!({"Records": [{
            "messageId": message.message_id(),
            "eventSource": "aws:sqs",
            "body": message.body(),
        }]}));
        stack
            .sqs
            .delete_message()
            .queue_url(queue_url)
            .set_receipt_handle(message.receipt_handle().map(str::to_owned))
            .send()
            .await?;
    }
    Ok(events)
}

#[tokio::test]
async fn a_sweep_honours_only_the_default_branchs_pragmas() -> Result<()> {
    // GIVEN the history (main's own commits are scanned with nothing
    // trusted: only its feature branch is judged here), and a sweep queue
    let mut h = history(&[("GIT_SCAN_THRESHOLD", "1")], false).await?;
    let queue = h
        .stack
        .enable_git_continuation(std::time::Duration::from_secs(60))
        .await?;
    // WHEN a sweep of the repository runs, cursor after cursor
    let sweep = json!({
        "version": "0", "id": "sweep-pragmas", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "region": "us-east-1",
        "time": "2026-12-03T02:00:00Z", "resources": [], "detail": {},
    });
    handle(sweep, &h.stack.deps).await?;
    for _ in 0..10 {
        let events = take_cursors(&h.stack, &queue).await?;
        if events.is_empty() {
            break;
        }
        for event in events {
            handle(event, &h.stack.deps).await?;
        }
    }
    // THEN the feature branch's commits are judged as a push is (main's
    // own commits, swept with nothing trusted, are not this test's concern)
    let mut messages = h.stack.received().await?;
    messages.retain(|m| m.document["branch"] == "feature");
    assert_eq!(messages.len(), 1, "one alert for the feature branch");
    assert_pragmas_judged(&h, &messages[0]).await
}

fn approval(outcome: Outcome) -> Result<ApprovalStatus> {
    match outcome {
        Outcome::Scanned {
            approval: Some(approval),
            ..
        } => Ok(approval),
        other => bail!("expected a pull request scan, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pull_request_whose_own_pragma_hides_a_key_is_revoked() -> Result<()> {
    // GIVEN main, and a branch adding a key with a codewarden:allow comment
    let stack = ScannerStack::start(&[]).await?;
    stack.commit("README.md", "# app\n", "init")?;
    stack.commit_on(
        "feature/pragma",
        "config/app.env",
        &format!("aws_access_key_id = {KEY} # codewarden:allow -- trust me\n"),
        "app config",
    )?;
    // WHEN its pull request is scanned
    let (_, event) = stack.open_pull_request("feature/pragma", "main").await?;
    let pr = event["detail"]["pullRequestId"]
        .as_str()
        .context("no pull request id")?
        .to_owned();
    let status = approval(handle(event, &stack.deps).await?)?;
    // THEN it is not approved, the summary naming the key (masked) and the comment
    assert_eq!(status, ApprovalStatus::Revoked);
    let comments = stack
        .codecommit
        .get_comments_for_pull_request()
        .pull_request_id(&pr)
        .send()
        .await?;
    let text: String = comments
        .comments_for_pull_request_data()
        .iter()
        .flat_map(|group| group.comments())
        .filter_map(|c| c.content())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("blocked"), "{text}");
    assert!(
        text.contains("AKIA***") && text.contains(SUPPRESSION),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
    Ok(())
}

#[tokio::test]
async fn invalid_config_and_baseline_holding_a_key_are_ignored_without_quoting_it() -> Result<()> {
    // GIVEN main whose .codewarden.toml has a key where a list goes, and
    // whose baseline has a malformed entry holding another key
    let stack = ScannerStack::start(&[]).await?;
    stack.commit(
        ".codewarden.toml",
        &format!("[allow]\npaths = \"{KEY_2}\"\n"),
        "config",
    )?;
    stack.commit(
        ".codewarden-baseline.json",
        &format!(
            "{{\"version\": 1, \"fingerprints\": [\n  {{\"fingerprint\": \"ab\", \"line\": \"{KEY_4}\"}}\n]}}\n"
        ),
        "baseline",
    )?;
    let leak = stack.commit_on(
        "feature",
        "app.env",
        &format!("aws_access_key_id = {KEY}\n"),
        "app",
    )?;
    // WHEN a push of the branch is scanned, its logs captured
    let logs = CapturedLogs::default();
    let outcome = {
        let _capture = logs.capture(tracing::Level::DEBUG);
        stack.invoke(stack.push("feature", None, &leak)?).await?
    };
    // THEN the key pushed is found (the broken files allow nothing)
    assert!(
        matches!(outcome, Outcome::Scanned { findings: 1, .. }),
        "{outcome:?}"
    );
    // AND the logs say which file is wrong, where and how, never the keys
    let text = logs.text();
    assert!(text.contains("repository config ignored"), "{text}");
    assert!(text.contains("baseline ignored"), "{text}");
    assert!(
        text.contains("(line 2, column 9): a value has the wrong type, expected a sequence"),
        "{text}"
    );
    assert!(
        text.contains("(line 2, column ") && text.contains("expected usize"),
        "{text}"
    );
    for key in [KEY, KEY_2, KEY_4] {
        assert!(!text.contains(key), "{key} in the logs: {text}");
    }
    // AND the alert holds none of them either
    let alert = stack.one_message().await?;
    for key in [KEY, KEY_2, KEY_4] {
        assert!(!alert.raw.contains(key), "{}", alert.raw);
    }
    Ok(())
}
