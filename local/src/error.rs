//! Errors in the AWS JSON protocol's shape, so the SDK maps them to its
//! modeled error types (`RepositoryDoesNotExistException`, ...).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answered as AWS JSON 1.1 does: a status, an `x-amzn-ErrorType`
/// header and a body `{"__type": code, "message": ...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    /// A client error (400) with the service's own error code.
    pub fn client(code: &str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// A missing required parameter, named as CodeCommit names them
    /// (e.g. `RepositoryNameRequiredException`).
    pub fn required(code: &str, field: &str) -> Self {
        Self::client(code, format!("{field} is required"))
    }

    /// A request whose members do not have the model's types (a number
    /// sent as a string, a list as an object): every AWS JSON service
    /// answers `SerializationException` before validating anything.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    /// Parses a request body into an operation's input type.
    pub fn parse<T: serde::de::DeserializeOwned>(input: serde_json::Value) -> Result<T, Self> {
        serde_json::from_value(input).map_err(|e| {
            Self::serialization(format!("request does not match the operation's input: {e}"))
        })
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }

    pub fn unknown_operation(target: &str) -> Self {
        Self::client(
            "UnknownOperationException",
            format!("local-aws does not implement {target}"),
        )
    }

    pub fn throttling() -> Self {
        Self::client(
            "ThrottlingException",
            "Rate exceeded (injected by local-aws)",
        )
    }

    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalFailure".into(),
            message: "internal failure (injected by local-aws)".into(),
        }
    }

    pub fn server(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalFailure".into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "__type": self.code, "message": self.message });
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.code) {
            resp.headers_mut().insert("x-amzn-ErrorType", v);
        }
        resp.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        resp
    }
}
