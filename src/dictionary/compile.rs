//! Compiling parsed sources into a [`Dictionary`]: cross-source validation,
//! entities from records and rows, alias folding and grouping, and the
//! Aho-Corasick automaton.
//!
//! # Validation (every problem is collected, none is resolved silently)
//!
//! - an entity id defined twice by records (both places named);
//! - a row whose type or name contradicts its entity's record;
//! - a `parent` naming an entity no source defines;
//! - in a strict source ([`SourceOptions::strict`]): a row naming an entity
//!   no source defines, and one folded alias claimed by two entities of
//!   strict sources, unless both mark it `short_form` (or both are
//!   case-sensitive with different capitalisations), or given two
//!   `default`s;
//! - an alias or phrase that folds to nothing (only punctuation).
//!
//! Outside strict sources an alias may name several entities: such a
//! *shared* alias is linked per mention by document context, declared
//! default or prior, or reported as ambiguous (see [`crate::matcher`]);
//! and rows create the entities they name when no record defines them.
//!
//! A problem located in one row goes by its source's [`InvalidRows`]: it
//! fails the build, or leaves out the smallest unit it concerns (the row,
//! the alias, the parent link) and is recorded in the source's
//! [`SourceInfo::skipped`].
//!
//! An ignore phrase that is also an entity's alias yields to the entity:
//! dictionaries are layered (a later file may promote a phrase that an
//! earlier one ignored to an entity), and the entity is the more specific
//! statement.
//!
//! # The automaton
//!
//! One pattern per distinct padded folded key (`" kataib hezbollah "`), built
//! leftmost-longest ([`super::scanner`]): at the leftmost position where any
//! alias starts, the longest alias wins. That is the rule the product
//! promises ("Kataib Hezbollah" is one mention, never "Hezbollah"), and it
//! needs no post-filtering of overlaps. The matcher falls back to a shorter
//! alias at the same start, with an anchored search, when the longest one
//! fails a case or context check.
//!
//! # Memory and cost
//!
//! A build holds, at its peak, the drafts of every entity, alias and key,
//! not the sources: each source is parsed a slice of lines at a time into
//! the builder (the parse of one slice overlapping the definition of the
//! one before), hashed beside its parse, and its text dropped once parsed
//! ([`build_sources`]). The drafts are small and few allocations: an alias
//! waiting to be folded is 24 bytes with its text interned
//! ([`PendingAlias`]); a claim is 32 bytes, what few claims have apart
//! ([`ClaimDraft`]), held inline when it is its key's only one
//! ([`Claims`]); keys live in one arena ([`Keys`]), entity ids in their
//! drafts only ([`Ids`]), an entity's type is a number ([`Types`]), its
//! name interned and its aliases a range of one list ([`EntityAliases`]).
//!
//! The peak is the freeze ([`freeze`]), where the tables are made beside
//! what they are made from. So whatever only the build needs goes before
//! it (the key and id indexes, the key arena, where entities were defined,
//! the interner's index), and the drafts are freed as they are frozen; the
//! artefact is then streamed to its file ([`super::artefact::write`]), not
//! copied into memory beside the dictionary. The build logs the wall and
//! CPU time of each phase; docs/benchmarks.md has the figures for a
//! 1,000,000-entity catalogue.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Instant, SystemTime},
};

use foldhash::{HashMap, HashMapExt};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::{
    Claim, ClaimRare, Dictionary, DictionaryInfo, DictionarySummary, EXTERNAL_ID, Entities, EntityRecord, KeyId,
    RuleNeeds, SourceInfo, VariantIndex,
    model::{
        AliasRow, AliasSpec, CaseRule, EntityId, EntitySpec, EntityType, IgnoreSpec, Location, ParsedSource, Problem,
    },
    parse::{format_of, parse_source_into, table::DEFAULT_ROW_TYPE},
    scanner::{self, Scanner},
    source::{Format, InvalidRows, MAX_DICTIONARIES, NameCase, SourceOptions, SourceText},
    strings::{Interner, NONE, Renumber, StrId},
};
use crate::{
    text::{CaseMode, fold_key, fold_key_into, skeleton::skeleton_key, titles::starts_with_title},
    vocabulary::DESCRIPTORS,
};

/// Why a dictionary could not be built: every problem found, located.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the dictionary; first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

/// The padded folded form of an empty string: what an alias made only of
/// punctuation folds to.
const EMPTY_KEY: &str = " ";

/// Skipped rows whose problems a source's info keeps, for the operator to
/// see what kind of rows were left out; the count covers them all.
pub const SKIPPED_EXAMPLES: usize = 10;

/// Most entities a derived surname (a short form with no default) keeps
/// claims for. The claims only make the surname a key and break ties; the
/// entity a surname means is the person the document named in full, found
/// through that full mention whether or not the person is among the claims.
/// A catalogue of a million people has surnames thousands share, and every
/// occurrence would walk them all.
const SURNAME_CLAIMS: usize = 16;

/// Parses, validates and compiles `sources` (in order) into a dictionary.
///
/// # Errors
///
/// [`LoadError`] with every problem of every source; nothing is half-built.
pub fn build(sources: &[SourceText]) -> Result<Dictionary, LoadError> {
    build_sources(sources.to_vec())
}

/// [`build`], taking the sources: each source's text is dropped as soon as
/// it is parsed (and hashed), so a large file is not held beside the build.
///
/// # Errors
///
/// As [`build`].
pub fn build_sources(mut sources: Vec<SourceText>) -> Result<Dictionary, LoadError> {
    let started = Instant::now();
    let mut phases = Phases::new();
    let mut builder = Builder::new(&sources)?;
    let formats: Vec<Format> = sources.iter().map(format_of).collect();
    let mut hashes = vec![String::new(); sources.len()];
    // Records define entities before rows extend them: the record formats
    // first, then the row formats, each in source order. Each source is
    // parsed a slice of lines at a time into the builder (its records are
    // never all held), its hash taken beside the parse, and its text dropped.
    for rows in [false, true] {
        for index in (0..sources.len()).filter(|&i| formats[i].yields_rows() == rows) {
            let (source, format) = (&sources[index], formats[index]);
            let (sha256, parsed) = rayon::join(
                || hex(&Sha256::digest(source.text.as_bytes())),
                || parse_source_into(source, format, &mut |part| builder.take(index, part)),
            );
            hashes[index] = sha256;
            match parsed {
                Ok(()) => builder.sources[index].format = Some(format),
                Err(problems) => builder.staged[index].file_problems = problems,
            }
            sources[index].text = String::new();
        }
    }
    builder.report_staged();
    builder.check_parents();
    // Where entities were defined matters only to the problems above.
    builder.defined_at = Vec::new();
    phases.mark("parse and entities");
    let (mut entries, mut keys) = builder.group_aliases();
    phases.mark("group");
    if !builder.problems.is_empty() {
        return Err(LoadError { problems: builder.problems });
    }
    builder.derive_surnames(&mut entries, &mut keys);
    // Every key is made: the automata need the keys' text, not their index.
    keys.forget_index();
    mark_descriptor_tails(&mut entries, &keys);
    // Sorted keys are the scanner's patterns in order, so key ids follow
    // text order (and the artefact is the same for the same sources).
    // (The leading pad is every key's, so it is left out of the comparison.)
    let order = scanner::order_by_bytes(entries.len(), |i| {
        keys.str(entries[i as usize].key).as_bytes().get(1..).unwrap_or_default()
    });
    let entries = scanner::permuted(entries, &order);
    let decorated = decorated_forms(&entries, &keys);
    let scannable: Vec<bool> = entries.iter().zip(&decorated).map(|(e, &d)| is_pattern(e, &keys) && !d).collect();
    // Keys that running text must capitalise: every claim a proper name.
    let proper: Vec<bool> = entries
        .iter()
        .map(|e| e.ignore == 0 && e.claims.iter().next().is_some() && e.claims.iter().all(|c| c.proper))
        .collect();
    phases.mark("surnames and sort");
    // The two automata are independent and the largest part of a big build.
    let (variants, scanner) = rayon::join(
        || build_variants(&entries, &keys),
        || {
            let keys: Vec<&str> = entries.iter().map(|e| keys.str(e.key)).collect();
            Scanner::build_with(&keys, &scannable, &proper)
        },
    );
    let variants = variants?;
    let scanner = scanner.map_err(|e| LoadError {
        problems: vec![Problem {
            at: Location { source: Arc::from("<automaton>"), line: 0 },
            message: format!("cannot build the automaton: {e}"),
        }],
    })?;
    phases.mark("automata");
    drop(keys);
    let info = builder.info(&sources, &hashes, &entries, &scanner, started);
    let drafts = std::mem::take(&mut builder.entities);
    let strings = std::mem::take(&mut builder.strings);
    let parents: Vec<u32> =
        drafts.iter().map(|d| d.parent.as_ref().and_then(|p| builder.index.get(p, &drafts)).unwrap_or(NONE)).collect();
    // What only the build needed goes before the tables are made.
    builder.index = Ids::default();
    let entities = EntityParts {
        drafts,
        aliases: std::mem::take(&mut builder.aliases),
        types: std::mem::take(&mut builder.types.all),
        parents,
    };
    let mut dictionary = freeze(entities, strings, entries, scanner, variants, info);
    phases.mark("tables");
    dictionary.info.build_time = started.elapsed();
    let info = &dictionary.info;
    tracing::info!(
        version = %info.version,
        entities = info.entity_count,
        aliases = info.alias_count,
        dictionaries = info.dictionaries.len(),
        skipped_rows = info.sources.iter().map(|s| s.skipped_rows).sum::<u64>(),
        keys = dictionary.key_claim_ends.len(),
        variant_keys = dictionary.variants.as_ref().map_or(0, |v| v.len()),
        automaton_kind = info.automaton_kind,
        automaton_bytes = info.automaton_bytes,
        memory_bytes = dictionary.memory_usage(),
        build_ms = info.build_time.as_secs_f64() * 1e3,
        phases = %phases,
        "dictionary compiled"
    );
    Ok(dictionary)
}

/// Wall and process CPU time per build phase, for the build's log line:
/// where a large dictionary's load time goes (CPU time stays meaningful on
/// a busy machine).
struct Phases {
    last: (Instant, f64),
    spent: Vec<(&'static str, f64, f64)>,
}

/// CPU seconds this process has used, all threads.
fn process_cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the pointer it is given, which
    // is valid and large enough; on failure it writes nothing and the zeroed
    // value (0 s) is read.
    #[allow(unsafe_code)]
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

impl Phases {
    fn new() -> Self {
        Self { last: (Instant::now(), process_cpu_seconds()), spent: Vec::new() }
    }

    fn mark(&mut self, phase: &'static str) {
        let now = (Instant::now(), process_cpu_seconds());
        self.spent.push((phase, (now.0 - self.last.0).as_secs_f64(), now.1 - self.last.1));
        self.last = now;
    }
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (phase, wall, cpu)) in self.spent.iter().enumerate() {
            write!(f, "{}{phase} {wall:.2}s ({cpu:.2}s cpu)", if i == 0 { "" } else { ", " })?;
        }
        Ok(())
    }
}

/// An entity while it is being built. Its strings, but for the id and the
/// name, are interned in [`Builder::strings`]: a million entities' aliases,
/// descriptions and attributes as separate heap strings (and maps) were
/// most of a large build's memory.
struct EntityDraft {
    id: EntityId,
    /// In [`Builder::types`].
    entity_type: u32,
    /// Interned (it is an alias too, so interned anyway).
    name: StrId,
    /// [`NONE`]: none.
    description: StrId,
    parent: Option<EntityId>,
    /// Sorted by key text, keys distinct (as the source's map iterates).
    external_ids: Vec<(StrId, StrId)>,
    /// Sorted by key text, keys distinct.
    attributes: Vec<(StrId, StrId)>,
    prior: Option<f32>,
    dictionary: u8,
}

/// Each entity's aliases as written, the canonical name first, without
/// repeats, entity after entity in one list (aliases are grouped in entity
/// order): not a `Vec` per entity.
#[derive(Default)]
struct EntityAliases {
    all: Vec<StrId>,
    /// Entity `e`'s end in `all` (it starts at entity `e - 1`'s end).
    ends: Vec<u32>,
}

impl EntityAliases {
    fn of(&self, e: usize) -> &[StrId] {
        let start = e.checked_sub(1).map_or(0, |p| self.ends[p] as usize);
        &self.all[start..self.ends[e] as usize]
    }

    /// Adds `alias` to the entity being grouped (entity `ends.len()`),
    /// unless it has it already.
    fn add(&mut self, alias: StrId) {
        let start = self.ends.last().map_or(0, |&end| end as usize);
        if !self.all[start..].contains(&alias) {
            self.all.push(alias);
        }
    }

    /// Closes the aliases of the entity being grouped.
    fn end_entity(&mut self) {
        self.ends.push(self.all.len() as u32);
    }
}

/// Sets `key` to `value` in a list sorted by key text (a small map of
/// interned strings); an existing key keeps its value unless `replace`.
fn put(list: &mut Vec<(StrId, StrId)>, strings: &mut Interner, key: &str, value: &str, replace: bool) {
    match list.binary_search_by(|&(k, _)| strings.str(k).cmp(key)) {
        Ok(i) if replace => list[i].1 = strings.intern(value),
        Ok(_) => {}
        Err(i) => {
            let entry = (strings.intern(key), strings.intern(value));
            list.insert(i, entry);
        }
    }
}

/// An `after` phrase folded as [`super::follows_phrase`] reads it: a
/// phrase written with a closing full stop ("Gen.", "U.S.") keeps the
/// stop's mark (`" gen | "`), since the text's stop folds to one too.
fn fold_after(phrase: &str) -> String {
    let mut key = fold_key(phrase, CaseMode::Fold);
    if phrase.trim_end().ends_with('.') && !key.ends_with("| ") {
        key.push_str("| ");
    }
    key
}

/// The strings of a record, in the order [`Builder::define_entity`]
/// interns them: name, aliases, description, external ids and attributes
/// (key, value).
fn record_strings(spec: &EntitySpec) -> impl Iterator<Item = &str> {
    fn pairs(map: &BTreeMap<String, String>) -> impl Iterator<Item = &str> {
        map.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()])
    }
    std::iter::once(spec.name.as_str())
        .chain(spec.aliases.iter().map(|a| a.text.as_str()))
        .chain(spec.description.as_deref())
        .chain(pairs(&spec.external_ids))
        .chain(pairs(&spec.attributes))
}

/// One entity's claim on a folded key while it is being built: 32 bytes,
/// what few claims have apart ([`ClaimMore`]), since a large catalogue has
/// millions.
#[derive(Debug, Clone)]
struct ClaimDraft {
    entity: u32,
    /// The first spelling of this entity that folds to the key, as written
    /// (interned in [`Builder::strings`]).
    spelling: StrId,
    dictionaries: u64,
    /// More spellings, case forms, `after` phrases; `None`: none of them.
    more: Option<Box<ClaimMore>>,
    extract: bool,
    short_form: bool,
    default: bool,
    capitalised_tail: bool,
    /// Every spelling of it is a proper name of a `names=proper` source:
    /// running text must capitalise it (`NameCase::Proper`).
    proper: bool,
    /// A lenient source's one-word common word ([`Claim::common_word`]).
    common_word: bool,
}

/// What few claims being built have.
#[derive(Debug, Clone, Default, PartialEq)]
struct ClaimMore {
    /// Spellings after the first.
    spellings: Vec<StrId>,
    /// `Some(forms)`: case-sensitive, these forms only.
    case_forms: Option<Vec<String>>,
    /// `Some(phrases)`: one of these must come right before the alias.
    after: Option<Vec<String>>,
}

impl ClaimDraft {
    fn new(
        entity: u32,
        text: StrId,
        spec: AliasOptions,
        case_form: Option<String>,
        after: Vec<String>,
        dictionaries: u64,
        proper: bool,
    ) -> Self {
        let more = (case_form.is_some() || !after.is_empty()).then(|| {
            Box::new(ClaimMore {
                spellings: Vec::new(),
                case_forms: case_form.map(|f| vec![f]),
                after: (!after.is_empty()).then_some(after),
            })
        });
        Self {
            entity,
            spelling: text,
            dictionaries,
            more,
            extract: spec.extract,
            short_form: spec.short_form,
            default: spec.default,
            capitalised_tail: false,
            proper,
            common_word: false,
        }
    }

    /// A claim with one spelling, no rules, extractable, not a short form.
    fn plain(entity: u32, written: StrId, dictionaries: u64, proper: bool) -> Self {
        Self {
            entity,
            spelling: written,
            dictionaries,
            more: None,
            extract: true,
            short_form: false,
            default: false,
            capitalised_tail: false,
            proper,
            common_word: false,
        }
    }

    fn case_forms(&self) -> Option<&Vec<String>> {
        self.more.as_ref()?.case_forms.as_ref()
    }

    fn after(&self) -> Option<&Vec<String>> {
        self.more.as_ref()?.after.as_ref()
    }

    /// Folds another alias of the same entity with the same key into this
    /// claim: the loosest option wins, since either spelling may match.
    fn merge(
        &mut self,
        text: StrId,
        spec: AliasOptions,
        case_form: Option<String>,
        after: Vec<String>,
        dictionaries: u64,
        proper: bool,
    ) {
        self.dictionaries |= dictionaries;
        // A spelling in lower case, or from a `names=any` source, lets
        // the claim match in any case.
        self.proper &= proper;
        let mut more = self.more.take().map_or_else(ClaimMore::default, |m| *m);
        if text != self.spelling && !more.spellings.contains(&text) {
            more.spellings.push(text);
        }
        more.case_forms = match (more.case_forms.take(), case_form) {
            (Some(mut forms), Some(form)) => {
                if !forms.contains(&form) {
                    forms.push(form);
                }
                Some(forms)
            }
            _ => None,
        };
        more.after = match (more.after.take(), after.is_empty()) {
            (Some(mut phrases), false) => {
                phrases.extend(after);
                Some(phrases)
            }
            _ => None,
        };
        self.more = (more != ClaimMore::default()).then(|| Box::new(more));
        self.extract |= spec.extract;
        self.short_form |= spec.short_form;
        self.default |= spec.default;
    }

    /// Whether some capitalisation could match both claims.
    fn overlaps_case(&self, other: &ClaimDraft) -> bool {
        match (self.case_forms(), other.case_forms()) {
            (Some(a), Some(b)) => a.iter().any(|f| b.contains(f)),
            _ => true,
        }
    }
}

/// Every claim on one folded key while it is being built.
#[derive(Debug)]
struct KeyDraft {
    /// The padded folded key (`" kataib hezbollah "`) in [`Keys`].
    key: u32,
    claims: Claims,
    /// Dictionaries for which the key is an ignore phrase (0: none).
    ignore: u64,
}

/// The claims on one key. Most keys of a catalogue have one, held inline:
/// a `Vec` per key cost a heap allocation (48 bytes with the allocator's
/// overhead) beside its 24 bytes, for millions of keys.
#[derive(Debug, Default)]
enum Claims {
    #[default]
    None,
    One(ClaimDraft),
    Many(Vec<ClaimDraft>),
}

impl std::ops::Deref for Claims {
    type Target = [ClaimDraft];

    fn deref(&self) -> &[ClaimDraft] {
        match self {
            Claims::None => &[],
            Claims::One(claim) => std::slice::from_ref(claim),
            Claims::Many(claims) => claims,
        }
    }
}

impl std::ops::DerefMut for Claims {
    fn deref_mut(&mut self) -> &mut [ClaimDraft] {
        match self {
            Claims::None => &mut [],
            Claims::One(claim) => std::slice::from_mut(claim),
            Claims::Many(claims) => claims,
        }
    }
}

impl Claims {
    fn push(&mut self, claim: ClaimDraft) {
        *self = match std::mem::take(self) {
            Claims::None => Claims::One(claim),
            Claims::One(first) => Claims::Many(vec![first, claim]),
            Claims::Many(mut claims) => {
                claims.push(claim);
                Claims::Many(claims)
            }
        };
    }

    fn retain(&mut self, keep: impl FnMut(&ClaimDraft) -> bool) {
        let mut claims = match std::mem::take(self) {
            Claims::None => Vec::new(),
            Claims::One(claim) => vec![claim],
            Claims::Many(claims) => claims,
        };
        claims.retain(keep);
        for claim in claims {
            self.push(claim);
        }
    }
}

/// The folded keys of a build, each once, numbered as their drafts are
/// made: one byte arena and a map from a key's hash to its number, instead
/// of a heap string per key (twice: in a map and in its draft) for the
/// millions of keys of a large catalogue.
#[derive(Default)]
struct Keys {
    /// Keys are interned strings (hashed by [`KeyHasher`]).
    keys: Interner,
    hasher: KeyHasher,
}

/// The hash [`Keys`] files a key under. Its own type, so that the fold,
/// which hashes keys in parallel for the grouping's lookups, hashes them
/// exactly as [`Keys::hash`] does.
#[derive(Clone, Default)]
struct KeyHasher(foldhash::fast::FixedState);

impl KeyHasher {
    fn hash(&self, key: &str) -> u64 {
        use std::hash::BuildHasher;
        self.0.hash_one(key)
    }
}

impl Keys {
    fn hash(&self, key: &str) -> u64 {
        self.hasher.hash(key)
    }

    fn str(&self, k: u32) -> &str {
        self.keys.str(k)
    }

    /// Frees the index: no key is looked up or added after this.
    fn forget_index(&mut self) {
        self.keys.forget_index();
    }

    fn get(&self, key: &str) -> Option<u32> {
        self.get_hashed(key, self.hash(key))
    }

    /// [`Keys::get`], with `hash` = [`Keys::hash`]`(key)`, computed apart
    /// (in parallel, while folding).
    fn get_hashed(&self, key: &str, hash: u64) -> Option<u32> {
        self.keys.find_hashed(key, hash)
    }

    /// Fetches the index slot of a key [`Keys::get_hashed`] will be asked
    /// for soon (see [`Interner::prefetch`]).
    fn prefetch(&self, hash: u64) {
        self.keys.prefetch(hash);
    }

    /// Adds a key that [`Keys::get`] does not know, as number `self.len()`.
    fn insert(&mut self, key: &str) -> u32 {
        self.insert_hashed(key, self.hash(key))
    }

    /// [`Keys::insert`], with `hash` = [`Keys::hash`]`(key)`.
    fn insert_hashed(&mut self, key: &str, hash: u64) -> u32 {
        self.keys.intern_hashed(key, hash)
    }
}

/// Entity ids to entity numbers: a map from an id's hash to its number,
/// the id's text being its draft's (a second copy of a million ids, each
/// its own heap string, was a large share of a big build's memory).
#[derive(Default)]
struct Ids {
    index: HashMap<u64, u32>,
    /// Ids whose hash a different, earlier id has (a 64-bit collision).
    collided: HashMap<EntityId, u32>,
    hasher: foldhash::fast::FixedState,
}

impl Ids {
    fn hash(&self, id: &EntityId) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(id.as_str())
    }

    /// The number of the entity with this id, `entities` being the drafts.
    fn get(&self, id: &EntityId, entities: &[EntityDraft]) -> Option<u32> {
        match self.index.get(&self.hash(id)) {
            Some(&e) if entities[e as usize].id == *id => Some(e),
            Some(_) => self.collided.get(id).copied(),
            None => None,
        }
    }

    /// Numbers an id that [`Ids::get`] does not know.
    fn insert(&mut self, id: &EntityId, e: u32) {
        match self.index.entry(self.hash(id)) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(e);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(id.clone(), e);
            }
        }
    }
}

/// The entities of a build, ready to freeze.
struct EntityParts {
    drafts: Vec<EntityDraft>,
    aliases: EntityAliases,
    /// The types the drafts number.
    types: Vec<EntityType>,
    /// Each draft's parent's position in `drafts` ([`NONE`]: none).
    parents: Vec<u32>,
}

/// The compact tables of a built dictionary ([`super`]'s layout): strings
/// interned, entities, claims and keys flat. `early` holds the drafts'
/// strings.
///
/// The string arena is laid out in the order the tables first name each
/// string (an entity's aliases, external ids, attributes, id, name and
/// description, entity by entity; the types; the claims' spellings), so the
/// artefact depends only on the sources, not on how the build interned.
fn freeze(
    entities: EntityParts,
    mut early: Interner,
    entries: Vec<KeyDraft>,
    scanner: Scanner,
    variants: Option<VariantDraft>,
    info: DictionaryInfo,
) -> Dictionary {
    let EntityParts { drafts, aliases: entity_aliases, types: type_names, parents } = entities;
    // Types numbered in order of first appearance among the entities.
    let mut types: Vec<&str> = Vec::new();
    let mut renumbered: Vec<u16> = vec![u16::MAX; type_names.len()];
    let type_of: Vec<u16> = drafts
        .iter()
        .map(|draft| {
            let t = &mut renumbered[draft.entity_type as usize];
            if *t == u16::MAX {
                types.push(type_names[draft.entity_type as usize].as_str());
                *t = types.len() as u16 - 1;
            }
            *t
        })
        .collect();
    // Ids are not interned while building (they are keys and message text
    // there): hash them in parallel, intern them in order.
    let hashes: Vec<u64> = drafts.par_iter().map(|d| early.hash(d.id.as_str())).collect();
    // (Each probe a likely cache miss: the slot `PREFETCH_AHEAD` ids on is
    // fetched while this one is interned.)
    let id_names: Vec<[StrId; 2]> = drafts
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if let Some(&ahead) = hashes.get(i + PREFETCH_AHEAD) {
                early.prefetch(ahead);
            }
            [early.intern_hashed(d.id.as_str(), hashes[i]), d.name]
        })
        .collect();
    let early_types: Vec<StrId> = types.iter().map(|t| early.intern(t)).collect();
    // Every string is interned now: the index of millions of them need not
    // sit beside the tables.
    early.forget_index();
    let mut strings = Renumber::new(&early);
    let mut records = Vec::with_capacity(drafts.len());
    // Sized up front: growing tables of millions by doubling copied them
    // over and over (a fifth of this phase).
    let (mut alias_ends, mut aliases) =
        (Vec::with_capacity(drafts.len()), Vec::with_capacity(entity_aliases.all.len()));
    let extra_count = drafts.iter().map(|d| d.external_ids.len() + d.attributes.len()).sum();
    let (mut extra_ends, mut extras) = (Vec::with_capacity(drafts.len()), Vec::with_capacity(extra_count));
    for (e, ((draft, [id, name]), entity_type)) in drafts.iter().zip(id_names).zip(type_of).enumerate() {
        // Aliases first, so that the name (the first alias) is one string.
        for &alias in entity_aliases.of(e) {
            aliases.push(strings.id(alias));
        }
        alias_ends.push(aliases.len() as u32);
        for &(key, value) in &draft.external_ids {
            extras.push([strings.id(key) | EXTERNAL_ID, strings.id(value)]);
        }
        for &(key, value) in &draft.attributes {
            extras.push([strings.id(key), strings.id(value)]);
        }
        extra_ends.push(extras.len() as u32);
        records.push(EntityRecord {
            id: strings.id(id),
            name: strings.id(name),
            description: strings.id(draft.description),
            parent: parents[e],
            prior: draft.prior.unwrap_or(f32::NAN),
            entity_type,
            dictionary: draft.dictionary,
            _pad: 0,
        });
    }
    // The drafts are frozen: their memory serves the claims' tables.
    drop((drafts, entity_aliases));
    let types: Vec<u32> = early_types.iter().map(|&t| strings.id(t)).collect();
    let mut claims = Vec::with_capacity(entries.iter().map(|e| e.claims.len()).sum());
    let mut key_claim_ends = Vec::with_capacity(entries.len());
    let mut rare = Vec::new();
    let mut ignores = Vec::new();
    // Each key's draft is freed as soon as it is frozen.
    for (key, entry) in entries.into_iter().enumerate() {
        if entry.ignore != 0 {
            ignores.push((key as KeyId, entry.ignore));
        }
        for draft in entry.claims.iter() {
            claims.push(freeze_claim(draft, &mut strings, &mut rare));
        }
        key_claim_ends.push(claims.len() as u32);
    }
    let variants = variants.map(|v| VariantIndex {
        scanner: v.scanner,
        claim_ends: v.claim_ends.into(),
        claims: v.claims.into(),
        ignores: v.ignores,
    });
    Dictionary {
        strings: strings.finish(),
        entities: Entities {
            records: records.into(),
            alias_ends: alias_ends.into(),
            aliases: aliases.into(),
            extra_ends: extra_ends.into(),
            extras: extras.into(),
            types: types.into(),
        },
        key_claim_ends: key_claim_ends.into(),
        claims: claims.into(),
        needs: RuleNeeds::of(&rare),
        first_names: std::sync::OnceLock::new(),
        rare,
        ignores,
        scanner,
        variants,
        info,
    }
}

fn freeze_claim(draft: &ClaimDraft, strings: &mut Renumber<'_>, rare: &mut Vec<ClaimRare>) -> Claim {
    let many = draft.dictionaries.count_ones() != 1;
    let more = draft.more.as_deref();
    let extra = ClaimRare {
        spellings: more.map_or(Vec::new(), |m| m.spellings.iter().map(|&w| strings.id(w)).collect()),
        case_forms: draft.case_forms().cloned(),
        after: draft.after().cloned(),
        dictionaries: if many { draft.dictionaries } else { 0 },
    };
    // After the other spellings, as the artefact has always numbered them.
    let spelling = strings.id(draft.spelling);
    let rare_index = if extra == ClaimRare::default() {
        NONE
    } else {
        rare.push(extra);
        rare.len() as u32 - 1
    };
    let flag = |on: bool, bit: u8| if on { bit } else { 0 };
    let flags = flag(draft.extract, super::EXTRACT)
        | flag(draft.short_form, super::SHORT_FORM)
        | flag(draft.default, super::DEFAULT)
        | flag(draft.capitalised_tail, super::CAPITALISED_TAIL)
        | flag(draft.proper, super::PROPER_NAME)
        | flag(draft.common_word, super::COMMON_WORD);
    Claim {
        entity: draft.entity,
        spelling,
        rare: rare_index,
        dictionary: if many { super::MANY_DICTIONARIES } else { draft.dictionaries.trailing_zeros() as u8 },
        flags,
        _pad: 0,
    }
}

/// What the build knows of one source.
struct SourceState {
    options: SourceOptions,
    /// Index of its dictionary in [`Builder::dictionaries`].
    dictionary: u8,
    /// The options', or the file's own `strict`.
    strict: bool,
    format: Option<Format>,
    skipped: Vec<Problem>,
    skipped_count: u64,
    passed_over: u64,
    entity_count: u64,
    alias_count: u64,
}

/// Where an entity was defined, and by what.
#[derive(Clone)]
struct Definition {
    at: Location,
    source: u32,
    /// A record (TOML, JSON Lines, FollowTheMoney) defined it, not rows.
    record: bool,
    /// Rows that created it named its type / its name (rather than the
    /// defaults: [`DEFAULT_ROW_TYPE`], the first alias).
    type_given: bool,
    name_given: bool,
}

/// An alias folded: its key, its case form (case-sensitive aliases), its
/// folded `after` phrases, and whether it becomes a person's short form.
struct FoldedAlias {
    /// Where its key ends in its entity's keys (it starts where the
    /// previous alias's ends).
    key_end: usize,
    /// [`Keys::hash`] of its key.
    hash: u64,
    case_form: Option<String>,
    after: Vec<String>,
    promote: bool,
    /// Its key is one common word ([`crate::text::common`]).
    common_word: bool,
    /// Its text starts with a capital ([`starts_with_capital`]).
    capital: bool,
}

/// Folds one entity's aliases: their keys, one after the other, and what
/// else grouping needs of each, computed here because this runs in
/// parallel and grouping does not.
fn fold_entity(
    entity: &EntityDraft,
    specs: &[PendingAlias],
    strings: &Interner,
    types: &Types,
    hasher: &KeyHasher,
) -> (String, Vec<FoldedAlias>) {
    let (person, name) = (types.get(entity.entity_type).is_person(), strings.str(entity.name));
    let mut name_key = None;
    let mut keys = String::new();
    let folded = specs
        .iter()
        .map(|p| {
            let text = strings.str(p.text);
            let start = keys.len();
            fold_key_into(text, CaseMode::Fold, &mut keys);
            let key = &keys[start..];
            let case_form = p.case.is_sensitive(text).then(|| fold_key(text, CaseMode::Preserve));
            let after = p.after.iter().flat_map(|a| a.iter()).map(|a| fold_after(a)).collect();
            let promote = person_short_form(p.short_form, person, name, key, &mut name_key);
            FoldedAlias {
                key_end: keys.len(),
                hash: hasher.hash(key),
                case_form,
                after,
                promote,
                common_word: crate::text::common::is_common_word_key(key),
                capital: starts_with_capital(text),
            }
        })
        .collect();
    (keys, folded)
}

/// Entities whose aliases are folded in parallel at a time: enough to keep
/// two cores busy, few enough that the folded forms stay a few megabytes.
const FOLD_CHUNK: usize = 1 << 14;

/// The options of an alias a claim takes (a person's one-word alias is
/// made a short form: [`person_short_form`]).
#[derive(Clone, Copy)]
struct AliasOptions {
    extract: bool,
    short_form: bool,
    default: bool,
}

/// An alias waiting to be folded, in 24 bytes (a large catalogue holds
/// millions until they are grouped): its text (interned in
/// [`Builder::strings`]), its options, and the source and line that wrote
/// it.
struct PendingAlias {
    text: StrId,
    source: u32,
    line: u32,
    case: CaseRule,
    extract: bool,
    short_form: bool,
    default: bool,
    /// Its `after` phrases, `None` for none. Boxed so that the rare option
    /// costs one pointer, not a `Vec`'s three words, in each of millions of
    /// pending aliases.
    #[allow(clippy::box_collection)]
    after: Option<Box<Vec<String>>>,
}

impl PendingAlias {
    /// Whether both are the same alias, with default options, from the
    /// same source (only their lines may differ).
    fn same_plain(&self, other: &PendingAlias) -> bool {
        let plain = |p: &PendingAlias| {
            p.case == CaseRule::Auto && p.extract && !p.short_form && !p.default && p.after.is_none()
        };
        self.text == other.text && self.source == other.source && plain(self) && plain(other)
    }

    /// An alias with every option at its default, its text interned.
    fn plain(text: StrId, source: usize, at: &Location) -> Self {
        Self {
            text,
            source: source as u32,
            line: u32::try_from(at.line).unwrap_or(u32::MAX),
            case: CaseRule::Auto,
            extract: true,
            short_form: false,
            default: false,
            after: None,
        }
    }

    fn new(spec: AliasSpec, source: usize, strings: &mut Interner) -> Self {
        let hash = strings.hash(&spec.text);
        Self::new_hashed(spec, source, strings, hash)
    }

    /// [`PendingAlias::new`], with `hash` the interner's hash of its text.
    fn new_hashed(spec: AliasSpec, source: usize, strings: &mut Interner, hash: u64) -> Self {
        let AliasSpec { text, case, extract, after, short_form, default, at } = spec;
        Self {
            text: strings.intern_hashed(&text, hash),
            source: source as u32,
            // A line past 2^32 needs a file past 4 GiB, which the string
            // arena refuses anyway.
            line: u32::try_from(at.line).unwrap_or(u32::MAX),
            case,
            extract,
            short_form,
            default,
            after: (!after.is_empty()).then(|| Box::new(after)),
        }
    }
}

/// How many records or rows [`Builder`] hashes, and whose index slots it
/// fetches, ahead of interning them: enough misses in flight to overlap,
/// few enough that the slots are still cached when they are used.
const PREFETCH_AHEAD: usize = 16;

struct Builder {
    entities: Vec<EntityDraft>,
    /// The entities' aliases, made while grouping.
    aliases: EntityAliases,
    /// The entities' types, each once.
    types: Types,
    index: Ids,
    /// Per entity, its aliases with their sources (the name first).
    alias_specs: Vec<Vec<PendingAlias>>,
    /// Per entity: where and by which source it was defined.
    defined_at: Vec<Definition>,
    sources: Vec<SourceState>,
    /// Dictionary names, in order of first appearance; index = bit.
    dictionaries: Vec<(String, bool)>,
    /// Source names to their indices, for routing located problems.
    source_of: HashMap<Arc<str>, u32>,
    /// Source names, by index.
    names: Vec<Arc<str>>,
    problems: Vec<Problem>,
    /// The drafts' strings, each once ([`EntityDraft`], [`ClaimDraft`]);
    /// [`freeze`] lays them out in table order.
    strings: Interner,
    /// Per source, its parse problems, reported after every source is
    /// parsed ([`Builder::report_staged`]) so that problems come in the
    /// order of a build that parsed everything first: each source's parse
    /// problems, then every definition problem, then every row problem.
    staged: Vec<Staged>,
    define_problems: Vec<(usize, Problem)>,
    attach_problems: Vec<(usize, Problem)>,
    /// Ignore phrases, by source.
    ignores: Vec<(usize, Vec<IgnoreSpec>)>,
}

/// The entity types of a build, each once: a draft holds its type's number
/// (a million entities' type strings were tens of megabytes of a build).
#[derive(Default)]
struct Types {
    all: Vec<EntityType>,
    number: HashMap<EntityType, u32>,
}

impl Types {
    fn number(&mut self, entity_type: EntityType) -> u32 {
        if let Some(&t) = self.number.get(&entity_type) {
            return t;
        }
        let t = self.all.len() as u32;
        self.all.push(entity_type.clone());
        self.number.insert(entity_type, t);
        t
    }

    fn get(&self, t: u32) -> &EntityType {
        &self.all[t as usize]
    }
}

/// A source's parse problems until [`Builder::report_staged`].
#[derive(Default)]
struct Staged {
    /// Whole-file problems (the source was not read).
    file_problems: Vec<Problem>,
    /// Rows left out.
    row_problems: Vec<Problem>,
}

impl Builder {
    fn new(sources: &[SourceText]) -> Result<Self, LoadError> {
        let mut dictionaries: Vec<(String, bool)> = Vec::new();
        let mut states = Vec::with_capacity(sources.len());
        let mut source_of = HashMap::new();
        for (i, source) in sources.iter().enumerate() {
            let options = source.options.clone();
            let dictionary = match dictionaries.iter().position(|(name, _)| *name == options.dictionary) {
                Some(d) => d,
                None => {
                    dictionaries.push((options.dictionary.clone(), false));
                    dictionaries.len() - 1
                }
            };
            if dictionaries.len() > MAX_DICTIONARIES {
                return Err(LoadError {
                    problems: vec![Problem {
                        at: Location { source: Arc::from(source.name.as_str()), line: 0 },
                        message: format!(
                            "dictionary {:?} is the {}th; one server holds at most {MAX_DICTIONARIES} named dictionaries",
                            options.dictionary,
                            dictionaries.len()
                        ),
                    }],
                });
            }
            source_of.entry(Arc::from(source.name.as_str())).or_insert(i as u32);
            states.push(SourceState {
                strict: options.strict,
                options,
                dictionary: dictionary as u8,
                format: None,
                skipped: Vec::new(),
                skipped_count: 0,
                passed_over: 0,
                entity_count: 0,
                alias_count: 0,
            });
        }
        Ok(Self {
            entities: Vec::new(),
            aliases: EntityAliases::default(),
            types: Types::default(),
            index: Ids::default(),
            alias_specs: Vec::new(),
            defined_at: Vec::new(),
            sources: states,
            dictionaries,
            source_of,
            problems: Vec::new(),
            strings: Interner::default(),
            staged: sources.iter().map(|_| Staged::default()).collect(),
            names: sources.iter().map(|s| Arc::from(s.name.as_str())).collect(),
            define_problems: Vec::new(),
            attach_problems: Vec::new(),
            ignores: Vec::new(),
        })
    }

    /// Takes a part of source `source` as the parser hands it on: defines
    /// its entities, attaches its rows (all records are defined first; see
    /// [`build_sources`]), keeps its ignore phrases.
    fn take(&mut self, source: usize, part: ParsedSource) {
        let ParsedSource { entities, rows, ignores, row_problems, strict, passed_over } = part;
        let state = &mut self.sources[source];
        state.strict |= strict;
        state.passed_over += passed_over;
        self.staged[source].row_problems.extend(row_problems);
        if !ignores.is_empty() {
            self.ignores.push((source, ignores));
        }
        self.define_entities(source, entities);
        self.attach_rows(source, rows);
    }

    /// Reports the staged problems in build order (see [`Builder::staged`]).
    fn report_staged(&mut self) {
        for (source, staged) in std::mem::take(&mut self.staged).into_iter().enumerate() {
            self.problems.extend(staged.file_problems);
            for problem in staged.row_problems {
                self.report(source, problem);
            }
        }
        for (source, problem) in std::mem::take(&mut self.define_problems) {
            self.report(source, problem);
        }
        for (source, problem) in std::mem::take(&mut self.attach_problems) {
            self.report(source, problem);
        }
    }

    /// Line `line` of source `source`.
    fn location(&self, source: u32, line: u32) -> Location {
        Location { source: self.names[source as usize].clone(), line: line as usize }
    }

    /// Routes a problem of source `source`: an error, or a skipped row.
    fn report(&mut self, source: usize, problem: Problem) {
        let state = &mut self.sources[source];
        if state.options.invalid_rows == InvalidRows::Skip {
            state.skipped_count += 1;
            if state.skipped.len() < SKIPPED_EXAMPLES {
                state.skipped.push(problem);
            }
        } else {
            self.problems.push(problem);
        }
    }

    /// Routes a problem by the source its location names.
    fn report_at(&mut self, problem: Problem) {
        match self.source_of.get(&problem.at.source) {
            Some(&source) => self.report(source as usize, problem),
            None => self.problems.push(problem),
        }
    }

    fn dictionary_bit(&self, source: u32) -> u64 {
        1 << self.sources[source as usize].dictionary
    }

    fn new_entity(&mut self, entity: EntityDraft, aliases: Vec<PendingAlias>, definition: Definition) {
        self.index.insert(&entity.id, self.entities.len() as u32);
        self.sources[definition.source as usize].entity_count += 1;
        self.entities.push(entity);
        self.alias_specs.push(aliases);
        self.defined_at.push(definition);
    }

    /// Entities that records define (TOML, JSON Lines, FollowTheMoney).
    fn define_entities(&mut self, source: usize, specs: Vec<EntitySpec>) {
        let dictionary = self.sources[source].dictionary;
        // The strings of the next few records are hashed, and their index
        // slots fetched, before the records are interned: the probes of a
        // large catalogue miss the cache, and this way the misses of a
        // batch overlap (the build's critical path was the interner's
        // probes, one miss after another).
        let mut hashes = Vec::new();
        let mut specs = specs.into_iter();
        loop {
            let batch: Vec<EntitySpec> = specs.by_ref().take(PREFETCH_AHEAD).collect();
            if batch.is_empty() {
                break;
            }
            hashes.clear();
            let mut counts = [0usize; PREFETCH_AHEAD];
            for (spec, count) in batch.iter().zip(&mut counts) {
                for text in record_strings(spec) {
                    let hash = self.strings.hash(text);
                    self.strings.prefetch(hash);
                    hashes.push(hash);
                    *count += 1;
                }
            }
            let mut own = hashes.as_slice();
            for (spec, count) in batch.into_iter().zip(counts) {
                let (mine, rest) = own.split_at(count);
                own = rest;
                self.define_entity(source, dictionary, spec, mine);
            }
        }
    }

    /// One record of [`Builder::define_entities`]; `hashes` are the
    /// interner's hashes of its [`record_strings`].
    fn define_entity(&mut self, source: usize, dictionary: u8, spec: EntitySpec, hashes: &[u64]) {
        if let Some(first) = self.index.get(&spec.id, &self.entities) {
            let message = format!("entity id {} is already defined at {}", spec.id, self.defined_at[first as usize].at);
            self.define_problems.push((source, Problem { at: spec.at, message }));
            return;
        }
        let mut hashes = hashes.iter().copied();
        let mut hash = || hashes.next().expect("a hash for each of the record's strings");
        // The canonical name is an alias with default options, unless the
        // aliases list repeats it with options of its own.
        let mut aliases = Vec::with_capacity(spec.aliases.len() + 1);
        let strings = &mut self.strings;
        let name = strings.intern_hashed(&spec.name, hash());
        if !spec.aliases.iter().any(|a| a.text == spec.name) {
            aliases.push(PendingAlias::plain(name, source, &spec.at));
        }
        for alias in spec.aliases {
            aliases.push(PendingAlias::new_hashed(alias, source, strings, hash()));
        }
        self.sources[source].alias_count += aliases.len() as u64;
        let description = spec.description.as_deref().map_or(NONE, |d| strings.intern_hashed(d, hash()));
        let mut interned_map = |map: BTreeMap<String, String>| -> Vec<(StrId, StrId)> {
            map.iter().map(|(k, v)| (strings.intern_hashed(k, hash()), strings.intern_hashed(v, hash()))).collect()
        };
        let (external_ids, attributes) = (interned_map(spec.external_ids), interned_map(spec.attributes));
        let entity = EntityDraft {
            id: spec.id,
            entity_type: self.types.number(spec.entity_type),
            name,
            description,
            parent: spec.parent,
            external_ids,
            attributes,
            prior: spec.prior.map(|p| p as f32),
            dictionary,
        };
        let definition =
            Definition { at: spec.at, source: source as u32, record: true, type_given: true, name_given: true };
        self.new_entity(entity, aliases, definition);
    }

    /// Alias rows (CSV, TSV, spaCy): each adds an alias to its entity, and
    /// creates the entity when no record defines it (not in a strict source).
    fn attach_rows(&mut self, source: usize, rows: Vec<AliasRow>) {
        let strict = self.sources[source].strict;
        self.sources[source].alias_count += rows.len() as u64;
        for row in rows {
            let at = row.alias.at.clone();
            let pending = PendingAlias::new(row.alias, source, &mut self.strings);
            match self.index.get(&row.entity, &self.entities) {
                Some(i) => {
                    let i = i as usize;
                    let entity = &mut self.entities[i];
                    let definition = &mut self.defined_at[i];
                    let by =
                        |d: &Definition| if d.record { format!("{} defines", d.at) } else { format!("{} gives", d.at) };
                    let entity_type = self.types.get(entity.entity_type);
                    let entity_name = self.strings.str(entity.name);
                    let clash = match (&row.entity_type, &row.name) {
                        (Some(t), _) if definition.type_given && t != entity_type => Some(format!(
                            "row gives entity {} the type {}, but {} it the type {}",
                            entity.id,
                            t.as_str(),
                            by(definition),
                            entity_type.as_str()
                        )),
                        (_, Some(name)) if definition.name_given && name != entity_name => Some(format!(
                            "row names entity {} {:?}, but {} it the name {:?}",
                            entity.id,
                            name,
                            by(definition),
                            entity_name
                        )),
                        _ => None,
                    };
                    if let Some(message) = clash {
                        self.attach_problems.push((source, Problem { at, message }));
                        continue;
                    }
                    if !definition.record {
                        // An entity that rows create takes what later rows add.
                        if let Some(t) = row.entity_type {
                            entity.entity_type = self.types.number(t);
                            definition.type_given = true;
                        }
                        if let Some(name) = row.name {
                            let has_key = name.bytes().any(|b| b.is_ascii_alphanumeric());
                            let name = PendingAlias::plain(self.strings.intern(&name), source, &at);
                            entity.name = name.text;
                            // Every row of a table repeats its entity's name:
                            // a copy of a plain alias this source already
                            // gave the entity merges into its claim as a
                            // no-op (when the name has a key; one that has
                            // none is a problem each time), so it is not
                            // kept (millions of rows, each folded again).
                            let repeated = has_key && self.alias_specs[i].iter().any(|p| p.same_plain(&name));
                            if !repeated {
                                self.alias_specs[i].push(name);
                            }
                            definition.name_given = true;
                        }
                        entity.prior = entity.prior.or(row.prior.map(|p| p as f32));
                        if entity.description == NONE {
                            entity.description = self.strings.intern_opt(row.description.as_deref());
                        }
                        for (key, value) in &row.attributes {
                            put(&mut entity.attributes, &mut self.strings, key, value, false);
                        }
                    }
                    self.alias_specs[i].push(pending);
                }
                None if strict => {
                    let message = format!(
                        "entity {} is not defined by any loaded source (this source is strict: its rows only extend \
                         defined entities)",
                        row.entity
                    );
                    self.attach_problems.push((source, Problem { at, message }));
                }
                None => {
                    let definition = Definition {
                        at: at.clone(),
                        source: source as u32,
                        record: false,
                        type_given: row.entity_type.is_some(),
                        name_given: row.name.is_some(),
                    };
                    let name = row.name.map_or(pending.text, |name| self.strings.intern(&name));
                    // Collected as a map would: a repeated key's last value wins.
                    let mut attributes = Vec::new();
                    for (key, value) in &row.attributes {
                        put(&mut attributes, &mut self.strings, key, value, true);
                    }
                    let entity_type = self.types.number(
                        row.entity_type.unwrap_or_else(|| EntityType::parse(DEFAULT_ROW_TYPE).expect("a valid type")),
                    );
                    let entity = EntityDraft {
                        entity_type,
                        description: self.strings.intern_opt(row.description.as_deref()),
                        parent: None,
                        external_ids: Vec::new(),
                        attributes,
                        prior: row.prior.map(|p| p as f32),
                        dictionary: self.sources[source].dictionary,
                        id: row.entity,
                        name,
                    };
                    // The canonical name is matched too; an entity whose rows
                    // name it later gets that name as an alias then.
                    let mut aliases = vec![pending];
                    if self.strings.str(aliases[0].text) != self.strings.str(name) {
                        aliases.insert(0, PendingAlias::plain(name, source, &at));
                    }
                    self.new_entity(entity, aliases, definition);
                }
            }
        }
    }

    fn check_parents(&mut self) {
        for i in 0..self.entities.len() {
            let Some(parent) = self.entities[i].parent.clone() else { continue };
            let message = if parent == self.entities[i].id {
                format!("entity {parent} is its own parent")
            } else if self.index.get(&parent, &self.entities).is_none() {
                format!("parent {parent} is not defined by any loaded source")
            } else {
                continue;
            };
            let Definition { at, source, .. } = self.defined_at[i].clone();
            if self.sources[source as usize].options.invalid_rows == InvalidRows::Skip {
                // Skipping leaves out the smallest unit: the parent link.
                self.entities[i].parent = None;
            }
            self.report(source as usize, Problem { at, message });
        }
    }

    /// Folds every alias and groups them by key, one claim per entity
    /// per key, then checks conflicts between entities on each key.
    fn group_aliases(&mut self) -> (Vec<KeyDraft>, Keys) {
        let mut entries: Vec<KeyDraft> = Vec::new();
        let mut keys = Keys::default();
        // First location each (key, entity) was written at, for messages,
        // and whether a strict source wrote it.
        // Only claims of strict sources can conflict, so only theirs are kept.
        let mut first_seen: HashMap<(u32, u32), Location> = HashMap::new();
        let mut alias_specs = std::mem::take(&mut self.alias_specs);
        // Grouping neither adds entities nor interns strings: the fold reads
        // them while the grouping goes on.
        let (entities, strings, types) =
            (std::mem::take(&mut self.entities), std::mem::take(&mut self.strings), std::mem::take(&mut self.types));
        let hasher = keys.hasher.clone();
        // Sized for every alias a key of its own (an upper bound: aliases
        // share keys), so that the tables of a large build are not copied
        // at each doubling; untouched capacity is address space, not memory.
        let pending: usize = alias_specs.iter().map(Vec::len).sum();
        keys.keys.reserve(pending, strings.byte_len() + 2 * pending);
        entries.reserve(pending);
        self.aliases.all.reserve(pending);
        // Folding is the bulk of a large build, and independent per alias:
        // in parallel, a slice of entities at a time, so that the folded
        // forms of a million entities are never all held at once (and each
        // slice's specs are freed as soon as it is grouped). The next
        // slice is folded while this one is grouped (the grouping is
        // sequential: one key map), so the grouping is the critical path.
        let fold = |first: usize, specs: &[Vec<PendingAlias>]| -> Vec<(String, Vec<FoldedAlias>)> {
            specs
                .par_iter()
                .enumerate()
                .map(|(offset, specs)| fold_entity(&entities[first + offset], specs, &strings, &types, &hasher))
                .collect()
        };
        let mut chunk_start = 0;
        let mut folded = fold(0, &alias_specs[..FOLD_CHUNK.min(alias_specs.len())]);
        while chunk_start < alias_specs.len() {
            let chunk_end = (chunk_start + FOLD_CHUNK).min(alias_specs.len());
            let (current, rest) = alias_specs.split_at_mut(chunk_end);
            let next = &rest[..FOLD_CHUNK.min(rest.len())];
            let group = |this: &mut Self| {
                let mut folded = folded;
                for offset in 0..folded.len() {
                    // The key index's slots of the aliases a few entities
                    // on, fetched now, arrive while these are grouped
                    // (each lookup a likely cache miss in a large build).
                    if let Some((_, ahead)) = folded.get(offset + PREFETCH_AHEAD / 4) {
                        ahead.iter().for_each(|alias| keys.prefetch(alias.hash));
                    }
                    let (folded_keys, folded) = std::mem::take(&mut folded[offset]);
                    let entity_index = (chunk_start + offset) as u32;
                    let specs = std::mem::take(&mut current[entity_index as usize]);
                    let mut start = 0;
                    for (pending, folded) in specs.into_iter().zip(folded) {
                        let key = &folded_keys[start..folded.key_end];
                        start = folded.key_end;
                        this.group_alias(
                            entity_index,
                            pending,
                            (key, folded),
                            &strings,
                            &mut entries,
                            &mut keys,
                            &mut first_seen,
                        );
                    }
                    this.aliases.end_entity();
                }
            };
            folded = if next.is_empty() {
                group(self);
                Vec::new()
            } else {
                rayon::join(|| fold(chunk_end, next), || group(self)).0
            };
            chunk_start = chunk_end;
        }
        (self.entities, self.strings, self.types) = (entities, strings, types);
        drop(alias_specs);

        let mut ignores = std::mem::take(&mut self.ignores);
        ignores.sort_by_key(|(index, _)| *index);
        for (index, phrases) in &ignores {
            let bit = self.dictionary_bit(*index as u32);
            for ignore in phrases {
                let key = fold_key(&ignore.phrase, CaseMode::Fold);
                if key == EMPTY_KEY {
                    let message = format!("ignore phrase {:?} has no letters or digits", ignore.phrase);
                    self.report(*index, Problem { at: ignore.at.clone(), message });
                    continue;
                }
                match keys.get(&key) {
                    // An entity alias is more specific than an ignore phrase
                    // (another file made the phrase an entity): it wins.
                    Some(i) if !entries[i as usize].claims.is_empty() => {}
                    Some(i) => entries[i as usize].ignore |= bit,
                    None => {
                        let key = keys.insert(&key);
                        entries.push(KeyDraft { key, claims: Claims::None, ignore: bit });
                    }
                }
            }
        }

        for (entry_index, entry) in entries.iter_mut().enumerate() {
            if entry.claims.len() < 2 {
                continue;
            }
            for problem in self.conflicts(entry_index as u32, entry, &first_seen) {
                self.report_at(problem);
            }
        }
        (entries, keys)
    }

    /// Adds one folded alias of entity `entity_index` to its key's claims.
    /// (`strings` is the builder's, lent apart while the next slice is
    /// folded beside this one; hence one argument more than clippy likes.)
    #[allow(clippy::too_many_arguments)]
    fn group_alias(
        &mut self,
        entity_index: u32,
        pending: PendingAlias,
        (key, folded): (&str, FoldedAlias),
        strings: &Interner,
        entries: &mut Vec<KeyDraft>,
        keys: &mut Keys,
        first_seen: &mut HashMap<(u32, u32), Location>,
    ) {
        let FoldedAlias { key_end: _, hash, case_form, after, promote, common_word, capital } = folded;
        let text = pending.text;
        let problem = if key == EMPTY_KEY {
            Some(format!("alias {:?} has no letters or digits", strings.str(text)))
        } else if after.iter().any(|p| p == EMPTY_KEY) {
            Some(format!("alias {:?}: an `after` phrase has no letters or digits", strings.str(text)))
        } else {
            None
        };
        if let Some(message) = problem {
            let at = self.location(pending.source, pending.line);
            self.report(pending.source as usize, Problem { at, message });
            return;
        }
        debug_assert_eq!(self.aliases.ends.len(), entity_index as usize, "aliases are grouped in entity order");
        self.aliases.add(text);
        // A lenient source's one-word alias that is a common word
        // ("May", "Met", "In") needs a capital in the text, and one that
        // does not open a sentence (text::common).
        let needs_capital = !self.sources[pending.source as usize].strict && common_word;
        let entry_index = match keys.get_hashed(key, hash) {
            Some(i) => i,
            None => {
                let key = keys.insert_hashed(key, hash);
                entries.push(KeyDraft { key, claims: Claims::None, ignore: 0 });
                key
            }
        };
        let entry = &mut entries[entry_index as usize];
        let bit = self.dictionary_bit(pending.source);
        if self.sources[pending.source as usize].strict
            && let std::collections::hash_map::Entry::Vacant(slot) = first_seen.entry((entry_index, entity_index))
        {
            slot.insert(self.location(pending.source, pending.line));
        }
        let options = AliasOptions {
            extract: pending.extract,
            short_form: pending.short_form || promote,
            default: pending.default || promote,
        };
        // A proper name (names=proper): written with a capital, with no
        // case option of its own. An acronym by the automatic rule ("IRGC")
        // is one too: its case form asks for more than a capital, and when
        // a spelling without one merges into the claim (which drops the
        // forms) the capital is still asked for (bug
        // `merged-acronym-any-case`, found by the fuzz target `matcher`).
        let proper = self.sources[pending.source as usize].options.names == NameCase::Proper
            && pending.case == CaseRule::Auto
            && capital;
        match entry.claims.iter_mut().find(|t| t.entity == entity_index) {
            Some(target) => target.merge(text, options, case_form, after, bit, proper),
            None => entry.claims.push(ClaimDraft::new(entity_index, text, options, case_form, after, bit, proper)),
        }
        // (For one word, the capital a proper name needs, and not only
        // the capital that opens a sentence.)
        if needs_capital && let Some(target) = entry.claims.iter_mut().find(|t| t.entity == entity_index) {
            target.proper = true;
            target.common_word = true;
        }
    }

    /// Collisions on one key between claims of strict sources; under
    /// `invalid_rows = skip`, the later claim is left out.
    fn conflicts(
        &self,
        entry_index: u32,
        entry: &mut KeyDraft,
        first_seen: &HashMap<(u32, u32), Location>,
    ) -> Vec<Problem> {
        // Only strict claims have a recorded place, and only they conflict.
        let seen = |entity: u32| &first_seen[&(entry_index, entity)];
        let strict = |t: &ClaimDraft| first_seen.contains_key(&(entry_index, t.entity));
        let mut problems = Vec::new();
        let mut dropped = Vec::new();
        let targets = &entry.claims;
        for (j, later) in targets.iter().enumerate() {
            if !strict(later) {
                continue;
            }
            for earlier in targets[..j].iter().filter(|t| strict(t) && !dropped.contains(&t.entity)) {
                if (earlier.short_form && later.short_form) || !earlier.overlaps_case(later) {
                    continue;
                }
                problems.push(Problem {
                    at: seen(later.entity).clone(),
                    message: format!(
                        "alias {:?} is claimed by both {} ({}) and {}; if both are meant, mark it `short_form = true` \
                         in each, or load the file without `strict`",
                        self.strings.str(later.spelling),
                        self.entities[earlier.entity as usize].id,
                        seen(earlier.entity),
                        self.entities[later.entity as usize].id,
                    ),
                });
                dropped.push(later.entity);
                break;
            }
        }
        let defaults: Vec<_> = targets.iter().filter(|t| t.default && strict(t)).collect();
        if defaults.len() > 1 {
            problems.push(Problem {
                at: seen(defaults[1].entity).clone(),
                message: format!(
                    "short form {:?} has more than one default: {} and {}",
                    self.strings.str(defaults[1].spelling),
                    self.entities[defaults[0].entity as usize].id,
                    self.entities[defaults[1].entity as usize].id
                ),
            });
        }
        // Only reached when every problem is skipped (the build fails
        // otherwise): leave the later claims out.
        entry.claims.retain(|t| !dropped.contains(&t.entity));
        problems
    }

    /// Adds each person's surname ("Soleimani" from "Qassem Soleimani";
    /// "al-Muhandis" and "Muhandis" from "Abu Mahdi al-Muhandis") as a
    /// short form with no default: it links only after the document named
    /// that person in full. A surname that is already some entity's full
    /// alias, or an ignore phrase, is left alone; one the entity lists
    /// itself keeps the dictionary's options. At most [`SURNAME_CLAIMS`]
    /// people claim one derived surname.
    fn derive_surnames(&mut self, entries: &mut Vec<KeyDraft>, keys: &mut Keys) {
        // Folding the surnames is independent per person: in parallel.
        let (types, strings) = (&self.types, &self.strings);
        // (person, where the surname lies in the name, its key)
        let derived: Vec<(u32, std::ops::Range<usize>, String)> = self
            .entities
            .par_iter()
            .enumerate()
            .filter(|(_, entity)| types.get(entity.entity_type).is_person())
            .flat_map_iter(|(index, entity)| {
                let name = strings.str(entity.name);
                surnames(name).into_iter().map(move |s| {
                    let start = s.as_ptr() as usize - name.as_ptr() as usize;
                    (index as u32, start..start + s.len(), fold_key(s, CaseMode::Fold))
                })
            })
            .collect();
        let mut surname = String::new();
        // A surname is as proper as the dictionary its person is in.
        let proper_dictionaries: Vec<bool> = (0..self.dictionaries.len())
            .map(|d| {
                self.sources.iter().filter(|s| s.dictionary as usize == d).all(|s| s.options.names == NameCase::Proper)
            })
            .collect();
        for (index, within, key) in derived {
            let entity = &self.entities[index as usize];
            {
                surname.clear();
                surname.push_str(&self.strings.str(entity.name)[within]);
                let proper = proper_dictionaries[entity.dictionary as usize] && starts_with_capital(&surname);
                let mut target =
                    ClaimDraft::plain(index, self.strings.intern(&surname), 1 << entity.dictionary, proper);
                target.short_form = true;
                match keys.get(&key) {
                    None => {
                        let key = keys.insert(&key);
                        entries.push(KeyDraft { key, claims: Claims::One(target), ignore: 0 });
                    }
                    Some(i) => {
                        let entry = &mut entries[i as usize];
                        // The person's own surname alias bound to titles
                        // ("Secretary Austin") leaves the surname to be
                        // derived too: after the full name, the bare
                        // surname is still the person.
                        let own_bound = |t: &ClaimDraft| t.entity == index && t.after().is_some();
                        let taken = entry.ignore != 0
                            || entry.claims.len() >= SURNAME_CLAIMS
                            || entry.claims.iter().any(|t| !own_bound(t) && (!t.short_form || t.entity == index));
                        if !taken {
                            // A bound surname written case-sensitive ("Reed",
                            // "Cotton": English words) stays so when derived:
                            // after the full name, "cotton" is still cotton,
                            // and "SHAHEEN" is left to rule 15, which a title
                            // before it decides ("Senator SHAHEEN.").
                            if let Some(forms) =
                                entry.claims.iter().filter(|t| own_bound(t)).find_map(ClaimDraft::case_forms)
                            {
                                target.more = Some(Box::new(ClaimMore {
                                    case_forms: Some(forms.clone()),
                                    ..ClaimMore::default()
                                }));
                            }
                            entry.claims.push(target);
                        }
                    }
                }
            }
        }
    }

    fn info(
        &self,
        sources: &[SourceText],
        hashes: &[String],
        entries: &[KeyDraft],
        automaton: &Scanner,
        started: Instant,
    ) -> DictionaryInfo {
        let mut version_hasher = Sha256::new();
        // Folding rules are part of what a version means: the same files
        // under a different engine may match differently.
        version_hasher.update(concat!("entex/", env!("CARGO_PKG_VERSION"), "\n"));
        let mut source_infos = Vec::with_capacity(sources.len());
        for ((source, state), sha256) in sources.iter().zip(&self.sources).zip(hashes) {
            let sha256 = sha256.clone();
            version_hasher.update(sha256.as_bytes());
            // How a file is read is part of what it serves.
            let SourceOptions { dictionary, format: _, strict: _, invalid_rows, names } = &state.options;
            let format = state.format.map_or("", Format::as_str);
            version_hasher.update(format!(
                " {dictionary} {format} {} {} {}\n",
                state.strict,
                invalid_rows.as_str(),
                names.as_str()
            ));
            source_infos.push(SourceInfo {
                name: source.name.clone(),
                sha256,
                entity_count: state.entity_count,
                alias_count: state.alias_count,
                dictionary: dictionary.clone(),
                format: format.to_owned(),
                strict: state.strict,
                skipped_rows: state.skipped_count,
                skipped: state.skipped.iter().map(|p| (p.at.line as u32, p.message.clone())).collect(),
                passed_over: state.passed_over,
            });
        }
        let mut by_type = BTreeMap::new();
        let mut summaries: Vec<DictionarySummary> = self
            .dictionaries
            .iter()
            .enumerate()
            .map(|(d, (name, _))| DictionarySummary {
                name: name.clone(),
                entity_count: 0,
                alias_count: 0,
                strict: self.sources.iter().any(|s| s.dictionary as usize == d && s.strict),
                skipped_rows: self.sources.iter().filter(|s| s.dictionary as usize == d).map(|s| s.skipped_count).sum(),
            })
            .collect();
        for entity in &self.entities {
            *by_type.entry(self.types.get(entity.entity_type).as_str().to_owned()).or_insert(0u64) += 1;
            summaries[entity.dictionary as usize].entity_count += 1;
        }
        let mut alias_count = 0;
        for target in entries.iter().flat_map(|e| e.claims.iter()) {
            alias_count += 1;
            for (d, summary) in summaries.iter_mut().enumerate() {
                summary.alias_count += (target.dictionaries >> d) & 1;
            }
        }
        DictionaryInfo {
            version: hex(&version_hasher.finalize())[..16].to_owned(),
            entity_count: self.entities.len() as u64,
            alias_count,
            sources: source_infos,
            dictionaries: summaries,
            loaded_at: SystemTime::now(),
            build_time: started.elapsed(),
            entities_by_type: by_type,
            automaton_bytes: automaton.heap_bytes(),
            automaton_kind: scanner::KIND,
        }
    }
}

/// Whether running text can match a key: every alias and ignore phrase
/// can (even a Normalize-only alias consumes its span, matcher rule 8),
/// except a Normalize-only alias that starts with a title ("Ayatollah Ali
/// Khamenei"): titles are never part of a mention, so such a form must not
/// swallow the name after it.
fn is_pattern(entry: &KeyDraft, keys: &Keys) -> bool {
    if entry.ignore != 0 {
        return true;
    }
    let extractable = entry.claims.iter().any(|t| t.extract);
    extractable || (!entry.claims.is_empty() && !starts_with_title(keys.str(entry.key)))
}

/// For each entry: whether it is a Normalize-only alias that ends with an
/// extractable alias of the same entity ("Supreme Leader Ali Khamenei" and
/// "Ali Khamenei"): a decorated form for the resolver, which in running text
/// must leave the name inside it to be matched.
fn decorated_forms(entries: &[KeyDraft], keys: &Keys) -> Vec<bool> {
    // Only entities with a Normalize-only alias can have a decorated form:
    // few, so the map of their extractable keys stays small.
    let candidates: std::collections::HashSet<u32> = entries
        .iter()
        .filter(|e| e.ignore == 0)
        .flat_map(|e| e.claims.iter().filter(|t| !t.extract).map(|t| t.entity))
        .collect();
    let mut extractable: HashMap<u32, Vec<&str>> = HashMap::new();
    for entry in entries {
        for target in entry.claims.iter().filter(|t| t.extract && candidates.contains(&t.entity)) {
            extractable.entry(target.entity).or_default().push(keys.str(entry.key));
        }
    }
    entries
        .iter()
        .map(|entry| {
            entry.ignore == 0
                && entry.claims.iter().all(|t| !t.extract)
                && entry.claims.iter().any(|t| {
                    extractable.get(&t.entity).is_some_and(|ks| {
                        let key = keys.str(entry.key);
                        ks.iter().any(|k| k.len() < key.len() && key.ends_with(k))
                    })
                })
        })
        .collect()
}

/// Whether an alias is written as a proper name: its first letter is a
/// capital ("Springfield", "Al-Assad"; not "al-Assad", "iPhone", or a name
/// in a script without case).
fn starts_with_capital(alias: &str) -> bool {
    alias.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase)
}

fn mark_descriptor_tails(entries: &mut [KeyDraft], keys: &Keys) {
    for entry in entries {
        let mut words = keys.str(entry.key).split_whitespace();
        let last = words.next_back();
        let more = words.next().is_some();
        if more && last.is_some_and(|w| DESCRIPTORS.contains(&w)) {
            for target in entry.claims.iter_mut() {
                target.capitalised_tail = true;
            }
        }
    }
}

/// A person's alias that is one word ("Soleimani", "al-Sadr") is a
/// surname or short name, never a full name: it is made a short form, so a
/// document that named another person of that name links it there. Written
/// as a plain alias, it keeps linking without context (it becomes the
/// declared default).
/// `name_key` caches the fold of the entity's name across its aliases.
/// `person`: whether the entity is a person; `name`: its canonical name.
fn person_short_form(short_form: bool, person: bool, name: &str, key: &str, name_key: &mut Option<String>) -> bool {
    if short_form || !person || name.split_whitespace().count() < 2 {
        return false;
    }
    let words = key.split_whitespace().filter(|w| !is_article(w)).count();
    words == 1 && name_key.get_or_insert_with(|| fold_key(name, CaseMode::Fold)) != key
}

fn is_article(folded_word: &str) -> bool {
    matches!(folded_word, "al" | "el" | "ul" | "as" | "ash" | "ad" | "ar" | "at" | "az" | "an")
}

/// The surname forms of a person's canonical name: its last word, that
/// word without its article ("al-Muhandis" -> "Muhandis"), and the last
/// word with the surname particles written before it ("Abdallah Bou
/// Habib" -> "Bou Habib", "Ursula von der Leyen" -> "von der Leyen"): a
/// record's speaker label or a later mention writes the whole surname.
/// None for one-word names, patronymics ("bin Salman") and words of fewer
/// than 4 letters.
fn surnames(name: &str) -> Vec<&str> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let [.., before, last] = words.as_slice() else { return Vec::new() };
    if matches!(before.to_lowercase().as_str(), "bin" | "ibn" | "bint" | "abu" | "umm") {
        return Vec::new();
    }
    let starts_upper = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    let letters = |w: &str| w.chars().filter(|c| c.is_alphabetic()).count();
    let mut forms = Vec::new();
    if letters(last) >= 4 && (starts_upper(last) || last.contains('-')) {
        forms.push(*last);
        // Particles before it, never the first name ("De Niro" has none).
        let particles = words[1..words.len() - 1].iter().rev().take_while(|w| is_surname_particle(w)).count();
        if particles > 0 {
            let first = words[words.len() - 1 - particles];
            let start = first.as_ptr() as usize - name.as_ptr() as usize;
            let end = last.as_ptr() as usize - name.as_ptr() as usize + last.len();
            forms.push(&name[start..end]);
        }
    }
    if let Some((article, bare)) = last.split_once('-')
        && matches!(
            article.to_lowercase().as_str(),
            "al" | "el" | "ul" | "as" | "ash" | "ad" | "ar" | "at" | "az" | "an"
        )
        && letters(bare) >= 4
        && starts_upper(bare)
    {
        forms.push(bare);
    }
    forms
}

/// A word that belongs to the surname after it: Dutch, German, Romance
/// and Lebanese particles, and a detached Arabic article ("Al Thani").
fn is_surname_particle(word: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "al", "bou", "da", "das", "de", "del", "della", "den", "der", "di", "dos", "du", "el", "la", "le", "van", "von",
    ];
    PARTICLES.contains(&word.to_lowercase().as_str())
}

/// The variant index while it is being built: claims by position in the
/// sorted key drafts (claim ids of the frozen tables follow the same order).
struct VariantDraft {
    scanner: Scanner,
    claim_ends: Vec<u32>,
    claims: Vec<u32>,
    ignores: Vec<(KeyId, u64)>,
}

/// The variant index: every extractable, case-insensitive, context-free
/// alias (and ignore phrase) under its romanisation skeleton
/// ([`crate::text::skeleton`]). A skeleton that two entities' aliases share
/// is dropped (unless all are short forms, which context resolves): a
/// variant must never pick between entities by chance.
fn build_variants(entries: &[KeyDraft], keys: &Keys) -> Result<Option<VariantDraft>, LoadError> {
    // Claim ids as `freeze` will number them: key order, then claim order.
    let mut first_claim = Vec::with_capacity(entries.len());
    let mut next = 0u32;
    for entry in entries {
        first_claim.push(next);
        next += entry.claims.len() as u32;
    }
    let claim = |id: u32| {
        let key = first_claim.partition_point(|&f| f <= id) - 1;
        &entries[key].claims[(id - first_claim[key]) as usize]
    };
    let skeletons: Vec<Option<String>> = entries.par_iter().map(|e| skeleton_key(keys.str(e.key))).collect();
    // (skeleton, key index), sorted: keys of one skeleton side by side.
    let by_skeleton: Vec<(&str, u32)> =
        skeletons.iter().enumerate().filter_map(|(i, s)| s.as_deref().map(|s| (s, i as u32))).collect();
    let order = scanner::order_by_bytes(by_skeleton.len(), |i| by_skeleton[i as usize].0.as_bytes());
    // Equal skeletons then in key order, as sorting the pairs would leave them.
    let mut by_skeleton: Vec<(&str, u32)> = order.into_iter().map(|i| by_skeleton[i as usize]).collect();
    for group in by_skeleton.chunk_by_mut(|a, b| a.0 == b.0) {
        group.sort_unstable_by_key(|&(_, key)| key);
    }
    let mut draft =
        VariantDraft { scanner: Scanner::default(), claim_ends: Vec::new(), claims: Vec::new(), ignores: Vec::new() };
    let mut keys: Vec<&str> = Vec::new();
    let mut group_claims: Vec<u32> = Vec::new();
    for group in by_skeleton.chunk_by(|a, b| a.0 == b.0) {
        let mut ignore = 0u64;
        group_claims.clear();
        for &(_, key) in group {
            let entry = &entries[key as usize];
            ignore |= entry.ignore;
            for (i, target) in entry.claims.iter().enumerate() {
                let usable = target.extract && target.case_forms().is_none() && target.after().is_none();
                if usable && !group_claims.iter().any(|&c| claim(c).entity == target.entity) {
                    group_claims.push(first_claim[key as usize] + i as u32);
                }
            }
        }
        let entities_differ = group_claims.windows(2).any(|w| claim(w[0]).entity != claim(w[1]).entity);
        let all_short = group_claims.iter().all(|&c| claim(c).short_form);
        if entities_differ && !all_short {
            group_claims.clear();
        }
        if !group_claims.is_empty() {
            // An entity alias is more specific than an ignore phrase.
            ignore = 0;
        }
        if ignore == 0 && group_claims.is_empty() {
            continue;
        }
        if ignore != 0 {
            draft.ignores.push((keys.len() as KeyId, ignore));
        }
        keys.push(group[0].0);
        draft.claims.extend_from_slice(&group_claims);
        draft.claim_ends.push(draft.claims.len() as u32);
    }
    if keys.is_empty() {
        return Ok(None);
    }
    draft.scanner = Scanner::build(keys.iter().copied()).map_err(|e| LoadError {
        problems: vec![Problem {
            at: Location { source: Arc::from("<variant automaton>"), line: 0 },
            message: format!("cannot build the variant automaton: {e}"),
        }],
    })?;
    Ok(Some(draft))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surname_forms_of_canonical_names() {
        let rows: &[(&str, &[&str])] = &[
            ("Qassem Soleimani", &["Soleimani"]),
            ("Abu Mahdi al-Muhandis", &["al-Muhandis", "Muhandis"]),
            ("Abdallah Bou Habib", &["Habib", "Bou Habib"]),
            ("Ursula von der Leyen", &["Leyen", "von der Leyen"]),
            ("Chris Van Hollen", &["Hollen", "Van Hollen"]),
            ("Tamim bin Hamad Al Thani", &["Thani", "Al Thani"]),
            // the first word is a given name, never a particle
            ("Van Morrison", &["Morrison"]),
            ("Mohammed bin Salman", &[]),
            ("Hezbollah", &[]),
        ];
        for (name, want) in rows {
            assert_eq!(surnames(name), *want, "{name}");
        }
    }

    fn toml(text: &str) -> Vec<SourceText> {
        vec![SourceText {
            options: SourceOptions { strict: true, ..SourceOptions::for_file("t.toml") },
            ..SourceText::new("t.toml", text)
        }]
    }

    fn problems(sources: &[SourceText]) -> Vec<String> {
        build(sources).expect_err("expected problems").problems.iter().map(ToString::to_string).collect()
    }

    const TWO: &str = r#"
[[entity]]
id = "org:hezbollah"
type = "ORG"
name = "Hezbollah"
aliases = ["Hizballah"]

[[entity]]
id = "org:kataib-hezbollah"
type = "ORG"
name = "Kataib Hezbollah"
aliases = [{ text = "KH", case = "sensitive" }]
"#;

    #[test]
    fn builds_and_counts() {
        let dict = build(&toml(TWO)).unwrap();
        assert_eq!(dict.info.entity_count, 2);
        assert_eq!(dict.info.alias_count, 4);
        assert_eq!(dict.info.version.len(), 16);
        assert_eq!(dict.info.entities_by_type["ORG"], 2);
        // Same content, same version.
        assert_eq!(build(&toml(TWO)).unwrap().info.version, dict.info.version);
    }

    #[test]
    fn duplicate_id_names_both_places() {
        let text = format!("{TWO}\n[[entity]]\nid = \"org:hezbollah\"\ntype = \"ORG\"\nname = \"Other\"\n");
        let p = problems(&toml(&text));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].starts_with("t.toml:14: entity id org:hezbollah is already defined at t.toml:2"), "{p:?}");
    }

    #[test]
    fn alias_conflict_is_reported_not_resolved() {
        let text = format!(
            "{TWO}\n[[entity]]\nid = \"org:other\"\ntype = \"ORG\"\nname = \"Other\"\naliases = [\"hizballah\"]\n"
        );
        let p = problems(&toml(&text));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("claimed by both org:hezbollah (t.toml:6) and org:other"), "{p:?}");
        assert!(p[0].starts_with("t.toml:18:"), "{p:?}");
    }

    #[test]
    fn shared_alias_on_both_is_allowed_and_single_default() {
        let text = r#"
[[entity]]
id = "per:bashar"
type = "PER"
name = "Bashar al-Assad"
aliases = [{ text = "Assad", short_form = true, default = true }]
[[entity]]
id = "per:osama"
type = "PER"
name = "Osama Al-Assad"
aliases = [{ text = "Assad", short_form = true }]
"#;
        assert!(build(&toml(text)).is_ok());
        let two_defaults = text.replace(
            "{ text = \"Assad\", short_form = true }",
            "{ text = \"Assad\", short_form = true, default = true }",
        );
        let p = problems(&toml(&two_defaults));
        assert!(p[0].contains("more than one default"), "{p:?}");
    }

    #[test]
    fn case_sensitive_forms_that_differ_do_not_conflict() {
        let text = r#"
[[entity]]
id = "org:a"
type = "ORG"
name = "Alpha"
aliases = [{ text = "KH", case = "sensitive" }]
[[entity]]
id = "org:b"
type = "ORG"
name = "Beta"
aliases = [{ text = "Kh", case = "sensitive" }]
"#;
        assert!(build(&toml(text)).is_ok());
    }

    #[test]
    fn ignore_phrase_yields_to_an_entity_alias() {
        let text = "[[entity]]\nid = \"org:a\"\ntype = \"ORG\"\nname = \"Alpha Brigade\"\n\n[[ignore]]\nphrases = [\"Alpha Brigade\", \"Beta Post\"]\n";
        let dict = build(&toml(text)).unwrap();
        let key = dict.key(" alpha brigade ").unwrap();
        assert!(dict.key_ignore(key) == 0 && dict.key_claims(key).len() == 1);
        assert_ne!(dict.key_ignore(dict.key(" beta post ").unwrap()), 0);
    }

    #[test]
    fn dangling_references_and_empty_aliases() {
        let text = r#"
[[entity]]
id = "org:a"
type = "ORG"
name = "Alpha"
parent = "org:nowhere"
aliases = ["--"]

[[ignore]]
phrases = ["Alpha", "..."]
"#;
        let mut sources = toml(text);
        let mut tsv = SourceText::new("x.tsv", "Gamma\torg:missing\n");
        tsv.options.strict = true;
        sources.push(tsv);
        let p = problems(&sources);
        let joined = p.join("\n");
        assert!(joined.contains("t.toml:2: parent org:nowhere is not defined"), "{joined}");
        assert!(joined.contains("t.toml:7: alias \"--\" has no letters"), "{joined}");
        assert!(joined.contains("t.toml:10: ignore phrase \"...\" has no letters"), "{joined}");
        assert!(joined.contains("x.tsv:1: entity org:missing is not defined"), "{joined}");
    }
}
