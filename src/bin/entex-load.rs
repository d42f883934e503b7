//! entex-load: a load generator for a running entex server.
//!
//! Drives one RPC over loopback at a fixed concurrency, either as fast as
//! the server answers (closed loop) or at a fixed request rate (`--rate`,
//! open loop: latency counts from when a request was *due*, so a stalled
//! server cannot hide its queue). Reports requests/s, documents/s, MB/s of
//! document text (MB = 10^6 bytes), latency percentiles (p50, p90, p99,
//! p99.9, max) and, with `--server-pid`, the server's CPU time (user +
//! system, from `/proc/PID/stat`) and resident memory (`VmRSS`: at start,
//! the highest sample, at end).
//!
//! Modes:
//! - `batch`: every Extract request holds documents (the seed news
//!   articles, in order, cycled) totalling `--batch-bytes` (64 KiB) of text;
//! - `single`: every Extract request holds one document, the first
//!   `--doc-bytes` (2 KiB) of the first article;
//! - `stream`: every request is one ExtractStream carrying the batch's
//!   documents one per message, all answers read;
//! - `normalize`: every Normalize request holds `--names` names (16).
//!
//! Calls refused with `UNAVAILABLE` (a server shedding load) are counted
//! apart from other failures. With `--retry-attempts N`, a refused call is
//! retried as a gRPC client with the retry policy the README documents
//! would: up to N attempts in all, waiting as long as the refusal's
//! `grpc-retry-pushback-ms` says, or, without one, a random time up to
//! 50 ms × 2^(n-1), capped at 1 s, before the n-th retry.
//!
//! `--burst`: every caller sends exactly one request (with its retries),
//! all released at once after every connection is up; reports admitted and
//! refused calls apart (with their latencies), the server's peak RSS
//! (sampled every 10 ms), the latency of a single 2 KiB document before
//! the burst and one second after it, with the server's RSS then, and what a
//! caller of its own (own connection, thread and runtime; one 2 KiB call at
//! a time) gets from the server during the burst. Exits
//! non-zero if a call fails, or, with retries, is still refused at the end.
//!
//! `--report-every SECONDS`: one JSON line per interval (requests, refused,
//! failed, latency percentiles of the interval, server RSS), for soak tests.
//!
//! `--corpus FILE` (JSON Lines, one `{"text": ...}` document a line, such as
//! the shared news corpus of `bench/corpus.sh`): requests walk the corpus
//! instead of the seed articles, in order and cycling, all callers taking
//! the next one: in `batch` and `stream` modes consecutive whole documents
//! packed up to `--batch-bytes` (a longer document is cut at a word end), in
//! `single` mode each document cut to `--doc-bytes` at a word end. Sizes are
//! then reported as means.
//!
//! Bounded by design: the address must be a loopback address, and a run
//! stops at `--duration` seconds (at most 3600) or `--requests` requests,
//! whichever comes first; every request has a deadline (`--timeout`, 10 s).
//!
//! ```text
//! entex-load --addr 127.0.0.1:50051 --mode batch --concurrency 4 --duration 10 --server-pid PID
//! entex-load --addr 127.0.0.1:50051 --burst --concurrency 200 --batch-bytes 1000000 --server-pid PID
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use entex::proto::entex_v1::{
    Document, ExtractRequest, ExtractStreamRequest, NormalizeRequest, entity_extractor_client::EntityExtractorClient,
};
use hdrhistogram::Histogram;
use tonic::{
    Code, Status,
    transport::{Channel, Endpoint},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Extract: batches of news documents, `--batch-bytes` of text per request.
    Batch,
    /// Extract: one document of `--doc-bytes` per request.
    Single,
    /// ExtractStream: the batch's documents, one per message.
    Stream,
    /// Normalize: `--names` names per request.
    Normalize,
}

/// Drives one RPC on a running entex server over loopback and reports
/// throughput, latency percentiles and the server's CPU and memory.
#[derive(Debug, Parser)]
#[command(name = "entex-load", version)]
struct Args {
    /// Server address; loopback only (127.0.0.0/8 or ::1).
    #[arg(long, default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// Requests in flight at once (1-2000).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// HTTP/2 connections the callers share, round robin; default: one per
    /// caller.
    #[arg(long)]
    connections: Option<usize>,
    /// Measured seconds (after the warm-up), at most 3600.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop after this many measured requests, if that comes first.
    #[arg(long)]
    requests: Option<u64>,
    /// Unmeasured seconds before measuring (connections, caches, pool).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    #[arg(long, value_enum, default_value = "batch")]
    mode: Mode,
    /// Fixed total request rate (requests/s), spread over the callers;
    /// without it, each caller sends its next request as soon as the last
    /// one is answered.
    #[arg(long)]
    rate: Option<f64>,
    /// Text bytes per request in batch and stream modes.
    #[arg(long, default_value_t = 64 * 1024)]
    batch_bytes: usize,
    /// Document bytes in single mode.
    #[arg(long, default_value_t = 2 * 1024)]
    doc_bytes: usize,
    /// Names per request in normalize mode.
    #[arg(long, default_value_t = 16)]
    names: usize,
    /// Directory of .txt news articles (default: ../shared/eval/seeds beside
    /// the crate, or ENTEX_BENCH_SEEDS).
    #[arg(long, env = "ENTEX_BENCH_SEEDS")]
    seeds: Option<PathBuf>,
    /// A JSON Lines corpus (`{"text": ...}` a line) to walk instead of the
    /// seed articles (Extract modes: batch, single, stream).
    #[arg(long, value_name = "FILE")]
    corpus: Option<PathBuf>,
    /// The server's process id, to report its CPU and memory.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Client runtime threads (the client shares the machine with the
    /// server; one thread keeps its footprint small).
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Per-request deadline, seconds (sent as grpc-timeout).
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Attempts per call, the first included (1-5): a call refused with
    /// UNAVAILABLE is retried after a randomised exponential backoff.
    #[arg(long, default_value_t = 1)]
    retry_attempts: u32,
    /// One request per caller, all at once; see the crate doc.
    #[arg(long)]
    burst: bool,
    /// Print one JSON line of interval figures every this many seconds.
    #[arg(long)]
    report_every: Option<f64>,
}

/// Longest run allowed, so a mistyped duration cannot run for hours (a soak
/// runs for 30 minutes).
const MAX_DURATION_S: f64 = 3600.0;
/// Most concurrent callers: a burst of 1,000 calls, with room.
const MAX_CONCURRENCY: usize = 2000;
/// gRPC retry policies allow at most 5 attempts (gRFC A6).
const MAX_ATTEMPTS: u32 = 5;
/// The retry backoff of the documented policy: the n-th retry waits a
/// random time up to min(INITIAL × 2^(n-1), MAX).
const RETRY_INITIAL_BACKOFF: Duration = Duration::from_millis(50);
const RETRY_MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Sequential 2 KiB calls that measure latency before and after a burst.
const PROBE_CALLS: usize = 20;
/// Pause between the 2 KiB calls of the caller that runs through a burst:
/// enough calls to measure, too few to add load.
const DURING_PROBE_PAUSE: Duration = Duration::from_millis(5);
/// Linux reports /proc CPU times in USER_HZ, fixed at 100 by the ABI.
const USER_HZ: f64 = 100.0;

/// Names for normalize mode: canonical names, variants and misses.
const NAMES: &[&str] = &[
    "Hezbollah",
    "hizbollah",
    "Kataib Hezbollah",
    "Quds Forse",
    "IRGC",
    "Islamic Revolutionary Guard Corps",
    "Houthis",
    "Ansar Allah",
    "Asa'ib Ahl al-Haq",
    "Badr Organization",
    "Hamas",
    "Beirut",
    "Tehran",
    "Reuters",
    "Nobody In Particular",
    "Zzyzx Holdings",
];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        bail!("--addr {} is not a loopback address: entex-load only drives a server on this machine", args.addr);
    }
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        bail!("--concurrency must be 1-{MAX_CONCURRENCY}, not {}", args.concurrency);
    }
    if args.connections.is_some_and(|c| !(1..=args.concurrency).contains(&c)) {
        bail!("--connections must be 1-{} (the concurrency)", args.concurrency);
    }
    if !(args.duration > 0.0 && args.duration <= MAX_DURATION_S) {
        bail!("--duration must be in (0, {MAX_DURATION_S}] seconds, not {}", args.duration);
    }
    if !(0.0..=60.0).contains(&args.warmup) {
        bail!("--warmup must be 0-60 seconds");
    }
    if let Some(rate) = args.rate
        && !(rate > 0.0 && rate <= 1e6)
    {
        bail!("--rate must be in (0, 1e6] requests/s");
    }
    if !(args.timeout > 0.0 && args.timeout <= 600.0) {
        bail!("--timeout must be in (0, 600] seconds");
    }
    if !(1..=MAX_ATTEMPTS).contains(&args.retry_attempts) {
        bail!("--retry-attempts must be 1-{MAX_ATTEMPTS}");
    }
    if args.report_every.is_some_and(|s| s.is_nan() || s < 0.1) {
        bail!("--report-every must be at least 0.1 seconds");
    }
    if args.burst && (args.rate.is_some() || args.requests.is_some()) {
        bail!("--burst sends one request per caller: no --rate or --requests");
    }
    let work = Arc::new(works(&args)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .context("cannot start the client runtime")?;
    if args.burst {
        let report = runtime.block_on(burst(&args, work))?;
        report.print();
        if let Some(path) = &args.json {
            std::fs::write(path, serde_json::to_string_pretty(&report.json(&args))? + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if report.failed > 0 {
            bail!("{} admitted call(s) failed; first error: {}", report.failed, report.first_error.unwrap_or_default());
        }
        // With retries, a call still refused after its last attempt failed.
        if args.retry_attempts > 1 && report.refused > 0 {
            bail!("{} call(s) still refused after {} attempts", report.refused, args.retry_attempts);
        }
        return Ok(());
    }
    let report = runtime.block_on(run(&args, work))?;
    print_report(&args, &report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json(&args))? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let errors = report.refused + report.failed;
    if errors > 0 {
        bail!(
            "{errors} request(s) failed ({} refused with UNAVAILABLE{}); first error: {}",
            report.refused,
            if args.retry_attempts > 1 { format!(" after {} attempts", args.retry_attempts) } else { String::new() },
            report.first_error.unwrap_or_default()
        );
    }
    Ok(())
}

/// What one request carries.
#[derive(Debug, Clone)]
enum Work {
    Extract(Vec<Document>),
    Stream(Vec<Document>),
    Normalize(Vec<String>),
}

impl Work {
    fn documents(&self) -> usize {
        match self {
            Work::Extract(d) | Work::Stream(d) => d.len(),
            Work::Normalize(_) => 0,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Work::Extract(d) | Work::Stream(d) => d.iter().map(|d| d.text.len()).sum(),
            Work::Normalize(names) => names.iter().map(String::len).sum(),
        }
    }
}

fn articles(args: &Args) -> anyhow::Result<Vec<String>> {
    let dir = args.seeds.clone().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/seeds"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read the seed articles in {} (set --seeds)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    let articles: Vec<String> = paths
        .iter()
        .map(|p| std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display())))
        .collect::<Result<_, _>>()?;
    if articles.is_empty() {
        bail!("no .txt article in {}", dir.display());
    }
    Ok(articles)
}

/// The requests to send, in turn: one, or with `--corpus` the corpus's.
fn works(args: &Args) -> anyhow::Result<Requests> {
    if let Some(path) = &args.corpus {
        return corpus_requests(args, path).map(Requests);
    }
    let articles = articles(args)?;
    Ok(Requests(vec![match args.mode {
        Mode::Single => Work::Extract(vec![document(0, cut(&articles[0], args.doc_bytes).to_owned())]),
        Mode::Batch => Work::Extract(batch(&articles, args.batch_bytes)),
        Mode::Stream => Work::Stream(batch(&articles, args.batch_bytes)),
        Mode::Normalize => Work::Normalize(NAMES.iter().cycle().take(args.names).map(|n| (*n).to_owned()).collect()),
    }]))
}

/// The requests of a `--corpus` run, in corpus order (see the module doc).
fn corpus_requests(args: &Args, path: &Path) -> anyhow::Result<Vec<Work>> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).with_context(|| format!("cannot read the corpus {}", path.display()))?;
    let mut texts = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{}:{}: not JSON", path.display(), i + 1))?;
        let Some(text) = value.get("text").and_then(|t| t.as_str()) else {
            bail!("{}:{}: no \"text\" string", path.display(), i + 1);
        };
        texts.push(text.to_owned());
    }
    if texts.is_empty() {
        bail!("no document in {}", path.display());
    }
    let packed = || {
        let mut requests = Vec::new();
        let mut batch: Vec<Document> = Vec::new();
        let mut total = 0;
        for (i, text) in texts.iter().enumerate() {
            if total + text.len() > args.batch_bytes && !batch.is_empty() {
                requests.push(std::mem::take(&mut batch));
                total = 0;
            }
            let text = cut(text, args.batch_bytes);
            total += text.len();
            batch.push(document(i, text.to_owned()));
        }
        if !batch.is_empty() {
            requests.push(batch);
        }
        requests
    };
    Ok(match args.mode {
        Mode::Single => texts
            .iter()
            .enumerate()
            .map(|(i, t)| Work::Extract(vec![document(i, cut(t, args.doc_bytes).to_owned())]))
            .collect(),
        Mode::Batch => packed().into_iter().map(Work::Extract).collect(),
        Mode::Stream => packed().into_iter().map(Work::Stream).collect(),
        Mode::Normalize => bail!("--corpus holds documents: use it with --mode batch, single or stream"),
    })
}

/// The requests of a run, sent in turn (all callers taking the next one).
#[derive(Debug)]
struct Requests(Vec<Work>);

impl Requests {
    /// The `n`-th request to send (cycling).
    fn get(&self, n: u64) -> &Work {
        &self.0[(n % self.0.len() as u64) as usize]
    }

    fn mean_documents(&self) -> f64 {
        self.0.iter().map(Work::documents).sum::<usize>() as f64 / self.0.len() as f64
    }

    fn mean_bytes(&self) -> f64 {
        self.0.iter().map(Work::bytes).sum::<usize>() as f64 / self.0.len() as f64
    }
}

fn document(i: usize, text: String) -> Document {
    Document { id: format!("doc-{i}"), text }
}

/// Documents (the articles, in order, cycled) totalling `bytes` of text.
fn batch(articles: &[String], bytes: usize) -> Vec<Document> {
    let mut docs = Vec::new();
    let mut total = 0;
    for (i, article) in articles.iter().cycle().enumerate() {
        let left = bytes - total;
        let text = cut(article, left);
        if text.is_empty() {
            break;
        }
        total += text.len();
        docs.push(document(i, text.to_owned()));
        if total + 64 > bytes {
            break;
        }
    }
    docs
}

/// `text` cut to at most `max` bytes at the last whitespace that fits.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let end = text[..end].rfind(char::is_whitespace).unwrap_or(end);
    &text[..end]
}

/// What one answered call brought back.
struct Answer {
    documents: u64,
    mentions: u64,
}

/// One call, one attempt.
async fn call_once(
    client: &mut EntityExtractorClient<Channel>,
    work: &Work,
    timeout: Duration,
) -> Result<Answer, Status> {
    let check_count = |got: usize, sent: usize| {
        if got == sent { Ok(()) } else { Err(Status::internal(format!("{got} results for {sent} documents"))) }
    };
    match work {
        Work::Extract(documents) => {
            let mut request = tonic::Request::new(ExtractRequest { documents: documents.to_vec(), options: None });
            request.set_timeout(timeout);
            let response = client.extract(request).await?.into_inner();
            check_count(response.results.len(), documents.len())?;
            let mentions = response.results.iter().map(|r| r.mentions.len() as u64).sum();
            Ok(Answer { documents: documents.len() as u64, mentions })
        }
        Work::Stream(documents) => {
            let messages: Vec<ExtractStreamRequest> =
                documents.iter().map(|d| ExtractStreamRequest { document: Some(d.clone()), options: None }).collect();
            let mut request = tonic::Request::new(tokio_stream::iter(messages));
            request.set_timeout(timeout);
            let mut responses = client.extract_stream(request).await?.into_inner();
            let (mut answered, mut mentions) = (0usize, 0u64);
            while let Some(response) = responses.message().await? {
                answered += 1;
                mentions += response.result.map_or(0, |r| r.mentions.len() as u64);
            }
            check_count(answered, documents.len())?;
            Ok(Answer { documents: answered as u64, mentions })
        }
        Work::Normalize(names) => {
            let mut request = tonic::Request::new(NormalizeRequest { names: names.clone(), options: None });
            request.set_timeout(timeout);
            let response = client.normalize(request).await?.into_inner();
            if response.resolutions.len() != names.len() {
                return Err(Status::internal(format!(
                    "{} resolutions for {} names",
                    response.resolutions.len(),
                    names.len()
                )));
            }
            Ok(Answer { documents: 0, mentions: 0 })
        }
    }
}

/// One call under the retry policy: the outcome of its last attempt, and
/// how many retries it took.
async fn call(
    client: &mut EntityExtractorClient<Channel>,
    work: &Work,
    timeout: Duration,
    attempts: u32,
    random: &mut Random,
) -> (Result<Answer, Status>, u64) {
    let (mut retries, mut backoffs) = (0, 0);
    loop {
        let outcome = call_once(client, work, timeout).await;
        match &outcome {
            Err(status) if status.code() == Code::Unavailable && retries + 1 < u64::from(attempts) => {
                retries += 1;
                // gRFC A6: the server's pushback replaces the backoff, and the
                // backoff starts over after it.
                let pushback = status
                    .metadata()
                    .get("grpc-retry-pushback-ms")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                let wait = match pushback {
                    Some(ms) => {
                        backoffs = 0;
                        Duration::from_millis(ms)
                    }
                    None => {
                        backoffs += 1;
                        let ceiling = RETRY_INITIAL_BACKOFF.saturating_mul(1 << (backoffs - 1)).min(RETRY_MAX_BACKOFF);
                        ceiling.mul_f64(random.unit())
                    }
                };
                tokio::time::sleep(wait).await;
            }
            _ => return (outcome, retries),
        }
    }
}

/// A small xorshift generator for retry jitter (no cryptography needed).
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

async fn connect(addr: SocketAddr) -> anyhow::Result<Channel> {
    Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("cannot connect to {addr}"))
}

/// A client per caller, over `--connections` shared channels.
async fn clients(args: &Args) -> anyhow::Result<Vec<EntityExtractorClient<Channel>>> {
    let connections = args.connections.unwrap_or(args.concurrency);
    let mut channels = Vec::with_capacity(connections);
    for _ in 0..connections {
        channels.push(connect(args.addr).await?);
    }
    Ok((0..args.concurrency)
        .map(|i| EntityExtractorClient::new(channels[i % connections].clone()).max_decoding_message_size(256 << 20))
        .collect())
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

fn micros(latency: Duration) -> u64 {
    u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1)
}

#[derive(Debug, Default)]
struct WorkerResult {
    histogram: Option<Histogram<u64>>,
    requests: u64,
    documents: u64,
    bytes: u64,
    mentions: u64,
    refused: u64,
    failed: u64,
    retries: u64,
    first_error: Option<String>,
}

/// Figures of the current `--report-every` interval, shared by the callers.
struct Interval {
    histogram: Histogram<u64>,
    requests: u64,
    refused: u64,
    failed: u64,
    retries: u64,
}

struct Report {
    elapsed: Duration,
    histogram: Histogram<u64>,
    requests: u64,
    documents: u64,
    bytes: u64,
    mentions_per_request: f64,
    refused: u64,
    failed: u64,
    retries: u64,
    first_error: Option<String>,
    server: Option<ServerUsage>,
    client_cpu_s: f64,
    docs_per_request: f64,
    bytes_per_request: f64,
}

struct ServerUsage {
    cpu_s: f64,
    rss_start: u64,
    rss_max: u64,
    rss_end: u64,
    threads: Option<u64>,
}

async fn run(args: &Args, work: Arc<Requests>) -> anyhow::Result<Report> {
    // The next request to send, for all callers.
    let next = Arc::new(AtomicU64::new(0));
    let clients = clients(args).await?;
    let started = Instant::now();
    let measure_from = started + Duration::from_secs_f64(args.warmup);
    let stop_at = measure_from + Duration::from_secs_f64(args.duration);
    let budget = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    let stopped = Arc::new(AtomicBool::new(false));
    let timeout = Duration::from_secs_f64(args.timeout);
    let interval =
        Arc::new(Mutex::new(Interval { histogram: histogram(), requests: 0, refused: 0, failed: 0, retries: 0 }));
    // At a fixed rate, one OS thread hands out the due times: tokio's timer
    // has millisecond resolution, too coarse to pace sub-millisecond
    // intervals, while a thread's sleep is precise to tens of microseconds.
    // A caller that is behind takes the next due time at once; its latency
    // still counts from that due time.
    let pacer = args.rate.map(|rate| {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Instant>(1 << 16);
        let interval = Duration::from_secs_f64(1.0 / rate);
        std::thread::spawn(move || {
            let mut due = started;
            while due < stop_at {
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if sender.blocking_send(due).is_err() {
                    break;
                }
                due += interval;
            }
        });
        Arc::new(tokio::sync::Mutex::new(receiver))
    });

    let mut tasks = Vec::with_capacity(args.concurrency);
    for (index, mut client) in clients.into_iter().enumerate() {
        let work = work.clone();
        let next = next.clone();
        let budget = budget.clone();
        let stopped = stopped.clone();
        let pacer = pacer.clone();
        let interval = interval.clone();
        let attempts = args.retry_attempts;
        tasks.push(tokio::spawn(async move {
            let mut random = Random::new(index as u64 + 1);
            let mut result = WorkerResult { histogram: Some(histogram()), ..WorkerResult::default() };
            loop {
                let due = match &pacer {
                    Some(receiver) => match receiver.lock().await.recv().await {
                        Some(due) => Some(due),
                        None => break,
                    },
                    None => None,
                };
                let now = Instant::now();
                if now >= stop_at || stopped.load(Ordering::Relaxed) {
                    break;
                }
                let measured = now >= measure_from;
                if measured && budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1)).is_err()
                {
                    stopped.store(true, Ordering::Relaxed);
                    break;
                }
                // Open loop: latency counts from when the request was due.
                let origin = due.unwrap_or(now);
                let request = work.get(next.fetch_add(1, Ordering::Relaxed));
                let (outcome, retries) = call(&mut client, request, timeout, attempts, &mut random).await;
                let latency = origin.elapsed();
                if !measured {
                    continue;
                }
                result.requests += 1;
                result.retries += retries;
                let mut shared = interval.lock().expect("no panic while held");
                shared.requests += 1;
                shared.retries += retries;
                match outcome {
                    Ok(answer) => {
                        result.documents += answer.documents;
                        result.bytes += request.bytes() as u64;
                        result.mentions += answer.mentions;
                        result.histogram.as_mut().expect("set above").saturating_record(micros(latency));
                        shared.histogram.saturating_record(micros(latency));
                    }
                    Err(status) => {
                        if status.code() == Code::Unavailable {
                            result.refused += 1;
                            shared.refused += 1;
                        } else {
                            result.failed += 1;
                            shared.failed += 1;
                        }
                        result.first_error.get_or_insert_with(|| format!("{}: {}", status.code(), status.message()));
                    }
                }
            }
            result
        }));
    }

    // Server usage: CPU at the start and end of the measured window, RSS
    // sampled through it; interval lines when asked.
    let pid = args.server_pid;
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_start = pid.and_then(proc_cpu_seconds);
    let client_cpu_start = proc_cpu_seconds_of("self");
    let rss_start = pid.and_then(|p| proc_status(p, "VmRSS:")).unwrap_or(0);
    let rss_max = AtomicU64::new(rss_start);
    let sampler = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if let Some(rss) = pid.and_then(|p| proc_status(p, "VmRSS:")) {
                rss_max.fetch_max(rss, Ordering::Relaxed);
            }
        }
    };
    let reporter = async {
        let Some(every) = args.report_every else { return std::future::pending().await };
        let mut ticker = tokio::time::interval_at(
            (measure_from + Duration::from_secs_f64(every)).into(),
            Duration::from_secs_f64(every),
        );
        loop {
            ticker.tick().await;
            let figures = {
                let mut shared = interval.lock().expect("no panic while held");
                let figures = serde_json::json!({
                    "t_s": (measure_from.elapsed().as_secs_f64() * 10.0).round() / 10.0,
                    "mode": format!("{:?}", args.mode).to_lowercase(),
                    "requests": shared.requests,
                    "refused": shared.refused,
                    "failed": shared.failed,
                    "retries": shared.retries,
                    "latency_ms": {
                        "p50": shared.histogram.value_at_quantile(0.5) as f64 / 1000.0,
                        "p99": shared.histogram.value_at_quantile(0.99) as f64 / 1000.0,
                        "max": shared.histogram.max() as f64 / 1000.0,
                    },
                    "server_rss_bytes": pid.and_then(|p| proc_status(p, "VmRSS:")),
                });
                shared.histogram.reset();
                (shared.requests, shared.refused, shared.failed, shared.retries) = (0, 0, 0, 0);
                figures
            };
            println!("{figures}");
        }
    };
    let mut results = Vec::with_capacity(tasks.len());
    let joined = async {
        for task in tasks {
            results.push(task.await.expect("load task panicked"));
        }
    };
    tokio::select! {
        () = joined => {}
        () = sampler => unreachable!("the sampler never ends"),
        () = reporter => unreachable!("the reporter never ends"),
    }
    let elapsed = measure_from.elapsed();
    let cpu_end = pid.and_then(proc_cpu_seconds);
    let client_cpu_s = proc_cpu_seconds_of("self").zip(client_cpu_start).map_or(0.0, |(e, s)| e - s);
    let server = pid.map(|p| {
        let rss_end = proc_status(p, "VmRSS:").unwrap_or(0);
        ServerUsage {
            cpu_s: cpu_end.zip(cpu_start).map_or(0.0, |(e, s)| e - s),
            rss_start,
            rss_max: rss_max.load(Ordering::Relaxed).max(rss_end),
            rss_end,
            threads: proc_status_raw(p, "Threads:"),
        }
    });

    let mut histogram = histogram();
    let mut report = Report {
        elapsed,
        histogram: histogram.clone(),
        requests: 0,
        documents: 0,
        bytes: 0,
        mentions_per_request: 0.0,
        refused: 0,
        failed: 0,
        retries: 0,
        first_error: None,
        server,
        client_cpu_s,
        docs_per_request: work.mean_documents(),
        bytes_per_request: work.mean_bytes(),
    };
    let mut mentions = 0;
    for r in results {
        histogram.add(r.histogram.as_ref().expect("set")).expect("same bounds");
        report.requests += r.requests;
        report.documents += r.documents;
        report.bytes += r.bytes;
        report.refused += r.refused;
        report.failed += r.failed;
        report.retries += r.retries;
        mentions += r.mentions;
        if report.first_error.is_none() {
            report.first_error = r.first_error;
        }
    }
    let ok = report.requests - report.refused - report.failed;
    report.mentions_per_request = if ok > 0 { mentions as f64 / ok as f64 } else { 0.0 };
    report.histogram = histogram;
    Ok(report)
}

impl Report {
    fn percentile_ms(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }

    fn json(&self, args: &Args) -> serde_json::Value {
        let secs = self.elapsed.as_secs_f64();
        serde_json::json!({
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "concurrency": args.concurrency,
            "rate": args.rate,
            "duration_s": secs,
            "docs_per_request": self.docs_per_request,
            "bytes_per_request": self.bytes_per_request,
            "requests": self.requests,
            "errors": self.refused + self.failed,
            "refused": self.refused,
            "failed": self.failed,
            "retries": self.retries,
            "retry_attempts": args.retry_attempts,
            "requests_per_s": self.requests as f64 / secs,
            "docs_per_s": self.documents as f64 / secs,
            "mb_per_s": self.bytes as f64 / secs / 1e6,
            "mentions_per_request": self.mentions_per_request,
            "latency_ms": {
                "p50": self.percentile_ms(0.50),
                "p90": self.percentile_ms(0.90),
                "p99": self.percentile_ms(0.99),
                "p999": self.percentile_ms(0.999),
                "max": self.histogram.max() as f64 / 1000.0,
                "mean": self.histogram.mean() / 1000.0,
            },
            "client_cpu_s": self.client_cpu_s,
            "server": self.server.as_ref().map(|s| serde_json::json!({
                "cpu_s": s.cpu_s,
                "cpu_cores": s.cpu_s / secs,
                "rss_start_bytes": s.rss_start,
                "rss_max_bytes": s.rss_max,
                "rss_end_bytes": s.rss_end,
                "threads": s.threads,
            })),
        })
    }
}

fn print_report(args: &Args, r: &Report) {
    let secs = r.elapsed.as_secs_f64();
    println!(
        "mode {:?}, concurrency {}, {}: {} requests ({:.1} docs, {:.0} bytes each) in {:.2} s, {} refused (UNAVAILABLE), {} failed, {} retries",
        args.mode,
        args.concurrency,
        args.rate.map_or("closed loop".to_owned(), |rate| format!("{rate:.1} requests/s offered")),
        r.requests,
        r.docs_per_request,
        r.bytes_per_request,
        secs,
        r.refused,
        r.failed,
        r.retries
    );
    println!(
        "throughput: {:.1} requests/s, {:.1} documents/s, {:.2} MB/s; {:.1} mentions per request",
        r.requests as f64 / secs,
        r.documents as f64 / secs,
        r.bytes as f64 / secs / 1e6,
        r.mentions_per_request
    );
    println!(
        "latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        r.percentile_ms(0.5),
        r.percentile_ms(0.9),
        r.percentile_ms(0.99),
        r.percentile_ms(0.999),
        r.histogram.max() as f64 / 1000.0
    );
    if let Some(s) = &r.server {
        println!(
            "server: cpu {:.2} s ({:.2} cores); rss {:.1} MiB at start, {:.1} MiB max, {:.1} MiB at end",
            s.cpu_s,
            s.cpu_s / secs,
            s.rss_start as f64 / 1048576.0,
            s.rss_max as f64 / 1048576.0,
            s.rss_end as f64 / 1048576.0
        );
    }
    println!("client: cpu {:.2} s ({:.2} cores)", r.client_cpu_s, r.client_cpu_s / secs);
}

/// The figures of one `--burst`.
struct BurstReport {
    calls: usize,
    ok: u64,
    /// Refused with UNAVAILABLE on their last attempt.
    refused: u64,
    failed: u64,
    retries: u64,
    first_error: Option<String>,
    ok_latency: Histogram<u64>,
    refused_latency: Histogram<u64>,
    /// The 2 KiB calls of a caller of its own during the burst.
    during_ok: Histogram<u64>,
    during_refused: Histogram<u64>,
    /// From the release of the burst to its last answer.
    elapsed: Duration,
    docs_per_request: f64,
    bytes_per_request: f64,
    rss_before: Option<u64>,
    rss_peak: Option<u64>,
    rss_after_1s: Option<u64>,
    probe_before: Histogram<u64>,
    probe_after: Histogram<u64>,
}

/// Milliseconds of a latency histogram: p50, p99, max.
fn summary(h: &Histogram<u64>) -> serde_json::Value {
    if h.is_empty() {
        return serde_json::Value::Null;
    }
    serde_json::json!({
        "p50": h.value_at_quantile(0.5) as f64 / 1000.0,
        "p99": h.value_at_quantile(0.99) as f64 / 1000.0,
        "max": h.max() as f64 / 1000.0,
    })
}

impl BurstReport {
    fn json(&self, args: &Args) -> serde_json::Value {
        serde_json::json!({
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "burst_calls": self.calls,
            "connections": args.connections.unwrap_or(args.concurrency),
            "docs_per_request": self.docs_per_request,
            "bytes_per_request": self.bytes_per_request,
            "ok": self.ok,
            "refused": self.refused,
            "failed": self.failed,
            "retries": self.retries,
            "retry_attempts": args.retry_attempts,
            "first_error": self.first_error,
            "elapsed_ms": self.elapsed.as_secs_f64() * 1e3,
            "ok_latency_ms": summary(&self.ok_latency),
            "refused_latency_ms": summary(&self.refused_latency),
            "caller_during_burst": {
                "ok": self.during_ok.len(),
                "refused": self.during_refused.len(),
                "ok_latency_ms": summary(&self.during_ok),
                "refused_latency_ms": summary(&self.during_refused),
            },
            "server_rss_bytes": {
                "before": self.rss_before,
                "peak": self.rss_peak,
                "after_1s": self.rss_after_1s,
            },
            "probe_2kib_ms": {
                "before": summary(&self.probe_before),
                "after_1s": summary(&self.probe_after),
            },
        })
    }

    fn print(&self) {
        let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let mib = |b: Option<u64>| b.map_or("?".to_owned(), |b| format!("{:.1}", b as f64 / 1048576.0));
        println!(
            "burst: {} calls of {:.1} docs, {:.0} bytes each: {} ok, {} refused (UNAVAILABLE), {} failed, {} retries; last answer {:.0} ms after the release",
            self.calls,
            self.docs_per_request,
            self.bytes_per_request,
            self.ok,
            self.refused,
            self.failed,
            self.retries,
            self.elapsed.as_secs_f64() * 1e3
        );
        if !self.ok_latency.is_empty() {
            println!(
                "admitted latency ms: p50 {:.1}  p99 {:.1}  max {:.1}",
                ms(&self.ok_latency, 0.5),
                ms(&self.ok_latency, 0.99),
                self.ok_latency.max() as f64 / 1000.0
            );
        }
        if !self.refused_latency.is_empty() {
            println!(
                "refused latency ms: p50 {:.2}  p99 {:.2}  max {:.2}",
                ms(&self.refused_latency, 0.5),
                ms(&self.refused_latency, 0.99),
                self.refused_latency.max() as f64 / 1000.0
            );
        }
        if !self.during_refused.is_empty() || !self.during_ok.is_empty() {
            println!(
                "a caller of its own during the burst, 2 KiB calls: {} refused (ms p50 {:.2}  p99 {:.2}  max {:.2}), {} ok",
                self.during_refused.len(),
                ms(&self.during_refused, 0.5),
                ms(&self.during_refused, 0.99),
                self.during_refused.max() as f64 / 1000.0,
                self.during_ok.len()
            );
        }
        println!(
            "server rss MiB: {} before, {} peak, {} one second after",
            mib(self.rss_before),
            mib(self.rss_peak),
            mib(self.rss_after_1s)
        );
        println!(
            "2 KiB call ms (p50 / max of {PROBE_CALLS}): {:.3} / {:.3} before, {:.3} / {:.3} one second after",
            ms(&self.probe_before, 0.5),
            self.probe_before.max() as f64 / 1000.0,
            ms(&self.probe_after, 0.5),
            self.probe_after.max() as f64 / 1000.0
        );
    }
}

/// `PROBE_CALLS` sequential Extract calls of one 2 KiB document.
async fn probe(client: &mut EntityExtractorClient<Channel>, document: &Document) -> anyhow::Result<Histogram<u64>> {
    let mut latencies = histogram();
    let work = Work::Extract(vec![document.clone()]);
    for _ in 0..PROBE_CALLS {
        let started = Instant::now();
        call_once(client, &work, Duration::from_secs(10)).await.context("a 2 KiB probe call failed")?;
        latencies.saturating_record(micros(started.elapsed()));
    }
    Ok(latencies)
}

async fn burst(args: &Args, work: Arc<Requests>) -> anyhow::Result<BurstReport> {
    let pid = args.server_pid;
    let rss = move || pid.and_then(|p| proc_status(p, "VmRSS:"));
    let articles = articles(args)?;
    let probe_document = document(0, cut(&articles[0], 2 * 1024).to_owned());
    let mut probe_client = EntityExtractorClient::new(connect(args.addr).await?);
    // Warm the probe's connection and the server, then measure idle latency.
    probe(&mut probe_client, &probe_document).await?;
    let probe_before = probe(&mut probe_client, &probe_document).await?;
    let clients = clients(args).await?;
    let rss_before = rss();

    let timeout = Duration::from_secs_f64(args.timeout);
    let attempts = args.retry_attempts;
    let (release, released) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::with_capacity(clients.len());
    for (index, mut client) in clients.into_iter().enumerate() {
        let work = work.clone();
        let mut released = released.clone();
        tasks.push(tokio::spawn(async move {
            let mut random = Random::new(index as u64 + 1);
            let _ = released.wait_for(|go| *go).await;
            let started = Instant::now();
            let request = work.get(index as u64);
            let (outcome, retries) = call(&mut client, request, timeout, attempts, &mut random).await;
            (outcome.map(|_| ()), started.elapsed(), retries)
        }));
    }
    // A caller of its own through the burst: one 2 KiB call at a time on its
    // own connection, OS thread and runtime, so that what it measures is the
    // server's answer, not the burst's own callers queueing in this client.
    let burst_over = Arc::new(AtomicBool::new(false));
    let during = {
        let (addr, document, over) = (args.addr, probe_document.clone(), burst_over.clone());
        let mut released = released.clone();
        std::thread::spawn(move || -> anyhow::Result<(Histogram<u64>, Histogram<u64>)> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async move {
                let mut client = EntityExtractorClient::new(connect(addr).await?);
                let work = Work::Extract(vec![document]);
                let (mut ok, mut refused) = (histogram(), histogram());
                let _ = released.wait_for(|go| *go).await;
                while !over.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    match call_once(&mut client, &work, Duration::from_secs(10)).await {
                        Ok(_) => ok.saturating_record(micros(started.elapsed())),
                        Err(status) if status.code() == Code::Unavailable => {
                            refused.saturating_record(micros(started.elapsed()))
                        }
                        Err(status) => bail!("a call during the burst failed: {status}"),
                    }
                    tokio::time::sleep(DURING_PROBE_PAUSE).await;
                }
                Ok((ok, refused))
            })
        })
    };
    let peak = AtomicU64::new(rss_before.unwrap_or(0));
    let started = Instant::now();
    let _ = release.send(true);
    let sampler = async {
        loop {
            if let Some(now) = rss() {
                peak.fetch_max(now, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let mut outcomes = Vec::with_capacity(tasks.len());
    let joined = async {
        for task in tasks {
            outcomes.push(task.await.expect("burst task panicked"));
        }
    };
    tokio::select! {
        () = joined => {}
        () = sampler => unreachable!("the sampler never ends"),
    }
    let elapsed = started.elapsed();
    burst_over.store(true, Ordering::Relaxed);
    let (during_ok, during_refused) = during.join().expect("the probe thread does not panic")?;
    if let Some(now) = rss() {
        peak.fetch_max(now, Ordering::Relaxed);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after_1s = rss();
    let probe_after = probe(&mut probe_client, &probe_document).await?;

    let mut report = BurstReport {
        calls: outcomes.len(),
        ok: 0,
        refused: 0,
        failed: 0,
        retries: 0,
        first_error: None,
        ok_latency: histogram(),
        refused_latency: histogram(),
        during_ok,
        during_refused,
        elapsed,
        docs_per_request: work.mean_documents(),
        bytes_per_request: work.mean_bytes(),
        rss_before,
        rss_peak: pid.map(|_| peak.load(Ordering::Relaxed)),
        rss_after_1s,
        probe_before,
        probe_after,
    };
    for (outcome, latency, retries) in outcomes {
        report.retries += retries;
        match outcome {
            Ok(()) => {
                report.ok += 1;
                report.ok_latency.saturating_record(micros(latency));
            }
            Err(status) if status.code() == Code::Unavailable => {
                report.refused += 1;
                report.refused_latency.saturating_record(micros(latency));
            }
            Err(status) => {
                report.failed += 1;
                report.first_error.get_or_insert_with(|| format!("{}: {}", status.code(), status.message()));
            }
        }
    }
    Ok(report)
}

/// User + system CPU seconds of a process, from `/proc/<pid>/stat`.
fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    proc_cpu_seconds_of(&pid.to_string())
}

fn proc_cpu_seconds_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / USER_HZ)
}

fn proc_status_raw(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// A `kB` field of `/proc/<pid>/status`, in bytes.
fn proc_status(pid: u32, field: &str) -> Option<u64> {
    proc_status_raw(pid, field).map(|kib| kib * 1024)
}
