//! git smart HTTP for the repositories, behind CodeCommit's SigV4 git password.
//!
//! `repo-backup` mirrors repositories over HTTPS with nothing but AWS
//! credentials; this endpoint lets it (and a demo's `git clone` / `git
//! push`) do the same offline, at CodeCommit's paths:
//! `GET /v1/repos/<name>/info/refs?service=git-upload-pack|git-receive-pack`
//! and `POST /v1/repos/<name>/git-upload-pack|git-receive-pack`.
//!
//! Authentication is HTTP Basic with the username and password of
//! [`shared::codecommit_git`], checked against `Config::git_credentials`
//! for the request's `Host` and the server's region. The protocol itself is
//! `git http-backend` run as a CGI program: it is git's own implementation,
//! so protocol v2, gzip-compressed requests and push work as with any git
//! server.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use shared::codecommit_git::{self, Scope};
use tokio::io::AsyncWriteExt;

use crate::State;
use crate::codecommit::repository_path;

/// The largest request body accepted (a push's pack).
const MAX_BODY_BYTES: usize = 1 << 30;
const REALM: &str = "Basic realm=\"local-aws\"";

pub async fn handle(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    serve(&state, req)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// Why a git request is not served.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    /// 401 with the `WWW-Authenticate` challenge git needs to send
    /// credentials.
    #[error("authentication failed: {0}")]
    Unauthorized(String),
    #[error("{1}")]
    Status(StatusCode, String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match &self {
            Refusal::Unauthorized(reason) => {
                tracing::info!(reason = %reason, "git request refused");
                StatusCode::UNAUTHORIZED
            }
            Refusal::Status(status, _) => *status,
        };
        let mut resp = (status, format!("{self}\n")).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(REALM));
        }
        resp
    }
}

/// The smart-HTTP endpoints; everything else (the dumb protocol) is 404.
fn service_of(method: &Method, tail: &str, query: &str) -> Option<&'static str> {
    let wanted = |service: &str| {
        query
            .split('&')
            .any(|kv| kv == format!("service={service}"))
    };
    match (method, tail) {
        (&Method::GET, "info/refs") if wanted("git-upload-pack") => Some("git-upload-pack"),
        (&Method::GET, "info/refs") if wanted("git-receive-pack") => Some("git-receive-pack"),
        (&Method::POST, "git-upload-pack") => Some("git-upload-pack"),
        (&Method::POST, "git-receive-pack") => Some("git-receive-pack"),
        _ => None,
    }
}

fn text(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal::Status(status, message.into())
}

fn unauthorized(reason: &str) -> Refusal {
    Refusal::Unauthorized(reason.to_string())
}

/// Checks the Basic credentials for `repository`; returns the access key id.
fn authenticate(state: &State, headers: &HeaderMap, repository: &str) -> Result<String, Refusal> {
    let encoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(|| unauthorized("no Basic credentials"))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
    let (username, password) = decoded
        .split_once(':')
        .ok_or_else(|| unauthorized("malformed Basic credentials"))?;
    // A session token after `%` cannot be checked offline; the key id and
    // the signature still have to match.
    let (key_id, _session_token) = codecommit_git::split_username(username);
    let credential = state
        .config
        .git_credentials
        .iter()
        .find(|c| c.access_key_id == key_id)
        .ok_or_else(|| unauthorized("unknown access key id"))?;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("no Host header to check the signature against"))?;
    let scope = Scope {
        region: codecommit_git::signing_region(&state.config.region),
        host,
        repository,
    };
    codecommit_git::verify_password(
        &credential.secret_access_key,
        &scope,
        password,
        chrono::Utc::now(),
        codecommit_git::DEFAULT_MAX_SKEW,
    )
    .map_err(|e| unauthorized(&e.to_string()))?;
    Ok(key_id.to_string())
}

async fn serve(state: &State, req: Request) -> Result<Response, Refusal> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let rest = path.strip_prefix("/v1/repos/").unwrap_or_default();
    let (name, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let service = service_of(req.method(), tail, &query)
        .ok_or_else(|| text(StatusCode::NOT_FOUND, "not a git smart HTTP endpoint"))?;
    let user = authenticate(state, req.headers(), name)?;
    let repo_dir = repository_path(&state.config.repos_dir, name).ok_or_else(|| {
        text(
            StatusCode::NOT_FOUND,
            format!("repository {name} not found"),
        )
    })?;
    let dir_name = repo_dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();

    let method = req.method().to_string();
    let pushing = service == "git-receive-pack" && *req.method() == Method::POST;
    // CodeCommit makes the first branch pushed to an empty repository its
    // default branch: remember whether this push is that first one.
    let first_push = pushing && !crate::codecommit::has_branches(&repo_dir);
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|e| {
            text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("reading the request body: {e}"),
            )
        })?;

    // http-backend resolves PATH_INFO under GIT_PROJECT_ROOT; absolute so
    // that the server's working directory does not matter.
    let root = std::fs::canonicalize(&state.config.repos_dir)
        .unwrap_or_else(|_| state.config.repos_dir.clone());
    let header_env = |name: HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        // Only what the CGI contract and git need: no user config, no
        // inherited GIT_* variables.
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        // Pushes are allowed, and a push to the checked-out branch of a
        // repository with a work tree updates that work tree (when clean),
        // so a test can push and then keep committing there.
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "http.receivepack")
        .env("GIT_CONFIG_VALUE_0", "true")
        .env("GIT_CONFIG_KEY_1", "receive.denyCurrentBranch")
        .env("GIT_CONFIG_VALUE_1", "updateInstead")
        .env("GIT_PROJECT_ROOT", &root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{dir_name}/{tail}"))
        .env("REQUEST_METHOD", &method)
        .env("QUERY_STRING", &query)
        .env("CONTENT_TYPE", header_env(header::CONTENT_TYPE))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", &user)
        .env("REMOTE_ADDR", "127.0.0.1")
        // http-backend inflates gzip request bodies itself and switches to
        // protocol v2 from this header.
        .env(
            "HTTP_CONTENT_ENCODING",
            header_env(header::CONTENT_ENCODING),
        )
        .env(
            "HTTP_GIT_PROTOCOL",
            header_env(HeaderName::from_static("git-protocol")),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| {
        let message = if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed: install git (e.g. `apt-get install git`) to serve git smart HTTP"
                .to_string()
        } else {
            format!("cannot run `git http-backend`: {e}")
        };
        tracing::error!(error = %e, "git http-backend did not start");
        text(StatusCode::INTERNAL_SERVER_ERROR, message)
    })?;
    let stdin = child.stdin.take();
    let pushed = if first_push {
        pushed_branches(&body)
    } else {
        Vec::new()
    };
    // Feed the body while reading the answer: a large answer would
    // otherwise fill the pipe and block both sides.
    let feed = async move {
        if let Some(mut stdin) = stdin {
            stdin.write_all(&body).await?;
            stdin.shutdown().await?;
        }
        Ok::<(), std::io::Error>(())
    };
    let (fed, output) = tokio::join!(feed, child.wait_with_output());
    let output = output.map_err(|e| {
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("git http-backend failed: {e}"),
        )
    })?;
    if let Err(e) = fed {
        // The backend may stop reading early (e.g. on a bad request); its
        // own answer says why.
        tracing::debug!(error = %e, "git http-backend did not read the whole request");
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.trim().is_empty() {
        tracing::warn!(repository = %name, service, stderr = %stderr.trim(), "git http-backend reported");
    }
    if output.stdout.is_empty() {
        return Err(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "git http-backend answered nothing ({}): {}",
                output.status,
                stderr.trim()
            ),
        ));
    }
    let response = cgi_response(&output.stdout).ok_or_else(|| {
        text(
            StatusCode::BAD_GATEWAY,
            "git http-backend sent a malformed CGI answer",
        )
    })?;
    if first_push && response.status().is_success() {
        match crate::codecommit::adopt_default_branch(&repo_dir, &pushed) {
            Ok(Some(branch)) => {
                tracing::info!(repository = %name, branch = %branch, "default branch set by the first push");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(repository = %name, error = %e, "default branch not set"),
        }
    }
    tracing::info!(repository = %name, service, method = %method, status = %response.status(), "git request served");
    Ok(response)
}

/// The branches a receive-pack request creates or updates, in the order
/// of its commands (pkt-lines `<old> <new> <ref>[\0capabilities]` before
/// the flush packet). Deletions (new id all zeros) are left out.
fn pushed_branches(body: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while rest.len() >= 4 {
        let Some(len) = std::str::from_utf8(&rest[..4])
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
        else {
            break;
        };
        if len < 4 || len > rest.len() {
            break; // flush packet (0000) or not a pkt-line: the commands end
        }
        let line = &rest[4..len];
        rest = &rest[len..];
        let command = line.split(|b| *b == 0).next().unwrap_or_default();
        let text = String::from_utf8_lossy(command);
        let mut parts = text.trim_end().split(' ');
        if let (Some(_old), Some(new), Some(reference)) = (parts.next(), parts.next(), parts.next())
            && !new.bytes().all(|b| b == b'0')
            && let Some(branch) = reference.strip_prefix("refs/heads/")
        {
            out.push(branch.to_string());
        }
    }
    out
}

/// Turns a CGI answer (`Status:` and other headers, a blank line, the body)
/// into an HTTP response.
fn cgi_response(output: &[u8]) -> Option<Response> {
    let (head_len, sep_len) = find(output, b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| find(output, b"\n\n").map(|i| (i, 2)))?;
    let head = std::str::from_utf8(&output[..head_len]).ok()?;
    let body = output[head_len + sep_len..].to_vec();
    let mut status = StatusCode::OK;
    let mut headers = HeaderMap::new();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            status = value
                .split_whitespace()
                .next()
                .and_then(|code| code.parse::<u16>().ok())
                .and_then(|code| StatusCode::from_u16(code).ok())?;
        } else if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Some(response)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgi_status_headers_and_body_are_carried_over() {
        let out = b"Status: 404 Not Found\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\n\r\nRepository not found\n";
        let resp = cgi_response(out);
        let resp = resp.as_ref();
        assert_eq!(resp.map(|r| r.status()), Some(StatusCode::NOT_FOUND));
        assert_eq!(
            resp.and_then(|r| r.headers().get(header::CONTENT_TYPE))
                .and_then(|v| v.to_str().ok()),
            Some("text/plain")
        );
    }

    #[test]
    fn cgi_without_status_is_200_and_malformed_is_refused() {
        let out = b"Content-Type: application/x-git-upload-pack-advertisement\n\n001e# service=git-upload-pack\n";
        assert_eq!(cgi_response(out).map(|r| r.status()), Some(StatusCode::OK));
        assert!(cgi_response(b"no header end").is_none());
    }

    #[test]
    fn pushed_branches_come_in_command_order_without_deletions() {
        let zero = "0".repeat(40);
        let one = "1".repeat(40);
        let pkt = |s: String| format!("{:04x}{s}", s.len() + 4);
        let body = format!(
            "{}{}{}0000PACK...",
            pkt(format!(
                "{zero} {one} refs/heads/develop\0report-status side-band-64k\n"
            )),
            pkt(format!("{one} {zero} refs/heads/gone\n")),
            pkt(format!("{zero} {one} refs/tags/v1\n")),
        );
        assert_eq!(pushed_branches(body.as_bytes()), ["develop"]);
        assert!(pushed_branches(b"garbage").is_empty());
    }

    #[test]
    fn only_smart_endpoints_are_served() {
        assert_eq!(
            service_of(&Method::GET, "info/refs", "service=git-upload-pack"),
            Some("git-upload-pack")
        );
        assert_eq!(
            service_of(&Method::GET, "info/refs", "service=git-receive-pack"),
            Some("git-receive-pack")
        );
        assert_eq!(
            service_of(&Method::POST, "git-receive-pack", ""),
            Some("git-receive-pack")
        );
        assert_eq!(service_of(&Method::GET, "info/refs", ""), None);
        assert_eq!(service_of(&Method::GET, "HEAD", ""), None);
        assert_eq!(service_of(&Method::GET, "objects/info/packs", ""), None);
    }
}
