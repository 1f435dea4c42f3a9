//! What the singleton Durable Object keeps ([`SecretStore`]), the events worth a log line, and
//! how the store takes in what happened: a read of Citrix Cloud (`observe`), a rotation, an
//! expired old secret, a run's start and end. What to do next is `plan.rs`.

use std::fmt;

use portal_shared::api::RunResult;
use portal_shared::time::utc_minute;
use serde::{Deserialize, Serialize};

use crate::citrix::cloud::{Rotated, RpClient};
use crate::crypto::{SecretValue, sha256_hex};

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
    pub(super) fn unmatched(value: &str) -> Secret {
        Secret {
            value: SecretValue::new(value),
            issued_at: None,
            expires_at: None,
        }
    }

    /// Whether it may still work, as far as we know.
    pub(super) fn may_work(&self, now: u64) -> bool {
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
pub(super) struct ApiView {
    pub(super) current: u64,
    pub(super) current_issued: Option<u64>,
    pub(super) old: Option<u64>,
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
pub(super) enum Standing {
    ApiCurrent,
    ApiOld,
    NotListed,
    Unknown,
}

pub(super) fn standing(s: &Secret, api: &ApiView) -> Standing {
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

/// The external call or write a run failed at (a wire type: the admin page shows it).
pub use portal_shared::api::RunStage as Stage;

/// The last run, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// What it was asked to do.
    pub command: Command,
    /// When it started.
    pub started_at: u64,
    /// When it ended, if it did.
    pub finished_at: Option<u64>,
    /// How it ended, or [`RunResult::Running`].
    pub result: RunResult,
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

/// Why the client cannot be used at all (a wire type: the admin page explains it).
pub use portal_shared::api::ClientProblem;

/// A [`ClientProblem`] in a log line.
pub fn problem_words(p: &ClientProblem) -> String {
    match p {
        ClientProblem::Missing { listed } if listed.is_empty() => {
            "Citrix Cloud lists no OAuth clients at all for this CUSTOMER_ID".into()
        }
        ClientProblem::Missing { listed } => format!(
            "Citrix Cloud lists no OAuth client that is the portal's (by CLIENT_NAME, or CLIENT_ID or APPLICATION_ID as its api_key); it lists: {}",
            listed.join(", ")
        ),
        ClientProblem::Disabled => "the client is disabled in Citrix Cloud".into(),
        ClientProblem::NoSecret => {
            "Citrix Cloud shows the client without a secret (a public client)".into()
        }
        ClientProblem::SecretNotListed => {
            "Citrix Cloud no longer lists the secret the portal holds".into()
        }
    }
}

/// For users whose sign-in or refresh failed because Citrix Cloud refused the client.
pub fn user_text(p: &ClientProblem) -> &'static str {
    match p {
        ClientProblem::Missing { .. } => {
            "Sign-in is unavailable: the portal's Citrix client has been deleted in Citrix Cloud. Tell your administrator."
        }
        ClientProblem::Disabled => {
            "Sign-in is unavailable: the portal's Citrix client is disabled in Citrix Cloud. Tell your administrator."
        }
        ClientProblem::NoSecret | ClientProblem::SecretNotListed => {
            "Sign-in is unavailable: Citrix Cloud no longer accepts the portal's Citrix client (it may be disabled or deleted, or its secret expired). Tell your administrator."
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

/// A stored value that no longer reads (its shape changed) as `None`.
fn forgotten_if_unreadable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `CLIENT_SECRET` took over from a secret that no longer works.
pub(super) fn promoted_configured() -> Event {
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
    pub(super) current: Secret,
    pub(super) previous: Option<Secret>,
    pub(super) phase: Phase,
    /// Successful token calls with the current secret since it became current (reset when
    /// Citrix Cloud refuses it).
    pub(super) current_successes: u32,
    /// Bumped whenever the current secret changes, so late token reports are ignored.
    pub(super) generation: u64,
    /// SHA-256 (hex) of the `CLIENT_SECRET` last seen, to notice when the operator changes it.
    configured_sha256: String,
    pub(super) last_rotation: Option<u64>,
    pub(super) last_success: Option<u64>,
    pub(super) last_rejection: Option<u64>,
    pub(super) last_fallback: Option<u64>,
    /// A record the store cannot read (written by an older version) is forgotten.
    #[serde(default, deserialize_with = "forgotten_if_unreadable")]
    pub(super) last_run: Option<RunRecord>,
    pub(super) observed: Option<Observed>,
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
    pub(super) fn make_current(&mut self, new: Secret) {
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
            result: RunResult::Running,
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
            result: RunResult::Running,
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
            RunResult::Failed {
                stage,
                error: error.to_owned(),
            },
        );
        Event::warn(format!("run failed at {stage:?}: {error}"))
    }

    pub(super) fn finish(&mut self, now: u64, result: RunResult) {
        let command = self.last_run.as_ref().map_or(Command::Step, |r| r.command);
        let started_at = self.last_run.as_ref().map_or(now, |r| r.started_at);
        self.last_run = Some(RunRecord {
            command,
            started_at,
            finished_at: Some(now),
            result,
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
            events.push(Event::error(problem_words(&ClientProblem::Missing {
                listed,
            })));
            return events;
        };
        if client.enabled == Some(false) {
            events.push(Event::error(format!(
                "{}: {}",
                client.name,
                problem_words(&ClientProblem::Disabled)
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
                problem_words(&ClientProblem::NoSecret)
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
            Standing::NotListed => ev.push(Event::error(problem_words(&ClientProblem::SecretNotListed))),
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

    /// Takes in a successful `$rotateSecret`: the new secret becomes current, the former one the
    /// previous. Call on a clone; use the clone only once it is stored. An error (no secret in the
    /// answer) is for `run_failed(Stage::Rotate, ..)`.
    pub fn after_rotation(&mut self, rotated: Rotated, now: u64) -> Result<Vec<Event>, String> {
        if rotated.secret.expose().is_empty() {
            return Err("Citrix Cloud's $rotateSecret answer held no secret".into());
        }
        let client = rotated.client;
        let result = RunResult::Rotated {
            expires_at: client.secret_expiration,
            old_expires_at: client.secret_expiration_old,
        };
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
        self.finish(now, result);
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
        self.finish(now, RunResult::ExpiredOld);
        vec![event]
    }

    /// Why the client cannot be used, from the last read. Sign-in is never blocked on it (the
    /// read may be old); use it to explain a refused token call.
    pub fn unusable(&self) -> Option<ClientProblem> {
        let observed = self.observed.as_ref()?;
        let Some(client) = &observed.client else {
            return Some(ClientProblem::Missing {
                listed: observed.listed.clone(),
            });
        };
        if client.enabled == Some(false) {
            return Some(ClientProblem::Disabled);
        }
        let Some((_, api)) = self.view() else {
            return Some(ClientProblem::NoSecret);
        };
        (standing(&self.current, &api) == Standing::NotListed)
            .then_some(ClientProblem::SecretNotListed)
    }

    /// Our entry and its secrets as of the last read.
    pub(super) fn view(&self) -> Option<(&RpClient, ApiView)> {
        let observed = self.observed.as_ref()?;
        let client = observed.client.as_ref()?;
        Some((client, ApiView::of(client, observed.at)?))
    }

    /// Where the rotation stands.
    #[cfg(all(test, not(target_arch = "wasm32")))]
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
