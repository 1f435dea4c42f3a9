//! Every call to Citrix Cloud goes through here: Citrix headers, a fresh transaction id that is
//! logged, a timeout, one retry of idempotent calls on 5xx, and no cookies either way.

use std::time::Duration;

use futures::FutureExt;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, Url};

use crate::crypto::random_bytes;
use crate::error::PortalError;

/// No upstream call may hold a request longer than this (a GET retried once: twice this).
const TIMEOUT: Duration = Duration::from_secs(10);
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
                && serde_json::from_slice::<portal_shared::workspace::OAuthErrorBody>(&self.body)
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
    /// Sends the call; GETs are retried once on 5xx or a network failure.
    pub async fn send(&self) -> Result<Answer, PortalError> {
        let first = self.attempt().await;
        let retry = self.method == Method::Get
            && match &first {
                Ok(a) => a.status >= 500,
                Err(_) => true,
            };
        if retry { self.attempt().await } else { first }
    }

    async fn attempt(&self) -> Result<Answer, PortalError> {
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
        init.with_method(self.method.clone())
            .with_headers(headers.clone());
        if let Some((content_type, body)) = &self.body {
            set("Content-Type", content_type)?;
            init.with_headers(headers).with_body(Some(
                worker::js_sys::Uint8Array::from(body.as_slice()).into(),
            ));
        }
        // Redirects are not followed: a redirect could lead off the allowed origin.
        init.with_redirect(worker::RequestRedirect::Manual);
        let request = Request::new_with_init(self.url.as_str(), &init)
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
            method_name(&self.method),
            self.url.origin().ascii_serialization(),
            self.url.path()
        );
        let mut response = match outcome {
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
        let body = response.bytes().await.map_err(|e| PortalError::Upstream {
            what: self.what.into(),
            detail: format!("{log_target}: reading body: {e} (txn {txn})"),
        })?;
        Ok(Answer {
            status,
            body,
            content_type,
        })
    }
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
    let hex: String = random_bytes(16)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
