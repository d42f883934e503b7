//! DictionaryAdmin on an address that does not serve it: UNIMPLEMENTED, with
//! a message that says how to turn it on or where it is.

use entex::proto::entex_v1::{self as pb, dictionary_admin_client::DictionaryAdminClient};
use tonic::Code;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread")]
async fn admin_calls_where_administration_is_off_say_how_to_turn_it_on() {
    let app = spawn_app().await;
    let status = DictionaryAdminClient::new(app.channel().await)
        .reload_dictionary(pb::ReloadDictionaryRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(
        status.message(),
        "entex.v1.DictionaryAdmin is not served on this address: administration is off; start the server with \
         --admin-token TOKEN (ENTEX_ADMIN_TOKEN) to serve it here, or with --admin-listen ADDR to serve it on an \
         address of its own"
    );

    let separate = spawn_app_with(|s| s.admin_listen = Some("127.0.0.1:0".parse().unwrap()), None).await;
    let status = DictionaryAdminClient::new(separate.channel().await)
        .reload_dictionary(pb::ReloadDictionaryRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(
        status.message(),
        "entex.v1.DictionaryAdmin is not served on this address: it is served on the admin address (--admin-listen)"
    );
}
