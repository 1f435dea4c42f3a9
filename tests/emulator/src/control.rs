//! The emulator's own control API under `/_emulator/` (settings, faults, grant revocation,
//! launch scripts, the request log) and the middleware that logs every request and injects the
//! configured faults. Nothing here exists in Citrix Cloud.

use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};

use crate::hosts::Role;
use crate::{AppState, LaunchScript, LoggedRequest, Settings, json_error, token};

/// Prefix of the control API; faults never apply to it and it is not logged.
pub const PREFIX: &str = "/_emulator";

/// A fault injected into the requests whose path starts with `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Path prefix, e.g. `/core/connect/token` or `/citrixapi/store/`.
    pub path: String,
    /// Only this method (`GET`, `POST`, …); every method when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// What goes wrong.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Applies to this many requests, then disappears; to every request when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// The answer comes `ms` milliseconds late; the request is handled only then.
    Latency {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// The request is handled at once and its answer sent `ms` milliseconds later: it took
    /// effect (a refresh token was used up) before the client can know.
    LateAnswer {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// The answer is this HTTP status (e.g. 500, 503) with an error body.
    Status {
        /// HTTP status.
        status: u16,
    },
    /// No answer: the connection is held open until the client gives up.
    Timeout,
    /// The answer's body is not valid JSON (the status and content type stay).
    MalformedJson,
    /// The connection breaks half-way through the body.
    TruncatedBody,
    /// The answer is a `307 Temporary Redirect` to `location` (e.g. another origin, which a
    /// careful client must not follow).
    Redirect {
        /// Where the redirect points.
        location: String,
    },
}

impl Fault {
    fn matches(&self, method: &str, path: &str) -> bool {
        path.starts_with(&self.path)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// Takes the faults that apply to this request, using up their counts.
fn take_faults(state: &AppState, method: &str, path: &str) -> Vec<FaultKind> {
    let mut data = state.data();
    let mut hit = Vec::new();
    data.faults.retain_mut(|f| {
        if !f.matches(method, path) {
            return true;
        }
        hit.push(f.kind.clone());
        match &mut f.times {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n > 0
            }
            None => true,
        }
    });
    hit
}

/// Logs every request with its transaction id (echoed back) and applies injected faults.
pub async fn faults_and_log(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    if path.starts_with(PREFIX) {
        return next.run(request).await;
    }
    let sent = request
        .headers()
        .get("Citrix-TransactionId")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let transaction_id = sent.clone().unwrap_or_else(|| token(16));
    let application_id = crate::store::application_id(request.headers(), request.uri().query());
    let authorization = request.headers().contains_key(header::AUTHORIZATION);
    let host = request
        .extensions()
        .get::<Role>()
        .copied()
        .unwrap_or(Role::Single)
        .name()
        .to_owned();

    let faults = take_faults(&state, &method, &path);
    pause(&faults, |f| match f {
        FaultKind::Latency { ms } => Some(*ms),
        _ => None,
    })
    .await;
    let mut response = if faults.contains(&FaultKind::Timeout) {
        // Held until the emulator stops; clients must time out on their own.
        state.stopping.notified().await;
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    } else if let Some(status) = faults.iter().find_map(|f| match f {
        FaultKind::Status { status } => StatusCode::from_u16(*status).ok(),
        _ => None,
    }) {
        json_error(status, "server_error", "injected fault")
    } else if let Some(location) = faults.iter().find_map(|f| match f {
        FaultKind::Redirect { location } => Some(location.clone()),
        _ => None,
    }) {
        (
            StatusCode::TEMPORARY_REDIRECT,
            [(axum::http::header::LOCATION, location)],
        )
            .into_response()
    } else {
        let response = next.run(request).await;
        pause(&faults, |f| match f {
            FaultKind::LateAnswer { ms } => Some(*ms),
            _ => None,
        })
        .await;
        if faults.contains(&FaultKind::MalformedJson) {
            malformed(response)
        } else if faults.contains(&FaultKind::TruncatedBody) {
            truncated(response).await
        } else {
            response
        }
    };
    if let Ok(v) = HeaderValue::from_str(&transaction_id) {
        response.headers_mut().insert("Citrix-TransactionId", v);
    }
    let status = response.status().as_u16();
    eprintln!("{method} {host} {path} -> {status} (txn {transaction_id})");
    state.data().log.push(LoggedRequest {
        method,
        path,
        transaction_id,
        client_transaction_id: sent.is_some(),
        application_id,
        status,
        host,
        authorization,
    });
    response
}

/// Sleeps for the sum of the delays `delay` picks out of `faults`.
async fn pause(faults: &[FaultKind], delay: impl Fn(&FaultKind) -> Option<u64>) {
    let ms: u64 = faults.iter().filter_map(delay).sum();
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn malformed(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from("{\"resources\": [{\"name\": \"Calc"))
}

async fn truncated(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    // The declared length stays the full one; the stream then fails, so the server drops the
    // connection mid-body.
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        vec![Ok(half), Err(std::io::Error::other("injected truncation"))];
    let mut response =
        Response::from_parts(parts, Body::from_stream(futures::stream::iter(chunks)));
    if let Ok(v) = HeaderValue::from_str(&bytes.len().max(1).to_string()) {
        response.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    response
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_emulator/settings",
            get(get_settings).patch(patch_settings),
        )
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_emulator/revoke", post(revoke))
        .route("/_emulator/sessions", post(start_session))
        .route("/_emulator/resources/{id}/launch", put(script_launch))
        .route("/_emulator/log", get(log).delete(clear_log))
        .route("/_emulator/stats", get(stats))
}

/// Any route this host does not serve (another host may: Citrix Cloud is several hosts).
pub async fn not_found(request: Request) -> Response {
    let host = request
        .extensions()
        .get::<Role>()
        .map_or("this", |r| r.name());
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no such route on the {host} host"),
    )
}

fn bad_request(why: String) -> Response {
    json_error(StatusCode::BAD_REQUEST, "invalid_request", &why)
}

async fn get_settings(State(state): State<AppState>) -> Json<Settings> {
    Json(state.data().settings.clone())
}

/// Merges the given fields into the settings; an unknown field or value is refused whole.
async fn patch_settings(State(state): State<AppState>, body: Bytes) -> Response {
    let patch: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return bad_request(format!("send a JSON object of settings: {e}")),
    };
    let mut data = state.data();
    let mut merged = match serde_json::to_value(&data.settings) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "settings",
            );
        }
    };
    for (k, v) in patch {
        if !merged.contains_key(&k) {
            return bad_request(format!(
                "unknown setting {k:?}; known: {}",
                merged.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        merged.insert(k, v);
    }
    match serde_json::from_value::<Settings>(serde_json::Value::Object(merged)) {
        Ok(s) => {
            data.settings = s.clone();
            Json(s).into_response()
        }
        Err(e) => bad_request(format!("invalid setting: {e}")),
    }
}

async fn list_faults(State(state): State<AppState>) -> Json<Vec<Fault>> {
    Json(state.data().faults.clone())
}

async fn add_fault(State(state): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) if !f.path.starts_with('/') => bad_request("a fault's path must start with /".into()),
        Ok(f) => {
            state.data().faults.push(f.clone());
            (StatusCode::CREATED, Json(f)).into_response()
        }
        Err(e) => bad_request(format!(
            "a fault is {{\"path\": \"/…\", \"method\"?: \"GET\", \"kind\": \"latency\"|\"status\"|\"timeout\"|\"malformed_json\"|\"truncated_body\", \"ms\"?: n, \"status\"?: n, \"times\"?: n}}: {e}"
        )),
    }
}

async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.data().faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Revoke {
    user: String,
    /// Only the access tokens: the store refuses them, a refresh still works.
    #[serde(default)]
    access_only: bool,
}

/// `POST /_emulator/sessions {"user", "resource", "device"}`: starts an HDX session as a
/// redeemed ticket would (or reattaches the user's session of that resource), so a demo or a
/// test has something running without Citrix Workspace app; answers its id.
async fn start_session(State(state): State<AppState>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Start {
        user: String,
        resource: String,
        device: String,
    }
    match serde_json::from_slice::<Start>(&body) {
        Ok(s) => {
            let id = crate::store::start_session(&state, &s.user, &s.resource, &s.device);
            Json(serde_json::json!({ "id": id })).into_response()
        }
        Err(e) => bad_request(format!(
            "send {{\"user\": \"alice\", \"resource\": \"word\", \"device\": \"WPANYDEVICE1234\"}}: {e}"
        )),
    }
}

/// Forces `invalid_grant` for a user's sessions: their grants (refresh tokens) are revoked, or
/// with `access_only` just their current access tokens.
async fn revoke(State(state): State<AppState>, body: Bytes) -> Response {
    let r: Revoke = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(format!(
                "send {{\"user\": \"alice\", \"access_only\"?: true}}: {e}"
            ));
        }
    };
    let mut data = state.data();
    let before = data.access.len();
    if r.access_only {
        data.access.retain(|_, a| a.user != r.user);
    } else {
        let families: Vec<String> = data
            .refresh
            .values()
            .filter(|e| e.grant.user == r.user)
            .map(|e| e.family.clone())
            .chain(
                data.access
                    .values()
                    .filter(|a| a.user == r.user)
                    .map(|a| a.family.clone()),
            )
            .collect();
        for f in families {
            data.revoke_family(&f);
        }
    }
    let revoked = before - data.access.len();
    Json(serde_json::json!({"revokedAccessTokens": revoked})).into_response()
}

async fn script_launch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if state.resource(&id).is_none() {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such resource");
    }
    match serde_json::from_slice::<LaunchScript>(&body) {
        Ok(script) => {
            state.data().launch_scripts.insert(id, script.clone());
            Json(script).into_response()
        }
        Err(e) => bad_request(format!(
            "a launch script is {{\"retries\": n, \"poll_timeout\": s, \"failure\"?: {{\"error_id\": \"…\", \"suggest_restart\": bool}}, \"form\"?: \"seed\"|\"sample\"}}: {e}"
        )),
    }
}

async fn log(State(state): State<AppState>) -> Json<Vec<LoggedRequest>> {
    Json(state.data().log.clone())
}

async fn clear_log(State(state): State<AppState>) -> StatusCode {
    state.data().log.clear();
    StatusCode::NO_CONTENT
}

async fn stats(State(state): State<AppState>) -> Json<serde_json::Value> {
    let data = state.data();
    Json(serde_json::json!({
        "tokenRequests": data.token_requests,
        "refreshRequests": data.refresh_requests,
        "refreshRequestsByUser": data.refreshes_by_user,
        "activeAccessTokens": data.access.len(),
        "sessions": data.sessions.len(),
    }))
}
