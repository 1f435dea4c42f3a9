//! Launches: ready at once, ready after the worker's "retry in 2 s", failed, and cancelled.

use portal_shared::api::{ErrorCode, LaunchStatus};
use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::Reply;
use super::fixtures::{self, launch_path, pending, poll_path};
use super::page::{Page, in_card, pause};
use crate::model::launch::RESTART_ADVICE;

fn launch_state(page: &Page, id: &str) -> Option<String> {
    page.attr(&in_card(id, "launch-status"), "data-state")
}

/// Busy, said with `aria-disabled` so keyboard focus stays on the button.
fn launch_disabled(page: &Page, id: &str) -> bool {
    page.attr(&in_card(id, "launch-button"), "aria-disabled")
        .as_deref()
        == Some("true")
}

#[wasm_bindgen_test]
async fn a_ready_launch_hands_off_and_offers_a_way_out() {
    let worker = fixtures::signed_in();
    worker.on(
        "POST",
        &launch_path("eng-ws"),
        Reply::ok(&fixtures::ready()),
    );
    let page = Page::catalogue(worker).await;

    page.click(&in_card("eng-ws", "launch-button"));
    page.until_eq("the launch to be ready", Some("ready".to_owned()), || {
        launch_state(&page, "eng-ws")
    })
    .await;
    assert_eq!(
        page.text(&in_card("eng-ws", "launch-progress")).as_deref(),
        Some("Opening Engineering Workstation in Citrix Workspace app…")
    );
    assert_eq!(
        page.announced().as_deref(),
        Some("Engineering Workstation is ready. Opening Citrix Workspace app.")
    );
    // If Workspace app did not open: the .ica file of this resource, and where to get the app.
    assert_eq!(
        page.attr(&in_card("eng-ws", "ica-download"), "href")
            .as_deref(),
        Some("/api/resources/eng-ws/ica")
    );
    assert!(page.find(&in_card("eng-ws", "get-workspace-app")).is_some());
    assert!(
        !launch_disabled(&page, "eng-ws"),
        "it can be launched again"
    );
    let launch = page
        .worker
        .seen()
        .into_iter()
        .find(|s| s.path == launch_path("eng-ws"))
        .expect("a launch request");
    assert!(launch.method == "POST" && launch.csrf, "{launch:?}");

    // The hand-off asked for receiver://, which this browser cannot open: the page is still here.
    pause(300).await;
    page.click(&in_card("eng-ws", "launch-dismiss"));
    page.until("the panel dismissed", || {
        page.find(&in_card("eng-ws", "launch-status")).is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_launch_asked_to_retry_counts_down_then_polls() {
    let worker = fixtures::signed_in();
    worker
        .on(
            "POST",
            &launch_path("eng-ws"),
            Reply::ok(&pending("h-1", 2)),
        )
        .on("POST", &poll_path("h-1"), Reply::ok(&fixtures::ready()));
    let page = Page::catalogue(worker).await;
    let progress = in_card("eng-ws", "launch-progress");

    page.click(&in_card("eng-ws", "launch-button"));
    page.until_eq("the countdown at 2 s", Some("2".to_owned()), || {
        page.attr(&progress, "data-seconds-left")
    })
    .await;
    assert_eq!(
        page.text(&progress).as_deref(),
        Some("Starting Engineering Workstation… checking again in 2 s")
    );
    assert_eq!(launch_state(&page, "eng-ws").as_deref(), Some("pending"));
    assert!(
        launch_disabled(&page, "eng-ws"),
        "no second launch meanwhile"
    );
    assert_eq!(
        page.announced().as_deref(),
        Some("Engineering Workstation is starting. This can take a minute."),
        "the countdown itself is not announced"
    );
    assert!(!page.requested("POST", &poll_path("h-1")), "polled early");

    page.until_eq("the countdown at 1 s", Some("1".to_owned()), || {
        page.attr(&progress, "data-seconds-left")
    })
    .await;
    assert!(!page.requested("POST", &poll_path("h-1")), "polled early");
    page.until_eq("ready after the poll", Some("ready".to_owned()), || {
        launch_state(&page, "eng-ws")
    })
    .await;
    let requests: Vec<_> = page
        .worker
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(
        requests
            .iter()
            .map(|s| (s.path.as_str(), s.csrf))
            .collect::<Vec<_>>(),
        [
            (launch_path("eng-ws").as_str(), true),
            (poll_path("h-1").as_str(), true)
        ],
        "one launch, then one poll with the worker's handle"
    );
    assert!(!launch_disabled(&page, "eng-ws"));
}

#[wasm_bindgen_test]
async fn a_failed_launch_says_why_and_can_be_tried_again() {
    let worker = fixtures::signed_in();
    worker
        .on(
            "POST",
            &launch_path("win11"),
            Reply::ok(&LaunchStatus::Failed {
                code: "UnavailableDesktop".into(),
                message: "This desktop is unavailable right now.".into(),
                suggest_restart: true,
            }),
        )
        .on(
            "POST",
            &launch_path("win11"),
            Reply::error(502, ErrorCode::UpstreamUnavailable, "Citrix Cloud is down."),
        );
    let page = Page::catalogue(worker).await;

    page.click(&in_card("win11", "launch-button"));
    page.until_eq("the launch to fail", Some("failed".to_owned()), || {
        launch_state(&page, "win11")
    })
    .await;
    assert_eq!(
        page.text(&in_card("win11", "launch-error")).as_deref(),
        Some("This desktop is unavailable right now.")
    );
    assert_eq!(
        page.text(&in_card("win11", "launch-restart-advice"))
            .as_deref(),
        Some(RESTART_ADVICE)
    );
    assert_eq!(
        page.announced(),
        Some(format!(
            "Windows 11 Desktop could not be launched. This desktop is unavailable right now. {RESTART_ADVICE}"
        ))
    );

    // Trying again fails differently: the worker's own message, and no restart advice.
    page.click(&in_card("win11", "launch-retry"));
    page.until_eq(
        "the second failure",
        Some("Citrix Cloud is down.".to_owned()),
        || page.text(&in_card("win11", "launch-error")),
    )
    .await;
    assert!(
        page.find(&in_card("win11", "launch-restart-advice"))
            .is_none()
    );
    assert_eq!(page.worker.count("POST", &launch_path("win11")), 2);

    page.click(&in_card("win11", "launch-dismiss"));
    page.until("the failure dismissed", || {
        page.find(&in_card("win11", "launch-status")).is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_cancelled_launch_stops_and_ignores_late_answers() {
    let worker = fixtures::signed_in();
    let (first, first_gate) = Reply::ok(&fixtures::ready()).held();
    let (second, second_gate) = Reply::ok(&fixtures::ready()).held();
    worker
        .on(
            "POST",
            &launch_path("eng-ws"),
            Reply::ok(&pending("h-2", 1)),
        )
        .on("POST", &poll_path("h-2"), Reply::ok(&fixtures::ready()))
        .on("POST", &launch_path("win11"), first)
        .on("POST", &launch_path("win11"), second)
        .on(
            "POST",
            &launch_path("win11"),
            Reply::ok(&LaunchStatus::Failed {
                code: "UnavailableDesktop".into(),
                message: "The third try failed.".into(),
                suggest_restart: false,
            }),
        );
    let page = Page::catalogue(worker).await;
    let win11_gone = || page.find(&in_card("win11", "launch-status")).is_none();
    let win11_preparing = || {
        page.text(&in_card("win11", "launch-progress")).as_deref()
            == Some("Preparing Windows 11 Desktop…")
    };

    // Cancelled during the countdown: no poll follows.
    page.click(&in_card("eng-ws", "launch-button"));
    page.until_eq("the countdown", Some("1".to_owned()), || {
        page.attr(&in_card("eng-ws", "launch-progress"), "data-seconds-left")
    })
    .await;
    assert_eq!(
        page.attr(&in_card("eng-ws", "launch-cancel"), "aria-label")
            .as_deref(),
        Some("Cancel launching Engineering Workstation")
    );
    page.click(&in_card("eng-ws", "launch-cancel"));
    page.until("the launch panel gone", || {
        page.find(&in_card("eng-ws", "launch-status")).is_none()
    })
    .await;
    assert_eq!(
        page.announced().as_deref(),
        Some("Launch of Engineering Workstation cancelled.")
    );
    assert!(!launch_disabled(&page, "eng-ws"));

    // Cancelled while the launch request is in flight: its answer, when it comes, is ignored.
    page.click(&in_card("win11", "launch-button"));
    page.until("Windows 11 preparing", win11_preparing).await;
    page.click(&in_card("win11", "launch-cancel"));
    page.until("the second panel gone", win11_gone).await;
    first_gate.open();

    // Cancelled in flight and launched again: the first answer, arriving after the second
    // launch's, must not pass for it.
    page.click(&in_card("win11", "launch-button"));
    page.until("Windows 11 preparing again", win11_preparing)
        .await;
    page.click(&in_card("win11", "launch-cancel"));
    page.until("the panel gone again", win11_gone).await;
    page.click(&in_card("win11", "launch-button"));
    page.until_eq(
        "the third launch's answer",
        Some("The third try failed.".to_owned()),
        || page.text(&in_card("win11", "launch-error")),
    )
    .await;
    second_gate.open();

    // Past the moment the first launch would have polled, and the late answers have landed.
    pause(1_200).await;
    assert!(
        !page.requested("POST", &poll_path("h-2")),
        "the cancelled launch polled"
    );
    assert_eq!(
        launch_state(&page, "win11").as_deref(),
        Some("failed"),
        "a late answer to a cancelled launch passed for the current one"
    );
    assert_eq!(page.worker.count("POST", &launch_path("win11")), 3);
}
