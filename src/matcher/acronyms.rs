//! After stage 4 of [`super::extract`]: acronyms defined in the document
//! (rule 13). "the Federal Supreme Court (FSC) … FSC judges": a short form
//! in parentheses right after a mention, whose letters spell that mention's
//! words, names the mention's entity at the definition and everywhere after
//! it in the document, whether or not the dictionary knows the acronym, and
//! over what the dictionary would link it to otherwise.
//!
//! # The check
//!
//! Abbreviation-definition detection after Schwartz and Hearst (2003, "A
//! simple algorithm for identifying abbreviation definitions in biomedical
//! text"), made stricter because a wrong link costs more here than a missed
//! one: every letter of the short form is found, in order, in the long
//! form, and the letters are grouped by word — each word of the long form
//! gives one or more consecutive letters of the short form, its first
//! letter from the word's initial, the rest from inside the word (a capital
//! there only from a capital); only function words ("of", "the", "al-",
//! "du") may give none. So "CoR" is
//! "Council of Representatives", "BdL" "Banque du Liban", "JOC" "Joint
//! Operations Command", but "FPC" is not "Federal Police" (a letter is
//! left) and "IS" is not "Islamic Revolutionary Guard Corps" (words are
//! left).
//!
//! A short form is one token of 2 to 10 letters and digits, starting with a
//! capital and holding at least two. Later occurrences match case and whole
//! word exactly ("CoR", not "cor" or "CoRs").
//!
//! # Cost
//!
//! Nothing unless the document has a parenthesis right after a mention;
//! then one search of the document per acronym defined.

use crate::{
    dictionary::Dictionary,
    vocabulary::{Linking, MatchKind, Mention},
};

/// Longest short form considered, in characters: acronyms are short.
const MAX_SHORT_FORM: usize = 10;

/// Rule 13 over the linked mentions of `text` (in text order); returns them
/// with the acronyms' occurrences linked or added, in text order.
pub(super) fn link_defined<'d>(dict: &'d Dictionary, text: &str, mut mentions: Vec<Mention<'d>>) -> Vec<Mention<'d>> {
    // (definition's byte start, short form, entity, alias)
    let mut definitions = Vec::new();
    for m in &mentions {
        let Some(entity) = m.entity else { continue };
        let Some((at, short)) = parenthesised_after(&text[m.span.end..]) else { continue };
        if defines(short, &text[m.span.start..m.span.end]) {
            definitions.push((m.span.end + at, short, entity, dict.entity(entity).name()));
        }
    }
    if definitions.is_empty() {
        return mentions;
    }
    let mut added: Vec<(usize, usize, usize)> = Vec::new(); // (start, end, definition)
    for (d, &(from, short, _, _)) in definitions.iter().enumerate() {
        for (start, _) in text[from..].match_indices(short) {
            let (start, end) = (from + start, from + start + short.len());
            let whole_word = !text[..start].chars().next_back().is_some_and(char::is_alphanumeric)
                && !text[end..].chars().next().is_some_and(char::is_alphanumeric);
            // A later definition of the same letters takes over from here.
            let current = !definitions[d + 1..].iter().any(|&(f, s, _, _)| s == short && f <= start);
            if whole_word && current {
                added.push((start, end, d));
            }
        }
    }
    added.sort_unstable();
    let mut new = Vec::new();
    for (start, end, d) in added {
        let (_, _, entity, alias) = definitions[d];
        let first_after = mentions.partition_point(|m| m.span.start < start);
        let exact = mentions.get(first_after).filter(|m| m.span.start == start && m.span.end == end);
        if let Some(existing) = exact {
            if existing.entity != Some(entity) {
                let at = first_after;
                let m = &mut mentions[at];
                m.entity = Some(entity);
                m.linking = Linking::Document;
                m.kind = MatchKind::ShortForm;
                m.candidates = Vec::new();
            }
            continue;
        }
        let overlaps = first_after.checked_sub(1).is_some_and(|i| mentions[i].span.end > start)
            || mentions.get(first_after).is_some_and(|m| m.span.start < end);
        if !overlaps {
            new.push((start, end, entity, alias));
        }
    }
    super::spans::add_document_short_forms(text, mentions, new)
}

/// The short form in parentheses at the start of `rest` (after at most one
/// space), with its byte offset in `rest`.
fn parenthesised_after(rest: &str) -> Option<(usize, &str)> {
    let open = match rest.as_bytes() {
        [b'(', ..] => 1,
        [b' ', b'(', ..] => 2,
        _ if rest.starts_with("\u{a0}(") => 3,
        _ => return None,
    };
    let close = rest[open..].find(')')? + open;
    let short = &rest[open..close];
    let letters = short.chars().count();
    let capitals = short.chars().filter(|c| c.is_uppercase()).count();
    let shaped = (2..=MAX_SHORT_FORM).contains(&letters)
        && short.chars().all(char::is_alphanumeric)
        && short.chars().next().is_some_and(char::is_uppercase)
        && capitals >= 2;
    shaped.then_some((open, short))
}

/// Words that may give no letter to an acronym.
fn is_function_word(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "of" | "the"
            | "and"
            | "for"
            | "in"
            | "on"
            | "to"
            | "a"
            | "an"
            | "&"
            | "al"
            | "el"
            | "du"
            | "de"
            | "des"
            | "la"
            | "le"
            | "der"
            | "die"
            | "von"
    )
}

/// Whether `short` abbreviates `long` (module docs, "The check").
pub(super) fn defines(short: &str, long: &str) -> bool {
    let words: Vec<&str> = long
        .split(|c: char| c.is_whitespace() || c == '-' || c == '‐')
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
        .collect();
    let short: Vec<char> = short.chars().collect();
    words.len() >= 2 && spells(&short, &words)
}

/// Whether the acronym letter `short` may be the word's letter `letter`:
/// an initial in any case; inside a word, a capital only for a capital
/// ("UN" in "UN Interim Force"), so "FPC" is not "Federal Police".
fn same_letter(short: char, letter: char, initial: bool) -> bool {
    if !initial && short.is_uppercase() && !letter.is_uppercase() {
        return false;
    }
    short.to_lowercase().eq(letter.to_lowercase())
}

/// Whether the letters `short` are given, in order, by `words`: each word
/// one or more consecutive letters, the first its initial; a function word
/// may give none.
fn spells(short: &[char], words: &[&str]) -> bool {
    let Some((word, rest)) = words.split_first() else { return short.is_empty() };
    if is_function_word(word) && spells(short, rest) {
        return true;
    }
    let letters: Vec<char> = word.chars().collect();
    let (Some((&initial, inside)), Some(&first)) = (letters.split_first(), short.first()) else { return false };
    if !same_letter(first, initial, true) {
        return false;
    }
    // The word gives short[..k]: the initial, then k - 1 letters from inside
    // it, in order (taken as early as possible, which leaves the most).
    let mut position = 0;
    for k in 1..=short.len() {
        if k > 1 {
            let Some(found) = inside[position..].iter().position(|&c| same_letter(short[k - 1], c, false)) else {
                break;
            };
            position += found + 1;
        }
        if spells(&short[k..], rest) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{SourceText, build};

    /// (name, short form, long form, defines)
    const DEFINITIONS: &[(&str, &str, &str, bool)] = &[
        ("initials", "JOC", "Joint Operations Command", true),
        ("function word skipped", "OFAC", "Office of Foreign Assets Control", true),
        ("function word in lower case gives a letter", "CoR", "Council of Representatives", true),
        ("French article", "BdL", "Banque du Liban", true),
        ("hyphenated words", "CTS", "Counter-Terrorism Service", true),
        ("two letters from one word", "NaTO", "Nahrain Treaty Organisation", true),
        ("a capital inside a word", "UNIF", "UN Interim Force", true),
        ("a letter left over", "FPC", "Federal Police", false),
        ("a word left over", "IS", "Islamic Revolutionary Guard Corps", false),
        ("wrong initial", "XRT", "Joint Operations Command", false),
        ("order matters", "CJO", "Joint Operations Command", false),
        ("one word is not a definition", "HZ", "Hezbollah", false),
    ];

    #[test]
    fn definition_check() {
        for (name, short, long, want) in DEFINITIONS {
            assert_eq!(defines(short, long), *want, "{name}: {short:?} for {long:?}");
        }
    }

    const DICT: &str = r#"
[[entity]]
id = "org:tigris-river-authority"
type = "ORG"
name = "Tigris River Authority"

[[entity]]
id = "org:tigris-regional-army"
type = "ORG"
name = "Tigris Regional Army"
aliases = ["TRA"]

[[entity]]
id = "org:high-electoral-board"
type = "ORG"
name = "High Electoral Board"

[[entity]]
id = "loc:mosul"
type = "LOC"
name = "Mosul"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "acronym unknown to the dictionary",
            "The High Electoral Board (HEB) met in Mosul. HEB officials later said the count was final.",
            &[
                "High Electoral Board=org:high-electoral-board",
                "HEB=org:high-electoral-board",
                "Mosul=loc:mosul",
                "HEB=org:high-electoral-board",
            ],
        ),
        (
            "the document's definition beats the dictionary's",
            "Engineers of the Tigris River Authority (TRA) inspected the dam; the TRA said it held.",
            &[
                "Tigris River Authority=org:tigris-river-authority",
                "TRA=org:tigris-river-authority",
                "TRA=org:tigris-river-authority",
            ],
        ),
        ("no definition, the dictionary decides", "The TRA said it held.", &["TRA=org:tigris-regional-army"]),
        (
            "letters that do not spell the name",
            "The High Electoral Board (HB) met. HB officials spoke.",
            &["High Electoral Board=org:high-electoral-board"],
        ),
        (
            "before the definition, nothing",
            "HEB officials spoke after the High Electoral Board (HEB) met.",
            &["High Electoral Board=org:high-electoral-board", "HEB=org:high-electoral-board"],
        ),
        (
            "whole words, same case only",
            "The High Electoral Board (HEB) met; HEBS and heb are not it.",
            &["High Electoral Board=org:high-electoral-board", "HEB=org:high-electoral-board"],
        ),
        (
            "a parenthesis that is not an acronym",
            "The High Electoral Board (in Mosul) met.",
            &["High Electoral Board=org:high-electoral-board", "Mosul=loc:mosul"],
        ),
    ];

    fn render(dict: &Dictionary, text: &str, options: &super::super::ExtractOptions) -> Vec<String> {
        super::super::extract(dict, text, options)
            .iter()
            .map(|m| format!("{}={}", &text[m.span.start..m.span.end], m.entity.map_or("", |e| dict.entity(e).id())))
            .collect()
    }

    #[test]
    fn acronyms_defined_in_the_document() {
        let dict = build(&[SourceText::new("t.toml", DICT)]).unwrap();
        let options = super::super::ExtractOptions::default();
        for (name, text, want) in ROWS {
            assert_eq!(render(&dict, text, &options), *want, "{name}: {text:?}");
        }
        // Switched off, only the dictionary links.
        let off = super::super::ExtractOptions {
            rules: super::super::MatchRules { document_acronyms: false, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(
            render(&dict, ROWS[1].1, &off),
            [
                "Tigris River Authority=org:tigris-river-authority",
                "TRA=org:tigris-regional-army",
                "TRA=org:tigris-regional-army"
            ]
        );
    }
}
