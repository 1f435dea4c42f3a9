//! Secrets at rest and signed ids: AES-256-GCM and HMAC-SHA-256 under a keyring, so
//! `SESSION_KEY` can rotate without signing everyone out.
//!
//! `SESSION_KEY` is one base64 key, or several separated by commas, each optionally labelled
//! (`new:base64,old:base64`): the first key seals and signs, every key opens and verifies.
//! A sealed value names its key by the key's fingerprint, never by its label or position, so a
//! key keeps opening what it sealed whatever it is called and wherever it stands in the list.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// One key of the ring.
#[derive(Clone)]
struct RingKey {
    /// The admin's label, if any: for messages only.
    label: Option<String>,
    /// The key's fingerprint, written in front of what it seals.
    id: String,
    key: Key<Aes256Gcm>,
}

/// The session encryption keys.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<RingKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: key material never reaches a log.
        f.debug_list()
            .entries(
                self.keys
                    .iter()
                    .map(|k| k.label.as_deref().unwrap_or(&k.id)),
            )
            .finish()
    }
}

impl Keyring {
    /// Parses `SESSION_KEY`. Two entries with the same label or the same key are refused: one of
    /// them would be a typo that silently drops a key still in use.
    pub fn parse(input: &str) -> Result<Keyring, String> {
        let mut keys: Vec<RingKey> = Vec::new();
        for entry in input.split(',').map(str::trim) {
            let (label, b64) = match entry.split_once(':') {
                Some((label, b64)) => (Some(label.trim().to_owned()), b64.trim()),
                None => (None, entry),
            };
            if label
                .as_deref()
                .is_some_and(|l| l.is_empty() || l.contains('.'))
            {
                return Err("has a key label that is empty or contains '.'".into());
            }
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| "must be base64 (`openssl rand -base64 32` makes one)".to_string())?;
            if bytes.len() != 32 {
                return Err(format!("must decode to 32 bytes, not {}", bytes.len()));
            }
            let id = fingerprint(&bytes);
            if let Some(twin) = keys
                .iter()
                .find(|k| k.id == id || (label.is_some() && k.label == label))
            {
                let name = twin.label.clone().unwrap_or_else(|| "a key".into());
                return Err(format!(
                    "lists {name} twice (same label or same key): each key once, the newest first"
                ));
            }
            keys.push(RingKey {
                label,
                id,
                key: *Key::<Aes256Gcm>::from_slice(&bytes),
            });
        }
        Ok(Keyring { keys })
    }

    /// Encrypts with the first key: `keyid.nonce.ciphertext`, base64url parts.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, String> {
        let first = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = Aes256Gcm::new(&first.key)
            .encrypt(&nonce, plaintext)
            .map_err(|_| "encryption failed".to_string())?;
        Ok(format!(
            "{}.{}.{}",
            first.id,
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ct)
        ))
    }

    /// Decrypts what [`Keyring::seal`] made with any key of the ring. The named key is tried
    /// first; values sealed before keys had fingerprints (named `k0` or by label) are tried with
    /// every key, which is safe: only the right key authenticates.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, String> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(id), Some(nonce), Some(ct)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("sealed value is malformed".into());
        };
        let nonce = URL_SAFE_NO_PAD.decode(nonce).map_err(|_| "bad nonce")?;
        let ct = URL_SAFE_NO_PAD.decode(ct).map_err(|_| "bad ciphertext")?;
        if nonce.len() != 12 {
            return Err("bad nonce".into());
        }
        let named = self.keys.iter().filter(|k| k.id == id);
        let others = self.keys.iter().filter(|k| k.id != id);
        named
            .chain(others)
            .find_map(|k| {
                Aes256Gcm::new(&k.key)
                    .decrypt(Nonce::from_slice(&nonce), ct.as_ref())
                    .ok()
            })
            .ok_or_else(|| "sealed value does not authenticate with any key of SESSION_KEY".into())
    }

    /// Whether `sealed` was sealed by the first key: anything else should be sealed again, so
    /// the older keys can be removed.
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split('.').next() == Some(self.keys[0].id.as_str())
    }

    /// A fresh id with its signature, `random.mac`: the worker checks the signature before any
    /// storage is touched, so a made-up cookie costs no Durable Object.
    pub fn signed_id(&self) -> String {
        let id = random_token(ID_BYTES);
        let mac = self.mac(&self.keys[0], &id);
        format!("{id}.{mac}")
    }

    /// Whether `value` is an id made by [`Keyring::signed_id`] under any key of the ring.
    pub fn verify_id(&self, value: &str) -> bool {
        let Some((id, mac)) = value.split_once('.') else {
            return false;
        };
        is_token(id, ID_BYTES)
            && is_token(mac, MAC_BYTES)
            && self
                .keys
                .iter()
                .any(|k| constant_time_eq(self.mac(k, id).as_bytes(), mac.as_bytes()))
    }

    fn mac(&self, key: &RingKey, id: &str) -> String {
        // The MAC key is derived, so the encryption key is never used for anything else.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.key.as_slice())
            .expect("HMAC takes a key of any length");
        mac.update(b"workspace-portal signed id v1\0");
        mac.update(id.as_bytes());
        let tag = mac.finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(tag.get(..MAC_BYTES).unwrap_or(&tag))
    }
}

/// Random bytes in a signed id (256 bits).
const ID_BYTES: usize = 32;
/// Bytes of its MAC kept (128 bits).
const MAC_BYTES: usize = 16;

/// A key's name in sealed values: the start of its SHA-256, base64url.
fn fingerprint(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    URL_SAFE_NO_PAD.encode(digest.get(..6).unwrap_or(&digest))
}

/// Whether `s` is exactly what [`random_token`]`(n)` makes: base64url of `n` bytes.
pub fn is_token(s: &str, n: usize) -> bool {
    s.len() == (4 * n).div_ceil(3)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Equality whose time does not depend on where two values differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A secret value (a client secret). Its `Debug` never shows it; only [`SecretValue::expose`]
/// does. Serialised as the plain string: only ever into sealed storage.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretValue(String);

impl SecretValue {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> SecretValue {
        SecretValue(value.into())
    }

    /// The secret itself, for the token call.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// SHA-256 of `s`, lower-case hex: object names from cookie values, the configured secret's
/// fingerprint.
pub fn sha256_hex(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// SHA-256, lower-case hex, of what `write` writes: a large value is hashed while it is
/// serialised, never held whole.
pub fn sha256_hex_of<E>(
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<(), E>,
) -> Result<String, E> {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(Sha256::new());
    write(&mut hashing)?;
    Ok(hex(&hashing.0.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` bytes from the platform's secure random source.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    // The Workers runtime and every native target have `crypto.getRandomValues` or an OS source.
    getrandom::getrandom(&mut bytes).expect("the platform has a random source");
    bytes
}

/// `n` random bytes as base64url: session ids, state, nonces, launch handles.
pub fn random_token(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "HxwdHh8ZGhscFRYXGBESExQNDg8QCQoLDAUGBwgBAgM=";

    #[test]
    fn round_trips_and_rotates() {
        let old = Keyring::parse(&format!("a:{K1}")).unwrap();
        let sealed = old.seal(b"refresh-token").unwrap();
        assert!(!sealed.contains("refresh-token"));
        assert!(old.is_current(&sealed));
        // A new key in front encrypts; the old one still opens what it sealed.
        let rotated = Keyring::parse(&format!("b:{K2},a:{K1}")).unwrap();
        assert_eq!(rotated.open(&sealed).unwrap(), b"refresh-token");
        assert!(!rotated.is_current(&sealed), "to be sealed again");
        assert!(rotated.is_current(&rotated.seal(b"x").unwrap()));
        // Once the old key is dropped, its values no longer open.
        let dropped = Keyring::parse(&format!("b:{K2}")).unwrap();
        assert!(dropped.open(&sealed).is_err());
    }

    #[test]
    fn the_readmes_rotation_from_one_unlabelled_key_keeps_every_value() {
        // Before: `SESSION_KEY=<k1>`. After: `SESSION_KEY=new:<k2>,old:<k1>`.
        let before = Keyring::parse(K1).unwrap();
        let sealed = before.seal(b"refresh-token").unwrap();
        let id = before.signed_id();
        let after = Keyring::parse(&format!("new:{K2},old:{K1}")).unwrap();
        assert_eq!(after.open(&sealed).unwrap(), b"refresh-token");
        assert!(
            after.verify_id(&id),
            "a session cookie made before stays valid"
        );
        // Labels and order do not matter to what a key opens.
        let relabelled = Keyring::parse(&format!("x:{K1}")).unwrap();
        assert_eq!(relabelled.open(&sealed).unwrap(), b"refresh-token");
    }

    #[test]
    fn values_sealed_under_position_ids_still_open() {
        // Earlier versions named an unlabelled key `k0`: such values open with any key that
        // authenticates them.
        let ring = Keyring::parse(K1).unwrap();
        let sealed = ring.seal(b"old").unwrap();
        let (_, rest) = sealed.split_once('.').unwrap();
        let legacy = format!("k0.{rest}");
        let rotated = Keyring::parse(&format!("new:{K2},old:{K1}")).unwrap();
        assert_eq!(rotated.open(&legacy).unwrap(), b"old");
    }

    #[test]
    fn a_key_or_label_given_twice_is_refused() {
        for twice in [
            format!("{K1},{K1}"),
            format!("a:{K1},b:{K1}"),
            format!("a:{K1},a:{K2}"),
        ] {
            let e = Keyring::parse(&twice).unwrap_err();
            assert!(e.contains("twice"), "{twice}: {e}");
        }
        assert!(Keyring::parse(&format!("{K1},{K2}")).is_ok());
    }

    #[test]
    fn signed_ids_are_checked_before_use() {
        let ring = Keyring::parse(K1).unwrap();
        let id = ring.signed_id();
        assert!(ring.verify_id(&id));
        let (random, mac) = id.split_once('.').unwrap();
        assert!(!ring.verify_id(random), "no signature");
        assert!(
            !ring.verify_id(&format!("{}.{mac}", random_token(32))),
            "another id"
        );
        assert!(
            !ring.verify_id(&format!("{random}.{}", random_token(16))),
            "another MAC"
        );
        assert!(!ring.verify_id(&format!("{random}.{}", mac.get(..10).unwrap())));
        assert!(!ring.verify_id(&format!("{random}.{mac}x")));
        assert!(!ring.verify_id(""));
        assert!(!ring.verify_id("../../etc.passwd"));
        let other = Keyring::parse(K2).unwrap();
        assert!(!other.verify_id(&id), "signed under a key not in the ring");
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::parse(K1).unwrap();
        let sealed = ring.seal(b"secret").unwrap();
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(ring.open(&String::from_utf8(bytes).unwrap()).is_err());
        assert!(ring.open("garbage").is_err());
    }

    #[test]
    fn bad_keys_are_explained() {
        assert!(
            Keyring::parse("not base64!")
                .unwrap_err()
                .contains("base64")
        );
        assert!(Keyring::parse("c2hvcnQ=").unwrap_err().contains("32 bytes"));
    }

    #[test]
    fn random_tokens_are_256_bit_and_distinct() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
        for n in [16, 24, 32] {
            assert!(is_token(&random_token(n), n));
            assert!(!is_token(&random_token(n + 1), n));
        }
        assert!(!is_token("abc/def+ghi=jklmnopqrstuvwxyz012345", 24));
    }
}
