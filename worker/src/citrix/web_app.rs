//! Where a web or SaaS app is: the store's answer to the app's `launchUrl`, checked before the
//! browser is sent there.
//!
//! The store may answer with a redirect to the app (another origin: [`Answer::location`], never
//! followed with the user's token) or with `200 {"url": …}`. Either way the address is what an
//! admin published, so the portal vouches only for an absolute `https:` URL with a host and no
//! user name or password in it; anything else (`http:`, `javascript:`, `data:`, a relative
//! path) is refused, and the user is told why.

use worker::Url;

use crate::citrix::upstream::Answer;

/// Longest address passed on: a URL longer than this is not one a person published.
const MAX_URL_LEN: usize = 4096;

/// Why a web app's address was not passed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The store did not say where the app is (its status).
    NoAddress(u16),
    /// The store named an address the portal will not open; why, as the end of a sentence
    /// about "the address" ("… is not a secure (https) one").
    Unsafe(&'static str),
}

/// The address of the app from the store's answer.
pub fn destination(answer: &Answer) -> Result<Url, Refusal> {
    let named = match &answer.location {
        Some(location) => location.as_str().to_owned(),
        None if answer.status == 200 => address_in(&answer.body).ok_or(Refusal::NoAddress(200))?,
        None => return Err(Refusal::NoAddress(answer.status)),
    };
    vouch(&named)
}

/// `{"url": "…"}`, leniently: other fields ignored; absent, `null` or a non-string is no
/// address.
fn address_in(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        url: Option<serde_json::Value>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    match body.url? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// The address, if the portal can send a browser there.
fn vouch(address: &str) -> Result<Url, Refusal> {
    if address.len() > MAX_URL_LEN {
        return Err(Refusal::Unsafe("is longer than any real one"));
    }
    let url = Url::parse(address).map_err(|_| Refusal::Unsafe("is not a complete web address"))?;
    if url.scheme() != "https" {
        return Err(Refusal::Unsafe("is not a secure (https) one"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Refusal::Unsafe("names no site"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Unsafe("carries a user name or password"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str, location: Option<&str>) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
            content_type: None,
            location: location.map(|l| Url::parse(l).unwrap()),
        }
    }

    #[test]
    fn a_redirect_or_a_url_in_the_body_names_the_app() {
        let redirected = answer(302, "", Some("https://expenses.acme.example/claims?x=1"));
        assert_eq!(
            destination(&redirected).unwrap().as_str(),
            "https://expenses.acme.example/claims?x=1"
        );
        let named = answer(
            200,
            r#"{"url":" https://app.example/ ","extra":null}"#,
            None,
        );
        assert_eq!(
            destination(&named).unwrap().as_str(),
            "https://app.example/"
        );
    }

    #[test]
    fn an_answer_without_an_address_is_refused() {
        for (status, body) in [
            (200, r#"{"url":null}"#),
            (200, r#"{"url":42}"#),
            (200, r#"{}"#),
            (200, "not json"),
            (404, r#"{"url":"https://app.example/"}"#),
        ] {
            assert_eq!(
                destination(&answer(status, body, None)),
                Err(Refusal::NoAddress(status)),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn only_https_addresses_with_a_host_and_no_credentials_are_vouched_for() {
        for address in [
            "http://learning.acme.example/courses",
            "javascript:window.__xss=1",
            "data:text/html,<script>1</script>",
            "/relative/path",
            "https://user:pass@app.example/",
            "https://user@app.example/",
            "file:///etc/passwd",
        ] {
            let body = serde_json::json!({ "url": address }).to_string();
            assert!(
                matches!(
                    destination(&answer(200, &body, None)),
                    Err(Refusal::Unsafe(_))
                ),
                "{address} was vouched for"
            );
        }
        // The reason is what the user is told.
        for (address, why) in [
            ("http://a.example/", "is not a secure (https) one"),
            ("javascript:x", "is not a secure (https) one"),
            ("/relative", "is not a complete web address"),
            ("https://u:p@a.example/", "carries a user name or password"),
        ] {
            let body = serde_json::json!({ "url": address }).to_string();
            assert_eq!(
                destination(&answer(200, &body, None)),
                Err(Refusal::Unsafe(why))
            );
        }
        let long = format!("https://app.example/{}", "a".repeat(MAX_URL_LEN));
        let body = serde_json::json!({ "url": long }).to_string();
        assert!(matches!(
            destination(&answer(200, &body, None)),
            Err(Refusal::Unsafe(_))
        ));
    }
}
