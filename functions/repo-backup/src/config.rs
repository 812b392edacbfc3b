//! [`Config`]: the function's settings, read once at cold start.

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    /// `BACKUP_BUCKET`: where `backups/<repo>/` lives.
    pub bucket: String,
    /// `BACKUP_KMS_KEY_ID`: SSE-KMS key for bundles and manifests (default:
    /// the bucket's default encryption).
    pub kms_key_id: Option<String>,
    /// `FULL_BUNDLE_EVERY` (default 30): a full bundle after that many
    /// incrementals, which bounds the restore chain.
    pub full_every: usize,
    /// `CODEWARDEN_REPOSITORY_FILTER` (the stack's `RepositoryFilter`):
    /// comma-separated repository names or glob patterns the scheduled run
    /// backs up (default: all).
    pub filter: Option<globset::GlobSet>,
    /// `CODEWARDEN_GIT_ENDPOINT`: git endpoint override, e.g.
    /// `http://127.0.0.1:4599` for the local stack (default
    /// `https://git-codecommit.<region>.amazonaws.com`).
    pub git_endpoint: Option<String>,
    /// `MIRROR_DIR` (default `/tmp/repo-backup`).
    pub mirror_dir: PathBuf,
    /// `UPLOAD_PART_MB` (default 8, at least 5): multipart part size.
    pub part_size_mb: u64,
    /// `S3_FORCE_PATH_STYLE` (default false), for moto.
    pub s3_force_path_style: bool,
    /// `BUNDLE_GC_GRACE_MINUTES` (default 60, at least 15: longer than any
    /// invocation): an unreferenced bundle (left by a writer that lost the
    /// manifest race) is deleted once it is older than this.
    pub gc_grace_minutes: u64,
    /// `MIN_FREE_TMP_MB` (default 1024; 0: never evict): before a fetch,
    /// other repositories' mirrors are evicted, least recently used first,
    /// until the mirror directory's filesystem has this much free.
    pub min_free_tmp_mb: u64,
    /// `CONTINUATION_QUEUE_URL`: where a scheduled run that runs out of time
    /// hands over the rest (unset: the run goes on until done or timed out).
    pub continuation_queue_url: Option<String>,
    /// `CONTINUATION_MARGIN_SECONDS` (default 180, at least 30): no new
    /// repository is started with less than this left before the timeout.
    pub continuation_margin_seconds: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set: set it in template.yaml (Environment of RepoBackupFunction)")]
    Missing(&'static str),
    #[error("{name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let number = |name: &'static str, default: u64, min: u64| match get(name) {
            None => Ok(default),
            Some(text) => {
                text.parse::<u64>()
                    .ok()
                    .filter(|n| *n >= min)
                    .ok_or(ConfigError::Invalid {
                        name,
                        problem: format!("expected a whole number of at least {min}"),
                    })
            }
        };
        let filter = get("CODEWARDEN_REPOSITORY_FILTER")
            .map(|patterns| {
                let mut set = globset::GlobSetBuilder::new();
                for pattern in patterns.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    set.add(globset::Glob::new(pattern)?);
                }
                set.build()
            })
            .transpose()
            .map_err(|e| ConfigError::Invalid {
                name: "CODEWARDEN_REPOSITORY_FILTER",
                problem: e.to_string(),
            })?;
        let s3_force_path_style = match get("S3_FORCE_PATH_STYLE").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(_) => {
                return Err(ConfigError::Invalid {
                    name: "S3_FORCE_PATH_STYLE",
                    problem: "expected true or false".into(),
                });
            }
        };
        let continuation_queue_url = get("CONTINUATION_QUEUE_URL");
        if let Some(url) = &continuation_queue_url
            && !url.starts_with("https://")
            && !url.starts_with("http://")
        {
            return Err(ConfigError::Invalid {
                name: "CONTINUATION_QUEUE_URL",
                problem:
                    "expected the queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>)"
                        .to_owned(),
            });
        }
        let git_endpoint = get("CODEWARDEN_GIT_ENDPOINT");
        if let Some(endpoint) = &git_endpoint {
            shared::codecommit_git::check_git_endpoint(endpoint).map_err(|problem| {
                ConfigError::Invalid {
                    name: "CODEWARDEN_GIT_ENDPOINT",
                    problem,
                }
            })?;
        }
        Ok(Self {
            bucket: get("BACKUP_BUCKET").ok_or(ConfigError::Missing("BACKUP_BUCKET"))?,
            kms_key_id: get("BACKUP_KMS_KEY_ID"),
            full_every: number("FULL_BUNDLE_EVERY", 30, 0)? as usize,
            filter,
            git_endpoint,
            mirror_dir: get("MIRROR_DIR")
                .map_or_else(|| PathBuf::from("/tmp/repo-backup"), PathBuf::from),
            part_size_mb: number("UPLOAD_PART_MB", 8, 5)?,
            s3_force_path_style,
            gc_grace_minutes: number("BUNDLE_GC_GRACE_MINUTES", 60, 15)?,
            min_free_tmp_mb: number("MIN_FREE_TMP_MB", 1024, 0)?,
            continuation_queue_url,
            continuation_margin_seconds: number("CONTINUATION_MARGIN_SECONDS", 180, 30)?,
        })
    }

    /// The git endpoint for `region`.
    pub fn git_endpoint(&self, region: &str) -> String {
        self.git_endpoint
            .clone()
            .unwrap_or_else(|| shared::codecommit_git::default_git_endpoint(region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() -> Result<(), ConfigError> {
        let config = Config::from_lookup(|n| (n == "BACKUP_BUCKET").then(|| "b".to_owned()))?;
        assert_eq!(config.full_every, 30);
        assert_eq!(config.part_size_mb, 8);
        assert_eq!(config.gc_grace_minutes, 60);
        assert_eq!(config.min_free_tmp_mb, 1024);
        assert_eq!(config.continuation_queue_url, None);
        assert_eq!(config.continuation_margin_seconds, 180);
        for (name, value) in [
            ("CONTINUATION_QUEUE_URL", "codewarden-continuations"),
            ("CONTINUATION_MARGIN_SECONDS", "5"),
            ("MIN_FREE_TMP_MB", "-1"),
        ] {
            let err = Config::from_lookup(|n| match n {
                "BACKUP_BUCKET" => Some("b".to_owned()),
                n if n == name => Some(value.to_owned()),
                _ => None,
            })
            .err()
            .map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.starts_with(&format!("{name} is invalid"))),
                "{name}={value}: {err:?}"
            );
        }
        let short = Config::from_lookup(|n| match n {
            "BACKUP_BUCKET" => Some("b".to_owned()),
            "BUNDLE_GC_GRACE_MINUTES" => Some("5".to_owned()),
            _ => None,
        });
        assert!(
            matches!(
                short,
                Err(ConfigError::Invalid {
                    name: "BUNDLE_GC_GRACE_MINUTES",
                    ..
                })
            ),
            "a grace shorter than an invocation could collect a bundle about to be referenced"
        );
        assert_eq!(
            config.git_endpoint("cn-north-1"),
            "https://git-codecommit.cn-north-1.amazonaws.com.cn"
        );
        let missing = Config::from_lookup(|_| None).err().map(|e| e.to_string());
        assert_eq!(
            missing.as_deref(),
            Some(
                "BACKUP_BUCKET is not set: set it in template.yaml (Environment of RepoBackupFunction)"
            )
        );
        let small = Config::from_lookup(|n| match n {
            "BACKUP_BUCKET" => Some("b".into()),
            "UPLOAD_PART_MB" => Some("1".into()),
            _ => None,
        });
        assert!(small.is_err());
        let filtered = Config::from_lookup(|n| match n {
            "BACKUP_BUCKET" => Some("b".into()),
            "CODEWARDEN_REPOSITORY_FILTER" => Some("payments-*, infra".into()),
            _ => None,
        })?;
        let filter = filtered
            .filter
            .as_ref()
            .map(|f| ["payments-api", "infra", "infra-old", "web"].map(|n| f.is_match(n)));
        assert_eq!(filter, Some([true, true, false, false]));
        for (endpoint, ok) in [
            ("https://git-codecommit.us-east-1.amazonaws.com", true),
            ("http://127.0.0.1:4599", true),
            ("http://localhost:4599/", true),
            ("http://git.example.com", false),
            ("ftp://x", false),
        ] {
            let config = Config::from_lookup(|n| match n {
                "BACKUP_BUCKET" => Some("b".into()),
                "CODEWARDEN_GIT_ENDPOINT" => Some(endpoint.into()),
                _ => None,
            });
            assert_eq!(config.is_ok(), ok, "{endpoint}");
        }
        Ok(())
    }
}
