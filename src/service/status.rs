//! Request errors and the one map from them to gRPC statuses.
//!
//! Messages name the item, its size and the limit, so a caller can fix the
//! request without reading server logs ("document 3 (id \"a7\") is 2097152
//! bytes; the limit is 1048576 bytes").

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use http::{HeaderValue, Request, Response};
use tonic::{Code, Status};
use tower::{Layer, Service};

/// Why a request cannot be served.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    #[error("the request has {count} documents; the limit is {limit} per request")]
    TooManyDocuments { count: usize, limit: usize },
    #[error("document {index} (id {id:?}) is {bytes} bytes; the limit is {limit} bytes per document")]
    DocumentTooLarge { index: usize, id: String, bytes: usize, limit: usize },
    #[error("the request has {count} names; the limit is {limit} per request")]
    TooManyNames { count: usize, limit: usize },
    #[error("name {index} is {bytes} bytes; the limit is {limit} bytes per name")]
    NameTooLarge { index: usize, bytes: usize, limit: usize },
    #[error("stream message {index} has no document")]
    MissingDocument { index: usize },
    #[error("name {index} is empty")]
    EmptyName { index: usize },
    #[error(
        "{field}: entity type {value:?} is not in the loaded dictionary; its types are {}",
        known.join(", ")
    )]
    UnknownEntityType { field: &'static str, value: String, known: Vec<String> },
    #[error("{field}: {error}")]
    UnknownDictionary { field: &'static str, error: crate::dictionary::UnknownDictionary },
    #[error("options.min_score is {value}; it must be a number in [0, 1]")]
    MinScoreOutOfRange { value: f32 },
    #[error(
        "options.overlaps is {value}, which this server does not know; it knows OVERLAP_POLICY_UNSPECIFIED (0), OVERLAP_POLICY_LEFTMOST_LONGEST (1) and OVERLAP_POLICY_ALL (2)"
    )]
    UnknownOverlapPolicy { value: i32 },
    #[error("{0}")]
    MessageTooLarge(String),
    #[error("malformed request message: {0}")]
    Malformed(String),
    #[error("internal error: {0}")]
    Internal(&'static str),
    #[error(
        "the server is at its limit of {limit} concurrent calls (--max-concurrent-calls); retry, preferably on another replica"
    )]
    CallsExhausted { limit: usize },
    #[error(
        "a {message_bytes}-byte request message does not fit: {in_flight} of the server's {limit} bytes in flight are held (--max-bytes-in-flight); retry, preferably on another replica"
    )]
    BytesExhausted { message_bytes: usize, in_flight: usize, limit: usize },
    #[error("the call's deadline (grpc-timeout) passed; it was dropped after {matched} documents were matched")]
    DeadlineExceeded { matched: usize },
    #[error("entex.v1.DictionaryAdmin is not served on this address: {how}")]
    AdminNotServedHere { how: &'static str },
    /// An error in one message of an ExtractStream (its options, checked
    /// per message): the message's index, counted from 0, then the error,
    /// under the error's own code.
    #[error("stream message {index}: {error}")]
    InStreamMessage { index: usize, error: Box<RequestError> },
}

impl RequestError {
    /// The gRPC code of this error: the one exhaustive map.
    pub fn code(&self) -> Code {
        match self {
            RequestError::TooManyDocuments { .. }
            | RequestError::DocumentTooLarge { .. }
            | RequestError::TooManyNames { .. }
            | RequestError::NameTooLarge { .. }
            | RequestError::MissingDocument { .. }
            | RequestError::EmptyName { .. }
            | RequestError::UnknownEntityType { .. }
            | RequestError::UnknownDictionary { .. }
            | RequestError::MinScoreOutOfRange { .. }
            | RequestError::UnknownOverlapPolicy { .. }
            | RequestError::Malformed(_) => Code::InvalidArgument,
            RequestError::MessageTooLarge(_) => Code::ResourceExhausted,
            RequestError::Internal(_) => Code::Internal,
            // Not RESOURCE_EXHAUSTED: that code already means "this request
            // is too large" here, which no retry fixes. UNAVAILABLE says
            // "transient, retry", the code gRPC retry policies and Envoy's
            // `retry_on: unavailable` act on (see crate::admission).
            RequestError::CallsExhausted { .. } | RequestError::BytesExhausted { .. } => Code::Unavailable,
            RequestError::DeadlineExceeded { .. } => Code::DeadlineExceeded,
            RequestError::AdminNotServedHere { .. } => Code::Unimplemented,
            RequestError::InStreamMessage { error, .. } => error.code(),
        }
    }
}

impl From<RequestError> for Status {
    fn from(error: RequestError) -> Self {
        Status::new(error.code(), error.to_string())
    }
}

/// tonic reports a message over the decode limit, before any handler runs,
/// as `OUT_OF_RANGE` ("Error, decoded message length too large: found N
/// bytes, the limit is: L bytes"). The gRPC convention, and our contract, is
/// `RESOURCE_EXHAUSTED`. Returns the rewritten error for such a status,
/// `None` for any other. (Malformed messages are mapped by [`super::codec`].)
pub fn rewrite_decode_error(code: Code, message: &str) -> Option<RequestError> {
    const PREFIX: &str = "Error, decoded message length too large: found ";
    if code != Code::OutOfRange {
        return None;
    }
    let rest = message.strip_prefix(PREFIX)?;
    let (found, rest) = rest.split_once(" bytes, the limit is: ")?;
    let limit = rest.strip_suffix(" bytes")?;
    Some(RequestError::MessageTooLarge(format!(
        "the request message is {found} bytes; the limit is {limit} bytes per message (--max-request-bytes)"
    )))
}

/// Maps a `Status` from a request stream (ExtractStream) through
/// [`rewrite_decode_error`].
pub fn inbound_status(status: Status) -> Status {
    match rewrite_decode_error(status.code(), status.message()) {
        Some(error) => error.into(),
        None => status,
    }
}

/// A tower layer that applies [`rewrite_decode_error`] to unary responses.
/// tonic rejects an oversized unary request before the handler runs, with a
/// trailers-only response, so the status is in the response headers.
#[derive(Debug, Clone, Copy, Default)]
pub struct DecodeErrorStatusLayer;

impl<S> Layer<S> for DecodeErrorStatusLayer {
    type Service = DecodeErrorStatus<S>;
    fn layer(&self, inner: S) -> Self::Service {
        DecodeErrorStatus { inner }
    }
}

#[derive(Debug, Clone)]
pub struct DecodeErrorStatus<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DecodeErrorStatus<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let future = self.inner.call(request);
        Box::pin(async move {
            let mut response = future.await?;
            let out_of_range = response.headers().get("grpc-status").is_some_and(|v| v.as_bytes() == b"11");
            if out_of_range
                && let Some(status) = Status::from_header_map(response.headers())
                && let Some(error) = rewrite_decode_error(status.code(), status.message())
            {
                let status: Status = error.into();
                let headers = response.headers_mut();
                headers.insert("grpc-status", HeaderValue::from(status.code() as i32));
                if let Ok(encoded) = HeaderValue::from_str(&percent_encode(status.message())) {
                    headers.insert("grpc-message", encoded);
                }
            }
            Ok(response)
        })
    }
}

/// Percent-encodes a grpc-message value (the gRPC HTTP/2 spec: bytes outside
/// printable ASCII, and `%`, are encoded).
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for byte in message.bytes() {
        if (0x20..0x7f).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_code() {
        let rows: &[(RequestError, Code, &str)] = &[
            (
                RequestError::TooManyDocuments { count: 5, limit: 4 },
                Code::InvalidArgument,
                "5 documents; the limit is 4",
            ),
            (
                RequestError::DocumentTooLarge { index: 3, id: "a7".into(), bytes: 2097152, limit: 1048576 },
                Code::InvalidArgument,
                "document 3 (id \"a7\") is 2097152 bytes; the limit is 1048576 bytes",
            ),
            (RequestError::TooManyNames { count: 9, limit: 8 }, Code::InvalidArgument, "9 names; the limit is 8"),
            (
                RequestError::NameTooLarge { index: 0, bytes: 2000, limit: 1024 },
                Code::InvalidArgument,
                "name 0 is 2000 bytes",
            ),
            (RequestError::MissingDocument { index: 2 }, Code::InvalidArgument, "stream message 2 has no document"),
            (RequestError::MessageTooLarge("big".into()), Code::ResourceExhausted, "big"),
            (RequestError::Internal("x"), Code::Internal, "internal error: x"),
            (
                RequestError::CallsExhausted { limit: 64 },
                Code::Unavailable,
                "the server is at its limit of 64 concurrent calls (--max-concurrent-calls)",
            ),
            (
                RequestError::BytesExhausted { message_bytes: 1000, in_flight: 4000, limit: 4096 },
                Code::Unavailable,
                "a 1000-byte request message does not fit: 4000 of the server's 4096 bytes in flight are held (--max-bytes-in-flight)",
            ),
            (
                RequestError::DeadlineExceeded { matched: 3 },
                Code::DeadlineExceeded,
                "the call's deadline (grpc-timeout) passed; it was dropped after 3 documents were matched",
            ),
            (RequestError::AdminNotServedHere { how: "x" }, Code::Unimplemented, "not served on this address: x"),
            (
                RequestError::InStreamMessage {
                    index: 4,
                    error: Box::new(RequestError::UnknownEntityType {
                        field: "options.entity_types",
                        value: "FOO".into(),
                        known: vec!["LOC".into(), "ORG".into()],
                    }),
                },
                Code::InvalidArgument,
                "stream message 4: options.entity_types: entity type \"FOO\" is not in the loaded dictionary; its types are LOC, ORG",
            ),
            (
                RequestError::InStreamMessage { index: 1, error: Box::new(RequestError::Internal("x")) },
                Code::Internal,
                "stream message 1: internal error: x",
            ),
        ];
        for (error, code, fragment) in rows {
            let status = Status::from(error.clone());
            assert_eq!(status.code(), *code, "{error:?}");
            assert!(status.message().contains(fragment), "{}", status.message());
        }
    }

    #[test]
    fn decode_limit_message_is_rewritten() {
        let tonic_message =
            "Error, decoded message length too large: found 20000000 bytes, the limit is: 16777216 bytes";
        let error = rewrite_decode_error(Code::OutOfRange, tonic_message).unwrap();
        assert_eq!(
            error.to_string(),
            "the request message is 20000000 bytes; the limit is 16777216 bytes per message (--max-request-bytes)"
        );
        assert!(rewrite_decode_error(Code::OutOfRange, "something else").is_none());
        assert!(rewrite_decode_error(Code::Internal, tonic_message).is_none());
    }
}
