//! Graceful shutdown: health turns NOT_SERVING, in-flight work finishes, the
//! server returns cleanly.

use std::time::Duration;

use entex::proto::entex_v1 as pb;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use crate::helpers::spawn_app_with;

fn message(id: &str, text: &str) -> pb::ExtractStreamRequest {
    pb::ExtractStreamRequest { document: Some(pb::Document { id: id.into(), text: text.into() }), options: None }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_flight_stream_drains_and_health_turns_not_serving() {
    let mut app = spawn_app_with(|s| s.drain_delay = 1.0, None).await;
    let mut health = app.health().await;

    // A stream that is demonstrably in flight: one answer received.
    let (tx, rx) = mpsc::channel(8);
    let mut responses = app.client.clone().extract_stream(ReceiverStream::new(rx)).await.unwrap().into_inner();
    tx.send(message("before", "Iran")).await.unwrap();
    assert_eq!(responses.message().await.unwrap().unwrap().result.unwrap().id, "before");

    app.signal_shutdown();
    // During the drain delay, health says NOT_SERVING.
    let mut status = ServingStatus::Serving;
    for _ in 0..50 {
        status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status();
        if status == ServingStatus::NotServing {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, ServingStatus::NotServing);

    // The in-flight stream keeps working through the drain, to its end.
    for i in 0..3 {
        tx.send(message(&format!("during-{i}"), "Iraq and Syria")).await.unwrap();
        let result = responses.message().await.unwrap().unwrap().result.unwrap();
        assert_eq!(result.id, format!("during-{i}"));
        assert_eq!(result.mentions.len(), 2);
    }
    drop(tx);
    assert!(responses.message().await.unwrap().is_none(), "stream ends cleanly");

    // The server then stops by itself, without error.
    let server = app.server.take().unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(20), server).await.expect("server stops").unwrap();
    assert!(outcome.is_ok(), "{outcome:?}");
    // And accepts no new connections.
    let refused = tonic::transport::Channel::from_shared(app.endpoint()).unwrap().connect().await;
    assert!(refused.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_server_stops_promptly() {
    let mut app = spawn_app_with(|_| {}, None).await;
    app.signal_shutdown();
    let outcome =
        tokio::time::timeout(Duration::from_secs(10), app.server.take().unwrap()).await.expect("stops").unwrap();
    assert!(outcome.is_ok());
}
