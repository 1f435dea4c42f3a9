//! HDX sessions: the user's list and logoff.

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{answer, authorize};
use crate::AppState;

pub(super) async fn sessions(
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

pub(super) async fn logoff(
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
