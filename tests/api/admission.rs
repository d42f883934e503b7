//! Admission control: past a budget, a call is refused at once with
//! UNAVAILABLE naming the budget and its flag; health stays SERVING; the
//! refusal is counted; the budget comes back when calls end.

use std::time::Duration;

use entex::proto::entex_v1::{self as pb, entity_extractor_client::EntityExtractorClient};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use crate::helpers::{TestApp, docs, sample, scrape, spawn_app_with};

const EXTRACT: &str = "entex.v1.EntityExtractor/Extract";
const STREAM: &str = "entex.v1.EntityExtractor/ExtractStream";
const NORMALIZE: &str = "entex.v1.EntityExtractor/Normalize";

fn refused(method: &str, budget: &str) -> String {
    format!(r#"entex_admission_refused_total{{budget="{budget}",method="{method}"}}"#)
}

fn message(id: &str, text: &str) -> pb::ExtractStreamRequest {
    pb::ExtractStreamRequest { document: Some(pb::Document { id: id.into(), text: text.into() }), options: None }
}

/// The refusal's `grpc-retry-pushback-ms`: present, and within its bounds.
fn assert_pushback(status: &tonic::Status) {
    let value = status.metadata().get("grpc-retry-pushback-ms").expect("a retry pushback on a refusal");
    let millis: u64 = value.to_str().unwrap().parse().unwrap();
    assert!((25..=30_000).contains(&millis), "pushback of {millis} ms");
}

async fn assert_serving(app: &TestApp) {
    let mut health = app.health().await;
    for service in ["", "entex.v1.EntityExtractor"] {
        let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status();
        assert_eq!(status, ServingStatus::Serving, "{service:?} while shedding");
    }
}

/// Waits (bounded) until a metric reaches `wanted`; the server gives a
/// budget back when it drops a finished call, a moment after the client
/// has read its end.
async fn wait_for_sample(app: &TestApp, series: &str, wanted: impl Fn(f64) -> bool) -> f64 {
    let mut value = f64::NAN;
    for _ in 0..3000 {
        value = sample(&scrape(app).await, series);
        if wanted(value) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{series} stayed at {value}\n{}", scrape(app).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_call_budget_a_call_is_refused_at_once_naming_the_budget() {
    let app = spawn_app_with(
        |s| {
            s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
            s.limits.max_concurrent_calls = 2;
        },
        None,
    )
    .await;
    // Two open streams, each answered once, hold both slots.
    let mut held = Vec::new();
    for i in 0..2 {
        let (tx, rx) = mpsc::channel(4);
        let mut responses = app.client.clone().extract_stream(ReceiverStream::new(rx)).await.unwrap().into_inner();
        tx.send(message(&format!("held-{i}"), "Iran")).await.unwrap();
        assert_eq!(responses.message().await.unwrap().unwrap().result.unwrap().id, format!("held-{i}"));
        held.push((tx, responses));
    }
    let before = scrape(&app).await;
    assert_eq!(sample(&before, "entex_admission_calls_in_flight"), 2.0, "{before}");
    assert_eq!(sample(&before, "entex_admission_calls_limit"), 2.0, "{before}");

    let expected = "the server is at its limit of 2 concurrent calls (--max-concurrent-calls); \
                    retry, preferably on another replica";
    let mut client = app.client.clone();
    let status =
        client.extract(pb::ExtractRequest { documents: docs(&[("a", "Iran")]), options: None }).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::Unavailable, expected));
    assert_pushback(&status);
    let status = client.normalize(pb::NormalizeRequest { names: vec!["Iran".into()], options: None }).await;
    let status = status.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::Unavailable, expected));
    // A stream is refused before its response starts.
    let status = client.extract_stream(tokio_stream::iter(vec![message("s", "Iran")])).await.unwrap_err();
    assert_eq!((status.code(), status.message()), (Code::Unavailable, expected));

    assert_serving(&app).await;
    let after = scrape(&app).await;
    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(delta(&refused(EXTRACT, "calls")), 1.0, "{after}");
    assert_eq!(delta(&refused(NORMALIZE, "calls")), 1.0, "{after}");
    assert_eq!(delta(&refused(STREAM, "calls")), 1.0, "{after}");
    assert_eq!(
        delta(&format!(r#"entex_grpc_requests_total{{code="UNAVAILABLE",method="{EXTRACT}"}}"#)),
        1.0,
        "{after}"
    );

    // Ending the streams gives the slots back.
    drop(held);
    wait_for_sample(&app, "entex_admission_calls_in_flight", |v| v == 0.0).await;
    assert_eq!(app.extract(&[("a", "Iran")]).await.results[0].mentions.len(), 1);
}

/// A stream client that never reads: the server holds its messages until
/// their answers are taken, and stops reading the stream when the byte
/// budget is spent. A unary call that does not fit is then refused before
/// its message is read.
#[tokio::test(flavor = "multi_thread")]
async fn past_the_byte_budget_a_message_is_refused_before_it_is_decoded() {
    const BUDGET: usize = 200_000;
    const SENT: usize = 40;
    let app = spawn_app_with(
        |s| {
            s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
            s.limits.max_request_bytes = 100_000;
            s.limits.max_document_bytes = 100_000;
            s.limits.max_bytes_in_flight = BUDGET;
            s.limits.stream_window = 4;
        },
        None,
    )
    .await;
    // 64 KiB documents with a mention every 28 bytes: answers of ~200 KB
    // (under the 400 KB answer limit, 4 x --max-request-bytes) fill the
    // client's HTTP/2 window after ten or so, so the server's writer stalls.
    let text = "Iran, then some words here. ".repeat(64 * 1024 / 28);
    let requests: Vec<_> = (0..SENT).map(|i| message(&format!("b{i:02}"), &text)).collect();
    let charge = requests[0].encoded_len() + 5;
    let mut responses = app.client.clone().extract_stream(tokio_stream::iter(requests)).await.unwrap().into_inner();

    // Stalled: no document answered for a while, three messages held
    // (three charges fit in the budget, a fourth does not). The fourth waits
    // for room, and the room left is set aside for it: the budget is spent.
    let held = (BUDGET / charge * charge) as f64;
    let mut stable = 0;
    let mut answered = -1.0;
    while stable < 10 {
        wait_for_sample(&app, "entex_admission_bytes_in_flight", |v| v == held).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = sample(&scrape(&app).await, "entex_documents_total");
        stable = if now == answered { stable + 1 } else { 0 };
        answered = now;
    }

    let before = scrape(&app).await;
    let request = pb::ExtractRequest { documents: docs(&[("u", &"Beirut ".repeat(1500))]), options: None };
    let unary_charge = request.encoded_len() + 5;
    assert!(unary_charge > BUDGET - held as usize);
    // On a connection of its own: the stalled stream's unread messages hold
    // its connection's HTTP/2 window.
    let mut other = EntityExtractorClient::new(app.channel().await);
    let status = other.extract(request.clone()).await.unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(
        status.message(),
        format!(
            "a {unary_charge}-byte request message does not fit: {BUDGET} of the server's {BUDGET} bytes in flight \
             are held (--max-bytes-in-flight); retry, preferably on another replica"
        )
    );
    assert_pushback(&status);
    assert_serving(&app).await;
    let after = scrape(&app).await;
    assert_eq!(sample(&after, &refused(EXTRACT, "bytes")) - sample(&before, &refused(EXTRACT, "bytes")), 1.0);
    assert_eq!(sample(&after, "entex_documents_total"), sample(&before, "entex_documents_total"), "nothing matched");

    // Reading resumes the stream: every document answered, in order.
    let mut count = 0;
    while let Some(response) = responses.message().await.unwrap() {
        assert_eq!(response.result.unwrap().id, format!("b{count:02}"));
        count += 1;
    }
    assert_eq!(count, SENT);
    // All bytes come back, and the refused call now fits.
    wait_for_sample(&app, "entex_admission_bytes_in_flight", |v| v == 0.0).await;
    let ok = other.extract(request).await.unwrap().into_inner();
    assert_eq!(ok.results[0].mentions.len(), 1500);
}
