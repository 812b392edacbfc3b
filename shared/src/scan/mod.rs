//! The detection engine: bytes in, findings out.
//!
//! Pure and synchronous: no AWS, no files, no environment. What to scan
//! (commits, blobs, directories) and where findings go (SNS, comments,
//! SARIF) live elsewhere; this module only answers "which credentials are in
//! these bytes, and where".
//!
//! # Pipeline
//!
//! 1. **Prefilter.** One case-insensitive Aho-Corasick DFA over the
//!    distinct `keywords` of all rules scans the input once
//!    (non-overlapping, leftmost-longest; the keywords a hit can hide, such
//!    as `key` inside `api_key`, are checked at their few possible offsets).
//!    Input without any keyword costs only that pass.
//! 2. **Windowed regex.** Each keyword hit selects the rules using that
//!    keyword; each such rule's regex (a `regex::bytes::Regex`, ASCII
//!    classes) runs on a window around the hit: the hit's line, at most
//!    4 KiB each way (`context_lines: N` for N lines on each side;
//!    `multiline: true`: 256 lines, 64 KiB, for PEM blocks and JSON
//!    documents). Overlapping and adjacent windows of one rule are merged
//!    first, so a byte is searched at most once per rule. There is never a
//!    loop of every rule over every line. The single capture group is the
//!    secret.
//! 3. **Validators.** A rule's `validate:` checksum (e.g. `github-crc32`)
//!    must hold; see `validate.rs` for how to add one.
//! 4. **Precision filters.** Documentation example keys (AWS's, anything
//!    spelling `EXAMPLE`, and published sample keys known by their SHA-256),
//!    placeholders and variable references, values assigned to a variable
//!    named as a fixture (`fakeToken`, `invalid_key`), credentials in URLs
//!    of hosts reserved for documentation (`example.com`, `contoso.com`),
//!    public or per-visitor names (`csrf_token`, `public_key`; generic
//!    rules), public keys and certificates, UUIDs, hex digests and git
//!    object ids (generic rules), repeated/sequential/typed fakes
//!    (`0000`, `abcdef`, `qwerty`),
//!    identifiers such as `handler-3896` (generic rules), the rule's
//!    `min_entropy` (generic rules without one: 3.0 for values of 12+
//!    characters) and `exclude` patterns. One secret is reported
//!    once: by the most specific of the rules that matched it.
//! 5. **Suppression.** `.codewarden.toml` `[allow] regexes` ([`RepoConfig`],
//!    applied through [`Rules::with_config`]), a `codewarden:allow [rule-id,...]`
//!    comment on a line of the match, and a [`Baseline`] of fingerprints
//!    ([`ScanOutcome::apply_baseline`]).
//!
//! [`Scanner::scan_explained`] returns what was dropped at steps 3–5 and why
//! ([`DropReason`]), for `codewarden scan --explain`.
//!
//! A [`Finding`] never holds the secret: a masked preview (at most 4 leading
//! characters) and a fingerprint (SHA-256 of rule id, a 0 byte, the secret).
//!
//! # Adding a rule
//!
//! Add an entry to a file in `shared/rules/` (format: `shared/rules/README.md`;
//! a new `*.yml` file is picked up by `build.rs` on its own), with at least
//! one example and one negative example, then run
//! `cargo test -p shared --test rules`: it compiles every rule and checks
//! that each example is reported and no negative example is.
//!
//! # Example
//!
//! ```
//! use shared::scan::{Rules, Scanner, looks_binary};
//!
//! let rules = Rules::builtin()?;
//! let scanner = Scanner::new(rules);
//! let input = b"[default]\naws_access_key_id = AKIAZ7Q3XK2LMNB4RT6Y\n";
//! assert!(!looks_binary(input));
//! let findings = scanner.scan(input);
//! assert_eq!(findings[0].rule_id, "aws-access-key-id");
//! assert_eq!((findings[0].line, findings[0].column), (2, 21));
//! assert_eq!(findings[0].masked, "AKIA***");
//!
//! // The documentation key is recognised and dropped, with the reason.
//! let outcome = scanner.scan_explained(b"key = AKIAIOSFODNN7EXAMPLE");
//! assert!(outcome.findings.is_empty());
//! assert_eq!(outcome.dropped[0].reason.to_string(), "documentation example key");
//! # Ok::<(), shared::scan::RulesError>(())
//! ```

mod baseline;
mod check;
mod config;
mod engine;
mod filters;
mod finding;
mod rules;
mod validate;

pub use baseline::{Baseline, BaselineEntry};
pub use check::{CheckFailure, CheckProblem};
pub use config::{AllowEntries, RepoConfig};
pub use engine::{PragmaAllowed, PragmaSplit, Scanner, decode_utf16, looks_binary};
pub use finding::{
    BaselineKey, DropReason, Dropped, Finding, FingerprintKey, FingerprintKeyError, ScanOutcome,
};
pub use rules::{Confidence, Rule, RuleProblem, Rules, RulesError, Severity};

/// Errors of the scan module outside rule compilation: a repository's
/// `.codewarden.toml`, a baseline file. Messages never quote the input (an
/// allowlist may hold a literal secret).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error("{file} is not valid{}: {message}", position(*line, *column))]
    Config {
        /// The configuration's name (`.codewarden.toml`, or as given to
        /// [`RepoConfig::from_toml_named`]).
        file: String,
        line: Option<usize>,
        column: Option<usize>,
        /// What is wrong in general terms ([`without_values`]).
        message: String,
    },
    #[error("{file}: [allow] paths[{index}] is not a valid glob: {message}")]
    Glob {
        file: String,
        index: usize,
        /// globset's kind of error, which does not quote the glob.
        message: String,
    },
    #[error("{file}: [allow] regexes[{index}] does not compile: {message}")]
    AllowRegex {
        file: String,
        index: usize,
        message: String,
    },
    /// No `#[source]`: serde_json's message quotes the offending value
    /// (a baseline entry may hold a secret), and error chains print sources.
    #[error("the baseline is not valid JSON of the documented shape{}: {message}", position(*line, *column))]
    Baseline {
        line: Option<usize>,
        column: Option<usize>,
        /// What is wrong in general terms ([`without_values`]).
        message: String,
    },
    #[error(
        "baseline version {found} is not supported: this codewarden reads version 1; regenerate the baseline"
    )]
    BaselineVersion { found: u64 },
}

/// ` (line 3, column 9)`, ` (line 3)` or nothing.
fn position(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}

/// A serde or parser message in general terms: its kind and what was
/// expected (which the types say, not the input), never the value it
/// quotes (`invalid type: string "AKIA...", expected a sequence`). What is
/// not a recognised serde data error is a syntax error; the caller gives
/// the line and column.
pub(crate) fn without_values(message: &str, syntax: &str) -> String {
    let first = message.lines().next().unwrap_or_default().trim();
    // (prefix, kind, whether serde writes an expectation after the value)
    let kinds = [
        ("invalid type", "a value has the wrong type", true),
        ("invalid value", "a value is not valid", true),
        ("invalid length", "a list has the wrong length", true),
        ("unknown field", "unknown key", true),
        ("unknown variant", "unknown value", true),
        ("missing field", "a required key is missing", false),
        ("duplicate", "a key is given twice", false),
    ];
    let Some((prefix, kind, expects)) = kinds.iter().find(|(prefix, ..)| first.starts_with(prefix))
    else {
        return syntax.to_owned();
    };
    if *prefix == "missing field" {
        // The name comes from the type, not the input.
        return match first.split('`').nth(1) {
            Some(field) => format!("{kind}: `{field}`"),
            None => (*kind).to_owned(),
        };
    }
    // serde writes the expectation last, after the quoted value (so the
    // last `, expected `); serde_json then appends the position.
    let expected = first
        .rsplit_once(", expected ")
        .filter(|_| *expects)
        .map(|(_, expected)| {
            expected
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .trim()
        })
        .filter(|e| !e.is_empty() && !e.contains('"') && !e.contains('\''));
    match expected {
        Some(expected) => format!("{kind}, expected {expected}"),
        None => (*kind).to_owned(),
    }
}
