//! Workspace OAuth clients as Citrix Cloud keeps them: a private client's secret lives 90 days;
//! after a rotation the old secret keeps working until it expires or is expired by hand
//! (seed: oauth-client-management.txt).

use serde::Serialize;

use crate::seed::OAuthClient;

/// How long a client secret is valid: 90 days.
pub const SECRET_LIFETIME_SECS: u64 = 90 * 24 * 3600;

/// One secret of a private client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretSlot {
    /// The secret itself.
    #[serde(skip)]
    pub value: String,
    /// When it was issued (or, for the old secret, when it was replaced), Unix seconds.
    pub updated: u64,
    /// When it stops working, Unix seconds.
    pub expires: u64,
}

/// A client with its secrets.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    /// The client as configured (editable in the admin portal).
    pub seed: OAuthClient,
    /// The current secret; `None` for a public client.
    pub secret: Option<SecretSlot>,
    /// The previous secret while it still works.
    pub old_secret: Option<SecretSlot>,
    /// When the client (and its application id) was created, Unix seconds.
    pub created_at: u64,
}

impl Client {
    /// A client from the seed, created long ago; its secret is `secret_age_days` old.
    pub fn seeded(c: &OAuthClient, now: u64) -> Client {
        let mut seed = c.clone();
        if seed.name.is_empty() {
            seed.name = seed.client_id.clone();
        }
        if seed.display_name.is_empty() {
            seed.display_name = seed.name.clone();
        }
        let updated = now.saturating_sub(u64::from(c.secret_age_days) * 24 * 3600);
        Client {
            secret: c.secret.clone().map(|value| SecretSlot {
                value,
                updated,
                expires: updated + SECRET_LIFETIME_SECS,
            }),
            old_secret: None,
            created_at: 0,
            seed,
        }
    }

    /// Whether the client is public (no secret).
    pub fn is_public(&self) -> bool {
        self.secret.is_none()
    }

    /// Whether `presented` is the current or the old secret, and not expired at `now`.
    pub fn accepts_secret(&self, presented: &str, now: u64) -> bool {
        [&self.secret, &self.old_secret]
            .into_iter()
            .flatten()
            .any(|s| now < s.expires && constant_time_eq(s.value.as_bytes(), presented.as_bytes()))
    }

    /// Issues a new secret valid for 90 days; the current one becomes the old one (replacing
    /// any older) and keeps its expiry. Returns the new secret, shown once.
    pub fn rotate(&mut self, now: u64) -> Option<String> {
        let current = self.secret.take()?;
        let value = crate::token(32);
        self.old_secret = Some(SecretSlot {
            updated: now,
            ..current
        });
        self.secret = Some(SecretSlot {
            value: value.clone(),
            updated: now,
            expires: now + SECRET_LIFETIME_SECS,
        });
        Some(value)
    }

    /// The old secret stops working now.
    pub fn expire_old(&mut self) {
        self.old_secret = None;
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::demo;

    fn demo_client() -> Client {
        Client::seeded(&demo::seed().clients[0], 1_000_000_000)
    }

    #[test]
    fn a_seeded_secret_expires_ninety_days_after_issue() {
        let c = demo_client();
        let s = c.secret.as_ref().unwrap();
        assert_eq!(s.expires - s.updated, SECRET_LIFETIME_SECS);
        assert!(c.accepts_secret(demo::CLIENT_SECRET, s.expires - 1));
        assert!(!c.accepts_secret(demo::CLIENT_SECRET, s.expires));
        assert!(!c.accepts_secret("wrong", s.updated));
    }

    #[test]
    fn rotation_keeps_the_old_secret_until_it_is_expired() {
        let mut c = demo_client();
        let old_expiry = c.secret.as_ref().unwrap().expires;
        let now = 1_000_000_500;
        let new = c.rotate(now).unwrap();
        assert!(c.accepts_secret(&new, now) && c.accepts_secret(demo::CLIENT_SECRET, now));
        let old = c.old_secret.as_ref().unwrap();
        assert_eq!((old.updated, old.expires), (now, old_expiry));
        assert_eq!(
            c.secret.as_ref().unwrap().expires,
            now + SECRET_LIFETIME_SECS
        );
        assert!(!c.accepts_secret(demo::CLIENT_SECRET, old_expiry));
        c.expire_old();
        assert!(!c.accepts_secret(demo::CLIENT_SECRET, now));
        assert!(c.accepts_secret(&new, now));
    }

    #[test]
    fn a_second_rotation_drops_the_oldest_secret() {
        let mut c = demo_client();
        let second = c.rotate(1_000_000_001).unwrap();
        let third = c.rotate(1_000_000_002).unwrap();
        assert!(!c.accepts_secret(demo::CLIENT_SECRET, 1_000_000_003));
        assert!(c.accepts_secret(&second, 1_000_000_003));
        assert!(c.accepts_secret(&third, 1_000_000_003));
    }

    #[test]
    fn public_clients_have_nothing_to_rotate() {
        let mut seed = demo::seed().clients[0].clone();
        seed.secret = None;
        let mut c = Client::seeded(&seed, 0);
        assert!(c.is_public());
        assert_eq!(c.rotate(1), None);
        assert!(!c.accepts_secret("", 1));
    }
}
