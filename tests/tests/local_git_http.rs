//! git smart HTTP of the local stand-in, driven by the real `git` client
//! with CodeCommit's SigV4 git password: clone, refusal of a wrong
//! password, and push (into a work-tree repository and into one created
//! through the CodeCommit API).

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use e2e::{LocalAws, commit_file, git, init_repo};

/// The clone URL for `repository` with a password signed with `secret`,
/// as a client holding the `test` access key would build it.
fn url(local: &LocalAws, repository: &str, secret: &str) -> String {
    local.git_url_signed_with(repository, secret)
}

/// Runs git without ever prompting (a refused password must fail, not
/// wait for a terminal), keeping the output for assertions on failure.
fn git_output(dir: &Path, args: &[&str]) -> Result<Output> {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .context("running git: install it with `apt-get install git`")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clone_with_the_sigv4_password_gives_the_same_head() -> Result<()> {
    let local = LocalAws::start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "a.txt", b"a\n", "first")?;
    let head = commit_file(&repo, "b.txt", b"b\n", "second")?;
    let work = tempfile::tempdir()?;

    let out = git_output(
        work.path(),
        &["clone", "-q", &url(&local, "app", "test"), "copy"],
    )?;
    ensure!(
        out.status.success(),
        "clone failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let copy = work.path().join("copy");
    assert_eq!(git(&copy, &["rev-parse", "HEAD"])?, head);
    assert_eq!(std::fs::read(copy.join("b.txt"))?, b"b\n");
    assert_eq!(git(&copy, &["rev-list", "--count", "HEAD"])?, "2");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_password_is_refused() -> Result<()> {
    let local = LocalAws::start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "a.txt", b"a\n", "first")?;
    let work = tempfile::tempdir()?;

    // Signed with the wrong secret.
    let out = git_output(
        work.path(),
        &["clone", "-q", &url(&local, "app", "wrong-secret"), "bad"],
    )?;
    assert!(
        !out.status.success(),
        "clone with a wrong password succeeded"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Authentication failed") || stderr.contains("401"),
        "{stderr}"
    );
    assert!(!work.path().join("bad").join("a.txt").exists());

    // Signed for another repository: the signature covers the path.
    let other = url(&local, "other", "test").replace("/v1/repos/other", "/v1/repos/app");
    let out = git_output(work.path(), &["clone", "-q", &other, "other"])?;
    assert!(
        !out.status.success(),
        "a password for another repository was accepted"
    );

    // No credentials at all.
    let anonymous = format!("http://{}/v1/repos/app", local.server.addr());
    let out = git_output(work.path(), &["clone", "-q", &anonymous, "anon"])?;
    assert!(!out.status.success(), "an anonymous clone succeeded");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_updates_the_repository_seen_by_the_codecommit_api() -> Result<()> {
    let local = LocalAws::start().await?;
    let cc = local.codecommit().await;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "a.txt", b"a\n", "first")?;
    let work = tempfile::tempdir()?;
    let out = git_output(
        work.path(),
        &["clone", "-q", &url(&local, "app", "test"), "copy"],
    )?;
    ensure!(
        out.status.success(),
        "clone failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copy = work.path().join("copy");

    // WHEN a new commit is pushed to the checked-out branch
    let pushed = commit_file(&copy, "new.txt", b"pushed\n", "from the clone")?;
    let out = git_output(&copy, &["push", "-q", "origin", "main"])?;
    ensure!(
        out.status.success(),
        "push failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // THEN the API sees it, and the origin's work tree follows
    let branch = cc
        .get_branch()
        .repository_name("app")
        .branch_name("main")
        .send()
        .await?;
    assert_eq!(
        branch.branch().and_then(|b| b.commit_id()),
        Some(pushed.as_str())
    );
    assert_eq!(std::fs::read(repo.join("new.txt"))?, b"pushed\n");

    // AND a repository created through the API takes a first push, and its
    // metadata's clone URL works.
    cc.create_repository()
        .repository_name("fresh")
        .send()
        .await?;
    let fresh = url(&local, "fresh", "test");
    let out = git_output(&copy, &["push", "-q", &fresh, "main"])?;
    ensure!(
        out.status.success(),
        "push to a new repository failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta = cc.get_repository().repository_name("fresh").send().await?;
    let meta = meta.repository_metadata().context("no metadata")?;
    assert_eq!(meta.default_branch(), Some("main"));
    let clone_url = meta.clone_url_http().context("no clone URL")?;
    assert_eq!(
        clone_url,
        format!("http://{}/v1/repos/fresh", local.server.addr())
    );
    let out = git_output(work.path(), &["clone", "-q", &fresh, "fresh-copy"])?;
    ensure!(
        out.status.success(),
        "clone of the new repository failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        git(&work.path().join("fresh-copy"), &["rev-parse", "HEAD"])?,
        pushed
    );
    Ok(())
}
