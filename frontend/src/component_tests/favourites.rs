//! Favourites: changed at once, saved in the background, rolled back with a notice on failure.

use portal_shared::api::{ErrorCode, FavoriteState};
use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::Reply;
use super::fixtures::{self, favorite_path};
use super::page::{Page, in_card, pause};

const FAVOURITES_COUNT: &str = "[data-testid=view-favorites] [data-testid=view-count]";

/// `(aria-pressed, data-saving)` of a resource's star.
fn star(page: &Page, id: &str) -> (Option<String>, Option<String>) {
    let star = in_card(id, "favorite-toggle");
    (
        page.attr(&star, "aria-pressed"),
        page.attr(&star, "data-saving"),
    )
}

fn state(pressed: bool, saving: bool) -> (Option<String>, Option<String>) {
    (Some(pressed.to_string()), Some(saving.to_string()))
}

#[wasm_bindgen_test]
async fn a_favourite_shows_at_once_and_is_saved() {
    let worker = fixtures::signed_in();
    let (held, gate) = Reply::ok(&FavoriteState {
        id: "excel".into(),
        favorite: true,
    })
    .held();
    worker.on("PUT", &favorite_path("excel"), held);
    let page = Page::catalogue(worker).await;
    assert_eq!(star(&page, "excel"), state(false, false));
    assert_eq!(page.text(FAVOURITES_COUNT).as_deref(), Some("1"));

    page.click(&in_card("excel", "favorite-toggle"));
    page.until_eq(
        "the star on before the worker answers",
        state(true, true),
        || star(&page, "excel"),
    )
    .await;
    page.until_eq("the Favourites count", Some("2".to_owned()), || {
        page.text(FAVOURITES_COUNT)
    })
    .await;
    assert!(
        page.referenced_text(&in_card("excel", "favorite-toggle"), "aria-labelledby")
            .as_deref()
            == Some("Favourite Microsoft Excel"),
        "the star says whose it is"
    );
    // A second click while the first is being saved is not a second change.
    page.click(&in_card("excel", "favorite-toggle"));
    pause(100).await;
    assert_eq!(star(&page, "excel"), state(true, true));

    gate.open();
    page.until_eq("the save to finish", state(true, false), || {
        star(&page, "excel")
    })
    .await;
    let saves: Vec<_> = page
        .worker
        .seen()
        .into_iter()
        .filter(|s| s.path == favorite_path("excel"))
        .collect();
    assert_eq!(saves.len(), 1, "one save: {saves:?}");
    assert_eq!(saves[0].method, "PUT");
    assert!(saves[0].csrf, "the save carries the CSRF header");

    page.click("[data-testid=view-favorites]");
    page.until_eq(
        "the Favourites view",
        ["Microsoft Excel", "Windows 11 Desktop"],
        || page.names(),
    )
    .await;
    // Unmarking one in the Favourites view takes it out of the view at once.
    page.click(&in_card("win11", "favorite-toggle"));
    page.until_eq("Windows 11 out of Favourites", ["Microsoft Excel"], || {
        page.names()
    })
    .await;
    page.until("the removal to be saved", || {
        page.requested("DELETE", &favorite_path("win11"))
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_favourite_that_cannot_be_saved_rolls_back_with_a_notice_that_retries() {
    let worker = fixtures::signed_in();
    let (failure, gate) = Reply::error(500, ErrorCode::Internal, "").held();
    worker.on("PUT", &favorite_path("excel"), failure).on(
        "PUT",
        &favorite_path("excel"),
        Reply::ok(&FavoriteState {
            id: "excel".into(),
            favorite: true,
        }),
    );
    let page = Page::catalogue(worker).await;

    page.click(&in_card("excel", "favorite-toggle"));
    page.until_eq("the optimistic star", state(true, true), || {
        star(&page, "excel")
    })
    .await;
    gate.open();
    page.until_eq("the star rolled back", state(false, false), || {
        star(&page, "excel")
    })
    .await;
    assert_eq!(page.text(FAVOURITES_COUNT).as_deref(), Some("1"));
    page.until_eq(
        "a notice saying what failed",
        Some(
            "Microsoft Excel could not be added to your favourites. \
             The portal is having trouble right now. Try again in a moment."
                .to_owned(),
        ),
        || page.text("[data-testid=notice] p"),
    )
    .await;
    assert_eq!(
        page.attr("[data-testid=notice]", "role").as_deref(),
        Some("alert"),
        "the notice is announced"
    );

    page.click("[data-testid=notice-retry]");
    page.until_eq("the retried save", state(true, false), || {
        star(&page, "excel")
    })
    .await;
    page.until_eq("the notice gone", 0, || {
        page.all("[data-testid=notice]").len()
    })
    .await;
    assert_eq!(page.worker.count("PUT", &favorite_path("excel")), 2);
    assert_eq!(page.text(FAVOURITES_COUNT).as_deref(), Some("2"));
}
