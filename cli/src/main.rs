//! `codewarden`: the detection engine of the codewarden Lambda functions, on
//! a workstation or in CI. Scans a tree or a git range, checks the rules.
//!
//! Exit status: 0 clean, 1 findings (or failed rule checks), 2 error.

mod backup_cmd;
mod bench_corpus;
mod cli;
mod engine_glue;
mod progress;
mod protect_cmd;
mod redact;
mod report;
mod rules_cmd;
mod scan_cmd;
mod scan_git;
mod scan_paths;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Usage errors echo the offending argument, which may be a secret.
        Err(error) if error.use_stderr() => {
            eprint!("{}", redact::redact(&error.render().to_string()));
            return ExitCode::from(scan_cmd::EXIT_ERROR);
        }
        Err(help_or_version) => help_or_version.exit(),
    };
    let result = match &cli.command {
        cli::Command::Scan(args) => scan_cmd::run(args),
        cli::Command::Rules(command) => rules_cmd::run(command),
        cli::Command::BenchCorpus(args) => bench_corpus::run(args),
        cli::Command::Restore(args) => backup_cmd::restore(args),
        cli::Command::Backups(command) => backup_cmd::run(command),
        cli::Command::Protect(args) => protect_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // Causes may quote user input (a config line, a pattern): redact.
            let mut text = format!("error: {error}");
            for cause in error.chain().skip(1) {
                text.push_str(&format!("\n  caused by: {cause}"));
            }
            eprintln!("{}", redact::redact(&text));
            ExitCode::from(scan_cmd::EXIT_ERROR)
        }
    }
}
