//! The dictionary as written: entities, aliases with their options, ignore
//! phrases, and where in which file each came from.
//!
//! Every value here has been checked for shape by the parser (ids and types
//! are well formed, option combinations are legal); cross-entity rules
//! (duplicate ids, alias conflicts, dangling parents) are checked by
//! [`super::compile`], which sees every source at once.

use std::{collections::BTreeMap, fmt, sync::Arc};

/// Where something was written: a source name and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub source: Arc<str>,
    /// 1-based; 0 when the problem concerns the whole source (unreadable).
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 { write!(f, "{}", self.source) } else { write!(f, "{}:{}", self.source, self.line) }
    }
}

/// One thing wrong with a dictionary, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// A canonical entity id, as the catalogue it comes from writes it: any
/// non-empty UTF-8 string of at most [`EntityId::MAX_BYTES`] bytes without
/// whitespace or control characters (`org:kataib-hezbollah`, Wikidata
/// `Q28515`, ISO `IR-23`, OpenSanctions `NK-…`, a URI). Returned exactly as
/// loaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntityId(String);

impl EntityId {
    /// Longest id, in bytes: room for a URI, small enough for a log line.
    pub const MAX_BYTES: usize = 256;

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::check(raw).map(|()| Self(raw.to_owned()))
    }

    /// [`EntityId::parse`], keeping the string it is given (a parser that
    /// owns the text already need not copy it).
    pub fn parse_owned(raw: String) -> Result<Self, String> {
        Self::check(&raw).map(|()| Self(raw))
    }

    fn check(raw: &str) -> Result<(), String> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_BYTES
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(())
        } else {
            Err(format!(
                "entity id {:?} is not valid: an id is 1-{} bytes of UTF-8 without whitespace or control characters",
                cut(raw, 80),
                Self::MAX_BYTES
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most `max` bytes of `s`, cut on a char boundary, for messages.
pub(crate) fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let end = (0..=max).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    &s[..end]
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entity type: `ORG`, `PER`, `LOC`, or any type a dictionary brings
/// (spaCy's `GPE`, `PERSON`, a catalogue's `VESSEL`): 1–64 ASCII letters,
/// digits, `_` or `-`, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntityType(String);

impl EntityType {
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::check(raw).map(|()| Self(raw.to_owned()))
    }

    /// [`EntityType::parse`], keeping the string it is given.
    pub fn parse_owned(raw: String) -> Result<Self, String> {
        Self::check(&raw).map(|()| Self(raw))
    }

    fn check(raw: &str) -> Result<(), String> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(format!("entity type {:?} is not valid: use 1-64 ASCII letters, digits, '_' or '-'", cut(raw, 80)))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether entities of this type are people (`PER`, or spaCy's
    /// `PERSON`): person names get surname short forms (matcher rule 11).
    pub fn is_person(&self) -> bool {
        matches!(self.0.as_str(), "PER" | "PERSON")
    }
}

// Deserialised ids and types (from a precompiled artefact) go through the
// same checks as parsed ones.
impl TryFrom<String> for EntityId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse_owned(raw)
    }
}

impl From<EntityId> for String {
    fn from(id: EntityId) -> Self {
        id.0
    }
}

impl TryFrom<String> for EntityType {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse_owned(raw)
    }
}

impl From<EntityType> for String {
    fn from(t: EntityType) -> Self {
        t.0
    }
}

/// How an alias treats letter case in running text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CaseRule {
    /// Sensitive for short all-caps acronyms (2–5 letters, all uppercase:
    /// `IRGC`, `KH`, `US`), insensitive otherwise. Acronyms collide with
    /// ordinary words once lowercased (`us`, `is`), names rarely do.
    #[default]
    Auto,
    Sensitive,
    Insensitive,
}

impl CaseRule {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "auto" => Ok(Self::Auto),
            "sensitive" => Ok(Self::Sensitive),
            "insensitive" => Ok(Self::Insensitive),
            other => Err(format!("case {other:?} is not one of \"auto\", \"sensitive\", \"insensitive\"")),
        }
    }

    /// Whether `alias`, written this way, matches case-sensitively.
    pub fn is_sensitive(self, alias: &str) -> bool {
        match self {
            Self::Sensitive => true,
            Self::Insensitive => false,
            Self::Auto => {
                let letters = alias.chars().filter(|c| c.is_alphabetic()).count();
                (2..=5).contains(&letters) && alias.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase)
            }
        }
    }
}

/// An alias as written, with its options.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasSpec {
    pub text: String,
    pub case: CaseRule,
    /// Matched in running text (`true`) or used only by `Normalize`.
    pub extract: bool,
    /// Phrases one of which must come right before the alias in running text.
    pub after: Vec<String>,
    /// Claimed by several entities on purpose; linked by document context.
    pub short_form: bool,
    /// The entity a shared alias links to when the document gives no context.
    pub default: bool,
    pub at: Location,
}

impl AliasSpec {
    /// An alias with every option at its default.
    pub fn plain(text: impl Into<String>, at: Location) -> Self {
        Self {
            text: text.into(),
            case: CaseRule::Auto,
            extract: true,
            after: Vec::new(),
            short_form: false,
            default: false,
            at,
        }
    }
}

/// An entity as written.
#[derive(Debug, Clone)]
pub struct EntitySpec {
    pub id: EntityId,
    pub entity_type: EntityType,
    pub name: String,
    pub description: Option<String>,
    pub parent: Option<EntityId>,
    pub external_ids: BTreeMap<String, String>,
    /// Free string attributes, returned on the entity.
    pub attributes: BTreeMap<String, String>,
    /// How likely this entity is, relative to others that share an alias
    /// (a population, a link count); `None` when the source gives none.
    pub prior: Option<f64>,
    pub sources: Vec<String>,
    pub aliases: Vec<AliasSpec>,
    pub at: Location,
}

/// A row of a row format (CSV, TSV, spaCy patterns): one alias of an
/// entity named by id. Rows extend an entity that a record defines; when
/// no source defines the id, the rows create it (unless their source is
/// strict), taking the type, name, prior and attributes of its rows.
#[derive(Debug, Clone)]
pub struct AliasRow {
    pub entity: EntityId,
    pub alias: AliasSpec,
    pub entity_type: Option<EntityType>,
    pub name: Option<String>,
    pub prior: Option<f64>,
    pub description: Option<String>,
    pub attributes: Vec<(String, String)>,
}

/// A phrase that is not an entity of interest but contains an alias
/// ("Washington Post"): it consumes its span and yields no mention.
#[derive(Debug, Clone)]
pub struct IgnoreSpec {
    pub phrase: String,
    pub at: Location,
}

/// Everything one source file contributed.
#[derive(Debug, Clone, Default)]
pub struct ParsedSource {
    pub entities: Vec<EntitySpec>,
    pub rows: Vec<AliasRow>,
    pub ignores: Vec<IgnoreSpec>,
    /// Problems confined to one row (an entity, a line, a record), whose row
    /// was left out; whole-file problems are returned as errors instead.
    pub row_problems: Vec<Problem>,
    /// The file declares itself strict (TOML `[dictionary] strict = true`).
    pub strict: bool,
    /// Rows that are not entities by design (a FollowTheMoney `Sanction`
    /// or `Address`), passed over without a problem.
    pub passed_over: u64,
}

impl ParsedSource {
    /// Appends a later part of the same source (see
    /// [`super::parse::parse_source`]).
    pub fn absorb(&mut self, part: ParsedSource) {
        let ParsedSource { entities, rows, ignores, row_problems, strict, passed_over } = part;
        self.entities.extend(entities);
        self.rows.extend(rows);
        self.ignores.extend(ignores);
        self.row_problems.extend(row_problems);
        self.strict |= strict;
        self.passed_over += passed_over;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_types() {
        for id in ["org:kataib-hezbollah", "Q28515", "IR-23", "NK-2bCmV8", "https://sws.geonames.org/5282804/", "شركة"]
        {
            assert_eq!(EntityId::parse(id).map(|i| i.as_str().to_owned()), Ok(id.to_owned()), "{id}");
        }
        let long = "x".repeat(EntityId::MAX_BYTES + 1);
        for bad in ["", "a b", "a\tb", "a\u{a0}b", "a\u{7}b", long.as_str()] {
            assert!(EntityId::parse(bad).is_err(), "{bad:?}");
        }
        for t in ["ORG", "WEAPON_SYSTEM", "GPE", "skill", "work-of-art"] {
            assert!(EntityType::parse(t).is_ok(), "{t}");
        }
        for bad in ["", "a b", "ÖRG", "a:b"] {
            assert!(EntityType::parse(bad).is_err(), "{bad:?}");
        }
        assert!(EntityType::parse("PERSON").unwrap().is_person());
        assert!(!EntityType::parse("ORG").unwrap().is_person());
    }

    #[test]
    fn auto_case_rule() {
        let rows = [
            ("IRGC", true),
            ("KH", true),
            ("U.S.", true),
            ("UAE", true),
            ("IRGC-QF", false),
            ("CENTCOM", false),
            ("DoD", false),
            ("Iran", false),
            ("I", false),
        ];
        for (alias, sensitive) in rows {
            assert_eq!(CaseRule::Auto.is_sensitive(alias), sensitive, "{alias}");
        }
        assert!(CaseRule::Sensitive.is_sensitive("Gulf"));
        assert!(!CaseRule::Insensitive.is_sensitive("KH"));
    }
}
