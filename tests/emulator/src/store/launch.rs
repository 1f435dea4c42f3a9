//! Launch: the ticketed flow and the ICA file flow with their scripted retries and failures,
//! the .NET profile's ICA file redirect, one-time receiver tickets and the ICA file itself.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{answer, authorize, start_session, temporary_redirect, with_query};
use crate::hosts::Role;
use crate::{
    AppState, LaunchForm, LaunchKind, PendingLaunch, Profile, SeedResource, Ticket, json_error,
    seg, token,
};

/// How long a receiver ticket can be redeemed.
const TICKET_TTL_SECS: u64 = 120;
/// Where the .NET profile redirects an ICA file URL (same origin).
const CANONICAL_ICA: &str = "/citrixapi/store/v2/resources";

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

pub(super) async fn launch_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    start(&state, &headers, q.as_deref(), &id, LaunchKind::Ticket)
}

/// A resource's `launchUrl`: a web app's address ([`super::web`]), or an ICA resource's ICA file
/// (the older generation's name for it).
pub(super) async fn launch_url(
    state: State<AppState>,
    headers: HeaderMap,
    query: RawQuery,
    id: Path<String>,
) -> Response {
    if let Some(web) = state.resource(&id).filter(|r| r.is_web()) {
        return super::web::open(&state, &headers, query.0.as_deref(), web);
    }
    ica_file(state, headers, query, id).await
}

/// The ICA file URL. The .NET profile redirects it once (307, same origin, query kept) to a
/// canonical URL, after checking the caller.
pub(super) async fn ica_file(
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
pub(super) async fn canonical_ica_file(
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

pub(super) async fn retry(
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
pub(super) async fn redeem(State(state): State<AppState>, body: Bytes) -> Response {
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
                start_session(&state, &t.user, &r.id, &t.device);
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
