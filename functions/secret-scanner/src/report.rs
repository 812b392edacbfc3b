//! What the findings say, in the three places they go (pure): the S3
//! findings report (the contract with `approval-gate`), the comment at the
//! line, and the SNS alert. Each holds the masked preview and the
//! fingerprint of a secret, never the secret.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::links;
use shared::notify::{self, Alert, mask_secrets};
use shared::scan::{Finding, Scanner, Severity};

use crate::aws_keys::{KeyReport, KeyStatus};
use crate::scanning::{CommitScan, FileFinding, NotScanned, NotScannedReason, Skipped};

/// The report's `schema`; `approval-gate` refuses others.
pub const REPORT_SCHEMA: &str = "codewarden/findings-report@1";

/// `findings/<repository>/<commitId>.json`, written for every scanned
/// commit, also when clean.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema: &'static str,
    pub repository: String,
    pub commit_id: String,
    /// The commit it was compared with (its first parent); `null` for a
    /// root commit.
    pub parent_commit_id: Option<String>,
    /// `refs/heads/main`; `null` when scanned for a pull request only.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub scanned_at: String,
    pub finding_count: usize,
    pub findings: Vec<ReportFinding>,
    pub skipped: Skipped,
    /// `false` when anything of this commit was not scanned, or the walk
    /// of its event was truncated: `approval-gate` asks a person then.
    pub complete: bool,
    /// What was not scanned and why (`tooLarge`, `fileTooLarge`,
    /// `binary`; `truncatedWalk` with path `""`).
    pub not_scanned: Vec<NotScanned>,
    /// Files not scanned because `.codewarden.toml` `[allow] paths` allows them.
    pub allowed_files: usize,
    /// The push had more commits than `MAX_COMMITS`: older ones were not
    /// scanned. `stoppedAt` is the newest commit left out.
    pub truncated: bool,
    pub stopped_at: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportFinding {
    pub rule_id: String,
    pub rule_name: String,
    pub severity: Severity,
    pub confidence: shared::scan::Confidence,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub masked: String,
    pub fingerprint: String,
}

impl ReportFinding {
    fn new(found: &FileFinding) -> Self {
        let f = &found.finding;
        Self {
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            severity: f.severity,
            confidence: f.confidence,
            path: found.path.clone(),
            line: f.line,
            column: f.column,
            masked: f.masked.clone(),
            fingerprint: f.fingerprint.clone(),
        }
    }
}

/// Where a scan stopped, for the report and the alert.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Truncation {
    pub stopped_at: Option<String>,
}

pub fn report(
    repository: &str,
    reference: Option<&str>,
    scan: &CommitScan,
    truncation: &Truncation,
    scanned_at: chrono::DateTime<chrono::Utc>,
) -> Report {
    let mut not_scanned = scan.not_scanned.clone();
    if truncation.stopped_at.is_some() {
        not_scanned.push(NotScanned {
            path: String::new(),
            reason: NotScannedReason::TruncatedWalk,
        });
    }
    Report {
        schema: REPORT_SCHEMA,
        repository: repository.to_owned(),
        commit_id: scan.commit.id.clone(),
        parent_commit_id: scan.commit.parents.first().cloned(),
        reference: reference.map(str::to_owned),
        scanned_at: scanned_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        finding_count: scan.findings.len(),
        findings: scan.findings.iter().map(ReportFinding::new).collect(),
        skipped: scan.skipped,
        complete: not_scanned.is_empty(),
        not_scanned,
        allowed_files: scan.allowed_files,
        truncated: truncation.stopped_at.is_some(),
        stopped_at: truncation.stopped_at.clone(),
    }
}

/// A deterministic idempotency token: SHA-256 of the parts, hex (64
/// characters), so a redelivered event posts nothing new.
pub fn token(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

/// The comment posted at the line of a finding (Markdown, as the
/// CodeCommit console renders it). Only the rule and the masked preview.
pub fn comment_text(finding: &Finding) -> String {
    if finding.rule_id == crate::trust::SUPPRESSION_RULE_ID {
        return format!(
            "**codewarden: this commit loosens what the scanner reports** (`{id}`)\n\n             Change: {change}\n\n             The scanner keeps using the default branch's version until this change is on \
             the default branch: review it as you would a change to the scanner itself.",
            id = finding.rule_id,
            change = finding.masked,
        );
    }
    format!(
        "**codewarden: possible {name}** (`{id}`, severity {severity}, confidence {confidence})\n\n\
         Value: `{masked}` (fingerprint `{fingerprint}`)\n\n\
         Treat it as leaked: **rotate the credential first**, then remove it from the \
         history (deleting the line in a new commit does not un-leak it). If this is not a \
         secret, add `codewarden:allow {id}` to the line, or an allowlist entry to \
         `.codewarden.toml`: either counts once it is on the default branch.",
        name = finding.rule_name,
        id = finding.rule_id,
        severity = finding.severity,
        confidence = finding.confidence,
        masked = finding.masked,
        fingerprint = &finding.fingerprint[..finding.fingerprint.len().min(16)],
    )
}

/// Where the findings of an alert were pushed.
#[derive(Clone, Debug, Default)]
pub struct AlertContext {
    pub repository: String,
    pub region: String,
    /// `main`, or the pull request's source branch.
    pub branch: Option<String>,
    pub reference: Option<String>,
    pub pull_request_id: Option<String>,
    /// Who pushed (the event's caller).
    pub pushed_by: Option<String>,
    pub truncation: Truncation,
    /// `MAX_BLOB_BYTES`, to say what "too large" means.
    pub max_blob_bytes: u64,
}

/// `1 MiB`, `512 KiB`, `1000 bytes`.
fn bytes_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    match bytes {
        0 => "0 bytes".to_owned(),
        b if b.is_multiple_of(MIB) => format!("{} MiB", b / MIB),
        b if b.is_multiple_of(KIB) => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// Why a file was not scanned, for people (`over 2 MiB`, `binary`).
pub(crate) fn reason_text(reason: NotScannedReason, max_blob_bytes: u64) -> String {
    match reason {
        NotScannedReason::TooLarge => format!("over {}", bytes_text(max_blob_bytes)),
        NotScannedReason::FileTooLarge => "over CodeCommit's size limit".to_owned(),
        NotScannedReason::Binary => "binary".to_owned(),
        NotScannedReason::TruncatedWalk => "not reached: more commits than MAX_COMMITS".to_owned(),
    }
}

/// One line per commit with files not scanned:
/// `not scanned: 2 files in abc12345: big.bin (over 1 MiB), data.db (binary)`.
/// Paths go through `mask_secrets`, as all text from the repository.
fn not_scanned_lines(scans: &[CommitScan], max_blob_bytes: u64, scanner: &Scanner) -> Vec<String> {
    scans
        .iter()
        .filter(|scan| !scan.not_scanned.is_empty())
        .map(|scan| {
            let files = scan
                .not_scanned
                .iter()
                .map(|n| {
                    format!(
                        "{} ({})",
                        mask_secrets(scanner, &n.path),
                        reason_text(n.reason, max_blob_bytes)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let count = scan.not_scanned.len();
            format!(
                "not scanned: {count} file{} in {}: {files}",
                if count == 1 { "" } else { "s" },
                short(&scan.commit.id)
            )
        })
        .collect()
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(8)]
}

fn alert_severity(findings: &[(&CommitScan, &FileFinding)], keys: &KeyReport) -> notify::Severity {
    if keys.any_live() {
        return notify::Severity::Critical;
    }
    match findings.iter().map(|(_, f)| f.finding.severity).max() {
        Some(Severity::High) => notify::Severity::Critical,
        Some(Severity::Medium) => notify::Severity::High,
        _ => notify::Severity::Medium,
    }
}

/// The alert of one event: its findings, and what of its `scans` was not
/// scanned (files, a truncated walk). `scanner` masks any secret in text
/// that came from the repository (commit summaries, author names, paths).
/// `keys` says what STS and IAM told of the access key ids found: a live
/// key of this account makes the alert critical and leads its title.
pub fn alert(
    context: &AlertContext,
    findings: &[(&CommitScan, &FileFinding)],
    scans: &[CommitScan],
    scanner: &Scanner,
    keys: &KeyReport,
) -> Alert {
    let key_of = |found: &FileFinding| -> Option<&KeyStatus> {
        found.access_key.as_ref().and_then(|id| keys.get(id))
    };
    let repository = &context.repository;
    let place = match (&context.pull_request_id, &context.branch) {
        (Some(id), _) => format!("{repository} pull request {id}"),
        (None, Some(branch)) => format!("{repository}/{branch}"),
        (None, None) => repository.clone(),
    };
    let not_scanned_files: usize = scans.iter().map(|s| s.not_scanned.len()).sum();
    let truncated = context.truncation.stopped_at.is_some();
    let complete = not_scanned_files == 0 && !truncated;
    let title = match findings {
        [] if not_scanned_files > 0 => {
            format!("Secret scan incomplete for {place}: {not_scanned_files} file(s) not scanned")
        }
        [] => format!("Secret scan incomplete for {place}: more commits than MAX_COMMITS"),
        [(_, one)] => format!(
            "Secret pushed to {place}: {} in {}",
            one.finding.rule_name, one.path
        ),
        many => format!("{} secrets pushed to {place}", many.len()),
    };
    let title = if keys.any_live() {
        format!("LIVE AWS key of this account: {title}")
    } else {
        title
    };
    let commits: BTreeSet<&str> = findings.iter().map(|(c, _)| c.commit.id.as_str()).collect();
    let opening = if findings.is_empty() {
        "codewarden could not scan everything this push added: what is listed below was NOT scanned for secrets.".to_owned()
    } else {
        format!(
            "codewarden found {} possible secret(s) in {} commit(s).",
            findings.len(),
            commits.len()
        )
    };
    let mut text = format!("{opening}\n\nRepository: {repository}\n");
    if let Some(branch) = &context.branch {
        text.push_str(&format!("Branch: {branch}\n"));
    }
    if let Some(id) = &context.pull_request_id {
        text.push_str(&format!(
            "Pull request: {id} ({}/codesuite/codecommit/repositories/{repository}/pull-requests/{id}?region={})\n",
            links::console_origin(&context.region),
            context.region
        ));
    }
    if let Some(by) = &context.pushed_by {
        text.push_str(&format!("Pushed by: {by}\n"));
    }
    let mut documents = Vec::new();
    for (index, (commit, found)) in findings.iter().enumerate() {
        let f = &found.finding;
        let link = links::commit(&context.region, repository, &commit.commit.id);
        let author = commit
            .commit
            .author
            .as_deref()
            .map(|a| mask_secrets(scanner, a))
            .unwrap_or_default();
        let summary = mask_secrets(scanner, &commit.commit.summary);
        let short = &commit.commit.id[..commit.commit.id.len().min(8)];
        let key = key_of(found);
        let live = key.is_some_and(KeyStatus::is_live);
        let severity = if live {
            "critical (live key)".to_owned()
        } else {
            f.severity.to_string()
        };
        let key_line = key
            .map(|status| format!("   AWS key: {}\n", status.describe()))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n{n}. {name} ({id}, severity {severity}) at {path}:{line}:{column}\n   Value: {masked}\n{key_line}   Commit: {short} by {author}: {summary}\n   {link}\n",
            n = index + 1,
            name = f.rule_name,
            id = f.rule_id,
            path = found.path,
            line = f.line,
            column = f.column,
            masked = f.masked,
        ));
        let mut document = json!({
            "commitId": commit.commit.id,
            "author": author,
            "summary": summary,
            "path": found.path,
            "line": f.line,
            "column": f.column,
            "ruleId": f.rule_id,
            "ruleName": f.rule_name,
            "severity": f.severity,
            "confidence": f.confidence,
            "masked": f.masked,
            "fingerprint": f.fingerprint,
            "link": link,
        });
        if let Some(status) = key {
            document["awsKey"] = status.document();
            if live {
                document["severity"] = json!("critical");
            }
        }
        documents.push(document);
    }
    if keys.not_checked > 0 {
        text.push_str(&format!(
            "\n{} more AWS access key id(s) were not looked up (at most {} per event): check them with `aws sts get-access-key-info`.\n",
            keys.not_checked,
            crate::aws_keys::MAX_KEY_LOOKUPS
        ));
    }
    let not_scanned = not_scanned_lines(scans, context.max_blob_bytes, scanner);
    if !not_scanned.is_empty() {
        text.push('\n');
        for line in &not_scanned {
            text.push_str(line);
            text.push('\n');
        }
    }
    if let Some(stopped) = &context.truncation.stopped_at {
        text.push_str(&format!(
            "\nThe push had more commits than this function scans per event: commits from {stopped} back were NOT scanned. Scan them with `codewarden scan --git {stopped}`.\n"
        ));
    }
    text.push_str("\nWhat to do:\n");
    let mut step = 0;
    let mut say = |what: &str| {
        step += 1;
        text.push_str(&format!("{step}. {what}\n"));
    };
    if keys.any_live() {
        say(
            "A LIVE access key of this account leaked (see AWS key above): make it inactive now (`aws iam update-access-key --status Inactive`) unless codewarden did, and check CloudTrail for its use since the push.",
        );
    }
    if !findings.is_empty() {
        say(
            "Rotate each credential now (revoke the key, issue a new one): once pushed, treat it as leaked.",
        );
        say(
            "Then remove it from the history (git filter-repo or BFG) and force-push; ask everyone with a clone to re-clone.",
        );
        say(
            "Not a secret? Add `codewarden:allow <rule-id>` to the line, or allow it in .codewarden.toml: either counts once it is on the default branch.",
        );
    }
    if !complete {
        say(
            "Check what was not scanned yourself (`codewarden scan` on a clone). Files that never hold secrets can be listed under [allow] paths in .codewarden.toml; MAX_BLOB_BYTES and MAX_COMMITS raise the limits.",
        );
    }
    let rule_ids: BTreeSet<&str> = findings
        .iter()
        .map(|(_, f)| f.finding.rule_id.as_str())
        .collect();
    let rule_ids = rule_ids.into_iter().collect::<Vec<_>>().join(",");
    let document = json!({
        "kind": "secret-findings",
        "repository": repository,
        "branch": context.branch,
        "ref": context.reference,
        "pullRequestId": context.pull_request_id,
        "findingCount": findings.len(),
        "findings": documents,
        "complete": complete,
        "notScanned": scans
            .iter()
            .flat_map(|scan| scan.not_scanned.iter().map(move |n| json!({
                "commitId": scan.commit.id,
                "path": mask_secrets(scanner, &n.path),
                "reason": n.reason,
            })))
            .collect::<Vec<_>>(),
        "truncated": truncated,
        "stoppedAt": context.truncation.stopped_at,
    });
    let mut attributes = BTreeMap::from([
        ("kind".to_owned(), "secret-findings".to_owned()),
        ("repository".to_owned(), repository.clone()),
        (
            "branch".to_owned(),
            context.branch.clone().unwrap_or_default(),
        ),
        ("ruleIds".to_owned(), rule_ids),
        ("complete".to_owned(), complete.to_string()),
    ]);
    if !keys.is_empty() {
        // For subscription filter policies: page someone on a live key.
        let live = if keys.any_live() { "live" } else { "notLive" };
        attributes.insert("awsKey".to_owned(), live.to_owned());
    }
    Alert {
        title,
        text,
        document,
        severity: alert_severity(findings, keys),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws_keys::AccessKeyId;
    use crate::ports::CommitInfo;
    use shared::scan::Rules;

    const SECRET: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

    fn scan_with_secret() -> Result<CommitScan, shared::scan::RulesError> {
        let scanner = Scanner::new(Rules::builtin()?);
        let finding = scanner
            .scan(format!("aws_access_key_id = {SECRET}\n").as_bytes())
            .remove(0);
        Ok(CommitScan {
            commit: CommitInfo {
                id: "a".repeat(40),
                parents: vec!["b".repeat(40)],
                author: Some("Dev One <dev1@example.com>".into()),
                summary: format!("add config with {SECRET}"),
                message: String::new(),
            },
            findings: vec![FileFinding {
                path: "config/prod.env".into(),
                finding,
                access_key: AccessKeyId::parse(SECRET),
            }],
            skipped: Skipped::default(),
            not_scanned: Vec::new(),
            allowed_files: 0,
        })
    }

    /// The alert of `scan`'s first finding, pushed to web/main.
    fn web_main_alert(scan: &CommitScan, scanner: &Scanner, keys: &KeyReport) -> Alert {
        let context = AlertContext {
            repository: "web".into(),
            region: "us-east-1".into(),
            branch: Some("main".into()),
            ..AlertContext::default()
        };
        alert(
            &context,
            &[(scan, &scan.findings[0])],
            std::slice::from_ref(scan),
            scanner,
            keys,
        )
    }

    #[test]
    fn the_alert_names_the_place_and_masks_everything() -> Result<(), Box<dyn std::error::Error>> {
        // GIVEN one finding whose commit message repeats the secret
        let scan = scan_with_secret()?;
        let scanner = Scanner::new(Rules::builtin()?);
        // WHEN the alert is rendered
        let alert = web_main_alert(&scan, &scanner, &KeyReport::default());
        let publish = alert.render(notify::Format::Json);
        // THEN the subject fits SNS, names repository, branch and file
        assert!(publish.subject.chars().count() < 100);
        assert!(publish.subject.contains("web/main"), "{}", publish.subject);
        assert!(
            alert.text.contains("config/prod.env:1:21"),
            "{}",
            alert.text
        );
        assert!(alert.text.contains("Rotate"), "{}", alert.text);
        assert_eq!(publish.attributes["ruleIds"], "aws-access-key-id");
        assert_eq!(publish.attributes["severity"], "critical");
        // AND the secret appears nowhere
        assert!(!publish.message.contains(SECRET));
        assert!(!publish.subject.contains(SECRET));
        let comment = comment_text(&scan.findings[0].finding);
        assert!(!comment.contains(SECRET) && comment.contains("AKIA***"));
        Ok(())
    }

    #[test]
    fn what_people_read_snapshot() -> Result<(), Box<dyn std::error::Error>> {
        // GIVEN one finding on a branch WHEN rendered
        let scan = scan_with_secret()?;
        let scanner = Scanner::new(Rules::builtin()?);
        let context = AlertContext {
            repository: "payments".into(),
            region: "eu-west-1".into(),
            branch: Some("main".into()),
            reference: Some("refs/heads/main".into()),
            pushed_by: Some("arn:aws:iam::123456789012:user/mary.major".into()),
            ..AlertContext::default()
        };
        let scans = [scan.clone()];
        let publish = alert(
            &context,
            &[(&scan, &scan.findings[0])],
            &scans,
            &scanner,
            &KeyReport::default(),
        )
        .render(notify::Format::Json);
        let message: serde_json::Value = serde_json::from_str(&publish.message)?;
        // THEN subject, email text, attributes (sorted: a BTreeMap) and
        // the comment read as a person needs them
        insta::assert_snapshot!(format!(
            "Subject: {}\nAttributes: {:?}\n\n{}\n---\n{}",
            publish.subject,
            publish.attributes,
            message["email"].as_str().unwrap_or_default(),
            comment_text(&scan.findings[0].finding),
        ));
        Ok(())
    }

    #[test]
    fn a_live_key_of_this_account_leads_the_alert_and_is_never_shown()
    -> Result<(), Box<dyn std::error::Error>> {
        use crate::aws_keys::{Deactivation, KeyStatus, LastUse};
        // GIVEN a finding whose key id IAM knows as an active key of ours,
        // deactivated by the scanner
        let scan = scan_with_secret()?;
        let scanner = Scanner::new(Rules::builtin()?);
        let id = AccessKeyId::parse(SECRET).ok_or("a key id")?;
        let mut keys = KeyReport::default();
        keys.insert(
            id,
            KeyStatus::Ours {
                account: "123456789012".into(),
                user: "deploy".into(),
                active: true,
                last_use: Some(LastUse {
                    date: "2026-11-30T10:00:00Z".into(),
                    service: Some("s3".into()),
                    region: Some("eu-west-1".into()),
                }),
                deactivation: Some(Deactivation::Done),
            },
        );
        // WHEN the alert is rendered
        let alert = web_main_alert(&scan, &scanner, &keys);
        let publish = alert.render(notify::Format::Json);
        // THEN the title, the finding and the attributes say so
        assert!(
            publish
                .subject
                .starts_with("LIVE AWS key of this account: "),
            "{}",
            publish.subject
        );
        assert!(
            alert.text.contains("severity critical (live key)"),
            "{}",
            alert.text
        );
        assert!(
            alert.text.contains("   AWS key: LIVE key of this account (123456789012), IAM user deploy, last used 2026-11-30T10:00:00Z (s3, eu-west-1); DEACTIVATED by codewarden"),
            "{}",
            alert.text
        );
        assert_eq!(publish.attributes["awsKey"], "live");
        assert_eq!(publish.attributes["severity"], "critical");
        let found = &alert.document["findings"][0];
        assert_eq!(found["awsKey"]["user"], "deploy");
        assert_eq!(found["awsKey"]["deactivated"], true);
        assert_eq!(found["severity"], "critical");
        // AND the key id is never in full
        assert!(!publish.message.contains(SECRET) && !publish.subject.contains(SECRET));
        // AND without lookups there is no awsKey attribute at all
        let plain = web_main_alert(&scan, &scanner, &KeyReport::default());
        assert!(
            !plain
                .render(notify::Format::Json)
                .attributes
                .contains_key("awsKey")
        );
        assert!(plain.document["findings"][0].get("awsKey").is_none());
        Ok(())
    }

    #[test]
    fn the_report_follows_the_contract() -> Result<(), Box<dyn std::error::Error>> {
        let scan = scan_with_secret()?;
        let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
        let value = serde_json::to_value(report(
            "web",
            Some("refs/heads/main"),
            &scan,
            &Truncation::default(),
            now,
        ))?;
        assert_eq!(value["schema"], REPORT_SCHEMA);
        assert_eq!(value["commitId"], "a".repeat(40));
        assert_eq!(value["ref"], "refs/heads/main");
        assert_eq!(value["scannedAt"], "2026-01-01T00:00:00Z");
        assert_eq!(value["findingCount"], 1);
        assert_eq!(value["findings"][0]["ruleId"], "aws-access-key-id");
        assert_eq!(value["findings"][0]["path"], "config/prod.env");
        assert_eq!(value["skipped"]["tooLarge"], 0);
        assert_eq!(value["truncated"], false);
        assert_eq!(value["complete"], true);
        assert_eq!(value["notScanned"], json!([]));
        assert!(!value.to_string().contains(SECRET));
        Ok(())
    }

    fn scan_with_unscanned_files() -> CommitScan {
        CommitScan {
            commit: CommitInfo {
                id: "abc1234".repeat(5) + "abcde",
                parents: vec!["b".repeat(40)],
                author: Some("Dev One <dev1@example.com>".into()),
                summary: "assets".into(),
                message: String::new(),
            },
            findings: Vec::new(),
            skipped: Skipped {
                binary: 1,
                too_large: 2,
                ..Skipped::default()
            },
            not_scanned: vec![
                NotScanned {
                    path: "big.bin".into(),
                    reason: NotScannedReason::TooLarge,
                },
                NotScanned {
                    path: "data.db".into(),
                    reason: NotScannedReason::Binary,
                },
                NotScanned {
                    path: format!("dumps/backup-{SECRET}.sql"),
                    reason: NotScannedReason::FileTooLarge,
                },
            ],
            allowed_files: 0,
        }
    }

    #[test]
    fn what_was_not_scanned_is_reported_and_alerted() -> Result<(), Box<dyn std::error::Error>> {
        // GIVEN a commit with three files not scanned (one path holding a
        // key), in a push that was also truncated
        let scan = scan_with_unscanned_files();
        let scanner = Scanner::new(Rules::builtin()?);
        let truncation = Truncation {
            stopped_at: Some("d".repeat(40)),
        };
        let now = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
        // WHEN the report is written
        let value = serde_json::to_value(report("web", None, &scan, &truncation, now))?;
        // THEN it is incomplete, lists each file with its camelCase reason
        // and the truncated walk with an empty path, and keeps the counts
        assert_eq!(value["complete"], false);
        assert_eq!(
            value["notScanned"],
            json!([
                {"path": "big.bin", "reason": "tooLarge"},
                {"path": "data.db", "reason": "binary"},
                {"path": format!("dumps/backup-{SECRET}.sql"), "reason": "fileTooLarge"},
                {"path": "", "reason": "truncatedWalk"},
            ])
        );
        assert_eq!(value["skipped"]["tooLarge"], 2);
        assert_eq!(value["truncated"], true);
        // AND a commit with nothing unscanned is still incomplete when the
        // walk was truncated
        let clean = CommitScan {
            not_scanned: Vec::new(),
            ..scan.clone()
        };
        let value = serde_json::to_value(report("web", None, &clean, &truncation, now))?;
        assert_eq!(value["complete"], false);
        assert_eq!(
            value["notScanned"],
            json!([{"path": "", "reason": "truncatedWalk"}])
        );

        // WHEN the alert of the event (no findings) is rendered
        let context = AlertContext {
            repository: "web".into(),
            region: "eu-west-1".into(),
            branch: Some("main".into()),
            reference: Some("refs/heads/main".into()),
            max_blob_bytes: 1024 * 1024,
            ..AlertContext::default()
        };
        let scans = [scan];
        let publish = alert(&context, &[], &scans, &scanner, &KeyReport::default())
            .render(notify::Format::Json);
        let message: serde_json::Value = serde_json::from_str(&publish.message)?;
        let document: serde_json::Value =
            serde_json::from_str(message["sqs"].as_str().unwrap_or_default())?;
        // THEN it says what was not scanned, masked, and is marked incomplete
        assert_eq!(document["complete"], false);
        assert_eq!(document["notScanned"][1]["reason"], "binary");
        assert_eq!(publish.attributes["complete"], "false");
        assert!(!publish.message.contains(SECRET));
        insta::assert_snapshot!(format!(
            "Subject: {}\nAttributes: {:?}\n\n{}",
            publish.subject,
            publish.attributes,
            message["email"].as_str().unwrap_or_default(),
        ));
        Ok(())
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes_text(1024 * 1024), "1 MiB");
        assert_eq!(bytes_text(2 * 1024 * 1024), "2 MiB");
        assert_eq!(bytes_text(4096), "4 KiB");
        assert_eq!(bytes_text(1000), "1000 bytes");
    }

    #[test]
    fn tokens_are_stable_and_distinct() {
        assert_eq!(token(&["a", "b"]), token(&["a", "b"]));
        assert_ne!(token(&["a", "b"]), token(&["ab", ""]));
        assert_eq!(token(&["x"]).len(), 64);
    }
}
