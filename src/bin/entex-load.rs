//! entex-load: a load generator for a running entex server.
//!
//! Drives `Extract` over loopback at a fixed concurrency (each concurrent
//! caller on its own HTTP/2 connection), either as fast as the server
//! answers (closed loop) or at a fixed request rate (`--rate`, open loop:
//! latency counts from when a request was *due*, so a stalled server cannot
//! hide its queue). Reports requests/s, documents/s, MB/s of document text
//! (MB = 10^6 bytes), latency percentiles (p50, p90, p99, p99.9, max) and,
//! with `--server-pid`, the server's CPU time (user + system, from
//! `/proc/PID/stat`) and resident memory (`VmRSS`: at start, the highest
//! sample, at end).
//!
//! Modes:
//! - `batch`: every request holds documents (the seed news articles, in
//!   order, cycled) totalling `--batch-bytes` (64 KiB) of text;
//! - `single`: every request holds one document, the first `--doc-bytes`
//!   (2 KiB) of the first article.
//!
//! With `--corpus FILE` (JSON Lines, one `{"text": ...}` document a line,
//! such as the shared news corpus of `bench/corpus.sh`), requests walk the
//! corpus instead, in order and cycling, all callers taking the next one:
//! in `batch` mode consecutive whole documents packed up to `--batch-bytes`
//! (a longer document is cut at a word end), in `single` mode each document
//! cut to `--doc-bytes` at a word end. Sizes are then reported as means.
//!
//! Bounded by design: the address must be a loopback address, and a run
//! stops at `--duration` seconds (at most 600) or `--requests` requests,
//! whichever comes first; every request has a 10 s deadline.
//!
//! ```text
//! entex-load --addr 127.0.0.1:50051 --mode batch --concurrency 4 --duration 10 --server-pid PID
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use entex::proto::entex_v1::{Document, ExtractRequest, entity_extractor_client::EntityExtractorClient};
use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Batches of news documents, `--batch-bytes` of text per request.
    Batch,
    /// One document of `--doc-bytes` per request.
    Single,
}

/// Drives `Extract` on a running entex server over loopback and reports
/// throughput, latency percentiles and the server's CPU and memory.
#[derive(Debug, Parser)]
#[command(name = "entex-load", version)]
struct Args {
    /// Server address; loopback only (127.0.0.0/8 or ::1).
    #[arg(long, default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// Requests in flight at once, each caller on its own connection (1-256).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Measured seconds (after the warm-up), at most 600.
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
    /// Text bytes per request in batch mode.
    #[arg(long, default_value_t = 64 * 1024)]
    batch_bytes: usize,
    /// Document bytes in single mode.
    #[arg(long, default_value_t = 2 * 1024)]
    doc_bytes: usize,
    /// Directory of .txt news articles (default: ../shared/eval/seeds beside
    /// the crate, or ENTEX_BENCH_SEEDS).
    #[arg(long, env = "ENTEX_BENCH_SEEDS")]
    seeds: Option<PathBuf>,
    /// A JSON Lines corpus (`{"text": ...}` a line) to walk instead of the
    /// seed articles (`--seeds` is then unused).
    #[arg(long)]
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
}

/// Longest run allowed, so a mistyped duration cannot run for hours.
const MAX_DURATION_S: f64 = 600.0;
/// Per-request deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Linux reports /proc CPU times in USER_HZ, fixed at 100 by the ABI.
const USER_HZ: f64 = 100.0;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        bail!("--addr {} is not a loopback address: entex-load only drives a server on this machine", args.addr);
    }
    if !(1..=256).contains(&args.concurrency) {
        bail!("--concurrency must be 1-256, not {}", args.concurrency);
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
    let requests =
        if let Some(corpus) = &args.corpus { corpus_requests(&args, corpus)? } else { vec![documents(&args)?] };
    let requests = Arc::new(requests);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .enable_all()
        .build()
        .context("cannot start the client runtime")?;
    let report = runtime.block_on(run(&args, requests))?;
    print_report(&args, &report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report.json(&args))? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if report.errors > 0 {
        bail!("{} request(s) failed; first error: {}", report.errors, report.first_error.unwrap_or_default());
    }
    Ok(())
}

/// The documents of one request.
fn documents(args: &Args) -> anyhow::Result<Vec<Document>> {
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
    let document = |i: usize, text: String| Document { id: format!("doc-{i}"), text };
    Ok(match args.mode {
        Mode::Single => vec![document(0, cut(&articles[0], args.doc_bytes).to_owned())],
        Mode::Batch => {
            let mut docs = Vec::new();
            let mut total = 0;
            for (i, article) in articles.iter().cycle().enumerate() {
                let left = args.batch_bytes - total;
                let text = cut(article, left);
                if text.is_empty() {
                    break;
                }
                total += text.len();
                docs.push(document(i, text.to_owned()));
                if total + 64 > args.batch_bytes {
                    break;
                }
            }
            docs
        }
    })
}

/// The requests of a `--corpus` run, in corpus order (see the module doc).
fn corpus_requests(args: &Args, path: &Path) -> anyhow::Result<Vec<Vec<Document>>> {
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
    let document = |i: usize, text: &str| Document { id: format!("doc-{i}"), text: text.to_owned() };
    Ok(match args.mode {
        Mode::Single => texts.iter().enumerate().map(|(i, t)| vec![document(i, cut(t, args.doc_bytes))]).collect(),
        Mode::Batch => {
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
                batch.push(document(i, text));
            }
            if !batch.is_empty() {
                requests.push(batch);
            }
            requests
        }
    })
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

#[derive(Debug, Default)]
struct WorkerResult {
    histogram: Option<Histogram<u64>>,
    requests: u64,
    documents: u64,
    bytes: u64,
    mentions: u64,
    errors: u64,
    first_error: Option<String>,
}

struct Report {
    elapsed: Duration,
    histogram: Histogram<u64>,
    requests: u64,
    documents: u64,
    bytes: u64,
    mentions_per_request: f64,
    errors: u64,
    first_error: Option<String>,
    server: Option<ServerUsage>,
    client_cpu_s: f64,
    /// Different requests sent in turn (1 without `--corpus`).
    distinct_requests: usize,
}

struct ServerUsage {
    cpu_s: f64,
    rss_start: u64,
    rss_max: u64,
    rss_end: u64,
    threads: Option<u64>,
}

async fn connect(addr: SocketAddr) -> anyhow::Result<EntityExtractorClient<Channel>> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .with_context(|| format!("cannot connect to {addr}"))?;
    Ok(EntityExtractorClient::new(channel).max_decoding_message_size(256 << 20))
}

async fn run(args: &Args, requests: Arc<Vec<Vec<Document>>>) -> anyhow::Result<Report> {
    let mut clients = Vec::with_capacity(args.concurrency);
    for _ in 0..args.concurrency {
        clients.push(connect(args.addr).await?);
    }
    let started = Instant::now();
    let measure_from = started + Duration::from_secs_f64(args.warmup);
    let stop_at = measure_from + Duration::from_secs_f64(args.duration);
    let budget = Arc::new(AtomicU64::new(args.requests.unwrap_or(u64::MAX)));
    let stopped = Arc::new(AtomicBool::new(false));
    // The next request of `requests` to send, for all callers.
    let next = Arc::new(AtomicU64::new(0));
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
    for mut client in clients {
        let requests = requests.clone();
        let next = next.clone();
        let budget = budget.clone();
        let stopped = stopped.clone();
        let pacer = pacer.clone();
        tasks.push(tokio::spawn(async move {
            let mut result = WorkerResult {
                histogram: Some(Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")),
                ..WorkerResult::default()
            };
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
                let documents = &requests[next.fetch_add(1, Ordering::Relaxed) as usize % requests.len()];
                let mut request = tonic::Request::new(ExtractRequest { documents: documents.to_vec(), options: None });
                request.set_timeout(REQUEST_TIMEOUT);
                let outcome = client.extract(request).await;
                let latency = origin.elapsed();
                if !measured {
                    continue;
                }
                result.requests += 1;
                match outcome {
                    Ok(response) => {
                        let response = response.into_inner();
                        if response.results.len() != documents.len() {
                            result.errors += 1;
                            result.first_error.get_or_insert_with(|| {
                                format!("{} results for {} documents", response.results.len(), documents.len())
                            });
                            continue;
                        }
                        result.documents += documents.len() as u64;
                        result.bytes += documents.iter().map(|d| d.text.len() as u64).sum::<u64>();
                        result.mentions += response.results.iter().map(|r| r.mentions.len() as u64).sum::<u64>();
                        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
                        result.histogram.as_mut().expect("set above").saturating_record(micros);
                    }
                    Err(status) => {
                        result.errors += 1;
                        result.first_error.get_or_insert_with(|| format!("{}: {}", status.code(), status.message()));
                    }
                }
            }
            result
        }));
    }

    // Server usage: CPU at the start and end of the measured window, RSS
    // sampled through it.
    let pid = args.server_pid;
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_start = pid.and_then(proc_cpu_seconds);
    let client_cpu_start = proc_cpu_seconds_of("self");
    let rss_start = pid.and_then(|p| proc_status(p, "VmRSS:")).unwrap_or(0);
    let mut rss_max = rss_start;
    let sampler = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if let Some(rss) = pid.and_then(|p| proc_status(p, "VmRSS:")) {
                rss_max = rss_max.max(rss);
            }
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
    }
    let elapsed = measure_from.elapsed();
    let cpu_end = pid.and_then(proc_cpu_seconds);
    let client_cpu_s = proc_cpu_seconds_of("self").zip(client_cpu_start).map_or(0.0, |(e, s)| e - s);
    let server = pid.map(|p| {
        let rss_end = proc_status(p, "VmRSS:").unwrap_or(0);
        ServerUsage {
            cpu_s: cpu_end.zip(cpu_start).map_or(0.0, |(e, s)| e - s),
            rss_start,
            rss_max: rss_max.max(rss_end),
            rss_end,
            threads: proc_status_raw(p, "Threads:"),
        }
    });

    let mut histogram = Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds");
    let mut report = Report {
        elapsed,
        histogram: histogram.clone(),
        requests: 0,
        documents: 0,
        bytes: 0,
        mentions_per_request: 0.0,
        errors: 0,
        first_error: None,
        server,
        client_cpu_s,
        distinct_requests: requests.len(),
    };
    let mut mentions = 0;
    for r in results {
        histogram.add(r.histogram.as_ref().expect("set")).expect("same bounds");
        report.requests += r.requests;
        report.documents += r.documents;
        report.bytes += r.bytes;
        report.errors += r.errors;
        mentions += r.mentions;
        if report.first_error.is_none() {
            report.first_error = r.first_error;
        }
    }
    let ok = report.requests - report.errors;
    report.mentions_per_request = if ok > 0 { mentions as f64 / ok as f64 } else { 0.0 };
    report.histogram = histogram;
    Ok(report)
}

impl Report {
    fn percentile_ms(&self, q: f64) -> f64 {
        self.histogram.value_at_quantile(q) as f64 / 1000.0
    }

    /// Mean documents and text bytes per answered request.
    fn docs_per_request(&self) -> f64 {
        self.documents as f64 / (self.requests - self.errors).max(1) as f64
    }

    fn bytes_per_request(&self) -> f64 {
        self.bytes as f64 / (self.requests - self.errors).max(1) as f64
    }

    fn json(&self, args: &Args) -> serde_json::Value {
        let secs = self.elapsed.as_secs_f64();
        serde_json::json!({
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "corpus": args.corpus.as_ref().map(|p| p.display().to_string()),
            "distinct_requests": self.distinct_requests,
            "concurrency": args.concurrency,
            "rate": args.rate,
            "duration_s": secs,
            "docs_per_request": self.docs_per_request(),
            "bytes_per_request": self.bytes_per_request(),
            "requests": self.requests,
            "errors": self.errors,
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
        "mode {:?}, concurrency {}, {}: {} requests ({:.1} docs, {:.0} bytes each{}) in {:.2} s, {} errors",
        args.mode,
        args.concurrency,
        args.rate.map_or("closed loop".to_owned(), |rate| format!("{rate:.1} requests/s offered")),
        r.requests,
        r.docs_per_request(),
        r.bytes_per_request(),
        if r.distinct_requests > 1 {
            format!(" on average, {} different requests", r.distinct_requests)
        } else {
            String::new()
        },
        secs,
        r.errors
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
