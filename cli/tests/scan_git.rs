//! `codewarden scan --git RANGE` end to end, on repositories made with the
//! `git` binary (fixed identity and dates).

mod common;

use common::{Repo, code, json, run, stderr, stdout};
use serde_json::Value;

/// (commit, path, rule_id, line) of each finding.
fn findings(report: &Value) -> Vec<(String, String, String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["commit"].as_str().unwrap_or_default().to_string(),
                f["path"].as_str().unwrap_or_default().to_string(),
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

fn scan(repo: &Repo, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(repo.path(), &all);
    (code(&out), json(&out))
}

#[test]
fn a_secret_added_then_removed_is_found_in_the_commit_that_added_it() {
    // GIVEN a history: base, a commit adding a key on line 3, a commit removing it
    let mut rng = common::Rng::new(21);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    let base = repo.commit("base", &[("app.py", "import os\n\nprint('hi')\n")]);
    let leak = repo.commit(
        "add billing",
        &[(
            "app.py",
            &format!("import os\n\nKEY = \"{}\"\nprint('hi')\n", key.secret),
        )],
    );
    repo.commit("remove key", &[("app.py", "import os\n\nprint('hi')\n")]);
    // WHEN the range after base is scanned (the work tree is clean)
    let (status, report) = scan(&repo, &["--git", &format!("{base}..HEAD")]);
    // THEN the key is reported once, in the adding commit, at line 3
    assert_eq!(status, 1, "{report}");
    assert_eq!(
        findings(&report),
        [(leak.clone(), "app.py".into(), key.rule_id.into(), 3)]
    );
    // AND attributed to its author and date
    let finding = &report["findings"][0];
    assert_eq!(finding["author"], "Ada Lovelace");
    assert_eq!(finding["email"], "ada@example.com");
    assert_eq!(finding["date"], "2024-01-02T12:00:00+00:00");
    assert_eq!(report["stats"]["commits_scanned"], 2);
    // AND HEAD~2..HEAD names the same range
    let (_, same) = scan(&repo, &["--git", "HEAD~2..HEAD"]);
    assert_eq!(findings(&same), findings(&report));
}

#[test]
fn commits_of_the_base_are_excluded() {
    // GIVEN a secret committed on main, then a feature branch with another
    let mut rng = common::Rng::new(22);
    let old = common::stripe_key(&mut rng);
    let new = common::aws_key_id(&mut rng);
    let mut repo = Repo::new();
    repo.commit(
        "old leak",
        &[("old.env", &format!("KEY=\"{}\"\n", old.secret))],
    );
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let feature = repo.commit(
        "feature",
        &[(
            "new.env",
            &format!("x=1\naws_access_key_id = {}\n", new.secret),
        )],
    );
    // WHEN main..feature is scanned
    let (status, report) = scan(&repo, &["--git", "main..feature"]);
    // THEN only the feature's secret is reported
    assert_eq!(status, 1);
    assert_eq!(
        findings(&report),
        [(feature, "new.env".into(), new.rule_id.into(), 2)]
    );
    // AND --all reports both
    let (_, all) = scan(&repo, &["--all"]);
    assert_eq!(findings(&all).len(), 2, "{all}");
}

#[test]
fn only_added_lines_count() {
    // GIVEN a file that already holds a secret, then gets an unrelated edit
    let mut rng = common::Rng::new(23);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    repo.commit(
        "leak",
        &[("a.py", &format!("K = \"{}\"\nx = 1\n", key.secret))],
    );
    repo.commit(
        "edit",
        &[("a.py", &format!("K = \"{}\"\nx = 2\n", key.secret))],
    );
    // WHEN only the edit is scanned THEN nothing is reported
    let (status, report) = scan(&repo, &["--git", "HEAD~1..HEAD"]);
    assert_eq!(status, 0, "{report}");
    // AND a single commit means that commit against its parent
    let (status, report) = scan(&repo, &["--git", "HEAD~1"]);
    assert_eq!(status, 1);
    assert_eq!(findings(&report).len(), 1);
    assert_eq!(report["stats"]["commits_scanned"], 1);
}

#[test]
fn a_renamed_file_is_not_reported_again() {
    let mut rng = common::Rng::new(24);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    let body = format!(
        "# settings\nK = \"{}\"\n{}",
        key.secret,
        "line\n".repeat(20)
    );
    repo.commit("leak", &[("old/name.py", &body)]);
    repo.git(&["mv", "old/name.py", "name.py"]);
    repo.commit("move", &[]);
    let (status, report) = scan(&repo, &["--git", "HEAD~1..HEAD"]);
    assert_eq!(status, 0, "{report}");
    // A rename with an edit: only the edited line is new.
    let other = common::stripe_key(&mut rng);
    let edited = format!("{body}K2 = \"{}\"\n", other.secret);
    std::fs::remove_file(repo.path().join("name.py")).expect("rm");
    repo.commit("move and edit", &[("moved/name.py", &edited)]);
    let (status, report) = scan(&repo, &["--git", "HEAD~1..HEAD"]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(
        findings(&report)
            .into_iter()
            .map(|f| (f.1, f.3))
            .collect::<Vec<_>>(),
        [("moved/name.py".to_string(), 23)]
    );
}

#[test]
fn a_merge_does_not_re_report_what_the_merged_side_brought() {
    // GIVEN main with a leak, merged into a feature branch created before it
    let mut rng = common::Rng::new(25);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    repo.commit("base", &[("readme.md", "hello\n")]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit("feature work", &[("feature.txt", "work\n")]);
    repo.git(&["checkout", "-q", "main"]);
    repo.commit(
        "leak on main",
        &[("main.env", &format!("K=\"{}\"\n", key.secret))],
    );
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--no-edit", "main"]);
    // WHEN the feature's own commits are scanned
    let (status, report) = scan(&repo, &["--git", "main..feature"]);
    // THEN the merge does not bring main's secret back
    assert_eq!(status, 0, "{report}");
    // BUT the merge commit alone, against its first parent, does show it
    let (status, report) = scan(&repo, &["--git", "HEAD"]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(findings(&report)[0].1, "main.env");
}

#[test]
fn multi_line_and_root_commit() {
    // GIVEN a root commit that adds a secret
    let mut rng = common::Rng::new(26);
    let key = common::github_token(&mut rng);
    let mut repo = Repo::new();
    let root = repo.commit("root", &[("ci.yml", &format!("token: {}\n", key.secret))]);
    // WHEN that commit alone is scanned (diffed against the empty tree)
    let (status, report) = scan(&repo, &["--git", &root]);
    assert_eq!(status, 1, "{report}");
    assert_eq!(
        findings(&report),
        [(root, "ci.yml".into(), key.rule_id.into(), 1)]
    );
}

#[test]
fn config_comes_from_the_repository() {
    let mut rng = common::Rng::new(27);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    repo.commit(
        "fixtures",
        &[
            (".codewarden.toml", "[allow]\npaths = [\"fixtures/**\"]\n"),
            ("fixtures/k.py", &format!("K = \"{}\"\n", key.secret)),
        ],
    );
    // The work tree's config applies.
    let (status, report) = scan(&repo, &["--all"]);
    assert_eq!(status, 0, "{report}");
    assert_eq!(report["stats"]["skipped"]["allowlisted_path"], 1);
    // With the work tree's copy gone, the tip commit's applies.
    std::fs::remove_file(repo.path().join(".codewarden.toml")).expect("rm");
    let (status, _) = scan(&repo, &["--all"]);
    assert_eq!(status, 0);
    // An explicit --config wins.
    let elsewhere = common::Tree::new();
    let empty = elsewhere.write("empty.toml", "");
    let (status, _) = scan(
        &repo,
        &["--all", "--config", empty.to_str().expect("utf-8")],
    );
    assert_eq!(status, 1);
}

#[test]
fn bad_ranges_and_non_repositories_exit_2() {
    let mut repo = Repo::new();
    repo.commit("one", &[("a.txt", "a\n")]);
    let out = run(repo.path(), &["scan", "--git", "nosuchbranch..HEAD"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("invalid git range `nosuchbranch..HEAD`"),
        "{}",
        stderr(&out)
    );
    let elsewhere = common::Tree::new();
    let out = run(elsewhere.path(), &["scan", "--git", "HEAD"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("is not in a git repository"),
        "{}",
        stderr(&out)
    );
    // PATH and --git do not mix.
    let out = run(repo.path(), &["scan", "--git", "HEAD", "somewhere"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn human_and_sarif_reports_carry_the_commit() {
    let mut rng = common::Rng::new(28);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    let leak = repo.commit("leak", &[("k.py", &format!("K = \"{}\"\n", key.secret))]);
    let out = run(repo.path(), &["scan", "--all"]);
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "commit {leak}  Ada Lovelace <ada@example.com>  2024-01-01T12:00:00+00:00\n"
        )),
        "{text}"
    );
    assert!(text.contains("k.py:1:6"), "{text}");
    let out = run(repo.path(), &["scan", "--all", "--format", "sarif"]);
    let sarif = json(&out);
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["properties"]["commit"], leak.as_str());
    assert_eq!(result["properties"]["author"], "Ada Lovelace");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k.py"
    );
}
