//! After stage 4 of [`super::extract`]: list entries written surname first
//! (rule 19). Sanctions lists, court dockets and annexes write a person as
//! "SINWAR, Yahya" or "AL-ATIFI, Mohammed Nasser": the surname in capitals,
//! a comma, the given names. The guidelines make that one mention. So a
//! surname in capitals (one to three words, four letters or more), a comma
//! and one to three capitalised given names, with "Given Surname" an alias
//! of a person, is one mention of that person, replacing whatever the
//! scan found inside it (the surname and the given name apart).
//!
//! # Cost
//!
//! One pass over the commas of the text; a fold and a lookup for each comma
//! after a word in capitals.

use crate::{
    dictionary::Dictionary,
    text::{CaseMode, UnitCounter, fold_key},
    vocabulary::{Linking, MatchKind, Mention},
};

/// Most words in the surname, and in the given names.
const MAX_WORDS: usize = 3;
/// Fewest letters in the surname: shorter capitals are acronyms.
const MIN_SURNAME_LETTERS: usize = 4;

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '-' | '\'' | '’')
}

/// The surname in capitals that ends right before byte `comma`, as its
/// byte start, if any.
fn capitals_before(text: &str, comma: usize) -> Option<usize> {
    let mut start = comma;
    let mut words = 0;
    loop {
        let word_start = text[..start]
            .rfind(|c: char| !is_name_char(c))
            .map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
        let word = &text[word_start..start];
        let upper =
            word.chars().any(char::is_alphabetic) && word.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
        if word.is_empty() || !upper {
            break;
        }
        start = word_start;
        words += 1;
        if words == MAX_WORDS || !text[..start].ends_with(' ') {
            break;
        }
        let before_space = start - 1;
        let prev_start = text[..before_space]
            .rfind(|c: char| !is_name_char(c))
            .map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
        let prev = &text[prev_start..before_space];
        let prev_upper =
            prev.chars().any(char::is_alphabetic) && prev.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
        if !prev_upper || prev.chars().filter(|c| c.is_alphabetic()).count() < 2 {
            break;
        }
        start = before_space;
    }
    let surname = &text[start..comma];
    (words > 0 && surname.chars().filter(|c| c.is_alphabetic()).count() >= MIN_SURNAME_LETTERS).then_some(start)
}

/// The given names after the comma at byte `comma` (", Given Names"): the
/// byte ends of the first one, two and three of them.
fn given_after(text: &str, comma: usize) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = comma + 1;
    if !text[at..].starts_with(' ') {
        return ends;
    }
    while ends.len() < MAX_WORDS && text[at..].starts_with(' ') {
        let start = at + 1;
        let end = text[start..].find(|c: char| !is_name_char(c)).map_or(text.len(), |i| start + i);
        let word = &text[start..end];
        let capitalised =
            word.chars().next().is_some_and(char::is_uppercase) && word.chars().skip(1).any(char::is_lowercase);
        if !capitalised {
            break;
        }
        ends.push(end);
        at = end;
    }
    ends
}

/// Rule 19 over the linked mentions of `text` (in text order).
pub(super) fn link_list_entries<'d>(
    dict: &'d Dictionary,
    text: &str,
    mut mentions: Vec<Mention<'d>>,
) -> Vec<Mention<'d>> {
    let mut entries = Vec::new();
    for (comma, _) in text.match_indices(',') {
        let Some(start) = capitals_before(text, comma) else { continue };
        let surname = &text[start..comma];
        for end in given_after(text, comma).into_iter().rev() {
            let name = format!("{} {surname}", &text[comma + 2..end]);
            let Some(key) = dict.key(&fold_key(&name, CaseMode::Fold)) else { continue };
            let mut people = dict
                .key_claims(key)
                .iter()
                .filter(|c| dict.entity(c.entity).is_person() && c.extract() && !c.short_form());
            if let (Some(claim), None) = (people.next(), people.next()) {
                entries.push((start, end, claim));
                break;
            }
        }
    }
    if entries.is_empty() {
        return mentions;
    }
    let mut units = UnitCounter::new(text);
    for (start, end, claim) in entries {
        mentions.retain(|m| m.span.end <= start || m.span.start >= end);
        mentions.push(Mention {
            entity: Some(claim.entity),
            linking: Linking::Unique,
            candidates: Vec::new(),
            span: super::spans::grapheme_span(&mut units, text, start, end),
            alias: dict.spelling(claim),
            kind: MatchKind::Normalized,
        });
    }
    mentions.sort_by_key(|m| m.span.start);
    mentions
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "per:dara-vollmer"
type = "PER"
name = "Dara Vollmer"

[[entity]]
id = "per:salim-al-rawi"
type = "PER"
name = "Salim Khalid al-Rawi"

[[entity]]
id = "loc:mosul"
type = "LOC"
name = "Mosul"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        ("surname first", "Annex: 1. VOLLMER, Dara (born 1971).", &["VOLLMER, Dara=per:dara-vollmer"]),
        (
            "article and two given names",
            "2. AL-RAWI, Salim Khalid, of Mosul.",
            &["AL-RAWI, Salim Khalid=per:salim-al-rawi", "Mosul=loc:mosul"],
        ),
        ("a list of places is not a name", "MOSUL, Dara said.", &["MOSUL=loc:mosul"]),
        (
            "running text keeps its order",
            "Dara Vollmer, Salim Khalid al-Rawi.",
            &["Dara Vollmer=per:dara-vollmer", "Salim Khalid al-Rawi=per:salim-al-rawi"],
        ),
    ];

    #[test]
    fn list_entries_surname_first() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { list_entries: false, ..Default::default() },
        );
        assert_ne!(off_first, ROWS[0].2);
    }
}
