//! OpenTelemetry export: the real binary exports its request span over
//! OTLP/gRPC to a collector (a real OTLP trace service, in the test), as a
//! child of the caller's W3C `traceparent`.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use entex::proto::entex_v1::{self as pb, entity_extractor_client::EntityExtractorClient};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
    trace_service_server::{TraceService, TraceServiceServer},
};
use tokio_stream::wrappers::TcpListenerStream;

#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.received.lock().unwrap().push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn request_spans_join_the_callers_trace() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = listener.local_addr().unwrap();
    let service = TraceServiceServer::new(collector.clone());
    tokio::spawn(
        tonic::transport::Server::builder().add_service(service).serve_with_incoming(TcpListenerStream::new(listener)),
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_entex"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--otlp-endpoint", &format!("http://{collector_addr}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let addr = crate::helpers::serving_addr(&mut stderr);
    std::thread::spawn(move || for _ in stderr.lines() {});

    let mut client = EntityExtractorClient::connect(format!("http://{addr}")).await.unwrap();
    let mut request = tonic::Request::new(pb::ExtractRequest {
        documents: vec![pb::Document { id: "t".into(), text: "Kataib Hezbollah in Iraq".into() }],
        options: None,
    });
    let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01");
    request.metadata_mut().insert("traceparent", traceparent.parse().unwrap());
    assert_eq!(client.extract(request).await.unwrap().into_inner().results[0].mentions.len(), 2);

    // SIGTERM: the server drains and flushes its spans before exiting.
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert_eq!(status.code(), Some(0));
    let mut found = None;
    for _ in 0..100 {
        let received = collector.received.lock().unwrap().clone();
        found = received
            .iter()
            .flat_map(|r| &r.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .find(|s| s.name == "extract")
            .cloned();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let span = found.expect("the collector received the extract span");
    assert_eq!(hex(&span.trace_id), TRACE_ID, "the span joins the caller's trace");
    assert_eq!(hex(&span.parent_span_id), PARENT_SPAN_ID, "its parent is the caller's span");
    let attribute = |key: &str| span.attributes.iter().find(|a| a.key == key).map(|a| format!("{:?}", a.value));
    assert!(attribute("documents").is_some_and(|v| v.contains('1')), "{:?}", span.attributes);
    assert!(attribute("mentions").is_some_and(|v| v.contains('2')), "{:?}", span.attributes);
}
