//! Throughput of the detection engine with the builtin rules on ~10 MB of
//! ordinary source text (deterministic generator, a few planted secrets).
//!
//! `CARGO_TARGET_DIR=/tmp/target-light cargo bench -p shared --bench scan -- --quick`

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shared::scan::{Rules, Scanner};

const CORPUS_BYTES: usize = 10 * 1024 * 1024;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// Identifier and comment vocabularies. The last words of each list are
// keywords of generic rules ("key", "token", "password", ...). The
// "ordinary" corpus draws them as often as real code holds them (the
// keyword prefilter hits about once per 500 bytes, as over 30 MB of
// crates.io sources); the "dense" corpus about four times as often.
const IDENTS: &[&str] = &[
    "config",
    "request",
    "response",
    "user",
    "session",
    "handler",
    "client",
    "buffer",
    "result",
    "index",
    "value",
    "items",
    "cache",
    "retry",
    "timeout",
    "logger",
    "path",
    "url",
    "payload",
    "record",
    "entry",
    "builder",
    "context",
    "state",
    "metrics",
    "limit",
    "offset",
    "count",
    "name",
    "id",
    "data",
    "input",
    "output",
    "reader",
    "writer",
    "node",
    "edge",
    "graph",
    "span",
    "frame",
    "event",
    "queue",
    "worker",
    "pool",
    "conn",
    "row",
    "column",
    "table",
    "schema",
    "key",
    "token_count",
    "password_hash",
    "auth_header",
];
const WORDS: &[&str] = &[
    "the",
    "a",
    "returns",
    "when",
    "value",
    "is",
    "not",
    "found",
    "we",
    "retry",
    "after",
    "reset",
    "config",
    "loaded",
    "from",
    "disk",
    "field",
    "check",
    "failed",
    "for",
    "this",
    "request",
    "if",
    "then",
    "else",
    "it",
    "must",
    "be",
    "called",
    "once",
    "per",
    "item",
    "in",
    "order",
    "to",
    "keep",
    "memory",
    "bounded",
    "see",
    "below",
    "note",
    "that",
    "an",
    "empty",
    "list",
    "key",
    "token",
    "expired",
    "secret",
    "rotation",
    "private",
    "auth",
    "password",
    "credential",
];
const TYPES: &[&str] = &[
    "String",
    "u64",
    "Vec<u8>",
    "Option<String>",
    "HashMap<String, Value>",
    "bool",
];

/// Keyword-bearing entries at the end of IDENTS / WORDS.
const KEYWORD_IDENTS: usize = 4;
const KEYWORD_WORDS: usize = 9;

fn line(rng: &mut Rng, out: &mut String, dense: bool) {
    let (idents, words) = if dense {
        (IDENTS, WORDS)
    } else {
        (
            &IDENTS[..IDENTS.len() - KEYWORD_IDENTS + 1],
            &WORDS[..WORDS.len() - KEYWORD_WORDS + 1],
        )
    };
    let indent = "    ".repeat(rng.below(4) as usize);
    out.push_str(&indent);
    match rng.below(12) {
        0 => {
            out.push_str("// ");
            for _ in 0..(4 + rng.below(10)) {
                out.push_str(rng.pick(words));
                out.push(' ');
            }
        }
        1 => {
            let (a, t) = (rng.pick(idents), rng.pick(TYPES));
            out.push_str(&format!(
                "fn get_{a}(&self, {}: {t}) -> Result<{t}, Error> {{",
                rng.pick(idents)
            ));
        }
        2 => out.push_str(&format!(
            "let {} = {}.get(\"{}\")?;",
            rng.pick(idents),
            rng.pick(idents),
            rng.pick(idents)
        )),
        3 => out.push_str(&format!(
            "{}: {} = {}",
            rng.pick(idents),
            rng.pick(idents),
            rng.below(100_000)
        )),
        4 => out.push_str(&format!(
            "def {}(self, {}, {}=None):",
            rng.pick(idents),
            rng.pick(idents),
            rng.pick(idents)
        )),
        5 => out.push_str(&format!(
            "const {} = require('./{}');",
            rng.pick(idents),
            rng.pick(idents)
        )),
        6 => out.push_str(&format!(
            "if {} > {} {{ return Err(Error::{}); }}",
            rng.pick(idents),
            rng.below(1000),
            rng.pick(idents)
        )),
        7 => out.push_str(&format!(
            "{}_{}: \"{}-{}\"",
            rng.pick(idents),
            rng.pick(idents),
            rng.pick(words),
            rng.below(9999)
        )),
        8 => out.push_str(&format!(
            "logger.info(\"{} {} {}\", {});",
            rng.pick(words),
            rng.pick(words),
            rng.pick(words),
            rng.pick(idents)
        )),
        9 => out.push_str(&format!(
            "assert_eq!({}.len(), {});",
            rng.pick(idents),
            rng.below(64)
        )),
        10 => out.push_str(&format!(
            "\"{}\": \"{:016x}\",",
            rng.pick(idents),
            rng.next()
        )),
        _ => out.push('}'),
    }
    out.push('\n');
}

const PLANTED: &[&str] = &[
    "aws_access_key_id = AKIA6WNVV7IEH4N43QYJ\naws_secret_access_key = 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\n",
    "export AWS_ACCESS_KEY_ID=AKIAXJUSL3XG5UFF375T\n",
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIDZEuEaaop3ccpJVPYRTqaaEEAV/X4S8keywskLidX2boAoGCCqGSM49\nAwEHoUQDQgAEwa/HGOw1GFOqNy07m/jEdLDo/u0Tiq8X+bf+16kvnZxziTzAUiP1\n1MAcg85Pq4n7BkvMyUk9WsDUpRtuX9XlSQ==\n-----END EC PRIVATE KEY-----\n",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "password = \"${DB_PASSWORD}\"\n",
];

fn corpus(dense: bool) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(CORPUS_BYTES + 4096);
    let mut next_plant = 100_000;
    while out.len() < CORPUS_BYTES {
        line(&mut rng, &mut out, dense);
        if out.len() >= next_plant {
            out.push_str(rng.pick(PLANTED));
            next_plant += 100_000;
        }
    }
    out.into_bytes()
}

fn bench_scan(c: &mut Criterion) {
    let rules = match Rules::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("the builtin rules do not compile: {e}");
            return;
        }
    };
    let scanner = Scanner::new(rules);
    let mut group = c.benchmark_group("scan");
    group.sample_size(10);
    for (name, dense) in [
        ("ordinary_source_10mb", false),
        ("keyword_dense_source_10mb", true),
    ] {
        let input = corpus(dense);
        // A plain measurement too, so the MB/s figure is printed whatever
        // criterion's output format.
        let start = Instant::now();
        let findings = scanner.scan(&input);
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{name}: {} rules, {:.1} MB, {} findings, {:.1} MB/s (single pass)",
            rules.len(),
            input.len() as f64 / 1e6,
            findings.len(),
            input.len() as f64 / 1e6 / secs
        );
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(scanner.scan(black_box(&input))))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
