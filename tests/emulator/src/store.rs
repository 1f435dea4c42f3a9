//! Workspace discovery and the store: enumeration, icons, ticketed launch (the seed's 202 retry
//! then 201 with a one-time ticket), ICA files, and ticket redemption as Citrix Workspace app
//! does it.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::{AppState, Launch, SeedResource, base, json_error, now, token};

/// How long a receiver ticket can be redeemed.
const TICKET_TTL_SECS: u64 = 120;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/citrixapi/discovery/configurations", get(discovery))
        .route("/citrixapi/store/resources", get(resources))
        .route("/citrixapi/store/resources/images/{file}", get(icon))
        .route(
            "/citrixapi/store/resources/{id}/launchStatus",
            post(launch_status),
        )
        .route(
            "/citrixapi/store/resources/{id}/launch",
            get(ica_by_launch_url),
        )
        .route(
            "/citrixapi/store/launch/retry/{key}",
            get(retry).post(retry),
        )
        .route("/citrixapi/store/client/icaFile", post(redeem))
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

/// Checks the customer host and the application id.
fn check_app(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Result<(), Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let hosts = &state.config.seed.customer_hosts;
    let known = if hosts.is_empty() {
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
    let data = state.data.lock().unwrap();
    if !data.clients.iter().any(|c| c.application_id == app) {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "unknown_application_id",
            "no OAuth client has this application id",
        ));
    }
    let created = data.created_at.get(&app).copied().unwrap_or(0);
    if now() < created + state.config.activation_delay.as_secs() {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "application_id_not_active",
            "a new application id takes a few minutes to become active",
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
    let data = state.data.lock().unwrap();
    let (user, expires) = data.access.get(presented)?;
    (now() < *expires).then(|| user.clone())
}

/// App id and bearer token checks of a store call; the user on success.
fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<String, Response> {
    check_app(state, headers, query)?;
    bearer_user(state, headers).ok_or_else(|| {
        if state.config.bad_token_401 {
            json_error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Access token is invalid.",
            )
        } else {
            json_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Access token is invalid.",
            )
        }
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
    let b = base(&headers);
    let host = b.trim_start_matches("http://").to_owned();
    Json(serde_json::json!({
        "services": [{
            "service": "store",
            "endpoints": [
                {"id": "ListResources", "url": format!("{b}/citrixapi/store/resources"), "capabilities": ["acceptCachedResults"]},
            ]
        }],
        "authScopes": ["openid", "wsp", "spa", "leases", "offline_access"],
        "clientSettings": {
            "customerDomain": host, "authDomain": host, "promptLoginEnabled": false, "acr_values": "tenant:acme",
            "oidcConfiguration": {"oidc_discovery_endpoint": format!("{b}/core/.well-known/openid-configuration")}
        }
    }))
    .into_response()
}

fn resource_json(b: &str, r: &SeedResource, favorite: bool) -> serde_json::Value {
    let mut links = serde_json::json!({"imageUrl": format!("{b}/citrixapi/store/resources/images/{}.svg", r.id)});
    if r.launchable() {
        links["launchStatusUrl"] =
            format!("{b}/citrixapi/store/resources/{}/launchStatus", r.id).into();
        links["launchUrl"] = format!("{b}/citrixapi/store/resources/{}/launch", r.id).into();
    }
    serde_json::json!({
        "resourceId": r.id, "name": r.name, "description": r.description,
        "type": if r.desktop { "Citrix.MPS.Desktop" } else { "Citrix.MPS.Application" },
        "path": r.path, "isFavorite": favorite, "clientTypes": r.client_types, "enabled": true, "links": links,
    })
}

async fn resources(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let b = base(&headers);
    let data = state.data.lock().unwrap();
    let list: Vec<_> = state
        .config
        .seed
        .resources
        .iter()
        .map(|r| {
            let fav = data
                .favorites
                .get(&(user.clone(), r.id.clone()))
                .copied()
                .unwrap_or(r.favorite);
            resource_json(&b, r, fav)
        })
        .collect();
    Json(serde_json::json!({"resources": list})).into_response()
}

async fn icon(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    // An <img> cannot send headers: the app id may come as ?ApplicationId=, and no token is needed.
    if let Err(r) = check_app(&state, &headers, q.as_deref()) {
        return r;
    }
    let id = file.strip_suffix(".svg").unwrap_or(&file);
    let Some(r) = state.config.seed.resources.iter().find(|r| r.id == id) else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such image");
    };
    let initials: String = r
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    let svg = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 64 64'><rect width='64' height='64' rx='14' fill='{}'/><text x='32' y='41' font-family='sans-serif' font-size='24' font-weight='700' text-anchor='middle' fill='#fff'>{}</text></svg>",
        r.color,
        initials.replace('&', "&amp;").replace('<', "&lt;")
    );
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        svg,
    )
        .into_response()
}

/// The seed's launch answer: 202 while the resource is "starting", then 201 with a ticket.
fn launch_answer(state: &AppState, headers: &HeaderMap, user: &str, resource: &str) -> Response {
    let Some(r) = state
        .config
        .seed
        .resources
        .iter()
        .find(|r| r.id == resource)
    else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such resource");
    };
    if !r.launchable() {
        return json_error(
            StatusCode::BAD_REQUEST,
            "not_launchable",
            "only ica30 resources can be launched",
        );
    }
    let b = base(headers);
    let mut data = state.data.lock().unwrap();
    let remaining = data
        .first_launch
        .remove(&(user.to_owned(), resource.to_owned()))
        .unwrap_or(r.launch_retries);
    if remaining > 0 {
        let key = token(12);
        data.launches.insert(
            key.clone(),
            Launch {
                resource: resource.to_owned(),
                remaining: remaining - 1,
            },
        );
        return (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({"retryUrl": format!("{b}/citrixapi/store/launch/retry/{key}"), "retryKey": key, "pollTimeout": r.poll_timeout})),
        )
            .into_response();
    }
    let ticket = token(24);
    data.tickets.insert(
        ticket.clone(),
        (resource.to_owned(), now() + TICKET_TTL_SECS),
    );
    let host = b.trim_start_matches("http://");
    (StatusCode::CREATED, Json(serde_json::json!({"receiverUri": format!("receiver://{host}/citrixapi/store/client/icaFile?ticket={ticket}")}))).into_response()
}

async fn launch_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    match authorize(&state, &headers, q.as_deref()) {
        Ok(user) => launch_answer(&state, &headers, &user, &id),
        Err(r) => r,
    }
}

async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(key): Path<String>,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(launch) = state.data.lock().unwrap().launches.remove(&key) else {
        return json_error(
            StatusCode::NOT_FOUND,
            "unknown_retry_key",
            "no launch is waiting under this key",
        );
    };
    state
        .data
        .lock()
        .unwrap()
        .first_launch
        .insert((user.clone(), launch.resource.clone()), launch.remaining);
    launch_answer(&state, &headers, &user, &launch.resource)
}

async fn ica_by_launch_url(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = authorize(&state, &headers, q.as_deref()) {
        return r;
    }
    match state
        .config
        .seed
        .resources
        .iter()
        .find(|r| r.id == id && r.launchable())
    {
        Some(r) => ica(r),
        None => json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such launchable resource",
        ),
    }
}

/// Redemption of a one-time receiver ticket by Citrix Workspace app: JSON `{"ticket"}` or a form.
async fn redeem(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let from_json = serde_json::from_str::<HashMap<String, String>>(&body)
        .ok()
        .and_then(|m| m.get("ticket").cloned());
    let presented = from_json.or_else(|| {
        url::form_urlencoded::parse(body.as_bytes())
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
    });
    let _ = headers;
    let entry = presented.and_then(|t| state.data.lock().unwrap().tickets.remove(&t));
    match entry {
        Some((resource, expires)) if now() <= expires => match state
            .config
            .seed
            .resources
            .iter()
            .find(|r| r.id == resource)
        {
            Some(r) => ica(r),
            None => json_error(StatusCode::GONE, "invalid_ticket", "the resource is gone"),
        },
        _ => json_error(
            StatusCode::BAD_REQUEST,
            "invalid_ticket",
            "unknown, used or expired ticket",
        ),
    }
}

fn ica(r: &SeedResource) -> Response {
    let name = &r.name;
    let logon = token(16);
    let text = format!(
        "[Encoding]\r\nInputEncoding=UTF8\r\n\r\n[WFClient]\r\nVersion=2\r\nRemoveICAFile=yes\r\nProxyType=Auto\r\nTransportReconnectEnabled=On\r\n\r\n\
         [ApplicationServers]\r\n{name}=\r\n\r\n[{name}]\r\nAddress=;40;STA{sta};{logon}\r\nInitialProgram=#{name}\r\nTitle={name}\r\n\
         LogonTicket={logon}\r\nLogonTicketType=CTXS1\r\nTransportDriver=TCP/IP\r\nWinStationDriver=ICA 3.0\r\nTWIMode={twi}\r\n\
         SSLEnable=On\r\nSSLProxyHost=gateway.acme.example:443\r\nCGPAddress=*:2598\r\nLaunchReference={reference}\r\nDesiredColor=8\r\n\r\n\
         [Compress]\r\nDriverNameWin32=pdcompn.dll\r\n\r\n[EncRC5-0]\r\nDriverNameWin32=pdc0n.dll\r\n",
        sta = token(6),
        twi = if r.desktop { "Off" } else { "On" },
        reference = token(12),
    );
    ([(header::CONTENT_TYPE, "application/x-ica")], text).into_response()
}
