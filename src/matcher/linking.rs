//! Stage 4 of [`super::extract`]: linking. Which entity each candidate
//! names: one claim's entity (`Unique`); a short form's by the full mentions
//! before it or its declared default (rule 11); a shared alias's by the
//! document, a dominant prior or a declared default, else ambiguous
//! (rule 12). Then the request's type filter, and each mention's span.
//!
//! # Cost
//!
//! Linear in the candidates: short forms index only the word runs that some
//! short form of the document spells ([`Antecedents`]); shared aliases look
//! their candidates up in an index of the document's unique mentions, built
//! only when the document has a shared alias.

use super::{
    ExtractOptions,
    candidates::{Candidate, KeptClaims},
    other_names, spans,
};
use crate::{
    dictionary::{Claim, Dictionary, EntityIndex},
    text::{Folded, UnitCounter},
    vocabulary::{DOMINANT_SHARE, Linking, MatchKind, Mention},
};

/// The full (non-short-form) mentions made so far in a document, indexed
/// for short forms (rule 11): by the runs of their words that some short
/// form of the document spells, and by entity.
///
/// Every short-form candidate is known before the first mention is
/// resolved, so only the word runs that a short form will look up are
/// indexed ([`Antecedents::wanted`]); a run no short form spells would be
/// written and never read. Lookups then see exactly what indexing every
/// run would have shown them. Insertion tries O(words²) runs per mention
/// (names have a handful of words), most rejected by length alone; a
/// lookup is O(1), so a long document stays linear.
struct Antecedents<'f, 'd> {
    /// Padded folded word runs that some short form of the document spells
    /// (`" bagheri "`) -> index into `entities`.
    wanted: foldhash::HashMap<&'f str, usize>,
    /// Bit `min(len, 127)` is set when a wanted run has `len` bytes: most
    /// word runs of a mention are rejected without hashing.
    lengths: u128,
    /// Per wanted run: entities of the full mentions containing it, most
    /// recent last.
    entities: Vec<Vec<EntityIndex>>,
    /// Entity -> sequence number of its most recent full mention.
    last_of: foldhash::HashMap<EntityIndex, usize>,
    /// Ids of the entities mentioned in full, kept once a short form is
    /// wanted: a short form's claimant may be decided by its parent.
    ids: foldhash::HashSet<&'d str>,
    seen: usize,
    /// Word bounds of the mention being added (reused).
    bounds: Vec<(usize, usize)>,
}

/// How many recent antecedents a word run remembers: enough to tell apart
/// the people of one story, bounded so a long document stays linear.
const ANTECEDENTS_PER_WORDS: usize = 8;

fn length_bit(len: usize) -> u128 {
    1 << len.min(127)
}

impl<'f, 'd> Antecedents<'f, 'd> {
    fn new() -> Self {
        Self {
            wanted: foldhash::HashMap::default(),
            lengths: 0,
            entities: Vec::new(),
            last_of: foldhash::HashMap::default(),
            ids: foldhash::HashSet::default(),
            seen: 0,
            bounds: Vec::new(),
        }
    }

    /// Declares a padded word run that a short form will look up.
    fn want(&mut self, short: &'f str) {
        let next = self.entities.len();
        if *self.wanted.entry(short).or_insert(next) == next {
            self.entities.push(Vec::new());
            self.lengths |= length_bit(short.len());
        }
    }

    /// Entities of the full mentions so far containing the padded word run
    /// `short` (declared with [`Antecedents::want`]), most recent last.
    fn containing(&self, short: &str) -> &[EntityIndex] {
        self.wanted.get(short).map_or(&[], |&i| &self.entities[i])
    }

    /// Records a full mention of `entity` (whose id is `id`) at folded
    /// `[start, end)`.
    fn add(&mut self, entity: EntityIndex, id: &'d str, folded: &'f str, start: usize, end: usize) {
        self.seen += 1;
        self.last_of.insert(entity, self.seen);
        if self.wanted.is_empty() {
            return;
        }
        self.ids.insert(id);
        // Word starts and ends within the mention; each run of words, with
        // the spaces around it, is a slice of the folded text.
        self.bounds.clear();
        let mut word_start = start;
        for (i, b) in folded.as_bytes()[start..end].iter().enumerate() {
            if *b == b' ' {
                self.bounds.push((word_start, start + i));
                word_start = start + i + 1;
            }
        }
        self.bounds.push((word_start, end));
        for (i, &(first, _)) in self.bounds.iter().enumerate() {
            for &(_, last) in &self.bounds[i..] {
                let run = &folded[first - 1..=last];
                if self.lengths & length_bit(run.len()) == 0 {
                    continue;
                }
                let Some(&slot) = self.wanted.get(run) else { continue };
                let entities = &mut self.entities[slot];
                entities.retain(|&e| e != entity);
                entities.push(entity);
                if entities.len() > ANTECEDENTS_PER_WORDS {
                    entities.remove(0);
                }
            }
        }
    }
}

/// Rules 8, 9, 11 and 12, into mentions: shared aliases are decided
/// first (a document may decide one by a later mention), then every
/// candidate left to right, short forms by the full mentions before them.
pub(super) fn link<'d>(
    dict: &'d Dictionary,
    text: &str,
    folded: &Folded,
    candidates: Vec<Candidate<'d>>,
    options: &ExtractOptions,
) -> Vec<Mention<'d>> {
    let classes: Vec<Class<'d>> = candidates.iter().map(|c| Class::of(&c.claims)).collect();
    let mut decisions = decide_shared(dict, &candidates, &classes, options);
    let mut mentions = Vec::with_capacity(candidates.len());
    let mut antecedents = Antecedents::new();
    for (candidate, class) in candidates.iter().zip(&classes) {
        if matches!(class, Class::Short) {
            antecedents.want(&folded.text[candidate.start - 1..=candidate.end]);
        }
    }
    // Rule 20, asked before the candidates are consumed: the short forms
    // that are words of other names, in order (almost always none).
    let strangers: Vec<usize> = if options.rules.other_names {
        (0..candidates.len())
            .filter(|&i| {
                matches!(classes[i], Class::Short)
                    && other_names::beside_another_name(dict, text, folded, &candidates, i)
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut strangers = strangers.into_iter().peekable();
    let mut offsets = folded.map.cursor();
    let mut units = UnitCounter::new(text);
    for (i, (candidate, class)) in candidates.into_iter().zip(classes).enumerate() {
        let normal = if candidate.variant { MatchKind::Variant } else { MatchKind::Normalized };
        let (entity, target, linking, kind, mut ambiguous) = match class {
            Class::Nothing => continue,
            Class::Single(target) => (Some(target.entity), target, Linking::Unique, normal, Vec::new()),
            Class::Short if strangers.next_if_eq(&i).is_some() => continue,
            Class::Short => {
                let short = &folded.text[candidate.start - 1..=candidate.end];
                match resolve_short_form(dict, &candidate.claims, short, &antecedents) {
                    Some((entity, target, linking)) => {
                        (Some(entity), target, linking, MatchKind::ShortForm, Vec::new())
                    }
                    None => continue,
                }
            }
            Class::Shared => match decisions[i].take() {
                Some(Decision::Linked(entity, target, linking)) => (Some(entity), target, linking, normal, Vec::new()),
                Some(Decision::Ambiguous(candidates, target)) => (None, target, Linking::Ambiguous, normal, candidates),
                None => continue,
            },
        };
        let (start, end) = offsets.original_span(candidate.start, candidate.end);
        let start = start - spans::leading_modifier_letters(&text[..start]);
        let end = end + spans::trailing_punctuation(dict, target, &text[end..]);
        // A span never splits a letter from its marks (bug fix: a
        // decomposed name ending in a combining mark lost the mark).
        let (start, end) = crate::text::offsets::widen_to_graphemes(text, start, end);
        let original = &text[start..end];
        let exact = dict.spellings(target).find(|w| *w == original);
        let alias = exact.unwrap_or_else(|| dict.spelling(target));
        let kind = if kind == MatchKind::Normalized && exact.is_some() { MatchKind::Exact } else { kind };
        if let Some(entity) = entity {
            if kind != MatchKind::ShortForm {
                antecedents.add(entity, dict.entity(entity).id(), &folded.text, candidate.start, candidate.end);
            }
            // The type filter comes after linking: a filtered mention
            // still tells later short forms whom the document means.
            if !options.types.allows(dict.entity(entity).entity_type()) {
                continue;
            }
        }
        ambiguous.shrink_to_fit();
        mentions.push(Mention { entity, linking, candidates: ambiguous, span: units.span(start, end), alias, kind });
    }
    mentions
}

/// Rule 12 for every shared-alias candidate (`None` elsewhere, and for
/// one the request drops).
fn decide_shared<'d>(
    dict: &'d Dictionary,
    candidates: &[Candidate<'d>],
    classes: &[Class<'d>],
    options: &ExtractOptions,
) -> Vec<Option<Decision<'d>>> {
    let mut decisions: Vec<Option<Decision<'d>>> = Vec::new();
    if !classes.iter().any(|c| matches!(c, Class::Shared)) {
        return decisions;
    }
    // Where each entity is named by an alias of its own, in order.
    let mut named: foldhash::HashMap<EntityIndex, Vec<usize>> = foldhash::HashMap::default();
    for (i, class) in classes.iter().enumerate() {
        if let Class::Single(target) = class {
            named.entry(target.entity).or_default().push(i);
        }
    }
    decisions.resize_with(candidates.len(), || None);
    for (i, (candidate, class)) in candidates.iter().zip(classes).enumerate() {
        if matches!(class, Class::Shared) {
            decisions[i] = decide(dict, &candidate.claims, i, &named, options);
        }
    }
    decisions
}

/// Rule 12 for one candidate at position `at`: the type filter, then
/// the document, the prior, the declared default; else ambiguous.
fn decide<'d>(
    dict: &'d Dictionary,
    claims: &KeptClaims<'d>,
    at: usize,
    named: &foldhash::HashMap<EntityIndex, Vec<usize>>,
    options: &ExtractOptions,
) -> Option<Decision<'d>> {
    let allowed: Vec<&'d Claim> =
        claims.iter().filter(|t| options.types.allows(dict.entity(t.entity).entity_type())).collect();
    let (&first, rest) = allowed.split_first()?;
    if rest.is_empty() {
        return Some(Decision::Linked(first.entity, first, Linking::Unique));
    }
    // The document: the nearest mention before, else after.
    // (position, claim) of the nearest naming mention on each side.
    let mut before: Option<(usize, &Claim)> = None;
    let mut after: Option<(usize, &Claim)> = None;
    for &target in &allowed {
        let Some(positions) = named.get(&target.entity) else { continue };
        let k = positions.partition_point(|&p| p < at);
        if let Some(&p) = k.checked_sub(1).map(|k| &positions[k])
            && before.is_none_or(|(b, _)| p > b)
        {
            before = Some((p, target));
        }
        if let Some(&p) = positions.get(k)
            && after.is_none_or(|(a, _)| p < a)
        {
            after = Some((p, target));
        }
    }
    if let Some((_, target)) = before.or(after) {
        return Some(Decision::Linked(target.entity, target, Linking::Document));
    }
    let shares = dict.shares(allowed.iter().map(|t| t.entity));
    if let Some(&(entity, share)) = shares.first()
        && share >= DOMINANT_SHARE
        && allowed.iter().all(|t| dict.entity(t.entity).prior().is_some())
    {
        let target = allowed.iter().find(|t| t.entity == entity).expect("a candidate's own claim");
        return Some(Decision::Linked(entity, target, Linking::Prior));
    }
    let mut defaults = allowed.iter().filter(|t| t.default());
    if let (Some(&target), None) = (defaults.next(), defaults.next()) {
        return Some(Decision::Linked(target.entity, target, Linking::Default));
    }
    (!options.drop_ambiguous).then_some(Decision::Ambiguous(shares, first))
}

/// How a candidate's claims (those its checks passed) link.
enum Class<'d> {
    /// An ignore phrase, or a Normalize-only name: consumes, yields nothing.
    Nothing,
    /// One entity's ordinary claim.
    Single(&'d Claim),
    /// Short forms only: rule 11.
    Short,
    /// Several entities, not all by short forms: rule 12.
    Shared,
}

impl<'d> Class<'d> {
    fn of(claims: &KeptClaims<'d>) -> Self {
        let mut all = claims.iter();
        let Some(first) = all.next() else { return Class::Nothing };
        if first.short_form() && claims.iter().all(|t| t.short_form()) {
            Class::Short
        } else if all.next().is_none() {
            Class::Single(first)
        } else {
            Class::Shared
        }
    }
}

/// What rule 12 decided for a shared alias.
enum Decision<'d> {
    Linked(EntityIndex, &'d Claim, Linking),
    /// The candidates and their shares, and a claim to take the span's
    /// spelling from.
    Ambiguous(Vec<(EntityIndex, f32)>, &'d Claim),
}

/// Rule 11: which entity a short form means here, and the claim whose
/// spelling it matched (for the mention's `alias`). `short` is the short
/// form's padded folded text.
///
/// The one claim bound to a context (`after`) that the words right before
/// it supply wins first: "King Abdullah" is the king even after "Asya
/// Abdullah", and "Hezbollah's Executive Council" names Hezbollah's council
/// though the document names it no other way (the checks kept only claims
/// whose context is there; two such claims decide nothing). Then the
/// nearest earlier full mention that contains the short form, if its entity
/// claims the form or is of the same type ("Bagheri" after "Ali Bagheri
/// Kani" is him, though only Mohammad Bagheri lists "Bagheri"); then the
/// nearest earlier full mention of a claiming entity; then the default;
/// then the one claimant whose parent the document has named in full before
/// it ("Foreign Affairs Committee" after "the House of Commons" is the
/// Commons committee, not the US House's).
fn resolve_short_form<'d>(
    dictionary: &Dictionary,
    claims: &KeptClaims<'d>,
    short: &str,
    antecedents: &Antecedents<'_, '_>,
) -> Option<(EntityIndex, &'d Claim, Linking)> {
    let first = claims.first()?;
    let claim_of = |entity: EntityIndex| claims.iter().find(|t| t.entity == entity);
    let same_type =
        |entity: EntityIndex| dictionary.entity(entity).entity_type() == dictionary.entity(first.entity).entity_type();
    // A context the claim is bound to, written right before it, decides
    // first: "King Abdullah" is the king even after "Asya Abdullah" (the
    // checks kept only claims whose context is there; two decide nothing).
    let in_context = || {
        let mut in_context = claims.iter().filter(|t| dictionary.after(t).is_some());
        let target = in_context.next()?;
        in_context.next().is_none().then_some((target.entity, target, Linking::Document))
    };
    let containing = || {
        antecedents.containing(short).iter().rev().find_map(|&entity| match claim_of(entity) {
            Some(target) => Some((entity, target)),
            None => same_type(entity).then_some((entity, first)),
        })
    };
    let last_named = || {
        claims
            .iter()
            .filter_map(|t| antecedents.last_of.get(&t.entity).map(|&seen| (seen, t)))
            .max_by_key(|&(seen, _)| seen)
            .map(|(_, t)| (t.entity, t))
    };
    in_context()
        .or_else(|| containing().or_else(last_named).map(|(entity, target)| (entity, target, Linking::Document)))
        .or_else(|| {
            // Only a default no other claim disputes (non-strict sources may
            // declare several).
            let mut defaults = claims.iter().filter(|t| t.default());
            let target = defaults.next()?;
            defaults.next().is_none().then_some((target.entity, target, Linking::Default))
        })
        .or_else(|| {
            let mut by_parent = claims.iter().filter(|t| {
                dictionary.entity(t.entity).parent().is_some_and(|parent| antecedents.ids.contains(parent))
            });
            let target = by_parent.next()?;
            by_parent.all(|t| t.entity == target.entity).then_some((target.entity, target, Linking::Document))
        })
}
