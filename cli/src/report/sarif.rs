//! SARIF 2.1.0, as GitHub code scanning (and most SARIF viewers) load it:
//! one run, the rules in `tool.driver.rules`, one result per finding with a
//! relative `%SRCROOT%` location and a `partialFingerprints` entry so that
//! alerts keep their identity across runs. The message carries the masked
//! value only.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::{Located, Report};
use crate::engine_glue::{self, RuleMeta};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const FINGERPRINT_KEY: &str = "codewarden/v1";

pub fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(report))?;
    writeln!(out)?;
    Ok(())
}

fn document(report: &Report) -> Value {
    let information_uri = env!("CARGO_PKG_REPOSITORY");
    let rules: Vec<Value> = report
        .rules
        .iter()
        .map(|rule| rule_descriptor(rule, information_uri))
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|located| result(located, &report.rules))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|error| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}", error.path, error.error) },
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "codewarden",
                    "informationUri": information_uri,
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "utf16CodeUnits",
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}

fn rule_descriptor(rule: &RuleMeta, information_uri: &str) -> Value {
    let help_uri = rule
        .references
        .iter()
        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
        .map_or(information_uri, String::as_str);
    let mut full = format!(
        "{}: a credential that should not be committed ({} confidence).",
        rule.name, rule.confidence
    );
    if !rule.keywords.is_empty() {
        full.push_str(&format!(" Keywords: {}.", rule.keywords.join(", ")));
    }
    json!({
        "id": rule.id,
        "name": pascal_case(&rule.id),
        "shortDescription": { "text": rule.name },
        "fullDescription": { "text": full },
        "help": {
            "text": "Revoke or rotate the credential at its issuer, then remove it from the code \
                     (and, if it was pushed, from the history). A false positive can be silenced \
                     with an allowlist in .codewarden.toml or a baseline."
        },
        "helpUri": help_uri,
        "defaultConfiguration": { "level": level(&rule.severity) },
        "properties": {
            "tags": ["security", "secret", "external/cwe/cwe-798"],
            "precision": precision(&rule.confidence),
            "security-severity": security_severity(&rule.severity),
        }
    })
}

fn result(located: &Located, rules: &[RuleMeta]) -> Value {
    let f = &located.finding;
    let rule_index = rules.iter().position(|r| r.id == f.rule_id);
    let mut text = format!("{} found: {}", f.rule_name, f.masked);
    if let Some(origin) = &located.origin {
        text.push_str(&format!(
            " (added in commit {} by {})",
            origin.commit, origin.author
        ));
    }
    let mut result = json!({
        "ruleId": f.rule_id,
        "level": level(&engine_glue::severity(f)),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri_path(&located.path), "uriBaseId": "%SRCROOT%" },
                "region": {
                    "startLine": f.line,
                    "startColumn": located.utf16_columns.0,
                    "endLine": f.end_line,
                    "endColumn": located.utf16_columns.1,
                }
            }
        }],
        "partialFingerprints": { FINGERPRINT_KEY: f.fingerprint },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = json!(index);
    }
    if let Some(origin) = &located.origin {
        result["properties"] = json!({
            "commit": origin.commit,
            "author": origin.author,
            "email": origin.email,
            "date": origin.date,
        });
    }
    result
}

fn level(severity: &str) -> &'static str {
    match severity {
        "high" | "critical" => "error",
        "medium" => "warning",
        _ => "note",
    }
}

/// GitHub's scale: >= 9 critical, 7-8.9 high, 4-6.9 medium, < 4 low.
fn security_severity(severity: &str) -> &'static str {
    match severity {
        "critical" => "9.5",
        "high" => "8.0",
        "medium" => "5.5",
        _ => "3.0",
    }
}

fn precision(confidence: &str) -> &'static str {
    match confidence {
        "high" => "high",
        "medium" => "medium",
        _ => "low",
    }
}

/// `aws-access-key-id` -> `AwsAccessKeyId` (SARIF recommends Pascal case names).
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A relative path as a URI reference: forward slashes, and anything outside
/// RFC 3986's unreserved set (and `/`) percent-encoded.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(uri_path("src/main.rs"), "src/main.rs");
        assert_eq!(uri_path("a dir\\x#1.txt"), "a%20dir/x%231.txt");
        assert_eq!(uri_path("café.rs"), "caf%C3%A9.rs");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("aws-access-key-id"), "AwsAccessKeyId");
        assert_eq!(pascal_case("github_pat"), "GithubPat");
    }

    #[test]
    fn severities_map_to_sarif_levels() {
        assert_eq!(level("high"), "error");
        assert_eq!(level("medium"), "warning");
        assert_eq!(level("low"), "note");
    }
}
