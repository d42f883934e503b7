//! Issue 11's engine figures: `Dictionary::extract` over every document of
//! the shared news-like corpus and the texts derived from it, one thread,
//! against the DFA reference in the same process and the same run.
//!
//! Texts (JSON Lines, `{"id", "text"}`; made by `bench/corpus.sh`):
//!
//! - `news`: `news.jsonl`, the shared corpus (`../shared/bench/make_corpus.py`):
//!   real news paragraphs among real English prose, 2–20 KB documents;
//! - `prose`: `prose.jsonl`, its prose paragraphs only, minus every one
//!   with a word-bounded match of the domain dictionary (`bench/make_variants.py`);
//! - `news_nonascii`: `news.jsonl` made non-ASCII (typographic quotes,
//!   accented capitalised words, em dashes, NBSP, an Arabic sentence after
//!   every paragraph);
//! - `seeds_nonascii`: the seed articles alone, made non-ASCII, 16 KB
//!   documents: news at its real density of names.
//!
//! Dictionaries:
//!
//! - `default`: the embedded default dictionary (what a server serves);
//! - `domain`: the shared `dict_domain_clean.tsv` loaded as an entex
//!   dictionary (headerless `alias<TAB>id` rows): the very aliases the
//!   shared reference (`raw_ac`) searches for, so engine ÷ DFA compares
//!   the two over the same dictionary;
//! - `catalogue`: issue 9's catalogue compiled by `entex compile`, mapped
//!   with `artefact::read` (`ENTEX_BENCH_CATALOGUE_ARTEFACT`; skipped with a
//!   note when unset).
//!
//! The **DFA reference** mirrors `../shared/bench/raw_ac` exactly: the
//! `aho-corasick` crate, `AhoCorasickKind::DFA`, leftmost-longest, ASCII
//! case-insensitive, default prefilter, over the aliases as written,
//! counting `find_iter` matches of each document's bytes and nothing else.
//! Its patterns: for `domain`, the TSV's first column as raw_ac reads it
//! (so its figure is raw_ac's); for the others, what
//! `make_dict_domain.py` would write for the dictionary: every entity's
//! aliases as written (name first), unique case-insensitively, of 3+
//! characters. For the catalogue a DFA is out of reach (millions of
//! patterns: tens of millions of states times the byte classes); with
//! `ENTEX_BENCH_CATALOGUE_REFERENCE=nfa` the crate's contiguous NFA stands
//! in, else there is none.
//!
//! Every measurement: one unmeasured pass (its count is the expected one,
//! and it faults a mapped dictionary's pages in), then
//! `ENTEX_BENCH_PASSES` (5) passes, engine and reference alternating so a
//! change in the machine's load hits both; each pass asserts its count
//! against the first (deterministic). Time is this thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`: the machine is shared, and CPU time does not
//! count the time another process held the core) and wall time; MB/s is
//! text bytes (10^6) over the median. One JSON object a line on stdout
//! (`bench/run.sh` keeps them); a summary on stderr.
//!
//! Knobs: `ENTEX_BENCH_NEWS_DIR` (target/bench-data/news: the dictionaries
//! and `news.jsonl`), `ENTEX_BENCH_DERIVED_DIR` (the derived texts; default
//! the news directory), `ENTEX_BENCH_CORPUS_DICTS` and
//! `ENTEX_BENCH_CORPUS_TEXTS` (comma-separated subsets), `ENTEX_BENCH_PASSES`.

mod support;

use std::{
    collections::HashSet,
    io::BufRead as _,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use entex::dictionary::{Dictionary, SourceSpec, artefact};
use serde_json::json;

/// The allocator the `entex` binary serves with (src/main.rs), so that the
/// engine is measured as it runs in the server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TEXTS: &[(&str, &str, bool)] = &[
    // (name, file, in the derived directory)
    ("news", "news.jsonl", false),
    ("prose", "prose.jsonl", true),
    ("news_nonascii", "news_nonascii.jsonl", true),
    ("seeds_nonascii", "seeds_nonascii.jsonl", true),
];

/// The domain dictionary: the shared reference's own alias file.
const DOMAIN_FILE: &str = "dict_domain_clean.tsv";

fn news_dir() -> PathBuf {
    std::env::var_os("ENTEX_BENCH_NEWS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/news"))
}

fn derived_dir() -> PathBuf {
    std::env::var_os("ENTEX_BENCH_DERIVED_DIR").map(PathBuf::from).unwrap_or_else(news_dir)
}

/// A comma-separated subset from `var`, or every name.
fn selected(var: &str, name: &str) -> bool {
    std::env::var(var).map_or(true, |list| list.split(',').any(|n| n.trim() == name))
}

/// This thread's CPU time.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the call's duration;
    // CLOCK_THREAD_CPUTIME_ID is supported by every Linux kernel.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// One timed pass: its count, CPU and wall seconds.
fn timed(pass: impl FnOnce() -> usize) -> (usize, f64, f64) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let count = pass();
    (count, (thread_cpu() - cpu).as_secs_f64(), wall.elapsed().as_secs_f64())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The documents' texts of a JSON Lines file, in order.
///
/// # Panics
///
/// When the file is missing or a line is not `{"text": ...}`: run
/// `bench/corpus.sh`.
fn read_jsonl(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; run `bash bench/corpus.sh` (or set ENTEX_BENCH_NEWS_DIR)", path.display())
    });
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let line = line.unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            let value: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1));
            value["text"].as_str().unwrap_or_else(|| panic!("{}:{}: no \"text\"", path.display(), i + 1)).to_owned()
        })
        .collect()
}

/// The reference's patterns as `raw_ac` reads a TSV: each line's first
/// field, empty ones left out, in file order.
fn tsv_patterns(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.split('\t').next().map(str::to_owned))
        .filter(|a| !a.is_empty())
        .collect()
}

/// The reference's patterns for a dictionary, as `make_dict_domain.py`
/// would write its clean file: every alias as written (the name first),
/// unique case-insensitively, of 3+ characters.
fn dictionary_patterns(dictionary: &Dictionary) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut patterns = Vec::new();
    for entity in dictionary.entities() {
        for alias in std::iter::once(entity.name()).chain(entity.aliases()) {
            if seen.insert(alias.to_lowercase()) && alias.chars().count() > 2 {
                patterns.push(alias.to_owned());
            }
        }
    }
    patterns
}

/// The DFA reference of `../shared/bench/raw_ac` (or, for `nfa`, the same
/// with the contiguous NFA).
fn reference(patterns: &[String], kind: AhoCorasickKind) -> AhoCorasick {
    let mut builder = AhoCorasick::builder();
    builder.match_kind(MatchKind::LeftmostLongest).ascii_case_insensitive(true).kind(Some(kind));
    builder.build(patterns).unwrap_or_else(|e| panic!("the reference automaton does not build: {e}"))
}

/// `VmRSS`, `RssAnon` and `RssFile` of this process, in bytes.
fn rss() -> serde_json::Value {
    let field = |f| support::proc_status_bytes("self", f);
    json!({ "vm_rss": field("VmRSS:"), "rss_anon": field("RssAnon:"), "rss_file": field("RssFile:") })
}

struct Bench {
    label: &'static str,
    dictionary: Dictionary,
    reference: Option<(&'static str, AhoCorasick)>,
}

/// Engine and reference over one text; prints their JSON lines.
fn measure(bench: &Bench, text_name: &str, documents: &[String], passes: usize) {
    let bytes: usize = documents.iter().map(String::len).sum();
    let dictionary = &bench.dictionary;
    let engine_pass = || documents.iter().map(|d| dictionary.extract(d).len()).sum::<usize>();
    let reference_pass = |ac: &AhoCorasick| documents.iter().map(|d| ac.find_iter(d.as_bytes()).count()).sum::<usize>();

    let (engine_expected, _, _) = timed(engine_pass);
    let reference_expected = bench.reference.as_ref().map(|(_, ac)| timed(|| reference_pass(ac)).0);
    let mut engine = (Vec::new(), Vec::new());
    let mut raw = (Vec::new(), Vec::new());
    for pass in 0..passes {
        let (count, cpu, wall) = timed(engine_pass);
        assert_eq!(count, engine_expected, "engine/{}/{text_name}: pass {} found another count", bench.label, pass + 1);
        engine.0.push(cpu);
        engine.1.push(wall);
        if let Some((_, ac)) = &bench.reference {
            let (count, cpu, wall) = timed(|| reference_pass(ac));
            assert_eq!(Some(count), reference_expected, "reference/{}/{text_name}: pass {}", bench.label, pass + 1);
            raw.0.push(cpu);
            raw.1.push(wall);
        }
    }
    let line = |side: &str, kind: Option<&str>, matches: usize, (cpu, wall): &(Vec<f64>, Vec<f64>)| {
        let mb_cpu = bytes as f64 / 1e6 / median(cpu);
        let mb_wall = bytes as f64 / 1e6 / median(wall);
        eprintln!(
            "{side:>9} {:>9} {text_name:>14}: {mb_cpu:8.1} MB/s CPU ({mb_wall:8.1} wall), {matches} matches in {} docs, \
             {bytes} bytes",
            bench.label,
            documents.len()
        );
        println!(
            "{}",
            json!({
                "kind": side, "dict": bench.label, "text": text_name, "reference_kind": kind,
                "docs": documents.len(), "bytes": bytes, "matches": matches, "passes": passes,
                "cpu_s": cpu, "wall_s": wall, "mb_per_s": mb_cpu, "mb_per_s_wall": mb_wall,
            })
        );
        (mb_cpu, mb_wall)
    };
    let (engine_cpu, engine_wall) = line("engine", None, engine_expected, &engine);
    if let (Some((kind, _)), Some(expected)) = (&bench.reference, reference_expected) {
        let (raw_cpu, raw_wall) = line("reference", Some(kind), expected, &raw);
        eprintln!(
            "    ratio {:>9} {text_name:>14}: engine ÷ {kind} {:.2} (CPU), {:.2} (wall)",
            bench.label,
            engine_cpu / raw_cpu,
            engine_wall / raw_wall
        );
        println!(
            "{}",
            json!({
                "kind": "ratio", "dict": bench.label, "text": text_name, "reference_kind": kind,
                "engine_mb_per_s": engine_cpu, "reference_mb_per_s": raw_cpu, "ratio": engine_cpu / raw_cpu,
                "ratio_wall": engine_wall / raw_wall,
            })
        );
    }
}

/// Builds the dictionary `label` and its reference; `None` when not selected
/// or (catalogue) not given.
fn setup(label: &'static str) -> Option<Bench> {
    if !selected("ENTEX_BENCH_CORPUS_DICTS", label) {
        return None;
    }
    let before = rss();
    let started = Instant::now();
    let (dictionary, patterns, kind) = match label {
        "default" => {
            let dictionary = support::load_default();
            let patterns = dictionary_patterns(&dictionary);
            (dictionary, Some(patterns), AhoCorasickKind::DFA)
        }
        "domain" => {
            let path = news_dir().join(DOMAIN_FILE);
            // In any case, as `make_dict_domain.py` means its aliases (and as
            // the DFA reference matches them), and as this bench has always
            // loaded it: figures stay comparable across rounds.
            let spec: SourceSpec = format!("{}?names=any", path.display()).parse().expect("a valid spec");
            let dictionary = entex::dictionary::load(&[spec], false)
                .unwrap_or_else(|e| panic!("{} does not load as an entex dictionary: {e}", path.display()));
            (dictionary, Some(tsv_patterns(&path)), AhoCorasickKind::DFA)
        }
        "catalogue" => {
            let Some(path) = std::env::var_os("ENTEX_BENCH_CATALOGUE_ARTEFACT").map(PathBuf::from) else {
                eprintln!(
                    "note: no catalogue: set ENTEX_BENCH_CATALOGUE_ARTEFACT to an `entex compile` artefact (bench/run.sh does)"
                );
                return None;
            };
            let dictionary = artefact::read(&path)
                .unwrap_or_else(|e| panic!("the catalogue artefact {} does not load: {e}", path.display()));
            match std::env::var("ENTEX_BENCH_CATALOGUE_REFERENCE").as_deref() {
                Ok("nfa") => {
                    let patterns = dictionary_patterns(&dictionary);
                    (dictionary, Some(patterns), AhoCorasickKind::ContiguousNFA)
                }
                _ => (dictionary, None, AhoCorasickKind::DFA),
            }
        }
        _ => unreachable!("no dictionary {label}"),
    };
    let load_s = started.elapsed().as_secs_f64();
    let after = rss();
    let reference = patterns.map(|patterns| {
        let started = Instant::now();
        let ac = reference(&patterns, kind);
        let build_s = started.elapsed().as_secs_f64();
        let name = if kind == AhoCorasickKind::DFA { "dfa" } else { "contiguous-nfa" };
        eprintln!(
            "reference {label}: {} patterns, {:?}, {} bytes, built in {build_s:.2} s",
            patterns.len(),
            ac.kind(),
            ac.memory_usage()
        );
        println!(
            "{}",
            json!({
                "kind": "reference_build", "dict": label, "reference_kind": name, "patterns": patterns.len(),
                "automaton": format!("{:?}", ac.kind()), "heap_bytes": ac.memory_usage(), "build_s": build_s,
            })
        );
        (name, ac)
    });
    let info = dictionary.info();
    eprintln!(
        "dictionary {label}: {} entities, {} aliases, {} keys scanned, loaded in {load_s:.2} s",
        info.entity_count,
        info.alias_count,
        dictionary.pattern_keys().len()
    );
    println!(
        "{}",
        json!({
            "kind": "dictionary", "dict": label, "entities": info.entity_count, "aliases": info.alias_count,
            "version": info.version, "load_s": load_s, "heap_bytes": dictionary.memory_usage(),
            "table_bytes": dictionary.table_bytes(), "rss_before": before, "rss_after": after,
        })
    );
    Some(Bench { label, dictionary, reference })
}

fn main() {
    // `cargo bench` passes `--bench`; this bench takes no other argument.
    let passes: usize = std::env::var("ENTEX_BENCH_PASSES").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    eprintln!("corpus bench: {passes} passes; load average {}", loadavg.trim());
    println!(
        "{}",
        json!({ "kind": "setup", "passes": passes, "loadavg_start": loadavg.split_whitespace().take(3).collect::<Vec<_>>() })
    );

    let texts: Vec<(&str, Vec<String>)> = TEXTS
        .iter()
        .filter(|(name, _, _)| selected("ENTEX_BENCH_CORPUS_TEXTS", name))
        .map(|&(name, file, derived)| {
            let dir = if derived { derived_dir() } else { news_dir() };
            let documents = read_jsonl(&dir.join(file));
            let bytes: usize = documents.iter().map(String::len).sum();
            let chars: usize = documents.iter().map(|d| d.chars().count()).sum();
            let non_ascii: usize = documents.iter().map(|d| d.chars().filter(|c| !c.is_ascii()).count()).sum();
            eprintln!(
                "text {name}: {} documents, {bytes} bytes, {:.1} % of chars non-ASCII",
                documents.len(),
                100.0 * non_ascii as f64 / chars.max(1) as f64
            );
            (name, documents)
        })
        .collect();

    for label in ["default", "domain", "catalogue"] {
        // One dictionary at a time: the catalogue's pages are not shared
        // with the others' runs.
        let Some(bench) = setup(label) else { continue };
        for (name, documents) in &texts {
            measure(&bench, name, documents, passes);
        }
        println!("{}", json!({ "kind": "dictionary_after", "dict": label, "rss": rss() }));
    }
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("{}", json!({ "kind": "done", "loadavg_end": loadavg.split_whitespace().take(3).collect::<Vec<_>>() }));
}
