//! Proto <-> domain: request validation against the limits, and domain
//! results to proto messages. Requests are destructured field by field so
//! that a field added to the proto cannot be silently ignored here.

use std::time::UNIX_EPOCH;

use crate::{
    config::Limits,
    dictionary::{Dictionary, DictionaryInfo, Entity},
    matcher::{MatchKind, Mention},
    proto::entex_v1 as pb,
    resolve::{Candidate, Resolution, ResolveOptions, TypeFilter},
    service::status::RequestError,
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

/// The type filter an ExtractOptions asks for.
pub fn extract_filter(options: Option<pb::ExtractOptions>) -> TypeFilter {
    let pb::ExtractOptions { entity_types } = options.unwrap_or_default();
    TypeFilter::new(entity_types)
}

pub fn resolve_options(options: Option<pb::NormalizeOptions>) -> ResolveOptions {
    let pb::NormalizeOptions { entity_types, min_score } = options.unwrap_or_default();
    ResolveOptions {
        types: TypeFilter::new(entity_types),
        min_score: if min_score.is_finite() { min_score } else { 0.0 },
    }
}

/// Runs extraction on one document and builds its result.
pub fn document_result(dictionary: &Dictionary, document: &pb::Document, filter: &TypeFilter) -> pb::DocumentResult {
    let pb::Document { id, text } = document;
    let mentions = dictionary
        .extract(text)
        .into_iter()
        .filter(|m| filter.allows(dictionary.entity(m.entity).entity_type.as_str()))
        .map(|m| mention(dictionary, text, m))
        .collect();
    pb::DocumentResult { id: id.clone(), mentions }
}

fn mention(dictionary: &Dictionary, text: &str, m: Mention<'_>) -> pb::Mention {
    let entity = dictionary.entity(m.entity);
    let span = m.span;
    // Spans fit u32: documents are limited to max_document_bytes, which
    // config validation keeps below 4 GiB.
    let narrow = |offset: usize| offset as u32;
    pb::Mention {
        entity_id: entity.id.to_string(),
        canonical_name: entity.name.clone(),
        r#type: entity.entity_type.as_str().to_owned(),
        text: text[span.start..span.end].to_owned(),
        start: narrow(span.start),
        end: narrow(span.end),
        char_start: narrow(span.char_start),
        char_end: narrow(span.char_end),
        utf16_start: narrow(span.utf16_start),
        utf16_end: narrow(span.utf16_end),
        alias: m.alias.to_owned(),
        match_kind: match_kind(m.kind) as i32,
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

pub fn entity(entity: &Entity) -> pb::Entity {
    let Entity { id, entity_type, name, description, parent, external_ids, aliases } = entity;
    pb::Entity {
        id: id.to_string(),
        canonical_name: name.clone(),
        r#type: entity_type.as_str().to_owned(),
        aliases: aliases.clone(),
        description: description.clone().unwrap_or_default(),
        parent_id: parent.as_ref().map(ToString::to_string).unwrap_or_default(),
        external_ids: external_ids.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    }
}

pub fn resolution(dictionary: &Dictionary, query: String, resolution: Resolution) -> pb::Resolution {
    let Resolution { best, candidates } = resolution;
    let candidate = |c: &Candidate| pb::Candidate {
        entity: Some(entity(dictionary.entity(c.entity))),
        match_kind: match_kind(c.kind) as i32,
        score: c.score,
    };
    pb::Resolution {
        query,
        entity: best.map(|b| entity(dictionary.entity(b.entity))),
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
        sources: sources
            .iter()
            .map(|s| pb::DictionarySource {
                name: s.name.clone(),
                sha256: s.sha256.clone(),
                entity_count: s.entity_count,
                alias_count: s.alias_count,
            })
            .collect(),
        loaded_at: Some(prost_types::Timestamp {
            seconds: since_epoch.as_secs() as i64,
            nanos: since_epoch.subsec_nanos() as i32,
        }),
        build_seconds: build_time.as_secs_f64(),
        entities_by_type: entities_by_type.clone().into_iter().collect(),
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
