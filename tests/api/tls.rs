//! TLS and mutual TLS, with certificates generated in the test.

use std::path::{Path, PathBuf};

use entex::proto::entex_v1::{self as pb, entity_extractor_client::EntityExtractorClient};
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

struct Pki {
    ca: String,
    server_cert: PathBuf,
    server_key: PathBuf,
    ca_path: PathBuf,
    client_cert: String,
    client_key: String,
}

fn make_pki(dir: &Path) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let mut server_params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

    let mut client_params = CertificateParams::new(vec!["analyst-tool".to_owned()]).unwrap();
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_key = KeyPair::generate().unwrap();
    let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();

    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    Pki {
        ca: ca_cert.pem(),
        ca_path: write("ca.pem", ca_cert.pem()),
        server_cert: write("server.pem", server_cert.pem()),
        server_key: write("server.key", server_key.serialize_pem()),
        client_cert: client_cert.pem(),
        client_key: client_key.serialize_pem(),
    }
}

async fn tls_client(
    addr: std::net::SocketAddr,
    pki: &Pki,
    with_identity: bool,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&pki.ca)).domain_name("localhost");
    if with_identity {
        tls = tls.identity(Identity::from_pem(&pki.client_cert, &pki.client_key));
    }
    Channel::from_shared(format!("https://{addr}")).unwrap().tls_config(tls)?.connect().await
}

async fn works(channel: Channel) -> bool {
    let request = pb::ExtractRequest { documents: crate::helpers::docs(&[("t", "Iran")]), options: None };
    EntityExtractorClient::new(channel).extract(request).await.is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_and_mutual_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());

    // Server TLS: a client that trusts the CA gets through; plaintext does not.
    let (cert, key) = (pki.server_cert.clone(), pki.server_key.clone());
    let tls_only = spawn_tls_app(cert.clone(), key.clone(), None).await;
    assert!(works(tls_client(tls_only, &pki, false).await.unwrap()).await);
    let plaintext = Channel::from_shared(format!("http://{tls_only}")).unwrap().connect().await;
    let plaintext_ok = match plaintext {
        Ok(channel) => works(channel).await,
        Err(_) => false,
    };
    assert!(!plaintext_ok, "a plaintext client must not be served by a TLS server");

    // The binary's own health client speaks TLS too (container HEALTHCHECK).
    let healthcheck = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_entex"));
        command.args(["healthcheck", "--addr", &tls_only.to_string(), "--tls-ca", pki.ca_path.to_str().unwrap()]);
        command.args(extra).output().unwrap()
    };
    let health = healthcheck(&[]);
    assert!(health.status.success(), "{health:?}");
    assert_eq!(String::from_utf8_lossy(&health.stdout).trim(), "SERVING");

    // Mutual TLS: only a client with a certificate from the CA gets through.
    let mutual = spawn_tls_app(cert, key, Some(pki.ca_path.clone())).await;
    assert!(works(tls_client(mutual, &pki, true).await.unwrap()).await);
    let anonymous_ok = match tls_client(mutual, &pki, false).await {
        Ok(channel) => works(channel).await,
        Err(_) => false,
    };
    assert!(!anonymous_ok, "a client without a certificate must be refused under mutual TLS");
}

/// Starts a TLS app; the helper's plaintext client cannot be used, so this
/// returns only the address.
async fn spawn_tls_app(cert: PathBuf, key: PathBuf, client_ca: Option<PathBuf>) -> std::net::SocketAddr {
    let settings = |s: &mut entex::config::ServeArgs| {
        s.tls.tls_cert = Some(cert.clone());
        s.tls.tls_key = Some(key.clone());
        s.tls.tls_client_ca = client_ca.clone();
    };
    crate::helpers::spawn_app_without_client(settings).await
}
