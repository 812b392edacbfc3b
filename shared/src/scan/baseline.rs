//! Baselines: fingerprints of known, accepted findings, so that adopting
//! codewarden on an old repository reports only new secrets.
//!
//! Format (`version` 1):
//! `{"version":1,"fingerprints":[{"fingerprint":"..","rule_id":"..","path":"..","line":N}]}`.
//! Only the fingerprint decides: the same secret moved to another line or
//! file stays baselined (it is the same, already known, leak).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::ScanError;
use super::finding::{DropReason, Dropped, Finding, ScanOutcome};

/// One accepted finding. `rule_id`, `path` and `line` are for humans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    #[serde(default)]
    pub rule_id: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub line: usize,
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u64,
    #[serde(default)]
    fingerprints: Vec<BaselineEntry>,
}

/// A JSON error in general terms, with its position: serde_json's message
/// quotes the offending value, which may be a secret.
fn json_error(e: &serde_json::Error) -> ScanError {
    use serde_json::error::Category;
    let syntax = match e.classify() {
        Category::Eof => "the file ends early",
        Category::Io => "it cannot be read",
        Category::Syntax => "not valid JSON syntax",
        Category::Data => "a value does not fit the documented shape",
    };
    let known = e.line() > 0;
    ScanError::Baseline {
        line: known.then_some(e.line()),
        column: known.then_some(e.column()),
        message: super::without_values(&e.to_string(), syntax),
    }
}

/// A set of accepted finding fingerprints.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    entries: Vec<BaselineEntry>,
    index: HashSet<String>,
}

impl Baseline {
    const VERSION: u64 = 1;

    pub fn new() -> Baseline {
        Baseline::default()
    }

    pub fn from_json(text: &str) -> Result<Baseline, ScanError> {
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| json_error(&e))?;
        if file.version != Self::VERSION {
            return Err(ScanError::BaselineVersion {
                found: file.version,
            });
        }
        let mut baseline = Baseline::new();
        for entry in file.fingerprints {
            baseline.push(entry);
        }
        Ok(baseline)
    }

    /// Pretty JSON, entries sorted by path, line and fingerprint (stable diffs).
    pub fn to_json(&self) -> Result<String, ScanError> {
        let mut fingerprints = self.entries.clone();
        fingerprints.sort_by(|a, b| {
            (&a.path, a.line, &a.fingerprint).cmp(&(&b.path, b.line, &b.fingerprint))
        });
        serde_json::to_string_pretty(&BaselineFile {
            version: Self::VERSION,
            fingerprints,
        })
        .map_err(|e| json_error(&e))
    }

    /// Accepts `finding` (found in `path`).
    pub fn add(&mut self, path: &str, finding: &Finding) {
        let entry = BaselineEntry {
            fingerprint: finding.fingerprint.clone(),
            rule_id: finding.rule_id.clone(),
            path: path.to_string(),
            line: finding.line,
        };
        if !self.entries.contains(&entry) {
            self.push(entry);
        }
    }

    fn push(&mut self, entry: BaselineEntry) {
        self.index.insert(entry.fingerprint.clone());
        self.entries.push(entry);
    }

    /// Whether `finding` is accepted: its fingerprint, keyed or not, is
    /// in the baseline (a baseline written by `codewarden scan` without
    /// the deployment's key holds unkeyed fingerprints).
    pub fn contains(&self, finding: &Finding) -> bool {
        self.index.contains(&finding.fingerprint)
            || (!finding.baseline_key.as_str().is_empty()
                && self.index.contains(finding.baseline_key.as_str()))
    }

    pub fn entries(&self) -> &[BaselineEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl ScanOutcome {
    /// Moves findings whose fingerprint is in `baseline` to `dropped`
    /// ([`DropReason::Baseline`]).
    pub fn apply_baseline(&mut self, baseline: &Baseline) {
        let (known, new): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| baseline.contains(f));
        self.findings = new;
        self.dropped.extend(known.into_iter().map(|f| Dropped {
            rule_id: f.rule_id,
            line: f.line,
            column: f.column,
            masked: f.masked,
            fingerprint: f.fingerprint,
            reason: DropReason::Baseline,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Confidence, Severity};

    fn finding(fp: &str, line: usize) -> Finding {
        Finding {
            rule_id: "aws-access-key-id".into(),
            rule_name: "AWS access key ID".into(),
            line,
            column: 1,
            end_line: line,
            end_column: 21,
            masked: "AKIA***".into(),
            fingerprint: fp.into(),
            baseline_key: Default::default(),
            confidence: Confidence::High,
            severity: Severity::High,
        }
    }

    #[test]
    fn round_trips_and_matches_by_fingerprint() -> Result<(), ScanError> {
        // GIVEN a baseline with one accepted finding
        let mut b = Baseline::new();
        b.add("src/a.py", &finding("ab12", 3));
        b.add("src/a.py", &finding("ab12", 3));
        // WHEN written and read back
        let json = b.to_json()?;
        let back = Baseline::from_json(&json)?;
        // THEN the format is the documented one, without duplicates
        assert!(json.contains("\"version\": 1"), "{json}");
        assert_eq!(back.len(), 1);
        assert_eq!(back.entries()[0].path, "src/a.py");
        // AND the same secret elsewhere is still baselined; another is not
        assert!(back.contains(&finding("ab12", 99)));
        assert!(!back.contains(&finding("cd34", 3)));
        Ok(())
    }

    #[test]
    fn rejects_other_versions_and_moves_known_findings() -> Result<(), ScanError> {
        // GIVEN a version-2 file
        let err = Baseline::from_json(r#"{"version":2,"fingerprints":[]}"#);
        // THEN it is refused with the version in the message
        assert!(err.is_err_and(|e| e.to_string().contains("version 2")));
        // GIVEN an outcome with a known and a new finding
        let b = Baseline::from_json(
            r#"{"version":1,"fingerprints":[{"fingerprint":"ab12","rule_id":"aws-access-key-id","path":"x","line":1}]}"#,
        )?;
        let mut outcome = ScanOutcome {
            findings: vec![finding("ab12", 1), finding("cd34", 2)],
            dropped: Vec::new(),
        };
        // WHEN the baseline is applied
        outcome.apply_baseline(&b);
        // THEN only the new one stays, the known one is dropped as Baseline
        assert_eq!(outcome.findings.len(), 1);
        assert_eq!(outcome.findings[0].fingerprint, "cd34");
        assert_eq!(outcome.dropped.len(), 1);
        assert_eq!(outcome.dropped[0].reason, DropReason::Baseline);
        Ok(())
    }

    /// The error and its whole source chain, as `{:#}` prints it.
    fn chain(error: &ScanError) -> String {
        let mut text = format!("{error} {error:?}");
        let mut source = std::error::Error::source(error);
        while let Some(e) = source {
            text.push_str(&format!("\n{e}"));
            source = e.source();
        }
        text
    }

    #[test]
    fn parse_errors_say_where_and_what_without_the_value() {
        const KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
        // GIVEN baselines with a malformed entry holding a key: a string
        // line, a non-string fingerprint beside a key, a key as version,
        // a key where a value's quotes are missing
        let cases = [
            (
                format!(
                    r#"{{"version":1,"fingerprints":[{{"fingerprint":"ab","line":"{KEY}"}}]}}"#
                ),
                "a value has the wrong type, expected usize",
            ),
            (
                format!(
                    "{{\"version\":1,\n\"fingerprints\":[{{\"path\":\"{KEY}\",\"fingerprint\":7}}]}}"
                ),
                "a value has the wrong type, expected a string",
            ),
            (
                format!(r#"{{"version":"{KEY}"}}"#),
                "a value has the wrong type, expected u64",
            ),
            (
                format!(r#"{{"version":1,"fingerprints":[{KEY}]}}"#),
                "not valid JSON syntax",
            ),
        ];
        for (text, kind) in &cases {
            // WHEN read
            let error = match Baseline::from_json(text) {
                Ok(_) => panic!("accepted {text}"),
                Err(e) => e,
            };
            // THEN the message has the position and the kind, never the key
            let all = chain(&error);
            assert!(!all.contains(KEY), "{all}");
            assert!(!all.contains("AKIA"), "{all}");
            let message = error.to_string();
            assert!(message.contains("(line "), "{message}");
            assert!(message.contains(", column "), "{message}");
            assert!(message.ends_with(kind), "{message}");
        }
        // AND the second case points at its line
        let second = Baseline::from_json(&cases[1].0)
            .err()
            .map(|e| e.to_string());
        assert!(
            second
                .as_deref()
                .is_some_and(|m| m.contains("(line 2, column ")),
            "{second:?}"
        );
    }
}
