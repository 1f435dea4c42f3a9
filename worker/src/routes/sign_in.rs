//! `/auth/*`: sign-in, callback and sign-out.

use portal_shared::api::{Preferences, SignedOut};
use worker::{Env, Request, Response};

use crate::auth::id_token;
use crate::auth::oauth;
use crate::auth::return_to::ReturnTo;
use crate::citrix::discovery::{Customer, customer, now};
use crate::config::Config;
use crate::crypto::{constant_time_eq, random_token};
use crate::http::cookies;
use crate::http::error::PortalError;
use crate::http::{header, json};
use crate::secret::with_secret;
use crate::session::{Handle, LoginTxn, NewSession, Profile};

/// The portal's public origin: `PORTAL_URL`, or the origin the request came to.
pub(crate) fn public_origin(req: &Request, config: &Config) -> Result<String, PortalError> {
    if let Some(o) = &config.public_origin {
        return Ok(o.as_str().to_owned());
    }
    req.url()
        .map(|u| u.origin().ascii_serialization())
        .map_err(|e| PortalError::BadRequest(format!("unreadable request URL: {e}")))
}

fn query(req: &Request, name: &str) -> Option<String> {
    req.url()
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `GET /auth/login?returnTo=`: start the code flow. A browser navigates here, so a failure
/// (misconfiguration, Citrix Cloud unreachable) is a page a person can read, not JSON.
pub async fn login(req: &Request, env: &Env) -> Response {
    match start_login(req, env).await {
        Ok(r) => r,
        Err(e) => {
            let (status, _) = e.to_api();
            let problem = Problem::from(e);
            worker::console_warn!("sign-in could not start: {}", problem.log);
            page_response(&problem_page(&problem), status)
        }
    }
}

async fn start_login(req: &Request, env: &Env) -> Result<Response, PortalError> {
    let config = Config::from_env(env)?;
    let customer = customer(&config).await?;
    let return_to = ReturnTo::parse(&query(req, "returnTo").unwrap_or_else(|| "/".into()));
    let redirect_uri = format!("{}/auth/callback", public_origin(req, &config)?);
    let nonce = random_token(32);
    let authorize = oauth::authorize_url(&config, &customer, &redirect_uri, &nonce)?;
    let login_id = config.keyring.signed_id();
    Handle::login(env, &config, &login_id)?
        .ok_or_else(|| PortalError::Internal("a login id the worker just signed".into()))?
        .begin_login(&LoginTxn {
            state: authorize.state,
            verifier: authorize.verifier,
            nonce,
            return_to: return_to.as_str().to_owned(),
            redirect_uri,
            expires_at: now() + cookies::LOGIN_MAX_AGE_SECS,
            previous_session: header(req, "Cookie")
                .as_deref()
                .and_then(|c| cookies::get(c, cookies::SESSION))
                .filter(|id| config.keyring.verify_id(id))
                .map(str::to_owned),
        })
        .await?;
    let response = Response::empty()
        .map_err(|e| PortalError::Internal(e.to_string()))?
        .with_status(302);
    let headers = response.headers().clone();
    set(&headers, "Location", authorize.url.as_str())?;
    set(&headers, "Set-Cookie", &cookies::login(&login_id))?;
    Ok(response.with_headers(headers))
}

/// `GET /auth/callback`: finish the code flow. Always answers with a page a person can read.
pub async fn callback(req: &Request, env: &Env) -> Response {
    let outcome = finish_login(req, env).await;
    let (page, session_cookie) = match outcome {
        Ok((return_to, cookie)) => (redirect_page(&return_to), Some(cookie)),
        Err(problem) => {
            worker::console_warn!("sign-in failed: {}", problem.log);
            (problem_page(&problem), None)
        }
    };
    let status = if session_cookie.is_some() { 200 } else { 400 };
    let response = page_response(&page, status);
    let headers = response.headers();
    // The login transaction is single use, whatever happened.
    let _ = headers.append("Set-Cookie", &cookies::clear(cookies::LOGIN));
    if let Some(c) = session_cookie {
        let _ = headers.append("Set-Cookie", &c);
    }
    response
}

/// One of the worker's own HTML pages. Its redirect uses a meta refresh, never inline script.
fn page_response(html: &str, status: u16) -> Response {
    let Ok(response) = Response::from_html(html) else {
        return crate::http::error_response(&PortalError::Internal("an HTML page".into()));
    };
    let response = response.with_status(status);
    let _ = response.headers().set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    response
}

/// A failed sign-in, told to a person.
struct Problem {
    title: &'static str,
    advice: String,
    log: String,
}

impl Problem {
    fn new(title: &'static str, advice: impl Into<String>, log: impl Into<String>) -> Problem {
        Problem {
            title,
            advice: advice.into(),
            log: log.into(),
        }
    }
}

impl From<PortalError> for Problem {
    fn from(e: PortalError) -> Problem {
        let (_, api) = e.to_api();
        let title = match e {
            PortalError::ClientUnusable { .. } => "The portal's Citrix client is not usable",
            _ => "Sign-in could not be completed",
        };
        Problem::new(title, api.message, e.log_line())
    }
}

async fn finish_login(req: &Request, env: &Env) -> Result<(String, String), Problem> {
    let config = Config::from_env(env)?;
    let cookie_header = header(req, "Cookie").unwrap_or_default();
    let login_id = cookies::get(&cookie_header, cookies::LOGIN).ok_or_else(|| {
        Problem::new(
            "Your sign-in expired",
            "The sign-in took too long or was started in another browser. Start again.",
            "no login cookie",
        )
    })?;
    let login = Handle::login(env, &config, login_id)?;
    let txn = match login {
        Some(login) => login.take_login().await?,
        None => None,
    }
    .ok_or_else(|| {
        Problem::new(
            "Your sign-in expired",
            "This sign-in link was already used or took too long. Start again.",
            "login transaction missing or used",
        )
    })?;
    if let Some(error) = query(req, "error") {
        return Err(authorization_error(&error, query(req, "error_description")));
    }
    let state = query(req, "state").unwrap_or_default();
    if !constant_time_eq(state.as_bytes(), txn.state.as_bytes()) {
        return Err(Problem::new(
            "Sign-in refused",
            "The answer from Citrix did not match this sign-in. Start again.",
            "state mismatch",
        ));
    }
    let customer = customer(&config).await?;
    if let Some(iss) = query(req, "iss") {
        // RFC 9207: the authorization response names its issuer; it must be ours.
        if iss != customer.oidc.issuer {
            return Err(Problem::new(
                "Sign-in refused",
                "The answer came from an unexpected identity provider. Start again.",
                format!("iss {iss:?}"),
            ));
        }
    }
    let code = query(req, "code").ok_or_else(|| {
        Problem::new(
            "Sign-in refused",
            "Citrix sent no authorization code. Start again.",
            "no code",
        )
    })?;
    // Client authentication comes before the code is used up, so a refused secret leaves the
    // code for the next one.
    let (tokens, id_token) = with_secret(env, &config, |secret| {
        let (config, customer, txn, code) = (&config, &customer, &txn, &code);
        async move {
            oauth::exchange_code(
                config,
                customer,
                &secret,
                &txn.redirect_uri,
                code,
                &txn.verifier,
                now(),
            )
            .await
        }
    })
    .await
    .map_err(|e| Problem::from(PortalError::from(e)))?;
    let id_token = id_token.ok_or_else(|| {
        Problem::new(
            "Sign-in refused",
            "Citrix sent no ID token. Check that the client has the openid scope.",
            "no id_token",
        )
    })?;
    let identity = id_token::verify(
        &id_token,
        &customer.oidc.issuer,
        &config.client_id,
        &txn.nonce,
        now(),
    )
    .map_err(|e| {
        Problem::new(
            "Sign-in refused",
            "Citrix's answer could not be verified. Start again.",
            e,
        )
    })?;
    // A new session id at every sign-in: no fixation. The previous session, if any, ends, and
    // its refresh token is revoked.
    let mut previous: Vec<&str> = txn.previous_session.iter().map(String::as_str).collect();
    previous.extend(cookies::get(&cookie_header, cookies::SESSION));
    previous.dedup();
    for old in previous {
        end_and_revoke(env, &config, Some(&customer), old).await;
    }
    // Settings kept from earlier sessions; a failure to read them costs the defaults, never the
    // sign-in.
    let preferences = match Handle::user(env, &identity.user.sub)?.preferences().await {
        Ok(p) => p,
        Err(e) => {
            worker::console_warn!(
                "sign-in: preferences not read, defaults used: {}",
                e.log_line()
            );
            Preferences::default()
        }
    };
    let session_id = config.keyring.signed_id();
    let max_age = config.absolute_timeout_secs;
    Handle::session(env, &config, &session_id)?
        .create(&NewSession {
            profile: Profile {
                user: identity.user,
                email_verified: identity.email_verified,
                customer: config.workspace.host(),
                expires_at: now() + max_age,
                preferences,
            },
            tokens,
            idle_secs: config.idle_timeout_secs,
        })
        .await?;
    Ok((txn.return_to, cookies::session(&session_id, max_age)))
}

fn authorization_error(error: &str, description: Option<String>) -> Problem {
    let log = format!(
        "authorization server error {error}: {}",
        description.unwrap_or_default()
    );
    match error {
        "access_denied" => Problem::new(
            "Sign-in cancelled",
            "You declined to let the portal use your Citrix account, so it cannot show your apps. Sign in again and accept to continue.",
            log,
        ),
        "unauthorized_client" | "invalid_client" => Problem::new(
            "The portal's Citrix client is not usable",
            "Citrix Cloud refused the portal's OAuth client: it may be disabled or deleted. Ask your administrator to check it in Citrix Cloud (Identity and Access Management → API Access → Workspace API).",
            log,
        ),
        "invalid_request" | "invalid_scope" | "unsupported_response_type" => Problem::new(
            "The portal's sign-in request was refused",
            "Citrix Cloud refused the sign-in request. An administrator should check the portal's client settings (scopes, PKCE, redirect URI).",
            log,
        ),
        "login_required" | "interaction_required" | "consent_required" => Problem::new(
            "Sign-in needed",
            "Citrix needs you to sign in again. Start again.",
            log,
        ),
        _ => Problem::new(
            "Sign-in failed",
            "Citrix could not sign you in. Try again; if it keeps happening, tell your administrator.",
            log,
        ),
    }
}

/// Ends session `id` (a cookie value) and revokes its newest refresh token. Best effort: a
/// failure is logged, and the session is gone either way.
async fn end_and_revoke(env: &Env, config: &Config, customer: Option<&Customer>, id: &str) {
    let refresh = match Handle::session(env, config, id) {
        Ok(session) => session.end().await,
        Err(e) => Err(e),
    };
    let refresh = match refresh {
        Ok(Some(refresh)) => refresh,
        Ok(None) | Err(PortalError::Unauthenticated) => return,
        Err(e) => {
            worker::console_warn!("a session could not be ended: {}", e.log_line());
            return;
        }
    };
    let Some(customer) = customer else {
        worker::console_warn!("the refresh token was not revoked: Citrix Cloud's discovery failed");
        return;
    };
    let revoked = with_secret(env, config, |secret| {
        let refresh = &refresh;
        async move { oauth::revoke(config, customer, &secret, refresh).await }
    })
    .await;
    if let Err(e) = revoked {
        worker::console_warn!(
            "the refresh token was not revoked: {}",
            PortalError::from(e).log_line()
        );
    }
}

/// `POST /auth/logout`: end the session, revoke the refresh token, clear the cookie.
pub async fn logout(req: &Request, env: &Env) -> Result<Response, PortalError> {
    let cookie_header = header(req, "Cookie").unwrap_or_default();
    let mut end_session_url = None;
    if let Some(id) = cookies::get(&cookie_header, cookies::SESSION) {
        // Without its configuration no session can be found; the cookie is cleared anyway.
        if let Ok(config) = Config::from_env(env) {
            let customer = customer(&config).await.ok();
            end_and_revoke(env, &config, customer.as_deref(), id).await;
            end_session_url = customer
                .and_then(|c| c.oidc.end_session_endpoint.clone())
                .and_then(|endpoint| {
                    let back = format!("{}/", public_origin(req, &config).ok()?);
                    end_session(&endpoint, &config.client_id, &back)
                });
        }
    }
    let response = json(200, &SignedOut { end_session_url })?;
    let headers = response.headers().clone();
    set(&headers, "Set-Cookie", &cookies::clear(cookies::SESSION))?;
    Ok(response.with_headers(headers))
}

/// The provider's end-session URL (OpenID Connect RP-Initiated Logout 1.0): the client names
/// itself, as the spec allows without an ID token, and asks to come back to the portal.
fn end_session(endpoint: &str, client_id: &str, back: &str) -> Option<String> {
    let mut url = url::Url::parse(endpoint).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("post_logout_redirect_uri", back);
    Some(url.into())
}

fn set(headers: &worker::Headers, name: &str, value: &str) -> Result<(), PortalError> {
    headers
        .set(name, value)
        .map_err(|e| PortalError::Internal(format!("header {name}: {e}")))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const PAGE_STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1b1f24;background:#fff}@media(prefers-color-scheme:dark){body{color:#e6e8eb;background:#14171a}a{color:#8ab4ff}}";

/// Same-origin HTML redirect, so the `SameSite=Strict` session cookie is sent with the next
/// request (a redirect chain started on another site would withhold it).
fn redirect_page(return_to: &str) -> String {
    let to = escape(return_to);
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv=refresh content=\"0;url={to}\"><title>Signing in…</title><style>{PAGE_STYLE}</style></head><body><main><p>Signed in. <a href=\"{to}\" data-testid=continue>Continue to your apps</a>.</p></main></body></html>"
    )
}

fn problem_page(p: &Problem) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} · Workspace Portal</title><style>{PAGE_STYLE}</style></head><body><main><h1 data-testid=auth-error-title>{title}</h1><p data-testid=auth-error>{advice}</p><p><a href=\"/auth/login\" data-testid=start-again>Start again</a> · <a href=\"/\">Back to the portal</a></p></main></body></html>",
        title = escape(p.title),
        advice = escape(&p.advice),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_session_url_names_the_client_and_the_way_back() {
        let url = end_session(
            "https://accounts.cloud.com/core/connect/endsession?ui_locales=en",
            "portal client",
            "https://portal.acme.com/",
        )
        .unwrap();
        assert_eq!(
            url,
            "https://accounts.cloud.com/core/connect/endsession?ui_locales=en&client_id=portal+client&post_logout_redirect_uri=https%3A%2F%2Fportal.acme.com%2F"
        );
        assert_eq!(end_session("not a url", "c", "https://p/"), None);
    }
}
