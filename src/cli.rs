//! The commands: `serve`, `extract`, `normalize`, `check`, `compile`,
//! `healthcheck`. Each turns its
//! typed arguments into calls on the library and an exit code.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Write},
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use anyhow::Context as _;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    config::{CheckArgs, Command, CompileArgs, ExtractArgs, HealthcheckArgs, NormalizeArgs, ServeArgs, SourceArgs},
    dictionary::{self, Dictionary, LoadError},
    matcher::{ExtractOptions, Linking, MatchKind},
    resolve::ResolveOptions,
    startup::Application,
    telemetry,
    vocabulary::TypeFilter,
};

/// Runs one command to completion.
///
/// # Errors
///
/// Whatever stopped the command, with context; `main` prints the chain.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(args),
        Command::Extract(args) => extract(args),
        Command::Check(args) => check(args),
        Command::Compile(args) => compile(args),
        Command::Normalize(args) => normalize(args),
        Command::Healthcheck(args) => healthcheck(args),
    }
}

fn load_dictionary(origin: &dictionary::Origin) -> anyhow::Result<Dictionary> {
    let loaded = origin.load();
    crate::reload::return_freed_memory();
    loaded.map_err(|error: LoadError| {
        for problem in &error.problems {
            tracing::error!(%problem, "dictionary problem");
        }
        anyhow::Error::new(error).context("cannot load the dictionary")
    })
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    // The OTLP exporter's gRPC channel lives on this runtime; the guard ends,
    // and exported spans are flushed, before the runtime shuts down.
    let entered = runtime.enter();
    let telemetry =
        telemetry::init(args.log_format, &args.log_level, args.otlp_endpoint.as_deref()).map_err(anyhow::Error::msg)?;
    args.validate().map_err(anyhow::Error::msg).context("invalid configuration")?;
    let dictionary = load_dictionary(&args.dictionary.origin())?;
    let served = runtime.block_on(async {
        let app = Application::build(args, Arc::new(dictionary)).await?;
        app.run_until_stopped(shutdown_signal()).await
    });
    drop(telemetry);
    drop(entered);
    served?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on the first SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(%error, "cannot listen for SIGTERM; only SIGINT will stop the server");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!(signal = "SIGTERM", "signal received"),
        _ = tokio::signal::ctrl_c() => tracing::info!(signal = "SIGINT", "signal received"),
    }
}

/// One input line of `entex extract`.
#[derive(Debug, Deserialize)]
struct InputDocument {
    #[serde(default)]
    id: Option<String>,
    text: String,
}

/// One output line of `entex extract`: a mention, with the proto's field
/// names and all three offset units.
#[derive(Debug, Serialize)]
pub struct OutputMention<'a> {
    pub doc: &'a str,
    pub entity_id: &'a str,
    pub canonical_name: &'a str,
    #[serde(rename = "type")]
    pub entity_type: &'a str,
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    pub char_start: usize,
    pub char_end: usize,
    pub utf16_start: usize,
    pub utf16_end: usize,
    pub alias: &'a str,
    pub match_kind: &'static str,
    pub linking: &'static str,
    /// For an ambiguous mention: the entities it may name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<OutputMentionCandidate<'a>>,
}

/// An entity an ambiguous mention may name.
#[derive(Debug, Serialize)]
pub struct OutputMentionCandidate<'a> {
    pub entity_id: &'a str,
    pub canonical_name: &'a str,
    #[serde(rename = "type")]
    pub entity_type: &'a str,
    pub score: f32,
}

fn linking_name(linking: Linking) -> &'static str {
    match linking {
        Linking::Unique => "UNIQUE",
        Linking::Document => "DOCUMENT",
        Linking::Default => "DEFAULT",
        Linking::Prior => "PRIOR",
        Linking::Ambiguous => "AMBIGUOUS",
    }
}

fn match_kind_name(kind: MatchKind) -> &'static str {
    match kind {
        MatchKind::Exact => "EXACT",
        MatchKind::Normalized => "NORMALIZED",
        MatchKind::ShortForm => "SHORT_FORM",
        MatchKind::Variant => "VARIANT",
        MatchKind::Fuzzy => "FUZZY",
    }
}

/// Documents per parallel chunk: large enough to keep every core busy,
/// small enough to stream output steadily.
const EXTRACT_CHUNK: usize = 256;

fn extract(args: ExtractArgs) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init(crate::config::LogFormat::Text, "warn", None).map_err(anyhow::Error::msg)?;
    let dictionary = load_dictionary(&args.dictionary.origin())?;
    let options = ExtractOptions {
        selection: dictionary.select(&args.use_dictionaries)?,
        types: TypeFilter::new(args.entity_types.clone()),
        drop_ambiguous: args.drop_ambiguous,
        overlaps: crate::matcher::OverlapPolicy::LeftmostLongest,
        ..ExtractOptions::default()
    };
    let input: Box<dyn BufRead> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        let file = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
        Box::new(BufReader::new(file))
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut bad_lines = 0usize;
    let mut chunk: Vec<(usize, InputDocument)> = Vec::with_capacity(EXTRACT_CHUNK);
    let mut lines = input.lines().enumerate();
    loop {
        let next = lines.next();
        let done = next.is_none();
        if let Some((index, line)) = next {
            let line_number = index + 1;
            let line = line.with_context(|| format!("cannot read input line {line_number}"))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<InputDocument>(&line) {
                Ok(document) => chunk.push((line_number, document)),
                Err(error) => {
                    bad_lines += 1;
                    eprintln!(
                        "entex: input line {line_number}: not a document ({{\"id\": ..., \"text\": ...}}): {error}"
                    );
                }
            }
            if chunk.len() < EXTRACT_CHUNK {
                continue;
            }
        }
        write_chunk(&dictionary, &options, &chunk, &mut out)?;
        chunk.clear();
        if done {
            break;
        }
    }
    out.flush().context("cannot write output")?;
    Ok(if bad_lines == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn write_chunk(
    dictionary: &Dictionary,
    options: &ExtractOptions,
    chunk: &[(usize, InputDocument)],
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let rendered: Vec<String> = chunk
        .par_iter()
        .map(|(line_number, document)| {
            let id = document.id.clone().unwrap_or_else(|| line_number.to_string());
            let mut lines = String::new();
            for mention in dictionary.extract_with(&document.text, options) {
                let entity = mention.entity.map(|e| dictionary.entity(e));
                let span = mention.span;
                let output = OutputMention {
                    doc: &id,
                    entity_id: entity.map_or("", |e| e.id()),
                    canonical_name: entity.map_or("", |e| e.name()),
                    entity_type: entity.map_or("", |e| e.entity_type()),
                    text: &document.text[span.start..span.end],
                    start: span.start,
                    end: span.end,
                    char_start: span.char_start,
                    char_end: span.char_end,
                    utf16_start: span.utf16_start,
                    utf16_end: span.utf16_end,
                    alias: mention.alias,
                    match_kind: match_kind_name(mention.kind),
                    linking: linking_name(mention.linking),
                    candidates: mention
                        .candidates
                        .iter()
                        .map(|&(e, score)| {
                            let e = dictionary.entity(e);
                            OutputMentionCandidate {
                                entity_id: e.id(),
                                canonical_name: e.name(),
                                entity_type: e.entity_type(),
                                score,
                            }
                        })
                        .collect(),
                };
                lines.push_str(&serde_json::to_string(&output).expect("mentions serialise"));
                lines.push('\n');
            }
            lines
        })
        .collect();
    for lines in rendered {
        out.write_all(lines.as_bytes()).context("cannot write output")?;
    }
    Ok(())
}

/// One output line of `entex normalize`.
#[derive(Debug, Serialize)]
struct OutputResolution<'a> {
    query: &'a str,
    /// Canonical entity id, or null when the name resolves to nothing.
    id: Option<&'a str>,
    /// Canonical name, or null.
    name: Option<&'a str>,
    #[serde(rename = "type")]
    entity_type: Option<&'a str>,
    match_kind: Option<&'static str>,
    score: f32,
    candidates: Vec<OutputCandidate<'a>>,
}

#[derive(Debug, Serialize)]
struct OutputCandidate<'a> {
    id: &'a str,
    name: &'a str,
    match_kind: &'static str,
    score: f32,
}

fn normalize(args: NormalizeArgs) -> anyhow::Result<ExitCode> {
    let _telemetry = telemetry::init(crate::config::LogFormat::Text, "warn", None).map_err(anyhow::Error::msg)?;
    let dictionary = load_dictionary(&args.dictionary.origin())?;
    let options = ResolveOptions {
        types: TypeFilter::new(args.entity_types.clone()),
        min_score: args.min_score,
        selection: dictionary.select(&args.use_dictionaries)?,
        ..ResolveOptions::default()
    };
    let input: Box<dyn BufRead> = if args.input.as_os_str() == "-" {
        Box::new(BufReader::new(io::stdin().lock()))
    } else {
        let file = File::open(&args.input).with_context(|| format!("cannot open {}", args.input.display()))?;
        Box::new(BufReader::new(file))
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (index, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read input line {}", index + 1))?;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        // A JSON object with "query" (as the evaluation's alias files), or a bare name.
        let query = match serde_json::from_str::<serde_json::Value>(trimmed) {
            Ok(serde_json::Value::Object(object)) => match object.get("query").and_then(|q| q.as_str()) {
                Some(q) => q.to_owned(),
                None => anyhow::bail!("input line {}: a JSON object needs a \"query\" string", index + 1),
            },
            _ => trimmed.to_owned(),
        };
        let resolution = dictionary.resolve(&query, &options);
        let entity = resolution.best.map(|b| dictionary.entity(b.entity));
        let output = OutputResolution {
            query: &query,
            id: entity.map(|e| e.id()),
            name: entity.map(|e| e.name()),
            entity_type: entity.map(|e| e.entity_type()),
            match_kind: resolution.best.map(|b| match_kind_name(b.kind)),
            score: resolution.best.map_or(0.0, |b| b.score),
            candidates: resolution
                .candidates
                .iter()
                .map(|c| {
                    let e = dictionary.entity(c.entity);
                    OutputCandidate { id: e.id(), name: e.name(), match_kind: match_kind_name(c.kind), score: c.score }
                })
                .collect(),
        };
        serde_json::to_writer(&mut out, &output).context("cannot write output")?;
        out.write_all(b"\n").context("cannot write output")?;
    }
    out.flush().context("cannot write output")?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let Some(dictionary) = build_or_report(&args.sources, "check", "the dictionary was not loaded")? else {
        return Ok(ExitCode::FAILURE);
    };
    let info = dictionary.info();
    report_skipped(info);
    println!(
        "ok: {} entities, {} aliases from {} source(s); version {}",
        info.entity_count,
        info.alias_count,
        info.sources.len(),
        info.version
    );
    Ok(ExitCode::SUCCESS)
}

fn compile(args: CompileArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let Some(dictionary) = build_or_report(&args.sources, "compile", "nothing was written")? else {
        return Ok(ExitCode::FAILURE);
    };
    report_skipped(dictionary.info());
    let bytes = dictionary::artefact::write(&dictionary, &args.output)?;
    let info = dictionary.info();
    println!(
        "compiled: {} entities, {} aliases from {} source(s); version {}; {} ({:.1} MiB) in {:.2} s",
        info.entity_count,
        info.alias_count,
        info.sources.len(),
        info.version,
        args.output.display(),
        bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// What `check` and `compile` share: builds the files (after the embedded
/// default unless `no_default`), or prints every problem and `N problem(s);
/// <consequence>` to standard output and returns `None`.
fn build_or_report(sources: &SourceArgs, verb: &str, consequence: &str) -> anyhow::Result<Option<Dictionary>> {
    if sources.dictionaries.is_empty() && !sources.with_default() {
        anyhow::bail!("nothing to {verb}: give --dictionary files, or drop --no-default-dictionary");
    }
    match dictionary::load(&sources.specs(), sources.with_default()) {
        Ok(dictionary) => Ok(Some(dictionary)),
        Err(error) => {
            for problem in &error.problems {
                println!("{problem}");
            }
            println!("{} problem(s); {consequence}", error.problems.len());
            Ok(None)
        }
    }
}

/// Prints, per source that left rows out, how many and the first few.
fn report_skipped(info: &dictionary::DictionaryInfo) {
    for source in info.sources.iter().filter(|s| s.skipped_rows > 0) {
        println!("{}: skipped {} invalid row(s); the first:", source.name, source.skipped_rows);
        for (line, message) in &source.skipped {
            println!("  {}:{line}: {message}", source.name);
        }
    }
}

fn healthcheck(args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
    let timeout = Duration::from_secs_f64(args.timeout.max(0.0));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let status = runtime.block_on(async {
        let check = async {
            let scheme = if args.tls_ca.is_some() { "https" } else { "http" };
            let mut endpoint = tonic::transport::Channel::from_shared(format!("{scheme}://{}", args.addr))?;
            if let Some(ca) = &args.tls_ca {
                let read =
                    |p: &std::path::Path| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()));
                let mut tls = tonic::transport::ClientTlsConfig::new()
                    .ca_certificate(tonic::transport::Certificate::from_pem(read(ca)?))
                    .domain_name(args.tls_domain.clone());
                if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
                    tls = tls.identity(tonic::transport::Identity::from_pem(read(cert)?, read(key)?));
                }
                endpoint = endpoint.tls_config(tls)?;
            }
            let channel = endpoint.connect().await?;
            let mut client = HealthClient::new(channel);
            let response = client.check(HealthCheckRequest { service: args.service.clone() }).await?;
            anyhow::Ok(response.into_inner().status())
        };
        tokio::time::timeout(timeout, check).await.unwrap_or_else(|_| anyhow::bail!("no answer within {timeout:?}"))
    });
    match status {
        Ok(ServingStatus::Serving) => {
            println!("SERVING");
            Ok(ExitCode::SUCCESS)
        }
        Ok(other) => {
            println!("{}", other.as_str_name());
            Ok(ExitCode::FAILURE)
        }
        Err(error) => {
            println!("UNREACHABLE: {error:#}");
            Ok(ExitCode::FAILURE)
        }
    }
}
