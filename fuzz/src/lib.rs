//! entex's fuzz targets, as plain functions: each `run(data)` takes one
//! input of arbitrary bytes, drives one part of entex with it, and panics
//! when a property fails. The binaries in `src/bin/` hand AFL++'s inputs to
//! them (`cargo afl build --features afl`); the tests replay the committed
//! corpora and the regression rows through the same functions with plain
//! `cargo test`. See docs/fuzzing.md for how to run them and what each
//! target holds entex to.
//!
//! | target | drives | with |
//! |---|---|---|
//! | [`fold`] | `text::fold` and its `OffsetMap` | any text |
//! | [`matcher`] | `Dictionary::extract` | a small random dictionary against a simple reference |
//! | [`dictionary`] | every dictionary parser and `dictionary::build` | up to three sources of any format |
//! | [`artefact`] | `artefact::from_bytes` | corrupted artefacts, with and without a valid checksum |
//! | [`rpc`] | request decoding and `service::convert` | arbitrary bytes as each RPC's request |
//!
//! Every target checks mention spans with [`check_spans`]: the offset
//! invariant, on grapheme-cluster boundaries.

#![forbid(unsafe_code)]

pub mod artefact;
pub mod dictionary;
pub mod fold;
pub mod matcher;
pub mod rpc;

use std::sync::LazyLock;

use entex::text::{Span, stages::is_dropped};
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// `ENTEX_FUZZ_STRICT=1`: the open bugs ([`OPEN_BUGS`]) fail the targets
/// too. Off by default so that a campaign can look past them for other
/// bugs; on, the first input that shows one is reported.
pub static STRICT: LazyLock<bool> = LazyLock::new(|| std::env::var_os("ENTEX_FUZZ_STRICT").is_some_and(|v| v == "1"));

/// Bugs the targets have shown that are not fixed yet: each is recognised
/// by its exact shape (a `known_*` function that returns `false` under
/// [`STRICT`]) and let through, so that a campaign goes on finding others;
/// each has a regression row in `tests/bugs.rs`, ignored until its fix
/// lands. Remove the entry and its shape when the fix lands.
///
/// None open. Fixed, with rows in `tests/bugs.rs` that run: `nfd-mark-end`,
/// `extend-end` and `prepend-start` (by widening spans to grapheme
/// clusters), `glued-trailing-punct` (`matcher/spans.rs`),
/// `artefact-automaton-unchecked` (the scanner's load check), and
/// `ypogegrammeni-word` and `prepend-letter` (folding's cluster rule,
/// `src/text`).
pub const OPEN_BUGS: &[&str] = &[];

/// The byte offsets of `text` where a grapheme cluster starts, and its end.
pub fn grapheme_boundaries(text: &str) -> Vec<usize> {
    let mut bounds: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
    bounds.push(text.len());
    bounds
}

/// Whether `[start, end)`, widened to grapheme clusters as `widened`,
/// gained only what clings to its own letters: before it, characters that
/// are no letter or digit (a prepended format character such as U+0600)
/// and marks; after it, the same, and characters that extend the cluster
/// before them (Grapheme_Cluster_Break Extend or SpacingMark: Devanagari
/// vowel signs, Thai SARA AM, which are letters that folding drops where
/// they follow no word). On both sides, characters that folding drops
/// belong to no word and cling too (a tatweel in the cluster of a
/// prepended letter: `"\u{d4e}\u{640}"`, fold campaign of a6a4e06).
/// Widening must never take in another word's letter.
pub fn widening_clings(text: &str, (start, end): (usize, usize), widened: (usize, usize)) -> bool {
    let clings = |c: char| is_combining_mark(c) || !c.is_alphanumeric() || is_dropped(c);
    widened.0 <= start
        && end <= widened.1
        && text[widened.0..start].chars().all(clings)
        && text[end..widened.1].chars().all(|c| clings(c) || extends_cluster(c))
}

/// `c` joins the grapheme cluster of the character before it.
pub fn extends_cluster(c: char) -> bool {
    format!("a{c}").graphemes(true).count() == 1
}

/// Checks the spans of one document's mentions, in the order returned,
/// against the offset invariant: each lies on grapheme-cluster boundaries
/// of `text` (so on char boundaries), is not empty, holds a letter or a
/// digit, and counts the same code points and UTF-16 units as its bytes;
/// the spans come in order and do not overlap.
///
/// # Panics
///
/// On the first span that breaks a rule, with the text and the span.
pub fn check_spans(text: &str, spans: impl IntoIterator<Item = Span>) {
    check_spans_with(text, spans, false);
}

/// [`check_spans`] for a request with `OVERLAP_POLICY_ALL`: spans may nest
/// and overlap, and come ordered by start (longer first at one start).
///
/// # Panics
///
/// On the first span that breaks a rule, with the text and the span.
pub fn check_spans_overlapping(text: &str, spans: impl IntoIterator<Item = Span>) {
    check_spans_with(text, spans, true);
}

fn check_spans_with(text: &str, spans: impl IntoIterator<Item = Span>, overlapping: bool) {
    let bounds = grapheme_boundaries(text);
    let is_bound = |pos: usize| bounds.binary_search(&pos).is_ok();
    let mut previous_end = 0;
    let mut previous = None;
    for span in spans {
        let Span { start, end, char_start, char_end, utf16_start, utf16_end } = span;
        assert!(start < end && end <= text.len(), "span {start}..{end} is empty or outside {text:?}");
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "span {start}..{end} is not on char boundaries of {text:?}"
        );
        assert!(is_bound(start), "span {start}..{end} starts inside a grapheme cluster of {text:?}");
        assert!(is_bound(end), "span {start}..{end} ends inside a grapheme cluster of {text:?}");
        let inner = &text[start..end];
        assert!(inner.chars().any(char::is_alphanumeric), "span {start}..{end} ({inner:?}) holds no letter or digit");
        let before = &text[..start];
        assert_eq!(char_start, before.chars().count(), "char_start of {start}..{end} in {text:?}");
        assert_eq!(char_end, char_start + inner.chars().count(), "char_end of {start}..{end} in {text:?}");
        assert_eq!(utf16_start, before.encode_utf16().count(), "utf16_start of {start}..{end} in {text:?}");
        assert_eq!(utf16_end, utf16_start + inner.encode_utf16().count(), "utf16_end of {start}..{end} in {text:?}");
        if overlapping {
            if let Some((p_start, p_end)) = previous {
                assert!(
                    (p_start, std::cmp::Reverse(p_end)) <= (start, std::cmp::Reverse(end)),
                    "span {start}..{end} out of order after {p_start}..{p_end}"
                );
            }
        } else {
            assert!(start >= previous_end, "span {start}..{end} overlaps or precedes the one ending at {previous_end}");
        }
        previous_end = end;
        previous = Some((start, end));
    }
}

/// Reads the input front to back: small numbers for the structure of a
/// test case, then whatever is left as text. Past the end it yields zeros,
/// so every input, even empty, is a valid case.
pub struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { rest: data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    pub fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// Input bytes as text: UTF-8 as is, anything else with U+FFFD for each
/// bad sequence (sources and requests reach entex as valid UTF-8 only).
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
