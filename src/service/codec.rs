//! The protobuf codec of the generated service: prost's, with one change.
//!
//! prost reports bytes that are not a valid message as `INTERNAL` ("failed
//! to decode Protobuf message"), which tells a caller the server broke. The
//! caller's request did, so this codec reports `INVALID_ARGUMENT`
//! ("malformed request message: …"), before any handler runs.

use prost::Message;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder},
};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

use super::status::RequestError;

/// `ProstCodec` with malformed input mapped to `INVALID_ARGUMENT`.
#[derive(Debug, Clone, Default)]
pub struct ProtoCodec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Codec for ProtoCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = ProtoDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProtoDecoder { inner: self.inner.decoder() }
    }
}

#[derive(Debug)]
pub struct ProtoDecoder<U> {
    inner: ProstDecoder<U>,
}

impl<U: Message + Default> Decoder for ProtoDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.inner.decode(src).map_err(|status| {
            const PREFIX: &str = "failed to decode Protobuf message: ";
            let detail = status.message().strip_prefix(PREFIX).unwrap_or(status.message());
            RequestError::Malformed(detail.to_owned()).into()
        })
    }

    fn buffer_settings(&self) -> tonic::codec::BufferSettings {
        self.inner.buffer_settings()
    }
}
