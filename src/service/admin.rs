//! The gRPC edge of administration: `entex.v1.DictionaryAdmin`, with an
//! optional bearer-token check.
//!
//! An address that does not serve administration still answers for it, with
//! `UNIMPLEMENTED` and a message that says how to enable it or where it is
//! ([`AdminService::not_served_here`]), rather than tonic's bare
//! `UNIMPLEMENTED` with an empty message.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::status::RequestError;
use crate::{
    proto::entex_v1::{self as pb, dictionary_admin_server::DictionaryAdmin},
    reload::Reloader,
};

#[derive(Debug, Clone)]
pub struct AdminService {
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Serving { reloader: Arc<Reloader>, token: Option<Arc<str>> },
    NotHere { how: &'static str },
}

/// Where to find administration when this address has none: it is on its own address.
pub const ON_ADMIN_ADDRESS: &str = "it is served on the admin address (--admin-listen)";
/// Where to find administration when no address serves it.
pub const HOW_TO_ENABLE: &str = "administration is off; start the server with --admin-token TOKEN (ENTEX_ADMIN_TOKEN) \
     to serve it here, or with --admin-listen ADDR to serve it on an address of its own";

impl AdminService {
    pub fn new(reloader: Arc<Reloader>, token: Option<String>) -> Self {
        Self { mode: Mode::Serving { reloader, token: token.map(Arc::from) } }
    }

    /// The service on an address without administration: every call is
    /// `UNIMPLEMENTED`, with `how` ([`ON_ADMIN_ADDRESS`], [`HOW_TO_ENABLE`])
    /// as the reason.
    pub fn not_served_here(how: &'static str) -> Self {
        Self { mode: Mode::NotHere { how } }
    }

    /// The reloader, once the caller may use it.
    fn authorize<T>(&self, request: &Request<T>) -> Result<&Reloader, Status> {
        let (reloader, token) = match &self.mode {
            Mode::NotHere { how } => return Err(RequestError::AdminNotServedHere { how }.into()),
            Mode::Serving { reloader, token } => (reloader, token),
        };
        let Some(token) = token else { return Ok(reloader) };
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if constant_time_eq(presented.as_bytes(), token.as_bytes()) {
            Ok(reloader)
        } else {
            Err(Status::unauthenticated("admin calls need the metadata `authorization: Bearer <admin token>`"))
        }
    }
}

/// Compares without leaking, through timing, how long a matching prefix was.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[tonic::async_trait]
impl DictionaryAdmin for AdminService {
    async fn reload_dictionary(
        &self,
        request: Request<pb::ReloadDictionaryRequest>,
    ) -> Result<Response<pb::ReloadDictionaryResponse>, Status> {
        let reloader = self.authorize(&request)?;
        let pb::ReloadDictionaryRequest {} = request.into_inner();
        let outcome = reloader.reload("admin").await;
        let current = &outcome.current;
        Ok(Response::new(pb::ReloadDictionaryResponse {
            reloaded: outcome.reloaded,
            version: current.version.clone(),
            previous_version: outcome.previous_version.clone(),
            problems: outcome
                .problems
                .iter()
                .map(|p| pb::DictionaryProblem {
                    source: p.at.source.to_string(),
                    line: p.at.line as u32,
                    message: p.message.clone(),
                })
                .collect(),
            entity_count: current.entity_count,
            alias_count: current.alias_count,
            build_seconds: current.build_time.as_secs_f64(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"secret-token-0001", b"secret-token-0001"));
        assert!(!constant_time_eq(b"secret-token-0001", b"secret-token-0002"));
        assert!(!constant_time_eq(b"short", b"secret-token-0001"));
    }
}
