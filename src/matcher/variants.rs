//! Stage 3 of [`super::extract`]: romanisation variants (rule 10). Runs of
//! capitalised words, with the particles between them, reduced to their
//! skeletons ([`crate::text::skeleton`]) and matched against the
//! dictionary's skeleton index, then merged with the exact candidates by
//! rule 3 (leftmost, then longest; at equal spans the exact one wins).
//! A variant made only of ordinary English words ("Therefore", "Several
//! Methods") is no name: the text means the words
//! ([`crate::text::english`]).
//!
//! # Cost
//!
//! Nothing when the text has no capitalised word or the dictionary no
//! variant index; a run that an exact candidate already covers, or whose
//! words are all English, is never reduced to skeletons, which in news
//! skips most runs.

use std::collections::VecDeque;

use super::{
    OverlapPolicy,
    candidates::{Candidate, KeptClaims, next_exact},
};
use crate::{
    dictionary::{Dictionary, Selection},
    text::{
        Folded,
        english::is_english_word,
        skeleton::{is_article, is_particle, skeleton_word},
    },
};

/// Rule 10 merged with the exact candidates by rule 3: runs of
/// capitalised words (with the particles between them) reduced to
/// romanisation skeletons and matched against the variant index.
///
/// Exact candidates (non-overlapping, by start) and the variants of
/// each run (non-overlapping, by start; runs in text order) are merged
/// in one pass, in the order of sorting both by start, longer first,
/// exact first at equal spans, and kept greedily when they start at or
/// after the end of the last one kept.
///
/// Each of the two lists is a leftmost-longest chain, which hides the
/// candidates that start inside one of its links. When the other list's
/// candidate is kept and the next link starts inside it, the link is
/// dropped and what it hid comes first: the chain is scanned again from
/// the end of what is kept ([`Pending`] for exact candidates; for a run's
/// variants, the skeleton scan resumes at the first word after it).
/// Without this, a variant that overlapped the start of an exact name lost
/// the names inside that name's tail (bug `uncovered-occurrence`, found by
/// the `matcher` fuzz target).
///
/// A run is skipped, skeletons unmade, when what is already kept, or the
/// exact candidate starting where the run's first word starts, reaches
/// its last word's end: every variant of the run would start inside it
/// and be dropped. (That exact candidate is kept: nothing left sorts
/// before it — a variant at its start is no longer than the run, and at
/// equal spans exact comes first.) In news this skips most runs: names
/// the dictionary spells exactly.
#[allow(clippy::too_many_arguments)]
pub(super) fn merge_variants<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    preserved: &mut Folded,
    exact: Vec<Candidate<'d>>,
    skeleton: &mut String,
    words: &mut Vec<(usize, usize, usize)>,
    selection: Selection,
    overlaps: OverlapPolicy,
) -> Vec<Candidate<'d>> {
    let Some(index) = dict.variants.as_ref().filter(|_| !folded.capitalised.is_empty()) else { return exact };
    let capitalised = &folded.capitalised;
    let all = overlaps == OverlapPolicy::All;
    let mut merged = Merged { kept: Vec::with_capacity(exact.len() + 8), covered: 0, all };
    let mut exact = Pending { queue: exact.into(), dict, text, folded, preserved, selection, all };
    let folded_text = folded.text.as_str();
    let mut covered_until = 0;
    for (i, &cap) in capitalised.iter().enumerate() {
        let cap = cap as usize;
        if cap < covered_until {
            continue;
        }
        let run_start = leading_articles(folded_text, cap);
        covered_until = run_words(folded_text, &capitalised[i..], run_start, words);
        let (Some(&(_, first_start, _)), Some(&(_, _, last_end))) = (words.first(), words.last()) else {
            continue;
        };
        while let Some(x) = exact.next_if(merged.covered, |x| x.start < first_start) {
            merged.offer(x);
        }
        let next_exact_reach = exact
            .peek(merged.covered)
            .filter(|x| x.start == first_start && x.start >= merged.covered)
            .map_or(0, |x| x.end);
        if !all && merged.covered.max(next_exact_reach) >= last_end {
            continue;
        }
        if all_english(folded_text, words) {
            // Every variant of the run would be English words only.
            continue;
        }
        skeleton.clear();
        skeleton.push(' ');
        for word in words.iter_mut() {
            word.0 = skeleton.len();
            let made = skeleton_word(&folded_text[word.1..word.2], skeleton);
            debug_assert!(made, "run_words keeps only words of ASCII lowercase letters");
            skeleton.push(' ');
        }
        let haystack = skeleton.as_bytes();
        let mut pos = 0;
        while let Some(found) = index.scanner.find_from(haystack, pos) {
            pos = found.end - 1;
            let entry = index.get(found.pattern);
            let seen = |c: &&crate::dictionary::ClaimId| selection.sees(dict.claim_dictionaries(dict.claim(**c)));
            let claims = match entry.claims {
                _ if selection.sees(entry.ignore) => KeptClaims::Run(&[]),
                [one] if seen(&one) => KeptClaims::Run(std::slice::from_ref(dict.claim(*one))),
                many => KeptClaims::Picked(many.iter().filter(seen).map(|&c| dict.claim(c)).collect()),
            };
            if claims.first().is_none() && !selection.sees(entry.ignore) {
                // Every claim is in a dictionary the request does not see.
                continue;
            }
            // The key's pads are the spaces around its first and last words.
            let first = words.partition_point(|w| w.0 <= found.start + 1) - 1;
            let last = words.partition_point(|w| w.0 < found.end - 1) - 1;
            if all_english(folded_text, &words[first..=last]) {
                // No name (module docs); nor is any shorter variant at
                // this start, of English words too: on to the next word.
                pos = found.start + 1;
                continue;
            }
            let variant =
                Candidate { start: words[first].1, end: words[last].2, claims, variant: true, normalize_only: false };
            while let Some(x) = exact.next_if(merged.covered, |x| {
                x.start < variant.start || (x.start == variant.start && x.end >= variant.end)
            }) {
                merged.offer(x);
            }
            if !all && variant.start < merged.covered {
                // Dropped: the run's variants that it hid, starting at the
                // first word after what is kept, come next.
                match words.iter().find(|w| w.1 >= merged.covered) {
                    Some(w) => pos = w.0 - 1,
                    None => break,
                }
                continue;
            }
            merged.offer(variant);
        }
    }
    while let Some(x) = exact.next_if(merged.covered, |_| true) {
        merged.offer(x);
    }
    merged.kept
}

/// The exact candidates not yet offered to [`Merged`], in text order: the
/// scan's leftmost-longest chain, scanned again from the end of what is
/// kept when a kept variant ends inside the next link (see
/// [`merge_variants`]).
struct Pending<'d, 'a> {
    queue: VecDeque<Candidate<'d>>,
    dict: &'d Dictionary,
    text: &'a str,
    folded: &'a Folded,
    preserved: &'a mut Folded,
    selection: Selection,
    /// [`OverlapPolicy::All`]: the list holds every candidate; nothing is
    /// hidden.
    all: bool,
}

impl<'d> Pending<'d, '_> {
    /// The next candidate, if `take` accepts it, once the list agrees with
    /// what is kept up to `covered`.
    fn next_if(&mut self, covered: usize, take: impl Fn(&Candidate<'d>) -> bool) -> Option<Candidate<'d>> {
        self.resync(covered);
        if self.queue.front().is_some_and(take) { self.queue.pop_front() } else { None }
    }

    fn peek(&mut self, covered: usize) -> Option<&Candidate<'d>> {
        self.resync(covered);
        self.queue.front()
    }

    /// Drops the candidates that start before `covered` (the merge would
    /// drop them). When one of them ran past `covered`, the chain is
    /// scanned again from there until it meets the old chain again (one
    /// start, one candidate: from there on the chains agree).
    fn resync(&mut self, covered: usize) {
        if self.all {
            return;
        }
        let mut reach = covered;
        while let Some(front) = self.queue.front().filter(|x| x.start < covered) {
            reach = reach.max(front.end);
            self.queue.pop_front();
        }
        if reach == covered {
            return;
        }
        let mut fresh = Vec::new();
        let mut pos = covered;
        while let Some(candidate) = next_exact(self.dict, self.text, self.folded, self.preserved, self.selection, pos) {
            if self.queue.front().is_some_and(|x| x.start <= candidate.start) {
                break;
            }
            while self.queue.front().is_some_and(|x| x.start < candidate.end) {
                self.queue.pop_front();
            }
            pos = candidate.end;
            fresh.push(candidate);
        }
        for candidate in fresh.into_iter().rev() {
            self.queue.push_front(candidate);
        }
    }
}

/// Candidates kept by rule 3, offered in sorted order.
struct Merged<'d> {
    kept: Vec<Candidate<'d>>,
    /// End of the last candidate kept.
    covered: usize,
    /// [`OverlapPolicy::All`]: keep every candidate, except a variant with
    /// the span of an exact one (offered before it).
    all: bool,
}

impl<'d> Merged<'d> {
    fn offer(&mut self, candidate: Candidate<'d>) {
        if self.all {
            let same_span = |k: &Candidate<'_>| k.start == candidate.start && k.end == candidate.end;
            if !(candidate.variant && self.kept.iter().rev().take_while(|k| k.start == candidate.start).any(same_span))
            {
                self.kept.push(candidate);
            }
            return;
        }
        if candidate.start >= self.covered {
            self.covered = candidate.end;
            self.kept.push(candidate);
        }
    }
}

/// Whether every word of a run (folded spans in `text`) is an ordinary
/// English word: then the run is that English, not another spelling of a
/// name ("Therefore", "Several", "Example" opening a sentence).
fn all_english(text: &str, words: &[(usize, usize, usize)]) -> bool {
    words.iter().all(|&(_, start, end)| is_english_word(&text[start..end]))
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

/// The words of the name run starting at folded `start`: capitalised words
/// and particles, until any other word, punctuation, or a word that is not
/// ASCII lowercase letters (it has no skeleton), and without particles at
/// the end ("Hezbollah and ..."). Fills `words` with (0, folded start,
/// folded end); returns where the run ended, particles included.
///
/// `capitalised` starts at the capitalised word that opened the run: words
/// before it are leading articles, particles either way, so a cursor
/// replaces a search per word.
fn run_words(text: &str, capitalised: &[u32], start: usize, words: &mut Vec<(usize, usize, usize)>) -> usize {
    words.clear();
    let bytes = text.as_bytes();
    let mut caps = capitalised.iter().map(|&c| c as usize).peekable();
    let mut pos = start;
    while pos < bytes.len() {
        let mut end = pos;
        let mut lowercase = true;
        while end < bytes.len() && bytes[end] != b' ' {
            lowercase &= bytes[end].is_ascii_lowercase();
            end += 1;
        }
        while caps.next_if(|&c| c < pos).is_some() {}
        let word = &text[pos..end];
        if word.is_empty() || !lowercase || !(caps.peek() == Some(&pos) || is_particle(word)) {
            break;
        }
        words.push((0, pos, end));
        pos = end + 1;
    }
    while words.last().is_some_and(|&(_, f_start, f_end)| is_particle(&text[f_start..f_end])) {
        words.pop();
    }
    pos
}
