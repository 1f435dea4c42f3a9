//! Every transition of the rotation, run by the same loop as the Durable Object
//! ([`crate::secret::run::drive`]) against the emulator's own client registry (its `Client`,
//! `rpclients` and `$rotateSecret` answers in the harsher .NET profile), with faults at every
//! call and write.

use std::cell::{Cell, RefCell};

use portal_shared::api::{
    ClientProblem, NextAction, Refusal, RunResult, RunStage, SecretAlert, SecretPhase, SecretStatus,
};
use portal_shared::time::utc_minute;
use workspace_emulator::{Client, Profile, SecretSlot, demo, rotated_body, rpclients_body};

use super::plan::{RotateWhy, Wait};
use super::store::{Phase, Secret};
use super::tokens::Slot;
use super::*;
use crate::citrix::cloud::{
    Call, CallFailed, CloudToken, Ours, Reply, Rotated, RpClient, find_client, parse_rotated,
    parse_rpclients,
};
use crate::config::Policy;
use crate::crypto::SecretValue;
use crate::http::error::PortalError;
use crate::secret::run::{Host, Run, Settings, drive};

/// Seconds in a day.
const DAY: u64 = portal_shared::time::DAY_SECS;

const T0: u64 = 1_700_000_000;
const HOUR: u64 = 3600;
const LIFE: u64 = workspace_emulator::SECRET_LIFETIME_SECS;
const NAME: &str = demo::CLIENT_NAME;
const SEED: &str = demo::CLIENT_SECRET;
const PROFILE: Profile = Profile::DotNet;

/// How the portal finds its client: in the .NET profile `api_key` is the application id.
fn ours() -> Ours<'static> {
    Ours {
        name: None,
        client_id: demo::CLIENT_ID,
        application_id: demo::APPLICATION_ID,
    }
}

// ---------------------------------------------------------------------------------------------
// Citrix Cloud: the emulator's client, and what the API adds around it.

struct Cloud {
    client: Client,
    deleted: bool,
    /// Refuses the current secret (e.g. not yet propagated), for fall-back tests.
    refuse_current: bool,
    /// API tokens it knows.
    tokens: Vec<String>,
}

impl Cloud {
    /// The demo client, its secret issued at `issued_at`.
    fn new(issued_at: u64) -> Cloud {
        let mut client = Client::seeded(&demo::seed().clients[0], issued_at);
        client.secret = Some(SecretSlot {
            value: SEED.into(),
            updated: issued_at,
            expires: issued_at + LIFE,
        });
        Cloud {
            client,
            deleted: false,
            refuse_current: false,
            tokens: Vec::new(),
        }
    }

    /// A secret due in `days` days.
    fn expiring_in(days: u64, now: u64) -> Cloud {
        Cloud::new(now + days * DAY - LIFE)
    }

    fn current(&self) -> &SecretSlot {
        self.client.secret.as_ref().expect("a private client")
    }

    fn old(&self) -> Option<&SecretSlot> {
        self.client.old_secret.as_ref()
    }

    fn list_body(&self) -> Vec<u8> {
        let clients: &[Client] = if self.deleted {
            &[]
        } else {
            std::slice::from_ref(&self.client)
        };
        rpclients_body(clients, PROFILE).to_string().into_bytes()
    }

    /// Our entry, as the worker parses it.
    fn entry(&self) -> RpClient {
        let list = parse_rpclients(&String::from_utf8_lossy(&self.list_body())).unwrap();
        find_client(&list.good, &ours()).unwrap().clone()
    }

    fn rotate_body(&mut self, now: u64) -> Vec<u8> {
        let secret = self.client.rotate(now).expect("a private client");
        rotated_body(&self.client, &secret, PROFILE)
            .to_string()
            .into_bytes()
    }

    /// Rotated by hand (the Citrix Cloud portal), as the worker would parse the answer.
    fn rotate(&mut self, now: u64) -> Rotated {
        parse_rotated(&String::from_utf8_lossy(&self.rotate_body(now))).unwrap()
    }

    fn accepts(&self, secret: &str, now: u64) -> bool {
        let refused = self.refuse_current && self.current().value == secret;
        self.client.seed.enabled
            && !self.deleted
            && !refused
            && self.client.accepts_secret(secret, now)
    }

    /// The emulator restarted: back to its seed, with dates computed afresh; its API tokens
    /// are forgotten.
    fn restart(&mut self, now: u64) {
        *self = Cloud::new(now - 10 * DAY);
    }

    /// Answers a call as the Citrix Cloud API does.
    fn answer(&mut self, call: &Call, now: u64, faults: Faults) -> Reply {
        let fail = |error: &str| {
            Err(CallFailed {
                error: error.into(),
                stale_token: false,
            })
        };
        let token = match call {
            Call::Token if faults.cloud_token => return fail("Citrix Cloud answered 503"),
            Call::Token => {
                let token = format!("api-token-{}", self.tokens.len());
                self.tokens.push(token.clone());
                return Ok(
                    serde_json::json!({"access_token": token, "expires_in": "3600"})
                        .to_string()
                        .into_bytes(),
                );
            }
            Call::List(t) | Call::Rotate { token: t, .. } | Call::ExpireOld { token: t, .. } => t,
        };
        if !self.tokens.contains(&token.value) {
            return Err(CallFailed {
                error: "rpclients answered HTTP 401".into(),
                stale_token: true,
            });
        }
        match call {
            Call::List(_) if faults.list => fail("timed out"),
            Call::List(_) => Ok(self.list_body()),
            Call::Rotate { name, .. } => {
                assert_eq!(name, NAME);
                if faults.rotate {
                    return fail("Citrix Cloud answered 500");
                }
                Ok(self.rotate_body(now))
            }
            Call::ExpireOld { name, .. } => {
                assert_eq!(name, NAME);
                if faults.expire {
                    return fail("Citrix Cloud answered 502");
                }
                self.client.expire_old();
                Ok(Vec::new())
            }
            Call::Token => unreachable!("answered above"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The portal: storage, the settings, the log, and the runtime the loop drives.

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
    /// The API token the object keeps between runs.
    token: Option<CloudToken>,
}

/// One run's runtime: storage that fails where told, and the cloud.
struct Runtime<'a> {
    portal: RefCell<&'a mut Portal>,
    cloud: RefCell<&'a mut Cloud>,
    now: u64,
    faults: Faults,
    /// The last call made, and whether a write failed after it already.
    last: RefCell<Option<Call>>,
    write_failed: Cell<bool>,
}

impl Host for Runtime<'_> {
    fn now(&self) -> u64 {
        self.now
    }

    async fn update<R>(
        &self,
        change: impl FnOnce(&mut SecretStore) -> (R, Vec<Event>),
    ) -> Result<R, PortalError> {
        let mut portal = self.portal.borrow_mut();
        let mut store = portal.load();
        let (answer, events) = change(&mut store);
        let failing = match &*self.last.borrow() {
            Some(Call::Rotate { .. }) => self.faults.save_new_secret,
            Some(Call::ExpireOld { .. }) => self.faults.save_after_expire,
            _ => false,
        };
        if failing && !self.write_failed.replace(true) {
            return Err(PortalError::Internal("secret storage write: failed".into()));
        }
        portal.save(&store);
        portal.log.extend(events);
        Ok(answer)
    }

    async fn send(&self, call: &Call) -> Reply {
        self.last.replace(Some(call.clone()));
        self.cloud.borrow_mut().answer(call, self.now, self.faults)
    }
}

impl Portal {
    fn new() -> Portal {
        Portal {
            stored: None,
            configured: SEED.into(),
            policy: Policy::default(),
            log: Vec::new(),
            token: None,
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

    /// One run, as the Durable Object makes it; its plan, when it got that far (`None` also
    /// when a write failed).
    fn run(
        &mut self,
        cloud: &mut Cloud,
        command: Command,
        now: u64,
        faults: Faults,
    ) -> Option<Plan> {
        self.log.clear();
        let (configured, policy, token) = (self.configured.clone(), self.policy, self.token.take());
        let settings = Settings {
            ours: ours(),
            configured: &configured,
            policy: &policy,
        };
        let runtime = Runtime {
            portal: RefCell::new(self),
            cloud: RefCell::new(cloud),
            now,
            faults,
            last: RefCell::new(None),
            write_failed: Cell::new(false),
        };
        let ran = futures::executor::block_on(drive(&runtime, Run::new(command, settings, token)));
        let ran = ran.ok()?;
        self.token = ran.token;
        ran.plan
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

    /// Whether a line containing `text` was logged (at `level`).
    fn logged(&self, level: Level, text: &str) -> bool {
        self.log
            .iter()
            .any(|e| e.level == level && e.message.contains(text))
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
// Seeding and the happy path

#[test]
fn the_store_is_seeded_from_client_secret_and_learns_the_expiry_at_the_first_read() {
    let mut cloud = Cloud::expiring_in(40, T0);
    let mut p = Portal::new();
    assert_eq!(p.sign_in(&cloud, T0), Some(Slot::Current));
    assert!(p.logged(Level::Info, "store created from CLIENT_SECRET"));
    assert_eq!(current_value(&p), SEED);
    assert_eq!(p.store().current.expires_at, None);
    assert_eq!(
        p.store().plan(T0, &p.policy, Command::Step),
        Plan::Nothing(Wait::FirstRead)
    );

    let plan = p.step(&mut cloud, T0 + 60).unwrap();
    let expires = T0 + 40 * DAY;
    assert!(p.logged(
        Level::Info,
        &format!("the current secret expires on {}", utc_minute(expires))
    ));
    assert_eq!(p.store().current.expires_at, Some(expires));
    assert_eq!(p.store().current.issued_at, Some(cloud.current().updated));
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
    assert_eq!(new, cloud.current().value);
    assert_eq!(p.store().current.expires_at, Some(T0 + LIFE));
    assert_eq!(p.store().current.issued_at, Some(T0));
    let prev = p.store().previous.clone().unwrap();
    assert_eq!(
        (prev.value.expose(), prev.expires_at),
        (SEED, Some(old_expiry))
    );
    assert_eq!(p.store().phase(), Phase::Overlap { since: T0 });
    assert_eq!(p.store().last_rotation, Some(T0));
    assert!(p.logged(
        Level::Info,
        &format!(
            "rotated and saved the new secret, which is now current (expires on {}); the old one works until {}",
            utc_minute(T0 + LIFE),
            utc_minute(old_expiry)
        )
    ));
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
    assert!(p.logged(Level::Info, "expired the old secret in Citrix Cloud"));
    assert!(cloud.old().is_none());
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
    assert_eq!(
        last.result,
        RunResult::Waiting {
            next: NextAction::RotateIn { days: 76 }
        }
    );
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

#[test]
fn an_api_token_is_reused_while_it_lasts_and_one_citrix_cloud_forgot_is_replaced_once() {
    let mut cloud = Cloud::expiring_in(40, T0);
    let mut p = Portal::new();
    p.step(&mut cloud, T0);
    p.step(&mut cloud, T0 + 60);
    assert_eq!(cloud.tokens.len(), 1, "reused while it lasts");
    // Citrix Cloud forgot it (restarted, or revoked it): 401, then one new token.
    cloud.tokens.clear();
    let plan = p.step(&mut cloud, T0 + 120).unwrap();
    assert!(
        matches!(plan, Plan::Nothing(Wait::RotateLater { .. })),
        "{plan:?}"
    );
    assert_eq!(cloud.tokens.len(), 1);
    // Renewed once its lifetime less the margin is over.
    p.step(&mut cloud, T0 + 2 * HOUR);
    assert_eq!(cloud.tokens.len(), 2);
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
    assert!(p.logged(
        Level::Warn,
        "refused the current secret (invalid_client); 2 earlier successes no longer count"
    ));
    assert!(p.logged(Level::Warn, "the previous secret worked"));
    assert_eq!(p.store().current_successes, 0);
    // The current secret stays current: one refusal does not undo a rotation.
    assert_eq!(current_value(&p), cloud.current().value);
    let status = p.status(T0 + 4);
    assert_eq!(status.alert, Some(SecretAlert::UsingFallback));
    // The old secret is not expired on the strength of a refused secret.
    let plan = p.step(&mut cloud, T0 + HOUR).unwrap();
    assert!(
        matches!(plan, Plan::Nothing(Wait::Proof { more: 3, .. })),
        "{plan:?}"
    );

    cloud.refuse_current = false;
    assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));
    assert_eq!(p.status(T0 + HOUR + 2).alert, None);
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
    assert!(p.logged(Level::Warn, "refused the current secret"));
    assert!(!p.logged(Level::Warn, "secret worked"));
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
        Some(Event::info("the current secret worked for the first time"))
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
            s.last_run.as_ref().unwrap().result,
            RunResult::Failed { .. }
        ));
        assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Current));
    }
    let status = p.status(T0 + 2);
    assert_eq!(
        status.last_run.unwrap().result,
        RunResult::Failed {
            stage: RunStage::ListClients,
            error: "timed out".into()
        }
    );
    assert!(matches!(
        p.step(&mut cloud, T0 + DAY),
        Some(Plan::Rotate { .. })
    ));
    assert_eq!(current_value(&p), cloud.current().value);
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
        p.store().last_run.as_ref().unwrap().result,
        RunResult::Failed {
            stage: Stage::Rotate,
            error: "Citrix Cloud answered 500".into()
        }
    );
    assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Current));
    let status = p.status(T0 + 2);
    assert_eq!(status.next_action, NextAction::RotateAtNextRun);
    assert_eq!(
        status.alert,
        Some(SecretAlert::ExpiresAfterFailedRun {
            days: 10,
            stage: RunStage::Rotate,
            error: "Citrix Cloud answered 500".into()
        })
    );

    assert!(matches!(
        p.step(&mut cloud, T0 + DAY),
        Some(Plan::Rotate { .. })
    ));
    assert_eq!(current_value(&p), cloud.current().value);
    assert_eq!(p.status(T0 + DAY).alert, None);
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
    assert_ne!(cloud.current().value, SEED);
    assert!(matches!(
        p.store().last_run.as_ref().unwrap().result,
        RunResult::Failed {
            stage: Stage::SaveNewSecret,
            ..
        }
    ));
    assert!(p.logged(Level::Error, "could not be stored and is lost"));
    assert_eq!(current_value(&p), SEED);
    assert_eq!(p.store().phase(), Phase::Idle);
    // Sign-in keeps working with it.
    assert_eq!(p.sign_in(&cloud, T0 + 60), Some(Slot::Current));

    let plan = p.step(&mut cloud, T0 + DAY).unwrap();
    assert!(p.logged(
        Level::Warn,
        &format!(
            "Citrix Cloud's old one and works until {}",
            utc_minute(T0 + 10 * DAY)
        )
    ));
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
    assert_eq!(current_value(&p), cloud.current().value);
    assert!(!cloud.accepts(SEED, T0 + DAY));
    assert!(p.store().previous.is_none(), "the seed is gone");
    assert!(p.logged(
        Level::Info,
        "dropped the previous secret: Citrix Cloud no longer lists it"
    ));
    assert_eq!(p.store().phase(), Phase::Overlap { since: T0 + DAY });
    for i in 0..3 {
        assert_eq!(p.sign_in(&cloud, T0 + DAY + 10 + i), Some(Slot::Current));
    }
    assert!(matches!(
        p.step(&mut cloud, T0 + DAY + HOUR),
        Some(Plan::ExpireOld { .. })
    ));
    assert!(cloud.old().is_none(), "the lost secret no longer works");
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
    assert_eq!(plan, Plan::ClientUnusable(ClientProblem::SecretNotListed));
    assert!(p.logged(Level::Error, "no longer lists the secret the portal holds"));
    let status = p.status(T0 + 2 * DAY);
    assert!(status.problem.is_some());
    assert_eq!(
        status.alert,
        Some(SecretAlert::ClientUnusable {
            problem: ClientProblem::SecretNotListed
        })
    );
    assert!(!status.rotate_now.allowed);

    // The operator's way out: rotate in Citrix Cloud, set CLIENT_SECRET.
    let manual = cloud.rotate(T0 + 3 * DAY).secret;
    p.configured = manual.expose().into();
    assert_eq!(p.sign_in(&cloud, T0 + 3 * DAY), Some(Slot::Current));
    assert!(p.logged(Level::Warn, "CLIENT_SECRET was changed"));
    // Citrix Cloud now lists two secrets we never matched: which one CLIENT_SECRET is
    // cannot be told, so the machine waits (sign-in works) and says how to settle it.
    let plan = p.step(&mut cloud, T0 + 3 * DAY + 1).unwrap();
    assert!(
        matches!(plan, Plan::Nothing(Wait::Unmatched { .. })),
        "{plan:?}"
    );
    let status = p.status(T0 + 3 * DAY + 1);
    assert!(status.problem.is_none());
    assert_eq!(status.alert, Some(SecretAlert::CannotTellSecrets));
    cloud.client.expire_old();
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
        Plan::Refused(Refusal::OldSecretIsOurs)
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
    assert_eq!(
        status.alert,
        Some(SecretAlert::LostNewerSecret {
            until: Some(T0 + 80 * DAY)
        })
    );
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
    assert!(cloud.old().is_some());
    assert!(p.store().previous.is_some());
    assert_eq!(p.store().phase(), Phase::Overlap { since: T0 });
    assert!(matches!(
        p.store().last_run.as_ref().unwrap().result,
        RunResult::Failed {
            stage: Stage::ExpireOld,
            ..
        }
    ));
    assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));
    let plan = p.step(&mut cloud, T0 + DAY).unwrap();
    assert!(matches!(plan, Plan::ExpireOld { .. }));
    assert!(cloud.old().is_none());
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
    assert!(cloud.old().is_none());
    assert!(p.store().previous.is_some(), "the write failed");
    assert_eq!(p.sign_in(&cloud, T0 + HOUR + 1), Some(Slot::Current));
    let plan = p.step(&mut cloud, T0 + DAY).unwrap();
    assert!(p.logged(Level::Info, "no longer lists an old secret"));
    assert!(p.logged(
        Level::Info,
        "dropped the previous secret: Citrix Cloud no longer lists it"
    ));
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
    assert!(p.logged(Level::Warn, "CLIENT_SECRET is now the current secret"));
    assert_eq!(current_value(&p), SEED);
    assert_eq!(p.sign_in(&cloud, T0 + 2 * HOUR + 1), Some(Slot::Current));

    let plan = p.step(&mut cloud, T0 + 3 * HOUR).unwrap();
    assert_eq!(p.store().current.expires_at, Some(cloud.current().expires));
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
    assert!(p.logged(Level::Warn, "CLIENT_SECRET is now the current secret"));
    assert_eq!(current_value(&p), SEED);
    assert_eq!(p.store().current.expires_at, Some(cloud.current().expires));
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
            (|c: &mut Cloud| c.client.seed.enabled = false) as fn(&mut Cloud),
            ClientProblem::Disabled,
            "is disabled in Citrix Cloud",
        ),
        (
            |c: &mut Cloud| c.deleted = true,
            ClientProblem::Missing {
                listed: vec![
                    "analytics-connector".into(),
                    "svc-principal-backup (Backup (service principal))".into(),
                ],
            },
            "it lists: analytics-connector, svc-principal-backup (Backup (service principal))",
        ),
        (
            |c: &mut Cloud| c.client.secret = None,
            ClientProblem::NoSecret,
            "without a secret (a public client)",
        ),
    ] {
        let mut cloud = Cloud::expiring_in(5, T0);
        setup(&mut cloud);
        let mut p = Portal::new();
        let plan = p.step(&mut cloud, T0).unwrap();
        assert_eq!(plan, Plan::ClientUnusable(unusable.clone()));
        assert!(p.logged(Level::Error, event), "{:?}", p.log);
        let s = p.store();
        assert_eq!(s.unusable(), Some(unusable.clone()));
        assert_eq!(
            s.plan(T0, &p.policy, Command::RotateNow),
            Plan::ClientUnusable(unusable.clone())
        );
        let status = p.status(T0);
        assert!(status.problem.is_some());
        assert_eq!(status.next_action, NextAction::ClientUnusable);
        assert_eq!(status.problem.as_ref(), Some(&unusable));
        assert_eq!(
            status.alert,
            Some(SecretAlert::ClientUnusable {
                problem: unusable.clone()
            })
        );
        assert_eq!(
            status.rotate_now.reason,
            Some(Refusal::ClientUnusable {
                problem: unusable.clone()
            })
        );
        assert!(!status.rotate_now.allowed && !status.expire_old_now.allowed);
        assert!(cloud.old().is_none(), "nothing was rotated");
    }
    let mut cloud = Cloud::expiring_in(5, T0);
    cloud.client.seed.enabled = false;
    let mut p = Portal::new();
    p.step(&mut cloud, T0);
    let status = p.status(T0);
    assert_eq!(status.enabled, Some(false));
    assert_eq!(status.problem, Some(ClientProblem::Disabled));
    // Enabled again: the next run carries on.
    cloud.client.seed.enabled = true;
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
    assert_eq!(current_value(&p), cloud.current().value);
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
    assert_eq!(plan, Plan::Refused(Refusal::NoOldSecret));
    assert!(matches!(
        &p.store().last_run.as_ref().unwrap().result,
        RunResult::Refused {
            refusal: Refusal::NoOldSecret
        }
    ));
    p.run(&mut cloud, Command::RotateNow, T0 + 1, NO_FAULTS);
    let plan = p
        .run(&mut cloud, Command::ExpireOldNow, T0 + 2, NO_FAULTS)
        .unwrap();
    assert!(matches!(&plan, Plan::Refused(Refusal::CurrentUnproven)));
    assert!(cloud.old().is_some());
    let status = p.status(T0 + 2);
    assert!(!status.expire_old_now.allowed);
    assert_eq!(status.expire_old_now.reason, Some(Refusal::CurrentUnproven));
    assert!(status.rotate_now.allowed);

    p.sign_in(&cloud, T0 + 3);
    assert!(p.status(T0 + 3).expire_old_now.allowed);
    let plan = p
        .run(&mut cloud, Command::ExpireOldNow, T0 + 4, NO_FAULTS)
        .unwrap();
    assert!(matches!(plan, Plan::ExpireOld { .. }));
    assert!(cloud.old().is_none());
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
    assert_eq!(s.current.value.expose(), cloud.current().value);
    assert_eq!(
        s.secrets_to_try(SEED, T0 + HOUR)[0].secret.expose(),
        cloud.current().value
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
    assert!(p.logged(Level::Warn, "CLIENT_SECRET was changed"));
    assert_eq!(current_value(&p), manual);
    assert_eq!(p.store().previous.as_ref().unwrap().value.expose(), SEED);

    let plan = p.step(&mut cloud, T0 + DAY + 2).unwrap();
    assert_eq!(p.store().current.expires_at, Some(T0 + DAY + LIFE));
    assert!(p.logged(
        Level::Info,
        &format!(
            "also lists an old secret, expiring on {}",
            utc_minute(T0 + 40 * DAY)
        )
    ));
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
    assert_eq!(p.status(T0 + 4).alert, Some(SecretAlert::UsingFallback));
}

#[test]
fn two_unknown_secrets_in_citrix_cloud_block_rotation_until_the_old_one_is_gone() {
    let mut cloud = Cloud::expiring_in(20, T0);
    let old_expiry = cloud.current().expires;
    cloud.rotate(T0 - DAY); // rotated elsewhere before the portal ever ran
    cloud.client.secret.as_mut().unwrap().value = SEED.into(); // and CLIENT_SECRET is the new one
    let mut p = Portal::new();
    let plan = p.step(&mut cloud, T0).unwrap();
    assert_eq!(
        plan,
        Plan::Nothing(Wait::Unmatched {
            old_expires_at: Some(old_expiry)
        })
    );
    assert!(p.logged(Level::Warn, "cannot tell which one it holds"));
    let s = p.store();
    assert_eq!(s.current.expires_at, None);
    for command in [Command::RotateNow, Command::ExpireOldNow] {
        assert!(matches!(
            s.plan(T0, &p.policy, command),
            Plan::Refused(Refusal::CannotTellSecrets)
        ));
    }
    let status = p.status(T0);
    assert_eq!(
        status.next_action,
        NextAction::WaitForOldSecret {
            old_expires_at: Some(old_expiry)
        }
    );
    assert_eq!(status.alert, Some(SecretAlert::CannotTellSecrets));
    assert_eq!(p.sign_in(&cloud, T0 + 1), Some(Slot::Current));

    // Once the old one has expired, ours is the only one.
    let plan = p.step(&mut cloud, old_expiry).unwrap();
    assert_eq!(p.store().current.expires_at, Some(cloud.current().expires));
    assert!(
        matches!(plan, Plan::Nothing(Wait::RotateLater { .. })),
        "{plan:?}"
    );
}

#[test]
fn a_previous_secret_that_is_citrix_clouds_current_one_is_swapped_back() {
    let mut cloud = Cloud::expiring_in(10, T0);
    cloud.rotate(T0);
    let old = cloud.old().cloned().unwrap();
    let (mut s, _) = SecretStore::seed(SEED);
    s.current = Secret {
        value: SecretValue::new(old.value.clone()),
        issued_at: None,
        expires_at: Some(old.expires),
    };
    s.previous = Some(Secret {
        value: SecretValue::new(cloud.current().value.clone()),
        issued_at: None,
        expires_at: Some(cloud.current().expires),
    });
    let generation = s.generation;
    let events = s.observe(Ok(&cloud.entry()), SEED, T0 + 1);
    assert!(
        events.iter().any(|e| e
            .message
            .contains("Citrix Cloud's current one: it is current again")),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e.message.contains("holds a newer secret"))
    );
    assert_eq!(s.current.value.expose(), cloud.current().value);
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
    assert_eq!(
        status.display_name.as_deref(),
        Some("Workspace Portal (local)")
    );
    assert_eq!(status.enabled, Some(true));
    assert!(status.problem.is_none());
    assert_eq!(status.phase, SecretPhase::Idle);
    assert_eq!(status.current_days_left, Some(26));
    assert_eq!(status.next_action, NextAction::RotateIn { days: 12 });
    assert_eq!(status.alert, None);
    assert!(status.rotate_now.allowed);
    assert!(!status.expire_old_now.allowed);
    assert_eq!(status.expire_old_now.reason, Some(Refusal::NoOldSecret));
    let one_day = p.status(now + 11 * DAY);
    assert_eq!(one_day.next_action, NextAction::RotateIn { days: 1 });
    let due = p.status(now + 12 * DAY);
    assert_eq!(due.next_action, NextAction::RotateAtNextRun);
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
            sooner_after: Some(T0 + DAY),
            after_grace: 0,
        }
    );
    assert!(status.expire_old_now.allowed);
    assert_eq!(
        status.last_run.unwrap().result,
        RunResult::Rotated {
            expires_at: Some(T0 + LIFE),
            old_expires_at: Some(T0 + 10 * DAY)
        }
    );

    let mut unproven = rotated_at_t0().0;
    unproven.log.clear();
    let next = unproven.status(T0 + HOUR).next_action;
    assert_eq!(
        next,
        NextAction::ExpireOldAfter {
            successes: 3,
            sooner_after: Some(T0 + DAY),
            after_grace: 1,
        }
    );
    assert_eq!(
        unproven.status(T0 + 2 * DAY).next_action,
        NextAction::ExpireOldAfter {
            successes: 1,
            sooner_after: None,
            after_grace: 1,
        }
    );
    assert_eq!(
        unproven.status(T0 + HOUR).next_action,
        next,
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
    assert_eq!(status.alert, None);
    assert_eq!(status.rotate_now.reason, Some(Refusal::NotConfigured));

    // Read once, e.g. while rotation was still configured.
    s.observe(Ok(&cloud.entry()), SEED, T0 - 20 * DAY);
    let status = s.status(T0, &policy, false);
    assert_eq!(status.next_action, NextAction::NotConfigured);
    assert_eq!(
        status.alert,
        Some(SecretAlert::ExpiresUnrotated { days: 5 })
    );
    assert_eq!(s.status(T0 - 10 * DAY, &policy, false).alert, None);
    let expired = s.status(T0 + 5 * DAY, &policy, false);
    assert_eq!(
        expired.alert,
        Some(SecretAlert::Expired { at: T0 + 5 * DAY })
    );
    assert_eq!(expired.current_days_left, Some(0));
}

#[test]
fn an_expiry_the_admin_states_warns_without_rotation() {
    let policy = Policy::default();
    let (mut s, _) = SecretStore::seed(SEED);
    s.assume_expiry(SEED, T0 + 5 * DAY);
    let status = s.status(T0, &policy, false);
    assert_eq!(status.current_days_left, Some(5));
    assert_eq!(
        status.alert,
        Some(SecretAlert::ExpiresUnrotated { days: 5 })
    );
    assert_eq!(s.status(T0 - 10 * DAY, &policy, false).alert, None);
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
        "problem",
        "rotationConfigured",
        "rotateBeforeDays",
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
        "rotateNow",
        "expireOldNow",
        "alert",
    ] {
        assert!(json.get(key).is_some(), "{key} missing from {json}");
    }
    assert_eq!(json["nextAction"]["kind"], "expireOldAfter");
    assert_eq!(json["nextAction"]["soonerAfter"], T0 + DAY);
    assert_eq!(json["lastRun"]["command"], "step");
    assert_eq!(json["lastRun"]["startedAt"], T0);
    assert_eq!(json["rotateNow"]["allowed"], true);
    let text = json.to_string();
    assert!(!text.contains(SEED) && !text.contains(&cloud.current().value));
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
    assert_eq!(running.result, RunResult::Running);
    let stuck = s.status(T0 + HOUR, &policy, true).last_run.unwrap();
    assert_eq!(stuck.result, RunResult::Interrupted);
    let events = s.start_run(Command::Step, T0 + DAY);
    assert_eq!(
        events,
        [
            Event::warn(format!(
                "the run started on {} never finished",
                utc_minute(T0)
            )),
            Event::info("run started (scheduled step)"),
        ]
    );
}

// -----------------------------------------------------------------------------------------
// Secrets stay secret

#[test]
fn debug_output_and_log_lines_never_show_a_secret() {
    let (p, cloud) = rotated_at_t0();
    let rotated_secret = cloud.current().value.as_str();
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
    for secret in [SEED, rotated_secret, "configured-XYZ", "fresh-QQQ"] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
    assert!(debug.contains("[redacted]"));
    assert!(debug.contains("expires_at"));
    let lines: String = p.log.iter().map(|e| format!("{e} ")).collect();
    assert!(!lines.contains(SEED) && !lines.contains(rotated_secret));
    // Storage, on the other hand, must keep them.
    let stored = serde_json::to_string(s).unwrap();
    assert!(stored.contains(rotated_secret) && stored.contains(SEED));
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
fn a_last_run_stored_by_an_older_version_is_forgotten_not_fatal() {
    let (p, _cloud) = rotated_at_t0();
    let mut stored = serde_json::to_value(p.store()).unwrap();
    stored["last_run"] = serde_json::json!({
        "command": "step", "started_at": T0, "finished_at": T0, "outcome": {"Done": "rotated"}
    });
    let back: SecretStore = serde_json::from_value(stored).unwrap();
    assert_eq!(back.last_run, None);
    assert_eq!(back.current, p.store().current, "the secrets are kept");
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
    let (mut s, _) = SecretStore::seed(SEED);
    let cloud = Cloud::new(1_693_958_400 - LIFE);
    let lines: Vec<String> = s
        .observe(Ok(&cloud.entry()), SEED, T0)
        .iter()
        .map(Event::to_string)
        .collect();
    assert_eq!(
        lines,
        [
            "client secret: matched to Citrix Cloud's list: the current secret expires on 2023-09-06 00:00 UTC"
        ]
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
