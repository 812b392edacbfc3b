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
//! Every string of a rendered alert passes the masking boundary
//! ([`crate::masked::Masked`]): [`mask_secrets`] replaces what the detection
//! engine finds (maximal: no pragma, no precision filter) by its masked
//! preview, and [`mask_credentials`] adds what needs no rule to recognise
//! and may have any entropy: the password in URL userinfo
//! (`https://u:p@host`), in `curl -u user:password`, in `password=...`-style
//! assignments and in `Authorization:` headers.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;
use serde_json::{Value, json};

use crate::masked::{Masked, mask_keeping};
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

/// One SNS `Publish` call: `MessageStructure` is `json`. Every text in it
/// has passed the masking boundary ([`Masked`]); made by [`Alert::render`].
#[derive(Clone, Debug, PartialEq)]
pub struct SnsPublish {
    pub subject: Masked,
    /// The per-protocol JSON object, as a string.
    pub message: Masked,
    pub attributes: BTreeMap<String, Masked>,
}

impl Alert {
    /// The SNS publish, every string of the alert masked ([`Masked::new`]:
    /// title, text, each string of the document, attribute values). The
    /// JSON variant is the document with `subject` and `text` added, so
    /// that a program forwarding it to people (a chat webhook) has the
    /// same words as the email.
    pub fn render(&self, format: Format) -> SnsPublish {
        self.render_keeping(format, &[])
    }

    /// [`Alert::render`], leaving the exact occurrences of `keep` (already
    /// masked, such as signed approval links) as they are.
    pub fn render_keeping(&self, format: Format, keep: &[Masked]) -> SnsPublish {
        let mask = |text: &str| mask_keeping(text, keep).into_string();
        let title = subject(&mask(&self.title));
        let text = mask(&self.text);
        let mut document = self.document.clone();
        mask_in_place(&mut document, &mask);
        if let Value::Object(fields) = &mut document {
            fields.insert("subject".to_owned(), json!(title));
            fields.insert("text".to_owned(), json!(text));
        }
        let attributes: BTreeMap<String, String> = self
            .attributes
            .iter()
            .filter(|(_, value)| !value.trim().is_empty())
            .map(|(name, value)| (mask(name), mask(value)))
            .collect();
        let document = document.to_string();
        let https = match format {
            Format::Json => document.clone(),
            Format::Chatbot => json!({
                "version": "1.0",
                "source": "custom",
                "content": {
                    "textType": "client-markdown",
                    "title": title,
                    "description": text,
                },
                "metadata": {
                    "additionalContext": attributes,
                },
            })
            .to_string(),
        };
        let message = json!({
            "default": text,
            "email": text,
            "sqs": document,
            "lambda": document,
            "https": https,
        });
        let mut attributes: BTreeMap<String, Masked> = attributes
            .into_iter()
            .map(|(name, value)| (name, Masked::assembled(value)))
            .collect();
        attributes.insert(
            "severity".to_owned(),
            Masked::assembled(self.severity.as_str().to_owned()),
        );
        // Made of masked strings only (JSON escaping hides nothing and
        // reveals nothing).
        SnsPublish {
            subject: Masked::assembled(title),
            message: Masked::assembled(message.to_string()),
            attributes,
        }
    }
}

fn mask_in_place(value: &mut Value, mask: &dyn Fn(&str) -> String) {
    match value {
        Value::String(text) => *text = mask(text),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_in_place(v, mask)),
        Value::Object(fields) => {
            let masked = std::mem::take(fields)
                .into_iter()
                .map(|(name, mut v)| {
                    mask_in_place(&mut v, mask);
                    (mask(&name), v)
                })
                .collect();
            *fields = masked;
        }
        _ => {}
    }
}

/// What replaces a credential recognised by its place rather than its
/// shape: nothing of it stays visible (a low-entropy password's first
/// characters are a good part of it).
pub const HIDDEN: &str = "***";

/// The name of a credential in an assignment, a header or a JSON key.
const KEY_NAME: &str = r"\b[a-z0-9_.\-]*(?:password|passwd|pwd|passphrase|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|credentials?)";

/// Commands whose `-p<password>` (attached) is a password.
const PASSWORD_P_COMMANDS: &str = r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlpump|mysqlsh|mariadb|mariadb-dump|mariadb-admin|mariadb-import)\b[^\n|;&]*?\s";

/// Credential places, each with the part to keep (group `keep`) before
/// the value that is hidden (group `value`). Quoted values come before
/// unquoted ones: a quoted password may hold spaces.
static CREDENTIAL_PLACES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // URL userinfo: scheme://user:password@host. The password may hold
        // `@`, `/`, `:` or `#`: everything up to the last `@` before the
        // next blank goes (a path's `@` with it: too much hidden, never
        // too little).
        r"(?i)(?P<keep>\b[a-z][a-z0-9+.\-]*://[^\s/:@]*:)(?P<value>\S+)@".to_owned(),
        // curl -u / --user user:password
        r"(?P<keep>(?:^|\s)(?:-u|--user|--proxy-user)(?:\s+|=)['\x22]?[^\s:'\x22]*:)(?P<value>[^\s'\x22]+)".to_owned(),
        // --password "a b", --password=VALUE
        r#"(?i)(?P<keep>(?:^|\s)--(?:password|passwd|token|secret)(?:\s+|=)")(?P<value>(?:\\.|[^"\\\n])*)""#.to_owned(),
        r"(?i)(?P<keep>(?:^|\s)--(?:password|passwd|token|secret)(?:\s+|=)')(?P<value>[^'\n]*)'".to_owned(),
        r"(?i)(?P<keep>(?:^|\s)--(?:password|passwd|token|secret)(?:\s+|=)['\x22]?)(?P<value>[^\s'\x22]+)".to_owned(),
        // mysql -psecret, mysqldump -p'a b' (attached only: `-p` alone
        // asks for the password, and is a port or a path elsewhere)
        format!(r#"(?P<keep>{PASSWORD_P_COMMANDS}-p")(?P<value>[^"\n]*)""#),
        format!(r"(?P<keep>{PASSWORD_P_COMMANDS}-p')(?P<value>[^'\n]*)'"),
        format!(r"(?P<keep>{PASSWORD_P_COMMANDS}-p)(?P<value>[^\s'\x22]+)"),
        // sshpass -p secret, redis-cli -a secret
        r"(?P<keep>\bsshpass\s+(?:-[a-oq-zA-Z]\S*\s+)*-p\s*['\x22]?)(?P<value>[^\s'\x22]+)".to_owned(),
        r"(?P<keep>\bredis-cli\b[^\n|;&]*?\s-a\s+['\x22]?)(?P<value>[^\s'\x22]+)".to_owned(),
        // Authorization headers: Basic / Bearer / Token credentials (JSON
        // escaped too: `\"Authorization\": \"Bearer x\"`)
        r"(?i)(?P<keep>\bauthorization(?:\\?['\x22])?\s*[:=]\s*(?:\\?['\x22])?(?:basic|bearer|token|digest)?\s*)(?P<value>[^\s'\x22,;\\]+)".to_owned(),
        // JSON inside a JSON string: {\"password\":\"a b\"}
        format!(r#"(?i)(?P<keep>{KEY_NAME}(?:\\?['"])?\s*[:=]\s*\\")(?P<value>(?:\\[^"]|[^\\\n])*?)\\""#),
        // password="a b c", PASSWORD: 'a b c', "api_key": "a \" b"
        format!(r#"(?i)(?P<keep>{KEY_NAME}['"]?\s*[:=]\s*")(?P<value>(?:\\.|[^"\\\n])*)""#),
        format!(r"(?i)(?P<keep>{KEY_NAME}['\x22]?\s*[:=]\s*')(?P<value>[^'\n]*)'"),
        // password=..., DB_PASSWORD: ..., token = ...
        format!(r"(?i)(?P<keep>{KEY_NAME}['\x22]?\s*[:=]\s*)(?P<value>(?:[^\s'\x22,;&\\]|\\[^'\x22])+)"),
    ]
    .iter()
    .map(|pattern| Regex::new(pattern).expect("credential place patterns are valid"))
    .collect()
});

/// The base64 body of a private key whose `-----BEGIN` line is not in the
/// text (a log tail cut above it): lines of base64 right before an
/// `-----END ... PRIVATE KEY-----` line.
static ORPHAN_KEY_BODY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)(?P<value>(?:^[ \t]*[A-Za-z0-9+/=]{4,}[ \t]*\r?\n)+)(?P<end>[ \t]*-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)",
    )
    .expect("the key body pattern is valid")
});

/// [`mask_secrets`] with the engine at its most suspicious
/// ([`Scanner::maximal`]: no pragma, no precision filter), then every
/// credential found by its place (URL userinfo, `curl -u`, `--password`,
/// `mysql -p...`, `Authorization:`, quoted or unquoted `password=`-style
/// assignments, JSON escaped inside a string too) and the body of a
/// private key whose BEGIN line was cut off, replaced by [`HIDDEN`],
/// whatever their entropy.
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
                let hidden = if value.starts_with('$') && !value.contains(['@', ':']) {
                    value
                } else {
                    HIDDEN
                };
                let rest = &caps[0][keep.len() + value.len()..];
                format!("{keep}{hidden}{rest}")
            })
            .into_owned();
    }
    if ORPHAN_KEY_BODY.is_match(&out) {
        out = ORPHAN_KEY_BODY
            .replace_all(&out, |caps: &regex::Captures<'_>| {
                format!("{HIDDEN}\n{}", &caps["end"])
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

/// `text` with every secret `scanner`'s rules find, pragmas and precision
/// filters ignored ([`Scanner::maximal`]), replaced by the finding's
/// masked preview (`AKIA***`).
pub fn mask_secrets(scanner: &Scanner, text: &str) -> String {
    let maximal = scanner.clone().maximal();
    let mut findings = maximal.scan(text.as_bytes());
    // Rules want a boundary a path or a name does not give (`/AKIA...`,
    // `key_AKIA...`): the text is scanned again with ASCII punctuation as
    // blanks (same length, same lines, so positions hold).
    if text.bytes().any(|b| b.is_ascii_punctuation()) {
        let blanked: Vec<u8> = text
            .bytes()
            .map(|b| if b.is_ascii_punctuation() { b' ' } else { b })
            .collect();
        findings.extend(maximal.scan(&blanked));
    }
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
    fn credentials_hidden_whatever_they_hold_and_however_they_are_quoted()
    -> Result<(), crate::scan::RulesError> {
        let scanner = Scanner::new(Rules::builtin()?);
        // GIVEN passwords with spaces, attached -p flags, JSON escaped in a
        // string, URL userinfo holding @ / : #
        let cases = [
            (
                r#"password="correct horse battery" next"#,
                r#"password="***" next"#,
            ),
            ("PASSWORD: 'a b c'", "PASSWORD: '***'"),
            ("mysql -uroot -psecretpw app", "mysql -uroot -p*** app"),
            (
                "mysqldump -h db -p'two words' app",
                "mysqldump -h db -p'***' app",
            ),
            ("sshpass -p s3cretpw ssh host", "sshpass -p *** ssh host"),
            (r#"--password "a b" -x"#, r#"--password "***" -x"#),
            (
                r#"body: "{\"password\":\"hunter2\",\"user\":\"x\"}""#,
                r#"body: "{\"password\":\"***\",\"user\":\"x\"}""#,
            ),
            (
                r#"{"msg":"{\"token\": \"abc def\"}"}"#,
                r#"{"msg":"{\"token\": \"***\"}"}"#,
            ),
            (
                "fatal: https://u:p@ss/w:rd#x@git.host/app.git failed",
                "fatal: https://u:***@git.host/app.git failed",
            ),
            // `-p` alone, or of another command, is not a password.
            ("mysql -p app", "mysql -p app"),
            ("mkdir -p build/out", "mkdir -p build/out"),
        ];
        // WHEN masked THEN each value is hidden whole
        for (input, expected) in cases {
            assert_eq!(mask_credentials(&scanner, input), expected, "{input}");
        }
        Ok(())
    }

    #[test]
    fn a_private_key_body_is_hidden_when_its_begin_line_was_cut_off()
    -> Result<(), crate::scan::RulesError> {
        // GIVEN a log tail that starts inside a private key
        let scanner = Scanner::new(Rules::builtin()?);
        let body: Vec<String> = (0..3)
            .map(|i| format!("MIIEowIBAAKCAQEA{}x9Zq+/Wm{i}", "Qk3vT7pLr2Yh".repeat(4)))
            .collect();
        let tail = format!(
            "{}\n{}\nb3BlbnNzaA==\n-----END RSA PRIVATE KEY-----\nError: exit 1",
            body[0],
            body[1..].join("\n")
        );
        // WHEN masked
        let masked = mask_credentials(&scanner, &tail);
        // THEN no body line is left, the END line and the rest are
        for line in body.iter().map(String::as_str).chain(["b3BlbnNzaA=="]) {
            assert!(!masked.contains(line), "{masked}");
        }
        assert!(
            masked.ends_with("***\n-----END RSA PRIVATE KEY-----\nError: exit 1"),
            "{masked}"
        );
        // AND base64 not followed by an END line stays
        let plain = "sha: 4f9a7c1e2b3d4f5a6b7c8d9e0f1a2b3c\ndone";
        assert_eq!(mask_credentials(&scanner, plain), plain);
        Ok(())
    }

    #[test]
    fn rendered_alerts_hide_credentials_in_every_string() {
        // GIVEN an alert with credentials in its title, document and
        // attributes, and a key in its text
        let key = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
        let mut alert = alert();
        alert.title = "Deploy failed: https://u:pw9@host".to_owned();
        alert.text = format!("pushed src/{key}.txt");
        alert.document = json!({"failed": [{"error": "password=hunter2"}], "n": 1});
        alert
            .attributes
            .insert("detail".to_owned(), "token=abc".to_owned());
        // WHEN rendered, in both formats
        for format in [Format::Json, Format::Chatbot] {
            let publish = alert.render(format);
            // THEN nothing of them is left anywhere
            let all = format!("{publish:?}");
            for leaked in ["pw9", "hunter2", "abc", &key[4..]] {
                assert!(!all.contains(leaked), "{leaked} leaked: {all}");
            }
            assert!(publish.message.as_str().contains("\\\"n\\\":1"), "{all}");
        }
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
