//! A card's details: a modal dialog with what the resource is, reachable from the card, closed
//! back to where it was opened, and able to launch.

use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::Reply;
use super::fixtures::{self, launch_path};
use super::page::{Page, in_card};

const DIALOG: &str = "[data-testid=details-dialog]";

#[wasm_bindgen_test]
async fn details_open_as_a_dialog_close_back_to_the_card_and_launch() {
    let worker = fixtures::signed_in();
    let (held, _gate) = Reply::ok(&fixtures::ready()).held();
    worker.on("POST", &launch_path("word"), held);
    let page = Page::catalogue(worker).await;
    let opener = in_card("word", "details-button");
    assert_eq!(
        page.referenced_text(&opener, "aria-labelledby").as_deref(),
        Some("Details Microsoft Word")
    );

    page.click(&opener);
    page.until("the dialog to open", || page.attr(DIALOG, "open").is_some())
        .await;
    let fact = |name: &str| page.text(&format!("{DIALOG} [data-testid=details-{name}]"));
    assert_eq!(fact("name").as_deref(), Some("Microsoft Word"));
    assert_eq!(fact("kind").as_deref(), Some("App"));
    assert_eq!(fact("folder").as_deref(), Some("Office"));
    assert_eq!(fact("description").as_deref(), Some("No description."));
    assert_eq!(fact("favourite").as_deref(), Some("No"));
    assert_eq!(fact("running").as_deref(), Some("No"));
    assert_eq!(
        fact("recent").as_deref(),
        Some("Not lately in this browser")
    );
    assert!(
        page.focused()
            .is_some_and(|f| f.closest(DIALOG).ok().flatten().is_some()),
        "focus is inside the dialog"
    );

    page.click(&format!("{DIALOG} [data-testid=details-close]"));
    page.until("the dialog to close", || page.find(DIALOG).is_none())
        .await;
    assert!(
        page.has_focus(&opener),
        "focus is back on the card's button"
    );

    page.click(&opener);
    page.until("the dialog to open again", || {
        page.attr(DIALOG, "open").is_some()
    })
    .await;
    page.click(&format!("{DIALOG} [data-testid=details-launch]"));
    page.until("the launch to start", || {
        page.requested("POST", &launch_path("word"))
    })
    .await;
    // The dialog's `close` event is a task of its own: it may come after the request.
    page.until("the dialog to close for the launch", || {
        page.find(DIALOG).is_none()
    })
    .await;
    // Launched now: the details say when.
    page.click(&opener);
    page.until("the dialog to open after the launch", || {
        page.attr(DIALOG, "open").is_some()
    })
    .await;
    let recent = page
        .text(&format!("{DIALOG} [data-testid=details-recent]"))
        .unwrap_or_default();
    assert!(recent.ends_with(" UTC, in this browser"), "{recent}");
}
