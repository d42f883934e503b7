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

use crate::{
    dictionary::{Claim, Dictionary, EntityIndex},
    text::offsets::{Span, UnitCounter, widen_to_graphemes},
    vocabulary::{Linking, MatchKind, Mention},
};

/// The span of a mention that a document rule (acronyms, list entries,
/// surname variants, generic tails) found at `[start, end)` of `text`,
/// widened to whole grapheme clusters like every other span: those rules
/// cut at words of the caller's text or at the offset map's ends, either of
/// which can fall before a combining mark (bug `span-inside-cluster`,
/// found by the fuzz target `rpc`: "Soleimf\u{304}ni\u{301}" lost its
/// acute).
pub(super) fn grapheme_span(units: &mut UnitCounter, text: &str, start: usize, end: usize) -> Span {
    let (start, end) = widen_to_graphemes(text, start, end);
    units.span(start, end)
}

/// `mentions` (in text order) with the short forms a document rule found
/// (acronyms, surname variants, first names): `(start, end, entity,
/// alias)` of `text`, each linked by the document, its span made by
/// [`grapheme_span`]; in text order again.
pub(super) fn add_document_short_forms<'d>(
    text: &str,
    mut mentions: Vec<Mention<'d>>,
    found: Vec<(usize, usize, EntityIndex, &'d str)>,
) -> Vec<Mention<'d>> {
    if found.is_empty() {
        return mentions;
    }
    let mut units = UnitCounter::new(text);
    mentions.extend(found.into_iter().map(|(start, end, entity, alias)| Mention {
        entity: Some(entity),
        linking: Linking::Document,
        candidates: Vec::new(),
        span: grapheme_span(&mut units, text, start, end),
        alias,
        kind: MatchKind::ShortForm,
    }));
    mentions.sort_by_key(|m| m.span.start);
    mentions
}

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
/// " u s "), but the caller's span should hold it when the text has it,
/// and the punctuation ends a word there: not when a letter or digit
/// follows it ("U.S.A" keeps "U.S"), or the span would end inside a word
/// (bug `glued-trailing-punct`, found by the fuzz target `matcher`). What
/// follows is read after the punctuation's grapheme cluster, since the span
/// is widened to it: "U.S.\u{301}A" and "U.S.\u{200d}A" keep "U.S" too.
pub(super) fn trailing_punctuation(dictionary: &Dictionary, target: &Claim, rest: &str) -> usize {
    dictionary
        .spellings(target)
        // Almost every spelling ends in a letter: no suffix, and no
        // Unicode class lookups to find that out.
        .filter(|w| !w.as_bytes().last().is_some_and(u8::is_ascii_alphanumeric))
        .map(|w| &w[w.trim_end_matches(|c: char| !c.is_alphanumeric()).len()..])
        .filter(|suffix| rest.starts_with(suffix) && ends_a_word(rest, suffix.len()))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Whether no letter or digit follows the grapheme cluster that holds
/// `rest[..at]`'s end.
fn ends_a_word(rest: &str, at: usize) -> bool {
    let (_, end) = widen_to_graphemes(rest, 0, at);
    !rest[end..].chars().next().is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{SourceText, build};

    /// (name, alias, text, the mention's span as text): the alias's own
    /// trailing punctuation joins the span only where it ends a word.
    const ROWS: &[(&str, &str, &str, &str)] = &[
        ("stop taken", "U.S.", "the U.S. said", "U.S."),
        ("stop taken at the end", "U.S.", "the U.S.", "U.S."),
        ("stop taken before a comma", "Corp.", "Acme Corp., Ltd", "Corp."),
        ("glued-trailing-punct: letter after", "U.S.", "the U.S.A said", "U.S"),
        ("glued-trailing-punct: letter after, one word", "Corp.", "Acme Corp.Ltd", "Corp"),
        ("glued-trailing-punct: digit after", "U.S.", "the U.S.2 said", "U.S"),
        ("no stop in the text", "U.S.", "the U.S said", "U.S"),
        ("glued-trailing-punct: mark, then a letter", "U.S.", "the U.S.\u{301}A said", "U.S"),
        ("glued-trailing-punct: joiner, then a letter", "U.S.", "the U.S.\u{200d}A said", "U.S"),
        ("stop and its mark taken", "U.S.", "the U.S.\u{301} said", "U.S.\u{301}"),
    ];

    /// span-inside-cluster (found by the fuzz target `rpc`): the spans of
    /// the document rules end on grapheme boundaries too, here a surname
    /// with one wrong letter (rule 17) written in decomposed form.
    #[test]
    fn document_rule_spans_keep_trailing_marks() {
        let toml = "[[entity]]\nid = \"per:qasem-soleimani\"\ntype = \"PER\"\nname = \"Qasem Soleimani\"\n";
        let dictionary = build(&[SourceText::new("people.toml", toml)]).expect("the dictionary builds");
        let text = "Qa\u{304}sem Soleima\u{304}ni\u{301} met JVsem Soleimf\u{304}ni\u{301} met J";
        let got: Vec<&str> = dictionary.extract(text).iter().map(|m| &text[m.span.start..m.span.end]).collect();
        assert_eq!(got, ["Qa\u{304}sem Soleima\u{304}ni\u{301}", "Soleimf\u{304}ni\u{301}"]);
    }

    #[test]
    fn trailing_punctuation_joins_only_where_it_ends_a_word() {
        for &(name, alias, text, want) in ROWS {
            let source = format!("{alias}\torg:x\n");
            let dictionary = build(&[SourceText::new("rows.tsv", source.as_str())]).expect("the dictionary builds");
            let got: Vec<&str> = dictionary.extract(text).iter().map(|m| &text[m.span.start..m.span.end]).collect();
            assert_eq!(got, [want], "{name}: {text:?}");
        }
    }
}
