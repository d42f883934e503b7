//! spaCy EntityRuler patterns, one per line:
//! `{"label": "ORG", "pattern": "Apple", "id": "apple"}`.
//!
//! A phrase pattern (`pattern` a string) is an alias of the entity `id`,
//! of type `label`; lines with one id make one entity, named by its first
//! pattern. Without an `id`, each pattern text (per label) is an entity of
//! its own, with the id `<label>:<pattern>` (spaces as `_`), as spaCy
//! itself would report no id. A token pattern (`pattern` a list of token
//! attribute tables) matches on spaCy's tokenizer and models, which entex
//! does not run: it is refused, at its line.

use std::sync::Arc;

use serde::Deserialize;

use super::{LineOutcome, Sink, json_message, parse_lines};
use crate::dictionary::model::{AliasRow, AliasSpec, EntityId, EntityType, Location, ParsedSource};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pattern {
    label: String,
    pattern: serde_json::Value,
    id: Option<String>,
}

pub(crate) fn parse(source: &Arc<str>, text: &str, sink: &mut Sink<'_>) {
    parse_lines(source, text, false, pattern, &mut |rows, row_problems, passed_over| {
        sink(ParsedSource { rows, row_problems, passed_over, ..ParsedSource::default() })
    });
}

fn pattern(line: &str, at: &Location) -> Result<LineOutcome<AliasRow>, String> {
    let raw: Pattern = serde_json::from_str(line).map_err(|e| json_message(&e))?;
    let text = match raw.pattern {
        serde_json::Value::String(text) => text,
        serde_json::Value::Array(_) => {
            return Err("a token pattern (a list of token attributes) needs spaCy's tokenizer, which entex does not \
                        run; write the name as a phrase pattern (\"pattern\": \"…\")"
                .to_owned());
        }
        other => return Err(format!("\"pattern\" must be a string (a phrase pattern), not {other}")),
    };
    let entity_type = EntityType::parse(&raw.label)?;
    let id = match raw.id {
        Some(id) => id,
        None => format!("{}:{}", raw.label, text.split_whitespace().collect::<Vec<_>>().join("_")),
    };
    let entity = EntityId::parse(&id)?;
    Ok(LineOutcome::Row(AliasRow {
        entity,
        alias: super::checked(AliasSpec::plain(text, at.clone()))?,
        entity_type: Some(entity_type),
        name: None,
        prior: None,
        description: None,
        attributes: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{
        parse::parse_source,
        source::{Format, SourceText},
    };

    #[test]
    fn phrase_patterns_load_token_patterns_are_refused() {
        let text = r#"{"label": "ORG", "pattern": "Apple", "id": "apple"}
{"label": "ORG", "pattern": "Apple Inc.", "id": "apple"}
{"label": "GPE", "pattern": "San Francisco"}
{"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "francisco"}]}
{"label": "GPE", "pattern": 7}
{"label": "GPE", "patern": "x"}
"#;
        let (format, parsed) = parse_source(&SourceText::new("patterns.jsonl", text)).unwrap();
        assert_eq!(format, Format::Spacy);
        let ids: Vec<&str> = parsed.rows.iter().map(|r| r.entity.as_str()).collect();
        assert_eq!(ids, ["apple", "apple", "GPE:San_Francisco"]);
        assert_eq!(parsed.rows[2].entity_type.as_ref().unwrap().as_str(), "GPE");
        let got: Vec<String> = parsed.row_problems.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].starts_with("patterns.jsonl:4: a token pattern"), "{got:#?}");
        assert!(got[1].starts_with("patterns.jsonl:5: \"pattern\" must be a string"), "{got:#?}");
        assert!(got[2].starts_with("patterns.jsonl:6: unknown field `patern`"), "{got:#?}");
    }
}
