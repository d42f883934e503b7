//! Target `fold`: [`entex::text::fold`] and its offset map, on any text.
//!
//! Checks, for the folded text of the input:
//!
//! - its shape (the crate doc of `entex::text`): padded with one space at
//!   each end, single spaces, and words of letters and digits or a lone
//!   punctuation mark `|`, never two marks in a row;
//! - every folded word maps back ([`OffsetMap::original_span`]) to a span
//!   that lies on grapheme-cluster boundaries of the input, holds a letter
//!   or digit (or a character whose compatibility decomposition does, such
//!   as `½` or `ﬁ`), and folds on its own to text that holds the word; the
//!   words' spans come in order;
//! - any folded span between char boundaries maps to a span on char
//!   boundaries, and the ascending [`entex::text::offsets::OffsetCursor`]
//!   answers exactly as the binary search;
//! - the recorded capitalised words are ascending word starts;
//! - `fold_key` (both case modes) is padded and never ends in a mark.

use entex::text::{
    CaseMode, Folded, OffsetMap, PUNCT_MARK, fold, fold_into, fold_key, offsets::widen_to_graphemes,
    stages::is_apostrophe,
};
use unicode_normalization::UnicodeNormalization;

use crate::{grapheme_boundaries, text_of, widening_clings};

pub fn init() {}

pub fn run(data: &[u8]) {
    let text = text_of(data);
    let folded = fold(&text);
    check_shape(&text, &folded.text);
    check_words(&text, &folded);
    check_spans_anywhere(&text, &folded.text, &folded.map, data);
    check_capitalised(&folded);

    let mut preserved = Folded::default();
    fold_into(&text, CaseMode::Preserve, &mut preserved);
    check_shape(&text, &preserved.text);
    for mode in [CaseMode::Fold, CaseMode::Preserve] {
        let key = fold_key(&text, mode);
        assert!(key.starts_with(' ') && key.ends_with(' '), "fold_key({text:?}) = {key:?} is not padded");
        let inner = key.trim_matches(' ');
        assert!(!inner.starts_with(PUNCT_MARK) && !inner.ends_with(PUNCT_MARK), "fold_key({text:?}) = {key:?}");
    }
}

/// Letters, digits, or a character whose compatibility decomposition holds
/// one (`½` folds to `1 | 2`, `㎏` to `kg`).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c.nfkd().any(char::is_alphanumeric)
}

fn check_shape(text: &str, folded: &str) {
    assert!(
        !folded.is_empty() && folded.starts_with(' ') && folded.ends_with(' '),
        "{text:?} folds unpadded: {folded:?}"
    );
    assert!(!folded.contains("  "), "{text:?} folds with a double space: {folded:?}");
    let mut previous_mark = false;
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        let mark = word == "|";
        assert!(
            mark || word.chars().all(char::is_alphanumeric),
            "{text:?} folds to a word {word:?} that is neither letters and digits nor a mark: {folded:?}"
        );
        assert!(!(mark && previous_mark), "{text:?} folds to two marks in a row: {folded:?}");
        previous_mark = mark;
    }
}

/// The folded words: (start, end) byte ranges, marks excluded.
fn words(folded: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in folded.char_indices() {
        match (c == ' ', start) {
            (true, Some(s)) => {
                if &folded[s..i] != "|" {
                    out.push((s, i));
                }
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

fn check_words(text: &str, folded: &Folded) {
    let bounds = grapheme_boundaries(text);
    let is_bound = |pos: usize| bounds.binary_search(&pos).is_ok();
    let mut previous = (0, 0);
    let mut cursor = folded.map.cursor();
    for (ws, we) in words(&folded.text) {
        let word = &folded.text[ws..we];
        let (os, oe) = folded.map.original_span(ws, we);
        assert_eq!(cursor.original_span(ws, we), (os, oe), "cursor and search disagree on word {word:?} of {text:?}");
        assert!(os < oe && oe <= text.len(), "word {word:?} of {text:?} maps to {os}..{oe}");
        assert!(text.is_char_boundary(os) && text.is_char_boundary(oe), "word {word:?} maps to {os}..{oe} in {text:?}");
        // The map may end a word inside a grapheme cluster (folding drops
        // a final combining mark or joiner, or a prepended format
        // character); the matcher widens every span to whole clusters
        // (`widen_to_graphemes`, the fix of nfd-mark-end, extend-end and
        // prepend-start), and that widening may take in only what clings
        // to the word, never another letter.
        let widened = widen_to_graphemes(text, os, oe);
        assert!(
            is_bound(widened.0) && is_bound(widened.1),
            "word {word:?} maps to {os}..{oe}, widened to {widened:?}, not grapheme boundaries of {text:?}"
        );
        assert!(
            widening_clings(text, (os, oe), widened),
            "word {word:?} maps to {os}..{oe}, widened to {widened:?}, which takes in another letter of {text:?}"
        );
        let original = &text[os..oe];
        assert!(original.chars().any(is_word_char), "word {word:?} maps to {original:?}, which has no letter or digit");
        // An apostrophe folds by what surrounds it (a possessive `'s` needs
        // a non-letter after it, and folding may drop that non-letter's
        // neighbour): the word's text alone can fold differently.
        let alone = fold(original).text;
        assert!(
            original.contains(is_apostrophe) || alone.contains(&format!(" {word} ")),
            "word {word:?} maps to {original:?}, which folds alone to {alone:?} (in {text:?})"
        );
        assert!(os >= previous.0 && oe >= previous.1, "word {word:?} maps to {os}..{oe}, before {previous:?}");
        previous = (os, oe);
    }
}

/// Spans between folded char boundaries chosen from the input: each maps to
/// char boundaries, and a cursor walked in ascending order agrees with the
/// binary search.
fn check_spans_anywhere(text: &str, folded: &str, map: &OffsetMap, data: &[u8]) {
    let bounds: Vec<usize> = folded.char_indices().map(|(i, _)| i).chain([folded.len()]).collect();
    if bounds.len() < 2 {
        return;
    }
    // A small deterministic generator seeded by the input.
    let mut state =
        data.iter().fold(0x9e37_79b9_7f4a_7c15_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    let mut next = |n: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let mut spans: Vec<(usize, usize)> = (0..32)
        .map(|_| {
            let a = next(bounds.len() - 1);
            let b = a + 1 + next(bounds.len() - 1 - a);
            (bounds[a], bounds[b])
        })
        .collect();
    spans.sort_unstable();
    let mut cursor = map.cursor();
    for &(s, e) in &spans {
        let (os, oe) = map.original_span(s, e);
        assert!(os <= oe && oe <= text.len(), "folded {s}..{e} maps to {os}..{oe} in {text:?}");
        assert!(
            text.is_char_boundary(os) && text.is_char_boundary(oe),
            "folded {s}..{e} maps to {os}..{oe} in {text:?}"
        );
        assert_eq!(cursor.original_span(s, e), (os, oe), "cursor disagrees on folded {s}..{e} of {text:?}");
    }
    // Out of order too: the cursor answers exactly, by a search.
    for &(s, e) in spans.iter().rev().take(4) {
        assert_eq!(cursor.original_span(s, e), map.original_span(s, e), "cursor going back, {s}..{e} of {text:?}");
    }
}

fn check_capitalised(folded: &Folded) {
    let text = &folded.text;
    assert!(folded.capitalised.windows(2).all(|w| w[0] < w[1]), "capitalised not ascending: {:?}", folded.capitalised);
    for &pos in &folded.capitalised {
        let pos = pos as usize;
        assert!(pos > 0 && pos < text.len() && text.is_char_boundary(pos), "capitalised at {pos} of {text:?}");
        assert_eq!(text.as_bytes()[pos - 1], b' ', "capitalised at {pos}, not a word start of {text:?}");
        assert!(text[pos..].starts_with(char::is_alphanumeric), "capitalised at {pos}, not a letter of {text:?}");
    }
}
