//! The approval policy and its evaluation.
//!
//! JSON (the `ApprovalPolicy` SAM parameter, `APPROVAL_POLICY` in the
//! function's environment), read and validated once at cold start:
//!
//! ```json
//! {
//!   "rejectOnFindings": true,
//!   "rules": [
//!     {"pipeline": "web", "stage": "Approve", "repository": "web-app",
//!      "autoApprove": true,
//!      "changeWindows": [{"timeZone": "Europe/Berlin", "days": ["Mon", "Tue", "Wed", "Thu"],
//!                         "start": "09:00", "end": "16:00"}]},
//!     {"pipeline": "*", "repository": "monorepo"}
//!   ]
//! }
//! ```
//!
//! The first rule whose `pipeline` (exact, or `*`) and `stage` (exact, or
//! absent for any) match is the pipeline's rule. [`Policy::evaluate`]:
//!
//! 1. findings on the source commit: reject (`rejectOnFindings`, default
//!    `true`), otherwise ask a human;
//! 2. scanned clean, a rule with `autoApprove`, and now inside one of its
//!    change windows: approve;
//! 3. anything else (not scanned, report unreadable, no rule, no window):
//!    ask a human. Nothing is approved without a clean report.
//!
//! A window whose `end` is before its `start` runs over midnight into the
//! next day; `end` may be `24:00`. `days` are the days the window starts on.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

/// The whole policy.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Reject automatically when the commit has findings (default `true`).
    #[serde(default = "yes")]
    pub reject_on_findings: bool,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Default for Policy {
    /// Reject on findings, ask a human for everything else.
    fn default() -> Self {
        Self {
            reject_on_findings: true,
            rules: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// What the policy says about one pipeline (and stage).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// Pipeline name, or `*` for every pipeline.
    pub pipeline: String,
    /// Stage name; absent for every stage of the pipeline.
    #[serde(default)]
    pub stage: Option<String>,
    /// The CodeCommit repository the pipeline builds, where the findings
    /// report is looked up; absent: taken from the source revision URL.
    #[serde(default)]
    pub repository: Option<String>,
    /// Approve automatically when scanned clean and inside a change window.
    #[serde(default)]
    pub auto_approve: bool,
    /// When automatic approval may happen; none means never.
    #[serde(default)]
    pub change_windows: Vec<ChangeWindow>,
}

impl Rule {
    fn matches(&self, pipeline: &str, stage: &str) -> bool {
        (self.pipeline == "*" || self.pipeline == pipeline)
            && self.stage.as_deref().is_none_or(|s| s == stage)
    }
}

/// Days and hours in a time zone.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangeWindow {
    /// IANA name, e.g. `Europe/Berlin`, `UTC`.
    #[serde(deserialize_with = "time_zone")]
    pub time_zone: Tz,
    /// `Mon` ... `Sun` (or full names): the days the window opens.
    #[serde(deserialize_with = "weekdays")]
    pub days: Vec<Weekday>,
    /// `HH:MM`, minutes after local midnight.
    #[serde(deserialize_with = "minute_of_day")]
    pub start: u32,
    /// `HH:MM` or `24:00`.
    #[serde(deserialize_with = "minute_of_day")]
    pub end: u32,
}

const DAY_MINUTES: u32 = 24 * 60;

impl ChangeWindow {
    /// Whether `now` is inside the window.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.time_zone);
        let minute = local.hour() * 60 + local.minute();
        let today = local.weekday();
        if self.start < self.end {
            self.days.contains(&today) && (self.start..self.end).contains(&minute)
        } else {
            // Over midnight: the evening of an opening day or the morning after it.
            (self.days.contains(&today) && minute >= self.start)
                || (self.days.contains(&today.pred()) && minute < self.end)
        }
    }

    /// `Mon-Thu 09:00-16:00 Europe/Berlin`, for summaries.
    pub fn describe(&self) -> String {
        let days: Vec<String> = self.days.iter().map(|d| d.to_string()).collect();
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        format!(
            "{} {}-{} {}",
            days.join(","),
            hm(self.start),
            hm(self.end),
            self.time_zone.name()
        )
    }
}

fn time_zone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let name = String::deserialize(d)?;
    name.parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "expected an IANA time zone name such as `Europe/Berlin` or `UTC`, found `{name}`"
        ))
    })
}

fn weekdays<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Weekday>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    if names.is_empty() {
        return Err(serde::de::Error::custom("expected at least one day"));
    }
    names
        .iter()
        .map(|name| {
            name.parse::<Weekday>().map_err(|_| {
                serde::de::Error::custom(format!("expected a day such as `Mon`, found `{name}`"))
            })
        })
        .collect()
}

fn minute_of_day<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let text = String::deserialize(d)?;
    if text == "24:00" {
        return Ok(DAY_MINUTES);
    }
    NaiveTime::parse_from_str(&text, "%H:%M")
        .map(|t| t.hour() * 60 + t.minute())
        .map_err(|_| serde::de::Error::custom(format!("expected `HH:MM`, found `{text}`")))
}

/// A policy that cannot be used. Retrying cannot help: fix the parameter.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("APPROVAL_POLICY is not valid JSON for a policy: `{path}`: {message}")]
    Invalid { path: String, message: String },
    #[error("APPROVAL_POLICY rule {index}: {problem}")]
    Rule { index: usize, problem: String },
}

impl Policy {
    /// Reads and checks the policy JSON (an empty text is the default policy).
    pub fn from_json(text: &str) -> Result<Self, PolicyError> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let policy: Policy =
            serde_path_to_error::deserialize(&mut de).map_err(|e| PolicyError::Invalid {
                path: e.path().to_string(),
                message: e.inner().to_string(),
            })?;
        for (index, rule) in policy.rules.iter().enumerate() {
            let problem = if rule.pipeline.trim().is_empty() {
                Some("`pipeline` is empty: name a pipeline or use `*`".to_owned())
            } else if rule.auto_approve && rule.change_windows.is_empty() {
                Some(
                    "`autoApprove` needs at least one change window (use all days, \
                     00:00-24:00, to allow any time)"
                        .to_owned(),
                )
            } else {
                rule.change_windows
                    .iter()
                    .find(|w| w.start == w.end || w.start >= DAY_MINUTES)
                    .map(|w| format!("window `{}` is empty", w.describe()))
            };
            if let Some(problem) = problem {
                return Err(PolicyError::Rule { index, problem });
            }
        }
        Ok(policy)
    }

    /// The rule for a pipeline's stage: the first that matches.
    pub fn rule_for(&self, pipeline: &str, stage: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.matches(pipeline, stage))
    }

    /// Decides from the facts; the reason is worded for the approval summary.
    pub fn evaluate(&self, facts: &Facts<'_>) -> Verdict {
        let commit = facts
            .commit
            .map(|c| format!("commit {}", short(c)))
            .unwrap_or_else(|| "the source commit".to_owned());
        let rule = self.rule_for(facts.pipeline, facts.stage);
        match &facts.scan {
            ScanState::Findings { count } if self.reject_on_findings => Verdict::Reject {
                reason: format!(
                    "secret-scanner reported {count} potential secret(s) in {commit}: \
                     rejected by policy; remove and rotate the credentials, then release again"
                ),
            },
            ScanState::Findings { count } => Verdict::AskHuman {
                reason: format!("secret-scanner reported {count} potential secret(s) in {commit}"),
            },
            ScanState::NotScanned => Verdict::AskHuman {
                reason: format!("{commit} has no secret-scanner report (not scanned)"),
            },
            ScanState::Unknown { reason } => Verdict::AskHuman {
                reason: reason.clone(),
            },
            ScanState::Clean => match rule {
                Some(rule) if rule.auto_approve => {
                    match rule.change_windows.iter().find(|w| w.contains(facts.now)) {
                        Some(window) => Verdict::Approve {
                            reason: format!(
                                "{commit} scanned clean by secret-scanner; {}/{} is allow-listed \
                                 and inside change window {}: approved by policy",
                                facts.pipeline,
                                facts.stage,
                                window.describe()
                            ),
                        },
                        None => Verdict::AskHuman {
                            reason: format!(
                                "{commit} scanned clean, but outside the change windows ({})",
                                rule.change_windows
                                    .iter()
                                    .map(ChangeWindow::describe)
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            ),
                        },
                    }
                }
                _ => Verdict::AskHuman {
                    reason: format!(
                        "{commit} scanned clean; {}/{} is not allow-listed for automatic approval",
                        facts.pipeline, facts.stage
                    ),
                },
            },
        }
    }
}

/// The first 8 characters of a commit id.
pub fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}

/// What secret-scanner's report says about the source commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanState {
    /// `findingCount > 0`.
    Findings { count: u64 },
    /// `findingCount == 0`.
    Clean,
    /// No report for the commit.
    NotScanned,
    /// No way to tell: no commit, report unreadable, unknown schema, ...
    Unknown { reason: String },
}

/// What the policy decides on.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    pub pipeline: &'a str,
    pub stage: &'a str,
    pub commit: Option<&'a str>,
    pub scan: ScanState,
    pub now: DateTime<Utc>,
}

/// The policy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Approve { reason: String },
    Reject { reason: String },
    AskHuman { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    const POLICY: &str = r#"{
        "rules": [
            {"pipeline": "web", "stage": "Approve", "repository": "web-app", "autoApprove": true,
             "changeWindows": [{"timeZone": "Europe/Berlin", "days": ["Mon", "Tue", "Wed", "Thu"],
                                "start": "09:00", "end": "16:00"},
                               {"timeZone": "UTC", "days": ["Fri"], "start": "22:00", "end": "02:00"}]},
            {"pipeline": "*", "repository": "monorepo"}
        ]
    }"#;

    fn facts(scan: ScanState, now: &str) -> Facts<'static> {
        Facts {
            pipeline: "web",
            stage: "Approve",
            commit: Some("4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"),
            scan,
            now: at(now),
        }
    }

    #[test]
    fn findings_reject_whatever_the_rule() -> TestResult {
        let policy = Policy::from_json(POLICY)?;
        let verdict = policy.evaluate(&facts(
            ScanState::Findings { count: 2 },
            "2026-01-06T10:00:00Z",
        ));
        assert!(
            matches!(&verdict, Verdict::Reject { reason } if reason.contains("2 potential secret(s) in commit 4c1f0e9d")),
            "{verdict:?}"
        );
        let lenient = Policy::from_json(r#"{"rejectOnFindings": false}"#)?;
        let verdict = lenient.evaluate(&facts(
            ScanState::Findings { count: 1 },
            "2026-01-06T10:00:00Z",
        ));
        assert!(matches!(verdict, Verdict::AskHuman { .. }));
        Ok(())
    }

    #[test]
    fn clean_inside_a_window_approves_and_outside_asks() -> TestResult {
        let policy = Policy::from_json(POLICY)?;
        // Tuesday 2026-01-06 10:00 UTC is 11:00 in Berlin (CET): inside.
        let verdict = policy.evaluate(&facts(ScanState::Clean, "2026-01-06T10:00:00Z"));
        assert!(
            matches!(&verdict, Verdict::Approve { reason } if reason.contains("Mon,Tue,Wed,Thu 09:00-16:00 Europe/Berlin")),
            "{verdict:?}"
        );
        // 15:30 UTC is 16:30 in Berlin: outside.
        let verdict = policy.evaluate(&facts(ScanState::Clean, "2026-01-06T15:30:00Z"));
        assert!(
            matches!(&verdict, Verdict::AskHuman { reason } if reason.contains("outside the change windows"))
        );
        // Summer time: 2026-07-07 07:30 UTC is 09:30 in Berlin (CEST): inside.
        let verdict = policy.evaluate(&facts(ScanState::Clean, "2026-07-07T07:30:00Z"));
        assert!(matches!(verdict, Verdict::Approve { .. }), "DST");
        // Friday's window runs over midnight into Saturday 01:59, not Sunday.
        for (now, inside) in [
            ("2026-01-09T23:00:00Z", true),
            ("2026-01-10T01:59:00Z", true),
            ("2026-01-10T02:00:00Z", false),
            ("2026-01-10T23:00:00Z", false),
        ] {
            let verdict = policy.evaluate(&facts(ScanState::Clean, now));
            assert_eq!(matches!(verdict, Verdict::Approve { .. }), inside, "{now}");
        }
        Ok(())
    }

    #[test]
    fn anything_but_a_clean_report_asks_a_human() -> TestResult {
        let policy = Policy::from_json(POLICY)?;
        for scan in [
            ScanState::NotScanned,
            ScanState::Unknown {
                reason: "report unreadable".into(),
            },
        ] {
            let verdict = policy.evaluate(&facts(scan, "2026-01-06T10:00:00Z"));
            assert!(matches!(verdict, Verdict::AskHuman { .. }), "{verdict:?}");
        }
        // another stage of the same pipeline falls to the `*` rule: no auto-approval
        let mut other = facts(ScanState::Clean, "2026-01-06T10:00:00Z");
        other.stage = "Prod";
        assert!(matches!(
            policy.evaluate(&other),
            Verdict::AskHuman { reason } if reason.contains("web/Prod is not allow-listed")
        ));
        assert_eq!(
            policy
                .rule_for("api", "Any")
                .and_then(|r| r.repository.as_deref()),
            Some("monorepo")
        );
        // The default policy never approves.
        let verdict = Policy::default().evaluate(&facts(ScanState::Clean, "2026-01-06T10:00:00Z"));
        assert!(matches!(verdict, Verdict::AskHuman { .. }));
        Ok(())
    }

    #[test]
    fn bad_policies_say_what_to_fix() {
        let cases = [
            (
                r#"{"rules": [{"pipeline": "web", "autoAprove": true}]}"#,
                "unknown field `autoAprove`",
            ),
            (
                r#"{"rules": [{"pipeline": "w", "autoApprove": true, "changeWindows": [{"timeZone": "Mars/Base", "days": ["Mon"], "start": "09:00", "end": "10:00"}]}]}"#,
                "rules[0].changeWindows[0].timeZone",
            ),
            (
                r#"{"rules": [{"pipeline": "w", "autoApprove": true, "changeWindows": [{"timeZone": "UTC", "days": ["Someday"], "start": "09:00", "end": "10:00"}]}]}"#,
                "expected a day",
            ),
            (
                r#"{"rules": [{"pipeline": "w", "autoApprove": true, "changeWindows": [{"timeZone": "UTC", "days": ["Mon"], "start": "9am", "end": "10:00"}]}]}"#,
                "expected `HH:MM`",
            ),
            (
                r#"{"rules": [{"pipeline": "w", "autoApprove": true}]}"#,
                "needs at least one change window",
            ),
            (r#"{"rules": [{"pipeline": ""}]}"#, "`pipeline` is empty"),
            ("[1]", "APPROVAL_POLICY is not valid JSON"),
        ];
        for (text, expected) in cases {
            let error = Policy::from_json(text).err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains(expected)),
                "{text}: {error:?}"
            );
        }
        assert!(Policy::from_json("  ").is_ok_and(|p| p == Policy::default()));
    }
}
