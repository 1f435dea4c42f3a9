//! Workspace discovery and the authorization server's metadata, cached per isolate for five
//! minutes as the samples do.

use std::cell::RefCell;

use portal_shared::workspace::{Discovery, OidcMetadata};
use worker::{Method, Url};

use crate::config::Config;
use crate::error::PortalError;
use crate::origin::Origin;
use crate::upstream::Call;

const TTL_SECS: u64 = 300;

/// Discovery plus the OIDC metadata it points at, with every URL admitted.
#[derive(Debug, Clone)]
pub struct Customer {
    /// The discovery document.
    pub discovery: Discovery,
    /// The store's enumeration URL.
    pub list_resources: Url,
    /// The authorization server's metadata.
    pub oidc: OidcMetadata,
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
        Customer {
            discovery,
            list_resources: Url::parse(&list).expect("a URL"),
            oidc: serde_json::from_str(oidc_json).expect("OIDC metadata JSON"),
            fetched_at: 0,
        }
    }
}

thread_local! {
    static CACHE: RefCell<Option<Customer>> = const { RefCell::new(None) };
}

/// Seconds since the Unix epoch, from the runtime's clock.
pub fn now() -> u64 {
    worker::Date::now().as_millis() / 1000
}

/// The customer's discovery data, from cache when fresh.
pub async fn customer(config: &Config) -> Result<Customer, PortalError> {
    let cached = CACHE.with(|c| c.borrow().clone());
    if let Some(c) = cached.filter(|c| now() < c.fetched_at + TTL_SECS) {
        return Ok(c);
    }
    let fresh = fetch(config).await?;
    CACHE.with(|c| *c.borrow_mut() = Some(fresh.clone()));
    Ok(fresh)
}

/// What a non-200 discovery answer means, in words an administrator can act on.
fn refusal(status: u16, host: &str) -> Option<PortalError> {
    match status {
        200 => None,
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
    if let Some(e) = refusal(answer.status, &config.workspace.host()) {
        return Err(e);
    }
    let discovery: Discovery = answer.json(WHAT)?;
    let malformed = |detail: String| PortalError::UpstreamMalformed {
        what: WHAT.into(),
        detail,
    };
    let list_resources = discovery
        .endpoint("store", "ListResources")
        .ok_or_else(|| malformed("discovery has no store/ListResources endpoint".into()))
        .and_then(|u| {
            config
                .workspace
                .admit(u)
                .map_err(|e| malformed(format!("ListResources URL {e}")))
        })?;
    let oidc_url = &discovery
        .client_settings
        .oidc_configuration
        .oidc_discovery_endpoint;
    let auth_origin =
        Origin::parse(oidc_url).map_err(|e| malformed(format!("oidc_discovery_endpoint {e}")))?;
    let oidc_url = auth_origin.admit(oidc_url).map_err(malformed)?;
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
    ]
    .into_iter()
    .flatten()
    {
        auth_origin
            .admit(url)
            .map_err(|e| malformed(format!("OIDC endpoint {url} {e}")))?;
    }
    Ok(Customer {
        discovery,
        list_resources,
        oidc,
        fetched_at: now(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_refusals_name_what_to_fix() {
        assert_eq!(refusal(200, "acme.cloud.com"), None);
        let unknown = refusal(404, "acme.cloud.com").unwrap().to_api().1.message;
        assert!(unknown.contains("acme.cloud.com") && unknown.contains("WORKSPACE_URL"));
        for status in [400, 401, 403] {
            let (code, body) = refusal(status, "h").unwrap().to_api();
            assert_eq!(code, 500);
            assert!(body.message.contains("APPLICATION_ID") && body.message.contains("5 minutes"));
        }
        let (code, body) = refusal(503, "h").unwrap().to_api();
        assert_eq!(code, 502);
        assert!(body.retryable);
    }
}
