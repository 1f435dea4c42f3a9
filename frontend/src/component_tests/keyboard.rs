//! The keyboard: `/` to search, arrows, Home and End between the cards, Enter to launch.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::HtmlElement;

use super::fake_worker::Reply;
use super::fixtures::{self, launch_path};
use super::page::{CARDS, Page, SEARCH, card, document, pause, press};

#[wasm_bindgen_test]
async fn slash_focuses_search_unless_typing() {
    let page = Page::catalogue(fixtures::signed_in()).await;
    let body = document().body().expect("a body");
    assert!(!page.has_focus(SEARCH));

    assert!(!press(&body, "/"), "/ on the page is taken as the shortcut");
    page.until("search focused by /", || page.has_focus(SEARCH))
        .await;

    // In the search box, / is a character like any other.
    assert!(page.press(SEARCH, "/"), "/ typed in search was swallowed");

    // From a card (not a text field) it is the shortcut again.
    page.get(&card("calc")).focus().expect("a card takes focus");
    assert!(page.has_focus(&card("calc")));
    assert!(!page.press(&card("calc"), "/"));
    page.until("search focused from a card", || page.has_focus(SEARCH))
        .await;

    // With a modifier it is someone else's shortcut.
    page.get(&card("calc")).focus().expect("a card takes focus");
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("/");
    init.set_ctrl_key(true);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ctrl_slash = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
        .expect("a keyboard event");
    assert!(
        page.get(&card("calc"))
            .dispatch_event(&ctrl_slash)
            .expect("dispatch")
    );
    pause(50).await;
    assert!(page.has_focus(&card("calc")), "Ctrl+/ moved focus");
}

/// How a card describes the grid's keys.
const KEYS_HINT: &str = "Arrow keys move between apps and desktops; Home and End go to the first and last. Enter launches.";

/// Where a card is on screen: (left, top).
fn position(e: &HtmlElement) -> (i32, i32) {
    (e.offset_left(), e.offset_top())
}

fn id_of(e: &web_sys::Element) -> String {
    e.get_attribute("data-resource-id").unwrap_or_default()
}

#[wasm_bindgen_test]
async fn arrow_keys_move_between_cards_and_enter_launches() {
    let worker = fixtures::signed_in();
    let (held, _gate) = Reply::ok(&fixtures::ready()).held();
    worker.on("POST", &launch_path("eng-ws"), held);
    let page = Page::catalogue(worker).await;
    let focused_id = || page.focused().map(|e| id_of(&e));
    let tab_stops = || {
        page.all(CARDS)
            .iter()
            .filter(|c| c.get_attribute("tabindex").as_deref() == Some("0"))
            .map(|c| id_of(c))
            .collect::<Vec<_>>()
    };
    // A key goes where focus is.
    let key = |key: &str| press(&page.focused().expect("focus in the app"), key);
    page.until("a layout of more than one column", || {
        let cards = page.all(CARDS);
        cards.len() > 1 && position(&cards[0]).1 == position(&cards[1]).1
    })
    .await;
    // One tab stop for the whole grid: the first card, which tells screen-reader users how to
    // move on from it.
    assert_eq!(tab_stops(), ["calc"]);
    assert_eq!(
        page.referenced_text(&card("calc"), "aria-describedby")
            .as_deref(),
        Some(KEYS_HINT)
    );

    page.get(&card("calc")).focus().expect("a card takes focus");
    assert!(!key("ArrowRight"), "arrows are handled");
    page.until_eq("the second card", Some("ecran".to_owned()), focused_id)
        .await;
    page.until_eq("the tab stop to follow", ["ecran"], tab_stops)
        .await;

    // Down: the card below, in the same column.
    let from = position(&page.get(&card("ecran")));
    key("ArrowDown");
    page.until("focus to move down", || {
        focused_id().is_some_and(|id| id != "ecran")
    })
    .await;
    let below: HtmlElement = page.focused().expect("focus").unchecked_into();
    let to = position(&below);
    assert!(
        to.0 == from.0 && to.1 > from.1,
        "ArrowDown went from {from:?} to {to:?} ({})",
        id_of(&below)
    );
    key("ArrowUp");
    page.until_eq("back up", Some("ecran".to_owned()), focused_id)
        .await;

    key("End");
    page.until_eq("End: the last card", Some("wordpad".to_owned()), focused_id)
        .await;
    key("Home");
    page.until_eq("Home: the first card", Some("calc".to_owned()), focused_id)
        .await;
    key("ArrowLeft");
    key("ArrowUp");
    pause(50).await;
    assert_eq!(
        focused_id().as_deref(),
        Some("calc"),
        "moves stop at the edges"
    );

    // Enter launches the focused card…
    key("ArrowRight");
    page.until_eq("the second card", Some("ecran".to_owned()), focused_id)
        .await;
    key("ArrowRight");
    page.until_eq("the desktop", Some("eng-ws".to_owned()), focused_id)
        .await;
    assert!(!key("Enter"), "Enter on a card is handled");
    page.until("its launch", || {
        page.requested("POST", &launch_path("eng-ws"))
    })
    .await;
    // …unless it cannot be launched here.
    page.get(&card("webmail"))
        .focus()
        .expect("a card takes focus");
    assert!(key("Enter"), "Enter on a web app is left alone");
    pause(200).await;
    assert!(!page.requested("POST", &launch_path("webmail")));
}
