//! FollowTheMoney entities, the format OpenSanctions and Aleph publish
//! (`entities.ftm.json`): one JSON entity per line, `{"id", "schema",
//! "properties": {"name": [...], ...}, "caption", "datasets", ...}`.
//!
//! # What an entity becomes
//!
//! | schema | type |
//! |---|---|
//! | `Person` | `PER` |
//! | `Organization`, `Company`, `PublicBody`, `LegalEntity` | `ORG` |
//! | `Vessel` | `VESSEL` |
//! | `Airplane` | `AIRCRAFT` |
//! | `Vehicle` | `VEHICLE` |
//! | `Position` | `POSITION` |
//! | `Security` | `SECURITY` |
//! | `Event` | `EVENT` |
//! | `Project` | `PROJECT` |
//! | any other (`Sanction`, `Address`, `Identification`, `Ownership`, `Family`, …) | passed over: relations and records, not names to find |
//!
//! - canonical name: `caption`, else the first `name`;
//! - aliases: every `name`, `alias` and `previousName`; every `weakAlias`
//!   (OpenSanctions: "too short or too common to match on alone") is
//!   Normalize-only (`extract = false`);
//! - external ids: `wikidataId` as `wikidata`;
//! - description: the first `description`, else `summary`, on one line;
//! - attributes: `country`, `nationality`, `jurisdiction`, `topics`,
//!   `birthDate`, `position`, and the top-level `datasets`, each list
//!   joined with `;`.
//!
//! Unknown top-level keys and properties are ignored: FtM exports carry
//! many (`first_seen`, `referents`, `target`, …), and the schema grows.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use serde::Deserialize;

use super::{LineOutcome, Sink, json_message, parse_lines};
use crate::dictionary::model::{AliasSpec, EntityId, EntitySpec, EntityType, Location, ParsedSource};

#[derive(Deserialize)]
struct FtmEntity {
    id: String,
    schema: String,
    #[serde(default)]
    properties: HashMap<String, Vec<serde_json::Value>>,
    caption: Option<String>,
    #[serde(default)]
    datasets: Vec<String>,
}

/// The entex type of a FollowTheMoney schema, `None` for schemata that
/// are not entities to find in text.
pub fn schema_type(schema: &str) -> Option<&'static str> {
    Some(match schema {
        "Person" => "PER",
        "Organization" | "Company" | "PublicBody" | "LegalEntity" => "ORG",
        "Vessel" => "VESSEL",
        "Airplane" => "AIRCRAFT",
        "Vehicle" => "VEHICLE",
        "Position" => "POSITION",
        "Security" => "SECURITY",
        "Event" => "EVENT",
        "Project" => "PROJECT",
        _ => return None,
    })
}

const ATTRIBUTES: [&str; 6] = ["country", "nationality", "jurisdiction", "topics", "birthDate", "position"];

pub(crate) fn parse(source: &Arc<str>, text: &str, sink: &mut Sink<'_>) {
    parse_lines(source, text, false, entity, &mut |entities, row_problems, passed_over| {
        sink(ParsedSource { entities, row_problems, passed_over, ..ParsedSource::default() })
    });
}

fn entity(line: &str, at: &Location) -> Result<LineOutcome<EntitySpec>, String> {
    let raw: FtmEntity = serde_json::from_str(line).map_err(|e| json_message(&e))?;
    let Some(entity_type) = schema_type(&raw.schema) else { return Ok(LineOutcome::PassedOver) };
    let id = EntityId::parse(&raw.id)?;
    let strings = |property: &str| -> Vec<&str> {
        raw.properties
            .get(property)
            .map(|values| values.iter().filter_map(|v| v.as_str()).map(str::trim).filter(|v| !v.is_empty()).collect())
            .unwrap_or_default()
    };
    let names = strings("name");
    let Some(name) = raw.caption.as_deref().map(str::trim).filter(|c| !c.is_empty()).or(names.first().copied()) else {
        return Err(format!("{} {id} has no name or caption", raw.schema));
    };
    let mut aliases = Vec::new();
    let mut add = |text: &str, extract: bool| {
        if text != name && !aliases.iter().any(|a: &AliasSpec| a.text == text) {
            aliases.push(AliasSpec { extract, ..AliasSpec::plain(text, at.clone()) });
        }
    };
    for text in names.iter().chain(&strings("alias")).chain(&strings("previousName")) {
        add(text, true);
    }
    for text in strings("weakAlias") {
        add(text, false);
    }
    let aliases = aliases.into_iter().map(super::checked).collect::<Result<Vec<_>, _>>()?;
    let mut external_ids = BTreeMap::new();
    if let Some(qid) = strings("wikidataId").first() {
        external_ids.insert("wikidata".to_owned(), (*qid).to_owned());
    }
    let description = strings("description")
        .first()
        .or(strings("summary").first())
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "));
    let mut attributes: BTreeMap<String, String> = ATTRIBUTES
        .iter()
        .map(|&property| (property, strings(property)))
        .filter(|(_, values)| !values.is_empty())
        .map(|(property, values)| (property.to_owned(), values.join(";")))
        .collect();
    if !raw.datasets.is_empty() {
        attributes.insert("datasets".to_owned(), raw.datasets.join(";"));
    }
    Ok(LineOutcome::Row(EntitySpec {
        id,
        entity_type: EntityType::parse(entity_type).expect("the schema table holds valid types"),
        name: name.to_owned(),
        description,
        parent: None,
        external_ids,
        attributes,
        prior: None,
        sources: Vec::new(),
        aliases,
        at: at.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{
        parse::parse_source,
        source::{Format, SourceText},
    };

    const OPENSANCTIONS: &str = r#"{"id": "NK-2bCmV8Hs5NXa8o6VWAsgsk", "schema": "Person", "caption": "Qasem Soleimani", "properties": {"name": ["Qasem Soleimani", "Qassem Soleimani"], "alias": ["Qasim Soleimany", "Haj Qassem"], "weakAlias": ["Haj Qasem"], "birthDate": ["1957-03-11"], "nationality": ["ir"], "topics": ["sanction", "role.pep"], "wikidataId": ["Q892810"]}, "datasets": ["us_ofac_sdn"], "referents": ["ofac-1234"], "first_seen": "2020-01-01T00:00:00", "target": true}
{"id": "ofac-sanction-1", "schema": "Sanction", "properties": {"entity": ["NK-2bCmV8Hs5NXa8o6VWAsgsk"], "program": ["SDGT"]}}
{"id": "NK-kh", "schema": "Organization", "properties": {"name": ["Kata'ib Hizballah"], "alias": ["Hizballah Brigades", "KH"], "previousName": ["Kataib Hezbollah"], "country": ["iq"]}}
{"id": "NK-empty", "schema": "Company", "properties": {}}
{"id": "addr-1", "schema": "Address", "properties": {"full": ["1 Main St"]}}
"#;

    #[test]
    fn opensanctions_entities() {
        let (format, parsed) = parse_source(&SourceText::new("us_ofac.ftm.json", OPENSANCTIONS)).unwrap();
        assert_eq!(format, Format::Ftm);
        assert_eq!(parsed.entities.len(), 2);
        assert_eq!(parsed.passed_over, 2);
        let person = &parsed.entities[0];
        assert_eq!(person.entity_type.as_str(), "PER");
        assert_eq!(person.name, "Qasem Soleimani");
        let aliases: Vec<(&str, bool)> = person.aliases.iter().map(|a| (a.text.as_str(), a.extract)).collect();
        assert_eq!(
            aliases,
            [("Qassem Soleimani", true), ("Qasim Soleimany", true), ("Haj Qassem", true), ("Haj Qasem", false)]
        );
        assert_eq!(person.external_ids["wikidata"], "Q892810");
        assert_eq!(person.attributes["topics"], "sanction;role.pep");
        assert_eq!(person.attributes["datasets"], "us_ofac_sdn");
        let kh = &parsed.entities[1];
        assert_eq!((kh.entity_type.as_str(), kh.name.as_str()), ("ORG", "Kata'ib Hizballah"));
        assert_eq!(kh.aliases.len(), 3);
        let got: Vec<String> = parsed.row_problems.iter().map(ToString::to_string).collect();
        assert_eq!(got, ["us_ofac.ftm.json:4: Company NK-empty has no name or caption"]);
    }
}
