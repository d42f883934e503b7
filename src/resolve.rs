//! Alias normalisation: a messy name in, the canonical entity out.
//!
//! # Rules
//!
//! The whole query must be a name: "Washington Post" does not resolve to
//! Washington, and "Ali Soleimani" does not resolve to Qassem Soleimani
//! because one of its words is a surname. The query is folded like aliases
//! ([`crate::text`]); leading titles ("Maj. Gen.", "Sheikh", "Sayyed",
//! "Hajj") are dropped when the name with them is not itself an alias. Then
//! the stages below run in order and the first that finds anything answers:
//!
//! | stage | finds | kind | score |
//! |---|---|---|---|
//! | exact | an alias written exactly as the query | `Exact` | 1.0 |
//! | normalised | an alias equal after folding | `Normalized` | 0.95 |
//! | variant | an alias with the same romanisation skeleton ([`crate::text::skeleton`]) | `Variant` | 0.85 |
//! | fuzzy | an alias within an edit distance scaled to its length (1 edit below 16 letters, 2 below 30, 3 above), same first letter | `Fuzzy` | 0.8 × (1 − edits/length) |
//!
//! Case-sensitive aliases need the query's capitalisation ("IS" is the
//! Islamic State, "is" is nothing) and take no part in fuzzy matching. An
//! ignore phrase (a news outlet) resolves to nothing at once. Aliases marked
//! `extract = false` ("Kingdom") resolve here though running text never
//! matches them.
//!
//! When a stage finds several entities, all are candidates, best first: a
//! short form with a declared default (the only one) answers with that
//! entity at score 0.6; an alias that several entities share outright (a
//! non-strict catalogue's "Springfield") gives each the stage's score times
//! its share of their priors (an equal share without priors), and answers
//! only when one share reaches [`crate::matcher::DOMINANT_SHARE`];
//! otherwise, when the best score is shared by two entities, there is no
//! answer, only candidates. A request may select some of the loaded
//! dictionaries: the others' aliases and ignore phrases are not seen. Near neighbours never merge: each stage
//! compares whole names, and the variant index refuses skeletons that two
//! entities share.

use std::collections::HashMap;

use crate::{
    dictionary::{Claim, Dictionary, EntityIndex, Selection},
    text::{CaseMode, PUNCT_MARK, fold_key, skeleton::skeleton_key, titles::is_title},
    vocabulary::{DOMINANT_SHARE, MatchKind, TypeFilter},
};

/// Score of an alias written exactly as the query.
pub const EXACT_SCORE: f32 = 1.0;
/// Score of an alias equal to the query after folding: as certain of the
/// entity, marked lower so that callers can tell a spelling was repaired.
pub const NORMALIZED_SCORE: f32 = 0.95;
/// Score of a romanisation variant: regular, but not attested in the
/// dictionary.
pub const VARIANT_SCORE: f32 = 0.85;
/// Ceiling of a fuzzy match's score, scaled down by the edits it needed.
pub const FUZZY_SCORE: f32 = 0.8;
/// Score of a short form resolved to its declared default: a guess the
/// dictionary endorses, not a certainty.
pub const DEFAULT_SCORE: f32 = 0.6;
/// Most candidates returned for one name.
pub const MAX_CANDIDATES: usize = 10;

/// One entity a name may mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub entity: EntityIndex,
    pub kind: MatchKind,
    pub score: f32,
}

/// The answer for one name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// The entity the name resolves to, if it resolves.
    pub best: Option<Candidate>,
    /// Every entity the name may mean, best first, when more than one does.
    pub candidates: Vec<Candidate>,
}

/// How a claim may answer on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    /// A short form without a default: a candidate, never the answer.
    Contextual,
    /// An ordinary alias other entities claim too: the answer only with a
    /// dominant share.
    Shared,
    /// An ordinary alias.
    Plain,
    /// A short form's declared default: the answer, at [`DEFAULT_SCORE`].
    Default,
}

impl Standing {
    fn of(target: &Claim) -> Self {
        match (target.short_form(), target.default()) {
            (true, true) => Self::Default,
            (true, false) => Self::Contextual,
            _ => Self::Plain,
        }
    }
}

/// What a Normalize request asks for.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    pub types: TypeFilter,
    /// Answers and candidates below this score are dropped.
    pub min_score: f32,
    /// The dictionaries to use.
    pub selection: Selection,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self { types: TypeFilter::default(), min_score: 0.0, selection: Selection::ALL }
    }
}

impl Dictionary {
    /// Resolves one name; see the module rules.
    pub fn resolve(&self, name: &str, options: &ResolveOptions) -> Resolution {
        let key = fold_key(name, CaseMode::Fold);
        if self.key(&key).is_some_and(|k| options.selection.sees(self.key_ignore(k))) {
            return Resolution::default();
        }
        let preserved = fold_key(name, CaseMode::Preserve);
        let mut found = self.resolve_key(&key, &preserved, name.trim(), options);
        if found.is_empty()
            && let Some((stripped, stripped_preserved)) = strip_titles(&key, &preserved)
        {
            found = self.resolve_key(&stripped, &stripped_preserved, "", options);
        }
        let mut resolution = self.rank(found);
        resolution.best = resolution.best.filter(|b| b.score >= options.min_score);
        resolution.candidates.retain(|c| c.score >= options.min_score);
        resolution
    }

    /// The stages for one folded key; the first that finds anything answers.
    fn resolve_key(
        &self,
        key: &str,
        preserved: &str,
        written: &str,
        options: &ResolveOptions,
    ) -> Vec<(Candidate, Standing)> {
        let allowed = |t: &Claim| {
            options.selection.sees(self.claim_dictionaries(t))
                && options.types.allows(self.entity(t.entity).entity_type())
        };
        if let Some(k) = self.key(key) {
            if options.selection.sees(self.key_ignore(k)) {
                return Vec::new();
            }
            let found: Vec<(Candidate, Standing)> = self
                .key_claims(k)
                .iter()
                .filter(|t| self.case_matches(t, preserved) && allowed(t))
                .map(|t| {
                    let exact = self.spellings(t).any(|w| w == written);
                    let (kind, score) =
                        if exact { (MatchKind::Exact, EXACT_SCORE) } else { (MatchKind::Normalized, NORMALIZED_SCORE) };
                    (Candidate { entity: t.entity, kind, score }, Standing::of(t))
                })
                .collect();
            if !found.is_empty() {
                return self.share(found);
            }
        }
        if let Some(entry) = skeleton_key(key).and_then(|s| self.variant_entry(&s)) {
            let found: Vec<(Candidate, Standing)> = entry
                .claims
                .iter()
                .map(|&c| self.claim(c))
                .filter(|t| allowed(t))
                .map(|t| {
                    (Candidate { entity: t.entity, kind: MatchKind::Variant, score: VARIANT_SCORE }, Standing::of(t))
                })
                .collect();
            if !found.is_empty() {
                return self.share(found);
            }
        }
        self.fuzzy(key, &allowed)
    }

    /// The fuzzy stage: every key within the allowed edits, best per entity.
    fn fuzzy(&self, key: &str, allowed: &impl Fn(&Claim) -> bool) -> Vec<(Candidate, Standing)> {
        let query = key.trim();
        let length = query.chars().count();
        let Some(first) = query.chars().next() else { return Vec::new() };
        let max_edits = match length {
            0..=4 => return Vec::new(),
            5..=15 => 1,
            16..=29 => 2,
            _ => 3,
        };
        let mut best: HashMap<EntityIndex, (usize, Standing)> = HashMap::new();
        // Every key starts with the query's first letter (a cheap, strong
        // filter: typos rarely hit it), so only those subtrees are walked.
        let first = first.to_string();
        self.scanner.visit_keys(&first, |k, text| {
            let alias = text.trim();
            if alias.len().abs_diff(query.len()) > max_edits * 4 || alias.chars().count().abs_diff(length) > max_edits {
                return;
            }
            let edits = strsim::levenshtein(query, alias);
            if edits == 0 || edits > max_edits || self.key_ignore(k as u32) != 0 {
                return;
            }
            for target in self.key_claims(k as u32).iter().filter(|t| self.case_forms(t).is_none() && allowed(t)) {
                let slot = best.entry(target.entity).or_insert((usize::MAX, Standing::Contextual));
                if edits < slot.0 || (edits == slot.0 && Standing::of(target) > slot.1) {
                    *slot = (edits, Standing::of(target));
                }
            }
        });
        best.into_iter()
            // A misspelt bare surname says too little to answer from.
            .filter(|(_, (_, claim))| *claim != Standing::Contextual)
            .map(|(entity, (edits, _))| {
                let score = FUZZY_SCORE * (1.0 - edits as f32 / length as f32);
                (Candidate { entity, kind: MatchKind::Fuzzy, score }, Standing::Plain)
            })
            .collect()
    }

    /// Orders candidates and picks the answer: the one declared default,
    /// else a shared alias's dominant share, else a best score that no
    /// other entity shares.
    fn rank(&self, mut found: Vec<(Candidate, Standing)>) -> Resolution {
        found.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.score.total_cmp(&a.0.score)).then(a.0.entity.cmp(&b.0.entity)));
        let candidates: Vec<Candidate> = found.iter().map(|(c, _)| *c).take(MAX_CANDIDATES).collect();
        let best = match found.as_slice() {
            [(_, Standing::Default), (_, Standing::Default), ..] => None,
            [(default, Standing::Default), ..] => Some(Candidate { score: DEFAULT_SCORE, ..*default }),
            [(only, Standing::Plain)] => Some(*only),
            [(first, Standing::Plain), (second, _), ..] if first.score > second.score => Some(*first),
            [(first, Standing::Shared), ..] => {
                let stage_score = match first.kind {
                    MatchKind::Exact => EXACT_SCORE,
                    MatchKind::Variant => VARIANT_SCORE,
                    _ => NORMALIZED_SCORE,
                };
                (first.score >= stage_score * DOMINANT_SHARE).then_some(*first)
            }
            _ => None,
        };
        let candidates = if candidates.len() > 1 { candidates } else { Vec::new() };
        Resolution { best, candidates }
    }

    /// Several entities found by one stage split its score: short forms
    /// alone equally (they are evidence for each, proof of none); an alias
    /// that several entities share outright, by their priors
    /// ([`Dictionary::shares`]). Among shared claims, a declared default
    /// answers only when no share dominates, as in running text
    /// ([`crate::matcher`] rule 12).
    fn share(&self, found: Vec<(Candidate, Standing)>) -> Vec<(Candidate, Standing)> {
        let n = found.len();
        if n < 2 {
            return found;
        }
        if found.iter().all(|(_, claim)| *claim != Standing::Plain) {
            return found.into_iter().map(|(c, claim)| (Candidate { score: c.score / n as f32, ..c }, claim)).collect();
        }
        let shares = self.shares(found.iter().map(|(c, _)| c.entity));
        let dominant = shares.first().is_some_and(|&(_, share)| share >= DOMINANT_SHARE);
        let defaults = found.iter().filter(|(_, claim)| *claim == Standing::Default).count();
        found
            .into_iter()
            .map(|(c, claim)| {
                let share = shares.iter().find(|(e, _)| *e == c.entity).map_or(0.0, |&(_, share)| share);
                let claim =
                    if claim == Standing::Default && defaults == 1 && !dominant { claim } else { Standing::Shared };
                (Candidate { score: c.score * share, ..c }, claim)
            })
            .collect()
    }
}

/// The key without its leading titles, if it had any and a name remains
/// ("maj | gen | qasem soleimani" -> "qasem soleimani").
fn strip_titles(key: &str, preserved: &str) -> Option<(String, String)> {
    let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
    let kept = words.iter().position(|w| !(is_title(w) || *w == PUNCT_MARK.to_string() || *w == "the"))?;
    if kept == 0 {
        return None;
    }
    let rest = &words[kept..];
    let preserved_words: Vec<&str> = preserved.split(' ').filter(|w| !w.is_empty()).collect();
    let preserved_rest = preserved_words.get(kept..)?;
    Some((format!(" {} ", rest.join(" ")), format!(" {} ", preserved_rest.join(" "))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{SourceText, build};

    const DICT: &str = r#"
[[entity]]
id = "org:kataib-hezbollah"
type = "ORG"
name = "Kataib Hezbollah"
aliases = ["Kata'ib Hizballah", "Hezbollah Brigades", "KH"]

[[entity]]
id = "org:islamic-state"
type = "ORG"
name = "Islamic State"
aliases = [{ text = "IS", extract = false }]

[[entity]]
id = "loc:saudi-arabia"
type = "LOC"
name = "Saudi Arabia"
aliases = [{ text = "Kingdom", extract = false }]

[[entity]]
id = "loc:washington"
type = "LOC"
name = "Washington"

[[entity]]
id = "per:bashar-al-assad"
type = "PER"
name = "Bashar al-Assad"
aliases = [{ text = "Assad", short_form = true, default = true }]

[[entity]]
id = "per:osama-al-assad"
type = "PER"
name = "Osama Al-Assad"
aliases = [{ text = "Assad", short_form = true }, { text = "Al-Assad", short_form = true }]

[[entity]]
id = "per:hafez-al-assad"
type = "PER"
name = "Hafez al-Assad"
aliases = [{ text = "Al-Assad", short_form = true }]

[[entity]]
id = "per:qassem-soleimani"
type = "PER"
name = "Qassem Soleimani"
aliases = ["Soleimani"]

[[entity]]
id = "loc:ministry-of-interior"
type = "ORG"
name = "Ministry of Interior"

[[ignore]]
phrases = ["Washington Post"]
"#;

    fn dict() -> Dictionary {
        build(&[SourceText::new("t.toml", DICT)]).unwrap()
    }

    /// (name, query, expected best entity id or "", expected kind)
    const ROWS: &[(&str, &str, &str, Option<MatchKind>)] = &[
        ("exact alias", "Hezbollah Brigades", "org:kataib-hezbollah", Some(MatchKind::Exact)),
        ("canonical name", "Kataib Hezbollah", "org:kataib-hezbollah", Some(MatchKind::Exact)),
        ("folded case", "KATA'IB HIZBALLAH", "org:kataib-hezbollah", Some(MatchKind::Normalized)),
        ("curly apostrophe", "Kata’ib Hezbollah", "org:kataib-hezbollah", Some(MatchKind::Normalized)),
        ("surrounding space", "  Kataib Hezbollah ", "org:kataib-hezbollah", Some(MatchKind::Exact)),
        ("acronym", "KH", "org:kataib-hezbollah", Some(MatchKind::Exact)),
        ("acronym wrong case", "kh", "", None),
        ("normalize-only alias", "Kingdom", "loc:saudi-arabia", Some(MatchKind::Exact)),
        ("case-sensitive is", "is", "", None),
        ("IS", "IS", "org:islamic-state", Some(MatchKind::Exact)),
        ("ignore phrase", "Washington Post", "", None),
        ("whole name only", "Ali Soleimani", "", None),
        ("no partial", "Hezbollah Brigades commander", "", None),
        ("empty", "", "", None),
        ("punctuation", "—", "", None),
        ("short form with default", "Assad", "per:bashar-al-assad", Some(MatchKind::Exact)),
        ("variant", "Ketaib Hizbollah", "org:kataib-hezbollah", Some(MatchKind::Variant)),
        ("variant person", "Qasim Suleimani", "per:qassem-soleimani", Some(MatchKind::Variant)),
        ("doubled letter is a variant", "Kataib Hezbolah", "org:kataib-hezbollah", Some(MatchKind::Variant)),
        ("fuzzy one typo", "Kataib Hezbpllah", "org:kataib-hezbollah", Some(MatchKind::Fuzzy)),
        ("titles stripped", "Maj. Gen. Qassem Soleimani", "per:qassem-soleimani", Some(MatchKind::Normalized)),
        ("title and variant", "Hajj Qasim Sulaimani", "per:qassem-soleimani", Some(MatchKind::Variant)),
        ("only a title", "General", "", None),
        ("near neighbour stays apart", "Hafez al-Assad", "per:hafez-al-assad", Some(MatchKind::Exact)),
        ("names nothing", "Ministry of Agriculture", "", None),
        ("shared without default", "Al-Assad", "", None),
    ];

    #[test]
    fn resolution_rules() {
        let dict = dict();
        let all = ResolveOptions::default();
        for (name, query, want, kind) in ROWS {
            let resolution = dict.resolve(query, &all);
            let got = resolution.best.map(|c| dict.entity(c.entity).id()).unwrap_or("");
            assert_eq!(got, *want, "{name}: {query:?}");
            assert_eq!(resolution.best.map(|c| c.kind), *kind, "{name}: {query:?}");
        }
    }

    #[test]
    fn ambiguous_names_list_candidates() {
        let dict = dict();
        let all = ResolveOptions::default();
        let al_assad = dict.resolve("al-Assad", &all);
        let ids: Vec<&str> = al_assad.candidates.iter().map(|c| dict.entity(c.entity).id()).collect();
        // Bashar's surname is derived from his name ("Bashar al-Assad").
        assert_eq!(ids, ["per:bashar-al-assad", "per:osama-al-assad", "per:hafez-al-assad"]);
        assert!(al_assad.best.is_none());
        // Three entities share the form: a third of the evidence each.
        assert!(al_assad.candidates.iter().all(|c| c.score <= 1.0 / 3.0 + 1e-6));
        let assad = dict.resolve("Assad", &all);
        assert_eq!(dict.entity(assad.candidates[0].entity).id(), "per:bashar-al-assad");
        assert_eq!(assad.best.unwrap().score, DEFAULT_SCORE);
    }

    #[test]
    fn min_score_drops_weaker_answers() {
        let dict = dict();
        let strict = ResolveOptions { min_score: 0.9, ..ResolveOptions::default() };
        assert!(dict.resolve("Kataib Hezbollah", &strict).best.is_some());
        assert!(dict.resolve("Ketaib Hizbollah", &strict).best.is_none());
        assert!(dict.resolve("Assad", &strict).best.is_none(), "a default answer scores 0.6");
    }

    #[test]
    fn type_filter_applies() {
        let dict = dict();
        let only_loc = ResolveOptions { types: TypeFilter::new(vec!["LOC".into()]), ..ResolveOptions::default() };
        assert_eq!(dict.resolve("Kataib Hezbollah", &only_loc), Resolution::default());
        assert!(dict.resolve("Washington", &only_loc).best.is_some());
    }
}
