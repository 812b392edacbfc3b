//! The scan report: findings placed in a file (and, for git scans, a commit),
//! the candidates dropped on the way (`--explain`), and statistics; rendered
//! as text for people, JSON for scripts or SARIF for code-scanning services.
//!
//! Only masked values ever reach this module: a `Finding` holds no secret.

mod human;
mod json;
mod sarif;

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::cli::Format;
use crate::engine_glue::{DroppedCandidate, Finding, RuleMeta};

pub use human::Style;

/// The commit a git finding was introduced by.
#[derive(Debug, Clone, Serialize)]
pub struct Origin {
    pub commit: String,
    pub author: String,
    pub email: String,
    pub date: String,
    /// Commit time in seconds since the epoch, for ordering only.
    #[serde(skip)]
    pub time: i64,
}

/// A finding with the file it is in (relative path, forward slashes).
#[derive(Debug, Clone, Serialize)]
pub struct Located {
    pub path: String,
    #[serde(flatten)]
    pub origin: Option<Origin>,
    #[serde(flatten)]
    pub finding: Finding,
    /// Start and end columns in UTF-16 code units (SARIF's default unit;
    /// the engine counts bytes).
    #[serde(skip)]
    pub utf16_columns: (usize, usize),
}

impl Located {
    /// Places each finding of `data` in `path`.
    pub fn all(
        path: &str,
        origin: Option<&Origin>,
        data: &[u8],
        findings: Vec<Finding>,
    ) -> Vec<Located> {
        if findings.is_empty() {
            return Vec::new();
        }
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(newline_offsets(data).map(|i| i + 1))
            .collect();
        let utf16_column = |line: usize, column: usize| {
            let start = line_starts
                .get(line.saturating_sub(1))
                .copied()
                .unwrap_or(0);
            let end = (start + column.saturating_sub(1)).min(data.len());
            String::from_utf8_lossy(&data[start.min(end)..end])
                .encode_utf16()
                .count()
                + 1
        };
        findings
            .into_iter()
            .map(|finding| Located {
                path: path.to_string(),
                origin: origin.cloned(),
                utf16_columns: (
                    utf16_column(finding.line, finding.column),
                    utf16_column(finding.end_line, finding.end_column),
                ),
                finding,
            })
            .collect()
    }
}

fn newline_offsets(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    data.iter()
        .enumerate()
        .filter_map(|(i, &b)| (b == b'\n').then_some(i))
}

/// A dropped candidate with the file it is in.
#[derive(Debug, Clone, Serialize)]
pub struct LocatedDrop {
    pub path: String,
    #[serde(flatten)]
    pub origin: Option<Origin>,
    #[serde(flatten)]
    pub dropped: DroppedCandidate,
}

/// A file, blob or commit that could not be scanned.
#[derive(Debug, Clone, Serialize)]
pub struct ItemError {
    pub path: String,
    pub error: String,
}

/// Why files were not scanned, counted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Skipped {
    pub binary: u64,
    pub too_large: u64,
    /// Excluded by the path allowlist of `.codewarden.toml`.
    pub allowlisted_path: u64,
    pub unreadable: u64,
    /// Git only: submodule entries (gitlinks) and symbolic links.
    pub not_a_file: u64,
}

impl Skipped {
    pub fn total(&self) -> u64 {
        self.binary + self.too_large + self.allowlisted_path + self.unreadable + self.not_a_file
    }

    pub fn add(&mut self, other: &Skipped) {
        self.binary += other.binary;
        self.too_large += other.too_large;
        self.allowlisted_path += other.allowlisted_path;
        self.unreadable += other.unreadable;
        self.not_a_file += other.not_a_file;
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Files (or, for git scans, changed blobs) scanned.
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits_scanned: Option<u64>,
    /// Findings reported (after the baseline).
    pub findings: u64,
    /// Findings suppressed by `--baseline`.
    pub baselined: u64,
    pub skipped: Skipped,
    pub errors: u64,
    pub elapsed_seconds: f64,
    pub mb_per_second: f64,
}

impl Stats {
    pub fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed_seconds = elapsed.as_secs_f64();
        self.mb_per_second = if self.elapsed_seconds > 0.0 {
            self.bytes_scanned as f64 / 1e6 / self.elapsed_seconds
        } else {
            0.0
        };
    }
}

/// Everything a renderer needs.
pub struct Report {
    pub findings: Vec<Located>,
    /// `Some` only with `--explain`.
    pub dropped: Option<Vec<LocatedDrop>>,
    pub errors: Vec<ItemError>,
    pub stats: Stats,
    /// The rules in effect (SARIF lists them; results point into this list).
    pub rules: Vec<RuleMeta>,
}

impl Report {
    /// Orders findings by commit (oldest first), path, line, column and
    /// rule, so that the output is the same whatever the thread count.
    pub fn sort(&mut self) {
        fn key<'a>(path: &'a str, origin: &'a Option<Origin>) -> (i64, &'a str, &'a str) {
            match origin {
                Some(o) => (o.time, o.commit.as_str(), path),
                None => (0, "", path),
            }
        }
        self.findings.sort_by(|a, b| {
            key(&a.path, &a.origin)
                .cmp(&key(&b.path, &b.origin))
                .then(a.finding.line.cmp(&b.finding.line))
                .then(a.finding.column.cmp(&b.finding.column))
                .then(a.finding.rule_id.cmp(&b.finding.rule_id))
        });
        if let Some(dropped) = &mut self.dropped {
            dropped.sort_by(|a, b| {
                key(&a.path, &a.origin)
                    .cmp(&key(&b.path, &b.origin))
                    .then(a.dropped.line.cmp(&b.dropped.line))
                    .then(a.dropped.column.cmp(&b.dropped.column))
                    .then(a.dropped.rule_id.cmp(&b.dropped.rule_id))
            });
        }
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
    }
}

/// Writes the report in `format` to `out`. In the human format the dropped
/// candidates go to `explain` (standard error), as they are diagnostics.
pub fn render(
    report: &Report,
    format: Format,
    style: Style,
    out: &mut dyn Write,
    explain: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Human => {
            if let Some(dropped) = &report.dropped {
                human::write_dropped(dropped, style, explain)?;
            }
            human::write(report, style, out)?;
        }
        Format::Json => json::write(report, out)?,
        Format::Sarif => sarif::write(report, out)?,
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::scan::{Confidence, Severity};

    fn finding(line: usize, column: usize, end_column: usize) -> Finding {
        Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            line,
            column,
            end_line: line,
            end_column,
            masked: "***".into(),
            fingerprint: "f".into(),
            confidence: Confidence::High,
            severity: Severity::High,
            baseline_key: Default::default(),
        }
    }

    #[test]
    fn utf16_columns_count_code_units_not_bytes() {
        // GIVEN a secret after "é" (2 bytes, 1 UTF-16 unit) and "𝄞" (4 bytes, 2 units)
        let data = "first\né𝄞 = abcdef\n".as_bytes();
        // byte column of `a`: 1 + 2 + 4 + 3 = 10; UTF-16 column: 1 + 1 + 2 + 3 = 7
        let located = Located::all("p", None, data, vec![finding(2, 10, 16)]);
        // THEN SARIF gets code-unit columns
        assert_eq!(located[0].utf16_columns, (7, 13));
        assert_eq!(located[0].finding.column, 10);
    }
}
