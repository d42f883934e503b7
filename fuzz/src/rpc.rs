//! Target `rpc`: each RPC's request, decoded from arbitrary bytes (prost,
//! as the service's codec does) and pushed through the service's real
//! conversions and the domain calls behind them (`service::convert`:
//! limits, options, matching, resolution, result building), without a
//! network, against the embedded default dictionary plus a small second
//! dictionary (`places`) whose aliases are shared, so that selection and
//! ambiguous linking are reached too.
//!
//! Byte 0 picks the RPC ([`RPCS`]); the rest is the request message.
//!
//! What it checks:
//!
//! - nothing panics, whatever the bytes;
//! - Extract and ExtractStream: one result per document, with its id; each
//!   mention's `text` is the document's text at its span, and the span
//!   keeps the offset invariant ([`crate::check_spans`]); a linked mention
//!   names an entity of the dictionary with its name and type; an
//!   unlinked one is ambiguous, has candidates, and is absent when the
//!   request drops ambiguous mentions; the type filter holds for entities
//!   and candidates; candidate scores are in [0, 1], best first; the
//!   response survives an encode/decode round trip;
//! - Normalize: every resolution's score and candidates' scores are within
//!   [min_score, 1], best first, at most `MAX_CANDIDATES`, of the types
//!   asked for; the response round-trips;
//! - GetDictionaryInfo and ReloadDictionary: decoding and (for the first)
//!   the response conversion do not panic.

use std::{collections::HashMap, sync::LazyLock};

use entex::{
    config::Limits,
    dictionary::{Dictionary, EntityIndex, SourceText, build, embedded_default},
    proto::entex_v1 as pb,
    resolve::MAX_CANDIDATES,
    service::convert,
    text::Span,
};
use prost::Message;

use crate::{check_spans, check_spans_overlapping};

/// The RPC byte 0 selects (modulo their count).
pub const RPCS: &[&str] = &["Extract", "ExtractStream", "Normalize", "GetDictionaryInfo", "ReloadDictionary"];

/// A second dictionary whose aliases several entities share (ambiguous
/// mentions, priors, defaults) and one that extends the default's entities.
pub const PLACES: &str = "alias\tid\ttype\tprior\n\
Springfield\tloc:springfield-il\tLOC\t114394\n\
Springfield\tloc:springfield-ma\tLOC\t155929\n\
Springfield\tloc:springfield-mo\tLOC\t169176\n\
Portland\tloc:portland-or\tLOC\t652503\n\
Portland\tloc:portland-me\tLOC\t68408\n\
Georgia\tloc:georgia-country\tLOC\t\n\
Georgia\tloc:georgia-state\tLOC\t\n\
Basra Gate\tloc:basra-gate\tFAC\t\n";

struct Fixture {
    dictionary: Dictionary,
    by_id: HashMap<String, EntityIndex>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let mut sources = embedded_default();
    sources.push(SourceText::new("places.tsv", PLACES));
    // Built on a pool of its own, dropped afterwards: AFL++ forks this
    // process after `init`, and a child must not inherit a global pool
    // whose threads were left behind in the parent.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread pool");
    let dictionary = pool.install(|| build(&sources)).expect("the embedded dictionary and places.tsv build");
    let by_id = dictionary.entities().map(|e| (e.id().to_string(), e.index())).collect();
    Fixture { dictionary, by_id }
});

/// Builds the dictionaries before AFL++'s fork server starts.
pub fn init() {
    LazyLock::force(&FIXTURE);
}

pub fn run(data: &[u8]) {
    let (rpc, message) = data.split_first().map_or((0, &[][..]), |(&r, m)| (r, m));
    let fixture = &*FIXTURE;
    let limits = Limits::default();
    match RPCS[usize::from(rpc) % RPCS.len()] {
        "Extract" => {
            let Ok(pb::ExtractRequest { documents, options }) = pb::ExtractRequest::decode(message) else { return };
            extract(fixture, &limits, documents, options);
        }
        "ExtractStream" => {
            let Ok(pb::ExtractStreamRequest { document, options }) = pb::ExtractStreamRequest::decode(message) else {
                return;
            };
            // The handler refuses a message without a document.
            let Some(document) = document else { return };
            extract(fixture, &limits, vec![document], options);
        }
        "Normalize" => {
            let Ok(pb::NormalizeRequest { names, options }) = pb::NormalizeRequest::decode(message) else { return };
            normalize(fixture, &limits, names, options);
        }
        "GetDictionaryInfo" => {
            let Ok(pb::GetDictionaryInfoRequest {}) = pb::GetDictionaryInfoRequest::decode(message) else { return };
            let response = convert::dictionary_info(fixture.dictionary.info());
            round_trip(&response);
        }
        _ => {
            let _ = pb::ReloadDictionaryRequest::decode(message);
        }
    }
}

fn round_trip<M: Message + Default + PartialEq + std::fmt::Debug>(message: &M) {
    let bytes = message.encode_to_vec();
    let back = M::decode(bytes.as_slice()).expect("an encoded response decodes");
    assert_eq!(&back, message, "the response does not survive encoding");
}

fn extract(fixture: &Fixture, limits: &Limits, documents: Vec<pb::Document>, options: Option<pb::ExtractOptions>) {
    if convert::check_documents(&documents, limits).is_err() {
        return;
    }
    let wanted = options.clone().unwrap_or_default();
    let dictionary = &fixture.dictionary;
    let Ok(domain) = convert::extract_options(options, dictionary) else { return };
    let results: Vec<pb::DocumentResult> =
        documents.iter().map(|d| convert::document_result(dictionary, d, &domain)).collect();
    assert_eq!(results.len(), documents.len(), "one result per document");
    let type_ok = |t: &str| wanted.entity_types.is_empty() || wanted.entity_types.iter().any(|w| w == t);
    for (document, result) in documents.iter().zip(&results) {
        let text = document.text.as_str();
        assert_eq!(result.id, document.id, "result id");
        let spans = result.mentions.iter().map(|m| {
            let narrow = |x: u32| x as usize;
            Span {
                start: narrow(m.start),
                end: narrow(m.end),
                char_start: narrow(m.char_start),
                char_end: narrow(m.char_end),
                utf16_start: narrow(m.utf16_start),
                utf16_end: narrow(m.utf16_end),
            }
        });
        if wanted.overlaps == pb::OverlapPolicy::All as i32 {
            check_spans_overlapping(text, spans);
        } else {
            check_spans(text, spans);
        }
        for m in &result.mentions {
            assert_eq!(m.text, text[m.start as usize..m.end as usize], "mention text in {text:?}");
            if m.entity_id.is_empty() {
                assert_eq!(m.linking, pb::Linking::Ambiguous as i32, "unlinked, not ambiguous: {m:?}");
                assert!(!wanted.drop_ambiguous, "an ambiguous mention although dropped: {m:?}");
                assert!(!m.candidates.is_empty(), "an ambiguous mention without candidates: {m:?}");
            } else {
                let entity = fixture
                    .by_id
                    .get(&m.entity_id)
                    .map(|&i| dictionary.entity(i))
                    .unwrap_or_else(|| panic!("mention of unknown entity {m:?}"));
                assert_eq!((m.canonical_name.as_str(), m.r#type.as_str()), (entity.name(), entity.entity_type()));
                assert!(type_ok(&m.r#type), "mention of type {} despite the filter {wanted:?}", m.r#type);
            }
            for c in &m.candidates {
                assert!((0.0..=1.0).contains(&c.score), "candidate score {c:?}");
                assert!(type_ok(&c.r#type), "candidate of type {} despite the filter {wanted:?}", c.r#type);
                assert!(fixture.by_id.contains_key(&c.entity_id), "candidate of unknown entity {c:?}");
            }
            assert!(m.candidates.windows(2).all(|w| w[0].score >= w[1].score), "candidates not best first: {m:?}");
        }
    }
    round_trip(&pb::ExtractResponse { results, dictionary_version: dictionary.info().version.clone() });
}

fn normalize(fixture: &Fixture, limits: &Limits, names: Vec<String>, options: Option<pb::NormalizeOptions>) {
    if convert::check_names(&names, limits).is_err() {
        return;
    }
    let wanted = options.clone().unwrap_or_default();
    let dictionary = &fixture.dictionary;
    let Ok(domain) = convert::resolve_options(options, dictionary) else { return };
    let type_ok = |t: &str| wanted.entity_types.is_empty() || wanted.entity_types.iter().any(|w| w == t);
    let resolutions: Vec<pb::Resolution> = names
        .into_iter()
        .map(|name| {
            let resolution = dictionary.resolve(&name, &domain);
            convert::resolution(dictionary, name, resolution)
        })
        .collect();
    for r in &resolutions {
        if let Some(entity) = &r.entity {
            assert!(
                r.score >= wanted.min_score && r.score <= 1.0,
                "score {} below {}: {r:?}",
                r.score,
                wanted.min_score
            );
            assert!(type_ok(&entity.r#type), "resolved to type {} despite the filter: {r:?}", entity.r#type);
        }
        assert!(r.candidates.len() <= MAX_CANDIDATES, "{} candidates", r.candidates.len());
        for c in &r.candidates {
            assert!(c.score >= wanted.min_score && c.score <= 1.0, "candidate score below {}: {r:?}", wanted.min_score);
            let t = c.entity.as_ref().map(|e| e.r#type.as_str()).unwrap_or_default();
            assert!(type_ok(t), "candidate of type {t} despite the filter: {r:?}");
        }
        assert!(r.candidates.windows(2).all(|w| w[0].score >= w[1].score), "candidates not best first: {r:?}");
    }
    round_trip(&pb::NormalizeResponse { resolutions, dictionary_version: dictionary.info().version.clone() });
}
