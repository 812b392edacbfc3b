//! approval-gate and approval-callback end to end: the handlers, called as
//! Lambda would call them, with real SDK clients against the local stack:
//! local-aws (in process) for CodePipeline, moto (from `.local/env`) for S3
//! (findings reports, markers), SNS (the approvers topic, delivering to an
//! SQS queue each test reads) and Secrets Manager (the link signing key).
//! Each test writes the secret-scanner report it needs itself.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use base64::Engine as _;
use chrono::{Duration, Utc};
use e2e::{
    CapturedLogs, LocalAws, TopicQueue, create_bucket, moto_s3, moto_sdk_config, unique_name,
};
use serde_json::{Value, json};
use shared::approval::{ApprovalLink, Decision, SigningKey};

const PIPELINE: &str = "web";
const REPOSITORY: &str = "app";
const COMMIT: &str = "4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39";
const EXECUTION: &str = "e-approve-1";
/// A credential shaped like a real one, as a report's finding would mask it.
const SECRET: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
/// Any day, any time: auto-approval is decided by the report alone.
const ALWAYS: &str = r#"{"timeZone": "UTC", "days": ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"], "start": "00:00", "end": "24:00"}"#;

/// One test's stack.
struct Stack {
    aws: LocalAws,
    gate: approval_gate::SdkDeps,
    callback: approval_callback::SdkDeps,
    key: SigningKey,
    /// The signing secret's value, to prove it never shows.
    secret: String,
    s3: aws_sdk_s3::Client,
    bucket: String,
    sqs: aws_sdk_sqs::Client,
    topic: TopicQueue,
    token: String,
}

impl Stack {
    async fn start(policy: &str) -> Result<Self> {
        Self::start_with(policy, &[]).await
    }

    async fn start_with(policy: &str, settings: &[(&str, &str)]) -> Result<Self> {
        let moto = moto_sdk_config().await?;
        let s3 = moto_s3(&moto);
        let sns = aws_sdk_sns::Client::new(&moto);
        let sqs = aws_sdk_sqs::Client::new(&moto);
        let secrets = aws_sdk_secretsmanager::Client::new(&moto);
        let bucket = create_bucket(&s3, "findings").await?;
        let topic = TopicQueue::create(&sns, &sqs, "approvers").await?;
        // As the template's generated secret: 64 alphanumeric characters.
        let secret_value: String = unique_name("k").repeat(4).chars().take(64).collect();
        let secret_arn = secrets
            .create_secret()
            .name(unique_name("approval-signing"))
            .secret_string(&secret_value)
            .send()
            .await?
            .arn
            .context("no secret ARN")?;

        let mut env: BTreeMap<&str, String> = BTreeMap::from([
            ("APPROVERS_TOPIC_ARN", topic.topic_arn.clone()),
            (
                "CALLBACK_URL",
                "https://cb.lambda-url.us-east-1.on.aws/".to_owned(),
            ),
            ("SIGNING_SECRET_ARN", secret_arn.clone()),
            ("FINDINGS_BUCKET", bucket.clone()),
            ("APPROVAL_POLICY", policy.to_owned()),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
        ]);
        for (name, value) in settings {
            env.insert(name, (*value).to_owned());
        }
        let mut config = approval_gate::Config::from_lookup(|name| env.get(name).cloned())?;
        let callback_config =
            approval_callback::Config::from_lookup(|name| env.get(name).cloned())?;

        let aws = LocalAws::start().await?;
        let local = aws.sdk_config().await;
        // As `main` builds them; CodePipeline pointed at local-aws the way
        // AWS_ENDPOINT_URL_CODEPIPELINE does.
        let mut clients = approval_gate::Clients::new(&moto, &config);
        clients.codepipeline = aws_sdk_codepipeline::Client::new(&local);
        approval_gate::load_policy(&mut config, &clients).await?;
        let key = approval_gate::adapters::signing_key(&clients.secrets, &config.signing_secret_id)
            .await?;
        let gate = approval_gate::SdkDeps::new(config, clients, key.clone());
        let callback_key =
            approval_callback::adapters::signing_key(&secrets, &callback_config.signing_secret_id)
                .await?;
        let callback = approval_callback::SdkDeps::new(
            aws_sdk_codepipeline::Client::new(&local),
            callback_key,
        );
        let token = seed_waiting_approval(&aws).await?;
        Ok(Self {
            aws,
            gate,
            callback,
            key,
            secret: secret_value,
            s3,
            bucket,
            sqs,
            topic,
            token,
        })
    }

    /// Writes secret-scanner's report for [`COMMIT`], as the contract says.
    async fn write_report(&self, schema: &str, findings: &[Value]) -> Result<()> {
        let report = json!({
            "schema": schema,
            "repository": REPOSITORY,
            "commitId": COMMIT,
            "ref": "refs/heads/main",
            "scannedAt": "2026-01-01T00:00:00Z",
            "findingCount": findings.len(),
            "findings": findings,
            "skipped": {"binary": 0, "submodule": 0, "tooLarge": 0},
            "truncated": false,
        });
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(format!("findings/{REPOSITORY}/{COMMIT}.json"))
            .body(report.to_string().into_bytes().into())
            .send()
            .await?;
        Ok(())
    }

    /// The SNS event CodePipeline's approval action publishes.
    fn approval_event(&self) -> Result<Value> {
        let expires = (Utc::now() + Duration::days(7)).format("%Y-%m-%dT%H:%MZ");
        let message = json!({
            "region": "us-east-1",
            "consoleLink": "https://console.aws.amazon.com/codepipeline/home?region=us-east-1#/view/web",
            "approval": {
                "pipelineName": PIPELINE, "stageName": "Approve", "actionName": "Approve",
                "token": self.token, "expires": expires.to_string(),
                "externalEntityLink": null,
                "approvalReviewLink": "https://console.aws.amazon.com/codepipeline/home",
                "customData": "Release 1.4.0: check the staging smoke tests."
            }
        });
        let mut event = sample("sns-approval-custom-data")?;
        event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
        Ok(event)
    }

    async fn gate(&self) -> Result<approval_gate::Outcome> {
        Ok(approval_gate::handle(self.approval_event()?, &self.gate).await?)
    }

    /// The approval as local-aws recorded it.
    async fn approval(&self) -> Result<Value> {
        let all = self.aws.admin_get("/codepipeline/approvals").await?;
        all.as_array()
            .and_then(|a| a.iter().find(|a| a["token"] == self.token.as_str()))
            .cloned()
            .context("approval not recorded")
    }

    /// Every message the approvers' queue holds now (the SNS envelopes).
    async fn received(&self) -> Result<Vec<Value>> {
        let bodies = self.topic.drain(&self.sqs).await?;
        Ok(bodies
            .iter()
            .map(|body| serde_json::from_str(body))
            .collect::<Result<_, _>>()?)
    }

    async fn get(&self, url: &str) -> Result<Response> {
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let mut event = sample("function-url-get")?;
        event["rawPath"] = json!("/");
        event["requestContext"]["http"]["path"] = json!("/");
        event["rawQueryString"] = json!(query);
        let params: BTreeMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        event["queryStringParameters"] = json!(params);
        Ok(Response(serde_json::to_value(
            approval_callback::handle(event, &self.callback).await,
        )?))
    }

    /// POSTs `fields` as the browser sends the form: base64-encoded.
    async fn post(&self, fields: &[(String, String)]) -> Result<Response> {
        let mut body = form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields {
            body.append_pair(name, value);
        }
        let mut event = sample("function-url-post")?;
        event["rawPath"] = json!("/");
        event["requestContext"]["http"]["path"] = json!("/");
        event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body.finish()));
        event["isBase64Encoded"] = json!(true);
        Ok(Response(serde_json::to_value(
            approval_callback::handle(event, &self.callback).await,
        )?))
    }
}

/// A function URL response, as Lambda serialises it.
struct Response(Value);

impl Response {
    fn status(&self) -> i64 {
        self.0["statusCode"].as_i64().unwrap_or_default()
    }
    fn body(&self) -> &str {
        self.0["body"].as_str().unwrap_or_default()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.0["headers"][name].as_str()
    }
    /// The confirmation form's fields (hidden inputs), as a browser posts them.
    fn form_fields(&self) -> Vec<(String, String)> {
        self.body()
            .split("<input type=\"hidden\" ")
            .skip(1)
            .filter_map(|input| {
                let name = input.split("name=\"").nth(1)?.split('"').next()?;
                let value = input.split("value=\"").nth(1)?.split('"').next()?;
                Some((unescape(name), unescape(value)))
            })
            .collect()
    }
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn with(fields: &[(String, String)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = fields.to_vec();
    all.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    all
}

/// Source (CodeCommit `app`) -> Build -> Approve -> Deploy; an execution
/// of [`COMMIT`] waiting at the approval. Returns the approval token.
async fn seed_waiting_approval(aws: &LocalAws) -> Result<String> {
    aws.admin_post(
        "/codepipeline/pipelines",
        json!({"name": PIPELINE, "stages": [
            {"name": "Source", "actions": [{"name": "Source", "category": "Source",
                "configuration": {"RepositoryName": REPOSITORY, "BranchName": "main"}}]},
            {"name": "Build", "actions": [{"name": "Build", "category": "Build"}]},
            {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]},
            {"name": "Deploy", "actions": [{"name": "Deploy", "category": "Deploy"}]},
        ]}),
    )
    .await?;
    aws.admin_post(
        "/codepipeline/executions",
        json!({"pipelineName": PIPELINE, "pipelineExecutionId": EXECUTION,
               "trigger": {"triggerType": "CloudWatchEvent",
                           "triggerDetail": "arn:aws:events:us-east-1:123456789012:rule/app-main"},
               "artifactRevisions": [{"revisionId": COMMIT, "revisionSummary": "Fix login redirect",
                   "revisionUrl": format!("https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/{REPOSITORY}/commit/{COMMIT}?region=us-east-1")}],
               "actions": [{"stageName": "Source", "actionName": "Source"},
                           {"stageName": "Build", "actionName": "Build"}]}),
    )
    .await?;
    let approval = aws
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": PIPELINE, "stageName": "Approve", "actionName": "Approve",
                   "pipelineExecutionId": EXECUTION}),
        )
        .await?;
    Ok(approval["token"]
        .as_str()
        .context("approval without token")?
        .to_owned())
}

fn sample(name: &str) -> Result<Value> {
    let path = format!("{}/../events/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    Ok(serde_json::from_str(&text)?)
}

fn allow_listed() -> String {
    format!(
        r#"{{"rules": [{{"pipeline": "web", "stage": "Approve", "autoApprove": true, "changeWindows": [{ALWAYS}]}}]}}"#
    )
}

fn finding() -> Value {
    json!({"ruleId": "aws-access-key-id", "ruleName": "AWS access key ID", "severity": "high",
           "confidence": "high", "path": "config/prod.env", "line": 3, "column": 19,
           "masked": "AKIA****************", "fingerprint": "sha256:5e1c"})
}

/// The approve and reject links of the one message the approvers got.
async fn links(stack: &Stack) -> Result<(String, String, Value)> {
    let messages = stack.received().await?;
    if messages.len() != 1 {
        bail!("expected one request to approvers, got {}", messages.len());
    }
    let envelope = messages.into_iter().next().context("no message")?;
    let document: Value =
        serde_json::from_str(envelope["Message"].as_str().context("no Message")?)?;
    let approve = document["approveUrl"]
        .as_str()
        .context("no approveUrl")?
        .to_owned();
    let reject = document["rejectUrl"]
        .as_str()
        .context("no rejectUrl")?
        .to_owned();
    Ok((approve, reject, envelope))
}

#[tokio::test]
async fn clean_commit_of_an_allow_listed_stage_is_approved_automatically() -> Result<()> {
    // GIVEN a clean report and web/Approve allow-listed at any time
    let stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    // WHEN the approval request arrives
    let outcome = stack.gate().await?;
    // THEN CodePipeline records an approval whose summary says why
    assert!(
        matches!(&outcome, approval_gate::Outcome::Decided { status, .. } if status == "Approved"),
        "{outcome:?}"
    );
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Approved");
    let summary = approval["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("commit 4c1f0e9d scanned clean"),
        "{summary}"
    );
    assert!(summary.contains("inside change window"), "{summary}");
    assert!(summary.chars().count() <= 512);
    // and nobody is asked
    assert!(stack.received().await?.is_empty());
    // a redelivery changes nothing (the action no longer waits)
    let again = stack.gate().await?;
    assert!(
        matches!(again, approval_gate::Outcome::Acknowledged { .. }),
        "{again:?}"
    );
    Ok(())
}

#[tokio::test]
async fn the_policy_can_live_in_an_ssm_parameter() -> Result<()> {
    // GIVEN the allow-listing policy in SSM, and none in the environment
    let ssm = aws_sdk_ssm::Client::new(&moto_sdk_config().await?);
    let name = format!("/codewarden/{}", unique_name("approval-policy"));
    ssm.put_parameter()
        .name(&name)
        .value(allow_listed())
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await?;
    let stack = Stack::start_with("", &[("APPROVAL_POLICY_PARAMETER", &name)]).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    // WHEN the approval request arrives THEN the parameter's policy approves
    stack.gate().await?;
    assert_eq!(stack.approval().await?["status"], "Approved");
    // and a parameter that does not exist fails the start, naming it
    let missing = Stack::start_with("", &[("APPROVAL_POLICY_PARAMETER", "/codewarden/none")])
        .await
        .err()
        .map(|e| format!("{e:#}"));
    assert!(
        missing
            .as_deref()
            .is_some_and(|e| e.contains("GetParameter failed")),
        "{missing:?}"
    );
    Ok(())
}

#[tokio::test]
async fn findings_reject_automatically_without_quoting_the_secret() -> Result<()> {
    // GIVEN a report with one finding, even for an allow-listed stage
    let stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[finding()])
        .await?;
    // WHEN the approval request arrives
    let outcome = stack.gate().await?;
    // THEN it is rejected, the summary names the count, not the secret
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Rejected", "{outcome:?}");
    let summary = approval["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("1 potential secret(s) in commit 4c1f0e9d"),
        "{summary}"
    );
    assert!(!summary.contains("AKIA") && !summary.contains(SECRET));
    assert!(stack.received().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn unknown_report_schema_asks_a_human_even_when_allow_listed() -> Result<()> {
    let stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@9", &[])
        .await?;
    let outcome = stack.gate().await?;
    assert!(
        matches!(&outcome, approval_gate::Outcome::AskedApprovers { reason, .. } if reason.contains("unknown schema")),
        "{outcome:?}"
    );
    assert_eq!(stack.approval().await?["status"], "Pending");
    Ok(())
}

#[tokio::test]
async fn human_path_get_confirms_post_approves_and_a_replay_conflicts() -> Result<()> {
    // GIVEN an unscanned commit and the default policy
    let stack = Stack::start("").await?;
    let logs = CapturedLogs::default();
    let _capture = logs.capture(tracing::Level::INFO);
    // WHEN the approval request arrives, twice (SNS redelivers)
    let first = stack.gate().await?;
    assert!(
        matches!(&first, approval_gate::Outcome::AskedApprovers { reason, .. } if reason.contains("not scanned")),
        "{first:?}"
    );
    let second = stack.gate().await?;
    assert!(
        matches!(second, approval_gate::Outcome::Duplicate { .. }),
        "{second:?}"
    );
    // THEN the approvers get one message with two signed links
    let (approve, reject, envelope) = links(&stack).await?;
    assert!(approve.starts_with("https://cb.lambda-url.us-east-1.on.aws/?pipeline=web&"));
    assert!(approve.contains("decision=approve") && reject.contains("decision=reject"));
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"token=[^&\s]+", "token=[token]");
    settings.add_filter(r"sig=[0-9a-f]{64}", "sig=[sig]");
    settings.add_filter(r"expires=\d+", "expires=[epoch]");
    settings.add_filter(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "[expires]");
    settings.bind(|| {
        insta::assert_snapshot!(
            "approvers_message",
            format!(
                "{}\n\n{}",
                envelope["Subject"].as_str().unwrap_or_default(),
                envelope["Message"]
                    .as_str()
                    .and_then(|m| serde_json::from_str::<Value>(m).ok())
                    .and_then(|d| d["text"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            )
        );
    });

    // WHEN a mail scanner (or the approver) opens the approve link
    let page = stack.get(&approve).await?;
    // THEN a confirmation page, and nothing decided
    assert_eq!(page.status(), 200, "{}", page.body());
    assert!(
        page.body()
            .contains("You are about to <strong>approve</strong>")
    );
    assert!(page.body().contains("4c1f0e9d") && page.body().contains("arn:aws:events"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'none'") && c.contains("form-action 'self'"))
    );
    assert_eq!(stack.approval().await?["status"], "Pending");
    let fields = page.form_fields();
    assert!(fields.iter().any(|(k, _)| k == "sig"));

    // WHEN the approver confirms with a name but without one first
    let nameless = stack.post(&fields).await?;
    assert_eq!(nameless.status(), 400);
    assert_eq!(stack.approval().await?["status"], "Pending");
    let done = stack
        .post(&with(
            &fields,
            &[("approver", "Ann <Lee>"), ("comment", "smoke tests green")],
        ))
        .await?;
    // THEN it is approved, and the summary names the person
    assert_eq!(done.status(), 200, "{}", done.body());
    assert!(done.body().contains("Ann &lt;Lee&gt;") && !done.body().contains("Ann <Lee>"));
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Approved");
    assert_eq!(
        approval["summary"],
        "Approved by Ann <Lee> via codewarden signed link (commit 4c1f0e9d): smoke tests green"
    );

    // WHEN the same form is posted again, or the reject link is used
    let replay = stack
        .post(&with(&fields, &[("approver", "Mallory")]))
        .await?;
    assert_eq!(replay.status(), 409, "{}", replay.body());
    let reject_page = stack.get(&reject).await?;
    let rejected = stack
        .post(&with(&reject_page.form_fields(), &[("approver", "Bob")]))
        .await?;
    // THEN nothing changes
    assert_eq!(rejected.status(), 409);
    assert_eq!(stack.approval().await?["status"], "Approved");
    assert_eq!(
        stack.approval().await?["summary"],
        approval["summary"],
        "the first decision stands"
    );
    // AND no log line holds the token, a signature or the key
    let logs = logs.text();
    assert!(
        logs.contains("decision recorded") && logs.contains("AskedApprovers"),
        "{logs}"
    );
    let sig = approve.rsplit("sig=").next().unwrap_or_default();
    assert_eq!(sig.len(), 64);
    for (what, value) in [
        ("token", stack.token.as_str()),
        ("signature", sig),
        ("key", stack.secret.as_str()),
    ] {
        assert!(!logs.contains(value), "the {what} is logged");
    }
    // the key is on no page (the form carries the link, hence token and signature)
    for body in [page.body(), done.body(), replay.body()] {
        assert!(!body.contains(&stack.secret));
    }
    Ok(())
}

#[tokio::test]
async fn tampered_links_are_refused_and_change_nothing() -> Result<()> {
    let stack = Stack::start("").await?;
    stack.gate().await?;
    let (approve, _, _) = links(&stack).await?;
    let commit = format!("commit={COMMIT}");
    for (from, to) in [
        ("decision=approve", "decision=reject"),
        ("pipeline=web", "pipeline=api"),
        ("stage=Approve", "stage=Deploy"),
        (
            commit.as_str(),
            "commit=0000000000000000000000000000000000000000",
        ),
    ] {
        let altered = approve.replace(from, to);
        assert_ne!(altered, approve, "{from}");
        let page = stack.get(&altered).await?;
        assert_eq!(page.status(), 403, "GET {from}");
        // the form fields of a genuine page, altered before posting
        let genuine = stack.get(&approve).await?.form_fields();
        let (name, value) = to.split_once('=').context("pair")?;
        let posted: Vec<(String, String)> = genuine
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let page = stack.post(&with(&posted, &[("approver", "Eve")])).await?;
        assert_eq!(page.status(), 403, "POST {from}");
        assert!(!page.body().contains(&stack.token), "token echoed");
    }
    // an expiry pushed later is tampering too, not a longer life
    let later = regex_replace_expires(&approve, "9999999999");
    assert_eq!(stack.get(&later).await?.status(), 403);
    // a link without its signature is malformed
    let unsigned = approve.split("&sig=").next().unwrap_or_default();
    assert_eq!(stack.get(unsigned).await?.status(), 400);
    assert_eq!(stack.approval().await?["status"], "Pending");
    Ok(())
}

fn regex_replace_expires(url: &str, to: &str) -> String {
    url.split('&')
        .map(|pair| {
            if pair.starts_with("expires=") {
                format!("expires={to}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn signed(stack: &Stack, token: &str, expires: chrono::DateTime<Utc>) -> String {
    ApprovalLink {
        pipeline: PIPELINE.into(),
        stage: "Approve".into(),
        action: "Approve".into(),
        token: token.into(),
        decision: Decision::Approve,
        expires,
        execution_id: Some(EXECUTION.into()),
        repository: None,
        commit: None,
        requester: None,
    }
    .url("https://cb.lambda-url.us-east-1.on.aws/", &stack.key)
}

#[tokio::test]
async fn expired_links_are_gone() -> Result<()> {
    // GIVEN a genuine link whose approval expired a minute ago
    let stack = Stack::start("").await?;
    let link = signed(&stack, &stack.token, Utc::now() - Duration::minutes(1));
    // WHEN opened or posted THEN 410 and nothing recorded
    let page = stack.get(&link).await?;
    assert_eq!(page.status(), 410, "{}", page.body());
    let query = link.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let fields: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let posted = stack.post(&with(&fields, &[("approver", "Ann")])).await?;
    assert_eq!(posted.status(), 410);
    assert_eq!(stack.approval().await?["status"], "Pending");
    Ok(())
}

#[tokio::test]
async fn a_token_completed_elsewhere_or_unknown_conflicts() -> Result<()> {
    let stack = Stack::start("").await?;
    stack.gate().await?;
    let (approve, _, _) = links(&stack).await?;
    let fields = stack.get(&approve).await?.form_fields();
    // GIVEN someone rejected in the console first
    stack
        .aws
        .codepipeline()
        .await
        .put_approval_result()
        .pipeline_name(PIPELINE)
        .stage_name("Approve")
        .action_name("Approve")
        .token(&stack.token)
        .result(
            ApprovalResult::builder()
                .status(ApprovalStatus::Rejected)
                .summary("rejected in the console")
                .build()?,
        )
        .send()
        .await?;
    // WHEN the link is confirmed THEN 409 (ApprovalAlreadyCompleted)
    let page = stack.post(&with(&fields, &[("approver", "Ann")])).await?;
    assert_eq!(page.status(), 409, "{}", page.body());
    assert!(page.body().contains("already been decided"));
    assert_eq!(
        stack.approval().await?["summary"],
        "rejected in the console"
    );
    // and a signed link for a token CodePipeline does not know: 409 too
    let unknown = signed(&stack, "no-such-token", Utc::now() + Duration::hours(1));
    let fields = stack.get(&unknown).await?.form_fields();
    let page = stack.post(&with(&fields, &[("approver", "Ann")])).await?;
    assert_eq!(page.status(), 409, "{}", page.body());
    assert!(page.body().contains("no longer current"));
    Ok(())
}

#[tokio::test]
async fn other_methods_and_forms_are_refused() -> Result<()> {
    let stack = Stack::start("").await?;
    let mut event = sample("function-url-get")?;
    event["requestContext"]["http"]["method"] = json!("DELETE");
    let response = serde_json::to_value(approval_callback::handle(event, &stack.callback).await)?;
    assert_eq!(response["statusCode"], 405);
    assert_eq!(response["headers"]["allow"], "GET, POST");
    // a JSON body is not the form
    let mut event = sample("function-url-post")?;
    event["headers"]["content-type"] = json!("application/json");
    let response = serde_json::to_value(approval_callback::handle(event, &stack.callback).await)?;
    assert_eq!(response["statusCode"], 400);
    Ok(())
}
