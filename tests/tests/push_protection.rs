//! Push protection end to end: `codewarden protect`'s setup installs the
//! approval rule template in local-aws (in process, real git repositories),
//! the secret scanner (real handler, real SDK clients, calling as its own
//! role) scans pull request events and approves or revokes, and
//! MergePullRequestByFastForward refuses what it has not approved. S3 and
//! SNS are moto's (from `.local/env`).

use anyhow::{Context, Result, bail};
use aws_sdk_codecommit::types::Target;
use e2e::scanner::ScannerStack;
use e2e::{SCANNER_ROLE, commit_file, git, init_repo, unique_name};
use secret_scanner::setup::{Protected, Protection, approver_for_role, protect};
use secret_scanner::{ApprovalStatus, Outcome, handle};
use serde_json::{Value, json};

const AWS_KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

/// The scanner's stack, plus the developer's side: `codecommit` is the
/// default caller, the pull requests' author.
struct Stack(ScannerStack);

impl std::ops::Deref for Stack {
    type Target = ScannerStack;
    fn deref(&self) -> &ScannerStack {
        &self.0
    }
}

impl Stack {
    async fn start(settings: &[(&str, &str)]) -> Result<Self> {
        Ok(Self(ScannerStack::start(settings).await?))
    }

    /// `codewarden protect` for this stack: the scanner's role, every
    /// repository matching `filter`.
    async fn protect(&self, filter: Option<&str>) -> Result<Protected> {
        let protection = Protection {
            template_name: "codewarden-secret-scan".into(),
            approver: approver_for_role(&format!("arn:aws:iam::123456789012:role/{SCANNER_ROLE}"))
                .map_err(anyhow::Error::msg)?,
            destinations: vec!["refs/heads/main".into()],
            repository_filter: filter
                .map(secret_scanner::config::repository_filter)
                .transpose()?,
        };
        Ok(protect(&self.codecommit, &protection).await?)
    }

    async fn open_pull_request(&self, branch: &str) -> Result<String> {
        let out = self
            .codecommit
            .create_pull_request()
            .title(format!("Merge {branch}"))
            .targets(
                Target::builder()
                    .repository_name(&self.repository)
                    .source_reference(branch)
                    .destination_reference("main")
                    .build()?,
            )
            .client_request_token(unique_name("pr"))
            .send()
            .await?;
        Ok(out
            .pull_request()
            .and_then(|p| p.pull_request_id())
            .context("no pull request id")?
            .to_owned())
    }

    /// The pull request event EventBridge would deliver for its current state.
    async fn event(&self, kind: &str, pr: &str) -> Result<Value> {
        let sample = match kind {
            "pullRequestCreated" => "codecommit-pr-created",
            _ => "codecommit-pr-source-updated",
        };
        let path = format!("{}/../events/{sample}.json", env!("CARGO_MANIFEST_DIR"));
        let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let got = self
            .codecommit
            .get_pull_request()
            .pull_request_id(pr)
            .send()
            .await?;
        let got = got.pull_request().context("no pull request")?;
        let target = got.pull_request_targets().first().context("no target")?;
        let detail = &mut event["detail"];
        detail["event"] = json!(kind);
        detail["repositoryNames"] = json!([self.repository]);
        detail["pullRequestId"] = json!(pr);
        detail["sourceCommit"] = json!(target.source_commit());
        detail["destinationCommit"] = json!(target.destination_commit());
        detail["mergeBase"] = json!(target.merge_base());
        detail["sourceReference"] = json!(target.source_reference());
        detail["revisionId"] = json!(got.revision_id());
        Ok(event)
    }

    async fn invoke(&self, event: &Value) -> Result<ApprovalStatus> {
        match handle(event.clone(), &self.deps).await? {
            Outcome::Scanned {
                approval: Some(approval),
                ..
            } => Ok(approval),
            other => bail!("expected a pull request scan, got {other:?}"),
        }
    }

    async fn revision(&self, pr: &str) -> Result<String> {
        let got = self
            .codecommit
            .get_pull_request()
            .pull_request_id(pr)
            .send()
            .await?;
        Ok(got
            .pull_request()
            .and_then(|p| p.revision_id())
            .context("no revision")?
            .to_owned())
    }

    /// EvaluatePullRequestApprovalRules of the current revision.
    async fn approved(&self, pr: &str) -> Result<bool> {
        let out = self
            .codecommit
            .evaluate_pull_request_approval_rules()
            .pull_request_id(pr)
            .revision_id(self.revision(pr).await?)
            .send()
            .await?;
        Ok(out.evaluation().context("no evaluation")?.approved())
    }

    /// The comments on the pull request without a location (the summary).
    async fn summaries(&self, pr: &str) -> Result<Vec<String>> {
        let out = self
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
            .collect())
    }

    async fn merge(&self, pr: &str) -> Result<(), aws_sdk_codecommit::Error> {
        self.codecommit
            .merge_pull_request_by_fast_forward()
            .pull_request_id(pr)
            .repository_name(&self.repository)
            .send()
            .await?;
        Ok(())
    }
}

fn env_file(key: &str) -> String {
    format!("# production\nregion = us-east-1\naws_access_key_id = {key}\n")
}

#[tokio::test]
async fn setup_is_idempotent_and_follows_the_repository_filter() -> Result<()> {
    let stack = Stack::start(&[]).await?;
    stack.commit("README.md", "# app\n", "init")?;
    let other = init_repo(&stack.aws.repos_dir(), "sandbox")?;
    commit_file(&other, "README.md", b"# sandbox\n", "init")?;
    // WHEN protect runs twice for repo-* only
    let first = stack.protect(Some("repo-*")).await?;
    let second = stack.protect(Some("repo-*")).await?;
    // THEN the template is created once and associated with the match only
    assert!(first.created && !second.created);
    assert_eq!(first.repositories, vec![stack.repository.clone()]);
    assert_eq!(second.repositories, first.repositories);
    assert!(first.failed.is_empty());
    let listed = stack
        .codecommit
        .list_associated_approval_rule_templates_for_repository()
        .repository_name("sandbox")
        .send()
        .await?;
    assert!(listed.approval_rule_template_names().is_empty());
    // AND a template of the same name with other content is not replaced
    let conflicting = Protection {
        template_name: "codewarden-secret-scan".into(),
        approver: "arn:aws:sts::123456789012:assumed-role/someone-else/*".into(),
        destinations: Vec::new(),
        repository_filter: None,
    };
    let err = protect(&stack.codecommit, &conflicting).await.err();
    assert!(
        err.as_ref()
            .is_some_and(|e| e.to_string().contains("exists with other content")),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_leaky_pull_request_is_blocked_until_the_fix_then_merges() -> Result<()> {
    // GIVEN a protected repository and a pull request that adds a key
    let stack = Stack::start(&[]).await?;
    let base = stack.commit("README.md", "# app\n", "init")?;
    stack.protect(None).await?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature/login"])?;
    stack.commit("login/settings.env", &env_file(AWS_KEY), "login settings")?;
    let pr = stack.open_pull_request("feature/login").await?;
    let created = stack.event("pullRequestCreated", &pr).await?;

    // WHEN the scanner handles the event (twice: a redelivery)
    assert_eq!(stack.invoke(&created).await?, ApprovalStatus::Revoked);
    let summaries = stack.summaries(&pr).await?;
    assert_eq!(stack.invoke(&created).await?, ApprovalStatus::Revoked);
    // THEN one summary comment, unchanged, masked; the rule is not satisfied
    assert_eq!(stack.summaries(&pr).await?, summaries);
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(summaries[0].contains("blocked") && summaries[0].contains("AKIA***"));
    assert!(!summaries[0].contains(AWS_KEY));
    assert!(!stack.approved(&pr).await?);
    // AND the pull request cannot be merged
    let err = stack.merge(&pr).await.err();
    assert!(
        matches!(
            err,
            Some(aws_sdk_codecommit::Error::PullRequestApprovalRulesNotSatisfiedException(_))
        ),
        "{err:?}"
    );
    assert_eq!(git(&stack.repo, &["rev-parse", "main"])?, base);

    // WHEN the fix is pushed and its event handled (twice)
    let fixed = stack.commit(
        "login/settings.env",
        "# production\nregion = us-east-1\n",
        "remove the key (rotated)",
    )?;
    let updated = stack.event("pullRequestSourceBranchUpdated", &pr).await?;
    assert_eq!(stack.invoke(&updated).await?, ApprovalStatus::Approved);
    assert_eq!(stack.invoke(&updated).await?, ApprovalStatus::Approved);
    // THEN the same summary comment now says passed, and the rule is satisfied
    let summaries = stack.summaries(&pr).await?;
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(summaries[0].contains("passed"), "{}", summaries[0]);
    assert!(stack.approved(&pr).await?);
    let states = stack
        .codecommit
        .get_pull_request_approval_states()
        .pull_request_id(&pr)
        .revision_id(stack.revision(&pr).await?)
        .send()
        .await?;
    let approvers: Vec<Option<&str>> = states.approvals().iter().map(|a| a.user_arn()).collect();
    assert_eq!(approvers, vec![Some(e2e::SCANNER_ARN)]);

    // AND the first event, delivered late, changes nothing
    assert_eq!(stack.invoke(&created).await?, ApprovalStatus::Superseded);
    assert!(stack.approved(&pr).await?);
    assert_eq!(stack.summaries(&pr).await?.len(), 1);

    // AND it merges: main is at the fix
    stack.merge(&pr).await?;
    assert_eq!(git(&stack.repo, &["rev-parse", "main"])?, fixed);
    // One alert for the leaky revision, none for the clean one.
    assert_eq!(stack.topic.delivered(&stack.sqs).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_clean_pull_request_scanned_at_push_time_is_approved_and_merges() -> Result<()> {
    // GIVEN a protected repository and a branch whose commits a push event
    // already scanned (reports exist)
    let stack = Stack::start(&[]).await?;
    let base = stack.commit("README.md", "# app\n", "init")?;
    stack.protect(None).await?;
    git(&stack.repo, &["checkout", "-q", "-b", "feature/docs"])?;
    let tip = stack.commit("docs/guide.md", "# Guide\n", "docs")?;
    let mut push: Value = serde_json::from_str(&std::fs::read_to_string(format!(
        "{}/../events/codecommit-branch-created.json",
        env!("CARGO_MANIFEST_DIR")
    ))?)?;
    push["detail"]["repositoryName"] = json!(stack.repository);
    push["detail"]["referenceName"] = json!("feature/docs");
    push["detail"]["referenceFullName"] = json!("refs/heads/feature/docs");
    push["detail"]["commitId"] = json!(tip);
    handle(push, &stack.deps).await?;
    let pr = stack.open_pull_request("feature/docs").await?;
    // WHEN the pull request event arrives
    let event = stack.event("pullRequestCreated", &pr).await?;
    assert_eq!(stack.invoke(&event).await?, ApprovalStatus::Approved);
    // THEN it is approved and merges
    assert!(stack.approved(&pr).await?);
    stack.merge(&pr).await?;
    assert_ne!(git(&stack.repo, &["rev-parse", "main"])?, base);
    assert_eq!(git(&stack.repo, &["rev-parse", "main"])?, tip);
    Ok(())
}

#[tokio::test]
async fn an_incomplete_scan_is_not_approved() -> Result<()> {
    // GIVEN a pull request adding a file over MAX_BLOB_BYTES
    let stack = Stack::start(&[("MAX_BLOB_BYTES", "64")]).await?;
    stack.commit("README.md", "# app\n", "init")?;
    stack.protect(None).await?;
    git(&stack.repo, &["checkout", "-q", "-b", "big"])?;
    stack.commit("data.txt", &"plain text line\n".repeat(20), "data")?;
    let pr = stack.open_pull_request("big").await?;
    // WHEN scanned THEN revoked, saying why, and the merge is refused
    let event = stack.event("pullRequestCreated", &pr).await?;
    assert_eq!(stack.invoke(&event).await?, ApprovalStatus::Revoked);
    let summaries = stack.summaries(&pr).await?;
    assert!(
        summaries.len() == 1 && summaries[0].contains("`data.txt` was not scanned (over 64 bytes)"),
        "{summaries:?}"
    );
    assert!(stack.merge(&pr).await.is_err());
    Ok(())
}

#[tokio::test]
async fn approval_can_be_turned_off() -> Result<()> {
    let stack = Stack::start(&[("PULL_REQUEST_APPROVAL", "false")]).await?;
    stack.commit("README.md", "# app\n", "init")?;
    git(&stack.repo, &["checkout", "-q", "-b", "f"])?;
    stack.commit("a.txt", "a\n", "a")?;
    let pr = stack.open_pull_request("f").await?;
    let event = stack.event("pullRequestCreated", &pr).await?;
    assert_eq!(stack.invoke(&event).await?, ApprovalStatus::Disabled);
    assert!(stack.summaries(&pr).await?.is_empty());
    Ok(())
}

/// The location-less comments on the pull request: `(author, token, content)`.
async fn summaries_by_author(stack: &Stack, pr: &str) -> Result<Vec<(String, String, String)>> {
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
        .map(|c| {
            (
                c.author_arn().unwrap_or_default().to_owned(),
                c.client_request_token().unwrap_or_default().to_owned(),
                c.content().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

#[tokio::test]
async fn a_summary_posted_first_by_someone_else_with_the_scanners_token_neither_counts_nor_blocks()
-> Result<()> {
    for attacker in [e2e::REVIEWER_ACCESS_KEY, "test"] {
        // GIVEN a protected repository and a pull request adding a key
        let stack = Stack::start(&[]).await?;
        stack.commit("README.md", "# app\n", "init")?;
        stack.protect(None).await?;
        git(&stack.repo, &["checkout", "-q", "-b", "feature/x"])?;
        stack.commit("prod.env", &env_file(AWS_KEY), "prod")?;
        git(&stack.repo, &["checkout", "-q", "main"])?;
        let pr = stack.open_pull_request("feature/x").await?;
        let event = stack.event("pullRequestCreated", &pr).await?;
        // AND someone else (a reviewer, or the author) posts first a
        // reassuring "summary" with the token the scanner derives
        let squatter = stack.aws.codecommit_as(attacker).await;
        let predicted =
            secret_scanner::report::token(&["pull-request-summary", &stack.repository, &pr]);
        let fake = "**codewarden: secret scan passed** - no secrets found.";
        squatter
            .post_comment_for_pull_request()
            .pull_request_id(&pr)
            .repository_name(&stack.repository)
            .before_commit_id(
                event["detail"]["destinationCommit"]
                    .as_str()
                    .unwrap_or_default(),
            )
            .after_commit_id(event["detail"]["sourceCommit"].as_str().unwrap_or_default())
            .content(fake)
            .client_request_token(&predicted)
            .send()
            .await?;
        // WHEN the scanner handles the event (twice: a redelivery)
        assert_eq!(stack.invoke(&event).await?, ApprovalStatus::Revoked);
        assert_eq!(stack.invoke(&event).await?, ApprovalStatus::Revoked);
        // THEN the squatter's comment is untouched, and the scanner posted
        // exactly one summary of its own, saying blocked, masked
        let all = summaries_by_author(&stack, &pr).await?;
        let theirs: Vec<_> = all
            .iter()
            .filter(|(a, _, _)| a != e2e::SCANNER_ARN)
            .collect();
        assert_eq!(theirs.len(), 1, "{all:?}");
        assert_eq!(theirs[0].2, fake);
        let ours: Vec<_> = all
            .iter()
            .filter(|(a, _, _)| a == e2e::SCANNER_ARN)
            .collect();
        assert_eq!(ours.len(), 1, "{all:?}");
        assert_ne!(ours[0].1, predicted, "{all:?}");
        assert!(ours[0].2.contains("blocked") && ours[0].2.contains("AKIA***"));
        assert!(!ours[0].2.contains(AWS_KEY));
        assert!(!stack.approved(&pr).await?);

        // WHEN the key is removed THEN the scanner's own summary (not the
        // squatter's) says passed, and still one of each
        git(&stack.repo, &["checkout", "-q", "feature/x"])?;
        stack.commit("prod.env", "# production\n", "remove the key")?;
        git(&stack.repo, &["checkout", "-q", "main"])?;
        let updated = stack.event("pullRequestSourceBranchUpdated", &pr).await?;
        assert_eq!(stack.invoke(&updated).await?, ApprovalStatus::Approved);
        let all = summaries_by_author(&stack, &pr).await?;
        let ours: Vec<_> = all
            .iter()
            .filter(|(a, _, _)| a == e2e::SCANNER_ARN)
            .collect();
        assert_eq!((all.len(), ours.len()), (2, 1), "{all:?}");
        assert!(ours[0].2.contains("passed"), "{}", ours[0].2);
    }
    Ok(())
}
