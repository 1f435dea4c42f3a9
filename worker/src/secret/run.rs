//! One run of the rotation, without I/O. [`Run`] takes the command, then each answer of the
//! Citrix Cloud API, and says which call to make next: `begin(store, now)` and
//! `advance(store, reply, now)` each change the store and return `(next call, events)`.
//! [`drive`] is the loop that makes the calls and stores every change before the next one; the
//! Durable Object runs it against Citrix Cloud, the native tests against the emulator's own
//! client registry.
//!
//! ```text
//!   begin ──► Token ──► List ──► plan ──► Rotate ────► stored, then used
//!   (cached token: List)  │  (401: a new token, once)   └► ExpireOld ─► idle
//!                         └─► nothing to do, refused, unusable: the run is finished
//! ```
//! A failed call ends the run as failed at its [`Stage`]; the store is as before the call.

use crate::citrix::cloud::{
    self, Call, CallFailed, CloudToken, Ours, Reply, RpClient, find_client, parse_rotated,
    parse_rpclients,
};
use crate::citrix::workspace::Items;
use crate::config::Policy;
use crate::http::error::PortalError;
use crate::secret::rotation::{Command, Event, Plan, SecretStore, Stage};

/// What a run needs of the settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// How our client is recognised in `rpclients`.
    pub ours: Ours<'a>,
    /// `CLIENT_SECRET`.
    pub configured: &'a str,
    /// When to rotate and when to expire the old secret.
    pub policy: &'a Policy,
}

/// A change of the store: the call to make next, if any, and the events to log once the
/// change is stored.
pub type Step = (Option<Call>, Vec<Event>);

/// The call a run waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Token,
    List,
    Rotate,
    ExpireOld,
}

/// One run: a command from the cron or an admin, carried through the Citrix Cloud API.
#[derive(Debug)]
pub struct Run<'a> {
    command: Command,
    settings: Settings<'a>,
    token: Option<CloudToken>,
    new_token_tried: bool,
    awaiting: Option<Awaiting>,
    /// What it planned, for the tests' assertions.
    #[cfg(all(test, not(target_arch = "wasm32")))]
    plan: Option<Plan>,
}

/// How a run ended; what it did is in the store's last run.
#[derive(Debug)]
pub struct Ran {
    /// What it planned, when it got that far, for the tests' assertions.
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub plan: Option<Plan>,
    /// The Citrix Cloud API token, for the next run while it lasts.
    pub token: Option<CloudToken>,
}

impl<'a> Run<'a> {
    /// A run of `command`; `token` is a Citrix Cloud API token from an earlier run, if any.
    pub fn new(command: Command, settings: Settings<'a>, token: Option<CloudToken>) -> Run<'a> {
        Run {
            command,
            settings,
            token,
            new_token_tried: false,
            awaiting: None,
            #[cfg(all(test, not(target_arch = "wasm32")))]
            plan: None,
        }
    }

    /// Marks the run started; the first call.
    pub fn begin(&mut self, store: &mut SecretStore, now: u64) -> Step {
        let events = store.start_run(self.command, now);
        (Some(self.list(now)), events)
    }

    /// Takes in the answer to the last call; the next call.
    pub fn advance(&mut self, store: &mut SecretStore, reply: Reply, now: u64) -> Step {
        let Some(awaiting) = self.awaiting.take() else {
            return (None, vec![]);
        };
        match (awaiting, reply) {
            (Awaiting::Token, reply) => {
                match reply
                    .map_err(|f| f.error)
                    .and_then(|b| cloud::parse_token(&b, now))
                {
                    Ok(token) => {
                        self.token = Some(token);
                        (Some(self.list(now)), vec![])
                    }
                    Err(e) => failed(store, Stage::CloudToken, &e, now),
                }
            }
            // A cached token Citrix Cloud no longer knows (it restarted, or revoked it): one
            // more try with a new one.
            (Awaiting::List, Err(f)) if f.stale_token && !self.new_token_tried => {
                self.new_token_tried = true;
                self.token = None;
                (Some(self.list(now)), vec![])
            }
            (Awaiting::List, Err(f)) => self.call_failed(store, Stage::ListClients, f, now),
            (Awaiting::List, Ok(body)) => match parse_rpclients(&String::from_utf8_lossy(&body)) {
                Ok(list) => self.plan(store, list, now),
                Err(e) => failed(store, Stage::ListClients, &e, now),
            },
            (Awaiting::Rotate, Err(f)) => self.call_failed(store, Stage::Rotate, f, now),
            (Awaiting::Rotate, Ok(body)) => {
                match parse_rotated(&String::from_utf8_lossy(&body))
                    .and_then(|rotated| store.after_rotation(rotated, now))
                {
                    Ok(events) => (None, events),
                    Err(e) => failed(store, Stage::Rotate, &e, now),
                }
            }
            (Awaiting::ExpireOld, Err(f)) => self.call_failed(store, Stage::ExpireOld, f, now),
            (Awaiting::ExpireOld, Ok(_)) => (None, store.after_expire_old(now)),
        }
    }

    /// How the run ended.
    pub fn ended(self) -> Ran {
        Ran {
            #[cfg(all(test, not(target_arch = "wasm32")))]
            plan: self.plan,
            token: self.token,
        }
    }

    /// `rpclients` with the token while it lasts, else a new token first.
    fn list(&mut self, now: u64) -> Call {
        match self.token.clone().filter(|t| now < t.use_until) {
            Some(token) => {
                self.awaiting = Some(Awaiting::List);
                Call::List(token)
            }
            None => {
                self.token = None;
                self.awaiting = Some(Awaiting::Token);
                Call::Token
            }
        }
    }

    /// Reads the list, plans, and carries the plan out.
    fn plan(&mut self, store: &mut SecretStore, list: Items<RpClient>, now: u64) -> Step {
        let mut events: Vec<Event> = list
            .skipped
            .iter()
            .map(|s| Event::warn(format!("rpclients: skipped an entry {s}")))
            .collect();
        let settings = self.settings;
        events.extend(store.observe(
            find_client(&list.good, &settings.ours),
            settings.configured,
            now,
        ));
        let plan = store.plan(now, settings.policy, self.command);
        events.push(Event::info(format!("{:?}: plan: {plan}", self.command)));
        let next = match (&plan, self.token.clone()) {
            (Plan::Rotate { client_name, .. }, Some(token)) => {
                self.awaiting = Some(Awaiting::Rotate);
                Some(Call::Rotate {
                    name: client_name.clone(),
                    token,
                })
            }
            (Plan::ExpireOld { client_name }, Some(token)) => {
                self.awaiting = Some(Awaiting::ExpireOld);
                Some(Call::ExpireOld {
                    name: client_name.clone(),
                    token,
                })
            }
            (other, _) => {
                events.push(store.run_finished(other, now));
                None
            }
        };
        #[cfg(all(test, not(target_arch = "wasm32")))]
        {
            self.plan = Some(plan);
        }
        (next, events)
    }

    /// A call failed; a token Citrix Cloud refused is not used again.
    fn call_failed(
        &mut self,
        store: &mut SecretStore,
        stage: Stage,
        f: CallFailed,
        now: u64,
    ) -> Step {
        if f.stale_token {
            self.token = None;
        }
        failed(store, stage, &f.error, now)
    }
}

fn failed(store: &mut SecretStore, stage: Stage, error: &str, now: u64) -> Step {
    (None, vec![store.run_failed(stage, error, now)])
}

/// What [`drive`] needs of the runtime.
pub(crate) trait Host {
    /// The time, Unix seconds.
    fn now(&self) -> u64;

    /// A read-modify-write of the stored store: `change` returns its answer and the events,
    /// which are logged once the change is stored. Fails when the store could not be read or
    /// written; then nothing changed.
    async fn update<R>(
        &self,
        change: impl FnOnce(&mut SecretStore) -> (R, Vec<Event>),
    ) -> Result<R, PortalError>;

    /// Makes a call to the Citrix Cloud API.
    async fn send(&self, call: &Call) -> Reply;
}

/// Runs `run` to its end: every change is stored before the next call is made.
pub(crate) async fn drive<H: Host>(host: &H, mut run: Run<'_>) -> Result<Ran, PortalError> {
    let now = host.now();
    let mut next = host.update(|s| run.begin(s, now)).await?;
    while let Some(call) = next {
        let reply = host.send(&call).await;
        let now = host.now();
        next = match host.update(|s| run.advance(s, reply, now)).await {
            Ok(next) => next,
            Err(e) if matches!(call, Call::Rotate { .. }) => {
                // The new secret, shown once, is lost (rotation.rs, "Failures, step by step"):
                // the one we hold is Citrix Cloud's old one now and keeps working; the next run
                // notices and recovers.
                let error = e.log_line();
                host.update(|s| {
                    let lost = Event::error(format!(
                        "the rotated secret could not be stored and is lost: {error}"
                    ));
                    (
                        (),
                        vec![lost, s.run_failed(Stage::SaveNewSecret, &error, now)],
                    )
                })
                .await?;
                None
            }
            Err(e) => return Err(e),
        };
    }
    Ok(run.ended())
}
