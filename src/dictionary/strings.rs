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
    /// Hash of a string -> its id. A 64-bit collision between different
    /// strings only costs a duplicate (the second is stored again).
    index: foldhash::HashMap<u64, StrId>,
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

    /// [`Interner::intern`], with `hash` = [`Interner::hash`]`(s)`.
    pub fn intern_hashed(&mut self, s: &str, hash: u64) -> StrId {
        debug_assert!(!self.forgotten, "interning after forget_index");
        if let Some(&id) = self.index.get(&hash)
            && self.str(id) == s
        {
            return id;
        }
        self.bytes.push_str(s);
        let end = u32::try_from(self.bytes.len()).expect("dictionary strings exceed 4 GiB");
        self.ends.push(end);
        let id = self.ends.len() as StrId - 1;
        self.index.entry(hash).or_insert(id);
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
        self.index = foldhash::HashMap::default();
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
        Self { from, map: vec![NONE; from.ends.len()], bytes: Vec::new(), ends: Vec::new() }
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
