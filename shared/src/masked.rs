//! The masking boundary: [`Masked`], the only text type an outbound port
//! accepts (SNS subjects, bodies and attribute values, CodeCommit comments,
//! S3 reports, approval summaries, approvers' messages, pages).
//!
//! A `Masked` can only be made by masking: [`Masked::new`] runs the
//! detection engine at its most suspicious (every built-in rule, no
//! `codewarden:allow` pragma, no precision filter, no repository
//! configuration: a repository cannot turn a rule off for its alerts) and
//! then hides credentials by their place ([`crate::notify::mask_credentials`]:
//! URL userinfo, `password=`, `Authorization:`, `mysql -p...`, ...).
//! Text a repository controls (paths, ref names, commit messages, pull
//! request titles, pipeline summaries) is masked like file content,
//! because an adapter cannot tell it apart from the text around it.
//!
//! The type is the guarantee: a new output written against a port that
//! takes `&Masked` cannot forget to mask.

use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;

use crate::notify::{HIDDEN, mask_credentials};
use crate::scan::{Rules, Scanner};

/// The built-in rules, maximal. `None` cannot happen (the built-in rules
/// are compiled by a test); if it did, everything is hidden.
static MASKER: LazyLock<Option<Scanner>> = LazyLock::new(|| {
    Rules::builtin()
        .ok()
        .map(|rules| Scanner::new(rules).maximal())
});

/// Text that has passed the masking boundary. Private field: made only by
/// [`Masked::new`], [`Masked::json`] or from other `Masked` values.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Masked(String);

/// As the text itself: a masked text prints like a string.
impl fmt::Debug for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Masked {
    /// `text` with every secret and credential hidden.
    pub fn new(text: &str) -> Masked {
        match &*MASKER {
            Some(scanner) => Masked(mask_credentials(scanner, text)),
            None => Masked(HIDDEN.to_owned()),
        }
    }

    /// `value` serialised as JSON, every string in it (object keys
    /// included) masked first.
    pub fn json(value: &Value) -> Masked {
        Masked(mask_value(value).to_string())
    }

    /// `value` pretty-printed as JSON, every string in it masked first.
    pub fn json_pretty(value: &Value) -> Masked {
        let masked = mask_value(value);
        Masked(serde_json::to_string_pretty(&masked).unwrap_or_else(|_| masked.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether masking left `text` as it is (it holds nothing to hide).
    pub fn is_clean(text: &str) -> bool {
        Masked::new(text).0 == text
    }

    /// Text already masked, put together by this crate (an alert rendered
    /// from masked parts, a signed link whose free-text fields were masked
    /// before signing). Never exposed: outside this crate, only masking
    /// makes a `Masked`.
    pub(crate) fn assembled(text: String) -> Masked {
        Masked(text)
    }
}

impl fmt::Display for Masked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Masked {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Masked {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Masked {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Masked {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// `value` with every string in it (object keys too) masked.
pub fn mask_value(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(Masked::new(text).0),
        Value::Array(items) => Value::Array(items.iter().map(mask_value).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, v)| (Masked::new(name).0, mask_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `text` masked except for the exact occurrences of `keep` (text already
/// masked, such as a signed link): each piece between them is masked on
/// its own.
pub(crate) fn mask_keeping(text: &str, keep: &[Masked]) -> Masked {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = keep
            .iter()
            .filter(|k| !k.0.is_empty())
            .filter_map(|k| rest.find(k.as_str()).map(|at| (at, k.as_str())))
            .min_by_key(|(at, k)| (*at, std::cmp::Reverse(k.len())));
        match next {
            Some((at, kept)) => {
                out.push_str(Masked::new(&rest[..at]).as_str());
                out.push_str(kept);
                rest = &rest[at + kept.len()..];
            }
            None => {
                out.push_str(Masked::new(rest).as_str());
                return Masked(out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> String {
        // Built at run time: no key-shaped literal in the source.
        ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat()
    }

    #[test]
    fn masked_text_hides_keys_whatever_the_pragma_or_the_fixture_look() {
        // GIVEN a key in a path, under a pragma, and as a fixture
        let key = key();
        for text in [
            format!("src/{key}.txt"),
            format!("aws_access_key_id = {key} # codewarden:allow"),
            format!("fake_key = \"{key}\""),
            "key = AKIAIOSFODNN7EXAMPLE".to_owned(),
        ] {
            // WHEN masked THEN the key is gone
            let masked = Masked::new(&text);
            assert!(!masked.as_str().contains(&key[4..]), "{masked}");
            assert!(!masked.as_str().contains("IOSFODNN7EXAMPLE"), "{masked}");
            assert!(!Masked::is_clean(&text));
        }
        // AND plain text stays as it is
        assert_eq!(Masked::new("main: 3 commits"), "main: 3 commits");
        assert!(Masked::is_clean("refs/heads/main"));
    }

    #[test]
    fn json_masks_every_string_and_keeps_the_shape() -> Result<(), serde_json::Error> {
        // GIVEN a document with a key in a value, a key and a nested array
        let key = key();
        let value =
            json!({"path": format!("a/{key}"), key.clone(): 1, "n": [format!("x {key}"), 2]});
        // WHEN masked
        let masked = Masked::json(&value);
        // THEN no key, same shape
        assert!(!masked.as_str().contains(&key), "{masked}");
        let back: Value = serde_json::from_str(masked.as_str())?;
        assert_eq!(back["n"][1], 2);
        assert!(
            back["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("a/AKIA"))
        );
        Ok(())
    }

    #[test]
    fn kept_pieces_stay_and_the_rest_is_masked() {
        // GIVEN a text with a link kept verbatim around masked pieces
        let link = Masked::assembled("https://cb/?token=t-1&sig=ab".to_owned());
        let text = format!("password=hunter2\nApprove: {link}\nend {}", key());
        // WHEN masked keeping the link
        let masked = mask_keeping(&text, std::slice::from_ref(&link));
        // THEN the link is intact, the rest masked
        assert!(masked.as_str().contains(link.as_str()), "{masked}");
        assert!(!masked.as_str().contains("hunter2"), "{masked}");
        assert!(!masked.as_str().contains(&key()), "{masked}");
    }
}
