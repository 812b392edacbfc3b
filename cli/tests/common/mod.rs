//! Helpers shared by the CLI's integration tests: run the built binary,
//! make fake (but well-formed) credentials at run time, build trees and git
//! repositories in temporary directories.
//!
//! The credentials are generated, never written literally in this source,
//! so that codewarden scanning its own repository stays clean.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn codewarden() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_codewarden"));
    command.env_remove("NO_COLOR");
    command
}

/// Runs `codewarden ARGS` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    codewarden()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("codewarden runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exited normally")
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Deterministic pseudo-random generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }

    pub fn alnum(&mut self, len: usize) -> String {
        self.string(ALNUM, len)
    }
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A credential planted in a test tree, with the rule expected to find it.
#[derive(Debug, Clone)]
pub struct Planted {
    pub rule_id: &'static str,
    pub secret: String,
}

impl Planted {
    /// The secret's last 8 characters: not even those may be printed.
    pub fn tail(&self) -> &str {
        &self.secret[self.secret.len() - 8..]
    }
}

/// `AKIA` + 16 base-32 characters (not AWS's documented EXAMPLE key).
pub fn aws_key_id(rng: &mut Rng) -> Planted {
    Planted {
        rule_id: "aws-access-key-id",
        secret: format!(
            "AKIA{}",
            rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        ),
    }
}

/// A live Stripe secret key: `sk_live_` + 24 alphanumerics.
pub fn stripe_key(rng: &mut Rng) -> Planted {
    Planted {
        rule_id: "stripe-secret-key",
        secret: format!("sk_{}_{}", "live", rng.alnum(24)),
    }
}

/// A classic GitHub token: `ghp_` + 30 base-62 characters + the base-62
/// CRC-32 of those 30 characters (6 digits), as GitHub issues them.
pub fn github_token(rng: &mut Rng) -> Planted {
    let body = rng.alnum(30);
    let mut crc = crc32fast::hash(body.as_bytes());
    let mut checksum = [b'0'; 6];
    for slot in checksum.iter_mut().rev() {
        *slot = ALNUM[(crc % 62) as usize];
        crc /= 62;
    }
    Planted {
        rule_id: "github-pat-classic",
        secret: format!(
            "gh{}_{body}{}",
            "p",
            std::str::from_utf8(&checksum).expect("ascii")
        ),
    }
}

/// A temporary directory holding a tree of files.
pub struct Tree {
    pub dir: tempfile::TempDir,
}

impl Tree {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, contents).expect("write");
        path
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(relative)).expect("read")
    }
}

/// `git` with a fixed identity and clock and no user or system configuration.
pub fn git(dir: &Path, args: &[&str], date: &str) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A git repository in a temporary directory, committing with fixed dates.
pub struct Repo {
    pub tree: Tree,
    commits: u32,
}

impl Repo {
    pub fn new() -> Self {
        let tree = Tree::new();
        git(
            tree.path(),
            &["init", "-q", "-b", "main"],
            "2024-01-01T00:00:00Z",
        );
        Self { tree, commits: 0 }
    }

    pub fn path(&self) -> &Path {
        self.tree.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args, &self.date())
    }

    fn date(&self) -> String {
        format!("2024-01-{:02}T12:00:00Z", self.commits + 1)
    }

    /// Writes the files, commits everything, returns the commit id.
    pub fn commit(&mut self, message: &str, files: &[(&str, &str)]) -> String {
        for (path, contents) in files {
            self.tree.write(path, contents);
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.commits += 1;
        self.git(&["rev-parse", "HEAD"])
    }
}
