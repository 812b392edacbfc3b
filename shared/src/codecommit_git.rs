//! CodeCommit's git-over-HTTPS password scheme ("SigV4 git credentials").
//!
//! CodeCommit accepts, besides IAM "HTTPS Git credentials", a password that
//! is a SigV4 signature over a fixed pseudo-request, computed from ordinary
//! AWS credentials. This is what `git-remote-codecommit` and the AWS CLI
//! credential helper send, and what `repo-backup` uses to mirror a repository
//! with nothing but its Lambda role. The local stand-in verifies the same
//! password, so the backup path is exercised end to end offline.
//!
//! The scheme:
//! - username: the access key id, followed by `%` and the session token
//!   when the credentials are temporary;
//! - password: `<timestamp>Z<signature>`, where `timestamp` is
//!   `YYYYMMDDTHHMMSS` (UTC) and `signature` is the hex SigV4 signature of
//!   ```text
//!   AWS4-HMAC-SHA256
//!   <timestamp>
//!   <date>/<region>/codecommit/aws4_request
//!   <hex sha256 of the canonical request>
//!   ```
//!   with the canonical request `GIT\n/v1/repos/<repo>\n\nhost:<host>\n\nhost\n`
//!   and the usual SigV4 key derivation (kDate, kRegion, kService, kSigning).

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const SERVICE: &str = "codecommit";
const TIMESTAMP_FORMAT: &str = "%Y%m%dT%H%M%S";

/// How far a password's timestamp may be from the verifier's clock. A clone
/// reuses one password for all its HTTP requests, so it must outlive the
/// longest transfer; CodeCommit itself allows about this much.
pub const DEFAULT_MAX_SKEW: TimeDelta = TimeDelta::minutes(15);

/// What a git password is bound to: the repository, the host git talks to
/// and the signing region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Signing region, e.g. `us-east-1` (never a `-fips` pseudo-region).
    pub region: &'a str,
    /// The `Host` git sends: `git-codecommit.<region>.amazonaws.com`, or
    /// `127.0.0.1:PORT` for the local stand-in (the port is part of it).
    pub host: &'a str,
    /// Repository name, as in `/v1/repos/<repository>`.
    pub repository: &'a str,
}

/// Why a password was refused. The messages never include the expected
/// signature.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("the password is not of the form <YYYYMMDDTHHMMSS>Z<hex signature>")]
    Malformed,
    #[error(
        "the password was signed at {signed_at}, more than {max_skew_minutes} minutes from now: sign a new one"
    )]
    Expired {
        signed_at: String,
        max_skew_minutes: i64,
    },
    #[error(
        "the signature does not match: check the secret access key, region, host and repository name"
    )]
    Mismatch,
}

/// The git username for a set of credentials: the access key id, with
/// `%<session token>` appended for temporary credentials.
pub fn username(access_key_id: &str, session_token: Option<&str>) -> String {
    match session_token {
        Some(token) if !token.is_empty() => format!("{access_key_id}%{token}"),
        _ => access_key_id.to_string(),
    }
}

/// Splits a git username back into access key id and optional session token.
pub fn split_username(username: &str) -> (&str, Option<&str>) {
    match username.split_once('%') {
        Some((key, token)) => (key, Some(token)),
        None => (username, None),
    }
}

/// The git password for `scope`, signed at `time`.
pub fn password(secret_access_key: &str, scope: &Scope<'_>, time: DateTime<Utc>) -> String {
    let timestamp = time.format(TIMESTAMP_FORMAT).to_string();
    let signature = hex::encode(
        signature_mac(secret_access_key, scope, &timestamp)
            .finalize()
            .into_bytes(),
    );
    format!("{timestamp}Z{signature}")
}

/// Checks a git password for `scope` against the secret, accepting
/// timestamps within `max_skew` of `now`. The signature comparison is
/// constant-time.
pub fn verify_password(
    secret_access_key: &str,
    scope: &Scope<'_>,
    password: &str,
    now: DateTime<Utc>,
    max_skew: TimeDelta,
) -> Result<(), PasswordError> {
    let (timestamp, signature_hex) = password.split_once('Z').ok_or(PasswordError::Malformed)?;
    let signed_at = NaiveDateTime::parse_from_str(timestamp, TIMESTAMP_FORMAT)
        .map_err(|_| PasswordError::Malformed)?
        .and_utc();
    let signature = hex::decode(signature_hex).map_err(|_| PasswordError::Malformed)?;
    if signature.len() != 32 {
        return Err(PasswordError::Malformed);
    }
    if (now - signed_at).abs() > max_skew {
        return Err(PasswordError::Expired {
            signed_at: timestamp.to_string(),
            max_skew_minutes: max_skew.num_minutes(),
        });
    }
    signature_mac(secret_access_key, scope, timestamp)
        .verify_slice(&signature)
        .map_err(|_| PasswordError::Mismatch)
}

/// The CodeCommit git endpoint host for `region`.
///
/// China regions live under `amazonaws.com.cn`. A FIPS endpoint is asked
/// for with the SDKs' pseudo-region spelling, `us-east-1-fips` or
/// `fips-us-east-1`, and gives `git-codecommit-fips.us-east-1.amazonaws.com`;
/// sign for it with [`signing_region`].
pub fn git_endpoint_host(region: &str) -> String {
    let base = signing_region(region);
    let fips = base != region;
    let domain = if base.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let service = if fips {
        "git-codecommit-fips"
    } else {
        "git-codecommit"
    };
    format!("{service}.{base}.{domain}")
}

/// The git endpoint URL for `region`: `https://` and [`git_endpoint_host`].
pub fn default_git_endpoint(region: &str) -> String {
    format!("https://{}", git_endpoint_host(region))
}

/// Whether `name` can be a CodeCommit repository name: 1 to 100 letters,
/// digits, `.`, `_` and `-`, not `.` or `..`, not ending in `.git` (as
/// CodeCommit's own rule; a local copy is `<dir>/<name>.git`, a backup
/// `<prefix><name>/...`: such a name would leave its directory or prefix).
///
/// Every function checks every repository name an event (or a queue
/// message, or a listing) gives it with this before any file system or
/// API use. The error never quotes the name (it is attacker-chosen text,
/// and may hold anything): it says only its length.
pub fn check_repository_name(name: &str) -> Result<(), String> {
    let ok = (1..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && name != "."
        && name != ".."
        && !name.to_ascii_lowercase().ends_with(".git");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "a repository name of {} bytes (not shown) is not a CodeCommit repository name (1 to 100 letters, digits, `.`, `_`, `-`; not `.`, `..`, nor ending in `.git`)",
            name.len()
        ))
    }
}

/// Whether a git endpoint override may carry the password: it is sent as
/// Basic credentials, so only over https, or over plain http to this
/// machine (the local stack). The error says what to change.
pub fn check_git_endpoint(endpoint: &str) -> Result<(), String> {
    if endpoint.starts_with("https://") {
        return Ok(());
    }
    let host = endpoint
        .strip_prefix("http://")
        .ok_or("expected an https:// URL")?
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    if matches!(host, "127.0.0.1" | "localhost") {
        Ok(())
    } else {
        Err("plain http is only allowed to 127.0.0.1 / localhost: use https".to_owned())
    }
}

/// The region to sign with: `region` without a FIPS pseudo-region marker.
pub fn signing_region(region: &str) -> &str {
    region
        .strip_suffix("-fips")
        .or_else(|| region.strip_prefix("fips-"))
        .unwrap_or(region)
}

/// The HMAC over the string to sign, ready to finalize or verify.
fn signature_mac(secret_access_key: &str, scope: &Scope<'_>, timestamp: &str) -> HmacSha256 {
    let date = timestamp.get(..8).unwrap_or(timestamp);
    let canonical_request = format!(
        "GIT\n/v1/repos/{}\n\nhost:{}\n\nhost\n",
        scope.repository, scope.host
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{timestamp}\n{date}/{}/{SERVICE}/aws4_request\n{}",
        scope.region,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(
        format!("AWS4{secret_access_key}").as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, scope.region.as_bytes());
    let k_service = hmac(&k_region, SERVICE.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let mut mac = new_mac(&k_signing);
    mac.update(string_to_sign.as_bytes());
    mac
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC is defined for keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC-SHA256 accepts keys of any length"),
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "git-codecommit.us-west-2.amazonaws.com";

    #[test]
    fn repository_names_that_could_leave_a_directory_are_refused_unquoted() {
        // GIVEN names an event could carry
        let long = "a".repeat(101);
        let bad = [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "x\n",
            "x\u{7}",
            ".git",
            "app.GIT",
            &long,
            "caf\u{e9}",
            "AKIAZ7Q3XK2LMNB4RT6Y/x",
        ];
        // WHEN checked THEN each is refused, the error never quoting it
        for name in bad {
            let error = check_repository_name(name).err();
            let error = error.unwrap_or_else(|| panic!("{name:?} was accepted"));
            assert!(!error.contains("AKIA"), "{error}");
            assert!(
                error.contains("not a CodeCommit repository name"),
                "{error}"
            );
        }
        // AND real names pass
        for name in [
            "app",
            "my-service_2",
            "a.b",
            "x".repeat(100).as_str(),
            "..x",
        ] {
            assert_eq!(check_repository_name(name), Ok(()), "{name}");
        }
    }

    fn scope() -> Scope<'static> {
        Scope {
            region: "us-west-2",
            host: HOST,
            repository: "test_repo",
        }
    }

    fn signed_at() -> anyhow::Result<DateTime<Utc>> {
        Ok(NaiveDateTime::parse_from_str("20171224T115320", TIMESTAMP_FORMAT)?.and_utc())
    }

    #[test]
    fn password_matches_the_published_vector() -> anyhow::Result<()> {
        // GIVEN the credentials, region, host, repository and time of the vector
        // WHEN signing
        let pw = password("secret", &scope(), signed_at()?);
        // THEN the password is the one git-remote-codecommit computes
        assert_eq!(
            pw,
            "20171224T115320Zb6df2d758a8023b2f000a546417007b65494f3ce8ad0300fd45fcfa173f1959a"
        );
        Ok(())
    }

    #[test]
    fn verify_accepts_its_own_password_within_the_skew() -> anyhow::Result<()> {
        let t = signed_at()?;
        let pw = password("secret", &scope(), t);
        assert_eq!(
            verify_password(
                "secret",
                &scope(),
                &pw,
                t + TimeDelta::minutes(14),
                DEFAULT_MAX_SKEW
            ),
            Ok(())
        );
        assert_eq!(
            verify_password(
                "secret",
                &scope(),
                &pw,
                t - TimeDelta::minutes(14),
                DEFAULT_MAX_SKEW
            ),
            Ok(())
        );
        Ok(())
    }

    #[test]
    fn verify_refuses_wrong_secret_host_repo_and_old_passwords() -> anyhow::Result<()> {
        let t = signed_at()?;
        let pw = password("secret", &scope(), t);
        let skew = DEFAULT_MAX_SKEW;
        assert_eq!(
            verify_password("other", &scope(), &pw, t, skew),
            Err(PasswordError::Mismatch)
        );
        let other_host = Scope {
            host: "127.0.0.1:9",
            ..scope()
        };
        assert_eq!(
            verify_password("secret", &other_host, &pw, t, skew),
            Err(PasswordError::Mismatch)
        );
        let other_repo = Scope {
            repository: "other",
            ..scope()
        };
        assert_eq!(
            verify_password("secret", &other_repo, &pw, t, skew),
            Err(PasswordError::Mismatch)
        );
        assert!(matches!(
            verify_password("secret", &scope(), &pw, t + TimeDelta::minutes(16), skew),
            Err(PasswordError::Expired { .. })
        ));
        for bad in [
            "",
            "nonsense",
            "20171224T115320Z",
            "20171224T115320Zzz",
            "2017Zab",
        ] {
            assert_eq!(
                verify_password("secret", &scope(), bad, t, skew),
                Err(PasswordError::Malformed),
                "{bad}"
            );
        }
        Ok(())
    }

    #[test]
    fn username_carries_the_session_token() {
        assert_eq!(username("AKIA", None), "AKIA");
        assert_eq!(username("ASIA", Some("tok/en=")), "ASIA%tok/en=");
        assert_eq!(split_username("ASIA%tok/en="), ("ASIA", Some("tok/en=")));
        assert_eq!(split_username("AKIA"), ("AKIA", None));
    }

    #[test]
    fn endpoint_hosts_cover_china_and_fips() {
        assert_eq!(
            git_endpoint_host("us-east-1"),
            "git-codecommit.us-east-1.amazonaws.com"
        );
        assert_eq!(
            git_endpoint_host("cn-north-1"),
            "git-codecommit.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            git_endpoint_host("us-east-1-fips"),
            "git-codecommit-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            git_endpoint_host("fips-us-gov-west-1"),
            "git-codecommit-fips.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(signing_region("us-east-1-fips"), "us-east-1");
    }

    #[test]
    fn endpoint_overrides_carry_the_password_only_safely() {
        for (endpoint, ok) in [
            ("https://git-codecommit.us-east-1.amazonaws.com", true),
            ("http://127.0.0.1:4599", true),
            ("http://localhost:4599/", true),
            ("http://git.example.com", false),
            ("http://127.0.0.1.example.com", false),
            ("ftp://x", false),
        ] {
            assert_eq!(check_git_endpoint(endpoint).is_ok(), ok, "{endpoint}");
        }
        assert_eq!(
            default_git_endpoint("eu-west-1"),
            "https://git-codecommit.eu-west-1.amazonaws.com"
        );
    }
}
