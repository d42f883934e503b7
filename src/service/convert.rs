//! Proto <-> domain: request validation against the limits, and domain
//! results to proto messages. Requests are destructured field by field so
//! that a field added to the proto cannot be silently ignored here.

use std::time::UNIX_EPOCH;

use crate::{
    config::Limits,
    dictionary::{Dictionary, DictionaryInfo, DictionarySummary, Entity, Selection, SourceInfo},
    matcher::{ExtractOptions, Linking, MatchKind, Mention, OverlapPolicy},
    proto::entex_v1 as pb,
    resolve::{Candidate, Resolution, ResolveOptions},
    service::status::RequestError,
    vocabulary::TypeFilter,
};

/// Checks an Extract batch against the limits.
///
/// # Errors
///
/// The first limit the batch breaks, naming the document.
pub fn check_documents(documents: &[pb::Document], limits: &Limits) -> Result<(), RequestError> {
    if documents.len() > limits.max_documents {
        return Err(RequestError::TooManyDocuments { count: documents.len(), limit: limits.max_documents });
    }
    for (index, document) in documents.iter().enumerate() {
        check_document(index, document, limits)?;
    }
    Ok(())
}

/// Checks one document against the per-document limit; `index` is its
/// position in the batch or stream, for the message.
pub fn check_document(index: usize, document: &pb::Document, limits: &Limits) -> Result<(), RequestError> {
    if document.text.len() > limits.max_document_bytes {
        return Err(RequestError::DocumentTooLarge {
            index,
            id: truncate_for_message(&document.id),
            bytes: document.text.len(),
            limit: limits.max_document_bytes,
        });
    }
    Ok(())
}

/// Checks a Normalize request against the limits.
pub fn check_names(names: &[String], limits: &Limits) -> Result<(), RequestError> {
    if names.len() > limits.max_names {
        return Err(RequestError::TooManyNames { count: names.len(), limit: limits.max_names });
    }
    for (index, name) in names.iter().enumerate() {
        if name.len() > limits.max_name_bytes {
            return Err(RequestError::NameTooLarge { index, bytes: name.len(), limit: limits.max_name_bytes });
        }
        if name.trim().is_empty() {
            return Err(RequestError::EmptyName { index });
        }
    }
    Ok(())
}

/// A caller's id echoed in an error message, cut so that a hostile id cannot
/// make the error itself huge.
fn truncate_for_message(id: &str) -> String {
    const MAX: usize = 64;
    if id.len() <= MAX {
        return id.to_owned();
    }
    let cut = (0..=MAX).rev().find(|&i| id.is_char_boundary(i)).unwrap_or(0);
    format!("{}…", &id[..cut])
}

/// The domain options an ExtractOptions asks for, checked against the
/// dictionary that will serve the request.
///
/// # Errors
///
/// An entity type or dictionary name the dictionary does not have.
pub fn extract_options(
    options: Option<pb::ExtractOptions>,
    dictionary: &Dictionary,
) -> Result<ExtractOptions, RequestError> {
    let pb::ExtractOptions { entity_types, dictionaries, drop_ambiguous, overlaps } = options.unwrap_or_default();
    Ok(ExtractOptions {
        selection: selection("options.dictionaries", &dictionaries, dictionary)?,
        types: type_filter("options.entity_types", entity_types, dictionary)?,
        drop_ambiguous,
        overlaps: overlap_policy(overlaps)?,
        ..ExtractOptions::default()
    })
}

/// The domain overlap policy of `options.overlaps`; unset is the default.
fn overlap_policy(value: i32) -> Result<OverlapPolicy, RequestError> {
    match pb::OverlapPolicy::try_from(value) {
        Ok(pb::OverlapPolicy::Unspecified | pb::OverlapPolicy::LeftmostLongest) => Ok(OverlapPolicy::LeftmostLongest),
        Ok(pb::OverlapPolicy::All) => Ok(OverlapPolicy::All),
        Err(_) => Err(RequestError::UnknownOverlapPolicy { value }),
    }
}

/// The domain options a NormalizeOptions asks for.
///
/// # Errors
///
/// An unknown type or dictionary, or a `min_score` outside [0, 1].
pub fn resolve_options(
    options: Option<pb::NormalizeOptions>,
    dictionary: &Dictionary,
) -> Result<ResolveOptions, RequestError> {
    let pb::NormalizeOptions { entity_types, min_score, dictionaries } = options.unwrap_or_default();
    if !(0.0..=1.0).contains(&min_score) {
        return Err(RequestError::MinScoreOutOfRange { value: min_score });
    }
    Ok(ResolveOptions {
        types: type_filter("options.entity_types", entity_types, dictionary)?,
        min_score,
        selection: selection("options.dictionaries", &dictionaries, dictionary)?,
        ..ResolveOptions::default()
    })
}

fn type_filter(field: &'static str, types: Vec<String>, dictionary: &Dictionary) -> Result<TypeFilter, RequestError> {
    let known = &dictionary.info().entities_by_type;
    if let Some(unknown) = types.iter().find(|t| !known.contains_key(t.as_str())) {
        return Err(RequestError::UnknownEntityType {
            field,
            value: truncate_for_message(unknown),
            known: known.keys().cloned().collect(),
        });
    }
    Ok(TypeFilter::new(types))
}

fn selection(field: &'static str, names: &[String], dictionary: &Dictionary) -> Result<Selection, RequestError> {
    dictionary.select(names).map_err(|mut error| {
        error.name = truncate_for_message(&error.name);
        RequestError::UnknownDictionary { field, error }
    })
}

/// Runs extraction on one document and builds its result.
pub fn document_result(
    dictionary: &Dictionary,
    document: &pb::Document,
    options: &ExtractOptions,
) -> pb::DocumentResult {
    let pb::Document { id, text } = document;
    let mentions = dictionary.extract_with(text, options).into_iter().map(|m| mention(dictionary, text, m)).collect();
    pb::DocumentResult { id: id.clone(), mentions }
}

fn mention(dictionary: &Dictionary, text: &str, m: Mention<'_>) -> pb::Mention {
    let Mention { entity, linking: link, candidates, span, alias, kind } = m;
    let entity = entity.map(|e| dictionary.entity(e));
    // Spans fit u32: documents are limited to max_document_bytes, which
    // config validation keeps below 4 GiB.
    let narrow = |offset: usize| offset as u32;
    pb::Mention {
        entity_id: entity.map(|e| e.id().to_owned()).unwrap_or_default(),
        canonical_name: entity.map(|e| e.name().to_owned()).unwrap_or_default(),
        r#type: entity.map(|e| e.entity_type().to_owned()).unwrap_or_default(),
        text: text[span.start..span.end].to_owned(),
        start: narrow(span.start),
        end: narrow(span.end),
        char_start: narrow(span.char_start),
        char_end: narrow(span.char_end),
        utf16_start: narrow(span.utf16_start),
        utf16_end: narrow(span.utf16_end),
        alias: alias.to_owned(),
        match_kind: match_kind(kind) as i32,
        linking: linking(link) as i32,
        candidates: candidates
            .into_iter()
            .map(|(e, score)| {
                let e = dictionary.entity(e);
                pb::MentionCandidate {
                    entity_id: e.id().to_owned(),
                    canonical_name: e.name().to_owned(),
                    r#type: e.entity_type().to_owned(),
                    score,
                }
            })
            .collect(),
    }
}

pub fn linking(linking: Linking) -> pb::Linking {
    match linking {
        Linking::Unique => pb::Linking::Unique,
        Linking::Document => pb::Linking::Document,
        Linking::Default => pb::Linking::Default,
        Linking::Prior => pb::Linking::Prior,
        Linking::Ambiguous => pb::Linking::Ambiguous,
    }
}

pub fn match_kind(kind: MatchKind) -> pb::MatchKind {
    match kind {
        MatchKind::Exact => pb::MatchKind::Exact,
        MatchKind::Normalized => pb::MatchKind::Normalized,
        MatchKind::ShortForm => pb::MatchKind::ShortForm,
        MatchKind::Variant => pb::MatchKind::Variant,
        MatchKind::Fuzzy => pb::MatchKind::Fuzzy,
    }
}

pub fn entity(dictionary: &Dictionary, entity: Entity<'_>) -> pb::Entity {
    let owned = |pairs: &mut dyn Iterator<Item = (&str, &str)>| {
        pairs.map(|(k, v)| (k.to_owned(), v.to_owned())).collect::<std::collections::HashMap<_, _>>()
    };
    pb::Entity {
        id: entity.id().to_owned(),
        canonical_name: entity.name().to_owned(),
        r#type: entity.entity_type().to_owned(),
        aliases: entity.aliases().map(str::to_owned).collect(),
        description: entity.description().unwrap_or_default().to_owned(),
        parent_id: entity.parent().unwrap_or_default().to_owned(),
        external_ids: owned(&mut entity.external_ids()),
        attributes: owned(&mut entity.attributes()),
        dictionary: dictionary.dictionary_name(entity.dictionary_index()).to_owned(),
        prior: entity.prior().map(f64::from),
    }
}

pub fn resolution(dictionary: &Dictionary, query: String, resolution: Resolution) -> pb::Resolution {
    let Resolution { best, candidates } = resolution;
    let candidate = |c: &Candidate| pb::Candidate {
        entity: Some(entity(dictionary, dictionary.entity(c.entity))),
        match_kind: match_kind(c.kind) as i32,
        score: c.score,
    };
    pb::Resolution {
        query,
        entity: best.map(|b| entity(dictionary, dictionary.entity(b.entity))),
        match_kind: best.map_or(pb::MatchKind::Unspecified, |b| match_kind(b.kind)) as i32,
        score: best.map_or(0.0, |b| b.score),
        candidates: candidates.iter().map(candidate).collect(),
    }
}

pub fn dictionary_info(info: &DictionaryInfo) -> pb::GetDictionaryInfoResponse {
    let DictionaryInfo {
        version,
        entity_count,
        alias_count,
        sources,
        dictionaries,
        loaded_at,
        build_time,
        entities_by_type,
        automaton_bytes: _,
        automaton_kind: _,
    } = info;
    let since_epoch = loaded_at.duration_since(UNIX_EPOCH).unwrap_or_default();
    pb::GetDictionaryInfoResponse {
        version: version.clone(),
        entity_count: *entity_count,
        alias_count: *alias_count,
        sources: sources.iter().map(source).collect(),
        loaded_at: Some(prost_types::Timestamp {
            seconds: since_epoch.as_secs() as i64,
            nanos: since_epoch.subsec_nanos() as i32,
        }),
        build_seconds: build_time.as_secs_f64(),
        entities_by_type: entities_by_type.clone().into_iter().collect(),
        dictionaries: dictionaries.iter().map(summary).collect(),
    }
}

fn source(info: &SourceInfo) -> pb::DictionarySource {
    let SourceInfo {
        name,
        sha256,
        entity_count,
        alias_count,
        dictionary,
        format,
        strict,
        skipped_rows,
        skipped,
        passed_over,
    } = info;
    pb::DictionarySource {
        name: name.clone(),
        sha256: sha256.clone(),
        entity_count: *entity_count,
        alias_count: *alias_count,
        dictionary: dictionary.clone(),
        format: format.clone(),
        strict: *strict,
        skipped_rows: *skipped_rows,
        skipped: skipped
            .iter()
            .map(|(line, message)| pb::SkippedRow { line: *line, message: message.clone() })
            .collect(),
        passed_over: *passed_over,
    }
}

fn summary(summary: &DictionarySummary) -> pb::DictionarySummary {
    let DictionarySummary { name, entity_count, alias_count, strict, skipped_rows } = summary;
    pb::DictionarySummary {
        name: name.clone(),
        entity_count: *entity_count,
        alias_count: *alias_count,
        strict: *strict,
        skipped_rows: *skipped_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, bytes: usize) -> pb::Document {
        pb::Document { id: id.into(), text: "x".repeat(bytes) }
    }

    #[test]
    fn limits_name_the_item() {
        let limits =
            Limits { max_documents: 2, max_document_bytes: 10, max_names: 1, max_name_bytes: 3, ..Limits::default() };
        assert!(check_documents(&[], &limits).is_ok());
        assert_eq!(
            check_documents(&[doc("a", 1), doc("b", 1), doc("c", 1)], &limits),
            Err(RequestError::TooManyDocuments { count: 3, limit: 2 })
        );
        assert_eq!(
            check_documents(&[doc("a", 10), doc("b", 11)], &limits),
            Err(RequestError::DocumentTooLarge { index: 1, id: "b".into(), bytes: 11, limit: 10 })
        );
        assert_eq!(
            check_names(&["ab".into(), "c".into()], &limits),
            Err(RequestError::TooManyNames { count: 2, limit: 1 })
        );
        assert_eq!(
            check_names(&["abcd".into()], &limits),
            Err(RequestError::NameTooLarge { index: 0, bytes: 4, limit: 3 })
        );
    }

    #[test]
    fn hostile_ids_are_cut_on_char_boundaries() {
        let id = "é".repeat(100);
        let cut = truncate_for_message(&id);
        assert!(cut.len() <= 64 + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }
}
