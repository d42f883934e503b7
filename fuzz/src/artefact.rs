//! Target `artefact`: the compiled-dictionary loader,
//! [`entex::dictionary::artefact::from_bytes`], on corrupt bytes.
//!
//! Random bytes almost never pass the payload checksum, so most inputs
//! describe a *payload* and the target writes a header around it, with a
//! valid checksum (the decoders and the consistency checks behind it are
//! what gets fuzzed) unless the input asks for a damaged header:
//!
//! - byte 0 with its top bit set: the rest of the input is the whole file,
//!   as is;
//! - otherwise byte 1 picks header damage ([`DAMAGE`] bits) and the rest is
//!   the payload.
//!
//! What it checks:
//!
//! - nothing panics;
//! - a damaged header or checksum, a truncated or lengthened file, a file
//!   of another format version or engine, is refused: corrupt bytes are
//!   never accepted;
//! - a whole file (as is) is accepted only if it is byte for byte what
//!   `to_bytes` writes for the dictionary it loads;
//! - a dictionary that is accepted is safe to use: the checks of a built
//!   dictionary ([`crate::dictionary::check_dictionary`]: round trip,
//!   extraction, offsets, resolution) pass, and extracting its own keys
//!   keeps the offset invariant.

use entex::dictionary::artefact::{FORMAT_VERSION, engine_identity, from_bytes, to_bytes};
use xxhash_rust::xxh3::xxh3_64;

use crate::check_spans;

pub fn init() {}

pub const MAGIC: &[u8; 8] = b"ENTEXDIC";

/// Header damage, byte 1 of a payload input.
pub mod damage {
    pub const CHECKSUM: u8 = 1;
    pub const LENGTH_LONGER: u8 = 2;
    pub const VERSION: u8 = 4;
    pub const ENGINE: u8 = 8;
    pub const TRUNCATED: u8 = 16;
    pub const MAGIC: u8 = 32;
    pub const TRAILING_BYTE: u8 = 64;
}
pub const DAMAGE: u8 = 127;

/// The artefact file around `payload`, with `flags` damage.
pub fn file(payload: &[u8], flags: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 128);
    out.extend_from_slice(MAGIC);
    if flags & damage::MAGIC != 0 {
        out[7] ^= 0x20;
    }
    let version = if flags & damage::VERSION != 0 { FORMAT_VERSION + 1 } else { FORMAT_VERSION };
    out.extend_from_slice(&version.to_le_bytes());
    let mut engine = engine_identity();
    if flags & damage::ENGINE != 0 {
        engine.push('+');
    }
    out.extend_from_slice(&(engine.len() as u32).to_le_bytes());
    out.extend_from_slice(engine.as_bytes());
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let length = payload.len() as u64 + u64::from(flags & damage::LENGTH_LONGER != 0);
    out.extend_from_slice(&length.to_le_bytes());
    let checksum = xxh3_64(payload) ^ u64::from(flags & damage::CHECKSUM != 0);
    out.extend_from_slice(&checksum.to_le_bytes());
    out.extend_from_slice(payload);
    if flags & damage::TRUNCATED != 0 {
        out.pop();
    }
    if flags & damage::TRAILING_BYTE != 0 {
        out.push(0);
    }
    out
}

/// The payload of a whole artefact file (what follows the header).
pub fn payload_of(file: &[u8]) -> &[u8] {
    let engine_len = u32::from_le_bytes(file[12..16].try_into().expect("4 bytes")) as usize;
    &file[(16 + engine_len).next_multiple_of(8) + 16..]
}

pub fn run(data: &[u8]) {
    let (mode, rest) = data.split_first().map_or((0, &[][..]), |(&m, r)| (m, r));
    if mode & 0x80 != 0 {
        if let Ok(dictionary) = from_bytes(rest, "fuzz") {
            assert!(to_bytes(&dictionary) == rest, "accepted a file that is not what its dictionary writes");
            use_dictionary(&dictionary);
        }
        return;
    }
    let (flags, payload) = rest.split_first().map_or((0, &[][..]), |(&f, p)| (f & DAMAGE, p));
    let bytes = file(payload, flags);
    let loaded = from_bytes(&bytes, "fuzz");
    match loaded {
        Ok(dictionary) => {
            // Truncated, then a zero appended, can give back the file.
            assert!(bytes == file(payload, 0), "accepted header damage {flags:#x}");
            use_dictionary(&dictionary);
        }
        Err(error) => assert!(!error.problems.is_empty(), "a refused artefact names no problem"),
    }
}

fn use_dictionary(dictionary: &entex::dictionary::Dictionary) {
    crate::dictionary::check_dictionary(dictionary);
    // Its keys as text, unfolded: each should hit the automaton.
    let text: String = dictionary.keys().take(2000).map(|(_, key)| key).collect();
    let mentions = dictionary.extract(&text);
    check_spans(&text, mentions.iter().map(|m| m.span));
    for m in &mentions {
        if let Some(entity) = m.entity {
            assert!((entity as usize) < dictionary.entity_count(), "mention of entity {entity}");
        }
    }
}

/// Crafted artefacts: a valid payload with one table of the scanner (the
/// word trie, `entex::dictionary::scanner`) changed, behind a valid
/// checksum. Each is a shape of bug `artefact-automaton-unchecked` on the
/// word trie: before the load check was made whole, each loaded, and the
/// scan then hung, linked the wrong entity or found nothing. They are
/// regression rows (`tests/bugs.rs`) and inputs of this target
/// (`fuzz/regressions/artefact/`, written by the `seeds` binary).
pub mod craft {
    use entex::dictionary::{SourceText, artefact, build};

    /// The payload's columns, in order (format 4, `dictionary/column.rs`):
    /// each a u64 LE byte length, padding to 8, its bytes, padding to 8.
    pub fn columns(payload: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos + 8 <= payload.len() {
            let len = u64::from_le_bytes(payload[pos..pos + 8].try_into().expect("8 bytes")) as usize;
            pos += 8;
            out.push(payload[pos..pos + len].to_vec());
            pos = (pos + len).next_multiple_of(8);
        }
        out
    }

    /// The payload of `columns` (the inverse of [`columns`]).
    pub fn payload(columns: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for column in columns {
            out.extend_from_slice(&(column.len() as u64).to_le_bytes());
            out.extend_from_slice(column);
            out.resize(out.len().next_multiple_of(8), 0);
        }
        out
    }

    /// Column indices of the main scanner's tables in the payload: facts,
    /// 2 string tables, 6 entity tables, key claims, claims, then the
    /// scanner (pattern count first).
    pub const WORD_BYTES: usize = 12;
    pub const WORD_ENDS: usize = 13;
    pub const SLOTS: usize = 14;
    pub const FILTER: usize = 15;
    /// `[first child, terminal]` per node, and one past the last.
    pub const NODES: usize = 16;

    fn u32s(bytes: &[u8]) -> Vec<u32> {
        bytes.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect()
    }

    fn bytes_of(values: &[u32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// The columns of a dictionary of one-word aliases `Iran` and `Iraq`
    /// (its trie: the root, then one node per word; two words, so a word
    /// table of 16 slots of four numbers, `[root child, id + 1, first eight
    /// bytes]`, holding 2).
    pub fn iran_iraq() -> Vec<Vec<u8>> {
        let dictionary = build(&[SourceText::new("c.tsv", "Iran\tloc:iran\nIraq\tloc:iraq\n")]).expect("it builds");
        columns(crate::artefact::payload_of(&artefact::to_bytes(&dictionary)))
    }

    /// (name, payload): each crafted artefact, whose load must be refused.
    pub fn cases() -> Vec<(&'static str, Vec<u8>)> {
        let base = iran_iraq();
        let with = |index: usize, change: &dyn Fn(Vec<u32>) -> Vec<u32>| {
            let mut columns = base.clone();
            columns[index] = bytes_of(&change(u32s(&columns[index])));
            payload(&columns)
        };
        // The node records with these first children, terminals kept.
        let children = |starts: [u32; 4]| {
            move |mut nodes: Vec<u32>| {
                for (i, start) in starts.into_iter().enumerate() {
                    nodes[2 * i] = start;
                }
                nodes
            }
        };
        vec![
            // Only the occupied slots (2, a power of two): a probe for any
            // word that no key holds never meets a free slot.
            (
                "word-table-full",
                with(SLOTS, &|slots| slots.chunks(4).filter(|s| s[1] != 0).flatten().copied().collect()),
            ),
            // A word's bytes changed: the word is never found.
            (
                "word-not-in-table",
                with(SLOTS, &|mut slots| {
                    let at = slots.chunks(4).position(|s| s[1] != 0).expect("an occupied slot");
                    slots[4 * at + 2] ^= 1;
                    slots
                }),
            ),
            // The root children swapped: "Iran" in text names Iraq's key.
            (
                "root-index-swapped",
                with(SLOTS, &|mut slots| {
                    let occupied: Vec<usize> = (0..slots.len() / 4).filter(|&i| slots[4 * i + 1] != 0).collect();
                    slots.swap(4 * occupied[0], 4 * occupied[1]);
                    slots
                }),
            ),
            // Children [1, 2, 2, 3]: node 2 is its own child.
            ("trie-cycle", with(NODES, &children([1, 2, 2, 3]))),
            // Children [1, 2, 3, 3]: "Iraq" hangs under "Iran".
            ("trie-reshaped", with(NODES, &children([1, 2, 3, 3]))),
            // Both word nodes end the same key.
            (
                "terminal-twice",
                with(NODES, &|mut nodes| {
                    nodes[5] = nodes[3];
                    nodes
                }),
            ),
            // The filter cleared: no word passes, nothing is ever found.
            ("filter-cleared", with(FILTER, &|filter| vec![0; filter.len()])),
        ]
    }
}
