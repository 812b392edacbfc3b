//! The SARIF report: valid against the official SARIF 2.1.0 schema
//! (vendored from the OASIS TC's repository, `sarif-2.1/schema/`, errata 01),
//! shaped as GitHub code scanning reads it, and snapshot-tested.

mod common;

use common::{Planted, Repo, Tree, code, json, run};
use serde_json::Value;

const SCHEMA: &str = include_str!("fixtures/sarif-schema-2.1.0.json");

fn assert_valid_sarif(sarif: &Value) {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

fn tree_with_secrets() -> (Tree, Vec<Planted>) {
    let mut rng = common::Rng::new(31);
    let aws = common::aws_key_id(&mut rng);
    let stripe = common::stripe_key(&mut rng);
    let tree = Tree::new();
    tree.write(
        "conf/a b.env",
        format!("aws_access_key_id = {}\n", aws.secret),
    );
    tree.write("src/pay.py", format!("\nKEY = \"{}\"\n", stripe.secret));
    (tree, vec![aws, stripe])
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let (tree, _) = tree_with_secrets();
    let out = run(tree.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code(&out), 1);
    assert_valid_sarif(&json(&out));
    // An empty result set is valid too.
    let clean = Tree::new();
    clean.write("x.txt", "nothing\n");
    let out = run(clean.path(), &["scan", "--format", "sarif"]);
    assert_eq!(code(&out), 0);
    assert_valid_sarif(&json(&out));
}

#[test]
fn git_sarif_validates_too() {
    let mut rng = common::Rng::new(32);
    let key = common::stripe_key(&mut rng);
    let mut repo = Repo::new();
    repo.commit("leak", &[("k.py", &format!("K = \"{}\"\n", key.secret))]);
    let out = run(repo.path(), &["scan", "--all", "--format", "sarif"]);
    assert_eq!(code(&out), 1);
    assert_valid_sarif(&json(&out));
}

#[test]
fn sarif_has_what_github_code_scanning_reads() {
    let (tree, _) = tree_with_secrets();
    let sarif = json(&run(tree.path(), &["scan", "--format", "sarif"]));
    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "codewarden");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().expect("rules");
    for result in run["results"].as_array().expect("results") {
        // ruleIndex points at the rule with the result's id
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        let rule = &rules[index];
        assert_eq!(rule["id"], result["ruleId"]);
        for key in ["name", "shortDescription", "fullDescription", "helpUri"] {
            assert!(rule.get(key).is_some(), "rule lacks {key}");
        }
        let severity: f64 = rule["properties"]["security-severity"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("security-severity is a number in a string");
        assert!((0.0..=10.0).contains(&severity));
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "security"))
        );
        // locations are relative, percent-encoded, rooted at %SRCROOT%
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        let uri = artifact["uri"].as_str().expect("uri");
        assert!(uri == "conf/a%20b.env" || uri == "src/pay.py", "{uri}");
        // a stable fingerprint lets GitHub track the alert across runs
        let fingerprint = result["partialFingerprints"]["codewarden/v1"]
            .as_str()
            .expect("fp");
        assert_eq!(fingerprint.len(), 64);
        assert!(
            result["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("***"))
        );
    }
}

#[test]
fn sarif_results_snapshot() {
    let (tree, _) = tree_with_secrets();
    let sarif = json(&run(tree.path(), &["scan", "--format", "sarif"]));
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    // One rule descriptor is enough to pin the shape; the AWS rule is the
    // least likely to be reworded by the rule writers.
    let aws_rule = rules
        .iter()
        .find(|r| r["id"] == "aws-access-key-id")
        .expect("AWS rule");
    let mut results = run["results"].clone();
    for result in results.as_array_mut().expect("results") {
        // Indexes move whenever a rule is added to the builtin set.
        result["ruleIndex"] = Value::from("[index]");
    }
    let shown = sorted(&serde_json::json!({ "results": results, "rule": aws_rule }));
    insta::with_settings!({ filters => vec![(r"[0-9a-f]{64}", "[fingerprint]")] }, {
        insta::assert_snapshot!(serde_json::to_string_pretty(&shown).expect("json"));
    });
}

/// The same value with every object's keys in sorted order, so the snapshot
/// does not depend on whether serde_json's `preserve_order` feature is on
/// (the AWS SDK's HTTP client turns it on in a whole-workspace build).
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
