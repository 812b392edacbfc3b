//! Repositories and branches: where a CodeCommit repository lives on disk
//! (`<repos_dir>/<name>.git` bare, or `<repos_dir>/<name>` with a work
//! tree), its metadata, and its branches.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Paging, epoch_seconds, internal, put_opt, required, uuid_from};
use crate::server::lock;
use crate::{ApiError, State};

/// CodeCommit's limit on `repositoryDescription`, in characters.
const MAX_DESCRIPTION_CHARS: usize = 1000;

/// An opened repository and its CodeCommit name.
pub(super) struct Repo {
    pub name: String,
    pub git: gix::Repository,
}

/// CodeCommit's repository name rule (letters, digits, `.`, `_`, `-`, at
/// most 100, no `.git` suffix). Enforcing it also keeps names from
/// escaping the repositories directory (`..`, `/`).
pub(super) fn validate_name(name: &str) -> Result<(), ApiError> {
    let valid = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.chars().all(|c| c == '.')
        && !name.ends_with(".git");
    if valid {
        Ok(())
    } else {
        Err(ApiError::client(
            "InvalidRepositoryNameException",
            format!(
                "{name:?} is not a valid repository name: use letters, digits, '.', '_' and '-' (at most 100, no .git suffix)"
            ),
        ))
    }
}

fn looks_like_repository(path: &Path) -> bool {
    path.join(".git").exists() || (path.join("HEAD").is_file() && path.join("objects").is_dir())
}

/// The directory holding repository `name`, the bare form first.
pub(super) fn locate(repos_dir: &Path, name: &str) -> Option<PathBuf> {
    [repos_dir.join(format!("{name}.git")), repos_dir.join(name)]
        .into_iter()
        .find(|p| p.is_dir() && looks_like_repository(p))
}

/// Opens the repository named by a request's `repositoryName`.
pub(super) fn open(state: &State, name: &Option<String>) -> Result<Repo, ApiError> {
    let name = required(name, "RepositoryNameRequiredException", "repositoryName")?;
    validate_name(name)?;
    let path = locate(&state.config.repos_dir, name).ok_or_else(|| does_not_exist(name))?;
    // Isolated: answers must not depend on the user's global git config.
    let git = gix::open_opts(&path, gix::open::Options::isolated())
        .map_err(internal("opening the repository"))?;
    Ok(Repo {
        name: name.to_string(),
        git,
    })
}

fn does_not_exist(name: &str) -> ApiError {
    ApiError::client(
        "RepositoryDoesNotExistException",
        format!("{name} does not exist"),
    )
}

/// The default branch: where `HEAD` points, if that branch exists (a new,
/// empty repository has none, as on CodeCommit).
pub(super) fn default_branch(repo: &gix::Repository) -> Option<String> {
    let head = repo.head_name().ok().flatten()?;
    let short = head
        .as_bstr()
        .to_string()
        .strip_prefix("refs/heads/")?
        .to_string();
    repo.try_find_reference(head.as_ref()).ok().flatten()?;
    Some(short)
}

/// Whether the repository at `path` has any branch.
pub(crate) fn has_branches(path: &Path) -> bool {
    let Ok(repo) = gix::open_opts(path, gix::open::Options::isolated()) else {
        return false;
    };
    repo.references()
        .ok()
        .and_then(|r| r.local_branches().ok().map(|mut b| b.next().is_some()))
        .unwrap_or(false)
}

/// After the first push to an empty repository: when `HEAD` names a branch
/// that still does not exist, point it at the first branch pushed (in the
/// push's command order), as CodeCommit sets the default branch. Returns
/// the branch adopted, if any.
pub(crate) fn adopt_default_branch(
    path: &Path,
    pushed: &[String],
) -> Result<Option<String>, ApiError> {
    let repo = gix::open_opts(path, gix::open::Options::isolated())
        .map_err(internal("opening the repository"))?;
    if default_branch(&repo).is_some() {
        return Ok(None);
    }
    for branch in pushed {
        if branch_commit(&repo, branch)?.is_some() {
            std::fs::write(
                repo.git_dir().join("HEAD"),
                format!("ref: refs/heads/{branch}\n"),
            )
            .map_err(internal("writing HEAD"))?;
            return Ok(Some(branch.clone()));
        }
    }
    Ok(None)
}

fn metadata(state: &State, repo: &Repo) -> Value {
    let git_dir = repo.git.git_dir();
    let config = &state.config;
    let region = &config.region;
    let name = &repo.name;
    // The last push moves a ref file (or packed-refs) and so the mtime of
    // one of these.
    let modified = ["", "refs/heads", "packed-refs", "HEAD"]
        .iter()
        .filter_map(|p| {
            std::fs::metadata(git_dir.join(p))
                .and_then(|m| m.modified())
                .ok()
        })
        .max()
        .map(epoch_seconds);
    let created = std::fs::metadata(git_dir)
        .and_then(|m| m.created().or_else(|_| m.modified()))
        .ok()
        .map(epoch_seconds);
    let description = std::fs::read_to_string(git_dir.join("description"))
        .ok()
        .map(|d| d.trim().to_string())
        // The templates of git and gix both start so: not a user's description.
        .filter(|d| !d.is_empty() && !d.starts_with("Unnamed repository;"));
    let mut out = json!({
        "accountId": config.account_id,
        "repositoryId": uuid_from(&format!("repository/{name}")),
        "repositoryName": name,
        // Points at this server so that a client cloning from the metadata
        // (repo-backup does) reaches local git smart HTTP.
        "cloneUrlHttp": format!("http://{}/v1/repos/{name}", config.bind),
        "cloneUrlSsh": format!("ssh://git-codecommit.{region}.amazonaws.com/v1/repos/{name}"),
        "Arn": format!("arn:aws:codecommit:{region}:{}:{name}", config.account_id),
    });
    put_opt(&mut out, "repositoryDescription", description);
    put_opt(&mut out, "defaultBranch", default_branch(&repo.git));
    put_opt(&mut out, "lastModifiedDate", modified);
    put_opt(&mut out, "creationDate", created);
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetRepositoryInput {
    repository_name: Option<String>,
}

pub(super) fn get_repository(state: &State, input: GetRepositoryInput) -> Result<Value, ApiError> {
    let repo = open(state, &input.repository_name)?;
    Ok(json!({ "repositoryMetadata": metadata(state, &repo) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListRepositoriesInput {
    next_token: Option<String>,
    sort_by: Option<String>,
    order: Option<String>,
}

pub(super) fn list_repositories(
    state: &State,
    input: ListRepositoriesInput,
) -> Result<Value, ApiError> {
    let sort_by = input.sort_by.as_deref().unwrap_or("repositoryName");
    if !matches!(sort_by, "repositoryName" | "lastModifiedDate") {
        return Err(ApiError::client(
            "InvalidSortByException",
            "sortBy must be repositoryName or lastModifiedDate",
        ));
    }
    let order = input.order.as_deref().unwrap_or("ascending");
    if !matches!(order, "ascending" | "descending") {
        return Err(ApiError::client(
            "InvalidOrderException",
            "order must be ascending or descending",
        ));
    }
    let dir = &state.config.repos_dir;
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).map_err(internal("listing the repositories directory"))? {
        let entry = entry.map_err(internal("listing the repositories directory"))?;
        let file_name = entry.file_name().to_string_lossy().to_string();
        let name = file_name.strip_suffix(".git").unwrap_or(&file_name);
        if validate_name(name).is_ok() && locate(dir, name).is_some() {
            names.insert(name.to_string());
        }
    }
    let mut names: Vec<String> = names.into_iter().collect();
    if sort_by == "lastModifiedDate" {
        let modified = |name: &String| {
            locate(dir, name)
                .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
                .map(epoch_seconds)
                .unwrap_or_default()
        };
        names.sort_by(|a, b| modified(a).total_cmp(&modified(b)).then_with(|| a.cmp(b)));
    }
    if order == "descending" {
        names.reverse();
    }
    let paging = Paging::new(&["ListRepositories", sort_by, order]);
    let offset = paging.offset(input.next_token.as_deref())?;
    let size = lock(&state.codecommit).limits.list_page_size;
    let (page, next) = paging.page(&names, offset, size);
    let repositories: Vec<Value> = page
        .iter()
        .map(|name| json!({ "repositoryName": name, "repositoryId": uuid_from(&format!("repository/{name}")) }))
        .collect();
    let mut out = json!({ "repositories": repositories });
    put_opt(&mut out, "nextToken", next);
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateRepositoryInput {
    repository_name: Option<String>,
    repository_description: Option<String>,
}

pub(super) fn create_repository(
    state: &State,
    input: CreateRepositoryInput,
) -> Result<Value, ApiError> {
    let name = required(
        &input.repository_name,
        "RepositoryNameRequiredException",
        "repositoryName",
    )?;
    validate_name(name)?;
    if let Some(description) = &input.repository_description
        && description.chars().count() > MAX_DESCRIPTION_CHARS
    {
        return Err(ApiError::client(
            "InvalidRepositoryDescriptionException",
            format!("a repository description holds at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    let dir = &state.config.repos_dir;
    if locate(dir, name).is_some()
        || dir.join(name).exists()
        || dir.join(format!("{name}.git")).exists()
    {
        return Err(ApiError::client(
            "RepositoryNameExistsException",
            format!("Repository named {name} already exists"),
        ));
    }
    let path = dir.join(format!("{name}.git"));
    gix::init_bare(&path).map_err(internal("creating the repository"))?;
    // Pin HEAD: gix would otherwise follow the user's init.defaultBranch.
    std::fs::write(path.join("HEAD"), "ref: refs/heads/main\n")
        .map_err(internal("writing HEAD"))?;
    let description = input.repository_description.unwrap_or_default();
    std::fs::write(path.join("description"), format!("{description}\n"))
        .map_err(internal("writing the description"))?;
    let repo = open(state, &input.repository_name)?;
    tracing::info!(repository = %name, "repository created");
    Ok(json!({ "repositoryMetadata": metadata(state, &repo) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetBranchInput {
    repository_name: Option<String>,
    branch_name: Option<String>,
}

/// The commit a branch points at, `None` when there is no such branch.
pub(super) fn branch_commit(
    repo: &gix::Repository,
    branch: &str,
) -> Result<Option<gix::ObjectId>, ApiError> {
    let full = format!("refs/heads/{branch}");
    if gix::validate::reference::name(full.as_str().into()).is_err() {
        return Err(ApiError::client(
            "InvalidBranchNameException",
            format!("{branch:?} is not a valid branch name"),
        ));
    }
    let Some(mut reference) = repo
        .try_find_reference(full.as_str())
        .map_err(internal("reading the branch"))?
    else {
        return Ok(None);
    };
    let id = reference
        .peel_to_id()
        .map_err(internal("resolving the branch"))?;
    Ok(Some(id.detach()))
}

pub(super) fn get_branch(state: &State, input: GetBranchInput) -> Result<Value, ApiError> {
    let repo = open(state, &input.repository_name)?;
    let branch = required(
        &input.branch_name,
        "BranchNameRequiredException",
        "branchName",
    )?;
    let id = branch_commit(&repo.git, branch)?.ok_or_else(|| {
        ApiError::client(
            "BranchDoesNotExistException",
            format!("Branch {branch} does not exist in repository {}", repo.name),
        )
    })?;
    Ok(json!({ "branch": { "branchName": branch, "commitId": id.to_string() } }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateDefaultBranchInput {
    repository_name: Option<String>,
    default_branch_name: Option<String>,
}

/// UpdateDefaultBranch: points `HEAD` at an existing branch (what the
/// repository's default branch is, here and for git clients).
pub(super) fn update_default_branch(
    state: &State,
    input: UpdateDefaultBranchInput,
) -> Result<Value, ApiError> {
    let repo = open(state, &input.repository_name)?;
    let branch = required(
        &input.default_branch_name,
        "BranchNameRequiredException",
        "defaultBranchName",
    )?;
    if branch_commit(&repo.git, branch)?.is_none() {
        return Err(ApiError::client(
            "BranchDoesNotExistException",
            format!("Branch {branch} does not exist in repository {}", repo.name),
        ));
    }
    std::fs::write(
        repo.git.git_dir().join("HEAD"),
        format!("ref: refs/heads/{branch}\n"),
    )
    .map_err(internal("writing HEAD"))?;
    Ok(json!({}))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ListBranchesInput {
    repository_name: Option<String>,
    next_token: Option<String>,
}

pub(super) fn list_branches(state: &State, input: ListBranchesInput) -> Result<Value, ApiError> {
    let repo = open(state, &input.repository_name)?;
    let references = repo
        .git
        .references()
        .map_err(internal("listing branches"))?;
    let mut branches = Vec::new();
    for reference in references
        .local_branches()
        .map_err(internal("listing branches"))?
    {
        let reference =
            reference.map_err(|e| ApiError::server(format!("listing branches: {e}")))?;
        let name = reference.name().as_bstr().to_string();
        if let Some(short) = name.strip_prefix("refs/heads/") {
            branches.push(short.to_string());
        }
    }
    branches.sort();
    let paging = Paging::new(&["ListBranches", &repo.name]);
    let offset = paging.offset(input.next_token.as_deref())?;
    let size = lock(&state.codecommit).limits.list_page_size;
    let (page, next) = paging.page(&branches, offset, size);
    let mut out = json!({ "branches": page });
    put_opt(&mut out, "nextToken", next);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_codecommit_rules() {
        for good in ["app", "my-repo_1.2", "a.b"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../x",
            "x.git",
            "sp ace",
            &"x".repeat(101),
        ] {
            assert_eq!(
                validate_name(bad).map_err(|e| e.code),
                Err("InvalidRepositoryNameException".to_string()),
                "{bad}"
            );
        }
    }
}
