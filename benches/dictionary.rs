//! The large dictionary's build time and resident memory (a plain `main`,
//! not criterion: a build takes seconds and is measured a few times).
//!
//! For each of `ENTEX_BENCH_BUILD_RUNS` (default 3) builds: the wall time of
//! `entex::dictionary::load` from the generated source files (read, parse,
//! validate, fold, build the scanners and tables), and the engine's own
//! `info().build_time` (everything after reading). Memory, from the first
//! build: `VmRSS` of this process before the load and after it, after
//! returning freed heap to the system (`malloc_trim`), so the delta is what
//! the loaded dictionary keeps resident, not the build's transient peak
//! (reported too, as the `VmHWM` high-water mark).
//!
//! Then the precompiled artefact (`entex compile`, `serve --compiled`) of
//! the same dictionary: written once (`artefact::write`, its size), read
//! back `ENTEX_BENCH_BUILD_RUNS` times with `artefact::read` (file read,
//! checksum, decoding, every consistency check: what `serve --compiled`
//! does before it binds), the median time, and the resident memory of a
//! dictionary loaded that way (measured as above). Also that it is
//! validated: one flipped payload byte must be refused.
//!
//! Prints one JSON object on stdout (bench/run.sh reads it).

mod support;

use std::time::Instant;

use entex::dictionary::{Dictionary, artefact};

/// Returns freed heap pages to the system, so `VmRSS` holds live memory only.
/// Returns freed heap to the system first (glibc keeps a build's freed
/// scratch mapped, which would be counted as the dictionary's): the same
/// trim the server does after every load.
fn trim_heap() {
    entex::reload::return_freed_memory();
}

/// The memory of `dictionary`, just loaded: RSS now (after a trim) against
/// `before` it was loaded, and the engine's own estimates.
fn resident(before: u64, dictionary: &entex::dictionary::Dictionary) -> serde_json::Value {
    trim_heap();
    let after = rss();
    serde_json::json!({
        "rss_before_bytes": before,
        "rss_after_bytes": after,
        "rss_delta_bytes": after.saturating_sub(before),
        "estimated_bytes": dictionary.memory_usage(),
        "automaton_bytes": dictionary.info().automaton_bytes,
        "version": dictionary.info().version,
    })
}

fn rss() -> u64 {
    support::proc_status_bytes("self", "VmRSS:").expect("VmRSS in /proc/self/status")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Writes `dictionary`'s artefact, then reads it back `runs` times; see
/// the module doc.
fn measure_artefact(dictionary: Dictionary, runs: usize) -> serde_json::Value {
    let dir = tempfile::Builder::new()
        .prefix("entex-artefact-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("a temporary directory");
    let path = dir.path().join("large.entexdic");
    let started = Instant::now();
    let mut bytes = artefact::to_bytes(&dictionary);
    let serialise_secs = started.elapsed().as_secs_f64();
    let size = bytes.len();
    // A flipped byte near the end (the automata) must be refused.
    let last = size - 1;
    bytes[last] ^= 0x5a;
    let refused = artefact::from_bytes(&bytes, "corrupted").err().map(|e| e.to_string());
    assert!(refused.is_some(), "a corrupted artefact was accepted");
    drop(bytes);
    let started = Instant::now();
    artefact::write(&dictionary, &path).unwrap_or_else(|e| panic!("cannot write the artefact: {e}"));
    let write_secs = started.elapsed().as_secs_f64();
    drop(dictionary);

    trim_heap();
    let before = rss();
    let mut read_secs = Vec::new();
    let mut memory = None;
    for run in 0..runs {
        let started = Instant::now();
        let dictionary = artefact::read(&path).unwrap_or_else(|e| panic!("the artefact does not load: {e}"));
        let elapsed = started.elapsed().as_secs_f64();
        eprintln!("artefact read {}: {:.3} s", run + 1, elapsed);
        read_secs.push(elapsed);
        if memory.is_none() {
            memory = Some(resident(before, &dictionary));
        }
    }
    serde_json::json!({
        "bytes": size,
        "serialise_seconds": serialise_secs,
        "write_seconds": write_secs,
        "runs": runs,
        "read_seconds": read_secs,
        "read_seconds_median": median(read_secs.clone()),
        "memory": memory,
        "corrupt_refused": refused,
    })
}

fn main() {
    let Some(files) = support::large_dictionary_files() else {
        eprintln!("nothing to measure");
        std::process::exit(2);
    };
    let runs: usize = std::env::var("ENTEX_BENCH_BUILD_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let source_bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len())).sum();

    trim_heap();
    let before = rss();
    let mut load_secs = Vec::new();
    let mut build_secs = Vec::new();
    let mut memory = None;
    let mut compiled = None;
    for run in 0..runs {
        let started = Instant::now();
        let specs: Vec<_> = files.iter().map(entex::dictionary::SourceSpec::path).collect();
        let dictionary = entex::dictionary::load(&specs, false).unwrap_or_else(|e| panic!("does not load: {e}"));
        let elapsed = started.elapsed().as_secs_f64();
        let info = dictionary.info();
        eprintln!("build {}: {:.3} s (engine build_time {:.3} s)", run + 1, elapsed, info.build_time.as_secs_f64());
        load_secs.push(elapsed);
        build_secs.push(info.build_time.as_secs_f64());
        if memory.is_none() {
            let mut fields = resident(before, &dictionary);
            fields["peak_rss_bytes"] = support::proc_status_bytes("self", "VmHWM:").into();
            fields["automaton_kind"] = info.automaton_kind.into();
            fields["entities"] = info.entity_count.into();
            fields["aliases"] = info.alias_count.into();
            memory = Some(fields);
        }
        // The last build is kept to write the artefact from.
        if run + 1 == runs {
            compiled = Some(dictionary);
        }
    }
    let compiled = compiled.expect("at least one build");
    let artefact = measure_artefact(compiled, runs);
    let out = serde_json::json!({
        "files": files.len(),
        "dir": files.first().and_then(|f| f.parent()).map(|d| d.display().to_string()),
        "source_bytes": source_bytes,
        "runs": runs,
        "load_seconds": load_secs,
        "load_seconds_median": median(load_secs.clone()),
        "build_seconds_median": median(build_secs),
        "memory": memory,
        "artefact": artefact,
    });
    println!("{out}");
}
