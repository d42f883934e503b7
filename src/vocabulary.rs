//! The words the matcher ([`crate::matcher`]) and the resolver
//! ([`crate::resolve`]) share: what a mention is ([`Mention`]), how its text
//! matched ([`MatchKind`]), how its entity was decided ([`Linking`]), which
//! types a request wants ([`TypeFilter`]), and when a prior decides
//! ([`DOMINANT_SHARE`]). Plain data; no logic beyond the filter.

use crate::{dictionary::EntityIndex, text::Span};

/// How the text of a mention relates to the alias that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The text is the alias, byte for byte.
    Exact,
    /// The text equals the alias after folding.
    Normalized,
    /// A short form, linked by document context or the declared default.
    ShortForm,
    /// A regular romanisation variant of an alias (its skeleton matched).
    Variant,
    /// Normalize only: within a small edit distance of an alias.
    Fuzzy,
}

/// How a mention came to name its entity (rules 11 and 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Linking {
    /// The alias names one entity (among those the request sees).
    Unique,
    /// The document decided: a full mention of the entity before (or, for
    /// a shared alias, after) this one, or the context phrase a short form
    /// is bound to right before it ("Hezbollah's Executive Council").
    Document,
    /// The dictionary's declared default for the form.
    Default,
    /// The entity's prior dominates the other candidates'.
    Prior,
    /// Nothing decided: see [`Mention::candidates`].
    Ambiguous,
}

/// One mention in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention<'d> {
    /// The entity, `None` when the mention is ambiguous.
    pub entity: Option<EntityIndex>,
    pub linking: Linking,
    /// When ambiguous: every entity the alias may name, with its share of
    /// the candidates' priors (or an equal share), best first.
    pub candidates: Vec<(EntityIndex, f32)>,
    pub span: Span,
    /// The dictionary alias that matched, as written.
    pub alias: &'d str,
    pub kind: MatchKind,
}

/// Share of the candidates' summed priors that lets one candidate of a
/// shared alias win without context (rule 12): three to one against all the
/// others together. Population or link-count priors of a capital against
/// namesake towns clear it easily; three towns of similar size do not, and
/// a near tie is exactly where guessing would be wrong half the time.
pub const DOMINANT_SHARE: f32 = 0.75;

/// Which entity types a request wants; empty means all.
#[derive(Debug, Clone, Default)]
pub struct TypeFilter {
    types: Vec<String>,
}

impl TypeFilter {
    pub fn new(types: Vec<String>) -> Self {
        Self { types }
    }

    pub fn allows(&self, entity_type: &str) -> bool {
        self.types.is_empty() || self.types.iter().any(|t| t == entity_type)
    }
}

/// Generic words that end many place and party names but are common nouns
/// on their own (folded). Rule: as the last word of a multi-word alias they
/// belong to the name only when capitalised in the text.
pub const DESCRIPTORS: &[&str] = &[
    "province",
    "governorate",
    "district",
    "region",
    "camp",
    "base",
    "airbase",
    "airport",
    "strait",
    "straits",
    "field",
    "bloc",
    "coalition",
    "list",
    "port",
    "crossing",
    "prison",
    "dam",
    "border",
    "valley",
    "desert",
    "city",
];

/// Generic nouns that follow a name in news without belonging to it
/// ("the Houthi movement", "the Hashd commission", "the Azm and Siyada
/// alliances"), folded. Written in lower case after a name, they stay out of
/// its span when the name without them names the same entity (matcher rule
/// 14); capitalised, they are part of the name ("Amal Movement").
pub const GENERIC_TAILS: &[&str] = &[
    "movement",
    "movements",
    "commission",
    "militia",
    "militias",
    "alliance",
    "alliances",
    "coalition",
    "bloc",
    "front",
    "faction",
    "party",
    "group",
    "organisation",
    "organization",
];
