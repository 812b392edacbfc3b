//! Approval rules: approval rule templates and their association with
//! repositories, the rules a pull request gets from them when it is
//! created, approval states per pull request revision, their evaluation,
//! and `MergePullRequestByFastForward`, which refuses a pull request whose
//! rules are not satisfied. This is what makes "codewarden must approve"
//! enforceable offline.
//!
//! The pull request itself (its revision, status, author and targets) is
//! read through [`super::comments::pull_request_value`], the same answer
//! `GetPullRequest` gives, so this module depends on nothing but that
//! answer's documented shape.
//!
//! Pool members are matched as CodeCommit matches ARNs: `*` stands for any
//! characters (`arn:aws:sts::123456789012:assumed-role/scanner/*`). The
//! short `CodeCommitApprovers:...` form is not implemented.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::commits::{self, parse_id};
use super::repository;
use super::{Paging, max_results, now, put_opt, required, uuid_from};
use crate::server::lock;
use crate::{ApiError, State};

const MAX_TEMPLATE_NAME_CHARS: usize = 100;
const MAX_TEMPLATE_DESCRIPTION_CHARS: usize = 1000;
const MAX_TEMPLATE_CONTENT_CHARS: usize = 3000;
/// CodeCommit: at most 25 templates associated with one repository.
const MAX_TEMPLATES_PER_REPOSITORY: usize = 25;
const DEFAULT_LIST_PAGE: usize = 100;

/// What CodeCommit keeps about approvals, beside the pull requests.
#[derive(Debug, Default)]
pub(crate) struct Approvals {
    templates: Vec<Template>,
    /// Repository name -> names of the templates associated with it, in
    /// association order.
    associations: BTreeMap<String, Vec<String>>,
    /// (pull request id, revision id) -> the users who approved that
    /// revision. A new revision starts with no approvals, as on CodeCommit.
    approved: BTreeMap<(String, String), BTreeSet<String>>,
}

#[derive(Debug, Clone)]
struct Template {
    id: String,
    name: String,
    description: String,
    content: String,
    created: f64,
    modified: f64,
    last_modified_user: String,
}

impl Template {
    fn json(&self) -> Value {
        json!({
            "approvalRuleTemplateId": self.id,
            "approvalRuleTemplateName": self.name,
            "approvalRuleTemplateDescription": self.description,
            "approvalRuleTemplateContent": self.content,
            "ruleContentSha256": sha256(&self.content),
            "lastModifiedDate": self.modified,
            "creationDate": self.created,
            "lastModifiedUser": self.last_modified_user,
        })
    }
}

/// An approval rule of a pull request (created from a template: the only
/// way this stand-in creates them).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PullRequestRule {
    id: String,
    name: String,
    content: String,
    created: f64,
    last_modified_user: String,
    template_id: String,
    template_name: String,
}

impl PullRequestRule {
    /// The rule as `approvalRules` of a pull request holds it.
    pub(crate) fn json(&self) -> Value {
        json!({
            "approvalRuleId": self.id,
            "approvalRuleName": self.name,
            "approvalRuleContent": self.content,
            "ruleContentSha256": sha256(&self.content),
            "lastModifiedDate": self.created,
            "creationDate": self.created,
            "lastModifiedUser": self.last_modified_user,
            "originApprovalRuleTemplate": {
                "approvalRuleTemplateId": self.template_id,
                "approvalRuleTemplateName": self.template_name,
            },
        })
    }
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// An approval rule's content (`Version` 2018-11-08).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RuleContent {
    #[serde(default)]
    destination_references: Option<Vec<String>>,
    statements: Vec<Statement>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Statement {
    #[serde(rename = "Type")]
    kind: String,
    number_of_approvals_needed: u32,
    #[serde(default)]
    approval_pool_members: Option<Vec<String>>,
}

impl RuleContent {
    fn parse(content: &str) -> Result<Self, String> {
        let parsed: RuleContent = serde_json::from_str(content).map_err(|e| e.to_string())?;
        if parsed.statements.is_empty() {
            return Err("Statements is empty".into());
        }
        for statement in &parsed.statements {
            if statement.kind != "Approvers" {
                return Err(format!(
                    "statement Type {:?} is not Approvers",
                    statement.kind
                ));
            }
            if statement.number_of_approvals_needed == 0 {
                return Err("NumberOfApprovalsNeeded must be at least 1".into());
            }
        }
        Ok(parsed)
    }

    /// Whether a pull request into `destination` (`refs/heads/main`) gets
    /// the rule: every destination when `DestinationReferences` is absent.
    fn applies_to(&self, destination: &str) -> bool {
        self.destination_references
            .as_ref()
            .is_none_or(|refs| refs.iter().any(|r| r == destination))
    }

    /// Whether `approvers` satisfy every statement.
    fn satisfied_by(&self, approvers: &BTreeSet<String>) -> bool {
        self.statements.iter().all(|statement| {
            let counted = approvers
                .iter()
                .filter(|user| match &statement.approval_pool_members {
                    None => true,
                    Some(pool) => pool.iter().any(|member| arn_matches(member, user)),
                })
                .count();
            counted >= statement.number_of_approvals_needed as usize
        })
    }
}

/// `pattern` with `*` for any run of characters, against a whole ARN.
fn arn_matches(pattern: &str, arn: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return arn.is_empty(),
    };
    let Some(mut remaining) = arn.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return remaining.is_empty();
    };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.ends_with(last)
}

/// The rules a new pull request of `repository` into `destination` gets
/// from the templates associated with the repository.
pub(crate) fn rules_for_new_pull_request(
    model: &super::Model,
    repository: &str,
    destination: &str,
    pull_request_id: &str,
) -> Vec<PullRequestRule> {
    let approvals = &model.approvals;
    let Some(names) = approvals.associations.get(repository) else {
        return Vec::new();
    };
    names
        .iter()
        .filter_map(|name| approvals.templates.iter().find(|t| &t.name == name))
        .filter(|template| {
            RuleContent::parse(&template.content).is_ok_and(|c| c.applies_to(destination))
        })
        .map(|template| PullRequestRule {
            id: uuid_from(&format!("rule/{pull_request_id}/{}", template.id)),
            name: template.name.clone(),
            content: template.content.clone(),
            created: now(),
            last_modified_user: template.last_modified_user.clone(),
            template_id: template.id.clone(),
            template_name: template.name.clone(),
        })
        .collect()
}

fn template_not_found(name: &str) -> ApiError {
    ApiError::client(
        "ApprovalRuleTemplateDoesNotExistException",
        format!("The approval rule template {name} does not exist"),
    )
}

fn template_name(value: &Option<String>) -> Result<&str, ApiError> {
    let name = required(
        value,
        "ApprovalRuleTemplateNameRequiredException",
        "approvalRuleTemplateName",
    )?;
    if name.chars().count() > MAX_TEMPLATE_NAME_CHARS {
        return Err(ApiError::client(
            "InvalidApprovalRuleTemplateNameException",
            format!("a template name holds at most {MAX_TEMPLATE_NAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateTemplateInput {
    approval_rule_template_name: Option<String>,
    approval_rule_template_content: Option<String>,
    approval_rule_template_description: Option<String>,
}

pub(super) fn create_approval_rule_template(
    state: &State,
    caller: &str,
    input: CreateTemplateInput,
) -> Result<Value, ApiError> {
    let name = template_name(&input.approval_rule_template_name)?;
    let content = required(
        &input.approval_rule_template_content,
        "ApprovalRuleTemplateContentRequiredException",
        "approvalRuleTemplateContent",
    )?;
    if content.chars().count() > MAX_TEMPLATE_CONTENT_CHARS {
        return Err(ApiError::client(
            "InvalidApprovalRuleTemplateContentException",
            format!("the content holds at most {MAX_TEMPLATE_CONTENT_CHARS} characters"),
        ));
    }
    RuleContent::parse(content).map_err(|problem| {
        ApiError::client(
            "InvalidApprovalRuleTemplateContentException",
            format!("the approval rule template content is not valid: {problem}"),
        )
    })?;
    let description = input.approval_rule_template_description.unwrap_or_default();
    if description.chars().count() > MAX_TEMPLATE_DESCRIPTION_CHARS {
        return Err(ApiError::client(
            "InvalidApprovalRuleTemplateDescriptionException",
            format!("a description holds at most {MAX_TEMPLATE_DESCRIPTION_CHARS} characters"),
        ));
    }
    let mut model = lock(&state.codecommit);
    let templates = &mut model.approvals.templates;
    if templates.iter().any(|t| t.name == name) {
        return Err(ApiError::client(
            "ApprovalRuleTemplateNameAlreadyExistsException",
            format!("An approval rule template named {name} already exists"),
        ));
    }
    let created = now();
    let template = Template {
        id: uuid_from(&format!("template/{name}/{}", templates.len())),
        name: name.to_string(),
        description,
        content: content.to_string(),
        created,
        modified: created,
        last_modified_user: caller.to_string(),
    };
    templates.push(template.clone());
    tracing::info!(template = %template.name, "approval rule template created");
    Ok(json!({ "approvalRuleTemplate": template.json() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetTemplateInput {
    approval_rule_template_name: Option<String>,
}

pub(super) fn get_approval_rule_template(
    state: &State,
    input: GetTemplateInput,
) -> Result<Value, ApiError> {
    let name = template_name(&input.approval_rule_template_name)?;
    let model = lock(&state.codecommit);
    let template = model
        .approvals
        .templates
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| template_not_found(name))?;
    Ok(json!({ "approvalRuleTemplate": template.json() }))
}

/// Associates template `name` with `repository` (known to exist);
/// associating twice is not an error, as on CodeCommit.
fn associate(state: &State, name: &str, repository: &str) -> Result<(), ApiError> {
    let mut model = lock(&state.codecommit);
    let approvals = &mut model.approvals;
    if !approvals.templates.iter().any(|t| t.name == name) {
        return Err(template_not_found(name));
    }
    let names = approvals
        .associations
        .entry(repository.to_string())
        .or_default();
    if names.iter().any(|n| n == name) {
        return Ok(());
    }
    if names.len() >= MAX_TEMPLATES_PER_REPOSITORY {
        return Err(ApiError::client(
            "MaximumRuleTemplatesAssociatedWithRepositoryException",
            format!(
                "repository {repository} already has {MAX_TEMPLATES_PER_REPOSITORY} approval rule templates"
            ),
        ));
    }
    names.push(name.to_string());
    tracing::info!(template = %name, repository = %repository, "approval rule template associated");
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssociateInput {
    approval_rule_template_name: Option<String>,
    repository_name: Option<String>,
}

pub(super) fn associate_approval_rule_template_with_repository(
    state: &State,
    input: AssociateInput,
) -> Result<Value, ApiError> {
    let name = template_name(&input.approval_rule_template_name)?;
    let repo = repository::open(state, &input.repository_name)?;
    associate(state, name, &repo.name)?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BatchAssociateInput {
    approval_rule_template_name: Option<String>,
    repository_names: Option<Vec<String>>,
}

pub(super) fn batch_associate_approval_rule_template_with_repositories(
    state: &State,
    input: BatchAssociateInput,
) -> Result<Value, ApiError> {
    let name = template_name(&input.approval_rule_template_name)?;
    let names = match &input.repository_names {
        Some(names) if !names.is_empty() => names,
        _ => {
            return Err(ApiError::required(
                "RepositoryNamesRequiredException",
                "repositoryNames",
            ));
        }
    };
    if !lock(&state.codecommit)
        .approvals
        .templates
        .iter()
        .any(|t| t.name == name)
    {
        return Err(template_not_found(name));
    }
    let mut associated = Vec::new();
    let mut errors = Vec::new();
    for repository in names {
        let result = repository::open(state, &Some(repository.clone()))
            .and_then(|repo| associate(state, name, &repo.name));
        match result {
            Ok(()) => associated.push(repository.clone()),
            Err(e) => errors.push(json!({
                "repositoryName": repository,
                "errorCode": e.code,
                "errorMessage": e.message,
            })),
        }
    }
    Ok(json!({ "associatedRepositoryNames": associated, "errors": errors }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListAssociatedInput {
    repository_name: Option<String>,
    next_token: Option<String>,
    max_results: Option<i64>,
}

pub(super) fn list_associated_approval_rule_templates_for_repository(
    state: &State,
    input: ListAssociatedInput,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let names = lock(&state.codecommit)
        .approvals
        .associations
        .get(&repo.name)
        .cloned()
        .unwrap_or_default();
    let paging = Paging::new(&[
        "ListAssociatedApprovalRuleTemplatesForRepository",
        &repo.name,
    ]);
    let size = max_results(input.max_results, DEFAULT_LIST_PAGE)?;
    let offset = paging.offset(input.next_token.as_deref())?;
    let (page, next) = paging.page(&names, offset, size);
    let mut out = json!({ "approvalRuleTemplateNames": page });
    put_opt(&mut out, "nextToken", next);
    Ok(out)
}

/// What this module reads of a pull request (its `GetPullRequest` answer).
struct PullRequestView {
    id: String,
    revision_id: String,
    open: bool,
    author: String,
    repository: String,
    source_commit: String,
    destination_reference: String,
    destination_commit: String,
    rules: Vec<RuleContent>,
    raw: Value,
}

impl PullRequestView {
    fn read(state: &State, id: &Option<String>) -> Result<Self, ApiError> {
        let raw = super::comments::pull_request_value(state, id)?;
        let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
        let target = &raw["pullRequestTargets"][0];
        let rules = raw["approvalRules"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|rule| rule["approvalRuleContent"].as_str())
            .filter_map(|content| RuleContent::parse(content).ok())
            .collect();
        Ok(Self {
            id: text(&raw["pullRequestId"]),
            revision_id: text(&raw["revisionId"]),
            open: raw["pullRequestStatus"] == "OPEN",
            author: text(&raw["authorArn"]),
            repository: text(&target["repositoryName"]),
            source_commit: text(&target["sourceCommit"]),
            destination_reference: text(&target["destinationReference"]),
            destination_commit: text(&target["destinationCommit"]),
            rules,
            raw,
        })
    }

    fn approvers(&self, state: &State, revision: &str) -> BTreeSet<String> {
        lock(&state.codecommit)
            .approvals
            .approved
            .get(&(self.id.clone(), revision.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the current revision satisfies every rule (true when the
    /// pull request has none), with the rule names on each side.
    fn evaluate(&self, state: &State) -> (bool, Vec<String>, Vec<String>) {
        let approvers = self.approvers(state, &self.revision_id);
        let names: Vec<String> = self.raw["approvalRules"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|rule| {
                rule["approvalRuleName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        let mut satisfied = Vec::new();
        let mut not_satisfied = Vec::new();
        for (name, rule) in names.into_iter().zip(&self.rules) {
            if rule.satisfied_by(&approvers) {
                satisfied.push(name);
            } else {
                not_satisfied.push(name);
            }
        }
        (not_satisfied.is_empty(), satisfied, not_satisfied)
    }
}

/// A required `revisionId` in CodeCommit's form (64 hexadecimal characters).
fn revision_id(value: &Option<String>) -> Result<&str, ApiError> {
    let revision = required(value, "RevisionIdRequiredException", "revisionId")?;
    if revision.len() != 64 || !revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::client(
            "InvalidRevisionIdException",
            format!("{revision:?} is not a revision id"),
        ));
    }
    Ok(revision)
}

fn not_current(revision: &str) -> ApiError {
    ApiError::client(
        "RevisionNotCurrentException",
        format!("revision {revision} is not the current revision of the pull request"),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RevisionInput {
    pull_request_id: Option<String>,
    revision_id: Option<String>,
}

pub(super) fn get_pull_request_approval_states(
    state: &State,
    input: RevisionInput,
) -> Result<Value, ApiError> {
    let pr = PullRequestView::read(state, &input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    // Earlier revisions can be asked about: their approvals are kept.
    let approvals: Vec<Value> = pr
        .approvers(state, revision)
        .into_iter()
        .map(|user| json!({ "userArn": user, "approvalState": "APPROVE" }))
        .collect();
    Ok(json!({ "approvals": approvals }))
}

pub(super) fn evaluate_pull_request_approval_rules(
    state: &State,
    input: RevisionInput,
) -> Result<Value, ApiError> {
    let pr = PullRequestView::read(state, &input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    if revision != pr.revision_id {
        return Err(not_current(revision));
    }
    let (approved, satisfied, not_satisfied) = pr.evaluate(state);
    Ok(json!({ "evaluation": {
        "approved": approved,
        "overridden": false,
        "approvalRulesSatisfied": satisfied,
        "approvalRulesNotSatisfied": not_satisfied,
    }}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateApprovalStateInput {
    pull_request_id: Option<String>,
    revision_id: Option<String>,
    approval_state: Option<String>,
}

pub(super) fn update_pull_request_approval_state(
    state: &State,
    caller: &str,
    input: UpdateApprovalStateInput,
) -> Result<Value, ApiError> {
    let pr = PullRequestView::read(state, &input.pull_request_id)?;
    let revision = revision_id(&input.revision_id)?;
    let approve = match input.approval_state.as_deref() {
        None | Some("") => {
            return Err(ApiError::required(
                "ApprovalStateRequiredException",
                "approvalState",
            ));
        }
        Some("APPROVE") => true,
        Some("REVOKE") => false,
        Some(other) => {
            return Err(ApiError::client(
                "InvalidApprovalStateException",
                format!("approvalState must be APPROVE or REVOKE, not {other:?}"),
            ));
        }
    };
    if !pr.open {
        return Err(ApiError::client(
            "PullRequestAlreadyClosedException",
            format!("pull request {} is closed", pr.id),
        ));
    }
    if revision != pr.revision_id {
        return Err(not_current(revision));
    }
    if approve && caller == pr.author {
        return Err(ApiError::client(
            "PullRequestCannotBeApprovedByAuthorException",
            "the author of a pull request cannot approve it",
        ));
    }
    let mut model = lock(&state.codecommit);
    let approvers = model
        .approvals
        .approved
        .entry((pr.id.clone(), revision.to_string()))
        .or_default();
    if approve {
        approvers.insert(caller.to_string());
    } else {
        approvers.remove(caller);
    }
    tracing::info!(pull_request = %pr.id, approve, "approval state updated");
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MergeInput {
    pull_request_id: Option<String>,
    repository_name: Option<String>,
    source_commit_id: Option<String>,
}

/// Fast-forwards the destination branch to the source commit, if the
/// pull request is open, its rules are satisfied and the destination is
/// an ancestor of the source. The branch moves by compare-and-swap, so a
/// concurrent push is refused (`ConcurrentReferenceUpdateException`)
/// rather than overwritten.
pub(super) fn merge_pull_request_by_fast_forward(
    state: &State,
    caller: &str,
    input: MergeInput,
) -> Result<Value, ApiError> {
    let pr = PullRequestView::read(state, &input.pull_request_id)?;
    let repo = repository::open(state, &input.repository_name)?;
    if repo.name != pr.repository {
        return Err(ApiError::client(
            "RepositoryNotAssociatedWithPullRequestException",
            format!(
                "Repository {} is not a target of pull request {}",
                repo.name, pr.id
            ),
        ));
    }
    if let Some(expected) = input.source_commit_id.as_deref().filter(|s| !s.is_empty()) {
        if parse_id(expected).is_none() {
            return Err(ApiError::client(
                "InvalidCommitIdException",
                format!("{expected:?} is not a full commit id"),
            ));
        }
        if expected != pr.source_commit {
            return Err(ApiError::client(
                "TipOfSourceReferenceIsDifferentException",
                format!(
                    "the source branch is at {}, not {expected}",
                    pr.source_commit
                ),
            ));
        }
    }
    if !pr.open {
        return Err(ApiError::client(
            "PullRequestAlreadyClosedException",
            format!("pull request {} is closed", pr.id),
        ));
    }
    let (approved, _, not_satisfied) = pr.evaluate(state);
    if !approved {
        return Err(ApiError::client(
            "PullRequestApprovalRulesNotSatisfiedException",
            format!(
                "pull request {} cannot be merged: approval rules not satisfied: {}",
                pr.id,
                not_satisfied.join(", ")
            ),
        ));
    }
    let internal_id = |value: &str| {
        parse_id(value).ok_or_else(|| ApiError::server(format!("pull request commit {value:?}")))
    };
    let source = internal_id(&pr.source_commit)?;
    let destination = internal_id(&pr.destination_commit)?;
    if commits::merge_base(&repo.git, source, destination)? != Some(destination) {
        return Err(ApiError::client(
            "ManualMergeRequiredException",
            "the destination branch has commits the source does not: a fast-forward merge is not possible",
        ));
    }
    use gix::refs::transaction::PreviousValue;
    let mut git = repo.git.clone();
    // The reflog entry needs a committer; isolated repositories have none.
    {
        let mut config = git.config_snapshot_mut();
        for (key, value) in [
            (&gix::config::tree::Committer::NAME, "local-aws"),
            (&gix::config::tree::Committer::EMAIL, "local-aws@localhost"),
        ] {
            config
                .set_value(key, value)
                .map_err(|e| ApiError::server(format!("configuring the committer: {e}")))?;
        }
        config
            .commit()
            .map_err(|e| ApiError::server(format!("configuring the committer: {e}")))?;
    }
    git.reference(
        pr.destination_reference.as_str(),
        source,
        PreviousValue::MustExistAndMatch(gix::refs::Target::Object(destination)),
        format!("merge pull request {} (fast-forward)", pr.id),
    )
    .map_err(|e| {
        ApiError::client(
            "ConcurrentReferenceUpdateException",
            format!("{} changed while merging: {e}", pr.destination_reference),
        )
    })?;
    tracing::info!(pull_request = %pr.id, repository = %repo.name, "pull request merged (fast-forward)");
    let mut merged = PullRequestView::read(state, &input.pull_request_id)?.raw;
    // As CodeCommit answers: the pull request closed, merged by the caller.
    merged["pullRequestStatus"] = json!("CLOSED");
    if let Some(target) = merged["pullRequestTargets"].get_mut(0) {
        target["mergeMetadata"] = json!({
            "isMerged": true,
            "mergedBy": caller,
            "mergeCommitId": pr.source_commit,
            "mergeOption": "FAST_FORWARD_MERGE",
        });
    }
    Ok(json!({ "pullRequest": merged }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_members_match_with_wildcards() {
        let pool = "arn:aws:sts::123456789012:assumed-role/scanner/*";
        assert!(arn_matches(
            pool,
            "arn:aws:sts::123456789012:assumed-role/scanner/secret-scanner"
        ));
        assert!(!arn_matches(
            pool,
            "arn:aws:sts::123456789012:assumed-role/scanner-other/x"
        ));
        assert!(!arn_matches(
            pool,
            "arn:aws:iam::123456789012:user/local-aws"
        ));
        assert!(arn_matches(
            "arn:aws:iam::1:user/a",
            "arn:aws:iam::1:user/a"
        ));
        assert!(!arn_matches(
            "arn:aws:iam::1:user/a",
            "arn:aws:iam::1:user/ab"
        ));
        assert!(arn_matches("arn:*:user/*b", "arn:aws:iam::1:user/ab"));
    }

    #[test]
    fn rules_count_only_pool_members_and_honour_destinations() -> Result<(), String> {
        let rule = RuleContent::parse(
            r#"{"Version": "2018-11-08", "DestinationReferences": ["refs/heads/main"],
                "Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 1,
                  "ApprovalPoolMembers": ["arn:aws:sts::1:assumed-role/scanner/*"]}]}"#,
        )?;
        assert!(rule.applies_to("refs/heads/main") && !rule.applies_to("refs/heads/dev"));
        let outsider = BTreeSet::from(["arn:aws:iam::1:user/dev".to_string()]);
        assert!(!rule.satisfied_by(&outsider));
        let scanner = BTreeSet::from(["arn:aws:sts::1:assumed-role/scanner/fn".to_string()]);
        assert!(rule.satisfied_by(&scanner));
        assert!(RuleContent::parse(r#"{"Statements": []}"#).is_err());
        assert!(
            RuleContent::parse(
                r#"{"Statements": [{"Type": "Approvers", "NumberOfApprovalsNeeded": 0}]}"#
            )
            .is_err()
        );
        Ok(())
    }
}
