//! Logging and tracing: a `tracing` subscriber writing text or JSON, with an
//! injectable writer so tests can read what the service logs, and, behind
//! `--otlp-endpoint`, OpenTelemetry trace export over OTLP/gRPC.
//!
//! The service logs one event per request (RPC, document count, bytes,
//! mentions, latency, status) and never the text of a document or a name:
//! callers send news and intelligence text that must not leak into logs or
//! traces.
//!
//! # Trace context
//!
//! With OTLP on, each request span joins the caller's trace: the W3C
//! `traceparent` (and `tracestate`) metadata of the request is its parent
//! ([`join_caller_trace`]). Spans are exported in batches; [`Telemetry`]
//! flushes them when dropped at exit.

use opentelemetry::{propagation::Extractor, trace::TracerProvider as _};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, fmt::MakeWriter, layer::SubscriberExt, registry::LookupSpan};

use crate::config::LogFormat;

/// A subscriber writing to `writer` with the given format and filter.
///
/// # Errors
///
/// When `filter` is not valid `tracing` filter syntax.
pub fn subscriber<W>(format: LogFormat, filter: &str, writer: W) -> Result<Box<dyn Subscriber + Send + Sync>, String>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    Ok(Box::new(tracing_subscriber::registry().with(fmt_layer(format, filter, writer)?)))
}

fn fmt_layer<S, W>(format: LogFormat, filter: &str, writer: W) -> Result<Box<dyn Layer<S> + Send + Sync>, String>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("log filter {filter:?} is not valid: {e}"))?;
    let layer = tracing_subscriber::fmt::layer().with_writer(writer).with_target(true);
    Ok(match format {
        LogFormat::Text => layer.with_filter(filter).boxed(),
        LogFormat::Json => layer.json().flatten_event(true).with_current_span(true).with_filter(filter).boxed(),
    })
}

/// Keeps the OTLP pipeline alive; flushes and stops it when dropped.
#[derive(Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("entex: could not flush traces: {error}");
        }
    }
}

/// Installs the process-wide subscriber, logging to standard error, and
/// exporting spans to `otlp_endpoint` (an OTLP/gRPC URL) when given.
///
/// # Errors
///
/// When the filter is invalid, the exporter cannot be built, or a
/// subscriber is already installed.
pub fn init(format: LogFormat, filter: &str, otlp_endpoint: Option<&str>) -> Result<Telemetry, String> {
    let fmt = fmt_layer(format, filter, std::io::stderr)?;
    let Some(endpoint) = otlp_endpoint else {
        let subscriber = tracing_subscriber::registry().with(fmt);
        tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
        return Ok(Telemetry::default());
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
    Ok(Telemetry { provider: Some(provider) })
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
