//! The private OAuth client: authorize URL, code exchange, refresh and revocation, with the
//! `oauth2` crate over the Workers fetch.

use base64::Engine;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse,
};
use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use worker::{Method, Url};

use crate::citrix::discovery::Customer;
use crate::citrix::upstream::Call;
use crate::citrix::workspace::TokenAnswer;
use crate::config::Config;
use crate::http::error::PortalError;

type Tokens = TokenAnswer;
type OidcClient = Client<
    BasicErrorResponse,
    Tokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

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

fn client(
    config: &Config,
    customer: &Customer,
    secret: &str,
    redirect: Option<&str>,
) -> Result<OidcClient, PortalError> {
    let bad = |e: oauth2::url::ParseError| PortalError::UpstreamMalformed {
        what: "signing you in".into(),
        detail: format!("OIDC endpoint: {e}"),
    };
    let c = Client::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(secret.to_owned()))
        .set_auth_uri(AuthUrl::new(customer.oidc.authorization_endpoint.clone()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(customer.oidc.token_endpoint.clone()).map_err(bad)?);
    Ok(match redirect {
        Some(r) => c.set_redirect_uri(RedirectUrl::new(r.to_owned()).map_err(bad)?),
        None => c,
    })
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
    let client = client(config, customer, &config.client_secret, Some(redirect))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let settings = &customer.discovery.client_settings;
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(config.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.to_owned())
        .add_extra_param("response_mode", "query");
    if let Some(acr) = settings.acr_values.as_deref().filter(|a| !a.is_empty()) {
        request = request.add_extra_param("acr_values", acr.to_owned());
    }
    if settings.prompt_login_enabled {
        request = request.add_extra_param("prompt", "login");
    }
    let (url, state) = request.url();
    Ok(Authorize {
        url,
        state: state.secret().clone(),
        verifier: verifier.secret().clone(),
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
    let client = client(config, customer, secret, Some(redirect)).map_err(TokenError::Other)?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
        .request_async(&send)
        .await
        .map_err(token_error)?;
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
    let client = client(config, customer, secret, None).map_err(TokenError::Other)?;
    let old = RefreshToken::new(refresh_token.to_owned());
    let tokens = client
        .exchange_refresh_token(&old)
        .request_async(&send)
        .await
        .map_err(token_error)?;
    Ok(token_set(&tokens, Some(refresh_token), now))
}

/// Revokes a refresh token at sign-out (RFC 7009). Best effort: the session ends either way, so
/// only a refused client is an error (the caller tries the next secret); the rest is logged.
///
/// Sent directly rather than through `oauth2`, which refuses a non-https revocation URL even
/// where discovery admitted plain http (the loopback emulator).
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
    let form = |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
    // RFC 6749 §2.3.1: the id and secret are form-encoded before the Basic encoding.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        form(&config.client_id),
        form(secret)
    ));
    let body = format!(
        "token={}&token_type_hint=refresh_token",
        form(refresh_token)
    );
    let result = Call {
        method: Method::Post,
        url: &url,
        application_id: None,
        headers: vec![("Authorization", format!("Basic {basic}"))],
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

/// Whether an error answer refuses the client itself (RFC 6749 §5.2).
fn client_refused(status: u16, body: &[u8]) -> bool {
    (status == 400 || status == 401)
        && serde_json::from_slice::<crate::citrix::workspace::OAuthErrorBody>(body)
            .is_ok_and(|e| matches!(e.error.as_str(), "invalid_client" | "unauthorized_client"))
}

fn token_set(tokens: &Tokens, previous_refresh: Option<&str>, now: u64) -> TokenSet {
    TokenSet {
        access_token: tokens.access_token().secret().clone(),
        refresh_token: tokens
            .refresh_token()
            .map(|r| r.secret().clone())
            .or_else(|| previous_refresh.map(str::to_owned)),
        // Saturating: the lifetime is the token endpoint's number, as large as it likes.
        expires_at: now.saturating_add(tokens.expires_in().map_or(300, |d| d.as_secs())),
        issued_at: now,
    }
}

fn token_error(e: RequestTokenError<HttpError, BasicErrorResponse>) -> TokenError {
    const WHAT: &str = "signing you in";
    match e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            BasicErrorResponseType::InvalidGrant => TokenError::InvalidGrant,
            BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                TokenError::ClientRejected(r.error().to_string())
            }
            other => TokenError::Other(PortalError::Upstream {
                what: WHAT.into(),
                detail: format!("token endpoint error {other}"),
            }),
        },
        RequestTokenError::Request(HttpError(e)) => TokenError::Other(e),
        RequestTokenError::Parse(e, _) => TokenError::Other(PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail: format!("token response: {e}"),
        }),
        RequestTokenError::Other(e) => TokenError::Other(PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail: e,
        }),
    }
}

/// A failed token-endpoint call, as `oauth2` wants it.
#[derive(Debug)]
pub struct HttpError(PortalError);

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.log_line())
    }
}

impl std::error::Error for HttpError {}

/// `oauth2`'s HTTP client: the Workers fetch through [`Call`].
async fn send(request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let url = Url::parse(&request.uri().to_string())
        .map_err(|e| HttpError(PortalError::Internal(format!("token URL: {e}"))))?;
    let method = if request.method() == http::Method::GET {
        Method::Get
    } else {
        Method::Post
    };
    let header = |name: http::header::HeaderName| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let headers = header(http::header::AUTHORIZATION)
        .map(|v| vec![("Authorization", v)])
        .unwrap_or_default();
    let body = (!request.body().is_empty())
        .then(|| ("application/x-www-form-urlencoded", request.body().clone()));
    let answer = Call {
        method,
        url: &url,
        application_id: None,
        headers,
        body,
        what: "signing you in",
    }
    .send()
    .await
    .map_err(HttpError)?;
    let mut response = http::Response::builder().status(answer.status);
    if let Some(ct) = answer.content_type {
        response = response.header(http::header::CONTENT_TYPE, ct);
    }
    response
        .body(answer.body)
        .map_err(|e| HttpError(PortalError::Internal(format!("token response: {e}"))))
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
