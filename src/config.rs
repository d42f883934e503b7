//! Command line and environment: one typed configuration per subcommand,
//! validated once at start.
//!
//! Every flag has an `ENTEX_…` environment variable (a flag wins over its
//! variable); `entex --help` and `entex <command> --help` list them. Values
//! that depend on each other (a document cannot be larger than a request)
//! are checked by [`ServeArgs::validate`] before anything binds.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::dictionary::{InvalidRows, SourceSpec};

/// entex: finds named entities in text and links each mention to a
/// canonical entity, over gRPC (`serve`) or on the command line (`extract`).
#[derive(Debug, Parser)]
#[command(name = "entex", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

impl Cli {
    /// The command to run; `serve` when none was named.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}

// Parsed once at start; boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC service (the default command).
    Serve(ServeArgs),
    /// Extract mentions from JSON-lines documents ({"id": "...", "text": "..."}
    /// per line) and print JSON-lines mentions: the service's engine, for
    /// batch jobs and debugging.
    Extract(ExtractArgs),
    /// Validate dictionary files together, as `serve` would load them, and
    /// report every problem with file and line. Exits 1 if there is any.
    Check(CheckArgs),
    /// Resolve names (one per line, or JSON lines {"query": "..."}) to
    /// canonical entities and print one JSON line per name: the service's
    /// resolver, for batch jobs and debugging.
    Normalize(NormalizeArgs),
    /// Compile dictionary files (checked as `check` does) into one
    /// precompiled artefact for `serve --compiled`: a server then starts
    /// without parsing or building anything.
    Compile(CompileArgs),
    /// Ask a running server for its gRPC health (for container HEALTHCHECKs,
    /// which cannot rely on a shell). Exits 0 when SERVING, 1 otherwise.
    Healthcheck(HealthcheckArgs),
}

/// Dictionary files, named the same way by every command.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// A dictionary file: `[NAME=]PATH[?OPTIONS]`. Repeatable; in the
    /// environment, comma-separated. The format comes from the extension
    /// (.toml; .csv; .tsv and others: tab-separated; .jsonl/.ndjson/.json:
    /// entity records, spaCy patterns or FollowTheMoney, told apart by the
    /// first record) or `?format=toml|tsv|csv|jsonl|spacy|ftm`. NAME is the
    /// dictionary the file belongs to, which requests select (default: the
    /// file name up to its first dot). Options: `strict` (alias collisions
    /// and undefined ids are errors), `invalid_rows=skip` (leave out bad
    /// rows, reporting them), `names=any` (match aliases written with a
    /// capital in any case; by default they are proper names, found only
    /// where the text capitalises them). Files extend the embedded default dictionary
    /// (named "default") unless --no-default-dictionary is given.
    #[arg(long = "dictionary", value_name = "SPEC", env = "ENTEX_DICTIONARY", value_delimiter = ',')]
    pub dictionaries: Vec<SourceSpec>,

    /// Do not load the embedded default dictionary: only the files given
    /// with --dictionary.
    #[arg(long, env = "ENTEX_NO_DEFAULT_DICTIONARY")]
    pub no_default_dictionary: bool,

    /// Make every --dictionary file strict: an alias two entities claim
    /// (unless both mark it short_form) and a row naming an undefined entity
    /// are errors, as in a curated dictionary.
    #[arg(long, env = "ENTEX_STRICT")]
    pub strict: bool,

    /// Leave out rows with problems in every --dictionary file (each
    /// reported with file and line, counted in GetDictionaryInfo) instead of
    /// refusing the dictionary.
    #[arg(long, env = "ENTEX_SKIP_INVALID_ROWS")]
    pub skip_invalid_rows: bool,
}

impl SourceArgs {
    pub fn with_default(&self) -> bool {
        !self.no_default_dictionary
    }

    /// The files with the global --strict and --skip-invalid-rows applied.
    pub fn specs(&self) -> Vec<SourceSpec> {
        self.dictionaries
            .iter()
            .cloned()
            .map(|mut spec| {
                spec.options.strict |= self.strict;
                if self.skip_invalid_rows {
                    spec.options.invalid_rows = InvalidRows::Skip;
                }
                spec
            })
            .collect()
    }

    /// The sources to build.
    pub fn origin(&self) -> crate::dictionary::Origin {
        crate::dictionary::Origin::Sources { specs: self.specs(), with_default: self.with_default() }
    }
}

/// Which dictionaries to load: files, or a precompiled artefact.
#[derive(Debug, Clone, Args)]
pub struct DictionaryArgs {
    #[command(flatten)]
    pub sources: SourceArgs,

    /// Load a precompiled dictionary made by `entex compile` instead of
    /// building one from sources (a cold start in well under a second for
    /// a million aliases). It is validated on load and refused if corrupt or
    /// compiled by a different entex; reloads re-read this file.
    #[arg(
        long,
        value_name = "PATH",
        env = "ENTEX_COMPILED",
        conflicts_with_all = ["dictionaries", "no_default_dictionary", "strict", "skip_invalid_rows"]
    )]
    pub compiled: Option<PathBuf>,
}

impl DictionaryArgs {
    /// Where the dictionary comes from.
    pub fn origin(&self) -> crate::dictionary::Origin {
        match &self.compiled {
            Some(path) => crate::dictionary::Origin::Compiled(path.clone()),
            None => self.sources.origin(),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per event, for log pipelines.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on for gRPC (HTTP/2; TLS with --tls-cert).
    #[arg(long, value_name = "ADDR", env = "ENTEX_LISTEN", default_value = "0.0.0.0:50051")]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub dictionary: DictionaryArgs,

    #[command(flatten)]
    pub limits: Limits,

    /// Threads that run matching (CPU work, kept off the async runtime).
    /// 0 means one per available core.
    #[arg(long, value_name = "N", env = "ENTEX_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Log format.
    #[arg(long, value_enum, env = "ENTEX_LOG_FORMAT", default_value = "text")]
    pub log_format: LogFormat,

    /// Log filter in `tracing` syntax, e.g. "info" or "entex=debug".
    #[arg(long, value_name = "FILTER", env = "ENTEX_LOG", default_value = "info")]
    pub log_level: String,

    /// Address to serve Prometheus metrics on (`GET /metrics`, plain HTTP).
    /// Unset: no metrics endpoint.
    #[arg(long, value_name = "ADDR", env = "ENTEX_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Serve the admin service (DictionaryAdmin) on its own address. Keep it
    /// off the load balancer. Without --admin-token, this address is the
    /// only protection.
    #[arg(long, value_name = "ADDR", env = "ENTEX_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,

    /// Require this bearer token (metadata `authorization: Bearer TOKEN`) on
    /// admin calls. Alone, it serves the admin service on the main address;
    /// with --admin-listen, on that one.
    #[arg(long, value_name = "TOKEN", env = "ENTEX_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Reload the dictionary when a --dictionary file changes (polled).
    #[arg(long, env = "ENTEX_WATCH")]
    pub watch: bool,

    /// Seconds between checks of the dictionary files under --watch.
    #[arg(long, value_name = "SECONDS", env = "ENTEX_WATCH_INTERVAL", default_value_t = 2.0)]
    pub watch_interval: f64,

    #[command(flatten)]
    pub tls: TlsArgs,

    /// Export request spans to this OpenTelemetry collector (OTLP over gRPC,
    /// e.g. http://otel-collector:4317). A request's W3C `traceparent`
    /// metadata makes its span part of the caller's trace. Unset: no export.
    #[arg(long, value_name = "URL", env = "ENTEX_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// On SIGTERM/SIGINT, seconds to keep accepting requests after health
    /// turns NOT_SERVING, so load balancers stop routing here first.
    #[arg(long, value_name = "SECONDS", env = "ENTEX_DRAIN_DELAY", default_value_t = 0.0)]
    pub drain_delay: f64,

    /// On SIGTERM/SIGINT, seconds to wait for in-flight requests to finish
    /// before exiting anyway.
    #[arg(long, value_name = "SECONDS", env = "ENTEX_SHUTDOWN_TIMEOUT", default_value_t = 30.0)]
    pub shutdown_timeout: f64,
}

/// TLS for the gRPC listeners (rustls). Both --tls-cert and --tls-key turn
/// it on; --tls-client-ca also requires clients to present a certificate
/// signed by that CA (mutual TLS).
#[derive(Debug, Clone, Default, Args)]
pub struct TlsArgs {
    /// PEM certificate chain of the server.
    #[arg(long, value_name = "PATH", env = "ENTEX_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of the server.
    #[arg(long, value_name = "PATH", env = "ENTEX_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// PEM CA certificate(s) that client certificates must chain to.
    #[arg(long, value_name = "PATH", env = "ENTEX_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
}

/// Request limits. Past a limit a request fails with a status that names the
/// item, its size and the limit; nothing is truncated silently.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Most documents in one Extract request.
    #[arg(long, value_name = "N", env = "ENTEX_MAX_DOCUMENTS", default_value_t = 1024)]
    pub max_documents: usize,

    /// Largest document text, in bytes (Extract and ExtractStream).
    #[arg(long, value_name = "BYTES", env = "ENTEX_MAX_DOCUMENT_BYTES", default_value_t = 1 << 20)]
    pub max_document_bytes: usize,

    /// Largest request message, in bytes (the gRPC decode limit; for
    /// ExtractStream, per message).
    #[arg(long, value_name = "BYTES", env = "ENTEX_MAX_REQUEST_BYTES", default_value_t = 16 << 20)]
    pub max_request_bytes: usize,

    /// Most names in one Normalize request.
    #[arg(long, value_name = "N", env = "ENTEX_MAX_NAMES", default_value_t = 1024)]
    pub max_names: usize,

    /// Longest name in a Normalize request, in bytes.
    #[arg(long, value_name = "BYTES", env = "ENTEX_MAX_NAME_BYTES", default_value_t = 1024)]
    pub max_name_bytes: usize,

    /// Documents of one ExtractStream being matched or waiting to be sent at
    /// once; a client that reads slower than it writes is held to this.
    #[arg(long, value_name = "N", env = "ENTEX_STREAM_WINDOW", default_value_t = 32)]
    pub stream_window: usize,

    /// Most EntityExtractor calls admitted at once (an ExtractStream counts
    /// while it is open); a call beyond it is refused at once with
    /// UNAVAILABLE. Health, reflection and admin calls are never refused.
    #[arg(long, value_name = "N", env = "ENTEX_MAX_CONCURRENT_CALLS", default_value_t = DEFAULT_MAX_CONCURRENT_CALLS)]
    pub max_concurrent_calls: usize,

    /// Most request bytes held at once by admitted calls, each message from
    /// its arrival until its response is sent; a call whose message would
    /// pass it is refused at once with UNAVAILABLE. Peak memory is about
    /// the idle footprint plus up to four times this (docs/reliability.md).
    #[arg(long, value_name = "BYTES", env = "ENTEX_MAX_BYTES_IN_FLIGHT", default_value_t = DEFAULT_MAX_BYTES_IN_FLIGHT)]
    pub max_bytes_in_flight: usize,
}

/// Calls admitted at once. A two-worker server answers about 65 MB/s of
/// 64 KiB batches (docs/benchmarks.md), so 64 such calls wait at most
/// ~65 ms behind each other; more would only queue.
/// A long-lived stream holds a slot: leave room for those you run.
pub const DEFAULT_MAX_CONCURRENT_CALLS: usize = 64;

/// Request bytes held at once. Each admitted byte costs up to about four in
/// memory at the peak (the message, its decoded documents, folded text,
/// results, and the transport buffers of refused calls; measured 1.9-4.2 by
/// scripts/burst.sh, docs/reliability.md), so 64 MiB keeps a burst under
/// ~300 MiB: inside the Deployment's 512 MiB limit with room for a reload.
pub const DEFAULT_MAX_BYTES_IN_FLIGHT: usize = 64 << 20;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_documents: 1024,
            max_document_bytes: 1 << 20,
            max_request_bytes: 16 << 20,
            max_names: 1024,
            max_name_bytes: 1024,
            stream_window: 32,
            max_concurrent_calls: DEFAULT_MAX_CONCURRENT_CALLS,
            max_bytes_in_flight: DEFAULT_MAX_BYTES_IN_FLIGHT,
        }
    }
}

impl ServeArgs {
    /// Settings for tests and embedding: listen on `listen`, default limits,
    /// the embedded dictionary.
    pub fn for_address(listen: SocketAddr) -> Self {
        Self {
            listen,
            dictionary: DictionaryArgs { sources: SourceArgs::default(), compiled: None },
            limits: Limits::default(),
            workers: 0,
            log_format: LogFormat::Text,
            log_level: "info".to_owned(),
            metrics_listen: None,
            admin_listen: None,
            admin_token: None,
            watch: false,
            watch_interval: 2.0,
            tls: TlsArgs::default(),
            otlp_endpoint: None,
            drain_delay: 0.0,
            shutdown_timeout: 30.0,
        }
    }

    /// Checks values that depend on each other.
    ///
    /// # Errors
    ///
    /// A message naming the flags and values that disagree.
    pub fn validate(&self) -> Result<(), String> {
        let l = &self.limits;
        for (name, value) in [
            ("--max-documents", l.max_documents),
            ("--max-document-bytes", l.max_document_bytes),
            ("--max-request-bytes", l.max_request_bytes),
            ("--max-names", l.max_names),
            ("--max-name-bytes", l.max_name_bytes),
            ("--stream-window", l.stream_window),
            ("--max-concurrent-calls", l.max_concurrent_calls),
            ("--max-bytes-in-flight", l.max_bytes_in_flight),
        ] {
            if value == 0 {
                return Err(format!("{name} must be at least 1"));
            }
        }
        if l.max_document_bytes > l.max_request_bytes {
            return Err(format!(
                "--max-document-bytes ({}) is larger than --max-request-bytes ({}): such a document could never arrive",
                l.max_document_bytes, l.max_request_bytes
            ));
        }
        // A message is charged its length plus the 5-byte gRPC prefix; one of
        // the largest size must fit, or it could never be admitted.
        if l.max_bytes_in_flight < l.max_request_bytes.saturating_add(5) {
            return Err(format!(
                "--max-bytes-in-flight ({}) is smaller than --max-request-bytes ({}) plus 5: such a request could never be admitted",
                l.max_bytes_in_flight, l.max_request_bytes
            ));
        }
        // The byte budget is a tokio semaphore, which counts at most 2^61 permits.
        if l.max_bytes_in_flight > tokio::sync::Semaphore::MAX_PERMITS
            || l.max_concurrent_calls > tokio::sync::Semaphore::MAX_PERMITS
        {
            return Err("--max-bytes-in-flight and --max-concurrent-calls must be below 2^61".to_owned());
        }
        if l.max_document_bytes > u32::MAX as usize {
            return Err(format!(
                "--max-document-bytes ({}) exceeds 4 GiB, the offset range of the API",
                l.max_document_bytes
            ));
        }
        if self.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err("--admin-token must be at least 16 characters".to_owned());
        }
        if !(self.watch_interval.is_finite() && self.watch_interval >= 0.05) {
            return Err(format!("--watch-interval must be at least 0.05 seconds, not {}", self.watch_interval));
        }
        for (name, value) in [("--drain-delay", self.drain_delay), ("--shutdown-timeout", self.shutdown_timeout)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{name} must be a non-negative number of seconds, not {value}"));
            }
        }
        Ok(())
    }

    pub fn drain_delay(&self) -> Duration {
        Duration::from_secs_f64(self.drain_delay)
    }

    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.shutdown_timeout)
    }

    pub fn watch_interval(&self) -> Duration {
        Duration::from_secs_f64(self.watch_interval)
    }
}

#[derive(Debug, Clone, Args)]
pub struct ExtractArgs {
    /// JSON-lines input file; "-" (the default) reads standard input.
    #[arg(long, short, value_name = "PATH", default_value = "-")]
    pub input: PathBuf,

    #[command(flatten)]
    pub dictionary: DictionaryArgs,

    /// Only report mentions of this entity type (repeatable).
    #[arg(long = "entity-type", value_name = "TYPE")]
    pub entity_types: Vec<String>,

    /// Use only this loaded dictionary, by name (repeatable; default: all).
    #[arg(long = "use-dictionary", value_name = "NAME")]
    pub use_dictionaries: Vec<String>,

    /// Leave out ambiguous mentions (an alias several entities share, with
    /// nothing in the document to decide).
    #[arg(long)]
    pub drop_ambiguous: bool,
}

#[derive(Debug, Clone, Args)]
pub struct NormalizeArgs {
    /// Input file; "-" (the default) reads standard input.
    #[arg(long, short, value_name = "PATH", default_value = "-")]
    pub input: PathBuf,

    #[command(flatten)]
    pub dictionary: DictionaryArgs,

    /// Only resolve to this entity type (repeatable).
    #[arg(long = "entity-type", value_name = "TYPE")]
    pub entity_types: Vec<String>,

    /// Drop answers and candidates scoring below this.
    #[arg(long, value_name = "SCORE", default_value_t = 0.0)]
    pub min_score: f32,

    /// Use only this loaded dictionary, by name (repeatable; default: all).
    #[arg(long = "use-dictionary", value_name = "NAME")]
    pub use_dictionaries: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The files to check, with the embedded default unless
    /// --no-default-dictionary; with none, the embedded default alone.
    #[command(flatten)]
    pub sources: SourceArgs,
}

#[derive(Debug, Clone, Args)]
pub struct CompileArgs {
    /// The files to compile, with the embedded default unless
    /// --no-default-dictionary; with none, the embedded default alone.
    #[command(flatten)]
    pub sources: SourceArgs,

    /// Where to write the artefact (replaced atomically).
    #[arg(long, short, value_name = "PATH")]
    pub output: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    /// Server address.
    #[arg(long, value_name = "ADDR", env = "ENTEX_HEALTHCHECK_ADDR", default_value = "127.0.0.1:50051")]
    pub addr: SocketAddr,

    /// Service name to check; empty checks the server as a whole.
    #[arg(long, default_value = "")]
    pub service: String,

    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub timeout: f64,

    /// Speak TLS, trusting this PEM CA (for a server run with --tls-cert).
    #[arg(long, value_name = "PATH", env = "ENTEX_HEALTHCHECK_TLS_CA")]
    pub tls_ca: Option<PathBuf>,

    /// Name the server certificate must carry, with --tls-ca.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    pub tls_domain: String,

    /// PEM client certificate and key, for a server that requires mutual TLS.
    #[arg(long, value_name = "PATH", env = "ENTEX_HEALTHCHECK_TLS_CERT", requires = "tls_key", requires = "tls_ca")]
    pub tls_cert: Option<PathBuf>,

    #[arg(long, value_name = "PATH", env = "ENTEX_HEALTHCHECK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_command_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["entex"]).unwrap();
        let Command::Serve(args) = cli.into_command() else { panic!("not serve") };
        assert_eq!(args.listen.to_string(), "0.0.0.0:50051");
        assert!(args.dictionary.sources.with_default());
        assert!(args.validate().is_ok());
    }

    #[test]
    fn flags_parse() {
        let cli = Cli::try_parse_from([
            "entex",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--dictionary",
            "a.toml",
            "--dictionary",
            "geo=b.tsv?invalid_rows=skip",
            "--no-default-dictionary",
            "--strict",
            "--log-format",
            "json",
            "--max-documents",
            "5",
        ])
        .unwrap();
        let Command::Serve(args) = cli.into_command() else { panic!("not serve") };
        let specs = args.dictionary.sources.specs();
        let paths: Vec<&std::path::Path> = specs.iter().map(|s| s.path.as_path()).collect();
        assert_eq!(paths, [PathBuf::from("a.toml"), PathBuf::from("b.tsv")]);
        assert_eq!(specs[1].options.dictionary, "geo");
        assert!(specs.iter().all(|s| s.options.strict), "--strict applies to every file");
        assert_eq!(specs[1].options.invalid_rows, InvalidRows::Skip);
        assert_eq!(specs[0].options.invalid_rows, InvalidRows::Fail);
        assert!(!args.dictionary.sources.with_default());
        assert_eq!(args.log_format, LogFormat::Json);
        assert_eq!(args.limits.max_documents, 5);
    }

    #[test]
    fn inconsistent_limits_are_refused() {
        let mut args = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
        args.limits.max_document_bytes = args.limits.max_request_bytes + 1;
        assert!(args.validate().unwrap_err().contains("--max-document-bytes"));
        let mut args = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
        args.limits.max_names = 0;
        assert!(args.validate().unwrap_err().contains("--max-names must be at least 1"));
        let mut args = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
        args.limits.max_concurrent_calls = 0;
        assert!(args.validate().unwrap_err().contains("--max-concurrent-calls must be at least 1"));
        let mut args = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
        args.limits.max_bytes_in_flight = args.limits.max_request_bytes;
        assert!(args.validate().unwrap_err().contains("--max-bytes-in-flight"));
    }
}
