//! Workspace Portal's worker: the private OAuth client and backend-for-frontend.
//!
//! This file only routes. The rooms, from the top down (a module uses only those below it):
//!
//! - `routes`: the handlers of `/auth/*` and `/api/*`;
//! - `session`: the session Durable Object, which holds a user's tokens and refreshes them;
//! - `secret`: the client secret at runtime and its rotation;
//! - `auth`: the OAuth client, ID-token checks and `returnTo`;
//! - `citrix`: Citrix Cloud: discovery, the upstream call, the Workspace and Citrix Cloud API
//!   payloads, the catalogue, launches;
//! - `config`, `crypto`, `durable`, `http`: settings, keys, the Durable Objects' plumbing, and
//!   HTTP at the edge (errors, cookies, CSRF, origins and the SSRF guard, headers).
//!
//! Decisions live in plain functions that native `cargo test` runs; the rest adapts them to the
//! Workers runtime.

mod auth;
mod citrix;
mod config;
mod crypto;
mod durable;
/// Property tests of every parser of untrusted input, bounded by proptest's case count. Native
/// only: proptest's random source does not build for wasm32, where the tests are only linted.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz;
mod http;
mod routes;
mod secret;
mod session;

pub use secret::SecretObject;
pub use session::SessionObject;

use futures::FutureExt;
use worker::{
    Context, Delay, Env, Method, Request, Response, ScheduleContext, ScheduledEvent, event,
};

use crate::citrix::device::DeviceId;
use crate::http::error::PortalError;
use crate::http::timing;
use crate::http::{cookies, deadline, error_response, header, with_security_headers};
use crate::routes::{admin, api, preferences, sessions, sign_in, web_app};
use crate::secret::rotation::Command;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let cost = timing::mark();
    let path = req.path();
    let known_device = DeviceId::from_cookies(&header(&req, "Cookie").unwrap_or_default());
    let device = known_device.clone().unwrap_or_else(DeviceId::generate);
    let deadline = deadline(&path);
    let outcome = futures::select! {
        r = route(req, &env, &device).fuse() => r,
        _ = Delay::from(deadline).fuse() => Err(PortalError::Upstream {
            what: "working on your request".into(),
            detail: format!("{path}: no answer within the request's deadline of {deadline:?}"),
        }),
    };
    let response = match outcome {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    let response = with_security_headers(response, &path)?;
    response
        .headers()
        .set("Server-Timing", &cost.server_timing())?;
    if known_device.is_none() {
        response
            .headers()
            .append("Set-Cookie", &cookies::device(device.as_str()))?;
    }
    Ok(response)
}

async fn route(req: Request, env: &Env, device: &DeviceId) -> Result<Response, PortalError> {
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    http::guard(&req, env, &segments)?;
    match (req.method(), segments.as_slice()) {
        (Method::Get, ["auth", "login"]) => Ok(sign_in::login(&req, env).await),
        (Method::Get, ["auth", "callback"]) => Ok(sign_in::callback(&req, env).await),
        (Method::Post, ["auth", "logout"]) => sign_in::logout(&req, env).await,
        (Method::Get, ["api", "session"]) => api::session(&req, env).await,
        (Method::Get, ["api", "resources"]) => api::resources(&req, env).await,
        (Method::Put, ["api", "preferences"]) => preferences::put(&req, env).await,
        (Method::Get, ["api", "icons", id]) => api::icon(&req, env, id).await,
        (Method::Put, ["api", "resources", id, "favorite"]) => {
            api::favorite(&req, env, id, true).await
        }
        (Method::Delete, ["api", "resources", id, "favorite"]) => {
            api::favorite(&req, env, id, false).await
        }
        (Method::Post, ["api", "resources", id, "launch"]) => {
            api::launch(&req, env, id, device).await
        }
        (Method::Post, ["api", "resources", id, "open"]) => web_app::open(&req, env, id).await,
        (Method::Post, ["api", "launches", handle, "poll"]) => {
            api::poll(&req, env, handle, device).await
        }
        (Method::Get, ["api", "resources", id, "ica"]) => api::ica(&req, env, id, device).await,
        (Method::Get, ["api", "sessions"]) => sessions::running(&req, env, device).await,
        (Method::Post, ["api", "sessions", act]) => {
            sessions::all(&req, env, device, session_action(act)?).await
        }
        (Method::Post, ["api", "sessions", id, act]) => {
            sessions::one(&req, env, device, id, session_action(act)?).await
        }
        (Method::Get, ["api", "admin", "secret"]) => admin::status(&req, env).await,
        (Method::Post, ["api", "admin", "secret", "rotate"]) => {
            admin::run(&req, env, Command::RotateNow).await
        }
        (Method::Post, ["api", "admin", "secret", "expire-old"]) => {
            admin::run(&req, env, Command::ExpireOldNow).await
        }
        (_, ["api" | "auth", ..]) => Err(PortalError::NotFound("This API route".into())),
        // Everything else is the single-page app's.
        _ => match env.assets("ASSETS") {
            Ok(assets) => assets
                .fetch_request(req)
                .await
                .map_err(|e| PortalError::Internal(format!("assets: {e}"))),
            Err(_) => Err(PortalError::NotFound("This page".into())),
        },
    }
}

/// The action a `/api/sessions` path names.
fn session_action(segment: &str) -> Result<portal_shared::api::SessionAction, PortalError> {
    use portal_shared::api::SessionAction;
    match segment {
        "disconnect" => Ok(SessionAction::Disconnect),
        "logoff" => Ok(SessionAction::LogOff),
        _ => Err(PortalError::NotFound("This API route".into())),
    }
}

/// The daily cron trigger: one step of the client secret's rotation, when it is configured.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    secret::cron(&env, &event.cron()).await;
}
