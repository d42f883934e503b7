//! Target `matcher`: [`entex::dictionary::Dictionary::extract`] with a
//! small random dictionary, held to a simple reference.
//!
//! The input is read as a dictionary of one to four entities (types ORG,
//! LOC, MISC, and sometimes PER), each with one to three aliases of one to
//! three short words from a small alphabet (ASCII letters of both cases,
//! digits, precomposed and decomposed accents, `ß`, `ø`, `İ`, `ı`, `ﬁ`,
//! words joined by spaces, hyphens or NBSP, sometimes a final full stop),
//! and a text of the same letters, separators, punctuation, possessives,
//! stray combining marks, and whole aliases pasted in as written, upper-
//! or lowercased. The dictionary goes through the real TSV parser and
//! `dictionary::build`, with `names=any` for the checks below (their
//! reference matches in any case), and as loaded by default
//! (`names=proper`), where it holds the offsets and a capital in every
//! mention of a name written with one.
//!
//! What it checks, on every mention (the rules of `src/matcher.rs` that can
//! be stated exactly for such dictionaries):
//!
//! 1. the offset invariant ([`crate::check_spans`]);
//! 2. whole words: the characters just outside a span are not letters or
//!    digits;
//! 3. the span's text folds (`fold_key`) to the fold of the alias the
//!    mention reports, and that alias is one of the dictionary's (for a
//!    short form, a word of one); a `Variant` has the alias's romanisation
//!    skeleton instead; a mention whose alias only ever appears in
//!    case-sensitive spellings has that case (rule 4); a linked entity
//!    owns the alias;
//! 4. leftmost-longest against a reference: every occurrence, in the
//!    folded text, of a case-insensitive alias key overlaps a mention, and
//!    the first mention it overlaps starts no later than it, and when both
//!    start together, ends no earlier (rule 3). Only when no entity is a
//!    person: a person's surnames and one-word aliases are short forms,
//!    which yield nothing without context (rule 11).

use std::collections::{BTreeMap, BTreeSet};

use entex::{
    dictionary::{CaseRule, NameCase, SourceText, build},
    matcher::MatchKind,
    text::{CaseMode, fold, fold_key, skeleton::skeleton_key},
};

use crate::{Bytes, check_spans};

pub fn init() {}

/// Letters of alias words and of the text (one piece each).
const LETTERS: &[&str] = &[
    "a", "b", "c", "x", "a", "b", "A", "B", "C", "X", "é", "É", "e\u{301}", "ß", "ø", "Ø", "İ", "ı", "ﬁ", "ä", "1", "7",
];
/// What joins the words of an alias.
const JOINERS: &[&str] = &[" ", " ", " ", "-", "\u{a0}", "’"];
/// Separators, punctuation and oddities of the text.
const SEPARATORS: &[&str] = &[
    " ", " ", " ", "  ", "-", ", ", ". ", "\u{a0}", "\n", "’s ", "'", "(", ")", "\u{301}", "\u{200d}", "’", ".", "\"",
];
const TYPES: &[&str] = &["ORG", "LOC", "MISC", "PER"];

struct Case {
    /// (entity id, type, aliases)
    entities: Vec<(String, &'static str, Vec<String>)>,
    text: String,
}

fn word(bytes: &mut Bytes) -> String {
    (0..1 + bytes.below(4)).map(|_| LETTERS[bytes.below(LETTERS.len())]).collect()
}

fn read_case(data: &[u8]) -> Case {
    let mut bytes = Bytes::new(data);
    let entity_count = 1 + bytes.below(4);
    let mut entities = Vec::new();
    for e in 0..entity_count {
        // PER one time in eight: short forms make rule 4 of the module doc
        // unstatable, so most cases go without.
        let kind = bytes.byte();
        let entity_type = if kind.is_multiple_of(8) { "PER" } else { TYPES[usize::from(kind) % 3] };
        let aliases = (0..1 + bytes.below(3))
            .map(|_| {
                let mut alias = word(&mut bytes);
                for _ in 0..bytes.below(3) {
                    alias.push_str(JOINERS[bytes.below(JOINERS.len())]);
                    alias.push_str(&word(&mut bytes));
                }
                if bytes.below(8) == 0 {
                    alias.push('.');
                }
                alias
            })
            .collect();
        entities.push((format!("e{e}"), entity_type, aliases));
    }
    let all: Vec<&String> = entities.iter().flat_map(|(_, _, a)| a).collect();
    let mut text = String::new();
    let mut pieces = 0;
    while !bytes.is_empty() && pieces < 400 {
        pieces += 1;
        let b = bytes.byte();
        match b {
            0x00..=0x3f => {
                let alias = all[usize::from(b) % all.len()];
                match (usize::from(b) / all.len()) % 4 {
                    0 | 1 => text.push_str(alias),
                    2 => text.push_str(&alias.to_uppercase()),
                    _ => text.push_str(&alias.to_lowercase()),
                }
            }
            0x40..=0x9f => text.push_str(LETTERS[usize::from(b) % LETTERS.len()]),
            _ => text.push_str(SEPARATORS[usize::from(b) % SEPARATORS.len()]),
        }
    }
    Case { entities, text }
}

/// The TSV (with a header) that defines the case's dictionary.
fn tsv(case: &Case) -> String {
    let mut out = String::from("alias\tid\ttype\n");
    for (id, entity_type, aliases) in &case.entities {
        for alias in aliases {
            out.push_str(&format!("{alias}\t{id}\t{entity_type}\n"));
        }
    }
    out
}

pub fn run(data: &[u8]) {
    let case = read_case(data);
    let source = tsv(&case);
    proper_names(&case, &source);
    // The reference below matches every alias in any case: `names=any`.
    let mut any_case = SourceText::new("fuzz.tsv", source.as_str());
    any_case.options.names = NameCase::Any;
    let dictionary = match build(&[any_case]) {
        Ok(dictionary) => dictionary,
        Err(error) => {
            assert!(!error.problems.is_empty(), "a refused dictionary names no problem");
            return;
        }
    };
    let text = case.text.as_str();
    // The reference knows the core rules (1-12) only: issue 12's document
    // rules (surname slips, acronyms, ...) change output on purpose and have
    // their own table tests; the rpc target holds them, on by default, to
    // the offset invariant.
    let options = entex::matcher::ExtractOptions { rules: entex::matcher::MatchRules::NONE, ..Default::default() };
    let mentions = dictionary.extract_with(text, &options);
    let context = || format!("dictionary {source:?}, text {text:?}, mentions {mentions:#?}");

    // 1. Offsets.
    check_spans(text, mentions.iter().map(|m| m.span));

    // The dictionary's aliases: by entity, and by folded key.
    let mut owned: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut by_key: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (id, _, aliases) in &case.entities {
        for alias in aliases {
            owned.entry(id).or_default().insert(alias);
            by_key.entry(fold_key(alias, CaseMode::Fold)).or_default().push(alias);
        }
    }
    let is_word_of_alias = |w: &str| by_key.values().flatten().any(|a| a.split_whitespace().any(|x| x == w));

    for m in &mentions {
        let span = &text[m.span.start..m.span.end];
        // 2. Whole words.
        let before = text[..m.span.start].chars().next_back();
        let after = text[m.span.end..].chars().next();
        assert!(
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric),
            "mention {span:?} at {}..{} is not a whole word; {}",
            m.span.start,
            m.span.end,
            context()
        );
        // 3. The span is the alias.
        let span_key = fold_key(span, CaseMode::Fold);
        let alias_key = fold_key(m.alias, CaseMode::Fold);
        // A short form can match as a romanisation variant too (rule 10
        // then 11): its kind is ShortForm, its text has the alias's skeleton.
        let variant_short_form =
            m.kind == MatchKind::ShortForm && span_key != alias_key && skeleton_key(&span_key).is_some();
        if m.kind == MatchKind::Variant || variant_short_form {
            assert_eq!(
                skeleton_key(&span_key),
                skeleton_key(&alias_key),
                "variant {span:?} does not share the skeleton of {:?}; {}",
                m.alias,
                context()
            );
        } else {
            assert_eq!(
                span_key,
                alias_key,
                "mention {span:?} does not fold like its alias {:?}; {}",
                m.alias,
                context()
            );
            let spellings = by_key.get(&alias_key).map(Vec::as_slice).unwrap_or_default();
            assert!(
                spellings.contains(&m.alias) || (m.kind == MatchKind::ShortForm && is_word_of_alias(m.alias)),
                "mention {span:?} reports {:?}, which is no alias; {}",
                m.alias,
                context()
            );
            // Only for a spelling of the dictionary's, and of the linked
            // entity's own: a short form derived from a PER name (rule 11)
            // can share the key, and even the spelling ("XXXX" of
            // "Éééé X XXXX"), of another entity's case-sensitive alias and
            // keeps its own case rule (harness false positive
            // derived-short-form-case, matcher campaign of f91a3f8).
            // `None`: no entity linked; `Some(None)`: an entity of no alias.
            let entity_aliases = m.entity.map(|e| owned.get(dictionary.entity(e).id().to_string().as_str()));
            let own_spelling = entity_aliases.is_none_or(|aliases| aliases.is_some_and(|a| a.contains(m.alias)));
            // A short form that is also a word of one of the entity's own
            // longer names ("XXXX" of "é XXXX ﬁBX", beside its alias
            // "XXXX") may be that name's derived short form, with its
            // own case rule: the harness cannot tell the two apart.
            let derived = m.kind == MatchKind::ShortForm
                && entity_aliases.flatten().is_some_and(|names| {
                    let word = fold_key(m.alias, CaseMode::Fold);
                    let word = word.trim();
                    names.iter().any(|n| {
                        let key = fold_key(n, CaseMode::Fold);
                        let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty() && *w != "|").collect();
                        words.len() > 1 && words.contains(&word)
                    })
                });
            if own_spelling
                && !derived
                && spellings.contains(&m.alias)
                && spellings.iter().all(|a| CaseRule::Auto.is_sensitive(a))
            {
                let preserved = fold_key(span, CaseMode::Preserve);
                assert!(
                    spellings.iter().any(|a| fold_key(a, CaseMode::Preserve) == preserved),
                    "mention {span:?} matched case-sensitive {spellings:?} in another case; {}",
                    context()
                );
            }
            if let Some(entity) = m.entity
                && m.kind != MatchKind::ShortForm
            {
                let id = dictionary.entity(entity).id().to_string();
                assert!(
                    owned.get(id.as_str()).is_some_and(|a| a.contains(m.alias)),
                    "mention {span:?} links {id}, which does not own {:?}; {}",
                    m.alias,
                    context()
                );
            }
        }
    }

    // 4. Leftmost-longest against the reference.
    if case.entities.iter().any(|(_, t, _)| *t == "PER") {
        return;
    }
    let folded = fold(text);
    let f = folded.text.as_str();
    for (key, spellings) in &by_key {
        if spellings.iter().all(|a| CaseRule::Auto.is_sensitive(a)) || key.trim().is_empty() {
            continue;
        }
        // A lenient source's one-word alias that is a common English word
        // ("a", "in") needs a capital in the text: its lowercase occurrences
        // are no names (the harness's TSV sources are all lenient).
        if entex::text::common::is_common_word_key(key) {
            continue;
        }
        for p in (0..f.len()).filter(|&p| f.is_char_boundary(p) && f[p..].starts_with(key.as_str())) {
            let (os, oe) = folded.map.original_span(p + 1, p + key.len() - 1);
            let occurrence = &text[os..oe];
            let first = mentions.iter().find(|m| m.span.start < oe && os < m.span.end);
            let Some(first) = first else {
                panic!("{spellings:?} occurs at {os}..{oe} ({occurrence:?}) but no mention covers it; {}", context());
            };
            assert!(
                first.span.start <= os,
                "{spellings:?} at {os}..{oe} ({occurrence:?}) starts before the mention at {}..{} that overlaps it; {}",
                first.span.start,
                first.span.end,
                context()
            );
            assert!(
                first.span.start < os || first.span.end >= oe,
                "{spellings:?} at {os}..{oe} ({occurrence:?}) is longer than the mention at {}..{}; {}",
                first.span.start,
                first.span.end,
                context()
            );
        }
    }
}

/// The file as loaded by default (`names=proper`): offsets hold, and a
/// mention of an alias written with a capital is written with one (its
/// first or second word capitalised, so its text has a capital letter).
fn proper_names(case: &Case, source: &str) {
    let Ok(dictionary) = build(&[SourceText::new("fuzz.tsv", source)]) else { return };
    let text = case.text.as_str();
    let options = entex::matcher::ExtractOptions { rules: entex::matcher::MatchRules::NONE, ..Default::default() };
    let mentions = dictionary.extract_with(text, &options);
    check_spans(text, mentions.iter().map(|m| m.span));
    let capitalised = |s: &str| s.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase);
    // Every spelling of the alias's key is capitalised: the claim is proper.
    for m in &mentions {
        let key = fold_key(m.alias, CaseMode::Fold);
        let spellings =
            case.entities.iter().flat_map(|(_, _, aliases)| aliases).filter(|a| fold_key(a, CaseMode::Fold) == key);
        let mut spellings = spellings.peekable();
        if m.kind == MatchKind::Variant || spellings.peek().is_none() || !spellings.all(|a| capitalised(a)) {
            continue;
        }
        let span = &text[m.span.start..m.span.end];
        assert!(
            span.chars().any(char::is_uppercase),
            "mention {span:?} of the proper name {:?} has no capital; dictionary {source:?}, text {text:?}",
            m.alias
        );
    }
}
