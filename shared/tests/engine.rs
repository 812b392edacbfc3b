//! Behaviour of the detection engine as its callers (CLI, secret-scanner
//! function) see it: positions, masking, explain reasons, suppression.
//! All secrets here are made up for the tests.

use shared::scan::{Baseline, DropReason, Finding, RepoConfig, Rules, ScanOutcome, Scanner};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const AKID: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
const SECRET: &str = "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";

fn builtin() -> Result<Scanner, shared::scan::RulesError> {
    Ok(Scanner::new(Rules::builtin()?))
}

fn reasons(outcome: &ScanOutcome) -> Vec<(String, DropReason)> {
    outcome
        .dropped
        .iter()
        .map(|d| (d.rule_id.clone(), d.reason.clone()))
        .collect()
}

/// A small rule set exercising validators, generic rules and excludes.
const TEST_RULES: &str = r#"
rules:
  - id: test-github-token
    name: Test GitHub token
    pattern: '\b(gh[pousr]_[A-Za-z0-9]{36})\b'
    keywords: [ghp_, gho_]
    validate: github-crc32
    confidence: high
    examples:
      - text: 'token = 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'
        secret: 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
    negative_examples: ['ghp_zymMlopiWfqUyHRSIf8NFmAUNLnY5Y0fCMcG']
  - id: test-generic-secret
    name: Test generic secret
    pattern: '(?i)secret\s*=\s*"([^"\s]{8,})"'
    keywords: [secret]
    min_entropy: 3.0
    confidence: low
    exclude: ['^test-']
    examples:
      - text: 'secret = "q8Zr2LmW4vT9xB1n"'
        secret: q8Zr2LmW4vT9xB1n
    negative_examples: ['secret = "test-q8Zr2LmW4vT9"']
  - id: test-uuid-key
    name: Test UUID-shaped key
    pattern: '(?i)uuidkey\s*=\s*([0-9a-f-]{36})'
    keywords: [uuidkey]
    examples:
      - text: 'uuidkey = 3f2504e0-4f89-11d3-9a0c-0305e82c3301'
        secret: 3f2504e0-4f89-11d3-9a0c-0305e82c3301
    negative_examples: ['uuidkey = none']
"#;

fn test_scanner() -> Result<Scanner, shared::scan::RulesError> {
    Ok(Scanner::new(&Rules::from_sources(&[(
        "test.yml", TEST_RULES,
    )])?))
}

#[test]
fn reports_position_mask_and_fingerprint() -> TestResult {
    // GIVEN a credentials file with CRLF line ends
    let input =
        format!("[default]\r\naws_access_key_id = {AKID}\r\naws_secret_access_key = {SECRET}\r\n");
    // WHEN scanned
    let findings = builtin()?.scan(input.as_bytes());
    // THEN both values are found at their 1-based line and byte column
    let pos: Vec<(&str, usize, usize, usize, usize)> = findings
        .iter()
        .map(|f| {
            (
                f.rule_id.as_str(),
                f.line,
                f.column,
                f.end_line,
                f.end_column,
            )
        })
        .collect();
    assert_eq!(
        pos,
        [
            ("aws-access-key-id", 2, 21, 2, 41),
            ("aws-secret-access-key", 3, 25, 3, 65)
        ]
    );
    // AND the mask shows 4 characters, the fingerprint is SHA-256(rule id, 0, secret)
    assert_eq!(findings[0].masked, "AKIA***");
    assert_eq!(findings[1].masked, "Zr8/***");
    assert_eq!(findings[0].fingerprint.len(), 64);
    let again = builtin()?.scan(format!("x = \"{AKID}\"").as_bytes());
    assert_eq!(
        again[0].fingerprint, findings[0].fingerprint,
        "stable across positions"
    );
    Ok(())
}

#[test]
fn no_output_path_carries_the_secret() -> TestResult {
    // GIVEN a scan with findings and dropped candidates
    let input = format!(
        "aws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\nid = AKIAIOSFODNN7EXAMPLE\n"
    );
    let outcome = builtin()?.scan_explained(input.as_bytes());
    assert_eq!(outcome.findings.len(), 2);
    assert!(!outcome.dropped.is_empty());
    // WHEN every finding and drop is rendered as JSON and Debug
    let rendered = format!("{}{outcome:?}", serde_json::to_string(&outcome)?);
    // THEN neither secret (nor a 6-character piece past the prefix) appears
    for secret in [AKID, SECRET] {
        assert!(!rendered.contains(secret));
        assert!(!rendered.contains(&secret[4..10]));
    }
    Ok(())
}

#[test]
fn invalid_utf8_and_binary_noise_are_fine() -> TestResult {
    // GIVEN a key surrounded by invalid UTF-8 and NUL bytes
    let mut input = vec![0xff, 0xfe, 0x00, b'\n', 0xc3, 0x28, b' '];
    input.extend_from_slice(AKID.as_bytes());
    input.extend_from_slice(b" \x80\x81\n");
    // WHEN scanned
    let findings = builtin()?.scan(&input);
    // THEN it is found, at the byte column after the 3 bytes before it
    assert_eq!(findings.len(), 1);
    assert_eq!((findings[0].line, findings[0].column), (2, 4));
    assert!(shared::scan::looks_binary(&input));
    Ok(())
}

#[test]
fn github_checksum_decides() -> TestResult {
    // GIVEN a token with a valid checksum and the same token with its last character changed
    let scanner = test_scanner()?;
    let good = scanner.scan_explained(b"token = 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");
    let bad = scanner.scan_explained(b"token = ghp_zymMlopiWfqUyHRSIf8NFmAUNLnY5Y0fCMcG");
    // THEN only the valid one is reported; the other is dropped with the validator named
    assert_eq!(good.findings.len(), 1);
    assert!(bad.findings.is_empty());
    assert_eq!(
        reasons(&bad),
        [(
            "test-github-token".to_string(),
            DropReason::ChecksumFailed {
                validator: "github-crc32".into()
            }
        )]
    );
    Ok(())
}

#[test]
fn explain_names_each_precision_filter() -> TestResult {
    // GIVEN one line per filter
    let cases: &[(&str, DropReason)] = &[
        ("secret = \"test-q8Zr2LmW4vT9\"", DropReason::RuleExclude),
        ("secret = \"EXAMPLEq8Zr2LmW4vT9\"", DropReason::ExampleKey),
        ("secret = \"${DEPLOY_SECRET}\"", DropReason::Placeholder),
        ("secret = \"os.getenv(SECRET)\"", DropReason::Placeholder),
        (
            "secret = \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"",
            DropReason::Uuid,
        ),
        (
            "secret = \"8f14e45fceea167a5a36dedd4bea2543a1b9d7a2\"",
            DropReason::Hash,
        ),
        ("secret = \"abcdefghijklmnop\"", DropReason::FakePattern),
        (
            "secret = \"ababcdcdabab\"",
            DropReason::LowEntropy {
                entropy: 2.0,
                min: 3.0,
            },
        ),
    ];
    let scanner = test_scanner()?;
    for (line, want) in cases {
        // WHEN scanned with explain
        let outcome = scanner.scan_explained(line.as_bytes());
        // THEN nothing is reported and the reason is the expected one
        assert!(outcome.findings.is_empty(), "{line}");
        let got = reasons(&outcome);
        assert_eq!(got.len(), 1, "{line}: {got:?}");
        match (&got[0].1, want) {
            (
                DropReason::LowEntropy { entropy, min },
                DropReason::LowEntropy { min: want_min, .. },
            ) => {
                assert!(entropy < min && min == want_min, "{line}: {entropy} {min}");
            }
            (g, w) => assert_eq!(g, w, "{line}"),
        }
    }
    // AND a rule whose own examples are UUIDs keeps UUIDs
    assert_eq!(
        scanner
            .scan(b"uuidkey = 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d")
            .len(),
        1
    );
    Ok(())
}

#[test]
fn public_keys_and_certificates_are_not_findings() -> TestResult {
    // GIVEN an SSH public key and a certificate block
    let input = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC7kTq9 deploy@ci\n\
                 -----BEGIN CERTIFICATE-----\n\
                 MIIBeTCCAR+gAwIBAgIUNzzJaBSxq6t59Q5SQdvSn/NNWJYwCgYIKoZIzj0EAwIw\n\
                 -----END CERTIFICATE-----\n";
    // WHEN scanned with the builtin rules
    let findings = builtin()?.scan(input.as_bytes());
    // THEN there is nothing to report
    assert_eq!(findings, Vec::<Finding>::new());
    Ok(())
}

#[test]
fn the_specific_rule_wins_over_a_generic_one() -> TestResult {
    // GIVEN a GitHub token assigned to `secret`: both test rules match
    let outcome =
        test_scanner()?.scan_explained(b"secret = \"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\"");
    // THEN it is reported once, by the specific rule; the generic match is a duplicate
    let ids: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["test-github-token"]);
    assert_eq!(
        reasons(&outcome),
        [(
            "test-generic-secret".to_string(),
            DropReason::Duplicate {
                kept_rule_id: "test-github-token".into()
            }
        )]
    );
    Ok(())
}

#[test]
fn pragma_allows_all_or_listed_rules_on_its_line() -> TestResult {
    let scanner = builtin()?;
    // GIVEN the same key with no pragma, a bare pragma, a pragma for its rule and for another rule
    let plain = format!("k = \"{AKID}\"\n");
    let all = format!("k = \"{AKID}\"  # codewarden:allow\n");
    let listed = format!("k = \"{AKID}\"  # codewarden:allow github-pat, aws-access-key-id\n");
    let other = format!("k = \"{AKID}\"  # codewarden:allow github-pat\n");
    let next_line = format!("# codewarden:allow\nk = \"{AKID}\"\n");
    // THEN only the matching pragmas on the key's own line suppress it
    assert_eq!(scanner.scan(plain.as_bytes()).len(), 1);
    assert!(scanner.scan(all.as_bytes()).is_empty());
    assert!(scanner.scan(listed.as_bytes()).is_empty());
    assert_eq!(scanner.scan(other.as_bytes()).len(), 1);
    assert_eq!(scanner.scan(next_line.as_bytes()).len(), 1);
    // AND explain says why
    assert_eq!(
        reasons(&scanner.scan_explained(all.as_bytes())),
        [("aws-access-key-id".to_string(), DropReason::Pragma)]
    );
    Ok(())
}

#[test]
fn repo_config_disables_adds_and_allows() -> TestResult {
    // GIVEN a config that disables the key id rule, adds a rule and allows one secret
    let config = RepoConfig::from_toml(&format!(
        r#"
[allow]
paths = ["tests/fixtures/**"]
regexes = ['^{SECRET_PREFIX}']
rules = ["aws-access-key-id"]

[[rules]]
id = "acme-api-key"
name = "ACME API key"
pattern = '\b(acme_[A-Za-z0-9]{{32}})\b'
keywords = ["acme_"]
confidence = "high"
"#,
        SECRET_PREFIX = &SECRET[..12].replace('+', "\\+")
    ))?;
    let rules = Rules::builtin()?.with_config(&config)?;
    let scanner = Scanner::new(&rules);
    let input = format!(
        "aws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\nACME=acme_Zr8fK2qLmW4vT9xB1nC6pJ3hY7sD0fG5\n"
    );
    // WHEN scanned
    let outcome = scanner.scan_explained(input.as_bytes());
    // THEN the disabled rule is gone, the allowed secret is dropped, the new rule reports
    let ids: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["acme-api-key"]);
    assert!(
        reasons(&outcome).contains(&(
            "aws-secret-access-key".to_string(),
            DropReason::AllowlistRegex
        )),
        "{:?}",
        reasons(&outcome)
    );
    assert!(rules.get("aws-access-key-id").is_none());
    assert_eq!(rules.len(), Rules::builtin()?.len());
    assert!(config.path_allowed("tests/fixtures/keys/id_rsa"));
    // AND an extra rule clashing with a builtin id is refused, naming the file
    let clash = RepoConfig::from_toml(
        "[[rules]]\nid = \"aws-access-key-id\"\nname = \"x\"\npattern = '(x)'\nkeywords = [\"xyz\"]\n",
    )?;
    let err = Rules::builtin()?
        .with_config(&clash)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains(".codewarden.toml: rule `aws-access-key-id`: duplicate id"),
        "{err}"
    );
    Ok(())
}

#[test]
fn overlapping_keywords_all_select_their_rules() -> TestResult {
    // GIVEN rules whose keywords overlap (a prefix, a suffix, one running
    // past the longer keyword's end), each matching a tag of its own
    let rule = |id: &str, kw: &str, tag: &str| {
        format!(
            "  - id: {id}\n    name: x\n    pattern: '{tag}=(v[0-9a-z]{{5}})'\n    keywords: [{kw}]\n"
        )
    };
    let yaml = format!(
        "rules:\n{}{}{}{}",
        rule("kw-pass", "pass", "ps"),
        rule("kw-password", "password", "pw"),
        rule("kw-sword", "sword", "sw"),
        rule("kw-words", "words", "ws"),
    );
    let rules = Rules::from_sources(&[("overlap.yml", &yaml)])?;
    let scanner = Scanner::new(&rules);
    // WHEN each keyword occurs only inside or across the longest one
    let input =
        b"PASSWORD sw=v8f3kq\nPasswords ws=v9g4lr\npassword ps=v7h2mz\npassword pw=v6j5nx\n";
    let found: Vec<String> = scanner
        .scan(input)
        .into_iter()
        .map(|f| format!("{}:{}", f.rule_id, f.line))
        .collect();
    // THEN every rule whose keyword occurs has run
    assert_eq!(
        found,
        ["kw-sword:1", "kw-words:2", "kw-pass:3", "kw-password:4"]
    );
    Ok(())
}

#[test]
fn invalid_config_rule_errors_do_not_echo_the_pattern() -> TestResult {
    // GIVEN extra rules whose invalid pattern and exclude hold a planted fake secret,
    // loaded from a file other than .codewarden.toml
    let planted = "ghp_PlantedFakeSecret9x8Y7z6W5v4U3t2S1r0Q";
    let config = RepoConfig::from_toml_named(
        &format!(
            "[[rules]]\nid = \"leaky\"\nname = \"Leaky\"\npattern = '({planted}['\nkeywords = [\"ghp_\"]\n\
             [[rules]]\nid = \"leaky-exclude\"\nname = \"Leaky\"\npattern = '(ghp_x)'\nkeywords = [\"ghp_\"]\nexclude = ['{planted}(']\n"
        ),
        "ci/codewarden-ci.toml",
    )?;
    // WHEN the rules are applied
    let err = match Rules::builtin()?.with_config(&config) {
        Ok(_) => return Err("invalid patterns were accepted".into()),
        Err(e) => e,
    };
    // THEN the error, with its whole source chain, names the file and rule but not the secret
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(e) = source {
        text.push_str(&format!("\n{e}"));
        source = e.source();
    }
    assert!(!text.contains(planted), "{text}");
    assert!(!text.contains("PlantedFake"), "{text}");
    assert!(
        text.contains("ci/codewarden-ci.toml: rule `leaky`: `pattern` does not compile"),
        "{text}"
    );
    assert!(
        text.contains("rule `leaky-exclude`: `exclude[0]` does not compile"),
        "{text}"
    );
    assert!(text.contains("unclosed"), "{text}");
    Ok(())
}

#[test]
fn baseline_suppresses_known_findings_only() -> TestResult {
    // GIVEN a baseline made from a first scan
    let scanner = builtin()?;
    let first = scanner.scan(format!("old = \"{AKID}\"\n").as_bytes());
    let mut baseline = Baseline::new();
    for f in &first {
        baseline.add("src/old.py", f);
    }
    let baseline = Baseline::from_json(&baseline.to_json()?)?;
    // WHEN a later scan finds the old key (moved) and a new one
    let mut outcome = scanner.scan_explained(
        format!("\n\nmoved = \"{AKID}\"\nnew = \"AKIAT6LQXK4MZJ7W2HRC\"\n").as_bytes(),
    );
    outcome.apply_baseline(&baseline);
    // THEN only the new key is reported; the old one is dropped as Baseline
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(outcome.findings[0].line, 4);
    assert!(
        outcome
            .dropped
            .iter()
            .any(|d| d.line == 3 && d.reason == DropReason::Baseline)
    );
    Ok(())
}

#[test]
fn pem_key_positions_span_its_body() -> TestResult {
    // GIVEN an EC key after two lines of text
    let input = "# key\n\n-----BEGIN EC PRIVATE KEY-----\n\
                 MHcCAQEEIDZEuEaaop3ccpJVPYRTqaaEEAV/X4S8keywskLidX2boAoGCCqGSM49\n\
                 AwEHoUQDQgAEwa/HGOw1GFOqNy07m/jEdLDo/u0Tiq8X+bf+16kvnZxziTzAUiP1\n\
                 1MAcg85Pq4n7BkvMyUk9WsDUpRtuX9XlSQ==\n\
                 -----END EC PRIVATE KEY-----\n";
    // WHEN scanned
    let findings = builtin()?.scan(input.as_bytes());
    // THEN the finding covers the body: lines 4 to 6, ending after the padding
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f.rule_id, "private-key-ec");
    assert_eq!((f.line, f.column, f.end_line, f.end_column), (4, 1, 6, 37));
    assert_eq!(f.masked, "MHcC***");
    Ok(())
}

#[test]
fn a_token_cut_by_the_window_is_not_reported_truncated() -> TestResult {
    // GIVEN a very long minified line: the keyword, 5 KiB of filler, then a key
    let input = format!(
        "{{\"aws_secret\":\"x\",\"pad\":\"{}\",\"id\":\"{AKID}\"}}",
        "a ".repeat(2600)
    );
    // WHEN scanned
    let findings = builtin()?.scan(input.as_bytes());
    // THEN the key id is found by its own keyword, whole
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].end_column - findings[0].column, AKID.len());
    Ok(())
}

#[test]
fn findings_snapshot() -> TestResult {
    // GIVEN a small file with one of each AWS credential kind
    let input = format!("aws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n");
    // WHEN scanned
    let findings = builtin()?.scan(input.as_bytes());
    // THEN the JSON callers receive is stable (reviewed: positions, masks,
    // fingerprints = sha256sum of "<rule id>\0<secret>")
    insta::assert_json_snapshot!(findings);
    Ok(())
}

#[test]
fn a_scanner_can_ignore_pragmas() -> TestResult {
    // GIVEN a key on a line with a pragma
    let text = format!("k = \"{AKID}\"  # codewarden:allow\n");
    // WHEN scanned by a scanner that ignores pragmas THEN it is reported
    let strict = builtin()?.ignoring_pragmas();
    assert_eq!(strict.scan(text.as_bytes()).len(), 1);
    // AND a scanner derived from it for other rules ignores them too
    let derived = strict.with_rules(Rules::builtin()?);
    assert_eq!(derived.scan(text.as_bytes()).len(), 1);
    Ok(())
}

#[test]
fn keyed_fingerprints_still_match_unkeyed_baselines() -> TestResult {
    // GIVEN a finding of the unkeyed scanner accepted in a baseline (as
    // `codewarden scan --write-baseline` writes it)
    let text = format!("aws_access_key_id = {AKID}\n");
    let unkeyed = builtin()?.scan(text.as_bytes());
    let mut baseline = Baseline::new();
    baseline.add("prod.env", &unkeyed[0]);
    // WHEN the deployment's keyed scanner finds the same key
    let key = shared::scan::FingerprintKey::new(*b"a-deployment-key-of-32-bytes!!!!")?;
    let keyed = builtin()?.with_fingerprint_key(key).scan(text.as_bytes());
    // THEN its fingerprint is another (keyed) one, yet the baseline accepts it
    assert_ne!(keyed[0].fingerprint, unkeyed[0].fingerprint);
    assert!(baseline.contains(&keyed[0]));
    // AND the unkeyed hash never appears when the finding is printed or serialized
    let shown = format!("{:?} {}", keyed[0], serde_json::to_string(&keyed[0])?);
    assert!(!shown.contains(&unkeyed[0].fingerprint), "{shown}");
    Ok(())
}

#[test]
fn generic_passwords_are_masked_without_a_prefix() -> TestResult {
    // GIVEN a human-chosen password in an assignment
    let text = "db_password = \"Tr0ub4dor&3horse\"\n";
    let findings = builtin()?.scan(text.as_bytes());
    // THEN a loose rule reports it and nothing of it is shown
    assert!(
        !findings.is_empty(),
        "the generic password rule should report it"
    );
    for finding in &findings {
        assert_eq!(finding.masked, "***", "{finding:?}");
    }
    Ok(())
}

#[test]
fn explain_names_the_fixture_and_documentation_filters() -> TestResult {
    // GIVEN one line per filter, each matched by a builtin rule
    let cases: &[(&str, DropReason)] = &[
        // a fixture named as such
        (
            "fake_key = \"AKIAZ7Q3XK2LMNB4RT6Y\"",
            DropReason::FixtureName {
                name: "fake_key".into(),
            },
        ),
        // a credential for a host reserved for documentation
        (
            "BROKER_URL=amqp://app:Rk8ZqL2mWv4T9xBq@mq.example.com/vhost",
            DropReason::ExampleHost,
        ),
        // a per-visitor value, not a credential
        (
            "csrf_token = \"Mj2qykJO5rELyHgezQ69nzUX0i3OH67V\"",
            DropReason::NotACredential,
        ),
        // a run someone typed
        (
            "api_key = \"R8kZq2Lm-uvwxyz-W4vT9xB1\"",
            DropReason::FakePattern,
        ),
        // a key its publisher ships as an example (Firebase Android SDK)
        (
            "\"apiKey\": \"AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs\"",
            DropReason::ExampleKey,
        ),
    ];
    let scanner = builtin()?;
    for (line, want) in cases {
        // WHEN scanned with explain
        let outcome = scanner.scan_explained(line.as_bytes());
        // THEN nothing is reported and the expected reason is among the drops
        assert!(
            outcome.findings.is_empty(),
            "{line}: {:?}",
            outcome.findings
        );
        let got = reasons(&outcome);
        assert!(got.iter().any(|(_, r)| r == want), "{line}: {got:?}");
    }
    // AND the same values in ordinary places are still reported
    for line in [
        "aws_key = \"AKIAZ7Q3XK2LMNB4RT6Y\"",
        "BROKER_URL=amqp://app:Rk8ZqL2mWv4T9xBq@mq.internal.corp/vhost",
        "auth_token = \"Mj2qykJO5rELyHgezQ69nzUX0i3OH67V\"",
    ] {
        assert_eq!(scanner.scan(line.as_bytes()).len(), 1, "{line}");
    }
    Ok(())
}
