//! What both Durable Objects share: reaching one by name, and one operation as an internal
//! fetch whose body and answer are JSON (the answer a `Result<R, PortalError>`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Env, Method, Request, RequestInit, Stub};

use crate::http::error::PortalError;
use crate::http::timing::{self, Kind};

/// The Durable Object called `name` of `binding`.
pub fn object(env: &Env, binding: &str, name: &str) -> Result<Stub, PortalError> {
    env.durable_object(binding)
        .and_then(|ns| ns.get_by_name(name))
        .map_err(|e| {
            PortalError::Misconfigured(format!(
                "the {binding} Durable Object binding is unusable ({e})."
            ))
        })
}

/// One operation of a Durable Object over an internal fetch: the body is `body` as JSON, the
/// answer a `Result<R, PortalError>` as JSON.
pub async fn call_object<Q: Serialize, R: DeserializeOwned>(
    stub: &Stub,
    object: &str,
    op: &str,
    body: &Q,
) -> Result<R, PortalError> {
    let internal = |e: worker::Error| PortalError::Internal(format!("{object} {op}: {e}"));
    let json = serde_json::to_string(body).map_err(|e| PortalError::Internal(e.to_string()))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(json.into()));
    let request = Request::new_with_init(&format!("https://object.internal/{op}"), &init)
        .map_err(internal)?;
    timing::timed(Kind::Object, async {
        let mut response = stub.fetch_with_request(request).await.map_err(internal)?;
        response
            .json::<Result<R, PortalError>>()
            .await
            .map_err(internal)?
    })
    .await
}

/// Reads an operation's body, on the object's side.
pub fn parse<T: DeserializeOwned>(object: &str, body: &[u8]) -> worker::Result<T> {
    serde_json::from_slice(body)
        .map_err(|e| worker::Error::RustError(format!("{object} request: {e}")))
}

/// An operation's answer, on the object's side.
pub fn reply<T: Serialize>(r: Result<T, PortalError>) -> worker::Result<serde_json::Value> {
    serde_json::to_value(r).map_err(|e| worker::Error::RustError(e.to_string()))
}
