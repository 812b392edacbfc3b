//! A local bare copy of a CodeCommit repository, brought up to date with gix
//! over git smart HTTP(S) and authenticated with CodeCommit's SigV4 git
//! password ([`crate::codecommit_git`]), from nothing but the caller's AWS
//! credentials. `repo-backup` mirrors with it; `secret-scanner` fetches a
//! large push with it and diffs locally ([`crate::git_diff`]) instead of
//! calling the CodeCommit API per file.
//!
//! Feature `git-fetch` (the HTTP transport and rustls come with it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use chrono::Utc;
use gix::bstr::ByteSlice;
use gix::protocol::handshake::Ref;

use crate::codecommit_git::{self, Scope};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why a fetch failed. Every variant is worth a retry: the network, the
/// disk in /tmp and the credentials provider are all transient in Lambda.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// A git operation (connect, list refs, fetch, open) failed.
    #[error("{action} for repository {repository} failed: {source}")]
    Git {
        repository: String,
        action: &'static str,
        #[source]
        source: BoxError,
    },
    /// Local disk (the copy's directory).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The credentials for the git password could not be loaded.
    #[error("loading credentials for the git password failed: {source}")]
    Credentials {
        #[source]
        source: BoxError,
    },
}

impl FetchError {
    fn git(repository: &str, action: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Git {
            repository: repository.to_owned(),
            action,
            source: source.into(),
        }
    }
}

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

/// Where CodeCommit's git endpoint is and as whom to call it.
#[derive(Clone, Copy, Debug)]
pub struct GitRemote<'a> {
    /// `https://git-codecommit.<region>.amazonaws.com`
    /// ([`codecommit_git::default_git_endpoint`]), or the local stack's
    /// `http://127.0.0.1:PORT`.
    pub endpoint: &'a str,
    /// The region to sign for (a `-fips` pseudo-region is accepted).
    pub region: &'a str,
    pub credentials: &'a SharedCredentialsProvider,
}

impl GitRemote<'_> {
    /// The `Host` git sends (the port included).
    pub fn host(&self) -> &str {
        let rest = self
            .endpoint
            .split_once("://")
            .map_or(self.endpoint, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }

    /// The repository's clone URL.
    pub fn url(&self, repository: &str) -> String {
        format!(
            "{}/v1/repos/{repository}",
            self.endpoint.trim_end_matches('/')
        )
    }

    /// A fresh SigV4 git password for `repository` from the current
    /// credentials.
    pub async fn auth(&self, repository: &str) -> Result<GitAuth, FetchError> {
        let credentials =
            self.credentials
                .provide_credentials()
                .await
                .map_err(|e| FetchError::Credentials {
                    source: Box::new(e),
                })?;
        let scope = Scope {
            region: codecommit_git::signing_region(self.region),
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
}

/// The remote's refs (`refs/heads/*`, `refs/tags/*`) and its HEAD target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RemoteState {
    pub refs: BTreeMap<String, String>,
    pub head: Option<String>,
}

/// Opens (or creates) the bare repository at `dir` and brings its branches
/// and tags up to date with `url`, unless the remote's refs equal `known`
/// (then nothing is downloaded). Blocking: call it from `spawn_blocking`.
pub fn sync(
    dir: &Path,
    repository: &str,
    url: &str,
    auth: &GitAuth,
    known: Option<&RemoteState>,
) -> Result<(gix::Repository, RemoteState), FetchError> {
    let err = |action: &'static str| move |e| FetchError::git(repository, action, e);
    let repo = if dir.join("HEAD").exists() {
        gix::open(dir).map_err(err("opening the local copy"))?
    } else {
        std::fs::create_dir_all(dir).map_err(|e| FetchError::Io {
            context: format!("creating {}", dir.display()),
            source: e,
        })?;
        gix::init_bare(dir).map_err(err("creating the local copy"))?
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
            "fetched"
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;

    #[tokio::test]
    async fn the_remote_signs_for_its_host_and_repository() -> anyhow::Result<()> {
        // GIVEN the local stack's endpoint and static credentials
        let credentials =
            SharedCredentialsProvider::new(Credentials::new("AKIA", "secret", None, None, "t"));
        let remote = GitRemote {
            endpoint: "http://127.0.0.1:4599/",
            region: "us-east-1-fips",
            credentials: &credentials,
        };
        // WHEN asked for the URL and a password
        let auth = remote.auth("web").await?;
        // THEN the URL names the repository, the host keeps its port, and
        // the password verifies for that scope in the plain signing region
        assert_eq!(remote.url("web"), "http://127.0.0.1:4599/v1/repos/web");
        assert_eq!(remote.host(), "127.0.0.1:4599");
        assert_eq!(auth.username, "AKIA");
        let scope = Scope {
            region: "us-east-1",
            host: "127.0.0.1:4599",
            repository: "web",
        };
        codecommit_git::verify_password(
            "secret",
            &scope,
            &auth.password,
            Utc::now(),
            codecommit_git::DEFAULT_MAX_SKEW,
        )?;
        assert_eq!(format!("{auth:?}"), "GitAuth { .. }");
        Ok(())
    }
}
