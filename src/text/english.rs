//! Ordinary English words: 63,875 lower-case words (inflections included)
//! from SCOWL's size-50 American English list, as Debian's `wamerican`
//! ships it (`/usr/share/dict/american-english`; its copyright and
//! permission notice in `english-words.COPYRIGHT`, beside the list). Only
//! the entries written in lower case, so proper names ("Jordan",
//! "Pakistani") are not in it.
//!
//! What it is for: a romanisation variant (matcher rule 10) reads a
//! capitalised run of the text as another spelling of a name. Where every
//! word of the run is an ordinary English word ("Therefore", "Example",
//! "Several" at the start of a sentence), it is that word, not a
//! transliteration: with a 1,000,000-entity catalogue, such runs were the
//! most frequent variants in news ("Therefore" as the place "tarafaru", 91
//! times in 500 documents).
//!
//! # Invariants
//!
//! The list is sorted in byte order, one word per line, each of ASCII
//! lower-case letters (checked by a test), so it is searched in place.
//!
//! # Cost
//!
//! 590 KB of read-only data in the binary, nothing on the heap; a lookup is
//! a binary search over the text (about 16 steps, each a short line
//! compare).

const WORDS: &str = include_str!("english-words.txt");

/// Whether `word` (folded: lower-case ASCII) is an ordinary English word.
pub fn is_english_word(word: &str) -> bool {
    let list = WORDS.as_bytes();
    let word = word.as_bytes();
    // Binary search over byte positions: each probe backs up to the start
    // of the line it falls in.
    let (mut lo, mut hi) = (0, list.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = list[..mid].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1).max(lo);
        let end = list[start..].iter().position(|&b| b == b'\n').map_or(list.len(), |i| start + i);
        match list[start..end].cmp(word) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_lowercase_ascii() {
        let words: Vec<&str> = WORDS.lines().collect();
        assert!(words.len() > 60_000);
        assert!(words.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert!(words.iter().all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())));
    }

    #[test]
    fn every_word_is_found_and_nothing_else() {
        let all: std::collections::HashSet<&str> = WORDS.lines().collect();
        for word in WORDS.lines() {
            assert!(is_english_word(word), "{word}");
            for other in [format!("{word}x"), format!("x{word}"), word[..word.len() - 1].to_owned()] {
                assert_eq!(is_english_word(&other), all.contains(other.as_str()), "{other}");
            }
        }
    }

    #[test]
    fn words_and_names() {
        for word in ["therefore", "example", "several", "a", "zygote", "force"] {
            assert!(is_english_word(word), "{word}");
        }
        for name in ["hezbollah", "hizballah", "quds", "soleimani", "jordanian", "", "zzzz", "Force"] {
            assert!(!is_english_word(name), "{name}");
        }
    }
}
