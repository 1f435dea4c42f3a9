//! Workspace discovery and the store: enumeration (either link generation), icons, favourites,
//! ticketed launch (the seed's 202/201 form or the samples' 200 `status` form, scriptable per
//! resource), ICA files by launch URL (with 202 retries too), one-time receiver tickets redeemed
//! as Citrix Workspace app does it, and HDX sessions with disconnect and logoff; and the CDN's
//! icons.
//!
//! Resource ids are opaque: every link carries them percent-encoded as one path segment. The
//! .NET profile (see `Profile`) shapes discovery, enumeration and launch answers as the worst
//! honest case of a .NET service, and redirects icons and ICA files once, same-origin.
//!
//! This file holds the routes, the checks every store call makes and discovery; the resource
//! list with favourites, icons, launch and sessions live in the child modules.

mod images;
mod launch;
mod resources;
mod sessions;
mod web;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::hosts::Role;
use crate::{AppState, BadTokenStyle, Profile, Topology, json_as, json_error};
use images::{cdn_icon, icon, icon_v2};
use launch::{canonical_ica_file, ica_file, launch_status, launch_url, redeem, retry};
use resources::{favorite, resources, unfavorite};
pub(crate) use sessions::start_session;
use sessions::{disconnect, disconnect_one, logoff, logoff_one, sessions};

const RESOURCES: &str = "/citrixapi/store/resources";
const JSON_UTF8: &str = "application/json; charset=utf-8";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/citrixapi/discovery/configurations", get(discovery))
        .route(RESOURCES, get(resources))
        .route("/citrixapi/store/resources/images/{file}", get(icon))
        .route("/citrixapi/store/resources/images/v2/{file}", get(icon_v2))
        .route(
            "/citrixapi/store/resources/{id}/launchStatus",
            post(launch_status),
        )
        .route(
            "/citrixapi/store/resources/{id}/icaFileFetchTicket",
            get(launch_status),
        )
        .route("/citrixapi/store/resources/{id}/launch", get(launch_url))
        .route("/citrixapi/store/resources/{id}/icaFile", get(ica_file))
        .route(
            "/citrixapi/store/v2/resources/{id}/icaFile",
            get(canonical_ica_file),
        )
        .route(
            "/citrixapi/store/resources/{id}/$favorite",
            post(favorite).delete(unfavorite),
        )
        .route(
            "/citrixapi/store/launch/retry/{key}",
            get(retry).post(retry),
        )
        .route("/citrixapi/store/client/icaFile", post(redeem))
        .route("/citrixapi/store/sessions", get(sessions))
        .route("/citrixapi/store/sessions/$logoff", post(logoff))
        .route("/citrixapi/store/sessions/$disconnect", post(disconnect))
        .route("/citrixapi/store/sessions/{id}/$logoff", post(logoff_one))
        .route(
            "/citrixapi/store/sessions/{id}/$disconnect",
            post(disconnect_one),
        )
}

/// The CDN host: icons without credentials.
pub fn cdn_routes() -> Router<AppState> {
    Router::new().route("/icons/{file}", get(cdn_icon))
}

/// JSON in the profile's form: plain `application/json`, or with a charset (.NET).
fn answer(state: &AppState, status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = match state.profile() {
        Profile::Plain => Json(body).into_response(),
        Profile::DotNet => json_as(JSON_UTF8, body),
    };
    *r.status_mut() = status;
    r
}

/// A `307` to a same-origin URL.
fn temporary_redirect(to: &str) -> Response {
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, to)]).into_response()
}

/// `?query` or nothing.
fn with_query(q: Option<&str>) -> String {
    q.filter(|q| !q.is_empty())
        .map(|q| format!("?{q}"))
        .unwrap_or_default()
}

/// The application id of a request: `Citrix-ApplicationId` header or `ApplicationId` query.
pub fn application_id(headers: &HeaderMap, query: Option<&str>) -> Option<String> {
    headers
        .get("Citrix-ApplicationId")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "ApplicationId")
                .map(|(_, v)| v.into_owned())
        })
}

/// Checks the customer host (single topology; the realistic one checks it for the whole
/// customer listener) and the application id.
fn check_app(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Result<(), Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let hosts = &state.config.seed.customer_hosts;
    let known = if state.config.topology == Topology::Realistic {
        true
    } else if hosts.is_empty() {
        let name = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        matches!(name, "127.0.0.1" | "localhost" | "[::1]")
    } else {
        hosts.iter().any(|h| h == host)
    };
    if !known {
        return Err(json_error(
            StatusCode::NOT_FOUND,
            "unknown_customer",
            "no customer has this domain",
        ));
    }
    let Some(app) = application_id(headers, query) else {
        return Err(json_error(
            StatusCode::BAD_REQUEST,
            "missing_application_id",
            "send the Citrix-ApplicationId header or the ApplicationId query parameter",
        ));
    };
    let now = state.now();
    let data = state.data();
    let Some(client) = data.clients.iter().find(|c| c.seed.application_id == app) else {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "unknown_application_id",
            "no OAuth client has this application id",
        ));
    };
    if now < client.created_at + state.config.activation_delay.as_secs() {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "application_id_not_active",
            "a new application id can take up to 5 minutes to become active",
        ));
    }
    Ok(())
}

/// The user of a valid bearer token.
pub fn bearer_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let presented = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let now = state.now();
    let data = state.data();
    let entry = data.access.get(presented)?;
    // A disabled or deleted client stops working at once, tokens and all (seed: "Enable and
    // Disable Clients").
    let client_usable = data
        .client(&entry.client_id)
        .is_some_and(|c| c.seed.enabled);
    (now < entry.expires && client_usable).then(|| entry.user.clone())
}

/// App id and bearer token checks of a store call; the user on success.
fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<String, Response> {
    check_app(state, headers, query)?;
    bearer_user(state, headers).ok_or_else(|| match state.data().settings.bad_token {
        BadTokenStyle::Unauthorized401 => json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Access token is invalid.",
        ),
        BadTokenStyle::InvalidGrant400 => json_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Access token is invalid.",
        ),
    })
}

async fn discovery(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    if let Err(r) = check_app(&state, &headers, q.as_deref()) {
        return r;
    }
    let b = state.base(Role::Customer, &headers);
    let accounts = state.base(Role::Accounts, &headers);
    let host = b.trim_start_matches("http://").to_owned();
    let acr = format!("tenant:{}", state.config.seed.customer_id);
    let oidc = format!("{accounts}/core/.well-known/openid-configuration");
    let scopes = ["openid", "wsp", "spa", "leases", "offline_access"];
    match state.profile() {
        Profile::Plain => Json(serde_json::json!({
            "services": [{
                "service": "store",
                "endpoints": [
                    {"id": "ListResources", "url": format!("{b}{RESOURCES}"), "capabilities": ["acceptCachedResults"]},
                    {"id": "ListSessions", "url": format!("{b}/citrixapi/store/sessions"), "capabilities": []},
                    {"id": "LogoffSessions", "url": format!("{b}/citrixapi/store/sessions/$logoff"), "capabilities": []},
                    {"id": "DisconnectSessions", "url": format!("{b}/citrixapi/store/sessions/$disconnect"), "capabilities": []},
                ]
            }],
            "authScopes": scopes,
            "clientSettings": {
                "customerDomain": host, "authDomain": host, "promptLoginEnabled": false, "acr_values": acr,
                "oidcConfiguration": {"oidc_discovery_endpoint": oidc}
            }
        }))
        .into_response(),
        // Unknown services first (one with `endpoints: null`, one without `endpoints`), the
        // store's endpoints out of order with an unknown one whose `url` is null,
        // `capabilities: null`, `authDomain` left out, `promptLoginEnabled: null`, unknown
        // fields at every level, and a vendor content type.
        Profile::DotNet => json_as(
            "application/vnd.citrix.discovery+json; charset=utf-8",
            &serde_json::json!({
                "services": [
                    {"service": "sessions", "endpoints": null, "serviceVersion": null},
                    {"service": "featureFlags", "serviceVersion": "2.1"},
                    {
                        "service": "store",
                        "serviceVersion": "1.0",
                        "endpoints": [
                            {"id": "ListSessions", "url": format!("{b}/citrixapi/store/sessions"), "capabilities": [], "version": null},
                            {"id": "Telemetry", "url": null, "capabilities": null, "version": null},
                            {"id": "ListResources", "url": format!("{b}{RESOURCES}"), "capabilities": null, "version": "1.0", "deprecated": false},
                            {"id": "LogoffSessions", "url": format!("{b}/citrixapi/store/sessions/$logoff"), "capabilities": null, "method": "POST"},
                            {"id": "DisconnectSessions", "url": format!("{b}/citrixapi/store/sessions/$disconnect"), "capabilities": null, "method": "POST"},
                        ]
                    }
                ],
                "authScopes": scopes,
                "clientSettings": {
                    "customerDomain": host, "promptLoginEnabled": null, "acr_values": acr,
                    "oidcConfiguration": {"oidc_discovery_endpoint": oidc, "clientIdHint": null},
                    "telemetryEnabled": false, "region": null
                },
                "discoveryVersion": "2.0",
                "links": null
            }),
        ),
    }
}
