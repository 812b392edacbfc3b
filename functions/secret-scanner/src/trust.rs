//! Which `.codewarden.toml` and baseline a scan trusts, and what a push
//! changes in them (pure).
//!
//! The files are read at the default branch as it was before the event
//! (its old tip for a push to it, its tip otherwise), by commit id, never
//! at the pushed commit nor at a name: one push that adds a key and
//! `[allow] paths = ["prod.env"]` must not be reported clean. A push that
//! loosens them is reported as a
//! finding of its own (`codewarden-suppression-changed`), with the entries
//! it adds, so that whoever reviews the default branch decides.

use std::collections::BTreeSet;

use shared::scan::{Baseline, Confidence, Finding, RepoConfig, Severity};

use crate::ports::DefaultBranch;
use crate::report::token;
use crate::scanning::PragmaFinding;

/// The rule id of the finding a loosening change of `.codewarden.toml` or
/// of the baseline raises.
pub const SUPPRESSION_RULE_ID: &str = "codewarden-suppression-changed";

/// `REPOSITORY_ALLOWLISTS`: whether repositories may allow anything.
/// Either way a `codewarden:allow` comment is honoured only when the
/// trusted revision already has it ([`pragma_suppression`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AllowlistPolicy {
    /// `allowed` (default): `.codewarden.toml` `[allow]`, the baseline and
    /// `codewarden:allow` comments are honoured, read from the default
    /// branch (a comment only where the default branch has it).
    #[default]
    Allowed,
    /// `forbidden`: none of them is; a repository's `[[rules]]` still add
    /// detection.
    Forbidden,
}

/// The commit whose configuration a push to `branch` trusts, as a full
/// commit id: for the default branch itself, `before` (its tip before the
/// push, `None` for the first push: built-in rules only); for any other
/// branch or a tag, the default branch's tip as resolved once for the
/// event ([`DefaultBranch::commit`], by GetBranch: never its name, which
/// a tag `main` would shadow). `None` too when the repository has no
/// default branch yet. A pull request trusts its destination commit
/// instead (see the handler).
pub fn trusted_revision(
    default: Option<&DefaultBranch>,
    branch: Option<&str>,
    before: Option<&str>,
) -> Option<String> {
    let default = default?;
    if branch == Some(default.name.as_str()) {
        return before.map(str::to_owned);
    }
    Some(default.commit.clone())
}

/// What a changed `.codewarden.toml` or baseline allows that the trusted
/// one does not, as a finding at line 1 of `path`; `None` when it allows
/// nothing new (or is not one of the two files, or cannot be parsed: an
/// invalid file is ignored by the scanner, so it loosens nothing).
///
/// Paths and rule ids are shown; `[allow] regexes` only counted (one may
/// hold a literal secret); baseline entries by path and line.
pub fn suppression_change(
    path: &str,
    after: &[u8],
    trusted_config: &RepoConfig,
    trusted_baseline: &Baseline,
) -> Option<Finding> {
    let text = String::from_utf8_lossy(after);
    let mut changes = Vec::new();
    if path == RepoConfig::FILE_NAME {
        let new = RepoConfig::from_toml(&text).ok()?;
        let (old, new) = (trusted_config.allow_entries(), new.allow_entries());
        let added = |old: &[String], new: &[String]| -> Vec<String> {
            let old: BTreeSet<&String> = old.iter().collect();
            let mut added: Vec<String> = new.iter().filter(|e| !old.contains(e)).cloned().collect();
            added.dedup();
            added
        };
        let paths = added(&old.paths, &new.paths);
        if !paths.is_empty() {
            changes.push(format!("[allow] paths + {}", quoted(&paths)));
        }
        let rules = added(&old.rules, &new.rules);
        if !rules.is_empty() {
            changes.push(format!("[allow] rules + {}", quoted(&rules)));
        }
        let regexes = added(&old.regexes, &new.regexes).len();
        if regexes > 0 {
            changes.push(format!("[allow] regexes + {regexes} (not shown)"));
        }
    } else if path == crate::scanning::BASELINE_FILE {
        let new = Baseline::from_json(&text).ok()?;
        let known: BTreeSet<&str> = trusted_baseline
            .entries()
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let added: Vec<String> = new
            .entries()
            .iter()
            .filter(|e| !known.contains(e.fingerprint.as_str()))
            .map(|e| format!("{}:{}", e.path, e.line))
            .collect();
        if !added.is_empty() {
            changes.push(format!(
                "baseline + {} accepted finding(s) at {}",
                added.len(),
                added.join(", ")
            ));
        }
    } else {
        return None;
    }
    if changes.is_empty() {
        return None;
    }
    let description = changes.join("; ");
    Some(Finding {
        rule_id: SUPPRESSION_RULE_ID.to_owned(),
        rule_name: "scanner suppression changed".to_owned(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
        fingerprint: token(&[SUPPRESSION_RULE_ID, path, &description]),
        masked: description,
        confidence: Confidence::High,
        severity: Severity::Medium,
        baseline_key: Default::default(),
    })
}

/// The finding a `codewarden:allow` comment that the trusted revision does
/// not have raises, beside the finding it would suppress (which stands):
/// at the comment's line, naming the rule it would silence, quoting no
/// secret. A pusher's own comment never silences the guard chain; it
/// takes effect once it is on the default branch, where it is reviewed.
pub fn pragma_suppression(path: &str, pragma: &PragmaFinding) -> Finding {
    let line = pragma
        .lines
        .iter()
        .find(|l| l.content.contains("codewarden:allow"))
        .map_or(pragma.finding.line, |l| l.number);
    let description = format!(
        "`codewarden:allow` at line {line} would suppress {rule} (a comment not on the default branch is not honoured)",
        rule = pragma.finding.rule_id
    );
    Finding {
        rule_id: SUPPRESSION_RULE_ID.to_owned(),
        rule_name: "scanner suppression changed".to_owned(),
        line,
        column: 1,
        end_line: line,
        end_column: 1,
        fingerprint: token(&[
            SUPPRESSION_RULE_ID,
            path,
            &line.to_string(),
            &pragma.finding.fingerprint,
        ]),
        masked: description,
        confidence: Confidence::High,
        severity: Severity::Medium,
        baseline_key: Default::default(),
    }
}

fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("\"{item}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> RepoConfig {
        RepoConfig::from_toml(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_trusted_revision_is_a_commit_id_never_a_name() {
        // GIVEN the default branch main resolved to its tip's id
        let main = DefaultBranch {
            name: "main".into(),
            commit: "a".repeat(40),
        };
        // WHEN a feature branch or a tag (even one named main) is pushed
        // THEN the default branch's commit id is trusted
        assert_eq!(
            trusted_revision(Some(&main), Some("feature"), Some(&"b".repeat(40))),
            Some("a".repeat(40))
        );
        assert_eq!(
            trusted_revision(Some(&main), None, None),
            Some("a".repeat(40))
        );
        // AND a push to main trusts main's old tip, the first push nothing
        assert_eq!(
            trusted_revision(Some(&main), Some("main"), Some(&"c".repeat(40))),
            Some("c".repeat(40))
        );
        assert_eq!(trusted_revision(Some(&main), Some("main"), None), None);
        // AND a repository without a default branch trusts nothing
        assert_eq!(trusted_revision(None, Some("feature"), None), None);
    }

    #[test]
    fn added_allow_entries_are_a_finding() {
        // GIVEN a trusted config allowing tests/, and a push allowing more
        let trusted = config("[allow]\npaths = [\"tests/**\"]\n");
        let after = b"[allow]\npaths = [\"tests/**\", \"prod.env\"]\nrules = [\"generic-password\"]\nregexes = ['^AKIAZ7Q3XK2LMNB4RT6Y$']\n";
        // WHEN compared
        let found = suppression_change(".codewarden.toml", after, &trusted, &Baseline::new());
        // THEN the finding names the new path and rule, counts the regex, quotes no secret
        let found = found.unwrap_or_else(|| panic!("expected a finding"));
        assert_eq!(found.rule_id, SUPPRESSION_RULE_ID);
        assert_eq!(
            found.masked,
            "[allow] paths + \"prod.env\"; [allow] rules + \"generic-password\"; [allow] regexes + 1 (not shown)"
        );
        assert!(!format!("{found:?}").contains("AKIAZ7Q3XK2LMNB4RT6Y"));
    }

    #[test]
    fn tightening_or_unrelated_files_are_not() {
        let trusted = config("[allow]\npaths = [\"tests/**\", \"docs/**\"]\n");
        let tighter = b"[allow]\npaths = [\"tests/**\"]\n";
        assert!(
            suppression_change(".codewarden.toml", tighter, &trusted, &Baseline::new()).is_none()
        );
        assert!(
            suppression_change("src/.codewarden.toml", tighter, &trusted, &Baseline::new())
                .is_none()
        );
        // AND an invalid file allows nothing (the scanner ignores it)
        assert!(
            suppression_change(".codewarden.toml", b"[allow", &trusted, &Baseline::new()).is_none()
        );
    }

    #[test]
    fn new_baseline_entries_are_a_finding() -> Result<(), shared::scan::ScanError> {
        let trusted = Baseline::from_json(
            r#"{"version":1,"fingerprints":[{"fingerprint":"aa","rule_id":"r","path":"a.env","line":1}]}"#,
        )?;
        let after = br#"{"version":1,"fingerprints":[
            {"fingerprint":"aa","rule_id":"r","path":"a.env","line":1},
            {"fingerprint":"bb","rule_id":"r","path":"prod.env","line":3}]}"#;
        let found = suppression_change(
            ".codewarden-baseline.json",
            after,
            &RepoConfig::default(),
            &trusted,
        );
        assert_eq!(
            found.map(|f| f.masked).as_deref(),
            Some("baseline + 1 accepted finding(s) at prod.env:3")
        );
        Ok(())
    }

    #[test]
    fn an_unhonoured_pragma_is_a_finding_at_its_line_quoting_no_secret()
    -> Result<(), shared::scan::RulesError> {
        // GIVEN a PEM-like match over lines 3 to 5 whose comment is on line 5
        let scanner = shared::scan::Scanner::new(shared::scan::Rules::builtin()?);
        let secret = scanner
            .scan(b"aws_access_key_id = AKIAZ7Q3XK2LMNB4RT6Y\n")
            .remove(0);
        let line = |number: usize, content: &str| crate::ports::AddedLine {
            number,
            content: content.to_owned(),
        };
        let pragma = PragmaFinding {
            finding: secret,
            lines: vec![
                line(3, "begin"),
                line(4, "AKIAZ7Q3XK2LMNB4RT6Y"),
                line(5, "end # codewarden:allow"),
            ],
        };
        // WHEN turned into its suppression finding
        let found = pragma_suppression("keys/a.pem", &pragma);
        // THEN it is at the comment's line, names the rule, quotes no secret
        assert_eq!(found.rule_id, SUPPRESSION_RULE_ID);
        assert_eq!((found.line, found.end_line), (5, 5));
        assert!(
            found
                .masked
                .contains("line 5 would suppress aws-access-key-id")
        );
        assert!(!format!("{found:?}").contains("AKIAZ7Q3XK2LMNB4RT6Y"));
        // AND the same comment gives the same fingerprint (one comment per retry)
        assert_eq!(found, pragma_suppression("keys/a.pem", &pragma));
        Ok(())
    }
}
