//! What the secret scanner trusts (issue 11, points 1 and 7), end to end
//! against the local stack: the repository's `.codewarden.toml` and
//! baseline come from the default branch as it was before the push, a
//! push that loosens them is a finding of its own, a deployment can forbid
//! repository allowlists, and fingerprints are keyed with the
//! deployment's secret from Secrets Manager.

use anyhow::{Context, Result, bail};
use e2e::scanner::ScannerStack;
use e2e::unique_name;
use secret_scanner::Outcome;
use serde_json::Value;
use shared::scan::{Baseline, Rules, Scanner};

/// Credentials shaped like real ones (not documentation examples).
const AWS_KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
const AWS_KEY_2: &str = "AKIAQW3RTY7UIOP2LKJH";
const AWS_KEY_3: &str = "AKIAM4XC6VB2NJ7HGF5D";
const PASSWORD: &str = "Tr0ub4dor&3horse";

fn env_file(key: &str) -> String {
    format!("# production\nregion = us-east-1\naws_access_key_id = {key}\n")
}

fn findings(outcome: &Outcome) -> Result<usize> {
    match outcome {
        Outcome::Scanned { findings, .. } => Ok(*findings),
        other => bail!("expected a scan, got {other:?}"),
    }
}

/// `(ruleId, path, masked)` of each finding of a report.
fn report_findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|f| {
                    let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                    (s("ruleId"), s("path"), s("masked"))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn report_of(stack: &ScannerStack, commit: &str) -> Result<Value> {
    stack
        .report(commit)
        .await?
        .with_context(|| format!("no report for {commit}"))
}

#[tokio::test]
async fn a_push_that_adds_a_key_and_allows_it_is_reported_with_the_suppression_change() -> Result<()>
{
    // GIVEN main at a clean commit
    let stack = ScannerStack::start(&[]).await?;
    let clean = stack.commit("README.md", "# service\n", "readme")?;
    // WHEN one push adds a key AND an allowlist entry for its file
    std::fs::write(stack.repo.join("prod.env"), env_file(AWS_KEY))?;
    let leaky = stack.commit(
        ".codewarden.toml",
        "[allow]\npaths = [\"prod.env\"]\n",
        "config",
    )?;
    let outcome = stack
        .invoke(stack.push("main", Some(&clean), &leaky)?)
        .await?;
    // THEN the key is reported anyway (main's config before the push allows nothing)
    assert_eq!(findings(&outcome)?, 2, "{outcome:?}");
    let report = report_of(&stack, &leaky).await?;
    let found = report_findings(&report);
    assert!(
        found.contains(&(
            "aws-access-key-id".into(),
            "prod.env".into(),
            "AKIA***".into()
        )),
        "{found:?}"
    );
    // AND the loosening is a finding of its own, naming what it allows
    assert!(
        found.contains(&(
            "codewarden-suppression-changed".into(),
            ".codewarden.toml".into(),
            "[allow] paths + \"prod.env\"".into()
        )),
        "{found:?}"
    );
    // AND the alert and the comment at the config file say so, the key masked
    let alert = stack.one_message().await?;
    assert!(alert.raw.contains("suppression changed"), "{}", alert.raw);
    assert!(!alert.raw.contains(AWS_KEY), "{}", alert.raw);
    let comments = stack.commit_comments(Some(&clean), &leaky).await?;
    let on_config: Vec<&Value> = comments
        .iter()
        .filter(|c| c["path"] == ".codewarden.toml")
        .collect();
    assert_eq!(on_config.len(), 1, "{comments:?}");
    assert_eq!(on_config[0]["line"], 1);
    let text = on_config[0]["content"].as_str().unwrap_or_default();
    assert!(
        text.contains("loosens") && text.contains("prod.env"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn other_branches_are_scanned_with_the_default_branch_config() -> Result<()> {
    // GIVEN main allowing test fixtures
    let stack = ScannerStack::start(&[]).await?;
    stack.commit(
        ".codewarden.toml",
        "[allow]\npaths = [\"fixtures/**\"]\n",
        "allow fixtures",
    )?;
    // WHEN a feature branch adds a key in a fixture (allowed by main's config)
    let fixture = stack.commit_on(
        "feature",
        "fixtures/creds.env",
        &env_file(AWS_KEY),
        "fixture",
    )?;
    let outcome = stack.invoke(stack.push("feature", None, &fixture)?).await?;
    // THEN it is allowed
    assert_eq!(findings(&outcome)?, 0, "{outcome:?}");
    assert_eq!(report_of(&stack, &fixture).await?["allowedFiles"], 1);
    // WHEN the branch then allows prod.env and adds a key there
    let loosen = stack.commit_on(
        "feature",
        ".codewarden.toml",
        "[allow]\npaths = [\"fixtures/**\", \"prod.env\"]\nrules = [\"aws-access-key-id\"]\n",
        "allow more",
    )?;
    let leak = stack.commit_on("feature", "prod.env", &env_file(AWS_KEY_2), "prod config")?;
    let outcome = stack
        .invoke(stack.push("feature", Some(&fixture), &leak)?)
        .await?;
    // THEN the key is found: the branch's own config is not trusted
    assert_eq!(findings(&outcome)?, 2, "{outcome:?}");
    let leak_report = report_findings(&report_of(&stack, &leak).await?);
    assert_eq!(
        leak_report,
        [(
            "aws-access-key-id".to_owned(),
            "prod.env".to_owned(),
            "AKIA***".to_owned()
        )]
    );
    // AND the commit that loosened it is reported for that
    let loosen_report = report_findings(&report_of(&stack, &loosen).await?);
    assert_eq!(
        loosen_report,
        [(
            "codewarden-suppression-changed".to_owned(),
            ".codewarden.toml".to_owned(),
            "[allow] paths + \"prod.env\"; [allow] rules + \"aws-access-key-id\"".to_owned()
        )]
    );
    Ok(())
}

#[tokio::test]
async fn a_deployment_that_forbids_allowlists_ignores_config_baseline_and_pragmas() -> Result<()> {
    // GIVEN a deployment forbidding repository allowlists, and main whose
    // config allows fixtures and whose baseline accepts one key
    let stack = ScannerStack::start(&[("REPOSITORY_ALLOWLISTS", "forbidden")]).await?;
    let legacy = env_file(AWS_KEY_3);
    let mut baseline = Baseline::new();
    for finding in Scanner::new(Rules::builtin()?).scan(legacy.as_bytes()) {
        baseline.add("legacy.env", &finding);
    }
    std::fs::write(
        stack.repo.join(".codewarden-baseline.json"),
        baseline.to_json()?,
    )?;
    let base = stack.commit(
        ".codewarden.toml",
        "[allow]\npaths = [\"fixtures/**\"]\n",
        "allowlists",
    )?;
    // WHEN a push adds a key in a fixture, the baselined key, and a key
    // with a codewarden:allow comment
    std::fs::create_dir_all(stack.repo.join("fixtures"))?;
    std::fs::write(stack.repo.join("fixtures/a.env"), env_file(AWS_KEY))?;
    std::fs::write(stack.repo.join("legacy.env"), &legacy)?;
    let pushed = stack.commit(
        "other.env",
        &format!("aws_access_key_id = {AWS_KEY_2}  # codewarden:allow\n"),
        "three keys",
    )?;
    let outcome = stack
        .invoke(stack.push("main", Some(&base), &pushed)?)
        .await?;
    // THEN all three are reported
    assert_eq!(findings(&outcome)?, 3, "{outcome:?}");
    let mut paths: Vec<String> = report_findings(&report_of(&stack, &pushed).await?)
        .into_iter()
        .map(|(_, path, _)| path)
        .collect();
    paths.sort();
    assert_eq!(paths, ["fixtures/a.env", "legacy.env", "other.env"]);
    Ok(())
}

#[tokio::test]
async fn fingerprints_are_keyed_with_the_deployment_secret_and_passwords_show_nothing() -> Result<()>
{
    // GIVEN the deployment's fingerprint key in Secrets Manager
    let mut stack = ScannerStack::start(&[]).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(&stack.moto);
    let value = "k3y-of-the-deployment-0123456789abcdef";
    let arn = secrets
        .create_secret()
        .name(unique_name("fingerprint-key"))
        .secret_string(value)
        .send()
        .await?
        .arn()
        .context("no ARN")?
        .to_owned();
    let key = secret_scanner::adapters::fingerprint_key(&secrets, &arn).await?;
    stack.deps.use_fingerprint_key(key.clone());
    // WHEN a push adds a key and a human-chosen password
    let text = format!("aws_access_key_id = {AWS_KEY}\ndb_password = \"{PASSWORD}\"\n");
    let pushed = stack.commit("settings.env", &text, "settings")?;
    let outcome = stack.invoke(stack.push("main", None, &pushed)?).await?;
    assert_eq!(findings(&outcome)?, 2, "{outcome:?}");
    // THEN the report's fingerprints are the keyed ones, not plain SHA-256
    let report = report_of(&stack, &pushed).await?;
    let keyed = Scanner::new(Rules::builtin()?).with_fingerprint_key(key);
    let expected: Vec<String> = keyed
        .scan(text.as_bytes())
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    let unkeyed: Vec<String> = Scanner::new(Rules::builtin()?)
        .scan(text.as_bytes())
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    let mut reported: Vec<String> = report["findings"]
        .as_array()
        .context("findings")?
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap_or_default().to_owned())
        .collect();
    reported.sort();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(reported, sorted);
    assert!(unkeyed.iter().all(|u| !reported.contains(u)));
    // AND the password is shown without any prefix, anywhere
    let password = report_findings(&report)
        .into_iter()
        .find(|(rule, _, _)| rule != "aws-access-key-id")
        .context("the password finding")?;
    assert_eq!(password.2, "***");
    let alert = stack.one_message().await?.raw;
    let comments = serde_json::to_string(&stack.commit_comments(None, &pushed).await?)?;
    for shown in [&alert, &comments, &report.to_string()] {
        assert!(!shown.contains(&PASSWORD[..4]), "{shown}");
        assert!(!shown.contains(AWS_KEY), "{shown}");
        for plain in &unkeyed {
            assert!(
                !shown.contains(&plain[..16]),
                "unkeyed fingerprint in {shown}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn an_unusable_fingerprint_key_is_a_clear_error_that_never_shows_it() -> Result<()> {
    // GIVEN a key secret that is too short
    let stack = ScannerStack::start(&[]).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(&stack.moto);
    let arn = secrets
        .create_secret()
        .name(unique_name("short-key"))
        .secret_string("tiny-k3y")
        .send()
        .await?
        .arn()
        .context("no ARN")?
        .to_owned();
    // WHEN it is loaded THEN the error says why, without the value
    let error = match secret_scanner::adapters::fingerprint_key(&secrets, &arn).await {
        Ok(key) => bail!("a short key was accepted: {key:?}"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("at least 16"), "{error}");
    assert!(!error.contains("tiny-k3y"), "{error}");
    // AND a missing secret is an error of its own
    let missing = secret_scanner::adapters::fingerprint_key(&secrets, "no-such-secret").await;
    assert!(missing.is_err());
    Ok(())
}
