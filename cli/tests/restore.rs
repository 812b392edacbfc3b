//! `codewarden restore` and `codewarden backups list`, run as a user runs
//! them, against moto's S3. The backup in the bucket is made here with stock
//! `git bundle create` and a manifest: the restore must read bundles git
//! itself writes, not only ours (the function's own bundles are restored in
//! tests/tests/repo_backup.rs).
//!
//! Needs the moto half of the local stack (`scripts/local-stack.sh up && .
//! .local/env`) and `git` (`apt-get install git`).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use common::{code, codewarden, stderr, stdout};
use shared::backup::{BundleRecord, Manifest, bundle::sha256_hex, bundle_key, manifest_key};

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Dev One")
        .env("GIT_AUTHOR_EMAIL", "dev1@example.com")
        .env("GIT_COMMITTER_NAME", "Dev One")
        .env("GIT_COMMITTER_EMAIL", "dev1@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .context("cannot run git: install it with `apt-get install git`")?;
    if !out.status.success() {
        bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn moto() -> Result<String> {
    std::env::var("MOTO_ENDPOINT")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .context("MOTO_ENDPOINT is not set: scripts/local-stack.sh up && . .local/env")
}

fn s3_client(endpoint: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "cli-test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `codewarden ARGS` against moto.
fn cli(endpoint: &str, args: &[&str]) -> std::process::Output {
    codewarden()
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("codewarden runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restores_a_bundle_git_wrote_and_lists_it() -> Result<()> {
    let endpoint = moto()?;
    let s3 = s3_client(&endpoint);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    let bucket = format!("cli-restore-{:x}", nanos.as_nanos());
    s3.create_bucket().bucket(&bucket).send().await?;

    // GIVEN a repository and a full bundle of it made by git
    let work = tempfile::tempdir()?;
    let src = work.path().join("src");
    std::fs::create_dir_all(&src)?;
    git(&src, &["init", "-q", "-b", "main"])?;
    std::fs::write(src.join("a.txt"), "a\n")?;
    git(&src, &["add", "-A"])?;
    git(&src, &["commit", "-q", "-m", "first"])?;
    git(&src, &["tag", "-a", "v1", "-m", "one"])?;
    let bundle = work.path().join("full.bundle");
    git(
        &src,
        &[
            "bundle",
            "create",
            "-q",
            bundle.to_str().context("path")?,
            "--all",
        ],
    )?;
    let bytes = std::fs::read(&bundle)?;
    let sha256 = sha256_hex(bytes.as_slice())?;
    let refs: BTreeMap<String, String> =
        git(&src, &["for-each-ref", "--format=%(refname) %(objectname)"])?
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, o)| (n.to_owned(), o.to_owned()))
            .collect();
    // AND it is in the bucket with its manifest, in format 1 (a snapshot of
    // every ref per record), as backups made before format 2 have it
    let key = bundle_key("app", 1, &sha256);
    let mut manifest = Manifest::new("app");
    manifest.format = 1;
    manifest.bundles.push(BundleRecord {
        seq: 1,
        key: key.clone(),
        full: true,
        created_at: chrono::Utc::now(),
        prerequisites: Vec::new(),
        refs: Some(refs.clone()),
        updated: BTreeMap::new(),
        head: Some("refs/heads/main".into()),
        deleted: BTreeMap::new(),
        objects: 4,
        size: bytes.len() as u64,
        sha256,
    });
    s3.put_object()
        .bucket(&bucket)
        .key(&key)
        .body(bytes.into())
        .send()
        .await?;
    s3.put_object()
        .bucket(&bucket)
        .key(manifest_key("app"))
        .body(serde_json::to_vec(&manifest)?.into())
        .send()
        .await?;

    // WHEN listing THEN the repository and its bundle show
    let out = cli(
        &endpoint,
        &["backups", "list", "--bucket", &bucket, "--s3-path-style"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("app: 1 bundles"),
        "{}",
        stdout(&out)
    );
    let out = cli(
        &endpoint,
        &[
            "backups",
            "list",
            "--bucket",
            &bucket,
            "--s3-path-style",
            "--repo",
            "app",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listed: Vec<Manifest> = serde_json::from_slice(&out.stdout)?;
    assert_eq!(listed, [manifest]);

    // WHEN restoring THEN git sees the source's refs and a sound repository
    let dest = work.path().join("restored.git");
    let dest_arg = dest.to_str().context("path")?;
    let out = cli(
        &endpoint,
        &[
            "restore",
            "--bucket",
            &bucket,
            "--s3-path-style",
            "--repo",
            "app",
            dest_arg,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("restored app at bundle 1"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        git(
            &dest,
            &["for-each-ref", "--format=%(refname) %(objectname)"]
        )?,
        git(&src, &["for-each-ref", "--format=%(refname) %(objectname)"])?
    );
    git(&dest, &["fsck", "--full", "--strict"])?;
    assert_eq!(git(&dest, &["symbolic-ref", "HEAD"])?, "refs/heads/main");

    // AND mistakes get clear errors and exit status 2
    let out = cli(
        &endpoint,
        &[
            "restore",
            "--bucket",
            &bucket,
            "--s3-path-style",
            "--repo",
            "app",
            dest_arg,
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
    let out = cli(
        &endpoint,
        &[
            "restore",
            "--bucket",
            &bucket,
            "--s3-path-style",
            "--repo",
            "nope",
            "x",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no backup of repository nope"),
        "{}",
        stderr(&out)
    );
    let out = cli(
        &endpoint,
        &[
            "restore",
            "--bucket",
            &bucket,
            "--repo",
            "app",
            "--at",
            "yesterday",
            "x",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("neither RFC 3339"),
        "{}",
        stderr(&out)
    );
    Ok(())
}
