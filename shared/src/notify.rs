//! Alerts and how they are published to SNS.
//!
//! An [`Alert`] is what a function wants a person (and a machine) to know;
//! [`Alert::render`] turns it into one SNS publish ([`SnsPublish`]):
//!
//! - a subject SNS accepts (< 100 characters, no line breaks or control
//!   characters), shown as the email subject;
//! - `MessageStructure=json`: a plain-text `default` (and `email`) variant
//!   a person reads, and the alert as a JSON document for the `sqs`,
//!   `https` and `lambda` protocols; with [`Format::Chatbot`] the `https`
//!   variant is an AWS Chatbot custom notification instead;
//! - message attributes (`String`) that subscription filter policies match.
//!
//! [`mask_secrets`] is the one way text from outside (build logs) enters an
//! alert: every secret the detection engine finds is replaced by its masked
//! preview. [`mask_credentials`] adds what needs no rule to recognise and
//! may have any entropy: the password in URL userinfo (`https://u:p@host`),
//! in `curl -u user:password`, in `password=...`-style assignments and in
//! `Authorization:` headers. [`Alert::masked`] applies it to every string
//! of an alert, for functions that forward text they did not write.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use serde_json::{Value, json};

use crate::scan::Scanner;

/// SNS rejects a subject of 100 characters or more.
pub const MAX_SUBJECT_CHARS: usize = 99;

/// How urgent an alert is; also the `severity` message attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
            Self::Info => "info",
        }
    }
}

/// The `https` variant of an alert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// The alert's JSON document, as for SQS and Lambda.
    #[default]
    Json,
    /// An AWS Chatbot custom notification (`"source": "custom"`) whose
    /// description is the plain text in Markdown.
    Chatbot,
}

/// What to tell people: a title, a plain-text body, a JSON document for
/// programs, and the attributes subscription filters match on.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// One line; becomes the subject (sanitised and shortened as needed).
    pub title: String,
    /// The plain-text message, several lines.
    pub text: String,
    /// The JSON variant for programs.
    pub document: Value,
    pub severity: Severity,
    /// Message attributes; empty values are left out (SNS rejects them).
    pub attributes: BTreeMap<String, String>,
}

/// One SNS `Publish` call: `MessageStructure` is `json`.
#[derive(Clone, Debug, PartialEq)]
pub struct SnsPublish {
    pub subject: String,
    /// The per-protocol JSON object, as a string.
    pub message: String,
    pub attributes: BTreeMap<String, String>,
}

impl Alert {
    /// The SNS publish. The JSON variant is the document with `subject`
    /// and `text` added, so that a program forwarding it to people (a chat
    /// webhook) has the same words as the email.
    pub fn render(&self, format: Format) -> SnsPublish {
        let mut document = self.document.clone();
        if let Value::Object(fields) = &mut document {
            fields.insert("subject".to_owned(), json!(subject(&self.title)));
            fields.insert("text".to_owned(), json!(self.text));
        }
        let document = document.to_string();
        let https = match format {
            Format::Json => document.clone(),
            Format::Chatbot => json!({
                "version": "1.0",
                "source": "custom",
                "content": {
                    "textType": "client-markdown",
                    "title": subject(&self.title),
                    "description": self.text,
                },
                "metadata": {
                    "additionalContext": self.attributes,
                },
            })
            .to_string(),
        };
        let message = json!({
            "default": self.text,
            "email": self.text,
            "sqs": document,
            "lambda": document,
            "https": https,
        });
        let mut attributes: BTreeMap<String, String> = self
            .attributes
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        attributes.insert("severity".to_owned(), self.severity.as_str().to_owned());
        SnsPublish {
            subject: subject(&self.title),
            message: message.to_string(),
            attributes,
        }
    }
}

impl Alert {
    /// The alert with every string in it (title, text, each string of the
    /// document, attribute values) passed through [`mask_credentials`].
    pub fn masked(&self, scanner: &Scanner) -> Alert {
        let mask = |text: &str| mask_credentials(scanner, text);
        Alert {
            title: mask(&self.title),
            text: mask(&self.text),
            document: mask_strings(&self.document, &mask),
            severity: self.severity,
            attributes: self
                .attributes
                .iter()
                .map(|(name, value)| (name.clone(), mask(value)))
                .collect(),
        }
    }
}

/// `value` with every string in it masked in place (keys and their order
/// stay as they are).
fn mask_strings(value: &Value, mask: &dyn Fn(&str) -> String) -> Value {
    let mut out = value.clone();
    mask_in_place(&mut out, mask);
    out
}

fn mask_in_place(value: &mut Value, mask: &dyn Fn(&str) -> String) {
    match value {
        Value::String(text) => *text = mask(text),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_in_place(v, mask)),
        Value::Object(fields) => fields.values_mut().for_each(|v| mask_in_place(v, mask)),
        _ => {}
    }
}

/// What replaces a credential recognised by its place rather than its
/// shape: nothing of it stays visible (a low-entropy password's first
/// characters are a good part of it).
pub const HIDDEN: &str = "***";

/// Credential places, each with the part to keep (group `keep`) before
/// the value that is hidden (group `value`).
static CREDENTIAL_PLACES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // URL userinfo: scheme://user:password@host
        r"(?i)(?P<keep>\b[a-z][a-z0-9+.\-]*://[^\s/:@]*:)(?P<value>[^\s/@]+)@",
        // curl -u / --user user:password, --password VALUE, -p=VALUE style flags
        r"(?P<keep>(?:^|\s)(?:-u|--user|--proxy-user)(?:\s+|=)['\x22]?[^\s:'\x22]*:)(?P<value>[^\s'\x22]+)",
        r"(?i)(?P<keep>(?:^|\s)--(?:password|passwd|token|secret)(?:\s+|=)['\x22]?)(?P<value>[^\s'\x22]+)",
        // Authorization headers: Basic / Bearer / Token credentials
        r"(?i)(?P<keep>\bauthorization['\x22]?\s*[:=]\s*['\x22]?(?:basic|bearer|token|digest)?\s*)(?P<value>[^\s'\x22,;]+)",
        // password=..., DB_PASSWORD: ..., "api_key": "...", token = '...'
        r"(?i)(?P<keep>\b[a-z0-9_.\-]*(?:password|passwd|pwd|passphrase|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credentials?)['\x22]?\s*[:=]\s*['\x22]?)(?P<value>[^\s'\x22,;&]+)",
    ]
    .iter()
    .map(|pattern| Regex::new(pattern).expect("credential place patterns are valid"))
    .collect()
});

/// [`mask_secrets`], then every credential found by its place (URL
/// userinfo, `curl -u`, `--password`, `Authorization:`, `password=`-style
/// assignments) replaced by [`HIDDEN`], whatever its entropy.
pub fn mask_credentials(scanner: &Scanner, text: &str) -> String {
    let mut out = mask_secrets(scanner, text);
    for place in CREDENTIAL_PLACES.iter() {
        if !place.is_match(&out) {
            continue;
        }
        out = place
            .replace_all(&out, |caps: &regex::Captures<'_>| {
                let keep = caps.name("keep").map_or("", |m| m.as_str());
                let value = caps.name("value").map_or("", |m| m.as_str());
                // A shell variable is a placeholder, not the secret. A
                // preview the engine left (`Wi***`) goes too: in these
                // places its visible prefix is part of a password.
                let hidden = if value.starts_with('$') {
                    value
                } else {
                    HIDDEN
                };
                let rest = &caps[0][keep.len() + value.len()..];
                format!("{keep}{hidden}{rest}")
            })
            .into_owned();
    }
    out
}

/// `title` as SNS accepts a subject: control characters (line breaks
/// included) become spaces, runs of spaces collapse, and a title of 100
/// characters or more is cut at 96 and ends with `...`.
pub fn subject(title: &str) -> String {
    let mut clean = String::with_capacity(title.len());
    for c in title.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && (clean.is_empty() || clean.ends_with(' ')) {
            continue;
        }
        clean.push(c);
    }
    let clean = clean.trim_end();
    if clean.chars().count() <= MAX_SUBJECT_CHARS {
        return clean.to_owned();
    }
    let cut: String = clean.chars().take(MAX_SUBJECT_CHARS - 3).collect();
    format!("{}...", cut.trim_end())
}

/// `text` with every secret `scanner` finds replaced by the finding's
/// masked preview (`AKIA***`).
pub fn mask_secrets(scanner: &Scanner, text: &str) -> String {
    let findings = scanner.scan(text.as_bytes());
    if findings.is_empty() {
        return text.to_owned();
    }
    // Byte offset of the start of each 1-based line.
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
    let offset = |line: usize, column: usize| {
        line_starts
            .get(line.saturating_sub(1))
            .map(|start| (start + column.saturating_sub(1)).min(text.len()))
    };
    let mut ranges: Vec<(usize, usize, &str)> = findings
        .iter()
        .filter_map(|f| {
            let start = offset(f.line, f.column)?;
            let end = offset(f.end_line, f.end_column)?;
            (start < end).then_some((start, end, f.masked.as_str()))
        })
        .collect();
    ranges.sort_by_key(|(start, _, _)| *start);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for (start, end, masked) in ranges {
        if start < at {
            // Overlaps a range already masked: extend that one.
            at = at.max(end);
            continue;
        }
        out.extend_from_slice(&bytes[at..start]);
        out.extend_from_slice(masked.as_bytes());
        at = end;
    }
    out.extend_from_slice(&bytes[at..]);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::Rules;

    fn alert() -> Alert {
        Alert {
            title: "Pipeline web FAILED\nin Build".to_owned(),
            text: "line one\nline two".to_owned(),
            document: json!({"pipeline": "web"}),
            severity: Severity::High,
            attributes: BTreeMap::from([
                ("pipeline".to_owned(), "web".to_owned()),
                ("stage".to_owned(), String::new()),
            ]),
        }
    }

    #[test]
    fn credentials_are_hidden_by_their_place_whatever_their_entropy()
    -> Result<(), crate::scan::RulesError> {
        let scanner = Scanner::new(Rules::builtin()?);
        let cases = [
            (
                "curl -fsS -u deploy:hunter2 https://nexus.example.com/x",
                "curl -fsS -u deploy:*** https://nexus.example.com/x",
            ),
            (
                "fatal: unable to access 'https://ci:letmein@git.example.com/app.git/'",
                "fatal: unable to access 'https://ci:***@git.example.com/app.git/'",
            ),
            (
                "DB_PASSWORD=changeme ./migrate",
                "DB_PASSWORD=*** ./migrate",
            ),
            (
                r#"{"password": "s3cret", "user": "x"}"#,
                r#"{"password": "***", "user": "x"}"#,
            ),
            (
                "Authorization: Basic ZGVwbG95Omh1bnRlcjI=",
                "Authorization: Basic ***",
            ),
            ("mysql --password=pw1 -h db", "mysql --password=*** -h db"),
            // Shell variables are not the secret; plain words stay.
            ("curl -u \"$USER:$PASS\" x", "curl -u \"$USER:$PASS\" x"),
            (
                "the secret-scanner found nothing",
                "the secret-scanner found nothing",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(mask_credentials(&scanner, input), expected, "{input}");
        }
        Ok(())
    }

    #[test]
    fn masked_alerts_hide_credentials_in_every_string() -> Result<(), crate::scan::RulesError> {
        let scanner = Scanner::new(Rules::builtin()?);
        let mut alert = alert();
        alert.title = "Deploy failed: https://u:pw9@host".to_owned();
        alert.document = json!({"failed": [{"error": "password=hunter2"}], "n": 1});
        alert
            .attributes
            .insert("detail".to_owned(), "token=abc".to_owned());
        let masked = alert.masked(&scanner);
        let all = format!("{masked:?}");
        for leaked in ["pw9", "hunter2", "abc\""] {
            assert!(!all.contains(leaked), "{leaked} leaked: {all}");
        }
        assert_eq!(masked.document["n"], 1);
        Ok(())
    }

    #[test]
    fn subject_has_no_line_breaks_and_stays_under_100_chars() {
        assert_eq!(subject("a\r\nb\t c"), "a b c");
        let long = "x".repeat(150);
        let cut = subject(&long);
        assert_eq!(cut.chars().count(), 99);
        assert!(cut.ends_with("..."));
        assert_eq!(subject(&"é".repeat(99)).chars().count(), 99);
    }

    #[test]
    fn render_gives_a_variant_per_protocol_and_filterable_attributes()
    -> Result<(), serde_json::Error> {
        // GIVEN an alert WHEN rendered as JSON
        let publish = alert().render(Format::Json);
        // THEN people read text, programs the document
        let message: Value = serde_json::from_str(&publish.message)?;
        assert_eq!(publish.subject, "Pipeline web FAILED in Build");
        assert_eq!(message["default"], "line one\nline two");
        assert_eq!(message["email"], "line one\nline two");
        for protocol in ["sqs", "https", "lambda"] {
            let document: Value = serde_json::from_str(message[protocol].as_str().unwrap_or(""))?;
            assert_eq!(document["pipeline"], "web", "{protocol}");
            assert_eq!(document["text"], "line one\nline two", "{protocol}");
        }
        // AND empty attributes are dropped, severity is added
        assert_eq!(publish.attributes.get("stage"), None);
        assert_eq!(publish.attributes["severity"], "high");
        Ok(())
    }

    #[test]
    fn chatbot_format_replaces_the_https_variant() -> Result<(), serde_json::Error> {
        let publish = alert().render(Format::Chatbot);
        let message: Value = serde_json::from_str(&publish.message)?;
        let chatbot: Value = serde_json::from_str(message["https"].as_str().unwrap_or(""))?;
        assert_eq!(chatbot["version"], "1.0");
        assert_eq!(chatbot["source"], "custom");
        assert_eq!(chatbot["content"]["textType"], "client-markdown");
        assert_eq!(chatbot["content"]["title"], "Pipeline web FAILED in Build");
        assert_eq!(chatbot["content"]["description"], "line one\nline two");
        let sqs: Value = serde_json::from_str(message["sqs"].as_str().unwrap_or(""))?;
        assert_eq!(sqs["pipeline"], "web");
        Ok(())
    }

    #[test]
    fn mask_secrets_replaces_each_secret_by_its_preview() -> Result<(), crate::scan::RulesError> {
        let scanner = Scanner::new(Rules::builtin()?);
        let text = "step 1\nexport AWS_ACCESS_KEY_ID=AKIAZ7Q3XK2LMNB4RT6Y && deploy\nstep 3";
        let masked = mask_secrets(&scanner, text);
        assert!(!masked.contains("AKIAZ7Q3XK2LMNB4RT6Y"), "{masked}");
        assert!(masked.contains("AKIA***"), "{masked}");
        assert!(masked.starts_with("step 1\nexport AWS_ACCESS_KEY_ID="));
        assert!(masked.ends_with(" && deploy\nstep 3"));
        assert_eq!(mask_secrets(&scanner, "nothing here"), "nothing here");
        Ok(())
    }
}
