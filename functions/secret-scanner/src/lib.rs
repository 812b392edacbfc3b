//! `secret-scanner`: every commit pushed to CodeCommit scanned for
//! credentials, within seconds of the push (CodeCommit has no pre-receive
//! hook). Findings go to an SNS alert, a comment at the exact line, and a
//! findings report in S3 that `approval-gate` reads.
//!
//! - [`handler`]: the event in, side effects out ([`handle`]);
//! - [`walk`]: which commits an event asks to scan (enumeration);
//! - [`scanning`]: which text of a commit is scanned, through
//!   `shared::scan` (the pure engine);
//! - [`report`]: what the report, comments and alert say (pure);
//! - [`protection`]: approving or not a pull request, and its summary
//!   comment (pure);
//! - [`ports`] / [`adapters`]: the capabilities, and them over the AWS SDK;
//! - [`trust`]: which `.codewarden.toml` and baseline are trusted, and
//!   what a push changes in them;
//! - [`git_path`] / [`git_source`]: large pushes fetched over git and
//!   diffed locally; [`api_calls`]: the CodeCommit requests counted;
//! - [`config`]: the environment, read once;
//! - [`setup`]: the approval rule template of push protection
//!   (`codewarden protect`).

pub mod adapters;
pub mod api_calls;
pub mod aws_keys;
pub mod config;
pub mod default_branch;
mod error;
pub mod git_cursor;
pub mod git_path;
pub mod git_source;
pub mod handler;
pub mod ports;
pub mod protection;
pub mod report;
pub mod scanning;
pub mod setup;
pub mod sweep;
pub mod trust;
pub mod walk;

use std::sync::Arc;

pub use config::{Config, ConfigError};
pub use error::Error;
pub use handler::{
    AlertStatus, ApprovalStatus, Deps, Outcome, ScanPath, SdkDeps, handle, handle_until,
};

/// The SDK clients the function uses.
#[derive(Clone, Debug)]
pub struct Clients {
    pub codecommit: aws_sdk_codecommit::Client,
    pub sns: aws_sdk_sns::Client,
    pub s3: aws_sdk_s3::Client,
    /// For the fingerprint key, at cold start.
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Whose a leaked access key id is (`GetAccessKeyInfo`).
    pub sts: aws_sdk_sts::Client,
    /// User, last use and status of a key of this account.
    pub iam: aws_sdk_iam::Client,
    /// STS with the CodeCommit client's credentials: who the function is
    /// (GetCallerIdentity), the author of its pull request comments.
    pub caller: aws_sdk_sts::Client,
}

impl Clients {
    /// Every client from one loaded SDK configuration (endpoints from
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` included).
    /// CodeCommit uses the adaptive retry mode: a scan makes many calls in
    /// a burst, and adaptive mode slows the client down on throttling
    /// instead of failing the scan.
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        Self {
            codecommit: codecommit_client(sdk, config),
            sns: aws_sdk_sns::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(sdk)
                    .force_path_style(config.s3_force_path_style)
                    .build(),
            ),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
            iam: aws_sdk_iam::Client::new(sdk),
            caller: aws_sdk_sts::Client::new(sdk),
        }
    }
}

/// The CodeCommit client as the function configures it (adaptive retry,
/// `MAX_RETRY_ATTEMPTS`).
pub fn codecommit_client(
    sdk: &aws_config::SdkConfig,
    config: &Config,
) -> aws_sdk_codecommit::Client {
    let retry = aws_config::retry::RetryConfig::adaptive().with_max_attempts(config.max_attempts);
    aws_sdk_codecommit::Client::from_conf(
        aws_sdk_codecommit::config::Builder::from(sdk)
            .retry_config(retry)
            .build(),
    )
}

impl SdkDeps {
    /// The SDK-backed dependencies; compiles the detection rules.
    /// Fingerprints are plain SHA-256 until
    /// [`SdkDeps::with_fingerprint_key`].
    pub fn new(config: Config, clients: Clients) -> Result<Self, shared::scan::RulesError> {
        let api_calls = api_calls::ApiCalls::default();
        let source = adapters::CodeCommitSource::new(
            api_calls.install(&clients.codecommit),
            config.concurrency,
        )
        .with_identity(clients.caller);
        // Pragmas are set apart by the scans and honoured only where the
        // trusted revision has them (`scanning::honoured_pragmas`); masking
        // with this scanner ignores them all.
        let scanner =
            shared::scan::Scanner::new(shared::scan::Rules::builtin()?).ignoring_pragmas();
        Ok(Self {
            scanner: Arc::new(scanner),
            cache: scanning::ScannerCache::default(),
            comments: source.clone(),
            pull_requests: source.clone(),
            source,
            notifier: adapters::SnsNotifier {
                client: clients.sns,
                topic_arn: config.topic_arn.clone(),
            },
            store: adapters::S3Store {
                client: clients.s3,
                bucket: config.report_bucket.clone(),
            },
            access_keys: adapters::IamAccessKeys::new(clients.sts, clients.iam),
            config,
            git: None,
            api_calls,
        })
    }
}

impl SdkDeps {
    /// What `main` builds at cold start: [`SdkDeps::new`], fingerprinting
    /// with the key of `FINGERPRINT_KEY_SECRET_ARN` when it is set (a
    /// warning when not).
    pub async fn load(config: Config, clients: Clients) -> Result<Self, Error> {
        let key = match &config.fingerprint_key_secret {
            Some(secret_id) => Some(adapters::fingerprint_key(&clients.secrets, secret_id).await?),
            None => {
                tracing::warn!(
                    "FINGERPRINT_KEY_SECRET_ARN is not set: fingerprints are plain SHA-256, which can be checked against guessed passwords"
                );
                None
            }
        };
        let mut deps = SdkDeps::new(config, clients)?;
        if let Some(key) = key {
            deps.use_fingerprint_key(key);
        }
        Ok(deps)
    }
}

impl<S, C, N, T, P, K> Deps<S, C, N, T, P, K> {
    /// Fingerprints findings with `key` from now on (see
    /// [`adapters::fingerprint_key`]).
    pub fn use_fingerprint_key(&mut self, key: shared::scan::FingerprintKey) {
        self.scanner = Arc::new(self.scanner.as_ref().clone().with_fingerprint_key(key));
    }
}
