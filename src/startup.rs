//! Building and running the server: bind first (so port 0 works and a test
//! knows every address before it sends anything), then serve until a
//! shutdown signal, then drain.
//!
//! # What runs
//!
//! - the gRPC server: `entex.v1.EntityExtractor`, `grpc.health.v1.Health`,
//!   reflection v1 and v1alpha, and `entex.v1.DictionaryAdmin` when an admin
//!   token is set and no admin address (otherwise its calls are
//!   `UNIMPLEMENTED`, saying where it is or how to turn it on); TLS (optionally mutual) when
//!   configured; every RPC measured ([`crate::metrics`]); EntityExtractor
//!   calls admitted within the budgets of [`crate::admission`];
//! - the admin server on `--admin-listen`, when set;
//! - the metrics endpoint on `--metrics-listen`, when set;
//! - dictionary reloads on SIGHUP and, with `--watch`, on file changes.
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
use tokio::{net::TcpListener, sync::watch};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::{
    admission::Budget,
    catalog::Catalog,
    config::{ServeArgs, TlsArgs},
    dictionary::Dictionary,
    metrics::{GrpcMetricsLayer, Metrics},
    proto::{
        FILE_DESCRIPTOR_SET,
        entex_v1::{dictionary_admin_server::DictionaryAdminServer, entity_extractor_server::EntityExtractorServer},
    },
    reload::Reloader,
    service::{
        ExtractorService,
        admin::{self, AdminService},
        status::DecodeErrorStatusLayer,
    },
    workers::Workers,
};

/// The fully qualified name health reports the service under.
pub const SERVICE_NAME: &str = "entex.v1.EntityExtractor";

/// A bound, not yet serving, server.
pub struct Application {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    admin_listener: Option<TcpListener>,
    settings: ServeArgs,
    catalog: Arc<Catalog>,
    workers: Arc<Workers>,
    metrics: Arc<Metrics>,
    reloader: Arc<Reloader>,
}

impl Application {
    /// Binds every configured address and prepares the worker pool; serves
    /// nothing until [`Application::run_until_stopped`].
    ///
    /// # Errors
    ///
    /// Invalid settings, an address that cannot be bound, unreadable TLS
    /// files, or a worker pool that cannot start.
    pub async fn build(settings: ServeArgs, dictionary: Arc<Dictionary>) -> anyhow::Result<Self> {
        settings.validate().map_err(anyhow::Error::msg).context("invalid configuration")?;
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))
        };
        let listener = bind(settings.listen).await?;
        let metrics_listener = match settings.metrics_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        let admin_listener = match settings.admin_listen {
            Some(addr) => Some(bind(addr).await?),
            None => None,
        };
        // Fail at start, not at the first connection, on bad TLS files.
        tls_config(&settings.tls)?;
        let workers = Arc::new(Workers::new(settings.workers).context("cannot start the worker pool")?);
        let metrics = Metrics::new();
        metrics.record_initial_load(dictionary.info());
        let catalog = Arc::new(Catalog::new(dictionary));
        let reloader = Arc::new(Reloader::new(catalog.clone(), metrics.clone(), settings.dictionary.origin()));
        Ok(Self { listener, metrics_listener, admin_listener, settings, catalog, workers, metrics, reloader })
    }

    /// The gRPC address actually bound (with the real port when 0 was asked).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The metrics address actually bound, if metrics are on.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().map(|l| l.local_addr().expect("bound"))
    }

    /// The admin address actually bound, if it has its own.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_listener.as_ref().map(|l| l.local_addr().expect("bound"))
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.clone()
    }

    pub fn reloader(&self) -> Arc<Reloader> {
        self.reloader.clone()
    }

    /// Serves until `shutdown` completes, then drains (see the module doc).
    ///
    /// # Errors
    ///
    /// When reflection or TLS cannot be built or a server fails.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { listener, metrics_listener, admin_listener, settings, catalog, workers, metrics, reloader } = self;
        let addr = listener.local_addr()?;
        let limits = settings.limits.clone();
        let tls = tls_config(&settings.tls)?;

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

        let budget = Budget::new(&limits, metrics.clone());
        let extractor = budget.admit(
            EntityExtractorServer::new(ExtractorService::new(
                catalog.clone(),
                limits.clone(),
                workers.clone(),
                metrics.clone(),
            ))
            .max_decoding_message_size(limits.max_request_bytes)
            // Responses carry the request's text back in mention spans; allow
            // the same order of size, with room for the mention fields.
            .max_encoding_message_size(limits.max_request_bytes.saturating_mul(4)),
        );
        let admin = DictionaryAdminServer::new(AdminService::new(reloader.clone(), settings.admin_token.clone()));
        let admin_on_main = settings.admin_token.is_some() && admin_listener.is_none();
        // Without administration here, DictionaryAdmin calls still get an
        // answer that says where it is or how to turn it on.
        let admin_here = if admin_on_main {
            admin.clone()
        } else if admin_listener.is_some() {
            DictionaryAdminServer::new(AdminService::not_served_here(admin::ON_ADMIN_ADDRESS))
        } else {
            DictionaryAdminServer::new(AdminService::not_served_here(admin::HOW_TO_ENABLE))
        };

        set_serving(&health, ServingStatus::Serving).await;
        {
            let dictionary = catalog.snapshot();
            let info = dictionary.info();
            tracing::info!(
                %addr,
                tls = tls.is_some(),
                mutual_tls = settings.tls.tls_client_ca.is_some(),
                metrics_addr = ?metrics_listener.as_ref().and_then(|l| l.local_addr().ok()),
                admin_addr = ?admin_listener.as_ref().and_then(|l| l.local_addr().ok()),
                admin_on_main,
                workers = workers.threads(),
                max_concurrent_calls = limits.max_concurrent_calls,
                max_bytes_in_flight = limits.max_bytes_in_flight,
                dictionary_version = %info.version,
                entities = info.entity_count,
                aliases = info.alias_count,
                "serving"
            );
        }

        // One "stopping" signal for every listener, raised after the drain delay.
        let (stopping_tx, stopping_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let drain_delay = settings.drain_delay();
        let draining_health = health.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!(drain_delay_s = drain_delay.as_secs_f64(), "shutdown requested; health is NOT_SERVING");
            set_serving(&draining_health, ServingStatus::NotServing).await;
            tokio::time::sleep(drain_delay).await;
            tracing::info!("no longer accepting connections; draining in-flight requests");
            let _ = stopping_tx.send(true);
        });

        let background = spawn_reload_triggers(&settings, &reloader);
        if let Some(listener) = metrics_listener {
            let signal = stopped(stopping_rx.clone());
            let metrics = metrics.clone();
            tokio::spawn(async move {
                if let Err(error) = crate::metrics::serve(listener, metrics, signal).await {
                    tracing::error!(%error, "metrics endpoint failed");
                }
            });
        }
        if let Some(listener) = admin_listener {
            let mut builder = Server::builder();
            if let Some(tls) = tls.clone() {
                builder = builder.tls_config(tls).context("invalid TLS configuration")?;
            }
            let server = builder
                .layer(GrpcMetricsLayer::new(metrics.clone()))
                .add_service(admin.clone())
                .serve_with_incoming_shutdown(no_delay(listener), stopped(stopping_rx.clone()));
            tokio::spawn(async move {
                if let Err(error) = server.await {
                    tracing::error!(%error, "admin server failed");
                }
            });
        }

        let mut builder = Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).context("invalid TLS configuration")?;
        }
        let router = builder
            .layer(GrpcMetricsLayer::new(metrics.clone()))
            .layer(DecodeErrorStatusLayer)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(extractor)
            .add_service(admin_here);
        let server = router.serve_with_incoming_shutdown(no_delay(listener), stopped(stopping_rx.clone()));
        tokio::pin!(server);

        let shutdown_timeout = settings.shutdown_timeout();
        let outcome = tokio::select! {
            result = &mut server => result.context("server failed"),
            () = async {
                stopped(stopping_rx.clone()).await;
                tokio::time::sleep(shutdown_timeout).await;
            } => {
                tracing::warn!(timeout_s = shutdown_timeout.as_secs_f64(), "in-flight requests did not finish in time; exiting anyway");
                Ok(())
            }
        };
        for task in background {
            task.abort();
        }
        tracing::info!("stopped");
        outcome
    }
}

/// Accepted connections with Nagle's algorithm off: a gRPC response is
/// small writes (headers, message, trailers), and with Nagle on, each waits
/// for the peer's delayed ACK, some 40 ms per request on Linux.
fn no_delay(
    listener: TcpListener,
) -> impl tokio_stream::Stream<Item = std::io::Result<tokio::net::TcpStream>> + Send + 'static {
    tokio_stream::StreamExt::map(TcpListenerStream::new(listener), |accepted| {
        let stream = accepted?;
        stream.set_nodelay(true)?;
        Ok(stream)
    })
}

/// SIGHUP (always) and file watching (`--watch`) both reload.
fn spawn_reload_triggers(settings: &ServeArgs, reloader: &Arc<Reloader>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(mut hangups) => {
            let reloader = reloader.clone();
            tasks.push(tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    reloader.reload("SIGHUP").await;
                }
            }));
        }
        Err(error) => tracing::error!(%error, "cannot listen for SIGHUP; reload by SIGHUP is off"),
    }
    if settings.watch {
        tasks.push(tokio::spawn(reloader.clone().watch(settings.watch_interval())));
    }
    tasks
}

/// The rustls server configuration the TLS flags ask for, if any.
///
/// # Errors
///
/// When a certificate, key or CA file cannot be read.
fn tls_config(tls: &TlsArgs) -> anyhow::Result<Option<ServerTlsConfig>> {
    let (Some(cert), Some(key)) = (&tls.tls_cert, &tls.tls_key) else { return Ok(None) };
    let read = |path: &std::path::Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let mut config = ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
    if let Some(ca) = &tls.tls_client_ca {
        config = config.client_ca_root(Certificate::from_pem(read(ca)?));
    }
    Ok(Some(config))
}

async fn set_serving(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    health.set_service_status(SERVICE_NAME, status).await;
}
