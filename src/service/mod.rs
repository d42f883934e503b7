//! The gRPC edge: `entex.v1.EntityExtractor`. Each handler decodes and
//! checks the request ([`convert`]), takes one dictionary snapshot, runs the
//! domain call on the worker pool, and encodes the result; errors become
//! statuses in one place ([`status`]).
//!
//! Every request is logged once, in its own span, with its RPC, sizes,
//! mention count, latency and dictionary version, and never with the text
//! of a document or name.

pub mod admin;
pub mod codec;
pub mod convert;
pub mod status;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use rayon::prelude::*;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, field::Empty, info_span};

use crate::{
    catalog::Catalog,
    config::Limits,
    metrics::Metrics,
    proto::entex_v1::{self as pb, entity_extractor_server::EntityExtractor},
    telemetry::join_caller_trace,
    workers::{JobPanicked, Workers},
};
use status::{RequestError, inbound_status};

/// The `EntityExtractor` service.
#[derive(Debug, Clone)]
pub struct ExtractorService {
    catalog: Arc<Catalog>,
    limits: Limits,
    workers: Arc<Workers>,
    metrics: Arc<Metrics>,
}

impl ExtractorService {
    pub fn new(catalog: Arc<Catalog>, limits: Limits, workers: Arc<Workers>, metrics: Arc<Metrics>) -> Self {
        Self { catalog, limits, workers, metrics }
    }
}

impl From<JobPanicked> for RequestError {
    fn from(_: JobPanicked) -> Self {
        RequestError::Internal("matching failed; the error was logged")
    }
}

fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}

/// One document's work in an ExtractStream, in stream order.
enum StreamItem {
    Pending { result: oneshot::Receiver<Result<pb::DocumentResult, JobPanicked>>, version: String, bytes: usize },
    Failed(Status),
}

#[tonic::async_trait]
impl EntityExtractor for ExtractorService {
    async fn extract(&self, request: Request<pb::ExtractRequest>) -> Result<Response<pb::ExtractResponse>, Status> {
        let started = Instant::now();
        let (metadata, _, message) = request.into_parts();
        let pb::ExtractRequest { documents, options } = message;
        let bytes: usize = documents.iter().map(|d| d.text.len()).sum();
        let span = info_span!("extract", documents = documents.len(), bytes, mentions = Empty, version = Empty);
        join_caller_trace(&span, &metadata);
        async move {
            if let Err(error) = convert::check_documents(&documents, &self.limits) {
                tracing::info!(error = %error, "request refused");
                return Err(error.into());
            }
            let dictionary = self.catalog.snapshot();
            let options = match convert::extract_options(options, &dictionary) {
                Ok(options) => options,
                Err(error) => {
                    tracing::info!(error = %error, "request refused");
                    return Err(error.into());
                }
            };
            let version = dictionary.info().version.clone();
            let results = self
                .workers
                .run(move || {
                    documents.par_iter().map(|d| convert::document_result(&dictionary, d, &options)).collect::<Vec<_>>()
                })
                .await
                .map_err(RequestError::from)?;
            let mentions: usize = results.iter().map(|r| r.mentions.len()).sum();
            self.metrics.documents.inc_by(results.len() as u64);
            self.metrics.document_bytes.inc_by(bytes as u64);
            self.metrics.mentions.inc_by(mentions as u64);
            let span = tracing::Span::current();
            span.record("mentions", mentions);
            span.record("version", version.as_str());
            tracing::info!(latency_ms = millis(started.elapsed()), "served");
            Ok(Response::new(pb::ExtractResponse { results, dictionary_version: version }))
        }
        .instrument(span)
        .await
    }

    type ExtractStreamStream = ReceiverStream<Result<pb::ExtractStreamResponse, Status>>;

    async fn extract_stream(
        &self,
        request: Request<Streaming<pb::ExtractStreamRequest>>,
    ) -> Result<Response<Self::ExtractStreamStream>, Status> {
        let (metadata, _, mut inbound) = request.into_parts();
        // Backpressure: the reader may run at most `window` documents ahead of
        // what the client has accepted; the response channel holds one more.
        let (queue_tx, mut queue_rx) = mpsc::channel::<StreamItem>(self.limits.stream_window);
        let (out_tx, out_rx) = mpsc::channel(1);
        let span = info_span!("extract_stream", documents = Empty, bytes = Empty, mentions = Empty);
        join_caller_trace(&span, &metadata);

        let (catalog, workers, limits) = (self.catalog.clone(), self.workers.clone(), self.limits.clone());
        let metrics = self.metrics.clone();
        tokio::spawn(
            async move {
                let mut index = 0usize;
                loop {
                    let item = match inbound.message().await {
                        Ok(None) => break,
                        Err(status) => StreamItem::Failed(inbound_status(status)),
                        Ok(Some(pb::ExtractStreamRequest { document, options })) => match document {
                            None => StreamItem::Failed(RequestError::MissingDocument { index }.into()),
                            Some(document) => match convert::check_document(index, &document, &limits) {
                                Err(error) => StreamItem::Failed(error.into()),
                                Ok(()) => {
                                    let dictionary = catalog.snapshot();
                                    match convert::extract_options(options, &dictionary) {
                                        Err(error) => StreamItem::Failed(error.into()),
                                        Ok(options) => {
                                            let version = dictionary.info().version.clone();
                                            let bytes = document.text.len();
                                            let result = workers.spawn(move || {
                                                convert::document_result(&dictionary, &document, &options)
                                            });
                                            StreamItem::Pending { result, version, bytes }
                                        }
                                    }
                                }
                            },
                        },
                    };
                    let failed = matches!(item, StreamItem::Failed(_));
                    if queue_tx.send(item).await.is_err() || failed {
                        break;
                    }
                    index += 1;
                }
            }
            .instrument(span.clone()),
        );

        tokio::spawn(
            async move {
                let started = Instant::now();
                let (mut documents, mut bytes, mut mentions) = (0usize, 0usize, 0usize);
                while let Some(item) = queue_rx.recv().await {
                    let response = match item {
                        StreamItem::Failed(status) => Err(status),
                        StreamItem::Pending { result, version, bytes: doc_bytes } => {
                            match result.await.unwrap_or(Err(JobPanicked)) {
                                Ok(result) => {
                                    documents += 1;
                                    bytes += doc_bytes;
                                    mentions += result.mentions.len();
                                    metrics.documents.inc();
                                    metrics.document_bytes.inc_by(doc_bytes as u64);
                                    metrics.mentions.inc_by(result.mentions.len() as u64);
                                    Ok(pb::ExtractStreamResponse { result: Some(result), dictionary_version: version })
                                }
                                Err(panicked) => Err(RequestError::from(panicked).into()),
                            }
                        }
                    };
                    let failed = response.as_ref().err().map(|s: &Status| s.code());
                    if out_tx.send(response).await.is_err() {
                        tracing::info!("client went away");
                        break;
                    }
                    if let Some(code) = failed {
                        tracing::info!(code = ?code, "stream ended with an error");
                        break;
                    }
                }
                let span = tracing::Span::current();
                span.record("documents", documents);
                span.record("bytes", bytes);
                span.record("mentions", mentions);
                tracing::info!(latency_ms = millis(started.elapsed()), "served");
            }
            .instrument(span),
        );
        Ok(Response::new(ReceiverStream::new(out_rx)))
    }

    async fn normalize(
        &self,
        request: Request<pb::NormalizeRequest>,
    ) -> Result<Response<pb::NormalizeResponse>, Status> {
        let started = Instant::now();
        let (metadata, _, message) = request.into_parts();
        let pb::NormalizeRequest { names, options } = message;
        let span = info_span!("normalize", names = names.len(), resolved = Empty, version = Empty);
        join_caller_trace(&span, &metadata);
        async move {
            if let Err(error) = convert::check_names(&names, &self.limits) {
                tracing::info!(error = %error, "request refused");
                return Err(error.into());
            }
            let dictionary = self.catalog.snapshot();
            let options = match convert::resolve_options(options, &dictionary) {
                Ok(options) => options,
                Err(error) => {
                    tracing::info!(error = %error, "request refused");
                    return Err(error.into());
                }
            };
            self.metrics.names.inc_by(names.len() as u64);
            let version = dictionary.info().version.clone();
            let resolutions = self
                .workers
                .run(move || {
                    names
                        .into_iter()
                        .map(|name| {
                            let resolution = dictionary.resolve(&name, &options);
                            convert::resolution(&dictionary, name, resolution)
                        })
                        .collect::<Vec<_>>()
                })
                .await
                .map_err(RequestError::from)?;
            let span = tracing::Span::current();
            span.record("resolved", resolutions.iter().filter(|r| r.entity.is_some()).count());
            span.record("version", version.as_str());
            tracing::info!(latency_ms = millis(started.elapsed()), "served");
            Ok(Response::new(pb::NormalizeResponse { resolutions, dictionary_version: version }))
        }
        .instrument(span)
        .await
    }

    async fn get_dictionary_info(
        &self,
        request: Request<pb::GetDictionaryInfoRequest>,
    ) -> Result<Response<pb::GetDictionaryInfoResponse>, Status> {
        let pb::GetDictionaryInfoRequest {} = request.into_inner();
        let dictionary = self.catalog.snapshot();
        Ok(Response::new(convert::dictionary_info(dictionary.info())))
    }
}
