//! The client secret at runtime: a singleton Durable Object keeps the [`SecretStore`] (the
//! decisions are in `rotation.rs`), every token call takes its secret from it, and a run of the
//! rotation (cron or admin) happens inside it.
//!
//! Two locks. Every change of the store is a read-modify-write under `store_lock`, so reports
//! from parallel token calls and a run never overwrite each other. A run holds `run_lock` for its
//! whole length, so two runs never interleave, but it releases `store_lock` while it waits for
//! Citrix Cloud: sign-ins never wait on the Citrix Cloud API. What a call did is applied to the
//! store as it is *after* the call, and stored before anything uses it.

pub mod rotation;

use std::cell::RefCell;
use std::future::Future;

use portal_shared::api::SecretStatus;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Request, Response, State, durable_object};

use crate::auth::oauth::TokenError;
use crate::citrix::cloud::{self, CloudToken};
use crate::citrix::discovery::now;
use crate::config::{CloudApi, Config, ROTATION_NOT_CONFIGURED};
use crate::durable::{call_object, object, parse, reply};
use crate::http::error::PortalError;
use crate::secret::rotation::{
    Attempt, Command, Event, Level, Ours, Plan, SecretStore, Stage, TokenReport, Unusable,
    find_client, parse_rotated, parse_rpclients,
};

/// Binding name of the secret object in wrangler.toml.
pub const BINDING: &str = "SECRETS";
/// The one object's name.
const NAME: &str = "client-secret";
/// What the log calls it.
const OBJECT: &str = "secret object";
/// Storage key of the store (JSON).
const KEY: &str = "store";
/// A failed write is tried this many times in all: losing a rotated secret is the one failure
/// the machine cannot undo by itself.
const WRITE_TRIES: usize = 3;

/// What a run answers: the status after it, or why an admin's command was not carried out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StepAnswer {
    /// The run happened (it may have failed: `last_run` says).
    Done(Box<SecretStatus>),
    /// The command was refused, and why.
    Refused(String),
}

/// The worker's handle on the secret object.
pub struct Secrets(worker::Stub);

impl Secrets {
    /// The singleton.
    pub fn get(env: &Env) -> Result<Secrets, PortalError> {
        object(env, BINDING, NAME).map(Secrets)
    }

    async fn call<Q: Serialize, R: DeserializeOwned>(
        &self,
        op: &str,
        body: &Q,
    ) -> Result<R, PortalError> {
        call_object(&self.0, OBJECT, op, body).await
    }

    /// The secrets a token call tries, in order.
    pub async fn attempts(&self) -> Result<Vec<Attempt>, PortalError> {
        self.call("attempts", &()).await
    }

    /// Records the results of a token call's attempts; answers why the client is unusable, if
    /// the last read of Citrix Cloud says so.
    pub async fn report(&self, reports: &[TokenReport]) -> Result<Option<Unusable>, PortalError> {
        self.call("report", &reports).await
    }

    /// One run of the machine.
    pub async fn step(&self, command: Command) -> Result<StepAnswer, PortalError> {
        self.call("step", &command).await
    }

    /// The admin page's view.
    pub async fn status(&self) -> Result<SecretStatus, PortalError> {
        self.call("status", &()).await
    }
}

/// A token call with the client secret: tries the store's secrets in order while Citrix Cloud
/// refuses the client (`invalid_client`), and reports what happened. `invalid_grant` counts as
/// a success of the secret: the client authenticated before the grant was refused.
pub async fn with_secret<T, F, Fut>(
    env: &Env,
    config: &Config,
    mut call: F,
) -> Result<T, TokenError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, TokenError>>,
{
    let object = Secrets::get(env);
    let attempts = match &object {
        Ok(o) => o.attempts().await,
        Err(e) => Err(e.clone()),
    };
    let (object, attempts) = match (object, attempts) {
        (Ok(o), Ok(a)) if !a.is_empty() => (o, a),
        (_, Err(e)) | (Err(e), _) => {
            // The store is unreachable: CLIENT_SECRET is still the best guess.
            worker::console_error!(
                "client secret: store unreachable, using CLIENT_SECRET: {}",
                e.log_line()
            );
            return call(config.client_secret.clone()).await;
        }
        (Ok(_), Ok(_)) => return call(config.client_secret.clone()).await,
    };
    let mut reports = Vec::with_capacity(attempts.len());
    let mut outcome = None;
    let mut refusal = String::new();
    for attempt in &attempts {
        match call(attempt.secret.expose().to_owned()).await {
            Err(TokenError::ClientRejected(why)) => {
                worker::console_warn!(
                    "token call: Citrix Cloud refused the {} ({why})",
                    attempt.slot
                );
                reports.push(attempt.report(false));
                refusal = why;
            }
            Err(TokenError::Other(e)) => {
                outcome = Some(Err(TokenError::Other(e)));
                break;
            }
            result => {
                reports.push(attempt.report(true));
                outcome = Some(result);
                break;
            }
        }
    }
    let unusable = if reports.is_empty() {
        None
    } else {
        object.report(&reports).await.unwrap_or_else(|e| {
            worker::console_error!("client secret: report lost: {}", e.log_line());
            None
        })
    };
    outcome.unwrap_or_else(|| {
        Err(TokenError::Other(PortalError::ClientUnusable {
            message: unusable
                .as_ref()
                .map_or(crate::http::error::CLIENT_REFUSED, Unusable::user_text)
                .to_owned(),
            detail: format!(
                "every secret was refused ({refusal}); {}",
                unusable.map_or("Citrix Cloud has not said why".into(), |u| u.admin_text())
            ),
        }))
    })
}

/// The Durable Object class.
#[durable_object]
pub struct SecretObject {
    state: State,
    env: Env,
    store_lock: futures::lock::Mutex<()>,
    run_lock: futures::lock::Mutex<()>,
    cloud_token: RefCell<Option<CloudToken>>,
}

impl DurableObject for SecretObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            store_lock: futures::lock::Mutex::new(()),
            run_lock: futures::lock::Mutex::new(()),
            cloud_token: RefCell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op = req.path();
        let body = req.bytes().await?;
        let out = match op.trim_start_matches('/') {
            "attempts" => reply(self.attempts().await),
            "report" => reply(self.report(parse(OBJECT, &body)?).await),
            "step" => reply(self.step(parse(OBJECT, &body)?).await),
            "status" => reply(self.status().await),
            other => return Response::error(format!("unknown operation {other}"), 404),
        };
        Response::from_json(&out?)
    }
}

/// Writes every event to the log at its level.
fn log(events: &[Event]) {
    for e in events {
        match e.level() {
            Level::Info => worker::console_log!("{e}"),
            Level::Warn => worker::console_warn!("{e}"),
            Level::Error => worker::console_error!("{e}"),
        }
    }
}

impl SecretObject {
    fn config(&self) -> Result<Config, PortalError> {
        Config::from_env(&self.env)
    }

    /// The store as stored, seeded or reconciled with `CLIENT_SECRET` (and then stored).
    /// Call under `store_lock`.
    async fn load(&self, config: &Config) -> Result<SecretStore, PortalError> {
        let stored: Option<String> = self
            .state
            .storage()
            .get(KEY)
            .await
            .map_err(|e| PortalError::Internal(format!("secret storage read: {e}")))?;
        let reseal = stored
            .as_deref()
            .is_some_and(|s| !config.keyring.is_current(s));
        let stored = stored.map(|s| open_store(config, &s)).transpose()?;
        let (store, events) = SecretStore::load(stored, &config.client_secret);
        // A store kept in plain text (before sealing) or under an older key is sealed anew, so
        // the older key can be removed from SESSION_KEY.
        if !events.is_empty() || reseal {
            self.save(config, &store).await?;
            log(&events);
        }
        Ok(store)
    }

    /// Writes the store, sealed with the session key ring, retrying a failed write.
    async fn save(&self, config: &Config, store: &SecretStore) -> Result<(), PortalError> {
        let plain = serde_json::to_vec(store).map_err(|e| PortalError::Internal(e.to_string()))?;
        let json = config.keyring.seal(&plain).map_err(PortalError::Internal)?;
        let mut last = String::new();
        for _ in 0..WRITE_TRIES {
            match self.state.storage().put(KEY, json.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(PortalError::Internal(format!(
            "secret storage write: {last}"
        )))
    }

    /// A read-modify-write of the store; `change` returns its answer and the events to log,
    /// which are logged once the change is stored.
    async fn update<R>(
        &self,
        config: &Config,
        change: impl FnOnce(&mut SecretStore) -> (R, Vec<Event>),
    ) -> Result<R, PortalError> {
        let _store = self.store_lock.lock().await;
        let mut store = self.load(config).await?;
        let (answer, events) = change(&mut store);
        self.save(config, &store).await?;
        log(&events);
        Ok(answer)
    }

    async fn attempts(&self) -> Result<Vec<Attempt>, PortalError> {
        let config = self.config()?;
        let _store = self.store_lock.lock().await;
        let store = self.load(&config).await?;
        Ok(store.secrets_to_try(&config.client_secret, now()))
    }

    async fn report(&self, reports: Vec<TokenReport>) -> Result<Option<Unusable>, PortalError> {
        let config = self.config()?;
        let now = now();
        self.update(&config, |s| {
            let events = reports
                .iter()
                .filter_map(|r| s.record_token_result(r, &config.client_secret, now))
                .collect();
            (s.unusable(), events)
        })
        .await
    }

    async fn status(&self) -> Result<SecretStatus, PortalError> {
        let config = self.config()?;
        let _store = self.store_lock.lock().await;
        let mut store = self.load(&config).await?;
        if let (None, Some(expires)) = (&config.rotation, config.client_secret_expires) {
            store.assume_expiry(&config.client_secret, expires);
        }
        Ok(store.status(now(), &config.policy, config.rotation.is_some()))
    }

    /// Records a failed run.
    async fn failed(&self, config: &Config, stage: Stage, error: &str) -> Result<(), PortalError> {
        self.update(config, |s| ((), vec![s.run_failed(stage, error, now())]))
            .await
    }

    /// A Citrix Cloud API token: the cached one until near its expiry, else a new one.
    async fn cloud_token(&self, api: &CloudApi) -> Result<CloudToken, String> {
        let cached = self.cloud_token.borrow().clone();
        if let Some(t) = cached.filter(|t| now() < t.use_until) {
            return Ok(t);
        }
        let fresh = cloud::token(api, now()).await?;
        *self.cloud_token.borrow_mut() = Some(fresh.clone());
        Ok(fresh)
    }

    async fn step(&self, command: Command) -> Result<StepAnswer, PortalError> {
        let config = self.config()?;
        let Some(api) = config.rotation.clone() else {
            return Ok(StepAnswer::Refused(ROTATION_NOT_CONFIGURED.into()));
        };
        let _run = self.run_lock.lock().await;
        self.update(&config, |s| ((), s.start_run(command, now())))
            .await?;
        if let Some(answer) = self.run(&config, &api, command).await? {
            return Ok(answer);
        }
        Ok(StepAnswer::Done(Box::new(self.status().await?)))
    }

    /// The run after its start: `Some` only for a refused command.
    async fn run(
        &self,
        config: &Config,
        api: &CloudApi,
        command: Command,
    ) -> Result<Option<StepAnswer>, PortalError> {
        let mut token = match self.cloud_token(api).await {
            Ok(t) => t,
            Err(e) => {
                self.failed(config, Stage::CloudToken, &e).await?;
                return Ok(None);
            }
        };
        let mut list = cloud::list(api, &token).await;
        if let Err(f) = &list
            && f.stale_token
        {
            // A cached token Citrix Cloud no longer knows (it was restarted or revoked it):
            // one retry with a new one.
            self.cloud_token.replace(None);
            token = match self.cloud_token(api).await {
                Ok(t) => t,
                Err(e) => {
                    self.failed(config, Stage::CloudToken, &e).await?;
                    return Ok(None);
                }
            };
            list = cloud::list(api, &token).await;
        }
        let list = match list {
            Ok(body) => parse_rpclients(&String::from_utf8_lossy(&body)),
            Err(f) => {
                if f.stale_token {
                    self.cloud_token.replace(None);
                }
                Err(f.error)
            }
        };
        let list = match list {
            Ok(l) => l,
            Err(e) => {
                self.failed(config, Stage::ListClients, &e).await?;
                return Ok(None);
            }
        };
        for s in &list.skipped {
            worker::console_warn!("client secret: rpclients: skipped an entry {s}");
        }
        let now = now();
        let plan = self
            .update(config, |s| {
                let events = s.observe(
                    find_client(
                        &list.good,
                        &Ours {
                            name: config.client_name.as_deref(),
                            client_id: &config.client_id,
                            application_id: &config.application_id,
                        },
                    ),
                    &config.client_secret,
                    now,
                );
                (s.plan(now, &config.policy, command), events)
            })
            .await?;
        worker::console_log!("client secret: {command:?}: plan: {plan}");
        match plan {
            Plan::Rotate { client_name, .. } => {
                self.rotate(config, api, &token, &client_name).await?
            }
            Plan::ExpireOld { client_name } => {
                match cloud::expire_old(api, &token, &client_name).await {
                    Ok(()) => {
                        self.update(config, |s| {
                            ((), s.after_expire_old(crate::citrix::discovery::now()))
                        })
                        .await?
                    }
                    Err(f) => self.failed(config, Stage::ExpireOld, &f.error).await?,
                }
            }
            Plan::Refused(why) => {
                let summary = Plan::Refused(why.clone()).to_string();
                self.update(config, |s| ((), vec![s.run_finished(summary, now)]))
                    .await?;
                return Ok(Some(StepAnswer::Refused(why)));
            }
            Plan::ClientUnusable(u) if command != Command::Step => {
                let summary = u.admin_text();
                self.update(config, |s| ((), vec![s.run_finished(summary.clone(), now)]))
                    .await?;
                return Ok(Some(StepAnswer::Refused(summary)));
            }
            other => {
                let summary = other.to_string();
                self.update(config, |s| ((), vec![s.run_finished(summary, now)]))
                    .await?;
            }
        }
        Ok(None)
    }

    /// `$rotateSecret`, then the new secret is stored before anything uses it.
    async fn rotate(
        &self,
        config: &Config,
        api: &CloudApi,
        token: &CloudToken,
        client_name: &str,
    ) -> Result<(), PortalError> {
        let rotated = match cloud::rotate(api, token, client_name).await {
            Ok(body) => parse_rotated(&String::from_utf8_lossy(&body)),
            Err(f) => Err(f.error),
        };
        let rotated = match rotated {
            Ok(r) => r,
            Err(e) => return self.failed(config, Stage::Rotate, &e).await,
        };
        let _store = self.store_lock.lock().await;
        let mut next = self.load(config).await?;
        let now = now();
        let events = match next.after_rotation(rotated, now) {
            Ok(events) => events,
            Err(e) => {
                let event = next.run_failed(Stage::Rotate, &e, now);
                self.save(config, &next).await?;
                log(&[event]);
                return Ok(());
            }
        };
        if let Err(e) = self.save(config, &next).await {
            // The new secret is lost (module docs of rotation.rs): the one we hold is Citrix
            // Cloud's old one now and keeps working; the next run notices and recovers.
            worker::console_error!(
                "client secret: the rotated secret could not be stored and is lost: {}",
                e.log_line()
            );
            let mut stored = self.load(config).await?;
            let event = stored.run_failed(Stage::SaveNewSecret, &e.log_line(), now);
            log(&[event]);
            return self.save(config, &stored).await;
        }
        log(&events);
        Ok(())
    }
}

/// The stored secret store: sealed with `SESSION_KEY`'s key ring, or plain JSON as stored
/// before sealing.
fn open_store(config: &Config, stored: &str) -> Result<SecretStore, PortalError> {
    let plain = if stored.starts_with('{') {
        stored.as_bytes().to_vec()
    } else {
        config.keyring.open(stored).map_err(|e| {
            PortalError::Misconfigured(format!(
                "the stored client secrets cannot be read ({e}): put back the SESSION_KEY key that was removed."
            ))
        })?
    };
    serde_json::from_slice(&plain)
        .map_err(|e| PortalError::Internal(format!("stored secret store: {e}")))
}

/// The daily cron trigger: one step of the client secret's rotation, when it is configured.
pub async fn cron(env: &Env, cron: &str) {
    let config = match Config::from_env(env) {
        Ok(c) => c,
        // Already logged by Config::from_env.
        Err(_) => return,
    };
    if config.rotation.is_none() {
        worker::console_log!("client secret: cron {cron}: {ROTATION_NOT_CONFIGURED}");
        return;
    }
    let outcome = match Secrets::get(env) {
        Ok(secrets) => secrets.step(Command::Step).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(StepAnswer::Done(status)) => {
            worker::console_log!("client secret: cron {cron}: {}", status.next_action_text)
        }
        Ok(StepAnswer::Refused(why)) => worker::console_warn!("client secret: cron {cron}: {why}"),
        Err(e) => worker::console_error!("client secret: cron {cron} failed: {}", e.log_line()),
    }
}
