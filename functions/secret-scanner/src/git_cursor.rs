//! [`Cursor`]: where a git-path scan that ran out of time goes on. Near the
//! Lambda timeout the scan stops after a commit, delivers what it found
//! (alert, comments, reports of the commits done) and sends a cursor to the
//! continuation queue (`GIT_SCAN_QUEUE_URL`), whose message invokes the
//! function again; that invocation fetches (or reuses) the local copy,
//! walks the same commits (the same tip, the same hidden commits: the same
//! order) and resumes at the cursor's commit.
//!
//! The body is our own JSON (`kind` and `version` say what it is). It holds
//! the push event as received, which names no secret.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `kind` of every cursor message.
pub const KIND: &str = "secret-scanner-git-cursor";
/// The message format this version writes and reads.
pub const VERSION: u32 = 1;

/// The rest of a git-path scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    pub kind: String,
    pub version: u32,
    /// The push event (EventBridge envelope), as the first invocation got it.
    pub event: Value,
    /// The commit the walk started from.
    pub tip: String,
    /// The commits whose history is known (hidden from the walk), as ids.
    pub hidden: Vec<String>,
    /// The first commit not scanned yet.
    pub next: String,
    /// Commits scanned by the invocations before.
    pub done: usize,
    /// 1 for the first continuation, 2 for the next, ...: each part alerts
    /// on its own findings once (its own marker).
    pub part: u32,
    /// The full-history sweep this cursor belongs to (its id), if any
    /// ([`crate::sweep`]): its markers are the sweep's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<String>,
}

/// A cursor message that cannot be read: a retry will not change it.
#[derive(Debug, thiserror::Error)]
#[error("git scan cursor {message_id} is invalid: {problem}")]
pub struct CursorError {
    /// The SQS message id (or the record's position).
    pub message_id: String,
    pub problem: String,
}

impl Cursor {
    /// Reads and checks one message body.
    pub fn parse(message_id: &str, body: &str) -> Result<Self, CursorError> {
        let cursor: Self = shared::queue_message::read(message_id, body, KIND, VERSION)
            .map_err(CursorError::from)?;
        let is_id = |id: &str| id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some(bad) = std::iter::once(&cursor.tip)
            .chain(std::iter::once(&cursor.next))
            .chain(&cursor.hidden)
            .find(|id| !is_id(id))
        {
            return Err(CursorError {
                message_id: message_id.to_owned(),
                problem: format!(
                    "`{}` is not a commit id",
                    bad.chars().take(60).collect::<String>()
                ),
            });
        }
        Ok(cursor)
    }

    /// The cursors of an SQS event (one per record).
    pub fn from_sqs_event(event: &Value) -> Result<Vec<Self>, CursorError> {
        shared::queue_message::records(event)?
            .into_iter()
            .map(|(message_id, body)| Self::parse(&message_id, body))
            .collect()
    }
}

impl From<shared::queue_message::BadMessage> for CursorError {
    fn from(bad: shared::queue_message::BadMessage) -> Self {
        Self {
            message_id: bad.message_id,
            problem: bad.problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor {
            kind: KIND.to_owned(),
            version: VERSION,
            event: serde_json::json!({"detail-type": "CodeCommit Repository State Change"}),
            tip: "a".repeat(40),
            hidden: vec!["b".repeat(40)],
            next: "c".repeat(40),
            done: 120,
            part: 1,
            sweep: None,
        }
    }

    #[test]
    fn a_cursor_round_trips_through_an_sqs_event() -> anyhow::Result<()> {
        // GIVEN a cursor as the queue delivers it
        let body = serde_json::to_string(&cursor())?;
        let event = serde_json::json!({"Records": [{"messageId": "m-1", "body": body}]});
        // WHEN read THEN it is the cursor sent
        assert_eq!(Cursor::from_sqs_event(&event)?, vec![cursor()]);
        Ok(())
    }

    #[test]
    fn bad_cursors_say_what_is_wrong() {
        let mut newer = cursor();
        newer.version = VERSION + 1;
        let mut not_an_id = cursor();
        not_an_id.next = "../../etc".to_owned();
        for (body, expected) in [
            ("nope".to_owned(), "not JSON"),
            (r#"{"kind": "other"}"#.to_owned(), "its kind is `other`"),
            ("{}".to_owned(), "has no `kind`"),
            (serde_json::to_string(&newer).unwrap_or_default(), "newer"),
            (
                serde_json::to_string(&not_an_id).unwrap_or_default(),
                "not a commit id",
            ),
        ] {
            let error = Cursor::parse("m-1", &body).err().map(|e| e.to_string());
            assert!(
                error
                    .as_deref()
                    .is_some_and(|e| e.contains(expected) && e.contains("m-1")),
                "{body}: {error:?}"
            );
        }
        let no_records = Cursor::from_sqs_event(&serde_json::json!({}));
        assert!(no_records.is_err());
    }
}
