//! The folding implementation as it stood before the fast paths (commit
//! 1294caf), kept verbatim as the oracle that the property tests in
//! `super::tests` hold the fast implementation to: same text, same anchors,
//! same capitalised positions, for every input. Test-only; do not "fix" it
//! without fixing the fast path the same way.

use unicode_general_category::{GeneralCategory, get_general_category};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_segmentation::UnicodeSegmentation;

use super::offsets::Anchor;
use super::{CaseMode, Folded, PUNCT_MARK};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Word(char),
    Space,
    Punct,
}

/// Folds `text` into `out`, reusing its allocations (the hot path keeps one
/// `Folded` per worker thread).
pub(super) fn fold_into(text: &str, mode: CaseMode, out: &mut Folded) {
    out.text.clear();
    out.map.anchors.clear();
    out.capitalised.clear();
    let mut folder = Folder {
        out: &mut out.text,
        anchors: &mut out.map.anchors,
        capitalised: &mut out.capitalised,
        mode,
        clusters: Vec::new(),
    };
    folder.run(text);
}

/// How an ASCII byte folds.
#[derive(Clone, Copy)]
enum AsciiClass {
    /// Letter or digit (folded by the run copy in `Folder::run`).
    Word,
    Space,
    Punct,
    Apostrophe,
}

const ASCII: [AsciiClass; 128] = {
    let mut table = [AsciiClass::Punct; 128];
    let mut b = 0u8;
    while b < 128 {
        table[b as usize] = if b.is_ascii_alphanumeric() {
            AsciiClass::Word
        } else if b == b'\'' || b == b'`' {
            AsciiClass::Apostrophe
        } else if b <= b' ' || b == 0x7f || b == b'-' || b == b'_' {
            AsciiClass::Space
        } else {
            AsciiClass::Punct
        };
        b += 1;
    }
    table
};

/// Appends a soft separator: one space, unless the text already ends in one.
fn push_space(out: &mut String) {
    if !out.ends_with(' ') {
        out.push(' ');
    }
}

/// Appends a hard separator: `" | "`, merged with any separator before it.
fn push_punct(out: &mut String) {
    if out.ends_with("| ") {
        return;
    }
    if !out.ends_with(' ') {
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
    /// The grapheme-cluster boundaries of the text, from the segmenter.
    clusters: Vec<usize>,
}

impl Folder<'_> {
    fn run(&mut self, text: &str) {
        // Leading pad: one synthetic space with no original extent.
        self.out.push(' ');
        self.anchors.push(Anchor { norm: 0, norm_len: 1, orig: 0, orig_len: 0 });
        self.clusters = text.grapheme_indices(true).map(|(i, _)| i).chain([text.len()]).collect();
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b < 0x80 {
                match ASCII[b as usize] {
                    AsciiClass::Word => {
                        // A whole run of ASCII letters and digits at once:
                        // copied, then lowercased in place (one byte in, one
                        // out, so no anchor).
                        if b.is_ascii_uppercase() && self.out.ends_with(' ') {
                            self.capitalised.push(self.out.len() as u32);
                        }
                        let run = bytes[i..].iter().position(|c| !c.is_ascii_alphanumeric()).unwrap_or(bytes.len() - i);
                        let norm = self.out.len();
                        self.out.push_str(&text[i..i + run]);
                        if self.mode == CaseMode::Fold {
                            self.out[norm..].make_ascii_lowercase();
                        }
                        i += run;
                        continue;
                    }
                    AsciiClass::Space if b == b' ' && !self.out.ends_with(' ') => self.out.push(' '),
                    // A line feed opening a blank line: a paragraph break.
                    AsciiClass::Space
                        if b == b'\n'
                            && bytes[i + 1..].iter().find(|&&b| !matches!(b, b' ' | b'\t' | b'\r')) == Some(&b'\n') =>
                    {
                        self.separator(i, 1, push_punct)
                    }
                    AsciiClass::Space => self.separator(i, 1, push_space),
                    AsciiClass::Punct => self.separator(i, 1, push_punct),
                    AsciiClass::Apostrophe => self.apostrophe(text, i, 1),
                }
                i += 1;
                continue;
            }
            let c = text[i..].chars().next().expect("i is a char boundary below len");
            let len = c.len_utf8();
            if is_apostrophe(c) {
                self.apostrophe(text, i, len);
            } else if let Some(end) = self.glued_cluster(c, i) {
                self.glue(text, i, end);
                i = end;
                continue;
            } else {
                self.unicode_char(c, i, len);
            }
            i += len;
        }
        // Trailing pad, unless a separator already ended the text.
        if !self.out.ends_with(' ') {
            let norm = self.out.len() as u32;
            self.out.push(' ');
            self.anchors.push(Anchor { norm, norm_len: 1, orig: text.len() as u32, orig_len: 0 });
        }
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
        let after_letter = !self.out.ends_with(' ');
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

    fn unicode_char(&mut self, c: char, orig: usize, len: usize) {
        let norm = self.out.len();
        let mut pieces = Vec::new();
        expand(c, self.mode, &mut |piece| pieces.push(piece));
        let word = pieces.iter().any(|p| matches!(p, Piece::Word(_)));
        // The cluster rule (added with the fast path's, for bugs
        // ypogegrammeni-word and prepend-letter), on the segmenter itself.
        let one_cluster = |pair: String| pair.graphemes(true).count() == 1;
        if word && one_cluster(format!("a{c}")) && self.out.ends_with(' ') {
            self.anchor(norm, 0, orig, len);
            return;
        }
        if self.out.ends_with(' ') && c.is_uppercase() {
            self.capitalised.push(norm as u32);
        }
        for piece in pieces {
            match piece {
                Piece::Word(w) => self.out.push(w),
                Piece::Space => push_space(self.out),
                Piece::Punct => push_punct(self.out),
            }
        }
        // One character of the same UTF-8 length keeps the byte-for-byte
        // correspondence; any other shape needs an anchor.
        let produced = &self.out[norm..];
        let same_shape = produced.len() == len && produced.chars().nth(1).is_none();
        if !same_shape {
            self.anchor(norm, produced.len(), orig, len);
        }
    }

    /// The cluster rule for separators, on the segmenter itself: `c` at
    /// `orig` folds to a separator inside the grapheme cluster of the word
    /// the output ends in. Returns where that cluster ends.
    fn glued_cluster(&self, c: char, orig: usize) -> Option<usize> {
        let mut separator = false;
        expand(c, self.mode, &mut |piece| separator |= !matches!(piece, Piece::Word(_)));
        if !separator || self.out.ends_with(' ') || self.clusters.binary_search(&orig).is_ok() {
            return None;
        }
        self.clusters.iter().copied().find(|&end| end > orig)
    }

    /// Folds the rest of a cluster, `text[start..end]`, dropping every
    /// separator before its last letter.
    fn glue(&mut self, text: &str, start: usize, end: usize) {
        let per_char: Vec<(usize, char, Vec<Piece>)> = text[start..end]
            .char_indices()
            .map(|(at, c)| {
                let mut pieces = Vec::new();
                expand(c, self.mode, &mut |piece| pieces.push(piece));
                (start + at, c, pieces)
            })
            .collect();
        let flat: Vec<Piece> = per_char.iter().flat_map(|(_, _, p)| p.iter().copied()).collect();
        let last_word = flat.iter().rposition(|p| matches!(p, Piece::Word(_)));
        let mut index = 0;
        for (orig, c, pieces) in per_char {
            let norm = self.out.len();
            for piece in pieces {
                match piece {
                    Piece::Word(w) => self.out.push(w),
                    _ if last_word.is_some_and(|last| index < last) => {}
                    Piece::Space => push_space(self.out),
                    Piece::Punct => push_punct(self.out),
                }
                index += 1;
            }
            let produced = &self.out[norm..];
            if !(produced.len() == c.len_utf8() && produced.chars().nth(1).is_none()) {
                self.anchor(norm, produced.len(), orig, c.len_utf8());
            }
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
fn is_modifier_apostrophe(c: char) -> bool {
    matches!(c, '\u{02BB}' | '\u{02BC}' | '\u{02BD}' | '\u{02BE}' | '\u{02BF}')
}

/// `rest` (the text after an apostrophe) is `s` then a non-letter or end.
fn is_possessive(rest: &str) -> bool {
    let mut chars = rest.chars();
    matches!(chars.next(), Some('s' | 'S')) && !chars.next().is_some_and(char::is_alphanumeric)
}

// ---- stages.rs ----

/// Every apostrophe and single-quote variant that real text uses in
/// transliterated names: ASCII, typographic, modifier letters (which Unicode
/// classes as letters, hence this explicit list), ayn/hamza half rings,
/// acute and prime.
fn is_apostrophe(c: char) -> bool {
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
fn expand(c: char, mode: CaseMode, emit: &mut impl FnMut(Piece)) {
    decompose_compatible(c, |d| match mode {
        CaseMode::Preserve => classify(d, emit),
        CaseMode::Fold => {
            for folded in caseless::Caseless::default_case_fold(std::iter::once(d)) {
                decompose_compatible(folded, |e| classify(e, emit));
            }
        }
    });
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
/// written across.
fn is_soft_separator(c: char) -> bool {
    use GeneralCategory::*;
    // A paragraph separator is hard: no name runs across paragraphs.
    c != '\u{2029}'
        && (c.is_whitespace()
            || matches!(
                get_general_category(c),
                SpaceSeparator | LineSeparator | Control | DashPunctuation | ConnectorPunctuation
            ))
}

/// Stage 3: characters that carry no identity for matching.
fn is_dropped(c: char) -> bool {
    if c.is_ascii() {
        return false;
    }
    c == '\u{0640}' // Arabic tatweel (kashida): pure elongation
        || is_combining_mark(c)
        || get_general_category(c) == GeneralCategory::Format
}

/// Stage 4: one letter for each family of Arabic/Persian spellings that
/// writers use interchangeably, and ASCII for Arabic-Indic digits.
fn fold_script(c: char) -> char {
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
