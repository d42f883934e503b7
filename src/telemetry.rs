//! Logging: a `tracing` subscriber writing text or JSON, with an injectable
//! writer so tests can read what the service logs.
//!
//! The service logs one event per request (RPC, document count, bytes,
//! mentions, latency, status) and never the text of a document or a name:
//! callers send news and intelligence text that must not leak into logs.

use tracing::Subscriber;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

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
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("log filter {filter:?} is not valid: {e}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_target(true);
    Ok(match format {
        LogFormat::Text => Box::new(builder.finish()),
        LogFormat::Json => Box::new(builder.json().flatten_event(true).with_current_span(true).finish()),
    })
}

/// Installs the process-wide subscriber, logging to standard error.
///
/// # Errors
///
/// When the filter is invalid or a subscriber is already installed.
pub fn init(format: LogFormat, filter: &str) -> Result<(), String> {
    let subscriber = subscriber(format, filter, std::io::stderr)?;
    tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())
}
