//! Between stages 3 and 4 of [`super::extract`]: middle initials and middle
//! names (rule 17). "Dara K. Vollmer", "Faisal bin Rashid Mansour": a person
//! the dictionary knows as "First Last" is often written with one or two
//! words between. The scan then finds only the surname (a short form, rule
//! 11), and the span misses the name, or the surname, shared by namesakes,
//! links to none. So a candidate of a person's surname, right after one or
//! two middle words (an initial, a capitalised name, or `bin`/`ibn` and a
//! name) and a capitalised first name, becomes a candidate of the whole when
//! "First Last" is an alias of a person: the first name decides.
//!
//! # Cost
//!
//! Nothing for candidates other than persons' short forms; for those, a look
//! at the four folded words before, and a lookup per possible first name (at
//! most two).

use super::candidates::{Candidate, KeptClaims};
use crate::{
    dictionary::{Claim, Dictionary, Selection},
    text::{Folded, PUNCT_MARK},
};

/// Most words between a first name and a surname.
const MAX_MIDDLES: usize = 2;

/// The folded words right before folded position `start` (a word start),
/// nearest first, as (start, end); a punctuation mark right after a
/// one-letter word (the full stop of an initial) is skipped, any other
/// stops the walk.
fn words_before(text: &str, start: usize, most: usize) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut end = start.saturating_sub(1); // the space before the word
    let mut after_mark = false;
    while words.len() < most && end > 0 {
        let word_start = text[..end].rfind(' ').map_or(0, |i| i + 1);
        let word = &text[word_start..end];
        if word.is_empty() {
            break;
        }
        if word == PUNCT_MARK.to_string() {
            if after_mark || words.len() >= most {
                break;
            }
            after_mark = true;
        } else {
            if after_mark && word.chars().count() != 1 {
                break;
            }
            after_mark = false;
            words.push((word_start, end));
        }
        end = word_start.saturating_sub(1);
    }
    words
}

/// Rule 17 over the candidates (in text order, never overlapping).
pub(super) fn extend_middle_names<'d>(
    dict: &'d Dictionary,
    folded: &Folded,
    mut candidates: Vec<Candidate<'d>>,
    selection: Selection,
) -> Vec<Candidate<'d>> {
    let text = folded.text.as_str();
    let capitalised = |at: usize| folded.is_capitalised(at);
    for i in 0..candidates.len() {
        let c = &candidates[i];
        let surname = &text[c.start..c.end];
        let persons_short_form =
            c.claims.first().is_some() && c.claims.iter().all(|t| t.short_form() && dict.entity(t.entity).is_person());
        if !persons_short_form || surname.contains(' ') {
            continue;
        }
        let previous_end = i.checked_sub(1).map_or(0, |p| candidates[p].end);
        let words = words_before(text, c.start, MAX_MIDDLES + 1);
        let mut found = None;
        // words[..k] are the middles (nearest first), words[k] the first name.
        for k in 1..=MAX_MIDDLES.min(words.len().saturating_sub(1)) {
            let middles_ok = words[..k].iter().enumerate().all(|(j, &(s, e))| {
                let w = &text[s..e];
                // `bin` only opens the middles, before a name ("bin Rashid").
                w.chars().count() == 1 || capitalised(s) || (matches!(w, "bin" | "ibn") && k == 2 && j == 1)
            });
            let (first_start, first_end) = words[k];
            if !middles_ok || !capitalised(first_start) || first_start <= previous_end {
                continue;
            }
            let key = format!(" {} {surname} ", &text[first_start..first_end]);
            let Some(k) = dict.key(&key) else { continue };
            if selection.sees(dict.key_ignore(k)) {
                continue;
            }
            let people: Vec<&'d Claim> = dict
                .key_claims(k)
                .iter()
                .filter(|t| {
                    dict.entity(t.entity).is_person()
                        && t.extract()
                        && !t.short_form()
                        && dict.case_forms(t).is_none()
                        && dict.after(t).is_none()
                        && selection.sees(dict.claim_dictionaries(t))
                })
                .collect();
            if people.len() == 1 {
                found = Some((first_start, people));
                break;
            }
        }
        if let Some((start, people)) = found {
            let c = &mut candidates[i];
            c.start = start;
            c.claims = KeptClaims::Picked(people);
        }
    }
    candidates
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "per:dara-vollmer"
type = "PER"
name = "Dara Vollmer"

[[entity]]
id = "per:faisal-mansour"
type = "PER"
name = "Faisal Mansour"

[[entity]]
id = "per:ines-vollmer"
type = "PER"
name = "Ines Vollmer"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        ("middle initial", "Envoy Dara K. Vollmer arrived.", &["Dara K. Vollmer=per:dara-vollmer"]),
        ("middle name", "Envoy Dara Kristin Vollmer arrived.", &["Dara Kristin Vollmer=per:dara-vollmer"]),
        ("two initials", "Dara K. L. Vollmer arrived.", &["Dara K. L. Vollmer=per:dara-vollmer"]),
        ("patronymic", "Faisal bin Rashid Mansour spoke.", &["Faisal bin Rashid Mansour=per:faisal-mansour"]),
        (
            "the first name decides between namesakes",
            "Dara Vollmer met Ines J. Vollmer.",
            &["Dara Vollmer=per:dara-vollmer", "Ines J. Vollmer=per:ines-vollmer"],
        ),
        ("no first name the dictionary knows", "Then Mark T. Vollmer left.", &[]),
        ("a sentence between", "It was Dara. K. Vollmer left.", &[]),
    ];

    #[test]
    fn middle_initials_and_names() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { middle_names: false, ..Default::default() },
        );
        assert_eq!(off_first, Vec::<String>::new());
    }
}
