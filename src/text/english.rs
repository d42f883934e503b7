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
//! lower-case letters (checked by a test).
//!
//! # Cost
//!
//! 590 KB of read-only data in the binary; on first use, a hash set over
//! it (about 1.3 MB of heap, a few milliseconds). A lookup is one hash and
//! one probe: the matcher asks for each word of a capitalised run it
//! would otherwise reduce to skeletons.

use std::sync::LazyLock;

const WORDS: &str = include_str!("english-words.txt");

static SET: LazyLock<foldhash::HashSet<&'static str>> = LazyLock::new(|| WORDS.lines().collect());

/// Whether `word` (folded: lower-case ASCII) is an ordinary English word.
pub fn is_english_word(word: &str) -> bool {
    SET.contains(word)
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
