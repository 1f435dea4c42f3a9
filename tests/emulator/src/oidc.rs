//! The authorization server under `/core`: metadata and JWKS, authorize (login page with a single
//! sign-on cookie, `prompt=login`, consent page, `response_mode` query or form_post), token
//! (authorization code with PKCE, refresh with rotation and reuse detection, client auth by
//! Basic or by post), revocation, userinfo and end session (RP-initiated logout). Errors follow
//! RFC 6749.

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::hosts::Role;
use crate::{
    AccessEntry, AppState, Grant, PendingCode, Profile, RefreshEntry, esc, json_as, json_error,
    token,
};

/// The emulator's single sign-on cookie.
const SSO_COOKIE: &str = "emu_sso";
/// How long an authorization code can be exchanged.
const CODE_TTL_SECS: u64 = 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/core/.well-known/openid-configuration", get(metadata))
        .route("/core/.well-known/openid-configuration/jwks", get(jwks))
        .route("/core/connect/authorize", get(authorize))
        .route("/core/connect/authorize/login", post(login))
        .route("/core/connect/authorize/consent", post(consent))
        .route("/core/connect/token", post(token_endpoint))
        .route("/core/connect/revocation", post(revocation))
        .route("/core/connect/userinfo", get(userinfo))
        .route("/core/connect/endsession", get(end_session))
}

fn issuer(state: &AppState, headers: &HeaderMap) -> String {
    format!("{}/core", state.base(Role::Accounts, headers))
}

async fn metadata(State(state): State<AppState>, headers: HeaderMap) -> Json<serde_json::Value> {
    let b = state.base(Role::Accounts, &headers);
    Json(serde_json::json!({
        "issuer": issuer(&state, &headers),
        "jwks_uri": format!("{b}/core/.well-known/openid-configuration/jwks"),
        "authorization_endpoint": format!("{b}/core/connect/authorize"),
        "token_endpoint": format!("{b}/core/connect/token"),
        "revocation_endpoint": format!("{b}/core/connect/revocation"),
        "userinfo_endpoint": format!("{b}/core/connect/userinfo"),
        "end_session_endpoint": format!("{b}/core/connect/endsession"),
        "scopes_supported": ["openid", "profile", "email", "offline_access", "wsp", "spa", "leases"],
        "claims_supported": ["sub", "name", "email", "preferred_username", "acr", "auth_time", "nonce"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["login"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks() -> Json<serde_json::Value> {
    Json(crate::jwt::jwks())
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} · Citrix Cloud (emulator)</title>\
             <style>body{{font:16px system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}}label,input,button{{display:block;width:100%;margin:.3rem 0}}input,button{{padding:.5rem;font-size:1rem}}.error{{color:#b91c1c}}</style></head>\
             <body><main><h1>{title}</h1>{body}</main></body></html>"
        )),
    )
        .into_response()
}

/// The authorize request's parameters as hidden form fields, to carry them through a form.
fn hidden(q: &HashMap<String, String>) -> String {
    q.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "username" | "password" | "decision"))
        .map(|(k, v)| {
            format!(
                "<input type=hidden name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect()
}

/// How the authorization response reaches the client.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ResponseMode {
    Query,
    FormPost,
}

/// A checked authorize request.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    mode: ResponseMode,
    user_consent: bool,
}

/// Checks an authorize request; `Err` is either a page (client or redirect URI unusable: never
/// redirect) or an error sent back to the client.
fn check_request(state: &AppState, q: &HashMap<String, String>) -> Result<AuthRequest, Response> {
    let data = state.data();
    let client_id = q.get("client_id").map(String::as_str).unwrap_or_default();
    let Some(client) = data.client(client_id) else {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "<p class=error data-testid=authorize-error>invalid_client: the application asked to sign in with a client that does not exist.</p>",
        ));
    };
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    if !client.seed.redirect_uris.contains(&redirect) {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect URI",
            "<p class=error data-testid=authorize-error>invalid_request: the redirect URI is not registered for this client.</p>",
        ));
    }
    if !client.seed.enabled {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Client disabled",
            "<p class=error data-testid=authorize-error>unauthorized_client: this client is disabled.</p>",
        ));
    }
    let mode = match q.get("response_mode").map(String::as_str) {
        None | Some("query") => ResponseMode::Query,
        Some("form_post") => ResponseMode::FormPost,
        Some(_) => {
            return Err(respond(
                ResponseMode::Query,
                &redirect,
                &[
                    ("error", "invalid_request"),
                    ("error_description", "unsupported response_mode"),
                ],
                q.get("state"),
                None,
            ));
        }
    };
    let fail = |error: &str, description: &str| {
        Err(respond(
            mode,
            &redirect,
            &[("error", error), ("error_description", description)],
            q.get("state"),
            None,
        ))
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return fail(
            "unsupported_response_type",
            "only the code flow is supported",
        );
    }
    let pkce = q.contains_key("code_challenge");
    if pkce && q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if (client.seed.require_pkce || client.is_public()) && !pkce {
        return fail("invalid_request", "this client requires PKCE (S256)");
    }
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect,
        mode,
        user_consent: client.seed.user_consent,
    })
}

/// Sends the authorization response to the client's redirect URI, by redirect or by form post.
fn respond(
    mode: ResponseMode,
    redirect: &str,
    params: &[(&str, &str)],
    state: Option<&String>,
    iss: Option<&str>,
) -> Response {
    let mut all: Vec<(&str, &str)> = params.to_vec();
    if let Some(s) = state {
        all.push(("state", s));
    }
    if let Some(i) = iss {
        all.push(("iss", i));
    }
    match mode {
        ResponseMode::Query => {
            let Ok(mut url) = url::Url::parse(redirect) else {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Invalid redirect URI",
                    "<p class=error>The redirect URI is not a URL.</p>",
                );
            };
            url.query_pairs_mut().extend_pairs(all);
            Redirect::to(url.as_str()).into_response()
        }
        ResponseMode::FormPost => {
            let fields: String = all
                .iter()
                .map(|(k, v)| {
                    format!(
                        "<input type=hidden name=\"{}\" value=\"{}\">",
                        esc(k),
                        esc(v)
                    )
                })
                .collect();
            Html(format!(
                "<!doctype html><html lang=en><head><meta charset=utf-8><title>Submit this form</title></head>\
                 <body onload=\"document.forms[0].submit()\"><form method=post action=\"{}\">{fields}<noscript><button type=submit>Continue</button></noscript></form></body></html>",
                esc(redirect)
            ))
            .into_response()
        }
    }
}

fn login_form(q: &HashMap<String, String>, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=error data-testid=login-error role=alert>{e}</p>"))
        .unwrap_or_default();
    page(
        if error.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        },
        "Sign in to Citrix Workspace",
        &format!(
            "{error}<form method=post action=/core/connect/authorize/login>{hidden}\
             <label for=username>User name</label><input id=username name=username autocomplete=username data-testid=login-username required>\
             <label for=password>Password</label><input id=password name=password type=password autocomplete=current-password data-testid=login-password required>\
             <button type=submit data-testid=login-submit>Sign in</button></form>",
            hidden = hidden(q)
        ),
    )
}

fn consent_form(state: &AppState, q: &HashMap<String, String>, client_id: &str) -> Response {
    let name = state
        .data()
        .client(client_id)
        .map(|c| c.seed.display_name.clone())
        .unwrap_or_default();
    let scopes = q.get("scope").cloned().unwrap_or_default();
    page(
        StatusCode::OK,
        "Allow access?",
        &format!(
            "<p data-testid=consent-text><strong>{}</strong> wants to use your Citrix Workspace account ({}).</p>\
             <form method=post action=/core/connect/authorize/consent>{}\
             <button type=submit name=decision value=allow data-testid=consent-allow>Allow</button>\
             <button type=submit name=decision value=deny data-testid=consent-deny>Deny</button></form>",
            esc(&name),
            esc(&scopes),
            hidden(q)
        ),
    )
}

/// The signed-in user of the single sign-on cookie, if any.
fn sso_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let value = sso_cookie(headers)?;
    state.data().sso.get(&value).cloned()
}

async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let request = match check_request(&state, &q) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let prompt_login = q
        .get("prompt")
        .is_some_and(|p| p.split_whitespace().any(|v| v == "login"));
    match sso_user(&state, &headers) {
        Some(user) if !prompt_login => after_sign_in(&state, &headers, &q, &request, &user),
        _ => login_form(&q, None),
    }
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(q): Form<HashMap<String, String>>,
) -> Response {
    let request = match check_request(&state, &q) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let username = q.get("username").cloned().unwrap_or_default();
    let ok = state
        .user(&username)
        .is_some_and(|u| Some(&u.password) == q.get("password"));
    if !ok {
        return login_form(&q, Some("Wrong user name or password."));
    }
    let sso = token(24);
    state.data().sso.insert(sso.clone(), username.clone());
    let mut response = after_sign_in(&state, &headers, &q, &request, &username);
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{SSO_COOKIE}={sso}; Path=/core; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(q): Form<HashMap<String, String>>,
) -> Response {
    let request = match check_request(&state, &q) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(user) = sso_user(&state, &headers) else {
        return login_form(&q, Some("Sign in first."));
    };
    if q.get("decision").map(String::as_str) != Some("allow") {
        return respond(
            request.mode,
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied consent"),
            ],
            q.get("state"),
            Some(&issuer(&state, &headers)),
        );
    }
    state
        .data()
        .consents
        .insert((user.clone(), request.client_id.clone()));
    after_sign_in(&state, &headers, &q, &request, &user)
}

/// The user is known: ask for consent if the client needs it, else issue the code.
fn after_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    request: &AuthRequest,
    user: &str,
) -> Response {
    let consented = state
        .data()
        .consents
        .contains(&(user.to_owned(), request.client_id.clone()));
    if request.user_consent && !consented {
        return consent_form(state, q, &request.client_id);
    }
    let code = token(32);
    let expires = state.now() + CODE_TTL_SECS;
    state.data().codes.insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                user: user.to_owned(),
                client_id: request.client_id.clone(),
                scope: q.get("scope").cloned().unwrap_or_default(),
            },
            redirect_uri: request.redirect_uri.clone(),
            challenge: q.get("code_challenge").cloned(),
            nonce: q.get("nonce").cloned(),
            acr: q.get("acr_values").cloned(),
            expires,
        },
    );
    respond(
        request.mode,
        &request.redirect_uri,
        &[("code", &code)],
        q.get("state"),
        Some(&issuer(state, headers)),
    )
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_error(status, error, description)
}

/// Client authentication by HTTP Basic or by form fields; a public client names itself only.
fn client_auth(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<String, Response> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(a, b)| (decode(a), Some(decode(b)))));
    let refused = || {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    };
    let (id, secret) = basic
        .or_else(|| {
            Some((
                form.get("client_id")?.clone(),
                form.get("client_secret").cloned(),
            ))
        })
        .ok_or_else(refused)?;
    let now = state.now();
    let data = state.data();
    let client = data.client(&id).ok_or_else(refused)?;
    let authenticated = match (&secret, client.is_public()) {
        (None, true) => true,
        (Some(s), false) => client.accepts_secret(s, now),
        _ => false,
    };
    if !authenticated {
        return Err(refused());
    }
    if !client.seed.enabled {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the client is disabled",
        ));
    }
    Ok(id)
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// What a successful grant leads to.
struct Issue {
    grant: Grant,
    nonce: Option<String>,
    acr: Option<String>,
    family: String,
}

async fn token_endpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.data().token_requests += 1;
    let client_id = match client_auth(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let invalid_grant = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
    let now = state.now();
    let issue = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            // Single use: the code is gone whatever happens next.
            let Some(pending) = state.data().codes.remove(&code) else {
                return invalid_grant("unknown, used or expired code");
            };
            if pending.expires < now || pending.grant.client_id != client_id {
                return invalid_grant("unknown, used or expired code");
            }
            if form.get("redirect_uri") != Some(&pending.redirect_uri) {
                return invalid_grant("redirect_uri does not match");
            }
            if let Some(challenge) = &pending.challenge {
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
                    return invalid_grant("PKCE verification failed");
                }
            }
            Issue {
                grant: pending.grant,
                nonce: pending.nonce,
                acr: pending.acr,
                family: token(16),
            }
        }
        Some("refresh_token") => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let mut data = state.data();
            data.refresh_requests += 1;
            let Some(user) = data.refresh.get(&presented).map(|e| e.grant.user.clone()) else {
                return invalid_grant("unknown refresh token");
            };
            *data.refreshes_by_user.entry(user).or_default() += 1;
            let entry = data.refresh.get(&presented).expect("looked up above");
            if entry.grant.client_id != client_id {
                return invalid_grant("refresh token of another client");
            }
            let family = entry.family.clone();
            if data.revoked_families.contains(&family) {
                return invalid_grant("grant revoked");
            }
            if !entry.active {
                // Reuse of a rotated refresh token: revoke the whole family (RFC 9700 §4.14).
                data.revoke_family(&family);
                return invalid_grant("refresh token reused; grant revoked");
            }
            let entry = data.refresh.get_mut(&presented).expect("looked up above");
            entry.active = false;
            Issue {
                grant: Grant {
                    user: entry.grant.user.clone(),
                    client_id: entry.grant.client_id.clone(),
                    scope: entry.grant.scope.clone(),
                },
                nonce: None,
                acr: None,
                family,
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code or refresh_token",
            );
        }
    };
    issue_tokens(&state, &headers, issue)
}

fn issue_tokens(state: &AppState, headers: &HeaderMap, issue: Issue) -> Response {
    let Issue {
        grant,
        nonce,
        acr,
        family,
    } = issue;
    let now = state.now();
    let ttl = state.data().settings.access_token_ttl_secs;
    let access = token(32);
    let scopes: Vec<&str> = grant.scope.split_whitespace().collect();
    let profile = state.profile();
    // The .NET profile writes `expires_in` as a string.
    let expires_in = match profile {
        Profile::Plain => serde_json::json!(ttl),
        Profile::DotNet => serde_json::json!(ttl.to_string()),
    };
    let mut body = serde_json::json!({"access_token": access, "token_type": "Bearer", "expires_in": expires_in, "scope": grant.scope});
    if scopes.contains(&"openid")
        && let Some(u) = state.user(&grant.user)
    {
        let mut claims = serde_json::json!({
            "iss": issuer(state, headers), "aud": grant.client_id, "sub": format!("user-{}", u.username),
            "name": u.name, "email": u.email, "preferred_username": u.username,
            "iat": now, "auth_time": now, "exp": now + 3600,
        });
        if let Some(n) = nonce {
            claims["nonce"] = n.into();
        }
        if let Some(verified) = u.email_verified {
            claims["email_verified"] = verified.into();
        }
        if let Some(a) = acr {
            claims["acr"] = a.into();
        }
        body["id_token"] = crate::jwt::sign(&claims).into();
    }
    let mut data = state.data();
    data.issued_tokens.push(access.clone());
    if let Some(id_token) = body["id_token"].as_str() {
        data.issued_tokens.push(id_token.to_owned());
    }
    if scopes.contains(&"offline_access") {
        let refresh = token(32);
        body["refresh_token"] = refresh.clone().into();
        data.issued_tokens.push(refresh.clone());
        data.refresh.insert(
            refresh,
            RefreshEntry {
                grant: Grant {
                    user: grant.user.clone(),
                    client_id: grant.client_id.clone(),
                    scope: grant.scope.clone(),
                },
                family: family.clone(),
                active: true,
            },
        );
    }
    data.access.insert(
        access,
        AccessEntry {
            user: grant.user,
            client_id: grant.client_id,
            family,
            expires: now + ttl,
        },
    );
    drop(data);
    let mut r = match profile {
        Profile::Plain => Json(body).into_response(),
        Profile::DotNet => json_as("application/json; charset=utf-8", &body),
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// RFC 7009: revoking a refresh token ends its whole grant; an access token just stops working.
/// Unknown tokens are answered 200 as well.
async fn revocation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = client_auth(&state, &headers, &form) {
        return r;
    }
    let Some(presented) = form.get("token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is required",
        );
    };
    let mut data = state.data();
    // RFC 7009 lets a server revoke more than the token presented; the harshest one does not:
    // a refresh token already exchanged for a newer one is revoked alone, and its successor
    // keeps working. A client that revokes a stale token has not signed anyone out.
    let live = data
        .refresh
        .get(presented)
        .filter(|e| e.active)
        .map(|e| e.family.clone());
    if let Some(family) = live {
        data.revoke_family(&family);
    }
    data.access.remove(presented);
    StatusCode::OK.into_response()
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let user =
        crate::store::bearer_user(&state, &headers).and_then(|name| state.user(&name).cloned());
    match user {
        Some(u) => Json(serde_json::json!({"sub": format!("user-{}", u.username), "name": u.name, "email": u.email, "preferred_username": u.username})).into_response(),
        None => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Access token is invalid.",
        ),
    }
}

/// The value of the single sign-on cookie, if the browser sent one.
fn sso_cookie(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SSO_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// Whether two URLs have the same origin (scheme, host and port).
fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// RP-initiated logout: ends the browser's single sign-on session here (the next authorize asks
/// for the password again), then redirects to `post_logout_redirect_uri` (with `state`) only if
/// it has the origin of one of the client's registered redirect URIs; otherwise a "signed out"
/// page. The client is `client_id`, or the `aud` of a valid `id_token_hint` (an expired one is
/// fine); a hint that is not ours, or names another client, gets an error page.
async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let hinted = match q.get("id_token_hint").filter(|h| !h.is_empty()) {
        None => None,
        Some(h) => match crate::jwt::verify(h) {
            Some(claims) => claims["aud"].as_str().map(str::to_owned),
            None => {
                return page(
                    StatusCode::BAD_REQUEST,
                    "Sign-out failed",
                    "<p class=error data-testid=endsession-error>invalid_request: the id_token_hint was not issued here.</p>",
                );
            }
        },
    };
    let named = q.get("client_id").filter(|c| !c.is_empty()).cloned();
    if let (Some(n), Some(h)) = (&named, &hinted)
        && n != h
    {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-out failed",
            "<p class=error data-testid=endsession-error>invalid_request: client_id does not match the id_token_hint.</p>",
        );
    }
    if let Some(value) = sso_cookie(&headers) {
        state.data().sso.remove(&value);
    }
    let client = named.or(hinted);
    let registered = client
        .and_then(|c| {
            state
                .data()
                .client(&c)
                .map(|c| c.seed.redirect_uris.clone())
        })
        .unwrap_or_default();
    let target = q
        .get("post_logout_redirect_uri")
        .filter(|u| registered.iter().any(|r| same_origin(r, u)))
        .and_then(|u| url::Url::parse(u).ok());
    let mut response = match target {
        Some(mut url) => {
            if let Some(s) = q.get("state") {
                url.query_pairs_mut().append_pair("state", s);
            }
            (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
        }
        None => page(
            StatusCode::OK,
            "You are signed out",
            "<p data-testid=signed-out>You are signed out of Citrix Cloud. You can close this window.</p>",
        ),
    };
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("emu_sso=; Path=/core; Max-Age=0; HttpOnly; SameSite=Lax"),
    );
    response
}
