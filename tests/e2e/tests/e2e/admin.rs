//! Browser journeys of the admin page (issues 5 and 6): the client secret's status, "rotate now"
//! and "expire old secret now" against the emulator's Citrix Cloud API, banners for admins, the
//! page for non-admins, and a portal without the rotation settings. As in the rotation suite,
//! the demo client's secret starts 10 days from expiry. The configured tests run in order on one
//! stack (each continues from the secret the previous one left). `-- NAME` runs the tests whose
//! name contains NAME.

use std::time::Duration;

use portal_e2e::Result;
use portal_e2e::axe::{axe, color_scheme};
use portal_e2e::cdp::{Browser, Page, js_str};
use portal_e2e::stack::{Options, Stack, root};
use portal_e2e::suite::{self, Context, Test, check};
use portal_e2e::visitor::{Visitor, status_json};
use portal_shared::time::utc_date;
use reqwest::Method;
use serde_json::Value;
use workspace_emulator::{Fault, FaultKind, demo};

/// Days the demo client's secret has left when the emulator starts.
const DAYS_LEFT: u64 = 10;
/// The cron of wrangler.toml.
const CRON: &str = "17 3 * * *";
const WAIT: Duration = Duration::from_secs(20);
const ALICE: usize = 0;
const BOB: usize = 1;

struct Ctx {
    stack: Stack,
    browser: Browser,
    http: reqwest::Client,
}

type Case = (&'static str, Test<Ctx>);

fn configured_tests() -> Vec<Case> {
    vec![
        ("bob_sees_the_link_and_the_clients_state", |c| {
            Box::pin(bob_sees_the_link_and_the_clients_state(c))
        }),
        (
            "rotate_now_then_expire_old_once_the_new_secret_worked",
            |c| Box::pin(rotate_now_then_expire_old_once_the_new_secret_worked(c)),
        ),
        ("a_refused_action_says_why", |c| {
            Box::pin(a_refused_action_says_why(c))
        }),
        ("a_failed_run_says_so_with_its_error", |c| {
            Box::pin(a_failed_run_says_so_with_its_error(c))
        }),
        ("alice_gets_no_link_no_banner_and_a_not_allowed_page", |c| {
            Box::pin(alice_gets_no_link_no_banner_and_a_not_allowed_page(c))
        }),
        (
            "a_disabled_client_is_a_banner_on_the_catalogue_and_the_admin_page",
            |c| Box::pin(a_disabled_client_is_a_banner_on_the_catalogue_and_the_admin_page(c)),
        ),
    ]
}

fn unconfigured_tests() -> Vec<Case> {
    vec![("without_rotation_settings_the_page_says_so", |c| {
        Box::pin(without_rotation_settings_the_page_says_so(c))
    })]
}

async fn start(configured: bool) -> Result<Ctx> {
    let stack = Stack::spawn(Options {
        secret_days_left: Some(DAYS_LEFT as u32),
        without_rotation: !configured,
        ..Options::default()
    })
    .await?;
    let browser = match Browser::launch().await {
        Ok(b) => b,
        Err(e) => {
            stack.stop().await;
            return Err(format!("could not start Chromium: {e}"));
        }
    };
    Ok(Ctx {
        stack,
        browser,
        http: reqwest::Client::new(),
    })
}

impl Context for Ctx {
    fn wrangler_log(&self) -> String {
        self.stack.wrangler_log()
    }

    async fn stop(self) {
        drop(self.browser);
        self.stack.stop().await
    }
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    let reset = |c: &Ctx| c.stack.reset();
    vec![
        suite::run_on("admin", configured_tests(), start(true), reset).await,
        suite::run_on("admin", unconfigured_tests(), start(false), reset).await,
    ]
}

// ------------------------------------------------------------------------------------ helpers

/// A fresh browser context at `path`, signed in as `demo::USERS[user]` through the emulator's
/// login page; back on the portal at `path`.
async fn signed_in<'b>(c: &'b Ctx, user: usize, path: &str) -> Result<Page<'b>> {
    let page = c.browser.new_isolated_page().await?;
    let outcome = async {
        page.goto(&format!("{}{path}", c.stack.portal)).await?;
        sign_in_here(&page, user).await?;
        let here = page.eval("location.pathname").await?;
        check(here.as_str() == Some(path), || {
            format!("signing in at {path} came back to {here}")
        })
    }
    .await;
    match outcome {
        Ok(()) => Ok(page),
        Err(e) => {
            let _ = page.close().await;
            Err(e)
        }
    }
}

async fn sign_in_here(page: &Page<'_>, user: usize) -> Result<()> {
    let u = &demo::USERS[user];
    const LANDED: &str = "[data-testid=admin-page], [data-testid=catalogue], [data-testid=empty]";
    page.click("[data-testid=signin-button]").await?;
    page.wait_for_selector("[data-testid=login-username]", WAIT)
        .await?;
    page.type_into("[data-testid=login-username]", u.username)
        .await?;
    page.type_into("[data-testid=login-password]", u.password)
        .await?;
    page.click("[data-testid=login-submit]").await?;
    page.wait_for_selector(LANDED, WAIT).await
}

/// Runs `body` on a page signed in as `user` at `path`, then closes the page whatever happened.
async fn on_page<'b, F, Fut>(c: &'b Ctx, user: usize, path: &str, body: F) -> Result<()>
where
    F: FnOnce(Page<'b>) -> Fut,
    Fut: std::future::Future<Output = (Page<'b>, Result<()>)>,
{
    let page = signed_in(c, user, path).await?;
    let (page, outcome) = body(page).await;
    let _ = page.close().await;
    outcome
}

fn tid(id: &str) -> String {
    format!("[data-testid={}]", js_str(id))
}

/// Waits until the text of `selector` contains `needle`; on timeout says what it was.
async fn wait_text(page: &Page<'_>, selector: &str, needle: &str) -> Result<()> {
    let condition = format!(
        "(document.querySelector({})?.textContent ?? '').includes({})",
        js_str(selector),
        js_str(needle)
    );
    if let Err(e) = page.wait_for(&condition, WAIT).await {
        let now = page.text(selector).await.unwrap_or_else(|e| e);
        return Err(format!("{e}\n  {selector} says {now:?}"));
    }
    Ok(())
}

/// The admin page's value for a status row, e.g. `current-expiry`.
async fn row(page: &Page<'_>, key: &str) -> Result<String> {
    page.text(&tid(&format!("admin-{key}"))).await
}

async fn expect_row(page: &Page<'_>, key: &str, expected: &str) -> Result<()> {
    wait_text(page, &tid(&format!("admin-{key}")), expected).await?;
    let value = row(page, key).await?;
    check(value == expected, || {
        format!("row {key}: expected {expected:?}, got {value:?}")
    })
}

/// Whether the action's button is (aria-)disabled, and the reason shown under it.
async fn button(page: &Page<'_>, slug: &str) -> Result<(bool, String)> {
    let disabled = page
        .attr(&tid(&format!("{slug}-button")), "aria-disabled")
        .await?;
    let reason = page.text(&tid(&format!("{slug}-reason"))).await?;
    Ok((disabled.as_deref() == Some("true"), reason))
}

async fn wait_enabled(page: &Page<'_>, slug: &str, enabled: bool) -> Result<()> {
    let condition = format!(
        "document.querySelector({})?.getAttribute('aria-disabled') === {}",
        js_str(&tid(&format!("{slug}-button"))),
        js_str(if enabled { "false" } else { "true" })
    );
    page.wait_for(&condition, WAIT).await
}

/// A signed-in visitor over HTTP, for what happens behind the browser's back.
async fn visitor(c: &Ctx, user: usize) -> Result<Visitor> {
    let v = Visitor::new(&c.stack.portal);
    let u = &demo::USERS[user];
    v.sign_in(u.username, u.password).await?;
    Ok(v)
}

async fn api_status(admin: &Visitor) -> Result<Value> {
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

/// `YYYY-MM-DD (N days left)` of an expiry the worker reports at `pointer`.
fn expiry(status: &Value, pointer: &str, days: u64) -> Result<String> {
    let at = status
        .pointer(pointer)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no {pointer} in {status}"))?;
    Ok(format!("{} ({days} days left)", utc_date(at)))
}

/// Runs the cron handler, as the daily trigger does.
async fn cron(c: &Ctx) -> Result<()> {
    let r = c
        .http
        .get(format!("{}/__scheduled", c.stack.portal))
        .query(&[("cron", CRON)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status() == 200, || {
        format!("/__scheduled: {}", r.status())
    })
}

/// Enables or disables the portal's client in Citrix Cloud (the emulator's admin API).
async fn client_admin(c: &Ctx, action: &str) -> Result<()> {
    let r = c
        .http
        .post(format!(
            "{}/admin/api/clients/{}/{action}",
            c.stack.emulator.url(),
            demo::CLIENT_ID
        ))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status().is_success(), || {
        format!("{action} the client: {}", r.status())
    })
}

/// Axe in light and dark on the page as it is; `what` names it in the findings.
async fn audit(page: &Page<'_>, what: &str, problems: &mut Vec<String>) -> Result<()> {
    for scheme in ["light", "dark"] {
        color_scheme(page, scheme).await?;
        for v in axe(page).await? {
            problems.push(format!("{scheme} {what}: {v}"));
        }
    }
    color_scheme(page, "light").await
}

// -------------------------------------------------------------------------------------- tests

async fn bob_sees_the_link_and_the_clients_state(c: &Ctx) -> Result<()> {
    on_page(c, BOB, "/", |page| async move {
        let outcome = async {
            page.wait_for_selector(&tid("admin-link"), WAIT).await?;
            page.click(&tid("admin-link")).await?;
            page.wait_for_selector(&tid("admin-status"), WAIT).await?;
            let (path, title) = (
                page.eval("location.pathname").await?,
                page.eval("document.title").await?,
            );
            check(
                path == "/admin"
                    && title
                        .as_str()
                        .is_some_and(|t| t.starts_with("Client secret")),
                || format!("the admin page is at {path}, titled {title}"),
            )?;
            let current = page.attr(&tid("admin-link"), "aria-current").await?;
            check(current.as_deref() == Some("page"), || {
                format!("the header's admin link has aria-current={current:?}")
            })?;
            // Before Citrix Cloud was read (a fresh deployment) both actions are offered: the
            // command reads the client first and then decides.
            expect_row(&page, "client", "Not read from Citrix Cloud yet").await?;
            for slug in ["rotate", "expire-old"] {
                let (disabled, reason) = button(&page, slug).await?;
                check(!disabled, || {
                    format!("{slug} before the first read: disabled, {reason:?}")
                })?;
            }

            // An admin's command reads the client first (refused: nothing to expire).
            let bob = visitor(c, BOB).await?;
            let (code, body) = admin_post(&bob, "expire-old").await?;
            check(
                code == 200 && body["lastRun"]["result"]["kind"] == "refused",
                || format!("expire-old: {code} {body}"),
            )?;
            let s = api_status(&bob).await?;
            page.click(&tid("admin-refresh")).await?;
            expect_row(
                &page,
                "client",
                &format!("Workspace Portal (local) ({})", demo::CLIENT_NAME),
            )
            .await?;
            let heading = page.text("#status-title").await?;
            check(
                heading.ends_with(&format!("({})", demo::CLIENT_NAME)),
                || format!("the status is headed {heading:?}"),
            )?;
            expect_row(&page, "state", "Enabled").await?;
            expect_row(&page, "rotation", "Configured: a run every day").await?;
            expect_row(&page, "phase", "One secret in use").await?;
            expect_row(
                &page,
                "current-expiry",
                &expiry(&s, "/currentExpiresAt", DAYS_LEFT)?,
            )
            .await?;
            expect_row(&page, "old-expiry", "No old secret").await?;
            expect_row(&page, "next-action", "Rotate at the next run.").await?;
            let last_run = row(&page, "last-run").await?;
            check(last_run.contains("expire old secret now"), || {
                format!("last run: {last_run:?}")
            })?;
            let (disabled, reason) = button(&page, "rotate").await?;
            check(!disabled && reason.is_empty(), || {
                format!("rotate: disabled {disabled}, reason {reason:?}")
            })?;
            let (disabled, reason) = button(&page, "expire-old").await?;
            check(
                disabled && reason == "Not available. There is no old secret to expire.",
                || format!("expire-old: disabled {disabled}, reason {reason:?}"),
            )?;
            let h1 = page.text("h1").await?;
            check(h1 == "Client secret", || format!("h1 {h1:?}"))?;

            // In-app navigation keeps the history: back to the catalogue and forward again.
            page.click(&tid("back-link")).await?;
            page.wait_for_selector("[data-testid=catalogue]", WAIT)
                .await?;
            page.eval("history.back()").await?;
            page.wait_for_selector(&tid("admin-status"), WAIT).await?;
            page.eval("history.back()").await?;
            page.wait_for_selector("[data-testid=catalogue]", WAIT)
                .await?;
            let (path, title) = (
                page.eval("location.pathname").await?,
                page.eval("document.title").await?,
            );
            check(path == "/" && title == "Workspace Portal", || {
                format!("back at {path}, titled {title}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn rotate_now_then_expire_old_once_the_new_secret_worked(c: &Ctx) -> Result<()> {
    // Signed in before the rotation, so its token call counts for the old secret.
    let bob = visitor(c, BOB).await?;
    // Signing in at /admin comes back to /admin.
    on_page(c, BOB, "/admin", |page| async move {
        let outcome = async {
            wait_enabled(&page, "rotate", true).await?;
            let live = (
                page.attr(&tid("admin-message"), "role").await?,
                page.attr(&tid("admin-message"), "aria-live").await?,
            );
            check(
                live == (Some("status".into()), Some("polite".into())),
                || format!("the message region is {live:?}"),
            )?;
            page.click(&tid("rotate-button")).await?;
            wait_text(&page, &tid("admin-message"), "The secret was rotated").await?;
            let tone = page.attr(&tid("admin-message"), "data-tone").await?;
            check(tone.as_deref() == Some("success"), || {
                format!("message tone {tone:?}")
            })?;
            let s = api_status(&bob).await?;
            check(s["phase"] == "overlap", || format!("after rotate now: {s}"))?;
            expect_row(
                &page,
                "current-expiry",
                &expiry(&s, "/currentExpiresAt", 90)?,
            )
            .await?;
            expect_row(
                &page,
                "old-expiry",
                &expiry(&s, "/oldExpiresAt", DAYS_LEFT)?,
            )
            .await?;
            let message = page.text(&tid("admin-message")).await?;
            let new_date = utc_date(s["currentExpiresAt"].as_u64().unwrap_or_default());
            check(message.contains(&new_date), || {
                format!("the message does not say the new expiry {new_date}: {message:?}")
            })?;
            let phase = row(&page, "phase").await?;
            check(phase.starts_with("Overlap"), || format!("phase {phase:?}"))?;
            let rotated_at = row(&page, "last-rotation").await?;
            check(rotated_at.ends_with(" UTC"), || {
                format!("last rotation {rotated_at:?}")
            })?;
            let last_run = row(&page, "last-run").await?;
            check(last_run.ends_with("rotate now: succeeded"), || {
                format!("last run {last_run:?}")
            })?;
            let detail = page.text(&tid("admin-last-run-detail")).await?;
            check(
                detail.contains("Rotated: the new secret expires on"),
                || format!("last run's message {detail:?}"),
            )?;
            // "… sign-ins (or 1, after <the grace period's end>)."
            wait_text(
                &page,
                &tid("admin-next-action"),
                "Expire the old secret after 3 more successful sign-ins",
            )
            .await?;
            // The button just pressed keeps focus: the status updates around it.
            let focused = page
                .eval("document.activeElement?.dataset?.testid ?? null")
                .await?;
            check(focused == "rotate-button", || {
                format!("focus is on {focused} after rotating")
            })?;
            let mut problems = Vec::new();
            audit(&page, "admin page after rotating", &mut problems).await?;
            check(problems.is_empty(), || problems.join("\n  "))?;
            page.screenshot(&root().join("tests/e2e/artifacts/admin-rotated.png"))
                .await?;

            // Nobody has signed in with the new secret yet: expiring the old one is refused.
            let (disabled, reason) = button(&page, "expire-old").await?;
            check(
                disabled && reason.contains("has not been used successfully yet"),
                || format!("expire-old right after rotating: disabled {disabled}, {reason:?}"),
            )?;
            // Pressing the unavailable button sends nothing.
            page.click(&tid("expire-old-button")).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            check(api_status(&bob).await?["phase"] == "overlap", || {
                "the unavailable action expired the old secret".into()
            })?;
            let still = page.text(&tid("admin-message")).await?;
            check(still == message, || {
                format!("the unavailable action changed the message to {still:?}")
            })?;

            // Someone signs in: the new secret has worked.
            visitor(c, ALICE).await?;
            page.click(&tid("admin-refresh")).await?;
            wait_enabled(&page, "expire-old", true).await?;
            let (_, reason) = button(&page, "expire-old").await?;
            check(reason.is_empty(), || {
                format!("reason still shown: {reason:?}")
            })?;
            let successes = row(&page, "successes").await?;
            check(successes.parse::<u32>().is_ok_and(|n| n >= 1), || {
                format!("successes with the current secret: {successes:?}")
            })?;
            page.click(&tid("expire-old-button")).await?;
            wait_text(&page, &tid("admin-message"), "The old secret was expired").await?;
            expect_row(&page, "old-expiry", "No old secret").await?;
            expect_row(&page, "phase", "One secret in use").await?;
            let s = api_status(&bob).await?;
            check(s["phase"] == "idle" && s["oldExpiresAt"].is_null(), || {
                format!("after expire old now: {s}")
            })?;
            let (disabled, reason) = button(&page, "expire-old").await?;
            check(
                disabled && reason.contains("There is no old secret to expire"),
                || format!("expire-old after expiring: disabled {disabled}, {reason:?}"),
            )
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn a_refused_action_says_why(c: &Ctx) -> Result<()> {
    let bob = visitor(c, BOB).await?;
    on_page(c, BOB, "/admin", |page| async move {
        let outcome = async {
            wait_enabled(&page, "rotate", true).await?;
            page.click(&tid("rotate-button")).await?;
            wait_text(&page, &tid("admin-message"), "The secret was rotated").await?;
            visitor(c, ALICE).await?;
            page.click(&tid("admin-refresh")).await?;
            wait_enabled(&page, "expire-old", true).await?;
            // Another admin expires the old secret while this page still offers to.
            let (code, body) = admin_post(&bob, "expire-old").await?;
            check(code == 200, || {
                format!("expire-old behind the page: {code} {body}")
            })?;
            page.click(&tid("expire-old-button")).await?;
            wait_text(
                &page,
                &tid("admin-message"),
                "The old secret was not expired. There is no old secret to expire.",
            )
            .await?;
            let tone = page.attr(&tid("admin-message"), "data-tone").await?;
            check(tone.as_deref() == Some("error"), || {
                format!("message tone {tone:?}")
            })?;
            // The run read Citrix Cloud: the page shows what the other admin did.
            wait_enabled(&page, "expire-old", false).await?;
            expect_row(&page, "old-expiry", "No old secret").await?;
            wait_text(
                &page,
                &tid("expire-old-reason"),
                "There is no old secret to expire",
            )
            .await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn a_failed_run_says_so_with_its_error(c: &Ctx) -> Result<()> {
    on_page(c, BOB, "/admin", |page| async move {
        let outcome = async {
            wait_enabled(&page, "rotate", true).await?;
            c.stack.emulator.inject(Fault {
                path: format!(
                    "/{}/rpclients/{}/$rotateSecret",
                    demo::CUSTOMER_ID,
                    demo::CLIENT_NAME
                ),
                method: Some("POST".into()),
                kind: FaultKind::Status { status: 500 },
                times: None,
            });
            page.click(&tid("rotate-button")).await?;
            // The worker answers 200 with the run's record: the page must not call it success.
            wait_text(&page, &tid("admin-message"), "Rotating the secret failed").await?;
            let tone = page.attr(&tid("admin-message"), "data-tone").await?;
            check(tone.as_deref() == Some("error"), || {
                format!("message tone {tone:?}")
            })?;
            let last_run = row(&page, "last-run").await?;
            check(last_run.ends_with("rotate now: failed"), || {
                format!("last run {last_run:?}")
            })?;
            let detail = page.text(&tid("admin-last-run-detail")).await?;
            let error = page
                .attr(&tid("admin-last-run-detail"), "data-error")
                .await?;
            check(
                detail.contains("rotating the secret") && error.as_deref() == Some("true"),
                || format!("last run's error {detail:?} (data-error {error:?})"),
            )?;
            expect_row(&page, "phase", "One secret in use").await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn alice_gets_no_link_no_banner_and_a_not_allowed_page(c: &Ctx) -> Result<()> {
    let page = c.browser.new_isolated_page().await?;
    let outcome = async {
        page.call("Network.enable", serde_json::json!({})).await?;
        let mut requests = page.subscribe("Network.requestWillBeSent");
        page.goto(&format!("{}/", c.stack.portal)).await?;
        sign_in_here(&page, ALICE).await?;
        page.wait_for_selector("[data-testid=catalogue]", WAIT)
            .await?;
        page.wait_for_selector(&tid("signout-button"), WAIT).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        for id in ["admin-link", "secret-banner"] {
            let n = page.count(&tid(id)).await?;
            check(n == 0, || format!("alice sees {id}"))?;
        }
        page.goto(&format!("{}/admin", c.stack.portal)).await?;
        page.wait_for_selector(&tid("admin-not-allowed"), WAIT)
            .await?;
        let text = page.text(&tid("admin-not-allowed")).await?;
        check(text.contains("not allowed"), || {
            format!("not allowed: {text:?}")
        })?;
        // What she hands to whoever runs the portal: her subject, ADMIN_USERS' default entry.
        let subject = page.text(&tid("not-allowed-subject")).await?;
        check(subject == "user-alice", || {
            format!("subject shown: {subject:?}")
        })?;
        for id in ["admin-status", "rotate-button", "admin-link"] {
            let n = page.count(&tid(id)).await?;
            check(n == 0, || format!("alice's admin page shows {id}"))?;
        }
        let mut problems = Vec::new();
        audit(&page, "not allowed", &mut problems).await?;
        check(problems.is_empty(), || problems.join("\n  "))?;
        page.click(&tid("not-allowed-back")).await?;
        page.wait_for_selector("[data-testid=catalogue]", WAIT)
            .await?;
        // The status is fetched only for admins.
        let mut admin_calls = Vec::new();
        let mut seen = 0;
        while let Ok(event) = requests.try_recv() {
            let url = event["params"]["request"]["url"]
                .as_str()
                .unwrap_or_default();
            seen += usize::from(url.contains("/api/session"));
            if url.contains("/api/admin/") {
                admin_calls.push(url.to_owned());
            }
        }
        // The requests were watched at all: each page load asked for the session.
        check(seen >= 2, || {
            format!("saw {seen} session requests: the network was not watched")
        })?;
        check(admin_calls.is_empty(), || {
            format!("alice's pages asked for {admin_calls:?}")
        })
    }
    .await;
    let _ = page.close().await;
    outcome
}

async fn a_disabled_client_is_a_banner_on_the_catalogue_and_the_admin_page(c: &Ctx) -> Result<()> {
    on_page(c, BOB, "/", |page| async move {
        let outcome = async {
            page.wait_for_selector("[data-testid=catalogue]", WAIT)
                .await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let n = page.count(&tid("secret-banner")).await?;
            check(n == 0, || "a banner while all is well".into())?;

            client_admin(c, "disable").await?;
            // The next run reads it.
            cron(c).await?;
            page.goto(&format!("{}/", c.stack.portal)).await?;
            page.wait_for_selector(&tid("secret-banner"), WAIT).await?;
            wait_text(&page, &tid("secret-banner"), "disabled in Citrix Cloud").await?;
            let tone = page.attr(&tid("secret-banner"), "data-tone").await?;
            check(tone.as_deref() == Some("error"), || {
                format!("banner tone {tone:?}")
            })?;
            let mut problems = Vec::new();
            audit(&page, "catalogue with the banner", &mut problems).await?;
            page.click(&tid("secret-banner-link")).await?;
            page.wait_for_selector(&tid("admin-banner"), WAIT).await?;
            wait_text(&page, &tid("admin-banner"), "disabled in Citrix Cloud").await?;
            let role = page.attr(&tid("admin-banner"), "role").await?;
            check(role.as_deref() == Some("alert"), || {
                format!("error banner role {role:?}")
            })?;
            expect_row(&page, "state", "Disabled: nobody can sign in").await?;
            for slug in ["rotate", "expire-old"] {
                let (disabled, reason) = button(&page, slug).await?;
                check(disabled && reason.contains("disabled"), || {
                    format!("{slug} with a disabled client: disabled {disabled}, {reason:?}")
                })?;
            }
            audit(&page, "admin page with the banner", &mut problems).await?;
            page.screenshot(&root().join("tests/e2e/artifacts/admin-disabled-client.png"))
                .await?;
            check(problems.is_empty(), || problems.join("\n  "))?;

            client_admin(c, "enable").await?;
            cron(c).await?;
            page.click(&tid("admin-refresh")).await?;
            expect_row(&page, "state", "Enabled").await?;
            page.wait_for(
                "!document.querySelector('[data-testid=admin-banner]')",
                WAIT,
            )
            .await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn without_rotation_settings_the_page_says_so(c: &Ctx) -> Result<()> {
    on_page(c, BOB, "/admin", |page| async move {
        let outcome = async {
            page.wait_for_selector(&tid("admin-status"), WAIT).await?;
            expect_row(&page, "rotation", "Not configured").await?;
            wait_text(
                &page,
                &tid("admin-next-action"),
                "Rotation is not configured",
            )
            .await?;
            for slug in ["rotate", "expire-old"] {
                let (disabled, reason) = button(&page, slug).await?;
                check(
                    disabled && reason == "Not available. Rotation is not configured.",
                    || format!("{slug} without rotation: disabled {disabled}, {reason:?}"),
                )?;
            }
            page.click(&tid("rotate-button")).await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let message = page.text(&tid("admin-message")).await?;
            check(message.is_empty(), || {
                format!("an unavailable action said {message:?}")
            })?;
            let mut problems = Vec::new();
            audit(&page, "admin page without rotation", &mut problems).await?;
            check(problems.is_empty(), || problems.join("\n  "))
        }
        .await;
        (page, outcome)
    })
    .await
}
