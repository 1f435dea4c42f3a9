//! Workspace Portal's worker: the private OAuth client and backend-for-frontend.
//!
//! Decisions live in plain modules that native `cargo test` runs (config, origin, return_to,
//! crypto, id_token, launch, cookies, csrf, error); the rest adapts them to the Workers runtime.

mod admin;
mod api;
mod auth;
mod catalogue;
mod cloud;
mod config;
mod cookies;
mod crypto;
mod csrf;
mod device;
mod discovery;
mod error;
/// Property tests of every parser of untrusted input, bounded by proptest's case count. Native
/// only: proptest's random source does not build for wasm32, where the tests are only linted.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz;
mod id_token;
mod launch;
mod oauth;
mod origin;
mod return_to;
mod rotation;
mod secrets;
mod session;
mod upstream;
mod workspace;

pub use secrets::SecretObject;
pub use session::SessionObject;

use std::time::Duration;

use futures::FutureExt;
use worker::{
    Context, Delay, Env, Headers, Method, Request, Response, ScheduleContext, ScheduledEvent, event,
};

use crate::config::Config;
use crate::device::DeviceId;
use crate::error::PortalError;
use crate::rotation::Command;
use crate::secrets::{Secrets, StepAnswer};

/// Parses the configuration from the environment (vars and secrets are both strings there).
/// The log gets every problem with its detail; callers learn only which settings are wrong.
pub(crate) fn config_from_env(env: &Env) -> Result<Config, PortalError> {
    Config::parse(|name| env.var(name).ok().map(|v| v.to_string())).map_err(|e| {
        worker::console_error!("{e}");
        PortalError::Misconfigured(format!(
            "The portal's settings need fixing: {}. The worker's log says what is wrong with each.",
            e.settings().join(", ")
        ))
    })
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
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
        Err(e) => api::error_response(&e),
    };
    let response = with_security_headers(response, &path)?;
    if known_device.is_none() {
        response
            .headers()
            .append("Set-Cookie", &cookies::device(device.as_str()))?;
    }
    Ok(response)
}

async fn route(req: Request, env: &Env, device: &DeviceId) -> Result<Response, PortalError> {
    let method = req.method();
    let path = req.path();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let ticketed = matches!(
        (&method, segments.as_slice()),
        (Method::Get, ["api", "resources", _, "ica"])
    );
    let request_origin = req.url().ok().map(|u| u.origin().ascii_serialization());
    let portal_url = env.var("PORTAL_URL").ok().map(|v| v.to_string());
    let ours: Vec<&str> = [request_origin.as_deref(), portal_url.as_deref()]
        .into_iter()
        .flatten()
        .map(|o| o.trim_end_matches('/'))
        .collect();
    let (csrf_header, sec_fetch_site, origin) = (
        header(&req, portal_shared::api::CSRF_HEADER),
        header(&req, "Sec-Fetch-Site"),
        header(&req, "Origin"),
    );
    csrf::check(
        csrf::Seen {
            safe_method: method_is_safe(&method),
            ticketed,
            csrf_header: csrf_header.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
            origin: origin.as_deref(),
        },
        &ours,
    )?;
    match (method, segments.as_slice()) {
        (Method::Get, ["auth", "login"]) => Ok(auth::login(&req, env).await),
        (Method::Get, ["auth", "callback"]) => Ok(auth::callback(&req, env).await),
        (Method::Post, ["auth", "logout"]) => auth::logout(&req, env).await,
        (Method::Get, ["api", "session"]) => api::session(&req, env).await,
        (Method::Get, ["api", "resources"]) => api::resources(&req, env).await,
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
        (Method::Post, ["api", "launches", handle, "poll"]) => {
            api::poll(&req, env, handle, device).await
        }
        (Method::Get, ["api", "resources", id, "ica"]) => api::ica(&req, env, id, device).await,
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

/// The daily cron trigger: one step of the client secret's rotation, when it is configured.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let config = match config_from_env(&env) {
        Ok(c) => c,
        // Already logged by config_from_env.
        Err(_) => return,
    };
    if config.rotation.is_none() {
        worker::console_log!(
            "client secret: cron {}: {}",
            event.cron(),
            config::ROTATION_NOT_CONFIGURED
        );
        return;
    }
    let outcome = match Secrets::get(&env) {
        Ok(secrets) => secrets.step(Command::Step).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(StepAnswer::Done(status)) => worker::console_log!(
            "client secret: cron {}: {}",
            event.cron(),
            status.next_action_text
        ),
        Ok(StepAnswer::Refused(why)) => {
            worker::console_warn!("client secret: cron {}: {why}", event.cron())
        }
        Err(e) => worker::console_error!(
            "client secret: cron {} failed: {}",
            event.cron(),
            e.log_line()
        ),
    }
}

/// How long a request may take in all, whatever Citrix Cloud does: a hung upstream costs the
/// user this, once, and then a clear error. The ICA download may wait for a desktop to start.
fn deadline(path: &str) -> Duration {
    if path.starts_with("/api/resources/") && path.ends_with("/ica") {
        Duration::from_secs(40)
    } else {
        Duration::from_secs(10)
    }
}

fn method_is_safe(m: &Method) -> bool {
    matches!(m, Method::Get | Method::Head | Method::Options)
}

pub(crate) fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Headers every worker response carries: no sniffing, no framing, no referrer, no caching of
/// personal data unless a handler opted in.
fn with_security_headers(response: Response, path: &str) -> worker::Result<Response> {
    let headers: Headers = response.headers().clone();
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("X-Frame-Options", "DENY")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("Cross-Origin-Opener-Policy", "same-origin")?;
    headers.set("Cross-Origin-Resource-Policy", "same-origin")?;
    // Browsers ignore it over plain HTTP (local development), and keep to HTTPS once seen.
    headers.set(
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains",
    )?;
    if !headers.has("Content-Security-Policy")? {
        headers.set(
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        )?;
    }
    if !headers.has("Cache-Control")? && (path.starts_with("/api/") || path.starts_with("/auth/")) {
        headers.set("Cache-Control", "no-store")?;
    }
    Ok(response.with_headers(headers))
}
