//! Alias normalisation: a messy name in, the canonical entity out.
//!
//! # Rules
//!
//! The whole query must be a name: "Washington Post" does not resolve to
//! Washington, and "Ali Soleimani" does not resolve to Qassem Soleimani
//! because one of its words is a surname. The query is folded like aliases
//! ([`crate::text`]); leading titles ("Maj. Gen.", "Sheikh", "Sayyed",
//! "Hajj", with their portfolio: "Foreign Minister", "Secretary of
//! State", "National Security Adviser") are dropped when the name with
//! them is not itself an alias. Then
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
//! answer, only candidates.
//!
//! # Normalize may not guess
//!
//! A name out of context must not be answered with an entity that it only
//! names in context, or that differs from it in something a reader would
//! never take for a slip. Each rule has a switch in [`ResolveRules`]; all
//! are on by default.
//!
//! - **Digits.** A fuzzy match never adds, drops or changes a digit:
//!   "Tower 23" is not "Tower 22", "Building 7" is not "Building 1". Numbers
//!   in names are identifiers, not spellings.
//! - **Context-bound aliases.** An alias the dictionary lets match only
//!   after the name of a place (`after = ["Iraq's"]` on "Interior
//!   Ministry") is, by the dictionary's own statement, a name that every
//!   state's institution shares in ordinary use: a bare query of it lists
//!   the entity as a candidate and answers nothing. The same query with
//!   its context ("Iraq's Interior Ministry") answers. A context that
//!   names no place ("PMF" before "50th Brigade") only keeps a unit's name
//!   from generic text, so the bare name still answers.
//! - **Shared heads of names.** A short form that several organisations or
//!   places claim ("Babiliyoun": the brigades and the movement) is the
//!   common head of their names; the dictionary's `default` serves running
//!   text, where the document can decide, but Normalize has no document,
//!   so the query lists every claimant and answers nothing. A person's
//!   surname with a declared default ("Assad") still answers: news uses a
//!   famous surname alone for one person.
//! - **Nisbas.** An Arabic nisba is a place name with the suffix -i,
//!   often with the article ("al-Tikriti", "al-Mosuli", "Tikriti"): a
//!   person's family name as much as a reference to the place. A query
//!   that is the nisba of a place is never answered with the place by a
//!   fuzzy match; with the rule off it was one edit from "Tikrit".
//!
//! A request may select some of the loaded
//! dictionaries: the others' aliases and ignore phrases are not seen. Near neighbours never merge: each stage
//! compares whole names, and the variant index refuses skeletons that two
//! entities share.

use std::collections::HashMap;

use crate::{
    dictionary::{Claim, Dictionary, EntityIndex, Selection},
    text::{
        CaseMode, PUNCT_MARK, fold_key,
        skeleton::skeleton_key,
        titles::{is_title, is_title_qualifier},
    },
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
    /// Every entity the name may mean, best first, when more than one does
    /// or when the one it may mean is not the answer.
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

impl Dictionary {
    /// How `target` may answer a query out of context: [`Standing::of`],
    /// made `Contextual` for a context-bound alias (rule "context-bound
    /// aliases") unless the query carried its context (`in_context`).
    fn standing(&self, target: &Claim, rules: ResolveRules, in_context: bool) -> Standing {
        if rules.context_bound && !in_context && self.bound_to_a_place(target) {
            return Standing::Contextual;
        }
        Standing::of(target)
    }

    /// Whether the dictionary lets `target` match only after the name of a
    /// place ("Iraq's", "Yemeni"): a name every state has. A context that
    /// names an organisation ("PMF" before "50th Brigade") marks a unit's
    /// name kept from generic text, still its name when asked for alone.
    fn bound_to_a_place(&self, target: &Claim) -> bool {
        let Some(phrases) = self.after(target) else { return false };
        let names_a_place = |phrase: &str| {
            self.key(phrase).is_some_and(|k| self.key_claims(k).iter().any(|t| self.entity(t.entity).is_place()))
        };
        phrases.iter().any(|p| {
            names_a_place(p)
                || p.strip_suffix(" s ").is_some_and(|stem| names_a_place(&format!("{stem} ")))
                || p.strip_suffix("i ").is_some_and(|stem| names_a_place(&format!("{stem} ")))
        })
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
    /// Which "may not guess" rules apply (module docs); all by default.
    pub rules: ResolveRules,
}

impl Default for ResolveOptions {
    fn default() -> Self {
        Self { types: TypeFilter::default(), min_score: 0.0, selection: Selection::ALL, rules: ResolveRules::default() }
    }
}

/// Switches for the rules under "Normalize may not guess" (module docs), so
/// that a test can compare the resolver with and without each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolveRules {
    /// A fuzzy match keeps every digit of the query.
    pub digits: bool,
    /// A context-bound alias (`after` phrases) is only a candidate.
    pub context_bound: bool,
    /// A short form several non-person entities claim answers nothing.
    pub shared_heads: bool,
    /// A place's nisba is never the place by a fuzzy match.
    pub nisbas: bool,
}

impl ResolveRules {
    /// Every rule on: the default.
    pub const ALL: Self = Self { digits: true, context_bound: true, shared_heads: true, nisbas: true };
    /// Every rule off: the resolver as it was before them.
    pub const NONE: Self = Self { digits: false, context_bound: false, shared_heads: false, nisbas: false };
}

impl Default for ResolveRules {
    fn default() -> Self {
        Self::ALL
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
        // The query may carry the context a context-bound alias needs; that
        // beats a fuzzy reading of the whole ("Iraq's Interior Ministry").
        if options.rules.context_bound && found.iter().all(|(c, _)| c.kind == MatchKind::Fuzzy) {
            let in_context = self.resolve_in_context(&key, &preserved, options);
            if !in_context.is_empty() {
                found = in_context;
            }
        }
        let mut resolution = self.rank(found, options.rules);
        resolution.best = resolution.best.filter(|b| b.score >= options.min_score);
        resolution.candidates.retain(|c| c.score >= options.min_score);
        resolution
    }

    /// A query that starts with the context a context-bound alias asks for
    /// ("Iraq's Interior Ministry"): the alias after the context, answered
    /// by the claims whose context it is, as running text would.
    fn resolve_in_context(&self, key: &str, preserved: &str, options: &ResolveOptions) -> Vec<(Candidate, Standing)> {
        let words: Vec<(usize, &str)> = word_starts(key);
        let preserved_words: Vec<(usize, &str)> = word_starts(preserved);
        for &(at, _) in words.iter().skip(1) {
            let (context, rest) = (&key[..at], &key[at - 1..]);
            let Some(k) = self.key(rest) else { continue };
            let Some(&(preserved_at, _)) = preserved_words.get(words.iter().position(|w| w.0 == at).unwrap_or(0))
            else {
                continue;
            };
            let rest_preserved = &preserved[preserved_at - 1..];
            let found: Vec<(Candidate, Standing)> = self
                .key_claims(k)
                .iter()
                .filter(|t| {
                    self.after(t).is_some_and(|phrases| phrases.iter().any(|p| context.ends_with(p.as_str())))
                        && self.case_matches(t, rest_preserved)
                        && options.selection.sees(self.claim_dictionaries(t))
                        && options.types.allows(self.entity(t.entity).entity_type())
                })
                .map(|t| {
                    let candidate =
                        Candidate { entity: t.entity, kind: MatchKind::Normalized, score: NORMALIZED_SCORE };
                    (candidate, self.standing(t, options.rules, true))
                })
                .collect();
            if !found.is_empty() {
                return self.share(found);
            }
        }
        Vec::new()
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
                    (Candidate { entity: t.entity, kind, score }, self.standing(t, options.rules, false))
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
                    let candidate = Candidate { entity: t.entity, kind: MatchKind::Variant, score: VARIANT_SCORE };
                    (candidate, self.standing(t, options.rules, false))
                })
                .collect();
            if !found.is_empty() {
                return self.share(found);
            }
        }
        self.fuzzy(key, &allowed, options.rules)
    }

    /// The fuzzy stage: every key within the allowed edits, best per entity.
    fn fuzzy(&self, key: &str, allowed: &impl Fn(&Claim) -> bool, rules: ResolveRules) -> Vec<(Candidate, Standing)> {
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
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let query_digits = digits(query);
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
            if rules.digits && digits(alias) != query_digits {
                return;
            }
            let nisba = rules.nisbas && is_nisba_of(query, alias);
            for target in self.key_claims(k as u32).iter().filter(|t| self.case_forms(t).is_none() && allowed(t)) {
                let standing = if nisba && !self.entity(target.entity).is_person() {
                    // Shown as a candidate (it is one), never the answer.
                    Standing::Shared
                } else {
                    self.standing(target, rules, false)
                };
                let slot = best.entry(target.entity).or_insert((usize::MAX, Standing::Contextual));
                if edits < slot.0 || (edits == slot.0 && standing > slot.1) {
                    *slot = (edits, standing);
                }
            }
        });
        best.into_iter()
            // A misspelt bare surname says too little to answer from.
            .filter(|(_, (_, claim))| *claim != Standing::Contextual)
            .map(|(entity, (edits, standing))| {
                let score = FUZZY_SCORE * (1.0 - edits as f32 / length as f32);
                let standing = if standing == Standing::Shared { Standing::Contextual } else { Standing::Plain };
                (Candidate { entity, kind: MatchKind::Fuzzy, score }, standing)
            })
            .collect()
    }

    /// Orders candidates and picks the answer: the one declared default,
    /// else a shared alias's dominant share, else a best score that no
    /// other entity shares.
    fn rank(&self, mut found: Vec<(Candidate, Standing)>, rules: ResolveRules) -> Resolution {
        if rules.shared_heads {
            // A default among several non-person claimants is the head of
            // their names, not the name of one (module docs).
            let claimants = found.len();
            for (candidate, standing) in &mut found {
                if *standing == Standing::Default && claimants > 1 && !self.entity(candidate.entity).is_person() {
                    *standing = Standing::Contextual;
                }
            }
        }
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
        // A lone candidate is listed when it does not answer (a context-bound
        // alias, a nisba): the caller learns what the name may mean.
        let candidates = if candidates.len() > 1 || best.is_none() { candidates } else { Vec::new() };
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

/// Byte offsets of each word of a padded key, with the word.
fn word_starts(key: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut at = 0;
    for word in key.split(' ') {
        if !word.is_empty() {
            out.push((at, word));
        }
        at += word.len() + 1;
    }
    out
}

/// Whether the padded key `query` is the nisba of the padded key `alias`:
/// the same words, the last with the suffix -i (doubled -iyy- forms fold
/// the same way), optionally after the article ("al-Tikriti" of "Tikrit").
fn is_nisba_of(query: &str, alias: &str) -> bool {
    let query = query.trim();
    let query = ["al ", "el ", "ul "].iter().find_map(|a| query.strip_prefix(a)).unwrap_or(query);
    let alias = alias.trim();
    query.strip_suffix('i').is_some_and(|stem| stem == alias || stem.strip_suffix('i') == Some(alias))
}

/// The key without its leading titles, if it had any and a name remains
/// ("maj | gen | qasem soleimani" -> "qasem soleimani"). The title words
/// may come with their qualifiers ("foreign minister", "secretary of
/// state", "national security adviser"), when at least one title word is
/// among them: "national security council" keeps its words.
fn strip_titles(key: &str, preserved: &str) -> Option<(String, String)> {
    let words: Vec<&str> = key.split(' ').filter(|w| !w.is_empty()).collect();
    let punct = PUNCT_MARK.to_string();
    let leading = |w: &str| is_title(w) || is_title_qualifier(w) || w == punct || w == "the";
    let kept = words.iter().position(|w| !leading(w))?;
    let titled = words[..kept].iter().any(|w| is_title(w) || matches!(*w, "adviser" | "advisor"));
    // "President of Iraq" names an office, not Iraq: a title phrase ends in
    // a title or a portfolio, never in "of".
    if kept == 0 || !titled || words[kept - 1] == "of" {
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

[[entity]]
id = "loc:tower-22"
type = "LOC"
name = "Tower 22"

[[entity]]
id = "loc:camp-building-1"
type = "LOC"
name = "Building 1"

[[entity]]
id = "loc:iraq"
type = "LOC"
name = "Iraq"

[[entity]]
id = "loc:tikrit"
type = "LOC"
name = "Tikrit"

[[entity]]
id = "org:iraq-ministry-of-interior"
type = "ORG"
name = "Iraqi Ministry of Interior"
aliases = [{ text = "Interior Ministry", after = ["Iraq's", "Iraqi"] }]

[[entity]]
id = "org:kataib-example"
type = "ORG"
name = "Kataib Nahrain"
aliases = [{ text = "Nahrain", short_form = true, default = true }, { text = "Regiment 9", after = ["PMF"] }]

[[entity]]
id = "org:nahrain-movement"
type = "ORG"
name = "Nahrain Movement"
aliases = [{ text = "Nahrain", short_form = true }]

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
        (
            "a legislator's abbreviated title (Sen., Rep.)",
            "Sen. Hafez al-Assad",
            "per:hafez-al-assad",
            Some(MatchKind::Normalized),
        ),
        (
            "a title with its portfolio",
            "Foreign Minister Hafez al-Assad",
            "per:hafez-al-assad",
            Some(MatchKind::Normalized),
        ),
        ("secretary of state", "Secretary of State Hafez al-Assad", "per:hafez-al-assad", Some(MatchKind::Normalized)),
        (
            "an adviser's title",
            "National Security Adviser Hafez al-Assad",
            "per:hafez-al-assad",
            Some(MatchKind::Normalized),
        ),
        ("portfolio words without a title stay", "Foreign Hafez al-Assad", "", None),
        ("an office of a place is not the place", "President of Tikrit", "", None),
        ("only a title", "General", "", None),
        ("near neighbour stays apart", "Hafez al-Assad", "per:hafez-al-assad", Some(MatchKind::Exact)),
        ("names nothing", "Ministry of Agriculture", "", None),
        ("shared without default", "Al-Assad", "", None),
        // Normalize may not guess (module docs), one row a rule.
        ("a digit is never a typo", "Tower 23", "", None),
        ("a digit is never a typo, other digit", "Building 7", "", None),
        ("a typo beside the digits", "Towr 22", "loc:tower-22", Some(MatchKind::Fuzzy)),
        ("place-bound alias alone", "Interior Ministry", "", None),
        (
            "place-bound alias in its context",
            "Iraq's Interior Ministry",
            "org:iraq-ministry-of-interior",
            Some(MatchKind::Normalized),
        ),
        ("organisation-bound alias alone", "Regiment 9", "org:kataib-example", Some(MatchKind::Exact)),
        ("shared head of two organisations", "Nahrain", "", None),
        ("full name beside a shared head", "Nahrain Movement", "org:nahrain-movement", Some(MatchKind::Exact)),
        ("a person's surname default still answers", "Assad", "per:bashar-al-assad", Some(MatchKind::Exact)),
        ("nisba of a place", "Tikriti", "", None),
        ("nisba with the article", "al-Tikriti", "", None),
        ("the place itself", "Tikrit", "loc:tikrit", Some(MatchKind::Exact)),
        ("a typo of the place", "Tikrid", "loc:tikrit", Some(MatchKind::Fuzzy)),
    ];

    /// Rows whose answer the "may not guess" rules change: (rule name,
    /// query, answer with every rule off).
    const GUESSES: &[(&str, &str, &str)] = &[
        ("digits", "Tower 23", "loc:tower-22"),
        ("context_bound", "Interior Ministry", "org:iraq-ministry-of-interior"),
        ("shared_heads", "Nahrain", "org:kataib-example"),
        ("nisbas", "Tikriti", "loc:tikrit"),
    ];

    #[test]
    fn each_rule_alone_stops_its_guess() {
        let dict = dict();
        let id = |r: &Resolution| r.best.map(|c| dict.entity(c.entity).id()).unwrap_or("");
        for (rule, query, guess) in GUESSES {
            let off = ResolveOptions { rules: ResolveRules::NONE, ..ResolveOptions::default() };
            assert_eq!(id(&dict.resolve(query, &off)), *guess, "{rule} off: {query:?}");
            let mut only = ResolveRules::NONE;
            match *rule {
                "digits" => only.digits = true,
                "context_bound" => only.context_bound = true,
                "shared_heads" => only.shared_heads = true,
                "nisbas" => only.nisbas = true,
                other => unreachable!("{other}"),
            }
            let on = dict.resolve(query, &ResolveOptions { rules: only, ..ResolveOptions::default() });
            assert_eq!(id(&on), "", "{rule} on: {query:?}");
            // What the name may mean is still said.
            let candidates: Vec<&str> = on.candidates.iter().map(|c| dict.entity(c.entity).id()).collect();
            if *rule != "digits" {
                assert!(candidates.contains(guess), "{rule} on: {query:?} lists {candidates:?}");
            }
        }
    }

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
