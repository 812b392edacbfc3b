//! Push protection for pull requests (pure): whether the scanner approves
//! a pull request's current revision, and the one summary comment that
//! says why. The approval rule template `codewarden protect` installs
//! requires the scanner's approval, so a pull request that adds a secret
//! cannot be merged until a later push removes it.
//!
//! The verdict is about the pull request's net change (merge base to
//! source tip: what a squash merge brings into the destination). A secret
//! that a later commit of the pull request removed is commented on
//! separately (it is still in the branch's history) but does not block.

use crate::scanning::CommitScan;

/// What the scanner does to the pull request's approval state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The net change adds no secret and was scanned whole.
    Approve,
    /// Findings, or a scan that could not see everything.
    Revoke { reasons: Vec<String> },
}

impl Verdict {
    pub fn approves(&self) -> bool {
        matches!(self, Self::Approve)
    }
}

/// The verdict on the net change `net`; `stopped_at` is set when the
/// walk of the pull request's commits hit `MAX_COMMITS`.
pub fn verdict(net: &CommitScan, stopped_at: Option<&str>) -> Verdict {
    let mut reasons = Vec::new();
    if !net.findings.is_empty() {
        reasons.push(format!(
            "{} potential secret(s) in the changes of this pull request",
            net.findings.len()
        ));
    }
    if net.skipped.too_large > 0 {
        reasons.push(format!(
            "{} file(s) too large to scan (over MAX_BLOB_BYTES or CodeCommit's limit)",
            net.skipped.too_large
        ));
    }
    if let Some(commit) = stopped_at {
        reasons.push(format!(
            "more commits than MAX_COMMITS: the scan stopped at {}",
            short(commit)
        ));
    }
    if reasons.is_empty() {
        Verdict::Approve
    } else {
        Verdict::Revoke { reasons }
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(8)]
}

/// The summary comment (Markdown), one per pull request, updated on every
/// push to the source branch. Masked previews only.
pub fn summary(verdict: &Verdict, net: &CommitScan, destination: &str) -> String {
    let source = &net.commit.id;
    let mut text = match verdict {
        Verdict::Approve => format!(
            "**codewarden secret scan: passed** for source commit `{}` (compared with `{}`).\n\n\
             No secret found in the changes of this pull request: codewarden approved this revision.",
            short(source),
            short(destination)
        ),
        Verdict::Revoke { reasons } => {
            let mut text = format!(
                "**codewarden secret scan: blocked** for source commit `{}` (compared with `{}`).\n\n\
                 codewarden does not approve this revision:\n",
                short(source),
                short(destination)
            );
            for reason in reasons {
                text.push_str(&format!("\n- {reason}"));
            }
            text
        }
    };
    if !net.findings.is_empty() {
        text.push_str("\n\n| file | line | rule | value |\n|---|---|---|---|");
        for found in &net.findings {
            let f = &found.finding;
            text.push_str(&format!(
                "\n| `{}` | {} | {} (`{}`) | `{}` |",
                found.path, f.line, f.rule_name, f.rule_id, f.masked
            ));
        }
        text.push_str(
            "\n\nTreat each as leaked: **rotate the credential first**, then push a commit \
             that removes it (or rewrite the branch). codewarden scans the new revision and \
             approves it when it is clean.",
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::CommitInfo;
    use crate::scanning::{FileFinding, Skipped};
    use shared::scan::{Rules, Scanner};

    const SECRET: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

    fn net(findings: usize, too_large: usize) -> Result<CommitScan, shared::scan::RulesError> {
        let scanner = Scanner::new(Rules::builtin()?);
        let found = (0..findings)
            .map(|n| FileFinding {
                path: format!("config/{n}.env"),
                finding: scanner
                    .scan(format!("aws_access_key_id = {SECRET}\n").as_bytes())
                    .remove(0),
                access_key: None,
            })
            .collect();
        Ok(CommitScan {
            commit: CommitInfo {
                id: "c".repeat(40),
                parents: vec!["b".repeat(40)],
                author: None,
                summary: String::new(),
                message: String::new(),
            },
            findings: found,
            skipped: Skipped {
                too_large,
                ..Skipped::default()
            },
            not_scanned: Vec::new(),
            allowed_files: 0,
        })
    }

    #[test]
    fn clean_and_complete_approves_anything_else_revokes() -> Result<(), shared::scan::RulesError> {
        assert_eq!(verdict(&net(0, 0)?, None), Verdict::Approve);
        assert!(!verdict(&net(1, 0)?, None).approves());
        assert!(!verdict(&net(0, 1)?, None).approves());
        let stopped = verdict(&net(0, 0)?, Some(&"d".repeat(40)));
        assert_eq!(
            stopped,
            Verdict::Revoke {
                reasons: vec!["more commits than MAX_COMMITS: the scan stopped at dddddddd".into()]
            }
        );
        Ok(())
    }

    #[test]
    fn the_summary_snapshot_masks_the_secret() -> Result<(), shared::scan::RulesError> {
        // GIVEN a net change with one secret and one file too large
        let scan = net(1, 1)?;
        // WHEN summarised
        let blocked = summary(&verdict(&scan, None), &scan, &"b".repeat(40));
        let clean = net(0, 0)?;
        let passed = summary(&verdict(&clean, None), &clean, &"b".repeat(40));
        // THEN the secret is masked and both read as a person needs them
        assert!(!blocked.contains(SECRET) && blocked.contains("AKIA***"));
        insta::assert_snapshot!(format!("{blocked}\n---\n{passed}"));
        Ok(())
    }
}
