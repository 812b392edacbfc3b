//! A repository's `.codewarden.toml`: paths, secrets and rules it allows,
//! and rules of its own.
//!
//! ```toml
//! [allow]
//! paths = ["tests/fixtures/**", "*.lock"]   # globs; a glob without '/' matches at any depth
//! regexes = ['^AKIA[A-Z2-7]{12}TEST$']      # matched against the secret
//! rules = ["generic-password"]              # rule ids to turn off
//!
//! [[rules]]                                 # same fields as shared/rules/*.yml
//! id = "acme-api-key"
//! name = "ACME API key"
//! pattern = '\b(acme_[A-Za-z0-9]{32})\b'
//! keywords = ["acme_"]
//! ```

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Deserialize;

use super::ScanError;
use super::rules::{RuleSpec, compile_regex, regex_error_kind};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    allow: AllowSection,
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowSection {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
}

/// A parsed `.codewarden.toml`. Apply it with [`Rules::with_config`]; ask
/// [`RepoConfig::path_allowed`] before scanning a path.
///
/// [`Rules::with_config`]: super::Rules::with_config
#[derive(Debug, Clone)]
pub struct RepoConfig {
    allow_paths: GlobSet,
    allow_regexes: Vec<Regex>,
    disabled_rules: Vec<String>,
    extra_rules: Vec<RuleSpec>,
    /// The `[allow]` entries as written, for [`RepoConfig::allow_entries`].
    entries: AllowEntries,
    /// Where the text came from, for error messages.
    name: String,
}

/// The `[allow]` entries of a `.codewarden.toml`, as written: what a
/// change of the file loosens or tightens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowEntries {
    pub paths: Vec<String>,
    pub regexes: Vec<String>,
    pub rules: Vec<String>,
}

impl Default for RepoConfig {
    fn default() -> Self {
        RepoConfig {
            name: Self::FILE_NAME.to_string(),
            allow_paths: GlobSet::empty(),
            allow_regexes: Vec::new(),
            disabled_rules: Vec::new(),
            extra_rules: Vec::new(),
            entries: AllowEntries::default(),
        }
    }
}

impl RepoConfig {
    /// The file name enumerators look for at the repository root.
    pub const FILE_NAME: &'static str = ".codewarden.toml";

    /// Parses the text of a `.codewarden.toml`. Globs and regexes are
    /// checked here; extra rules are compiled by [`Rules::with_config`].
    ///
    /// [`Rules::with_config`]: super::Rules::with_config
    pub fn from_toml(text: &str) -> Result<RepoConfig, ScanError> {
        Self::from_toml_named(text, Self::FILE_NAME)
    }

    /// Like [`RepoConfig::from_toml`], for text read from `name` (a path, or
    /// `<commit>:.codewarden.toml`): errors here and from
    /// [`Rules::with_config`] name it instead of `.codewarden.toml`.
    ///
    /// [`Rules::with_config`]: super::Rules::with_config
    pub fn from_toml_named(text: &str, name: &str) -> Result<RepoConfig, ScanError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| {
            // Never toml's Display (it quotes the offending line) nor its
            // message as is (serde's quotes the value): either may be an
            // allowlisted secret. Position and kind only.
            let (line, column) = match e.span() {
                Some(span) => {
                    let before = &text.as_bytes()[..span.start.min(text.len())];
                    let line_start = before
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |p| p + 1);
                    let column = String::from_utf8_lossy(&before[line_start..])
                        .chars()
                        .count()
                        + 1;
                    (
                        Some(before.iter().filter(|&&b| b == b'\n').count() + 1),
                        Some(column),
                    )
                }
                None => (None, None),
            };
            ScanError::Config {
                file: name.to_string(),
                line,
                column,
                message: super::without_values(e.message(), "not valid TOML syntax"),
            }
        })?;
        let mut globs = GlobSetBuilder::new();
        for (index, pattern) in file.allow.paths.iter().enumerate() {
            // Like .gitignore: a pattern without '/' matches a name at any depth.
            let full = if pattern.contains('/') {
                pattern.trim_start_matches("./").to_string()
            } else {
                format!("**/{pattern}")
            };
            let glob = GlobBuilder::new(&full)
                .literal_separator(true)
                .build()
                .map_err(|e| ScanError::Glob {
                    file: name.to_string(),
                    index,
                    message: e.kind().to_string(),
                })?;
            globs.add(glob);
        }
        let allow_paths = globs.build().map_err(|e| ScanError::Glob {
            file: name.to_string(),
            index: 0,
            // Not `e.to_string()`: it quotes the glob.
            message: e.kind().to_string(),
        })?;
        let mut allow_regexes = Vec::new();
        for (index, pattern) in file.allow.regexes.iter().enumerate() {
            let re = compile_regex(pattern).map_err(|e| ScanError::AllowRegex {
                file: name.to_string(),
                index,
                message: regex_error_kind(&e),
            })?;
            allow_regexes.push(re);
        }
        Ok(RepoConfig {
            allow_paths,
            allow_regexes,
            entries: AllowEntries {
                paths: file.allow.paths,
                regexes: file.allow.regexes,
                rules: file.allow.rules.clone(),
            },
            disabled_rules: file.allow.rules,
            extra_rules: file.rules,
            name: name.to_string(),
        })
    }

    /// The `[allow]` entries as written.
    pub fn allow_entries(&self) -> &AllowEntries {
        &self.entries
    }

    /// This configuration without its `[allow]` section: its own
    /// `[[rules]]` still add detection, nothing is allowed. For
    /// deployments whose policy forbids repository-level allowlists.
    pub fn without_allowlists(&self) -> RepoConfig {
        RepoConfig {
            allow_paths: GlobSet::empty(),
            allow_regexes: Vec::new(),
            disabled_rules: Vec::new(),
            extra_rules: self.extra_rules.clone(),
            entries: AllowEntries::default(),
            name: self.name.clone(),
        }
    }

    /// Where the configuration came from (`.codewarden.toml` unless given
    /// to [`RepoConfig::from_toml_named`]).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether `path` (relative to the repository root, `/` or `\`
    /// separated) matches an `[allow] paths` glob: findings there are
    /// allowed, so the file need not be scanned.
    pub fn path_allowed(&self, path: &str) -> bool {
        let normalized = path.replace('\\', "/");
        self.allow_paths
            .is_match(normalized.trim_start_matches("./").trim_start_matches('/'))
    }

    /// Rule ids listed in `[allow] rules`.
    pub fn disabled_rules(&self) -> &[String] {
        &self.disabled_rules
    }

    pub(crate) fn extra_rules(&self) -> &[RuleSpec] {
        &self.extra_rules
    }

    pub(crate) fn allow_regexes(&self) -> &[Regex] {
        &self.allow_regexes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_sections() -> Result<(), ScanError> {
        // GIVEN a config with every section
        let cfg = RepoConfig::from_toml(
            r#"
[allow]
paths = ["tests/fixtures/**", "*.lock", "./docs/*.md"]
regexes = ['^AKIA[A-Z2-7]{12}TEST$']
rules = ["generic-password"]

[[rules]]
id = "acme-api-key"
name = "ACME API key"
pattern = '\b(acme_[A-Za-z0-9]{32})\b'
keywords = ["acme_"]
"#,
        )?;
        // THEN paths match as documented
        assert!(cfg.path_allowed("tests/fixtures/a/b.env"));
        assert!(cfg.path_allowed("./Cargo.lock"));
        assert!(cfg.path_allowed("sub\\dir\\yarn.lock"));
        assert!(cfg.path_allowed("docs/readme.md"));
        assert!(!cfg.path_allowed("docs/deep/readme.md"));
        assert!(!cfg.path_allowed("src/main.rs"));
        assert_eq!(cfg.disabled_rules(), ["generic-password"]);
        assert_eq!(cfg.extra_rules().len(), 1);
        assert_eq!(cfg.allow_regexes().len(), 1);
        Ok(())
    }

    #[test]
    fn errors_do_not_quote_the_config() {
        // GIVEN an invalid regex and a syntax error next to a secret-looking value
        let bad_regex = RepoConfig::from_toml("[allow]\nregexes = ['(AKIAZ7Q3XK2LMNB4RT6Y']\n");
        let bad_toml = RepoConfig::from_toml("[allow]\nregexes = 'AKIAZ7Q3XK2LMNB4RT6Y\n");
        // THEN both fail, naming where, without the value
        for res in [bad_regex, bad_toml] {
            let msg = res.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(msg.contains(".codewarden.toml"), "{msg}");
            assert!(!msg.contains("AKIAZ7Q3XK2LMNB4RT6Y"), "{msg}");
        }
    }

    #[test]
    fn errors_name_the_source() {
        // GIVEN an invalid config read from another file
        let res = RepoConfig::from_toml_named("[allow]\nregexes = ['(x']\n", "ci/scan.toml");
        // THEN the error names that file
        let msg = res.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.starts_with("ci/scan.toml: [allow] regexes[0]"), "{msg}");
        let ok = RepoConfig::from_toml_named("", "ci/scan.toml");
        assert_eq!(
            ok.map(|c| c.name().to_string()).ok().as_deref(),
            Some("ci/scan.toml")
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        // GIVEN a typo in a section key
        let res = RepoConfig::from_toml("[allow]\npath = ['x']\n");
        // THEN it is an error rather than a silently ignored allowlist
        assert!(res.is_err());
    }

    /// The error and its whole source chain, Debug included.
    fn chain(error: &dyn std::error::Error) -> String {
        let mut text = format!("{error} {error:?}");
        let mut source = error.source();
        while let Some(e) = source {
            text.push_str(&format!("\n{e} {e:?}"));
            source = e.source();
        }
        text
    }

    #[test]
    fn no_error_quotes_a_value_of_the_config() -> Result<(), super::super::RulesError> {
        const KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";
        // GIVEN configs whose bad value is an AWS key: a string where a list
        // goes, a key as an unknown key, a duplicate key, an unquoted
        // value, a glob that does not parse, an integer beside it
        let parse_cases = [
            (
                format!("[allow]\npaths = \"{KEY}\"\n"),
                "(line 2, column 9): a value has the wrong type, expected a sequence",
            ),
            (
                format!("[allow]\n{KEY} = [\"x\"]\n"),
                "(line 2, column 1): unknown key, expected one of `paths`, `regexes`, `rules`",
            ),
            (
                format!("[allow]\npaths = [\"a\"]\npaths = [\"{KEY}\"]\n"),
                "(line 3, column 1): a key is given twice",
            ),
            (
                format!("[allow]\nrules = [{KEY}]\n"),
                "(line 2, column 10): not valid TOML syntax",
            ),
            (
                format!("[allow]\nrules = [1, \"{KEY}\"]\n"),
                "(line 2, column 10): a value has the wrong type, expected a string",
            ),
        ];
        for (text, expected) in &parse_cases {
            // WHEN parsed
            let error = match RepoConfig::from_toml(text) {
                Ok(_) => panic!("accepted {text}"),
                Err(e) => e,
            };
            // THEN the message says where and what, never the key
            let all = chain(&error);
            assert!(!all.contains("AKIA"), "{all}");
            let message = error.to_string();
            assert!(
                message.starts_with(".codewarden.toml is not valid"),
                "{message}"
            );
            assert!(message.ends_with(expected), "{message} / {expected}");
        }
        // AND a glob that does not parse is named by its index
        let glob = RepoConfig::from_toml(&format!("[allow]\npaths = [\"ok/**\", \"{KEY}[\"]\n"));
        let error = glob
            .err()
            .map(|e| (e.to_string(), chain(&e)))
            .unwrap_or_default();
        assert!(!error.1.contains("AKIA"), "{}", error.1);
        assert!(
            error
                .0
                .starts_with(".codewarden.toml: [allow] paths[1] is not a valid glob"),
            "{}",
            error.0
        );
        // AND a repository rule whose id or validator is a key is named by position
        for rule in [
            format!(
                "id = \"{KEY}\"\nname = \"x\"\npattern = '(x[0-9]{{8}})'\nkeywords = [\"x\"]\n"
            ),
            format!(
                "id = \"acme\"\nname = \"x\"\npattern = '(x[0-9]{{8}})'\nkeywords = [\"x\"]\nvalidate = \"{KEY}\"\n"
            ),
        ] {
            let config = RepoConfig::from_toml(&format!("[[rules]]\n{rule}"))
                .unwrap_or_else(|e| panic!("{e}"));
            let error = match super::super::Rules::builtin()?.with_config(&config) {
                Ok(_) => panic!("accepted {rule}"),
                Err(e) => e,
            };
            let all = chain(&error);
            assert!(!all.contains("AKIA"), "{all}");
        }
        Ok(())
    }
}
