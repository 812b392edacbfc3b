//! Fault injection: a test asks that the next N calls of an operation fail
//! with throttling or a server error, to prove the callers' retry
//! configuration and their idempotency under retries.

use std::collections::HashMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::ApiError;

/// What a faulted call answers. Each is one the SDK's standard and adaptive
/// retry strategies retry: `ThrottlingException` is in aws-runtime's list
/// of throttling codes (read from `x-amzn-ErrorType` / `__type`), 500 and
/// 503 are transient statuses for aws-smithy-runtime. The AWS code names
/// are accepted as aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 400 `ThrottlingException`.
    #[serde(alias = "ThrottlingException")]
    Throttle,
    /// 500 `InternalFailure`.
    #[serde(alias = "InternalFailure")]
    ServerError,
    /// 503 `ServiceUnavailable`.
    #[serde(alias = "ServiceUnavailable")]
    ServiceUnavailable,
}

impl FaultKind {
    fn error(self) -> ApiError {
        match self {
            Self::Throttle => ApiError::throttling(),
            Self::ServerError => ApiError::internal(),
            Self::ServiceUnavailable => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "ServiceUnavailable".into(),
                message: "service unavailable (injected by local-aws)".into(),
            },
        }
    }
}

/// A request to fail the next `count` calls of `operation` (e.g.
/// `GetDifferences`, or `*` for every operation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    pub operation: String,
    pub kind: FaultKind,
    pub count: u32,
}

#[derive(Debug, Default)]
pub struct Faults {
    pending: HashMap<String, Vec<(FaultKind, u32)>>,
}

impl Faults {
    pub fn add(&mut self, spec: FaultSpec) {
        if spec.count > 0 {
            self.pending
                .entry(spec.operation)
                .or_default()
                .push((spec.kind, spec.count));
        }
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }

    /// Consumes one pending fault for `operation`, if any.
    pub fn take(&mut self, operation: &str) -> Option<ApiError> {
        for key in [operation, "*"] {
            if let Some(queue) = self.pending.get_mut(key)
                && let Some(first) = queue.first_mut()
            {
                let kind = first.0;
                first.1 -= 1;
                if first.1 == 0 {
                    queue.remove(0);
                }
                if queue.is_empty() {
                    self.pending.remove(key);
                }
                return Some(kind.error());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_consumed_in_order_then_stop() {
        let mut f = Faults::default();
        f.add(FaultSpec {
            operation: "GetBlob".into(),
            kind: FaultKind::Throttle,
            count: 2,
        });
        f.add(FaultSpec {
            operation: "GetBlob".into(),
            kind: FaultKind::ServerError,
            count: 1,
        });
        assert_eq!(f.take("GetBlob").unwrap().code, "ThrottlingException");
        assert_eq!(f.take("GetCommit"), None);
        assert_eq!(f.take("GetBlob").unwrap().code, "ThrottlingException");
        assert_eq!(f.take("GetBlob").unwrap().code, "InternalFailure");
        assert_eq!(f.take("GetBlob"), None);
    }

    #[test]
    fn wildcard_applies_to_every_operation() {
        let mut f = Faults::default();
        f.add(FaultSpec {
            operation: "*".into(),
            kind: FaultKind::ServerError,
            count: 1,
        });
        assert!(f.take("GetBranch").is_some());
        assert!(f.take("GetBranch").is_none());
    }

    #[test]
    fn service_unavailable_is_a_503() {
        let mut f = Faults::default();
        f.add(FaultSpec {
            operation: "GetPipelineState".into(),
            kind: FaultKind::ServiceUnavailable,
            count: 1,
        });
        let err = f.take("GetPipelineState").unwrap();
        assert_eq!(
            (err.status.as_u16(), err.code.as_str()),
            (503, "ServiceUnavailable")
        );
    }

    #[test]
    fn kinds_accept_the_aws_error_codes() -> Result<(), serde_json::Error> {
        let spec: FaultSpec = serde_json::from_str(
            r#"{"operation": "*", "kind": "ThrottlingException", "count": 1}"#,
        )?;
        assert_eq!(spec.kind, FaultKind::Throttle);
        let spec: FaultSpec = serde_json::from_str(
            r#"{"operation": "*", "kind": "service_unavailable", "count": 1}"#,
        )?;
        assert_eq!(spec.kind, FaultKind::ServiceUnavailable);
        Ok(())
    }
}
