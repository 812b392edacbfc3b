//! [`Config`]: the function's settings and approval policy, read once at
//! cold start from the environment that `template.yaml` sets.

use shared::approval::{Policy, PolicyError};

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// `APPROVERS_TOPIC_ARN`: where requests for a human decision go.
    pub approvers_topic_arn: String,
    /// `CALLBACK_URL`: the approval-callback function URL the links point at.
    pub callback_url: String,
    /// `SIGNING_SECRET_ARN`: the Secrets Manager secret holding the link key.
    pub signing_secret_id: String,
    /// `FINDINGS_BUCKET`: where secret-scanner writes its reports.
    pub findings_bucket: String,
    /// `FINDINGS_PREFIX` (default `findings/`): reports are
    /// `<prefix><repository>/<commitId>.json`.
    pub findings_prefix: String,
    /// `MARKER_BUCKET` (default `FINDINGS_BUCKET`): "approvers asked" markers.
    pub marker_bucket: String,
    /// `MARKER_PREFIX` (default `approval-gate/`).
    pub marker_prefix: String,
    /// `APPROVAL_POLICY`: the policy JSON (see `shared::approval::policy`);
    /// unset: reject on findings, ask a human otherwise.
    pub policy: Policy,
    /// `APPROVAL_POLICY_PARAMETER`: an SSM parameter holding the policy
    /// JSON instead; read at cold start ([`crate::load_policy`]), it wins
    /// over `APPROVAL_POLICY`.
    pub policy_parameter: Option<String>,
    /// `S3_FORCE_PATH_STYLE` (default `false`): path-style S3 requests, for
    /// S3 stand-ins such as moto.
    pub s3_force_path_style: bool,
    /// `MAX_HISTORY_COMMITS` (default 1000, 1 to 10000): commits read from
    /// CodeCommit to find what an execution brings since the last
    /// successful one; a longer history asks a person.
    pub max_history_commits: usize,
}

/// A setting that is missing or malformed. Retrying cannot help: fix the
/// function's environment.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set: set it in template.yaml (Environment of ApprovalGateFunction)")]
    Missing(&'static str),
    #[error("{name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error(transparent)]
    Policy(#[from] PolicyError),
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
        let prefix = |name: &str, default: &str| {
            let mut prefix = get(name).unwrap_or_else(|| default.to_owned());
            if !prefix.ends_with('/') {
                prefix.push('/');
            }
            prefix
        };
        let callback_url = required("CALLBACK_URL")?;
        if !(callback_url.starts_with("https://") || callback_url.starts_with("http://")) {
            return Err(ConfigError::Invalid {
                name: "CALLBACK_URL",
                problem: "expected the approval-callback function URL (https://...)".to_owned(),
            });
        }
        let s3_force_path_style = match get("S3_FORCE_PATH_STYLE").as_deref().map(str::trim) {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "S3_FORCE_PATH_STYLE",
                    problem: "expected true or false".to_owned(),
                });
            }
        };
        let max_history_commits = match get("MAX_HISTORY_COMMITS") {
            None => 1000,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "MAX_HISTORY_COMMITS",
                    problem: format!("expected a number from 1 to 10000, found `{text}`"),
                })?,
        };
        let findings_bucket = required("FINDINGS_BUCKET")?;
        Ok(Self {
            approvers_topic_arn: required("APPROVERS_TOPIC_ARN")?,
            callback_url,
            signing_secret_id: required("SIGNING_SECRET_ARN")?,
            marker_bucket: get("MARKER_BUCKET").unwrap_or_else(|| findings_bucket.clone()),
            findings_bucket,
            findings_prefix: prefix("FINDINGS_PREFIX", "findings/"),
            marker_prefix: prefix("MARKER_PREFIX", "approval-gate/"),
            policy: Policy::from_json(&get("APPROVAL_POLICY").unwrap_or_default())?,
            policy_parameter: get("APPROVAL_POLICY_PARAMETER").map(|p| p.trim().to_owned()),
            s3_force_path_style,
            max_history_commits,
        })
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

    const BASE: [(&str, &str); 4] = [
        ("APPROVERS_TOPIC_ARN", "arn:aws:sns:us-east-1:1:approvers"),
        ("CALLBACK_URL", "https://abc.lambda-url.us-east-1.on.aws/"),
        (
            "SIGNING_SECRET_ARN",
            "arn:aws:secretsmanager:us-east-1:1:secret:k",
        ),
        ("FINDINGS_BUCKET", "reports"),
    ];

    #[test]
    fn defaults() -> Result<(), ConfigError> {
        let config = Config::from_lookup(lookup(&BASE))?;
        assert_eq!(config.findings_prefix, "findings/");
        assert_eq!(config.marker_bucket, "reports");
        assert_eq!(config.marker_prefix, "approval-gate/");
        assert_eq!(config.policy, Policy::default());
        assert_eq!(config.max_history_commits, 1000);
        Ok(())
    }

    #[test]
    fn missing_and_invalid_settings_say_what_to_fix() {
        let err = Config::from_lookup(lookup(&BASE[1..]))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "APPROVERS_TOPIC_ARN is not set: set it in template.yaml (Environment of ApprovalGateFunction)"
            )
        );
        let mut bad_policy = BASE.to_vec();
        bad_policy.push((
            "APPROVAL_POLICY",
            r#"{"rules": [{"pipeline": "web", "autoApprove": true}]}"#,
        ));
        let err = Config::from_lookup(lookup(&bad_policy))
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("needs at least one change window")));
        let mut bad_url = BASE.to_vec();
        bad_url[1] = ("CALLBACK_URL", "abc.example");
        assert!(Config::from_lookup(lookup(&bad_url)).is_err());
        for bad in ["0", "10001", "many"] {
            let mut settings = BASE.to_vec();
            settings.push(("MAX_HISTORY_COMMITS", bad));
            let err = Config::from_lookup(lookup(&settings))
                .err()
                .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with("MAX_HISTORY_COMMITS is invalid")),
                "{bad}: {err:?}"
            );
        }
    }
}
