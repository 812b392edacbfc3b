//! `failure-notifier`: one actionable SNS alert per failed CodePipeline
//! execution or standalone CodeBuild build, and a "recovered" notice when a
//! pipeline succeeds after a failure.
//!
//! - [`handler`]: the event in, at most one alert out ([`handle`]);
//! - [`ports`]: the capabilities it needs, in domain terms;
//! - [`adapters`]: those capabilities over the AWS SDK;
//! - [`alert`]: what the alerts say (pure);
//! - [`config`]: the environment, read once.

pub mod adapters;
pub mod alert;
pub mod config;
mod error;
pub mod handler;
pub mod ports;

pub use config::{Config, ConfigError};
pub use error::Error;
pub use handler::{Deps, Outcome, Ports, SdkDeps, handle};

/// The SDK clients the function uses.
#[derive(Clone, Debug)]
pub struct Clients {
    pub codepipeline: aws_sdk_codepipeline::Client,
    pub codebuild: aws_sdk_codebuild::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sns: aws_sdk_sns::Client,
    pub s3: aws_sdk_s3::Client,
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
            codebuild: aws_sdk_codebuild::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
            sns: aws_sdk_sns::Client::new(sdk),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
    }
}

impl SdkDeps {
    /// The SDK-backed dependencies. Fails when the built-in detection
    /// rules do not compile: the masking boundary
    /// ([`shared::masked::Masked`]) runs them on every alert.
    pub fn new(config: Config, clients: Clients) -> Result<Self, shared::scan::RulesError> {
        shared::scan::Rules::builtin()?;
        Ok(Self {
            history: adapters::CodePipelineHistory {
                client: clients.codepipeline,
            },
            builds: adapters::CodeBuildBuilds {
                client: clients.codebuild,
            },
            logs: adapters::CloudWatchBuildLogs {
                client: clients.logs,
            },
            notifier: adapters::SnsNotifier {
                client: clients.sns,
                topic_arn: config.topic_arn.clone(),
            },
            markers: adapters::S3Markers {
                client: clients.s3,
                bucket: config.marker_bucket.clone(),
            },
            config,
        })
    }
}
