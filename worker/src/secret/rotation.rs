//! Client secret rotation: the decisions, in plain Rust. [`SecretStore::plan`] decides when
//! the secret rotates.
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
//! Nothing here touches the runtime. A run (cron or admin) is `run.rs`: it starts the run
//! (`start_run`), reads the client (`observe`), asks [`SecretStore::plan`] what to do, and takes
//! in the answer (`after_rotation`, `after_expire_old`, or `run_failed` at a [`Stage`]); every
//! change is stored before the next call, and every returned [`Event`] is logged at its level.
//! A run that never finishes shows as interrupted.
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
//!   newer than ours) and logs it. Getting a secret we hold again takes
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

use portal_shared::time::utc_minute;

use crate::citrix::cloud::{Rotated, RpClient};
use crate::config::Policy;
use crate::crypto::{SecretValue, sha256_hex};
use serde::{Deserialize, Serialize};

mod status;
mod tokens;

pub use tokens::{Attempt, TokenReport};

// ---------------------------------------------------------------------------------------------
// Secrets

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

/// A transition or a fact worth a log line; `Display` is the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// How loud.
    pub level: Level,
    /// What happened, for the log (never a secret).
    pub message: String,
}

impl Event {
    /// A line for `console_log`.
    pub fn info(message: impl Into<String>) -> Event {
        Event {
            level: Level::Info,
            message: message.into(),
        }
    }

    /// A line for `console_warn`.
    pub fn warn(message: impl Into<String>) -> Event {
        Event {
            level: Level::Warn,
            message: message.into(),
        }
    }

    /// A line for `console_error`.
    pub fn error(message: impl Into<String>) -> Event {
        Event {
            level: Level::Error,
            message: message.into(),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "client secret: {}", self.message)
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `CLIENT_SECRET` took over from a secret that no longer works.
fn promoted_configured() -> Event {
    Event::warn("the current secret no longer works: CLIENT_SECRET is now the current secret")
}

/// Dates in log lines.
fn date(at: Option<u64>) -> String {
    at.map(utc_minute)
        .unwrap_or_else(|| "an unknown date".into())
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
            Event::info(
                "store created from CLIENT_SECRET; its expiry is unknown until Citrix Cloud is read",
            ),
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
        Some(Event::warn(
            "CLIENT_SECRET was changed in the worker's settings: it is now the current secret, the former one stays as a fallback",
        ))
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

    /// Marks the start of a run; reports a run that never finished.
    pub fn start_run(&mut self, command: Command, now: u64) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(RunRecord {
            started_at,
            outcome: RunOutcome::Running,
            ..
        }) = self.last_run
        {
            events.push(Event::warn(format!(
                "the run started on {} never finished",
                utc_minute(started_at)
            )));
        }
        self.last_run = Some(RunRecord {
            command,
            started_at: now,
            finished_at: None,
            outcome: RunOutcome::Running,
        });
        events.push(Event::info(format!(
            "run started ({})",
            command_words(command)
        )));
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
        Event::warn(format!("run failed {stage}: {error}"))
    }

    /// Records that the run finished, with what it did.
    pub fn run_finished(&mut self, summary: String, now: u64) -> Event {
        let event = Event::info(format!("run finished: {summary}"));
        self.finish(now, RunOutcome::Done(summary));
        event
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
            events.push(Event::error(Unusable::Missing { listed }.admin_text()));
            return events;
        };
        if client.enabled == Some(false) {
            events.push(Event::error(format!(
                "{}: {}",
                client.name,
                Unusable::Disabled.admin_text()
            )));
        }
        self.sync(client, Some(configured), now, &mut events);
        events
    }

    fn sync(&mut self, client: &RpClient, configured: Option<&str>, now: u64, ev: &mut Vec<Event>) {
        let Some(api) = ApiView::of(client, now) else {
            ev.push(Event::error(format!(
                "{}: {}",
                client.name,
                Unusable::NoSecret.admin_text()
            )));
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
            ev.push(Event::warn(
                "the previous secret is Citrix Cloud's current one: it is current again",
            ));
        }
        self.settle_previous(&api, ev);
        match standing(&self.current, &api) {
            Standing::ApiCurrent => match (api.old, self.phase) {
                (Some(old), Phase::Idle) => {
                    self.phase = Phase::Overlap { since: now };
                    ev.push(Event::info(format!(
                        "Citrix Cloud also lists an old secret, expiring on {}; it will be expired once the current one has proven itself",
                        utc_minute(old)
                    )));
                }
                (None, Phase::Overlap { .. }) => {
                    self.phase = Phase::Idle;
                    ev.push(Event::info(
                        "Citrix Cloud no longer lists an old secret (it expired, or was expired elsewhere): idle",
                    ));
                }
                _ => {}
            },
            Standing::ApiOld => {
                // Never expire Citrix Cloud's old secret: it is ours.
                self.phase = Phase::Idle;
                ev.push(Event::warn(format!(
                    "Citrix Cloud holds a newer secret than the portal's (a rotation's secret was not saved, or it was rotated elsewhere); the portal's secret is now Citrix Cloud's old one and works until {}",
                    utc_minute(self.current.expires_at.unwrap_or(api.current))
                )));
            }
            Standing::Unknown => ev.push(Event::warn(format!(
                "Citrix Cloud lists two working secrets and the portal cannot tell which one it holds; rotation waits until the old one is gone{}",
                api.old
                    .map(|e| format!(" (it expires on {})", utc_minute(e)))
                    .unwrap_or_default()
            ))),
            Standing::NotListed => ev.push(Event::error(Unusable::SecretNotListed.admin_text())),
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
            ev.push(Event::info(format!(
                "matched to Citrix Cloud's list: the current secret expires on {}",
                utc_minute(expires_at)
            )));
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
            ev.push(Event::warn(
                "Citrix Cloud no longer lists the current secret: the previous one is current again",
            ));
        } else if let Some(c) = configured.filter(|&c| c != self.current.value.expose()) {
            self.make_current(Secret::unmatched(c));
            ev.push(promoted_configured());
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
        const UNACCOUNTED: &str = "Citrix Cloud lists no second secret and the current one works";
        let drop = match p.expires_at {
            Some(e) if e != current_expiry => (standing(p, api) == Standing::NotListed)
                .then_some("Citrix Cloud no longer lists it"),
            // Claims the same secret as the current one: one of them is wrong.
            Some(_) => (self.current_successes > 0).then_some(UNACCOUNTED),
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
                    _ => (self.current_successes > 0).then_some(UNACCOUNTED),
                }
            }
        };
        if let Some(why) = drop {
            self.previous = None;
            ev.push(Event::info(format!("dropped the previous secret: {why}")));
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
        let mut events = vec![Event::info(format!(
            "rotated and saved the new secret, which is now current (expires on {}); the old one works until {} or until it is expired",
            date(client.secret_expiration),
            date(client.secret_expiration_old)
        ))];
        self.sync(&client, None, now, &mut events);
        self.observed = Some(Observed {
            at: now,
            client: Some(client),
            listed: vec![],
        });
        let summary = events[0].message.clone();
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
        let event = Event::info("expired the old secret in Citrix Cloud: idle");
        self.finish(now, RunOutcome::Done(event.message.clone()));
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
}

#[cfg(test)]
mod tests;
