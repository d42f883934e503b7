//! TOML sources: `[[entity]]` tables (id, type, name, optional description,
//! parent, external ids, attributes, prior, sources, and `aliases`, each a
//! string or a table of options), `[[ignore]]` tables of phrases, and an
//! optional `[dictionary]` table (`name`, `description`: for readers;
//! `strict`: the file's collisions are errors).
//!
//! A file that does not fit this shape (syntax, an unknown or missing
//! field, a wrong type) is a whole-file problem: `toml` stops at the first.
//! A bad id, type or alias leaves out its entity or alias, as a row problem.

use std::{collections::BTreeMap, sync::Arc};

use serde::Deserialize;
use toml::Spanned;

use super::{AliasValue, at, check_prior};
use crate::dictionary::model::{EntityId, EntitySpec, EntityType, IgnoreSpec, Location, ParsedSource, Problem};

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
    dictionary: Option<MetaToml>,
    #[serde(default)]
    entity: Vec<Spanned<EntityToml>>,
    #[serde(default)]
    ignore: Vec<Spanned<IgnoreToml>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaToml {
    #[allow(dead_code)] // descriptive: read for validation only
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default)]
    strict: bool,
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
    attributes: BTreeMap<String, String>,
    prior: Option<f64>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    aliases: Vec<Spanned<AliasValue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreToml {
    #[allow(dead_code)]
    reason: Option<String>,
    phrases: Vec<Spanned<String>>,
}

pub(crate) fn parse(source: &Arc<str>, text: &str) -> Result<ParsedSource, Vec<Problem>> {
    let lines = Lines::new(text);
    let located = |offset: usize| at(source, lines.line_of(offset));
    let file: FileToml = ::toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| lines.line_of(s.start));
        vec![Problem { at: Location { source: source.clone(), line }, message: e.message().trim().to_owned() }]
    })?;

    let mut parsed = ParsedSource { strict: file.dictionary.is_some_and(|d| d.strict), ..ParsedSource::default() };
    for spanned in file.entity {
        let entity_at = located(spanned.span().start);
        let raw = spanned.into_inner();
        let mut entity_problems = Vec::new();
        let mut report = |message: String| entity_problems.push(Problem { at: entity_at.clone(), message });
        let id = EntityId::parse(&raw.id).map_err(&mut report).ok();
        let entity_type = EntityType::parse(&raw.entity_type).map_err(&mut report).ok();
        let parent = raw.parent.as_deref().and_then(|p| EntityId::parse(p).map_err(&mut report).ok());
        let prior = raw.prior.map(check_prior).transpose().map_err(&mut report).ok().flatten();
        if raw.name.trim().is_empty() {
            report("entity name is empty".to_owned());
        }
        let mut aliases = Vec::with_capacity(raw.aliases.len());
        for alias in raw.aliases {
            let alias_at = located(alias.span().start);
            match alias.into_inner().into_spec(alias_at.clone()) {
                Ok(spec) => aliases.push(spec),
                Err(message) => parsed.row_problems.push(Problem { at: alias_at, message }),
            }
        }
        match (id, entity_type, entity_problems.is_empty()) {
            (Some(id), Some(entity_type), true) => parsed.entities.push(EntitySpec {
                id,
                entity_type,
                name: raw.name,
                description: raw.description,
                parent,
                external_ids: raw.external_ids,
                attributes: raw.attributes,
                prior,
                sources: raw.sources,
                aliases,
                at: entity_at,
            }),
            _ => parsed.row_problems.append(&mut entity_problems),
        }
    }
    for block in file.ignore {
        for phrase in block.into_inner().phrases {
            let phrase_at = located(phrase.span().start);
            parsed.ignores.push(IgnoreSpec { phrase: phrase.into_inner(), at: phrase_at });
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{
        model::{CaseRule, Problem},
        parse::parse_source,
        source::SourceText,
    };

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

    /// Whole-file problems, or else the row problems, as the build sees them.
    fn problems(name: &str, text: &str) -> Vec<Problem> {
        match parse_source(&SourceText::new(name, text)) {
            Err(problems) => problems,
            Ok((_, parsed)) => parsed.row_problems,
        }
    }

    #[test]
    fn parses_toml_with_lines() {
        let (_, parsed) = parse_source(&SourceText::new("d.toml", GOOD)).unwrap();
        assert!(!parsed.strict);
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

    #[test]
    fn strict_prior_and_attributes() {
        let text = "[dictionary]\nstrict = true\n[[entity]]\nid = \"Q28515\"\ntype = \"LOC\"\nname = \"Springfield\"\n\
                    prior = 114394\nattributes = { state = \"Illinois\" }\n";
        let (_, parsed) = parse_source(&SourceText::new("d.toml", text)).unwrap();
        assert!(parsed.strict);
        assert_eq!(parsed.entities[0].prior, Some(114394.0));
        assert_eq!(parsed.entities[0].attributes["state"], "Illinois");
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
        ("bad type", "[[entity]]\nid = \"a\"\ntype = \"o:rg\"\nname = \"A\"\n", 1, "entity type"),
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
        ("negative prior", "[[entity]]\nid = \"a\"\ntype = \"ORG\"\nname = \"A\"\nprior = -1\n", 1, "prior -1"),
        (
            "empty alias",
            "[[entity]]\nid = \"a\"\ntype = \"ORG\"\nname = \"A\"\naliases = [\" \"]\n",
            5,
            "alias is empty",
        ),
    ];

    #[test]
    fn toml_problems_are_located() {
        for (name, text, line, fragment) in BAD_TOML {
            let problems = problems("bad.toml", text);
            let problem = problems.first().unwrap_or_else(|| panic!("{name}: no problem"));
            assert_eq!(problem.at.line, *line, "{name}: {problem}");
            assert!(problem.message.contains(fragment), "{name}: {problem}");
            assert!(problem.to_string().starts_with(&format!("bad.toml:{line}: ")), "{name}: {problem}");
        }
    }
}
