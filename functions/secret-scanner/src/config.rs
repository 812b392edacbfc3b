//! [`Config`]: the function's settings, read once at cold start from the
//! environment that `template.yaml` sets.

use shared::notify::Format;

use crate::aws_keys::KeyAction;
use crate::trust::AllowlistPolicy;

#[derive(Clone, Debug)]
pub struct Config {
    /// `FINDINGS_TOPIC_ARN`: the SNS topic alerts go to.
    pub topic_arn: String,
    /// `REPORT_BUCKET`: where findings reports (and idempotency markers) go.
    pub report_bucket: String,
    /// `REPORT_PREFIX` (default `findings/`): reports are
    /// `<prefix><repository>/<commitId>.json`.
    pub report_prefix: String,
    /// `MARKER_PREFIX` (default `secret-scanner/markers/`): alert markers.
    pub marker_prefix: String,
    /// `MAX_COMMITS` (default 500, 1 to 10000): commits scanned per
    /// invocation; beyond, the scan is reported as truncated.
    pub max_commits: usize,
    /// `CONCURRENCY` (default 8, 1 to 64): CodeCommit calls in flight.
    pub concurrency: usize,
    /// `MAX_BLOB_BYTES` (default 2097152): larger files are skipped and
    /// counted as `tooLarge` (CodeCommit itself refuses blobs over 6 MB).
    pub max_blob_bytes: u64,
    /// `MAX_RETRY_ATTEMPTS` (default 5, 1 to 20): attempts per CodeCommit
    /// call (adaptive retry mode).
    pub max_attempts: u32,
    /// `CHATBOT_FORMAT` (default `false`): the `https` variant of the alert
    /// is an AWS Chatbot custom notification.
    pub format: Format,
    /// `S3_FORCE_PATH_STYLE` (default `false`): path-style S3 requests, for
    /// S3 stand-ins such as moto.
    pub s3_force_path_style: bool,
    /// `CODEWARDEN_REPOSITORY_FILTER` (the stack's `RepositoryFilter`):
    /// comma-separated repository names or glob patterns to scan (default:
    /// all); events of other repositories are acknowledged.
    pub repository_filter: Option<globset::GlobSet>,
    /// `PULL_REQUEST_APPROVAL` (default `true`): approve a pull request's
    /// revision when its changes are clean (revoke otherwise) and keep one
    /// summary comment on it; what `codewarden protect`'s approval rule
    /// template waits for.
    pub pull_request_approval: bool,
    /// `REPOSITORY_ALLOWLISTS` (`allowed`, the default, or `forbidden`):
    /// whether repositories may allow findings (`.codewarden.toml`
    /// `[allow]`, the baseline, `codewarden:allow` comments).
    pub allowlist_policy: AllowlistPolicy,
    /// `FINGERPRINT_KEY_SECRET_ARN`: the Secrets Manager secret whose
    /// value keys the findings' fingerprints (HMAC-SHA256). Unset: plain
    /// SHA-256, as the CLI computes them (a warning at cold start).
    pub fingerprint_key_secret: Option<String>,
    /// `LEAKED_AWS_KEY_ACTION` (`inspect`, the default, `deactivate` or
    /// `off`): what is done with an AWS access key id found (see
    /// [`crate::aws_keys`]).
    pub leaked_aws_key_action: KeyAction,
    /// `GIT_SCAN_THRESHOLD` (default 50, 0 to 100000; 0: never): a branch
    /// push of more commits than this, or a new branch with a history of
    /// its own, is fetched over git and diffed locally (see
    /// [`crate::git_path`]), with no `MAX_COMMITS` cap.
    pub git_scan_threshold: usize,
    /// `GIT_SCAN_DIR` (default `/tmp/secret-scanner`): where the local
    /// copies live, kept across warm invocations (ephemeral storage).
    pub git_scan_dir: std::path::PathBuf,
    /// `CODEWARDEN_GIT_ENDPOINT`: git endpoint override (https, or http to
    /// 127.0.0.1 for the local stack); default the region's CodeCommit one.
    pub git_endpoint: Option<String>,
    /// `GIT_SCAN_QUEUE_URL`: the continuation queue of git-path scans that
    /// run out of time (unset: a scan goes on until done or the timeout).
    pub git_scan_queue_url: Option<String>,
    /// `GIT_SCAN_MARGIN_SECONDS` (default 60, 5 to 900): no further commit
    /// is scanned with less than this left before the timeout.
    pub git_scan_margin_seconds: u64,
    /// `GIT_SCAN_MIN_FREE_MB` (default 1024; 0: never): before a fetch,
    /// below this much free space in `GIT_SCAN_DIR` the least recently
    /// used copies of other repositories are deleted.
    pub git_scan_min_free_mb: u64,
}

/// A setting that is missing or malformed. Retrying cannot help: fix the
/// function's environment.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set: set it in template.yaml (Environment of SecretScannerFunction)")]
    Missing(&'static str),
    #[error("{name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
}

/// `RepositoryFilter`'s syntax: comma-separated names or glob patterns.
pub fn repository_filter(patterns: &str) -> Result<globset::GlobSet, globset::Error> {
    let mut set = globset::GlobSetBuilder::new();
    for pattern in patterns.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        set.add(globset::Glob::new(pattern)?);
    }
    set.build()
}

impl Config {
    /// Reads the process environment; call once, in `main`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| get(name).filter(|value| !value.trim().is_empty());
        let required = |name: &'static str| get(name).ok_or(ConfigError::Missing(name));
        let flag = |name: &'static str| match get(name).as_deref().map(str::trim) {
            None => Ok(false),
            Some("true" | "TRUE" | "True" | "1" | "yes") => Ok(true),
            Some("false" | "FALSE" | "False" | "0" | "no") => Ok(false),
            Some(_) => Err(ConfigError::Invalid {
                name,
                problem: "expected true or false".to_owned(),
            }),
        };
        let number = |name: &'static str, default: u64, min: u64, max: u64| match get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name,
                    problem: format!("expected a number from {min} to {max}"),
                }),
        };
        let prefix = |name: &'static str, default: &str| {
            let mut value = get(name).unwrap_or_else(|| default.to_owned());
            if !value.ends_with('/') {
                value.push('/');
            }
            value
        };
        Ok(Self {
            topic_arn: required("FINDINGS_TOPIC_ARN")?,
            report_bucket: required("REPORT_BUCKET")?,
            report_prefix: prefix("REPORT_PREFIX", "findings/"),
            marker_prefix: prefix("MARKER_PREFIX", "secret-scanner/markers/"),
            max_commits: usize::try_from(number("MAX_COMMITS", 500, 1, 10_000)?).unwrap_or(500),
            concurrency: usize::try_from(number("CONCURRENCY", 8, 1, 64)?).unwrap_or(8),
            max_blob_bytes: number("MAX_BLOB_BYTES", 2 * 1024 * 1024, 1, 6 * 1024 * 1024)?,
            max_attempts: u32::try_from(number("MAX_RETRY_ATTEMPTS", 5, 1, 20)?).unwrap_or(5),
            format: if flag("CHATBOT_FORMAT")? {
                Format::Chatbot
            } else {
                Format::Json
            },
            s3_force_path_style: flag("S3_FORCE_PATH_STYLE")?,
            pull_request_approval: match get("PULL_REQUEST_APPROVAL") {
                None => true,
                Some(_) => flag("PULL_REQUEST_APPROVAL")?,
            },
            allowlist_policy: match get("REPOSITORY_ALLOWLISTS").as_deref().map(str::trim) {
                None | Some("allowed") => AllowlistPolicy::Allowed,
                Some("forbidden") => AllowlistPolicy::Forbidden,
                Some(_) => {
                    return Err(ConfigError::Invalid {
                        name: "REPOSITORY_ALLOWLISTS",
                        problem: "expected allowed or forbidden".to_owned(),
                    });
                }
            },
            fingerprint_key_secret: get("FINGERPRINT_KEY_SECRET_ARN"),
            leaked_aws_key_action: match get("LEAKED_AWS_KEY_ACTION") {
                None => KeyAction::default(),
                Some(text) => KeyAction::parse(&text).ok_or_else(|| ConfigError::Invalid {
                    name: "LEAKED_AWS_KEY_ACTION",
                    problem: "expected inspect, deactivate or off".to_owned(),
                })?,
            },
            git_scan_threshold: usize::try_from(number("GIT_SCAN_THRESHOLD", 50, 0, 100_000)?)
                .unwrap_or(50),
            git_scan_dir: get("GIT_SCAN_DIR")
                .map_or_else(|| "/tmp/secret-scanner".into(), Into::into),
            git_scan_queue_url: match get("GIT_SCAN_QUEUE_URL") {
                Some(url) if !url.starts_with("https://") && !url.starts_with("http://") => {
                    return Err(ConfigError::Invalid {
                        name: "GIT_SCAN_QUEUE_URL",
                        problem: "expected the queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>)".to_owned(),
                    });
                }
                url => url,
            },
            git_scan_margin_seconds: number("GIT_SCAN_MARGIN_SECONDS", 60, 5, 900)?,
            git_scan_min_free_mb: number("GIT_SCAN_MIN_FREE_MB", 1024, 0, 10_240)?,
            git_endpoint: match get("CODEWARDEN_GIT_ENDPOINT") {
                Some(endpoint) => {
                    shared::codecommit_git::check_git_endpoint(&endpoint).map_err(|problem| {
                        ConfigError::Invalid {
                            name: "CODEWARDEN_GIT_ENDPOINT",
                            problem,
                        }
                    })?;
                    Some(endpoint)
                }
                None => None,
            },
            repository_filter: get("CODEWARDEN_REPOSITORY_FILTER")
                .map(|patterns| repository_filter(&patterns))
                .transpose()
                .map_err(|e| ConfigError::Invalid {
                    name: "CODEWARDEN_REPOSITORY_FILTER",
                    problem: e.to_string(),
                })?,
        })
    }

    /// Whether events of `repository` are scanned (`RepositoryFilter`).
    pub fn watches(&self, repository: &str) -> bool {
        self.repository_filter
            .as_ref()
            .is_none_or(|filter| filter.is_match(repository))
    }

    /// The S3 key of a commit's findings report.
    pub fn report_key(&self, repository: &str, commit_id: &str) -> String {
        format!("{}{repository}/{commit_id}.json", self.report_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_follow_the_issue() -> Result<(), ConfigError> {
        // GIVEN only the required settings WHEN read
        let config = Config::from_lookup(lookup(&[
            ("FINDINGS_TOPIC_ARN", "arn:aws:sns:us-east-1:1:findings"),
            ("REPORT_BUCKET", "reports"),
        ]))?;
        // THEN the documented defaults apply
        assert_eq!(config.max_commits, 500);
        assert_eq!(config.concurrency, 8);
        assert_eq!(config.report_key("web", "abc"), "findings/web/abc.json");
        assert_eq!(config.marker_prefix, "secret-scanner/markers/");
        assert!(config.watches("anything"));
        assert!(config.pull_request_approval);
        assert_eq!(config.allowlist_policy, AllowlistPolicy::Allowed);
        assert_eq!(config.fingerprint_key_secret, None);
        assert_eq!(config.leaked_aws_key_action, KeyAction::Inspect);
        assert_eq!(config.git_scan_threshold, 50);
        assert_eq!(
            config.git_scan_dir,
            std::path::Path::new("/tmp/secret-scanner")
        );
        assert_eq!(config.git_endpoint, None);
        assert_eq!(config.git_scan_queue_url, None);
        assert_eq!(config.git_scan_margin_seconds, 60);
        assert_eq!(config.git_scan_min_free_mb, 1024);
        Ok(())
    }

    #[test]
    fn the_repository_filter_takes_globs() -> Result<(), ConfigError> {
        let config = Config::from_lookup(lookup(&[
            ("FINDINGS_TOPIC_ARN", "t"),
            ("REPORT_BUCKET", "r"),
            ("CODEWARDEN_REPOSITORY_FILTER", "payments-*, infra"),
        ]))?;
        assert!(config.watches("payments-api") && config.watches("infra"));
        assert!(!config.watches("web"));
        Ok(())
    }

    #[test]
    fn missing_and_invalid_settings_say_what_to_fix() {
        let err = Config::from_lookup(lookup(&[("REPORT_BUCKET", "r")])).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(
                "FINDINGS_TOPIC_ARN is not set: set it in template.yaml (Environment of SecretScannerFunction)"
            )
        );
        let err = Config::from_lookup(lookup(&[
            ("FINDINGS_TOPIC_ARN", "t"),
            ("REPORT_BUCKET", "r"),
            ("CONCURRENCY", "0"),
        ]))
        .err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("CONCURRENCY is invalid: expected a number from 1 to 64")
        );
        let err = Config::from_lookup(lookup(&[
            ("FINDINGS_TOPIC_ARN", "t"),
            ("REPORT_BUCKET", "r"),
            ("REPOSITORY_ALLOWLISTS", "none"),
        ]))
        .err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("REPOSITORY_ALLOWLISTS is invalid: expected allowed or forbidden")
        );
        let err = Config::from_lookup(lookup(&[
            ("FINDINGS_TOPIC_ARN", "t"),
            ("REPORT_BUCKET", "r"),
            ("LEAKED_AWS_KEY_ACTION", "delete"),
        ]))
        .err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("LEAKED_AWS_KEY_ACTION is invalid: expected inspect, deactivate or off")
        );
        let err = Config::from_lookup(lookup(&[
            ("FINDINGS_TOPIC_ARN", "t"),
            ("REPORT_BUCKET", "r"),
            ("CODEWARDEN_GIT_ENDPOINT", "http://git.example.com"),
        ]))
        .err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(
                "CODEWARDEN_GIT_ENDPOINT is invalid: plain http is only allowed to 127.0.0.1 / localhost: use https"
            )
        );
    }

    #[test]
    fn deactivating_leaked_keys_is_opt_in() -> Result<(), ConfigError> {
        let read = |value: &str| {
            Config::from_lookup(lookup(&[
                ("FINDINGS_TOPIC_ARN", "t"),
                ("REPORT_BUCKET", "r"),
                ("LEAKED_AWS_KEY_ACTION", value),
            ]))
            .map(|c| c.leaked_aws_key_action)
        };
        assert_eq!(read("deactivate")?, KeyAction::Deactivate);
        assert_eq!(read("Off")?, KeyAction::Off);
        assert_eq!(read("inspect")?, KeyAction::Inspect);
        Ok(())
    }
}
