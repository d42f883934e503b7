//! Deadlines and departed clients: a call that is over is not matched.
//! Queued work is dropped and running work stops at the next document;
//! `entex_abandoned_*` counts both.

use std::time::Duration;

use entex::proto::entex_v1 as pb;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use crate::helpers::{TestApp, sample, scrape, spawn_app_with};

fn message(id: &str, text: &str) -> pb::ExtractStreamRequest {
    pb::ExtractStreamRequest { document: Some(pb::Document { id: id.into(), text: text.into() }), options: None }
}

/// About 1 MiB dense with mentions: each document takes a worker a long
/// while (seconds in a debug build, about 0.1 s in a release build), far
/// longer than the deadlines and cancellations below take to arrive.
fn dense_document() -> String {
    "Iran and Iraq. ".repeat((1 << 20) / 15)
}

fn calls_abandoned(text: &str, reason: &str) -> f64 {
    sample(text, &format!(r#"entex_abandoned_calls_total{{reason="{reason}"}}"#))
}

fn documents_abandoned(text: &str, reason: &str) -> f64 {
    sample(text, &format!(r#"entex_abandoned_documents_total{{reason="{reason}"}}"#))
}

/// Waits (bounded) for a condition on the metrics.
async fn wait_for(app: &TestApp, what: &str, ready: impl Fn(&str) -> bool) -> String {
    for _ in 0..3000 {
        let text = scrape(app).await;
        if ready(&text) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never: {what}\n{}", scrape(app).await);
}

fn one_worker(s: &mut entex::config::ServeArgs) {
    s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    s.workers = 1;
}

/// 16 dense documents: over a second and a half of matching on one worker
/// in a release build, far more in a debug build; the deadline, half a
/// second, leaves the call ample time to arrive and start.
#[tokio::test(flavor = "multi_thread")]
async fn a_batch_past_its_deadline_stops_at_the_next_document() {
    const SENT: usize = 16;
    let app = spawn_app_with(
        |s| {
            one_worker(s);
            s.limits.max_request_bytes = 32 << 20;
        },
        None,
    )
    .await;
    let before = scrape(&app).await;
    let text = dense_document();
    let documents = (0..SENT).map(|i| pb::Document { id: format!("d{i}"), text: text.clone() }).collect();
    let mut request = tonic::Request::new(pb::ExtractRequest { documents, options: None });
    request.set_timeout(Duration::from_millis(500));
    let status = app.client.clone().extract(request).await.unwrap_err();
    // The client's own timer ("Timeout expired") or the server's status.
    assert!(matches!(status.code(), Code::Cancelled | Code::DeadlineExceeded), "{status:?}");

    // The single worker drops the batch after its current document; a call
    // queued behind it is answered once it has.
    assert_eq!(app.extract(&[("probe", "Iran")]).await.results[0].mentions.len(), 1);
    let after = wait_for(&app, "the call counted as abandoned", |text| {
        calls_abandoned(text, "deadline") + calls_abandoned(text, "cancelled")
            > calls_abandoned(&before, "deadline") + calls_abandoned(&before, "cancelled")
    })
    .await;
    let delta = |f: fn(&str, &str) -> f64| {
        f(&after, "deadline") + f(&after, "cancelled") - f(&before, "deadline") - f(&before, "cancelled")
    };
    assert_eq!(delta(calls_abandoned), 1.0, "{after}");
    let skipped = delta(documents_abandoned);
    assert!((1.0..=SENT as f64).contains(&skipped), "{skipped} documents skipped\n{after}");
    // Only the probe was answered.
    assert_eq!(sample(&after, "entex_documents_total") - sample(&before, "entex_documents_total"), 1.0);
}

/// tonic's client enforces no deadline on a stream's responses: the server's
/// own ends the stream.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_ends_with_deadline_exceeded_at_its_deadline() {
    let app = spawn_app_with(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap()), None).await;
    let before = scrape(&app).await;
    let (tx, rx) = mpsc::channel(4);
    let mut request = tonic::Request::new(ReceiverStream::new(rx));
    request.set_timeout(Duration::from_millis(300));
    let mut responses = app.client.clone().extract_stream(request).await.unwrap().into_inner();
    tx.send(message("first", "Iran")).await.unwrap();
    assert_eq!(responses.message().await.unwrap().unwrap().result.unwrap().id, "first");
    // Nothing more is sent; the deadline passes.
    let status = responses.message().await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(
        status.message(),
        "the call's deadline (grpc-timeout) passed; it was dropped after 1 documents were matched"
    );
    let after = scrape(&app).await;
    assert_eq!(calls_abandoned(&after, "deadline") - calls_abandoned(&before, "deadline"), 1.0, "{after}");
    drop(tx);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_whose_client_goes_away_drops_its_queued_documents() {
    const SENT: usize = 8;
    let app = spawn_app_with(one_worker, None).await;
    let before = scrape(&app).await;
    let text = dense_document();
    let (tx, rx) = mpsc::channel(SENT);
    let responses = app.client.clone().extract_stream(ReceiverStream::new(rx)).await.unwrap().into_inner();
    let charge = message("c0", &text).encoded_len() + 5;
    for i in 0..SENT {
        tx.send(message(&format!("c{i}"), &text)).await.unwrap();
    }
    // Every message read and queued for the single worker...
    wait_for(&app, "all messages read", |t| sample(t, "entex_admission_bytes_in_flight") >= (SENT * charge) as f64)
        .await;
    // ...when the client goes away.
    drop(responses);
    drop(tx);
    assert_eq!(app.extract(&[("probe", "Iran")]).await.results[0].mentions.len(), 1);
    let after = wait_for(&app, "the stream counted as abandoned", |t| {
        calls_abandoned(t, "cancelled") > calls_abandoned(&before, "cancelled")
    })
    .await;
    assert_eq!(calls_abandoned(&after, "cancelled") - calls_abandoned(&before, "cancelled"), 1.0, "{after}");
    let skipped = documents_abandoned(&after, "cancelled") - documents_abandoned(&before, "cancelled");
    assert!(skipped >= 1.0, "no queued document was dropped\n{after}");
    let answered = sample(&after, "entex_documents_total") - sample(&before, "entex_documents_total") - 1.0;
    assert!(answered + skipped <= SENT as f64, "{answered} answered, {skipped} skipped of {SENT}");
}
