//! [`Config`]: the function's settings, read once at cold start from the
//! environment that `template.yaml` sets.

use shared::notify::Format;

/// Pipeline states that can be alerted on (`PIPELINE_ALERT_STATES`).
pub const ALERTABLE_PIPELINE_STATES: [&str; 4] = ["FAILED", "STOPPED", "CANCELED", "SUPERSEDED"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `ALERT_TOPIC_ARN`: the SNS topic alerts go to.
    pub topic_arn: String,
    /// `MARKER_BUCKET`: where idempotency markers are written.
    pub marker_bucket: String,
    /// `MARKER_PREFIX` (default `failure-notifier/`): key prefix of the markers.
    pub marker_prefix: String,
    /// `LOG_TAIL_LINES` (default 20, 1 to 200): build log lines in an alert.
    pub log_tail_lines: u32,
    /// `PIPELINE_ALERT_STATES` (default `FAILED`): comma-separated pipeline
    /// states that raise an alert, among `FAILED`, `STOPPED`, `CANCELED`,
    /// `SUPERSEDED`.
    pub pipeline_alert_states: Vec<String>,
    /// `CHATBOT_FORMAT` (default `false`): the `https` variant is an AWS
    /// Chatbot custom notification.
    pub format: Format,
    /// `S3_FORCE_PATH_STYLE` (default `false`): path-style S3 requests, for
    /// S3 stand-ins such as moto.
    pub s3_force_path_style: bool,
}

/// A setting that is missing or malformed. Retrying cannot help: fix the
/// function's environment.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set: set it in template.yaml (Environment of FailureNotifierFunction)")]
    Missing(&'static str),
    #[error("{name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
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
        let log_tail_lines = match get("LOG_TAIL_LINES") {
            None => 20,
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "LOG_TAIL_LINES",
                    problem: "expected a number from 1 to 200".to_owned(),
                })?,
        };
        let states = get("PIPELINE_ALERT_STATES").unwrap_or_else(|| "FAILED".to_owned());
        let mut pipeline_alert_states = Vec::new();
        for state in states.split(',').map(|s| s.trim().to_ascii_uppercase()) {
            if state.is_empty() {
                continue;
            }
            if !ALERTABLE_PIPELINE_STATES.contains(&state.as_str()) {
                return Err(ConfigError::Invalid {
                    name: "PIPELINE_ALERT_STATES",
                    problem: format!(
                        "`{state}` is not one of {}",
                        ALERTABLE_PIPELINE_STATES.join(", ")
                    ),
                });
            }
            pipeline_alert_states.push(state);
        }
        let mut marker_prefix = get("MARKER_PREFIX").unwrap_or_else(|| "failure-notifier/".into());
        if !marker_prefix.ends_with('/') {
            marker_prefix.push('/');
        }
        Ok(Self {
            topic_arn: required("ALERT_TOPIC_ARN")?,
            marker_bucket: required("MARKER_BUCKET")?,
            marker_prefix,
            log_tail_lines,
            pipeline_alert_states,
            format: if flag("CHATBOT_FORMAT")? {
                Format::Chatbot
            } else {
                Format::Json
            },
            s3_force_path_style: flag("S3_FORCE_PATH_STYLE")?,
        })
    }

    /// Whether a pipeline execution ending in `state` raises an alert.
    pub fn alerts_on(&self, state: &str) -> bool {
        self.pipeline_alert_states.iter().any(|s| s == state)
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
    fn defaults() -> Result<(), ConfigError> {
        let config = Config::from_lookup(lookup(&[
            ("ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:1:alerts"),
            ("MARKER_BUCKET", "markers"),
        ]))?;
        assert_eq!(config.log_tail_lines, 20);
        assert_eq!(config.marker_prefix, "failure-notifier/");
        assert!(config.alerts_on("FAILED"));
        assert!(!config.alerts_on("STOPPED"));
        assert_eq!(config.format, Format::Json);
        Ok(())
    }

    #[test]
    fn missing_and_invalid_settings_say_what_to_fix() {
        let err = Config::from_lookup(lookup(&[("MARKER_BUCKET", "m")])).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(
                "ALERT_TOPIC_ARN is not set: set it in template.yaml (Environment of FailureNotifierFunction)"
            )
        );
        let err = Config::from_lookup(lookup(&[
            ("ALERT_TOPIC_ARN", "t"),
            ("MARKER_BUCKET", "m"),
            ("PIPELINE_ALERT_STATES", "FAILED,BROKEN"),
        ]))
        .err();
        assert!(err.is_some_and(|e| e.to_string().contains("`BROKEN` is not one of")));
        let err = Config::from_lookup(lookup(&[
            ("ALERT_TOPIC_ARN", "t"),
            ("MARKER_BUCKET", "m"),
            ("LOG_TAIL_LINES", "0"),
        ]));
        assert!(err.is_err());
    }

    #[test]
    fn states_and_chatbot_by_config() -> Result<(), ConfigError> {
        let config = Config::from_lookup(lookup(&[
            ("ALERT_TOPIC_ARN", "t"),
            ("MARKER_BUCKET", "m"),
            ("PIPELINE_ALERT_STATES", "failed, stopped"),
            ("CHATBOT_FORMAT", "true"),
            ("LOG_TAIL_LINES", "5"),
        ]))?;
        assert!(config.alerts_on("STOPPED"));
        assert_eq!(config.format, Format::Chatbot);
        assert_eq!(config.log_tail_lines, 5);
        Ok(())
    }
}
