//! The handler: one function URL request in, one page out.

use std::borrow::Cow;

use aws_lambda_events::http::header::{
    ALLOW, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlResponse;
use chrono::{DateTime, Utc};
use serde_json::Value;
use shared::approval::{ApprovalLink, Decision, LinkError, SigningKey, summary};
use shared::events::{CodewardenEvent, LambdaFunctionUrlRequest, parse_event, request_body};
use tracing::{info, warn};

use crate::adapters;
use crate::pages::{self, Page};
use crate::ports::{Approvals, Recorded};

/// Form bodies above this size are refused: the form has a few short fields.
const MAX_BODY_BYTES: usize = 16 * 1024;
const MAX_APPROVER_CHARS: usize = 100;
const MAX_COMMENT_CHARS: usize = 300;

/// Everything the handler needs, built once in `main`.
pub struct Deps<A> {
    /// Verifies the links (and re-encodes them into the form).
    pub key: SigningKey,
    pub approvals: A,
}

/// The dependencies backed by the AWS SDK.
pub type SdkDeps = Deps<adapters::CodePipelineApprovals>;

/// [`handle_at`] now.
pub async fn handle<A: Approvals>(event: Value, deps: &Deps<A>) -> LambdaFunctionUrlResponse {
    handle_at(event, deps, Utc::now()).await
}

/// Handles a Lambda function URL request (payload 2.0) for a signed link:
///
/// - `GET`: verifies the link (signature, then expiry) and shows a
///   confirmation page with a form; no side effect, so a mail scanner or
///   link preview that opens the link decides nothing;
/// - `POST` (that form, `application/x-www-form-urlencoded`, possibly
///   base64-encoded): verifies the link again (constant time), then calls
///   `PutApprovalResult` with a summary naming the approver typed on the
///   page;
/// - anything else: 405.
///
/// Status codes: 200 shown / recorded, 400 malformed, 403 altered link,
/// 405 method, 409 already decided or token no longer valid, 410 expired,
/// 502/503 CodePipeline refused / unavailable. Never an invocation error:
/// the browser always gets a page. Security headers on every response.
/// The token, the signature and the key are never logged.
/// IAM: `codepipeline:PutApprovalResult`, `secretsmanager:GetSecretValue`
/// (at cold start).
pub async fn handle_at<A: Approvals>(
    event: Value,
    deps: &Deps<A>,
    now: DateTime<Utc>,
) -> LambdaFunctionUrlResponse {
    let request = match parse_event(&event) {
        Ok(CodewardenEvent::FunctionUrl(request)) => request,
        Ok(other) => {
            warn!(kind = other.kind(), "not a function URL request");
            return response(
                &pages::bad_request("This function only serves approval links."),
                false,
            );
        }
        Err(error) => {
            warn!(error = %error, "invalid event");
            return response(&pages::bad_request("The request could not be read."), false);
        }
    };
    let method = request
        .request_context
        .http
        .method
        .clone()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let page = match method.as_str() {
        "GET" => show(&request, deps, now),
        "POST" => decide(&request, deps, now).await,
        _ => pages::method_not_allowed(),
    };
    info!(method = %method, status = page.status, "answered");
    response(&page, page.status == 405)
}

fn show<A>(request: &LambdaFunctionUrlRequest, deps: &Deps<A>, now: DateTime<Utc>) -> Page {
    let query = query(request);
    let link = match verified(&query, deps, now) {
        Ok(link) => link,
        Err(page) => return page,
    };
    info!(pipeline = %link.pipeline, stage = %link.stage, action = %link.action, decision = link.decision.as_str(), "confirmation page");
    let fields: Vec<(String, String)> = form_urlencoded::parse(link.query(&deps.key).as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let action = request
        .raw_path
        .as_deref()
        .filter(|p| p.starts_with('/'))
        .unwrap_or("/");
    pages::confirm(&link, &fields, action)
}

async fn decide<A: Approvals>(
    request: &LambdaFunctionUrlRequest,
    deps: &Deps<A>,
    now: DateTime<Utc>,
) -> Page {
    let form_type = request
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if form_type.as_deref() != Some("application/x-www-form-urlencoded") {
        return pages::bad_request(
            "Send the confirmation form (application/x-www-form-urlencoded).",
        );
    }
    let body = match request_body(request) {
        Ok(body) if body.len() <= MAX_BODY_BYTES => body,
        Ok(_) => return pages::bad_request("The form is too large."),
        Err(_) => return pages::bad_request("The form could not be decoded."),
    };
    let link = match verified(&body, deps, now) {
        Ok(link) => link,
        Err(page) => return page,
    };
    let (approver, comment) = match person(&body) {
        Ok(fields) => fields,
        Err(problem) => return pages::bad_request(problem),
    };
    let verb = match link.decision {
        Decision::Approve => "Approved",
        Decision::Reject => "Rejected",
    };
    let mut text = format!("{verb} by {approver} via codewarden signed link");
    if let Some(commit) = &link.commit {
        text.push_str(&format!(
            " (commit {})",
            shared::approval::policy::short(commit)
        ));
    }
    if let Some(comment) = &comment {
        text.push_str(&format!(": {comment}"));
    }
    let summary = summary(&text);
    match deps.approvals.put_result(&link, &summary).await {
        Ok(Recorded::Done) => {
            info!(pipeline = %link.pipeline, stage = %link.stage, action = %link.action, decision = link.decision.as_str(), approver = %approver, "decision recorded");
            pages::done(&link, &approver)
        }
        Ok(recorded) => {
            info!(pipeline = %link.pipeline, stage = %link.stage, action = %link.action, answer = ?recorded, "approval no longer open");
            pages::conflict(&link, recorded == Recorded::AlreadyDecided)
        }
        Err(error) => {
            warn!(pipeline = %link.pipeline, error = %error, retryable = error.is_retryable(), "PutApprovalResult failed");
            pages::unavailable(error.is_retryable())
        }
    }
}

/// The link in `pairs`, verified; or the page that says why not.
fn verified<A>(pairs: &[u8], deps: &Deps<A>, now: DateTime<Utc>) -> Result<ApprovalLink, Page> {
    let signed = ApprovalLink::from_query(pairs).map_err(|e| {
        info!(error = %e, "malformed link");
        pages::bad_request(&e.to_string())
    })?;
    match signed.verify(&deps.key, now) {
        Ok(link) => Ok(link.clone()),
        Err(LinkError::Expired { expired }) => {
            info!(pipeline = %signed.unverified().pipeline, "expired link");
            Err(pages::expired(expired))
        }
        Err(error) => {
            // Unverified values: logged only as what was claimed.
            warn!(claimed_pipeline = %signed.unverified().pipeline, error = %error, "link refused");
            Err(pages::tampered())
        }
    }
}

/// The approver's name (required) and comment (optional) from the form.
fn person(body: &[u8]) -> Result<(String, Option<String>), &'static str> {
    let mut approver = None;
    let mut comment = None;
    for (name, value) in form_urlencoded::parse(body) {
        let slot = match name.as_ref() {
            "approver" => &mut approver,
            "comment" => &mut comment,
            _ => continue,
        };
        if slot.is_some() {
            return Err("A form field appears more than once.");
        }
        *slot = Some(clean(value));
    }
    let approver = approver
        .filter(|a| !a.is_empty())
        .ok_or("Enter your name: it is recorded with the decision.")?;
    if approver.chars().count() > MAX_APPROVER_CHARS {
        return Err("The name is too long (100 characters at most).");
    }
    let comment = comment.filter(|c| !c.is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err("The comment is too long (300 characters at most).");
    }
    Ok((approver, comment))
}

/// Control characters (line breaks included) become spaces; trimmed.
fn clean(value: Cow<'_, str>) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The query string: `rawQueryString` as sent (keeps repeated names, so
/// a duplicated field is refused), else the parsed parameters.
fn query(request: &LambdaFunctionUrlRequest) -> Vec<u8> {
    match request.raw_query_string.as_deref() {
        Some(raw) if !raw.is_empty() => raw.as_bytes().to_vec(),
        _ => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            let mut pairs: Vec<_> = request.query_string_parameters.iter().collect();
            pairs.sort();
            for (name, value) in pairs {
                query.append_pair(name, value);
            }
            query.finish().into_bytes()
        }
    }
}

/// The page as a function URL response, with the security headers.
pub fn response(page: &Page, allow: bool) -> LambdaFunctionUrlResponse {
    let mut response = LambdaFunctionUrlResponse::default();
    response.status_code = i64::from(page.status);
    response.body = Some(page.html.clone());
    response.is_base64_encoded = false;
    let headers = &mut response.headers;
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if allow {
        headers.insert(ALLOW, HeaderValue::from_static("GET, POST"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_needs_one_name() {
        assert_eq!(
            person(b"approver=Ann+Lee&comment=ok%0Agreen"),
            Ok(("Ann Lee".to_owned(), Some("ok green".to_owned())))
        );
        assert!(person(b"comment=x").is_err());
        assert!(person(b"approver=+").is_err());
        assert!(person(b"approver=a&approver=b").is_err());
        assert!(person(format!("approver={}", "x".repeat(101)).as_bytes()).is_err());
    }

    #[test]
    fn every_response_carries_the_security_headers() {
        let response = response(&pages::tampered(), false);
        assert_eq!(response.status_code, 403);
        for (name, value) in [
            (
                "content-security-policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("x-frame-options", "DENY"),
            ("cache-control", "no-store"),
            ("content-type", "text/html; charset=utf-8"),
        ] {
            assert_eq!(
                response.headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "{name}"
            );
        }
    }
}
