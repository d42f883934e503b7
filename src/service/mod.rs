//! The gRPC edge: `entex.v1.EntityExtractor`. Each handler decodes and
//! checks the request ([`convert`]), takes one dictionary snapshot, runs the
//! domain call on the worker pool, and encodes the result; errors become
//! statuses in one place ([`status`]).
//!
//! Every request is logged once, in its own span, with its RPC, sizes,
//! mention count, latency and dictionary version, and never with the text
//! of a document or name.
//!
//! A call whose deadline ([`Deadline`], from `grpc-timeout`) has passed, or
//! whose client has gone, is not matched: its worker jobs check before each
//! document ([`Watch`]), so queued work is dropped and running work stops at
//! the next document; an ExtractStream ends with `DEADLINE_EXCEEDED` at its
//! deadline. Each such call is counted in `entex_abandoned_calls_total`.

pub mod admin;
pub mod codec;
pub mod convert;
pub mod status;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use rayon::prelude::*;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, field::Empty, info_span};

use crate::{
    admission::{CallTicket, Deadline},
    catalog::Catalog,
    config::Limits,
    dictionary::Dictionary,
    matcher::ExtractOptions,
    metrics::{Abandoned, Metrics},
    proto::entex_v1::{self as pb, entity_extractor_server::EntityExtractor},
    telemetry::join_caller_trace,
    workers::{JobPanicked, Watch, Workers},
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

/// One document's work in an ExtractStream, in stream order; `None` as the
/// result: the call was over before the document was matched.
enum StreamItem {
    Pending {
        result: oneshot::Receiver<Result<Option<pb::DocumentResult>, JobPanicked>>,
        version: String,
        bytes: usize,
    },
    Failed(Status),
}

/// Matches a batch on the worker pool, checking `watch` before each
/// document. When the call is over, records the documents left unmatched and
/// returns why, with the number matched before it stopped.
fn match_batch(
    dictionary: &Dictionary,
    documents: &[pb::Document],
    options: &ExtractOptions,
    watch: &Watch<'_>,
    metrics: &Metrics,
) -> Result<Vec<pb::DocumentResult>, (Abandoned, usize)> {
    let matched = AtomicUsize::new(0);
    let results = documents
        .par_iter()
        .map(|document| {
            watch.check()?;
            let result = convert::document_result(dictionary, document, options);
            matched.fetch_add(1, Ordering::Relaxed);
            Ok(result)
        })
        .collect::<Result<Vec<_>, Abandoned>>();
    results.map_err(|why| {
        let matched = matched.into_inner();
        metrics.record_abandoned_documents(why, documents.len() - matched);
        (why, matched)
    })
}

/// What an ExtractStream records when it ends early: the call once (by
/// whichever part notices first), each unmatched document.
struct StreamAbandonment {
    metrics: Arc<Metrics>,
    recorded: AtomicBool,
}

impl StreamAbandonment {
    fn call(&self, why: Abandoned) {
        if !self.recorded.swap(true, Ordering::Relaxed) {
            self.metrics.record_abandoned_call(why);
        }
    }

    fn document(&self, why: Abandoned) {
        self.call(why);
        self.metrics.record_abandoned_documents(why, 1);
    }
}

#[tonic::async_trait]
impl EntityExtractor for ExtractorService {
    async fn extract(&self, request: Request<pb::ExtractRequest>) -> Result<Response<pb::ExtractResponse>, Status> {
        let started = Instant::now();
        let (metadata, extensions, message) = request.into_parts();
        let deadline = extensions.get::<Deadline>().map(|d| d.0);
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
            let metrics = self.metrics.clone();
            let results = self
                .workers
                .spawn_watched(deadline, move |watch| match_batch(&dictionary, &documents, &options, watch, &metrics))
                .await
                .unwrap_or(Err(JobPanicked))
                .map_err(RequestError::from)?;
            // Only the deadline can end a job this handler still waits for
            // (a call whose client went away has no handler left to answer).
            let results = results.map_err(|(why, matched)| {
                self.metrics.record_abandoned_call(why);
                tracing::info!(matched, "deadline passed; the rest of the batch was not matched");
                RequestError::DeadlineExceeded { matched }
            })?;
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
        let (metadata, extensions, mut inbound) = request.into_parts();
        let deadline = extensions.get::<Deadline>().map(|d| d.0);
        let ticket = extensions.get::<CallTicket>().cloned();
        // Backpressure: the reader may run at most `window` documents ahead of
        // what the client has accepted; the response channel holds one more.
        let (queue_tx, mut queue_rx) = mpsc::channel::<StreamItem>(self.limits.stream_window);
        let (out_tx, out_rx) = mpsc::channel(1);
        let span = info_span!("extract_stream", documents = Empty, bytes = Empty, mentions = Empty);
        join_caller_trace(&span, &metadata);

        let (catalog, workers, limits) = (self.catalog.clone(), self.workers.clone(), self.limits.clone());
        let metrics = self.metrics.clone();
        let abandonment = Arc::new(StreamAbandonment { metrics: metrics.clone(), recorded: AtomicBool::new(false) });
        let reader_abandonment = abandonment.clone();
        tokio::spawn(
            async move {
                let mut index = 0usize;
                loop {
                    // Stop reading once the writer has ended (deadline, client gone).
                    let message = tokio::select! {
                        message = inbound.message() => message,
                        () = queue_tx.closed() => break,
                    };
                    let item = match message {
                        Ok(None) => break,
                        Err(status) => StreamItem::Failed(inbound_status(status)),
                        Ok(Some(pb::ExtractStreamRequest { document, options })) => match document {
                            None => StreamItem::Failed(RequestError::MissingDocument { index }.into()),
                            Some(document) => match convert::check_document(index, &document, &limits) {
                                Err(error) => StreamItem::Failed(error.into()),
                                Ok(()) => {
                                    let dictionary = catalog.snapshot();
                                    match convert::extract_options(options, &dictionary) {
                                        // Options come with every message: say which one.
                                        Err(error) => StreamItem::Failed(
                                            RequestError::InStreamMessage { index, error: Box::new(error) }.into(),
                                        ),
                                        Ok(options) => {
                                            let version = dictionary.info().version.clone();
                                            let bytes = document.text.len();
                                            let abandonment = reader_abandonment.clone();
                                            let result = workers.spawn_watched(deadline, move |watch| {
                                                if let Err(why) = watch.check() {
                                                    abandonment.document(why);
                                                    return None;
                                                }
                                                Some(convert::document_result(&dictionary, &document, &options))
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
                let expired = async {
                    match deadline {
                        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::pin!(expired);
                loop {
                    let next = async {
                        Some(match queue_rx.recv().await? {
                            StreamItem::Failed(status) => Err(status),
                            StreamItem::Pending { result, version, bytes } => {
                                Ok((result.await.unwrap_or(Err(JobPanicked)), version, bytes))
                            }
                        })
                    };
                    let item = tokio::select! {
                        biased;
                        () = out_tx.closed() => {
                            abandonment.call(Abandoned::Cancelled);
                            tracing::info!("client went away");
                            break;
                        }
                        () = &mut expired => {
                            abandonment.call(Abandoned::Deadline);
                            tracing::info!(documents, "deadline passed; the stream ends");
                            let _ = out_tx.send(Err(RequestError::DeadlineExceeded { matched: documents }.into())).await;
                            break;
                        }
                        item = next => match item {
                            Some(item) => item,
                            None => break,
                        },
                    };
                    let response = match item {
                        Err(status) => Err(status),
                        Ok((Ok(Some(result)), version, doc_bytes)) => {
                            documents += 1;
                            bytes += doc_bytes;
                            mentions += result.mentions.len();
                            metrics.documents.inc();
                            metrics.document_bytes.inc_by(doc_bytes as u64);
                            metrics.mentions.inc_by(result.mentions.len() as u64);
                            Ok(pb::ExtractStreamResponse { result: Some(result), dictionary_version: version })
                        }
                        // Dropped by its job: the deadline passed (the next turn ends the stream).
                        Ok((Ok(None), _, _)) => {
                            if let Some(ticket) = &ticket {
                                ticket.message_answered();
                            }
                            continue;
                        }
                        Ok((Err(panicked), _, _)) => Err(RequestError::from(panicked).into()),
                    };
                    let failed = response.as_ref().err().map(|s: &Status| s.code());
                    if out_tx.send(response).await.is_err() {
                        abandonment.call(Abandoned::Cancelled);
                        tracing::info!("client went away");
                        break;
                    }
                    if let Some(ticket) = &ticket {
                        ticket.message_answered();
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
        let (metadata, extensions, message) = request.into_parts();
        let deadline = extensions.get::<Deadline>().map(|d| d.0);
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
                .spawn_watched(deadline, move |watch| {
                    // Names resolve in microseconds: one check, before the batch.
                    watch.check().ok()?;
                    let resolutions = names
                        .into_iter()
                        .map(|name| {
                            let resolution = dictionary.resolve(&name, &options);
                            convert::resolution(&dictionary, name, resolution)
                        })
                        .collect::<Vec<_>>();
                    Some(resolutions)
                })
                .await
                .unwrap_or(Err(JobPanicked))
                .map_err(RequestError::from)?
                .ok_or_else(|| {
                    self.metrics.record_abandoned_call(Abandoned::Deadline);
                    RequestError::DeadlineExceeded { matched: 0 }
                })?;
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
