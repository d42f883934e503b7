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
//!    only letters, digits, single spaces and a punctuation mark, so a key
//!    can only match from a word start to a word end: "Hezbollah" never
//!    matches inside "Hezbollahi", a possessive `’s` is a separate word
//!    outside the span, and no name runs across a comma, a full stop or a
//!    paragraph break (a blank line, U+2029: [`crate::text`]).
//! 3. **Leftmost, then longest.** At the leftmost position where any alias
//!    starts, the longest alias wins: "Kataib Hezbollah" is one mention of
//!    Kataib Hezbollah, never Hezbollah; "Qassem Soleimani Forces" is the
//!    force, not the person. Mentions never overlap, unless the request
//!    asks for [`OverlapPolicy::All`].
//! 4. **Case.** A case-sensitive alias (by default, a short all-caps acronym
//!    such as IRGC, KH, US) matches only when the text, folded with case
//!    preserved, equals the alias so folded: "US" matches, "us" does not.
//! 5. **Context.** An alias with `after` phrases matches only right after
//!    one of them ("the Gulf").
//! 6. **Descriptors.** An alias ending in a generic word ("Anbar Province",
//!    "Harir Air Base", "State of Law Coalition") includes it only when the
//!    text capitalises it: "Anbar province" is the mention "Anbar". Written
//!    in lower case, the word still decides the name before it: "Karbala
//!    province" is the governorate's "Karbala", "the Fatah coalition" the
//!    Fatah Alliance's "Fatah" ([`tails::recover_heads`], with rule 14).
//!
//!    **Proper names.** An alias a `names=proper` file (every file, by
//!    default; not the embedded dictionary) writes with a capital
//!    ("Springfield", "Name", "Al-Assad") matches only where the text
//!    capitalises the mention's first word, or its second after a
//!    lower-case first ("al-Assad", "the Hague"): GeoNames' town of Name
//!    is not every "name" of running text
//!    ([`crate::dictionary::NameCase`]). A lenient source's one-word alias
//!    that is a common word ("May", "Nice", "In"; [`crate::text::common`])
//!    is marked a proper name however it is written, and needs a capital
//!    that no sentence or line start explains, in a word not all in
//!    capitals ("talks in Nice", not "Nice is calm.", "In Iran, ..." or
//!    "TALKS IN NICE"). The scan skips
//!    lower-case words that can only start such names
//!    ([`crate::dictionary::scanner::Scanner::find_from_cased`]).
//! 7. **Fallback.** When the longest alias at a position fails rules 4–6,
//!    the next longest alias at the same position is tried, and so on; when
//!    none passes, the search moves on one byte.
//! 8. **Names that are not mentions.** Ignore phrases ("Washington Post")
//!    and Normalize-only aliases (`extract = false`: "the East") match like
//!    aliases and consume their span, so no alias inside them ("Washington")
//!    is reported in their place; they yield nothing themselves.
//! 9. **Trailing punctuation** that an alias is written with ("U.S.") is
//!    part of the span when the text has it, though folding ignores it.
//! 10. **Romanisation variants.** Runs of capitalised words (with the
//!     particles between them: al-, bin, of) are reduced to their
//!     skeletons ([`crate::text::skeleton`]) and matched against the
//!     dictionary's skeleton index: "Qasim Suleimani", "Kataeb Hizbollah".
//!     Such a mention has kind `Variant`. Variant and exact candidates
//!     merge by rule 3; at equal spans the exact one wins. A variant whose
//!     words are all ordinary English words ([`crate::text::english`]) is
//!     those words, not a name.
//! 11. **Short forms.** A short form (an alias marked `short_form`; every
//!     one-word alias of a person, "Soleimani"; and every person's surname,
//!     derived from the canonical name) links to the entity the same
//!     document mentioned in full most recently before it, preferring one
//!     whose full mention contains the short form ("Osama Al-Assad" ...
//!     "Al-Assad"); with no such mention, to the entity the dictionary
//!     declares `default` (a plain one-word alias of a person is its own
//!     default); then to the one claimant whose `after` context is written
//!     right before it, or whose parent the document named in full before
//!     it; otherwise it yields nothing.
//! 12. **Shared aliases.** An alias that several entities claim, not all
//!     as a short form ("Springfield" in a places list), links to one of
//!     them when the document decides it: the nearest mention before it
//!     (else after it) whose alias names one candidate alone; else to the
//!     candidate whose prior holds at least [`DOMINANT_SHARE`] of all
//!     candidates' priors; else to the one candidate the dictionary
//!     declares `default` (a person's plain one-word alias is its own
//!     default, so a measured prior comes first). Otherwise the mention is
//!     ambiguous: no entity, every candidate listed with its share (of the
//!     priors, or equal), unless the request drops ambiguous mentions. A
//!     request's type filter narrows the candidates first.
//! 13. **Acronyms defined in the document.** A short form in parentheses
//!     right after a linked mention, whose letters spell the mention's
//!     words ("Joint Operations Command (JOC)"), names that entity there
//!     and at every later whole-word occurrence of the same letters, known
//!     to the dictionary or not, over the dictionary's own link for them
//!     ([`acronyms`]; switch: [`MatchRules::document_acronyms`]).
//! 14. **Generic nouns after a name.** A mention whose last word is a
//!     generic noun written in lower case ("the Houthi movement", "the
//!     Hashd commission") ends before it when the rest is an alias of the
//!     same entity ([`tails`]; switch: [`MatchRules::generic_tails`]).
//! 15. **Names in capitals.** A case-sensitive alias written with small
//!     letters ("Kurilla") also matches its text in capitals ("General
//!     KURILLA.", "BIDEN ORDERS..."), where rule 4 rejected it; a short
//!     form only when the document names its entity elsewhere by a name
//!     that is its alone, or right after a title it is bound to ("Senator
//!     SHAHEEN.") ([`caps`]; switch: [`MatchRules::capitals`]).
//! 16. **Surnames written otherwise.** After a person's full mention, a
//!     capitalised word the dictionary does not know (or knows only as
//!     other persons' names, none of them named) names that person
//!     when it is a romanisation variant of the surname, or one letter
//!     away from a surname of six letters or more, and no other person of
//!     the document is as close ([`surnames`]; switch:
//!     [`MatchRules::surname_variants`]).
//! 17. **Middle initials and names.** A person's one-word mention right
//!     after one or two middle words ("J.", "Kristin", "bin Rashid") and a
//!     first name is one mention of the whole when "First Last" is an
//!     alias of a person ([`middles`]; switch: [`MatchRules::middle_names`]).
//! 18. **Place-bound names decided by the document.** A capitalised alias
//!     that rule 5 keeps to a place's context ("Interior Ministry" after
//!     "Iraq's") names its entity without that context when the document
//!     writes the context elsewhere or names the place (or a place in it)
//!     or the body the context names ("PMF" before "50th Brigade", decided
//!     by "Popular Mobilization Forces"), and decides no other claimant (a
//!     number or ordinal right before the capitalised words opens the
//!     name); not a person's alias bound to titles
//!     ("Secretary Austin"), which only its title decides ([`contexts`]; switch:
//!     [`MatchRules::place_context`]).
//! 19. **List entries, surname first.** "SINWAR, Yahya", "AL-ATIFI,
//!     Mohammed Nasser": a surname in capitals, a comma and given names is
//!     one mention when "Given Surname" is a person's alias ([`lists`];
//!     switch: [`MatchRules::list_entries`]).
//! 20. **A word of another name.** A person's one-word short form right
//!     beside a capitalised word that no candidate covers and that reads as
//!     a name (not an English word, title, particle, day or month, nor in
//!     capitals) is a word of someone else's name: "Abbas Nilforoushan" is
//!     not Abbas Araghchi, "Rifaat Assad" not Bashar ([`other_names`];
//!     switch: [`MatchRules::other_names`]).
//! 21. **English words before a name.** An alias written with an
//!     assimilated Arabic article that is also an English word ("At-Tanf",
//!     "An Najaf") or a variant run opening with one matches "struck at
//!     Tanf" too, since folding makes the hyphen a space; where the text
//!     writes that word in small letters followed by a space, it is the
//!     English word, and the mention starts at the next word ("Tanf")
//!     ([`candidates::trim_english_articles`]; switch:
//!     [`MatchRules::english_articles`]).
//! 22. **First names.** After a person's full mention, the first word of
//!     that name alone ("Karine" after "Karine Jean-Pierre") names the
//!     person when no other person of the document or of the dictionary
//!     has that first name, the word is no key, English word, title or
//!     particle, and it stands alone, not beside another capitalised word
//!     ([`first_names`]; switch: [`MatchRules::first_names`]).
//! 23. **Places inside a unit's name.** A place followed by a capitalised
//!     unit noun ("Rafah Brigade", "Gaza Division") that does not run on
//!     into another capitalised word opens the name of a unit the
//!     dictionary does not know: the outermost name is the unit's, so the
//!     place is no mention ([`unit_names`]; switch:
//!     [`MatchRules::unit_names`]).
//!
//! A request may select some of the loaded dictionaries
//! ([`crate::dictionary::Selection`]): the others' claims and ignore phrases
//! are invisible to every rule above, as if they were not loaded.
//!
//! # Offsets
//!
//! Every [`Mention::span`] lies on char boundaries of the caller's text, and
//! `text[span.start..span.end]` is the mention's text; a property test
//! checks this together with the code point and UTF-16 units.
//!
//! # Cost
//!
//! One fold of the text (see [`crate::text`]) plus one scan a word at a
//! time ([`crate::dictionary::scanner`]). Stage 1 ([`windows`]) can
//! replace the whole fold with one pass over the caller's bytes and a fold
//! of only the windows where names can be; it is held to the same output
//! but is not yet faster, so it is off ([`FOLD`]). The fallback searches
//! are anchored and only run where a match was rejected. Everything after the scan is
//! linear and nearly free of allocation: the fold, skeleton and case buffers
//! are reused per thread; a candidate borrows its claims from the
//! dictionary; variants merge with exact candidates in one pass, and a run
//! of capitalised words that an exact name already covers is never reduced
//! to skeletons; short forms index only the word runs some short form of
//! the document spells; offsets and UTF-16/code point units are found with
//! forward cursors. A document costs its candidate list and the mentions it
//! returns. Figures: docs/benchmarks.md.
//!
//! # The path
//!
//! [`extract`] is the whole hot path, one stage a module:
//!
//! 1. fold the text ([`crate::text::fold_into`]); or, with stage 1 on
//!    ([`FOLD`]), [`windows`]: where names can be, found over the caller's
//!    bytes, and only those windows folded ([`crate::text::fold_window_into`]);
//! 2. [`candidates`]: scan and check (rules 2-8);
//! 3. [`variants`]: romanisation variants (rule 10), merged by rule 3;
//!    then [`caps`]: names in capitals the scan rejected (rule 15), and
//!    [`middles`]: middle initials and names (rule 17), [`contexts`]:
//!    place-bound names the document decides (rule 18), and
//!    [`candidates::trim_english_articles`] (rule 21);
//! 4. [`linking`]: short forms, shared aliases, the type filter (rules 11,
//!    12, and [`other_names`]: rule 20);
//! 5. [`spans`]: offsets into the caller's text (rule 9, the offset invariant);
//! 6. [`surnames`], [`first_names`], [`lists`], [`tails`], [`unit_names`],
//!    [`acronyms`]: surnames written otherwise (rule 16), first names after
//!    the full name (rule 22), list entries (rule 19), generic nouns after
//!    names (rule 14), places inside unit names (rule 23), acronyms the
//!    document defines (rule 13).

use std::cell::RefCell;

pub use crate::vocabulary::{DOMINANT_SHARE, Linking, MatchKind, Mention, TypeFilter};
use crate::{
    dictionary::{Dictionary, Selection},
    text::{CaseMode, Folded, fold_into, fold_window_into},
};

mod acronyms;
mod candidates;
mod caps;
mod contexts;
mod first_names;
mod linking;
mod lists;
mod middles;
mod other_names;
#[cfg(test)]
mod reference;
mod spans;
mod surnames;
mod tails;
#[cfg(test)]
mod tests;
mod unit_names;
mod variants;
mod windows;

/// What an Extract request asks of the matcher.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// The dictionaries to use.
    pub selection: Selection,
    /// The entity types to report.
    pub types: TypeFilter,
    /// Drop ambiguous mentions instead of returning them.
    pub drop_ambiguous: bool,
    /// Which mentions come back where names nest or overlap.
    pub overlaps: OverlapPolicy,
    /// Which of the document-level rules apply (see [`MatchRules::default`]).
    pub rules: MatchRules,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            selection: Selection::ALL,
            types: TypeFilter::default(),
            drop_ambiguous: false,
            overlaps: OverlapPolicy::LeftmostLongest,
            rules: MatchRules::default(),
        }
    }
}

/// Switches for the rules added for issue #12, so that the differential
/// tests can compare the matcher with the reference matcher, which has
/// none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchRules {
    /// Rule 13: acronyms defined in the document.
    pub document_acronyms: bool,
    /// Rule 14: a lower-case generic noun after a name stays out of it.
    pub generic_tails: bool,
    /// Rule 15: names in capitals.
    pub capitals: bool,
    /// Rule 16: surnames written otherwise after a full mention.
    pub surname_variants: bool,
    /// Rule 17: middle initials and names inside a person's name.
    pub middle_names: bool,
    /// Rule 18: place-bound names decided by the document.
    pub place_context: bool,
    /// Rule 19: list entries written surname first.
    pub list_entries: bool,
    /// Rule 20: a person's short form beside a word of another name.
    pub other_names: bool,
    /// Rule 21: an English word that is also an Arabic article ("at")
    /// stays out of the name after it.
    pub english_articles: bool,
    /// Rule 22: a person called by the first name after the full name.
    pub first_names: bool,
    /// Rule 23: a place that opens an unknown armed unit's name is no
    /// mention.
    pub unit_names: bool,
}

impl MatchRules {
    /// Every rule on.
    pub const ALL: Self = Self {
        document_acronyms: true,
        generic_tails: true,
        capitals: true,
        surname_variants: true,
        middle_names: true,
        place_context: true,
        list_entries: true,
        other_names: true,
        english_articles: true,
        first_names: true,
        unit_names: true,
    };
    /// Every rule off: the rules the reference matcher implements.
    pub const NONE: Self = Self {
        document_acronyms: false,
        generic_tails: false,
        capitals: false,
        surname_variants: false,
        middle_names: false,
        place_context: false,
        list_entries: false,
        other_names: false,
        english_articles: false,
        first_names: false,
        unit_names: false,
    };
}

impl Default for MatchRules {
    /// Every rule on.
    fn default() -> Self {
        Self::ALL
    }
}

/// Which mentions [`extract`] returns where names nest or overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverlapPolicy {
    /// Rule 3: mentions never overlap; at the leftmost start the longest
    /// name that passes the rules wins.
    #[default]
    LeftmostLongest,
    /// Every name that passes the rules, nested and overlapping ones too
    /// ("Islamic Revolutionary Guard Corps Quds Force", "Islamic
    /// Revolutionary Guard Corps", "Quds Force"), ordered by start, longer
    /// first. Names inside an ignore phrase or a Normalize-only alias stay
    /// out (rule 8); a romanisation variant with the span of an exact name
    /// is left out (rule 10); variants of one run of capitalised words
    /// are still found leftmost-longest within it.
    All,
}

thread_local! {
    /// Buffers reused across documents on each worker thread.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread buffers, so a document allocates only what it returns (and
/// its candidate list).
#[derive(Default)]
struct Scratch {
    /// The document's windows (stage 1), folded.
    folded: Folded,
    /// Stage 1's words and windows.
    prefilter: windows::Prefilter,
    /// One mention's text folded with case preserved (rule 4).
    preserved: Folded,
    /// One run of words as romanisation skeletons (rule 10).
    skeleton: String,
    /// The words of that run: (skeleton start, folded start, folded end).
    words: Vec<(usize, usize, usize)>,
}

/// Every mention in `text` that `options` asks for, ordered by offset
/// (longer first at one offset), never overlapping unless `options.overlaps`
/// is [`OverlapPolicy::All`]: the whole path (module docs).
pub fn extract<'d>(dictionary: &'d Dictionary, text: &str, options: &ExtractOptions) -> Vec<Mention<'d>> {
    extract_folding(dictionary, text, options, FOLD)
}

/// How [`extract`] folds: the whole text, until stage 1's tokeniser beats
/// the SWAR fold plus the word scan it replaces. Measured (benches/corpus.rs,
/// same run as the DFA, CPU time), windows against the whole fold: domain
/// dictionary news 0.20 vs 0.28 of the DFA, prose 0.23 vs 0.31, non-ASCII
/// news 0.16 vs 0.27 (a fold per non-ASCII chunk). The windows path is held
/// to the whole fold's output by `tests::windows` and the goldens, so
/// switching is this one constant.
const FOLD: Fold = Fold::Whole;

/// How [`extract_folding`] folds the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
enum Fold {
    /// Only stage 1's windows (or the whole text, when they cover more
    /// than half of it).
    Windows,
    /// The whole text.
    Whole,
}

fn extract_folding<'d>(
    dictionary: &'d Dictionary,
    text: &str,
    options: &ExtractOptions,
    fold: Fold,
) -> Vec<Mention<'d>> {
    SCRATCH.with(|scratch| {
        let scratch = &mut *scratch.borrow_mut();
        let windows: &[(usize, usize)] = if fold == Fold::Windows {
            scratch.prefilter.find(dictionary, text);
            if scratch.prefilter.windows.is_empty() {
                return Vec::new();
            }
            &scratch.prefilter.windows
        } else {
            &[]
        };
        let covered: usize = windows.iter().map(|(start, end)| end - start).sum();
        if fold == Fold::Whole || covered * 2 > text.len() {
            // Names everywhere: one fold of the whole text costs less
            // than the gaps.
            fold_into(text, CaseMode::Fold, &mut scratch.folded);
        } else {
            scratch.folded.clear();
            let mut gap_start = 0;
            for &(start, end) in windows {
                fold_window_into(text, gap_start, start, end, &mut scratch.folded);
                gap_start = end;
            }
        }
        let folded = &scratch.folded;
        let selection = options.selection;
        let all = options.overlaps == OverlapPolicy::All;
        let exact = if all {
            candidates::all_candidates(dictionary, text, folded, &mut scratch.preserved, selection)
        } else {
            candidates::exact_candidates(dictionary, text, folded, &mut scratch.preserved, selection)
        };
        let mut candidates = variants::merge_variants(
            dictionary,
            text,
            folded,
            &mut scratch.preserved,
            exact,
            &mut scratch.skeleton,
            &mut scratch.words,
            selection,
            options.overlaps,
        );
        if all {
            candidates::drop_inside_nothing(&mut candidates);
        }
        // Rules no claim of the dictionary can use are skipped whole.
        let needs = dictionary.needs;
        let candidates = if options.rules.capitals && needs.case_forms {
            caps::recover(dictionary, text, folded, candidates, selection)
        } else {
            candidates
        };
        let candidates = if options.rules.place_context && needs.after {
            contexts::recover(dictionary, text, folded, candidates, selection)
        } else {
            candidates
        };
        let candidates = if options.rules.generic_tails {
            tails::recover_heads(dictionary, folded, candidates, selection)
        } else {
            candidates
        };
        let candidates = if options.rules.middle_names {
            middles::extend_middle_names(dictionary, folded, candidates, selection)
        } else {
            candidates
        };
        let mut candidates = candidates;
        if options.rules.english_articles {
            candidates::trim_english_articles(text, folded, &mut candidates);
        }
        let mut mentions = linking::link(dictionary, text, folded, candidates, options);
        if options.rules.surname_variants {
            mentions = surnames::link_variants(dictionary, text, folded, mentions);
        }
        if options.rules.first_names {
            mentions = first_names::link_first_names(dictionary, text, folded, mentions);
        }
        if options.rules.list_entries && text.contains(',') {
            mentions = lists::link_list_entries(dictionary, text, mentions);
        }
        if options.rules.generic_tails {
            mentions = tails::trim_generic_tails(dictionary, text, mentions);
        }
        if options.rules.unit_names {
            mentions = unit_names::drop_places_in_unit_names(dictionary, text, mentions);
        }
        if options.rules.document_acronyms && text.contains('(') {
            acronyms::link_defined(dictionary, text, mentions)
        } else {
            mentions
        }
    })
}
