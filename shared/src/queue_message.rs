//! Messages codewarden sends itself through SQS (repo-backup's
//! continuations, the secret scanner's git cursors): a JSON body of our own
//! whose `kind` says what it is and `version` which format, read back from
//! the SQS event Lambda's event source mapping delivers.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A message that cannot be read: a retry will not change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadMessage {
    /// The SQS message id (or the record's position, `Records[i]`).
    pub message_id: String,
    pub problem: String,
}

/// The `(message id, body)` of every record of an SQS event.
pub fn records(event: &Value) -> Result<Vec<(String, &str)>, BadMessage> {
    let records = event
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| BadMessage {
            message_id: "-".to_owned(),
            problem: "the SQS event has no `Records` list".to_owned(),
        })?;
    records
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let message_id = record
                .get("messageId")
                .and_then(Value::as_str)
                .map_or_else(|| format!("Records[{i}]"), str::to_owned);
            match record.get("body").and_then(Value::as_str) {
                Some(body) => Ok((message_id, body)),
                None => Err(BadMessage {
                    message_id,
                    problem: "the record has no string `body`".to_owned(),
                }),
            }
        })
        .collect()
}

/// Reads one body: JSON whose `kind` is `kind` and whose `version` is at
/// most `version`, as `T`.
pub fn read<T: DeserializeOwned>(
    message_id: &str,
    body: &str,
    kind: &str,
    version: u32,
) -> Result<T, BadMessage> {
    let problem = |problem: String| BadMessage {
        message_id: message_id.to_owned(),
        problem,
    };
    let value: Value =
        serde_json::from_str(body).map_err(|e| problem(format!("the body is not JSON ({e})")))?;
    match value.get("kind").and_then(Value::as_str) {
        Some(found) if found == kind => {}
        Some(other) => {
            return Err(problem(format!(
                "its kind is `{}`, not `{kind}`",
                other.chars().take(60).collect::<String>()
            )));
        }
        None => return Err(problem(format!("it has no `kind` (`{kind}` expected)"))),
    }
    if let Some(found) = value.get("version").and_then(Value::as_u64)
        && found > u64::from(version)
    {
        return Err(problem(format!(
            "version {found} is newer than this function reads ({version})"
        )));
    }
    serde_json::from_value(value).map_err(|e| problem(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Note {
        kind: String,
        version: u32,
        text: String,
    }

    #[test]
    fn a_body_of_our_kind_is_read_and_others_say_why_not() {
        let note = read::<Note>(
            "m-1",
            r#"{"kind":"note","version":1,"text":"hi"}"#,
            "note",
            1,
        );
        assert_eq!(note.map(|n| n.text).ok().as_deref(), Some("hi"));
        for (body, expected) in [
            ("nope", "not JSON"),
            (r#"{"kind":"other"}"#, "its kind is `other`, not `note`"),
            ("{}", "has no `kind`"),
            (
                r#"{"kind":"note","version":2,"text":""}"#,
                "version 2 is newer than this function reads (1)",
            ),
            (r#"{"kind":"note","version":1}"#, "missing field `text`"),
        ] {
            let error = read::<Note>("m-1", body, "note", 1).err();
            assert!(
                error
                    .as_ref()
                    .is_some_and(|e| e.message_id == "m-1" && e.problem.contains(expected)),
                "{body}: {error:?}"
            );
        }
    }

    #[test]
    fn records_give_their_message_ids_and_bodies() {
        let event = json!({"Records": [{"messageId": "a", "body": "x"}, {"body": "y"}]});
        assert_eq!(
            records(&event),
            Ok(vec![("a".to_owned(), "x"), ("Records[1]".to_owned(), "y")])
        );
        assert_eq!(
            records(&json!({})).err().map(|e| e.message_id),
            Some("-".to_owned())
        );
        let no_body = records(&json!({"Records": [{"messageId": "b"}]})).err();
        assert_eq!(
            no_body.map(|e| (e.message_id, e.problem)),
            Some(("b".to_owned(), "the record has no string `body`".to_owned()))
        );
    }
}
