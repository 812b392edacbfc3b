//! A change of a repository's default branch, alerted once.
//!
//! What the scanner trusts (the configuration, the baseline, where a walk
//! stops) is the default branch's tip commit ([`DefaultBranch`]). Whoever
//! may call `codecommit:UpdateDefaultBranch` can therefore choose what is
//! trusted: point the default branch at a branch whose `.codewarden.toml`
//! allows everything. The template's `ProtectedBranchPolicy` denies that
//! action to developers; this module makes any change that still happens
//! (an administrator, a role outside the policy) visible.
//!
//! CodeCommit emits no event for it, so each push event compares the
//! default branch GetRepository names with the one recorded in S3 at
//! `<MARKER_PREFIX><repository>/default-branch.json`:
//!
//! - none recorded (the first event the scanner sees for the repository):
//!   it is recorded, nothing is alerted;
//! - the same: nothing;
//! - another: one alert (guarded by a claim marker named after the old
//!   record and the new name, so concurrent or repeated events alert
//!   once), then the new name is recorded (with the time, so that a later
//!   change back and forth alerts again).
//!
//! A failed publish releases the claim and fails the event (Lambda
//! retries); a failure to record after the alert is retried too and does
//! not alert twice (the claim stays).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::masked::Masked;
use shared::notify::{Alert, Format, Severity};
use tracing::{info, warn};

use crate::Error;
use crate::ports::{DefaultBranch, Notifier, Store};
use crate::report::token;

/// What is recorded per repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub default_branch: String,
    /// When it was recorded (RFC 3339): names this record in the claim.
    pub since: String,
}

/// What [`watch`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watched {
    /// Recorded for the first time, or unchanged.
    Unchanged,
    /// Changed and alerted now (the message id).
    Alerted { from: String, message_id: String },
    /// Changed, alerted by an earlier delivery.
    AlreadyAlerted,
}

/// Where the default branch of `repository` is recorded.
pub fn record_key(marker_prefix: &str, repository: &str) -> String {
    format!("{marker_prefix}{repository}/default-branch.json")
}

/// What the scanner needs to alert.
pub struct Alerting<'a, N, T> {
    pub store: &'a T,
    pub notifier: &'a N,
    pub format: Format,
    pub marker_prefix: &'a str,
    pub region: &'a str,
}

/// Compares `current` with the recorded default branch of `repository`,
/// as the module says.
pub async fn watch<N: Notifier, T: Store>(
    alerting: &Alerting<'_, N, T>,
    repository: &str,
    current: &DefaultBranch,
) -> Result<Watched, Error> {
    let key = record_key(alerting.marker_prefix, repository);
    let recorded = match alerting.store.get_text(&key).await? {
        Some(text) => match serde_json::from_str::<Recorded>(&text) {
            Ok(recorded) => Some(recorded),
            Err(error) => {
                // Written by us: unreadable means damaged. Record anew
                // and say so, rather than fail every push.
                warn!(repository, error = %error, "the recorded default branch is unreadable: recorded anew");
                None
            }
        },
        None => None,
    };
    let record = || async {
        let body = serde_json::to_value(&Recorded {
            default_branch: current.name.clone(),
            since: chrono::Utc::now().to_rfc3339(),
        })
        .unwrap_or_default();
        alerting.store.put_json(&key, &Masked::json(&body)).await
    };
    let Some(recorded) = recorded else {
        record().await?;
        return Ok(Watched::Unchanged);
    };
    // The record is written masked: the name is compared as recorded.
    if recorded.default_branch == Masked::new(&current.name).as_str() {
        return Ok(Watched::Unchanged);
    }
    let claim = format!(
        "{}{repository}/default-branch-changed-{}",
        alerting.marker_prefix,
        token(&[&recorded.default_branch, &recorded.since, &current.name])
    );
    if !alerting.store.claim(&claim).await? {
        record().await?;
        return Ok(Watched::AlreadyAlerted);
    }
    let message = alert(
        repository,
        &recorded.default_branch,
        current,
        alerting.region,
    )
    .render(alerting.format);
    let message_id = match alerting.notifier.publish(&message).await {
        Ok(id) => id,
        Err(error) => {
            if let Err(release) = alerting.store.release(&claim).await {
                warn!(error = %release, "could not delete the marker after a failed publish");
            }
            return Err(error);
        }
    };
    info!(repository, message_id = %message_id, "default branch change alerted");
    record().await?;
    Ok(Watched::Alerted {
        from: recorded.default_branch,
        message_id,
    })
}

/// The alert of a default branch change.
fn alert(repository: &str, from: &str, to: &DefaultBranch, region: &str) -> Alert {
    let title = format!("codewarden: {repository}: default branch changed");
    let text = format!(
        "The default branch of repository {repository} changed from `{from}` to `{to}` (at commit {commit}).\n\n\
         The secret scanner trusts the default branch: its .codewarden.toml and baseline decide what is \
         reported from now on. If nobody meant to change it, set it back (aws codecommit \
         update-default-branch --repository-name {repository} --default-branch-name {from}) and review \
         who holds codecommit:UpdateDefaultBranch.",
        to = to.name,
        commit = to.commit,
    );
    Alert {
        title,
        text,
        document: json!({
            "kind": "default-branch-changed",
            "repository": repository,
            "region": region,
            "from": from,
            "to": to.name,
            "commit": to.commit,
        }),
        severity: Severity::High,
        attributes: BTreeMap::from([
            ("kind".to_owned(), "default-branch-changed".to_owned()),
            ("repository".to_owned(), repository.to_owned()),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alert_names_both_branches_and_masks_repository_text()
    -> Result<(), Box<dyn std::error::Error>> {
        // GIVEN a change from main to a branch whose name holds a key
        let to = DefaultBranch {
            name: "AKIAZ7Q3XK2LMNB4RT6Y".into(),
            commit: "a".repeat(40),
        };
        // WHEN rendered as the watch renders it
        let message = alert("web", "main", &to, "eu-west-1").render(Format::Json);
        // THEN it says what changed, the key masked everywhere
        assert!(message.subject.as_str().contains("default branch changed"));
        assert!(
            message.message.as_str().contains("`main`"),
            "{:?}",
            message.message
        );
        assert!(!format!("{message:?}").contains("AKIAZ7Q3XK2LMNB4RT6Y"));
        Ok(())
    }
}
