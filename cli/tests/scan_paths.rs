//! `codewarden scan PATH...` end to end: the built binary on temporary trees.

mod common;

use common::{Planted, Tree, code, codewarden, json, run, stderr, stdout};
use serde_json::Value;

/// A tree with three planted credentials; returns them with (path, line).
fn planted_tree(seed: u64) -> (Tree, Vec<(Planted, &'static str, u64)>) {
    let mut rng = common::Rng::new(seed);
    let aws = common::aws_key_id(&mut rng);
    let stripe = common::stripe_key(&mut rng);
    let github = common::github_token(&mut rng);
    let tree = Tree::new();
    tree.write(
        "config/prod.env",
        format!("# production\naws_access_key_id = {}\n", aws.secret),
    );
    tree.write(
        "src/billing.py",
        format!(
            "import stripe\n\n\nstripe.api_key = \"{}\"\n",
            stripe.secret
        ),
    );
    tree.write(
        "deploy/ci.yml",
        format!("steps:\n  - env:\n      GITHUB_TOKEN: {}\n", github.secret),
    );
    tree.write("src/clean.rs", "fn main() { println!(\"hello\"); }\n");
    let planted = vec![
        (aws, "config/prod.env", 2),
        (stripe, "src/billing.py", 4),
        (github, "deploy/ci.yml", 3),
    ];
    (tree, planted)
}

fn findings(report: &Value) -> Vec<(String, String, u64)> {
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["rule_id"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    found.sort();
    found
}

fn expected(planted: &[(Planted, &str, u64)]) -> Vec<(String, String, u64)> {
    let mut expected: Vec<_> = planted
        .iter()
        .map(|(p, path, line)| (path.to_string(), p.rule_id.to_string(), *line))
        .collect();
    expected.sort();
    expected
}

#[test]
fn finds_every_planted_credential_and_exits_1() {
    // GIVEN a tree with three credentials
    let (tree, planted) = planted_tree(1);
    // WHEN scanned as JSON
    let out = run(tree.path(), &["scan", "--format", "json"]);
    // THEN each is reported at its file and line, and the exit status is 1
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(findings(&json(&out)), expected(&planted));
}

#[test]
fn a_clean_tree_exits_0() {
    let tree = Tree::new();
    tree.write("README.md", "# nothing to see\n");
    let out = run(tree.path(), &["scan"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("0 findings in 0 files; scanned 1 file"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn human_report_lists_location_rule_mask_and_confidence() {
    // GIVEN the planted tree
    let (tree, planted) = planted_tree(2);
    // WHEN scanned with the human format (not a terminal: no colour)
    let out = run(tree.path(), &["scan"]);
    let text = stdout(&out);
    // THEN each finding is a `path:line:col  rule  masked  (confidence)` line
    let aws = &planted[0].0;
    let line = text
        .lines()
        .find(|l| l.starts_with("config/prod.env:2:21"))
        .unwrap_or_else(|| panic!("no AWS line in:\n{text}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields,
        ["config/prod.env:2:21", aws.rule_id, "AKIA***", "(high)"]
    );
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
    // AND the summary counts findings, files, bytes and speed
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("3 findings in 3 files; scanned 4 files ("),
        "{summary}"
    );
    assert!(summary.contains("MB/s"), "{summary}");
}

#[test]
fn colour_can_be_forced_and_no_color_is_honoured() {
    let (tree, _) = planted_tree(3);
    let forced = run(tree.path(), &["scan", "--color", "always"]);
    assert!(stdout(&forced).contains("\x1b[33m"), "{}", stdout(&forced));
    // NO_COLOR only matters for `auto`, which a pipe already turns off; it
    // must not turn colour on.
    let out = codewarden()
        .current_dir(tree.path())
        .env("NO_COLOR", "1")
        .args(["scan"])
        .output()
        .expect("runs");
    assert!(!stdout(&out).contains('\x1b'));
}

#[test]
fn hidden_files_are_scanned_and_gitignored_ones_skipped_unless_asked() {
    // GIVEN a secret in a .gitignore'd file, one in a hidden file and one inside .git
    let mut rng = common::Rng::new(4);
    let ignored = common::stripe_key(&mut rng);
    let hidden = common::aws_key_id(&mut rng);
    let tree = Tree::new();
    tree.write(".gitignore", "build/\n");
    tree.write("build/out.txt", format!("key = \"{}\"\n", ignored.secret));
    tree.write(".env", format!("aws_access_key_id={}\n", hidden.secret));
    tree.write(".git/config", format!("token = {}\n", ignored.secret));
    // WHEN scanned by default
    let out = run(tree.path(), &["scan", "--format", "json"]);
    // THEN the hidden .env is found (that is where secrets live), the ignored file and .git are not
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    let found = findings(&json(&out));
    assert_eq!(found, [(".env".into(), hidden.rule_id.into(), 1)]);
    // WHEN the ignore files are not honoured THEN the ignored file is found too
    let out = run(tree.path(), &["scan", "--format", "json", "--no-ignore"]);
    let mut found = findings(&json(&out));
    found.sort();
    let mut expected = vec![
        (".env".to_string(), hidden.rule_id.to_string(), 1),
        ("build/out.txt".to_string(), ignored.rule_id.to_string(), 1),
    ];
    expected.sort();
    assert_eq!(found, expected);
    // WHEN hidden files are skipped THEN nothing is reported
    let out = run(tree.path(), &["scan", "--format", "json", "--no-hidden"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    // GIVEN a secret in a binary file and one in a file over the size limit
    let mut rng = common::Rng::new(5);
    let a = common::stripe_key(&mut rng);
    let b = common::stripe_key(&mut rng);
    let tree = Tree::new();
    let mut binary = b"\x7fELF\x00\x00".to_vec();
    binary.extend_from_slice(a.secret.as_bytes());
    tree.write("app.bin", binary);
    tree.write(
        "big.txt",
        format!("{}\nkey = \"{}\"\n", "x".repeat(3000), b.secret),
    );
    tree.write("small.txt", "fine\n");
    // WHEN scanned with a 2 KiB limit
    let out = run(
        tree.path(),
        &["scan", "--format", "json", "--max-file-size", "2K"],
    );
    let report = json(&out);
    // THEN nothing is reported and the skips are counted by reason
    assert_eq!(code(&out), 0, "{report}");
    assert_eq!(report["stats"]["files_scanned"], 1);
    assert_eq!(report["stats"]["skipped"]["binary"], 1);
    assert_eq!(report["stats"]["skipped"]["too_large"], 1);
    // AND the human summary says why
    let human = stdout(&run(tree.path(), &["scan", "--max-file-size", "2K"]));
    assert!(
        human.contains("skipped 2 (1 binary, 1 too large)"),
        "{human}"
    );
}

#[test]
fn errors_exit_2_with_a_message() {
    let tree = Tree::new();
    // A path that does not exist.
    let out = run(tree.path(), &["scan", "no/such/dir"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).starts_with("error: cannot scan no/such/dir"),
        "{}",
        stderr(&out)
    );
    // A bad flag value (clap's usage error).
    let out = run(tree.path(), &["scan", "--format", "xml"]);
    assert_eq!(code(&out), 2);
    // A bad --max-file-size.
    let out = run(tree.path(), &["scan", "--max-file-size", "huge"]);
    assert_eq!(code(&out), 2);
    // A missing --config file.
    let out = run(tree.path(), &["scan", "--config", "missing.toml"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("cannot read the configuration missing.toml"));
    // An invalid configuration found in the scan root.
    tree.write(".codewarden.toml", "[allow]\npath = ['x']\n");
    let out = run(tree.path(), &["scan"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("invalid configuration"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("caused by:"), "{}", stderr(&out));
    // A baseline that is not one.
    std::fs::remove_file(tree.path().join(".codewarden.toml")).expect("rm");
    tree.write("baseline.json", "{\"not\": \"a baseline\"}");
    let out = run(tree.path(), &["scan", "--baseline", "baseline.json"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("invalid baseline baseline.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let (tree, _) = planted_tree(6);
    let out = run(tree.path(), &["scan", "--format", "json"]);
    let report = json(&out);
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    let finding = &report["findings"][0];
    for key in [
        "path",
        "rule_id",
        "rule_name",
        "line",
        "column",
        "end_line",
        "end_column",
        "masked",
        "fingerprint",
        "confidence",
        "severity",
    ] {
        assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
    }
    assert!(finding.get("commit").is_none(), "no commit for a file scan");
    assert!(
        report.get("dropped").is_none(),
        "dropped only with --explain"
    );
    let stats = &report["stats"];
    assert_eq!(stats["files_scanned"], 4);
    assert_eq!(stats["findings"], 3);
    assert!(stats["bytes_scanned"].as_u64().unwrap_or_default() > 100);
    for key in [
        "elapsed_seconds",
        "mb_per_second",
        "skipped",
        "baselined",
        "errors",
    ] {
        assert!(stats.get(key).is_some(), "stats lack {key}: {stats}");
    }
}

#[test]
fn output_file_receives_the_report() {
    let (tree, _) = planted_tree(7);
    let out = run(
        tree.path(),
        &["scan", "--format", "json", "-o", "report.json"],
    );
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty());
    let report: Value = serde_json::from_str(&tree.read("report.json")).expect("json file");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(3));
}

#[test]
fn baseline_round_trip_silences_known_findings_only() {
    // GIVEN a baseline written from the current findings
    let (tree, _) = planted_tree(8);
    let out = run(tree.path(), &["scan", "--write-baseline", "baseline.json"]);
    assert_eq!(
        code(&out),
        0,
        "writing a baseline succeeds: {}",
        stderr(&out)
    );
    let baseline: Value = serde_json::from_str(&tree.read("baseline.json")).expect("json");
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["fingerprints"].as_array().map(Vec::len), Some(3));
    // WHEN scanned with it
    let out = run(
        tree.path(),
        &["scan", "--baseline", "baseline.json", "--format", "json"],
    );
    // THEN nothing is reported, and the suppressed findings are counted
    let report = json(&out);
    assert_eq!(code(&out), 0, "{report}");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["stats"]["baselined"], 3);
    // WHEN a new secret appears THEN only it is reported
    let mut rng = common::Rng::new(80);
    let new = common::stripe_key(&mut rng);
    tree.write("src/new.py", format!("KEY = \"{}\"\n", new.secret));
    let out = run(
        tree.path(),
        &["scan", "--baseline", "baseline.json", "--format", "json"],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        findings(&json(&out)),
        [("src/new.py".into(), new.rule_id.into(), 1)]
    );
}

#[test]
fn config_allowlists_paths_and_disables_rules() {
    let (tree, _) = planted_tree(9);
    tree.write(
        ".codewarden.toml",
        "[allow]\npaths = [\"config/**\"]\nrules = [\"stripe-secret-key\"]\n",
    );
    let out = run(tree.path(), &["scan", "--format", "json"]);
    let report = json(&out);
    // THEN only the GitHub token is left
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{report}");
    assert_eq!(found[0].0, "deploy/ci.yml");
    assert_eq!(report["stats"]["skipped"]["allowlisted_path"], 1);
    // AND --config points elsewhere (here: an empty config) to override
    tree.write("other.toml", "");
    let out = run(
        tree.path(),
        &["scan", "--format", "json", "--config", "other.toml"],
    );
    assert_eq!(findings(&json(&out)).len(), 3);
}

#[test]
fn inline_pragma_suppresses_its_line() {
    let mut rng = common::Rng::new(10);
    let kept = common::stripe_key(&mut rng);
    let allowed = common::stripe_key(&mut rng);
    let tree = Tree::new();
    tree.write(
        "keys.py",
        format!(
            "A = \"{}\"\nB = \"{}\"  # codewarden:allow\n",
            kept.secret, allowed.secret
        ),
    );
    let out = run(tree.path(), &["scan", "--format", "json", "--explain"]);
    let report = json(&out);
    assert_eq!(
        findings(&report),
        [("keys.py".into(), kept.rule_id.into(), 1)]
    );
    let dropped = report["dropped"]
        .as_array()
        .expect("dropped with --explain");
    assert!(
        dropped.iter().any(|d| d["line"] == 2
            && d["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("codewarden:allow")),
        "{report}"
    );
}

#[test]
fn explain_prints_dropped_candidates_with_reasons() {
    // GIVEN AWS's documentation key and a token with a wrong checksum
    let mut rng = common::Rng::new(11);
    let mut github = common::github_token(&mut rng).secret;
    github.replace_range(10..11, if &github[10..11] == "A" { "B" } else { "A" });
    let tree = Tree::new();
    tree.write(
        "docs.md",
        format!("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\ntoken: {github}\n"),
    );
    // WHEN scanned with --explain (human)
    let out = run(tree.path(), &["scan", "--explain"]);
    assert_eq!(code(&out), 0);
    let err = stderr(&out);
    // THEN stderr names each drop with location, rule and reason
    assert!(
        err.lines().any(|l| l.starts_with("dropped docs.md:1:")
            && l.contains("aws-access-key-id")
            && l.ends_with("documentation example key")),
        "{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("dropped docs.md:2:") && l.contains("checksum")),
        "{err}"
    );
    // AND the report itself (stdout) is unchanged
    assert!(!stdout(&out).contains("dropped"));
    // AND in JSON they are a `dropped` array
    let report = json(&run(
        tree.path(),
        &["scan", "--explain", "--format", "json"],
    ));
    assert!(
        report["dropped"].as_array().is_some_and(|d| d.len() >= 2),
        "{report}"
    );
}

#[test]
fn explain_lists_baselined_findings() {
    let (tree, _) = planted_tree(12);
    run(tree.path(), &["scan", "--write-baseline", "b.json"]);
    let report = json(&run(
        tree.path(),
        &[
            "scan",
            "--baseline",
            "b.json",
            "--explain",
            "--format",
            "json",
        ],
    ));
    let reasons: Vec<&str> = report["dropped"]
        .as_array()
        .expect("dropped")
        .iter()
        .filter_map(|d| d["reason"].as_str())
        .collect();
    assert_eq!(
        reasons.iter().filter(|r| **r == "in the baseline").count(),
        3,
        "{report}"
    );
}

#[test]
fn thread_count_does_not_change_the_report() {
    // GIVEN many files, some with secrets
    let tree = Tree::new();
    let mut rng = common::Rng::new(13);
    for i in 0..60 {
        let body = if i % 7 == 0 {
            format!("k = \"{}\"\n", common::stripe_key(&mut rng).secret)
        } else {
            format!("plain file {i}\n")
        };
        tree.write(&format!("d{}/f{i}.txt", i % 5), body);
    }
    // WHEN scanned on one thread and on four
    let one = json(&run(tree.path(), &["scan", "-j1", "--format", "json"]));
    let four = json(&run(tree.path(), &["scan", "-j", "4", "--format", "json"]));
    // THEN the findings are the same, in the same order
    assert_eq!(one["findings"], four["findings"]);
    assert_eq!(one["findings"].as_array().map(Vec::len), Some(9));
}

#[test]
fn progress_goes_to_stderr_when_asked_and_quiet_silences_it() {
    let (tree, _) = planted_tree(14);
    for i in 0..200 {
        tree.write(&format!("bulk/{i}.txt"), "data\n".repeat(2000));
    }
    let out = run(
        tree.path(),
        &["scan", "--progress", "--progress-interval-ms", "10", "-j1"],
    );
    let err = stderr(&out);
    assert!(err.contains("scanning: "), "{err}");
    assert!(err.contains("findings so far"), "{err}");
    let out = run(tree.path(), &["scan", "--quiet", "--explain"]);
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn several_roots_and_single_files() {
    let (tree, planted) = planted_tree(15);
    let out = run(
        tree.path(),
        &["scan", "--format", "json", "config/prod.env", "deploy"],
    );
    let found = findings(&json(&out));
    let expected: Vec<_> = expected(&planted)
        .into_iter()
        .filter(|f| f.0 != "src/billing.py")
        .collect();
    assert_eq!(found, expected);
}
