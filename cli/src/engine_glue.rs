//! The one place where the CLI touches the detection engine (`shared::scan`).
//!
//! Everything else in the crate works with the types re-exported or defined
//! here, so an engine API change is absorbed in this file.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

pub use shared::scan::{Baseline, DropReason, Finding, RepoConfig, Rules, Scanner, looks_binary};

/// Rules compiled with the repository configuration applied, plus that
/// configuration (for its path allowlist).
pub struct Engine {
    scanner: Scanner,
    config: RepoConfig,
}

/// Where the repository configuration comes from.
pub enum ConfigSource {
    /// No configuration: the builtin rules as they are.
    None,
    /// A file given with `--config` (must exist) or found in a scan root.
    File(std::path::PathBuf),
    /// Text read from elsewhere (a blob of the tip commit), with a label for errors.
    Text { label: String, text: String },
}

impl Engine {
    pub fn load(source: ConfigSource) -> Result<Self> {
        let (label, text) = match source {
            ConfigSource::None => return Self::builtin(),
            ConfigSource::File(path) => {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read the configuration {}", path.display()))?;
                (path.display().to_string(), text)
            }
            ConfigSource::Text { label, text } => (label, text),
        };
        let config = RepoConfig::from_toml_named(&text, &label)
            .with_context(|| format!("invalid configuration {label}"))?;
        let rules = builtin_rules()?
            .with_config(&config)
            .with_context(|| format!("cannot apply the configuration {label}"))?;
        Ok(Self {
            scanner: Scanner::new(&rules),
            config,
        })
    }

    pub fn builtin() -> Result<Self> {
        Ok(Self {
            scanner: Scanner::new(builtin_rules()?),
            config: RepoConfig::default(),
        })
    }

    /// Whether `path` (relative to the scan root or repository, forward
    /// slashes) is to be scanned: not when `[allow] paths` covers it.
    pub fn should_scan(&self, path: &str) -> bool {
        !self.config.path_allowed(path)
    }

    /// The scanner: shareable between threads, it holds no per-scan state.
    pub fn scanner(&self) -> &Scanner {
        &self.scanner
    }

    /// Rule metadata for `rules list` and the SARIF driver, in rule order.
    pub fn rule_meta(&self) -> Vec<RuleMeta> {
        self.scanner
            .rules()
            .iter()
            .map(|rule| RuleMeta {
                id: rule.id().to_string(),
                name: rule.name().to_string(),
                confidence: rule.confidence().to_string(),
                severity: rule.severity().to_string(),
                keywords: rule.keywords().to_vec(),
                references: rule.references().to_vec(),
            })
            .collect()
    }

    /// `rules check`: one human-readable entry per failure.
    pub fn check(&self) -> Vec<String> {
        self.scanner
            .rules()
            .check()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

fn builtin_rules() -> Result<&'static Rules> {
    Rules::builtin().context("the builtin rules do not compile (a bug: please report it)")
}

/// What a scan of one buffer produced.
#[derive(Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub dropped: Vec<DroppedCandidate>,
}

/// A candidate the engine rejected, with the reason (for `--explain`).
#[derive(Debug, Clone, Serialize)]
pub struct DroppedCandidate {
    pub rule_id: String,
    pub line: usize,
    pub column: usize,
    pub masked: String,
    pub fingerprint: String,
    pub reason: String,
}

pub fn scan(scanner: &Scanner, bytes: &[u8], explain: bool) -> Outcome {
    if !explain {
        return Outcome {
            findings: scanner.scan(bytes),
            dropped: Vec::new(),
        };
    }
    let outcome = scanner.scan_explained(bytes);
    Outcome {
        findings: outcome.findings,
        dropped: outcome
            .dropped
            .into_iter()
            .map(|d| DroppedCandidate {
                rule_id: d.rule_id,
                line: d.line,
                column: d.column,
                masked: d.masked,
                fingerprint: d.fingerprint,
                reason: d.reason.to_string(),
            })
            .collect(),
    }
}

/// A finding moved out of the report by the baseline, for `--explain`.
pub fn baselined(finding: &Finding) -> DroppedCandidate {
    DroppedCandidate {
        rule_id: finding.rule_id.clone(),
        line: finding.line,
        column: finding.column,
        masked: finding.masked.clone(),
        fingerprint: finding.fingerprint.clone(),
        reason: DropReason::Baseline.to_string(),
    }
}

/// Rule metadata in plain strings.
#[derive(Debug, Clone, Serialize)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub confidence: String,
    pub severity: String,
    pub keywords: Vec<String>,
    pub references: Vec<String>,
}

pub fn confidence(finding: &Finding) -> String {
    finding.confidence.to_string()
}

pub fn severity(finding: &Finding) -> String {
    finding.severity.to_string()
}

pub fn load_baseline(path: &Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {}", path.display()))?;
    Baseline::from_json(&text).with_context(|| format!("invalid baseline {}", path.display()))
}

/// The baseline JSON of `findings` (path, finding).
pub fn baseline_json<'a>(
    findings: impl IntoIterator<Item = (&'a str, &'a Finding)>,
) -> Result<String> {
    let mut baseline = Baseline::new();
    for (path, finding) in findings {
        baseline.add(path, finding);
    }
    Ok(baseline.to_json()?)
}
