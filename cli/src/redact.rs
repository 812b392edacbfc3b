//! Last line of defence for text we did not write ourselves: error messages
//! from parsers quote their input (clap echoes a bad argument, a regex error
//! shows the pattern), and that input may hold a credential. Before such
//! text is printed it is scanned with the builtin rules and every secret
//! found is replaced by its masked value.

use crate::engine_glue::{self, Engine};

/// `text` with every secret the builtin rules detect replaced by
/// `[redacted <rule-id>: <masked>]`.
pub fn redact(text: &str) -> String {
    // Without the builtin rules (a bug caught by `rules check`) there is
    // nothing to recognise secrets with; the text is printed as it is.
    let Ok(engine) = Engine::builtin() else {
        return text.to_string();
    };
    let findings = engine_glue::scan(engine.scanner(), text.as_bytes(), false).findings;
    if findings.is_empty() {
        return text.to_string();
    }
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let offset = |line: usize, column: usize| {
        line_starts
            .get(line.saturating_sub(1))
            .map(|start| (start + column.saturating_sub(1)).min(text.len()))
    };
    let mut spans: Vec<(usize, usize, String)> = findings
        .iter()
        .filter_map(|f| {
            let start = offset(f.line, f.column)?;
            let end = offset(f.end_line, f.end_column)?;
            Some((
                start,
                end,
                format!("[redacted {}: {}]", f.rule_id, f.masked),
            ))
        })
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len());
    let mut position = 0;
    for (start, end, replacement) in spans {
        if start < position {
            continue; // inside a span already replaced
        }
        out.extend_from_slice(&bytes[position..start]);
        out.extend_from_slice(replacement.as_bytes());
        position = end.max(start);
    }
    out.extend_from_slice(&bytes[position..]);
    // Offsets are byte columns from the engine; a cut inside a multi-byte
    // character can only happen in the secret itself, which is gone.
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_place_and_the_rest_kept() {
        // GIVEN an error message quoting an AWS key id (built, not literal)
        let key = format!("AKIA{}", "Z7Q3XK2LMNB4RT6Y");
        let text = format!("error: invalid value '{key}' for '--format'\nnext line");
        // WHEN redacted
        let shown = redact(&text);
        // THEN the key is replaced by its mask and nothing else changes
        assert_eq!(
            shown,
            "error: invalid value '[redacted aws-access-key-id: AKIA***]' for '--format'\nnext line"
        );
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        let text = "error: cannot scan nope\n  caused by: No such file or directory";
        assert_eq!(redact(text), text);
    }
}
