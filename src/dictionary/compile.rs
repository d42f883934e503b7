//! Compiling parsed sources into a [`Dictionary`]: cross-source validation,
//! alias folding and grouping, and the Aho-Corasick automaton.
//!
//! # Validation (every problem is collected, none is resolved silently)
//!
//! - an entity id defined twice (both places named);
//! - one folded alias claimed by two entities, unless both mark it `short_form`
//!   (or both are case-sensitive with different capitalisations);
//! - a `parent` or a bulk-format line naming an entity no source defines;
//! - more than one `default` for one short form;
//! - an alias or phrase that folds to nothing (only punctuation).
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

use std::{
    collections::{BTreeMap, hash_map::Entry},
    sync::Arc,
    time::{Instant, SystemTime},
};

use foldhash::{HashMap, HashMapExt};
use sha2::{Digest, Sha256};

use super::{
    ClaimRef, Dictionary, DictionaryInfo, Entity, KeyEntry, SourceInfo, Target, VariantIndex, VariantTable,
    model::{AliasSpec, EntityId, Location, ParsedSource, Problem},
    parse::parse_source,
    scanner::{self, Scanner},
};
use crate::text::{CaseMode, fold_key, skeleton::skeleton_key, titles::starts_with_title};

/// A dictionary source: its name (a path, or `embedded:<file>`) and text.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: String,
}

/// Why a dictionary could not be built: every problem found, located.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the dictionary; first: {}", problems.len(), problems.first().map(ToString::to_string).unwrap_or_default())]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

/// The padded folded form of an empty string: what an alias made only of
/// punctuation folds to.
const EMPTY_KEY: &str = " ";

/// Parses, validates and compiles `sources` (in order) into a dictionary.
///
/// # Errors
///
/// [`LoadError`] with every problem of every source; nothing is half-built.
pub fn build(sources: &[SourceText]) -> Result<Dictionary, LoadError> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(sources.len());
    for source in sources {
        match parse_source(&source.name, &source.text) {
            Ok(p) => parsed.push((source, p)),
            Err(mut ps) => problems.append(&mut ps),
        }
    }

    let mut builder = Builder::default();
    for (source, p) in &parsed {
        builder.add_source(source, p, &mut problems);
    }
    builder.attach_extra_aliases(&parsed, &mut problems);
    builder.check_parents(&mut problems);
    let (mut entries, mut keys) = builder.group_aliases(&parsed, &mut problems);
    if !problems.is_empty() {
        return Err(LoadError { problems });
    }
    mark_descriptor_tails(&mut entries);
    builder.derive_surnames(&mut entries, &mut keys);
    drop(keys);
    // Sorted, a key is found by binary search (Dictionary::entry): no map
    // holding a second copy of every key.
    entries.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    let decorated = decorated_forms(&entries);
    let pattern_entries: Vec<u32> =
        (0..entries.len() as u32).filter(|&i| is_pattern(&entries[i as usize]) && !decorated[i as usize]).collect();
    // The two automata are independent and the largest part of a big build:
    // built side by side (a 1M-alias build spends ~5 s in each).
    let (variants, automaton) = rayon::join(
        || build_variants(&entries),
        || Scanner::build(pattern_entries.iter().map(|&i| entries[i as usize].key.as_str())),
    );
    let mut variants = variants?;
    let automaton = automaton.map_err(|e| LoadError {
        problems: vec![Problem {
            at: Location { source: Arc::from("<automaton>"), line: 0 },
            message: format!("cannot build the automaton: {e}"),
        }],
    })?;

    // Vectors grown by push keep up to twice their length (a one-claim
    // key held room for four: 320 bytes); a 1M-alias dictionary lives for
    // the server's life, so trim once.
    shrink_entries(&mut entries);
    if let Some(variants) = &mut variants {
        variants.table.shrink_to_fit();
    }
    for entity in &mut builder.entities {
        entity.aliases.shrink_to_fit();
    }
    builder.entities.shrink_to_fit();
    let info = builder.info(sources, &entries, &automaton, started);
    let dictionary = Dictionary { entities: builder.entities, entries, pattern_entries, automaton, variants, info };
    let info = &dictionary.info;
    tracing::info!(
        version = %info.version,
        entities = info.entity_count,
        aliases = info.alias_count,
        patterns = dictionary.pattern_entries.len(),
        variant_keys = dictionary.variants.as_ref().map_or(0, |v| v.table.len()),
        automaton_kind = info.automaton_kind,
        automaton_bytes = info.automaton_bytes,
        memory_bytes = dictionary.memory_usage(),
        build_ms = info.build_time.as_secs_f64() * 1e3,
        "dictionary compiled"
    );
    Ok(dictionary)
}

#[derive(Default)]
struct Builder {
    entities: Vec<Entity>,
    index: HashMap<EntityId, u32>,
    /// Per entity, its aliases with options (the name first).
    alias_specs: Vec<Vec<AliasSpec>>,
    locations: Vec<Location>,
    per_source: Vec<(u64, u64)>,
}

impl Builder {
    fn add_source(&mut self, source: &SourceText, parsed: &ParsedSource, problems: &mut Vec<Problem>) {
        let mut alias_count = 0u64;
        let mut entity_count = 0u64;
        for spec in &parsed.entities {
            match self.index.entry(spec.id.clone()) {
                Entry::Occupied(first) => {
                    problems.push(Problem {
                        at: spec.at.clone(),
                        message: format!(
                            "entity id {} is already defined at {}",
                            spec.id,
                            self.locations[*first.get() as usize]
                        ),
                    });
                    continue;
                }
                Entry::Vacant(slot) => {
                    slot.insert(self.entities.len() as u32);
                }
            }
            // The canonical name is an alias with default options, unless the
            // aliases list repeats it with options of its own.
            let mut aliases = Vec::with_capacity(spec.aliases.len() + 1);
            if !spec.aliases.iter().any(|a| a.text == spec.name) {
                aliases.push(AliasSpec::plain(spec.name.clone(), spec.at.clone()));
            }
            aliases.extend(spec.aliases.iter().cloned());
            alias_count += aliases.len() as u64;
            entity_count += 1;
            self.entities.push(Entity {
                id: spec.id.clone(),
                entity_type: spec.entity_type.clone(),
                name: spec.name.clone(),
                description: spec.description.clone(),
                parent: spec.parent.clone(),
                external_ids: spec.external_ids.clone(),
                aliases: Vec::new(),
            });
            self.alias_specs.push(aliases);
            self.locations.push(spec.at.clone());
        }
        alias_count += parsed.extra_aliases.len() as u64;
        let _ = source;
        self.per_source.push((entity_count, alias_count));
    }

    fn attach_extra_aliases(&mut self, parsed: &[(&SourceText, ParsedSource)], problems: &mut Vec<Problem>) {
        for (_, p) in parsed {
            for extra in &p.extra_aliases {
                match self.index.get(&extra.entity) {
                    Some(&i) => self.alias_specs[i as usize].push(extra.alias.clone()),
                    None => problems.push(Problem {
                        at: extra.alias.at.clone(),
                        message: format!("entity {} is not defined by any loaded source", extra.entity),
                    }),
                }
            }
        }
    }

    fn check_parents(&self, problems: &mut Vec<Problem>) {
        for (i, entity) in self.entities.iter().enumerate() {
            if let Some(parent) = &entity.parent {
                if parent == &entity.id {
                    problems.push(Problem {
                        at: self.locations[i].clone(),
                        message: format!("entity {parent} is its own parent"),
                    });
                } else if !self.index.contains_key(parent) {
                    problems.push(Problem {
                        at: self.locations[i].clone(),
                        message: format!("parent {parent} is not defined by any loaded source"),
                    });
                }
            }
        }
    }

    /// Folds every alias and groups them by key, one [`Target`] per entity
    /// per key, then checks conflicts between entities on each key.
    fn group_aliases(
        &mut self,
        parsed: &[(&SourceText, ParsedSource)],
        problems: &mut Vec<Problem>,
    ) -> (Vec<KeyEntry>, HashMap<String, u32>) {
        let mut entries: Vec<KeyEntry> = Vec::new();
        let mut keys: HashMap<String, u32> = HashMap::new();
        // First location each (key, entity) was written at, for messages.
        let mut first_seen: HashMap<(u32, u32), Location> = HashMap::new();

        for (entity_index, specs) in self.alias_specs.iter().enumerate() {
            let entity_index = entity_index as u32;
            for spec in specs {
                let key = fold_key(&spec.text, CaseMode::Fold);
                let promoted = person_short_form(spec, &self.entities[entity_index as usize], &key);
                let spec = promoted.as_ref().unwrap_or(spec);
                if key == EMPTY_KEY {
                    problems.push(Problem {
                        at: spec.at.clone(),
                        message: format!("alias {:?} has no letters or digits", spec.text),
                    });
                    continue;
                }
                let after: Vec<String> = spec.after.iter().map(|p| fold_key(p, CaseMode::Fold)).collect();
                if after.iter().any(|p| p == EMPTY_KEY) {
                    problems.push(Problem {
                        at: spec.at.clone(),
                        message: format!("alias {:?}: an `after` phrase has no letters or digits", spec.text),
                    });
                    continue;
                }
                let entity = &mut self.entities[entity_index as usize];
                if !entity.aliases.contains(&spec.text) {
                    entity.aliases.push(spec.text.clone());
                }
                let entry_index = *keys.entry(key.clone()).or_insert_with(|| {
                    entries.push(KeyEntry { key: key.clone(), targets: Vec::new(), ignore: false });
                    entries.len() as u32 - 1
                });
                let entry = &mut entries[entry_index as usize];
                let case_form = spec.case.is_sensitive(&spec.text).then(|| fold_key(&spec.text, CaseMode::Preserve));
                first_seen.entry((entry_index, entity_index)).or_insert_with(|| spec.at.clone());
                match entry.targets.iter_mut().find(|t| t.entity == entity_index) {
                    Some(target) => target.merge(spec, case_form, after),
                    None => entry.targets.push(Target::new(entity_index, spec, case_form, after)),
                }
            }
        }

        for (_, p) in parsed {
            for ignore in &p.ignores {
                let key = fold_key(&ignore.phrase, CaseMode::Fold);
                if key == EMPTY_KEY {
                    problems.push(Problem {
                        at: ignore.at.clone(),
                        message: format!("ignore phrase {:?} has no letters or digits", ignore.phrase),
                    });
                    continue;
                }
                match keys.get(&key) {
                    // An entity alias is more specific than an ignore phrase
                    // (another file made the phrase an entity): it wins.
                    Some(_) => {}
                    None => {
                        keys.insert(key.clone(), entries.len() as u32);
                        entries.push(KeyEntry { key, targets: Vec::new(), ignore: true });
                    }
                }
            }
        }

        for (entry_index, entry) in entries.iter().enumerate() {
            self.check_conflicts(entry_index as u32, entry, &first_seen, problems);
        }
        (entries, keys)
    }

    fn check_conflicts(
        &self,
        entry_index: u32,
        entry: &KeyEntry,
        first_seen: &HashMap<(u32, u32), Location>,
        problems: &mut Vec<Problem>,
    ) {
        let targets = &entry.targets;
        for (j, later) in targets.iter().enumerate() {
            for earlier in &targets[..j] {
                if (earlier.short_form && later.short_form) || !earlier.overlaps_case(later) {
                    continue;
                }
                let at = first_seen[&(entry_index, later.entity)].clone();
                problems.push(Problem {
                    at,
                    message: format!(
                        "alias {:?} is claimed by both {} ({}) and {}; if both are meant, mark it `short_form = true` in each",
                        later.written[0],
                        self.entities[earlier.entity as usize].id,
                        first_seen[&(entry_index, earlier.entity)],
                        self.entities[later.entity as usize].id,
                    ),
                });
            }
        }
        let defaults: Vec<_> = targets.iter().filter(|t| t.default).collect();
        if defaults.len() > 1 {
            problems.push(Problem {
                at: first_seen[&(entry_index, defaults[1].entity)].clone(),
                message: format!(
                    "short form {:?} has more than one default: {} and {}",
                    defaults[1].written[0],
                    self.entities[defaults[0].entity as usize].id,
                    self.entities[defaults[1].entity as usize].id
                ),
            });
        }
    }

    /// Adds each person's surname ("Soleimani" from "Qassem Soleimani";
    /// "al-Muhandis" and "Muhandis" from "Abu Mahdi al-Muhandis") as a
    /// short form with no default: it links only after the document named
    /// that person in full. A surname that is already some entity's full
    /// alias, or an ignore phrase, is left alone; one the entity lists
    /// itself keeps the dictionary's options.
    fn derive_surnames(&self, entries: &mut Vec<KeyEntry>, keys: &mut HashMap<String, u32>) {
        for (index, entity) in self.entities.iter().enumerate() {
            if entity.entity_type.as_str() != "PER" {
                continue;
            }
            for surname in surnames(&entity.name) {
                let key = fold_key(surname, CaseMode::Fold);
                let mut target = Target::plain(index as u32, surname.to_owned());
                target.short_form = true;
                match keys.get(&key) {
                    None => {
                        keys.insert(key.clone(), entries.len() as u32);
                        entries.push(KeyEntry { key, targets: vec![target], ignore: false });
                    }
                    Some(&i) => {
                        let entry = &mut entries[i as usize];
                        let taken =
                            entry.ignore || entry.targets.iter().any(|t| !t.short_form || t.entity == index as u32);
                        if !taken {
                            entry.targets.push(target);
                        }
                    }
                }
            }
        }
    }

    fn info(
        &self,
        sources: &[SourceText],
        entries: &[KeyEntry],
        automaton: &Scanner,
        started: Instant,
    ) -> DictionaryInfo {
        let mut version_hasher = Sha256::new();
        // Folding rules are part of what a version means: the same files
        // under a different engine may match differently.
        version_hasher.update(concat!("entex/", env!("CARGO_PKG_VERSION"), "\n"));
        let mut source_infos = Vec::with_capacity(sources.len());
        for (source, &(entity_count, alias_count)) in sources.iter().zip(&self.per_source) {
            let sha256 = hex(&Sha256::digest(source.text.as_bytes()));
            version_hasher.update(sha256.as_bytes());
            source_infos.push(SourceInfo { name: source.name.clone(), sha256, entity_count, alias_count });
        }
        let mut by_type = BTreeMap::new();
        for entity in &self.entities {
            *by_type.entry(entity.entity_type.as_str().to_owned()).or_insert(0u64) += 1;
        }
        let alias_count = entries.iter().map(|e| e.targets.len() as u64).sum();
        DictionaryInfo {
            version: hex(&version_hasher.finalize())[..16].to_owned(),
            entity_count: self.entities.len() as u64,
            alias_count,
            sources: source_infos,
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
fn is_pattern(entry: &KeyEntry) -> bool {
    if entry.ignore {
        return true;
    }
    let extractable = entry.targets.iter().any(|t| t.extract);
    extractable || (!entry.targets.is_empty() && !starts_with_title(&entry.key))
}

/// For each entry: whether it is a Normalize-only alias that ends with an
/// extractable alias of the same entity ("Supreme Leader Ali Khamenei" and
/// "Ali Khamenei"): a decorated form for the resolver, which in running text
/// must leave the name inside it to be matched.
fn decorated_forms(entries: &[KeyEntry]) -> Vec<bool> {
    let mut extractable: HashMap<u32, Vec<&str>> = HashMap::new();
    for entry in entries {
        for target in entry.targets.iter().filter(|t| t.extract) {
            extractable.entry(target.entity).or_default().push(&entry.key);
        }
    }
    entries
        .iter()
        .map(|entry| {
            !entry.ignore
                && entry.targets.iter().all(|t| !t.extract)
                && entry.targets.iter().any(|t| {
                    extractable
                        .get(&t.entity)
                        .is_some_and(|keys| keys.iter().any(|k| k.len() < entry.key.len() && entry.key.ends_with(k)))
                })
        })
        .collect()
}

/// Generic words that end many place and party names but are common nouns
/// on their own (folded). Rule: as the last word of a multi-word alias they
/// belong to the name only when capitalised in the text.
const DESCRIPTORS: &[&str] = &[
    "province",
    "governorate",
    "district",
    "region",
    "camp",
    "base",
    "airbase",
    "airport",
    "strait",
    "straits",
    "field",
    "bloc",
    "coalition",
    "list",
    "port",
    "crossing",
    "prison",
    "dam",
    "border",
    "valley",
    "desert",
    "city",
];

fn mark_descriptor_tails(entries: &mut [KeyEntry]) {
    for entry in entries {
        let mut words = entry.key.split_whitespace();
        let last = words.next_back();
        let more = words.next().is_some();
        if more && last.is_some_and(|w| DESCRIPTORS.contains(&w)) {
            for target in &mut entry.targets {
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
fn person_short_form(spec: &AliasSpec, entity: &Entity, key: &str) -> Option<AliasSpec> {
    if spec.short_form || entity.entity_type.as_str() != "PER" || entity.name.split_whitespace().count() < 2 {
        return None;
    }
    let words = key.split_whitespace().filter(|w| !is_article(w)).count();
    if words != 1 || fold_key(&entity.name, CaseMode::Fold) == key {
        return None;
    }
    Some(AliasSpec { short_form: true, default: true, ..spec.clone() })
}

fn is_article(folded_word: &str) -> bool {
    matches!(folded_word, "al" | "el" | "ul" | "as" | "ash" | "ad" | "ar" | "at" | "az" | "an")
}

/// The surname forms of a person's canonical name: its last word, and that
/// word without its article ("al-Muhandis" -> "Muhandis"). None for one-word
/// names, patronymics ("bin Salman") and words of fewer than 4 letters.
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

fn shrink_entries(entries: &mut Vec<KeyEntry>) {
    entries.shrink_to_fit();
    for entry in entries {
        entry.key.shrink_to_fit();
        entry.targets.shrink_to_fit();
        entry.targets.iter_mut().for_each(Target::shrink_to_fit);
    }
}

/// The variant index: every extractable, case-insensitive, context-free
/// alias (and ignore phrase) under its romanisation skeleton
/// ([`crate::text::skeleton`]). A skeleton that two entities' aliases share
/// is dropped (unless all are short forms, which context resolves): a
/// variant must never pick between entities by chance.
fn build_variants(entries: &[KeyEntry]) -> Result<Option<VariantIndex>, LoadError> {
    struct VariantEntry {
        key: String,
        claims: Vec<ClaimRef>,
        ignore: bool,
    }
    let mut variant_entries: Vec<VariantEntry> = Vec::new();
    let mut variant_keys: HashMap<String, u32> = HashMap::new();
    for (entry_index, entry) in entries.iter().enumerate() {
        let Some(skeleton) = skeleton_key(&entry.key) else { continue };
        let index = *variant_keys.entry(skeleton.clone()).or_insert_with(|| {
            variant_entries.push(VariantEntry { key: skeleton.clone(), claims: Vec::new(), ignore: false });
            variant_entries.len() as u32 - 1
        });
        let variant = &mut variant_entries[index as usize];
        variant.ignore |= entry.ignore;
        for (target_index, target) in entry.targets.iter().enumerate() {
            let usable = target.extract && target.case_forms().is_none() && target.after().is_none();
            let claimed = |c: &ClaimRef| entries[c.entry as usize].targets[c.target as usize].entity == target.entity;
            if usable && !variant.claims.iter().any(claimed) {
                variant.claims.push(ClaimRef { entry: entry_index as u32, target: target_index as u32 });
            }
        }
    }
    drop(variant_keys);
    let target = |c: &ClaimRef| &entries[c.entry as usize].targets[c.target as usize];
    for variant in &mut variant_entries {
        let entities_differ = variant.claims.windows(2).any(|w| target(&w[0]).entity != target(&w[1]).entity);
        let all_short = variant.claims.iter().all(|c| target(c).short_form);
        if entities_differ && !all_short {
            variant.claims.clear();
        }
        if !variant.claims.is_empty() {
            // An entity alias is more specific than an ignore phrase.
            variant.ignore = false;
        }
    }
    variant_entries.retain(|v| v.ignore || !v.claims.is_empty());
    if variant_entries.is_empty() {
        return Ok(None);
    }
    variant_entries.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    let automaton = Scanner::build(variant_entries.iter().map(|v| v.key.as_str())).map_err(|e| LoadError {
        problems: vec![Problem {
            at: Location { source: Arc::from("<variant automaton>"), line: 0 },
            message: format!("cannot build the variant automaton: {e}"),
        }],
    })?;
    let mut table = VariantTable::default();
    for variant in &variant_entries {
        table.push(&variant.key, &variant.claims, variant.ignore);
    }
    Ok(Some(VariantIndex { table, automaton }))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toml(text: &str) -> Vec<SourceText> {
        vec![SourceText { name: "t.toml".into(), text: text.into() }]
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
        let entry = dict.entry(" alpha brigade ").unwrap();
        assert!(!entry.ignore && entry.targets.len() == 1);
        assert!(dict.entry(" beta post ").unwrap().ignore);
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
        sources.push(SourceText { name: "x.tsv".into(), text: "Gamma\torg:missing\n".into() });
        let p = problems(&sources);
        let joined = p.join("\n");
        assert!(joined.contains("t.toml:2: parent org:nowhere is not defined"), "{joined}");
        assert!(joined.contains("t.toml:7: alias \"--\" has no letters"), "{joined}");
        assert!(joined.contains("t.toml:10: ignore phrase \"...\" has no letters"), "{joined}");
        assert!(joined.contains("x.tsv:1: entity org:missing is not defined"), "{joined}");
    }
}
