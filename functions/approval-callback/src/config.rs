//! [`Config`]: the function's settings, read once at cold start.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `SIGNING_SECRET_ARN`: the Secrets Manager secret holding the link key.
    pub signing_secret_id: String,
}

/// A setting that is missing. Retrying cannot help: fix the environment.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set: set it in template.yaml (Environment of ApprovalCallbackFunction)")]
    Missing(&'static str),
}

impl Config {
    /// Reads the process environment; call once, in `main`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            signing_secret_id: get("SIGNING_SECRET_ARN")
                .filter(|v| !v.trim().is_empty())
                .ok_or(ConfigError::Missing("SIGNING_SECRET_ARN"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_required() {
        let err = Config::from_lookup(|_| None).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "SIGNING_SECRET_ARN is not set: set it in template.yaml (Environment of ApprovalCallbackFunction)"
            )
        );
        assert!(Config::from_lookup(|_| Some("arn:s".to_owned())).is_ok());
    }
}
