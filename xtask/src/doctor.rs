//! `cargo xtask doctor`: the portal's settings checked against Citrix Cloud (or the emulator),
//! one line per check, each failure with what to fix. It reads the worker's own variables, from
//! `.dev.vars` (or `--vars FILE`) with the environment taking precedence, so an admin can check
//! a tenant's settings before `wrangler deploy` by exporting them.
//!
//! It signs nobody in: the client secret is proven by a token call with a made-up code, which
//! Citrix answers `invalid_grant` only after it has authenticated the client; the redirect URI by
//! asking the authorize endpoint for its sign-in page. HTTP goes through `curl` (HTTPS without a
//! TLS stack in xtask), its options on stdin so that no secret is on a command line.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use portal_shared::time::{days_left, parse_utc_date, utc_date};
use serde_json::Value;

use crate::sh;

const USAGE: &str = "usage: cargo xtask doctor [--vars FILE]

Checks the portal's settings against Citrix Cloud, one line per check. The settings are the
worker's: from FILE (default .dev.vars), each replaced by an environment variable of the same name
when one is set. Without PORTAL_URL the redirect URI is checked for http://127.0.0.1:8787 (what
`cargo xtask dev` serves); set PORTAL_URL to check your portal's.";

/// The origin checked when `PORTAL_URL` is not set: the one `cargo xtask dev` serves.
const DEV_ORIGIN: &str = "http://127.0.0.1:8787";

/// The key `.dev.vars.example` ships: fine for the emulator, never for a tenant.
const EXAMPLE_SESSION_KEY: &str = "ZGV2LW9ubHkta2V5LWZvci1sb2NhbC1wb3J0YWwtMzI=";

/// Citrix Cloud API settings: all five turn rotation on.
const ROTATION: [&str; 5] = [
    "CUSTOMER_ID",
    "CWS_API_URL",
    "CC_TRUST_URL",
    "CC_CLIENT_ID",
    "CC_CLIENT_SECRET",
];

/// Warn when the client secret has fewer days left (the rotation's default window).
const SECRET_WARN_DAYS: u64 = 14;

pub fn run(args: &[String]) -> Result<(), String> {
    let file = match args {
        [] => sh::root().join(".dev.vars"),
        [flag, path] if flag == "--vars" => std::path::PathBuf::from(path),
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return Ok(());
        }
        _ => return Err(format!("unexpected arguments {args:?}\n\n{USAGE}")),
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        // Without .dev.vars the environment alone is checked; a file asked for must exist.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.is_empty() => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    let settings = Settings::read(&text, |name| std::env::var(name).ok());
    println!(
        "Checking the portal's settings from {} and the environment:\n",
        file.display()
    );
    let lines = check(&settings, now());
    for line in &lines {
        println!("{line}");
    }
    let failed = lines.iter().filter(|l| l.verdict == Verdict::Fail).count();
    if failed == 0 {
        println!("\nNo problem found.");
        Ok(())
    } else {
        Err(format!("{failed} check(s) failed; each says what to fix"))
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The worker's settings by name.
#[derive(Debug, Clone, Default)]
pub struct Settings(BTreeMap<String, String>);

impl Settings {
    /// `NAME=value` lines (as `.dev.vars` holds them), each replaced by `env(NAME)` when set;
    /// the settings the worker reads that only the environment has are taken too.
    pub fn read(text: &str, env: impl Fn(&str) -> Option<String>) -> Settings {
        let mut map: BTreeMap<String, String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| {
                let v = v.trim();
                let unquoted = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                (k.trim().to_owned(), unquoted.to_owned())
            })
            .collect();
        let names = [
            "WORKSPACE_URL",
            "APPLICATION_ID",
            "CLIENT_ID",
            "CLIENT_SECRET",
        ]
        .into_iter()
        .chain([
            "SESSION_KEY",
            "PORTAL_URL",
            "CLIENT_NAME",
            "CLIENT_SECRET_EXPIRES",
        ])
        .chain(ROTATION);
        for name in names {
            if let Some(v) = env(name) {
                map.insert(name.to_owned(), v);
            }
        }
        Settings(map)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Warn,
    Fail,
    /// Not checked: what it needs failed above.
    Skip,
}

/// One check's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub verdict: Verdict,
    pub check: &'static str,
    pub says: String,
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match self.verdict {
            Verdict::Ok => "ok",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "skip",
        };
        write!(f, "{verdict:<5} {:<15} {}", self.check, self.says)
    }
}

/// The report's lines, one per check.
struct Report(Vec<Line>);

impl Report {
    fn line(&mut self, verdict: Verdict, check: &'static str, says: impl Into<String>) {
        self.0.push(Line {
            verdict,
            check,
            says: says.into(),
        });
    }
}

/// An HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// An OAuth error answer's `error`.
    fn oauth_error(&self) -> Option<String> {
        Some(self.json()?.get("error")?.as_str()?.to_owned())
    }
}

/// One request through curl; redirects are not followed. `Err` when nothing answered.
fn request(
    url: &str,
    headers: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
) -> Result<Answer, String> {
    if std::iter::once(url)
        .chain(headers.iter().map(|(_, v)| *v))
        .any(|v| v.contains(['\n', '\r']))
    {
        return Err("a setting holds a line break".into());
    }
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut config = format!(
        "url = {}\nsilent\nshow-error\ninclude\nmax-time = 20\n",
        quote(url)
    );
    for (name, value) in headers {
        config += &format!("header = {}\n", quote(&format!("{name}: {value}")));
    }
    if let Some(fields) = form {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", form_encode(v)))
            .collect();
        config += &format!("data = {}\n", quote(&body.join("&")));
    }
    let mut child = Command::new("curl")
        .args(["--config", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run curl ({e}); the doctor needs curl installed"))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(config.as_bytes())
        .map_err(|e| format!("cannot talk to curl: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("curl failed: {e}"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        return Err(why.trim().trim_start_matches("curl: ").to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut head = head.lines();
    let status = head
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("curl printed no HTTP status")?;
    let location = head
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v.trim().to_owned());
    Ok(Answer {
        status,
        location,
        body: body.to_owned(),
    })
}

/// `application/x-www-form-urlencoded` for one value.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the authorization server's metadata names.
struct Oidc {
    authorize: String,
    token: String,
}

/// Every check, in order; a check whose input failed is skipped with the reason.
pub fn check(s: &Settings, now: u64) -> Vec<Line> {
    let mut r = Report(Vec::new());
    let found = discovery(s, &mut r);
    let application_id_accepted = found.is_some();
    let oidc = found.and_then(|url| metadata(&url, &mut r));
    let client_known = redirect_uri(s, oidc.as_ref(), &mut r);
    client_secret(s, oidc.as_ref(), client_known, &mut r);
    let expiry = rotation(s, application_id_accepted, &mut r);
    secret_days_left(s, expiry, now, &mut r);
    session_key(s, &mut r);
    r.0
}

/// Discovery on `WORKSPACE_URL` with `APPLICATION_ID`; the OIDC metadata's URL on success.
fn discovery(s: &Settings, r: &mut Report) -> Option<String> {
    const CHECK: &str = "discovery";
    let missing: Vec<&str> = ["WORKSPACE_URL", "APPLICATION_ID"]
        .into_iter()
        .filter(|n| s.get(n).is_none())
        .collect();
    if !missing.is_empty() {
        r.line(
            Verdict::Fail,
            CHECK,
            format!(
                "{} missing. Fix: set WORKSPACE_URL to your Citrix Workspace URL (e.g. https://acme.cloud.com) and APPLICATION_ID to the application id of your Workspace OAuth client",
                missing.join(" and ") + if missing.len() == 1 { " is" } else { " are" }
            ),
        );
        return None;
    }
    let (workspace, app) = (s.get("WORKSPACE_URL")?, s.get("APPLICATION_ID")?);
    let url = format!(
        "{}/citrixapi/discovery/configurations",
        workspace.trim_end_matches('/')
    );
    let answer = match request(&url, &[("Citrix-ApplicationId", app)], None) {
        Ok(a) => a,
        Err(e) => {
            r.line(
                Verdict::Fail,
                CHECK,
                format!("WORKSPACE_URL {workspace} is unreachable ({e}). Fix: set WORKSPACE_URL to your Citrix Workspace URL, e.g. https://acme.cloud.com"),
            );
            return None;
        }
    };
    let fail = |r: &mut Report, says: String| {
        r.line(Verdict::Fail, CHECK, says);
        None
    };
    match answer.status {
        200 => {}
        403 => {
            return fail(
                r,
                format!(
                    "Citrix refused APPLICATION_ID {app} (403). Fix: copy the application id of your Workspace OAuth client from Citrix Cloud into APPLICATION_ID; a client created in the last 5 minutes may not be active yet: wait, then run the doctor again"
                ),
            );
        }
        404 => {
            return fail(
                r,
                format!(
                    "{workspace} is not a Citrix Workspace customer domain (404). Fix: set WORKSPACE_URL to your Workspace URL, e.g. https://acme.cloud.com"
                ),
            );
        }
        301..=308 => {
            return fail(
                r,
                format!(
                    "WORKSPACE_URL {workspace} redirects to {}. Fix: set WORKSPACE_URL to the origin it redirects to",
                    answer.location.as_deref().unwrap_or("somewhere unnamed")
                ),
            );
        }
        status => {
            return fail(
                r,
                format!(
                    "discovery at {workspace} answered HTTP {status}. Fix: check WORKSPACE_URL and APPLICATION_ID; try again if Citrix Cloud is having trouble"
                ),
            );
        }
    }
    let oidc = answer.json().and_then(|d| {
        d.pointer("/clientSettings/oidcConfiguration/oidc_discovery_endpoint")?
            .as_str()
            .map(str::to_owned)
    });
    match oidc {
        Some(url) => {
            r.line(
                Verdict::Ok,
                CHECK,
                format!("{workspace} accepts APPLICATION_ID {app}"),
            );
            Some(url)
        }
        None => fail(
            r,
            format!(
                "{workspace} answered discovery without an OIDC endpoint. Fix: check that WORKSPACE_URL is your Workspace URL"
            ),
        ),
    }
}

/// The authorization server's metadata.
fn metadata(url: &str, r: &mut Report) -> Option<Oidc> {
    const CHECK: &str = "OIDC metadata";
    let endpoints = request(url, &[], None).ok().and_then(|a| {
        let json = (a.status == 200).then(|| a.json()).flatten()?;
        let field = |name: &str| Some(json.get(name)?.as_str()?.to_owned());
        Some(Oidc {
            authorize: field("authorization_endpoint")?,
            token: field("token_endpoint")?,
        })
    });
    match endpoints {
        Some(oidc) => {
            r.line(
                Verdict::Ok,
                CHECK,
                format!("{url} names the authorize and token endpoints"),
            );
            Some(oidc)
        }
        None => {
            r.line(
                Verdict::Fail,
                CHECK,
                format!("{url} (named by discovery) gave no usable OIDC metadata. Fix: nothing in the portal's settings; check that Citrix Cloud is reachable from here and try again"),
            );
            None
        }
    }
}

/// Asks the authorize endpoint for its sign-in page with the portal's redirect URI. Whether
/// the client is known: `Some(false)` when Citrix refused the client itself.
fn redirect_uri(s: &Settings, oidc: Option<&Oidc>, r: &mut Report) -> Option<bool> {
    const CHECK: &str = "redirect URI";
    let (origin, from) = match s.get("PORTAL_URL") {
        Some(url) => (url.trim_end_matches('/'), "PORTAL_URL"),
        None => (
            DEV_ORIGIN,
            "the origin `cargo xtask dev` serves; set PORTAL_URL to check yours",
        ),
    };
    let uri = format!("{origin}/auth/callback");
    let (Some(oidc), Some(client)) = (oidc, s.get("CLIENT_ID")) else {
        let why = if oidc.is_none() {
            "needs the OIDC metadata"
        } else {
            "CLIENT_ID is missing"
        };
        r.line(
            Verdict::Skip,
            CHECK,
            format!("the portal will use {uri} ({from}); checking it {why}"),
        );
        return None;
    };
    let query: Vec<String> = [
        ("response_type", "code"),
        ("client_id", client),
        ("redirect_uri", &uri),
        ("scope", "openid"),
        ("state", "portal-doctor"),
        ("nonce", "portal-doctor"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", form_encode(v)))
    .collect();
    let separator = if oidc.authorize.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{}{separator}{}", oidc.authorize, query.join("&"));
    let answer = match request(&url, &[], None) {
        Ok(a) => a,
        Err(e) => {
            r.line(Verdict::Fail, CHECK, format!("the authorize endpoint is unreachable ({e}); the portal will use {uri}. Fix: check that Citrix Cloud is reachable from here"));
            return None;
        }
    };
    let refused_page = answer.status >= 400
        || answer
            .location
            .as_deref()
            .is_some_and(|l| !l.starts_with(&uri) && l.to_ascii_lowercase().contains("error"));
    if !refused_page {
        r.line(
            Verdict::Ok,
            CHECK,
            format!("{uri} ({from}) is registered for client {client}"),
        );
        return Some(true);
    }
    let text = answer.body.to_ascii_lowercase() + answer.location.as_deref().unwrap_or_default();
    if text.contains("redirect") {
        r.line(
            Verdict::Fail,
            CHECK,
            format!("{uri} ({from}) is not a redirect URI of client {client}. Fix: add it to the client's redirect URIs in Citrix Cloud, or set PORTAL_URL to the portal's origin"),
        );
        Some(true)
    } else {
        r.line(
            Verdict::Fail,
            CHECK,
            format!("Citrix refused client {client} at sign-in (HTTP {}): it does not exist or is disabled. Fix: set CLIENT_ID to your private Workspace OAuth client's id, and check the client is enabled", answer.status),
        );
        Some(false)
    }
}

/// A token call with a made-up code: `invalid_grant` means the client authenticated.
fn client_secret(s: &Settings, oidc: Option<&Oidc>, client_known: Option<bool>, r: &mut Report) {
    const CHECK: &str = "client secret";
    let (Some(oidc), Some(client), Some(secret)) =
        (oidc, s.get("CLIENT_ID"), s.get("CLIENT_SECRET"))
    else {
        let why = if oidc.is_none() {
            "needs the OIDC metadata"
        } else {
            "needs CLIENT_ID and CLIENT_SECRET, which are missing"
        };
        r.line(Verdict::Skip, CHECK, format!("checking it {why}"));
        return;
    };
    if client_known == Some(false) {
        r.line(Verdict::Skip, CHECK, "the client itself was refused above");
        return;
    }
    // RFC 6749 §2.3.1: id and secret form-encoded, then Basic, as the worker sends them.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        form_encode(client),
        form_encode(secret)
    ));
    let answer = request(
        &oidc.token,
        &[("Authorization", &format!("Basic {basic}"))],
        Some(&[
            ("grant_type", "authorization_code"),
            ("code", "portal-doctor-not-a-code"),
            (
                "redirect_uri",
                "https://portal-doctor.invalid/auth/callback",
            ),
            (
                "code_verifier",
                "portal-doctor-not-a-verifier-portal-doctor-not-a-verifier",
            ),
        ]),
    );
    let (verdict, says) = match answer {
        Err(e) => (
            Verdict::Fail,
            format!(
                "the token endpoint is unreachable ({e}). Fix: check that Citrix Cloud is reachable from here"
            ),
        ),
        Ok(a) => match (a.status, a.oauth_error().as_deref()) {
            (400, Some("invalid_grant")) => (
                Verdict::Ok,
                format!(
                    "accepted for client {client} (a token call with a made-up code was refused only for the code)"
                ),
            ),
            (_, Some("invalid_client")) => (
                Verdict::Fail,
                format!(
                    "Citrix refused CLIENT_SECRET for client {client} (invalid_client). Fix: copy the client's current secret from Citrix Cloud into CLIENT_SECRET (`wrangler secret put CLIENT_SECRET`); once rotation has run, the portal holds a newer secret than CLIENT_SECRET and only that one counts"
                ),
            ),
            (_, Some("unauthorized_client")) => (
                Verdict::Fail,
                format!(
                    "Citrix refused client {client} (unauthorized_client): it is disabled or may not use the code flow. Fix: enable the client in Citrix Cloud"
                ),
            ),
            (status, error) => (
                Verdict::Warn,
                format!(
                    "the token endpoint answered HTTP {status} ({}), which proves nothing about CLIENT_SECRET",
                    error.unwrap_or("no OAuth error")
                ),
            ),
        },
    };
    r.line(verdict, CHECK, says);
}

/// The Citrix Cloud API: a token with `CC_CLIENT_ID`/`CC_CLIENT_SECRET`, then `rpclients`, where
/// the portal's client is found (by its application id too, so not while discovery refuses
/// that). Its secret's expiry when found.
fn rotation(s: &Settings, application_id_accepted: bool, r: &mut Report) -> Option<u64> {
    const CHECK: &str = "rotation";
    let missing: Vec<&str> = ROTATION
        .into_iter()
        .filter(|n| s.get(n).is_none())
        .collect();
    if missing.len() == ROTATION.len() {
        r.line(Verdict::Warn, CHECK, format!("not configured: the client secret expires after 90 days and must then be replaced by hand. Fix: set {} to rotate it automatically (README: Client secret rotation)", ROTATION.join(", ")));
        return None;
    }
    if !missing.is_empty() {
        r.line(
            Verdict::Fail,
            CHECK,
            format!(
                "half configured: {} missing. Fix: set all of {}, or none",
                missing.join(", "),
                ROTATION.join(", ")
            ),
        );
        return None;
    }
    let get = |n: &str| s.get(n).unwrap_or_default();
    let customer = get("CUSTOMER_ID");
    let token_url = format!(
        "{}/cctrustoauth2/{customer}/tokens/clients",
        get("CC_TRUST_URL").trim_end_matches('/')
    );
    let token = request(
        &token_url,
        &[],
        Some(&[
            ("grant_type", "client_credentials"),
            ("client_id", get("CC_CLIENT_ID")),
            ("client_secret", get("CC_CLIENT_SECRET")),
        ]),
    );
    let token = match token {
        Ok(a) if a.status == 200 => a
            .json()
            .and_then(|j| Some(j.get("access_token")?.as_str()?.to_owned())),
        Ok(a) if matches!(a.status, 400 | 401 | 403) => {
            r.line(Verdict::Fail, CHECK, format!("Citrix Cloud refused the API client CC_CLIENT_ID {} for customer {customer} (HTTP {}). Fix: create an API client in Citrix Cloud (Identity and Access Management > API Access) and set CC_CLIENT_ID, CC_CLIENT_SECRET and CUSTOMER_ID from it", get("CC_CLIENT_ID"), a.status));
            return None;
        }
        Ok(a) => {
            r.line(Verdict::Fail, CHECK, format!("{token_url} answered HTTP {}. Fix: check CC_TRUST_URL (e.g. https://api.cloud.com) and CUSTOMER_ID", a.status));
            return None;
        }
        Err(e) => {
            r.line(Verdict::Fail, CHECK, format!("CC_TRUST_URL is unreachable ({e}). Fix: set CC_TRUST_URL, e.g. https://api.cloud.com"));
            return None;
        }
    };
    let Some(token) = token else {
        r.line(
            Verdict::Fail,
            CHECK,
            format!("{token_url} answered without an access token. Fix: check CC_TRUST_URL"),
        );
        return None;
    };
    let list_url = format!(
        "{}/{customer}/rpclients",
        get("CWS_API_URL").trim_end_matches('/')
    );
    let list = match request(
        &list_url,
        &[("Authorization", &format!("CWSAuth bearer={token}"))],
        None,
    ) {
        Ok(a) if a.status == 200 => a.json(),
        Ok(a) => {
            r.line(Verdict::Fail, CHECK, format!("{list_url} answered HTTP {}. Fix: check CWS_API_URL (e.g. https://cws.citrixworkspacesapi.net) and CUSTOMER_ID", a.status));
            return None;
        }
        Err(e) => {
            r.line(Verdict::Fail, CHECK, format!("CWS_API_URL is unreachable ({e}). Fix: set CWS_API_URL, e.g. https://cws.citrixworkspacesapi.net"));
            return None;
        }
    };
    let clients: Vec<Value> = list
        .and_then(|l| l.get("items").cloned().or(Some(l)))
        .and_then(|l| l.as_array().cloned())
        .unwrap_or_default();
    let field = |c: &Value, name: &str| {
        c.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    // As the worker finds it: by CLIENT_NAME when set, else by id or application id.
    let ours = clients.iter().find(|c| match s.get("CLIENT_NAME") {
        Some(name) => field(c, "name") == name,
        None => {
            [get("CLIENT_ID"), get("APPLICATION_ID")].contains(&field(c, "api_key").as_str())
                || field(c, "name") == get("CLIENT_ID")
        }
    });
    let Some(ours) = ours else {
        if !application_id_accepted {
            r.line(Verdict::Skip, CHECK, "the API answers; which client is the portal's cannot be told while discovery refuses APPLICATION_ID");
            return None;
        }
        let names: Vec<String> = clients.iter().map(|c| field(c, "name")).collect();
        r.line(Verdict::Fail, CHECK, format!("the API works, but none of its clients is the portal's ({}). Fix: set CLIENT_NAME to the portal's client among: {}", get("CLIENT_ID"), names.join(", ")));
        return None;
    };
    r.line(
        Verdict::Ok,
        CHECK,
        format!(
            "the Citrix Cloud API answers and lists the portal's client as {}",
            field(ours, "name")
        ),
    );
    ours.get("secret_expiration").and_then(Value::as_u64)
}

/// The client secret's days left: from Citrix Cloud, or `CLIENT_SECRET_EXPIRES`.
fn secret_days_left(s: &Settings, from_api: Option<u64>, now: u64, r: &mut Report) {
    const CHECK: &str = "secret expiry";
    let (expires, from) = match (from_api, s.get("CLIENT_SECRET_EXPIRES")) {
        (Some(at), _) => (at, "Citrix Cloud"),
        (None, Some(date)) => match parse_utc_date(date) {
            Some(at) => (at, "CLIENT_SECRET_EXPIRES"),
            None => {
                r.line(Verdict::Fail, CHECK, format!("CLIENT_SECRET_EXPIRES {date:?} is not a date. Fix: write it as 2026-12-31, the expiry Citrix Cloud shows"));
                return;
            }
        },
        (None, None) => {
            r.line(Verdict::Skip, CHECK, "unknown: rotation is not configured and CLIENT_SECRET_EXPIRES is not set (set it to the expiry Citrix Cloud shows)");
            return;
        }
    };
    let left = days_left(expires, now);
    let says = format!(
        "{left} days left (until {}, from {from})",
        utc_date(expires)
    );
    if left == 0 {
        r.line(Verdict::Fail, CHECK, format!("expired on {}. Fix: create a new secret in Citrix Cloud and `wrangler secret put CLIENT_SECRET`", utc_date(expires)));
    } else if left < SECRET_WARN_DAYS && from_api.is_none() {
        r.line(Verdict::Warn, CHECK, format!("{says}: replace it soon in Citrix Cloud and with `wrangler secret put CLIENT_SECRET`"));
    } else {
        r.line(Verdict::Ok, CHECK, says);
    }
}

/// `SESSION_KEY`: base64 keys of 32 bytes, random-looking, not the example's.
fn session_key(s: &Settings, r: &mut Report) {
    const CHECK: &str = "session key";
    const MAKE: &str = "`openssl rand -base64 32` makes one; `wrangler secret put SESSION_KEY`";
    let Some(ring) = s.get("SESSION_KEY") else {
        r.line(
            Verdict::Fail,
            CHECK,
            format!("SESSION_KEY is missing. Fix: {MAKE}"),
        );
        return;
    };
    let mut weak = Vec::new();
    for (i, entry) in ring.split(',').map(str::trim).enumerate() {
        let b64 = entry.rsplit_once(':').map_or(entry, |(_, k)| k.trim());
        let which = format!("key {}", i + 1);
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) else {
            r.line(
                Verdict::Fail,
                CHECK,
                format!("SESSION_KEY's {which} is not base64. Fix: {MAKE}"),
            );
            return;
        };
        if bytes.len() != 32 {
            r.line(
                Verdict::Fail,
                CHECK,
                format!(
                    "SESSION_KEY's {which} is {} bytes, not 32. Fix: {MAKE}",
                    bytes.len()
                ),
            );
            return;
        }
        let distinct = bytes
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if b64 == EXAMPLE_SESSION_KEY {
            weak.push(format!("{which} is .dev.vars.example's, public: fine with the emulator, never with a tenant"));
        } else if bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') || distinct < 16 {
            weak.push(format!(
                "{which} is text or repetitive, not 32 random bytes"
            ));
        }
    }
    if weak.is_empty() {
        r.line(Verdict::Ok, CHECK, "32 random-looking bytes per key");
    } else {
        r.line(
            Verdict::Warn,
            CHECK,
            format!("{}. Fix: {MAKE}", weak.join("; ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::time::DAY_SECS;
    use workspace_emulator::{Emulator, EmulatorConfig, demo};

    /// A key that is neither text nor the example's.
    const KEY: &str = "q0N5dS6wTf0C8bM3xJ1vZ7pL2hR9eK4uY6aW1sD3fG8=";

    /// Runs `f` against an emulator serving on a runtime of its own while `f` blocks on curl.
    fn with_emulator<R>(config: EmulatorConfig, f: impl FnOnce(&Emulator) -> R) -> R {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let emulator = runtime.block_on(Emulator::start(config)).unwrap();
        let result = f(&emulator);
        runtime.block_on(emulator.shutdown());
        result
    }

    /// The settings `cargo xtask dev` gives the worker, for this emulator and portal origin.
    fn settings(e: &Emulator, changes: &[(&str, &str)]) -> Settings {
        let hosts = e.hosts();
        let mut text = format!(
            "WORKSPACE_URL={}\nAPPLICATION_ID={}\nCLIENT_ID={}\nCLIENT_SECRET={}\nSESSION_KEY={KEY}\nPORTAL_URL=http://127.0.0.1:9999\nCUSTOMER_ID={}\nCWS_API_URL={}\nCC_TRUST_URL={}\nCC_CLIENT_ID={}\nCC_CLIENT_SECRET={}\n",
            hosts.customer,
            demo::APPLICATION_ID,
            demo::CLIENT_ID,
            demo::CLIENT_SECRET,
            demo::CUSTOMER_ID,
            hosts.cws,
            hosts.trust,
            demo::CLOUD_CLIENT_ID,
            demo::CLOUD_CLIENT_SECRET,
        );
        for (name, value) in changes {
            text += &format!("{name}={value}\n");
        }
        // A later line wins, as the environment would.
        Settings::read(&text, |_| None)
    }

    fn report(e: &Emulator, changes: &[(&str, &str)]) -> Vec<Line> {
        e.add_redirect_uri(demo::CLIENT_ID, "http://127.0.0.1:9999/auth/callback");
        check(&settings(e, changes), now())
    }

    /// The one failing line, and that every other line is fine or skipped.
    fn only_failure(lines: &[Line]) -> &Line {
        let failed: Vec<&Line> = lines
            .iter()
            .filter(|l| l.verdict == Verdict::Fail)
            .collect();
        assert_eq!(failed.len(), 1, "one line should fail: {lines:#?}");
        assert!(
            lines.iter().all(|l| l.verdict != Verdict::Warn),
            "{lines:#?}"
        );
        failed[0]
    }

    #[test]
    fn a_healthy_configuration_passes_every_check() {
        let lines = with_emulator(EmulatorConfig::test(), |e| report(e, &[]));
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert!(
            lines.iter().all(|l| l.verdict == Verdict::Ok),
            "{}",
            text.join("\n")
        );
        let checks: Vec<&str> = lines.iter().map(|l| l.check).collect();
        assert_eq!(
            checks,
            [
                "discovery",
                "OIDC metadata",
                "redirect URI",
                "client secret",
                "rotation",
                "secret expiry",
                "session key"
            ]
        );
        assert!(
            text[2].contains("http://127.0.0.1:9999/auth/callback"),
            "{}",
            text[2]
        );
        assert!(text[5].contains("days left"), "{}", text[5]);
    }

    #[test]
    fn a_client_created_minutes_ago_is_told_to_wait() {
        let mut config = EmulatorConfig::test();
        config.activation_delay = std::time::Duration::from_secs(300);
        let lines = with_emulator(config, |e| {
            // A new client, created through the admin portal's API as an admin would.
            let url = format!("{}/admin/api/clients", e.url());
            let body = r#"{"display_name":"new portal","client_type":"private","redirect_uris":["http://127.0.0.1:9999/auth/callback"]}"#;
            let created = post_json(&url, body);
            let client = |name: &str| created[name].as_str().unwrap().to_owned();
            report(
                e,
                &[
                    ("APPLICATION_ID", &client("application_id")),
                    ("CLIENT_ID", &client("client_id")),
                    ("CLIENT_SECRET", &client("secret")),
                ],
            )
        });
        let failed = only_failure(&lines);
        assert_eq!(failed.check, "discovery");
        assert!(
            failed.says.contains("created in the last 5 minutes"),
            "{failed}"
        );
    }

    /// A JSON POST through curl, for the test's admin call.
    fn post_json(url: &str, body: &str) -> Value {
        let out = Command::new("curl")
            .args([
                "-sS",
                "-H",
                "Content-Type: application/json",
                "--data",
                body,
                url,
            ])
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Settings changed, the check that must fail, and what its line must say.
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static str,
        &'static [&'static str],
    );

    #[test]
    fn each_misconfiguration_is_one_failing_line_that_names_the_setting_and_the_fix() {
        let cases: [Case; 6] = [
            (
                &[("APPLICATION_ID", "00000000-0000-0000-0000-000000000000")],
                "discovery",
                &["APPLICATION_ID", "5 minutes"],
            ),
            (
                &[("CLIENT_SECRET", "not-the-secret")],
                "client secret",
                &["CLIENT_SECRET", "invalid_client"],
            ),
            (
                &[("PORTAL_URL", "https://portal.acme.example")],
                "redirect URI",
                &["https://portal.acme.example/auth/callback (PORTAL_URL) is not a redirect URI"],
            ),
            (
                &[("CLIENT_ID", "nobody")],
                "redirect URI",
                &["CLIENT_ID", "disabled"],
            ),
            (
                &[("WORKSPACE_URL", "http://127.0.0.1:9")],
                "discovery",
                &["WORKSPACE_URL", "unreachable"],
            ),
            (
                &[("CC_CLIENT_SECRET", "nope")],
                "rotation",
                &["CC_CLIENT_ID", "CC_CLIENT_SECRET"],
            ),
        ];
        let reports: Vec<Vec<Line>> = with_emulator(EmulatorConfig::test(), |e| {
            cases
                .iter()
                .map(|(changes, ..)| report(e, changes))
                .collect()
        });
        for ((changes, check, says), lines) in cases.iter().zip(&reports) {
            let failed = only_failure(lines);
            assert_eq!(failed.check, *check, "{changes:?}: {lines:#?}");
            for words in *says {
                assert!(failed.says.contains(words), "{changes:?}: {failed}");
            }
            assert!(failed.says.contains("Fix:"), "{changes:?}: {failed}");
            // What needs the failed check is skipped, never failed again.
            let after = lines.iter().skip_while(|l| l.check != *check).skip(1);
            assert!(
                after
                    .take_while(|l| l.check != "rotation")
                    .all(|l| l.verdict != Verdict::Fail),
                "{lines:#?}"
            );
        }
    }

    #[test]
    fn the_session_key_must_be_32_random_bytes() {
        let key = |value: &str| {
            let mut r = Report(Vec::new());
            session_key(
                &Settings::read(&format!("SESSION_KEY={value}"), |_| None),
                &mut r,
            );
            r.0.remove(0)
        };
        assert_eq!(key(KEY).verdict, Verdict::Ok);
        assert_eq!(
            key(&format!(
                "new:{KEY}, old:{}",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
            ))
            .verdict,
            Verdict::Ok
        );
        let example = key(EXAMPLE_SESSION_KEY);
        assert_eq!(example.verdict, Verdict::Warn);
        assert!(example.says.contains("example"), "{example}");
        assert_eq!(
            key("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").verdict,
            Verdict::Warn
        );
        assert!(key("c2hvcnQ=").says.contains("is 5 bytes, not 32"));
        assert!(key("not base64!").says.contains("not base64"));
        assert_eq!(key("").verdict, Verdict::Fail);
    }

    #[test]
    fn the_environment_wins_over_the_file_and_quotes_are_dropped() {
        let s = Settings::read(
            "# comment\nCLIENT_ID=\"from-file\"\nWORKSPACE_URL = https://a.example\n",
            |name| (name == "CLIENT_ID").then(|| "from-env".to_owned()),
        );
        assert_eq!(s.get("CLIENT_ID"), Some("from-env"));
        assert_eq!(s.get("WORKSPACE_URL"), Some("https://a.example"));
        let s = Settings::read("CLIENT_ID=\"from-file\"\n", |_| None);
        assert_eq!(s.get("CLIENT_ID"), Some("from-file"));
    }

    #[test]
    fn the_secrets_expiry_comes_from_the_admin_without_rotation() {
        let at = |date: &str, now: u64| {
            let mut r = Report(Vec::new());
            secret_days_left(
                &Settings::read(&format!("CLIENT_SECRET_EXPIRES={date}"), |_| None),
                None,
                now,
                &mut r,
            );
            r.0.remove(0)
        };
        let day = parse_utc_date("2026-12-31").unwrap();
        assert_eq!(at("2026-12-31", day - 30 * DAY_SECS).verdict, Verdict::Ok);
        assert_eq!(at("2026-12-31", day - 3 * DAY_SECS).verdict, Verdict::Warn);
        assert_eq!(at("2026-12-31", day + 1).verdict, Verdict::Fail);
        assert_eq!(at("31 Dec", day).verdict, Verdict::Fail);
    }
}
