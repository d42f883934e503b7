//! Stage 1 of [`super::extract`]: where names can be. One pass over the
//! caller's bytes finds the stretches of the document where the dictionary
//! could match (an exact key, or a romanisation variant of a capitalised
//! run), and only those stretches are folded ([`crate::text::fold_window_into`])
//! and handed to the later stages. The rest of the text, in news most of
//! it, is read once and never copied.
//!
//! # How
//!
//! The text is cut into *chunks* at ASCII whitespace. A chunk of ASCII
//! letters, digits, punctuation, hyphens and underscores is split into the
//! words folding would make (letters and digits lowercased; a run of
//! punctuation is the mark `|`) without folding; any other chunk (non-ASCII,
//! an apostrophe, a control) is folded alone, exactly as in the whole text,
//! and split into its folded words. Then, per word:
//!
//! - **Keys.** A word that may start a scannable key (the scanner's
//!   first-word filter, then its vocabulary) opens a walk down the word
//!   trie over the next words; when the walk passes the end of a key, the
//!   words from there back `context` words (the longest `after` phrase of
//!   the dictionary, plus one) to the longest key's last word form a window.
//! - **Variants** (when the dictionary has a variant index). A run of
//!   capitalised words and particles, any of whose skeletons may start a
//!   variant key, is a window, `context` words before it included.
//!
//! Windows are widened to whole chunks and merged when they touch.
//!
//! # Invariants
//!
//! The sparse fold of the windows yields exactly the candidates and
//! variants of folding the whole text (the differential tests hold the
//! whole pipeline to that):
//!
//! - a window starts and ends at whitespace, where folding keeps no state,
//!   so each window folds to the same words as in the whole text;
//! - every key the whole text has starts at a word that opened a walk, and
//!   the walk saw the same words, so its window holds the key; walks in
//!   the sparse fold see a prefix of the same words and then the gap
//!   `" | | "`, which no key holds, so they find nothing the whole text
//!   does not;
//! - the rules that look around a key look `context` words back (`after`
//!   phrases) or at the caller's text (case, descriptors, punctuation);
//! - a variant run is in a window whole, or none of its words can start a
//!   variant key.
//!
//! # Cost
//!
//! Per ASCII word: a hash and a filter probe (most words end there); per
//! capitalised word when the dictionary has variants: its skeleton and a
//! filter probe; per non-ASCII chunk: its fold. Then the fold of the
//! windows. A document with no window costs no fold at all.

use crate::{
    dictionary::{Dictionary, scanner::Scanner},
    text::{
        CaseMode, Folded, fold_into,
        skeleton::{PARTICLES, skeleton_word},
    },
};

/// A word of the caller's text as folding makes it.
#[derive(Debug, Clone, Copy)]
struct Word {
    /// Its folded bytes: `text[start..end]` lowercased (ASCII), or
    /// `scratch[start..end]` ([`FOLDED`]).
    start: u32,
    end: u32,
    /// The chunk of the caller's text it came from.
    chunk_start: u32,
    chunk_end: u32,
    /// The trie node of the word as a key's first word ([`START`]).
    node: u32,
    flags: u8,
}

/// The word's bytes are in the per-document scratch, not the text.
const FOLDED: u8 = 1;
/// The word's first original letter is a capital.
const CAPITAL: u8 = 2;
/// The word is the punctuation mark.
const MARK: u8 = 4;
/// The word may start a key: `node` is its trie node.
const START: u8 = 8;
/// The word is a particle ([`crate::text::skeleton::is_particle`]).
const PARTICLE: u8 = 16;
/// The word's skeleton may start a variant key.
const VARIANT: u8 = 32;

/// How the prefilter classes a byte of the caller's text.
const CUT: u8 = 1;
const ALNUM: u8 = 2;
const UPPER: u8 = 4;
const PUNCT: u8 = 8;
const SOFT: u8 = 16;
/// Non-ASCII, an apostrophe, a control: the chunk is folded.
const OTHER: u8 = 32;

static CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0usize;
    while b < 128 {
        let c = b as u8;
        table[b] = if c == b' ' || c == b'\n' || c == b'\t' || c == b'\r' {
            CUT
        } else if c.is_ascii_uppercase() {
            ALNUM | UPPER
        } else if c.is_ascii_alphanumeric() {
            ALNUM
        } else if c == b'-' || c == b'_' {
            SOFT
        } else if c == b'\'' || c == b'`' || !c.is_ascii_graphic() {
            OTHER
        } else {
            PUNCT
        };
        b += 1;
    }
    table
};

/// What the prefilter needs of a dictionary beyond its scanners, computed
/// once per dictionary version per thread.
#[derive(Debug, Clone, Default)]
struct Facts {
    version: String,
    /// Words a window keeps before a key or a run: the longest `after`
    /// phrase, plus one.
    context: usize,
    /// Particles whose skeleton may start a variant key.
    variant_particles: Vec<&'static str>,
}

impl Facts {
    /// Brings the facts up to date for `dict` (a no-op for the same
    /// version, the common case: one string compare).
    fn refresh(&mut self, dict: &Dictionary) {
        if self.version == dict.info().version && self.context != 0 {
            return;
        }
        let longest = dict
            .rare
            .iter()
            .filter_map(|r| r.after.as_ref())
            .flatten()
            .map(|phrase| phrase.split(' ').filter(|w| !w.is_empty()).count())
            .max()
            .unwrap_or(0);
        let mut skeleton = String::new();
        let variant_particles = match &dict.variants {
            Some(index) => PARTICLES
                .iter()
                .copied()
                .filter(|p| {
                    skeleton.clear();
                    skeleton_word(p, &mut skeleton) && index.scanner.start_node(skeleton.as_bytes()).is_some()
                })
                .collect(),
            None => Vec::new(),
        };
        *self = Facts { version: dict.info().version.clone(), context: longest + 1, variant_particles };
    }
}

/// Per-thread buffers of the prefilter.
#[derive(Default)]
pub(super) struct Prefilter {
    words: Vec<Word>,
    /// Indices of the words that may start a key.
    starts: Vec<u32>,
    /// Indices of the words whose skeleton may start a variant key.
    variant_starts: Vec<u32>,
    /// Folded words of the chunks that were folded.
    scratch: Vec<u8>,
    /// One chunk, folded.
    chunk: Folded,
    /// A skeleton.
    skeleton: String,
    /// Windows in the caller's text, ascending, disjoint.
    pub(super) windows: Vec<(usize, usize)>,
    facts: Facts,
}

impl Prefilter {
    /// Finds the windows of `text` (see the module docs).
    pub(super) fn find(&mut self, dict: &Dictionary, text: &str) {
        let mut facts = std::mem::take(&mut self.facts);
        facts.refresh(dict);
        let variants = dict.variants.as_ref().filter(|v| !v.is_empty()).map(|v| &v.scanner);
        self.tokenise(text, &dict.scanner, variants, &facts);
        self.windows.clear();
        let context = facts.context;
        for &i in &self.starts {
            let i = i as usize;
            if let Some(last) = walk(&dict.scanner, text, &self.scratch, &self.words, i) {
                add(&mut self.windows, &self.words, i.saturating_sub(context), last);
            }
        }
        // Variant runs: capitalised words and particles around a word
        // that may start a variant key, with at least one capital.
        let member = |w: &Word| w.flags & (CAPITAL | PARTICLE) != 0;
        let mut run_end = 0;
        for &v in &self.variant_starts {
            let v = v as usize;
            if v < run_end {
                continue;
            }
            let mut first = v;
            while first > 0 && member(&self.words[first - 1]) {
                first -= 1;
            }
            let mut last = v;
            while last + 1 < self.words.len() && member(&self.words[last + 1]) {
                last += 1;
            }
            run_end = last + 1;
            if self.words[first..=last].iter().any(|w| w.flags & CAPITAL != 0) {
                add(&mut self.windows, &self.words, first.saturating_sub(context), last);
            }
        }
        self.windows.sort_unstable();
        // Merge windows that overlap or only whitespace separates.
        let bytes = text.as_bytes();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.windows.len());
        for &(start, end) in &self.windows {
            match merged.last_mut() {
                Some(last) if start <= last.1 || bytes[last.1..start].iter().all(|&b| CLASS[b as usize] == CUT) => {
                    last.1 = last.1.max(end)
                }
                _ => merged.push((start, end)),
            }
        }
        self.windows = merged;
        self.facts = facts;
    }

    /// Splits `text` into words (module docs), marking those that may
    /// start a key or a variant key.
    fn tokenise(&mut self, text: &str, scanner: &Scanner, variants: Option<&Scanner>, facts: &Facts) {
        self.words.clear();
        self.starts.clear();
        self.variant_starts.clear();
        self.scratch.clear();
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut lower = [0u8; 64];
        let mut i = 0;
        // The last word pushed is a mark: a mark right after it (only
        // separators between) merges into it, as folding merges them.
        let mut after_mark = false;
        while i < n {
            while i < n && CLASS[bytes[i] as usize] == CUT {
                i += 1;
            }
            if i == n {
                break;
            }
            let chunk_start = i;
            let first_word = self.words.len();
            let (first_start, first_variant) = (self.starts.len(), self.variant_starts.len());
            let mark_before = after_mark;
            let mut plain = true;
            while i < n {
                let class = CLASS[bytes[i] as usize];
                if class & ALNUM != 0 {
                    let start = i;
                    let mut len = 0;
                    while i < n && CLASS[bytes[i] as usize] & ALNUM != 0 {
                        if len < lower.len() {
                            // `| 0x20` lowercases a capital, keeps a digit.
                            lower[len] = bytes[i] | 0x20;
                        }
                        len += 1;
                        i += 1;
                    }
                    let word = Word {
                        start: start as u32,
                        end: i as u32,
                        chunk_start: chunk_start as u32,
                        chunk_end: 0,
                        node: 0,
                        flags: if class & UPPER != 0 { CAPITAL } else { 0 },
                    };
                    let long = len > lower.len();
                    self.push(word, &lower[..len.min(lower.len())], long, text, scanner, variants, facts);
                    after_mark = false;
                } else if class & PUNCT != 0 {
                    if !after_mark {
                        let cs = chunk_start as u32;
                        self.words.push(Word { start: 0, end: 0, chunk_start: cs, chunk_end: 0, node: 0, flags: MARK });
                        after_mark = true;
                    }
                    i += 1;
                } else if class & SOFT != 0 {
                    i += 1;
                } else if class & CUT != 0 {
                    break;
                } else {
                    plain = false;
                    while i < n && CLASS[bytes[i] as usize] != CUT {
                        i += 1;
                    }
                    break;
                }
            }
            if !plain {
                self.words.truncate(first_word);
                self.starts.truncate(first_start);
                self.variant_starts.truncate(first_variant);
                after_mark = mark_before;
                self.folded_chunk(text, chunk_start, i, &mut after_mark, scanner, variants, facts);
            }
            for word in &mut self.words[first_word..] {
                word.chunk_end = i as u32;
            }
        }
    }

    /// Pushes `word`, with `folded` its folded bytes (the first 64 when
    /// `long`), marking whether it may start a key or a variant key.
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        mut word: Word,
        folded: &[u8],
        long: bool,
        text: &str,
        scanner: &Scanner,
        variants: Option<&Scanner>,
        facts: &Facts,
    ) {
        let owned;
        let folded = if long {
            owned = word_vec_of(text, &self.scratch, &word);
            owned.as_slice()
        } else {
            folded
        };
        let index = self.words.len() as u32;
        if let Some(node) = scanner.start_node(folded) {
            word.node = node;
            word.flags |= START;
            self.starts.push(index);
        }
        if let Some(variants) = variants {
            if word.flags & CAPITAL == 0 && is_particle_bytes(folded) {
                word.flags |= PARTICLE;
                if facts.variant_particles.iter().any(|p| p.as_bytes() == folded) {
                    word.flags |= VARIANT;
                }
            } else if word.flags & CAPITAL != 0
                && let Ok(w) = std::str::from_utf8(folded)
            {
                self.skeleton.clear();
                if skeleton_word(w, &mut self.skeleton) && variants.start_node(self.skeleton.as_bytes()).is_some() {
                    word.flags |= VARIANT;
                }
            }
            if word.flags & VARIANT != 0 {
                self.variant_starts.push(index);
            }
        }
        self.words.push(word);
    }

    /// The words of a chunk that is not plain ASCII: folded alone, exactly
    /// as folding the whole text folds it (whitespace on both sides resets
    /// every rule).
    #[allow(clippy::too_many_arguments)]
    fn folded_chunk(
        &mut self,
        text: &str,
        chunk_start: usize,
        chunk_end: usize,
        after_mark: &mut bool,
        scanner: &Scanner,
        variants: Option<&Scanner>,
        facts: &Facts,
    ) {
        let cs = chunk_start as u32;
        let mut chunk = std::mem::take(&mut self.chunk);
        fold_into(&text[chunk_start..chunk_end], CaseMode::Fold, &mut chunk);
        let folded = chunk.text.as_bytes();
        let mut caps = chunk.capitalised.iter().peekable();
        let mut pos = 1; // after the leading pad
        while pos < folded.len() {
            let end = pos + folded[pos..].iter().position(|&b| b == b' ').expect("folded text ends in a space");
            let word = &folded[pos..end];
            if word == b"|" {
                if !*after_mark {
                    self.words.push(Word { start: 0, end: 0, chunk_start: cs, chunk_end: 0, node: 0, flags: MARK });
                    *after_mark = true;
                }
            } else {
                while caps.next_if(|&&c| (c as usize) < pos).is_some() {}
                let capital = caps.peek().is_some_and(|&&c| c as usize == pos);
                let start = self.scratch.len() as u32;
                self.scratch.extend_from_slice(word);
                let end_s = self.scratch.len() as u32;
                let flags = FOLDED | if capital { CAPITAL } else { 0 };
                let w = Word { start, end: end_s, chunk_start: cs, chunk_end: 0, node: 0, flags };
                self.push(w, word, false, text, scanner, variants, facts);
                *after_mark = false;
            }
            pos = end + 1;
        }
        self.chunk = chunk;
    }
}

/// [`crate::text::skeleton::is_particle`] over bytes, without a UTF-8 check: the prefilter asks
/// it of every short lowercase word.
#[inline]
fn is_particle_bytes(word: &[u8]) -> bool {
    word.len() <= 4
        && matches!(
            word,
            b"al"
                | b"el"
                | b"ul"
                | b"as"
                | b"ash"
                | b"ad"
                | b"ar"
                | b"at"
                | b"az"
                | b"an"
                | b"ez"
                | b"es"
                | b"bin"
                | b"ibn"
                | b"bint"
                | b"abu"
                | b"abou"
                | b"of"
                | b"the"
                | b"in"
                | b"and"
                | b"for"
                | b"wa"
                | b"de"
        )
}

/// Adds the window of words `first..=last`, as whole chunks.
fn add(windows: &mut Vec<(usize, usize)>, words: &[Word], first: usize, last: usize) {
    let (start, end) = (words[first].chunk_start as usize, words[last].chunk_end as usize);
    match windows.last_mut() {
        Some(w) if start >= w.0 && start <= w.1 => w.1 = w.1.max(end),
        _ => windows.push((start, end)),
    }
}

/// The folded bytes of `word`.
#[inline]
fn word_bytes<'b>(
    text: &'b str,
    scratch: &'b [u8],
    word: &Word,
    lower: &'b mut [u8; 64],
    long: &'b mut Vec<u8>,
) -> &'b [u8] {
    if word.flags & MARK != 0 {
        return b"|";
    }
    let (start, end) = (word.start as usize, word.end as usize);
    if word.flags & FOLDED != 0 {
        return &scratch[start..end];
    }
    let original = &text.as_bytes()[start..end];
    let out: &mut [u8] = if original.len() <= lower.len() {
        &mut lower[..original.len()]
    } else {
        long.clear();
        long.resize(original.len(), 0);
        long.as_mut_slice()
    };
    for (o, &b) in out.iter_mut().zip(original) {
        // Letters and digits only: `| 0x20` lowercases a capital and leaves
        // the rest as they are.
        *o = b | 0x20;
    }
    out
}

/// The walk down the trie from word `first` (a [`START`] word): the index
/// of the last word of the longest scannable key, if any.
fn walk(scanner: &Scanner, text: &str, scratch: &[u8], words: &[Word], first: usize) -> Option<usize> {
    let mut node = words[first].node;
    let mut best = scanner.ends_key(node).then_some(first);
    let mut lower = [0u8; 64];
    let mut long = Vec::new();
    for (j, word) in words.iter().enumerate().skip(first + 1) {
        if !scanner.has_children(node) {
            break;
        }
        let bytes = word_bytes(text, scratch, word, &mut lower, &mut long);
        let Some(next) = scanner.next_node(node, bytes) else { break };
        node = next;
        if scanner.ends_key(node) {
            best = Some(j);
        }
    }
    best
}

/// The folded bytes of a long `word`, owned.
fn word_vec_of(text: &str, scratch: &[u8], word: &Word) -> Vec<u8> {
    let (start, end) = (word.start as usize, word.end as usize);
    if word.flags & FOLDED != 0 {
        scratch[start..end].to_vec()
    } else {
        text.as_bytes()[start..end].to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::skeleton::is_particle;

    #[test]
    fn particle_bytes_agree_with_particles() {
        for p in PARTICLES {
            assert!(is_particle_bytes(p.as_bytes()) && is_particle(p), "{p}");
        }
        for w in ["a", "als", "binti", "the ", "The", "off", "abus", "w", "de la"] {
            assert_eq!(is_particle_bytes(w.as_bytes()), is_particle(w), "{w}");
        }
    }
}
