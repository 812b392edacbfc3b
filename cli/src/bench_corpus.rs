//! Hidden `codewarden bench-corpus DIR`: writes a deterministic corpus of
//! ordinary-looking source files with a known number of planted, fake but
//! well-formed credentials, for `scripts/bench-scan.sh`. Same seed, same bytes.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::BenchCorpusArgs;
use crate::scan_cmd::EXIT_CLEAN;

const FILE_SIZE: usize = 128 * 1024;
const FILES_PER_DIR: usize = 64;
/// One planted credential every this many files.
const PLANT_EVERY: usize = 10;

/// Identifiers. The last few are words secret rules use as keywords: real
/// code is full of them (`api_key`, `auth_header`), so the prefilter and the
/// windowed regexes get work to do, as in a real tree.
const WORDS: &[&str] = &[
    "request", "response", "buffer", "handler", "config", "value", "index", "count", "result",
    "client", "server", "session", "user", "account", "record", "entry", "parser", "writer",
    "reader", "stream", "cache", "metrics", "region", "bucket", "object", "commit", "branch",
    "message", "event", "state", "retry", "timeout", "limit", "offset", "items", "total", "path",
    "name", "header", "body", "status", "error", "context", "builder", "options", "payload",
    "digest", "schema", "version", "token", "key", "secret", "password", "api", "auth",
];
/// How many of `WORDS` are not keyword-like (used where a value is assigned
/// a string literal, which a real tree rarely does for `password`).
const PLAIN_WORDS: usize = WORDS.len() - 6;

const EXTENSIONS: &[&str] = &["rs", "py", "js", "go", "yaml", "md", "java", "ts"];

pub fn run(args: &BenchCorpusArgs) -> Result<u8> {
    let dir = &args.dir;
    if dir.exists()
        && fs::read_dir(dir)
            .with_context(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!("{} is not empty: give a new directory", dir.display());
    }
    let files = ((args.size_mib * 1024 * 1024) as usize).div_ceil(FILE_SIZE);
    let mut rng = Rng(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut planted = 0;
    for index in 0..files {
        let sub = dir.join(format!("pkg{:03}", index / FILES_PER_DIR));
        if index % FILES_PER_DIR == 0 {
            fs::create_dir_all(&sub).with_context(|| format!("cannot create {}", sub.display()))?;
        }
        let ext = EXTENSIONS[index % EXTENSIONS.len()];
        let mut text = source_text(&mut rng, FILE_SIZE);
        if index % PLANT_EVERY == PLANT_EVERY / 2 {
            let at = text[..text.len() / 2].rfind('\n').map_or(0, |i| i + 1);
            text.insert_str(at, &plant(&mut rng, planted));
            planted += 1;
        }
        write(&sub.join(format!("module_{index:05}.{ext}")), &text)?;
    }
    println!(
        "{files} files, {} MiB, {planted} planted credentials",
        args.size_mib
    );
    Ok(EXIT_CLEAN)
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Code-like lines: assignments, calls, comments, string literals.
fn source_text(rng: &mut Rng, size: usize) -> String {
    let mut text = String::with_capacity(size + 256);
    let mut depth = 0usize;
    while text.len() < size {
        let indent = "    ".repeat(depth);
        let a = rng.word();
        let b = rng.word();
        let c = rng.word();
        let n = rng.below(10_000);
        let _ = match rng.below(8) {
            0 => writeln!(text, "{indent}// {a} the {b} before the {c} is ready ({n})"),
            1 => writeln!(text, "{indent}let {a}_{b} = {c}.get_{a}({n});"),
            2 => writeln!(text, "{indent}if {a}.{b} > {n} {{ return {c}_{a}(); }}"),
            3 => writeln!(text, "{indent}log(\"{a} {b} failed: {{}}\", {c});"),
            4 => {
                let (a, b) = (rng.plain_word(), rng.plain_word());
                writeln!(text, "{indent}{a}_{b}: \"{c}-{n}\"")
            }
            5 => {
                depth = (depth + 1).min(4);
                writeln!(text, "{indent}fn {a}_{b}({c}: u32) {{")
            }
            6 => {
                depth = depth.saturating_sub(1);
                writeln!(text, "{indent}}}")
            }
            _ => writeln!(text, "{indent}{a} = {b}[{n}] + {c}"),
        };
    }
    text
}

/// A fake credential in a realistic line, different every time.
fn plant(rng: &mut Rng, n: usize) -> String {
    const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    match n % 3 {
        0 => format!(
            "aws_access_key_id = AKIA{}\naws_secret_access_key = {}\n",
            rng.string(UPPER32, 16),
            rng.string(B64, 40)
        ),
        1 => format!("STRIPE_KEY = \"sk_live_{}\"\n", rng.string(ALNUM, 24)),
        _ => {
            let body = rng.string(ALNUM, 30);
            let checksum = base62(crc32(body.as_bytes()), 6);
            format!("github_token: ghp_{body}{checksum}\n")
        }
    }
}

/// CRC-32 (IEEE), as GitHub's token checksum uses it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn base62(mut value: u32, width: usize) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// xorshift64*: small, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len() as u64) as usize]
    }

    fn plain_word(&mut self) -> &'static str {
        WORDS[self.below(PLAIN_WORDS as u64) as usize]
    }

    fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_reference_value() {
        // The standard check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn base62_is_fixed_width() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 6), "00000z");
        assert_eq!(base62(62, 6), "000010");
    }

    #[test]
    fn the_same_seed_gives_the_same_text() {
        let a = source_text(&mut Rng(7), 4096);
        let b = source_text(&mut Rng(7), 4096);
        assert_eq!(a, b);
        assert!(a.len() >= 4096);
    }
}
