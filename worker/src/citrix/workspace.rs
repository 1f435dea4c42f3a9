//! What Citrix Cloud sends the worker: Workspace discovery, OIDC metadata, the store's
//! enumeration and launch answers, OAuth error bodies.
//!
//! Every type is lenient, because a real tenant is a .NET service that writes `null` for what it
//! does not know, adds fields over time and has renamed links twice
//! (`reference/workspace-api.md` §7, §9):
//! - a `null` or missing optional value is absent (never an error);
//! - unknown fields are ignored;
//! - both spellings of an id (`resourceId`, `id`) may be present at once;
//! - numbers may come as strings (`"pollTimeout": "5"`);
//! - in a list, an item that does not parse is skipped and reported ([`Items`]), never fatal to
//!   the list.
//!
//! Field names follow the public samples (camelCase, except `acr_values` and
//! `oidc_discovery_endpoint`, which the samples spell in snake case).

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// `null` or absent becomes the type's default (an empty list, `false`, no links).
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// A whole number that may come as a JSON number or a numeric string; `null`, absent or
/// anything else is absent.
pub(crate) fn lenient_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(u64),
        Float(f64),
        Text(String),
        Other(serde::de::IgnoredAny),
    }
    let n = match Option::<Number>::deserialize(d)? {
        Some(Number::Int(n)) => Some(n),
        Some(Number::Float(f)) if f.is_finite() && f >= 0.0 => Some(f.round() as u64),
        Some(Number::Text(s)) => s.trim().parse().ok(),
        _ => None,
    };
    Ok(n.and_then(|n| T::try_from(n).ok()))
}

/// A list whose items are parsed one by one: the ones that parse are kept, the others skipped
/// and described, so one bad item costs only itself. `null` or absent is an empty list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items<T> {
    /// The items that parsed, in the upstream's order.
    pub good: Vec<T>,
    /// The ones that did not.
    pub skipped: Vec<Skipped>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items {
            good: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// An item of a list that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its id, when it has a readable one (for the log).
    pub id: Option<String>,
    /// Why it was skipped (for the log; never shown to users).
    pub error: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{id:?}: {}", self.error),
            None => write!(f, "(no id): {}", self.error),
        }
    }
}

/// The id of an item that did not parse, if it has one under a name the API uses.
fn readable_id(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Ids {
        #[serde(default)]
        resource_id: Option<serde_json::Value>,
        #[serde(default)]
        id: Option<serde_json::Value>,
        #[serde(default)]
        service: Option<serde_json::Value>,
    }
    let ids: Ids = serde_json::from_str(raw.get()).ok()?;
    [ids.resource_id, ids.id, ids.service]
        .into_iter()
        .flatten()
        .find_map(|v| match v {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw: Vec<Box<RawValue>> = or_default(d)?;
        let mut items = Items {
            good: Vec::with_capacity(raw.len()),
            skipped: Vec::new(),
        };
        for item in raw {
            match serde_json::from_str::<T>(item.get()) {
                Ok(t) => items.good.push(t),
                Err(e) => items.skipped.push(Skipped {
                    id: readable_id(&item),
                    error: e.to_string(),
                }),
            }
        }
        Ok(items)
    }
}

/// The discovery document: `GET {customer}/citrixapi/discovery/configurations`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovery {
    /// Groups of endpoints, e.g. the `store` service.
    #[serde(default)]
    pub services: Items<Service>,
    /// Scopes the customer's authorization server grants to Workspace clients.
    #[serde(default, deserialize_with = "or_default")]
    pub auth_scopes: Vec<String>,
    /// How to authenticate against this customer.
    #[serde(default, deserialize_with = "or_default")]
    pub client_settings: ClientSettings,
}

impl Discovery {
    /// The URL of endpoint `id` of service `service`, as discovery states it.
    ///
    /// Clients must never build Workspace URLs themselves (getting-started docs), so this is the
    /// only way the portal finds one.
    pub fn endpoint(&self, service: &str, id: &str) -> Option<&str> {
        self.endpoints()
            .find(|(s, e)| *s == service && e.id == id)
            .map(|(_, e)| e.url.as_str())
    }

    /// Every endpoint with its service's name.
    pub fn endpoints(&self) -> impl Iterator<Item = (&str, &Endpoint)> {
        self.services
            .good
            .iter()
            .flat_map(|s| s.endpoints.good.iter().map(|e| (s.service.as_str(), e)))
    }
}

/// One service of the discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Service {
    /// The service's constant name, e.g. `store`.
    pub service: String,
    /// The service's endpoints.
    #[serde(default)]
    pub endpoints: Items<Endpoint>,
}

/// One endpoint of a discovery service.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoint {
    /// The endpoint's constant id, e.g. `ListResources`.
    pub id: String,
    /// Absolute URL of the endpoint.
    pub url: String,
    /// Optional capability list.
    #[serde(default, deserialize_with = "or_default")]
    pub capabilities: Vec<String>,
}

/// `clientSettings` of the discovery document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSettings {
    /// The customer's Workspace domain, e.g. `acme.cloud.com`.
    #[serde(default)]
    pub customer_domain: Option<String>,
    /// The authentication domain.
    #[serde(default)]
    pub auth_domain: Option<String>,
    /// Whether the authorize request must carry `prompt=login`.
    #[serde(default, deserialize_with = "or_default")]
    pub prompt_login_enabled: bool,
    /// Value for the authorize request's `acr_values`.
    #[serde(default, rename = "acr_values")]
    pub acr_values: Option<String>,
    /// Where the OpenID Connect provider's metadata lives.
    #[serde(default, deserialize_with = "or_default")]
    pub oidc_configuration: OidcConfiguration,
}

/// `clientSettings.oidcConfiguration` of the discovery document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct OidcConfiguration {
    /// URL of the provider's `.well-known/openid-configuration`.
    #[serde(default)]
    pub oidc_discovery_endpoint: Option<String>,
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
    /// Where the browser ends its session at the provider (OpenID Connect RP-Initiated Logout).
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// The store's enumeration answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResourceList {
    /// Every resource published to the user that parsed, and the ones that did not.
    #[serde(default)]
    pub resources: Items<Resource>,
}

/// One published app or desktop.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Stable id of the resource, as the samples name it.
    #[serde(default)]
    resource_id: Option<String>,
    /// The same id in StoreFront's spelling; some answers carry both.
    #[serde(default)]
    id: Option<String>,
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
    #[serde(default)]
    is_favorite: Option<bool>,
    /// The same in StoreFront's spelling.
    #[serde(default)]
    favorite: Option<bool>,
    /// How the resource can be opened; only `ica30` can be launched through the API.
    #[serde(default, deserialize_with = "or_default")]
    pub client_types: Vec<String>,
    /// Whether the resource is enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Hypermedia links; clients must not build these URLs themselves.
    #[serde(default, deserialize_with = "or_default")]
    pub links: ResourceLinks,
}

impl Resource {
    /// The resource's id under either spelling (`resourceId` wins when both are present);
    /// `None` when it has none, which makes the resource unusable.
    pub fn id(&self) -> Option<&str> {
        self.resource_id
            .as_deref()
            .or(self.id.as_deref())
            .filter(|id| !id.is_empty())
    }

    /// Whether the user marked it as a favourite, under either spelling.
    pub fn is_favorite(&self) -> bool {
        self.is_favorite.or(self.favorite).unwrap_or(false)
    }
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
    #[serde(default, deserialize_with = "lenient_number")]
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

/// A token endpoint's answer (RFC 6749 §5.1), for the OIDC provider and the Citrix Cloud API
/// alike, read leniently: Citrix Cloud's APIs send `expires_in` as a string, the RFC as a number;
/// `token_type` may be missing or `null` (it is always a bearer token here).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenAnswer {
    /// The access token.
    access_token: String,
    /// Not used (always a bearer token), but a `token_type` that is not a string or `null`
    /// makes the answer malformed.
    #[serde(default, rename = "token_type")]
    _token_type: Option<String>,
    /// Lifetime in seconds, when stated.
    #[serde(default, deserialize_with = "lenient_number")]
    expires_in: Option<u64>,
    /// A (possibly rotated) refresh token.
    #[serde(default)]
    refresh_token: Option<String>,
    /// The OpenID Connect ID token.
    #[serde(default)]
    pub id_token: Option<String>,
}

impl TokenAnswer {
    /// The access token.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The access token's lifetime, when stated.
    pub fn expires_in(&self) -> Option<std::time::Duration> {
        self.expires_in.map(std::time::Duration::from_secs)
    }

    /// The refresh token, when one was sent.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_deref()
    }
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
        assert_eq!(old.id(), Some("r1"));
        assert_eq!(old.links.launch_status_url.as_deref(), Some("a"));
        let new: Resource = serde_json::from_str(
            r#"{"resourceId":"r2","name":"Desk","links":{"icaFileFetchTicketUrl":"c","icaFileUrl":"d"}}"#,
        )
        .unwrap();
        assert_eq!(new.links.ica_file_fetch_ticket_url.as_deref(), Some("c"));
        assert_eq!(new.links.ica_file_url.as_deref(), Some("d"));
    }

    #[test]
    fn numbers_may_be_strings_and_nonsense_is_absent() {
        for (json, want) in [
            (r#"{"pollTimeout":5}"#, Some(5)),
            (r#"{"pollTimeout":"7"}"#, Some(7)),
            (r#"{"pollTimeout":" 9 "}"#, Some(9)),
            (r#"{"pollTimeout":2.6}"#, Some(3)),
            (r#"{"pollTimeout":null}"#, None),
            (r#"{"pollTimeout":"soon"}"#, None),
            (r#"{"pollTimeout":-1}"#, None),
            (r#"{"pollTimeout":{"s":1}}"#, None),
            (r#"{"pollTimeout":99999999999}"#, None),
            (r#"{}"#, None),
        ] {
            let a: LaunchAnswer = serde_json::from_str(json).unwrap();
            assert_eq!(a.poll_timeout, want, "{json}");
        }
        let t: TokenAnswer = serde_json::from_str(
            r#"{"access_token":"a","expires_in":"3600","token_type":null,"refresh_token":null}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in(), Some(std::time::Duration::from_secs(3600)));
        assert!(t.refresh_token().is_none());
        // A token type is a string or nothing.
        assert!(
            serde_json::from_str::<TokenAnswer>(r#"{"access_token":"a","token_type":1}"#).is_err()
        );
    }

    #[test]
    fn a_list_keeps_its_good_items_and_names_the_bad_ones() {
        let list: ResourceList = serde_json::from_str(
            r#"{"resources":[
                {"resourceId":"a","name":"A"},
                {"resourceId":"bad","name":null},
                {"id":7,"name":"N","links":"nope"},
                42,
                {"resourceId":"b","name":"B"}
            ]}"#,
        )
        .unwrap();
        let ids: Vec<_> = list.resources.good.iter().map(|r| r.id()).collect();
        assert_eq!(ids, [Some("a"), Some("b")]);
        let skipped: Vec<_> = list
            .resources
            .skipped
            .iter()
            .map(|s| s.id.as_deref())
            .collect();
        assert_eq!(skipped, [Some("bad"), Some("7"), None]);
        assert!(list.resources.skipped[0].to_string().contains("\"bad\""));
        for absent in [r#"{}"#, r#"{"resources":null}"#] {
            let list: ResourceList = serde_json::from_str(absent).unwrap();
            assert_eq!(list.resources, Items::default(), "{absent}");
        }
    }

    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    /// Whether `value`, as a body, parses as a `T`.
    fn parses<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
        serde_json::from_str::<T>(&value.to_string())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Feeds a `T` its sample, then the sample with each field `null`, then without it, then with
    /// fields it never heard of: only a required field may be missed, and nothing else fails.
    fn tolerant<T: DeserializeOwned>(what: &str, sample: Value, required: &[&str]) {
        parses::<T>(&sample).unwrap_or_else(|e| panic!("{what}: the sample fails: {e}"));
        let fields = sample.as_object().expect("an object sample");
        for key in fields.keys() {
            let mut nulled = fields.clone();
            nulled.insert(key.clone(), Value::Null);
            let mut absent = fields.clone();
            absent.remove(key);
            for (how, variant) in [("null", nulled), ("absent", absent)] {
                let outcome = parses::<T>(&Value::Object(variant));
                if required.contains(&key.as_str()) {
                    assert!(outcome.is_err(), "{what}: {key} {how} must be refused");
                } else {
                    assert!(outcome.is_ok(), "{what}: {key} {how}: {outcome:?}");
                }
            }
        }
        let mut extra = fields.clone();
        extra.insert("someFutureField".into(), json!({"nested": [1, null, "x"]}));
        extra.insert("another_one".into(), Value::Null);
        parses::<T>(&Value::Object(extra))
            .unwrap_or_else(|e| panic!("{what}: unknown fields must be ignored: {e}"));
    }

    #[test]
    fn every_payload_type_takes_nulls_absences_and_extras() {
        let endpoint = json!({"id": "ListResources", "url": "https://acme.cloud.com/r", "capabilities": ["x"]});
        let service = json!({"service": "store", "endpoints": [endpoint]});
        let settings = json!({
            "customerDomain": "acme.cloud.com", "authDomain": "acme.cloud.com",
            "promptLoginEnabled": true, "acr_values": "tenant:acme",
            "oidcConfiguration": {"oidc_discovery_endpoint": "https://accounts.cloud.com/core/x"}
        });
        let links = json!({
            "imageUrl": "a", "icaFileFetchTicketUrl": "b", "icaFileUrl": "c",
            "launchStatusUrl": "d", "launchUrl": "e", "favoriteUrl": "f"
        });
        let resource = json!({
            "resourceId": "r", "id": "r", "name": "R", "description": "d",
            "type": "Citrix.MPS.Desktop", "isDesktop": true, "path": "\\A\\", "isFavorite": true,
            "favorite": true, "clientTypes": ["ica30"], "enabled": true, "links": links
        });
        tolerant::<Discovery>(
            "discovery",
            json!({"services": [service], "authScopes": ["openid"], "clientSettings": settings}),
            &[],
        );
        tolerant::<Service>("service", service, &["service"]);
        tolerant::<Endpoint>("endpoint", endpoint, &["id", "url"]);
        tolerant::<ClientSettings>("clientSettings", settings, &[]);
        tolerant::<OidcConfiguration>(
            "oidcConfiguration",
            json!({"oidc_discovery_endpoint": "https://a/x"}),
            &[],
        );
        tolerant::<OidcMetadata>(
            "OIDC metadata",
            json!({
                "issuer": "i", "authorization_endpoint": "a", "token_endpoint": "t",
                "revocation_endpoint": "r", "userinfo_endpoint": "u", "end_session_endpoint": "e"
            }),
            &["issuer", "authorization_endpoint", "token_endpoint"],
        );
        tolerant::<ResourceList>("resource list", json!({"resources": [resource]}), &[]);
        tolerant::<Resource>("resource", resource, &["name"]);
        tolerant::<ResourceLinks>("links", links, &[]);
        tolerant::<LaunchAnswer>(
            "launch answer",
            json!({
                "status": "retry", "pollTimeout": "5", "retryUrl": "u", "retryKey": "k",
                "receiverUri": "receiver://x", "errorId": "e", "suggestRestart": false
            }),
            &[],
        );
        tolerant::<OAuthErrorBody>(
            "OAuth error",
            json!({"error": "invalid_grant", "error_description": "d"}),
            &["error"],
        );
        tolerant::<TokenAnswer>(
            "token answer",
            json!({
                "access_token": "a", "token_type": "Bearer", "expires_in": "3600",
                "refresh_token": "r", "id_token": "i"
            }),
            &["access_token"],
        );
        tolerant::<crate::citrix::cloud::RpClient>(
            "rpclients entry",
            json!({
                "name": "n", "display_name": "d", "api_key": "k", "secret_update_time": 1,
                "secret_expiration": 2, "secret_update_time_old": 3, "secret_expiration_old": 4,
                "owner": "o", "enabled": true, "client_type": "private"
            }),
            &[],
        );
    }

    #[test]
    fn one_malformed_item_costs_only_itself_in_every_list() {
        let malformed = json!({"resourceId": "malformed-item", "id": "x", "service": 7, "name": null, "links": "no", "endpoints": "no", "url": 3});
        let d: Discovery = serde_json::from_value::<Value>(json!({
            "services": [
                {"service": "store", "endpoints": [
                    malformed, {"id": "ListResources", "url": "https://acme.cloud.com/r"}
                ]},
                malformed
            ]
        }))
        .map(|v| serde_json::from_str(&v.to_string()).unwrap())
        .unwrap();
        assert_eq!(
            d.endpoint("store", "ListResources"),
            Some("https://acme.cloud.com/r")
        );
        assert_eq!(d.services.skipped.len(), 1);
        assert_eq!(d.services.good[0].endpoints.skipped.len(), 1);
        let list: ResourceList = serde_json::from_str(
            &json!({"resources": [{"resourceId": "a", "name": "A"}, malformed]}).to_string(),
        )
        .unwrap();
        assert_eq!(list.resources.good.len(), 1);
        assert_eq!(
            list.resources.skipped[0].id.as_deref(),
            Some("malformed-item")
        );
        let clients = crate::citrix::cloud::parse_rpclients(
            &json!([{"name": "ours", "api_key": "k"}, {"name": ["not", "a", "name"]}]).to_string(),
        )
        .unwrap();
        assert_eq!((clients.good.len(), clients.skipped.len()), (1, 1));
    }

    #[test]
    fn the_public_samples_shapes_parse_end_to_end() {
        let d: Discovery =
            serde_json::from_str(include_str!("../../fixtures/samples/discovery.json")).unwrap();
        assert_eq!(
            d.endpoint("store", "ListResources"),
            Some("https://acme.cloud.com/citrixapi/store/resources")
        );
        assert!(!d.client_settings.prompt_login_enabled);
        for (body, launch_generation_is_get) in [
            (
                include_str!("../../fixtures/samples/resources-2026.json"),
                true,
            ),
            (
                include_str!("../../fixtures/samples/resources-2023.json"),
                false,
            ),
        ] {
            let (catalogue, links, skipped) =
                crate::citrix::catalogue::build(serde_json::from_str(body).unwrap());
            assert!(skipped.is_empty(), "{skipped:?}");
            let first = &catalogue.resources[0];
            assert!(first.launchable && first.icon_url.is_some(), "{first:?}");
            let (_, post) = links[&first.id].launch.clone().unwrap();
            assert_eq!(!post, launch_generation_is_get);
            assert!(catalogue.resources.iter().skip(1).all(|r| !r.launchable));
        }
        for (body, ready) in [
            (
                include_str!("../../fixtures/samples/launch-success.json"),
                true,
            ),
            (
                include_str!("../../fixtures/samples/launch-retry.json"),
                false,
            ),
        ] {
            let answer: LaunchAnswer = serde_json::from_str(body).unwrap();
            let step = crate::citrix::launch::normalise(200, &answer).unwrap();
            assert_eq!(
                matches!(step, crate::citrix::launch::Step::Ready { .. }),
                ready,
                "{step:?}"
            );
        }
    }
}
