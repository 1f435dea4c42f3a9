//! Resource icons: on the customer host (plain, or redirected once by the .NET profile) and on
//! the CDN, which takes no credentials.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{RESOURCES, application_id, check_app, temporary_redirect, with_query};
use crate::hosts::Role;
use crate::{AppState, Profile, SeedResource, json_error, seg};

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
pub(super) async fn icon(
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

pub(super) async fn icon_v2(
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
pub(super) async fn cdn_icon(
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
