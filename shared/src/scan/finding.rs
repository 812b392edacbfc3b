//! What the engine reports: findings (masked, fingerprinted: the secret
//! itself is never stored in them) and, for `explain`, the candidates it
//! dropped and why.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::rules::{Confidence, Severity};

/// A credential found in the input. Holds no copy of the secret: only a
/// masked preview and a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    /// 1-based line of the first byte of the secret.
    pub line: usize,
    /// 1-based byte column of the first byte of the secret in its line.
    pub column: usize,
    /// 1-based line of the position just after the secret.
    pub end_line: usize,
    /// 1-based byte column just after the secret (exclusive end, as in SARIF).
    pub end_column: usize,
    /// At most 4 leading characters (at most a quarter of the secret), then `***`.
    pub masked: String,
    /// Hex SHA-256 of `rule_id`, a 0 byte, and the secret: stable across
    /// positions and files, so it identifies the secret for baselines.
    pub fingerprint: String,
    pub confidence: Confidence,
    pub severity: Severity,
}

/// A candidate the engine matched and then dropped, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dropped {
    pub rule_id: String,
    pub line: usize,
    pub column: usize,
    pub masked: String,
    pub fingerprint: String,
    pub reason: DropReason,
}

/// Why a candidate is not reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DropReason {
    /// The rule's offline checksum (`validate:`) does not hold.
    ChecksumFailed { validator: String },
    /// One of the rule's `exclude` regexes matches the secret.
    RuleExclude,
    /// A documentation example key (AWS's `...EXAMPLE...` keys).
    ExampleKey,
    /// A placeholder or a reference, not a value: `xxxx`, `<your-token>`,
    /// `${VAR}`, `os.getenv(...)`, `changeme`, ...
    Placeholder,
    /// Part of a public key or a certificate.
    PublicMaterial,
    /// A UUID, for a rule whose examples are not UUIDs.
    Uuid,
    /// A hex digest or git object id (32/40/64/128 hex), for a generic rule.
    Hash,
    /// Repeated or consecutive characters (`0000`, `123456789`, `abcdefgh`),
    /// or, for a generic rule, an identifier (`handler-3896`, `db_password`).
    FakePattern,
    /// Less random than the rule's `min_entropy` (bits per character).
    LowEntropy { entropy: f64, min: f64 },
    /// The same text is reported by a more specific rule.
    Duplicate { kept_rule_id: String },
    /// `.codewarden.toml` `[allow] regexes` matches the secret.
    AllowlistRegex,
    /// A `codewarden:allow` comment on the line.
    Pragma,
    /// The fingerprint is in the baseline.
    Baseline,
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChecksumFailed { validator } => {
                write!(
                    f,
                    "checksum `{validator}` fails: not a token the issuer produced"
                )
            }
            Self::RuleExclude => f.write_str("excluded by the rule's `exclude` patterns"),
            Self::ExampleKey => f.write_str("documentation example key"),
            Self::Placeholder => f.write_str("placeholder or variable reference, not a value"),
            Self::PublicMaterial => f.write_str("public key or certificate material"),
            Self::Uuid => f.write_str("UUID"),
            Self::Hash => f.write_str("hex digest (hash or git object id)"),
            Self::FakePattern => f.write_str("repeated or sequential characters, or an identifier"),
            Self::LowEntropy { entropy, min } => {
                write!(
                    f,
                    "entropy {entropy:.2} bits/char below the rule's minimum {min:.2}"
                )
            }
            Self::Duplicate { kept_rule_id } => {
                write!(f, "same text reported by rule `{kept_rule_id}`")
            }
            Self::AllowlistRegex => f.write_str("allowed by .codewarden.toml [allow] regexes"),
            Self::Pragma => f.write_str("allowed by a codewarden:allow comment"),
            Self::Baseline => f.write_str("in the baseline"),
        }
    }
}

/// Findings plus what was dropped: the result of [`Scanner::scan_explained`].
///
/// [`Scanner::scan_explained`]: super::Scanner::scan_explained
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanOutcome {
    pub findings: Vec<Finding>,
    pub dropped: Vec<Dropped>,
}

/// Masks a secret: at most 4 leading characters, at most a quarter of it,
/// printable ASCII only, then `***`. A secret containing `*` shows no prefix,
/// so the mask can never be mistaken for (or reveal) a run of the secret.
pub(crate) fn mask(secret: &[u8]) -> String {
    let keep = if secret.contains(&b'*') {
        0
    } else {
        (secret.len() / 4).min(4)
    };
    let mut out: String = secret
        .iter()
        .take(keep)
        .take_while(|b| b.is_ascii_graphic())
        .map(|&b| char::from(b))
        .collect();
    out.push_str("***");
    out
}

/// Hex SHA-256 of `rule_id`, a 0 byte, and the secret.
pub(crate) fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0u8]);
    h.update(secret);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mask_keeps_a_short_prefix() {
        // GIVEN secrets of several lengths
        // THEN at most 4 characters and at most a quarter are shown
        assert_eq!(mask(b"AKIAZ7Q3XK2LMNB4RT6Y"), "AKIA***");
        assert_eq!(mask(b"abcdefgh"), "ab***");
        assert_eq!(mask(b"abc"), "***");
        assert_eq!(mask(b"ab*defghijklmnopqrstu"), "***");
        assert_eq!(mask(b"\xffbcdefghijklmnop"), "***");
    }

    #[test]
    fn fingerprint_is_stable_and_rule_scoped() {
        // GIVEN one secret under two rules
        let a = fingerprint("rule-a", b"s3cr3t-value");
        // THEN the value is the documented SHA-256 (checked with sha256sum:
        // printf 'rule-a\0s3cr3t-value' | sha256sum)
        assert_eq!(
            a,
            "2dc9041500727f2a9702b95b57d380d4571633c943967ee76a04dea441343e14"
        );
        assert_eq!(a, fingerprint("rule-a", b"s3cr3t-value"));
        assert_ne!(a, fingerprint("rule-b", b"s3cr3t-value"));
        // AND the 0 separator keeps (id, secret) pairs apart
        assert_ne!(fingerprint("ab", b"c"), fingerprint("a", b"bc"));
    }

    proptest! {
        #[test]
        fn mask_never_reveals_more_than_the_prefix(secret in proptest::collection::vec(any::<u8>(), 1..80)) {
            // GIVEN any secret WHEN masked
            let masked = mask(&secret);
            let m = masked.as_bytes();
            let prefix_len = masked.len() - 3;
            // THEN the mask is the prefix plus ***, the prefix is at most 4 and at most a quarter
            prop_assert!(masked.ends_with("***"));
            prop_assert!(prefix_len <= 4 && prefix_len * 4 <= secret.len());
            prop_assert_eq!(&secret[..prefix_len], &m[..prefix_len]);
            // AND neither the secret nor any 6+ byte piece of it past the prefix appears in the mask
            prop_assert!(secret.len() < 6 || !m.windows(secret.len()).any(|w| w == secret.as_slice()));
            for start in prefix_len..secret.len() {
                for end in (start + 6)..=secret.len() {
                    let piece = &secret[start..end];
                    prop_assert!(!m.windows(piece.len()).any(|w| w == piece));
                }
            }
        }

        #[test]
        fn mask_of_token_alphabet(secret in "[A-Za-z0-9/+_*-]{1,64}") {
            // GIVEN a token-like secret THEN the mask never equals or contains it
            let masked = mask(secret.as_bytes());
            prop_assert!(secret.len() < 4 || !masked.contains(&secret));
        }
    }
}
