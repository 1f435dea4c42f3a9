//! How launches open: the user's choice is saved (and rolled back with a notice when it cannot
//! be), a launch then downloads the `.ica` file instead of handing off, and a hand-off after
//! which the user needed the file offers the choice.

use portal_shared::api::{ErrorCode, LaunchPreference, Preferences};
use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::Reply;
use super::fixtures::{self, launch_path};
use super::page::{Page, in_card};

const CHOICE: &str = "[data-testid=launch-preference]";
const PATH: &str = "/api/preferences";

fn downloads() -> Preferences {
    Preferences {
        launch: LaunchPreference::IcaFile,
    }
}

#[wasm_bindgen_test]
async fn downloads_chosen_are_saved_and_a_launch_then_downloads_the_launch_file() {
    let worker = fixtures::signed_in();
    worker.on("PUT", PATH, Reply::ok(&downloads()));
    let page = Page::catalogue(worker).await;
    assert_eq!(page.value(CHOICE).as_deref(), Some("app"));

    page.choose(CHOICE, "ica");
    page.until("the choice to be saved", || page.requested("PUT", PATH))
        .await;
    let saved = page.worker.seen().into_iter().find(|s| s.path == PATH);
    assert!(saved.is_some_and(|s| s.csrf), "saved with the CSRF header");

    page.click(&in_card("word", "launch-button"));
    page.until_eq(
        "the download to be under way",
        Some("Downloading the launch file for Microsoft Word: open it when it arrives.".to_owned()),
        || page.text(&in_card("word", "launch-progress")),
    )
    .await;
    assert_eq!(
        page.attr(&in_card("word", "ica-download"), "href")
            .as_deref(),
        Some("/api/resources/word/ica")
    );
    assert!(
        !page.requested("POST", &launch_path("word")),
        "no hand-off to Citrix Workspace app was asked for"
    );
    assert_eq!(page.value(CHOICE).as_deref(), Some("ica"));
}

#[wasm_bindgen_test]
async fn a_choice_that_cannot_be_saved_is_rolled_back_with_a_notice() {
    let worker = fixtures::signed_in();
    worker.on(
        "PUT",
        PATH,
        Reply::error(
            500,
            ErrorCode::Internal,
            "Something went wrong in the portal. Try again.",
        ),
    );
    let page = Page::catalogue(worker).await;
    page.choose(CHOICE, "ica");
    page.until_eq(
        "a notice saying the choice was not saved",
        Some(
            "Your choice was not saved. Something went wrong in the portal. Try again.".to_owned(),
        ),
        || page.text("[data-testid=notice] p"),
    )
    .await;
    assert_eq!(page.value(CHOICE).as_deref(), Some("app"), "rolled back");
}

#[wasm_bindgen_test]
async fn the_launch_file_taken_after_a_hand_off_offers_the_choice() {
    let worker = fixtures::signed_in();
    worker
        .on(
            "POST",
            &launch_path("eng-ws"),
            Reply::ok(&fixtures::ready()),
        )
        .on("PUT", PATH, Reply::ok(&downloads()));
    let page = Page::catalogue(worker).await;
    page.click(&in_card("eng-ws", "launch-button"));
    page.until("the hand-off", || {
        page.find(&in_card("eng-ws", "ica-download")).is_some()
    })
    .await;
    assert!(page.find(&in_card("eng-ws", "prefer-ica")).is_none());
    // The hand-off opened nothing, so the user takes the file instead.
    page.click(&in_card("eng-ws", "ica-download"));
    page.until("the offer to download every time", || {
        page.find(&in_card("eng-ws", "prefer-ica")).is_some()
    })
    .await;
    assert!(page.find(&in_card("eng-ws", "handoff-hint")).is_some());
    assert!(
        page.announced()
            .is_some_and(|a| a.contains("download it every time"))
    );
    page.click(&in_card("eng-ws", "prefer-ica"));
    page.until("the choice to be saved", || page.requested("PUT", PATH))
        .await;
    assert_eq!(page.value(CHOICE).as_deref(), Some("ica"));
}
