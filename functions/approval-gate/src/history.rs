//! Which commits an approval vouches for, and what their reports say.
//!
//! An execution releases everything its source commit brings that the
//! last successful execution did not: the commits reachable from the
//! source commit and not from the last successful execution's commit (all
//! parents, so a side branch merged with `--no-ff` counts), or every commit
//! of the branch when nothing succeeded yet. The source commit itself is
//! always checked, as before. A secret added in one commit and removed in
//! the next is still in the history, hence each commit's own report.
//!
//! The walk ([`new_commits`]) reads commits over the CodeCommit API
//! (`BatchGetCommits`, all ids due at once), newest committer time first,
//! from both ends at once, as `git rev-list tip ^base` does, and stops as
//! soon as every commit still queued is an ancestor of the last good
//! commit: it never walks the old history in full. It is bounded by
//! `MAX_HISTORY_COMMITS` commits read. Clock skew (a parent dated after its
//! child) can only make it check a commit more, never one less: a commit
//! is left out only when it is proven to be an ancestor of the last good
//! commit.
//!
//! [`check`] runs the walk and reads the reports; [`Checked`] turns the
//! result into the policy's [`ScanState`] and words the reasons.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, stream};
use shared::approval::policy::short;
use shared::approval::{ScanState, Verdict};

use crate::Error;
use crate::ports::{CommitNode, Commits, LastSuccess, Pipelines, Reports, Revision};
use crate::report::{CommitState, is_commit_id, repository_from_url};

/// Ids per `BatchGetCommits` call (CodeCommit's limit).
const BATCH: usize = 100;
/// Reports read at once.
const REPORT_READS: usize = 16;
/// Commits named one by one in a reason; the rest are counted.
const NAMED: usize = 3;

/// The commit of `repository` among an execution's source revisions: the
/// revision whose CodeCommit URL names the repository; failing that, the
/// only commit revision when none names a repository (a URL-less source).
pub fn source_commit<'a>(revisions: &'a [Revision], repository: &str) -> Option<&'a str> {
    let commits: Vec<&Revision> = revisions
        .iter()
        .filter(|r| r.revision_id.as_deref().is_some_and(is_commit_id))
        .collect();
    let named = |r: &&Revision| r.url.as_deref().and_then(repository_from_url);
    if let Some(found) = commits
        .iter()
        .find(|r| named(r).as_deref() == Some(repository))
    {
        return found.revision_id.as_deref();
    }
    match commits.as_slice() {
        [only] if named(only).is_none() => only.revision_id.as_deref(),
        _ => None,
    }
}

/// The result of a walk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// Reachable from the tip and not from the base, in the order read
    /// (the tip first).
    pub commits: Vec<String>,
    /// Commits read from CodeCommit, on both sides.
    pub read: usize,
    /// The bound was reached before the walk could end: `commits` is only
    /// what was found so far.
    pub cut: bool,
    /// The base is not in the repository (history rewritten?): the walk
    /// went on as if there were no base.
    pub base_missing: bool,
}

/// Why a walk could not be done.
#[derive(Debug)]
pub enum WalkError {
    Aws(Error),
    /// The tip is not in the repository.
    TipMissing,
    /// A commit names a parent the repository lacks.
    ParentMissing {
        commit: String,
        parent: String,
    },
}

const NEW: u8 = 1;
const OLD: u8 = 2;

/// A commit read and waiting to be expanded.
struct Queued {
    time: i64,
    seq: u64,
    id: String,
}

#[derive(Default)]
struct Graph {
    nodes: HashMap<String, CommitNode>,
    flags: HashMap<String, u8>,
    expanded: HashSet<String>,
    requested: HashSet<String>,
    /// Ids to read, each with a guess of its time: its child's (a parent
    /// is normally older), `i64::MAX` for the two ends.
    pending: Vec<(String, i64)>,
    /// The child that led to a requested parent, to name it if missing.
    child: HashMap<String, String>,
    /// Small (the walk's frontier), so scanned rather than a heap: the
    /// flags of queued commits change as the walk goes.
    queue: Vec<Queued>,
    seq: u64,
    order: Vec<String>,
}

impl Graph {
    fn flag(&self, id: &str) -> u8 {
        self.flags.get(id).copied().unwrap_or(0)
    }

    fn is_new(&self, id: &str) -> bool {
        self.flag(id) & OLD == 0
    }

    fn request(&mut self, id: &str, child: Option<&str>) {
        if self.requested.insert(id.to_owned()) {
            let guess = child
                .and_then(|c| self.nodes.get(c))
                .map_or(i64::MAX, |c| c.time);
            self.pending.push((id.to_owned(), guess));
            if let Some(child) = child {
                self.child.insert(id.to_owned(), child.to_owned());
            }
        }
    }

    /// Marks `id` and, through the commits already expanded, its
    /// ancestors as reachable from the base.
    fn mark_old(&mut self, id: &str, child: &str) {
        let mut stack = vec![(id.to_owned(), child.to_owned())];
        while let Some((id, child)) = stack.pop() {
            if self.flag(&id) & OLD != 0 {
                continue;
            }
            *self.flags.entry(id.clone()).or_default() |= OLD;
            if self.expanded.contains(&id) {
                let parents = self
                    .nodes
                    .get(&id)
                    .map(|n| n.parents.clone())
                    .unwrap_or_default();
                stack.extend(parents.into_iter().map(|p| (p, id.clone())));
            } else if !self.nodes.contains_key(&id) {
                self.request(&id, Some(&child));
            }
        }
    }

    /// Nothing left that the tip reaches and the base might not.
    fn all_old(&self) -> bool {
        self.queue.iter().all(|q| !self.is_new(&q.id))
            && self.pending.iter().all(|(id, _)| !self.is_new(id))
    }

    /// The ids to read now: every one the tip reaches, and those the base
    /// reaches that may be as new as the newest queued commit of the tip
    /// (the others wait: the walk may well end before they matter).
    fn due(&self) -> Vec<String> {
        let newest_new = self
            .queue
            .iter()
            .filter(|q| self.is_new(&q.id))
            .map(|q| q.time)
            .max();
        self.pending
            .iter()
            .filter(|(id, guess)| self.is_new(id) || newest_new.is_none_or(|t| *guess > t))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The next commit to expand: the newest; on equal times the tip's
    /// side first, then the first read.
    fn next(&mut self) -> Option<Queued> {
        let best = (0..self.queue.len()).max_by(|&a, &b| {
            let (a, b) = (&self.queue[a], &self.queue[b]);
            a.time
                .cmp(&b.time)
                .then_with(|| self.is_new(&a.id).cmp(&self.is_new(&b.id)))
                .then_with(|| b.seq.cmp(&a.seq))
        })?;
        Some(self.queue.swap_remove(best))
    }
}

/// The commits reachable from `tip` and not from `base` (all of `tip`'s
/// history without a base), reading at most `max` commits.
pub async fn new_commits<C: Commits>(
    source: &C,
    repository: &str,
    tip: &str,
    base: Option<&str>,
    max: usize,
) -> Result<Walk, WalkError> {
    let mut graph = Graph::default();
    let mut walk = Walk::default();
    graph.flags.insert(tip.to_owned(), NEW);
    graph.request(tip, None);
    if let Some(base) = base {
        *graph.flags.entry(base.to_owned()).or_default() |= OLD;
        graph.request(base, None);
    }
    loop {
        if graph.all_old() {
            break;
        }
        let due = graph.due();
        if !due.is_empty() {
            if walk.read >= max {
                walk.cut = true;
                break;
            }
            let batch: Vec<String> = due.into_iter().take(BATCH.min(max - walk.read)).collect();
            graph.pending.retain(|(id, _)| !batch.contains(id));
            let found = source
                .commits(repository, &batch)
                .await
                .map_err(WalkError::Aws)?;
            let mut found: HashMap<String, CommitNode> =
                found.into_iter().map(|n| (n.id.clone(), n)).collect();
            for id in batch {
                let Some(node) = found.remove(&id) else {
                    if id == tip {
                        return Err(WalkError::TipMissing);
                    }
                    if Some(id.as_str()) == base {
                        walk.base_missing = true;
                        graph.flags.remove(&id);
                        continue;
                    }
                    return Err(WalkError::ParentMissing {
                        commit: graph.child.get(&id).cloned().unwrap_or_default(),
                        parent: id,
                    });
                };
                walk.read += 1;
                graph.seq += 1;
                graph.queue.push(Queued {
                    time: node.time,
                    seq: graph.seq,
                    id: id.clone(),
                });
                graph.order.push(id.clone());
                graph.nodes.insert(id, node);
            }
            continue;
        }
        let Some(next) = graph.next() else {
            break;
        };
        let id = next.id;
        graph.expanded.insert(id.clone());
        let parents = graph
            .nodes
            .get(&id)
            .map(|n| n.parents.clone())
            .unwrap_or_default();
        if graph.is_new(&id) {
            for parent in parents {
                if graph.is_new(&parent) {
                    *graph.flags.entry(parent.clone()).or_default() |= NEW;
                }
                if !graph.nodes.contains_key(&parent) {
                    graph.request(&parent, Some(&id));
                }
            }
        } else {
            for parent in parents {
                graph.mark_old(&parent, &id);
            }
        }
    }
    walk.commits = graph
        .order
        .iter()
        .filter(|id| graph.flag(id) == NEW)
        .cloned()
        .collect();
    Ok(walk)
}

/// What the history is measured from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Since {
    /// The last successful execution and its commit.
    Success(LastSuccess),
    /// No execution succeeded (within the listing's bound).
    Nothing,
    /// The last successful execution's commit is not in the repository.
    Gone(LastSuccess),
}

impl Since {
    /// `since the last successful execution e-1 (commit 1a2b3c4d)`.
    pub fn describe(&self) -> String {
        match self {
            Self::Success(last) => format!(
                "since the last successful execution {} (commit {})",
                last.execution_id,
                short(&last.commit)
            ),
            Self::Nothing => "of the branch (no successful execution yet)".to_owned(),
            Self::Gone(last) => format!(
                "of the branch (commit {} of the last successful execution {} is not in the repository)",
                short(&last.commit),
                last.execution_id
            ),
        }
    }
}

/// The history of one approval, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub since: Since,
    /// Each commit checked and its report's state, the source commit first.
    pub commits: Vec<(String, CommitState)>,
    /// Why the history could not be checked in full (bound, error).
    pub problem: Option<String>,
    /// The other sources of the execution whose histories were checked
    /// too ([`Checked::absorb`]), as `repository@commit`.
    pub others: Vec<String>,
}

/// Walks the history of `tip` in `repository` for `pipeline` and reads the
/// report of each commit. Never fails: an error is a [`Checked::problem`]
/// (or a commit's [`CommitState::Unknown`]), so that a person is asked,
/// with the error as the reason, rather than the approval left waiting
/// or approved.
pub async fn check<P, C, R>(
    pipelines: &P,
    commits: &C,
    reports: &R,
    pipeline: &str,
    repository: &str,
    tip: &str,
    max: usize,
) -> Checked
where
    P: Pipelines,
    C: Commits,
    R: Reports,
{
    let last = match pipelines.last_success(pipeline, repository).await {
        Ok(last) => last,
        Err(error) => {
            return Checked {
                since: Since::Nothing,
                commits: Vec::new(),
                problem: Some(format!(
                    "the last successful execution of {pipeline} could not be looked up ({})",
                    brief(&error)
                )),
                others: Vec::new(),
            };
        }
    };
    let base = last.as_ref().map(|l| l.commit.as_str());
    let mut checked = Checked {
        since: last.clone().map_or(Since::Nothing, Since::Success),
        commits: Vec::new(),
        problem: None,
        others: Vec::new(),
    };
    let mut ids = match new_commits(commits, repository, tip, base, max).await {
        Ok(walk) => {
            if walk.base_missing
                && let Some(last) = last
            {
                checked.since = Since::Gone(last);
            }
            if walk.cut {
                checked.problem = Some(format!(
                    "the history {} is longer than MAX_HISTORY_COMMITS ({max} commits read, {} new found so far): not every commit was checked",
                    checked.since.describe(),
                    walk.commits.len()
                ));
            }
            walk.commits
        }
        Err(WalkError::Aws(error)) => {
            checked.problem = Some(format!(
                "the history of {repository} could not be read ({})",
                brief(&error)
            ));
            Vec::new()
        }
        Err(WalkError::TipMissing) => {
            checked.problem = Some(format!(
                "commit {} is not in repository {repository}: its history cannot be checked",
                short(tip)
            ));
            Vec::new()
        }
        Err(WalkError::ParentMissing { commit, parent }) => {
            checked.problem = Some(format!(
                "commit {} names parent {} that repository {repository} does not have: the history cannot be checked",
                short(&commit),
                short(&parent)
            ));
            Vec::new()
        }
    };
    if !ids.iter().any(|id| id == tip) {
        ids.insert(0, tip.to_owned());
    }
    checked.commits = stream::iter(ids)
        .map(|id| async move {
            let state = match reports.commit_state(repository, &id).await {
                Ok(state) => state,
                Err(error) => CommitState::Unknown {
                    reason: format!(
                        "the secret-scanner report for commit {} could not be read ({})",
                        short(&id),
                        brief(&error)
                    ),
                },
            };
            (id, state)
        })
        .buffered(REPORT_READS)
        .collect()
        .await;
    checked
}

/// An error for a reason: its text, at most 200 characters.
fn brief(error: &Error) -> String {
    let text = error.to_string();
    if text.chars().count() <= 200 {
        return text;
    }
    let cut: String = text.chars().take(197).collect();
    format!("{cut}...")
}

fn commits(n: usize) -> String {
    if n == 1 {
        "1 commit".to_owned()
    } else {
        format!("{n} commits")
    }
}

impl Checked {
    /// What the policy decides on: findings anywhere, else anything not
    /// clean anywhere (or a history not checked in full), else clean.
    pub fn scan_state(&self) -> ScanState {
        let findings: u64 = self
            .commits
            .iter()
            .map(|(_, s)| match s {
                CommitState::Findings { count, .. } => *count,
                _ => 0,
            })
            .sum();
        if let Some(problem) = &self.problem {
            let mut reason = problem.clone();
            if findings > 0 {
                reason.push_str(&format!(
                    "; among the commits read, {}",
                    self.findings_text()
                ));
            }
            return ScanState::Unknown { reason };
        }
        if findings > 0 {
            return ScanState::Findings { count: findings };
        }
        let doubts = self.doubts();
        if doubts.is_empty() {
            ScanState::Clean
        } else {
            ScanState::Unknown {
                reason: format!("{}; {}", doubts, self.scope()),
            }
        }
    }

    /// The policy's verdict, worded for the history: which commits, why.
    pub fn explain(&self, verdict: Verdict) -> Verdict {
        match self.scan_state() {
            ScanState::Findings { .. } => {
                let mut reason = self.findings_text();
                let doubts = self.doubts();
                if !doubts.is_empty() {
                    reason.push_str(&format!("; also {doubts}"));
                }
                reason.push_str(&format!("; {}", self.scope()));
                match verdict {
                    Verdict::Reject { .. } => Verdict::Reject {
                        reason: format!(
                            "{reason}: rejected by policy; remove and rotate the credentials, then release again"
                        ),
                    },
                    Verdict::AskHuman { .. } | Verdict::Approve { .. } => {
                        Verdict::AskHuman { reason }
                    }
                }
            }
            ScanState::Clean => {
                let history = format!("history: {}, all scanned clean", self.scope_counted());
                match verdict {
                    Verdict::Approve { reason } => Verdict::Approve {
                        reason: format!("{reason}; {history}"),
                    },
                    Verdict::Reject { reason } => Verdict::Reject {
                        reason: format!("{reason}; {history}"),
                    },
                    Verdict::AskHuman { reason } => Verdict::AskHuman {
                        reason: format!("{reason}; {history}"),
                    },
                }
            }
            // The reason is already ours, and nothing but a person decides.
            ScanState::NotScanned | ScanState::Unknown { .. } => match verdict {
                Verdict::Approve { reason } => Verdict::AskHuman { reason },
                other => other,
            },
        }
    }

    /// `checked: 3 commits since ...`.
    fn scope(&self) -> String {
        format!("checked: {}", self.scope_counted())
    }

    /// `3 commits since the last successful execution e-1 (commit 1a2b3c4d)`,
    /// and the other sources checked.
    pub fn scope_counted(&self) -> String {
        let mut text = format!("{} {}", commits(self.commits.len()), self.since.describe());
        if !self.others.is_empty() {
            text.push_str(&format!(
                ", with the history of every other source ({})",
                self.others.join(", ")
            ));
        }
        text
    }

    /// Adds the history of another source of the same execution (another
    /// source action): its commits count as this one's, its problem too.
    pub fn absorb(&mut self, repository: &str, tip: &str, other: Checked) {
        self.others.push(format!("{repository}@{}", short(tip)));
        self.commits.extend(other.commits);
        if let Some(problem) = other.problem {
            self.add_problem(format!("source {repository}: {problem}"));
        }
    }

    /// Records why the history could not be checked in full.
    pub fn add_problem(&mut self, problem: String) {
        self.problem = Some(match self.problem.take() {
            Some(earlier) => format!("{earlier}; {problem}"),
            None => problem,
        });
    }

    /// `secret-scanner reported 2 potential secret(s) in commit 1a2b3c4d
    /// (aws-access-key-id AKIA*** at config/prod.env:3; ...)`.
    fn findings_text(&self) -> String {
        let leaky: Vec<(&String, u64, &Vec<crate::report::Preview>)> = self
            .commits
            .iter()
            .filter_map(|(id, s)| match s {
                CommitState::Findings { count, previews } => Some((id, *count, previews)),
                _ => None,
            })
            .collect();
        let total: u64 = leaky.iter().map(|(_, count, _)| count).sum();
        let named: Vec<String> = leaky
            .iter()
            .take(NAMED)
            .map(|(id, count, previews)| {
                let mut shown: Vec<String> = previews.iter().map(|p| p.describe()).collect();
                let hidden = count.saturating_sub(previews.len() as u64);
                if hidden > 0 {
                    shown.push(format!("{hidden} more"));
                }
                if shown.is_empty() {
                    short(id).to_owned()
                } else {
                    format!("{} ({})", short(id), shown.join("; "))
                }
            })
            .collect();
        let mut text = format!(
            "secret-scanner reported {total} potential secret(s) in {} {}",
            if leaky.len() == 1 {
                "commit"
            } else {
                "commits"
            },
            named.join(", ")
        );
        if leaky.len() > NAMED {
            text.push_str(&format!(" and {} more commit(s)", leaky.len() - NAMED));
        }
        text
    }

    /// Commits not vouched for (not scanned, incomplete, unknown), named.
    fn doubts(&self) -> String {
        let doubtful: Vec<String> = self
            .commits
            .iter()
            .filter_map(|(id, s)| match s {
                CommitState::NotScanned => Some(format!(
                    "commit {} was not scanned (no secret-scanner report)",
                    short(id)
                )),
                CommitState::Incomplete { reasons } => Some(format!(
                    "the secret-scanner report for commit {} is incomplete: {}",
                    short(id),
                    reasons.join(", ")
                )),
                CommitState::Unknown { reason } => Some(reason.clone()),
                CommitState::Clean | CommitState::Findings { .. } => None,
            })
            .collect();
        let mut text = doubtful
            .iter()
            .take(NAMED)
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        if doubtful.len() > NAMED {
            text.push_str(&format!(
                "; and {} more commit(s) not vouched for",
                doubtful.len() - NAMED
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    //! The walk against a hand-written graph (a fake of the [`Commits`]
    //! port: the real one is exercised end to end in
    //! `tests/tests/approvals.rs`), and the wording of the decisions.

    use std::sync::Mutex;

    use super::*;
    use crate::report::Preview;

    /// A commit graph: `(id, time, parents)`, and every batch asked for.
    struct Graph {
        commits: Vec<(&'static str, i64, Vec<&'static str>)>,
        asked: Mutex<Vec<Vec<String>>>,
    }

    impl Graph {
        fn new(commits: &[(&'static str, i64, &[&'static str])]) -> Self {
            Self {
                commits: commits
                    .iter()
                    .map(|(id, t, p)| (*id, *t, p.to_vec()))
                    .collect(),
                asked: Mutex::new(Vec::new()),
            }
        }

        fn read(&self) -> Vec<String> {
            let asked = self.asked.lock().map(|a| a.clone()).unwrap_or_default();
            let mut all: Vec<String> = asked.into_iter().flatten().collect();
            all.sort();
            all
        }
    }

    impl Commits for Graph {
        async fn commits(&self, _: &str, ids: &[String]) -> Result<Vec<CommitNode>, Error> {
            if let Ok(mut asked) = self.asked.lock() {
                asked.push(ids.to_vec());
            }
            Ok(self
                .commits
                .iter()
                .filter(|(id, _, _)| ids.iter().any(|i| i == id))
                .map(|(id, time, parents)| CommitNode {
                    id: (*id).to_owned(),
                    parents: parents.iter().map(|p| (*p).to_owned()).collect(),
                    time: *time,
                })
                .collect())
        }
    }

    async fn walk(graph: &Graph, tip: &str, base: Option<&str>, max: usize) -> Walk {
        match new_commits(graph, "app", tip, base, max).await {
            Ok(walk) => walk,
            Err(error) => panic!("{error:?}"),
        }
    }

    fn sorted(mut ids: Vec<String>) -> Vec<String> {
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn linear_history_stops_at_the_last_good_commit() {
        // GIVEN r <- a <- good <- b <- c
        let graph = Graph::new(&[
            ("r", 1, &[]),
            ("a", 2, &["r"]),
            ("good", 3, &["a"]),
            ("b", 4, &["good"]),
            ("c", 5, &["b"]),
        ]);
        // WHEN walked from c with good as base
        let walk = walk(&graph, "c", Some("good"), 100).await;
        // THEN b and c only, and nothing older than good was read
        assert_eq!(walk.commits, ["c", "b"]);
        assert_eq!(graph.read(), ["b", "c", "good"]);
        assert!(!walk.cut && !walk.base_missing);
    }

    #[tokio::test]
    async fn a_merged_side_branch_counts_and_its_fork_point_does_not() {
        // GIVEN good <- m1 <- merge, and good <- s1 <- s2 merged with --no-ff
        let graph = Graph::new(&[
            ("r", 1, &[]),
            ("good", 2, &["r"]),
            ("s1", 3, &["good"]),
            ("s2", 4, &["s1"]),
            ("m1", 5, &["good"]),
            ("merge", 6, &["m1", "s2"]),
        ]);
        let walk = walk(&graph, "merge", Some("good"), 100).await;
        assert_eq!(sorted(walk.commits), ["m1", "merge", "s1", "s2"]);
        assert!(!graph.read().contains(&"r".to_owned()));
    }

    #[tokio::test]
    async fn equal_times_and_skewed_clocks_never_drop_a_new_commit() {
        // GIVEN every commit at the same time (the e2e fixtures), and a
        // parent dated after its child
        let same = Graph::new(&[
            ("r", 0, &[]),
            ("good", 0, &["r"]),
            ("x", 0, &["good"]),
            ("y", 0, &["x"]),
        ]);
        assert_eq!(
            walk(&same, "y", Some("good"), 100).await.commits,
            ["y", "x"]
        );
        // the tip's side goes first on ties: nothing older than good is read
        assert_eq!(same.read(), ["good", "x", "y"]);
        let skewed = Graph::new(&[
            ("r", 1, &[]),
            ("good", 50, &["r"]),
            ("old-side", 99, &["r"]),
            ("new", 10, &["good", "old-side"]),
        ]);
        let commits = sorted(walk(&skewed, "new", Some("good"), 100).await.commits);
        assert_eq!(commits, ["new", "old-side"]);
    }

    #[tokio::test]
    async fn a_base_reached_late_takes_back_what_it_reaches() {
        // GIVEN base good merges side s, which the tip reaches first
        // through a newer-dated path
        let graph = Graph::new(&[
            ("r", 1, &[]),
            ("s", 2, &["r"]),
            ("good", 3, &["r", "s"]),
            ("t", 9, &["s", "good"]),
        ]);
        let walk = walk(&graph, "t", Some("good"), 100).await;
        assert_eq!(walk.commits, ["t"]);
    }

    #[tokio::test]
    async fn without_a_base_every_commit_and_a_bound_cuts() {
        let graph = Graph::new(&[("r", 1, &[]), ("a", 2, &["r"]), ("b", 3, &["a"])]);
        let all = walk(&graph, "b", None, 100).await;
        assert_eq!(all.commits, ["b", "a", "r"]);
        let cut = walk(&graph, "b", None, 2).await;
        assert!(cut.cut);
        assert_eq!(cut.read, 2);
        // a base that is the tip leaves nothing new
        assert!(walk(&graph, "b", Some("b"), 100).await.commits.is_empty());
    }

    #[tokio::test]
    async fn a_missing_base_walks_everything_and_a_missing_tip_fails() {
        let graph = Graph::new(&[("r", 1, &[]), ("a", 2, &["r"])]);
        let walk = walk(&graph, "a", Some("gone"), 100).await;
        assert!(walk.base_missing);
        assert_eq!(walk.commits, ["a", "r"]);
        assert!(matches!(
            new_commits(&graph, "app", "nope", None, 10).await,
            Err(WalkError::TipMissing)
        ));
        let broken = Graph::new(&[("a", 2, &["lost"])]);
        assert!(matches!(
            new_commits(&broken, "app", "a", None, 10).await,
            Err(WalkError::ParentMissing { commit, parent }) if commit == "a" && parent == "lost"
        ));
    }

    fn success() -> Since {
        Since::Success(LastSuccess {
            execution_id: "e-0".into(),
            commit: "0".repeat(40),
        })
    }

    fn leaky(count: u64) -> CommitState {
        CommitState::Findings {
            count,
            previews: vec![Preview {
                rule_id: "aws-access-key-id".into(),
                masked: "AKIA***".into(),
                path: "config/prod.env".into(),
                line: Some(3),
            }],
        }
    }

    #[test]
    fn another_sources_findings_and_problems_count_as_the_first_ones() {
        // GIVEN the first source clean, and a second whose history has a
        // finding, and a third that could not be read
        let clean = || Checked {
            since: success(),
            commits: vec![("b".repeat(40), CommitState::Clean)],
            problem: None,
            others: Vec::new(),
        };
        let mut checked = clean();
        let mut lib = clean();
        lib.commits.push(("c".repeat(40), leaky(1)));
        // WHEN absorbed
        checked.absorb("lib", &"d".repeat(40), lib);
        // THEN the findings decide, and the scope names the other source
        assert_eq!(checked.scan_state(), ScanState::Findings { count: 1 });
        assert!(
            checked.scope_counted().contains("lib@dddddddd"),
            "{}",
            checked.scope_counted()
        );
        // AND a source that could not be read is a problem (a person decides)
        let mut unread = clean();
        unread.problem = Some("the history of lib2 could not be read".into());
        let mut checked = clean();
        checked.absorb("lib2", &"e".repeat(40), unread);
        checked.add_problem("source revision 3 is not a commit: it cannot be checked".into());
        match checked.scan_state() {
            ScanState::Unknown { reason } => {
                assert!(reason.contains("source lib2: the history"), "{reason}");
                assert!(reason.contains("source revision 3"), "{reason}");
            }
            other => panic!("expected unknown, got {other:?}"),
        }
    }

    #[test]
    fn findings_anywhere_reject_and_name_the_commit() {
        // GIVEN a clean tip B over a leaky A
        let checked = Checked {
            since: success(),
            commits: vec![
                ("b".repeat(40), CommitState::Clean),
                ("a".repeat(40), leaky(2)),
            ],
            problem: None,
            others: Vec::new(),
        };
        assert_eq!(checked.scan_state(), ScanState::Findings { count: 2 });
        let verdict = checked.explain(Verdict::Reject {
            reason: "policy".into(),
        });
        assert_eq!(
            verdict,
            Verdict::Reject {
                reason: "secret-scanner reported 2 potential secret(s) in commit aaaaaaaa \
                         (aws-access-key-id AKIA*** at config/prod.env:3; 1 more); checked: 2 commits \
                         since the last successful execution e-0 (commit 00000000): rejected by \
                         policy; remove and rotate the credentials, then release again"
                    .into()
            }
        );
    }

    #[test]
    fn unscanned_or_incomplete_commits_ask_with_their_reasons() {
        let checked = Checked {
            since: Since::Nothing,
            commits: vec![
                ("b".repeat(40), CommitState::Clean),
                ("a".repeat(40), CommitState::NotScanned),
                (
                    "c".repeat(40),
                    CommitState::Incomplete {
                        reasons: vec!["logo.png not scanned (binary)".into()],
                    },
                ),
            ],
            problem: None,
            others: Vec::new(),
        };
        let ScanState::Unknown { reason } = checked.scan_state() else {
            panic!("{:?}", checked.scan_state());
        };
        assert_eq!(
            reason,
            "commit aaaaaaaa was not scanned (no secret-scanner report); the secret-scanner report \
             for commit cccccccc is incomplete: logo.png not scanned (binary); checked: 3 commits \
             of the branch (no successful execution yet)"
        );
        // an approval the policy would give becomes a question
        assert!(matches!(
            checked.explain(Verdict::Approve {
                reason: reason.clone()
            }),
            Verdict::AskHuman { .. }
        ));
    }

    #[test]
    fn a_clean_history_keeps_the_policy_reason_and_says_what_was_checked() {
        let checked = Checked {
            since: success(),
            commits: vec![("b".repeat(40), CommitState::Clean)],
            problem: None,
            others: Vec::new(),
        };
        assert_eq!(checked.scan_state(), ScanState::Clean);
        assert_eq!(
            checked.explain(Verdict::Approve {
                reason: "approved by policy".into()
            }),
            Verdict::Approve {
                reason: "approved by policy; history: 1 commit since the last successful \
                         execution e-0 (commit 00000000), all scanned clean"
                    .into()
            }
        );
        // a cut history is never clean, and says what it saw
        let cut = Checked {
            problem: Some("the history is longer than MAX_HISTORY_COMMITS".into()),
            others: Vec::new(),
            commits: vec![("a".repeat(40), leaky(1))],
            ..checked
        };
        assert!(matches!(
            cut.scan_state(),
            ScanState::Unknown { reason } if reason.contains("MAX_HISTORY_COMMITS")
                && reason.contains("1 potential secret(s) in commit aaaaaaaa")
        ));
    }

    #[test]
    fn the_source_commit_is_the_one_of_the_repository() {
        let url = |repo: &str| {
            Some(format!(
                "https://us-east-1.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/x"
            ))
        };
        let revision = |id: char, url: Option<String>| Revision {
            revision_id: Some(id.to_string().repeat(40)),
            url,
            summary: None,
        };
        let two = [revision('a', url("lib")), revision('b', url("app"))];
        assert_eq!(source_commit(&two, "app"), Some("b".repeat(40).as_str()));
        assert_eq!(source_commit(&two, "other"), None);
        let bare = [revision('c', None)];
        assert_eq!(source_commit(&bare, "app"), Some("c".repeat(40).as_str()));
    }
}
