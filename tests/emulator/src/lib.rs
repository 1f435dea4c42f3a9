//! A local stand-in for Citrix Cloud: Workspace discovery, the OIDC authorization server, the
//! store (enumeration, icons, favourites, ticketed launch, ICA files, sessions), ticket
//! redemption as Citrix Workspace app does it, the Citrix Cloud API for OAuth client secrets,
//! the admin portal's client management, and fault injection. Faithful to
//! `reference/workspace-api.md` and the seed documents.
//!
//! By default the emulator plays Citrix Cloud as several hosts (customer domain, accounts, CDN,
//! trust, CWS API; see [`Topology`]) and answers as a .NET service may ([`Profile`]); see
//! `docs/emulator-realism.md`.

// Handlers return early with a ready response; boxing them would only add noise.
#![allow(clippy::result_large_err)]

mod admin;
mod clients;
mod cloud;
mod control;
mod hosts;
mod icons;
mod jwt;
mod oidc;
mod seed;
mod store;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

pub use clients::{Client, SECRET_LIFETIME_SECS, SecretSlot};
pub use cloud::{rotated_body, rpclients_body};
pub use control::{Fault, FaultKind};
use hosts::Role;
pub use hosts::{Hosts, Ports, Topology};
pub use seed::{
    CloudClient, IconFormat, LaunchFailure, LaunchForm, LaunchScript, OAuthClient, Seed,
    SeedResource, User, demo, generated_resources,
};

/// How the store answers a missing, expired or revoked access token. The docs say 400
/// `invalid_grant`; the samples' sequence diagram shows 401.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadTokenStyle {
    /// `400 {"error":"invalid_grant"}`.
    #[default]
    InvalidGrant400,
    /// `401 {"error":"invalid_token"}`.
    Unauthorized401,
}

/// Which generation of resource links enumeration returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkGeneration {
    /// Before Feb 2026: `launchStatusUrl` (POST) and `launchUrl` (GET).
    #[default]
    Legacy,
    /// Since Feb 2026: `icaFileFetchTicketUrl` and `icaFileUrl`, both GET.
    Current,
}

/// How tidy the answers are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The worst honest case a .NET service writes: explicit `null`s and absent fields mixed,
    /// unknown fields and services, vendor content types, numbers as strings, same-origin
    /// redirects, one malformed resource. Deterministic.
    #[default]
    DotNet,
    /// Tidy answers: every field present and typed as documented, no redirects.
    Plain,
}

/// Behaviour that can change while the emulator runs (`PATCH /_emulator/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Lifetime of new access tokens, in seconds.
    pub access_token_ttl_secs: u64,
    /// How bad tokens are answered.
    pub bad_token: BadTokenStyle,
    /// Which link names enumeration uses.
    pub links: LinkGeneration,
    /// Launch answers' form, unless a resource says otherwise.
    pub launch_form: LaunchForm,
    /// Added to the emulator's clock (e.g. to bring a client secret near its expiry).
    pub clock_offset_secs: i64,
    /// How tidy the answers are.
    pub profile: Profile,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token_ttl_secs: 3600,
            bad_token: BadTokenStyle::default(),
            links: LinkGeneration::default(),
            launch_form: LaunchForm::default(),
            clock_offset_secs: 0,
            profile: Profile::default(),
        }
    }
}

/// How to run the emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// The IP to listen on. Its port is the customer port when `ports.customer` is 0 (so older
    /// callers that set only `bind` keep their customer address); otherwise it is ignored.
    pub bind: SocketAddr,
    /// One host or several.
    pub topology: Topology,
    /// Each role's port; 0 picks a free one. In [`Topology::Single`] only `customer` is used.
    pub ports: Ports,
    /// Users, clients and resources.
    pub seed: Seed,
    /// How long a new application id is refused (Citrix: up to 5 minutes).
    pub activation_delay: Duration,
    /// Initial runtime behaviour.
    pub settings: Settings,
}

impl EmulatorConfig {
    /// The demo seed on a free loopback port, as a standalone emulator runs it: new application
    /// ids take five minutes to activate (the seeded ones are long active).
    pub fn demo() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            topology: Topology::default(),
            ports: Ports::default(),
            seed: demo::seed(),
            activation_delay: Duration::from_secs(300),
            settings: Settings::default(),
        }
    }

    /// The demo seed for tests: application ids are active at once.
    pub fn test() -> Self {
        EmulatorConfig {
            activation_delay: Duration::ZERO,
            ..Self::demo()
        }
    }
}

/// One request, as logged.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// `Citrix-TransactionId` (the client's, or one the emulator made).
    pub transaction_id: String,
    /// Whether the client sent the transaction id.
    pub client_transaction_id: bool,
    /// `Citrix-ApplicationId` header or `ApplicationId` query.
    pub application_id: Option<String>,
    /// Response status.
    pub status: u16,
    /// Which host got the call: `customer`, `accounts`, `cdn`, `trust`, `cws`, or `single` in
    /// [`Topology::Single`].
    pub host: String,
    /// Whether an `Authorization` header was sent.
    pub authorization: bool,
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
    pub acr: Option<String>,
    pub expires: u64,
}

pub(crate) struct RefreshEntry {
    pub grant: Grant,
    pub family: String,
    pub active: bool,
}

pub(crate) struct AccessEntry {
    pub user: String,
    pub client_id: String,
    pub family: String,
    pub expires: u64,
}

/// What a launch retry key leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LaunchKind {
    /// The ticketed launch (launch status → receiver URI).
    Ticket,
    /// The ICA file download.
    IcaFile,
}

pub(crate) struct PendingLaunch {
    pub user: String,
    pub resource: String,
    /// The launching device's `clientName` (or `deviceId`).
    pub device: String,
    pub kind: LaunchKind,
    pub remaining: u32,
}

/// A one-time receiver ticket, waiting for Citrix Workspace app.
pub(crate) struct Ticket {
    pub user: String,
    pub resource: String,
    pub device: String,
    pub expires: u64,
}

/// An HDX session started by redeeming a ticket (or by a test, [`Emulator::start_hdx_session`]).
#[derive(Debug, Clone, Serialize)]
pub struct HdxSession {
    /// The session's id in the store's links (opaque; the .NET profile's need encoding).
    pub id: String,
    /// Whose session.
    pub user: String,
    /// What runs in it.
    pub resource: String,
    /// The launching device's `clientName` (or `deviceId`).
    pub device: String,
    /// When it started, Unix seconds.
    pub started: u64,
    /// Disconnected: still running, no device attached (Workspace Control can reconnect it).
    pub disconnected: bool,
}

#[derive(Default)]
pub(crate) struct Data {
    pub settings: Settings,
    pub clients: Vec<Client>,
    pub codes: HashMap<String, PendingCode>,
    pub access: HashMap<String, AccessEntry>,
    pub refresh: HashMap<String, RefreshEntry>,
    pub revoked_families: HashSet<String>,
    pub sso: HashMap<String, String>,
    pub consents: HashSet<(String, String)>,
    pub favorites: HashMap<(String, String), bool>,
    pub launches: HashMap<String, PendingLaunch>,
    pub tickets: HashMap<String, Ticket>,
    pub sessions: Vec<HdxSession>,
    pub cloud_tokens: HashMap<String, u64>,
    pub launch_scripts: HashMap<String, LaunchScript>,
    pub faults: Vec<Fault>,
    pub log: Vec<LoggedRequest>,
    pub token_requests: usize,
    pub refresh_requests: usize,
    /// Refresh-token grants by the user whose grant they presented (unknown tokens are not
    /// attributed), so a load test can hold each session to its own refresh budget.
    pub refreshes_by_user: HashMap<String, usize>,
    /// Every access, refresh and ID token ever issued, so a test can look for them where they
    /// must never appear (the browser, the portal's answers and logs).
    pub issued_tokens: Vec<String>,
}

impl Data {
    /// Ends a grant: its refresh tokens stop working and so do its access tokens.
    pub fn revoke_family(&mut self, family: &str) {
        self.revoked_families.insert(family.to_owned());
        self.refresh
            .values_mut()
            .filter(|e| e.family == family)
            .for_each(|e| e.active = false);
        self.access.retain(|_, a| a.family != family);
    }

    /// The client with this OAuth client id.
    pub fn client(&self, client_id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.seed.client_id == client_id)
    }
}

pub(crate) struct Shared {
    pub config: EmulatorConfig,
    /// Every role's base URL.
    pub hosts: Hosts,
    pub data: Mutex<Data>,
    /// Wakes requests held by a timeout fault when the emulator stops listening.
    pub stopping: tokio::sync::Notify,
}

impl Shared {
    /// The emulator's state. A handler that panicked while holding it must not take the whole
    /// emulator down with it, so a poisoned lock is used as it is.
    pub fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Unix seconds on the emulator's clock (the real clock plus the configured offset).
    pub fn now(&self) -> u64 {
        let offset = self.data().settings.clock_offset_secs;
        system_now().saturating_add_signed(offset)
    }

    /// The seeded user called `name`.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.config.seed.users.iter().find(|u| u.username == name)
    }

    /// The seeded resource with this id.
    pub fn resource(&self, id: &str) -> Option<&SeedResource> {
        self.config.seed.resources.iter().find(|r| r.id == id)
    }

    /// The answers' profile now.
    pub fn profile(&self) -> Profile {
        self.data().settings.profile
    }

    /// The base URL of `role` for links: its known address in the realistic topology, or the
    /// request's `Host` in the single one (everything on one host, links point back where the
    /// client came from).
    pub fn base(&self, role: Role, headers: &HeaderMap) -> String {
        match self.config.topology {
            Topology::Single => base(headers),
            Topology::Realistic => self.hosts.of(role).to_owned(),
        }
    }

    /// How launches of `r` behave now: a script set over the control API, or the seed's.
    pub fn launch_script(&self, r: &SeedResource) -> LaunchScript {
        self.data()
            .launch_scripts
            .get(&r.id)
            .cloned()
            .unwrap_or_else(|| r.launch.clone())
    }
}

pub(crate) type AppState = Arc<Shared>;

fn system_now() -> u64 {
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
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A JSON error in RFC 6749 form, with `Citrix-Error-Source`.
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

/// JSON with this content type (e.g. a vendor type with a charset).
pub(crate) fn json_as(content_type: &'static str, body: &serde_json::Value) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, content_type)],
        body.to_string(),
    )
        .into_response()
}

/// `text` percent-encoded as one path segment: everything but ASCII letters, digits and `-._~`
/// (so a space, `/`, `?`, `#`, `%`, `$` and non-ASCII never leak into the path's structure).
pub(crate) fn seg(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escapes text for HTML.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A running emulator; stops when dropped.
pub struct Emulator {
    state: AppState,
    /// Each listener's role and address (kept to listen again after [`Emulator::go_down`]).
    listeners: Vec<(Role, SocketAddr)>,
    stops: Vec<oneshot::Sender<()>>,
}

/// The routes one listener serves, with the control API, the log and faults.
fn router(state: &AppState, role: Role) -> Router {
    let routes = match role {
        Role::Customer => store::routes().merge(admin::routes()),
        Role::Accounts => oidc::routes(),
        Role::Cdn => store::cdn_routes(),
        Role::Trust => cloud::trust_routes(),
        Role::Cws => cloud::cws_routes(),
        Role::Single => store::routes()
            .merge(admin::routes())
            .merge(oidc::routes())
            .merge(cloud::trust_routes())
            .merge(cloud::cws_routes()),
    };
    let mut app = routes.merge(control::routes()).fallback(control::not_found);
    if role == Role::Customer {
        app = app.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            hosts::customer_domain,
        ));
    }
    app.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        control::faults_and_log,
    ))
    .layer(axum::Extension(role))
    .with_state(state.clone())
}

impl Emulator {
    /// Binds every listener of the topology and starts serving.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let start = system_now();
        let ip = config.bind.ip();
        let mut ports = config.ports;
        if ports.customer == 0 {
            ports.customer = config.bind.port();
        }
        // Every address first, so that links can name them all; nothing serves before that.
        let mut bound = Vec::new();
        for (role, port) in Role::plan(config.topology, ports) {
            let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, port)).await?;
            bound.push((role, listener));
        }
        let mut listeners = Vec::new();
        for (role, l) in &bound {
            listeners.push((*role, l.local_addr()?));
        }
        let data = Data {
            settings: config.settings.clone(),
            // Seeded clients were created long ago: their application ids are active.
            clients: config
                .seed
                .clients
                .iter()
                .map(|c| Client::seeded(c, start))
                .collect(),
            ..Data::default()
        };
        let state: AppState = Arc::new(Shared {
            hosts: Hosts::of_listeners(config.topology, &listeners),
            config,
            data: Mutex::new(data),
            stopping: tokio::sync::Notify::new(),
        });
        let mut emulator = Emulator {
            state,
            listeners,
            stops: Vec::new(),
        };
        for (role, listener) in bound {
            emulator.serve(role, listener);
        }
        Ok(emulator)
    }

    fn serve(&mut self, role: Role, listener: tokio::net::TcpListener) {
        let app = router(&self.state, role);
        let (tx, rx) = oneshot::channel();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        self.stops.push(tx);
    }

    /// Every role's base URL.
    pub fn hosts(&self) -> Hosts {
        self.state.hosts.clone()
    }

    /// The customer domain's base URL, e.g. `http://127.0.0.1:41234` (`hosts().customer`).
    pub fn url(&self) -> String {
        self.state.hosts.customer.clone()
    }

    /// Stops listening on every host, as if Citrix Cloud were down; state is kept.
    pub fn go_down(&mut self) {
        for tx in self.stops.drain(..) {
            let _ = tx.send(());
        }
        self.state.stopping.notify_waiters();
    }

    /// Listens again on the same addresses, with the state it had.
    pub async fn come_back(&mut self) -> std::io::Result<()> {
        self.go_down();
        let mut bound = Vec::new();
        for &(role, addr) in &self.listeners {
            // The old listener closes asynchronously; give it a moment to release the port.
            let mut last = None;
            for _ in 0..50 {
                match tokio::net::TcpListener::bind(addr).await {
                    Ok(l) => {
                        last = None;
                        bound.push((role, l));
                        break;
                    }
                    Err(e) => last = Some(e),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if let Some(e) = last {
                return Err(e);
            }
        }
        for (role, listener) in bound {
            self.serve(role, listener);
        }
        Ok(())
    }

    /// Registers a redirect URI on a client, as an admin does in Citrix Cloud.
    pub fn add_redirect_uri(&self, client_id: &str, uri: &str) {
        let mut data = self.state.data();
        if let Some(c) = data
            .clients
            .iter_mut()
            .find(|c| c.seed.client_id == client_id)
        {
            c.seed.redirect_uris.push(uri.to_owned());
        }
    }

    /// Every request so far.
    pub fn transaction_log(&self) -> Vec<LoggedRequest> {
        self.state.data().log.clone()
    }

    /// How many token-endpoint calls were made.
    pub fn token_requests(&self) -> usize {
        self.state.data().token_requests
    }

    /// How many refresh tokens of `user` (the sign-in name) still work: neither used up nor
    /// revoked.
    pub fn live_refresh_tokens(&self, user: &str) -> usize {
        let data = self.state.data();
        data.refresh
            .values()
            .filter(|e| {
                e.active && e.grant.user == user && !data.revoked_families.contains(&e.family)
            })
            .count()
    }

    /// How many of the token-endpoint calls were refresh-token grants.
    pub fn refresh_requests(&self) -> usize {
        self.state.data().refresh_requests
    }

    /// Refresh-token grants so far, by the user whose grant was presented.
    pub fn refresh_requests_by_user(&self) -> std::collections::BTreeMap<String, usize> {
        self.state
            .data()
            .refreshes_by_user
            .iter()
            .map(|(u, n)| (u.clone(), *n))
            .collect()
    }

    /// An access token of `user` that still works, to call the store directly as the portal
    /// does (the benchmark's baseline).
    pub fn live_access_token(&self, user: &str) -> Option<String> {
        let now = self.state.now();
        let data = self.state.data();
        data.access
            .iter()
            .filter(|(_, e)| {
                e.user == user && e.expires > now && !data.revoked_families.contains(&e.family)
            })
            .max_by_key(|(_, e)| e.expires)
            .map(|(token, _)| token.clone())
    }

    /// Every access, refresh and ID token issued so far, expired, used up or revoked as well.
    pub fn every_token_issued(&self) -> Vec<String> {
        self.state.data().issued_tokens.clone()
    }

    /// The current settings.
    pub fn settings(&self) -> Settings {
        self.state.data().settings.clone()
    }

    /// Changes the settings.
    pub fn set_settings(&self, settings: Settings) {
        self.state.data().settings = settings;
    }

    /// Adds a fault; it applies to requests from now on.
    pub fn inject(&self, fault: Fault) {
        self.state.data().faults.push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.data().faults.clear();
    }

    /// The HDX sessions started by redeemed tickets.
    pub fn hdx_sessions(&self) -> Vec<HdxSession> {
        self.state.data().sessions.clone()
    }

    /// Starts an HDX session as a redeemed ticket would, for `user` on `device`; the resource
    /// need not be in the catalogue (a session outlives its app being unpublished). Its id.
    pub fn start_hdx_session(&self, user: &str, resource: &str, device: &str) -> String {
        store::start_session(&self.state, user, resource, device)
    }

    /// Ends every HDX session of `user` at once, as an administrator would, for tests.
    pub fn end_hdx_sessions(&self, user: &str) {
        self.state.data().sessions.retain(|s| s.user != user);
    }

    /// Scripts how launches of resource `id` behave from now on.
    pub fn script_launch(&self, id: &str, script: LaunchScript) {
        self.state
            .data()
            .launch_scripts
            .insert(id.to_owned(), script);
    }

    /// A client as the Citrix Cloud admin portal would show it.
    pub fn client(&self, client_id: &str) -> Option<Client> {
        self.state.data().client(client_id).cloned()
    }

    /// Unix seconds on the emulator's clock.
    pub fn now(&self) -> u64 {
        self.state.now()
    }

    /// Stops serving.
    pub async fn shutdown(mut self) {
        self.go_down();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.go_down();
    }
}
