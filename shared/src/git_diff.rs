//! What commits add, read from a local git repository with gix: the commits
//! to look at, each commit's changed files against a parent, and which lines
//! of a new file version are added. One implementation for the two places
//! that diff locally: `codewarden scan --git` and the secret-scanner's git
//! path (a large push fetched with [`crate::git_fetch`]).
//!
//! Feature `git` (gix without a network transport).

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::diff::blob::{Algorithm, Diff, InternedInput};
use gix::object::tree::EntryMode;
use gix::object::tree::diff::ChangeDetached;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A git read that failed, and what was being read.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct DiffError {
    pub what: String,
    #[source]
    pub source: BoxError,
}

impl DiffError {
    pub fn new(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// Decoded objects a repository handle keeps (trees above all: the trees
/// of neighbouring commits are mostly the same objects).
pub const OBJECT_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Delta bases a repository handle keeps: a packed blob or tree is a chain
/// of deltas, and without this cache every read inflates the whole chain
/// again (git's own `core.deltaBaseCacheLimit` is 96 MiB per process).
pub const PACK_CACHE_BYTES: usize = 96 * 1024 * 1024;

/// Sets up `repo` (one handle, one thread) to read many commits of one
/// history: the object and delta-base caches above.
pub fn cache_for_history(repo: &mut gix::Repository) {
    repo.object_cache_size_if_unset(OBJECT_CACHE_BYTES);
    repo.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            PACK_CACHE_BYTES,
        ))
    });
}

/// Every commit reachable from `tips` and not from `hidden`, newest first
/// (no limit: the caller bounds the work, not the walk).
pub fn commits(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    hidden: Vec<ObjectId>,
) -> Result<Vec<ObjectId>, DiffError> {
    let walk = |e| DiffError::new("cannot walk the commit graph", e);
    let mut commits = Vec::new();
    for info in repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(walk)?
    {
        commits.push(info.map_err(walk)?.id);
    }
    Ok(commits)
}

/// A file (not a tree) that a change adds or modifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedBlob {
    pub path: String,
    pub id: ObjectId,
    /// The parent's version when it is a blob (renames followed); `None`
    /// when added, so that every line is new.
    pub previous: Option<ObjectId>,
    /// Blob, executable, symlink or commit (a submodule).
    pub mode: EntryMode,
}

/// How [`changed_blobs`] treats a file that moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renames {
    /// Followed: a moved file is compared with its old version, so only
    /// its changed lines are new, and a pure rename adds nothing (what
    /// `git log -p` shows; the CLI's history scan).
    Follow,
    /// Not followed: a moved file is new at its new path, every line of it
    /// added, as CodeCommit's GetDifferences reports it (no rename
    /// detection). The secret-scanner's git path: a file renamed out of a
    /// path that was not scanned (an allowed path) is scanned whole, and
    /// both paths give the same verdict on the same history.
    AsAdditions,
}

/// What `tree` adds or modifies relative to `parent` (the empty tree when
/// `None`), renames as `renames` says. Deletions are left out (they add no
/// line), and so are mode changes and, when followed, pure renames.
pub fn changed_blobs(
    repo: &gix::Repository,
    parent: Option<&gix::Tree<'_>>,
    tree: &gix::Tree<'_>,
    renames: Renames,
) -> Result<Vec<ChangedBlob>, DiffError> {
    let rewrites = match renames {
        Renames::Follow => Some(gix::diff::Rewrites::default()),
        Renames::AsAdditions => None,
    };
    let options = gix::diff::Options::default().with_rewrites(rewrites);
    let changes = repo
        .diff_tree_to_tree(parent, Some(tree), options)
        .map_err(|e| DiffError::new("cannot diff the commit against its parent", e))?;
    let mut out = Vec::new();
    for change in changes {
        let (location, mode, id, previous) = match change {
            ChangeDetached::Addition {
                location,
                entry_mode,
                id,
                ..
            } => (location, entry_mode, id, None),
            ChangeDetached::Modification {
                location,
                previous_entry_mode,
                previous_id,
                entry_mode,
                id,
            } => {
                let previous = previous_entry_mode.is_blob().then_some(previous_id);
                (location, entry_mode, id, previous)
            }
            ChangeDetached::Rewrite {
                location,
                source_entry_mode,
                source_id,
                entry_mode,
                id,
                ..
            } => {
                // Only with `Renames::Follow` (rewrites off: no `Rewrite`).
                let previous = source_entry_mode.is_blob().then_some(source_id);
                (location, entry_mode, id, previous)
            }
            ChangeDetached::Deletion { .. } => continue,
        };
        if mode.is_tree() || previous == Some(id) {
            continue; // a pure rename or mode change adds no line
        }
        out.push(ChangedBlob {
            path: location.to_str_lossy().into_owned(),
            id,
            previous,
            mode,
        });
    }
    Ok(out)
}

/// For each line of `new` (index = line number - 1): is it added relative
/// to `old`? (A histogram line diff, as `git diff` makes.)
pub fn added_lines(old: &[u8], new: &[u8]) -> Vec<bool> {
    let input = InternedInput::new(old, new);
    let diff = Diff::compute(Algorithm::Histogram, &input);
    (0..input.after.len() as u32)
        .map(|line| diff.is_added(line))
        .collect()
}

/// Lines as the diff counts them: `\n`-terminated, plus an unterminated last one.
pub fn line_count(data: &[u8]) -> usize {
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    newlines + usize::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// Git's octal spelling of a mode (`100644`, `100755`, `120000`, `160000`).
pub fn mode_string(mode: EntryMode) -> String {
    format!("{:o}", mode.value())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_those_of_the_new_version() {
        // GIVEN a file whose second line changed and which gained a last line
        let old = b"a\nb\nc\n";
        let new = b"a\nB\nc\nd";
        // WHEN diffed
        let added = added_lines(old, new);
        // THEN lines 2 and 4 (1-based) are the added ones
        assert_eq!(added, vec![false, true, false, true]);
    }

    #[test]
    fn line_count_matches_the_diff_tokenizer() {
        for data in [&b""[..], b"x", b"x\n", b"x\ny", b"\n\n"] {
            let input = InternedInput::new(&b""[..], data);
            assert_eq!(line_count(data), input.after.len(), "{data:?}");
        }
    }

    #[test]
    fn modes_are_spelled_as_git_does() {
        use gix::object::tree::EntryKind;
        assert_eq!(mode_string(EntryKind::Blob.into()), "100644");
        assert_eq!(mode_string(EntryKind::BlobExecutable.into()), "100755");
        assert_eq!(mode_string(EntryKind::Link.into()), "120000");
        assert_eq!(mode_string(EntryKind::Commit.into()), "160000");
    }
}
