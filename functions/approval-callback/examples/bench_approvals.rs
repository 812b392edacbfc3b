//! Measures the per-request work of the approval links, without AWS:
//! signing a link, parsing + verifying one (constant-time HMAC), rendering
//! the confirmation page, and a whole GET through the handler (which calls
//! no AWS API). Prints numbers; asserts nothing about speed.
//!
//! ```sh
//! cargo run --release -p approval-callback --example bench_approvals
//! ```

use std::time::{Duration, Instant};

use approval_callback::{SdkDeps, handle_at};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::approval::{ApprovalLink, Decision, SigningKey};

fn measure(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per = start.elapsed() / iterations;
    let rate = Duration::from_secs(1).as_nanos() / per.as_nanos().max(1);
    println!("{name:<34} {per:>10.2?} per op   {rate:>9} ops/s   ({iterations} runs)");
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let key = SigningKey::new(
        b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_vec(),
    )?;
    let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_else(Utc::now);
    let link = ApprovalLink {
        pipeline: "codewarden-demo-pipeline".into(),
        stage: "Approve".into(),
        action: "ManualApproval".into(),
        token: "6d2a8f4c-1e3b-4a5d-9c7e-2b4d6f8a0c1e".into(),
        decision: Decision::Approve,
        expires: now + chrono::Duration::days(7),
        execution_id: Some("c7d3e1f0-5a4b-4c2d-8e9f-0a1b2c3d4e5f".into()),
        repository: Some("codewarden-demo".into()),
        commit: Some("4c1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39".into()),
        requester: Some("arn:aws:iam::123456789012:user/alice".into()),
    };
    let query = link.query(&key);
    println!("link query string: {} bytes", query.len());

    measure("sign (query string + HMAC)", 100_000, || {
        std::hint::black_box(link.query(&key));
    });
    measure("parse + verify", 100_000, || {
        let signed = ApprovalLink::from_query(query.as_bytes()).ok();
        std::hint::black_box(signed.map(|s| s.verify(&key, now).is_ok()));
    });
    let tampered = query.replace("decision=approve", "decision=reject");
    measure("parse + verify (tampered)", 100_000, || {
        let signed = ApprovalLink::from_query(tampered.as_bytes()).ok();
        std::hint::black_box(signed.map(|s| s.verify(&key, now).is_err()));
    });

    // GET never calls AWS: the client is configured but unused.
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    let deps = SdkDeps::new(aws_sdk_codepipeline::Client::new(&sdk), key.clone());
    let event = json!({
        "version": "2.0", "rawPath": "/", "rawQueryString": query, "headers": {},
        "requestContext": {"http": {"method": "GET", "path": "/"}, "timeEpoch": 0},
        "isBase64Encoded": false
    });
    let started = Instant::now();
    let runs = 20_000u32;
    let mut ok = 0;
    for _ in 0..runs {
        let response = handle_at(event.clone(), &deps, now).await;
        ok += u32::from(response.status_code == 200);
    }
    let per = started.elapsed() / runs;
    println!(
        "{:<34} {per:>10.2?} per op   {:>9} ops/s   ({runs} runs, {ok} answered 200)",
        "GET confirmation page (handler)",
        Duration::from_secs(1).as_nanos() / per.as_nanos().max(1)
    );
    Ok(())
}
