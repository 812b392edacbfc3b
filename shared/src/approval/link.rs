//! Signed approve / reject links.
//!
//! A link is a query string on the approval-callback function URL. It
//! carries everything `PutApprovalResult` needs (pipeline, stage, action,
//! token), the decision, the expiry (the approval request's own), and
//! what the confirmation page shows (execution, repository, commit, who
//! asked), followed by `sig`: HMAC-SHA256 over a canonical encoding of all
//! of them with a key from Secrets Manager. Changing, adding or dropping
//! any field breaks the signature; the signature is checked in constant
//! time ([`hmac::Mac::verify_slice`]) before anything else, then the
//! expiry.
//!
//! The canonical encoding length-prefixes every field, so no choice of
//! values can make two different links sign the same bytes.

use crate::masked::Masked;
use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: a signature made for anything else never verifies here.
const CONTEXT: &str = "codewarden/approval-link/v1";

/// Keys shorter than this are refused: the template generates 64 characters.
pub const MIN_KEY_BYTES: usize = 32;

/// The query parameter names, in canonical order (`sig` last, unsigned).
const FIELDS: [&str; 10] = [
    "pipeline",
    "stage",
    "action",
    "token",
    "decision",
    "expires",
    "execution",
    "repository",
    "commit",
    "requester",
];

/// What the person clicking the link decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    /// `approve` / `reject`: the link's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    /// `Approved` / `Rejected`: `PutApprovalResult`'s `result.status`.
    pub fn status(self) -> &'static str {
        match self {
            Self::Approve => "Approved",
            Self::Reject => "Rejected",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

/// The key links are signed with. Its `Debug` does not show it.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    /// At least [`MIN_KEY_BYTES`] bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, LinkError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(LinkError::WeakKey { len: bytes.len() });
        }
        Ok(Self(bytes))
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length: this cannot fail.
        <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// Why a link is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A field is missing, repeated or unreadable (HTTP 400).
    #[error("the link is incomplete or malformed: `{field}` {problem}")]
    Malformed {
        field: &'static str,
        problem: &'static str,
    },
    /// The signature does not match the fields (HTTP 403).
    #[error("the link has been altered: its signature does not match")]
    Tampered,
    /// Signature fine, but the approval request has lapsed (HTTP 410).
    #[error("the link expired at {expired}")]
    Expired { expired: DateTime<Utc> },
    /// Configuration, not input: the signing secret is too short.
    #[error(
        "the signing key has {len} bytes, at least {MIN_KEY_BYTES} are needed: \
         regenerate the secret (template.yaml ApprovalSigningSecret)"
    )]
    WeakKey { len: usize },
}

/// The content of an approve or reject link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalLink {
    pub pipeline: String,
    pub stage: String,
    pub action: String,
    /// The approval token: what `PutApprovalResult` needs. Never logged.
    pub token: String,
    pub decision: Decision,
    /// The approval request's expiry, to the second.
    pub expires: DateTime<Utc>,
    /// Shown on the confirmation page.
    pub execution_id: Option<String>,
    pub repository: Option<String>,
    pub commit: Option<String>,
    /// Who or what started the execution (its trigger).
    pub requester: Option<String>,
}

impl ApprovalLink {
    fn values(&self) -> [Cow<'_, str>; 10] {
        fn opt(v: &Option<String>) -> Cow<'_, str> {
            Cow::Borrowed(v.as_deref().unwrap_or(""))
        }
        [
            Cow::Borrowed(&self.pipeline),
            Cow::Borrowed(&self.stage),
            Cow::Borrowed(&self.action),
            Cow::Borrowed(&self.token),
            Cow::Borrowed(self.decision.as_str()),
            Cow::Owned(self.expires.timestamp().to_string()),
            opt(&self.execution_id),
            opt(&self.repository),
            opt(&self.commit),
            opt(&self.requester),
        ]
    }

    fn mac(&self, key: &SigningKey) -> HmacSha256 {
        let mut mac = key.mac();
        mac.update(CONTEXT.as_bytes());
        for (name, value) in FIELDS.iter().zip(self.values()) {
            // name, length, value: unambiguous whatever the values hold.
            mac.update(format!("\n{name}:{}:", value.len()).as_bytes());
            mac.update(value.as_bytes());
        }
        mac
    }

    /// The hex HMAC-SHA256 signature.
    pub fn signature(&self, key: &SigningKey) -> String {
        hex::encode(self.mac(key).finalize().into_bytes())
    }

    /// The signed query string: every non-empty field, then `sig`.
    pub fn query(&self, key: &SigningKey) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in FIELDS.iter().zip(self.values()) {
            if !value.is_empty() {
                query.append_pair(name, &value);
            }
        }
        query.append_pair("sig", &self.signature(key));
        query.finish()
    }

    /// `base` (the callback function URL) with the signed query string.
    pub fn url(&self, base: &str, key: &SigningKey) -> String {
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}{}", self.query(key))
    }

    /// [`ApprovalLink::url`] as outbound text: the free-text fields a
    /// repository or a requester controls (`repository`, `commit`,
    /// `requester`) are masked before signing, so the link verifies and
    /// shows only masked text. Pipeline, stage, action and token are
    /// CodePipeline's own (configured by whoever may edit the pipeline)
    /// and are needed as they are to record the decision.
    pub fn masked_url(&self, base: &str, key: &SigningKey) -> Masked {
        let mut link = self.clone();
        for value in [&mut link.repository, &mut link.commit, &mut link.requester]
            .into_iter()
            .flatten()
        {
            *value = Masked::new(value).into_string();
        }
        Masked::assembled(link.url(&Masked::new(base).into_string(), key))
    }

    /// The link's fields (and `sig`) as the query string or form body
    /// carries them; other parameters (the form's `approver`) are ignored.
    /// A repeated link field is malformed: which one would count?
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<SignedLink, LinkError> {
        let mut values: [Option<String>; 11] = Default::default();
        for (name, value) in pairs {
            let index = if name == "sig" {
                FIELDS.len()
            } else if let Some(i) = FIELDS.iter().position(|f| *f == name) {
                i
            } else {
                continue;
            };
            if values[index].is_some() {
                let field = FIELDS.get(index).copied().unwrap_or("sig");
                return Err(LinkError::Malformed {
                    field,
                    problem: "appears more than once",
                });
            }
            values[index] = Some(value.into_owned());
        }
        let [
            pipeline,
            stage,
            action,
            token,
            decision,
            expires,
            execution_id,
            repository,
            commit,
            requester,
            sig,
        ] = values.map(|v| v.filter(|v| !v.is_empty()));
        let required = |value: Option<String>, field: &'static str| {
            value.ok_or(LinkError::Malformed {
                field,
                problem: "is missing",
            })
        };
        let sig = required(sig, "sig")?;
        let decision =
            Decision::parse(&required(decision, "decision")?).ok_or(LinkError::Malformed {
                field: "decision",
                problem: "is neither `approve` nor `reject`",
            })?;
        let expires = required(expires, "expires")?
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or(LinkError::Malformed {
                field: "expires",
                problem: "is not a time in epoch seconds",
            })?;
        let link = ApprovalLink {
            pipeline: required(pipeline, "pipeline")?,
            stage: required(stage, "stage")?,
            action: required(action, "action")?,
            token: required(token, "token")?,
            decision,
            expires,
            execution_id,
            repository,
            commit,
            requester,
        };
        // A signature that is not hex cannot match: tampered, not malformed.
        let signature = hex::decode(sig).unwrap_or_default();
        Ok(SignedLink { link, signature })
    }

    /// [`Self::from_pairs`] over a query string or an
    /// `application/x-www-form-urlencoded` body.
    pub fn from_query(query: &[u8]) -> Result<SignedLink, LinkError> {
        Self::from_pairs(form_urlencoded::parse(query))
    }
}

/// A link as received: not trusted until [`SignedLink::verify`] says so.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedLink {
    link: ApprovalLink,
    signature: Vec<u8>,
}

impl fmt::Debug for SignedLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedLink")
            .field("pipeline", &self.link.pipeline)
            .field("stage", &self.link.stage)
            .field("action", &self.link.action)
            .field("decision", &self.link.decision)
            .finish_non_exhaustive()
    }
}

impl SignedLink {
    /// The link, once its signature matches (constant-time comparison)
    /// and it has not expired at `now`. The signature is checked first:
    /// an altered expiry is [`LinkError::Tampered`], not expired.
    pub fn verify(&self, key: &SigningKey, now: DateTime<Utc>) -> Result<&ApprovalLink, LinkError> {
        self.link
            .mac(key)
            .verify_slice(&self.signature)
            .map_err(|_| LinkError::Tampered)?;
        if now >= self.link.expires {
            return Err(LinkError::Expired {
                expired: self.link.expires,
            });
        }
        Ok(&self.link)
    }

    /// The fields as received, unverified: only for telling a person what
    /// a refused link was about, never for acting on it.
    pub fn unverified(&self) -> &ApprovalLink {
        &self.link
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::new(*b"0123456789abcdef0123456789abcdef").unwrap_or_else(|_| unreachable!())
    }

    fn link() -> ApprovalLink {
        ApprovalLink {
            pipeline: "web".into(),
            stage: "Approve".into(),
            action: "Manual & more".into(),
            token: "6d2a8f4c-1e3b".into(),
            decision: Decision::Approve,
            expires: DateTime::from_timestamp(1_716_284_100, 0).unwrap_or_default(),
            execution_id: Some("e-1".into()),
            repository: None,
            commit: Some("4c1f".into()),
            requester: None,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_716_284_000, 0).unwrap_or_default()
    }

    #[test]
    fn a_signed_link_round_trips_and_verifies() -> Result<(), LinkError> {
        // GIVEN a link signed with the key WHEN parsed back THEN it verifies unchanged
        let query = link().query(&key());
        assert!(query.starts_with("pipeline=web&stage=Approve&action=Manual+%26+more&token="));
        let parsed = ApprovalLink::from_query(query.as_bytes())?;
        assert_eq!(parsed.verify(&key(), now())?, &link());
        Ok(())
    }

    #[test]
    fn changing_any_field_breaks_the_signature() -> Result<(), LinkError> {
        let query = link().query(&key());
        for (from, to) in [
            ("decision=approve", "decision=reject"),
            ("pipeline=web", "pipeline=api"),
            ("expires=1716284100", "expires=1716284999"),
            ("commit=4c1f", "commit=4c1e"),
            ("execution=e-1&", ""),
            ("token=6d2a8f4c-1e3b", "token=6d2a8f4c-1e3c"),
        ] {
            let altered = query.replace(from, to);
            assert_ne!(altered, query, "{from}");
            let parsed = ApprovalLink::from_query(altered.as_bytes())?;
            assert_eq!(
                parsed.verify(&key(), now()),
                Err(LinkError::Tampered),
                "{from}"
            );
        }
        // a field added that the signer left empty
        let added = format!("{query}&repository=app");
        let parsed = ApprovalLink::from_query(added.as_bytes())?;
        assert_eq!(parsed.verify(&key(), now()), Err(LinkError::Tampered));
        // another key
        let other = SigningKey::new(vec![7u8; 32])?;
        let parsed = ApprovalLink::from_query(query.as_bytes())?;
        assert_eq!(parsed.verify(&other, now()), Err(LinkError::Tampered));
        // a signature that is not even hex
        let garbled = query.replace("sig=", "sig=zz");
        let parsed = ApprovalLink::from_query(garbled.as_bytes())?;
        assert_eq!(parsed.verify(&key(), now()), Err(LinkError::Tampered));
        Ok(())
    }

    #[test]
    fn expiry_is_checked_after_the_signature() -> Result<(), LinkError> {
        let parsed = ApprovalLink::from_query(link().query(&key()).as_bytes())?;
        let later = link().expires;
        assert_eq!(
            parsed.verify(&key(), later),
            Err(LinkError::Expired { expired: later })
        );
        Ok(())
    }

    #[test]
    fn missing_repeated_and_unreadable_fields_are_malformed() {
        let query = link().query(&key());
        let cases = [
            (query.replace("token=", "tokn="), "token"),
            (format!("{query}&decision=reject"), "decision"),
            (
                query.replace("decision=approve", "decision=maybe"),
                "decision",
            ),
            (
                query.replace("expires=1716284100", "expires=soon"),
                "expires",
            ),
            (
                query.split("&sig=").next().unwrap_or_default().to_owned(),
                "sig",
            ),
        ];
        for (bad, field) in cases {
            let error = ApprovalLink::from_query(bad.as_bytes()).err();
            assert!(
                matches!(error, Some(LinkError::Malformed { field: f, .. }) if f == field),
                "{field}: {error:?}"
            );
        }
    }

    #[test]
    fn keys_are_long_and_never_shown() {
        assert_eq!(
            SigningKey::new(*b"short").err(),
            Some(LinkError::WeakKey { len: 5 })
        );
        assert_eq!(format!("{:?}", key()), "SigningKey(<redacted>)");
        let parsed = ApprovalLink::from_query(link().query(&key()).as_bytes());
        let shown = format!("{parsed:?}");
        assert!(!shown.contains("6d2a8f4c") && !shown.contains(&link().signature(&key())));
    }
}
