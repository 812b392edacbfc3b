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
/// masked, such as a signed link) that stand alone: bounded on both sides
/// by the text's start or end, whitespace or a quote. A kept piece inside a
/// longer word is not kept, so a piece cannot split a secret into halves
/// that masking no longer recognises. Each piece between kept ones is
/// masked on its own.
pub(crate) fn mask_keeping(text: &str, keep: &[Masked]) -> Masked {
    let bounded = |c: Option<char>| {
        c.is_none_or(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
    };
    // Where each kept piece stands alone: (start, end), earliest and longest first.
    let mut spans: Vec<(usize, usize)> = keep
        .iter()
        .filter(|k| !k.0.is_empty())
        .flat_map(|k| {
            text.match_indices(k.as_str())
                .map(|(at, piece)| (at, at + piece.len()))
        })
        .filter(|&(start, end)| {
            bounded(text[..start].chars().next_back()) && bounded(text[end..].chars().next())
        })
        .collect();
    spans.sort_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        if start < at {
            continue; // overlaps a piece already kept
        }
        out.push_str(Masked::new(&text[at..start]).as_str());
        out.push_str(&text[start..end]);
        at = end;
    }
    out.push_str(Masked::new(&text[at..]).as_str());
    Masked(out)
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

    #[test]
    fn ids_a_report_is_read_by_stay_as_they_are() {
        // GIVEN the ids a findings report carries (a commit id, a keyed
        // fingerprint, a report key) beside a key
        let commit = "4c1f0e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e";
        let fingerprint = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let value = serde_json::json!({
            "commitId": commit,
            "fingerprint": fingerprint,
            "key": format!("findings/web/{commit}.json"),
            "preview": key(),
        });
        // WHEN masked as a report is
        let masked: Value =
            serde_json::from_str(Masked::json(&value).as_str()).unwrap_or_else(|e| panic!("{e}"));
        // THEN the ids are intact (the approval gate matches them) and the key is gone
        assert_eq!(masked["commitId"], commit);
        assert_eq!(masked["fingerprint"], fingerprint);
        assert_eq!(masked["key"], format!("findings/web/{commit}.json"));
        assert_ne!(masked["preview"], key().as_str());
    }

    #[test]
    fn a_kept_piece_inside_a_word_cannot_split_a_secret() {
        // GIVEN a key and a "kept" piece that is its first 14 characters
        // (clean on its own: too short to be a key)
        let key = key();
        let piece = Masked::new(&key[..14]);
        assert_eq!(piece, &key[..14]);
        // WHEN text holding the key is masked keeping that piece
        let masked = mask_keeping(&format!("id {key} end"), std::slice::from_ref(&piece));
        // THEN the key is masked whole, the piece not kept inside it
        assert!(!masked.as_str().contains(&key[4..]), "{masked}");
        // AND a piece standing alone is kept
        let alone = mask_keeping(&format!("see {} now", piece), std::slice::from_ref(&piece));
        assert!(alone.as_str().contains(piece.as_str()), "{alone}");
    }
}
