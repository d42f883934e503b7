//! Parsing dictionary sources into [`ParsedSource`], with every problem
//! located by source name and line. One file per format:
//!
//! | format | file | yields |
//! |---|---|---|
//! | TOML (`.toml`) | [`toml`] | entity definitions with alias options, ignore phrases |
//! | JSON Lines entity records (`.jsonl`) | [`records`] | entity definitions, one per line |
//! | FollowTheMoney (`.jsonl`, `format=ftm`) | [`ftm`] | entity definitions from FtM entities |
//! | spaCy patterns (`.jsonl`, `format=spacy`) | [`spacy`] | alias rows, one per phrase pattern |
//! | CSV / TSV with a header (`.csv`, `.tsv`) | [`table`] | alias rows with type, name, options, attributes |
//! | bulk TSV without a header (`.tsv`, any other) | [`table`] | alias rows `alias<TAB>id[<TAB>options]` |
//!
//! The three JSON Lines formats share extensions; without `format=`, the
//! first record tells them apart ([`sniff_json_lines`]).
//!
//! # Problems
//!
//! A problem confined to one row (an entity table, a line, a record) leaves
//! that row out and is returned in [`ParsedSource::row_problems`]; the
//! caller decides whether it fails the dictionary
//! ([`super::InvalidRows`]). A problem with the whole file (TOML syntax, a
//! CSV header without an `alias` column) is an `Err`: nothing of the file
//! can be trusted. A parser reports as many problems as it finds in one
//! pass, so `entex check` lists everything to fix at once.
//!
//! # Cost
//!
//! Line formats are parsed in parallel (rayon, lines in order) and handed
//! to the build a slice of lines at a time ([`parse_lines`]), the build
//! taking one slice while the next is parsed: a file's parsed records are
//! never all held, only two slices of them. A 3,000,000-alias file is a few
//! seconds of the build. TOML is parsed whole (its files are small and
//! curated); headed CSV and TSV are read by one sequential reader and
//! handed on [`table`]'s slice of rows at a time.

pub mod ftm;
pub mod records;
pub mod spacy;
pub mod table;
pub mod toml;

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Deserializer, de};

use super::{
    model::{AliasSpec, CaseRule, Location, ParsedSource, Problem},
    source::{Format, SourceText},
};

/// Where a parser puts what it read, a slice of rows at a time, in file
/// order: the build defines entities and attaches rows as they come, so
/// the rows of a large file are never all held at once.
pub(crate) type Sink<'s> = dyn FnMut(ParsedSource) + Send + 's;

/// The format a source is read as: its options', its name's, or (JSON
/// Lines) its first record's.
pub fn format_of(source: &SourceText) -> Format {
    source
        .options
        .format
        .or_else(|| Format::from_name(&source.name))
        .unwrap_or_else(|| sniff_json_lines(text_of(source)))
}

/// The text of a source without its byte-order mark.
fn text_of(source: &SourceText) -> &str {
    source.text.strip_prefix('\u{feff}').unwrap_or(&source.text)
}

/// Parses one source in the format its options or name give, whole.
///
/// # Errors
///
/// Whole-file problems; row problems are in [`ParsedSource::row_problems`].
pub fn parse_source(source: &SourceText) -> Result<(Format, ParsedSource), Vec<Problem>> {
    let format = format_of(source);
    let mut whole = ParsedSource::default();
    parse_source_into(source, format, &mut |part| whole.absorb(part))?;
    Ok((format, whole))
}

/// Parses one source as `format`, handing what it reads to `sink` in
/// parts, in file order. Record formats (TOML, JSON Lines, FollowTheMoney)
/// yield entities and ignore phrases, row formats (CSV, TSV, spaCy) rows.
///
/// # Errors
///
/// Whole-file problems, before any part reaches `sink`; row problems go
/// with the parts.
pub(crate) fn parse_source_into(source: &SourceText, format: Format, sink: &mut Sink<'_>) -> Result<(), Vec<Problem>> {
    let name: Arc<str> = Arc::from(source.name.as_str());
    let text = text_of(source);
    match format {
        Format::Toml => sink(toml::parse(&name, text)?),
        Format::Tsv => table::parse(&name, text, b'\t', sink)?,
        Format::Csv => table::parse(&name, text, b',', sink)?,
        Format::Jsonl => records::parse(&name, text, sink),
        Format::Spacy => spacy::parse(&name, text, sink),
        Format::Ftm => ftm::parse(&name, text, sink),
    }
    Ok(())
}

/// Which JSON Lines format a text is, from its first record: a
/// FollowTheMoney entity has `schema` and `properties`, a spaCy pattern
/// has `label` and `pattern`; anything else is read as entex records (and a
/// line that is no JSON object is reported there).
pub fn sniff_json_lines(text: &str) -> Format {
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    let Some(Ok(serde_json::Value::Object(record))) = first.map(serde_json::from_str::<serde_json::Value>) else {
        return Format::Jsonl;
    };
    if record.contains_key("schema") && record.contains_key("properties") {
        Format::Ftm
    } else if record.contains_key("label") && record.contains_key("pattern") {
        Format::Spacy
    } else {
        Format::Jsonl
    }
}

/// Lines parsed in parallel at a time ([`parse_lines`]): enough to keep
/// two cores busy, few enough that two slices of parsed records (the one
/// being parsed, the one the build takes) stay a few tens of megabytes.
const PARSE_CHUNK: usize = 1 << 14;

/// What one line of a line format became.
pub(crate) enum LineOutcome<T> {
    Row(T),
    /// Not an entity by design (a FollowTheMoney `Sanction`): passed over.
    PassedOver,
}

/// What [`parse_lines`] hands on per slice of lines: the rows, the row
/// problems (at their lines) and how many lines were passed over.
pub(crate) type LinesSink<'s, T> = dyn FnMut(Vec<T>, Vec<Problem>, u64) + Send + 's;

/// Parses every non-blank line of `text` with `parse_line` (in parallel,
/// results in line order), handing them to `sink` a slice of lines at a
/// time; a line's `Err` becomes a row problem at its line. Lines starting
/// with `#` are comments when `comments` is set.
///
/// While one slice is parsed the sink takes the one before (the build
/// defines its entities), so the build's sequential part overlaps the parse.
pub(crate) fn parse_lines<T: Send>(
    source: &Arc<str>,
    text: &str,
    comments: bool,
    parse_line: impl Fn(&str, &Location) -> Result<LineOutcome<T>, String> + Sync,
    sink: &mut LinesSink<'_, T>,
) {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| {
            let trimmed = line.trim();
            !(trimmed.is_empty() || (comments && trimmed.starts_with('#')))
        })
        .collect();
    let mut ready: Option<(Vec<T>, Vec<Problem>, u64)> = None;
    for chunk in lines.chunks(PARSE_CHUNK) {
        let parse = || -> Vec<Result<LineOutcome<T>, String>> {
            // Small files: threads would cost more than they save.
            if chunk.len() < 4096 {
                chunk.iter().map(|&(n, line)| parse_line(line, &at(source, n))).collect()
            } else {
                chunk.par_iter().map(|&(n, line)| parse_line(line, &at(source, n))).collect()
            }
        };
        let outcomes = match ready.take() {
            Some((rows, problems, passed_over)) => rayon::join(parse, || sink(rows, problems, passed_over)).0,
            None => parse(),
        };
        let mut rows = Vec::with_capacity(outcomes.len());
        let mut problems = Vec::new();
        let mut passed_over = 0;
        for (&(n, _), outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Ok(LineOutcome::Row(row)) => rows.push(row),
                Ok(LineOutcome::PassedOver) => passed_over += 1,
                Err(message) => problems.push(Problem { at: at(source, n), message }),
            }
        }
        ready = Some((rows, problems, passed_over));
    }
    if let Some((rows, problems, passed_over)) = ready {
        sink(rows, problems, passed_over);
    }
}

pub(crate) fn at(source: &Arc<str>, line: usize) -> Location {
    Location { source: source.clone(), line }
}

/// A JSON error without serde_json's "at line 1 column N" (the line is the
/// problem's own; the column is kept, it helps in a long record).
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(m, _)| m);
    format!("{message} (column {})", error.column())
}

/// An alias: a plain string, or a table/object with options (TOML and JSON
/// records alike).
pub(crate) enum AliasValue {
    Plain(String),
    Options(AliasOptions),
}

/// The options an alias may carry, as written in TOML or JSON.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AliasOptions {
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

impl<'de> Deserialize<'de> for AliasValue {
    // Hand-written rather than `#[serde(untagged)]` so that a mistake inside
    // an alias table ("unknown field `cas`") is reported as such, not as
    // "data did not match any variant".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AliasVisitor;
        impl<'de> de::Visitor<'de> for AliasVisitor {
            type Value = AliasValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an alias string or a table { text = \"...\", ... }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AliasValue, E> {
                Ok(AliasValue::Plain(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<AliasValue, E> {
                Ok(AliasValue::Plain(v))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<AliasValue, A::Error> {
                AliasOptions::deserialize(de::value::MapAccessDeserializer::new(map)).map(AliasValue::Options)
            }
        }
        deserializer.deserialize_any(AliasVisitor)
    }
}

impl AliasValue {
    /// The alias as a checked [`AliasSpec`].
    pub(crate) fn into_spec(self, at: Location) -> Result<AliasSpec, String> {
        let options = match self {
            AliasValue::Plain(text) => return checked(AliasSpec::plain(text, at)),
            AliasValue::Options(options) => options,
        };
        let case = options.case.as_deref().map(CaseRule::parse).transpose()?.unwrap_or_default();
        if options.default && !options.short_form {
            return Err(format!("alias {:?}: `default = true` needs `short_form = true`", options.text));
        }
        checked(AliasSpec {
            text: options.text,
            case,
            extract: options.extract.unwrap_or(true),
            after: options.after,
            short_form: options.short_form,
            default: options.default,
            at,
        })
    }
}

/// Longest alias, in bytes: a name, not a paragraph (a record that puts a
/// description in an alias field is a mistake worth reporting).
pub const MAX_ALIAS_BYTES: usize = 1024;

/// An alias must hold something and fit [`MAX_ALIAS_BYTES`].
fn checked(spec: AliasSpec) -> Result<AliasSpec, String> {
    if spec.text.trim().is_empty() {
        return Err("alias is empty".to_owned());
    }
    if spec.text.len() > MAX_ALIAS_BYTES {
        return Err(format!(
            "alias {:?}… is {} bytes; the limit is {MAX_ALIAS_BYTES}",
            super::model::cut(&spec.text, 40),
            spec.text.len()
        ));
    }
    Ok(spec)
}

/// Applies space-separated bulk options (`case=sensitive extract=false
/// short_form default after=PHRASE`, `_` for a space in a phrase) to `spec`.
pub(crate) fn apply_options(spec: &mut AliasSpec, options: &str) -> Result<(), String> {
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
    if spec.default && !spec.short_form {
        return Err("option `default` needs `short_form`".to_owned());
    }
    Ok(())
}

/// A prior: a finite, non-negative number.
pub(crate) fn check_prior(prior: f64) -> Result<f64, String> {
    // Stored as f32: a prior finite as f64 but beyond f32 (143e94) would be
    // infinite in the dictionary (bug `prior-overflows-f32`, found by the
    // fuzz target `dictionary`: its artefact then failed its own check).
    if prior.is_finite() && prior >= 0.0 && (prior as f32).is_finite() {
        Ok(prior)
    } else {
        Err(format!("prior {prior} is not a finite non-negative number of at most {:e}", f32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priors_are_finite_non_negative_f32() {
        for (prior, ok) in
            [(0.0, true), (2_145_906.0, true), (3.0e38, true), (1.43e96, false), (-1.0, false), (f64::NAN, false)]
        {
            assert_eq!(check_prior(prior).is_ok(), ok, "{prior}");
        }
    }

    #[test]
    fn json_lines_are_sniffed() {
        assert_eq!(sniff_json_lines("\n{\"id\": \"a\", \"schema\": \"Person\", \"properties\": {}}\n"), Format::Ftm);
        assert_eq!(sniff_json_lines("{\"label\": \"ORG\", \"pattern\": \"Apple\"}"), Format::Spacy);
        assert_eq!(sniff_json_lines("{\"id\": \"a\", \"type\": \"ORG\", \"name\": \"A\"}"), Format::Jsonl);
        assert_eq!(sniff_json_lines("not json"), Format::Jsonl);
        assert_eq!(sniff_json_lines(""), Format::Jsonl);
    }

    #[test]
    fn parallel_lines_keep_order_and_lines() {
        let text: String =
            (0..10_000).map(|i| if i % 1000 == 7 { "bad\n".to_owned() } else { format!("{i}\n") }).collect();
        let source: Arc<str> = Arc::from("n.txt");
        let (mut rows, mut problems) = (Vec::new(), Vec::new());
        let parse = |line: &str, _: &Location| line.parse::<u32>().map(LineOutcome::Row).map_err(|e| e.to_string());
        parse_lines(&source, &text, false, parse, &mut |r, p, _| {
            rows.extend(r);
            problems.extend(p);
        });
        assert_eq!(rows.len(), 9_990);
        assert!(rows.windows(2).all(|w| w[0] < w[1]));
        let lines: Vec<usize> = problems.iter().map(|p| p.at.line).collect();
        assert_eq!(lines, (0..10).map(|k| k * 1000 + 8).collect::<Vec<_>>());
    }
}
