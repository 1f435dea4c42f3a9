//! `PUT /api/preferences`: the user's settings, kept across sessions and devices (the session
//! changes them and passes them on to the user's own object: one Durable Object call here).

use portal_shared::api::Preferences;
use worker::{Env, Request, Response};

use super::api::signed_in;
use crate::http::error::PortalError;
use crate::http::json;

/// Settings are a few bytes; a larger body is not one the SPA sends.
const MAX_BODY: usize = 1024;

/// Changes the user's preferences and answers them as stored.
pub async fn put(req: &Request, env: &Env) -> Result<Response, PortalError> {
    let (_, session) = signed_in(req, env).await?;
    let body = req
        .clone()
        .map_err(|e| PortalError::Internal(format!("request: {e}")))?
        .bytes()
        .await
        .map_err(|_| PortalError::BadRequest("The settings could not be read.".into()))?;
    if body.len() > MAX_BODY {
        return Err(PortalError::BadRequest(
            "These settings are too large.".into(),
        ));
    }
    let wanted: Preferences = serde_json::from_slice(&body).map_err(|_| {
        PortalError::BadRequest("These settings are not ones the portal knows.".into())
    })?;
    json(200, &session.set_preferences(&wanted).await?)
}
