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

use entex::text::Span;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// `ENTEX_FUZZ_STRICT=1`: the open bugs ([`OPEN_BUGS`]) fail the targets
/// too. Off by default so that a campaign can look past them for other
/// bugs; on, the first input that shows one is reported.
pub static STRICT: LazyLock<bool> = LazyLock::new(|| std::env::var_os("ENTEX_FUZZ_STRICT").is_some_and(|v| v == "1"));

/// Bugs the targets have shown that are not fixed yet: each is recognised
/// by its exact shape and let through (unless [`STRICT`]), so that a
/// campaign goes on finding others; each has a regression row in
/// `tests/open_bugs.rs`, ignored until its fix lands. Remove the entry
/// when the fix lands.
pub const OPEN_BUGS: &[&str] = &[
    // Owned by the lead, being fixed in the matcher.
    "nfd-mark-end: a span ends before the combining marks of its last letter (a name in NFD)",
    // Found by these targets.
    "extend-end: a span ends before other characters that extend its last grapheme cluster: \
     ZWJ/ZWNJ (format characters, dropped by folding), emoji modifiers (punctuation to folding)",
    "prepend-start: a span starts inside a grapheme cluster, after a part of it that is no \
     letter: a prepended format character (U+0600..U+0605, U+06DD, U+070F, U+08E2, U+110BD, \
     U+110CD) that folding drops, or a non-letter with marks before a mark that case-folds to a \
     letter (U+0345 to ι)",
    "glued-trailing-punct: an alias written with trailing punctuation (\"U.S.\") takes the \
     text's punctuation into its span even when a letter or digit follows it (\"U.S.A\" gives \
     \"U.S.\"), so the span is no whole word",
    "artefact-automaton-unchecked: an artefact whose checksum holds but whose automaton \
     disagrees with its keys loads; a scan then overflows in daachorse's Match::start, or yields \
     an empty match that OffsetMap::original_span asserts against (and maps to an inverted span)",
];

/// The byte offsets of `text` where a grapheme cluster starts, and its end.
pub fn grapheme_boundaries(text: &str) -> Vec<usize> {
    let mut bounds: Vec<usize> = text.grapheme_indices(true).map(|(i, _)| i).collect();
    bounds.push(text.len());
    bounds
}

/// Open bugs `nfd-mark-end` and `extend-end`: `end` is inside a grapheme
/// cluster, and the rest of the cluster is combining marks (Devanagari
/// vowel signs among them, which are alphabetic) or holds no letter or
/// digit: the span did not cut a word, it left out what clings to its last
/// letter.
pub fn known_end_bug(text: &str, bounds: &[usize], end: usize) -> bool {
    let next = match bounds.binary_search(&end) {
        Ok(_) => return false,
        Err(i) => bounds.get(i).copied().unwrap_or(text.len()),
    };
    !*STRICT
        && text.is_char_boundary(end)
        && text[end..next].chars().all(|c| is_combining_mark(c) || !c.is_alphanumeric())
}

/// Open bug `prepend-start`: `start` is inside a grapheme cluster, and the
/// part of the cluster before it is no letter of its own: characters that
/// are not letters or digits, and combining marks on them.
pub fn known_start_bug(text: &str, bounds: &[usize], start: usize) -> bool {
    let previous = match bounds.binary_search(&start) {
        Ok(_) | Err(0) => return false,
        Err(i) => bounds[i - 1],
    };
    !*STRICT
        && text.is_char_boundary(start)
        && text[previous..start].chars().all(|c| is_combining_mark(c) || !c.is_alphanumeric())
}

/// Open bug `glued-trailing-punct`: the span ends in punctuation (which
/// only rule 9 puts there) and a letter or digit follows it.
pub fn known_glued_punct_bug(text: &str, span: Span) -> bool {
    let last = text[..span.end].chars().next_back();
    let after = text[span.end..].chars().next();
    !*STRICT && last.is_some_and(|c| !c.is_alphanumeric()) && after.is_some_and(char::is_alphanumeric)
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
    let bounds = grapheme_boundaries(text);
    let is_bound = |pos: usize| bounds.binary_search(&pos).is_ok();
    let mut previous_end = 0;
    for span in spans {
        let Span { start, end, char_start, char_end, utf16_start, utf16_end } = span;
        assert!(start < end && end <= text.len(), "span {start}..{end} is empty or outside {text:?}");
        assert!(
            text.is_char_boundary(start) && text.is_char_boundary(end),
            "span {start}..{end} is not on char boundaries of {text:?}"
        );
        assert!(
            is_bound(start) || known_start_bug(text, &bounds, start),
            "span {start}..{end} starts inside a grapheme cluster of {text:?}"
        );
        assert!(
            is_bound(end) || known_end_bug(text, &bounds, end),
            "span {start}..{end} ends inside a grapheme cluster of {text:?}"
        );
        let inner = &text[start..end];
        assert!(inner.chars().any(char::is_alphanumeric), "span {start}..{end} ({inner:?}) holds no letter or digit");
        let before = &text[..start];
        assert_eq!(char_start, before.chars().count(), "char_start of {start}..{end} in {text:?}");
        assert_eq!(char_end, char_start + inner.chars().count(), "char_end of {start}..{end} in {text:?}");
        assert_eq!(utf16_start, before.encode_utf16().count(), "utf16_start of {start}..{end} in {text:?}");
        assert_eq!(utf16_end, utf16_start + inner.encode_utf16().count(), "utf16_end of {start}..{end} in {text:?}");
        assert!(start >= previous_end, "span {start}..{end} overlaps or precedes the one ending at {previous_end}");
        previous_end = end;
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
