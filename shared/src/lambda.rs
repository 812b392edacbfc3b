//! What every function's `main` does before anything else: JSON logs for
//! CloudWatch through `tracing`, the level from `RUST_LOG` (default
//! `info`), no timestamps (CloudWatch stamps each line) and no span
//! context (the functions log with fields, not spans).

/// Installs the global JSON subscriber; call once, first thing in `main`.
///
/// # Panics
///
/// If a global subscriber is already installed (a second call).
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .without_time()
        .init();
}
