//! Target `dictionary`: every dictionary parser (TOML, TSV with and without
//! a header, CSV, JSON Lines entity records, spaCy patterns, FollowTheMoney,
//! and the JSON Lines sniffing between the last three) and
//! [`entex::dictionary::build`], on up to three sources of any text.
//!
//! The input is split at NUL bytes into up to three sources; each starts
//! with a format byte (the file name's extension, or a forced `format=`,
//! see [`FORMATS`]) and an options byte (strict, `invalid_rows=skip`, a
//! shared dictionary name, `names=any`), then the source's text.
//!
//! What it checks:
//!
//! - nothing panics, whatever the sources;
//! - a refused build names at least one problem, and every problem names
//!   one of the sources and a line within it (0: the whole source);
//! - a built dictionary holds together: as many entities as its info says,
//!   keys padded words, unique and found by their own lookup, every
//!   claim naming an entity;
//! - it survives its artefact: `artefact::to_bytes` then `from_bytes` loads,
//!   writes the same bytes again, and extracts the same mentions from a
//!   text made of every alias;
//! - those mentions keep the offset invariant ([`crate::check_spans`]), and
//!   resolving every alias does not panic and scores within [0, 1] (0:
//!   a shared alias whose entity has a prior of 0, which sources may give).

use entex::{
    dictionary::{Dictionary, Format, InvalidRows, NameCase, SourceText, artefact, build},
    resolve::ResolveOptions,
};

use crate::{check_spans, text_of};

pub fn init() {}

/// The format byte: the file name a source gets, and the format forced on
/// it (`None`: what the extension implies, sniffed for JSON Lines).
pub const FORMATS: &[(&str, Option<Format>)] = &[
    ("toml", None),
    ("tsv", None),
    ("csv", None),
    ("jsonl", None),
    ("jsonl", Some(Format::Spacy)),
    ("jsonl", Some(Format::Ftm)),
    ("jsonl", Some(Format::Jsonl)),
    ("txt", None),
    ("tsv", Some(Format::Csv)),
    ("csv", Some(Format::Tsv)),
];

/// Options byte bits.
pub const STRICT: u8 = 1;
pub const SKIP_INVALID_ROWS: u8 = 2;
/// The source joins a dictionary named `shared` rather than its own.
pub const SHARED_NAME: u8 = 4;
/// `names=any`: capitalised aliases match in any case.
pub const ANY_CASE: u8 = 8;

/// The sources an input describes.
pub fn sources(data: &[u8]) -> Vec<SourceText> {
    data.split(|&b| b == 0)
        .take(3)
        .enumerate()
        .map(|(i, part)| {
            let (format, flags, text) = match part {
                [f, o, rest @ ..] => (*f, *o, rest),
                [f] => (*f, 0, &[][..]),
                [] => (0, 0, &[][..]),
            };
            let (extension, forced) = FORMATS[usize::from(format) % FORMATS.len()];
            let mut source = SourceText::new(format!("s{i}.{extension}"), text_of(text).into_owned());
            source.options.format = forced;
            source.options.strict = flags & STRICT != 0;
            if flags & SKIP_INVALID_ROWS != 0 {
                source.options.invalid_rows = InvalidRows::Skip;
            }
            if flags & SHARED_NAME != 0 {
                source.options.dictionary = "shared".to_owned();
            }
            if flags & ANY_CASE != 0 {
                source.options.names = NameCase::Any;
            }
            source
        })
        .collect()
}

pub fn run(data: &[u8]) {
    let sources = sources(data);
    let dictionary = match build(&sources) {
        Ok(dictionary) => dictionary,
        Err(error) => {
            assert!(!error.problems.is_empty(), "a refused build names no problem");
            for problem in &error.problems {
                let source = sources.iter().find(|s| *s.name == *problem.at.source);
                let source = source.unwrap_or_else(|| panic!("problem {problem} names no source of {sources:?}"));
                assert!(
                    problem.at.line <= source.text.lines().count() + 1,
                    "problem {problem} is past the end of {source:?}"
                );
            }
            return;
        }
    };
    check_dictionary(&dictionary);
}

/// The checks on a dictionary that was built (or loaded) successfully: its
/// keys are padded words between single spaces, unique, each found by its
/// own lookup, and every claim names an entity.
pub fn check_dictionary(dictionary: &Dictionary) {
    let entity_count = dictionary.entity_count();
    assert_eq!(dictionary.info().entity_count, entity_count as u64, "entity count");
    assert_eq!(dictionary.entities().len(), entity_count, "entity count");
    let keys: Vec<(u32, String)> = dictionary.keys().collect();
    let mut seen = std::collections::HashSet::new();
    for (id, key) in &keys {
        assert!(key.len() >= 3 && key.starts_with(' ') && key.ends_with(' '), "key {key:?}");
        assert!(!key[1..key.len() - 1].contains("  "), "key {key:?}");
        assert!(seen.insert(key.as_str()), "key {key:?} twice");
        assert_eq!(dictionary.key(key), Some(*id), "key {key:?} does not look itself up");
        for claim in dictionary.key_claims(*id) {
            assert!((claim.entity as usize) < entity_count, "key {key:?} claims entity {}", claim.entity);
        }
    }

    // Every alias in one text, and the same text through a reloaded artefact.
    let aliases: Vec<&str> = dictionary.entities().flat_map(|e| e.aliases().collect::<Vec<_>>()).collect();
    let text: String = aliases.iter().take(2000).fold(String::new(), |mut t, a| {
        t.push_str(a);
        t.push_str(", ");
        t
    });
    let mentions = dictionary.extract(&text);
    check_spans(&text, mentions.iter().map(|m| m.span));

    let bytes = artefact::to_bytes(dictionary);
    let reloaded = artefact::from_bytes(&bytes, "fuzz artefact")
        .unwrap_or_else(|e| panic!("a built dictionary does not load from its own artefact: {e:?}"));
    assert!(artefact::to_bytes(&reloaded) == bytes, "a reloaded artefact writes different bytes");
    let again = reloaded.extract(&text);
    let key = |m: &entex::matcher::Mention| (m.entity, m.span, m.alias.to_owned(), m.kind, m.candidates.clone());
    assert_eq!(
        mentions.iter().map(key).collect::<Vec<_>>(),
        again.iter().map(key).collect::<Vec<_>>(),
        "the reloaded dictionary extracts differently from {text:?}"
    );

    let options = ResolveOptions::default();
    for &alias in aliases.iter().take(200) {
        let resolution = dictionary.resolve(alias, &options);
        for candidate in resolution.best.iter().chain(&resolution.candidates) {
            assert!((0.0..=1.0).contains(&candidate.score), "resolving {alias:?} scores {candidate:?}");
            assert!((candidate.entity as usize) < entity_count, "resolving {alias:?} gives {candidate:?}");
        }
    }
}
