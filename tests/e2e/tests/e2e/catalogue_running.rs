//! Browser journeys of "Running now", the user's sessions above the catalogue, in the `catalogue`
//! suite's stack: badges, disconnect, log off with its confirmation, reconnect (the row follows
//! once Citrix Workspace app has the ticket), all at once, a malformed list, and an axe audit.

use std::time::Duration;

use portal_e2e::Result;
use portal_e2e::axe::{axe, color_scheme};
use portal_e2e::cdp::{Page, js_str, next_navigation};
use portal_e2e::grid::{card, reveal};
use portal_e2e::signin::signed_in;
use portal_e2e::suite::{Browsing, Test, check};
use workspace_emulator::{Fault, FaultKind};

use crate::bff::redeem;

type Ctx = Browsing;

const WAIT: Duration = Duration::from_secs(20);
const OTHER_DEVICE: &str = "WPOTHERDEVICE12";
const ROWS: &str = "[data-testid=running-session]";

/// The journeys, appended to the `catalogue` suite's.
pub fn journeys() -> Vec<(&'static str, Test<Ctx>)> {
    vec![
        (
            "running_sessions_are_disconnected_logged_off_and_reconnected",
            |c| Box::pin(running_sessions_are_disconnected_logged_off_and_reconnected(c)),
        ),
        ("running_sessions_all_at_once_after_one_question", |c| {
            Box::pin(running_sessions_all_at_once_after_one_question(c))
        }),
        (
            "running_session_list_malformed_says_so_and_the_catalogue_stays",
            |c| Box::pin(running_session_list_malformed_says_so_and_the_catalogue_stays(c)),
        ),
        (
            "running_sessions_pass_an_axe_audit_in_light_and_dark",
            |c| Box::pin(running_sessions_pass_an_axe_audit_in_light_and_dark(c)),
        ),
    ]
}

/// Alice's sessions: only these three (Word, the Windows 11 desktop, an unpublished app), all
/// on another device.
fn three_sessions(c: &Ctx) -> [String; 3] {
    let e = &c.stack.emulator;
    e.end_hdx_sessions("alice");
    [
        e.start_hdx_session("alice", "word", OTHER_DEVICE),
        e.start_hdx_session("alice", "win11-desktop", OTHER_DEVICE),
        e.start_hdx_session("alice", "retired-app", OTHER_DEVICE),
    ]
}

fn row(n: usize, inner: &str) -> String {
    format!("{ROWS}:nth-child({n}) {inner}")
}

/// Runs `body` on a signed-in catalogue, closes the page and ends alice's sessions whatever
/// happened.
async fn on_catalogue<'b, F, Fut>(c: &'b Ctx, body: F) -> Result<()>
where
    F: FnOnce(Page<'b>) -> Fut,
    Fut: std::future::Future<Output = (Page<'b>, Result<()>)>,
{
    let page = signed_in(c, "/").await?;
    let (page, outcome) = body(page).await;
    let _ = page.close().await;
    c.stack.emulator.end_hdx_sessions("alice");
    outcome
}

async fn count_is(page: &Page<'_>, selector: &str, n: usize) -> Result<()> {
    page.wait_for(
        &format!(
            "document.querySelectorAll({}).length === {n}",
            js_str(selector)
        ),
        WAIT,
    )
    .await
}

async fn running_sessions_are_disconnected_logged_off_and_reconnected(c: &Ctx) -> Result<()> {
    let [word, desktop, _] = three_sessions(c);
    on_catalogue(c, |page| async move {
        let outcome = async {
            count_is(&page, ROWS, 3).await?;
            // The ghost the store cannot name is counted, not shown.
            page.wait_for_selector("[data-testid=running-skipped]", WAIT).await?;
            let names = page
                .eval("[...document.querySelectorAll('[data-testid=running-name]')].map(e => e.textContent)")
                .await?;
            check(
                names == serde_json::json!(["Microsoft Word", "Windows 11 Desktop", "An app or desktop"]),
                || names.to_string(),
            )?;
            let state = page.text(&row(1, "[data-testid=running-state]")).await?;
            check(state.contains(OTHER_DEVICE), || state.clone())?;
            // Running cards say so.
            reveal(&page, "word").await?;
            page.wait_for_selector(&format!("{} [data-testid=running-badge]", card("word")), WAIT)
                .await?;
            // Every action is named for its session.
            let name = page.accessible_name(&row(1, "[data-testid=disconnect]")).await?;
            check(name == "Disconnect Microsoft Word", || name.clone())?;
            // An unpublished app can be ended, not launched again.
            check(page.count(&row(3, "[data-testid=reconnect]")).await? == 0, || {
                "a reconnect for an app not in the catalogue".into()
            })?;
            // Disconnect: the session keeps running, disconnected.
            page.click(&row(1, "[data-testid=disconnect]")).await?;
            page.wait_for_selector(&format!("{ROWS}:nth-child(1)[data-state=disconnected]"), WAIT)
                .await?;
            let kept = c.stack.emulator.hdx_sessions();
            check(kept.iter().any(|s| s.id == word && s.disconnected), || format!("{kept:?}"))?;
            // Log off asks first, plainly; focus is on "Cancel", and Enter keeps the session.
            page.click(&row(2, "[data-testid=logoff]")).await?;
            page.wait_for_selector("[data-testid=logoff-confirm]", WAIT).await?;
            let question = page.text("[data-testid=logoff-confirm]").await?;
            check(
                question.contains("Log off Windows 11 Desktop?") && question.contains("unsaved work in it is lost"),
                || question.clone(),
            )?;
            page.wait_for("document.activeElement?.dataset.testid === 'logoff-confirm-no'", WAIT)
                .await?;
            page.press("Enter").await?;
            count_is(&page, "[data-testid=logoff-confirm]", 0).await?;
            check(
                c.stack.emulator.hdx_sessions().iter().any(|s| s.id == desktop),
                || "cancelled, yet logged off".into(),
            )?;
            page.click(&row(2, "[data-testid=logoff]")).await?;
            page.click("[data-testid=logoff-confirm-yes]").await?;
            count_is(&page, ROWS, 2).await?;
            check(
                !c.stack.emulator.hdx_sessions().iter().any(|s| s.id == desktop),
                || "still running after log off".into(),
            )?;
            let live = page.text("[data-testid=live-region]").await?;
            check(live.contains("logged off"), || live.clone())?;
            // Reconnect is the catalogue's launch of the same resource, from this browser. Last:
            // the tab asks for receiver://, after which headless Chromium ignores clicks.
            let mut navigations = page.subscribe("Page.frameRequestedNavigation");
            page.click(&row(1, "[data-testid=reconnect]")).await?;
            page.wait_for_selector("[data-testid=reconnect-progress]", WAIT).await?;
            let receiver_uri = next_navigation(&mut navigations, "receiver://", WAIT)
                .await
                .ok_or("no hand-off to receiver://")?;
            // Citrix Workspace app takes the ticket: Word is reattached to this browser's
            // device, and the row follows by itself, without Refresh.
            redeem(&c.stack, &serde_json::json!({ "receiverUri": receiver_uri })).await?;
            let moved = c.stack.emulator.hdx_sessions();
            check(
                moved.iter().any(|s| s.id == word && !s.disconnected && s.device != OTHER_DEVICE),
                || format!("{moved:?}"),
            )?;
            page.wait_for_selector(&format!("{ROWS}:nth-child(1)[data-state=active]"), WAIT)
                .await?;
            count_is(&page, &row(1, "[data-testid=reconnect]"), 0).await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn running_sessions_all_at_once_after_one_question(c: &Ctx) -> Result<()> {
    three_sessions(c);
    on_catalogue(c, |page| async move {
        let outcome = async {
            count_is(&page, ROWS, 3).await?;
            page.click("[data-testid=disconnect-all]").await?;
            count_is(&page, &format!("{ROWS}[data-state=disconnected]"), 3).await?;
            // Nothing left connected: no "Disconnect all".
            count_is(&page, "[data-testid=disconnect-all]", 0).await?;
            page.click("[data-testid=logoff-all]").await?;
            let question = page.text("[data-testid=logoff-confirm]").await?;
            check(
                question.contains("Log off all 3 sessions?") && question.contains("unsaved work"),
                || question.clone(),
            )?;
            page.click("[data-testid=logoff-confirm-yes]").await?;
            page.wait_for_selector("[data-testid=running-empty]", WAIT)
                .await?;
            let left = c.stack.emulator.hdx_sessions();
            check(!left.iter().any(|s| s.user == "alice"), || {
                format!("{left:?}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn running_session_list_malformed_says_so_and_the_catalogue_stays(c: &Ctx) -> Result<()> {
    three_sessions(c);
    c.stack.emulator.inject(Fault {
        path: "/citrixapi/store/sessions".into(),
        method: Some("GET".into()),
        kind: FaultKind::MalformedJson,
        times: None,
    });
    on_catalogue(c, |page| async move {
        let outcome = async {
            page.wait_for_selector("[data-testid=running-error]", WAIT)
                .await?;
            let text = page.text("[data-testid=running-error]").await?;
            check(
                text.contains("could not be loaded") && !text.contains("emulator"),
                || text.clone(),
            )?;
            // The catalogue is all there.
            page.wait_for_selector("[data-testid=resource-card]", WAIT)
                .await?;
            c.stack.emulator.clear_faults();
            page.click("[data-testid=running-retry]").await?;
            count_is(&page, ROWS, 3).await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn running_sessions_pass_an_axe_audit_in_light_and_dark(c: &Ctx) -> Result<()> {
    three_sessions(c);
    on_catalogue(c, |page| async move {
        let outcome = async {
            let mut problems = Vec::new();
            for scheme in ["light", "dark"] {
                color_scheme(&page, scheme).await?;
                page.goto(&format!("{}/", c.stack.portal)).await?;
                count_is(&page, ROWS, 3).await?;
                for v in axe(&page).await? {
                    problems.push(format!("{scheme} running: {v}"));
                }
                page.click(&row(2, "[data-testid=logoff]")).await?;
                page.wait_for_selector("[data-testid=logoff-confirm]", WAIT)
                    .await?;
                for v in axe(&page).await? {
                    problems.push(format!("{scheme} log-off question: {v}"));
                }
            }
            check(problems.is_empty(), || problems.join("\n  "))
        }
        .await;
        (page, outcome)
    })
    .await
}
