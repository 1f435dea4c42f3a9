//! What makes the emulator harsher than a tidy test double: Citrix Cloud as several hosts (each
//! serving only its routes, links naming the right one, a custom domain that redirects), the
//! .NET-shaped answers (nulls, absent and unknown fields, unknown services, one malformed
//! resource, strings for numbers, same-origin redirects), ids that need encoding, icons on a
//! CDN that refuses credentials, and sign-out at the identity provider.

use std::collections::HashSet;

use crate::common::{
    REDIRECT, authorize, code_for, discovery, discovery_json, exchange, http, login, tokens,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use workspace_emulator::{
    Emulator, EmulatorConfig, LaunchForm, LinkGeneration, Ports, Profile, Settings, Topology, demo,
};

/// The three demo ids that need percent-encoding, and how a link must carry them.
const ENCODED: [(&str, &str); 3] = [
    ("calc 100%/x?y#z", "calc%20100%25%2Fx%3Fy%23z"),
    ("Google Chrome $ü", "Google%20Chrome%20%24%C3%BC"),
    ("PuTTY 0.81/ssh", "PuTTY%200.81%2Fssh"),
];

async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::test()).await.unwrap()
}

async fn start_with(f: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut config = EmulatorConfig::test();
    f(&mut config);
    Emulator::start(config).await.unwrap()
}

/// A fresh client that follows redirects (same-origin ones keep every header).
fn following() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap()
}

/// A store call with the application id, the token and a client name, on `c`.
async fn store_on(
    c: &reqwest::Client,
    method: Method,
    url: &str,
    access: &str,
) -> reqwest::Response {
    let mut url = url::Url::parse(url).unwrap();
    url.query_pairs_mut().append_pair("clientName", "WPTEST");
    c.request(method, url)
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
}

async fn store(method: Method, url: &str, access: &str) -> reqwest::Response {
    store_on(&following(), method, url, access).await
}

/// The whole enumeration answer.
async fn enumerate(em: &Emulator, access: &str) -> reqwest::Response {
    http()
        .get(format!("{}/citrixapi/store/resources", em.url()))
        .header("Citrix-ApplicationId", demo::APPLICATION_ID)
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
}

async fn resources(em: &Emulator, access: &str) -> Vec<Value> {
    let r = enumerate(em, access).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["resources"].as_array().unwrap().clone()
}

fn find<'a>(list: &'a [Value], id: &str) -> &'a Value {
    list.iter()
        .find(|r| r["resourceId"] == id)
        .unwrap_or_else(|| panic!("{id} is listed"))
}

fn link(list: &[Value], id: &str, name: &str) -> String {
    find(list, id)["links"][name]
        .as_str()
        .unwrap_or_else(|| panic!("{id} has {name}"))
        .to_owned()
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()["content-type"].to_str().unwrap().to_owned()
}

fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}

// ---------------------------------------------------------------- topology

#[tokio::test]
async fn each_role_has_its_own_host_and_serves_only_its_routes() {
    let em = start().await;
    let h = em.hosts();
    assert_eq!(em.url(), h.customer);
    let ports: HashSet<u16> = [&h.customer, &h.accounts, &h.cdn, &h.trust, &h.cws]
        .into_iter()
        .map(|u| port_of(u))
        .collect();
    assert_eq!(ports.len(), 5, "{h:?}");
    assert_eq!(
        h.custom_domain,
        format!("http://localhost:{}", port_of(&h.customer))
    );

    let get = |url: String| async move { http().get(url).send().await.unwrap().status() };
    let discovery_path = format!(
        "/citrixapi/discovery/configurations?ApplicationId={}",
        demo::APPLICATION_ID
    );
    let metadata = "/core/.well-known/openid-configuration";
    let rpclients = format!("/{}/rpclients", demo::CUSTOMER_ID);
    // Each route on its own host...
    assert_eq!(
        get(format!("{}{discovery_path}", h.customer)).await,
        StatusCode::OK
    );
    assert_eq!(get(format!("{}/admin", h.customer)).await, StatusCode::OK);
    assert_eq!(
        get(format!("{}{metadata}", h.accounts)).await,
        StatusCode::OK
    );
    assert_eq!(
        get(format!("{}/icons/word.png", h.cdn)).await,
        StatusCode::OK
    );
    // (rpclients without a token: 401 means the route exists there.)
    assert_eq!(
        get(format!("{}{rpclients}", h.cws)).await,
        StatusCode::UNAUTHORIZED
    );
    let trust = format!(
        "{}/cctrustoauth2/{}/tokens/clients",
        h.trust,
        demo::CUSTOMER_ID
    );
    let r = http()
        .post(&trust)
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // ... and a 404 on every other one.
    for host in [&h.accounts, &h.cdn, &h.trust, &h.cws] {
        assert_eq!(
            get(format!("{host}{discovery_path}")).await,
            StatusCode::NOT_FOUND,
            "{host}"
        );
        assert_eq!(
            get(format!("{host}/admin")).await,
            StatusCode::NOT_FOUND,
            "{host}"
        );
    }
    for host in [&h.customer, &h.cdn, &h.trust, &h.cws] {
        assert_eq!(
            get(format!("{host}{metadata}")).await,
            StatusCode::NOT_FOUND,
            "{host}"
        );
    }
    for host in [&h.customer, &h.accounts, &h.cdn, &h.trust] {
        let r = http()
            .get(format!("{host}{rpclients}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{host}");
        assert_eq!(r.headers()["citrix-error-source"], "emulator");
    }
    for host in [&h.customer, &h.accounts, &h.cdn, &h.cws] {
        let r = http()
            .post(format!(
                "{host}/cctrustoauth2/{}/tokens/clients",
                demo::CUSTOMER_ID
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{host}");
    }
    assert_eq!(
        get(format!("{}/icons/word.png", h.customer)).await,
        StatusCode::NOT_FOUND
    );

    // The control API answers on every host.
    for host in [&h.customer, &h.accounts, &h.cdn, &h.trust, &h.cws] {
        assert_eq!(
            get(format!("{host}/_emulator/settings")).await,
            StatusCode::OK,
            "{host}"
        );
    }
}

#[tokio::test]
async fn the_log_names_the_host_and_whether_authorization_was_sent() {
    let em = start().await;
    let h = em.hosts();
    discovery(&http(), &em, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    http()
        .get(format!("{}/core/connect/userinfo", h.accounts))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    http()
        .get(format!("{}/icons/word.png", h.cdn))
        .send()
        .await
        .unwrap();
    let log = em.transaction_log();
    let by_path = |p: &str| log.iter().find(|l| l.path.starts_with(p)).unwrap();
    let d = by_path("/citrixapi/discovery");
    assert_eq!((d.host.as_str(), d.authorization), ("customer", false));
    let u = by_path("/core/connect/userinfo");
    assert_eq!((u.host.as_str(), u.authorization), ("accounts", true));
    let i = by_path("/icons/");
    assert_eq!((i.host.as_str(), i.authorization), ("cdn", false));

    let single = start_with(|c| c.topology = Topology::Single).await;
    discovery(&http(), &single, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(single.transaction_log()[0].host, "single");
}

#[tokio::test]
async fn links_and_metadata_name_the_host_of_their_role() {
    let em = start().await;
    let h = em.hosts();
    let d = discovery_json(&em).await;
    assert_eq!(
        d["clientSettings"]["oidcConfiguration"]["oidc_discovery_endpoint"],
        format!("{}/core/.well-known/openid-configuration", h.accounts)
    );
    let store_service = d["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "store")
        .unwrap();
    for e in store_service["endpoints"].as_array().unwrap() {
        if let Some(url) = e["url"].as_str() {
            assert!(
                url.starts_with(&format!("{}/citrixapi/store/", h.customer)),
                "{url}"
            );
        }
    }

    let m: Value = http()
        .get(format!(
            "{}/core/.well-known/openid-configuration",
            h.accounts
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["issuer"], format!("{}/core", h.accounts));
    for k in [
        "jwks_uri",
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
        "end_session_endpoint",
    ] {
        assert!(
            m[k].as_str()
                .unwrap()
                .starts_with(&format!("{}/core/", h.accounts)),
            "{k}: {}",
            m[k]
        );
    }

    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = resources(&em, access).await;
    let mut on_cdn = 0;
    for r in list.iter().filter(|r| r["links"].is_object()) {
        for (name, url) in r["links"].as_object().unwrap() {
            let Some(url) = url.as_str() else { continue };
            if name == "imageUrl" && url.starts_with(&h.cdn) {
                on_cdn += 1;
                assert!(url.ends_with(".png"), "{url}");
            } else {
                assert!(
                    url.starts_with(&format!("{}/citrixapi/store/", h.customer)),
                    "{name}: {url}"
                );
            }
        }
    }
    assert!(on_cdn > 0, "some icons are on the CDN");

    // Retry URLs and receiver URIs name the customer domain too.
    let url = link(&list, "eng-workstation", "launchStatusUrl");
    let body: Value = store(Method::POST, &url, access)
        .await
        .json()
        .await
        .unwrap();
    assert!(body["retryUrl"].as_str().unwrap().starts_with(&h.customer));
    let url = link(&list, "word", "launchStatusUrl");
    let body: Value = store(Method::POST, &url, access)
        .await
        .json()
        .await
        .unwrap();
    let authority = h.customer.trim_start_matches("http://");
    assert!(
        body["receiverUri"]
            .as_str()
            .unwrap()
            .starts_with(&format!("receiver://{authority}/")),
        "{body}"
    );
}

#[tokio::test]
async fn the_custom_domain_redirects_to_the_canonical_customer_domain() {
    let em = start().await;
    let h = em.hosts();
    let path = format!(
        "/citrixapi/discovery/configurations?ApplicationId={}&x=1",
        demo::APPLICATION_ID
    );
    let r = http()
        .get(format!("{}{path}", h.custom_domain))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        r.headers()["location"],
        format!("{}{path}", h.customer).as_str()
    );
    // A POST too (307 keeps the method), and the admin portal.
    let r = http()
        .post(format!("{}/admin/api/clients", h.custom_domain))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
    // Followed, it works.
    let r = following()
        .get(format!("{}{path}", h.custom_domain))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // The single topology has no custom domain: every name is the one host.
    let single = start_with(|c| c.topology = Topology::Single).await;
    let s = single.hosts();
    assert_eq!(s.custom_domain, s.customer);
    assert_eq!(s.accounts, single.url());
    assert_eq!(s.cws, single.url());
}

#[tokio::test]
async fn a_restart_on_the_previous_ports_gets_the_same_hosts_and_a_fresh_state() {
    let mut em = start().await;
    let hosts = em.hosts();
    let t = tokens(&em).await;
    // Down and back: every host, with the state.
    em.go_down();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    for u in [
        &hosts.customer,
        &hosts.accounts,
        &hosts.cdn,
        &hosts.trust,
        &hosts.cws,
    ] {
        assert!(
            http()
                .get(format!("{u}/_emulator/settings"))
                .send()
                .await
                .is_err(),
            "{u}"
        );
    }
    em.come_back().await.unwrap();
    assert_eq!(
        resources(&em, t["access_token"].as_str().unwrap())
            .await
            .len(),
        41
    );
    for u in [
        &hosts.customer,
        &hosts.accounts,
        &hosts.cdn,
        &hosts.trust,
        &hosts.cws,
    ] {
        let r = http()
            .get(format!("{u}/_emulator/settings"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{u}");
    }
    em.shutdown().await;

    let mut again = None;
    for _ in 0..50 {
        let mut config = EmulatorConfig::test();
        config.ports = hosts.ports();
        match Emulator::start(config).await {
            Ok(e) => {
                again = Some(e);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let again = again.expect("the same ports again");
    assert_eq!(again.hosts(), hosts);
    let r = enumerate(&again, t["access_token"].as_str().unwrap()).await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a fresh state: the token is unknown"
    );
}

#[tokio::test]
async fn a_caller_that_sets_only_bind_keeps_its_customer_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = EmulatorConfig::test();
    config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    assert_eq!(config.ports, Ports::default());
    let em = Emulator::start(config).await.unwrap();
    assert_eq!(em.url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(em.hosts().ports().customer, port);
    assert_ne!(em.hosts().ports().accounts, 0);
}

// ---------------------------------------------------------------- the .NET profile

#[tokio::test]
async fn dotnet_discovery_has_nulls_absences_and_unknown_services() {
    let em = start().await;
    let r = discovery(&http(), &em, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(
        content_type(&r),
        "application/vnd.citrix.discovery+json; charset=utf-8"
    );
    let d: Value = r.json().await.unwrap();
    let services = d["services"].as_array().unwrap();
    assert_ne!(services[0]["service"], "store", "the store is not first");
    assert!(services.iter().any(|s| s["service"] != "store"
        && s.as_object().unwrap().contains_key("endpoints")
        && s["endpoints"].is_null()));
    assert!(
        services
            .iter()
            .any(|s| !s.as_object().unwrap().contains_key("endpoints"))
    );
    let store = services.iter().find(|s| s["service"] == "store").unwrap();
    let endpoints = store["endpoints"].as_array().unwrap();
    assert_ne!(endpoints[0]["id"], "ListResources");
    let list = endpoints
        .iter()
        .find(|e| e["id"] == "ListResources")
        .unwrap();
    assert!(
        list.as_object().unwrap().contains_key("capabilities") && list["capabilities"].is_null()
    );
    assert!(
        endpoints.iter().any(|e| e["url"].is_null()),
        "an endpoint without a URL"
    );
    let settings = d["clientSettings"].as_object().unwrap();
    assert!(
        settings.contains_key("promptLoginEnabled") && settings["promptLoginEnabled"].is_null()
    );
    assert!(!settings.contains_key("authDomain"));
    assert!(d.as_object().unwrap().contains_key("discoveryVersion"));

    // Plain: tidy.
    em.set_settings(Settings {
        profile: Profile::Plain,
        ..em.settings()
    });
    let r = discovery(&http(), &em, demo::APPLICATION_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&r), "application/json");
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["services"].as_array().unwrap().len(), 1);
    assert_eq!(d["clientSettings"]["promptLoginEnabled"], false);
    assert!(d["services"][0]["endpoints"][0]["capabilities"].is_array());
}

#[tokio::test]
async fn dotnet_enumeration_mixes_nulls_and_absences_and_has_one_malformed_item() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let r = enumerate(&em, access).await;
    assert_eq!(
        content_type(&r),
        "application/vnd.citrix.store+json; charset=utf-8"
    );
    let body: Value = r.json().await.unwrap();
    assert!(
        body.as_object()
            .unwrap()
            .contains_key("isSubscriptionEnabled")
    );
    let list = body["resources"].as_array().unwrap();
    assert_eq!(list.len(), 41);

    // Exactly one malformed item, last, with an id to log.
    let malformed: Vec<&Value> = list.iter().filter(|r| !r["links"].is_object()).collect();
    assert_eq!(malformed.len(), 1);
    assert_eq!(
        *malformed[0],
        json!({"resourceId": "malformed-item", "name": null, "links": "not-an-object"})
    );
    let good: Vec<&Value> = list.iter().filter(|r| r["links"].is_object()).collect();

    // Every optional field is null on some items and left out on others.
    for field in [
        "description",
        "type",
        "isDesktop",
        "path",
        "isFavorite",
        "clientTypes",
        "enabled",
    ] {
        let null = good
            .iter()
            .filter(|r| r.as_object().unwrap().get(field) == Some(&Value::Null))
            .count();
        let absent = good
            .iter()
            .filter(|r| !r.as_object().unwrap().contains_key(field))
            .count();
        assert!(
            null > 0 && absent > 0,
            "{field}: {null} null, {absent} absent"
        );
    }
    // So are link names a resource does not have.
    let links = |r: &&Value| r["links"].as_object().unwrap().clone();
    assert!(
        good.iter()
            .any(|r| links(r).get("icaFileUrl") == Some(&Value::Null))
    );
    assert!(good.iter().any(|r| !links(r).contains_key("icaFileUrl")));
    // Unknown fields.
    assert!(
        good.iter()
            .all(|r| r.as_object().unwrap().contains_key("publisherName"))
    );
    assert!(good.iter().any(|r| r["subscriptionStatus"] == "subscribed"));
    assert!(good.iter().any(|r| r["images"].is_array()));

    // Every fourth item carries both ids, equal.
    let both: Vec<&&Value> = good.iter().filter(|r| r.get("id").is_some()).collect();
    assert_eq!(both.len(), 10);
    assert!(both.iter().all(|r| r["id"] == r["resourceId"]));

    // What a client needs stays: desktops recognisable, favourites true, launch links.
    let seed = demo::seed();
    for s in &seed.resources {
        let r = find(list, &s.id);
        if s.desktop {
            assert!(
                r["isDesktop"] == true || r["type"].as_str().is_some_and(|t| t.contains("Desktop")),
                "{r}"
            );
        }
        if s.favorite {
            assert_eq!(r["isFavorite"], true, "{r}");
        }
        if s.launchable() {
            assert!(r["links"]["launchStatusUrl"].is_string(), "{r}");
            assert!(r["links"]["launchUrl"].is_string(), "{r}");
        }
        assert!(
            r["name"].is_string() && r["links"]["imageUrl"].is_string(),
            "{r}"
        );
    }
}

#[tokio::test]
async fn dotnet_tokens_carry_expires_in_as_a_string() {
    let em = start().await;
    let t = tokens(&em).await;
    assert_eq!(t["expires_in"], "3600");
    let r = crate::common::refresh(&em, t["refresh_token"].as_str().unwrap()).await;
    assert_eq!(content_type(&r), "application/json; charset=utf-8");
    assert_eq!(r.json::<Value>().await.unwrap()["expires_in"], "3600");

    let trust = format!(
        "{}/cctrustoauth2/{}/tokens/clients",
        em.hosts().trust,
        demo::CUSTOMER_ID
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", demo::CLOUD_CLIENT_ID),
        ("client_secret", demo::CLOUD_CLIENT_SECRET),
    ];
    let trust_token = || async {
        http()
            .post(&trust)
            .form(&form)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(trust_token().await["expires_in"], "3600");

    em.set_settings(Settings {
        profile: Profile::Plain,
        ..em.settings()
    });
    assert_eq!(tokens(&em).await["expires_in"], 3600);
    assert_eq!(trust_token().await["expires_in"], 3600);
}

#[tokio::test]
async fn dotnet_rpclients_name_our_client_by_its_application_id_among_others() {
    let em = start().await;
    let h = em.hosts();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", demo::CLOUD_CLIENT_ID),
        ("client_secret", demo::CLOUD_CLIENT_SECRET),
    ];
    let token: Value = http()
        .post(format!(
            "{}/cctrustoauth2/{}/tokens/clients",
            h.trust,
            demo::CUSTOMER_ID
        ))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = || {
        http()
            .get(format!("{}/{}/rpclients", h.cws, demo::CUSTOMER_ID))
            .header(
                "Authorization",
                format!("CWSAuth bearer={}", token["access_token"].as_str().unwrap()),
            )
            .send()
    };
    let clients: Vec<Value> = list().await.unwrap().json().await.unwrap();
    assert!(clients.len() >= 3, "other clients are listed: {clients:?}");
    assert_ne!(clients[0]["name"], demo::CLIENT_NAME, "ours is not first");
    let ours = clients
        .iter()
        .find(|c| c["name"] == demo::CLIENT_NAME)
        .unwrap();
    assert_eq!(ours["api_key"], demo::APPLICATION_ID);
    assert!(clients.iter().all(|c| c["api_key"] != demo::CLIENT_ID));
    assert!(
        ours.as_object().unwrap().contains_key("scopes"),
        "unknown fields"
    );
    assert!(
        clients.iter().any(|c| c["application_id"].is_null()),
        "optional fields null"
    );
    assert!(
        clients
            .iter()
            .any(|c| !c.as_object().unwrap().contains_key("redirect_uris")),
        "optional fields absent"
    );

    em.set_settings(Settings {
        profile: Profile::Plain,
        ..em.settings()
    });
    let clients: Vec<Value> = list().await.unwrap().json().await.unwrap();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0]["api_key"], demo::CLIENT_ID);
}

#[tokio::test]
async fn dotnet_launch_answers_spell_out_their_nulls() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = resources(&em, access).await;
    // The seed form: 201 with the retry fields null.
    let r = store(
        Method::POST,
        &link(&list, "word", "launchStatusUrl"),
        access,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(content_type(&r), "application/json; charset=utf-8");
    let body: Value = r.json().await.unwrap();
    for k in ["retryUrl", "retryKey", "pollTimeout"] {
        assert!(
            body.as_object().unwrap().contains_key(k) && body[k].is_null(),
            "{k}: {body}"
        );
    }
    // The sample form's failure: every field, the inapplicable ones null.
    em.set_settings(Settings {
        launch_form: LaunchForm::Sample,
        ..em.settings()
    });
    let mut url = link(&list, "lab-desktop", "launchStatusUrl");
    let body = loop {
        let body: Value = store(Method::POST, &url, access)
            .await
            .json()
            .await
            .unwrap();
        match body["retryUrl"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break body,
        }
    };
    assert_eq!(body["status"], "failure");
    for k in ["receiverUri", "retryUrl", "pollTimeout"] {
        assert!(
            body.as_object().unwrap().contains_key(k) && body[k].is_null(),
            "{k}: {body}"
        );
    }
}

#[tokio::test]
async fn dotnet_icons_and_ica_files_redirect_once_to_the_same_origin() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = resources(&em, access).await;
    // An API icon: 307 to the canonical path on the same origin, the query kept.
    let icon = link(&list, "calc 100%/x?y#z", "imageUrl");
    let with_app = format!("{icon}?ApplicationId={}", demo::APPLICATION_ID);
    let r = http().get(&with_app).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        to,
        format!(
            "{}/citrixapi/store/resources/images/v2/calc%20100%25%2Fx%3Fy%23z.svg?ApplicationId={}",
            em.url(),
            demo::APPLICATION_ID
        )
    );
    let r = http().get(&to).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "no second redirect");
    assert_eq!(content_type(&r), "image/svg+xml");

    // The ICA file URL: 307 once, same origin, then the file.
    for generation in [LinkGeneration::Legacy, LinkGeneration::Current] {
        em.set_settings(Settings {
            links: generation,
            ..em.settings()
        });
        let list = resources(&em, access).await;
        let name = match generation {
            LinkGeneration::Legacy => "launchUrl",
            LinkGeneration::Current => "icaFileUrl",
        };
        let url = link(&list, "word", name);
        let r = store_on(&http(), Method::GET, &url, access).await;
        assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT, "{name}");
        let to = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with(&format!("{}/", em.url())), "{to}");
        assert!(to.contains("clientName=WPTEST"), "the query is kept: {to}");
        let r = http()
            .get(&to)
            .header("Citrix-ApplicationId", demo::APPLICATION_ID)
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{name}: no second redirect");
        assert_eq!(content_type(&r), "application/x-ica");
        // A client that asks only for JSON is refused; one that names the ICA file is served.
        for (accept, status) in [
            ("application/json", StatusCode::NOT_ACCEPTABLE),
            ("application/x-ica;q=0, */*;q=0", StatusCode::NOT_ACCEPTABLE),
            ("application/x-ica, application/json;q=0.5", StatusCode::OK),
            ("*/*", StatusCode::OK),
        ] {
            let r = http()
                .get(&to)
                .header("Citrix-ApplicationId", demo::APPLICATION_ID)
                .header("Accept", accept)
                .bearer_auth(access)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), status, "{name}: Accept {accept}");
        }
    }
    // A bad token is refused before any redirect.
    let url = link(&list, "word", "launchUrl");
    let r = store_on(&http(), Method::GET, &url, "nope").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_profile_can_be_patched() {
    let em = start().await;
    assert_eq!(em.settings().profile, Profile::DotNet);
    let r = crate::common::patch_settings(&em, &json!({"profile": "plain"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(em.settings().profile, Profile::Plain);
    let r = crate::common::patch_settings(&em, &json!({"profile": "dot_net"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(em.settings().profile, Profile::DotNet);
    let r = crate::common::patch_settings(&em, &json!({"profile": "java"})).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------- ids that need encoding

#[tokio::test]
async fn ids_are_one_encoded_path_segment_in_every_link() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = resources(&em, access).await;
    for (id, encoded) in ENCODED {
        let r = find(&list, id);
        for (name, url) in r["links"].as_object().unwrap() {
            let Some(url) = url.as_str() else { continue };
            assert!(url.contains(&format!("/{encoded}")), "{id} {name}: {url}");
            let path = url::Url::parse(url).unwrap();
            assert!(path.query().is_none() && path.fragment().is_none(), "{url}");
        }
    }
}

#[tokio::test]
async fn encoded_ids_round_trip_through_launch_ica_file_and_favourite() {
    let em = start().await;
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = resources(&em, access).await;
    for (id, _) in ENCODED {
        let name = demo::seed()
            .resources
            .into_iter()
            .find(|r| r.id == id)
            .unwrap()
            .name;
        // Ticketed launch, then redemption: the session names the id.
        let r = store(Method::POST, &link(&list, id, "launchStatusUrl"), access).await;
        assert_eq!(r.status(), StatusCode::CREATED, "{id}");
        let uri = r.json::<Value>().await.unwrap()["receiverUri"]
            .as_str()
            .unwrap()
            .replacen("receiver://", "http://", 1);
        let ticket = crate::common::query_of(&uri)["ticket"].clone();
        let ica = http()
            .post(format!("{}/citrixapi/store/client/icaFile", em.url()))
            .json(&json!({"ticket": ticket}))
            .send()
            .await
            .unwrap();
        assert!(
            ica.text().await.unwrap().contains(&format!("Title={name}")),
            "{id}"
        );
        assert!(em.hdx_sessions().iter().any(|s| s.resource == id), "{id}");
        // The ICA file (through the .NET profile's redirect).
        let r = store(Method::GET, &link(&list, id, "launchUrl"), access).await;
        assert_eq!(r.status(), StatusCode::OK, "{id}");
        assert!(
            r.text().await.unwrap().contains(&format!("Title={name}")),
            "{id}"
        );
        // Favourite.
        let r = store(Method::POST, &link(&list, id, "favoriteUrl"), access).await;
        assert_eq!(r.json::<Value>().await.unwrap()["resourceId"], id);
        let again = resources(&em, access).await;
        assert_eq!(find(&again, id)["isFavorite"], true, "{id}");
    }
    // A %2F stays inside its segment: the id's slash, unencoded, is another path.
    let raw = format!(
        "{}/citrixapi/store/resources/PuTTY%200.81/ssh/launchStatus",
        em.url()
    );
    assert_eq!(
        store(Method::POST, &raw, access).await.status(),
        StatusCode::NOT_FOUND
    );
    // The control API decodes them too.
    let r = http()
        .put(format!(
            "{}/_emulator/resources/{}/launch",
            em.url(),
            ENCODED[0].1
        ))
        .json(&json!({"retries": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

// ---------------------------------------------------------------- icons on the CDN

#[tokio::test]
async fn cdn_icons_need_no_credentials_and_refuse_any() {
    let em = start().await;
    let h = em.hosts();
    let t = tokens(&em).await;
    let access = t["access_token"].as_str().unwrap();
    let list = resources(&em, access).await;
    let url = link(&list, "PuTTY 0.81/ssh", "imageUrl");
    assert_eq!(url, format!("{}/icons/PuTTY%200.81%2Fssh.png", h.cdn));
    assert!(link(&list, "word", "imageUrl").starts_with(&h.cdn));
    assert!(
        link(&list, "win11-desktop", "imageUrl").starts_with(&h.customer),
        "SVG icons stay on the API"
    );

    let bare = http().get(&url).send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::OK);
    assert_eq!(content_type(&bare), "image/png");
    assert!(bare.bytes().await.unwrap().starts_with(b"\x89PNG"));
    for r in [
        http().get(&url).bearer_auth(access),
        http()
            .get(&url)
            .header("Citrix-ApplicationId", demo::APPLICATION_ID),
        http().get(format!("{url}?ApplicationId={}", demo::APPLICATION_ID)),
    ] {
        let r = r.send().await.unwrap();
        let (status, error, _) = crate::common::error_of(r).await;
        assert_eq!(
            (status, error.as_str()),
            (StatusCode::BAD_REQUEST, "credentials_sent")
        );
    }
    // The single topology keeps icons on the one host.
    let single = start_with(|c| c.topology = Topology::Single).await;
    let t = tokens(&single).await;
    let list = resources(&single, t["access_token"].as_str().unwrap()).await;
    assert!(link(&list, "word", "imageUrl").starts_with(&format!(
        "{}/citrixapi/store/resources/images/",
        single.url()
    )));
}

// ---------------------------------------------------------------- end session

/// The value of the SSO cookie a login answer sets.
fn sso_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("emu_sso="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn end_session_signs_out_at_the_identity_provider_and_redirects_only_to_a_known_origin() {
    let em = start().await;
    let accounts = em.hosts().accounts;
    let c = http();
    let r = login(&em, &c, "alice", "wonderland", &[]).await;
    let cookie = sso_cookie(&r);
    let code = crate::common::location_query(&r)["code"].clone();
    let t = exchange(&em, &code).await;
    let id_token = t["id_token"].as_str().unwrap();
    // Signed in: authorize goes straight back with a code.
    assert_eq!(
        authorize(&em, &c, &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let end = format!("{accounts}/core/connect/endsession");
    let r = c
        .get(&end)
        .query(&[
            ("id_token_hint", id_token),
            (
                "post_logout_redirect_uri",
                "http://127.0.0.1:8787/signed-out",
            ),
            ("state", "bye 1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        r.headers()["location"],
        "http://127.0.0.1:8787/signed-out?state=bye+1"
    );
    // The login form again, with the cookie jar and with the old cookie sent by hand.
    let page = authorize(&em, &c, &[]).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("data-testid=login-password")
    );
    let by_hand = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{accounts}/core/connect/authorize"))
        .query(&crate::common::authorize_params(&[]))
        .header("Cookie", format!("emu_sso={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_hand.status(),
        StatusCode::OK,
        "the session ended at the server"
    );

    // Another origin: signed out, but no redirect.
    code_for(&em, &c, &[]).await;
    let r = c
        .get(&end)
        .query(&[
            ("client_id", demo::CLIENT_ID),
            ("post_logout_redirect_uri", "https://evil.example/"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("data-testid=signed-out"));
    assert_eq!(authorize(&em, &c, &[]).await.status(), StatusCode::OK);

    // A hint that is not ours, or another client than the hint's: an error page.
    for q in [
        vec![
            ("id_token_hint", "a.b.c"),
            ("post_logout_redirect_uri", REDIRECT),
        ],
        vec![
            ("id_token_hint", id_token),
            ("client_id", "someone-else"),
            ("post_logout_redirect_uri", REDIRECT),
        ],
    ] {
        let r = c.get(&end).query(&q).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{q:?}");
    }
}
