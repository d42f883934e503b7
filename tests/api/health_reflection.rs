//! Standard health and server reflection (v1 and v1alpha), through tonic's
//! own clients and through grpcurl, which knows no proto file.

use std::process::Command;

use tokio_stream::StreamExt;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use crate::helpers::{TestApp, require_tool, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_serving_for_server_and_service() {
    let app = spawn_app().await;
    let mut health = app.health().await;
    for service in ["", "entex.v1.EntityExtractor"] {
        let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status();
        assert_eq!(status, ServingStatus::Serving, "{service:?}");
    }
    let unknown = health.check(HealthCheckRequest { service: "no.such.Service".into() }).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

async fn listed_services_v1(app: &TestApp) -> Vec<String> {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut client = ServerReflectionClient::new(app.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else { panic!("{response:?}") };
    list.service.into_iter().map(|s| s.name).collect()
}

async fn listed_services_v1alpha(app: &TestApp) -> Vec<String> {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut client = ServerReflectionClient::new(app.channel().await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let response = responses.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else { panic!("{response:?}") };
    list.service.into_iter().map(|s| s.name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reflection_lists_the_services_in_both_versions() {
    let app = spawn_app().await;
    for services in [listed_services_v1(&app).await, listed_services_v1alpha(&app).await] {
        assert!(services.contains(&"entex.v1.EntityExtractor".to_string()), "{services:?}");
        assert!(services.contains(&"grpc.health.v1.Health".to_string()), "{services:?}");
    }
}

/// `grpcurl -plaintext FLAGS ADDR ARGS`.
fn grpcurl(app: &TestApp, flags: &[&str], args: &[&str]) -> (bool, String, String) {
    let mut command = Command::new("grpcurl");
    command.arg("-plaintext").args(flags).arg(app.addr.to_string()).args(args);
    let output = command.output().expect("grpcurl runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn grpcurl_lists_describes_and_calls_without_a_proto_file() {
    if !require_tool("grpcurl", "-version") {
        return;
    }
    let app = spawn_app().await;
    let (ok, out, err) = grpcurl(&app, &[], &["list"]);
    assert!(ok, "{err}");
    assert!(out.lines().any(|l| l == "entex.v1.EntityExtractor"), "{out}");
    assert!(out.lines().any(|l| l == "grpc.health.v1.Health"), "{out}");

    let (ok, out, err) = grpcurl(&app, &[], &["describe", "entex.v1.EntityExtractor"]);
    assert!(ok, "{err}");
    for rpc in ["Extract", "ExtractStream", "Normalize", "GetDictionaryInfo"] {
        assert!(out.contains(&format!("rpc {rpc}")), "{rpc} missing from {out}");
    }

    let body = r#"{"documents":[{"id":"g1","text":"Kata’ib Hezbollah attacked al-Tanf."}]}"#;
    let (ok, out, err) = grpcurl(&app, &["-d", body], &["entex.v1.EntityExtractor/Extract"]);
    assert!(ok, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("grpcurl prints JSON");
    let mentions = &json["results"][0]["mentions"];
    assert_eq!(mentions[0]["entityId"], "org:kataib-hezbollah");
    assert_eq!(mentions[0]["matchKind"], "MATCH_KIND_NORMALIZED");
    assert_eq!(mentions[1]["entityId"], "loc:al-tanf");

    let (ok, out, err) = grpcurl(&app, &["-d", r#"{"names":["Qods Force"]}"#], &["entex.v1.EntityExtractor/Normalize"]);
    assert!(ok, "{err}");
    assert!(out.contains("org:quds-force"), "{out}");

    let (ok, out, err) = grpcurl(&app, &[], &["grpc.health.v1.Health/Check"]);
    assert!(ok, "{err}");
    assert!(out.contains("SERVING"), "{out}");
}
