//! URLs the app builds for itself.

/// `/auth/login?returnTo=<here>`: sign in, then come back to the same place.
pub fn sign_in_url(here: &str) -> String {
    let here = if here.starts_with('/') && !here.starts_with("//") {
        here
    } else {
        "/"
    };
    format!("/auth/login?returnTo={}", encode(here))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comes_back_to_the_same_place() {
        assert_eq!(sign_in_url("/"), "/auth/login?returnTo=%2F");
        assert_eq!(
            sign_in_url("/?view=desktops&q=a b"),
            "/auth/login?returnTo=%2F%3Fview%3Ddesktops%26q%3Da%20b"
        );
    }

    #[test]
    fn never_builds_an_off_site_return() {
        assert_eq!(sign_in_url("//evil.com"), "/auth/login?returnTo=%2F");
        assert_eq!(sign_in_url("https://evil.com"), "/auth/login?returnTo=%2F");
    }

    #[test]
    fn encodes_ids_for_paths() {
        assert_eq!(encode("a/b c"), "a%2Fb%20c");
        assert_eq!(encode("win11-desktop"), "win11-desktop");
    }
}
