//! Workspace discovery and the store: enumeration (either link generation), icons, favourites,
//! ticketed launch (the seed's 202/201 form or the samples' 200 `status` form, scriptable per
//! resource), ICA files by launch URL (with 202 retries too), one-time receiver tickets redeemed
//! as Citrix Workspace app does it, and HDX sessions with logoff.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::{
    AppState, BadTokenStyle, HdxSession, LaunchForm, LaunchKind, LinkGeneration, PendingLaunch,
    SeedResource, Ticket, base, json_error, token,
};

/// How long a receiver ticket can be redeemed.
const TICKET_TTL_SECS: u64 = 120;
const RESOURCES: &str = "/citrixapi/store/resources";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/citrixapi/discovery/configurations", get(discovery))
        .route(RESOURCES, get(resources))
        .route("/citrixapi/store/resources/images/{file}", get(icon))
        .route(
            "/citrixapi/store/resources/{id}/launchStatus",
            post(launch_status),
        )
        .route(
            "/citrixapi/store/resources/{id}/icaFileFetchTicket",
            get(launch_status),
        )
        .route("/citrixapi/store/resources/{id}/launch", get(ica_file))
        .route("/citrixapi/store/resources/{id}/icaFile", get(ica_file))
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
    let b = base(&headers);
    let host = b.trim_start_matches("http://").to_owned();
    Json(serde_json::json!({
        "services": [{
            "service": "store",
            "endpoints": [
                {"id": "ListResources", "url": format!("{b}{RESOURCES}"), "capabilities": ["acceptCachedResults"]},
                {"id": "ListSessions", "url": format!("{b}/citrixapi/store/sessions"), "capabilities": []},
                {"id": "LogoffSessions", "url": format!("{b}/citrixapi/store/sessions/$logoff"), "capabilities": []},
            ]
        }],
        "authScopes": ["openid", "wsp", "spa", "leases", "offline_access"],
        "clientSettings": {
            "customerDomain": host, "authDomain": host, "promptLoginEnabled": false, "acr_values": format!("tenant:{}", state.config.seed.customer_id),
            "oidcConfiguration": {"oidc_discovery_endpoint": format!("{b}/core/.well-known/openid-configuration")}
        }
    }))
    .into_response()
}

fn resource_json(
    b: &str,
    r: &SeedResource,
    favorite: bool,
    links: LinkGeneration,
) -> serde_json::Value {
    let ext = match r.icon {
        crate::IconFormat::Svg => "svg",
        crate::IconFormat::Png => "png",
    };
    let id = &r.id;
    let mut l = serde_json::json!({
        "imageUrl": format!("{b}{RESOURCES}/images/{id}.{ext}"),
        "favoriteUrl": format!("{b}{RESOURCES}/{id}/$favorite"),
    });
    if r.launchable() {
        match links {
            LinkGeneration::Legacy => {
                l["launchStatusUrl"] = format!("{b}{RESOURCES}/{id}/launchStatus").into();
                l["launchUrl"] = format!("{b}{RESOURCES}/{id}/launch").into();
            }
            LinkGeneration::Current => {
                l["icaFileFetchTicketUrl"] =
                    format!("{b}{RESOURCES}/{id}/icaFileFetchTicket").into();
                l["icaFileUrl"] = format!("{b}{RESOURCES}/{id}/icaFile").into();
            }
        }
    }
    serde_json::json!({
        "resourceId": id, "name": r.name, "description": r.description,
        "type": if r.desktop { "Citrix.MPS.Desktop" } else { "Citrix.MPS.Application" },
        "isDesktop": r.desktop, "path": r.path, "isFavorite": favorite,
        "clientTypes": r.client_types, "enabled": true, "links": l,
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
    let data = state.data();
    let links = data.settings.links;
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
            resource_json(&b, r, fav, links)
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
    let id = file.rsplit_once('.').map_or(file.as_str(), |(id, _)| id);
    let Some(r) = state.resource(id) else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such image");
    };
    let (content_type, bytes) = crate::icons::render(r);
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
        .into_response()
}

async fn set_favorite(
    state: AppState,
    headers: HeaderMap,
    q: Option<String>,
    id: String,
    on: bool,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if state.resource(&id).is_none() {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such resource");
    }
    state.data().favorites.insert((user, id.clone()), on);
    Json(serde_json::json!({"resourceId": id, "isFavorite": on})).into_response()
}

async fn favorite(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    set_favorite(state, headers, q, id, true).await
}

async fn unfavorite(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    set_favorite(state, headers, q, id, false).await
}

/// The launching device: `clientName` or `deviceId` from the query, one of which launches
/// require (seed: "Client Name and Device ID").
fn device(query: Option<&str>) -> Option<String> {
    let pairs: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    pairs
        .get("clientName")
        .or_else(|| pairs.get("deviceId"))
        .filter(|v| !v.trim().is_empty())
        .cloned()
}

/// Starts a launch of `id` for the token's user and answers its first step.
fn start(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    id: &str,
    kind: LaunchKind,
) -> Response {
    let user = match authorize(state, headers, query) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(r) = state.resource(id) else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such resource");
    };
    if !r.launchable() {
        return json_error(
            StatusCode::BAD_REQUEST,
            "not_launchable",
            "only resources with the ica30 client type can be launched",
        );
    }
    let Some(device) = device(query) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "clientName or deviceId is required to launch",
        );
    };
    let remaining = state.launch_script(r).retries;
    step(
        state,
        headers,
        PendingLaunch {
            user,
            resource: id.to_owned(),
            device,
            kind,
            remaining,
        },
    )
}

/// One answer of a launch: "still starting" with a retry URL while retries remain, then the
/// scripted outcome.
fn step(state: &AppState, headers: &HeaderMap, launch: PendingLaunch) -> Response {
    let Some(r) = state.resource(&launch.resource).cloned() else {
        return json_error(StatusCode::GONE, "not_found", "the resource is gone");
    };
    let script = state.launch_script(&r);
    let form = script.form.unwrap_or(state.data().settings.launch_form);
    let b = base(headers);
    if launch.remaining > 0 {
        let key = token(12);
        let retry_url = format!("{b}/citrixapi/store/launch/retry/{key}");
        state.data().launches.insert(
            key.clone(),
            PendingLaunch {
                remaining: launch.remaining - 1,
                ..launch
            },
        );
        return match (launch.kind, form) {
            (LaunchKind::Ticket, LaunchForm::Sample) => Json(serde_json::json!({
                "status": "retry", "pollTimeout": script.poll_timeout, "retryUrl": retry_url,
                "receiverUri": null, "errorId": null, "suggestRestart": false,
            }))
            .into_response(),
            _ => (
                StatusCode::ACCEPTED,
                Json(serde_json::json!({"retryUrl": retry_url, "retryKey": key, "pollTimeout": script.poll_timeout})),
            )
                .into_response(),
        };
    }
    if let Some(f) = &script.failure {
        let body = Json(serde_json::json!({
            "status": "failure", "errorId": f.error_id, "suggestRestart": f.suggest_restart,
            "receiverUri": null, "retryUrl": null,
        }));
        // The ticket flow reports failures in its JSON; the ICA file flow cannot answer 200
        // without an ICA file, so it refuses with the same body.
        let status = match launch.kind {
            LaunchKind::Ticket => StatusCode::OK,
            LaunchKind::IcaFile => StatusCode::CONFLICT,
        };
        return (status, body).into_response();
    }
    match launch.kind {
        LaunchKind::IcaFile => ica(&r),
        LaunchKind::Ticket => {
            let ticket = token(24);
            let expires = state.now() + TICKET_TTL_SECS;
            state.data().tickets.insert(
                ticket.clone(),
                Ticket {
                    user: launch.user,
                    resource: r.id.clone(),
                    device: launch.device,
                    expires,
                },
            );
            let host = b.trim_start_matches("http://");
            let receiver_uri =
                format!("receiver://{host}/citrixapi/store/client/icaFile?ticket={ticket}");
            match form {
                LaunchForm::Seed => (
                    StatusCode::CREATED,
                    Json(serde_json::json!({"receiverUri": receiver_uri})),
                )
                    .into_response(),
                LaunchForm::Sample => Json(serde_json::json!({
                    "status": "success", "pollTimeout": 0, "receiverUri": receiver_uri,
                    "errorId": null, "suggestRestart": false, "retryUrl": null,
                }))
                .into_response(),
            }
        }
    }
}

async fn launch_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    start(&state, &headers, q.as_deref(), &id, LaunchKind::Ticket)
}

async fn ica_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    start(&state, &headers, q.as_deref(), &id, LaunchKind::IcaFile)
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
    let launch = {
        let mut data = state.data();
        match data.launches.get(&key) {
            // Another user's key is as unknown as a made-up one.
            Some(l) if l.user == user => data.launches.remove(&key),
            _ => None,
        }
    };
    match launch {
        Some(l) => step(&state, &headers, l),
        None => json_error(
            StatusCode::NOT_FOUND,
            "unknown_retry_key",
            "no launch is waiting under this key",
        ),
    }
}

/// Redemption of a one-time receiver ticket by Citrix Workspace app: JSON `{"ticket"}` or a form.
/// No token: the ticket is the credential.
async fn redeem(State(state): State<AppState>, body: Bytes) -> Response {
    let from_json = serde_json::from_slice::<HashMap<String, String>>(&body)
        .ok()
        .and_then(|m| m.get("ticket").cloned());
    let presented = from_json.or_else(|| {
        url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == "ticket")
            .map(|(_, v)| v.into_owned())
    });
    let now = state.now();
    let entry = presented.and_then(|t| state.data().tickets.remove(&t));
    match entry {
        Some(t) if now <= t.expires => match state.resource(&t.resource).cloned() {
            Some(r) => {
                state.data().sessions.push(HdxSession {
                    user: t.user,
                    resource: r.id.clone(),
                    device: t.device,
                    started: now,
                });
                ica(&r)
            }
            None => json_error(StatusCode::GONE, "invalid_ticket", "the resource is gone"),
        },
        _ => json_error(
            StatusCode::BAD_REQUEST,
            "invalid_ticket",
            "unknown, used or expired ticket",
        ),
    }
}

async fn sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mine: Vec<_> = state
        .data()
        .sessions
        .iter()
        .filter(|s| s.user == user)
        .map(|s| serde_json::json!({"resourceId": s.resource, "clientName": s.device, "startTime": s.started, "state": "active"}))
        .collect();
    Json(serde_json::json!({"sessions": mine})).into_response()
}

async fn logoff(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    state.data().sessions.retain(|s| s.user != user);
    StatusCode::OK.into_response()
}

/// An ICA file in INI form, per the reference's public examples.
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
