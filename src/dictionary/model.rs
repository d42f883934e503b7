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

/// A canonical entity id: lowercase ASCII letters, digits and `:._-`,
/// 1–128 bytes, e.g. `org:kataib-hezbollah`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntityId(String);

impl EntityId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":._-".contains(&b));
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "entity id {raw:?} is not valid: use 1-128 lowercase ASCII letters, digits and ':', '.', '_', '-'"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entity type: an uppercase ASCII word (`ORG`, `PER`, `LOC`, or any type
/// a dictionary brings), 1–32 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EntityType(String);

impl EntityType {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok = !raw.is_empty()
            && raw.len() <= 32
            && raw.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("entity type {raw:?} is not valid: use 1-32 uppercase ASCII letters, digits or '_'"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Deserialised ids and types (from a precompiled artefact) go through the
// same checks as parsed ones.
impl TryFrom<String> for EntityId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
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
        Self::parse(&raw)
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
    pub sources: Vec<String>,
    pub aliases: Vec<AliasSpec>,
    pub at: Location,
}

/// A bulk-format line: an extra alias for an entity defined elsewhere.
#[derive(Debug, Clone)]
pub struct ExtraAlias {
    pub entity: EntityId,
    pub alias: AliasSpec,
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
    pub extra_aliases: Vec<ExtraAlias>,
    pub ignores: Vec<IgnoreSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_types() {
        assert!(EntityId::parse("org:kataib-hezbollah").is_ok());
        assert!(EntityId::parse("Org:KH").is_err());
        assert!(EntityId::parse("").is_err());
        assert!(EntityId::parse("a b").is_err());
        assert!(EntityType::parse("ORG").is_ok());
        assert!(EntityType::parse("WEAPON_SYSTEM").is_ok());
        assert!(EntityType::parse("org").is_err());
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
