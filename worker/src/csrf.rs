//! CSRF defence: a static custom header on every state-changing request (a cross-site form or
//! link cannot set one without a CORS preflight we never grant) and, when the browser sends it,
//! `Sec-Fetch-Site: same-origin`.

use crate::error::PortalError;

/// Checks a request's method and headers.
pub fn check(
    safe_method: bool,
    csrf_header: Option<&str>,
    sec_fetch_site: Option<&str>,
) -> Result<(), PortalError> {
    if safe_method {
        return Ok(());
    }
    if csrf_header.map(str::trim) != Some("1") {
        return Err(PortalError::CsrfRejected);
    }
    match sec_fetch_site {
        None | Some("same-origin") => Ok(()),
        Some(_) => Err(PortalError::CsrfRejected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_methods_pass() {
        assert!(check(true, None, Some("cross-site")).is_ok());
    }

    #[test]
    fn state_changes_need_the_header_and_same_origin() {
        assert!(check(false, Some("1"), None).is_ok());
        assert!(check(false, Some("1"), Some("same-origin")).is_ok());
        for (h, site) in [
            (None, None),
            (Some("0"), None),
            (Some("true"), None),
            (Some("1"), Some("cross-site")),
            (Some("1"), Some("same-site")),
            (Some("1"), Some("none")),
        ] {
            assert_eq!(
                check(false, h, site),
                Err(PortalError::CsrfRejected),
                "{h:?} {site:?}"
            );
        }
    }
}
