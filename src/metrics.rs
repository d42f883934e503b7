//! Prometheus metrics: one registry per server (so two servers in one
//! process, as in tests, never mix counts), served as text on a separate
//! HTTP port (`--metrics-listen`).
//!
//! # What is measured
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `entex_grpc_requests_total` | counter | `method`, `code` | finished RPCs by gRPC status code |
//! | `entex_grpc_request_duration_seconds` | histogram | `method` | time to the RPC's last byte |
//! | `entex_grpc_requests_in_flight` | gauge | `method` | RPCs started and not finished |
//! | `entex_documents_total` | counter | | documents extracted (Extract and ExtractStream) |
//! | `entex_document_bytes_total` | counter | | bytes of those documents |
//! | `entex_mentions_total` | counter | | mentions returned |
//! | `entex_names_total` | counter | | names resolved by Normalize |
//! | `entex_dictionary_info` | gauge (1) | `version` | the dictionary being served |
//! | `entex_dictionary_entities` / `_aliases` | gauge | | its size |
//! | `entex_dictionary_build_seconds` | gauge | | its build time |
//! | `entex_dictionary_reloads_total` | counter | `result` (`success`, `failure`) | reload attempts |
//! | `entex_dictionary_last_reload_timestamp_seconds` | gauge | | when the last load (at start) or reload attempt ended |
//! | `entex_dictionary_last_reload_success` | gauge | | 1 if it succeeded, 0 if not (1 after the initial load) |
//! | `entex_admission_refused_total` | counter | `method`, `budget` (`calls`, `bytes`) | calls refused with `UNAVAILABLE` because a budget was spent ([`crate::admission`]) |
//! | `entex_admission_calls_in_flight` / `_calls_limit` | gauge | | admitted calls now, and `--max-concurrent-calls` |
//! | `entex_admission_bytes_in_flight` / `_bytes_limit` | gauge | | request bytes held by admitted calls now, and `--max-bytes-in-flight` |
//! | `entex_abandoned_calls_total` | counter | `reason` (`deadline`, `cancelled`) | calls dropped unanswered because their deadline passed or their client went away |
//! | `entex_abandoned_documents_total` | counter | `reason` | documents of those calls left unmatched |
//! | `entex_memory_trims_total` | counter | | times freed memory was returned to the system after a burst |
//!
//! RPC metrics are taken by [`GrpcMetricsLayer`] around the whole server, so
//! requests refused before any handler (oversized, malformed) are counted
//! with their real status code.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Instant, SystemTime, UNIX_EPOCH},
};

use http_body::{Body, Frame};
use pin_project_lite::pin_project;
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};
use tonic::Code;
use tower::{Layer, Service};

use crate::dictionary::DictionaryInfo;

/// Latency buckets, seconds: from a 100 µs single-name Normalize to a
/// multi-second 16 MiB batch.
const LATENCY_BUCKETS: &[f64] =
    &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Every metric of one server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    in_flight: IntGaugeVec,
    pub documents: IntCounter,
    pub document_bytes: IntCounter,
    pub mentions: IntCounter,
    pub names: IntCounter,
    dictionary_info: IntGaugeVec,
    dictionary_entities: IntGauge,
    dictionary_aliases: IntGauge,
    dictionary_build_seconds: Gauge,
    reloads: IntCounterVec,
    last_reload_timestamp: Gauge,
    last_reload_success: IntGauge,
    pub admission_refused: IntCounterVec,
    pub admission_calls: IntGauge,
    pub admission_calls_limit: IntGauge,
    pub admission_bytes: IntGauge,
    pub admission_bytes_limit: IntGauge,
    abandoned_calls: IntCounterVec,
    abandoned_documents: IntCounterVec,
    pub memory_trims: IntCounter,
}

/// Why a call's matching was dropped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abandoned {
    /// Its deadline (`grpc-timeout`) passed.
    Deadline,
    /// Its client went away (cancelled, disconnected), or the server gave up
    /// waiting for it (tonic's own deadline).
    Cancelled,
}

impl Abandoned {
    pub fn label(self) -> &'static str {
        match self {
            Abandoned::Deadline => "deadline",
            Abandoned::Cancelled => "cancelled",
        }
    }
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("entex_grpc_requests_total", "Finished gRPC requests by method and status code."),
            &["method", "code"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("entex_grpc_request_duration_seconds", "gRPC request latency to the last byte.")
                .buckets(LATENCY_BUCKETS.to_vec()),
            &["method"],
        )
        .expect("valid metric");
        let in_flight = IntGaugeVec::new(
            Opts::new("entex_grpc_requests_in_flight", "gRPC requests started and not yet finished."),
            &["method"],
        )
        .expect("valid metric");
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("valid metric");
        let documents = counter("entex_documents_total", "Documents extracted.");
        let document_bytes = counter("entex_document_bytes_total", "Bytes of documents extracted.");
        let mentions = counter("entex_mentions_total", "Mentions returned.");
        let names = counter("entex_names_total", "Names resolved by Normalize.");
        let dictionary_info = IntGaugeVec::new(
            Opts::new("entex_dictionary_info", "The dictionary being served (value 1), by version."),
            &["version"],
        )
        .expect("valid metric");
        let dictionary_entities =
            IntGauge::new("entex_dictionary_entities", "Entities in the served dictionary.").expect("valid metric");
        let dictionary_aliases =
            IntGauge::new("entex_dictionary_aliases", "Aliases in the served dictionary.").expect("valid metric");
        let dictionary_build_seconds =
            Gauge::new("entex_dictionary_build_seconds", "Build time of the served dictionary.").expect("valid metric");
        let reloads = IntCounterVec::new(
            Opts::new("entex_dictionary_reloads_total", "Dictionary reload attempts by result."),
            &["result"],
        )
        .expect("valid metric");
        let last_reload_timestamp =
            Gauge::new("entex_dictionary_last_reload_timestamp_seconds", "Unix time the last reload attempt ended.")
                .expect("valid metric");
        let last_reload_success =
            IntGauge::new("entex_dictionary_last_reload_success", "1 if the last reload attempt succeeded.")
                .expect("valid metric");
        let admission_refused = IntCounterVec::new(
            Opts::new(
                "entex_admission_refused_total",
                "Calls refused with UNAVAILABLE because a budget (calls or bytes in flight) was spent.",
            ),
            &["method", "budget"],
        )
        .expect("valid metric");
        let gauge = |name: &str, help: &str| IntGauge::new(name, help).expect("valid metric");
        let admission_calls = gauge("entex_admission_calls_in_flight", "Admitted calls not yet finished.");
        let admission_calls_limit =
            gauge("entex_admission_calls_limit", "Most calls admitted at once (--max-concurrent-calls).");
        let admission_bytes =
            gauge("entex_admission_bytes_in_flight", "Request bytes held by admitted calls not yet answered.");
        let admission_bytes_limit =
            gauge("entex_admission_bytes_limit", "Most request bytes held at once (--max-bytes-in-flight).");
        let abandoned_calls = IntCounterVec::new(
            Opts::new(
                "entex_abandoned_calls_total",
                "Calls dropped unanswered because their deadline passed or their client went away.",
            ),
            &["reason"],
        )
        .expect("valid metric");
        let abandoned_documents = IntCounterVec::new(
            Opts::new("entex_abandoned_documents_total", "Documents of abandoned calls left unmatched."),
            &["reason"],
        )
        .expect("valid metric");
        let memory_trims =
            counter("entex_memory_trims_total", "Times freed memory was returned to the system after a burst.");
        let metrics = Self {
            registry,
            requests,
            latency,
            in_flight,
            documents,
            document_bytes,
            mentions,
            names,
            dictionary_info,
            dictionary_entities,
            dictionary_aliases,
            dictionary_build_seconds,
            reloads,
            last_reload_timestamp,
            last_reload_success,
            admission_refused,
            admission_calls,
            admission_calls_limit,
            admission_bytes,
            admission_bytes_limit,
            abandoned_calls,
            abandoned_documents,
            memory_trims,
        };
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(metrics.requests.clone()),
            Box::new(metrics.latency.clone()),
            Box::new(metrics.in_flight.clone()),
            Box::new(metrics.documents.clone()),
            Box::new(metrics.document_bytes.clone()),
            Box::new(metrics.mentions.clone()),
            Box::new(metrics.names.clone()),
            Box::new(metrics.dictionary_info.clone()),
            Box::new(metrics.dictionary_entities.clone()),
            Box::new(metrics.dictionary_aliases.clone()),
            Box::new(metrics.dictionary_build_seconds.clone()),
            Box::new(metrics.reloads.clone()),
            Box::new(metrics.last_reload_timestamp.clone()),
            Box::new(metrics.last_reload_success.clone()),
            Box::new(metrics.admission_refused.clone()),
            Box::new(metrics.admission_calls.clone()),
            Box::new(metrics.admission_calls_limit.clone()),
            Box::new(metrics.admission_bytes.clone()),
            Box::new(metrics.admission_bytes_limit.clone()),
            Box::new(metrics.abandoned_calls.clone()),
            Box::new(metrics.abandoned_documents.clone()),
            Box::new(metrics.memory_trims.clone()),
        ];
        for collector in collectors {
            metrics.registry.register(collector).expect("metric names are unique");
        }
        Arc::new(metrics)
    }

    /// The text exposition format of every metric.
    pub fn encode(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer).expect("text encoding cannot fail");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }

    /// Records the dictionary loaded at start as the first successful load,
    /// so the reload gauges never read as a failure before any reload.
    pub fn record_initial_load(&self, info: &DictionaryInfo) {
        self.set_dictionary(info);
        let loaded = info.loaded_at.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        self.last_reload_timestamp.set(loaded);
        self.last_reload_success.set(1);
    }

    /// Describes the dictionary now served.
    pub fn set_dictionary(&self, info: &DictionaryInfo) {
        self.dictionary_info.reset();
        self.dictionary_info.with_label_values(&[info.version.as_str()]).set(1);
        self.dictionary_entities.set(info.entity_count as i64);
        self.dictionary_aliases.set(info.alias_count as i64);
        self.dictionary_build_seconds.set(info.build_time.as_secs_f64());
    }

    /// Records the end of a reload attempt.
    pub fn record_reload(&self, success: bool) {
        self.reloads.with_label_values(&[if success { "success" } else { "failure" }]).inc();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
        self.last_reload_timestamp.set(now);
        self.last_reload_success.set(i64::from(success));
    }

    /// Records a call dropped unanswered for `why`.
    pub fn record_abandoned_call(&self, why: Abandoned) {
        self.abandoned_calls.with_label_values(&[why.label()]).inc();
    }

    /// Records `count` documents left unmatched because their call was over.
    pub fn record_abandoned_documents(&self, why: Abandoned, count: usize) {
        self.abandoned_documents.with_label_values(&[why.label()]).inc_by(count as u64);
    }

    fn start(self: &Arc<Self>, method: String) -> RequestGuard {
        self.in_flight.with_label_values(&[method.as_str()]).inc();
        RequestGuard { metrics: self.clone(), method, started: Instant::now(), finished: false }
    }
}

/// One request being measured; records exactly once, when the response
/// ends or, if it never does (the client went away), when dropped.
struct RequestGuard {
    metrics: Arc<Metrics>,
    method: String,
    started: Instant,
    finished: bool,
}

impl RequestGuard {
    fn finish(&mut self, code: Code) {
        if self.finished {
            return;
        }
        self.finished = true;
        let m = &self.metrics;
        m.in_flight.with_label_values(&[self.method.as_str()]).dec();
        m.requests.with_label_values(&[self.method.as_str(), code_name(code)]).inc();
        m.latency.with_label_values(&[self.method.as_str()]).observe(self.started.elapsed().as_secs_f64());
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.finish(Code::Cancelled);
    }
}

/// The canonical upper-case name of a status code (`OK`,
/// `INVALID_ARGUMENT`), as gRPC's own metrics label it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

fn header_code(headers: &http::HeaderMap) -> Option<Code> {
    headers.get("grpc-status").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i32>().ok()).map(Code::from_i32)
}

/// Tower layer measuring every gRPC request (method, status, latency,
/// in-flight) into [`Metrics`].
#[derive(Debug, Clone)]
pub struct GrpcMetricsLayer {
    metrics: Arc<Metrics>,
}

impl GrpcMetricsLayer {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;
    fn layer(&self, inner: S) -> Self::Service {
        GrpcMetrics { inner, metrics: self.metrics.clone() }
    }
}

#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for GrpcMetrics<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<MeteredBody<ResBody>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        // "/entex.v1.EntityExtractor/Extract" -> "entex.v1.EntityExtractor/Extract"
        let method = request.uri().path().trim_start_matches('/').to_owned();
        let mut guard = self.metrics.start(method);
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await?;
            // A trailers-only response carries its status in the headers.
            let header_status = header_code(response.headers());
            if let Some(code) = header_status {
                guard.finish(code);
            }
            Ok(response.map(|inner| MeteredBody { inner, guard: Some(guard) }))
        })
    }
}

pin_project! {
    /// A response body that reports the status in its trailers, or its
    /// abandonment, to the request's guard.
    pub struct MeteredBody<B> {
        #[pin]
        inner: B,
        guard: Option<RequestGuard>,
    }
}

impl<B: Body> Body for MeteredBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(trailers) = frame.trailers_ref()
                    && let Some(mut guard) = this.guard.take()
                {
                    guard.finish(header_code(trailers).unwrap_or(Code::Unknown));
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(mut guard) = this.guard.take() {
                    guard.finish(Code::Internal);
                }
            }
            Poll::Ready(None) => {
                // Ended without trailers: fine only if the status was in the
                // headers (the guard then already finished).
                if let Some(mut guard) = this.guard.take() {
                    guard.finish(Code::Unknown);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `GET /metrics` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move { ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.encode()) }
        }),
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_registered_metrics() {
        let metrics = Metrics::new();
        metrics.documents.inc_by(3);
        metrics.record_reload(false);
        let text = metrics.encode();
        assert!(text.contains("entex_documents_total 3"), "{text}");
        assert!(text.contains("entex_dictionary_reloads_total{result=\"failure\"} 1"), "{text}");
        assert!(text.contains("entex_dictionary_last_reload_success 0"), "{text}");
    }

    #[test]
    fn a_guard_records_once() {
        let metrics = Metrics::new();
        let mut guard = metrics.start("svc/Method".into());
        guard.finish(Code::InvalidArgument);
        drop(guard);
        let text = metrics.encode();
        assert!(
            text.contains("entex_grpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"svc/Method\"} 1"),
            "{text}"
        );
        assert!(!text.contains("CANCELLED"), "{text}");
        assert!(text.contains("entex_grpc_requests_in_flight{method=\"svc/Method\"} 0"), "{text}");
    }
}
