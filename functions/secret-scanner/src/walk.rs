//! Which commits an event asks to scan: the first-parent chain from the
//! new tip back to a commit already known (the old tip, the merge base with
//! it or with the default branch), bounded by `MAX_COMMITS`.
//!
//! Each commit is later scanned against its first parent, so every
//! intermediate commit of a push is seen: a secret added in one commit and
//! deleted in the next is still found, which an old..new diff would miss.
//! A merge commit compared with its first parent shows everything the
//! merge brings in, so the side branch's own commits need not be walked.

use std::collections::HashSet;

use crate::Error;
use crate::ports::{CommitInfo, CommitSource};

/// The commits to scan, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    pub commits: Vec<CommitInfo>,
    /// Set when `max` was reached: the newest commit left unscanned.
    pub stopped_at: Option<String>,
}

/// Follows first parents from `tip` until a commit in `stops`, a root
/// commit, or `max` commits.
pub async fn first_parents<S: CommitSource>(
    source: &S,
    repository: &str,
    tip: &str,
    stops: &HashSet<String>,
    max: usize,
) -> Result<Walk, Error> {
    let mut walk = Walk::default();
    let mut next = Some(tip.to_owned());
    while let Some(id) = next.take() {
        if stops.contains(&id) {
            break;
        }
        if walk.commits.len() >= max {
            walk.stopped_at = Some(id);
            break;
        }
        let commit = source
            .commits(repository, std::slice::from_ref(&id))
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Error::NotFound {
                what: format!("commit {id} in repository {repository}"),
            })?;
        next = commit.parents.first().cloned();
        walk.commits.push(commit);
    }
    Ok(walk)
}

/// Where to stop walking from `new`: `old` (the previous tip, if any),
/// and, when `old` is not an ancestor of `new` (a force push, or a new
/// branch), the merge bases with `old` and with the default branch.
pub async fn stops<S: CommitSource>(
    source: &S,
    repository: &str,
    new: &str,
    old: Option<&str>,
    branch: Option<&str>,
) -> Result<HashSet<String>, Error> {
    let mut stops = HashSet::new();
    if let Some(old) = old {
        stops.insert(old.to_owned());
        let base = source.merge_base(repository, new, old).await?;
        if base.as_deref() == Some(old) {
            return Ok(stops); // a fast-forward: old is on the way
        }
        stops.extend(base);
    }
    if let Some(default) = source.default_branch(repository).await?
        && branch != Some(default.as_str())
    {
        stops.extend(source.merge_base(repository, new, &default).await?);
    }
    // A branch created at a commit of the default branch has that commit
    // as merge base: nothing to scan, it was scanned on the default branch.
    Ok(stops)
}
