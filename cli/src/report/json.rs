//! The JSON report:
//! `{"version", "findings": [{path, commit?, author?, email?, date?, ...Finding}],
//! "dropped"?: [...], "errors": [...], "stats": {...}}`.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{ItemError, Located, LocatedDrop, Report, Stats};

#[derive(Serialize)]
struct JsonReport<'a> {
    version: &'static str,
    findings: &'a [Located],
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped: Option<&'a [LocatedDrop]>,
    errors: &'a [ItemError],
    stats: &'a Stats,
}

pub fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let json = JsonReport {
        version: env!("CARGO_PKG_VERSION"),
        findings: &report.findings,
        dropped: report.dropped.as_deref(),
        errors: &report.errors,
        stats: &report.stats,
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)?;
    Ok(())
}
