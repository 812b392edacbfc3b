//! Leaked AWS access keys end to end: the secret scanner asks moto's STS
//! whose a pushed key id is and moto's IAM whose user it is, when it was
//! last used and whether it is active, says so in the alert, and (opt-in)
//! makes the key inactive. The keys are real keys of moto's IAM, created
//! by each test.

use anyhow::{Context, Result, bail};
use e2e::CapturedLogs;
use e2e::scanner::ScannerStack;
use secret_scanner::{AlertStatus, Outcome};

/// The account moto answers for when nothing else is known (the stack's
/// test credentials).
const OUR_ACCOUNT: &str = "123456789012";
/// An account the scanner does not run in.
const OTHER_ACCOUNT: &str = "111111111111";

/// An IAM user of moto with one access key whose id the engine detects:
/// `^AKIA[A-Z2-7]{16}$` (moto's ids may hold the digits 0, 1, 8 and 9,
/// which real ids never do; such keys are deleted and made again).
async fn user_with_key(iam: &aws_sdk_iam::Client, user: &str) -> Result<String> {
    iam.create_user().user_name(user).send().await?;
    for _ in 0..50 {
        let key = iam.create_access_key().user_name(user).send().await?;
        let id = key
            .access_key()
            .map(|k| k.access_key_id().to_owned())
            .context("CreateAccessKey returned no key")?;
        if base32_shaped(&id, "AKIA") {
            return Ok(id);
        }
        iam.delete_access_key()
            .user_name(user)
            .access_key_id(&id)
            .send()
            .await?;
    }
    bail!("moto made no base32-shaped access key id in 50 tries")
}

/// `prefix` and 16 characters of `A-Z2-7`, as real key ids are.
fn base32_shaped(id: &str, prefix: &str) -> bool {
    id.len() == 20
        && id.starts_with(prefix)
        && id[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// The key's status as IAM lists it.
async fn status_of(iam: &aws_sdk_iam::Client, user: &str, id: &str) -> Result<String> {
    let keys = iam.list_access_keys().user_name(user).send().await?;
    keys.access_key_metadata()
        .iter()
        .find(|k| k.access_key_id() == Some(id))
        .and_then(|k| k.status())
        .map(|s| s.as_str().to_owned())
        .context("the key is not listed")
}

/// Pushes `contents` as `config/prod.env` on main and runs the scanner.
async fn push_and_scan(stack: &ScannerStack, contents: &str) -> Result<e2e::Delivered> {
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("config/prod.env", contents, "add prod config")?;
    let outcome = stack.invoke(stack.push("main", Some(&c1), &c2)?).await?;
    let Outcome::Scanned { alert, .. } = &outcome else {
        bail!("expected a scan, got {outcome:?}");
    };
    if !matches!(alert, AlertStatus::Sent { .. }) {
        bail!("expected an alert, got {alert:?}");
    }
    stack.one_message().await
}

fn env_file(key: &str) -> String {
    format!("region = us-east-1\naws_access_key_id = {key}\n")
}

fn text(message: &e2e::Delivered) -> &str {
    message.document["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_live_key_of_this_account_is_named_critical_and_kept_active_by_default() -> Result<()> {
    // GIVEN an IAM user of this account whose key was used, pushed
    let stack = ScannerStack::start(&[]).await?;
    let iam = aws_sdk_iam::Client::new(&stack.moto);
    let user = e2e::unique_name("deploy");
    let key = user_with_key(&iam, &user).await?;
    let captured = CapturedLogs::default();
    let _guard = captured.capture(tracing::Level::DEBUG);
    // WHEN the push is scanned
    let message = push_and_scan(&stack, &env_file(&key)).await?;
    // THEN the alert leads with it, critical, naming account and user
    assert!(
        message
            .subject
            .starts_with("LIVE AWS key of this account: "),
        "{}",
        message.subject
    );
    assert!(message.subject.chars().count() < 100, "{}", message.subject);
    assert_eq!(message.attributes["severity"], "critical");
    assert_eq!(message.attributes["awsKey"], "live");
    let text = text(&message);
    let expected = format!("AWS key: LIVE key of this account ({OUR_ACCOUNT}), IAM user {user}, ");
    assert!(text.contains(&expected), "{expected} missing from:\n{text}");
    assert!(
        text.contains("not deactivated (LEAKED_AWS_KEY_ACTION=inspect)"),
        "{text}"
    );
    assert!(text.contains("make it inactive now"), "{text}");
    let found = &message.document["findings"][0];
    assert_eq!(found["awsKey"]["owner"], "thisAccount");
    assert_eq!(found["awsKey"]["user"], user.as_str());
    assert_eq!(found["awsKey"]["live"], true);
    assert_eq!(found["awsKey"]["deactivated"], false);
    assert_eq!(found["severity"], "critical");
    // AND inspecting changed nothing in IAM
    assert_eq!(status_of(&iam, &user, &key).await?, "Active");
    // AND the key id is in no message and no log line
    let logs = captured.text();
    assert!(logs.contains("access key inspected"), "logs not captured");
    assert!(!message.raw.contains(&key), "the alert holds the key id");
    assert!(!logs.contains(&key), "the logs hold the key id");
    assert!(message.raw.contains("AKIA***"));
    Ok(())
}

#[tokio::test]
async fn deactivate_makes_a_live_key_inactive_and_says_so_once() -> Result<()> {
    // GIVEN LEAKED_AWS_KEY_ACTION=deactivate and a live key pushed
    let stack = ScannerStack::start(&[("LEAKED_AWS_KEY_ACTION", "deactivate")]).await?;
    let iam = aws_sdk_iam::Client::new(&stack.moto);
    let user = e2e::unique_name("ci");
    let key = user_with_key(&iam, &user).await?;
    let c1 = stack.commit("README.md", "# app\n", "init")?;
    let c2 = stack.commit("config/prod.env", &env_file(&key), "add prod config")?;
    let event = stack.push("main", Some(&c1), &c2)?;
    // WHEN the push is scanned, and the event delivered again
    stack.invoke(event.clone()).await?;
    let again = stack.invoke(event).await?;
    // THEN the key is inactive in IAM
    assert_eq!(status_of(&iam, &user, &key).await?, "Inactive");
    // AND the one alert says it was deactivated, by whom
    let message = stack.one_message().await?;
    let text = text(&message);
    assert!(
        text.contains("DEACTIVATED by codewarden (UpdateAccessKey Inactive)"),
        "{text}"
    );
    assert_eq!(
        message.document["findings"][0]["awsKey"]["deactivated"],
        true
    );
    assert_eq!(message.attributes["awsKey"], "live");
    assert!(
        matches!(
            &again,
            Outcome::Scanned {
                alert: AlertStatus::Duplicate | AlertStatus::None,
                ..
            }
        ),
        "{again:?}"
    );
    assert!(!message.raw.contains(&key));
    Ok(())
}

#[tokio::test]
async fn a_key_of_another_account_is_told_apart_and_not_touched() -> Result<()> {
    // GIVEN a user with a key in another account (reached by assuming a
    // role there), pushed to a scanner allowed to deactivate
    let stack = ScannerStack::start(&[("LEAKED_AWS_KEY_ACTION", "deactivate")]).await?;
    let sts = aws_sdk_sts::Client::new(&stack.moto);
    let assumed = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{OTHER_ACCOUNT}:role/admin"))
        .role_session_name("e2e")
        .send()
        .await?;
    let credentials = assumed
        .credentials()
        .context("AssumeRole gave no credentials")?;
    let other = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(e2e::moto()?)
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_owned()),
            None,
            "e2e-other-account",
        ))
        .load()
        .await;
    let other_iam = aws_sdk_iam::Client::new(&other);
    let user = e2e::unique_name("partner");
    let key = user_with_key(&other_iam, &user).await?;
    // WHEN it is scanned
    let message = push_and_scan(&stack, &env_file(&key)).await?;
    // THEN the alert names the other account, is not "live", and the key
    // stays active
    let text = text(&message);
    assert!(
        text.contains(&format!(
            "AWS key: a key of another AWS account ({OTHER_ACCOUNT}), not this one"
        )),
        "{text}"
    );
    assert!(!message.subject.starts_with("LIVE"), "{}", message.subject);
    assert_eq!(message.attributes["awsKey"], "notLive");
    assert_eq!(
        message.document["findings"][0]["awsKey"]["owner"],
        "otherAccount"
    );
    assert_eq!(status_of(&other_iam, &user, &key).await?, "Active");
    assert!(!message.raw.contains(&key));
    Ok(())
}

#[tokio::test]
async fn a_key_iam_does_not_know_and_temporary_credentials_are_said_so() -> Result<()> {
    // GIVEN a key id no IAM user has, and temporary credentials of this
    // account (AssumeRole), pushed together
    let stack = ScannerStack::start(&[]).await?;
    let sts = aws_sdk_sts::Client::new(&stack.moto);
    let mut temporary = None;
    for _ in 0..50 {
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{OUR_ACCOUNT}:role/deploy"))
            .role_session_name("e2e")
            .send()
            .await?;
        let id = assumed
            .credentials()
            .map(|c| c.access_key_id().to_owned())
            .context("AssumeRole gave no credentials")?;
        if base32_shaped(&id, "ASIA") {
            temporary = Some(id);
            break;
        }
    }
    let temporary = temporary.context("moto made no base32-shaped ASIA id in 50 tries")?;
    let unknown = "AKIAQ3EGRVJWKM7PTX5B";
    let contents = format!("aws_access_key_id = {unknown}\n\nsession_key_id = {temporary}\n");
    // WHEN it is scanned
    let message = push_and_scan(&stack, &contents).await?;
    // THEN each finding says what the key is
    let text = text(&message);
    assert!(
        text.contains(&format!(
            "AWS key: this account's id ({OUR_ACCOUNT}), but unknown to IAM: the key was deleted already"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "AWS key: temporary credentials of this account ({OUR_ACCOUNT})"
        )),
        "{text}"
    );
    assert_eq!(message.attributes["awsKey"], "notLive");
    assert!(!message.subject.starts_with("LIVE"), "{}", message.subject);
    assert!(!message.raw.contains(unknown) && !message.raw.contains(&temporary));
    Ok(())
}

#[tokio::test]
async fn off_looks_nothing_up() -> Result<()> {
    // GIVEN LEAKED_AWS_KEY_ACTION=off and a live key pushed
    let stack = ScannerStack::start(&[("LEAKED_AWS_KEY_ACTION", "off")]).await?;
    let iam = aws_sdk_iam::Client::new(&stack.moto);
    let user = e2e::unique_name("quiet");
    let key = user_with_key(&iam, &user).await?;
    // WHEN it is scanned
    let message = push_and_scan(&stack, &env_file(&key)).await?;
    // THEN the alert is the plain one: no lookup, no awsKey
    assert!(!text(&message).contains("AWS key:"), "{}", text(&message));
    assert!(!message.attributes.contains_key("awsKey"));
    assert!(message.document["findings"][0].get("awsKey").is_none());
    assert_eq!(status_of(&iam, &user, &key).await?, "Active");
    Ok(())
}
