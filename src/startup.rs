//! Building and running the server: bind first (so port 0 works and a test
//! knows the address before it sends anything), then serve until a shutdown
//! signal, then drain.
//!
//! # Shutdown
//!
//! When the shutdown future completes: health turns NOT_SERVING (for the
//! whole server and for `entex.v1.EntityExtractor`); the server keeps serving
//! for `--drain-delay` so load balancers notice and stop routing here; then
//! it stops accepting connections, sends HTTP/2 GOAWAY, and waits up to
//! `--shutdown-timeout` for in-flight requests to finish. `run_until_stopped`
//! then returns `Ok`, and the process exits 0.

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::{
    catalog::Catalog,
    config::ServeArgs,
    dictionary::Dictionary,
    proto::{FILE_DESCRIPTOR_SET, entex_v1::entity_extractor_server::EntityExtractorServer},
    service::{ExtractorService, status::DecodeErrorStatusLayer},
    workers::Workers,
};

/// The fully qualified name health reports the service under.
pub const SERVICE_NAME: &str = "entex.v1.EntityExtractor";

/// A bound, not yet serving, server.
pub struct Application {
    listener: TcpListener,
    settings: ServeArgs,
    catalog: Arc<Catalog>,
    workers: Arc<Workers>,
}

impl Application {
    /// Binds the listen address and prepares the worker pool; serves nothing
    /// until [`Application::run_until_stopped`].
    ///
    /// # Errors
    ///
    /// Invalid settings, an address that cannot be bound, or a worker pool
    /// that cannot start.
    pub async fn build(settings: ServeArgs, dictionary: Dictionary) -> anyhow::Result<Self> {
        settings.validate().map_err(anyhow::Error::msg).context("invalid configuration")?;
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let workers = Arc::new(Workers::new(settings.workers).context("cannot start the worker pool")?);
        Ok(Self { listener, settings, catalog: Arc::new(Catalog::new(dictionary)), workers })
    }

    /// The address actually bound (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.clone()
    }

    /// Serves until `shutdown` completes, then drains (see the module doc).
    ///
    /// # Errors
    ///
    /// When reflection cannot be built or the server fails.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { listener, settings, catalog, workers } = self;
        let addr = listener.local_addr()?;
        let limits = settings.limits.clone();

        let (health, health_service) = tonic_health::server::health_reporter();
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("cannot build reflection v1")?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .context("cannot build reflection v1alpha")?;

        let extractor =
            EntityExtractorServer::new(ExtractorService::new(catalog.clone(), limits.clone(), workers.clone()))
                .max_decoding_message_size(limits.max_request_bytes)
                // Responses carry the request's text back in mention spans; allow
                // the same order of size, with room for the mention fields.
                .max_encoding_message_size(limits.max_request_bytes.saturating_mul(4));

        set_serving(&health, ServingStatus::Serving).await;
        let dictionary = catalog.snapshot();
        let info = dictionary.info();
        tracing::info!(
            %addr,
            workers = workers.threads(),
            dictionary_version = %info.version,
            entities = info.entity_count,
            aliases = info.alias_count,
            "serving"
        );
        drop(dictionary);

        let drain_delay = settings.drain_delay();
        let shutdown_timeout = settings.shutdown_timeout();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let draining_health = health.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!(drain_delay_s = drain_delay.as_secs_f64(), "shutdown requested; health is NOT_SERVING");
            set_serving(&draining_health, ServingStatus::NotServing).await;
            tokio::time::sleep(drain_delay).await;
            let _ = stop_tx.send(());
        });
        let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
        let stop_signal = async move {
            let _ = stop_rx.await;
            let _ = stopping_tx.send(true);
            tracing::info!("no longer accepting connections; draining in-flight requests");
        };

        let server = Server::builder()
            .layer(DecodeErrorStatusLayer)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(extractor)
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop_signal);
        tokio::pin!(server);

        let mut stopping = stopping_rx;
        let outcome = tokio::select! {
            result = &mut server => result.context("server failed"),
            () = async {
                let _ = stopping.wait_for(|s| *s).await;
                tokio::time::sleep(shutdown_timeout).await;
            } => {
                tracing::warn!(timeout_s = shutdown_timeout.as_secs_f64(), "in-flight requests did not finish in time; exiting anyway");
                Ok(())
            }
        };
        tracing::info!("stopped");
        outcome
    }
}

async fn set_serving(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    health.set_service_status(SERVICE_NAME, status).await;
}
