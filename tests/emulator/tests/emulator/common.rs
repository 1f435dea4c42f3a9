//! Helpers shared by the emulator's integration tests: the HTTP client, a running emulator with
//! its client, the clock, the token endpoint, alice's PKCE sign-in to the demo client, the admin
//! API's client creation and JSON error answers.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use workspace_emulator::{Emulator, EmulatorConfig, demo};

pub const DAY: u64 = 24 * 3600;
/// The demo client's registered redirect URI.
pub const REDIRECT: &str = "http://127.0.0.1:8787/auth/callback";
/// The PKCE code verifier of every sign-in.
pub const VERIFIER: &str = "a-pkce-verifier-that-is-long-enough-for-the-spec-0123456789";
/// A client's secret times, as the admin and Citrix Cloud APIs list them.
pub const SECRET_TIME_KEYS: [&str; 4] = [
    "secret_update_time",
    "secret_expiration",
    "secret_update_time_old",
    "secret_expiration_old",
];

/// A new HTTP client that does not follow redirects, so authorization answers can be read, and
/// keeps cookies, so a sign-in lasts for its later requests (a fresh client is signed out).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A running emulator, its customer URL and one client to call it with. Each test file adds its own
/// request helpers in an `impl Harness` block.
pub struct Harness {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub url: String,
}

impl Harness {
    pub async fn start_with(config: EmulatorConfig) -> Harness {
        let emu = Emulator::start(config).await.unwrap();
        let url = emu.url();
        Harness {
            emu,
            http: http(),
            url,
        }
    }

    pub async fn start() -> Harness {
        Harness::start_with(EmulatorConfig::test()).await
    }
}

pub async fn json_of(r: reqwest::Response) -> (StatusCode, Value) {
    let status = r.status();
    (status, r.json().await.unwrap())
}

/// Status, `error` and `error_description` of a JSON error answer, which must say it came from
/// the emulator; a missing field is empty.
pub async fn error_of(r: reqwest::Response) -> (StatusCode, String, String) {
    let source = r
        .headers()
        .get("Citrix-Error-Source")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = json_of(r).await;
    assert_eq!(source.as_deref(), Some("emulator"), "{body}");
    let field = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    (status, field("error"), field("error_description"))
}

/// `PATCH /_emulator/settings` with this body.
pub async fn patch_settings(emu: &Emulator, body: &Value) -> reqwest::Response {
    http()
        .patch(format!("{}/_emulator/settings", emu.url()))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Moves the emulator's clock `offset_secs` from the real time.
pub async fn move_clock(emu: &Emulator, offset_secs: i64) {
    let r = patch_settings(emu, &json!({"clock_offset_secs": offset_secs})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(emu.settings().clock_offset_secs, offset_secs);
}

/// Status and `error` of a refresh grant with an unknown refresh token, the client
/// authenticating by HTTP basic with `secret` or, without one, naming itself in the form:
/// 400 `invalid_grant` means the client authenticated and may use the token endpoint.
pub async fn token_probe(
    emu: &Emulator,
    client_id: &str,
    secret: Option<&str>,
) -> (StatusCode, String) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", "whatever"),
    ];
    let mut r = http().post(format!("{}/core/connect/token", emu.hosts().accounts));
    match secret {
        Some(s) => r = r.basic_auth(client_id, Some(s)),
        None => form.push(("client_id", client_id)),
    }
    let (status, body) = json_of(r.form(&form).send().await.unwrap()).await;
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Whether the token endpoint accepts this client secret.
pub async fn secret_works(emu: &Emulator, client_id: &str, secret: &str) -> bool {
    match token_probe(emu, client_id, Some(secret)).await {
        (StatusCode::BAD_REQUEST, e) if e == "invalid_grant" => true,
        (StatusCode::UNAUTHORIZED, e) if e == "invalid_client" => false,
        other => panic!("unexpected token answer {other:?}"),
    }
}

/// A token endpoint call by the demo client, authenticated by HTTP basic.
pub async fn token_call(emu: &Emulator, form: &[(&str, &str)]) -> reqwest::Response {
    http()
        .post(format!("{}/core/connect/token", emu.hosts().accounts))
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(form)
        .send()
        .await
        .unwrap()
}

pub async fn refresh(emu: &Emulator, rt: &str) -> reqwest::Response {
    token_call(
        emu,
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

pub fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

/// The demo client's authorization request with PKCE; `extra` replaces parameters, or removes
/// them when its value is empty.
pub fn authorize_params(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("client_id", demo::CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid wsp offline_access"),
        ("state", "st-1"),
        ("nonce", "n-1"),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    p.push(("code_challenge".into(), challenge()));
    for (k, v) in extra {
        p.retain(|(name, _)| name != k);
        if !v.is_empty() {
            p.push((k.to_string(), v.to_string()));
        }
    }
    p
}

/// `GET /core/connect/authorize` with [`authorize_params`].
pub async fn authorize(
    emu: &Emulator,
    c: &reqwest::Client,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    c.get(format!("{}/core/connect/authorize", emu.hosts().accounts))
        .query(&authorize_params(extra))
        .send()
        .await
        .unwrap()
}

pub fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The query of a redirect's `Location`.
pub fn location_query(r: &reqwest::Response) -> HashMap<String, String> {
    query_of(r.headers()["location"].to_str().unwrap())
}

/// Posts the login form; returns the response (a redirect with a code when all is well).
pub async fn login(
    emu: &Emulator,
    c: &reqwest::Client,
    user: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = authorize_params(extra);
    form.push(("username".into(), user.into()));
    form.push(("password".into(), password.into()));
    c.post(format!(
        "{}/core/connect/authorize/login",
        emu.hosts().accounts
    ))
    .form(&form)
    .send()
    .await
    .unwrap()
}

/// Alice signs in; the authorization code.
pub async fn code_for(emu: &Emulator, c: &reqwest::Client, extra: &[(&str, &str)]) -> String {
    let r = login(emu, c, "alice", "wonderland", extra).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let q = location_query(&r);
    assert_eq!(q["state"], "st-1");
    assert_eq!(q["iss"], format!("{}/core", emu.hosts().accounts));
    q["code"].clone()
}

/// Redeems an authorization code with the demo client.
pub async fn redeem(emu: &Emulator, code: &str) -> reqwest::Response {
    token_call(
        emu,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}

/// The token response for an authorization code.
pub async fn exchange(emu: &Emulator, code: &str) -> Value {
    let (status, body) = json_of(redeem(emu, code).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// A fresh sign-in of alice: the token response.
pub async fn tokens(emu: &Emulator) -> Value {
    let code = code_for(emu, &http(), &[]).await;
    exchange(emu, &code).await
}

/// `GET /core/connect/userinfo` with this access token.
pub async fn userinfo(emu: &Emulator, access_token: &str) -> reqwest::Response {
    http()
        .get(format!("{}/core/connect/userinfo", emu.hosts().accounts))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

/// A discovery request for this application id.
pub fn discovery(
    c: &reqwest::Client,
    emu: &Emulator,
    application_id: &str,
) -> reqwest::RequestBuilder {
    c.get(format!("{}/citrixapi/discovery/configurations", emu.url()))
        .header("Citrix-ApplicationId", application_id)
}

/// The discovery document the demo application id gets.
pub async fn discovery_json(emu: &Emulator) -> Value {
    discovery(&http(), emu, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Creates a client through the admin API.
pub async fn create_client(emu: &Emulator, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/admin/api/clients", emu.url()))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Creates a client of this type (`private` or `public`); its view, with the secret if any.
pub async fn create_client_ok(emu: &Emulator, client_type: &str) -> Value {
    let r = create_client(
        emu,
        &json!({
            "display_name": format!("Test {client_type} client"),
            "client_type": client_type,
            "redirect_uris": ["http://127.0.0.1:9000/cb"],
            "owner": "carol@acme.example",
        }),
    )
    .await;
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}
