//! [`EventError`]: why an incoming event could not be read.
//!
//! Messages name the JSON path of the offending field and what was expected,
//! and never the value that was found: an event can carry a secret (a pushed
//! credential in a pull request title, a token in a query string), and
//! error messages end up in logs and alerts. serde's own messages do quote
//! values (`invalid type: string "…"`), so they are rewritten here rather
//! than passed on or kept as a source.

/// An incoming event that codewarden cannot read. Retrying will not help:
/// log it and drop the event (or let it go to the dead-letter queue).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// The bytes are not JSON at all.
    #[error("event is not valid JSON (line {line}, column {column})")]
    Malformed {
        line: usize,
        column: usize,
        /// A syntax error: these quote no input, unlike data errors.
        #[source]
        source: serde_json::Error,
    },
    /// JSON, but not an object.
    #[error("event is not a JSON object")]
    NotAnObject,
    /// An object that none of codewarden's triggers produces.
    #[error(
        "event is not an EventBridge event (no `detail-type`), an SNS event (no `Records`) \
         or a Lambda function URL request (no `requestContext.http`)"
    )]
    Unrecognized,
    /// A recognised event with a missing or malformed field.
    #[error("invalid {event}: `{path}` {problem}")]
    Invalid {
        /// What was being read, e.g. `CodeBuild Build State Change`.
        event: &'static str,
        /// JSON path of the field, e.g. `detail.additional-information.phases[2]`.
        path: String,
        /// What is wrong with it, e.g. `is missing`.
        problem: String,
    },
}

impl EventError {
    /// An [`EventError::Invalid`] from a serde error at `path`, with a
    /// message that does not quote the offending value.
    pub(crate) fn invalid(event: &'static str, path: &str, error: &serde_json::Error) -> Self {
        let message = error.to_string();
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            return Self::Invalid {
                event,
                path: join_path(path, field),
                problem: "is missing".to_owned(),
            };
        }
        Self::Invalid {
            event,
            path: path.to_owned(),
            problem: describe(&message),
        }
    }
}

/// `detail` + `build-id` -> `detail.build-id`; serde_path_to_error writes
/// the root as `.`.
pub(crate) fn join_path(parent: &str, child: &str) -> String {
    match (parent, child) {
        ("" | ".", child) => child.to_owned(),
        (parent, "" | ".") => parent.to_owned(),
        (parent, child) if child.starts_with('[') => format!("{parent}{child}"),
        (parent, child) => format!("{parent}.{child}"),
    }
}

/// Rewrites a serde data-error message without the value it may quote.
fn describe(message: &str) -> String {
    // The text after the last ", expected " is the target type's description
    // (`a string`, `struct ApprovalMessage`, ...): code, not input.
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected);
    if let Some(unexpected) = message.strip_prefix("invalid type: ") {
        let found = match unexpected.split([' ', ',']).next() {
            Some("string" | "char") => "a string",
            Some("integer" | "floating") => "a number",
            Some("boolean") => "a boolean",
            Some("map") => "an object",
            Some("sequence") => "an array",
            Some("null" | "unit") => "null",
            _ => "another type",
        };
        return match expected {
            Some(expected) => format!("has the wrong type: expected {expected}, found {found}"),
            None => format!("has the wrong type: found {found}"),
        };
    }
    if message.starts_with("invalid length ") {
        // `invalid length 3, expected ...`: a count, not a value.
        return format!("has the wrong length ({message})");
    }
    if message.starts_with("expected ") {
        // Our own lenient decoders: written to describe, never to quote.
        return format!("is invalid: {message}");
    }
    // serde's own formats end with ", expected ..."; messages from other
    // deserializers (chrono, http) are free text that could quote the input.
    let serde_format = ["invalid value: ", "unknown variant ", "unknown field "]
        .iter()
        .any(|prefix| message.starts_with(prefix));
    match expected {
        Some(expected) if serde_format => format!("is invalid: expected {expected}"),
        _ => "is invalid".to_owned(),
    }
}
