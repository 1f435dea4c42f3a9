//! ID tokens signed with RS256, as Citrix's authorization server (IdentityServer) signs them, and
//! the JWKS that publishes the public key.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use sha2::Sha256;

/// The key id in token headers and in the JWKS.
pub const KEY_ID: &str = "emulator-rs256-1";

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPrivateKey::from_pkcs8_pem(include_str!("../keys/id-token-signing.pem"))
            .expect("the emulator's bundled signing key is a PKCS#8 RSA key")
    })
}

/// A compact JWS of `claims`, RS256, with `kid`.
pub fn sign(claims: &serde_json::Value) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": KEY_ID});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = SigningKey::<Sha256>::new(key().clone()).sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// The claims of a token this emulator signed (any expiry), or `None`.
pub fn verify(token: &str) -> Option<serde_json::Value> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let signature = Signature::try_from(URL_SAFE_NO_PAD.decode(signature).ok()?.as_slice()).ok()?;
    VerifyingKey::<Sha256>::new(key().to_public_key())
        .verify(format!("{header}.{payload}").as_bytes(), &signature)
        .ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// The JSON Web Key Set with the public key.
pub fn jwks() -> serde_json::Value {
    let public = key().to_public_key();
    serde_json::json!({"keys": [{
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use rsa::{BigUint, RsaPublicKey};

    #[test]
    fn tokens_verify_with_the_published_key() {
        let token = sign(&serde_json::json!({"sub": "user-alice", "nonce": "n"}));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let jwk = &jwks()["keys"][0];
        let number = |f: &str| {
            BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk[f].as_str().unwrap()).unwrap())
        };
        let public = RsaPublicKey::new(number("n"), number("e")).unwrap();
        let signature =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        let verifier = VerifyingKey::<Sha256>::new(public);
        let input = format!("{}.{}", parts[0], parts[1]);
        assert!(verifier.verify(input.as_bytes(), &signature).is_ok());
        assert!(verifier.verify(b"tampered", &signature).is_err());
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], KEY_ID);
        assert_eq!(verify(&token).unwrap()["nonce"], "n");
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode("{}"), parts[2]);
        assert!(verify(&forged).is_none());
        assert!(verify("a.b").is_none());
    }
}
