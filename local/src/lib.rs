//! `local-aws`: an offline stand-in for the AWS APIs that moto's server does
//! not implement, so that codewarden runs and is tested with no AWS account.
//!
//! One HTTP server on loopback answers:
//! - the CodeCommit JSON API subset the functions call ([`codecommit`]),
//!   read from real git repositories in a directory;
//! - git smart HTTP for the same repositories at `/v1/repos/<name>`
//!   ([`git_http`]), checking CodeCommit's SigV4 git password;
//! - the CodePipeline subset ([`codepipeline`]) from an in-memory model;
//! - CodeBuild `BatchGetBuilds` ([`codebuild`]) from seeded builds;
//! - an admin API under `/_admin/` ([`admin`]) to seed the model, inject
//!   faults and read what was called.
//!
//! The SDK reaches it through its standard endpoint variables
//! (`AWS_ENDPOINT_URL_CODECOMMIT`, `AWS_ENDPOINT_URL_CODEPIPELINE`).

pub mod admin;
pub mod codebuild;
pub mod codecommit;
pub mod codepipeline;
pub mod error;
pub mod faults;
pub mod git_http;
pub mod identity;
pub mod server;

pub use error::ApiError;
pub use server::{Config, Server, State};
