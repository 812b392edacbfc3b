//! Planted-secret tests: every file under `tests/fixtures/planted/` is
//! scanned with the builtin rules, and the findings must be exactly those
//! its sidecar `<file>.expect` lists.
//!
//! Sidecar format: one `<line> <rule-id>` per expected finding (`line` is
//! the 1-based line where the secret starts; for PEM keys that is the first
//! body line). Blank lines and `#` comments are ignored; an empty sidecar
//! means the file holds only decoys.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use shared::scan::{Finding, Rules, Scanner};

struct Report(String);

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            fixture_files(&path, out)?;
        } else if path.extension().is_none_or(|e| e != "expect") {
            out.push(path);
        }
    }
    Ok(())
}

fn parse_expect(text: &str) -> Result<BTreeSet<(usize, String)>, String> {
    let mut set = BTreeSet::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(num), Some(rule), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "line {}: expected `<line> <rule-id>`, got {raw:?}",
                n + 1
            ));
        };
        let num: usize = num
            .parse()
            .map_err(|_| format!("line {}: {num:?} is not a line number", n + 1))?;
        set.insert((num, rule.to_string()));
    }
    Ok(set)
}

fn describe(findings: &[Finding], line: usize, rule: &str) -> String {
    findings
        .iter()
        .find(|f| f.line == line && f.rule_id == rule)
        .map(|f| format!("{line} {rule} ({}, column {})", f.masked, f.column))
        .unwrap_or_else(|| format!("{line} {rule}"))
}

#[test]
fn planted_secrets_are_found_exactly() -> Result<(), Report> {
    // GIVEN every planted fixture and its sidecar
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/planted");
    let mut files = Vec::new();
    fixture_files(&root, &mut files)
        .map_err(|e| Report(format!("cannot list {}: {e}", root.display())))?;
    files.sort();
    let rules =
        Rules::builtin().map_err(|e| Report(format!("the builtin rules do not compile:\n{e}")))?;
    let scanner = Scanner::new(rules);

    let mut problems = Vec::new();
    let mut checked = 0;
    for file in &files {
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .display()
            .to_string();
        let sidecar = PathBuf::from(format!("{}.expect", file.display()));
        let expected = match std::fs::read_to_string(&sidecar) {
            Ok(text) => match parse_expect(&text) {
                Ok(set) => set,
                Err(e) => {
                    problems.push(format!("{shown}.expect: {e}"));
                    continue;
                }
            },
            Err(_) => {
                problems.push(format!(
                    "{shown}: no sidecar {shown}.expect (empty file = decoys only)"
                ));
                continue;
            }
        };
        let input = std::fs::read(file).map_err(|e| Report(format!("cannot read {shown}: {e}")))?;
        // WHEN it is scanned
        let findings = scanner.scan(&input);
        checked += 1;
        // THEN the (line, rule) pairs are exactly the expected ones
        let found: BTreeSet<(usize, String)> = findings
            .iter()
            .map(|f| (f.line, f.rule_id.clone()))
            .collect();
        let missing: Vec<String> = expected
            .difference(&found)
            .map(|(l, r)| format!("{l} {r}"))
            .collect();
        let extra: Vec<String> = found
            .difference(&expected)
            .map(|(l, r)| describe(&findings, *l, r))
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            let mut p = format!("{shown}:");
            if !missing.is_empty() {
                p.push_str(&format!("\n      missing: {}", missing.join(", ")));
            }
            if !extra.is_empty() {
                p.push_str(&format!("\n      extra:   {}", extra.join(", ")));
            }
            problems.push(p);
        }
    }
    if checked == 0 {
        return Err(Report(format!("no fixture found under {}", root.display())));
    }
    if !problems.is_empty() {
        return Err(Report(format!(
            "{} of {checked} planted fixture(s) differ from their .expect:\n  - {}",
            problems.len(),
            problems.join("\n  - ")
        )));
    }
    Ok(())
}
