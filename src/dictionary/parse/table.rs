//! Alias tables: CSV and TSV with a header row, and the bulk TSV without
//! one.
//!
//! **With a header** (always for CSV; for TSV when the first line names an
//! `alias` and an `id` column): one alias per row. Columns, matched without
//! regard to case:
//!
//! | column | |
//! |---|---|
//! | `alias` | required: the alias as written |
//! | `id` | required: the entity's id |
//! | `type` | the entity's type (default `MISC` for entities the rows create) |
//! | `name` | the entity's canonical name (default: its first alias) |
//! | `options` | bulk options, as below |
//! | `prior` | the entity's prior, a non-negative number |
//! | `description` | the entity's one-line description |
//! | any other | a free string attribute of the entity, under the column's name |
//!
//! CSV follows RFC 4180 quoting (the `csv` crate); TSV has no quoting (a
//! tab or newline cannot occur in a value), and `#` starts a comment line.
//! Empty cells are absent values; a row may leave out trailing optional
//! cells.
//!
//! **Without a header** (TSV): `alias<TAB>entity_id[<TAB>options]` per line,
//! `#` comments; options are space-separated `case=sensitive|insensitive|auto`,
//! `extract=false`, `short_form`, `default`, `after=PHRASE` (repeatable, `_`
//! for a space). Such a file usually extends entities that another source
//! defines; an id no source defines becomes an entity of its own (unless
//! the file is strict).

use std::sync::Arc;

use super::{LineOutcome, Sink, apply_options, at, check_prior, parse_lines};
use crate::dictionary::model::{AliasRow, AliasSpec, EntityId, EntityType, ParsedSource, Problem};

/// The type of an entity that rows create without naming one (CoNLL's
/// "miscellaneous").
pub const DEFAULT_ROW_TYPE: &str = "MISC";

/// Rows a headed table hands on at a time (its reader is sequential).
const ROW_CHUNK: usize = 1 << 16;

pub(crate) fn parse(source: &Arc<str>, text: &str, delimiter: u8, sink: &mut Sink<'_>) -> Result<(), Vec<Problem>> {
    let first = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .find(|(_, l)| !(l.trim().is_empty() || (delimiter == b'\t' && l.trim_start().starts_with('#'))));
    let headed = delimiter == b',' || first.is_some_and(|(_, l)| is_header(l.split('\t')));
    if headed {
        parse_headed(source, text, delimiter, sink)
    } else {
        parse_bulk(source, text, sink);
        Ok(())
    }
}

/// A row is a header when it names both an `alias` and an `id` column.
fn is_header<'a>(fields: impl Iterator<Item = &'a str>) -> bool {
    let (mut alias, mut id) = (false, false);
    for field in fields {
        let field = field.trim();
        alias |= field.eq_ignore_ascii_case("alias");
        id |= field.eq_ignore_ascii_case("id");
    }
    alias && id
}

/// Where each known column is, and the attribute columns.
struct Columns {
    alias: usize,
    id: usize,
    entity_type: Option<usize>,
    name: Option<usize>,
    options: Option<usize>,
    prior: Option<usize>,
    description: Option<usize>,
    attributes: Vec<(usize, String)>,
    count: usize,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Self, String> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
        let find = |wanted: &str| names.iter().position(|n| n.eq_ignore_ascii_case(wanted));
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(format!("header column {} has no name", i + 1));
            }
            if names[..i].iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(format!("header names column {name:?} twice"));
            }
        }
        let (Some(alias), Some(id)) = (find("alias"), find("id")) else {
            return Err(format!(
                "the header row needs an `alias` and an `id` column; it has {}",
                names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
            ));
        };
        const KNOWN: [&str; 7] = ["alias", "id", "type", "name", "options", "prior", "description"];
        let attributes = names
            .iter()
            .enumerate()
            .filter(|(_, n)| !KNOWN.iter().any(|k| n.eq_ignore_ascii_case(k)))
            .map(|(i, n)| (i, n.clone()))
            .collect();
        Ok(Self {
            alias,
            id,
            entity_type: find("type"),
            name: find("name"),
            options: find("options"),
            prior: find("prior"),
            description: find("description"),
            attributes,
            count: names.len(),
        })
    }

    fn row(&self, record: &csv::StringRecord, at: crate::dictionary::model::Location) -> Result<AliasRow, String> {
        if record.len() > self.count {
            return Err(format!("the row has {} fields; the header has {}", record.len(), self.count));
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).filter(|v| !v.is_empty());
        let Some(alias) = cell(Some(self.alias)) else { return Err("alias is empty".to_owned()) };
        let Some(id) = cell(Some(self.id)) else { return Err("id is empty".to_owned()) };
        let entity = EntityId::parse(id)?;
        let mut spec = AliasSpec::plain(alias, at);
        if let Some(options) = cell(self.options) {
            apply_options(&mut spec, options)?;
        }
        let spec = super::checked(spec)?;
        let entity_type = cell(self.entity_type).map(EntityType::parse).transpose()?;
        let prior = cell(self.prior)
            .map(|p| p.parse::<f64>().map_err(|_| format!("prior {p:?} is not a number")).and_then(check_prior))
            .transpose()?;
        Ok(AliasRow {
            entity,
            alias: spec,
            entity_type,
            name: cell(self.name).map(str::to_owned),
            prior,
            description: cell(self.description).map(str::to_owned),
            attributes: self
                .attributes
                .iter()
                .filter_map(|(i, name)| cell(Some(*i)).map(|v| (name.clone(), v.to_owned())))
                .collect(),
        })
    }
}

fn parse_headed(source: &Arc<str>, text: &str, delimiter: u8, sink: &mut Sink<'_>) -> Result<(), Vec<Problem>> {
    let tsv = delimiter == b'\t';
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .quoting(!tsv)
        .comment(tsv.then_some(b'#'))
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let whole_file = |line: usize, message: String| vec![Problem { at: at(source, line), message }];
    let columns = match records.next() {
        None => return Ok(()),
        Some(Err(error)) => return Err(whole_file(line_of(&error), csv_message(&error))),
        Some(Ok(header)) => {
            let line = header.position().map_or(1, |p| p.line() as usize);
            Columns::from_header(&header).map_err(|m| whole_file(line, m))?
        }
    };
    let mut parsed = ParsedSource::default();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                parsed.row_problems.push(Problem { at: at(source, line_of(&error)), message: csv_message(&error) });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match columns.row(&record, at(source, line)) {
            Ok(row) => parsed.rows.push(row),
            Err(message) => parsed.row_problems.push(Problem { at: at(source, line), message }),
        }
        if parsed.rows.len() >= ROW_CHUNK {
            sink(std::mem::take(&mut parsed));
        }
    }
    sink(parsed);
    Ok(())
}

fn line_of(error: &csv::Error) -> usize {
    error.position().map_or(0, |p| p.line() as usize)
}

/// The csv crate's message without its own position (the problem has it).
fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in field {}", err.field() + 1),
        _ => error.to_string(),
    }
}

fn parse_bulk(source: &Arc<str>, text: &str, sink: &mut Sink<'_>) {
    parse_lines(
        source,
        text,
        true,
        |line, at| bulk_line(line, at).map(LineOutcome::Row),
        &mut |rows, row_problems, _| sink(ParsedSource { rows, row_problems, ..ParsedSource::default() }),
    );
}

fn bulk_line(line: &str, at: &crate::dictionary::model::Location) -> Result<AliasRow, String> {
    let mut fields = line.split('\t');
    let alias = fields.next().unwrap_or_default().trim();
    let Some(entity) = fields.next() else {
        return Err("expected `alias<TAB>entity_id[<TAB>options]`, found no tab".to_owned());
    };
    if alias.is_empty() {
        return Err("alias is empty".to_owned());
    }
    let entity = EntityId::parse(entity.trim())?;
    let mut spec = AliasSpec::plain(alias, at.clone());
    if let Some(options) = fields.next() {
        apply_options(&mut spec, options)?;
    }
    if fields.next().is_some() {
        return Err("too many tab-separated fields (at most 3)".to_owned());
    }
    Ok(AliasRow {
        entity,
        alias: super::checked(spec)?,
        entity_type: None,
        name: None,
        prior: None,
        description: None,
        attributes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use crate::dictionary::{
        model::CaseRule,
        parse::parse_source,
        source::{Format, SourceText},
    };

    fn parse(name: &str, text: &str) -> crate::dictionary::model::ParsedSource {
        parse_source(&SourceText::new(name, text)).unwrap().1
    }

    #[test]
    fn parses_bulk_tsv() {
        let text =
            "# comment\nKH\torg:kh\tcase=sensitive\n\nAssad\tper:bashar\tshort_form default after=President_of\n";
        let parsed = parse("extra.tsv", text);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].alias.case, CaseRule::Sensitive);
        assert_eq!(parsed.rows[0].alias.at.line, 2);
        let assad = &parsed.rows[1].alias;
        assert!(assad.short_form && assad.default);
        assert_eq!(assad.after, vec!["President of".to_owned()]);
    }

    #[test]
    fn bulk_tsv_problems_are_all_reported() {
        let text = "no tab here\nX\tBad Id\nY\tok:id\tcolour=red\nZ\tok:id\n\tok:id\n";
        let parsed = parse("extra.tsv", text);
        let lines: Vec<usize> = parsed.row_problems.iter().map(|p| p.at.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5]);
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn csv_with_header_quoting_and_attributes() {
        let text = "alias,id,type,name,prior,country\n\
                    Springfield,Q28515,LOC,\"Springfield, Illinois\",114394,US\n\
                    \"Springfield, IL\",Q28515,,,,\n\
                    \"The \"\"Big\"\" Apple\",Q60,LOC,New York City,8336817,US\n";
        let (format, parsed) = parse_source(&SourceText::new("places.csv", text)).unwrap();
        assert_eq!(format, Format::Csv);
        assert!(parsed.row_problems.is_empty(), "{:?}", parsed.row_problems);
        assert_eq!(parsed.rows.len(), 3);
        let first = &parsed.rows[0];
        assert_eq!(first.entity.as_str(), "Q28515");
        assert_eq!(first.name.as_deref(), Some("Springfield, Illinois"));
        assert_eq!(first.prior, Some(114394.0));
        assert_eq!(first.attributes, vec![("country".to_owned(), "US".to_owned())]);
        assert_eq!(parsed.rows[1].alias.text, "Springfield, IL");
        assert_eq!(parsed.rows[1].alias.at.line, 3);
        assert!(parsed.rows[1].entity_type.is_none());
        assert_eq!(parsed.rows[2].alias.text, "The \"Big\" Apple");
    }

    #[test]
    fn tsv_with_header() {
        let text = "# places\nAlias\tID\tType\toptions\nSpringfield\tQ28515\tLOC\t\nSPI\tQ28515\t\tcase=sensitive\n";
        let parsed = parse("places.tsv", text);
        assert!(parsed.row_problems.is_empty(), "{:?}", parsed.row_problems);
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[1].alias.case, CaseRule::Sensitive);
        assert_eq!(parsed.rows[1].alias.at.line, 4);
    }

    #[test]
    fn table_problems() {
        let no_id = parse_source(&SourceText::new("a.csv", "alias,name\nX,Y\n")).unwrap_err();
        assert_eq!(
            no_id[0].to_string(),
            "a.csv:1: the header row needs an `alias` and an `id` column; it has \"alias\", \"name\""
        );
        let text = "alias,id,type,prior\n,Q1,LOC,\nX,Q 1,LOC,\nY,Q2,L:OC,\nZ,Q3,LOC,lots\nW,Q4,LOC,1,extra\nV,Q5\n";
        let parsed = parse("a.csv", text);
        let got: Vec<String> = parsed.row_problems.iter().map(ToString::to_string).collect();
        assert_eq!(got.len(), 5, "{got:#?}");
        assert!(got[0].starts_with("a.csv:2: alias is empty"), "{got:#?}");
        assert!(got[1].starts_with("a.csv:3: entity id \"Q 1\""), "{got:#?}");
        assert!(got[2].starts_with("a.csv:4: entity type \"L:OC\""), "{got:#?}");
        assert!(got[3].starts_with("a.csv:5: prior \"lots\" is not a number"), "{got:#?}");
        assert!(got[4].starts_with("a.csv:6: the row has 5 fields; the header has 4"), "{got:#?}");
        assert_eq!(parsed.rows.len(), 1, "the short row V,Q5 is fine");
    }
}
