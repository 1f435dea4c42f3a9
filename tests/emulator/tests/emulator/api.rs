//! The emulator over real HTTP: discovery, the authorization server, the store and the control
//! API's faults, each with its error paths.

use std::time::Duration;

use crate::common::{
    REDIRECT, VERIFIER, authorize, authorize_params, code_for, discovery, discovery_json, exchange,
    http, location_query, login, move_clock, patch_settings, query_of, redeem, refresh, token_call,
    tokens, userinfo,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use workspace_emulator::{
    BadTokenStyle, Emulator, EmulatorConfig, Fault, FaultKind, LaunchForm, LaunchScript,
    LinkGeneration, Profile, Settings, Topology, demo,
};

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::test()).await.unwrap()
}

/// A GET on a fresh client; the JSON answer.
async fn get_json(url: &str) -> Value {
    http().get(url).send().await.unwrap().json().await.unwrap()
}

/// A fresh client that follows redirects as a real one does: reqwest keeps the headers on a
/// same-origin redirect and drops `Authorization` on a cross-origin one.
fn following() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap()
}

/// A store call with the demo application id and a bearer token, on a fresh client that
/// follows redirects.
async fn store(method: Method, url: &str, access: &str) -> reqwest::Response {
    // Launches need a clientName or deviceId; other store calls ignore it.
    let mut url = url::Url::parse(url).unwrap();
    let path = url.path().to_owned();
    if [
        "/launchStatus",
        "/launch",
        "/icaFile",
        "/icaFileFetchTicket",
    ]
    .iter()
    .any(|p| path.ends_with(p))
    {
        url.query_pairs_mut()
            .append_pair("clientName", "WPTESTDEVICE123");
    }
    following()
        .request(method, url)
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
}

async fn catalogue(em: &Emulator, access: &str) -> Vec<Value> {
    let r = store(
        Method::GET,
        &format!(
            "{}/citrixapi/store/resources?acceptCachedResults=true",
            em.url()
        ),
        access,
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["resources"].as_array().unwrap().clone()
}

/// The resources a client can use: the .NET profile's malformed item left out.
fn usable(list: &[Value]) -> Vec<Value> {
    list.iter()
        .filter(|r| r["links"].is_object())
        .cloned()
        .collect()
}

fn find<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter().find(|r| r["resourceId"] == id).unwrap()
}

/// A resource's link of this kind (`launchStatusUrl`, `favoriteUrl`, …).
fn link(list: &[Value], id: &str, kind: &str) -> String {
    find(list, id)["links"][kind].as_str().unwrap().to_owned()
}

fn claims(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

// ---------------------------------------------------------------- discovery

#[tokio::test]
async fn discovery_needs_an_active_application_id_but_no_token() {
    let em = start().await;
    let url = format!("{}/citrixapi/discovery/configurations", em.url());
    let c = http();
    let ok: Value = discovery(&c, &em, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Services by name and endpoints by id: neither is first in the .NET profile.
    let store = ok["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "store")
        .unwrap();
    let list = store["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "ListResources")
        .unwrap();
    assert_eq!(
        list["url"],
        format!("{}/citrixapi/store/resources", em.url())
    );
    assert!(
        list["capabilities"].is_null(),
        "the .NET profile: {}",
        list["capabilities"]
    );
    assert!(
        ok["authScopes"]
            .as_array()
            .unwrap()
            .contains(&json!("openid"))
    );
    let settings = &ok["clientSettings"];
    assert_eq!(settings["acr_values"], "tenant:acme");
    assert!(settings["promptLoginEnabled"].is_null());
    assert_eq!(
        settings["oidcConfiguration"]["oidc_discovery_endpoint"],
        format!(
            "{}/core/.well-known/openid-configuration",
            em.hosts().accounts
        )
    );

    // The query parameter works as well as the header.
    let by_query = c
        .get(format!("{url}?ApplicationId={}", demo::APPLICATION_ID))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    // Missing and unknown application ids: a 4xx with a JSON reason.
    let missing = c.get(&url).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    assert!(missing.headers().contains_key("citrix-error-source"));
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"],
        "missing_application_id"
    );
    let unknown = discovery(&c, &em, "not-an-app").send().await.unwrap();
    assert_eq!(unknown.status(), 403);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"],
        "unknown_application_id"
    );
}

#[tokio::test]
async fn an_unknown_customer_host_is_404() {
    // Realistic: the canonical host and the seed's hosts are served, any other name is 404.
    let mut config = EmulatorConfig::test();
    config.seed.customer_hosts = vec!["acme.cloud.example".into()];
    let em = Emulator::start(config).await.unwrap();
    for (host, status) in [
        (None, 200),
        (Some("acme.cloud.example"), 200),
        (Some("globex.cloud.example"), 404),
    ] {
        let mut r = discovery(&http(), &em, demo::APPLICATION_ID);
        if let Some(h) = host {
            r = r.header("Host", h);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), status, "{host:?}");
        if status == 404 {
            assert_eq!(
                r.json::<Value>().await.unwrap()["error"],
                "unknown_customer"
            );
        }
    }

    // Single: only the seed's hosts.
    let mut config = EmulatorConfig::test();
    config.topology = Topology::Single;
    config.seed.customer_hosts = vec!["acme.cloud.example".into()];
    let em = Emulator::start(config).await.unwrap();
    let r = discovery(&http(), &em, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unknown_customer"
    );
    let r = discovery(&http(), &em, demo::APPLICATION_ID)
        .header("Host", "acme.cloud.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_transaction_id_is_echoed_and_logged() {
    let em = start().await;
    let url = format!("{}/citrixapi/discovery/configurations", em.url());
    let r = discovery(&http(), &em, demo::APPLICATION_ID)
        .header("Citrix-TransactionId", "txn-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["citrix-transactionid"], "txn-42");
    let r = http().get(&url).send().await.unwrap();
    let made = r.headers()["citrix-transactionid"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!made.is_empty());
    let log = em.transaction_log();
    let mine = log.iter().find(|l| l.transaction_id == "txn-42").unwrap();
    assert!(mine.client_transaction_id);
    assert_eq!(mine.application_id.as_deref(), Some(demo::APPLICATION_ID));
    assert_eq!(mine.status, 200);
    let theirs = log.iter().find(|l| l.transaction_id == made).unwrap();
    assert!(!theirs.client_transaction_id);
    assert_eq!(theirs.status, 400);
}

// ---------------------------------------------------------------- authorization server

#[tokio::test]
async fn metadata_and_jwks_describe_the_server() {
    let em = start().await;
    let accounts = em.hosts().accounts;
    let m = get_json(&format!("{accounts}/core/.well-known/openid-configuration")).await;
    assert_eq!(m["issuer"], format!("{accounts}/core"));
    assert_eq!(
        m["end_session_endpoint"],
        format!("{accounts}/core/connect/endsession")
    );
    assert!(
        m["response_modes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("form_post"))
    );
    let jwks = get_json(m["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn code_flow_with_pkce_issues_tokens_once() {
    let em = start().await;
    let c = http();
    let page = authorize(&em, &c, &[("acr_values", "tenant:acme")]).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("data-testid=login-username")
    );

    let code = code_for(&em, &c, &[("acr_values", "tenant:acme")]).await;
    let t = exchange(&em, &code).await;
    assert!(t["access_token"].is_string() && t["refresh_token"].is_string());
    assert_eq!(t["token_type"], "Bearer");
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], format!("{}/core", em.hosts().accounts));
    assert_eq!(id["aud"], demo::CLIENT_ID);
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["acr"], "tenant:acme");
    assert_eq!(id["preferred_username"], "alice");

    // The code is single use.
    let again = redeem(&em, &code).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_wrong_verifier_or_redirect_uri_fails_the_exchange() {
    let em = start().await;
    let c = http();
    let code = code_for(&em, &c, &[]).await;
    let r = token_call(
        &em,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "wrong"),
        ],
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        "PKCE verification failed"
    );
    let code = code_for(&em, &c, &[]).await;
    let r = token_call(
        &em,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8787/other"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        "redirect_uri does not match"
    );
}

#[tokio::test]
async fn bad_authorize_requests_are_refused_without_redirecting_where_unsafe() {
    let em = start().await;
    let c = http();
    // Unknown client and unregistered redirect URI: a page, never a redirect.
    assert_eq!(
        authorize(&em, &c, &[("client_id", "nobody")])
            .await
            .status(),
        400
    );
    assert_eq!(
        authorize(
            &em,
            &c,
            &[("redirect_uri", "http://127.0.0.1:8787/auth/callbackX")]
        )
        .await
        .status(),
        400
    );
    // PKCE is required for this client; plain is refused; both come back as errors with state.
    for extra in [
        vec![("code_challenge", "")],
        vec![("code_challenge_method", "plain")],
        vec![("response_type", "token")],
        vec![("response_mode", "fragment")],
    ] {
        let r = authorize(&em, &c, &extra).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{extra:?}");
        let q = location_query(&r);
        assert!(
            q.contains_key("error") && q["state"] == "st-1",
            "{extra:?}: {q:?}"
        );
    }
}

#[tokio::test]
async fn a_private_client_without_required_pkce_may_use_the_plain_code_flow() {
    let mut config = EmulatorConfig::test();
    config.seed.clients[0].require_pkce = false;
    let em = Emulator::start(config).await.unwrap();
    let code = code_for(
        &em,
        &http(),
        &[("code_challenge", ""), ("code_challenge_method", "")],
    )
    .await;
    let r = token_call(
        &em,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn wrong_credentials_show_the_form_again() {
    let em = start().await;
    let r = login(&em, &http(), "alice", "nope", &[]).await;
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Wrong user name or password.")
    );
}

#[tokio::test]
async fn single_sign_on_skips_the_form_unless_prompt_login() {
    let em = start().await;
    let c = http();
    code_for(&em, &c, &[]).await;
    let r = authorize(&em, &c, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "signed in already: straight back with a code"
    );
    assert!(location_query(&r).contains_key("code"));
    let r = authorize(&em, &c, &[("prompt", "login")]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("login-password"));
}

#[tokio::test]
async fn form_post_answers_with_an_auto_submitting_form() {
    let em = start().await;
    let r = login(
        &em,
        &http(),
        "alice",
        "wonderland",
        &[("response_mode", "form_post")],
    )
    .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{REDIRECT}\"")), "{html}");
    assert!(html.contains("name=\"code\"") && html.contains("name=\"state\" value=\"st-1\""));
}

#[tokio::test]
async fn a_client_requiring_consent_asks_once_and_honours_a_denial() {
    let mut config = EmulatorConfig::test();
    config.seed.clients[0].user_consent = true;
    let em = Emulator::start(config).await.unwrap();
    let c = http();
    let r = login(&em, &c, "alice", "wonderland", &[]).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("data-testid=consent-allow")
    );
    let consent = |decision: &'static str| {
        let mut form = authorize_params(&[]);
        form.push(("decision".into(), decision.into()));
        c.post(format!(
            "{}/core/connect/authorize/consent",
            em.hosts().accounts
        ))
        .form(&form)
        .send()
    };
    let denied = consent("deny").await.unwrap();
    let q = location_query(&denied);
    assert_eq!(
        (q["error"].as_str(), q["state"].as_str()),
        ("access_denied", "st-1")
    );
    let allowed = consent("allow").await.unwrap();
    assert!(location_query(&allowed).contains_key("code"));
    // Consent is remembered: the next sign-in goes straight through.
    let again = authorize(&em, &c, &[]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn client_authentication_by_basic_or_post_and_failures() {
    let em = start().await;
    let url = format!("{}/core/connect/token", em.hosts().accounts);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "unknown"),
    ];
    // A working client gets past authentication to the grant check.
    let by_post = http()
        .post(&url)
        .form(&[
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
            form[0],
            form[1],
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_post.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let wrong = http()
        .post(&url)
        .basic_auth(demo::CLIENT_ID, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
    let none = http().post(&url).form(&form).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let grant = http()
        .post(&url)
        .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let em = start().await;
    let t = tokens(&em).await;
    let first = t["refresh_token"].as_str().unwrap();
    let r: Value = refresh(&em, first).await.json().await.unwrap();
    let second = r["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(r["access_token"].is_string());
    // Reusing the rotated token revokes the grant: the newer token dies too.
    let reuse = refresh(&em, first).await;
    assert_eq!(reuse.status(), 400);
    assert_eq!(
        reuse.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(refresh(&em, &second).await.status(), 400);
    // And so do its access tokens.
    let url = format!("{}/citrixapi/store/resources", em.url());
    let r = store(Method::GET, &url, r["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(em.refresh_requests(), 3);
    // Each is attributed to the grant's user; the tokens issued are all on record.
    assert_eq!(em.refresh_requests_by_user().get("alice"), Some(&3));
    let issued = em.every_token_issued();
    for key in ["access_token", "refresh_token", "id_token"] {
        let token = t[key].as_str().unwrap();
        assert!(issued.iter().any(|i| i == token), "{key} not on record");
    }
    assert!(
        issued.contains(&second),
        "the rotated refresh token is not on record"
    );
}

#[tokio::test]
async fn offline_access_decides_whether_a_refresh_token_is_issued() {
    let em = start().await;
    let code = code_for(&em, &http(), &[("scope", "openid wsp")]).await;
    let t = exchange(&em, &code).await;
    assert!(t.get("refresh_token").is_none());
    assert!(t["access_token"].is_string());
}

#[tokio::test]
async fn revocation_ends_the_grant_and_userinfo_knows_the_user() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let info: Value = userinfo(&em, access).await.json().await.unwrap();
    assert_eq!(info["preferred_username"], "alice");
    let revoke = |form: &[(&str, &str)]| {
        http()
            .post(format!("{}/core/connect/revocation", em.hosts().accounts))
            .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
            .form(form)
            .send()
    };
    let r = revoke(&[("token", t["refresh_token"].as_str().unwrap())])
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        refresh(&em, t["refresh_token"].as_str().unwrap())
            .await
            .status(),
        400
    );
    let after = userinfo(&em, access).await;
    assert_eq!(after.status(), 401);
    let missing = revoke(&[("x", "y")]).await.unwrap();
    assert_eq!(missing.status(), 400);
}

#[tokio::test]
async fn public_clients_authenticate_by_id_and_must_use_pkce() {
    let mut config = EmulatorConfig::test();
    config.seed.clients[0].secret = None;
    config.seed.clients[0].require_pkce = false;
    let em = Emulator::start(config).await.unwrap();
    let r = authorize(&em, &http(), &[("code_challenge", "")]).await;
    assert!(location_query(&r).contains_key("error"));
    let code = code_for(&em, &http(), &[]).await;
    let r = http()
        .post(format!("{}/core/connect/token", em.hosts().accounts))
        .form(&[
            ("client_id", demo::CLIENT_ID),
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

// ---------------------------------------------------------------- store

#[tokio::test]
async fn enumeration_lists_every_resource_with_legacy_links_by_default() {
    let em = start().await;
    let t = tokens(&em).await;
    let list = usable(&catalogue(&em, t["access_token"].as_str().unwrap()).await);
    assert_eq!(list.len(), 40);
    let desk = find(&list, "win11-desktop");
    assert!(desk["isDesktop"] == true || desk["type"] == "Citrix.MPS.Desktop");
    assert_eq!(desk["isFavorite"], true);
    assert!(desk["links"]["launchStatusUrl"].is_string() && desk["links"]["launchUrl"].is_string());
    assert!(desk["links"]["icaFileUrl"].is_null());
    let web = find(&list, "intranet");
    assert!(
        web["links"]["launchStatusUrl"].is_null(),
        "web apps are listed but not launchable"
    );
    assert!(web["links"]["imageUrl"].is_string());
}

#[tokio::test]
async fn the_plain_profile_lists_tidy_resources() {
    let mut config = EmulatorConfig::test();
    config.settings.profile = Profile::Plain;
    let em = Emulator::start(config).await.unwrap();
    let t = tokens(&em).await;
    let list = catalogue(&em, t["access_token"].as_str().unwrap()).await;
    assert_eq!(list.len(), 40);
    let desk = find(&list, "win11-desktop");
    assert_eq!(desk["type"], "Citrix.MPS.Desktop");
    assert_eq!(desk["path"], "\\Desktops\\");
    assert_eq!(desk["isFavorite"], true);
    assert!(desk["links"]["launchStatusUrl"].is_string() && desk["links"]["launchUrl"].is_string());
    assert!(desk["links"].get("icaFileUrl").is_none());
    let web = find(&list, "intranet");
    assert_eq!(web["clientTypes"], json!(["content"]));
    assert!(
        web["links"].get("launchStatusUrl").is_none(),
        "web apps are listed but not launchable"
    );
    for r in &list {
        let keys = r.as_object().unwrap();
        assert!(keys.values().all(|v| !v.is_null()), "{r}");
        assert!(!keys.contains_key("id"), "{r}");
    }
}

#[tokio::test]
async fn the_current_link_generation_is_selectable_and_launches_by_get() {
    let em = start().await;
    em.set_settings(Settings {
        links: LinkGeneration::Current,
        ..em.settings()
    });
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = catalogue(&em, access).await;
    let word = find(&list, "word");
    assert!(word["links"]["launchStatusUrl"].is_null());
    let url = word["links"]["icaFileFetchTicketUrl"].as_str().unwrap();
    let r = store(Method::GET, url, access).await;
    assert_eq!(r.status(), 201);
    let r = store(
        Method::GET,
        word["links"]["icaFileUrl"].as_str().unwrap(),
        access,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ica");
}

#[tokio::test]
async fn icons_come_as_svg_or_png_from_the_api_with_the_application_id_or_the_cdn_without() {
    let em = start().await;
    let cdn = em.hosts().cdn;
    let t = tokens(&em).await;
    let list = usable(&catalogue(&em, t["access_token"].as_str().unwrap()).await);
    let mut seen = Vec::new();
    for r in &list {
        let url = r["links"]["imageUrl"].as_str().unwrap();
        // As the web sample: the application id only on API image URLs, CDN ones as they are.
        let url = if url.contains("citrixapi/store/resources/images") {
            format!("{url}?ApplicationId={}", demo::APPLICATION_ID)
        } else {
            assert!(url.starts_with(&format!("{cdn}/icons/")), "{url}");
            url.to_owned()
        };
        let ok = following().get(&url).send().await.unwrap();
        assert_eq!(ok.status(), 200, "{url}");
        let kind = ok.headers()["content-type"].to_str().unwrap().to_owned();
        let bytes = ok.bytes().await.unwrap();
        match kind.as_str() {
            "image/png" => assert!(bytes.starts_with(b"\x89PNG")),
            "image/svg+xml" => assert!(bytes.starts_with(b"<svg")),
            other => panic!("unexpected icon type {other}"),
        }
        seen.push(kind);
    }
    assert!(seen.contains(&"image/png".to_owned()) && seen.contains(&"image/svg+xml".to_owned()));
    let no_app = following()
        .get(list[0]["links"]["imageUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(no_app.status(), 400);
    let unknown = following()
        .get(format!(
            "{}/citrixapi/store/resources/images/nope.svg?ApplicationId={}",
            em.url(),
            demo::APPLICATION_ID
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn favourites_are_added_and_removed_per_user() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = catalogue(&em, access).await;
    let url = link(&list, "excel", "favoriteUrl");
    let r = store(Method::POST, &url, access).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        find(&catalogue(&em, access).await, "excel")["isFavorite"],
        true
    );
    store(Method::DELETE, &url, access).await;
    // No longer a favourite: false, null or left out (the .NET profile).
    assert_ne!(
        find(&catalogue(&em, access).await, "excel")["isFavorite"],
        true
    );
    let unknown = store(Method::POST, &url.replace("excel", "nope"), access).await;
    assert_eq!(unknown.status(), 404);
}

/// Follows a launch to its end; returns the HTTP statuses seen and the last body.
async fn launch(em: &Emulator, access: &str, id: &str) -> (Vec<u16>, Value) {
    let list = catalogue(em, access).await;
    let mut url = link(&list, id, "launchStatusUrl");
    let mut statuses = Vec::new();
    loop {
        let r = store(Method::POST, &url, access).await;
        statuses.push(r.status().as_u16());
        let body: Value = r.json().await.unwrap();
        let retry = body["retryUrl"].as_str().map(str::to_owned);
        match retry {
            Some(next) if statuses.len() < 10 => url = next,
            _ => return (statuses, body),
        }
    }
}

#[tokio::test]
async fn a_desktop_launch_retries_with_202_then_creates_a_one_time_ticket() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = catalogue(&em, access).await;
    let url = link(&list, "eng-workstation", "launchStatusUrl");
    let first = store(Method::POST, &url, access).await;
    assert_eq!(first.status(), 202);
    let body: Value = first.json().await.unwrap();
    assert!(body["retryKey"].is_string() && body["pollTimeout"] == 2);
    let (statuses, end) = launch(&em, access, "eng-workstation").await;
    assert_eq!(statuses, [202, 202, 202, 201]);
    let uri = end["receiverUri"].as_str().unwrap();
    assert!(uri.starts_with("receiver://"));
    let ticket = query_of(&uri.replacen("receiver://", "http://", 1))["ticket"].clone();
    let redeem_ticket = || {
        http()
            .post(format!("{}/citrixapi/store/client/icaFile", em.url()))
            .json(&json!({"ticket": ticket}))
            .send()
    };
    let ica = redeem_ticket().await.unwrap();
    assert_eq!(ica.status(), 200);
    let text = ica.text().await.unwrap();
    assert!(
        text.contains("[ApplicationServers]") && text.contains("Title=Engineering Workstation")
    );
    assert_eq!(
        redeem_ticket().await.unwrap().status(),
        400,
        "tickets are single use"
    );
    // The redeemed launch is an HDX session until logoff.
    let sessions_url = format!("{}/citrixapi/store/sessions", em.url());
    let s: Value = store(Method::GET, &sessions_url, access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["sessions"][0]["resourceId"], "eng-workstation");
    assert_eq!(s["sessions"][0]["deviceId"], "WPTESTDEVICE123");
    let off = store(Method::POST, &format!("{sessions_url}/$logoff"), access).await;
    assert!(off.status().is_success(), "{}", off.status());
    let s: Value = store(Method::GET, &sessions_url, access)
        .await
        .json()
        .await
        .unwrap();
    assert!(named_sessions(&s).is_empty(), "{s}");
}

/// The sessions of a list that have a real id (the .NET profile adds ghosts: one without an
/// id, one whose id is `.`).
fn named_sessions(list: &Value) -> Vec<Value> {
    list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"].is_string() && s["id"] != ".")
        .cloned()
        .collect()
}

/// The URL of discovery's store endpoint `id`.
async fn endpoint(em: &Emulator, id: &str) -> String {
    let d = discovery_json(em).await;
    d["services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["service"] == "store")
        .flat_map(|s| s["endpoints"].as_array().unwrap().iter())
        .find(|e| e["id"] == id)
        .and_then(|e| e["url"].as_str())
        .unwrap()
        .to_owned()
}

async fn listed(em: &Emulator, access: &str) -> Value {
    let r = store(Method::GET, &endpoint(em, "ListSessions").await, access).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn sessions_disconnect_reconnect_and_log_off_one_by_one_in_the_dotnet_form() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let word = em.start_hdx_session("alice", "word", "WPOTHERDEVICE12");
    em.start_hdx_session("alice", "retired-app", "WPOTHERDEVICE12");
    em.start_hdx_session("bob", "excel", "WPBOBSDEVICE123");
    let list = listed(&em, access).await;
    // The ghosts: a session whose id is a path step, then one with no id, at the end.
    let all = list["sessions"].as_array().unwrap();
    assert_eq!(all[all.len() - 2]["id"], ".");
    assert_eq!(all.last().unwrap()["id"], Value::Null);
    let mine = named_sessions(&list);
    assert_eq!(mine.len(), 2, "only alice's sessions: {list}");
    let w = mine.iter().find(|s| s["id"] == word.as_str()).unwrap();
    assert!(word.contains(' ') && word.contains('/'), "{word}");
    assert_eq!(w["state"], "Active");
    assert_eq!(w["clientName"], Value::Null);
    assert_eq!(w["deviceId"], "WPOTHERDEVICE12");
    assert!(w["startTime"].is_string());
    assert_eq!(w["name"], "Microsoft Word");
    let retired = mine
        .iter()
        .find(|s| s["resourceId"] == "retired-app")
        .unwrap();
    assert_eq!(retired["name"], Value::Null);
    // Disconnect by the session's own link: 204, and it stays, disconnected, with no link to
    // disconnect it again.
    let url = w["links"]["disconnectUrl"].as_str().unwrap();
    assert!(
        url.contains("HDX%20"),
        "the id is one encoded segment: {url}"
    );
    assert_eq!(store(Method::POST, url, access).await.status(), 204);
    let after = named_sessions(&listed(&em, access).await);
    let w = after.iter().find(|s| s["id"] == word.as_str()).unwrap();
    assert_eq!(w["state"], "Disconnected");
    assert_eq!(w["links"]["disconnectUrl"], Value::Null);
    // Launching Word again from another device reattaches the same session (Workspace Control).
    assert_eq!(
        em.start_hdx_session("alice", "word", "WPTHISDEVICE123"),
        word
    );
    let back = named_sessions(&listed(&em, access).await);
    let w = back.iter().find(|s| s["id"] == word.as_str()).unwrap();
    assert_eq!(
        (&w["state"], &w["deviceId"]),
        (&json!("Active"), &json!("WPTHISDEVICE123"))
    );
    // Logoff is asynchronous: 202, no body; the session is gone.
    let off = store(
        Method::POST,
        w["links"]["logoffUrl"].as_str().unwrap(),
        access,
    )
    .await;
    assert_eq!(off.status(), 202);
    assert!(off.text().await.unwrap().is_empty());
    let left = named_sessions(&listed(&em, access).await);
    assert_eq!(left.len(), 1, "{left:?}");
    // A session that is gone, or another user's, is unknown.
    let bobs = em
        .hdx_sessions()
        .into_iter()
        .find(|s| s.user == "bob")
        .unwrap();
    for gone in [
        url.to_owned(),
        url.replace(&word.replace(' ', "%20").replace('/', "%2F"), &bobs.id),
    ] {
        let r = store(Method::POST, &gone, access).await;
        assert_eq!(r.status(), 404, "{gone}");
    }
    assert_eq!(em.hdx_sessions().len(), 2, "bob's session is untouched");
}

#[tokio::test]
async fn all_of_a_users_sessions_disconnect_and_log_off_at_once_in_the_plain_form() {
    let em = start().await;
    patch_settings(&em, &json!({"profile": "plain"})).await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    em.start_hdx_session("alice", "word", "WPDEVICEONE1234");
    em.start_hdx_session("alice", "excel", "WPDEVICETWO1234");
    em.start_hdx_session("bob", "excel", "WPBOBSDEVICE123");
    let all = endpoint(&em, "DisconnectSessions").await;
    assert_eq!(store(Method::POST, &all, access).await.status(), 200);
    let list = listed(&em, access).await;
    let mine = list["sessions"].as_array().unwrap();
    assert_eq!(mine.len(), 2, "no ghost in the plain form: {list}");
    for s in mine {
        assert_eq!(s["state"], "disconnected");
        assert!(s["links"].get("disconnectUrl").is_none(), "{s}");
        assert!(
            s["clientName"].is_string() && s["startTime"].is_u64(),
            "{s}"
        );
    }
    let off = endpoint(&em, "LogoffSessions").await;
    assert_eq!(store(Method::POST, &off, access).await.status(), 200);
    assert_eq!(listed(&em, access).await["sessions"], json!([]));
    let left = em.hdx_sessions();
    assert!(
        left.len() == 1 && left[0].user == "bob" && !left[0].disconnected,
        "{left:?}"
    );
}

#[tokio::test]
async fn launches_are_scriptable_per_resource_in_both_forms() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    em.script_launch(
        "word",
        LaunchScript {
            retries: 2,
            poll_timeout: 7,
            failure: None,
            form: Some(LaunchForm::Sample),
        },
    );
    let (statuses, end) = launch(&em, access, "word").await;
    assert_eq!(statuses, [200, 200, 200]);
    assert_eq!(end["status"], "success");
    assert!(
        end["receiverUri"]
            .as_str()
            .unwrap()
            .starts_with("receiver://")
    );

    // Over the control API too: a failure with an error id and restart advice.
    let script = |id: &str, body: Value| {
        http()
            .put(format!("{}/_emulator/resources/{id}/launch", em.url()))
            .json(&body)
            .send()
    };
    let r = script(
        "excel",
        json!({"retries": 1, "failure": {"error_id": "UnavailableDesktop", "suggest_restart": true}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let (statuses, end) = launch(&em, access, "excel").await;
    assert_eq!(statuses, [202, 200]);
    assert_eq!(
        (
            end["status"].as_str(),
            end["errorId"].as_str(),
            end["suggestRestart"].as_bool()
        ),
        (Some("failure"), Some("UnavailableDesktop"), Some(true))
    );
    let bad = script("excel", json!({"retries": "many"})).await.unwrap();
    assert_eq!(bad.status(), 400);
    let unknown = script("nope", json!({})).await.unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_demo_has_failing_desktops_and_samples_retry_form_by_setting() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let (_, end) = launch(&em, access, "finance-desktop").await;
    assert_eq!(end["errorId"], "WorkstationInMaintenance");
    em.set_settings(Settings {
        launch_form: LaunchForm::Sample,
        ..em.settings()
    });
    let (statuses, end) = launch(&em, access, "win11-desktop").await;
    assert_eq!(statuses, [200, 200]);
    assert_eq!(end["status"], "success");
}

#[tokio::test]
async fn the_ica_file_url_retries_with_202_too_and_refuses_web_apps() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = catalogue(&em, access).await;
    let url = link(&list, "win11-desktop", "launchUrl");
    let first = store(Method::GET, &url, access).await;
    assert_eq!(first.status(), 202);
    let retry: Value = first.json().await.unwrap();
    let second = store(Method::GET, retry["retryUrl"].as_str().unwrap(), access).await;
    assert_eq!(second.status(), 200);
    assert!(
        second
            .text()
            .await
            .unwrap()
            .contains("Title=Windows 11 Desktop")
    );
    // A web app's launchUrl says where the app is, here (the .NET profile) as a redirect to
    // its own origin; its ICA file does not exist.
    let web = crate::common::http()
        .get(url.replace("win11-desktop", "intranet"))
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(web.status(), 302);
    assert_eq!(
        web.headers()["location"].to_str().unwrap(),
        "https://intranet.apps.example/"
    );
    let ica = store(
        Method::GET,
        &url.replace("win11-desktop/launch", "intranet/icaFile"),
        access,
    )
    .await;
    assert_eq!(ica.status(), 400);
    assert_eq!(
        ica.json::<Value>().await.unwrap()["error"],
        "not_launchable"
    );
    let failing = store(
        Method::GET,
        &url.replace("win11-desktop", "finance-desktop"),
        access,
    )
    .await;
    let retry: Value = failing.json().await.unwrap();
    let failed = store(Method::GET, retry["retryUrl"].as_str().unwrap(), access).await;
    assert_eq!(failed.status(), 409);
}

#[tokio::test]
async fn retry_keys_belong_to_their_user() {
    let em = start().await;
    let alice = tokens(&em).await;
    let access = alice["access_token"].as_str().unwrap();
    let list = catalogue(&em, access).await;
    let url = link(&list, "win11-desktop", "launchStatusUrl");
    let body: Value = store(Method::POST, &url, access)
        .await
        .json()
        .await
        .unwrap();
    let c = http();
    let r = login(&em, &c, "bob", "builder", &[]).await;
    let code = location_query(&r)["code"].clone();
    let bob = exchange(&em, &code).await;
    let r = store(
        Method::POST,
        body["retryUrl"].as_str().unwrap(),
        bob["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_tokens_are_400_invalid_grant_or_401_as_configured() {
    let em = start().await;
    let url = format!("{}/citrixapi/store/resources", em.url());
    let r = store(Method::GET, &url, "nope").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["citrix-error-source"], "emulator");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = patch_settings(&em, &json!({"bad_token": "unauthorized401"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(em.settings().bad_token, BadTokenStyle::Unauthorized401);
    let r = store(Method::GET, &url, "nope").await;
    assert_eq!(r.status(), 401);
    let no_app = http().get(&url).bearer_auth("nope").send().await.unwrap();
    assert_eq!(no_app.status(), 400);
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_lifetime() {
    let em = start().await;
    let r = patch_settings(&em, &json!({"access_token_ttl_secs": 60})).await;
    assert_eq!(r.status(), 200);
    let t = tokens(&em).await;
    assert_eq!(t["expires_in"], "60", "the .NET profile: a string");
    let access = t["access_token"].as_str().unwrap();
    catalogue(&em, access).await;
    move_clock(&em, 61).await;
    let url = format!("{}/citrixapi/store/resources", em.url());
    assert_eq!(store(Method::GET, &url, access).await.status(), 400);
    // The refresh token still works and gives a token valid on the shifted clock.
    let fresh: Value = refresh(&em, t["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    catalogue(&em, fresh["access_token"].as_str().unwrap()).await;
}

// ---------------------------------------------------------------- control API and faults

#[tokio::test]
async fn settings_refuse_unknown_fields_and_values() {
    let em = start().await;
    let url = format!("{}/_emulator/settings", em.url());
    for body in [json!({"nope": 1}), json!({"links": "future"}), json!([1])] {
        let r = patch_settings(&em, &body).await;
        assert_eq!(r.status(), 400, "{body}");
    }
    assert_eq!(em.settings(), Settings::default());
    let s = get_json(&url).await;
    assert_eq!(s["links"], "legacy");
}

#[tokio::test]
async fn forced_invalid_grant_for_one_user() {
    let em = start().await;
    let alice = tokens(&em).await;
    let url = format!("{}/citrixapi/store/resources", em.url());
    let revoke = |body: Value| {
        http()
            .post(format!("{}/_emulator/revoke", em.url()))
            .json(&body)
            .send()
    };
    // Access tokens only: the store refuses, a refresh works.
    let r: Value = revoke(json!({"user": "alice", "access_only": true}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["revokedAccessTokens"], 1);
    assert_eq!(
        store(Method::GET, &url, alice["access_token"].as_str().unwrap())
            .await
            .status(),
        400
    );
    let fresh: Value = refresh(&em, alice["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    // The whole grant: the refresh fails too.
    revoke(json!({"user": "alice"})).await.unwrap();
    let r = refresh(&em, fresh["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(revoke(json!({"who": 1})).await.unwrap().status(), 400);
}

async fn discovery_status(em: &Emulator) -> (u16, Result<Value, String>) {
    let r = discovery(&http(), em, demo::APPLICATION_ID)
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    match r {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.map_err(|e| e.to_string()))
        }
        Err(e) => (0, Err(e.to_string())),
    }
}

#[tokio::test]
async fn faults_inject_errors_latency_timeouts_and_broken_bodies() {
    let em = start().await;
    let path = "/citrixapi/discovery";
    // A fault for the next discovery request.
    let once = |method: Option<&str>, kind| {
        em.inject(Fault {
            path: path.into(),
            method: method.map(str::to_owned),
            kind,
            times: Some(1),
        })
    };
    once(None, FaultKind::Status { status: 503 });
    assert_eq!(discovery_status(&em).await.0, 503);
    assert_eq!(
        discovery_status(&em).await.0,
        200,
        "a counted fault runs out"
    );

    once(Some("GET"), FaultKind::MalformedJson);
    let (status, body) = discovery_status(&em).await;
    assert_eq!(status, 200);
    assert!(body.is_err(), "the body must not parse");

    once(None, FaultKind::TruncatedBody);
    let (_, body) = discovery_status(&em).await;
    assert!(body.is_err(), "the body must be cut short");

    once(
        None,
        FaultKind::Redirect {
            location: "http://169.254.169.254/latest/meta-data".into(),
        },
    );
    let r = discovery(&http(), &em, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 307);
    assert_eq!(
        r.headers()["location"],
        "http://169.254.169.254/latest/meta-data"
    );

    once(None, FaultKind::Latency { ms: 400 });
    let t = std::time::Instant::now();
    assert_eq!(discovery_status(&em).await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(400));

    once(None, FaultKind::Timeout);
    let (status, body) = discovery_status(&em).await;
    assert_eq!(status, 0, "the client gave up: {body:?}");

    // A fault for another method or path does not apply.
    em.inject(Fault {
        path: path.into(),
        method: Some("POST".into()),
        kind: FaultKind::Status { status: 500 },
        times: None,
    });
    em.inject(Fault {
        path: "/core/".into(),
        method: None,
        kind: FaultKind::Status { status: 500 },
        times: None,
    });
    assert_eq!(discovery_status(&em).await.0, 200);
    em.clear_faults();
}

#[tokio::test]
async fn faults_are_managed_over_http_with_clear_errors() {
    let em = start().await;
    let url = format!("{}/_emulator/faults", em.url());
    let r = http()
        .post(&url)
        .json(&json!({"path": "/citrixapi/", "kind": "status", "status": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let list = get_json(&url).await;
    assert_eq!(list[0]["kind"], "status");
    assert_eq!(discovery_status(&em).await.0, 500);
    for bad in [
        json!({"path": "/x", "kind": "explode"}),
        json!({"path": "x", "kind": "timeout"}),
        json!({"kind": "timeout"}),
    ] {
        let r = http().post(&url).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.json::<Value>().await.unwrap()["error_description"].is_string());
    }
    assert_eq!(http().delete(&url).send().await.unwrap().status(), 204);
    assert_eq!(discovery_status(&em).await.0, 200);
    let stats = get_json(&format!("{}/_emulator/stats", em.url())).await;
    assert_eq!(stats["tokenRequests"], 0);
    let log = get_json(&format!("{}/_emulator/log", em.url())).await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|l| !l["path"].as_str().unwrap().starts_with("/_emulator"))
    );
}

#[tokio::test]
async fn the_emulator_can_go_down_and_come_back_with_its_state() {
    let mut em = start().await;
    let t = tokens(&em).await;
    em.go_down();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        discovery_status(&em).await.0,
        0,
        "nothing listens while down"
    );
    em.come_back().await.unwrap();
    catalogue(&em, t["access_token"].as_str().unwrap()).await;
}

#[tokio::test]
async fn seeded_application_ids_are_active_despite_the_activation_delay() {
    let mut config = EmulatorConfig::test();
    config.activation_delay = Duration::from_secs(300);
    let em = Emulator::start(config).await.unwrap();
    // Seeded clients are long active.
    assert_eq!(discovery_status(&em).await.0, 200);
}

#[tokio::test]
async fn a_launch_needs_a_client_name_or_device_id() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = catalogue(&em, access).await;
    let url = link(&list, "word", "launchStatusUrl");
    let bare = http()
        .post(&url)
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 400);
    assert_eq!(
        bare.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let by_device_id = http()
        .post(format!("{url}?deviceId=WPDEVICE"))
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(by_device_id.status(), 201);
}

#[tokio::test]
async fn a_disabled_clients_tokens_stop_working_until_it_is_enabled_again() {
    let em = start().await;
    let code = code_for(&em, &http(), &[("scope", "openid wsp")]).await;
    let t = exchange(&em, &code).await;
    let access = t["access_token"].as_str().unwrap();
    let url = format!("{}/citrixapi/store/resources", em.url());
    let admin = |action: &'static str| {
        http()
            .post(format!(
                "{}/admin/api/clients/{}/{action}",
                em.url(),
                demo::CLIENT_ID
            ))
            .send()
    };
    assert_eq!(admin("disable").await.unwrap().status(), 200);
    let refused = store(Method::GET, &url, access).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(admin("enable").await.unwrap().status(), 200);
    catalogue(&em, access).await;
    // Deleted: the access token is gone for good, even without a refresh token to revoke.
    let deleted = http()
        .delete(format!(
            "{}/admin/api/clients/{}",
            em.url(),
            demo::CLIENT_ID
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let stats = get_json(&format!("{}/_emulator/stats", em.url())).await;
    assert_eq!(stats["activeAccessTokens"], 0);
}

#[tokio::test]
async fn a_session_can_be_started_through_the_control_api_for_a_demo() {
    let em = start().await;
    let url = format!("{}/_emulator/sessions", em.url());
    let body = json!({"user": "alice", "resource": "win11-desktop", "device": "WPDEMODEVICE123"});
    let r = http().post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = http().post(&url).json(&body).send().await.unwrap();
    assert_eq!(
        again.json::<Value>().await.unwrap()["id"],
        id.as_str(),
        "the same session"
    );
    let s = em.hdx_sessions();
    assert!(s.len() == 1 && s[0].resource == "win11-desktop" && s[0].device == "WPDEMODEVICE123");
    let bad = http()
        .post(&url)
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
