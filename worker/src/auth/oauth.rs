//! The private OAuth client: authorize URL (code flow with PKCE), code exchange, refresh and
//! revocation, over the Workers fetch.
//!
//! Written out rather than through the `oauth2` crate, which cost 7% of the worker's gzipped
//! bundle for the authorize URL and the two token requests below: they, and the reading of the
//! answers, are the ones that crate made (RFC 6749 §4.1, §5, §6, RFC 7636), tested here.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use worker::{Method, Url};

use crate::citrix::discovery::Customer;
use crate::citrix::upstream::Call;
use crate::citrix::workspace::TokenAnswer;
use crate::config::Config;
use crate::crypto::random_token;
use crate::http::error::PortalError;

type Tokens = TokenAnswer;

/// Tokens as the session keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    /// Bearer token for the Workspace API.
    pub access_token: String,
    /// Refresh token, when `offline_access` was granted.
    pub refresh_token: Option<String>,
    /// When the access token expires, in Unix seconds.
    pub expires_at: u64,
    /// When it was issued (0 for tokens stored before this was kept).
    #[serde(default)]
    pub issued_at: u64,
}

/// Refresh at most this long before the access token expires.
const REFRESH_MARGIN_SECS: u64 = 30;

impl TokenSet {
    /// Whether the access token should be refreshed before use: within the refresh margin of
    /// its expiry. The margin is a quarter of the token's lifetime, at most 30 s, so a provider
    /// that issues tokens shorter than 30 s still gets one refresh per token, not one per request.
    pub fn needs_refresh(&self, now: u64) -> bool {
        let lifetime = self.expires_at.saturating_sub(self.issued_at);
        let margin = if self.issued_at == 0 {
            REFRESH_MARGIN_SECS
        } else {
            (lifetime / 4).min(REFRESH_MARGIN_SECS)
        };
        now + margin >= self.expires_at
    }
}

/// Why a token call failed.
#[derive(Debug)]
pub enum TokenError {
    /// The grant is dead (`invalid_grant`): the user must sign in again.
    InvalidGrant,
    /// The client was refused (`invalid_client`, `unauthorized_client`): disabled, deleted or a
    /// wrong secret.
    ClientRejected(String),
    /// Anything else.
    Other(PortalError),
}

impl From<TokenError> for PortalError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::InvalidGrant => PortalError::SessionExpired,
            TokenError::ClientRejected(why) => PortalError::ClientUnusable {
                message: crate::http::error::CLIENT_REFUSED.into(),
                detail: format!(
                    "{why}: the client may be disabled or deleted, or its secret wrong or expired"
                ),
            },
            TokenError::Other(e) => e,
        }
    }
}

const WHAT: &str = "signing you in";

/// The provider's authorization and token endpoints, parsed. Every call also checks the
/// redirect URI it sends, if any (sent as given: as the client registered it).
fn endpoints(customer: &Customer, redirect: Option<&str>) -> Result<(Url, Url), PortalError> {
    let parse = |url: &str| {
        Url::parse(url).map_err(|e| PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail: format!("OIDC endpoint: {e}"),
        })
    };
    let authorize = parse(&customer.oidc.authorization_endpoint)?;
    let token = parse(&customer.oidc.token_endpoint)?;
    if let Some(r) = redirect {
        parse(r)?;
    }
    Ok((authorize, token))
}

/// What the login transaction must remember.
pub struct Authorize {
    /// Where to send the browser.
    pub url: Url,
    /// The `state` sent.
    pub state: String,
    /// The PKCE verifier.
    pub verifier: String,
}

/// Builds the authorize URL: code flow, PKCE S256, state, nonce, scopes, `acr_values` and
/// `prompt=login` when discovery asks for them.
pub fn authorize_url(
    config: &Config,
    customer: &Customer,
    redirect: &str,
    nonce: &str,
) -> Result<Authorize, PortalError> {
    let (mut url, _) = endpoints(customer, Some(redirect))?;
    // RFC 7636 §4.1: 32 random octets make a 43-character verifier; §4.2: S256.
    let verifier = random_token(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_token(16);
    let scopes = config.scopes.join(" ");
    let settings = &customer.discovery.client_settings;
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs([
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("redirect_uri", redirect),
        ]);
        if !scopes.is_empty() {
            query.append_pair("scope", &scopes);
        }
        query.append_pair("nonce", nonce);
        query.append_pair("response_mode", "query");
        if let Some(acr) = settings.acr_values.as_deref().filter(|a| !a.is_empty()) {
            query.append_pair("acr_values", acr);
        }
        if settings.prompt_login_enabled {
            query.append_pair("prompt", "login");
        }
    }
    Ok(Authorize {
        url,
        state,
        verifier,
    })
}

/// Exchanges an authorization code; returns the tokens and the ID token.
pub async fn exchange_code(
    config: &Config,
    customer: &Customer,
    secret: &str,
    redirect: &str,
    code: &str,
    verifier: &str,
    now: u64,
) -> Result<(TokenSet, Option<String>), TokenError> {
    let (_, token) = endpoints(customer, Some(redirect)).map_err(TokenError::Other)?;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("code_verifier", verifier),
        ("redirect_uri", redirect),
    ];
    let tokens = token_call(&token, config, secret, &params).await?;
    let id_token = tokens.id_token.clone();
    Ok((token_set(&tokens, None, now), id_token))
}

/// Redeems a refresh token; keeps the old refresh token when the server does not rotate it.
pub async fn refresh(
    config: &Config,
    customer: &Customer,
    secret: &str,
    refresh_token: &str,
    now: u64,
) -> Result<TokenSet, TokenError> {
    let (_, token) = endpoints(customer, None).map_err(TokenError::Other)?;
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    let tokens = token_call(&token, config, secret, &params).await?;
    Ok(token_set(&tokens, Some(refresh_token), now))
}

/// Revokes a refresh token at sign-out (RFC 7009). Best effort: the session ends either way, so
/// only a refused client is an error (the caller tries the next secret); the rest is logged.
/// A revocation URL on plain http is used where discovery admitted it (the loopback emulator).
pub async fn revoke(
    config: &Config,
    customer: &Customer,
    secret: &str,
    refresh_token: &str,
) -> Result<(), TokenError> {
    let Some(endpoint) = customer.oidc.revocation_endpoint.as_deref() else {
        return Ok(());
    };
    let Ok(url) = Url::parse(endpoint) else {
        return Ok(());
    };
    let body = format!(
        "token={}&token_type_hint=refresh_token",
        form(refresh_token)
    );
    let result = Call {
        method: Method::Post,
        url: &url,
        application_id: None,
        headers: vec![("Authorization", basic(config, secret))],
        body: Some(("application/x-www-form-urlencoded", body.into_bytes())),
        what: "signing you out",
    }
    .send()
    .await;
    match result {
        Ok(a) if a.status == 200 => {}
        Ok(a) if client_refused(a.status, &a.body) => {
            return Err(TokenError::ClientRejected(format!(
                "revocation answered {}",
                a.status
            )));
        }
        Ok(a) => worker::console_warn!("revoking the refresh token answered {}", a.status),
        Err(e) => worker::console_warn!("revoking the refresh token failed: {}", e.log_line()),
    }
    Ok(())
}

fn form(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The client's `Authorization` header: RFC 6749 §2.3.1 form-encodes the id and the secret
/// before the Basic encoding.
fn basic(config: &Config, secret: &str) -> String {
    let credentials = format!("{}:{}", form(&config.client_id), form(secret));
    format!("Basic {}", STANDARD.encode(credentials))
}

/// Whether an error answer refuses the client itself (RFC 6749 §5.2).
fn client_refused(status: u16, body: &[u8]) -> bool {
    (status == 400 || status == 401)
        && serde_json::from_slice::<crate::citrix::workspace::OAuthErrorBody>(body)
            .is_ok_and(|e| matches!(e.error.as_str(), "invalid_client" | "unauthorized_client"))
}

/// A token request (RFC 6749 §4.1.3, §6): `params` form-encoded, the client in Basic auth.
async fn token_call(
    url: &Url,
    config: &Config,
    secret: &str,
    params: &[(&str, &str)],
) -> Result<Tokens, TokenError> {
    let body = form_body(params);
    let answer = Call {
        method: Method::Post,
        url,
        application_id: None,
        headers: vec![("Authorization", basic(config, secret))],
        body: Some(("application/x-www-form-urlencoded", body.into_bytes())),
        what: WHAT,
    }
    .send()
    .await
    .map_err(TokenError::Other)?;
    token_answer(answer.status, answer.content_type.as_deref(), &answer.body)
}

/// `application/x-www-form-urlencoded` `params`, in their order.
fn form_body(params: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// An error answer of the token endpoint (RFC 6749 §5.2). The optional fields are read only so
/// that one of the wrong JSON type makes the answer malformed, as it always has; the name is the
/// one the log has always given it.
#[derive(Deserialize)]
#[serde(expecting = "struct StandardErrorResponse")]
struct ErrorAnswer {
    error: String,
    #[serde(default, rename = "error_description")]
    _description: Option<String>,
    #[serde(default, rename = "error_uri")]
    _uri: Option<String>,
}

/// Reads the token endpoint's answer: anything but 200 is an error answer (§5.2); a 200 must
/// be JSON (by its `Content-Type`, when it names one) and not empty (§5.1).
fn token_answer(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Tokens, TokenError> {
    let malformed = |detail: String| {
        TokenError::Other(PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail,
        })
    };
    if status != 200 {
        if body.is_empty() {
            return Err(malformed("server returned empty error response".into()));
        }
        let answer: ErrorAnswer =
            first_value(body).map_err(|e| malformed(format!("token response: {e}")))?;
        return Err(match answer.error.as_str() {
            "invalid_grant" => TokenError::InvalidGrant,
            "invalid_client" | "unauthorized_client" => TokenError::ClientRejected(answer.error),
            other => TokenError::Other(PortalError::Upstream {
                what: WHAT.into(),
                detail: format!("token endpoint error {other}"),
            }),
        });
    }
    // RFC 7231 §3.1.1.1: media types are case-insensitive and may carry parameters. A value
    // that is not visible ASCII is not a media type at all.
    if let Some(ct) = content_type {
        let readable = ct.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        if !readable || !ct.to_ascii_lowercase().starts_with("application/json") {
            return Err(malformed(format!(
                "unexpected response Content-Type: {ct:?}, should be `application/json`"
            )));
        }
    }
    if body.is_empty() {
        return Err(malformed("server returned empty response body".into()));
    }
    first_value(body).map_err(|e| malformed(format!("token response: {e}")))
}

/// The JSON value the body starts with; what follows it is not read (as the sign-in always
/// read token answers).
fn first_value<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    T::deserialize(&mut serde_json::Deserializer::from_slice(body))
}

fn token_set(tokens: &Tokens, previous_refresh: Option<&str>, now: u64) -> TokenSet {
    TokenSet {
        access_token: tokens.access_token().to_owned(),
        refresh_token: tokens
            .refresh_token()
            .or(previous_refresh)
            .map(str::to_owned),
        // Saturating: the lifetime is the token endpoint's number, as large as it likes.
        expires_at: now.saturating_add(tokens.expires_in().map_or(300, |d| d.as_secs())),
        issued_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest;

    fn tokens(issued_at: u64, lifetime: u64) -> TokenSet {
        TokenSet {
            access_token: "a".into(),
            refresh_token: Some("r".into()),
            expires_at: issued_at + lifetime,
            issued_at,
        }
    }

    #[test]
    fn the_refresh_margin_is_a_fraction_of_short_lifetimes() {
        // An hour's token: refreshed in its last 30 s.
        let hour = tokens(1000, 3600);
        assert!(!hour.needs_refresh(4569));
        assert!(hour.needs_refresh(4570));
        // An 8 s token (tried: 1,944 refreshes in 40 s for 24 users with a fixed 30 s margin):
        // used for 6 s, refreshed in its last 2.
        let short = tokens(1000, 8);
        assert!(!short.needs_refresh(1000));
        assert!(!short.needs_refresh(1005));
        assert!(short.needs_refresh(1006));
        // A token stored before `issued_at` was kept keeps the old margin.
        let legacy = TokenSet {
            issued_at: 0,
            ..tokens(1000, 3600)
        };
        assert!(legacy.needs_refresh(4570) && !legacy.needs_refresh(4569));
    }

    #[test]
    fn only_client_errors_make_a_revocation_try_the_next_secret() {
        assert!(client_refused(401, br#"{"error":"invalid_client"}"#));
        assert!(client_refused(400, br#"{"error":"unauthorized_client"}"#));
        assert!(!client_refused(400, br#"{"error":"invalid_grant"}"#));
        assert!(!client_refused(503, br#"{"error":"invalid_client"}"#));
        assert!(!client_refused(401, b"not json"));
    }

    #[test]
    fn an_endless_token_lifetime_is_not_a_panic() {
        // The pattern `fuzz::a_cloud_token_of_any_lifetime_is_used_until_a_sane_time` found in
        // the Citrix Cloud API's token answers, in the same answers from the OIDC provider.
        let tokens: Tokens = serde_json::from_str(
            r#"{"access_token":"a","refresh_token":"r","expires_in":18446744073709551615}"#,
        )
        .unwrap();
        let set = token_set(&tokens, None, 1_700_000_000);
        assert_eq!(set.expires_at, u64::MAX);
        assert_eq!(set.refresh_token.as_deref(), Some("r"));
    }

    fn customer(prompt_login: bool, acr: &str) -> Customer {
        Customer::parsed(
            &format!(
                r#"{{"services":[{{"service":"store","endpoints":[{{"id":"ListResources","url":"https://acme.cloud.com/citrixapi/store/resources"}}]}}],
                   "clientSettings":{{"promptLoginEnabled":{prompt_login},"acr_values":"{acr}",
                   "oidcConfiguration":{{"oidc_discovery_endpoint":"https://accounts.cloud.com/core/.well-known/openid-configuration"}}}}}}"#
            ),
            r#"{"issuer":"https://accounts.cloud.com/core","authorization_endpoint":"https://accounts.cloud.com/core/connect/authorize","token_endpoint":"https://accounts.cloud.com/core/connect/token"}"#,
        )
    }

    fn config() -> Config {
        Config::parse(|name| {
            Some(
                match name {
                    "WORKSPACE_URL" => "https://acme.cloud.com",
                    "APPLICATION_ID" => "app",
                    "CLIENT_ID" => "portal",
                    "CLIENT_SECRET" => "s",
                    "SESSION_KEY" => "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                    _ => return None,
                }
                .to_owned(),
            )
        })
        .expect("a complete configuration")
    }

    fn params(url: &Url) -> std::collections::HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn the_authorize_request_follows_discovery() {
        let redirect = "https://portal.example/auth/callback";
        let a = authorize_url(&config(), &customer(true, "tenant:acme"), redirect, "n-1").unwrap();
        let q = params(&a.url);
        assert!(
            a.url
                .as_str()
                .starts_with("https://accounts.cloud.com/core/connect/authorize?")
        );
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "portal");
        assert_eq!(q["redirect_uri"], redirect);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["nonce"], "n-1");
        assert_eq!(q["state"], a.state);
        assert_eq!(q["prompt"], "login");
        assert_eq!(q["acr_values"], "tenant:acme");
        assert_eq!(q["scope"], "openid wsp spa leases offline_access");
        // The challenge is the S256 of the verifier the transaction keeps.
        let digest = sha2::Sha256::digest(a.verifier.as_bytes());
        assert_eq!(
            q["code_challenge"],
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
        );
        let b = authorize_url(&config(), &customer(true, "tenant:acme"), redirect, "n-1").unwrap();
        assert_ne!(
            (a.state, a.verifier),
            (b.state, b.verifier),
            "fresh per sign-in"
        );
    }

    #[test]
    fn token_requests_are_form_encoded_with_the_client_in_basic_auth() {
        assert_eq!(
            form_body(&[("grant_type", "refresh_token"), ("refresh_token", "r t&/+")]),
            "grant_type=refresh_token&refresh_token=r+t%26%2F%2B"
        );
        // RFC 6749 §2.3.1: the id and the secret are form-encoded, then Basic-encoded.
        let header = basic(&config(), "p:ss wörd");
        let decoded = STANDARD
            .decode(header.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"portal:p%3Ass+w%C3%B6rd");
    }

    fn answer(status: u16, content_type: Option<&str>, body: &str) -> String {
        match token_answer(status, content_type, body.as_bytes()) {
            Ok(t) => format!("tokens {} {:?}", t.access_token(), t.refresh_token()),
            Err(TokenError::InvalidGrant) => "invalid grant".into(),
            Err(TokenError::ClientRejected(why)) => format!("client rejected: {why}"),
            Err(TokenError::Other(e)) => e.log_line(),
        }
    }

    #[test]
    fn token_answers_are_read_as_the_rfc_says() {
        let json = Some("application/json");
        let tokens = r#"{"access_token":"a","refresh_token":"r"}"#;
        assert_eq!(answer(200, json, tokens), r#"tokens a Some("r")"#);
        assert_eq!(
            answer(200, Some("Application/JSON; charset=utf-8"), tokens),
            r#"tokens a Some("r")"#
        );
        assert_eq!(answer(200, None, tokens), r#"tokens a Some("r")"#);
        // Only the first JSON value of the body is read.
        assert_eq!(
            answer(200, json, &format!("{tokens} x")),
            r#"tokens a Some("r")"#
        );
        assert!(
            answer(200, Some("text/html"), tokens).contains("unexpected response Content-Type")
        );
        assert!(answer(200, json, "").contains("server returned empty response body"));
        assert!(answer(200, json, r#"{"token_type":"bearer"}"#).contains("missing field"));
        // Anything but 200 is an error answer (§5.2).
        assert_eq!(
            answer(400, json, r#"{"error":"invalid_grant"}"#),
            "invalid grant"
        );
        assert_eq!(
            answer(201, None, r#"{"error":"invalid_grant"} x"#),
            "invalid grant"
        );
        for refused in ["invalid_client", "unauthorized_client"] {
            assert_eq!(
                answer(
                    401,
                    json,
                    &format!(r#"{{"error":"{refused}","error_description":"d"}}"#)
                ),
                format!("client rejected: {refused}")
            );
        }
        assert!(
            answer(400, json, r#"{"error":"invalid_request"}"#)
                .ends_with("token endpoint error invalid_request")
        );
        assert!(answer(400, json, r#"{"error":"x","error_uri":5}"#).contains("malformed"));
        assert!(answer(500, None, "").contains("server returned empty error response"));
        assert!(answer(503, None, "<html>").contains("malformed"));
    }

    #[test]
    fn prompt_and_acr_values_only_when_discovery_asks() {
        let a =
            authorize_url(&config(), &customer(false, ""), "https://p.example/cb", "n").unwrap();
        let q = params(&a.url);
        assert!(
            !q.contains_key("prompt") && !q.contains_key("acr_values"),
            "{q:?}"
        );
    }
}
