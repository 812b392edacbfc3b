//! Writes a git bundle from a local repository with gix, no git binary:
//! the commits reachable from the new tips and not from the previous tips,
//! their new trees and blobs, and the annotated tags, as one pack after the
//! `# v2 git bundle` header.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::AtomicBool;

use gix::ObjectId;
use gix_pack::data::output;
use shared::backup::BundleHeader;

use crate::Error;

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// Prerequisite commits in the header (hex).
    pub prerequisites: Vec<String>,
    /// Objects in the pack.
    pub objects: u64,
}

fn parse(repository: &str, hex: &str) -> Result<ObjectId, Error> {
    ObjectId::from_hex(hex.as_bytes())
        .map_err(|e| Error::git(repository, "parsing an object id", e))
}

/// The commit an object id finally points to (tags peeled), if any.
fn peel_to_commit(repo: &gix::Repository, id: ObjectId) -> Option<ObjectId> {
    let object = repo.find_object(id).ok()?;
    let peeled = object.peel_tags_to_end().ok()?;
    (peeled.kind == gix::object::Kind::Commit).then_some(peeled.id)
}

/// `id` and the tags it points to, while they are tags.
fn tag_chain(repo: &gix::Repository, mut id: ObjectId) -> Vec<ObjectId> {
    let mut chain = Vec::new();
    while let Ok(object) = repo.find_object(id) {
        if object.kind != gix::object::Kind::Tag {
            break;
        }
        chain.push(id);
        match object.into_tag().target_id() {
            Ok(target) => id = target.detach(),
            Err(_) => break,
        }
    }
    chain
}

/// Writes a bundle of `refs` (`name -> oid`, the repository's whole state)
/// to `out`. With `previous` tips (the state of the last backup), only what
/// they do not reach goes in, and those of them present locally become the
/// prerequisites; without, the bundle is full.
pub fn write_bundle(
    repo: &gix::Repository,
    repository: &str,
    refs: &BTreeMap<String, String>,
    head: Option<&str>,
    previous: Option<&BTreeMap<String, String>>,
    mut out: impl Write,
) -> Result<Written, Error> {
    let mut tips = Vec::new();
    let mut tags = Vec::new();
    for (name, oid) in refs {
        let id = parse(repository, oid)?;
        match peel_to_commit(repo, id) {
            Some(commit) => {
                tips.push(commit);
                // Annotated tags that are new or moved (a tag the previous
                // backup had is in an earlier bundle), with any tags they
                // point to in turn.
                let unchanged = previous.is_some_and(|p| p.get(name) == Some(oid));
                if commit != id && !unchanged {
                    tags.extend(tag_chain(repo, id));
                }
            }
            None => {
                return Err(Error::git(
                    repository,
                    "reading a ref tip",
                    format!("object {oid} is missing from the mirror or is not a commit or tag"),
                ));
            }
        }
    }
    // A previous tip that a force push removed may be absent from a fresh
    // mirror: it cannot be hidden, so its objects are simply sent again.
    let mut prerequisites: Vec<ObjectId> = previous
        .into_iter()
        .flat_map(|p| p.values())
        .filter_map(|hex| ObjectId::from_hex(hex.as_bytes()).ok())
        .filter_map(|id| peel_to_commit(repo, id))
        .collect();
    prerequisites.sort();
    prerequisites.dedup();

    let commits: Vec<ObjectId> = repo
        .rev_walk(tips.iter().copied())
        .with_hidden(prerequisites.iter().copied())
        .all()
        .map_err(|e| Error::git(repository, "walking the history", e))?
        .map(|info| info.map(|info| info.id))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::git(repository, "walking the history", e))?;
    if commits.is_empty() && tags.is_empty() {
        // Only deletions (or a ref moved back to an old commit): the tip
        // commits alone, so that the pack is not empty.
        tags.extend(tips.iter().copied());
    }

    let mut db = repo
        .objects
        .clone()
        .into_inner()
        .into_arc()
        .map_err(|e| Error::git(repository, "opening the object database", e))?;
    db.prevent_pack_unload();
    let interrupt = AtomicBool::new(false);
    let count = |ids: Vec<ObjectId>, expansion| {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        output::count::objects(
            db.clone(),
            Box::new(ids.into_iter().map(Ok)),
            &gix::progress::Discard,
            &interrupt,
            output::count::objects::Options {
                thread_limit: None,
                chunk_size: 64,
                input_object_expansion: expansion,
            },
        )
        .map(|(counts, _)| counts)
        .map_err(|e| Error::git(repository, "counting objects", e))
    };
    use output::count::objects::ObjectExpansion;
    // Each new commit with the trees and blobs it adds compared to its
    // parents: everything else is in a parent, hence in this bundle or
    // behind a prerequisite.
    let mut counts = count(commits, ObjectExpansion::TreeAdditionsComparedToAncestor)?;
    counts.extend(count(tags, ObjectExpansion::AsIs)?);
    let objects = counts.len();
    let entries = output::entry::iter_from_counts(
        counts,
        db,
        Box::new(gix::progress::Discard),
        output::entry::iter_from_counts::Options {
            thread_limit: None,
            mode: output::entry::iter_from_counts::Mode::PackCopyAndBaseObjects,
            // Bundles stay self-contained packs (their prerequisites aside),
            // so gix's own indexer can read them back on restore.
            allow_thin_pack: false,
            chunk_size: 64,
            version: gix_pack::data::Version::V2,
            compression: Default::default(),
        },
    )
    .map_err(|e| Error::git(repository, "preparing the pack", e))?;

    let mut header_refs: Vec<(String, String)> = Vec::new();
    if let Some(target) = head.and_then(|h| refs.get(h)) {
        header_refs.push(("HEAD".to_owned(), target.clone()));
    }
    header_refs.extend(refs.iter().map(|(n, o)| (n.clone(), o.clone())));
    let header = BundleHeader {
        prerequisites: prerequisites.iter().map(ToString::to_string).collect(),
        refs: header_refs,
    };
    header
        .write_to(&mut out)
        .map_err(|e| Error::io("writing the bundle header", e))?;
    let objects_u32 = u32::try_from(objects).map_err(|_| {
        Error::git(
            repository,
            "writing the pack",
            "more than 4 billion objects",
        )
    })?;
    let mut pack = output::bytes::FromEntriesIter::new(
        gix::parallel::InOrderIter::from(entries),
        &mut out,
        objects_u32,
        gix_pack::data::Version::V2,
        gix::hash::Kind::Sha1,
    );
    for written in &mut pack {
        written.map_err(|e| Error::git(repository, "writing the pack", e))?;
    }
    out.flush()
        .map_err(|e| Error::io("writing the bundle", e))?;
    Ok(Written {
        prerequisites: header.prerequisites,
        objects: objects as u64,
    })
}
