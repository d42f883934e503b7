//! After stage 4 of [`super::extract`]: generic nouns after a name (rule
//! 14). The guidelines keep a trailing generic noun out of a name's span
//! ("the [Houthi] movement", "the [Hashd] commission"), but a dictionary
//! may list the longer form as an alias ("Houthi movement") and the scan
//! takes the longest alias. So a mention whose last word is written in
//! lower case and is one of [`GENERIC_TAILS`] ends before that word when
//! the words before it are an alias of the same entity (checked like any
//! alias: its case rule, extractable). Capitalised, the noun is part of the
//! name ("Amal Movement"), as rule 6 has it for place descriptors.
//!
//! The same holds for a place descriptor (rule 6: "Air Base", "Province")
//! before linking: an alias that ends in one is found only where the text
//! capitalises it, and where the text writes the descriptor in lower case
//! after a head that is no alias of its own ("at al-Asad air base", where
//! "Al Asad Air Base" is the alias), the head alone names the place
//! ([`recover_heads`]). Where the head is another entity's name alone
//! ("Fatah", the Palestinian movement; "Karbala", the city), the
//! descriptor decides it: "the Fatah coalition" is Iraq's Fatah Alliance
//! ("Fatah Coalition"), "Karbala province" the governorate.
//!
//! # Cost
//!
//! One word comparison per mention; a fold and a lookup only for a mention
//! that ends in a lower-case generic noun. For the descriptors, a word
//! comparison per word after each capitalised word the scan left
//! uncovered, and a lookup only where a lower-case descriptor follows.

use super::candidates::{Candidate, KeptClaims, written_as_name};
use crate::{
    dictionary::{Claim, Dictionary, Selection},
    text::{CaseMode, Folded, UnitCounter, fold_key, skeleton::is_article},
    vocabulary::{DESCRIPTORS, GENERIC_TAILS, MatchKind, Mention},
};

/// Most words of a name with its descriptor ("Jurf al Sakhar air base").
const MAX_WORDS: usize = 7;

/// Rule 14 for place descriptors, merged into `candidates` (in text order,
/// never overlapping): after each capitalised word the scan left uncovered
/// (with an article before it: "al-Asad"), the longest run of words that
/// ends in lower-case descriptors ("air base") and is a key whose claims
/// want a capitalised tail, and pass every other check, is a candidate
/// over its head: the words before the lower-case run.
pub(super) fn recover_heads<'d>(
    dict: &'d Dictionary,
    folded: &Folded,
    candidates: Vec<Candidate<'d>>,
    selection: Selection,
) -> Vec<Candidate<'d>> {
    let f = folded.text.as_str();
    let capital = |at: usize| folded.is_capitalised(at);
    let mut found = Vec::new();
    // (candidate index, claims): heads the scan found as another entity's
    // name, which their lower-case descriptor decides ("Fatah coalition").
    let mut decided: Vec<(usize, Vec<&'d Claim>)> = Vec::new();
    let mut next = 0;
    // The end of the last candidate found here: heads never overlap.
    let mut taken = 0;
    for (i, &cap) in folded.capitalised.iter().enumerate() {
        let cap = cap as usize;
        while next < candidates.len() && candidates[next].end <= cap {
            next += 1;
        }
        // A candidate that starts here may be the head itself.
        let covering = candidates.get(next).filter(|c| c.start <= cap);
        // Not an ignore phrase (no claims) nor a Normalize-only name: they
        // consume their span whatever follows.
        if cap < taken || covering.is_some_and(|c| c.start != cap || c.normalize_only || c.claims.first().is_none()) {
            continue;
        }
        // Most capitalised words the scan left (sentence starts, names of
        // no entity) have no lower-case descriptor after them: that is
        // asked first, over words on the stack, before anything else.
        let lower_descriptor = |&(s, e): &(usize, usize)| is_descriptor(&f[s..e]) && !capital(s);
        if !descriptor_follows(f, cap, &folded.capitalised[i + 1..]) {
            continue;
        }
        let mut words = [(0, 0); MAX_WORDS];
        let count = words_from(f, cap, &mut words);
        // An article joined before the capital belongs to the head.
        let start = f[..cap.saturating_sub(1)]
            .rfind(' ')
            .map(|i| i + 1)
            .filter(|&i| i + 1 < cap && is_article(&f[i..cap - 1]))
            .filter(|&i| candidates.get(next.wrapping_sub(1)).is_none_or(|c| c.end <= i) && i >= taken)
            .filter(|_| covering.is_none())
            .unwrap_or(cap);
        let count = if start == cap { count } else { words_from(f, start, &mut words) };
        let words = &words[..count];
        for len in (2..=words.len()).rev() {
            if !lower_descriptor(&words[len - 1]) {
                continue;
            }
            // The head: the words before the lower-case run at the end.
            let head = words[..len].iter().rposition(|&(s, _)| capital(s)).map_or(0, |i| i + 1);
            let (head_end, end) = (words[head.max(1) - 1].1, words[len - 1].1);
            // Covered, only by one candidate that is the head exactly.
            let blocked = match covering {
                Some(c) => c.end != head_end || candidates.get(next + 1).is_some_and(|d| d.start < end),
                None => candidates.get(next).is_some_and(|c| c.start < end),
            };
            if head == 0 || blocked {
                continue;
            }
            let Some(k) = dict.key(&f[start - 1..=end]) else { continue };
            if selection.sees(dict.key_ignore(k)) {
                break;
            }
            let before = &f[..start];
            let claims: Vec<_> = dict
                .key_claims(k)
                .iter()
                .filter(|t| {
                    t.capitalised_tail()
                        && t.extract()
                        && selection.sees(dict.claim_dictionaries(t))
                        && dict.case_forms(t).is_none()
                        && !t.common_word()
                        && (!t.proper() || written_as_name(folded, start, head_end))
                        && dict.follows_context(t, before)
                })
                .collect();
            if claims.is_empty() {
                continue;
            }
            if let Some(c) = covering {
                // The head names another entity alone ("Fatah", the
                // Palestinian movement); with the descriptor it names this
                // one ("Fatah Coalition", Iraq's Fatah Alliance).
                if !claims.iter().any(|t| c.claims.iter().any(|h| h.entity == t.entity)) {
                    decided.push((next, claims));
                }
                taken = end;
                break;
            }
            found.push(Candidate {
                start,
                end: head_end,
                claims: KeptClaims::Picked(claims),
                variant: false,
                normalize_only: false,
            });
            taken = end;
            break;
        }
    }
    let mut candidates = candidates;
    for (i, claims) in decided {
        // The span and how it was found (a variant stays one) are the
        // head's; only the entity changes.
        candidates[i].claims = KeptClaims::Picked(claims);
    }
    super::candidates::merge(candidates, found)
}

/// Whether a lower-case descriptor comes after the capitalised word at
/// `cap` of the padded folded text `f`, within [`MAX_WORDS`] words, before a
/// hard separator and before two lower-case words in a row that are no
/// descriptor (a head's particles come one at a time, "Jurf al Sakhar";
/// "air base" is the longest lower-case lead-in to a descriptor). The gate
/// of [`recover_heads`], asked at every capitalised word the scan left: a
/// few word ends and a length compare each, no allocation, no search
/// (`later` are the capitalised words after `cap`, ascending).
fn descriptor_follows(f: &str, cap: usize, mut later: &[u32]) -> bool {
    let mut at = cap;
    let mut lower_run = 0;
    for _ in 0..MAX_WORDS {
        let Some(end) = word_end(f, at) else { return false };
        let word = &f[at..end];
        if word == "|" || end == at {
            return false;
        }
        if at != cap {
            let lower = later.first().is_none_or(|&c| c as usize != at);
            if !lower {
                later = &later[1..];
            }
            if lower && is_descriptor(word) {
                return true;
            }
            lower_run = if lower { lower_run + 1 } else { 0 };
            if lower_run == 2 {
                return false;
            }
        }
        at = end + 1;
    }
    false
}

/// The end of the word of `f` at `at`: the next space. A byte loop, not
/// `str::find`: words are short, and the general search's setup cost more
/// than the search (measured: most of this stage's time).
fn word_end(f: &str, at: usize) -> Option<usize> {
    f.as_bytes().get(at..)?.iter().position(|&b| b == b' ').map(|i| at + i)
}

/// Whether `word` (folded) is one of [`DESCRIPTORS`]: lengths first, as
/// nearly every word asked is not.
fn is_descriptor(word: &str) -> bool {
    const LENGTHS: (usize, usize) = {
        let (mut shortest, mut longest, mut i) = (usize::MAX, 0, 0);
        while i < DESCRIPTORS.len() {
            let n = DESCRIPTORS[i].len();
            if n < shortest {
                shortest = n;
            }
            if n > longest {
                longest = n;
            }
            i += 1;
        }
        (shortest, longest)
    };
    (LENGTHS.0..=LENGTHS.1).contains(&word.len()) && DESCRIPTORS.contains(&word)
}

/// Fills `words` with the (start, end) of the words of the padded folded
/// text `f` from `at`, up to a hard separator or `words.len()` of them, and
/// returns how many.
fn words_from(f: &str, mut at: usize, words: &mut [(usize, usize)]) -> usize {
    let mut count = 0;
    while count < words.len() {
        let Some(end) = word_end(f, at) else { break };
        if &f[at..end] == "|" || end == at {
            break;
        }
        words[count] = (at, end);
        count += 1;
        at = end + 1;
    }
    count
}

/// Rule 14 over the linked mentions of `text`, in text order.
pub(super) fn trim_generic_tails<'d>(
    dict: &'d Dictionary,
    text: &str,
    mut mentions: Vec<Mention<'d>>,
) -> Vec<Mention<'d>> {
    let mut units: Option<UnitCounter> = None;
    for m in &mut mentions {
        let Some(entity) = m.entity else { continue };
        let written = &text[m.span.start..m.span.end];
        let Some((head, tail)) = written.rsplit_once(char::is_whitespace) else { continue };
        let head = head.trim_end();
        if head.is_empty()
            || !tail.chars().next().is_some_and(char::is_lowercase)
            || !GENERIC_TAILS.contains(&tail.to_lowercase().as_str())
        {
            continue;
        }
        let Some(key) = dict.key(&fold_key(head, CaseMode::Fold)) else { continue };
        let preserved = fold_key(head, CaseMode::Preserve);
        let Some(claim) = dict
            .key_claims(key)
            .iter()
            .find(|c| c.entity == entity && c.extract() && dict.after(c).is_none() && dict.case_matches(c, &preserved))
        else {
            continue;
        };
        let end = m.span.start + head.len();
        let units = units.get_or_insert_with(|| UnitCounter::new(text));
        m.span = super::spans::grapheme_span(units, text, m.span.start, end);
        let exact = dict.spellings(claim).find(|w| *w == head);
        m.alias = exact.unwrap_or_else(|| dict.spelling(claim));
        if matches!(m.kind, MatchKind::Exact | MatchKind::Normalized) {
            m.kind = if exact.is_some() { MatchKind::Exact } else { MatchKind::Normalized };
        }
    }
    mentions
}

#[cfg(test)]
mod tests {

    const DICT: &str = r#"
[[entity]]
id = "org:zagros-movement"
type = "ORG"
name = "Zagros Movement"
aliases = ["Zagros", "Zagros movement"]

[[entity]]
id = "org:nineveh-guard"
type = "ORG"
name = "Nineveh Guard"
aliases = ["Nineveh Guard militia"]

[[entity]]
id = "org:sinjar-alliance"
type = "ORG"
name = "Sinjar alliance"

[[entity]]
id = "loc:ain-al-asad"
type = "LOC"
name = "Ain al-Asad"
aliases = ["Al Asad Air Base"]

[[entity]]
id = "loc:anbar"
type = "LOC"
name = "Anbar Province"

[[entity]]
id = "org:fatah"
type = "ORG"
name = "Fatah"

[[entity]]
id = "org:fatah-alliance"
type = "ORG"
name = "Fatah Alliance"
aliases = ["Fatah Coalition"]

[[entity]]
id = "loc:karbala"
type = "LOC"
name = "Karbala"

[[entity]]
id = "loc:karbala-governorate"
type = "LOC"
name = "Karbala Governorate"
aliases = ["Karbala Province"]
"#;

    /// (name, text, every mention as "text=id")
    const ROWS: &[(&str, &str, &[&str])] = &[
        (
            "lower-case generic noun left out",
            "Fighters of the Zagros movement crossed.",
            &["Zagros=org:zagros-movement"],
        ),
        ("capitalised, part of the name", "The Zagros Movement denied it.", &["Zagros Movement=org:zagros-movement"]),
        ("the name without it", "The Nineveh Guard militia withdrew.", &["Nineveh Guard=org:nineveh-guard"]),
        (
            "kept when the rest is no alias of the entity",
            "The Sinjar alliance met.",
            &["Sinjar alliance=org:sinjar-alliance"],
        ),
        // place descriptors (rule 6) in lower case after a head that is no alias
        (
            "a descriptor in lower case leaves the head",
            "Drones hit al-Asad air base on Monday.",
            &["al-Asad=loc:ain-al-asad"],
        ),
        ("capitalised, the whole alias", "Drones hit Al Asad Air Base.", &["Al Asad Air Base=loc:ain-al-asad"]),
        ("a head with no article", "Fighting in Anbar province went on.", &["Anbar=loc:anbar"]),
        ("not across a full stop", "They left Al Asad. Air base staff stayed.", &[]),
        ("no head, no name", "the air base was quiet", &[]),
        ("the head must be capitalised", "drones hit al-asad air base", &[]),
        // a head that is another entity's name alone: the descriptor decides
        ("the head alone is another entity", "Fatah said no.", &["Fatah=org:fatah"]),
        (
            "a lower-case descriptor decides the head",
            "The Fatah coalition won seats; Karbala province voted.",
            &["Fatah=org:fatah-alliance", "Karbala=loc:karbala-governorate"],
        ),
        ("the city without its descriptor", "Pilgrims reached Karbala.", &["Karbala=loc:karbala"]),
    ];

    #[test]
    fn generic_tails() {
        let off_first = crate::matcher::tests::rule_table(
            DICT,
            ROWS,
            &crate::matcher::ExtractOptions::default(),
            crate::matcher::MatchRules { generic_tails: false, ..Default::default() },
        );
        assert_eq!(off_first, ["Zagros movement=org:zagros-movement"]);
    }
}
