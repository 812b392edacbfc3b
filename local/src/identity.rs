//! Who is calling: the caller's ARN, from the access key id in the SigV4
//! `Authorization` header, mapped through [`Config::identities`]. The
//! signature is not verified (the local stack trusts its callers); the
//! identity exists so that approval rules (whose pool members are ARNs)
//! and "the author cannot approve" behave as on CodeCommit.

use axum::http::HeaderMap;

use crate::server::Config;

/// The ARN of every caller whose access key has no identity of its own
/// (and of unsigned requests): `arn:aws:iam::<account>:user/local-aws`.
pub fn default_arn(config: &Config) -> String {
    format!("arn:aws:iam::{}:user/local-aws", config.account_id)
}

/// The access key id of a SigV4 `Authorization` header
/// (`AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...`).
pub fn access_key_id(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let credential = value
        .split([' ', ','])
        .find_map(|part| part.trim().strip_prefix("Credential="))?;
    credential.split('/').next().filter(|key| !key.is_empty())
}

/// The caller's ARN for a request with these headers.
pub fn caller_arn(config: &Config, headers: &HeaderMap) -> String {
    access_key_id(headers)
        .and_then(|key| config.identities.get(key))
        .cloned()
        .unwrap_or_else(|| default_arn(config))
}

/// Parses `KEY=ARN,KEY=ARN` (the binary's `LOCAL_AWS_IDENTITIES`).
pub fn parse_identities(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, arn) = pair
                .split_once('=')
                .ok_or_else(|| format!("{pair:?} is not ACCESS_KEY_ID=ARN"))?;
            if !arn.starts_with("arn:") {
                return Err(format!("{arn:?} is not an ARN"));
            }
            Ok((key.trim().to_string(), arn.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_access_key_maps_to_its_identity_or_the_default() {
        let mut config = Config::new("/tmp/repos");
        config.identities.insert(
            "scanner".into(),
            "arn:aws:sts::123456789012:assumed-role/scanner/fn".into(),
        );
        let mut headers = HeaderMap::new();
        assert_eq!(
            caller_arn(&config, &headers),
            "arn:aws:iam::123456789012:user/local-aws"
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=scanner/20260101/us-east-1/codecommit/aws4_request, SignedHeaders=host, Signature=00",
            ),
        );
        assert_eq!(access_key_id(&headers), Some("scanner"));
        assert_eq!(
            caller_arn(&config, &headers),
            "arn:aws:sts::123456789012:assumed-role/scanner/fn"
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/codecommit/aws4_request",
            ),
        );
        assert_eq!(
            caller_arn(&config, &headers),
            "arn:aws:iam::123456789012:user/local-aws"
        );
    }

    #[test]
    fn identities_parse_from_pairs() {
        assert_eq!(
            parse_identities("a=arn:aws:iam::1:user/a, b=arn:aws:sts::1:assumed-role/r/s"),
            Ok(vec![
                ("a".into(), "arn:aws:iam::1:user/a".into()),
                ("b".into(), "arn:aws:sts::1:assumed-role/r/s".into())
            ])
        );
        assert!(parse_identities("a").is_err());
        assert!(parse_identities("a=user").is_err());
    }
}
