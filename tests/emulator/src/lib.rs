//! A local stand-in for Citrix Cloud: Workspace discovery, the OIDC authorization server, the
//! store (enumeration, icons, ticketed launch, ICA files) and ticket redemption as Citrix
//! Workspace app does it. Faithful to `reference/workspace-api.md` and the seed documents.

// Handlers return early with a ready response; boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod oidc;
mod seed;
mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

pub use seed::{OAuthClient, Seed, SeedResource, User, demo};

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to listen on; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Users, clients and resources.
    pub seed: Seed,
    /// How long a new application id is refused (Citrix: up to 5 minutes).
    pub activation_delay: Duration,
    /// Access-token lifetime.
    pub access_token_ttl: Duration,
    /// Answer bad tokens with 401 instead of 400 `invalid_grant`.
    pub bad_token_401: bool,
}

impl EmulatorConfig {
    /// The demo seed on a free loopback port.
    pub fn demo() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: demo::seed(),
            activation_delay: Duration::ZERO,
            access_token_ttl: Duration::from_secs(3600),
            bad_token_401: false,
        }
    }
}

/// One request, as logged.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// `Citrix-TransactionId` (the client's, or one the emulator made).
    pub transaction_id: String,
    /// `Citrix-ApplicationId` header or `ApplicationId` query.
    pub application_id: Option<String>,
    /// Response status.
    pub status: u16,
}

pub(crate) struct Grant {
    pub user: String,
    pub client_id: String,
    pub scope: String,
}

pub(crate) struct PendingCode {
    pub grant: Grant,
    pub redirect_uri: String,
    pub challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires: u64,
}

pub(crate) struct RefreshEntry {
    pub grant: Grant,
    pub family: String,
    pub active: bool,
}

pub(crate) struct Launch {
    pub resource: String,
    pub remaining: u32,
}

#[derive(Default)]
pub(crate) struct Data {
    pub clients: Vec<OAuthClient>,
    pub created_at: HashMap<String, u64>,
    pub codes: HashMap<String, PendingCode>,
    pub access: HashMap<String, (String, u64)>,
    pub refresh: HashMap<String, RefreshEntry>,
    pub revoked_families: Vec<String>,
    pub favorites: HashMap<(String, String), bool>,
    pub launches: HashMap<String, Launch>,
    pub first_launch: HashMap<(String, String), u32>,
    pub tickets: HashMap<String, (String, u64)>,
    pub log: Vec<LoggedRequest>,
    pub token_requests: usize,
}

pub(crate) struct Shared {
    pub config: EmulatorConfig,
    pub data: Mutex<Data>,
}

pub(crate) type AppState = Arc<Shared>;

/// Unix seconds now.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A random URL-safe token of `n` bytes.
pub(crate) fn token(n: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `scheme://host` of the request, so every link points back where the client came from.
pub(crate) fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A JSON error with `Citrix-Error-Source`.
pub(crate) fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut r = (
        status,
        axum::Json(serde_json::json!({"error": error, "error_description": description})),
    )
        .into_response();
    r.headers_mut()
        .insert("Citrix-Error-Source", HeaderValue::from_static("emulator"));
    r
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    url: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl Emulator {
    /// Binds and starts serving.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let mut data = Data {
            clients: config.seed.clients.clone(),
            ..Data::default()
        };
        // Seeded clients were created long ago: their application ids are active.
        for c in &data.clients {
            data.created_at.insert(c.application_id.clone(), 0);
        }
        let state: AppState = Arc::new(Shared {
            config,
            data: Mutex::new(data),
        });
        let app = Router::new()
            .merge(oidc::routes())
            .merge(store::routes())
            .layer(middleware::from_fn_with_state(state.clone(), log_requests))
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Emulator {
            url: format!("http://{addr}"),
            state,
            stop: Some(tx),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Registers a redirect URI on a client, as an admin does in Citrix Cloud.
    pub fn add_redirect_uri(&self, client_id: &str, uri: &str) {
        let mut data = self.state.data.lock().unwrap();
        if let Some(c) = data.clients.iter_mut().find(|c| c.client_id == client_id) {
            c.redirect_uris.push(uri.to_owned());
        }
    }

    /// Every request so far.
    pub fn transaction_log(&self) -> Vec<LoggedRequest> {
        self.state.data.lock().unwrap().log.clone()
    }

    /// How many token-endpoint calls were made.
    pub fn token_requests(&self) -> usize {
        self.state.data.lock().unwrap().token_requests
    }

    /// Stops serving.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn log_requests(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let transaction_id = request
        .headers()
        .get("Citrix-TransactionId")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| token(16));
    let application_id = store::application_id(request.headers(), request.uri().query());
    let mut response = next.run(request).await;
    if let Ok(v) = HeaderValue::from_str(&transaction_id) {
        response.headers_mut().insert("Citrix-TransactionId", v);
    }
    let status = response.status().as_u16();
    eprintln!("{method} {path} -> {status} (txn {transaction_id})");
    state.data.lock().unwrap().log.push(LoggedRequest {
        method,
        path,
        transaction_id,
        application_id,
        status,
    });
    response
}
