//! Live reload: under concurrent load no request fails, no response mixes
//! versions, and a broken file leaves the old version serving.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use entex::proto::entex_v1::{self as pb, dictionary_admin_client::DictionaryAdminClient};
use tonic::{Code, metadata::MetadataValue};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use crate::helpers::{TestApp, docs, sample, scrape, spawn_app_with};

const VERSION_A: &str = "[[entity]]\nid = \"org:alpha\"\ntype = \"ORG\"\nname = \"Alpha Force\"\n";
/// B adds a second entity: a response that finds Beta Force was computed
/// with B, one that does not, with A.
const VERSION_B: &str = "[[entity]]\nid = \"org:alpha\"\ntype = \"ORG\"\nname = \"Alpha Force\"\n\n[[entity]]\nid = \"org:beta\"\ntype = \"ORG\"\nname = \"Beta Force\"\n";
const BROKEN: &str = "[[entity]]\nid = \"org:alpha\"\ntype = \"ORG\"\nname = \"Alpha Force\"\n\n[[entity]]\nid = \"org:alpha\"\ntype = ORG\n";

async fn file_app(path: &Path, configure: impl FnOnce(&mut entex::config::ServeArgs)) -> TestApp {
    let owned = path.to_owned();
    spawn_app_with(
        move |s| {
            s.dictionary.sources.no_default_dictionary = true;
            s.dictionary.sources.dictionaries = vec![entex::dictionary::SourceSpec::path(owned)];
            s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
            configure(s);
        },
        Some(entex::dictionary::load(&[entex::dictionary::SourceSpec::path(path)], false).unwrap()),
    )
    .await
}

fn admin_request(token: Option<&str>) -> tonic::Request<pb::ReloadDictionaryRequest> {
    let mut request = tonic::Request::new(pb::ReloadDictionaryRequest {});
    if let Some(token) = token {
        let value: MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    request
}

#[tokio::test(flavor = "multi_thread")]
async fn reload_under_load_never_fails_or_mixes_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dict.toml");
    std::fs::write(&path, VERSION_A).unwrap();
    let token = "test-admin-token-0123456789";
    let app = file_app(&path, |s| s.admin_token = Some(token.to_owned())).await;
    let mut admin = DictionaryAdminClient::new(app.channel().await);
    let version_a =
        app.client.clone().get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner().version;

    // Steady load from four clients, recording (version, found Beta Force).
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (mut client, stop) = (app.client.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let request = pb::ExtractRequest {
                    documents: docs(&[("1", "Alpha Force met Beta Force."), ("2", "Beta Force and Alpha Force")]),
                    options: None,
                };
                let response = client.extract(request).await.expect("no request fails during reloads").into_inner();
                let found_beta: Vec<bool> =
                    response.results.iter().map(|r| r.mentions.iter().any(|m| m.entity_id == "org:beta")).collect();
                seen.push((response.dictionary_version, found_beta));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Without the token, the admin RPC refuses.
    let refused = admin.reload_dictionary(admin_request(None)).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);

    std::fs::write(&path, VERSION_B).unwrap();
    let reloaded = admin.reload_dictionary(admin_request(Some(token))).await.unwrap().into_inner();
    assert!(reloaded.reloaded, "{reloaded:?}");
    assert_eq!(reloaded.previous_version, version_a);
    let version_b = reloaded.version.clone();
    assert_ne!(version_b, version_a);
    assert_eq!(reloaded.entity_count, 2);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A broken file: reported with file and line, never served.
    std::fs::write(&path, BROKEN).unwrap();
    let failed = admin.reload_dictionary(admin_request(Some(token))).await.unwrap().into_inner();
    assert!(!failed.reloaded);
    assert_eq!(failed.version, version_b, "the previous version keeps serving");
    let problem = &failed.problems[0];
    assert_eq!(problem.source, path.display().to_string());
    assert_eq!(problem.line, 8);
    let mut health = app.health().await;
    let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status();
    assert_eq!(status, ServingStatus::Serving);
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.store(true, Ordering::Relaxed);
    let mut per_version = std::collections::HashMap::new();
    for task in load {
        for (version, found_beta) in task.await.unwrap() {
            // One version per response, and its results are that version's.
            let expect_beta = if version == version_a {
                false
            } else {
                assert_eq!(version, version_b, "unknown version {version}");
                true
            };
            assert!(found_beta.iter().all(|&b| b == expect_beta), "{version}: {found_beta:?}");
            *per_version.entry(version).or_insert(0) += 1;
        }
    }
    assert!(per_version.get(&version_a).copied().unwrap_or(0) > 0, "{per_version:?}");
    assert!(per_version.get(&version_b).copied().unwrap_or(0) > 0, "{per_version:?}");

    let metrics = scrape(&app).await;
    assert_eq!(sample(&metrics, r#"entex_dictionary_reloads_total{result="success"}"#), 1.0);
    assert_eq!(sample(&metrics, r#"entex_dictionary_reloads_total{result="failure"}"#), 1.0);
    assert_eq!(sample(&metrics, "entex_dictionary_last_reload_success"), 0.0);
    assert_eq!(sample(&metrics, &format!(r#"entex_dictionary_info{{version="{version_b}"}}"#)), 1.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watched_file_reloads_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dict.toml");
    std::fs::write(&path, VERSION_A).unwrap();
    let app = file_app(&path, |s| {
        s.watch = true;
        s.watch_interval = 0.05;
    })
    .await;
    let mut client = app.client.clone();
    let before = client.get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
    // Let the watcher take its first look, then change the file.
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(&path, VERSION_B).unwrap();
    let mut after = before.clone();
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        after = client.get_dictionary_info(pb::GetDictionaryInfoRequest {}).await.unwrap().into_inner();
        if after.version != before.version {
            break;
        }
    }
    assert_ne!(after.version, before.version, "the watcher did not reload");
    assert_eq!(after.entity_count, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_service_is_off_unless_configured_and_can_have_its_own_address() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dict.toml");
    std::fs::write(&path, VERSION_A).unwrap();

    let plain = file_app(&path, |_| {}).await;
    let off = DictionaryAdminClient::new(plain.channel().await).reload_dictionary(admin_request(None)).await;
    assert_eq!(off.unwrap_err().code(), Code::Unimplemented);

    let separate = file_app(&path, |s| s.admin_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let on_main = DictionaryAdminClient::new(separate.channel().await).reload_dictionary(admin_request(None)).await;
    assert_eq!(on_main.unwrap_err().code(), Code::Unimplemented, "never on the public address");
    let admin_channel = tonic::transport::Channel::from_shared(format!("http://{}", separate.admin_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let response = DictionaryAdminClient::new(admin_channel).reload_dictionary(admin_request(None)).await.unwrap();
    assert!(response.into_inner().reloaded);
}
