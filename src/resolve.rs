//! Alias normalisation: a messy name in, the canonical entity out.
//!
//! # Rules
//!
//! The whole query must be a name: "Washington Post" does not resolve to
//! Washington, and "Ali Soleimani" does not resolve to Qassem Soleimani
//! because one of its words is a surname. The query is folded exactly like
//! aliases ([`crate::text`]) and looked up:
//!
//! - an alias written exactly as the query: [`MatchKind::Exact`], score 1.0;
//! - an alias equal after folding: [`MatchKind::Normalized`], score 0.95;
//! - case-sensitive aliases must match the query's capitalisation ("IS" is
//!   the Islamic State, "is" is nothing), as in running text;
//! - ignore phrases (news outlets and the like) resolve to nothing;
//! - aliases marked `extract = false` ("Kingdom") resolve here even though
//!   extraction never matches them in running text;
//! - a shared alias ("Assad") is ambiguous: every entity claiming it is a
//!   candidate (score divided among them); the declared default, if any, is
//!   the answer with score 0.6, otherwise there is no answer, only
//!   candidates.
//!
//! A name matching nothing resolves to nothing; that is an answer, not an
//! error.

use crate::{
    dictionary::{Dictionary, EntityIndex, Target},
    matcher::MatchKind,
    text::{CaseMode, fold_key},
};

/// Score of an alias written exactly as the query.
pub const EXACT_SCORE: f32 = 1.0;
/// Score of an alias equal to the query after folding: as certain of the
/// entity, marked lower so that callers can tell a spelling was repaired.
pub const NORMALIZED_SCORE: f32 = 0.95;
/// Score of a shared alias resolved to its declared default: a guess the
/// dictionary endorses, not a certainty.
pub const DEFAULT_SCORE: f32 = 0.6;

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

/// Which entity types a request wants; empty means all.
#[derive(Debug, Clone, Default)]
pub struct TypeFilter {
    types: Vec<String>,
}

impl TypeFilter {
    pub fn new(types: Vec<String>) -> Self {
        Self { types }
    }

    pub fn allows(&self, entity_type: &str) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| t == entity_type)
    }
}

impl Dictionary {
    /// Resolves one name; see the module rules.
    pub fn resolve(&self, name: &str, filter: &TypeFilter) -> Resolution {
        let Some(entry) = self.entry(&fold_key(name, CaseMode::Fold)) else {
            return Resolution::default();
        };
        let preserved = fold_key(name, CaseMode::Preserve);
        let trimmed = name.trim();
        let matching: Vec<&Target> = entry
            .targets
            .iter()
            .filter(|t| t.case_matches(&preserved) && filter.allows(self.entity(t.entity).entity_type.as_str()))
            .collect();
        let candidate = |t: &Target, score_scale: f32| {
            let exact = t.written.iter().any(|w| w == trimmed);
            let (kind, score) =
                if exact { (MatchKind::Exact, EXACT_SCORE) } else { (MatchKind::Normalized, NORMALIZED_SCORE) };
            Candidate { entity: t.entity, kind, score: score * score_scale }
        };
        match matching.as_slice() {
            [] => Resolution::default(),
            [only] if !only.short_form => Resolution { best: Some(candidate(only, 1.0)), candidates: Vec::new() },
            shared => {
                let share = 1.0 / shared.len() as f32;
                // Default first, then as written in the dictionary.
                let mut candidates: Vec<Candidate> = shared.iter().map(|t| candidate(t, share)).collect();
                candidates.sort_by_key(|c| !shared.iter().any(|t| t.entity == c.entity && t.default));
                let best =
                    shared.iter().find(|t| t.default).map(|t| Candidate { score: DEFAULT_SCORE, ..candidate(t, 1.0) });
                Resolution { best, candidates }
            }
        }
    }
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

[[ignore]]
phrases = ["Washington Post"]
"#;

    fn dict() -> Dictionary {
        build(&[SourceText { name: "t.toml".into(), text: DICT.into() }]).unwrap()
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
        ("shared with default", "Assad", "per:bashar-al-assad", Some(MatchKind::Exact)),
        ("shared without default", "Al-Assad", "", None),
    ];

    #[test]
    fn resolution_rules() {
        let dict = dict();
        let all = TypeFilter::default();
        for (name, query, want, kind) in ROWS {
            let resolution = dict.resolve(query, &all);
            let got = resolution.best.map(|c| dict.entity(c.entity).id.as_str()).unwrap_or("");
            assert_eq!(got, *want, "{name}: {query:?}");
            assert_eq!(resolution.best.map(|c| c.kind), *kind, "{name}: {query:?}");
        }
    }

    #[test]
    fn ambiguous_names_list_candidates() {
        let dict = dict();
        let all = TypeFilter::default();
        let al_assad = dict.resolve("al-Assad", &all);
        let ids: Vec<&str> = al_assad.candidates.iter().map(|c| dict.entity(c.entity).id.as_str()).collect();
        assert_eq!(ids, ["per:osama-al-assad", "per:hafez-al-assad"]);
        assert!(al_assad.candidates.iter().all(|c| (c.score - 0.475).abs() < 1e-6));
        let assad = dict.resolve("Assad", &all);
        assert_eq!(dict.entity(assad.candidates[0].entity).id.as_str(), "per:bashar-al-assad");
        assert_eq!(assad.best.unwrap().score, DEFAULT_SCORE);
    }

    #[test]
    fn type_filter_applies() {
        let dict = dict();
        let only_loc = TypeFilter::new(vec!["LOC".into()]);
        assert_eq!(dict.resolve("Kataib Hezbollah", &only_loc), Resolution::default());
        assert!(dict.resolve("Washington", &only_loc).best.is_some());
    }
}
