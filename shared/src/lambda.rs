//! What every function's `main` does before anything else: JSON logs for
//! CloudWatch through `tracing`, the level from `RUST_LOG` (default
//! `info`), no timestamps (CloudWatch stamps each line) and no span
//! context (the functions log with fields, not spans).
//!
//! Every log line passes the masking boundary ([`crate::masked::Masked`])
//! on its way to stdout: a field that quotes a path, a ref name or an
//! error message holding a secret is written masked.

use std::io::{self, Write};

use crate::masked::Masked;

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
        .with_writer(|| MaskingWriter(io::stdout()))
        .init();
}

/// A writer that masks what it is given before passing it on. The
/// subscriber writes each event (one JSON line) in one call, so a line
/// is masked whole.
pub struct MaskingWriter<W>(pub W);

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        // A JSON line is masked string by string, so that a pattern
        // (URL userinfo, say) cannot run across fields and break the JSON
        // CloudWatch parses; anything else is masked as text.
        let masked = match serde_json::from_str::<serde_json::Value>(text.trim_end()) {
            Ok(value) => {
                let mut line = Masked::json(&value).into_string();
                if text.ends_with('\n') {
                    line.push('\n');
                }
                line
            }
            Err(_) => Masked::new(&text).into_string(),
        };
        self.0.write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_are_masked_on_their_way_out() -> io::Result<()> {
        // GIVEN a JSON log line whose fields quote a key and a password
        let key = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
        let line = format!(
            "{{\"level\":\"WARN\",\"fields\":{{\"error\":\"no file src/{key}.txt\",\"detail\":\"{{\\\"password\\\":\\\"a b\\\"}}\"}}}}\n"
        );
        // WHEN written
        let mut writer = MaskingWriter(Vec::new());
        writer.write_all(line.as_bytes())?;
        let out = String::from_utf8_lossy(&writer.0).into_owned();
        // THEN the key and the password are gone, the line is still JSON
        assert!(!out.contains(&key), "{out}");
        assert!(!out.contains("a b"), "{out}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&out).is_ok(),
            "{out}"
        );
        // AND a line whose fields a URL pattern could run across stays JSON
        let line = "{\"remote\":\"https://u:p4ss@h/x\",\"owner\":\"a@b\"}\n";
        let mut writer = MaskingWriter(Vec::new());
        writer.write_all(line.as_bytes())?;
        let out = String::from_utf8_lossy(&writer.0).into_owned();
        let value: serde_json::Value = serde_json::from_str(&out).map_err(io::Error::other)?;
        assert_eq!(value["owner"], "a@b", "{out}");
        assert!(!out.contains("p4ss"), "{out}");
        Ok(())
    }
}
