//! Precompiled dictionaries: `entex compile` writes one, `entex serve
//! --compiled` serves it like the sources it came from, and a damaged or
//! foreign one is refused at start and on reload without replacing a good
//! one.

use std::{
    io::BufReader,
    path::Path,
    process::{Command, Stdio},
};

use entex::proto::entex_v1::{self as pb, dictionary_admin_client::DictionaryAdminClient};
use tonic::transport::Channel;

use crate::helpers::{docs, spawn_app_with};

const BIN: &str = env!("CARGO_BIN_EXE_entex");

const VERSION_A: &str = "[[entity]]\nid = \"org:alpha\"\ntype = \"ORG\"\nname = \"Alpha Force\"\naliases = [\"Alpha Brigades\"]\n\n[[entity]]\nid = \"per:sam-sample\"\ntype = \"PER\"\nname = \"Sam Sample\"\nparent = \"org:alpha\"\n";
const VERSION_B: &str = "[[entity]]\nid = \"org:alpha\"\ntype = \"ORG\"\nname = \"Alpha Force\"\n\n[[entity]]\nid = \"org:beta\"\ntype = \"ORG\"\nname = \"Beta Force\"\n";
const TEXT: &str = "Sam Sample of the Alpha Brigades met Beta Force; Sample left.";

/// Runs `entex compile` on one TOML source; returns its stdout.
fn compile(dir: &Path, name: &str, toml: &str, output: &Path) -> std::process::Output {
    let source = dir.join(name);
    std::fs::write(&source, toml).unwrap();
    Command::new(BIN)
        .args(["compile", "--no-default-dictionary", "--output"])
        .arg(output)
        .arg("--dictionary")
        .arg(&source)
        .output()
        .unwrap()
}

fn summary(response: &pb::ExtractResponse) -> Vec<(String, u32, u32, i32)> {
    response.results[0].mentions.iter().map(|m| (m.entity_id.clone(), m.start, m.end, m.match_kind)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_served_artefact_answers_like_its_sources() {
    let dir = tempfile::tempdir().unwrap();
    let artefact = dir.path().join("dict.entex");
    let out = compile(dir.path(), "a.toml", VERSION_A, &artefact);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("compiled: 2 entities"), "{stdout}");

    // The real binary serving the artefact...
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json", "--compiled"])
        .arg(&artefact)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = crate::helpers::serving_addr(&mut BufReader::new(child.stderr.take().unwrap()));
    let channel = Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let mut client = pb::entity_extractor_client::EntityExtractorClient::new(channel);
    let request = || pb::ExtractRequest { documents: docs(&[("d", TEXT)]), ..Default::default() };
    let from_artefact = client.extract(request()).await.unwrap().into_inner();
    let info = client.get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
    child.kill().unwrap();
    let _ = child.wait();

    // ...and a server built from the same source, in process.
    let source = dir.path().join("a.toml");
    let from_sources = spawn_app_with(
        |s| s.dictionary.sources.no_default_dictionary = true,
        Some(entex::dictionary::load(&[entex::dictionary::SourceSpec::path(&source)], false).unwrap()),
    )
    .await;
    let expected = from_sources.extract(&[("d", TEXT)]).await;
    let expected_info =
        from_sources.client.clone().get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();

    assert_eq!(summary(&from_artefact), summary(&expected));
    let ids: Vec<String> = summary(&from_artefact).into_iter().map(|m| m.0).collect();
    assert_eq!(ids, ["per:sam-sample", "org:alpha", "per:sam-sample"], "{from_artefact:?}");
    assert_eq!(info.version, expected_info.version);
    assert_eq!((info.entity_count, info.alias_count), (expected_info.entity_count, expected_info.alias_count));
    assert!(stdout.contains(&format!("version {}", info.version)), "{stdout}");
}

#[test]
fn compile_refuses_a_bad_source_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let artefact = dir.path().join("dict.entex");
    let out = compile(
        dir.path(),
        "bad.toml",
        "[[entity]]\nid = \"org:x\"\ntype = \"ORG\"\nname = \"X\"\nparent = \"org:ghost\"\n",
        &artefact,
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bad.toml:") && stdout.contains("org:ghost"), "{stdout}");
    assert!(stdout.contains("nothing was written"), "{stdout}");
    assert!(!artefact.exists());
}

#[test]
fn serve_refuses_a_damaged_or_foreign_artefact_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let artefact = dir.path().join("dict.entex");
    assert!(compile(dir.path(), "a.toml", VERSION_A, &artefact).status.success());
    let good = std::fs::read(&artefact).unwrap();
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    let mut other_engine = good.clone();
    other_engine[16] ^= 0x01;

    // (file contents, what the error must say)
    let rows: [(&[u8], &str); 4] = [
        (VERSION_A.as_bytes(), "not an entex compiled dictionary"),
        (&good[..good.len() / 2], "truncated"),
        (&flipped, "corrupt"),
        (&other_engine, "was compiled by"),
    ];
    for (bytes, want) in rows {
        let damaged = dir.path().join("damaged.entex");
        std::fs::write(&damaged, bytes).unwrap();
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--compiled"])
            .arg(&damaged)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{want}: served a damaged artefact");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want) && stderr.contains(&damaged.display().to_string()), "{want}: {stderr}");
    }

    // An artefact replaces sources; it is not layered on them.
    let both =
        Command::new(BIN).args(["serve", "--dictionary", "x.toml", "--compiled"]).arg(&artefact).output().unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"), "{both:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_rereads_the_artefact_and_keeps_a_good_one_over_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let artefact = dir.path().join("dict.entex");
    assert!(compile(dir.path(), "a.toml", VERSION_A, &artefact).status.success());
    let token = "test-admin-token-0123456789";
    let path = artefact.clone();
    let app = spawn_app_with(
        move |s| {
            s.dictionary.compiled = Some(path);
            s.admin_token = Some(token.to_owned());
        },
        Some(entex::dictionary::artefact::read(&artefact).unwrap()),
    )
    .await;
    let mut admin = DictionaryAdminClient::new(app.channel().await);
    let reload = || {
        let mut request = tonic::Request::new(pb::ReloadDictionaryRequest {});
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    };
    let beta_found = |response: &pb::ExtractResponse| summary(response).iter().any(|m| m.0 == "org:beta");
    assert!(!beta_found(&app.extract(&[("d", TEXT)]).await));

    // A damaged artefact: refused, named, the good one keeps serving.
    let good = std::fs::read(&artefact).unwrap();
    std::fs::write(&artefact, &good[..good.len() - 7]).unwrap();
    let failed = admin.reload_dictionary(reload()).await.unwrap().into_inner();
    assert!(!failed.reloaded, "{failed:?}");
    assert_eq!(failed.problems[0].source, artefact.display().to_string());
    assert!(failed.problems[0].message.contains("truncated"), "{failed:?}");
    assert_eq!(summary(&app.extract(&[("d", TEXT)]).await).len(), 3);

    // A new good artefact: served.
    assert!(compile(dir.path(), "b.toml", VERSION_B, &artefact).status.success());
    let reloaded = admin.reload_dictionary(reload()).await.unwrap().into_inner();
    assert!(reloaded.reloaded, "{reloaded:?}");
    assert_ne!(reloaded.version, failed.version);
    assert!(beta_found(&app.extract(&[("d", TEXT)]).await));
}
