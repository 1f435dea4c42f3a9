//! A large catalogue: the grid renders the rows on screen, keeps its cards through an empty
//! result, and renders the rows beyond the screen once typing pauses or the user scrolls.

use portal_shared::api::{Catalogue, ResourceKind};
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlElement;

use super::fake_worker::{FakeWorker, Reply};
use super::fixtures;
use super::page::{Page, SEARCH, pause};
use crate::model::catalogue::test_resource;

const CARDS: &str = "[data-testid=resource-card]";

/// Longer than the grid's wait for typing to pause.
const AFTER_PAUSE_MS: u32 = 400;

/// Six hundred apps, "App 0001" to "App 0600".
fn large() -> FakeWorker {
    let resources = (1..=600)
        .map(|i| {
            test_resource(
                &format!("app-{i}"),
                &format!("App {i:04}"),
                ResourceKind::App,
            )
        })
        .collect();
    let worker = FakeWorker::install();
    worker
        .on("GET", "/api/session", Reply::ok(&fixtures::session()))
        .on(
            "GET",
            "/api/resources",
            Reply::ok(&Catalogue {
                resources,
                skipped: 0,
            }),
        );
    worker
}

fn first_name(page: &Page) -> Option<String> {
    page.names().into_iter().next()
}

#[wasm_bindgen_test]
async fn typing_renders_the_screen_then_the_rows_beyond_it() {
    let page = Page::open("/", large());
    page.until("cards", || !page.all(CARDS).is_empty()).await;
    pause(AFTER_PAUSE_MS).await;
    let settled = page.all(CARDS).len();
    assert!(
        settled < 600,
        "only the rows near the screen are rendered, not {settled}"
    );

    // "2" keeps the screen full: App 0002, App 0012, ...
    page.type_text(SEARCH, "2");
    page.until_eq("the matches", Some("App 0002".to_owned()), || {
        first_name(&page)
    })
    .await;
    let typing = page.all(CARDS).len();
    assert!(
        typing < settled,
        "while typing the screen's rows alone: {typing} cards, {settled} once settled"
    );
    page.until_eq("the rows beyond the screen after a pause", settled, || {
        page.all(CARDS).len()
    })
    .await;

    // Scrolling does not wait for a pause.
    page.type_text(SEARCH, "3");
    page.until_eq("the matches", Some("App 0003".to_owned()), || {
        first_name(&page)
    })
    .await;
    assert!(page.all(CARDS).len() < settled);
    web_sys::window()
        .expect("a window")
        .scroll_by_with_x_and_y(0.0, 1.0);
    pause(50).await;
    assert!(
        page.all(CARDS).len() > typing,
        "a scroll renders the rows beyond the screen at once"
    );
    web_sys::window()
        .expect("a window")
        .scroll_to_with_x_and_y(0.0, 0.0);
}

#[wasm_bindgen_test]
async fn nothing_found_keeps_the_cards_for_the_next_keystroke() {
    let page = Page::open("/", large());
    page.until("cards", || !page.all(CARDS).is_empty()).await;
    // Measured and settled: the first render guesses one column.
    pause(AFTER_PAUSE_MS).await;
    let before: Vec<HtmlElement> = page.all(CARDS);

    page.type_text(SEARCH, "zzz");
    page.until("the empty state", || {
        page.find("[data-testid=empty]").is_some()
    })
    .await;
    assert_eq!(
        page.attr("[data-testid=catalogue]", "hidden").as_deref(),
        Some(""),
        "the list is hidden, not gone"
    );

    page.type_text(SEARCH, "App 05");
    page.until_eq("the matches", Some("App 0500".to_owned()), || {
        first_name(&page)
    })
    .await;
    assert!(page.find("[data-testid=empty]").is_none());
    assert_eq!(page.attr("[data-testid=catalogue]", "hidden"), None);
    let after = page.all(CARDS);
    let places = |cards: &[HtmlElement]| {
        cards
            .iter()
            .map(|c| c.get_attribute("aria-posinset").unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert!(
        before.iter().zip(&after).all(|(b, a)| b == a),
        "the same card elements show the new matches: before at {:?}, after at {:?}, same {:?}",
        places(&before),
        places(&after),
        before
            .iter()
            .zip(&after)
            .map(|(b, a)| b == a)
            .collect::<Vec<_>>()
    );
}
