//! Plain `cargo test` (no AFL++): every committed seed and every
//! regression input goes through its target again, and the bugs the
//! fuzzers found stay fixed as named rows.
//!
//! - `fuzz/corpus/<target>/*`: the seed corpora;
//! - `fuzz/regressions/<target>/<name>`: inputs that once failed a target
//!   (a crash that AFL++ found, minimised), one file per bug, named after it.

use std::{fs, path::Path};

type Target = fn(&[u8]);

const TARGETS: &[(&str, Target)] = &[
    ("fold", entex_fuzz::fold::run),
    ("matcher", entex_fuzz::matcher::run),
    ("dictionary", entex_fuzz::dictionary::run),
    ("artefact", entex_fuzz::artefact::run),
    ("rpc", entex_fuzz::rpc::run),
];

fn replay(folder: &str) -> usize {
    let mut count = 0;
    for (name, run) in TARGETS {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder).join(name);
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        let mut files: Vec<_> = entries.map(|e| e.expect("directory entry").path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.is_file() && !f.ends_with("README.md")) {
            let data = fs::read(file).expect("input readable");
            eprintln!("{name}: {}", file.display());
            run(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn seed_corpora_pass_every_target() {
    assert!(replay("corpus") >= 25, "the seed corpora are missing");
}

#[test]
fn regression_inputs_pass_every_target() {
    replay("regressions");
}
