//! The human report: one line per finding, `path:line:col  rule-id  masked
//! (confidence)`, grouped per file (and per commit for git scans), then a
//! summary line. Colours are plain ANSI SGR codes, used only when the caller
//! decided the destination is a terminal that wants them.

use std::io::{self, Write};

use super::{LocatedDrop, Report, Stats};
use crate::engine_glue;

/// Whether to emit ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn path(self, text: &str) -> String {
        self.paint("35", text)
    }

    fn rule(self, text: &str) -> String {
        self.paint("33", text)
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    fn confidence(self, level: &str) -> String {
        let code = match level {
            "high" => "1;31",
            "medium" => "33",
            _ => "2",
        };
        self.paint(code, &format!("({level})"))
    }
}

pub fn write(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let mut previous: Option<(&str, &str)> = None;
    let mut group: Vec<[String; 4]> = Vec::new();
    for located in &report.findings {
        let commit = located.origin.as_ref().map_or("", |o| o.commit.as_str());
        let current = (commit, located.path.as_str());
        if previous != Some(current) {
            flush_group(&mut group, style, out)?;
            if previous.is_some() {
                writeln!(out)?;
            }
            if let Some(origin) = &located.origin
                && previous.map(|p| p.0) != Some(commit)
            {
                let header = format!(
                    "commit {}  {} <{}>  {}",
                    origin.commit, origin.author, origin.email, origin.date
                );
                writeln!(out, "{}", style.bold(&header))?;
            }
            previous = Some(current);
        }
        let f = &located.finding;
        group.push([
            format!("{}:{}:{}", located.path, f.line, f.column),
            f.rule_id.to_string(),
            f.masked.to_string(),
            engine_glue::confidence(f),
        ]);
    }
    flush_group(&mut group, style, out)?;
    for error in &report.errors {
        writeln!(
            out,
            "{}: {}: {}",
            style.paint("31", "error"),
            error.path,
            error.error
        )?;
    }
    if !report.findings.is_empty() || !report.errors.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(&report.stats, count_files(report)))
}

/// Writes the lines of one file, columns aligned within the file.
fn flush_group(group: &mut Vec<[String; 4]>, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let location_width = group.iter().map(|g| g[0].len()).max().unwrap_or(0);
    let rule_width = group.iter().map(|g| g[1].len()).max().unwrap_or(0);
    for [location, rule, masked, confidence] in group.drain(..) {
        let location_pad = " ".repeat(location_width - location.len());
        let rule_pad = " ".repeat(rule_width - rule.len());
        writeln!(
            out,
            "{}{location_pad}  {}{rule_pad}  {masked}  {}",
            style.path(&location),
            style.rule(&rule),
            style.confidence(&confidence),
        )?;
    }
    Ok(())
}

fn count_files(report: &Report) -> usize {
    let mut files: Vec<&str> = report.findings.iter().map(|f| f.path.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    files.len()
}

/// `3 findings in 2 files; scanned 120 files (4.2 MB) in 0.05 s, 84.0 MB/s; skipped 2 (1 binary, 1 too large)`
pub fn summary(stats: &Stats, files_with_findings: usize) -> String {
    let mut text = format!(
        "{} in {}",
        plural(stats.findings, "finding"),
        plural(files_with_findings as u64, "file")
    );
    if stats.baselined > 0 {
        text.push_str(&format!(" ({} in the baseline)", stats.baselined));
    }
    text.push_str("; scanned ");
    if let Some(commits) = stats.commits_scanned {
        text.push_str(&format!("{}, ", plural(commits, "commit")));
        text.push_str(&plural(stats.files_scanned, "changed file"));
    } else {
        text.push_str(&plural(stats.files_scanned, "file"));
    }
    text.push_str(&format!(
        " ({:.1} MB) in {:.2} s, {:.1} MB/s",
        stats.bytes_scanned as f64 / 1e6,
        stats.elapsed_seconds,
        stats.mb_per_second
    ));
    let skipped = &stats.skipped;
    if skipped.total() > 0 {
        let reasons: Vec<String> = [
            (skipped.binary, "binary"),
            (skipped.too_large, "too large"),
            (skipped.allowlisted_path, "allowlisted path"),
            (skipped.unreadable, "unreadable"),
            (skipped.not_a_file, "submodule or symlink"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
        text.push_str(&format!(
            "; skipped {} ({})",
            skipped.total(),
            reasons.join(", ")
        ));
    }
    if stats.errors > 0 {
        text.push_str(&format!("; {}", plural(stats.errors, "error")));
    }
    text
}

/// `--explain` in the human format: one line per dropped candidate.
pub fn write_dropped(dropped: &[LocatedDrop], style: Style, out: &mut dyn Write) -> io::Result<()> {
    for drop in dropped {
        let d = &drop.dropped;
        let commit = drop
            .origin
            .as_ref()
            .map(|o| format!(" [{}]", short(&o.commit)))
            .unwrap_or_default();
        writeln!(
            out,
            "{} {}:{}:{}{commit}  {}  {}  {}",
            style.dim("dropped"),
            drop.path,
            d.line,
            d.column,
            style.rule(&d.rule_id),
            d.masked,
            d.reason
        )?;
    }
    Ok(())
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Skipped;

    #[test]
    fn summary_names_every_skip_reason_and_the_throughput() {
        // GIVEN a scan that skipped a binary and an oversized file
        let mut stats = Stats {
            files_scanned: 10,
            bytes_scanned: 5_000_000,
            findings: 2,
            skipped: Skipped {
                binary: 1,
                too_large: 1,
                ..Skipped::default()
            },
            ..Stats::default()
        };
        stats.set_elapsed(std::time::Duration::from_millis(500));
        // WHEN it is summarised
        let text = summary(&stats, 1);
        // THEN the reader sees counts, size, speed and why files were skipped
        assert_eq!(
            text,
            "2 findings in 1 file; scanned 10 files (5.0 MB) in 0.50 s, 10.0 MB/s; \
             skipped 2 (1 binary, 1 too large)"
        );
    }

    #[test]
    fn colour_is_off_unless_asked() {
        assert_eq!(Style { color: false }.rule("x"), "x");
        assert_eq!(Style { color: true }.rule("x"), "\x1b[33mx\x1b[0m");
    }
}
