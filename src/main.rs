//! The `entex` binary: parse the command line, run the command, and report
//! an error with its whole cause chain.

use std::process::ExitCode;

use clap::Parser;
use entex::{cli, config::Cli};

fn main() -> ExitCode {
    match cli::run(Cli::parse().into_command()) {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the chain: "cannot load the dictionary: a.toml:3: ...".
            eprintln!("entex: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
