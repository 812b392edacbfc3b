//! What the scanner must read, end to end against the local stack (issue
//! 23, points 6 and 7): a file renamed out of a path that was not scanned
//! is scanned whole at its new path, with the same verdict on the API path
//! and the git path; and a pull request whose net change holds a file the
//! scanner could not read is not approved, the reason naming the file.

use anyhow::{Context, Result, bail};
use e2e::scanner::ScannerStack;
use e2e::{commit_file, git};
use secret_scanner::{ApprovalStatus, Outcome, ScanPath, handle};
use serde_json::Value;

const KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

/// `(ruleId, path, line)` of each finding of a report.
fn report_findings(report: &Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| {
                    (
                        f["ruleId"].as_str().unwrap_or_default().to_owned(),
                        f["path"].as_str().unwrap_or_default().to_owned(),
                        f["line"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn via(outcome: &Outcome) -> Result<ScanPath> {
    match outcome {
        Outcome::Scanned { via, .. } => Ok(*via),
        other => bail!("expected a scan, got {other:?}"),
    }
}

/// What the renames of one history report, scanned over the API or over
/// git: main allows `fixtures/**` and holds a key there; branch `moved`
/// renames it as is, branch `edited` renames it and adds a line (each after
/// a commit of its own, so that a push is two commits: over the threshold
/// of 1 when `git_path`).
async fn renames(git_path: bool) -> Result<Vec<(String, Vec<(String, String, u64)>)>> {
    let mut stack = ScannerStack::start(&[("GIT_SCAN_THRESHOLD", "1")]).await?;
    if git_path {
        stack.enable_git().await?;
    }
    stack.commit(
        ".codewarden.toml",
        "[allow]\npaths = [\"fixtures/**\"]\n",
        "allow fixtures",
    )?;
    stack.commit(
        "fixtures/creds.env",
        &format!("region = us-east-1\naws_access_key_id = {KEY}\n"),
        "fixture",
    )?;
    let mut out = Vec::new();
    for (branch, target, edit) in [
        ("moved", "config/prod.env", false),
        ("edited", "deploy/prod.env", true),
    ] {
        git(&stack.repo, &["checkout", "-q", "-b", branch, "main"])?;
        stack.commit(&format!("notes/{branch}.md"), "# notes\n", "notes")?;
        std::fs::create_dir_all(stack.repo.join(target).parent().context("no parent")?)?;
        git(&stack.repo, &["mv", "fixtures/creds.env", target])?;
        if edit {
            let path = stack.repo.join(target);
            let mut text = std::fs::read_to_string(&path)?;
            text.push_str("output = json\n");
            std::fs::write(&path, text)?;
        }
        let renamed = commit_file(&stack.repo, "notes/renamed.md", b"renamed\n", "rename")?;
        git(&stack.repo, &["checkout", "-q", "main"])?;
        let outcome = stack.invoke(stack.push(branch, None, &renamed)?).await?;
        let expected = if git_path {
            ScanPath::Git
        } else {
            ScanPath::Api
        };
        assert_eq!(via(&outcome)?, expected, "{outcome:?}");
        let report = stack.report(&renamed).await?.context("no report")?;
        assert!(!report.to_string().contains(KEY));
        out.push((branch.to_owned(), report_findings(&report)));
    }
    Ok(out)
}

#[tokio::test]
async fn a_file_renamed_out_of_an_allowed_path_is_scanned_whole_on_both_paths() -> Result<()> {
    // GIVEN a key in an allowed path, renamed out of it (as is, and edited)
    // WHEN the pushes are scanned over the API and over git
    let api = renames(false).await?;
    let git = renames(true).await?;
    // THEN both find the key at its new path, line 2
    let key = |path: &str| vec![("aws-access-key-id".to_owned(), path.to_owned(), 2)];
    let expected = vec![
        ("moved".to_owned(), key("config/prod.env")),
        ("edited".to_owned(), key("deploy/prod.env")),
    ];
    assert_eq!(api, expected, "API path");
    assert_eq!(git, expected, "git path");
    Ok(())
}

async fn summary(stack: &ScannerStack, pr: &str) -> Result<String> {
    let out = stack
        .codecommit
        .get_comments_for_pull_request()
        .pull_request_id(pr)
        .send()
        .await?;
    Ok(out
        .comments_for_pull_request_data()
        .iter()
        .filter(|group| group.location().is_none())
        .flat_map(|group| group.comments())
        .filter_map(|c| c.content().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[tokio::test]
async fn a_pull_request_with_a_file_the_scanner_could_not_read_is_revoked() -> Result<()> {
    // GIVEN main, and pull requests each adding one file that is not text:
    // an image, NUL bytes that are no UTF-16, a file over MAX_BLOB_BYTES
    let stack = ScannerStack::start(&[("MAX_BLOB_BYTES", "4096")]).await?;
    stack.commit("README.md", "# app\n", "init")?;
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0".to_vec();
    let mut odd = b"key material\0\x01\x02".to_vec();
    odd.extend(std::iter::repeat_n(0xFFu8, 33));
    let big = "plain text line\n".repeat(400).into_bytes();
    let cases: [(&str, String, Vec<u8>, &str); 3] = [
        ("image", "assets/logo.png".to_owned(), png, "(binary)"),
        ("blob", "vault/keys.bin".to_owned(), odd, "(binary)"),
        ("big", "data/dump.txt".to_owned(), big, "(over 4 KiB)"),
    ];
    for (branch, path, bytes, reason) in cases {
        git(&stack.repo, &["checkout", "-q", "-b", branch, "main"])?;
        commit_file(&stack.repo, &path, &bytes, "add a file")?;
        git(&stack.repo, &["checkout", "-q", "main"])?;
        // WHEN its pull request is scanned
        let (pr, event) = stack.open_pull_request(branch, "main").await?;
        let status = match handle(event, &stack.deps).await? {
            Outcome::Scanned {
                approval: Some(status),
                ..
            } => status,
            other => bail!("expected a pull request scan, got {other:?}"),
        };
        // THEN it is revoked, the summary naming the file and why
        assert_eq!(status, ApprovalStatus::Revoked, "{branch}");
        let text = summary(&stack, &pr).await?;
        assert!(
            text.contains(&format!("`{path}` was not scanned {reason}")),
            "{branch}: {text}"
        );
    }
    Ok(())
}
