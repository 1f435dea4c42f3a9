//! The client secret's rotation, end to end: `wrangler dev` (workerd, the secret Durable Object,
//! the cron handler through `--test-scheduled`) against the emulator's Citrix Cloud API. The
//! emulator's demo client starts with a secret 10 days from expiry, inside the default 14-day
//! window. Later tests get a secret that close to expiry again by having an admin rotate while
//! the emulator's clock is set back 80 days: the new secret is then issued 80 days ago, as if
//! that time had passed. `-- NAME` runs the tests whose name contains NAME.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use portal_e2e::Result;
use portal_e2e::stack::{Options, Stack};
use portal_e2e::suite::{self, Context, Test, check};
use portal_e2e::visitor::{Visitor, status_json};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use workspace_emulator::{Fault, FaultKind, Hosts, Settings, demo};

/// Days the demo client's secret has left when the emulator starts.
const DAYS_LEFT: u64 = 10;
/// The cron of wrangler.toml.
const CRON: &str = "17 3 * * *";
const DAY: i64 = 86_400;

struct Ctx {
    stack: Mutex<Stack>,
    portal: String,
    hosts: Hosts,
    http: reqwest::Client,
}

type Case = (&'static str, Test<Ctx>);

fn configured_tests() -> Vec<Case> {
    vec![
        ("admin_endpoints_need_a_signed_in_admin", |c| {
            Box::pin(admin_endpoints_need_a_signed_in_admin(c))
        }),
        (
            "full_cycle_rotates_before_expiry_and_expires_the_old_secret",
            |c| Box::pin(full_cycle(c)),
        ),
        ("admin_rotate_now_and_expire_old_now", |c| {
            Box::pin(admin_rotate_now_and_expire_old_now(c))
        }),
        ("fault_cloud_api_token_call_fails", |c| {
            Box::pin(fault_cloud_api_token_call_fails(c))
        }),
        ("fault_rpclients_answer_is_malformed", |c| {
            Box::pin(fault_rpclients_answer_is_malformed(c))
        }),
        ("fault_rotation_call_fails", |c| {
            Box::pin(fault_rotation_call_fails(c))
        }),
        ("fault_expire_old_call_fails", |c| {
            Box::pin(fault_expire_old_call_fails(c))
        }),
        ("fault_citrix_cloud_down_during_a_step", |c| {
            Box::pin(fault_citrix_cloud_down_during_a_step(c))
        }),
        ("fault_new_secret_lost_after_rotation_is_recovered", |c| {
            Box::pin(fault_new_secret_lost_after_rotation(c))
        }),
        (
            "fault_citrix_cloud_restarts_and_forgets_the_rotated_secret",
            |c| Box::pin(fault_citrix_cloud_restarts(c)),
        ),
        ("rotation_under_load_loses_no_request", |c| {
            Box::pin(rotation_under_load_loses_no_request(c))
        }),
        (
            "disabled_or_deleted_client_is_shown_to_admins_and_users",
            |c| Box::pin(disabled_or_deleted_client(c)),
        ),
    ]
}

fn unconfigured_tests() -> Vec<Case> {
    vec![("not_configured_shows_what_to_set", |c| {
        Box::pin(not_configured_shows_what_to_set(c))
    })]
}

async fn start(configured: bool) -> Result<Ctx> {
    // Without rotation the admin states the secret's expiry, here five days away.
    let expires = portal_shared::time::utc_date(unix_now() + 5 * portal_shared::time::DAY_SECS);
    let extra = [("CLIENT_SECRET_EXPIRES", Some(expires.as_str()))];
    let extra: &[(&str, Option<&str>)] = if configured { &[] } else { &extra };
    let stack = Stack::spawn(Options {
        settings: extra,
        secret_days_left: Some(DAYS_LEFT as u32),
        without_rotation: !configured,
        ..Options::default()
    })
    .await?;
    Ok(Ctx {
        portal: stack.portal.clone(),
        hosts: stack.emulator.hosts(),
        stack: Mutex::new(stack),
        http: reqwest::Client::new(),
    })
}

impl Context for Ctx {
    fn wrangler_log(&self) -> String {
        self.stack
            .try_lock()
            .map(|s| s.wrangler_log())
            .unwrap_or_default()
    }

    async fn stop(self) {
        self.stack.into_inner().stop().await
    }
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    // A test may hold the stack (to restart the emulator); reset only what is free.
    let reset = |c: &Ctx| {
        if let Ok(stack) = c.stack.try_lock() {
            stack.reset();
        }
    };
    vec![
        suite::run_on("rotation", configured_tests(), start(true), reset).await,
        suite::run_on("rotation", unconfigured_tests(), start(false), reset).await,
    ]
}

// ------------------------------------------------------------------------------------ helpers

async fn signed_in(ctx: &Ctx, user: usize) -> Result<Visitor> {
    let v = Visitor::new(&ctx.portal);
    let u = &demo::USERS[user];
    v.sign_in(u.username, u.password).await?;
    Ok(v)
}

/// Bob, the admin (`ADMIN_USERS=bob`).
async fn bob(ctx: &Ctx) -> Result<Visitor> {
    signed_in(ctx, 1).await
}

async fn status(admin: &Visitor) -> Result<Value> {
    let (code, body) = status_json(admin.get("/api/admin/secret").await?).await;
    check(code == 200, || {
        format!("GET /api/admin/secret: {code} {body}")
    })?;
    Ok(body)
}

async fn admin_post(admin: &Visitor, action: &str) -> Result<(u16, Value)> {
    Ok(status_json(
        admin
            .send(Method::POST, &format!("/api/admin/secret/{action}"))
            .await?,
    )
    .await)
}

/// Runs the cron handler, as the daily trigger does.
async fn cron(ctx: &Ctx) -> Result<()> {
    let r = ctx
        .http
        .get(format!("{}/__scheduled", ctx.portal))
        .query(&[("cron", CRON)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let code = r.status();
    let text = r.text().await.unwrap_or_default();
    check(code == 200 && text.contains("Ran scheduled event"), || {
        format!("/__scheduled: {code} {text}")
    })
}

/// Sign-in works, the catalogue loads, and so does a refresh forced by the store refusing the
/// access token.
async fn sign_in_and_refresh_work(ctx: &Ctx) -> Result<()> {
    let v = signed_in(ctx, 0).await?;
    let (code, body) = status_json(v.get("/api/resources").await?).await;
    check(code == 200, || {
        format!("catalogue after sign-in: {code} {body}")
    })?;
    revoke_access(ctx, "alice").await?;
    let (code, body) = status_json(v.get("/api/resources").await?).await;
    check(code == 200, || {
        format!("catalogue after a refresh: {code} {body}")
    })
}

async fn revoke_access(ctx: &Ctx, user: &str) -> Result<()> {
    let r = ctx
        .http
        .post(format!("{}/_emulator/revoke", ctx.hosts.customer))
        .json(&json!({"user": user, "access_only": true}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status() == 200, || format!("revoke: {}", r.status()))
}

async fn inject(ctx: &Ctx, path: &str, method: &str, kind: FaultKind) {
    ctx.stack.lock().await.emulator.inject(Fault {
        path: path.into(),
        method: Some(method.into()),
        kind,
        times: None,
    });
}

async fn clear_faults(ctx: &Ctx) {
    ctx.stack.lock().await.emulator.clear_faults();
}

async fn settings(ctx: &Ctx, change: impl FnOnce(&mut Settings)) {
    let stack = ctx.stack.lock().await;
    let mut s = stack.emulator.settings();
    change(&mut s);
    stack.emulator.set_settings(s);
}

/// Brings the machine to idle with a current secret `DAYS_LEFT` days from expiry, inside the
/// rotation window: unless it is there already, an admin rotates while Citrix Cloud's clock is
/// 80 days behind, and the old secret is expired once the new one worked.
async fn due(ctx: &Ctx, admin: &Visitor) -> Result<()> {
    let s = status(admin).await?;
    if phase(&s) == "idle" && str_at(&s, "/nextAction/kind") == "rotateAtNextRun" {
        return Ok(());
    }
    settings(ctx, |s| {
        s.clock_offset_secs = -(90 - DAYS_LEFT as i64) * DAY;
    })
    .await;
    let rotated = admin_post(admin, "rotate").await;
    settings(ctx, |s| s.clock_offset_secs = 0).await;
    let (code, s) = rotated?;
    check(code == 200 && phase(&s) == "overlap", || {
        format!("rotate now (to make the secret due): {code} {s}")
    })?;
    sign_in_and_refresh_work(ctx).await?;
    let (code, s) = admin_post(admin, "expire-old").await?;
    check(
        code == 200
            && phase(&s) == "idle"
            && s["currentDaysLeft"] == json!(DAYS_LEFT)
            && str_at(&s, "/nextAction/kind") == "rotateAtNextRun",
        || format!("expected a due secret: {code} {s}"),
    )
}

/// Citrix Cloud back to its seed: the demo client's secret `DAYS_LEFT` days from expiry.
async fn restart_emulator(ctx: &Ctx) -> Result<()> {
    ctx.stack.lock().await.restart_emulator().await
}

/// Whether Citrix Cloud holds an old secret for the portal's client.
async fn citrix_has_old_secret(ctx: &Ctx) -> Result<bool> {
    let stack = ctx.stack.lock().await;
    let client = stack
        .emulator
        .client(demo::CLIENT_ID)
        .ok_or("the demo client is gone")?;
    Ok(client.old_secret.is_some())
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The last run failed at `stage` (its name on the wire).
fn failed_at(status: &Value, stage: &str) -> Result<()> {
    check(
        str_at(status, "/lastRun/result/kind") == "failed"
            && str_at(status, "/lastRun/result/stage") == stage
            && !str_at(status, "/lastRun/result/error").is_empty(),
        || format!("expected a run failed at {stage}: {status}"),
    )
}

/// The admin's command ran and was refused, for `refusal` (its kind on the wire).
fn refused(code: u16, status: &Value, refusal: &str) -> Result<()> {
    check(
        code == 200
            && str_at(status, "/lastRun/result/kind") == "refused"
            && str_at(status, "/lastRun/result/refusal/kind") == refusal,
        || format!("expected a run refused for {refusal}: {code} {status}"),
    )
}

fn phase(status: &Value) -> &str {
    str_at(status, "/phase")
}

/// After a successful rotation: overlap, a 90-day secret, the old one's `DAYS_LEFT`.
fn rotated(status: &Value) -> Result<()> {
    check(
        phase(status) == "overlap"
            && status["currentDaysLeft"] == json!(90)
            && status["oldDaysLeft"] == json!(DAYS_LEFT)
            && str_at(status, "/lastRun/result/kind") == "rotated"
            && status["lastRotationAt"].is_u64(),
        || format!("expected a fresh rotation: {status}"),
    )
}

/// From a fresh emulator, runs a step and expects the rotation.
async fn cron_rotates(ctx: &Ctx, admin: &Visitor) -> Result<Value> {
    cron(ctx).await?;
    let s = status(admin).await?;
    rotated(&s)?;
    check(citrix_has_old_secret(ctx).await?, || {
        "Citrix Cloud shows no old secret after the rotation".into()
    })?;
    Ok(s)
}

/// Signs in until the new secret has proven itself, then a step expires the old one.
async fn prove_and_expire(ctx: &Ctx, admin: &Visitor) -> Result<()> {
    for _ in 0..3 {
        sign_in_and_refresh_work(ctx).await?;
    }
    let s = status(admin).await?;
    check(
        str_at(&s, "/nextAction/kind") == "expireOldAtNextRun",
        || format!("expected the old secret to be due for expiry: {s}"),
    )?;
    cron(ctx).await?;
    let s = status(admin).await?;
    check(
        phase(&s) == "idle" && s["oldExpiresAt"].is_null() && s["currentDaysLeft"] == json!(90),
        || format!("expected idle with the new secret only: {s}"),
    )?;
    check(!citrix_has_old_secret(ctx).await?, || {
        "Citrix Cloud still holds the old secret".into()
    })?;
    // Only the new secret works now: sign-in proves the portal uses it.
    sign_in_and_refresh_work(ctx).await
}

// -------------------------------------------------------------------------------------- tests

async fn admin_endpoints_need_a_signed_in_admin(ctx: &Ctx) -> Result<()> {
    let anonymous = Visitor::new(&ctx.portal);
    for (method, path) in [
        (Method::GET, "/api/admin/secret"),
        (Method::POST, "/api/admin/secret/rotate"),
        (Method::POST, "/api/admin/secret/expire-old"),
    ] {
        let (code, body) = status_json(anonymous.send(method.clone(), path).await?).await;
        check(code == 401 && body["code"] == "unauthenticated", || {
            format!("signed out {method} {path}: {code} {body}")
        })?;
    }
    let alice = signed_in(ctx, 0).await?;
    let (code, body) = status_json(alice.get("/api/admin/secret").await?).await;
    check(code == 403 && body["code"] == "forbidden", || {
        format!("alice GET: {code} {body}")
    })?;
    for action in ["rotate", "expire-old"] {
        let (code, body) = admin_post(&alice, action).await?;
        check(code == 403 && body["code"] == "forbidden", || {
            format!("alice POST {action}: {code} {body}")
        })?;
    }
    let bob = bob(ctx).await?;
    // CSRF: the header is required on the admin actions too.
    let (code, body) = status_json(
        bob.request(Method::POST, "/api/admin/secret/rotate", &[])
            .await?,
    )
    .await;
    check(code == 403 && body["code"] == "csrf_rejected", || {
        format!("POST without CSRF header: {code} {body}")
    })?;
    let s = status(&bob).await?;
    check(
        s["rotationConfigured"] == json!(true)
            && str_at(&s, "/nextAction/kind") == "firstRead"
            && s["rotateNow"]["allowed"] == json!(true)
            && !s.to_string().contains(demo::CLIENT_SECRET),
        || format!("status before the first read: {s}"),
    )?;
    // An admin's command runs a whole step: it reads the client first.
    let (code, body) = admin_post(&bob, "expire-old").await?;
    refused(code, &body, "noOldSecret")?;
    let s = status(&bob).await?;
    check(
        s["clientName"] == json!(demo::CLIENT_NAME)
            && s["currentDaysLeft"] == json!(DAYS_LEFT)
            && str_at(&s, "/nextAction/kind") == "rotateAtNextRun"
            && str_at(&s, "/lastRun/command") == "expireOldNow",
        || format!("status after the first read: {s}"),
    )
}

async fn full_cycle(ctx: &Ctx) -> Result<()> {
    let token_calls_before = ctx
        .stack
        .lock()
        .await
        .emulator
        .transaction_log()
        .iter()
        .filter(|r| r.path.starts_with("/cctrustoauth2/"))
        .count();
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    sign_in_and_refresh_work(ctx).await?;
    // The cron's first step reads the client: 10 days left, inside the 14-day window: rotate.
    let s = cron_rotates(ctx, &admin).await?;
    check(
        s["clientName"] == json!(demo::CLIENT_NAME)
            && s["enabled"] == json!(true)
            && s["problem"].is_null()
            && str_at(&s, "/nextAction/kind") == "expireOldAfter"
            && s["nextAction"]["successes"] == json!(3)
            && s["expireOldNow"]["allowed"] == json!(false),
        || format!("status after the rotation: {s}"),
    )?;
    // Sign-ins now use the new secret (each counts towards its proof).
    sign_in_and_refresh_work(ctx).await?;
    let s = status(&admin).await?;
    check(s["successesWithCurrent"].as_u64() >= Some(2), || {
        format!("sign-in and refresh did not use the new secret: {s}")
    })?;
    // A step before the proof is complete does nothing.
    let mut s = s;
    while s["successesWithCurrent"].as_u64() < Some(2) {
        sign_in_and_refresh_work(ctx).await?;
        s = status(&admin).await?;
    }
    if s["successesWithCurrent"].as_u64() == Some(2) {
        cron(ctx).await?;
        let s = status(&admin).await?;
        check(
            phase(&s) == "overlap" && citrix_has_old_secret(ctx).await?,
            || format!("the old secret was expired before the new one proved itself: {s}"),
        )?;
    }
    prove_and_expire(ctx, &admin).await?;
    let s = status(&admin).await?;
    check(
        str_at(&s, "/nextAction/kind") == "rotateIn" && s["nextAction"]["days"] == json!(76),
        || format!("expected the next rotation in 76 days: {s}"),
    )?;
    // The Citrix Cloud API token is kept for its lifetime: at most one for the whole cycle.
    let token_calls = ctx
        .stack
        .lock()
        .await
        .emulator
        .transaction_log()
        .iter()
        .filter(|r| r.path.starts_with("/cctrustoauth2/"))
        .count()
        - token_calls_before;
    check(token_calls <= 1, || {
        format!("{token_calls} Citrix Cloud API tokens for one cycle")
    })?;
    let stack = ctx.stack.lock().await;
    for line in [
        "client secret: run started (scheduled step)",
        "client secret: rotated and saved the new secret",
        "client secret: expired the old secret in Citrix Cloud: idle",
    ] {
        stack.log_with(line).await?;
    }
    let log = stack.wrangler_log();
    check(!log.contains(demo::CLIENT_SECRET), || {
        "the log shows the client secret".into()
    })
}

async fn admin_rotate_now_and_expire_old_now(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    cron_rotates(ctx, &admin).await?;
    prove_and_expire(ctx, &admin).await?;
    // Idle, 90 days left: only an admin rotates now.
    let (code, s) = admin_post(&admin, "expire-old").await?;
    refused(code, &s, "noOldSecret")?;
    let (code, s) = admin_post(&admin, "rotate").await?;
    check(
        code == 200
            && phase(&s) == "overlap"
            && str_at(&s, "/lastRun/command") == "rotateNow"
            && s["currentDaysLeft"] == json!(90),
        || format!("rotate now: {code} {s}"),
    )?;
    let (code, s) = admin_post(&admin, "expire-old").await?;
    refused(code, &s, "currentUnproven")?;
    sign_in_and_refresh_work(ctx).await?;
    let (code, s) = admin_post(&admin, "expire-old").await?;
    check(
        code == 200 && phase(&s) == "idle" && s["oldExpiresAt"].is_null(),
        || format!("expire old now: {code} {s}"),
    )?;
    check(!citrix_has_old_secret(ctx).await?, || {
        "Citrix Cloud still holds the old secret".into()
    })?;
    sign_in_and_refresh_work(ctx).await
}

/// A step fails at `what` while `fault` holds; sign-in works; without it the next step rotates.
async fn step_fails_then_resumes(
    ctx: &Ctx,
    fault: (&str, &str, FaultKind),
    what: &str,
) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    if what == "cloudToken" {
        // The worker keeps its Citrix Cloud API token for an hour: two hours later on Citrix
        // Cloud's clock it has expired, so the step needs a new one.
        settings(ctx, |s| s.clock_offset_secs = 2 * 3600).await;
    }
    inject(ctx, fault.0, fault.1, fault.2).await;
    cron(ctx).await?;
    let s = status(&admin).await?;
    failed_at(&s, what)?;
    check(
        phase(&s) == "idle" && !citrix_has_old_secret(ctx).await?,
        || format!("a failed step changed the secrets: {s}"),
    )?;
    check(
        str_at(&s, "/alert/kind") == "expiresAfterFailedRun" && str_at(&s, "/alert/stage") == what,
        || format!("a failed run inside the window needs an alert: {s}"),
    )?;
    sign_in_and_refresh_work(ctx).await?;
    clear_faults(ctx).await;
    settings(ctx, |s| s.clock_offset_secs = 0).await;
    sign_in_and_refresh_work(ctx).await?;
    cron_rotates(ctx, &admin).await?;
    sign_in_and_refresh_work(ctx).await
}

async fn fault_cloud_api_token_call_fails(ctx: &Ctx) -> Result<()> {
    let path = format!("/cctrustoauth2/{}/tokens/clients", demo::CUSTOMER_ID);
    step_fails_then_resumes(
        ctx,
        (&path, "POST", FaultKind::Status { status: 503 }),
        "cloudToken",
    )
    .await
}

async fn fault_rpclients_answer_is_malformed(ctx: &Ctx) -> Result<()> {
    let path = format!("/{}/rpclients", demo::CUSTOMER_ID);
    step_fails_then_resumes(ctx, (&path, "GET", FaultKind::MalformedJson), "listClients").await
}

async fn fault_rotation_call_fails(ctx: &Ctx) -> Result<()> {
    let path = format!(
        "/{}/rpclients/{}/$rotateSecret",
        demo::CUSTOMER_ID,
        demo::CLIENT_NAME
    );
    step_fails_then_resumes(
        ctx,
        (&path, "POST", FaultKind::Status { status: 500 }),
        "rotate",
    )
    .await
}

async fn fault_expire_old_call_fails(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    cron_rotates(ctx, &admin).await?;
    for _ in 0..3 {
        sign_in_and_refresh_work(ctx).await?;
    }
    let path = format!(
        "/{}/rpclients/{}/$expireOldSecret",
        demo::CUSTOMER_ID,
        demo::CLIENT_NAME
    );
    inject(ctx, &path, "POST", FaultKind::Status { status: 500 }).await;
    cron(ctx).await?;
    let s = status(&admin).await?;
    failed_at(&s, "expireOld")?;
    check(
        phase(&s) == "overlap" && str_at(&s, "/nextAction/kind") == "expireOldAtNextRun",
        || format!("after a failed expire-old: {s}"),
    )?;
    sign_in_and_refresh_work(ctx).await?;
    clear_faults(ctx).await;
    cron(ctx).await?;
    let s = status(&admin).await?;
    check(
        phase(&s) == "idle" && !citrix_has_old_secret(ctx).await?,
        || format!("the next run did not expire the old secret: {s}"),
    )?;
    sign_in_and_refresh_work(ctx).await
}

async fn fault_citrix_cloud_down_during_a_step(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    ctx.stack.lock().await.emulator.go_down();
    cron(ctx).await?;
    let s = status(&admin).await?;
    check(str_at(&s, "/lastRun/result/kind") == "failed", || {
        format!("a step with Citrix Cloud down: {s}")
    })?;
    ctx.stack
        .lock()
        .await
        .emulator
        .come_back()
        .await
        .map_err(|e| e.to_string())?;
    sign_in_and_refresh_work(ctx).await?;
    check(!citrix_has_old_secret(ctx).await?, || {
        "a failed step rotated".into()
    })?;
    cron_rotates(ctx, &admin).await?;
    sign_in_and_refresh_work(ctx).await
}

/// `$rotateSecret` straight at Citrix Cloud: the portal never learns the new secret, which is
/// exactly what a rotation whose store write failed leaves behind.
async fn rotate_behind_the_portals_back(ctx: &Ctx) -> Result<()> {
    let token: Value = ctx
        .http
        .post(format!(
            "{}/cctrustoauth2/{}/tokens/clients",
            ctx.hosts.trust,
            demo::CUSTOMER_ID
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLOUD_CLIENT_ID),
            ("client_secret", demo::CLOUD_CLIENT_SECRET),
        ])
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let r = ctx
        .http
        .post(format!(
            "{}/{}/rpclients/{}/$rotateSecret",
            ctx.hosts.cws,
            demo::CUSTOMER_ID,
            demo::CLIENT_NAME
        ))
        .header(
            "Authorization",
            format!("CWSAuth bearer={}", str_at(&token, "/access_token")),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status() == 200, || {
        format!("$rotateSecret: {}", r.status())
    })
}

async fn fault_new_secret_lost_after_rotation(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    sign_in_and_refresh_work(ctx).await?;
    rotate_behind_the_portals_back(ctx).await?;
    // The portal's secret is Citrix Cloud's old one now: it keeps working.
    sign_in_and_refresh_work(ctx).await?;
    // The next run sees the newer secret it does not hold, and since its own is due, rotates
    // again and saves that one (which deletes the portal's former secret in Citrix Cloud).
    cron(ctx).await?;
    let s = status(&admin).await?;
    check(
        phase(&s) == "overlap"
            && s["currentDaysLeft"] == json!(90)
            && str_at(&s, "/lastRun/result/kind") == "rotated"
            && s["alert"].is_null(),
        || format!("the lost secret was not recovered: {s}"),
    )?;
    ctx.stack
        .lock()
        .await
        .log_with("Citrix Cloud holds a newer secret")
        .await?;
    sign_in_and_refresh_work(ctx).await?;
    prove_and_expire(ctx, &admin).await
}

async fn fault_citrix_cloud_restarts(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    // Citrix Cloud restarts and forgets every secret the portal rotated: CLIENT_SECRET is the
    // one it knows again, and sign-in falls back to it.
    restart_emulator(ctx).await?;
    sign_in_and_refresh_work(ctx).await?;
    ctx.stack
        .lock()
        .await
        .log_with("CLIENT_SECRET is now the current secret")
        .await?;
    // The next run matches it to Citrix Cloud's list (10 days left) and rotates it.
    cron_rotates(ctx, &admin).await?;
    sign_in_and_refresh_work(ctx).await?;
    prove_and_expire(ctx, &admin).await
}

async fn rotation_under_load_loses_no_request(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    due(ctx, &admin).await?;
    // Access tokens of a second: the second catalogue of each round, a second after the
    // first, refreshes.
    settings(ctx, |s| s.access_token_ttl_secs = 1).await;
    let refreshes_before = ctx.stack.lock().await.emulator.refresh_requests();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut loops = Vec::new();
    for n in 0..4 {
        let (stop, done, failures) = (stop.clone(), done.clone(), failures.clone());
        let portal = ctx.portal.clone();
        loops.push(tokio::spawn(async move {
            let u = &demo::USERS[n % 2];
            while !stop.load(Ordering::Relaxed) {
                let outcome: Result<()> = async {
                    let v = Visitor::new(&portal);
                    v.sign_in(u.username, u.password).await?;
                    for round in 0..2 {
                        if round > 0 {
                            tokio::time::sleep(Duration::from_millis(1100)).await;
                        }
                        let (code, body) = status_json(v.get("/api/resources").await?).await;
                        check(code == 200, || {
                            format!("{} catalogue: {code} {body}", u.username)
                        })?;
                    }
                    Ok(())
                }
                .await;
                match outcome {
                    Ok(()) => done.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        failures.lock().unwrap().push(e);
                        0
                    }
                };
            }
        }));
    }
    let pause = tokio::time::sleep;
    pause(Duration::from_millis(1500)).await;
    cron(ctx).await?;
    let rotated_status = status(&admin).await?;
    // The old secret may go once the new one has proven itself (three token calls): the load
    // does that, as fast as the machine allows; then the next run expires it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let s = status(&admin).await?;
        if str_at(&s, "/nextAction/kind") == "expireOldAtNextRun" {
            break;
        }
        pause(Duration::from_millis(200)).await;
    }
    cron(ctx).await?;
    let expired_status = status(&admin).await?;
    // Some load after it too, and at least 8 rounds in all.
    pause(Duration::from_millis(1500)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while done.load(Ordering::Relaxed) < 8 && std::time::Instant::now() < deadline {
        pause(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for l in loops {
        l.await.map_err(|e| e.to_string())?;
    }
    let failures = failures.lock().unwrap().clone();
    let rounds = done.load(Ordering::Relaxed);
    check(failures.is_empty(), || {
        format!(
            "{} of {} rounds failed: {:?}",
            failures.len(),
            rounds + failures.len(),
            failures
        )
    })?;
    check(rounds >= 8, || {
        format!("only {rounds} rounds of sign-in and refresh")
    })?;
    let refreshes = ctx.stack.lock().await.emulator.refresh_requests() - refreshes_before;
    check(refreshes >= rounds, || {
        format!("only {refreshes} refreshes in {rounds} rounds")
    })?;
    rotated(&rotated_status)?;
    check(
        phase(&expired_status) == "idle" && !citrix_has_old_secret(ctx).await?,
        || format!("the old secret was not expired under load: {expired_status}"),
    )?;
    eprintln!(
        "  {rounds} rounds (sign-in, 2 catalogues), {refreshes} refreshes during rotate and expire-old"
    );
    Ok(())
}

async fn disabled_or_deleted_client(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    let alice = signed_in(ctx, 0).await?;
    let client_admin = |action: &str| {
        ctx.http
            .post(format!(
                "{}/admin/api/clients/{}/{action}",
                ctx.hosts.customer,
                demo::CLIENT_ID
            ))
            .send()
    };
    let r = client_admin("disable").await.map_err(|e| e.to_string())?;
    check(r.status().is_success(), || {
        format!("disable: {}", r.status())
    })?;
    // A refresh is refused with every secret: users are told what is wrong and whom to tell.
    revoke_access(ctx, "alice").await?;
    let (code, body) = status_json(alice.get("/api/resources").await?).await;
    let message = str_at(&body, "/message").to_owned();
    check(
        code == 503
            && body["code"] == "client_unusable"
            && message.contains("disabled")
            && message.contains("administrator"),
        || format!("refresh with a disabled client: {code} {body}"),
    )?;
    // The next run reads it: admins see it, and users get the precise reason.
    cron(ctx).await?;
    let s = status(&admin).await?;
    check(
        s["enabled"] == json!(false)
            && !s["problem"].is_null()
            && str_at(&s, "/nextAction/kind") == "clientUnusable"
            && str_at(&s, "/problem/kind") == "disabled"
            && str_at(&s, "/alert/kind") == "clientUnusable"
            && str_at(&s, "/alert/problem/kind") == "disabled",
        || format!("status of a disabled client: {s}"),
    )?;
    let (code, body) = admin_post(&admin, "rotate").await?;
    refused(code, &body, "clientUnusable")?;
    check(
        str_at(&body, "/lastRun/result/refusal/problem/kind") == "disabled",
        || format!("rotate with a disabled client: {body}"),
    )?;
    // The same session's next refresh says precisely what is wrong.
    let (code, body) = status_json(alice.get("/api/resources").await?).await;
    check(
        code == 503 && str_at(&body, "/message").contains("is disabled in Citrix Cloud"),
        || format!("refresh once the client is known disabled: {code} {body}"),
    )?;
    let r = client_admin("enable").await.map_err(|e| e.to_string())?;
    check(r.status().is_success(), || {
        format!("enable: {}", r.status())
    })?;
    cron(ctx).await?;
    let s = status(&admin).await?;
    check(
        s["problem"].is_null() && s["enabled"] == json!(true),
        || format!("status once enabled again: {s}"),
    )?;
    sign_in_and_refresh_work(ctx).await?;

    // Deleted: Citrix Cloud lists no client with the portal's id.
    let r = ctx
        .http
        .delete(format!(
            "{}/admin/api/clients/{}",
            ctx.hosts.customer,
            demo::CLIENT_ID
        ))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status().is_success(), || {
        format!("delete: {}", r.status())
    })?;
    cron(ctx).await?;
    let s = status(&admin).await?;
    check(
        !s["problem"].is_null()
            && str_at(&s, "/nextAction/kind") == "clientUnusable"
            && str_at(&s, "/problem/kind") == "missing",
        || format!("status of a deleted client: {s}"),
    )?;
    restart_emulator(ctx).await?;
    sign_in_and_refresh_work(ctx).await
}

async fn not_configured_shows_what_to_set(ctx: &Ctx) -> Result<()> {
    let admin = bob(ctx).await?;
    sign_in_and_refresh_work(ctx).await?;
    let s = status(&admin).await?;
    check(
        s["rotationConfigured"] == json!(false)
            && str_at(&s, "/nextAction/kind") == "notConfigured"
            && s["rotateNow"]["allowed"] == json!(false)
            && str_at(&s, "/rotateNow/reason/kind") == "notConfigured"
            && s["expireOldNow"]["allowed"] == json!(false)
            && s["successesWithCurrent"].as_u64() >= Some(1),
        || format!("status without rotation: {s}"),
    )?;
    for action in ["rotate", "expire-old"] {
        let (code, body) = admin_post(&admin, action).await?;
        let message = str_at(&body, "/message");
        check(
            code == 409
                && body["code"] == "conflict"
                && [
                    "CUSTOMER_ID",
                    "CWS_API_URL",
                    "CC_TRUST_URL",
                    "CC_CLIENT_ID",
                    "CC_CLIENT_SECRET",
                ]
                .iter()
                .all(|v| message.contains(v)),
            || format!("{action} without rotation: {code} {body}"),
        )?;
    }
    cron(ctx).await?;
    ctx.stack
        .lock()
        .await
        .log_with("Rotation is not configured")
        .await?;
    let s = status(&admin).await?;
    check(s["lastRun"].is_null(), || format!("a run happened: {s}"))?;
    // CLIENT_SECRET_EXPIRES is five days away: admins are warned.
    check(
        str_at(&s, "/alert/kind") == "expiresUnrotated"
            && s["currentDaysLeft"]
                .as_u64()
                .is_some_and(|d| (4..=5).contains(&d)),
        || format!("no expiry warning without rotation: {s}"),
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
