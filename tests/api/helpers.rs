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

pub fn docs(documents: &[(&str, &str)]) -> Vec<pb::Document> {
    documents.iter().map(|(id, text)| pb::Document { id: (*id).into(), text: (*text).into() }).collect()
}

/// The default app: embedded dictionary, default limits.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, None).await
}

/// An app with adjusted settings and, optionally, a dictionary of its own.
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeArgs), dictionary: Option<Dictionary>) -> TestApp {
    init_logs();
    let mut settings = ServeArgs::for_address("127.0.0.1:0".parse().unwrap());
    settings.workers = 2;
    configure(&mut settings);
    let dictionary = dictionary.unwrap_or_else(default_dictionary);
    let app = Application::build(settings, dictionary).await.expect("app builds");
    let addr = app.local_addr();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.expect("connects");
    let client = EntityExtractorClient::new(channel).max_decoding_message_size(64 << 20);
    TestApp { addr, client, shutdown: Some(tx), server: Some(server) }
}

pub fn default_dictionary() -> Dictionary {
    dictionary::load(&[] as &[&str], true).expect("default dictionary loads")
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
