//! A stable id per browser, for the Workspace API's `clientName` and `deviceId` (seed: "Client
//! Name and Device ID": use the same value consistently for a device). A browser has no host
//! name, so the worker issues one in a long-lived cookie of its own.

use crate::crypto::random_bytes;
use crate::http::cookies;

/// Prefix of every device id: "Workspace Portal".
const PREFIX: &str = "WP";
/// Random characters after the prefix: 13 base32 characters, 65 bits.
const RANDOM_LEN: usize = 13;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A device id: `WP` and 13 upper-case base32 characters, 15 in all, so it also fits where
/// Windows limits a client (NetBIOS) name to 15 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceId(String);

impl DeviceId {
    /// The id in the request's device cookie, if it has a well-formed one.
    pub fn from_cookies(cookie_header: &str) -> Option<DeviceId> {
        cookies::get(cookie_header, cookies::DEVICE).and_then(Self::parse)
    }

    /// Parses a device id; anything else (tampered, truncated, foreign) is refused.
    pub fn parse(value: &str) -> Option<DeviceId> {
        let random = value.strip_prefix(PREFIX)?;
        (random.len() == RANDOM_LEN && random.bytes().all(|b| ALPHABET.contains(&b)))
            .then(|| DeviceId(value.to_owned()))
    }

    /// A new random device id.
    pub fn generate() -> DeviceId {
        let random: String = random_bytes(RANDOM_LEN)
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
            .collect();
        DeviceId(format!("{PREFIX}{random}"))
    }

    /// The id as sent upstream.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Adds `clientName` and `deviceId` to a launch URL (replacing any already there).
    pub fn tag(&self, url: &mut url::Url) {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "clientName" && k != "deviceId")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("clientName", &self.0)
            .append_pair("deviceId", &self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_fit_fifteen_characters() {
        let id = DeviceId::generate();
        assert_eq!(id.as_str().len(), 15);
        assert_eq!(DeviceId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(DeviceId::generate(), id);
    }

    #[test]
    fn malformed_cookies_are_refused() {
        for bad in [
            "",
            "WP",
            "WPABCDEFGHIJKL",
            "WPABCDEFGHIJKLMN",
            "wpabcdefghijklm",
            "XXABCDEFGHIJKLM",
            "WPABCDEFGHIJK1M",
            "WPABCDEFGHIJK<M",
        ] {
            assert_eq!(DeviceId::parse(bad), None, "{bad}");
        }
        let header = format!("a=b; {}=WPABCDEFGHIJKLM", cookies::DEVICE);
        assert_eq!(
            DeviceId::from_cookies(&header).map(|d| d.0),
            Some("WPABCDEFGHIJKLM".to_owned())
        );
    }

    #[test]
    fn tagging_replaces_client_name_and_device_id() {
        let id = DeviceId::parse("WPABCDEFGHIJKLM").unwrap();
        let mut url = url::Url::parse("https://acme.cloud.com/launch?x=1&deviceId=evil").unwrap();
        id.tag(&mut url);
        id.tag(&mut url);
        assert_eq!(
            url.query(),
            Some("x=1&clientName=WPABCDEFGHIJKLM&deviceId=WPABCDEFGHIJKLM")
        );
    }
}
