//! The git bundle v2 header and SHA-256 verification.
//!
//! A bundle is `# v2 git bundle\n`, one `-<oid> <comment>` line per
//! prerequisite (a commit the receiver must already have), one
//! `<oid> <refname>` line per ref, an empty line, then a pack. Stock
//! `git bundle verify`, `git clone x.bundle` and `git fetch x.bundle` read it.

use std::io::{self, BufRead, Write};

use sha2::{Digest, Sha256};

const SIGNATURE: &str = "# v2 git bundle";
/// Longest header line accepted: an oid, a space and a ref name.
const MAX_LINE: usize = 4096;

/// The header of a bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BundleHeader {
    /// Commits (hex) the receiver must have before applying the pack.
    pub prerequisites: Vec<String>,
    /// `(refname, oid hex)` in header order; `HEAD` may be among them.
    pub refs: Vec<(String, String)>,
}

/// Why a bundle cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a git bundle: the first line is not `{SIGNATURE}`")]
    NotABundle,
    #[error("malformed bundle header line {line}: {problem}")]
    Malformed { line: usize, problem: String },
    #[error("reading the bundle: {0}")]
    Io(#[from] io::Error),
}

fn is_oid(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl BundleHeader {
    /// Writes the header (ending with the empty line); the pack follows.
    pub fn write_to(&self, mut out: impl Write) -> io::Result<()> {
        writeln!(out, "{SIGNATURE}")?;
        for oid in &self.prerequisites {
            writeln!(out, "-{oid} prerequisite")?;
        }
        for (name, oid) in &self.refs {
            writeln!(out, "{oid} {name}")?;
        }
        writeln!(out)
    }

    /// Reads the header from `input`, leaving it positioned at the pack.
    pub fn read_from(input: &mut impl BufRead) -> Result<Self, BundleError> {
        let mut header = BundleHeader::default();
        let mut line = Vec::new();
        for number in 1.. {
            line.clear();
            let n = io::Read::take(&mut *input, MAX_LINE as u64).read_until(b'\n', &mut line)?;
            let malformed = |problem: &str| BundleError::Malformed {
                line: number,
                problem: problem.to_owned(),
            };
            if n == 0 || line.last() != Some(&b'\n') {
                return Err(if number == 1 {
                    BundleError::NotABundle
                } else {
                    malformed("the header ends before the empty line")
                });
            }
            let text = std::str::from_utf8(&line[..n - 1]).map_err(|_| malformed("not UTF-8"))?;
            if number == 1 {
                if text != SIGNATURE {
                    return Err(BundleError::NotABundle);
                }
                continue;
            }
            if text.is_empty() {
                return Ok(header);
            }
            if let Some(rest) = text.strip_prefix('-') {
                let oid = rest.split(' ').next().unwrap_or_default();
                if !is_oid(oid) {
                    return Err(malformed("a prerequisite is not an object id"));
                }
                header.prerequisites.push(oid.to_owned());
            } else {
                let (oid, name) = text
                    .split_once(' ')
                    .ok_or_else(|| malformed("expected `<oid> <refname>`"))?;
                if !is_oid(oid) || name.is_empty() {
                    return Err(malformed("expected `<oid> <refname>`"));
                }
                header.refs.push((name.to_owned(), oid.to_owned()));
            }
        }
        unreachable!("the loop only ends by returning")
    }
}

/// A writer that counts and SHA-256-hashes what goes through it, so a bundle
/// is hashed while it is written, never read back.
pub struct Sha256Writer<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> Sha256Writer<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// `(inner, bytes written, hex SHA-256)`.
    pub fn finish(self) -> (W, u64, String) {
        (
            self.inner,
            self.written,
            hex::encode(self.hasher.finalize()),
        )
    }
}

impl<W: Write> Write for Sha256Writer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hex SHA-256 of everything `input` yields.
pub fn sha256_hex(mut input: impl io::Read) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut input, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn header_round_trips_and_leaves_the_pack() -> anyhow::Result<()> {
        // GIVEN a header with a prerequisite and two refs, followed by a pack
        let header = BundleHeader {
            prerequisites: vec![A.into()],
            refs: vec![
                ("HEAD".into(), B.into()),
                ("refs/heads/main".into(), B.into()),
            ],
        };
        let mut bytes = Vec::new();
        header.write_to(&mut bytes)?;
        bytes.extend_from_slice(b"PACK....");
        // WHEN reading it back
        let mut input = io::Cursor::new(bytes);
        let parsed = BundleHeader::read_from(&mut input)?;
        // THEN it is the same, and the reader is at the pack
        assert_eq!(parsed, header);
        let mut rest = Vec::new();
        io::Read::read_to_end(&mut input, &mut rest)?;
        assert_eq!(rest, b"PACK....");
        Ok(())
    }

    #[test]
    fn bad_headers_are_refused() {
        for (bytes, expected) in [
            (&b""[..], "not a git bundle"),
            (b"PACK\x00\x00", "not a git bundle"),
            (b"# v2 git bundle\nzz refs/heads/x\n\n", "line 2"),
            (b"# v2 git bundle\n-abc\n\n", "prerequisite"),
            (
                b"# v2 git bundle\n1111111111111111111111111111111111111111 refs/x\n",
                "ends before",
            ),
        ] {
            let err = BundleHeader::read_from(&mut io::Cursor::new(bytes)).err();
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(text.contains(expected), "{text:?} for {bytes:?}");
        }
    }

    #[test]
    fn writer_hashes_what_it_writes() -> io::Result<()> {
        let mut w = Sha256Writer::new(Vec::new());
        w.write_all(b"abc")?;
        let (inner, n, sha) = w.finish();
        assert_eq!((inner.as_slice(), n), (&b"abc"[..], 3));
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex(&b"abc"[..])?, sha);
        Ok(())
    }
}
