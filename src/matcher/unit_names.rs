//! After stage 4 of [`super::extract`]: a place that opens the name of an
//! armed unit the dictionary does not know (rule 23). "Hamas's Rafah
//! Brigade", "the Jerusalem Brigade of Islamic Jihad", "the Gaza
//! Division": the outermost name is the unit's (the guidelines annotate
//! only the outermost name), so the place inside it is no mention. A unit
//! the dictionary knows is found whole by rule 3 and never reaches here.
//!
//! A mention whose entities are all places is dropped when the caller's
//! text writes, right after it (one space or no-break space), a unit noun
//! with a capital ([`UNIT_NOUNS`]: "Brigade", "Battalion", "Division" ...),
//! and the word after that noun, if any, is not capitalised: in a headline
//! written in capitals on every word ("Gaza Division Commander Killed")
//! the noun may be a headline's word, and the place stays.
//!
//! # Cost
//!
//! A type test per mention, and a look at the next two words for places.

use crate::{dictionary::Dictionary, vocabulary::Mention};

/// Nouns that make a place's name into an armed unit's.
const UNIT_NOUNS: &[&str] =
    &["Battalion", "Battalions", "Brigade", "Brigades", "Corps", "Division", "Regiment", "Squadron"];

/// Rule 23 over the linked mentions of `text`.
pub(super) fn drop_places_in_unit_names<'d>(
    dict: &'d Dictionary,
    text: &str,
    mut mentions: Vec<Mention<'d>>,
) -> Vec<Mention<'d>> {
    let is_place = |m: &Mention<'_>| match m.entity {
        Some(e) => dict.entity(e).is_place(),
        None => !m.candidates.is_empty() && m.candidates.iter().all(|&(e, _)| dict.entity(e).is_place()),
    };
    mentions.retain(|m| !(is_place(m) && opens_a_unit_name(&text[m.span.end..])));
    mentions
}

/// Whether `rest`, the text right after a place, goes on with a unit noun
/// that ends the name (module docs).
fn opens_a_unit_name(rest: &str) -> bool {
    let Some(rest) = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('\u{a0}')) else { return false };
    let end = rest.find(|c: char| !c.is_alphabetic()).unwrap_or(rest.len());
    if !UNIT_NOUNS.contains(&&rest[..end]) {
        return false;
    }
    let after = &rest[end..];
    let next = after.strip_prefix(' ').or_else(|| after.strip_prefix('\u{a0}'));
    !next.is_some_and(|n| n.chars().next().is_some_and(char::is_uppercase))
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "loc:rafah"
type = "LOC"
name = "Rafah"

[[entity]]
id = "loc:gaza"
type = "LOC"
name = "Gaza"

[[entity]]
id = "org:hamas"
type = "ORG"
name = "Hamas"

[[entity]]
id = "org:golani-brigade"
type = "ORG"
name = "Golani Brigade"
"#;

    /// (name, text, every mention as "text=id"), from sentences written for
    /// this table.
    const ROWS: &[(&str, &str, &[&str])] = &[
        ("a unit named after a place", "Hamas's Rafah Brigade fired mortars.", &["Hamas=org:hamas"]),
        (
            "a unit noun in small letters is a description",
            "The Rafah brigade of Hamas.",
            &["Rafah=loc:rafah", "Hamas=org:hamas"],
        ),
        ("a headline's capitals keep the place", "Gaza Division Commander Killed", &["Gaza=loc:gaza"]),
        ("at the end of a sentence", "Troops joined the Gaza Division.", &[]),
        (
            "a known unit is found whole",
            "The Golani Brigade entered Rafah.",
            &["Golani Brigade=org:golani-brigade", "Rafah=loc:rafah"],
        ),
        ("not a unit noun", "Rafah Crossing reopened.", &["Rafah=loc:rafah"]),
    ];

    #[test]
    fn places_inside_unit_names() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { unit_names: false, ..Default::default() },
        );
        assert_eq!(off_first, ["Hamas=org:hamas", "Rafah=loc:rafah"]);
    }
}
