//! GetDifferences (which files changed between two commits) and
//! GetBlobDifferences (which lines changed between two blobs, as hunks of
//! ADD / DELETE / CONTEXT lines): what the secret scanner enumerates.

use std::borrow::Cow;

use gix::object::tree::diff::ChangeDetached;
use gix::objs::tree::{EntryKind, EntryMode};
use serde::Deserialize;
use serde_json::{Value, json};
use similar::{Algorithm, DiffTag};

use super::commits::{blob_id, commit_tree, read_blob, resolve_commit};
use super::repository;
use super::{Paging, internal, max_results, put_opt, required};
use crate::{ApiError, State};

/// CodeCommit's defaults: 100 differences or hunks per page, 3 context lines.
const DEFAULT_PAGE: usize = 100;
const DEFAULT_CONTEXT: i64 = 3;
const MAX_CONTEXT: i64 = 20;
/// git's binary heuristic: a NUL byte among the first 8000 bytes.
const BINARY_SNIFF: usize = 8000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetDifferencesInput {
    repository_name: Option<String>,
    before_commit_specifier: Option<String>,
    after_commit_specifier: Option<String>,
    before_path: Option<String>,
    after_path: Option<String>,
    #[serde(rename = "MaxResults")]
    max_results: Option<i64>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

/// One side of a changed file: a blob, a symlink, or a submodule (a
/// gitlink, mode `160000`, whose "blob id" is the submodule's commit, as
/// CodeCommit's `BlobMetadata` reports it). Trees are not files.
#[derive(Debug, Clone, PartialEq)]
struct Side {
    path: String,
    id: gix::ObjectId,
    mode: EntryMode,
}

impl Side {
    fn file(path: &gix::bstr::BStr, id: gix::ObjectId, mode: EntryMode) -> Option<Self> {
        matches!(
            mode.kind(),
            EntryKind::Blob | EntryKind::BlobExecutable | EntryKind::Link | EntryKind::Commit
        )
        .then(|| Side {
            path: path.to_string(),
            id,
            mode,
        })
    }

    fn json(&self) -> Value {
        json!({
            "blobId": self.id.to_string(),
            "path": self.path,
            "mode": self.mode.kind().as_octal_str().to_string(),
        })
    }

    fn within(&self, dir: &str) -> bool {
        dir.is_empty()
            || self.path == dir
            || self
                .path
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Difference {
    before: Option<Side>,
    after: Option<Side>,
}

impl Difference {
    fn json(&self) -> Value {
        let change = match (&self.before, &self.after) {
            (None, _) => "A",
            (_, None) => "D",
            _ => "M",
        };
        let mut out = json!({ "changeType": change });
        put_opt(&mut out, "beforeBlob", self.before.as_ref().map(Side::json));
        put_opt(&mut out, "afterBlob", self.after.as_ref().map(Side::json));
        out
    }

    fn touches(&self, dir: &str) -> bool {
        [&self.before, &self.after]
            .into_iter()
            .flatten()
            .any(|side| side.within(dir))
    }
}

/// File-level differences from a tree diff. Rename detection is off, so a
/// rename is a deletion plus an addition; a file that becomes a directory
/// (or the reverse) is a deletion or addition of the file, its directory's
/// files coming as their own entries.
fn differences(changes: Vec<ChangeDetached>) -> Vec<Difference> {
    let mut out = Vec::new();
    for change in changes {
        let (before, after) = match change {
            ChangeDetached::Addition {
                location,
                entry_mode,
                id,
                ..
            } => (None, Side::file(location.as_ref(), id, entry_mode)),
            ChangeDetached::Deletion {
                location,
                entry_mode,
                id,
                ..
            } => (Side::file(location.as_ref(), id, entry_mode), None),
            ChangeDetached::Modification {
                location,
                previous_entry_mode,
                previous_id,
                entry_mode,
                id,
            } => (
                Side::file(location.as_ref(), previous_id, previous_entry_mode),
                Side::file(location.as_ref(), id, entry_mode),
            ),
            ChangeDetached::Rewrite {
                source_location,
                source_entry_mode,
                source_id,
                entry_mode,
                id,
                location,
                copy,
                ..
            } => {
                // Not produced with rewrites off; kept correct regardless.
                if !copy {
                    out.extend(
                        Side::file(source_location.as_ref(), source_id, source_entry_mode).map(
                            |s| Difference {
                                before: Some(s),
                                after: None,
                            },
                        ),
                    );
                }
                (None, Side::file(location.as_ref(), id, entry_mode))
            }
        };
        if before.is_some() || after.is_some() {
            out.push(Difference { before, after });
        }
    }
    out
}

/// What happened to each file between two trees: path -> the file after
/// (blob id and mode), `None` when it was deleted.
pub(super) type FileChanges =
    std::collections::BTreeMap<String, Option<(gix::ObjectId, EntryMode)>>;

pub(super) fn file_changes(
    repo: &gix::Repository,
    before: &gix::Tree<'_>,
    after: &gix::Tree<'_>,
) -> Result<FileChanges, ApiError> {
    let changes = repo
        .diff_tree_to_tree(Some(before), Some(after), gix::diff::Options::default())
        .map_err(internal("diffing trees"))?;
    let mut out = FileChanges::new();
    for d in differences(changes) {
        match (d.before, d.after) {
            (_, Some(after)) => {
                out.insert(after.path, Some((after.id, after.mode)));
            }
            (Some(before), None) => {
                out.entry(before.path).or_insert(None);
            }
            (None, None) => {}
        }
    }
    Ok(out)
}

pub(super) fn get_differences(
    state: &State,
    input: GetDifferencesInput,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let after_spec = required(
        &input.after_commit_specifier,
        "CommitRequiredException",
        "afterCommitSpecifier",
    )?;
    let page_size = max_results(input.max_results, DEFAULT_PAGE)?;
    let after = resolve_commit(&repo, after_spec)?;
    // Without a before commit, CodeCommit compares with the empty tree: every
    // file of the after commit is an addition.
    let before = match input
        .before_commit_specifier
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(spec) => Some(resolve_commit(&repo, spec)?),
        None => None,
    };
    let after_tree = commit_tree(&repo.git, after)?;
    let before_tree = before.map(|id| commit_tree(&repo.git, id)).transpose()?;

    let mut filters = Vec::new();
    for path in [&input.before_path, &input.after_path]
        .into_iter()
        .flatten()
    {
        let path = path.trim_matches('/');
        if path.is_empty() {
            continue;
        }
        let mut exists = after_tree
            .lookup_entry_by_path(path)
            .map_err(internal("looking up a path"))?
            .is_some();
        if let Some(tree) = &before_tree {
            exists |= tree
                .lookup_entry_by_path(path)
                .map_err(internal("looking up a path"))?
                .is_some();
        }
        if !exists {
            return Err(ApiError::client(
                "PathDoesNotExistException",
                format!("{path} does not exist in the compared commits"),
            ));
        }
        filters.push(path.to_string());
    }

    let changes = repo
        .git
        .diff_tree_to_tree(
            before_tree.as_ref(),
            Some(&after_tree),
            gix::diff::Options::default(),
        )
        .map_err(internal("diffing trees"))?;
    let all: Vec<Difference> = differences(changes)
        .into_iter()
        .filter(|d| filters.is_empty() || filters.iter().any(|f| d.touches(f)))
        .collect();

    let before_text = before.map(|b| b.to_string()).unwrap_or_default();
    let after_text = after.to_string();
    let paging = Paging::new(&[
        "GetDifferences",
        &repo.name,
        &before_text,
        &after_text,
        &filters.join("\0"),
    ]);
    let offset = paging.offset(input.next_token.as_deref())?;
    let (page, next) = paging.page(&all, offset, page_size);
    let mut out = json!({ "differences": page.iter().map(Difference::json).collect::<Vec<_>>() });
    put_opt(&mut out, "NextToken", next);
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetBlobDifferencesInput {
    repository_name: Option<String>,
    before_blob_id: Option<String>,
    after_blob_id: Option<String>,
    context_lines: Option<i64>,
    ignore_whitespace: Option<bool>,
    #[serde(rename = "MaxResults")]
    max_results: Option<i64>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Add,
    Delete,
    Context,
}

/// One line of a hunk, numbered from 1 on each side it exists on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub kind: LineKind,
    pub before: Option<usize>,
    pub after: Option<usize>,
    pub content: String,
}

/// A hunk with unified-diff numbering: a side with no lines in the hunk
/// starts at the line after which the other side's lines go (0 at the top
/// of the file), as `@@ -0,0 +1,3 @@` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hunk {
    pub before_start: usize,
    pub before_count: usize,
    pub after_start: usize,
    pub after_count: usize,
    pub lines: Vec<Line>,
}

impl Hunk {
    fn json(&self) -> Value {
        let changes: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                let kind = match line.kind {
                    LineKind::Add => "ADD",
                    LineKind::Delete => "DELETE",
                    LineKind::Context => "CONTEXT",
                };
                let mut out = json!({ "type": kind, "content": line.content });
                put_opt(&mut out, "beforeLineNumber", line.before);
                put_opt(&mut out, "afterLineNumber", line.after);
                out
            })
            .collect();
        json!({
            "beforeStartLine": self.before_start,
            "beforeLineCount": self.before_count,
            "afterStartLine": self.after_start,
            "afterLineCount": self.after_count,
            "changes": changes,
        })
    }
}

pub(crate) fn is_binary(data: &[u8]) -> bool {
    data.iter().take(BINARY_SNIFF).any(|b| *b == 0)
}

/// Splits text into lines that keep their `\n`, so that a missing final
/// newline is a change, as git shows it.
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn strip_newline(line: &str) -> String {
    line.strip_suffix('\n').unwrap_or(line).to_string()
}

/// What two lines are compared by: the line, or with `ignore_whitespace`
/// the line without any whitespace.
fn compare_key(line: &str, ignore_whitespace: bool) -> Cow<'_, str> {
    if ignore_whitespace {
        Cow::Owned(line.chars().filter(|c| !c.is_whitespace()).collect())
    } else {
        Cow::Borrowed(line)
    }
}

/// The line diff of two texts as hunks with `context` unchanged lines
/// around each change; hunks closer than twice the context merge, as in git.
pub(crate) fn hunks(
    before: &str,
    after: &str,
    context: usize,
    ignore_whitespace: bool,
) -> Vec<Hunk> {
    let old = split_lines(before);
    let new = split_lines(after);
    let old_keys: Vec<Cow<'_, str>> = old
        .iter()
        .map(|l| compare_key(l, ignore_whitespace))
        .collect();
    let new_keys: Vec<Cow<'_, str>> = new
        .iter()
        .map(|l| compare_key(l, ignore_whitespace))
        .collect();
    let ops = similar::capture_diff_slices(Algorithm::Myers, &old_keys, &new_keys);
    // One entry per line of the edit script, numbered by walking the
    // operations in order. similar's positions for the empty side of an
    // insertion or deletion are not reliable (an Insert after an Equal may
    // carry the old index from before it), so only each operation's length
    // is taken from it.
    let mut script: Vec<Line> = Vec::new();
    let (mut o, mut n) = (0usize, 0usize);
    for op in &ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let (deleted, added) = match tag {
            DiffTag::Equal => {
                for _ in old_range {
                    // With ignore_whitespace the two sides may differ in
                    // whitespace; show the after side, as git does.
                    script.push(Line {
                        kind: LineKind::Context,
                        before: Some(o + 1),
                        after: Some(n + 1),
                        content: strip_newline(new[n]),
                    });
                    o += 1;
                    n += 1;
                }
                continue;
            }
            DiffTag::Delete => (old_range.len(), 0),
            DiffTag::Insert => (0, new_range.len()),
            DiffTag::Replace => (old_range.len(), new_range.len()),
        };
        for _ in 0..deleted {
            script.push(Line {
                kind: LineKind::Delete,
                before: Some(o + 1),
                after: None,
                content: strip_newline(old[o]),
            });
            o += 1;
        }
        for _ in 0..added {
            script.push(Line {
                kind: LineKind::Add,
                before: None,
                after: Some(n + 1),
                content: strip_newline(new[n]),
            });
            n += 1;
        }
    }
    group_hunks(script, context)
}

/// Cuts an edit script into hunks: each change with up to `context`
/// unchanged lines on either side; changes whose contexts would meet or
/// overlap (at most twice the context apart) share a hunk, as in git.
fn group_hunks(script: Vec<Line>, context: usize) -> Vec<Hunk> {
    let changes: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, l)| l.kind != LineKind::Context)
        .map(|(i, _)| i)
        .collect();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for &i in &changes {
        let start = i.saturating_sub(context);
        let end = (i + 1 + context).min(script.len());
        match ranges.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = end,
            _ => ranges.push((start, end)),
        }
    }
    // Lines of each side before entry i: where a hunk with no lines on that
    // side starts (unified-diff convention, 0 at the top).
    let before_at = |i: usize| script[..i].iter().filter(|l| l.before.is_some()).count();
    let after_at = |i: usize| script[..i].iter().filter(|l| l.after.is_some()).count();
    ranges
        .into_iter()
        .map(|(start, end)| {
            let lines = script[start..end].to_vec();
            let before_count = lines.iter().filter(|l| l.before.is_some()).count();
            let after_count = lines.iter().filter(|l| l.after.is_some()).count();
            Hunk {
                before_start: lines
                    .iter()
                    .find_map(|l| l.before)
                    .unwrap_or_else(|| before_at(start)),
                before_count,
                after_start: lines
                    .iter()
                    .find_map(|l| l.after)
                    .unwrap_or_else(|| after_at(start)),
                after_count,
                lines,
            }
        })
        .collect()
}

pub(super) fn get_blob_differences(
    state: &State,
    input: GetBlobDifferencesInput,
) -> Result<Value, ApiError> {
    let repo = repository::open(state, &input.repository_name)?;
    let after_id = blob_id(&input.after_blob_id, "afterBlobId")?;
    let before_id = match input.before_blob_id.as_deref().filter(|s| !s.is_empty()) {
        Some(_) => Some(blob_id(&input.before_blob_id, "beforeBlobId")?),
        None => None,
    };
    let context = input.context_lines.unwrap_or(DEFAULT_CONTEXT);
    if !(0..=MAX_CONTEXT).contains(&context) {
        return Err(ApiError::validation(format!(
            "contextLines must be between 0 and {MAX_CONTEXT}, not {context}"
        )));
    }
    let ignore_whitespace = input.ignore_whitespace.unwrap_or(false);
    let page_size = max_results(input.max_results, DEFAULT_PAGE)?;

    let after = read_blob(state, &repo, after_id)?;
    // No before blob: a diff against empty content, every line an addition.
    let before = before_id
        .map(|id| read_blob(state, &repo, id))
        .transpose()?
        .unwrap_or_default();
    let binary = is_binary(&before) || is_binary(&after);
    let all = if binary {
        Vec::new()
    } else {
        hunks(
            &String::from_utf8_lossy(&before),
            &String::from_utf8_lossy(&after),
            usize::try_from(context).unwrap_or_default(),
            ignore_whitespace,
        )
    };

    let before_text = before_id.map(|b| b.to_string()).unwrap_or_default();
    let paging = Paging::new(&[
        "GetBlobDifferences",
        &repo.name,
        &before_text,
        &after_id.to_string(),
        &context.to_string(),
        &ignore_whitespace.to_string(),
    ]);
    let offset = paging.offset(input.next_token.as_deref())?;
    let (page, next) = paging.page(&all, offset, page_size);
    let mut out = json!({
        "hunks": page.iter().map(Hunk::json).collect::<Vec<_>>(),
        "isBinary": binary,
        "beforeBlobSize": before.len(),
        "afterBlobSize": after.len(),
    });
    put_opt(&mut out, "NextToken", next);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(h: &Hunk) -> Vec<(LineKind, Option<usize>, Option<usize>, &str)> {
        h.lines
            .iter()
            .map(|l| (l.kind, l.before, l.after, l.content.as_str()))
            .collect()
    }

    #[test]
    fn a_changed_line_is_a_delete_and_an_add_with_context() {
        use LineKind::*;
        // GIVEN five lines with the third replaced
        let before = "a\nb\nc\nd\ne\n";
        let after = "a\nb\nC\nd\ne\n";
        // WHEN diffing with one line of context
        let hunks = hunks(before, after, 1, false);
        // THEN one hunk covers lines 2-4 on both sides
        assert_eq!(hunks.len(), 1);
        let h = &hunks[0];
        assert_eq!(
            (h.before_start, h.before_count, h.after_start, h.after_count),
            (2, 3, 2, 3)
        );
        assert_eq!(
            summary(h),
            vec![
                (Context, Some(2), Some(2), "b"),
                (Delete, Some(3), None, "c"),
                (Add, None, Some(3), "C"),
                (Context, Some(4), Some(4), "d"),
            ]
        );
    }

    /// Applies `hunks` to `before` as `patch` would, checking every header
    /// against the lines it holds; the rebuilt text or what is wrong.
    fn apply(before: &str, hunks: &[Hunk]) -> Result<String, String> {
        let old = split_lines(before);
        let mut out: Vec<String> = Vec::new();
        let mut cursor = 0;
        for (i, h) in hunks.iter().enumerate() {
            let shown_before = h.lines.iter().filter(|l| l.kind != LineKind::Add).count();
            let shown_after = h
                .lines
                .iter()
                .filter(|l| l.kind != LineKind::Delete)
                .count();
            if (shown_before, shown_after) != (h.before_count, h.after_count) {
                return Err(format!("hunk {i}: counts {h:?} disagree with its lines"));
            }
            let at = if h.before_count == 0 {
                h.before_start
            } else {
                h.before_start - 1
            };
            if at < cursor || at + h.before_count > old.len() {
                return Err(format!(
                    "hunk {i}: before range out of order or bounds: {h:?}"
                ));
            }
            out.extend(old[cursor..at].iter().map(|l| strip_newline(l)));
            let expected_after = if h.after_count == 0 {
                h.after_start
            } else {
                h.after_start - 1
            };
            if out.len() != expected_after {
                return Err(format!(
                    "hunk {i}: after start {} but {} lines precede it",
                    h.after_start,
                    out.len()
                ));
            }
            let mut o = at;
            for l in &h.lines {
                if l.kind != LineKind::Add {
                    if strip_newline(old[o]) != l.content || l.before != Some(o + 1) {
                        return Err(format!(
                            "hunk {i}: before line {} is not {:?}",
                            o + 1,
                            l.content
                        ));
                    }
                    o += 1;
                }
                if l.kind != LineKind::Delete {
                    if l.after != Some(out.len() + 1) {
                        return Err(format!(
                            "hunk {i}: after number {:?} out of sequence",
                            l.after
                        ));
                    }
                    out.push(l.content.clone());
                }
            }
            cursor = o;
        }
        out.extend(old[cursor..].iter().map(|l| strip_newline(l)));
        Ok(out.iter().map(|l| format!("{l}\n")).collect())
    }

    #[test]
    fn counts_span_the_whole_hunk_when_the_edit_ends_in_an_insertion() -> Result<(), String> {
        // GIVEN the case where git says -1,3 +1,3 (an emptied line refilled)
        let h = hunks("a\n\na\n", "a\na\na\n", 3, false);
        // THEN one hunk counts all three lines on each side
        assert_eq!(h.len(), 1);
        assert_eq!(
            (
                h[0].before_start,
                h[0].before_count,
                h[0].after_start,
                h[0].after_count
            ),
            (1, 3, 1, 3)
        );
        assert_eq!(apply("a\n\na\n", &h)?, "a\na\na\n");
        Ok(())
    }

    #[test]
    fn every_small_pair_of_texts_rebuilds_from_its_hunks() -> Result<(), String> {
        // GIVEN every text of up to four lines over a three-line alphabet
        let alphabet = ["a", "b", ""];
        let mut texts = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let next: Vec<String> = frontier
                .iter()
                .flat_map(|t| alphabet.iter().map(move |l| format!("{t}{l}\n")))
                .collect();
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        // WHEN diffing every pair with 0, 1 and 3 lines of context
        // THEN applying the hunks to the before text gives the after text
        for before in &texts {
            for after in &texts {
                for context in [0, 1, 3] {
                    let h = hunks(before, after, context, false);
                    let rebuilt = apply(before, &h)
                        .map_err(|e| format!("{before:?} -> {after:?} (-U{context}): {e}"))?;
                    if &rebuilt != after {
                        return Err(format!(
                            "{before:?} -> {after:?} (-U{context}) rebuilt {rebuilt:?}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn a_new_file_is_one_hunk_of_additions_from_line_zero() {
        let hunks = hunks("", "x\ny\n", 3, false);
        assert_eq!(hunks.len(), 1);
        let h = &hunks[0];
        assert_eq!(
            (h.before_start, h.before_count, h.after_start, h.after_count),
            (0, 0, 1, 2)
        );
        assert!(
            h.lines
                .iter()
                .all(|l| l.kind == LineKind::Add && l.before.is_none())
        );
    }

    #[test]
    fn distant_changes_are_separate_hunks_and_near_ones_merge() {
        let before: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let after: String = (1..=20)
            .map(|i| match i {
                2 => "two\n".to_string(),
                18 => "eighteen\n".to_string(),
                _ => format!("{i}\n"),
            })
            .collect();
        assert_eq!(hunks(&before, &after, 3, false).len(), 2);
        assert_eq!(hunks(&before, &after, 10, false).len(), 1);
    }

    #[test]
    fn whitespace_only_changes_vanish_when_ignored() {
        let before = "fn a() {\n  x\n}\n";
        let after = "fn a() {\n    x\n}\n";
        assert_eq!(hunks(before, after, 3, false).len(), 1);
        assert!(hunks(before, after, 3, true).is_empty());
    }

    #[test]
    fn identical_texts_have_no_hunks_and_nul_means_binary() {
        assert!(hunks("same\n", "same\n", 3, false).is_empty());
        assert!(is_binary(b"PNG\0\x01"));
        assert!(!is_binary(b"plain text"));
    }
}
