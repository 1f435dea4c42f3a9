//! `/api/admin/*`: the client secret's status and the rotation's admin actions. Only for
//! signed-in users listed in `ADMIN_USERS`; the CSRF check in `lib.rs` covers the POSTs.

use worker::{Env, Request, Response};

use crate::http::error::PortalError;
use crate::http::json;
use crate::routes::api::signed_in;
use crate::secret::Secrets;
use crate::secret::rotation::Command;

/// The session's user must be an admin: 401 when signed out, 403 when not an admin. Checked
/// against `ADMIN_USERS` on every request, so a removal takes effect at once.
async fn admin(req: &Request, env: &Env) -> Result<(), PortalError> {
    let (config, session) = signed_in(req, env).await?;
    let profile = session.profile().await?;
    if config.is_admin(&profile.user, profile.email_verified) {
        Ok(())
    } else {
        Err(PortalError::Forbidden)
    }
}

/// `GET /api/admin/secret`: where the rotation stands, configured or not.
pub async fn status(req: &Request, env: &Env) -> Result<Response, PortalError> {
    admin(req, env).await?;
    json(200, &Secrets::get(env)?.status().await?)
}

/// `POST /api/admin/secret/rotate` and `POST /api/admin/secret/expire-old`: one run with the
/// admin's command; the status after it, whose last run says what the run did, or why the
/// command was refused. 409 when rotation is not configured.
pub async fn run(req: &Request, env: &Env, command: Command) -> Result<Response, PortalError> {
    admin(req, env).await?;
    json(200, &Secrets::get(env)?.step(command).await?)
}
