//! ID-token claim checks.
//!
//! The ID token arrives straight from the token endpoint over TLS, so (OIDC Core §3.1.3.7) TLS
//! authenticates its issuer; we check the claims that bind it to this client and this sign-in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portal_shared::api::User;
use serde::Deserialize;

/// Allowed clock difference with the authorization server.
const SKEW_SECS: u64 = 120;

#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    aud: Audience,
    exp: u64,
    #[serde(default)]
    nonce: Option<String>,
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    /// `true` only when the provider says so; some send it as the string `"true"`.
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The signed-in user and what admin checks may rely on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// What the SPA shows.
    pub user: User,
    /// Whether the provider vouched for the e-mail address.
    pub email_verified: bool,
}

/// Checks `iss`, `aud`, `exp` and `nonce` and returns who signed in.
pub fn verify(
    id_token: &str,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: u64,
) -> Result<Identity, String> {
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or("the ID token is not a JWT")?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "the ID token payload is not base64url")?;
    let claims: Claims = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the ID token claims are malformed: {e}"))?;
    if claims.iss != issuer {
        return Err(format!(
            "the ID token was issued by {:?}, expected {issuer:?}",
            claims.iss
        ));
    }
    let audience_ok = match &claims.aud {
        Audience::One(a) => a == client_id,
        Audience::Many(all) => all.iter().any(|a| a == client_id),
    };
    if !audience_ok {
        return Err("the ID token is not for this client".into());
    }
    // Saturating: `exp` is the token's number, as large as it likes.
    if claims.exp.saturating_add(SKEW_SECS) < now {
        return Err("the ID token has expired".into());
    }
    if claims.nonce.as_deref() != Some(nonce) {
        return Err("the ID token's nonce does not match this sign-in".into());
    }
    let name = claims
        .name
        .clone()
        .or_else(|| claims.preferred_username.clone())
        .unwrap_or_else(|| claims.sub.clone());
    Ok(Identity {
        user: User {
            sub: claims.sub,
            name,
            email: claims.email,
        },
        email_verified: claims
            .email_verified
            .is_some_and(|v| v == serde_json::Value::Bool(true) || v.as_str() == Some("true")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.sig",
            enc(&serde_json::json!({"alg":"RS256"})),
            enc(&claims)
        )
    }

    fn good() -> serde_json::Value {
        serde_json::json!({"iss":"https://as/core","aud":"portal","exp":2000,"nonce":"n1",
            "sub":"u1","name":"Alice","email":"a@x","preferred_username":"alice"})
    }

    #[test]
    fn accepts_a_matching_token() {
        let id = verify(&jwt(good()), "https://as/core", "portal", "n1", 1000).unwrap();
        assert_eq!(id.user.name, "Alice");
        assert!(!id.email_verified, "no claim, no verified e-mail");
    }

    #[test]
    fn only_a_true_email_verified_claim_counts() {
        for (value, verified) in [
            (serde_json::json!(true), true),
            (serde_json::json!("true"), true),
            (serde_json::json!(false), false),
            (serde_json::json!("false"), false),
            (serde_json::json!("yes"), false),
            (serde_json::json!(1), false),
            (serde_json::Value::Null, false),
        ] {
            let mut c = good();
            c["email_verified"] = value.clone();
            let id = verify(&jwt(c), "https://as/core", "portal", "n1", 1000).unwrap();
            assert_eq!(id.email_verified, verified, "{value}");
        }
    }

    #[test]
    fn rejects_each_broken_claim() {
        let cases = [
            ("iss", serde_json::json!("https://evil/core")),
            ("aud", serde_json::json!("someone-else")),
            ("aud", serde_json::json!(["a", "b"])),
            ("exp", serde_json::json!(500)),
            ("nonce", serde_json::json!("replayed")),
        ];
        for (claim, value) in cases {
            let mut c = good();
            c[claim] = value;
            assert!(
                verify(&jwt(c), "https://as/core", "portal", "n1", 1000).is_err(),
                "{claim}"
            );
        }
        let mut c = good();
        c.as_object_mut().unwrap().remove("nonce");
        assert!(verify(&jwt(c), "https://as/core", "portal", "n1", 1000).is_err());
        assert!(verify("not-a-jwt", "https://as/core", "portal", "n1", 1000).is_err());
    }

    #[test]
    fn an_expiry_at_the_end_of_time_is_not_a_panic() {
        // Found by `fuzz::an_id_token_is_accepted_only_before_it_expires`.
        let mut c = good();
        c["exp"] = serde_json::json!(u64::MAX - 119);
        assert!(verify(&jwt(c), "https://as/core", "portal", "n1", 1000).is_ok());
    }

    #[test]
    fn audience_lists_are_accepted() {
        let mut c = good();
        c["aud"] = serde_json::json!(["other", "portal"]);
        assert!(verify(&jwt(c), "https://as/core", "portal", "n1", 1000).is_ok());
    }
}
