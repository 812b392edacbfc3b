//! Precision filters: predicates that recognise values which match a rule's
//! shape but are not credentials (documentation keys, placeholders, hashes,
//! UUIDs, fake sequences, public keys).
//!
//! Each one is written so that it cannot fire on a real random token of the
//! kind the rules target: markers are either characters that base62/base64
//! tokens never contain (`$`, `{`, `<`, `(`), or words long enough that a
//! random token contains them with negligible probability, or runs that must
//! cover a large part of the value.

use sha2::{Digest, Sha256};

/// AWS's documentation example credentials.
const AWS_DOC_KEYS: &[&[u8]] = &[
    b"AKIAIOSFODNN7EXAMPLE",
    b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    b"AKIAI44QH8DHBEXAMPLE",
    b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
];

/// SHA-256 (hex, sorted) of credentials their publishers ship as examples
/// in sample apps, SDK test suites and docs: the Firebase Android SDK's
/// example API keys, the sample passwords of NuGet's `nuget.config`
/// reference. Kept as hashes: a scanner's source should not be where
/// someone finds key-shaped literals, and the filter needs only equality.
const PUBLISHED_EXAMPLE_SHA256: &[&str] = &[
    "0b476bdf9acf2123d547b5ae76f1e59884d8ec9553ee0c47e9f31fd4768f3f3c",
    "2037abcaffb2b77785da716cf7ccff4ff4d00c4ea930db0167b7d71f50af7eb4",
    "27a9a42931dff7eb2f8434e20a9bce976ea364e7bee49187f19d5cfeca9c7045",
    "37f8f09bdf12c2f2eae4ead7273a62ddb0c23459cbf902892f282b57f7ed6619",
    "3a8b61d0f636b007840c0d40ba12bcf48465dc054cdc1a68704a33521d84b665",
    "3f370c9dd8225c63b5c77de1f785edc9712958f18bb612d5fa2e0ae33aeca682",
    "49f777db995e8260da7ca9ffdf0c08d66f0453e97ec967018baf2cdfe3b582d0",
    "4c98242dcadc8b29005c6b4aad526552d5ea1842149154c0694adeec75847583",
    "8731261cb72d86267a32a532ebd3df429e2144e5e4ced7e13568bc9e6c8fb1b1",
    "a0702bc91d699f600970f4dc4992b13ede1a29d49fa0942dd4bed2b5e4b1016e",
    "a19f89ab3555eac10c40741f6df79ecf0935998f15569f8db9d67bce0181fff6",
    "a6c814bc555ae62c7bd8b58ec07bf559c7ed3a009976a1e0acc9cef0d4473b41",
    "dba72c00f41f4e4c435e2491a5e1ce0140c7b5a6a498dc4847396b5e6368970c",
    "dc0fcf046c61640cbd1e8b999ada3262d722c2ca4bf42dceac999020ffdbb614",
    "e4a5542bb7fd7b67e943c71ad29c34b5972c9840597e7eda53e666f44d5da0b9",
    "ea9bb1082cf95663f5faca23b8b15ef2aa0fce0a5c6df9c32dcb85b2e0a4513d",
    "eb540d2b6ee2a0a47c5779bc8a0141784c6b753840d4c6f4e2428a6e86e9e0b1",
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
    AWS_DOC_KEYS.iter().any(|k| contains(secret, k))
        || contains_ci(secret, b"example")
        || is_published_example(secret)
}

/// One of the [`PUBLISHED_EXAMPLE_SHA256`] values.
pub(crate) fn is_published_example(secret: &[u8]) -> bool {
    let digest = hex::encode(Sha256::digest(secret));
    PUBLISHED_EXAMPLE_SHA256
        .binary_search(&digest.as_str())
        .is_ok()
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
    // "TokenHere", "PUT_YOUR_TOKEN_HERE", "RANDOMSTRINGHERE": a slot to fill in.
    b"tokenhere",
    b"keyhere",
    b"secrethere",
    b"stringhere",
    b"_here",
    b"-here",
    b"put_your",
    b"putyour",
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
    if covered * 2 >= n || has_typed_sequence(secret) {
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

/// Shortest typed run [`has_typed_sequence`] recognises. A random base62
/// token holds a given run of 6 at one position with probability 62^-5
/// (about 1e-9), a hex token about 1e-6: over a 64-character token, still
/// below 1 in 10,000, while people typing a fake value reach for exactly
/// these runs (`abc123xyz-456def789ghij`, `klmnopqrstuvwx`).
const TYPED_RUN: usize = 6;

/// Keyboard rows, typed left to right as fillers (`qwerty`, `asdfgh`).
const KEYBOARD_ROWS: &[&[u8]] = &[b"qwertyuiop", b"asdfghjkl", b"zxcvbnm", b"1234567890"];

/// A value that contains a run someone typed rather than a generator made:
/// [`TYPED_RUN`] or more consecutive characters of the alphabet or the
/// digits, up or down (`abcdef`, `456789`, `987654`), or of a keyboard row
/// (`qwerty`, `asdfgh`). Case-insensitive. Unlike [`is_fake_pattern`]'s
/// coverage rule this fires on a run anywhere in the value: such a run
/// hardly ever occurs in a random token (see [`TYPED_RUN`]).
pub(crate) fn has_typed_sequence(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    let step_run = |step: i16| {
        let mut run = 1;
        for w in lower.windows(2) {
            let same_class = (w[0].is_ascii_lowercase() && w[1].is_ascii_lowercase())
                || (w[0].is_ascii_digit() && w[1].is_ascii_digit());
            if same_class && i16::from(w[1]) - i16::from(w[0]) == step {
                run += 1;
                if run >= TYPED_RUN {
                    return true;
                }
            } else {
                run = 1;
            }
        }
        false
    };
    step_run(1)
        || step_run(-1)
        || KEYBOARD_ROWS
            .iter()
            .any(|row| row.windows(TYPED_RUN).any(|w| contains(&lower, w)))
}

/// Words in a variable's name that say its value is made up: a test
/// fixture (`fakeToken`, `invalid_key`, `wrongLength`, `nonMatchingToken`).
/// Not `test`: `test_api_key` names a vendor's test-mode key, which is a
/// real credential (Stripe `sk_test_`), and test code holds real leaks.
/// Not `example` or `sample` either: `Example=` and `SAMPLE_KEY` name real
/// values often enough (configuration keys of sample apps), while an
/// example *value* is caught by [`is_example_key`] and [`is_placeholder`].
const FIXTURE_NAME_WORDS: &[&[u8]] = &[
    b"fake",
    b"dummy",
    b"mock",
    b"invalid",
    b"wrong",
    b"bogus",
    b"nonmatching",
    b"notmatching",
    b"lowentropy",
    b"placeholder",
];

/// The name a value is assigned to on its line: the identifier right
/// before the last `=`, `:`, `:=`, `=>` or `,` of `before` (quotes,
/// brackets and spaces skipped), as in `fakeToken := "`, `"example_key": "`
/// or `put("wrong_secret", "`.
pub(crate) fn assigned_name(before: &[u8]) -> &[u8] {
    let is_name = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
    let skip = |c: u8| {
        matches!(
            c,
            b' ' | b'\t' | b'"' | b'\'' | b'`' | b'[' | b']' | b'(' | b'@'
        )
    };
    let mut end = before.len();
    while end > 0 && skip(before[end - 1]) {
        end -= 1;
    }
    // The operator.
    let op_end = end;
    while end > 0 && matches!(before[end - 1], b'=' | b':' | b'>' | b',' | b'?' | b'|') {
        end -= 1;
    }
    if end == op_end {
        return &[];
    }
    while end > 0 && skip(before[end - 1]) {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_name(before[start - 1]) {
        start -= 1;
    }
    &before[start..end]
}

/// A value assigned to a variable whose name says it is a fixture or an
/// example ([`FIXTURE_NAME_WORDS`]). Returns the name, for the reason.
pub(crate) fn fixture_name(before: &[u8]) -> Option<&[u8]> {
    let name = assigned_name(before);
    let lower = name.to_ascii_lowercase();
    let squashed: Vec<u8> = lower
        .iter()
        .copied()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    FIXTURE_NAME_WORDS
        .iter()
        .any(|w| contains(&squashed, w))
        .then_some(name)
}

/// Names of values that are not credentials though they end in `token` or
/// `key`: anti-CSRF tokens and nonces are sent to every visitor in the page
/// itself, public keys and tokens are public by design. Generic rules only:
/// the name is all they have to go on.
pub(crate) fn is_public_name(before: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"csrf",
        b"xsrf",
        b"authenticity",
        b"nonce",
        b"public",
        b"publishable",
    ];
    let mut lower = assigned_name(before).to_ascii_lowercase();
    // An HTML or XML attribute: `<input name="authenticity_token" value="...">`
    // names the value in the element, before `value=`.
    if matches!(lower.as_slice(), b"value" | b"content") {
        let element = before
            .iter()
            .rposition(|&c| c == b'<')
            .map_or(before, |p| &before[p..]);
        lower = element.to_ascii_lowercase();
        return WORDS.iter().any(|w| contains(&lower, w));
    }
    WORDS
        .iter()
        .any(|w| lower.starts_with(w) || contains(&lower, &[b"_", *w].concat()))
}

/// Hosts reserved for documentation (RFC 2606 / RFC 6761: `example.com`,
/// `.example`, `.invalid`, `.test`) and the fictitious companies of
/// Microsoft's documentation (`contoso.com`, `fabrikam.com`): nothing real
/// can sit there, so a credential in a URL or connection string that
/// points at one is a documentation example.
const EXAMPLE_HOSTS: &[&[u8]] = &[
    b"example.com",
    b"example.org",
    b"example.net",
    b".example",
    b".invalid",
    b"contoso.com",
    b"fabrikam.com",
    b"contoso.",
    b"fabrikam.",
];

/// Whether the URL or connection string the value sits in (the run of
/// the line around it without spaces or quotes) names a documentation
/// host. Only when that run is a URL (`://`) or a connection string
/// (`Endpoint=`, `Server=`, `Host=`): a bare token next to the word
/// `example.com` elsewhere on the line is not affected.
pub(crate) fn names_example_host(before: &[u8], secret: &[u8], after: &[u8]) -> bool {
    let stop = |c: &u8| matches!(c, b' ' | b'\t' | b'"' | b'\'' | b'`' | b'<' | b'>');
    let from = before.iter().rposition(stop).map_or(0, |p| p + 1);
    let to = after.iter().position(stop).unwrap_or(after.len());
    let run = [&before[from..], secret, &after[..to]]
        .concat()
        .to_ascii_lowercase();
    let is_url = contains(&run, b"://")
        || [&b"endpoint="[..], b"server=", b"host=", b"hostname="]
            .iter()
            .any(|k| contains(&run, k));
    let in_label = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-';
    is_url
        && EXAMPLE_HOSTS.iter().any(|h| {
            // Whole labels only: `myexample.com` and `example.community`
            // are ordinary domains; `mq.example.com` is reserved.
            run.windows(h.len()).enumerate().any(|(i, w)| {
                w == *h
                    && (h.starts_with(b".") || i == 0 || !in_label(&run[i - 1]))
                    && (h.ends_with(b".")
                        || run
                            .get(i + h.len())
                            .is_none_or(|c| !in_label(c) && *c != b'.'))
            })
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
            b"xoxb-2718281828-3141592653-Rk8ZqL2mWv4T9xBn1C6pJ3hY",
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
    fn typed_sequences_are_fake_and_random_tokens_are_not() {
        // GIVEN values with a typed run somewhere inside
        for s in [
            &b"sk-ant-api03-abc123xyz-456def789ghij-klmnopqrstuvwx-3456yza789AA"[..],
            b"R8kZq2Lm-UVWXYZ-W4vT9xB1",
            b"q8Zr2L987654mW4vT9",
            b"tok_QWERTYkZq2LmW4vT9xB1",
            b"Zq2Lm_asdfgh_W4vT9xB1",
        ] {
            // THEN each is fake
            assert!(has_typed_sequence(s), "{}", String::from_utf8_lossy(s));
            assert!(is_fake_pattern(s), "{}", String::from_utf8_lossy(s));
        }
        // AND random tokens, with runs of up to 5, are not
        for s in [
            &b"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"[..],
            b"xoxb-2718281828-3141592653-Rk8ZqL2mWv4T9xBn1C6pJ3hY",
            b"AKIAZ7Q3XK2LMNB4RT6Y",
            b"abcde9Zq2Lm12345W4vT9xB1",
            b"3b335d612137949d2f21fcc6c8c8164db7603227",
        ] {
            assert!(!has_typed_sequence(s), "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn assigned_names_are_read_in_common_syntaxes() {
        // GIVEN the text before a value in Go, JSON, a call, YAML and shell
        // THEN the name is the identifier before the operator
        assert_eq!(
            assigned_name(b"nonMatchingToken := \""),
            b"nonMatchingToken"
        );
        assert_eq!(assigned_name(b"    \"example_key\": \""), b"example_key");
        assert_eq!(assigned_name(b"put(\"wrong_secret\", \""), b"wrong_secret");
        assert_eq!(assigned_name(b"fake-token: "), b"fake-token");
        assert_eq!(assigned_name(b"export FAKE_KEY="), b"FAKE_KEY");
        // AND text without an operator names nothing
        assert_eq!(assigned_name(b"curl -H "), b"");
        assert_eq!(assigned_name(b""), b"");
    }

    #[test]
    fn fixture_names_are_recognised_and_test_mode_keys_are_not() {
        // GIVEN variables named as fixtures or examples
        for before in [
            &b"fakeToken = \""[..],
            b"invalid_key: ",
            b"wrongLength := \"",
            b"lowEntropy := ",
            b"const BOGUS_SECRET = '",
            b"mock_api_key=",
            b"nonMatchingToken := \"",
        ] {
            // THEN the name is returned
            assert!(
                fixture_name(before).is_some(),
                "{}",
                String::from_utf8_lossy(before)
            );
        }
        // AND ordinary and test-mode names are not fixtures
        for before in [
            &b"token = \""[..],
            b"stripe_test_key = \"",
            b"TEST_API_KEY=",
            b"apiKey: ",
            b"# sample output: ",
            b"Example= ",
            b"",
        ] {
            assert_eq!(
                fixture_name(before),
                None,
                "{}",
                String::from_utf8_lossy(before)
            );
        }
    }

    #[test]
    fn public_names_are_recognised() {
        // GIVEN names of public or per-visitor values
        for before in [
            &b"csrf-token="[..],
            b"<input name=\"authenticity_token\" value=",
            b"public_key = \"",
            b"publicToken = \"",
            b"app_nonce: ",
        ] {
            // THEN they are not credentials
            assert!(
                is_public_name(before),
                "{}",
                String::from_utf8_lossy(before)
            );
        }
        // AND secret names are
        for before in [
            &b"api_key = \""[..],
            b"private_key: ",
            b"republic_token=",
            b"",
        ] {
            assert!(
                !is_public_name(before),
                "{}",
                String::from_utf8_lossy(before)
            );
        }
    }

    #[test]
    fn example_hosts_are_recognised_in_urls_and_connection_strings() {
        // GIVEN credentials in URLs and connection strings of reserved hosts
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"amqp://user:", b"s3cr3tPw", b"@rabbitmq.example.com/queue"),
            (b"url = \"https://admin:", b"R8kZq2Lm", b"@example.org\""),
            (
                b"Endpoint=https://contoso.azconfig.io;Id=ab;Secret=",
                b"R8kZq2Lm=",
                b"",
            ),
            (b"postgres://u:", b"R8kZq2Lm", b"@db.invalid:5432/app"),
        ];
        // THEN each is a documentation example
        for (before, secret, after) in cases {
            assert!(
                names_example_host(before, secret, after),
                "{}",
                String::from_utf8_lossy(before)
            );
        }
        // AND real hosts, look-alike domains and a host outside the URL are not
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"amqp://user:", b"s3cr3tPw", b"@mq.internal.corp/queue"),
            (b"https://u:", b"R8kZq2Lm", b"@myexample.com/"),
            (b"https://u:", b"R8kZq2Lm", b"@example.community/"),
            (b"token = ", b"R8kZq2Lm", b" # see https://example.com"),
        ];
        for (before, secret, after) in cases {
            assert!(
                !names_example_host(before, secret, after),
                "{}",
                String::from_utf8_lossy(after)
            );
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
        // AND published sample values are known by their hash
        assert!(is_example_key(b"hal+9ooo_da!sY"));
        assert!(!is_example_key(b"hal+9ooo_da!sZ"));
        assert!(
            PUBLISHED_EXAMPLE_SHA256.windows(2).all(|w| w[0] < w[1]),
            "the hashes must stay sorted for the binary search"
        );
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
