//! Citrix Workspace API payloads, tolerant of the API's revisions.
//!
//! Field names follow the public samples (camelCase, except `acr_values` and
//! `oidc_discovery_endpoint`, which the samples spell in snake case).

use serde::Deserialize;

/// The discovery document: `GET {customer}/citrixapi/discovery/configurations`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovery {
    /// Groups of endpoints, e.g. the `store` service.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Scopes the customer's authorization server grants to Workspace clients.
    #[serde(default)]
    pub auth_scopes: Vec<String>,
    /// How to authenticate against this customer.
    pub client_settings: ClientSettings,
}

impl Discovery {
    /// The URL of endpoint `id` of service `service`, as discovery states it.
    ///
    /// Clients must never build Workspace URLs themselves (getting-started docs), so this is the
    /// only way the portal finds one.
    pub fn endpoint(&self, service: &str, id: &str) -> Option<&str> {
        self.services
            .iter()
            .filter(|s| s.service == service)
            .flat_map(|s| s.endpoints.iter())
            .find(|e| e.id == id)
            .map(|e| e.url.as_str())
    }
}

/// One service of the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Service {
    /// The service's constant name, e.g. `store`.
    pub service: String,
    /// The service's endpoints.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint of a discovery service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoint {
    /// The endpoint's constant id, e.g. `ListResources`.
    pub id: String,
    /// Absolute URL of the endpoint.
    pub url: String,
    /// Optional capability list.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// `clientSettings` of the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSettings {
    /// The customer's Workspace domain, e.g. `acme.cloud.com`.
    #[serde(default)]
    pub customer_domain: Option<String>,
    /// The authentication domain.
    #[serde(default)]
    pub auth_domain: Option<String>,
    /// Whether the authorize request must carry `prompt=login`.
    #[serde(default)]
    pub prompt_login_enabled: bool,
    /// Value for the authorize request's `acr_values`.
    #[serde(default, rename = "acr_values")]
    pub acr_values: Option<String>,
    /// Where the OpenID Connect provider's metadata lives.
    pub oidc_configuration: OidcConfiguration,
}

/// `clientSettings.oidcConfiguration` of the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OidcConfiguration {
    /// URL of the provider's `.well-known/openid-configuration`.
    pub oidc_discovery_endpoint: String,
}

/// The subset of OpenID Provider metadata the portal uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OidcMetadata {
    /// The issuer identifier that ID tokens must carry in `iss`.
    pub issuer: String,
    /// Where users are sent to sign in.
    pub authorization_endpoint: String,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: String,
    /// Where refresh tokens are revoked at sign-out.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// Where the user's claims can be read.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

/// The store's enumeration answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceList {
    /// Every resource published to the user.
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// One published app or desktop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Stable id of the resource (`id` in StoreFront's heritage).
    #[serde(alias = "id")]
    pub resource_id: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// StoreFront-style type, e.g. `Citrix.MPS.Desktop` or `Citrix.MPS.Application`.
    #[serde(default, rename = "type")]
    pub resource_type: Option<String>,
    /// Explicit desktop flag, where the API sends one.
    #[serde(default)]
    pub is_desktop: Option<bool>,
    /// Category folder in StoreFront form, e.g. `\Office\Tools\`.
    #[serde(default)]
    pub path: Option<String>,
    /// Whether the user marked the resource as a favourite.
    #[serde(default, alias = "favorite")]
    pub is_favorite: bool,
    /// How the resource can be opened; only `ica30` can be launched through the API.
    #[serde(default)]
    pub client_types: Vec<String>,
    /// Whether the resource is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Hypermedia links; clients must not build these URLs themselves.
    #[serde(default)]
    pub links: ResourceLinks,
}

/// Links of a resource, in either API generation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceLinks {
    /// Icon URL.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Current generation (GET): ticketed launch status.
    #[serde(default)]
    pub ica_file_fetch_ticket_url: Option<String>,
    /// Current generation (GET): ICA file.
    #[serde(default)]
    pub ica_file_url: Option<String>,
    /// Older generation (POST): ticketed launch status.
    #[serde(default)]
    pub launch_status_url: Option<String>,
    /// Older generation: ICA file.
    #[serde(default)]
    pub launch_url: Option<String>,
    /// Add (POST) or remove (DELETE) the resource from favourites.
    #[serde(default)]
    pub favorite_url: Option<String>,
}

/// A launch-status answer in either form: the seed's 202/201 bodies or the samples' 200 body
/// with `status`. The HTTP status decides which fields matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchAnswer {
    /// Samples' form: `success`, `retry` or `failure`.
    #[serde(default)]
    pub status: Option<String>,
    /// Seconds to wait before polling again.
    #[serde(default)]
    pub poll_timeout: Option<u32>,
    /// Where to poll when a retry is required.
    #[serde(default)]
    pub retry_url: Option<String>,
    /// Key of the pending launch.
    #[serde(default)]
    pub retry_key: Option<String>,
    /// The `receiver://` URI carrying a one-time ticket.
    #[serde(default)]
    pub receiver_uri: Option<String>,
    /// Why the launch failed, e.g. `UnavailableDesktop`.
    #[serde(default)]
    pub error_id: Option<String>,
    /// Whether restarting the desktop may help.
    #[serde(default)]
    pub suggest_restart: Option<bool>,
}

/// An OAuth 2.0 error body (RFC 6749 §5.2), as the Workspace API sends on bad tokens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OAuthErrorBody {
    /// The error code, e.g. `invalid_grant`.
    pub error: String,
    /// Human-readable detail.
    #[serde(default)]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_finds_endpoint_by_service_and_id() {
        let d: Discovery = serde_json::from_str(
            r#"{"services":[{"service":"store","endpoints":[
                {"id":"ListResources","url":"https://acme.cloud.com/citrixapi/store/resources"}]}],
               "clientSettings":{"acr_values":"tenant:acme","promptLoginEnabled":true,
                 "oidcConfiguration":{"oidc_discovery_endpoint":"https://accounts.cloud.com/core/.well-known/openid-configuration"}},
               "somethingNew": 1}"#,
        )
        .unwrap();
        assert_eq!(
            d.endpoint("store", "ListResources"),
            Some("https://acme.cloud.com/citrixapi/store/resources")
        );
        assert_eq!(d.endpoint("store", "Nope"), None);
        assert_eq!(d.endpoint("auth", "ListResources"), None);
        assert!(d.client_settings.prompt_login_enabled);
        assert_eq!(d.client_settings.acr_values.as_deref(), Some("tenant:acme"));
    }

    #[test]
    fn resource_accepts_both_link_generations() {
        let old: Resource = serde_json::from_str(
            r#"{"id":"r1","name":"Calc","links":{"launchStatusUrl":"a","launchUrl":"b"}}"#,
        )
        .unwrap();
        assert_eq!(old.resource_id, "r1");
        assert_eq!(old.links.launch_status_url.as_deref(), Some("a"));
        let new: Resource = serde_json::from_str(
            r#"{"resourceId":"r2","name":"Desk","links":{"icaFileFetchTicketUrl":"c","icaFileUrl":"d"}}"#,
        )
        .unwrap();
        assert_eq!(new.links.ica_file_fetch_ticket_url.as_deref(), Some("c"));
        assert_eq!(new.links.ica_file_url.as_deref(), Some("d"));
    }
}
