//! The local mirror: a bare repository in /tmp, kept across warm
//! invocations, updated with gix over git smart HTTP(S) and authenticated
//! with CodeCommit's SigV4 git password.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use gix::bstr::ByteSlice;
use gix::protocol::handshake::Ref;

use crate::Error;

/// Git credentials; the password is a short-lived signature.
#[derive(Clone)]
pub struct GitAuth {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The username carries the session token: never print either.
        f.write_str("GitAuth { .. }")
    }
}

/// The remote's refs (`refs/heads/*`, `refs/tags/*`) and its HEAD target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteState {
    pub refs: BTreeMap<String, String>,
    pub head: Option<String>,
}

/// Opens (or creates) the mirror at `dir` and brings it up to date with
/// `url`, unless the remote's refs equal `known` (then nothing is
/// downloaded). Blocking: call it from `spawn_blocking`.
pub fn sync(
    dir: &Path,
    repository: &str,
    url: &str,
    auth: &GitAuth,
    known: Option<&RemoteState>,
) -> Result<(gix::Repository, RemoteState), Error> {
    let err = |action: &'static str| move |e| Error::git(repository, action, e);
    let repo = if dir.join("HEAD").exists() {
        gix::open(dir).map_err(err("opening the mirror"))?
    } else {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        gix::init_bare(dir).map_err(err("creating the mirror"))?
    };
    // `+refs/*:refs/*` only brings tags and HEAD with gix: name both
    // namespaces (see shared/TOOLCHAIN.md).
    let remote = repo
        .remote_at(url)
        .map_err(err("configuring the remote"))?
        .with_refspecs(
            ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
            gix::remote::Direction::Fetch,
        )
        .map_err(err("configuring the refspecs"))?
        .with_fetch_tags(gix::remote::fetch::Tags::None);
    let auth = auth.clone();
    let connection = remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(err("connecting"))?
        .with_credentials(move |action| match action {
            gix::credentials::helper::Action::Get(context) => {
                Ok(Some(gix::credentials::protocol::Outcome {
                    identity: gix::sec::identity::Account {
                        username: auth.username.clone(),
                        password: auth.password.clone(),
                        oauth_refresh_token: None,
                    },
                    next: context.into(),
                }))
            }
            _ => Ok(None),
        });
    let prepare = connection
        .prepare_fetch(
            gix::progress::Discard,
            gix::remote::ref_map::Options {
                // List every ref, so that HEAD's target comes along too.
                prefix_from_spec_as_filter_on_remote: false,
                ..Default::default()
            },
        )
        .map_err(err("listing the remote refs"))?;
    let state = remote_state(&prepare.ref_map().remote_refs);
    if known.is_some_and(|k| *k == state) {
        return Ok((repo, state));
    }
    if state.refs.is_empty() {
        return Ok((repo, state));
    }
    let outcome = prepare
        .receive(gix::progress::Discard, &AtomicBool::new(false))
        .map_err(err("fetching"))?;
    if let gix::remote::fetch::Status::Change {
        write_pack_bundle, ..
    } = &outcome.status
    {
        tracing::info!(
            repository,
            objects = write_pack_bundle.index.num_objects,
            "fetched into the mirror"
        );
    }
    Ok((repo, state))
}

fn remote_state(refs: &[Ref]) -> RemoteState {
    let mut state = RemoteState::default();
    for r in refs {
        match r {
            Ref::Direct {
                full_ref_name,
                object,
            } => {
                state.refs.insert(
                    full_ref_name.to_str_lossy().into_owned(),
                    object.to_string(),
                );
            }
            Ref::Peeled {
                full_ref_name, tag, ..
            } => {
                state
                    .refs
                    .insert(full_ref_name.to_str_lossy().into_owned(), tag.to_string());
            }
            Ref::Symbolic {
                full_ref_name,
                target,
                tag,
                object,
            } => {
                let name = full_ref_name.to_str_lossy().into_owned();
                if name == "HEAD" {
                    state.head = Some(target.to_str_lossy().into_owned());
                } else {
                    state.refs.insert(name, tag.unwrap_or(*object).to_string());
                }
            }
            Ref::Unborn { .. } => {}
        }
    }
    state
        .refs
        .retain(|name, _| name.starts_with("refs/heads/") || name.starts_with("refs/tags/"));
    state
}
