//! Stage 5 of [`super::extract`]: spans in the caller's text. A
//! candidate's folded span is mapped back through the fold's offset map,
//! widened to what folding drops but the name holds (a transliterated ayn
//! before it, the alias's own trailing punctuation after it), and to whole
//! grapheme clusters, then counted in code points and UTF-16 units.
//!
//! # Invariant
//!
//! Every span lies on grapheme-cluster boundaries of the caller's text, and
//! the text at it is returned unchanged (property tests in `super::tests`).

use crate::dictionary::{Claim, Dictionary};

/// Bytes at the end of `before` (the text right before a mention) that open
/// its first word: a transliterated ayn or hamza ("ʿAbd al-Malik"), which
/// folding drops but which belongs to the name.
pub(super) fn leading_modifier_letters(before: &str) -> usize {
    let mut chars = before.chars().rev();
    match chars.next() {
        Some(c) if crate::text::is_modifier_apostrophe(c) && !chars.next().is_some_and(char::is_alphanumeric) => {
            c.len_utf8()
        }
        _ => 0,
    }
}

/// Bytes of `rest` (the text right after a mention) that continue the
/// alias: folding drops an alias's trailing punctuation ("U.S." folds to
/// " u s "), but the caller's span should hold it when the text has it.
pub(super) fn trailing_punctuation(dictionary: &Dictionary, target: &Claim, rest: &str) -> usize {
    dictionary
        .spellings(target)
        .map(|w| &w[w.trim_end_matches(|c: char| !c.is_alphanumeric()).len()..])
        .filter(|suffix| rest.starts_with(suffix))
        .map(str::len)
        .max()
        .unwrap_or(0)
}
