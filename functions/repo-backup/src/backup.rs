//! One repository's backup: sync the mirror, write the bundle of what
//! changed since the last backup, upload it, and add it to the manifest by
//! compare-and-swap (see [`crate::store`] for why not a lock).

use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use chrono::Utc;
use shared::backup::{BundleRecord, Manifest, Sha256Writer, bundle_key};
use shared::git_fetch::{self, GitRemote, RemoteState};

use crate::Error;
use crate::evict;
use crate::pack;
use crate::ports::{BackupStore, FreeSpace, StoredBundle};

/// How many times a backup recomputes after losing the manifest race.
const CAS_ATTEMPTS: u32 = 5;

/// Where and how to reach the repositories over git.
#[derive(Clone, Debug)]
pub struct GitAccess {
    /// `https://git-codecommit.<region>.amazonaws.com`, or the local stack's
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// Signing region (never a `-fips` pseudo-region).
    pub region: String,
    pub credentials: SharedCredentialsProvider,
    /// Mirrors live in `<mirror_root>/<repo>.git` (ephemeral storage).
    pub mirror_root: PathBuf,
    /// Bytes that must be free under `mirror_root` before a fetch; other
    /// mirrors are evicted to make room ([`evict::make_room`]).
    pub min_free_tmp: u64,
    pub free_space: Arc<dyn FreeSpace>,
}

impl GitAccess {
    /// The git endpoint as the shared fetch code takes it.
    fn remote(&self) -> GitRemote<'_> {
        GitRemote {
            endpoint: &self.endpoint,
            region: &self.region,
            credentials: &self.credentials,
        }
    }
}

/// What a backup did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BackupOutcome {
    /// The refs equal the last backup's: nothing uploaded.
    Unchanged { seq: u64 },
    /// The repository has no branch or tag: nothing to store (an earlier
    /// backup, if any, stays).
    Empty,
    Stored {
        seq: u64,
        full: bool,
        key: String,
        objects: u64,
        size: u64,
        uploaded: u64,
        deleted_refs: usize,
    },
}

/// Backs up `repository`; `full_every`: a full bundle after that many
/// incrementals.
pub async fn back_up(
    store: &impl BackupStore,
    git: &GitAccess,
    repository: &str,
    full_every: usize,
) -> Result<BackupOutcome, Error> {
    // The mirror is `<root>/<repository>.git`, the backup a prefix of it.
    Error::check_repository(repository)?;
    for attempt in 1..=CAS_ATTEMPTS {
        let versioned = store.load_manifest(repository).await?;
        let (manifest, etag) = match versioned {
            Some(v) => (v.manifest, Some(v.etag)),
            None => (Manifest::new(repository), None),
        };
        let known = manifest.latest().map(|b| RemoteState {
            refs: manifest.latest_refs(),
            head: b.head.clone(),
        });
        let full = manifest.latest().is_none() || manifest.incrementals_since_full() >= full_every;
        let auth = git.remote().auth(repository).await?;
        let dir = git.mirror_root.join(format!("{repository}.git"));
        let url = git.remote().url(repository);
        let name = repository.to_owned();
        let previous = if full { None } else { known.clone() };
        let known_for_sync = known;
        let started = std::time::Instant::now();
        let (root, min_free, space) = (
            git.mirror_root.clone(),
            git.min_free_tmp,
            git.free_space.clone(),
        );
        let built = tokio::task::spawn_blocking(move || -> Result<_, Error> {
            // Room first: a full /tmp fails the fetch. Best effort: with too
            // little room the fetch may still fit, and fails retryably if not.
            if let Err(error) = evict::make_room(&root, &dir, min_free, space.as_ref()) {
                tracing::warn!(repository = %name, error = %error, "could not make room in MIRROR_DIR");
            }
            let (repo, state) = git_fetch::sync(&dir, &name, &url, &auth, known_for_sync.as_ref())?;
            evict::touch(&dir)?;
            if state.refs.is_empty() || known_for_sync.as_ref() == Some(&state) {
                return Ok((state, None));
            }
            let parent = dir.parent().unwrap_or(&dir);
            let file = tempfile::NamedTempFile::new_in(parent)
                .map_err(|e| Error::io("creating the bundle file", e))?;
            let mut writer = Sha256Writer::new(std::io::BufWriter::new(file.as_file()));
            let written = pack::write_bundle(
                &repo,
                &name,
                &state.refs,
                state.head.as_deref(),
                previous.as_ref().map(|p| &p.refs),
                &mut writer,
            )?;
            let (_, size, sha256) = writer.finish();
            Ok((state, Some((file, written, size, sha256))))
        })
        .await
        .map_err(|e| Error::io("backup task", std::io::Error::other(e)))??;
        let (state, bundle) = built;
        let Some((file, written, size, sha256)) = bundle else {
            return Ok(match manifest.latest() {
                Some(last) if !state.refs.is_empty() => BackupOutcome::Unchanged { seq: last.seq },
                _ => {
                    tracing::warn!(repository, "no branch or tag: nothing to back up");
                    BackupOutcome::Empty
                }
            });
        };
        let seq = manifest.next_seq();
        let key = bundle_key(repository, seq, &sha256);
        tracing::info!(
            repository,
            seq,
            full,
            objects = written.objects,
            size,
            "bundle written, uploading"
        );
        let uploaded = store.upload_bundle(&key, file.path(), size).await?;
        let mut next = manifest;
        next.push(
            BundleRecord {
                seq,
                key: key.clone(),
                full,
                created_at: Utc::now(),
                prerequisites: written.prerequisites,
                refs: None,
                updated: Default::default(),
                head: state.head,
                deleted: Default::default(),
                objects: written.objects,
                size,
                sha256,
            },
            &state.refs,
        );
        let deleted_refs = next.latest().map_or(0, |b| b.deleted.len());
        if store.save_manifest(&next, etag.as_deref()).await? {
            tracing::info!(
                repository,
                seq,
                full,
                size,
                uploaded,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "backup stored"
            );
            return Ok(BackupOutcome::Stored {
                seq,
                full,
                key,
                objects: written.objects,
                size,
                uploaded,
                deleted_refs,
            });
        }
        // Lost the race. Our bundle stays: the winner may use the very same
        // (content-addressed) key, and after a 409 its manifest may not be
        // visible yet, so no reading of the manifest now can prove the
        // bundle unused. [`collect_garbage`] removes it once it is old
        // enough that no writer can still be about to reference it.
        tracing::info!(
            repository,
            seq,
            attempt,
            key = %key,
            "manifest changed meanwhile, recomputing (bundle left for garbage collection)"
        );
    }
    Err(Error::Contention {
        repository: repository.to_owned(),
        attempts: CAS_ATTEMPTS,
    })
}

/// Deletes the bundles of `repository` that its current manifest does not
/// reference and that were written more than `grace` ago; returns their
/// keys. The grace period covers writers still inside their
/// compare-and-swap (an invocation lasts at most 15 minutes): a bundle is
/// collected only when no writer can still be about to reference it.
pub async fn collect_garbage(
    store: &impl BackupStore,
    repository: &str,
    grace: chrono::Duration,
) -> Result<Vec<String>, Error> {
    let Some(current) = store.load_manifest(repository).await? else {
        // No manifest: nothing is referenced yet, and a first writer may be
        // between its upload and its manifest; leave everything.
        return Ok(Vec::new());
    };
    let listed = store.list_bundles(repository).await?;
    let doomed = unreferenced(&current.manifest, &listed, Utc::now() - grace);
    for key in &doomed {
        store.delete_bundle(key).await?;
        tracing::info!(repository, key = %key, "unreferenced bundle collected");
    }
    Ok(doomed)
}

/// The listed bundles `manifest` does not reference, written before `cutoff`.
fn unreferenced(
    manifest: &Manifest,
    listed: &[StoredBundle],
    cutoff: chrono::DateTime<Utc>,
) -> Vec<String> {
    listed
        .iter()
        .filter(|b| b.written < cutoff && !manifest.bundles.iter().any(|r| r.key == b.key))
        .map(|b| b.key.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_unreferenced_bundles_are_collected() {
        // GIVEN a manifest referencing one bundle, and three listed
        let mut manifest = Manifest::new("app");
        let now = Utc::now();
        manifest.bundles.push(BundleRecord {
            seq: 1,
            key: "backups/app/bundles/00000001-aa.bundle".into(),
            full: true,
            created_at: now,
            prerequisites: Vec::new(),
            refs: None,
            updated: Default::default(),
            head: None,
            deleted: Default::default(),
            objects: 1,
            size: 1,
            sha256: "aa".into(),
        });
        let bundle = |key: &str, age_minutes: i64| StoredBundle {
            key: key.into(),
            written: now - chrono::Duration::minutes(age_minutes),
        };
        let listed = [
            bundle("backups/app/bundles/00000001-aa.bundle", 600),
            bundle("backups/app/bundles/00000002-bb.bundle", 600),
            bundle("backups/app/bundles/00000002-cc.bundle", 5),
        ];
        // WHEN collecting with an hour of grace
        let doomed = unreferenced(&manifest, &listed, now - chrono::Duration::minutes(60));
        // THEN only the old orphan goes: never a referenced one, never a young one
        assert_eq!(doomed, ["backups/app/bundles/00000002-bb.bundle"]);
    }
}
