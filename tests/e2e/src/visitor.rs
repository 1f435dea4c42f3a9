//! A browser-like HTTP visitor of the portal without a browser: it keeps cookies (including
//! `Secure` and `__Host-` ones on loopback, as Chromium does), follows no redirect by itself, and
//! signs in through the emulator's login form. For the worker's integration tests, where a
//! real Chromium would only slow things down.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Method, Response};

use crate::Result;

/// One browser's cookies and the portal it visits.
pub struct Visitor {
    http: reqwest::Client,
    portal: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// The CSRF header of state-changing requests.
pub const CSRF: (&str, &str) = ("X-Portal-Csrf", "1");

impl Visitor {
    /// A visitor with no cookies.
    pub fn new(portal: &str) -> Visitor {
        Visitor {
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("a reqwest client"),
            portal: portal.to_owned(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    /// A visitor signed in as `user`.
    pub async fn signed_in(portal: &str, user: &str, password: &str) -> Result<Visitor> {
        let v = Visitor::new(portal);
        v.sign_in(user, password).await?;
        Ok(v)
    }

    /// The value of a cookie the portal set, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// Sets a cookie as if the portal had, e.g. one an attacker planted or tampered with.
    pub fn plant(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    /// Forgets a cookie, as when the browser drops it.
    pub fn forget(&self, name: &str) {
        self.cookies.lock().unwrap().remove(name);
    }

    /// The `Cookie` header this visitor sends the portal.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&self, headers: &HeaderMap) {
        let mut jar = self.cookies.lock().unwrap();
        for value in headers.get_all(SET_COOKIE) {
            let Some((pair, attributes)) = value
                .to_str()
                .ok()
                .map(|v| v.split_once(';').unwrap_or((v, "")))
            else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = attributes
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if expired || value.is_empty() {
                jar.remove(name.trim());
            } else {
                jar.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    /// A request to the portal with this visitor's cookies; `extra` headers are added.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Result<Response> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.portal)
        };
        let mut request = self.http.request(method, &url);
        let cookies = self.cookie_header();
        if !cookies.is_empty() && url.starts_with(&self.portal) {
            request = request.header("Cookie", cookies);
        }
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
        if url.starts_with(&self.portal) {
            self.keep_cookies(response.headers());
        }
        Ok(response)
    }

    /// A state-changing request as the SPA makes it, with a JSON `body`.
    pub async fn send_json(&self, method: Method, path: &str, body: &str) -> Result<Response> {
        let url = format!("{}{path}", self.portal);
        let response = self
            .http
            .request(method, &url)
            .header("Cookie", self.cookie_header())
            .header(CSRF.0, CSRF.1)
            .header("Sec-Fetch-Site", "same-origin")
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        self.keep_cookies(response.headers());
        Ok(response)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Response> {
        self.request(Method::GET, path, &[]).await
    }

    /// `GET path` as a link on one of the portal's pages makes it (`Sec-Fetch-Site:
    /// same-origin`), e.g. the ICA download.
    pub async fn navigate(&self, path: &str) -> Result<Response> {
        self.request(Method::GET, path, &[("Sec-Fetch-Site", "same-origin")])
            .await
    }

    /// A state-changing request as the SPA makes it: with the CSRF header and
    /// `Sec-Fetch-Site: same-origin`.
    pub async fn send(&self, method: Method, path: &str) -> Result<Response> {
        self.request(method, path, &[CSRF, ("Sec-Fetch-Site", "same-origin")])
            .await
    }

    /// `GET path`, expecting JSON with status 200.
    pub async fn json(&self, path: &str) -> Result<serde_json::Value> {
        ok_json(self.get(path).await?).await
    }

    /// Signs in through `/auth/login` and the emulator's login form, as a browser would;
    /// returns the page the callback answered (a same-origin redirect page when all is well).
    pub async fn sign_in_at(&self, return_to: &str, user: &str, password: &str) -> Result<String> {
        let callback = self.authorize_at(return_to, user, password).await?;
        let page = self.get(&callback).await?;
        page.text().await.map_err(|e| e.to_string())
    }

    /// The first half of a sign-in: `/auth/login` (which sets this visitor's login cookie) and
    /// the emulator's login form; returns the callback URL the identity provider sends the
    /// browser to, not yet visited, so attacks can replay, swap or steal it.
    pub async fn authorize_at(
        &self,
        return_to: &str,
        user: &str,
        password: &str,
    ) -> Result<String> {
        let start = self
            .get(&format!("/auth/login?returnTo={}", urlencode(return_to)))
            .await?;
        let authorize = location(&start)?;
        let params: Vec<(String, String)> = url::Url::parse(&authorize)
            .map_err(|e| e.to_string())?
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let origin = url::Url::parse(&authorize)
            .map_err(|e| e.to_string())?
            .origin()
            .ascii_serialization();
        let mut form = params;
        form.push(("username".into(), user.into()));
        form.push(("password".into(), password.into()));
        let answer = self
            .http
            .post(format!("{origin}/core/connect/authorize/login"))
            .form(&form)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        location(&answer)
    }

    /// Signs in and checks that a session exists.
    pub async fn sign_in(&self, user: &str, password: &str) -> Result<()> {
        let page = self.sign_in_at("/", user, password).await?;
        if self.cookie(SESSION_COOKIE).is_none() {
            return Err(format!(
                "no session cookie after signing in; the page said: {page}"
            ));
        }
        Ok(())
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "__Host-Http-portal-session";
/// The device cookie's name.
pub const DEVICE_COOKIE: &str = "__Host-Http-portal-device";

/// A response header's value, or `""` when it is absent.
pub fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The `Location` of a redirect.
pub fn location(r: &Response) -> Result<String> {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("expected a redirect, got {}", r.status()))
}

/// The body of a 200 answer as JSON, or an error naming the status and body.
pub async fn ok_json(r: Response) -> Result<serde_json::Value> {
    let status = r.status();
    let text = r.text().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("expected 200, got {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("not JSON ({e}): {text}"))
}

/// Checks that an answer is the worker's error `code` with `status` and a message for people;
/// returns its body.
pub async fn expect_error(r: Response, status: u16, code: &str) -> Result<serde_json::Value> {
    let (got, body) = status_json(r).await;
    if got != status || body["code"] != code {
        return Err(format!("expected {status} {code}, got {got} {body}"));
    }
    if body["message"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no message for people: {body}"));
    }
    Ok(body)
}

/// Status and JSON body of an answer (the body is `null` when it is not JSON).
pub async fn status_json(r: Response) -> (u16, serde_json::Value) {
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
