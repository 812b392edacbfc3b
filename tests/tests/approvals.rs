//! approval-gate and approval-callback end to end: the handlers, called as
//! Lambda would call them, with real SDK clients against the local stack:
//! local-aws (in process) for CodePipeline and CodeCommit (a real git
//! repository per test), moto (from `.local/env`) for S3 (findings
//! reports, markers), SNS (the approvers topic, delivering to an SQS queue
//! each test reads) and Secrets Manager (the link signing key). Each test
//! writes the secret-scanner reports it needs itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use aws_sdk_codepipeline::types::{ApprovalResult, ApprovalStatus};
use base64::Engine as _;
use chrono::{Duration, Utc};
use e2e::{
    CapturedLogs, LocalAws, TopicQueue, commit_file, create_bucket, git, init_repo, moto_s3,
    moto_sdk_config, unique_name,
};
use serde_json::{Value, json};
use shared::approval::policy::short;
use shared::approval::{ApprovalLink, Decision, SigningKey};

const PIPELINE: &str = "web";
const REPOSITORY: &str = "app";
const EXECUTION: &str = "e-approve-1";
/// A credential shaped like a real one, as a report's finding would mask it.
const SECRET: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
/// Any day, any time: auto-approval is decided by the report alone.
const ALWAYS: &str = r#"{"timeZone": "UTC", "days": ["Mon","Tue","Wed","Thu","Fri","Sat","Sun"], "start": "00:00", "end": "24:00"}"#;

/// One test's stack.
struct Stack {
    aws: LocalAws,
    /// The work tree of repository [`REPOSITORY`] that local-aws serves.
    repo: PathBuf,
    /// The commit the approval waits for (the first one, "Fix login redirect").
    commit: String,
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
        Self::build(policy, settings, None).await
    }

    async fn build(
        policy: &str,
        settings: &[(&str, &str)],
        codecommit_retry: Option<aws_sdk_codecommit::config::retry::RetryConfig>,
    ) -> Result<Self> {
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
        let repo = init_repo(&aws.repos_dir(), REPOSITORY)?;
        let commit = commit_file(
            &repo,
            "src/login.rs",
            b"fn redirect() {}\n",
            "Fix login redirect",
        )?;
        let local = aws.sdk_config().await;
        // As `main` builds them; CodePipeline and CodeCommit pointed at
        // local-aws the way AWS_ENDPOINT_URL_CODEPIPELINE / _CODECOMMIT do.
        let mut clients = approval_gate::Clients::new(&moto, &config);
        clients.codepipeline = aws_sdk_codepipeline::Client::new(&local);
        clients.codecommit = aws_sdk_codecommit::Client::new(&local);
        if let Some(retry) = codecommit_retry {
            // Millisecond backoff and a partition of its own: throttling
            // tests stay fast and do not drain the other tests' retry quota.
            let conf = aws_sdk_codecommit::config::Builder::from(&local)
                .retry_config(retry)
                .retry_partition(aws_sdk_codecommit::config::retry::RetryPartition::new(
                    unique_name("approvals-codecommit"),
                ))
                .build();
            clients.codecommit = aws_sdk_codecommit::Client::from_conf(conf);
        }
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
        seed_pipeline(&aws).await?;
        let token = seed_waiting_approval(&aws, EXECUTION, &commit).await?;
        Ok(Self {
            aws,
            repo,
            commit,
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

    /// Writes secret-scanner's report for [`Self::commit`], as the contract says.
    async fn write_report(&self, schema: &str, findings: &[Value]) -> Result<()> {
        let mut report = report(&self.commit, findings);
        report["schema"] = json!(schema);
        self.put_report(&self.commit, &report).await
    }

    async fn put_report(&self, commit: &str, report: &Value) -> Result<()> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(format!("findings/{REPOSITORY}/{commit}.json"))
            .body(report.to_string().into_bytes().into())
            .send()
            .await?;
        Ok(())
    }

    /// Commits `file` into the repository; with `findings`, writes the
    /// report secret-scanner would (`Some(&[])`: clean), `None`: no report.
    async fn commit(
        &self,
        file: &str,
        contents: &str,
        message: &str,
        findings: Option<&[Value]>,
    ) -> Result<String> {
        let id = commit_file(&self.repo, file, contents.as_bytes(), message)?;
        if let Some(findings) = findings {
            self.put_report(&id, &report(&id, findings)).await?;
        }
        Ok(id)
    }

    /// An execution of `commit` that went through every stage: the last
    /// successful one, for the gate.
    async fn succeeded(&self, execution: &str, commit: &str) -> Result<()> {
        self.aws
            .admin_post(
                "/codepipeline/executions",
                json!({"pipelineName": PIPELINE, "pipelineExecutionId": execution,
                       "status": "Succeeded", "startTime": "2025-12-01T00:00:00Z",
                       "artifactRevisions": [revision(commit, "Released before")],
                       "actions": [{"stageName": "Source", "actionName": "Source"},
                                   {"stageName": "Build", "actionName": "Build"},
                                   {"stageName": "Approve", "actionName": "Approve"},
                                   {"stageName": "Deploy", "actionName": "Deploy"}]}),
            )
            .await?;
        Ok(())
    }

    /// Rejects the waiting approval as someone in the console would.
    async fn reject_in_console(&self, summary: &str) -> Result<()> {
        self.aws
            .codepipeline()
            .await
            .put_approval_result()
            .pipeline_name(PIPELINE)
            .stage_name("Approve")
            .action_name("Approve")
            .token(&self.token)
            .result(
                ApprovalResult::builder()
                    .status(ApprovalStatus::Rejected)
                    .summary(summary)
                    .build()?,
            )
            .send()
            .await?;
        Ok(())
    }

    /// A new execution of `commit`, waiting at the approval: the one the
    /// next [`Self::gate`] call is about.
    async fn release(&mut self, commit: &str) -> Result<()> {
        // local-aws, like CodePipeline, has one approval waiting per action:
        // the first execution's is decided (in the console, say) first.
        self.reject_in_console("superseded").await?;
        self.token = seed_waiting_approval(&self.aws, "e-approve-2", commit).await?;
        Ok(())
    }

    /// How many `operation` calls local-aws has answered so far.
    async fn calls(&self, operation: &str) -> Result<u64> {
        Ok(self.aws.admin_get("/calls").await?[operation]
            .as_u64()
            .unwrap_or(0))
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

/// Source (CodeCommit `app`) -> Build -> Approve -> Deploy.
async fn seed_pipeline(aws: &LocalAws) -> Result<()> {
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
    Ok(())
}

/// A source revision of `commit`, as CodePipeline records a CodeCommit one.
fn revision(commit: &str, summary: &str) -> Value {
    json!({"revisionId": commit, "revisionSummary": summary,
           "revisionUrl": format!("https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/{REPOSITORY}/commit/{commit}?region=us-east-1")})
}

/// An execution of `commit` waiting at the approval. Returns the approval token.
async fn seed_waiting_approval(aws: &LocalAws, execution: &str, commit: &str) -> Result<String> {
    aws.admin_post(
        "/codepipeline/executions",
        json!({"pipelineName": PIPELINE, "pipelineExecutionId": execution,
               "trigger": {"triggerType": "CloudWatchEvent",
                           "triggerDetail": "arn:aws:events:us-east-1:123456789012:rule/app-main"},
               "artifactRevisions": [revision(commit, "Fix login redirect")],
               "actions": [{"stageName": "Source", "actionName": "Source"},
                           {"stageName": "Build", "actionName": "Build"}]}),
    )
    .await?;
    let approval = aws
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": PIPELINE, "stageName": "Approve", "actionName": "Approve",
                   "pipelineExecutionId": execution}),
        )
        .await?;
    Ok(approval["token"]
        .as_str()
        .context("approval without token")?
        .to_owned())
}

/// secret-scanner's report of `commit` (the contract: schema, commit,
/// count, findings, what was skipped).
fn report(commit: &str, findings: &[Value]) -> Value {
    json!({
        "schema": "codewarden/findings-report@1",
        "repository": REPOSITORY,
        "commitId": commit,
        "parentCommitId": null,
        "ref": "refs/heads/main",
        "scannedAt": "2026-01-01T00:00:00Z",
        "findingCount": findings.len(),
        "findings": findings,
        "skipped": {"binary": 0, "submodule": 0, "tooLarge": 0},
        "allowedFiles": 0,
        "truncated": false,
        "stoppedAt": null,
    })
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
        summary.contains(&format!("commit {} scanned clean", short(&stack.commit))),
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
    // THEN it is rejected, the summary names the count and the masked
    // preview, never more of the secret than its first 4 characters
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Rejected", "{outcome:?}");
    let summary = approval["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains(&format!(
            "1 potential secret(s) in commit {} (aws-access-key-id AKIA*** at config/prod.env:3)",
            short(&stack.commit)
        )),
        "{summary}"
    );
    assert!(!summary.contains(&SECRET[..5]));
    assert!(stack.received().await?.is_empty());
    Ok(())
}

/// An AWS access key id shaped like a real one, built at run time.
fn planted_key() -> String {
    ["AKIA", "Q4VZ3T7XKP2MNB6W"].concat()
}

#[tokio::test]
async fn a_key_in_a_reported_path_is_masked_in_the_put_approval_result_summary() -> Result<()> {
    // GIVEN a report whose finding's path holds a key (a file named after it)
    let key = planted_key();
    let stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report(
            "codewarden/findings-report@1",
            &[finding_at(&format!("config/{key}.env"))],
        )
        .await?;
    // WHEN the approval request arrives
    let outcome = stack.gate().await?;
    // THEN it is rejected, and neither the summary nor the outcome holds the key
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Rejected", "{outcome:?}");
    let summary = summary_of(&approval);
    assert!(summary.contains("config/AKIA"), "{summary}");
    assert!(!summary.contains(&key[4..]), "{summary}");
    assert!(!format!("{outcome:?}").contains(&key[4..]), "{outcome:?}");
    Ok(())
}

#[tokio::test]
async fn a_key_in_pipeline_text_reaches_no_approver_page_or_summary() -> Result<()> {
    // GIVEN an execution whose revision summary (the commit message),
    // trigger and approval custom data hold a key
    let key = planted_key();
    let mut stack = Stack::start("").await?;
    stack.reject_in_console("superseded").await?;
    stack
        .aws
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": PIPELINE, "pipelineExecutionId": "e-leaky",
                   "trigger": {"triggerType": "Webhook", "triggerDetail": format!("push of {key}")},
                   "artifactRevisions": [revision(&stack.commit, &format!("Fix login, key {key}"))],
                   "actions": [{"stageName": "Source", "actionName": "Source"},
                               {"stageName": "Build", "actionName": "Build"}]}),
        )
        .await?;
    let approval = stack
        .aws
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": PIPELINE, "stageName": "Approve", "actionName": "Approve",
                   "pipelineExecutionId": "e-leaky"}),
        )
        .await?;
    stack.token = approval["token"].as_str().context("no token")?.to_owned();
    let mut event = stack.approval_event()?;
    let mut message: Value = serde_json::from_str(
        event["Records"][0]["Sns"]["Message"]
            .as_str()
            .context("no Message")?,
    )?;
    message["approval"]["customData"] = json!(format!("Deploy with aws_access_key_id={key}"));
    event["Records"][0]["Sns"]["Message"] = json!(message.to_string());
    // WHEN the gate asks the approvers
    let outcome = approval_gate::handle(event, &stack.gate).await?;
    assert!(
        matches!(outcome, approval_gate::Outcome::AskedApprovers { .. }),
        "{outcome:?}"
    );
    // THEN the SNS message (subject, body, attributes) holds no key
    let (approve, _, envelope) = links(&stack).await?;
    let sent = envelope.to_string();
    assert!(sent.contains("Fix login, key AKIA"), "{sent}");
    assert!(
        !sent.contains(&key[4..]),
        "the key leaked to approvers: {sent}"
    );
    // AND the confirmation page neither
    let page = stack.get(&approve).await?;
    assert_eq!(page.status(), 200, "{}", page.body());
    assert!(!page.body().contains(&key[4..]), "{}", page.body());
    // AND an approver typing a key gets it masked in the summary and the page
    let done = stack
        .post(&with(
            &page.form_fields(),
            &[
                ("approver", &format!("Ann {key}")),
                ("comment", &format!("rotated {key}")),
            ],
        ))
        .await?;
    assert_eq!(done.status(), 200, "{}", done.body());
    assert!(!done.body().contains(&key[4..]), "{}", done.body());
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Approved");
    let summary = summary_of(&approval);
    assert!(summary.starts_with("Approved by Ann AKIA"), "{summary}");
    assert!(!summary.contains(&key[4..]), "{summary}");
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
    assert!(page.body().contains(short(&stack.commit)) && page.body().contains("arn:aws:events"));
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
        format!(
            "Approved by Ann <Lee> via codewarden signed link (commit {}): smoke tests green",
            short(&stack.commit)
        )
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
    let commit = format!("commit={}", stack.commit);
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
    stack.reject_in_console("rejected in the console").await?;
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

// --- the history since the last successful execution -------------------------

/// A key as a developer would commit it (the report masks it).
fn leaky_file() -> String {
    format!("AWS_ACCESS_KEY_ID={SECRET}\nREGION=us-east-1\n")
}

/// The finding secret-scanner reports for [`leaky_file`] at `path`.
fn finding_at(path: &str) -> Value {
    let mut finding = finding();
    finding["path"] = json!(path);
    finding["line"] = json!(1);
    finding
}

fn summary_of(approval: &Value) -> String {
    approval["summary"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_key_added_and_a_readme_fixed_after_it_is_rejected_naming_the_key_commit() -> Result<()> {
    // GIVEN the first commit released, then commit A adds a key and
    // commit B only fixes the README (its own report is clean)
    let mut stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    stack.succeeded("e-released", &stack.commit).await?;
    let a = stack
        .commit(
            "config/prod.env",
            &leaky_file(),
            "Add deploy config",
            Some(&[finding_at("config/prod.env")]),
        )
        .await?;
    let b = stack
        .commit(
            "README.md",
            "# app\n\nTypo fixed.\n",
            "Fix README",
            Some(&[]),
        )
        .await?;
    // WHEN an execution of B asks for approval
    stack.release(&b).await?;
    let outcome = stack.gate().await?;
    // THEN it is rejected, and the summary names A and the masked key only
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Rejected", "{outcome:?}");
    let summary = summary_of(&approval);
    assert!(
        summary.contains(&format!(
            "1 potential secret(s) in commit {} (aws-access-key-id AKIA*** at config/prod.env:1)",
            short(&a)
        )),
        "{summary}"
    );
    assert!(
        summary.contains("checked: 2 commits since the last successful execution e-released"),
        "{summary}"
    );
    assert!(summary.contains("rejected by policy"), "{summary}");
    assert!(!summary.contains(&SECRET[..5]) && summary.chars().count() <= 512);
    assert!(stack.received().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn a_commit_without_a_report_in_the_history_asks_a_human() -> Result<()> {
    // GIVEN a released commit, an unscanned commit X, and a clean tip Y
    let mut stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    stack.succeeded("e-released", &stack.commit).await?;
    let x = stack
        .commit("src/a.rs", "fn a() {}\n", "Add a", None)
        .await?;
    let y = stack
        .commit("src/b.rs", "fn b() {}\n", "Add b", Some(&[]))
        .await?;
    // WHEN Y's execution asks for approval
    stack.release(&y).await?;
    let outcome = stack.gate().await?;
    // THEN the approvers are asked, and told which commit was not scanned
    let expected = format!("commit {} was not scanned", short(&x));
    assert!(
        matches!(&outcome, approval_gate::Outcome::AskedApprovers { reason, .. } if reason.contains(&expected)),
        "{outcome:?}"
    );
    assert_eq!(stack.approval().await?["status"], "Pending");
    let (_, _, envelope) = links(&stack).await?;
    let text = envelope["Message"]
        .as_str()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|d| d["text"].as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.contains("Checked:    2 commits since the last successful execution e-released"),
        "{text}"
    );
    Ok(())
}

#[tokio::test]
async fn an_incomplete_report_asks_a_human_with_its_reason() -> Result<()> {
    // GIVEN an older-style report that skipped a too-large file in the
    // history, and a tip whose report says `complete: false`
    let mut stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    stack.succeeded("e-released", &stack.commit).await?;
    let big = stack
        .commit("data/big.csv", "a,b\n", "Add data", None)
        .await?;
    let mut old_style = report(&big, &[]);
    old_style["skipped"]["tooLarge"] = json!(1);
    stack.put_report(&big, &old_style).await?;
    let tip = stack
        .commit("assets/logo.txt", "logo\n", "Add logo", None)
        .await?;
    let mut extended = report(&tip, &[]);
    extended["complete"] = json!(false);
    extended["notScanned"] = json!([{"path": "assets/logo.png", "reason": "binary"}]);
    stack.put_report(&tip, &extended).await?;
    // WHEN the tip's execution asks for approval
    stack.release(&tip).await?;
    let outcome = stack.gate().await?;
    // THEN a person is asked, with both reasons
    let approval_gate::Outcome::AskedApprovers { reason, .. } = &outcome else {
        bail!("expected the approvers to be asked: {outcome:?}");
    };
    assert!(
        reason.contains(&format!(
            "the secret-scanner report for commit {} is incomplete: assets/logo.png not scanned (binary)",
            short(&tip)
        )),
        "{reason}"
    );
    assert!(
        reason.contains(&format!(
            "the secret-scanner report for commit {} is incomplete: 1 file(s) too large to scan",
            short(&big)
        )),
        "{reason}"
    );
    assert_eq!(stack.approval().await?["status"], "Pending");
    Ok(())
}

#[tokio::test]
async fn a_clean_history_since_the_last_success_is_approved_reading_only_the_new_commits()
-> Result<()> {
    // GIVEN a leaky first commit, its fix (never scanned: a person approved
    // it) released by a successful execution, then two clean commits
    let mut stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report(
            "codewarden/findings-report@1",
            &[finding_at("src/login.rs")],
        )
        .await?;
    let fix = stack
        .commit(
            "src/login.rs",
            "fn redirect() {}\n// fixed\n",
            "Remove key",
            None,
        )
        .await?;
    stack.succeeded("e-released", &fix).await?;
    stack
        .commit("src/c.rs", "fn c() {}\n", "Add c", Some(&[]))
        .await?;
    let tip = stack
        .commit("src/d.rs", "fn d() {}\n", "Add d", Some(&[]))
        .await?;
    stack.release(&tip).await?;
    let before = stack.calls("BatchGetCommits").await?;
    // WHEN the tip's execution asks for approval
    let outcome = stack.gate().await?;
    // THEN it is approved: the old leaky commit and the unscanned fix were
    // released before and do not count
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Approved", "{outcome:?}");
    let summary = summary_of(&approval);
    assert!(
        summary.contains(&format!(
            "history: 2 commits since the last successful execution e-released (commit {}), all scanned clean",
            short(&fix)
        )),
        "{summary}"
    );
    // AND the walk read the two new commits and the released one, no
    // further: two BatchGetCommits calls (tip + released, then its parent)
    assert_eq!(stack.calls("BatchGetCommits").await? - before, 2);
    Ok(())
}

#[tokio::test]
async fn a_leaky_commit_on_a_side_branch_merged_with_no_ff_is_rejected() -> Result<()> {
    // GIVEN a released main, a side branch that adds a key and removes it
    // again, a README change on main, and a --no-ff merge (whose own
    // report, against main, shows nothing)
    let mut stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    stack.succeeded("e-released", &stack.commit).await?;
    git(&stack.repo, &["checkout", "-q", "-b", "side"])?;
    let added = stack
        .commit(
            "deploy.env",
            &leaky_file(),
            "Add deploy env",
            Some(&[finding_at("deploy.env")]),
        )
        .await?;
    git(&stack.repo, &["rm", "-q", "deploy.env"])?;
    git(&stack.repo, &["commit", "-q", "-m", "Remove deploy env"])?;
    let removed = git(&stack.repo, &["rev-parse", "HEAD"])?;
    stack.put_report(&removed, &report(&removed, &[])).await?;
    git(&stack.repo, &["checkout", "-q", "main"])?;
    stack
        .commit("README.md", "# app\n", "Document", Some(&[]))
        .await?;
    git(
        &stack.repo,
        &["merge", "-q", "--no-ff", "-m", "Merge side", "side"],
    )?;
    let merge = git(&stack.repo, &["rev-parse", "HEAD"])?;
    stack.put_report(&merge, &report(&merge, &[])).await?;
    // WHEN the merge's execution asks for approval
    stack.release(&merge).await?;
    stack.gate().await?;
    // THEN it is rejected, naming the side branch's commit
    let approval = stack.approval().await?;
    let summary = summary_of(&approval);
    assert_eq!(approval["status"], "Rejected", "{summary}");
    assert!(
        summary.contains(&format!(
            "in commit {} (aws-access-key-id AKIA***",
            short(&added)
        )),
        "{summary}"
    );
    assert!(summary.contains("checked: 4 commits"), "{summary}");
    Ok(())
}

#[tokio::test]
async fn throttled_history_reads_ask_a_human_and_never_approve() -> Result<()> {
    // GIVEN a clean, allow-listed commit, and CodeCommit throttling every
    // BatchGetCommits attempt (3 with the SDK's standard retries)
    let retry = aws_sdk_codecommit::config::retry::RetryConfig::standard()
        .with_initial_backoff(std::time::Duration::from_millis(1))
        .with_max_backoff(std::time::Duration::from_millis(20));
    let stack = Stack::build(&allow_listed(), &[], Some(retry)).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    stack
        .aws
        .admin_post(
            "/faults",
            json!({"operation": "BatchGetCommits", "kind": "throttle", "count": 3}),
        )
        .await?;
    // WHEN the approval request arrives
    let outcome = stack.gate().await?;
    // THEN a person is asked, told that the history could not be read and why
    assert!(
        matches!(&outcome, approval_gate::Outcome::AskedApprovers { reason, .. }
            if reason.contains("the history of app could not be read")
                && reason.contains("ThrottlingException")),
        "{outcome:?}"
    );
    assert_eq!(stack.approval().await?["status"], "Pending");
    Ok(())
}

#[tokio::test]
async fn a_history_longer_than_the_bound_asks_a_human_saying_so() -> Result<()> {
    // GIVEN MAX_HISTORY_COMMITS=2 and three clean commits, none released
    let mut stack = Stack::start_with(&allow_listed(), &[("MAX_HISTORY_COMMITS", "2")]).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    stack
        .commit("src/e.rs", "fn e() {}\n", "Add e", Some(&[]))
        .await?;
    let tip = stack
        .commit("src/f.rs", "fn f() {}\n", "Add f", Some(&[]))
        .await?;
    stack.release(&tip).await?;
    // WHEN the tip's execution asks for approval
    let outcome = stack.gate().await?;
    // THEN a person is asked, told the history was longer than the bound
    assert!(
        matches!(&outcome, approval_gate::Outcome::AskedApprovers { reason, .. }
            if reason.contains("longer than MAX_HISTORY_COMMITS (2 commits read")),
        "{outcome:?}"
    );
    assert_eq!(stack.approval().await?["status"], "Pending");
    Ok(())
}

/// The pipeline with a second CodeCommit source action, `SourceLib`
/// (repository `lib`), beside `Source` (repository [`REPOSITORY`]).
async fn seed_two_source_pipeline(aws: &LocalAws) -> Result<()> {
    aws.admin_post(
        "/codepipeline/pipelines",
        json!({"name": PIPELINE, "stages": [
            {"name": "Source", "actions": [
                {"name": "Source", "category": "Source",
                 "configuration": {"RepositoryName": REPOSITORY, "BranchName": "main"}},
                {"name": "SourceLib", "category": "Source",
                 "configuration": {"RepositoryName": "lib", "BranchName": "main"}}]},
            {"name": "Build", "actions": [{"name": "Build", "category": "Build"}]},
            {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]},
            {"name": "Deploy", "actions": [{"name": "Deploy", "category": "Deploy"}]},
        ]}),
    )
    .await?;
    Ok(())
}

/// A new execution with `revisions` (one per source action), waiting at
/// the approval; the stack's token becomes its approval's. The first
/// execution's approval is decided before (local-aws, like CodePipeline,
/// has one approval waiting per action).
async fn release_sources(stack: &mut Stack, execution: &str, revisions: Value) -> Result<()> {
    stack
        .aws
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": PIPELINE, "pipelineExecutionId": execution,
                   "artifactRevisions": revisions,
                   "actions": [{"stageName": "Source", "actionName": "Source"},
                               {"stageName": "Source", "actionName": "SourceLib"},
                               {"stageName": "Build", "actionName": "Build"}]}),
        )
        .await?;
    let approval = stack
        .aws
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": PIPELINE, "stageName": "Approve", "actionName": "Approve",
                   "pipelineExecutionId": execution}),
        )
        .await?;
    stack.token = approval["token"]
        .as_str()
        .context("approval without token")?
        .to_owned();
    Ok(())
}

/// The revision of the `SourceLib` action: `commit` of repository `repo`.
fn lib_revision(repo: &str, commit: &str) -> Value {
    json!({"name": "LibArtifact", "actionName": "SourceLib", "revisionId": commit,
           "revisionSummary": "lib change",
           "revisionUrl": format!("https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/{commit}?region=us-east-1")})
}

#[tokio::test]
async fn a_leak_in_the_second_source_of_a_pipeline_is_rejected() -> Result<()> {
    // GIVEN an allow-listed stage, the first source's commit clean, and a
    // second source (repository lib) whose history holds a key: its tip
    // is clean, the commit before it reported a finding
    let mut stack = Stack::start(&allow_listed()).await?;
    stack
        .write_report("codewarden/findings-report@1", &[])
        .await?;
    let lib = init_repo(&stack.aws.repos_dir(), "lib")?;
    let leak = commit_file(&lib, "prod.env", b"aws_access_key_id = x\n", "config")?;
    let tip = commit_file(&lib, "prod.env", b"# rotated\n", "remove the key")?;
    for (commit, findings) in [(&leak, vec![finding()]), (&tip, vec![])] {
        let mut lib_report = report(commit, &findings);
        lib_report["repository"] = json!("lib");
        stack
            .s3
            .put_object()
            .bucket(&stack.bucket)
            .key(format!("findings/lib/{commit}.json"))
            .body(lib_report.to_string().into_bytes().into())
            .send()
            .await?;
    }
    stack.reject_in_console("superseded").await?;
    seed_two_source_pipeline(&stack.aws).await?;
    let app = stack.commit.clone();
    release_sources(
        &mut stack,
        "e-two-sources",
        json!([
            revision(&app, "Fix login redirect"),
            lib_revision("lib", &tip)
        ]),
    )
    .await?;
    // WHEN the approval request arrives
    let outcome = stack.gate().await?;
    // THEN it is rejected, naming the second source's leaking commit
    let approval = stack.approval().await?;
    assert_eq!(approval["status"], "Rejected", "{outcome:?}");
    let summary = approval["summary"].as_str().unwrap_or_default();
    assert!(summary.contains(short(&leak)), "{summary}");
    assert!(summary.contains("lib@"), "{summary}");
    assert!(!summary.contains(&SECRET[..5]));
    Ok(())
}

#[tokio::test]
async fn a_source_revision_that_maps_to_no_repository_asks_a_person() -> Result<()> {
    for (case, second) in [
        // another provider's object version: no commit, no repository
        (
            "s3 object",
            json!({"name": "LibArtifact", "actionName": "SourceLib",
                   "revisionId": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"}),
        ),
        // a commit whose URL names no repository
        (
            "no url",
            json!({"name": "LibArtifact", "actionName": "SourceLib",
                   "revisionId": "9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e"}),
        ),
        // a URL naming `..`: never used as a repository
        (
            "dot-dot",
            lib_revision("..", "9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e"),
        ),
    ] {
        // GIVEN an allow-listed stage, the first source clean, and a second
        // source revision that cannot be mapped to a repository
        let mut stack = Stack::start(&allow_listed()).await?;
        stack
            .write_report("codewarden/findings-report@1", &[])
            .await?;
        stack.reject_in_console("superseded").await?;
        seed_two_source_pipeline(&stack.aws).await?;
        let app = stack.commit.clone();
        release_sources(
            &mut stack,
            "e-unmapped",
            json!([revision(&app, "Fix login redirect"), second]),
        )
        .await?;
        // WHEN the approval request arrives THEN a person is asked, saying why
        let outcome = stack.gate().await?;
        assert!(
            matches!(&outcome, approval_gate::Outcome::AskedApprovers { reason, .. } if reason.contains("cannot be checked")),
            "{case}: {outcome:?}"
        );
        assert_eq!(stack.approval().await?["status"], "Pending", "{case}");
    }
    Ok(())
}
