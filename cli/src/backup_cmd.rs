//! `codewarden restore` and `codewarden backups list`: the reading side of
//! the `repo-backup` function's S3 backups (git bundles + manifest).
//!
//! Restore needs no git binary: bundles are verified (SHA-256 against the
//! manifest) and indexed with gix; the result is a bare repository that
//! stock git clones.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use repo_backup::restore;
use repo_backup::store::S3Store;
use shared::backup::{Manifest, Selector};

use crate::cli::{BackupsCommand, ListFormat, RestoreArgs, S3Args};

/// Exit status of a successful command.
const EXIT_OK: u8 = 0;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

async fn store(args: &S3Args) -> S3Store {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::config::Builder::from(&sdk)
        .force_path_style(args.s3_path_style)
        .build();
    S3Store::new(aws_sdk_s3::Client::from_conf(s3), args.bucket.clone())
}

/// `--at`: RFC 3339, or a date (the end of that day, UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            format!("`{text}` is neither RFC 3339 (2026-01-31T12:00:00Z) nor a date (2026-01-31)")
        })
}

pub fn restore(args: &RestoreArgs) -> Result<u8> {
    let selector = match (args.seq, args.at) {
        (Some(seq), _) => Selector::Seq(seq),
        (None, Some(at)) => Selector::At(at),
        (None, None) => Selector::Latest,
    };
    let restored = runtime()?.block_on(async {
        let store = store(&args.s3).await;
        restore::restore(&store, &args.repo, selector, &args.dest).await
    })?;
    println!(
        "restored {} at bundle {} (applied {}) into {}: {} refs, HEAD -> {}",
        args.repo,
        restored.seq,
        restored
            .applied
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        args.dest.display(),
        restored.refs.len(),
        restored.head.as_deref().unwrap_or("(none)")
    );
    Ok(EXIT_OK)
}

pub fn run(command: &BackupsCommand) -> Result<u8> {
    let BackupsCommand::List { s3, repo, format } = command;
    let manifests = runtime()?.block_on(async {
        let store = store(s3).await;
        let names = match repo {
            Some(repo) => vec![repo.clone()],
            None => store.repositories().await?,
        };
        let mut manifests = Vec::new();
        for name in names {
            manifests.push(restore::manifest(&store, &name).await?);
        }
        Ok::<_, repo_backup::Error>(manifests)
    })?;
    match format {
        // Each record with the full refs after it, replayed from the deltas
        // the manifest stores.
        ListFormat::Json => {
            let expanded: Vec<Manifest> = manifests.iter().map(Manifest::expanded).collect();
            println!("{}", serde_json::to_string_pretty(&expanded)?);
        }
        ListFormat::Human => print!("{}", human(&manifests, repo.is_some())),
    }
    Ok(EXIT_OK)
}

fn human(manifests: &[Manifest], detailed: bool) -> String {
    let mut out = String::new();
    if manifests.is_empty() {
        out.push_str("no backups in this bucket\n");
    }
    for m in manifests {
        let total: u64 = m.bundles.iter().map(|b| b.size).sum();
        let last = m.latest();
        let _ = writeln!(
            out,
            "{}: {} bundles, {} bytes, last #{} at {}",
            m.repository,
            m.bundles.len(),
            total,
            last.map_or(0, |b| b.seq),
            last.map_or_else(|| "-".to_owned(), |b| b.created_at.to_rfc3339()),
        );
        if !detailed {
            continue;
        }
        let _ = writeln!(
            out,
            "  {:>5}  {:<11}  {:<25}  {:>5}  {:>12}  sha256",
            "seq", "kind", "created", "refs", "bytes"
        );
        for (b, refs) in m.states() {
            let _ = writeln!(
                out,
                "  {:>5}  {:<11}  {:<25}  {:>5}  {:>12}  {}{}",
                b.seq,
                if b.full { "full" } else { "incremental" },
                b.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                refs.len(),
                b.size,
                b.sha256.get(..16).unwrap_or(&b.sha256),
                if b.deleted.is_empty() {
                    String::new()
                } else {
                    format!(
                        "  deleted: {}",
                        b.deleted.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                }
            );
        }
    }
    out
}
