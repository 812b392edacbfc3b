//! What the engine reports: findings (masked, fingerprinted: the secret
//! itself is never stored in them) and, for `explain`, the candidates it
//! dropped and why.

use std::fmt;

use hmac::{Hmac, Mac};
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
    /// Identifies the secret, stable across positions and files: hex
    /// HMAC-SHA256 of `rule_id`, a 0 byte and the secret under the
    /// scanner's [`FingerprintKey`] (the deployment's key), or plain hex
    /// SHA-256 of the same bytes when the scanner has no key (the CLI by
    /// default).
    pub fingerprint: String,
    pub confidence: Confidence,
    pub severity: Severity,
    /// The unkeyed SHA-256 fingerprint, for matching baselines written
    /// without the key. In memory only: never serialized, never printed.
    #[serde(skip)]
    pub baseline_key: BaselineKey,
}

/// A finding's unkeyed fingerprint (see [`Finding::baseline_key`]). Its
/// `Debug` shows nothing: a plain hash of a short password can be
/// reversed by brute force, so it must not reach a log.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct BaselineKey(pub(crate) String);

impl BaselineKey {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BaselineKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BaselineKey(..)")
    }
}

/// The key findings are fingerprinted with (HMAC-SHA256). A deployment
/// keeps one in Secrets Manager, so that a fingerprint in an alert, a
/// comment or a report cannot be checked against guessed passwords by
/// anyone without the key. `Debug` never shows it.
#[derive(Clone)]
pub struct FingerprintKey(Vec<u8>);

impl FingerprintKey {
    /// The shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 16;

    /// A key of at least [`FingerprintKey::MIN_LEN`] bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<FingerprintKey, FingerprintKeyError> {
        let bytes = bytes.into();
        if bytes.len() < Self::MIN_LEN {
            return Err(FingerprintKeyError { len: bytes.len() });
        }
        Ok(FingerprintKey(bytes))
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FingerprintKey({} bytes)", self.0.len())
    }
}

/// A fingerprint key that is too short.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the fingerprint key has {len} bytes, at least {} are needed",
    FingerprintKey::MIN_LEN
)]
pub struct FingerprintKeyError {
    pub len: usize,
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
    /// Assigned to a variable whose name says the value is made up
    /// (`fakeToken`, `invalid_key`, `exampleSecret`): a test fixture or a
    /// documentation example.
    FixtureName { name: String },
    /// In a URL or connection string pointing at a host reserved for
    /// documentation (`example.com`, `.invalid`, `contoso.com`).
    ExampleHost,
    /// For a generic rule: named as something public or handed to every
    /// visitor (`csrf_token`, `nonce`, `public_key`), not a credential.
    NotACredential,
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
            Self::FakePattern => f.write_str(
                "repeated, sequential or typed characters (0000, abcdef, qwerty), or an identifier",
            ),
            Self::FixtureName { name } => write!(
                f,
                "test fixture or documentation example: assigned to `{name}`"
            ),
            Self::ExampleHost => f.write_str(
                "documentation example: the URL or connection string points at a reserved example host",
            ),
            Self::NotACredential => f.write_str(
                "named as public or handed to every visitor (csrf, nonce, public), not a credential",
            ),
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

/// The mask of a secret that a loose rule found (`password = ...`): no
/// prefix at all, because the first characters of a human-chosen password
/// are a large part of it. Token-shaped secrets keep [`mask`]'s prefix.
pub(crate) fn mask_for(loose: bool, secret: &[u8]) -> String {
    if loose {
        "***".to_string()
    } else {
        mask(secret)
    }
}

/// Hex SHA-256 of `rule_id`, a 0 byte, and the secret.
pub(crate) fn fingerprint(rule_id: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0u8]);
    h.update(secret);
    hex::encode(h.finalize())
}

/// Hex HMAC-SHA256 under `key` of `rule_id`, a 0 byte, and the secret.
pub(crate) fn keyed_fingerprint(key: &FingerprintKey, rule_id: &str, secret: &[u8]) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.0)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(rule_id.as_bytes());
    mac.update(&[0u8]);
    mac.update(secret);
    hex::encode(mac.finalize().into_bytes())
}

/// The fingerprint a scanner reports: keyed when it has a key.
pub(crate) fn fingerprint_with(
    key: Option<&FingerprintKey>,
    rule_id: &str,
    secret: &[u8],
) -> String {
    match key {
        Some(key) => keyed_fingerprint(key, rule_id, secret),
        None => fingerprint(rule_id, secret),
    }
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

    #[test]
    fn keyed_fingerprint_is_hmac_sha256_and_key_scoped() -> Result<(), FingerprintKeyError> {
        // GIVEN a deployment key
        let key = FingerprintKey::new(*b"0123456789abcdef-deployment")?;
        // WHEN a secret is fingerprinted with it
        let keyed = keyed_fingerprint(&key, "rule-a", b"s3cr3t-value");
        // THEN it is HMAC-SHA256 of the same bytes (checked with Python:
        // hmac.new(b'0123456789abcdef-deployment', b'rule-a\0s3cr3t-value', 'sha256'))
        assert_eq!(
            keyed,
            "78949ea098f5f3aa139fc38fe9eb77ee8bbb2e213c04492d35faec24f3cc4bc3"
        );
        // AND differs from the unkeyed one and from another key's
        assert_ne!(keyed, fingerprint("rule-a", b"s3cr3t-value"));
        let other = FingerprintKey::new(*b"another-deployment-key")?;
        assert_ne!(keyed, keyed_fingerprint(&other, "rule-a", b"s3cr3t-value"));
        assert_eq!(fingerprint_with(None, "r", b"x"), fingerprint("r", b"x"));
        Ok(())
    }

    #[test]
    fn keys_are_long_enough_and_never_printed() {
        // GIVEN a short key THEN it is refused, saying why
        let short = FingerprintKey::new(*b"short");
        assert_eq!(short.map(|_| ()), Err(FingerprintKeyError { len: 5 }));
        // AND a key's Debug shows its length only
        let key =
            FingerprintKey::new(*b"0123456789abcdef-deployment").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{key:?}"), "FingerprintKey(27 bytes)");
        assert_eq!(
            format!("{:?}", BaselineKey("abc".into())),
            "BaselineKey(..)"
        );
    }

    #[test]
    fn loose_rules_show_no_prefix() {
        // GIVEN a human-chosen password found by a generic rule
        // THEN nothing of it is shown; a token keeps its type prefix
        assert_eq!(mask_for(true, b"Summer2026!"), "***");
        assert_eq!(mask_for(false, b"AKIAZ7Q3XK2LMNB4RT6Y"), "AKIA***");
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
