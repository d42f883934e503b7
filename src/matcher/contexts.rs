//! Between stages 3 and 4 of [`super::extract`]: institution names bound to
//! a place, decided by the document (rule 18). The dictionary lets "Council
//! of Representatives", "Interior Ministry" or "Joint Operations Command"
//! match only after "Iraq's" (rule 5): every state has one. But a record of
//! the Iraqi parliament says "the Council of Representatives" throughout,
//! and a Baghdad court report "the Interior Ministry". So a run of
//! capitalised words that the scan left uncovered, and that is such an
//! alias, names the claimant whose place the document decides:
//!
//! - the document writes one of the claim's context phrases somewhere
//!   ("Iraq's", "Iraqi"), or
//! - it names the place, or a place whose parent it is (Baghdad in Iraq), or
//! - the context phrase is a body's name ("PMF" before "50th Brigade") and
//!   the document names that body, by any of its names ("Popular
//!   Mobilization Forces").
//!
//! A run may open with the number or ordinal right before its first
//! capitalised word ("50th Brigade"), which has no capital of its own, and
//! close with a number right after its last ("Brigade 50"). It may not
//! start right after another uncovered capitalised word: that is the middle
//! of a name the dictionary does not know ("Arthur Hays Sulzberger").
//!
//! Only when exactly one claimant is decided; two states' ministries in one
//! story decide nothing. Only institutions and places are bound to a place:
//! a person's alias bound to titles ("Secretary Austin") is decided by the
//! title right before it (rule 5), never by a "Secretary" elsewhere in the
//! story (which named most of the Allens and Johnsons of running news). Lower-case generic uses ("the interior ministry
//! of each state") are not capitalised runs and stay unmatched.
//!
//! # Cost
//!
//! Nothing for a document whose capitalised words the scan covered; for the
//! others, a lookup per start and length of each uncovered run of
//! capitalised words (with the particles between them; runs are short).

use super::candidates::{Candidate, KeptClaims};
use crate::{
    dictionary::{Claim, Dictionary, EntityIndex, Selection},
    text::{CaseMode, Folded, english::is_english_word, fold_key, skeleton::is_particle},
};

/// Longest run of words tried as one name.
const MAX_RUN_WORDS: usize = 6;

/// Rule 18: candidates for the place-bound aliases the document decides,
/// merged into `candidates` (in text order, never overlapping).
pub(super) fn recover<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    candidates: Vec<Candidate<'d>>,
    selection: Selection,
) -> Vec<Candidate<'d>> {
    let f = folded.text.as_str();
    // Uncovered capitalised words: (start, end), in order; with the
    // ordinal or number right before one ("50th Brigade", "9th Armoured
    // Division"), which opens a unit's name but has no capital.
    let uncovered = |at: usize| {
        let i = candidates.partition_point(|c| c.end <= at);
        candidates.get(i).is_none_or(|c| c.start > at)
    };
    let mut words: Vec<(usize, usize)> = Vec::new();
    for &cap in &folded.capitalised {
        let start = cap as usize;
        let Some(end) = f[start..].find(' ').map(|i| start + i) else { continue };
        if !uncovered(start) {
            continue;
        }
        // (A word start follows its pad space; checked, not assumed, so
        // the slice stays on a char boundary.)
        let pad = start.checked_sub(1).filter(|&pad| f.as_bytes()[pad] == b' ');
        if let Some(before) = pad.map(|pad| &f[..pad]) {
            let number = before.rfind(' ').map_or(0, |i| i + 1);
            if number < before.len()
                && f.as_bytes()[number].is_ascii_digit()
                && uncovered(number)
                // Not already taken as the number after the word before.
                && words.last() != Some(&(number, before.len()))
            {
                words.push((number, before.len()));
            }
        }
        words.push((start, end));
        // A number right after it closes a unit's name ("Brigade 50").
        let next = end + 1;
        if f.as_bytes().get(next).is_some_and(u8::is_ascii_digit) {
            let number_end = f.as_bytes()[next..].iter().position(|&b| b == b' ').map(|i| next + i);
            if let Some(number_end) = number_end
                && f.as_bytes()[next..number_end].iter().all(u8::is_ascii_digit)
                && uncovered(next)
            {
                words.push((next, number_end));
            }
        }
    }
    if words.is_empty() {
        return candidates;
    }
    // In one walk over the document's names: the places it names, and
    // their parents (by id); and the bodies it names, since a context
    // phrase that is a body's name ("PMF" before "50th Brigade") is
    // decided by any name of it.
    let mut place_ids: foldhash::HashSet<&str> = foldhash::HashSet::default();
    let mut bodies: foldhash::HashSet<EntityIndex> = foldhash::HashSet::default();
    for t in candidates.iter().flat_map(|c| c.claims.iter()) {
        let entity = dict.entity(t.entity);
        if entity.is_place() {
            place_ids.insert(entity.id());
            place_ids.extend(entity.parent());
        } else if !entity.is_person() {
            bodies.insert(t.entity);
        }
    }
    let decides = |claim: &Claim| -> bool {
        let Some(phrases) = dict.after(claim) else { return false };
        phrases.iter().any(|p| {
            f.contains(p.as_str()) || {
                let stem = p.strip_suffix(" s ").map(|s| format!("{s} "));
                let key = stem.as_deref().unwrap_or(p);
                dict.key(key).is_some_and(|k| {
                    dict.key_claims(k).iter().any(|t| {
                        bodies.contains(&t.entity)
                            || dict.entity(t.entity).is_place() && place_ids.contains(dict.entity(t.entity).id())
                    })
                })
            }
        })
    };
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // Most capitalised words start no key at all (a sentence's first
        // word, names the scan covered elsewhere): one probe skips them.
        if !dict.starts_key(&f[words[i].0..words[i].1]) {
            i += 1;
            continue;
        }
        // Words joined to words[i] by spaces or particles ("of", "the").
        let mut ends = vec![i];
        let mut j = i;
        while j + 1 < words.len() && ends.len() < MAX_RUN_WORDS {
            let between = &f[words[j].1..words[j + 1].0];
            if !between.split(' ').filter(|w| !w.is_empty()).all(is_particle) {
                break;
            }
            j += 1;
            ends.push(j);
        }
        // Right after another uncovered capitalised word that is no English
        // word ("The", "Yesterday"), the run is the middle of a name the
        // dictionary does not know ("Arthur Hays Sulzberger" is not the
        // Yemeni district of Hays).
        let inside_a_name = i > 0 && words[i - 1].1 + 1 == words[i].0 && {
            let before = &f[words[i - 1].0..words[i - 1].1];
            !before.as_bytes()[0].is_ascii_digit() && !is_english_word(before)
        };
        if inside_a_name {
            i += 1;
            continue;
        }
        let mut matched = None;
        for &j in ends.iter().rev() {
            let (start, end) = (words[i].0, words[j].1);
            let Some(k) = dict.key(&f[start - 1..=end]) else { continue };
            if selection.sees(dict.key_ignore(k)) {
                break;
            }
            let (o_start, o_end) = folded.map.original_span(start, end);
            let preserved = fold_key(&text[o_start..o_end], CaseMode::Preserve);
            let decided: Vec<&'d Claim> = dict
                .key_claims(k)
                .iter()
                .filter(|t| {
                    t.extract()
                        && !dict.entity(t.entity).is_person()
                        && selection.sees(dict.claim_dictionaries(t))
                        && dict.case_matches(t, &preserved)
                        && decides(t)
                })
                .collect();
            if let [one] = decided.as_slice() {
                matched = Some((
                    j,
                    Candidate {
                        start,
                        end,
                        claims: KeptClaims::Picked(vec![*one]),
                        variant: false,
                        normalize_only: false,
                    },
                ));
            }
            break;
        }
        match matched {
            Some((j, candidate)) => {
                found.push(candidate);
                i = j + 1;
            }
            None => i += 1,
        }
    }
    super::candidates::merge(candidates, found)
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "loc:iraq"
type = "LOC"
name = "Iraq"

[[entity]]
id = "loc:basra"
type = "LOC"
name = "Basra"
parent = "loc:iraq"

[[entity]]
id = "loc:yemen"
type = "LOC"
name = "Yemen"

[[entity]]
id = "org:iraq-water-ministry"
type = "ORG"
name = "Iraqi Ministry of Water Resources"
aliases = [{ text = "Water Ministry", after = ["Iraq's", "Iraqi"] }]

[[entity]]
id = "org:pmf"
type = "ORG"
name = "Popular Mobilization Forces"
aliases = ["PMF"]

[[entity]]
id = "org:babylon-brigades"
type = "ORG"
name = "Babylon Brigades"
aliases = [{ text = "50th Brigade", after = ["PMF"] }, { text = "Brigade 50", after = ["PMF"] }]

[[entity]]
id = "per:antony-blinken"
type = "PER"
name = "Antony Blinken"
aliases = [{ text = "Tony", after = ["Secretary"] }]

[[entity]]
id = "org:yemen-water-ministry"
type = "ORG"
name = "Yemeni Ministry of Water"
aliases = [{ text = "Water Ministry", after = ["Yemen's", "Yemeni"] }]
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "the document names the place's city",
            "Water Ministry engineers reached Basra on Monday.",
            &["Water Ministry=org:iraq-water-ministry", "Basra=loc:basra"],
        ),
        (
            "the document writes the context elsewhere",
            "The Water Ministry said Iraqi dams were full.",
            &["Water Ministry=org:iraq-water-ministry"],
        ),
        ("nothing decides", "The Water Ministry said dams were full.", &[]),
        (
            "two places decide nothing",
            "The Water Ministry said dams in Basra and Yemen were full.",
            &["Basra=loc:basra", "Yemen=loc:yemen"],
        ),
        ("lower case is generic", "The water ministry of Basra spoke.", &["Basra=loc:basra"]),
        ("a title decides only right before the name", "Secretary Tony spoke.", &["Tony=per:antony-blinken"]),
        (
            "a body the context names, named in full, decides; the ordinal opens the name",
            "The Popular Mobilization Forces moved. The 50th Brigade followed.",
            &["Popular Mobilization Forces=org:pmf", "50th Brigade=org:babylon-brigades"],
        ),
        ("an ordinal with nothing to decide it", "The 50th Brigade followed.", &[]),
        (
            "a number after the last word closes the name",
            "The PMF moved north; Brigade 50 followed.",
            &["PMF=org:pmf", "Brigade 50=org:babylon-brigades"],
        ),
        ("a number with nothing to decide it", "Brigade 50 followed.", &[]),
        ("inside a name the dictionary does not know", "Iraqi officials met Arthur Water Ministry Jones.", &[]),
        ("a person is bound to no place: a title elsewhere decides nothing", "The Secretary left. Tony spoke.", &[]),
    ];

    #[test]
    fn place_bound_names_decided_by_the_document() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { place_context: false, ..Default::default() },
        );
        assert_eq!(off_first, ["Basra=loc:basra"]);
    }
}
