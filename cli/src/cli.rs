//! Command-line grammar (clap derive). Parsing only: every flag is turned
//! into behaviour by `scan_cmd`, `rules_cmd` or `bench_corpus`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find credentials in a directory tree or in a git history before they
/// reach AWS CodeCommit.
///
/// Exit status: 0 when nothing was found, 1 when there are findings (or a
/// rule check failed), 2 on an error.
#[derive(Debug, Parser)]
#[command(name = "codewarden", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files (default: the current directory) or a git commit range.
    #[command(after_help = "Exit status: 0 nothing found, 1 findings, 2 error \
        (including files or commits that could not be read).\n\
        Configuration: .codewarden.toml ([allow] paths / regexes / rules, [[rules]]); \
        a `codewarden:allow` comment silences its line.")]
    Scan(ScanArgs),
    /// Inspect the detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write a deterministic benchmark corpus (used by scripts/bench-scan.sh).
    #[command(hide = true)]
    BenchCorpus(BenchCorpusArgs),
    /// Restore a repository backed up by the repo-backup function into a new
    /// bare repository (every bundle's SHA-256 is checked first; no git
    /// binary needed).
    Restore(RestoreArgs),
    /// Inspect the backups in a bucket.
    #[command(subcommand)]
    Backups(BackupsCommand),
    /// Push protection: install the approval rule template that makes every
    /// pull request wait for the secret scanner's approval, and associate
    /// it with the repositories (idempotent: rerun after adding
    /// repositories).
    #[command(
        after_help = "Needs codecommit:GetApprovalRuleTemplate,         CreateApprovalRuleTemplate, ListRepositories and         BatchAssociateApprovalRuleTemplateWithRepositories.         Exit status: 0 done, 2 error (or a repository could not be associated)."
    )]
    Protect(ProtectArgs),
}

#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// The secret scanner's role (the stack output SecretScannerRoleArn).
    #[arg(long, env = "CODEWARDEN_SCANNER_ROLE_ARN")]
    pub scanner_role_arn: String,
    /// Comma-separated repository names or globs (the stack's
    /// RepositoryFilter); default: every repository.
    #[arg(long, env = "CODEWARDEN_REPOSITORY_FILTER", default_value = "")]
    pub repositories: String,
    /// A destination branch the rule applies to (repeatable); default:
    /// pull requests into any branch.
    #[arg(long = "branch")]
    pub branches: Vec<String>,
    /// The approval rule template's name.
    #[arg(long, default_value = "codewarden-secret-scan")]
    pub template_name: String,
}

/// Where the backups are.
#[derive(Debug, Args)]
pub struct S3Args {
    /// The backup bucket (BACKUP_BUCKET of the stack).
    #[arg(long, env = "CODEWARDEN_BACKUP_BUCKET")]
    pub bucket: String,
    /// Path-style S3 requests, for S3 stand-ins such as moto.
    #[arg(long, env = "S3_FORCE_PATH_STYLE")]
    pub s3_path_style: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub s3: S3Args,
    /// The repository name.
    #[arg(long)]
    pub repo: String,
    /// Restore the state after this bundle (see `backups list --repo`).
    #[arg(long, conflicts_with = "at")]
    pub seq: Option<u64>,
    /// Restore the last state backed up at or before this time (RFC 3339,
    /// or a date for the end of that day, UTC).
    #[arg(long, value_parser = crate::backup_cmd::parse_time)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// The new bare repository (must not exist or be empty).
    pub dest: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum BackupsCommand {
    /// The backed-up repositories, or one repository's bundles with --repo.
    List {
        #[command(flatten)]
        s3: S3Args,
        #[arg(long)]
        repo: Option<String>,
        /// `human` (a table) or `json` (the manifests).
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan.
    #[arg(value_name = "PATH", default_value = ".", conflicts_with_all = ["git", "all"])]
    pub paths: Vec<PathBuf>,

    /// Scan the lines added by the commits of a git range instead of files:
    /// `BASE..TIP` (commits reachable from TIP but not from BASE) or one
    /// commit (`abc123`: that commit against its first parent).
    #[arg(long, value_name = "RANGE")]
    pub git: Option<String>,

    /// Scan every commit reachable from any branch or tag.
    #[arg(long, conflicts_with = "git")]
    pub all: bool,

    /// The git repository for --git / --all.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// Skip hidden files and directories. By default they are scanned:
    /// `.env`, `.npmrc` and `.aws/credentials` are where secrets live
    /// (`.git` itself is never walked; use --git for history).
    #[arg(long)]
    pub no_hidden: bool,

    /// Do not honour .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Skip files (and blobs) larger than this, e.g. `500K`, `10M`, `1G`.
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,

    /// Worker threads (0 = one per CPU).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Repository configuration (default: `.codewarden.toml` in the first
    /// scanned directory, or in the repository for --git).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Ignore findings whose fingerprint is in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write every current finding's fingerprint to FILE and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Also report the candidates that were dropped, and why.
    #[arg(long)]
    pub explain: bool,

    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Colour the human report.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Show progress on standard error even when it is not a terminal.
    #[arg(long, conflicts_with = "quiet")]
    pub progress: bool,

    /// No progress, warnings or explanations on standard error.
    #[arg(short, long)]
    pub quiet: bool,

    /// Milliseconds between progress lines (tests shorten it).
    #[arg(long, hide = true, default_value_t = 1000)]
    pub progress_interval_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules: id, name, confidence, keywords.
    List {
        /// `human` (a table) or `json`.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
        /// Include the extra rules of this repository configuration.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Check every rule against its examples and negative examples.
    Check {
        /// Also check the extra rules of this repository configuration.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct BenchCorpusArgs {
    /// Directory to create (must not exist or be empty).
    pub dir: PathBuf,
    /// Approximate corpus size in MiB.
    #[arg(long, default_value_t = 200)]
    pub size_mib: u64,
    /// Seed of the generator: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Parses `123`, `64K`, `10M`, `1G` (also `KiB`/`MiB`/`GiB`, `KB`/...; all binary).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size: use e.g. 500K, 10M or 1G"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("unknown size unit in `{text}`: use K, M or G")),
    };
    number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
    }

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }
}
