//! The engine alone, per document: what `Extract` does for one document
//! (fold, automaton scan, boundary/case/context rules, short forms, offsets
//! back into the caller's text), over
//!
//! - document sizes 1 KB, 16 KB, 256 KB and 1 MB;
//! - news text, non-ASCII text and text with no entities (see
//!   `support/mod.rs`);
//! - the default (embedded) dictionary and the large generated one
//!   (>= 1,000,000 aliases; skipped with a note when not generated).
//!
//! Beside each engine run, the **raw reference**: the `aho-corasick` crate's
//! own leftmost-longest scan of the same bytes with the dictionary's aliases
//! as written plus their lowercase forms, counting matches and nothing else
//! (no folding, no word boundaries, no checks, no output). It is the limit
//! the engine is held against.
//!
//! And **scan**: the engine's automaton alone over the already folded
//! text, counting keys the way the engine walks them (leftmost-longest,
//! the next search starting on the trailing pad of the last key), without
//! its rules: `word-trie` is the engine's own scanner
//! (`entex::dictionary::scanner::Scanner`, a trie over folded words with a
//! first-word filter) built over the engine's pattern keys (see `support::scan_keys`), and `aho-corasick` the
//! `aho-corasick` crate's contiguous NFA (with its prefilter) over the same
//! keys, for comparison. Over the same keys both find the same matches
//! (the bench prints a note if their counts ever differ).
//!
//! And **fold**: the folding stage alone (default dictionary runs only; it
//! does not depend on the dictionary), to show where engine time goes.
//!
//! Every benchmark asserts its match count, computed once before it runs:
//! a change that speeds the engine up by matching less fails here.
//!
//! Criterion ids: `engine/<dict>/<corpus>/<size>`, `raw/<dict>/<corpus>/<size>`,
//! `scan/<dict>/<corpus>/<word-trie|aho-corasick>/<size>`,
//! `fold/<corpus>/<size>`. Measurement and warm-up seconds come from
//! `ENTEX_BENCH_MEASURE_SECS` / `ENTEX_BENCH_WARMUP_SECS` (default 3 / 1).

mod support;

use std::{hint::black_box, time::Duration};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use criterion::{BenchmarkId, Criterion, Throughput};
use entex::{
    dictionary::{Dictionary, scanner::Scanner},
    text::{CaseMode, Folded, fold_into},
};
use support::SIZES;

struct Corpus {
    name: &'static str,
    /// (size label, document)
    documents: Vec<(&'static str, String)>,
}

fn corpora(dictionaries: &[&Dictionary]) -> Vec<Corpus> {
    let news = support::news_unit();
    let non_ascii = support::non_ascii_unit();
    for (name, text) in [("news", &news), ("non_ascii", &non_ascii)] {
        let chars = text.chars().count();
        let non_ascii_chars = text.chars().filter(|c| !c.is_ascii()).count();
        eprintln!(
            "corpus {name}: {} bytes, {:.1} % of chars non-ASCII",
            text.len(),
            100.0 * non_ascii_chars as f64 / chars as f64
        );
    }
    vec![
        Corpus { name: "news", documents: SIZES.iter().map(|&(l, s)| (l, support::repeat_to(&news, s))).collect() },
        Corpus {
            name: "non_ascii",
            documents: SIZES.iter().map(|&(l, s)| (l, support::repeat_to(&non_ascii, s))).collect(),
        },
        Corpus {
            name: "no_entities",
            documents: SIZES.iter().map(|&(l, s)| (l, support::no_entity_text(s, dictionaries))).collect(),
        },
    ]
}

fn secs(var: &str, default: f64) -> Duration {
    Duration::from_secs_f64(std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default))
}

fn raw_reference(dictionary: &Dictionary) -> AhoCorasick {
    let patterns = support::raw_patterns(dictionary);
    AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&patterns).expect("raw reference automaton")
}

/// The two automata `scan` compares, over the engine's pattern keys.
enum ScanAutomaton {
    /// The engine's own scanner (a word trie).
    WordTrie(Box<Scanner>),
    /// The `aho-corasick` crate's contiguous NFA, leftmost-longest, with
    /// its prefilter.
    AhoCorasick(AhoCorasick),
}

impl ScanAutomaton {
    /// Keys in `haystack`, walked as the engine walks them: the
    /// leftmost-longest key, then the next search from its trailing pad
    /// space, which is the next key's leading pad.
    fn count(&self, haystack: &[u8]) -> usize {
        match self {
            Self::WordTrie(scanner) => walk(|pos| scanner.find_from(haystack, pos).map(|f| (f.start, f.end))),
            Self::AhoCorasick(automaton) => {
                walk(|pos| automaton.find(Input::new(haystack).range(pos..)).map(|m| (m.start(), m.end())))
            }
        }
    }
}

/// Counts the matches `find(pos)` yields, each search starting on the last
/// match's final byte (its trailing pad); never stays in place.
#[inline(always)]
fn walk(mut find: impl FnMut(usize) -> Option<(usize, usize)>) -> usize {
    let mut count = 0;
    let mut pos = 0;
    while let Some((start, end)) = find(pos) {
        count += 1;
        pos = (end - 1).max(start + 1);
    }
    count
}

fn scan_automata(label: &str, dictionary: &Dictionary) -> Vec<(&'static str, ScanAutomaton)> {
    let keys = support::scan_keys(dictionary);
    eprintln!("scan keys {label}: {}", keys.how);
    let word_trie = Scanner::build(keys.keys.iter().map(String::as_str)).expect("word-trie scanner");
    assert_eq!(word_trie.pattern_count(), keys.keys.len());
    let aho_corasick = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(&keys.keys)
        .expect("aho-corasick scan automaton");
    eprintln!(
        "scan {label}: word-trie {} bytes; aho-corasick {:?} {} bytes",
        word_trie.heap_bytes(),
        aho_corasick.kind(),
        aho_corasick.memory_usage()
    );
    vec![
        ("word-trie", ScanAutomaton::WordTrie(Box::new(word_trie))),
        ("aho-corasick", ScanAutomaton::AhoCorasick(aho_corasick)),
    ]
}

fn bench_dictionary(c: &mut Criterion, label: &str, dictionary: &Dictionary, corpora: &[Corpus], with_fold: bool) {
    let raw = raw_reference(dictionary);
    eprintln!(
        "{label}: {} aliases, engine automaton {} of {} bytes; raw reference {} patterns ({:?}, {} bytes)",
        dictionary.info().alias_count,
        dictionary.info().automaton_kind,
        dictionary.info().automaton_bytes,
        raw.patterns_len(),
        raw.kind(),
        raw.memory_usage()
    );
    let scans = scan_automata(label, dictionary);
    for corpus in corpora {
        let mut engine = c.benchmark_group(format!("engine/{label}/{}", corpus.name));
        for (size, text) in &corpus.documents {
            let expected = dictionary.extract(text).len();
            if corpus.name == "no_entities" {
                assert_eq!(expected, 0, "{label}: the no-entity text has mentions");
            }
            eprintln!("matches engine/{label}/{}/{size}: {expected} in {} bytes", corpus.name, text.len());
            engine.throughput(Throughput::Bytes(text.len() as u64));
            engine.bench_with_input(BenchmarkId::from_parameter(size), text.as_str(), |b, text| {
                b.iter(|| {
                    let mentions = dictionary.extract(black_box(text));
                    assert_eq!(mentions.len(), expected);
                    mentions
                })
            });
        }
        engine.finish();

        let mut reference = c.benchmark_group(format!("raw/{label}/{}", corpus.name));
        for (size, text) in &corpus.documents {
            let expected = raw.find_iter(text.as_bytes()).count();
            eprintln!("matches raw/{label}/{}/{size}: {expected} in {} bytes", corpus.name, text.len());
            reference.throughput(Throughput::Bytes(text.len() as u64));
            reference.bench_with_input(BenchmarkId::from_parameter(size), text.as_bytes(), |b, bytes| {
                b.iter(|| {
                    let count = raw.find_iter(black_box(bytes)).count();
                    assert_eq!(count, expected);
                    count
                })
            });
        }
        reference.finish();

        let mut scan = c.benchmark_group(format!("scan/{label}/{}", corpus.name));
        let mut folded = Folded::default();
        for (size, text) in &corpus.documents {
            fold_into(text, CaseMode::Fold, &mut folded);
            let haystack = folded.text.clone();
            let mut counts = Vec::new();
            for (config, automaton) in &scans {
                let expected = automaton.count(haystack.as_bytes());
                eprintln!("matches scan/{label}/{}/{config}/{size}: {expected} in {} bytes", corpus.name, text.len());
                counts.push(expected);
                scan.throughput(Throughput::Bytes(text.len() as u64));
                scan.bench_with_input(BenchmarkId::new(*config, size), haystack.as_bytes(), |b, bytes| {
                    b.iter(|| {
                        let count = automaton.count(black_box(bytes));
                        assert_eq!(count, expected);
                        count
                    })
                });
            }
            if counts.windows(2).any(|w| w[0] != w[1]) {
                eprintln!(
                    "note: scan/{label}/{}/{size}: the automata disagree ({counts:?}) over the same keys",
                    corpus.name
                );
            }
        }
        scan.finish();

        if with_fold {
            let mut fold = c.benchmark_group(format!("fold/{}", corpus.name));
            let mut folded = Folded::default();
            for (size, text) in &corpus.documents {
                fold_into(text, CaseMode::Fold, &mut folded);
                let expected = folded.text.len();
                fold.throughput(Throughput::Bytes(text.len() as u64));
                fold.bench_with_input(BenchmarkId::from_parameter(size), text.as_str(), |b, text| {
                    b.iter(|| {
                        fold_into(black_box(text), CaseMode::Fold, &mut folded);
                        assert_eq!(folded.text.len(), expected);
                    })
                });
            }
            fold.finish();
        }
    }
}

/// The engine on 1 and 2 threads: 32 news documents of 16 KB matched on a
/// rayon pool of that many threads, as the server's worker pool does,
/// without gRPC or a load generator sharing the cores. Ids
/// `threads/default/news-16KBx32/<n>`; the ratio of the two is the engine's
/// scaling with cores on this machine.
fn bench_threads(c: &mut Criterion, dictionary: &Dictionary, news: &Corpus) {
    use rayon::prelude::*;
    let Some((_, document)) = news.documents.iter().find(|(size, _)| *size == "16KB") else { return };
    let batch: Vec<&str> = vec![document.as_str(); 32];
    let expected: usize = batch.iter().map(|d| dictionary.extract(d).len()).sum();
    let bytes: usize = batch.iter().map(|d| d.len()).sum();
    eprintln!("matches threads/default/news-16KBx32: {expected} in {bytes} bytes");
    let mut group = c.benchmark_group("threads/default/news-16KBx32");
    group.throughput(Throughput::Bytes(bytes as u64));
    for threads in [1usize, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool");
        group.bench_with_input(BenchmarkId::from_parameter(threads), &batch, |b, batch| {
            b.iter(|| {
                let found: usize =
                    pool.install(|| batch.par_iter().map(|d| dictionary.extract(black_box(d)).len()).sum());
                assert_eq!(found, expected);
                found
            })
        });
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(secs("ENTEX_BENCH_WARMUP_SECS", 1.0))
        .measurement_time(secs("ENTEX_BENCH_MEASURE_SECS", 3.0))
        .configure_from_args();

    let default = support::load_default();
    let large = support::large_dictionary_files().map(|files| support::load_large(&files));
    let mut dictionaries = vec![&default];
    dictionaries.extend(large.as_ref());
    let corpora = corpora(&dictionaries);

    bench_dictionary(&mut c, "default", &default, &corpora, true);
    bench_threads(&mut c, &default, &corpora[0]);
    if let Some(large) = &large {
        bench_dictionary(&mut c, "large", large, &corpora, false);
    }
    c.final_summary();
}
