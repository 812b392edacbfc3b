//! `codewarden rules list` and `codewarden rules check`.

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::Result;
use serde_json::json;

use crate::cli::{ListFormat, RulesCommand};
use crate::engine_glue::{ConfigSource, Engine};
use crate::scan_cmd::{EXIT_CLEAN, EXIT_FINDINGS};

pub fn run(command: &RulesCommand) -> Result<u8> {
    match command {
        RulesCommand::List { format, config } => {
            list(&load(config)?, *format, &mut io::stdout().lock())?;
            Ok(EXIT_CLEAN)
        }
        RulesCommand::Check { config } => {
            let engine = load(config)?;
            let (ok, text) = check(&engine);
            if ok {
                print!("{text}");
                Ok(EXIT_CLEAN)
            } else {
                eprint!("{text}");
                Ok(EXIT_FINDINGS)
            }
        }
    }
}

fn load(config: &Option<PathBuf>) -> Result<Engine> {
    match config {
        Some(file) => Engine::load(ConfigSource::File(file.clone())),
        None => Engine::builtin(),
    }
}

fn list(engine: &Engine, format: ListFormat, out: &mut dyn Write) -> Result<()> {
    let rules = engine.rule_meta();
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &json!({ "rules": rules }))?;
            writeln!(out)?;
        }
        ListFormat::Human => {
            let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
            let name_width = rules.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            writeln!(
                out,
                "{:id_width$}  {:name_width$}  {:10}  KEYWORDS",
                "ID", "NAME", "CONFIDENCE"
            )?;
            for rule in &rules {
                writeln!(
                    out,
                    "{:id_width$}  {:name_width$}  {:10}  {}",
                    rule.id,
                    rule.name,
                    rule.confidence,
                    rule.keywords.join(", ")
                )?;
            }
            writeln!(out, "{} rules", rules.len())?;
        }
    }
    Ok(())
}

/// Runs the rule self-test; returns (passed, text to print).
fn check(engine: &Engine) -> (bool, String) {
    let failures = engine.check();
    let count = engine.rule_meta().len();
    if failures.is_empty() {
        return (true, format!("{count} rules OK\n"));
    }
    let mut text = String::new();
    for failure in &failures {
        text.push_str(&format!("FAIL {failure}\n"));
    }
    text.push_str(&format!("{} problems in {count} rules\n", failures.len()));
    (false, text)
}
