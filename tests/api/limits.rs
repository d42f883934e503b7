//! Limits and hostile input: precise statuses, nothing panics, the server
//! keeps serving.

use bytes::{Buf, BufMut};
use entex::proto::entex_v1 as pb;
use tonic::{
    Code,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
};

use crate::helpers::{docs, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread")]
async fn past_each_limit_the_status_names_item_size_and_limit() {
    let app = spawn_app_with(
        |s| {
            s.limits.max_documents = 2;
            s.limits.max_document_bytes = 100;
            s.limits.max_request_bytes = 1000;
            s.limits.max_names = 2;
            s.limits.max_name_bytes = 10;
        },
        None,
    )
    .await;
    let mut client = app.client.clone();
    let extract = |documents: Vec<pb::Document>| pb::ExtractRequest { documents, options: None };

    let status = client.extract(extract(docs(&[("a", "x"), ("b", "y"), ("c", "z")]))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "the request has 3 documents; the limit is 2 per request");

    let big = "é".repeat(51);
    let status = client.extract(extract(docs(&[("a", "ok"), ("b-id", &big)]))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "document 1 (id \"b-id\") is 102 bytes; the limit is 100 bytes per document");

    let status = client.extract(extract(docs(&[("a", &"x".repeat(2000))]))).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert!(status.message().starts_with("the request message is 20"), "{}", status.message());
    assert!(
        status.message().ends_with("the limit is 1000 bytes per message (--max-request-bytes)"),
        "{}",
        status.message()
    );

    let names =
        |names: &[&str]| pb::NormalizeRequest { names: names.iter().map(|n| n.to_string()).collect(), options: None };
    let status = client.normalize(names(&["a", "b", "c"])).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "the request has 3 names; the limit is 2 per request");
    let status = client.normalize(names(&["ok", "this is too long"])).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "name 1 is 16 bytes; the limit is 10 bytes per name");

    let status = client.normalize(names(&["ok", " \t"])).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "name 1 is empty");

    // At the limits exactly, all is well.
    let ok = client.extract(extract(docs(&[("a", &"x".repeat(100)), ("b", "Iran")]))).await.unwrap().into_inner();
    assert_eq!(ok.results[1].mentions.len(), 1);
}

/// A codec that sends raw bytes as the request message: lets a test send
/// what no generated client would.
#[derive(Default)]
struct RawCodec;
struct RawEncoder;
struct RawDecoder;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let bytes = src.copy_to_bytes(src.remaining()).to_vec();
        Ok(Some(bytes))
    }
}

async fn send_raw(app: &crate::helpers::TestApp, path: &'static str, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(app.channel().await);
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static(path);
    grpc.unary(tonic::Request::new(body), path, RawCodec).await.map(|r| r.into_inner())
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_messages_are_invalid_argument_and_harmless() {
    let app = spawn_app().await;
    // Field 1 (documents), length-delimited, claiming 50 bytes but ending.
    let truncated = vec![0x0a, 50, 0x0a, 0x01];
    // Document.text (field 2) holding invalid UTF-8 inside a document.
    let bad_utf8 = vec![0x0a, 0x04, 0x12, 0x02, 0xff, 0xfe];
    for (name, body) in [("truncated", truncated), ("invalid utf-8", bad_utf8)] {
        let status = send_raw(&app, "/entex.v1.EntityExtractor/Extract", body).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{name}: {status:?}");
        assert!(status.message().starts_with("malformed request message:"), "{name}: {}", status.message());
    }
    // The server is unharmed.
    assert_eq!(app.extract(&[("a", "Iran")]).await.results[0].mentions.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_text_never_breaks_offsets() {
    let app = spawn_app().await;
    let nasty = [
        "\u{0}\u{1}\u{7f}Iran\u{feff}\u{200b}Iraq",
        "Hezbollah\u{301}\u{301}\u{301} Hezbollah",
        "ﷺ Iran ﷺ",
        "İİİ Iran",
        &"’".repeat(1000),
        &"Kataib ".repeat(5000),
        "\u{202e}Iran\u{202c} \u{2028}Iraq\u{2029}",
        "ߘ߉Iran",
    ];
    let documents: Vec<(&str, &str)> = nasty.iter().map(|t| ("n", *t)).collect();
    let response = app.extract(&documents).await;
    for (result, text) in response.results.iter().zip(nasty) {
        for m in &result.mentions {
            assert!(text.is_char_boundary(m.start as usize) && text.is_char_boundary(m.end as usize));
            assert_eq!(&text[m.start as usize..m.end as usize], m.text);
        }
    }
    assert_eq!(response.results[2].mentions.len(), 1, "{:?}", response.results[2]);
}

/// Options a request cannot mean: INVALID_ARGUMENT naming the field, the
/// value and what is allowed; never a silent empty answer.
#[tokio::test(flavor = "multi_thread")]
async fn options_are_validated_with_the_field_the_value_and_what_is_allowed() {
    let app = spawn_app().await;
    let mut client = app.client.clone();
    let extract = |options: pb::ExtractOptions| pb::ExtractRequest {
        documents: docs(&[("a", "Kataib Hezbollah in Iraq")]),
        options: Some(options),
    };
    let normalize = |options: pb::NormalizeOptions| pb::NormalizeRequest {
        names: vec!["Kataib Hezbollah".to_owned()],
        options: Some(options),
    };
    let types = |t: &[&str]| t.iter().map(|t| t.to_string()).collect::<Vec<_>>();

    let status = client.extract(extract(pb::ExtractOptions { entity_types: types(&["FOO"]), ..Default::default() }));
    let status = status.await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "options.entity_types: entity type \"FOO\" is not in the loaded dictionary; its types are LOC, ORG, PER"
    );
    let status = client.extract(extract(pb::ExtractOptions { dictionaries: types(&["nope"]), ..Default::default() }));
    let status = status.await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "options.dictionaries: dictionary \"nope\" is not loaded; the loaded dictionaries are default"
    );
    let status =
        client.normalize(normalize(pb::NormalizeOptions { entity_types: types(&["org"]), ..Default::default() }));
    assert_eq!(status.await.unwrap_err().code(), Code::InvalidArgument);
    for bad in [5.0, -0.1, f32::NAN, f32::INFINITY] {
        let status = client.normalize(normalize(pb::NormalizeOptions { min_score: bad, ..Default::default() }));
        let status = status.await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{bad}");
        assert_eq!(status.message(), format!("options.min_score is {bad}; it must be a number in [0, 1]"));
    }
    // The valid forms of the same options are answered.
    let ok = client.extract(extract(pb::ExtractOptions {
        entity_types: types(&["ORG"]),
        dictionaries: types(&["default"]),
        drop_ambiguous: true,
        overlaps: pb::OverlapPolicy::LeftmostLongest as i32,
    }));
    let ok = ok.await.unwrap().into_inner();
    let ids: Vec<&str> = ok.results[0].mentions.iter().map(|m| m.entity_id.as_str()).collect();
    assert_eq!(ids, ["org:kataib-hezbollah"]);
    let ok = client.normalize(normalize(pb::NormalizeOptions { min_score: 1.0, ..Default::default() })).await;
    assert!(ok.unwrap().into_inner().resolutions[0].entity.is_some());
}
