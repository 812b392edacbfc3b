//! secret-scanner's findings report, as far as the gate reads it.
//!
//! The contract: `findings/<repository>/<commitId>.json`, written for every
//! scanned commit, schema `codewarden/findings-report@1`. Absent: not
//! scanned; `findingCount > 0`: findings; `0`: clean; anything the gate
//! cannot vouch for (not JSON, another schema, another commit, a count
//! that contradicts the list): unknown, so a person decides. The report's
//! findings are never copied anywhere: only their number is used.

use serde::Deserialize;
use shared::approval::ScanState;

/// The schema this reader understands.
pub const SCHEMA: &str = "codewarden/findings-report@1";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    schema: Option<String>,
    commit_id: Option<String>,
    finding_count: Option<u64>,
    #[serde(default)]
    findings: Vec<serde::de::IgnoredAny>,
}

/// What a report says about `commit`.
pub fn classify(bytes: &[u8], commit: &str) -> ScanState {
    let unknown = |why: &str| ScanState::Unknown {
        reason: format!(
            "the secret-scanner report for commit {} {why}",
            shared::approval::policy::short(commit)
        ),
    };
    let Ok(head) = serde_json::from_slice::<Head>(bytes) else {
        return unknown("is not readable JSON");
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
    match head.finding_count {
        None => unknown("has no findingCount"),
        Some(0) if !head.findings.is_empty() => unknown("lists findings but counts none"),
        Some(0) => ScanState::Clean,
        Some(count) => ScanState::Findings { count },
    }
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

    #[test]
    fn counts_decide_clean_or_findings() {
        assert_eq!(classify(report(0, "").as_bytes(), COMMIT), ScanState::Clean);
        let finding =
            r#"{"ruleId": "aws-access-key-id", "masked": "AKIA****", "fingerprint": "f"}"#;
        assert_eq!(
            classify(report(1, finding).as_bytes(), COMMIT),
            ScanState::Findings { count: 1 }
        );
    }

    #[test]
    fn anything_doubtful_is_unknown() {
        let cases = [
            "not json".to_owned(),
            report(0, "").replace(SCHEMA, "codewarden/findings-report@2"),
            report(0, "").replace(COMMIT, &"0".repeat(40)),
            report(0, r#"{"ruleId": "x"}"#),
            report(0, "").replace(r#""findingCount": 0,"#, ""),
        ];
        for case in cases {
            assert!(
                matches!(classify(case.as_bytes(), COMMIT), ScanState::Unknown { .. }),
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
