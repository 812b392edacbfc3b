//! [`Continuation`]: what a run over many repositories hands to the next
//! invocation when the Lambda timeout comes near, through an SQS queue
//! whose messages invoke the function again.
//!
//! The body is our own JSON (`kind` and `version` say what it is); the
//! repositories it names become paths in `MIRROR_DIR`, so every name is
//! checked against CodeCommit's naming rule before anything is done.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `kind` of every continuation message.
pub const KIND: &str = "repo-backup-continuation";
/// The message format this version writes and reads.
pub const VERSION: u32 = 1;
/// Attempts a repository gets within one run (across its invocations)
/// before its failure is final.
pub const MAX_ATTEMPTS: u32 = 3;
/// SQS accepts 256 KiB per message: a longer list goes in several.
const MAX_BODY: usize = 200 * 1024;
/// Longest error text carried for a failed repository.
const MAX_ERROR: usize = 1000;

/// The rest of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Continuation {
    pub kind: String,
    pub version: u32,
    /// The run's id: the scheduled event's id, the same in every message of
    /// the run (for the logs).
    pub run_id: String,
    /// 1 for the first continuation of the run, 2 for the next, ...
    pub hop: u32,
    /// Repositories still to back up, in order.
    pub repositories: Vec<String>,
    /// Failed attempts so far of some of `repositories` in this run.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attempts: BTreeMap<String, u32>,
    /// Repositories whose backup failed for good earlier in the run: the
    /// invocation that ends the run reports them as its error.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<Failed>,
}

/// A repository whose backup failed, with the error's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    pub repository: String,
    pub error: String,
}

impl Failed {
    pub fn new(repository: &str, error: &impl std::fmt::Display) -> Self {
        let mut error = error.to_string();
        if error.len() > MAX_ERROR {
            let mut end = MAX_ERROR;
            while !error.is_char_boundary(end) {
                end -= 1;
            }
            error.truncate(end);
            error.push_str("...");
        }
        Self {
            repository: repository.to_owned(),
            error,
        }
    }
}

/// A continuation message that cannot be read: a retry will not change it.
#[derive(Debug, thiserror::Error)]
#[error("continuation message {message_id} is invalid: {problem}")]
pub struct ContinuationError {
    /// The SQS message id (or the record's position).
    pub message_id: String,
    pub problem: String,
}

impl From<shared::queue_message::BadMessage> for ContinuationError {
    fn from(bad: shared::queue_message::BadMessage) -> Self {
        Self {
            message_id: bad.message_id,
            problem: bad.problem,
        }
    }
}

impl Continuation {
    pub fn new(run_id: &str, hop: u32) -> Self {
        Self {
            kind: KIND.to_owned(),
            version: VERSION,
            run_id: run_id.to_owned(),
            hop,
            repositories: Vec::new(),
            attempts: BTreeMap::new(),
            failed: Vec::new(),
        }
    }

    /// Whether there is nothing to hand over.
    pub fn is_empty(&self) -> bool {
        self.repositories.is_empty() && self.failed.is_empty()
    }

    /// Reads and checks one message body.
    pub fn parse(message_id: &str, body: &str) -> Result<Self, ContinuationError> {
        let problem = |problem: String| ContinuationError {
            message_id: message_id.to_owned(),
            problem,
        };
        let continuation: Self = shared::queue_message::read(message_id, body, KIND, VERSION)
            .map_err(ContinuationError::from)?;
        if continuation.run_id.trim().is_empty() || continuation.run_id.len() > 256 {
            return Err(problem("`runId` must be 1 to 256 characters".to_owned()));
        }
        if continuation.is_empty() {
            return Err(problem("it names no repository".to_owned()));
        }
        let names = continuation
            .repositories
            .iter()
            .chain(continuation.attempts.keys())
            .chain(continuation.failed.iter().map(|f| &f.repository));
        for name in names {
            shared::codecommit_git::check_repository_name(name).map_err(&problem)?;
        }
        Ok(continuation)
    }

    /// Reads every record of an SQS event (`Records[].body`).
    pub fn from_sqs_event(event: &Value) -> Result<Vec<Self>, ContinuationError> {
        shared::queue_message::records(event)?
            .into_iter()
            .map(|(message_id, body)| Self::parse(&message_id, body))
            .collect()
    }

    /// The message bodies to send: one, or several when one would exceed
    /// what SQS accepts (each half of the list a message of its own).
    pub fn bodies(&self) -> Result<Vec<String>, serde_json::Error> {
        let body = serde_json::to_string(self)?;
        if body.len() <= MAX_BODY || (self.repositories.len() + self.failed.len()) < 2 {
            return Ok(vec![body]);
        }
        let (mut first, mut second) = (self.clone(), self.clone());
        let half = self.repositories.len() / 2;
        first.repositories.truncate(half);
        second.repositories.drain(..half);
        let half = self.failed.len() / 2;
        first.failed.truncate(half);
        second.failed.drain(..half);
        for part in [&mut first, &mut second] {
            let names = part.repositories.clone();
            part.attempts.retain(|name, _| names.contains(name));
        }
        let mut bodies = Vec::new();
        for part in [first, second] {
            if !part.is_empty() {
                bodies.extend(part.bodies()?);
            }
        }
        Ok(bodies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqs(body: &str) -> Value {
        serde_json::json!({"Records": [{
            "messageId": "m-1", "eventSource": "aws:sqs", "body": body
        }]})
    }

    #[test]
    fn a_continuation_round_trips_through_an_sqs_event() -> anyhow::Result<()> {
        let mut c = Continuation::new("run-1", 1);
        c.repositories = vec!["app".into(), "lib.core_2".into()];
        c.attempts.insert("lib.core_2".into(), 1);
        c.failed.push(Failed::new("web", &"403 AccessDenied"));
        let bodies = c.bodies()?;
        assert_eq!(bodies.len(), 1);
        assert_eq!(Continuation::from_sqs_event(&sqs(&bodies[0]))?, [c]);
        Ok(())
    }

    #[test]
    fn malformed_messages_are_refused_saying_why() {
        for (body, expected) in [
            ("not json", "the body is not JSON"),
            (r#"{"runId":"r"}"#, "has no `kind`"),
            (r#"{"kind":"other"}"#, "its kind is `other`"),
            (
                r#"{"kind":"repo-backup-continuation","version":1,"hop":1,"repositories":["a"]}"#,
                "missing field `runId`",
            ),
            (
                r#"{"kind":"repo-backup-continuation","version":1,"runId":"r","hop":1,"repositories":"a"}"#,
                "invalid type",
            ),
            (
                r#"{"kind":"repo-backup-continuation","version":9,"runId":"r","hop":1,"repositories":["a"]}"#,
                "version 9 is newer",
            ),
            (
                r#"{"kind":"repo-backup-continuation","version":1,"runId":"r","hop":1,"repositories":[]}"#,
                "names no repository",
            ),
            (
                r#"{"kind":"repo-backup-continuation","version":1,"runId":"r","hop":1,"repositories":["../../etc"]}"#,
                "is not a CodeCommit repository name",
            ),
            (
                r#"{"kind":"repo-backup-continuation","version":1,"runId":"r","hop":1,"repositories":[".."]}"#,
                "is not a CodeCommit repository name",
            ),
        ] {
            let err = Continuation::from_sqs_event(&sqs(body))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.starts_with("continuation message m-1 is invalid: ") && err.contains(expected),
                "{body}: {err}"
            );
        }
        let err = Continuation::from_sqs_event(&serde_json::json!({"Records": [{}]}))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("continuation message Records[0] is invalid: the record has no string `body`")
        );
    }

    #[test]
    fn a_long_list_is_split_into_messages_sqs_accepts() -> anyhow::Result<()> {
        let mut c = Continuation::new("run-1", 2);
        c.repositories = (0..5000)
            .map(|i| format!("repository-{i:05}-{}", "x".repeat(60)))
            .collect();
        c.attempts
            .insert("repository-00001-".to_owned() + &"x".repeat(60), 2);
        let bodies = c.bodies()?;
        assert!(bodies.len() > 1);
        let parts: Vec<Continuation> = bodies
            .iter()
            .map(|b| Continuation::parse("m", b))
            .collect::<Result<_, _>>()?;
        assert!(bodies.iter().all(|b| b.len() <= MAX_BODY));
        let names: Vec<String> = parts.iter().flat_map(|p| p.repositories.clone()).collect();
        assert_eq!(names, c.repositories, "every repository once, in order");
        assert_eq!(parts.iter().map(|p| p.attempts.len()).sum::<usize>(), 1);
        Ok(())
    }
}
