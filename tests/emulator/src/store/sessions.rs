//! HDX sessions (Workspace Control): the user's list, disconnect and logoff, one or all.
//!
//! Public sources say little about the Workspace API's sessions service: the docs' usage order
//! names "list sessions", "reconnect" and "logoff/disconnect", and the API reference lists only
//! `POST /citrixapi/store/sessions/$logoff` → 200 (`reference/workspace-api.md` §3). The shapes
//! here follow its relatives: StoreFront's sessions service (list available sessions, disconnect,
//! logoff, each for the client's `clientName`/`deviceId`) and the Citrix DaaS REST API
//! (`Sessions/{id}/$disconnect`, `Sessions/{id}/$logoff`, logoff answered asynchronously).
//! Everything else is the emulator's choice, documented in `docs/emulator-realism.md`:
//!
//! - discovery names `ListSessions`, `DisconnectSessions` and `LogoffSessions` (all of the
//!   user's sessions); each listed session carries its own `links.disconnectUrl` and
//!   `links.logoffUrl`, so no client builds a URL;
//! - a session is `active` or `disconnected`; a disconnected one has no `disconnectUrl`;
//! - reconnecting is launching the resource again: redeeming its ticket reattaches the user's
//!   session of that resource to the launching device instead of starting a second one.
//!
//! The .NET profile is harsher: states in PascalCase, `clientName: null` (the device only in
//! `deviceId`), `startTime` as a string, unknown fields, a `disconnectUrl: null`, ids with a
//! space and a `/`, at the end a session whose id is `.` and a ghost with no id, `202` with no
//! body for a logoff (asynchronous, as in the DaaS API) and `204` for a disconnect.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{answer, authorize};
use crate::hosts::Role;
use crate::{AppState, HdxSession, Profile, json_error, seg, token};

const SESSIONS: &str = "/citrixapi/store/sessions";

/// Records a session of `resource` for `user` on `device`, or reattaches the user's session of
/// that resource to `device` (Workspace Control's reconnect); its id.
pub(crate) fn start_session(state: &AppState, user: &str, resource: &str, device: &str) -> String {
    let profile = state.profile();
    let now = state.now();
    let mut data = state.data();
    if let Some(s) = data
        .sessions
        .iter_mut()
        .find(|s| s.user == user && s.resource == resource)
    {
        s.device = device.to_owned();
        s.disconnected = false;
        return s.id.clone();
    }
    let id = match profile {
        Profile::Plain => format!("hdx-{}", token(6)),
        Profile::DotNet => format!("HDX {}/{resource}", token(6)),
    };
    data.sessions.push(HdxSession {
        id: id.clone(),
        user: user.to_owned(),
        resource: resource.to_owned(),
        device: device.to_owned(),
        started: now,
        disconnected: false,
    });
    id
}

/// One session as the list shows it, in the profile's form.
fn listed(state: &AppState, base: &str, s: &HdxSession) -> serde_json::Value {
    let name = state.resource(&s.resource).map(|r| r.name.clone());
    let each = format!("{base}{SESSIONS}/{}", seg(&s.id));
    let logoff = format!("{each}/$logoff");
    let disconnect = format!("{each}/$disconnect");
    match state.profile() {
        Profile::Plain => {
            let mut links = serde_json::json!({"logoffUrl": logoff});
            if !s.disconnected {
                links["disconnectUrl"] = disconnect.into();
            }
            serde_json::json!({
                "id": s.id, "resourceId": s.resource, "name": name,
                "state": if s.disconnected { "disconnected" } else { "active" },
                "clientName": s.device, "deviceId": s.device, "startTime": s.started,
                "links": links,
            })
        }
        Profile::DotNet => serde_json::json!({
            "id": s.id, "resourceId": s.resource, "name": name,
            "state": if s.disconnected { "Disconnected" } else { "Active" },
            "clientName": null, "deviceId": s.device, "startTime": s.started.to_string(),
            "protocol": "HDX", "serverName": null,
            "links": {
                "logoffUrl": logoff,
                "disconnectUrl": (!s.disconnected).then_some(disconnect),
                "shadowUrl": null,
            },
        }),
    }
}

/// `GET sessions`: the user's sessions, on every device.
pub(super) async fn sessions(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let base = state.base(Role::Customer, &headers);
    let mine: Vec<HdxSession> = state
        .data()
        .sessions
        .iter()
        .filter(|s| s.user == user)
        .cloned()
        .collect();
    let mut list: Vec<_> = mine.iter().map(|s| listed(&state, &base, s)).collect();
    let body = match state.profile() {
        Profile::Plain => serde_json::json!({"sessions": list}),
        Profile::DotNet => {
            // A broker's ghost: a session it still counts but cannot name; and one whose id is
            // `.`, which a client that puts ids in paths turns into "every session".
            list.push(serde_json::json!({"id": ".", "resourceId": null, "state": "Active", "links": null}));
            list.push(serde_json::json!({"id": null, "resourceId": null, "state": "Unknown", "links": null}));
            serde_json::json!({"sessions": list, "nextPageToken": null})
        }
    };
    answer(&state, StatusCode::OK, &body)
}

/// What an action does to a session.
#[derive(Clone, Copy)]
enum Action {
    Disconnect,
    Logoff,
}

/// Applies `action` to the user's sessions that `which` picks; how many it touched.
fn apply(state: &AppState, user: &str, which: Option<&str>, action: Action) -> usize {
    let mut data = state.data();
    let picked = |s: &HdxSession| s.user == user && which.is_none_or(|id| s.id == id);
    let touched = data.sessions.iter().filter(|s| picked(s)).count();
    match action {
        Action::Disconnect => data
            .sessions
            .iter_mut()
            .filter(|s| picked(s))
            .for_each(|s| s.disconnected = true),
        Action::Logoff => data.sessions.retain(|s| !picked(s)),
    }
    touched
}

/// The answer to an action that was carried out, in the profile's form.
fn done(state: &AppState, action: Action) -> Response {
    match (state.profile(), action) {
        (Profile::Plain, _) => StatusCode::OK.into_response(),
        (Profile::DotNet, Action::Logoff) => StatusCode::ACCEPTED.into_response(),
        (Profile::DotNet, Action::Disconnect) => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn all(state: AppState, headers: HeaderMap, q: Option<String>, action: Action) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    apply(&state, &user, None, action);
    done(&state, action)
}

async fn one(
    state: AppState,
    headers: HeaderMap,
    q: Option<String>,
    id: String,
    action: Action,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    // Another user's session is as unknown as a made-up one.
    if apply(&state, &user, Some(&id), action) == 0 {
        return json_error(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "no session of yours has this id",
        );
    }
    done(&state, action)
}

/// `POST sessions/$logoff`: logs off every session of the user.
pub(super) async fn logoff(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    all(state, headers, q, Action::Logoff).await
}

/// `POST sessions/$disconnect`: disconnects every session of the user.
pub(super) async fn disconnect(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    all(state, headers, q, Action::Disconnect).await
}

/// `POST sessions/{id}/$logoff`.
pub(super) async fn logoff_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    one(state, headers, q, id, Action::Logoff).await
}

/// `POST sessions/{id}/$disconnect`.
pub(super) async fn disconnect_one(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    one(state, headers, q, id, Action::Disconnect).await
}
