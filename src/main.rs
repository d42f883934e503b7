//! The `entex` binary: parse the command line, run the command, and report
//! an error with its whole cause chain.

use std::process::ExitCode;

use clap::Parser;
use entex::{cli, config::Cli};

/// mimalloc, not glibc's malloc: a dictionary build allocates on the parse
/// threads and frees on the defining thread, which glibc serialises on its
/// arena locks (a 1,000,000-entity JSONL build: 20.8 s with glibc, 12 s with
/// mimalloc; see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keeps the resident set what the process uses: freed pages go back to
/// the system at once, not a second later and only when their thread
/// allocates again (a build's garbage, freed on rayon threads that may
/// never allocate again, would otherwise stay resident: 1,060 MB instead of
/// 437 MB serving the 1,000,000-entity catalogue built from its JSONL).
/// Transparent huge pages are off at build time (the `no_thp` feature):
/// with them an idle server with the default dictionary held 54 MB, not 23.
/// The number is `mi_option_purge_delay` of `mi_option_e` in mimalloc v3's
/// `mimalloc.h`, the version the pinned `libmimalloc-sys` builds.
#[allow(unsafe_code)]
fn tune_allocator() {
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: mi_option_set only stores an option's value; it is safe at
    // any time, and this runs first in main, before the work it tunes.
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    match cli::run(Cli::parse().into_command()) {
        Ok(code) => code,
        Err(error) => {
            // `{:#}` prints the chain: "cannot load the dictionary: a.toml:3: ...".
            eprintln!("entex: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
