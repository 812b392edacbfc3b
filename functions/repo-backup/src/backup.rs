//! One repository's backup: sync the mirror, write the bundle of what
//! changed since the last backup, upload it, and add it to the manifest by
//! compare-and-swap (see [`crate::store`] for why not a lock).

use std::path::PathBuf;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use chrono::Utc;
use shared::backup::{BundleRecord, Manifest, Sha256Writer, bundle_key};
use shared::codecommit_git::{self, Scope};

use crate::Error;
use crate::mirror::{self, GitAuth, RemoteState};
use crate::pack;
use crate::ports::BackupStore;

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
}

impl GitAccess {
    fn host(&self) -> &str {
        let rest = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }

    /// A fresh SigV4 git password for `repository` from the role's
    /// current credentials.
    async fn auth(&self, repository: &str) -> Result<GitAuth, Error> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| Error::Aws {
                operation: "loading credentials",
                retryable: true,
                message: e.to_string(),
                source: Box::new(e),
            })?;
        let scope = Scope {
            region: codecommit_git::signing_region(&self.region),
            host: self.host(),
            repository,
        };
        Ok(GitAuth {
            username: codecommit_git::username(
                credentials.access_key_id(),
                credentials.session_token(),
            ),
            password: codecommit_git::password(credentials.secret_access_key(), &scope, Utc::now()),
        })
    }

    fn url(&self, repository: &str) -> String {
        format!(
            "{}/v1/repos/{repository}",
            self.endpoint.trim_end_matches('/')
        )
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
    for attempt in 1..=CAS_ATTEMPTS {
        let versioned = store.load_manifest(repository).await?;
        let (manifest, etag) = match versioned {
            Some(v) => (v.manifest, Some(v.etag)),
            None => (Manifest::new(repository), None),
        };
        let known = manifest.latest().map(|b| RemoteState {
            refs: b.refs.clone(),
            head: b.head.clone(),
        });
        let full = manifest.latest().is_none() || manifest.incrementals_since_full() >= full_every;
        let auth = git.auth(repository).await?;
        let dir = git.mirror_root.join(format!("{repository}.git"));
        let url = git.url(repository);
        let name = repository.to_owned();
        let previous = if full { None } else { known.clone() };
        let known_for_sync = known.clone();
        let started = std::time::Instant::now();
        let built = tokio::task::spawn_blocking(move || -> Result<_, Error> {
            let (repo, state) = mirror::sync(&dir, &name, &url, &auth, known_for_sync.as_ref())?;
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
        let deleted: std::collections::BTreeMap<String, String> = known
            .iter()
            .flat_map(|k| k.refs.iter())
            .filter(|(name, _)| !state.refs.contains_key(*name))
            .map(|(n, o)| (n.clone(), o.clone()))
            .collect();
        let deleted_refs = deleted.len();
        let mut next = manifest.clone();
        next.bundles.push(BundleRecord {
            seq,
            key: key.clone(),
            full,
            created_at: Utc::now(),
            prerequisites: written.prerequisites,
            refs: state.refs,
            head: state.head,
            deleted,
            objects: written.objects,
            size,
            sha256,
        });
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
        // Lost the race: drop our bundle unless the winner's manifest uses
        // the very same (content-addressed) key, then start again.
        tracing::info!(
            repository,
            seq,
            attempt,
            "manifest changed meanwhile, recomputing"
        );
        let current = store.load_manifest(repository).await?;
        let referenced = current
            .as_ref()
            .is_some_and(|v| v.manifest.bundles.iter().any(|b| b.key == key));
        if !referenced {
            store.delete_bundle(&key).await?;
        }
    }
    Err(Error::Contention {
        repository: repository.to_owned(),
        attempts: CAS_ATTEMPTS,
    })
}
