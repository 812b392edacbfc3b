//! Writes a git bundle from a local repository with gix, no git binary:
//! the commits reachable from the new tips and not from the previous tips,
//! their new trees and blobs, the annotated tags, and the trees and blobs
//! that refs point to directly, as one pack after the `# v2 git bundle`
//! header.

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

/// What a ref's object finally points to, its tags peeled.
enum Peeled {
    Commit(ObjectId),
    /// A tree or a blob: `git tag NAME <tree or blob>`, directly or through
    /// annotated tags.
    TreeOrBlob,
}

fn peel(repo: &gix::Repository, id: ObjectId) -> Option<Peeled> {
    let object = repo.find_object(id).ok()?;
    let peeled = object.peel_tags_to_end().ok()?;
    Some(match peeled.kind {
        gix::object::Kind::Commit => Peeled::Commit(peeled.id),
        gix::object::Kind::Tree | gix::object::Kind::Blob => Peeled::TreeOrBlob,
        gix::object::Kind::Tag => return None,
    })
}

/// The commit an object id finally points to (tags peeled), if any.
fn peel_to_commit(repo: &gix::Repository, id: ObjectId) -> Option<ObjectId> {
    match peel(repo, id)? {
        Peeled::Commit(commit) => Some(commit),
        Peeled::TreeOrBlob => None,
    }
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
/// they do not reach goes in, and the commits the new objects build on
/// become the prerequisites; without, the bundle is full.
///
/// Refs to trees and blobs (`git tag NAME $(git hash-object -w FILE)`, an
/// annotated tag of a tree) are kept like any other: when new or moved,
/// their tags and the whole tree or the blob go in.
pub fn write_bundle(
    repo: &gix::Repository,
    repository: &str,
    refs: &BTreeMap<String, String>,
    head: Option<&str>,
    previous: Option<&BTreeMap<String, String>>,
    mut out: impl Write,
) -> Result<Written, Error> {
    let mut tips = Vec::new();
    // Commits of the refs that are new or moved.
    let mut changed_commits = Vec::new();
    let mut tags = Vec::new();
    let mut trees_and_blobs = Vec::new();
    for (name, oid) in refs {
        let id = parse(repository, oid)?;
        // A ref the previous backup had is in an earlier bundle.
        let changed = previous.is_none_or(|p| p.get(name) != Some(oid));
        match peel(repo, id) {
            Some(Peeled::Commit(commit)) => {
                tips.push(commit);
                if changed {
                    changed_commits.push(commit);
                    // Annotated tags, with any tags they point to in turn.
                    if commit != id {
                        tags.extend(tag_chain(repo, id));
                    }
                }
            }
            Some(Peeled::TreeOrBlob) => {
                if changed {
                    trees_and_blobs.push(id);
                }
            }
            None => {
                return Err(Error::git(
                    repository,
                    "reading a ref tip",
                    format!("object {oid} of {name} is missing from the mirror"),
                ));
            }
        }
    }
    // A previous tip that a force push removed may be absent from a fresh
    // mirror: it cannot be hidden, so its objects are simply sent again.
    let mut hidden: Vec<ObjectId> = previous
        .into_iter()
        .flat_map(|p| p.values())
        .filter_map(|hex| ObjectId::from_hex(hex.as_bytes()).ok())
        .filter_map(|id| peel_to_commit(repo, id))
        .collect();
    hidden.sort();
    hidden.dedup();

    let mut commits = Vec::new();
    let mut parents = Vec::new();
    for info in repo
        .rev_walk(tips.iter().copied())
        .with_hidden(hidden.iter().copied())
        .all()
        .map_err(|e| Error::git(repository, "walking the history", e))?
    {
        let info = info.map_err(|e| Error::git(repository, "walking the history", e))?;
        commits.push(info.id);
        parents.extend(info.parent_ids.iter().copied());
    }
    // The prerequisites: the hidden commits the new ones have as parents,
    // and those a new or moved ref points to. Only these, as `git bundle
    // create` does: every previous tip would make each manifest record and
    // bundle header grow with the number of refs.
    let walked: std::collections::HashSet<ObjectId> = commits.iter().copied().collect();
    let mut prerequisites: Vec<ObjectId> = parents
        .into_iter()
        .chain(changed_commits)
        .filter(|id| !walked.contains(id))
        .collect();
    if commits.is_empty() && tags.is_empty() && trees_and_blobs.is_empty() {
        // Only deletions: one tip commit (known to the receiver), so that the
        // pack is not empty; or, without any commit, the trees and blobs.
        match head
            .and_then(|h| refs.get(h))
            .and_then(|oid| ObjectId::from_hex(oid.as_bytes()).ok())
            .and_then(|id| peel_to_commit(repo, id))
            .or_else(|| tips.first().copied())
        {
            Some(commit) => {
                if hidden.binary_search(&commit).is_ok() {
                    prerequisites.push(commit);
                }
                tags.push(commit);
            }
            None => trees_and_blobs.extend(
                refs.values()
                    .filter_map(|oid| ObjectId::from_hex(oid.as_bytes()).ok()),
            ),
        }
    }
    prerequisites.sort();
    prerequisites.dedup();

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
    // The tags of trees and blobs, and the whole tree or the blob.
    counts.extend(count(trees_and_blobs, ObjectExpansion::TreeContents)?);
    // Each group is counted on its own: a tagged blob may also be in a new
    // commit's tree, and a pack must hold an object once.
    let mut seen = std::collections::HashSet::new();
    counts.retain(|c| seen.insert(c.id));
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
