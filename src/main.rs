//! The `entex` binary: parse the command line, run the command, and report
//! an error with its whole cause chain.

use std::process::ExitCode;

use clap::Parser;
use entex::{cli, config::Cli};

// mimalloc rather than the system allocator: a dictionary build makes
// millions of small allocations (glibc malloc/free took ~30 % of a
// 1M-alias build), and the hot path allocates per mention.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
