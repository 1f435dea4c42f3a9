//! The worker's configuration, parsed once from the Workers environment.
//!
//! Parse, don't validate: every setting becomes a typed value here, and every problem is reported
//! at once in one message that names the setting and says how to fix it.

use std::cell::RefCell;
use std::ops::RangeInclusive;
use std::rc::Rc;

use portal_shared::api::User;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::crypto::Keyring;
use crate::http::error::PortalError;
use crate::http::origin::{Origin, OriginPattern};

/// The settings of the Citrix Cloud API, which rotation needs: all or none.
const ROTATION_SETTINGS: [&str; 5] = [
    "CUSTOMER_ID",
    "CWS_API_URL",
    "CC_TRUST_URL",
    "CC_CLIENT_ID",
    "CC_CLIENT_SECRET",
];

/// Why rotation does not run when its settings are absent, for admins.
pub const ROTATION_NOT_CONFIGURED: &str = "Rotation is not configured: set CUSTOMER_ID, CWS_API_URL and CC_TRUST_URL, and the secrets CC_CLIENT_ID and CC_CLIENT_SECRET of a Citrix Cloud API client (README: Client secret rotation).";

/// The Citrix Cloud API client that rotates the portal's secret (seed: Programmatic Rotation).
#[derive(Clone, PartialEq, Eq)]
pub struct CloudApi {
    /// The Citrix Cloud customer id, part of every path.
    pub customer_id: String,
    /// Base of `rpclients`, e.g. `https://cws.citrixworkspacesapi.net`.
    pub cws_api: Origin,
    /// Base of the token endpoint, e.g. `https://api.cloud.com`.
    pub cc_trust: Origin,
    /// The API client's id.
    pub client_id: String,
    /// The API client's secret.
    pub client_secret: String,
}

impl std::fmt::Debug for CloudApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudApi")
            .field("customer_id", &self.customer_id)
            .field("cws_api", &self.cws_api)
            .field("cc_trust", &self.cc_trust)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl CloudApi {
    fn url(base: &Origin, segments: &[&str]) -> Url {
        let mut url = base.join("/");
        if let Ok(mut path) = url.path_segments_mut() {
            path.clear().extend(segments);
        }
        url
    }

    /// `{CC_TRUST_URL}/cctrustoauth2/{CUSTOMER_ID}/tokens/clients`.
    pub fn token_url(&self) -> Url {
        Self::url(
            &self.cc_trust,
            &["cctrustoauth2", &self.customer_id, "tokens", "clients"],
        )
    }

    /// `{CWS_API_URL}/{CUSTOMER_ID}/rpclients`.
    pub fn rpclients_url(&self) -> Url {
        Self::url(&self.cws_api, &[&self.customer_id, "rpclients"])
    }

    /// `{CWS_API_URL}/{CUSTOMER_ID}/rpclients/{name}/{action}`, action `$rotateSecret` or
    /// `$expireOldSecret`.
    pub fn action_url(&self, name: &str, action: &str) -> Url {
        Self::url(
            &self.cws_api,
            &[&self.customer_id, "rpclients", name, action],
        )
    }
}

/// Icon hosts allowed when `ICON_HOSTS` is not set: Citrix Cloud's own domain, where the store's
/// CDN icons live ([I]: no public sample names the CDN host; the web sample only tells API
/// icons from "CDN URLs").
const DEFAULT_ICON_HOSTS: &str = "https://*.cloud.com";

/// The longest a session may last or idle, in minutes: 400 days, the longest a browser keeps a
/// cookie. It also keeps the times computed from it far from overflowing.
const MAX_SESSION_MINUTES: u64 = 400 * 24 * 60;

/// Scopes requested when `SCOPES` is not set: the samples' scopes plus a refresh token.
const DEFAULT_SCOPES: &str = "openid wsp spa leases offline_access";

/// Everything the worker needs, validated.
#[derive(Clone)]
pub struct Config {
    /// The customer's Workspace origin; every store URL must be on it.
    pub workspace: Origin,
    /// Sent as `Citrix-ApplicationId` on every Workspace call.
    pub application_id: String,
    /// The private OAuth client.
    pub client_id: String,
    /// The client secret as configured (the rotation store may hold a newer one).
    pub client_secret: String,
    /// The client's name in the Citrix Cloud API (`rpclients/{name}`), when the admin says it;
    /// otherwise the client is found by its id or application id.
    pub client_name: Option<String>,
    /// Origins whose icons may be fetched without credentials (a CDN), besides the store's.
    pub icon_hosts: Vec<OriginPattern>,
    /// Encrypts tokens at rest.
    pub keyring: Keyring,
    /// Scopes to request at sign-in.
    pub scopes: Vec<String>,
    /// Who may open the admin page.
    pub admin_users: Vec<AdminEntry>,
    /// The portal's public origin, when it differs from the request's (e.g. behind a proxy).
    pub public_origin: Option<Origin>,
    /// A session ends after this long without a request.
    pub idle_timeout_secs: u64,
    /// A session ends after this long in any case.
    pub absolute_timeout_secs: u64,
    /// The Citrix Cloud API, when rotation is configured.
    pub rotation: Option<CloudApi>,
    /// When to rotate and when to expire the old secret.
    pub policy: Policy,
    /// When `CLIENT_SECRET` expires, as the admin says (`CLIENT_SECRET_EXPIRES`): without
    /// rotation the portal cannot read it from Citrix Cloud, and still warns before it runs out.
    pub client_secret_expires: Option<u64>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs, even debug ones.
        f.debug_struct("Config")
            .field("workspace", &self.workspace)
            .field("application_id", &self.application_id)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .field("admin_users", &self.admin_users)
            .finish_non_exhaustive()
    }
}

/// What is wrong with the configuration: one line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Workspace Portal is misconfigured: {}. Set vars in wrangler.toml [vars] (or .dev.vars locally) and secrets with `wrangler secret put NAME`.",
            self.0.join("; ")
        )
    }
}

impl ConfigError {
    /// The settings at fault, by name only: what a caller who is not an administrator may
    /// see. The values stay in the log, where only administrators look.
    pub fn settings(&self) -> Vec<&'static str> {
        let mut named: Vec<&'static str> = Vec::new();
        for problem in &self.0 {
            for word in problem.split(|c: char| !(c.is_ascii_uppercase() || c == '_')) {
                if let Some(name) = SETTINGS.iter().find(|s| **s == word)
                    && !named.contains(name)
                {
                    named.push(name);
                }
            }
        }
        named
    }
}

/// Every setting the worker reads.
const SETTINGS: [&str; 21] = [
    "WORKSPACE_URL",
    "APPLICATION_ID",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "SESSION_KEY",
    "PORTAL_URL",
    "CLIENT_NAME",
    "ICON_HOSTS",
    "SCOPES",
    "ADMIN_USERS",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_MINUTES",
    "CLIENT_SECRET_EXPIRES",
    "CUSTOMER_ID",
    "CWS_API_URL",
    "CC_TRUST_URL",
    "CC_CLIENT_ID",
    "CC_CLIENT_SECRET",
    ROTATE_BEFORE_DAYS,
    EXPIRE_OLD_AFTER_SUCCESSES,
    EXPIRE_OLD_AFTER_HOURS,
];

thread_local! {
    /// The isolate's configuration, once parsed.
    static PARSED: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

impl Config {
    /// The configuration from the Workers environment (vars and secrets are both strings
    /// there), parsed once per isolate: an isolate's environment never changes (a new deployment
    /// or `.dev.vars` starts new isolates). The log gets every problem with its detail; callers
    /// learn only which settings are wrong, at every request until they are fixed.
    pub fn from_env(env: &worker::Env) -> Result<Rc<Config>, PortalError> {
        if let Some(config) = PARSED.with(|p| p.borrow().clone()) {
            return Ok(config);
        }
        let config = Config::parse(|name| env.var(name).ok().map(|v| v.to_string())).map_err(|e| {
            worker::console_error!("{e}");
            PortalError::Misconfigured(format!(
                "The portal's settings need fixing: {}. The worker's log says what is wrong with each.",
                e.settings().join(", ")
            ))
        })?;
        let config = Rc::new(config);
        PARSED.with(|p| p.replace(Some(Rc::clone(&config))));
        Ok(config)
    }

    /// Parses the configuration from a lookup of vars and secrets by name.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let mut required = |name: &str, what: &str| match get(name).map(|v| v.trim().to_owned()) {
            Some(v) if !v.is_empty() => Some(v),
            _ => {
                problems.push(format!("{name} is missing ({what})"));
                None
            }
        };
        let workspace_url = required(
            "WORKSPACE_URL",
            "your Citrix Workspace URL, e.g. https://acme.cloud.com",
        );
        let application_id = required(
            "APPLICATION_ID",
            "the Workspace API application id of your OAuth client",
        );
        let client_id = required("CLIENT_ID", "the id of your private Workspace OAuth client");
        let client_secret = required(
            "CLIENT_SECRET",
            "the secret of that client, a wrangler secret",
        );
        let session_key = required(
            "SESSION_KEY",
            "32 random bytes in base64, a wrangler secret; `openssl rand -base64 32` makes one",
        );

        let workspace = workspace_url.and_then(|u| {
            Origin::parse(&u)
                .map_err(|e| problems.push(format!("WORKSPACE_URL {e}")))
                .ok()
        });
        let keyring = session_key.and_then(|k| {
            Keyring::parse(&k)
                .map_err(|e| problems.push(format!("SESSION_KEY {e}")))
                .ok()
        });
        if let Some(id) = &application_id
            && id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            problems.push("APPLICATION_ID must not contain spaces".into());
        }
        let public_origin = get("PORTAL_URL")
            .filter(|v| !v.trim().is_empty())
            .and_then(|u| {
                Origin::parse(u.trim())
                    .map_err(|e| problems.push(format!("PORTAL_URL {e}")))
                    .ok()
            });
        let client_name = get("CLIENT_NAME")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let icon_hosts = get("ICON_HOSTS")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_ICON_HOSTS.into())
            .split([',', ' '])
            .filter(|v| !v.is_empty())
            .filter_map(|v| {
                OriginPattern::parse(v)
                    .map_err(|e| problems.push(format!("ICON_HOSTS entry {e}")))
                    .ok()
            })
            .collect();
        let scopes: Vec<String> = get("SCOPES")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_SCOPES.into())
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if !scopes.iter().any(|s| s == "openid") {
            problems.push("SCOPES must include openid".into());
        }
        let admin_users = get("ADMIN_USERS")
            .unwrap_or_default()
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .filter_map(|entry| {
                AdminEntry::parse(entry)
                    .map_err(|why| problems.push(format!("ADMIN_USERS: {why}")))
                    .ok()
            })
            .collect();
        let mut minutes = |name: &str, default: u64| -> u64 {
            match get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
            {
                None => default,
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if (1..=MAX_SESSION_MINUTES).contains(&n) => n,
                    _ => {
                        problems.push(format!(
                            "{name} must be a whole number of minutes from 1 to {MAX_SESSION_MINUTES} (400 days), not {v:?}"
                        ));
                        default
                    }
                },
            }
        };
        let idle_timeout_secs = minutes("SESSION_IDLE_MINUTES", 60) * 60;
        let absolute_timeout_secs = minutes("SESSION_MAX_MINUTES", 12 * 60) * 60;
        let rotation = parse_rotation(&get, &mut problems);
        let policy = Policy::parse(
            get(ROTATE_BEFORE_DAYS).as_deref(),
            get(EXPIRE_OLD_AFTER_SUCCESSES).as_deref(),
            get(EXPIRE_OLD_AFTER_HOURS).as_deref(),
        )
        .unwrap_or_else(|p| {
            problems.extend(p);
            Policy::default()
        });

        let client_secret_expires = get("CLIENT_SECRET_EXPIRES")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .and_then(|v| {
                let parsed = portal_shared::time::parse_utc_date(&v);
                if parsed.is_none() {
                    problems.push(format!(
                        "CLIENT_SECRET_EXPIRES must be a date like 2026-12-31 (the secret's expiry shown in Citrix Cloud), not {v:?}"
                    ));
                }
                parsed
            });

        match (workspace, application_id, client_id, client_secret, keyring) {
            (
                Some(workspace),
                Some(application_id),
                Some(client_id),
                Some(client_secret),
                Some(keyring),
            ) if problems.is_empty() => Ok(Config {
                workspace,
                application_id,
                client_id,
                client_secret,
                client_name,
                icon_hosts,
                keyring,
                scopes,
                admin_users,
                public_origin,
                idle_timeout_secs,
                absolute_timeout_secs,
                rotation,
                policy,
                client_secret_expires,
            }),
            _ => Err(ConfigError(problems)),
        }
    }

    /// Whether the user may open the admin page. Asked on every admin request, so removing
    /// someone from `ADMIN_USERS` takes effect at once.
    pub fn is_admin(&self, user: &User, email_verified: bool) -> bool {
        self.admin_users.iter().any(|entry| match entry {
            AdminEntry::Subject(sub) => *sub == user.sub,
            AdminEntry::Email(email) => {
                email_verified
                    && user
                        .email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
            }
        })
    }
}

/// One entry of `ADMIN_USERS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminEntry {
    /// A subject (`sub`), as given or as `sub:…`: the identity provider's stable id for a user,
    /// which the user cannot change. Compared exactly, as OpenID Connect says.
    Subject(String),
    /// `email:…`: a user whose ID token carries this e-mail address and says it is verified
    /// (`email_verified`). Compared without regard to ASCII case.
    Email(String),
}

impl AdminEntry {
    fn parse(entry: &str) -> Result<AdminEntry, String> {
        let (kind, value) = match entry.split_once(':') {
            Some(("email", v)) => ("email", v.trim()),
            Some(("sub", v)) => ("sub", v.trim()),
            _ => ("", entry),
        };
        if value.is_empty() {
            return Err(format!("{entry:?} names nobody"));
        }
        Ok(match kind {
            "email" if !value.contains('@') => {
                return Err(format!("{entry:?} is not an e-mail address"));
            }
            "email" => AdminEntry::Email(value.to_owned()),
            "sub" => AdminEntry::Subject(value.to_owned()),
            _ if value.contains('@') => {
                return Err(format!(
                    "{entry:?} looks like an e-mail address: write `email:{value}` (it then matches only when Citrix marks the address verified) or `sub:{value}` if it is a subject"
                ));
            }
            _ => AdminEntry::Subject(value.to_owned()),
        })
    }
}

/// The Citrix Cloud API settings: all five, or none (rotation off); some is a problem.
fn parse_rotation(
    get: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) -> Option<CloudApi> {
    let values: Vec<Option<String>> = ROTATION_SETTINGS
        .iter()
        .map(|name| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
        .collect();
    let missing: Vec<&str> = ROTATION_SETTINGS
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(name, _)| *name)
        .collect();
    if missing.len() == ROTATION_SETTINGS.len() {
        return None;
    }
    if !missing.is_empty() {
        problems.push(format!(
            "client secret rotation is half configured: {} missing (set all of {} to rotate the secret automatically, or none)",
            missing.join(", "),
            ROTATION_SETTINGS.join(", ")
        ));
        return None;
    }
    let [customer_id, cws_api, cc_trust, client_id, client_secret] =
        <[Option<String>; 5]>::try_from(values)
            .ok()?
            .map(Option::unwrap_or_default);
    if customer_id.contains(['/', '?', '#']) || customer_id.chars().any(char::is_whitespace) {
        problems.push(format!(
            "CUSTOMER_ID must be the Citrix Cloud customer id, not {customer_id:?}"
        ));
    }
    let mut origin = |name: &str, value: &str| {
        Origin::parse(value)
            .map_err(|e| problems.push(format!("{name} {e}")))
            .ok()
    };
    let cws_api = origin("CWS_API_URL", &cws_api);
    let cc_trust = origin("CC_TRUST_URL", &cc_trust);
    Some(CloudApi {
        customer_id,
        cws_api: cws_api?,
        cc_trust: cc_trust?,
        client_id,
        client_secret,
    })
}

// ---------------------------------------------------------------------------------------------
// The client secret rotation's policy

/// Setting: rotate when the secret expires within this many days (default 14, 1 to 89).
pub const ROTATE_BEFORE_DAYS: &str = "ROTATE_BEFORE_DAYS";
/// Setting: expire the old secret after this many successful token calls with the new one.
pub const EXPIRE_OLD_AFTER_SUCCESSES: &str = "EXPIRE_OLD_AFTER_SUCCESSES";
/// Setting: or after one success once this many hours have passed since the rotation.
pub const EXPIRE_OLD_AFTER_HOURS: &str = "EXPIRE_OLD_AFTER_HOURS";

/// When to rotate and when the new secret has proven itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Rotate when the current secret expires within this many days.
    pub rotate_before_days: u32,
    /// The new secret has proven itself after this many successful token calls...
    pub expire_after_successes: u32,
    /// ...or after one, once this long has passed since the overlap began.
    pub expire_grace_secs: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            rotate_before_days: 14,
            expire_after_successes: 3,
            expire_grace_secs: 24 * 3600,
        }
    }
}

impl Policy {
    /// Parses the three settings (unset or blank means the default); one message per problem.
    pub fn parse(
        rotate_before_days: Option<&str>,
        expire_after_successes: Option<&str>,
        expire_after_hours: Option<&str>,
    ) -> Result<Policy, Vec<String>> {
        let d = Policy::default();
        let mut problems = Vec::new();
        let rotate_before_days = setting(
            ROTATE_BEFORE_DAYS,
            rotate_before_days,
            d.rotate_before_days,
            1..=89,
            "days",
            &mut problems,
        );
        let expire_after_successes = setting(
            EXPIRE_OLD_AFTER_SUCCESSES,
            expire_after_successes,
            d.expire_after_successes,
            1..=1000,
            "successful token calls",
            &mut problems,
        );
        let hours = setting(
            EXPIRE_OLD_AFTER_HOURS,
            expire_after_hours,
            (d.expire_grace_secs / 3600) as u32,
            0..=720,
            "hours",
            &mut problems,
        );
        if problems.is_empty() {
            Ok(Policy {
                rotate_before_days,
                expire_after_successes,
                expire_grace_secs: u64::from(hours) * 3600,
            })
        } else {
            Err(problems)
        }
    }

    /// How long before its expiry a secret is rotated.
    pub fn window(&self) -> u64 {
        u64::from(self.rotate_before_days) * portal_shared::time::DAY_SECS
    }
}

fn setting(
    name: &str,
    raw: Option<&str>,
    default: u32,
    range: RangeInclusive<u32>,
    unit: &str,
    problems: &mut Vec<String>,
) -> u32 {
    let Some(raw) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return default;
    };
    match raw.parse::<u32>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            problems.push(format!(
                "{name} must be a whole number of {unit} from {} to {}, not {raw:?}",
                range.start(),
                range.end()
            ));
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn complete() -> Vec<(&'static str, &'static str)> {
        vec![
            ("WORKSPACE_URL", "https://acme.cloud.com"),
            ("APPLICATION_ID", "6f1c2a5e-8d3b-4c7a-9e21-0b5d4f3a7c10"),
            ("CLIENT_ID", "portal"),
            ("CLIENT_SECRET", "s3cret"),
            ("SESSION_KEY", KEY),
        ]
    }

    #[test]
    fn complete_configuration_parses_with_defaults() {
        let c = Config::parse(vars(&complete())).unwrap();
        assert_eq!(c.workspace.as_str(), "https://acme.cloud.com");
        assert!(c.scopes.contains(&"offline_access".to_string()));
        assert_eq!(c.idle_timeout_secs, 3600);
        assert!(c.admin_users.is_empty());
        assert_eq!(c.client_name, None);
        let cdn = url::Url::parse("https://cdn.cloud.com/i.png").unwrap();
        assert!(c.icon_hosts.iter().any(|p| p.matches(&cdn)));
    }

    #[test]
    fn icon_hosts_and_client_name_are_read_and_bad_hosts_named() {
        let mut v = complete();
        v.push((
            "ICON_HOSTS",
            "http://127.0.0.1:8790, https://icons.acme.example",
        ));
        v.push(("CLIENT_NAME", " customer-private-305 "));
        let c = Config::parse(vars(&v)).unwrap();
        assert_eq!(c.client_name.as_deref(), Some("customer-private-305"));
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(
            c.icon_hosts
                .iter()
                .any(|p| p.matches(&url("http://127.0.0.1:8790/x")))
        );
        assert!(
            !c.icon_hosts
                .iter()
                .any(|p| p.matches(&url("https://cdn.cloud.com/x")))
        );
        v.push(("ICON_HOSTS", "http://cdn.example.com"));
        v.retain(|(k, val)| *k != "ICON_HOSTS" || *val == "http://cdn.example.com");
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(err.contains("ICON_HOSTS") && err.contains("https"), "{err}");
    }

    #[test]
    fn every_missing_setting_is_named_in_one_message() {
        let err = Config::parse(vars(&[])).unwrap_err();
        let text = err.to_string();
        for name in [
            "WORKSPACE_URL",
            "APPLICATION_ID",
            "CLIENT_ID",
            "CLIENT_SECRET",
            "SESSION_KEY",
        ] {
            assert!(text.contains(name), "{text} should name {name}");
        }
        assert_eq!(err.0.len(), 5);
    }

    #[test]
    fn plain_http_is_refused_except_for_loopback() {
        let mut v = complete();
        v[0] = ("WORKSPACE_URL", "http://acme.cloud.com");
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(
            err.contains("WORKSPACE_URL") && err.contains("https"),
            "{err}"
        );
        v[0] = ("WORKSPACE_URL", "http://127.0.0.1:8788");
        assert!(Config::parse(vars(&v)).is_ok());
    }

    #[test]
    fn malformed_values_are_reported() {
        let mut v = complete();
        v[4] = ("SESSION_KEY", "too-short");
        v.push(("SESSION_IDLE_MINUTES", "soon"));
        v.push(("SCOPES", "wsp"));
        let err = Config::parse(vars(&v)).unwrap_err();
        assert_eq!(err.0.len(), 3, "{err}");
    }

    fn with_rotation() -> Vec<(&'static str, &'static str)> {
        let mut v = complete();
        v.extend([
            ("CUSTOMER_ID", "acme"),
            ("CWS_API_URL", "https://cws.citrixworkspacesapi.net/"),
            ("CC_TRUST_URL", "https://api.cloud.com"),
            ("CC_CLIENT_ID", "cc-id"),
            ("CC_CLIENT_SECRET", "cc-secret"),
        ]);
        v
    }

    #[test]
    fn session_minutes_stop_at_400_days() {
        // Found by `fuzz::any_configuration_is_parsed_or_explained`: minutes * 60 overflowed.
        let mut v = complete();
        v.push(("SESSION_MAX_MINUTES", "576000"));
        assert_eq!(
            Config::parse(vars(&v)).unwrap().absolute_timeout_secs,
            400 * 24 * 3600
        );
        v.pop();
        v.push(("SESSION_IDLE_MINUTES", "307445734561825861"));
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(
            err.contains("SESSION_IDLE_MINUTES must be a whole number of minutes from 1 to 576000"),
            "{err}"
        );
    }

    #[test]
    fn rotation_is_off_without_its_settings_and_uses_the_default_policy() {
        let c = Config::parse(vars(&complete())).unwrap();
        assert_eq!(c.rotation, None);
        assert_eq!(c.policy, Policy::default());
    }

    #[test]
    fn rotation_settings_give_the_citrix_cloud_urls() {
        let c = Config::parse(vars(&with_rotation())).unwrap();
        let api = c.rotation.unwrap();
        assert_eq!(
            api.token_url().as_str(),
            "https://api.cloud.com/cctrustoauth2/acme/tokens/clients"
        );
        assert_eq!(
            api.rpclients_url().as_str(),
            "https://cws.citrixworkspacesapi.net/acme/rpclients"
        );
        assert_eq!(
            api.action_url("customer-private-305", "$rotateSecret")
                .as_str(),
            "https://cws.citrixworkspacesapi.net/acme/rpclients/customer-private-305/$rotateSecret"
        );
        assert_eq!(
            api.action_url("a b", "$expireOldSecret").as_str(),
            "https://cws.citrixworkspacesapi.net/acme/rpclients/a%20b/$expireOldSecret"
        );
        let debug = format!("{api:?}");
        assert!(!debug.contains("cc-secret"), "{debug}");
    }

    #[test]
    fn half_configured_rotation_names_what_is_missing() {
        let mut v = with_rotation();
        v.retain(|(k, _)| !matches!(*k, "CC_TRUST_URL" | "CC_CLIENT_SECRET"));
        let err = Config::parse(vars(&v)).unwrap_err();
        assert_eq!(err.0.len(), 1, "{err}");
        assert!(
            err.0[0].contains("CC_TRUST_URL, CC_CLIENT_SECRET missing"),
            "{err}"
        );
        v.push(("CC_TRUST_URL", " "));
        v.push(("CC_CLIENT_SECRET", "x"));
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(err.contains("CC_TRUST_URL missing"), "{err}");
    }

    #[test]
    fn rotation_urls_must_be_https_except_on_loopback() {
        let mut v = with_rotation();
        v.retain(|(k, _)| *k != "CWS_API_URL");
        v.push(("CWS_API_URL", "http://cws.citrixworkspacesapi.net"));
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(err.contains("CWS_API_URL must use https"), "{err}");
        v.retain(|(k, _)| !matches!(*k, "CWS_API_URL" | "CC_TRUST_URL"));
        v.push(("CWS_API_URL", "http://127.0.0.1:8788"));
        v.push(("CC_TRUST_URL", "http://127.0.0.1:8788"));
        let api = Config::parse(vars(&v)).unwrap().rotation.unwrap();
        assert_eq!(
            api.token_url().as_str(),
            "http://127.0.0.1:8788/cctrustoauth2/acme/tokens/clients"
        );
        v.retain(|(k, _)| *k != "CUSTOMER_ID");
        v.push(("CUSTOMER_ID", "acme/../x"));
        assert!(Config::parse(vars(&v)).is_err());
    }

    #[test]
    fn rotation_policy_settings_are_parsed_and_checked() {
        let mut v = complete();
        v.push(("ROTATE_BEFORE_DAYS", "20"));
        v.push(("EXPIRE_OLD_AFTER_SUCCESSES", "5"));
        let c = Config::parse(vars(&v)).unwrap();
        assert_eq!(c.policy.rotate_before_days, 20);
        assert_eq!(c.policy.expire_after_successes, 5);
        v.push(("EXPIRE_OLD_AFTER_HOURS", "forever"));
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(err.contains("EXPIRE_OLD_AFTER_HOURS"), "{err}");
    }

    #[test]
    fn the_client_secret_expiry_is_a_date() {
        let mut v = complete();
        assert_eq!(Config::parse(vars(&v)).unwrap().client_secret_expires, None);
        v.push(("CLIENT_SECRET_EXPIRES", "2023-09-06"));
        assert_eq!(
            Config::parse(vars(&v)).unwrap().client_secret_expires,
            Some(1_693_958_400)
        );
        v.pop();
        v.push(("CLIENT_SECRET_EXPIRES", "6 Sept"));
        let err = Config::parse(vars(&v)).unwrap_err().to_string();
        assert!(err.contains("CLIENT_SECRET_EXPIRES"), "{err}");
    }

    #[test]
    fn admins_are_subjects_or_verified_emails() {
        let mut v = complete();
        v.push((
            "ADMIN_USERS",
            "user-bob, email:carol@acme.example sub:x@idp",
        ));
        let c = Config::parse(vars(&v)).unwrap();
        let user = |sub: &str, email: Option<&str>| User {
            sub: sub.into(),
            name: "n".into(),
            email: email.map(str::to_owned),
        };
        assert!(c.is_admin(&user("user-bob", None), false));
        assert!(c.is_admin(&user("x@idp", None), false));
        assert!(
            !c.is_admin(&user("USER-BOB", None), false),
            "subjects are exact"
        );
        assert!(
            !c.is_admin(&user("bob", Some("user-bob")), true),
            "a name or e-mail is not a subject"
        );
        assert!(c.is_admin(&user("c", Some("CAROL@acme.example")), true));
        assert!(
            !c.is_admin(&user("c", Some("carol@acme.example")), false),
            "an unverified e-mail proves nothing"
        );
        assert!(!c.is_admin(&user("carol@acme.example", None), true));
    }

    #[test]
    fn an_admin_entry_that_is_unclear_is_refused() {
        for (entry, says) in [
            ("carol@acme.example", "email:carol@acme.example"),
            ("email:carol", "not an e-mail"),
            ("email:", "names nobody"),
        ] {
            let mut v = complete();
            v.push(("ADMIN_USERS", entry));
            let e = Config::parse(vars(&v)).unwrap_err().to_string();
            assert!(
                e.contains("ADMIN_USERS") && e.contains(says),
                "{entry}: {e}"
            );
        }
    }

    #[test]
    fn callers_learn_which_settings_are_wrong_never_their_values() {
        let mut v = complete();
        v.retain(|(k, _)| *k != "CLIENT_SECRET");
        v.push(("ICON_HOSTS", "https://SECRET_VALUE.example/path"));
        v.push(("SESSION_IDLE_MINUTES", "CLIENT_ID"));
        let e = Config::parse(vars(&v)).unwrap_err();
        assert!(
            e.to_string().contains("SECRET_VALUE"),
            "the log has the detail"
        );
        assert_eq!(
            e.settings(),
            [
                "CLIENT_SECRET",
                "ICON_HOSTS",
                "SESSION_IDLE_MINUTES",
                "CLIENT_ID"
            ]
        );
    }

    #[test]
    fn policy_defaults_and_bounds() {
        assert_eq!(Policy::parse(None, None, None), Ok(Policy::default()));
        assert_eq!(
            Policy::parse(Some(" "), Some(""), None),
            Ok(Policy::default())
        );
        let p = Policy::parse(Some("30"), Some("5"), Some("0")).unwrap();
        assert_eq!(
            (
                p.rotate_before_days,
                p.expire_after_successes,
                p.expire_grace_secs
            ),
            (30, 5, 0)
        );
        assert!(Policy::parse(Some("1"), None, None).is_ok());
        assert!(Policy::parse(Some("89"), None, None).is_ok());
        let problems = Policy::parse(Some("90"), Some("0"), Some("soon")).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("ROTATE_BEFORE_DAYS") && problems[0].contains("1 to 89"));
        assert!(problems[0].contains("\"90\""));
        assert!(problems[1].contains("EXPIRE_OLD_AFTER_SUCCESSES"));
        assert!(problems[2].contains("EXPIRE_OLD_AFTER_HOURS"));
        assert!(Policy::parse(Some("0"), None, None).is_err());
        assert!(Policy::parse(Some("-3"), None, None).is_err());
    }
}
