//! Fault injection in `local-aws`, seen through the real SDK client and its
//! retry strategies: the faults must look like AWS's (the SDK classifies
//! them as throttling / transient and retries), count every attempt, and
//! stay on the operation they were set for.

use std::time::Duration;

use anyhow::{Result, ensure};
use aws_sdk_codepipeline::Client;
use aws_sdk_codepipeline::config::retry::{RetryConfig, RetryPartition};
use aws_sdk_codepipeline::error::ProvideErrorMetadata;
use e2e::LocalAws;
use serde_json::{Value, json};

/// A server with one pipeline, so that `GetPipelineState` and
/// `ListPipelineExecutions` succeed once the faults are spent.
async fn start() -> Result<LocalAws> {
    let aws = LocalAws::start().await?;
    aws.admin_post(
        "/codepipeline/pipelines",
        json!({"name": "web", "stages": [{"name": "Build", "actions": [{"name": "Build", "category": "Build"}]}]}),
    )
    .await?;
    Ok(aws)
}

/// A client as a function builds one, with `retry` and its own retry
/// partition: the SDK shares the retry quota and the adaptive rate limiter
/// per partition across every client in the process, so without one a
/// test's throttles would slow the others down.
async fn client(aws: &LocalAws, retry: RetryConfig, partition: &'static str) -> Client {
    let config = aws_sdk_codepipeline::config::Builder::from(&aws.sdk_config().await)
        .retry_config(retry)
        .retry_partition(RetryPartition::new(partition))
        .build();
    Client::from_conf(config)
}

/// Millisecond backoff keeps the tests fast; the attempt count is what they check.
fn fast(retry: RetryConfig) -> RetryConfig {
    retry
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(50))
}

async fn inject(aws: &LocalAws, operation: &str, kind: &str, count: u32) -> Result<()> {
    aws.admin_post(
        "/faults",
        json!({"operation": operation, "kind": kind, "count": count}),
    )
    .await?;
    Ok(())
}

async fn calls(aws: &LocalAws) -> Result<Value> {
    aws.admin_get("/calls").await
}

/// `DELETE /_admin{path}` (the harness speaks POST and GET only).
async fn admin_delete(aws: &LocalAws, path: &str) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let endpoint = aws.endpoint();
    let host = endpoint.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    let request = format!(
        "DELETE /_admin{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    ensure!(
        response.starts_with("HTTP/1.1 200"),
        "DELETE {path}: {response}"
    );
    Ok(())
}

#[tokio::test]
async fn the_standard_retry_outlasts_two_throttles() -> Result<()> {
    let aws = start().await?;
    let cp = client(&aws, fast(RetryConfig::standard()), "two-throttles").await;
    inject(&aws, "GetPipelineState", "throttle", 2).await?;

    let state = cp.get_pipeline_state().name("web").send().await?;

    assert_eq!(state.pipeline_name(), Some("web"));
    assert_eq!(calls(&aws).await?, json!({"GetPipelineState": 3}));
    Ok(())
}

#[tokio::test]
async fn three_server_errors_exhaust_the_default_three_attempts() -> Result<()> {
    let aws = start().await?;
    let cp = client(&aws, fast(RetryConfig::standard()), "three-500s").await;
    inject(&aws, "GetPipelineState", "server_error", 3).await?;

    let err = cp
        .get_pipeline_state()
        .name("web")
        .send()
        .await
        .expect_err("three 500s in a row must fail a 3-attempt call");

    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(500));
    assert_eq!(err.into_service_error().code(), Some("InternalFailure"));
    assert_eq!(calls(&aws).await?, json!({"GetPipelineState": 3}));
    // The faults are spent: the next call goes through at once.
    cp.get_pipeline_state().name("web").send().await?;
    assert_eq!(calls(&aws).await?, json!({"GetPipelineState": 4}));
    Ok(())
}

#[tokio::test]
async fn five_attempts_outlast_three_server_errors() -> Result<()> {
    let aws = start().await?;
    let retry = fast(RetryConfig::standard().with_max_attempts(5));
    let cp = client(&aws, retry, "five-attempts").await;
    inject(&aws, "GetPipelineState", "server_error", 3).await?;

    cp.get_pipeline_state().name("web").send().await?;

    assert_eq!(calls(&aws).await?, json!({"GetPipelineState": 4}));
    Ok(())
}

#[tokio::test]
async fn the_adaptive_retry_recovers_from_throttling() -> Result<()> {
    let aws = start().await?;
    let cp = client(&aws, fast(RetryConfig::adaptive()), "adaptive").await;
    inject(&aws, "ListPipelineExecutions", "throttle", 2).await?;

    cp.list_pipeline_executions()
        .pipeline_name("web")
        .send()
        .await?;

    assert_eq!(calls(&aws).await?, json!({"ListPipelineExecutions": 3}));
    Ok(())
}

#[tokio::test]
async fn service_unavailable_is_retried_as_transient() -> Result<()> {
    let aws = start().await?;
    let cp = client(&aws, fast(RetryConfig::standard()), "503").await;
    inject(&aws, "GetPipelineState", "service_unavailable", 2).await?;

    cp.get_pipeline_state().name("web").send().await?;

    assert_eq!(calls(&aws).await?, json!({"GetPipelineState": 3}));
    Ok(())
}

#[tokio::test]
async fn a_fault_stays_on_its_operation() -> Result<()> {
    let aws = start().await?;
    // No retries: each call is one attempt, so each fault shows as an error.
    let cp = client(&aws, RetryConfig::disabled(), "one-operation").await;
    inject(&aws, "GetPipelineState", "throttle", 1).await?;

    cp.list_pipeline_executions()
        .pipeline_name("web")
        .send()
        .await?;
    let err = cp
        .get_pipeline_state()
        .name("web")
        .send()
        .await
        .expect_err("the fault was set on GetPipelineState");

    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    assert_eq!(err.into_service_error().code(), Some("ThrottlingException"));
    assert_eq!(
        calls(&aws).await?,
        json!({"GetPipelineState": 1, "ListPipelineExecutions": 1})
    );
    Ok(())
}

#[tokio::test]
async fn a_wildcard_fault_hits_the_next_call_of_any_operation() -> Result<()> {
    let aws = start().await?;
    let cp = client(&aws, RetryConfig::disabled(), "wildcard").await;
    inject(&aws, "*", "server_error", 1).await?;

    let err = cp
        .list_pipeline_executions()
        .pipeline_name("web")
        .send()
        .await;
    assert!(err.is_err(), "the first call takes the wildcard fault");
    cp.get_pipeline_state().name("web").send().await?;
    Ok(())
}

#[tokio::test]
async fn cleared_faults_and_reset_counters_start_afresh() -> Result<()> {
    let aws = start().await?;
    let cp = client(&aws, RetryConfig::disabled(), "reset").await;
    inject(&aws, "GetPipelineState", "throttle", 5).await?;
    cp.list_pipeline_executions()
        .pipeline_name("web")
        .send()
        .await?;

    admin_delete(&aws, "/faults").await?;
    admin_delete(&aws, "/calls").await?;

    assert_eq!(calls(&aws).await?, json!({}));
    cp.get_pipeline_state().name("web").send().await?;
    assert_eq!(calls(&aws).await?, json!({"GetPipelineState": 1}));
    Ok(())
}
