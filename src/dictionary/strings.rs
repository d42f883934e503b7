//! [`Strings`]: every string of a compiled dictionary (ids, names, aliases
//! as written, descriptions, attribute keys and values) in one byte arena,
//! each stored once and named by a [`StrId`].
//!
//! # Why
//!
//! A catalogue repeats itself: a city's name is also its first alias, a
//! million people share a handful of descriptions, countries and genders.
//! One arena with interning holds each distinct string once, with 4 bytes
//! of end offset, instead of a heap allocation (and its 16-32 bytes of
//! allocator overhead) per copy.
//!
//! # Invariants
//!
//! `ends` is non-decreasing, its last value is `bytes.len()`, the bytes are
//! UTF-8 and every end is a char boundary ([`Strings::check`], run on every
//! loaded artefact), so [`Strings::get`] never panics or returns a broken
//! `str`.

use super::column::Column;

/// A string of [`Strings`].
pub type StrId = u32;

/// No string (an absent description, a missing parent).
pub const NONE: u32 = u32::MAX;

/// Interned strings, read-only once built.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    pub(crate) bytes: Column<u8>,
    pub(crate) ends: Column<u32>,
}

impl Strings {
    pub fn get(&self, id: StrId) -> &str {
        let end = self.ends[id as usize] as usize;
        let start = id.checked_sub(1).map_or(0, |p| self.ends[p as usize] as usize);
        // Checked UTF-8 with char-boundary ends (see `check`); an error here
        // would be a bug, so an empty string rather than a panic.
        std::str::from_utf8(&self.bytes[start..end]).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub(crate) fn owned_bytes(&self) -> usize {
        self.bytes.owned_bytes() + self.ends.owned_bytes()
    }

    pub(crate) fn table_bytes(&self) -> usize {
        self.bytes.table_bytes() + self.ends.table_bytes()
    }

    /// Why the arena is unsafe to index, if it is.
    pub(crate) fn check(&self) -> Result<(), String> {
        let text = std::str::from_utf8(&self.bytes).map_err(|e| format!("strings are not UTF-8: {e}"))?;
        let mut previous = 0;
        for &end in self.ends.iter() {
            let end = end as usize;
            if end < previous || !text.is_char_boundary(end) {
                return Err("string offsets are out of order or split a character".to_owned());
            }
            previous = end;
        }
        if previous != self.bytes.len() {
            return Err("string offsets do not cover the arena".to_owned());
        }
        Ok(())
    }
}

/// Builds [`Strings`], storing each distinct string once.
#[derive(Default)]
pub struct Interner {
    /// A `String`, so that reading a string back needs no UTF-8 check (a
    /// build reads every alias back several times).
    bytes: String,
    ends: Vec<u32>,
    /// Hash of a string -> its id ([`Index`]).
    index: Index,
    hasher: foldhash::fast::FixedState,
    /// [`Interner::forget_index`] was called.
    forgotten: bool,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> StrId {
        self.intern_hashed(s, self.hash(s))
    }

    /// The hash [`Interner::intern_hashed`] wants for `s`: computed apart,
    /// so that a build can hash in parallel and intern in order.
    pub fn hash(&self, s: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(s)
    }

    /// Asks the memory system for the index slot of `hash` ahead of
    /// [`Interner::intern_hashed`]: a large build interns millions of
    /// strings, almost each probe a cache miss into a table of millions,
    /// and a caller that hashes a batch first lets those misses overlap
    /// instead of paying them one after another.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// The id of `s` if it is interned; `hash` as for
    /// [`Interner::intern_hashed`].
    pub fn find_hashed(&self, s: &str, hash: u64) -> Option<StrId> {
        debug_assert!(!self.forgotten, "looking up after forget_index");
        self.probe(s, hash).ok()
    }

    /// `s`'s id, or the index slot where it goes.
    fn probe(&self, s: &str, hash: u64) -> Result<StrId, usize> {
        let bytes = &self.bytes;
        self.index.find(hash, |[start, end]| &bytes[start as usize..end as usize] == s)
    }

    /// The bytes of all strings interned.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Makes room for `strings` more strings of `bytes` bytes in all
    /// without growing the arena or the index again: a build that knows
    /// its size up front does not copy millions of strings at each
    /// doubling.
    pub fn reserve(&mut self, strings: usize, bytes: usize) {
        self.bytes.reserve(bytes);
        self.ends.reserve(strings);
        self.index.reserve(strings);
    }

    /// [`Interner::intern`], with `hash` = [`Interner::hash`]`(s)`, or
    /// any other hash function, as long as every string of this interner
    /// comes with the same one.
    pub fn intern_hashed(&mut self, s: &str, hash: u64) -> StrId {
        debug_assert!(!self.forgotten, "interning after forget_index");
        let slot = match self.probe(s, hash) {
            Ok(id) => return id,
            Err(slot) => slot,
        };
        let start = self.bytes.len() as u32;
        self.bytes.push_str(s);
        let end = u32::try_from(self.bytes.len()).expect("dictionary strings exceed 4 GiB");
        self.ends.push(end);
        let id = self.ends.len() as StrId - 1;
        self.index.insert(slot, hash, id, [start, end]);
        id
    }

    /// Frees the index once every string is interned: the strings can
    /// still be read ([`Interner::str`]) and renumbered ([`Renumber`]), and
    /// the index of a large build (millions of entries) is not held beside
    /// the tables made from them.
    ///
    /// # Panics
    ///
    /// (Debug builds) On a later [`Interner::intern`], which would store a
    /// string again rather than find it.
    pub fn forget_index(&mut self) {
        self.index = Index::default();
        self.forgotten = true;
    }

    /// An interned string, `None` for [`NONE`].
    pub fn intern_opt(&mut self, s: Option<&str>) -> StrId {
        s.map_or(NONE, |s| self.intern(s))
    }

    /// An interned string.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by this interner.
    pub fn str(&self, id: StrId) -> &str {
        let end = self.ends[id as usize] as usize;
        let start = id.checked_sub(1).map_or(0, |p| self.ends[p as usize] as usize);
        &self.bytes[start..end]
    }

    pub fn finish(mut self) -> Strings {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        Strings { bytes: self.bytes.into_bytes().into(), ends: self.ends.into() }
    }
}

/// Re-numbers the strings of a build-time [`Interner`] in the order a
/// table first asks for them, as interning them afresh in that order would
/// number them, without hashing or comparing a byte again: a large build
/// interns each alias once while grouping, and lays the arena out in table
/// order at the end.
pub struct Renumber<'a> {
    from: &'a Interner,
    /// Old id -> new id, [`NONE`] until first asked for.
    map: Vec<StrId>,
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl<'a> Renumber<'a> {
    pub fn new(from: &'a Interner) -> Self {
        // The new arena holds a subset of the old one: sized for all of it,
        // so that millions of strings are not copied again at each doubling
        // (the excess, if any, is returned by `finish`).
        Self {
            from,
            map: vec![NONE; from.ends.len()],
            bytes: Vec::with_capacity(from.bytes.len()),
            ends: Vec::with_capacity(from.ends.len()),
        }
    }

    /// The new id of `old` ([`NONE`] stays [`NONE`]).
    pub fn id(&mut self, old: StrId) -> StrId {
        if old == NONE {
            return NONE;
        }
        let slot = &mut self.map[old as usize];
        if *slot == NONE {
            self.bytes.extend_from_slice(self.from.str(old).as_bytes());
            // The old arena fits 32-bit ends, and this one holds a subset of it.
            self.ends.push(self.bytes.len() as u32);
            *slot = self.ends.len() as StrId - 1;
        }
        *slot
    }

    pub fn finish(mut self) -> Strings {
        self.bytes.shrink_to_fit();
        self.ends.shrink_to_fit();
        Strings { bytes: self.bytes.into(), ends: self.ends.into() }
    }
}

/// Asks the CPU to bring `item`'s cache line in, without waiting for it:
/// a caller that knows which table entry it will read next (the next
/// record's slot, the next capitalised word's) lets that miss overlap with
/// the work in between instead of stalling on it.
#[inline]
pub(crate) fn prefetch<T>(item: &T) {
    let line: *const T = item;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults and reads nothing
    // into the program; the pointer is to a live value anyway.
    #[allow(unsafe_code)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = line;
}

/// The interner's hash index: open addressing with linear probing over
/// 16-byte slots `[tag, id + 1, start, end]` (id 0: empty), a power of two
/// of them, at most three quarters full (four slots share a cache line, so
/// a longer probe mostly stays in the line it started in).
///
/// A slot holds the string's span as well as its id, so a probe that finds
/// the string compares its bytes with one read of the arena, not a read of
/// the ends first; and one slot is one memory access, where a general
/// hash map reads its control bytes and then its bucket. The home slot is
/// the hash's top bits and the tag its top 32, so the table grows without
/// hashing a string again.
#[derive(Default)]
struct Index {
    slots: Vec<[u32; 4]>,
    /// `log2(slots.len())`, 0 while empty.
    bits: u32,
    len: usize,
}

impl Index {
    const MIN_BITS: u32 = 10;

    #[inline]
    fn home(&self, tag: u32) -> usize {
        (u64::from(tag) >> (32 - self.bits)) as usize
    }

    #[inline]
    fn prefetch(&self, hash: u64) {
        if self.bits == 0 {
            return;
        }
        prefetch(&self.slots[self.home((hash >> 32) as u32)]);
    }

    /// The id of the string with `hash` whose span `same` accepts, or the
    /// empty slot where it goes.
    #[inline]
    fn find(&self, hash: u64, same: impl Fn([u32; 2]) -> bool) -> Result<StrId, usize> {
        if self.bits == 0 {
            return Err(usize::MAX);
        }
        let tag = (hash >> 32) as u32;
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag);
        loop {
            let [t, id, start, end] = self.slots[i];
            if id == 0 {
                return Err(i);
            }
            if t == tag && same([start, end]) {
                return Ok(id - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Stores `id` at `slot` (from [`Index::find`] for the same `hash`).
    fn insert(&mut self, slot: usize, hash: u64, id: StrId, span: [u32; 2]) {
        let tag = (hash >> 32) as u32;
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
            self.place([tag, id + 1, span[0], span[1]]);
        } else {
            self.slots[slot] = [tag, id + 1, span[0], span[1]];
        }
        self.len += 1;
    }

    /// Grows now for `more` entries, so that no insert of them grows it.
    fn reserve(&mut self, more: usize) {
        let mut bits = self.bits.max(Self::MIN_BITS);
        while (self.len + more) * 4 > (3usize << bits) {
            bits += 1;
        }
        if bits != self.bits {
            self.resize(bits);
        }
    }

    fn place(&mut self, slot: [u32; 4]) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(slot[0]);
        while self.slots[i][1] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        self.resize((self.bits + 1).max(Self::MIN_BITS));
    }

    fn resize(&mut self, bits: u32) {
        self.bits = bits;
        let old = std::mem::replace(&mut self.slots, vec![[0; 4]; 1 << self.bits]);
        for slot in old.into_iter().filter(|s| s[1] != 0) {
            self.place(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_once_and_checks() {
        let mut interner = Interner::default();
        let a = interner.intern("Springfield");
        let b = interner.intern("Σπανου");
        assert_eq!(interner.intern("Springfield"), a);
        let empty = interner.intern("");
        let strings = interner.finish();
        assert_eq!((strings.get(a), strings.get(b), strings.get(empty)), ("Springfield", "Σπανου", ""));
        assert_eq!(strings.len(), 3);
        assert!(strings.check().is_ok());
        let broken = Strings { bytes: strings.bytes.clone(), ends: vec![11u32, 12, 19].into() };
        assert!(broken.check().is_err(), "an end inside a character");
        let short = Strings { bytes: strings.bytes.clone(), ends: vec![11u32].into() };
        assert!(short.check().is_err(), "ends that do not cover the arena");
    }

    #[test]
    fn the_index_survives_growth_and_colliding_hashes() {
        let mut interner = Interner::default();
        interner.prefetch(42); // on an empty index: nothing to fetch
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        // Every fifth word shares a hash with its neighbour (a 64-bit
        // collision, and tags equal): both are kept, each found again.
        let hash = |i: usize| if i % 5 == 1 { interner.hash(&words[i - 1]) } else { interner.hash(&words[i]) };
        let hashes: Vec<u64> = (0..words.len()).map(hash).collect();
        let ids: Vec<StrId> = words.iter().zip(&hashes).map(|(w, &h)| interner.intern_hashed(w, h)).collect();
        assert_eq!(ids, (0..words.len() as StrId).collect::<Vec<_>>(), "each distinct string once, in order");
        for (i, (w, &h)) in words.iter().zip(&hashes).enumerate() {
            interner.prefetch(h);
            assert_eq!(interner.intern_hashed(w, h), i as StrId, "{w}");
            assert_eq!(interner.str(i as StrId), w);
        }
        assert_eq!(interner.finish().len(), words.len());
    }

    #[test]
    fn renumbering_matches_interning_in_the_new_order() {
        let words = ["b", "a", "c", "a", "", "b", "d"];
        let mut early = Interner::default();
        let old: Vec<StrId> = words.iter().rev().map(|w| early.intern(w)).collect();
        let mut fresh = Interner::default();
        let mut renumber = Renumber::new(&early);
        for (w, &o) in words.iter().zip(old.iter().rev()) {
            assert_eq!(renumber.id(o), fresh.intern(w), "{w:?}");
        }
        assert_eq!(renumber.id(NONE), NONE);
        let (a, b) = (renumber.finish(), fresh.finish());
        assert_eq!((&a.bytes[..], &a.ends[..]), (&b.bytes[..], &b.ends[..]));
    }
}
