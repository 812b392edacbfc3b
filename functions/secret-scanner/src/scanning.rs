//! What text of a commit is scanned, and how: the lines the commit adds
//! (GetDifferences, then GetBlobDifferences per file, with bounded
//! concurrency), through the detection engine with the repository's
//! trusted `.codewarden.toml` and baseline (see [`crate::trust`]: the
//! default branch's, not the pushed commit's). Enumeration of commits is
//! in [`crate::walk`]; where findings go is in [`crate::report`].
//!
//! Nothing is skipped in silence: a file that is not scanned (too large,
//! refused by CodeCommit, binary) is listed in [`CommitScan::not_scanned`]
//! with the reason. Two cases need more than the added lines:
//!
//! - CodeCommit calls every file with a NUL byte binary, UTF-16 text
//!   included: such files are fetched (GetBlob), decoded when they are
//!   UTF-16 text ([`shared::scan::decode_utf16`]) and diffed here;
//! - a line added inside a PEM private key block (a key edited in place)
//!   is not a secret on its own: the after-blob is fetched and the
//!   enclosing block scanned whole ([`pem_candidates`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::scan::{
    Baseline, Finding, PragmaSplit, RepoConfig, Rules, Scanner, decode_utf16, looks_binary,
};
use tracing::{info, warn};

use crate::Error;
use crate::aws_keys::AccessKeyId;
use crate::ports::{
    AddedLine, BlobChange, BlobContent, ChangedFile, CommitInfo, CommitSource, SUBMODULE_MODE,
};
use crate::trust::{AllowlistPolicy, pragma_suppression, suppression_change};

/// The baseline file read at the trusted revision, as `codewarden scan
/// --write-baseline` names it in the README.
pub const BASELINE_FILE: &str = ".codewarden-baseline.json";

/// Files not scanned, by reason (the report's `skipped`, kept for
/// readers of the first report version; `notScanned` names them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub binary: usize,
    pub submodule: usize,
    /// `tooLarge` and `fileTooLarge` together.
    pub too_large: usize,
}

/// Why something was not scanned (the report's `notScanned[].reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NotScannedReason {
    /// Over `MAX_BLOB_BYTES`.
    TooLarge,
    /// CodeCommit refused the blob (`FileTooLargeException`).
    FileTooLarge,
    /// Binary content that is not UTF-16 text (images, archives, ...).
    Binary,
    /// The event had more commits than `MAX_COMMITS`: older ones were not
    /// scanned (path `""`: no file in particular).
    TruncatedWalk,
}

/// A file of a commit that was not scanned. Submodules (nothing to scan
/// in this repository) and files `[allow] paths` allows (on purpose) are
/// not listed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NotScanned {
    pub path: String,
    pub reason: NotScannedReason,
}

/// A finding in a file of a commit; `finding.line` is the file's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFinding {
    pub path: String,
    pub finding: Finding,
    /// The key id of an `aws-access-key-id` finding, for the STS / IAM
    /// lookup ([`crate::aws_keys`]); masked in every rendering.
    pub access_key: Option<AccessKeyId>,
}

/// The location of a finding in a commit's message rather than in a file.
/// Not a path git allows (`<` and `>` in a path are refused by CodeCommit),
/// and never used as a comment location.
pub const COMMIT_MESSAGE_PATH: &str = "<commit message>";

/// The rule whose findings are AWS access key ids.
pub const ACCESS_KEY_RULE: &str = "aws-access-key-id";

/// The access key id `finding` matched in `lines` (the added lines it was
/// found in), when it is an [`ACCESS_KEY_RULE`] finding on one line.
pub fn access_key_of(finding: &Finding, lines: &[AddedLine]) -> Option<AccessKeyId> {
    if finding.rule_id != ACCESS_KEY_RULE || finding.line != finding.end_line {
        return None;
    }
    let line = lines.iter().find(|l| l.number == finding.line)?;
    let text = line
        .content
        .get(finding.column.checked_sub(1)?..finding.end_column.checked_sub(1)?)?;
    AccessKeyId::parse(text)
}

/// One commit scanned against its first parent.
#[derive(Clone, Debug)]
pub struct CommitScan {
    pub commit: CommitInfo,
    pub findings: Vec<FileFinding>,
    pub skipped: Skipped,
    /// Files not scanned and why, sorted by path.
    pub not_scanned: Vec<NotScanned>,
    /// Files whose path `[allow] paths` allows.
    pub allowed_files: usize,
}

/// The detection engine as a repository's trusted configuration sets it up.
pub struct RepoScanner {
    pub scanner: Arc<Scanner>,
    pub config: RepoConfig,
    pub baseline: Baseline,
    pub policy: AllowlistPolicy,
    /// The trusted revision the configuration was read at (`None`:
    /// nothing is trusted): a `codewarden:allow` comment is honoured only
    /// when the file there has the lines of its match
    /// ([`honoured_pragmas`]).
    pub revision: Option<String>,
}

/// Compiled scanners by `.codewarden.toml` text, so that the commits of a
/// push (which nearly always share one configuration) compile it once.
/// Bounded: cleared when full.
#[derive(Default)]
pub struct ScannerCache {
    compiled: Mutex<HashMap<String, Arc<Scanner>>>,
}

const CACHE_ENTRIES: usize = 32;

impl ScannerCache {
    fn get_or_compile(
        &self,
        text: &str,
        config: &RepoConfig,
        default: &Scanner,
    ) -> Result<Arc<Scanner>, Error> {
        let key = hex::encode(Sha256::digest(text.as_bytes()));
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let rules = Rules::builtin()?.with_config(config)?;
        // The default scanner's fingerprint key and pragma setting.
        let scanner = Arc::new(default.with_rules(&rules));
        let mut map = self.lock();
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert(key, scanner.clone());
        Ok(scanner)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Scanner>>> {
        self.compiled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The engine as the repository configures it at `revision` (a commit or
/// a branch: the trusted revision of [`crate::trust::trusted_revision`];
/// `None`: the built-in rules): its `.codewarden.toml` and
/// `.codewarden-baseline.json` (GetFile). An invalid file is logged
/// (without quoting it) and ignored, so the scan goes on with the built-in
/// rules: a broken config must not silence the scanner. With
/// [`AllowlistPolicy::Forbidden`] the `[allow]` section and the baseline
/// are dropped (the `[[rules]]` kept).
pub async fn repo_scanner<S: CommitSource>(
    source: &S,
    cache: &ScannerCache,
    default: &Arc<Scanner>,
    repository: &str,
    revision: Option<&str>,
    policy: AllowlistPolicy,
) -> Result<RepoScanner, Error> {
    let mut out = RepoScanner {
        scanner: default.clone(),
        config: RepoConfig::default(),
        baseline: Baseline::new(),
        policy,
        revision: revision.map(str::to_owned),
    };
    let Some(commit) = revision else {
        return Ok(out);
    };
    let (config_file, baseline_file) = futures_util::try_join!(
        source.file(repository, commit, RepoConfig::FILE_NAME),
        source.file(repository, commit, BASELINE_FILE),
    )?;
    if let Some(bytes) = config_file {
        let text = String::from_utf8_lossy(&bytes);
        let name = format!("{commit}:{}", RepoConfig::FILE_NAME);
        let parsed = RepoConfig::from_toml_named(&text, &name).map(|config| match policy {
            AllowlistPolicy::Allowed => config,
            AllowlistPolicy::Forbidden => config.without_allowlists(),
        });
        // The cache is keyed by text: the policy is one per deployment.
        match parsed {
            Ok(config) => match cache.get_or_compile(&text, &config, default) {
                Ok(scanner) => {
                    out.scanner = scanner;
                    out.config = config;
                }
                Err(error) => {
                    warn!(repository, commit, error = %error, "repository rules ignored")
                }
            },
            Err(error) => warn!(repository, commit, error = %error, "repository config ignored"),
        }
    }
    if let Some(bytes) = baseline_file
        && policy == AllowlistPolicy::Allowed
    {
        match Baseline::from_json(&String::from_utf8_lossy(&bytes)) {
            Ok(baseline) => out.baseline = baseline,
            Err(error) => warn!(repository, commit, error = %error, "baseline ignored"),
        }
    }
    Ok(out)
}

/// The findings in added lines: the lines are scanned as one text (so a
/// secret spanning consecutive added lines, such as a PEM block, is
/// found) and each finding is moved to its line in the file.
pub fn scan_added(scanner: &Scanner, lines: &[AddedLine]) -> Vec<Finding> {
    if lines.is_empty() {
        return Vec::new();
    }
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.content);
        text.push('\n');
    }
    let number = |index: usize| {
        lines
            .get(index.saturating_sub(1))
            .map_or(index, |line| line.number)
    };
    scanner
        .scan(text.as_bytes())
        .into_iter()
        .map(|mut finding| {
            finding.line = number(finding.line);
            finding.end_line = number(finding.end_line);
            finding
        })
        .collect()
}

/// A finding that a `codewarden:allow` comment in its match would allow,
/// and the lines of that match as scanned (file line numbers and text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PragmaFinding {
    pub finding: Finding,
    pub lines: Vec<AddedLine>,
}

/// Like [`scan_added`], with the findings that a `codewarden:allow`
/// comment would allow set apart (whatever the scanner's pragma setting):
/// the server decides which comments to honour ([`honoured_pragmas`]).
pub fn scan_added_apart(
    scanner: &Scanner,
    lines: &[AddedLine],
) -> (Vec<Finding>, Vec<PragmaFinding>) {
    if lines.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.content);
        text.push('\n');
    }
    let number = |index: usize| {
        lines
            .get(index.saturating_sub(1))
            .map_or(index, |line| line.number)
    };
    let PragmaSplit { findings, allowed } = scanner.scan_pragmas_apart(text.as_bytes());
    let findings = findings
        .into_iter()
        .map(|mut finding| {
            finding.line = number(finding.line);
            finding.end_line = number(finding.end_line);
            finding
        })
        .collect();
    let pragmas = allowed
        .into_iter()
        .map(|allowed| {
            let mut finding = allowed.finding;
            finding.line = number(finding.line);
            finding.end_line = number(finding.end_line);
            let first = allowed.first_line.saturating_sub(1).min(lines.len());
            let last = allowed.last_line.min(lines.len()).max(first);
            PragmaFinding {
                finding,
                lines: lines[first..last].to_vec(),
            }
        })
        .collect();
    (findings, pragmas)
}

/// The pragma findings whose comment the trusted revision already has,
/// at the same path, with every line of the match unchanged and in a row
/// (a comment is a suppression like `[allow]`: only a reviewed one
/// counts). Nothing is honoured without a trusted revision, with
/// [`AllowlistPolicy::Forbidden`], or for a file the trusted revision
/// lacks (new, or renamed: a comment moves with its file once the rename
/// is on the default branch).
pub async fn honoured_pragmas<S: CommitSource>(
    source: &S,
    repo: &RepoScanner,
    repository: &str,
    path: &str,
    pragmas: Vec<PragmaFinding>,
) -> Result<(Vec<PragmaFinding>, Vec<PragmaFinding>), Error> {
    if pragmas.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let trusted = match (repo.policy, repo.revision.as_deref()) {
        (AllowlistPolicy::Allowed, Some(revision)) => {
            source.file(repository, revision, path).await?
        }
        _ => None,
    };
    let Some(trusted) = trusted.and_then(|bytes| text_of(&bytes)) else {
        return Ok((Vec::new(), pragmas));
    };
    let trusted: Vec<&str> = trusted.lines().collect();
    Ok(pragmas
        .into_iter()
        .partition(|pragma| has_run(&trusted, &pragma.lines)))
}

/// Whether `lines` occur in `text` one after the other (line ends
/// ignored).
fn has_run(text: &[&str], lines: &[AddedLine]) -> bool {
    let wanted: Vec<&str> = lines
        .iter()
        .map(|l| l.content.trim_end_matches('\r'))
        .collect();
    !wanted.is_empty()
        && text.windows(wanted.len()).any(|window| {
            window
                .iter()
                .zip(&wanted)
                .all(|(have, want)| have.trim_end_matches('\r') == *want)
        })
}

enum FileOutcome {
    /// Scanned, or not (`not_scanned`: the whole file, or the enclosing
    /// PEM block of an added line); `findings` may hold a suppression
    /// change of the configuration files even so.
    Scanned {
        findings: Vec<FileFinding>,
        not_scanned: Option<NotScannedReason>,
    },
    Submodule,
    Allowed,
}

/// Scans what `commit` adds relative to its first parent.
pub async fn scan_commit<S: CommitSource>(
    source: &S,
    repo: &RepoScanner,
    repository: &str,
    commit: &CommitInfo,
    concurrency: usize,
    max_blob_bytes: u64,
) -> Result<CommitScan, Error> {
    let parent = commit.parents.first().map(String::as_str);
    let files = source.changed_files(repository, parent, &commit.id).await?;
    let results: Vec<(String, Result<FileOutcome, Error>)> = stream::iter(files)
        .map(|file| async move {
            let path = file.path.clone();
            let outcome =
                scan_file(source, repo, repository, &commit.id, file, max_blob_bytes).await;
            (path, outcome)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut scan = CommitScan {
        commit: commit.clone(),
        findings: Vec::new(),
        skipped: Skipped::default(),
        not_scanned: Vec::new(),
        allowed_files: 0,
    };
    let mut errors = Vec::new();
    for (path, result) in results {
        let reason = match result {
            Ok(FileOutcome::Scanned {
                findings,
                not_scanned,
            }) => {
                scan.findings.extend(findings);
                not_scanned
            }
            Ok(FileOutcome::Submodule) => {
                scan.skipped.submodule += 1;
                None
            }
            Ok(FileOutcome::Allowed) => {
                scan.allowed_files += 1;
                None
            }
            Err(error) => {
                errors.push(error);
                None
            }
        };
        if let Some(reason) = reason {
            match reason {
                NotScannedReason::Binary => scan.skipped.binary += 1,
                NotScannedReason::TooLarge | NotScannedReason::FileTooLarge => {
                    scan.skipped.too_large += 1;
                }
                NotScannedReason::TruncatedWalk => {}
            }
            scan.not_scanned.push(NotScanned { path, reason });
        }
    }
    Error::collect(errors)?;
    scan.findings.extend(scan_message(repo, &commit.message));
    scan.findings.sort_by(|a, b| {
        (&a.path, a.finding.line, a.finding.column).cmp(&(
            &b.path,
            b.finding.line,
            b.finding.column,
        ))
    });
    scan.not_scanned.sort();
    info!(
        repository,
        commit = %commit.id,
        findings = scan.findings.len(),
        not_scanned = scan.not_scanned.len(),
        binary = scan.skipped.binary,
        submodule = scan.skipped.submodule,
        too_large = scan.skipped.too_large,
        "commit scanned"
    );
    Ok(scan)
}

/// The findings in a commit's message, at [`COMMIT_MESSAGE_PATH`] (line 1
/// is the summary line). The trusted configuration's scanner and baseline
/// apply as to a file.
pub fn scan_message(repo: &RepoScanner, message: &str) -> Vec<FileFinding> {
    let lines: Vec<AddedLine> = message
        .lines()
        .enumerate()
        .map(|(index, content)| AddedLine {
            number: index + 1,
            content: content.to_owned(),
        })
        .collect();
    let mut findings = scan_added(&repo.scanner, &lines);
    findings.retain(|f| !repo.baseline.contains(f));
    findings
        .into_iter()
        .map(|finding| FileFinding {
            path: COMMIT_MESSAGE_PATH.to_owned(),
            access_key: access_key_of(&finding, &lines),
            finding,
        })
        .collect()
}

async fn scan_file<S: CommitSource>(
    source: &S,
    repo: &RepoScanner,
    repository: &str,
    commit: &str,
    file: ChangedFile,
    max_blob_bytes: u64,
) -> Result<FileOutcome, Error> {
    if file.mode == SUBMODULE_MODE {
        return Ok(FileOutcome::Submodule);
    }
    let mut findings = Vec::new();
    if repo.policy == AllowlistPolicy::Allowed
        && (file.path == RepoConfig::FILE_NAME || file.path == BASELINE_FILE)
        && let Some(after) = source.file(repository, commit, &file.path).await?
        && let Some(finding) = suppression_change(&file.path, &after, &repo.config, &repo.baseline)
    {
        findings.push(FileFinding {
            path: file.path.clone(),
            finding,
            access_key: None,
        });
    }
    if repo.config.path_allowed(&file.path) {
        return Ok(if findings.is_empty() {
            FileOutcome::Allowed
        } else {
            FileOutcome::Scanned {
                findings,
                not_scanned: None,
            }
        });
    }
    let (found, not_scanned) =
        scan_content(source, repo, repository, &file, max_blob_bytes).await?;
    findings.extend(found.into_iter().map(|(finding, access_key)| FileFinding {
        path: file.path.clone(),
        finding,
        access_key,
    }));
    Ok(FileOutcome::Scanned {
        findings,
        not_scanned,
    })
}

/// The findings in what a change adds (baseline applied), and what of it
/// could not be scanned.
async fn scan_content<S: CommitSource>(
    source: &S,
    repo: &RepoScanner,
    repository: &str,
    file: &ChangedFile,
    max_blob_bytes: u64,
) -> Result<
    (
        Vec<(Finding, Option<AccessKeyId>)>,
        Option<NotScannedReason>,
    ),
    Error,
> {
    let change = source
        .added_lines(
            repository,
            file.before_blob.as_deref(),
            &file.after_blob,
            max_blob_bytes,
        )
        .await?;
    let (lines, after) = match change {
        BlobChange::TooLarge => return Ok((Vec::new(), Some(NotScannedReason::TooLarge))),
        BlobChange::FileTooLarge => return Ok((Vec::new(), Some(NotScannedReason::FileTooLarge))),
        BlobChange::Binary => match decoded_change(source, repository, file).await? {
            Decoded::Text { lines, after } => (lines, Some(after)),
            Decoded::NotText(reason) => return Ok((Vec::new(), Some(reason))),
        },
        BlobChange::Text(lines) => {
            // CodeCommit's binary test looks for NUL only, as the engine's
            // does; kept in case a service answer disagrees.
            let sample: Vec<u8> = lines
                .iter()
                .take(64)
                .flat_map(|l| l.content.bytes().chain([b'\n']))
                .collect();
            if looks_binary(&sample) {
                return Ok((Vec::new(), Some(NotScannedReason::Binary)));
            }
            (lines, None)
        }
    };
    let (mut findings, mut pragmas) = scan_added_apart(&repo.scanner, &lines);
    let mut not_scanned = None;
    let covered: Vec<Finding> = findings
        .iter()
        .cloned()
        .chain(pragmas.iter().map(|p| p.finding.clone()))
        .collect();
    let candidates = pem_candidates(&lines, &covered);
    if !candidates.is_empty() {
        let after = match after {
            Some(text) => Some(text),
            None => match source.blob(repository, &file.after_blob).await? {
                BlobContent::Bytes(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                BlobContent::FileTooLarge => {
                    not_scanned = Some(NotScannedReason::FileTooLarge);
                    None
                }
            },
        };
        if let Some(after) = after {
            let (found, allowed) = scan_pem_blocks_apart(&repo.scanner, &after, &candidates);
            findings.extend(found);
            pragmas.extend(allowed);
        }
    }
    // A comment the change adds is not honoured: its finding stands, and
    // the comment is a suppression change of its own.
    let (_, unhonoured) = honoured_pragmas(source, repo, repository, &file.path, pragmas).await?;
    findings.extend(unhonoured.iter().map(|p| p.finding.clone()));
    findings.sort_by(|a, b| (a.line, a.column, &a.rule_id).cmp(&(b.line, b.column, &b.rule_id)));
    findings.dedup_by(|a, b| {
        (a.line, a.column, &a.rule_id, &a.fingerprint)
            == (b.line, b.column, &b.rule_id, &b.fingerprint)
    });
    findings.retain(|f| !repo.baseline.contains(f));
    let mut suppressions: Vec<Finding> = Vec::new();
    if repo.policy == AllowlistPolicy::Allowed {
        for pragma in &unhonoured {
            // A secret the trusted baseline accepts is not suppressed by the comment.
            if findings.contains(&pragma.finding) {
                let suppression = pragma_suppression(&file.path, pragma);
                if !suppressions.contains(&suppression) {
                    suppressions.push(suppression);
                }
            }
        }
    }
    let findings = findings
        .into_iter()
        .chain(suppressions)
        .map(|finding| {
            let key = access_key_of(&finding, &lines);
            (finding, key)
        })
        .collect();
    Ok((findings, not_scanned))
}

/// A change CodeCommit called binary, fetched and looked at.
enum Decoded {
    /// Text after all (UTF-16): the added lines and the after-blob's text.
    Text {
        lines: Vec<AddedLine>,
        after: String,
    },
    NotText(NotScannedReason),
}

/// The bytes of a blob as text: UTF-16 decoded, or UTF-8 (lossy) when it
/// has no NUL byte; `None` for binary content.
fn text_of(bytes: &[u8]) -> Option<String> {
    decode_utf16(bytes)
        .or_else(|| (!looks_binary(bytes)).then(|| String::from_utf8_lossy(bytes).into_owned()))
}

/// Fetches both sides of a change CodeCommit called binary (either side
/// may be the NUL-holding one) and, when the after-blob is text, diffs
/// them line by line.
async fn decoded_change<S: CommitSource>(
    source: &S,
    repository: &str,
    file: &ChangedFile,
) -> Result<Decoded, Error> {
    let after = match source.blob(repository, &file.after_blob).await? {
        BlobContent::Bytes(bytes) => bytes,
        BlobContent::FileTooLarge => {
            return Ok(Decoded::NotText(NotScannedReason::FileTooLarge));
        }
    };
    let Some(after) = text_of(&after) else {
        return Ok(Decoded::NotText(NotScannedReason::Binary));
    };
    let before = match &file.before_blob {
        None => String::new(),
        Some(id) => match source.blob(repository, id).await? {
            // A binary before-blob shares no lines with text.
            BlobContent::Bytes(bytes) => text_of(&bytes).unwrap_or_default(),
            // Nothing to compare with: every line counts as added.
            BlobContent::FileTooLarge => String::new(),
        },
    };
    Ok(Decoded::Text {
        lines: added_lines(&before, &after),
        after,
    })
}

/// How long the line diff of a decoded file may search for the smallest
/// diff; past it, `similar` settles for a larger one, which marks more
/// lines as added (scanned in excess, never missed).
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// The lines of `after` that are not in `before` (a line diff, as
/// GetBlobDifferences gives for text), numbered as in `after`.
pub fn added_lines(before: &str, after: &str) -> Vec<AddedLine> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .timeout(DIFF_TIMEOUT)
        .diff_lines(before, after);
    diff.iter_all_changes()
        .filter(|change| change.tag() == similar::ChangeTag::Insert)
        .filter_map(|change| {
            Some(AddedLine {
                number: change.new_index()? + 1,
                content: change.value().trim_end_matches(['\n', '\r']).to_owned(),
            })
        })
        .collect()
}

/// How far from an added line its enclosing PEM block may begin or end:
/// the engine's reach for multi-line rules.
const PEM_REACH: usize = 256;

fn is_pem_begin(line: &str) -> bool {
    line.trim_start().starts_with("-----BEGIN ")
}

fn is_private_key_begin(line: &str) -> bool {
    is_pem_begin(line) && line.contains("PRIVATE KEY")
}

fn is_pem_end(line: &str) -> bool {
    line.trim_start().starts_with("-----END ")
}

/// Whether a line may belong to a PEM block: an armour line, or base64
/// that looks like a key's body (long and mixed, or a padded last line),
/// so that ordinary words alone on a line cost no GetBlob.
fn looks_like_pem(line: &str) -> bool {
    let text = line.trim();
    if is_pem_begin(text) || is_pem_end(text) {
        return true;
    }
    let base64 = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
    if !base64 || text.len() < 8 {
        return false;
    }
    let padded_last = text.ends_with('=') && text.len().is_multiple_of(4);
    let mixed = text.len() >= 16
        && text
            .bytes()
            .any(|b| b.is_ascii_digit() || b == b'+' || b == b'/')
        && text.bytes().any(|b| b.is_ascii_lowercase())
        && text.bytes().any(|b| b.is_ascii_uppercase());
    padded_last || mixed
}

/// The added lines (file line numbers) that may sit inside a PEM block
/// and that no finding covers yet: a key edited in place shows as one or
/// two changed lines that are no secret alone.
pub fn pem_candidates(lines: &[AddedLine], findings: &[Finding]) -> Vec<usize> {
    lines
        .iter()
        .filter(|line| looks_like_pem(&line.content))
        .map(|line| line.number)
        .filter(|n| !findings.iter().any(|f| (f.line..=f.end_line).contains(n)))
        .collect()
}

/// The private key block of `lines` (0-based, both ends included) that
/// encloses line `index`, if any.
fn enclosing_block(lines: &[&str], index: usize) -> Option<(usize, usize)> {
    let lowest = index.saturating_sub(PEM_REACH);
    let mut begin = None;
    for i in (lowest..=index).rev() {
        let line = lines.get(i)?;
        if is_pem_begin(line) {
            begin = is_private_key_begin(line).then_some(i);
            break;
        }
        if is_pem_end(line) && i != index {
            return None; // after the end of an earlier block
        }
    }
    let begin = begin?;
    let highest = (begin + PEM_REACH).min(lines.len().saturating_sub(1));
    (begin + 1..=highest)
        .find_map(|i| {
            let line = lines[i];
            if is_pem_end(line) {
                Some(Some(i))
            } else if is_pem_begin(line) {
                Some(None)
            } else {
                None
            }
        })
        .flatten()
        .filter(|end| *end >= index)
        .map(|end| (begin, end))
}

/// Scans whole the private key blocks of `after` (the after-blob's text)
/// that enclose the `candidates` (file line numbers); findings carry
/// their line in the file.
pub fn scan_pem_blocks(scanner: &Scanner, after: &str, candidates: &[usize]) -> Vec<Finding> {
    let (mut findings, pragmas) = scan_pem_blocks_apart(scanner, after, candidates);
    findings.extend(pragmas.into_iter().map(|p| p.finding));
    findings
}

/// [`scan_pem_blocks`] with the findings a `codewarden:allow` comment
/// would allow set apart (see [`scan_added_apart`]).
pub fn scan_pem_blocks_apart(
    scanner: &Scanner,
    after: &str,
    candidates: &[usize],
) -> (Vec<Finding>, Vec<PragmaFinding>) {
    let lines: Vec<&str> = after.lines().collect();
    let blocks: BTreeSet<(usize, usize)> = candidates
        .iter()
        .filter_map(|n| enclosing_block(&lines, n.checked_sub(1)?))
        .collect();
    blocks
        .into_iter()
        .map(|(begin, end)| {
            let block: Vec<AddedLine> = (begin..=end)
                .map(|i| AddedLine {
                    number: i + 1,
                    content: lines[i].to_owned(),
                })
                .collect();
            scan_added_apart(scanner, &block)
        })
        .fold(
            (Vec::new(), Vec::new()),
            |(mut findings, mut pragmas), (f, p)| {
                findings.extend(f);
                pragmas.extend(p);
                (findings, pragmas)
            },
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_in_added_lines_carry_the_file_line() -> Result<(), Error> {
        // GIVEN lines 3 and 10 added, the second with a key
        let scanner = Scanner::new(Rules::builtin()?);
        let lines = vec![
            AddedLine {
                number: 3,
                content: "region = us-east-1".into(),
            },
            AddedLine {
                number: 10,
                content: "aws_access_key_id = AKIAZ7Q3XK2LMNB4RT6Y".into(),
            },
        ];
        // WHEN scanned
        let findings = scan_added(&scanner, &lines);
        // THEN the finding is at line 10, column as in the file, masked
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].line, findings[0].column), (10, 21));
        assert_eq!(findings[0].masked, "AKIA***");
        assert!(scan_added(&scanner, &[]).is_empty());
        Ok(())
    }

    #[test]
    fn a_key_in_a_commit_message_is_a_finding_of_the_message() -> Result<(), Error> {
        // GIVEN a commit message whose body holds a key
        let key = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
        let repo = RepoScanner {
            scanner: Arc::new(Scanner::new(Rules::builtin()?)),
            config: RepoConfig::default(),
            baseline: Baseline::new(),
            policy: AllowlistPolicy::Allowed,
            revision: None,
        };
        let message = format!("Add deploy\n\nused aws_access_key_id = {key}\n");
        // WHEN scanned
        let found = scan_message(&repo, &message);
        // THEN one finding at the message's line 3, with its key id
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, COMMIT_MESSAGE_PATH);
        assert_eq!(found[0].finding.line, 3);
        assert!(found[0].access_key.is_some());
        assert!(scan_message(&repo, "Fix the login page").is_empty());
        Ok(())
    }

    #[test]
    fn added_lines_of_decoded_text_are_numbered_as_in_the_new_file() {
        // GIVEN a line inserted after the first and one appended, CRLF ends
        let before = "a\r\nb\r\nc\r\n";
        let after = "a\r\nX\r\nb\r\nc\r\nY";
        // WHEN diffed THEN lines 2 and 5, without line ends
        let added: Vec<(usize, String)> = added_lines(before, after)
            .into_iter()
            .map(|l| (l.number, l.content))
            .collect();
        assert_eq!(added, vec![(2, "X".to_owned()), (5, "Y".to_owned())]);
        // AND a new file adds every line
        assert_eq!(added_lines("", "one\ntwo\n").len(), 2);
    }

    /// A PEM body of 64-character lines, random-looking (an LCG), so that
    /// the engine's entropy floor accepts it; no real key.
    fn pem_body(lines: usize) -> Vec<String> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..lines)
            .map(|_| {
                (0..64)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        char::from(ALPHABET[usize::try_from(state >> 58).unwrap_or(0)])
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_key_edited_in_place_is_found_through_its_enclosing_block() -> Result<(), Error> {
        // GIVEN a file whose PEM private key (lines 3 to 10) had line 5
        // changed: the only added line is base64
        let scanner = Scanner::new(Rules::builtin()?);
        let body = pem_body(6);
        let mut file = vec!["# deploy key".to_owned(), String::new()];
        file.push("-----BEGIN RSA PRIVATE KEY-----".to_owned());
        file.extend(body.iter().cloned());
        file.push("-----END RSA PRIVATE KEY-----".to_owned());
        let after = file.join("\n") + "\n";
        let added = vec![AddedLine {
            number: 5,
            content: body[1].clone(),
        }];
        // WHEN the added line alone is scanned, nothing is found
        let alone = scan_added(&scanner, &added);
        assert!(alone.is_empty(), "{alone:?}");
        // THEN it is a candidate, and its block scanned whole gives the key
        // at its first body line in the file (the secret's first byte)
        let candidates = pem_candidates(&added, &alone);
        assert_eq!(candidates, vec![5]);
        let found = scan_pem_blocks(&scanner, &after, &candidates);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].rule_id, "private-key-rsa");
        assert_eq!(found[0].line, 4);
        assert!(!found[0].masked.contains(&body[0][..8]));
        // AND a line outside any block, or in a certificate, finds no block
        assert!(scan_pem_blocks(&scanner, &after, &[1]).is_empty());
        let certificate = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            body.join("\n")
        );
        assert!(scan_pem_blocks(&scanner, &certificate, &[3]).is_empty());
        Ok(())
    }

    #[test]
    fn only_pem_looking_lines_not_covered_by_a_finding_are_candidates() {
        // GIVEN words, assignments and prose alone on lines, and armour
        let lines: Vec<AddedLine> = [
            "return",
            "initializeService",
            "FOO=",
            "key = value",
            "    MIIEowIBAAKCAQEAx3Jq9t0p8Yh2Vb5kXk1sLq0zR8mWc4nE7uTgD2fHa6oPy/+B",
            "tgKLbswWoWKhKFfoJscbz7AkMPva9Ln08qFYSjTuFw==",
            "-----END RSA PRIVATE KEY-----",
        ]
        .iter()
        .enumerate()
        .map(|(i, content)| AddedLine {
            number: i + 1,
            content: (*content).to_owned(),
        })
        .collect();
        // THEN only the base64 body lines and the armour are candidates
        assert_eq!(pem_candidates(&lines, &[]), vec![5, 6, 7]);
    }

    #[test]
    fn a_pragma_is_honoured_only_where_the_trusted_text_has_its_lines() -> Result<(), Error> {
        // GIVEN added lines 7 and 8: a key with a pragma, one without
        let scanner = Scanner::new(Rules::builtin()?).ignoring_pragmas();
        let pragma_line = "aws_access_key_id = AKIAZ7Q3XK2LMNB4RT6Y # codewarden:allow";
        let lines = vec![
            AddedLine {
                number: 7,
                content: pragma_line.into(),
            },
            AddedLine {
                number: 8,
                content: "aws_access_key_id = AKIAQW3RTY7UIOP2LKJH".into(),
            },
        ];
        // WHEN scanned with pragmas apart
        let (findings, pragmas) = scan_added_apart(&scanner, &lines);
        // THEN the pragma's finding is set apart with its line, at its file line
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].line, 8);
        assert_eq!(pragmas.len(), 1);
        assert_eq!(pragmas[0].finding.line, 7);
        assert_eq!(pragmas[0].lines, lines[..1].to_vec());
        // AND only a trusted text with that very line (CRLF or not) honours it
        let trusted = format!("# header\r\n{pragma_line}\r\n");
        let trusted: Vec<&str> = trusted.lines().collect();
        assert!(has_run(&trusted, &pragmas[0].lines));
        let without = ["aws_access_key_id = AKIAZ7Q3XK2LMNB4RT6Y"];
        assert!(!has_run(&without, &pragmas[0].lines));
        assert!(!has_run(&[], &pragmas[0].lines));
        // AND a multi-line match needs all its lines in a row
        let two = [
            AddedLine {
                number: 1,
                content: "a".into(),
            },
            AddedLine {
                number: 2,
                content: "b".into(),
            },
        ];
        assert!(has_run(&["x", "a", "b"], &two));
        assert!(!has_run(&["a", "x", "b"], &two));
        Ok(())
    }
}
