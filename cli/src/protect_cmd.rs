//! `codewarden protect`: push protection setup, run by an administrator
//! once per account (and again after adding repositories). The logic is
//! `secret_scanner::setup`; this module parses, runs and prints.

use anyhow::{Context, Result, bail};
use secret_scanner::setup::{Protection, approver_for_role, protect};

use crate::cli::ProtectArgs;

pub fn run(args: &ProtectArgs) -> Result<u8> {
    let approver = approver_for_role(&args.scanner_role_arn).map_err(anyhow::Error::msg)?;
    let filter = Some(args.repositories.trim())
        .filter(|p| !p.is_empty())
        .map(secret_scanner::config::repository_filter)
        .transpose()
        .context("--repositories is not a list of names or globs")?;
    let destinations = args
        .branches
        .iter()
        .map(|b| {
            if b.starts_with("refs/") {
                b.clone()
            } else {
                format!("refs/heads/{b}")
            }
        })
        .collect();
    let protection = Protection {
        template_name: args.template_name.clone(),
        approver,
        destinations,
        repository_filter: filter,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let done = runtime.block_on(async {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        protect(&aws_sdk_codecommit::Client::new(&sdk), &protection).await
    })?;
    println!(
        "approval rule template {}: {} (approver {})",
        protection.template_name,
        if done.created { "created" } else { "unchanged" },
        protection.approver
    );
    for repository in &done.repositories {
        println!("associated: {repository}");
    }
    if done.repositories.is_empty() {
        println!("no repository matched");
    }
    for (repository, reason) in &done.failed {
        eprintln!("not associated: {repository}: {reason}");
    }
    if !done.failed.is_empty() {
        bail!("{} repositories could not be associated", done.failed.len());
    }
    Ok(0)
}
