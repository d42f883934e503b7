//! Romanisation skeletons: one key for the regular spelling variants of a
//! transliterated name, so that "Qasim Suleimani", "Ghassem Soleymani" and
//! "Qassem Soleimani" meet without each being listed.
//!
//! # Rules (per folded Latin word)
//!
//! - articles `al el ul as ash ad ar at az an ez es` are one article (`al`):
//!   Arabic sun-letter assimilation ("Jurf as-Sakhar") and French-style
//!   transcription ("el-Houthi"); `bin`/`ibn` are one word;
//! - `q`, `gh` and `k` are one letter (Qasem/Ghasem, Iraq/Irak); `ph`, `th`,
//!   `dh` are `f`, `t`, `d`; `v` is `w` (Persian/Arabic v~w);
//! - doubled letters are single (Qassem/Qasem, Nasrallah/Nasralah);
//! - vowels (`a e i o u`, `y` between a vowel and a consonant, and a final
//!   `y` after a single consonant: "Houthy", "Fathy", not "Kenny") collapse
//!   run by run: the word's *first* vowel run keeps one bit, back (`o`/`u`)
//!   or not, every later run is just "a vowel". So Soleimani, Suleimani,
//!   Sulaimani and Soleymani meet, and so do Hezbollah, Hizballah and
//!   Hizbullah, while Hassan and Hussein, Omar and Amer stay apart;
//! - a final `h` after a vowel is silent (Saada/Sadah, Mughniyeh/Mughniya);
//! - an unstressed vowel before a single final consonant is dropped when the
//!   word has another vowel (Hashed/Hashd/Haashid, Ahmed/Ahmad).
//!
//! # Guards
//!
//! A skeleton this lossy would merge short words ("Amir"/"Omar"), so
//! [`skeleton_key`] refuses keys with fewer than [`MIN_SINGLE_WORD`]
//! letters for one word, or [`MIN_MULTI_WORD`] letters over several, and
//! keys with any non-Latin word (Arabic script is unified by folding
//! already). The matcher adds its own guards (capitalised words only; a
//! key two entities share is dropped).

/// Fewest skeleton letters for a one-word key.
pub const MIN_SINGLE_WORD: usize = 6;
/// Fewest skeleton letters, articles excluded, for a multi-word key.
pub const MIN_MULTI_WORD: usize = 8;

/// The skeleton of a folded key (`" qassem soleimani "`), padded like the
/// key, or `None` when the key is too short or not Latin.
pub fn skeleton_key(folded_key: &str) -> Option<String> {
    let mut out = String::with_capacity(folded_key.len());
    out.push(' ');
    let mut letters = 0;
    let mut words = 0;
    for word in folded_key.split(' ').filter(|w| !w.is_empty()) {
        let before = out.len();
        if !skeleton_word(word, &mut out) {
            return None;
        }
        if !is_particle_skeleton(&out[before..]) {
            letters += out.len() - before;
        }
        out.push(' ');
        words += 1;
    }
    let long_enough = match words {
        0 => false,
        1 => letters >= MIN_SINGLE_WORD,
        _ => letters >= MIN_MULTI_WORD,
    };
    long_enough.then_some(out)
}

fn is_particle_skeleton(skeleton: &str) -> bool {
    skeleton == "al" || skeleton == "bin"
}

/// The Arabic article in its transcriptions (folded): `al`, French-style
/// `el`, and the sun-letter assimilations (`as-Sakhar`, `ash-Sham`).
pub fn is_article(folded_word: &str) -> bool {
    matches!(folded_word, "al" | "el" | "ul" | "as" | "ash" | "ad" | "ar" | "at" | "az" | "an" | "ez" | "es")
}

/// Every word [`is_particle`] accepts, for callers that need the list.
pub const PARTICLES: &[&str] = &[
    "al", "el", "ul", "as", "ash", "ad", "ar", "at", "az", "an", "ez", "es", "bin", "ibn", "bint", "abu", "abou", "of",
    "the", "in", "and", "for", "wa", "de",
];

/// Words that join the capitalised words of a name in running text ("Asaib
/// Ahl al-Haq", "Party of God", "Islamic Resistance in Iraq"); at most four
/// bytes each ([`PARTICLES`]).
pub fn is_particle(folded_word: &str) -> bool {
    matches!(
        folded_word,
        "al" | "el"
            | "ul"
            | "as"
            | "ash"
            | "ad"
            | "ar"
            | "at"
            | "az"
            | "an"
            | "ez"
            | "es"
            | "bin"
            | "ibn"
            | "bint"
            | "abu"
            | "abou"
            | "of"
            | "the"
            | "in"
            | "and"
            | "for"
            | "wa"
            | "de"
    )
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Appends the skeleton of one folded word; `false` if it is not a word of
/// ASCII lowercase letters (digits, Arabic script, `|`).
pub fn skeleton_word(word: &str, out: &mut String) -> bool {
    let bytes = word.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_lowercase) {
        return false;
    }
    if is_article(word) {
        out.push_str("al");
        return true;
    }
    match word {
        "bin" | "ibn" | "bn" => {
            out.push_str("bin");
            return true;
        }
        _ => {}
    }

    // One pass, no buffer: each letter becomes its class (consonants
    // mapped, vowels marked), and classes collapse as they are appended.
    // This runs for every capitalised word of a document.
    let tail = out.len();
    let mut last: Option<u8> = None; // last class appended for this word
    let mut appended = 0;
    let mut vowel_runs = 0;
    let mut seen_vowel_run = false;
    let mut in_vowel_run = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        let (class, width) = match (b, next) {
            (b'g', Some(b'h')) => (b'k', 2),
            (b'p', Some(b'h')) => (b'f', 2),
            (b't', Some(b'h')) => (b't', 2),
            (b'd', Some(b'h')) => (b'd', 2),
            (b'q', _) => (b'k', 1),
            (b'v', _) => (b'w', 1),
            // y is a vowel between a vowel and a consonant or the end
            // ("Soleymani", "Husayn"), a consonant elsewhere ("Yemen", "Yahya").
            (b'y', _) if i > 0 && is_vowel(bytes[i - 1]) && !next.is_some_and(is_vowel) => (b'*', 1),
            // A final y after a single consonant is the final i of English
            // and Egyptian romanisation ("al-Houthy", "Fathy", "Hamdy"); after
            // a doubled one it is an English name's ("Kenny", "Harry"), which
            // would otherwise meet "Ghani" or "Hari".
            (b'y', None) if i > 0 && !(i >= 2 && bytes[i - 1] == bytes[i - 2]) => (b'a', 1),
            (v, _) if is_vowel(v) => (if matches!(v, b'o' | b'u') { b'u' } else { b'a' }, 1),
            (c, _) => (c, 1),
        };
        i += width;
        // Collapse: doubled consonants; vowel runs (first keeps back/front).
        let push = if matches!(class, b'a' | b'u' | b'*') {
            let first_of_run = !in_vowel_run;
            in_vowel_run = true;
            if !first_of_run {
                continue;
            }
            let vowel = if !seen_vowel_run && class == b'u' { b'u' } else { b'a' };
            seen_vowel_run = true;
            vowel_runs += 1;
            vowel
        } else {
            in_vowel_run = false;
            if last == Some(class) {
                continue;
            }
            class
        };
        out.push(char::from(push));
        last = Some(push);
        appended += 1;
    }
    // Silent final h after a vowel.
    if appended >= 3 && last == Some(b'h') && is_vowel_class(out.as_bytes()[out.len() - 2]) {
        out.pop();
        appended -= 1;
    }
    // Unstressed vowel before one final consonant, when another vowel exists.
    let word = &out.as_bytes()[tail..];
    let n = appended;
    if n >= 3 && vowel_runs >= 2 && !is_vowel_class(word[n - 1]) && is_vowel_class(word[n - 2]) {
        out.remove(tail + n - 2);
    }
    true
}

fn is_vowel_class(b: u8) -> bool {
    b == b'a' || b == b'u'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> String {
        let mut out = String::new();
        assert!(skeleton_word(w, &mut out), "{w}");
        out
    }

    /// `PARTICLES` is exactly what `is_particle` accepts: every entry, and
    /// no other word of up to four lowercase letters.
    #[test]
    fn particle_list_is_complete() {
        assert!(PARTICLES.iter().all(|p| is_particle(p) && p.len() <= 4));
        let letters = b'a'..=b'z';
        let mut word = String::new();
        for a in letters.clone() {
            for b in letters.clone() {
                for c in std::iter::once(None).chain(letters.clone().map(Some)) {
                    word.clear();
                    word.extend([a as char, b as char]);
                    word.extend(c.map(char::from));
                    assert_eq!(is_particle(&word), PARTICLES.contains(&word.as_str()), "{word}");
                }
            }
        }
        for four in ["bint", "abou"] {
            assert!(is_particle(four));
        }
    }

    #[test]
    fn variants_meet() {
        let groups: &[&[&str]] = &[
            &["qassem", "qasem", "qassim", "qasim", "ghasem", "ghassem"],
            &["soleimani", "suleimani", "sulaimani", "soleymani"],
            &["hezbollah", "hizballah", "hizbullah", "hezballah", "hizbollah"],
            &["kataib", "kataeb"],
            &["hashd", "hashed", "haashid"],
            &["shaabi", "shabi"],
            &["fatemiyoun", "fatemiyun", "fatimiyoun"],
            &["mohammed", "muhammad", "mohammad", "mohamed"],
            &["muhandis", "mohandes", "mohandis"],
            &["houthi", "huthi", "houthy"],
            &["fathi", "fathy"],
            &["hamdi", "hamdy"],
            &["esmail", "ismail", "esmaeil"],
            &["zainabiyoun", "zeinabiyoun", "zaynabiyun"],
            &["nasrallah", "nasrullah"],
            &["saada", "sadah", "saadah"],
            &["iraq", "irak"],
        ];
        for group in groups {
            let first = word(group[0]);
            for w in &group[1..] {
                assert_eq!(word(w), first, "{w} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn distinct_names_stay_apart() {
        let pairs = [
            ("hassan", "hussein"),
            ("omar", "amer"),
            ("hamas", "homes"),
            ("ali", "ola"),
            ("bashar", "basher_"),
            ("ghani", "kenny"),
        ];
        for (a, b) in pairs {
            let mut sb = String::new();
            if skeleton_word(b, &mut sb) {
                assert_ne!(word(a), sb, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn articles_meet() {
        assert_eq!(skeleton_key(" jurf as sakhar "), skeleton_key(" jurf al sakhar "));
        assert_eq!(skeleton_key(" abu mahdi el muhandis "), skeleton_key(" abu mahdi al mohandes "));
    }

    #[test]
    fn guards_refuse_short_and_non_latin_keys() {
        assert_eq!(skeleton_key(" iran "), None);
        assert_eq!(skeleton_key(" hamas "), None);
        assert_eq!(skeleton_key(" حزب الله "), None);
        assert_eq!(skeleton_key(" brigade 313 "), None);
        assert!(skeleton_key(" hezbollah ").is_some());
        assert!(skeleton_key(" kataib hezbollah ").is_some());
        assert_eq!(skeleton_key(" al qaim "), None, "one real word of 3 letters");
    }
}
