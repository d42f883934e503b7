//! Admission control: a server takes on no more work than it can hold, and
//! says "not now" to the rest at once.
//!
//! # Budgets
//!
//! Two per server, over `entex.v1.EntityExtractor` only (health, reflection
//! and admin calls are never refused, so a shedding server still reports
//! SERVING and can still be reloaded):
//!
//! - **calls** (`--max-concurrent-calls`): a call holds a slot from its
//!   arrival until its response has been sent; an ExtractStream holds one
//!   while it is open.
//! - **bytes** (`--max-bytes-in-flight`): every request message holds its
//!   length plus the 5-byte gRPC prefix from the moment the prefix arrives
//!   (before the message is buffered or decoded: tonic decodes a whole
//!   message before any handler runs, so a check in a handler would come too
//!   late) until its response has been sent. A message over
//!   `--max-request-bytes` is not charged; tonic refuses it on its own.
//!
//! # Refusal
//!
//! A call with no free slot, or whose first message does not fit, is refused
//! at once with `UNAVAILABLE` and a message naming the budget and its flag;
//! nothing of it is queued, decoded or matched. A refused unary call gets a
//! trailers-only response (the status in the HTTP/2 headers), so proxies
//! that read response headers (Envoy's `retry_on: unavailable`) see it. A
//! later message of an admitted ExtractStream waits for room instead: the
//! stream has made progress a refusal would throw away, the wait is flow
//! control like HTTP/2's own, and the call's deadline bounds it.
//!
//! Each refusal carries `grpc-retry-pushback-ms` (gRFC A6): how long the
//! work ahead of the caller needs to drain at the rate this server has been
//! releasing bytes, times a random factor in [0.5, 1.5), so that the refused
//! calls of a burst come back spread over the time room frees up rather than
//! all at once. The work ahead is the admitted bytes plus the callers
//! refused in the last second or so, each counted at the mean message size:
//! they come back too, and before this one. The random factor applies after
//! the floor: refusals that all got the floor would otherwise come back in
//! one wave, and a five-attempt policy would run out before a backlog of
//! eight times the slots had drained. gRPC clients with a retry policy wait
//! that long before their next attempt instead of their own backoff.
//!
//! `UNAVAILABLE`, not `RESOURCE_EXHAUSTED`: entex already answers
//! `RESOURCE_EXHAUSTED` for a message over `--max-request-bytes`, which no
//! retry can fix, while a spent budget is transient and another replica may
//! have room. `UNAVAILABLE` is the code gRPC names for "retry, with
//! backoff", the one retry policies list (README, "Scaling out").
//!
//! # Deadlines
//!
//! The layer turns the `grpc-timeout` header into a [`Deadline`] request
//! extension, measured from the call's arrival, so handlers and worker jobs
//! stop a call whose deadline has passed ([`crate::workers::Watch`]). A call
//! whose handler is dropped unanswered
//! (client gone, or tonic's own timer at the deadline) is counted in
//! `entex_abandoned_calls_total`.
//!
//! # Memory after a burst
//!
//! When the last admitted call of a burst ends, and since the last time
//! either at least [`TRIM_AFTER_PEAK_BYTES`] were in flight at once or a
//! call was refused, the freed heap is returned to the system
//! ([`crate::reload::return_freed_memory`], on a blocking thread). The heap
//! grows with what is held at once (messages, and the transport buffers of
//! refused calls), not with the volume served, so steady traffic within the
//! budgets never triggers it.
//!
//! # Invariants
//!
//! - Bytes held never exceed `--max-bytes-in-flight` and admitted calls
//!   never exceed `--max-concurrent-calls` (tokio semaphores).
//! - Every slot and byte is given back exactly once (RAII), whether the call
//!   succeeds, fails, or its client goes away mid-way.
//! - Message bytes pass through unchanged and in order; only their timing
//!   changes, while a stream message waits for room.
//!
//! # Cost
//!
//! Per call: one semaphore acquire, two `Arc`s, one small mutex-guarded
//! queue. Per message: one semaphore acquire and one 5-byte copy; the
//! message's bytes are passed on without copying.

use std::{
    collections::VecDeque,
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};

use http_body::{Body as HttpBody, Frame};
use pin_project_lite::pin_project;
use prost::bytes::{Buf, Bytes};
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tonic::{Status, body::Body, server::NamedService};
use tower::Service;

use crate::{
    config::Limits,
    metrics::{Abandoned, Metrics},
    service::status::RequestError,
};

/// Bytes in flight at once that make a burst worth trimming after: each
/// admitted byte costs about three of heap, so 16 MiB leaves ~50 MiB of
/// garbage, twice the idle footprint. Below it, too little to matter for a
/// trim's cost (a walk over every allocator arena, and page faults when the
/// memory is used again).
pub const TRIM_AFTER_PEAK_BYTES: usize = 16 << 20;

/// How often, at most, shedding is logged (each refusal is counted in
/// metrics; a log line per refusal would flood the log in a burst).
const SHED_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// The release rate assumed before any has been measured: a two-worker
/// server answers some 65 MB/s of news text (docs/benchmarks.md); assume a
/// little less.
const DEFAULT_DRAIN_BYTES_PER_S: f64 = 50e6;

/// Bounds of a retry pushback before its random factor: no sooner than a
/// small call takes, no later than a caller's deadline is likely to allow.
/// With the factor, pushbacks run from half the floor to the ceiling.
const PUSHBACK_FLOOR: Duration = Duration::from_millis(50);
const PUSHBACK_MAX: Duration = Duration::from_secs(30);

/// How long a refused caller counts as waiting to come back: its count
/// decays by e every this long.
const WAITING_DECAY: Duration = Duration::from_secs(1);

/// Busy time over which one release-rate sample is taken: long enough to
/// span several calls' answers, short enough to follow a burst.
const RATE_SAMPLE: Duration = Duration::from_millis(100);

/// The length of the gRPC message prefix: a compression flag and a
/// big-endian u32 length.
const PREFIX_LEN: usize = 5;

/// When a call must be over, from its `grpc-timeout` header; a request
/// extension, read by the handlers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(pub Instant);

/// The two budgets of one server, shared by all its connections.
#[derive(Debug)]
pub struct Budget {
    calls: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    max_calls: usize,
    max_bytes: usize,
    /// `--max-request-bytes`: larger messages are tonic's to refuse.
    max_message: usize,
    metrics: Arc<Metrics>,
    active_calls: AtomicUsize,
    peak_since_trim: AtomicUsize,
    trimming: Arc<AtomicBool>,
    refused_unlogged: AtomicU64,
    last_shed_log: Mutex<Option<Instant>>,
    drain: Mutex<DrainRate>,
    pushbacks: AtomicU64,
}

/// How fast admitted bytes are given back, measured over busy time only (an
/// idle server releases nothing and says nothing about its speed).
#[derive(Debug)]
struct DrainRate {
    last_event: Instant,
    busy: bool,
    sample_time: Duration,
    sample_bytes: usize,
    bytes_per_s: f64,
    /// Mean size of an admitted message (moving average), the size assumed
    /// for a refused caller's.
    message_bytes: f64,
    /// Refused callers expected back (a count decaying by [`WAITING_DECAY`]),
    /// as of `waiting_at`.
    waiting: f64,
    waiting_at: Instant,
}

impl DrainRate {
    /// Accounts for the time since the last event (busy or not), then
    /// `released` bytes; `busy`: whether bytes are held after this event.
    fn record(&mut self, released: usize, busy: bool) {
        let now = Instant::now();
        if self.busy {
            self.sample_time += now - self.last_event;
            self.sample_bytes += released;
            if self.sample_time >= RATE_SAMPLE {
                let sample = self.sample_bytes as f64 / self.sample_time.as_secs_f64();
                self.bytes_per_s = if self.bytes_per_s == 0.0 { sample } else { 0.7 * self.bytes_per_s + 0.3 * sample };
                self.sample_time = Duration::ZERO;
                self.sample_bytes = 0;
            }
        }
        self.last_event = now;
        self.busy = busy;
    }

    /// A message of `bytes` was admitted.
    fn admitted(&mut self, bytes: usize) {
        let bytes = bytes as f64;
        self.message_bytes = if self.message_bytes == 0.0 { bytes } else { 0.9 * self.message_bytes + 0.1 * bytes };
    }

    /// One more caller was refused; the refused callers now expected back,
    /// this one excluded.
    fn refused(&mut self) -> f64 {
        let now = Instant::now();
        let decay = (-(now - self.waiting_at).as_secs_f64() / WAITING_DECAY.as_secs_f64()).exp();
        let ahead = self.waiting * decay;
        self.waiting = ahead + 1.0;
        self.waiting_at = now;
        ahead
    }
}

impl Budget {
    /// The budgets `limits` set, reported through `metrics`.
    pub fn new(limits: &Limits, metrics: Arc<Metrics>) -> Arc<Self> {
        metrics.admission_calls_limit.set(i64::try_from(limits.max_concurrent_calls).unwrap_or(i64::MAX));
        metrics.admission_bytes_limit.set(i64::try_from(limits.max_bytes_in_flight).unwrap_or(i64::MAX));
        Arc::new(Self {
            calls: Arc::new(Semaphore::new(limits.max_concurrent_calls)),
            bytes: Arc::new(Semaphore::new(limits.max_bytes_in_flight)),
            max_calls: limits.max_concurrent_calls,
            max_bytes: limits.max_bytes_in_flight,
            max_message: limits.max_request_bytes,
            metrics,
            active_calls: AtomicUsize::new(0),
            peak_since_trim: AtomicUsize::new(0),
            trimming: Arc::new(AtomicBool::new(false)),
            refused_unlogged: AtomicU64::new(0),
            last_shed_log: Mutex::new(None),
            drain: Mutex::new(DrainRate {
                last_event: Instant::now(),
                busy: false,
                sample_time: Duration::ZERO,
                sample_bytes: 0,
                bytes_per_s: 0.0,
                message_bytes: 0.0,
                waiting: 0.0,
                waiting_at: Instant::now(),
            }),
            pushbacks: AtomicU64::new(0),
        })
    }

    /// Wraps `service` so that its calls go through these budgets.
    pub fn admit<S>(self: &Arc<Self>, service: S) -> Admitted<S> {
        Admitted { inner: service, budget: self.clone() }
    }

    fn bytes_in_flight(&self) -> usize {
        self.max_bytes - self.bytes.available_permits()
    }

    /// A slot for a new call, or the status refusing it.
    fn admit_call(self: &Arc<Self>, method: &str) -> Result<CallSlot, Status> {
        match self.calls.clone().try_acquire_owned() {
            Ok(permit) => {
                self.active_calls.fetch_add(1, Ordering::SeqCst);
                self.metrics.admission_calls.inc();
                Ok(CallSlot { permit: Some(permit), budget: self.clone() })
            }
            Err(_) => Err(self.refuse(method, "calls", RequestError::CallsExhausted { limit: self.max_calls })),
        }
    }

    /// Room for a message of `length` bytes (its prefix says so).
    fn admit_message(self: &Arc<Self>, length: usize, first: bool, method: &str) -> MessageAdmission {
        let charge = length.saturating_add(PREFIX_LEN);
        let Ok(permits) = u32::try_from(charge) else { return MessageAdmission::Uncharged };
        if length > self.max_message {
            return MessageAdmission::Uncharged;
        }
        match self.bytes.clone().try_acquire_many_owned(permits) {
            Ok(permit) => MessageAdmission::Held(self.hold_bytes(permit, charge)),
            Err(TryAcquireError::NoPermits) if first => MessageAdmission::Refused(self.refuse(
                method,
                "bytes",
                RequestError::BytesExhausted {
                    message_bytes: charge,
                    in_flight: self.bytes_in_flight(),
                    limit: self.max_bytes,
                },
            )),
            Err(_) => MessageAdmission::Wait(Box::pin(self.bytes.clone().acquire_many_owned(permits)), charge),
        }
    }

    fn hold_bytes(self: &Arc<Self>, permit: OwnedSemaphorePermit, charge: usize) -> HeldBytes {
        self.peak_since_trim.fetch_max(self.bytes_in_flight(), Ordering::Relaxed);
        {
            let mut drain = self.drain.lock().unwrap_or_else(PoisonError::into_inner);
            drain.record(0, true);
            drain.admitted(charge);
        }
        self.metrics.admission_bytes.add(charge as i64);
        HeldBytes { permit: Some(permit), charge, budget: self.clone() }
    }

    /// A message's bytes came back.
    fn released(&self, charge: usize) {
        self.metrics.admission_bytes.sub(charge as i64);
        let busy = self.bytes_in_flight() > 0;
        self.drain.lock().unwrap_or_else(PoisonError::into_inner).record(charge, busy);
    }

    /// How long a refused caller should wait: the time the work ahead of it
    /// (the bytes in flight, and the callers refused just before it at the
    /// mean message size) needs to drain at the measured rate, at least
    /// [`PUSHBACK_FLOOR`], times a random factor in [0.5, 1.5), at most
    /// [`PUSHBACK_MAX`].
    fn pushback(&self) -> Duration {
        let (rate, waiting, message_bytes) = {
            let mut drain = self.drain.lock().unwrap_or_else(PoisonError::into_inner);
            let waiting = drain.refused();
            (drain.bytes_per_s, waiting, drain.message_bytes)
        };
        let rate = if rate > 0.0 { rate } else { DEFAULT_DRAIN_BYTES_PER_S };
        let ahead = self.bytes_in_flight() as f64 + waiting * message_bytes;
        let drain = Duration::from_secs_f64(ahead / rate).clamp(PUSHBACK_FLOOR, PUSHBACK_MAX);
        // splitmix64 of a counter and the clock: spread, not secrecy.
        let mut x = self.pushbacks.fetch_add(1, Ordering::Relaxed).wrapping_add(u64::from(
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos(),
        ));
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        let factor = 0.5 + (x >> 11) as f64 / (1u64 << 53) as f64;
        drain.mul_f64(factor).min(PUSHBACK_MAX)
    }

    /// Counts (and, at most once a second, logs) a refusal; the status for it.
    fn refuse(&self, method: &str, budget: &'static str, error: RequestError) -> Status {
        self.metrics.admission_refused.with_label_values(&[method, budget]).inc();
        // A refusal means a burst: trim once it is over.
        self.peak_since_trim.store(usize::MAX, Ordering::Relaxed);
        self.refused_unlogged.fetch_add(1, Ordering::Relaxed);
        let mut last = self.last_shed_log.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_none_or(|at| at.elapsed() >= SHED_LOG_INTERVAL) {
            *last = Some(Instant::now());
            let refused = self.refused_unlogged.swap(0, Ordering::Relaxed);
            tracing::warn!(
                refused,
                budget,
                calls_in_flight = self.active_calls.load(Ordering::Relaxed),
                calls_limit = self.max_calls,
                bytes_in_flight = self.bytes_in_flight(),
                bytes_limit = self.max_bytes,
                "shedding load: calls refused with UNAVAILABLE since the last report"
            );
        }
        let mut status: Status = error.into();
        let pushback = self.pushback().as_millis().to_string();
        if let Ok(value) = pushback.parse() {
            status.metadata_mut().insert("grpc-retry-pushback-ms", value);
        }
        status
    }

    /// A call ended. When it was the last one and the burst held enough at
    /// once to matter, return the freed memory to the system, off the runtime.
    fn call_finished(&self) {
        let still_active = self.active_calls.fetch_sub(1, Ordering::SeqCst) - 1;
        if still_active > 0 || self.peak_since_trim.load(Ordering::Relaxed) < TRIM_AFTER_PEAK_BYTES {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if self.trimming.swap(true, Ordering::SeqCst) {
            return;
        }
        self.peak_since_trim.store(0, Ordering::Relaxed);
        let (trimming, trims) = (self.trimming.clone(), self.metrics.memory_trims.clone());
        runtime.spawn_blocking(move || {
            crate::reload::return_freed_memory();
            trims.inc();
            trimming.store(false, Ordering::SeqCst);
        });
    }
}

enum MessageAdmission {
    /// Larger than `--max-request-bytes` (or than the API allows): not
    /// charged, tonic's decoder refuses it with its own status.
    Uncharged,
    Held(HeldBytes),
    Refused(Status),
    Wait(Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>, usize),
}

/// A call's slot; given back (and the trim considered) when dropped.
#[derive(Debug)]
struct CallSlot {
    permit: Option<OwnedSemaphorePermit>,
    budget: Arc<Budget>,
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        drop(self.permit.take());
        self.budget.metrics.admission_calls.dec();
        self.budget.call_finished();
    }
}

/// One message's bytes; given back when dropped.
#[derive(Debug)]
struct HeldBytes {
    permit: Option<OwnedSemaphorePermit>,
    charge: usize,
    budget: Arc<Budget>,
}

impl Drop for HeldBytes {
    fn drop(&mut self) {
        drop(self.permit.take());
        self.budget.released(self.charge);
    }
}

/// The bytes a call's messages hold, oldest first; a request extension. A
/// unary call's message is given back with the call; an ExtractStream's
/// handler gives each message back once its response is sent
/// ([`CallTicket::message_answered`]).
#[derive(Debug, Clone, Default)]
pub struct CallTicket(Arc<Mutex<VecDeque<HeldBytes>>>);

impl CallTicket {
    fn hold(&self, bytes: HeldBytes) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push_back(bytes);
    }

    /// The oldest message still held has been answered: its bytes go back
    /// to the budget.
    pub fn message_answered(&self) {
        let released = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
        drop(released);
    }
}

/// A service under the budgets ([`Budget::admit`]).
#[derive(Debug, Clone)]
pub struct Admitted<S> {
    inner: S,
    budget: Arc<Budget>,
}

impl<S: NamedService> NamedService for Admitted<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for Admitted<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        let arrived = Instant::now();
        // "/entex.v1.EntityExtractor/Extract" -> "entex.v1.EntityExtractor/Extract", as the RPC metrics label it.
        let method: Arc<str> = Arc::from(request.uri().path().trim_start_matches('/'));
        let deadline = grpc_timeout(request.headers()).and_then(|timeout| arrived.checked_add(timeout));
        let slot = match self.budget.admit_call(&method) {
            Ok(slot) => slot,
            Err(status) => return Box::pin(std::future::ready(Ok(status.into_http()))),
        };
        if let Some(deadline) = deadline {
            request.extensions_mut().insert(Deadline(deadline));
        }
        let ticket = CallTicket::default();
        request.extensions_mut().insert(ticket.clone());
        let budget = self.budget.clone();
        let request = request.map(|body| {
            Body::new(AdmittedBody {
                inner: body,
                budget,
                ticket: ticket.clone(),
                method,
                prefix: [0; PREFIX_LEN],
                prefix_filled: 0,
                remaining: 0,
                pending: Bytes::new(),
                waiting: None,
                messages: 0,
                ended: false,
            })
        });
        let response = self.inner.call(request);
        let unanswered = Unanswered { metrics: Some(self.budget.metrics.clone()), deadline };
        Box::pin(async move {
            let response = response.await?;
            unanswered.answered();
            Ok(response.map(|body| Body::new(HeldUntilSent { inner: body, _slot: slot, _ticket: ticket })))
        })
    }
}

/// Counts a call whose handler is dropped before it answers: its client went
/// away, or tonic gave up at its deadline. (A handler that answers
/// `DEADLINE_EXCEEDED` itself counts its own call.)
struct Unanswered {
    metrics: Option<Arc<Metrics>>,
    deadline: Option<Instant>,
}

impl Unanswered {
    fn answered(mut self) {
        self.metrics = None;
    }
}

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(metrics) = self.metrics.take() {
            let passed = self.deadline.is_some_and(|deadline| Instant::now() >= deadline);
            metrics.record_abandoned_call(if passed { Abandoned::Deadline } else { Abandoned::Cancelled });
        }
    }
}

pin_project! {
    /// A request body that charges each message to the byte budget when its
    /// prefix arrives and passes it on only once admitted.
    struct AdmittedBody {
        #[pin]
        inner: Body,
        budget: Arc<Budget>,
        ticket: CallTicket,
        method: Arc<str>,
        // The prefix being read, and how much of it has arrived.
        prefix: [u8; PREFIX_LEN],
        prefix_filled: usize,
        // Bytes of the current message still to pass on; 0: a prefix is next.
        remaining: usize,
        // Received, not yet passed on.
        pending: Bytes,
        // Room awaited for the message whose prefix is in `prefix`, and its charge.
        waiting: Option<(Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>, usize)>,
        messages: usize,
        ended: bool,
    }
}

impl HttpBody for AdmittedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let mut this = self.project();
        loop {
            if let Some((room, charge)) = this.waiting.as_mut() {
                let permit = ready!(room.as_mut().poll(cx)).expect("the byte budget's semaphore is never closed");
                let charge = *charge;
                *this.waiting = None;
                this.ticket.hold(this.budget.hold_bytes(permit, charge));
                return Poll::Ready(Some(Ok(Frame::data(pass_prefix(
                    this.prefix,
                    this.prefix_filled,
                    this.remaining,
                )))));
            }
            if !this.pending.is_empty() {
                if *this.remaining > 0 {
                    let take = (*this.remaining).min(this.pending.len());
                    *this.remaining -= take;
                    return Poll::Ready(Some(Ok(Frame::data(this.pending.split_to(take)))));
                }
                let take = (PREFIX_LEN - *this.prefix_filled).min(this.pending.len());
                this.prefix[*this.prefix_filled..*this.prefix_filled + take].copy_from_slice(&this.pending[..take]);
                this.pending.advance(take);
                *this.prefix_filled += take;
                if *this.prefix_filled < PREFIX_LEN {
                    continue;
                }
                let length =
                    u32::from_be_bytes([this.prefix[1], this.prefix[2], this.prefix[3], this.prefix[4]]) as usize;
                let first = *this.messages == 0;
                *this.messages += 1;
                match this.budget.admit_message(length, first, this.method) {
                    MessageAdmission::Uncharged => {}
                    MessageAdmission::Held(bytes) => this.ticket.hold(bytes),
                    MessageAdmission::Refused(status) => {
                        *this.ended = true;
                        *this.pending = Bytes::new();
                        return Poll::Ready(Some(Err(status)));
                    }
                    MessageAdmission::Wait(room, charge) => {
                        *this.waiting = Some((room, charge));
                        continue;
                    }
                }
                return Poll::Ready(Some(Ok(Frame::data(pass_prefix(
                    this.prefix,
                    this.prefix_filled,
                    this.remaining,
                )))));
            }
            if *this.ended {
                return Poll::Ready(None);
            }
            match ready!(this.inner.as_mut().poll_frame(cx)) {
                None => {
                    *this.ended = true;
                    // A truncated prefix: pass it on, so tonic reports the truncation.
                    if *this.prefix_filled > 0 {
                        let partial = Bytes::copy_from_slice(&this.prefix[..*this.prefix_filled]);
                        *this.prefix_filled = 0;
                        return Poll::Ready(Some(Ok(Frame::data(partial))));
                    }
                    return Poll::Ready(None);
                }
                Some(Err(status)) => return Poll::Ready(Some(Err(status))),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => *this.pending = data,
                    Err(other) => return Poll::Ready(Some(Ok(other))),
                },
            }
        }
    }
}

/// The admitted prefix, passed on; the message's bytes follow.
fn pass_prefix(prefix: &[u8; PREFIX_LEN], filled: &mut usize, remaining: &mut usize) -> Bytes {
    *filled = 0;
    *remaining = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]) as usize;
    Bytes::copy_from_slice(prefix)
}

pin_project! {
    /// A response body that holds the call's slot and bytes until it has
    /// been sent (or dropped, when the client goes away).
    struct HeldUntilSent {
        #[pin]
        inner: Body,
        _slot: CallSlot,
        _ticket: CallTicket,
    }
}

impl HttpBody for HeldUntilSent {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The `grpc-timeout` header (gRPC over HTTP/2: at most 8 digits and a unit
/// of H, M, S, m, u or n); `None` when absent or malformed.
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_follows_the_spec() {
        let parse = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", value.parse().unwrap());
            grpc_timeout(&headers)
        };
        let rows: &[(&str, Option<Duration>)] = &[
            ("1H", Some(Duration::from_secs(3600))),
            ("2M", Some(Duration::from_secs(120))),
            ("10S", Some(Duration::from_secs(10))),
            ("250m", Some(Duration::from_millis(250))),
            ("99999999u", Some(Duration::from_micros(99_999_999))),
            ("1n", Some(Duration::from_nanos(1))),
            ("123456789S", None),
            ("S", None),
            ("10s", None),
            ("-1S", None),
            ("", None),
        ];
        for (value, expected) in rows {
            assert_eq!(parse(value), *expected, "{value:?}");
        }
        assert_eq!(grpc_timeout(&http::HeaderMap::new()), None);
    }
}

#[cfg(test)]
mod pushback_tests {
    use super::*;

    fn millis(budget: &Budget) -> Vec<u128> {
        (0..56).map(|_| budget.pushback().as_millis()).collect()
    }

    /// The refusals of a burst come back spread out, later the longer the
    /// line of refused callers ahead of them, and never all in one wave.
    #[test]
    fn a_burst_of_refusals_is_told_to_come_back_spread_out() {
        // 64 KiB calls at the default drain rate: 56 refused callers are
        // ~75 ms of work; the floor (50 ms) alone would say 50 ms to each.
        let burst = || {
            let budget = Budget::new(&Limits::default(), Metrics::new());
            budget.drain.lock().unwrap().admitted(64 << 10);
            millis(&budget)
        };
        let waits = burst();
        assert!(waits.iter().all(|&ms| (25..=30_000).contains(&ms)), "{waits:?}");
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 20, "pushbacks bunched together: {waits:?}");
        assert!(*waits.iter().max().unwrap() >= 75, "no pushback beyond the floor: {waits:?}");
        // Later refusals wait longer on average. The random factor makes
        // one burst's first and last eight overlap now and then (about 1 in
        // 100 bursts), so over eight bursts: the means' gap (~20 ms) is
        // then over 6 standard deviations.
        let bursts: Vec<Vec<u128>> = (0..8).map(|_| burst()).collect();
        let mean = |range: std::ops::Range<usize>| {
            let waits: Vec<u128> = bursts.iter().flat_map(|w| w[range.clone()].iter().copied()).collect();
            waits.iter().sum::<u128>() as f64 / waits.len() as f64
        };
        assert!(mean(48..56) > mean(0..8), "later refusals not told to wait longer: {bursts:?}");
    }

    /// Without refusals ahead and nothing in flight, the floor with its
    /// random factor: half the floor to one and a half times it.
    #[test]
    fn an_idle_server_says_the_floor() {
        let budget = Budget::new(&Limits::default(), Metrics::new());
        let ms = budget.pushback().as_millis();
        assert!((25..75).contains(&ms), "{ms} ms");
    }
}
