//! The scanning pipeline: keyword prefilter → windowed regexes → validators
//! and precision filters → de-duplication → suppression (allowlist, pragma).

use std::ops::Range;

use super::filters;
use super::finding::{
    BaselineKey, DropReason, Dropped, Finding, FingerprintKey, ScanOutcome, fingerprint,
    fingerprint_with, mask_for,
};
use super::rules::{Rule, Rules, RulesInner, Window};

/// Inputs with a NUL byte in their first 8 KiB are treated as binary.
const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// How far back a candidate looks for an enclosing PEM block
/// (`-----BEGIN CERTIFICATE-----`), to recognise public material.
const BLOCK_LOOKBACK: usize = 16 * 1024;

/// Regions of one rule closer than this are searched as one: a regex call
/// has a fixed cost, and 1 joins the windows of adjacent lines.
const MERGE_GAP: usize = 1;

/// How many neighbours (by start) a candidate is compared with for duplicates.
const DEDUP_REACH: usize = 64;

/// The pragma that suppresses findings on its line.
const PRAGMA: &[u8] = b"codewarden:allow";

/// Whether `input` looks binary (a NUL byte in its first 8 KiB), as git and
/// ripgrep decide. Callers usually skip such inputs; [`Scanner::scan`] itself
/// scans whatever it is given.
pub fn looks_binary(input: &[u8]) -> bool {
    input[..input.len().min(BINARY_SNIFF_LEN)].contains(&0)
}

/// Share of the sniffed UTF-16 code units, in percent, that must be ASCII
/// (high byte 0, low byte not) for BOM-less input to pass as UTF-16LE.
const UTF16LE_ASCII_PERCENT: usize = 75;

/// The text of UTF-16 input, which [`looks_binary`] calls binary (every
/// ASCII character has a NUL byte): with a byte order mark, little or big
/// endian, or without one when its first 8 KiB look like mostly-ASCII
/// UTF-16LE (what Windows tools such as PowerShell's `Out-File` and
/// `regedit` write). The byte order mark is not part of the text.
///
/// `None` when the input is not UTF-16 text: an odd length, unpaired
/// surrogates, or control characters other than tab, line feed, form feed
/// and carriage return once decoded (images, archives, UTF-32). Callers
/// decide what "not text" means; this never guesses further.
pub fn decode_utf16(input: &[u8]) -> Option<String> {
    let (body, little_endian) = match input {
        [0xFF, 0xFE, rest @ ..] => (rest, true),
        [0xFE, 0xFF, rest @ ..] => (rest, false),
        _ if looks_utf16le(input) => (input, true),
        _ => return None,
    };
    if !body.len().is_multiple_of(2) {
        return None;
    }
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    let text = char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()?;
    let binary = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'));
    (!binary).then_some(text)
}

/// BOM-less UTF-16LE of mostly ASCII text: even length, and most code
/// units of the first 8 KiB are an ASCII byte followed by a NUL.
fn looks_utf16le(input: &[u8]) -> bool {
    if input.len() < 2 || !input.len().is_multiple_of(2) {
        return false;
    }
    let sniffed = &input[..input.len().min(BINARY_SNIFF_LEN)];
    let units = sniffed.len() / 2;
    let ascii = sniffed
        .chunks_exact(2)
        .filter(|pair| pair[1] == 0 && pair[0] != 0 && pair[0].is_ascii())
        .count();
    ascii * 100 >= units * UTF16LE_ASCII_PERCENT
}

/// Runs a rule set over byte inputs. Cheap to clone and to share between
/// threads; holds no per-scan state.
#[derive(Debug, Clone)]
pub struct Scanner {
    rules: Rules,
    key: Option<std::sync::Arc<FingerprintKey>>,
    /// Whether `codewarden:allow` comments are honoured.
    pragmas: bool,
    /// Whether the precision filters, validators and `[allow] regexes`
    /// apply (`false`: [`Scanner::maximal`], for masking).
    filters: bool,
}

/// A regex match of one rule, before filtering.
#[derive(Debug, Clone)]
struct Candidate {
    rule: usize,
    /// The capture group: the secret.
    secret: Range<usize>,
    /// The whole match (the pragma may sit on any of its lines).
    whole: Range<usize>,
}

/// A finding that a `codewarden:allow` comment on a line of its match
/// allows, set apart by [`Scanner::scan_pragmas_apart`] for a caller that
/// honours only some comments (the secret-scanner honours only those the
/// trusted revision already has: a comment written by whoever pushes the
/// secret must not silence the scan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PragmaAllowed {
    pub finding: Finding,
    /// 1-based first line of the whole match (the comment may sit on any
    /// line from `first_line` to `last_line`).
    pub first_line: usize,
    /// 1-based last line of the whole match.
    pub last_line: usize,
}

/// The result of [`Scanner::scan_pragmas_apart`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PragmaSplit {
    /// Findings no `codewarden:allow` comment allows.
    pub findings: Vec<Finding>,
    /// Findings a comment would allow.
    pub allowed: Vec<PragmaAllowed>,
}

/// A region of the input one rule's regex runs on.
#[derive(Debug, Clone, Copy)]
struct Span {
    rule: usize,
    start: usize,
    end: usize,
    /// The region was cut inside a line by the byte cap: a match touching a
    /// cut edge may be a truncated token and is ignored.
    cut_start: bool,
    cut_end: bool,
}

impl Scanner {
    pub fn new(rules: &Rules) -> Scanner {
        Scanner {
            rules: rules.clone(),
            key: None,
            pragmas: true,
            filters: true,
        }
    }

    /// This scanner for masking: every match of every rule is reported.
    /// No pragma, no precision filter (documentation keys, fixture names,
    /// placeholders, entropy, ...), no validator and no `[allow] regexes`:
    /// a secret that looks like a fixture or carries `codewarden:allow` is
    /// still a secret when it leaves in an alert or a log. Too much masked
    /// costs a few characters; too little leaks a credential.
    pub fn maximal(mut self) -> Scanner {
        self.pragmas = false;
        self.filters = false;
        self
    }

    /// This scanner, reporting secrets on lines with a `codewarden:allow`
    /// comment too (a pragma is written by whoever pushes the secret).
    pub fn ignoring_pragmas(mut self) -> Scanner {
        self.pragmas = false;
        self
    }

    /// This scanner, fingerprinting with `key` (HMAC-SHA256) instead of
    /// plain SHA-256.
    pub fn with_fingerprint_key(mut self, key: FingerprintKey) -> Scanner {
        self.key = Some(std::sync::Arc::new(key));
        self
    }

    /// A scanner of `rules` with this scanner's fingerprint key.
    pub fn with_rules(&self, rules: &Rules) -> Scanner {
        Scanner {
            rules: rules.clone(),
            key: self.key.clone(),
            pragmas: self.pragmas,
            filters: self.filters,
        }
    }

    /// Whether findings are fingerprinted with a key.
    pub fn is_keyed(&self) -> bool {
        self.key.is_some()
    }

    /// The rules this scanner runs.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The findings in `input` (any bytes; invalid UTF-8 is fine), in order
    /// of position.
    pub fn scan(&self, input: &[u8]) -> Vec<Finding> {
        self.run(input, false, None).findings
    }

    /// Like [`Scanner::scan`], plus every candidate that was dropped and why.
    pub fn scan_explained(&self, input: &[u8]) -> ScanOutcome {
        self.run(input, true, None)
    }

    /// Every finding, those that a `codewarden:allow` comment would allow
    /// set apart (whatever this scanner's own pragma setting): the caller
    /// decides which comments to honour.
    pub fn scan_pragmas_apart(&self, input: &[u8]) -> PragmaSplit {
        let mut allowed = Vec::new();
        let findings = self.run(input, false, Some(&mut allowed)).findings;
        PragmaSplit { findings, allowed }
    }

    /// Scans; with `apart`, findings a pragma allows go there instead of
    /// being dropped (or reported, for a scanner ignoring pragmas).
    fn run(
        &self,
        input: &[u8],
        explain: bool,
        mut apart: Option<&mut Vec<PragmaAllowed>>,
    ) -> ScanOutcome {
        let inner = &*self.rules.inner;
        let mut candidates = candidates(inner, input);
        if candidates.is_empty() {
            return ScanOutcome::default();
        }
        let lines = &LineIndex::new(input);
        candidates.sort_by_key(|c| (c.secret.start, c.secret.end, c.rule));
        candidates.dedup_by_key(|c| (c.secret.start, c.secret.end, c.rule));

        let mut kept: Vec<Candidate> = Vec::new();
        let mut dropped: Vec<(Candidate, DropReason)> = Vec::new();
        for c in candidates {
            if !self.filters {
                kept.push(c);
                continue;
            }
            match drop_reason(inner, input, &c) {
                None => kept.push(c),
                Some(reason) => dropped.push((c, reason)),
            }
        }

        // One secret, one finding: the same text found by several rules is
        // reported by the most specific, and a generic rule's match that
        // overlaps a specific rule's finding is dropped.
        // `kept` is sorted by start; overlapping candidates are neighbours
        // (more than DEDUP_REACH overlapping matches would be pathological).
        let mut survivors: Vec<Candidate> = Vec::with_capacity(kept.len());
        for (i, c) in kept.iter().enumerate() {
            let near = &kept[i.saturating_sub(DEDUP_REACH)..(i + DEDUP_REACH).min(kept.len())];
            let better = near.iter().find(|o| {
                let (r, ro) = (&inner.rules[c.rule], &inner.rules[o.rule]);
                let same_text = o.secret == c.secret;
                let overlaps = o.secret.start < c.secret.end && c.secret.start < o.secret.end;
                o.rule != c.rule
                    && ((same_text && rank(ro, o.rule) > rank(r, c.rule))
                        || (overlaps && !same_text && r.generic && !ro.generic))
            });
            match better {
                Some(o) => dropped.push((
                    c.clone(),
                    DropReason::Duplicate {
                        kept_rule_id: inner.rules[o.rule].id().to_string(),
                    },
                )),
                None => survivors.push(c.clone()),
            }
        }

        let mut findings = Vec::with_capacity(survivors.len());
        for c in survivors {
            let secret = &input[c.secret.clone()];
            let rule = &inner.rules[c.rule];
            if self.filters && inner.allow_regexes.iter().any(|re| re.is_match(secret)) {
                dropped.push((c, DropReason::AllowlistRegex));
            } else if (self.pragmas || apart.is_some()) && pragma_allows(input, &c.whole, rule.id())
            {
                match apart.as_deref_mut() {
                    Some(apart) => apart.push(PragmaAllowed {
                        finding: finding(rule, self.key.as_deref(), input, &c, lines),
                        first_line: lines.line_of(c.whole.start) + 1,
                        last_line: lines
                            .line_of(c.whole.end.max(c.whole.start + 1).saturating_sub(1))
                            + 1,
                    }),
                    None => dropped.push((c, DropReason::Pragma)),
                }
            } else {
                findings.push(finding(rule, self.key.as_deref(), input, &c, lines));
            }
        }
        findings
            .sort_by(|a, b| (a.line, a.column, &a.rule_id).cmp(&(b.line, b.column, &b.rule_id)));

        let mut outcome = ScanOutcome {
            findings,
            dropped: Vec::new(),
        };
        if explain {
            dropped.sort_by_key(|(c, _)| (c.secret.start, c.rule));
            outcome.dropped = dropped
                .into_iter()
                .map(|(c, reason)| {
                    let rule = &inner.rules[c.rule];
                    let secret = &input[c.secret.clone()];
                    let (line, column) = lines.position(c.secret.start);
                    Dropped {
                        rule_id: rule.id().to_string(),
                        line,
                        column,
                        masked: mask_for(loose(rule), secret),
                        fingerprint: fingerprint_with(self.key.as_deref(), rule.id(), secret),
                        reason,
                    }
                })
                .collect();
        }
        outcome
    }
}

/// Preference between rules reporting the same text: specific over
/// generic, then confidence, then the earlier rule.
fn rank(rule: &Rule, index: usize) -> (bool, u8, std::cmp::Reverse<usize>) {
    (
        !rule.generic,
        rule.confidence() as u8,
        std::cmp::Reverse(index),
    )
}

/// A loose rule: generic or of low confidence. Its secrets are often
/// human-chosen passwords, shown without any prefix.
fn loose(rule: &Rule) -> bool {
    rule.generic || rule.confidence() == super::rules::Confidence::Low
}

fn finding(
    rule: &Rule,
    key: Option<&FingerprintKey>,
    input: &[u8],
    c: &Candidate,
    lines: &LineIndex,
) -> Finding {
    let secret = &input[c.secret.clone()];
    let (line, column) = lines.position(c.secret.start);
    let (end_line, end_column) = lines.position(c.secret.end);
    Finding {
        rule_id: rule.id().to_string(),
        rule_name: rule.name().to_string(),
        line,
        column,
        end_line,
        end_column,
        masked: mask_for(loose(rule), secret),
        fingerprint: fingerprint_with(key, rule.id(), secret),
        confidence: rule.confidence(),
        severity: rule.severity(),
        baseline_key: BaselineKey(fingerprint(rule.id(), secret)),
    }
}

/// Prefilter and regexes: every match of a rule near one of its keywords.
fn candidates(inner: &RulesInner, input: &[u8]) -> Vec<Candidate> {
    let Some(prefilter) = &inner.prefilter else {
        return Vec::new();
    };
    // Regions per rule, merged on the fly: hits arrive in input order, so a
    // rule's new region usually extends its open one. Each byte is then
    // searched at most once per rule however many keywords hit around it.
    let mut open: Vec<Option<Span>> = vec![None; inner.rules.len()];
    let mut closed: Vec<Span> = Vec::new();
    let mut add = |span: Span| match &mut open[span.rule] {
        Some(o) if span.start >= o.start && span.start <= o.end + MERGE_GAP => {
            if span.end > o.end {
                o.end = span.end;
                o.cut_end = span.cut_end;
            }
        }
        slot => {
            if let Some(o) = slot.replace(span) {
                closed.push(o);
            }
        }
    };
    match prefilter.try_find_iter(input) {
        Ok(hits) => {
            // Windows of one hit, per window kind (rules of a keyword
            // usually share one).
            let mut memo: Vec<(Window, Span)> = Vec::with_capacity(2);
            let mut spans =
                |rule_ids: &[usize], start: usize, end: usize, add: &mut dyn FnMut(Span)| {
                    memo.clear();
                    for &rule in rule_ids {
                        let kind = inner.rules[rule].window;
                        let span = match memo.iter().find(|(k, _)| *k == kind) {
                            Some((_, s)) => *s,
                            None => {
                                let s = window(input, start, end, kind);
                                memo.push((kind, s));
                                s
                            }
                        };
                        add(Span { rule, ..span });
                    }
                };
            for hit in hits {
                let k = hit.pattern().as_usize();
                let (Some(direct), Some(hidden)) =
                    (inner.keyword_rules.get(k), inner.keyword_hidden.get(k))
                else {
                    continue;
                };
                spans(direct, hit.start(), hit.end(), &mut add);
                // Keywords inside or overlapping the hit, which the
                // non-overlapping automaton does not report.
                for &(j, offset) in hidden {
                    let kw = inner.keywords[j].as_bytes();
                    let start = hit.start() + offset;
                    let end = start + kw.len();
                    if end <= input.len() && input[start..end].eq_ignore_ascii_case(kw) {
                        spans(&inner.keyword_rules[j], start, end, &mut add);
                    }
                }
            }
        }
        // Cannot happen with the automaton we build (an unanchored
        // leftmost-longest DFA); if it did, scanning everything is slow but
        // loses nothing.
        Err(_) => {
            for rule in 0..inner.rules.len() {
                add(Span {
                    rule,
                    start: 0,
                    end: input.len(),
                    cut_start: false,
                    cut_end: false,
                });
            }
        }
    }
    closed.extend(open.into_iter().flatten());
    // Regions of one rule may still overlap when hits come out of order
    // (a hidden keyword reaching past the next hit); the duplicate
    // candidates that can cause are removed by the caller's dedup, which is
    // cheaper than sorting here.
    let merged = closed;

    let mut out = Vec::new();
    for s in merged {
        let rule = &inner.rules[s.rule];
        let hay = &input[s.start..s.end];
        // Most regions hold no match: the plain DFA check is the cheapest
        // way to say so (captures cost allocations per call).
        if !rule.regex.is_match(hay) {
            continue;
        }
        for caps in rule.regex.captures_iter(hay) {
            let (Some(whole), Some(secret)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            if secret.is_empty()
                || (s.cut_start && whole.start() == 0)
                || (s.cut_end && whole.end() == hay.len())
            {
                continue;
            }
            out.push(Candidate {
                rule: s.rule,
                secret: s.start + secret.start()..s.start + secret.end(),
                whole: s.start + whole.start()..s.start + whole.end(),
            });
        }
    }
    out
}

/// The region around a keyword hit: its line plus `kind.lines` whole lines
/// on each side, capped at `kind.bytes` on each side of the hit. Found by
/// searching for newlines around the hit (no index of the whole input).
fn window(input: &[u8], hit_start: usize, hit_end: usize, kind: Window) -> Span {
    let lo = hit_start.saturating_sub(kind.bytes);
    let hi = hit_end.saturating_add(kind.bytes).min(input.len());
    let (start, cut_start) =
        match memchr::memrchr_iter(b'\n', &input[lo..hit_start]).nth(kind.lines) {
            Some(p) => (lo + p + 1, false),
            None => (lo, lo > 0 && input[lo - 1] != b'\n'),
        };
    let (end, cut_end) = match memchr::memchr_iter(b'\n', &input[hit_end..hi]).nth(kind.lines) {
        Some(p) => (hit_end + p, false),
        None => (hi, hi < input.len() && input[hi] != b'\n'),
    };
    Span {
        rule: 0,
        start,
        end,
        cut_start,
        cut_end,
    }
}

/// Positions of the newlines of one input: line lookups in O(log n), built
/// once per scan (only when a candidate is found).
#[derive(Debug)]
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(input: &[u8]) -> LineIndex {
        // Eight bytes at a time: skip words without a newline (SWAR zero-byte test).
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        const NEWLINES: u64 = ONES * b'\n' as u64;
        let mut newlines = Vec::with_capacity(input.len() / 32);
        let chunks = input.chunks_exact(8);
        let tail_start = input.len() - chunks.remainder().len();
        for (n, chunk) in chunks.enumerate() {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let x = u64::from_le_bytes(word) ^ NEWLINES;
            if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
                let base = n * 8;
                newlines.extend(
                    chunk
                        .iter()
                        .enumerate()
                        .filter(|&(_, &b)| b == b'\n')
                        .map(|(i, _)| base + i),
                );
            }
        }
        newlines.extend(
            input[tail_start..]
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| tail_start + i),
        );
        LineIndex { newlines }
    }

    /// 0-based line of byte `pos`.
    fn line_of(&self, pos: usize) -> usize {
        self.newlines.partition_point(|&n| n < pos)
    }

    /// First byte of 0-based `line` (clamped to the last line).
    fn start_of(&self, line: usize) -> usize {
        match line.min(self.newlines.len()) {
            0 => 0,
            l => self.newlines[l - 1] + 1,
        }
    }

    /// (1-based line, 1-based byte column) of byte `pos`.
    fn position(&self, pos: usize) -> (usize, usize) {
        let line = self.line_of(pos);
        (line + 1, pos - self.start_of(line) + 1)
    }
}

fn line_start(input: &[u8], pos: usize) -> usize {
    input[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1)
}

fn line_end(input: &[u8], pos: usize) -> usize {
    input[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(input.len(), |p| pos + p)
}

/// The precision filters, in order; the first that applies is the reason.
fn drop_reason(inner: &RulesInner, input: &[u8], c: &Candidate) -> Option<DropReason> {
    let rule = &inner.rules[c.rule];
    let secret = &input[c.secret.clone()];
    if let Some(v) = rule.validator
        && !v.check(secret)
    {
        return Some(DropReason::ChecksumFailed {
            validator: v.name().to_string(),
        });
    }
    if rule.excludes.iter().any(|re| re.is_match(secret)) {
        return Some(DropReason::RuleExclude);
    }
    if filters::is_example_key(secret) {
        return Some(DropReason::ExampleKey);
    }
    let before_line = &input[line_start(input, c.secret.start)..c.secret.start];
    if filters::is_placeholder(secret, before_line) {
        return Some(DropReason::Placeholder);
    }
    let after_line = &input[c.secret.end..line_end(input, c.secret.end)];
    if let Some(name) = filters::fixture_name(before_line) {
        return Some(DropReason::FixtureName {
            name: String::from_utf8_lossy(name).into_owned(),
        });
    }
    if filters::names_example_host(before_line, secret, after_line) {
        return Some(DropReason::ExampleHost);
    }
    if rule.generic && filters::is_public_name(before_line) {
        return Some(DropReason::NotACredential);
    }
    let before_block = &input[c.secret.start.saturating_sub(BLOCK_LOOKBACK)..c.secret.start];
    if filters::is_public_material(secret, before_line, before_block) {
        return Some(DropReason::PublicMaterial);
    }
    if !rule.exempt.uuid && filters::is_uuid(secret) {
        return Some(DropReason::Uuid);
    }
    if rule.generic && !rule.exempt.hex && filters::is_hex_digest(secret) {
        return Some(DropReason::Hash);
    }
    if filters::is_fake_pattern(secret) || (rule.generic && filters::is_identifier_like(secret)) {
        return Some(DropReason::FakePattern);
    }
    // A generic rule without a threshold of its own still wants some
    // randomness in a long value.
    let min = rule.min_entropy.or((rule.generic
        && secret.len() >= filters::GENERIC_ENTROPY_MIN_LEN)
        .then_some(filters::GENERIC_MIN_ENTROPY));
    if let Some(min) = min {
        let entropy = filters::entropy(secret);
        if entropy < min {
            return Some(DropReason::LowEntropy { entropy, min });
        }
    }
    None
}

/// Whether a `codewarden:allow` pragma on any line of the match allows `rule_id`.
/// `codewarden:allow` alone allows every rule; `codewarden:allow a-rule, b-rule`
/// only those (ids start with a letter; anything else after the pragma, such
/// as `-- reason`, is a comment).
fn pragma_allows(input: &[u8], whole: &Range<usize>, rule_id: &str) -> bool {
    let from = line_start(input, whole.start);
    let to = line_end(
        input,
        whole
            .end
            .max(whole.start + 1)
            .min(input.len())
            .saturating_sub(1),
    );
    let region = &input[from..to.max(from)];
    let mut rest = region;
    while let Some(at) = find(rest, PRAGMA) {
        let after = &rest[at + PRAGMA.len()..];
        let ids = pragma_ids(after);
        if ids.is_empty() || ids.contains(&rule_id.as_bytes()) {
            return true;
        }
        rest = after;
    }
    false
}

fn pragma_ids(after: &[u8]) -> Vec<&[u8]> {
    let mut ids = Vec::new();
    let mut i = 0;
    let skip_blank = |i: &mut usize| {
        while *i < after.len() && matches!(after[*i], b' ' | b'\t') {
            *i += 1;
        }
    };
    skip_blank(&mut i);
    loop {
        if i >= after.len() || !after[i].is_ascii_alphabetic() {
            break;
        }
        let start = i;
        while i < after.len()
            && (after[i].is_ascii_alphanumeric() || after[i] == b'-' || after[i] == b'_')
        {
            i += 1;
        }
        ids.push(&after[start..i]);
        skip_blank(&mut i);
        if i < after.len() && after[i] == b',' {
            i += 1;
            skip_blank(&mut i);
        } else {
            break;
        }
    }
    ids
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_detection_looks_at_the_first_8_kib() {
        // GIVEN text, text with an early NUL, and a NUL after 8 KiB
        let mut late = vec![b'a'; 9000];
        late.push(0);
        // THEN only the early NUL makes it binary
        assert!(!looks_binary(b"fn main() {}\n"));
        assert!(looks_binary(b"\x7fELF\x02\x01\x01\x00\x00"));
        assert!(!looks_binary(&late));
        assert!(!looks_binary(b""));
    }

    fn utf16(text: &str, bom: &[u8], little_endian: bool) -> Vec<u8> {
        let mut out = bom.to_vec();
        for unit in text.encode_utf16() {
            out.extend(if little_endian {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        out
    }

    #[test]
    fn utf16_text_is_decoded_with_or_without_a_byte_order_mark() {
        // GIVEN the same text as UTF-16LE and BE with a BOM, and LE without
        let text = "[default]\r\nkey = café\r\n";
        let le = utf16(text, &[0xFF, 0xFE], true);
        let be = utf16(text, &[0xFE, 0xFF], false);
        let bare = utf16(text, &[], true);
        // THEN each is binary to git, and decodes to the text (BOM dropped)
        for input in [&le, &be, &bare] {
            assert!(looks_binary(input));
            assert_eq!(decode_utf16(input).as_deref(), Some(text));
        }
        assert_eq!(decode_utf16(&[0xFF, 0xFE]).as_deref(), Some(""));
    }

    #[test]
    fn real_binaries_and_utf8_are_not_utf16_text() {
        // GIVEN a PNG header, a zip header, UTF-32LE, odd lengths, UTF-8,
        // BOM-less big endian and an unpaired surrogate
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
        let zip = b"PK\x03\x04\x14\0\0\0\x08\0\0\0!\0\x9c\x8e\xa1\x1b";
        let utf32 = b"\xFF\xFE\0\0a\0\0\0b\0\0\0";
        let mut odd = utf16("key = value\n", &[], true);
        odd.push(b'x');
        let lone_surrogate = [0xFF, 0xFE, 0x00, 0xD8, b'a', 0];
        // THEN none decodes
        for input in [
            &png[..],
            &zip[..],
            &utf32[..],
            &odd,
            "plain UTF-8, café\n".as_bytes(),
            &utf16("key = value\n", &[], false),
            &lone_surrogate,
            b"",
        ] {
            assert_eq!(decode_utf16(input), None, "{input:?}");
        }
    }

    #[test]
    fn window_takes_whole_lines_around_the_hit() {
        // GIVEN five lines and a hit on the third
        let input = b"l1\nl2\nl3 HIT\nl4\nl5\nl6";
        let hit = 6 + 3;
        // WHEN the window has one line of context
        let s = window(
            input,
            hit,
            hit + 3,
            Window {
                lines: 1,
                bytes: 100,
            },
        );
        // THEN it spans lines 2 to 4, not cut
        assert_eq!(&input[s.start..s.end], b"l2\nl3 HIT\nl4");
        assert!(!s.cut_start && !s.cut_end);
        // AND a byte cap inside a line marks the cut
        let s = window(input, hit, hit + 3, Window { lines: 1, bytes: 2 });
        assert_eq!(&input[s.start..s.end], b"3 HIT\nl");
        assert!(s.cut_start && s.cut_end);
        // AND windows at the input's edges stop there
        let s = window(
            input,
            0,
            2,
            Window {
                lines: 3,
                bytes: 100,
            },
        );
        assert_eq!(&input[s.start..s.end], b"l1\nl2\nl3 HIT\nl4");
        let s = window(
            input,
            input.len() - 2,
            input.len(),
            Window {
                lines: 1,
                bytes: 100,
            },
        );
        assert_eq!(&input[s.start..s.end], b"l5\nl6");
    }

    #[test]
    fn line_index_handles_crlf_and_edges() {
        // GIVEN CRLF text
        let input = b"a\r\nbb\r\nccc";
        let lines = LineIndex::new(input);
        // THEN positions map to 1-based line and byte column, in any order
        assert_eq!(lines.position(8), (3, 2));
        assert_eq!(lines.position(3), (2, 1));
        assert_eq!(lines.position(0), (1, 1));
        assert_eq!(lines.position(10), (3, 4));
        assert_eq!(lines.position(2), (1, 3));
        // AND the word-at-a-time scan finds every newline, in and after whole words
        let text = b"0123456\n89\n\n\n45678901234\n67\n";
        let expected: Vec<usize> = (0..text.len()).filter(|&i| text[i] == b'\n').collect();
        assert_eq!(LineIndex::new(text).newlines, expected);
    }

    #[test]
    fn pragma_ids_are_parsed() {
        // GIVEN pragma tails
        // THEN ids are read up to the first non-id text
        assert!(pragma_ids(b"").is_empty());
        assert!(pragma_ids(b" -- test fixture").is_empty());
        assert_eq!(
            pragma_ids(b" aws-access-key-id, github-pat # why"),
            vec![&b"aws-access-key-id"[..], b"github-pat"]
        );
    }

    #[test]
    fn maximal_scanner_ignores_pragmas_and_precision_filters()
    -> Result<(), super::super::RulesError> {
        // GIVEN a key under a pragma, AWS's documentation key and a key
        // assigned to a fixture-named variable
        let rules = Rules::builtin()?;
        let key = ["AKIA", "Z7Q3XK2LMNB4RT6Y"].concat();
        let inputs = [
            format!("aws_access_key_id = {key} # codewarden:allow"),
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE".to_owned(),
            format!("fake_key = \"{key}\""),
        ];
        for input in &inputs {
            // WHEN scanned normally, nothing is reported
            assert!(
                Scanner::new(rules).scan(input.as_bytes()).is_empty(),
                "{input}"
            );
            // THEN the maximal scanner reports the key all the same
            let found = Scanner::new(rules).maximal().scan(input.as_bytes());
            assert!(
                found.iter().any(|f| f.rule_id == "aws-access-key-id"),
                "{input}: {found:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn pragmas_apart_sets_allowed_findings_aside_with_their_lines()
    -> Result<(), super::super::RulesError> {
        // GIVEN a key with a pragma on line 2, a key without on line 3, and
        // a pragma for another rule on line 4
        let input = b"# config\n\
            aws_access_key_id = AKIAZ7Q3XK2LMNB4RT6Y # codewarden:allow\n\
            aws_access_key_id = AKIAQW3RTY7UIOP2LKJH\n\
            aws_access_key_id = AKIAM4XC6VB2NJ7HGF5D # codewarden:allow github-pat\n";
        let rules = Rules::builtin()?;
        // WHEN scanned with pragmas apart, by a scanner that honours them
        // and by one that ignores them
        for scanner in [Scanner::new(rules), Scanner::new(rules).ignoring_pragmas()] {
            let split = scanner.scan_pragmas_apart(input);
            // THEN the pragma's finding is set apart with its line, the others stay
            let lines: Vec<usize> = split.findings.iter().map(|f| f.line).collect();
            assert_eq!(lines, vec![3, 4]);
            assert_eq!(split.allowed.len(), 1, "{split:?}");
            let allowed = &split.allowed[0];
            assert_eq!((allowed.first_line, allowed.last_line), (2, 2));
            assert_eq!(allowed.finding.rule_id, "aws-access-key-id");
            assert_eq!(allowed.finding.masked, "AKIA***");
        }
        // AND scan() keeps its meaning: dropped with pragmas, reported without
        assert_eq!(Scanner::new(rules).scan(input).len(), 2);
        assert_eq!(Scanner::new(rules).ignoring_pragmas().scan(input).len(), 3);
        Ok(())
    }
}
