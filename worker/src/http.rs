//! HTTP at the worker's edge: reading requests, shaping responses, the checks every request
//! passes before it is routed, and the headers every response leaves with.

pub mod cookies;
pub mod csrf;
pub mod error;
pub mod origin;
pub mod timing;

use std::time::Duration;

use serde::Serialize;
use worker::{Env, Headers, Method, Request, Response};

use error::PortalError;

/// A request header's value.
pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The one place a [`PortalError`] becomes an HTTP response.
pub fn error_response(e: &PortalError) -> Response {
    let (status, body) = e.to_api();
    if status >= 500 {
        worker::console_error!("{}", e.log_line());
    }
    json(status, &body).unwrap_or_else(|_| {
        Response::empty()
            .expect("an empty response")
            .with_status(status)
    })
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, body: &T) -> Result<Response, PortalError> {
    Response::from_json(body)
        .map(|r| r.with_status(status))
        .map_err(|e| PortalError::Internal(format!("serialising a response: {e}")))
}

/// The CSRF check, before routing: on every state-changing request, and on the GET that
/// fetches a launch ticket (the ICA download).
pub fn guard(req: &Request, env: &Env, segments: &[&str]) -> Result<(), PortalError> {
    let method = req.method();
    let ticketed = matches!(
        (&method, segments),
        (Method::Get, ["api", "resources", _, "ica"])
    );
    let portal_url = env.var("PORTAL_URL").ok().map(|v| v.to_string());
    let ours = csrf::origins(req.url().ok().as_ref(), portal_url.as_deref());
    let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
    let (csrf_header, sec_fetch_site, origin) = (
        header(req, portal_shared::api::CSRF_HEADER),
        header(req, "Sec-Fetch-Site"),
        header(req, "Origin"),
    );
    csrf::check(
        csrf::Seen {
            safe_method: matches!(method, Method::Get | Method::Head | Method::Options),
            ticketed,
            csrf_header: csrf_header.as_deref(),
            sec_fetch_site: sec_fetch_site.as_deref(),
            origin: origin.as_deref(),
        },
        &ours,
    )
}

/// How long a request may take in all, whatever Citrix Cloud does: a hung upstream costs the
/// user this, once, and then a clear error. The ICA download may wait for a desktop to start.
pub fn deadline(path: &str) -> Duration {
    if path.starts_with("/api/resources/") && path.ends_with("/ica") {
        Duration::from_secs(40)
    } else {
        Duration::from_secs(10)
    }
}

/// Headers every worker response carries: no sniffing, no framing, no referrer, no caching of
/// personal data unless a handler opted in.
pub fn with_security_headers(response: Response, path: &str) -> worker::Result<Response> {
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
