//! The end-to-end suite as one test binary (a clean build links it once,
//! as ripgrep's `tests/tests.rs` does): one module per scenario file, each
//! against the local AWS stack (`tests/src/lib.rs`). Run one file's tests
//! with `cargo test -p codewarden-e2e --test e2e approvals::`.

mod approvals;
mod failure_notifier;
mod leaked_aws_keys;
mod local_approvals;
mod local_codecommit;
mod local_codepipeline;
mod local_conformance;
mod local_faults;
mod local_git_http;
mod masking_boundary;
mod push_protection;
mod repo_backup;
mod repository_names;
mod scanner_coverage;
mod scanner_pragmas;
mod scanner_trust;
mod secret_scanner;
mod secret_scanner_git;
mod trust_by_commit;
