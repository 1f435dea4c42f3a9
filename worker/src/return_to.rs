//! Where to send the user after sign-in: a same-origin path, nothing else.

use url::Url;

/// The longest path kept; a longer one falls back to `/`.
const MAX_LEN: usize = 2048;

/// A validated same-origin path with optional query, e.g. `/?view=desktops`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnTo(String);

impl ReturnTo {
    /// Parses `input`, falling back to `/` for anything that is not a plain same-origin path.
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
        let mut path = resolved.path().to_owned();
        if let Some(q) = resolved.query() {
            path.push('?');
            path.push_str(q);
        }
        // The length again: percent-encoding can make the path longer than the input, and what
        // passes must pass again unchanged.
        if path.len() > MAX_LEN || path.starts_with("//") || path.starts_with("/auth/") {
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
    fn encoded_line_breaks_stay_encoded() {
        assert_eq!(
            ReturnTo::parse("/%0d%0aSet-Cookie:x").as_str(),
            "/%0d%0aSet-Cookie:x"
        );
    }

    #[test]
    fn a_path_too_long_once_encoded_falls_back_and_parsing_is_idempotent() {
        // Found by `fuzz::return_to_is_always_a_plain_same_origin_path`: 342 `é` are 685 bytes
        // in, 2053 once percent-encoded, and the result no longer parsed as itself.
        assert_eq!(
            ReturnTo::parse(&format!("/{}", "é".repeat(342))).as_str(),
            "/"
        );
        let longest = ReturnTo::parse(&format!("/{}", "é".repeat(341)));
        assert_eq!(longest.as_str().len(), 2047);
        assert_eq!(ReturnTo::parse(longest.as_str()), longest);
    }

    #[test]
    fn percent_encoded_slashes_stay_a_path() {
        // `%2F%2F` is not a separator: the browser stays on our origin.
        assert_eq!(
            ReturnTo::parse("/%2F%2Fevil.com").as_str(),
            "/%2F%2Fevil.com"
        );
    }
}
