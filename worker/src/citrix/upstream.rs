//! Every call to Citrix Cloud goes through here: Citrix headers, a fresh transaction id that is
//! logged, a timeout, one retry of idempotent calls that failed fast (a 5xx or a refused
//! connection, never a call that hung: the user's request has one deadline), redirects followed
//! only on the same origin (and only a few), and no cookies either way.

use std::time::Duration;

use futures::FutureExt;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, Url};

use crate::crypto::random_bytes;
use crate::http::error::PortalError;
use crate::http::timing::{self, Kind};

/// No upstream call may hold a request longer than this.
const TIMEOUT: Duration = Duration::from_secs(8);
/// A failed GET is retried only when it failed within this long: retrying a slow failure
/// would spend the user's deadline twice.
const FAST_FAILURE_MS: u64 = 2000;
/// Same-origin redirects followed in one call before giving up.
const MAX_REDIRECTS: usize = 3;
const USER_AGENT: &str = "WorkspacePortal/0.1 (+https://github.com/workspace-portal)";

/// An upstream answer, fully read.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Where a redirect that was not followed (another origin, or too many) pointed.
    pub location: Option<Url>,
}

impl Answer {
    /// Parses the body as JSON, or explains why not (for the log).
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
    ) -> Result<T, PortalError> {
        serde_json::from_slice(&self.body).map_err(|e| PortalError::UpstreamMalformed {
            what: what.into(),
            detail: format!("status {}: {e}", self.status),
        })
    }

    /// Whether the store refused the access token: 401, or 400 `invalid_grant` (both styles exist).
    pub fn is_bad_token(&self) -> bool {
        self.status == 401
            || (self.status == 400
                && serde_json::from_slice::<crate::citrix::workspace::OAuthErrorBody>(&self.body)
                    .is_ok_and(|e| e.error == "invalid_grant"))
    }
}

/// One upstream request.
pub struct Call<'a> {
    /// Method.
    pub method: Method,
    /// Absolute URL, already admitted by the SSRF guard.
    pub url: &'a Url,
    /// `Citrix-ApplicationId`; `None` only for calls outside the Workspace API.
    pub application_id: Option<&'a str>,
    /// Extra headers, e.g. `Authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// Request body and its content type.
    pub body: Option<(&'static str, Vec<u8>)>,
    /// What the call is for, in words for people ("listing your apps").
    pub what: &'static str,
}

impl Call<'_> {
    /// Sends the call; a GET that failed fast (5xx or a network failure) is retried once.
    pub async fn send(&self) -> Result<Answer, PortalError> {
        let started = timing::now_ms();
        let first = self.follow().await;
        let failed = match &first {
            Ok(a) => a.status >= 500,
            Err(_) => true,
        };
        let fast = timing::now_ms().saturating_sub(started) < FAST_FAILURE_MS;
        if self.method == Method::Get && failed && fast {
            self.follow().await
        } else {
            first
        }
    }

    /// One attempt, following same-origin redirects: a redirect elsewhere, or one too many, is
    /// answered as it came (with [`Answer::location`]) for the caller to refuse.
    async fn follow(&self) -> Result<Answer, PortalError> {
        let mut url = self.url.clone();
        let mut method = self.method.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut answer = self.attempt(&url, &method).await?;
            let Some(next) = answer.location.take() else {
                return Ok(answer);
            };
            match redirect_target(&url, &next) {
                Some(next) => {
                    // 303 (and, as browsers do, 301/302 after a POST) continues with a GET.
                    if answer.status == 303
                        || (matches!(answer.status, 301 | 302) && method == Method::Post)
                    {
                        method = Method::Get;
                    }
                    url = next;
                }
                None => {
                    worker::console_warn!(
                        "upstream {} redirected to another origin ({}); not followed",
                        url.origin().ascii_serialization(),
                        next.origin().ascii_serialization()
                    );
                    answer.location = Some(next);
                    return Ok(answer);
                }
            }
        }
        Err(PortalError::Upstream {
            what: self.what.into(),
            detail: format!(
                "more than {MAX_REDIRECTS} redirects from {}",
                self.url.origin().ascii_serialization()
            ),
        })
    }

    /// One request, as it went: no redirect followed.
    async fn attempt(&self, url: &Url, method: &Method) -> Result<Answer, PortalError> {
        timing::timed(Kind::Upstream, self.once(url, method)).await
    }

    async fn once(&self, url: &Url, method: &Method) -> Result<Answer, PortalError> {
        let txn = transaction_id();
        let headers = Headers::new();
        let set = |k: &str, v: &str| {
            headers
                .set(k, v)
                .map_err(|e| PortalError::Internal(format!("header {k}: {e}")))
        };
        set("Accept", "application/json")?;
        set("User-Agent", USER_AGENT)?;
        set("Citrix-TransactionId", &txn)?;
        if let Some(app) = self.application_id {
            set("Citrix-ApplicationId", app)?;
        }
        for (k, v) in &self.headers {
            set(k, v)?;
        }
        let mut init = RequestInit::new();
        init.with_method(method.clone())
            .with_headers(headers.clone());
        if let Some((content_type, body)) = self.body.as_ref().filter(|_| *method != Method::Get) {
            set("Content-Type", content_type)?;
            init.with_headers(headers).with_body(Some(
                worker::js_sys::Uint8Array::from(body.as_slice()).into(),
            ));
        }
        // The runtime never follows redirects itself: `follow` decides, by origin.
        init.with_redirect(worker::RequestRedirect::Manual);
        let request = Request::new_with_init(url.as_str(), &init)
            .map_err(|e| PortalError::Internal(format!("building request: {e}")))?;

        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(request);
        let outcome = futures::select! {
            r = fetch.send_with_signal(&signal).fuse() => Some(r),
            _ = Delay::from(TIMEOUT).fuse() => None,
        };
        let log_target = format!(
            "{} {}{}",
            method_name(method),
            url.origin().ascii_serialization(),
            url.path()
        );
        let response = match outcome {
            None => {
                controller.abort();
                worker::console_warn!("upstream {log_target} timed out (txn {txn})");
                return Err(PortalError::Upstream {
                    what: self.what.into(),
                    detail: format!("{log_target} timed out after {TIMEOUT:?} (txn {txn})"),
                });
            }
            Some(Err(e)) => {
                worker::console_warn!("upstream {log_target} failed: {e} (txn {txn})");
                return Err(PortalError::Upstream {
                    what: self.what.into(),
                    detail: format!("{log_target}: {e} (txn {txn})"),
                });
            }
            Some(Ok(r)) => r,
        };
        let status = response.status_code();
        let error_source = response.headers().get("Citrix-Error-Source").ok().flatten();
        worker::console_log!(
            "upstream {log_target} -> {status} (txn {txn}{})",
            error_source
                .map(|s| format!(", error source {s}"))
                .unwrap_or_default()
        );
        let content_type = response.headers().get("Content-Type").ok().flatten();
        let location = matches!(status, 301 | 302 | 303 | 307 | 308)
            .then(|| response.headers().get("Location").ok().flatten())
            .flatten()
            .and_then(|l| url.join(&l).ok());
        let body = whole_body(response)
            .await
            .map_err(|e| PortalError::Upstream {
                what: self.what.into(),
                detail: format!("{log_target}: reading body: {e} (txn {txn})"),
            })?;
        Ok(Answer {
            status,
            body,
            content_type,
            location,
        })
    }
}

/// The body in one piece: one `arrayBuffer()` from the runtime, copied once into WASM memory.
/// (`Response::bytes` reads the stream chunk by chunk, a promise and a copy each: a catalogue of
/// 5,000 resources is 3 MB.)
async fn whole_body(response: worker::Response) -> Result<Vec<u8>, String> {
    let js = |e: worker::wasm_bindgen::JsValue| format!("{e:?}");
    let response = worker::web_sys::Response::from(response);
    let buffer = worker::wasm_bindgen_futures::JsFuture::from(response.array_buffer().map_err(js)?)
        .await
        .map_err(js)?;
    Ok(worker::js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Where a redirect from `from` may be followed: only on the same origin, without credentials.
fn redirect_target(from: &Url, to: &Url) -> Option<Url> {
    (to.origin() == from.origin() && to.username().is_empty() && to.password().is_none())
        .then(|| to.clone())
}

fn method_name(m: &Method) -> &'static str {
    match m {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        _ => "OTHER",
    }
}

/// A fresh `Citrix-TransactionId` in GUID form, as the samples send.
fn transaction_id() -> String {
    let bytes = random_bytes(16);
    let hex = |part: &[u8]| -> String { part.iter().map(|b| format!("{b:02x}")).collect() };
    let (a, rest) = bytes.split_at(4);
    let (b, rest) = rest.split_at(2);
    let (c, rest) = rest.split_at(2);
    let (d, e) = rest.split_at(2);
    format!("{}-{}-{}-{}-{}", hex(a), hex(b), hex(c), hex(d), hex(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_fresh_guids() {
        let id = transaction_id();
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "{id}");
        assert!(
            id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
            "{id}"
        );
        assert_ne!(id, transaction_id());
    }

    #[test]
    fn redirects_are_followed_on_the_same_origin_only() {
        let from =
            Url::parse("https://acme.cloud.com/citrixapi/store/resources/images/a.svg").unwrap();
        let to = |s: &str| from.join(s).unwrap();
        for same in [
            "/citrixapi/store/resources/images/v2/a.svg",
            "v2/a.svg",
            "https://acme.cloud.com/other?x=1",
        ] {
            assert_eq!(redirect_target(&from, &to(same)), Some(to(same)), "{same}");
        }
        for other in [
            "https://evil.example/a.svg",
            "http://acme.cloud.com/a.svg",
            "https://acme.cloud.com:8443/a.svg",
            "https://user:pw@acme.cloud.com/a.svg",
            "//169.254.169.254/latest/meta-data",
            "file:///etc/passwd",
        ] {
            assert_eq!(redirect_target(&from, &to(other)), None, "{other}");
        }
    }
}
