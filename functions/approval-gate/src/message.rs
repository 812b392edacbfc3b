//! What approvers receive when the policy asks a human: an SNS alert with
//! an **Approve** and a **Reject** link, each opening a confirmation page
//! of approval-callback (a mail scanner that opens the links decides
//! nothing).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use shared::approval::policy::short;
use shared::approval::{ApprovalLink, Decision, SigningKey};
use shared::events::ApprovalMessage;
use shared::masked::Masked;
use shared::notify::{Alert, Format, Severity, SnsPublish};

/// Everything the request to approvers says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HumanRequest<'a> {
    pub message: &'a ApprovalMessage,
    pub execution_id: &'a str,
    pub repository: Option<&'a str>,
    pub commit: Option<&'a str>,
    pub commit_summary: Option<&'a str>,
    pub requester: Option<&'a str>,
    /// The commits checked, e.g. `3 commits since the last successful
    /// execution e-1 (commit 1a2b3c4d)`.
    pub history: Option<&'a str>,
    /// Why the policy did not decide.
    pub reason: &'a str,
}

impl HumanRequest<'_> {
    /// The link for `decision`, signed with `key`, on `callback_url`.
    pub fn link(&self, decision: Decision) -> ApprovalLink {
        let approval = &self.message.approval;
        ApprovalLink {
            pipeline: approval.pipeline_name.clone(),
            stage: approval.stage_name.clone(),
            action: approval.action_name.clone(),
            token: approval.token.clone(),
            decision,
            expires: approval.expires,
            execution_id: Some(self.execution_id.to_owned()),
            repository: self.repository.map(str::to_owned),
            commit: self.commit.map(str::to_owned),
            requester: self.requester.map(|r| r.chars().take(200).collect()),
        }
    }

    /// The SNS publish for the approvers topic: the alert masked, the two
    /// signed links kept as they are (their free-text fields are masked
    /// before signing, [`ApprovalLink::masked_url`]).
    pub fn publish(&self, callback_url: &str, key: &SigningKey, format: Format) -> SnsPublish {
        let links = self.links(callback_url, key);
        self.alert(callback_url, key).render_keeping(format, &links)
    }

    /// The approve and reject links, signed.
    fn links(&self, callback_url: &str, key: &SigningKey) -> [Masked; 2] {
        [Decision::Approve, Decision::Reject].map(|d| self.link(d).masked_url(callback_url, key))
    }

    /// The alert for the approvers topic (before masking: see
    /// [`HumanRequest::publish`]).
    pub fn alert(&self, callback_url: &str, key: &SigningKey) -> Alert {
        let approval = &self.message.approval;
        let [approve, reject] = self.links(callback_url, key);
        let commit = match (self.commit, self.repository) {
            (Some(c), Some(r)) => format!("{} in {r}", short(c)),
            (Some(c), None) => short(c).to_owned(),
            (None, _) => "unknown".to_owned(),
        };
        let mut text = format!(
            "CodePipeline is waiting for a manual approval.\n\n\
             Pipeline:   {}\nStage:      {}\nAction:     {}\nExecution:  {}\nCommit:     {commit}\n",
            approval.pipeline_name, approval.stage_name, approval.action_name, self.execution_id,
        );
        if let Some(summary) = self.commit_summary.and_then(|s| s.lines().next()) {
            text.push_str(&format!("Message:    {summary}\n"));
        }
        if let Some(requester) = self.requester {
            text.push_str(&format!("Started by: {requester}\n"));
        }
        if let Some(history) = self.history {
            text.push_str(&format!("Checked:    {history}\n"));
        }
        text.push_str(&format!("Expires:    {}\n", expiry(approval.expires)));
        text.push_str(&format!("\nWhy you are asked: {}\n", self.reason));
        if let Some(comments) = &approval.custom_data {
            text.push_str(&format!("Comments: {comments}\n"));
        }
        if let Some(review) = &approval.external_entity_link {
            text.push_str(&format!("Review: {review}\n"));
        }
        text.push_str(&format!(
            "\nApprove: {approve}\n\nReject: {reject}\n\n\
             Each link opens a confirmation page; nothing is decided until you confirm there.\n"
        ));
        let document = json!({
            "kind": "approval-request",
            "pipeline": approval.pipeline_name,
            "stage": approval.stage_name,
            "action": approval.action_name,
            "executionId": self.execution_id,
            "repository": self.repository,
            "commit": self.commit,
            "requester": self.requester,
            "history": self.history,
            "reason": self.reason,
            "expires": expiry(approval.expires),
            "approveUrl": approve,
            "rejectUrl": reject,
        });
        let attributes = BTreeMap::from([
            ("kind".to_owned(), "approval-request".to_owned()),
            ("pipeline".to_owned(), approval.pipeline_name.clone()),
            ("stage".to_owned(), approval.stage_name.clone()),
        ]);
        Alert {
            title: format!(
                "Approval needed: {} / {} / {}",
                approval.pipeline_name, approval.stage_name, approval.action_name
            ),
            text,
            document,
            severity: Severity::Info,
            attributes,
        }
    }
}

fn expiry(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::events::ApprovalRequest;

    fn message(custom_data: Option<&str>) -> ApprovalMessage {
        ApprovalMessage {
            region: "us-east-1".into(),
            console_link: None,
            approval: ApprovalRequest {
                pipeline_name: "web".into(),
                stage_name: "Approve".into(),
                action_name: "Manual".into(),
                token: "6d2a8f4c-1e3b-4a5d-9c7e-2b4d6f8a0c1e".into(),
                expires: DateTime::from_timestamp(1_767_830_400, 0).unwrap_or_default(),
                external_entity_link: Some("https://example.com/release/1.4".into()),
                approval_review_link: None,
                custom_data: custom_data.map(str::to_owned),
            },
        }
    }

    #[test]
    fn request_to_approvers() -> Result<(), Box<dyn std::error::Error>> {
        // GIVEN a clean commit outside the change window
        let message = message(Some("Check the staging smoke tests."));
        let request = HumanRequest {
            message: &message,
            execution_id: "e-1",
            repository: Some("app"),
            commit: Some("4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"),
            commit_summary: Some("Fix login\n\nlong body"),
            requester: Some("arn:aws:iam::123456789012:user/alice"),
            history: Some("2 commits since the last successful execution e-0 (commit 0a1b2c3d)"),
            reason: "commit 4c1f0e9d scanned clean, but outside the change windows; history: \
                     2 commits since the last successful execution e-0 (commit 0a1b2c3d), all scanned clean",
        };
        let key = SigningKey::new(vec![1u8; 32])?;
        // WHEN rendered
        let publish = request.publish(
            "https://cb.lambda-url.us-east-1.on.aws/",
            &key,
            Format::Json,
        );
        // THEN both links are signed and the text says why a person is asked
        assert_eq!(publish.subject, "Approval needed: web / Approve / Manual");
        let all: serde_json::Value = serde_json::from_str(&publish.message)?;
        let text = all["default"].as_str().unwrap_or_default();
        insta::assert_snapshot!("request_text", text);
        for decision in [Decision::Approve, Decision::Reject] {
            let query = request.link(decision).query(&key);
            assert!(text.contains(&query), "{decision:?} link");
        }
        let document: serde_json::Value =
            serde_json::from_str(all["sqs"].as_str().unwrap_or("{}"))?;
        insta::with_settings!({sort_maps => true}, {
            insta::assert_json_snapshot!("request_document", document);
        });
        Ok(())
    }

    #[test]
    fn repository_text_in_the_request_is_masked_and_the_links_still_verify()
    -> Result<(), Box<dyn std::error::Error>> {
        // GIVEN a key in the commit message, the custom data and the requester
        let key_id = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
        let message = message(Some(&format!("deploy with {key_id}")));
        let summary = format!("add {key_id} for now");
        let requester = format!("branch {key_id}");
        let request = HumanRequest {
            message: &message,
            execution_id: "e-1",
            repository: Some("app"),
            commit: Some("4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"),
            commit_summary: Some(&summary),
            requester: Some(&requester),
            history: None,
            reason: "outside the change windows",
        };
        let key = SigningKey::new(vec![1u8; 32])?;
        // WHEN published
        let publish = request.publish("https://cb/", &key, Format::Json);
        // THEN the key is nowhere
        let all = format!("{publish:?}");
        assert!(!all.contains(&key_id), "{all}");
        // AND each link in the text still verifies (its fields masked
        // before signing)
        let message: serde_json::Value = serde_json::from_str(publish.message.as_str())?;
        let text = message["default"].as_str().unwrap_or_default();
        let mut verified = 0;
        for line in text
            .lines()
            .filter(|l| l.starts_with("Approve: ") || l.starts_with("Reject: "))
        {
            let query = line.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let signed = ApprovalLink::from_query(query.as_bytes())?;
            signed.verify(
                &key,
                DateTime::from_timestamp(1_767_000_000, 0).unwrap_or_default(),
            )?;
            verified += 1;
        }
        assert_eq!(verified, 2);
        Ok(())
    }
}
