//! `approval-gate`: decides a CodePipeline *Manual approval* by policy, or
//! asks a person with signed approve / reject links.
//!
//! - [`handler`]: the SNS approval message in, one decision or one
//!   request to the approvers out ([`handle`]);
//! - [`ports`]: the capabilities it needs, in domain terms;
//! - [`adapters`]: those capabilities over the AWS SDK;
//! - [`history`]: which commits an approval vouches for (since the last
//!   successful execution), and what their reports say together;
//! - [`report`]: how secret-scanner's findings report is read;
//! - [`message`]: what the approvers receive (pure);
//! - [`config`]: the environment and the policy, read once.

pub mod adapters;
pub mod config;
mod error;
pub mod handler;
pub mod history;
pub mod message;
pub mod ports;
pub mod report;

pub use config::{Config, ConfigError};
pub use error::Error;
pub use handler::{Deps, Outcome, SdkDeps, handle, handle_at};

use shared::approval::SigningKey;

/// The SDK clients the function uses.
#[derive(Clone, Debug)]
pub struct Clients {
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub codecommit: aws_sdk_codecommit::Client,
    pub s3: aws_sdk_s3::Client,
    pub sns: aws_sdk_sns::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    /// Every client from one loaded SDK configuration (endpoints from
    /// `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` included).
    pub fn new(sdk: &aws_config::SdkConfig, config: &Config) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(config.s3_force_path_style)
            .build();
        Self {
            codepipeline: aws_sdk_codepipeline::Client::new(sdk),
            codecommit: aws_sdk_codecommit::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sns: aws_sdk_sns::Client::new(sdk),
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            ssm: aws_sdk_ssm::Client::new(sdk),
        }
    }
}

/// At cold start: when `APPROVAL_POLICY_PARAMETER` is set, the policy is
/// read from that SSM parameter (String or SecureString) and replaces
/// `APPROVAL_POLICY`. A missing parameter or an invalid policy fails the
/// start, with a message naming the parameter.
pub async fn load_policy(config: &mut Config, clients: &Clients) -> Result<(), Error> {
    if let Some(name) = &config.policy_parameter {
        config.policy = adapters::policy_parameter(&clients.ssm, name).await?;
    }
    Ok(())
}

impl SdkDeps {
    /// The SDK-backed dependencies; `key` signs the links
    /// ([`adapters::signing_key`] reads it from Secrets Manager).
    pub fn new(config: Config, clients: Clients, key: SigningKey) -> Self {
        Self {
            pipelines: adapters::CodePipelineApprovals {
                client: clients.codepipeline,
            },
            commits: adapters::CodeCommitCommits {
                client: clients.codecommit,
            },
            reports: adapters::S3Reports {
                client: clients.s3.clone(),
                bucket: config.findings_bucket.clone(),
                prefix: config.findings_prefix.clone(),
            },
            notifier: adapters::SnsNotifier {
                client: clients.sns,
                topic_arn: config.approvers_topic_arn.clone(),
            },
            markers: adapters::S3Markers {
                client: clients.s3,
                bucket: config.marker_bucket.clone(),
            },
            key,
            config,
        }
    }
}
