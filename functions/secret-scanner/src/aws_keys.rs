//! AWS access keys found in a push: whose they are, whether they are live,
//! and (opt-in) switching them off.
//!
//! An access key id alone is no credential, but it says a secret access key
//! is probably next to it. STS `GetAccessKeyInfo` names the account a key
//! id belongs to without using the leaked key; for a key of the function's
//! own account, IAM `GetAccessKeyLastUsed` names the user and the last use,
//! `ListAccessKeys` its status, and `UpdateAccessKey` can make it inactive
//! (`LEAKED_AWS_KEY_ACTION=deactivate`).
//!
//! The key id is masked wherever it is shown ([`AccessKeyId`]'s `Debug`
//! and `Display`, [`scrub`] for the services' error messages).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;

use crate::Error;

/// An access key id as found in a file: `AKIA…` (long-term) or `ASIA…`
/// (temporary, from STS), 20 characters of `A-Z` and digits. The rule's
/// other prefixes (`ABIA`, `ACCA`) are not looked up. Shows as `AKIA***`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessKeyId(String);

impl AccessKeyId {
    /// The prefixes of access key ids (`AKIA` long-term, `ASIA` temporary).
    const PREFIXES: [&'static str; 2] = ["AKIA", "ASIA"];

    /// `Some` when `text` is shaped like an access key id.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let shaped = text.len() == 20
            && Self::PREFIXES.iter().any(|p| text.starts_with(p))
            && text
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        shaped.then(|| Self(text.to_owned()))
    }

    /// The full id, for the STS and IAM calls only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `AKIA***`: the prefix says the kind, nothing else is shown.
    pub fn masked(&self) -> String {
        format!("{}***", &self.0[..4])
    }

    /// An `ASIA` key: temporary credentials from STS, which IAM does not
    /// list and cannot deactivate (they expire).
    pub fn is_temporary(&self) -> bool {
        self.0.starts_with("ASIA")
    }
}

impl fmt::Debug for AccessKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKeyId({})", self.masked())
    }
}

impl fmt::Display for AccessKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// `text` with every occurrence of `id` masked: for error messages of the
/// services, which may quote the id they were asked about.
pub fn scrub(text: &str, id: &AccessKeyId) -> String {
    text.replace(id.expose(), &id.masked())
}

/// `LEAKED_AWS_KEY_ACTION`: what the scanner does with an access key id
/// it finds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyAction {
    /// `off`: no STS or IAM call.
    Off,
    /// `inspect` (the default): account, user, status and last use, in
    /// the alert.
    #[default]
    Inspect,
    /// `deactivate`: inspect, and make an active key of this account
    /// inactive (`UpdateAccessKey`), saying so in the alert.
    Deactivate,
}

impl KeyAction {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Some(Self::Off),
            "inspect" => Some(Self::Inspect),
            "deactivate" => Some(Self::Deactivate),
            _ => None,
        }
    }
}

/// When and where a key was last used (`GetAccessKeyLastUsed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastUse {
    /// RFC 3339.
    pub date: String,
    pub service: Option<String>,
    pub region: Option<String>,
}

/// What IAM says of a key of this account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOwner {
    pub user: String,
    /// `None`: never used (or not since IAM started tracking).
    pub last_use: Option<LastUse>,
}

/// What became of a live key under [`KeyAction::Deactivate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deactivation {
    Done,
    /// The call failed (message scrubbed): a person must do it.
    Failed(String),
}

/// What the scanner learnt of one access key id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// Another AWS account's key: the owner must be told.
    OtherAccount { account: String },
    /// Temporary credentials (`ASIA`) of this account.
    OursTemporary { account: String },
    /// This account's id range, but IAM does not know the key: deleted
    /// already.
    OursNotInIam { account: String },
    /// A key of an IAM user of this account.
    Ours {
        account: String,
        user: String,
        /// Active when found (before any deactivation).
        active: bool,
        last_use: Option<LastUse>,
        /// `Some` when the scanner was asked to deactivate an active key.
        deactivation: Option<Deactivation>,
    },
    /// A lookup failed (message scrubbed).
    Unknown { reason: String },
}

impl KeyStatus {
    /// An active key of this account's IAM users when the push was
    /// scanned: the alert is critical.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Ours { active: true, .. })
    }

    /// One line for the alert, e.g. `LIVE key of this account
    /// (123456789012), IAM user deploy, last used 2026-11-30T10:00:00Z
    /// (s3, eu-west-1); deactivated by codewarden`.
    pub fn describe(&self) -> String {
        match self {
            Self::OtherAccount { account } => format!(
                "a key of another AWS account ({account}), not this one: tell that account's owner"
            ),
            Self::OursTemporary { account } => format!(
                "temporary credentials of this account ({account}): they expire, but revoke the role session if the secret key leaked too"
            ),
            Self::OursNotInIam { account } => format!(
                "this account's id ({account}), but unknown to IAM: the key was deleted already"
            ),
            Self::Ours {
                account,
                user,
                active,
                last_use,
                deactivation,
            } => {
                let state = if *active { "LIVE key" } else { "inactive key" };
                let used = match last_use {
                    None => "never used".to_owned(),
                    Some(LastUse {
                        date,
                        service,
                        region,
                    }) => {
                        let place = [service.as_deref(), region.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(", ");
                        if place.is_empty() {
                            format!("last used {date}")
                        } else {
                            format!("last used {date} ({place})")
                        }
                    }
                };
                let action = match deactivation {
                    None if *active => {
                        "; not deactivated (LEAKED_AWS_KEY_ACTION=inspect): make it inactive now"
                            .to_owned()
                    }
                    None => String::new(),
                    Some(Deactivation::Done) => {
                        "; DEACTIVATED by codewarden (UpdateAccessKey Inactive): issue a new key to its users, then delete this one".to_owned()
                    }
                    Some(Deactivation::Failed(why)) => {
                        format!("; deactivation FAILED ({why}): make it inactive now")
                    }
                };
                format!("{state} of this account ({account}), IAM user {user}, {used}{action}")
            }
            Self::Unknown { reason } => format!("not checked ({reason})"),
        }
    }

    /// The `awsKey` object of the alert's finding document.
    pub fn document(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Self::OtherAccount { account } => {
                json!({"owner": "otherAccount", "account": account, "live": false})
            }
            Self::OursTemporary { account } => {
                json!({"owner": "thisAccount", "account": account, "temporary": true, "live": false})
            }
            Self::OursNotInIam { account } => {
                json!({"owner": "thisAccount", "account": account, "inIam": false, "live": false})
            }
            Self::Ours {
                account,
                user,
                active,
                last_use,
                deactivation,
            } => json!({
                "owner": "thisAccount",
                "account": account,
                "inIam": true,
                "user": user,
                "live": active,
                "lastUsed": last_use.as_ref().map(|u| json!({"date": u.date, "service": u.service, "region": u.region})),
                "deactivated": match deactivation {
                    None => json!(false),
                    Some(Deactivation::Done) => json!(true),
                    Some(Deactivation::Failed(why)) => json!({"failed": why}),
                },
            }),
            Self::Unknown { reason } => json!({"owner": "unknown", "error": reason, "live": false}),
        }
    }
}

/// STS and IAM, in the terms of this module. Errors may quote the key id:
/// [`inspect`] scrubs them.
pub trait AccessKeys: Sync {
    /// `GetAccessKeyInfo`: the account the key id belongs to.
    fn key_account(&self, id: &AccessKeyId) -> impl Future<Output = Result<String, Error>> + Send;
    /// `GetCallerIdentity`: the function's own account.
    fn own_account(&self) -> impl Future<Output = Result<String, Error>> + Send;
    /// `GetAccessKeyLastUsed`: `None` when IAM does not know the key.
    fn owner(
        &self,
        id: &AccessKeyId,
    ) -> impl Future<Output = Result<Option<KeyOwner>, Error>> + Send;
    /// `ListAccessKeys` of `user`: whether the key is active (`None`: not
    /// listed).
    fn is_active(
        &self,
        user: &str,
        id: &AccessKeyId,
    ) -> impl Future<Output = Result<Option<bool>, Error>> + Send;
    /// `UpdateAccessKey` to `Inactive`.
    fn deactivate(
        &self,
        user: &str,
        id: &AccessKeyId,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Everything that can be learnt of `id` under `action`; never fails: a
/// failed lookup is [`KeyStatus::Unknown`] (the alert goes out anyway).
pub async fn inspect(keys: &impl AccessKeys, id: &AccessKeyId, action: KeyAction) -> KeyStatus {
    let unknown = |error: Error| KeyStatus::Unknown {
        reason: scrub(&error.to_string(), id),
    };
    let account = match keys.key_account(id).await {
        Ok(account) => account,
        Err(error) => return unknown(error),
    };
    let own = match keys.own_account().await {
        Ok(own) => own,
        Err(error) => return unknown(error),
    };
    if account != own {
        return KeyStatus::OtherAccount { account };
    }
    if id.is_temporary() {
        return KeyStatus::OursTemporary { account };
    }
    let owner = match keys.owner(id).await {
        Ok(Some(owner)) => owner,
        Ok(None) => return KeyStatus::OursNotInIam { account },
        Err(error) => return unknown(error),
    };
    let active = match keys.is_active(&owner.user, id).await {
        Ok(Some(active)) => active,
        Ok(None) => return KeyStatus::OursNotInIam { account },
        Err(error) => return unknown(error),
    };
    let deactivation = match (action, active) {
        (KeyAction::Deactivate, true) => Some(match keys.deactivate(&owner.user, id).await {
            Ok(()) => Deactivation::Done,
            Err(error) => Deactivation::Failed(scrub(&error.to_string(), id)),
        }),
        _ => None,
    };
    KeyStatus::Ours {
        account,
        user: owner.user,
        active,
        last_use: owner.last_use,
        deactivation,
    }
}

/// Distinct access key ids looked up per event; more are listed as not
/// checked (a push of a key dump must not turn into thousands of calls).
pub const MAX_KEY_LOOKUPS: usize = 20;

/// The statuses of the access key ids of one event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyReport {
    statuses: BTreeMap<AccessKeyId, KeyStatus>,
    /// Distinct ids beyond the lookup limit, not checked.
    pub not_checked: usize,
}

impl KeyReport {
    /// At most `limit` distinct ids of `ids` inspected, in order.
    pub async fn build<'a>(
        keys: &impl AccessKeys,
        ids: impl IntoIterator<Item = &'a AccessKeyId>,
        action: KeyAction,
        limit: usize,
    ) -> Self {
        let mut report = Self::default();
        if action == KeyAction::Off {
            return report;
        }
        let mut distinct: Vec<&AccessKeyId> = Vec::new();
        for id in ids {
            if !distinct.contains(&id) {
                distinct.push(id);
            }
        }
        for (index, id) in distinct.into_iter().enumerate() {
            if index >= limit {
                report.not_checked += 1;
                continue;
            }
            let status = inspect(keys, id, action).await;
            tracing::info!(key = %id, status = ?status, "access key inspected");
            report.statuses.insert(id.clone(), status);
        }
        report
    }

    /// Records `status` for `id` (what [`KeyReport::build`] does per id).
    pub fn insert(&mut self, id: AccessKeyId, status: KeyStatus) {
        self.statuses.insert(id, status);
    }

    pub fn get(&self, id: &AccessKeyId) -> Option<&KeyStatus> {
        self.statuses.get(id)
    }

    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty()
    }

    /// Any live key of this account.
    pub fn any_live(&self) -> bool {
        self.statuses.values().any(KeyStatus::is_live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const OURS: &str = "123456789012";
    const LIVE: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
    const GONE: &str = "AKIAQQQQQQQQQQQQQQQ2";
    const FOREIGN: &str = "AKIA2222222222222222";
    const TEMP: &str = "ASIAZ7Q3XK2LMNB4RT6Y";
    const BROKEN: &str = "AKIABBBBBBBBBBBBBBBB";

    /// A hand-written IAM for the pure logic (the adapter is tested
    /// against moto and aws-smithy-mocks).
    #[derive(Default)]
    struct FakeIam {
        calls: Mutex<Vec<String>>,
        deactivated: Mutex<Vec<String>>,
        fail_deactivate: bool,
    }

    fn aws(message: String) -> Error {
        Error::Aws {
            operation: "GetAccessKeyInfo",
            retryable: false,
            message: message.clone(),
            source: message.into(),
        }
    }

    impl AccessKeys for FakeIam {
        async fn key_account(&self, id: &AccessKeyId) -> Result<String, Error> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("info {}", id.masked()));
            match id.expose() {
                FOREIGN => Ok("999999999999".into()),
                BROKEN => Err(aws(format!("InvalidParameter: {BROKEN} is malformed"))),
                _ => Ok(OURS.into()),
            }
        }
        async fn own_account(&self) -> Result<String, Error> {
            Ok(OURS.into())
        }
        async fn owner(&self, id: &AccessKeyId) -> Result<Option<KeyOwner>, Error> {
            Ok((id.expose() == LIVE).then(|| KeyOwner {
                user: "deploy".into(),
                last_use: Some(LastUse {
                    date: "2026-11-30T10:00:00Z".into(),
                    service: Some("s3".into()),
                    region: Some("eu-west-1".into()),
                }),
            }))
        }
        async fn is_active(&self, _user: &str, id: &AccessKeyId) -> Result<Option<bool>, Error> {
            Ok(Some(
                !self
                    .deactivated
                    .lock()
                    .unwrap()
                    .contains(&id.expose().to_owned()),
            ))
        }
        async fn deactivate(&self, _user: &str, id: &AccessKeyId) -> Result<(), Error> {
            if self.fail_deactivate {
                return Err(aws(format!("AccessDenied on {}", id.expose())));
            }
            self.deactivated
                .lock()
                .unwrap()
                .push(id.expose().to_owned());
            Ok(())
        }
    }

    fn id(text: &str) -> AccessKeyId {
        AccessKeyId::parse(text).expect("a key id")
    }

    #[test]
    fn a_key_id_never_shows_in_full() {
        let key = id(LIVE);
        assert_eq!(format!("{key} {key:?}"), "AKIA*** AccessKeyId(AKIA***)");
        assert_eq!(
            scrub(&format!("no key {LIVE} here"), &key),
            "no key AKIA*** here"
        );
        assert!(AccessKeyId::parse("AKIA123").is_none());
        assert!(AccessKeyId::parse("akiaz7q3xk2lmnb4rt6y").is_none());
        assert!(AccessKeyId::parse("AGPAZ7Q3XK2LMNB4RT6Y").is_none());
        assert!(id(TEMP).is_temporary() && !key.is_temporary());
    }

    #[test]
    fn the_action_parses() {
        assert_eq!(KeyAction::parse("Deactivate"), Some(KeyAction::Deactivate));
        assert_eq!(KeyAction::parse("inspect"), Some(KeyAction::Inspect));
        assert_eq!(KeyAction::parse("off"), Some(KeyAction::Off));
        assert_eq!(KeyAction::parse("delete"), None);
    }

    #[tokio::test]
    async fn each_kind_of_key_is_told_apart() {
        let iam = FakeIam::default();
        let live = inspect(&iam, &id(LIVE), KeyAction::Inspect).await;
        assert!(live.is_live(), "{live:?}");
        let text = live.describe();
        assert!(text.starts_with("LIVE key of this account (123456789012), IAM user deploy, last used 2026-11-30T10:00:00Z (s3, eu-west-1); not deactivated"), "{text}");
        assert_eq!(
            inspect(&iam, &id(FOREIGN), KeyAction::Inspect).await,
            KeyStatus::OtherAccount {
                account: "999999999999".into()
            }
        );
        assert_eq!(
            inspect(&iam, &id(GONE), KeyAction::Inspect).await,
            KeyStatus::OursNotInIam {
                account: OURS.into()
            }
        );
        assert_eq!(
            inspect(&iam, &id(TEMP), KeyAction::Deactivate).await,
            KeyStatus::OursTemporary {
                account: OURS.into()
            }
        );
        assert!(
            iam.deactivated.lock().unwrap().is_empty(),
            "inspect deactivates nothing"
        );
    }

    #[tokio::test]
    async fn errors_become_unknown_and_are_scrubbed() {
        let iam = FakeIam::default();
        let status = inspect(&iam, &id(BROKEN), KeyAction::Inspect).await;
        let KeyStatus::Unknown { reason } = &status else {
            panic!("{status:?}");
        };
        assert!(
            reason.contains("AKIA***") && !reason.contains(BROKEN),
            "{reason}"
        );
        assert!(!status.is_live());
    }

    #[tokio::test]
    async fn deactivate_switches_a_live_key_off_once_and_says_so() {
        let iam = FakeIam::default();
        let status = inspect(&iam, &id(LIVE), KeyAction::Deactivate).await;
        assert!(matches!(
            &status,
            KeyStatus::Ours {
                active: true,
                deactivation: Some(Deactivation::Done),
                ..
            }
        ));
        assert!(
            status.describe().contains("DEACTIVATED by codewarden"),
            "{}",
            status.describe()
        );
        assert_eq!(*iam.deactivated.lock().unwrap(), vec![LIVE.to_owned()]);
        // A redelivery finds it inactive: no second call, not live any more.
        let again = inspect(&iam, &id(LIVE), KeyAction::Deactivate).await;
        assert!(matches!(
            &again,
            KeyStatus::Ours {
                active: false,
                deactivation: None,
                ..
            }
        ));
        assert_eq!(iam.deactivated.lock().unwrap().len(), 1);

        let failing = FakeIam {
            fail_deactivate: true,
            ..FakeIam::default()
        };
        let status = inspect(&failing, &id(LIVE), KeyAction::Deactivate).await;
        let text = status.describe();
        assert!(
            text.contains("deactivation FAILED (GetAccessKeyInfo failed: AccessDenied on AKIA***)"),
            "{text}"
        );
        assert!(!text.contains(LIVE));
    }

    #[tokio::test]
    async fn a_report_looks_up_each_distinct_key_once_up_to_the_limit() {
        let iam = FakeIam::default();
        let (a, b, c) = (id(LIVE), id(FOREIGN), id(GONE));
        let report = KeyReport::build(&iam, [&a, &b, &a, &c], KeyAction::Inspect, 2).await;
        assert_eq!(iam.calls.lock().unwrap().len(), 2);
        assert_eq!(report.not_checked, 1);
        assert!(report.any_live());
        assert!(report.get(&c).is_none());
        let off = KeyReport::build(&iam, [&a], KeyAction::Off, 2).await;
        assert!(off.is_empty() && !off.any_live());
        assert_eq!(iam.calls.lock().unwrap().len(), 2, "off calls nothing");
    }
}
