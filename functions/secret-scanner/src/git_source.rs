//! [`LocalGitSource`]: [`CommitSource`] over a local copy of the repository
//! (fetched by [`crate::git_path`]), read with gix. The git path scans with
//! the same [`crate::scanning`] code as the API path, so findings, reports
//! and comments are the same; only where commits, diffs and blobs come from
//! differs, and none of it is an API call.
//!
//! The reads are local and short (a tree diff, a blob diff), so they run
//! inline in the async methods; the one long blocking step, the fetch,
//! runs on the blocking pool.

use std::sync::{Mutex, MutexGuard, PoisonError};

use gix::ObjectId;
use gix::bstr::ByteSlice;
use shared::git_diff::{self, DiffError};
use shared::scan::looks_binary;

use crate::Error;
use crate::ports::{
    AddedLine, BlobChange, BlobContent, ChangedFile, CommitInfo, CommitSource, DefaultBranch,
};

/// The local copy of one repository.
pub struct LocalGitSource {
    repo: Mutex<gix::Repository>,
    /// The repository it is a copy of (the only one it answers for).
    repository: String,
    /// The remote's default branch (its HEAD), if it has one.
    default_branch: Option<String>,
}

impl LocalGitSource {
    pub fn new(
        mut repo: gix::Repository,
        repository: &str,
        default_branch: Option<String>,
    ) -> Self {
        shared::git_diff::cache_for_history(&mut repo);
        Self {
            repo: Mutex::new(repo),
            repository: repository.to_owned(),
            default_branch,
        }
    }

    fn lock(&self) -> MutexGuard<'_, gix::Repository> {
        self.repo.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check(&self, repository: &str) -> Result<(), Error> {
        if repository == self.repository {
            Ok(())
        } else {
            Err(Error::NotFound {
                what: format!(
                    "repository {repository} in the local copy of {}",
                    self.repository
                ),
            })
        }
    }

    /// A commit specifier (an id, a branch or a tag name) as a commit id.
    pub fn resolve(&self, spec: &str) -> Result<Option<ObjectId>, Error> {
        resolve(&self.lock(), spec)
    }

    /// Every commit reachable from `tip` and from none of `hidden` (commit
    /// specifiers; unknown ones are ignored), newest first.
    pub fn commits_between(&self, tip: &str, hidden: &[String]) -> Result<Vec<String>, Error> {
        let repo = self.lock();
        let tip = resolve(&repo, tip)?.ok_or_else(|| Error::NotFound {
            what: format!("commit {tip} in repository {}", self.repository),
        })?;
        let mut stops = Vec::new();
        for spec in hidden {
            stops.extend(resolve(&repo, spec)?);
        }
        Ok(git_diff::commits(&repo, vec![tip], stops)?
            .into_iter()
            .map(|id| id.to_string())
            .collect())
    }
}

fn resolve(repo: &gix::Repository, spec: &str) -> Result<Option<ObjectId>, Error> {
    let candidates = [
        format!("refs/heads/{spec}"),
        format!("refs/tags/{spec}"),
        spec.to_owned(),
    ];
    let id = if let Ok(id) = ObjectId::from_hex(spec.as_bytes()) {
        Some(id)
    } else {
        candidates.iter().find_map(|name| {
            repo.find_reference(name.as_str())
                .ok()
                .and_then(|mut r| r.peel_to_id().ok())
                .map(|id| id.detach())
        })
    };
    let Some(id) = id else {
        return Ok(None);
    };
    if !repo.has_object(id) {
        return Ok(None);
    }
    let object = repo
        .find_object(id)
        .map_err(|e| DiffError::new(format!("cannot read {id}"), e))?;
    Ok(object.peel_to_commit().ok().map(|c| c.id))
}

fn parse_id(id: &str) -> Result<ObjectId, Error> {
    ObjectId::from_hex(id.as_bytes()).map_err(|_| Error::NotFound {
        what: format!("object {id} (not a full object id)"),
    })
}

fn commit_info(repo: &gix::Repository, id: ObjectId) -> Result<Option<CommitInfo>, Error> {
    let Ok(commit) = repo.find_commit(id) else {
        return Ok(None); // unknown ids are left out, as BatchGetCommits does
    };
    let read = |e| DiffError::new(format!("cannot read commit {id}"), e);
    let author = commit.author().map_err(read)?;
    let message = commit.message_raw_sloppy().to_str_lossy().into_owned();
    Ok(Some(CommitInfo {
        id: id.to_string(),
        parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        author: Some(format!(
            "{} <{}>",
            author.name.to_str_lossy(),
            author.email.to_str_lossy()
        )),
        summary: message.lines().next().unwrap_or_default().to_owned(),
        message,
    }))
}

fn tree_of<'r>(repo: &'r gix::Repository, spec: &str) -> Result<gix::Tree<'r>, Error> {
    let id = resolve(repo, spec)?.ok_or_else(|| Error::NotFound {
        what: format!("commit {spec} in the local copy"),
    })?;
    repo.find_commit(id)
        .and_then(|c| c.tree())
        .map_err(|e| DiffError::new(format!("cannot read the tree of {id}"), e).into())
}

fn blob_bytes(repo: &gix::Repository, id: ObjectId) -> Result<Vec<u8>, Error> {
    Ok(repo
        .find_blob(id)
        .map_err(|e| DiffError::new(format!("cannot read blob {id}"), e))?
        .detach()
        .data)
}

fn blob_size(repo: &gix::Repository, id: ObjectId) -> Result<u64, Error> {
    Ok(repo
        .find_header(id)
        .map_err(|e| DiffError::new(format!("cannot read blob {id}"), e))?
        .size())
}

impl CommitSource for LocalGitSource {
    async fn commits(&self, repository: &str, ids: &[String]) -> Result<Vec<CommitInfo>, Error> {
        self.check(repository)?;
        let repo = self.lock();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Ok(oid) = ObjectId::from_hex(id.as_bytes()) {
                out.extend(commit_info(&repo, oid)?);
            }
        }
        Ok(out)
    }

    async fn merge_base(
        &self,
        repository: &str,
        source: &str,
        destination: &str,
    ) -> Result<Option<String>, Error> {
        self.check(repository)?;
        let repo = self.lock();
        let (Some(one), Some(two)) = (resolve(&repo, source)?, resolve(&repo, destination)?) else {
            return Ok(None);
        };
        let base = repo
            .merge_base(one, two)
            .map_err(|e| DiffError::new("cannot compute a merge base", e))?;
        Ok(base.map(|id| id.to_string()))
    }

    async fn default_branch(&self, repository: &str) -> Result<Option<DefaultBranch>, Error> {
        self.check(repository)?;
        let Some(name) = self.default_branch.clone() else {
            return Ok(None);
        };
        // The branch itself (refs/heads/<name>), never a tag of that name.
        let repo = self.lock();
        let commit = repo
            .find_reference(format!("refs/heads/{name}").as_str())
            .ok()
            .and_then(|mut r| r.peel_to_id().ok())
            .map(|id| id.to_string());
        Ok(commit.map(|commit| DefaultBranch { name, commit }))
    }

    async fn changed_files(
        &self,
        repository: &str,
        before: Option<&str>,
        after: &str,
    ) -> Result<Vec<ChangedFile>, Error> {
        self.check(repository)?;
        let repo = self.lock();
        let tree = tree_of(&repo, after)?;
        let parent = before.map(|b| tree_of(&repo, b)).transpose()?;
        // Renames as additions, as GetDifferences reports them: a file
        // renamed out of an allowed path is scanned whole.
        Ok(git_diff::changed_blobs(
            &repo,
            parent.as_ref(),
            &tree,
            git_diff::Renames::AsAdditions,
        )?
        .into_iter()
        .map(|blob| ChangedFile {
            path: blob.path,
            before_blob: blob.previous.map(|id| id.to_string()),
            after_blob: blob.id.to_string(),
            mode: git_diff::mode_string(blob.mode),
        })
        .collect())
    }

    async fn added_lines(
        &self,
        repository: &str,
        before_blob: Option<&str>,
        after_blob: &str,
        max_bytes: u64,
    ) -> Result<BlobChange, Error> {
        self.check(repository)?;
        let repo = self.lock();
        let after_id = parse_id(after_blob)?;
        if blob_size(&repo, after_id)? > max_bytes {
            return Ok(BlobChange::TooLarge);
        }
        let after = blob_bytes(&repo, after_id)?;
        let before = match before_blob {
            Some(id) => {
                let id = parse_id(id)?;
                // A before-blob over the limit is not compared with: every
                // line counts as added (over-reporting is safer).
                if blob_size(&repo, id)? > max_bytes {
                    Vec::new()
                } else {
                    blob_bytes(&repo, id)?
                }
            }
            None => Vec::new(),
        };
        // CodeCommit's test: a NUL byte in either blob makes it binary; the
        // scanner then reads both blobs and decodes UTF-16 text itself.
        if looks_binary(&after) || looks_binary(&before) {
            return Ok(BlobChange::Binary);
        }
        let added = git_diff::added_lines(&before, &after);
        let lines = after
            .split_inclusive(|&b| b == b'\n')
            .zip(added)
            .enumerate()
            .filter(|(_, (_, is_added))| *is_added)
            .map(|(index, (line, _))| AddedLine {
                number: index + 1,
                content: String::from_utf8_lossy(line)
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
            })
            .collect();
        Ok(BlobChange::Text(lines))
    }

    async fn blob(&self, repository: &str, blob_id: &str) -> Result<BlobContent, Error> {
        self.check(repository)?;
        let repo = self.lock();
        Ok(BlobContent::Bytes(blob_bytes(&repo, parse_id(blob_id)?)?))
    }

    async fn file(
        &self,
        repository: &str,
        commit: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, Error> {
        self.check(repository)?;
        let repo = self.lock();
        let tree = tree_of(&repo, commit)?;
        let entry = tree
            .lookup_entry_by_path(path)
            .map_err(|e| DiffError::new(format!("cannot read {path} at {commit}"), e))?;
        match entry.filter(|e| e.mode().is_blob()) {
            Some(entry) => Ok(Some(blob_bytes(&repo, entry.object_id())?)),
            None => Ok(None),
        }
    }
}
