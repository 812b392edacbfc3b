//! The HTTP server: one router for the AWS JSON APIs (dispatched on
//! `X-Amz-Target`), git smart HTTP and the admin API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::faults::Faults;
use crate::{ApiError, admin, codebuild, codecommit, codepipeline, git_http};

/// The CodeCommit SigV4 git credentials the git endpoint accepts.
#[derive(Debug, Clone)]
pub struct GitCredential {
    pub access_key_id: String,
    pub secret_access_key: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Directory holding one git repository per CodeCommit repository:
    /// `<repos_dir>/<name>.git` (bare) or `<repos_dir>/<name>` (with work tree).
    pub repos_dir: PathBuf,
    /// Where to listen; port 0 picks a free port.
    pub bind: SocketAddr,
    pub region: String,
    pub account_id: String,
    /// Credentials accepted by git smart HTTP. The default is the test
    /// credentials the local stack hands out (`test` / `test`).
    pub git_credentials: Vec<GitCredential>,
    /// Access key id -> the caller's ARN, for the CodeCommit operations
    /// that care who calls (approvals, authors). Keys not listed (the
    /// default `test` among them) call as
    /// `arn:aws:iam::<account>:user/local-aws` ([`crate::identity`]).
    pub identities: BTreeMap<String, String>,
}

impl Config {
    pub fn new(repos_dir: impl Into<PathBuf>) -> Self {
        Self {
            repos_dir: repos_dir.into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            git_credentials: vec![GitCredential {
                access_key_id: "test".into(),
                secret_access_key: "test".into(),
            }],
            identities: BTreeMap::new(),
        }
    }
}

/// Everything the server knows; shared by all requests.
#[derive(Debug)]
pub struct State {
    pub config: Config,
    pub faults: Mutex<Faults>,
    /// How many times each operation was called (faulted calls included).
    pub calls: Mutex<BTreeMap<String, u64>>,
    pub codecommit: Mutex<codecommit::Model>,
    pub codepipeline: Mutex<codepipeline::Model>,
    pub codebuild: Mutex<codebuild::Model>,
}

impl State {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            faults: Mutex::default(),
            calls: Mutex::default(),
            codecommit: Mutex::default(),
            codepipeline: Mutex::default(),
            codebuild: Mutex::default(),
        }
    }

    pub fn record_call(&self, operation: &str) {
        *lock(&self.calls).entry(operation.to_string()).or_default() += 1;
    }

    pub fn take_fault(&self, operation: &str) -> Option<ApiError> {
        lock(&self.faults).take(operation)
    }
}

/// Locks a mutex, recovering from poisoning: a panicked request must not
/// take the whole test server down with it.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running server. Dropping it stops it.
pub struct Server {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds and starts serving in the background on the current tokio runtime.
    pub async fn start(mut config: Config) -> std::io::Result<Server> {
        std::fs::create_dir_all(&config.repos_dir)?;
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        // Record the port actually bound (port 0 picks one): answers that
        // point back at this server (CodeCommit's cloneUrlHttp) need it.
        config.bind = addr;
        let state = Arc::new(State::new(config));
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "local-aws server stopped");
            }
        });
        Ok(Server { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL_CODECOMMIT` etc.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &Arc<State> {
        &self.state
    }

    /// Serves until the task ends (used by the binary).
    pub async fn wait(&mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/", post(aws_json))
        .route("/v1/repos/{*rest}", any(git_http::handle))
        .nest("/_admin", admin::router())
        .layer(axum::middleware::map_response(with_request_id))
        .with_state(state)
}

/// Every AWS response carries `x-amzn-RequestId` (errors included); the
/// SDK exposes it as `request_id()` and users quote it in support cases.
async fn with_request_id(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&request_id()) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// A fresh UUID-shaped id from the process, the time and a counter, so ids
/// never repeat within or across runs.
fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    codecommit::uuid_from(&format!("request/{}/{nanos}/{n}", std::process::id()))
}

const CODECOMMIT_PREFIX: &str = "CodeCommit_20150413.";
const CODEPIPELINE_PREFIX: &str = "CodePipeline_20150709.";
const CODEBUILD_PREFIX: &str = "CodeBuild_20161006.";

/// One AWS JSON 1.1 call: `X-Amz-Target: <Service_Version>.<Operation>`.
async fn aws_json(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let caller = crate::identity::caller_arn(&state.config, &headers);
    if target.is_empty() && is_get_caller_identity(&body) {
        state.record_call("GetCallerIdentity");
        return get_caller_identity(&state.config, &caller);
    }
    let result = dispatch(state, &target, &caller, body).await;
    match result {
        Ok(value) => {
            let mut resp = axum::Json(value).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            resp
        }
        Err(e) => {
            tracing::info!(target = %target, code = %e.code, "answered with an error");
            e.into_response()
        }
    }
}

/// Whether a request is STS `GetCallerIdentity` (the query protocol: a
/// form body `Action=GetCallerIdentity&Version=2011-06-15`).
fn is_get_caller_identity(body: &[u8]) -> bool {
    std::str::from_utf8(body)
        .map(|text| {
            text.split('&')
                .any(|pair| pair == "Action=GetCallerIdentity")
        })
        .unwrap_or(false)
}

/// STS `GetCallerIdentity`: the caller's ARN as the CodeCommit operations
/// see it ([`crate::identity`]), so that a function can learn the identity
/// its comments and approvals carry, as it does on AWS.
fn get_caller_identity(config: &Config, caller: &str) -> Response {
    let body = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>local-aws</UserId>\
         <Account>{account}</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>",
        arn = xml_escape(caller),
        account = xml_escape(&config.account_id),
        id = request_id(),
    );
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    resp
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn dispatch(
    state: Arc<State>,
    target: &str,
    caller: &str,
    body: Bytes,
) -> Result<serde_json::Value, ApiError> {
    let (service, operation) = if let Some(op) = target.strip_prefix(CODECOMMIT_PREFIX) {
        (Service::CodeCommit, op.to_string())
    } else if let Some(op) = target.strip_prefix(CODEPIPELINE_PREFIX) {
        (Service::CodePipeline, op.to_string())
    } else if let Some(op) = target.strip_prefix(CODEBUILD_PREFIX) {
        (Service::CodeBuild, op.to_string())
    } else {
        return Err(ApiError::unknown_operation(target));
    };
    state.record_call(&operation);
    if let Some(fault) = state.take_fault(&operation) {
        return Err(fault);
    }
    let input: serde_json::Value = if body.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::client(
                "SerializationException",
                format!("request body is not JSON: {e}"),
            )
        })?
    };
    // Repository reads are blocking (gix): keep them off the async workers.
    let caller = caller.to_string();
    tokio::task::spawn_blocking(move || match service {
        Service::CodeCommit => codecommit::handle(&state, &caller, &operation, input),
        Service::CodePipeline => codepipeline::handle(&state, &operation, input),
        Service::CodeBuild => codebuild::handle(&state, &operation, input),
    })
    .await
    .map_err(|e| ApiError::server(format!("handler panicked: {e}")))?
}

// The services' own names, which happen to share a prefix.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy)]
enum Service {
    CodeCommit,
    CodePipeline,
    CodeBuild,
}
