//! One log event per request, with sizes and latency, never the text.

use crate::helpers::{captured_logs, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_logged_without_their_text() {
    let app = spawn_app().await;
    let marker = "Zqxjv-secret-source-text";
    let text = format!("{marker} says Hezbollah met in Beirut");
    let response = app.extract(&[("log-doc-id", &text)]).await;
    assert_eq!(response.results[0].mentions.len(), 2);
    let names = entex::proto::entex_v1::NormalizeRequest { names: vec![format!("{marker} name")], options: None };
    app.client.clone().normalize(names).await.unwrap();

    let logs = captured_logs();
    assert!(!logs.contains(marker), "document or name text leaked into the logs");
    // The extract event carries its measurements (JSON, one event a line).
    let event = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["message"] == "served" && e["span"]["name"] == "extract" && e["span"]["bytes"] == text.len())
        .unwrap_or_else(|| panic!("no extract event for this request in:\n{logs}"));
    assert_eq!(event["span"]["documents"], 1);
    assert_eq!(event["span"]["mentions"], 2);
    assert!(event["latency_ms"].as_f64().is_some());
}
