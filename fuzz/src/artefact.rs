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

use std::{
    any::Any,
    panic::AssertUnwindSafe,
    sync::{Mutex, Once},
};

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
    &file[16 + engine_len + 16..]
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

/// Where the last panic on this thread happened (file), for
/// [`tolerated_panic`].
static LAST_PANIC_FILE: Mutex<Option<String>> = Mutex::new(None);
static HOOK: Once = Once::new();

/// Open bug `artefact-automaton-unchecked`, the two panics it causes: (file
/// the panic is in, message).
const TOLERATED: &[(&str, &str)] = &[
    // daachorse's `Match::start` (`end - length`): a panic only with overflow
    // checks (on in every fuzz build, off in entex's release build).
    ("daachorse", "attempt to subtract with overflow"),
    // An empty match: `OffsetMap::original_span`'s debug assertion.
    ("src/text/offsets.rs", "assertion failed: start < end"),
];

fn tolerated_panic(payload: &(dyn Any + Send)) -> bool {
    let message =
        payload.downcast_ref::<&str>().copied().or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    let file = LAST_PANIC_FILE.lock().map(|f| f.clone()).unwrap_or_default();
    !*crate::STRICT
        && TOLERATED.iter().any(|(f, m)| message == Some(*m) && file.as_deref().is_some_and(|file| file.contains(f)))
}

fn use_dictionary(dictionary: &entex::dictionary::Dictionary) {
    // The hook records where a panic happened, then reports it as before
    // unless it may be a tolerated one (this target runs without afl.rs's
    // abort-on-panic hook, so that a tolerated panic can be caught).
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let file = info.location().map(|l| l.file().to_owned());
            let quiet =
                !*crate::STRICT && file.as_deref().is_some_and(|f| TOLERATED.iter().any(|(t, _)| f.contains(t)));
            if let Ok(mut last) = LAST_PANIC_FILE.lock() {
                *last = file;
            }
            if !quiet {
                previous(info);
            }
        }));
    });
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| use_dictionary_unguarded(dictionary)))
        && !tolerated_panic(payload.as_ref())
    {
        std::panic::resume_unwind(payload);
    }
}

fn use_dictionary_unguarded(dictionary: &entex::dictionary::Dictionary) {
    crate::dictionary::check_dictionary(dictionary, false);
    // Its keys as text, unfolded: each should hit the automaton.
    let text: String = dictionary.entries().iter().take(2000).map(|e| e.key.as_str()).collect();
    let mentions = dictionary.extract(&text);
    check_spans(&text, mentions.iter().map(|m| m.span));
    for m in &mentions {
        if let Some(entity) = m.entity {
            assert!((entity as usize) < dictionary.entities().len(), "mention of entity {entity}");
        }
    }
}
