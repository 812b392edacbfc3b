//! Enumeration for `codewarden scan --git RANGE` / `--all`: the lines that
//! commits added, read from a local repository with gix (the diffing itself
//! is `shared::git_diff`, shared with the secret-scanner's git path).
//!
//! Each commit's tree is diffed against its first parent's (a root commit
//! against the empty tree), with rename tracking so that a moved file is not
//! reported again. For each added or modified blob the whole new blob is
//! scanned, and a finding is kept when one of its lines is an added line: the
//! line numbers are those of the new file and a secret spanning several lines
//! is still matched as a whole.
//!
//! Merge commits in a range are judged like `git log --cc` does: a line is
//! new only if it is new against every parent. Otherwise the merge of `main`
//! into a feature branch would re-report, under the merge, everything that
//! `main` brought, although those commits were deliberately excluded from
//! the range (they are scanned on their own when in range). A single commit
//! (`--git abc123`) is diffed against its first parent only, as asked.

use std::path::Path;

use anyhow::{Context, Result, bail};
use gix::ObjectId;
use gix::bstr::{BStr, ByteSlice};
use gix::revision::plumbing::Spec;
use rayon::prelude::*;
use shared::git_diff::{self, ChangedBlob, added_lines, line_count};

use crate::engine_glue::{self, ConfigSource, Engine};
use crate::progress::Counters;
use crate::report::{ItemError, Located, LocatedDrop, Origin};
use crate::scan_paths::Scanned;

/// Which commits to scan.
pub enum Selection<'a> {
    /// `BASE..TIP` or a single commit.
    Range(&'a str),
    /// Every commit reachable from a reference.
    All,
}

/// How merge commits are diffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MergeDiff {
    FirstParent,
    Combined,
}

/// The commits to scan and the commit whose configuration applies.
pub struct Plan {
    commits: Vec<ObjectId>,
    tip: Option<ObjectId>,
    merges: MergeDiff,
}

impl Plan {
    pub fn commit_count(&self) -> usize {
        self.commits.len()
    }
}

pub fn open(dir: &Path) -> Result<gix::Repository> {
    let mut repo = gix::discover(dir)
        .with_context(|| format!("{} is not in a git repository", dir.display()))?;
    git_diff::cache_for_history(&mut repo);
    Ok(repo)
}

/// Resolves the selection into commits.
pub fn plan(repo: &gix::Repository, selection: &Selection<'_>) -> Result<Plan> {
    match selection {
        Selection::All => {
            let mut tips = Vec::new();
            let platform = repo.references().context("cannot list the references")?;
            for reference in platform.all().context("cannot list the references")? {
                let mut reference = reference
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .context("cannot read a reference")?;
                // Tags of trees or blobs have no history to scan.
                if let Ok(commit) = reference.peel_to_commit() {
                    tips.push(commit.id);
                }
            }
            let head = repo.head_id().ok().map(|id| id.detach());
            tips.extend(head);
            tips.sort();
            tips.dedup();
            Ok(Plan {
                commits: walk(repo, tips, Vec::new())?,
                tip: head,
                merges: MergeDiff::Combined,
            })
        }
        Selection::Range(spec) => {
            let parsed = repo
                .rev_parse(*spec)
                .with_context(|| format!("invalid git range `{spec}`"))?
                .detach();
            match parsed {
                Spec::Include(id) => {
                    let commit = peel_commit(repo, id, spec)?;
                    Ok(Plan {
                        commits: vec![commit],
                        tip: Some(commit),
                        merges: MergeDiff::FirstParent,
                    })
                }
                Spec::Range { from, to } => {
                    let base = peel_commit(repo, from, spec)?;
                    let tip = peel_commit(repo, to, spec)?;
                    Ok(Plan {
                        commits: walk(repo, vec![tip], vec![base])?,
                        tip: Some(tip),
                        merges: MergeDiff::Combined,
                    })
                }
                _ => bail!(
                    "unsupported git range `{spec}`: use BASE..TIP (commits in TIP but not in BASE) \
                     or a single commit"
                ),
            }
        }
    }
}

fn peel_commit(repo: &gix::Repository, id: ObjectId, spec: &str) -> Result<ObjectId> {
    let object = repo
        .find_object(id)
        .with_context(|| format!("cannot read {id} of `{spec}`"))?;
    let commit = object
        .peel_to_commit()
        .with_context(|| format!("`{spec}` does not name a commit"))?;
    Ok(commit.id)
}

fn walk(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
) -> Result<Vec<ObjectId>> {
    Ok(git_diff::commits(repo, tips, hidden)?)
}

/// The configuration of a git scan: the work tree's `.codewarden.toml` if
/// there is one, else the one committed at the tip of the range.
pub fn config_source(repo: &gix::Repository, plan: &Plan) -> Result<ConfigSource> {
    if let Some(workdir) = repo.workdir() {
        let file = workdir.join(crate::scan_cmd::CONFIG_FILE);
        if file.is_file() {
            return Ok(ConfigSource::File(file));
        }
    }
    let Some(tip) = plan.tip else {
        return Ok(ConfigSource::None);
    };
    let tree = repo
        .find_commit(tip)
        .and_then(|c| c.tree())
        .with_context(|| format!("cannot read the tree of {tip}"))?;
    let entry = tree
        .lookup_entry_by_path(crate::scan_cmd::CONFIG_FILE)
        .with_context(|| format!("cannot read the tree of {tip}"))?;
    let Some(entry) = entry.filter(|e| e.mode().is_blob()) else {
        return Ok(ConfigSource::None);
    };
    let blob = repo
        .find_blob(entry.object_id())
        .with_context(|| format!("cannot read {} at {tip}", crate::scan_cmd::CONFIG_FILE))?;
    let text = String::from_utf8(blob.data.clone())
        .with_context(|| format!("{} at {tip} is not UTF-8", crate::scan_cmd::CONFIG_FILE))?;
    Ok(ConfigSource::Text {
        label: format!("{} at commit {tip}", crate::scan_cmd::CONFIG_FILE),
        text,
    })
}

pub struct Options {
    pub max_file_size: u64,
    pub explain: bool,
}

/// Scans every commit of the plan, in parallel on the caller's rayon pool.
pub fn scan(
    repo: &gix::ThreadSafeRepository,
    plan: &Plan,
    engine: &Engine,
    options: &Options,
    counters: &Counters,
) -> Result<Scanned> {
    let results: Vec<Result<Scanned, ItemError>> = plan
        .commits
        .par_iter()
        .map_init(
            || {
                // A thread's own handle: the caches set by `open` are per
                // handle.
                let mut repo = repo.to_thread_local();
                git_diff::cache_for_history(&mut repo);
                repo
            },
            |repo, id| {
                let result = scan_commit(repo, engine, options, plan.merges, *id, counters)
                    .map_err(|error| ItemError {
                        path: format!("commit {id}"),
                        error: format!("{error:#}"),
                    });
                counters.commit_done();
                result
            },
        )
        .collect();
    let mut scanned = Scanned::default();
    for result in results {
        match result {
            Ok(one) => {
                scanned.findings.extend(one.findings);
                scanned.dropped.extend(one.dropped);
                scanned.errors.extend(one.errors);
                scanned.skipped.add(&one.skipped);
                scanned.files += one.files;
                scanned.bytes += one.bytes;
            }
            Err(error) => scanned.errors.push(error),
        }
    }
    Ok(scanned)
}

fn scan_commit(
    repo: &gix::Repository,
    engine: &Engine,
    options: &Options,
    merges: MergeDiff,
    id: ObjectId,
    counters: &Counters,
) -> Result<Scanned> {
    let commit = repo.find_commit(id).context("cannot read the commit")?;
    let origin = origin(&commit)?;
    let tree = commit.tree().context("cannot read the commit's tree")?;
    let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
    let mut parent_trees = Vec::with_capacity(parents.len());
    for parent in &parents {
        let parent_tree = repo
            .find_commit(*parent)
            .and_then(|c| c.tree())
            .with_context(|| format!("cannot read the tree of parent {parent}"))?;
        parent_trees.push(parent_tree);
        if merges == MergeDiff::FirstParent {
            break;
        }
    }
    let changes =
        git_diff::changed_blobs(repo, parent_trees.first(), &tree, git_diff::Renames::Follow)?;

    let mut scanned = Scanned::default();
    for changed in changes {
        if !changed.mode.is_blob() {
            scanned.skipped.not_a_file += 1;
            continue;
        }
        if let Err(error) = scan_blob(
            repo,
            engine,
            options,
            &parent_trees[1.min(parent_trees.len())..],
            &changed,
            &origin,
            &mut scanned,
            counters,
        ) {
            scanned.errors.push(ItemError {
                path: format!("{} (commit {id})", changed.path),
                error: format!("{error:#}"),
            });
        }
    }
    Ok(scanned)
}

/// Lines scanned around each run of added lines, so that a rule whose
/// keyword sits a line or two above its secret still sees it.
const CONTEXT_LINES: usize = 3;

/// Scans the runs of added lines of `data` (each with [`CONTEXT_LINES`]
/// around it) instead of the whole blob: a one-line change to a long file
/// costs a few lines, as `git log -p` does for other scanners. The whole
/// blob is scanned when most of it is added, or when it holds a PEM block
/// (a key edited in place spans lines that did not change). Findings keep
/// the blob's line numbers; the caller keeps those touching added lines.
fn scan_added_regions(
    engine: &Engine,
    data: &[u8],
    added: &[bool],
    explain: bool,
) -> engine_glue::Outcome {
    let added_count = added.iter().filter(|&&a| a).count();
    if added_count * 2 >= added.len() || memchr::memmem::find(data, b"-----BEGIN").is_some() {
        return engine_glue::scan(engine.scanner(), data, explain);
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', data).map(|i| i + 1))
        .collect();
    let mut outcome = engine_glue::Outcome::default();
    let mut line = 0;
    while line < added.len() {
        if !added[line] {
            line += 1;
            continue;
        }
        // One region for added lines close enough that their contexts meet.
        let first = line.saturating_sub(CONTEXT_LINES);
        let mut last = line;
        let mut next = line + 1;
        while next < added.len() && next <= last + 2 * CONTEXT_LINES + 1 {
            if added[next] {
                last = next;
            }
            next += 1;
        }
        let end = (last + CONTEXT_LINES).min(added.len() - 1);
        let from = line_starts.get(first).copied().unwrap_or(data.len());
        let to = line_starts.get(end + 1).copied().unwrap_or(data.len());
        let part = engine_glue::scan(engine.scanner(), &data[from..to], explain);
        outcome
            .findings
            .extend(part.findings.into_iter().map(|mut finding| {
                finding.line += first;
                finding.end_line += first;
                finding
            }));
        outcome
            .dropped
            .extend(part.dropped.into_iter().map(|mut dropped| {
                dropped.line += first;
                dropped
            }));
        line = end + 1;
    }
    outcome
}

#[allow(clippy::too_many_arguments)]
fn scan_blob(
    repo: &gix::Repository,
    engine: &Engine,
    options: &Options,
    other_parents: &[gix::Tree<'_>],
    changed: &ChangedBlob,
    origin: &Origin,
    scanned: &mut Scanned,
    counters: &Counters,
) -> Result<()> {
    if !engine.should_scan(&changed.path) {
        scanned.skipped.allowlisted_path += 1;
        return Ok(());
    }
    let header = repo
        .find_header(changed.id)
        .context("cannot read the blob")?;
    if header.size() > options.max_file_size {
        scanned.skipped.too_large += 1;
        return Ok(());
    }
    let new = repo
        .find_blob(changed.id)
        .context("cannot read the blob")?
        .detach()
        .data;
    if engine_glue::looks_binary(&new) {
        scanned.skipped.binary += 1;
        return Ok(());
    }

    let old = match changed.previous {
        Some(previous) => comparable_blob(repo, previous, options.max_file_size)?,
        None => None,
    };
    let mut added = match &old {
        Some(old) => added_lines(old, &new),
        None => vec![true; line_count(&new)],
    };
    for parent in other_parents {
        let entry = parent
            .lookup_entry_by_path(&changed.path)
            .context("cannot read a merge parent's tree")?;
        let Some(entry) = entry.filter(|e| e.mode().is_blob()) else {
            continue; // absent from this parent: every line is new against it
        };
        if entry.object_id() == changed.id {
            added.clear(); // taken whole from this parent: nothing new
            break;
        }
        if let Some(other) = comparable_blob(repo, entry.object_id(), options.max_file_size)? {
            for (line, is_new) in added.iter_mut().zip(added_lines(&other, &new)) {
                *line &= is_new;
            }
        }
    }

    scanned.files += 1;
    scanned.bytes += new.len() as u64;
    if !added.iter().any(|&a| a) {
        counters.file_done(new.len(), 0);
        return Ok(());
    }
    let outcome = scan_added_regions(engine, &new, &added, options.explain);
    let touches_added = |first: usize, last: usize| {
        (first.max(1)..=last.max(first)).any(|line| added.get(line - 1).copied().unwrap_or(false))
    };
    let before = scanned.findings.len();
    let added_findings = outcome
        .findings
        .into_iter()
        .filter(|f| touches_added(f.line, f.end_line))
        .collect();
    scanned.findings.extend(Located::all(
        &changed.path,
        Some(origin),
        &new,
        added_findings,
    ));
    for dropped in outcome.dropped {
        if touches_added(dropped.line, dropped.line) {
            scanned.dropped.push(LocatedDrop {
                path: changed.path.clone(),
                origin: Some(origin.clone()),
                dropped,
            });
        }
    }
    counters.file_done(new.len(), scanned.findings.len() - before);
    Ok(())
}

/// A previous version to diff against, unless it is too large or binary (then
/// every line of the new version counts as added: over-reporting is safer).
fn comparable_blob(repo: &gix::Repository, id: ObjectId, max: u64) -> Result<Option<Vec<u8>>> {
    let header = repo
        .find_header(id)
        .context("cannot read the previous blob")?;
    if header.size() > max {
        return Ok(None);
    }
    let data = repo
        .find_blob(id)
        .context("cannot read the previous blob")?
        .detach()
        .data;
    Ok((!engine_glue::looks_binary(&data)).then_some(data))
}

fn origin(commit: &gix::Commit<'_>) -> Result<Origin> {
    let author = commit.author().context("cannot read the commit's author")?;
    let author = author.trim();
    let time = author.time().ok();
    let date = time
        .and_then(|t| t.format(gix::date::time::format::ISO8601_STRICT).ok())
        .unwrap_or_default();
    Ok(Origin {
        commit: commit.id.to_string(),
        author: lossy(author.name),
        email: lossy(author.email),
        date,
        time: time.map_or(0, |t| t.seconds),
    })
}

fn lossy(text: &BStr) -> String {
    text.to_str_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AKIAZ7Q3XK2LMNB4RT6Y";

    /// 100 lines of code, an AWS key id at the (1-based) lines in `keys`.
    fn file(keys: &[usize]) -> Vec<u8> {
        (1..=100)
            .map(|n| {
                if keys.contains(&n) {
                    format!("aws_access_key_id = \"{KEY}\"\n")
                } else {
                    format!("let value_{n} = compute({n});\n")
                }
            })
            .collect::<String>()
            .into_bytes()
    }

    fn lines_found(data: &[u8], added_lines: &[usize]) -> anyhow::Result<Vec<usize>> {
        let engine = Engine::builtin()?;
        let added: Vec<bool> = (1..=100).map(|n| added_lines.contains(&n)).collect();
        let mut lines: Vec<usize> = scan_added_regions(&engine, data, &added, false)
            .findings
            .iter()
            .map(|f| f.line)
            .collect();
        lines.sort_unstable();
        Ok(lines)
    }

    #[test]
    fn only_the_regions_around_added_lines_are_scanned_at_their_lines() -> anyhow::Result<()> {
        // GIVEN keys at lines 10, 20, 60 and 99, of which 20, 60 and 99 are
        // added (with 21 next to 20)
        let data = file(&[10, 20, 60, 99]);
        // WHEN scanned THEN the added ones are found at their own lines, and
        // line 10, far from any added line, is not read
        assert_eq!(lines_found(&data, &[20, 21, 60, 99])?, vec![20, 60, 99]);
        // AND a key within the context of an added line is seen (the caller
        // drops it: it touches no added line)
        assert_eq!(lines_found(&data, &[12])?, vec![10]);
        Ok(())
    }

    #[test]
    fn a_mostly_added_file_or_a_pem_block_is_scanned_whole() -> anyhow::Result<()> {
        let data = file(&[10, 90]);
        let most: Vec<usize> = (40..=100).collect();
        assert_eq!(lines_found(&data, &most)?, vec![10, 90]);
        let mut pem = file(&[10]);
        pem.extend_from_slice(b"-----BEGIN RSA PRIVATE KEY-----\n");
        assert_eq!(lines_found(&pem, &[50])?, vec![10]);
        Ok(())
    }
}
