//! The full-history sweep: every commit of every branch of every watched
//! repository, scanned over git ([`crate::git_path`]) with today's rules.
//!
//! It starts from an EventBridge *Scheduled Event* (the template's
//! `SecretScanSweepSchedule`), or on demand from the same event sent with
//! `aws lambda invoke`; `detail.repositories` (a list of names) narrows it,
//! otherwise `ListRepositories` gives them, `RepositoryFilter` applied.
//!
//! The invocation that gets the event only plans: per branch one
//! [`Cursor`] (tip: the branch's tip; hidden: the tips of the branches
//! planned before, the default branch first, so a commit on several
//! branches is scanned once), sent to the continuation queue. Each cursor
//! is then scanned like the rest of a large push: over git, handing over
//! again near the timeout, alerting once per part with the sweep's id in
//! the marker (a later sweep alerts again: the rules may have changed).

use serde_json::{Value, json};
use shared::events::EventBridgeEvent;

use crate::Error;
use crate::git_cursor::{Cursor, KIND, VERSION};

/// What a sweep event asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepRequest {
    /// The event's id: names the sweep in markers, cursors and alerts.
    pub id: String,
    pub region: Option<String>,
    pub account: Option<String>,
    /// `detail.repositories`; `None`: every repository.
    pub repositories: Option<Vec<String>>,
}

/// A sweep event that cannot be carried out as sent.
#[derive(Debug, thiserror::Error)]
#[error("sweep event: {0}")]
pub struct SweepEventError(pub String);

impl SweepRequest {
    pub fn from_event(event: &EventBridgeEvent<Value>) -> Result<Self, SweepEventError> {
        let id = event
            .id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| SweepEventError("`id` is missing: it names the sweep".to_owned()))?;
        let repositories = match event.detail.get("repositories") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    match item.as_str().map(str::trim) {
                        Some(name) if !name.is_empty() => {
                            shared::codecommit_git::check_repository_name(name)
                                .map_err(SweepEventError)?;
                            names.push(name.to_owned());
                        }
                        _ => {
                            return Err(SweepEventError(format!(
                                "`detail.repositories` holds {}, not a repository name",
                                shorten(&item.to_string())
                            )));
                        }
                    }
                }
                names.sort();
                names.dedup();
                Some(names)
            }
            Some(other) => {
                return Err(SweepEventError(format!(
                    "`detail.repositories` is {}, not a list of repository names",
                    shorten(&other.to_string())
                )));
            }
        };
        Ok(Self {
            id,
            region: event.region.clone(),
            account: event.account.clone(),
            repositories,
        })
    }

    /// The cursors of one repository: a branch each, the default branch
    /// first, then by name, each hiding the tips planned before it.
    pub fn cursors(
        &self,
        repository: &str,
        default_branch: Option<&str>,
        mut branches: Vec<(String, String)>,
    ) -> Vec<Cursor> {
        branches.sort_by(|(a, _), (b, _)| {
            let rank = |name: &str| Some(name) != default_branch;
            (rank(a), a).cmp(&(rank(b), b))
        });
        let mut hidden: Vec<String> = Vec::new();
        let mut cursors = Vec::with_capacity(branches.len());
        for (branch, tip) in branches {
            if hidden.contains(&tip) {
                continue; // the same commit as a branch planned before
            }
            cursors.push(Cursor {
                kind: KIND.to_owned(),
                version: VERSION,
                event: self.branch_event(repository, &branch, &tip),
                tip: tip.clone(),
                hidden: hidden.clone(),
                next: tip.clone(),
                done: 0,
                part: 1,
                sweep: Some(self.id.clone()),
            });
            hidden.push(tip);
        }
        cursors
    }

    /// The branch as if it had just been created at its tip: what the scan
    /// of a cursor reads (repository, branch, region for the links).
    fn branch_event(&self, repository: &str, branch: &str, tip: &str) -> Value {
        json!({
            "version": "0",
            "id": format!("{}/{repository}/{branch}", self.id),
            "detail-type": "CodeCommit Repository State Change",
            "source": "aws.codecommit",
            "account": self.account,
            "region": self.region,
            "resources": [],
            "detail": {
                "event": "referenceCreated",
                "repositoryName": repository,
                "referenceType": "branch",
                "referenceName": branch,
                "referenceFullName": format!("refs/heads/{branch}"),
                "commitId": tip,
            }
        })
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

impl From<SweepEventError> for Error {
    fn from(error: SweepEventError) -> Self {
        Error::InvalidEvent(shared::events::EventError::Invalid {
            event: "Scheduled Event (sweep)",
            path: "detail".to_owned(),
            problem: error.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: Value) -> Result<EventBridgeEvent<Value>, serde_json::Error> {
        serde_json::from_value(json!({
            "version": "0",
            "id": "sweep-1",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-12-03T02:00:00Z",
            "region": "eu-west-1",
            "resources": [],
            "detail": detail,
        }))
    }

    fn id(c: char) -> String {
        c.to_string().repeat(40)
    }

    #[test]
    fn a_sweep_names_its_repositories_or_takes_them_all() -> anyhow::Result<()> {
        let all = SweepRequest::from_event(&event(json!({}))?)?;
        assert_eq!((all.id.as_str(), all.repositories), ("sweep-1", None));
        let some = SweepRequest::from_event(&event(json!({"repositories": ["b", "a", "b"]}))?)?;
        assert_eq!(
            some.repositories,
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        for (detail, expected) in [
            (json!({"repositories": "app"}), "not a list"),
            (json!({"repositories": ["app", 3]}), "holds 3"),
            (json!({"repositories": [""]}), "not a repository name"),
            (
                json!({"repositories": ["../etc"]}),
                "not a CodeCommit repository name",
            ),
        ] {
            let error = SweepRequest::from_event(&event(detail.clone())?).err();
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| e.to_string().contains(expected)),
                "{detail}: {error:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn the_readme_on_demand_payload_is_a_sweep() -> anyhow::Result<()> {
        // The payload README's `aws lambda invoke` example sends.
        let payload: Value = serde_json::from_str(include_str!(
            "../../../events/scheduled-secret-scan-sweep.json"
        ))?;
        let shared::events::CodewardenEvent::Scheduled(event) =
            shared::events::parse_event(&payload)?
        else {
            anyhow::bail!("not read as a Scheduled Event");
        };
        let request = SweepRequest::from_event(&event)?;
        assert_eq!(request.id, "sweep-2026-12-03");
        assert_eq!(request.region.as_deref(), Some("eu-west-1"));
        assert_eq!(request.repositories.map(|r| r.len()), Some(2));
        Ok(())
    }

    #[test]
    fn branches_are_planned_default_first_each_hiding_the_ones_before() -> anyhow::Result<()> {
        let request = SweepRequest::from_event(&event(json!({}))?)?;
        let cursors = request.cursors(
            "app",
            Some("main"),
            vec![
                ("zeta".to_owned(), id('c')),
                ("main".to_owned(), id('a')),
                ("alpha".to_owned(), id('b')),
                ("same-as-main".to_owned(), id('a')),
            ],
        );
        let planned: Vec<(&str, usize)> = cursors
            .iter()
            .map(|c| {
                (
                    c.event["detail"]["referenceName"].as_str().unwrap_or(""),
                    c.hidden.len(),
                )
            })
            .collect();
        assert_eq!(planned, vec![("main", 0), ("alpha", 1), ("zeta", 2)]);
        assert_eq!(cursors[2].hidden, vec![id('a'), id('b')]);
        assert!(
            cursors
                .iter()
                .all(|c| c.next == c.tip && c.sweep.as_deref() == Some("sweep-1") && c.part == 1)
        );
        // AND each cursor's event is a push the handler reads
        let parsed = shared::events::parse_event(&cursors[1].event)?;
        assert!(matches!(
            parsed,
            shared::events::CodewardenEvent::RepositoryStateChange(_)
        ));
        // AND it survives the queue
        let body = serde_json::to_string(&cursors[1])?;
        assert_eq!(Cursor::parse("m", &body)?, cursors[1]);
        Ok(())
    }
}
