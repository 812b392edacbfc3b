//! secret-scanner's findings report, as far as the gate reads it.
//!
//! The contract (`functions/secret-scanner/src/report.rs`):
//! `findings/<repository>/<commitId>.json`, written for every scanned
//! commit, schema `codewarden/findings-report@1`. Absent: not scanned;
//! `findingCount > 0`: findings; `0` and complete: clean; `0` but not
//! complete: incomplete. Anything the gate cannot vouch for (not JSON,
//! another schema, another commit, a count that contradicts the list, a
//! `complete` that is not a boolean): unknown, so a person decides.
//! Unknown fields are ignored.
//!
//! "Complete" is the report's `complete` when present; older reports have
//! none, and then it is derived: not `truncated`, no binary and no too-large
//! file skipped. The reasons for an incomplete report come from its
//! `notScanned` list (`[{"path", "reason"}]`) when it has one.
//!
//! Of a finding only the rule id, the path, the line and a masked preview
//! leave this module, and the preview is masked again here (at most the 4
//! characters before the report's own mask), so that even a malformed
//! report cannot carry a secret into a summary or a message.

use serde::Deserialize;
use serde_json::Value;
use shared::approval::policy::short;

/// The schema this reader understands.
pub const SCHEMA: &str = "codewarden/findings-report@1";

/// What the report of one commit says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommitState {
    /// Complete and without findings.
    Clean,
    /// `findingCount > 0`; `previews` are the first few findings, masked.
    Findings { count: u64, previews: Vec<Preview> },
    /// No findings, but not every file was scanned; `reasons` say which
    /// or why, worded for a person.
    Incomplete { reasons: Vec<String> },
    /// No report for the commit.
    NotScanned,
    /// No way to tell; `reason` is a whole sentence naming the commit.
    Unknown { reason: String },
}

/// One finding, as far as it may be shown: never the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub rule_id: String,
    /// At most 4 characters of the value, then `***`.
    pub masked: String,
    pub path: String,
    pub line: Option<u64>,
}

impl Preview {
    /// `aws-access-key-id AKIA*** at config/prod.env:3`.
    pub fn describe(&self) -> String {
        let place = match self.line {
            Some(line) => format!("{}:{line}", self.path),
            None => self.path.clone(),
        };
        if place.is_empty() {
            format!("{} {}", self.rule_id, self.masked)
        } else {
            format!("{} {} at {place}", self.rule_id, self.masked)
        }
    }
}

/// Findings kept per commit for the message; the count is always whole.
const MAX_PREVIEWS: usize = 3;
/// Files named in an incomplete report's reasons.
const MAX_NOT_SCANNED: usize = 3;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    schema: Option<String>,
    commit_id: Option<String>,
    finding_count: Option<u64>,
    /// Values, not typed: a finding with an odd field is still a finding.
    #[serde(default)]
    findings: Vec<serde_json::Value>,
    /// Kept as a value: anything but a boolean is a malformed report.
    complete: Option<Value>,
    #[serde(default)]
    not_scanned: Vec<NotScannedHead>,
    #[serde(default)]
    truncated: bool,
    stopped_at: Option<String>,
    #[serde(default)]
    skipped: SkippedHead,
}

#[derive(Deserialize)]
struct NotScannedHead {
    path: Option<String>,
    reason: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SkippedHead {
    #[serde(default)]
    binary: u64,
    #[serde(default)]
    too_large: u64,
}

/// What a report says about `commit`.
pub fn classify(bytes: &[u8], commit: &str) -> CommitState {
    let unknown = |why: &str| CommitState::Unknown {
        reason: format!(
            "the secret-scanner report for commit {} {why}",
            short(commit)
        ),
    };
    let head = match serde_json::from_slice::<Head>(bytes) {
        Ok(head) => head,
        Err(error) if error.is_data() => return unknown("has a field of the wrong type"),
        Err(_) => return unknown("is not readable JSON"),
    };
    match head.schema.as_deref() {
        Some(SCHEMA) => {}
        Some(_) => return unknown("has an unknown schema"),
        None => return unknown("has no schema"),
    }
    if head
        .commit_id
        .as_deref()
        .is_some_and(|id| !id.eq_ignore_ascii_case(commit))
    {
        return unknown("is about another commit");
    }
    let complete = match &head.complete {
        None => None,
        Some(Value::Bool(complete)) => Some(*complete),
        Some(_) => return unknown("has a `complete` that is not true or false"),
    };
    match head.finding_count {
        None => unknown("has no findingCount"),
        Some(0) if !head.findings.is_empty() => unknown("lists findings but counts none"),
        Some(0) => match incompleteness(&head, complete) {
            None => CommitState::Clean,
            Some(reasons) => CommitState::Incomplete { reasons },
        },
        Some(count) => CommitState::Findings {
            count,
            previews: head
                .findings
                .iter()
                .take(MAX_PREVIEWS)
                .map(|f| Preview {
                    rule_id: tidy(text(f, "ruleId").unwrap_or("unknown-rule"), 60),
                    masked: remask(text(f, "masked").unwrap_or_default()),
                    path: tidy(text(f, "path").unwrap_or_default(), 80),
                    line: f.get("line").and_then(Value::as_u64),
                })
                .collect(),
        },
    }
}

/// Why a report without findings is not complete, or `None` when it is.
fn incompleteness(head: &Head, complete: Option<bool>) -> Option<Vec<String>> {
    let mut derived = Vec::new();
    if head.truncated {
        derived.push(match &head.stopped_at {
            Some(at) => format!(
                "its push was cut at MAX_COMMITS (stopped at {})",
                short(&tidy(at, 40))
            ),
            None => "its push was cut at MAX_COMMITS".to_owned(),
        });
    }
    if head.skipped.binary > 0 {
        derived.push(format!(
            "{} binary file(s) not scanned",
            head.skipped.binary
        ));
    }
    if head.skipped.too_large > 0 {
        derived.push(format!(
            "{} file(s) too large to scan",
            head.skipped.too_large
        ));
    }
    let complete = complete.unwrap_or(derived.is_empty());
    if complete {
        return None;
    }
    let mut reasons: Vec<String> = head
        .not_scanned
        .iter()
        .take(MAX_NOT_SCANNED)
        .map(|file| {
            let path = tidy(file.path.as_deref().unwrap_or("a file"), 80);
            match file.reason.as_deref().map(|r| tidy(r, 60)) {
                Some(reason) if !reason.is_empty() => format!("{path} not scanned ({reason})"),
                _ => format!("{path} not scanned"),
            }
        })
        .collect();
    if head.not_scanned.len() > MAX_NOT_SCANNED {
        reasons.push(format!(
            "{} more file(s) not scanned",
            head.not_scanned.len() - MAX_NOT_SCANNED
        ));
    }
    if reasons.is_empty() {
        reasons = derived;
    }
    if reasons.is_empty() {
        reasons.push("the report says it is not complete".to_owned());
    }
    Some(reasons)
}

fn text<'a>(finding: &'a Value, field: &str) -> Option<&'a str> {
    finding.get(field).and_then(Value::as_str)
}

/// The report's preview masked again: at most 4 characters before its
/// first `*`, printable ASCII only, then `***`.
fn remask(masked: &str) -> String {
    let keep: String = masked
        .chars()
        .take_while(|c| *c != '*')
        .take(4)
        .filter(|c| c.is_ascii_graphic())
        .collect();
    // A preview without any mask is not a preview: show none of it.
    let keep = if masked.contains('*') {
        keep
    } else {
        String::new()
    };
    format!("{keep}***")
}

/// A report's text fit for a summary: control characters dropped, at most
/// `max` characters.
fn tidy(text: &str, max: usize) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let cut: String = clean.chars().take(max.saturating_sub(3)).collect();
    format!("{cut}...")
}

/// The repository named in a CodeCommit revision URL
/// (`.../codecommit/repositories/<name>/commit/<id>` or the older
/// `.../codecommit/home#/repository/<name>/commit/<id>`).
pub fn repository_from_url(url: &str) -> Option<String> {
    let (_, rest) = url
        .split_once("/repositories/")
        .or_else(|| url.split_once("/repository/"))?;
    let name = rest.split(['/', '?', '#']).next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// Whether `id` looks like a git commit id (40 or 64 hex digits).
pub fn is_commit_id(id: &str) -> bool {
    matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMIT: &str = "4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39";

    fn report(count: u64, findings: &str) -> String {
        format!(
            r#"{{"schema": "{SCHEMA}", "repository": "app", "commitId": "{COMMIT}", "ref": null,
                "scannedAt": "2026-01-01T00:00:00Z", "findingCount": {count}, "findings": [{findings}],
                "skipped": {{"binary": 0, "submodule": 0, "tooLarge": 0}}, "truncated": false}}"#
        )
    }

    const FINDING: &str = r#"{"ruleId": "aws-access-key-id", "path": "config/prod.env", "line": 3,
        "masked": "AKIA****************", "fingerprint": "f", "severity": "high"}"#;

    #[test]
    fn counts_decide_clean_or_findings() {
        assert_eq!(
            classify(report(0, "").as_bytes(), COMMIT),
            CommitState::Clean
        );
        let state = classify(report(1, FINDING).as_bytes(), COMMIT);
        let CommitState::Findings { count, previews } = state else {
            panic!("{state:?}");
        };
        assert_eq!(count, 1);
        assert_eq!(
            previews.first().map(Preview::describe).as_deref(),
            Some("aws-access-key-id AKIA*** at config/prod.env:3")
        );
    }

    #[test]
    fn a_preview_never_shows_more_than_four_characters() {
        // GIVEN a malformed report whose "masked" value is the secret itself
        let raw = FINDING.replace("AKIA****************", "AKIAZ7Q3XK2LMNB4RT6Y");
        let state = classify(report(1, &raw).as_bytes(), COMMIT);
        // THEN nothing of it is shown; a long prefix is cut to 4 characters
        let CommitState::Findings { previews, .. } = state else {
            panic!("{state:?}");
        };
        assert_eq!(previews[0].masked, "***");
        assert_eq!(remask("ghp_abcdefgh****"), "ghp_***");
        assert_eq!(remask("\u{7}ab*"), "ab***");
    }

    #[test]
    fn incomplete_is_read_from_complete_or_derived() {
        // GIVEN the extended report: complete false with the files it skipped
        let explicit = report(0, "").replace(
            r#""truncated": false"#,
            r#""truncated": false, "complete": false,
               "notScanned": [{"path": "assets/logo.png", "reason": "binary"}], "future": {"x": 1}"#,
        );
        assert_eq!(
            classify(explicit.as_bytes(), COMMIT),
            CommitState::Incomplete {
                reasons: vec!["assets/logo.png not scanned (binary)".into()]
            }
        );
        // GIVEN an older report: derived from truncated and skipped
        let derived = report(0, "")
            .replace(r#""tooLarge": 0"#, r#""tooLarge": 2"#)
            .replace(
                r#""truncated": false"#,
                &format!(r#""truncated": true, "stoppedAt": "{COMMIT}""#),
            );
        assert_eq!(
            classify(derived.as_bytes(), COMMIT),
            CommitState::Incomplete {
                reasons: vec![
                    "its push was cut at MAX_COMMITS (stopped at 4c1f0e9d)".into(),
                    "2 file(s) too large to scan".into()
                ]
            }
        );
        // AND `complete: true` wins over the derivation (the scanner knows best)
        let says_complete = derived.replace(
            r#""truncated": true"#,
            r#""complete": true, "truncated": true"#,
        );
        assert_eq!(
            classify(says_complete.as_bytes(), COMMIT),
            CommitState::Clean
        );
        // AND findings in an incomplete report are findings
        let leaky = report(1, FINDING).replace(r#""binary": 0"#, r#""binary": 1"#);
        assert!(matches!(
            classify(leaky.as_bytes(), COMMIT),
            CommitState::Findings { count: 1, .. }
        ));
    }

    #[test]
    fn anything_doubtful_is_unknown() {
        let cases = [
            "not json".to_owned(),
            report(0, "").replace(SCHEMA, "codewarden/findings-report@2"),
            report(0, "").replace(COMMIT, &"0".repeat(40)),
            report(0, r#"{"ruleId": "x"}"#),
            report(0, "").replace(r#""findingCount": 0,"#, ""),
            report(0, "").replace(r#""truncated": false"#, r#""complete": "yes""#),
            report(0, "").replace(r#""truncated": false"#, r#""truncated": "no""#),
        ];
        for case in cases {
            assert!(
                matches!(
                    classify(case.as_bytes(), COMMIT),
                    CommitState::Unknown { .. }
                ),
                "{case}"
            );
        }
    }

    #[test]
    fn repository_comes_from_codecommit_urls() {
        assert_eq!(
            repository_from_url(
                "https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/web-app/commit/4c1f?region=us-east-1"
            )
            .as_deref(),
            Some("web-app")
        );
        assert_eq!(
            repository_from_url(
                "https://console.aws.amazon.com/codecommit/home#/repository/app/commit/4c1f"
            )
            .as_deref(),
            Some("app")
        );
        assert_eq!(
            repository_from_url("https://github.com/o/r/commit/4c1f"),
            None
        );
        assert!(is_commit_id(COMMIT) && !is_commit_id("main"));
    }
}
