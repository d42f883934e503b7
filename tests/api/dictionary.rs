//! The shipped default dictionary, reviewed like code: it loads with no
//! problem (so no alias is claimed by two entities unless both mark it a
//! short form), it is broad, every entity says what it is and where its
//! aliases come from, and no alias that running text matches blindly is a
//! common English word.

use std::collections::BTreeSet;

use crate::helpers::{default_dictionary, require_tool};

/// The English word list of Debian's `wamerican` (installed by .ci/run).
const WORDS: &str = "/usr/share/dict/words";

#[test]
fn default_dictionary_is_broad_and_documented() {
    let dictionary = default_dictionary();
    let entities: Vec<_> = dictionary.entities().collect();
    assert!(entities.len() >= 400, "{} entities", entities.len());
    for kind in ["ORG", "PER", "LOC"] {
        let count = entities.iter().filter(|e| e.entity_type() == kind).count();
        assert!(count >= 100, "{count} {kind} entities");
    }
    let undescribed: Vec<&str> =
        entities.iter().filter(|e| e.description().is_none_or(str::is_empty)).map(|e| e.id()).collect();
    assert!(undescribed.is_empty(), "entities without a description: {undescribed:?}");
}

#[test]
fn no_blind_alias_is_a_common_english_word() {
    if !require_tool("test", "-e") || !std::path::Path::new(WORDS).exists() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{WORDS} is required under CI=true (apt wamerican)");
        eprintln!("SKIPPED: {WORDS} not found (apt-get install wamerican)");
        return;
    }
    // Lowercase entries only: capitalised ones are names, which is the point.
    let words: BTreeSet<String> = std::fs::read_to_string(WORDS)
        .unwrap()
        .lines()
        .filter(|w| w.chars().all(|c| c.is_ascii_lowercase()) && w.len() >= 3)
        .map(str::to_owned)
        .collect();
    let dictionary = default_dictionary();
    let mut blind = Vec::new();
    for (k, key) in dictionary.keys() {
        let key = key.trim();
        if key.contains(' ') || !words.contains(key) {
            continue;
        }
        for target in dictionary.key_claims(k) {
            // Matched in running text with no case or context guard (a short
            // form with a default links even without an earlier full name).
            let unguarded = !target.short_form() || target.default();
            let guarded = dictionary.case_forms(target).is_some() || dictionary.after(target).is_some();
            if target.extract() && !guarded && unguarded {
                blind.push(format!("{key} ({})", dictionary.entity(target.entity).id()));
            }
        }
    }
    assert!(blind.is_empty(), "aliases that are common English words, matched blindly: {blind:?}");
}
