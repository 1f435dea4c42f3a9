//! CSRF defence: a static custom header on every state-changing request (a cross-site form or
//! link cannot set one without a CORS preflight we never grant) and, when the browser sends it,
//! `Sec-Fetch-Site: same-origin`; where it does not, an `Origin` that is ours.
//!
//! A request that fetches a launch ticket is guarded the same way even as a GET (the ICA
//! download is a plain link): another site must not be able to make the browser fetch one.

use crate::http::error::PortalError;

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
