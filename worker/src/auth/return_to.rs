//! Where to send the user after sign-in: one of the single-page app's own pages, nothing else.
//! Never the API (`/api/resources/{id}/ica` would fetch a launch ticket for whoever started the
//! sign-in), never `/auth/`, never a static file.

use portal_shared::api::PAGES;
use url::Url;

/// The longest path kept; a longer one falls back to `/`.
const MAX_LEN: usize = 2048;

/// A validated same-origin path with optional query, e.g. `/?view=desktops`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

impl ReturnTo {
    /// Parses `input`, falling back to `/` for anything that is not one of the app's pages
    /// (with any query) on this origin.
    ///
    /// Refuses the known open-redirect bypasses: `//evil`, `/\evil` (oauth2-proxy CVE-2020-5233),
    /// `https:evil`, control characters, and anything that resolves off the origin.
    pub fn parse(input: &str) -> ReturnTo {
        Self::checked(input).unwrap_or_else(|| ReturnTo("/".into()))
    }

    fn checked(input: &str) -> Option<ReturnTo> {
        if !input.starts_with('/') || input.starts_with("//") || input.len() > MAX_LEN {
            return None;
        }
        if input
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
        {
            return None;
        }
        // Resolve against a placeholder origin: anything that leaves it is refused.
        let base = Url::parse("https://portal.invalid/").ok()?;
        let resolved = base.join(input).ok()?;
        if resolved.origin() != base.origin() {
            return None;
        }
        let page = resolved.path();
        let page = if page.len() > 1 {
            page.trim_end_matches('/')
        } else {
            page
        };
        if !PAGES.contains(&page) {
            return None;
        }
        let mut path = page.to_owned();
        if let Some(q) = resolved.query() {
            path.push('?');
            path.push_str(q);
        }
        // The length again: percent-encoding can make the query longer than the input, and
        // what passes must pass again unchanged.
        if path.len() > MAX_LEN {
            return None;
        }
        Some(ReturnTo(path))
    }

    /// The path to redirect to.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_same_origin_paths() {
        assert_eq!(ReturnTo::parse("/").as_str(), "/");
        assert_eq!(
            ReturnTo::parse("/?view=desktops&q=a%20b").as_str(),
            "/?view=desktops&q=a%20b"
        );
        assert_eq!(ReturnTo::parse("/admin").as_str(), "/admin");
        assert_eq!(ReturnTo::parse("/admin/").as_str(), "/admin");
        assert_eq!(ReturnTo::parse("/./admin?x=1").as_str(), "/admin?x=1");
    }

    #[test]
    fn refuses_everything_but_the_apps_pages() {
        for not_a_page in [
            "/api/resources/calc/ica",
            "/api/resources/calc%20100%25/ica",
            "/API/resources/x/ica",
            "/%61pi/resources/x/ica",
            "/admin/../api/resources/x/ica",
            "/admin/%2e%2e/api/session",
            "/api/session",
            "/auth/logout",
            "/index.html",
            "/portal_frontend_bg.wasm",
            "/admins",
            "/admin/x",
        ] {
            assert_eq!(ReturnTo::parse(not_a_page).as_str(), "/", "{not_a_page}");
        }
    }

    #[test]
    fn refuses_open_redirect_bypasses() {
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://evil.com",
            "https:evil.com",
            "HTTPS://evil.com",
            "javascript:alert(1)",
            "evil.com",
            "/\tevil",
            "/\r\nLocation: https://evil.com",
            "///evil.com",
            "/auth/login",
            "",
        ] {
            assert_eq!(ReturnTo::parse(bad).as_str(), "/", "{bad:?}");
        }
    }

    #[test]
    fn encoded_line_breaks_stay_encoded_in_the_query() {
        assert_eq!(
            ReturnTo::parse("/?q=%0d%0aSet-Cookie:x").as_str(),
            "/?q=%0d%0aSet-Cookie:x"
        );
        assert_eq!(ReturnTo::parse("/%0d%0aSet-Cookie:x").as_str(), "/");
    }

    #[test]
    fn percent_encoded_slashes_are_not_a_page() {
        assert_eq!(ReturnTo::parse("/%2F%2Fevil.com").as_str(), "/");
    }

    #[test]
    fn a_query_too_long_once_encoded_falls_back_and_parsing_is_idempotent() {
        // After `fuzz::return_to_is_always_a_plain_same_origin_path`: `é` is 2 bytes in and 6
        // once percent-encoded, so an input within the limit can come out beyond it.
        assert_eq!(
            ReturnTo::parse(&format!("/?q={}", "é".repeat(341))).as_str(),
            "/"
        );
        let longest = ReturnTo::parse(&format!("/?q={}", "é".repeat(340)));
        assert_eq!(longest.as_str().len(), 2044);
        assert_eq!(ReturnTo::parse(longest.as_str()), longest);
    }
}
