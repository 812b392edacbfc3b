//! `Rules::check`: every rule proves itself on its own examples.
//!
//! Example texts are fake by contract (`shared/rules/README.md`), so the
//! failures quote them: a rule writer needs to see which one broke.

use std::fmt;

use super::engine::Scanner;
use super::finding::{DropReason, fingerprint};
use super::rules::{Rule, Rules};

/// Keywords shorter than this hit almost everywhere and defeat the prefilter.
const MIN_KEYWORD_LEN: usize = 3;

/// One rule that does not hold up against its examples.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailure {
    pub file: String,
    pub rule_id: String,
    pub problem: CheckProblem,
}

impl fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: rule `{}`: {}",
            self.file, self.rule_id, self.problem
        )
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CheckProblem {
    #[error("no examples: add at least one `examples` entry (text + secret)")]
    NoExamples,
    #[error("no negative examples: add at least one near miss that must not be reported")]
    NoNegativeExamples,
    #[error(
        "keyword `{keyword}` is shorter than {MIN_KEYWORD_LEN} characters: the regex would run almost everywhere"
    )]
    ShortKeyword { keyword: String },
    #[error(
        "pattern is verbose (?x) and has a space inside [...]: verbose mode ignores it; write \\x20 (or \\ )"
    )]
    VerboseClassSpace,
    #[error("example does not match the pattern:\n      {text:?}")]
    ExampleNoMatch { text: String },
    #[error("example captures {captured:?}, expected {expected:?}:\n      {text:?}")]
    ExampleWrongCapture {
        text: String,
        expected: String,
        captured: Vec<String>,
    },
    #[error(
        "no keyword of the rule occurs in the example, so the regex never runs on it:\n      {text:?}"
    )]
    ExampleNoKeyword { text: String },
    #[error("example is matched but dropped ({reason}):\n      {text:?}")]
    ExampleDropped { text: String, reason: DropReason },
    #[error("example is matched but produces no finding (window too small?):\n      {text:?}")]
    ExampleNoFinding { text: String },
    #[error("negative example is reported by rule `{by_rule}` as {masked}:\n      {text:?}")]
    NegativeReported {
        text: String,
        by_rule: String,
        masked: String,
    },
}

impl Rules {
    /// Checks every rule against its examples, with the whole rule set
    /// running (as users run it): each example is reported by its rule with
    /// exactly the given secret; no negative example is reported by any
    /// rule; each rule has both kinds of example and usable keywords.
    pub fn check(&self) -> Vec<CheckFailure> {
        let scanner = Scanner::new(self);
        let mut failures = Vec::new();
        for rule in self.iter() {
            let mut fail = |problem| {
                failures.push(CheckFailure {
                    file: rule.file().to_string(),
                    rule_id: rule.id().to_string(),
                    problem,
                })
            };
            if rule.examples.is_empty() {
                fail(CheckProblem::NoExamples);
            }
            if rule.negative_examples.is_empty() {
                fail(CheckProblem::NoNegativeExamples);
            }
            for kw in rule.keywords() {
                if kw.len() < MIN_KEYWORD_LEN {
                    fail(CheckProblem::ShortKeyword {
                        keyword: kw.clone(),
                    });
                }
            }
            if verbose_class_has_space(rule.pattern()) {
                fail(CheckProblem::VerboseClassSpace);
            }
            for ex in &rule.examples {
                if let Some(problem) = check_example(&scanner, rule, &ex.text, &ex.secret) {
                    fail(problem);
                }
            }
            for text in &rule.negative_examples {
                for f in scanner.scan(text.as_bytes()) {
                    fail(CheckProblem::NegativeReported {
                        text: text.clone(),
                        by_rule: f.rule_id,
                        masked: f.masked,
                    });
                }
            }
        }
        failures
    }
}

fn check_example(scanner: &Scanner, rule: &Rule, text: &str, secret: &str) -> Option<CheckProblem> {
    let captured: Vec<String> = rule
        .regex
        .captures_iter(text.as_bytes())
        .filter_map(|c| c.get(1))
        .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
        .collect();
    if captured.is_empty() {
        return Some(CheckProblem::ExampleNoMatch { text: text.into() });
    }
    if !captured.iter().any(|c| c == secret) {
        return Some(CheckProblem::ExampleWrongCapture {
            text: text.into(),
            expected: secret.into(),
            captured,
        });
    }
    let lower = text.to_ascii_lowercase();
    if !rule
        .keywords()
        .iter()
        .any(|k| lower.contains(&k.to_ascii_lowercase()))
    {
        return Some(CheckProblem::ExampleNoKeyword { text: text.into() });
    }
    let want = fingerprint(rule.id(), secret.as_bytes());
    let outcome = scanner.scan_explained(text.as_bytes());
    if outcome
        .findings
        .iter()
        .any(|f| f.rule_id == rule.id() && f.fingerprint == want)
    {
        return None;
    }
    match outcome
        .dropped
        .into_iter()
        .find(|d| d.rule_id == rule.id() && d.fingerprint == want)
    {
        Some(d) => Some(CheckProblem::ExampleDropped {
            text: text.into(),
            reason: d.reason,
        }),
        None => Some(CheckProblem::ExampleNoFinding { text: text.into() }),
    }
}

/// In `(?x)` mode the regex crate ignores whitespace even inside a class,
/// so `[ \t]` silently means `[\t]`. Flags a literal space or tab inside
/// `[...]` of a pattern that turns verbose mode on.
fn verbose_class_has_space(pattern: &str) -> bool {
    let verbose = pattern.match_indices("(?").any(|(i, _)| {
        let flags: String = pattern[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .collect();
        flags.split('-').next().is_some_and(|on| on.contains('x'))
    });
    if !verbose {
        return false;
    }
    let mut depth = 0usize;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            ' ' | '\t' if depth > 0 => return true,
            '#' if depth == 0 => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_spaces_in_verbose_classes_only() {
        // GIVEN verbose and non-verbose patterns
        // THEN only a literal space inside a class of a verbose pattern is flagged
        assert!(verbose_class_has_space("(?x) a [ \\t]* b"));
        assert!(!verbose_class_has_space(
            "(?x) a [\\x20\\t]* b  # [ comment ]"
        ));
        assert!(!verbose_class_has_space("a [ \\t]* b"));
        assert!(!verbose_class_has_space("(?x) a \\[ b \\]"));
    }
}
