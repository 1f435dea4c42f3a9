//! "Running now": the user's sessions above the cards, with badges, reconnect (a launch),
//! disconnect, and log off after a question that says what is lost.

use portal_shared::api::{
    ErrorCode, RunningSession, RunningSessions, SessionAction, SessionState, SessionsChanged,
};
use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::{FakeWorker, Reply};
use super::fixtures::{self, launch_path, ready};
use super::page::{Page, in_card, pause};

const ROWS: &str = "[data-testid=running-session]";

fn row(n: usize, testid: &str) -> String {
    format!("{ROWS}:nth-child({n}) [data-testid={testid}]")
}

/// Word running on another device, the Windows 11 desktop disconnected.
fn two_sessions() -> RunningSessions {
    let session = |id: &str, resource: &str, state| RunningSession {
        id: id.into(),
        resource_id: Some(resource.into()),
        name: None,
        state,
        device: Some("kiosk-3".into()),
        this_device: false,
        started_at: None,
        can_disconnect: state == SessionState::Active,
        can_log_off: true,
    };
    RunningSessions {
        sessions: vec![
            session("s1", "word", SessionState::Active),
            session("s2", "win11", SessionState::Disconnected),
        ],
        skipped: 0,
        can_disconnect_all: true,
        can_log_off_all: true,
    }
}

fn changed(action: SessionAction, id: Option<&str>) -> Reply {
    Reply::ok(&SessionsChanged {
        action,
        id: id.map(str::to_owned),
    })
}

async fn running(worker: FakeWorker) -> Page {
    worker.on("GET", "/api/sessions", Reply::ok(&two_sessions()));
    let page = Page::catalogue(worker).await;
    page.until_eq("two running sessions", 2, || page.all(ROWS).len())
        .await;
    page
}

#[wasm_bindgen_test]
async fn sessions_show_by_name_with_badges_and_a_disconnect_updates_its_row() {
    let worker = fixtures::signed_in();
    worker.on(
        "POST",
        "/api/sessions/s1/disconnect",
        changed(SessionAction::Disconnect, Some("s1")),
    );
    let page = running(worker).await;
    assert_eq!(
        page.text(&row(1, "running-name")).as_deref(),
        Some("Microsoft Word")
    );
    assert_eq!(
        page.text(&row(1, "running-state")).as_deref(),
        Some("Running on another device (kiosk-3)")
    );
    assert!(page.find(&in_card("word", "running-badge")).is_some());
    assert!(page.find(&in_card("excel", "running-badge")).is_none());
    assert_eq!(
        page.attr(&row(1, "disconnect"), "aria-label").as_deref(),
        Some("Disconnect Microsoft Word")
    );
    // A disconnected session offers reconnect, not disconnect.
    assert!(page.find(&row(2, "disconnect")).is_none());
    assert!(page.find(&row(2, "reconnect")).is_some());

    page.click(&row(1, "disconnect"));
    page.until_eq("Word disconnected", Some("disconnected".to_owned()), || {
        page.attr(&format!("{ROWS}:nth-child(1)"), "data-state")
    })
    .await;
    let seen = page.worker.seen();
    let post = seen
        .iter()
        .find(|s| s.path == "/api/sessions/s1/disconnect")
        .expect("the disconnect request");
    assert!(post.method == "POST" && post.csrf, "{post:?}");
    assert!(
        page.announced()
            .is_some_and(|a| a.starts_with("Microsoft Word disconnected.")),
        "{:?}",
        page.announced()
    );
    // Nothing is connected any more: "Disconnect all" goes; the badge stays (still running).
    page.until("Disconnect all gone", || {
        page.find("[data-testid=disconnect-all]").is_none()
    })
    .await;
    assert!(page.find(&in_card("word", "running-badge")).is_some());
}

#[wasm_bindgen_test]
async fn log_off_asks_first_and_only_yes_logs_off() {
    let worker = fixtures::signed_in();
    worker.on(
        "POST",
        "/api/sessions/s2/logoff",
        changed(SessionAction::LogOff, Some("s2")),
    );
    let page = running(worker).await;
    page.click(&row(2, "logoff"));
    page.until("the question", || {
        page.find("[data-testid=logoff-confirm]").is_some()
    })
    .await;
    let question = page
        .text("[data-testid=logoff-confirm] p")
        .unwrap_or_default();
    assert_eq!(
        question,
        "Log off Windows 11 Desktop? Everything running in it closes, and any unsaved work in it is lost."
    );
    page.until("focus on Cancel", || {
        page.has_focus("[data-testid=logoff-confirm-no]")
    })
    .await;
    page.click("[data-testid=logoff-confirm-no]");
    page.until("the question gone, focus back on its button", || {
        page.find("[data-testid=logoff-confirm]").is_none() && page.has_focus(&row(2, "logoff"))
    })
    .await;
    // Escape answers no too.
    page.click(&row(2, "logoff"));
    page.until("the question", || {
        page.has_focus("[data-testid=logoff-confirm-no]")
    })
    .await;
    page.press("[data-testid=logoff-confirm-no]", "Escape");
    page.until("the question gone", || {
        page.find("[data-testid=logoff-confirm]").is_none() && page.has_focus(&row(2, "logoff"))
    })
    .await;
    pause(50).await;
    assert_eq!(page.worker.count("POST", "/api/sessions/s2/logoff"), 0);

    page.click(&row(2, "logoff"));
    page.until("the question", || {
        page.find("[data-testid=logoff-confirm-yes]").is_some()
    })
    .await;
    page.click("[data-testid=logoff-confirm-yes]");
    page.until_eq("one session left", 1, || page.all(ROWS).len())
        .await;
    page.until("focus on the section's heading", || {
        page.has_focus("#running-title")
    })
    .await;
    assert_eq!(page.worker.count("POST", "/api/sessions/s2/logoff"), 1);
    assert!(page.find(&in_card("win11", "running-badge")).is_none());
}

#[wasm_bindgen_test]
async fn log_off_all_asks_once_and_leaves_nothing_running() {
    let worker = fixtures::signed_in();
    worker.on(
        "POST",
        "/api/sessions/logoff",
        changed(SessionAction::LogOff, None),
    );
    let page = running(worker).await;
    page.click("[data-testid=logoff-all]");
    page.until("the question", || {
        page.text("[data-testid=logoff-confirm]")
            .is_some_and(|t| t.contains("Log off all 2 sessions?"))
    })
    .await;
    page.click("[data-testid=logoff-confirm-yes]");
    page.until("nothing running", || {
        page.find("[data-testid=running-empty]").is_some()
    })
    .await;
    assert_eq!(page.worker.count("POST", "/api/sessions/logoff"), 1);
}

#[wasm_bindgen_test]
async fn reconnect_is_a_launch_of_the_sessions_resource_and_the_row_follows_it() {
    let worker = fixtures::signed_in();
    worker.on("POST", &launch_path("win11"), Reply::ok(&ready()));
    // Once Citrix Workspace app has the ticket, the desktop is connected to this device.
    let mut reattached = two_sessions();
    reattached.sessions[1].state = SessionState::Active;
    reattached.sessions[1].this_device = true;
    worker
        .on("GET", "/api/sessions", Reply::ok(&two_sessions()))
        .on("GET", "/api/sessions", Reply::ok(&reattached));
    let page = Page::catalogue(worker).await;
    page.until_eq("two running sessions", 2, || page.all(ROWS).len())
        .await;
    page.click(&row(2, "reconnect"));
    page.until("the launch request", || {
        page.requested("POST", &launch_path("win11"))
    })
    .await;
    page.until("progress in the row", || {
        page.find(&row(2, "reconnect-progress")).is_some()
    })
    .await;
    // After the hand-off the list looks again by itself (first after 3 s): no Refresh.
    pause(2_000).await;
    page.until_eq(
        "the desktop connected here",
        Some("active".to_owned()),
        || page.attr(&format!("{ROWS}:nth-child(2)"), "data-state"),
    )
    .await;
    assert!(page.find(&row(2, "reconnect")).is_none());
    assert!(page.find("[data-testid=running-refresh]").is_some());
}

#[wasm_bindgen_test]
async fn a_failed_action_says_why_and_changes_nothing() {
    let worker = fixtures::signed_in();
    worker.on(
        "POST",
        "/api/sessions/s1/disconnect",
        Reply::error(
            502,
            ErrorCode::UpstreamUnavailable,
            "Citrix Workspace did not answer.",
        ),
    );
    let page = running(worker).await;
    page.click(&row(1, "disconnect"));
    page.until("a notice", || {
        page.text("[data-testid=notice]").is_some_and(|t| {
            t.contains("Could not disconnect Microsoft Word. Nothing was changed.")
        })
    })
    .await;
    assert_eq!(
        page.attr(&format!("{ROWS}:nth-child(1)"), "data-state")
            .as_deref(),
        Some("active")
    );
}

#[wasm_bindgen_test]
async fn a_list_that_cannot_be_loaded_says_so_and_can_be_tried_again() {
    let worker = fixtures::signed_in();
    worker
        .on(
            "GET",
            "/api/sessions",
            Reply::error(
                502,
                ErrorCode::UpstreamMalformed,
                "Citrix Workspace answered something unexpected.",
            ),
        )
        .on("GET", "/api/sessions", Reply::ok(&two_sessions()));
    let page = Page::catalogue(worker).await;
    page.until("the error", || {
        page.text("[data-testid=running-error]")
            .is_some_and(|t| t.contains("could not be loaded"))
    })
    .await;
    page.click("[data-testid=running-retry]");
    page.until_eq("two running sessions", 2, || page.all(ROWS).len())
        .await;
}

#[wasm_bindgen_test]
async fn with_nothing_running_there_is_no_section_in_the_way() {
    // Only a session the store could not describe (the .NET profile's ghost): nothing to act on.
    let worker = fixtures::signed_in();
    worker.on(
        "GET",
        "/api/sessions",
        Reply::ok(&RunningSessions {
            skipped: 1,
            ..RunningSessions::default()
        }),
    );
    let page = Page::catalogue(worker).await;
    page.until("the sessions asked for", || {
        page.requested("GET", "/api/sessions")
    })
    .await;
    pause(50).await;
    assert!(page.find("[data-testid=running]").is_none());
}
