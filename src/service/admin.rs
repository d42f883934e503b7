//! The gRPC edge of administration: `entex.v1.DictionaryAdmin`, with an
//! optional bearer-token check.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use crate::{
    proto::entex_v1::{self as pb, dictionary_admin_server::DictionaryAdmin},
    reload::Reloader,
};

#[derive(Debug, Clone)]
pub struct AdminService {
    reloader: Arc<Reloader>,
    token: Option<Arc<str>>,
}

impl AdminService {
    pub fn new(reloader: Arc<Reloader>, token: Option<String>) -> Self {
        Self { reloader, token: token.map(Arc::from) }
    }

    fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let Some(token) = &self.token else { return Ok(()) };
        let presented = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if constant_time_eq(presented.as_bytes(), token.as_bytes()) {
            Ok(())
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
        self.authorize(&request)?;
        let pb::ReloadDictionaryRequest {} = request.into_inner();
        let outcome = self.reloader.reload("admin").await;
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
