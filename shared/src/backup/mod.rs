//! Repository backups as standard git bundles in S3: the parts that the
//! `repo-backup` function (which writes them) and the `codewarden restore`
//! command (which reads them) must agree on.
//!
//! - [`manifest`]: `backups/<repo>/manifest.json`, the list of bundles with
//!   the refs each one changed (replayed into the refs at any point), and the
//!   choice of the bundle chain to restore (`--seq N`, `--at TIME`);
//! - [`bundle`]: the `# v2 git bundle` header (prerequisites, refs) written
//!   before the pack, parsed back on restore, and SHA-256 verification.
//!
//! No network transport and no git library here: bytes and models only.

pub mod bundle;
pub mod manifest;

pub use bundle::{BundleError, BundleHeader, Sha256Writer};
pub use manifest::{BundleRecord, ChainError, Manifest, Refs, Selector};

/// Key prefix of one repository's backups.
pub fn repo_prefix(repository: &str) -> String {
    format!("backups/{repository}/")
}

/// Key of one repository's manifest.
pub fn manifest_key(repository: &str) -> String {
    format!("backups/{repository}/manifest.json")
}

/// Key of a bundle. The SHA-256 prefix makes the key content-addressed, so
/// two concurrent invocations that both picked `seq` never overwrite each
/// other's bundle with different bytes: only the manifest write decides which
/// one is part of the backup (see `repo_backup::backup`).
pub fn bundle_key(repository: &str, seq: u64, sha256_hex: &str) -> String {
    let short = sha256_hex.get(..16).unwrap_or(sha256_hex);
    format!("backups/{repository}/bundles/{seq:08}-{short}.bundle")
}
