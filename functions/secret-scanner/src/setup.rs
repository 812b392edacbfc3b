//! Push protection setup (`codewarden protect`): one approval rule
//! template requiring the secret scanner's approval, associated with every
//! repository that `RepositoryFilter` selects. Idempotent: run it again
//! after creating repositories; an existing template with the same content
//! is kept, one with other content is reported (never silently replaced).
//!
//! IAM for whoever runs it: `codecommit:GetApprovalRuleTemplate`,
//! `CreateApprovalRuleTemplate`, `ListRepositories`,
//! `BatchAssociateApprovalRuleTemplateWithRepositories`.

use aws_sdk_codecommit::error::ProvideErrorMetadata;
use serde_json::json;

use crate::Error;
use crate::adapters::aws_error;

/// CodeCommit's batch size for BatchAssociateApprovalRuleTemplateWithRepositories.
const ASSOCIATE_BATCH: usize = 25;

/// What to install.
#[derive(Clone, Debug)]
pub struct Protection {
    /// `codewarden-secret-scan` by default.
    pub template_name: String,
    /// The approval pool member: the scanner's role sessions,
    /// `arn:aws:sts::<account>:assumed-role/<role>/*`.
    pub approver: String,
    /// `refs/heads/<branch>` destinations the rule applies to; empty: every
    /// destination branch.
    pub destinations: Vec<String>,
    /// Which repositories (the stack's `RepositoryFilter`); `None`: all.
    pub repository_filter: Option<globset::GlobSet>,
}

/// The approval pool member for a role ARN
/// (`arn:aws:iam::123456789012:role/path/name` ->
/// `arn:aws:sts::123456789012:assumed-role/name/*`): a Lambda function's
/// calls are made by sessions of its role, and assumed-role ARNs drop the
/// role's path.
pub fn approver_for_role(role_arn: &str) -> Result<String, String> {
    let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] if !account.is_empty() => {
            let name = resource
                .strip_prefix("role/")
                .and_then(|path| path.rsplit('/').next())
                .filter(|name| !name.is_empty())
                .ok_or_else(|| {
                    format!("{role_arn} is not a role ARN (arn:aws:iam::<account>:role/<name>)")
                })?;
            Ok(format!(
                "arn:{partition}:sts::{account}:assumed-role/{name}/*"
            ))
        }
        _ => Err(format!(
            "{role_arn} is not a role ARN (arn:aws:iam::<account>:role/<name>)"
        )),
    }
}

impl Protection {
    /// The template's approval rule content (CodeCommit's 2018-11-08 format).
    pub fn rule_content(&self) -> String {
        let mut content = json!({
            "Version": "2018-11-08",
            "Statements": [{
                "Type": "Approvers",
                "NumberOfApprovalsNeeded": 1,
                "ApprovalPoolMembers": [self.approver],
            }],
        });
        if !self.destinations.is_empty() {
            content["DestinationReferences"] = json!(self.destinations);
        }
        content.to_string()
    }

    fn wants(&self, repository: &str) -> bool {
        self.repository_filter
            .as_ref()
            .is_none_or(|filter| filter.is_match(repository))
    }
}

/// What [`protect`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Protected {
    /// `false`: the template existed with this content already.
    pub created: bool,
    /// Repositories the template is associated with now (sorted).
    pub repositories: Vec<String>,
    /// Repositories that could not be associated, with CodeCommit's reason.
    pub failed: Vec<(String, String)>,
}

/// Why setup stopped.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "approval rule template {name} exists with other content: delete it \
         (aws codecommit delete-approval-rule-template --approval-rule-template-name {name}) \
         or choose another --template-name"
    )]
    Conflict { name: String },
    #[error(transparent)]
    Aws(#[from] Error),
}

/// Creates the template unless it exists and associates it with every
/// repository of `ListRepositories` that the filter selects.
pub async fn protect(
    client: &aws_sdk_codecommit::Client,
    protection: &Protection,
) -> Result<Protected, SetupError> {
    let content = protection.rule_content();
    let name = protection.template_name.as_str();
    let created = match existing_content(client, name).await? {
        Some(existing) if same_rule(&existing, &content) => false,
        Some(_) => return Err(SetupError::Conflict { name: name.into() }),
        None => {
            let result = client
                .create_approval_rule_template()
                .approval_rule_template_name(name)
                .approval_rule_template_description(
                    "codewarden: the secret scanner approves a pull request when its changes hold no secret",
                )
                .approval_rule_template_content(&content)
                .send()
                .await;
            match result {
                Ok(_) => true,
                // Created concurrently by another run: fine if it is ours.
                Err(e) if e.code() == Some("ApprovalRuleTemplateNameAlreadyExistsException") => {
                    match existing_content(client, name).await? {
                        Some(existing) if same_rule(&existing, &content) => false,
                        _ => return Err(SetupError::Conflict { name: name.into() }),
                    }
                }
                Err(e) => return Err(aws_error("CreateApprovalRuleTemplate", e).into()),
            }
        }
    };
    let repositories = repositories(client, protection).await?;
    let mut out = Protected {
        created,
        ..Protected::default()
    };
    for batch in repositories.chunks(ASSOCIATE_BATCH) {
        let result = client
            .batch_associate_approval_rule_template_with_repositories()
            .approval_rule_template_name(name)
            .set_repository_names(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("BatchAssociateApprovalRuleTemplateWithRepositories", e))?;
        out.repositories
            .extend(result.associated_repository_names().iter().cloned());
        out.failed.extend(result.errors().iter().map(|e| {
            (
                e.repository_name().unwrap_or_default().to_owned(),
                format!(
                    "{}: {}",
                    e.error_code().unwrap_or_default(),
                    e.error_message().unwrap_or_default()
                ),
            )
        }));
    }
    out.repositories.sort();
    Ok(out)
}

/// Rule contents compared as JSON (key order and spacing do not matter).
fn same_rule(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

async fn existing_content(
    client: &aws_sdk_codecommit::Client,
    name: &str,
) -> Result<Option<String>, Error> {
    match client
        .get_approval_rule_template()
        .approval_rule_template_name(name)
        .send()
        .await
    {
        Ok(output) => Ok(output
            .approval_rule_template()
            .and_then(|t| t.approval_rule_template_content())
            .map(str::to_owned)),
        Err(e) if e.code() == Some("ApprovalRuleTemplateDoesNotExistException") => Ok(None),
        Err(e) => Err(aws_error("GetApprovalRuleTemplate", e)),
    }
}

/// Every repository name the filter selects, sorted.
async fn repositories(
    client: &aws_sdk_codecommit::Client,
    protection: &Protection,
) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    let mut next_token = None;
    loop {
        let page = client
            .list_repositories()
            .set_next_token(next_token)
            .send()
            .await
            .map_err(|e| aws_error("ListRepositories", e))?;
        names.extend(
            page.repositories()
                .iter()
                .filter_map(|r| r.repository_name())
                .filter(|name| protection.wants(name))
                .map(str::to_owned),
        );
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_become_their_session_pattern() {
        assert_eq!(
            approver_for_role("arn:aws:iam::123456789012:role/codewarden-SecretScannerRole-AB12"),
            Ok("arn:aws:sts::123456789012:assumed-role/codewarden-SecretScannerRole-AB12/*".into())
        );
        assert_eq!(
            approver_for_role("arn:aws-cn:iam::123456789012:role/service/scanner"),
            Ok("arn:aws-cn:sts::123456789012:assumed-role/scanner/*".into())
        );
        assert!(approver_for_role("arn:aws:iam::123456789012:user/mary").is_err());
        assert!(approver_for_role("scanner").is_err());
    }

    #[test]
    fn the_rule_names_the_pool_and_optionally_the_branches() -> Result<(), serde_json::Error> {
        let mut protection = Protection {
            template_name: "t".into(),
            approver: "arn:aws:sts::1:assumed-role/r/*".into(),
            destinations: Vec::new(),
            repository_filter: None,
        };
        let all: serde_json::Value = serde_json::from_str(&protection.rule_content())?;
        assert_eq!(all["Statements"][0]["NumberOfApprovalsNeeded"], 1);
        assert_eq!(
            all["Statements"][0]["ApprovalPoolMembers"],
            json!(["arn:aws:sts::1:assumed-role/r/*"])
        );
        assert!(all.get("DestinationReferences").is_none());
        protection.destinations = vec!["refs/heads/main".into()];
        let main: serde_json::Value = serde_json::from_str(&protection.rule_content())?;
        assert_eq!(main["DestinationReferences"], json!(["refs/heads/main"]));
        assert!(same_rule(
            &protection.rule_content(),
            &serde_json::to_string_pretty(&main)?
        ));
        Ok(())
    }
}
