//! Token calls (code exchange, refresh, revocation) and the client secret: which secrets a call
//! tries, in order, and what its results teach the store (module docs of `rotation.rs`).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::store::{Event, Secret, SecretStore, promoted_configured};
use crate::crypto::SecretValue;

/// Which secret a token call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Slot {
    /// The store's current secret.
    Current,
    /// The store's previous secret, while it may still work.
    Previous,
    /// `CLIENT_SECRET`, when it is neither of them: the last resort.
    Configured,
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Slot::Current => "current secret",
            Slot::Previous => "previous secret",
            Slot::Configured => "CLIENT_SECRET setting",
        })
    }
}

/// A secret to try in a token call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Which one.
    pub slot: Slot,
    /// The store's generation it came from; reports from an older one are ignored.
    pub generation: u64,
    /// The secret.
    pub secret: SecretValue,
}

impl Attempt {
    /// What to report after the token call: `accepted` is false on `invalid_client`.
    pub fn report(&self, accepted: bool) -> TokenReport {
        TokenReport {
            slot: self.slot,
            generation: self.generation,
            accepted,
        }
    }
}

/// The result of a token call with one [`Attempt`], without the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenReport {
    /// Which secret was used.
    pub slot: Slot,
    /// The generation of the attempt.
    pub generation: u64,
    /// `true` on success, `false` on `invalid_client`.
    pub accepted: bool,
}

impl SecretStore {
    /// The secrets a token call tries, in order: current; previous while it may still work
    /// (its known expiry has not passed); `CLIENT_SECRET` when it is neither.
    pub fn secrets_to_try(&self, configured: &str, now: u64) -> Vec<Attempt> {
        let attempt = |slot, secret: &SecretValue| Attempt {
            slot,
            generation: self.generation,
            secret: secret.clone(),
        };
        let mut out = vec![attempt(Slot::Current, &self.current.value)];
        if let Some(p) = &self.previous
            && p.may_work(now)
            && p.value != self.current.value
        {
            out.push(attempt(Slot::Previous, &p.value));
        }
        let configured = SecretValue::new(configured);
        if configured != self.current.value
            && self.previous.as_ref().is_none_or(|p| p.value != configured)
        {
            out.push(attempt(Slot::Configured, &configured));
        }
        out
    }

    /// Records a token call's result. Success with the current secret counts towards proving
    /// it; `invalid_client` resets the count; `CLIENT_SECRET` working when the current secret
    /// was refused makes it current. Reports from an older generation are ignored.
    pub fn record_token_result(
        &mut self,
        report: &TokenReport,
        configured: &str,
        now: u64,
    ) -> Option<Event> {
        if report.generation != self.generation {
            return None;
        }
        match (report.slot, report.accepted) {
            (Slot::Current, true) => {
                self.current_successes = self.current_successes.saturating_add(1);
                self.last_success = Some(now);
                (self.current_successes == 1)
                    .then(|| Event::info("the current secret worked for the first time"))
            }
            (Slot::Current, false) => {
                let successes_lost = std::mem::take(&mut self.current_successes);
                self.last_rejection = Some(now);
                Some(Event::warn(format!(
                    "Citrix Cloud refused the current secret (invalid_client); {successes_lost} earlier success{} no longer count{}",
                    if successes_lost == 1 { "" } else { "es" },
                    if successes_lost == 1 { "s" } else { "" }
                )))
            }
            (Slot::Previous, true) => {
                self.last_fallback = Some(now);
                Some(Event::warn(
                    "the current secret was refused; the previous secret worked",
                ))
            }
            (Slot::Configured, true) => {
                if self.current.value.expose() == configured {
                    return None;
                }
                self.make_current(Secret::unmatched(configured));
                self.current_successes = 1;
                self.last_success = Some(now);
                Some(promoted_configured())
            }
            (slot, false) => Some(Event::error(format!(
                "Citrix Cloud refused the {slot} too (invalid_client)"
            ))),
        }
    }
}
