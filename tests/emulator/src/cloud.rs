//! The Citrix Cloud API: client-credentials tokens for API clients (secure clients) and the
//! `rpclients` calls that list Workspace OAuth clients and rotate or expire their secrets
//! (seed: oauth-client-management.txt, "Programmatic Rotation"). What a client shows and how a
//! secret is rotated is shared with the admin portal (`admin.rs`).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::admin::{self, ClientError, Summary};
use crate::{AppState, Client, Profile, json_as, json_error, token};

/// Lifetime of a Citrix Cloud API token (Citrix: one hour).
const TOKEN_TTL_SECS: u64 = 3600;

/// The trust host: Citrix Cloud API tokens.
pub fn trust_routes() -> Router<AppState> {
    Router::new().route("/cctrustoauth2/{customer_id}/tokens/clients", post(issue))
}

/// The CWS API host: `rpclients`.
pub fn cws_routes() -> Router<AppState> {
    Router::new()
        .route("/{customer_id}/rpclients", get(list))
        // `$rotateSecret` and `$expireOldSecret`; a capture rather than literals so that a
        // percent-encoded `%24` works too and an unknown action gets a JSON 404.
        .route("/{customer_id}/rpclients/{name}/{action}", post(act))
}

/// A Workspace OAuth client as `rpclients` shows it. The seed never says what `api_key` holds:
/// the plain profile puts the OAuth client id there; the .NET profile the application id (a
/// deliberate worst case: a client that finds itself by `api_key` fails, one that uses `name`
/// works).
#[derive(Serialize)]
struct RpClient {
    #[serde(flatten)]
    summary: Summary,
    api_key: String,
}

impl RpClient {
    fn of(c: &Client, profile: Profile) -> RpClient {
        RpClient {
            summary: Summary::of(c),
            api_key: match profile {
                Profile::Plain => c.seed.client_id.clone(),
                Profile::DotNet => c.seed.application_id.clone(),
            },
        }
    }

    /// The client as JSON in `profile`; `i` is its place in the list. The .NET profile adds
    /// unknown fields, and leaves empty or unset optional values `null` (even places) or out
    /// (odd places).
    fn json(c: &Client, profile: Profile, i: usize) -> serde_json::Value {
        let mut v = serde_json::to_value(RpClient::of(c, profile)).unwrap_or_default();
        if profile == Profile::Plain {
            return v;
        }
        if let Some(o) = v.as_object_mut() {
            if c.seed.owner.is_empty() {
                o.insert("owner".into(), serde_json::Value::Null);
            }
            o.insert("description".into(), serde_json::Value::Null);
            o.insert(
                "scopes".into(),
                serde_json::json!(["openid", "wsp", "spa", "leases", "offline_access"]),
            );
            o.insert("createdBy".into(), serde_json::Value::Null);
            o.insert("tags".into(), serde_json::json!([]));
            if i % 2 == 1 {
                o.retain(|_, v| !v.is_null());
            }
        }
        v
    }
}

/// Other clients of the customer that a real `rpclients` list may hold (the .NET profile): an
/// integration with most fields missing or `null`, and a service principal. They are listed
/// only: they are not Workspace OAuth clients of this emulator.
fn others() -> [serde_json::Value; 2] {
    [
        serde_json::json!({
            "name": "analytics-connector", "api_key": "3b0f6c1e-77aa-4d2e-9c55-1f00c0ffee01",
            "display_name": null, "client_type": "private", "enabled": true,
            "application_id": null, "redirect_uris": null, "secret_expiration": null,
            "lastUsed": "2025-01-01T00:00:00Z",
        }),
        serde_json::json!({
            "name": "svc-principal-backup", "api_key": "9d2e4a10-0b6e-4f3c-8a7d-2c1b5e6f7a80",
            "client_type": "service", "enabled": false, "display_name": "Backup (service principal)",
        }),
    ]
}

fn unknown_customer(customer_id: &str) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no customer {customer_id:?}"),
    )
}

/// `client_credentials`, form-encoded (client in the form or HTTP Basic), or the legacy trust
/// API's JSON `{"clientId", "clientSecret"}`.
async fn issue(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if customer_id != state.config.seed.customer_id {
        return unknown_customer(&customer_id);
    }
    let (id, secret) = match credentials(&headers, &body) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let known = state
        .config
        .seed
        .cloud_clients
        .iter()
        .any(|c| c.client_id == id && c.client_secret == secret);
    if !known {
        return json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown API client or wrong secret",
        );
    }
    let now = state.now();
    let access = token(32);
    {
        let mut data = state.data();
        data.cloud_tokens.retain(|_, expires| *expires > now);
        data.cloud_tokens
            .insert(access.clone(), now + TOKEN_TTL_SECS);
    }
    // The .NET profile writes `expires_in` as a string, as the Citrix Cloud trust API may.
    let expires_in = match state.profile() {
        Profile::Plain => serde_json::json!(TOKEN_TTL_SECS),
        Profile::DotNet => serde_json::json!(TOKEN_TTL_SECS.to_string()),
    };
    let body = serde_json::json!({
        "access_token": access,
        "token_type": "bearer",
        "expires_in": expires_in,
    });
    let mut r = json_as("application/json; charset=utf-8", &body);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyCredentials {
    client_id: String,
    client_secret: String,
}

/// The API client's id and secret from the request.
fn credentials(headers: &HeaderMap, body: &[u8]) -> Result<(String, String), Response> {
    let invalid_request = |d: &str| json_error(StatusCode::BAD_REQUEST, "invalid_request", d);
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
        || body.trim_ascii_start().starts_with(b"{");
    if json {
        return serde_json::from_slice::<LegacyCredentials>(body)
            .map(|c| (c.client_id, c.client_secret))
            .map_err(|e| {
                invalid_request(&format!(
                    "send {{\"clientId\": \"…\", \"clientSecret\": \"…\"}}: {e}"
                ))
            });
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    match form.get("grant_type").map(String::as_str) {
        None => {
            return Err(invalid_request(
                "grant_type is required: client_credentials",
            ));
        }
        Some("client_credentials") => {}
        Some(_) => {
            return Err(json_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            ));
        }
    }
    basic(headers)
        .or_else(|| {
            Some((
                form.get("client_id")?.clone(),
                form.get("client_secret")?.clone(),
            ))
        })
        .ok_or_else(|| {
            json_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "send client_id and client_secret, in the form or by HTTP Basic",
            )
        })
}

/// HTTP Basic client authentication; each part is form-encoded (RFC 6749 §2.3.1).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unform = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unform(id), unform(secret)))
}

/// The token of `Authorization: CWSAuth bearer=<token>`; scheme and key in any case.
fn cws_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, params) = value.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("cwsauth") {
        return None;
    }
    params
        .split(',')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("bearer"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|t| !t.is_empty())
}

/// A valid Citrix Cloud API token for this customer, or the error to answer.
fn authorize(state: &AppState, headers: &HeaderMap, customer_id: &str) -> Result<(), Response> {
    let unauthorized = |d: &str| json_error(StatusCode::UNAUTHORIZED, "invalid_token", d);
    let Some(presented) = cws_token(headers) else {
        return Err(unauthorized(
            "send Authorization: CWSAuth bearer=<token from /cctrustoauth2/{customer}/tokens/clients>",
        ));
    };
    let now = state.now();
    match state.data().cloud_tokens.get(&presented) {
        None => return Err(unauthorized("unknown token")),
        Some(&expires) if now >= expires => return Err(unauthorized("token expired")),
        Some(_) => {}
    }
    if customer_id != state.config.seed.customer_id {
        return Err(unknown_customer(customer_id));
    }
    Ok(())
}

async fn list(
    State(state): State<AppState>,
    Path(customer_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&state, &headers, &customer_id) {
        return r;
    }
    let profile = state.profile();
    let body = rpclients_body(&state.data().clients, profile);
    match profile {
        Profile::Plain => Json(body).into_response(),
        Profile::DotNet => json_as("application/json; charset=utf-8", &body),
    }
}

/// The `rpclients` answer for `clients` in `profile`. Public so that the worker's native tests
/// run its rotation against this very registry, without HTTP.
pub fn rpclients_body(clients: &[Client], profile: Profile) -> serde_json::Value {
    let ours = clients
        .iter()
        .enumerate()
        .map(|(i, c)| RpClient::json(c, profile, i));
    match profile {
        Profile::Plain => ours.collect(),
        Profile::DotNet => {
            // Other clients around ours: ours are neither first nor alone.
            let [first, last] = others();
            std::iter::once(first)
                .chain(ours)
                .chain(std::iter::once(last))
                .collect()
        }
    }
}

/// The `$rotateSecret` answer once `client` was rotated to `secret`.
pub fn rotated_body(client: &Client, secret: &str, profile: Profile) -> serde_json::Value {
    serde_json::json!({
        "client": RpClient::json(client, profile, 0),
        "secret": secret,
    })
}

async fn act(
    State(state): State<AppState>,
    Path((customer_id, name, action)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&state, &headers, &customer_id) {
        return r;
    }
    if !matches!(action.as_str(), "$rotateSecret" | "$expireOldSecret") {
        return ClientError::NotFound(format!(
            "unknown action {action:?}; use $rotateSecret or $expireOldSecret"
        ))
        .into_response();
    }
    let now = state.now();
    let profile = state.profile();
    let mut data = state.data();
    let Some(client) = data.clients.iter_mut().find(|c| c.seed.name == name) else {
        return ClientError::NotFound(format!("no client named {name:?}")).into_response();
    };
    if action == "$rotateSecret" {
        match admin::rotate(client, now) {
            Ok(secret) => Json(rotated_body(client, &secret, profile)).into_response(),
            Err(e) => e.into_response(),
        }
    } else {
        match admin::expire_old(client) {
            // The seed: "a 200 OK with an empty body".
            Ok(()) => StatusCode::OK.into_response(),
            Err(e) => e.into_response(),
        }
    }
}
