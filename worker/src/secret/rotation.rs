//! Client secret rotation: the decisions, in plain Rust (issue 6).
//!
//! A private client's secret lives 90 days (seed: oauth-client-management.txt, "Client Validity
//! and Rotation Requirements"), so the worker rotates its own through the Citrix Cloud API
//! ("Programmatic Rotation"). A singleton Durable Object keeps a [`SecretStore`]: the current
//! secret, the previous one while it still works, and where the rotation stands. A daily cron
//! trigger, or an admin, runs one step of this machine:
//!
//! ```text
//!          secret_expiration within ROTATE_BEFORE_DAYS, or "rotate now"
//!   Idle ───────────────────────────────► $rotateSecret ── new secret stored, then used ──┐
//!    ▲                                                                                    │
//!    │ $expireOldSecret once the new secret has proven itself                             ▼
//!    └───────────────────────────────────────────────────────────────────── Overlap { since }
//!      (or Citrix Cloud shows the old secret gone)
//! ```
//!
//! Nothing here touches the runtime. One step, as the Durable Object runs it ("persist" = write
//! the store to storage; log every returned [`Event`] at its [`Event::level`]):
//!
//! 1. `SecretStore::load(stored, CLIENT_SECRET)`; persist when it returned events.
//! 2. `start_run(command, now)`; persist. A run that never finishes shows as interrupted.
//! 3. Citrix Cloud token, then `GET rpclients` ([`parse_rpclients`]). On failure:
//!    `run_failed(stage, error, now)`, persist, stop.
//! 4. `observe(find_client(&list, CLIENT_ID), CLIENT_SECRET, now)`; persist.
//! 5. `plan(now, &policy, command)`, and log it:
//!    - [`Plan::Rotate`]: `POST rpclients/{name}/$rotateSecret`. On failure: `run_failed`,
//!      persist, stop. On success ([`parse_rotated`]): `let mut next = store.clone();
//!      next.after_rotation(rotated, now)`, persist `next`, and only once that write succeeded
//!      make `next` the store token calls read. If the write fails, keep the old store.
//!    - [`Plan::ExpireOld`]: `POST rpclients/{name}/$expireOldSecret`. On failure: `run_failed`,
//!      persist. On success: `after_expire_old(now)`, persist.
//!    - anything else: `run_finished(plan.to_string(), now)`, persist. A [`Plan::Refused`] is the
//!      answer to the admin's command.
//!
//! Token calls (code exchange, refresh, revocation): for each `attempt` in
//! `secrets_to_try(CLIENT_SECRET, now)`, call with `attempt.secret`; on
//! `TokenError::ClientRejected` record `attempt.report(false)` and try the next one; on success
//! record `attempt.report(true)` and stop; on any other error stop, since it says nothing about the
//! secret. Record with `record_token_result`, then persist. Client authentication comes before
//! the authorization code is used up, so a code exchange can be retried with the next secret.
//!
//! # Which Citrix secret is ours
//!
//! Citrix Cloud never shows secret values, but a secret keeps its expiry for life: after
//! `$rotateSecret` the old secret's `secret_expiration_old` is its former `secret_expiration`.
//! So each secret we hold is matched to Citrix Cloud's current or old secret by its expiry. A
//! secret whose expiry we do not know yet (seeded from `CLIENT_SECRET`) gets it by elimination
//! at the next read: when Citrix Cloud lists one working secret, or two and we hold the other
//! one. When it lists two and we hold neither, we cannot tell: the machine waits (it must not
//! rotate, because rotation deletes Citrix Cloud's old secret, which could be ours).
//!
//! # When the new secret has proven itself
//!
//! `$expireOldSecret` is planned in Overlap once the current secret has had
//! `EXPIRE_OLD_AFTER_SUCCESSES` (default 3) successful token calls since it became current, or
//! one once `EXPIRE_OLD_AFTER_HOURS` (default 24) have passed since the overlap began. Never with
//! none: a portal nobody signs in to keeps both secrets until the old one expires on its own. An
//! `invalid_client` on the current secret sets the count back to 0. An admin's "expire old secret
//! now" needs one success.
//!
//! # Failures, step by step
//!
//! Before each external call the stored state is the state before the call; the call's effect is
//! written only after it succeeded. So:
//!
//! - Citrix Cloud token or `rpclients` fails: nothing changed; the run is recorded as failed and
//!   the next run starts over. Sign-in uses the stored secrets throughout.
//! - `$rotateSecret` fails: nothing changed (the store is still Idle, the secret still current).
//! - `$rotateSecret` succeeded but the store write fails: the new secret, shown only once, is lost.
//!   The one we hold is now Citrix Cloud's *old* secret and keeps working until its own expiry.
//!   The next read sees our expiry as `secret_expiration_old` (the API's `secret_update_time` is
//!   newer than ours) and logs [`Event::LostNewerSecret`]. Getting a secret we hold again takes
//!   another rotation, and that rotation *deletes the secret we are using* (a second rotation drops
//!   the old one). Decision: rotate again ([`RotateWhy::Recover`]) as soon as our secret is due
//!   by the same rule as any rotation, i.e. at the next run after a scheduled rotation, and not
//!   earlier after a forced one (an admin can force it). Risk: if that store write fails as well,
//!   no secret we hold works and sign-in stops until an operator rotates the secret in Citrix
//!   Cloud and sets `CLIENT_SECRET`; the runtime should retry a failed write before giving up.
//! - `$expireOldSecret` fails: nothing changed; still Overlap, and the next run plans `ExpireOld`
//!   again. If it succeeded but the write failed, the next read shows no old secret and the store
//!   drops its previous one and goes Idle.
//! - A token call fails with `invalid_client` on the current secret: the previous one is tried if
//!   its expiry (as we know it) has not passed, then `CLIENT_SECRET` if it is neither of them.
//!   The current secret's success count restarts at 0, so the old secret is not expired on the
//!   strength of a secret Citrix Cloud just refused.
//! - Citrix Cloud forgot our secrets (the emulator restarted) or the operator set a new
//!   `CLIENT_SECRET`: `CLIENT_SECRET` is tried last at sign-in and becomes current when it works;
//!   at the next read a current secret Citrix Cloud no longer lists is replaced by the previous
//!   one (when listed) or by `CLIENT_SECRET`.
//! - The client is deleted, disabled or public in Citrix Cloud: [`Plan::ClientUnusable`], shown
//!   on the admin page and to users whose sign-in fails ([`SecretStore::unusable`]).
//!
//! # `CLIENT_SECRET`
//!
//! It seeds the store. Afterwards the store's secrets win, since they are newer, unless the
//! operator changes `CLIENT_SECRET` (its SHA-256 differs from the one last seen) to a value that
//! is neither stored secret: then the operator's value becomes current and the former current
//! stays as the previous, a fallback, until Citrix Cloud shows it gone.

use std::fmt;

use portal_shared::api::{
    ActionAvailability, Banner, BannerLevel, NextAction, RunOutcome as RunResult, RunStatus,
    SecretPhase, SecretStatus,
};
use portal_shared::time::{days_left, utc_minute};

use crate::citrix::workspace::Items;
use crate::config::Policy;
use crate::crypto::sha256_hex;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Secrets

/// A secret value. Its `Debug` never shows it; only [`SecretValue::expose`] does.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One client secret and what we know of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The secret.
    pub value: SecretValue,
    /// When Citrix Cloud issued it (`secret_update_time`), when known.
    pub issued_at: Option<u64>,
    /// When it stops working, Unix seconds; `None` until matched to Citrix Cloud's list.
    pub expires_at: Option<u64>,
}

impl Secret {
    /// A secret whose dates are not known yet.
    fn unmatched(value: &str) -> Secret {
        Secret {
            value: SecretValue::new(value),
            issued_at: None,
            expires_at: None,
        }
    }

    /// Whether it may still work, as far as we know.
    fn may_work(&self, now: u64) -> bool {
        self.expires_at.is_none_or(|e| now < e)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand so that no future field can print the value by accident.
        f.debug_struct("Secret")
            .field("value", &"[redacted]")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// The Citrix Cloud API

/// One entry of `GET {CWS_API_URL}/{CUSTOMER_ID}/rpclients`. Unknown fields are ignored; a
/// `null` or missing value is absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpClient {
    /// The name `$rotateSecret` and `$expireOldSecret` take.
    #[serde(default, deserialize_with = "crate::citrix::workspace::or_default")]
    pub name: String,
    /// The name people see.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The OAuth client id, or the application id: the seed never says which.
    #[serde(default, deserialize_with = "crate::citrix::workspace::or_default")]
    pub api_key: String,
    /// When the current secret was issued, Unix seconds; `null` for a public client.
    #[serde(default)]
    pub secret_update_time: Option<u64>,
    /// When the current secret expires; `null` for a public client.
    #[serde(default)]
    pub secret_expiration: Option<u64>,
    /// When the old secret was replaced; `null` unless there is one.
    #[serde(default)]
    pub secret_update_time_old: Option<u64>,
    /// When the old secret expires; `null` unless there is one.
    #[serde(default)]
    pub secret_expiration_old: Option<u64>,
    /// The owner's contact.
    #[serde(default)]
    pub owner: Option<String>,
    /// `false` when disabled; absent means enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `private` or `public`, when given.
    #[serde(default)]
    pub client_type: Option<String>,
}

/// The answer to `$rotateSecret`: the client as it now is and the new secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Rotated {
    /// The client after the rotation.
    pub client: RpClient,
    /// The new secret.
    pub secret: SecretValue,
}

/// Parses the `rpclients` list; an entry that does not parse is left out (it cannot be ours
/// in any usable way) and logged by the caller.
pub fn parse_rpclients(body: &str) -> Result<Items<RpClient>, String> {
    serde_json::from_str(body).map_err(|e| format!("rpclients list: {e}"))
}

/// Parses the `$rotateSecret` answer. The error never contains the body, which holds a secret.
pub fn parse_rotated(body: &str) -> Result<Rotated, String> {
    serde_json::from_str(body).map_err(|e| {
        format!(
            "$rotateSecret answer: {} at line {} column {}",
            match e.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "not JSON",
                serde_json::error::Category::Data => "unexpected shape",
                serde_json::error::Category::Eof => "cut short",
            },
            e.line(),
            e.column()
        )
    })
}

/// How the portal's own client is recognised in `rpclients`.
#[derive(Debug, Clone, Copy)]
pub struct Ours<'a> {
    /// `CLIENT_NAME`, when the admin set it: then only that name matches.
    pub name: Option<&'a str>,
    /// `CLIENT_ID`.
    pub client_id: &'a str,
    /// `APPLICATION_ID`.
    pub application_id: &'a str,
}

/// Our client in the list: by `CLIENT_NAME` when set; else the entry whose `api_key` is our
/// client id, or our application id (the seed never says which `api_key` holds), else whose
/// `name` is our client id. When none is, the names listed, for the admin to choose from.
pub fn find_client<'a>(clients: &'a [RpClient], ours: &Ours) -> Result<&'a RpClient, Vec<String>> {
    let found = match ours.name {
        Some(name) => clients.iter().find(|c| c.name == name),
        None => [ours.client_id, ours.application_id]
            .iter()
            .filter(|key| !key.is_empty())
            .find_map(|key| clients.iter().find(|c| c.api_key == *key))
            .or_else(|| clients.iter().find(|c| c.name == ours.client_id)),
    };
    found.ok_or_else(|| {
        clients
            .iter()
            .map(|c| match &c.display_name {
                Some(d) if !d.is_empty() && *d != c.name => format!("{} ({d})", c.name),
                _ => c.name.clone(),
            })
            .collect()
    })
}

/// Citrix Cloud's secrets for our client: the current one's expiry and the old one's while it
/// still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ApiView {
    current: u64,
    current_issued: Option<u64>,
    old: Option<u64>,
}

impl ApiView {
    fn of(c: &RpClient, now: u64) -> Option<ApiView> {
        Some(ApiView {
            current: c.secret_expiration?,
            current_issued: c.secret_update_time,
            old: c.secret_expiration_old.filter(|&e| e > now),
        })
    }

    fn working(&self) -> Vec<u64> {
        std::iter::once(self.current).chain(self.old).collect()
    }
}

/// Which of Citrix Cloud's secrets one of ours is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    ApiCurrent,
    ApiOld,
    NotListed,
    Unknown,
}

fn standing(s: &Secret, api: &ApiView) -> Standing {
    match s.expires_at {
        None => Standing::Unknown,
        Some(e) if e == api.current => Standing::ApiCurrent,
        Some(e) if Some(e) == api.old => Standing::ApiOld,
        Some(_) => Standing::NotListed,
    }
}

// ---------------------------------------------------------------------------------------------
// The machine's state

/// Where the rotation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// One secret; waiting for its expiry to come near.
    Idle,
    /// A newer secret is current and Citrix Cloud's old one still works, until it is expired.
    Overlap {
        /// When the overlap began (the rotation), Unix seconds.
        since: u64,
    },
}

/// What a run was asked to do (a wire type: the admin page shows the last run's).
pub use portal_shared::api::SecretCommand as Command;

/// The words for a command in log lines.
fn command_words(command: Command) -> &'static str {
    match command {
        Command::Step => "scheduled step",
        Command::RotateNow => "rotate now",
        Command::ExpireOldNow => "expire old secret now",
    }
}

/// The external call or write a run failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Stage {
    /// Getting a Citrix Cloud API token.
    CloudToken,
    /// `GET rpclients`.
    ListClients,
    /// `$rotateSecret`.
    Rotate,
    /// Writing the store after a rotation.
    SaveNewSecret,
    /// `$expireOldSecret`.
    ExpireOld,
    /// Any other write of the store.
    Save,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::CloudToken => "getting a Citrix Cloud API token",
            Stage::ListClients => "reading the client from Citrix Cloud",
            Stage::Rotate => "rotating the secret",
            Stage::SaveNewSecret => "saving the new secret",
            Stage::ExpireOld => "expiring the old secret",
            Stage::Save => "saving the rotation state",
        })
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunOutcome {
    /// Started and not finished (yet, or ever: interrupted).
    Running,
    /// Finished; what it did or why it did nothing.
    Done(String),
    /// Failed at `stage`.
    Failed {
        /// Where.
        stage: Stage,
        /// What happened, for admins (never a secret).
        error: String,
    },
}

/// The last run, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// What it was asked to do.
    pub command: Command,
    /// When it started.
    pub started_at: u64,
    /// When it ended, if it did.
    pub finished_at: Option<u64>,
    /// How.
    pub outcome: RunOutcome,
}

/// The last read of `rpclients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// When.
    pub at: u64,
    /// Our entry; `None` when the list had none (deleted, or a wrong `CLIENT_ID`).
    pub client: Option<RpClient>,
    /// When ours was not found, the clients the list had instead.
    #[serde(default)]
    pub listed: Vec<String>,
}

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

/// Why the client cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Unusable {
    /// Citrix Cloud lists no client that is ours.
    Missing {
        /// The clients it lists instead.
        #[serde(default)]
        listed: Vec<String>,
    },
    /// The client is disabled in Citrix Cloud.
    Disabled,
    /// The client has no secret (a public client).
    NoSecret,
    /// Citrix Cloud no longer lists the secret we hold, and we hold no other.
    SecretNotListed,
}

impl Unusable {
    /// For the admin page and the log.
    pub fn admin_text(&self) -> String {
        match self {
            Unusable::Missing { listed } if listed.is_empty() => {
                "Citrix Cloud lists no OAuth clients at all for this CUSTOMER_ID: check CUSTOMER_ID. If it is right, the portal's client was deleted, and sign-in fails until CLIENT_ID names an existing private client.".into()
            }
            Unusable::Missing { listed } => format!(
                "Citrix Cloud lists no OAuth client that is the portal's (none has CLIENT_ID or APPLICATION_ID as its api_key, or the name in CLIENT_NAME). It lists: {}. If one of them is the portal's client, set CLIENT_NAME to its name; if none is, it was deleted, and sign-in fails until CLIENT_ID names an existing private client.",
                listed.join(", ")
            ),
            Unusable::Disabled => {
                "The client is disabled in Citrix Cloud: sign-in fails until it is enabled again.".into()
            }
            Unusable::NoSecret => {
                "Citrix Cloud shows this client without a secret (a public client): the portal needs a private client.".into()
            }
            Unusable::SecretNotListed => {
                "Citrix Cloud no longer lists the secret the portal holds: rotate the secret in Citrix Cloud and set CLIENT_SECRET to the new one.".into()
            }
        }
    }

    /// For users whose sign-in or refresh failed because Citrix Cloud refused the client.
    pub fn user_text(&self) -> &'static str {
        match self {
            Unusable::Missing { .. } => {
                "Sign-in is unavailable: the portal's Citrix client has been deleted in Citrix Cloud. Tell your administrator."
            }
            Unusable::Disabled => {
                "Sign-in is unavailable: the portal's Citrix client is disabled in Citrix Cloud. Tell your administrator."
            }
            Unusable::NoSecret | Unusable::SecretNotListed => {
                "Sign-in is unavailable: Citrix Cloud no longer accepts the portal's Citrix client (it may be disabled or deleted, or its secret expired). Tell your administrator."
            }
        }
    }
}

/// Why [`Plan::Rotate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateWhy {
    /// The current secret expires within the policy's window (or has expired).
    Due {
        /// When it expires.
        expires_at: u64,
    },
    /// An admin asked.
    Forced,
    /// Citrix Cloud holds a newer secret we lost, ours is its old one and is due.
    Recover {
        /// When ours expires.
        expires_at: u64,
    },
}

/// Why [`Plan::Nothing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The client has not been read from Citrix Cloud yet.
    FirstRead,
    /// The current secret is not due before `due_at`.
    RotateLater {
        /// When it becomes due.
        due_at: u64,
    },
    /// Ours is Citrix Cloud's old secret (a newer one was lost); rotate again at `due_at`.
    RecoverLater {
        /// When it becomes due.
        due_at: u64,
    },
    /// The new secret must prove itself before the old one is expired.
    Proof {
        /// Successful token calls still needed.
        more: u32,
        /// Still needed once the grace period is over (0 or 1).
        more_after_grace: u32,
        /// When the grace period is over.
        grace_ends: u64,
    },
    /// We cannot tell which of Citrix Cloud's secrets ours is.
    Unmatched {
        /// When Citrix Cloud's old secret expires, which settles it.
        old_expires_at: Option<u64>,
    },
}

/// What one step should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing now.
    Nothing(Wait),
    /// Call `$rotateSecret` for `client_name`.
    Rotate {
        /// The `name` in the URL.
        client_name: String,
        /// Why.
        why: RotateWhy,
    },
    /// Call `$expireOldSecret` for `client_name`.
    ExpireOld {
        /// The `name` in the URL.
        client_name: String,
    },
    /// The client cannot be used; nothing to do until someone fixes it in Citrix Cloud.
    ClientUnusable(Unusable),
    /// An admin's command that must not be carried out, and why.
    Refused(String),
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plan::Nothing(Wait::FirstRead) => {
                f.write_str("nothing to do until the client is read from Citrix Cloud")
            }
            Plan::Nothing(Wait::RotateLater { due_at }) => write!(
                f,
                "nothing to do: the secret is due for rotation on {}",
                utc_minute(*due_at)
            ),
            Plan::Nothing(Wait::RecoverLater { due_at }) => write!(
                f,
                "nothing to do: the portal's secret is Citrix Cloud's old one; rotating again on {}",
                utc_minute(*due_at)
            ),
            Plan::Nothing(Wait::Proof {
                more, grace_ends, ..
            }) => write!(
                f,
                "waiting: the old secret is expired after {more} more successful token call{} with the new one (or fewer, after {})",
                plural(u64::from(*more)),
                utc_minute(*grace_ends)
            ),
            Plan::Nothing(Wait::Unmatched { .. }) => f.write_str(
                "waiting: cannot tell which of Citrix Cloud's two working secrets CLIENT_SECRET is",
            ),
            Plan::Rotate { client_name, why } => match why {
                RotateWhy::Due { expires_at } => write!(
                    f,
                    "rotate the secret of {client_name}: it expires on {}",
                    utc_minute(*expires_at)
                ),
                RotateWhy::Forced => {
                    write!(f, "rotate the secret of {client_name}: an admin asked")
                }
                RotateWhy::Recover { expires_at } => write!(
                    f,
                    "rotate the secret of {client_name} again: the newer one was not saved and ours, Citrix Cloud's old one, expires on {} (this deletes ours, so the new secret must be saved)",
                    utc_minute(*expires_at)
                ),
            },
            Plan::ExpireOld { client_name } => write!(
                f,
                "expire the old secret of {client_name}: the new one has proven itself"
            ),
            Plan::ClientUnusable(u) => f.write_str(&u.admin_text()),
            Plan::Refused(why) => write!(f, "refused: {why}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Events

/// How loud an [`Event`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `console_log`.
    Info,
    /// `console_warn`.
    Warn,
    /// `console_error`.
    Error,
}

/// Why the previous secret was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Citrix Cloud no longer lists it.
    NotListed,
    /// Citrix Cloud lists no second secret it could be, and the current one works.
    Unaccounted,
}

/// A transition or a fact worth a log line; `Display` is the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The store was created from `CLIENT_SECRET`.
    Seeded,
    /// The operator changed `CLIENT_SECRET`; it became current.
    ConfiguredSecretChanged,
    /// The current secret was matched to Citrix Cloud's.
    ExpiryLearned {
        /// Its expiry.
        expires_at: u64,
    },
    /// Citrix Cloud lists two secrets and we cannot tell which is ours.
    Unmatched {
        /// When the old one expires.
        old_expires_at: Option<u64>,
    },
    /// Citrix Cloud lists no client that is ours.
    ClientMissing {
        /// The clients it lists instead.
        listed: Vec<String>,
    },
    /// Our client is disabled.
    ClientDisabled {
        /// Its name.
        name: String,
    },
    /// Our client has no secret.
    ClientHasNoSecret {
        /// Its name.
        name: String,
    },
    /// Citrix Cloud does not list our secret and we have no other.
    SecretNotListed,
    /// Citrix Cloud's current secret is newer than ours; ours is its old one.
    LostNewerSecret {
        /// When ours expires.
        our_expires_at: u64,
    },
    /// The current secret was unlisted; the previous one became current.
    PromotedPrevious,
    /// The current secret was refused or unlisted; `CLIENT_SECRET` became current.
    PromotedConfigured,
    /// The previous secret is Citrix Cloud's current one and the current its old one: swapped.
    SwappedBack,
    /// The previous secret was forgotten.
    PreviousDropped {
        /// Why.
        why: DropReason,
    },
    /// Citrix Cloud shows an old secret besides ours: it will be expired once ours has proven
    /// itself.
    OverlapFound {
        /// When the old one expires.
        old_expires_at: u64,
    },
    /// Citrix Cloud shows no old secret any more (it expired, or was expired elsewhere).
    OldSecretGone,
    /// A new secret was stored.
    Rotated {
        /// When it expires.
        expires_at: Option<u64>,
        /// When the old one expires.
        old_expires_at: Option<u64>,
    },
    /// The old secret was expired in Citrix Cloud.
    OldSecretExpired,
    /// The current secret worked for the first time.
    CurrentWorked,
    /// Citrix Cloud refused the current secret (`invalid_client`).
    CurrentRejected {
        /// Successes forgotten.
        successes_lost: u32,
    },
    /// A fallback secret worked after the current one was refused.
    FallbackWorked {
        /// Which.
        slot: Slot,
    },
    /// A fallback secret was refused too.
    FallbackRejected {
        /// Which.
        slot: Slot,
    },
    /// A run began.
    RunStarted {
        /// Its command.
        command: Command,
    },
    /// The run before never finished.
    RunInterrupted {
        /// When it started.
        started_at: u64,
    },
    /// A run failed.
    RunFailed {
        /// Where.
        stage: Stage,
        /// What happened.
        error: String,
    },
    /// A run finished.
    RunFinished {
        /// What it did.
        summary: String,
    },
}

impl Event {
    /// How loud.
    pub fn level(&self) -> Level {
        match self {
            Event::Seeded
            | Event::ExpiryLearned { .. }
            | Event::PreviousDropped { .. }
            | Event::OverlapFound { .. }
            | Event::OldSecretGone
            | Event::Rotated { .. }
            | Event::OldSecretExpired
            | Event::CurrentWorked
            | Event::RunStarted { .. }
            | Event::RunFinished { .. } => Level::Info,
            Event::ConfiguredSecretChanged
            | Event::Unmatched { .. }
            | Event::LostNewerSecret { .. }
            | Event::PromotedPrevious
            | Event::PromotedConfigured
            | Event::SwappedBack
            | Event::CurrentRejected { .. }
            | Event::FallbackWorked { .. }
            | Event::RunInterrupted { .. }
            | Event::RunFailed { .. } => Level::Warn,
            Event::ClientMissing { .. }
            | Event::ClientDisabled { .. }
            | Event::ClientHasNoSecret { .. }
            | Event::SecretNotListed
            | Event::FallbackRejected { .. } => Level::Error,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client secret: ")?;
        match self {
            Event::Seeded => f.write_str(
                "store created from CLIENT_SECRET; its expiry is unknown until Citrix Cloud is read",
            ),
            Event::ConfiguredSecretChanged => f.write_str(
                "CLIENT_SECRET was changed in the worker's settings: it is now the current secret, the former one stays as a fallback",
            ),
            Event::ExpiryLearned { expires_at } => write!(
                f,
                "matched to Citrix Cloud's list: the current secret expires on {}",
                utc_minute(*expires_at)
            ),
            Event::Unmatched { old_expires_at } => write!(
                f,
                "Citrix Cloud lists two working secrets and the portal cannot tell which one it holds; rotation waits until the old one is gone{}",
                old_expires_at
                    .map(|e| format!(" (it expires on {})", utc_minute(e)))
                    .unwrap_or_default()
            ),
            Event::ClientMissing { listed } => f.write_str(
                &Unusable::Missing {
                    listed: listed.clone(),
                }
                .admin_text(),
            ),
            Event::ClientDisabled { name } => {
                write!(f, "{name}: {}", Unusable::Disabled.admin_text())
            }
            Event::ClientHasNoSecret { name } => {
                write!(f, "{name}: {}", Unusable::NoSecret.admin_text())
            }
            Event::SecretNotListed => f.write_str(&Unusable::SecretNotListed.admin_text()),
            Event::LostNewerSecret { our_expires_at } => write!(
                f,
                "Citrix Cloud holds a newer secret than the portal's (a rotation's secret was not saved, or it was rotated elsewhere); the portal's secret is now Citrix Cloud's old one and works until {}",
                utc_minute(*our_expires_at)
            ),
            Event::PromotedPrevious => f.write_str(
                "Citrix Cloud no longer lists the current secret: the previous one is current again",
            ),
            Event::PromotedConfigured => f.write_str(
                "the current secret no longer works: CLIENT_SECRET is now the current secret",
            ),
            Event::SwappedBack => f.write_str(
                "the previous secret is Citrix Cloud's current one: it is current again",
            ),
            Event::PreviousDropped { why } => f.write_str(match why {
                DropReason::NotListed => {
                    "dropped the previous secret: Citrix Cloud no longer lists it"
                }
                DropReason::Unaccounted => {
                    "dropped the previous secret: Citrix Cloud lists no second secret and the current one works"
                }
            }),
            Event::OverlapFound { old_expires_at } => write!(
                f,
                "Citrix Cloud also lists an old secret, expiring on {}; it will be expired once the current one has proven itself",
                utc_minute(*old_expires_at)
            ),
            Event::OldSecretGone => f.write_str(
                "Citrix Cloud no longer lists an old secret (it expired, or was expired elsewhere): idle",
            ),
            Event::Rotated {
                expires_at,
                old_expires_at,
            } => write!(
                f,
                "rotated and saved the new secret, which is now current (expires on {}); the old one works until {} or until it is expired",
                expires_at.map(utc_minute).unwrap_or_else(|| "an unknown date".into()),
                old_expires_at
                    .map(utc_minute)
                    .unwrap_or_else(|| "an unknown date".into())
            ),
            Event::OldSecretExpired => {
                f.write_str("expired the old secret in Citrix Cloud: idle")
            }
            Event::CurrentWorked => f.write_str("the current secret worked for the first time"),
            Event::CurrentRejected { successes_lost } => write!(
                f,
                "Citrix Cloud refused the current secret (invalid_client); {successes_lost} earlier success{} no longer count{}",
                if *successes_lost == 1 { "" } else { "es" },
                if *successes_lost == 1 { "s" } else { "" }
            ),
            Event::FallbackWorked { slot } => write!(
                f,
                "the current secret was refused; the {slot} worked"
            ),
            Event::FallbackRejected { slot } => {
                write!(f, "Citrix Cloud refused the {slot} too (invalid_client)")
            }
            Event::RunStarted { command } => {
                write!(f, "run started ({})", command_words(*command))
            }
            Event::RunInterrupted { started_at } => write!(
                f,
                "the run started on {} never finished",
                utc_minute(*started_at)
            ),
            Event::RunFailed { stage, error } => write!(f, "run failed {stage}: {error}"),
            Event::RunFinished { summary } => write!(f, "run finished: {summary}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The store

/// Everything the singleton Durable Object keeps. Serialised to its storage.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretStore {
    current: Secret,
    previous: Option<Secret>,
    phase: Phase,
    /// Successful token calls with the current secret since it became current (reset when
    /// Citrix Cloud refuses it).
    current_successes: u32,
    /// Bumped whenever the current secret changes, so late token reports are ignored.
    generation: u64,
    /// SHA-256 (hex) of the `CLIENT_SECRET` last seen, to notice when the operator changes it.
    configured_sha256: String,
    last_rotation: Option<u64>,
    last_success: Option<u64>,
    last_rejection: Option<u64>,
    last_fallback: Option<u64>,
    last_run: Option<RunRecord>,
    observed: Option<Observed>,
}

impl fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretStore")
            .field("current", &self.current)
            .field("previous", &self.previous)
            .field("phase", &self.phase)
            .field("current_successes", &self.current_successes)
            .field("generation", &self.generation)
            .field("last_rotation", &self.last_rotation)
            .field("last_run", &self.last_run)
            .field("observed", &self.observed)
            .finish_non_exhaustive()
    }
}

impl SecretStore {
    /// A new store holding `CLIENT_SECRET`, expiry unknown.
    pub fn seed(configured: &str) -> (SecretStore, Event) {
        (
            SecretStore {
                current: Secret::unmatched(configured),
                previous: None,
                phase: Phase::Idle,
                current_successes: 0,
                generation: 0,
                configured_sha256: sha256_hex(configured),
                last_rotation: None,
                last_success: None,
                last_rejection: None,
                last_fallback: None,
                last_run: None,
                observed: None,
            },
            Event::Seeded,
        )
    }

    /// The store from storage (seeded when there is none), reconciled with `CLIENT_SECRET`.
    /// Persist it when events came back.
    pub fn load(stored: Option<SecretStore>, configured: &str) -> (SecretStore, Vec<Event>) {
        match stored {
            None => {
                let (store, event) = SecretStore::seed(configured);
                (store, vec![event])
            }
            Some(mut store) => {
                let events = store.reconcile_configured(configured).into_iter().collect();
                (store, events)
            }
        }
    }

    /// Applies the `CLIENT_SECRET` rule (module docs): an operator's new value becomes current.
    pub fn reconcile_configured(&mut self, configured: &str) -> Option<Event> {
        let hash = sha256_hex(configured);
        if hash == self.configured_sha256 {
            return None;
        }
        self.configured_sha256 = hash;
        let held = self.current.value.expose() == configured
            || self
                .previous
                .as_ref()
                .is_some_and(|p| p.value.expose() == configured);
        if held {
            return None;
        }
        self.make_current(Secret::unmatched(configured));
        Some(Event::ConfiguredSecretChanged)
    }

    /// `new` becomes current; the former current becomes the previous (a fallback).
    fn make_current(&mut self, new: Secret) {
        let former = std::mem::replace(&mut self.current, new);
        self.previous = Some(former);
        self.generation += 1;
        self.current_successes = 0;
        self.last_rejection = None;
        self.last_fallback = None;
    }

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
                (self.current_successes == 1).then_some(Event::CurrentWorked)
            }
            (Slot::Current, false) => {
                let successes_lost = std::mem::take(&mut self.current_successes);
                self.last_rejection = Some(now);
                Some(Event::CurrentRejected { successes_lost })
            }
            (Slot::Previous, true) => {
                self.last_fallback = Some(now);
                Some(Event::FallbackWorked {
                    slot: Slot::Previous,
                })
            }
            (Slot::Configured, true) => {
                if self.current.value.expose() == configured {
                    return None;
                }
                self.make_current(Secret::unmatched(configured));
                self.current_successes = 1;
                self.last_success = Some(now);
                Some(Event::PromotedConfigured)
            }
            (slot, false) => Some(Event::FallbackRejected { slot }),
        }
    }

    /// Marks the start of a run; reports a run that never finished.
    pub fn start_run(&mut self, command: Command, now: u64) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(RunRecord {
            started_at,
            outcome: RunOutcome::Running,
            ..
        }) = self.last_run
        {
            events.push(Event::RunInterrupted { started_at });
        }
        self.last_run = Some(RunRecord {
            command,
            started_at: now,
            finished_at: None,
            outcome: RunOutcome::Running,
        });
        events.push(Event::RunStarted { command });
        events
    }

    /// Records that the run failed at `stage`. `error` is shown to admins: no secrets in it.
    pub fn run_failed(&mut self, stage: Stage, error: &str, now: u64) -> Event {
        self.finish(
            now,
            RunOutcome::Failed {
                stage,
                error: error.to_owned(),
            },
        );
        Event::RunFailed {
            stage,
            error: error.to_owned(),
        }
    }

    /// Records that the run finished, with what it did.
    pub fn run_finished(&mut self, summary: String, now: u64) -> Event {
        self.finish(now, RunOutcome::Done(summary.clone()));
        Event::RunFinished { summary }
    }

    fn finish(&mut self, now: u64, outcome: RunOutcome) {
        let command = self.last_run.as_ref().map_or(Command::Step, |r| r.command);
        let started_at = self.last_run.as_ref().map_or(now, |r| r.started_at);
        self.last_run = Some(RunRecord {
            command,
            started_at,
            finished_at: Some(now),
            outcome,
        });
    }

    /// Takes in a read of `rpclients` (our entry, from [`find_client`]): matches our secrets to
    /// Citrix Cloud's and applies what follows from it (module docs).
    pub fn observe(
        &mut self,
        entry: Result<&RpClient, Vec<String>>,
        configured: &str,
        now: u64,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        let (client, listed) = match entry {
            Ok(c) => (Some(c.clone()), vec![]),
            Err(listed) => (None, listed),
        };
        self.observed = Some(Observed {
            at: now,
            client: client.clone(),
            listed: listed.clone(),
        });
        let Some(client) = client.as_ref() else {
            events.push(Event::ClientMissing { listed });
            return events;
        };
        if client.enabled == Some(false) {
            events.push(Event::ClientDisabled {
                name: client.name.clone(),
            });
        }
        self.sync(client, Some(configured), now, &mut events);
        events
    }

    fn sync(&mut self, client: &RpClient, configured: Option<&str>, now: u64, ev: &mut Vec<Event>) {
        let Some(api) = ApiView::of(client, now) else {
            ev.push(Event::ClientHasNoSecret {
                name: client.name.clone(),
            });
            return;
        };
        self.match_current(&api, ev);
        if standing(&self.current, &api) == Standing::NotListed {
            self.replace_unlisted_current(&api, configured, ev);
            self.match_current(&api, ev);
        }
        if standing(&self.current, &api) == Standing::ApiOld
            && self
                .previous
                .as_ref()
                .is_some_and(|p| standing(p, &api) == Standing::ApiCurrent)
        {
            let previous = self.previous.take().expect("checked above");
            self.make_current(previous);
            ev.push(Event::SwappedBack);
        }
        self.settle_previous(&api, ev);
        match standing(&self.current, &api) {
            Standing::ApiCurrent => match (api.old, self.phase) {
                (Some(old), Phase::Idle) => {
                    self.phase = Phase::Overlap { since: now };
                    ev.push(Event::OverlapFound {
                        old_expires_at: old,
                    });
                }
                (None, Phase::Overlap { .. }) => {
                    self.phase = Phase::Idle;
                    ev.push(Event::OldSecretGone);
                }
                _ => {}
            },
            Standing::ApiOld => {
                // Never expire Citrix Cloud's old secret: it is ours.
                self.phase = Phase::Idle;
                ev.push(Event::LostNewerSecret {
                    our_expires_at: self.current.expires_at.unwrap_or(api.current),
                });
            }
            Standing::Unknown => ev.push(Event::Unmatched {
                old_expires_at: api.old,
            }),
            Standing::NotListed => ev.push(Event::SecretNotListed),
        }
    }

    /// Gives the current secret an expiry by elimination: Citrix Cloud's only working secret,
    /// or of two, the one our previous secret is not.
    fn match_current(&mut self, api: &ApiView, ev: &mut Vec<Event>) {
        if self.current.expires_at.is_some() {
            return;
        }
        let mut candidates = api.working();
        if candidates.len() > 1
            && let Some(p) = self.previous.as_ref().and_then(|p| p.expires_at)
        {
            candidates.retain(|&e| e != p);
        }
        if let [expires_at] = candidates[..] {
            self.current.expires_at = Some(expires_at);
            if expires_at == api.current {
                self.current.issued_at = api.current_issued;
            }
            ev.push(Event::ExpiryLearned { expires_at });
        }
    }

    /// Citrix Cloud does not list the current secret: the previous one takes over if it may be
    /// listed, else `CLIENT_SECRET` if it differs. The former current stays as the previous.
    fn replace_unlisted_current(
        &mut self,
        api: &ApiView,
        configured: Option<&str>,
        ev: &mut Vec<Event>,
    ) {
        if let Some(p) = &self.previous
            && standing(p, api) != Standing::NotListed
        {
            let previous = self.previous.take().expect("checked above");
            self.make_current(previous);
            ev.push(Event::PromotedPrevious);
        } else if let Some(c) = configured.filter(|&c| c != self.current.value.expose()) {
            self.make_current(Secret::unmatched(c));
            ev.push(Event::PromotedConfigured);
        }
    }

    /// Once the current secret is matched, forgets a previous one Citrix Cloud does not list,
    /// and one it cannot be (no second secret listed) once the current one has worked.
    fn settle_previous(&mut self, api: &ApiView, ev: &mut Vec<Event>) {
        let Some(current_expiry) = self.current.expires_at else {
            return;
        };
        if !matches!(
            standing(&self.current, api),
            Standing::ApiCurrent | Standing::ApiOld
        ) {
            return;
        }
        let Some(p) = &mut self.previous else {
            return;
        };
        let drop = match p.expires_at {
            Some(e) if e != current_expiry => {
                (standing(p, api) == Standing::NotListed).then_some(DropReason::NotListed)
            }
            // Claims the same secret as the current one: one of them is wrong.
            Some(_) => (self.current_successes > 0).then_some(DropReason::Unaccounted),
            None => {
                let others: Vec<u64> = api
                    .working()
                    .into_iter()
                    .filter(|&e| e != current_expiry)
                    .collect();
                match others[..] {
                    [e] => {
                        p.expires_at = Some(e);
                        None
                    }
                    _ => (self.current_successes > 0).then_some(DropReason::Unaccounted),
                }
            }
        };
        if let Some(why) = drop {
            self.previous = None;
            ev.push(Event::PreviousDropped { why });
        }
    }

    /// What to do now. Call after [`SecretStore::observe`].
    pub fn plan(&self, now: u64, policy: &Policy, command: Command) -> Plan {
        if self.observed.is_none() {
            return match command {
                Command::Step => Plan::Nothing(Wait::FirstRead),
                _ => Plan::Refused(
                    "the client has not been read from Citrix Cloud yet; run a step first".into(),
                ),
            };
        }
        if let Some(u) = self.unusable() {
            return Plan::ClientUnusable(u);
        }
        let Some((client, api)) = self.view() else {
            return Plan::ClientUnusable(
                self.unusable()
                    .unwrap_or(Unusable::Missing { listed: vec![] }),
            );
        };
        let client_name = client.name.clone();
        let due_at = |expires: u64| expires.saturating_sub(policy.window());
        match standing(&self.current, &api) {
            // Not matched since the current secret changed: the next read matches it.
            Standing::Unknown | Standing::NotListed if api.old.is_none() => match command {
                Command::Step => Plan::Nothing(Wait::FirstRead),
                _ => Plan::Refused(
                    "the current secret has not been matched to Citrix Cloud's yet; run a step first".into(),
                ),
            },
            Standing::Unknown | Standing::NotListed => match command {
                Command::Step => Plan::Nothing(Wait::Unmatched {
                    old_expires_at: api.old,
                }),
                _ => Plan::Refused(
                    "Citrix Cloud lists two working secrets and the portal cannot tell which one it holds: rotating or expiring now could delete it. Expire the old secret in Citrix Cloud if CLIENT_SECRET is the new one, or wait until the old one expires.".into(),
                ),
            },
            Standing::ApiOld => {
                let expires_at = self.current.expires_at.unwrap_or(api.current);
                match command {
                    Command::ExpireOldNow => Plan::Refused(
                        "Citrix Cloud's old secret is the one the portal uses (the newer one was not saved): expiring it would stop sign-in. Rotate instead.".into(),
                    ),
                    Command::RotateNow => Plan::Rotate {
                        client_name,
                        why: RotateWhy::Forced,
                    },
                    Command::Step if now >= due_at(expires_at) => Plan::Rotate {
                        client_name,
                        why: RotateWhy::Recover { expires_at },
                    },
                    Command::Step => Plan::Nothing(Wait::RecoverLater {
                        due_at: due_at(expires_at),
                    }),
                }
            }
            Standing::ApiCurrent => match command {
                Command::RotateNow => Plan::Rotate {
                    client_name,
                    why: RotateWhy::Forced,
                },
                Command::ExpireOldNow if api.old.is_none() => {
                    Plan::Refused("there is no old secret to expire".into())
                }
                Command::ExpireOldNow if self.current_successes == 0 => Plan::Refused(
                    "the current secret has not been used successfully yet: expiring the old one now could stop sign-in. Try again after someone has signed in.".into(),
                ),
                Command::ExpireOldNow => Plan::ExpireOld { client_name },
                Command::Step => {
                    let expires_at = api.current;
                    let due = now >= due_at(expires_at);
                    match (api.old.is_some(), self.proof(now, policy)) {
                        (true, None) => Plan::ExpireOld { client_name },
                        _ if due => Plan::Rotate {
                            client_name,
                            why: RotateWhy::Due { expires_at },
                        },
                        (true, Some(wait)) => Plan::Nothing(wait),
                        (false, _) => Plan::Nothing(Wait::RotateLater {
                            due_at: due_at(expires_at),
                        }),
                    }
                }
            },
        }
    }

    /// `None` when the current secret has proven itself: `expire_after_successes` successes,
    /// or one once the grace period since the overlap began has passed. Else what is missing.
    fn proof(&self, now: u64, policy: &Policy) -> Option<Wait> {
        let since = match self.phase {
            Phase::Overlap { since } => since,
            Phase::Idle => self.last_rotation.unwrap_or(now),
        };
        let grace_ends = since.saturating_add(policy.expire_grace_secs);
        let more_after_grace = 1u32.saturating_sub(self.current_successes);
        let more = if now >= grace_ends {
            more_after_grace
        } else {
            policy
                .expire_after_successes
                .saturating_sub(self.current_successes)
        };
        (more > 0).then_some(Wait::Proof {
            more,
            more_after_grace,
            grace_ends,
        })
    }

    /// Takes in a successful `$rotateSecret`: the new secret becomes current, the former one the
    /// previous. Call on a clone; use the clone only once it is stored. An error (no secret in the
    /// answer) is for `run_failed(Stage::Rotate, ..)`.
    pub fn after_rotation(&mut self, rotated: Rotated, now: u64) -> Result<Vec<Event>, String> {
        if rotated.secret.expose().is_empty() {
            return Err("Citrix Cloud's $rotateSecret answer held no secret".into());
        }
        let client = rotated.client;
        let mut former = std::mem::replace(
            &mut self.current,
            Secret {
                value: rotated.secret,
                issued_at: client.secret_update_time,
                expires_at: client.secret_expiration,
            },
        );
        if former.expires_at.is_none() {
            former.expires_at = client.secret_expiration_old;
        }
        self.previous = Some(former);
        self.generation += 1;
        self.current_successes = 0;
        self.last_rejection = None;
        self.last_fallback = None;
        self.phase = Phase::Overlap { since: now };
        self.last_rotation = Some(now);
        let mut events = vec![Event::Rotated {
            expires_at: client.secret_expiration,
            old_expires_at: client.secret_expiration_old,
        }];
        self.sync(&client, None, now, &mut events);
        self.observed = Some(Observed {
            at: now,
            client: Some(client),
            listed: vec![],
        });
        let summary = events[0].to_string();
        self.finish(now, RunOutcome::Done(summary));
        Ok(events)
    }

    /// Takes in a successful `$expireOldSecret`: the previous secret is gone; idle.
    pub fn after_expire_old(&mut self, now: u64) -> Vec<Event> {
        self.previous = None;
        self.phase = Phase::Idle;
        if let Some(c) = self.observed.as_mut().and_then(|o| o.client.as_mut()) {
            c.secret_expiration_old = None;
            c.secret_update_time_old = None;
        }
        let event = Event::OldSecretExpired;
        self.finish(now, RunOutcome::Done(event.to_string()));
        vec![event]
    }

    /// Why the client cannot be used, from the last read. Sign-in is never blocked on it (the
    /// read may be old); use it to explain a refused token call.
    pub fn unusable(&self) -> Option<Unusable> {
        let observed = self.observed.as_ref()?;
        let Some(client) = &observed.client else {
            return Some(Unusable::Missing {
                listed: observed.listed.clone(),
            });
        };
        if client.enabled == Some(false) {
            return Some(Unusable::Disabled);
        }
        let Some((_, api)) = self.view() else {
            return Some(Unusable::NoSecret);
        };
        (standing(&self.current, &api) == Standing::NotListed).then_some(Unusable::SecretNotListed)
    }

    /// Our entry and its secrets as of the last read.
    fn view(&self) -> Option<(&RpClient, ApiView)> {
        let observed = self.observed.as_ref()?;
        let client = observed.client.as_ref()?;
        Some((client, ApiView::of(client, observed.at)?))
    }

    /// Where the rotation stands.
    #[cfg(test)]
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Without rotation the portal never reads the secret's expiry from Citrix Cloud; the
    /// admin may state it (`CLIENT_SECRET_EXPIRES`). It applies while the current secret is
    /// `CLIENT_SECRET` and nothing better is known.
    pub fn assume_expiry(&mut self, configured: &str, expires_at: u64) {
        if self.current.expires_at.is_none() && self.current.value.expose() == configured {
            self.current.expires_at = Some(expires_at);
        }
    }

    /// The admin page's view.
    pub fn status(&self, now: u64, policy: &Policy, rotation_configured: bool) -> SecretStatus {
        let client = self.observed.as_ref().and_then(|o| o.client.as_ref());
        let api = self.view().map(|(_, api)| api);
        let current_standing = api.map(|a| standing(&self.current, &a));
        let unusable = self.unusable();
        let current_expires_at = self.current.expires_at;
        let old_expires_at = self
            .previous
            .as_ref()
            .and_then(|p| p.expires_at)
            .or_else(|| {
                api.filter(|_| current_standing == Some(Standing::ApiCurrent))?
                    .old
            });
        let days = |e: Option<u64>| e.map(|e| days_left(e, now));
        let plan = self.plan(now, policy, Command::Step);

        let (next_action, next_action_text) = if !rotation_configured {
            (
                NextAction::NotConfigured,
                "Rotation is not configured: set the Citrix Cloud API settings to rotate the secret automatically.".to_owned(),
            )
        } else {
            next_action(&plan, now)
        };
        let availability = |command| -> ActionAvailability {
            if !rotation_configured {
                return refused("rotation is not configured");
            }
            // An admin's command reads Citrix Cloud before it plans, so before the first read
            // (a fresh deployment, before the daily run) it is offered; the run then decides.
            if self.observed.is_none() {
                return ActionAvailability {
                    allowed: true,
                    reason: None,
                };
            }
            match self.plan(now, policy, command) {
                Plan::Rotate { .. } | Plan::ExpireOld { .. } => ActionAvailability {
                    allowed: true,
                    reason: None,
                },
                Plan::ClientUnusable(u) => refused(&u.admin_text()),
                Plan::Refused(why) => refused(&why),
                other => refused(&other.to_string()),
            }
        };

        SecretStatus {
            client_name: client.map(|c| c.name.clone()),
            display_name: client.and_then(|c| c.display_name.clone()),
            enabled: client.map(|c| c.enabled != Some(false)),
            usable: unusable.is_none(),
            rotation_configured,
            phase: match self.phase {
                Phase::Idle => SecretPhase::Idle,
                Phase::Overlap { .. } => SecretPhase::Overlap,
            },
            current_expires_at,
            current_days_left: days(current_expires_at),
            old_expires_at,
            old_days_left: days(old_expires_at),
            successes_with_current: self.current_successes,
            last_rotation_at: self.last_rotation,
            current_issued_at: self.current.issued_at,
            last_observed_at: self.observed.as_ref().map(|o| o.at),
            last_run: self.last_run.as_ref().map(|r| run_status(r, now)),
            next_action,
            next_action_text,
            rotate_now: availability(Command::RotateNow),
            expire_old_now: availability(Command::ExpireOldNow),
            banner: self.banner(
                now,
                policy,
                rotation_configured,
                unusable,
                current_standing,
                api.and_then(|a| a.old),
            ),
        }
    }

    fn banner(
        &self,
        now: u64,
        policy: &Policy,
        rotation_configured: bool,
        unusable: Option<Unusable>,
        current_standing: Option<Standing>,
        api_old: Option<u64>,
    ) -> Option<Banner> {
        if let Some(u) = unusable {
            return Some(error_banner(&u.admin_text()));
        }
        let expires_at = self.current.expires_at;
        if let Some(e) = expires_at
            && e <= now
        {
            return Some(error_banner(&format!(
                "The client secret expired on {}: sign-in fails until it is rotated{}.",
                utc_minute(e),
                if rotation_configured {
                    " (the next run rotates it)"
                } else {
                    " in Citrix Cloud and CLIENT_SECRET is updated"
                }
            )));
        }
        if self
            .last_fallback
            .is_some_and(|f| self.last_success.is_none_or(|s| f > s))
        {
            return Some(warning(
                "Citrix Cloud refused the current secret; sign-ins are using a fallback secret. The next run checks the secrets against Citrix Cloud.",
            ));
        }
        if current_standing == Some(Standing::ApiOld) {
            return Some(warning(&format!(
                "Citrix Cloud holds a newer secret that the portal did not save. The portal keeps using its secret, Citrix Cloud's old one, until {}, and rotates again {} days before.",
                expires_at
                    .map(utc_minute)
                    .unwrap_or_else(|| "it expires".into()),
                policy.rotate_before_days
            )));
        }
        if matches!(
            current_standing,
            Some(Standing::Unknown | Standing::NotListed)
        ) && api_old.is_some()
        {
            return Some(warning(
                "Citrix Cloud lists two working secrets and the portal cannot tell which one CLIENT_SECRET is, so it cannot rotate safely. If CLIENT_SECRET is the newer one, expire the old one in Citrix Cloud.",
            ));
        }
        let left = expires_at.map(|e| e - now)?;
        if left > policy.window() {
            return None;
        }
        let days = days_left(expires_at?, now);
        if !rotation_configured {
            return Some(warning(&format!(
                "The client secret expires in {days} day{} and rotation is not configured: rotate it in Citrix Cloud and update CLIENT_SECRET.",
                plural(days)
            )));
        }
        match &self.last_run {
            Some(RunRecord {
                outcome: RunOutcome::Failed { stage, error },
                ..
            }) => Some(warning(&format!(
                "The client secret expires in {days} day{} and the last run failed {stage}: {error}",
                plural(days)
            ))),
            _ => None,
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn next_action(plan: &Plan, now: u64) -> (NextAction, String) {
    match plan {
        Plan::Nothing(Wait::FirstRead) => (
            NextAction::FirstRead,
            "Read the client from Citrix Cloud at the next run.".into(),
        ),
        Plan::Nothing(Wait::RotateLater { due_at } | Wait::RecoverLater { due_at }) => {
            let days = days_left(*due_at, now);
            (
                NextAction::RotateIn { days },
                format!("Rotate in {days} day{}.", plural(days)),
            )
        }
        Plan::Nothing(Wait::Proof {
            more,
            more_after_grace,
            grace_ends,
        }) => {
            let sooner = *grace_ends > now && more_after_grace < more;
            let clause = match more_after_grace {
                _ if !sooner => String::new(),
                0 => format!(" or at the first run after {}", utc_minute(*grace_ends)),
                n => format!(" (or {n}, after {})", utc_minute(*grace_ends)),
            };
            (
                NextAction::ExpireOldAfter {
                    successes: *more,
                    sooner_after: sooner.then_some(*grace_ends),
                },
                format!(
                    "Expire the old secret after {more} more successful sign-in{}{clause}.",
                    plural(u64::from(*more)),
                ),
            )
        }
        Plan::Nothing(Wait::Unmatched { old_expires_at }) => (
            NextAction::WaitForOldSecret {
                old_expires_at: *old_expires_at,
            },
            format!(
                "Wait until Citrix Cloud's old secret is gone{}, then resume rotation.",
                old_expires_at
                    .map(|e| format!(" (it expires on {})", utc_minute(e)))
                    .unwrap_or_default()
            ),
        ),
        Plan::Rotate { .. } => (
            NextAction::RotateAtNextRun,
            "Rotate at the next run.".into(),
        ),
        Plan::ExpireOld { .. } => (
            NextAction::ExpireOldAtNextRun,
            "Expire the old secret at the next run.".into(),
        ),
        Plan::ClientUnusable(u) => (NextAction::ClientUnusable, u.admin_text()),
        // A step is never refused.
        Plan::Refused(why) => (NextAction::Nothing, why.clone()),
    }
}

// ---------------------------------------------------------------------------------------------
// The admin page's view: the wire types are in portal_shared::api.

fn refused(why: &str) -> ActionAvailability {
    ActionAvailability {
        allowed: false,
        reason: Some(why.to_owned()),
    }
}

fn warning(text: &str) -> Banner {
    Banner {
        level: BannerLevel::Warning,
        text: text.to_owned(),
    }
}

fn error_banner(text: &str) -> Banner {
    Banner {
        level: BannerLevel::Error,
        text: text.to_owned(),
    }
}

/// A run still "running" after this long was interrupted.
const RUN_TIMEOUT_SECS: u64 = 15 * 60;

fn run_status(r: &RunRecord, now: u64) -> RunStatus {
    let (outcome, message) = match &r.outcome {
        RunOutcome::Running if now.saturating_sub(r.started_at) > RUN_TIMEOUT_SECS => {
            (RunResult::Interrupted, "The run never finished.".to_owned())
        }
        RunOutcome::Running => (RunResult::Running, "Running.".to_owned()),
        RunOutcome::Done(summary) => (RunResult::Ok, summary.clone()),
        RunOutcome::Failed { stage, error } => {
            (RunResult::Failed, format!("Failed {stage}: {error}"))
        }
    };
    RunStatus {
        command: r.command,
        started_at: r.started_at,
        finished_at: r.finished_at,
        outcome,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seconds in a day.
    const DAY: u64 = portal_shared::time::DAY_SECS;

    const T0: u64 = 1_700_000_000;
    const HOUR: u64 = 3600;
    const LIFE: u64 = 90 * DAY;
    const ID: &str = "portal-client-id";
    const NAME: &str = "customer-private-305";
    const SEED: &str = "seed-secret-AAAA";

    // -----------------------------------------------------------------------------------------
    // A Citrix Cloud with the emulator's semantics (tests/emulator/src/clients.rs).

    #[derive(Clone)]
    struct CloudSecret {
        value: String,
        updated: u64,
        expires: u64,
    }

    struct Cloud {
        enabled: bool,
        deleted: bool,
        public: bool,
        /// Refuses the current secret (e.g. not yet propagated), for fall-back tests.
        refuse_current: bool,
        current: CloudSecret,
        old: Option<CloudSecret>,
        issued: u32,
    }

    impl Cloud {
        /// The seed secret, issued at `issued_at`.
        fn new(issued_at: u64) -> Cloud {
            Cloud {
                enabled: true,
                deleted: false,
                public: false,
                refuse_current: false,
                current: CloudSecret {
                    value: SEED.into(),
                    updated: issued_at,
                    expires: issued_at + LIFE,
                },
                old: None,
                issued: 0,
            }
        }

        /// A secret due in `days` days.
        fn expiring_in(days: u64, now: u64) -> Cloud {
            Cloud::new(now + days * DAY - LIFE)
        }

        fn entry(&self) -> RpClient {
            RpClient {
                name: NAME.into(),
                display_name: Some("Workspace Portal".into()),
                api_key: ID.into(),
                secret_update_time: (!self.public).then_some(self.current.updated),
                secret_expiration: (!self.public).then_some(self.current.expires),
                secret_update_time_old: self.old.as_ref().map(|o| o.updated),
                secret_expiration_old: self.old.as_ref().map(|o| o.expires),
                owner: Some("admin@acme.example".into()),
                enabled: Some(self.enabled),
                client_type: Some(if self.public { "public" } else { "private" }.into()),
            }
        }

        fn list(&self) -> Vec<RpClient> {
            let other = RpClient {
                name: "customer-private-999".into(),
                api_key: "someone-else".into(),
                ..self.entry()
            };
            let mut list = vec![other];
            if !self.deleted {
                list.push(self.entry());
            }
            list
        }

        fn rotate(&mut self, now: u64) -> Rotated {
            self.issued += 1;
            let value = format!("rotated-secret-{}", self.issued);
            let former = std::mem::replace(
                &mut self.current,
                CloudSecret {
                    value: value.clone(),
                    updated: now,
                    expires: now + LIFE,
                },
            );
            self.old = Some(CloudSecret {
                updated: now,
                ..former
            });
            Rotated {
                client: self.entry(),
                secret: SecretValue::new(value),
            }
        }

        fn expire_old(&mut self) {
            self.old = None;
        }

        fn accepts(&self, secret: &str, now: u64) -> bool {
            let current =
                !self.refuse_current && self.current.value == secret && now < self.current.expires;
            let old = self
                .old
                .as_ref()
                .is_some_and(|o| o.value == secret && now < o.expires);
            self.enabled && !self.deleted && !self.public && (current || old)
        }

        /// The emulator restarted: back to its seed, with dates computed afresh.
        fn restart(&mut self, now: u64) {
            *self = Cloud::new(now - 10 * DAY);
        }
    }

    // -----------------------------------------------------------------------------------------
    // The runtime, calling the module in the order the Durable Object will.

    #[derive(Default, Clone, Copy)]
    struct Faults {
        cloud_token: bool,
        list: bool,
        rotate: bool,
        save_new_secret: bool,
        expire: bool,
        save_after_expire: bool,
    }

    const NO_FAULTS: Faults = Faults {
        cloud_token: false,
        list: false,
        rotate: false,
        save_new_secret: false,
        expire: false,
        save_after_expire: false,
    };

    struct Portal {
        /// What storage holds.
        stored: Option<SecretStore>,
        configured: String,
        policy: Policy,
        log: Vec<Event>,
    }

    impl Portal {
        fn new() -> Portal {
            Portal {
                stored: None,
                configured: SEED.into(),
                policy: Policy::default(),
                log: Vec::new(),
            }
        }

        fn store(&self) -> &SecretStore {
            self.stored.as_ref().expect("stored")
        }

        fn load(&mut self) -> SecretStore {
            let (store, events) = SecretStore::load(self.stored.clone(), &self.configured);
            if !events.is_empty() {
                self.stored = Some(store.clone());
            }
            self.log.extend(events);
            store
        }

        fn save(&mut self, s: &SecretStore) {
            self.stored = Some(s.clone());
        }

        /// One run. `None` when it failed before planning.
        fn run(
            &mut self,
            cloud: &mut Cloud,
            command: Command,
            now: u64,
            f: Faults,
        ) -> Option<Plan> {
            self.log.clear();
            let mut s = self.load();
            let events = s.start_run(command, now);
            self.log.extend(events);
            self.save(&s);
            if f.cloud_token {
                let e = s.run_failed(Stage::CloudToken, "Citrix Cloud answered 503", now);
                self.log.push(e);
                self.save(&s);
                return None;
            }
            if f.list {
                let e = s.run_failed(Stage::ListClients, "timed out", now);
                self.log.push(e);
                self.save(&s);
                return None;
            }
            let list = cloud.list();
            let events = s.observe(find_client(&list, &ours(ID)), &self.configured, now);
            self.log.extend(events);
            self.save(&s);
            let plan = s.plan(now, &self.policy, command);
            match &plan {
                Plan::Rotate { client_name, .. } => {
                    assert_eq!(client_name, NAME);
                    if f.rotate {
                        let e = s.run_failed(Stage::Rotate, "Citrix Cloud answered 500", now);
                        self.log.push(e);
                        self.save(&s);
                        return Some(plan);
                    }
                    let rotated = cloud.rotate(now);
                    let mut next = s.clone();
                    let events = next.after_rotation(rotated, now).expect("rotated");
                    if f.save_new_secret {
                        // The write fails: `next` is dropped with the new secret; storage keeps
                        // what it had (the run still marked running).
                        self.log
                            .push(s.run_failed(Stage::SaveNewSecret, "write failed", now));
                        return Some(plan);
                    }
                    self.log.extend(events);
                    self.save(&next);
                }
                Plan::ExpireOld { client_name } => {
                    assert_eq!(client_name, NAME);
                    if f.expire {
                        let e = s.run_failed(Stage::ExpireOld, "Citrix Cloud answered 502", now);
                        self.log.push(e);
                        self.save(&s);
                        return Some(plan);
                    }
                    cloud.expire_old();
                    let events = s.after_expire_old(now);
                    if f.save_after_expire {
                        return Some(plan);
                    }
                    self.log.extend(events);
                    self.save(&s);
                }
                _ => {
                    let e = s.run_finished(plan.to_string(), now);
                    self.log.push(e);
                    self.save(&s);
                }
            }
            Some(plan)
        }

        fn step(&mut self, cloud: &mut Cloud, now: u64) -> Option<Plan> {
            self.run(cloud, Command::Step, now, NO_FAULTS)
        }

        /// A token call (sign-in or refresh); which secret worked, if any.
        fn sign_in(&mut self, cloud: &Cloud, now: u64) -> Option<Slot> {
            let mut s = self.load();
            let mut used = None;
            for attempt in s.secrets_to_try(&self.configured, now) {
                let accepted = cloud.accepts(attempt.secret.expose(), now);
                let event = s.record_token_result(&attempt.report(accepted), &self.configured, now);
                self.log.extend(event);
                if accepted {
                    used = Some(attempt.slot);
                    break;
                }
            }
            self.save(&s);
            used
        }

        fn status(&self, now: u64) -> SecretStatus {
            self.store().status(now, &self.policy, true)
        }

        fn logged(&self, wanted: impl Fn(&Event) -> bool) -> bool {
            self.log.iter().any(wanted)
        }
    }

    fn current_value(p: &Portal) -> &str {
        p.store().current.value.expose()
    }

    /// A portal that has rotated at `T0` (secret expiring 10 days later) and saved it.
    fn rotated_at_t0() -> (Portal, Cloud) {
        let mut cloud = Cloud::expiring_in(10, T0);
        let mut p = Portal::new();
        let plan = p.step(&mut cloud, T0).unwrap();
        assert!(matches!(
            plan,
            Plan::Rotate {
                why: RotateWhy::Due { .. },
                ..
            }
        ));
        (p, cloud)
    }

    // -----------------------------------------------------------------------------------------
    // Settings and parsing

    #[test]
    fn rpclients_entries_parse_with_nulls_and_unknown_fields() {
        let body = r#"[
          { "name": "customer-private-305", "display_name": "Demo Client", "api_key": "api_key",
            "secret_update_time": 1686218219, "secret_expiration": 1693958400,
            "secret_update_time_old": null, "secret_expiration_old": null,
            "owner": "customer@customer.com", "redirect_uris": ["https://x"], "user_consent": false },
          { "name": "customer-public-1", "api_key": "pub", "secret_update_time": null,
            "secret_expiration": null, "enabled": false, "client_type": "public" },
          { "name": null, "api_key": null, "display_name": null, "owner": null, "tags": [] },
          { "name": "broken", "secret_expiration": "soon" }
        ]"#;
        let list = parse_rpclients(body).unwrap();
        let (list, skipped) = (list.good, list.skipped);
        assert_eq!(list.len(), 3);
        assert_eq!(list[0].secret_expiration, Some(1_693_958_400));
        assert_eq!(list[0].secret_expiration_old, None);
        assert_eq!(list[0].enabled, None, "absent means enabled");
        assert_eq!(list[1].enabled, Some(false));
        assert_eq!((list[2].name.as_str(), list[2].api_key.as_str()), ("", ""));
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].id, None, "{}", skipped[0]);
        assert!(parse_rpclients("{}").unwrap_err().contains("rpclients"));
    }

    fn ours(client_id: &str) -> Ours<'_> {
        Ours {
            name: None,
            client_id,
            application_id: "",
        }
    }

    #[test]
    fn our_client_is_found_by_name_api_key_or_application_id_and_never_silently_missing() {
        let cloud = Cloud::new(T0);
        let list = cloud.list();
        assert_eq!(find_client(&list, &ours(ID)).unwrap().name, NAME);
        assert_eq!(find_client(&list, &ours(NAME)).unwrap().api_key, ID);
        // The id wins over a name that happens to equal it.
        let mut tricky = list.clone();
        tricky[0].name = ID.into();
        assert_eq!(find_client(&tricky, &ours(ID)).unwrap().name, NAME);
        // An empty api_key never matches.
        assert!(find_client(&list, &ours("")).is_err());
        // api_key may hold the application id instead of the client id.
        let mut by_app = list.clone();
        by_app[0].api_key = "app-id".into();
        let ours_by_app = Ours {
            application_id: "app-id",
            ..ours("portal-client-id")
        };
        assert_eq!(find_client(&by_app, &ours_by_app).unwrap().name, NAME);
        // CLIENT_NAME decides alone when set.
        let named = |name| Ours {
            name: Some(name),
            ..ours(ID)
        };
        assert_eq!(find_client(&list, &named(NAME)).unwrap().name, NAME);
        let listed = find_client(&list, &named("someone-else")).unwrap_err();
        assert!(listed.iter().any(|n| n.starts_with(NAME)), "{listed:?}");
        // Not found: the admin is told what is listed and what to set.
        let text = Unusable::Missing {
            listed: find_client(&list, &ours("nobody")).unwrap_err(),
        }
        .admin_text();
        assert!(
            text.contains("It lists: customer-private-999 (Workspace Portal), ")
                && text.contains(NAME)
                && text.contains("set CLIENT_NAME"),
            "{text}"
        );
        assert!(
            Unusable::Missing { listed: vec![] }
                .admin_text()
                .contains("check CUSTOMER_ID")
        );
    }

    #[test]
    fn rotate_answers_parse_and_errors_never_echo_the_secret() {
        let body = r#"{ "client": { "name": "customer-private-305", "api_key": "api_key",
            "secret_update_time": 1691151918, "secret_expiration": 1698927918,
            "secret_update_time_old": 1691151918, "secret_expiration_old": 1693958400 },
            "secret": "NEW-SECRET-VALUE" }"#;
        let r = parse_rotated(body).unwrap();
        assert_eq!(r.secret.expose(), "NEW-SECRET-VALUE");
        assert_eq!(r.client.secret_expiration_old, Some(1_693_958_400));
        let err = parse_rotated(r#"{"secret": "NEW-SECRET-VALUE", "client": 3}"#).unwrap_err();
        assert!(!err.contains("NEW-SECRET-VALUE"), "{err}");
        assert!(err.contains("$rotateSecret"), "{err}");
    }

    // -----------------------------------------------------------------------------------------
    // Seeding and the happy path

    #[test]
    fn the_store_is_seeded_from_client_secret_and_learns_the_expiry_at_the_first_read() {
        let mut cloud = Cloud::expiring_in(40, T0);
        let mut p = Portal::new();
        assert_eq!(p.sign_in(&cloud, T0), Some(Slot::Current));
        assert!(p.logged(|e| *e == Event::Seeded));
        assert_eq!(current_value(&p), SEED);
        assert_eq!(p.store().current.expires_at, None);
        assert_eq!(
            p.store().plan(T0, &p.policy, Command::Step),
            Plan::Nothing(Wait::FirstRead)
        );

        let plan = p.step(&mut cloud, T0 + 60).unwrap();
        let expires = T0 + 40 * DAY;
        assert!(p.logged(|e| *e
            == Event::ExpiryLearned {
                expires_at: expires
            }));
        assert_eq!(p.store().current.expires_at, Some(expires));
        assert_eq!(p.store().current.issued_at, Some(cloud.current.updated));
        assert_eq!(
            plan,
            Plan::Nothing(Wait::RotateLater {
                due_at: expires - 14 * DAY
            })
        );
        assert_eq!(p.store().phase(), Phase::Idle);
    }

    #[test]
    fn rotation_is_due_exactly_rotate_before_days_before_expiry() {
        let policy = Policy::default();
        let cloud = Cloud::expiring_in(20, T0);
        let (mut s, _) = SecretStore::seed(SEED);
        s.observe(Ok(&cloud.entry()), SEED, T0);
        let due_at = T0 + 6 * DAY;
        assert_eq!(
            s.plan(due_at - 1, &policy, Command::Step),
            Plan::Nothing(Wait::RotateLater { due_at })
        );
        assert!(matches!(
            s.plan(due_at, &policy, Command::Step),
            Plan::Rotate {
                why: RotateWhy::Due { expires_at },
                ..
            } if expires_at == T0 + 20 * DAY
        ));
        // A longer window makes it due already.
        let eager = Policy {
            rotate_before_days: 21,
            ..policy
        };
        assert!(matches!(
            s.plan(T0, &eager, Command::Step),
            Plan::Rotate { .. }
        ));
    }

    #[test]
    fn full_cycle_rotate_use_prove_expire_idle() {
        let (mut p, mut cloud) = rotated_at_t0();
        let old_expiry = T0 + 10 * DAY;
        // Stored before use; the new secret is current, the old one the previous.
        let new = current_value(&p).to_owned();
        assert_eq!(new, "rotated-secret-1");
        assert_eq!(p.store().current.expires_at, Some(T0 + LIFE));
        assert_eq!(p.store().current.issued_at, Some(T0));
        let prev = p.store().previous.clone().unwrap();
        assert_eq!(
            (prev.value.expose(), prev.expires_at),
            (SEED, Some(old_expiry))
        );
        assert_eq!(p.store().phase(), Phase::Overlap { since: T0 });
        assert_eq!(p.store().last_rotation, Some(T0));
        assert!(p.logged(|e| matches!(e, Event::Rotated { expires_at: Some(e), old_expires_at: Some(o) } if *e == T0 + LIFE && *o == old_expiry)));
        assert!(cloud.accepts(&new, T0) && cloud.accepts(SEED, T0));

        // Not proven yet: nothing to do.
        let plan = p.step(&mut cloud, T0 + 60).unwrap();
        assert!(
            matches!(plan, Plan::Nothing(Wait::Proof { more: 3, .. })),
            "{plan:?}"
        );

        for i in 1..=3 {
            assert_eq!(p.sign_in(&cloud, T0 + 100 + i), Some(Slot::Current));
        }
        assert_eq!(p.store().current_successes, 3);
        let plan = p.step(&mut cloud, T0 + HOUR).unwrap();
        assert_eq!(
            plan,
            Plan::ExpireOld {
                client_name: NAME.into()
            }
        );
        assert!(p.logged(|e| *e == Event::OldSecretExpired));
        assert!(cloud.old.is_none());
        assert!(!cloud.accepts(SEED, T0 + HOUR));
        assert_eq!(p.store().phase(), Phase::Idle);
        assert!(p.store().previous.is_none());
        assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));

        // Idle again: next rotation 14 days before the new expiry.
        let plan = p.step(&mut cloud, T0 + 2 * HOUR).unwrap();
        assert_eq!(
            plan,
            Plan::Nothing(Wait::RotateLater {
                due_at: T0 + LIFE - 14 * DAY
            })
        );
        let last = p.store().last_run.clone().unwrap();
        assert!(matches!(last.outcome, RunOutcome::Done(_)));
        assert_eq!(last.finished_at, Some(T0 + 2 * HOUR));
    }

    #[test]
    fn the_grace_period_needs_one_success_and_never_none() {
        let (mut p, mut cloud) = rotated_at_t0();
        // No success at all, long after the grace period: never expire an unproven secret.
        let plan = p.step(&mut cloud, T0 + 2 * DAY).unwrap();
        assert_eq!(
            plan,
            Plan::Nothing(Wait::Proof {
                more: 1,
                more_after_grace: 1,
                grace_ends: T0 + DAY
            })
        );
        assert_eq!(p.sign_in(&cloud, T0 + 2 * DAY + 1), Some(Slot::Current));
        let plan = p.step(&mut cloud, T0 + 2 * DAY + 2).unwrap();
        assert!(matches!(plan, Plan::ExpireOld { .. }), "{plan:?}");
    }

    #[test]
    fn one_success_is_enough_once_the_grace_period_is_over() {
        let (mut p, mut cloud) = rotated_at_t0();
        p.sign_in(&cloud, T0 + 10);
        let plan = p.step(&mut cloud, T0 + DAY - 1).unwrap();
        assert_eq!(
            plan,
            Plan::Nothing(Wait::Proof {
                more: 2,
                more_after_grace: 0,
                grace_ends: T0 + DAY
            })
        );
        let plan = p.step(&mut cloud, T0 + DAY).unwrap();
        assert!(matches!(plan, Plan::ExpireOld { .. }), "{plan:?}");
    }

    // -----------------------------------------------------------------------------------------
    // Token calls

    #[test]
    fn invalid_client_with_the_current_secret_falls_back_to_the_previous_and_resets_the_count() {
        let (mut p, mut cloud) = rotated_at_t0();
        p.sign_in(&cloud, T0 + 1);
        p.sign_in(&cloud, T0 + 2);
        assert_eq!(p.store().current_successes, 2);

        cloud.refuse_current = true;
        p.log.clear();
        assert_eq!(p.sign_in(&cloud, T0 + 3), Some(Slot::Previous));
        assert!(p.logged(|e| *e == Event::CurrentRejected { successes_lost: 2 }));
        assert!(p.logged(|e| *e
            == Event::FallbackWorked {
                slot: Slot::Previous
            }));
        assert_eq!(p.store().current_successes, 0);
        // The current secret stays current: one refusal does not undo a rotation.
        assert_eq!(current_value(&p), "rotated-secret-1");
        let status = p.status(T0 + 4);
        assert_eq!(status.banner.as_ref().unwrap().level, BannerLevel::Warning);
        assert!(status.banner.unwrap().text.contains("fallback"));
        // The old secret is not expired on the strength of a refused secret.
        let plan = p.step(&mut cloud, T0 + HOUR).unwrap();
        assert!(
            matches!(plan, Plan::Nothing(Wait::Proof { more: 3, .. })),
            "{plan:?}"
        );

        cloud.refuse_current = false;
        assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));
        assert!(p.status(T0 + HOUR + 2).banner.is_none());
    }

    #[test]
    fn no_fall_back_to_a_previous_secret_known_to_have_expired() {
        let (mut p, mut cloud) = rotated_at_t0();
        let old_expiry = T0 + 10 * DAY;
        let before: Vec<Slot> = p
            .store()
            .secrets_to_try(SEED, old_expiry - 1)
            .iter()
            .map(|a| a.slot)
            .collect();
        assert_eq!(before, [Slot::Current, Slot::Previous]);
        let after = p.store().secrets_to_try(SEED, old_expiry);
        assert_eq!(after.len(), 1, "{after:?}");
        assert_eq!(after[0].slot, Slot::Current);

        cloud.refuse_current = true;
        assert_eq!(p.sign_in(&cloud, old_expiry + 1), None);
        assert!(p.logged(|e| matches!(e, Event::CurrentRejected { .. })));
        assert!(!p.logged(|e| matches!(e, Event::FallbackWorked { .. })));
    }

    #[test]
    fn reports_from_before_a_rotation_are_ignored() {
        let mut cloud = Cloud::expiring_in(10, T0);
        let mut p = Portal::new();
        let stale = p.load().secrets_to_try(SEED, T0)[0].clone();
        p.step(&mut cloud, T0);
        let mut s = p.store().clone();
        assert_eq!(
            s.record_token_result(&stale.report(true), SEED, T0 + 1),
            None
        );
        assert_eq!(s.current_successes, 0);
        assert_eq!(
            s.record_token_result(&stale.report(false), SEED, T0 + 1),
            None
        );
        assert_eq!(s.last_rejection, None);
        let fresh = s.secrets_to_try(SEED, T0 + 2)[0].clone();
        assert_eq!(
            s.record_token_result(&fresh.report(true), SEED, T0 + 2),
            Some(Event::CurrentWorked)
        );
        assert_eq!(s.current_successes, 1);
    }

    // -----------------------------------------------------------------------------------------
    // Failures at every step

    #[test]
    fn a_failed_cloud_token_or_list_changes_nothing_and_the_next_run_carries_on() {
        let mut cloud = Cloud::expiring_in(10, T0);
        let mut p = Portal::new();
        for faults in [
            Faults {
                cloud_token: true,
                ..NO_FAULTS
            },
            Faults {
                list: true,
                ..NO_FAULTS
            },
        ] {
            assert_eq!(p.run(&mut cloud, Command::Step, T0, faults), None);
            let s = p.store();
            assert_eq!(s.current.value.expose(), SEED);
            assert!(s.previous.is_none());
            assert!(matches!(
                s.last_run.as_ref().unwrap().outcome,
                RunOutcome::Failed { .. }
            ));
            assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Current));
        }
        let status = p.status(T0 + 2);
        assert_eq!(status.last_run.as_ref().unwrap().outcome, RunResult::Failed);
        assert!(
            status
                .last_run
                .unwrap()
                .message
                .contains("reading the client")
        );
        assert!(matches!(
            p.step(&mut cloud, T0 + DAY),
            Some(Plan::Rotate { .. })
        ));
        assert_eq!(current_value(&p), "rotated-secret-1");
    }

    #[test]
    fn a_failed_rotation_changes_nothing_and_is_retried() {
        let mut cloud = Cloud::expiring_in(10, T0);
        let mut p = Portal::new();
        let faults = Faults {
            rotate: true,
            ..NO_FAULTS
        };
        assert!(matches!(
            p.run(&mut cloud, Command::Step, T0, faults),
            Some(Plan::Rotate { .. })
        ));
        assert_eq!(current_value(&p), SEED);
        assert_eq!(p.store().phase(), Phase::Idle);
        assert_eq!(
            p.store().last_run.as_ref().unwrap().outcome,
            RunOutcome::Failed {
                stage: Stage::Rotate,
                error: "Citrix Cloud answered 500".into()
            }
        );
        assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Current));
        let status = p.status(T0 + 2);
        assert_eq!(status.next_action, NextAction::RotateAtNextRun);
        let banner = status.banner.unwrap();
        assert_eq!(banner.level, BannerLevel::Warning);
        assert!(
            banner
                .text
                .contains("expires in 10 days and the last run failed rotating"),
            "{}",
            banner.text
        );

        assert!(matches!(
            p.step(&mut cloud, T0 + DAY),
            Some(Plan::Rotate { .. })
        ));
        assert_eq!(current_value(&p), "rotated-secret-1");
        assert!(p.status(T0 + DAY).banner.is_none());
    }

    #[test]
    fn a_lost_new_secret_is_detected_and_the_next_run_rotates_again() {
        let mut cloud = Cloud::expiring_in(10, T0);
        let mut p = Portal::new();
        let faults = Faults {
            save_new_secret: true,
            ..NO_FAULTS
        };
        p.run(&mut cloud, Command::Step, T0, faults);
        // Citrix Cloud rotated; we still hold the seed, which is now its old secret.
        assert_eq!(cloud.current.value, "rotated-secret-1");
        assert_eq!(current_value(&p), SEED);
        assert_eq!(p.store().phase(), Phase::Idle);
        // Sign-in keeps working with it.
        assert_eq!(p.sign_in(&cloud, T0 + 60), Some(Slot::Current));

        let plan = p.step(&mut cloud, T0 + DAY).unwrap();
        assert!(
            p.logged(|e| matches!(e, Event::RunInterrupted { started_at } if *started_at == T0))
        );
        assert!(p.logged(|e| *e
            == Event::LostNewerSecret {
                our_expires_at: T0 + 10 * DAY
            }));
        assert_eq!(
            plan,
            Plan::Rotate {
                client_name: NAME.into(),
                why: RotateWhy::Recover {
                    expires_at: T0 + 10 * DAY
                }
            }
        );
        // That rotation deleted the seed (Citrix Cloud's old one) and the lost secret is now the
        // old one, which the machine expires once the new secret has proven itself.
        assert_eq!(current_value(&p), "rotated-secret-2");
        assert!(!cloud.accepts(SEED, T0 + DAY));
        assert!(p.store().previous.is_none(), "the seed is gone");
        assert!(p.logged(|e| *e
            == Event::PreviousDropped {
                why: DropReason::NotListed
            }));
        assert_eq!(p.store().phase(), Phase::Overlap { since: T0 + DAY });
        for i in 0..3 {
            assert_eq!(p.sign_in(&cloud, T0 + DAY + 10 + i), Some(Slot::Current));
        }
        assert!(matches!(
            p.step(&mut cloud, T0 + DAY + HOUR),
            Some(Plan::ExpireOld { .. })
        ));
        assert!(cloud.old.is_none(), "the lost secret no longer works");
        assert_eq!(p.store().phase(), Phase::Idle);
    }

    #[test]
    fn the_documented_risk_a_second_lost_secret_leaves_no_working_secret() {
        let mut cloud = Cloud::expiring_in(10, T0);
        let mut p = Portal::new();
        let faults = Faults {
            save_new_secret: true,
            ..NO_FAULTS
        };
        p.run(&mut cloud, Command::Step, T0, faults);
        p.run(&mut cloud, Command::Step, T0 + DAY, faults);
        // The recovery rotation deleted the secret we hold and its result was lost too.
        assert_eq!(p.sign_in(&cloud, T0 + DAY + 1), None);
        let plan = p.step(&mut cloud, T0 + 2 * DAY).unwrap();
        assert_eq!(plan, Plan::ClientUnusable(Unusable::SecretNotListed));
        assert!(p.logged(|e| *e == Event::SecretNotListed));
        let status = p.status(T0 + 2 * DAY);
        assert!(!status.usable);
        assert_eq!(status.banner.unwrap().level, BannerLevel::Error);
        assert!(!status.rotate_now.allowed);

        // The operator's way out: rotate in Citrix Cloud, set CLIENT_SECRET.
        let manual = cloud.rotate(T0 + 3 * DAY).secret;
        p.configured = manual.expose().into();
        assert_eq!(p.sign_in(&cloud, T0 + 3 * DAY), Some(Slot::Current));
        assert!(p.logged(|e| *e == Event::ConfiguredSecretChanged));
        // Citrix Cloud now lists two secrets we never matched: which one CLIENT_SECRET is
        // cannot be told, so the machine waits (sign-in works) and says how to settle it.
        let plan = p.step(&mut cloud, T0 + 3 * DAY + 1).unwrap();
        assert!(
            matches!(plan, Plan::Nothing(Wait::Unmatched { .. })),
            "{plan:?}"
        );
        let status = p.status(T0 + 3 * DAY + 1);
        assert!(status.usable);
        assert!(
            status
                .banner
                .unwrap()
                .text
                .contains("expire the old one in Citrix Cloud")
        );
        cloud.expire_old();
        let plan = p.step(&mut cloud, T0 + 3 * DAY + 2).unwrap();
        assert_eq!(p.store().current.expires_at, Some(T0 + 3 * DAY + LIFE));
        assert!(p.store().previous.is_none());
        assert!(
            matches!(plan, Plan::Nothing(Wait::RotateLater { .. })),
            "{plan:?}"
        );
    }

    #[test]
    fn a_lost_secret_after_a_forced_rotation_waits_until_ours_is_due() {
        let mut cloud = Cloud::expiring_in(80, T0);
        let mut p = Portal::new();
        let faults = Faults {
            save_new_secret: true,
            ..NO_FAULTS
        };
        let plan = p.run(&mut cloud, Command::RotateNow, T0, faults).unwrap();
        assert!(matches!(
            plan,
            Plan::Rotate {
                why: RotateWhy::Forced,
                ..
            }
        ));
        let plan = p.step(&mut cloud, T0 + DAY).unwrap();
        let due_at = T0 + 66 * DAY;
        assert_eq!(plan, Plan::Nothing(Wait::RecoverLater { due_at }));
        let s = p.store();
        assert!(matches!(
            s.plan(T0 + DAY, &p.policy, Command::ExpireOldNow),
            Plan::Refused(why) if why.contains("would stop sign-in")
        ));
        assert!(matches!(
            s.plan(T0 + DAY, &p.policy, Command::RotateNow),
            Plan::Rotate {
                why: RotateWhy::Forced,
                ..
            }
        ));
        let status = p.status(T0 + DAY);
        assert_eq!(status.next_action, NextAction::RotateIn { days: 65 });
        assert!(status.banner.unwrap().text.contains("did not save"));
        assert!(matches!(
            s.plan(due_at, &p.policy, Command::Step),
            Plan::Rotate {
                why: RotateWhy::Recover { .. },
                ..
            }
        ));
    }

    #[test]
    fn a_failed_expire_old_is_planned_again_at_the_next_run() {
        let (mut p, mut cloud) = rotated_at_t0();
        for i in 0..3 {
            p.sign_in(&cloud, T0 + 1 + i);
        }
        let faults = Faults {
            expire: true,
            ..NO_FAULTS
        };
        let plan = p.run(&mut cloud, Command::Step, T0 + HOUR, faults).unwrap();
        assert!(matches!(plan, Plan::ExpireOld { .. }));
        assert!(cloud.old.is_some());
        assert!(p.store().previous.is_some());
        assert_eq!(p.store().phase(), Phase::Overlap { since: T0 });
        assert!(matches!(
            p.store().last_run.as_ref().unwrap().outcome,
            RunOutcome::Failed {
                stage: Stage::ExpireOld,
                ..
            }
        ));
        assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));
        let plan = p.step(&mut cloud, T0 + DAY).unwrap();
        assert!(matches!(plan, Plan::ExpireOld { .. }));
        assert!(cloud.old.is_none());
        assert_eq!(p.store().phase(), Phase::Idle);
    }

    #[test]
    fn an_expire_old_whose_write_failed_is_settled_by_the_next_read() {
        let (mut p, mut cloud) = rotated_at_t0();
        for i in 0..3 {
            p.sign_in(&cloud, T0 + 1 + i);
        }
        let faults = Faults {
            save_after_expire: true,
            ..NO_FAULTS
        };
        p.run(&mut cloud, Command::Step, T0 + HOUR, faults);
        assert!(cloud.old.is_none());
        assert!(p.store().previous.is_some(), "the write failed");
        assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));
        let plan = p.step(&mut cloud, T0 + DAY).unwrap();
        assert!(p.logged(|e| *e == Event::OldSecretGone));
        assert!(p.logged(|e| *e
            == Event::PreviousDropped {
                why: DropReason::NotListed
            }));
        assert!(p.store().previous.is_none());
        assert_eq!(p.store().phase(), Phase::Idle);
        assert!(matches!(plan, Plan::Nothing(Wait::RotateLater { .. })));
    }

    #[test]
    fn an_emulator_restart_after_the_cycle_recovers_through_client_secret() {
        let (mut p, mut cloud) = rotated_at_t0();
        for i in 0..3 {
            p.sign_in(&cloud, T0 + 1 + i);
        }
        p.step(&mut cloud, T0 + HOUR);
        assert!(p.store().previous.is_none());

        cloud.restart(T0 + 2 * HOUR);
        // The rotated secret is unknown again; CLIENT_SECRET is the last resort and takes over.
        assert_eq!(p.sign_in(&cloud, T0 + 2 * HOUR), Some(Slot::Configured));
        assert!(p.logged(|e| *e == Event::PromotedConfigured));
        assert_eq!(current_value(&p), SEED);
        assert_eq!(p.sign_in(&cloud, T0 + 2 * HOUR + 1), Some(Slot::Current));

        let plan = p.step(&mut cloud, T0 + 3 * HOUR).unwrap();
        assert_eq!(p.store().current.expires_at, Some(cloud.current.expires));
        assert!(
            p.store().previous.is_none(),
            "the forgotten secret is dropped"
        );
        assert_eq!(p.store().phase(), Phase::Idle);
        assert!(
            matches!(plan, Plan::Nothing(Wait::RotateLater { .. })),
            "{plan:?}"
        );
    }

    #[test]
    fn an_emulator_restart_during_the_overlap_recovers_at_the_next_read() {
        let (mut p, mut cloud) = rotated_at_t0();
        cloud.restart(T0 + HOUR);
        // The previous secret (the seed) still works as a fallback.
        assert_eq!(p.sign_in(&cloud, T0 + HOUR), Some(Slot::Previous));
        let plan = p.step(&mut cloud, T0 + 2 * HOUR).unwrap();
        assert!(p.logged(|e| *e == Event::PromotedConfigured));
        assert_eq!(current_value(&p), SEED);
        assert_eq!(p.store().current.expires_at, Some(cloud.current.expires));
        assert!(p.store().previous.is_none());
        assert_eq!(p.store().phase(), Phase::Idle);
        assert!(
            matches!(plan, Plan::Nothing(Wait::RotateLater { .. })),
            "{plan:?}"
        );
        assert_eq!(p.sign_in(&cloud, T0 + 2 * HOUR + 1), Some(Slot::Current));
    }

    // -----------------------------------------------------------------------------------------
    // The client in Citrix Cloud

    #[test]
    fn a_disabled_deleted_or_public_client_is_unusable() {
        for (setup, unusable, event) in [
            (
                (|c: &mut Cloud| c.enabled = false) as fn(&mut Cloud),
                Unusable::Disabled,
                Event::ClientDisabled { name: NAME.into() },
            ),
            (
                |c: &mut Cloud| c.deleted = true,
                Unusable::Missing {
                    listed: vec!["customer-private-999 (Workspace Portal)".into()],
                },
                Event::ClientMissing {
                    listed: vec!["customer-private-999 (Workspace Portal)".into()],
                },
            ),
            (
                |c: &mut Cloud| c.public = true,
                Unusable::NoSecret,
                Event::ClientHasNoSecret { name: NAME.into() },
            ),
        ] {
            let mut cloud = Cloud::expiring_in(5, T0);
            setup(&mut cloud);
            let mut p = Portal::new();
            let plan = p.step(&mut cloud, T0).unwrap();
            assert_eq!(plan, Plan::ClientUnusable(unusable.clone()));
            assert!(p.logged(|e| *e == event), "{:?}", p.log);
            assert_eq!(event.level(), Level::Error);
            let s = p.store();
            assert_eq!(s.unusable(), Some(unusable.clone()));
            assert_eq!(
                s.plan(T0, &p.policy, Command::RotateNow),
                Plan::ClientUnusable(unusable.clone())
            );
            let status = p.status(T0);
            assert!(!status.usable);
            assert_eq!(status.next_action, NextAction::ClientUnusable);
            assert_eq!(status.next_action_text, unusable.admin_text());
            assert_eq!(status.banner.unwrap().level, BannerLevel::Error);
            assert!(!status.rotate_now.allowed && !status.expire_old_now.allowed);
            assert!(cloud.old.is_none(), "nothing was rotated");
        }
        let mut cloud = Cloud::expiring_in(5, T0);
        cloud.enabled = false;
        let mut p = Portal::new();
        p.step(&mut cloud, T0);
        let status = p.status(T0);
        assert_eq!(status.enabled, Some(false));
        assert!(status.next_action_text.contains("disabled in Citrix Cloud"));
        // Enabled again: the next run carries on.
        cloud.enabled = true;
        assert!(matches!(
            p.step(&mut cloud, T0 + DAY),
            Some(Plan::Rotate { .. })
        ));
    }

    // -----------------------------------------------------------------------------------------
    // Admin commands

    #[test]
    fn rotate_now_ignores_the_expiry() {
        let mut cloud = Cloud::expiring_in(80, T0);
        let mut p = Portal::new();
        let plan = p.step(&mut cloud, T0).unwrap();
        assert!(matches!(plan, Plan::Nothing(Wait::RotateLater { .. })));
        let plan = p
            .run(&mut cloud, Command::RotateNow, T0 + 1, NO_FAULTS)
            .unwrap();
        assert_eq!(
            plan,
            Plan::Rotate {
                client_name: NAME.into(),
                why: RotateWhy::Forced
            }
        );
        assert_eq!(current_value(&p), "rotated-secret-1");
        assert_eq!(
            p.store().last_run.as_ref().unwrap().command,
            Command::RotateNow
        );
    }

    #[test]
    fn expire_old_now_needs_an_old_secret_and_a_used_current_one() {
        let mut cloud = Cloud::expiring_in(80, T0);
        let mut p = Portal::new();
        let plan = p
            .run(&mut cloud, Command::ExpireOldNow, T0, NO_FAULTS)
            .unwrap();
        assert_eq!(
            plan,
            Plan::Refused("there is no old secret to expire".into())
        );
        assert!(matches!(
            &p.store().last_run.as_ref().unwrap().outcome,
            RunOutcome::Done(s) if s.contains("refused")
        ));
        p.run(&mut cloud, Command::RotateNow, T0 + 1, NO_FAULTS);
        let plan = p
            .run(&mut cloud, Command::ExpireOldNow, T0 + 2, NO_FAULTS)
            .unwrap();
        assert!(
            matches!(&plan, Plan::Refused(why) if why.contains("has not been used successfully yet"))
        );
        assert!(cloud.old.is_some());
        let status = p.status(T0 + 2);
        assert!(!status.expire_old_now.allowed);
        assert!(
            status
                .expire_old_now
                .reason
                .unwrap()
                .contains("not been used")
        );
        assert!(status.rotate_now.allowed);

        p.sign_in(&cloud, T0 + 3);
        assert!(p.status(T0 + 3).expire_old_now.allowed);
        let plan = p
            .run(&mut cloud, Command::ExpireOldNow, T0 + 4, NO_FAULTS)
            .unwrap();
        assert!(matches!(plan, Plan::ExpireOld { .. }));
        assert!(cloud.old.is_none());
        assert_eq!(p.store().phase(), Phase::Idle);
    }

    #[test]
    fn admin_commands_before_the_first_read_are_refused() {
        let (s, _) = SecretStore::seed(SEED);
        let policy = Policy::default();
        assert!(matches!(
            s.plan(T0, &policy, Command::RotateNow),
            Plan::Refused(_)
        ));
        assert!(matches!(
            s.plan(T0, &policy, Command::ExpireOldNow),
            Plan::Refused(_)
        ));
        let status = s.status(T0, &policy, true);
        assert_eq!(status.next_action, NextAction::FirstRead);
        // Offered all the same: the command reads Citrix Cloud first, then plans.
        assert!(status.rotate_now.allowed && status.expire_old_now.allowed);
    }

    // -----------------------------------------------------------------------------------------
    // CLIENT_SECRET and matching

    #[test]
    fn an_unchanged_client_secret_never_undoes_a_rotation() {
        let (mut p, mut cloud) = rotated_at_t0();
        for i in 0..3 {
            p.sign_in(&cloud, T0 + 1 + i);
        }
        p.step(&mut cloud, T0 + HOUR);
        // CLIENT_SECRET is still the seed, which neither stored secret is any more.
        let (s, events) = SecretStore::load(p.stored.clone(), SEED);
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(s.current.value.expose(), "rotated-secret-1");
        assert_eq!(
            s.secrets_to_try(SEED, T0 + HOUR)[0].secret.expose(),
            "rotated-secret-1"
        );
    }

    #[test]
    fn an_operators_new_client_secret_wins_and_the_manual_rotation_is_finished() {
        let mut cloud = Cloud::expiring_in(40, T0);
        let mut p = Portal::new();
        p.step(&mut cloud, T0);
        // The operator rotates in the Citrix Cloud portal and sets CLIENT_SECRET.
        let manual = cloud.rotate(T0 + DAY).secret.expose().to_owned();
        p.configured = manual.clone();
        assert_eq!(p.sign_in(&cloud, T0 + DAY + 1), Some(Slot::Current));
        assert!(p.logged(|e| *e == Event::ConfiguredSecretChanged));
        assert_eq!(current_value(&p), manual);
        assert_eq!(p.store().previous.as_ref().unwrap().value.expose(), SEED);

        let plan = p.step(&mut cloud, T0 + DAY + 2).unwrap();
        assert_eq!(p.store().current.expires_at, Some(T0 + DAY + LIFE));
        assert!(p.logged(|e| matches!(e, Event::OverlapFound { old_expires_at } if *old_expires_at == T0 + 40 * DAY)));
        assert_eq!(
            p.store().phase(),
            Phase::Overlap {
                since: T0 + DAY + 2
            }
        );
        assert!(
            matches!(plan, Plan::Nothing(Wait::Proof { more: 2, .. })),
            "{plan:?}"
        );
        p.sign_in(&cloud, T0 + DAY + 3);
        p.sign_in(&cloud, T0 + DAY + 4);
        assert!(matches!(
            p.step(&mut cloud, T0 + DAY + 5),
            Some(Plan::ExpireOld { .. })
        ));
        assert!(!cloud.accepts(SEED, T0 + DAY + 5));

        // Setting CLIENT_SECRET to a value the store already holds changes nothing.
        let mut s = p.store().clone();
        assert_eq!(s.reconcile_configured(&manual), None);
        assert_eq!(s.reconcile_configured(&manual), None);
        assert_eq!(s.current.value.expose(), manual);
    }

    #[test]
    fn a_mistyped_client_secret_does_not_cut_off_the_working_secret() {
        let mut cloud = Cloud::expiring_in(40, T0);
        let mut p = Portal::new();
        p.step(&mut cloud, T0);
        p.configured = "typo".into();
        assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Previous));
        p.step(&mut cloud, T0 + 2);
        // Both claim Citrix Cloud's only secret; the working one stays as the fallback.
        assert_eq!(p.store().previous.as_ref().unwrap().value.expose(), SEED);
        assert_eq!(p.sign_in(&cloud, T0 + 3), Some(Slot::Previous));
        assert!(p.status(T0 + 4).banner.unwrap().text.contains("fallback"));
    }

    #[test]
    fn two_unknown_secrets_in_citrix_cloud_block_rotation_until_the_old_one_is_gone() {
        let mut cloud = Cloud::expiring_in(20, T0);
        let old_expiry = cloud.current.expires;
        cloud.rotate(T0 - DAY); // rotated elsewhere before the portal ever ran
        cloud.current.value = SEED.into(); // and CLIENT_SECRET is the new one
        let mut p = Portal::new();
        let plan = p.step(&mut cloud, T0).unwrap();
        assert_eq!(
            plan,
            Plan::Nothing(Wait::Unmatched {
                old_expires_at: Some(old_expiry)
            })
        );
        assert!(p.logged(|e| matches!(e, Event::Unmatched { .. })));
        let s = p.store();
        assert_eq!(s.current.expires_at, None);
        for command in [Command::RotateNow, Command::ExpireOldNow] {
            assert!(matches!(
                s.plan(T0, &p.policy, command),
                Plan::Refused(why) if why.contains("cannot tell")
            ));
        }
        let status = p.status(T0);
        assert_eq!(
            status.next_action,
            NextAction::WaitForOldSecret {
                old_expires_at: Some(old_expiry)
            }
        );
        assert!(status.banner.unwrap().text.contains("cannot tell"));
        assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Current));

        // Once the old one has expired, ours is the only one.
        let plan = p.step(&mut cloud, old_expiry).unwrap();
        assert_eq!(p.store().current.expires_at, Some(cloud.current.expires));
        assert!(
            matches!(plan, Plan::Nothing(Wait::RotateLater { .. })),
            "{plan:?}"
        );
    }

    #[test]
    fn a_previous_secret_that_is_citrix_clouds_current_one_is_swapped_back() {
        let mut cloud = Cloud::expiring_in(10, T0);
        cloud.rotate(T0);
        let old = cloud.old.clone().unwrap();
        let (mut s, _) = SecretStore::seed(SEED);
        s.current = Secret {
            value: SecretValue::new(old.value.clone()),
            issued_at: None,
            expires_at: Some(old.expires),
        };
        s.previous = Some(Secret {
            value: SecretValue::new(cloud.current.value.clone()),
            issued_at: None,
            expires_at: Some(cloud.current.expires),
        });
        let generation = s.generation;
        let events = s.observe(Ok(&cloud.entry()), SEED, T0 + 1);
        assert!(events.contains(&Event::SwappedBack), "{events:?}");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::LostNewerSecret { .. }))
        );
        assert_eq!(s.current.value.expose(), cloud.current.value);
        assert_eq!(s.previous.as_ref().unwrap().value.expose(), old.value);
        assert_eq!(s.phase(), Phase::Overlap { since: T0 + 1 });
        assert!(s.generation > generation);
    }

    // -----------------------------------------------------------------------------------------
    // The admin page

    #[test]
    fn status_shows_rotate_in_days_with_partial_days_rounded_up() {
        let now = T0;
        let mut cloud = Cloud::new(now + 26 * DAY - HOUR - LIFE);
        let mut p = Portal::new();
        p.step(&mut cloud, now);
        let status = p.status(now);
        assert_eq!(status.client_name.as_deref(), Some(NAME));
        assert_eq!(status.display_name.as_deref(), Some("Workspace Portal"));
        assert_eq!(status.enabled, Some(true));
        assert!(status.usable);
        assert_eq!(status.phase, SecretPhase::Idle);
        assert_eq!(status.current_days_left, Some(26));
        assert_eq!(status.next_action, NextAction::RotateIn { days: 12 });
        assert_eq!(status.next_action_text, "Rotate in 12 days.");
        assert!(status.banner.is_none());
        assert!(status.rotate_now.allowed);
        assert!(!status.expire_old_now.allowed);
        assert_eq!(
            status.expire_old_now.reason.as_deref(),
            Some("there is no old secret to expire")
        );
        let one_day = p.status(now + 11 * DAY);
        assert_eq!(one_day.next_action_text, "Rotate in 1 day.");
        let due = p.status(now + 12 * DAY);
        assert_eq!(due.next_action, NextAction::RotateAtNextRun);
        assert_eq!(due.next_action_text, "Rotate at the next run.");
    }

    #[test]
    fn status_during_the_overlap() {
        let (mut p, _cloud) = rotated_at_t0();
        p.sign_in(&_cloud, T0 + 1);
        let status = p.status(T0 + HOUR);
        assert_eq!(status.phase, SecretPhase::Overlap);
        assert_eq!(status.current_days_left, Some(90));
        assert_eq!(status.old_expires_at, Some(T0 + 10 * DAY));
        assert_eq!(status.old_days_left, Some(10));
        assert_eq!(status.last_rotation_at, Some(T0));
        assert_eq!(status.successes_with_current, 1);
        assert_eq!(
            status.next_action,
            NextAction::ExpireOldAfter {
                successes: 2,
                sooner_after: Some(T0 + DAY)
            }
        );
        assert_eq!(
            status.next_action_text,
            format!(
                "Expire the old secret after 2 more successful sign-ins or at the first run after {}.",
                utc_minute(T0 + DAY)
            )
        );
        assert!(status.expire_old_now.allowed);
        let last_run = status.last_run.unwrap();
        assert_eq!(last_run.outcome, RunResult::Ok);
        assert!(
            last_run.message.contains("rotated and saved"),
            "{}",
            last_run.message
        );

        let mut unproven = rotated_at_t0().0;
        unproven.log.clear();
        let text = unproven.status(T0 + HOUR).next_action_text;
        assert_eq!(
            text,
            format!(
                "Expire the old secret after 3 more successful sign-ins (or 1, after {}).",
                utc_minute(T0 + DAY)
            )
        );
        let late = unproven.status(T0 + 2 * DAY).next_action_text;
        assert_eq!(
            late,
            "Expire the old secret after 1 more successful sign-in."
        );
        assert_eq!(
            unproven.status(T0 + HOUR).next_action_text,
            text,
            "status is pure"
        );
    }

    #[test]
    fn status_without_rotation_configured_warns_within_the_window() {
        let cloud = Cloud::expiring_in(5, T0);
        let policy = Policy::default();
        // Unread and unconfigured: no expiry, no banner.
        let (mut s, _) = SecretStore::seed(SEED);
        let status = s.status(T0, &policy, false);
        assert_eq!(status.next_action, NextAction::NotConfigured);
        assert!(
            status
                .next_action_text
                .starts_with("Rotation is not configured")
        );
        assert!(status.banner.is_none());
        assert_eq!(
            status.rotate_now.reason.as_deref(),
            Some("rotation is not configured")
        );

        // Read once, e.g. while rotation was still configured.
        s.observe(Ok(&cloud.entry()), SEED, T0 - 20 * DAY);
        let status = s.status(T0, &policy, false);
        assert_eq!(status.next_action, NextAction::NotConfigured);
        let banner = status.banner.unwrap();
        assert_eq!(banner.level, BannerLevel::Warning);
        assert_eq!(
            banner.text,
            "The client secret expires in 5 days and rotation is not configured: rotate it in Citrix Cloud and update CLIENT_SECRET."
        );
        assert!(s.status(T0 - 10 * DAY, &policy, false).banner.is_none());
        let expired = s.status(T0 + 5 * DAY, &policy, false);
        assert_eq!(expired.banner.unwrap().level, BannerLevel::Error);
        assert_eq!(expired.current_days_left, Some(0));
    }

    #[test]
    fn an_expiry_the_admin_states_warns_without_rotation() {
        let policy = Policy::default();
        let (mut s, _) = SecretStore::seed(SEED);
        s.assume_expiry(SEED, T0 + 5 * DAY);
        let status = s.status(T0, &policy, false);
        assert_eq!(status.current_days_left, Some(5));
        let banner = status.banner.expect("a warning within 14 days");
        assert!(banner.text.contains("expires in 5 days"), "{}", banner.text);
        assert!(s.status(T0 - 10 * DAY, &policy, false).banner.is_none());
        // A known expiry, or a secret that is not CLIENT_SECRET, is not overridden.
        let (mut known, _) = SecretStore::seed(SEED);
        known.assume_expiry(SEED, T0 + 40 * DAY);
        known.assume_expiry(SEED, T0 + 5 * DAY);
        assert_eq!(known.status(T0, &policy, false).current_days_left, Some(40));
        let (mut other, _) = SecretStore::seed(SEED);
        other.assume_expiry("another secret", T0 + 5 * DAY);
        assert_eq!(other.status(T0, &policy, false).current_days_left, None);
    }

    #[test]
    fn status_serialises_camel_case_and_without_secrets() {
        let (mut p, cloud) = rotated_at_t0();
        p.sign_in(&cloud, T0 + 1);
        let json = serde_json::to_value(p.status(T0 + HOUR)).unwrap();
        for key in [
            "clientName",
            "displayName",
            "enabled",
            "usable",
            "rotationConfigured",
            "phase",
            "currentExpiresAt",
            "currentDaysLeft",
            "oldExpiresAt",
            "oldDaysLeft",
            "successesWithCurrent",
            "lastRotationAt",
            "currentIssuedAt",
            "lastObservedAt",
            "lastRun",
            "nextAction",
            "nextActionText",
            "rotateNow",
            "expireOldNow",
            "banner",
        ] {
            assert!(json.get(key).is_some(), "{key} missing from {json}");
        }
        assert_eq!(json["nextAction"]["kind"], "expireOldAfter");
        assert_eq!(json["nextAction"]["soonerAfter"], T0 + DAY);
        assert_eq!(json["lastRun"]["command"], "step");
        assert_eq!(json["lastRun"]["startedAt"], T0);
        assert_eq!(json["rotateNow"]["allowed"], true);
        let text = json.to_string();
        assert!(!text.contains(SEED) && !text.contains("rotated-secret-1"));
        let rotate_in = serde_json::to_value(NextAction::RotateIn { days: 3 }).unwrap();
        assert_eq!(
            rotate_in,
            serde_json::json!({"kind": "rotateIn", "days": 3})
        );
    }

    #[test]
    fn an_unfinished_run_shows_as_interrupted() {
        let (mut s, _) = SecretStore::seed(SEED);
        let policy = Policy::default();
        s.start_run(Command::RotateNow, T0);
        let running = s.status(T0 + 60, &policy, true).last_run.unwrap();
        assert_eq!(running.outcome, RunResult::Running);
        let stuck = s.status(T0 + HOUR, &policy, true).last_run.unwrap();
        assert_eq!(stuck.outcome, RunResult::Interrupted);
        let events = s.start_run(Command::Step, T0 + DAY);
        assert_eq!(
            events,
            [
                Event::RunInterrupted { started_at: T0 },
                Event::RunStarted {
                    command: Command::Step
                }
            ]
        );
        assert_eq!(events[0].level(), Level::Warn);
    }

    // -----------------------------------------------------------------------------------------
    // Secrets stay secret

    #[test]
    fn debug_output_and_log_lines_never_show_a_secret() {
        let (p, _cloud) = rotated_at_t0();
        let s = p.store();
        let attempts = s.secrets_to_try("configured-XYZ", T0);
        assert_eq!(attempts.len(), 3);
        let rotated = Rotated {
            client: Cloud::new(T0).entry(),
            secret: SecretValue::new("fresh-QQQ"),
        };
        let debug = format!(
            "{s:?} {:?} {attempts:?} {rotated:?} {:#?}",
            s.current, s.previous
        );
        for secret in [SEED, "rotated-secret-1", "configured-XYZ", "fresh-QQQ"] {
            assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        }
        assert!(debug.contains("[redacted]"));
        assert!(debug.contains("expires_at"));
        let lines: String = p.log.iter().map(|e| format!("{e} ")).collect();
        assert!(!lines.contains(SEED) && !lines.contains("rotated-secret-1"));
        // Storage, on the other hand, must keep them.
        let stored = serde_json::to_string(s).unwrap();
        assert!(stored.contains("rotated-secret-1") && stored.contains(SEED));
    }

    #[test]
    fn the_store_round_trips_through_storage() {
        let (mut p, cloud) = rotated_at_t0();
        p.sign_in(&cloud, T0 + 1);
        let s = p.store();
        let back: SecretStore = serde_json::from_str(&serde_json::to_string(s).unwrap()).unwrap();
        assert_eq!(&back, s);
    }

    #[test]
    fn dates_in_log_lines_are_utc() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_693_958_400), "2023-09-06 00:00 UTC");
        assert_eq!(
            utc_minute(951_782_400 + 13 * HOUR + 7 * 60),
            "2000-02-29 13:07 UTC"
        );
        assert_eq!(utc_minute(4_102_444_799), "2099-12-31 23:59 UTC");
        let line = Event::ExpiryLearned {
            expires_at: 1_693_958_400,
        }
        .to_string();
        assert_eq!(
            line,
            "client secret: matched to Citrix Cloud's list: the current secret expires on 2023-09-06 00:00 UTC"
        );
    }

    #[test]
    fn an_empty_secret_in_the_rotate_answer_is_an_error() {
        let mut cloud = Cloud::expiring_in(10, T0);
        let (mut s, _) = SecretStore::seed(SEED);
        s.observe(Ok(&cloud.entry()), SEED, T0);
        let mut rotated = cloud.rotate(T0);
        rotated.secret = SecretValue::new("");
        let before = s.clone();
        assert!(s.after_rotation(rotated, T0).is_err());
        assert_eq!(s, before);
    }
}
