//! codewarden's library crate: everything the Lambda functions, the local
//! AWS stand-in and the `codewarden` CLI have in common.
//!
//! One module per concern (see `../shared/DESIGN.md`, "Layout"):
//! - [`events`]: our own lenient types for the EventBridge / SNS / function
//!   URL payloads codewarden consumes;
//! - [`scan`]: the pure detection engine (bytes in, findings out);
//! - [`codecommit_git`]: CodeCommit's SigV4 git-over-HTTPS password scheme;
//! - [`masked`]: the masking boundary, [`masked::Masked`], the only text
//!   type outbound ports accept;
//! - [`notify`]: alerts rendered to SNS, secrets masked;
//! - [`links`]: AWS console deep links;
//! - [`approval`]: signed approval links and the approval policy;
//! - `git_diff` (feature `git`): the lines commits add, diffed locally;
//! - `git_fetch` (feature `git-fetch`): a repository fetched over git
//!   HTTP(S) with the SigV4 password;
//! - `sdk` (feature `aws`): one classification of AWS SDK errors;
//! - `lambda` (feature `lambda`): what every function's `main` sets up.

pub mod approval;
pub mod backup;
pub mod codecommit_git;
pub mod events;
#[cfg(feature = "git")]
pub mod git_diff;
#[cfg(feature = "git-fetch")]
pub mod git_fetch;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod links;
#[cfg(feature = "git-fetch")]
pub mod local_copies;
pub mod masked;
pub mod notify;
pub mod queue_message;
pub mod scan;
#[cfg(feature = "aws")]
pub mod sdk;
