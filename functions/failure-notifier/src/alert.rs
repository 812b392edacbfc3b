//! What the alerts say: failure reports turned into [`Alert`]s. Pure: the
//! facts come in, text and JSON come out; the handler gathers the facts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use shared::links;
use shared::notify::{Alert, Severity};

use crate::ports::{BuildFacts, FailedAction};

/// Where an alert is about: from the event's envelope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub account: String,
    pub region: String,
    pub time: Option<DateTime<Utc>>,
}

/// A build's failure with the tail of its log (already masked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildReport {
    pub facts: BuildFacts,
    pub log_tail: Vec<String>,
    /// Why there is no log tail, when reading it failed.
    pub log_problem: Option<String>,
}

/// A failed action and, for CodeBuild, its build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionReport {
    pub action: FailedAction,
    pub build: Option<BuildReport>,
    /// Why there is no build report for a CodeBuild action.
    pub build_problem: Option<String>,
}

/// A pipeline execution that ended in an alerted state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineFailure {
    pub pipeline: String,
    pub execution_id: String,
    /// `FAILED`, `STOPPED`, ...
    pub state: String,
    pub actions: Vec<ActionReport>,
}

/// A pipeline that succeeded after a failed execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    pub pipeline: String,
    pub execution_id: String,
    pub failed_execution_id: String,
    pub down_for: Option<TimeDelta>,
}

fn severity_of(state: &str) -> Severity {
    match state {
        "FAILED" | "FAULT" | "TIMED_OUT" => Severity::High,
        "STOPPED" => Severity::Medium,
        _ => Severity::Low,
    }
}

fn attributes(origin: &Origin, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.insert("account".to_owned(), origin.account.clone());
    map.insert("region".to_owned(), origin.region.clone());
    map
}

fn time(origin: &Origin) -> Value {
    origin.time.map_or(Value::Null, |t| {
        json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    })
}

impl PipelineFailure {
    pub fn alert(&self, origin: &Origin) -> Alert {
        let region = &origin.region;
        let execution_link = links::pipeline_execution(region, &self.pipeline, &self.execution_id);
        let first = self.actions.first();
        let title = match first {
            Some(report) => {
                let a = &report.action;
                let why = a
                    .error_code
                    .as_deref()
                    .map(|code| format!(": {code}"))
                    .unwrap_or_default();
                format!(
                    "Pipeline {} {} in {}/{}{why}",
                    self.pipeline, self.state, a.stage, a.action
                )
            }
            None => format!("Pipeline {} {}", self.pipeline, self.state),
        };

        let mut text = format!(
            "Pipeline {} {} (execution {}).\n",
            self.pipeline, self.state, self.execution_id
        );
        if self.actions.is_empty() && self.state == "FAILED" {
            text.push_str("\nNo failed action was found: see the execution.\n");
        }
        for report in &self.actions {
            let a = &report.action;
            let provider = a
                .provider
                .as_deref()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            let _ = write!(
                text,
                "\nFailed action: {} / {}{provider}\n",
                a.stage, a.action
            );
            match (&a.error_code, &a.error_message) {
                (Some(code), Some(message)) => {
                    let _ = writeln!(text, "Error: {code}: {message}");
                }
                (Some(one), None) | (None, Some(one)) => {
                    let _ = writeln!(text, "Error: {one}");
                }
                (None, None) => {}
            }
            if let Some(summary) = &a.summary {
                let _ = writeln!(text, "Summary: {summary}");
            }
            if let Some(url) = &a.external_execution_url {
                let _ = writeln!(text, "Details: {url}");
            }
            if let Some(problem) = &report.build_problem {
                let _ = writeln!(text, "Build details unavailable: {problem}");
            }
            if let Some(build) = &report.build {
                build_text(&mut text, build, region);
            }
        }
        let _ = write!(
            text,
            "\nPipeline execution: {execution_link}\nAccount {}, region {}.\n",
            origin.account, origin.region
        );

        let document = json!({
            "kind": "pipeline-execution",
            "pipeline": self.pipeline,
            "executionId": self.execution_id,
            "state": self.state,
            "severity": severity_of(&self.state).as_str(),
            "account": origin.account,
            "region": origin.region,
            "time": time(origin),
            "failedActions": self.actions.iter().map(|r| action_json(r, region)).collect::<Vec<_>>(),
            "links": {"execution": execution_link},
        });
        let stage = first.map(|r| r.action.stage.as_str()).unwrap_or_default();
        Alert {
            title,
            text,
            document,
            severity: severity_of(&self.state),
            attributes: attributes(
                origin,
                &[
                    ("pipeline", &self.pipeline),
                    ("stage", stage),
                    ("state", &self.state),
                ],
            ),
        }
    }
}

/// A build that failed on its own (not started by a pipeline).
pub fn build_alert(build: &BuildReport, origin: &Origin) -> Alert {
    let facts = &build.facts;
    let phase = facts
        .failed_phase
        .as_ref()
        .map(|p| format!(" in phase {}", p.phase))
        .unwrap_or_default();
    let title = format!("Build {} {}{phase}", facts.project, facts.status);
    let mut text = String::new();
    build_text(&mut text, build, &origin.region);
    // build_text starts with a blank line, to follow a pipeline's lines.
    let mut text = text.trim_start().to_owned();
    let _ = write!(
        text,
        "\nAccount {}, region {}.\n",
        origin.account, origin.region
    );
    let document = json!({
        "kind": "build",
        "project": facts.project,
        "state": facts.status,
        "severity": severity_of(&facts.status).as_str(),
        "account": origin.account,
        "region": origin.region,
        "time": time(origin),
        "build": build_json(build, &origin.region),
    });
    let stage = facts
        .failed_phase
        .as_ref()
        .map(|p| p.phase.as_str())
        .unwrap_or_default();
    Alert {
        title,
        text,
        document,
        severity: severity_of(&facts.status),
        attributes: attributes(
            origin,
            &[
                ("project", &facts.project),
                ("stage", stage),
                ("state", &facts.status),
            ],
        ),
    }
}

impl Recovery {
    pub fn alert(&self, origin: &Origin) -> Alert {
        let link = links::pipeline_execution(&origin.region, &self.pipeline, &self.execution_id);
        let after = self
            .down_for
            .map(|d| format!(" after {}", duration(d)))
            .unwrap_or_default();
        let title = format!("Pipeline {} recovered{after}", self.pipeline);
        let text = format!(
            "Pipeline {} recovered{after}: execution {} succeeded; execution {} had failed.\n\nPipeline execution: {link}\nAccount {}, region {}.\n",
            self.pipeline,
            self.execution_id,
            self.failed_execution_id,
            origin.account,
            origin.region
        );
        let document = json!({
            "kind": "pipeline-recovered",
            "pipeline": self.pipeline,
            "executionId": self.execution_id,
            "failedExecutionId": self.failed_execution_id,
            "state": "SUCCEEDED",
            "severity": Severity::Info.as_str(),
            "downForSeconds": self.down_for.map(|d| d.num_seconds()),
            "account": origin.account,
            "region": origin.region,
            "time": time(origin),
            "links": {"execution": link},
        });
        Alert {
            title,
            text,
            document,
            severity: Severity::Info,
            attributes: attributes(
                origin,
                &[("pipeline", &self.pipeline), ("state", "SUCCEEDED")],
            ),
        }
    }
}

fn build_text(text: &mut String, build: &BuildReport, region: &str) {
    let facts = &build.facts;
    match &facts.failed_phase {
        Some(phase) => {
            let _ = writeln!(
                text,
                "\nBuild {} {} in phase {} ({}).",
                facts.id, facts.status, phase.phase, phase.status
            );
            for line in &phase.context {
                let _ = writeln!(text, "  {line}");
            }
        }
        None => {
            let _ = writeln!(text, "\nBuild {} {}.", facts.id, facts.status);
        }
    }
    if !build.log_tail.is_empty() {
        let _ = writeln!(
            text,
            "Last {} lines of the build log:",
            build.log_tail.len()
        );
        for line in &build.log_tail {
            let _ = writeln!(text, "  | {line}");
        }
    }
    if let Some(problem) = &build.log_problem {
        let _ = writeln!(text, "Build log unavailable: {problem}");
    }
    let _ = writeln!(text, "Build: {}", links::build(region, &facts.id));
    if let Some(log) = &facts.log {
        let _ = writeln!(
            text,
            "Log: {}",
            links::log_stream(region, &log.group, &log.stream)
        );
    }
}

fn build_json(build: &BuildReport, region: &str) -> Value {
    let facts = &build.facts;
    json!({
        "id": facts.id,
        "project": facts.project,
        "status": facts.status,
        "initiator": facts.initiator,
        "phase": facts.failed_phase.as_ref().map(|p| &p.phase),
        "phaseStatus": facts.failed_phase.as_ref().map(|p| &p.status),
        "phaseContext": facts.failed_phase.as_ref().map(|p| &p.context),
        "logGroup": facts.log.as_ref().map(|l| &l.group),
        "logStream": facts.log.as_ref().map(|l| &l.stream),
        "logTail": build.log_tail,
        "logProblem": build.log_problem,
        "links": {
            "build": links::build(region, &facts.id),
            "log": facts.log.as_ref().map(|l| links::log_stream(region, &l.group, &l.stream)),
        },
    })
}

fn action_json(report: &ActionReport, region: &str) -> Value {
    let a = &report.action;
    json!({
        "stage": a.stage,
        "action": a.action,
        "provider": a.provider,
        "category": a.category,
        "errorCode": a.error_code,
        "errorMessage": a.error_message,
        "summary": a.summary,
        "externalExecutionId": a.external_execution_id,
        "externalExecutionUrl": a.external_execution_url,
        "buildProblem": report.build_problem,
        "build": report.build.as_ref().map(|b| build_json(b, region)),
    })
}

/// `2d 3h`, `1h 5m`, `12m 3s`, `45s`: the two largest units.
pub fn duration(delta: TimeDelta) -> String {
    let secs = delta.num_seconds().max(0);
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(TimeDelta::seconds(45)), "45s");
        assert_eq!(duration(TimeDelta::seconds(12 * 60 + 3)), "12m 3s");
        assert_eq!(duration(TimeDelta::seconds(3900)), "1h 5m");
        assert_eq!(duration(TimeDelta::seconds(2 * 86_400 + 3 * 3600)), "2d 3h");
    }

    #[test]
    fn severity_follows_the_state() {
        assert_eq!(severity_of("FAILED"), Severity::High);
        assert_eq!(severity_of("TIMED_OUT"), Severity::High);
        assert_eq!(severity_of("STOPPED"), Severity::Medium);
        assert_eq!(severity_of("SUPERSEDED"), Severity::Low);
    }
}
