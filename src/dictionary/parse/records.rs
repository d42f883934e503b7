//! JSON Lines entity records: one entity per line.
//!
//! ```json
//! {"id": "Q28515", "type": "LOC", "name": "Springfield", "aliases": ["Springfield, Illinois", {"text": "SPI", "case": "sensitive"}],
//!  "description": "capital of Illinois", "parent": "Q1204", "external_ids": {"geonames": "4250542"},
//!  "attributes": {"country": "US"}, "prior": 114394}
//! ```
//!
//! `id`, `type` and `name` are required; `aliases` holds strings or objects
//! with the TOML alias options (`text`, `case`, `extract`, `after`,
//! `short_form`, `default`). Unknown keys are errors, so a typo is
//! reported rather than ignored. Each line is its own row: a bad line is a
//! row problem at its line number.

use std::{collections::BTreeMap, sync::Arc};

use serde::Deserialize;

use super::{AliasValue, LineOutcome, Sink, check_prior, json_message, parse_lines};
use crate::dictionary::model::{EntityId, EntitySpec, EntityType, Location, ParsedSource};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    id: String,
    #[serde(rename = "type")]
    entity_type: String,
    name: String,
    #[serde(default)]
    aliases: Vec<AliasValue>,
    description: Option<String>,
    parent: Option<String>,
    #[serde(default)]
    external_ids: BTreeMap<String, String>,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    prior: Option<f64>,
}

pub(crate) fn parse(source: &Arc<str>, text: &str, sink: &mut Sink<'_>) {
    parse_lines(source, text, false, record, &mut |entities, row_problems, passed_over| {
        sink(ParsedSource { entities, row_problems, passed_over, ..ParsedSource::default() })
    });
}

fn record(line: &str, at: &Location) -> Result<LineOutcome<EntitySpec>, String> {
    let raw: Record = serde_json::from_str(line).map_err(|e| json_message(&e))?;
    // The record's own strings are kept, not copied.
    let id = EntityId::parse_owned(raw.id)?;
    let entity_type = EntityType::parse_owned(raw.entity_type)?;
    if raw.name.trim().is_empty() {
        return Err(format!("entity {id}: name is empty"));
    }
    let parent = raw.parent.map(EntityId::parse_owned).transpose()?;
    let prior = raw.prior.map(check_prior).transpose()?;
    let aliases = raw
        .aliases
        .into_iter()
        .map(|a| a.into_spec(at.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("entity {id}: {e}"))?;
    Ok(LineOutcome::Row(EntitySpec {
        id,
        entity_type,
        name: raw.name,
        description: raw.description,
        parent,
        external_ids: raw.external_ids,
        attributes: raw.attributes,
        prior,
        sources: Vec::new(),
        aliases,
        at: at.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{
        model::CaseRule,
        parse::parse_source,
        source::{Format, SourceText},
    };

    #[test]
    fn parses_records() {
        let text = r#"{"id": "Q28515", "type": "LOC", "name": "Springfield", "aliases": ["Springfield, Illinois", {"text": "SPI", "case": "sensitive"}], "description": "capital of Illinois", "external_ids": {"geonames": "4250542"}, "attributes": {"country": "US"}, "prior": 114394}

{"id": "IR-23", "type": "LOC", "name": "Hormozgan", "parent": "IR"}
"#;
        let (format, parsed) = parse_source(&SourceText::new("places.jsonl", text)).unwrap();
        assert_eq!(format, Format::Jsonl);
        assert!(parsed.row_problems.is_empty(), "{:?}", parsed.row_problems);
        let springfield = &parsed.entities[0];
        assert_eq!(springfield.id.as_str(), "Q28515");
        assert_eq!(springfield.aliases.len(), 2);
        assert_eq!(springfield.aliases[1].case, CaseRule::Sensitive);
        assert_eq!(springfield.prior, Some(114394.0));
        assert_eq!(springfield.attributes["country"], "US");
        assert_eq!(springfield.external_ids["geonames"], "4250542");
        assert_eq!(parsed.entities[1].at.line, 3);
        assert_eq!(parsed.entities[1].parent.as_ref().map(|p| p.as_str()), Some("IR"));
    }

    #[test]
    fn record_problems_are_rows() {
        let text = "{\"id\": \"a\", \"type\": \"LOC\", \"name\": \"A\"}\n\
                    {\"id\": \"b\", \"type\": \"LOC\"}\n\
                    {\"id\": \"c d\", \"type\": \"LOC\", \"name\": \"C\"}\n\
                    not json\n\
                    {\"id\": \"e\", \"type\": \"LOC\", \"name\": \"E\", \"alias\": [\"x\"]}\n\
                    {\"id\": \"f\", \"type\": \"LOC\", \"name\": \"F\", \"aliases\": [{\"text\": \"\"}]}\n";
        let (_, parsed) = parse_source(&SourceText::new("x.jsonl", text)).unwrap();
        assert_eq!(parsed.entities.len(), 1);
        let got: Vec<String> = parsed.row_problems.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[0].starts_with("x.jsonl:2: missing field `name`"), "{got:#?}");
        assert!(got[1].starts_with("x.jsonl:3: entity id \"c d\""), "{got:#?}");
        assert!(got[2].starts_with("x.jsonl:4: expected"), "{got:#?}");
        assert!(got[3].starts_with("x.jsonl:5: unknown field `alias`"), "{got:#?}");
        assert!(got[4].starts_with("x.jsonl:6: entity f: alias is empty"), "{got:#?}");
    }
}
