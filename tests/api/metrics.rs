//! Prometheus metrics: scraped over HTTP after real traffic, the counters
//! move by exactly what was sent.

use entex::proto::entex_v1 as pb;
use tonic::Code;

use crate::helpers::{docs, sample, scrape, spawn_app_with};

const EXTRACT_OK: &str = r#"entex_grpc_requests_total{code="OK",method="entex.v1.EntityExtractor/Extract"}"#;
const EXTRACT_INVALID: &str =
    r#"entex_grpc_requests_total{code="INVALID_ARGUMENT",method="entex.v1.EntityExtractor/Extract"}"#;
const EXTRACT_TOO_BIG: &str =
    r#"entex_grpc_requests_total{code="RESOURCE_EXHAUSTED",method="entex.v1.EntityExtractor/Extract"}"#;
const NORMALIZE_OK: &str = r#"entex_grpc_requests_total{code="OK",method="entex.v1.EntityExtractor/Normalize"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn counters_move_by_exactly_what_was_sent() {
    let app = spawn_app_with(
        |s| {
            s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
            s.limits.max_documents = 3;
            s.limits.max_request_bytes = 4096;
            s.limits.max_document_bytes = 2048;
        },
        None,
    )
    .await;
    let before = scrape(&app).await;
    let mut client = app.client.clone();

    let mut sent_docs = 0;
    let mut sent_bytes = 0;
    let mut mentions = 0;
    for text in ["Hezbollah in Beirut", "Kataib Hezbollah and the IRGC", "nothing here at all"] {
        let documents = docs(&[("a", text), ("b", "Iran")]);
        sent_docs += documents.len();
        sent_bytes += documents.iter().map(|d| d.text.len()).sum::<usize>();
        let response = client.extract(pb::ExtractRequest { documents, options: None }).await.unwrap().into_inner();
        mentions += response.results.iter().map(|r| r.mentions.len()).sum::<usize>();
    }
    let refused = client.extract(pb::ExtractRequest { documents: docs(&[("a", "x"); 4]), options: None }).await;
    assert_eq!(refused.unwrap_err().code(), Code::InvalidArgument);
    let too_big =
        client.extract(pb::ExtractRequest { documents: docs(&[("a", &"x".repeat(5000))]), options: None }).await;
    assert_eq!(too_big.unwrap_err().code(), Code::ResourceExhausted);
    for names in [vec!["Qods Force".to_string(), "Reuters".to_string()], vec!["Badr Corps".to_string()]] {
        client.normalize(pb::NormalizeRequest { names, options: None }).await.unwrap();
    }

    let after = scrape(&app).await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(delta(EXTRACT_OK), 3.0, "{after}");
    assert_eq!(delta(EXTRACT_INVALID), 1.0, "{after}");
    assert_eq!(delta(EXTRACT_TOO_BIG), 1.0, "{after}");
    assert_eq!(delta(NORMALIZE_OK), 2.0, "{after}");
    assert_eq!(delta("entex_documents_total"), sent_docs as f64);
    assert_eq!(delta("entex_document_bytes_total"), sent_bytes as f64);
    assert_eq!(delta("entex_mentions_total"), mentions as f64);
    assert_eq!(delta("entex_names_total"), 3.0);
    assert_eq!(delta(r#"entex_grpc_request_duration_seconds_count{method="entex.v1.EntityExtractor/Extract"}"#), 5.0);
    assert_eq!(sample(&after, r#"entex_grpc_requests_in_flight{method="entex.v1.EntityExtractor/Extract"}"#), 0.0);

    // The dictionary is described, with its version as a label.
    let info = client.get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
    assert_eq!(sample(&after, &format!(r#"entex_dictionary_info{{version="{}"}}"#, info.version)), 1.0);
    assert_eq!(sample(&after, "entex_dictionary_entities"), info.entity_count as f64);
    assert_eq!(sample(&after, "entex_dictionary_aliases"), info.alias_count as f64);
    assert!(sample(&after, "entex_dictionary_build_seconds") > 0.0);
}
