//! Which commits an event asks to scan: every commit reachable from the
//! new tip, through every parent of a merge, back to commits already
//! known, bounded by `MAX_COMMITS`.
//!
//! Known, so not walked (nor their ancestors):
//!
//! - the old tip, and the merge bases of the new tip with it and (on a
//!   force push or a new branch) with the default branch, as
//!   [`push_plan`] finds them;
//! - the merge bases of each parent of a merge met on the way with those
//!   same references: where a side branch forked, so that walking it stops
//!   there and does not run down history the references already hold;
//! - commits that have a report: scanned by an earlier event.
//!
//! Each commit is later scanned against its first parent, so every
//! commit of a push is seen: a secret added in one commit and deleted in
//! the next is found, also on a side branch merged with `--no-ff` (whose
//! merge commit, compared with its first parent, shows nothing of it).
//!
//! BatchGetCommits takes up to 100 ids: the walk asks for a whole level
//! (the parents of the commits fetched last) at once, while it checks
//! their reports (HeadObject). A linear history still needs one call per
//! commit, since a commit's parent is known only once the commit is.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt};

use crate::Error;
use crate::config::Config;
use crate::ports::{CommitInfo, CommitSource, DefaultBranch, Store};

/// CodeCommit's limit of commit ids per BatchGetCommits call.
const BATCH: usize = 100;

/// The commits to scan, newest first (breadth first from the tip).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    pub commits: Vec<CommitInfo>,
    /// Set when `MAX_COMMITS` was reached: the first commit left unscanned.
    pub stopped_at: Option<String>,
    /// Commits met that have a report (scanned before): not walked.
    pub already_scanned: usize,
}

/// Where a walk starts and what it knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub tip: String,
    /// Known commits: neither they nor their ancestors are walked.
    pub stops: HashSet<String>,
    /// Commit ids (old tip, default branch tip, pull request destination)
    /// whose merge base with each parent of a merge is known.
    pub references: Vec<String>,
    /// Scan the tip even when it is known (a tag on a commit of the
    /// default branch); its ancestors are known then.
    pub scan_known_tip: bool,
}

/// Walks from `plan.tip` as the module says, at most
/// `config.max_commits` commits.
pub async fn walk<S: CommitSource, T: Store>(
    source: &S,
    store: &T,
    config: &Config,
    repository: &str,
    plan: Plan,
) -> Result<Walk, Error> {
    let Plan {
        tip,
        mut stops,
        references,
        scan_known_tip,
    } = plan;
    // The tip is walked even when known; its parents are known then.
    let mut known_tip = scan_known_tip && stops.remove(&tip);
    let mut walk = Walk::default();
    let mut seen = HashSet::from([tip.clone()]);
    // Parents of merges: where side branches join.
    let mut joins: HashSet<String> = HashSet::new();
    let mut frontier = vec![tip];
    while !frontier.is_empty() {
        frontier.retain(|id| !stops.contains(id));
        if frontier.is_empty() {
            break;
        }
        let room = config.max_commits.saturating_sub(walk.commits.len());
        // Reports and commits of a level at once: one round trip per level
        // (a reported commit is fetched for nothing, in the same call).
        let (reported, fetched) = if room == 0 {
            (
                reported(store, config, repository, &frontier).await?,
                Vec::new(),
            )
        } else {
            futures_util::try_join!(
                reported(store, config, repository, &frontier),
                fetch(source, repository, &frontier),
            )?
        };
        walk.already_scanned += reported.len();
        frontier.retain(|id| !reported.contains(id));
        let forks: Vec<String> = frontier
            .iter()
            .filter(|id| joins.contains(*id))
            .cloned()
            .collect();
        stops.extend(merge_bases(source, config, repository, &forks, &references).await?);
        frontier.retain(|id| !stops.contains(id));
        if frontier.len() > room {
            walk.stopped_at = Some(frontier[room].clone());
            frontier.truncate(room);
        }
        let mut fetched: HashMap<String, CommitInfo> =
            fetched.into_iter().map(|c| (c.id.clone(), c)).collect();
        let mut next = Vec::new();
        for id in &frontier {
            let Some(commit) = fetched.remove(id) else {
                continue; // fetched with the level: cannot be missing
            };
            if commit.parents.len() > 1 {
                joins.extend(commit.parents.iter().cloned());
            }
            next.extend(
                commit
                    .parents
                    .iter()
                    .filter(|parent| seen.insert((*parent).clone()))
                    .cloned(),
            );
            walk.commits.push(commit);
        }
        if std::mem::take(&mut known_tip) {
            stops.extend(next.drain(..));
        }
        if walk.stopped_at.is_some() {
            break;
        }
        frontier = next;
    }
    Ok(walk)
}

/// The commits with these ids, in this order (BatchGetCommits, 100 at a
/// time); an unknown id is an error.
async fn fetch<S: CommitSource>(
    source: &S,
    repository: &str,
    ids: &[String],
) -> Result<Vec<CommitInfo>, Error> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(BATCH) {
        for commit in source.commits(repository, chunk).await? {
            found.insert(commit.id.clone(), commit);
        }
    }
    ids.iter()
        .map(|id| {
            found.remove(id).ok_or_else(|| Error::NotFound {
                what: format!("commit {id} in repository {repository}"),
            })
        })
        .collect()
}

/// The ids among `ids` that have a report (HeadObject each, concurrently).
async fn reported<T: Store>(
    store: &T,
    config: &Config,
    repository: &str,
    ids: &[String],
) -> Result<HashSet<String>, Error> {
    let checks: Vec<(String, Result<bool, Error>)> = stream::iter(ids)
        .map(|id| async move {
            let exists = store.exists(&config.report_key(repository, id)).await;
            (id.clone(), exists)
        })
        .buffered(config.concurrency)
        .collect()
        .await;
    let mut found = HashSet::new();
    let mut errors = Vec::new();
    for (id, exists) in checks {
        match exists {
            Ok(true) => {
                found.insert(id);
            }
            Ok(false) => {}
            Err(error) => errors.push(error),
        }
    }
    Error::collect(errors)?;
    Ok(found)
}

/// The merge bases of each of `commits` with each of `references`
/// (GetMergeOptions, concurrently).
async fn merge_bases<S: CommitSource>(
    source: &S,
    config: &Config,
    repository: &str,
    commits: &[String],
    references: &[String],
) -> Result<Vec<String>, Error> {
    let pairs: Vec<(&String, &String)> = commits
        .iter()
        .flat_map(|commit| references.iter().map(move |reference| (commit, reference)))
        .collect();
    let results: Vec<Result<Option<String>, Error>> = stream::iter(pairs)
        .map(|(commit, reference)| source.merge_base(repository, commit, reference))
        .buffer_unordered(config.concurrency)
        .collect()
        .await;
    let mut bases = Vec::new();
    let mut errors = Vec::new();
    for result in results {
        match result {
            Ok(base) => bases.extend(base),
            Err(error) => errors.push(error),
        }
    }
    Error::collect(errors)?;
    Ok(bases)
}

/// The plan of a branch push: from `new`, knowing `old` (the previous
/// tip, if any) and, when `old` is not an ancestor of `new` (a force push,
/// or a new branch), the merge bases with `old` and with the default
/// branch's tip commit (`default`, resolved once for the event: by id,
/// so a tag named like the default branch cannot move where the walk
/// stops).
pub async fn push_plan<S: CommitSource>(
    source: &S,
    repository: &str,
    new: &str,
    old: Option<&str>,
    branch: Option<&str>,
    default: Option<&DefaultBranch>,
) -> Result<Plan, Error> {
    let mut plan = Plan {
        tip: new.to_owned(),
        ..Plan::default()
    };
    if let Some(old) = old {
        plan.stops.insert(old.to_owned());
        plan.references.push(old.to_owned());
        let base = source.merge_base(repository, new, old).await?;
        if base.as_deref() == Some(old) {
            return Ok(plan); // a fast-forward: old is on the way
        }
        plan.stops.extend(base);
    }
    if let Some(default) = default
        && branch != Some(default.name.as_str())
    {
        plan.stops
            .extend(source.merge_base(repository, new, &default.commit).await?);
        plan.references.push(default.commit.clone());
    }
    // A branch created at a commit of the default branch has that commit
    // as merge base: nothing to scan, it was scanned on the default branch.
    Ok(plan)
}

/// The plan of a tag push: the tagged commit (unless it has a report)
/// and its ancestors back to the default branch's history (as for a new
/// branch, against its tip commit); when the tagged commit is on the
/// default branch, it alone.
pub async fn tag_plan<S: CommitSource>(
    source: &S,
    repository: &str,
    tagged: &str,
    default: Option<&DefaultBranch>,
) -> Result<Plan, Error> {
    let mut plan = Plan {
        tip: tagged.to_owned(),
        scan_known_tip: true,
        ..Plan::default()
    };
    if let Some(default) = default {
        plan.stops.extend(
            source
                .merge_base(repository, tagged, &default.commit)
                .await?,
        );
        plan.references.push(default.commit.clone());
    }
    Ok(plan)
}
