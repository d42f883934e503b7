//! The precompiled dictionary artefact: a compiled [`Dictionary`] written to
//! one file by `entex compile` and mapped by `entex serve --compiled`, so a
//! server reaches SERVING without parsing, folding or building anything, and
//! replicas on one node share one copy of the tables in the page cache.
//!
//! # Format (version [`FORMAT_VERSION`])
//!
//! ```text
//! magic            8 bytes   "ENTEXDIC"
//! format version   u32 LE
//! engine length    u32 LE, then that many bytes of UTF-8 engine identity
//! padding          to a multiple of 8 bytes
//! payload length   u64 LE
//! payload checksum u64 LE    xxh3-64 of the payload
//! payload          columns, each a u64 LE byte length, padding to 8, its
//!                  bytes, padding to 8 (column.rs): facts, rare claim
//!                  options and ignore phrases (postcard); strings; entity
//!                  tables; keys and claims; the scanner's tables; a variant
//!                  flag byte and, if set, the variant index's tables.
//! ```
//!
//! Columns start at offsets aligned to 8 in the file, so a mapped file is
//! used in place: every table is a checked view of its bytes
//! ([`super::column`]).
//!
//! # Trust
//!
//! An artefact is never trusted: loading refuses, with a message naming the
//! file and the fault, a file that is not an artefact, one of another format
//! version, one written by a binary with a different engine (entex version
//! or engine fingerprint: the code that folds, compiles and matches), a
//! truncated or corrupted one (length and checksum), and one whose tables do
//! not hold together (every index in range, every string UTF-8, ends in
//! order). The checksum detects corruption, not forgery: an artefact is as
//! trusted as the binary reading it, so keep it where the binary is kept.
//! `entex compile` replaces a file by renaming a new one over it, so a
//! mapped file is never changed under a server; do not edit one in place.
//!
//! # Cost
//!
//! Loading maps the file, checksums it (xxh3, gigabytes a second) and checks
//! the tables (one pass over each), side by side on the rayon pool. Nothing
//! is copied but the small postcard sections; see docs/benchmarks.md for the
//! 3,500,000-alias figures.

use std::{
    io::{Seek, Write},
    path::Path,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::{
    ClaimRare, Dictionary, DictionaryInfo, DictionarySummary, EXTERNAL_ID, Entities, KeyId, LoadError, Location,
    MANY_DICTIONARIES, Problem, RuleNeeds, SourceInfo, VariantIndex,
    column::{ColumnReader, ColumnSink, ColumnWriter, Map},
    scanner::{self, Scanner},
    strings::{NONE, Strings},
};

const MAGIC: &[u8; 8] = b"ENTEXDIC";

/// Bumped whenever the layout of the file or of the tables changes.
pub const FORMAT_VERSION: u32 = 5;

/// Who wrote an artefact: the entex version and the engine fingerprint
/// (build.rs: a hash of the folding, compiling and matching code).
pub fn engine_identity() -> String {
    concat!("entex/", env!("CARGO_PKG_VERSION"), " engine/", env!("ENTEX_ENGINE_FINGERPRINT")).to_owned()
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

/// The small, irregular parts, in postcard.
#[derive(Serialize, Deserialize)]
struct Irregular {
    facts: Facts,
    rare: Vec<ClaimRare>,
    ignores: Vec<(KeyId, u64)>,
    variant_ignores: Vec<(KeyId, u64)>,
}

/// The header up to the payload: magic, format, engine, padding; then room
/// for the payload length and checksum.
fn header() -> Vec<u8> {
    let engine = engine_identity();
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(engine.len() as u32).to_le_bytes());
    out.extend_from_slice(engine.as_bytes());
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&[0; 16]);
    out
}

/// The artefact bytes of `dictionary`.
pub fn to_bytes(dictionary: &Dictionary) -> Vec<u8> {
    let mut out = header();
    let payload_at = out.len();
    let mut payload = Vec::new();
    write_payload(dictionary, &mut ColumnWriter { out: &mut payload, base: payload_at });
    let checksum = xxh3_64(&payload);
    out[payload_at - 16..payload_at - 8].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    out[payload_at - 8..payload_at].copy_from_slice(&checksum.to_le_bytes());
    out.append(&mut payload);
    out
}

/// The payload's columns (the format above), into `columns`.
fn write_payload(dictionary: &Dictionary, columns: &mut ColumnWriter<'_>) {
    let info = &dictionary.info;
    let irregular = Irregular {
        facts: Facts {
            version: info.version.clone(),
            entity_count: info.entity_count,
            alias_count: info.alias_count,
            sources: info.sources.clone(),
            dictionaries: info.dictionaries.clone(),
            entities_by_type: info.entities_by_type.clone(),
            build_time: info.build_time,
        },
        rare: dictionary.rare.clone(),
        ignores: dictionary.ignores.clone(),
        variant_ignores: dictionary.variants.as_ref().map(|v| v.ignores.clone()).unwrap_or_default(),
    };
    columns.bytes(&postcard::to_stdvec(&irregular).expect("postcard serialises plain data"));
    let (strings, entities) = (&dictionary.strings, &dictionary.entities);
    columns.column(&strings.bytes);
    columns.column(&strings.ends);
    columns.column(&entities.records);
    columns.column(&entities.alias_ends);
    columns.column(&entities.aliases);
    columns.column(&entities.extra_ends);
    columns.column(&entities.extras);
    columns.column(&entities.types);
    columns.column(&dictionary.key_claim_ends);
    columns.column(&dictionary.claims);
    dictionary.scanner.write(columns);
    match &dictionary.variants {
        None => columns.bytes(&[0]),
        Some(variants) => {
            columns.bytes(&[1]);
            variants.scanner.write(columns);
            columns.column(&variants.claim_ends);
            columns.column(&variants.claims);
        }
    }
}

/// The payload on its way to a file: buffered, checksummed and counted as
/// it goes; the first write error is kept (and the rest skipped).
struct FileSink {
    file: std::io::BufWriter<std::fs::File>,
    checksum: Xxh3,
    written: usize,
    error: Option<std::io::Error>,
}

impl ColumnSink for FileSink {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            self.checksum.update(bytes);
            self.written += bytes.len();
            self.error = self.file.write_all(bytes).err();
        }
    }

    fn written(&self) -> usize {
        self.written
    }
}

/// Writes the artefact of `dictionary` to `path`, atomically: a reader (a
/// server watching or mapping the file) sees the old file or the new one,
/// never half, and a mapped old file is never changed under it.
///
/// The payload is streamed to the file (checksummed on the way, its length
/// and checksum written into the header last), so writing costs a buffer,
/// not a second copy of the dictionary: for a large catalogue that copy
/// (353 MB for 1,000,000 entities) was the peak of `entex compile`.
///
/// Returns the bytes written.
///
/// # Errors
///
/// The I/O error, with the path.
pub fn write(dictionary: &Dictionary, path: &Path) -> std::io::Result<u64> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "artefact".into());
    let temporary = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut head = header();
        let payload_at = head.len();
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(&head)?;
        let mut sink = FileSink {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            checksum: Xxh3::new(),
            written: 0,
            error: None,
        };
        write_payload(dictionary, &mut ColumnWriter { out: &mut sink, base: payload_at });
        if let Some(error) = sink.error {
            return Err(error);
        }
        let mut file = sink.file.into_inner().map_err(std::io::IntoInnerError::into_error)?;
        head[payload_at - 16..payload_at - 8].copy_from_slice(&(sink.written as u64).to_le_bytes());
        head[payload_at - 8..payload_at].copy_from_slice(&sink.checksum.digest().to_le_bytes());
        file.seek(std::io::SeekFrom::Start(0))?;
        file.write_all(&head)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        Ok((payload_at + sink.written) as u64)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(|e| std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display())))
}

/// Maps and validates the artefact at `path`; its tables stay in the map.
///
/// # Errors
///
/// A [`LoadError`] with one problem naming the file and what is wrong with
/// it (see the module's "Trust").
pub fn read(path: &Path) -> Result<Dictionary, LoadError> {
    let name = path.display().to_string();
    let file =
        std::fs::File::open(path).map_err(|e| refuse(&name, format!("cannot read the compiled dictionary: {e}")))?;
    // SAFETY: the map is read-only, and every table made from it is checked
    // for range, alignment and content before use. The remaining hazard of
    // any file map is another process changing the file while it is mapped:
    // `entex compile` never does (it renames a new file over the old one,
    // which leaves the mapped inode intact), and the module docs tell
    // operators not to edit an artefact in place.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| refuse(&name, format!("cannot map the compiled dictionary: {e}")))?;
    let map: Map = Arc::new(map);
    load(&map[..], Some(&map), &name)
}

/// Validates and loads artefact bytes held in memory (the tables are
/// copied); `name` names them in messages.
///
/// # Errors
///
/// As [`read`].
pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Dictionary, LoadError> {
    load(bytes, None, name)
}

fn load(bytes: &[u8], map: Option<&Map>, name: &str) -> Result<Dictionary, LoadError> {
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
    let padding = (8 - (16 + engine_len) % 8) % 8;
    // Padding is zeros: a file is accepted only as `to_bytes` writes it.
    if reader.take(padding).ok_or_else(truncated)?.iter().any(|&b| b != 0) {
        return Err(fail("has a damaged header: the padding after the engine identity is not zeros".to_owned()));
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
    let payload_at = bytes.len() - payload.len();
    // The checksum and the decoding are independent, so they run side by
    // side; reading damaged bytes is safe (every column is range-checked),
    // and a checksum mismatch discards the result. The checksum is reported
    // first: it explains any other fault.
    let (intact, decoded) = rayon::join(
        || xxh3_64(payload) == checksum,
        || decode(&mut ColumnReader { bytes: payload, map, base: payload_at, pos: 0 }),
    );
    if !intact {
        return Err(fail("is corrupt: its payload does not match its checksum".to_owned()));
    }
    let dictionary = decoded.map_err(|e| fail(format!("is inconsistent: {e}")))?;
    tracing::info!(
        artefact = name,
        version = %dictionary.info.version,
        entities = dictionary.info.entity_count,
        aliases = dictionary.info.alias_count,
        mapped = map.is_some(),
        load_ms = started.elapsed().as_secs_f64() * 1e3,
        "compiled dictionary loaded"
    );
    Ok(dictionary)
}

/// The dictionary's tables from the payload, checked.
fn decode(input: &mut ColumnReader<'_>) -> Result<Dictionary, String> {
    let irregular: Irregular =
        postcard::from_bytes(input.raw("facts")?).map_err(|e| format!("its facts do not decode: {e}"))?;
    let strings = Strings { bytes: input.column("strings")?, ends: input.column("string ends")? };
    let entities = Entities {
        records: input.column("entities")?,
        alias_ends: input.column("entity alias ends")?,
        aliases: input.column("entity aliases")?,
        extra_ends: input.column("entity attribute ends")?,
        extras: input.column("entity attributes")?,
        types: input.column("types")?,
    };
    let key_claim_ends = input.column("key claims")?;
    let claims = input.column("claims")?;
    let scanner = Scanner::read(input)?;
    let variants = match input.raw("variant flag")? {
        [0] => None,
        [1] => Some(VariantIndex {
            scanner: Scanner::read(input)?,
            claim_ends: input.column("variant claims")?,
            claims: input.column("variant claim ids")?,
            ignores: irregular.variant_ignores,
        }),
        _ => return Err("the variant flag is neither 0 nor 1".to_owned()),
    };
    if !input.is_done() {
        return Err("there are bytes after the last table".to_owned());
    }
    let facts = irregular.facts;
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
            automaton_bytes: scanner.table_bytes(),
            automaton_kind: scanner::KIND,
        },
        strings,
        entities,
        key_claim_ends,
        claims,
        needs: RuleNeeds::of(&irregular.rare),
        first_names: std::sync::OnceLock::new(),
        rare: irregular.rare,
        ignores: irregular.ignores,
        scanner,
        variants,
    };
    check_consistency(&dictionary)?;
    Ok(dictionary)
}

fn not_an_artefact() -> String {
    "is not an entex compiled dictionary (no ENTEXDIC header); make one with `entex compile`".to_owned()
}

fn refuse(name: &str, message: String) -> LoadError {
    LoadError { problems: vec![Problem { at: Location { source: Arc::from(name), line: 0 }, message }] }
}

/// `ends` is a table of ends for `count` items over a table of `total`.
fn check_ends(ends: &[u32], count: usize, total: usize, what: &str) -> Result<(), String> {
    let ordered = ends.windows(2).all(|w| w[0] <= w[1]);
    if ends.len() != count || !ordered || ends.last().map_or(total != 0, |&e| e as usize != total) {
        return Err(format!("the {what} ranges are out of order or out of range"));
    }
    Ok(())
}

/// The invariants the matcher and resolver index by: a table that breaks
/// one would make them panic or answer wrongly.
fn check_consistency(dictionary: &Dictionary) -> Result<(), String> {
    let strings = &dictionary.strings;
    strings.check()?;
    let string_count = strings.len();
    let string = |id: u32| (id as usize) < string_count;
    let entities = &dictionary.entities;
    let entity_count = entities.records.len();
    if entity_count as u64 != dictionary.info.entity_count {
        return Err(format!("{entity_count} entities, but its facts say {}", dictionary.info.entity_count));
    }
    let dictionaries = dictionary.info.dictionaries.len();
    for record in entities.records.iter() {
        let fields_ok = string(record.id)
            && string(record.name)
            && (record.description == NONE || string(record.description))
            && (record.parent == NONE || (record.parent as usize) < entity_count)
            // As the parsers allow (`check_prior`), or NaN for none: a
            // negative or infinite prior would make shares and scores
            // negative or NaN.
            && (record.prior.is_nan() || (record.prior.is_finite() && record.prior >= 0.0))
            && (record.entity_type as usize) < entities.types.len()
            && (record.dictionary as usize) < dictionaries;
        if !fields_ok {
            return Err(format!(
                "entity {} has a field out of range",
                strings.get(record.id.min(string_count as u32 - 1))
            ));
        }
    }
    check_ends(&entities.alias_ends, entity_count, entities.aliases.len(), "entity alias")?;
    check_ends(&entities.extra_ends, entity_count, entities.extras.len(), "entity attribute")?;
    if !entities.aliases.iter().all(|&a| string(a))
        || !entities.extras.iter().all(|&[k, v]| string(k & !EXTERNAL_ID) && string(v))
        || !entities.types.iter().all(|&t| string(t))
    {
        return Err("an entity names a string out of range".to_owned());
    }
    let keys = dictionary.scanner.pattern_count();
    check_ends(&dictionary.key_claim_ends, keys, dictionary.claims.len(), "key claim")?;
    let rare = dictionary.rare.len();
    let claim_ok = |c: &super::Claim| {
        (c.entity as usize) < entity_count
            && string(c.spelling)
            && (c.rare == NONE || (c.rare as usize) < rare)
            && (c.dictionary == MANY_DICTIONARIES || (c.dictionary as usize) < dictionaries)
    };
    if !dictionary.claims.iter().all(claim_ok) {
        return Err("a claim names an entity, string or option out of range".to_owned());
    }
    if !dictionary.rare.iter().all(|r| r.spellings.iter().all(|&s| string(s))) {
        return Err("a claim's spelling is out of range".to_owned());
    }
    let ignores_ok = |ignores: &[(KeyId, u64)], keys: usize| {
        ignores.windows(2).all(|w| w[0].0 < w[1].0) && ignores.iter().all(|&(k, _)| (k as usize) < keys)
    };
    if !ignores_ok(&dictionary.ignores, keys) {
        return Err("an ignore phrase names a key out of range".to_owned());
    }
    if let Some(variants) = &dictionary.variants {
        let variant_keys = variants.scanner.pattern_count();
        check_ends(&variants.claim_ends, variant_keys, variants.claims.len(), "variant claim")?;
        if !variants.claims.iter().all(|&c| (c as usize) < dictionary.claims.len()) {
            return Err("a variant key names a claim that is not in the alias table".to_owned());
        }
        if !ignores_ok(&variants.ignores, variant_keys) {
            return Err("a variant ignore phrase names a key out of range".to_owned());
        }
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
            .map(|m| (m.entity.map(|e| dictionary.entity(e).id().to_owned()), m.span.start, m.span.end))
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
        assert!(loaded.key(" kataib hezbollah ").is_some());
    }

    #[test]
    fn streamed_file_is_the_bytes_in_memory() {
        let dictionary = build(&embedded_default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("default.entexdic");
        let written = write(&dictionary, &path).unwrap();
        let on_disk = std::fs::read(&path).unwrap();
        assert_eq!(written, on_disk.len() as u64);
        assert!(on_disk == to_bytes(&dictionary), "the streamed artefact differs from to_bytes");
        assert!(read(&path).is_ok());
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
        let mut claims = dictionary.claims.to_vec();
        claims[0].entity = 99;
        dictionary.claims = claims.into();
        let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
        assert!(error.problems[0].message.contains("out of range"), "{}", error.problems[0]);

        let mut dictionary = small();
        let variants = dictionary.variants.as_mut().expect("a variant index");
        let mut claims = variants.claims.to_vec();
        claims[0] = 99;
        variants.claims = claims.into();
        let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
        assert!(error.problems[0].message.contains("not in the alias table"), "{}", error.problems[0]);

        // A prior no parser accepts (found by the fuzz target `artefact`,
        // whose checks need scores in [0, 1]).
        for prior in [-1.0, f32::INFINITY] {
            let mut dictionary = small();
            let mut records = dictionary.entities.records.to_vec();
            records[0].prior = prior;
            dictionary.entities.records = records.into();
            let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
            assert!(error.problems[0].message.contains("out of range"), "{}", error.problems[0]);
        }

        let mut dictionary = small();
        let mut ends = dictionary.strings.ends.to_vec();
        ends.swap(0, 1);
        dictionary.strings.ends = ends.into();
        let error = from_bytes(&to_bytes(&dictionary), "x.entex").expect_err("accepted");
        assert!(error.problems[0].message.contains("string offsets"), "{}", error.problems[0]);
    }

    #[test]
    fn a_mapped_artefact_answers_like_the_original() {
        let original = small();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.entex");
        write(&original, &path).unwrap();
        let mapped = read(&path).unwrap();
        assert!(mapped.memory_usage() < original.memory_usage() / 2, "tables stay in the map");
        let text = "Qassem Soleimani of Kataib Hezbollah";
        assert_eq!(mentions(&mapped, text), mentions(&original, text));
    }
}
