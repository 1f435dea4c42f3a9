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

mod plan;
mod status;
mod store;
mod tokens;

pub use plan::Plan;
pub use store::{
    ClientProblem, Command, Event, Level, SecretStore, Stage, problem_words, user_text,
};
pub use tokens::{Attempt, TokenReport};

// Native only: the emulator they run against does not build for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
