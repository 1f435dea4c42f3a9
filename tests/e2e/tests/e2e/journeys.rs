//! Browser journeys against the real processes: the emulator, `wrangler dev` and headless
//! Chromium. Run by `cargo xtask test` after the builds; `-- NAME` runs the journeys whose name
//! contains NAME.

use std::time::Duration;

use portal_e2e::Result;
use portal_e2e::cdp::{Browser, Page, js_str, next_navigation};
use portal_e2e::grid::{card, every_name, reveal};
use portal_e2e::stack::{Options, Stack, root};
use portal_e2e::suite::{self, Browsing, Test, check};
use serde_json::Value;
use workspace_emulator::demo;

/// What every journey gets: the running portal and a headless Chromium.
type Ctx = Browsing;

const WAIT: Duration = Duration::from_secs(20);

fn journeys() -> Vec<(&'static str, Test<Ctx>)> {
    vec![
        ("sign_in_browse_and_launch_a_desktop", |c| {
            Box::pin(sign_in_browse_and_launch_a_desktop(&c.stack, &c.browser))
        }),
        (
            "a_tenant_that_answers_like_dotnet_works_from_sign_in_to_sign_out",
            |c| {
                Box::pin(a_tenant_that_answers_like_dotnet_works(
                    &c.stack, &c.browser,
                ))
            },
        ),
        ("a_missing_setting_is_named_in_one_line", |_| {
            Box::pin(a_missing_setting_is_named_in_one_line())
        }),
        ("an_unreachable_workspace_names_workspace_url", |_| {
            Box::pin(an_unreachable_workspace_names_workspace_url())
        }),
        ("an_unknown_application_id_is_explained", |_| {
            Box::pin(an_unknown_application_id_is_explained())
        }),
    ]
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    vec![
        suite::run_on(
            "journeys",
            journeys(),
            Ctx::spawn(Options::default()),
            |c| c.stack.reset(),
        )
        .await,
    ]
}

/// Signs in as `user` through the emulator's login page, starting from the portal's sign-in
/// screen; ends on the catalogue.
async fn sign_in(page: &Page<'_>, stack: &Stack, user: &str, password: &str) -> Result<()> {
    page.goto(&format!("{}/", stack.portal)).await?;
    page.click("[data-testid=signin-button]").await?;
    page.wait_for_selector("[data-testid=login-username]", WAIT)
        .await?;
    let at = page.eval("location.origin").await?;
    if at.as_str() != Some(stack.emulator.hosts().accounts.as_str()) {
        return Err(format!("expected the emulator's login page, got {at}"));
    }
    page.type_into("[data-testid=login-username]", user).await?;
    page.type_into("[data-testid=login-password]", password)
        .await?;
    page.click("[data-testid=login-submit]").await?;
    page.wait_for_selector("[data-testid=resource-card]", WAIT)
        .await?;
    let origin = page.eval("location.origin").await?;
    if origin.as_str() != Some(stack.portal.as_str()) {
        return Err(format!("expected to be back on the portal, got {origin}"));
    }
    Ok(())
}

async fn sign_in_browse_and_launch_a_desktop(stack: &Stack, browser: &Browser) -> Result<()> {
    let page = browser.new_page().await?;
    let mut navigations = page.subscribe("Page.frameRequestedNavigation");
    let user = &demo::USERS[0];
    // Something running on another device, for "Running now" (and the README's screenshot).
    stack
        .emulator
        .start_hdx_session(user.username, "outlook", "ALICE-LAPTOP");
    sign_in(&page, stack, user.username, user.password).await?;

    // The seeded catalogue is listed: every resource of the demo seed, by name, and nothing else.
    let mut names = every_name(&page).await?;
    let mut seeded = demo::resource_names();
    names.sort();
    seeded.sort();
    if names != seeded {
        return Err(format!(
            "catalogue shows {names:?}, the seed has {seeded:?}"
        ));
    }
    let shown_user = page.text("[data-testid=user-name]").await?;
    if !shown_user.contains(user.display_name) {
        return Err(format!("header shows user {shown_user:?}"));
    }
    // Icons are fetched through the worker; the screenshot (used in the README) shows them.
    page.wait_for(
        "[...document.querySelectorAll('[data-testid=resource-card] img')].filter(i => i.getBoundingClientRect().top < innerHeight).every(i => i.complete && i.naturalWidth > 0)",
        WAIT,
    )
    .await?;
    page.wait_for_selector("[data-testid=running] [data-testid=running-refresh]", WAIT)
        .await?;
    page.screenshot(&root().join("tests/e2e/artifacts/catalogue.png"))
        .await?;
    stack.emulator.end_hdx_sessions(user.username);

    // Launch a desktop: the first answer is a 202, so the page shows progress first.
    let desktop = page
        .eval("(() => { const c = document.querySelector('[data-testid=resource-card][data-kind=desktop]'); return c && [c.dataset.resourceId, c.querySelector('[data-testid=resource-name]').textContent.trim()]; })()")
        .await?;
    let (id, name) = match desktop.as_array().map(Vec::as_slice) {
        Some([Value::String(id), Value::String(name)]) => (id.clone(), name.clone()),
        _ => return Err(format!("no desktop card in the catalogue: {desktop}")),
    };
    let card = card(&id);
    page.click(&format!("{card} [data-testid=launch-button]"))
        .await?;
    page.wait_for_selector(
        &format!("{card} [data-testid=launch-status][data-state=pending]"),
        WAIT,
    )
    .await?;

    // Then the hand-off to Citrix Workspace app: a navigation to receiver://.
    let receiver_uri = next_navigation(&mut navigations, "receiver://", WAIT)
        .await
        .ok_or("no navigation to receiver:// happened")?;

    // Redeem the one-time ticket as Citrix Workspace app would: the ICA file names the desktop.
    let uri = url::Url::parse(&receiver_uri.replacen("receiver://", "http://", 1))
        .map_err(|e| e.to_string())?;
    let ticket = uri
        .query_pairs()
        .find(|(k, _)| k == "ticket")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| format!("no ticket in {receiver_uri}"))?;
    let client = reqwest::Client::new();
    let redeem = || {
        client
            .post(format!(
                "{}/citrixapi/store/client/icaFile",
                stack.emulator.url()
            ))
            .json(&serde_json::json!({ "ticket": ticket }))
            .send()
    };
    let first = redeem().await.map_err(|e| e.to_string())?;
    let status = first.status();
    let ica = first.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() || !ica.contains(&format!("Title={name}")) {
        return Err(format!("redeeming the ticket gave {status}: {ica}"));
    }
    let second = redeem().await.map_err(|e| e.to_string())?;
    if second.status().is_success() {
        return Err("the ticket was redeemable twice".into());
    }
    // Closed, so that it stops looking at running sessions while the next journeys run.
    page.close().await
}

/// The conformance journey: against the emulator's realistic topology (customer domain,
/// accounts, CDN, trust and cws on hosts of their own) and its .NET-shaped answers, a person
/// signs in, is told of the item the store sent malformed, sees an icon from the CDN, signs out
/// and is asked for the password again, and launches an app whose id needs encoding.
async fn a_tenant_that_answers_like_dotnet_works(stack: &Stack, browser: &Browser) -> Result<()> {
    let hosts = stack.emulator.hosts();
    if [&hosts.accounts, &hosts.cdn, &hosts.trust, &hosts.cws].contains(&&hosts.customer) {
        return Err(format!("the emulator plays one host, not five: {hosts:?}"));
    }
    let page = browser.new_isolated_page().await?;
    let mut navigations = page.subscribe("Page.frameRequestedNavigation");
    let user = &demo::USERS[0];
    sign_in(&page, stack, user.username, user.password).await?;

    // The malformed item is counted, not hidden, and not fatal: the rest is there.
    page.wait_for_selector("[data-testid=skipped-note]", WAIT)
        .await?;
    let note = page.text("[data-testid=skipped-note]").await?;
    check(
        note.starts_with("1 item from Citrix Workspace could not be shown"),
        || format!("skipped note: {note:?}"),
    )?;

    // An icon the store puts on its CDN: shown, and fetched there without any credentials.
    let putty = "PuTTY 0.81/ssh";
    reveal(&page, putty).await?;
    page.wait_for(
        &format!(
            "(() => {{ const i = document.querySelector({}); return i && i.complete && i.naturalWidth > 0; }})()",
            js_str(&format!("{} img", card(putty)))
        ),
        WAIT,
    )
    .await?;
    let cdn_fetches: Vec<_> = stack
        .emulator
        .transaction_log()
        .into_iter()
        .filter(|r| r.host == "cdn")
        .collect();
    check(
        cdn_fetches.iter().any(|r| r.status == 200)
            && cdn_fetches
                .iter()
                .all(|r| !r.authorization && r.application_id.is_none()),
        || format!("the CDN saw {cdn_fetches:?}"),
    )?;

    // Sign out ends the identity provider's session too: signing in asks for the password.
    page.click("[data-testid=signout-button]").await?;
    page.wait_for_selector("[data-testid=signin-button]", WAIT)
        .await?;
    let origin = page.eval("location.origin").await?;
    check(origin.as_str() == Some(stack.portal.as_str()), || {
        format!("after signing out the browser is on {origin}, not the portal")
    })?;
    let ended = stack
        .emulator
        .transaction_log()
        .into_iter()
        .any(|r| r.host == "accounts" && r.path == "/core/connect/endsession");
    check(ended, || {
        "the identity provider's session was not ended".into()
    })?;
    sign_in(&page, stack, user.username, user.password)
        .await
        .map_err(|e| format!("signing in again did not ask for the password: {e}"))?;

    // An app whose id holds a space, %, /, ? and #: it launches through its encoded links.
    let id = "calc 100%/x?y#z";
    reveal(&page, id).await?;
    page.click(&format!("{} [data-testid=launch-button]", card(id)))
        .await?;
    let receiver_uri = next_navigation(&mut navigations, "receiver://", WAIT)
        .await
        .ok_or("launching an app whose id needs encoding did not hand off to receiver://")?;
    check(receiver_uri.contains("ticket="), || {
        format!("receiver URI without a ticket: {receiver_uri}")
    })?;
    page.close().await
}

/// The status and body of `GET path` on a portal started with `overrides`.
async fn answer_with(overrides: &[(&str, Option<&str>)], path: &str) -> Result<(u16, String)> {
    let stack = Stack::spawn(Options {
        settings: overrides,
        ..Options::default()
    })
    .await?;
    answer_from(stack, path).await
}

/// One plain GET to a stack's portal, then the stack stops.
async fn answer_from(stack: Stack, path: &str) -> Result<(u16, String)> {
    let outcome = async {
        let response = reqwest::get(format!("{}{path}", stack.portal))
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, body))
    }
    .await;
    stack.stop().await;
    outcome
}

async fn a_missing_setting_is_named_in_one_line() -> Result<()> {
    let (status, body) = answer_with(&[("CLIENT_SECRET", None)], "/api/session").await?;
    let body: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    let message = body["message"].as_str().unwrap_or_default();
    if status != 500
        || body["code"] != "misconfigured"
        || !message.contains("CLIENT_SECRET")
        || message.contains('\n')
    {
        return Err(format!("got {status} {body}"));
    }
    Ok(())
}

/// The advice paragraph of one of the worker's error pages.
fn advice(page: &str) -> &str {
    page.split_once("data-testid=auth-error>")
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(advice, _)| advice)
        .unwrap_or_default()
}

/// An application id Citrix Cloud does not accept (unknown, or created less than 5 minutes
/// ago): the sign-in page says which setting and that a new one takes a few minutes.
async fn an_unknown_application_id_is_explained() -> Result<()> {
    let unknown = "00000000-0000-0000-0000-000000000000";
    let (status, page) = answer_with(&[("APPLICATION_ID", Some(unknown))], "/auth/login").await?;
    let advice = advice(&page);
    if status != 500 || !advice.contains("APPLICATION_ID") || !advice.contains("5 minutes") {
        return Err(format!("got {status} {page}"));
    }
    Ok(())
}

/// Signing in is the first thing that reaches Citrix Cloud: the person who clicked "Sign in"
/// gets a page that names the setting to check.
async fn an_unreachable_workspace_names_workspace_url() -> Result<()> {
    // A port the kernel gave us, held while the stack picks its own ports (so none of them can
    // be this one) and closed before the request: nothing listens there when the worker calls.
    let held = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = held.local_addr().map_err(|e| e.to_string())?.port();
    let url = format!("http://127.0.0.1:{port}");
    let stack = Stack::spawn(Options {
        settings: &[("WORKSPACE_URL", Some(&url))],
        ..Options::default()
    })
    .await?;
    drop(held);
    let (status, page) = answer_from(stack, "/auth/login").await?;
    let advice = advice(&page);
    if status != 502
        || !advice.contains("WORKSPACE_URL")
        || !advice.contains(&format!("127.0.0.1:{port}"))
        || advice.contains('\n')
    {
        return Err(format!("got {status} {page}"));
    }
    Ok(())
}
