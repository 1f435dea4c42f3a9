//! The admin portal's Workspace OAuth client management (JSON API and HTML page), checked end
//! to end against discovery, authorize, the token endpoint and userinfo (seed:
//! oauth-client-management.txt: creating, editing, enabling, disabling and deleting clients).

use std::time::Duration;

use crate::common::{
    DAY, Harness, REDIRECT, SECRET_TIME_KEYS, authorize, create_client, create_client_ok,
    discovery, http, json_of, login, move_clock, secret_works, token_probe, tokens, userinfo,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use workspace_emulator::{Emulator, EmulatorConfig, SECRET_LIFETIME_SECS, demo};

/// Status and `error` of a JSON error answer, which always says where it came from and why.
async fn error_of(r: reqwest::Response) -> (StatusCode, String) {
    let (status, error, description) = crate::common::error_of(r).await;
    assert!(!error.is_empty(), "{status}: no error");
    assert!(!description.is_empty(), "{status} {error}: no description");
    (status, error)
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

const VIEW_KEYS: [&str; 15] = [
    "application_id",
    "client_id",
    "client_type",
    "created_at",
    "display_name",
    "enabled",
    "name",
    "owner",
    "redirect_uris",
    "require_pkce",
    "secret_expiration",
    "secret_expiration_old",
    "secret_update_time",
    "secret_update_time_old",
    "user_consent",
];

/// The keys of a view that shows the client's new secret.
fn view_keys_with_secret() -> Vec<&'static str> {
    let mut expected = VIEW_KEYS.to_vec();
    expected.push("secret");
    expected.sort();
    expected
}

/// Whether the demo client's authorization request with this client and redirect URI is
/// accepted (the login page) or refused (a 400 page).
async fn authorize_status(emu: &Emulator, client_id: &str, redirect_uri: &str) -> StatusCode {
    let extra = [("client_id", client_id), ("redirect_uri", redirect_uri)];
    authorize(emu, &http(), &extra).await.status()
}

/// Alice signs in to the demo client with only this scope, on a fresh client: the login answer
/// (a redirect with the code, or a consent page).
async fn sign_in(emu: &Emulator, scope: &str) -> reqwest::Response {
    let c = http();
    let extra = [("scope", scope)];
    let page = authorize(emu, &c, &extra).await;
    assert_eq!(page.status(), StatusCode::OK, "the login page");
    login(emu, &c, "alice", "wonderland", &extra).await
}

impl Harness {
    fn api(&self, path: &str) -> String {
        format!("{}/admin/api/clients{path}", self.url)
    }

    async fn admin_clients(&self) -> Vec<Value> {
        let (status, body) = json_of(self.http.get(self.api("")).send().await.unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_value(body).unwrap()
    }

    async fn view(&self, client_id: &str) -> Option<Value> {
        self.admin_clients()
            .await
            .into_iter()
            .find(|c| c["client_id"] == client_id)
    }

    async fn patch(&self, client_id: &str, body: Value) -> reqwest::Response {
        self.http
            .patch(self.api(&format!("/{client_id}")))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn act(&self, client_id: &str, action: &str) -> reqwest::Response {
        self.http
            .post(self.api(&format!("/{client_id}/{action}")))
            .send()
            .await
            .unwrap()
    }

    async fn delete(&self, client_id: &str) -> reqwest::Response {
        self.http
            .delete(self.api(&format!("/{client_id}")))
            .send()
            .await
            .unwrap()
    }

    async fn discovery(&self, application_id: &str) -> (StatusCode, Value) {
        let r = discovery(&self.http, &self.emu, application_id)
            .send()
            .await
            .unwrap();
        json_of(r).await
    }

    async fn page(&self) -> String {
        let r = self
            .http
            .get(format!("{}/admin", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        r.text().await.unwrap()
    }

    async fn form_post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// Presses a client's button on the page.
    async fn page_action(&self, client_id: &str, action: &str) -> (StatusCode, String) {
        self.form_post(&format!("/admin/clients/{client_id}/{action}"), &[])
            .await
    }
}

/// The text of the element with this `data-testid` (the first one), tags stripped.
fn testid(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("data-testid={id}>"))?;
    let rest = &html[at..];
    let start = rest.find('>')? + 1;
    let end = rest.find("</")?;
    Some(rest[start..end].to_owned())
}

/// Unix seconds to `YYYY-MM-DD`, counting days naively (a cross-check of the page's dates).
fn naive_date(secs: u64) -> String {
    let mut days = secs / DAY;
    let mut year = 1970;
    loop {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let len = if leap { 366 } else { 365 };
        if days < len {
            let months = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            let mut month = 0;
            while days >= months[month] {
                days -= months[month];
                month += 1;
            }
            return format!("{year:04}-{:02}-{:02}", month + 1, days + 1);
        }
        days -= len;
        year += 1;
    }
}

#[tokio::test]
async fn the_list_shows_the_demo_client_without_its_secret() {
    let a = Harness::start().await;
    let r = a.http.get(a.api("")).send().await.unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains(demo::CLIENT_SECRET));
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(keys(c), VIEW_KEYS);
    assert_eq!(c["client_id"], demo::CLIENT_ID);
    assert_eq!(c["name"], demo::CLIENT_NAME);
    assert_eq!(c["display_name"], "Workspace Portal (local)");
    assert_eq!(c["client_type"], "private");
    assert_eq!(c["application_id"], demo::APPLICATION_ID);
    assert_eq!(c["require_pkce"], true);
    assert_eq!(c["enabled"], true);
    assert_eq!(c["user_consent"], false);
    assert_eq!(c["owner"], "bob@acme.example");
    assert_eq!(c["created_at"], 0, "seeded clients were created long ago");
    let updated = c["secret_update_time"].as_u64().unwrap();
    assert_eq!(c["secret_expiration"], updated + SECRET_LIFETIME_SECS);
    assert!(updated <= a.emu.now() - 30 * DAY);
    assert_eq!(c["secret_update_time_old"], Value::Null);
    assert_eq!(c["secret_expiration_old"], Value::Null);
}

#[tokio::test]
async fn a_new_private_client_gets_a_secret_that_works() {
    let a = Harness::start().await;
    let before = a.emu.now();
    let created = create_client_ok(&a.emu, "private").await;
    let after = a.emu.now();

    assert_eq!(keys(&created), view_keys_with_secret());
    let id = created["client_id"].as_str().unwrap();
    let secret = created["secret"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_ne!(id, demo::CLIENT_ID);
    assert_eq!(
        created["name"], "acme-private-2",
        "numbered after acme-private-1"
    );
    assert_eq!(created["display_name"], "Test private client");
    assert_eq!(created["owner"], "carol@acme.example");
    assert_eq!(created["client_type"], "private");
    assert_eq!(created["require_pkce"], true);
    assert_eq!(created["enabled"], true);
    assert_eq!(created["user_consent"], false);
    assert_eq!(
        created["redirect_uris"],
        json!(["http://127.0.0.1:9000/cb"])
    );
    let app = created["application_id"].as_str().unwrap();
    assert_eq!(app.len(), 36);
    assert_ne!(app, demo::APPLICATION_ID);
    let created_at = created["created_at"].as_u64().unwrap();
    assert!((before..=after).contains(&created_at));
    assert_eq!(created["secret_update_time"], created_at);
    assert_eq!(
        created["secret_expiration"],
        created_at + SECRET_LIFETIME_SECS
    );
    assert_eq!(created["secret_expiration_old"], Value::Null);

    assert!(secret_works(&a.emu, id, secret).await);
    assert!(!secret_works(&a.emu, id, demo::CLIENT_SECRET).await);
    // Without its secret the client does not get in.
    assert_eq!(
        token_probe(&a.emu, id, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The list shows it, without the secret (shown once).
    let listed = a.view(id).await.unwrap();
    assert_eq!(keys(&listed), VIEW_KEYS);
    assert_eq!(listed["name"], "acme-private-2");
    let second = create_client_ok(&a.emu, "private").await;
    assert_eq!(second["name"], "acme-private-3");
    assert_ne!(second["client_id"], created["client_id"]);
    assert_ne!(second["application_id"], created["application_id"]);
    assert_ne!(second["secret"], created["secret"]);
}

#[tokio::test]
async fn a_new_public_client_has_no_secret() {
    let a = Harness::start().await;
    let created = create_client_ok(&a.emu, "public").await;
    assert_eq!(keys(&created), VIEW_KEYS, "no secret field at all");
    let id = created["client_id"].as_str().unwrap();
    assert_eq!(created["name"], "acme-public-2");
    assert_eq!(created["client_type"], "public");
    assert_eq!(created["require_pkce"], true);
    for k in SECRET_TIME_KEYS {
        assert_eq!(created[k], Value::Null, "{k}");
    }
    // A public client names itself at the token endpoint; any secret is refused.
    assert_eq!(
        token_probe(&a.emu, id, None).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".to_owned())
    );
    assert!(!secret_works(&a.emu, id, "anything").await);
    // Nothing to rotate or expire.
    for action in ["rotate", "expire-old"] {
        assert_eq!(
            error_of(a.act(id, action).await).await,
            (StatusCode::BAD_REQUEST, "public_client".to_owned()),
            "{action}"
        );
    }
    // Public clients cannot opt out of PKCE; private ones may.
    let r = create_client(&a.emu, &json!({"display_name": "P", "client_type": "public", "redirect_uris": ["https://a.example/cb"], "require_pkce": false})).await;
    assert_eq!(error_of(r).await.0, StatusCode::BAD_REQUEST);
    let r = create_client(&a.emu, &json!({"display_name": "P", "client_type": "private", "redirect_uris": ["https://a.example/cb"], "require_pkce": false, "user_consent": true})).await;
    let (status, body) = json_of(r).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (&body["require_pkce"], &body["user_consent"]),
        (&json!(false), &json!(true))
    );
}

#[tokio::test]
async fn a_new_application_id_works_after_the_activation_delay() {
    let a = Harness::start_with(EmulatorConfig {
        activation_delay: Duration::from_secs(300),
        ..EmulatorConfig::test()
    })
    .await;
    let created = create_client_ok(&a.emu, "private").await;
    let app = created["application_id"].as_str().unwrap();

    let (status, body) = a.discovery(app).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "application_id_not_active");
    // The seeded client's application id is long active.
    assert_eq!(a.discovery(demo::APPLICATION_ID).await.0, StatusCode::OK);

    move_clock(&a.emu, 290).await;
    assert_eq!(a.discovery(app).await.0, StatusCode::FORBIDDEN);
    move_clock(&a.emu, 301).await;
    let (status, body) = a.discovery(app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["services"].is_array());
}

#[tokio::test]
async fn creating_a_client_validates_the_request() {
    let a = Harness::start().await;
    let ok = json!({"display_name": "X", "client_type": "private", "redirect_uris": ["https://a.example/cb"]});
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let bad = [
        with("display_name", json!("")),
        with("display_name", json!("   ")),
        with("client_type", json!("confidential")),
        with("redirect_uris", json!([])),
        with("redirect_uris", json!(["/auth/callback"])),
        with("redirect_uris", json!(["ftp://a.example/cb"])),
        with(
            "redirect_uris",
            json!(["https://a.example/cb", "not a url"]),
        ),
        with("redirect_uris", json!(["https://a.example/cb#frag"])),
        with("redirect_uris", json!("https://a.example/cb")),
        with("user_consent", json!("yes")),
        with("colour", json!("red")),
        json!({"client_type": "private", "redirect_uris": ["https://a.example/cb"]}),
        json!(["not", "an", "object"]),
    ];
    for body in bad {
        assert_eq!(
            error_of(create_client(&a.emu, &body).await).await,
            (StatusCode::BAD_REQUEST, "invalid_request".to_owned()),
            "{body}"
        );
    }
    let r = a
        .http
        .post(a.api(""))
        .header("Content-Type", "application/json")
        .body("{\"display_name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(a.admin_clients().await.len(), 1, "nothing was created");
    // The unaltered request is fine.
    assert_eq!(
        create_client(&a.emu, &ok).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn edited_redirect_uris_are_what_authorize_accepts() {
    let a = Harness::start().await;
    let new_uri = "http://127.0.0.1:9999/callback";
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::OK
    );
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, new_uri).await,
        StatusCode::BAD_REQUEST
    );

    let (status, view) = json_of(
        a.patch(
            demo::CLIENT_ID,
            json!({"redirect_uris": [new_uri], "display_name": "Renamed portal"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&view), VIEW_KEYS);
    assert_eq!(view["redirect_uris"], json!([new_uri]));
    assert_eq!(view["display_name"], "Renamed portal");
    assert_eq!(view["user_consent"], false, "untouched");

    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, new_uri).await,
        StatusCode::OK
    );
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::BAD_REQUEST
    );
    let listed = a.view(demo::CLIENT_ID).await.unwrap();
    assert_eq!(listed["display_name"], "Renamed portal");
    assert_eq!(listed["redirect_uris"], json!([new_uri]));
}

#[tokio::test]
async fn requiring_user_consent_shows_the_consent_page() {
    let a = Harness::start().await;
    let r = sign_in(&a.emu, "openid").await;
    assert!(r.status().is_redirection(), "no consent needed yet");

    let (status, view) = json_of(
        a.patch(demo::CLIENT_ID, json!({"user_consent": true}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["user_consent"], true);
    let r = sign_in(&a.emu, "openid").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=consent-allow")
    );
}

#[tokio::test]
async fn editing_refuses_bad_values_and_changes_nothing() {
    let a = Harness::start().await;
    for body in [
        json!({"display_name": "Fine", "redirect_uris": ["nope"]}),
        json!({"display_name": " "}),
        json!({"redirect_uris": []}),
        json!({"enabled": "no"}),
        json!({"secret": "mine"}),
        json!({"client_type": "public"}),
        json!(null),
    ] {
        assert_eq!(
            error_of(a.patch(demo::CLIENT_ID, body.clone()).await).await,
            (StatusCode::BAD_REQUEST, "invalid_request".to_owned()),
            "{body}"
        );
    }
    let r = a
        .http
        .patch(a.api(&format!("/{}", demo::CLIENT_ID)))
        .body("display_name=Fine")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::BAD_REQUEST);
    let view = a.view(demo::CLIENT_ID).await.unwrap();
    assert_eq!(view["display_name"], "Workspace Portal (local)");
    assert_eq!(view["redirect_uris"].as_array().unwrap().len(), 2);

    assert_eq!(
        error_of(
            a.patch("no-such-client", json!({"display_name": "X"}))
                .await
        )
        .await,
        (StatusCode::NOT_FOUND, "not_found".to_owned())
    );
    // An empty edit changes nothing and succeeds.
    let (status, same) = json_of(a.patch(demo::CLIENT_ID, json!({})).await).await;
    assert_eq!((status, same), (StatusCode::OK, view));
}

#[tokio::test]
async fn a_disabled_client_stops_working_until_enabled() {
    let a = Harness::start().await;
    let works = (StatusCode::BAD_REQUEST, "invalid_grant".to_owned());
    let disabled = (StatusCode::BAD_REQUEST, "unauthorized_client".to_owned());
    let secret = Some(demo::CLIENT_SECRET);
    assert_eq!(token_probe(&a.emu, demo::CLIENT_ID, secret).await, works);
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::OK
    );

    let (status, view) = json_of(a.act(demo::CLIENT_ID, "disable").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["enabled"], false);
    assert!(view.get("secret").is_none());
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::BAD_REQUEST
    );
    let page = authorize(&a.emu, &http(), &[]).await.text().await.unwrap();
    assert!(page.contains("disabled"), "{page}");
    assert_eq!(token_probe(&a.emu, demo::CLIENT_ID, secret).await, disabled);
    // A wrong secret is still refused as such.
    assert_eq!(
        token_probe(&a.emu, demo::CLIENT_ID, Some("wrong")).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    assert_eq!(a.view(demo::CLIENT_ID).await.unwrap()["enabled"], false);

    let (status, view) = json_of(a.act(demo::CLIENT_ID, "enable").await).await;
    assert_eq!((status, &view["enabled"]), (StatusCode::OK, &json!(true)));
    assert_eq!(token_probe(&a.emu, demo::CLIENT_ID, secret).await, works);
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::OK
    );

    // The same through an edit.
    let r = a.patch(demo::CLIENT_ID, json!({"enabled": false})).await;
    assert_eq!(json_of(r).await.1["enabled"], false);
    assert_eq!(token_probe(&a.emu, demo::CLIENT_ID, secret).await, disabled);
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::BAD_REQUEST
    );
    let r = a.patch(demo::CLIENT_ID, json!({"enabled": true})).await;
    assert_eq!(json_of(r).await.1["enabled"], true);
    assert_eq!(token_probe(&a.emu, demo::CLIENT_ID, secret).await, works);
}

#[tokio::test]
async fn rotate_and_expire_old_from_the_admin_api() {
    let a = Harness::start().await;
    let original = a.view(demo::CLIENT_ID).await.unwrap();
    let (status, rotated) = json_of(a.act(demo::CLIENT_ID, "rotate").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&rotated), view_keys_with_secret());
    let new_secret = rotated["secret"].as_str().unwrap();
    let updated = rotated["secret_update_time"].as_u64().unwrap();
    assert_eq!(rotated["secret_expiration"], updated + SECRET_LIFETIME_SECS);
    assert_eq!(rotated["secret_update_time_old"], updated);
    assert_eq!(
        rotated["secret_expiration_old"],
        original["secret_expiration"]
    );
    assert!(secret_works(&a.emu, demo::CLIENT_ID, new_secret).await);
    assert!(secret_works(&a.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);

    let (status, view) = json_of(a.act(demo::CLIENT_ID, "expire-old").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&view), VIEW_KEYS);
    assert_eq!(view["secret_expiration_old"], Value::Null);
    assert_eq!(view["secret_update_time"], updated);
    assert!(!secret_works(&a.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    assert!(secret_works(&a.emu, demo::CLIENT_ID, new_secret).await);

    for (id, action, status) in [
        (demo::CLIENT_ID, "frobnicate", StatusCode::NOT_FOUND),
        (demo::CLIENT_ID, "delete", StatusCode::NOT_FOUND),
        ("no-such-client", "rotate", StatusCode::NOT_FOUND),
        ("no-such-client", "expire-old", StatusCode::NOT_FOUND),
        ("no-such-client", "disable", StatusCode::NOT_FOUND),
        ("no-such-client", "enable", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(
            error_of(a.act(id, action).await).await.0,
            status,
            "{id} {action}"
        );
    }
    assert!(secret_works(&a.emu, demo::CLIENT_ID, new_secret).await);
}

#[tokio::test]
async fn a_deleted_client_and_its_tokens_stop_working() {
    let a = Harness::start().await;
    let tokens = tokens(&a.emu).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(userinfo(&a.emu, access).await.status(), StatusCode::OK);
    assert_eq!(a.discovery(demo::APPLICATION_ID).await.0, StatusCode::OK);
    let other = create_client_ok(&a.emu, "private").await;

    let r = a.delete(demo::CLIENT_ID).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.text().await.unwrap(), "");

    let left = a.admin_clients().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["client_id"], other["client_id"]);
    // Its grants are revoked: the access token no longer works anywhere.
    assert_eq!(
        userinfo(&a.emu, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = crate::common::refresh(&a.emu, refresh).await;
    assert_eq!(
        error_of(r).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    let (status, body) = a.discovery(demo::APPLICATION_ID).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::FORBIDDEN, &json!("unknown_application_id"))
    );
    let r = a
        .http
        .get(format!("{}/citrixapi/store/resources", a.url))
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        authorize_status(&a.emu, demo::CLIENT_ID, REDIRECT).await,
        StatusCode::BAD_REQUEST
    );

    // The other client is untouched; deleting twice is a 404.
    let other_id = other["client_id"].as_str().unwrap();
    assert!(secret_works(&a.emu, other_id, other["secret"].as_str().unwrap()).await);
    let r = a.delete(demo::CLIENT_ID).await;
    assert_eq!(
        error_of(r).await,
        (StatusCode::NOT_FOUND, "not_found".to_owned())
    );
}

#[tokio::test]
async fn the_page_lists_clients_with_their_expiry() {
    let a = Harness::start().await;
    let created = create_client(&a.emu, &json!({"display_name": "<img src=x onerror=alert(1)>", "client_type": "public", "redirect_uris": ["https://a.example/cb?x=1&y=\"2\""]})).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let html = a.page().await;
    assert!(html.contains("<title>Workspace API clients · Citrix Cloud (emulator)</title>"));
    assert!(html.contains(&format!("data-client-id=\"{}\"", demo::CLIENT_ID)));
    assert_eq!(
        testid(&html, "client-display-name").unwrap(),
        "Workspace Portal (local)"
    );
    assert_eq!(testid(&html, "client-id").unwrap(), demo::CLIENT_ID);
    assert_eq!(testid(&html, "client-name").unwrap(), demo::CLIENT_NAME);
    assert_eq!(testid(&html, "client-type").unwrap(), "private");
    assert_eq!(
        testid(&html, "client-application-id").unwrap(),
        demo::APPLICATION_ID
    );
    assert_eq!(testid(&html, "client-enabled").unwrap(), "Enabled");
    let expires = a.view(demo::CLIENT_ID).await.unwrap()["secret_expiration"]
        .as_u64()
        .unwrap();
    assert_eq!(
        testid(&html, "client-secret-expiry").unwrap(),
        format!("{} (60 days left)", naive_date(expires))
    );
    assert_eq!(testid(&html, "client-old-secret-expiry").unwrap(), "—");
    for id in [
        "client-disable",
        "client-rotate",
        "client-delete",
        "create-form",
        "create-display-name",
        "create-client-type",
        "create-redirect-uris",
        "create-user-consent",
        "create-submit",
    ] {
        assert!(html.contains(&format!("data-testid={id}")), "{id}");
    }
    assert!(
        !html.contains("data-testid=client-expire-old"),
        "no old secret yet"
    );
    assert!(!html.contains("data-testid=client-enable "));
    assert!(html.contains(&format!(
        "action=\"/admin/clients/{}/rotate\"",
        demo::CLIENT_ID
    )));
    // Values are escaped.
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<script"));
    assert!(!html.contains(demo::CLIENT_SECRET));
}

#[tokio::test]
async fn page_forms_rotate_expire_disable_and_delete() {
    let a = Harness::start().await;
    let (status, html) = a.page_action(demo::CLIENT_ID, "rotate").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Client secret rotated"));
    let secret = testid(&html, "new-secret").expect("the new secret is shown");
    assert_eq!(testid(&html, "new-client-id").unwrap(), demo::CLIENT_ID);
    assert!(html.contains("href=/admin data-testid=back-link"));
    assert!(secret_works(&a.emu, demo::CLIENT_ID, &secret).await);
    assert!(secret_works(&a.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);

    let page = a.page().await;
    assert!(page.contains("data-testid=client-expire-old"));
    assert!(
        testid(&page, "client-old-secret-expiry")
            .unwrap()
            .ends_with("(60 days left)")
    );
    assert!(
        testid(&page, "client-secret-expiry")
            .unwrap()
            .ends_with("(90 days left)")
    );

    let (status, html) = a.page_action(demo::CLIENT_ID, "expire-old").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        testid(&html, "outcome")
            .unwrap()
            .contains("no longer works"),
        "{html}"
    );
    assert!(!secret_works(&a.emu, demo::CLIENT_ID, demo::CLIENT_SECRET).await);
    assert!(secret_works(&a.emu, demo::CLIENT_ID, &secret).await);

    let (status, _) = a.page_action(demo::CLIENT_ID, "disable").await;
    assert_eq!(status, StatusCode::OK);
    let page = a.page().await;
    assert_eq!(testid(&page, "client-enabled").unwrap(), "Disabled");
    assert!(page.contains("data-testid=client-enable "));
    assert_eq!(
        token_probe(&a.emu, demo::CLIENT_ID, Some(&secret)).await,
        (StatusCode::BAD_REQUEST, "unauthorized_client".to_owned())
    );
    let (status, _) = a.page_action(demo::CLIENT_ID, "enable").await;
    assert_eq!(status, StatusCode::OK);
    assert!(secret_works(&a.emu, demo::CLIENT_ID, &secret).await);

    for (path, status) in [
        (
            format!("/admin/clients/{}/frobnicate", demo::CLIENT_ID),
            StatusCode::NOT_FOUND,
        ),
        (
            "/admin/clients/no-such-client/rotate".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/admin/clients/no-such-client/delete".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (got, html) = a.form_post(&path, &[]).await;
        assert_eq!(got, status, "{path}");
        assert!(testid(&html, "admin-error").is_some(), "{html}");
    }

    let (status, html) = a.page_action(demo::CLIENT_ID, "delete").await;
    assert_eq!(status, StatusCode::OK);
    assert!(testid(&html, "outcome").unwrap().contains("was deleted"));
    assert!(a.admin_clients().await.is_empty());
    let page = a.page().await;
    assert!(!page.contains(demo::CLIENT_ID));
    assert!(page.contains("data-testid=no-clients"));
    assert!(!secret_works(&a.emu, demo::CLIENT_ID, &secret).await);
}

#[tokio::test]
async fn the_create_form_makes_clients() {
    let a = Harness::start().await;
    let (status, html) = a
        .form_post(
            "/admin/clients",
            &[
                ("display_name", "Form client"),
                ("client_type", "private"),
                (
                    "redirect_uris",
                    "https://portal.example/cb\r\n\r\n  http://127.0.0.1:8787/cb  \n",
                ),
                ("owner", "dave@acme.example"),
                ("user_consent", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let id = testid(&html, "new-client-id").unwrap();
    let secret = testid(&html, "new-secret").unwrap();
    let app = testid(&html, "new-application-id").unwrap();
    assert!(secret_works(&a.emu, &id, &secret).await);
    let view = a.view(&id).await.unwrap();
    assert_eq!(view["display_name"], "Form client");
    assert_eq!(view["application_id"], app.as_str());
    assert_eq!(view["owner"], "dave@acme.example");
    assert_eq!(view["user_consent"], true);
    assert_eq!(
        view["redirect_uris"],
        json!(["https://portal.example/cb", "http://127.0.0.1:8787/cb"])
    );
    assert!(a.page().await.contains(&format!("data-client-id=\"{id}\"")));

    let (status, html) = a
        .form_post(
            "/admin/clients",
            &[
                ("display_name", "Native app"),
                ("client_type", "public"),
                ("redirect_uris", "http://127.0.0.1:7000/cb"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        testid(&html, "new-secret").is_none(),
        "a public client has no secret"
    );
    let id = testid(&html, "new-client-id").unwrap();
    let view = a.view(&id).await.unwrap();
    assert_eq!(
        (&view["client_type"], &view["user_consent"]),
        (&json!("public"), &json!(false))
    );

    for (form, why) in [
        (
            vec![
                ("display_name", ""),
                ("client_type", "private"),
                ("redirect_uris", "https://a.example/cb"),
            ],
            "display_name",
        ),
        (
            vec![
                ("display_name", "X"),
                ("client_type", "private"),
                ("redirect_uris", "javascript:alert(1)"),
            ],
            "javascript:alert(1)",
        ),
        (
            vec![
                ("display_name", "X"),
                ("client_type", "other"),
                ("redirect_uris", "https://a.example/cb"),
            ],
            "client_type",
        ),
        (
            vec![("display_name", "X"), ("client_type", "private")],
            "redirect URI",
        ),
    ] {
        let (status, html) = a.form_post("/admin/clients", &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        let error = testid(&html, "admin-error").unwrap();
        assert!(error.contains(why), "{error}");
    }
    assert_eq!(a.admin_clients().await.len(), 3);
}
