//! Logging and tracing: a `tracing` subscriber writing text or JSON, with an
//! injectable writer so tests can read what the service logs, and, behind
//! `--otlp-endpoint`, OpenTelemetry trace export over OTLP/gRPC.
//!
//! The service logs one event per request (RPC, document count, bytes,
//! mentions, latency, status) and never the text of a document or a name:
//! callers send news and intelligence text that must not leak into logs or
//! traces.
//!
//! # Cost, and a log sink that cannot stall requests
//!
//! Measured with `perf` on the release server under `entex-load --mode
//! single` (2 KB documents, 37 mentions each): formatting and writing the
//! per-request line is about 5 % of the server's CPU, about 13 µs a call,
//! so 8,000 calls/s spend about a tenth of a core on logging
//! (`docs/benchmarks.md`, "Logging cost"). That is cheap enough to keep one
//! line per call at the default `info`.
//!
//! What is not acceptable is a worker thread blocking on `write(2)` when
//! the reader of standard error (a container runtime's log pipe, a
//! collector) is slow: every call on that thread would wait for it. So the
//! process logs through a bounded queue of [`LOG_QUEUE_LINES`] lines drained
//! by one writer thread; when the queue is full, lines are dropped and
//! counted, never waited for, and the count is printed at exit. Colour
//! escapes are written only to a terminal (and never under `NO_COLOR`), so
//! files and log pipelines get plain lines.
//!
//! # Trace context
//!
//! With OTLP on, each request span joins the caller's trace: the W3C
//! `traceparent` (and `tracestate`) metadata of the request is its parent
//! ([`join_caller_trace`]). Spans are exported in batches; [`Telemetry`]
//! flushes them when dropped at exit.

use std::io::IsTerminal;

use opentelemetry::{propagation::Extractor, trace::TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::Subscriber;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, fmt::MakeWriter, layer::SubscriberExt, registry::LookupSpan};

use crate::config::LogFormat;

/// Lines the log queue holds before new lines are dropped: at the ~300
/// bytes of a request line, about 20 MB at most, and at 8,000 calls/s
/// about eight seconds of a stalled reader.
pub const LOG_QUEUE_LINES: usize = 65_536;

/// A subscriber writing to `writer` with the given format and filter, with
/// no colour escapes.
///
/// # Errors
///
/// When `filter` is not valid `tracing` filter syntax.
pub fn subscriber<W>(format: LogFormat, filter: &str, writer: W) -> Result<Box<dyn Subscriber + Send + Sync>, String>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Ok(Box::new(tracing_subscriber::registry().with(fmt_layer(format, filter, writer, false)?)))
}

fn fmt_layer<S, W>(
    format: LogFormat,
    filter: &str,
    writer: W,
    ansi: bool,
) -> Result<Box<dyn Layer<S> + Send + Sync>, String>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("log filter {filter:?} is not valid: {e}"))?;
    let layer = tracing_subscriber::fmt::layer().with_writer(writer).with_target(true).with_ansi(ansi);
    Ok(match format {
        LogFormat::Text => layer.with_filter(filter).boxed(),
        LogFormat::Json => layer.json().flatten_event(true).with_current_span(true).with_filter(filter).boxed(),
    })
}

/// Keeps the log writer and the OTLP pipeline alive; when dropped, writes
/// out the queued log lines, says how many were dropped, and flushes and
/// stops the trace export.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
    /// Stopped after the trace export, so that its last lines are written.
    log_writer: Option<WorkerGuard>,
    dropped_lines: ErrorCounter,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("entex: could not flush traces: {error}");
        }
        drop(self.log_writer.take());
        let dropped = self.dropped_lines.dropped_lines();
        if dropped > 0 {
            eprintln!("entex: {dropped} log lines were dropped because standard error was read too slowly");
        }
    }
}

/// Whether to colour the log: only for a person at a terminal.
fn ansi_for_stderr() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Installs the process-wide subscriber, logging to standard error through
/// a bounded queue, and exporting spans to `otlp_endpoint` (an OTLP/gRPC
/// URL) when given.
///
/// # Errors
///
/// When the filter is invalid, the exporter cannot be built, or a
/// subscriber is already installed.
pub fn init(format: LogFormat, filter: &str, otlp_endpoint: Option<&str>) -> Result<Telemetry, String> {
    let ansi = ansi_for_stderr();
    let (writer, guard) =
        NonBlockingBuilder::default().lossy(true).buffered_lines_limit(LOG_QUEUE_LINES).finish(std::io::stderr());
    let dropped_lines = writer.error_counter();
    let fmt = fmt_layer(format, filter, writer, ansi)?;
    let Some(endpoint) = otlp_endpoint else {
        let subscriber = tracing_subscriber::registry().with(fmt);
        tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
        return Ok(Telemetry { provider: None, log_writer: Some(guard), dropped_lines });
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| format!("cannot build the OTLP exporter for {endpoint}: {e}"))?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(Resource::builder().with_service_name("entex").build())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    // Only request spans (target `entex`) are exported, not every library's.
    let otel =
        tracing_opentelemetry::layer().with_tracer(provider.tracer("entex")).with_filter(EnvFilter::new("entex=info"));
    let subscriber = tracing_subscriber::registry().with(fmt).with(otel);
    tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
    Ok(Telemetry { provider: Some(provider), log_writer: Some(guard), dropped_lines })
}

/// Reads W3C trace context from gRPC request metadata.
struct MetadataExtractor<'a>(&'a tonic::metadata::MetadataMap);

impl Extractor for MetadataExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter_map(|k| match k {
                tonic::metadata::KeyRef::Ascii(k) => Some(k.as_str()),
                tonic::metadata::KeyRef::Binary(_) => None,
            })
            .collect()
    }
}

/// Makes `span` a child of the caller's trace when the request carries a
/// W3C `traceparent`; without OTLP export (no propagator installed) this
/// does nothing.
pub fn join_caller_trace(span: &tracing::Span, metadata: &tonic::metadata::MetadataMap) {
    let parent =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&MetadataExtractor(metadata)));
    let _ = span.set_parent(parent);
}
