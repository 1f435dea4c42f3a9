//! CSRF defence: a static custom header on every state-changing request (a cross-site form or
//! link cannot set one without a CORS preflight we never grant) and, when the browser sends it,
//! `Sec-Fetch-Site: same-origin`; where it does not, an `Origin` that is ours.
//!
//! A request that fetches a launch ticket is guarded the same way even as a GET (the ICA
//! download is a plain link): another site must not be able to make the browser fetch one.

use url::Url;

use crate::http::error::PortalError;

/// The portal's origins, as browsers serialise `Origin`: the request's own, and that of
/// `PORTAL_URL` (the address people use, which may differ behind a proxy). `PORTAL_URL` is read
/// as a URL, so a path, a trailing slash or capitals in it do not make its origin unknown; one
/// that is no URL adds nothing (the configuration check says why elsewhere).
pub fn origins(request: Option<&Url>, portal_url: Option<&str>) -> Vec<String> {
    let portal = portal_url.and_then(|p| Url::parse(p.trim()).ok());
    [request, portal.as_ref()]
        .into_iter()
        .flatten()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect()
}

/// What the check needs to know of a request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen<'a> {
    /// GET, HEAD or OPTIONS.
    pub safe_method: bool,
    /// The request starts a launch or fetches a ticket.
    pub ticketed: bool,
    /// The CSRF header's value.
    pub csrf_header: Option<&'a str>,
    /// `Sec-Fetch-Site`.
    pub sec_fetch_site: Option<&'a str>,
    /// `Origin`.
    pub origin: Option<&'a str>,
}

/// Checks a request; `ours` are the portal's origins (the request's and `PORTAL_URL`).
pub fn check(seen: Seen<'_>, ours: &[&str]) -> Result<(), PortalError> {
    if seen.safe_method && !seen.ticketed {
        return Ok(());
    }
    let has_header = seen.csrf_header.map(str::trim) == Some("1");
    if !seen.safe_method && !has_header {
        return Err(PortalError::CsrfRejected);
    }
    let same_origin = match (seen.sec_fetch_site, seen.origin) {
        (Some(site), _) => site == "same-origin",
        // An older browser: `Origin`, when sent, must be ours.
        (None, Some(origin)) => ours.contains(&origin),
        // Neither: only the custom header proves the portal's own script sent it.
        (None, None) => has_header,
    };
    if same_origin {
        Ok(())
    } else {
        Err(PortalError::CsrfRejected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &[&str] = &["https://portal.acme.com"];

    #[test]
    fn the_portal_url_counts_by_its_origin() {
        let request = Url::parse("http://127.0.0.1:8787/api/resources/x/launch").unwrap();
        for portal_url in [
            "https://portal.acme.com",
            "https://portal.acme.com/",
            " https://Portal.ACME.com/catalogue/ ",
            "https://portal.acme.com:443/",
        ] {
            assert_eq!(
                origins(Some(&request), Some(portal_url)),
                ["http://127.0.0.1:8787", "https://portal.acme.com"],
                "{portal_url:?}"
            );
        }
        for not_a_url in ["portal.acme.com", "", "data:text/plain,x"] {
            assert_eq!(
                origins(Some(&request), Some(not_a_url)),
                ["http://127.0.0.1:8787"],
                "{not_a_url:?}"
            );
        }
        assert!(origins(None, None).is_empty());
    }

    fn seen<'a>(
        safe_method: bool,
        ticketed: bool,
        csrf_header: Option<&'a str>,
        sec_fetch_site: Option<&'a str>,
        origin: Option<&'a str>,
    ) -> Seen<'a> {
        Seen {
            safe_method,
            ticketed,
            csrf_header,
            sec_fetch_site,
            origin,
        }
    }

    #[test]
    fn safe_methods_pass() {
        assert!(check(seen(true, false, None, Some("cross-site"), None), OURS).is_ok());
    }

    #[test]
    fn state_changes_need_the_header_and_same_origin() {
        for ok in [
            seen(false, false, Some("1"), None, None),
            seen(false, false, Some("1"), Some("same-origin"), None),
            seen(
                false,
                false,
                Some("1"),
                None,
                Some("https://portal.acme.com"),
            ),
        ] {
            assert!(check(ok, OURS).is_ok(), "{ok:?}");
        }
        for bad in [
            seen(false, false, None, None, None),
            seen(false, false, Some("0"), None, None),
            seen(false, false, Some("true"), None, None),
            seen(false, false, Some("1"), Some("cross-site"), None),
            seen(false, false, Some("1"), Some("same-site"), None),
            seen(false, false, Some("1"), Some("none"), None),
            seen(false, false, Some("1"), None, Some("https://evil.example")),
            seen(false, false, Some("1"), None, Some("null")),
        ] {
            assert_eq!(check(bad, OURS), Err(PortalError::CsrfRejected), "{bad:?}");
        }
    }

    #[test]
    fn a_get_that_fetches_a_ticket_must_come_from_the_portal() {
        for ok in [
            seen(true, true, None, Some("same-origin"), None),
            seen(true, true, Some("1"), None, None),
            seen(true, true, None, None, Some("https://portal.acme.com")),
        ] {
            assert!(check(ok, OURS).is_ok(), "{ok:?}");
        }
        for bad in [
            // A link on another site, an address typed in, an old browser with no headers.
            seen(true, true, None, Some("cross-site"), None),
            seen(true, true, None, Some("same-site"), None),
            seen(true, true, None, Some("none"), None),
            seen(true, true, Some("1"), Some("cross-site"), None),
            seen(true, true, None, None, None),
            seen(true, true, None, None, Some("https://evil.example")),
        ] {
            assert_eq!(check(bad, OURS), Err(PortalError::CsrfRejected), "{bad:?}");
        }
    }
}
