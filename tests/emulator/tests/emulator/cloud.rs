//! The Citrix Cloud API: client-credentials tokens, `CWSAuth` authorization, and the `rpclients`
//! list / `$rotateSecret` / `$expireOldSecret` calls, checked end to end against the OAuth
//! token endpoint (seed: oauth-client-management.txt, "Programmatic Rotation").

use crate::common::{
    DAY, Harness, SECRET_TIME_KEYS, create_client_ok, discovery, error_of, move_clock,
    secret_works, userinfo,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use workspace_emulator::{EmulatorConfig, Profile, SECRET_LIFETIME_SECS, Topology, demo};

/// The demo Citrix Cloud API client's credentials in a client-credentials form.
const CREDENTIALS: [(&str, &str); 3] = [
    ("grant_type", "client_credentials"),
    ("client_id", demo::CLOUD_CLIENT_ID),
    ("client_secret", demo::CLOUD_CLIENT_SECRET),
];

fn token_url(url: &str, customer: &str) -> String {
    format!("{url}/cctrustoauth2/{customer}/tokens/clients")
}

impl Harness {
    /// A Citrix Cloud API token for the demo API client.
    async fn token(&self) -> String {
        let r = self
            .http
            .post(token_url(&self.emu.hosts().trust, demo::CUSTOMER_ID))
            .form(&CREDENTIALS)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    fn rpclients(&self) -> String {
        format!("{}/{}/rpclients", self.emu.hosts().cws, demo::CUSTOMER_ID)
    }

    /// A request authorized by this Citrix Cloud API token.
    fn cws(&self, method: Method, url: String, token: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header("Authorization", format!("CWSAuth bearer={token}"))
    }

    async fn get_rpclients(&self, token: &str) -> reqwest::Response {
        self.cws(Method::GET, self.rpclients(), token)
            .send()
            .await
            .unwrap()
    }

    async fn rpclients_list(&self, token: &str) -> Vec<Value> {
        let r = self.get_rpclients(token).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// The demo client, found by its name (what `api_key` holds depends on the profile).
    async fn demo_client(&self, token: &str) -> Value {
        self.rpclients_list(token)
            .await
            .into_iter()
            .find(|c| c["name"] == demo::CLIENT_NAME)
            .expect("the demo client is listed")
    }

    async fn action(&self, token: &str, name: &str, action: &str) -> reqwest::Response {
        let url = format!("{}/{name}/{action}", self.rpclients());
        self.cws(Method::POST, url, token).send().await.unwrap()
    }
}

#[tokio::test]
async fn tokens_come_from_form_basic_and_legacy_json_requests() {
    let c = Harness::start().await;
    let url = token_url(&c.emu.hosts().trust, demo::CUSTOMER_ID);

    let form = c.http.post(&url).form(&CREDENTIALS);
    let basic = c
        .http
        .post(&url)
        .basic_auth(demo::CLOUD_CLIENT_ID, Some(demo::CLOUD_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")]);
    let legacy = c.http.post(&url).json(
        &json!({"clientId": demo::CLOUD_CLIENT_ID, "clientSecret": demo::CLOUD_CLIENT_SECRET}),
    );
    let mut tokens = Vec::new();
    for request in [form, basic, legacy] {
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], "3600", "the .NET profile: a string");
        let token = body["access_token"].as_str().unwrap().to_owned();
        assert!(token.len() >= 32, "{token}");
        // Each token works for the rpclients list.
        assert!(!c.rpclients_list(&token).await.is_empty());
        tokens.push(token);
    }
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 3, "every request gets its own token");
}

#[tokio::test]
async fn the_token_endpoint_refuses_bad_requests() {
    let c = Harness::start().await;
    let url = token_url(&c.emu.hosts().trust, demo::CUSTOMER_ID);

    // Another customer's token endpoint does not exist here.
    let r = c
        .http
        .post(token_url(&c.emu.hosts().trust, "globex"))
        .form(&CREDENTIALS)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::NOT_FOUND);

    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            c.http.post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLOUD_CLIENT_ID),
                ("client_secret", "wrong"),
            ]),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            c.http.post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "nobody"),
                ("client_secret", demo::CLOUD_CLIENT_SECRET),
            ]),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        // A Workspace OAuth client is not a Citrix Cloud API client.
        (
            c.http.post(&url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ]),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            c.http
                .post(&url)
                .basic_auth(demo::CLOUD_CLIENT_ID, Some("wrong"))
                .form(&[("grant_type", "client_credentials")]),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            c.http
                .post(&url)
                .form(&[("grant_type", "client_credentials")]),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            c.http.post(&url).form(&[
                ("client_id", demo::CLOUD_CLIENT_ID),
                ("client_secret", demo::CLOUD_CLIENT_SECRET),
            ]),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            c.http.post(&url).form(&[
                ("grant_type", "password"),
                ("client_id", demo::CLOUD_CLIENT_ID),
                ("client_secret", demo::CLOUD_CLIENT_SECRET),
            ]),
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            c.http
                .post(&url)
                .json(&json!({"clientId": demo::CLOUD_CLIENT_ID, "clientSecret": "wrong"})),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            c.http
                .post(&url)
                .json(&json!({"clientId": demo::CLOUD_CLIENT_ID})),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            c.http
                .post(&url)
                .header("Content-Type", "application/json")
                .body("{\"clientId\": \"cc-portal-rot"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (i, (request, status, error)) in cases.into_iter().enumerate() {
        let (got, code, description) = error_of(request.send().await.unwrap()).await;
        assert_eq!(
            (got, code.as_str()),
            (status, error),
            "case {i}: {description}"
        );
        assert!(!description.is_empty(), "case {i}");
    }
    assert!(
        c.emu.transaction_log().iter().all(|l| l.status != 200),
        "no bad request got a token"
    );
}

#[tokio::test]
async fn rpclients_lists_every_client_with_the_seed_fields_and_no_secret() {
    // The tidy profile: exactly the seed's fields, the OAuth client id as `api_key`.
    let mut config = EmulatorConfig::test();
    config.settings.profile = Profile::Plain;
    let c = Harness::start_with(config).await;
    let public = create_client_ok(&c.emu, "public").await;
    let token = c.token().await;

    let r = c.get_rpclients(&token).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains(demo::CLIENT_SECRET),
        "no secret is ever listed"
    );
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(list.len(), 2);

    let demo_client = list
        .iter()
        .find(|c| c["api_key"] == demo::CLIENT_ID)
        .unwrap();
    let mut keys: Vec<&str> = demo_client
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "api_key",
            "application_id",
            "client_type",
            "display_name",
            "enabled",
            "name",
            "owner",
            "redirect_uris",
            "secret_expiration",
            "secret_expiration_old",
            "secret_update_time",
            "secret_update_time_old",
            "user_consent",
        ]
    );
    assert_eq!(demo_client["name"], demo::CLIENT_NAME);
    assert_eq!(demo_client["display_name"], "Workspace Portal (local)");
    assert_eq!(demo_client["owner"], "bob@acme.example");
    assert_eq!(demo_client["enabled"], true);
    assert_eq!(demo_client["client_type"], "private");
    assert_eq!(demo_client["application_id"], demo::APPLICATION_ID);
    assert_eq!(demo_client["user_consent"], false);
    assert_eq!(
        demo_client["redirect_uris"],
        json!([
            "http://127.0.0.1:8787/auth/callback",
            "http://localhost:8787/auth/callback"
        ])
    );
    // The demo secret was issued 30 days ago and lives 90 days.
    let now = c.emu.now();
    let updated = demo_client["secret_update_time"].as_u64().unwrap();
    let expires = demo_client["secret_expiration"].as_u64().unwrap();
    assert!(
        (now - 30 * DAY - 60..=now - 30 * DAY).contains(&updated),
        "{updated} vs {now}"
    );
    assert_eq!(expires, updated + SECRET_LIFETIME_SECS);
    assert_eq!(demo_client["secret_update_time_old"], Value::Null);
    assert_eq!(demo_client["secret_expiration_old"], Value::Null);

    let listed_public = list
        .iter()
        .find(|c| c["api_key"] == public["client_id"])
        .unwrap();
    assert_eq!(listed_public["name"], public["name"]);
    assert_eq!(listed_public["client_type"], "public");
    for k in SECRET_TIME_KEYS {
        assert_eq!(listed_public[k], Value::Null, "{k}");
    }
}

#[tokio::test]
async fn rpclients_needs_a_cwsauth_token_for_this_customer() {
    let c = Harness::start().await;
    let token = c.token().await;
    let get = |auth: Option<String>| {
        let mut r = c.http.get(c.rpclients());
        if let Some(a) = auth {
            r = r.header("Authorization", a);
        }
        r.send()
    };

    for auth in [
        None,
        Some("CWSAuth".to_owned()),
        Some("CWSAuth bearer=".to_owned()),
        Some(format!("CWSAuth token={token}")),
        Some(format!("Bearer {token}")),
        Some(format!("CWSAuthbearer={token}")),
        Some(format!("Basic {token}")),
        Some("CWSAuth bearer=not-a-token".to_owned()),
    ] {
        let (status, error, _) = error_of(get(auth.clone()).await.unwrap()).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_token"),
            "{auth:?}"
        );
    }
    // Scheme and key in any case, the value optionally quoted.
    for auth in [
        format!("CWSAuth bearer={token}"),
        format!("CwsAuth Bearer={token}"),
        format!("cwsauth BEARER=\"{token}\""),
    ] {
        let r = get(Some(auth.clone())).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{auth}");
    }

    // A valid token, but another customer.
    let globex = format!("{}/globex/rpclients", c.emu.hosts().cws);
    let r = c
        .cws(Method::GET, globex.clone(), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::NOT_FOUND);
    for action in ["$rotateSecret", "$expireOldSecret"] {
        let url = format!("{globex}/{}/{action}", demo::CLIENT_NAME);
        let r = c
            .cws(Method::POST, url.clone(), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.0, StatusCode::NOT_FOUND, "{action}");
        // Without a token, nothing at all is said about the customer.
        let r = c.http.post(url).send().await.unwrap();
        assert_eq!(error_of(r).await.0, StatusCode::UNAUTHORIZED, "{action}");
    }

    // The rotation calls need the token too, and change nothing without it.
    for action in ["$rotateSecret", "$expireOldSecret"] {
        let r = c
            .http
            .post(format!("{}/{}/{action}", c.rpclients(), demo::CLIENT_NAME))
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.0, StatusCode::UNAUTHORIZED, "{action}");
        let r = c.action("not-a-token", demo::CLIENT_NAME, action).await;
        assert_eq!(error_of(r).await.0, StatusCode::UNAUTHORIZED, "{action}");
    }
    assert!(c.emu.client(demo::CLIENT_ID).unwrap().old_secret.is_none());

    // A Citrix Cloud token is not a Workspace access token.
    let r = userinfo(&c.emu, &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cloud_token_expires_after_an_hour() {
    let c = Harness::start().await;
    let token = c.token().await;
    move_clock(&c.emu, 3599).await;
    assert!(!c.rpclients_list(&token).await.is_empty());
    move_clock(&c.emu, 3601).await;
    let r = c.get_rpclients(&token).await;
    let (status, error, description) = error_of(r).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "invalid_token")
    );
    assert!(description.contains("expired"), "{description}");
    let r = c.action(&token, demo::CLIENT_NAME, "$rotateSecret").await;
    assert_eq!(error_of(r).await.0, StatusCode::UNAUTHORIZED);
    // A new one works on the moved clock.
    let fresh = c.token().await;
    assert!(!c.rpclients_list(&fresh).await.is_empty());
}

/// The whole programmatic rotation: list, rotate, both secrets work, expire the old one.
#[tokio::test]
async fn rotate_then_expire_the_old_secret() {
    let c = Harness::start().await;
    let token = c.token().await;
    let original = c.demo_client(&token).await;
    let name = original["name"].as_str().unwrap().to_owned();
    assert_eq!(name, demo::CLIENT_NAME);
    let original_expiry = original["secret_expiration"].as_u64().unwrap();
    assert!(secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    assert!(!secret_works(&c.emu, demo::CLIENT_ID, "wrong").await);

    let before = c.emu.now();
    let r = c.action(&token, &name, "$rotateSecret").await;
    let after = c.emu.now();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains(demo::CLIENT_SECRET),
        "the old secret is not echoed"
    );
    let rotated: Value = serde_json::from_str(&text).unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert!(new_secret.len() >= 32 && new_secret != demo::CLIENT_SECRET);
    let client = &rotated["client"];
    assert_eq!(client["api_key"], demo::APPLICATION_ID, "the .NET profile");
    assert_eq!(client["name"], demo::CLIENT_NAME);
    let updated = client["secret_update_time"].as_u64().unwrap();
    assert!((before..=after).contains(&updated));
    assert_eq!(client["secret_expiration"], updated + SECRET_LIFETIME_SECS);
    assert_eq!(client["secret_update_time_old"], updated);
    assert_eq!(client["secret_expiration_old"], original_expiry);
    assert!(client.get("secret").is_none());

    // Both secrets work until the old one is expired.
    assert!(secret_works(&c.emu, demo::CLIENT_ID, &new_secret).await);
    assert!(secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);

    // The list shows the same times as the rotation's answer.
    let listed = c.demo_client(&token).await;
    for k in SECRET_TIME_KEYS {
        assert_eq!(listed[k], client[k], "{k}");
    }

    let r = c.action(&token, &name, "$expireOldSecret").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().await.unwrap(),
        "",
        "the seed: a 200 OK with an empty body"
    );
    assert!(!secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    assert!(secret_works(&c.emu, demo::CLIENT_ID, &new_secret).await);
    let listed = c.demo_client(&token).await;
    assert_eq!(listed["secret_update_time"], updated);
    assert_eq!(listed["secret_expiration"], updated + SECRET_LIFETIME_SECS);
    assert_eq!(listed["secret_update_time_old"], Value::Null);
    assert_eq!(listed["secret_expiration_old"], Value::Null);

    // Expiring again is harmless; a second rotation replaces the (expired) old one.
    let r = c.action(&token, &name, "$expireOldSecret").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.action(&token, &name, "$rotateSecret").await;
    let third: Value = r.json().await.unwrap();
    let third_secret = third["secret"].as_str().unwrap();
    assert_ne!(third_secret, new_secret);
    assert_eq!(
        third["client"]["secret_expiration_old"],
        updated + SECRET_LIFETIME_SECS
    );
    assert!(secret_works(&c.emu, demo::CLIENT_ID, third_secret).await);
    assert!(secret_works(&c.emu, demo::CLIENT_ID, &new_secret).await);
    assert!(!secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
}

#[tokio::test]
async fn the_old_secret_stops_working_when_it_expires() {
    let c = Harness::start().await;
    let token = c.token().await;
    let r = c.action(&token, demo::CLIENT_NAME, "$rotateSecret").await;
    let rotated: Value = r.json().await.unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    let old_expiry = rotated["client"]["secret_expiration_old"].as_u64().unwrap();

    // A minute before the old secret's expiry both work.
    let to_expiry = i64::try_from(old_expiry - c.emu.now()).unwrap();
    move_clock(&c.emu, to_expiry - 60).await;
    assert!(secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    assert!(secret_works(&c.emu, demo::CLIENT_ID, &new_secret).await);

    // Past it, without any expire call, only the new one does.
    move_clock(&c.emu, to_expiry + 10).await;
    assert!(!secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    assert!(secret_works(&c.emu, demo::CLIENT_ID, &new_secret).await);

    // The list tells the truth: the old expiry is in the past.
    let fresh = c.token().await;
    let listed = c.demo_client(&fresh).await;
    assert_eq!(listed["secret_expiration_old"], old_expiry);
    assert!(old_expiry < c.emu.now());
    assert!(listed["secret_expiration"].as_u64().unwrap() > c.emu.now());
}

#[tokio::test]
async fn an_unrotated_secret_stops_working_after_ninety_days() {
    let c = Harness::start().await;
    let token = c.token().await;
    let expires = c.demo_client(&token).await["secret_expiration"]
        .as_u64()
        .unwrap();
    let to_expiry = i64::try_from(expires - c.emu.now()).unwrap();
    move_clock(&c.emu, to_expiry + 1).await;
    assert!(!secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    let fresh = c.token().await;
    let listed = c.demo_client(&fresh).await;
    assert_eq!(listed["secret_expiration"], expires);
    assert!(expires <= c.emu.now());

    // Rotating an expired secret still gives a working one; the expired one stays dead.
    let r = c.action(&fresh, demo::CLIENT_NAME, "$rotateSecret").await;
    let rotated: Value = r.json().await.unwrap();
    assert!(secret_works(&c.emu, demo::CLIENT_ID, rotated["secret"].as_str().unwrap()).await);
    assert!(!secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
}

#[tokio::test]
async fn rotation_refuses_unknown_and_public_clients() {
    let c = Harness::start().await;
    let public = create_client_ok(&c.emu, "public").await;
    let public_name = public["name"].as_str().unwrap();
    let token = c.token().await;

    for action in ["$rotateSecret", "$expireOldSecret"] {
        // Clients are addressed by name, not by their OAuth client id.
        for name in ["no-such-client", demo::CLIENT_ID] {
            let (status, error, _) = error_of(c.action(&token, name, action).await).await;
            assert_eq!(
                (status, error.as_str()),
                (StatusCode::NOT_FOUND, "not_found"),
                "{name} {action}"
            );
        }
        let (status, error, description) =
            error_of(c.action(&token, public_name, action).await).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "public_client"),
            "{action}"
        );
        assert!(description.contains("public"), "{description}");
    }
    let (status, _, description) =
        error_of(c.action(&token, demo::CLIENT_NAME, "$deleteClient").await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(description.contains("$rotateSecret"), "{description}");

    // None of that touched the demo client.
    assert!(c.emu.client(demo::CLIENT_ID).unwrap().old_secret.is_none());
    assert!(secret_works(&c.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
}

/// In the single topology every route shares one host.
#[tokio::test]
async fn routing_keeps_the_rest_of_the_emulator_reachable() {
    let mut config = EmulatorConfig::test();
    config.topology = Topology::Single;
    let c = Harness::start_with(config).await;
    let token = c.token().await;

    // `/{customer}/rpclients` does not swallow the other routes.
    let r = discovery(&c.http, &c.emu, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(body["services"].is_array());
    for path in [
        "/core/.well-known/openid-configuration",
        "/_emulator/settings",
        "/admin/api/clients",
        "/admin",
    ] {
        let r = c.http.get(format!("{}{path}", c.url)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }

    // The `$` actions route as written and percent-encoded; they are POST only.
    let client = format!("{}/{}", c.rpclients(), demo::CLIENT_NAME);
    let call = |method, url: String| c.cws(method, url, &token).send();
    let r = call(Method::GET, format!("{client}/$rotateSecret"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let r = call(Method::POST, format!("{client}/%24rotateSecret"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rotated: Value = r.json().await.unwrap();
    assert!(rotated["secret"].is_string());
    let r = call(Method::POST, client).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
