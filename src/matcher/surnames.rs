//! After stage 4 of [`super::extract`]: a person's surname written another
//! way later in the document (rule 16). "Ahmed al-Jubouri … Jubouri" is
//! rule 11, but "Waad Qado … Qadu", "Hisham al-Hashimi … Hashemi" and a
//! transcript's "Khamenie" are neither an alias nor a derived surname. A
//! capitalised word that the dictionary does not know (or knows only as
//! other persons' names, none of them linked here: [`known_otherwise`]),
//! after a person's full mention, names that person when it is a spelling
//! of the surname the mention was written with (or the person's canonical
//! surname):
//!
//! - a romanisation variant: the same skeleton ([`crate::text::skeleton`]);
//! - a one-letter slip (one edit) in a surname of six letters or more,
//!   where a slip is no longer likely to be another word.
//!
//! Only when exactly one person of the document is that close: two
//! Hashimis, or a Hashemi and a Hashimi, decide nothing. An article joined
//! by a hyphen ("al-Eisawi") is part of the span.
//!
//! # Cost
//!
//! Nothing for a document without a person's full mention; otherwise a
//! skeleton per capitalised word outside the mentions and a comparison per
//! person named in the document.

use crate::{
    dictionary::{Dictionary, EntityIndex},
    text::{
        CaseMode, Folded, fold_key,
        skeleton::{is_article, skeleton_word},
    },
    vocabulary::{MatchKind, Mention},
};

/// Fewest letters of a surname whose one-letter slips are accepted: shorter
/// words are one edit from too many others.
const MIN_SLIP_LETTERS: usize = 6;
/// Fewest letters of a word matched by skeleton alone.
const MIN_VARIANT_LETTERS: usize = 4;

/// A surname spelling of a person the document named in full.
struct Surname {
    entity: EntityIndex,
    /// Byte end of the person's first full mention: the spelling links
    /// only after it.
    after: usize,
    folded: String,
    skeleton: String,
}

/// The folded surname of a name (its last word, without a joined article),
/// if it is a Latin word of letters.
fn surname_of(name: &str) -> Option<String> {
    let last = name.split_whitespace().next_back()?;
    let key = fold_key(last, CaseMode::Fold);
    let word = key.split(' ').rfind(|w| !w.is_empty() && !is_article(w))?.to_owned();
    word.bytes().all(|b| b.is_ascii_lowercase()).then_some(word)
}

fn skeleton(word: &str) -> String {
    let mut out = String::new();
    skeleton_word(word, &mut out);
    out
}

/// Whether the padded folded word is a key whose own rules decide it, so
/// that rule 16 may not read it as `person`'s surname: a key that may name
/// something other than a person, an ignore phrase, or one of `person`'s
/// own names (its case and context rules turned it away here). A key that
/// names only other persons, none of them linked here (they would cover
/// the word), is one of their surnames or title-bound aliases ("Col.
/// Hashemi") written without its context: the named person's surname in
/// another spelling is the better reading ("Hisham al-Hashimi ... critics
/// such as Hashemi").
fn known_otherwise(dict: &Dictionary, key: &str, person: EntityIndex) -> bool {
    dict.key(key).is_some_and(|k| {
        let claims = dict.key_claims(k);
        dict.key_ignore(k) != 0
            || claims.is_empty()
            || claims.iter().any(|c| c.entity == person || !dict.entity(c.entity).is_person())
    })
}

/// The persons' full mentions among `mentions` (linked to a person, two
/// words or more, not themselves a short form), which rules 16 and 22 read
/// names from: the person, the mention's byte end, and its two names, as
/// written and canonical.
pub(super) fn person_full_mentions<'a, 'd: 'a>(
    dict: &'d Dictionary,
    text: &'a str,
    mentions: &'a [Mention<'d>],
) -> impl Iterator<Item = (EntityIndex, usize, [&'a str; 2])> + 'a {
    mentions.iter().filter_map(move |m| {
        let entity = m.entity.filter(|&e| dict.entity(e).is_person())?;
        let written = &text[m.span.start..m.span.end];
        (m.kind != MatchKind::ShortForm && written.split_whitespace().count() >= 2)
            .then(|| (entity, m.span.end, [written, dict.entity(entity).name()]))
    })
}

/// Rule 16 over the linked mentions of `text` (in text order).
pub(super) fn link_variants<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    mentions: Vec<Mention<'d>>,
) -> Vec<Mention<'d>> {
    let mut surnames: Vec<Surname> = Vec::new();
    for (entity, after, names) in person_full_mentions(dict, text, &mentions) {
        for name in names {
            if let Some(word) = surname_of(name)
                && !surnames.iter().any(|s| s.entity == entity && s.folded == word)
            {
                surnames.push(Surname { entity, after, skeleton: skeleton(&word), folded: word });
            }
        }
    }
    if surnames.is_empty() {
        return mentions;
    }
    let mut new: Vec<(usize, usize, EntityIndex, &'d str)> = Vec::new();
    let mut cursor = folded.map.cursor();
    let mut next = 0;
    // The cheap tests first: a word before every full mention, or inside a
    // mention, costs no skeleton, distance or dictionary lookup.
    let first_after = surnames.iter().map(|s| s.after).min().unwrap_or(usize::MAX);
    let mut word_skeleton = String::new();
    for &cap in &folded.capitalised {
        let start = cap as usize;
        let Some(end) = folded.text[start..].find(' ').map(|i| start + i) else { continue };
        let word = &folded.text[start..end];
        if word.len() < MIN_VARIANT_LETTERS || !word.bytes().all(|b| b.is_ascii_lowercase()) {
            continue;
        }
        let (o_start, o_end) = cursor.original_span(start, end);
        if o_start < first_after {
            continue;
        }
        while next < mentions.len() && mentions[next].span.end <= o_start {
            next += 1;
        }
        if mentions.get(next).is_some_and(|m| m.span.start < o_end) {
            continue;
        }
        word_skeleton.clear();
        skeleton_word(word, &mut word_skeleton);
        let mut close = surnames.iter().filter(|s| {
            s.after <= o_start
                && ((word.len() >= MIN_VARIANT_LETTERS && s.skeleton == word_skeleton)
                    || (s.folded.len() >= MIN_SLIP_LETTERS
                        && s.folded.len().abs_diff(word.len()) <= 1
                        && strsim::levenshtein(&s.folded, word) == 1))
        });
        let Some(first) = close.next() else { continue };
        if close.any(|s| s.entity != first.entity) || known_otherwise(dict, &folded.text[start - 1..=end], first.entity)
        {
            continue;
        }
        // An article joined by a hyphen belongs to the name ("al-Eisawi").
        let before = &text[..o_start];
        let article = before
            .strip_suffix('-')
            .map(|b| {
                // After the last non-letter, whatever its width (fuzz bug
                // wide-char-before-article: U+FFFD before "j-" panicked).
                let word_start =
                    b.char_indices().rev().find(|&(_, c)| !c.is_alphabetic()).map_or(0, |(i, c)| i + c.len_utf8());
                (word_start, b)
            })
            .filter(|&(i, b)| is_article(&b[i..].to_lowercase()))
            .map(|(i, _)| i);
        let start = article.filter(|&i| mentions.get(next.wrapping_sub(1)).is_none_or(|m| m.span.end <= i));
        new.push((start.unwrap_or(o_start), o_end, first.entity, dict.entity(first.entity).name()));
    }
    super::spans::add_document_short_forms(text, mentions, new)
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "per:yusuf-al-dabbagh"
type = "PER"
name = "Yusuf al-Dabbagh"

[[entity]]
id = "per:karim-hamdani"
type = "PER"
name = "Karim Hamdani"

[[entity]]
id = "per:waleed-kadu"
type = "PER"
name = "Waleed Kadu"

[[entity]]
id = "per:salwa-qado"
type = "PER"
name = "Salwa Qado"

[[entity]]
id = "per:hisham-al-hashimi"
type = "PER"
name = "Hisham al-Hashimi"

[[entity]]
id = "per:sayyed-hashemi"
type = "PER"
name = "Sayyed Hashemi"
aliases = [{ text = "Hashemi", case = "sensitive", after = ["Col."] }]

[[entity]]
id = "loc:basra"
type = "LOC"
name = "Basra"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "surname in another romanisation",
            "Yusuf al-Dabbagh left Basra. Later Dabagh denied it.",
            &["Yusuf al-Dabbagh=per:yusuf-al-dabbagh", "Basra=loc:basra", "Dabagh=per:yusuf-al-dabbagh"],
        ),
        (
            "with its article",
            "Yusuf al-Dabbagh left. Aides of el-Dabbaq said so.",
            &["Yusuf al-Dabbagh=per:yusuf-al-dabbagh", "el-Dabbaq=per:yusuf-al-dabbagh"],
        ),
        (
            "a one-letter slip in a transcript",
            "Karim Hamdani spoke. Q: Mr Hamdanni, will you resign?",
            &["Karim Hamdani=per:karim-hamdani", "Hamdanni=per:karim-hamdani"],
        ),
        (
            "not before the full mention",
            "Dabagh was seen before Yusuf al-Dabbagh spoke.",
            &["Yusuf al-Dabbagh=per:yusuf-al-dabbagh"],
        ),
        (
            "two people as close decide nothing",
            "Waleed Kadu met Salwa Qado. Later Qadou spoke.",
            &["Waleed Kadu=per:waleed-kadu", "Salwa Qado=per:salwa-qado"],
        ),
        ("a short word is not a slip", "Yusuf al-Dabbagh met Basri.", &["Yusuf al-Dabbagh=per:yusuf-al-dabbagh"]),
        (
            "another person's surname the document does not name",
            "Hisham al-Hashimi was shot. Critics such as Hashemi spoke.",
            &["Hisham al-Hashimi=per:hisham-al-hashimi", "Hashemi=per:hisham-al-hashimi"],
        ),
        (
            "another person's surname the document names",
            "Sayyed Hashemi met Hisham al-Hashimi. Hashemi spoke.",
            &[
                "Sayyed Hashemi=per:sayyed-hashemi",
                "Hisham al-Hashimi=per:hisham-al-hashimi",
                "Hashemi=per:sayyed-hashemi",
            ],
        ),
        (
            "a place is no surname",
            "Yusuf al-Dabbagh met Basra.",
            &["Yusuf al-Dabbagh=per:yusuf-al-dabbagh", "Basra=loc:basra"],
        ),
        // Fuzz bug wide-char-before-article (dictionary campaign of
        // f271399): the article's start was taken one byte after the
        // non-letter before it, inside a wide character, and panicked.
        (
            "article after a wide non-letter",
            "Yusuf al-Dabbagh left. \u{fffd}el-Dabbaq and \u{2014}al-Dabagh said so.",
            &[
                "Yusuf al-Dabbagh=per:yusuf-al-dabbagh",
                "el-Dabbaq=per:yusuf-al-dabbagh",
                "al-Dabagh=per:yusuf-al-dabbagh",
            ],
        ),
    ];

    #[test]
    fn surnames_spelled_otherwise() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { surname_variants: false, ..Default::default() },
        );
        assert_eq!(off_first, ["Yusuf al-Dabbagh=per:yusuf-al-dabbagh", "Basra=loc:basra"]);
    }
}
