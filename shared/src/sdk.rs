//! How an AWS SDK error is classified, once for every function: whether a
//! later attempt can get past it (so the function returns it and Lambda
//! retries) and how it reads in an error message. Each function keeps its
//! own `Error` enum and builds its `Aws` variant from these two.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Service error codes a later attempt can get past: throttling, service
/// overload and conflicts that clear by themselves, across the services
/// codewarden calls (CodeCommit, CodePipeline, CodeBuild, CloudWatch Logs,
/// S3, SNS, Secrets Manager, SSM).
pub const RETRYABLE_CODES: [&str; 11] = [
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "ServiceUnavailable",
    "ConditionalRequestConflict",
    "InternalFailure",
    "InternalError",
    "RequestTimeout",
];

/// Timeouts, connection problems, unreadable responses, 5xx and the
/// [`RETRYABLE_CODES`] are retryable; other service errors (access denied,
/// not found, validation) and construction failures are not.
pub fn is_retryable<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> bool {
    match error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(context) => {
            context.raw().status().is_server_error()
                || context
                    .err()
                    .code()
                    .is_some_and(|code| RETRYABLE_CODES.contains(&code))
        }
        _ => false,
    }
}

/// The error with its whole context (service code and message, cause
/// chain), for the `message` of a function's `Aws` error.
pub fn describe<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: std::error::Error + 'static,
{
    DisplayErrorContext(error).to_string()
}

#[cfg(test)]
mod tests {
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn service_error(status: u16, code: &str) -> SdkError<ErrorMetadata, HttpResponse> {
        let status = StatusCode::try_from(status).expect("valid status");
        SdkError::service_error(
            ErrorMetadata::builder().code(code).message("no").build(),
            HttpResponse::new(status, SdkBody::empty()),
        )
    }

    #[test]
    fn throttling_5xx_and_timeouts_are_retryable() {
        // GIVEN errors a later attempt can get past
        // WHEN classified THEN each is retryable
        for code in RETRYABLE_CODES {
            assert!(is_retryable(&service_error(400, code)), "{code}");
        }
        assert!(is_retryable(&service_error(503, "Whatever")));
        assert!(is_retryable(
            &SdkError::<ErrorMetadata, HttpResponse>::timeout_error("slow")
        ));
    }

    #[test]
    fn client_errors_are_not_retryable() {
        // GIVEN errors no retry can fix
        // WHEN classified THEN none is retryable
        assert!(!is_retryable(&service_error(403, "AccessDeniedException")));
        assert!(!is_retryable(&service_error(404, "NoSuchKey")));
        assert!(!is_retryable(
            &SdkError::<ErrorMetadata, HttpResponse>::construction_failure("bad input")
        ));
    }

    #[test]
    fn describe_names_the_code_and_message() {
        // GIVEN a service error WHEN described THEN code and message show
        let text = describe(&service_error(403, "AccessDeniedException"));
        assert!(text.contains("AccessDeniedException"), "{text}");
        assert!(text.contains("no"), "{text}");
    }
}
