//! Common English words that are also names in large catalogues: "May"
//! (a town), "Met", "In", "Is", "Split", "Reading". In running text they
//! are almost always the ordinary word, so a one-word alias that folds to
//! one of them, written by a lenient (non-strict) source, names something
//! only where the caller's text capitalises it: the dictionary build marks
//! such a claim a proper name, whatever the source's `names=` option
//! ([`crate::dictionary::NameCase`]), and a common word
//! ([`crate::dictionary::Claim::common_word`]), and the matcher checks the
//! capital, and that it does not merely open a sentence or a line ("In
//! Iran, ...": in a 1,000,000-entity catalogue, sentence-initial "In",
//! "A", "To", "But" were a quarter of the mentions in news) or belong to a
//! word in capitals ("TALKS IN NICE"). Curated sources decide case rules alias
//! by alias (`case = "sensitive"`), so they are left alone.
//!
//! The list: English function words, auxiliaries and the most frequent
//! short verbs, nouns and adjectives (folded, so lowercase ASCII); a word
//! belongs here when it is common in news *and* is a place or organisation
//! name somewhere. Cost: one binary search per one-word alias at build
//! time; nothing per document.

/// Sorted, folded.
const COMMON: &[&str] = &[
    "a", "about", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "back",
    "bad", "bath", "be", "because", "been", "before", "being", "best", "between", "big", "both", "but", "by", "call",
    "came", "can", "case", "come", "could", "day", "deal", "did", "do", "does", "done", "down", "each", "early", "end",
    "even", "ever", "every", "fair", "far", "few", "fine", "first", "for", "free", "from", "gap", "get", "give", "go",
    "good", "got", "great", "had", "has", "have", "he", "her", "here", "high", "him", "his", "home", "hope", "how",
    "i", "if", "in", "into", "is", "it", "its", "just", "keep", "kind", "last", "late", "lead", "less", "like",
    "little", "long", "low", "made", "make", "man", "many", "march", "may", "me", "mean", "met", "might", "mine",
    "more", "most", "much", "must", "my", "near", "new", "next", "nice", "no", "nor", "not", "now", "of", "off",
    "often", "old", "on", "once", "one", "only", "or", "other", "our", "out", "over", "own", "part", "per", "plain",
    "read", "reading", "real", "rest", "right", "said", "same", "say", "see", "set", "she", "should", "so", "some",
    "split", "still", "such", "sun", "take", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "through", "time", "to", "too", "under", "up", "upon", "us", "use", "used", "very", "was", "way",
    "we", "well", "were", "what", "when", "where", "which", "while", "who", "why", "will", "with", "would", "yet",
    "you", "your",
];

/// Whether the padded folded `key` (`" may "`) is one common word.
pub fn is_common_word_key(key: &str) -> bool {
    key.strip_prefix(' ')
        .and_then(|k| k.strip_suffix(' '))
        .is_some_and(|word| !word.contains(' ') && COMMON.binary_search(&word).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_folded() {
        assert!(COMMON.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        for word in COMMON {
            assert_eq!(crate::text::fold_key(word, crate::text::CaseMode::Fold), format!(" {word} "));
        }
    }

    #[test]
    fn keys_of_one_common_word() {
        for (key, common) in [(" may ", true), (" met ", true), (" in ", true), (" mays ", false), (" may day ", false)]
        {
            assert_eq!(is_common_word_key(key), common, "{key:?}");
        }
    }
}
