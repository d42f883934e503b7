//! The matcher as it was before the performance work (commit 1294caf),
//! kept as the reference the optimised [`super`] is held against: every
//! optimisation must return the same mentions for every input (see the
//! differential tests in `super::tests`). Its own copies of the skeleton and
//! unit-counting code keep it independent of changes there, and it reads
//! the dictionary through its own snapshot ([`RefDict`]: owned claims, and
//! the aho-corasick crate's leftmost-longest automata over the key texts),
//! so it is independent of the engine's tables and scanner too. Bug fixes
//! made since: grapheme-cluster spans; a short form's context right before
//! it decides before the document's earlier mentions.

#![allow(clippy::all, dead_code)]

use std::{cell::RefCell, collections::HashMap, sync::Arc};

use super::MatchKind;
use crate::{
    dictionary::{Dictionary, EntityIndex, follows_phrase, scanner::Found},
    text::{
        CaseMode, Folded, Span, fold_into, fold_key,
        skeleton::{is_article, is_particle},
    },
};

/// A mention as the reference sees it: entity, span, alias, kind.
pub(super) type RefMention = (Option<EntityIndex>, Span, String, MatchKind);

/// The reference `Dictionary::extract`.
pub(super) fn extract(dictionary: &Dictionary, text: &str) -> Vec<RefMention> {
    RefDict::of(dictionary).r_extract(text)
}

/// One entity's claim on a key, owned, as the old dictionary stored it.
#[derive(Debug, Clone)]
struct Target {
    entity: EntityIndex,
    written: Vec<String>,
    case_forms: Option<Vec<String>>,
    after: Option<Vec<String>>,
    extract: bool,
    short_form: bool,
    default: bool,
    capitalised_tail: bool,
    proper: bool,
    common_word: bool,
}

impl Target {
    fn case_forms(&self) -> Option<&[String]> {
        self.case_forms.as_deref()
    }

    fn after(&self) -> Option<&[String]> {
        self.after.as_deref()
    }

    fn case_matches(&self, preserved: &str) -> bool {
        self.case_forms().is_none_or(|forms| forms.iter().any(|f| f == preserved))
    }
}

/// Every claim on one key.
#[derive(Debug)]
struct KeyEntry {
    targets: Vec<Target>,
    ignore: u64,
}

/// A leftmost-longest automaton over padded keys, with the old scanner's
/// two searches.
struct RefScanner {
    automaton: aho_corasick::AhoCorasick,
}

impl RefScanner {
    fn new(keys: &[String]) -> Self {
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .start_kind(aho_corasick::StartKind::Both)
            .build(keys)
            .expect("the reference automaton builds");
        Self { automaton }
    }

    fn find_from(&self, haystack: &[u8], from: usize) -> Option<Found> {
        let m = self.automaton.find(aho_corasick::Input::new(haystack).range(from..))?;
        Some(Found { start: m.start(), end: m.end(), pattern: m.pattern().as_usize() })
    }

    fn find_at(&self, haystack: &[u8], start: usize, bound: usize) -> Option<Found> {
        let input = aho_corasick::Input::new(haystack).range(start..bound).anchored(aho_corasick::Anchored::Yes);
        let m = self.automaton.find(input)?;
        Some(Found { start: m.start(), end: m.end(), pattern: m.pattern().as_usize() })
    }
}

/// The reference's snapshot of a dictionary.
struct RefDict {
    /// Per scannable key (the automaton's pattern), its claims.
    entries: Vec<KeyEntry>,
    automaton: RefScanner,
    /// Per skeleton key (the variant automaton's pattern), its claims.
    variants: Option<(RefScanner, Vec<Vec<Target>>)>,
    /// Entity types, by entity.
    types: Vec<String>,
    /// Entity parents, by entity.
    parents: Vec<Option<EntityIndex>>,
}

impl RefDict {
    /// The snapshot of `dictionary`, made once per dictionary content.
    fn of(dictionary: &Dictionary) -> Arc<RefDict> {
        thread_local! {
            static CACHE: RefCell<HashMap<(usize, String), Arc<RefDict>>> = RefCell::new(HashMap::new());
        }
        let key = (dictionary as *const Dictionary as usize, dictionary.info().version.clone());
        CACHE.with(|cache| cache.borrow_mut().entry(key).or_insert_with(|| Arc::new(RefDict::new(dictionary))).clone())
    }

    fn new(dictionary: &Dictionary) -> RefDict {
        let target = |c: &crate::dictionary::Claim| Target {
            entity: c.entity,
            written: dictionary.spellings(c).map(str::to_owned).collect(),
            case_forms: dictionary.case_forms(c).map(<[String]>::to_vec),
            after: dictionary.after(c).map(<[String]>::to_vec),
            extract: c.extract(),
            short_form: c.short_form(),
            default: c.default(),
            capitalised_tail: c.capitalised_tail(),
            proper: c.proper(),
            common_word: c.common_word(),
        };
        let mut keys = Vec::new();
        let mut entries = Vec::new();
        let mut all: Vec<(u32, String)> = dictionary.keys().collect();
        all.sort();
        for (key, text) in all {
            if !dictionary.scanner.is_scannable(key as usize) {
                continue;
            }
            keys.push(text);
            entries.push(KeyEntry {
                targets: dictionary.key_claims(key).iter().map(target).collect(),
                ignore: dictionary.key_ignore(key),
            });
        }
        let variants = dictionary.variants.as_ref().map(|index| {
            let mut skeletons: Vec<(usize, String)> = index.scanner.keys().collect();
            skeletons.sort();
            let texts: Vec<String> = skeletons.iter().map(|(_, t)| t.clone()).collect();
            let claims = skeletons
                .iter()
                .map(|&(k, _)| index.get(k).claims.iter().map(|&c| target(dictionary.claim(c))).collect())
                .collect();
            (RefScanner::new(&texts), claims)
        });
        RefDict {
            entries,
            automaton: RefScanner::new(&keys),
            variants,
            types: dictionary.entities().map(|e| e.entity_type().to_owned()).collect(),
            parents: {
                let index: HashMap<String, EntityIndex> =
                    dictionary.entities().enumerate().map(|(i, e)| (e.id().to_owned(), i as EntityIndex)).collect();
                dictionary.entities().map(|e| e.parent().and_then(|p| index.get(p).copied())).collect()
            },
        }
    }
}

thread_local! {
    /// The fold buffer, reused across documents on each worker thread.
    static REFERENCE_SCRATCH: RefCell<Folded> = RefCell::new(Folded::default());
}

/// A name found in folded text, before overlaps and short forms are
/// resolved: its folded span (the name, without pad spaces) and the claims
/// that passed the case and context checks.
#[derive(Debug)]
struct Candidate<'d> {
    start: usize,
    end: usize,
    /// Claims that passed rules 4 and 5 (empty for an ignore phrase).
    targets: Vec<&'d Target>,
    variant: bool,
    /// A Normalize-only alias: consumes its span, yields nothing.
    normalize_only: bool,
}

impl Candidate<'_> {
    fn names_nothing(&self) -> bool {
        self.normalize_only
    }
}

/// The full (non-short-form) mentions made so far in a document, indexed
/// for short forms (rule 11): by every run of their words, and by entity.
/// Insertion costs O(words²) per mention (names have a handful of words);
/// a lookup is O(1), so a long document stays linear.
#[derive(Default)]
struct Antecedents<'f> {
    /// Padded folded word run (a slice of the folded text, `" bagheri "`) ->
    /// entities of the full mentions containing it, most recent last.
    by_words: HashMap<&'f str, Vec<EntityIndex>>,
    /// Entity -> sequence number of its most recent full mention.
    last_of: HashMap<EntityIndex, usize>,
    seen: usize,
}

/// How many recent antecedents a word run remembers: enough to tell apart
/// the people of one story, bounded so a long document stays linear.
const ANTECEDENTS_PER_WORDS: usize = 8;

impl<'f> Antecedents<'f> {
    /// Records a full mention of `entity` at folded `[start, end)`.
    fn add(&mut self, entity: EntityIndex, folded: &'f str, start: usize, end: usize) {
        self.seen += 1;
        self.last_of.insert(entity, self.seen);
        // Word starts and ends within the mention; each run of words, with
        // the spaces around it, is a slice of the folded text.
        let mut bounds = Vec::new();
        let mut word_start = start;
        for (i, b) in folded.as_bytes()[start..end].iter().enumerate() {
            if *b == b' ' {
                bounds.push((word_start, start + i));
                word_start = start + i + 1;
            }
        }
        bounds.push((word_start, end));
        for (i, &(first, _)) in bounds.iter().enumerate() {
            for &(_, last) in &bounds[i..] {
                let entities = self.by_words.entry(&folded[first - 1..=last]).or_default();
                entities.retain(|&e| e != entity);
                entities.push(entity);
                if entities.len() > ANTECEDENTS_PER_WORDS {
                    entities.remove(0);
                }
            }
        }
    }
}

impl RefDict {
    /// Every mention in `text`, ordered by offset, never overlapping.
    fn r_extract(&self, text: &str) -> Vec<RefMention> {
        REFERENCE_SCRATCH.with(|scratch| {
            let mut folded = scratch.borrow_mut();
            fold_into(text, CaseMode::Fold, &mut folded);
            let candidates =
                merge_leftmost_longest(self.r_exact_candidates(text, &folded), self.r_variant_candidates(&folded));
            self.r_resolve_candidates(text, &folded, candidates)
        })
    }

    /// Rules 1–8 over the folded text: at every word start where a key
    /// starts, the longest key whose checks pass (rule 7, falling back to
    /// shorter keys), overlapping; [`merge_leftmost_longest`] picks among
    /// them and the variants (rule 3).
    fn r_exact_candidates<'d>(&'d self, text: &str, folded: &Folded) -> Vec<Candidate<'d>> {
        let haystack = folded.text.as_bytes();
        let mut candidates = Vec::new();
        let mut pos = 0;
        while let Some(longest) = self.automaton.find_from(haystack, pos) {
            pos = longest.start + 1;
            match self.r_longest_accepted(longest, text, folded) {
                // A Normalize-only name yields to a name that starts inside
                // it and runs past it ("the East" in "the East Jerusalem
                // office"): it only blocks names inside itself.
                Some(candidate) if candidate.names_nothing() && self.r_overrun(&candidate, haystack) => {}
                Some(candidate) => candidates.push(candidate),
                None => {}
            }
        }
        candidates
    }

    /// Whether some key starts inside `candidate` and ends after it.
    fn r_overrun(&self, candidate: &Candidate, haystack: &[u8]) -> bool {
        self.automaton
            .find_from(haystack, candidate.start)
            .is_some_and(|m| m.start < candidate.end && m.end > candidate.end + 1)
    }

    fn r_entry_of(&self, found: Found) -> &KeyEntry {
        &self.entries[found.pattern]
    }

    /// The longest key at `longest.start()` whose claims pass the case,
    /// context and descriptor checks (rule 7).
    fn r_longest_accepted<'d>(&'d self, longest: Found, text: &str, folded: &Folded) -> Option<Candidate<'d>> {
        let haystack = folded.text.as_bytes();
        let mut found = longest;
        loop {
            if let Some(candidate) = self.r_check(found, text, folded) {
                return Some(candidate);
            }
            // A shorter key at the same start must end before this one's
            // trailing space; the shortest possible key is " x ".
            let bound = found.end - 1;
            if bound < found.start + 3 {
                return None;
            }
            found = self.automaton.find_at(haystack, found.start, bound)?;
        }
    }

    /// Rules 4–6 and 8 for one automaton match.
    fn r_check<'d>(&'d self, found: Found, text: &str, folded: &Folded) -> Option<Candidate<'d>> {
        let entry = self.r_entry_of(found);
        let (start, end) = (found.start + 1, found.end - 1);
        if entry.ignore != 0 {
            return Some(Candidate { start, end, targets: Vec::new(), variant: false, normalize_only: false });
        }
        let (orig_start, orig_end) = folded.map.original_span(start, end);
        let original = &text[orig_start..orig_end];
        let mut preserved: Option<String> = None;
        let before = &folded.text[..=found.start];
        let mut applies = |target: &Target| {
            (target.case_forms().is_none()
                || target.case_matches(preserved.get_or_insert_with(|| fold_key(original, CaseMode::Preserve))))
                && target.after().is_none_or(|phrases| phrases.iter().any(|p| follows_phrase(before, p)))
                && (!target.capitalised_tail || last_word_capitalised(text, folded, start, end))
                && (!target.proper || first_or_second_word_capitalised(text, folded, start, end))
                && (!target.common_word || !starts_a_sentence(&text[..folded.map.original_span(start, end).0]))
                && (!target.common_word
                    || target.case_forms().is_some()
                    || !in_a_shout(text, folded.map.original_span(start, end)))
        };
        let mut targets = Vec::new();
        let mut names_nothing_here = false;
        for target in &entry.targets {
            if applies(target) {
                if target.extract {
                    targets.push(target);
                } else {
                    names_nothing_here = true;
                }
            }
        }
        // A Normalize-only alias ("the East", "al-Houthi" as a bare surname)
        // is still a name: it consumes its span, so no shorter alias inside
        // it ("Houthi") is reported in its place.
        let normalize_only = targets.is_empty() && names_nothing_here;
        (!targets.is_empty() || names_nothing_here).then_some(Candidate {
            start,
            end,
            targets,
            variant: false,
            normalize_only,
        })
    }

    /// Rule 10: runs of capitalised words (with the particles between them)
    /// reduced to romanisation skeletons and matched against the variant
    /// index.
    fn r_variant_candidates<'d>(&'d self, folded: &Folded) -> Vec<Candidate<'d>> {
        let Some((automaton, claims)) = &self.variants else { return Vec::new() };
        let mut candidates = Vec::new();
        let text = folded.text.as_str();
        let mut skeleton = String::new();
        let mut words: Vec<(usize, usize, usize)> = Vec::new(); // (skeleton start, folded start, folded end)
        let mut covered_until = 0;
        for &cap in &folded.capitalised {
            let cap = cap as usize;
            if cap < covered_until {
                continue;
            }
            let run_start = leading_articles(text, cap);
            covered_until = build_run(text, &folded.capitalised, run_start, &mut skeleton, &mut words);
            if words.is_empty() {
                continue;
            }
            let haystack = skeleton.as_bytes();
            let mut pos = 0;
            // Every start, overlapping, as for exact candidates.
            while let Some(found) = automaton.find_from(haystack, pos) {
                pos = found.start + 1;
                // The key's pads are the spaces around its first and last words.
                let first = words.partition_point(|w| w.0 <= found.start + 1) - 1;
                let last = words.partition_point(|w| w.0 < found.end - 1) - 1;
                // Ordinary English words are no variant of a name.
                if words[first..=last].iter().all(|w| crate::text::english::is_english_word(&text[w.1..w.2])) {
                    continue;
                }
                let targets = claims[found.pattern].iter().collect();
                candidates.push(Candidate {
                    start: words[first].1,
                    end: words[last].2,
                    targets,
                    variant: true,
                    normalize_only: false,
                });
            }
        }
        candidates
    }

    /// Rules 8, 9 and 11, left to right, into mentions.
    fn r_resolve_candidates<'d>(
        &'d self,
        text: &str,
        folded: &Folded,
        candidates: Vec<Candidate<'d>>,
    ) -> Vec<RefMention> {
        let mut mentions = Vec::with_capacity(candidates.len());
        let mut antecedents = Antecedents::default();
        let mut units = UnitCounter::new(text);
        for candidate in candidates {
            let Some(&first) = candidate.targets.first() else { continue };
            let (entity, target, kind) = if first.short_form {
                let short = &folded.text[candidate.start - 1..=candidate.end];
                match resolve_short_form(self, &candidate.targets, short, &antecedents) {
                    Some((entity, target)) => (entity, target, MatchKind::ShortForm),
                    None => continue,
                }
            } else {
                (first.entity, first, if candidate.variant { MatchKind::Variant } else { MatchKind::Normalized })
            };
            let (start, end) = folded.map.original_span(candidate.start, candidate.end);
            let start = start - leading_modifier_letters(&text[..start]);
            let end = end + trailing_punctuation(target, &text[end..]);
            // A span never splits a letter from its marks (bug fix: a
            // decomposed name ending in a combining mark lost the mark).
            let (start, end) = crate::text::offsets::widen_to_graphemes(text, start, end);
            let original = &text[start..end];
            let exact = target.written.iter().find(|w| *w == original);
            let alias = exact.unwrap_or(&target.written[0]);
            let kind = if kind == MatchKind::Normalized && exact.is_some() { MatchKind::Exact } else { kind };
            if kind != MatchKind::ShortForm {
                antecedents.add(entity, &folded.text, candidate.start, candidate.end);
            }
            mentions.push((Some(entity), units.span(start, end), alias.clone(), kind));
        }
        mentions
    }
}

/// Whether the last word of the folded span `[start, end)` begins, in the
/// caller's text, with a capital letter.
fn last_word_capitalised(text: &str, folded: &Folded, start: usize, end: usize) -> bool {
    let word = folded.text[start..end].rfind(' ').map_or(start, |i| start + i + 1);
    let width = folded.text[word..].chars().next().map_or(1, char::len_utf8);
    let (original, _) = folded.map.original_span(word, word + width);
    text[original..].chars().next().is_some_and(char::is_uppercase)
}

/// Whether `text[start..end]` and a neighbouring word are written in
/// capitals (two letters or more, none small).
fn in_a_shout(text: &str, (start, end): (usize, usize)) -> bool {
    let shouted = |word: &str| {
        let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase())
    };
    let words_before: Vec<&str> = text[..start].split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    let words_after: Vec<&str> = text[end..].split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    shouted(&text[start..end])
        && (words_before.last().is_some_and(|w| shouted(w)) || words_after.first().is_some_and(|w| shouted(w)))
}

/// Whether text ending with `before` is at a sentence's or a line's start:
/// its last character that is not a space, quote, bracket or dash is a
/// sentence mark, or there is none, or a line break comes first.
fn starts_a_sentence(before: &str) -> bool {
    let rest = before.trim_end_matches(|c: char| {
        (c.is_whitespace() && !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')) || "\"'“”‘’«»„([{*-–—".contains(c)
    });
    rest.is_empty() || rest.ends_with(['\n', '\r', '\u{2028}', '\u{2029}', '.', '!', '?', ':', '…'])
}

/// A proper name's case rule, from the caller's text: the first word, or
/// the second after a lower-case first, begins with a capital.
fn first_or_second_word_capitalised(text: &str, folded: &Folded, start: usize, end: usize) -> bool {
    let begins_capitalised = |word: usize| {
        let width = folded.text[word..].chars().next().map_or(1, char::len_utf8);
        let (original, _) = folded.map.original_span(word, word + width);
        text[original..].chars().next().is_some_and(char::is_uppercase)
    };
    begins_capitalised(start) || folded.text[start..end].find(' ').is_some_and(|i| begins_capitalised(start + i + 1))
}

/// Where a name run starting with the capitalised word at `cap` really
/// starts: up to two article words before it ("al-Houthi", "as-Sakhar").
fn leading_articles(text: &str, cap: usize) -> usize {
    let mut start = cap;
    for _ in 0..2 {
        let Some(space) = start.checked_sub(1) else { break };
        let word_start = text[..space].rfind(' ').map_or(0, |i| i + 1);
        let word = &text[word_start..space];
        if word.is_empty() || !is_article(word) {
            break;
        }
        start = word_start;
    }
    start
}

/// Builds the skeleton of the run of words starting at folded `start`:
/// capitalised words and particles, until any other word or punctuation.
/// Fills `skeleton` (padded) and `words`; returns where the run ended.
fn build_run(
    text: &str,
    capitalised: &[u32],
    start: usize,
    skeleton: &mut String,
    words: &mut Vec<(usize, usize, usize)>,
) -> usize {
    skeleton.clear();
    words.clear();
    skeleton.push(' ');
    let mut pos = start;
    while pos < text.len() {
        let end = text[pos..].find(' ').map_or(text.len(), |i| pos + i);
        let word = &text[pos..end];
        if word.is_empty() || !(is_particle(word) || capitalised.binary_search(&(pos as u32)).is_ok()) {
            break;
        }
        let skeleton_start = skeleton.len();
        if !skeleton_word(word, skeleton) {
            skeleton.truncate(skeleton_start);
            break;
        }
        skeleton.push(' ');
        words.push((skeleton_start, pos, end));
        pos = end + 1;
    }
    // A run does not end on a particle ("Hezbollah and ...").
    while let Some(&(skeleton_start, f_start, f_end)) = words.last() {
        if !is_particle(&text[f_start..f_end]) {
            break;
        }
        words.pop();
        skeleton.truncate(skeleton_start);
    }
    pos
}

/// Rule 3 across both passes: exact-pass and variant candidates (each
/// overlapping, one per start), merged so that the leftmost, then longest,
/// wins; at equal spans the exact candidate wins.
fn merge_leftmost_longest<'d>(exact: Vec<Candidate<'d>>, variants: Vec<Candidate<'d>>) -> Vec<Candidate<'d>> {
    let mut all: Vec<Candidate<'d>> = exact.into_iter().chain(variants).collect();
    all.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(a.variant.cmp(&b.variant)));
    let mut merged = Vec::with_capacity(all.len());
    let mut covered = 0;
    for candidate in all {
        if candidate.start >= covered {
            covered = candidate.end;
            merged.push(candidate);
        }
    }
    merged
}

/// Bytes at the end of `before` (the text right before a mention) that open
/// its first word: a transliterated ayn or hamza ("ʿAbd al-Malik"), which
/// folding drops but which belongs to the name.
fn leading_modifier_letters(before: &str) -> usize {
    let mut chars = before.chars().rev();
    match chars.next() {
        Some(c) if crate::text::is_modifier_apostrophe(c) && !chars.next().is_some_and(char::is_alphanumeric) => {
            c.len_utf8()
        }
        _ => 0,
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
        // Only where the punctuation (with its cluster) ends a word (bug
        // glued-trailing-punct).
        .filter(|suffix| {
            rest.starts_with(suffix) && {
                let (_, end) = crate::text::offsets::widen_to_graphemes(rest, 0, suffix.len());
                !rest[end..].chars().next().is_some_and(char::is_alphanumeric)
            }
        })
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// Rule 11: which entity a short form means here, and the claim whose
/// spelling it matched (for the mention's `alias`). `short` is the short
/// form's padded folded text.
///
/// The nearest earlier full mention that contains the short form wins if
/// its entity claims the form or is of the same type ("Bagheri" after "Ali
/// Bagheri Kani" is him, though only Mohammad Bagheri lists "Bagheri"); then
/// the nearest earlier full mention of a claiming entity; then the default;
/// then the only claim with an `after` context (its check passed, so the
/// context is there); then the only claimant whose parent was mentioned in
/// full before.
fn resolve_short_form<'d>(
    dictionary: &RefDict,
    claims: &[&'d Target],
    short: &str,
    antecedents: &Antecedents<'_>,
) -> Option<(EntityIndex, &'d Target)> {
    let first = *claims.first()?;
    let claim_of = |entity: EntityIndex| claims.iter().copied().find(|t| t.entity == entity);
    let same_type = |entity: EntityIndex| dictionary.types[entity as usize] == dictionary.types[first.entity as usize];
    let containing =
        antecedents.by_words.get(short).into_iter().flatten().rev().find_map(|&entity| match claim_of(entity) {
            Some(target) => Some((entity, target)),
            None => same_type(entity).then_some((entity, first)),
        });
    // Since issue 12: a claim whose context is written right before it
    // decides first ("King Abdullah" after "Asya Abdullah").
    let in_context = match claims.iter().copied().filter(|t| t.after.is_some()).collect::<Vec<_>>()[..] {
        [t] => Some((t.entity, t)),
        _ => None,
    };
    in_context
        .or(containing)
        .or_else(|| {
            claims
                .iter()
                .copied()
                .filter_map(|t| antecedents.last_of.get(&t.entity).map(|&seen| (seen, t)))
                .max_by_key(|&(seen, _)| seen)
                .map(|(_, t)| (t.entity, t))
        })
        .or_else(|| claims.iter().copied().find(|t| t.default).map(|t| (t.entity, t)))
        .or_else(|| {
            let decided: Vec<&Target> = claims
                .iter()
                .copied()
                .filter(|t| dictionary.parents[t.entity as usize].is_some_and(|p| antecedents.last_of.contains_key(&p)))
                .collect();
            let first = *decided.first()?;
            decided.iter().all(|t| t.entity == first.entity).then_some((first.entity, first))
        })
}

// --- skeleton_word as it was ---

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Appends the skeleton of one folded word; `false` if it is not a word of
/// ASCII lowercase letters (digits, Arabic script, `|`).
pub(super) fn skeleton_word(word: &str, out: &mut String) -> bool {
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

    // Letters as classes: consonants mapped, vowels marked with b'*'.
    let mut classes: Vec<u8> = Vec::with_capacity(bytes.len());
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
            // Changed since (issue 12, class 3): a final y after a single
            // consonant is a vowel ("al-Houthy", not "Kenny").
            (b'y', None) if i > 0 && !(i >= 2 && bytes[i - 1] == bytes[i - 2]) => (b'a', 1),
            (v, _) if is_vowel(v) => (if matches!(v, b'o' | b'u') { b'u' } else { b'a' }, 1),
            (c, _) => (c, 1),
        };
        classes.push(class);
        i += width;
    }

    // Collapse: doubled consonants; vowel runs (first keeps back/front).
    let mut collapsed: Vec<u8> = Vec::with_capacity(classes.len());
    let mut seen_vowel_run = false;
    let mut in_vowel_run = false;
    for &class in &classes {
        let vowel = matches!(class, b'a' | b'u' | b'*');
        if vowel {
            if !in_vowel_run {
                collapsed.push(if seen_vowel_run {
                    b'a'
                } else if class == b'u' {
                    b'u'
                } else {
                    b'a'
                });
                seen_vowel_run = true;
            }
            in_vowel_run = true;
            continue;
        }
        in_vowel_run = false;
        if collapsed.last() != Some(&class) {
            collapsed.push(class);
        }
    }
    // Silent final h after a vowel.
    if collapsed.len() >= 3 && collapsed.last() == Some(&b'h') && is_vowel_class(collapsed[collapsed.len() - 2]) {
        collapsed.pop();
    }
    // Unstressed vowel before one final consonant, when another vowel exists.
    let n = collapsed.len();
    let vowel_runs = collapsed.iter().filter(|&&c| is_vowel_class(c)).count();
    if n >= 3 && vowel_runs >= 2 && !is_vowel_class(collapsed[n - 1]) && is_vowel_class(collapsed[n - 2]) {
        collapsed.remove(n - 2);
    }
    out.extend(collapsed.iter().map(|&b| char::from(b)));
    true
}

fn is_vowel_class(b: u8) -> bool {
    b == b'a' || b == b'u'
}

// --- UnitCounter as it was ---

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
    /// position restarts the count from the beginning (correct, slower).
    pub fn at(&mut self, pos: usize) -> (usize, usize) {
        if self.ascii {
            return (pos, pos);
        }
        if pos < self.byte {
            (self.byte, self.chars, self.utf16) = (0, 0, 0);
        }
        for c in self.text[self.byte..pos].chars() {
            self.chars += 1;
            self.utf16 += c.len_utf16();
        }
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
