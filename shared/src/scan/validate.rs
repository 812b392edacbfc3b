//! Offline validators: checksums some token formats embed, verified without
//! any network call. A rule names one with `validate: <name>`; a candidate
//! that fails it is dropped ([`DropReason::ChecksumFailed`]): the issuer
//! would reject such a token, so it is a made-up or mangled value, and
//! reporting it would only train people to ignore alerts.
//!
//! To add a validator: add a variant to [`Validator`], its name to
//! [`Validator::NAMES`], its check to [`Validator::check`], a unit test with
//! a vector computed independently of this code, and document the name in
//! `shared/rules/README.md`.
//!
//! [`DropReason::ChecksumFailed`]: super::DropReason::ChecksumFailed

/// A named offline check of a candidate secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validator {
    /// GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`): 30 base62
    /// characters of entropy, then 6 base62 characters that encode the
    /// CRC32 (IEEE) of those 30 characters, left-padded with `0`.
    GithubCrc32,
    /// npm tokens (`npm_`): the same scheme as GitHub's.
    NpmCrc32,
}

impl Validator {
    const NAMES: &'static [(&'static str, Validator)] = &[
        ("github-crc32", Validator::GithubCrc32),
        ("npm-crc32", Validator::NpmCrc32),
    ];

    pub(crate) fn from_name(name: &str) -> Option<Validator> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    pub(crate) fn known_names() -> Vec<&'static str> {
        Self::NAMES.iter().map(|(n, _)| *n).collect()
    }

    pub(crate) fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("unknown", |(n, _)| *n)
    }

    /// Whether `secret` passes. The secret may carry its prefix (`ghp_...`)
    /// or not: the check reads the 36 base62 characters after the last `_`.
    pub(crate) fn check(self, secret: &[u8]) -> bool {
        match self {
            Validator::GithubCrc32 | Validator::NpmCrc32 => base62_crc32_ok(secret),
        }
    }
}

#[cfg(test)]
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_value(c: u8) -> Option<u64> {
    match c {
        b'0'..=b'9' => Some(u64::from(c - b'0')),
        b'A'..=b'Z' => Some(u64::from(c - b'A') + 10),
        b'a'..=b'z' => Some(u64::from(c - b'a') + 36),
        _ => None,
    }
}

/// The 6-character checksum of a 30-character random part.
#[cfg(test)]
pub(crate) fn base62_crc32(random: &[u8]) -> [u8; 6] {
    let mut n = u64::from(crc32fast::hash(random));
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        // n < 62: the index is in range.
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

fn base62_crc32_ok(secret: &[u8]) -> bool {
    let body = match secret.iter().rposition(|&b| b == b'_') {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    if body.len() != 36 || !body.iter().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = body.split_at(30);
    let mut given = 0u64;
    for &c in check {
        match base62_value(c) {
            Some(v) => given = given * 62 + v,
            None => return false,
        }
    }
    given == u64::from(crc32fast::hash(random))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_checksum_matches_an_independent_computation() {
        // GIVEN a 30-char random part whose checksum was computed outside
        // this code (Python: binascii.crc32 + base62 over 0-9A-Za-z) = "498NlT"
        let token = b"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";
        // WHEN / THEN it validates, and our encoder agrees
        assert!(Validator::GithubCrc32.check(token));
        assert_eq!(&base62_crc32(b"R8kZq2LmW4vT9xB1nC6pJ3hY7sD0fG"), b"498NlT");
    }

    #[test]
    fn one_changed_character_fails() {
        // GIVEN a valid token with one character of the random part changed
        let mut token = b"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".to_vec();
        token[10] = b'Q';
        // THEN the checksum fails
        assert!(!Validator::GithubCrc32.check(&token));
        // AND wrong lengths and non-base62 characters fail
        assert!(!Validator::GithubCrc32.check(b"ghp_short"));
        assert!(!Validator::NpmCrc32.check(b"npm_R8kZq2LmW4vT9xB1nC6pJ3hY7sD0fG498Nl/"));
    }

    #[test]
    fn npm_uses_the_same_scheme() {
        // GIVEN the same random part under the npm prefix
        let token = b"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";
        // THEN it validates under npm-crc32
        assert!(Validator::NpmCrc32.check(token));
        assert_eq!(Validator::from_name("npm-crc32"), Some(Validator::NpmCrc32));
        assert_eq!(Validator::NpmCrc32.name(), "npm-crc32");
    }
}
