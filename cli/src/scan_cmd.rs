//! `codewarden scan`: pick the enumeration (files or git), load the
//! configuration and baseline, run the scan on a sized thread pool, apply the
//! baseline, write the report and decide the exit status.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::cli::{ColorChoice, Format, ScanArgs};
use crate::engine_glue::{self, ConfigSource, Engine};
use crate::progress::Progress;
use crate::report::{self, LocatedDrop, Report, Stats, Style};
use crate::scan_git::{self, Selection};
use crate::scan_paths::{self, Scanned};

/// The repository configuration looked for in a scan root.
pub const CONFIG_FILE: &str = ".codewarden.toml";

/// Exit statuses (see `codewarden --help`).
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn run(args: &ScanArgs) -> Result<u8> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .context("cannot start the worker threads")?;
    let baseline = args
        .baseline
        .as_deref()
        .map(engine_glue::load_baseline)
        .transpose()?;
    let git = match (&args.git, args.all) {
        (Some(range), _) => Some(Selection::Range(range)),
        (None, true) => Some(Selection::All),
        (None, false) => None,
    };

    let stderr_tty = io::stderr().is_terminal();
    let progress = Progress::start(
        !args.quiet && (args.progress || stderr_tty),
        stderr_tty,
        git.is_some(),
        Duration::from_millis(args.progress_interval_ms.max(10)),
    );

    let counters = Arc::clone(progress.counters());
    let (engine, scanned, commits) = match git {
        Some(selection) => {
            let repo = scan_git::open(&args.repo)?;
            let plan = scan_git::plan(&repo, &selection)?;
            let source = match &args.config {
                Some(file) => ConfigSource::File(file.clone()),
                None => scan_git::config_source(&repo, &plan)?,
            };
            let engine = Engine::load(source)?;
            let options = scan_git::Options {
                max_file_size: args.max_file_size,
                explain: args.explain,
            };
            let repo = repo.into_sync();
            let scanned =
                pool.install(|| scan_git::scan(&repo, &plan, &engine, &options, &counters))?;
            let commits = plan.commit_count() as u64;
            (engine, scanned, Some(commits))
        }
        None => {
            let engine = Engine::load(path_config(args))?;
            let options = scan_paths::Options {
                roots: &args.paths,
                hidden: !args.no_hidden,
                no_ignore: args.no_ignore,
                max_file_size: args.max_file_size,
                explain: args.explain,
            };
            let scanned = pool.install(|| scan_paths::scan(&engine, &options, &counters))?;
            (engine, scanned, None)
        }
    };
    drop(progress);

    let Scanned {
        findings,
        dropped,
        errors,
        skipped,
        files,
        bytes,
    } = scanned;

    if let Some(file) = &args.write_baseline {
        let json =
            engine_glue::baseline_json(findings.iter().map(|l| (l.path.as_str(), &l.finding)))?;
        std::fs::write(file, json)
            .with_context(|| format!("cannot write the baseline {}", file.display()))?;
        if !args.quiet {
            eprintln!(
                "wrote {} fingerprints to the baseline {}",
                findings.len(),
                file.display()
            );
        }
    }

    let total = findings.len();
    let mut dropped = dropped;
    let findings: Vec<_> = match &baseline {
        Some(baseline) => {
            let (known, new): (Vec<_>, Vec<_>) = findings
                .into_iter()
                .partition(|l| baseline.contains(&l.finding));
            dropped.extend(known.into_iter().map(|l| LocatedDrop {
                dropped: engine_glue::baselined(&l.finding),
                path: l.path,
                origin: l.origin,
            }));
            new
        }
        None => findings,
    };
    let mut stats = Stats {
        files_scanned: files,
        bytes_scanned: bytes,
        commits_scanned: commits,
        findings: findings.len() as u64,
        baselined: (total - findings.len()) as u64,
        skipped,
        errors: errors.len() as u64,
        ..Stats::default()
    };
    stats.set_elapsed(started.elapsed());
    let mut report = Report {
        findings,
        dropped: args.explain.then_some(dropped),
        errors,
        stats,
        rules: engine.rule_meta(),
    };
    report.sort();

    write_report(&report, args)?;

    Ok(if args.write_baseline.is_some() {
        EXIT_CLEAN
    } else if !report.findings.is_empty() {
        EXIT_FINDINGS
    } else if !report.errors.is_empty() {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    })
}

/// `--config`, else `.codewarden.toml` in the first scanned directory.
fn path_config(args: &ScanArgs) -> ConfigSource {
    if let Some(file) = &args.config {
        return ConfigSource::File(file.clone());
    }
    let first = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    let dir = if first.is_dir() {
        first
    } else {
        first.parent().unwrap_or(Path::new("."))
    };
    let candidate = dir.join(CONFIG_FILE);
    if candidate.is_file() {
        ConfigSource::File(candidate)
    } else {
        ConfigSource::None
    }
}

fn write_report(report: &Report, args: &ScanArgs) -> Result<()> {
    let stderr = io::stderr();
    let mut explain: Box<dyn Write> = if args.quiet {
        Box::new(io::sink())
    } else {
        Box::new(stderr.lock())
    };
    match &args.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot create the report {}", path.display()))?;
            let mut out = BufWriter::new(file);
            report::render(
                report,
                args.format,
                Style { color: false },
                &mut out,
                &mut explain,
            )
            .with_context(|| format!("cannot write the report {}", path.display()))
        }
        None => {
            let stdout = io::stdout();
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    stdout.is_terminal()
                        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                }
            };
            let style = Style {
                color: color && args.format == Format::Human,
            };
            let mut out = BufWriter::new(stdout.lock());
            match report::render(report, args.format, style, &mut out, &mut explain) {
                // `codewarden scan | head` closing the pipe is not an error.
                Err(e) if is_broken_pipe(&e) => Ok(()),
                other => other.context("cannot write the report"),
            }
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        let kind = match e.downcast_ref::<serde_json::Error>() {
            Some(json) => json.io_error_kind(),
            None => e.downcast_ref::<io::Error>().map(io::Error::kind),
        };
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}
