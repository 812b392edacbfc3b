//! CodeCommit EventBridge details: *Repository State Change* (pushes, new and
//! deleted branches and tags) and *Pull Request State Change*.
//!
//! `aws_lambda_events` has no type for these (its `code_commit` module is the
//! older repository-trigger format), so they are ours. Field names are
//! CodeCommit's camelCase.

use serde::{Deserialize, Serialize};

use super::lenient::{self, string_enum};

string_enum! {
    /// `detail.event` of a *Repository State Change*.
    pub enum RepositoryEventKind {
        /// A branch or tag was created: only `commitId` is set.
        ReferenceCreated => "referenceCreated",
        /// A branch or tag moved: `oldCommitId` -> `commitId`.
        ReferenceUpdated => "referenceUpdated",
        /// A branch or tag was deleted: only `oldCommitId` is set.
        ReferenceDeleted => "referenceDeleted",
        /// A merge commit made by the API that no reference points to yet.
        UnreferencedMergeCommitCreated => "unreferencedMergeCommitCreated",
    }
}

string_enum! {
    /// `detail.referenceType`.
    pub enum ReferenceType {
        Branch => "branch",
        Tag => "tag",
    }
}

string_enum! {
    /// `detail.event` of a *Pull Request State Change*.
    pub enum PullRequestEventKind {
        PullRequestCreated => "pullRequestCreated",
        PullRequestSourceBranchUpdated => "pullRequestSourceBranchUpdated",
        PullRequestStatusChanged => "pullRequestStatusChanged",
        PullRequestMergeStatusUpdated => "pullRequestMergeStatusUpdated",
    }
}

string_enum! {
    /// `detail.pullRequestStatus`.
    pub enum PullRequestStatus {
        Open => "Open",
        Closed => "Closed",
    }
}

/// Detail of `aws.codecommit` / `CodeCommit Repository State Change`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeCommitRepositoryStateChange {
    pub event: RepositoryEventKind,
    pub repository_name: String,
    pub repository_id: Option<String>,
    /// Absent on `unreferencedMergeCommitCreated`.
    pub reference_type: Option<ReferenceType>,
    /// `main`, `feature/x`, `v1.4.0`.
    pub reference_name: Option<String>,
    /// `refs/heads/main`, `refs/tags/v1.4.0`.
    pub reference_full_name: Option<String>,
    /// Where the reference points now; absent on `referenceDeleted`.
    pub commit_id: Option<String>,
    /// Where the reference pointed before; absent on `referenceCreated`.
    pub old_commit_id: Option<String>,
    /// Absent on events that CodeCommit itself caused (merges by the API).
    pub caller_user_arn: Option<String>,
    /// Set when the update is a merge made through CodeCommit.
    pub base_commit_id: Option<String>,
    pub source_commit_id: Option<String>,
    pub destination_commit_id: Option<String>,
    pub merge_option: Option<String>,
}

/// Detail of `aws.codecommit` / `CodeCommit Pull Request State Change`.
///
/// Approval-rule events share this detail type and carry only some of these
/// fields, hence the many `Option`s.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeCommitPullRequestStateChange {
    pub event: PullRequestEventKind,
    /// A decimal string (`"42"`); a number is accepted too.
    #[serde(deserialize_with = "lenient::string")]
    pub pull_request_id: String,
    /// Always one repository for CodeCommit pull requests.
    pub repository_names: Vec<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub author: Option<String>,
    pub caller_user_arn: Option<String>,
    /// `refs/heads/feature/x`.
    pub source_reference: Option<String>,
    /// `refs/heads/main`.
    pub destination_reference: Option<String>,
    pub source_commit: Option<String>,
    pub destination_commit: Option<String>,
    pub merge_base: Option<String>,
    pub pull_request_status: Option<PullRequestStatus>,
    /// Sent as the string `"False"` / `"True"`.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pub is_merged: Option<bool>,
    pub revision_id: Option<String>,
    /// Human-readable summary, with `=` escaped as `\u003d` by AWS (JSON
    /// decoding restores it).
    pub notification_body: Option<String>,
    /// Free-form dates such as `Tue May 14 09:30:11 UTC 2024`: kept as text.
    pub creation_date: Option<String>,
    pub last_modified_date: Option<String>,
}

impl CodeCommitPullRequestStateChange {
    /// The pull request's repository (the first of `repositoryNames`).
    pub fn repository_name(&self) -> Option<&str> {
        self.repository_names.first().map(String::as_str)
    }
}
