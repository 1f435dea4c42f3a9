//! The authorization server under `/core`: metadata, authorize with a login page, token
//! (authorization code with PKCE, refresh with rotation and reuse detection), revocation and
//! userinfo. Errors follow RFC 6749.

use std::collections::HashMap;

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{AppState, Grant, PendingCode, RefreshEntry, base, json_error, now, token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/core/.well-known/openid-configuration", get(metadata))
        .route("/core/connect/authorize", get(authorize))
        .route("/core/connect/authorize/login", post(login))
        .route("/core/connect/token", post(token_endpoint))
        .route("/core/connect/revocation", post(revocation))
        .route("/core/connect/userinfo", get(userinfo))
}

async fn metadata(headers: HeaderMap) -> Json<serde_json::Value> {
    let b = base(&headers);
    Json(serde_json::json!({
        "issuer": format!("{b}/core"),
        "authorization_endpoint": format!("{b}/core/connect/authorize"),
        "token_endpoint": format!("{b}/core/connect/token"),
        "revocation_endpoint": format!("{b}/core/connect/revocation"),
        "userinfo_endpoint": format!("{b}/core/connect/userinfo"),
        "scopes_supported": ["openid", "profile", "email", "offline_access", "wsp", "spa", "leases"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "id_token_signing_alg_values_supported": ["HS256"],
    }))
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

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Checks an authorize request; `Err` is either a page (client or redirect URI unusable: never
/// redirect) or an error redirect.
fn check_request(state: &AppState, q: &HashMap<String, String>) -> Result<(), Response> {
    let data = state.data.lock().unwrap();
    let client_id = q.get("client_id").map(String::as_str).unwrap_or_default();
    let Some(client) = data.clients.iter().find(|c| c.client_id == client_id) else {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "<p class=error>The application asked to sign in with a client that does not exist.</p>",
        ));
    };
    let redirect = q
        .get("redirect_uri")
        .map(String::as_str)
        .unwrap_or_default();
    if !client.redirect_uris.iter().any(|r| r == redirect) {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Invalid redirect URI",
            "<p class=error>The redirect URI is not registered for this client.</p>",
        ));
    }
    let fail = |error: &str| Err(error_redirect(redirect, error, q.get("state")));
    if !client.enabled {
        return Err(page(
            StatusCode::BAD_REQUEST,
            "Client disabled",
            "<p class=error>unauthorized_client: this client is disabled.</p>",
        ));
    }
    if q.get("response_type").map(String::as_str) != Some("code") {
        return fail("unsupported_response_type");
    }
    let pkce = q.get("code_challenge").is_some();
    if pkce && q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return fail("invalid_request");
    }
    if client.require_pkce && !pkce {
        return fail("invalid_request");
    }
    Ok(())
}

fn error_redirect(redirect: &str, error: &str, state: Option<&String>) -> Response {
    let mut url = url::Url::parse(redirect).expect("registered redirect URIs are URLs");
    url.query_pairs_mut().append_pair("error", error);
    if let Some(s) = state {
        url.query_pairs_mut().append_pair("state", s);
    }
    Redirect::to(url.as_str()).into_response()
}

fn login_form(q: &HashMap<String, String>, error: Option<&str>) -> Response {
    let hidden: String = q
        .iter()
        .filter(|(k, _)| *k != "username" && *k != "password")
        .map(|(k, v)| {
            format!(
                "<input type=hidden name=\"{}\" value=\"{}\">",
                esc(k),
                esc(v)
            )
        })
        .collect();
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
             <button type=submit data-testid=login-submit>Sign in</button></form>"
        ),
    )
}

async fn authorize(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match check_request(&state, &q) {
        Ok(()) => login_form(&q, None),
        Err(r) => r,
    }
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(q): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = check_request(&state, &q) {
        return r;
    }
    let username = q.get("username").cloned().unwrap_or_default();
    let ok = state
        .config
        .seed
        .users
        .iter()
        .any(|u| u.username == username && Some(&u.password) == q.get("password"));
    if !ok {
        return login_form(&q, Some("Wrong user name or password."));
    }
    let code = token(32);
    let redirect = q["redirect_uri"].clone();
    state.data.lock().unwrap().codes.insert(
        code.clone(),
        PendingCode {
            grant: Grant {
                user: username,
                client_id: q["client_id"].clone(),
                scope: q.get("scope").cloned().unwrap_or_default(),
            },
            redirect_uri: redirect.clone(),
            challenge: q.get("code_challenge").cloned(),
            nonce: q.get("nonce").cloned(),
            expires: now() + 60,
        },
    );
    let mut url = url::Url::parse(&redirect).expect("checked redirect URI");
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(s) = q.get("state") {
        url.query_pairs_mut().append_pair("state", s);
    }
    url.query_pairs_mut()
        .append_pair("iss", &format!("{}/core", base(&headers)));
    Redirect::to(url.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_error(status, error, description)
}

/// Client authentication by HTTP Basic or by form fields.
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
        .and_then(|s| s.split_once(':').map(|(a, b)| (decode(a), decode(b))));
    let (id, secret) = basic
        .or_else(|| {
            Some((
                form.get("client_id")?.clone(),
                form.get("client_secret")?.clone(),
            ))
        })
        .ok_or_else(|| {
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication required",
            )
        })?;
    let data = state.data.lock().unwrap();
    match data.clients.iter().find(|c| c.client_id == id) {
        Some(c) if c.secret.as_deref() == Some(secret.as_str()) && c.enabled => Ok(id),
        Some(c) if !c.enabled => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "the client is disabled",
        )),
        _ => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )),
    }
}

fn decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn token_endpoint(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.data.lock().unwrap().token_requests += 1;
    let client_id = match client_auth(&state, &headers, &form) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let invalid_grant = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
    let (grant, nonce, family) = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(pending) = state.data.lock().unwrap().codes.remove(&code) else {
                return invalid_grant("unknown, used or expired code");
            };
            if pending.expires < now() || pending.grant.client_id != client_id {
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
            (pending.grant, pending.nonce, token(16))
        }
        Some("refresh_token") => {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            let mut guard = state.data.lock().unwrap();
            let data = &mut *guard;
            let Some(entry) = data.refresh.get_mut(&presented) else {
                return invalid_grant("unknown refresh token");
            };
            if entry.grant.client_id != client_id {
                return invalid_grant("refresh token of another client");
            }
            if !entry.active {
                // Reuse of a rotated refresh token: revoke the whole family (RFC 9700).
                let family = entry.family.clone();
                data.revoked_families.push(family.clone());
                data.refresh
                    .values_mut()
                    .filter(|e| e.family == family)
                    .for_each(|e| e.active = false);
                return invalid_grant("refresh token reused; grant revoked");
            }
            if data.revoked_families.contains(&entry.family) {
                return invalid_grant("grant revoked");
            }
            entry.active = false;
            let grant = Grant {
                user: entry.grant.user.clone(),
                client_id: entry.grant.client_id.clone(),
                scope: entry.grant.scope.clone(),
            };
            (grant, None, entry.family.clone())
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code or refresh_token",
            );
        }
    };
    issue(&state, &headers, grant, nonce, family)
}

fn issue(
    state: &AppState,
    headers: &HeaderMap,
    grant: Grant,
    nonce: Option<String>,
    family: String,
) -> Response {
    let ttl = state.config.access_token_ttl.as_secs();
    let access = token(32);
    let offline = grant
        .scope
        .split_whitespace()
        .any(|s| s == "offline_access");
    let user = state
        .config
        .seed
        .users
        .iter()
        .find(|u| u.username == grant.user)
        .cloned();
    let secret = state
        .data
        .lock()
        .unwrap()
        .clients
        .iter()
        .find(|c| c.client_id == grant.client_id)
        .and_then(|c| c.secret.clone())
        .unwrap_or_default();
    let mut body = serde_json::json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": grant.scope});
    if grant.scope.split_whitespace().any(|s| s == "openid")
        && let Some(u) = &user
    {
        let claims = serde_json::json!({
            "iss": format!("{}/core", base(headers)), "aud": grant.client_id, "sub": format!("user-{}", u.username),
            "name": u.name, "email": u.email, "preferred_username": u.username,
            "iat": now(), "exp": now() + 3600, "nonce": nonce,
        });
        body["id_token"] = serde_json::json!(jwt(&claims, secret.as_bytes()));
    }
    let mut data = state.data.lock().unwrap();
    if offline {
        let refresh = token(32);
        body["refresh_token"] = serde_json::json!(refresh);
        data.refresh.insert(
            refresh,
            RefreshEntry {
                grant: Grant {
                    user: grant.user.clone(),
                    client_id: grant.client_id.clone(),
                    scope: grant.scope.clone(),
                },
                family,
                active: true,
            },
        );
    }
    data.access.insert(access, (grant.user, now() + ttl));
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// An HS256 JWT signed with the client secret (OIDC Core §10.1 allows it for private clients).
fn jwt(claims: &serde_json::Value, key: &[u8]) -> String {
    let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{head}.{body}").as_bytes());
    format!(
        "{head}.{body}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

async fn revocation(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = client_auth(&state, &headers, &form) {
        return r;
    }
    let presented = form.get("token").cloned().unwrap_or_default();
    let mut data = state.data.lock().unwrap();
    if let Some(family) = data.refresh.get(&presented).map(|e| e.family.clone()) {
        data.revoked_families.push(family.clone());
        data.refresh
            .values_mut()
            .filter(|e| e.family == family)
            .for_each(|e| e.active = false);
    }
    data.access.remove(&presented);
    StatusCode::OK.into_response()
}

async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match crate::store::bearer_user(&state, &headers) {
        Some(name) => {
            let u = state
                .config
                .seed
                .users
                .iter()
                .find(|u| u.username == name)
                .cloned();
            match u {
                Some(u) => Json(serde_json::json!({"sub": format!("user-{}", u.username), "name": u.name, "email": u.email, "preferred_username": u.username})).into_response(),
                None => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token", "unknown user"),
            }
        }
        None => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Access token is invalid.",
        ),
    }
}
