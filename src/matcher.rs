//! Finding mentions in running text: the automaton over folded text, the
//! boundary, case and context rules, short forms, and offsets back into the
//! caller's text.
//!
//! # Rules, in the order they apply
//!
//! 1. **Folding.** The text is folded exactly as aliases were
//!    ([`crate::text`]), so spelling differences a reader ignores (case,
//!    accents, quote and dash variants, NBSP, Arabic letter forms) never
//!    block a match.
//! 2. **Whole words.** Folded text and keys are padded with spaces and hold
//!    only letters, digits and single spaces, so a key can only match from a
//!    word start to a word end: "Hezbollah" never matches inside
//!    "Hezbollahi", and a possessive `’s` is a separate word, outside the span.
//! 3. **Leftmost, then longest.** At the leftmost position where any alias
//!    starts, the longest alias wins: "Kataib Hezbollah" is one mention of
//!    Kataib Hezbollah, never Hezbollah; "Qassem Soleimani Forces" is the
//!    force, not the person. Mentions never overlap.
//! 4. **Case.** A case-sensitive alias (by default, a short all-caps acronym
//!    such as IRGC, KH, US) matches only when the text, folded with case
//!    preserved, equals the alias so folded: "US" matches, "us" does not.
//! 5. **Context.** An alias with `after` phrases matches only right after
//!    one of them ("the Gulf").
//! 6. **Fallback.** When the longest alias at a position fails rule 4 or 5,
//!    the next longest alias at the same position is tried, and so on; when
//!    none passes, the search moves on one byte.
//! 7. **Ignore phrases** ("Washington Post") match like aliases and consume
//!    their span, so the alias inside them ("Washington") is not reported.
//! 8. **Trailing punctuation** that an alias is written with ("U.S.") is
//!    part of the span when the text has it, though folding ignores it.
//! 9. **Short forms.** An alias that several entities share (`short_form`) links
//!    to the entity the same document mentioned in full most recently before
//!    it, preferring an entity whose full mention contains the short form
//!    ("Osama Al-Assad" ... "Al-Assad"); with no such mention, to the entity
//!    the dictionary declares `default`; with no default, it yields nothing.
//!
//! # Offsets
//!
//! Every [`Mention::span`] lies on char boundaries of the caller's text, and
//! `text[span.start..span.end]` is the mention's text; a property test
//! checks this together with the code point and UTF-16 units.
//!
//! # Cost
//!
//! One fold of the text (see [`crate::text`]) plus one automaton scan; the
//! fallback searches are anchored and only run where a match was rejected.
//! The fold buffer is reused per thread, so a document costs no allocation
//! beyond the mentions it returns.

use std::cell::RefCell;

use aho_corasick::{Anchored, Input, Match};

use crate::{
    dictionary::{Dictionary, EntityIndex, KeyEntry, Target},
    text::{CaseMode, Folded, Span, UnitCounter, fold_into, fold_key},
};

/// How the text of a mention relates to the alias that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The text is the alias, byte for byte.
    Exact,
    /// The text equals the alias after folding.
    Normalized,
    /// A shared short form, linked by document context or the declared default.
    ShortForm,
}

/// One mention of an entity in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention<'d> {
    pub entity: EntityIndex,
    pub span: Span,
    /// The dictionary alias that matched, as written.
    pub alias: &'d str,
    pub kind: MatchKind,
}

thread_local! {
    /// The fold buffer, reused across documents on each worker thread.
    static SCRATCH: RefCell<Folded> = RefCell::new(Folded::default());
}

/// What to do with an automaton match that passed every check.
enum Decision<'d> {
    Link {
        target: &'d Target,
        kind: MatchKind,
    },
    /// An ignore phrase, or a short form with no antecedent and no default:
    /// the span is consumed and yields nothing.
    Consume,
}

/// A mention made with a full (non-shared) alias: what short forms link to.
struct Antecedent<'d> {
    entity: EntityIndex,
    key: &'d str,
}

impl Dictionary {
    /// Every mention in `text`, ordered by offset, never overlapping.
    pub fn extract<'d>(&'d self, text: &str) -> Vec<Mention<'d>> {
        SCRATCH.with(|scratch| {
            let mut folded = scratch.borrow_mut();
            fold_into(text, CaseMode::Fold, &mut folded);
            self.extract_folded(text, &folded)
        })
    }

    fn extract_folded<'d>(&'d self, text: &str, folded: &Folded) -> Vec<Mention<'d>> {
        let haystack = folded.text.as_bytes();
        let mut mentions = Vec::new();
        let mut antecedents: Vec<Antecedent<'d>> = Vec::new();
        let mut units = UnitCounter::new(text);
        let mut pos = 0;
        while pos < haystack.len() {
            let Some(longest) = self.automaton.find(Input::new(haystack).span(pos..haystack.len())) else {
                break;
            };
            let Some((found, decision)) = self.longest_accepted(longest, text, folded, &antecedents) else {
                pos = longest.start() + 1;
                continue;
            };
            // The trailing pad space of this match is the leading pad of the next.
            pos = found.end() - 1;
            let Decision::Link { target, kind } = decision else {
                continue;
            };
            let (start, end) = folded.map.original_span(found.start() + 1, found.end() - 1);
            let end = end + trailing_punctuation(target, &text[end..]);
            let original = &text[start..end];
            let alias = target.written.iter().find(|w| *w == original).unwrap_or(&target.written[0]);
            let kind = if kind == MatchKind::Normalized && alias == original { MatchKind::Exact } else { kind };
            if kind != MatchKind::ShortForm {
                antecedents.push(Antecedent { entity: target.entity, key: &self.entry_of(found).key });
            }
            mentions.push(Mention { entity: target.entity, span: units.span(start, end), alias, kind });
        }
        mentions
    }

    fn entry_of(&self, found: Match) -> &KeyEntry {
        &self.entries[self.pattern_entries[found.pattern().as_usize()] as usize]
    }

    /// The longest match at `longest.start()` that passes the case and
    /// context checks (rule 6), with what to do with it.
    fn longest_accepted<'d>(
        &'d self,
        longest: Match,
        text: &str,
        folded: &Folded,
        antecedents: &[Antecedent<'d>],
    ) -> Option<(Match, Decision<'d>)> {
        let haystack = folded.text.as_bytes();
        let mut candidate = longest;
        loop {
            if let Some(decision) = self.decide(candidate, text, folded, antecedents) {
                return Some((candidate, decision));
            }
            // A shorter key at the same start must end before this one's
            // trailing space; the shortest possible key is " x ".
            let bound = candidate.end() - 1;
            if bound < candidate.start() + 3 {
                return None;
            }
            let shorter = Input::new(haystack).span(candidate.start()..bound).anchored(Anchored::Yes);
            candidate = self.automaton.find(shorter)?;
        }
    }

    fn decide<'d>(
        &'d self,
        found: Match,
        text: &str,
        folded: &Folded,
        antecedents: &[Antecedent<'d>],
    ) -> Option<Decision<'d>> {
        let entry = self.entry_of(found);
        if entry.ignore {
            return Some(Decision::Consume);
        }
        let (start, end) = folded.map.original_span(found.start() + 1, found.end() - 1);
        let original = &text[start..end];
        let mut preserved: Option<String> = None;
        let before = &folded.text[..=found.start()];
        let mut passing = entry.targets.iter().filter(|target| {
            target.extract
                && (target.case_forms.is_none()
                    || target.case_matches(preserved.get_or_insert_with(|| fold_key(original, CaseMode::Preserve))))
                && target.after.as_ref().is_none_or(|phrases| phrases.iter().any(|p| before.ends_with(p.as_str())))
        });
        let first = passing.next()?;
        if !first.short_form {
            let kind =
                if first.written.iter().any(|w| w == original) { MatchKind::Exact } else { MatchKind::Normalized };
            return Some(Decision::Link { target: first, kind });
        }
        let shared: Vec<&Target> = std::iter::once(first).chain(passing).collect();
        Some(match resolve_short_form(&shared, &entry.key, antecedents) {
            Some(target) => Decision::Link { target, kind: MatchKind::ShortForm },
            None => Decision::Consume,
        })
    }
}

/// Bytes of `rest` (the text right after a mention) that continue the
/// alias: folding drops an alias's trailing punctuation ("U.S." folds to
/// " u s "), but the caller's span should hold it when the text has it.
fn trailing_punctuation(target: &Target, rest: &str) -> usize {
    target
        .written
        .iter()
        .map(|w| &w[w.trim_end_matches(|c: char| !c.is_alphanumeric()).len()..])
        .filter(|suffix| rest.starts_with(suffix))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Rule 9: which of the entities sharing `key` the document means here.
fn resolve_short_form<'d>(candidates: &[&'d Target], key: &str, antecedents: &[Antecedent<'_>]) -> Option<&'d Target> {
    let claimed = |a: &Antecedent| candidates.iter().copied().find(|t| t.entity == a.entity);
    // Nearest antecedent whose full name contains the short form, then the
    // nearest antecedent at all: "Al-Assad" after "Osama Al-Assad" and
    // "Bashar Assad" is Osama.
    antecedents
        .iter()
        .rev()
        .filter(|a| a.key.contains(key))
        .find_map(claimed)
        .or_else(|| antecedents.iter().rev().find_map(claimed))
        .or_else(|| candidates.iter().copied().find(|t| t.default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{SourceText, build};

    const DICT: &str = r#"
[[entity]]
id = "org:hezbollah"
type = "ORG"
name = "Hezbollah"
aliases = ["Hizballah", "Lebanese Hezbollah"]

[[entity]]
id = "org:kataib-hezbollah"
type = "ORG"
name = "Kataib Hezbollah"
aliases = ["Kata'ib Hezbollah", "Hezbollah Brigades", "KH"]

[[entity]]
id = "per:qassem-soleimani"
type = "PER"
name = "Qassem Soleimani"
aliases = ["Qasem Soleimani", { text = "Soleimani", short_form = true, default = true }]

[[entity]]
id = "org:qassem-soleimani-forces"
type = "ORG"
name = "Qassem Soleimani Forces"

[[entity]]
id = "org:irgc"
type = "ORG"
name = "Islamic Revolutionary Guard Corps"
aliases = ["IRGC"]

[[entity]]
id = "loc:united-states"
type = "LOC"
name = "United States"
aliases = ["US", "U.S."]

[[entity]]
id = "loc:persian-gulf"
type = "LOC"
name = "Persian Gulf"
aliases = [{ text = "Gulf", case = "sensitive", after = ["the"] }]

[[entity]]
id = "loc:washington"
type = "LOC"
name = "Washington"

[[entity]]
id = "per:bashar-al-assad"
type = "PER"
name = "Bashar al-Assad"
aliases = ["Bashar Assad", { text = "Assad", short_form = true, default = true }, { text = "al-Assad", short_form = true, default = true }]

[[entity]]
id = "per:osama-al-assad"
type = "PER"
name = "Osama Al-Assad"
aliases = [{ text = "Assad", short_form = true }, { text = "Al-Assad", short_form = true }]

[[entity]]
id = "per:ali-soleimani"
type = "PER"
name = "Ali Soleimani"
aliases = [{ text = "Soleimani", short_form = true }]

[[entity]]
id = "loc:iran"
type = "LOC"
name = "Iran"

[[entity]]
id = "loc:sanaa"
type = "LOC"
name = "Sanaa"
aliases = ["Sana'a"]

[[entity]]
id = "loc:saudi-arabia"
type = "LOC"
name = "Saudi Arabia"
aliases = [{ text = "Kingdom", extract = false }]

[[ignore]]
phrases = ["Washington Post"]
"#;

    fn dict() -> Dictionary {
        build(&[SourceText { name: "t.toml".into(), text: DICT.into() }]).unwrap()
    }

    /// Renders mentions as "text=entity/kind" for compact table rows.
    fn render(dict: &Dictionary, text: &str) -> Vec<String> {
        dict.extract(text)
            .iter()
            .map(|m| {
                let kind = match m.kind {
                    MatchKind::Exact => "",
                    MatchKind::Normalized => "~",
                    MatchKind::ShortForm => "^",
                };
                format!("{}={}{kind}", &text[m.span.start..m.span.end], dict.entity(m.entity).id)
            })
            .collect()
    }

    /// (rule, text, expected mentions as "text=entity" with ~ normalised, ^ short form)
    const RULES: &[(&str, &str, &[&str])] = &[
        // whole words
        ("word boundary end", "Hezbollahi and Hezbollah", &["Hezbollah=org:hezbollah"]),
        ("word boundary start", "proHezbollah", &[]),
        ("possessive outside span", "Hezbollah’s chief", &["Hezbollah=org:hezbollah"]),
        ("ascii possessive", "Iran's proxies", &["Iran=loc:iran"]),
        ("adjacent names", "Iran Hezbollah", &["Iran=loc:iran", "Hezbollah=org:hezbollah"]),
        ("punctuation around", "(Hezbollah), “Iran”.", &["Hezbollah=org:hezbollah", "Iran=loc:iran"]),
        ("demonym is not the country", "Iranian forces", &[]),
        // leftmost-longest
        ("longest wins", "Kataib Hezbollah fired", &["Kataib Hezbollah=org:kataib-hezbollah"]),
        (
            "longest wins over person",
            "the Qassem Soleimani Forces",
            &["Qassem Soleimani Forces=org:qassem-soleimani-forces"],
        ),
        ("brigades is KH", "Hezbollah Brigades", &["Hezbollah Brigades=org:kataib-hezbollah"]),
        ("lebanese hezbollah", "Lebanese Hezbollah", &["Lebanese Hezbollah=org:hezbollah"]),
        // folding
        ("case folded", "KATAIB HEZBOLLAH", &["KATAIB HEZBOLLAH=org:kataib-hezbollah~"]),
        ("curly apostrophe", "Kata’ib Hezbollah", &["Kata’ib Hezbollah=org:kataib-hezbollah~"]),
        ("ascii apostrophe exact", "Kata'ib Hezbollah", &["Kata'ib Hezbollah=org:kataib-hezbollah"]),
        ("apostrophe dropped", "Sanaa and Sana’a", &["Sanaa=loc:sanaa", "Sana’a=loc:sanaa~"]),
        (
            "nbsp and line break",
            "Kataib\u{a0}Hezbollah and Kataib\nHezbollah",
            &["Kataib\u{a0}Hezbollah=org:kataib-hezbollah~", "Kataib\nHezbollah=org:kataib-hezbollah~"],
        ),
        ("accents", "Qāsem Soleimānī", &["Qāsem Soleimānī=per:qassem-soleimani~"]),
        ("dot below", "Ḥizballah", &["Ḥizballah=org:hezbollah~"]),
        // case-sensitive acronyms
        ("acronym exact case", "the IRGC and KH", &["IRGC=org:irgc", "KH=org:kataib-hezbollah"]),
        ("acronym lowercase is a word", "let us go, kh", &[]),
        ("US vs us", "US troops told us", &["US=loc:united-states"]),
        ("dotted acronym", "U.S. forces", &["U.S.=loc:united-states"]),
        // context
        ("after phrase", "boats in the Gulf.", &["Gulf=loc:persian-gulf"]),
        ("after phrase missing", "Gulf states", &[]),
        ("after phrase wrong case", "the gulf between them", &[]),
        ("extract false", "the Kingdom said", &[]),
        // ignore phrases
        ("ignore phrase consumes", "the Washington Post reported from Washington", &["Washington=loc:washington"]),
        // short forms
        ("short form default", "Soleimani said", &["Soleimani=per:qassem-soleimani^"]),
        (
            "short form antecedent",
            "Osama Al-Assad said. Al-Assad added",
            &["Osama Al-Assad=per:osama-al-assad", "Al-Assad=per:osama-al-assad^"],
        ),
        (
            "short form prefers containing antecedent",
            "Osama Al-Assad met Bashar Assad. Al-Assad left",
            &["Osama Al-Assad=per:osama-al-assad", "Bashar Assad=per:bashar-al-assad", "Al-Assad=per:osama-al-assad^"],
        ),
        (
            "short form nearest antecedent",
            "Osama Al-Assad met Bashar al-Assad. Assad left",
            &["Osama Al-Assad=per:osama-al-assad", "Bashar al-Assad=per:bashar-al-assad", "Assad=per:bashar-al-assad^"],
        ),
        (
            "short form other entity antecedent",
            "Ali Soleimani spoke. Soleimani said",
            &["Ali Soleimani=per:ali-soleimani", "Soleimani=per:ali-soleimani^"],
        ),
        // regressions
        ("empty text", "", &[]),
        ("only punctuation", " -–— ", &[]),
    ];

    #[test]
    fn matching_rules() {
        let dict = dict();
        for (rule, text, want) in RULES {
            assert_eq!(render(&dict, text), *want, "rule: {rule}; text: {text:?}");
        }
    }

    mod properties {
        use proptest::prelude::*;

        use crate::dictionary::{Dictionary, load};

        fn default_dictionary() -> &'static Dictionary {
            static DICT: std::sync::OnceLock<Dictionary> = std::sync::OnceLock::new();
            DICT.get_or_init(|| load(&[] as &[&str], true).unwrap())
        }

        /// Text fragments that stress folding and offsets: aliases in many
        /// spellings, characters that change length when folded, marks,
        /// separators of every kind, and arbitrary Unicode.
        fn fragment() -> impl Strategy<Value = String> {
            prop_oneof![
                3 => prop::sample::select(vec![
                    "Kataib Hezbollah", "KATA’IB HIZBALLAH", "Qāsem Soleimānī", "Al-Assad", "Osama Al-Assad",
                    "U.S.", "US", "Iran’s", "Houthis’", "حزب الله", "كتائب حزب الله", "IRGC-QF", "the Gulf",
                    "Washington Post", "Ḥizballah", "Sana'a", "Hezbollah Brigades", "Bashar Assad", "Assad",
                ]).prop_map(str::to_owned),
                2 => prop::sample::select(vec![
                    " ", "\u{a0}", "\n", "’", "'", "-", "—", ".", ",", "(", "“", "İ", "ß", "ﬁ", "ﷺ", "😀",
                    "\u{301}", "\u{64e}", "ـ", "\u{200c}", "\u{feff}", "ǆ", "Ⅻ", "ς",
                ]).prop_map(str::to_owned),
                2 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn spans_are_char_boundaries_and_units_agree(parts in prop::collection::vec(fragment(), 0..24)) {
                let text: String = parts.concat();
                let dict = default_dictionary();
                let mentions = dict.extract(&text);
                let mut previous_end = 0;
                for m in &mentions {
                    let s = m.span;
                    prop_assert!(s.start < s.end, "empty span {:?}", s);
                    prop_assert!(s.start >= previous_end, "overlap or disorder at {:?}", s);
                    prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
                    prop_assert_eq!(s.char_start, text[..s.start].chars().count());
                    prop_assert_eq!(s.char_end, text[..s.end].chars().count());
                    prop_assert_eq!(s.utf16_start, text[..s.start].encode_utf16().count());
                    prop_assert_eq!(s.utf16_end, text[..s.end].encode_utf16().count());
                    prop_assert!(text[s.start..s.end].chars().any(char::is_alphanumeric));
                    previous_end = s.end;
                }
            }
        }
    }
}
