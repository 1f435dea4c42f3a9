//! The Citrix Cloud API client that rotates the portal's secret (seed: oauth-client-management.txt,
//! "Programmatic Rotation"): a client-credentials token from `CC_TRUST_URL`, then `rpclients`,
//! `$rotateSecret` and `$expireOldSecret` with `Authorization: CWSAuth bearer=<token>`.
//!
//! Errors are plain text for the rotation's run record, which admins see: they name the call and
//! the status, never a body (a `$rotateSecret` body holds the new secret) or a token.

use worker::Method;

use crate::citrix::upstream::{Answer, Call};
use crate::citrix::workspace::TokenAnswer;
use crate::config::CloudApi;
use oauth2::TokenResponse;

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
    if answer.access_token().secret().is_empty() {
        return Err("the token answer holds no access_token".into());
    }
    // Citrix Cloud sends the lifetime as a string; the OAuth spec as a number.
    let lifetime = answer.expires_in().map_or(3600, |d| d.as_secs());
    Ok(CloudToken {
        value: answer.access_token().secret().clone(),
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

/// `POST {CC_TRUST_URL}/cctrustoauth2/{CUSTOMER_ID}/tokens/clients`, client credentials.
pub async fn token(api: &CloudApi, now: u64) -> Result<CloudToken, String> {
    let url = api.token_url();
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        form(&api.client_id),
        form(&api.client_secret)
    );
    let answer = Call {
        method: Method::Post,
        url: &url,
        application_id: None,
        headers: vec![],
        body: Some(("application/x-www-form-urlencoded", body.into_bytes())),
        what: "getting a Citrix Cloud API token",
    }
    .send()
    .await
    .map_err(|e| e.log_line())?;
    match answer.status {
        200 => parse_token(&answer.body, now),
        400 | 401 => Err(format!(
            "{} (check CC_CLIENT_ID and CC_CLIENT_SECRET, and CUSTOMER_ID)",
            failed("the Citrix Cloud token endpoint", &answer)
        )),
        _ => Err(failed("the Citrix Cloud token endpoint", &answer)),
    }
}

/// Why an `rpclients` call failed; `stale_token` when the token should be dropped.
pub struct CallFailed {
    /// For the run record.
    pub error: String,
    /// Citrix Cloud refused the token (401): get a new one next time.
    pub stale_token: bool,
}

async fn call(
    token: &CloudToken,
    method: Method,
    url: &url::Url,
    what: &'static str,
) -> Result<Answer, CallFailed> {
    let answer = Call {
        method,
        url,
        application_id: None,
        headers: vec![("Authorization", format!("CWSAuth bearer={}", token.value))],
        body: None,
        what,
    }
    .send()
    .await
    .map_err(|e| CallFailed {
        error: e.log_line(),
        stale_token: false,
    })?;
    if answer.status == 200 {
        return Ok(answer);
    }
    Err(CallFailed {
        error: failed(what, &answer),
        stale_token: answer.status == 401,
    })
}

/// `GET {CWS_API_URL}/{CUSTOMER_ID}/rpclients`: the body.
pub async fn list(api: &CloudApi, token: &CloudToken) -> Result<Vec<u8>, CallFailed> {
    let url = api.rpclients_url();
    Ok(call(token, Method::Get, &url, "rpclients").await?.body)
}

/// `POST …/rpclients/{name}/$rotateSecret`: the body, which holds the new secret.
pub async fn rotate(api: &CloudApi, token: &CloudToken, name: &str) -> Result<Vec<u8>, CallFailed> {
    let url = api.action_url(name, "$rotateSecret");
    Ok(call(token, Method::Post, &url, "$rotateSecret").await?.body)
}

/// `POST …/rpclients/{name}/$expireOldSecret`: 200 with an empty body.
pub async fn expire_old(api: &CloudApi, token: &CloudToken, name: &str) -> Result<(), CallFailed> {
    let url = api.action_url(name, "$expireOldSecret");
    call(token, Method::Post, &url, "$expireOldSecret").await?;
    Ok(())
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
}
