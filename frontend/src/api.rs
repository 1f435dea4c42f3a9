//! One fetch helper and one function per worker endpoint.

use gloo_net::http::{Request, RequestBuilder};
use portal_shared::api::{
    CSRF_HEADER, Catalogue, FavoriteState, LaunchStatus, Preferences, RunningSessions,
    SecretStatus, SessionAction, SessionInfo, SessionsChanged, SignedOut, WebApp,
};
use serde::de::DeserializeOwned;

use crate::error::ClientError;
use crate::model::paths::encode;

async fn send(request: RequestBuilder) -> Result<(u16, String), ClientError> {
    let request = accepting_json(request)
        .build()
        .map_err(|_| ClientError::Network)?;
    send_built(request).await
}

fn accepting_json(request: RequestBuilder) -> RequestBuilder {
    request.header("Accept", "application/json")
}

async fn send_built(request: Request) -> Result<(u16, String), ClientError> {
    let response = request.send().await.map_err(|_| ClientError::Network)?;
    let status = response.status();
    let body = response.text().await.map_err(|_| ClientError::Network)?;
    if (200..300).contains(&status) {
        Ok((status, body))
    } else {
        Err(ClientError::from_response(status, &body))
    }
}

async fn json<T: DeserializeOwned>(request: RequestBuilder) -> Result<T, ClientError> {
    let (_, body) = send(request).await?;
    serde_json::from_str(&body).map_err(|_| ClientError::Malformed)
}

/// A state-changing request: carries the CSRF header the worker requires.
fn post(url: &str) -> RequestBuilder {
    Request::post(url).header(CSRF_HEADER, "1")
}

/// `GET /api/session`.
pub async fn session() -> Result<SessionInfo, ClientError> {
    json(Request::get("/api/session")).await
}

/// `GET /api/resources`.
pub async fn resources() -> Result<Catalogue, ClientError> {
    json(Request::get("/api/resources")).await
}

/// `POST /api/resources/{id}/launch`.
pub async fn launch(id: &str) -> Result<LaunchStatus, ClientError> {
    json(post(&format!("/api/resources/{}/launch", encode(id)))).await
}

/// `POST /api/resources/{id}/open`: where a web or SaaS app is, to open in a new tab.
pub async fn open_web(id: &str) -> Result<WebApp, ClientError> {
    json(post(&format!("/api/resources/{}/open", encode(id)))).await
}

/// `POST /api/launches/{handle}/poll`.
pub async fn poll(handle: &str) -> Result<LaunchStatus, ClientError> {
    json(post(&format!("/api/launches/{}/poll", encode(handle)))).await
}

/// `PUT|DELETE /api/resources/{id}/favorite`: marks or unmarks a favourite.
pub async fn set_favorite(id: &str, favorite: bool) -> Result<FavoriteState, ClientError> {
    let url = format!("/api/resources/{}/favorite", encode(id));
    let request = if favorite {
        Request::put(&url)
    } else {
        Request::delete(&url)
    };
    json(request.header(CSRF_HEADER, "1")).await
}

/// `PUT /api/preferences`: changes the user's settings; answers them as kept.
pub async fn set_preferences(preferences: &Preferences) -> Result<Preferences, ClientError> {
    let request = accepting_json(Request::put("/api/preferences").header(CSRF_HEADER, "1"))
        .json(preferences)
        .map_err(|_| ClientError::Malformed)?;
    let (_, body) = send_built(request).await?;
    serde_json::from_str(&body).map_err(|_| ClientError::Malformed)
}

/// `POST /auth/logout`: where to end the identity provider's session too, if anywhere. The
/// portal's session is over either way, so an answer without that (or none) is no error.
pub async fn logout() -> Result<Option<String>, ClientError> {
    let (_, body) = send(post("/auth/logout")).await?;
    Ok(serde_json::from_str::<SignedOut>(&body)
        .ok()
        .and_then(|s| s.end_session_url))
}

/// Where the `.ica` file of a resource downloads from.
pub fn ica_url(id: &str) -> String {
    format!("/api/resources/{}/ica", encode(id))
}

/// `GET /api/admin/secret`: the client secret's status (admins only).
pub async fn secret_status() -> Result<SecretStatus, ClientError> {
    json(Request::get("/api/admin/secret")).await
}

/// `POST /api/admin/secret/rotate`: rotate the client secret now.
pub async fn rotate_secret() -> Result<SecretStatus, ClientError> {
    json(post("/api/admin/secret/rotate")).await
}

/// `POST /api/admin/secret/expire-old`: expire the old client secret now.
pub async fn expire_old_secret() -> Result<SecretStatus, ClientError> {
    json(post("/api/admin/secret/expire-old")).await
}

/// `GET /api/sessions`: the user's running sessions.
pub async fn running_sessions() -> Result<RunningSessions, ClientError> {
    json(Request::get("/api/sessions")).await
}

fn action_segment(action: SessionAction) -> &'static str {
    match action {
        SessionAction::Disconnect => "disconnect",
        SessionAction::LogOff => "logoff",
    }
}

/// `POST /api/sessions/{id}/{disconnect|logoff}`, or `POST /api/sessions/{disconnect|logoff}`
/// for every session when `id` is `None`.
pub async fn session_action(
    id: Option<&str>,
    action: SessionAction,
) -> Result<SessionsChanged, ClientError> {
    let url = match id {
        Some(id) => format!("/api/sessions/{}/{}", encode(id), action_segment(action)),
        None => format!("/api/sessions/{}", action_segment(action)),
    };
    json(post(&url)).await
}
