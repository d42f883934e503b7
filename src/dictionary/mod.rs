//! The entity dictionary: its written form ([`model`], [`parse`]), its
//! compiled form ([`Dictionary`]) and how one becomes the other
//! ([`compile`]).
//!
//! # Invariants of a [`Dictionary`]
//!
//! - It was built whole from sources that had no problem at all; a
//!   dictionary with problems never exists (see [`compile::build`]).
//! - Entity ids are unique; every `parent` names an entity of the dictionary.
//! - Each folded alias key maps to one [`KeyEntry`]; two entities share a key
//!   only when both declared the alias `shared` (or their case-sensitive
//!   spellings differ), so a non-shared key links to exactly one entity.
//! - The automaton's pattern `i` is the key of `entries[pattern_entries[i]]`.
//!
//! It is immutable once built and shared through `Arc`; a new dictionary is a
//! new value, swapped in whole by [`crate::catalog`].

pub mod compile;
pub mod model;
pub mod parse;

use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
    time::{Duration, SystemTime},
};

use aho_corasick::AhoCorasick;

pub use compile::{LoadError, SourceText, build};
pub use model::{AliasSpec, CaseRule, EntityId, EntityType, Location, Problem};

/// The default dictionary compiled into the binary.
pub const EMBEDDED_DEFAULT_NAME: &str = "embedded:default.toml";
const EMBEDDED_DEFAULT_TEXT: &str = include_str!("../../dictionaries/default.toml");

/// The embedded default dictionary as a source.
pub fn embedded_default() -> SourceText {
    SourceText { name: EMBEDDED_DEFAULT_NAME.to_owned(), text: EMBEDDED_DEFAULT_TEXT.to_owned() }
}

/// Reads dictionary files, in order, after the embedded default when
/// `with_default` is set.
///
/// # Errors
///
/// An unreadable or non-UTF-8 file is a [`Problem`] naming the file; every
/// file is tried so all such problems are reported together.
pub fn read_sources(paths: &[impl AsRef<Path>], with_default: bool) -> Result<Vec<SourceText>, LoadError> {
    let mut sources = Vec::with_capacity(paths.len() + 1);
    if with_default {
        sources.push(embedded_default());
    }
    let mut problems = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
        {
            Ok(text) => sources.push(SourceText { name, text }),
            Err(error) => problems.push(Problem {
                at: Location { source: name.as_str().into(), line: 0 },
                message: format!("cannot read dictionary file: {error}"),
            }),
        }
    }
    if problems.is_empty() { Ok(sources) } else { Err(LoadError { problems }) }
}

/// Reads and builds in one step: what `serve`, `extract` and `check` do.
pub fn load(paths: &[impl AsRef<Path>], with_default: bool) -> Result<Dictionary, LoadError> {
    build(&read_sources(paths, with_default)?)
}

/// A canonical entity of a compiled dictionary.
#[derive(Debug, Clone)]
pub struct Entity {
    pub id: EntityId,
    pub entity_type: EntityType,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<EntityId>,
    pub external_ids: BTreeMap<String, String>,
    /// Aliases as written, the canonical name first, without repeats.
    pub aliases: Vec<String>,
}

/// Index of an entity in [`Dictionary::entities`].
pub type EntityIndex = u32;

/// One entity's claim on a folded key, with the options of its aliases.
#[derive(Debug, Clone)]
pub struct Target {
    pub entity: EntityIndex,
    /// Spellings of this entity that fold to the key, as written.
    pub written: Vec<String>,
    /// `None`: any capitalisation matches. `Some(forms)`: the text must fold,
    /// case preserved, to one of these.
    pub case_forms: Option<Vec<String>>,
    /// `None`: no context needed. `Some(phrases)`: in running text, one of
    /// these folded, padded phrases must end right before the alias.
    pub after: Option<Vec<String>>,
    pub extract: bool,
    pub shared: bool,
    pub default: bool,
}

impl Target {
    fn new(entity: EntityIndex, spec: &AliasSpec, case_form: Option<String>, after: Vec<String>) -> Self {
        Self {
            entity,
            written: vec![spec.text.clone()],
            case_forms: case_form.map(|f| vec![f]),
            after: (!after.is_empty()).then_some(after),
            extract: spec.extract,
            shared: spec.shared,
            default: spec.default,
        }
    }

    /// Folds another alias of the same entity with the same key into this
    /// claim: the loosest option wins, since either spelling may match.
    fn merge(&mut self, spec: &AliasSpec, case_form: Option<String>, after: Vec<String>) {
        if !self.written.contains(&spec.text) {
            self.written.push(spec.text.clone());
        }
        self.case_forms = match (self.case_forms.take(), case_form) {
            (Some(mut forms), Some(form)) => {
                if !forms.contains(&form) {
                    forms.push(form);
                }
                Some(forms)
            }
            _ => None,
        };
        self.after = match (self.after.take(), after.is_empty()) {
            (Some(mut phrases), false) => {
                phrases.extend(after);
                Some(phrases)
            }
            _ => None,
        };
        self.extract |= spec.extract;
        self.shared |= spec.shared;
        self.default |= spec.default;
    }

    /// Whether some capitalisation could match both claims.
    fn overlaps_case(&self, other: &Target) -> bool {
        match (&self.case_forms, &other.case_forms) {
            (Some(a), Some(b)) => a.iter().any(|f| b.contains(f)),
            _ => true,
        }
    }

    /// Whether the text at a match, folded with case preserved, satisfies
    /// this claim's case rule. `preserved` is computed lazily by the caller.
    pub fn case_matches(&self, preserved: &str) -> bool {
        self.case_forms.as_ref().is_none_or(|forms| forms.iter().any(|f| f == preserved))
    }
}

/// Every claim on one folded key.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// Padded folded key, e.g. `" kataib hezbollah "`.
    pub key: String,
    pub targets: Vec<Target>,
    /// An ignore phrase: matches, consumes its span, yields nothing.
    pub ignore: bool,
}

impl KeyEntry {
    fn is_extractable(&self) -> bool {
        self.ignore || self.targets.iter().any(|t| t.extract)
    }
}

/// A compiled dictionary source, as reported by `GetDictionaryInfo`.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub name: String,
    pub sha256: String,
    pub entity_count: u64,
    pub alias_count: u64,
}

/// Facts about a compiled dictionary.
#[derive(Debug, Clone)]
pub struct DictionaryInfo {
    /// First 16 hex digits of a SHA-256 over the engine version and every
    /// source's content hash, in order.
    pub version: String,
    pub entity_count: u64,
    /// Distinct (entity, folded alias) claims.
    pub alias_count: u64,
    pub sources: Vec<SourceInfo>,
    pub loaded_at: SystemTime,
    pub build_time: Duration,
    pub entities_by_type: BTreeMap<String, u64>,
    pub automaton_bytes: usize,
    pub automaton_kind: &'static str,
}

/// A compiled, immutable dictionary. See the module invariants.
#[derive(Debug)]
pub struct Dictionary {
    pub(crate) entities: Vec<Entity>,
    pub(crate) entries: Vec<KeyEntry>,
    pub(crate) keys: HashMap<String, u32>,
    pub(crate) pattern_entries: Vec<u32>,
    pub(crate) automaton: AhoCorasick,
    pub(crate) info: DictionaryInfo,
}

impl Dictionary {
    pub fn info(&self) -> &DictionaryInfo {
        &self.info
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    pub fn entity(&self, index: EntityIndex) -> &Entity {
        &self.entities[index as usize]
    }

    /// The claims on a padded folded key, if any alias or phrase folds to it.
    pub fn entry(&self, key: &str) -> Option<&KeyEntry> {
        self.keys.get(key).map(|&i| &self.entries[i as usize])
    }

    /// Approximate heap bytes held: automaton, keys, entities.
    pub fn memory_usage(&self) -> usize {
        let entries: usize = self
            .entries
            .iter()
            .map(|e| {
                e.key.len() * 2
                    + e.targets.iter().map(|t| 64 + t.written.iter().map(String::len).sum::<usize>()).sum::<usize>()
            })
            .sum();
        let entities: usize =
            self.entities.iter().map(|e| 128 + e.aliases.iter().map(|a| a.len() + 24).sum::<usize>()).sum();
        self.automaton.memory_usage() + entries + entities + self.keys.len() * 16
    }
}
