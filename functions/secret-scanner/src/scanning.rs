//! What text of a commit is scanned, and how: the lines the commit adds
//! (GetDifferences, then GetBlobDifferences per file, with bounded
//! concurrency), through the detection engine with the repository's
//! trusted `.codewarden.toml` and baseline (see [`crate::trust`]: the
//! default branch's, not the pushed commit's). Enumeration of commits is
//! in [`crate::walk`]; where findings go is in [`crate::report`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::scan::{Baseline, Finding, RepoConfig, Rules, Scanner, looks_binary};
use tracing::{info, warn};

use crate::Error;
use crate::ports::{AddedLine, BlobChange, ChangedFile, CommitInfo, CommitSource, SUBMODULE_MODE};
use crate::trust::{AllowlistPolicy, suppression_change};

/// The baseline file read at the trusted revision, as `codewarden scan
/// --write-baseline` names it in the README.
pub const BASELINE_FILE: &str = ".codewarden-baseline.json";

/// Files not scanned, by reason (the report's `skipped`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub binary: usize,
    pub submodule: usize,
    pub too_large: usize,
}

/// A finding in a file of a commit; `finding.line` is the file's line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFinding {
    pub path: String,
    pub finding: Finding,
}

/// One commit scanned against its first parent.
#[derive(Clone, Debug)]
pub struct CommitScan {
    pub commit: CommitInfo,
    pub findings: Vec<FileFinding>,
    pub skipped: Skipped,
    /// Files whose path `[allow] paths` allows.
    pub allowed_files: usize,
}

/// The detection engine as a repository's trusted configuration sets it up.
pub struct RepoScanner {
    pub scanner: Arc<Scanner>,
    pub config: RepoConfig,
    pub baseline: Baseline,
    pub policy: AllowlistPolicy,
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

enum FileOutcome {
    Findings(Vec<FileFinding>),
    Skipped(fn(&mut Skipped)),
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
    let results: Vec<Result<FileOutcome, Error>> = stream::iter(files)
        .map(|file| scan_file(source, repo, repository, &commit.id, file, max_blob_bytes))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut scan = CommitScan {
        commit: commit.clone(),
        findings: Vec::new(),
        skipped: Skipped::default(),
        allowed_files: 0,
    };
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(FileOutcome::Findings(found)) => scan.findings.extend(found),
            Ok(FileOutcome::Skipped(count)) => count(&mut scan.skipped),
            Ok(FileOutcome::Allowed) => scan.allowed_files += 1,
            Err(error) => errors.push(error),
        }
    }
    Error::collect(errors)?;
    scan.findings.sort_by(|a, b| {
        (&a.path, a.finding.line, a.finding.column).cmp(&(
            &b.path,
            b.finding.line,
            b.finding.column,
        ))
    });
    info!(
        repository,
        commit = %commit.id,
        findings = scan.findings.len(),
        binary = scan.skipped.binary,
        submodule = scan.skipped.submodule,
        too_large = scan.skipped.too_large,
        "commit scanned"
    );
    Ok(scan)
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
        return Ok(FileOutcome::Skipped(|s| s.submodule += 1));
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
        });
    }
    if repo.config.path_allowed(&file.path) {
        return Ok(if findings.is_empty() {
            FileOutcome::Allowed
        } else {
            FileOutcome::Findings(findings)
        });
    }
    let change = source
        .added_lines(
            repository,
            file.before_blob.as_deref(),
            &file.after_blob,
            max_blob_bytes,
        )
        .await?;
    let lines = match change {
        BlobChange::Binary => return Ok(FileOutcome::Skipped(|s| s.binary += 1)),
        BlobChange::TooLarge => return Ok(FileOutcome::Skipped(|s| s.too_large += 1)),
        BlobChange::Text(lines) => lines,
    };
    // CodeCommit's binary test looks for NUL only; the engine's also
    // catches other binary content that would only produce noise.
    let sample: Vec<u8> = lines
        .iter()
        .take(64)
        .flat_map(|l| l.content.bytes().chain([b'\n']))
        .collect();
    if looks_binary(&sample) {
        return Ok(FileOutcome::Skipped(|s| s.binary += 1));
    }
    findings.extend(
        scan_added(&repo.scanner, &lines)
            .into_iter()
            .filter(|f| !repo.baseline.contains(f))
            .map(|finding| FileFinding {
                path: file.path.clone(),
                finding,
            }),
    );
    Ok(FileOutcome::Findings(findings))
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
}
