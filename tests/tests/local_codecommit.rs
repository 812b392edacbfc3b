//! The local CodeCommit API through the real SDK client, against real git
//! repositories built with the `git` binary: every operation codewarden
//! relies on, its paging, and its errors as the SDK's typed errors.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use aws_sdk_codecommit::Client;
use aws_sdk_codecommit::types::{
    ChangeTypeEnum, DiffChangeType, FileModeTypeEnum, Location, MergeOptionTypeEnum,
    RelativeFileVersionEnum, Target,
};
use e2e::{LocalAws, commit_file, git, init_repo};
use local_aws::server::lock;

async fn start() -> Result<(LocalAws, Client)> {
    let local = LocalAws::start().await?;
    let client = local.codecommit().await;
    Ok((local, client))
}

/// `git rev-parse <rev>` in `repo`.
fn rev(repo: &Path, spec: &str) -> Result<String> {
    git(repo, &["rev-parse", spec])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repositories_bare_and_with_work_tree_are_listed_paged_and_described() -> Result<()> {
    let (local, cc) = start().await?;
    let repos = local.repos_dir();
    // GIVEN a repository with a work tree, a bare clone of it (`<name>.git`),
    // and one created through the API
    let work = init_repo(&repos, "work")?;
    let head = commit_file(&work, "README.md", b"hello\n", "first")?;
    git(&repos, &["clone", "-q", "--bare", "work", "bare.git"])?;
    let created = cc
        .create_repository()
        .repository_name("created")
        .repository_description("made by the test")
        .send()
        .await?;
    let created = created.repository_metadata().context("no metadata")?;
    assert_eq!(created.repository_name(), Some("created"));
    assert_eq!(created.repository_description(), Some("made by the test"));
    assert!(
        repos.join("created.git").join("HEAD").is_file(),
        "CreateRepository makes a bare repository"
    );
    for name in ["d1", "d2"] {
        let r = init_repo(&repos, name)?;
        commit_file(&r, "f", b"x\n", "c")?;
    }

    // WHEN describing both kinds THEN both answer, with the default branch
    for name in ["work", "bare"] {
        let out = cc.get_repository().repository_name(name).send().await?;
        let meta = out.repository_metadata().context("no metadata")?;
        assert_eq!(meta.repository_name(), Some(name));
        assert_eq!(meta.default_branch(), Some("main"), "{name}");
        assert_eq!(meta.account_id(), Some("123456789012"));
        assert_eq!(
            meta.arn(),
            Some(format!("arn:aws:codecommit:us-east-1:123456789012:{name}").as_str())
        );
        assert_eq!(
            meta.clone_url_http(),
            Some(format!("{}/v1/repos/{name}", local.endpoint()).as_str()),
            "the clone URL points at the local git endpoint"
        );
        let branch = cc
            .get_branch()
            .repository_name(name)
            .branch_name("main")
            .send()
            .await?;
        assert_eq!(
            branch.branch().and_then(|b| b.commit_id()),
            Some(head.as_str())
        );
    }
    // An empty repository has no default branch yet, as on CodeCommit.
    let empty = cc
        .get_repository()
        .repository_name("created")
        .send()
        .await?;
    assert_eq!(
        empty.repository_metadata().and_then(|m| m.default_branch()),
        None
    );

    // WHEN listing two per page THEN the pages together are every repository, sorted
    lock(&local.server.state().codecommit).limits.list_page_size = 2;
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = cc
            .list_repositories()
            .set_next_token(token.clone())
            .send()
            .await?;
        pages += 1;
        ensure!(
            out.repositories().len() <= 2,
            "page larger than the page size"
        );
        names.extend(
            out.repositories()
                .iter()
                .filter_map(|r| r.repository_name().map(str::to_string)),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["bare", "created", "d1", "d2", "work"]);
    assert_eq!(pages, 3);
    let descending = cc
        .list_repositories()
        .order(aws_sdk_codecommit::types::OrderEnum::Descending)
        .send()
        .await?;
    assert_eq!(
        descending
            .repositories()
            .first()
            .and_then(|r| r.repository_name()),
        Some("work")
    );

    // Errors arrive as the SDK's typed errors.
    let err = cc
        .get_repository()
        .repository_name("missing")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_repository_does_not_exist_exception()
    );
    let err = cc
        .create_repository()
        .repository_name("work")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_repository_name_exists_exception()
    );
    let err = cc
        .get_repository()
        .repository_name("../etc")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_invalid_repository_name_exception()
    );
    let err = cc
        .list_repositories()
        .next_token("bm9wZQ")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_invalid_continuation_token_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branches_are_listed_in_pages_and_unknown_ones_are_typed_errors() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let main = commit_file(&repo, "a.txt", b"a\n", "a")?;
    git(&repo, &["branch", "dev"])?;
    git(&repo, &["branch", "feature/x"])?;
    lock(&local.server.state().codecommit).limits.list_page_size = 2;

    let first = cc.list_branches().repository_name("app").send().await?;
    assert_eq!(first.branches(), ["dev", "feature/x"]);
    let token = first.next_token().context("a second page")?;
    let second = cc
        .list_branches()
        .repository_name("app")
        .next_token(token)
        .send()
        .await?;
    assert_eq!(second.branches(), ["main"]);
    assert_eq!(second.next_token(), None);

    let feature = cc
        .get_branch()
        .repository_name("app")
        .branch_name("feature/x")
        .send()
        .await?;
    assert_eq!(
        feature.branch().and_then(|b| b.branch_name()),
        Some("feature/x")
    );
    assert_eq!(
        feature.branch().and_then(|b| b.commit_id()),
        Some(main.as_str())
    );

    let err = cc
        .get_branch()
        .repository_name("app")
        .branch_name("nope")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_branch_does_not_exist_exception()
    );
    let err = cc
        .list_branches()
        .repository_name("nope")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_repository_does_not_exist_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_carry_tree_parents_message_and_identities() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let first = commit_file(&repo, "a.txt", b"a\n", "first")?;
    let second = commit_file(&repo, "b.txt", b"b\n", "second commit")?;

    let out = cc
        .get_commit()
        .repository_name("app")
        .commit_id(&second)
        .send()
        .await?;
    let commit = out.commit().context("no commit")?;
    assert_eq!(commit.commit_id(), Some(second.as_str()));
    assert_eq!(commit.tree_id(), Some(rev(&repo, "HEAD^{tree}")?.as_str()));
    assert_eq!(commit.parents(), std::slice::from_ref(&first));
    assert_eq!(commit.message().map(str::trim_end), Some("second commit"));
    let author = commit.author().context("no author")?;
    assert_eq!(author.name(), Some("Dev One"));
    assert_eq!(author.email(), Some("dev1@example.com"));
    // 2026-01-01T00:00:00Z, the date the harness commits with.
    assert_eq!(author.date(), Some("1767225600 +0000"));
    assert_eq!(commit.committer().and_then(|c| c.name()), Some("Dev One"));

    let unknown = "0123456789abcdef0123456789abcdef01234567";
    let err = cc
        .get_commit()
        .repository_name("app")
        .commit_id(unknown)
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_commit_id_does_not_exist_exception()
    );
    let err = cc
        .get_commit()
        .repository_name("app")
        .commit_id("abc")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.into_service_error().is_invalid_commit_id_exception());
    let err = cc
        .get_commit()
        .repository_name("app")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.into_service_error().is_commit_id_required_exception());
    let err = cc
        .get_commit()
        .repository_name("ghost")
        .commit_id(&second)
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_repository_does_not_exist_exception()
    );

    // BatchGetCommits reports unknown ids in `errors` and still answers the rest.
    let out = cc
        .batch_get_commits()
        .repository_name("app")
        .commit_ids(&first)
        .commit_ids(unknown)
        .commit_ids(&second)
        .commit_ids("short")
        .send()
        .await?;
    let found: Vec<_> = out.commits().iter().filter_map(|c| c.commit_id()).collect();
    assert_eq!(found, [first.as_str(), second.as_str()]);
    let errors: Vec<_> = out
        .errors()
        .iter()
        .map(|e| {
            (
                e.commit_id().unwrap_or_default(),
                e.error_code().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (unknown, "CommitIdDoesNotExistException"),
            ("short", "InvalidCommitIdException")
        ]
    );
    Ok(())
}

/// (change type, before (path, blob), after (path, blob)) of a difference.
type Diff = (String, Option<(String, String)>, Option<(String, String)>);

fn diff_of(d: &aws_sdk_codecommit::types::Difference) -> Diff {
    let side = |b: Option<&aws_sdk_codecommit::types::BlobMetadata>| {
        b.map(|b| {
            (
                b.path().unwrap_or_default().to_string(),
                b.blob_id().unwrap_or_default().to_string(),
            )
        })
    };
    (
        d.change_type()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        side(d.before_blob()),
        side(d.after_blob()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differences_are_paged_and_together_are_exactly_the_changes() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    // GIVEN a commit with a kept, a modified and a deleted file
    commit_file(&repo, "keep.txt", b"keep\n", "base")?;
    commit_file(&repo, "modify.txt", b"old\n", "base")?;
    let before = commit_file(&repo, "delete.txt", b"gone\n", "base")?;
    // AND a next commit modifying one, deleting one and adding seven
    std::fs::write(repo.join("modify.txt"), b"new\n")?;
    std::fs::remove_file(repo.join("delete.txt"))?;
    for i in 0..7 {
        std::fs::create_dir_all(repo.join("src"))?;
        std::fs::write(repo.join(format!("src/f{i}.txt")), format!("file {i}\n"))?;
    }
    let after = commit_file(&repo, "script.sh", b"#!/bin/sh\n", "change")?;
    git(&repo, &["update-index", "--chmod=+x", "script.sh"])?;
    let after = {
        git(&repo, &["commit", "-q", "--amend", "--no-edit"])?;
        let amended = rev(&repo, "HEAD")?;
        ensure!(amended != after, "amend made a new commit");
        amended
    };
    let blob = |commit: &str, path: &str| -> Result<(String, String)> {
        Ok((path.to_string(), rev(&repo, &format!("{commit}:{path}"))?))
    };
    let mut expected: BTreeSet<Diff> = BTreeSet::new();
    expected.insert((
        "M".into(),
        Some(blob(&before, "modify.txt")?),
        Some(blob(&after, "modify.txt")?),
    ));
    expected.insert(("D".into(), Some(blob(&before, "delete.txt")?), None));
    expected.insert(("A".into(), None, Some(blob(&after, "script.sh")?)));
    for i in 0..7 {
        expected.insert((
            "A".into(),
            None,
            Some(blob(&after, &format!("src/f{i}.txt"))?),
        ));
    }

    // WHEN reading three differences per page
    let mut all = Vec::new();
    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = cc
            .get_differences()
            .repository_name("app")
            .before_commit_specifier(&before)
            .after_commit_specifier("main")
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await?;
        pages.push(out.differences().len());
        all.extend(out.differences().iter().map(diff_of));
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    // THEN the pages are full but the last, and together exactly the changes
    assert_eq!(pages, [3, 3, 3, 1]);
    assert_eq!(all.len(), expected.len(), "no difference twice");
    assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), expected);

    // The mode is git's: the new script is executable.
    let one = cc
        .get_differences()
        .repository_name("app")
        .before_commit_specifier(&before)
        .after_commit_specifier(&after)
        .after_path("script.sh")
        .send()
        .await?;
    assert_eq!(one.differences().len(), 1);
    assert_eq!(
        one.differences()[0].after_blob().and_then(|b| b.mode()),
        Some("100755")
    );
    assert_eq!(
        one.differences()[0].change_type(),
        Some(&ChangeTypeEnum::Added)
    );

    // A folder path limits the differences to that folder.
    let src = cc
        .get_differences()
        .repository_name("app")
        .before_commit_specifier(&before)
        .after_commit_specifier(&after)
        .after_path("src")
        .send()
        .await?;
    assert_eq!(src.differences().len(), 7);

    // Without a before commit every file of the after commit is an addition.
    let initial = cc
        .get_differences()
        .repository_name("app")
        .after_commit_specifier(&before)
        .send()
        .await?;
    let added: BTreeSet<Diff> = initial.differences().iter().map(diff_of).collect();
    let expected_initial: BTreeSet<Diff> = ["delete.txt", "keep.txt", "modify.txt"]
        .into_iter()
        .map(|p| Ok(("A".to_string(), None, Some(blob(&before, p)?))))
        .collect::<Result<_>>()?;
    assert_eq!(added, expected_initial);

    // Errors.
    let err = cc
        .get_differences()
        .repository_name("app")
        .after_commit_specifier("no-such-branch")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_commit_does_not_exist_exception()
    );
    let err = cc
        .get_differences()
        .repository_name("app")
        .before_commit_specifier(&before)
        .after_commit_specifier(&after)
        .after_path("nowhere")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.into_service_error().is_path_does_not_exist_exception());
    let err = cc
        .get_differences()
        .repository_name("app")
        .after_commit_specifier(&after)
        .next_token("garbage")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_invalid_continuation_token_exception()
    );
    Ok(())
}

/// (type, before line, after line, content) of each line of a hunk.
type Change = (DiffChangeType, Option<i32>, Option<i32>, String);

fn changes_of(h: &aws_sdk_codecommit::types::DiffHunk) -> Vec<Change> {
    h.changes()
        .iter()
        .map(|c| {
            (
                c.r#type().cloned().unwrap_or(DiffChangeType::Context),
                c.before_line_number(),
                c.after_line_number(),
                c.content().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_differences_have_add_delete_and_context_lines_with_line_numbers() -> Result<()> {
    use DiffChangeType::{Add, Context, Delete};
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let original: String = (1..=12).map(|i| format!("line {i}\n")).collect();
    commit_file(&repo, "f.txt", original.as_bytes(), "v1")?;
    let before_blob = rev(&repo, "HEAD:f.txt")?;
    // GIVEN line 3 replaced, line 4 inserted after it, and line 11 deleted
    let changed = original
        .replace("line 3\n", "line three\nline 3.5\n")
        .replace("line 11\n", "");
    commit_file(&repo, "f.txt", changed.as_bytes(), "v2")?;
    let after_blob = rev(&repo, "HEAD:f.txt")?;

    // WHEN diffing with one line of context
    let out = cc
        .get_blob_differences()
        .repository_name("app")
        .before_blob_id(&before_blob)
        .after_blob_id(&after_blob)
        .context_lines(1)
        .send()
        .await?;
    // THEN two hunks, numbered on each side
    assert!(!out.is_binary());
    assert_eq!(out.before_blob_size(), original.len() as i64);
    assert_eq!(out.after_blob_size(), changed.len() as i64);
    let hunks = out.hunks();
    assert_eq!(hunks.len(), 2);
    let s = |x: &str| x.to_string();
    assert_eq!(
        (
            hunks[0].before_start_line(),
            hunks[0].before_line_count(),
            hunks[0].after_start_line(),
            hunks[0].after_line_count()
        ),
        (Some(2), Some(3), Some(2), Some(4))
    );
    assert_eq!(
        changes_of(&hunks[0]),
        vec![
            (Context, Some(2), Some(2), s("line 2")),
            (Delete, Some(3), None, s("line 3")),
            (Add, None, Some(3), s("line three")),
            (Add, None, Some(4), s("line 3.5")),
            (Context, Some(4), Some(5), s("line 4")),
        ]
    );
    assert_eq!(
        changes_of(&hunks[1]),
        vec![
            (Context, Some(10), Some(11), s("line 10")),
            (Delete, Some(11), None, s("line 11")),
            (Context, Some(12), Some(12), s("line 12")),
        ]
    );

    // One hunk per page: the second page holds the second hunk and ends.
    let first = cc
        .get_blob_differences()
        .repository_name("app")
        .before_blob_id(&before_blob)
        .after_blob_id(&after_blob)
        .context_lines(1)
        .max_results(1)
        .send()
        .await?;
    assert_eq!(first.hunks().len(), 1);
    let token = first.next_token().context("a second page")?;
    let second = cc
        .get_blob_differences()
        .repository_name("app")
        .before_blob_id(&before_blob)
        .after_blob_id(&after_blob)
        .context_lines(1)
        .max_results(1)
        .next_token(token)
        .send()
        .await?;
    assert_eq!(
        second.hunks().iter().map(changes_of).collect::<Vec<_>>(),
        vec![changes_of(&hunks[1])]
    );
    assert_eq!(second.next_token(), None);

    // Without a before blob the whole file is added, from line 1.
    let new = cc
        .get_blob_differences()
        .repository_name("app")
        .after_blob_id(&after_blob)
        .send()
        .await?;
    assert_eq!(new.before_blob_size(), 0);
    assert_eq!(new.hunks().len(), 1);
    let lines = changes_of(&new.hunks()[0]);
    assert_eq!(lines.len(), 12);
    assert_eq!(lines[0], (Add, None, Some(1), s("line 1")));
    assert!(lines.iter().all(|l| l.0 == Add));

    // A binary blob is flagged, with no hunks.
    commit_file(
        &repo,
        "logo.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "binary",
    )?;
    let png = rev(&repo, "HEAD:logo.png")?;
    let bin = cc
        .get_blob_differences()
        .repository_name("app")
        .after_blob_id(&png)
        .send()
        .await?;
    assert!(bin.is_binary());
    assert!(bin.hunks().is_empty());
    assert_eq!(bin.after_blob_size(), 16);

    let err = cc
        .get_blob_differences()
        .repository_name("app")
        .after_blob_id("0123456789abcdef0123456789abcdef01234567")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_blob_id_does_not_exist_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blobs_and_files_are_returned_whole_or_refused_when_too_large() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    commit_file(&repo, "docs/readme.md", b"read me\n", "docs")?;
    commit_file(&repo, "run.sh", b"#!/bin/sh\necho hi\n", "script")?;
    git(&repo, &["update-index", "--chmod=+x", "run.sh"])?;
    git(&repo, &["commit", "-q", "-m", "exec"])?;
    let head = rev(&repo, "HEAD")?;
    let readme = rev(&repo, "HEAD:docs/readme.md")?;

    let blob = cc
        .get_blob()
        .repository_name("app")
        .blob_id(&readme)
        .send()
        .await?;
    assert_eq!(blob.content().as_ref(), b"read me\n");

    let file = cc
        .get_file()
        .repository_name("app")
        .commit_specifier("main")
        .file_path("/docs/readme.md")
        .send()
        .await?;
    assert_eq!(file.commit_id(), head);
    assert_eq!(file.blob_id(), readme);
    assert_eq!(file.file_path(), "docs/readme.md");
    assert_eq!(file.file_mode(), &FileModeTypeEnum::Normal);
    assert_eq!(file.file_size(), 8);
    assert_eq!(file.file_content().as_ref(), b"read me\n");
    let script = cc
        .get_file()
        .repository_name("app")
        .file_path("run.sh")
        .send()
        .await?;
    assert_eq!(script.file_mode(), &FileModeTypeEnum::Executable);

    let err = cc
        .get_file()
        .repository_name("app")
        .file_path("docs")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error().is_file_does_not_exist_exception(),
        "a folder is not a file"
    );
    let err = cc
        .get_blob()
        .repository_name("app")
        .blob_id("0123456789abcdef0123456789abcdef01234567")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_blob_id_does_not_exist_exception()
    );
    let err = cc
        .get_blob()
        .repository_name("app")
        .blob_id(&head)
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_blob_id_does_not_exist_exception(),
        "a commit is not a blob"
    );

    // WHEN the size limit is below the file's size THEN both refuse it, typed
    lock(&local.server.state().codecommit).limits.max_blob_bytes = 7;
    let err = cc
        .get_blob()
        .repository_name("app")
        .blob_id(&readme)
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.into_service_error().is_file_too_large_exception());
    let err = cc
        .get_file()
        .repository_name("app")
        .file_path("docs/readme.md")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.into_service_error().is_file_too_large_exception());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_options_give_the_merge_base_and_fast_forward_when_possible() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let base = commit_file(&repo, "a.txt", b"a\n", "base")?;
    git(&repo, &["checkout", "-q", "-b", "feature"])?;
    let feature = commit_file(&repo, "b.txt", b"b\n", "feature")?;
    git(&repo, &["checkout", "-q", "main"])?;
    let main = commit_file(&repo, "c.txt", b"c\n", "main moves on")?;

    // Diverged: the merge base is the fork point, no fast-forward.
    let out = cc
        .get_merge_options()
        .repository_name("app")
        .source_commit_specifier("feature")
        .destination_commit_specifier("main")
        .send()
        .await?;
    assert_eq!(out.base_commit_id(), base);
    assert_eq!(out.source_commit_id(), feature);
    assert_eq!(out.destination_commit_id(), main);
    assert!(
        !out.merge_options()
            .contains(&MergeOptionTypeEnum::FastForwardMerge)
    );
    assert!(
        out.merge_options()
            .contains(&MergeOptionTypeEnum::ThreeWayMerge)
    );

    // Ahead only: fast-forward is possible and the base is the destination.
    git(&repo, &["checkout", "-q", "-b", "ahead"])?;
    let ahead = commit_file(&repo, "d.txt", b"d\n", "ahead")?;
    let out = cc
        .get_merge_options()
        .repository_name("app")
        .source_commit_specifier(&ahead)
        .destination_commit_specifier("main")
        .send()
        .await?;
    assert_eq!(out.base_commit_id(), main);
    assert!(
        out.merge_options()
            .contains(&MergeOptionTypeEnum::FastForwardMerge)
    );

    let err = cc
        .get_merge_options()
        .repository_name("app")
        .source_commit_specifier("nope")
        .destination_commit_specifier("main")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_commit_does_not_exist_exception()
    );
    Ok(())
}

fn location(path: &str, line: i64) -> Location {
    Location::builder()
        .file_path(path)
        .file_position(line)
        .relative_file_version(RelativeFileVersionEnum::After)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_on_compared_commits_are_idempotent_by_client_request_token() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let before = commit_file(&repo, "config.py", b"a = 1\n", "base")?;
    let after = commit_file(&repo, "config.py", b"a = 1\nkey = 'x'\n", "add key")?;
    let after_blob = rev(&repo, "HEAD:config.py")?;

    let post = |content: &'static str, token: &'static str, line: i64| {
        cc.post_comment_for_compared_commit()
            .repository_name("app")
            .before_commit_id(&before)
            .after_commit_id(&after)
            .location(location("config.py", line))
            .content(content)
            .client_request_token(token)
            .send()
    };
    // WHEN the same comment is posted twice with one token (a retry)
    let first = post("secret on line 2", "token-1", 2).await?;
    let again = post("secret on line 2", "token-1", 2).await?;
    // THEN it is one comment
    let id = first
        .comment()
        .and_then(|c| c.comment_id())
        .context("no comment id")?;
    assert_eq!(again.comment().and_then(|c| c.comment_id()), Some(id));
    assert_eq!(first.after_blob_id(), Some(after_blob.as_str()));
    assert_eq!(first.location().and_then(|l| l.file_position()), Some(2));
    // AND a second token is a second comment at the same place
    let other = post("another note", "token-2", 1).await?;
    assert_ne!(other.comment().and_then(|c| c.comment_id()), Some(id));

    let listed = cc
        .get_comments_for_compared_commit()
        .repository_name("app")
        .before_commit_id(&before)
        .after_commit_id(&after)
        .send()
        .await?;
    let contents: Vec<&str> = listed
        .comments_for_compared_commit_data()
        .iter()
        .flat_map(|group| group.comments())
        .filter_map(|c| c.content())
        .collect();
    assert_eq!(contents, ["secret on line 2", "another note"]);
    assert_eq!(
        listed.comments_for_compared_commit_data()[0]
            .location()
            .and_then(|l| l.file_path()),
        Some("config.py")
    );

    // Paged one comment at a time.
    let page = cc
        .get_comments_for_compared_commit()
        .repository_name("app")
        .after_commit_id(&after)
        .max_results(1)
        .send()
        .await?;
    assert_eq!(page.comments_for_compared_commit_data().len(), 1);
    assert!(page.next_token().is_some());

    // The same token for a different comment is refused.
    let err = post("different text", "token-1", 2)
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_idempotency_parameter_mismatch_exception()
    );
    // A line the file does not have, or a file that does not exist, is refused.
    let err = post("too far", "token-3", 3)
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_invalid_file_position_exception()
    );
    let err = cc
        .post_comment_for_compared_commit()
        .repository_name("app")
        .after_commit_id(&after)
        .location(location("missing.py", 1))
        .content("x")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(err.into_service_error().is_path_does_not_exist_exception());
    let err = cc
        .post_comment_for_compared_commit()
        .repository_name("app")
        .after_commit_id("0123456789abcdef0123456789abcdef01234567")
        .content("x")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_commit_does_not_exist_exception()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_follow_their_branches_and_take_idempotent_comments() -> Result<()> {
    let (local, cc) = start().await?;
    let repo = init_repo(&local.repos_dir(), "app")?;
    let base = commit_file(&repo, "a.txt", b"a\n", "base")?;
    git(&repo, &["checkout", "-q", "-b", "feature"])?;
    let tip = commit_file(&repo, "b.txt", b"b\n", "feature")?;
    git(&repo, &["checkout", "-q", "main"])?;

    let target = Target::builder()
        .repository_name("app")
        .source_reference("feature")
        .destination_reference("main")
        .build()?;
    let create = || {
        cc.create_pull_request()
            .title("Add b")
            .description("adds b.txt")
            .targets(target.clone())
            .client_request_token("pr-token")
            .send()
    };
    let created = create().await?;
    let pr = created.pull_request().context("no pull request")?;
    let id = pr.pull_request_id().context("no id")?.to_string();
    assert_eq!(id, "1");
    let t = pr.pull_request_targets().first().context("no target")?;
    assert_eq!(t.source_reference(), Some("refs/heads/feature"));
    assert_eq!(t.destination_reference(), Some("refs/heads/main"));
    assert_eq!(t.source_commit(), Some(tip.as_str()));
    assert_eq!(t.destination_commit(), Some(base.as_str()));
    assert_eq!(t.merge_base(), Some(base.as_str()));
    // A retried create is the same pull request.
    let retried = create().await?;
    assert_eq!(
        retried.pull_request().and_then(|p| p.pull_request_id()),
        Some("1")
    );

    // A push to the source branch moves the pull request's source commit.
    git(&repo, &["checkout", "-q", "feature"])?;
    let newer = commit_file(&repo, "c.txt", b"c\n", "more")?;
    let got = cc.get_pull_request().pull_request_id(&id).send().await?;
    let t = got
        .pull_request()
        .and_then(|p| p.pull_request_targets().first())
        .context("no target")?;
    assert_eq!(t.source_commit(), Some(newer.as_str()));
    assert_eq!(got.pull_request().and_then(|p| p.title()), Some("Add b"));

    let comment = || {
        cc.post_comment_for_pull_request()
            .pull_request_id(&id)
            .repository_name("app")
            .before_commit_id(&base)
            .after_commit_id(&newer)
            .location(location("c.txt", 1))
            .content("found a secret")
            .client_request_token("c-token")
            .send()
    };
    let first = comment().await?;
    let second = comment().await?;
    assert_eq!(
        first.comment().and_then(|c| c.comment_id()),
        second.comment().and_then(|c| c.comment_id())
    );
    assert_eq!(first.pull_request_id(), Some("1"));
    let listed = cc
        .get_comments_for_pull_request()
        .pull_request_id(&id)
        .send()
        .await?;
    let data = listed.comments_for_pull_request_data();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0].comments().len(), 1);
    assert_eq!(data[0].comments()[0].content(), Some("found a secret"));
    assert_eq!(data[0].after_commit_id(), Some(newer.as_str()));

    let err = cc
        .get_pull_request()
        .pull_request_id("99")
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_pull_request_does_not_exist_exception()
    );
    let err = cc
        .create_pull_request()
        .title("nothing")
        .targets(
            Target::builder()
                .repository_name("app")
                .source_reference("no-branch")
                .destination_reference("main")
                .build()?,
        )
        .send()
        .await
        .err()
        .context("expected an error")?;
    assert!(
        err.into_service_error()
            .is_reference_does_not_exist_exception()
    );
    Ok(())
}
