//! Workspace discovery and the store: enumeration (either link generation), icons, favourites,
//! ticketed launch (the seed's 202/201 form or the samples' 200 `status` form, scriptable per
//! resource), ICA files by launch URL (with 202 retries too), one-time receiver tickets redeemed
//! as Citrix Workspace app does it, and HDX sessions with logoff; and the CDN's icons.
//!
//! Resource ids are opaque: every link carries them percent-encoded as one path segment. The
//! .NET profile (see `Profile`) shapes discovery, enumeration and launch answers as the worst
//! honest case of a .NET service, and redirects icons and ICA files once, same-origin.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::hosts::Role;
use crate::{
    AppState, BadTokenStyle, HdxSession, IconFormat, LaunchForm, LaunchKind, LinkGeneration,
    PendingLaunch, Profile, SeedResource, Ticket, Topology, json_as, json_error, seg, token,
};

/// How long a receiver ticket can be redeemed.
const TICKET_TTL_SECS: u64 = 120;
const RESOURCES: &str = "/citrixapi/store/resources";
/// Where the .NET profile redirects an ICA file URL (same origin).
const CANONICAL_ICA: &str = "/citrixapi/store/v2/resources";
/// The id of the one malformed item the .NET profile appends to enumeration.
pub const MALFORMED_ID: &str = "malformed-item";
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
        .route("/citrixapi/store/resources/{id}/launch", get(ica_file))
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

/// Where a resource's icon is: on the CDN for PNG icons in the realistic topology, else on the
/// customer host (which wants the application id).
fn image_url(state: &AppState, headers: &HeaderMap, r: &SeedResource) -> String {
    let id = seg(&r.id);
    match r.icon {
        IconFormat::Png if state.config.topology == Topology::Realistic => {
            format!("{}/icons/{id}.png", state.base(Role::Cdn, headers))
        }
        IconFormat::Png => format!(
            "{}{RESOURCES}/images/{id}.png",
            state.base(Role::Customer, headers)
        ),
        IconFormat::Svg => format!(
            "{}{RESOURCES}/images/{id}.svg",
            state.base(Role::Customer, headers)
        ),
    }
}

/// The launch links of a launchable resource, by name.
fn launch_links(b: &str, id: &str, links: LinkGeneration) -> [(&'static str, String); 2] {
    match links {
        LinkGeneration::Legacy => [
            (
                "launchStatusUrl",
                format!("{b}{RESOURCES}/{id}/launchStatus"),
            ),
            ("launchUrl", format!("{b}{RESOURCES}/{id}/launch")),
        ],
        LinkGeneration::Current => [
            (
                "icaFileFetchTicketUrl",
                format!("{b}{RESOURCES}/{id}/icaFileFetchTicket"),
            ),
            ("icaFileUrl", format!("{b}{RESOURCES}/{id}/icaFile")),
        ],
    }
}

/// A resource in the plain profile: every field present and typed.
fn resource_json(
    b: &str,
    image: String,
    r: &SeedResource,
    favorite: bool,
    links: LinkGeneration,
) -> serde_json::Value {
    let id = seg(&r.id);
    let mut l = serde_json::json!({
        "imageUrl": image,
        "favoriteUrl": format!("{b}{RESOURCES}/{id}/$favorite"),
    });
    if r.launchable() {
        for (name, url) in launch_links(b, &id, links) {
            l[name] = url.into();
        }
    }
    serde_json::json!({
        "resourceId": r.id, "name": r.name, "description": r.description,
        "type": if r.desktop { "Citrix.MPS.Desktop" } else { "Citrix.MPS.Application" },
        "isDesktop": r.desktop, "path": r.path, "isFavorite": favorite,
        "clientTypes": r.client_types, "enabled": true, "links": l,
    })
}

/// How an optional field appears in the .NET profile.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    Value,
    Null,
    Absent,
}

/// Field `k` of item `i`: present, `null` or left out, in turn, so each item mixes all three.
fn shown(i: usize, k: usize) -> Shown {
    match (i + k) % 3 {
        0 => Shown::Value,
        1 => Shown::Null,
        _ => Shown::Absent,
    }
}

fn put(
    o: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    value: serde_json::Value,
    how: Shown,
) {
    match how {
        Shown::Value => o.insert(key.to_owned(), value),
        Shown::Null => o.insert(key.to_owned(), serde_json::Value::Null),
        Shown::Absent => o.remove(key),
    };
}

/// A resource in the .NET profile, item `i` of the list: every optional field is `null` on some
/// items and left out on others; a desktop keeps `isDesktop: true` or a `type` naming a
/// desktop; a favourite keeps `isFavorite: true`; launch links stay. A description or folder
/// the resource has is always sent (dropping it would change the data, not its shape); one it
/// lacks is `""`, `null` or left out. Unknown fields everywhere;
/// every fourth item carries `id` beside `resourceId`.
fn dotnet_resource_json(
    b: &str,
    image: String,
    r: &SeedResource,
    favorite: bool,
    links: LinkGeneration,
    i: usize,
) -> serde_json::Value {
    let mut v = resource_json(b, image, r, favorite, links);
    let Some(o) = v.as_object_mut() else {
        return v;
    };
    let kind = if r.desktop {
        "Citrix.MPS.Desktop"
    } else {
        "Citrix.MPS.Application"
    };
    let mut type_shown = shown(i, 1);
    let mut desktop_shown = shown(i, 2);
    if r.desktop && type_shown != Shown::Value && desktop_shown != Shown::Value {
        if i.is_multiple_of(2) {
            desktop_shown = Shown::Value;
        } else {
            type_shown = Shown::Value;
        }
    }
    let unless_set = |value: &str, k| {
        if value.is_empty() {
            shown(i, k)
        } else {
            Shown::Value
        }
    };
    put(
        o,
        "description",
        r.description.clone().into(),
        unless_set(&r.description, 0),
    );
    put(o, "type", kind.into(), type_shown);
    put(o, "isDesktop", r.desktop.into(), desktop_shown);
    put(o, "path", r.path.clone().into(), unless_set(&r.path, 3));
    if !favorite {
        put(o, "isFavorite", false.into(), shown(i, 4));
    }
    put(
        o,
        "clientTypes",
        serde_json::json!(r.client_types),
        shown(i, 5),
    );
    put(o, "enabled", true.into(), shown(i, 6));
    // Fields a .NET DTO from StoreFront's heritage may carry.
    match i % 3 {
        0 => o.insert("subscriptionStatus".into(), "subscribed".into()),
        1 => o.insert("subscriptionStatus".into(), serde_json::Value::Null),
        _ => None,
    };
    o.insert("publisherName".into(), serde_json::Value::Null);
    o.insert(
        "images".into(),
        if i.is_multiple_of(2) {
            serde_json::json!([{"size": 32, "depth": 32, "url": null}])
        } else {
            serde_json::Value::Null
        },
    );
    if i % 4 == 3 {
        o.insert("id".into(), r.id.clone().into());
    }
    if let Some(l) = o.get_mut("links").and_then(|l| l.as_object_mut()) {
        // The link names the resource does not have: `null` on even items, left out on odd.
        for name in [
            "launchStatusUrl",
            "launchUrl",
            "icaFileFetchTicketUrl",
            "icaFileUrl",
        ] {
            if !l.contains_key(name) && i.is_multiple_of(2) {
                l.insert(name.into(), serde_json::Value::Null);
            }
        }
        l.insert("subscriptionUrl".into(), serde_json::Value::Null);
    }
    v
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
    let b = state.base(Role::Customer, &headers);
    let (links, profile, favorites) = {
        let data = state.data();
        let favorites: HashMap<String, bool> = data
            .favorites
            .iter()
            .filter(|((u, _), _)| *u == user)
            .map(|((_, id), on)| (id.clone(), *on))
            .collect();
        (data.settings.links, data.settings.profile, favorites)
    };
    let mut list: Vec<_> = state
        .config
        .seed
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let fav = favorites.get(&r.id).copied().unwrap_or(r.favorite);
            let image = image_url(&state, &headers, r);
            match profile {
                Profile::Plain => resource_json(&b, image, r, fav, links),
                Profile::DotNet => dotnet_resource_json(&b, image, r, fav, links, i),
            }
        })
        .collect();
    match profile {
        Profile::Plain => Json(serde_json::json!({"resources": list})).into_response(),
        Profile::DotNet => {
            // Exactly one item a client cannot use; it has an id so that a client can log it.
            list.push(serde_json::json!({"resourceId": MALFORMED_ID, "name": null, "links": "not-an-object"}));
            json_as(
                "application/vnd.citrix.store+json; charset=utf-8",
                &serde_json::json!({
                    "isSubscriptionEnabled": true, "isUnauthenticatedStore": false,
                    "unauthorized": null, "continuationToken": null, "resources": list,
                }),
            )
        }
    }
}

/// The resource of an icon file name (`{id}.{ext}`, the id decoded).
fn icon_resource<'a>(state: &'a AppState, file: &str) -> Option<&'a SeedResource> {
    let id = file.rsplit_once('.').map_or(file, |(id, _)| id);
    state.resource(id)
}

fn icon_bytes(r: &SeedResource) -> Response {
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

/// An icon on the customer host. An <img> cannot send headers: the app id may come as
/// `?ApplicationId=`, and no token is needed. The .NET profile redirects (307, same origin) to
/// the canonical `images/v2/` path, query kept.
async fn icon(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    if let Err(r) = check_app(&state, &headers, q.as_deref()) {
        return r;
    }
    let Some(r) = icon_resource(&state, &file) else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such image");
    };
    match state.profile() {
        Profile::Plain => icon_bytes(r),
        Profile::DotNet => temporary_redirect(&format!(
            "{}{RESOURCES}/images/v2/{}{}",
            state.base(Role::Customer, &headers),
            seg(&file),
            with_query(q.as_deref())
        )),
    }
}

async fn icon_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    if let Err(r) = check_app(&state, &headers, q.as_deref()) {
        return r;
    }
    match icon_resource(&state, &file) {
        Some(r) => icon_bytes(r),
        None => json_error(StatusCode::NOT_FOUND, "not_found", "no such image"),
    }
}

/// An icon on the CDN: no application id, no token; a request that carries credentials (an
/// `Authorization` or `Citrix-ApplicationId` header, or an `ApplicationId` query) is refused,
/// as a client must never send them to a CDN.
async fn cdn_icon(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(file): Path<String>,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION)
        || application_id(&headers, q.as_deref()).is_some()
    {
        return json_error(
            StatusCode::BAD_REQUEST,
            "credentials_sent",
            "the CDN takes no credentials: send neither Authorization nor the application id",
        );
    }
    let Some(r) = icon_resource(&state, &file) else {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such image");
    };
    let mut response = icon_bytes(r);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=86400, immutable"),
    );
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
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
    answer(
        &state,
        StatusCode::OK,
        &serde_json::json!({"resourceId": id, "isFavorite": on}),
    )
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
    let dotnet = state.profile() == Profile::DotNet;
    let b = state.base(Role::Customer, headers);
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
            (LaunchKind::Ticket, LaunchForm::Sample) => answer(
                state,
                StatusCode::OK,
                &serde_json::json!({
                    "status": "retry", "pollTimeout": script.poll_timeout, "retryUrl": retry_url,
                    "receiverUri": null, "errorId": null, "suggestRestart": false,
                }),
            ),
            _ => {
                let mut body = serde_json::json!({"retryUrl": retry_url, "retryKey": key, "pollTimeout": script.poll_timeout});
                if dotnet {
                    body["receiverUri"] = serde_json::Value::Null;
                }
                answer(state, StatusCode::ACCEPTED, &body)
            }
        };
    }
    if let Some(f) = &script.failure {
        let mut body = serde_json::json!({
            "status": "failure", "errorId": f.error_id, "suggestRestart": f.suggest_restart,
            "receiverUri": null, "retryUrl": null,
        });
        if dotnet {
            body["pollTimeout"] = serde_json::Value::Null;
        }
        // The ticket flow reports failures in its JSON; the ICA file flow cannot answer 200
        // without an ICA file, so it refuses with the same body.
        let status = match launch.kind {
            LaunchKind::Ticket => StatusCode::OK,
            LaunchKind::IcaFile => StatusCode::CONFLICT,
        };
        return answer(state, status, &body);
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
                LaunchForm::Seed => {
                    let mut body = serde_json::json!({"receiverUri": receiver_uri});
                    if dotnet {
                        body["retryUrl"] = serde_json::Value::Null;
                        body["retryKey"] = serde_json::Value::Null;
                        body["pollTimeout"] = serde_json::Value::Null;
                    }
                    answer(state, StatusCode::CREATED, &body)
                }
                LaunchForm::Sample => answer(
                    state,
                    StatusCode::OK,
                    &serde_json::json!({
                        "status": "success", "pollTimeout": 0, "receiverUri": receiver_uri,
                        "errorId": null, "suggestRestart": false, "retryUrl": null,
                    }),
                ),
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

/// The ICA file URL. The .NET profile redirects it once (307, same origin, query kept) to a
/// canonical URL, after checking the caller.
async fn ica_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    if state.profile() == Profile::DotNet {
        if let Err(r) = authorize(&state, &headers, q.as_deref()) {
            return r;
        }
        return temporary_redirect(&format!(
            "{}{CANONICAL_ICA}/{}/icaFile{}",
            state.base(Role::Customer, &headers),
            seg(&id),
            with_query(q.as_deref())
        ));
    }
    start(&state, &headers, q.as_deref(), &id, LaunchKind::IcaFile)
}

/// The canonical ICA file URL (the .NET profile's redirect target). Like a strict content
/// negotiator, it refuses (406) a client whose `Accept` rules the ICA file out, e.g. one that
/// asks only for `application/json`.
async fn canonical_ica_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    if !accepts_ica(&headers) {
        return json_error(
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
            "this resource is application/x-ica; the Accept header rules it out",
        );
    }
    start(&state, &headers, q.as_deref(), &id, LaunchKind::IcaFile)
}

/// Whether `Accept` (absent: anything) admits `application/x-ica`.
fn accepts_ica(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| p.replace(' ', "") == "q=0");
        !refused
            && matches!(
                media.as_str(),
                "application/x-ica" | "application/*" | "*/*"
            )
    })
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
    answer(
        &state,
        StatusCode::OK,
        &serde_json::json!({"sessions": mine}),
    )
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
