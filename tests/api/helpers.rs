//! `spawn_app`: build the real application on 127.0.0.1:0, serve it in the
//! background, and hand back typed clients. Build binds before serving, so
//! the address is known before any request is sent: no sleeps, no retries.

use std::{
    io::Write,
    net::SocketAddr,
    process::Command,
    sync::{Arc, Mutex, OnceLock},
};

use entex::{
    config::ServeArgs,
    dictionary::{self, Dictionary},
    proto::entex_v1::{self as pb, entity_extractor_client::EntityExtractorClient},
    startup::Application,
};
use tokio::{sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

/// Every log line the test binary's servers wrote (JSON, one event a line).
pub static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs, once per test binary, a JSON subscriber that captures logs.
fn init_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = SharedWriter(buffer.clone());
        let subscriber =
            entex::telemetry::subscriber(entex::config::LogFormat::Json, "info", move || writer.clone()).unwrap();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buffer
    });
}

pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.get().expect("logs initialised").lock().unwrap()).into_owned()
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    pub admin_addr: Option<SocketAddr>,
    pub client: EntityExtractorClient<Channel>,
    shutdown: Option<oneshot::Sender<()>>,
    pub server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.endpoint()).unwrap().connect().await.unwrap()
    }

    pub async fn health(&self) -> HealthClient<Channel> {
        HealthClient::new(self.channel().await)
    }

    /// Triggers the shutdown signal (as SIGTERM would).
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Extracts from `(id, text)` documents with no options.
    pub async fn extract(&self, documents: &[(&str, &str)]) -> pb::ExtractResponse {
        let request = pb::ExtractRequest { documents: docs(documents), options: None };
        self.client.clone().extract(request).await.expect("extract").into_inner()
    }
}

/// Scrapes the app's metrics endpoint with a plain HTTP/1.0 GET.
pub async fn scrape(app: &TestApp) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.metrics_addr.expect("metrics are on");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default()
}

/// The value of one sample (`name{labels}`, exactly as exposed), or 0.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

pub fn docs(documents: &[(&str, &str)]) -> Vec<pb::Document> {
    documents.iter().map(|(id, text)| pb::Document { id: (*id).into(), text: (*text).into() }).collect()
}

/// The default app: embedded dictionary, default limits.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, None).await
}

/// An app with adjusted settings and, optionally, a dictionary of its own.
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeArgs), dictionary: Option<Dictionary>) -> TestApp {
    let dictionary = dictionary.map(Arc::new);
    init_logs();
    let mut settings = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
    settings.workers = 2;
    configure(&mut settings);
    // Built outside the runtime's worker: it takes seconds in debug builds.
    let dictionary = match dictionary {
        Some(dictionary) => dictionary,
        None => tokio::task::spawn_blocking(default_dictionary).await.unwrap(),
    };
    let app = Application::build(settings, dictionary).await.expect("app builds");
    let addr = app.local_addr();
    let (metrics_addr, admin_addr) = (app.metrics_addr(), app.admin_addr());
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.expect("connects");
    let client = EntityExtractorClient::new(channel).max_decoding_message_size(64 << 20);
    TestApp { addr, metrics_addr, admin_addr, client, shutdown: Some(tx), server: Some(server) }
}

/// Starts an app whose transport the plain client cannot speak (TLS) and
/// returns its address; it stops when the test process ends.
pub async fn spawn_app_without_client(configure: impl FnOnce(&mut ServeArgs)) -> SocketAddr {
    init_logs();
    let mut settings = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
    settings.workers = 1;
    configure(&mut settings);
    let app = Application::build(settings, default_dictionary()).await.expect("app builds");
    let addr = app.local_addr();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    addr
}

/// The default dictionary, built once per test process (seconds in a debug
/// build) and shared by every app that does not bring its own.
pub fn default_dictionary() -> Arc<Dictionary> {
    static DEFAULT: OnceLock<Arc<Dictionary>> = OnceLock::new();
    DEFAULT.get_or_init(|| Arc::new(dictionary::load(&[], true).expect("default dictionary loads"))).clone()
}

/// Whether an external tool is on PATH; under `CI=true` a missing tool is a
/// failure (CI installs it), elsewhere the caller skips with a message.
pub fn require_tool(tool: &str, version_arg: &str) -> bool {
    let found = Command::new(tool).arg(version_arg).output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{tool} is required under CI=true (.ci/run installs it)");
        eprintln!("SKIPPED: {tool} is not on PATH (install it to run this test; CI does)");
    }
    found
}

/// Reads a child `entex serve --log-format json` log until its "serving"
/// event and returns the address it reports.
pub fn serving_addr(stderr: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    while stderr.read_line(&mut line).unwrap() > 0 {
        if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line)
            && event["message"] == "serving"
            && let Some(addr) = event["addr"].as_str()
        {
            return addr.to_owned();
        }
        line.clear();
    }
    panic!("the server ended its log without a \"serving\" event");
}
