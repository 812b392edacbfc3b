//! Precision filters: predicates that recognise values which match a rule's
//! shape but are not credentials (documentation keys, placeholders, hashes,
//! UUIDs, fake sequences, public keys).
//!
//! Each one is written so that it cannot fire on a real random token of the
//! kind the rules target: markers are either characters that base62/base64
//! tokens never contain (`$`, `{`, `<`, `(`), or words long enough that a
//! random token contains them with negligible probability, or runs that must
//! cover a large part of the value.

/// AWS's documentation example credentials.
const AWS_DOC_KEYS: &[&[u8]] = &[
    b"AKIAIOSFODNN7EXAMPLE",
    b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    b"AKIAI44QH8DHBEXAMPLE",
    b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
];

/// Shannon entropy in bits per byte.
pub(crate) fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[usize::from(b)] += 1;
    }
    let len = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Documentation example keys: the AWS ones, and any value spelling
/// `EXAMPLE` (AWS's convention; 7 fixed letters do not occur in random tokens).
pub(crate) fn is_example_key(secret: &[u8]) -> bool {
    AWS_DOC_KEYS.iter().any(|k| contains(secret, k)) || contains_ci(secret, b"example")
}

pub(crate) fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Hex of a digest length: MD5 (32), SHA-1 / git object id (40), SHA-256 (64), SHA-512 (128).
pub(crate) fn is_hex_digest(s: &[u8]) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 128) && s.iter().all(u8::is_ascii_hexdigit)
}

/// Markers that cannot occur in a base62/base64 token: template syntax and
/// environment lookups.
const STRUCTURAL_MARKERS: &[&[u8]] = &[
    b"${",
    b"{{",
    b"}}",
    b"%(",
    b"%{",
    b"#{",
    b"<%",
    b"process.env",
    b"os.environ",
    b"os.getenv",
    b"getenv(",
    b"env[",
    b"env(",
    b"environ[",
    b"secrets.",
    b"vault:",
    b"ssm:",
    b"resolve:",
    b"!ref",
    b"!sub",
    b"arn:aws:secretsmanager",
    b"arn:aws:ssm",
    b"***",
    b"...",
    "\u{2026}".as_bytes(),
];

/// Words that announce a placeholder. At least 5 letters, so a random token
/// contains one by chance with probability below 1e-7.
const PLACEHOLDER_WORDS: &[&[u8]] = &[
    b"changeme",
    b"change_me",
    b"change-me",
    b"your_",
    b"your-",
    b"yourapi",
    b"yourkey",
    b"yoursecret",
    b"yourtoken",
    b"yourpass",
    b"replace_me",
    b"replaceme",
    b"replace-me",
    b"replace_with",
    b"dummy",
    b"placeholder",
    b"redacted",
    b"insert_",
    b"insert-",
    b"notreal",
    b"not_real",
    b"not-real",
    b"not-a-real",
    b"sample",
    b"fake_",
    b"_fake",
    b"fake-",
    b"-fake",
    b"my_secret",
    b"my-secret",
    b"mysecret",
    b"secret_here",
    b"key_here",
    b"token_here",
    b"goes_here",
    b"goes-here",
];

/// Whole values that are placeholders.
const PLACEHOLDER_VALUES: &[&[u8]] = &[
    b"todo",
    b"tbd",
    b"fixme",
    b"fake",
    b"none",
    b"null",
    b"nil",
    b"true",
    b"false",
    b"secret",
    b"password",
    b"token",
    b"n/a",
];

/// What the text just before a value (same line, quotes and spaces
/// trimmed) ends with when the value is a reference, not a literal.
const CONTEXT_MARKERS: &[&[u8]] = &[
    b"${",
    b"{{",
    b"$",
    b"%(",
    b"#{",
    b"secrets.",
    b"env.",
    b"vars.",
    b"process.env.",
    b"os.environ[",
    b"os.environ.get(",
    b"os.getenv(",
    b"getenv(",
    b"env[",
    b"env.fetch(",
    b"env(",
    b"system.getenv(",
    b"getenvironmentvariable(",
    b"vault:",
    b"<",
];

/// Placeholder: template references, environment lookups, filler words,
/// `xxxx` runs, `<...>`, `$VAR`, SCREAMING_SNAKE variable names. `before`
/// is the text before the value on its line.
pub(crate) fn is_placeholder(secret: &[u8], before: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    if STRUCTURAL_MARKERS.iter().any(|m| contains(&lower, m))
        || PLACEHOLDER_WORDS.iter().any(|m| contains(&lower, m))
        || PLACEHOLDER_VALUES.contains(&lower.as_slice())
    {
        return true;
    }
    // <your-token>, <API_KEY>
    if let Some(open) = secret.iter().position(|&b| b == b'<')
        && secret[open..].contains(&b'>')
    {
        return true;
    }
    // $VAR, $(cmd), $env:VAR; but not "$2a$..." (bcrypt) and the like.
    if secret.first() == Some(&b'$')
        && secret
            .get(1)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'(' || c == b'{')
    {
        return true;
    }
    if xxx_filler(&lower) || is_screaming_snake(secret) {
        return true;
    }
    let ctx = trim_context(before).to_ascii_lowercase();
    CONTEXT_MARKERS.iter().any(|m| ctx.ends_with(m))
}

/// A run of at least 4 `x` that fills a good part of the value.
fn xxx_filler(lower: &[u8]) -> bool {
    let mut longest = 0;
    let mut run = 0;
    let mut filler = 0;
    for &c in lower {
        if c == b'x' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
        if matches!(c, b'x' | b'*' | b'.' | b'#') {
            filler += 1;
        }
    }
    longest >= 4 && (longest >= 8 || filler * 3 >= lower.len())
}

/// `GITHUB_TOKEN`, `MY_API_KEY`: a variable name, not its value.
fn is_screaming_snake(s: &[u8]) -> bool {
    s.len() <= 64
        && s.first().is_some_and(u8::is_ascii_uppercase)
        && s.contains(&b'_')
        && s.iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        && s.split(|&c| c == b'_').all(|part| {
            !part.is_empty() && part.iter().filter(|c| c.is_ascii_alphabetic()).count() >= 2
        })
}

fn trim_context(before: &[u8]) -> &[u8] {
    let mut end = before.len();
    while end > 0 && matches!(before[end - 1], b' ' | b'\t' | b'"' | b'\'' | b'`') {
        end -= 1;
    }
    &before[..end]
}

/// Obviously fake: runs of one repeated character or of consecutive
/// characters (`1234`, `abcd`, `0000`) covering at least half the value, or a
/// value that repeats a unit of at most 4 characters.
pub(crate) fn is_fake_pattern(secret: &[u8]) -> bool {
    let n = secret.len();
    if n < 4 {
        return false;
    }
    let mut covered = 0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && (secret[j] == secret[j - 1] || is_successor(secret[j - 1], secret[j])) {
            j += 1;
        }
        // Only monotone runs of one kind count: "aaab" is a repeat then a step.
        if j - i >= 4 {
            covered += j - i;
        }
        i = j;
    }
    if covered * 2 >= n {
        return true;
    }
    (1..=4).any(|p| {
        n >= 2 * p.max(4)
            && secret
                .iter()
                .enumerate()
                .skip(p)
                .all(|(k, &c)| c == secret[k - p])
    })
}

/// An identifier, not a password: lowercase words of 2 to 16 letters
/// joined by `-`, `_` or `.`, optionally ending in a separator and a number
/// of at most 6 digits (`config-3184`, `handler_3896`, `db.password`). At
/// least one separator: a lone lowercase run may be a random token.
/// Generic rules only: a vendor token can have this shape.
pub(crate) fn is_identifier_like(s: &[u8]) -> bool {
    let separator = |c: &u8| matches!(c, b'-' | b'_' | b'.');
    if !s.iter().any(separator) {
        return false;
    }
    let digits = s.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits > 6 {
        return false;
    }
    let mut words = &s[..s.len() - digits];
    if digits > 0 && matches!(words.last(), Some(b'-' | b'_' | b'.')) {
        words = &words[..words.len() - 1];
    }
    !words.is_empty()
        && words
            .split(|&c| matches!(c, b'-' | b'_' | b'.'))
            .all(|w| (2..=16).contains(&w.len()) && w.iter().all(u8::is_ascii_lowercase))
}

/// Below this entropy (bits per character), a value of at least
/// [`GENERIC_ENTROPY_MIN_LEN`] characters is too regular for a generic
/// rule that sets no `min_entropy` of its own.
pub(crate) const GENERIC_MIN_ENTROPY: f64 = 3.0;
pub(crate) const GENERIC_ENTROPY_MIN_LEN: usize = 12;

fn is_successor(a: u8, b: u8) -> bool {
    (a.is_ascii_alphanumeric() && b == a + 1 && b.is_ascii_alphanumeric() && a != b'9' && a != b'Z')
        || (a == b'9' && b == b'0')
}

/// Public material: an SSH public key blob, a certificate or public key
/// PEM, or a value inside one (`before_block` is the input before the
/// value, used to find an enclosing PEM block).
pub(crate) fn is_public_material(secret: &[u8], before_line: &[u8], before_block: &[u8]) -> bool {
    const PUBLIC_MARKERS: &[&[u8]] = &[
        b"-----BEGIN CERTIFICATE",
        b"PUBLIC KEY-----",
        b"ssh-rsa ",
        b"ssh-ed25519 ",
        b"ssh-dss ",
        b"ecdsa-sha2-",
    ];
    if PUBLIC_MARKERS.iter().any(|m| contains(secret, m)) {
        return true;
    }
    const SSH_KEY_TYPES: &[&[u8]] = &[
        b"ssh-rsa",
        b"ssh-ed25519",
        b"ssh-dss",
        b"ecdsa-sha2-nistp256",
        b"ecdsa-sha2-nistp384",
        b"ecdsa-sha2-nistp521",
        b"sk-ssh-ed25519@openssh.com",
        b"sk-ecdsa-sha2-nistp256@openssh.com",
    ];
    if secret.starts_with(b"AAAA") {
        let ctx = trim_context(before_line);
        if SSH_KEY_TYPES.iter().any(|t| ctx.ends_with(t)) {
            return true;
        }
    }
    // Inside "-----BEGIN <label>-----" ... with no END in between and a
    // label that is not a private key.
    if let Some(begin) = rfind(before_block, b"-----BEGIN ") {
        let after = &before_block[begin..];
        if !contains(after, b"-----END ") {
            let label_end = after[11..]
                .iter()
                .position(|&b| b == b'-' || b == b'\n')
                .map_or(after.len(), |p| p + 11);
            let label = &after[11..label_end];
            return !contains(label, b"PRIVATE");
        }
    }
    false
}

pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

fn contains_ci(haystack: &[u8], needle_lower: &[u8]) -> bool {
    haystack
        .windows(needle_lower.len())
        .any(|w| w.eq_ignore_ascii_case(needle_lower))
}

pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| &haystack[i..i + needle.len()] == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), String>;

    #[test]
    fn entropy_of_known_strings() -> TestResult {
        // GIVEN strings of known entropy
        // THEN one symbol is 0 bits, two equiprobable symbols 1 bit, 16 distinct 4 bits
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abab") - 1.0).abs() < 1e-9);
        assert!((entropy(b"0123456789abcdef") - 4.0).abs() < 1e-9);
        assert_eq!(entropy(b""), 0.0);
        Ok(())
    }

    #[test]
    fn placeholders_are_recognised() {
        // GIVEN typical placeholder values
        let cases: &[(&[u8], &[u8])] = &[
            (b"xxxxxxxxxxxxxxxx", b"key = \""),
            (b"XXXXXXXX", b""),
            (b"<your-token>", b""),
            (b"<API_KEY>", b""),
            (b"changeme", b""),
            (b"your_api_key", b""),
            (b"REPLACE_ME", b""),
            (b"dummy-token-value", b""),
            (b"${API_TOKEN}", b""),
            (b"$API_TOKEN", b""),
            (b"{{ api_token }}", b""),
            (b"%(token)s", b""),
            (b"process.env.API_TOKEN", b""),
            (b"os.environ[\"TOKEN\"]", b""),
            (b"os.getenv(\"TOKEN\")", b""),
            (b"ENV[\"TOKEN\"]", b""),
            (b"System.getenv(\"TOKEN\")", b""),
            (b"secrets.DEPLOY_TOKEN", b""),
            (b"vault:secret/data/app#token", b""),
            (b"API_TOKEN", b"token: ${{ secrets."),
            (b"GITHUB_TOKEN", b""),
        ];
        // THEN each is a placeholder
        for (secret, before) in cases {
            assert!(
                is_placeholder(secret, before),
                "{:?} should be a placeholder",
                String::from_utf8_lossy(secret)
            );
        }
    }

    #[test]
    fn real_tokens_are_never_placeholders() {
        // GIVEN realistic random tokens (including a bcrypt-looking `$2a$`)
        let cases: &[&[u8]] = &[
            b"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",
            b"AKIAZ7Q3XK2LMNB4RT6Y",
            b"Zr8/fK2qLmW+4vT9xB1nC6pJ3hY7sD0fG5aQw2Ex",
            b"$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            b"xoxb-2718281828-3141592653-AbCdEfGhIjKlMnOpQrStUvWx",
        ];
        // THEN none is a placeholder, fake or example
        for s in cases {
            let shown = String::from_utf8_lossy(s);
            assert!(!is_placeholder(s, b"token = \""), "{shown}");
            assert!(!is_fake_pattern(s), "{shown}");
            assert!(!is_example_key(s), "{shown}");
        }
    }

    #[test]
    fn fake_sequences_are_recognised() {
        // GIVEN sequences and repeats
        for s in [
            &b"AKIA1234567890ABCDEF"[..],
            b"aaaaaaaaaaaaaaaa",
            b"0000000000000000",
            b"abcdefghijklmnop",
            b"abababababababab",
            b"abcabcabcabcabc",
        ] {
            // THEN they are fake
            assert!(is_fake_pattern(s), "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn identifiers_are_recognised_and_passwords_are_not() {
        // GIVEN identifier-like values
        for s in [
            &b"config-3184"[..],
            b"handler-3896",
            b"bucket_auth_name",
            b"payload.version-2",
            b"status_4319",
        ] {
            // THEN they are identifiers
            assert!(is_identifier_like(s), "{}", String::from_utf8_lossy(s));
        }
        // AND realistic passwords and tokens are not
        for s in [
            &b"Tr0ub4dor&3"[..],
            b"hunter2-but-Longer!9",
            b"s3cr3t-P@ssw0rd-2024",
            b"nkM+-gGxxlQZD3hY",
            b"x-3184",
            b"config-31841234",
            b"k3j9x8q2lmw4vt9x",
            b"abc--def",
            b"record7762",
            b"kqzvbmxwtrplhjdn",
            b"",
        ] {
            assert!(!is_identifier_like(s), "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn shapes_uuid_hex_and_examples() {
        // GIVEN / THEN shape predicates
        assert!(is_uuid(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid(b"123e4567e89b12d3a456426614174000"));
        assert!(is_hex_digest(b"da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        assert!(!is_hex_digest(b"da39a3ee5e6b4b0d3255bfef95601890afd8070"));
        assert!(is_example_key(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_example_key(b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"));
    }

    #[test]
    fn public_material_is_recognised() {
        // GIVEN an SSH public key blob and a value inside a certificate PEM
        assert!(is_public_material(
            b"AAAAB3NzaC1yc2EAAAADAQABAAABAQC7",
            b"ssh-rsa ",
            b""
        ));
        assert!(is_public_material(
            b"MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ",
            b"",
            b"x\n-----BEGIN CERTIFICATE-----\n"
        ));
        // THEN a body inside a private key block is not public
        assert!(!is_public_material(
            b"MIIEowIBAAKCAQEA",
            b"",
            b"-----BEGIN RSA PRIVATE KEY-----\n"
        ));
        // AND a block that ended before the value does not count
        assert!(!is_public_material(
            b"MIIEowIBAAKCAQEA",
            b"",
            b"-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\nkey = "
        ));
    }
}
