//! Search: filtering, ranking, case and accents, Esc, and Enter on the top hit.

use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::Reply;
use super::fixtures::{self, ALPHABETICAL, launch_path};
use super::page::{Page, SEARCH, in_card, pause};

const HINT: &str = "[data-testid=search-hint]";
const COUNT: &str = "[data-testid=result-count]";

fn location_search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn search_filters_ranks_and_ignores_case_and_accents() {
    let page = Page::catalogue(fixtures::signed_in()).await;
    assert_eq!(page.names(), ALPHABETICAL, "cards are in name order");
    assert_eq!(page.text(COUNT).as_deref(), Some("9 items"));

    page.type_text(SEARCH, "word");
    page.until_eq(
        "the matches for “word”, name start first, description last",
        ["WordPad", "Microsoft Word", "Notepad"],
        || page.names(),
    )
    .await;
    page.until_eq("the count of matches", Some("3 items".to_owned()), || {
        page.text(COUNT)
    })
    .await;
    // The place is in the address, so a reload or signing in again comes back to it.
    page.until_eq("the search in the address", "?q=word", location_search)
        .await;

    for typed in ["ECRAN", "contrôle", "controle", "Écran  DE"] {
        page.type_text(SEARCH, typed);
        page.until_eq(
            &format!("“{typed}” to find the accented name"),
            ["Écran de contrôle"],
            || page.names(),
        )
        .await;
    }
    // A category matches too.
    page.type_text(SEARCH, "office");
    page.until_eq(
        "the Office folder's apps",
        ["Microsoft Excel", "Microsoft Word"],
        || page.names(),
    )
    .await;

    page.type_text(SEARCH, "zzz");
    page.until_eq(
        "the empty state for no matches",
        Some("no-matches".to_owned()),
        || page.attr("[data-testid=empty]", "data-reason"),
    )
    .await;
    assert!(
        page.text("[data-testid=empty]")
            .is_some_and(|t| t.contains("Nothing matches “zzz” here.")),
        "the empty state names the search"
    );
    assert_eq!(page.text(COUNT).as_deref(), Some("0 items"));
    page.click("[data-testid=empty-action]");
    page.until_eq("every card again", ALPHABETICAL, || page.names())
        .await;
    assert_eq!(page.search_value(), "", "the way out clears the search box");
}

#[wasm_bindgen_test]
async fn enter_launches_the_top_hit_or_says_why_not_and_escape_clears() {
    let worker = fixtures::signed_in();
    // Held for good: the launch stays "preparing", which is all this test needs.
    let (held, _gate) = Reply::ok(&fixtures::ready()).held();
    worker.on("POST", &launch_path("wordpad"), held);
    let page = Page::catalogue(worker).await;
    assert_eq!(page.text(HINT).as_deref(), Some("Press / to search."));

    // The only match is one the portal cannot open (in this catalogue Web Mail has neither a
    // launch nor a web address): Enter launches nothing, and both the hint and the screen
    // reader say why.
    page.type_text(SEARCH, "mail");
    page.until_eq("Web Mail alone", ["Web Mail"], || page.names())
        .await;
    assert_eq!(
        page.text(HINT).as_deref(),
        Some("Nothing that matches can be opened here. Esc clears.")
    );
    assert!(!page.press(SEARCH, "Enter"), "Enter in search is handled");
    page.until_eq(
        "the announcement that there is nothing to launch",
        Some("Nothing to launch: nothing that matches can be opened here.".to_owned()),
        || page.announced(),
    )
    .await;
    page.type_text(SEARCH, "zzz");
    page.until_eq(
        "the hint for no matches",
        Some("Nothing matches. Esc clears.".to_owned()),
        || page.text(HINT),
    )
    .await;
    page.press(SEARCH, "Enter");
    page.until_eq(
        "the announcement for no matches",
        Some("Nothing to launch: nothing matches the search.".to_owned()),
        || page.announced(),
    )
    .await;
    pause(200).await;
    assert!(
        page.worker
            .seen()
            .iter()
            .all(|s| !s.path.ends_with("/launch")),
        "Enter without a launchable match launched something: {:?}",
        page.worker.seen()
    );

    page.type_text(SEARCH, "word");
    page.until_eq(
        "the hint naming the top hit",
        Some("Enter launches WordPad. Esc clears.".to_owned()),
        || page.text(HINT),
    )
    .await;
    assert!(!page.press(SEARCH, "Enter"), "Enter in search is handled");
    page.until("WordPad's launch request", || {
        page.requested("POST", &launch_path("wordpad"))
    })
    .await;
    page.until_eq(
        "WordPad's card to show the launch under way",
        Some("pending".to_owned()),
        || page.attr(&in_card("wordpad", "launch-status"), "data-state"),
    )
    .await;
    assert_eq!(
        page.worker
            .seen()
            .iter()
            .filter(|s| s.path.ends_with("/launch"))
            .count(),
        1,
        "one launch, of the top hit only"
    );

    assert!(!page.press(SEARCH, "Escape"), "Esc in search is handled");
    page.until_eq("every card after Esc", ALPHABETICAL, || page.names())
        .await;
    assert_eq!(page.search_value(), "", "Esc empties the search box");
    assert_eq!(page.text(HINT).as_deref(), Some("Press / to search."));
}
