//! The worker's cookies.
//!
//! - the session: `__Host-Http-` prefix, `Secure; HttpOnly; SameSite=Strict; Path=/`, no
//!   `Domain` (RFC 10017);
//! - the login transaction: `Lax`, short-lived and single use, because it must survive the
//!   cross-site redirect back from the authorization server.

/// Session cookie name.
pub const SESSION: &str = "__Host-Http-portal-session";
/// Login-transaction cookie name.
pub const LOGIN: &str = "__Host-Http-portal-login";
/// Device cookie name: the browser's `clientName`/`deviceId`, not a credential.
pub const DEVICE: &str = "__Host-Http-portal-device";
/// The device cookie lives as long as browsers allow (400 days).
pub const DEVICE_MAX_AGE_SECS: u64 = 400 * 24 * 3600;

/// How long a sign-in may take at the authorization server.
pub const LOGIN_MAX_AGE_SECS: u64 = 600;

/// The value of cookie `name` in a `Cookie` header.
pub fn get<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value for the session cookie.
pub fn session(value: &str, max_age_secs: u64) -> String {
    set(SESSION, value, "Strict", max_age_secs)
}

/// A `Set-Cookie` value for the login-transaction cookie.
pub fn login(value: &str) -> String {
    set(LOGIN, value, "Lax", LOGIN_MAX_AGE_SECS)
}

/// A `Set-Cookie` value for the device cookie. `Lax`: it is an identifier, not a credential, and
/// must be there on the first request after a cross-site navigation too.
pub fn device(value: &str) -> String {
    set(DEVICE, value, "Lax", DEVICE_MAX_AGE_SECS)
}

/// A `Set-Cookie` value that deletes cookie `name`.
pub fn clear(name: &str) -> String {
    let same_site = if name == LOGIN { "Lax" } else { "Strict" };
    format!("{name}=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite={same_site}")
}

fn set(name: &str, value: &str, same_site: &str, max_age_secs: u64) -> String {
    format!(
        "{name}={value}; Max-Age={max_age_secs}; Path=/; Secure; HttpOnly; SameSite={same_site}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_cookie_only() {
        let h = "a=1; __Host-Http-portal-session=abc; __Host-Http-portal-login=xyz";
        assert_eq!(get(h, SESSION), Some("abc"));
        assert_eq!(get(h, LOGIN), Some("xyz"));
        assert_eq!(get(h, "other"), None);
        assert_eq!(get("__Host-Http-portal-session=", SESSION), None);
    }

    #[test]
    fn session_cookie_has_every_required_attribute() {
        let c = session("v", 60);
        assert!(c.starts_with("__Host-Http-"));
        for attr in [
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(!c.to_ascii_lowercase().contains("domain"));
        assert!(login("v").contains("SameSite=Lax"));
        assert!(clear(SESSION).contains("Max-Age=0"));
    }
}
