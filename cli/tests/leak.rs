//! THE LEAK TEST: whatever codewarden prints or writes, in any mode, holds
//! no planted secret, not even its last 8 characters (a Finding shows at
//! most 4 leading characters).

mod common;

use std::path::Path;

use common::{Planted, Repo, Tree, code, run, stderr, stdout};

fn planted(seed: u64) -> Vec<Planted> {
    let mut rng = common::Rng::new(seed);
    vec![
        common::aws_key_id(&mut rng),
        common::stripe_key(&mut rng),
        common::github_token(&mut rng),
    ]
}

fn write_secrets(tree: &Tree, secrets: &[Planted]) {
    tree.write(
        "config/prod.env",
        format!("# prod\naws_access_key_id = {}\n", secrets[0].secret),
    );
    tree.write(
        "src/billing.py",
        format!("stripe.api_key = \"{}\"\n", secrets[1].secret),
    );
    tree.write(
        "ci.yml",
        format!("env:\n  GITHUB_TOKEN: {}\n", secrets[2].secret),
    );
}

/// Everything a user could see from one run: labelled text.
struct Seen(Vec<(String, String)>);

impl Seen {
    fn new() -> Self {
        Self(Vec::new())
    }

    fn run(&mut self, dir: &Path, args: &[&str]) -> i32 {
        let out = run(dir, args);
        self.0.push((format!("stdout of {args:?}"), stdout(&out)));
        self.0.push((format!("stderr of {args:?}"), stderr(&out)));
        code(&out)
    }

    fn file(&mut self, path: &Path) {
        let text = std::fs::read_to_string(path).expect("written file");
        self.0.push((path.display().to_string(), text));
    }

    fn assert_no_leak(&self, secrets: &[Planted]) {
        for secret in secrets {
            for (label, text) in &self.0 {
                assert!(
                    !text.contains(&secret.secret),
                    "{label} contains the {} secret",
                    secret.rule_id
                );
                assert!(
                    !text.contains(secret.tail()),
                    "{label} contains the last 8 characters of the {} secret:\n{text}",
                    secret.rule_id
                );
            }
        }
    }
}

#[test]
fn no_report_format_leaks_a_secret() {
    // GIVEN a tree with credentials and files that report things about them
    let secrets = planted(41);
    let tree = Tree::new();
    write_secrets(&tree, &secrets);
    let dir = tree.path();
    let mut seen = Seen::new();
    // WHEN it is scanned in every mode
    for format in ["human", "json", "sarif"] {
        assert_eq!(seen.run(dir, &["scan", "--format", format]), 1);
        assert_eq!(seen.run(dir, &["scan", "--format", format, "--explain"]), 1);
        assert_eq!(
            seen.run(dir, &["scan", "--format", format, "--color", "always"]),
            1
        );
    }
    seen.run(
        dir,
        &[
            "scan",
            "--progress",
            "--progress-interval-ms",
            "10",
            "--explain",
        ],
    );
    seen.run(dir, &["scan", "--write-baseline", "baseline.json"]);
    seen.file(&dir.join("baseline.json"));
    seen.run(
        dir,
        &[
            "scan",
            "--baseline",
            "baseline.json",
            "--explain",
            "--format",
            "json",
        ],
    );
    seen.run(
        dir,
        &["scan", "--format", "sarif", "--output", "report.sarif"],
    );
    seen.file(&dir.join("report.sarif"));
    // THEN no output holds a secret or its tail
    seen.assert_no_leak(&secrets);
    // AND the checks above did see the findings (the test can fail)
    assert!(seen.0.iter().any(|(_, t)| t.contains("AKIA***")));
}

#[test]
fn git_scans_do_not_leak_a_secret() {
    let secrets = planted(42);
    let mut repo = Repo::new();
    repo.commit("base", &[("readme.md", "hi\n")]);
    write_secrets(&repo.tree, &secrets);
    repo.commit("leak", &[]);
    repo.commit("cleanup", &[("ci.yml", "env: {}\n")]);
    let mut seen = Seen::new();
    for format in ["human", "json", "sarif"] {
        assert_eq!(
            seen.run(
                repo.path(),
                &[
                    "scan",
                    "--git",
                    "HEAD~2..HEAD",
                    "--format",
                    format,
                    "--explain"
                ]
            ),
            1
        );
    }
    seen.run(
        repo.path(),
        &[
            "scan",
            "--all",
            "--progress",
            "--progress-interval-ms",
            "10",
        ],
    );
    seen.assert_no_leak(&secrets);
}

#[test]
fn error_messages_do_not_leak_a_secret() {
    let secrets = planted(43);
    let tree = Tree::new();
    let dir = tree.path();
    let aws = &secrets[0].secret;
    let stripe = &secrets[1].secret;
    let github = &secrets[2].secret;
    let mut seen = Seen::new();
    let configs = [
        // an allowlist regex that does not compile, quoting a secret
        format!("[allow]\nregexes = ['({aws}']\n"),
        // a TOML syntax error on the line of a secret
        format!("[allow]\nregexes = '{stripe}\n"),
        // a repository rule whose pattern does not compile, quoting a secret
        format!(
            "[[rules]]\nid = \"mine\"\nname = \"Mine\"\npattern = '({stripe}'\nkeywords = [\"sk_\"]\n"
        ),
        // an unknown key whose value is a secret
        format!("[allow]\ntoken = \"{github}\"\n"),
        // a value of the wrong type
        format!("[allow]\nrules = \"{github}\"\n"),
    ];
    for (i, config) in configs.iter().enumerate() {
        let name = format!("bad{i}.toml");
        tree.write(&name, config);
        assert_eq!(seen.run(dir, &["scan", "--config", &name]), 2, "{config}");
        assert_eq!(seen.run(dir, &["rules", "check", "--config", &name]), 2);
    }
    // A secret passed where a path, a range or a baseline is expected.
    assert_eq!(seen.run(dir, &["scan", stripe.as_str()]), 2);
    assert_eq!(
        seen.run(dir, &["scan", "--max-file-size", stripe.as_str()]),
        2
    );
    assert_eq!(seen.run(dir, &["scan", "--format", github.as_str()]), 2);
    tree.write(
        "bad-baseline.json",
        format!("{{\"version\": 1, \"fingerprints\": \"{aws}\"}}"),
    );
    assert_eq!(
        seen.run(dir, &["scan", "--baseline", "bad-baseline.json"]),
        2
    );
    let mut repo = Repo::new();
    repo.commit("one", &[("a.txt", "a\n")]);
    assert_eq!(
        seen.run(repo.path(), &["scan", "--git", &format!("{github}..HEAD")]),
        2
    );
    assert_eq!(seen.run(repo.path(), &["scan", "--git", stripe]), 2);
    seen.assert_no_leak(&secrets);
    // AND the errors still say what is wrong
    assert!(
        seen.0
            .iter()
            .any(|(_, t)| t.contains("error: invalid configuration"))
    );
}
