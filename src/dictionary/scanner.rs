//! The automaton a dictionary scans folded text with: a trie over *words*,
//! leftmost-longest, over padded folded keys (`" kataib hezbollah "`).
//!
//! # Why words, not bytes
//!
//! Folded text is a sequence of words (letters and digits, or the
//! punctuation mark `|`) between single spaces, and a key can only match
//! from one word start to a word end. So the scan steps a word at a time: it
//! hashes each word once, asks a bit filter whether any key starts with it
//! (almost every word of running prose is turned away there, with one
//! memory access), and only then walks a trie of word ids. A byte automaton
//! pays one transition per byte, whether or not a name is near, and needs a
//! state per byte of every key: the double-array Aho-Corasick this replaced
//! held about 100 bytes per alias of a 1,000,000-alias dictionary, and its
//! build was most of a large dictionary's load time. This one holds a
//! vocabulary entry per distinct word and 12 bytes per trie node.
//!
//! # Layout
//!
//! - **Vocabulary**: every distinct word, in one byte arena with offsets;
//!   an open-addressing table of (root child, word id, first eight bytes)
//!   slots under a fixed hash (the table is built from the dictionary,
//!   never from caller text, so no input can lengthen its probe
//!   sequences). A word of eight bytes or fewer (most words) is told apart
//!   by its zero-padded first eight bytes in its slot alone (no word holds
//!   a NUL): a lookup touches one cache line, not the arena and its
//!   offsets too, which in a large dictionary are a cache miss each. The
//!   slot also names the word's node as the root's child (bit 31: the word
//!   is longer than eight bytes), so a word that starts a key costs one
//!   slot and then its node record: two cache lines.
//! - **Filter**: one bit per hash bucket of the words that start a key.
//! - **Case filters**, when some keys are proper names (found only where
//!   the text capitalises them: a `names=proper` catalogue): two bits per
//!   hash (in one 64-bit word) of the words that are a key found in any
//!   case, and of the first two words of keys of two words or more, found
//!   in any case or proper. A word the text writes in lower case must pass
//!   one of them (the proper pairs only when the next word is
//!   capitalised), so a catalogue of a million proper names does not walk
//!   its tables for every "name", "list" and "the" of running text
//!   ([`Scanner::find_from_cased`]). Not one filter of the words that
//!   start a key found in any case: in a catalogue many common words start
//!   one ("the" of "the hague") and are themselves a proper name, so the
//!   walk would find, and the matcher refuse, what the pair filter turns
//!   away (measured: 2.4 times the walks).
//! - **Trie**: nodes numbered breadth-first, so node `n`'s children are the
//!   contiguous nodes from `n`'s first child to `n + 1`'s, and the edge
//!   into node `c` is labelled `edge_word[c]`; children are sorted by word
//!   id, and found by binary search. A node's record holds its first child
//!   and the pattern ending there, plus one (0: none). The root's children
//!   are many (every first word), so the word table's slots name them.
//!
//! # Invariants
//!
//! - Pattern `i` is the `i`-th key given to [`Scanner::build`]. Every key
//!   can be looked up ([`Scanner::lookup_key`]); only scannable ones are
//!   found in running text ([`Scanner::find_from`]).
//! - Every [`Found`] lies within the haystack searched, starts and ends on
//!   a space, and names a pattern below [`Scanner::pattern_count`]; a
//!   deserialised scanner is checked whole before use (`Scanner::read`),
//!   so corrupt tables are refused rather than indexed out of range.
//!
//! # Cost
//!
//! Per word of text: a hash and a filter probe; per word that may start a
//! key: a table lookup (the first eight bytes, then, for a longer word,
//! the rest) and a trie walk as long as the key. Memory: words' bytes + 4
//! bytes per word + 16 bytes per table slot (load ≤ 1/2) + 12 bytes per
//! trie node.

use rayon::prelude::*;

use super::column::{Column, ColumnReader, ColumnWriter};
use super::strings::prefetch;

/// One match of a key: folded byte span `[start, end)` (pads included) and
/// pattern index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub pattern: usize,
}

/// A leftmost-longest word trie over padded folded keys.
#[derive(Clone, Default)]
pub struct Scanner {
    /// Distinct words, concatenated; word `w` is
    /// `word_bytes[word_ends[w - 1]..word_ends[w]]` (from 0 for the first).
    word_bytes: Column<u8>,
    word_ends: Column<u32>,
    /// Open addressing, power-of-two length: `[root child, word id + 1,
    /// first eight bytes (low, high)]` ([`slot_of`]), id 0 empty.
    slots: Column<[u32; 4]>,
    /// Bit set over hash buckets of words that start some scannable key.
    first: Column<u64>,
    /// Per node, and one past the last: `[first child, terminal]`, so
    /// node `n`'s children are `nodes[n][0]..nodes[n + 1][0]` and
    /// `nodes[n][1]` is the pattern ending there plus one (0: none). One
    /// record, so a step of the walk touches one cache line, not two
    /// tables.
    nodes: Column<[u32; 2]>,
    edge_word: Column<u32>,
    /// Bit `p`: pattern `p` is found in running text.
    scannable: Column<u64>,
    /// Bit `p`: pattern `p` is found only where the text capitalises its
    /// first word, or its second after a lower-case first (a proper name
    /// of a `names=proper` source). Empty when no pattern is.
    proper: Column<u64>,
    /// Case filter ([`case_filter`]) of the words that are a scannable
    /// one-word key found in any case; empty when `proper` is.
    lower: Column<u64>,
    /// Bit set over hash buckets of word pairs ([`pair_hash`]) that begin
    /// a scannable key of two words or more found in any case.
    lower_pairs: Column<u64>,
    /// The same, of pairs that begin a scannable proper key (whose second
    /// word may carry the capital).
    proper_pairs: Column<u64>,
    patterns: usize,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("patterns", &self.patterns)
            .field("words", &self.word_ends.len())
            .field("nodes", &self.node_count())
            .field("bytes", &self.heap_bytes())
            .finish()
    }
}

/// The name [`crate::dictionary::DictionaryInfo::automaton_kind`] reports.
pub const KIND: &str = "word-trie";

/// The word at `start` (up to the next space) and its hash: from one
/// 8-byte load when it is short ([`short_word`]), else by the byte search
/// and [`hash`]. `None` when no space follows.
#[inline]
fn word_at(haystack: &[u8], start: usize) -> Option<(usize, u64)> {
    short_word(haystack, start).or_else(|| {
        let end = next_space(haystack, start)?;
        Some((end, hash(&haystack[start..end])))
    })
}

/// A fixed, fast hash of a word's bytes (multiply-rotate over 8-byte
/// chunks). Fixed, so a serialised table stays valid; its input is caller
/// text only as a lookup, which cannot change the table's clustering.
#[inline]
fn hash(word: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (word.len() as u64).wrapping_mul(K);
    let mut chunks = word.chunks_exact(8);
    for chunk in &mut chunks {
        let v = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        h = (h ^ v).wrapping_mul(K).rotate_left(31);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(buf)).wrapping_mul(K).rotate_left(31);
    }
    h ^ (h >> 29)
}

/// The word at `start` when it ends (at a space) within the next eight
/// bytes: `(end, hash(word))` from one unaligned load, the space found by
/// a SWAR zero-byte test on the load XOR spaces (exact for the lowest
/// byte, which is all it is asked for). `None` when fewer than eight bytes
/// remain or no space is among them.
#[inline]
fn short_word(haystack: &[u8], start: usize) -> Option<(usize, u64)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let block = haystack.get(start..)?.first_chunk::<8>()?;
    let v = u64::from_le_bytes(*block);
    let x = v ^ (ONES * u64::from(b' '));
    let spaces = x.wrapping_sub(ONES) & !x & HIGHS;
    if spaces == 0 {
        return None;
    }
    let len = (spaces.trailing_zeros() / 8) as usize;
    // The word's bytes, zero-padded: what `hash` reads for a word of
    // fewer than eight bytes.
    let word = if len == 0 { 0 } else { v & (u64::MAX >> (64 - 8 * len)) };
    Some((start + len, hash_short(word, len)))
}

/// [`hash`] of a word of `len < 8` bytes given as its little-endian,
/// zero-padded load.
#[inline]
fn hash_short(word: u64, len: usize) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (len as u64).wrapping_mul(K);
    if len > 0 {
        h = (h ^ word).wrapping_mul(K).rotate_left(31);
    }
    h ^ (h >> 29)
}

/// `0..count` ordered by `text(i)` (bytewise; ties in any order).
///
/// Sorting millions of indices by the texts they name chases a pointer per
/// comparison; this sorts (8-byte big-endian prefix, index) pairs instead,
/// which compare as the texts' first 8 bytes do, and reads the texts only
/// when two prefixes are equal. A large build sorts its keys, words and
/// skeletons this way, several times faster than by the texts alone.
pub(crate) fn order_by_bytes<'t>(count: usize, text: impl Fn(u32) -> &'t [u8] + Sync) -> Vec<u32> {
    let prefix = |t: &[u8]| {
        let mut buf = [0u8; 8];
        let n = t.len().min(8);
        buf[..n].copy_from_slice(&t[..n]);
        u64::from_be_bytes(buf)
    };
    // A zero-padded prefix may tie with a longer text's real zero bytes; the
    // full comparison settles every tie.
    let mut pairs: Vec<(u64, u32)> = (0..count as u32).into_par_iter().map(|i| (prefix(text(i)), i)).collect();
    pairs.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| text(a.1).cmp(text(b.1))));
    pairs.into_iter().map(|(_, i)| i).collect()
}

/// `items` reordered so that `new[i] = items[order[i]]` (`order` a
/// permutation).
///
/// A gather, not an in-place walk of the permutation's cycles: each step
/// of a cycle waits for the previous one's cache miss, while the gather's
/// reads are independent, so they overlap (millions of keys: the walk was
/// most of the time of sorting them). It holds a second table meanwhile.
///
/// # Panics
///
/// If `order` is not a permutation of `0..items.len()`.
pub(crate) fn permuted<T>(items: Vec<T>, order: &[u32]) -> Vec<T> {
    assert_eq!(items.len(), order.len(), "a permutation of the items");
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.iter().map(|&i| slots[i as usize].take().expect("each item once")).collect()
}

/// The next space at or after `from`.
#[inline]
fn next_space(haystack: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.iter().position(|&b| b == b' ').map(|i| from + i)
}

impl Scanner {
    /// Builds the scanner; pattern `i` is `keys[i]`.
    ///
    /// # Errors
    ///
    /// A key that is not padded words (`" w1 w2 "`), a duplicate key, or
    /// more words or nodes than 32-bit ids address.
    pub fn build<'k>(keys: impl IntoIterator<Item = &'k str>) -> Result<Self, String> {
        let keys: Vec<&str> = keys.into_iter().collect();
        let all = vec![true; keys.len()];
        let none = vec![false; keys.len()];
        Self::build_with(&keys, &all, &none)
    }

    /// Builds the scanner over `keys`, of which running text finds only
    /// those marked in `scannable` (the others are for [`Scanner::lookup_key`]),
    /// and [`Scanner::find_from_cased`] only where the text capitalises
    /// them those marked in `proper`.
    ///
    /// # Errors
    ///
    /// As [`Scanner::build`].
    pub fn build_with(keys: &[&str], scannable: &[bool], proper: &[bool]) -> Result<Self, String> {
        // Every key's words, flat: key `k` holds `words[starts[k]..starts[k + 1]]`.
        let mut words: Vec<&[u8]> = Vec::with_capacity(keys.len() * 2);
        let mut starts: Vec<usize> = Vec::with_capacity(keys.len() + 1);
        for key in keys {
            let inner = key
                .strip_prefix(' ')
                .and_then(|k| k.strip_suffix(' '))
                .filter(|k| !k.is_empty() && !k.split(' ').any(str::is_empty))
                .ok_or_else(|| format!("key {key:?} is not padded words"))?;
            starts.push(words.len());
            words.extend(inner.split(' ').map(str::as_bytes));
        }
        starts.push(words.len());
        // The vocabulary in byte order: then word-id sequences order as the
        // padded texts do (a space sorts before every word byte), so keys
        // given in text order need no sorting.
        let mut first_id: foldhash::HashMap<&[u8], u32> = foldhash::HashMap::default();
        let mut vocabulary: Vec<&[u8]> = Vec::new();
        let ids: Vec<u32> = words
            .iter()
            .map(|w| {
                *first_id.entry(w).or_insert_with(|| {
                    vocabulary.push(w);
                    vocabulary.len() as u32 - 1
                })
            })
            .collect();
        u32::try_from(vocabulary.len()).map_err(|_| "too many distinct words for 32-bit ids".to_owned())?;
        drop((first_id, words));
        // Renumber the words in byte order.
        let by_bytes = order_by_bytes(vocabulary.len(), |w| vocabulary[w as usize]);
        let mut rank = vec![0u32; vocabulary.len()];
        for (r, &w) in by_bytes.iter().enumerate() {
            rank[w as usize] = r as u32;
        }
        let ids: Vec<u32> = ids.into_iter().map(|id| rank[id as usize]).collect();
        let vocabulary: Vec<&[u8]> = by_bytes.iter().map(|&w| vocabulary[w as usize]).collect();
        let sequence = |k: usize| &ids[starts[k]..starts[k + 1]];
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        if !order.windows(2).all(|w| sequence(w[0] as usize) < sequence(w[1] as usize)) {
            order.par_sort_unstable_by(|&a, &b| sequence(a as usize).cmp(sequence(b as usize)));
            if let Some(w) = order.windows(2).find(|w| sequence(w[0] as usize) == sequence(w[1] as usize)) {
                return Err(format!("key {:?} is given twice", keys[w[1] as usize]));
            }
        }

        let mut scanner = Scanner { patterns: keys.len(), ..Scanner::default() };
        let mut word_bytes = Vec::with_capacity(vocabulary.iter().map(|w| w.len()).sum());
        let mut word_ends = Vec::with_capacity(vocabulary.len());
        for word in &vocabulary {
            word_bytes.extend_from_slice(word);
            word_ends.push(u32::try_from(word_bytes.len()).map_err(|_| "the words exceed 4 GiB")?);
        }
        drop(vocabulary);
        scanner.word_bytes = word_bytes.into();
        scanner.word_ends = word_ends.into();
        let mut bits = vec![0u64; keys.len().div_ceil(64)];
        for (p, _) in scannable.iter().enumerate().filter(|(_, s)| **s) {
            bits[p / 64] |= 1 << (p % 64);
        }
        scanner.scannable = bits.into();
        if proper.iter().any(|&p| p) {
            let mut bits = vec![0u64; keys.len().div_ceil(64)];
            for (p, _) in proper.iter().enumerate().filter(|(_, s)| **s) {
                bits[p / 64] |= 1 << (p % 64);
            }
            scanner.proper = bits.into();
        }
        let roots = scanner.build_trie(&order, sequence)?;
        scanner.fill_table(&roots);
        scanner.fill_first();
        Ok(scanner)
    }

    /// Builds `nodes` and `edge_word` from the patterns in `order`, whose
    /// word-id sequences are sorted and distinct, and returns the root's
    /// child per word id (0: none) for the word table.
    ///
    /// Level by level: the nodes of depth `d + 1` are the distinct prefixes
    /// of length `d + 1`, made in sorted order, so their parents come in
    /// ascending order and each node's children are contiguous and sorted.
    fn build_trie<'s>(&mut self, order: &[u32], sequence: impl Fn(usize) -> &'s [u32]) -> Result<Vec<u32>, String> {
        let mut node_of: Vec<u32> = vec![0; order.len()];
        let mut parent: Vec<u32> = vec![0];
        let mut edge_word: Vec<u32> = vec![u32::MAX]; // the root has no edge
        let mut terminal: Vec<u32> = vec![0];
        let longest = order.iter().map(|&p| sequence(p as usize).len()).max().unwrap_or(0);
        for depth in 0..longest {
            let mut previous: Option<(u32, u32)> = None; // (parent, word) of the last node made
            for (i, &pattern) in order.iter().enumerate() {
                let sequence = sequence(pattern as usize);
                let Some(&word) = sequence.get(depth) else { continue };
                let from = node_of[i];
                if previous != Some((from, word)) {
                    edge_word.push(word);
                    parent.push(from);
                    terminal.push(0);
                    previous = Some((from, word));
                }
                let node = edge_word.len() as u32 - 1;
                node_of[i] = node;
                if sequence.len() == depth + 1 {
                    terminal[node as usize] = pattern + 1;
                }
            }
            // Below 2^31: a slot keeps bit 31 of its root child for the
            // word's length.
            if edge_word.len() > LONG_WORD as usize {
                return Err("too many trie nodes for 31-bit ids".to_owned());
            }
        }
        let nodes = edge_word.len();
        let mut children = vec![0u32; nodes];
        for &p in &parent[1..] {
            children[p as usize] += 1;
        }
        let mut records = Vec::with_capacity(nodes + 1);
        let mut first_child = 1u32;
        for (count, terminal) in children.iter().zip(&terminal) {
            records.push([first_child, *terminal]);
            first_child += count;
        }
        records.push([first_child, 0]);
        let mut root_child = vec![0u32; self.word_ends.len()];
        for node in records[0][0]..records[1][0] {
            root_child[edge_word[node as usize] as usize] = node;
        }
        self.nodes = records.into();
        self.edge_word = edge_word.into();
        Ok(root_child)
    }

    /// The number of trie nodes, the root included.
    fn node_count(&self) -> usize {
        self.nodes.len().saturating_sub(1)
    }

    /// Node `n`'s children.
    #[inline]
    fn children(&self, n: u32) -> std::ops::Range<u32> {
        self.nodes[n as usize][0]..self.nodes[n as usize + 1][0]
    }

    /// The pattern ending at node `n`, if any.
    #[inline]
    fn terminal(&self, n: u32) -> Option<u32> {
        self.nodes[n as usize][1].checked_sub(1)
    }

    fn word(&self, id: u32) -> &[u8] {
        let end = self.word_ends[id as usize] as usize;
        let start = id.checked_sub(1).map_or(0, |p| self.word_ends[p as usize] as usize);
        &self.word_bytes[start..end]
    }

    /// Fills the word table; `roots[id]` is the root's child for word `id`.
    fn fill_table(&mut self, roots: &[u32]) {
        let capacity = (self.word_ends.len() * 2).next_power_of_two().max(16);
        let mut slots = vec![[0u32; 4]; capacity];
        for id in 0..self.word_ends.len() as u32 {
            let word = self.word(id);
            let h = hash(word);
            let mask = capacity - 1;
            let mut i = h as usize & mask;
            while slots[i][1] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = slot_of(word, roots[id as usize], id);
        }
        self.slots = slots.into();
    }

    /// Whether pattern `p` is found in running text.
    #[inline]
    pub(crate) fn is_scannable(&self, p: usize) -> bool {
        self.scannable.get(p / 64).is_some_and(|bits| bits & (1 << (p % 64)) != 0)
    }

    fn fill_first(&mut self) {
        let (first, cased) = self.filters();
        self.first = first;
        if let Some((lower, lower_pairs, proper_pairs)) = cased {
            (self.lower, self.lower_pairs, self.proper_pairs) = (lower, lower_pairs, proper_pairs);
        }
    }

    /// The first-word filter, and the case filters when some key is proper.
    #[allow(clippy::type_complexity)]
    fn filters(&self) -> (Column<u64>, Option<(Column<u64>, Column<u64>, Column<u64>)>) {
        let reaches = self.reaches();
        let roots = self.children(0);
        let word_hash = |n: u32| hash(self.word(self.edge_word[n as usize]));
        let starters = roots.clone().filter(|&n| reaches[n as usize].lower || reaches[n as usize].proper);
        // About 16 bits per starting word: under 1 in 16 of other words pass.
        let first = filter(starters.map(word_hash), 16);
        if self.proper.is_empty() {
            return (first, None);
        }
        let lower = case_filter(roots.clone().filter(|&n| self.ends_lower(n)).map(word_hash), 16);
        // Pairs are many (about one per key of two words), and a pair a
        // filter lets through only costs the walk it would have saved: 8 bits.
        let pairs: Vec<(u64, Reach)> = roots
            .flat_map(|n| self.children(n).map(move |c| (n, c)))
            .map(|(n, c)| (pair_hash(word_hash(n), word_hash(c)), reaches[c as usize]))
            .collect();
        let lower_pairs = case_filter(pairs.iter().filter(|(_, r)| r.lower).map(|(h, _)| *h), 8);
        let proper_pairs = case_filter(pairs.iter().filter(|(_, r)| r.proper).map(|(h, _)| *h), 8);
        (first, Some((lower, lower_pairs, proper_pairs)))
    }

    /// Whether a scannable key found in any case ends at `node`.
    fn ends_lower(&self, node: u32) -> bool {
        self.terminal(node).is_some_and(|p| self.is_scannable(p as usize) && !self.is_proper(p as usize))
    }

    /// Whether pattern `p` is a proper name (found only capitalised).
    #[inline]
    pub(crate) fn is_proper(&self, p: usize) -> bool {
        self.proper.get(p / 64).is_some_and(|bits| bits & (1 << (p % 64)) != 0)
    }

    /// Per node, which scannable keys its subtree holds (children are
    /// numbered after their parents, so one backward pass).
    fn reaches(&self) -> Vec<Reach> {
        let nodes = self.node_count();
        let mut reaches = vec![Reach::default(); nodes];
        for n in (0..nodes).rev() {
            let mut reach = Reach::default();
            if let Some(p) = self.terminal(n as u32).map(|p| p as usize)
                && self.is_scannable(p)
            {
                if self.is_proper(p) {
                    reach.proper = true;
                } else {
                    reach.lower = true;
                }
            }
            let children = self.children(n as u32);
            for child in &reaches[children.start as usize..children.end as usize] {
                reach.lower |= child.lower;
                reach.proper |= child.proper;
            }
            reaches[n] = reach;
        }
        reaches
    }

    #[inline]
    fn may_start(&self, h: u64) -> bool {
        in_filter(&self.first, h)
    }

    /// `word`'s id and its node as the root's child (0: no key starts
    /// with it), if any key holds it.
    #[inline]
    fn lookup(&self, word: &[u8], h: u64) -> Option<(u32, u32)> {
        let mask = self.slots.len() - 1;
        let [_, _, low, high] = slot_of(word, 0, 0);
        let long = word.len() > 8;
        let mut i = h as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot[1] == 0 {
                return None;
            }
            // First eight bytes and length class equal: the same word,
            // when it is short (no NUL in a word: zero padding ends it); a
            // long one is compared whole.
            if slot[2] == low
                && slot[3] == high
                && (slot[0] & LONG_WORD != 0) == long
                && (!long || self.word(slot[1] - 1) == word)
            {
                return Some((slot[1] - 1, slot[0] & !LONG_WORD));
            }
            i = (i + 1) & mask;
        }
    }

    /// The root's child for `word`: the node after it, if a key starts so.
    #[inline]
    fn root(&self, word: &[u8], h: u64) -> Option<u32> {
        self.lookup(word, h).map(|(_, root)| root).filter(|&n| n != 0)
    }

    /// Whether some key, scannable or not, starts with `word` (folded, no
    /// spaces): one hash and probe, so that a stage that looks keys up
    /// word by word can skip a word no key starts with.
    pub fn starts_key(&self, word: &[u8]) -> bool {
        self.root(word, hash(word)).is_some()
    }

    /// The child of `node` by the edge labelled `word`.
    #[inline]
    fn child(&self, node: u32, word: u32) -> Option<u32> {
        let children = self.children(node);
        let labels = &self.edge_word[children.start as usize..children.end as usize];
        labels.binary_search(&word).ok().map(|i| children.start + i as u32)
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns
    }

    /// The longest key starting at the space `pad` whose trailing pad ends
    /// at or before `bound`, as `(end, pattern)`.
    #[inline]
    ///
    /// With the case filters (a dictionary with proper names), the walk
    /// asks the pair filters before it looks the second word up: most
    /// capitalised words start only one-word keys ("Iran said"), and the
    /// filters (small, no false negatives) save the second word's lookup
    /// and child search, cache misses both in a large dictionary.
    fn longest_at(&self, haystack: &[u8], pad: usize, bound: usize, first_hash: Option<u64>) -> Option<(usize, usize)> {
        let mut word_start = pad + 1;
        let mut word_end = next_space(haystack, word_start)?;
        let word = &haystack[word_start..word_end];
        let h = first_hash.unwrap_or_else(|| hash(word));
        let mut node = self.root(word, h)?;
        let mut best = None;
        let mut first_step = !self.lower.is_empty();
        loop {
            let end = word_end + 1;
            if end > bound {
                break;
            }
            let [first_child, terminal] = self.nodes[node as usize];
            if let Some(pattern) = terminal.checked_sub(1)
                && self.is_scannable(pattern as usize)
            {
                best = Some((end, pattern as usize));
            }
            if first_child == self.nodes[node as usize + 1][0] {
                break;
            }
            word_start = word_end + 1;
            let Some(next_end) = next_space(haystack, word_start) else { break };
            word_end = next_end;
            let word = &haystack[word_start..word_end];
            let next_hash = hash(word);
            if first_step {
                let pair = pair_hash(h, next_hash);
                if !(in_case_filter(&self.lower_pairs, pair) || in_case_filter(&self.proper_pairs, pair)) {
                    break;
                }
                first_step = false;
            }
            let Some((id, _)) = self.lookup(word, next_hash) else { break };
            let Some(child) = self.child(node, id) else { break };
            node = child;
        }
        best
    }

    /// Word-at-a-time access for a caller that tokenised the text itself
    /// (the matcher's prefilter, `crate::matcher::windows`): the trie node
    /// of `word` (folded bytes) as the first word of a scannable key, if
    /// the filter and the vocabulary let it start one.
    #[inline]
    pub(crate) fn start_node(&self, word: &[u8]) -> Option<u32> {
        let h = hash(word);
        if !self.may_start(h) {
            return None;
        }
        self.root(word, h)
    }

    /// The node after `node` by `word` (folded bytes), if a key goes on so.
    #[inline]
    pub(crate) fn next_node(&self, node: u32, word: &[u8]) -> Option<u32> {
        self.child(node, self.lookup(word, hash(word))?.0)
    }

    /// Whether some key goes on past `node`.
    #[inline]
    pub(crate) fn has_children(&self, node: u32) -> bool {
        !self.children(node).is_empty()
    }

    /// Whether a scannable key ends at `node`.
    #[inline]
    pub(crate) fn ends_key(&self, node: u32) -> bool {
        self.terminal(node).is_some_and(|p| self.is_scannable(p as usize))
    }

    /// The leftmost-longest match in `haystack[from..]`, in haystack offsets.
    ///
    /// Word by word: a word shorter than eight bytes (most of running text)
    /// is found and hashed from one 8-byte load ([`short_word`]); longer
    /// ones take the byte search and [`hash`].
    #[inline]
    pub fn find_from(&self, haystack: &[u8], from: usize) -> Option<Found> {
        self.find_where(haystack, from, |_, _, h| self.may_start(h))
    }

    /// The leftmost-longest match in `haystack[from..]` that starts at a
    /// word `passes(start, end, hash)` lets through: the one walk over the
    /// words both searches share.
    #[inline]
    fn find_where(
        &self,
        haystack: &[u8],
        from: usize,
        mut passes: impl FnMut(usize, usize, u64) -> bool,
    ) -> Option<Found> {
        let mut pad = next_space(haystack, from)?;
        loop {
            let start = pad + 1;
            let (word_end, h) = word_at(haystack, start)?;
            if word_end > start
                && passes(start, word_end, h)
                && let Some((end, pattern)) = self.longest_at(haystack, pad, haystack.len(), Some(h))
            {
                return Some(Found { start: pad, end, pattern });
            }
            pad = word_end;
        }
    }

    /// [`Scanner::find_from`] for a caller that knows which words of the
    /// haystack are capitalised (`capitalised`: ascending positions of
    /// their first bytes, as [`crate::text::Folded::capitalised`]): a word
    /// written in lower case is passed over when the case filters say no
    /// key starting with it can match there: every such key is a proper
    /// name, and neither it nor (for a key of two words or more) the next
    /// word is capitalised. What it passes over is exactly what the
    /// matcher's case check would turn away, so the result differs from
    /// `find_from`'s only in skipping matches nobody keeps.
    ///
    /// Cost: as `find_from`, plus a cursor over `capitalised` and a probe
    /// of one or two case filters per lower-case word (one memory access
    /// each); the tables (a cache miss each in a large dictionary) are not
    /// touched for a lower-case word that only starts proper names.
    #[inline]
    pub fn find_from_cased(&self, haystack: &[u8], from: usize, capitalised: &[u32]) -> Option<Found> {
        if self.lower.is_empty() {
            return self.find_from(haystack, from);
        }
        let mut caps = capitalised.partition_point(|&c| (c as usize) < from);
        self.find_where(haystack, from, |start, word_end, h| {
            while capitalised.get(caps).is_some_and(|&c| (c as usize) < start) {
                caps += 1;
            }
            let capital = |at: usize| capitalised[caps..].iter().take(2).any(|&c| c as usize == at);
            // A capitalised word may start any key; a lower-case one only
            // what the case filters pass (they pass no word the first-word
            // filter turns away, but for chance collisions, so it is not
            // asked again: one probe fewer per word).
            if capital(start) {
                // The next capitalised word's slot, so that its miss
                // overlaps with this word's walk and the matcher's work on
                // what it finds: a capitalised word is looked up more
                // often than not, and in a large dictionary the word table
                // is far beyond the cache.
                if let Some(&next) = capitalised.get(caps + 1)
                    && let Some((_, next_hash)) = word_at(haystack, next as usize)
                {
                    prefetch(&self.slots[next_hash as usize & (self.slots.len() - 1)]);
                }
                return self.may_start(h);
            }
            in_case_filter(&self.lower, h) || {
                // A key of two words or more, by its first two.
                let next = word_end + 1;
                word_at(haystack, next).is_some_and(|(_, h2)| {
                    let pair = pair_hash(h, h2);
                    in_case_filter(&self.lower_pairs, pair)
                        || (capital(next) && in_case_filter(&self.proper_pairs, pair))
                })
            }
        })
    }

    /// The longest key that starts exactly at `start` and ends at or before
    /// `bound` (an anchored search): the fallback when a longer key at the
    /// same start failed its checks.
    pub fn find_at(&self, haystack: &[u8], start: usize, bound: usize) -> Option<Found> {
        if haystack.get(start) != Some(&b' ') || bound > haystack.len() {
            return None;
        }
        let (end, pattern) = self.longest_at(haystack, start, bound, None)?;
        Some(Found { start, end, pattern })
    }

    /// The pattern whose key is `key` (padded folded), scannable or not.
    pub fn lookup_key(&self, key: &str) -> Option<usize> {
        let inner = key.strip_prefix(' ')?.strip_suffix(' ')?;
        let mut words = inner.split(' ');
        let first = words.next()?.as_bytes();
        let mut node = self.root(first, hash(first))?;
        for word in words {
            node = self.child(node, self.lookup(word.as_bytes(), hash(word.as_bytes()))?.0)?;
        }
        self.terminal(node).map(|p| p as usize)
    }

    /// Every key with its pattern, in trie order (for fuzzy search and the
    /// reference matcher); the text is rebuilt from the words.
    pub fn keys(&self) -> impl Iterator<Item = (usize, String)> + '_ {
        // Depth-first, children in order: (node, the key's text up to it).
        let mut stack: Vec<(u32, String)> = self.children(0).rev().map(|n| (n, String::from(" "))).collect();
        std::iter::from_fn(move || {
            while let Some((node, prefix)) = stack.pop() {
                let word = String::from_utf8_lossy(self.word(self.edge_word[node as usize]));
                let text = format!("{prefix}{word} ");
                for child in self.children(node).rev() {
                    stack.push((child, text.clone()));
                }
                if let Some(p) = self.terminal(node) {
                    return Some((p as usize, text));
                }
            }
            None
        })
    }

    /// Calls `visit(pattern, key text)` for every key whose first word
    /// starts with `prefix`, depth first, reusing one buffer for the text
    /// (the fuzzy resolver walks a million keys per query this way).
    pub fn visit_keys(&self, prefix: &str, mut visit: impl FnMut(usize, &str)) {
        let mut text = String::from(" ");
        // (node, length of `text` before the node's word)
        let mut stack: Vec<(u32, usize)> = self
            .children(0)
            .rev()
            .filter(|&n| self.word(self.edge_word[n as usize]).starts_with(prefix.as_bytes()))
            .map(|n| (n, 1))
            .collect();
        while let Some((node, len)) = stack.pop() {
            text.truncate(len);
            text.push_str(&String::from_utf8_lossy(self.word(self.edge_word[node as usize])));
            text.push(' ');
            let here = text.len();
            if let Some(p) = self.terminal(node) {
                visit(p as usize, &text);
            }
            for child in self.children(node).rev() {
                stack.push((child, here));
            }
        }
    }

    /// Heap bytes this process owns for the scanner (mapped tables are page
    /// cache, not counted).
    pub fn heap_bytes(&self) -> usize {
        self.word_bytes.owned_bytes()
            + self.word_ends.owned_bytes()
            + self.slots.owned_bytes()
            + self.first.owned_bytes()
            + self.nodes.owned_bytes()
            + self.edge_word.owned_bytes()
            + self.scannable.owned_bytes()
            + self.proper.owned_bytes()
            + self.lower.owned_bytes()
            + self.lower_pairs.owned_bytes()
            + self.proper_pairs.owned_bytes()
    }

    /// Bytes of the scanner's tables, owned or mapped.
    pub fn table_bytes(&self) -> usize {
        self.word_bytes.table_bytes()
            + self.word_ends.table_bytes()
            + self.slots.table_bytes()
            + self.first.table_bytes()
            + self.nodes.table_bytes()
            + self.edge_word.table_bytes()
            + self.scannable.table_bytes()
            + self.proper.table_bytes()
            + self.lower.table_bytes()
            + self.lower_pairs.table_bytes()
            + self.proper_pairs.table_bytes()
    }

    /// Writes the scanner's tables (see [`super::artefact`]).
    pub(crate) fn write(&self, out: &mut ColumnWriter<'_>) {
        out.bytes(&(self.patterns as u64).to_le_bytes());
        out.column(&self.word_bytes);
        out.column(&self.word_ends);
        out.column(&self.slots);
        out.column(&self.first);
        out.column(&self.nodes);
        out.column(&self.edge_word);
        out.column(&self.scannable);
        out.column(&self.proper);
        out.column(&self.lower);
        out.column(&self.lower_pairs);
        out.column(&self.proper_pairs);
    }

    /// Reads what [`Scanner::write`] wrote and checks that every table holds
    /// together, so no lookup can index out of range.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong.
    pub(crate) fn read(input: &mut ColumnReader<'_>) -> Result<Self, String> {
        let count = input.raw("pattern count")?;
        let patterns = count
            .try_into()
            .map(u64::from_le_bytes)
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or("automaton: bad pattern count")?;
        let scanner = Scanner {
            word_bytes: input.column("words")?,
            word_ends: input.column("word ends")?,
            slots: input.column("word table")?,
            first: input.column("filter")?,
            nodes: input.column("nodes")?,
            edge_word: input.column("edges")?,
            scannable: input.column("scannable keys")?,
            proper: input.column("proper names")?,
            lower: input.column("lower-case filter")?,
            lower_pairs: input.column("lower-case pair filter")?,
            proper_pairs: input.column("proper pair filter")?,
            patterns,
        };
        scanner.check().map_err(|e| format!("automaton: {e}"))?;
        Ok(scanner)
    }

    /// Why the tables are not a scanner [`Scanner::build`] could have
    /// written, if they are not: first whether every index is in range, then
    /// whether the automaton agrees with its keys. A loaded artefact is
    /// checked whole because its checksum only catches accidents: a crafted
    /// file with a valid checksum must not make a scan panic, loop or find
    /// what no key says (fuzz target `artefact`, bug
    /// `artefact-automaton-unchecked`).
    ///
    /// Beyond the ranges, it checks what the scan and the lookups rely on:
    /// words are non-empty UTF-8 without spaces, distinct and in byte order;
    /// every word is found in the word table by its own hash, and the table
    /// has an empty slot (else a probe for an unknown word never ends); the
    /// trie is a tree numbered breadth-first (every node's children come
    /// after it, so no walk can cycle), children in strictly ascending word
    /// order (binary search); the word table's root children are exactly
    /// the root's children; each pattern ends at exactly one node and every leaf ends
    /// one; the filter passes every word that starts a scannable key. Table
    /// sizes are not checked against what the build would choose: a larger
    /// table or a filter bit too many changes no answer.
    ///
    /// Cost: one pass over each table, plus one hash and probe per word
    /// (parallel); no allocation beyond a bit per node and per pattern.
    fn check(&self) -> Result<(), String> {
        self.check_ranges()?;
        self.check_words()?;
        self.check_trie()?;
        Ok(())
    }

    /// Every index in range: what makes the tables safe to index at all.
    fn check_ranges(&self) -> Result<(), String> {
        let words = self.word_ends.len();
        let nodes = self.node_count();
        if self.word_ends.windows(2).any(|w| w[0] > w[1])
            || self.word_ends.last().map_or(!self.word_bytes.is_empty(), |&e| e as usize != self.word_bytes.len())
        {
            return Err("word ends out of order or out of range".to_owned());
        }
        if nodes == 0 || self.edge_word.len() != nodes {
            return Err("trie tables differ in length".to_owned());
        }
        if self.nodes.windows(2).any(|w| w[0][0] > w[1][0])
            || self.nodes.last().is_some_and(|&[end, terminal]| end as usize != nodes || terminal != 0)
            || self.nodes[0][0] != 1
        {
            return Err("children out of order or out of range".to_owned());
        }
        if self.edge_word[1..].iter().any(|&w| w as usize >= words) {
            return Err("an edge names a word that does not exist".to_owned());
        }
        if self.nodes.iter().any(|&[_, t]| t as usize > self.patterns) {
            return Err("a terminal names a pattern that does not exist".to_owned());
        }
        if self.slots.iter().any(|s| (s[0] & !LONG_WORD) as usize >= nodes) {
            return Err("root index out of range".to_owned());
        }
        if !self.first.len().is_power_of_two() || !self.slots.len().is_power_of_two() {
            return Err("filter or word table size is not a power of two".to_owned());
        }
        if self.slots.iter().filter(|s| s[1] != 0).count() != words || self.slots.iter().any(|s| s[1] as usize > words)
        {
            return Err("the word table does not hold each word once".to_owned());
        }
        if self.scannable.len() != self.patterns.div_ceil(64) {
            return Err("scannable set does not match the patterns".to_owned());
        }
        // The case filters: all three empty (no proper names), or a set of
        // the patterns' size and two filters a power of two long.
        let cased = !self.proper.is_empty();
        if cased
            && (self.proper.len() != self.patterns.div_ceil(64)
                || !self.lower.len().is_power_of_two()
                || !self.lower_pairs.len().is_power_of_two()
                || !self.proper_pairs.len().is_power_of_two())
            || !(cased || self.lower.is_empty() && self.lower_pairs.is_empty() && self.proper_pairs.is_empty())
        {
            return Err("proper-name set or case filters do not match the patterns".to_owned());
        }
        Ok(())
    }

    /// The vocabulary and its table: each word findable, no endless probe.
    fn check_words(&self) -> Result<(), String> {
        let words = self.word_ends.len();
        let word_ok = |id: u32| {
            let word = self.word(id);
            !word.is_empty() && !word.contains(&b' ') && std::str::from_utf8(word).is_ok()
        };
        if !(0..words as u32).into_par_iter().all(word_ok) {
            return Err("a word is empty, holds a space or is not UTF-8".to_owned());
        }
        if !(1..words as u32).into_par_iter().all(|id| self.word(id - 1) < self.word(id)) {
            return Err("the words are not distinct and in byte order".to_owned());
        }
        // With every word in the table once (checked above), a free slot
        // ends every probe.
        if self.slots.len() <= words {
            return Err("the word table has no free slot".to_owned());
        }
        if !(0..words as u32)
            .into_par_iter()
            .all(|id| self.lookup(self.word(id), hash(self.word(id))).map(|(found, _)| found) == Some(id))
        {
            return Err("a word is not found in the word table".to_owned());
        }
        // A short word is told apart by its slot alone: every slot must
        // hold its own word's length class and bytes (its root child is
        // checked with the trie).
        let slot_ok = |slot: &[u32; 4]| {
            slot[1] == 0 || *slot == slot_of(self.word(slot[1] - 1), slot[0] & !LONG_WORD, slot[1] - 1)
        };
        if !self.slots.par_iter().all(slot_ok) {
            return Err("a slot of the word table does not hold its word".to_owned());
        }
        Ok(())
    }

    /// The trie is a tree over the words whose every path spells a key.
    fn check_trie(&self) -> Result<(), String> {
        let nodes = self.node_count();
        let words = self.word_ends.len();
        // Breadth-first numbering: node n's children start after n, so
        // each node's parent comes before it and no walk can cycle.
        if (0..nodes).any(|n| self.nodes[n][0] as usize <= n) {
            return Err("a node is its own descendant".to_owned());
        }
        let children = |n: usize| {
            let range = self.children(n as u32);
            range.start as usize..range.end as usize
        };
        if (0..nodes).any(|n| self.edge_word[children(n)].windows(2).any(|w| w[0] >= w[1])) {
            return Err("a node's children are not in strictly ascending word order".to_owned());
        }
        if self.edge_word[0] != u32::MAX || self.nodes[0][1] != 0 {
            return Err("the root has an edge or ends a key".to_owned());
        }
        // Each slot's root child is a child of the root labelled with the
        // slot's word; as many as the root has children (words are
        // distinct, so they are all of them).
        let roots = children(0);
        let named = self.slots.iter().filter(|s| s[0] & !LONG_WORD != 0).count();
        if named != roots.len()
            || self.slots.iter().any(|s| {
                let n = (s[0] & !LONG_WORD) as usize;
                n != 0 && (!roots.contains(&n) || s[1] == 0 || self.edge_word[n] != s[1] - 1)
            })
        {
            return Err("the root index does not name the root's children".to_owned());
        }
        let mut ended = vec![0u64; self.patterns.div_ceil(64)];
        for (n, &[_, t]) in self.nodes[..nodes].iter().enumerate() {
            if let Some(p) = t.checked_sub(1).map(|p| p as usize) {
                if ended[p / 64] & (1 << (p % 64)) != 0 {
                    return Err(format!("pattern {p} ends at two nodes"));
                }
                ended[p / 64] |= 1 << (p % 64);
            } else if n > 0 && children(n).is_empty() {
                // (The root of an empty scanner is a leaf that ends none.)
                return Err("a leaf of the trie ends no key".to_owned());
            }
        }
        if ended.iter().map(|b| b.count_ones() as usize).sum::<usize>() != self.patterns {
            return Err("a pattern ends at no node".to_owned());
        }
        if !self.patterns.is_multiple_of(64) && self.scannable.last().is_some_and(|&b| b >> (self.patterns % 64) != 0) {
            return Err("the scannable set names a pattern that does not exist".to_owned());
        }
        let mut used = vec![false; words];
        for &w in &self.edge_word[1..] {
            used[w as usize] = true;
        }
        if used.contains(&false) {
            return Err("a word labels no edge".to_owned());
        }
        if !self.patterns.is_multiple_of(64) && self.proper.last().is_some_and(|&b| b >> (self.patterns % 64) != 0) {
            return Err("the proper-name set names a pattern that does not exist".to_owned());
        }
        // Whether each subtree holds a scannable key (of each case rule).
        let reaches = self.reaches();
        let word_hash = |n: usize| hash(self.word(self.edge_word[n]));
        let cased = !self.proper.is_empty();
        for n in roots {
            let Reach { lower, proper } = reaches[n];
            if (lower || proper) && !in_filter(&self.first, word_hash(n))
                || cased && self.ends_lower(n as u32) && !in_case_filter(&self.lower, word_hash(n))
            {
                return Err("a filter turns away a word that starts a key".to_owned());
            }
            for c in cased.then(|| children(n)).into_iter().flatten() {
                let pair = pair_hash(word_hash(n), word_hash(c));
                if reaches[c].lower && !in_case_filter(&self.lower_pairs, pair)
                    || reaches[c].proper && !in_case_filter(&self.proper_pairs, pair)
                {
                    return Err("a filter turns away two words that start a key".to_owned());
                }
            }
        }
        Ok(())
    }
}

/// Bit 31 of a slot's first field: its word is longer than eight bytes.
const LONG_WORD: u32 = 1 << 31;

/// The word table's slot of `word` with id `id` and root child `root`:
/// `[root, id + 1, low, high]`, with [`LONG_WORD`] set in the first field
/// for a word longer than eight bytes, and low and high its first eight
/// bytes, zero-padded.
#[inline]
fn slot_of(word: &[u8], root: u32, id: u32) -> [u32; 4] {
    let mut prefix = [0u8; 8];
    let n = word.len().min(8);
    prefix[..n].copy_from_slice(&word[..n]);
    let prefix = u64::from_le_bytes(prefix);
    let long = if word.len() > 8 { LONG_WORD } else { 0 };
    [root | long, id + 1, prefix as u32, (prefix >> 32) as u32]
}

/// Which scannable keys a trie node's subtree holds.
#[derive(Debug, Clone, Copy, Default)]
struct Reach {
    /// One found in any case.
    lower: bool,
    /// A proper name (found only capitalised).
    proper: bool,
}

/// The first-word filter over `hashes`, `per` bits per hash (a power of
/// two in all, at least 4,096): about one in `per` other hashes passes.
fn filter(hashes: impl Iterator<Item = u64>, per: usize) -> Column<u64> {
    let hashes: Vec<u64> = hashes.collect();
    let bits = (hashes.len() * per).next_power_of_two().max(1 << 12);
    let mut filter = vec![0u64; bits / 64];
    for h in hashes {
        let bit = first_bit(h, bits);
        filter[bit / 64] |= 1 << (bit % 64);
    }
    filter.into()
}

/// A case filter over `hashes`: a Bloom filter with two bits per hash
/// ([`in_case_filter`]), `per` bits per hash in all (a power of two, at
/// least 4,096). Two bits, because the words it must turn away are the
/// most frequent of running text ("is", "the"), each passed thousands of
/// times when its one bit happens to be set: at 16 bits a hash about 1 in
/// 60 other hashes passes, not 1 in 16 (8 bits: 1 in 19). Both bits lie in
/// one 64-bit word (a blocked filter): a probe is one memory access, where
/// two independent bits were two, and these filters are asked for nearly
/// every word of running text, at sizes beyond the core's cache in a
/// catalogue of a million names.
fn case_filter(hashes: impl Iterator<Item = u64>, per: usize) -> Column<u64> {
    let hashes: Vec<u64> = hashes.collect();
    let bits = (hashes.len() * per).next_power_of_two().max(1 << 12);
    let mut filter = vec![0u64; bits / 64];
    for h in hashes {
        for bit in case_bits(h, bits) {
            filter[bit / 64] |= 1 << (bit % 64);
        }
    }
    filter.into()
}

/// The two bits of hash `h` in a case filter of `bits` bits: a 64-bit
/// word chosen by its high bits, and two bits of that word by its middle
/// ones (the word table uses the low bits).
#[inline]
fn case_bits(h: u64, bits: usize) -> [usize; 2] {
    let word = ((h >> 40) as usize & (bits - 1)) & !63;
    [word | (h >> 16) as usize & 63, word | (h >> 22) as usize & 63]
}

/// Whether case filter `filter` passes hash `h`.
#[inline]
fn in_case_filter(filter: &[u64], h: u64) -> bool {
    case_bits(h, filter.len() * 64).iter().all(|&bit| filter[bit / 64] & (1 << (bit % 64)) != 0)
}

/// The hash of two words in a row, from theirs.
#[inline]
fn pair_hash(first: u64, second: u64) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let h = (first ^ second.rotate_left(23).wrapping_mul(K)).wrapping_mul(K);
    h ^ (h >> 29)
}

/// Whether `filter` (a power-of-two number of bits) passes hash `h`.
#[inline]
fn in_filter(filter: &[u64], h: u64) -> bool {
    let bit = first_bit(h, filter.len() * 64);
    filter[bit / 64] & (1 << (bit % 64)) != 0
}

/// The filter bit of a hash in a filter of `bits` bits (a power of two):
/// the hash's high bits, as the word table uses the low ones.
#[inline]
fn first_bit(h: u64, bits: usize) -> usize {
    (h >> 40) as usize & (bits - 1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The one-load word of `find_from` is the byte search's word, with
        /// the same hash, wherever it answers.
        #[test]
        fn short_words_agree_with_the_byte_search(text in "[a-c \u{e9}]{0,24}", start in 0usize..24) {
            let bytes = text.as_bytes();
            if let Some((end, h)) = short_word(bytes, start) {
                let want = next_space(bytes, start).expect("short_word found a space");
                prop_assert_eq!(end, want);
                prop_assert_eq!(h, hash(&bytes[start..end]));
            } else if start + 8 <= bytes.len() {
                prop_assert!(!bytes[start..start + 8].contains(&b' '));
            }
        }
    }

    #[test]
    fn orders_by_bytes_and_permutes_in_place() {
        // Rows: equal 8-byte prefixes, a zero byte against the padding, a
        // prefix of another, non-ASCII bytes, a repeat.
        let texts: Vec<&[u8]> = vec![
            b"springfield illinois",
            b"springfield",
            b"a",
            b"a\0",
            b"",
            "\u{e9}cole".as_bytes(),
            b"springfield ohio",
            b"a",
        ];
        let order = order_by_bytes(texts.len(), |i| texts[i as usize]);
        let mut expected = texts.clone();
        expected.sort();
        let got: Vec<&[u8]> = order.iter().map(|&i| texts[i as usize]).collect();
        assert_eq!(got, expected);
        assert_eq!(permuted(texts.clone(), &order), expected);
    }

    proptest! {
        #[test]
        fn permuted_applies_any_permutation(keys in proptest::collection::vec(any::<u16>(), 0..64)) {
            let order = order_by_bytes(keys.len(), |i| bytemuck::bytes_of(&keys[i as usize]));
            let want: Vec<u16> = order.iter().map(|&i| keys[i as usize]).collect();
            prop_assert_eq!(permuted(keys, &order), want);
        }
    }

    #[test]
    fn leftmost_longest_from_and_at() {
        let scanner = Scanner::build([" kataib ", " kataib hezbollah ", " hezbollah "]).unwrap();
        let text = b" the kataib hezbollah said ";
        let found = scanner.find_from(text, 0).unwrap();
        assert_eq!((found.start, found.end, found.pattern), (4, 22, 1));
        // The longest key at 4 ending by 12 is " kataib ".
        let shorter = scanner.find_at(text, 4, 12).unwrap();
        assert_eq!((shorter.start, shorter.end, shorter.pattern), (4, 12, 0));
        // Nothing starts at 5.
        assert_eq!(scanner.find_at(text, 5, 22), None);
        // From inside the first key, the next key is " hezbollah ".
        assert_eq!(scanner.find_from(text, 5).map(|f| f.pattern), Some(2));
        assert_eq!(scanner.find_from(text, 99), None);
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(Scanner::build([" a ", " a "]).unwrap_err().contains("twice"));
        for bad in ["a", " ", "  a ", " a  b ", " a"] {
            assert!(Scanner::build([bad]).is_err(), "{bad:?}");
        }
    }

    fn round_trip(scanner: &Scanner) -> Vec<u8> {
        let mut bytes = Vec::new();
        scanner.write(&mut ColumnWriter { out: &mut bytes, base: 0 });
        bytes
    }

    fn read_back(bytes: &[u8]) -> Result<Scanner, String> {
        Scanner::read(&mut ColumnReader { bytes, map: None, base: 0, pos: 0 })
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let scanner = Scanner::build([" iran ", " iraq ", " iran iraq war "]).unwrap();
        let bytes = round_trip(&scanner);
        let back = read_back(&bytes).unwrap();
        assert_eq!(back.find_from(b" iran iraq ", 1).map(|f| f.pattern), Some(1));
        assert_eq!(back.find_from(b" the iran iraq war ", 0).map(|f| f.pattern), Some(2));
        assert!(read_back(&bytes[..bytes.len() / 2]).is_err());
        assert!(read_back(&bytes[..4]).is_err());
        // Flip every byte in turn: refused or, if accepted, still in range.
        for i in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[i] ^= 0x5a;
            if let Ok(s) = read_back(&damaged) {
                for text in [&b" iran iraq war "[..], b" iraq ", b" x "] {
                    if let Some(f) = s.find_from(text, 0) {
                        assert!(f.end <= text.len() && f.pattern < s.pattern_count());
                    }
                }
            }
        }
    }

    #[test]
    fn unscannable_keys_are_looked_up_not_found() {
        let keys = [" ayatollah ali khamenei ", " ali khamenei ", " iran "];
        let scanner = Scanner::build_with(&keys, &[false, true, true], &[false; 3]).unwrap();
        let found = scanner.find_from(b" ayatollah ali khamenei said ", 0).unwrap();
        assert_eq!((found.start, found.pattern), (10, 1));
        assert_eq!(scanner.lookup_key(" ayatollah ali khamenei "), Some(0));
        assert_eq!(scanner.lookup_key(" ali khamenei "), Some(1));
        assert_eq!(scanner.lookup_key(" ali "), None);
        assert_eq!(scanner.lookup_key(" khamenei "), None);
        let keys_back: Vec<(usize, String)> = scanner.keys().collect();
        let mut sorted = keys_back.clone();
        sorted.sort();
        assert_eq!(sorted, [(0, keys[0].to_owned()), (1, keys[1].to_owned()), (2, keys[2].to_owned())]);
    }

    /// Padded folded text: words from a small vocabulary between single
    /// spaces, as folding writes it.
    fn text(words: Vec<usize>) -> String {
        const WORDS: [&str; 8] = ["a", "b", "ab", "ba", "|", "abc", "c", "\u{e9}b"];
        let mut s = String::from(" ");
        for w in words {
            s.push_str(WORDS[w % WORDS.len()]);
            s.push(' ');
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// The word trie finds exactly what a leftmost-longest byte automaton
        /// (the aho-corasick crate) finds over the same padded keys.
        #[test]
        fn agrees_with_a_byte_automaton(
            keys in prop::collection::btree_set(prop::collection::vec(0usize..8, 1..4), 1..12),
            haystack in prop::collection::vec(0usize..8, 0..30),
            from in 0usize..40,
        ) {
            let keys: Vec<String> = keys.into_iter().map(text).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let scanner = Scanner::build(keys.iter().map(String::as_str)).unwrap();
            let reference = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .start_kind(aho_corasick::StartKind::Both)
                .build(&keys)
                .unwrap();
            let haystack = text(haystack);
            let bytes = haystack.as_bytes();
            let from = from.min(bytes.len());
            let want = reference.find(aho_corasick::Input::new(bytes).range(from..)).map(|m| (m.start(), m.end(), m.pattern().as_usize()));
            let got = scanner.find_from(bytes, from).map(|f| (f.start, f.end, f.pattern));
            prop_assert_eq!(got, want);
            if let Some((start, end, _)) = want {
                // Anchored at the same start, bounded just short of that end.
                let bound = end - 1;
                let want = reference
                    .find(aho_corasick::Input::new(bytes).range(start..bound).anchored(aho_corasick::Anchored::Yes))
                    .map(|m| (m.start(), m.end(), m.pattern().as_usize()));
                let got = scanner.find_at(bytes, start, bound).map(|f| (f.start, f.end, f.pattern));
                prop_assert_eq!(got, want);
            }
        }

        /// `find_from_cased` stops at every word start where some key
        /// could pass the proper-name rule (a key found in any case; or
        /// a proper one whose first word, or second, is capitalised), with
        /// `find_from`'s longest key there; anywhere else it stops only
        /// where its filters let a word through by chance, and never
        /// where no key starts. Round-tripped through the artefact columns,
        /// the filters still pass the check.
        #[test]
        fn cased_search_skips_only_what_the_case_rule_rejects(
            keys in prop::collection::btree_set(prop::collection::vec(0usize..8, 1..4), 1..12),
            proper in prop::collection::vec(any::<bool>(), 12),
            haystack in prop::collection::vec(0usize..8, 0..30),
            capitals in prop::collection::vec(any::<bool>(), 30),
        ) {
            let keys: Vec<String> = keys.into_iter().map(text).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            let proper = &proper[..keys.len()];
            let scanner = Scanner::build_with(&refs, &vec![true; keys.len()], proper).unwrap();
            read_back(&round_trip(&scanner)).unwrap();
            let haystack = text(haystack);
            let bytes = haystack.as_bytes();
            let starts: Vec<usize> = (1..bytes.len()).filter(|&i| bytes[i - 1] == b' ').collect();
            let capitalised: Vec<u32> =
                starts.iter().zip(&capitals).filter(|(_, c)| **c).map(|(&s, _)| s as u32).collect();
            let capital = |at: usize| capitalised.contains(&(at as u32));
            // Whether some key at word start `at` passes the rule.
            let passes = |at: usize| {
                keys.iter().zip(proper).any(|(key, &proper)| {
                    bytes[at - 1..].starts_with(key.as_bytes())
                        && (!proper
                            || capital(at)
                            || key[1..key.len() - 1].find(' ').is_some_and(|space| capital(at + space + 1)))
                })
            };
            // The longest key at a start, as a byte automaton finds it (the
            // walk's pair filters must not cut a key short).
            let reference = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                .start_kind(aho_corasick::StartKind::Both)
                .build(&keys)
                .unwrap();
            let longest = |start: usize| {
                reference
                    .find(aho_corasick::Input::new(bytes).range(start..).anchored(aho_corasick::Anchored::Yes))
                    .map(|m| Found { start: m.start(), end: m.end(), pattern: m.pattern().as_usize() })
            };
            for &at in &starts {
                prop_assert_eq!(scanner.find_at(bytes, at - 1, bytes.len()), longest(at - 1));
            }
            let mut stops = Vec::new();
            let mut from = 0;
            while let Some(found) = scanner.find_from_cased(bytes, from, &capitalised) {
                prop_assert_eq!(Some(found), longest(found.start));
                stops.push(found.start + 1);
                from = found.start + 1;
            }
            for &at in &starts {
                if passes(at) {
                    prop_assert!(stops.contains(&at), "passed over a word start where a key passes: {}", at);
                }
            }
        }
    }
}
