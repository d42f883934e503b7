//! Where dictionary text comes from and how to read it: a source's name,
//! its format, the dictionary it belongs to, and its loading options.
//!
//! # Naming a file: one syntax everywhere
//!
//! Every command names dictionary files with `--dictionary SPEC` (or
//! `ENTEX_DICTIONARY`, comma-separated), where
//!
//! ```text
//! SPEC    = [NAME=]PATH[?OPTION[&OPTION]...]
//! OPTION  = format=toml|tsv|csv|jsonl|spacy|ftm | strict[=true|false] | invalid_rows=fail|skip
//!         | names=proper|any
//! ```
//!
//! - `NAME` is the dictionary the file belongs to (callers select
//!   dictionaries by name per request); without it, the file's name up to
//!   its first dot (`places.csv` → `places`). Files with one name form one
//!   dictionary. The embedded default dictionary is named `default`.
//! - `format` overrides the format the extension implies ([`Format`]).
//! - `strict` makes cross-entity alias collisions and undefined entity ids
//!   errors, as in a curated dictionary.
//! - `invalid_rows=skip` leaves out rows with problems, reporting how many
//!   and the first few, instead of refusing the whole dictionary.
//! - `names=proper` (the default for files): an alias the file writes with
//!   a capital first letter ("Springfield", "Name", "Al-Assad") is a proper
//!   name, found in running text only where the text capitalises it
//!   ([`NameCase`]). `names=any` finds it in any case, as the embedded
//!   dictionary, whose aliases carry their own case rules, always is.
//!
//! A spec is parsed once, at start, into a [`SourceSpec`]; nothing here
//! reads a file until [`read_sources`].

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
};

use super::model::{Location, Problem};

/// Most dictionaries one server holds: a request selects them with a
/// 64-bit set, so selection costs one AND per claim.
pub const MAX_DICTIONARIES: usize = 64;

/// The name of the embedded default dictionary.
pub const DEFAULT_DICTIONARY: &str = "default";

/// A dictionary file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `[[entity]]` tables with aliases and options; `[[ignore]]` phrases.
    Toml,
    /// Tab-separated: a header row naming `alias` and `id` columns (and
    /// optionally `type`, `name`, `options`, `prior`, attributes), or
    /// headerless `alias<TAB>id[<TAB>options]` lines.
    Tsv,
    /// Comma-separated with a header row, as [`Format::Tsv`] with a header.
    Csv,
    /// JSON Lines, one entity record per line (id, type, name, aliases, …).
    Jsonl,
    /// spaCy EntityRuler patterns, one `{"label", "pattern", "id"}` per line.
    Spacy,
    /// FollowTheMoney entities (OpenSanctions, Aleph), one per line.
    Ftm,
}

impl Format {
    pub const ALL: [Format; 6] = [Self::Toml, Self::Tsv, Self::Csv, Self::Jsonl, Self::Spacy, Self::Ftm];

    /// Whether the format is rows that extend entities (CSV, TSV, spaCy)
    /// rather than records that define them (TOML, JSON Lines,
    /// FollowTheMoney).
    pub fn yields_rows(self) -> bool {
        matches!(self, Self::Tsv | Self::Csv | Self::Spacy)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Toml => "toml",
            Self::Tsv => "tsv",
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
            Self::Spacy => "spacy",
            Self::Ftm => "ftm",
        }
    }

    /// The format a file name implies, `None` for JSON Lines files, whose
    /// three formats are told apart by their first record
    /// ([`super::parse::sniff_json_lines`]).
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        let extension = lower.rsplit_once('.').map_or("", |(_, e)| e);
        match extension {
            "toml" => Some(Self::Toml),
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" | "json" => None,
            // `.tsv`, `.tab`, `.txt` and anything else: the bulk format,
            // as before there were other formats.
            _ => Some(Self::Tsv),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(raw: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|f| f.as_str()).collect();
            format!("format {raw:?} is not one of {}", known.join(", "))
        })
    }
}

/// What loading does with a row (an entity, an alias line, a record) that
/// has a problem of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum InvalidRows {
    /// The dictionary is not loaded (a bad dictionary never replaces a good
    /// one).
    #[default]
    Fail,
    /// The row is left out; the count and the first problems are reported
    /// with the source and recorded in the served dictionary's info.
    Skip,
}

impl InvalidRows {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "fail",
            Self::Skip => "skip",
        }
    }
}

/// How to read one source and which dictionary it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceOptions {
    /// The dictionary this source belongs to.
    pub dictionary: String,
    /// The format; `None`: from the extension, or sniffed for JSON Lines.
    pub format: Option<Format>,
    /// Collisions between entities and undefined ids are errors.
    pub strict: bool,
    pub invalid_rows: InvalidRows,
    /// Where running text may write this source's aliases in lower case.
    pub names: NameCase,
}

/// Whether a source's capitalised aliases are proper names (`names=`).
///
/// Real catalogues name places and people after ordinary words: GeoNames
/// has towns called Name, Key, Tree, List and Convoy, and name lists hold
/// Will, Rose and Guy. Matched in any case, such a catalogue tags every
/// "name" and "list" of running text (over half of what a 1,000,000-entity
/// catalogue found in news before this rule) and the scan pays for each.
/// The catalogue says which of its names are proper nouns by writing them
/// with a capital; news writes proper nouns with one too (and headlines in
/// capitals keep it), so the capital is the evidence both sides give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NameCase {
    /// An alias whose first letter is a capital matches only where the
    /// text capitalises the mention's first word, or its second word after
    /// a lower-case first ("al-Assad", "the Hague", "bin Laden" for "Bin
    /// Laden"). Aliases written in lower case, in a script without case,
    /// or with their own `case` option, match as before.
    #[default]
    Proper,
    /// Every alias matches in any case (unless its own `case` option
    /// says otherwise).
    Any,
}

impl NameCase {
    pub fn as_str(self) -> &'static str {
        match self {
            NameCase::Proper => "proper",
            NameCase::Any => "any",
        }
    }
}

impl SourceOptions {
    /// Options for a file of this name with nothing specified: the dictionary
    /// named after the file, the format its extension implies, lenient, and
    /// failing on bad rows.
    pub fn for_file(name: &str) -> Self {
        Self {
            dictionary: default_dictionary_name(name),
            format: None,
            strict: false,
            invalid_rows: InvalidRows::Fail,
            names: NameCase::Proper,
        }
    }

    /// The options of the embedded default dictionary: curated, so strict,
    /// and with case rules alias by alias, so [`NameCase::Any`].
    pub fn embedded() -> Self {
        Self {
            dictionary: DEFAULT_DICTIONARY.to_owned(),
            format: None,
            strict: true,
            invalid_rows: InvalidRows::Fail,
            names: NameCase::Any,
        }
    }
}

/// `places.csv` → `places`; `/data/us_ofac.ftm.json` → `us_ofac`.
fn default_dictionary_name(name: &str) -> String {
    let file = Path::new(name).file_name().and_then(|f| f.to_str()).unwrap_or(name);
    let stem = file.split('.').next().unwrap_or(file);
    if stem.is_empty() { file.to_owned() } else { stem.to_owned() }
}

/// Checks a dictionary name: 1–64 ASCII letters, digits, `_`, `-` or `.`.
///
/// # Errors
///
/// A message naming the value and the rule.
pub fn check_dictionary_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "dictionary name {name:?} is not valid: use 1-64 ASCII letters, digits, '_', '-' or '.' (name a file's \
             dictionary with NAME=PATH)"
        ))
    }
}

/// A dictionary file as named on the command line: `[NAME=]PATH[?OPTIONS]`
/// (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    pub path: PathBuf,
    pub options: SourceOptions,
}

impl SourceSpec {
    /// A plain path with every option at its default.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let options = SourceOptions::for_file(&path.to_string_lossy());
        Self { path, options }
    }
}

impl FromStr for SourceSpec {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("a dictionary spec is empty: give [NAME=]PATH[?OPTIONS]".to_owned());
        }
        let (named, query) = match raw.split_once('?') {
            Some((named, query)) => (named, Some(query)),
            None => (raw, None),
        };
        // `NAME=` only when what precedes `=` is a valid name: a path with an
        // `=` in it (`./a=b.toml`) stays a path.
        let (name, path) = match named.split_once('=') {
            Some((name, path)) if check_dictionary_name(name).is_ok() => (Some(name), path),
            _ => (None, named),
        };
        if path.is_empty() {
            return Err(format!("dictionary spec {raw:?} has no path"));
        }
        let mut options = SourceOptions::for_file(path);
        if let Some(name) = name {
            options.dictionary = name.to_owned();
        }
        check_dictionary_name(&options.dictionary).map_err(|e| format!("dictionary spec {raw:?}: {e}"))?;
        for option in query.into_iter().flat_map(|q| q.split('&')).filter(|o| !o.is_empty()) {
            let (key, value) = match option.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (option, None),
            };
            let bad = |why: String| format!("dictionary spec {raw:?}: option {option:?}: {why}");
            match (key, value) {
                ("format", Some(value)) => options.format = Some(value.parse().map_err(bad)?),
                ("strict", None | Some("true")) => options.strict = true,
                ("strict", Some("false")) => options.strict = false,
                ("invalid_rows", Some("fail")) => options.invalid_rows = InvalidRows::Fail,
                ("invalid_rows", Some("skip")) => options.invalid_rows = InvalidRows::Skip,
                ("names", Some("proper")) => options.names = NameCase::Proper,
                ("names", Some("any")) => options.names = NameCase::Any,
                _ => {
                    return Err(bad("known options are format=toml|tsv|csv|jsonl|spacy|ftm, strict[=true|false], \
                         invalid_rows=fail|skip, names=proper|any"
                        .to_owned()));
                }
            }
        }
        Ok(Self { path: PathBuf::from(path), options })
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.options.dictionary, self.path.display())
    }
}

/// A dictionary source: its name (a path, or `embedded:<file>`), its text,
/// and how to read it.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: String,
    pub text: String,
    pub options: SourceOptions,
}

impl SourceText {
    /// A source with the options a file of this name gets by default.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        let options = SourceOptions::for_file(&name);
        Self { name, text: text.into(), options }
    }
}

/// Reads dictionary files, in order.
///
/// # Errors
///
/// An unreadable or non-UTF-8 file is a [`Problem`] naming the file; every
/// file is tried so all such problems are reported together.
pub fn read_sources(specs: &[SourceSpec]) -> Result<Vec<SourceText>, Vec<Problem>> {
    let mut sources = Vec::with_capacity(specs.len());
    let mut problems = Vec::new();
    for spec in specs {
        let name = spec.path.display().to_string();
        match std::fs::read(&spec.path)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
        {
            Ok(text) => sources.push(SourceText { name, text, options: spec.options.clone() }),
            Err(error) => problems.push(Problem {
                at: Location { source: name.as_str().into(), line: 0 },
                message: format!("cannot read dictionary file: {error}"),
            }),
        }
    }
    if problems.is_empty() { Ok(sources) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        type Row<'a> = (&'a str, &'a str, &'a str, Option<Format>, bool, InvalidRows);
        let rows: &[Row] = &[
            ("places.csv", "places.csv", "places", None, false, InvalidRows::Fail),
            ("/data/us_ofac.ftm.json", "/data/us_ofac.ftm.json", "us_ofac", None, false, InvalidRows::Fail),
            ("geo=/data/cities.txt?format=csv", "/data/cities.txt", "geo", Some(Format::Csv), false, InvalidRows::Fail),
            ("a.jsonl?strict&invalid_rows=skip", "a.jsonl", "a", None, true, InvalidRows::Skip),
            ("a.jsonl?strict=false", "a.jsonl", "a", None, false, InvalidRows::Fail),
            ("./x=y.toml", "./x=y.toml", "x=y", None, false, InvalidRows::Fail),
        ];
        for &(raw, path, dictionary, format, strict, invalid_rows) in rows {
            if raw.starts_with("./x=") {
                // The stem `x=y` is no valid name: the spec is refused, naming the fix.
                let error = raw.parse::<SourceSpec>().unwrap_err();
                assert!(error.contains("NAME=PATH"), "{raw}: {error}");
                continue;
            }
            let spec: SourceSpec = raw.parse().unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(spec.path, PathBuf::from(path), "{raw}");
            assert_eq!(spec.options.dictionary, dictionary, "{raw}");
            assert_eq!(spec.options.format, format, "{raw}");
            assert_eq!(spec.options.strict, strict, "{raw}");
            assert_eq!(spec.options.invalid_rows, invalid_rows, "{raw}");
            assert_eq!(spec.options.names, NameCase::Proper, "{raw}: files' names are proper by default");
        }
        for (raw, names) in [("a.csv?names=any", NameCase::Any), ("a.csv?strict&names=proper", NameCase::Proper)] {
            assert_eq!(raw.parse::<SourceSpec>().unwrap().options.names, names, "{raw}");
        }
        let error = "a.csv?names=lower".parse::<SourceSpec>().unwrap_err();
        assert!(error.contains("names=proper|any") && error.contains("names=lower"), "{error}");
        assert_eq!(SourceOptions::embedded().names, NameCase::Any);
    }

    #[test]
    fn bad_specs_name_the_problem() {
        let rows = [
            ("", "empty"),
            ("x=", "no path"),
            ("a.csv?format=xml", "format \"xml\" is not one of toml, tsv, csv, jsonl, spacy, ftm"),
            ("a.csv?colour=red", "known options are"),
            ("a.csv?invalid_rows=maybe", "known options are"),
            ("my places.csv", "not valid"),
        ];
        for (raw, fragment) in rows {
            let error = raw.parse::<SourceSpec>().unwrap_err();
            assert!(error.contains(fragment), "{raw:?}: {error}");
        }
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::from_name("a.toml"), Some(Format::Toml));
        assert_eq!(Format::from_name("A.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_name("a.tsv"), Some(Format::Tsv));
        assert_eq!(Format::from_name("a.txt"), Some(Format::Tsv));
        assert_eq!(Format::from_name("a.jsonl"), None);
        assert_eq!(Format::from_name("a.ftm.json"), None);
    }
}
