//! Rules as data: the YAML format of `shared/rules/*.yml`, its validation and
//! compilation into [`Rules`] (regexes plus one keyword automaton).
//!
//! The format is a contract with the rule writers: see `shared/rules/README.md`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::config::RepoConfig;
use super::filters;
use super::validate::Validator;

/// How sure a rule is that a match is a real credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// How bad a leak of the credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        })
    }
}

/// One rule as written in YAML (or in `.codewarden.toml` `[[rules]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    id: String,
    name: String,
    pattern: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    min_entropy: Option<f64>,
    #[serde(default)]
    confidence: Option<Confidence>,
    #[serde(default)]
    severity: Option<Severity>,
    #[serde(default)]
    validate: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    examples: Vec<ExampleSpec>,
    #[serde(default)]
    negative_examples: Vec<String>,
    /// Extension: search up to [`Window::MULTILINE`] around a keyword hit
    /// (PEM blocks, JSON documents) instead of [`Window::DEFAULT`].
    #[serde(default)]
    multiline: bool,
    /// Extension: whole lines searched on each side of a keyword hit's line
    /// (default [`Window::DEFAULT`]`.lines`, at most 256).
    #[serde(default)]
    context_lines: Option<usize>,
    /// Extension: the rule matches loosely (`password = ...`); its candidates
    /// also go through the hash / git SHA filters and lose to a specific
    /// rule's finding on the same text. Default: `confidence: low` or an id
    /// starting with `generic-`.
    #[serde(default)]
    generic: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleSpec {
    text: String,
    secret: String,
}

#[derive(Debug, Deserialize)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

/// An example the rule must find (`text` holds the fake `secret`).
#[derive(Debug, Clone)]
pub(crate) struct Example {
    pub(crate) text: String,
    pub(crate) secret: String,
}

/// How far around a keyword hit the rule's regex looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Whole lines before and after the hit's line.
    pub(crate) lines: usize,
    /// Hard cap in bytes on each side of the hit (minified files have huge lines).
    pub(crate) bytes: usize,
}

impl Window {
    pub(crate) const DEFAULT: Window = Window {
        lines: 0,
        bytes: 4 * 1024,
    };
    pub(crate) const MULTILINE: Window = Window {
        lines: 256,
        bytes: 64 * 1024,
    };
}

/// Shapes a rule legitimately detects, learnt from its examples: a rule whose
/// example secrets are UUIDs (Heroku API keys) must not lose them to the UUID
/// filter.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ShapeExempt {
    pub(crate) uuid: bool,
    pub(crate) hex: bool,
}

/// One compiled detection rule.
#[derive(Debug, Clone)]
pub struct Rule {
    id: String,
    name: String,
    file: String,
    keywords: Vec<String>,
    confidence: Confidence,
    severity: Severity,
    references: Vec<String>,
    pub(crate) regex: Regex,
    pub(crate) min_entropy: Option<f64>,
    pub(crate) validator: Option<Validator>,
    pub(crate) excludes: Vec<Regex>,
    pub(crate) examples: Vec<Example>,
    pub(crate) negative_examples: Vec<String>,
    pub(crate) window: Window,
    pub(crate) generic: bool,
    pub(crate) exempt: ShapeExempt,
}

impl Rule {
    /// Stable kebab-case id, unique across all rule files.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Human-readable name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The file the rule comes from (`aws.yml`, `.codewarden.toml`).
    pub fn file(&self) -> &str {
        &self.file
    }
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }
    pub fn severity(&self) -> Severity {
        self.severity
    }
    /// Case-insensitive literals; the regex only runs near one of them.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }
    /// Documentation links about the credential.
    pub fn references(&self) -> &[String] {
        &self.references
    }
    /// The regex source, as written.
    pub fn pattern(&self) -> &str {
        self.regex.as_str()
    }
}

/// Why a rule set could not be loaded. Names the file, the rule and the fix.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RulesError {
    #[error("{file}: not a valid rule file: {message} (format: shared/rules/README.md)")]
    Parse { file: String, message: String },
    #[error("{file}: rule `{rule_id}`: {problem}")]
    Rule {
        file: String,
        rule_id: String,
        problem: RuleProblem,
    },
    #[error("cannot build the keyword automaton: {message}")]
    Prefilter { message: String },
    #[error("{} problems in the rules:\n{}", .0.len(), join_lines(.0))]
    Many(Vec<RulesError>),
}

fn join_lines(errors: &[RulesError]) -> String {
    errors
        .iter()
        .map(|e| format!("  - {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What is wrong with one rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleProblem {
    #[error("duplicate id, first defined in {first_file}: ids are unique across all rule files")]
    DuplicateId { first_file: String },
    #[error("id must be kebab-case ([a-z0-9-], starting with a letter)")]
    BadId,
    #[error("`{field}` is empty")]
    Empty { field: &'static str },
    #[error("`{field}` does not compile: {message}")]
    Regex { field: String, message: String },
    #[error(
        "pattern must have exactly one capture group (the secret), found {found}; use (?:...) for the others"
    )]
    CaptureGroups { found: usize },
    #[error("no keywords: give at least one literal that occurs in every match")]
    NoKeywords,
    #[error("unknown validator `{name}`; known: {known}")]
    UnknownValidator { name: String, known: String },
    #[error("min_entropy {value} is out of range: use 0.0 to 8.0 (bits per character)")]
    BadEntropy { value: f64 },
    #[error("context_lines {value} is out of range: use 0 to 256, or `multiline: true`")]
    BadContextLines { value: usize },
}

/// A compiled, immutable rule set. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct Rules {
    pub(crate) inner: Arc<RulesInner>,
}

#[derive(Debug)]
pub(crate) struct RulesInner {
    pub(crate) rules: Vec<Rule>,
    /// One case-insensitive automaton over the distinct keywords of all rules;
    /// `None` only for an empty rule set.
    pub(crate) prefilter: Option<AhoCorasick>,
    /// For each automaton pattern (distinct lowercase keyword): the rules using it.
    pub(crate) keyword_rules: Vec<Vec<usize>>,
    /// The distinct lowercase keywords, in automaton pattern order.
    pub(crate) keywords: Vec<String>,
    /// For each automaton pattern: the other keywords (index, offset from
    /// the hit's start) whose occurrence a hit of this one can hide. The
    /// automaton reports non-overlapping leftmost-longest matches, so a
    /// keyword that is a substring of the hit, or starts inside it, is not
    /// reported; the engine checks these few positions itself.
    pub(crate) keyword_hidden: Vec<Vec<(usize, usize)>>,
    /// `.codewarden.toml` `[allow] regexes`, matched against the secret.
    pub(crate) allow_regexes: Vec<Regex>,
}

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

static BUILTIN: LazyLock<Result<Rules, RulesError>> =
    LazyLock::new(|| Rules::from_sources(builtin::BUILTIN_SOURCES));

impl Rules {
    /// The rules embedded from `shared/rules/*.yml`, compiled once per process.
    ///
    /// Fails only if a rule file in the source tree is invalid, which the
    /// `rules` test catches before release.
    pub fn builtin() -> Result<&'static Rules, RulesError> {
        BUILTIN.as_ref().map_err(Clone::clone)
    }

    /// The embedded rule files as `(file name, YAML text)`.
    pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
        builtin::BUILTIN_SOURCES
    }

    /// Parses and compiles rule files given as `(file name, YAML text)`.
    /// Reports every problem found, not only the first.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<Rules, RulesError> {
        let mut specs = Vec::new();
        let mut errors = Vec::new();
        for (file, text) in sources {
            match parse_file(file, text) {
                Ok(parsed) => specs.extend(parsed.into_iter().map(|s| (file.to_string(), s))),
                Err(e) => errors.push(e),
            }
        }
        let (rules, mut more) = compile_specs(specs, &[], true);
        errors.append(&mut more);
        if !errors.is_empty() {
            return Err(many(errors));
        }
        Rules::assemble(rules, Vec::new())
    }

    /// This rule set adjusted by a repository's `.codewarden.toml`: rules in
    /// `[allow] rules` removed, `[[rules]]` added, `[allow] regexes` applied
    /// to every candidate secret.
    pub fn with_config(&self, config: &RepoConfig) -> Result<Rules, RulesError> {
        let kept: Vec<Rule> = self
            .inner
            .rules
            .iter()
            .filter(|r| !config.disabled_rules().iter().any(|d| d == r.id()))
            .cloned()
            .collect();
        let extra = config
            .extra_rules()
            .iter()
            .map(|s| (config.name().to_string(), s.clone()))
            .collect();
        // A repository's pattern may hold a literal secret: its errors do
        // not quote it.
        let (added, errors) = compile_specs(extra, &kept, false);
        if !errors.is_empty() {
            return Err(many(errors));
        }
        let mut rules = kept;
        rules.extend(added);
        let mut allow = self.inner.allow_regexes.clone();
        allow.extend(config.allow_regexes().iter().cloned());
        Rules::assemble(rules, allow)
    }

    fn assemble(rules: Vec<Rule>, allow_regexes: Vec<Regex>) -> Result<Rules, RulesError> {
        let mut keyword_index: HashMap<String, usize> = HashMap::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (rule_idx, rule) in rules.iter().enumerate() {
            for kw in &rule.keywords {
                let lower = kw.to_ascii_lowercase();
                let idx = *keyword_index.entry(lower.clone()).or_insert_with(|| {
                    keywords.push(lower);
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if !keyword_rules[idx].contains(&rule_idx) {
                    keyword_rules[idx].push(rule_idx);
                }
            }
        }
        let keyword_hidden = hidden_keywords(&keywords);
        let prefilter = if keywords.is_empty() {
            None
        } else {
            Some(
                // Non-overlapping leftmost-longest matches: far cheaper than
                // overlapping ones; the keywords a match can hide are
                // checked through `keyword_hidden`.
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&keywords)
                    .map_err(|e| RulesError::Prefilter {
                        message: e.to_string(),
                    })?,
            )
        };
        Ok(Rules {
            inner: Arc::new(RulesInner {
                rules,
                prefilter,
                keyword_rules,
                keywords,
                keyword_hidden,
                allow_regexes,
            }),
        })
    }

    /// The rules, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.inner.rules.iter()
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.inner.rules.iter().find(|r| r.id == id)
    }

    pub fn len(&self) -> usize {
        self.inner.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.rules.is_empty()
    }
}

/// For each keyword (lowercase), the other keywords whose occurrence a
/// leftmost-longest, non-overlapping match of it can hide, with their offset
/// from the match's start.
///
/// A hidden occurrence of `other` starts inside the reported match `kw`
/// (at offset `o`) and agrees with it on their overlap: `other` is a
/// substring of `kw`, or a suffix of `kw` is a prefix of `other`. At `o = 0`
/// a longer `other` would have been reported instead, so it is not hidden.
fn hidden_keywords(keywords: &[String]) -> Vec<Vec<(usize, usize)>> {
    keywords
        .iter()
        .enumerate()
        .map(|(i, kw)| {
            let kw = kw.as_bytes();
            let mut hidden = Vec::new();
            for (j, other) in keywords.iter().enumerate() {
                let other = other.as_bytes();
                if i == j {
                    continue;
                }
                for o in 0..kw.len() {
                    let n = (kw.len() - o).min(other.len());
                    if !(o == 0 && other.len() > kw.len()) && kw[o..o + n] == other[..n] {
                        hidden.push((j, o));
                    }
                }
            }
            hidden
        })
        .collect()
}

fn many(mut errors: Vec<RulesError>) -> RulesError {
    if errors.len() == 1 {
        errors.remove(0)
    } else {
        RulesError::Many(errors)
    }
}

fn parse_file(file: &str, text: &str) -> Result<Vec<RuleSpec>, RulesError> {
    // A file that is only comments (being written) holds no rules.
    let has_content = text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#') && t != "---"
    });
    if !has_content {
        return Ok(Vec::new());
    }
    serde_yaml_ng::from_str::<RuleFile>(text)
        .map(|f| f.rules)
        .map_err(|e| RulesError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })
}

/// Compiles specs, checking ids against each other and against `existing`.
/// Regex errors quote the pattern only if `quote_patterns` (rule files of
/// the source tree, not a repository's configuration).
fn compile_specs(
    specs: Vec<(String, RuleSpec)>,
    existing: &[Rule],
    quote_patterns: bool,
) -> (Vec<Rule>, Vec<RulesError>) {
    let mut seen: HashMap<String, String> = existing
        .iter()
        .map(|r| (r.id.clone(), r.file.clone()))
        .collect();
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    // Rule files share exclude lists (YAML anchors): compile each once.
    let mut cache: HashMap<String, Regex> = HashMap::new();
    for (index, (file, spec)) in specs.into_iter().enumerate() {
        // A repository's rule with an invalid id is named by its position:
        // that id may be anything, even a secret. (A valid id is shown in
        // every finding of the rule anyway.)
        let label = if quote_patterns || id_is_valid(&spec.id) {
            spec.id.clone()
        } else {
            format!("[[rules]][{index}]")
        };
        if let Some(first_file) = seen.get(&spec.id) {
            errors.push(RulesError::Rule {
                file: file.clone(),
                rule_id: label,
                problem: RuleProblem::DuplicateId {
                    first_file: first_file.clone(),
                },
            });
            continue;
        }
        seen.insert(spec.id.clone(), file.clone());
        match compile_rule(&file, spec, &mut cache, quote_patterns) {
            Ok(rule) => rules.push(rule),
            Err(problems) => errors.extend(problems.into_iter().map(|problem| RulesError::Rule {
                file: file.clone(),
                rule_id: label.clone(),
                problem,
            })),
        }
    }
    (rules, errors)
}

/// Kebab-case: `[a-z0-9-]`, starting with a letter.
fn id_is_valid(id: &str) -> bool {
    id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, regex::Error> {
    // ASCII classes: secrets are ASCII, and Unicode-aware \b / \w would make
    // the lazy DFA give up on non-ASCII input (slow path).
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(16 * 1024 * 1024)
        .dfa_size_limit(16 * 1024 * 1024)
        .build()
}

/// A regex error without the pattern: the regex crate's message quotes
/// the pattern on its first lines (a configuration's pattern may hold a
/// literal secret); its last line is the error kind.
pub(crate) fn regex_error_kind(e: &regex::Error) -> String {
    e.to_string()
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn compile_rule(
    file: &str,
    spec: RuleSpec,
    cache: &mut HashMap<String, Regex>,
    quote_patterns: bool,
) -> Result<Rule, Vec<RuleProblem>> {
    let regex_message = |e: &regex::Error| {
        if quote_patterns {
            e.to_string()
        } else {
            regex_error_kind(e)
        }
    };
    let mut problems = Vec::new();
    if !id_is_valid(&spec.id) {
        problems.push(RuleProblem::BadId);
    }
    if spec.name.trim().is_empty() {
        problems.push(RuleProblem::Empty { field: "name" });
    }
    let keywords: Vec<String> = spec.keywords.iter().map(|k| k.trim().to_string()).collect();
    if keywords.is_empty() {
        problems.push(RuleProblem::NoKeywords);
    } else if keywords.iter().any(String::is_empty) {
        problems.push(RuleProblem::Empty { field: "keywords" });
    }
    let regex = match compile_regex(&spec.pattern) {
        Ok(re) => {
            let found = re.captures_len().saturating_sub(1);
            if found != 1 {
                problems.push(RuleProblem::CaptureGroups { found });
            }
            Some(re)
        }
        Err(e) => {
            problems.push(RuleProblem::Regex {
                field: "pattern".into(),
                message: regex_message(&e),
            });
            None
        }
    };
    let mut excludes = Vec::new();
    for (i, ex) in spec.exclude.iter().enumerate() {
        if let Some(re) = cache.get(ex) {
            excludes.push(re.clone());
            continue;
        }
        match compile_regex(ex) {
            Ok(re) => {
                cache.insert(ex.clone(), re.clone());
                excludes.push(re);
            }
            Err(e) => problems.push(RuleProblem::Regex {
                field: format!("exclude[{i}]"),
                message: regex_message(&e),
            }),
        }
    }
    let validator = match spec.validate.as_deref() {
        None => None,
        Some(name) => match Validator::from_name(name) {
            Some(v) => Some(v),
            None => {
                problems.push(RuleProblem::UnknownValidator {
                    name: if quote_patterns {
                        name.to_string()
                    } else {
                        "(not shown)".to_owned()
                    },
                    known: Validator::known_names().join(", "),
                });
                None
            }
        },
    };
    if let Some(value) = spec.min_entropy
        && !(0.0..=8.0).contains(&value)
    {
        problems.push(RuleProblem::BadEntropy { value });
    }
    if let Some(value) = spec.context_lines
        && value > Window::MULTILINE.lines
    {
        problems.push(RuleProblem::BadContextLines { value });
    }
    let Some(regex) = regex else {
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let confidence = spec.confidence.unwrap_or(Confidence::Medium);
    let generic = spec
        .generic
        .unwrap_or(confidence == Confidence::Low || spec.id.starts_with("generic-"));
    let exempt = ShapeExempt {
        uuid: spec
            .examples
            .iter()
            .any(|e| filters::is_uuid(e.secret.as_bytes())),
        hex: spec
            .examples
            .iter()
            .any(|e| filters::is_hex_digest(e.secret.as_bytes())),
    };
    Ok(Rule {
        id: spec.id,
        name: spec.name,
        file: file.to_string(),
        keywords,
        confidence,
        severity: spec.severity.unwrap_or(Severity::High),
        references: spec.references,
        regex,
        min_entropy: spec.min_entropy,
        validator,
        excludes,
        examples: spec
            .examples
            .into_iter()
            .map(|e| Example {
                text: e.text,
                secret: e.secret,
            })
            .collect(),
        negative_examples: spec.negative_examples,
        window: match (spec.multiline, spec.context_lines) {
            (true, _) => Window::MULTILINE,
            (false, Some(lines)) => Window {
                lines,
                ..Window::DEFAULT
            },
            (false, None) => Window::DEFAULT,
        },
        generic,
        exempt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
rules:
  - id: demo-token
    name: Demo token
    pattern: '\b(demo_[a-z0-9]{8})\b'
    keywords: [demo_]
    confidence: high
    examples:
      - text: 'x = demo_k3j9x8q2'
        secret: demo_k3j9x8q2
    negative_examples: ['demo_']
"#;

    #[test]
    fn compiles_a_valid_file_with_defaults() -> Result<(), RulesError> {
        // GIVEN a valid rule without severity
        // WHEN it is compiled
        let rules = Rules::from_sources(&[("demo.yml", GOOD)])?;
        // THEN it is there, with the documented default severity
        let rule = rules
            .get("demo-token")
            .ok_or_else(|| RulesError::Prefilter {
                message: "missing".into(),
            })?;
        assert_eq!(rule.severity(), Severity::High);
        assert_eq!(rule.confidence(), Confidence::High);
        assert_eq!(rule.file(), "demo.yml");
        Ok(())
    }

    fn problems_of(yaml: &str) -> Vec<String> {
        match Rules::from_sources(&[("bad.yml", yaml)]) {
            Ok(_) => Vec::new(),
            Err(RulesError::Many(v)) => v.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn reports_each_problem_with_file_and_rule() {
        // GIVEN a rule with two capture groups, no keywords and an unknown validator
        let yaml = r#"
rules:
  - id: broken-one
    name: Broken
    pattern: '(a)(b)'
    keywords: []
    validate: luhn-ish
"#;
        // WHEN compiled
        let problems = problems_of(yaml);
        // THEN every problem names the file and the rule
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems
                .iter()
                .all(|p| p.starts_with("bad.yml: rule `broken-one`"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("exactly one capture group"))
        );
        assert!(problems.iter().any(|p| p.contains("no keywords")));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("unknown validator `luhn-ish`"))
        );
    }

    #[test]
    fn rejects_duplicate_ids_across_files_and_bad_regex() {
        // GIVEN the same id in two files, and an invalid regex
        let bad = GOOD.replace(r"\b(demo_[a-z0-9]{8})\b", "(demo_[");
        let res = Rules::from_sources(&[("a.yml", GOOD), ("b.yml", GOOD), ("c.yml", &bad)]);
        // WHEN / THEN both are reported
        let text = match res {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(
            text.contains("b.yml: rule `demo-token`: duplicate id, first defined in a.yml"),
            "{text}"
        );
        assert!(text.contains("c.yml: rule `demo-token`"), "{text}");
    }

    #[test]
    fn rejects_unknown_fields_and_accepts_comment_only_files() {
        // GIVEN a typo in a field name
        let typo = GOOD.replace("keywords:", "keyword:");
        // THEN it is a parse error naming the file
        let problems = problems_of(&typo);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("bad.yml: not a valid rule file")),
            "{problems:?}"
        );
        // AND a file with only comments is an empty rule set
        assert!(problems_of("# work in progress\n").is_empty());
    }
}
