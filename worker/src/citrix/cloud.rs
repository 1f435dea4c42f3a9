//! The Citrix Cloud API client that rotates the portal's secret (seed: oauth-client-management.txt,
//! "Programmatic Rotation"): a client-credentials token from `CC_TRUST_URL`, then `rpclients`,
//! `$rotateSecret` and `$expireOldSecret` with `Authorization: CWSAuth bearer=<token>`.
//!
//! Errors are plain text for the rotation's run record, which admins see: they name the call and
//! the status, never a body (a `$rotateSecret` body holds the new secret) or a token.

use serde::{Deserialize, Serialize};
use worker::Method;

use crate::citrix::upstream::{self, Answer};
use crate::citrix::workspace::{Items, TokenAnswer};
use crate::config::CloudApi;
use crate::crypto::SecretValue;

/// Renew the Citrix Cloud API token this long before it expires.
const TOKEN_MARGIN_SECS: u64 = 300;

/// A Citrix Cloud API bearer token.
#[derive(Clone)]
pub struct CloudToken {
    /// The token.
    pub value: String,
    /// When to stop using it (its expiry less a margin), Unix seconds.
    pub use_until: u64,
}

impl std::fmt::Debug for CloudToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudToken")
            .field("value", &"[redacted]")
            .field("use_until", &self.use_until)
            .finish()
    }
}

/// Parses the token endpoint's answer.
pub fn parse_token(body: &[u8], now: u64) -> Result<CloudToken, String> {
    let answer: TokenAnswer = serde_json::from_slice(body)
        .map_err(|e| format!("the token answer is not the expected JSON ({e})"))?;
    if answer.access_token().is_empty() {
        return Err("the token answer holds no access_token".into());
    }
    // Citrix Cloud sends the lifetime as a string; the OAuth spec as a number.
    let lifetime = answer.expires_in().map_or(3600, |d| d.as_secs());
    Ok(CloudToken {
        value: answer.access_token().to_owned(),
        // Saturating: the lifetime is the upstream's number, as large as it likes.
        use_until: now.saturating_add(lifetime.saturating_sub(TOKEN_MARGIN_SECS)),
    })
}

fn form(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn failed(call: &str, answer: &Answer) -> String {
    format!("{call} answered HTTP {}", answer.status)
}

/// One call to the Citrix Cloud API, as the rotation asks for it (it never makes one itself).
#[derive(Debug, Clone)]
pub enum Call {
    /// `POST {CC_TRUST_URL}/cctrustoauth2/{CUSTOMER_ID}/tokens/clients`, client credentials:
    /// the answer is for [`parse_token`].
    Token,
    /// `GET {CWS_API_URL}/{CUSTOMER_ID}/rpclients`: the answer is for [`parse_rpclients`].
    List(CloudToken),
    /// `POST …/rpclients/{name}/$rotateSecret`: the answer, for [`parse_rotated`], holds the
    /// new secret.
    Rotate {
        /// The client's `name`.
        name: String,
        /// The API token.
        token: CloudToken,
    },
    /// `POST …/rpclients/{name}/$expireOldSecret`: 200 with an empty body.
    ExpireOld {
        /// The client's `name`.
        name: String,
        /// The API token.
        token: CloudToken,
    },
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailed {
    /// For the run record: the call and the status, never a body or a token.
    pub error: String,
    /// Citrix Cloud refused the token (401): get a new one.
    pub stale_token: bool,
}

/// A call's answer: the body of a 200, or why not.
pub type Reply = Result<Vec<u8>, CallFailed>;

/// Makes `call`.
pub async fn send(api: &CloudApi, call: &Call) -> Reply {
    let (method, url, what, token) = match call {
        Call::Token => (
            Method::Post,
            api.token_url(),
            "the Citrix Cloud token endpoint",
            None,
        ),
        Call::List(token) => (Method::Get, api.rpclients_url(), "rpclients", Some(token)),
        Call::Rotate { name, token } => (
            Method::Post,
            api.action_url(name, "$rotateSecret"),
            "$rotateSecret",
            Some(token),
        ),
        Call::ExpireOld { name, token } => (
            Method::Post,
            api.action_url(name, "$expireOldSecret"),
            "$expireOldSecret",
            Some(token),
        ),
    };
    let body = token.is_none().then(|| {
        let form = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            form(&api.client_id),
            form(&api.client_secret)
        );
        ("application/x-www-form-urlencoded", form.into_bytes())
    });
    let answer = upstream::Call {
        method,
        url: &url,
        application_id: None,
        headers: token
            .map(|t| ("Authorization", format!("CWSAuth bearer={}", t.value)))
            .into_iter()
            .collect(),
        body,
        what,
    }
    .send()
    .await
    .map_err(|e| CallFailed {
        error: e.log_line(),
        stale_token: false,
    })?;
    match (answer.status, token) {
        (200, _) => Ok(answer.body),
        (400 | 401, None) => Err(CallFailed {
            error: format!(
                "{} (check CC_CLIENT_ID and CC_CLIENT_SECRET, and CUSTOMER_ID)",
                failed(what, &answer)
            ),
            stale_token: false,
        }),
        (status, token) => Err(CallFailed {
            error: failed(what, &answer),
            stale_token: status == 401 && token.is_some(),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// What the API answers

/// One entry of `GET {CWS_API_URL}/{CUSTOMER_ID}/rpclients`. Unknown fields are ignored; a
/// `null` or missing value is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpClient {
    /// The name `$rotateSecret` and `$expireOldSecret` take.
    #[serde(default, deserialize_with = "crate::citrix::workspace::or_default")]
    pub name: String,
    /// The name people see.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The OAuth client id, or the application id: the seed never says which.
    #[serde(default, deserialize_with = "crate::citrix::workspace::or_default")]
    pub api_key: String,
    /// When the current secret was issued, Unix seconds; `null` for a public client.
    #[serde(default)]
    pub secret_update_time: Option<u64>,
    /// When the current secret expires; `null` for a public client.
    #[serde(default)]
    pub secret_expiration: Option<u64>,
    /// When the old secret was replaced; `null` unless there is one.
    #[serde(default)]
    pub secret_update_time_old: Option<u64>,
    /// When the old secret expires; `null` unless there is one.
    #[serde(default)]
    pub secret_expiration_old: Option<u64>,
    /// The owner's contact.
    #[serde(default)]
    pub owner: Option<String>,
    /// `false` when disabled; absent means enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `private` or `public`, when given.
    #[serde(default)]
    pub client_type: Option<String>,
}

/// The answer to `$rotateSecret`: the client as it now is and the new secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rotated {
    /// The client after the rotation.
    pub client: RpClient,
    /// The new secret.
    pub secret: SecretValue,
}

/// Parses the `rpclients` list; an entry that does not parse is left out (it cannot be ours
/// in any usable way) and logged by the caller.
pub fn parse_rpclients(body: &str) -> Result<Items<RpClient>, String> {
    serde_json::from_str(body).map_err(|e| format!("rpclients list: {e}"))
}

/// Parses the `$rotateSecret` answer. The error never contains the body, which holds a secret.
pub fn parse_rotated(body: &str) -> Result<Rotated, String> {
    serde_json::from_str(body).map_err(|e| {
        format!(
            "$rotateSecret answer: {} at line {} column {}",
            match e.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "not JSON",
                serde_json::error::Category::Data => "unexpected shape",
                serde_json::error::Category::Eof => "cut short",
            },
            e.line(),
            e.column()
        )
    })
}

/// How the portal's own client is recognised in `rpclients`.
#[derive(Debug, Clone, Copy)]
pub struct Ours<'a> {
    /// `CLIENT_NAME`, when the admin set it: then only that name matches.
    pub name: Option<&'a str>,
    /// `CLIENT_ID`.
    pub client_id: &'a str,
    /// `APPLICATION_ID`.
    pub application_id: &'a str,
}

/// Our client in the list: by `CLIENT_NAME` when set; else the entry whose `api_key` is our
/// client id, or our application id (the seed never says which `api_key` holds), else whose
/// `name` is our client id. When none is, the names listed, for the admin to choose from.
pub fn find_client<'a>(clients: &'a [RpClient], ours: &Ours) -> Result<&'a RpClient, Vec<String>> {
    let found = match ours.name {
        Some(name) => clients.iter().find(|c| c.name == name),
        None => [ours.client_id, ours.application_id]
            .iter()
            .filter(|key| !key.is_empty())
            .find_map(|key| clients.iter().find(|c| c.api_key == *key))
            .or_else(|| clients.iter().find(|c| c.name == ours.client_id)),
    };
    found.ok_or_else(|| {
        clients
            .iter()
            .map(|c| match &c.display_name {
                Some(d) if !d.is_empty() && *d != c.name => format!("{} ({d})", c.name),
                _ => c.name.clone(),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_come_as_numbers_or_strings_and_are_used_with_a_margin() {
        let t = parse_token(br#"{"access_token":"t1","expires_in":3600}"#, 1000).unwrap();
        assert_eq!((t.value.as_str(), t.use_until), ("t1", 1000 + 3300));
        let t = parse_token(
            br#"{"token_type":"bearer","access_token":"t2","expires_in":"600"}"#,
            0,
        )
        .unwrap();
        assert_eq!(t.use_until, 300);
        let t = parse_token(br#"{"access_token":"t3","expires_in":60}"#, 0).unwrap();
        assert_eq!(t.use_until, 0, "a short-lived token is used once");
    }

    #[test]
    fn an_endless_lifetime_is_used_until_the_end_of_time_not_a_panic() {
        // Found by `fuzz::a_cloud_token_of_any_lifetime_is_used_until_a_sane_time`.
        let t = parse_token(
            br#"{"access_token":"t","expires_in":"18446744073709551615"}"#,
            1_700_000_000,
        )
        .unwrap();
        assert_eq!(t.use_until, u64::MAX);
    }

    #[test]
    fn malformed_token_answers_are_errors_without_the_body() {
        let err = parse_token(br#"{"access_token":"#, 0).unwrap_err();
        assert!(err.contains("not the expected JSON"), "{err}");
        assert!(parse_token(br#"{"access_token":""}"#, 0).is_err());
        let err = parse_token(br#"{"token":"secret-looking"}"#, 0).unwrap_err();
        assert!(!err.contains("secret-looking"), "{err}");
    }

    #[test]
    fn rpclients_entries_parse_with_nulls_and_unknown_fields() {
        let body = r#"[
          { "name": "customer-private-305", "display_name": "Demo Client", "api_key": "api_key",
            "secret_update_time": 1686218219, "secret_expiration": 1693958400,
            "secret_update_time_old": null, "secret_expiration_old": null,
            "owner": "customer@customer.com", "redirect_uris": ["https://x"], "user_consent": false },
          { "name": "customer-public-1", "api_key": "pub", "secret_update_time": null,
            "secret_expiration": null, "enabled": false, "client_type": "public" },
          { "name": null, "api_key": null, "display_name": null, "owner": null, "tags": [] },
          { "name": "broken", "secret_expiration": "soon" }
        ]"#;
        let list = parse_rpclients(body).unwrap();
        let (list, skipped) = (list.good, list.skipped);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].secret_expiration, Some(1_693_958_400));
        assert_eq!(list[0].secret_expiration_old, None);
        assert_eq!(list[0].enabled, None, "absent means enabled");
        assert_eq!(list[1].enabled, Some(false));
        assert_eq!((list[2].name.as_str(), list[2].api_key.as_str()), ("", ""));
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].id, None, "{}", skipped[0]);
        assert!(parse_rpclients("{}").unwrap_err().contains("rpclients"));
    }

    const ID: &str = "portal-client-id";
    const NAME: &str = "customer-private-305";

    fn ours(client_id: &str) -> Ours<'_> {
        Ours {
            name: None,
            client_id,
            application_id: "",
        }
    }

    #[test]
    fn our_client_is_found_by_name_api_key_or_application_id_and_never_silently_missing() {
        let list = parse_rpclients(
            r#"[{"name": "customer-private-999", "display_name": "Workspace Portal", "api_key": "someone-else"},
                {"name": "customer-private-305", "display_name": "Workspace Portal", "api_key": "portal-client-id"}]"#,
        )
        .unwrap()
        .good;
        assert_eq!(find_client(&list, &ours(ID)).unwrap().name, NAME);
        assert_eq!(find_client(&list, &ours(NAME)).unwrap().api_key, ID);
        // The id wins over a name that happens to equal it.
        let mut tricky = list.clone();
        tricky[0].name = ID.into();
        assert_eq!(find_client(&tricky, &ours(ID)).unwrap().name, NAME);
        // An empty api_key never matches.
        assert!(find_client(&list, &ours("")).is_err());
        // api_key may hold the application id instead of the client id.
        let mut by_app = list.clone();
        by_app[1].api_key = "app-id".into();
        let ours_by_app = Ours {
            application_id: "app-id",
            ..ours(ID)
        };
        assert_eq!(find_client(&by_app, &ours_by_app).unwrap().name, NAME);
        // CLIENT_NAME decides alone when set.
        let named = |name| Ours {
            name: Some(name),
            ..ours(ID)
        };
        assert_eq!(find_client(&list, &named(NAME)).unwrap().name, NAME);
        // Not found: the names listed, with the display names, for the admin to choose from.
        let listed = find_client(&list, &named("someone-else")).unwrap_err();
        assert_eq!(
            listed,
            [
                "customer-private-999 (Workspace Portal)",
                "customer-private-305 (Workspace Portal)"
            ]
        );
    }

    #[test]
    fn rotate_answers_parse_and_errors_never_echo_the_secret() {
        let body = r#"{ "client": { "name": "customer-private-305", "api_key": "api_key",
            "secret_update_time": 1691151918, "secret_expiration": 1698927918,
            "secret_update_time_old": 1691151918, "secret_expiration_old": 1693958400 },
            "secret": "NEW-SECRET-VALUE" }"#;
        let r = parse_rotated(body).unwrap();
        assert_eq!(r.secret.expose(), "NEW-SECRET-VALUE");
        assert_eq!(r.client.secret_expiration_old, Some(1_693_958_400));
        let err = parse_rotated(r#"{"secret": "NEW-SECRET-VALUE", "client": 3}"#).unwrap_err();
        assert!(!err.contains("NEW-SECRET-VALUE"), "{err}");
        assert!(err.contains("$rotateSecret"), "{err}");
    }
}
