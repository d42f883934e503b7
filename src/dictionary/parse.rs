//! Parsing dictionary sources into [`ParsedSource`], with every problem
//! located by source name and line.
//!
//! Two formats (see README, "Dictionary format"):
//!
//! - **TOML** (`.toml`): `[[entity]]` tables with id, type, name, optional
//!   description, parent, external ids, sources, and `aliases`, each a string
//!   or a table of options; `[[ignore]]` tables of phrases.
//! - **bulk TSV** (any other extension): `alias<TAB>entity_id[<TAB>options]`
//!   per line, for long alias lists of entities defined in a TOML source;
//!   options are space-separated `case=sensitive|insensitive|auto`,
//!   `extract=false`, `short_form`, `default`, `after=PHRASE` (repeatable, with
//!   `_` for spaces). `#` starts a comment line.
//!
//! A parser reports as many problems as it can find in one pass rather than
//! stopping at the first, so `entex check` lists everything to fix at once.

use std::{collections::BTreeMap, fmt, sync::Arc};

use serde::{Deserialize, Deserializer, de};
use toml::Spanned;

use super::model::{
    AliasSpec, CaseRule, EntityId, EntitySpec, EntityType, ExtraAlias, IgnoreSpec, Location, ParsedSource, Problem,
};

/// Which parser a source needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Tsv,
}

impl Format {
    /// `.toml` files are TOML; everything else is the bulk format.
    pub fn from_name(name: &str) -> Self {
        if name.ends_with(".toml") { Self::Toml } else { Self::Tsv }
    }
}

/// Parses one source. `Err` carries every problem found; a source with any
/// problem contributes nothing.
pub fn parse_source(name: &str, text: &str) -> Result<ParsedSource, Vec<Problem>> {
    let source: Arc<str> = Arc::from(name);
    match Format::from_name(name) {
        Format::Toml => parse_toml(&source, text),
        Format::Tsv => parse_tsv(&source, text),
    }
}

/// Line numbers of byte offsets, from the line starts counted once (a
/// count from the start per lookup is quadratic in a large file).
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// Line (1-based) of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&start| start <= offset)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    #[allow(dead_code)] // descriptive metadata: read for validation, not used
    dictionary: Option<MetaToml>,
    #[serde(default)]
    entity: Vec<Spanned<EntityToml>>,
    #[serde(default)]
    ignore: Vec<Spanned<IgnoreToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MetaToml {
    name: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityToml {
    id: String,
    #[serde(rename = "type")]
    entity_type: String,
    name: String,
    description: Option<String>,
    parent: Option<String>,
    #[serde(default)]
    external_ids: BTreeMap<String, String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    aliases: Vec<Spanned<AliasToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreToml {
    #[allow(dead_code)]
    reason: Option<String>,
    phrases: Vec<Spanned<String>>,
}

/// An alias: a plain string, or a table with options.
enum AliasToml {
    Plain(String),
    Table(AliasTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasTable {
    text: String,
    case: Option<String>,
    extract: Option<bool>,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    short_form: bool,
    #[serde(default)]
    default: bool,
}

impl<'de> Deserialize<'de> for AliasToml {
    // Hand-written rather than `#[serde(untagged)]` so that a mistake inside
    // an alias table ("unknown field `cas`") is reported as such, not as
    // "data did not match any variant".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AliasVisitor;
        impl<'de> de::Visitor<'de> for AliasVisitor {
            type Value = AliasToml;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an alias string or a table { text = \"...\", ... }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AliasToml, E> {
                Ok(AliasToml::Plain(v.to_owned()))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<AliasToml, A::Error> {
                AliasTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(AliasToml::Table)
            }
        }
        deserializer.deserialize_any(AliasVisitor)
    }
}

fn parse_toml(source: &Arc<str>, text: &str) -> Result<ParsedSource, Vec<Problem>> {
    let lines = Lines::new(text);
    let at = |offset: usize| Location { source: source.clone(), line: lines.line_of(offset) };
    let file: FileToml = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| lines.line_of(s.start));
        vec![Problem { at: Location { source: source.clone(), line }, message: e.message().trim().to_owned() }]
    })?;

    let mut problems = Vec::new();
    let mut parsed = ParsedSource::default();
    for spanned in file.entity {
        let entity_at = at(spanned.span().start);
        let raw = spanned.into_inner();
        let mut report = |message: String| problems.push(Problem { at: entity_at.clone(), message });
        let id = EntityId::parse(&raw.id).map_err(&mut report).ok();
        let entity_type = EntityType::parse(&raw.entity_type).map_err(&mut report).ok();
        let parent = raw.parent.as_deref().and_then(|p| EntityId::parse(p).map_err(&mut report).ok());
        if raw.name.trim().is_empty() {
            report("entity name is empty".to_owned());
        }
        let mut aliases = Vec::with_capacity(raw.aliases.len());
        for alias in raw.aliases {
            let alias_at = at(alias.span().start);
            match alias_spec(alias.into_inner(), alias_at.clone()) {
                Ok(spec) => aliases.push(spec),
                Err(message) => problems.push(Problem { at: alias_at, message }),
            }
        }
        if let (Some(id), Some(entity_type)) = (id, entity_type) {
            parsed.entities.push(EntitySpec {
                id,
                entity_type,
                name: raw.name,
                description: raw.description,
                parent,
                external_ids: raw.external_ids,
                sources: raw.sources,
                aliases,
                at: entity_at,
            });
        }
    }
    for block in file.ignore {
        for phrase in block.into_inner().phrases {
            let phrase_at = at(phrase.span().start);
            parsed.ignores.push(IgnoreSpec { phrase: phrase.into_inner(), at: phrase_at });
        }
    }
    if problems.is_empty() { Ok(parsed) } else { Err(problems) }
}

fn alias_spec(raw: AliasToml, at: Location) -> Result<AliasSpec, String> {
    let table = match raw {
        AliasToml::Plain(text) => return Ok(AliasSpec::plain(text, at)),
        AliasToml::Table(table) => table,
    };
    let case = table.case.as_deref().map(CaseRule::parse).transpose()?.unwrap_or_default();
    if table.default && !table.short_form {
        return Err(format!("alias {:?}: `default = true` needs `short_form = true`", table.text));
    }
    Ok(AliasSpec {
        text: table.text,
        case,
        extract: table.extract.unwrap_or(true),
        after: table.after,
        short_form: table.short_form,
        default: table.default,
        at,
    })
}

fn parse_tsv(source: &Arc<str>, text: &str) -> Result<ParsedSource, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut parsed = ParsedSource::default();
    for (index, line) in text.lines().enumerate() {
        let at = Location { source: source.clone(), line: index + 1 };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match tsv_line(line, at.clone()) {
            Ok(extra) => parsed.extra_aliases.push(extra),
            Err(message) => problems.push(Problem { at, message }),
        }
    }
    if problems.is_empty() { Ok(parsed) } else { Err(problems) }
}

fn tsv_line(line: &str, at: Location) -> Result<ExtraAlias, String> {
    let mut fields = line.split('\t');
    let alias = fields.next().unwrap_or_default().trim();
    let Some(entity) = fields.next() else {
        return Err("expected `alias<TAB>entity_id[<TAB>options]`, found no tab".to_owned());
    };
    if alias.is_empty() {
        return Err("alias is empty".to_owned());
    }
    let entity = EntityId::parse(entity.trim())?;
    let mut spec = AliasSpec::plain(alias, at);
    if let Some(options) = fields.next() {
        for option in options.split_whitespace() {
            match option.split_once('=') {
                Some(("case", value)) => spec.case = CaseRule::parse(value)?,
                Some(("extract", "false")) => spec.extract = false,
                Some(("extract", "true")) => spec.extract = true,
                Some(("after", phrase)) => spec.after.push(phrase.replace('_', " ")),
                None if option == "short_form" => spec.short_form = true,
                None if option == "default" => spec.default = true,
                _ => return Err(format!("unknown option {option:?}")),
            }
        }
    }
    if fields.next().is_some() {
        return Err("too many tab-separated fields (at most 3)".to_owned());
    }
    if spec.default && !spec.short_form {
        return Err("option `default` needs `short_form`".to_owned());
    }
    Ok(ExtraAlias { entity, alias: spec })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[dictionary]
name = "test"

[[entity]]
id = "org:kataib-hezbollah"
type = "ORG"
name = "Kataib Hezbollah"
parent = "org:pmf"
external_ids = { wikidata = "Q1739126" }
aliases = [
  "Kata'ib Hezbollah",
  { text = "KH", case = "sensitive" },
  { text = "Brigades", extract = false },
]

[[ignore]]
reason = "sources"
phrases = ["Washington Post"]
"#;

    #[test]
    fn parses_toml_with_lines() {
        let parsed = parse_source("d.toml", GOOD).unwrap();
        let entity = &parsed.entities[0];
        assert_eq!(entity.id.as_str(), "org:kataib-hezbollah");
        assert_eq!(entity.at.line, 5);
        assert_eq!(entity.aliases.len(), 3);
        assert_eq!(entity.aliases[1].case, CaseRule::Sensitive);
        assert_eq!(entity.aliases[1].at.line, 13);
        assert!(!entity.aliases[2].extract);
        assert_eq!(parsed.ignores[0].phrase, "Washington Post");
        assert_eq!(parsed.ignores[0].at.line, 19);
    }

    /// (name, source text, expected line, expected message fragment)
    const BAD_TOML: &[(&str, &str, usize, &str)] = &[
        ("syntax", "[[entity]]\nid = \"a\"\ntype = ORG\n", 3, "string"),
        (
            "unknown entity field",
            "[[entity]]\nid = \"a\"\ntype = \"ORG\"\nname = \"A\"\nwikidata = \"Q1\"\n",
            5,
            "unknown field",
        ),
        (
            "unknown alias option",
            "[[entity]]\nid = \"a\"\ntype = \"ORG\"\nname = \"A\"\naliases = [\n { text = \"B\", cas = \"x\" },\n]\n",
            6,
            "unknown field `cas`",
        ),
        ("bad id", "\n[[entity]]\nid = \"Org A\"\ntype = \"ORG\"\nname = \"A\"\n", 2, "entity id"),
        ("bad type", "[[entity]]\nid = \"a\"\ntype = \"org\"\nname = \"A\"\n", 1, "entity type"),
        (
            "bad case",
            "[[entity]]\nid = \"a\"\ntype = \"ORG\"\nname = \"A\"\naliases = [{ text = \"B\", case = \"upper\" }]\n",
            5,
            "case \"upper\"",
        ),
        (
            "default without short_form",
            "[[entity]]\nid = \"a\"\ntype = \"ORG\"\nname = \"A\"\naliases = [{ text = \"B\", default = true }]\n",
            5,
            "needs `short_form",
        ),
        ("missing name", "[[entity]]\nid = \"a\"\ntype = \"ORG\"\n", 1, "missing field `name`"),
    ];

    #[test]
    fn toml_problems_are_located() {
        for (name, text, line, fragment) in BAD_TOML {
            let problems = parse_source("bad.toml", text).err().unwrap_or_else(|| panic!("{name}: parsed"));
            let problem = &problems[0];
            assert_eq!(problem.at.line, *line, "{name}: {problem}");
            assert!(problem.message.contains(fragment), "{name}: {problem}");
            assert!(problem.to_string().starts_with(&format!("bad.toml:{line}: ")), "{name}: {problem}");
        }
    }

    #[test]
    fn parses_tsv() {
        let text =
            "# comment\nKH\torg:kh\tcase=sensitive\n\nAssad\tper:bashar\tshort_form default after=President_of\n";
        let parsed = parse_source("extra.tsv", text).unwrap();
        assert_eq!(parsed.extra_aliases.len(), 2);
        assert_eq!(parsed.extra_aliases[0].alias.case, CaseRule::Sensitive);
        assert_eq!(parsed.extra_aliases[0].alias.at.line, 2);
        let assad = &parsed.extra_aliases[1].alias;
        assert!(assad.short_form && assad.default);
        assert_eq!(assad.after, vec!["President of".to_owned()]);
    }

    #[test]
    fn tsv_problems_are_all_reported() {
        let text = "no tab here\nX\tBad Id\nY\tok:id\tcolour=red\nZ\tok:id\n\tok:id\n";
        let problems = parse_source("extra.tsv", text).unwrap_err();
        let lines: Vec<usize> = problems.iter().map(|p| p.at.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5]);
    }
}
