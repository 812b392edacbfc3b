//! `repo-backup` end to end: the real backup code fetching over git smart
//! HTTP from local-aws (SigV4 git password), writing bundles and the
//! manifest to moto's S3; then the restore, checked with stock `git`.
//!
//! Needs the moto half of the local stack (`scripts/local-stack.sh up && .
//! .local/env`) and the `git` binary (`apt-get install git`): both fail the
//! tests with that hint when missing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use e2e::{LocalAws, commit_file, git, init_repo, moto_sdk_config, unique_name};
use repo_backup::adapters::SqsContinuations;
use repo_backup::ports::{BackupStore, StoredBundle, Versioned};
use repo_backup::store::S3Store;
use repo_backup::{BackupOutcome, Error, GitAccess, NoDeadline, back_up, collect_garbage};
use shared::backup::Selector;

/// One source repository in local-aws, one bucket in moto.
struct Fixture {
    local: LocalAws,
    s3: aws_sdk_s3::Client,
    bucket: String,
    repo: String,
    source: PathBuf,
    mirrors: tempfile::TempDir,
}

impl Fixture {
    async fn new() -> Result<Self> {
        let local = LocalAws::start().await?;
        let sdk = moto_sdk_config().await?;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let bucket = unique_name("backups");
        s3.create_bucket().bucket(&bucket).send().await?;
        let repo = unique_name("app");
        let source = init_repo(&local.repos_dir(), &repo)?;
        Ok(Self {
            local,
            s3,
            bucket,
            repo,
            source,
            mirrors: tempfile::tempdir()?,
        })
    }

    fn store(&self) -> S3Store {
        let mut store = S3Store::new(self.s3.clone(), &self.bucket);
        // The smallest part S3 allows, so that a 6 MiB bundle goes multipart.
        store.part_size = repo_backup::store::MIN_PART_SIZE;
        store
    }

    /// Git access as one Lambda instance has it; `instance` picks its /tmp.
    fn git_access(&self, instance: &str) -> GitAccess {
        GitAccess {
            endpoint: self.local.endpoint(),
            region: "us-east-1".into(),
            credentials: SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "e2e",
            )),
            mirror_root: self.mirrors.path().join(instance),
            min_free_tmp: 0,
            free_space: std::sync::Arc::new(repo_backup::evict::Statvfs),
        }
    }

    async fn back_up(&self) -> Result<BackupOutcome> {
        Ok(back_up(&self.store(), &self.git_access("one"), &self.repo, 30).await?)
    }

    async fn manifest(&self) -> Result<shared::backup::Manifest> {
        Ok(repo_backup::restore::manifest(&self.store(), &self.repo).await?)
    }
}

/// `refname -> oid` of every branch and tag.
fn refs(repo: &Path) -> Result<BTreeMap<String, String>> {
    let out = git(
        repo,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
            "refs/tags",
        ],
    )?;
    Ok(out
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, o)| (n.to_owned(), o.to_owned()))
        .collect())
}

/// Every object reachable from the refs.
fn reachable_objects(repo: &Path) -> Result<BTreeSet<String>> {
    let out = git(repo, &["rev-list", "--objects", "--all"])?;
    Ok(out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// Incompressible, reproducible bytes (a xorshift stream).
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn stored(outcome: &BackupOutcome) -> Result<(u64, bool, u64, u64)> {
    match outcome {
        BackupOutcome::Stored {
            seq,
            full,
            size,
            uploaded,
            ..
        } => Ok((*seq, *full, *size, *uploaded)),
        other => bail!("expected a stored bundle, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_are_backed_up_incrementally_and_restore_with_stock_git() -> Result<()> {
    let fx = Fixture::new().await?;
    let src = &fx.source;
    // GIVEN a repository with history, a large file, two branches and tags
    commit_file(src, "README.md", b"# app\n", "first")?;
    commit_file(src, "big.bin", &noise(6 * 1024 * 1024), "a large file")?;
    commit_file(src, "src/main.rs", b"fn main() {}\n", "code")?;
    git(src, &["checkout", "-q", "-b", "feature"])?;
    commit_file(src, "feature.txt", b"f1\n", "feature 1")?;
    let feature_tip = commit_file(src, "feature.txt", b"f2\n", "feature 2")?;
    git(src, &["checkout", "-q", "main"])?;
    git(src, &["tag", "v1"])?;
    git(src, &["tag", "-a", "v1-annotated", "-m", "release 1"])?;

    // WHEN backing it up THEN the first bundle is full, and multipart
    let first = fx.back_up().await?;
    let (seq, full, full_size, uploaded) = stored(&first)?;
    assert_eq!((seq, full), (1, true));
    assert!(
        full_size > 6 * 1024 * 1024,
        "the full bundle holds the large file"
    );
    assert_eq!(uploaded, full_size);
    // AND a second run with nothing new uploads nothing
    assert_eq!(fx.back_up().await?, BackupOutcome::Unchanged { seq: 1 });

    // WHEN one commit is pushed THEN the next bundle holds only it
    commit_file(src, "src/lib.rs", b"pub fn f() {}\n", "one more")?;
    let (seq, full, size, _) = stored(&fx.back_up().await?)?;
    assert_eq!((seq, full), (2, false));
    assert!(
        size < 4096,
        "an incremental of one commit is small: {size} bytes"
    );

    // WHEN the feature branch is force-pushed
    git(src, &["checkout", "-q", "feature"])?;
    git(src, &["reset", "-q", "--hard", "HEAD~1"])?;
    let rewritten = commit_file(src, "feature.txt", b"rewritten\n", "feature 2 again")?;
    git(src, &["checkout", "-q", "main"])?;
    assert_eq!(stored(&fx.back_up().await?)?.0, 3);
    // AND a new annotated tag is pushed
    git(src, &["tag", "-a", "v2", "-m", "release 2"])?;
    assert_eq!(stored(&fx.back_up().await?)?.0, 4);
    let refs_at_4 = refs(src)?;
    // AND the branch is deleted
    git(src, &["branch", "-q", "-D", "feature"])?;
    assert_eq!(stored(&fx.back_up().await?)?.0, 5);

    // THEN the manifest records each state, the deletion included
    let manifest = fx.manifest().await?;
    assert_eq!(
        manifest.bundles.iter().map(|b| b.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    let last = manifest.latest().context("no bundle")?;
    assert_eq!(manifest.latest_refs(), refs(src)?);
    assert_eq!(
        last.deleted.get("refs/heads/feature"),
        Some(&rewritten),
        "the deleted branch and its last commit are recorded"
    );
    assert!(
        manifest.bundles[1..]
            .iter()
            .all(|b| !b.prerequisites.is_empty())
    );

    // WHEN restoring the latest state
    let work = tempfile::tempdir()?;
    let dest = work.path().join("restored.git");
    let restored =
        repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(restored.applied, [1, 2, 3, 4, 5]);
    // THEN stock git sees the same refs and the same objects, and fsck passes
    assert_eq!(refs(&dest)?, refs(src)?);
    assert_eq!(reachable_objects(&dest)?, reachable_objects(src)?);
    git(&dest, &["fsck", "--full", "--strict", "--no-dangling"])?;
    // AND the commits of the deleted and the force-pushed branch are kept
    git(
        &dest,
        &["cat-file", "-e", &format!("{rewritten}^{{commit}}")],
    )?;
    git(
        &dest,
        &["cat-file", "-e", &format!("{feature_tip}^{{commit}}")],
    )?;
    // AND `git clone` of the restored repository checks out main
    git(
        work.path(),
        &["clone", "-q", dest.to_str().context("path")?, "clone"],
    )?;
    let clone = work.path().join("clone");
    assert_eq!(
        git(&clone, &["rev-parse", "HEAD"])?,
        git(src, &["rev-parse", "main"])?
    );
    assert_eq!(std::fs::read(clone.join("src/lib.rs"))?, b"pub fn f() {}\n");

    // AND the bundles themselves are standard: git verifies the full one in
    // an empty repository and an incremental one where its prerequisites are
    let check = work.path().join("check");
    std::fs::create_dir_all(&check)?;
    git(&check, &["init", "-q"])?;
    for record in &manifest.bundles[..2] {
        let file = work.path().join(format!("{}.bundle", record.seq));
        ensure!(fx.store().download_bundle(&record.key, &file).await?);
        let at = if record.full { &check } else { &dest };
        git(
            at,
            &["bundle", "verify", "-q", file.to_str().context("path")?],
        )?;
    }

    // WHEN restoring the point before the deletion THEN the branch is back
    let dest4 = work.path().join("at-4.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Seq(4), &dest4).await?;
    assert_eq!(refs(&dest4)?, refs_at_4);
    git(&dest4, &["fsck", "--full", "--strict", "--no-dangling"])?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_missing_bundle_stops_the_restore_before_any_write() -> Result<()> {
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.txt", b"a\n", "first")?;
    fx.back_up().await?;
    commit_file(&fx.source, "b.txt", b"b\n", "second")?;
    fx.back_up().await?;
    let manifest = fx.manifest().await?;
    let key = manifest.bundles[0].key.clone();

    // GIVEN the full bundle with one byte changed (same size)
    let work = tempfile::tempdir()?;
    let file = work.path().join("b");
    ensure!(fx.store().download_bundle(&key, &file).await?);
    let mut bytes = std::fs::read(&file)?;
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fx.s3
        .put_object()
        .bucket(&fx.bucket)
        .key(&key)
        .body(bytes.into())
        .send()
        .await?;
    // WHEN restoring THEN the SHA-256 mismatch is named, nothing is written
    let dest = work.path().join("r.git");
    let err = repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest)
        .await
        .err()
        .context("a corrupt bundle was restored")?;
    assert!(matches!(err, Error::Corrupt { seq: 1, .. }), "{err}");
    assert!(err.to_string().contains("SHA-256"), "{err}");
    assert!(!dest.exists());

    // GIVEN the bundle deleted WHEN restoring THEN it is reported missing
    fx.s3
        .delete_object()
        .bucket(&fx.bucket)
        .key(&key)
        .send()
        .await?;
    let err = repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest)
        .await
        .err()
        .context("a missing bundle was restored")?;
    assert!(err.to_string().contains("missing from the bucket"), "{err}");

    // AND an unknown repository or point gets a clear error
    let err = repo_backup::restore::restore(&fx.store(), "nope", Selector::Latest, &dest)
        .await
        .err()
        .context("restored a repository without backups")?;
    assert!(
        err.to_string().contains("no backup of repository nope"),
        "{err}"
    );
    let err = repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Seq(9), &dest)
        .await
        .err()
        .context("restored a bundle that does not exist")?;
    assert!(err.to_string().contains("there is no bundle 9"), "{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_backups_of_one_repository_keep_the_manifest_consistent() -> Result<()> {
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.txt", b"a\n", "first")?;
    let mut stale_etag = None;
    for round in 1..=3u64 {
        // GIVEN a change, WHEN two Lambda instances back up at the same time
        commit_file(
            &fx.source,
            "n.txt",
            format!("{round}\n").as_bytes(),
            "change",
        )?;
        let store = fx.store();
        let (a, b) = (fx.git_access("a"), fx.git_access("b"));
        let (ra, rb) = tokio::join!(
            back_up(&store, &a, &fx.repo, 30),
            back_up(&store, &b, &fx.repo, 30)
        );
        let outcomes = [ra?, rb?];
        if round == 1 {
            stale_etag = store.load_manifest(&fx.repo).await?.map(|v| v.etag);
        }
        // THEN exactly one stored a bundle, the other found it done
        let stored_count = outcomes
            .iter()
            .filter(|o| matches!(o, BackupOutcome::Stored { .. }))
            .count();
        assert_eq!(stored_count, 1, "{outcomes:?}");
        assert!(
            outcomes.contains(&BackupOutcome::Unchanged { seq: round }),
            "{outcomes:?}"
        );
    }
    // AND the compare-and-swap both paths rely on holds against S3: a write
    // based on an old version, or creating one that exists, is refused
    let manifest = fx.manifest().await?;
    let stale = stale_etag.context("no manifest after round 1")?;
    assert!(!fx.store().save_manifest(&manifest, Some(&stale)).await?);
    assert!(!fx.store().save_manifest(&manifest, None).await?);

    // AND the manifest is a clean chain whose every bundle exists, with no
    // orphan bundle left in the bucket
    let manifest = fx.manifest().await?;
    assert_eq!(
        manifest.bundles.iter().map(|b| b.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let listed = fx
        .s3
        .list_objects_v2()
        .bucket(&fx.bucket)
        .prefix(format!("backups/{}/bundles/", fx.repo))
        .send()
        .await?;
    let keys: BTreeSet<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    let expected: BTreeSet<String> = manifest.bundles.iter().map(|b| b.key.clone()).collect();
    assert_eq!(keys, expected);
    let work = tempfile::tempdir()?;
    let dest = work.path().join("r.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(&fx.source)?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_handler_backs_up_on_push_and_on_schedule_with_a_filter() -> Result<()> {
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.txt", b"a\n", "first")?;
    let other = init_repo(&fx.local.repos_dir(), "skipped-repo")?;
    commit_file(&other, "x.txt", b"x\n", "x")?;
    let deps = repo_backup::Deps {
        store: fx.store(),
        repositories: repositories_matching(fx.local.codecommit().await, &fx.repo)?,
        git: fx.git_access("handler"),
        full_every: 1,
        gc_grace: chrono::Duration::minutes(60),
        continuations: None::<SqsContinuations>,
        margin: std::time::Duration::from_secs(180),
    };

    // WHEN the schedule fires THEN only the matching repository is backed up
    let scheduled: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        events_dir().join("scheduled.json"),
    )?)?;
    let outcome = repo_backup::handle(scheduled.clone(), &NoDeadline, &deps).await?;
    let repo_backup::Outcome::BackedUp { results, .. } = outcome else {
        bail!("the schedule was ignored");
    };
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].0, fx.repo);
    assert!(matches!(
        results[0].1,
        BackupOutcome::Stored {
            seq: 1,
            full: true,
            ..
        }
    ));

    // WHEN a push event arrives THEN that repository is backed up, and with
    // FULL_BUNDLE_EVERY=1 the second incremental is full again
    let mut push: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        events_dir().join("codecommit-push.json"),
    )?)?;
    push["detail"]["repositoryName"] = fx.repo.clone().into();
    for (seq, full) in [(2, false), (3, true)] {
        commit_file(&fx.source, "a.txt", format!("{seq}\n").as_bytes(), "more")?;
        let repo_backup::Outcome::BackedUp { results, .. } =
            repo_backup::handle(push.clone(), &NoDeadline, &deps).await?
        else {
            bail!("the push was ignored");
        };
        assert!(
            matches!(results[0].1, BackupOutcome::Stored { seq: s, full: f, .. } if s == seq && f == full),
            "{results:?}"
        );
    }
    // AND a restore of the latest point needs only the last full bundle
    let work = tempfile::tempdir()?;
    let dest = work.path().join("r.git");
    let restored =
        repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(restored.applied, [3]);
    assert_eq!(refs(&dest)?, refs(&fx.source)?);

    // AND a push to a repository outside the filter is acknowledged only
    let mut skipped = push.clone();
    skipped["detail"]["repositoryName"] = "skipped-repo".into();
    assert!(matches!(
        repo_backup::handle(skipped, &NoDeadline, &deps).await?,
        repo_backup::Outcome::Ignored { .. }
    ));
    assert!(deps.store.load_manifest("skipped-repo").await?.is_none());

    // AND an event for another service is acknowledged and ignored
    let other_event: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        events_dir().join("codebuild-failed.json"),
    )?)?;
    assert!(matches!(
        repo_backup::handle(other_event, &NoDeadline, &deps).await?,
        repo_backup::Outcome::Ignored { .. }
    ));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_fails_retryably_without_leaking_credentials() -> Result<()> {
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.txt", b"a\n", "first")?;
    let mut git_access = fx.git_access("bad");
    git_access.credentials = SharedCredentialsProvider::new(Credentials::new(
        "test",
        "wrong-secret",
        Some("session-token-value".into()),
        None,
        "e2e",
    ));
    let err = back_up(&fx.store(), &git_access, &fx.repo, 30)
        .await
        .err()
        .context("a wrong secret was accepted")?;
    assert!(err.is_retryable());
    let text = format!("{err} {err:?}");
    assert!(!text.contains("session-token-value"), "{text}");
    assert!(!text.contains("wrong-secret"), "{text}");
    // AND nothing was written
    assert!(fx.store().load_manifest(&fx.repo).await?.is_none());
    Ok(())
}

/// `ListRepositories` with the filter as the function reads it from
/// `CODEWARDEN_REPOSITORY_FILTER`.
fn repositories_matching(
    client: aws_sdk_codecommit::Client,
    name: &str,
) -> Result<repo_backup::adapters::CodeCommitRepositories> {
    repositories_filtered(client, &format!("{name},other-*"))
}

fn repositories_filtered(
    client: aws_sdk_codecommit::Client,
    pattern: &str,
) -> Result<repo_backup::adapters::CodeCommitRepositories> {
    let config = repo_backup::Config::from_lookup(|var| match var {
        "BACKUP_BUCKET" => Some("unused".to_owned()),
        "CODEWARDEN_REPOSITORY_FILTER" => Some(pattern.to_owned()),
        _ => None,
    })?;
    Ok(repo_backup::adapters::CodeCommitRepositories {
        client,
        filter: config.filter,
    })
}

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The S3 store as a writer sees it while another writer's conditional
/// manifest write is in flight: the first `save_manifest` loses (S3's 409
/// ConditionalRequestConflict), and the winner's manifest, the same one,
/// becomes visible only at the second `load_manifest` after that.
struct RacingStore {
    inner: S3Store,
    pending: std::sync::Mutex<Option<(shared::backup::Manifest, u32)>>,
    lost: std::sync::atomic::AtomicBool,
}

impl BackupStore for RacingStore {
    async fn load_manifest(&self, repository: &str) -> Result<Option<Versioned>, Error> {
        let due = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            match pending.as_mut() {
                Some((_, loads)) if *loads == 0 => {
                    *loads += 1;
                    None
                }
                Some(_) => pending.take().map(|(m, _)| m),
                None => None,
            }
        };
        if let Some(winner) = due {
            self.inner.save_manifest(&winner, None).await?;
        }
        self.inner.load_manifest(repository).await
    }

    async fn save_manifest(
        &self,
        manifest: &shared::backup::Manifest,
        previous: Option<&str>,
    ) -> Result<bool, Error> {
        if !self.lost.swap(true, std::sync::atomic::Ordering::SeqCst) {
            *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some((manifest.clone(), 0));
            return Ok(false);
        }
        self.inner.save_manifest(manifest, previous).await
    }

    async fn upload_bundle(&self, key: &str, file: &Path, size: u64) -> Result<u64, Error> {
        self.inner.upload_bundle(key, file, size).await
    }

    async fn download_bundle(&self, key: &str, file: &Path) -> Result<bool, Error> {
        self.inner.download_bundle(key, file).await
    }

    async fn delete_bundle(&self, key: &str) -> Result<(), Error> {
        self.inner.delete_bundle(key).await
    }

    async fn list_bundles(&self, repository: &str) -> Result<Vec<StoredBundle>, Error> {
        self.inner.list_bundles(repository).await
    }

    fn bucket(&self) -> &str {
        self.inner.bucket()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_race_never_deletes_a_bundle_and_garbage_waits_out_the_grace() -> Result<()> {
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.txt", b"a\n", "first")?;
    // GIVEN a writer that loses the manifest race to one whose manifest
    // (referencing the same content-addressed bundle) is not visible yet
    let racing = RacingStore {
        inner: fx.store(),
        pending: std::sync::Mutex::new(None),
        lost: std::sync::atomic::AtomicBool::new(false),
    };
    // WHEN it backs up
    back_up(&racing, &fx.git_access("loser"), &fx.repo, 30).await?;

    // THEN every bundle the manifest names exists, and the backup restores
    let manifest = fx.manifest().await?;
    ensure!(!manifest.bundles.is_empty(), "nothing was backed up");
    for bundle in &manifest.bundles {
        fx.s3
            .head_object()
            .bucket(&fx.bucket)
            .key(&bundle.key)
            .send()
            .await
            .with_context(|| format!("{} is in the manifest but not in S3", bundle.key))?;
    }
    let work = tempfile::tempdir()?;
    let dest = work.path().join("r.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(&fx.source)?);

    // GIVEN an orphan bundle, as a losing writer with other bytes leaves one
    let orphan = format!(
        "backups/{}/bundles/00000009-0123456789abcdef.bundle",
        fx.repo
    );
    fx.s3
        .put_object()
        .bucket(&fx.bucket)
        .key(&orphan)
        .body(b"# v2 git bundle\n".to_vec().into())
        .send()
        .await?;
    let store = fx.store();
    // WHEN collecting within the grace period THEN it stays
    let kept = collect_garbage(&store, &fx.repo, chrono::Duration::minutes(60)).await?;
    assert!(kept.is_empty(), "{kept:?}");
    // WHEN it is older than the grace THEN only it goes
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let collected = collect_garbage(&store, &fx.repo, chrono::Duration::zero()).await?;
    assert_eq!(collected, [orphan]);
    let left: BTreeSet<String> = store
        .list_bundles(&fx.repo)
        .await?
        .into_iter()
        .map(|b| b.key)
        .collect();
    let referenced: BTreeSet<String> = manifest.bundles.iter().map(|b| b.key.clone()).collect();
    assert_eq!(left, referenced);
    Ok(())
}

/// Runs `git ARGS` with `input` on its standard input (`mktree`,
/// `update-ref --stdin`), with the same fixed identity as [`git`].
fn git_stdin(dir: &Path, args: &[&str], input: &str) -> Result<String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot run git: install it with `apt-get install git`")?;
    child
        .stdin
        .take()
        .context("no stdin")?
        .write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Writes `contents` as a blob of `repo` (in no commit) and returns its id.
fn loose_blob(repo: &Path, contents: &str) -> Result<String> {
    git_stdin(repo, &["hash-object", "-w", "--stdin"], contents)
}

/// Restores the latest point of `repository` with stock git alone: `git
/// clone --mirror` of the chain's full bundle, then `git bundle verify` and
/// `git fetch --prune` of each incremental one, in order.
async fn restore_with_stock_git(
    store: &S3Store,
    repository: &str,
    work: &Path,
    name: &str,
) -> Result<PathBuf> {
    let manifest = repo_backup::restore::manifest(store, repository).await?;
    let chain = manifest.chain(Selector::Latest)?.to_vec();
    let dest = work.join(name);
    for (i, record) in chain.iter().enumerate() {
        let file = work.join(format!("{name}-{}.bundle", record.seq));
        ensure!(
            store.download_bundle(&record.key, &file).await?,
            "{} is missing",
            record.key
        );
        let file = file.to_str().context("path")?;
        if i == 0 {
            git(work, &["clone", "-q", "--mirror", file, name])?;
        } else {
            git(&dest, &["bundle", "verify", "-q", file])?;
            git(
                &dest,
                &[
                    "fetch",
                    "-q",
                    "--prune",
                    file,
                    "+refs/heads/*:refs/heads/*",
                    "+refs/tags/*:refs/tags/*",
                ],
            )?;
        }
    }
    Ok(dest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_of_trees_and_blobs_are_backed_up_and_restored_by_stock_git_and_codewarden()
-> Result<()> {
    let fx = Fixture::new().await?;
    let src = &fx.source;
    // GIVEN a repository with a tag of a blob, an annotated tag of a tree and
    // an annotated tag of a blob, none of which any commit holds
    commit_file(src, "README.md", b"# app\n", "first")?;
    let blob = loose_blob(src, "a loose blob\n")?;
    git(src, &["tag", "blob-tag", &blob])?;
    let tree = git_stdin(
        src,
        &["mktree"],
        &format!("100644 blob {blob}\tloose.txt\n"),
    )?;
    git(src, &["tag", "-a", "tree-tag", "-m", "a tree", &tree])?;
    let other = loose_blob(src, "another loose blob\n")?;
    git(
        src,
        &["tag", "-a", "blob-annotated", "-m", "a blob", &other],
    )?;

    // WHEN it is backed up THEN the full bundle is stored
    let (seq, full, ..) = stored(&fx.back_up().await?)?;
    assert_eq!((seq, full), (1, true));
    // AND an incremental with a new commit and a new tag of a new blob
    commit_file(src, "b.txt", b"b\n", "second")?;
    let third = loose_blob(src, "a third loose blob\n")?;
    git(src, &["tag", "blob-tag-2", &third])?;
    assert_eq!(stored(&fx.back_up().await?)?.0, 2);
    // AND one where a blob tag moves to the tree and an annotated one goes
    git(src, &["tag", "-f", "blob-tag", &tree])?;
    git(src, &["tag", "-d", "blob-annotated"])?;
    let (seq, full, ..) = stored(&fx.back_up().await?)?;
    assert_eq!((seq, full), (3, false));
    assert_eq!(fx.manifest().await?.latest_refs(), refs(src)?);

    // THEN `codewarden restore` gives the source's refs and objects back
    let work = tempfile::tempdir()?;
    let dest = work.path().join("restored.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(src)?);
    assert_eq!(reachable_objects(&dest)?, reachable_objects(src)?);
    git(&dest, &["fsck", "--full", "--strict", "--no-dangling"])?;
    assert_eq!(
        git(&dest, &["cat-file", "-p", "blob-tag-2"])?,
        "a third loose blob"
    );
    assert_eq!(git(&dest, &["cat-file", "-t", "blob-tag"])?, "tree");
    // AND so does stock git from the bundles alone (clone, then fetch)
    let stock = restore_with_stock_git(&fx.store(), &fx.repo, work.path(), "stock.git").await?;
    assert_eq!(refs(&stock)?, refs(src)?);
    assert_eq!(reachable_objects(&stock)?, reachable_objects(src)?);
    git(&stock, &["fsck", "--full", "--strict", "--no-dangling"])?;
    // AND the earlier point still has the annotated tag of the blob
    let dest2 = work.path().join("at-2.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Seq(2), &dest2).await?;
    assert_eq!(
        git(&dest2, &["cat-file", "-p", "blob-annotated^{blob}"])?,
        "another loose blob"
    );
    Ok(())
}

/// The manifest object's size in S3.
async fn manifest_size(fx: &Fixture) -> Result<u64> {
    let head = fx
        .s3
        .head_object()
        .bucket(&fx.bucket)
        .key(shared::backup::manifest_key(&fx.repo))
        .send()
        .await?;
    Ok(head.content_length().unwrap_or_default() as u64)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_records_hold_only_ref_changes_and_replay_to_every_point() -> Result<()> {
    const BRANCHES: usize = 200;
    const TAGS: usize = 200;
    const PUSHES: usize = 8;
    let fx = Fixture::new().await?;
    let src = &fx.source;
    // GIVEN a repository with 401 refs
    let first = commit_file(src, "a.txt", b"0\n", "first")?;
    let mut script = String::new();
    for i in 0..BRANCHES {
        script.push_str(&format!("create refs/heads/b-{i:03} {first}\n"));
    }
    for i in 0..TAGS {
        script.push_str(&format!("create refs/tags/t-{i:03} {first}\n"));
    }
    git_stdin(src, &["update-ref", "--stdin"], &script)?;
    let started = std::time::Instant::now();
    stored(&fx.back_up().await?)?;
    let mut sizes = vec![manifest_size(&fx).await?];
    let mut points = vec![refs(src)?];
    // WHEN each of 8 pushes moves main and a branch, deletes a branch and
    // adds a tag, and is backed up
    for push in 1..=PUSHES {
        let tip = commit_file(src, "a.txt", format!("{push}\n").as_bytes(), "change")?;
        git(
            src,
            &["update-ref", &format!("refs/heads/b-{push:03}"), &tip],
        )?;
        git(
            src,
            &[
                "update-ref",
                "-d",
                &format!("refs/heads/b-{:03}", 100 + push),
            ],
        )?;
        git(src, &["tag", &format!("new-{push}")])?;
        stored(&fx.back_up().await?)?;
        sizes.push(manifest_size(&fx).await?);
        points.push(refs(src)?);
    }
    let elapsed = started.elapsed();

    // THEN the first record holds every ref, each later one only the four
    // its push changed
    let manifest = fx.manifest().await?;
    assert_eq!(manifest.bundles.len(), PUSHES + 1);
    assert_eq!(manifest.bundles[0].updated.len(), BRANCHES + TAGS + 1);
    for record in &manifest.bundles[1..] {
        assert!(record.refs.is_none(), "seq {} holds a snapshot", record.seq);
        assert_eq!(
            record.updated.len(),
            3,
            "seq {}: {:?}",
            record.seq,
            record.updated
        );
        assert_eq!(
            record.deleted.len(),
            1,
            "seq {}: {:?}",
            record.seq,
            record.deleted
        );
        // The one commit the push builds on, not every previous tip.
        assert_eq!(record.prerequisites.len(), 1, "seq {}", record.seq);
    }
    // AND the manifest grows by a few hundred bytes per push, not by the
    // ~30 KB a copy of 400 refs takes
    let growth: Vec<u64> = sizes.windows(2).map(|w| w[1] - w[0]).collect();
    // (The same records in format 1, a snapshot each, as the store writes.)
    let mut snapshots = manifest.expanded();
    snapshots.format = 1;
    for record in &mut snapshots.bundles {
        record.updated.clear();
    }
    let format_1 = serde_json::to_vec_pretty(&snapshots)?.len() as u64;
    eprintln!(
        "manifest with {} refs after 1..={} backups: {sizes:?} bytes (growth {growth:?}); \
         format 1 would be {format_1} bytes; {} ms",
        BRANCHES + TAGS + 1,
        PUSHES + 1,
        elapsed.as_millis()
    );
    assert!(growth.iter().all(|g| *g < 2048), "{growth:?}");
    let last = sizes.last().copied().unwrap_or_default();
    assert!(
        last * 5 < format_1,
        "{last} bytes vs {format_1} in format 1"
    );
    // AND every point replays to the refs the source had then
    for (seq, expected) in (1..).zip(&points) {
        assert_eq!(
            manifest.refs_after(seq).as_ref(),
            Some(expected),
            "seq {seq}"
        );
    }
    // AND a restore, of the latest point and of an earlier one, is the source
    let work = tempfile::tempdir()?;
    let dest = work.path().join("latest.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(src)?);
    git(&dest, &["fsck", "--full", "--strict", "--no-dangling"])?;
    let dest4 = work.path().join("at-4.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Seq(4), &dest4).await?;
    assert_eq!(refs(&dest4)?, points[3]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_of_full_snapshots_still_restores_and_is_rewritten_as_deltas() -> Result<()> {
    let fx = Fixture::new().await?;
    let src = &fx.source;
    commit_file(src, "a.txt", b"a\n", "first")?;
    git(src, &["branch", "topic"])?;
    fx.back_up().await?;
    let at_1 = refs(src)?;
    commit_file(src, "a.txt", b"b\n", "second")?;
    git(src, &["branch", "-D", "topic"])?;
    fx.back_up().await?;
    let at_2 = refs(src)?;
    // GIVEN the manifest as format 1 writes it: a snapshot of every ref in
    // each record
    let mut old = fx.manifest().await?.expanded();
    old.format = 1;
    for record in &mut old.bundles {
        record.updated.clear();
    }
    let json = serde_json::to_vec(&old)?;
    ensure!(String::from_utf8_lossy(&json).contains("\"refs\":{"));
    fx.s3
        .put_object()
        .bucket(&fx.bucket)
        .key(shared::backup::manifest_key(&fx.repo))
        .body(json.into())
        .send()
        .await?;
    // WHEN restoring THEN it reads as before
    let work = tempfile::tempdir()?;
    let dest = work.path().join("old.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, at_2);
    // WHEN the next push is backed up
    commit_file(src, "a.txt", b"c\n", "third")?;
    assert_eq!(stored(&fx.back_up().await?)?.0, 3);
    // THEN the manifest is format 2, deltas only, with the same points
    let manifest = fx.manifest().await?;
    assert_eq!(manifest.format, shared::backup::manifest::FORMAT);
    assert!(manifest.bundles.iter().all(|b| b.refs.is_none()));
    assert_eq!(manifest.refs_after(1), Some(at_1.clone()));
    assert_eq!(manifest.refs_after(2), Some(at_2));
    let dest = work.path().join("new.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(src)?);
    let dest1 = work.path().join("at-1.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Seq(1), &dest1).await?;
    assert_eq!(refs(&dest1)?, at_1);
    Ok(())
}

/// A filesystem of `capacity` bytes holding only what is under the mirror
/// root: the free space the function sees, made deterministic.
#[derive(Debug)]
struct Quota(std::sync::atomic::AtomicU64);

impl repo_backup::ports::FreeSpace for Quota {
    fn available(&self, dir: &Path) -> std::io::Result<u64> {
        let capacity = self.0.load(std::sync::atomic::Ordering::SeqCst);
        Ok(capacity.saturating_sub(repo_backup::evict::disk_usage(dir)))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_free_space_evicts_other_mirrors_and_an_evicted_repository_clones_again() -> Result<()>
{
    const MIN_FREE: u64 = 1024 * 1024;
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.bin", &noise(256 * 1024), "first")?;
    let second = unique_name("lib");
    let second_src = init_repo(&fx.local.repos_dir(), &second)?;
    commit_file(&second_src, "b.txt", b"b\n", "first")?;
    let quota = std::sync::Arc::new(Quota(u64::MAX.into()));
    let mut access = fx.git_access("small-tmp");
    access.min_free_tmp = MIN_FREE;
    access.free_space = quota.clone();
    let root = access.mirror_root.clone();
    let first_mirror = root.join(format!("{}.git", fx.repo));
    let second_mirror = root.join(format!("{second}.git"));

    // GIVEN the first repository backed up, its mirror kept in /tmp
    stored(&back_up(&fx.store(), &access, &fx.repo, 30).await?)?;
    ensure!(
        first_mirror.join("HEAD").exists(),
        "no mirror of the first repository"
    );
    // AND one byte less free in /tmp than MIN_FREE_TMP_MB
    let used = repo_backup::evict::disk_usage(&root);
    quota
        .0
        .store(used + MIN_FREE - 1, std::sync::atomic::Ordering::SeqCst);

    // WHEN the second repository is backed up
    let (seq, full, ..) = stored(&back_up(&fx.store(), &access, &second, 30).await?)?;
    assert_eq!((seq, full), (1, true));
    // THEN the first mirror was evicted to make room, and not the second
    assert!(
        !first_mirror.exists(),
        "the least recently used mirror stayed"
    );
    assert!(second_mirror.join("HEAD").exists());
    // AND the second backup is correct
    let work = tempfile::tempdir()?;
    let dest = work.path().join("second.git");
    repo_backup::restore::restore(&fx.store(), &second, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(&second_src)?);
    git(&dest, &["fsck", "--full", "--strict", "--no-dangling"])?;

    // WHEN the first repository changes and is backed up again
    commit_file(&fx.source, "a.txt", b"changed\n", "second")?;
    let (seq, full, size, _) = stored(&back_up(&fx.store(), &access, &fx.repo, 30).await?)?;
    // THEN its mirror is cloned afresh and the bundle is still incremental
    // (computed against the manifest, not the lost mirror)
    assert_eq!((seq, full), (2, false));
    assert!(
        size < 64 * 1024,
        "{size} bytes: the large file went in again"
    );
    assert!(first_mirror.join("HEAD").exists());
    let dest = work.path().join("first.git");
    repo_backup::restore::restore(&fx.store(), &fx.repo, Selector::Latest, &dest).await?;
    assert_eq!(refs(&dest)?, refs(&fx.source)?);
    assert_eq!(reachable_objects(&dest)?, reachable_objects(&fx.source)?);
    Ok(())
}

/// The invocation's deadline, far for the first `n` checks and passed
/// after them: "time for `n` repositories", without a clock.
struct ExpiresAfter(std::sync::atomic::AtomicUsize);

impl ExpiresAfter {
    fn checks(n: usize) -> Self {
        Self(n.into())
    }
}

impl repo_backup::ports::TimeBudget for ExpiresAfter {
    fn remaining(&self) -> std::time::Duration {
        use std::sync::atomic::Ordering::SeqCst;
        match self.0.fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1)) {
            Ok(_) => std::time::Duration::from_secs(3600),
            Err(_) => std::time::Duration::ZERO,
        }
    }
}

/// A continuation queue in moto and a reader of it.
struct Queue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Queue {
    async fn create() -> Result<Self> {
        let sqs = aws_sdk_sqs::Client::new(&moto_sdk_config().await?);
        let url = sqs
            .create_queue()
            .queue_name(unique_name("continuations"))
            .send()
            .await?
            .queue_url
            .context("no queue URL")?;
        Ok(Self { sqs, url })
    }

    fn adapter(&self) -> SqsContinuations {
        SqsContinuations {
            client: self.sqs.clone(),
            queue_url: self.url.clone(),
        }
    }

    /// Every message now in the queue, deleted as Lambda's poller does, each
    /// as the SQS event the function receives.
    async fn deliver(&self) -> Result<Vec<serde_json::Value>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await?;
        let mut events = Vec::new();
        for message in out.messages.unwrap_or_default() {
            if let Some(handle) = &message.receipt_handle {
                self.sqs
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(handle)
                    .send()
                    .await?;
            }
            events.push(serde_json::json!({"Records": [{
                "messageId": message.message_id,
                "receiptHandle": message.receipt_handle,
                "body": message.body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": message.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:continuations",
                "awsRegion": "us-east-1"
            }]}));
        }
        Ok(events)
    }
}

/// The continuation an SQS event carries.
fn carried(event: &serde_json::Value) -> Result<repo_backup::continuation::Continuation> {
    let body = event["Records"][0]["body"].as_str().context("no body")?;
    Ok(repo_backup::continuation::Continuation::parse("m", body)?)
}

fn names(results: &[(String, BackupOutcome)]) -> BTreeSet<String> {
    results.iter().map(|(n, _)| n.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_short_of_time_hands_the_rest_to_the_continuation_queue() -> Result<()> {
    let fx = Fixture::new().await?;
    let base = unique_name("fleet");
    let mut sources = BTreeMap::new();
    for suffix in ["a", "b", "c"] {
        let name = format!("{base}-{suffix}");
        let src = init_repo(&fx.local.repos_dir(), &name)?;
        commit_file(&src, "x.txt", name.as_bytes(), "first")?;
        sources.insert(name, src);
    }
    let all: BTreeSet<String> = sources.keys().cloned().collect();
    let queue = Queue::create().await?;
    let deps = repo_backup::Deps {
        store: fx.store(),
        repositories: repositories_filtered(fx.local.codecommit().await, &format!("{base}-*"))?,
        git: fx.git_access("fleet"),
        full_every: 30,
        gc_grace: chrono::Duration::minutes(60),
        continuations: Some(queue.adapter()),
        margin: std::time::Duration::from_secs(180),
    };
    let scheduled: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        events_dir().join("scheduled.json"),
    )?)?;

    // WHEN the schedule fires with time for one repository only
    let outcome = repo_backup::handle(scheduled.clone(), &ExpiresAfter::checks(1), &deps).await?;
    let repo_backup::Outcome::BackedUp {
        results,
        handed_over,
        failures_handed_over,
    } = outcome
    else {
        bail!("the schedule was ignored");
    };
    // THEN one repository is backed up and the other two handed over
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(matches!(results[0].1, BackupOutcome::Stored { seq: 1, .. }));
    let first = results[0].0.clone();
    let rest: BTreeSet<String> = all.iter().filter(|n| **n != first).cloned().collect();
    assert_eq!(handed_over.iter().cloned().collect::<BTreeSet<_>>(), rest);
    assert!(failures_handed_over.is_empty());
    for name in &rest {
        assert!(deps.store.load_manifest(name).await?.is_none(), "{name}");
    }
    // AND the queue holds one continuation naming exactly them, in the run
    // of the scheduled event
    let events = queue.deliver().await?;
    assert_eq!(events.len(), 1);
    let continuation = carried(&events[0])?;
    assert_eq!(
        continuation
            .repositories
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>(),
        rest
    );
    assert_eq!(continuation.repositories.len(), 2);
    assert_eq!(Some(continuation.run_id.as_str()), scheduled["id"].as_str());
    assert_eq!(continuation.hop, 1);

    // WHEN the message invokes the function
    let outcome = repo_backup::handle(events[0].clone(), &NoDeadline, &deps).await?;
    let repo_backup::Outcome::BackedUp {
        results,
        handed_over,
        ..
    } = outcome
    else {
        bail!("the continuation was ignored");
    };
    // THEN exactly the other two are backed up, and nothing is handed over
    assert_eq!(names(&results), rest);
    assert!(
        results
            .iter()
            .all(|(_, o)| matches!(o, BackupOutcome::Stored { seq: 1, .. })),
        "{results:?}"
    );
    assert!(handed_over.is_empty());
    assert!(queue.deliver().await?.is_empty());
    // AND every repository has one backup (none lost, none done twice) that
    // restores to its source
    let work = tempfile::tempdir()?;
    for (name, src) in &sources {
        assert_eq!(
            fx.store()
                .load_manifest(name)
                .await?
                .map(|v| v.manifest.bundles.len()),
            Some(1)
        );
        let dest = work.path().join(format!("{name}.git"));
        repo_backup::restore::restore(&fx.store(), name, Selector::Latest, &dest).await?;
        assert_eq!(refs(&dest)?, refs(src)?, "{name}");
    }

    // AND a malformed continuation is refused with a clear error
    for (body, expected) in [
        ("{not json", "the body is not JSON"),
        (
            r#"{"kind":"repo-backup-continuation","version":1,"runId":"r","hop":1,"repositories":["../../etc"]}"#,
            "is not a CodeCommit repository name",
        ),
        (
            r#"{"kind":"repo-backup-continuation","version":1,"hop":1,"repositories":["a"]}"#,
            "missing field `runId`",
        ),
    ] {
        let event = serde_json::json!({"Records": [{
            "messageId": "bad-1", "eventSource": "aws:sqs", "body": body
        }]});
        let err = repo_backup::handle(event, &NoDeadline, &deps)
            .await
            .err()
            .with_context(|| format!("accepted {body}"))?;
        assert_eq!(err.error_type(), "InvalidEvent");
        let text = err.to_string();
        assert!(
            text.contains("continuation message bad-1 is invalid") && text.contains(expected),
            "{text}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_in_a_run_that_hands_over_travel_with_it_and_fail_its_last_invocation()
-> Result<()> {
    let fx = Fixture::new().await?;
    commit_file(&fx.source, "a.txt", b"a\n", "first")?;
    let late = unique_name("late");
    let late_src = init_repo(&fx.local.repos_dir(), &late)?;
    commit_file(&late_src, "a.txt", b"a\n", "first")?;
    let queue = Queue::create().await?;
    let deps = repo_backup::Deps {
        store: fx.store(),
        repositories: repositories_filtered(fx.local.codecommit().await, "*")?,
        git: fx.git_access("failing"),
        full_every: 30,
        gc_grace: chrono::Duration::minutes(60),
        continuations: Some(queue.adapter()),
        margin: std::time::Duration::from_secs(180),
    };
    // GIVEN a continuation naming a repository that cannot be fetched first
    let mut start = repo_backup::continuation::Continuation::new("run-9", 1);
    start.repositories = vec!["ghost".into(), fx.repo.clone()];
    let event = |c: &repo_backup::continuation::Continuation| -> Result<serde_json::Value> {
        Ok(serde_json::json!({"Records": [{
            "messageId": "m-1", "eventSource": "aws:sqs", "body": serde_json::to_string(c)?
        }]}))
    };
    // WHEN it runs with time for one repository
    let outcome = repo_backup::handle(event(&start)?, &ExpiresAfter::checks(1), &deps).await?;
    // THEN the invocation succeeds (it handed over) and the failed one goes
    // last in the continuation, with its attempt counted
    let repo_backup::Outcome::BackedUp {
        results,
        handed_over,
        ..
    } = outcome
    else {
        bail!("ignored");
    };
    assert!(results.is_empty(), "{results:?}");
    assert_eq!(handed_over, [fx.repo.clone(), "ghost".to_owned()]);
    let events = queue.deliver().await?;
    assert_eq!(events.len(), 1);
    let next = carried(&events[0])?;
    assert_eq!(next.attempts.get("ghost"), Some(&1));
    assert_eq!(next.hop, 2);
    // WHEN that continuation runs with time for everything
    let err = repo_backup::handle(events[0].clone(), &NoDeadline, &deps)
        .await
        .err()
        .context("a failed repository was swallowed")?;
    // THEN the other repository is backed up and the invocation fails
    // naming the failed one (SQS redelivers it, then the dead-letter queue)
    assert!(err.to_string().contains("ghost"), "{err}");
    assert!(err.is_retryable());
    assert!(fx.store().load_manifest(&fx.repo).await?.is_some());
    assert!(queue.deliver().await?.is_empty());

    // GIVEN a repository at its last attempt, ahead of another one
    let mut last = repo_backup::continuation::Continuation::new("run-9", 3);
    last.repositories = vec!["ghost".into(), late.clone()];
    last.attempts.insert("ghost".into(), 2);
    // WHEN it fails again with time for one repository only
    repo_backup::handle(event(&last)?, &ExpiresAfter::checks(1), &deps).await?;
    // THEN it is not retried but travels as a failure
    let events = queue.deliver().await?;
    let next = carried(&events[0])?;
    assert_eq!(next.repositories, std::slice::from_ref(&late));
    assert_eq!(
        next.failed
            .iter()
            .map(|f| f.repository.as_str())
            .collect::<Vec<_>>(),
        ["ghost"]
    );
    // AND the invocation that ends the run backs the rest up and reports it
    let err = repo_backup::handle(events[0].clone(), &NoDeadline, &deps)
        .await
        .err()
        .context("a failure handed over was lost")?;
    assert!(
        err.to_string().contains("ghost") && err.to_string().contains("earlier invocation"),
        "{err}"
    );
    assert!(fx.store().load_manifest(&late).await?.is_some());
    Ok(())
}
