//! Merge conflicts between two commits, as GetMergeOptions judges them:
//! at FILE_LEVEL a file changed differently on both sides since the merge
//! base conflicts; at LINE_LEVEL only when the two sides change the same
//! or adjacent lines of it (git's rule: touching changes conflict), or
//! when either change is not a line change (added, deleted, mode or type
//! changed, binary).

use gix::objs::tree::EntryMode;

use super::commits::commit_tree;
use super::diff::{file_changes, hunks, is_binary};
use super::internal;
use crate::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    File,
    Line,
}

/// The paths that conflict when merging `source` and `destination` from
/// their merge base `base`.
pub(super) fn conflicts(
    repo: &gix::Repository,
    base: gix::ObjectId,
    source: gix::ObjectId,
    destination: gix::ObjectId,
    level: Level,
) -> Result<Vec<String>, ApiError> {
    let base_tree = commit_tree(repo, base)?;
    let ours = file_changes(repo, &base_tree, &commit_tree(repo, source)?)?;
    let theirs = file_changes(repo, &base_tree, &commit_tree(repo, destination)?)?;
    let mut out = Vec::new();
    for (path, mine) in &ours {
        let Some(other) = theirs.get(path) else {
            continue;
        };
        if mine == other {
            continue; // the same change on both sides merges cleanly
        }
        let clean = level == Level::Line
            && match (mine, other) {
                (Some(a), Some(b)) => lines_merge(repo, &base_tree, path, *a, *b)?,
                _ => false,
            };
        if !clean {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Whether two edits of one file touch disjoint, non-adjacent line ranges
/// of its base version.
fn lines_merge(
    repo: &gix::Repository,
    base_tree: &gix::Tree<'_>,
    path: &str,
    mine: (gix::ObjectId, EntryMode),
    other: (gix::ObjectId, EntryMode),
) -> Result<bool, ApiError> {
    let Some(base_entry) = base_tree
        .lookup_entry_by_path(path)
        .map_err(internal("looking up a path"))?
    else {
        return Ok(false); // added on both sides, differently
    };
    let base_mode = base_entry.mode();
    if mine.1 != base_mode || other.1 != base_mode || !base_mode.is_blob() {
        return Ok(false);
    }
    let read = |id: gix::ObjectId| -> Result<Vec<u8>, ApiError> {
        Ok(repo
            .find_blob(id)
            .map_err(internal("reading a blob"))?
            .take_data())
    };
    let base = read(base_entry.object_id())?;
    let a = read(mine.0)?;
    let b = read(other.0)?;
    if [&base, &a, &b].iter().any(|d| is_binary(d)) {
        return Ok(false);
    }
    let (Ok(base), Ok(a), Ok(b)) = (
        std::str::from_utf8(&base),
        std::str::from_utf8(&a),
        std::str::from_utf8(&b),
    ) else {
        return Ok(false);
    };
    let ranges = |side: &str| -> Vec<(usize, usize)> {
        hunks(base, side, 0, false)
            .iter()
            .map(|h| {
                // 0-based [start, end) in the base; an insertion is empty at
                // the line it goes before.
                let start = if h.before_count == 0 {
                    h.before_start
                } else {
                    h.before_start - 1
                };
                (start, start + h.before_count)
            })
            .collect()
    };
    let (ra, rb) = (ranges(a), ranges(b));
    let touching = ra
        .iter()
        .any(|(s1, e1)| rb.iter().any(|(s2, e2)| s1 <= e2 && s2 <= e1));
    Ok(!touching)
}
