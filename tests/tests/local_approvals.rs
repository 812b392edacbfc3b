//! local-aws's approval rules through the real SDK client: templates and
//! their association, the rule a new pull request gets, approval states
//! per revision, evaluation, and MergePullRequestByFastForward refusing a
//! pull request whose rules are not satisfied. Every error is checked as
//! the SDK's typed error, so member names and codes are the model's.

use anyhow::{Context, Result};
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::{ApprovalState, Target};
use e2e::{
    DEFAULT_ARN, LocalAws, REVIEWER_ACCESS_KEY, REVIEWER_ARN, SCANNER_ACCESS_KEY, SCANNER_ARN,
    commit_file, git, init_repo,
};

const TEMPLATE: &str = "codewarden-secret-scan";

fn rule_content(destination: &str) -> String {
    serde_json::json!({
        "Version": "2018-11-08",
        "DestinationReferences": [destination],
        "Statements": [{
            "Type": "Approvers",
            "NumberOfApprovalsNeeded": 1,
            "ApprovalPoolMembers": ["arn:aws:sts::123456789012:assumed-role/codewarden-secret-scanner/*"],
        }],
    })
    .to_string()
}

async fn create_template(cc: &Client) -> Result<()> {
    cc.create_approval_rule_template()
        .approval_rule_template_name(TEMPLATE)
        .approval_rule_template_description("codewarden's secret scan must approve")
        .approval_rule_template_content(rule_content("refs/heads/main"))
        .send()
        .await?;
    Ok(())
}

async fn open_pull_request(cc: &Client, repository: &str, source: &str) -> Result<String> {
    let out = cc
        .create_pull_request()
        .title(format!("merge {source}"))
        .targets(
            Target::builder()
                .repository_name(repository)
                .source_reference(source)
                .destination_reference("main")
                .build()?,
        )
        .client_request_token(format!("{repository}-{source}"))
        .send()
        .await?;
    Ok(out
        .pull_request()
        .and_then(|p| p.pull_request_id())
        .context("no pull request id")?
        .to_owned())
}

async fn revision(cc: &Client, pr: &str) -> Result<String> {
    let out = cc.get_pull_request().pull_request_id(pr).send().await?;
    Ok(out
        .pull_request()
        .and_then(|p| p.revision_id())
        .context("no revision id")?
        .to_owned())
}

async fn approved(cc: &Client, pr: &str, revision: &str) -> Result<(bool, Vec<String>)> {
    let out = cc
        .evaluate_pull_request_approval_rules()
        .pull_request_id(pr)
        .revision_id(revision)
        .send()
        .await?;
    let evaluation = out.evaluation().context("no evaluation")?;
    Ok((
        evaluation.approved(),
        evaluation.approval_rules_not_satisfied().to_vec(),
    ))
}

async fn set_state(cc: &Client, pr: &str, revision: &str, state: ApprovalState) -> Result<()> {
    cc.update_pull_request_approval_state()
        .pull_request_id(pr)
        .revision_id(revision)
        .approval_state(state)
        .send()
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_created_once_associated_and_listed() -> Result<()> {
    let local = LocalAws::start().await?;
    let cc = local.codecommit().await;
    for name in ["app", "infra"] {
        let repo = init_repo(&local.repos_dir(), name)?;
        commit_file(&repo, "README.md", b"# x\n", "init")?;
    }
    // WHEN a template is created THEN it reads back whole
    create_template(&cc).await?;
    let template = cc
        .get_approval_rule_template()
        .approval_rule_template_name(TEMPLATE)
        .send()
        .await?;
    let template = template.approval_rule_template().context("no template")?;
    assert_eq!(template.approval_rule_template_name(), Some(TEMPLATE));
    assert_eq!(
        template.approval_rule_template_content(),
        Some(rule_content("refs/heads/main").as_str())
    );
    assert_eq!(template.last_modified_user(), Some(DEFAULT_ARN));
    assert_eq!(template.rule_content_sha256().map(str::len), Some(64));
    assert!(template.approval_rule_template_id().is_some());

    // AND a second create, an unknown name and bad content are refused
    let err = cc
        .create_approval_rule_template()
        .approval_rule_template_name(TEMPLATE)
        .approval_rule_template_content(rule_content("refs/heads/main"))
        .send()
        .await
        .err()
        .context("a duplicate name must be refused")?;
    assert!(
        err.into_service_error()
            .is_approval_rule_template_name_already_exists_exception()
    );
    let err = cc
        .get_approval_rule_template()
        .approval_rule_template_name("missing")
        .send()
        .await
        .err()
        .context("an unknown template must be refused")?;
    assert!(
        err.into_service_error()
            .is_approval_rule_template_does_not_exist_exception()
    );
    let err = cc
        .create_approval_rule_template()
        .approval_rule_template_name("bad")
        .approval_rule_template_content(r#"{"Version": "2018-11-08", "Statements": []}"#)
        .send()
        .await
        .err()
        .context("content without statements must be refused")?;
    assert!(
        err.into_service_error()
            .is_invalid_approval_rule_template_content_exception()
    );

    // WHEN associated (twice: idempotent), and in a batch with an unknown repository
    for _ in 0..2 {
        cc.associate_approval_rule_template_with_repository()
            .approval_rule_template_name(TEMPLATE)
            .repository_name("app")
            .send()
            .await?;
    }
    let batch = cc
        .batch_associate_approval_rule_template_with_repositories()
        .approval_rule_template_name(TEMPLATE)
        .repository_names("infra")
        .repository_names("missing")
        .send()
        .await?;
    assert_eq!(batch.associated_repository_names(), ["infra".to_owned()]);
    let errors: Vec<(Option<&str>, Option<&str>)> = batch
        .errors()
        .iter()
        .map(|e| (e.repository_name(), e.error_code()))
        .collect();
    assert_eq!(
        errors,
        vec![(Some("missing"), Some("RepositoryDoesNotExistException"))]
    );
    // THEN each repository lists it once
    for name in ["app", "infra"] {
        let listed = cc
            .list_associated_approval_rule_templates_for_repository()
            .repository_name(name)
            .send()
            .await?;
        assert_eq!(listed.approval_rule_template_names(), [TEMPLATE.to_owned()]);
    }
    let err = cc
        .associate_approval_rule_template_with_repository()
        .approval_rule_template_name("missing")
        .repository_name("app")
        .send()
        .await
        .err()
        .context("an unknown template cannot be associated")?;
    assert!(
        err.into_service_error()
            .is_approval_rule_template_does_not_exist_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_merges_only_once_a_pool_member_approves_its_current_revision() -> Result<()>
{
    // GIVEN a repository with the template associated and a pull request
    let local = LocalAws::start().await?;
    let author = local.codecommit().await;
    let reviewer = local.codecommit_as(REVIEWER_ACCESS_KEY).await;
    let scanner = local.codecommit_as(SCANNER_ACCESS_KEY).await;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let base = commit_file(&repo, "README.md", b"# app\n", "init")?;
    git(&repo, &["checkout", "-q", "-b", "feature"])?;
    let first = commit_file(&repo, "src/lib.rs", b"pub fn f() {}\n", "f")?;
    create_template(&author).await?;
    author
        .associate_approval_rule_template_with_repository()
        .approval_rule_template_name(TEMPLATE)
        .repository_name("app")
        .send()
        .await?;
    let pr = open_pull_request(&author, "app", "feature").await?;

    // THEN it carries the template's rule
    let got = author
        .get_pull_request()
        .pull_request_id(&pr)
        .send()
        .await?;
    let got = got.pull_request().context("no pull request")?;
    assert_eq!(got.author_arn(), Some(DEFAULT_ARN));
    let rules = got.approval_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].approval_rule_name(), Some(TEMPLATE));
    assert_eq!(
        rules[0]
            .origin_approval_rule_template()
            .and_then(|o| o.approval_rule_template_name()),
        Some(TEMPLATE)
    );
    assert_eq!(
        rules[0].approval_rule_content(),
        Some(rule_content("refs/heads/main").as_str())
    );
    let rev1 = revision(&author, &pr).await?;
    assert_eq!(
        approved(&author, &pr, &rev1).await?,
        (false, vec![TEMPLATE.to_owned()])
    );

    // WHEN merged unapproved THEN refused, and main has not moved
    let err = author
        .merge_pull_request_by_fast_forward()
        .pull_request_id(&pr)
        .repository_name("app")
        .send()
        .await
        .err()
        .context("an unapproved pull request must not merge")?;
    assert!(
        err.into_service_error()
            .is_pull_request_approval_rules_not_satisfied_exception()
    );
    assert_eq!(git(&repo, &["rev-parse", "main"])?, base);

    // AND the author cannot approve; a reviewer outside the pool can, but
    // it does not satisfy the rule
    let err = author
        .update_pull_request_approval_state()
        .pull_request_id(&pr)
        .revision_id(&rev1)
        .approval_state(ApprovalState::Approve)
        .send()
        .await
        .err()
        .context("the author must not approve")?;
    assert!(
        err.into_service_error()
            .is_pull_request_cannot_be_approved_by_author_exception()
    );
    set_state(&reviewer, &pr, &rev1, ApprovalState::Approve).await?;
    assert!(!approved(&author, &pr, &rev1).await?.0);

    // AND a stale or malformed revision is refused
    let err = scanner
        .update_pull_request_approval_state()
        .pull_request_id(&pr)
        .revision_id("0".repeat(64))
        .approval_state(ApprovalState::Approve)
        .send()
        .await
        .err()
        .context("a stale revision must be refused")?;
    assert!(err.into_service_error().is_revision_not_current_exception());
    let err = scanner
        .get_pull_request_approval_states()
        .pull_request_id(&pr)
        .revision_id("abc")
        .send()
        .await
        .err()
        .context("a malformed revision must be refused")?;
    assert!(err.into_service_error().is_invalid_revision_id_exception());

    // WHEN the scanner approves THEN the rule is satisfied
    set_state(&scanner, &pr, &rev1, ApprovalState::Approve).await?;
    assert_eq!(approved(&author, &pr, &rev1).await?, (true, vec![]));
    let states = author
        .get_pull_request_approval_states()
        .pull_request_id(&pr)
        .revision_id(&rev1)
        .send()
        .await?;
    let mut users: Vec<(&str, Option<&ApprovalState>)> = states
        .approvals()
        .iter()
        .map(|a| (a.user_arn().unwrap_or_default(), a.approval_state()))
        .collect();
    users.sort();
    assert_eq!(
        users,
        vec![
            (REVIEWER_ARN, Some(&ApprovalState::Approve)),
            (SCANNER_ARN, Some(&ApprovalState::Approve)),
        ]
    );

    // WHEN the source branch moves THEN a new revision, unapproved; the
    // old one can no longer be evaluated but keeps its approvals
    let second = commit_file(&repo, "src/lib.rs", b"pub fn f() -> u8 { 1 }\n", "f2")?;
    let rev2 = revision(&author, &pr).await?;
    assert_ne!(rev1, rev2);
    assert!(!approved(&author, &pr, &rev2).await?.0);
    let err = author
        .evaluate_pull_request_approval_rules()
        .pull_request_id(&pr)
        .revision_id(&rev1)
        .send()
        .await
        .err()
        .context("an old revision is not current")?;
    assert!(err.into_service_error().is_revision_not_current_exception());
    let old = author
        .get_pull_request_approval_states()
        .pull_request_id(&pr)
        .revision_id(&rev1)
        .send()
        .await?;
    assert_eq!(old.approvals().len(), 2);

    // AND REVOKE withdraws an approval
    set_state(&scanner, &pr, &rev2, ApprovalState::Approve).await?;
    set_state(&scanner, &pr, &rev2, ApprovalState::Revoke).await?;
    assert!(!approved(&author, &pr, &rev2).await?.0);
    set_state(&scanner, &pr, &rev2, ApprovalState::Approve).await?;

    // WHEN merged naming an old source commit THEN refused
    let err = author
        .merge_pull_request_by_fast_forward()
        .pull_request_id(&pr)
        .repository_name("app")
        .source_commit_id(&first)
        .send()
        .await
        .err()
        .context("an old source commit must be refused")?;
    assert!(
        err.into_service_error()
            .is_tip_of_source_reference_is_different_exception()
    );
    // WHEN merged approved THEN main is fast-forwarded to the source tip
    let merged = author
        .merge_pull_request_by_fast_forward()
        .pull_request_id(&pr)
        .repository_name("app")
        .source_commit_id(&second)
        .send()
        .await?;
    let merged = merged.pull_request().context("no pull request")?;
    let metadata = merged
        .pull_request_targets()
        .first()
        .and_then(|t| t.merge_metadata())
        .context("no merge metadata")?;
    assert!(metadata.is_merged());
    assert_eq!(metadata.merged_by(), Some(DEFAULT_ARN));
    assert_eq!(git(&repo, &["rev-parse", "main"])?, second);
    let branch = author
        .get_branch()
        .repository_name("app")
        .branch_name("main")
        .send()
        .await?;
    assert_eq!(
        branch.branch().and_then(|b| b.commit_id()),
        Some(second.as_str())
    );
    // AND the pull request is closed: a second merge or approval is refused
    let got = author
        .get_pull_request()
        .pull_request_id(&pr)
        .send()
        .await?;
    assert_eq!(
        got.pull_request().and_then(|p| p.pull_request_status()),
        Some(&aws_sdk_codecommit::types::PullRequestStatusEnum::Closed)
    );
    let err = author
        .merge_pull_request_by_fast_forward()
        .pull_request_id(&pr)
        .repository_name("app")
        .send()
        .await
        .err()
        .context("a merged pull request cannot merge again")?;
    assert!(
        err.into_service_error()
            .is_pull_request_already_closed_exception()
    );
    let err = scanner
        .update_pull_request_approval_state()
        .pull_request_id(&pr)
        .revision_id(revision(&author, &pr).await?)
        .approval_state(ApprovalState::Approve)
        .send()
        .await
        .err()
        .context("a closed pull request cannot be approved")?;
    assert!(
        err.into_service_error()
            .is_pull_request_already_closed_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_apply_to_new_pull_requests_into_their_destinations_only() -> Result<()> {
    let local = LocalAws::start().await?;
    let cc = local.codecommit().await;
    let scanner = local.codecommit_as(SCANNER_ACCESS_KEY).await;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "README.md", b"# app\n", "init")?;
    git(&repo, &["branch", "dev"])?;
    git(&repo, &["checkout", "-q", "-b", "early"])?;
    commit_file(&repo, "a", b"a\n", "a")?;
    // GIVEN a pull request opened before the association
    let early = open_pull_request(&cc, "app", "early").await?;
    create_template(&cc).await?;
    cc.associate_approval_rule_template_with_repository()
        .approval_rule_template_name(TEMPLATE)
        .repository_name("app")
        .send()
        .await?;
    // AND one into a branch the rule does not name
    git(&repo, &["checkout", "-q", "-b", "to-dev", "dev"])?;
    commit_file(&repo, "b", b"b\n", "b")?;
    let out = cc
        .create_pull_request()
        .title("into dev")
        .targets(
            Target::builder()
                .repository_name("app")
                .source_reference("to-dev")
                .destination_reference("dev")
                .build()?,
        )
        .client_request_token("to-dev")
        .send()
        .await?;
    let to_dev = out
        .pull_request()
        .context("no pull request")?
        .approval_rules()
        .len();
    // THEN neither has a rule, and an approval-free pull request merges
    assert_eq!(to_dev, 0);
    let rev = revision(&cc, &early).await?;
    assert_eq!(approved(&cc, &early, &rev).await?, (true, vec![]));

    // AND a destination that moved on needs a manual merge
    git(&repo, &["checkout", "-q", "main"])?;
    commit_file(&repo, "c", b"c\n", "c on main")?;
    git(&repo, &["checkout", "-q", "early"])?;
    let rev = revision(&cc, &early).await?;
    set_state(&scanner, &early, &rev, ApprovalState::Approve).await?;
    let err = cc
        .merge_pull_request_by_fast_forward()
        .pull_request_id(&early)
        .repository_name("app")
        .send()
        .await
        .err()
        .context("a diverged destination cannot be fast-forwarded")?;
    assert!(
        err.into_service_error()
            .is_manual_merge_required_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_its_author_updates_a_comment() -> Result<()> {
    let local = LocalAws::start().await?;
    let cc = local.codecommit().await;
    let scanner = local.codecommit_as(SCANNER_ACCESS_KEY).await;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let base = commit_file(&repo, "README.md", b"# app\n", "init")?;
    git(&repo, &["checkout", "-q", "-b", "feature"])?;
    let tip = commit_file(&repo, "a", b"a\n", "a")?;
    let pr = open_pull_request(&cc, "app", "feature").await?;
    // GIVEN a comment by the scanner
    let posted = scanner
        .post_comment_for_pull_request()
        .pull_request_id(&pr)
        .repository_name("app")
        .before_commit_id(&base)
        .after_commit_id(&tip)
        .content("first")
        .client_request_token("summary")
        .send()
        .await?;
    let comment = posted.comment().context("no comment")?;
    assert_eq!(comment.author_arn(), Some(SCANNER_ARN));
    let id = comment.comment_id().context("no id")?.to_owned();
    // WHEN its author updates it THEN the pull request shows the new text
    let updated = scanner
        .update_comment()
        .comment_id(&id)
        .content("second")
        .send()
        .await?;
    assert_eq!(updated.comment().and_then(|c| c.content()), Some("second"));
    let listed = cc
        .get_comments_for_pull_request()
        .pull_request_id(&pr)
        .send()
        .await?;
    let contents: Vec<Option<&str>> = listed
        .comments_for_pull_request_data()
        .iter()
        .flat_map(|g| g.comments().iter().map(|c| c.content()))
        .collect();
    assert_eq!(contents, vec![Some("second")]);
    // AND someone else, or an unknown id, is refused
    let err = cc
        .update_comment()
        .comment_id(&id)
        .content("mine now")
        .send()
        .await
        .err()
        .context("another caller must not update it")?;
    assert!(
        err.into_service_error()
            .is_comment_not_created_by_caller_exception()
    );
    let err = scanner
        .update_comment()
        .comment_id("missing")
        .content("x")
        .send()
        .await
        .err()
        .context("an unknown comment")?;
    assert!(
        err.into_service_error()
            .is_comment_does_not_exist_exception()
    );
    Ok(())
}
