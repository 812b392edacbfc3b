//! Enumeration for `codewarden scan PATH...`: walk the trees with the
//! `ignore` crate (so `.gitignore`, `.ignore` and git's exclude files are
//! honoured, as in ripgrep), skip what should not be scanned, and scan the
//! rest in parallel on the caller's rayon pool.

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use ignore::WalkBuilder;
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::engine_glue::{self, Engine};
use crate::progress::Counters;
use crate::report::{ItemError, Located, LocatedDrop, Skipped};

/// What to walk and how.
pub struct Options<'a> {
    pub roots: &'a [PathBuf],
    pub hidden: bool,
    pub no_ignore: bool,
    pub max_file_size: u64,
    pub explain: bool,
}

/// The raw results of a walk: findings (before any baseline) and counts.
#[derive(Default)]
pub struct Scanned {
    pub findings: Vec<Located>,
    pub dropped: Vec<LocatedDrop>,
    pub errors: Vec<ItemError>,
    pub skipped: Skipped,
    pub files: u64,
    pub bytes: u64,
}

/// One file's fate.
enum FileResult {
    Scanned {
        bytes: u64,
        findings: Vec<Located>,
        dropped: Vec<LocatedDrop>,
    },
    Skipped(Skip),
    Failed(ItemError),
}

enum Skip {
    Binary,
    TooLarge,
    AllowlistedPath,
}

/// Walks `options.roots` and scans every file on the current rayon pool.
pub fn scan(engine: &Engine, options: &Options<'_>, counters: &Counters) -> Result<Scanned> {
    let Some((first, rest)) = options.roots.split_first() else {
        bail!("no path to scan");
    };
    for root in options.roots {
        fs::metadata(root).with_context(|| format!("cannot scan {}", root.display()))?;
    }
    let mut walk = WalkBuilder::new(first);
    for root in rest {
        walk.add(root);
    }
    let honour_ignores = !options.no_ignore;
    walk.hidden(!options.hidden)
        .ignore(honour_ignores)
        .git_ignore(honour_ignores)
        .git_global(honour_ignores)
        .git_exclude(honour_ignores)
        .parents(honour_ignores)
        // A plain directory (an unpacked tarball, a CI workspace without
        // .git) gets its .gitignore honoured too.
        .require_git(false)
        .follow_links(false)
        // The object store is never source: `--git` is the way to scan history.
        .filter_entry(|entry| entry.file_name() != ".git");

    let results: Vec<FileResult> = walk
        .build()
        .par_bridge()
        .map(|entry| match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                let path = entry.path();
                let root = root_of(path, options.roots);
                let result = scan_file(engine, options, path, root);
                if let FileResult::Scanned {
                    bytes, findings, ..
                } = &result
                {
                    counters.file_done(*bytes as usize, findings.len());
                }
                Some(result)
            }
            Ok(_) => None,
            Err(error) => Some(FileResult::Failed(ItemError {
                path: error_path(&error),
                error: error.to_string(),
            })),
        })
        .flatten()
        .collect();

    let mut scanned = Scanned::default();
    for result in results {
        match result {
            FileResult::Scanned {
                bytes,
                findings,
                dropped,
            } => {
                scanned.files += 1;
                scanned.bytes += bytes;
                scanned.findings.extend(findings);
                scanned.dropped.extend(dropped);
            }
            FileResult::Skipped(Skip::Binary) => scanned.skipped.binary += 1,
            FileResult::Skipped(Skip::TooLarge) => scanned.skipped.too_large += 1,
            FileResult::Skipped(Skip::AllowlistedPath) => scanned.skipped.allowlisted_path += 1,
            FileResult::Failed(error) => {
                scanned.skipped.unreadable += 1;
                scanned.errors.push(error);
            }
        }
    }
    Ok(scanned)
}

fn scan_file(engine: &Engine, options: &Options<'_>, path: &Path, root: &Path) -> FileResult {
    let shown = display_path(path);
    if !engine.should_scan(&config_path(path, root)) {
        return FileResult::Skipped(Skip::AllowlistedPath);
    }
    let failed = |error: std::io::Error| {
        FileResult::Failed(ItemError {
            path: shown.clone(),
            error: error.to_string(),
        })
    };
    match fs::metadata(path) {
        Ok(meta) if meta.len() > options.max_file_size => {
            return FileResult::Skipped(Skip::TooLarge);
        }
        Ok(_) => {}
        Err(error) => return failed(error),
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => return failed(error),
    };
    // The file may have grown since the metadata call.
    if bytes.len() as u64 > options.max_file_size {
        return FileResult::Skipped(Skip::TooLarge);
    }
    if engine_glue::looks_binary(&bytes) {
        return FileResult::Skipped(Skip::Binary);
    }
    let outcome = engine_glue::scan(engine.scanner(), &bytes, options.explain);
    FileResult::Scanned {
        bytes: bytes.len() as u64,
        findings: Located::all(&shown, None, &bytes, outcome.findings),
        dropped: outcome
            .dropped
            .into_iter()
            .map(|dropped| LocatedDrop {
                path: shown.clone(),
                origin: None,
                dropped,
            })
            .collect(),
    }
}

/// The scan root a walked path came from (the longest matching one).
fn root_of<'a>(path: &Path, roots: &'a [PathBuf]) -> &'a Path {
    roots
        .iter()
        .filter(|root| path.starts_with(root))
        .max_by_key(|root| root.components().count())
        .map_or(Path::new(""), PathBuf::as_path)
}

/// The path the configuration's globs see: relative to the scan root
/// (for a file given as a root, its file name), forward slashes.
fn config_path(path: &Path, root: &Path) -> String {
    let relative = match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel,
        _ => path.file_name().map_or(path, Path::new),
    };
    slashes(relative)
}

/// The path shown in reports: as walked, without a leading `./`, with
/// forward slashes.
pub fn display_path(path: &Path) -> String {
    let trimmed: PathBuf = path
        .components()
        .skip_while(|c| matches!(c, Component::CurDir))
        .collect();
    slashes(&trimmed)
}

fn slashes(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

fn error_path(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { path, .. } => display_path(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_without_dot_slash() {
        assert_eq!(display_path(Path::new("./src/main.rs")), "src/main.rs");
        assert_eq!(display_path(Path::new("src/./a.rs")), "src/a.rs");
        assert_eq!(display_path(Path::new("/abs/x")), "/abs/x");
    }

    #[test]
    fn config_paths_are_relative_to_their_root() {
        let roots = [PathBuf::from("."), PathBuf::from("./vendor/lib")];
        let file = Path::new("./vendor/lib/src/a.rs");
        let root = root_of(file, &roots);
        assert_eq!(root, Path::new("./vendor/lib"));
        assert_eq!(config_path(file, root), "src/a.rs");
        assert_eq!(
            config_path(Path::new("one.env"), Path::new("one.env")),
            "one.env"
        );
    }
}
