//! ExtractStream: order, per-document errors, and backpressure.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use entex::proto::entex_v1 as pb;
use tonic::Code;

use crate::helpers::{spawn_app, spawn_app_with};

fn message(id: String, text: String) -> pb::ExtractStreamRequest {
    pb::ExtractStreamRequest { document: Some(pb::Document { id, text }), options: None }
}

#[tokio::test(flavor = "multi_thread")]
async fn results_come_back_in_order() {
    let app = spawn_app().await;
    let requests: Vec<_> =
        (0..500).map(|i| message(format!("s{i}"), format!("In {i} days Hezbollah and Iran {i}"))).collect();
    let mut responses = app.client.clone().extract_stream(tokio_stream::iter(requests)).await.unwrap().into_inner();
    let mut count = 0;
    while let Some(response) = responses.message().await.unwrap() {
        let result = response.result.unwrap();
        assert_eq!(result.id, format!("s{count}"));
        assert_eq!(result.mentions.len(), 2);
        assert!(!response.dictionary_version.is_empty());
        count += 1;
    }
    assert_eq!(count, 500);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_document_ends_the_stream_after_the_good_ones() {
    let app = spawn_app_with(|s| s.limits.max_document_bytes = 100, None).await;
    let requests = vec![
        message("ok0".into(), "Iran".into()),
        message("ok1".into(), "Iraq".into()),
        message("big".into(), "x".repeat(101)),
        message("never".into(), "Syria".into()),
    ];
    let mut responses = app.client.clone().extract_stream(tokio_stream::iter(requests)).await.unwrap().into_inner();
    assert_eq!(responses.message().await.unwrap().unwrap().result.unwrap().id, "ok0");
    assert_eq!(responses.message().await.unwrap().unwrap().result.unwrap().id, "ok1");
    let status = responses.message().await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "document 2 (id \"big\") is 101 bytes; the limit is 100 bytes per document");
}

/// Options come with every stream message, so an invalid one is refused
/// with the index of its message, the field, the value and what is
/// allowed; the messages before it are answered.
#[tokio::test(flavor = "multi_thread")]
async fn invalid_options_name_their_stream_message() {
    let app = spawn_app().await;
    // (bad options, expected message start, fragment naming what is allowed)
    let rows: [(pb::ExtractOptions, &str, &str); 3] = [
        (
            pb::ExtractOptions { entity_types: vec!["ORG".into(), "FOO".into()], ..Default::default() },
            "stream message 2: options.entity_types: entity type \"FOO\" is not in the loaded dictionary; its types are ",
            "ORG",
        ),
        (
            pb::ExtractOptions { overlaps: 9, ..Default::default() },
            "stream message 2: options.overlaps is 9, which this server does not know; ",
            "OVERLAP_POLICY_ALL (2)",
        ),
        (
            pb::ExtractOptions { dictionaries: vec!["nope".into()], ..Default::default() },
            "stream message 2: options.dictionaries: ",
            "nope",
        ),
    ];
    for (options, start, allowed) in rows {
        let good = pb::ExtractOptions { entity_types: vec!["ORG".into()], ..Default::default() };
        let mut requests: Vec<_> = (0..4).map(|i| message(format!("d{i}"), "Hezbollah and Iran".into())).collect();
        requests[0].options = Some(good.clone());
        requests[1].options = Some(good);
        requests[2].options = Some(options);
        let mut responses = app.client.clone().extract_stream(tokio_stream::iter(requests)).await.unwrap().into_inner();
        for id in ["d0", "d1"] {
            let result = responses.message().await.unwrap().unwrap().result.unwrap();
            assert_eq!((result.id.as_str(), result.mentions.len()), (id, 1), "{start}");
        }
        let status = responses.message().await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().starts_with(start), "{:?} does not start with {start:?}", status.message());
        assert!(status.message().contains(allowed), "{:?} does not name {allowed:?}", status.message());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_without_a_document_is_refused() {
    let app = spawn_app().await;
    let requests = vec![pb::ExtractStreamRequest { document: None, options: None }];
    let mut responses = app.client.clone().extract_stream(tokio_stream::iter(requests)).await.unwrap().into_inner();
    let status = responses.message().await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "stream message 0 has no document");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_message_is_resource_exhausted() {
    let app = spawn_app_with(
        |s| {
            s.limits.max_request_bytes = 2000;
            s.limits.max_document_bytes = 1000;
        },
        None,
    )
    .await;
    let requests = vec![message("a".into(), "Iran".into()), message("b".into(), "y".repeat(3000))];
    let mut responses = app.client.clone().extract_stream(tokio_stream::iter(requests)).await.unwrap().into_inner();
    assert_eq!(responses.message().await.unwrap().unwrap().result.unwrap().id, "a");
    let status = responses.message().await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("the limit is 2000 bytes per message"), "{}", status.message());
}

/// A client that sends fast and does not read: the server must stop pulling
/// documents once its window, the worker jobs and the transport buffers are
/// full, instead of reading the whole stream into memory.
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_reader_holds_the_server_back() {
    const SENT: usize = 400;
    let app = spawn_app_with(|s| s.limits.stream_window = 4, None).await;
    // 64 KiB documents full of mentions: each response is large, so HTTP/2
    // flow control fills after a few unread responses.
    let text = "Iran and Iraq. ".repeat(64 * 1024 / 15);
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let requests = tokio_stream::StreamExt::map(tokio_stream::iter(0..SENT), move |i| {
        counter.fetch_add(1, Ordering::SeqCst);
        message(format!("b{i}"), text.clone())
    });
    let mut responses = app.client.clone().extract_stream(requests).await.unwrap().into_inner();

    // Wait until the number pulled stops changing (the pipeline is full).
    let mut last = usize::MAX;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = pulled.load(Ordering::SeqCst);
        if now == last {
            break;
        }
        last = now;
    }
    let stalled_at = pulled.load(Ordering::SeqCst);
    assert!(stalled_at < SENT / 2, "the server pulled {stalled_at} of {SENT} documents without the client reading");

    // Reading resumes the stream, and nothing is lost or reordered.
    let mut count = 0;
    while let Some(response) = responses.message().await.unwrap() {
        assert_eq!(response.result.unwrap().id, format!("b{count}"));
        count += 1;
    }
    assert_eq!(count, SENT);
}
