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

use crate::report::reason_text;
use crate::scanning::{CommitScan, NotScannedReason};

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
/// walk of the pull request's commits hit `MAX_COMMITS`. Fails closed: a
/// file of the net change that was not scanned (binary, NUL bytes that are
/// not UTF-16 text, over `MAX_BLOB_BYTES` or CodeCommit's limit) revokes,
/// with a reason naming it, as the approval gate asks a person about an
/// incomplete report. The reasons reach people only through the summary,
/// which the handler masks as a whole.
pub fn verdict(net: &CommitScan, stopped_at: Option<&str>, max_blob_bytes: u64) -> Verdict {
    let mut reasons = Vec::new();
    if !net.findings.is_empty() {
        reasons.push(format!(
            "{} potential secret(s) in the changes of this pull request",
            net.findings.len()
        ));
    }
    let unread: Vec<_> = net
        .not_scanned
        .iter()
        .filter(|n| n.reason != NotScannedReason::TruncatedWalk)
        .collect();
    for file in &unread {
        reasons.push(format!(
            "`{}` was not scanned ({}): a person must check it",
            file.path,
            reason_text(file.reason, max_blob_bytes)
        ));
    }
    // The counts and the list go together; should they not, the counts
    // still fail closed.
    let counted = net.skipped.too_large + net.skipped.binary;
    if counted > unread.len() {
        reasons.push(format!(
            "{} file(s) not scanned (binary or too large)",
            counted - unread.len()
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
    use crate::scanning::{FileFinding, NotScanned, Skipped};
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
            not_scanned: (0..too_large)
                .map(|n| NotScanned {
                    path: format!("data/{n}.bin"),
                    reason: NotScannedReason::TooLarge,
                })
                .collect(),
            allowed_files: 0,
        })
    }

    const MAX: u64 = 2 * 1024 * 1024;

    #[test]
    fn clean_and_complete_approves_anything_else_revokes() -> Result<(), shared::scan::RulesError> {
        assert_eq!(verdict(&net(0, 0)?, None, MAX), Verdict::Approve);
        assert!(!verdict(&net(1, 0)?, None, MAX).approves());
        assert!(!verdict(&net(0, 1)?, None, MAX).approves());
        let stopped = verdict(&net(0, 0)?, Some(&"d".repeat(40)), MAX);
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
        let blocked = summary(&verdict(&scan, None, MAX), &scan, &"b".repeat(40));
        let clean = net(0, 0)?;
        let passed = summary(&verdict(&clean, None, MAX), &clean, &"b".repeat(40));
        // THEN the secret is masked and both read as a person needs them
        assert!(!blocked.contains(SECRET) && blocked.contains("AKIA***"));
        insta::assert_snapshot!(format!("{blocked}\n---\n{passed}"));
        Ok(())
    }

    #[test]
    fn every_file_not_scanned_revokes_by_name() -> Result<(), shared::scan::RulesError> {
        // GIVEN a net change with a binary file, one CodeCommit refused and
        // one over the limit (their paths go through the alert's masking;
        // a key in a bare file name is the masking boundary's case)
        let mut scan = net(0, 0)?;
        scan.skipped.binary = 1;
        scan.skipped.too_large = 2;
        scan.not_scanned = vec![
            NotScanned {
                path: "img/logo.png".into(),
                reason: NotScannedReason::Binary,
            },
            NotScanned {
                path: "dump.sql".into(),
                reason: NotScannedReason::FileTooLarge,
            },
            NotScanned {
                path: "keys/big.txt".into(),
                reason: NotScannedReason::TooLarge,
            },
        ];
        // WHEN judged
        let verdict = verdict(&scan, None, MAX);
        // THEN revoked, one reason per file
        let Verdict::Revoke { reasons } = verdict else {
            panic!("approved a change with unread files");
        };
        assert_eq!(
            reasons,
            vec![
                "`img/logo.png` was not scanned (binary): a person must check it".to_owned(),
                "`dump.sql` was not scanned (over CodeCommit's size limit): a person must check it"
                    .to_owned(),
                "`keys/big.txt` was not scanned (over 2 MiB): a person must check it".to_owned(),
            ]
        );
        // AND a binary file counted but not listed still revokes
        let mut counted = net(0, 0)?;
        counted.skipped.binary = 1;
        assert!(!verdict_of(&counted)?.approves());
        Ok(())
    }

    fn verdict_of(scan: &CommitScan) -> Result<Verdict, shared::scan::RulesError> {
        Ok(verdict(scan, None, MAX))
    }
}
