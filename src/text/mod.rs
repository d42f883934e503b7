//! Text folding: the one normalisation that dictionary aliases (at build time)
//! and callers' text (at query time) both go through, so that two spellings
//! that differ only in ways a reader ignores become the same bytes.
//!
//! # Rules
//!
//! [`fold`] applies, per character, the stages of [`stages`] (NFKD, full case
//! folding, marks/format/tatweel removal, Arabic/Persian letter folding,
//! separator classing) and then two contextual rules:
//!
//! - **separators collapse**: a run of soft separators (whitespace, NBSP and
//!   line breaks included, hyphens, dashes) becomes one space, so
//!   `Al-Wadiah`, `Al Wadiah` and `Al\u{a0}–\u{a0}Wadiah` fold alike; a run
//!   that holds any hard separator (other punctuation, symbols) becomes
//!   `" | "`, which no alias crosses (aliases that hold punctuation inside,
//!   "Washington, D.C.", fold the same way and still match).
//! - **apostrophes** (every variant of [`stages::is_apostrophe`]): between two
//!   letters an apostrophe vanishes, so `Kata’ib` folds like `Kataib` and
//!   `Sana'a` like `Sanaa`; but a possessive `'s` (apostrophe, `s`, then a
//!   non-letter) and an elision after a single letter (`l'Iran`) split the
//!   word, so `Hezbollah’s` folds to `hezbollah s`. Anywhere else an
//!   apostrophe is a separator (quotation marks).
//!
//! - **grapheme clusters stay whole**: no grapheme cluster of the original
//!   holds letters of two folded words, so a word widened to whole clusters
//!   (as the matcher widens every span) never takes in another word's letter.
//!   A letter that extends the cluster before it (U+0345 YPOGEGRAMMENI,
//!   which case-folds to `ι`; Thai SARA AM) where that cluster ended no word
//!   (after a space) is dropped like the mark it is. A character that folds
//!   to a separator inside the cluster of the word just written (after a
//!   prepended letter such as U+0D4E, an emoji modifier, in an emoji
//!   sequence joined by ZWJ) glues the rest of its cluster to that word:
//!   separators between the cluster's letters are dropped (`"\u{d4e}½"`
//!   folds to `" \u{d4e}12 "`, `"™🏽\u{200d}ℹ"` to `" tmi "`), those after
//!   its last letter stay. Found by the `fold` fuzz target (bugs
//!   `ypogegrammeni-word`, `prepend-letter`, `prepend-letter-joiner`). Cost:
//!   none on ASCII or on letters; the segmenter is asked only about a
//!   separator that may continue a cluster ([`stages::Folding::clings`],
//!   after a prepended character), and only when it follows a word.

//! # Output shape
//!
//! Folded text is *padded*: it always starts and ends with a space, and holds
//! only letters, digits, single spaces and [`PUNCT_MARK`] between spaces. So a word boundary is
//! simply a space, and an alias folded the same way (`" kataib hezbollah "`)
//! matches only whole words — the matcher relies on this.
//!
//! # Offsets
//!
//! Folding changes byte lengths (`İ` is 2 bytes, its fold 1; `ß` becomes
//! `ss`; NBSP 2 bytes becomes 1), so offsets into folded text are never
//! returned to callers: [`Folded::map`] maps them back to the original text,
//! always onto character boundaries (see [`offsets`]).
//!
//! # Cost
//!
//! A run of ASCII letters, digits and single spaces (most of an English
//! clause) folds byte for byte, so it is classified eight bytes at a time
//! (SWAR), copied once and lowercased in place, with no anchor; only the
//! bytes that end a run (punctuation, a second space, an apostrophe) take
//! the per-byte rules. A non-ASCII character costs one lookup in the shared
//! per-character table of [`stages::folding`] rather than a run of the
//! Unicode stages. Anchors are recorded only where lengths change, so clean
//! ASCII text carries an almost empty map. The output capacity is reserved
//! once (`text.len() + 2`).
//!
//! Measured (`fold/*/1MB`, one core of a shared 2-core VM, MiB/s; before
//! these fast paths → after): news (0.7 % non-ASCII chars) ~300 → ~700–1000;
//! non-ASCII (24 %) ~75 → ~300–380; entity-free English ~280 → ~600–780.
//! Callgrind puts clean ASCII at ~16–18 instructions a byte, of which the
//! SWAR classification is about half; non-ASCII text at ~43.

pub mod common;
pub mod english;
pub mod offsets;
#[cfg(test)]
mod reference;
pub mod skeleton;
pub mod stages;
pub mod titles;

pub use offsets::{OffsetMap, Span, UnitCounter};
pub use stages::CaseMode;

use offsets::Anchor;
use stages::{Piece, expand};

/// Folded text and the map back to the text it came from.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    /// Padded folded text: `" word word "`.
    pub text: String,
    pub map: OffsetMap,
    /// Folded byte positions of the words whose first original letter is a
    /// capital (proper names, sentence starts), ascending. Variant matching
    /// ([`skeleton`]) only considers such words.
    pub capitalised: Vec<u32>,
}

impl Folded {
    /// Empties the text, map and capitals, keeping the allocations: the
    /// state [`fold_window_into`] starts a sparse fold from.
    pub fn clear(&mut self) {
        self.text.clear();
        self.map.anchors.clear();
        self.capitalised.clear();
    }

    /// Whether a word whose first original letter is a capital starts at
    /// folded byte `at` (one binary search of [`Folded::capitalised`]).
    pub fn is_capitalised(&self, at: usize) -> bool {
        self.capitalised.binary_search(&(at as u32)).is_ok()
    }
}

/// Folds `text` with case folding, keeping the offset map.
pub fn fold(text: &str) -> Folded {
    let mut folded = Folded::default();
    fold_into(text, CaseMode::Fold, &mut folded);
    folded
}

/// Folds `text` into `out`, reusing its allocations (the hot path keeps one
/// `Folded` per worker thread).
pub fn fold_into(text: &str, mode: CaseMode, out: &mut Folded) {
    out.text.clear();
    out.map.anchors.clear();
    out.capitalised.clear();
    let mut folder = Folder {
        out: &mut out.text,
        anchors: &mut out.map.anchors,
        capitalised: &mut out.capitalised,
        mode,
        prepended_end: usize::MAX,
    };
    folder.run(text);
}

/// Appends the fold of the window `text[start..end]` to `out`, as one
/// window of a *sparse* fold: the matcher folds only the windows of a
/// document where a name can be ([`crate::matcher`]'s prefilter) and
/// leaves the rest out.
///
/// Start from an empty `out` ([`Folded::clear`]). `gap_start` is where the text left out before this window begins (the
/// previous window's end, or 0). The first window opens with the leading
/// pad; each later one with the gap `" | | "` joined to the previous
/// window's trailing pad (two punctuation marks in a row, which folded
/// text and keys never hold, so no key is found across a gap). Both map
/// to the text left out: `[gap_start, start)`.
///
/// # Invariant
///
/// When every window starts and ends at ASCII whitespace (or the ends of
/// `text`), each window folds to exactly the bytes, anchors and capitals
/// that [`fold_into`] gives the same stretch of the whole text: folding
/// looks at most one character ahead and behind, and whitespace resets
/// every rule. Offsets through [`Folded::map`] are into the whole `text`.
pub fn fold_window_into(text: &str, gap_start: usize, start: usize, end: usize, out: &mut Folded) {
    debug_assert!(gap_start <= start && start <= end && end <= text.len());
    let first = out.text.is_empty();
    let mut folder = Folder {
        out: &mut out.text,
        anchors: &mut out.map.anchors,
        capitalised: &mut out.capitalised,
        mode: CaseMode::Fold,
        prepended_end: usize::MAX,
    };
    // The gap follows the previous window's trailing space.
    let gap: &str = if first { " " } else { "| | " };
    let norm = folder.out.len() as u32;
    folder.out.push_str(gap);
    folder.anchors.push(Anchor {
        norm,
        norm_len: gap.len() as u32,
        orig: gap_start as u32,
        orig_len: (start - gap_start) as u32,
    });
    folder.run_from(&text[..end], start);
}

/// The padded folded form of a short string (an alias, a phrase, a query),
/// without the offset map, and without punctuation at either end: "U.S."
/// keys as `" u | s "`, so it matches the text "U.S." followed by anything.
pub fn fold_key(text: &str, mode: CaseMode) -> String {
    let mut key = String::new();
    fold_key_into(text, mode, &mut key);
    key
}

/// [`fold_key`], appended to `out` rather than returned (`fold_key` is this
/// into a new `String`): the same bytes,
/// without a `Folded` or an offset map allocated per call, for a caller that
/// folds millions of keys into one reused buffer (a dictionary build).
pub fn fold_key_into(text: &str, mode: CaseMode, out: &mut String) {
    thread_local! {
        /// The anchors and capitals a fold records, which a key has no use
        /// for: kept per thread so that their allocations are reused.
        static SCRATCH: std::cell::RefCell<(Vec<Anchor>, Vec<u32>)> = const {
            std::cell::RefCell::new((Vec::new(), Vec::new()))
        };
    }
    let base = out.len();
    SCRATCH.with_borrow_mut(|(anchors, capitalised)| {
        anchors.clear();
        capitalised.clear();
        Folder { out: &mut *out, anchors, capitalised, mode, prepended_end: usize::MAX }.run(text);
    });
    // As `fold_key`: no punctuation or spaces at either end but the pads.
    let folded = &out[base..];
    let inner = folded.trim_matches(|c| c == ' ' || c == PUNCT_MARK);
    if inner.len() + 2 != folded.len() {
        let (start, len) = (inner.as_ptr() as usize - folded.as_ptr() as usize, inner.len());
        if len == 0 {
            out.truncate(base + 1);
        } else {
            out.replace_range(base + 1..base + 1 + start - 1, "");
            out.truncate(base + 1 + len);
            out.push(' ');
        }
    }
}

/// The mark a hard separator (punctuation) leaves in folded text, always
/// between spaces: `"Iran, Iraq"` folds to `" iran | iraq "`.
pub const PUNCT_MARK: char = '|';

/// Class bits of an ASCII byte, one table lookup per byte.
const WORD: u8 = 1;
/// An ASCII capital (always also [`WORD`]).
const UPPER: u8 = 2;
const SPACE: u8 = 4;
const PUNCT: u8 = 8;
const APOSTROPHE: u8 = 16;

/// How each byte below 0x80 folds: letters and digits are copied (and
/// lowercased), whitespace, controls, `-` and `_` are soft separators, `'`
/// and `` ` `` are apostrophes, everything else is hard punctuation.
const ASCII: [u8; 128] = {
    let mut table = [PUNCT; 128];
    let mut b = 0u8;
    while b < 128 {
        table[b as usize] = if b.is_ascii_uppercase() {
            WORD | UPPER
        } else if b.is_ascii_alphanumeric() {
            WORD
        } else if b == b'\'' || b == b'`' {
            APOSTROPHE
        } else if b <= b' ' || b == 0x7f || b == b'-' || b == b'_' {
            SPACE
        } else {
            PUNCT
        };
        b += 1;
    }
    table
};

/// Each byte of a word-at-a-time (SWAR) value, and its high bits.
const ONES: u64 = u64::from_ne_bytes([1; 8]);
const HIGH: u64 = ONES * 0x80;

/// High bit of each byte of `x` set where `lo <= byte <= hi`; every byte of
/// `x` must be below 0x80, so that no addition carries into the next byte.
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + ONES * (0x80 - lo as u64);
    let above_hi = x + ONES * (0x7F - hi as u64);
    at_least_lo & !above_hi & HIGH
}

/// For 8 bytes at once (byte k of `block` in byte k of each result, as its
/// high bit): ASCII letters and digits, spaces, and ASCII capitals. Word at
/// a time rather than the table: a byte-at-a-time loop, even branch-free,
/// held the ASCII path to ~600 MB/s.
fn classify_block(block: &[u8; 8]) -> (u64, u64, u64) {
    let x = u64::from_le_bytes(*block);
    let ascii = !x & HIGH;
    let low7 = x & !HIGH;
    // `| 0x20` maps capitals onto lowercase and no other byte into a..=z.
    let letter = in_range(low7 | (ONES * 0x20), b'a', b'z') & ascii;
    let word = letter | (in_range(low7, b'0', b'9') & ascii);
    // A letter without its 0x20 bit (moved up to the high bit) is a capital.
    let upper = letter & !(x << 2);
    let space = in_range(low7, b' ', b' ') & ascii;
    (word, space, upper)
}

/// Whether the line after a line feed at `from - 1` is blank (nothing but
/// spaces, tabs and carriage returns before the next line feed): a
/// paragraph break, which no name is written across, so the line feed folds
/// as a hard separator, like U+2029 PARAGRAPH SEPARATOR. A single line
/// feed stays soft: wrapped text breaks names across lines.
fn blank_line_follows(bytes: &[u8], from: usize) -> bool {
    bytes[from..].iter().find(|&&b| !matches!(b, b' ' | b'\t' | b'\r')) == Some(&b'\n')
}

/// The text ends in a space (always true of the leading pad).
fn ends_in_space(out: &str) -> bool {
    out.as_bytes().last() == Some(&b' ')
}

/// Appends a soft separator: one space, unless the text already ends in one.
fn push_space(out: &mut String) {
    if !ends_in_space(out) {
        out.push(' ');
    }
}

/// Appends a hard separator: `" | "`, merged with any separator before it.
fn push_punct(out: &mut String) {
    let bytes = out.as_bytes();
    if bytes.ends_with(b"| ") {
        return;
    }
    if bytes.last() != Some(&b' ') {
        out.push(' ');
    }
    out.push(PUNCT_MARK);
    out.push(' ');
}

struct Folder<'o> {
    out: &'o mut String,
    anchors: &'o mut Vec<Anchor>,
    capitalised: &'o mut Vec<u32>,
    mode: CaseMode,
    /// Where the last prepended character ([`stages::is_prepended`]) ends
    /// in the original (`usize::MAX`: none): the character starting there
    /// continues its grapheme cluster (the cluster rule).
    prepended_end: usize,
}

impl Folder<'_> {
    fn run(&mut self, text: &str) {
        // Leading pad: one synthetic space with no original extent.
        self.out.reserve(text.len() + 2);
        self.out.push(' ');
        self.anchors.push(Anchor { norm: 0, norm_len: 1, orig: 0, orig_len: 0 });
        self.run_from(text, 0);
    }

    /// Folds `text[start..]` onto the output, which ends in a space (a
    /// leading pad or a window's gap).
    fn run_from(&mut self, text: &str, start: usize) {
        // Clean text folds to at most its own length plus the trailing
        // pad; anything longer (expansions, " | ") grows as usual.
        self.out.reserve(text.len() - start + 1);
        let bytes = text.as_bytes();
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            if b < 0x80 {
                let class = ASCII[usize::from(b)];
                if class & WORD != 0 || (b == b' ' && !ends_in_space(self.out)) {
                    i = self.plain_run(text, i);
                    continue;
                }
                match class {
                    SPACE if b == b'\n' && blank_line_follows(bytes, i + 1) => self.separator(i, 1, push_punct),
                    SPACE => self.separator(i, 1, push_space),
                    APOSTROPHE => self.apostrophe(text, i, 1),
                    _ => self.separator(i, 1, push_punct),
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().expect("i is a char boundary below len");
            let len = c.len_utf8();
            let folding = stages::folding(c, self.mode);
            if folding.apostrophe {
                self.apostrophe(text, i, len);
            } else if folding.separator
                && !ends_in_space(self.out)
                && (folding.clings || i == self.prepended_end)
                && !offsets::is_grapheme_boundary(text, i)
            {
                // Cluster rule: a separator inside the cluster of the
                // word just written.
                i = self.glue_cluster(text, i);
                continue;
            } else {
                self.unicode_char(c, &folding, i, len);
            }
            if folding.prepended {
                self.prepended_end = i + len;
            }
            i += len;
        }
        // Trailing pad, unless a separator already ended the text.
        if !ends_in_space(self.out) {
            let norm = self.out.len() as u32;
            self.out.push(' ');
            self.anchors.push(Anchor { norm, norm_len: 1, orig: text.len() as u32, orig_len: 0 });
        }
    }

    /// Copies the longest run from `start` of ASCII letters, digits and
    /// single spaces that each follow a letter or digit, and returns where it
    /// stopped. Such a run folds byte for byte (lowercased), so it needs no
    /// anchor and no per-byte dispatch: most of an English article is one
    /// run per clause. Capitals opening a word are recorded on the way.
    fn plain_run(&mut self, text: &str, start: usize) -> usize {
        let bytes = text.as_bytes();
        let base = self.out.len();
        let mut after_word = !ends_in_space(self.out);
        let mut i = start;
        // Eight bytes at a time while they last, then byte by byte.
        for block in bytes[start..].chunks_exact(8) {
            let block = block.first_chunk::<8>().expect("chunks_exact(8) gives 8 bytes");
            let (word, space, upper) = classify_block(block);
            let after = (word << 8) | (u64::from(after_word) << 7);
            let plain = word | (space & after);
            let stop = !plain & HIGH;
            // The bytes before the first stop (all eight when none).
            let in_run = stop.wrapping_sub(1) & !stop;
            let mut caps = upper & !after & in_run;
            while caps != 0 {
                let k = caps.trailing_zeros() as usize / 8;
                self.capitalised.push((base + i - start + k) as u32);
                caps &= caps - 1;
            }
            if stop != 0 {
                i += stop.trailing_zeros() as usize / 8;
                return self.copy_run(text, start, i);
            }
            i += 8;
            after_word = word >> 63 != 0;
        }
        while let Some(&b) = bytes.get(i) {
            let class = ASCII.get(usize::from(b)).copied().unwrap_or(0);
            let word = class & WORD != 0;
            // A second space in a row collapses: that needs an anchor.
            if !(word || (b == b' ' && after_word)) {
                break;
            }
            if class & UPPER != 0 && !after_word {
                self.capitalised.push((base + i - start) as u32);
            }
            after_word = word;
            i += 1;
        }
        self.copy_run(text, start, i)
    }

    /// Appends the plain run `text[start..end]`, lowercased, and returns `end`.
    fn copy_run(&mut self, text: &str, start: usize, end: usize) -> usize {
        let base = self.out.len();
        self.out.push_str(&text[start..end]);
        if self.mode == CaseMode::Fold {
            self.out[base..].make_ascii_lowercase();
        }
        end
    }

    /// A separator of `len` original bytes at `orig`, appended by `push`.
    fn separator(&mut self, orig: usize, len: usize, push: fn(&mut String)) {
        let norm = self.out.len();
        push(self.out);
        let produced = self.out.len() - norm;
        if produced != 1 || len != 1 {
            self.anchor(norm, produced, orig, len);
        }
    }

    fn apostrophe(&mut self, text: &str, orig: usize, len: usize) {
        let rest = &text[orig + len..];
        let after_letter = !ends_in_space(self.out);
        let before_letter = rest.chars().next().is_some_and(char::is_alphanumeric);
        let modifier = text[orig..].chars().next().is_some_and(is_modifier_apostrophe);
        if !before_letter && after_letter && self.out.ends_with(['s', 'S']) {
            // A plural possessive ("Houthis’ drones"), or a closing quote,
            // which costs nothing to treat alike.
            self.separator(orig, len, push_space);
        } else if modifier && before_letter && !after_letter {
            // A transliterated ayn or hamza opening a word ("ʿAbd"): part
            // of the word, never a quotation mark.
            self.anchor(self.out.len(), 0, orig, len);
        } else if !(after_letter && before_letter) {
            // A quotation mark.
            self.separator(orig, len, push_punct);
        } else if is_possessive(rest) || self.follows_single_letter() {
            self.separator(orig, len, push_space);
        } else {
            self.anchor(self.out.len(), 0, orig, len);
        }
    }

    /// The word before the apostrophe is one letter (`l'`, `d'`): an elision.
    fn follows_single_letter(&self) -> bool {
        let mut rev = self.out.chars().rev();
        rev.next().is_some() && rev.next() == Some(' ')
    }

    fn unicode_char(&mut self, c: char, folding: &stages::Folding, orig: usize, len: usize) {
        let norm = self.out.len();
        if folding.extending_letter && ends_in_space(self.out) {
            // Cluster rule: a letter that extends the cluster before it,
            // where that cluster ended no word (an emoji modifier, a
            // space), folds as the mark it is; as a word of its own it
            // would share its cluster with another word's letter.
            self.anchor(norm, 0, orig, len);
            return;
        }
        if folding.upper && ends_in_space(self.out) {
            self.capitalised.push(norm as u32);
        }
        let out = &mut *self.out;
        let mut emit = |piece: Piece| match piece {
            Piece::Word(w) => out.push(w),
            Piece::Space => push_space(out),
            Piece::Punct => push_punct(out),
        };
        match folding.pieces() {
            // The common case (an accented letter, an Arabic letter):
            // one letter of the same UTF-8 length keeps the byte-for-byte
            // correspondence, so no anchor.
            Some(&[Piece::Word(w)]) if w.len_utf8() == len => {
                emit(Piece::Word(w));
                return;
            }
            Some(pieces) => pieces.iter().for_each(|&piece| emit(piece)),
            None => expand(c, self.mode, &mut emit),
        }
        // One character of the same UTF-8 length keeps the byte-for-byte
        // correspondence; any other shape needs an anchor.
        let produced = &self.out[norm..];
        let same_shape = produced.len() == len && produced.chars().nth(1).is_none();
        if !same_shape {
            self.anchor(norm, produced.len(), orig, len);
        }
    }

    /// Cluster rule, the rare slow path: the character at `start` folds to
    /// a separator but continues the grapheme cluster of the word the
    /// output ends in (after a prepended letter, an emoji modifier, in an
    /// emoji sequence). The rest of that cluster is folded here, and the
    /// separators between its letters are dropped, so that its letters stay
    /// in that word: `"\u{d4e}½"` folds to `" \u{d4e}12 "`, not
    /// `" \u{d4e}1 | 2 "`, whose `2` would share a cluster with the word
    /// `\u{d4e}1`. Separators after the cluster's last letter stay. Returns
    /// where the cluster ends.
    fn glue_cluster(&mut self, text: &str, start: usize) -> usize {
        let end = offsets::next_grapheme_boundary(text, start);
        let cluster = &text[start..end];
        let mode = self.mode;
        // The index of the cluster's last letter piece.
        let (mut count, mut last_word) = (0, None);
        for c in cluster.chars() {
            expand(c, mode, &mut |piece| {
                if matches!(piece, Piece::Word(_)) {
                    last_word = Some(count);
                }
                count += 1;
            });
        }
        let mut index = 0;
        for (at, c) in cluster.char_indices() {
            let norm = self.out.len();
            let out = &mut *self.out;
            expand(c, mode, &mut |piece| {
                match piece {
                    Piece::Word(w) => out.push(w),
                    _ if last_word.is_some_and(|last| index < last) => {}
                    Piece::Space => push_space(out),
                    Piece::Punct => push_punct(out),
                }
                index += 1;
            });
            if stages::is_prepended(c) {
                self.prepended_end = start + at + c.len_utf8();
            }
            self.char_anchor(start + at, c.len_utf8(), norm);
        }
        end
    }

    /// The anchor for one character of `len` bytes at `orig` folded onto
    /// the output from `norm` on, unless it kept the byte-for-byte shape.
    fn char_anchor(&mut self, orig: usize, len: usize, norm: usize) {
        let produced = &self.out[norm..];
        if !(produced.len() == len && produced.chars().nth(1).is_none()) {
            self.anchor(norm, produced.len(), orig, len);
        }
    }

    fn anchor(&mut self, norm: usize, norm_len: usize, orig: usize, orig_len: usize) {
        self.anchors.push(Anchor {
            norm: norm as u32,
            norm_len: norm_len as u32,
            orig: orig as u32,
            orig_len: orig_len as u32,
        });
    }
}

/// Apostrophe-like modifier letters that transliterate ayn and hamza: never
/// quotation marks.
pub fn is_modifier_apostrophe(c: char) -> bool {
    matches!(c, '\u{02BB}' | '\u{02BC}' | '\u{02BD}' | '\u{02BE}' | '\u{02BF}')
}

/// `rest` (the text after an apostrophe) is `s` then a non-letter or end.
fn is_possessive(rest: &str) -> bool {
    let mut chars = rest.chars();
    matches!(chars.next(), Some('s' | 'S')) && !chars.next().is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, input, padded folded output)
    const FOLD_ROWS: &[(&str, &str, &str)] = &[
        ("empty", "", " "),
        ("only separators", " \t-–— ", " "),
        ("punctuation is hard", "Iran, Iraq", " iran | iraq "),
        ("punctuation runs merge", "Soleimani. Forces", " soleimani | forces "),
        ("brackets", "Fatehin (Conquerors) Brigade", " fatehin | conquerors | brigade "),
        ("ascii case", "Kataib HEZBOLLAH", " kataib hezbollah "),
        ("hyphen is space", "Al-Wadiah", " al wadiah "),
        ("space runs collapse", "Kataib \n\t Hezbollah", " kataib hezbollah "),
        // No name runs across a paragraph: a blank line, or U+2029.
        ("blank line is hard", "Qassem\n\nSoleimani", " qassem | soleimani "),
        ("blank line with spaces and CRs", "Qassem \r\n \t\r\nSoleimani", " qassem | soleimani "),
        ("blank lines merge", "Iran\n\n\n\nIraq", " iran | iraq "),
        ("paragraph separator is hard", "Qassem\u{2029}Soleimani", " qassem | soleimani "),
        ("line separator stays soft", "Qassem\u{2028}Soleimani", " qassem soleimani "),
        ("one line break stays soft", "Qassem\r\nSoleimani", " qassem soleimani "),
        ("nbsp and en dash", "Al\u{a0}–\u{a0}Wadiah", " al wadiah "),
        ("accents", "Qāsem Soleimānī", " qasem soleimani "),
        ("dot below", "Ḥizballah", " hizballah "),
        ("curly apostrophe joins", "Kata’ib", " kataib "),
        ("ascii apostrophe joins", "Sana'a", " sanaa "),
        ("ayn joins", "Kataʿib", " kataib "),
        ("ayn opening a word", "ʿAbd al-Malik", " abd al malik "),
        ("modifier apostrophe joins", "Asaʼib", " asaib "),
        ("possessive splits", "Hezbollah’s fighters", " hezbollah s fighters "),
        ("possessive at end", "Iran's", " iran s "),
        ("leading punctuation", "(KH)", " | kh | "),
        ("plural possessive", "Houthis’ drones", " houthis drones "),
        ("elision splits", "l’Iran", " l iran "),
        ("quotes are hard", "‘Axis of Resistance’", " | axis of resistance | "),
        ("double quotes", "“Basij”", " | basij | "),
        ("dots are hard", "U.S.", " u | s | "),
        ("sharp s", "Straße", " strasse "),
        ("dotted capital I", "İran", " iran "),
        ("zwnj inside persian word", "خامنه\u{200C}ای", " خامنهاي "),
        ("arabic tashkeel and alef", "أَبُو مَهْدِي", " ابو مهدي "),
        ("persian yeh and kaf", "کتائب", " كتايب "),
        ("ta marbuta", "سورية", " سوريه "),
        ("tatweel", "حـــزب", " حزب "),
        ("ligature", "ﬁghters", " fighters "),
        ("full width", "ＩＲＧＣ", " irgc "),
        // Cluster rule (bugs ypogegrammeni-word and prepend-letter, found
        // by the fold fuzz target): no grapheme cluster holds letters of
        // two words.
        ("ypogegrammeni after a letter", "\u{3b1}\u{345}", " \u{3b1}\u{3b9} "),
        ("ypogegrammeni after a modifier", "x\u{1f3fd}\u{345} said", " x\u{3b9} said "),
        ("ypogegrammeni after a space", "x \u{345}y", " x y "),
        ("sara am after a modifier", "x\u{1f3fd}\u{e33}", " x\u{e32} "),
        ("prepended letter glues", "\u{d4e}½", " \u{d4e}12 "),
        ("prepended letter keeps trailing punct", "\u{d4e}⑴x", " \u{d4e}1 | x "),
        ("prepended letter before a space", "\u{d4e} \u{345}", " \u{d4e} "),
        ("fraction alone splits", "½", " 1 | 2 "),
        // Bug prepend-letter-joiner: the cluster runs on through an emoji
        // sequence (rule GB11) to a pictograph that folds to a letter.
        ("prepended letter through an emoji sequence", "\u{d4e}®\u{200d}\u{1f237} x", " \u{d4e}\u{6708} x "),
        ("pictographs of letters in one sequence", "™\u{1f3fd}\u{200d}ℹ", " tmi "),
        ("a dropped prepend glues too", "x\u{600}½", " x12 "),
        ("an emoji after a word is a cluster of its own", "great👍\u{1f3fd}", " great | "),
        ("a modifier after a word keeps its separator", "Hezbollah\u{1f3fd} said", " hezbollah | said "),
    ];

    #[test]
    fn fold_table() {
        for (name, input, want) in FOLD_ROWS {
            assert_eq!(fold(input).text, *want, "{name}: {input:?}");
        }
    }

    #[test]
    fn capitalised_words_are_recorded() {
        let folded = fold("the Kata’ib of Ḥizballah and İran, al-Sadr");
        let words: Vec<&str> =
            folded.capitalised.iter().map(|&p| folded.text[p as usize..].split(' ').next().unwrap()).collect();
        assert_eq!(words, ["kataib", "hizballah", "iran", "sadr"]);
    }

    #[test]
    fn keys_drop_punctuation_at_the_ends() {
        assert_eq!(fold_key("U.S.", CaseMode::Fold), " u | s ");
        assert_eq!(fold_key("“Washington, D.C.”", CaseMode::Fold), " washington | d | c ");
        assert_eq!(fold_key("...", CaseMode::Fold), " ");
        assert_eq!(fold_key("Iran", CaseMode::Fold), " iran ");
    }

    /// `fold_key_into` after whatever the buffer holds is `fold_key`.
    fn assert_key_into_is_key(prefix: &str, text: &str) {
        for mode in [CaseMode::Fold, CaseMode::Preserve] {
            let mut out = prefix.to_owned();
            fold_key_into(text, mode, &mut out);
            assert_eq!(out.strip_prefix(prefix), Some(fold_key(text, mode).as_str()), "{mode:?} key of {text:?}");
        }
    }

    #[test]
    fn key_into_appends_the_key() {
        for text in ["U.S.", "“Washington, D.C.”", "...", "", "Iran", " l'Iran ", "'s", "x.", ".x", "Kata’ib KH"]
        {
            for prefix in ["", " ", " u | s ", "l", "| ", "Straße"] {
                assert_key_into_is_key(prefix, text);
            }
        }
    }

    #[test]
    fn preserve_mode_keeps_case_only() {
        assert_eq!(fold_key("Kata’ib KH", CaseMode::Preserve), " Kataib KH ");
        assert_eq!(fold_key("Qāsem", CaseMode::Preserve), " Qasem ");
    }

    /// (name, input, folded substring, original text it must map back to)
    const MAP_ROWS: &[(&str, &str, &str, &str)] = &[
        ("ascii", "the Quds Force said", "quds force", "Quds Force"),
        ("after accents", "Qāsem Soleimānī met", "met", "met"),
        ("accented name", "Qāsem Soleimānī met", "qasem soleimani", "Qāsem Soleimānī"),
        ("collapsed spaces", "Kataib  \u{a0} Hezbollah", "kataib hezbollah", "Kataib  \u{a0} Hezbollah"),
        ("possessive excluded", "Hezbollah’s men", "hezbollah", "Hezbollah"),
        ("joined apostrophe", "Kata’ib Hezbollah", "kataib hezbollah", "Kata’ib Hezbollah"),
        ("dotted capital", "İran", "iran", "İran"),
        ("expansion covered whole", "Straße", "strasse", "Straße"),
        ("arabic", "قال حزب الله", "حزب الله", "حزب الله"),
        ("arabic with tashkeel", "حِزْبُ اللّٰه", "حزب الله", "حِزْبُ اللّٰه"),
        ("tatweel inside", "حـــزب الله", "حزب", "حـــزب"),
    ];

    #[test]
    fn offsets_map_back_to_original() {
        for (name, input, needle, want) in MAP_ROWS {
            let folded = fold(input);
            let at = folded.text.find(needle).unwrap_or_else(|| panic!("{name}: {needle:?} not in {:?}", folded.text));
            let (s, e) = folded.map.original_span(at, at + needle.len());
            assert_eq!(&input[s..e], *want, "{name}");
        }
    }

    #[test]
    fn partial_expansion_grows_to_whole_char() {
        // "ß" folds to "ss"; a span ending after the first "s" must still end
        // on a char boundary of the original.
        let input = "Straße";
        let folded = fold(input);
        let at = folded.text.find("stras").unwrap();
        let (s, e) = folded.map.original_span(at, at + "stras".len());
        assert_eq!(&input[s..e], "Straß");
    }

    /// Characters and fragments where folding has rules of its own: quotes
    /// and apostrophes of every kind, separators, expansions, case
    /// exceptions, Arabic/Persian forms, full-width forms, digits,
    /// punctuation runs and possessives.
    #[rustfmt::skip]
    const PALETTE: &[&str] = &[
        "a", "Z", "s", "S", "i", "I", "x", "7", "0", " ", "  ", "\t", "\n", "\r\n", "-", "_", ".", ",", "(", ")",
        "!?", "...", "'", "`", "'s", "'s ", "s'", "S'", "’", "‘", "‛", "’s", "ʿ", "ʼ", "ʻ", "ʽ", "ʾ", "´", "′",
        "＇", "“", "”", "\"", "\u{a0}", "\u{202f}", "\u{2009}", "–", "—", "\u{2011}", "\u{2028}", "ß", "ẞ", "İ",
        "ı", "ﬁ", "ﬀ", "ﬃ", "ﬅ", "Ǆ", "ŉ", "é", "É", "e\u{301}", "Ā", "Ḥ", "ḥ", "ς", "Σ", "Ω", "Ж", "\u{ad}",
        "\u{200c}", "\u{200d}", "\u{200e}", "\u{feff}", "ـ", "أَ", "بُ", "و", "مَهْدِي", "ة", "ی", "ک", "ى", "ٱ", "ﻻ",
        "ﷺ", "٣", "۷", "،", "؟", "ال", "Ｉ", "ｒ", "Ｇ", "１", "…", "½", "²", "™", "€", "😀", "𝐀", "\u{0}", "\u{7f}",
        "\u{85}", "Kata", "ib", "Iran", "Hezbollah", "U.S.", "l", "d",
    ];

    fn palette_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop::collection::vec(prop::sample::select(PALETTE), 0..48).prop_map(|parts| parts.concat())
    }

    fn assert_same_as_reference(text: &str) {
        for mode in [CaseMode::Fold, CaseMode::Preserve] {
            let mut want = Folded::default();
            reference::fold_into(text, mode, &mut want);
            // A dirty, reused `Folded`, as the hot path passes in.
            let mut got = fold("dirty Straße, ﬁ İ");
            fold_into(text, mode, &mut got);
            assert_eq!(got.text, want.text, "{mode:?} text of {text:?}");
            assert_eq!(got.map.anchors, want.map.anchors, "{mode:?} anchors of {text:?}");
            assert_eq!(got.capitalised, want.capitalised, "{mode:?} capitalised of {text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        #[test]
        fn same_as_reference_on_tricky_text(text in palette_text()) {
            assert_same_as_reference(&text);
        }

        #[test]
        fn same_as_reference_on_ascii(text in "[a-zA-Z0-9 '`.,_\\-\t\n]{0,80}") {
            assert_same_as_reference(&text);
        }

        #[test]
        fn same_as_reference_on_any_text(text in "\\PC{0,64}") {
            assert_same_as_reference(&text);
        }

        #[test]
        fn same_as_reference_on_any_chars(text in proptest::prelude::any::<String>()) {
            assert_same_as_reference(&text);
        }

        #[test]
        fn key_into_is_key_on_tricky_text(prefix in palette_text(), text in palette_text()) {
            assert_key_into_is_key(&prefix, &text);
        }
    }

    #[test]
    fn same_as_reference_on_every_bmp_char_in_context() {
        // Every character alone, after a letter, and between letters: the
        // per-character cache covers the BMP, so check all of it once.
        for c in ('\0'..='\u{ffff}').chain(['\u{1d400}', '\u{1f600}', '\u{10ffff}']) {
            assert_same_as_reference(&format!("{c}"));
            assert_same_as_reference(&format!("Ab{c}"));
            assert_same_as_reference(&format!("a {c}b"));
        }
    }
}
