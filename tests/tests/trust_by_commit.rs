//! Trust is anchored on commit ids, never on names (issue 23, point 2),
//! end to end against the local stack: a ref that shadows the default
//! branch's name (a tag `main`) changes neither the configuration the
//! scanner trusts nor where a walk stops, on the API path and on the git
//! path; a pull request trusts the configuration at its destination
//! commit; a change of the repository's default branch is alerted once.

use anyhow::{Context, Result, bail};
use e2e::git;
use e2e::scanner::ScannerStack;
use secret_scanner::{ApprovalStatus, Outcome, ScanPath};
use serde_json::json;

const AWS_KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
const AWS_KEY_2: &str = "AKIAQW3RTY7UIOP2LKJH";

/// A `.codewarden.toml` that allows everything an attacker needs.
const LOOSE_CONFIG: &str =
    "[allow]\npaths = [\"prod.env\", \"fixtures/**\"]\nrules = [\"aws-access-key-id\"]\n";

fn env_file(key: &str) -> String {
    format!("# production\nregion = us-east-1\naws_access_key_id = {key}\n")
}

fn scanned(outcome: &Outcome) -> Result<(usize, usize, ScanPath)> {
    match outcome {
        Outcome::Scanned {
            findings,
            commits,
            via,
            ..
        } => Ok((*findings, *commits, *via)),
        other => bail!("expected a scan, got {other:?}"),
    }
}

/// The rule ids of a commit's report.
async fn rules_reported(stack: &ScannerStack, commit: &str) -> Result<Vec<String>> {
    let report = stack
        .report(commit)
        .await?
        .with_context(|| format!("no report for {commit}"))?;
    Ok(report["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|f| f["ruleId"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// An attacker's commit off `main` (on a branch deleted afterwards) with
/// a loosened `.codewarden.toml`, and a tag named `tag` pointing at it.
fn tag_loose_config(stack: &ScannerStack, tag: &str) -> Result<String> {
    let loose = stack.commit_on("attacker", ".codewarden.toml", LOOSE_CONFIG, "tidy")?;
    git(&stack.repo, &["branch", "-q", "-D", "attacker"])?;
    git(&stack.repo, &["tag", tag, &loose])?;
    Ok(loose)
}

#[tokio::test]
async fn a_tag_named_like_the_default_branch_does_not_change_the_trusted_config() -> Result<()> {
    for git_path in [false, true] {
        // GIVEN main at a clean commit (no allowlist), a feature branch
        // that adds a key in prod.env
        let mut stack = ScannerStack::start(&[("GIT_SCAN_THRESHOLD", "1")]).await?;
        if git_path {
            stack.enable_git().await?;
        }
        stack.commit("README.md", "# service\n", "readme")?;
        let base = stack.commit("src/lib.rs", "pub fn f() {}\n", "code")?;
        stack.commit_on("feature", "docs.md", "# docs\n", "docs")?;
        let leak = stack.commit_on("feature", "prod.env", &env_file(AWS_KEY), "prod config")?;
        // AND an attacker's tag `main` at a commit whose config allows
        // prod.env
        tag_loose_config(&stack, "main")?;
        // WHEN the feature branch's push is scanned
        let outcome = stack
            .invoke(stack.push("feature", Some(&base), &leak)?)
            .await?;
        // THEN the key is reported: main's own config (none) is trusted
        let (findings, _, via) = scanned(&outcome)?;
        let expected = if git_path {
            ScanPath::Git
        } else {
            ScanPath::Api
        };
        assert_eq!(via, expected, "{outcome:?}");
        assert_eq!(findings, 1, "git path {git_path}: {outcome:?}");
        assert_eq!(
            rules_reported(&stack, &leak).await?,
            ["aws-access-key-id"],
            "git path {git_path}"
        );
        let alert = stack.one_message().await?;
        assert!(!alert.raw.contains(AWS_KEY), "{}", alert.raw);
    }
    Ok(())
}

#[tokio::test]
async fn a_tag_named_like_the_default_branch_does_not_hide_commits_from_the_walk() -> Result<()> {
    // GIVEN main at a clean commit and a new branch whose first commit adds
    // a key and whose second adds docs
    let stack = ScannerStack::start(&[]).await?;
    stack.commit("README.md", "# service\n", "readme")?;
    let leak = stack.commit_on("feature", "prod.env", &env_file(AWS_KEY), "prod config")?;
    let tip = stack.commit_on("feature", "docs.md", "# docs\n", "docs")?;
    // AND a tag `main` at the leaking commit: a merge base taken against
    // the name `main` would be the leak itself
    git(&stack.repo, &["tag", "main", &leak])?;
    // WHEN the new branch is scanned
    let outcome = stack.invoke(stack.push("feature", None, &tip)?).await?;
    // THEN both commits are scanned and the key is reported
    let (findings, commits, _) = scanned(&outcome)?;
    assert_eq!((findings, commits), (1, 2), "{outcome:?}");
    assert_eq!(rules_reported(&stack, &leak).await?, ["aws-access-key-id"]);
    Ok(())
}

#[tokio::test]
async fn a_tag_push_is_walked_against_the_default_branch_commit_not_its_name() -> Result<()> {
    // GIVEN main clean, and a commit off main with a key, tagged `v1`
    let stack = ScannerStack::start(&[]).await?;
    stack.commit("README.md", "# service\n", "readme")?;
    let leak = stack.commit_on("side", "prod.env", &env_file(AWS_KEY_2), "prod config")?;
    let tip = stack.commit_on("side", "docs.md", "# docs\n", "docs")?;
    git(&stack.repo, &["branch", "-q", "-D", "side"])?;
    git(&stack.repo, &["tag", "v1", &tip])?;
    // AND a tag `main` at the leak (the walk must not stop there)
    git(&stack.repo, &["tag", "main", &leak])?;
    // WHEN the tag v1 is scanned
    let mut event = stack.push("v1", None, &tip)?;
    event["detail"]["referenceType"] = json!("tag");
    event["detail"]["referenceFullName"] = json!("refs/tags/v1");
    let outcome = stack.invoke(event).await?;
    // THEN the leaking commit is scanned too
    let (findings, commits, _) = scanned(&outcome)?;
    assert_eq!((findings, commits), (1, 2), "{outcome:?}");
    Ok(())
}

#[tokio::test]
async fn a_pull_request_trusts_the_config_at_its_destination_commit() -> Result<()> {
    // GIVEN main allowing fixtures, and a release branch whose config
    // (reviewed there) allows nothing
    let stack = ScannerStack::start(&[]).await?;
    stack.commit(
        ".codewarden.toml",
        "[allow]\npaths = [\"fixtures/**\"]\n",
        "allow fixtures",
    )?;
    stack.commit_on(
        "release",
        ".codewarden.toml",
        "# strict\n",
        "strict release",
    )?;
    // AND a feature branch off release adding a key in a fixture
    git(&stack.repo, &["checkout", "-q", "-b", "feature", "release"])?;
    stack.commit("fixtures/creds.env", &env_file(AWS_KEY), "fixture")?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    // WHEN a pull request into release is scanned
    let (_, event) = stack.open_pull_request("feature", "release").await?;
    let outcome = stack.invoke(event).await?;
    // THEN release's config is trusted: the key is reported, not approved
    let (findings, _, _) = scanned(&outcome)?;
    assert_eq!(findings, 1, "{outcome:?}");
    match &outcome {
        Outcome::Scanned { approval, .. } => {
            assert_eq!(*approval, Some(ApprovalStatus::Revoked), "{outcome:?}")
        }
        other => bail!("{other:?}"),
    }

    // AND the other way round: a tag named `release` at a loose config
    // changes nothing (the destination commit is trusted, not the name)
    tag_loose_config(&stack, "release")?;
    git(
        &stack.repo,
        &["checkout", "-q", "-b", "feature2", "refs/heads/release"],
    )?;
    stack.commit("prod.env", &env_file(AWS_KEY_2), "prod")?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    let (_, event) = stack
        .open_pull_request("feature2", "refs/heads/release")
        .await?;
    let (findings, _, _) = scanned(&stack.invoke(event).await?)?;
    assert_eq!(findings, 1);
    Ok(())
}

#[tokio::test]
async fn a_change_of_the_default_branch_is_alerted_once() -> Result<()> {
    // GIVEN a repository whose default branch main the scanner has seen
    let stack = ScannerStack::start(&[]).await?;
    let first = stack.commit("README.md", "# service\n", "readme")?;
    let second = stack.commit("docs.md", "# docs\n", "docs")?;
    stack
        .invoke(stack.push("main", Some(&first), &second)?)
        .await?;
    assert!(stack.received().await?.is_empty(), "nothing to alert yet");
    // WHEN someone makes a branch with a loose config the default branch
    // and pushes (twice)
    stack.commit_on("lenient", ".codewarden.toml", LOOSE_CONFIG, "lenient")?;
    let leak = stack.commit_on("feature", "prod.env", &env_file(AWS_KEY), "prod")?;
    let docs = stack.commit_on("feature", "more.md", "# more\n", "more")?;
    stack
        .codecommit
        .update_default_branch()
        .repository_name(&stack.repository)
        .default_branch_name("lenient")
        .send()
        .await?;
    stack.invoke(stack.push("feature", None, &leak)?).await?;
    stack
        .invoke(stack.push("feature", Some(&leak), &docs)?)
        .await?;
    // THEN one alert says the default branch changed, naming both
    let messages = stack.received().await?;
    let changed: Vec<_> = messages
        .iter()
        .filter(|m| m.raw.contains("default branch changed"))
        .collect();
    let subjects: Vec<&str> = messages.iter().map(|m| m.raw.as_str()).collect();
    assert_eq!(changed.len(), 1, "{subjects:?}");
    assert!(
        changed[0].raw.contains("main") && changed[0].raw.contains("lenient"),
        "{}",
        changed[0].raw
    );
    Ok(())
}
