//! The session: signed out, ended mid-use, and a portal that cannot be reached.

use portal_shared::api::ErrorCode;
use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::{FakeWorker, Reply};
use super::fixtures::{self, favorite_path, launch_path, pending, poll_path};
use super::page::{CARDS, Page, in_card};

const SIGN_IN: &str = "[data-testid=signin-page]";
const SIGN_IN_MESSAGE: &str = "[data-testid=signin-message]";

#[wasm_bindgen_test]
async fn signed_out_visitors_see_the_sign_in_screen() {
    let worker = FakeWorker::install();
    worker.on(
        "GET",
        "/api/session",
        Reply::error(401, ErrorCode::Unauthenticated, "Sign in."),
    );
    let page = Page::open("/", worker);
    page.until_eq("the sign-in screen", Some("false".to_owned()), || {
        page.attr(SIGN_IN, "data-expired")
    })
    .await;
    assert!(
        page.text(SIGN_IN_MESSAGE)
            .is_some_and(|t| t.contains("Sign in with your Citrix account")),
        "{:?}",
        page.text(SIGN_IN_MESSAGE)
    );
    assert_eq!(
        page.attr(SIGN_IN_MESSAGE, "role"),
        None,
        "nothing went wrong, so nothing is alerted"
    );
    assert!(page.find("[data-testid=signin-button]").is_some());
    assert!(
        !page.requested("GET", "/api/resources"),
        "signed out, the catalogue is not asked for"
    );
}

/// Where the session is found to be gone.
#[derive(Debug, Clone, Copy)]
enum Moment {
    LoadingTheCatalogue,
    SavingAFavourite,
    Launching,
    PollingALaunch,
}

#[wasm_bindgen_test]
async fn a_session_that_ends_mid_use_shows_sign_in_again() {
    let expired = || Reply::error(401, ErrorCode::SessionExpired, "Your session has ended.");
    for moment in [
        Moment::LoadingTheCatalogue,
        Moment::SavingAFavourite,
        Moment::Launching,
        Moment::PollingALaunch,
    ] {
        let worker = FakeWorker::install();
        worker.on("GET", "/api/session", Reply::ok(&fixtures::session()));
        let resources = match moment {
            Moment::LoadingTheCatalogue => expired(),
            _ => Reply::ok(&fixtures::catalogue()),
        };
        worker.on("GET", "/api/resources", resources);
        match moment {
            Moment::LoadingTheCatalogue => {}
            Moment::SavingAFavourite => {
                worker.on("PUT", &favorite_path("excel"), expired());
            }
            Moment::Launching => {
                worker.on("POST", &launch_path("eng-ws"), expired());
            }
            Moment::PollingALaunch => {
                worker
                    .on(
                        "POST",
                        &launch_path("eng-ws"),
                        Reply::ok(&pending("h-3", 1)),
                    )
                    .on("POST", &poll_path("h-3"), expired());
            }
        }
        let page = match moment {
            Moment::LoadingTheCatalogue => Page::open("/", worker),
            _ => Page::catalogue(worker).await,
        };
        match moment {
            Moment::LoadingTheCatalogue => {}
            Moment::SavingAFavourite => page.click(&in_card("excel", "favorite-toggle")),
            Moment::Launching | Moment::PollingALaunch => {
                page.click(&in_card("eng-ws", "launch-button"))
            }
        }
        page.until_eq(
            &format!("the sign-in screen for an ended session ({moment:?})"),
            Some("true".to_owned()),
            || page.attr(SIGN_IN, "data-expired"),
        )
        .await;
        assert_eq!(
            page.text(SIGN_IN_MESSAGE).as_deref(),
            Some("Your session has ended. Sign in again to get back to where you were."),
            "{moment:?}"
        );
        assert_eq!(
            page.attr(SIGN_IN_MESSAGE, "role").as_deref(),
            Some("alert"),
            "{moment:?}: the ended session is announced"
        );
        assert!(
            page.all(CARDS).is_empty(),
            "{moment:?}: the catalogue is gone"
        );
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_portal_says_so_and_tries_again() {
    let worker = FakeWorker::install();
    worker
        .on("GET", "/api/session", Reply::Unreachable)
        .on("GET", "/api/session", Reply::ok(&fixtures::session()))
        .on("GET", "/api/resources", Reply::ok(&fixtures::catalogue()));
    let page = Page::open("/", worker);
    page.until_eq(
        "the error panel",
        Some("The portal could not be reached. Check your connection and try again.".to_owned()),
        || page.text("[data-testid=error] p"),
    )
    .await;
    assert_eq!(
        page.attr("[data-testid=error]", "role").as_deref(),
        Some("alert")
    );
    assert!(page.find(SIGN_IN).is_none(), "not a sign-in problem");

    page.click("[data-testid=retry]");
    page.until_eq("the catalogue after trying again", 9, || {
        page.all(CARDS).len()
    })
    .await;
    assert_eq!(page.worker.count("GET", "/api/session"), 2);
}

#[wasm_bindgen_test]
async fn items_the_store_sent_incomplete_are_counted_not_hidden() {
    let mut catalogue = fixtures::catalogue();
    catalogue.skipped = 2;
    let worker = FakeWorker::install();
    worker
        .on("GET", "/api/session", Reply::ok(&fixtures::session()))
        .on("GET", "/api/resources", Reply::ok(&catalogue));
    let page = Page::open("/", worker);
    page.until("cards", || !page.all(CARDS).is_empty()).await;
    let note = page.text("[data-testid=skipped-note]");
    assert!(
        note.as_deref()
            .is_some_and(|t| t.starts_with("2 items from Citrix Workspace could not be shown")),
        "{note:?}"
    );
    assert_eq!(
        page.attr("[data-testid=skipped-note]", "role").as_deref(),
        Some("status")
    );
    drop(page);

    // A complete catalogue says nothing of the kind.
    let page = Page::open("/", fixtures::signed_in());
    page.until("cards", || !page.all(CARDS).is_empty()).await;
    assert!(page.find("[data-testid=skipped-note]").is_none());
}
