//! secret-scanner's git path end to end: a push of more commits than
//! `GIT_SCAN_THRESHOLD` is fetched from local-aws over git smart HTTP (with
//! the scanner's SigV4 git password, which local-aws verifies) and diffed
//! locally; the alert, comments and reports are those of the API path, the
//! secret masked everywhere, for far fewer CodeCommit API calls.

use anyhow::{Context, Result, bail};
use e2e::scanner::ScannerStack;
use secret_scanner::{AlertStatus, Outcome, ScanPath};

const AWS_KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
const THRESHOLD: usize = 5;

struct Scan {
    commits: usize,
    findings: usize,
    alert: AlertStatus,
    via: ScanPath,
    api_calls: u64,
}

fn scanned(outcome: Outcome) -> Result<Scan> {
    match outcome {
        Outcome::Scanned {
            commits,
            findings,
            alert,
            via,
            api_calls,
            ..
        } => Ok(Scan {
            commits,
            findings,
            alert,
            via,
            api_calls,
        }),
        other => bail!("expected a scan, got {other:?}"),
    }
}

/// A stack with the git path on (or off) and a history of `commits`
/// commits after `init`, the key added at `config/prod.env` line 2 by the
/// fourth and removed by the eighth: (old tip, new tip, commit that adds
/// the key).
async fn pushed_history(
    git: bool,
    commits: usize,
) -> Result<(ScannerStack, String, String, String)> {
    let threshold = THRESHOLD.to_string();
    let mut stack = ScannerStack::start(&[("GIT_SCAN_THRESHOLD", &threshold)]).await?;
    if git {
        stack.enable_git().await?;
    }
    let old = stack.commit("README.md", "# app\n", "init")?;
    let mut tip = old.clone();
    let mut planted = String::new();
    for i in 1..=commits {
        tip = match i {
            4 => {
                planted = stack.commit(
                    "config/prod.env",
                    &format!("region = us-east-1\naws_access_key_id = {AWS_KEY}\n"),
                    "add prod config",
                )?;
                planted.clone()
            }
            8 => stack.commit("config/prod.env", "region = us-east-1\n", "drop the key")?,
            _ => stack.commit(
                &format!("src/module_{i}.rs"),
                &format!("pub fn step_{i}() -> u32 {{ {i} }}\n"),
                &format!("step {i}"),
            )?,
        };
    }
    Ok((stack, old, tip, planted))
}

#[tokio::test]
async fn a_push_over_the_threshold_is_scanned_over_git_with_the_secret_masked() -> Result<()> {
    // GIVEN a push of 12 commits (threshold 5), the fourth adding an AWS key
    // that the eighth removes again
    let (stack, old, new, planted) = pushed_history(true, 12).await?;
    // WHEN the push event arrives
    let scan = scanned(stack.invoke(stack.push("main", Some(&old), &new)?).await?)?;
    // THEN all 12 commits were scanned over git, the key found once
    assert_eq!(scan.via, ScanPath::Git);
    assert_eq!((scan.commits, scan.findings), (12, 1));
    assert!(
        matches!(scan.alert, AlertStatus::Sent { .. }),
        "{:?}",
        scan.alert
    );
    // AND the alert names the file, line and commit, with the key masked
    let message = stack.one_message().await?;
    assert!(!message.raw.contains(AWS_KEY), "unmasked key in the alert");
    let text = message.document["text"].as_str().unwrap_or_default();
    for expected in ["config/prod.env:2:21", "AKIA***", &planted[..8]] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert_eq!(
        message.document["findings"][0]["commitId"],
        planted.as_str()
    );
    // AND a comment at the line of the commit that added it, masked
    let parent = e2e::git(&stack.repo, &["rev-parse", &format!("{planted}^")])?;
    let comments = stack.commit_comments(Some(&parent), &planted).await?;
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0]["path"], "config/prod.env");
    assert_eq!(comments[0]["line"], 2);
    let content = comments[0]["content"].as_str().unwrap_or_default();
    assert!(
        content.contains("AKIA***") && !content.contains(AWS_KEY),
        "{content}"
    );
    // AND a report for every commit of the push, the key's with its finding
    let report = stack.report(&planted).await?.context("no report")?;
    assert_eq!(report["findingCount"], 1);
    assert_eq!(report["findings"][0]["line"], 2);
    assert!(!report.to_string().contains(AWS_KEY));
    assert_eq!(
        stack.report(&new).await?.context("no report of the tip")?["findingCount"],
        0
    );
    // AND the API calls are those of the bounded walk and the comment, not
    // one per file
    let calls = stack.calls().await?;
    assert_eq!(calls.get("GetBlobDifferences"), None, "{calls:?}");
    assert_eq!(calls.get("GetDifferences"), None, "{calls:?}");
    assert!(
        scan.api_calls <= 2 * THRESHOLD as u64 + 4,
        "{} calls: {calls:?}",
        scan.api_calls
    );
    Ok(())
}

#[tokio::test]
async fn the_git_path_finds_what_the_api_path_finds() -> Result<()> {
    // GIVEN the same history pushed to a scanner with the git path and to
    // one without
    let (git_stack, old, new, planted) = pushed_history(true, 12).await?;
    let (api_stack, api_old, api_new, api_planted) = pushed_history(false, 12).await?;
    // WHEN both scan their push
    let via_git = scanned(
        git_stack
            .invoke(git_stack.push("main", Some(&old), &new)?)
            .await?,
    )?;
    let via_api = scanned(
        api_stack
            .invoke(api_stack.push("main", Some(&api_old), &api_new)?)
            .await?,
    )?;
    // THEN the same commits and finding, the git path with fewer API calls
    assert_eq!((via_api.via, via_git.via), (ScanPath::Api, ScanPath::Git));
    assert_eq!((via_api.commits, via_api.findings), (12, 1));
    assert_eq!((via_git.commits, via_git.findings), (12, 1));
    assert!(
        via_git.api_calls < via_api.api_calls,
        "git {} calls, api {} calls",
        via_git.api_calls,
        via_api.api_calls
    );
    // AND the two reports of the key's commit say the same
    let strip = |mut report: serde_json::Value| {
        for volatile in ["scannedAt", "repository", "commitId"] {
            report[volatile] = serde_json::Value::Null;
        }
        report
    };
    let from_git = strip(git_stack.report(&planted).await?.context("no git report")?);
    let from_api = strip(
        api_stack
            .report(&api_planted)
            .await?
            .context("no api report")?,
    );
    assert_eq!(
        from_git["findings"][0]["fingerprint"],
        from_api["findings"][0]["fingerprint"]
    );
    assert_eq!(from_git, from_api);
    Ok(())
}

#[tokio::test]
async fn a_push_under_the_threshold_stays_on_the_api_path() -> Result<()> {
    // GIVEN the git path on and a push of 3 commits (threshold 5)
    let (stack, old, new, _) = pushed_history(true, 3).await?;
    // WHEN scanned THEN over the API, with no git fetch at all
    let scan = scanned(stack.invoke(stack.push("main", Some(&old), &new)?).await?)?;
    assert_eq!(
        (scan.via, scan.commits, scan.findings),
        (ScanPath::Api, 3, 0)
    );
    assert!(std::fs::read_dir(stack.git_dir.path())?.next().is_none());
    Ok(())
}

#[tokio::test]
async fn a_new_branch_with_a_history_of_its_own_goes_to_git_at_once() -> Result<()> {
    // GIVEN a migrated repository: its first push creates main with 9
    // commits of history, one adding the key
    let (stack, _, tip, planted) = pushed_history(true, 9).await?;
    // WHEN the branch creation arrives
    let scan = scanned(stack.invoke(stack.push("main", None, &tip)?).await?)?;
    // THEN every commit (the root included) was scanned over git, without
    // walking the history over the API first
    assert_eq!(
        (scan.via, scan.commits, scan.findings),
        (ScanPath::Git, 10, 1)
    );
    let calls = stack.calls().await?;
    assert_eq!(calls.get("BatchGetCommits"), None, "{calls:?}");
    assert!(stack.report(&planted).await?.is_some());
    Ok(())
}

/// The continuation queue's messages now, as the SQS event Lambda's event
/// source mapping would deliver (one record each), deleted from the queue.
async fn take_cursors(stack: &ScannerStack, queue_url: &str) -> Result<Vec<serde_json::Value>> {
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
        events.push(serde_json::json!({"Records": [{
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

/// `first`, then every cursor the queue receives until it stays empty (at
/// most 20 rounds), each invocation with `budget`: their outcomes in order.
async fn with_cursors(
    stack: &ScannerStack,
    queue: &str,
    first: serde_json::Value,
    budget: secret_scanner::git_path::Budget,
) -> Result<Vec<Outcome>> {
    let mut outcomes = vec![secret_scanner::handle_until(first, budget, &stack.deps).await?];
    for _ in 0..20 {
        let events = take_cursors(stack, queue).await?;
        if events.is_empty() {
            break;
        }
        for event in events {
            outcomes.push(secret_scanner::handle_until(event, budget, &stack.deps).await?);
        }
    }
    Ok(outcomes)
}

#[tokio::test]
async fn a_scan_out_of_time_continues_from_a_cursor_until_every_commit_is_done() -> Result<()> {
    // GIVEN a push of 8 commits (threshold 5) to a scanner whose every
    // invocation is already past its margin, with a continuation queue
    let (mut stack, old, new, planted) = pushed_history(false, 8).await?;
    let queue = stack
        .enable_git_continuation(std::time::Duration::from_secs(60))
        .await?;
    let late = secret_scanner::git_path::Budget {
        deadline: Some(std::time::SystemTime::now()),
    };
    // WHEN the push arrives, and then each cursor the queue receives
    let outcomes =
        with_cursors(&stack, &queue, stack.push("main", Some(&old), &new)?, late).await?;
    // THEN one commit per invocation, each but the last handing over, and
    // every commit scanned exactly once
    let mut scanned_commits = 0;
    let mut findings = 0;
    for (i, outcome) in outcomes.iter().enumerate() {
        let Outcome::Scanned {
            commits,
            findings: found,
            via,
            continues_at,
            ..
        } = outcome
        else {
            bail!("expected a scan, got {outcome:?}");
        };
        assert_eq!((*via, *commits), (ScanPath::Git, 1), "{outcome:?}");
        assert_eq!(
            continues_at.is_some(),
            i + 1 < outcomes.len(),
            "{outcome:?}"
        );
        scanned_commits += commits;
        findings += found;
    }
    assert_eq!((outcomes.len(), scanned_commits, findings), (8, 8, 1));
    // AND every commit has its report, the key's with the finding
    let ids = e2e::git(&stack.repo, &["rev-list", &format!("{old}..{new}")])?;
    for id in ids.lines() {
        assert!(stack.report(id).await?.is_some(), "no report of {id}");
    }
    assert_eq!(
        stack.report(&planted).await?.context("no report")?["findingCount"],
        1
    );
    // AND the one alert, from the part that found the key, masks it
    let message = stack.one_message().await?;
    assert!(!message.raw.contains(AWS_KEY));
    assert_eq!(
        message.document["findings"][0]["commitId"],
        planted.as_str()
    );
    Ok(())
}

/// The Scheduled Event of a sweep (`SecretScanSweepSchedule`), or the same
/// sent on demand.
fn sweep_event(id: &str, detail: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-03T02:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/secret-scan-sweep"],
        "detail": detail,
    })
}

/// A sweep's event, then every cursor the queue gets, until it is empty.
async fn run_sweep(
    stack: &ScannerStack,
    queue: &str,
    event: serde_json::Value,
) -> Result<(Outcome, Vec<Outcome>)> {
    let mut outcomes = with_cursors(stack, queue, event, Default::default()).await?;
    let planned = outcomes.remove(0);
    Ok((planned, outcomes))
}

#[tokio::test]
async fn a_full_history_sweep_scans_every_commit_of_every_branch_once() -> Result<()> {
    // GIVEN a repository whose main once held a key (added by its fourth
    // commit, removed by its eighth), a branch `feature` that adds another,
    // and a branch `copy` at main's tip
    const FEATURE_KEY: &str = "AKIAW5N2QJ7XR4TL6MZC";
    let (mut stack, _, main_tip, planted) = pushed_history(false, 9).await?;
    let queue = stack
        .enable_git_continuation(std::time::Duration::from_secs(60))
        .await?;
    let feature_commit = stack.commit_on(
        "feature",
        "deploy/ci.env",
        &format!("aws_access_key_id = {FEATURE_KEY}\n"),
        "ci credentials",
    )?;
    e2e::git(&stack.repo, &["branch", "copy", &main_tip])?;
    // WHEN the sweep's Scheduled Event arrives, then its cursors
    let (planned, scans) = run_sweep(
        &stack,
        &queue,
        sweep_event("sweep-e2e-1", serde_json::json!({})),
    )
    .await?;
    // THEN it planned the one repository's two distinct branch tips
    assert_eq!(
        planned,
        Outcome::SweepPlanned {
            sweep: "sweep-e2e-1".to_owned(),
            repositories: 1,
            branches: 2,
        }
    );
    // AND every commit of the repository was scanned once, over git
    let all = e2e::git(&stack.repo, &["rev-list", "--all", "--count"])?;
    let mut commits = 0;
    let mut findings = 0;
    for outcome in &scans {
        let scan = scanned(outcome.clone())?;
        assert_eq!(scan.via, ScanPath::Git, "{outcome:?}");
        commits += scan.commits;
        findings += scan.findings;
    }
    assert_eq!((commits.to_string(), findings), (all, 2));
    // AND one alert per branch with findings, masked, naming the sweep
    let messages = stack.received().await?;
    assert_eq!(
        messages.len(),
        2,
        "{:?}",
        messages.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let mut found_in = Vec::new();
    for message in &messages {
        assert!(!message.raw.contains(AWS_KEY) && !message.raw.contains(FEATURE_KEY));
        let text = message.document["text"].as_str().unwrap_or_default();
        assert!(text.contains("full-history sweep sweep-e2e-1"), "{text}");
        found_in.push(
            message.document["findings"][0]["commitId"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
        );
    }
    found_in.sort();
    let mut expected = vec![planted.clone(), feature_commit.clone()];
    expected.sort();
    assert_eq!(found_in, expected);
    for commit in [&planted, &feature_commit] {
        assert_eq!(
            stack.report(commit).await?.context("no report")?["findingCount"],
            1
        );
    }
    // AND the same sweep delivered again alerts no second time
    let (_, again) = run_sweep(
        &stack,
        &queue,
        sweep_event("sweep-e2e-1", serde_json::json!({})),
    )
    .await?;
    assert_eq!(again.len(), 2);
    for outcome in again {
        let Outcome::Scanned { alert, .. } = &outcome else {
            bail!("expected a scan, got {outcome:?}");
        };
        assert_ne!(*alert, AlertStatus::None, "{outcome:?}");
        assert!(!matches!(alert, AlertStatus::Sent { .. }), "{outcome:?}");
    }
    assert!(stack.received().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_sweep_names_its_repositories_and_refuses_what_it_cannot_do() -> Result<()> {
    // GIVEN a scanner with the git path but no continuation queue
    let (mut stack, _, _, _) = pushed_history(true, 2).await?;
    // WHEN a sweep arrives THEN it fails, saying what is missing
    let error = stack
        .invoke(sweep_event("sweep-e2e-2", serde_json::json!({})))
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("GIT_SCAN_QUEUE_URL")),
        "{error:?}"
    );
    // GIVEN the queue WHEN a sweep names a repository that is not there
    let queue = stack
        .enable_git_continuation(std::time::Duration::from_secs(60))
        .await?;
    let error = stack
        .invoke(sweep_event(
            "sweep-e2e-3",
            serde_json::json!({"repositories": ["no-such-repo"]}),
        ))
        .await
        .err()
        .map(|e| e.to_string());
    // THEN CodeCommit's answer is the error, and nothing is queued
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("no-such-repo") || e.contains("RepositoryDoesNotExist")),
        "{error:?}"
    );
    assert!(take_cursors(&stack, &queue).await?.is_empty());
    // AND a malformed list is an invalid event
    let error = stack
        .invoke(sweep_event(
            "sweep-e2e-4",
            serde_json::json!({"repositories": "all"}),
        ))
        .await
        .err()
        .map(|e| e.to_string());
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("not a list of repository names")),
        "{error:?}"
    );
    // AND a named repository is swept
    let repository = stack.repository.clone();
    let (planned, scans) = run_sweep(
        &stack,
        &queue,
        sweep_event(
            "sweep-e2e-5",
            serde_json::json!({"repositories": [repository]}),
        ),
    )
    .await?;
    assert!(
        matches!(
            planned,
            Outcome::SweepPlanned {
                repositories: 1,
                branches: 1,
                ..
            }
        ),
        "{planned:?}"
    );
    assert_eq!(scanned(scans[0].clone())?.commits, 3);
    Ok(())
}

#[tokio::test]
async fn copies_of_other_repositories_make_room_for_the_fetch() -> Result<()> {
    // GIVEN the git path with a copy of another repository in GIT_SCAN_DIR
    // and a minimum free space no filesystem has
    let (mut stack, old, new, _) = pushed_history(true, 6).await?;
    let other = stack.git_dir.path().join("other.git");
    std::fs::create_dir_all(other.join("objects"))?;
    std::fs::write(other.join("objects").join("pack"), vec![0u8; 4096])?;
    if let Some(git) = stack.deps.git.as_mut() {
        git.min_free = u64::MAX;
    }
    // WHEN a large push is scanned over git
    let scan = scanned(stack.invoke(stack.push("main", Some(&old), &new)?).await?)?;
    // THEN the other copy was deleted, and this repository's is there
    assert_eq!((scan.via, scan.commits), (ScanPath::Git, 6));
    assert!(!other.exists(), "the other copy is still there");
    let own = stack
        .git_dir
        .path()
        .join(format!("{}.git", stack.repository));
    assert!(
        own.join("codewarden-last-used").exists(),
        "{}",
        own.display()
    );
    Ok(())
}

#[tokio::test]
async fn a_long_scan_is_split_into_parts_of_a_bounded_size() -> Result<()> {
    // GIVEN a push of 8 commits (threshold 5), all the time in the world,
    // and parts of at most 3 commits
    let (mut stack, old, new, _) = pushed_history(false, 8).await?;
    let queue = stack
        .enable_git_continuation(std::time::Duration::from_secs(60))
        .await?;
    if let Some(git) = stack.deps.git.as_mut() {
        git.part_commits = 3;
    }
    // WHEN the push arrives, then each cursor
    let outcomes = with_cursors(
        &stack,
        &queue,
        stack.push("main", Some(&old), &new)?,
        Default::default(),
    )
    .await?;
    let parts = outcomes
        .into_iter()
        .map(|outcome| scanned(outcome).map(|scan| scan.commits))
        .collect::<Result<Vec<_>>>()?;
    // THEN three parts of 3, 3 and 2 commits
    assert_eq!(parts, vec![3, 3, 2]);
    Ok(())
}
