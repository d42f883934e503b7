//! The precompiled dictionary artefact: a compiled [`Dictionary`] written to
//! one file by `entex compile` and loaded by `entex serve --compiled`, so a
//! server reaches SERVING without parsing, folding and building automata.
//!
//! # Format (version [`FORMAT_VERSION`])
//!
//! ```text
//! magic            8 bytes   "ENTEXDIC"
//! format version   u32 LE
//! engine length    u32 LE, then that many bytes of UTF-8 engine identity
//! payload length   u64 LE
//! payload checksum u64 LE    xxh3-64 of the payload
//! payload          six sections, each a u64 LE length then its bytes:
//!                  facts, entities, sorted key entries, pattern map and
//!                  variant entries (each postcard), main automaton,
//!                  variant automaton (empty when there is none)
//! ```
//!
//! # Trust
//!
//! An artefact is never trusted: loading refuses, with a message naming the
//! file and the fault, a file that is not an artefact, one of another format
//! version, one written by a binary with a different engine (entex version
//! or engine fingerprint: the code that folds, compiles and matches), a
//! truncated or corrupted one (length and checksum), and one whose tables do
//! not hold together (every index in range, keys sorted and unique, each
//! automaton's pattern count equal to its table). Ids and types go through
//! the same checks as in source files. The checksum detects corruption, not
//! forgery: an artefact is as trusted as the binary reading it, so keep it
//! where the binary is kept.
//!
//! # Cost
//!
//! Loading is a file read, one xxh3 pass, postcard decoding of the tables
//! (the bulk: one allocation per string) and two automaton copies, all
//! sections side by side on the rayon pool; see docs/benchmarks.md for the
//! 1,000,000-alias figures.

use std::{
    io::Write,
    path::Path,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::{
    Dictionary, DictionaryInfo, DictionarySummary, Entity, KeyEntry, LoadError, Location, Problem, SourceInfo,
    VariantIndex, VariantTable,
    scanner::{self, Scanner},
};

const MAGIC: &[u8; 8] = b"ENTEXDIC";

/// Bumped whenever the layout of the file or of the tables changes.
pub const FORMAT_VERSION: u32 = 3;

/// Who wrote an artefact: the entex version and the engine fingerprint
/// (build.rs: a hash of the folding, compiling and matching code).
pub fn engine_identity() -> String {
    concat!("entex/", env!("CARGO_PKG_VERSION"), " engine/", env!("ENTEX_ENGINE_FINGERPRINT")).to_owned()
}

/// The pattern map and the variant entries, which are small and decoded
/// together.
#[derive(Serialize, Deserialize)]
struct Patterns<P, V> {
    pattern_entries: P,
    variant_entries: Option<V>,
}

/// The parts of [`DictionaryInfo`] that describe the sources, not the load.
#[derive(Serialize, Deserialize)]
struct Facts {
    version: String,
    entity_count: u64,
    alias_count: u64,
    sources: Vec<SourceInfo>,
    dictionaries: Vec<DictionarySummary>,
    entities_by_type: std::collections::BTreeMap<String, u64>,
    /// How long the original build from sources took.
    build_time: Duration,
}

/// Postcard decoding of one section, with what failed named.
fn decode<'a, T: Deserialize<'a>>(bytes: Option<&'a [u8]>, what: &str) -> Result<T, String> {
    let bytes = bytes.ok_or_else(|| format!("the {what} section is cut short"))?;
    postcard::from_bytes(bytes).map_err(|e| format!("its {what} do not decode: {e}"))
}

/// The artefact bytes of `dictionary`.
pub fn to_bytes(dictionary: &Dictionary) -> Vec<u8> {
    let info = &dictionary.info;
    let facts = Facts {
        version: info.version.clone(),
        entity_count: info.entity_count,
        alias_count: info.alias_count,
        sources: info.sources.clone(),
        dictionaries: info.dictionaries.clone(),
        entities_by_type: info.entities_by_type.clone(),
        build_time: info.build_time,
    };
    let patterns = Patterns {
        pattern_entries: dictionary.pattern_entries.as_slice(),
        variant_entries: dictionary.variants.as_ref().map(|v| &v.table),
    };
    let engine = engine_identity();
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(engine.len() as u32).to_le_bytes());
    out.extend_from_slice(engine.as_bytes());
    // Payload length and checksum, filled in once the payload is written.
    let sizes_at = out.len();
    out.extend_from_slice(&[0; 16]);
    let payload_at = out.len();
    // Each section goes straight into `out` behind its length: no copy of
    // the payload (a quarter of a gigabyte for a million aliases).
    push_section(&mut out, |out| postcard_into(&facts, out));
    push_section(&mut out, |out| postcard_into(&dictionary.entities, out));
    push_section(&mut out, |out| postcard_into(&dictionary.entries, out));
    push_section(&mut out, |out| postcard_into(&patterns, out));
    push_section(&mut out, |out| out.extend_from_slice(&dictionary.automaton.to_bytes()));
    push_section(&mut out, |out| {
        if let Some(variants) = &dictionary.variants {
            out.extend_from_slice(&variants.automaton.to_bytes());
        }
    });
    let payload_len = (out.len() - payload_at) as u64;
    let checksum = xxh3_64(&out[payload_at..]);
    out[sizes_at..sizes_at + 8].copy_from_slice(&payload_len.to_le_bytes());
    out[sizes_at + 8..payload_at].copy_from_slice(&checksum.to_le_bytes());
    out
}

/// Appends a section: its length (u64 LE), then what `fill` appends.
fn push_section(out: &mut Vec<u8>, fill: impl FnOnce(&mut Vec<u8>)) {
    let length_at = out.len();
    out.extend_from_slice(&[0; 8]);
    fill(out);
    let length = (out.len() - length_at - 8) as u64;
    out[length_at..length_at + 8].copy_from_slice(&length.to_le_bytes());
}

/// Appends the postcard bytes of plain data (which cannot fail to
/// serialise into a Vec).
fn postcard_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    postcard::to_io(value, out).expect("postcard serialises plain data into a Vec");
}

/// Writes the artefact of `dictionary` to `path`, atomically: a reader (a
/// server watching the file) sees the old file or the new one, never half.
///
/// Returns the bytes written.
///
/// # Errors
///
/// The I/O error, with the path.
pub fn write(dictionary: &Dictionary, path: &Path) -> std::io::Result<u64> {
    let bytes = to_bytes(dictionary);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "artefact".into());
    let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
        .map(|()| bytes.len() as u64)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

/// Reads and validates the artefact at `path`.
///
/// # Errors
///
/// A [`LoadError`] with one problem naming the file and what is wrong with
/// it (see the module's "Trust").
pub fn read(path: &Path) -> Result<Dictionary, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| refuse(&name, format!("cannot read the compiled dictionary: {e}")))?;
    from_bytes(&bytes, &name)
}

/// Validates and loads artefact bytes; `name` names them in messages.
///
/// # Errors
///
/// As [`read`].
pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Dictionary, LoadError> {
    let started = Instant::now();
    let fail = |message: String| refuse(name, message);
    let mut reader = Reader { rest: bytes };
    let magic = reader.take(MAGIC.len()).ok_or_else(|| fail(not_an_artefact()))?;
    if magic != MAGIC {
        return Err(fail(not_an_artefact()));
    }
    let truncated = || fail("is truncated: its header is incomplete".to_owned());
    let format = reader.u32().ok_or_else(truncated)?;
    if format != FORMAT_VERSION {
        return Err(fail(format!(
            "has artefact format {format}; this entex reads format {FORMAT_VERSION}: compile it again with this binary's `entex compile`"
        )));
    }
    let engine_len = reader.u32().ok_or_else(truncated)? as usize;
    let engine = reader.take(engine_len).ok_or_else(truncated)?;
    let engine = String::from_utf8_lossy(engine);
    let ours = engine_identity();
    if engine != ours {
        return Err(fail(format!(
            "was compiled by {engine}, not by this binary ({ours}), which may compile the same sources differently: compile it again with this binary's `entex compile`"
        )));
    }
    let payload_len = reader.u64().ok_or_else(truncated)?;
    let checksum = reader.u64().ok_or_else(truncated)?;
    if reader.rest.len() as u64 != payload_len {
        return Err(fail(format!(
            "is truncated or has trailing bytes: its header announces {payload_len} payload bytes, the file holds {}",
            reader.rest.len()
        )));
    }
    let payload = reader.rest;
    let mut sections = Reader { rest: payload };
    let mut section = || sections.u64().and_then(|n| usize::try_from(n).ok()).and_then(|n| sections.take(n));
    let [facts, entities, entries, patterns, main, variant] = std::array::from_fn(|_| section());
    // The checksum and the six decodings are independent, so they run side
    // by side; decoding damaged bytes is safe (both decoders check lengths
    // before allocating), and a checksum mismatch discards the result. The
    // checksum is reported first: it explains any other fault.
    let scanner = |bytes: Option<&[u8]>, what: &str| {
        let bytes = bytes.ok_or_else(|| format!("the {what} section is cut short"))?;
        // An empty section: the dictionary has no such automaton.
        (!bytes.is_empty()).then(|| Scanner::from_bytes(bytes)).transpose()
    };
    let ((intact, (facts, entities)), ((entries, patterns), (main, variant))) = rayon::join(
        || {
            rayon::join(
                || xxh3_64(payload) == checksum,
                || (decode::<Facts>(facts, "facts"), decode::<Vec<Entity>>(entities, "entities")),
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || decode::<Vec<KeyEntry>>(entries, "aliases"),
                        || decode::<Patterns<Vec<u32>, VariantTable>>(patterns, "patterns"),
                    )
                },
                || rayon::join(|| scanner(main, "automaton"), || scanner(variant, "variant automaton")),
            )
        },
    );
    if !intact {
        return Err(fail("is corrupt: its payload does not match its checksum".to_owned()));
    }
    let inconsistent = |e: String| fail(format!("is inconsistent: {e}"));
    let (facts, entities, entries, patterns) = (
        facts.map_err(inconsistent)?,
        entities.map_err(inconsistent)?,
        entries.map_err(inconsistent)?,
        patterns.map_err(inconsistent)?,
    );
    let automaton = main.map_err(inconsistent)?.ok_or_else(|| inconsistent("the automaton is missing".to_owned()))?;
    let variants = match (patterns.variant_entries, variant.map_err(inconsistent)?) {
        (None, None) => None,
        (Some(table), Some(automaton)) => Some(VariantIndex { table, automaton }),
        _ => return Err(inconsistent("variant table and variant automaton disagree".to_owned())),
    };
    let dictionary = Dictionary {
        info: DictionaryInfo {
            version: facts.version,
            entity_count: facts.entity_count,
            alias_count: facts.alias_count,
            sources: facts.sources,
            dictionaries: facts.dictionaries,
            loaded_at: SystemTime::now(),
            build_time: facts.build_time,
            entities_by_type: facts.entities_by_type,
            automaton_bytes: automaton.heap_bytes(),
            automaton_kind: scanner::KIND,
        },
        entities,
        entries,
        pattern_entries: patterns.pattern_entries,
        automaton,
        variants,
    };
    check_consistency(&dictionary).map_err(|e| fail(format!("is inconsistent: {e}")))?;
    tracing::info!(
        artefact = name,
        version = %dictionary.info.version,
        entities = dictionary.info.entity_count,
        aliases = dictionary.info.alias_count,
        load_ms = started.elapsed().as_secs_f64() * 1e3,
        "compiled dictionary loaded"
    );
    Ok(dictionary)
}

fn not_an_artefact() -> String {
    "is not an entex compiled dictionary (no ENTEXDIC header); make one with `entex compile`".to_owned()
}

fn refuse(name: &str, message: String) -> LoadError {
    LoadError { problems: vec![Problem { at: Location { source: Arc::from(name), line: 0 }, message }] }
}

/// The invariants the matcher and resolver index by: a table that breaks
/// one would make them panic or answer wrongly.
fn check_consistency(dictionary: &Dictionary) -> Result<(), String> {
    let entity_count = dictionary.entities.len();
    if entity_count as u64 != dictionary.info.entity_count {
        return Err(format!("{entity_count} entities, but its facts say {}", dictionary.info.entity_count));
    }
    let entries = &dictionary.entries;
    if let Some(pair) = entries.windows(2).find(|w| w[0].key >= w[1].key) {
        return Err(format!("alias keys are not sorted and unique at {:?}", pair[1].key));
    }
    for entry in entries {
        if !(entry.key.len() >= 3 && entry.key.starts_with(' ') && entry.key.ends_with(' ')) {
            return Err(format!("alias key {:?} is not a padded key", entry.key));
        }
        if let Some(target) = entry.targets.iter().find(|t| t.entity as usize >= entity_count || t.written.is_empty()) {
            return Err(format!(
                "alias key {:?} has a claim of entity {} with no spelling or out of range",
                entry.key, target.entity
            ));
        }
    }
    if let Some(bad) = dictionary.pattern_entries.iter().find(|&&i| i as usize >= dictionary.entries.len()) {
        return Err(format!("automaton pattern names entry {bad} of {}", dictionary.entries.len()));
    }
    if dictionary.automaton.pattern_count() != dictionary.pattern_entries.len() {
        return Err(format!(
            "the automaton has {} patterns for {} pattern entries",
            dictionary.automaton.pattern_count(),
            dictionary.pattern_entries.len()
        ));
    }
    if let Some(variants) = &dictionary.variants {
        if let Some(why) = variants.table.inconsistency(&dictionary.entries) {
            return Err(why);
        }
        if variants.automaton.pattern_count() != variants.table.len() {
            return Err(format!(
                "the variant automaton has {} patterns for {} variant entries",
                variants.automaton.pattern_count(),
                variants.table.len()
            ));
        }
    }
    let ids: foldhash::HashSet<&str> = dictionary.entities.iter().map(|e| e.id.as_str()).collect();
    if ids.len() != entity_count {
        return Err("an entity id is defined twice".to_owned());
    }
    if let Some(orphan) =
        dictionary.entities.iter().find(|e| e.parent.as_ref().is_some_and(|p| !ids.contains(p.as_str())))
    {
        return Err(format!("entity {} names a parent that is not in the dictionary", orphan.id));
    }
    Ok(())
}

/// Little-endian reads from the front of a byte slice.
struct Reader<'b> {
    rest: &'b [u8],
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let (head, rest) = self.rest.split_at_checked(n)?;
        self.rest = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{SourceText, build, embedded_default};

    fn small() -> Dictionary {
        let toml = r#"
[[entity]]
id = "org:kataib-hezbollah"
type = "ORG"
name = "Kataib Hezbollah"
aliases = ["Kata'ib Hezbollah", "KH"]

[[entity]]
id = "per:qassem-soleimani"
type = "PER"
name = "Qassem Soleimani"
parent = "org:kataib-hezbollah"
"#;
        build(&[SourceText::new("t.toml", toml)]).unwrap()
    }

    fn mentions(dictionary: &Dictionary, text: &str) -> Vec<(Option<String>, usize, usize)> {
        dictionary
            .extract(text)
            .into_iter()
            .map(|m| (m.entity.map(|e| dictionary.entity(e).id.to_string()), m.span.start, m.span.end))
            .collect()
    }

    #[test]
    fn round_trip_matches_like_the_original() {
        let original = build(&embedded_default()).unwrap();
        let loaded = from_bytes(&to_bytes(&original), "mem").unwrap();
        let text = "Qasim Suleimani of the Quds Force met Kata’ib Hezbollah in Baghdad; Soleimani left. The US said.";
        assert_eq!(mentions(&loaded, text), mentions(&original, text));
        assert!(!mentions(&loaded, text).is_empty());
        assert_eq!(loaded.info().version, original.info().version);
        assert_eq!(loaded.info().alias_count, original.info().alias_count);
        assert!(loaded.entry(" kataib hezbollah ").is_some());
    }

    /// (name, damage to the bytes, words the refusal must contain)
    #[test]
    fn damaged_artefacts_are_refused() {
        let good = to_bytes(&small());
        let engine_at = 16;
        let rows: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", Vec::new(), "not an entex compiled dictionary"),
            ("a toml file", b"[[entity]]\nid = \"x\"\n".to_vec(), "not an entex compiled dictionary"),
            (
                "other format",
                {
                    let mut b = good.clone();
                    b[8] = 99;
                    b
                },
                "artefact format 99",
            ),
            (
                "other engine",
                {
                    let mut b = good.clone();
                    b[engine_at] ^= 1;
                    b
                },
                "was compiled by",
            ),
            ("header only", good[..20].to_vec(), "truncated"),
            ("cut short", good[..good.len() - 10].to_vec(), "truncated"),
            (
                "trailing bytes",
                {
                    let mut b = good.clone();
                    b.push(0);
                    b
                },
                "trailing bytes",
            ),
            (
                "flipped payload byte",
                {
                    let mut b = good.clone();
                    let n = b.len();
                    b[n - 40] ^= 0x55;
                    b
                },
                "checksum",
            ),
        ];
        for (name, bytes, want) in rows {
            let error = from_bytes(&bytes, "x.entex").err().unwrap_or_else(|| panic!("{name}: accepted"));
            let message = error.problems[0].to_string();
            assert!(message.contains(want) && message.contains("x.entex"), "{name}: {message}");
        }
    }

    #[test]
    fn inconsistent_tables_are_refused_even_with_a_good_checksum() {
        let mut dictionary = small();
        dictionary.entries[0].targets[0].entity = 99;
        let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
        assert!(error.problems[0].message.contains("out of range"), "{}", error.problems[0]);

        let mut dictionary = small();
        dictionary.variants.as_mut().expect("a variant index").table.claims[0].target = 99;
        let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
        assert!(error.problems[0].message.contains("not in the alias table"), "{}", error.problems[0]);

        let mut dictionary = small();
        dictionary.entries.swap(0, 1);
        let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
        assert!(error.problems[0].message.contains("not sorted"), "{}", error.problems[0]);
    }
}
