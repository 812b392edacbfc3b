//! Where local-aws once answered unlike CodeCommit, CodePipeline and
//! CodeBuild (found by checking it with botocore's service models), each
//! case checked through the real aws-sdk-* clients, and where git can
//! judge (diff hunks, merges), against the `git` binary itself.

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::config::http::HttpRequest;
use aws_sdk_codecommit::error::ProvideErrorMetadata;
use aws_sdk_codecommit::operation::RequestId;
use aws_sdk_codecommit::types::{
    ChangeTypeEnum, ConflictDetailLevelTypeEnum, ConflictResolutionStrategyTypeEnum,
    MergeOptionTypeEnum, PullRequestStatusEnum, Target,
};
use aws_smithy_types::body::SdkBody;
use e2e::{LocalAws, commit_file, git, init_repo};
use serde_json::json;

async fn start() -> Result<(LocalAws, Client)> {
    let local = LocalAws::start().await?;
    let client = local.codecommit().await;
    Ok((local, client))
}

/// Stores `contents` as a blob in `repo` and returns its id.
fn blob(repo: &Path, contents: &str) -> Result<String> {
    let file = repo.join(".blob-input");
    std::fs::write(&file, contents)?;
    git(repo, &["hash-object", "-w", ".blob-input"])
}

/// One hunk as the SDK parsed it: header and `(kind, content)` lines.
struct Hunk {
    before_start: usize,
    before_count: usize,
    after_start: usize,
    after_count: usize,
    lines: Vec<(char, String)>,
}

async fn sdk_hunks(
    cc: &Client,
    repo: &str,
    before: &str,
    after: &str,
    context: i32,
) -> Result<Vec<Hunk>> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = cc
            .get_blob_differences()
            .repository_name(repo)
            .before_blob_id(before)
            .after_blob_id(after)
            .context_lines(context)
            .set_next_token(token.take())
            .send()
            .await?;
        for h in page.hunks() {
            let n = |v: Option<i32>| usize::try_from(v.unwrap_or(-1)).context("negative number");
            let lines = h
                .changes()
                .iter()
                .map(|c| {
                    let kind = match c.r#type().map(|t| t.as_str()) {
                        Some("ADD") => '+',
                        Some("DELETE") => '-',
                        _ => ' ',
                    };
                    (kind, c.content().unwrap_or_default().to_string())
                })
                .collect();
            out.push(Hunk {
                before_start: n(h.before_start_line())?,
                before_count: n(h.before_line_count())?,
                after_start: n(h.after_start_line())?,
                after_count: n(h.after_line_count())?,
                lines,
            });
        }
        match page.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(out),
        }
    }
}

/// The hunks as a unified diff of file `f`, for `git apply`.
fn patch(hunks: &[Hunk]) -> String {
    let mut out = String::from("--- a/f\n+++ b/f\n");
    for h in hunks {
        out.push_str(&format!(
            "@@ -{},{} +{},{} @@\n",
            h.before_start, h.before_count, h.after_start, h.after_count
        ));
        for (kind, content) in &h.lines {
            out.push(*kind);
            out.push_str(content);
            out.push('\n');
        }
    }
    out
}

/// Checks each header against the lines at its position in `before`, then
/// has `git apply` (strict about counts) rebuild the after text.
fn check_hunks(work: &Path, before: &str, after: &str, hunks: &[Hunk]) -> Result<()> {
    let old: Vec<&str> = before.lines().collect();
    for h in hunks {
        let shown_before: Vec<&str> = h
            .lines
            .iter()
            .filter(|(k, _)| *k != '+')
            .map(|(_, c)| c.as_str())
            .collect();
        let shown_after = h.lines.iter().filter(|(k, _)| *k != '-').count();
        ensure!(
            (shown_before.len(), shown_after) == (h.before_count, h.after_count),
            "header -{},{} +{},{} disagrees with its {} before / {shown_after} after lines",
            h.before_start,
            h.before_count,
            h.after_start,
            h.after_count,
            shown_before.len()
        );
        let at = if h.before_count == 0 {
            h.before_start
        } else {
            h.before_start - 1
        };
        ensure!(
            old.get(at..at + h.before_count) == Some(&shown_before[..]),
            "hunk at -{} does not match the before text there",
            h.before_start
        );
    }
    std::fs::write(work.join("f"), before)?;
    std::fs::write(work.join("p.diff"), patch(hunks))?;
    git(work, &["apply", "--unidiff-zero", "p.diff"])?;
    let rebuilt = std::fs::read_to_string(work.join("f"))?;
    ensure!(rebuilt == after, "applying gave {rebuilt:?}, not {after:?}");
    Ok(())
}

/// A linear congruential generator: the same pseudo-random cases every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    /// Up to `max_lines - 1` lines drawn from a small alphabet, so that
    /// repeated lines make the alignment ambiguous.
    fn text(&mut self, max_lines: u64) -> String {
        const ALPHABET: [&str; 6] = ["a", "b", "c", "", "}", "fn x() {"];
        let len = self.below(max_lines);
        (0..len)
            .map(|_| format!("{}\n", ALPHABET[self.below(ALPHABET.len() as u64) as usize]))
            .collect()
    }
}

/// `+` and `-` lines of `git diff --minimal -U<context>` between two blobs.
fn git_line_counts(repo: &Path, before: &str, after: &str, context: i32) -> Result<(usize, usize)> {
    let diff = git(
        repo,
        &[
            "diff",
            "--no-color",
            "--minimal",
            &format!("-U{context}"),
            before,
            after,
        ],
    )?;
    let body = diff.lines().skip_while(|l| !l.starts_with("@@"));
    let (mut adds, mut deletes) = (0, 0);
    for line in body {
        if line.starts_with('+') {
            adds += 1;
        } else if line.starts_with('-') {
            deletes += 1;
        }
    }
    Ok((adds, deletes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_hunks_rebuild_the_after_blob_as_git_applies_them() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "README.md", b"x\n", "first")?;
    let work = tempfile::tempdir()?;
    git(work.path(), &["init", "-q"])?;

    // GIVEN the case botocore caught: an emptied line filled again
    let (before, after) = ("a\n\na\n", "a\na\na\n");
    let hunks = sdk_hunks(&cc, "app", &blob(&repo, before)?, &blob(&repo, after)?, 3).await?;
    // THEN the header is git's: -1,3 +1,3
    let headers: Vec<_> = hunks
        .iter()
        .map(|h| (h.before_start, h.before_count, h.after_start, h.after_count))
        .collect();
    assert_eq!(headers, [(1, 3, 1, 3)]);
    check_hunks(work.path(), before, after, &hunks)?;

    // AND for pseudo-random edits (fixed seed: the same cases every run),
    // at several context sizes, the hunks apply with `git apply` and hold
    // as many added and deleted lines as git's minimal diff
    let mut rng = Lcg(0x5eed_c0de);
    for case in 0..60 {
        let before = rng.text(14);
        let after = if case % 3 == 0 {
            // A local edit of the before text, the common shape of a commit.
            let mut lines: Vec<String> = before.lines().map(str::to_string).collect();
            let at = rng.below(lines.len() as u64 + 1) as usize;
            lines.insert(at.min(lines.len()), "inserted".into());
            lines.iter().map(|l| format!("{l}\n")).collect()
        } else {
            rng.text(14)
        };
        let context = [0, 1, 3, 5][case % 4];
        let (b, a) = (blob(&repo, &before)?, blob(&repo, &after)?);
        let hunks = sdk_hunks(&cc, "app", &b, &a, context).await?;
        check_hunks(work.path(), &before, &after, &hunks)
            .with_context(|| format!("case {case}: {before:?} -> {after:?} (-U{context})"))?;
        let ours = hunks
            .iter()
            .flat_map(|h| &h.lines)
            .fold((0, 0), |(p, m), (k, _)| match k {
                '+' => (p + 1, m),
                '-' => (p, m + 1),
                _ => (p, m),
            });
        ensure!(
            ours == git_line_counts(&repo, &b, &a, context)?,
            "case {case}: (added, deleted) {ours:?} differs from git's minimal diff"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_branch_pushed_becomes_the_default_branch() -> Result<()> {
    let (local, cc) = start().await?;
    // GIVEN an empty repository created through the API
    cc.create_repository()
        .repository_name("fresh")
        .send()
        .await?;
    let work = tempfile::tempdir()?;
    let clone = init_repo(work.path(), "w")?;
    git(&clone, &["checkout", "-q", "-b", "develop"])?;
    let tip = commit_file(&clone, "app.txt", b"hello\n", "first")?;
    let url = local.git_url_signed_with("fresh", "test");

    // WHEN the first push creates `develop` (not `main`)
    git(&clone, &["push", "-q", &url, "develop"])?;
    // and a second push adds `feature`
    git(&clone, &["checkout", "-q", "-b", "feature"])?;
    commit_file(&clone, "feature.txt", b"f\n", "feature")?;
    git(&clone, &["push", "-q", &url, "feature"])?;

    // THEN develop is the default branch, and stays so
    let meta = cc.get_repository().repository_name("fresh").send().await?;
    assert_eq!(
        meta.repository_metadata().and_then(|m| m.default_branch()),
        Some("develop")
    );
    // AND GetFile without a commit specifier reads it
    let file = cc
        .get_file()
        .repository_name("fresh")
        .file_path("app.txt")
        .send()
        .await?;
    assert_eq!(file.commit_id(), tip);
    assert_eq!(file.file_content().as_ref(), b"hello\n");
    // AND a pull request without a destination targets it
    let pr = cc
        .create_pull_request()
        .title("feature")
        .targets(
            Target::builder()
                .repository_name("fresh")
                .source_reference("feature")
                .build()?,
        )
        .client_request_token("pr-1")
        .send()
        .await?;
    let target = pr
        .pull_request()
        .and_then(|p| p.pull_request_targets().first())
        .context("no target")?;
    assert_eq!(target.destination_reference(), Some("refs/heads/develop"));
    Ok(())
}

/// A base with ten numbered lines in `f.txt`, then `feature` and `main`
/// each applying `edit` to it; returns the repository.
fn diverged(
    local: &LocalAws,
    name: &str,
    feature: (&str, &str),
    main: (&str, &str),
) -> Result<std::path::PathBuf> {
    let repo = init_repo(&local.repos_dir(), name)?;
    let base: String = (1..=10).map(|i| format!("line {i}\n")).collect();
    commit_file(&repo, "f.txt", base.as_bytes(), "base")?;
    let edit = |(path, from_to): (&str, &str)| -> Result<()> {
        let (from, to) = from_to.split_once("=>").context("edit is FROM=>TO")?;
        let full = repo.join(path);
        let text = std::fs::read_to_string(&full).unwrap_or_default();
        let changed = if from.is_empty() {
            to.to_string()
        } else {
            text.replace(from, to)
        };
        commit_file(&repo, path, changed.as_bytes(), "edit")?;
        Ok(())
    };
    git(&repo, &["checkout", "-q", "-b", "feature"])?;
    edit(feature)?;
    git(&repo, &["checkout", "-q", "main"])?;
    edit(main)?;
    Ok(repo)
}

async fn options(
    cc: &Client,
    repo: &str,
    level: Option<ConflictDetailLevelTypeEnum>,
    strategy: Option<ConflictResolutionStrategyTypeEnum>,
) -> Result<Vec<MergeOptionTypeEnum>> {
    let out = cc
        .get_merge_options()
        .repository_name(repo)
        .source_commit_specifier("feature")
        .destination_commit_specifier("main")
        .set_conflict_detail_level(level)
        .set_conflict_resolution_strategy(strategy)
        .send()
        .await?;
    ensure!(!out.base_commit_id().is_empty(), "baseCommitId is required");
    Ok(out.merge_options().to_vec())
}

/// Whether git merges `feature` into `main` without conflicts.
fn git_merges_cleanly(repo: &Path) -> Result<bool> {
    match git(repo, &["merge-tree", "--write-tree", "main", "feature"]) {
        Ok(_) => Ok(true),
        Err(e) if e.to_string().contains("merge-tree") => Ok(false),
        Err(e) => Err(e),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_options_leave_out_squash_and_three_way_when_the_branches_conflict() -> Result<()> {
    use ConflictDetailLevelTypeEnum::{FileLevel, LineLevel};
    let (local, cc) = start().await?;
    let three_way = MergeOptionTypeEnum::ThreeWayMerge;
    let squash = MergeOptionTypeEnum::SquashMerge;

    // GIVEN both branches change line 2 differently
    let same_line = diverged(
        &local,
        "same-line",
        ("f.txt", "line 2\n=>two (feature)\n"),
        ("f.txt", "line 2\n=>two (main)\n"),
    )?;
    // THEN no level lets them merge, as git agrees
    assert!(!git_merges_cleanly(&same_line)?);
    for level in [None, Some(FileLevel), Some(LineLevel)] {
        let got = options(&cc, "same-line", level.clone(), None).await?;
        assert!(
            !got.contains(&three_way) && !got.contains(&squash),
            "{level:?}: {got:?}"
        );
    }
    // AND a resolution strategy that picks a side makes them mergeable
    let got = options(
        &cc,
        "same-line",
        None,
        Some(ConflictResolutionStrategyTypeEnum::AcceptSource),
    )
    .await?;
    assert!(got.contains(&three_way) && got.contains(&squash), "{got:?}");

    // GIVEN the branches change distant lines of the same file
    let distant = diverged(
        &local,
        "distant",
        ("f.txt", "line 2\n=>two\n"),
        ("f.txt", "line 9\n=>nine\n"),
    )?;
    assert!(git_merges_cleanly(&distant)?);
    // THEN FILE_LEVEL (the default) calls it a conflict, LINE_LEVEL does not
    for level in [None, Some(FileLevel)] {
        let got = options(&cc, "distant", level.clone(), None).await?;
        assert!(!got.contains(&three_way), "{level:?}: {got:?}");
    }
    let got = options(&cc, "distant", Some(LineLevel), None).await?;
    assert!(got.contains(&three_way) && got.contains(&squash), "{got:?}");

    // GIVEN adjacent lines (git's rule: touching changes conflict)
    let adjacent = diverged(
        &local,
        "adjacent",
        ("f.txt", "line 4\n=>four\n"),
        ("f.txt", "line 5\n=>five\n"),
    )?;
    assert!(!git_merges_cleanly(&adjacent)?);
    let got = options(&cc, "adjacent", Some(LineLevel), None).await?;
    assert!(!got.contains(&three_way), "{got:?}");

    // GIVEN different files THEN every level merges
    diverged(&local, "files", ("a.txt", "=>a\n"), ("b.txt", "=>b\n"))?;
    for level in [None, Some(FileLevel), Some(LineLevel)] {
        let got = options(&cc, "files", level.clone(), None).await?;
        assert!(got.contains(&three_way), "{level:?}: {got:?}");
        assert!(!got.contains(&MergeOptionTypeEnum::FastForwardMerge));
    }

    // GIVEN unrelated histories THEN the modeled error, not an answer
    // without the required baseCommitId
    git(&distant, &["checkout", "-q", "--orphan", "orphan"])?;
    commit_file(&distant, "other.txt", b"o\n", "unrelated")?;
    let err = cc
        .get_merge_options()
        .repository_name("distant")
        .source_commit_specifier("orphan")
        .destination_commit_specifier("main")
        .send()
        .await
        .err()
        .context("expected an error for unrelated histories")?;
    assert!(
        err.into_service_error()
            .is_tips_divergence_exceeded_exception()
    );
    Ok(())
}

async fn pull_request(cc: &Client, repo: &str, source: &str, token: &str) -> Result<String> {
    let out = cc
        .create_pull_request()
        .title(format!("merge {source}"))
        .targets(
            Target::builder()
                .repository_name(repo)
                .source_reference(source)
                .destination_reference("main")
                .build()?,
        )
        .client_request_token(token)
        .send()
        .await?;
    out.pull_request()
        .and_then(|p| p.pull_request_id())
        .map(str::to_string)
        .context("no pull request id")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_close_when_merged_by_a_push_or_when_the_source_branch_goes() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "a.txt", b"a\n", "base")?;
    for branch in ["merged", "dropped"] {
        git(&repo, &["checkout", "-q", "-b", branch, "main"])?;
        commit_file(&repo, &format!("{branch}.txt"), b"x\n", branch)?;
    }
    git(&repo, &["checkout", "-q", "main"])?;
    let merged = pull_request(&cc, "app", "merged", "t-1").await?;
    let dropped = pull_request(&cc, "app", "dropped", "t-2").await?;
    let status = |id: String| {
        let cc = cc.clone();
        async move {
            let out = cc.get_pull_request().pull_request_id(id).send().await?;
            let pr = out.pull_request().context("no pull request")?;
            let is_merged = pr
                .pull_request_targets()
                .first()
                .and_then(|t| t.merge_metadata())
                .map(|m| m.is_merged());
            anyhow::Ok((pr.pull_request_status().cloned(), is_merged))
        }
    };
    assert_eq!(
        status(merged.clone()).await?,
        (Some(PullRequestStatusEnum::Open), Some(false))
    );

    // WHEN `merged` is merged into main outside the pull request (a push)
    git(&repo, &["merge", "-q", "--no-ff", "-m", "merge", "merged"])?;
    // AND `dropped`'s source branch is deleted
    git(&repo, &["branch", "-q", "-D", "dropped"])?;

    // THEN the first is CLOSED and merged, the second CLOSED unmerged
    assert_eq!(
        status(merged.clone()).await?,
        (Some(PullRequestStatusEnum::Closed), Some(true))
    );
    assert_eq!(
        status(dropped.clone()).await?,
        (Some(PullRequestStatusEnum::Closed), Some(false))
    );
    // AND a branch of the same name pushed again does not reopen it
    git(&repo, &["checkout", "-q", "-b", "dropped"])?;
    commit_file(&repo, "again.txt", b"y\n", "again")?;
    assert_eq!(
        status(dropped).await?,
        (Some(PullRequestStatusEnum::Closed), Some(false))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_over_the_model_limits_are_refused_with_the_modeled_errors() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let first = commit_file(&repo, "a.txt", b"a\n", "base")?;
    git(&repo, &["checkout", "-q", "-b", "feature"])?;
    let second = commit_file(&repo, "b.txt", b"b\n", "feature")?;

    // Repository description: at most 1000 characters.
    let err = cc
        .create_repository()
        .repository_name("long")
        .repository_description("d".repeat(1001))
        .send()
        .await
        .err()
        .context("a 1001-character description was accepted")?;
    assert!(
        err.into_service_error()
            .is_invalid_repository_description_exception()
    );
    cc.create_repository()
        .repository_name("long")
        .repository_description("d".repeat(1000))
        .send()
        .await?;

    // Pull request description: at most 10,240 characters.
    let err = cc
        .create_pull_request()
        .title("t")
        .description("d".repeat(10_241))
        .targets(
            Target::builder()
                .repository_name("app")
                .source_reference("feature")
                .destination_reference("main")
                .build()?,
        )
        .client_request_token("t")
        .send()
        .await
        .err()
        .context("an over-long pull request description was accepted")?;
    assert!(err.into_service_error().is_invalid_description_exception());

    // Comment listings: maxResults at most 500.
    let err = cc
        .get_comments_for_compared_commit()
        .repository_name("app")
        .before_commit_id(&first)
        .after_commit_id(&second)
        .max_results(501)
        .send()
        .await
        .err()
        .context("maxResults 501 was accepted")?;
    assert!(err.into_service_error().is_invalid_max_results_exception());
    cc.get_comments_for_compared_commit()
        .repository_name("app")
        .before_commit_id(&first)
        .after_commit_id(&second)
        .max_results(500)
        .send()
        .await?;

    // CodeBuild BatchGetBuilds: 1 to 100 non-empty ids.
    let cb = aws_sdk_codebuild::Client::new(&local.sdk_config().await);
    for ids in [
        vec![],
        (0..101).map(|i| format!("app:{i}")).collect(),
        vec![String::new()],
    ] {
        let n = ids.len();
        let err = cb
            .batch_get_builds()
            .set_ids(Some(ids))
            .send()
            .await
            .err()
            .with_context(|| format!("{n} ids were accepted"))?;
        assert!(
            err.into_service_error().is_invalid_input_exception(),
            "{n} ids"
        );
    }
    let found = cb.batch_get_builds().ids("app:1").send().await?;
    assert_eq!(found.builds_not_found(), ["app:1"]);

    // CodePipeline PutApprovalResult: a summary of at most 512 characters.
    local
        .admin_post(
            "/codepipeline/pipelines",
            json!({"name": "web", "stages": [
                {"name": "Approve", "actions": [{"name": "Approve", "category": "Approval"}]}]}),
        )
        .await?;
    local
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": "web", "pipelineExecutionId": "e-1"}),
        )
        .await?;
    let approval = local
        .admin_post(
            "/codepipeline/approvals",
            json!({"pipelineName": "web", "stageName": "Approve", "actionName": "Approve"}),
        )
        .await?;
    let token = approval["token"].as_str().context("no token")?;
    let cp = local.codepipeline().await;
    let approve = |summary: String| {
        cp.put_approval_result()
            .pipeline_name("web")
            .stage_name("Approve")
            .action_name("Approve")
            .token(token)
            .result(
                aws_sdk_codepipeline::types::ApprovalResult::builder()
                    .status(aws_sdk_codepipeline::types::ApprovalStatus::Approved)
                    .summary(summary)
                    .build()
                    .expect("status and summary are set"),
            )
            .send()
    };
    let err = approve("s".repeat(513))
        .await
        .err()
        .context("a 513-character summary was accepted")?;
    assert!(err.into_service_error().is_validation_exception());
    approve("s".repeat(512)).await?;
    Ok(())
}

/// Replaces the request body the SDK serialised with `body`.
fn with_body(body: &'static str) -> impl Fn(&mut HttpRequest) {
    move |req| {
        *req.body_mut() = SdkBody::from(body);
        req.headers_mut()
            .insert("content-length", body.len().to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_number_is_a_serialization_exception_on_every_service() -> Result<()> {
    let (local, cc) = start().await?;
    init_repo(&local.repos_dir(), "app")?;
    local
        .admin_post(
            "/codepipeline/pipelines",
            json!({"name": "web", "stages": [
                {"name": "Build", "actions": [{"name": "Build", "category": "Build"}]}]}),
        )
        .await?;

    // CodeCommit: maxResults as a string.
    let err = cc
        .get_comments_for_compared_commit()
        .repository_name("app")
        .after_commit_id("0".repeat(40))
        .customize()
        .mutate_request(with_body(
            r#"{"repositoryName":"app","afterCommitId":"0000000000000000000000000000000000000000","maxResults":"ten"}"#,
        ))
        .send()
        .await
        .err()
        .context("CodeCommit accepted maxResults \"ten\"")?;
    assert_eq!(err.code(), Some("SerializationException"), "{err:?}");

    // CodePipeline: maxResults as a fraction.
    let cp = local.codepipeline().await;
    let err = cp
        .list_pipeline_executions()
        .pipeline_name("web")
        .customize()
        .mutate_request(with_body(r#"{"pipelineName":"web","maxResults":2.5}"#))
        .send()
        .await
        .err()
        .context("CodePipeline accepted maxResults 2.5")?;
    assert_eq!(err.code(), Some("SerializationException"), "{err:?}");

    // CodeBuild: a number where the list of ids goes.
    let cb = aws_sdk_codebuild::Client::new(&local.sdk_config().await);
    let err = cb
        .batch_get_builds()
        .ids("app:1")
        .customize()
        .mutate_request(with_body(r#"{"ids":12}"#))
        .send()
        .await
        .err()
        .context("CodeBuild accepted ids 12")?;
    assert_eq!(err.code(), Some("SerializationException"), "{err:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_action_executions_filters_on_the_latest_in_an_execution() -> Result<()> {
    use aws_sdk_codepipeline::types::{
        ActionExecutionFilter, LatestInPipelineExecutionFilter, StartTimeRange,
    };
    let local = LocalAws::start().await?;
    local
        .admin_post(
            "/codepipeline/pipelines",
            json!({"name": "web", "stages": [
                {"name": "Source", "actions": [{"name": "Source", "category": "Source"}]},
                {"name": "Build", "actions": [{"name": "Build", "category": "Build"}]}]}),
        )
        .await?;
    // GIVEN an execution whose Build failed once and was retried
    let t0 = 1_767_225_600;
    local
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": "web", "pipelineExecutionId": "e-1", "startTime": t0,
                   "actions": [
                       {"stageName": "Source", "actionName": "Source", "actionExecutionId": "src"},
                       {"stageName": "Build", "actionName": "Build", "actionExecutionId": "try-1",
                        "status": "Failed", "startTime": t0 + 10},
                       {"stageName": "Build", "actionName": "Build", "actionExecutionId": "try-2",
                        "startTime": t0 + 60}]}),
        )
        .await?;
    local
        .admin_post(
            "/codepipeline/executions",
            json!({"pipelineName": "web", "pipelineExecutionId": "e-2", "startTime": t0 + 100,
                   "actions": [{"stageName": "Source", "actionName": "Source", "actionExecutionId": "src-2"}]}),
        )
        .await?;
    let cp = local.codepipeline().await;
    let ids = |range: StartTimeRange| {
        let cp = cp.clone();
        async move {
            let out = cp
                .list_action_executions()
                .pipeline_name("web")
                .filter(
                    ActionExecutionFilter::builder()
                        .latest_in_pipeline_execution(
                            LatestInPipelineExecutionFilter::builder()
                                .pipeline_execution_id("e-1")
                                .start_time_range(range)
                                .build()?,
                        )
                        .build(),
                )
                .send()
                .await?;
            anyhow::Ok(
                out.action_execution_details()
                    .iter()
                    .filter_map(|d| d.action_execution_id().map(str::to_string))
                    .collect::<Vec<_>>(),
            )
        }
    };
    // THEN Latest gives each action's latest run of e-1, All every run of e-1
    assert_eq!(ids(StartTimeRange::Latest).await?, ["try-2", "src"]);
    assert_eq!(ids(StartTimeRange::All).await?, ["try-2", "try-1", "src"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "a.txt", b"a\n", "base")?;

    let one = cc.get_repository().repository_name("app").send().await?;
    let two = cc.list_repositories().send().await?;
    let (Some(a), Some(b)) = (one.request_id(), two.request_id()) else {
        bail!("a CodeCommit answer has no x-amzn-RequestId");
    };
    assert_ne!(a, b, "request ids are unique");
    let err = cc
        .get_repository()
        .repository_name("missing")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.request_id().is_some_and(|id| !id.is_empty()),
        "errors too"
    );

    let cp = local.codepipeline().await;
    let err = cp
        .get_pipeline_state()
        .name("none")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.request_id().is_some(), "CodePipeline errors too");
    let cb = aws_sdk_codebuild::Client::new(&local.sdk_config().await);
    let out = cb.batch_get_builds().ids("app:1").send().await?;
    assert!(out.request_id().is_some(), "CodeBuild answers too");

    // GetDifferences still answers the same changes (a smoke check that
    // the layer does not alter bodies).
    let diff = cc
        .get_differences()
        .repository_name("app")
        .after_commit_specifier("main")
        .send()
        .await?;
    assert_eq!(
        diff.differences().first().and_then(|d| d.change_type()),
        Some(&ChangeTypeEnum::Added)
    );
    Ok(())
}
