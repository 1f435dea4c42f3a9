//! Workspace discovery and the authorization server's metadata, cached per isolate for five
//! minutes as the samples do.

use std::cell::RefCell;
use std::rc::Rc;

use worker::{Method, Url};

use crate::citrix::upstream::Call;
use crate::citrix::workspace::{Discovery, OidcMetadata};
use crate::config::Config;
use crate::http::error::PortalError;
use crate::http::origin::{Origin, Trusted};

const TTL_SECS: u64 = 300;

/// Where the public samples find the authorization server (`OidcSettings.cs`: authority
/// `https://accounts.cloud.com/core/`), for a discovery document that does not say.
const FALLBACK_OIDC_METADATA: &str =
    "https://accounts.cloud.com/core/.well-known/openid-configuration";

/// Discovery plus the OIDC metadata it points at, with every URL admitted.
#[derive(Debug)]
pub struct Customer {
    /// The discovery document.
    pub discovery: Discovery,
    /// The store's enumeration URL.
    pub list_resources: Url,
    /// The authorization server's metadata.
    pub oidc: OidcMetadata,
    /// The origins the store's links may be on: `WORKSPACE_URL`'s, and the customer domain and
    /// store endpoints that discovery names.
    pub store: Trusted,
    fetched_at: u64,
}

#[cfg(test)]
impl Customer {
    /// A customer as discovery would describe it, for tests of what depends on it.
    pub fn parsed(discovery_json: &str, oidc_json: &str) -> Customer {
        let discovery: Discovery = serde_json::from_str(discovery_json).expect("discovery JSON");
        let list = discovery
            .endpoint("store", "ListResources")
            .expect("a ListResources endpoint")
            .to_owned();
        let list_resources = Url::parse(&list).expect("a URL");
        Customer {
            store: Trusted::new(Origin::parse(list_resources.as_str()).expect("an origin")),
            discovery,
            list_resources,
            oidc: serde_json::from_str(oidc_json).expect("OIDC metadata JSON"),
            fetched_at: 0,
        }
    }
}

thread_local! {
    static CACHE: RefCell<Option<Rc<Customer>>> = const { RefCell::new(None) };
}

/// Seconds since the Unix epoch, from the runtime's clock.
pub fn now() -> u64 {
    crate::http::timing::now_ms() / 1000
}

/// The customer's discovery data, from cache when fresh; shared, so each use (every link a
/// request checks) costs a reference count, not a copy of the discovery document.
pub async fn customer(config: &Config) -> Result<Rc<Customer>, PortalError> {
    let cached = CACHE.with(|c| c.borrow().clone());
    if let Some(c) = cached.filter(|c| now() < c.fetched_at + TTL_SECS) {
        return Ok(c);
    }
    let fresh = Rc::new(fetch(config).await?);
    CACHE.with(|c| *c.borrow_mut() = Some(fresh.clone()));
    Ok(fresh)
}

/// What a non-200 discovery answer means, in words an administrator can act on.
fn refusal(status: u16, host: &str, redirect: Option<&Url>) -> Option<PortalError> {
    match status {
        200 => None,
        _ if redirect.is_some() => Some(PortalError::Misconfigured(format!(
            "Citrix Workspace at {host} (WORKSPACE_URL) redirects to {}, another origin, which the portal does not follow. Set WORKSPACE_URL to that address.",
            redirect.map(|u| u.origin().ascii_serialization()).unwrap_or_default()
        ))),
        404 => Some(PortalError::Misconfigured(format!(
            "Citrix Cloud does not know the customer domain {host} (WORKSPACE_URL)."
        ))),
        400 | 401 | 403 => Some(PortalError::Misconfigured(
            "Citrix Cloud refused the APPLICATION_ID. Check it against your Workspace OAuth client; a new one can take up to 5 minutes to become active.".into(),
        )),
        s => Some(PortalError::Upstream {
            what: "looking up your Citrix Workspace".into(),
            detail: format!("discovery answered {s}"),
        }),
    }
}

async fn fetch(config: &Config) -> Result<Customer, PortalError> {
    const WHAT: &str = "looking up your Citrix Workspace";
    let url = config.workspace.join("/citrixapi/discovery/configurations");
    let answer = Call {
        method: Method::Get,
        url: &url,
        application_id: Some(&config.application_id),
        headers: vec![],
        body: None,
        what: WHAT,
    }
    .send()
    .await
    .map_err(|e| match e {
        // The first call of all: if it cannot get through, say where it tried to go.
        PortalError::Upstream { detail, .. } => PortalError::Upstream {
            what: format!(
                "reaching Citrix Workspace at {} (check WORKSPACE_URL)",
                config.workspace.host()
            ),
            detail,
        },
        other => other,
    })?;
    if let Some(e) = refusal(
        answer.status,
        &config.workspace.host(),
        answer.location.as_ref(),
    ) {
        return Err(e);
    }
    let discovery: Discovery = answer.json(WHAT)?;
    let malformed = |detail: String| PortalError::UpstreamMalformed {
        what: WHAT.into(),
        detail,
    };
    let store = store_origins(config, &discovery);
    let list_resources = discovery
        .endpoint("store", "ListResources")
        .ok_or_else(|| malformed("discovery has no store/ListResources endpoint".into()))
        .and_then(|u| {
            store
                .admit(u)
                .map_err(|e| malformed(format!("ListResources URL {e}")))
        })?;
    let oidc_url = oidc_metadata_url(&discovery);
    let mut auth = Trusted::new(
        Origin::parse(&oidc_url).map_err(|e| malformed(format!("oidc_discovery_endpoint {e}")))?,
    );
    if let Some(o) = domain_origin(config, discovery.client_settings.auth_domain.as_deref()) {
        auth.add(o);
    }
    let oidc_url = auth.admit(&oidc_url).map_err(malformed)?;
    let answer = Call {
        method: Method::Get,
        url: &oidc_url,
        application_id: None,
        headers: vec![],
        body: None,
        what: WHAT,
    }
    .send()
    .await?;
    if answer.status != 200 {
        return Err(PortalError::Upstream {
            what: WHAT.into(),
            detail: format!("OIDC metadata answered {}", answer.status),
        });
    }
    let oidc: OidcMetadata = answer.json(WHAT)?;
    for url in [
        Some(&oidc.authorization_endpoint),
        Some(&oidc.token_endpoint),
        oidc.revocation_endpoint.as_ref(),
        oidc.end_session_endpoint.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        auth.admit(url)
            .map_err(|e| malformed(format!("OIDC endpoint {url} {e}")))?;
    }
    Ok(Customer {
        discovery,
        list_resources,
        oidc,
        store,
        fetched_at: now(),
    })
}

/// The origins the store may use: the configured one, the customer domain discovery names,
/// and the origins of the store's endpoints. Discovery itself came from the configured origin,
/// so what it names is the tenant speaking.
fn store_origins(config: &Config, discovery: &Discovery) -> Trusted {
    let mut store = Trusted::new(config.workspace.clone());
    if let Some(o) = domain_origin(config, discovery.client_settings.customer_domain.as_deref()) {
        store.add(o);
    }
    for (_, endpoint) in discovery.endpoints().filter(|(s, _)| *s == "store") {
        if let Ok(o) = Origin::parse(&endpoint.url) {
            store.add(o);
        }
    }
    store
}

/// A domain named by discovery (`acme.cloud.com`, or a host and port), on the configured
/// scheme; a value that is not a plain host is ignored.
fn domain_origin(config: &Config, domain: Option<&str>) -> Option<Origin> {
    let domain = domain?.trim();
    if domain.is_empty() || domain.contains(['/', '@', '?', '#', '\\']) {
        return None;
    }
    let scheme = config.workspace.as_str().split_once("://")?.0;
    Origin::parse(&format!("{scheme}://{domain}")).ok()
}

/// Where the authorization server's metadata is: as discovery says, or where the public samples
/// look when it does not (logged, so an admin can tell).
fn oidc_metadata_url(discovery: &Discovery) -> String {
    match discovery
        .client_settings
        .oidc_configuration
        .oidc_discovery_endpoint
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(url) => url.to_owned(),
        None => {
            log_fallback();
            FALLBACK_OIDC_METADATA.to_owned()
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn log_fallback() {
    worker::console_warn!(
        "discovery names no oidc_discovery_endpoint; using the Citrix Cloud authority {FALLBACK_OIDC_METADATA}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
fn log_fallback() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_refusals_name_what_to_fix() {
        assert_eq!(refusal(200, "acme.cloud.com", None), None);
        let unknown = refusal(404, "acme.cloud.com", None)
            .unwrap()
            .to_api()
            .1
            .message;
        assert!(unknown.contains("acme.cloud.com") && unknown.contains("WORKSPACE_URL"));
        for status in [400, 401, 403] {
            let (code, body) = refusal(status, "h", None).unwrap().to_api();
            assert_eq!(code, 500);
            assert!(body.message.contains("APPLICATION_ID") && body.message.contains("5 minutes"));
        }
        let (code, body) = refusal(503, "h", None).unwrap().to_api();
        assert_eq!(code, 502);
        assert!(body.retryable);
        let canonical = Url::parse("https://acme.cloud.com/citrixapi/discovery").unwrap();
        let moved = refusal(307, "workspace.acme.com", Some(&canonical))
            .unwrap()
            .to_api()
            .1
            .message;
        assert!(
            moved.contains("redirects to https://acme.cloud.com")
                && moved.contains("Set WORKSPACE_URL"),
            "{moved}"
        );
    }

    fn config(workspace: &str) -> Config {
        Config::parse(|k| {
            Some(match k {
                "WORKSPACE_URL" => workspace.into(),
                "APPLICATION_ID" => "app".into(),
                "CLIENT_ID" | "CLIENT_SECRET" => "x".into(),
                "SESSION_KEY" => "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
                _ => return None,
            })
        })
        .unwrap()
    }

    #[test]
    fn the_store_may_use_the_origins_discovery_names_and_no_others() {
        let d: Discovery = serde_json::from_str(
            r#"{"services":[
                 {"service":"store","endpoints":[
                   {"id":"ListResources","url":"https://acme.cloud.com/citrixapi/store/resources","capabilities":null}]},
                 {"service":"telemetry","endpoints":[{"id":"Send","url":"https://evil.example/t"}]},
                 {"service":"sessions","endpoints":null}],
               "clientSettings":{"customerDomain":"acme.cloud.com","authDomain":null,"promptLoginEnabled":null}}"#,
        )
        .unwrap();
        let store = store_origins(&config("https://workspace.acme.com"), &d);
        assert_eq!(
            store.names(),
            "https://workspace.acme.com, https://acme.cloud.com"
        );
        assert!(store.admit("https://evil.example/t").is_err());
        // A customer domain that is not a plain host names nothing.
        let c = config("https://acme.cloud.com");
        for bad in ["evil.example/x", "u@evil.example", ""] {
            assert_eq!(domain_origin(&c, Some(bad)), None, "{bad}");
        }
        assert_eq!(
            domain_origin(&config("http://127.0.0.1:8788"), Some("127.0.0.1:9000")),
            Origin::parse("http://127.0.0.1:9000").ok()
        );
    }

    #[test]
    fn without_an_oidc_discovery_endpoint_the_samples_authority_is_used() {
        for settings in [
            r#"{}"#,
            r#"{"clientSettings":null}"#,
            r#"{"clientSettings":{"oidcConfiguration":null}}"#,
            r#"{"clientSettings":{"oidcConfiguration":{"oidc_discovery_endpoint":null}}}"#,
            r#"{"clientSettings":{"oidcConfiguration":{"oidc_discovery_endpoint":" "}}}"#,
        ] {
            let d: Discovery = serde_json::from_str(settings).unwrap();
            assert_eq!(oidc_metadata_url(&d), FALLBACK_OIDC_METADATA, "{settings}");
        }
        let d: Discovery = serde_json::from_str(
            r#"{"clientSettings":{"oidcConfiguration":{"oidc_discovery_endpoint":"https://a/x"}}}"#,
        )
        .unwrap();
        assert_eq!(oidc_metadata_url(&d), "https://a/x");
    }
}
