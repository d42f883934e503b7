//! The per-character stages of folding, each small and testable alone.
//!
//! A character of the caller's text becomes zero or more [`Piece`]s:
//!
//! 1. **compatibility decomposition** (NFKD): ligatures, full-width and
//!    presentation forms, NBSP and other compatibility spaces become their
//!    plain equivalents; precomposed letters split into base + marks;
//! 2. **full case folding** (Unicode `CaseFolding.txt`, C+F), then NFKD again
//!    because a folded character may decompose (`İ` folds to `i` + U+0307);
//! 3. **mark and format removal**: combining marks (accents, Arabic tashkeel,
//!    hamza above and below), format characters (ZWNJ, ZWJ, soft hyphen, bidi
//!    controls) and the Arabic tatweel are dropped;
//! 4. **script folding**: Arabic and Persian letter variants become one letter
//!    (alef forms, alef maqsura and Persian yeh, ta marbuta, Persian kaf) and
//!    Arabic-Indic digits become ASCII digits;
//! 5. **separator classing**: anything that is not a letter or digit
//!    separates words. Whitespace of any kind, controls, hyphens, dashes and
//!    underscores are *soft* ([`Piece::Space`]): a name may be written across
//!    them ("Al-Wadiah", "Al Wadiah"). Every other punctuation mark and symbol
//!    is *hard* ([`Piece::Punct`]): a name never runs across a comma, a
//!    bracket or a full stop ("killed Qassem Soleimani. Forces loyal to him"
//!    holds no mention of the Qassem Soleimani Forces).
//!
//! Apostrophes are not handled here: whether one joins a word (`Kata'ib`) or
//! splits it (`Hezbollah's`) depends on its neighbours, so [`super::fold`]
//! decides with [`is_apostrophe`].
//!
//! # Cost
//!
//! [`expand`] walks NFKD, case folding, NFKD again and general-category
//! lookups through iterators: about 0.1–0.5 µs a character, which made
//! non-ASCII text fold at ~50 MB/s. [`folding`] therefore serves every BMP
//! character from a table of its pieces, built one 256-character page at a
//! time on the first use of a page (≤ ~0.1 ms each) and shared, immutable,
//! by every thread: at most 2 × 256 pages of 4 KiB (both case modes), and in
//! practice the handful a script uses. Characters outside the BMP (emoji,
//! mathematical letters) are rare enough to run [`expand`] each time.

use std::sync::OnceLock;

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_segmentation::GraphemeCursor;

/// What one stage produces for a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// A letter or digit to emit.
    Word(char),
    /// A soft word separator (space, hyphen, dash).
    Space,
    /// A hard separator (punctuation, symbol) that names do not cross.
    Punct,
}

/// Whether folding applies case folding (matching) or keeps case (checking a
/// case-sensitive alias against the caller's exact capitalisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseMode {
    Fold,
    Preserve,
}

/// Every apostrophe and single-quote variant that real text uses in
/// transliterated names: ASCII, typographic, modifier letters (which Unicode
/// classes as letters, hence this explicit list), ayn/hamza half rings,
/// acute and prime.
pub fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '`'
            | '\u{2018}' // ‘
            | '\u{2019}' // ’
            | '\u{201B}' // ‛
            | '\u{02BC}' // ʼ
            | '\u{02BB}' // ʻ
            | '\u{02BD}' // ʽ
            | '\u{02BE}' // ʾ (hamza)
            | '\u{02BF}' // ʿ (ayn)
            | '\u{00B4}' // ´
            | '\u{2032}' // ′
            | '\u{FF07}' // full-width '
    )
}

/// Runs stages 1–5 on one character, calling `emit` for each piece.
pub fn expand(c: char, mode: CaseMode, emit: &mut impl FnMut(Piece)) {
    decompose_compatible(c, |d| match mode {
        CaseMode::Preserve => classify(d, emit),
        CaseMode::Fold => {
            for folded in caseless::Caseless::default_case_fold(std::iter::once(d)) {
                decompose_compatible(folded, |e| classify(e, emit));
            }
        }
    });
}

/// The most pieces a [`Folding`] holds: enough for `ß` -> `ss`, `ﬃ` and `…`;
/// longer expansions (the Arabic ligatures `ﷺ`, `ﷻ`, `﷽`, `㍱`-style squares)
/// are rare and run [`expand`] again.
const MAX_PIECES: usize = 3;

/// One character's stage 1–5 output, with the two facts about the character
/// itself that folding asks next to it.
#[derive(Debug, Clone, Copy)]
pub struct Folding {
    pieces: [Piece; MAX_PIECES],
    /// Pieces used; `u8::MAX` when they did not fit.
    len: u8,
    /// `char::is_uppercase`: a capital opening a word marks it capitalised.
    pub upper: bool,
    /// [`is_apostrophe`]: folding decides such a character by its context.
    pub apostrophe: bool,
    /// The character folds to a letter or digit and [`extends_cluster`]: a
    /// letter that belongs to the grapheme cluster before it (U+0345, which
    /// case-folds to `ι`; Thai SARA AM). Folding's cluster rule.
    pub extending_letter: bool,
    /// [`is_prepended`]: the character belongs to the grapheme cluster
    /// after it (U+0600, U+0D4E), so the next character continues its
    /// cluster. Folding's cluster rule.
    pub prepended: bool,
    /// The character may continue the grapheme cluster before it: it
    /// [`extends_cluster`], or it is pictographic and so may follow a
    /// joiner in an emoji sequence (rule GB11, [`is_pictographic`]). A
    /// prefilter: folding asks the segmenter only about such characters.
    pub clings: bool,
    /// Some piece is a separator ([`Piece::Space`] or [`Piece::Punct`]).
    pub separator: bool,
}

impl Folding {
    const EMPTY: Folding = Folding {
        pieces: [Piece::Space; MAX_PIECES],
        len: 0,
        upper: false,
        apostrophe: false,
        extending_letter: false,
        prepended: false,
        clings: false,
        separator: false,
    };

    fn of(c: char, mode: CaseMode) -> Folding {
        let mut folding = Folding { upper: c.is_uppercase(), apostrophe: is_apostrophe(c), ..Folding::EMPTY };
        let mut word = false;
        let mut separator = false;
        expand(c, mode, &mut |piece| {
            word |= matches!(piece, Piece::Word(_));
            separator |= !matches!(piece, Piece::Word(_));
            match folding.pieces.get_mut(usize::from(folding.len)) {
                Some(slot) => {
                    *slot = piece;
                    folding.len += 1;
                }
                None => folding.len = u8::MAX,
            }
        });
        // ASCII never reaches this table's cluster flags (folding's fast
        // path handles it), and the three segmenter questions are asked
        // once per character, when its page is first filled.
        let extends = extends_cluster(c);
        folding.extending_letter = word && extends;
        folding.prepended = is_prepended(c);
        folding.separator = separator;
        folding.clings = extends || is_pictographic(c);
        folding
    }

    /// The pieces, or `None` when there were more than fit (run [`expand`]).
    pub fn pieces(&self) -> Option<&[Piece]> {
        self.pieces.get(..usize::from(self.len))
    }
}

/// A 256-character block of the BMP, for one case mode.
type Page = [Folding; 256];

/// `[mode][code point >> 8]`, each filled on first use.
static PAGES: [[OnceLock<Box<Page>>; 256]; 2] = [const { [const { OnceLock::new() }; 256] }; 2];

/// What [`expand`] gives for `c`, plus [`Folding::upper`] and
/// [`Folding::apostrophe`]; from the shared page table for the BMP (see the
/// module's "Cost").
pub fn folding(c: char, mode: CaseMode) -> Folding {
    let cp = c as u32;
    if cp > 0xFFFF {
        return Folding::of(c, mode);
    }
    let page = PAGES[mode as usize][(cp >> 8) as usize].get_or_init(|| {
        let mut page = Box::new([Folding::EMPTY; 256]);
        for (low, slot) in (0u32..).zip(page.iter_mut()) {
            // Surrogates are not chars and are never looked up.
            if let Some(c) = char::from_u32(cp & !0xFF | low) {
                *slot = Folding::of(c, mode);
            }
        }
        page
    });
    page[(cp & 0xFF) as usize]
}

/// `c` joins the grapheme cluster of the character before it (Unicode
/// Grapheme_Cluster_Break Extend, ZWJ or SpacingMark: rules GB9 and GB9a),
/// asked of the segmenter that [`super::offsets::widen_to_graphemes`]
/// widens spans with, so that the two agree.
pub fn extends_cluster(c: char) -> bool {
    let mut buf = [b'a'; 5];
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    let pair = std::str::from_utf8(&buf[..len]).expect("an ASCII letter and a char are UTF-8");
    GraphemeCursor::new(1, len, true).is_boundary(pair, 0) == Ok(false)
}

/// `c` joins the grapheme cluster of the character after it (Unicode
/// Grapheme_Cluster_Break Prepend, rule GB9b: U+0600, U+0D4E, U+110BD).
pub fn is_prepended(c: char) -> bool {
    let mut buf = [b'a'; 5];
    let at = c.encode_utf8(&mut buf).len();
    let pair = std::str::from_utf8(&buf[..at + 1]).expect("a char and an ASCII letter are UTF-8");
    GraphemeCursor::new(at, at + 1, true).is_boundary(pair, 0) == Ok(false)
}

/// `c` is Extended_Pictographic: an emoji sequence `c` ZWJ `x` (rule GB11)
/// is one grapheme cluster. `™` and `ℹ` are, and fold to letters.
pub fn is_pictographic(c: char) -> bool {
    let mut buf = [0u8; 12];
    let at = c.encode_utf8(&mut buf).len();
    let tail = "\u{200d}\u{1f600}";
    buf[at..at + tail.len()].copy_from_slice(tail.as_bytes());
    let seq = std::str::from_utf8(&buf[..at + tail.len()]).expect("chars are UTF-8");
    GraphemeCursor::new(at + 3, seq.len(), true).is_boundary(seq, 0) == Ok(false)
}

/// Stages 3–5 for one already-decomposed character.
fn classify(c: char, emit: &mut impl FnMut(Piece)) {
    if is_dropped(c) {
        return;
    }
    if c.is_alphanumeric() {
        emit(Piece::Word(fold_script(c)));
    } else if is_soft_separator(c) {
        emit(Piece::Space);
    } else {
        emit(Piece::Punct);
    }
}

/// Whitespace, controls, hyphens, dashes and connectors: what a name may be
/// written across. Not U+2029 PARAGRAPH SEPARATOR: no name runs across
/// paragraphs (nor across a blank line, `super::blank_line_follows`).
pub fn is_soft_separator(c: char) -> bool {
    use GeneralCategory::*;
    c != '\u{2029}'
        && (c.is_whitespace()
            || matches!(
                get_general_category(c),
                SpaceSeparator | LineSeparator | Control | DashPunctuation | ConnectorPunctuation
            ))
}

/// Stage 3: characters that carry no identity for matching.
pub fn is_dropped(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    c == '\u{0640}' // Arabic tatweel (kashida): pure elongation
        || is_combining_mark(c)
        || get_general_category(c) == GeneralCategory::Format
}

/// Stage 4: one letter for each family of Arabic/Persian spellings that
/// writers use interchangeably, and ASCII for Arabic-Indic digits.
pub fn fold_script(c: char) -> char {
    match c {
        // alef wasla and the hamza-carrying alefs NFKD does not split
        '\u{0671}' | '\u{0672}' | '\u{0673}' | '\u{0675}' => '\u{0627}',
        // alef maqsura, Persian yeh, Urdu yeh barree -> yeh
        '\u{0649}' | '\u{06CC}' | '\u{06D2}' => '\u{064A}',
        // ta marbuta, Persian heh forms -> heh
        '\u{0629}' | '\u{06D5}' | '\u{06C1}' => '\u{0647}',
        // Persian and swash kaf -> kaf
        '\u{06A9}' | '\u{06AA}' => '\u{0643}',
        // Arabic-Indic and extended (Persian) digits -> ASCII
        '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(c: char, mode: CaseMode) -> String {
        let mut s = String::new();
        expand(c, mode, &mut |p| match p {
            Piece::Word(w) => s.push(w),
            Piece::Space => s.push('_'),
            Piece::Punct => s.push('|'),
        });
        s
    }

    #[test]
    fn each_stage_alone() {
        let rows: &[(&str, char, CaseMode, &str)] = &[
            ("ascii upper folds", 'Q', CaseMode::Fold, "q"),
            ("ascii upper kept", 'Q', CaseMode::Preserve, "Q"),
            ("accent dropped", 'é', CaseMode::Fold, "e"),
            ("dot below dropped", 'Ḥ', CaseMode::Fold, "h"),
            ("macron dropped, case kept", 'Ā', CaseMode::Preserve, "A"),
            ("sharp s full fold", 'ß', CaseMode::Fold, "ss"),
            ("capital dotted I folds to i", 'İ', CaseMode::Fold, "i"),
            ("final sigma folds to sigma", 'ς', CaseMode::Fold, "σ"),
            ("ligature decomposes", 'ﬁ', CaseMode::Fold, "fi"),
            ("full-width letter", 'Ｑ', CaseMode::Fold, "q"),
            ("nbsp is separator", '\u{00A0}', CaseMode::Fold, "_"),
            ("em dash is separator", '—', CaseMode::Fold, "_"),
            ("non-breaking hyphen", '\u{2011}', CaseMode::Fold, "_"),
            ("line separator", '\u{2028}', CaseMode::Fold, "_"),
            ("zwnj dropped", '\u{200C}', CaseMode::Fold, ""),
            ("soft hyphen dropped", '\u{00AD}', CaseMode::Fold, ""),
            ("tatweel dropped", 'ـ', CaseMode::Fold, ""),
            ("fatha dropped", '\u{064E}', CaseMode::Fold, ""),
            ("alef hamza above", 'أ', CaseMode::Fold, "ا"),
            ("alef hamza below", 'إ', CaseMode::Fold, "ا"),
            ("alef madda", 'آ', CaseMode::Fold, "ا"),
            ("alef wasla", 'ٱ', CaseMode::Fold, "ا"),
            ("alef maqsura", 'ى', CaseMode::Fold, "ي"),
            ("persian yeh", 'ی', CaseMode::Fold, "ي"),
            ("ta marbuta", 'ة', CaseMode::Fold, "ه"),
            ("persian kaf", 'ک', CaseMode::Fold, "ك"),
            ("waw hamza", 'ؤ', CaseMode::Fold, "و"),
            ("arabic-indic digit", '٣', CaseMode::Fold, "3"),
            ("persian digit", '۷', CaseMode::Fold, "7"),
            ("arabic presentation form", 'ﻻ', CaseMode::Fold, "لا"),
            ("comma is hard", ',', CaseMode::Fold, "|"),
            ("bracket is hard", ')', CaseMode::Fold, "|"),
            ("curly double quote is hard", '“', CaseMode::Fold, "|"),
            ("arabic comma is hard", '،', CaseMode::Fold, "|"),
            ("ellipsis is three stops", '…', CaseMode::Fold, "|||"),
            ("underscore is soft", '_', CaseMode::Fold, "_"),
        ];
        for (name, c, mode, want) in rows {
            assert_eq!(pieces(*c, *mode), *want, "{name}: {c:?}");
        }
    }

    #[test]
    fn cached_folding_is_expand() {
        let rows = ['a', 'é', 'ß', 'İ', 'ﬃ', '…', '\u{200C}', '’', 'ﷺ', 'Ｑ', '😀', '𝐀'];
        for c in rows {
            for mode in [CaseMode::Fold, CaseMode::Preserve] {
                let mut want = Vec::new();
                expand(c, mode, &mut |p| want.push(p));
                let folding = folding(c, mode);
                assert_eq!(folding.pieces().map(<[Piece]>::to_vec).unwrap_or_else(|| want.clone()), want, "{c:?}");
                assert_eq!(folding.pieces().is_none(), want.len() > MAX_PIECES, "{c:?}");
                assert_eq!((folding.upper, folding.apostrophe), (c.is_uppercase(), is_apostrophe(c)), "{c:?}");
            }
        }
    }

    #[test]
    fn apostrophe_variants() {
        for c in ['\'', '’', '‘', '`', 'ʼ', 'ʻ', 'ʿ', 'ʾ', '´'] {
            assert!(is_apostrophe(c), "{c:?}");
        }
        for c in ['"', '“', '-', 'a'] {
            assert!(!is_apostrophe(c), "{c:?}");
        }
    }
}
