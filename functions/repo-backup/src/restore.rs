//! Restore: download a chain of bundles, verify every SHA-256 before
//! touching the target, index each bundle's pack into a new bare repository
//! with gix (no git binary), then write the refs the manifest records at
//! that point (its records replayed, checked against the last bundle's
//! header).

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::ObjectId;
use shared::backup::bundle::sha256_hex;
use shared::backup::{BundleHeader, BundleRecord, Manifest, Refs, Selector};

use crate::Error;
use crate::ports::BackupStore;

/// What a restore left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    /// The bundle whose state was restored.
    pub seq: u64,
    /// Bundles applied, in order.
    pub applied: Vec<u64>,
    pub refs: BTreeMap<String, String>,
    pub head: Option<String>,
}

/// The manifest of `repository`, or [`Error::NoBackup`].
pub async fn manifest(store: &impl BackupStore, repository: &str) -> Result<Manifest, Error> {
    // A name is an S3 prefix: `a/b` or `../x` would read another one.
    Error::check_repository(repository)?;
    store
        .load_manifest(repository)
        .await?
        .map(|v| v.manifest)
        .ok_or_else(|| Error::NoBackup {
            repository: repository.to_owned(),
            bucket: store.bucket().to_owned(),
        })
}

/// Restores `repository` at `selector` into the new bare repository `dest`.
pub async fn restore(
    store: &impl BackupStore,
    repository: &str,
    selector: Selector,
    dest: &Path,
) -> Result<Restored, Error> {
    if dest.exists()
        && std::fs::read_dir(dest)
            .map_err(|e| Error::io(format!("reading {}", dest.display()), e))?
            .next()
            .is_some()
    {
        return Err(Error::TargetNotEmpty(dest.display().to_string()));
    }
    let manifest = manifest(store, repository).await?;
    let chain = manifest.chain(selector)?.to_vec();
    let target = chain.last().map(|b| b.seq).unwrap_or_default();
    let refs = manifest.refs_after(target).unwrap_or_default();
    let work = tempfile::tempdir().map_err(|e| Error::io("creating a temporary directory", e))?;
    let mut files = Vec::new();
    for record in &chain {
        let file = work.path().join(format!("{}.bundle", record.seq));
        if !store.download_bundle(&record.key, &file).await? {
            return Err(corrupt(record, "it is missing from the bucket"));
        }
        verify(record, &file)?;
        tracing::info!(seq = record.seq, size = record.size, "bundle verified");
        files.push(file);
    }
    let dest = dest.to_path_buf();
    let repository = repository.to_owned();
    tokio::task::spawn_blocking(move || apply(&repository, &chain, &refs, &files, &dest))
        .await
        .map_err(|e| Error::io("restore task", std::io::Error::other(e)))?
}

fn corrupt(record: &BundleRecord, problem: impl Into<String>) -> Error {
    Error::Corrupt {
        seq: record.seq,
        key: record.key.clone(),
        problem: problem.into(),
    }
}

/// Size and SHA-256 against the manifest.
pub fn verify(record: &BundleRecord, file: &Path) -> Result<(), Error> {
    let size = std::fs::metadata(file)
        .map_err(|e| Error::io(format!("reading {}", file.display()), e))?
        .len();
    if size != record.size {
        return Err(corrupt(
            record,
            format!(
                "{size} bytes instead of the {} the manifest records",
                record.size
            ),
        ));
    }
    let input = std::fs::File::open(file)
        .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
    let sha = sha256_hex(BufReader::new(input))
        .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
    if sha != record.sha256 {
        return Err(corrupt(
            record,
            format!(
                "SHA-256 {sha} does not match the manifest's {}",
                record.sha256
            ),
        ));
    }
    Ok(())
}

/// Indexes the chain's packs into `dest` and writes `refs`, the state after
/// the last bundle.
fn apply(
    repository: &str,
    chain: &[BundleRecord],
    refs: &Refs,
    files: &[PathBuf],
    dest: &Path,
) -> Result<Restored, Error> {
    std::fs::create_dir_all(dest)
        .map_err(|e| Error::io(format!("creating {}", dest.display()), e))?;
    let repo = gix::init_bare(dest)
        .map_err(|e| Error::git(repository, "creating the bare repository", e))?;
    let pack_dir = dest.join("objects").join("pack");
    let mut last_header = None;
    for (record, file) in chain.iter().zip(files) {
        let input = std::fs::File::open(file)
            .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
        let mut reader = BufReader::new(input);
        let header = BundleHeader::read_from(&mut reader).map_err(|source| Error::Bundle {
            key: record.key.clone(),
            source,
        })?;
        for prerequisite in &header.prerequisites {
            let id = ObjectId::from_hex(prerequisite.as_bytes())
                .map_err(|_| corrupt(record, "a prerequisite is not an object id"))?;
            if !repo.has_object(id) {
                return Err(corrupt(
                    record,
                    format!("prerequisite {prerequisite} is not in the bundles before it"),
                ));
            }
        }
        let outcome = gix_pack::Bundle::write_to_directory(
            &mut reader,
            Some(&pack_dir),
            &mut gix::progress::Discard,
            &AtomicBool::new(false),
            None::<gix::objs::find::Never>,
            gix::hash::Kind::Sha1,
            Default::default(),
        )
        .map_err(|e| corrupt(record, format!("its pack cannot be indexed: {e}")))?;
        if let Some(keep) = outcome.keep_path {
            let _ = std::fs::remove_file(keep);
        }
        tracing::info!(
            seq = record.seq,
            objects = outcome.index.num_objects,
            "bundle applied"
        );
        last_header = Some(header);
    }
    let last = chain
        .last()
        .ok_or_else(|| Error::Chain(shared::backup::ChainError::Empty(repository.to_owned())))?;
    if let Some(header) = &last_header {
        check_header(last, refs, header)?;
    }
    // The refs the manifest records at this point, written as packed-refs (a
    // plain, standard file), after checking that every tip arrived.
    let repo = gix::open(dest)
        .map_err(|e| Error::git(repository, "opening the restored repository", e))?;
    let mut packed = String::from("# pack-refs with: sorted \n");
    for (name, oid) in refs {
        let id = ObjectId::from_hex(oid.as_bytes())
            .map_err(|_| corrupt(last, "a ref is not an object id"))?;
        if !repo.has_object(id) {
            return Err(corrupt(
                last,
                format!("{name} points to {oid}, which no bundle of the chain holds"),
            ));
        }
        if !name.starts_with("refs/") || name.contains("..") || name.contains(['\n', ' ']) {
            return Err(corrupt(last, format!("{name:?} is not a valid ref name")));
        }
        packed.push_str(&format!("{oid} {name}\n"));
    }
    std::fs::write(dest.join("packed-refs"), packed)
        .map_err(|e| Error::io(format!("writing {}/packed-refs", dest.display()), e))?;
    let head = last
        .head
        .clone()
        .filter(|h| refs.contains_key(h))
        .or_else(|| refs.keys().find(|n| n.starts_with("refs/heads/")).cloned());
    if let Some(head) = &head {
        std::fs::write(dest.join("HEAD"), format!("ref: {head}\n"))
            .map_err(|e| Error::io(format!("writing {}/HEAD", dest.display()), e))?;
    }
    Ok(Restored {
        seq: last.seq,
        applied: chain.iter().map(|b| b.seq).collect(),
        refs: refs.clone(),
        head,
    })
}

/// The branches and tags the manifest's records replay to must be those the
/// bundle's header lists (a bundle header names every ref of its point): a
/// damaged or misread record never restores quietly wrong refs.
fn check_header(last: &BundleRecord, refs: &Refs, header: &BundleHeader) -> Result<(), Error> {
    let backed_up = |name: &str| name.starts_with("refs/heads/") || name.starts_with("refs/tags/");
    let listed: Refs = header
        .refs
        .iter()
        .filter(|(name, _)| backed_up(name))
        .cloned()
        .collect();
    let recorded: Refs = refs
        .iter()
        .filter(|(name, _)| backed_up(name))
        .map(|(n, o)| (n.clone(), o.clone()))
        .collect();
    if listed == recorded {
        return Ok(());
    }
    let differing = listed
        .keys()
        .chain(recorded.keys())
        .find(|name| listed.get(*name) != recorded.get(*name))
        .cloned()
        .unwrap_or_default();
    Err(corrupt(
        last,
        format!(
            "the manifest's refs after it differ from the bundle header's (first: {differing}, manifest {}, header {})",
            recorded.get(&differing).map_or("absent", String::as_str),
            listed.get(&differing).map_or("absent", String::as_str),
        ),
    ))
}
