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
pub mod run;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use portal_shared::api::SecretStatus;
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

use crate::auth::oauth::TokenError;
use crate::citrix::cloud::{self, Call, CloudToken, Ours, Reply};
use crate::citrix::discovery::now;
use crate::config::{CloudApi, Config, ROTATION_NOT_CONFIGURED};
use crate::durable::{call_object, object, parse, reply};
use crate::http::error::PortalError;
use crate::secret::rotation::{
    Attempt, ClientProblem, Command, Event, Level, SecretStore, TokenReport, problem_words,
    user_text,
};
use crate::secret::run::{Host, Run, Settings, drive};

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
    pub async fn report(
        &self,
        reports: &[TokenReport],
    ) -> Result<Option<ClientProblem>, PortalError> {
        self.call("report", &reports).await
    }

    /// One run of the machine: the status after it, whose last run says what it did (it may
    /// have failed, or refused an admin's command). 409 when rotation is not configured.
    pub async fn step(&self, command: Command) -> Result<SecretStatus, PortalError> {
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
                .map_or(crate::http::error::CLIENT_REFUSED, user_text)
                .to_owned(),
            detail: format!(
                "every secret was refused ({refusal}); {}",
                unusable.map_or("Citrix Cloud has not said why".into(), |u| problem_words(
                    &u
                ))
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
    /// The Citrix Cloud API token of the last run, while it lasts.
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
        match e.level {
            Level::Info => worker::console_log!("{e}"),
            Level::Warn => worker::console_warn!("{e}"),
            Level::Error => worker::console_error!("{e}"),
        }
    }
}

impl SecretObject {
    fn config(&self) -> Result<Rc<Config>, PortalError> {
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

    async fn report(
        &self,
        reports: Vec<TokenReport>,
    ) -> Result<Option<ClientProblem>, PortalError> {
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

    async fn step(&self, command: Command) -> Result<SecretStatus, PortalError> {
        let config = self.config()?;
        let Some(api) = config.rotation.clone() else {
            return Err(PortalError::Conflict(ROTATION_NOT_CONFIGURED.into()));
        };
        let _run = self.run_lock.lock().await;
        let settings = Settings {
            ours: Ours {
                name: config.client_name.as_deref(),
                client_id: &config.client_id,
                application_id: &config.application_id,
            },
            configured: &config.client_secret,
            policy: &config.policy,
        };
        let run = Run::new(command, settings, self.cloud_token.take());
        let host = Running {
            object: self,
            config: &config,
            api: &api,
        };
        let ran = drive(&host, run).await?;
        self.cloud_token.replace(ran.token);
        self.status().await
    }
}

/// A run inside the object: its storage, under `store_lock` for each change, and Citrix Cloud.
struct Running<'a> {
    object: &'a SecretObject,
    config: &'a Config,
    api: &'a CloudApi,
}

impl Host for Running<'_> {
    fn now(&self) -> u64 {
        now()
    }

    async fn update<R>(
        &self,
        change: impl FnOnce(&mut SecretStore) -> (R, Vec<Event>),
    ) -> Result<R, PortalError> {
        self.object.update(self.config, change).await
    }

    async fn send(&self, call: &Call) -> Reply {
        cloud::send(self.api, call).await
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
        Ok(status) => {
            worker::console_log!("client secret: cron {cron}: next: {:?}", status.next_action)
        }
        Err(e) => worker::console_error!("client secret: cron {cron} failed: {}", e.log_line()),
    }
}
