//! Sessions and login transactions, each in a Durable Object of its own.
//!
//! The object is the only place that holds a user's tokens (sealed at rest with `SESSION_KEY`),
//! and the only place that refreshes them: requests of one session reach one object, and an async
//! lock around the refresh makes parallel requests share a single refresh, so a rotated refresh
//! token is never lost.
//!
//! An API request asks its object once ([`Handle::prepare`]): a valid access token, and the links
//! of one resource or a pending launch when it names one. It writes back only what changed: the
//! links of an enumeration whose fingerprint differs, a launch still pending.
//!
//! Ending a session takes the same lock, so a refresh in flight finishes first and sign-out
//! revokes the newest refresh token. An ended session leaves an "ended" marker behind, and every
//! write checks it: no request in flight can bring an ended session back.

use portal_shared::api::{Preferences, User};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use worker::{DurableObject, Env, Request, Response, SqlStorage, State, Stub, durable_object};

use crate::auth::oauth::{self, TokenError, TokenSet};
use crate::citrix::catalogue::{Links, ResourceLinks};
use crate::citrix::discovery::{customer, now};
use crate::config::Config;
use crate::crypto::sha256_hex;
use crate::durable::{call_object, object, parse, reply};
use crate::http::error::PortalError;
use crate::secret::with_secret;

/// Binding name of the session objects in wrangler.toml.
pub const BINDING: &str = "SESSIONS";
/// What the log calls them.
const OBJECT: &str = "session object";
/// Random bytes in a launch handle.
pub const LAUNCH_HANDLE_BYTES: usize = 24;
/// How long an ended session's marker outlives it: longer than any request in flight.
const ENDED_KEEP_SECS: u64 = 3600;
/// An id the last enumeration did not have is looked up again at most this often: an unknown
/// id must not cost a full enumeration on every request.
const REENUMERATE_AFTER_SECS: u64 = 30;

/// A sign-in under way, kept until the callback (single use).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginTxn {
    /// The `state` sent to the authorization server.
    pub state: String,
    /// PKCE verifier.
    pub verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where to go after sign-in.
    pub return_to: String,
    /// The redirect URI used, which the code exchange must repeat.
    pub redirect_uri: String,
    /// When the transaction stops being valid.
    pub expires_at: u64,
    /// The session this browser had when sign-in started: the callback ends it and revokes
    /// its refresh token. Read here because the callback, a navigation from the identity
    /// provider's site, does not get the `SameSite=Strict` session cookie.
    #[serde(default)]
    pub previous_session: Option<String>,
}

/// What the session knows about its user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// The user.
    pub user: User,
    /// Whether the identity provider vouched for the e-mail address (`email_verified`).
    #[serde(default)]
    pub email_verified: bool,
    /// The customer domain.
    pub customer: String,
    /// When the session ends at the latest.
    pub expires_at: u64,
    /// The user's settings: read from the user's object at sign-in, changed through the
    /// session ([`Handle::set_preferences`]), which keeps the user's object up to date.
    #[serde(default)]
    pub preferences: Preferences,
}

/// A launch waiting for its next poll.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLaunch {
    /// The resource being launched.
    pub resource_id: String,
    /// Where to poll.
    pub url: String,
    /// Whether to POST (older link generation) or GET.
    pub post: bool,
    /// Not before this time (Unix milliseconds): the store's `pollTimeout` after the last call.
    #[serde(default)]
    pub not_before_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    profile: Profile,
    last_seen: u64,
    idle_secs: u64,
    sealed_tokens: String,
}

/// Writing on every request would be wasteful; a minute's precision is enough for idling.
const TOUCH_PRECISION_SECS: u64 = 60;

impl Record {
    /// Whether the session is still alive: neither idle too long nor past its absolute end.
    fn is_live(&self, now: u64) -> bool {
        now < self.profile.expires_at && now < self.last_seen + self.idle_secs
    }

    /// When the session dies if nothing happens: the alarm that deletes it.
    fn ends_at(&self) -> u64 {
        (self.last_seen + self.idle_secs).min(self.profile.expires_at)
    }

    /// Counts a request as activity; `true` when the record changed and must be stored.
    fn touch(&mut self, now: u64) -> bool {
        if now >= self.last_seen + TOUCH_PRECISION_SECS {
            self.last_seen = now;
            return true;
        }
        false
    }
}

/// Everything needed to create a session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSession {
    /// Who signed in.
    pub profile: Profile,
    /// Their tokens.
    pub tokens: TokenSet,
    /// Idle timeout.
    pub idle_secs: u64,
}

/// What an API request needs from its session, asked for in one call: a valid access token,
/// always, and what else it names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Need {
    /// The links of this resource, from the last enumeration.
    #[serde(default)]
    pub resource: Option<String>,
    /// This pending launch, taken out: a handle is good for one poll.
    #[serde(default)]
    pub launch: Option<String>,
    /// The request enumerates the catalogue: answer the stored links' fingerprint.
    #[serde(default)]
    pub enumerate: bool,
}

/// The answer to a [`Need`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prepared {
    /// A valid access token (refreshed first if it was about to expire).
    pub token: String,
    /// The resource's links, if the last enumeration had it.
    pub links: Option<ResourceLinks>,
    /// The resource was unknown and this request may enumerate to look for it (at most once
    /// per `REENUMERATE_AFTER_SECS`, noted already).
    pub may_enumerate: bool,
    /// Which enumeration the stored links are, when the request enumerates: the links are
    /// stored again only when a new enumeration's fingerprint differs.
    pub links_fingerprint: Option<String>,
    /// The pending launch asked for, taken out.
    pub launch: Option<PendingLaunch>,
}

/// The links of an enumeration as stored, with their fingerprint.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredLinks {
    /// [`crate::citrix::catalogue::fingerprint`] of `links`.
    pub fingerprint: String,
    /// Id to links, as a JSON object.
    pub links: Box<serde_json::value::RawValue>,
}

/// The worker's handle on one session or login object.
pub struct Handle(Stub);

impl Handle {
    /// The object of session `id` (the cookie value). An id the worker did not sign is refused
    /// before any object is touched. The object's name is a hash, so the cookie value never
    /// appears in the runtime's object names.
    pub fn session(env: &Env, config: &Config, id: &str) -> Result<Handle, PortalError> {
        if !config.keyring.verify_id(id) {
            return Err(PortalError::Unauthenticated);
        }
        Self::named(env, &format!("session:{}", sha256_hex(id)))
    }

    /// The object of login transaction `id` (the login cookie value); `None` for an id the
    /// worker did not sign.
    pub fn login(env: &Env, config: &Config, id: &str) -> Result<Option<Handle>, PortalError> {
        if !config.keyring.verify_id(id) {
            return Ok(None);
        }
        Self::named(env, &format!("login:{}", sha256_hex(id))).map(Some)
    }

    /// The object that keeps what the portal remembers of user `sub` across sessions (their
    /// preferences); named by a hash of the subject.
    pub fn user(env: &Env, sub: &str) -> Result<Handle, PortalError> {
        Self::named(env, &format!("user:{}", sha256_hex(sub)))
    }

    fn named(env: &Env, name: &str) -> Result<Handle, PortalError> {
        object(env, BINDING, name).map(Handle)
    }

    async fn call<Q: Serialize, R: DeserializeOwned>(
        &self,
        op: &str,
        body: &Q,
    ) -> Result<R, PortalError> {
        call_object(&self.0, OBJECT, op, body).await
    }

    /// Stores a login transaction.
    pub async fn begin_login(&self, txn: &LoginTxn) -> Result<(), PortalError> {
        self.call("login/begin", txn).await
    }

    /// Takes the login transaction out; a second take finds nothing.
    pub async fn take_login(&self) -> Result<Option<LoginTxn>, PortalError> {
        self.call("login/take", &()).await
    }

    /// Creates the session.
    pub async fn create(&self, new: &NewSession) -> Result<(), PortalError> {
        self.call("create", new).await
    }

    /// The session's profile; counts as activity.
    pub async fn profile(&self) -> Result<Profile, PortalError> {
        self.call("profile", &()).await
    }

    /// A valid access token. `stale` is a token the store just refused: it is refreshed even if
    /// it has not expired yet, unless another request already did.
    pub async fn access_token(&self, stale: Option<&str>) -> Result<String, PortalError> {
        self.call("token", &stale).await
    }

    /// Everything a request needs from the session, in one call.
    pub async fn prepare(&self, need: &Need) -> Result<Prepared, PortalError> {
        self.call("prepare", need).await
    }

    /// Remembers the links of an enumeration whose fingerprint differs from the stored one.
    pub async fn put_resources(&self, links: &StoredLinks) -> Result<(), PortalError> {
        self.call("resources/put", links).await
    }

    /// Stores a pending launch under a handle.
    pub async fn put_launch(
        &self,
        handle: &str,
        launch: &PendingLaunch,
    ) -> Result<(), PortalError> {
        self.call("launch/put", &(handle, launch)).await
    }

    /// A user object's preferences (the defaults for a user it has never seen).
    pub async fn preferences(&self) -> Result<Preferences, PortalError> {
        self.call("preferences/get", &()).await
    }

    /// Changes the session's user's preferences, in the session and in the user's object, so
    /// the next sign-in starts with them; answers them.
    pub async fn set_preferences(
        &self,
        preferences: &Preferences,
    ) -> Result<Preferences, PortalError> {
        self.call("preferences/put", preferences).await
    }

    /// Ends the session once any refresh in flight is done; returns the newest refresh token,
    /// so it can be revoked.
    pub async fn end(&self) -> Result<Option<String>, PortalError> {
        self.call("end", &()).await
    }
}

/// The Durable Object class.
#[durable_object]
pub struct SessionObject {
    state: State,
    env: Env,
    refresh: futures::lock::Mutex<()>,
}

impl DurableObject for SessionObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            refresh: futures::lock::Mutex::new(()),
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let op = req.path();
        let body = req.bytes().await?;
        let out = match op.trim_start_matches('/') {
            "login/begin" => reply(self.begin_login(parse(OBJECT, &body)?).await),
            "login/take" => reply(self.take_login().await),
            "create" => reply(self.create(parse(OBJECT, &body)?).await),
            "profile" => reply(self.profile().await),
            "token" => reply(self.token(parse(OBJECT, &body)?).await),
            "prepare" => reply(self.prepare(parse(OBJECT, &body)?).await),
            "resources/put" => {
                let stored: StoredLinks = parse(OBJECT, &body)?;
                // Checked, then stored as sent: one row per resource.
                parse::<Links>(OBJECT, stored.links.get().as_bytes())?;
                reply(self.put_resources(&stored).await)
            }
            "launch/put" => {
                let (handle, launch): (String, PendingLaunch) = parse(OBJECT, &body)?;
                reply(self.put_launch(&handle, &launch).await)
            }
            "preferences/get" => reply(
                self.get::<Preferences>(PREFERENCES)
                    .await
                    .map(Option::unwrap_or_default),
            ),
            "preferences/keep" => reply(
                self.put(PREFERENCES, &parse::<Preferences>(OBJECT, &body)?)
                    .await,
            ),
            "preferences/put" => reply(self.set_preferences(parse(OBJECT, &body)?).await),
            "end" => reply(self.end().await),
            other => return Response::error(format!("unknown operation {other}"), 404),
        };
        Response::from_json(&out?)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        // Expired state is deleted; a session still in use re-arms the alarm; an ended
        // session's marker goes once its time is up.
        let fail = |e: PortalError| worker::Error::RustError(e.log_line());
        if let Some(ended) = self.get::<u64>(ENDED).await.map_err(fail)? {
            if now() >= ended + ENDED_KEEP_SECS {
                self.state.storage().delete_all().await?;
            } else {
                self.alarm_at(ended + ENDED_KEEP_SECS).await.map_err(fail)?;
            }
            return Response::empty();
        }
        match self.live_record().await.map_err(fail)? {
            Some(record) => self.arm(&record).await.map_err(fail)?,
            // Ended just now (its marker armed the alarm), or a login transaction's end.
            None if self.get::<u64>(ENDED).await.map_err(fail)?.is_some() => {}
            None => self.state.storage().delete_all().await?,
        }
        Response::empty()
    }
}

/// Storage key of the ended marker.
const ENDED: &str = "ended";
/// Storage key of a user object's preferences.
const PREFERENCES: &str = "preferences";
/// Storage key of the last enumeration an unknown id caused: its time.
const ENUMERATED_AT: &str = "enumerated_at";
/// Storage key of the stored links' fingerprint.
const LINKS_FINGERPRINT: &str = "links_fingerprint";

fn storage_error(e: worker::Error) -> PortalError {
    PortalError::Internal(format!("session storage: {e}"))
}

impl SessionObject {
    fn config(&self) -> Result<Rc<Config>, PortalError> {
        Config::from_env(&self.env)
    }

    /// Every write goes through here: an ended session takes none.
    async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), PortalError> {
        self.writable().await?;
        self.state
            .storage()
            .put(key, value)
            .await
            .map_err(storage_error)
    }

    /// Refuses writes to a session that has ended.
    async fn writable(&self) -> Result<(), PortalError> {
        match self.get::<u64>(ENDED).await? {
            Some(_) => Err(PortalError::Unauthenticated),
            None => Ok(()),
        }
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, PortalError> {
        self.state.storage().get(key).await.map_err(storage_error)
    }

    async fn arm(&self, record: &Record) -> Result<(), PortalError> {
        self.alarm_at(record.ends_at()).await
    }

    async fn alarm_at(&self, at: u64) -> Result<(), PortalError> {
        self.state
            .storage()
            .set_alarm(worker::ScheduledTime::new(worker::js_sys::Date::new(
                &((at * 1000) as f64).into(),
            )))
            .await
            .map_err(storage_error)
    }

    async fn begin_login(&self, txn: LoginTxn) -> Result<(), PortalError> {
        self.put("login", &txn).await?;
        self.alarm_at(txn.expires_at).await
    }

    async fn take_login(&self) -> Result<Option<LoginTxn>, PortalError> {
        let txn: Option<LoginTxn> = self.get("login").await?;
        self.state
            .storage()
            .delete_all()
            .await
            .map_err(storage_error)?;
        Ok(txn.filter(|t| now() <= t.expires_at))
    }

    async fn create(&self, new: NewSession) -> Result<(), PortalError> {
        let config = self.config()?;
        let sealed_tokens = seal(&config, &new.tokens)?;
        let record = Record {
            profile: new.profile,
            last_seen: now(),
            idle_secs: new.idle_secs,
            sealed_tokens,
        };
        self.put("session", &record).await?;
        self.arm(&record).await
    }

    /// The record, if the session exists and has not run out; a run-out session is deleted.
    async fn live_record(&self) -> Result<Option<Record>, PortalError> {
        let Some(record) = self.get::<Record>("session").await? else {
            return Ok(None);
        };
        if !record.is_live(now()) {
            self.finish().await?;
            return Ok(None);
        }
        Ok(Some(record))
    }

    /// The record of a live session, or `Unauthenticated`.
    async fn live(&self) -> Result<Record, PortalError> {
        self.live_record()
            .await?
            .ok_or(PortalError::Unauthenticated)
    }

    async fn touched(&self) -> Result<Record, PortalError> {
        let mut record = self.live().await?;
        if record.touch(now()) {
            self.put("session", &record).await?;
            self.arm(&record).await?;
        }
        Ok(record)
    }

    async fn profile(&self) -> Result<Profile, PortalError> {
        Ok(self.touched().await?.profile)
    }

    /// Keeps the user's choice for their next sign-ins first, then in this session: when the
    /// first write fails, nothing changed anywhere, as the page then says.
    async fn set_preferences(&self, preferences: Preferences) -> Result<Preferences, PortalError> {
        let sub = self.touched().await?.profile.user.sub;
        Handle::user(&self.env, &sub)?
            .call::<_, ()>("preferences/keep", &preferences)
            .await?;
        // Read again: the call above let other requests change the record meanwhile.
        let mut record = self.live().await?;
        record.profile.preferences = preferences;
        self.put("session", &record).await?;
        Ok(preferences)
    }

    async fn token(&self, stale: Option<String>) -> Result<String, PortalError> {
        let _single_flight = self.refresh.lock().await;
        let record = self.touched().await?;
        let config = self.config()?;
        let tokens: TokenSet = open(&config, &record.sealed_tokens)?;
        let refused = stale.as_deref() == Some(tokens.access_token.as_str());
        if !refused && !tokens.needs_refresh(now()) {
            return Ok(tokens.access_token);
        }
        let Some(refresh_token) = tokens.refresh_token.as_deref() else {
            self.finish().await?;
            return Err(PortalError::SessionExpired);
        };
        let customer = customer(&config).await?;
        let refreshed = with_secret(&self.env, &config, |secret| {
            let (config, customer) = (&config, &customer);
            async move { oauth::refresh(config, customer, &secret, refresh_token, now()).await }
        })
        .await;
        match refreshed {
            Ok(fresh) => {
                // Stored before it is used: a rotated refresh token must never be lost. Into
                // the record as it is now: while the refresh was on the network, other requests
                // may have changed it (a preference), and a sign-out may have ended it.
                let mut record = self.live().await?;
                record.sealed_tokens = seal(&config, &fresh)?;
                self.put("session", &record).await?;
                Ok(fresh.access_token)
            }
            Err(TokenError::InvalidGrant) => {
                self.finish().await?;
                Err(PortalError::SessionExpired)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The enumerated resources' links, one row each: an icon or a launch reads its own row,
    /// not the whole catalogue, so its cost and no stored value grow with the catalogue.
    /// Created on use, so it is there whatever storage was deleted before (sign-out, expiry).
    fn links_table(&self) -> Result<SqlStorage, PortalError> {
        let sql = self.state.storage().sql();
        sql.exec(
            "CREATE TABLE IF NOT EXISTS resource_links (id TEXT PRIMARY KEY, links TEXT NOT NULL)",
            None,
        )
        .map_err(storage_error)?;
        Ok(sql)
    }

    /// Replaces the links with a new enumeration's.
    async fn put_resources(&self, stored: &StoredLinks) -> Result<(), PortalError> {
        // Only a live session keeps links (an ended one must not grow storage back).
        self.live().await?;
        self.put(LINKS_FINGERPRINT, &stored.fingerprint).await?;
        let sql = self.links_table()?;
        sql.exec("DELETE FROM resource_links", None)
            .map_err(storage_error)?;
        sql.exec(
            "INSERT INTO resource_links (id, links) SELECT key, value FROM json_each(?)",
            vec![stored.links.get().into()],
        )
        .map_err(storage_error)?;
        Ok(())
    }

    /// A valid token, and what else the request named (module docs: one call per request).
    async fn prepare(&self, need: Need) -> Result<Prepared, PortalError> {
        let token = self.token(None).await?;
        let links = match &need.resource {
            Some(id) => self.links(id)?,
            None => None,
        };
        // An unknown id may enumerate at most once per REENUMERATE_AFTER_SECS after the last
        // enumeration: the time is noted now, so parallel requests for unknown ids do not all
        // enumerate. A catalogue request notes it too, but writes it at most every half period.
        let enumerated_at = self.get::<u64>(ENUMERATED_AT).await?;
        let since = |secs: u64| enumerated_at.is_none_or(|at| now() >= at + secs);
        let may_enumerate =
            need.resource.is_some() && links.is_none() && since(REENUMERATE_AFTER_SECS);
        if may_enumerate || (need.enumerate && since(REENUMERATE_AFTER_SECS / 2)) {
            self.put(ENUMERATED_AT, &now()).await?;
        }
        let links_fingerprint = if need.enumerate || may_enumerate {
            self.get(LINKS_FINGERPRINT).await?
        } else {
            None
        };
        let launch = match need.launch {
            Some(handle) => self.take_launch(&handle).await?,
            None => None,
        };
        Ok(Prepared {
            token,
            links,
            may_enumerate,
            links_fingerprint,
            launch,
        })
    }

    /// One resource's row of the links table.
    fn links(&self, id: &str) -> Result<Option<ResourceLinks>, PortalError> {
        #[derive(Deserialize)]
        struct Row {
            links: String,
        }
        let rows: Vec<Row> = self
            .links_table()?
            .exec(
                "SELECT links FROM resource_links WHERE id = ?",
                vec![id.into()],
            )
            .and_then(|cursor| cursor.to_array())
            .map_err(storage_error)?;
        rows.first()
            .map(|row| serde_json::from_str(&row.links))
            .transpose()
            .map_err(|e| PortalError::Internal(format!("stored resource links: {e}")))
    }

    async fn put_launch(&self, handle: &str, launch: &PendingLaunch) -> Result<(), PortalError> {
        self.live().await?;
        self.put(&format!("launch:{handle}"), launch).await
    }

    /// Takes a pending launch out: a handle is good for one poll (the poll's answer carries
    /// the next one), so it cannot be replayed and storage does not grow with polls.
    async fn take_launch(&self, handle: &str) -> Result<Option<PendingLaunch>, PortalError> {
        let key = format!("launch:{handle}");
        let launch = self.get(&key).await?;
        if launch.is_some() {
            self.state
                .storage()
                .delete(&key)
                .await
                .map_err(storage_error)?;
        }
        Ok(launch)
    }

    async fn end(&self) -> Result<Option<String>, PortalError> {
        // A refresh in flight finishes first, so the token read below is the newest.
        let _single_flight = self.refresh.lock().await;
        let refresh = match self.get::<Record>("session").await? {
            Some(record) => self
                .config()
                .ok()
                .and_then(|c| open(&c, &record.sealed_tokens).ok())
                .and_then(|t| t.refresh_token),
            None => None,
        };
        self.finish().await?;
        Ok(refresh)
    }

    /// Deletes the session and leaves the ended marker: it refuses every later write, and the
    /// alarm removes it once no request can be in flight any more.
    async fn finish(&self) -> Result<(), PortalError> {
        let storage = self.state.storage();
        storage.delete_all().await.map_err(storage_error)?;
        storage.put(ENDED, now()).await.map_err(storage_error)?;
        self.alarm_at(now() + ENDED_KEEP_SECS).await
    }
}

fn seal(config: &Config, tokens: &TokenSet) -> Result<String, PortalError> {
    let json = serde_json::to_vec(tokens).map_err(|e| PortalError::Internal(e.to_string()))?;
    config.keyring.seal(&json).map_err(PortalError::Internal)
}

fn open(config: &Config, sealed: &str) -> Result<TokenSet, PortalError> {
    let json = config.keyring.open(sealed).map_err(|e| {
        // A key removed from SESSION_KEY makes old sessions unreadable: they just end.
        worker::console_warn!("session tokens unreadable: {e}");
        PortalError::SessionExpired
    })?;
    serde_json::from_slice(&json).map_err(|e| PortalError::Internal(format!("stored tokens: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_stored_before_preferences_existed_has_the_defaults() {
        let profile: Profile = serde_json::from_str(
            r#"{"user":{"sub":"s","name":"n"},"customer":"c","expires_at":1}"#,
        )
        .unwrap();
        assert_eq!(profile.preferences, Preferences::default());
    }

    fn record(last_seen: u64, idle_secs: u64, expires_at: u64) -> Record {
        Record {
            profile: Profile {
                user: User {
                    sub: "s".into(),
                    name: "n".into(),
                    email: None,
                },
                email_verified: false,
                customer: "c".into(),
                expires_at,
                preferences: Preferences::default(),
            },
            last_seen,
            idle_secs,
            sealed_tokens: String::new(),
        }
    }

    #[test]
    fn a_session_dies_when_idle_or_at_its_absolute_end() {
        let r = record(1000, 600, 5000);
        assert!(r.is_live(1599));
        assert!(!r.is_live(1600), "idle for the whole idle time");
        let r = record(4900, 600, 5000);
        assert!(r.is_live(4999));
        assert!(
            !r.is_live(5000),
            "past the absolute lifetime, however active"
        );
        assert_eq!(record(1000, 600, 5000).ends_at(), 1600);
        assert_eq!(record(4900, 600, 5000).ends_at(), 5000);
    }

    #[test]
    fn activity_is_recorded_with_a_minutes_precision() {
        let mut r = record(1000, 600, 5000);
        assert!(!r.touch(1059));
        assert_eq!(r.last_seen, 1000);
        assert!(r.touch(1060));
        assert_eq!((r.last_seen, r.ends_at()), (1060, 1660));
    }
}
