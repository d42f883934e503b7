//! What the benches share: the dictionaries they run with and the documents
//! they run over, built reproducibly (see bench/README.md).
//!
//! - **news**: the evaluation seed articles (`shared/eval/seeds/*.txt`, in
//!   name order), joined and repeated to size.
//! - **non-ASCII**: the same articles with typographic quotes and
//!   apostrophes, accented vowels in every capitalised word, em dashes and
//!   NBSPs, and an Arabic news sentence after every paragraph.
//! - **no entities**: English-like sentences drawn (fixed seed) from the
//!   articles' own lowercase words, minus every word that any benchmark
//!   dictionary matches; the match count is verified to be 0 with each.
//!
//! Every document is cut to its size on a char boundary and at a word end,
//! so its real length is a little under the nominal size; throughput is
//! reported over the real length.

#![allow(dead_code)] // each bench uses part of this module

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Instant,
};

use entex::dictionary::Dictionary;

/// Nominal document sizes: the range, 1 KB to 1 MB.
pub const SIZES: &[(&str, usize)] = &[("1KB", 1 << 10), ("16KB", 16 << 10), ("256KB", 256 << 10), ("1MB", 1 << 20)];

/// Where the seed articles are: `ENTEX_BENCH_SEEDS`, else `../shared/eval/seeds`
/// beside the crate.
pub fn seeds_dir() -> PathBuf {
    std::env::var_os("ENTEX_BENCH_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/seeds"))
}

/// The seed articles, in file-name order.
///
/// # Panics
///
/// When the directory is missing or holds no `.txt` file: the benches have
/// nothing to run over (set `ENTEX_BENCH_SEEDS`).
pub fn seed_articles() -> Vec<String> {
    let dir = seeds_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read the seed articles in {}: {e}; set ENTEX_BENCH_SEEDS to a directory of .txt news articles",
                dir.display()
            )
        })
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no .txt article in {}; set ENTEX_BENCH_SEEDS", dir.display());
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display())))
        .collect()
}

/// Repeats `unit` to at most `size` bytes, cut at the last whitespace that
/// fits (so no word, and no char, is split).
pub fn repeat_to(unit: &str, size: usize) -> String {
    assert!(!unit.is_empty());
    let mut out = String::with_capacity(size + unit.len());
    while out.len() < size {
        out.push_str(unit);
        out.push_str("\n\n");
    }
    let mut cut = size.min(out.len());
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(space) = out[..cut].rfind(char::is_whitespace) {
        cut = space;
    }
    out.truncate(cut);
    out
}

/// The news corpus unit: every seed article, joined by blank lines.
pub fn news_unit() -> String {
    seed_articles().join("\n\n")
}

/// Arabic news sentences (written for this benchmark), several naming
/// entities of the default dictionary, one with tashkeel and tatweel.
const ARABIC: &[&str] = &[
    "قالت مصادر أمنية عراقية إن كتائب حزب الله نقلت أسلحة إلى جرف الصخر جنوب بغداد.",
    "وأعلن الحرس الثوري الإيراني أن قائد فيلق القدس زار دمشق الأسبوع الماضي.",
    "وذكرت وكالة الأنباء أن الحوثيين أطلقوا طائرات مسيّرة باتجاه البحر الأحمر.",
    "وقال مسؤول في الحكومة اللبنانية إن حِزْبُ اللّٰه لم يعلّق على التقارير.",
    "وأكد المتحدث باسم عصائب أهل الحق أن الفصائل ستواصل عملياتها في سوريا والعراق.",
    "وأضاف التقرير أن قاسم سليماني قُتل قرب مطار بغداد عام ٢٠٢٠ مع قادة من الحشد الشعبي.",
    "ونفت حركة حمـــاس أي علاقة لها بالهجوم، بحسب بيان نشرته على موقعها.",
];

/// The non-ASCII corpus unit: see the module doc.
pub fn non_ascii_unit() -> String {
    let mut out = String::new();
    let mut arabic = ARABIC.iter().cycle();
    for (i, paragraph) in news_unit().split("\n\n").enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&typographic(paragraph));
        if !paragraph.trim().is_empty() {
            out.push_str("\n\n");
            out.push_str(arabic.next().expect("cycle"));
        }
    }
    out
}

/// Curly quotes and apostrophes, accented vowels in capitalised words, em
/// dashes for spaced hyphens, NBSP after every full stop.
fn typographic(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 5 / 4);
    let mut prev: Option<char> = None;
    let mut open_double = true;
    let mut in_capitalised = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let prev_letter = prev.is_some_and(char::is_alphanumeric);
        if !prev_letter && c.is_alphabetic() {
            in_capitalised = c.is_uppercase();
        }
        match c {
            '\'' if prev_letter => out.push('’'),
            '\'' => out.push('‘'),
            '"' => {
                out.push(if open_double { '“' } else { '”' });
                open_double = !open_double;
            }
            '-' if prev == Some(' ') && next == Some(' ') => out.push('—'),
            ' ' if prev == Some('.') => out.push('\u{a0}'),
            'a' if in_capitalised => out.push('á'),
            'e' if in_capitalised => out.push('ē'),
            'i' if in_capitalised => out.push('ï'),
            'o' if in_capitalised => out.push('ö'),
            'u' if in_capitalised => out.push('ū'),
            _ => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// A small fixed-seed generator (SplitMix64): the no-entity text must be
/// the same on every machine and every run.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

const NO_ENTITY_SEED: u64 = 0x0065_6e74_6578; // "entex"

/// Lowercase ASCII words of the articles (2+ letters), sorted, without
/// repeats.
fn article_words() -> BTreeSet<String> {
    news_unit()
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .map(str::to_owned)
        .collect()
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|f| f.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Sentences of 6-19 words from `vocabulary`, the first capitalised, with
/// an occasional comma, up to `size` bytes.
fn sentences(vocabulary: &[String], size: usize) -> String {
    let mut rng = SplitMix::new(NO_ENTITY_SEED);
    let mut out = String::with_capacity(size + 256);
    while out.len() < size {
        let words = 6 + rng.below(14);
        for i in 0..words {
            let word = &vocabulary[rng.below(vocabulary.len())];
            if i == 0 {
                out.push_str(&capitalise(word));
            } else {
                out.push(' ');
                out.push_str(word);
                if i + 1 < words && rng.below(9) == 0 {
                    out.push(',');
                }
            }
        }
        out.push_str(if rng.below(7) == 0 { ".\n\n" } else { ". " });
    }
    repeat_to(&out, size)
}

/// The no-entity document of `size` bytes for every dictionary in
/// `dictionaries`: words that any of them matches (alone, capitalised, or in
/// a combination the first drafts produced) are taken out of the
/// vocabulary until the text has no mention in any.
///
/// # Panics
///
/// When no such vocabulary remains (it never happens with the seeds).
pub fn no_entity_text(size: usize, dictionaries: &[&Dictionary]) -> String {
    let mut vocabulary: Vec<String> = article_words()
        .into_iter()
        .filter(|w| dictionaries.iter().all(|d| d.extract(w).is_empty() && d.extract(&capitalise(w)).is_empty()))
        .collect();
    for _round in 0..100 {
        assert!(vocabulary.len() >= 100, "the no-entity vocabulary ran out");
        let text = sentences(&vocabulary, size);
        let mut bad: BTreeSet<String> = BTreeSet::new();
        for dictionary in dictionaries {
            for mention in dictionary.extract(&text) {
                let span = &text[mention.span.start..mention.span.end];
                bad.extend(span.split(|c: char| !c.is_ascii_alphabetic()).map(str::to_lowercase));
            }
        }
        if bad.is_empty() {
            return text;
        }
        vocabulary.retain(|w| !bad.contains(w));
    }
    panic!("no entity-free text after 100 rounds");
}

/// The files of the large benchmark dictionary made by
/// `bench/gen_large_dictionary.py` (its `manifest.json` lists them, in
/// order), from `ENTEX_BENCH_LARGE_DIR` or `target/bench-data/large`;
/// `None` (with a note) when it was not made.
pub fn large_dictionary_files() -> Option<Vec<PathBuf>> {
    let dir = std::env::var_os("ENTEX_BENCH_LARGE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/large"));
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.json")) else {
        eprintln!(
            "note: no large dictionary in {}; run `python3 bench/gen_large_dictionary.py` (bench/run.sh does) to bench with it",
            dir.display()
        );
        return None;
    };
    let manifest: serde_json::Value = serde_json::from_str(&manifest).expect("manifest.json is JSON");
    let files: Vec<PathBuf> = manifest["dictionary_files"]
        .as_array()
        .expect("manifest.json lists dictionary_files")
        .iter()
        .map(|f| dir.join(f.as_str().expect("file names are strings")))
        .collect();
    Some(files)
}

pub fn load_large(files: &[PathBuf]) -> Dictionary {
    let started = Instant::now();
    let dictionary =
        entex::dictionary::load(&files.iter().map(entex::dictionary::SourceSpec::path).collect::<Vec<_>>(), false)
            .unwrap_or_else(|e| panic!("the large dictionary does not load: {e}"));
    eprintln!(
        "large dictionary: {} entities, {} aliases from {} files, loaded in {:.2} s",
        dictionary.info().entity_count,
        dictionary.info().alias_count,
        files.len(),
        started.elapsed().as_secs_f64()
    );
    dictionary
}

/// The default (embedded) dictionary.
pub fn load_default() -> Dictionary {
    entex::dictionary::load(&[], true).expect("the embedded dictionary builds")
}

/// The patterns of the raw reference: every alias as written and its
/// lowercase form, without repeats, in a fixed order.
pub fn raw_patterns(dictionary: &Dictionary) -> Vec<String> {
    let mut patterns = BTreeSet::new();
    for entity in dictionary.entities() {
        for alias in entity.aliases() {
            patterns.insert(alias.to_owned());
            patterns.insert(alias.to_lowercase());
        }
    }
    patterns.into_iter().collect()
}

/// The keys the engine's automaton scans for, in its pattern order, and
/// how they were found (printed by the engine bench).
pub struct ScanKeys {
    pub keys: Vec<String>,
    pub how: String,
}

/// The engine's pattern keys: the padded folded keys its automaton holds,
/// in its pattern order ([`Dictionary::pattern_keys`]).
pub fn scan_keys(dictionary: &Dictionary) -> ScanKeys {
    let keys: Vec<String> = dictionary.pattern_keys();
    let all = dictionary.keys().count();
    ScanKeys { how: format!("the engine's {} pattern keys (of {all} keys)", keys.len()), keys }
}

/// Reads VmRSS (or another `Vm*` field) of `/proc/<pid>/status`, in bytes.
pub fn proc_status_bytes(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
