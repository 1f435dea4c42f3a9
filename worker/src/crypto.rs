//! Tokens at rest: AES-256-GCM under a keyring, so `SESSION_KEY` can rotate without signing
//! everyone out.
//!
//! `SESSION_KEY` is either one base64 key, or `id:base64,id:base64,...` where the first key
//! encrypts and every key decrypts.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// The session encryption keys.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, Key<Aes256Gcm>)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: key material never reaches a log.
        f.debug_list()
            .entries(self.keys.iter().map(|(id, _)| id))
            .finish()
    }
}

impl Keyring {
    /// Parses `SESSION_KEY`.
    pub fn parse(input: &str) -> Result<Keyring, String> {
        let mut keys = Vec::new();
        for (i, entry) in input.split(',').map(str::trim).enumerate() {
            let (id, b64) = match entry.split_once(':') {
                Some((id, b64)) => (id.trim().to_owned(), b64.trim()),
                None => (format!("k{i}"), entry),
            };
            if id.is_empty() || id.contains('.') {
                return Err("has a key id that is empty or contains '.'".into());
            }
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| "must be base64 (`openssl rand -base64 32` makes one)".to_string())?;
            if bytes.len() != 32 {
                return Err(format!("must decode to 32 bytes, not {}", bytes.len()));
            }
            keys.push((id, *Key::<Aes256Gcm>::from_slice(&bytes)));
        }
        Ok(Keyring { keys })
    }

    /// Encrypts with the first key: `keyid.nonce.ciphertext`, base64url parts.
    pub fn seal(&self, plaintext: &[u8]) -> Result<String, String> {
        let (id, key) = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = Aes256Gcm::new(key)
            .encrypt(&nonce, plaintext)
            .map_err(|_| "encryption failed".to_string())?;
        Ok(format!(
            "{id}.{}.{}",
            URL_SAFE_NO_PAD.encode(nonce),
            URL_SAFE_NO_PAD.encode(ct)
        ))
    }

    /// Decrypts what [`Keyring::seal`] made with any key of the ring.
    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, String> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(id), Some(nonce), Some(ct)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("sealed value is malformed".into());
        };
        let (_, key) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| format!("no key {id:?} in SESSION_KEY"))?;
        let nonce = URL_SAFE_NO_PAD.decode(nonce).map_err(|_| "bad nonce")?;
        let ct = URL_SAFE_NO_PAD.decode(ct).map_err(|_| "bad ciphertext")?;
        if nonce.len() != 12 {
            return Err("bad nonce".into());
        }
        Aes256Gcm::new(key)
            .decrypt(Nonce::from_slice(&nonce), ct.as_ref())
            .map_err(|_| "sealed value does not authenticate".into())
    }
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
        assert!(sealed.starts_with("a."));
        assert!(!sealed.contains("refresh-token"));
        // A new key in front encrypts; the old one still opens what it sealed.
        let rotated = Keyring::parse(&format!("b:{K2},a:{K1}")).unwrap();
        assert_eq!(rotated.open(&sealed).unwrap(), b"refresh-token");
        assert!(rotated.seal(b"x").unwrap().starts_with("b."));
        // Once the old key is dropped, its values no longer open.
        let dropped = Keyring::parse(&format!("b:{K2}")).unwrap();
        assert!(dropped.open(&sealed).is_err());
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
    }
}
