//! After stage 4 of [`super::extract`]: a person called by the first name
//! after the full name (rule 22). A briefing's transcript names "Karine
//! Jean-Pierre" once, then "Go ahead, Karine" and "Thanks, Karine"; a
//! profile names "Yahya Sinwar", then "Yahya". The first name is no alias
//! (most given names belong to thousands of people), so rules 11 and 16 do
//! not see it.
//!
//! A capitalised word no mention covers names a person when:
//!
//! - the document named that person in full before it, with the word as the
//!   first word of the mention or of the canonical name;
//! - no other person the document names in full has that first word;
//! - the dictionary knows no other person with that first name
//!   ([`crate::dictionary::Dictionary::first_name_persons`]): "Mohammed" or
//!   "Ali", the first word of many persons' names, never links this way;
//! - it is no key of the dictionary (its own rules decide a known name), no
//!   ordinary English word ("Will", "Mark"), title, particle, day or month,
//!   and has three letters or more;
//! - it is written with a capital and small letters, and is not one word of
//!   a longer name: the words right before and after it are not capitalised
//!   words ("Yahya Ayyash" is someone else).
//!
//! # Cost
//!
//! Nothing for a document without a person's full mention; otherwise a
//! fold-free check per capitalised word outside the mentions, and a hash
//! lookup for the few that equal a named person's first name.

use crate::{
    dictionary::{Dictionary, EntityIndex},
    text::{CaseMode, Folded, english::is_english_word, fold_key, skeleton::is_particle, titles::is_title},
    vocabulary::Mention,
};

/// Fewest letters of a first name linked alone ("Joe", "Jon").
const MIN_LETTERS: usize = 3;
/// Abbreviated days and months, folded ("Jan. 5" after "Jan Egeland"); the
/// full names are [`super::other_names::is_calendar_word`].
const CALENDAR_ABBREVIATIONS: &[&str] = &[
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed",
    "thu", "thur", "thurs", "fri", "sat", "sun",
];

/// A first name of a person the document named in full.
struct FirstName {
    entity: EntityIndex,
    /// Byte end of the person's first full mention.
    after: usize,
    /// Folded, without pads.
    folded: String,
}

/// The folded first word of a name, if it is a word of ASCII letters (a
/// hyphenated given name, "Abdul-Malik", folds to two words: none).
fn first_word(name: &str) -> Option<String> {
    let first = name.split_whitespace().next()?;
    let key = fold_key(first, CaseMode::Fold);
    let word = key.trim();
    (word.len() >= MIN_LETTERS && word.bytes().all(|b| b.is_ascii_lowercase())).then(|| word.to_owned())
}

/// Rule 22 over the linked mentions of `text` (in text order).
pub(super) fn link_first_names<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    mentions: Vec<Mention<'d>>,
) -> Vec<Mention<'d>> {
    let mut names: Vec<FirstName> = Vec::new();
    for (entity, after, full) in super::surnames::person_full_mentions(dict, text, &mentions) {
        // A one-word canonical name has no first name.
        for name in full.into_iter().filter(|n| n.split_whitespace().nth(1).is_some()) {
            if let Some(word) = first_word(name)
                && !names.iter().any(|n| n.entity == entity && n.folded == word)
            {
                names.push(FirstName { entity, after, folded: word });
            }
        }
    }
    // A first name two persons of the document share decides nothing.
    let shared: Vec<bool> =
        names.iter().map(|n| names.iter().any(|o| o.folded == n.folded && o.entity != n.entity)).collect();
    let mut shared = shared.into_iter();
    names.retain(|n| !shared.next().unwrap_or(true) && dict.first_name_persons(&n.folded) <= 1);
    if names.is_empty() {
        return mentions;
    }
    // First bytes of the names: most capitalised words are passed over
    // with one bit test, however many persons the document names.
    let mut first_bytes = [false; 256];
    for n in &names {
        first_bytes[usize::from(n.folded.as_bytes()[0])] = true;
    }
    let f = folded.text.as_str();
    let mut new: Vec<(usize, usize, EntityIndex, &'d str)> = Vec::new();
    let mut cursor = folded.map.cursor();
    let mut next = 0;
    for &cap in &folded.capitalised {
        let start = cap as usize;
        // The few first names are compared in place: no word search.
        let rest = &f.as_bytes()[start..];
        if !rest.first().is_some_and(|&b| first_bytes[usize::from(b)]) {
            continue;
        }
        let Some(name) =
            names.iter().find(|n| rest.starts_with(n.folded.as_bytes()) && rest.get(n.folded.len()) == Some(&b' '))
        else {
            continue;
        };
        let end = start + name.folded.len();
        let word = &f[start..end];
        let (o_start, o_end) = cursor.original_span(start, end);
        if o_start < name.after {
            continue;
        }
        while next < mentions.len() && mentions[next].span.end <= o_start {
            next += 1;
        }
        if mentions.get(next).is_some_and(|m| m.span.start < o_end) {
            continue;
        }
        let written = &text[o_start..o_end];
        let mut letters = written.chars();
        if !letters.next().is_some_and(char::is_uppercase)
            || !letters.any(char::is_lowercase)
            || is_english_word(word)
            || is_title(word)
            || is_particle(word)
            || super::other_names::is_calendar_word(word)
            || CALENDAR_ABBREVIATIONS.contains(&word)
            || dict.key(&f[start - 1..=end]).is_some()
            || beside_a_capitalised_word(text, o_start, o_end)
        {
            continue;
        }
        new.push((o_start, o_end, name.entity, dict.entity(name.entity).name()));
    }
    super::spans::add_document_short_forms(text, mentions, new)
}

/// Whether the word at `[start, end)` of `text` has a capitalised word
/// right before or after it, one space apart: one word of a longer name.
fn beside_a_capitalised_word(text: &str, start: usize, end: usize) -> bool {
    let capitalised = |word: &str| word.chars().next().is_some_and(char::is_uppercase);
    let before = text[..start].strip_suffix(' ').and_then(|b| b.rsplit(' ').next()).filter(|w| !w.is_empty());
    let after = text[end..].strip_prefix(' ').and_then(|a| a.split(' ').next()).filter(|w| !w.is_empty());
    // A word that ends a sentence before ("said. Karine") is no neighbour.
    before.is_some_and(|w| capitalised(w) && w.chars().last().is_some_and(char::is_alphabetic))
        || after.is_some_and(|w| capitalised(w) && !is_english_word(&w.to_lowercase()))
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "per:karine-jean-pierre"
type = "PER"
name = "Karine Jean-Pierre"

[[entity]]
id = "per:yahya-sinwar"
type = "PER"
name = "Yahya Sinwar"

[[entity]]
id = "per:mohammed-bin-salman"
type = "PER"
name = "Mohammed bin Salman"

[[entity]]
id = "per:mohammed-deif"
type = "PER"
name = "Mohammed Deif"

[[entity]]
id = "per:jan-egeland"
type = "PER"
name = "Jan Egeland"

[[entity]]
id = "per:will-todman"
type = "PER"
name = "Will Todman"
"#;

    /// (name, text, every mention as "text=id"), from sentences written for
    /// this table.
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "a transcript's first name after the full name",
            "Press Secretary Karine Jean-Pierre took questions.\nQ: Thanks, Karine. Is there a deal?",
            &["Karine Jean-Pierre=per:karine-jean-pierre", "Karine=per:karine-jean-pierre"],
        ),
        (
            "not before the full name",
            "Karine spoke first. Karine Jean-Pierre followed.",
            &["Karine Jean-Pierre=per:karine-jean-pierre"],
        ),
        (
            "one word of another name",
            "Yahya Sinwar was killed. Yahya Ayyash was killed in 1996.",
            &["Yahya Sinwar=per:yahya-sinwar"],
        ),
        (
            "a first name the dictionary gives two persons",
            "Mohammed bin Salman met envoys. Mohammed said no.",
            &["Mohammed bin Salman=per:mohammed-bin-salman"],
        ),
        ("an English word", "Will Todman wrote it. Will it last?", &["Will Todman=per:will-todman"]),
        ("in capitals", "Yahya Sinwar spoke. YAHYA SAID NO.", &["Yahya Sinwar=per:yahya-sinwar"]),
        ("a month's abbreviation", "Jan Egeland spoke. Talks resume on Jan. 5.", &["Jan Egeland=per:jan-egeland"]),
        (
            "after the full name",
            "Yahya Sinwar planned the raid, and Yahya chose its date.",
            &["Yahya Sinwar=per:yahya-sinwar", "Yahya=per:yahya-sinwar"],
        ),
    ];

    #[test]
    fn first_names_after_the_full_name() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { first_names: false, ..Default::default() },
        );
        assert_eq!(off_first, ["Karine Jean-Pierre=per:karine-jean-pierre"]);
    }
}
