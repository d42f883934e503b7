//! Stage 2 of [`super::extract`]: candidates. The scanner's leftmost-longest
//! keys over the folded text, each checked against the case, context and
//! descriptor rules (rules 2-8), falling back to a shorter key at the same
//! start when a check fails.
//!
//! # Invariants
//!
//! Candidates are in text order and never overlap; each holds only the
//! claims that passed its checks and the selection ([`KeptClaims`]).
//!
//! # Cost
//!
//! One scan of the folded text; the fallback searches are anchored and only
//! run where a match was rejected. A candidate borrows its claims from the
//! dictionary: almost every key has one claim, and almost every check
//! passes all of a key's claims.

use super::super::dictionary::{Claim, Dictionary, KeyId, Selection, scanner::Found};
use crate::text::{CaseMode, Folded, PUNCT_MARK, fold_into};

/// A name found in folded text, before overlaps and short forms are
/// resolved: its folded span (the name, without pad spaces) and the claims
/// that passed the case and context checks.
#[derive(Debug)]
pub(super) struct Candidate<'d> {
    pub(super) start: usize,
    pub(super) end: usize,
    /// Claims that passed rules 4 and 5 (empty for an ignore phrase).
    pub(super) claims: KeptClaims<'d>,
    pub(super) variant: bool,
    /// A Normalize-only alias: consumes its span, yields nothing.
    pub(super) normalize_only: bool,
}

/// English words that are also an assimilated Arabic article ("At-Tanf",
/// "as-Sadr", "an-Nasiriyah"): written lower case and followed by a space
/// they are the English word ("struck at Tanf", "such as Sadr"), so a name
/// found from them starts at the next word (rule 2: the span is the name).
const ENGLISH_ARTICLES: &[&str] = &["an", "as", "at"];

/// Moves the start of every candidate that opens with one of
/// [`ENGLISH_ARTICLES`], written in small letters and followed by a space in
/// the caller's text (not a hyphen), to the word after it; the claims stay.
/// A candidate whose rest is one letter or a common English word ("an I")
/// was the English words alone, and is dropped. Keeps text order and
/// disjointness: a start only moves right, within the candidate.
pub(super) fn trim_english_articles(text: &str, folded: &Folded, candidates: &mut Vec<Candidate<'_>>) {
    candidates.retain_mut(|c| {
        // Every such word has two letters: a look at three bytes.
        let f = &folded.text.as_bytes()[c.start..c.end];
        if f.len() < 4 || f[2] != b' ' || !ENGLISH_ARTICLES.iter().any(|a| a.as_bytes() == &f[..2]) {
            return true;
        }
        let (o_start, o_end) = folded.map.original_span(c.start, c.start + 2);
        let written = &text[o_start..o_end];
        let space_after = text[o_end..].chars().next().is_some_and(char::is_whitespace);
        if !(space_after && written.bytes().all(|b| b.is_ascii_lowercase())) {
            return true;
        }
        c.start += 3;
        let rest = &folded.text[c.start..c.end];
        rest.chars().count() > 1 && !crate::text::common::is_common_word_key(&folded.text[c.start - 1..=c.end])
    });
}

/// `candidates` with the candidates a recovery stage `found` merged in, in
/// text order (both come in text order; the sort is stable, so at equal
/// starts the scan's candidate stays first).
pub(super) fn merge<'d>(mut candidates: Vec<Candidate<'d>>, found: Vec<Candidate<'d>>) -> Vec<Candidate<'d>> {
    if found.is_empty() {
        return candidates;
    }
    candidates.extend(found);
    candidates.sort_by_key(|c| c.start);
    candidates
}

/// The claims of a candidate, in the entry's order. Almost every key has
/// one claim, and almost every check passes all of a key's claims, so the
/// common case borrows the entry's own slice instead of allocating a list
/// per candidate (which cost about as much as the rules themselves).
#[derive(Debug)]
pub(super) enum KeptClaims<'d> {
    /// Consecutive claims of an entry: all of them, one, or none.
    Run(&'d [Claim]),
    /// Claims with gaps between them (some of a key's claims failed).
    Picked(Vec<&'d Claim>),
}

impl<'d> KeptClaims<'d> {
    pub(super) fn first(&self) -> Option<&'d Claim> {
        match self {
            KeptClaims::Run(run) => run.first(),
            KeptClaims::Picked(picked) => picked.first().copied(),
        }
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &'d Claim> + Clone + '_ {
        let (run, picked): (&'d [Claim], &[&'d Claim]) = match self {
            KeptClaims::Run(run) => (run, &[]),
            KeptClaims::Picked(picked) => (&[], picked),
        };
        run.iter().chain(picked.iter().copied())
    }
}

/// Collects the indices of an entry's claims that pass, as [`KeptClaims`].
struct ClaimsBuilder<'d> {
    targets: &'d [Claim],
    /// The passing claims so far while they are consecutive: `[first, end)`.
    run: Option<(usize, usize)>,
    picked: Option<Vec<&'d Claim>>,
}

impl<'d> ClaimsBuilder<'d> {
    fn new(targets: &'d [Claim]) -> Self {
        Self { targets, run: None, picked: None }
    }

    /// Adds claim `i`; indices come in ascending order.
    fn push(&mut self, i: usize) {
        if let Some(picked) = &mut self.picked {
            picked.push(&self.targets[i]);
            return;
        }
        match &mut self.run {
            None => self.run = Some((i, i + 1)),
            Some((_, end)) if *end == i => *end += 1,
            Some((first, end)) => {
                let mut picked: Vec<&'d Claim> = self.targets[*first..*end].iter().collect();
                picked.push(&self.targets[i]);
                self.picked = Some(picked);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.run.is_none()
    }

    fn build(self) -> KeptClaims<'d> {
        match (self.picked, self.run) {
            (Some(picked), _) => KeptClaims::Picked(picked),
            (None, Some((first, end))) => KeptClaims::Run(&self.targets[first..end]),
            (None, None) => KeptClaims::Run(&[]),
        }
    }
}

impl Candidate<'_> {
    fn names_nothing(&self) -> bool {
        self.normalize_only
    }
}

/// Rules 1–8 over the folded text: leftmost-longest keys, with fallback
/// to shorter keys at the same start when checks fail.
pub(super) fn exact_candidates<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    preserved: &mut Folded,
    selection: Selection,
) -> Vec<Candidate<'d>> {
    // News has about one name per 60 bytes.
    let mut candidates = Vec::with_capacity(folded.text.len() / 64 + 1);
    let mut pos = 0;
    while let Some(candidate) = next_exact(dict, text, folded, preserved, selection, pos) {
        // The trailing pad of this key is the leading pad of the next.
        pos = candidate.end;
        candidates.push(candidate);
    }
    candidates
}

/// The first candidate of [`exact_candidates`] that starts at or after the
/// folded position `pos` (a pad space or a word start): the leftmost
/// start with an accepted key, its longest accepted key.
pub(super) fn next_exact<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    preserved: &mut Folded,
    selection: Selection,
    mut pos: usize,
) -> Option<Candidate<'d>> {
    let haystack = folded.text.as_bytes();
    while pos < haystack.len() {
        let longest = dict.scanner.find_from_cased(haystack, pos, &folded.capitalised)?;
        match longest_accepted(dict, longest, text, folded, preserved, selection) {
            // A Normalize-only name yields to a name that starts inside
            // it and runs past it ("the East" in "the East Jerusalem
            // office"): it only blocks names inside itself.
            Some(candidate) if candidate.names_nothing() && overrun(dict, &candidate, haystack) => {
                pos = longest.start + 1;
            }
            Some(candidate) => return Some(candidate),
            None => pos = longest.start + 1,
        }
    }
    None
}

/// [`super::OverlapPolicy::All`]: every key at every word start whose
/// claims pass the checks (rules 2, 4-6, 8), ordered by start, longer
/// first. The scanner's anchored search walks down from the longest key at
/// a start, so each start costs one walk per key found there.
pub(super) fn all_candidates<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    preserved: &mut Folded,
    selection: Selection,
) -> Vec<Candidate<'d>> {
    let haystack = folded.text.as_bytes();
    let mut candidates = Vec::with_capacity(haystack.len() / 64 + 1);
    let mut pos = 0;
    while let Some(longest) = dict.scanner.find_from_cased(haystack, pos, &folded.capitalised) {
        let mut found = longest;
        loop {
            if let Some(candidate) = check(dict, found, text, folded, preserved, selection) {
                candidates.push(candidate);
            }
            // As in `longest_accepted`: a shorter key ends before this
            // one's trailing space.
            let bound = found.end - 1;
            match dict.scanner.find_at(haystack, found.start, bound) {
                Some(shorter) if bound >= found.start + 3 => found = shorter,
                _ => break,
            }
        }
        // The next word start.
        pos = longest.start + 1;
    }
    candidates
}

/// [`super::OverlapPolicy::All`], rule 8: drops the candidates that lie
/// inside a name that yields nothing (an ignore phrase, a Normalize-only
/// alias): "Washington" in "Washington Post". `candidates` are ordered by
/// start, longer first, so the names that yield nothing seen so far cover
/// up to the furthest end among them.
pub(super) fn drop_inside_nothing(candidates: &mut Vec<Candidate<'_>>) {
    let mut covered = 0;
    candidates.retain(|c| {
        let inside = c.end <= covered;
        if c.claims.first().is_none() {
            covered = covered.max(c.end);
        }
        !inside
    });
}

/// Whether some key starts inside `candidate` and ends after it.
fn overrun(dict: &Dictionary, candidate: &Candidate, haystack: &[u8]) -> bool {
    dict.scanner
        .find_from(haystack, candidate.start)
        .is_some_and(|m| m.start < candidate.end && m.end > candidate.end + 1)
}

fn key_of(found: Found) -> KeyId {
    found.pattern as KeyId
}

/// The longest key at `longest.start()` whose claims pass the case,
/// context and descriptor checks (rule 7).
fn longest_accepted<'d>(
    dict: &'d Dictionary,
    longest: Found,
    text: &str,
    folded: &Folded,
    preserved: &mut Folded,
    selection: Selection,
) -> Option<Candidate<'d>> {
    let haystack = folded.text.as_bytes();
    let mut found = longest;
    loop {
        if let Some(candidate) = check(dict, found, text, folded, preserved, selection) {
            return Some(candidate);
        }
        // A shorter key at the same start must end before this one's
        // trailing space; the shortest possible key is " x ".
        let bound = found.end - 1;
        if bound < found.start + 3 {
            return None;
        }
        found = dict.scanner.find_at(haystack, found.start, bound)?;
    }
}

/// Rules 4–6 and 8 for one automaton match.
fn check<'d>(
    dict: &'d Dictionary,
    found: Found,
    text: &str,
    folded: &Folded,
    preserved: &mut Folded,
    selection: Selection,
) -> Option<Candidate<'d>> {
    let key = key_of(found);
    let (start, end) = (found.start + 1, found.end - 1);
    if selection.sees(dict.key_ignore(key)) {
        return Some(Candidate { start, end, claims: KeptClaims::Run(&[]), variant: false, normalize_only: false });
    }
    let before = &folded.text[..=found.start];
    // The case-preserved fold of the mention, made on first need: only
    // case-sensitive claims (acronyms) look at it.
    let mut preserved_ready = false;
    let key_claims = dict.key_claims(key);
    let mut claims = ClaimsBuilder::new(key_claims);
    let mut names_nothing_here = false;
    // Whether the text writes the name as a proper name, found on first need.
    let mut capitalised: Option<bool> = None;
    for (i, target) in key_claims.iter().enumerate() {
        if selection != Selection::ALL && !selection.sees(dict.claim_dictionaries(target)) {
            continue;
        }
        if target.proper() && !*capitalised.get_or_insert_with(|| written_as_name(folded, start, end)) {
            continue;
        }
        if target.common_word()
            && (opens_sentence(text, folded, start)
                || dict.case_forms(target).is_none() && in_capitals(text, folded, start, end))
        {
            continue;
        }
        if let Some(forms) = dict.case_forms(target) {
            if !preserved_ready {
                let (orig_start, orig_end) = folded.map.original_span(start, end);
                fold_into(&text[orig_start..orig_end], CaseMode::Preserve, preserved);
                preserved_ready = true;
            }
            let inner = preserved_inner(&preserved.text);
            if !forms.iter().any(|form| is_padded(form, inner)) {
                continue;
            }
        }
        if !dict.follows_context(target, before) {
            continue;
        }
        if target.capitalised_tail() && !last_word_capitalised(text, folded, start, end) {
            continue;
        }
        if target.extract() {
            claims.push(i);
        } else {
            names_nothing_here = true;
        }
    }
    // A Normalize-only alias ("the East", "al-Houthi" as a bare surname)
    // is still a name: it consumes its span, so no shorter alias inside
    // it ("Houthi") is reported in its place.
    let normalize_only = claims.is_empty() && names_nothing_here;
    (!claims.is_empty() || names_nothing_here).then(|| Candidate {
        start,
        end,
        claims: claims.build(),
        variant: false,
        normalize_only,
    })
}

/// `fold_key(original, CaseMode::Preserve)` is `" " + inner + " "` (or `" "`
/// when `inner` is empty), where `inner` is the case-preserved fold of the
/// original without pads or punctuation at the ends.
fn preserved_inner(preserved: &str) -> &str {
    preserved.trim_matches(|c| c == ' ' || c == PUNCT_MARK)
}

/// Whether `form` (a case form, as `fold_key` wrote it) equals
/// `fold_key(original, CaseMode::Preserve)`, given that fold's `inner`.
fn is_padded(form: &str, inner: &str) -> bool {
    if inner.is_empty() {
        return form == " ";
    }
    form.strip_prefix(' ').and_then(|f| f.strip_suffix(' ')) == Some(inner)
}

/// Whether the text writes the folded span `[start, end)` as a proper name
/// ([`crate::dictionary::NameCase::Proper`]): its first word capitalised,
/// or its second after a lower-case first ("al-Assad", "the Hague").
pub(super) fn written_as_name(folded: &Folded, start: usize, end: usize) -> bool {
    let capital = |at: usize| folded.is_capitalised(at);
    capital(start) || folded.text[start..end].find(' ').is_some_and(|space| capital(start + space + 1))
}

/// Whether the word at folded `start` opens a sentence or a line of the
/// caller's text: before it, past spaces and opening quotes or brackets,
/// is the text's start, a line break, or a full stop, question or
/// exclamation mark, colon or ellipsis. There a capital is the sentence's,
/// no evidence of a name ("In Iran, ...", "May 5: ...").
fn opens_sentence(text: &str, folded: &Folded, start: usize) -> bool {
    let width = folded.text[start..].chars().next().map_or(1, char::len_utf8);
    let (original, _) = folded.map.original_span(start, start + width);
    for c in text[..original].chars().rev() {
        match c {
            '\n' | '\r' | '\u{2028}' | '\u{2029}' => return true,
            c if c.is_whitespace() || is_opening(c) => continue,
            '.' | '!' | '?' | ':' | '…' => return true,
            _ => return false,
        }
    }
    true
}

/// Whether the caller's text writes the folded span `[start, end)` in
/// capitals within a run of capitals: the word and the word before or
/// after it, two letters or more each ("TALKS IN NICE"). A headline's
/// capitals are no evidence of a name; a word in capitals among small
/// letters ("the MET said") still is.
fn in_capitals(text: &str, folded: &Folded, start: usize, end: usize) -> bool {
    let (original_start, original_end) = folded.map.original_span(start, end);
    let shouted = |word: &str| {
        let mut letters = word.chars().filter(|c| c.is_alphabetic());
        let first_two = letters.next().zip(letters.next());
        first_two.is_some_and(|(a, b)| a.is_uppercase() && b.is_uppercase()) && letters.all(char::is_uppercase)
    };
    let boundary = |c: char| !c.is_alphabetic();
    let before = text[..original_start].trim_end_matches(boundary).rsplit(boundary).next().unwrap_or_default();
    let after = text[original_end..].trim_start_matches(boundary).split(boundary).next().unwrap_or_default();
    shouted(&text[original_start..original_end]) && (shouted(before) || shouted(after))
}

/// Quotation marks and opening brackets a sentence may start with.
fn is_opening(c: char) -> bool {
    matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '«' | '»' | '„' | '(' | '[' | '{' | '*' | '-' | '–' | '—')
}

/// Whether the last word of the folded span `[start, end)` begins, in the
/// caller's text, with a capital letter.
fn last_word_capitalised(text: &str, folded: &Folded, start: usize, end: usize) -> bool {
    let word = folded.text[start..end].rfind(' ').map_or(start, |i| start + i + 1);
    let width = folded.text[word..].chars().next().map_or(1, char::len_utf8);
    let (original, _) = folded.map.original_span(word, word + width);
    text[original..].chars().next().is_some_and(char::is_uppercase)
}

#[cfg(test)]
mod tests {
    use crate::matcher::{ExtractOptions, MatchRules, tests::rule_table};

    const DICT: &str = r#"
[[entity]]
id = "loc:al-tanf"
type = "LOC"
name = "al-Tanf"
aliases = ["At-Tanf", "Tanf"]

[[entity]]
id = "loc:najaf"
type = "LOC"
name = "Najaf"
aliases = ["An Najaf"]

[[entity]]
id = "loc:an-in"
type = "LOC"
name = "An In"

[[entity]]
id = "loc:anad-air-base"
type = "LOC"
name = "al-Anad Air Base"
"#;

    /// Rule 21, from sentences written for this table: (name, text, every
    /// mention as "text=id").
    const ROWS: &[(&str, &str, &[&str])] = &[
        ("a preposition before an article form", "US forces struck at Tanf.", &["Tanf=loc:al-tanf"]),
        (
            "the article form as written",
            "The At-Tanf garrison and at-Tanf.",
            &["At-Tanf=loc:al-tanf", "at-Tanf=loc:al-tanf"],
        ),
        ("an article with a space, capitalised", "Pilgrims reached An Najaf.", &["An Najaf=loc:najaf"]),
        ("the English article", "It was an Najaf shrine.", &["Najaf=loc:najaf"]),
        ("a variant run", "Drones struck at Anad Air Base.", &["Anad Air Base=loc:anad-air-base"]),
        ("an English article and a common word", "It was an In Amenas story.", &[]),
    ];

    #[test]
    fn english_words_before_a_name_stay_out_of_it() {
        let off_first = rule_table(
            DICT,
            ROWS,
            &ExtractOptions::default(),
            MatchRules { english_articles: false, ..Default::default() },
        );
        assert_eq!(off_first, ["at Tanf=loc:al-tanf"]);
    }
}
