//! Offsets: from folded text back to the caller's text, and from UTF-8 bytes
//! to code points and UTF-16 code units.
//!
//! # Invariant
//!
//! [`OffsetMap::original_span`] returns a half-open byte range that lies on
//! character boundaries of the original text, for *any* folded range whose
//! ends lie on folded character boundaries. When a folded range starts or ends
//! inside the expansion of one original character (a ligature, `ß` -> `ss`),
//! the original span grows to cover the whole character, never splits it.
//!
//! # Representation and cost
//!
//! Sparse: an [`Anchor`] is recorded only where an original character did not
//! become exactly one folded character of the same UTF-8 length (a dropped
//! accent, `é` -> `e`, a collapsed space, an expansion). Between anchors the
//! two texts advance byte for byte, so clean ASCII costs nothing but the two
//! sentinel anchors, and a lookup is a binary search, or, through an
//! [`OffsetCursor`] for spans in ascending order, a step forward.
//!
//! # Grapheme clusters
//!
//! Folding drops combining marks and format characters, so a character
//! boundary of the original can fall inside what a reader sees as one
//! letter (a decomposed `ī` is `i` + U+0304; `h` + ZWJ is one cluster).
//! [`widen_to_graphemes`] moves a span's ends out to the grapheme-cluster
//! boundaries of the original (Unicode extended grapheme clusters), so no
//! span ever cuts a letter from its marks. Cost: two byte compares per end
//! when the neighbours are ASCII, a grapheme-cursor step otherwise.

use unicode_segmentation::GraphemeCursor;

/// One original character whose folded form is not a same-length single char.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Start of the character's output in the folded text.
    pub norm: u32,
    /// Bytes of output (0 when the character was dropped).
    pub norm_len: u32,
    /// Start of the character in the original text.
    pub orig: u32,
    /// Bytes of the character in the original text (0 for the synthetic
    /// padding spaces, which have no original).
    pub orig_len: u32,
}

/// Maps byte positions of folded text back to the original text.
#[derive(Debug, Clone, Default)]
pub struct OffsetMap {
    pub(crate) anchors: Vec<Anchor>,
}

impl OffsetMap {
    /// The original byte span of the folded byte span `[start, end)`.
    ///
    /// `start < end` and both on folded char boundaries; see the module
    /// invariant for what comes back. A binary search over the anchors; for
    /// many spans in ascending order, [`OffsetMap::cursor`] is cheaper.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end);
        let after = |pos: u32| self.anchors.partition_point(|a| a.norm <= pos);
        (
            original_start(&self.anchors, after(start as u32), start),
            original_end(&self.anchors, after(end as u32 - 1), end),
        )
    }

    /// A cursor answering [`OffsetMap::original_span`] for spans in
    /// ascending order in O(1) amortised each (O(log gap) when many anchors
    /// lie between two spans), instead of a binary search per span.
    pub fn cursor(&self) -> OffsetCursor<'_> {
        OffsetCursor { anchors: &self.anchors, after: 0 }
    }
}

/// [`OffsetMap::original_span`] for spans that mostly come in ascending
/// order (a document's mentions, left to right). A span before the last one
/// is still answered exactly, by a binary search.
pub struct OffsetCursor<'m> {
    anchors: &'m [Anchor],
    /// How many anchors have `norm <=` the last position looked up.
    after: usize,
}

impl OffsetCursor<'_> {
    /// Exactly what [`OffsetMap::original_span`] returns for the same span.
    pub fn original_span(&mut self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end);
        let after_start = self.seek(start as u32);
        let after_end = self.seek(end as u32 - 1);
        (original_start(self.anchors, after_start, start), original_end(self.anchors, after_end, end))
    }

    /// The number of anchors with `norm <= pos`: galloping forward from the
    /// last answer, or a binary search below it when `pos` went back.
    fn seek(&mut self, pos: u32) -> usize {
        let anchors = self.anchors;
        if self.after > 0 && anchors[self.after - 1].norm > pos {
            self.after = anchors[..self.after].partition_point(|a| a.norm <= pos);
        } else if self.after < anchors.len() && anchors[self.after].norm <= pos {
            // anchors[lo].norm <= pos throughout.
            let mut lo = self.after;
            let mut step = 1;
            loop {
                let hi = lo + step;
                if hi >= anchors.len() || anchors[hi].norm > pos {
                    let hi = hi.min(anchors.len());
                    self.after = lo + 1 + anchors[lo + 1..hi].partition_point(|a| a.norm <= pos);
                    break;
                }
                lo = hi;
                step *= 2;
            }
        }
        self.after
    }
}

/// The original position of folded `pos` (a span start), given `after`, the
/// number of anchors with `norm <= pos`.
fn original_start(anchors: &[Anchor], after: usize, pos: usize) -> usize {
    let pos = pos as u32;
    match after.checked_sub(1).map(|i| &anchors[i]) {
        None => pos as usize,
        Some(a) if pos < a.norm + a.norm_len => a.orig as usize,
        Some(a) => (a.orig + a.orig_len + (pos - a.norm - a.norm_len)) as usize,
    }
}

/// The original position of folded `end` (a span end), given `after`, the
/// number of anchors with `norm <= end - 1`.
fn original_end(anchors: &[Anchor], after: usize, end: usize) -> usize {
    let last = end as u32 - 1;
    match after.checked_sub(1).map(|i| &anchors[i]) {
        None => end,
        Some(a) if last < a.norm + a.norm_len => (a.orig + a.orig_len) as usize,
        Some(a) => (a.orig + a.orig_len + (end as u32 - a.norm - a.norm_len)) as usize,
    }
}

/// Whether `at` is a grapheme boundary of `text` for certain without
/// segmenting: the ends, or ASCII on both sides other than CR LF.
fn plainly_boundary(text: &str, at: usize) -> bool {
    let bytes = text.as_bytes();
    match (at.checked_sub(1).map(|i| bytes[i]), bytes.get(at)) {
        (None, _) | (_, None) => true,
        (Some(before), Some(&after)) => before.is_ascii() && after.is_ascii() && !(before == b'\r' && after == b'\n'),
    }
}

/// Whether `at` (a char boundary of `text`) is a grapheme-cluster boundary,
/// asked of the segmenter.
pub fn is_grapheme_boundary(text: &str, at: usize) -> bool {
    GraphemeCursor::new(at, text.len(), true).is_boundary(text, 0).unwrap_or(true)
}

/// The first grapheme-cluster boundary of `text` after `at`: where the
/// cluster holding the character at `at` ends.
pub fn next_grapheme_boundary(text: &str, at: usize) -> usize {
    GraphemeCursor::new(at, text.len(), true).next_boundary(text, 0).ok().flatten().unwrap_or(text.len())
}

/// `[start, end)`, char boundaries of `text`, widened to the nearest
/// grapheme-cluster boundaries outside it (unchanged when they already are).
pub fn widen_to_graphemes(text: &str, start: usize, end: usize) -> (usize, usize) {
    let boundary = |at: usize| plainly_boundary(text, at) || is_grapheme_boundary(text, at);
    let start = if boundary(start) {
        start
    } else {
        GraphemeCursor::new(start, text.len(), true).prev_boundary(text, 0).ok().flatten().unwrap_or(0)
    };
    let end = if boundary(end) { end } else { next_grapheme_boundary(text, end) };
    (start, end)
}

/// A span of the caller's text in all three units the API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub char_start: usize,
    pub char_end: usize,
    pub utf16_start: usize,
    pub utf16_end: usize,
}

/// Converts ascending byte offsets of one text into code point and UTF-16
/// offsets in a single forward pass: O(text up to the last offset) for all
/// the spans of a document together, not per span.
pub struct UnitCounter<'t> {
    text: &'t str,
    ascii: bool,
    byte: usize,
    chars: usize,
    utf16: usize,
}

impl<'t> UnitCounter<'t> {
    pub fn new(text: &'t str) -> Self {
        Self { text, ascii: text.is_ascii(), byte: 0, chars: 0, utf16: 0 }
    }

    /// `(code points, UTF-16 units)` before byte `pos`, which must be on a
    /// char boundary. Positions should come in ascending order; an earlier
    /// position costs the bytes between it and the last one.
    pub fn at(&mut self, pos: usize) -> (usize, usize) {
        if self.ascii {
            return (pos, pos);
        }
        debug_assert!(self.text.is_char_boundary(pos));
        if pos < self.byte {
            // Back (a nested mention, `OverlapPolicy::All`): uncount the
            // stretch between, rather than recount from the start.
            let slice = &self.text[pos..self.byte];
            let chars = slice.chars().count();
            let astral = if slice.len() == chars { 0 } else { slice.bytes().filter(|&b| b >= 0xF0).count() };
            self.chars -= chars;
            self.utf16 -= chars + astral;
            self.byte = pos;
            return (self.chars, self.utf16);
        }
        // Counted over bytes in one branch-free pass (no char decoding): a
        // code point per byte that is not a UTF-8 continuation byte, and a
        // second UTF-16 unit per 4-byte sequence (lead byte 0xF0 and up).
        // A code point per byte that is not a UTF-8 continuation byte (std's
        // `chars().count()` counts them a word at a time), and a second
        // UTF-16 unit per 4-byte sequence (lead byte 0xF0 and up). A plain
        // per-byte loop cost ~1.5 cycles a byte: 8-11 % of the engine's
        // time on news with curly quotes.
        let slice = &self.text[self.byte..pos];
        let chars = slice.chars().count();
        let astral = if slice.len() == chars { 0 } else { slice.bytes().filter(|&b| b >= 0xF0).count() };
        self.chars += chars;
        self.utf16 += chars + astral;
        self.byte = pos;
        (self.chars, self.utf16)
    }

    /// The full [`Span`] for the byte range `[start, end)`.
    pub fn span(&mut self, start: usize, end: usize) -> Span {
        let (char_start, utf16_start) = self.at(start);
        let (char_end, utf16_end) = self.at(end);
        Span { start, end, char_start, char_end, utf16_start, utf16_end }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_counter_agrees_with_std_over_long_text() {
        // Long enough for the chunked count (128-byte chunks) and its tail.
        let text = "Kata’ib Ḥizballah 😀 حزب الله, Qāsem. ".repeat(40);
        let mut counter = UnitCounter::new(&text);
        for pos in (0..=text.len()).filter(|&p| text.is_char_boundary(p)).step_by(7) {
            let before = &text[..pos];
            assert_eq!(counter.at(pos), (before.chars().count(), before.encode_utf16().count()), "at {pos}");
        }
    }

    #[test]
    fn unit_counter_counts_each_unit() {
        // "é" is 2 bytes/1 char/1 unit; "😀" is 4 bytes/1 char/2 units.
        let text = "aé😀b";
        let mut c = UnitCounter::new(text);
        assert_eq!(c.span(0, 1), Span { start: 0, end: 1, char_start: 0, char_end: 1, utf16_start: 0, utf16_end: 1 });
        assert_eq!(c.span(3, 7), Span { start: 3, end: 7, char_start: 2, char_end: 3, utf16_start: 2, utf16_end: 4 });
        assert_eq!(c.span(7, 8), Span { start: 7, end: 8, char_start: 3, char_end: 4, utf16_start: 4, utf16_end: 5 });
        // going backwards counts back correctly
        assert_eq!(c.at(1), (1, 1));
        assert_eq!(c.at(7), (3, 4));
        assert_eq!(c.at(3), (2, 2));
        assert_eq!(c.at(0), (0, 0));
    }
}

#[cfg(test)]
mod grapheme_tests {
    use super::widen_to_graphemes;

    #[test]
    fn spans_widen_to_whole_clusters() {
        // (text, span in, span out)
        type Row<'a> = (&'a str, (usize, usize), (usize, usize));
        let rows: &[Row] = &[
            ("Iran", (0, 4), (0, 4)),
            // i + combining macron at the end of a name
            ("Soleimani\u{304} said", (0, 9), (0, 11)),
            // a decomposed letter opening the name
            ("x \u{301}Iran", (4, 8), (4, 8)),
            // ZWJ right after a name belongs to its last letter
            ("Iran\u{200d}\u{1f600}", (0, 4), (0, 7)),
            // an emoji with a skin tone before a name is its own cluster
            ("\u{1f44d}\u{1f3fd}Iran", (8, 12), (8, 12)),
            // Arabic number sign (Prepend) joins the letter after it
            ("\u{600}Iran", (2, 6), (0, 6)),
        ];
        for &(text, (start, end), want) in rows {
            assert_eq!(widen_to_graphemes(text, start, end), want, "{text:?}");
        }
    }
}
