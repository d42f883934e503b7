//! Inside stage 4 ([`super::linking`]): a person's one-word short form that
//! is one word of another person's name (rule 20). "Abbas Araghchi" ...
//! "Abbas Nilforoushan": the second "Abbas" is not the foreign minister's
//! first name but the given name of someone the dictionary does not know,
//! and "Rifaat Assad" is not Bashar. Rule 11 would link both to the
//! document's (or the dictionary's) Abbas or Assad.
//!
//! So a one-word short form whose claims are all persons yields nothing
//! when, in the same run of words (one space or no-break space between,
//! no punctuation, no line break), the word right before or after it
//! reads as a name no candidate covers:
//!
//! - written with a capital and small letters ("Nilforoushan", not "FM" or
//!   the capitals of a transcript's "SHAHEEN:");
//! - three letters or more;
//! - not an ordinary English word ("Says" in a headline, "Then" at a
//!   sentence start; [`crate::text::english`]), a title ("Minister",
//!   "Sheikh"), a particle ("al", "bin") or a day or month ("met Araghchi
//!   Tuesday").
//!
//! # Cost
//!
//! Nothing for a candidate that is not a person's one-word short form; for
//! one, two word cuts and a few set lookups. Covering candidates are looked
//! for among the three on each side (candidates are in text order), so a
//! document of many short forms stays linear.

use crate::{
    dictionary::Dictionary,
    text::{Folded, PUNCT_MARK, english::is_english_word, skeleton::is_particle, titles::is_title},
};

use super::candidates::Candidate;

/// Days and months: capitalised in English, not in the English word list
/// (which keeps only lower-case entries), and written right after a name
/// ("met Araghchi Tuesday").
const CALENDAR: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// How many candidates on each side may cover a neighbouring word: with
/// overlapping mentions (`OverlapPolicy::All`) a covering name may start a
/// few candidates back.
const NEAR: usize = 3;

/// Rule 20 for candidate `i` of `candidates` (folded spans): whether it is a
/// person's one-word short form beside a word of another name.
pub(super) fn beside_another_name(
    dict: &Dictionary,
    text: &str,
    folded: &Folded,
    candidates: &[Candidate<'_>],
    i: usize,
) -> bool {
    let candidate = &candidates[i];
    let f = folded.text.as_str();
    let (start, end) = (candidate.start, candidate.end);
    if f[start..end].contains(' ') || !candidate.claims.iter().all(|t| dict.entity(t.entity).is_person()) {
        return false;
    }
    let covered = |s: usize, e: usize| {
        candidates[i.saturating_sub(NEAR)..candidates.len().min(i + NEAR + 1)].iter().any(|c| c.start < e && s < c.end)
    };
    let after = (end + 1 < f.len()).then(|| (end + 1, f[end + 1..].find(' ').map_or(f.len(), |j| end + 1 + j)));
    let before = (start >= 2).then(|| (f[..start - 1].rfind(' ').map_or(0, |j| j + 1), start - 1));
    [before, after].into_iter().flatten().any(|(s, e)| {
        s < e && !covered(s, e) && reads_as_name(text, folded, s, e) && {
            // The two words are one run of the caller's text.
            let (left, right) = if s < start { ((s, e), (start, end)) } else { ((start, end), (s, e)) };
            let (_, gap_start) = folded.map.original_span(left.0, left.1);
            let (gap_end, _) = folded.map.original_span(right.0, right.1);
            gap_start < gap_end && text[gap_start..gap_end].chars().all(|c| c == ' ' || c == '\u{a0}')
        }
    })
}

/// Whether a folded word is a day or a month ([`CALENDAR`]).
pub(super) fn is_calendar_word(word: &str) -> bool {
    CALENDAR.contains(&word)
}

/// Whether the folded word `[s, e)` reads as a word of a name (module
/// docs).
fn reads_as_name(text: &str, folded: &Folded, s: usize, e: usize) -> bool {
    let word = &folded.text[s..e];
    if word.contains(PUNCT_MARK)
        || word.chars().count() < 3
        || !word.chars().all(char::is_alphabetic)
        || !folded.is_capitalised(s)
        || is_english_word(word)
        || is_title(word)
        || is_particle(word)
        || is_calendar_word(word)
    {
        return false;
    }
    let (os, oe) = folded.map.original_span(s, e);
    let mut letters = text[os..oe].chars().filter(|c| c.is_alphabetic());
    letters.next().is_some_and(char::is_uppercase) && letters.any(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{SourceText, build};

    const DICT: &str = r#"
[[entity]]
id = "per:abbas-araghchi"
type = "PER"
name = "Abbas Araghchi"
aliases = [{ text = "Abbas", short_form = true }]

[[entity]]
id = "per:bashar-al-assad"
type = "PER"
name = "Bashar al-Assad"
aliases = [{ text = "Assad", short_form = true, default = true }]

[[entity]]
id = "loc:tehran"
type = "LOC"
name = "Tehran"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "another person's given name",
            "Abbas Araghchi spoke. Later Abbas Nilforoushan spoke.",
            &["Abbas Araghchi=per:abbas-araghchi"],
        ),
        ("another person's surname", "Rifaat Assad left.", &[]),
        (
            "the short form alone",
            "Abbas Araghchi spoke. Later Abbas spoke.",
            &["Abbas Araghchi=per:abbas-araghchi", "Abbas=per:abbas-araghchi"],
        ),
        ("an English word in a headline", "Assad Says Talks Failed", &["Assad=per:bashar-al-assad"]),
        ("a title before", "President Assad spoke.", &["Assad=per:bashar-al-assad"]),
        ("a day after", "They met Assad Tuesday.", &["Assad=per:bashar-al-assad"]),
        ("a known name beside", "Tehran Assad", &["Tehran=loc:tehran", "Assad=per:bashar-al-assad"]),
        ("capitals beside", "FM Assad spoke.", &["Assad=per:bashar-al-assad"]),
        (
            "punctuation between",
            "In Damascus, Assad spoke; Assad, Nilforoushan.",
            &["Assad=per:bashar-al-assad", "Assad=per:bashar-al-assad"],
        ),
        ("a line between", "Assad\nNilforoushan", &["Assad=per:bashar-al-assad"]),
    ];

    #[test]
    fn a_short_form_beside_another_name() {
        let dict = build(&[SourceText::new("t.toml", DICT)]).unwrap();
        let on = crate::matcher::ExtractOptions::default();
        for (name, text, want) in ROWS {
            assert_eq!(crate::matcher::tests::rendered(&dict, text, &on), *want, "{name}: {text:?}");
        }
        let off = crate::matcher::ExtractOptions {
            rules: crate::matcher::MatchRules { other_names: false, ..Default::default() },
            ..Default::default()
        };
        assert_eq!(crate::matcher::tests::rendered(&dict, ROWS[1].1, &off), ["Assad=per:bashar-al-assad"]);
    }
}
