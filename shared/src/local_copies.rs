//! Local git copies kept in a function's ephemeral storage, and room for
//! them: repo-backup's mirrors (`MIRROR_DIR`) and the secret scanner's
//! copies (`GIT_SCAN_DIR`).
//!
//! Copies stay in /tmp between warm invocations so that the next fetch of
//! a repository brings only what is new. An instance that handles many
//! repositories (a schedule, a sweep) would fill /tmp (512 MB to 10 GB)
//! and then fail every fetch. Before a fetch, [`make_room`] checks the free
//! space of the copies' filesystem and, below the minimum, deletes the
//! least recently used other copies until there is enough; an evicted
//! repository is fetched afresh next time.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Touched at each use of a copy: its modification time orders eviction.
const LAST_USED: &str = "codewarden-last-used";
/// A mirror being deleted is renamed first, so that an interrupted deletion
/// never leaves a half mirror under the repository's name.
const EVICTING: &str = ".evicting";

/// The free space of a filesystem (a trait so that tests can give the
/// copies a capacity, which makes eviction deterministic).
pub trait FreeSpace: std::fmt::Debug + Send + Sync {
    /// Bytes this process may still write on the filesystem holding `dir`.
    fn available(&self, dir: &Path) -> std::io::Result<u64>;
}

/// A file operation on the copies failed: what was done, and why.
#[derive(Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct CopyError {
    pub context: String,
    #[source]
    pub source: std::io::Error,
}

impl CopyError {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self {
            context: context.into(),
            source,
        }
    }
}

/// Free space as `statvfs(2)` reports it to an unprivileged process.
#[derive(Clone, Copy, Debug, Default)]
pub struct Statvfs;

impl FreeSpace for Statvfs {
    fn available(&self, dir: &Path) -> std::io::Result<u64> {
        let stat = rustix::fs::statvfs(dir)?;
        Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
}

/// A mirror that [`make_room`] deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evicted {
    pub repository: String,
    /// Bytes its files took.
    pub bytes: u64,
}

/// Marks the mirror at `dir` as just used.
pub fn touch(dir: &Path) -> Result<(), CopyError> {
    let path = dir.join(LAST_USED);
    let file = std::fs::File::create(&path)
        .map_err(|e| CopyError::io(format!("writing {}", path.display()), e))?;
    file.set_modified(SystemTime::now())
        .map_err(|e| CopyError::io(format!("writing {}", path.display()), e))
}

/// Deletes the least recently used mirrors under `root` other than
/// `in_use` until `space` reports at least `min_free` bytes available, or
/// none is left to delete. Returns what it deleted, oldest first.
pub fn make_room(
    root: &Path,
    in_use: &Path,
    min_free: u64,
    space: &dyn FreeSpace,
) -> Result<Vec<Evicted>, CopyError> {
    std::fs::create_dir_all(root)
        .map_err(|e| CopyError::io(format!("creating {}", root.display()), e))?;
    let available = |root: &Path| {
        space
            .available(root)
            .map_err(|e| CopyError::io(format!("reading the free space of {}", root.display()), e))
    };
    let mut free = available(root)?;
    if free >= min_free {
        return Ok(Vec::new());
    }
    let mut evicted = Vec::new();
    for (dir, repository) in candidates(root, in_use)? {
        let bytes = disk_usage(&dir);
        let doomed = match repository {
            // The leftover of an interrupted eviction: already renamed.
            None => dir.clone(),
            Some(_) => {
                let doomed = PathBuf::from(format!("{}{EVICTING}", dir.display()));
                std::fs::rename(&dir, &doomed)
                    .map_err(|e| CopyError::io(format!("evicting {}", dir.display()), e))?;
                doomed
            }
        };
        std::fs::remove_dir_all(&doomed)
            .map_err(|e| CopyError::io(format!("deleting {}", doomed.display()), e))?;
        free = available(root)?;
        if let Some(repository) = repository {
            tracing::info!(
                repository = %repository,
                bytes,
                available = free,
                min_free,
                "local copy evicted: little free space left"
            );
            evicted.push(Evicted { repository, bytes });
        }
        if free >= min_free {
            return Ok(evicted);
        }
    }
    tracing::warn!(
        available = free,
        min_free,
        "free space still below the minimum with no other local copy left"
    );
    Ok(evicted)
}

/// The mirrors under `root` except `in_use`, least recently used first,
/// with their repository; leftovers of an interrupted eviction (no
/// repository) come before all of them.
fn candidates(root: &Path, in_use: &Path) -> Result<Vec<(PathBuf, Option<String>)>, CopyError> {
    let entries = std::fs::read_dir(root)
        .map_err(|e| CopyError::io(format!("reading {}", root.display()), e))?;
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| CopyError::io(format!("reading {}", root.display()), e))?;
        let path = entry.path();
        if path == in_use || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let (repository, used) = if name.ends_with(EVICTING) {
            (None, SystemTime::UNIX_EPOCH)
        } else if let Some(repository) = name.strip_suffix(".git") {
            (Some(repository.to_owned()), last_used(&path))
        } else {
            continue;
        };
        found.push((used, path, repository));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Ok(found.into_iter().map(|(_, p, r)| (p, r)).collect())
}

/// When the mirror was last used: its marker's time, else (a mirror from
/// before the marker existed) the directory's.
fn last_used(dir: &Path) -> SystemTime {
    std::fs::metadata(dir.join(LAST_USED))
        .or_else(|_| std::fs::metadata(dir))
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Bytes of the files under `dir` (for the log; unreadable entries count 0).
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| match entry.file_type() {
            Ok(t) if t.is_dir() => disk_usage(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A filesystem of `capacity` bytes holding what is under the root.
    #[derive(Debug)]
    struct Quota(u64);

    impl FreeSpace for Quota {
        fn available(&self, dir: &Path) -> std::io::Result<u64> {
            Ok(self.0.saturating_sub(disk_usage(dir)))
        }
    }

    fn mirror(
        root: &Path,
        name: &str,
        bytes: usize,
        used_secs_ago: u64,
    ) -> anyhow::Result<PathBuf> {
        let dir = root.join(format!("{name}.git"));
        std::fs::create_dir_all(dir.join("objects"))?;
        std::fs::write(dir.join("objects").join("pack"), vec![0u8; bytes])?;
        touch(&dir)?;
        std::fs::File::options()
            .write(true)
            .open(dir.join(LAST_USED))?
            .set_modified(SystemTime::now() - Duration::from_secs(used_secs_ago))?;
        Ok(dir)
    }

    #[test]
    fn the_least_recently_used_other_mirrors_go_until_there_is_room() -> anyhow::Result<()> {
        // GIVEN four mirrors of 1000 bytes, used 40, 30, 20 and 10 s ago,
        // on a 4100-byte filesystem
        let tmp = tempfile::tempdir()?;
        let root = tmp.path();
        let oldest = mirror(root, "oldest", 1000, 40)?;
        let in_use = mirror(root, "in-use", 1000, 30)?;
        let older = mirror(root, "older", 1000, 20)?;
        let recent = mirror(root, "recent", 1000, 10)?;
        let space = Quota(4100);
        // WHEN 2000 bytes must be free before fetching into `in-use`
        let evicted = make_room(root, &in_use, 2000, &space)?;
        // THEN the oldest other mirrors went, oldest first, never the one in use
        let names: Vec<&str> = evicted.iter().map(|e| e.repository.as_str()).collect();
        assert_eq!(names, ["oldest", "older"]);
        assert!(evicted.iter().all(|e| e.bytes >= 1000));
        assert!(!oldest.exists() && !older.exists());
        assert!(in_use.exists() && recent.exists());
        // AND with enough room nothing goes
        assert!(make_room(root, &in_use, 2000, &space)?.is_empty());
        // AND when even that is not enough, every other mirror goes but the
        // one in use stays
        let evicted = make_room(root, &in_use, 1_000_000, &space)?;
        assert_eq!(evicted.len(), 1);
        assert!(in_use.exists() && !recent.exists());
        Ok(())
    }

    #[test]
    fn an_interrupted_eviction_is_finished_and_other_entries_are_left() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path();
        let leftover = root.join(format!("gone.git{EVICTING}"));
        std::fs::create_dir_all(&leftover)?;
        std::fs::write(leftover.join("x"), vec![0u8; 500])?;
        std::fs::write(root.join("bundle.tmp"), vec![0u8; 10])?;
        let in_use = mirror(root, "app", 100, 0)?;
        let evicted = make_room(root, &in_use, 1000, &Quota(1500))?;
        assert!(evicted.is_empty(), "{evicted:?}");
        assert!(!leftover.exists());
        assert!(root.join("bundle.tmp").exists() && in_use.exists());
        Ok(())
    }

    #[test]
    fn statvfs_reports_the_free_space_of_a_real_directory() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        assert!(Statvfs.available(tmp.path())? > 0);
        assert!(Statvfs.available(&tmp.path().join("missing")).is_err());
        Ok(())
    }
}
