//! Between stages 3 and 4 of [`super::extract`]: names in capitals (rule
//! 15). A case-sensitive alias written with small letters ("Kurilla",
//! "Biden": a surname that must not match a common word) is rejected by
//! rule 4 when the text writes it in capitals ("General KURILLA.",
//! "BIDEN ORDERS STRIKES"), though capitals carry no case to compare. So a
//! run of words written all in capitals, left uncovered by the scan, is
//! looked up again: leftmost, then longest, an alias whose case forms,
//! capitalised, are the text. Acronyms (aliases written in capitals) are
//! unaffected: they already compare equal.
//!
//! A capitalised word is also a shout, so a short form found this way
//! counts only when the document names its entity elsewhere by a name that
//! is its alone (in full, by a short form no other entity claims there, or
//! by one it is the declared default of: the document decides, as for
//! shared aliases in rule 12), or when it is bound to a context (`after`:
//! for a surname, the person's titles) and that context is written right
//! before it ("Senator SHAHEEN.", the speaker labels of a hearing's
//! record); it is then linked by rule 11 like any short form.
//!
//! # Cost
//!
//! Nothing for a document without a word in capitals outside the scan's
//! candidates; otherwise a fold and a lookup per run of such words and
//! start within it (runs are a few words: headlines, speaker labels).

use super::candidates::{Candidate, KeptClaims};
use crate::{
    dictionary::{Claim, Dictionary, EntityIndex, Selection},
    text::{CaseMode, Folded, fold_key},
};

/// Longest run of capitalised words tried as one name.
const MAX_RUN_WORDS: usize = 6;

/// Rule 15: candidates for the names in capitals that the scan left,
/// merged into `candidates` (in text order, never overlapping).
pub(super) fn recover<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    candidates: Vec<Candidate<'d>>,
    selection: Selection,
) -> Vec<Candidate<'d>> {
    // Words of two or more capitals, with no candidate over them:
    // (folded start, folded end).
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut next = 0;
    for &cap in &folded.capitalised {
        let start = cap as usize;
        let end = folded.text[start..].find(' ').map_or(folded.text.len(), |i| start + i);
        while next < candidates.len() && candidates[next].end <= start {
            next += 1;
        }
        if candidates.get(next).is_some_and(|c| c.start <= start) || end <= start {
            continue;
        }
        let (o_start, o_end) = folded.map.original_span(start, end);
        let original = &text[o_start..o_end];
        let letters = original.chars().filter(|c| c.is_alphabetic()).count();
        if letters >= 2 && original.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase) {
            words.push((start, end));
        }
    }
    if words.is_empty() {
        return candidates;
    }
    // Entities the document names in small letters by a name that is theirs
    // alone: a full name, a short form no other entity claims there, or one
    // with a single declared default (rule 11's link without context).
    let named: foldhash::HashSet<EntityIndex> = candidates
        .iter()
        .filter_map(|c| {
            let first = c.claims.first()?;
            if c.claims.iter().all(|t| t.entity == first.entity) {
                return Some(first.entity);
            }
            let mut defaults = c.claims.iter().filter(|t| t.default());
            match (c.claims.iter().all(|t| t.short_form()), defaults.next(), defaults.next()) {
                (true, Some(default), None) => Some(default.entity),
                _ => None,
            }
        })
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < words.len() {
        // The run of adjacent words from i (one space apart when folded).
        let mut run_end = i + 1;
        while run_end < words.len() && run_end - i < MAX_RUN_WORDS && words[run_end].0 == words[run_end - 1].1 + 1 {
            run_end += 1;
        }
        let mut matched = None;
        // A word no key starts with starts no name (one probe).
        let starts = dict.starts_key(&folded.text[words[i].0..words[i].1]);
        for j in (i..run_end).rev().filter(|_| starts) {
            let (start, end) = (words[i].0, words[j].1);
            if let Some(claims) = claims_in_capitals(dict, text, folded, start, end, &named, selection) {
                matched = Some((j, Candidate { start, end, claims, variant: false, normalize_only: false }));
                break;
            }
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

/// The claims of the key at folded `[start, end)` that only rule 4 kept
/// from matching the capitals there.
fn claims_in_capitals<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    start: usize,
    end: usize,
    named: &foldhash::HashSet<EntityIndex>,
    selection: Selection,
) -> Option<KeptClaims<'d>> {
    let key = dict.key(&folded.text[start - 1..=end])?;
    if selection.sees(dict.key_ignore(key)) {
        return None;
    }
    let (o_start, o_end) = folded.map.original_span(start, end);
    let preserved = fold_key(&text[o_start..o_end], CaseMode::Preserve);
    let before = &folded.text[..start];
    let kept: Vec<&'d Claim> = dict
        .key_claims(key)
        .iter()
        .filter(|t| {
            t.extract()
                && selection.sees(dict.claim_dictionaries(t))
                && dict.case_forms(t).is_some_and(|forms| forms.iter().any(|f| f.to_uppercase() == preserved))
                && dict.follows_context(t, before)
                // A context the alias is bound to, right before it (a
                // title: "Senator WICKER."), decides it as a full name would.
                && (!t.short_form() || named.contains(&t.entity) || dict.after(t).is_some())
        })
        .collect();
    (!kept.is_empty()).then_some(KeptClaims::Picked(kept))
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "per:dara-vollmer"
type = "PER"
name = "Dara Vollmer"
aliases = [{ text = "Vollmer", case = "sensitive", short_form = true, default = true }]

[[entity]]
id = "per:ines-march"
type = "PER"
name = "Ines March"
aliases = [{ text = "March", case = "sensitive", short_form = true, default = true }]

[[entity]]
id = "per:lena-harrow"
type = "PER"
name = "Lena Harrow"
aliases = [{ text = "Harrow", case = "sensitive", after = ["Senator", "Sen."] }]

[[entity]]
id = "loc:karbala"
type = "LOC"
name = "Karbala"
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "speaker label in capitals",
            "Dara Vollmer took questions.\nMS. VOLLMER: We have nothing on Karbala.",
            &["Dara Vollmer=per:dara-vollmer", "VOLLMER=per:dara-vollmer", "Karbala=loc:karbala"],
        ),
        (
            "headline before the full name",
            "VOLLMER VISITS KARBALA\nDara Vollmer arrived on Sunday.",
            &["VOLLMER=per:dara-vollmer", "KARBALA=loc:karbala", "Dara Vollmer=per:dara-vollmer"],
        ),
        ("a shout, not a name: nobody named", "TALKS RESUME IN MARCH", &[]),
        (
            "named by the short form in small letters",
            "VOLLMER VISITS KARBALA\nVollmer arrived on Sunday.",
            &["VOLLMER=per:dara-vollmer", "KARBALA=loc:karbala", "Vollmer=per:dara-vollmer"],
        ),
        (
            "a title the surname is bound to decides it in capitals",
            "Senator HARROW. General, how long can this last?",
            &["HARROW=per:lena-harrow"],
        ),
        ("in capitals without its title: a shout", "HARROW ROAD CLOSED", &[]),
        (
            "small letters still need the alias's case",
            "Dara Vollmer spoke; vollmer is a word.",
            &["Dara Vollmer=per:dara-vollmer"],
        ),
    ];

    #[test]
    fn names_in_capitals() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions { rules: crate::matcher::MatchRules::ALL, ..Default::default() },
            crate::matcher::MatchRules { capitals: false, ..Default::default() },
        );
        assert_eq!(off_first, ["Dara Vollmer=per:dara-vollmer", "Karbala=loc:karbala"]);
    }
}
