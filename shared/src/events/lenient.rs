//! Lenient field decoders for the quirks AWS really sends.
//!
//! The same field arrives in different JSON types depending on the service,
//! the event and sometimes the day: CodePipeline's `version` is `7`, `"7"` or
//! `7.0`; CodeCommit's `isMerged` is the string `"False"`; CodeBuild's
//! `build-number` is `55.0`. These decoders accept every spelling seen in real
//! payloads and normalise it to one Rust type.
//!
//! The messages they write describe what was expected and never repeat the
//! value received (payloads can carry secrets); serde's generic messages,
//! which do quote values, are rewritten by [`super::EventError`].

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::de::{self, Deserialize, Deserializer, Visitor};

/// Defines a string-valued AWS enum that keeps unknown values instead of
/// rejecting them: AWS adds states and event kinds without notice, and an
/// unknown value must not make a whole event unreadable.
///
/// Matching is ASCII case-insensitive; serialisation writes the AWS spelling
/// (or the unknown value verbatim).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of codewarden does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The value as AWS spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                $( if value.eq_ignore_ascii_case($text) { return Self::$variant; } )+
                Self::Other(value.to_owned())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(value.as_str()))
            }
        }
    };
}
pub(crate) use string_enum;

/// Largest integer an `f64` represents exactly; beyond it `7.0`-style
/// normalisation would silently change the number.
const MAX_EXACT_F64: f64 = 9_007_199_254_740_992.0;

fn whole_f64<E: de::Error>(value: f64) -> Result<u64, E> {
    if value.is_finite() && value.fract() == 0.0 && (0.0..=MAX_EXACT_F64).contains(&value) {
        // Exact: checked above that it is finite, whole and in u64's range.
        Ok(value as u64)
    } else {
        Err(E::custom(
            "expected a non-negative whole number, got a fraction or an out-of-range number",
        ))
    }
}

struct LenientU64;

impl<'de> Visitor<'de> for LenientU64 {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative whole number as an integer, a float or a string")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        u64::try_from(value)
            .map(Some)
            .map_err(|_| E::custom("expected a non-negative whole number, got a negative one"))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        whole_f64(value).map(Some)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        let value = value.trim();
        if let Ok(number) = value.parse::<u64>() {
            return Ok(Some(number));
        }
        match value.parse::<f64>() {
            Ok(number) => whole_f64(number).map(Some),
            Err(_) => Err(E::custom(
                "expected a non-negative whole number, got a string that is not a number",
            )),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An optional count or version sent as `7`, `"7"` or `7.0` (absent or
/// `null` is `None`). Use with `#[serde(default, deserialize_with = ...)]`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    deserializer.deserialize_any(LenientU64)
}

struct LenientBool;

impl<'de> Visitor<'de> for LenientBool {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean or the string \"true\" / \"false\"")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("true") {
            Ok(Some(true))
        } else if value.eq_ignore_ascii_case("false") {
            Ok(Some(false))
        } else {
            Err(E::custom(
                "expected a boolean or \"true\" / \"false\", got another string",
            ))
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An optional flag sent as `true` or as the string `"True"` / `"false"`.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    deserializer.deserialize_any(LenientBool)
}

struct LenientString;

impl<'de> Visitor<'de> for LenientString {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(Some(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(Some(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
        // `1.0` is the number 1 that went through a float somewhere: say "1".
        Ok(Some(match whole_f64::<E>(value) {
            Ok(whole) => whole.to_string(),
            Err(_) => value.to_string(),
        }))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An optional identifier or version that is usually a string but sometimes
/// a number (`"1"` or `1`): normalised to its decimal string.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(LenientString)
}

/// A required identifier sent as a string or a number (`"42"` or `42`).
pub(crate) fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    opt_string(deserializer)?.ok_or_else(|| de::Error::custom("expected a string, got null"))
}

/// A list that AWS sometimes sends as `null`: absent and `null` are empty.
pub(crate) fn vec_or_null<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Parses a CodePipeline approval expiry: `2022-08-30T11:09Z` (minutes, no
/// seconds: not RFC 3339) or any RFC 3339 time.
pub fn parse_expiry(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%MZ")
        .ok()
        .map(|naive| naive.and_utc())
}

/// Deserialises an approval expiry with [`parse_expiry`].
pub(crate) fn expiry<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_expiry(&text).ok_or_else(|| {
        de::Error::custom("expected a UTC time like 2022-08-30T11:09Z or an RFC 3339 time")
    })
}
