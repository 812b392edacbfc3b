//! The events codewarden's functions receive, read leniently.
//!
//! Every function is invoked with one of: an EventBridge event (CodeCommit,
//! CodeBuild, CodePipeline state changes, or a schedule), an SNS event
//! carrying a CodePipeline manual-approval message, or a Lambda function URL
//! request. [`parse_event`] tells them apart and decodes them into a
//! [`CodewardenEvent`]; a handler matches on the variant it serves and
//! acknowledges [`CodewardenEvent::Unsupported`] without doing anything.
//!
//! # Why we own the detail types
//!
//! `aws_lambda_events` provides the envelopes ([`EventBridgeEvent`], the SNS
//! event, [`LambdaFunctionUrlRequest`]) and we use them. Its CodeBuild and
//! CodePipeline *detail* structs, however, reject real payloads: CodePipeline
//! sends `version` as `7`, `"7"` or `7.0` depending on the event, and
//! CodeBuild omits `logs` and `phases` while a build is `IN_PROGRESS`. It has
//! no type at all for the EventBridge CodeCommit events. So the details are
//! defined here, following what AWS really sends rather than what it
//! documents:
//!
//! - a field AWS may omit is an `Option` (absent and `null` both read as `None`);
//! - a number that arrives as an integer, a string or a float is accepted as
//!   any of them and normalised (`7.0` -> `7`); `"False"` is a boolean;
//! - enumerations keep values they do not know (`Other(String)`), because AWS
//!   adds states without notice and one new state must not make every event
//!   unreadable;
//! - fields codewarden does not use are not modelled, notably CodeBuild's
//!   environment variables, whose plaintext values can be secrets.
//!
//! Errors ([`EventError`]) name the JSON path of the problem and never quote
//! the payload. The samples in the repository's `events/` directory are the
//! reference shapes; the tests parse every one of them.
//!
//! ```
//! use shared::events::{CodewardenEvent, parse_event};
//!
//! let event = serde_json::json!({
//!     "source": "aws.events",
//!     "detail-type": "Scheduled Event",
//!     "detail": {}
//! });
//! assert!(matches!(parse_event(&event), Ok(CodewardenEvent::Scheduled(_))));
//! ```

mod approval;
mod codebuild;
mod codecommit;
mod codepipeline;
mod error;
mod lenient;
#[cfg(test)]
mod tests;

pub use approval::{ApprovalMessage, ApprovalNotification, ApprovalRequest};
pub use aws_lambda_events::eventbridge::EventBridgeEvent;
pub use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
pub use aws_lambda_events::sns::SnsMessage;
pub use codebuild::{
    BuildInformation, BuildLogs, BuildPhase, BuildSource, BuildStatus, CodeBuildStateChange,
};
pub use codecommit::{
    CodeCommitPullRequestStateChange, CodeCommitRepositoryStateChange, PullRequestEventKind,
    PullRequestStatus, ReferenceType, RepositoryEventKind,
};
pub use codepipeline::{
    ActionExecutionStateChange, ActionType, Artifact, CodePipelineExecutionStateChange,
    ExecutionResult, ExecutionState, ExecutionTrigger, S3Location, StageExecutionStateChange,
};
pub use error::EventError;
pub use lenient::parse_expiry;

use aws_lambda_events::sns::{SnsEvent, SnsRecord};
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde_json::Value;

const REPOSITORY_STATE_CHANGE: &str = "CodeCommit Repository State Change";
const PULL_REQUEST_STATE_CHANGE: &str = "CodeCommit Pull Request State Change";
const BUILD_STATE_CHANGE: &str = "CodeBuild Build State Change";
const PIPELINE_EXECUTION_STATE_CHANGE: &str = "CodePipeline Pipeline Execution State Change";
const STAGE_EXECUTION_STATE_CHANGE: &str = "CodePipeline Stage Execution State Change";
const ACTION_EXECUTION_STATE_CHANGE: &str = "CodePipeline Action Execution State Change";
const SCHEDULED_EVENT: &str = "Scheduled Event";
const EVENTBRIDGE_EVENT: &str = "EventBridge event";
const RECORDS_EVENT: &str = "Records event";
const SNS_EVENT: &str = "SNS event";
const MANUAL_APPROVAL: &str = "CodePipeline manual-approval message";
const FUNCTION_URL_REQUEST: &str = "Lambda function URL request";

/// Path of the approval document inside an SNS event.
const SNS_MESSAGE_PATH: &str = "Records[0].Sns.Message";

/// An event codewarden was invoked with, classified and decoded.
///
/// EventBridge variants keep the whole envelope: its `id` is stable across
/// redeliveries (for idempotency), and `time`, `region`, `account` and
/// `resources` are there when needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodewardenEvent {
    /// `aws.codecommit` / `CodeCommit Repository State Change`: pushes, new
    /// or deleted branches and tags.
    RepositoryStateChange(Box<EventBridgeEvent<CodeCommitRepositoryStateChange>>),
    /// `aws.codecommit` / `CodeCommit Pull Request State Change`.
    PullRequestStateChange(Box<EventBridgeEvent<CodeCommitPullRequestStateChange>>),
    /// `aws.codebuild` / `CodeBuild Build State Change`.
    BuildStateChange(Box<EventBridgeEvent<CodeBuildStateChange>>),
    /// `aws.codepipeline` / `CodePipeline Pipeline Execution State Change`.
    PipelineExecutionStateChange(Box<EventBridgeEvent<CodePipelineExecutionStateChange>>),
    /// `aws.codepipeline` / `CodePipeline Stage Execution State Change`.
    StageExecutionStateChange(Box<EventBridgeEvent<StageExecutionStateChange>>),
    /// `aws.codepipeline` / `CodePipeline Action Execution State Change`.
    ActionExecutionStateChange(Box<EventBridgeEvent<ActionExecutionStateChange>>),
    /// `aws.events` / `Scheduled Event` (an EventBridge schedule rule).
    Scheduled(Box<EventBridgeEvent<Value>>),
    /// An SNS message published by a CodePipeline manual-approval action.
    ManualApproval(Box<ApprovalNotification>),
    /// A request to a Lambda function URL (payload format 2.0).
    FunctionUrl(Box<LambdaFunctionUrlRequest>),
    /// A well-formed event that codewarden does not handle: acknowledge it
    /// and do nothing. `source` is the EventBridge `source` or the record's
    /// `EventSource` (`aws:sns` for an SNS message that is not an approval
    /// request); `detail_type` is the EventBridge `detail-type`, if any.
    Unsupported {
        source: String,
        detail_type: Option<String>,
    },
}

impl CodewardenEvent {
    /// A short, payload-free name of the variant, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RepositoryStateChange(_) => REPOSITORY_STATE_CHANGE,
            Self::PullRequestStateChange(_) => PULL_REQUEST_STATE_CHANGE,
            Self::BuildStateChange(_) => BUILD_STATE_CHANGE,
            Self::PipelineExecutionStateChange(_) => PIPELINE_EXECUTION_STATE_CHANGE,
            Self::StageExecutionStateChange(_) => STAGE_EXECUTION_STATE_CHANGE,
            Self::ActionExecutionStateChange(_) => ACTION_EXECUTION_STATE_CHANGE,
            Self::Scheduled(_) => SCHEDULED_EVENT,
            Self::ManualApproval(_) => MANUAL_APPROVAL,
            Self::FunctionUrl(_) => FUNCTION_URL_REQUEST,
            Self::Unsupported { .. } => "unsupported event",
        }
    }
}

/// Classifies and decodes an event as the Lambda runtime hands it over.
///
/// - `detail-type` present: an EventBridge event, dispatched on `source` and
///   `detail-type`;
/// - `Records` present: an SNS event when `Records[0].EventSource` is
///   `aws:sns` (its message is decoded as a manual-approval request);
/// - `requestContext.http` present: a function URL request.
///
/// Events of another source or detail type, and SNS messages that are not
/// approval requests, are [`CodewardenEvent::Unsupported`]. Anything else,
/// and a recognised event with a missing or malformed required field, is an
/// [`EventError`].
pub fn parse_event(event: &Value) -> Result<CodewardenEvent, EventError> {
    let Value::Object(fields) = event else {
        return Err(EventError::NotAnObject);
    };
    if fields.contains_key("detail-type") {
        parse_eventbridge(event)
    } else if let Some(records) = fields.get("Records") {
        parse_records(event, records)
    } else if event.pointer("/requestContext/http").is_some() {
        let request = decode(event, FUNCTION_URL_REQUEST, "")?;
        Ok(CodewardenEvent::FunctionUrl(Box::new(request)))
    } else {
        Err(EventError::Unrecognized)
    }
}

/// [`parse_event`] for raw bytes (a file, an HTTP body, a test fixture).
pub fn parse_event_bytes(bytes: &[u8]) -> Result<CodewardenEvent, EventError> {
    let event: Value = serde_json::from_slice(bytes).map_err(|source| EventError::Malformed {
        line: source.line(),
        column: source.column(),
        source,
    })?;
    parse_event(&event)
}

/// The body of a function URL request as bytes, base64-decoded when the
/// request says so (form posts arrive base64-encoded). No body is empty.
pub fn request_body(request: &LambdaFunctionUrlRequest) -> Result<Vec<u8>, EventError> {
    let Some(body) = request.body.as_deref() else {
        return Ok(Vec::new());
    };
    if !request.is_base64_encoded {
        return Ok(body.as_bytes().to_vec());
    }
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| EventError::Invalid {
            event: FUNCTION_URL_REQUEST,
            path: "body".to_owned(),
            problem: "is not valid base64 although `isBase64Encoded` is true".to_owned(),
        })
}

fn parse_eventbridge(event: &Value) -> Result<CodewardenEvent, EventError> {
    use CodewardenEvent as E;

    let source = required_str(event, "source")?;
    let detail_type = required_str(event, "detail-type")?;
    Ok(match (source, detail_type) {
        ("aws.codecommit", REPOSITORY_STATE_CHANGE) => {
            E::RepositoryStateChange(decode(event, REPOSITORY_STATE_CHANGE, "")?)
        }
        ("aws.codecommit", PULL_REQUEST_STATE_CHANGE) => {
            E::PullRequestStateChange(decode(event, PULL_REQUEST_STATE_CHANGE, "")?)
        }
        ("aws.codebuild", BUILD_STATE_CHANGE) => {
            E::BuildStateChange(decode(event, BUILD_STATE_CHANGE, "")?)
        }
        ("aws.codepipeline", PIPELINE_EXECUTION_STATE_CHANGE) => {
            E::PipelineExecutionStateChange(decode(event, PIPELINE_EXECUTION_STATE_CHANGE, "")?)
        }
        ("aws.codepipeline", STAGE_EXECUTION_STATE_CHANGE) => {
            E::StageExecutionStateChange(decode(event, STAGE_EXECUTION_STATE_CHANGE, "")?)
        }
        ("aws.codepipeline", ACTION_EXECUTION_STATE_CHANGE) => {
            E::ActionExecutionStateChange(decode(event, ACTION_EXECUTION_STATE_CHANGE, "")?)
        }
        ("aws.events", SCHEDULED_EVENT) => E::Scheduled(decode(event, SCHEDULED_EVENT, "")?),
        (source, detail_type) => E::Unsupported {
            source: source.to_owned(),
            detail_type: Some(detail_type.to_owned()),
        },
    })
}

fn parse_records(event: &Value, records: &Value) -> Result<CodewardenEvent, EventError> {
    // SNS spells it `EventSource`; SQS, S3, DynamoDB and Kinesis `eventSource`.
    let source = records
        .get(0)
        .and_then(|record| {
            record
                .get("EventSource")
                .or_else(|| record.get("eventSource"))
        })
        .and_then(Value::as_str);
    match source {
        Some("aws:sns") => parse_sns(event),
        Some(source) => Ok(CodewardenEvent::Unsupported {
            source: source.to_owned(),
            detail_type: None,
        }),
        None => Err(EventError::Invalid {
            event: RECORDS_EVENT,
            path: "Records[0].EventSource".to_owned(),
            problem: "is missing or not a string".to_owned(),
        }),
    }
}

fn parse_sns(event: &Value) -> Result<CodewardenEvent, EventError> {
    let sns: SnsEvent = decode(event, SNS_EVENT, "")?;
    // Lambda delivers one SNS message per invocation; more would mean an
    // unknown envelope, and silently handling only the first would lose one.
    let record = match <[SnsRecord; 1]>::try_from(sns.records) {
        Ok([record]) => record,
        Err(records) => {
            return Err(EventError::Invalid {
                event: SNS_EVENT,
                path: "Records".to_owned(),
                problem: format!("holds {} records, expected exactly one", records.len()),
            });
        }
    };
    let not_an_approval = || CodewardenEvent::Unsupported {
        source: "aws:sns".to_owned(),
        detail_type: None,
    };
    let Ok(document) = serde_json::from_str::<Value>(&record.sns.message) else {
        return Ok(not_an_approval());
    };
    if document.get("approval").is_none() {
        return Ok(not_an_approval());
    }
    let message = decode(&document, MANUAL_APPROVAL, SNS_MESSAGE_PATH)?;
    Ok(CodewardenEvent::ManualApproval(Box::new(
        ApprovalNotification {
            sns: record.sns,
            message,
        },
    )))
}

/// Decodes `value` (found at JSON path `at`) into `T`, reporting the path of
/// the first problem.
fn decode<T: DeserializeOwned>(
    value: &Value,
    event: &'static str,
    at: &str,
) -> Result<T, EventError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = error::join_path(at, &err.path().to_string());
        EventError::invalid(event, &path, err.inner())
    })
}

fn required_str<'a>(event: &'a Value, field: &str) -> Result<&'a str, EventError> {
    let problem = match event.get(field) {
        Some(Value::String(text)) => return Ok(text),
        Some(_) => "has the wrong type: expected a string",
        None => "is missing",
    };
    Err(EventError::Invalid {
        event: EVENTBRIDGE_EVENT,
        path: field.to_owned(),
        problem: problem.to_owned(),
    })
}
