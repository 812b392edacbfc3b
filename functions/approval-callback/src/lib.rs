//! `approval-callback`: the Lambda function URL behind the Approve and
//! Reject links that approval-gate sends.
//!
//! - [`handler`]: one HTTP request in, one page out ([`handle`]); GET only
//!   shows a confirmation page, POST of that page's form records the
//!   decision;
//! - [`pages`]: the pages (pure, HTML-escaped) and their status codes;
//! - [`ports`] / [`adapters`]: `PutApprovalResult`, and the signing key;
//! - [`config`]: the environment, read once.

pub mod adapters;
pub mod config;
mod error;
pub mod handler;
pub mod pages;
pub mod ports;

pub use config::{Config, ConfigError};
pub use error::Error;
pub use handler::{Deps, SdkDeps, handle, handle_at};

use shared::approval::SigningKey;

impl SdkDeps {
    /// The SDK-backed dependencies.
    pub fn new(codepipeline: aws_sdk_codepipeline::Client, key: SigningKey) -> Self {
        Self {
            approvals: adapters::CodePipelineApprovals {
                client: codepipeline,
            },
            key,
        }
    }
}
