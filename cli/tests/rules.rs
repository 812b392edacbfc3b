//! `codewarden rules list` and `codewarden rules check`.

mod common;

use common::{Tree, code, json, run, stderr, stdout};

#[test]
fn rules_check_passes_on_the_builtin_rules() {
    let tree = Tree::new();
    let out = run(tree.path(), &["rules", "check"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let listed = json(&run(tree.path(), &["rules", "list", "--format", "json"]));
    let count = listed["rules"].as_array().map_or(0, Vec::len);
    assert!(count > 50, "expected the full rule set, got {count}");
    assert_eq!(stdout(&out), format!("{count} rules OK\n"));
}

#[test]
fn rules_list_shows_id_name_confidence_keywords() {
    let tree = Tree::new();
    let listed = json(&run(tree.path(), &["rules", "list", "--format", "json"]));
    let aws = listed["rules"]
        .as_array()
        .and_then(|rules| rules.iter().find(|r| r["id"] == "aws-access-key-id"))
        .expect("the AWS rule is listed");
    assert_eq!(aws["name"], "AWS access key ID");
    assert_eq!(aws["confidence"], "high");
    assert!(
        aws["keywords"]
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "AKIA"))
    );

    let out = run(tree.path(), &["rules", "list"]);
    let text = stdout(&out);
    let header: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["ID", "NAME", "CONFIDENCE", "KEYWORDS"]);
    let line = text
        .lines()
        .find(|l| l.starts_with("aws-access-key-id "))
        .expect("AWS line");
    assert!(line.contains("AWS access key ID") && line.contains("high") && line.contains("AKIA"));
}

#[test]
fn rules_check_fails_on_a_broken_repository_rule() {
    // GIVEN a repository rule whose example does not match its pattern
    let tree = Tree::new();
    tree.write(
        "cfg.toml",
        r#"
[[rules]]
id = "acme-api-key"
name = "ACME API key"
pattern = '\b(acme_[a-z]{32})\b'
keywords = ["acme_"]
confidence = "high"
examples = [{ text = "key = acme_0123", secret = "acme_0123" }]
negative_examples = ["acme_"]
"#,
    );
    // WHEN the rules are checked with it
    let out = run(tree.path(), &["rules", "check", "--config", "cfg.toml"]);
    // THEN the check fails, naming the rule
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("acme-api-key"), "{}", stderr(&out));
    // AND the listing includes it
    let listed = json(&run(
        tree.path(),
        &["rules", "list", "--format", "json", "--config", "cfg.toml"],
    ));
    assert!(
        listed["rules"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["id"] == "acme-api-key"))
    );
}
