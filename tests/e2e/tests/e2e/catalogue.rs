//! Browser journeys of the catalogue (issue 5): views, folders, search and its keys, favourites,
//! every launch outcome, session expiry, keyboard use and accessibility. Each journey signs in
//! from a fresh browser context, so none depends on another's cookies. `-- NAME` runs the
//! journeys whose name contains NAME.

use std::time::Duration;

use crate::catalogue_running;
use portal_e2e::Result;
use portal_e2e::axe::axe;
use portal_e2e::cdp::{Page, js_str, next_navigation};
use portal_e2e::grid::{card, reveal};
use portal_e2e::signin::{sign_in_here, signed_in};
use portal_e2e::stack::{Options, root};
use portal_e2e::suite::{self, Browsing, Test, check};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;
use workspace_emulator::{Fault, FaultKind, LaunchScript, demo};

type Ctx = Browsing;

const WAIT: Duration = Duration::from_secs(20);

fn journeys() -> Vec<(&'static str, Test<Ctx>)> {
    vec![
        // First: before any icon sits in the worker's edge cache.
        ("icons_that_fail_fall_back_to_initials", |c| {
            Box::pin(icons_that_fail_fall_back_to_initials(c))
        }),
        ("loading_shows_skeletons_and_a_failure_offers_retry", |c| {
            Box::pin(loading_shows_skeletons_and_a_failure_offers_retry(c))
        }),
        ("views_folders_sort_and_layout_live_in_the_url", |c| {
            Box::pin(views_folders_sort_and_layout_live_in_the_url(c))
        }),
        (
            "every_card_of_a_layout_is_one_height_and_shows_all_it_holds",
            |c| {
                Box::pin(every_card_of_a_layout_is_one_height_and_shows_all_it_holds(
                    c,
                ))
            },
        ),
        (
            "search_matches_name_description_and_folder_best_first",
            |c| Box::pin(search_matches_name_description_and_folder_best_first(c)),
        ),
        ("search_keys_slash_escape_and_enter", |c| {
            Box::pin(search_keys_slash_escape_and_enter(c))
        }),
        ("empty_results_say_why_and_offer_a_way_out", |c| {
            Box::pin(empty_results_say_why_and_offer_a_way_out(c))
        }),
        ("a_search_that_finds_nothing_hides_every_card", |c| {
            Box::pin(a_search_that_finds_nothing_hides_every_card(c))
        }),
        (
            "a_cards_details_open_in_a_dialog_and_close_back_to_the_card",
            |c| {
                Box::pin(a_cards_details_open_in_a_dialog_and_close_back_to_the_card(
                    c,
                ))
            },
        ),
        (
            "the_launch_file_preference_downloads_and_outlives_the_page",
            |c| {
                Box::pin(the_launch_file_preference_downloads_and_outlives_the_page(
                    c,
                ))
            },
        ),
        (
            "a_web_app_opens_in_a_new_tab_that_cannot_reach_the_portal",
            |c| Box::pin(a_web_app_opens_in_a_new_tab_that_cannot_reach_the_portal(c)),
        ),
        ("a_favourite_shows_at_once_and_is_saved", |c| {
            Box::pin(a_favourite_shows_at_once_and_is_saved(c))
        }),
        (
            "a_failed_favourite_rolls_back_with_a_message_and_retry",
            |c| Box::pin(a_failed_favourite_rolls_back_with_a_message_and_retry(c)),
        ),
        (
            "a_starting_desktop_counts_down_then_offers_the_ica_file",
            |c| Box::pin(a_starting_desktop_counts_down_then_offers_the_ica_file(c)),
        ),
        (
            "failed_launches_say_why_and_advise_restart_when_suggested",
            |c| Box::pin(failed_launches_say_why_and_advise_restart_when_suggested(c)),
        ),
        ("a_pending_launch_can_be_cancelled", |c| {
            Box::pin(a_pending_launch_can_be_cancelled(c))
        }),
        ("several_launches_at_once_do_not_interfere", |c| {
            Box::pin(several_launches_at_once_do_not_interfere(c))
        }),
        (
            "session_expiry_leads_to_sign_in_and_back_to_the_same_place",
            |c| {
                Box::pin(session_expiry_leads_to_sign_in_and_back_to_the_same_place(
                    c,
                ))
            },
        ),
        ("sign_out_shows_the_sign_in_screen", |c| {
            Box::pin(sign_out_shows_the_sign_in_screen(c))
        }),
        ("arrow_keys_move_between_cards_and_enter_launches", |c| {
            Box::pin(arrow_keys_move_between_cards_and_enter_launches(c))
        }),
        ("landmarks_labels_and_live_region", |c| {
            Box::pin(landmarks_labels_and_live_region(c))
        }),
        ("axe_finds_nothing_serious_in_light_or_dark", |c| {
            Box::pin(axe_finds_nothing_serious_in_light_or_dark(c))
        }),
        ("a_phone_gets_one_column_and_nothing_sideways", |c| {
            Box::pin(a_phone_gets_one_column_and_nothing_sideways(c))
        }),
    ]
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    vec![
        suite::run_on(
            "catalogue",
            journeys()
                .into_iter()
                .chain(catalogue_running::journeys())
                .collect(),
            Ctx::spawn(Options::default()),
            reset,
        )
        .await,
    ]
}

/// The emulator's defaults, plus the seed's launch behaviour for the resources journeys script.
fn reset(c: &Ctx) {
    c.stack.reset();
    for (id, retries) in [
        ("win11-desktop", 1),
        ("call-centre-desktop", 1),
        ("eng-workstation", 3),
        ("word", 0),
    ] {
        c.stack.emulator.script_launch(
            id,
            LaunchScript {
                retries,
                ..LaunchScript::default()
            },
        );
    }
}

fn fault(path: &str, method: Option<&str>, kind: FaultKind, times: Option<u32>) -> Fault {
    Fault {
        path: path.into(),
        method: method.map(str::to_owned),
        kind,
        times,
    }
}

/// Runs `body` on a signed-in page, then closes the page whatever happened.
async fn on_page<'b, F, Fut>(c: &'b Ctx, path: &str, body: F) -> Result<()>
where
    F: FnOnce(Page<'b>) -> Fut,
    Fut: std::future::Future<Output = (Page<'b>, Result<()>)>,
{
    let page = signed_in(c, path).await?;
    let (page, outcome) = body(page).await;
    let _ = page.close().await;
    outcome
}

async fn names(page: &Page<'_>) -> Result<Vec<String>> {
    let v = page
        .eval("[...document.querySelectorAll('[data-testid=resource-card] [data-testid=resource-name]')].map(e => e.textContent.trim())")
        .await?;
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// Whether the list holds `n` resources: only the cards near the screen are rendered, each says
/// how many there are in all.
fn listed_is(n: usize) -> String {
    format!(
        "Number(document.querySelector('[data-testid=resource-card]')?.getAttribute('aria-setsize')) === {n}"
    )
}

async fn search_for(page: &Page<'_>, text: &str) -> Result<()> {
    page.eval("(() => { const s = document.querySelector('[data-testid=search]'); s.value = ''; s.dispatchEvent(new Event('input', {bubbles: true})); })()")
        .await?;
    page.type_into("[data-testid=search]", text).await
}

async fn next_receiver_uri(navigations: &mut UnboundedReceiver<Value>) -> Option<String> {
    next_navigation(navigations, "receiver://", WAIT).await
}

async fn icons_that_fail_fall_back_to_initials(c: &Ctx) -> Result<()> {
    // Icons on the store and on its CDN alike.
    for path in ["/citrixapi/store/resources/images/", "/icons/"] {
        c.stack
            .emulator
            .inject(fault(path, None, FaultKind::Status { status: 500 }, None));
    }
    on_page(c, "/", |page| async move {
        let outcome = async {
            page.wait_for(
                "document.querySelectorAll('[data-testid=icon-fallback]').length >= 8",
                WAIT,
            )
            .await?;
            // Lazy images load (and fail) once they are near the viewport.
            let fallback = format!("{} [data-testid=icon-fallback]", card("word"));
            reveal(&page, "word").await?;
            page.wait_for_selector(&fallback, WAIT).await?;
            let word = page.text(&fallback).await?;
            check(word == "MW", || {
                format!("Microsoft Word's fallback is {word:?}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn loading_shows_skeletons_and_a_failure_offers_retry(c: &Ctx) -> Result<()> {
    let page = signed_in(c, "/").await?;
    let outcome = async {
        // Slow: placeholders the size of cards, then the cards.
        c.stack.emulator.inject(fault(
            "/citrixapi/store/resources",
            Some("GET"),
            FaultKind::Latency { ms: 2000 },
            None,
        ));
        page.goto(&format!("{}/", c.stack.portal)).await?;
        page.wait_for_selector("[data-testid=skeletons]", WAIT)
            .await?;
        let skeleton_h = page
            .eval("document.querySelector('[data-testid=skeletons] li').getBoundingClientRect().height")
            .await?;
        page.wait_for_selector("[data-testid=resource-card]", WAIT)
            .await?;
        let card_h = page
            .eval("document.querySelector('[data-testid=resource-card]').getBoundingClientRect().height")
            .await?;
        let (s, k) = (
            skeleton_h.as_f64().unwrap_or(0.0),
            card_h.as_f64().unwrap_or(0.0),
        );
        check(s > 100.0 && (s - k).abs() < 40.0, || {
            format!("skeleton {s}px high, card {k}px: the layout jumps")
        })?;
        c.stack.emulator.clear_faults();

        // Failing: a human message and a retry that works.
        c.stack.emulator.inject(fault(
            "/citrixapi/store/resources",
            Some("GET"),
            FaultKind::Status { status: 503 },
            None,
        ));
        page.goto(&format!("{}/", c.stack.portal)).await?;
        page.wait_for_selector("[data-testid=error]", WAIT).await?;
        let message = page.text("[data-testid=error]").await?;
        check(
            message.len() > 20 && !message.contains('{') && !message.contains("503"),
            || format!("error panel says {message:?}"),
        )?;
        c.stack.emulator.clear_faults();
        page.click("[data-testid=retry]").await?;
        page.wait_for_selector("[data-testid=resource-card]", WAIT)
            .await
    }
    .await;
    let _ = page.close().await;
    outcome
}

async fn views_folders_sort_and_layout_live_in_the_url(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            page.wait_for(&listed_is(40), WAIT).await?;

            page.click("[data-testid=view-desktops]").await?;
            page.wait_for("location.search === '?view=desktops'", WAIT)
                .await?;
            let kinds = page
                .eval("[...document.querySelectorAll('[data-testid=resource-card]')].map(c => c.dataset.kind)")
                .await?;
            let kinds: Vec<String> = serde_json::from_value(kinds).map_err(|e| e.to_string())?;
            check(kinds.len() == 5 && kinds.iter().all(|k| k == "desktop"), || {
                format!("Desktops view shows {kinds:?}")
            })?;

            page.click("[data-testid=view-apps]").await?;
            page.click("[data-testid=folder][data-folder='Engineering/Tools']")
                .await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 4",
                WAIT,
            )
            .await?;
            let tools = names(&page).await?;
            check(
                tools == ["Git Bash", "PuTTY", "Visual Studio Code", "WinSCP"],
                || format!("Engineering › Tools shows {tools:?}"),
            )?;
            // A parent folder holds its sub-folder's resources too.
            page.click("[data-testid=folder][data-folder='Engineering']")
                .await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 8",
                WAIT,
            )
            .await?;

            page.click("[data-testid=layout-list]").await?;
            search_for(&page, "a").await?;
            page.wait_for("location.search.includes('q=a')", WAIT)
                .await?;
            let search = page.eval("location.search").await?;
            check(
                search.as_str() == Some("?view=apps&q=a&cat=Engineering&layout=list"),
                || format!("URL query is {search}"),
            )?;
            let before = names(&page).await?;

            // A reload (or a link, or sign-in's returnTo) opens the same place.
            page.goto(&format!("{}/{}", c.stack.portal, search.as_str().unwrap_or("")))
                .await?;
            page.wait_for_selector("[data-testid=resource-card]", WAIT)
                .await?;
            let value = page.eval("document.querySelector('[data-testid=search]').value").await?;
            let layout = page.attr("[data-testid=catalogue]", "data-layout").await?;
            let pressed = page.attr("[data-testid=view-apps]", "aria-pressed").await?;
            let folder = page
                .attr("[data-testid=folder][data-folder='Engineering']", "aria-current")
                .await?;
            let after = names(&page).await?;
            check(
                value == "a"
                    && layout.as_deref() == Some("list")
                    && pressed.as_deref() == Some("true")
                    && folder.as_deref() == Some("true")
                    && after == before,
                || format!("after reload: q={value} layout={layout:?} apps pressed={pressed:?} folder={folder:?} {after:?} vs {before:?}"),
            )?;

            // Recently launched first: launch Paint, then sort by recency.
            page.click("[data-testid=view-all]").await?;
            page.click("[data-testid=folder][data-folder='']").await?;
            search_for(&page, "").await?;
            reveal(&page, "paint").await?;
            page.click(&format!("{} [data-testid=launch-button]", card("paint")))
                .await?;
            page.wait_for_selector(
                &format!("{} [data-testid=launch-status][data-state=ready]", card("paint")),
                WAIT,
            )
            .await?;
            page.eval("(() => { const s = document.querySelector('[data-testid=sort]'); s.value = 'recent'; s.dispatchEvent(new Event('change', {bubbles: true})); })()")
                .await?;
            page.wait_for("location.search.includes('sort=recent')", WAIT)
                .await?;
            // Paint was launched far down the list: the new order is shown from its top.
            let top = "document.querySelector('[data-testid=resource-card]')";
            let first = page
                .wait_for(&format!("{top}?.getAttribute('aria-posinset') === '1' && {top}.getBoundingClientRect().top >= 0"), WAIT)
                .await;
            let names = names(&page).await?;
            check(first.is_ok() && names.first().map(String::as_str) == Some("Paint"), || {
                format!("recently launched order starts {:?} ({first:?})", names.first())
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

/// Cards of one height keep the virtualised grid's rows in step with what is on screen (a row
/// that grew with its text would make a keystroke re-measure and re-render); clamped text must
/// still fit. The demo catalogue has two-line names, long descriptions, web apps and folders.
async fn every_card_of_a_layout_is_one_height_and_shows_all_it_holds(c: &Ctx) -> Result<()> {
    const CHECK: &str = r#"(() => {
        const cards = [...document.querySelectorAll('[data-testid=resource-card]')];
        const problems = [];
        if (cards.length < 3) problems.push(`only ${cards.length} cards`);
        const heights = new Set(cards.map(c => Math.round(c.getBoundingClientRect().height)));
        if (heights.size !== 1) problems.push(`card heights ${[...heights].join(', ')}`);
        for (const c of cards) {
            for (const box of [c, c.querySelector('.body'), c.querySelector('.meta')]) {
                if (box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1) {
                    problems.push(`${c.dataset.resourceId}: ${box.className} is cut off`);
                }
            }
            const badge = c.querySelector('.badge').getBoundingClientRect();
            const folder = c.querySelector('[data-testid=resource-folder]').getBoundingClientRect();
            if (folder.width > 0 && Math.abs(folder.top + folder.height / 2 - (badge.top + badge.height / 2)) > 2) {
                problems.push(`${c.dataset.resourceId}: the folder is not beside the kind`);
            }
        }
        return problems.slice(0, 8);
    })()"#;
    on_page(c, "/", |page| async move {
        let outcome = async {
            for (width, height) in [(1280, 900), (360, 740)] {
                page.call(
                    "Emulation.setDeviceMetricsOverride",
                    serde_json::json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 400}),
                )
                .await?;
                for layout in ["grid", "list"] {
                    page.click(&format!("[data-testid=layout-{layout}]")).await?;
                    page.wait_for(
                        &format!("document.querySelector('[data-testid=catalogue]').dataset.layout === '{layout}'"),
                        WAIT,
                    )
                    .await?;
                    let report = page.eval(CHECK).await?;
                    check(report == serde_json::json!([]), || {
                        format!("{layout} at {width} px: {report}")
                    })?;
                }
            }
            Ok(())
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn search_matches_name_description_and_folder_best_first(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            // Accents and case do not matter; the description matches.
            search_for(&page, "SPRÉADSHEETS").await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 1",
                WAIT,
            )
            .await?;
            check(names(&page).await? == ["Microsoft Excel"], || {
                "description search".into()
            })?;
            // The folder name matches.
            search_for(&page, "tools").await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 4",
                WAIT,
            )
            .await?;
            // Best matches first: names (alphabetically among equals), then the folder match,
            // then the description match.
            search_for(&page, "desktop").await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 6",
                WAIT,
            )
            .await?;
            let hits = names(&page).await?;
            check(
                hits == [
                    "Call Centre Desktop",
                    "Finance Desktop",
                    "Lab Desktop",
                    "Windows 11 Desktop",
                    "Engineering Workstation",
                    "Microsoft Access",
                ],
                || format!("desktop finds {hits:?}"),
            )?;
            let count = page.text("[data-testid=result-count]").await?;
            check(count == format!("{} items", hits.len()), || {
                format!("result count says {count:?} for {} hits", hits.len())
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn search_keys_slash_escape_and_enter(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            let mut navigations = page.subscribe("Page.frameRequestedNavigation");
            page.eval("document.activeElement.blur()").await?;
            page.press("/").await?;
            let focused = page
                .eval("document.activeElement?.dataset.testid ?? null")
                .await?;
            let value = page
                .eval("document.querySelector('[data-testid=search]').value")
                .await?;
            check(focused == "search" && value == "", || {
                format!("after `/`: focus on {focused}, search holds {value}")
            })?;

            page.call("Input.insertText", serde_json::json!({"text": "word"}))
                .await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 1",
                WAIT,
            )
            .await?;
            let hint = page.text("[data-testid=search-hint]").await?;
            check(hint.contains("Enter launches Microsoft Word"), || {
                format!("hint says {hint:?}")
            })?;
            page.press("Escape").await?;
            page.wait_for(&listed_is(40), WAIT).await?;
            let value = page
                .eval("document.querySelector('[data-testid=search]').value")
                .await?;
            check(value == "", || format!("Esc left {value}"))?;

            page.call(
                "Input.insertText",
                serde_json::json!({"text": "microsoft word"}),
            )
            .await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 1",
                WAIT,
            )
            .await?;
            page.press("Enter").await?;
            page.wait_for_selector(
                &format!("{} [data-testid=launch-status]", card("word")),
                WAIT,
            )
            .await?;
            let uri = next_receiver_uri(&mut navigations)
                .await
                .ok_or("Enter did not hand off to receiver://")?;
            check(uri.starts_with("receiver://"), || uri.clone())
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn empty_results_say_why_and_offer_a_way_out(c: &Ctx) -> Result<()> {
    on_page(c, "/?view=desktops&q=zzzz", |page| async move {
        let outcome = async {
            page.wait_for_selector("[data-testid=empty][data-reason=no-matches]", WAIT)
                .await?;
            let text = page.text("[data-testid=empty]").await?;
            check(text.contains("zzzz"), || {
                format!("empty state says {text:?}")
            })?;
            page.click("[data-testid=empty-action]").await?;
            page.wait_for(
                &format!("{} && location.search === ''", listed_is(40)),
                WAIT,
            )
            .await
        }
        .await;
        (page, outcome)
    })
    .await
}

/// The cards stay in the page while nothing matches, so the next keystroke reuses them; no one
/// may see, reach or hear them meanwhile.
async fn a_search_that_finds_nothing_hides_every_card(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            page.wait_for(&listed_is(40), WAIT).await?;
            search_for(&page, "zzzz").await?;
            page.wait_for_selector("[data-testid=empty][data-reason=no-matches]", WAIT)
                .await?;
            let seen = page
                .eval(r#"(() => {
                    const list = document.querySelector('[data-testid=catalogue]');
                    const cards = [...list.querySelectorAll('[data-testid=resource-card]')];
                    const focusable = cards.filter(c => { c.focus(); return document.activeElement === c; });
                    return {kept: cards.length, height: list.getBoundingClientRect().height,
                            visible: cards.filter(c => c.checkVisibility()).length, focusable: focusable.length};
                })()"#)
                .await?;
            let hidden = (
                page.hidden_from_screen_readers("[data-testid=catalogue]").await?,
                page.hidden_from_screen_readers("[data-testid=resource-card]").await?,
            );
            check(
                seen["kept"].as_u64() > Some(0)
                    && seen["height"].as_f64() == Some(0.0)
                    && seen["visible"] == 0
                    && seen["focusable"] == 0
                    && hidden == (true, true),
                || format!("while nothing matches: {seen}, hidden from screen readers (list, card): {hidden:?}"),
            )?;
            search_for(&page, "word").await?;
            page.wait_for(&listed_is(1), WAIT).await?;
            check(
                !page.hidden_from_screen_readers("[data-testid=resource-card]").await?,
                || "the card that matches again is hidden from screen readers".to_owned(),
            )
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn a_cards_details_open_in_a_dialog_and_close_back_to_the_card(c: &Ctx) -> Result<()> {
    const DIALOG: &str = "[data-testid=details-dialog]";
    on_page(c, "/", |page| async move {
        let outcome = async {
            reveal(&page, "excel").await?;
            let opener = format!("{} [data-testid=details-button]", card("excel"));
            check(
                page.accessible_name(&opener).await? == "Details Microsoft Excel",
                || "the button is not named after its card".into(),
            )?;
            page.click(&opener).await?;
            page.wait_for(
                "document.querySelector('[data-testid=details-dialog]')?.open === true",
                WAIT,
            )
            .await?;
            let name = page
                .text(&format!("{DIALOG} [data-testid=details-name]"))
                .await?;
            let folder = page
                .text(&format!("{DIALOG} [data-testid=details-folder]"))
                .await?;
            check(name == "Microsoft Excel" && folder == "Office", || {
                format!("the dialog shows {name:?} in {folder:?}")
            })?;
            // The open dialog meets the same bar as the page.
            let found = axe(&page).await?;
            check(found.is_empty(), || format!("axe, details open: {found:?}"))?;
            // Escape closes it, and focus is back on the card's button.
            page.press("Escape").await?;
            page.wait_for(
                "document.querySelector('[data-testid=details-dialog]') === null",
                WAIT,
            )
            .await?;
            let back = page
                .eval("document.activeElement?.closest('[data-resource-id]')?.getAttribute('data-resource-id') + ' ' + document.activeElement?.getAttribute('data-testid')")
                .await?;
            check(back == "excel details-button", || {
                format!("focus went to {back}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

/// Picks `value` in the launch preference's `<select>`, as a person choosing an option does.
async fn choose_launch_preference(page: &Page<'_>, value: &str) -> Result<()> {
    page.eval(&format!(
        "(() => {{ const s = document.querySelector('[data-testid=launch-preference]'); s.value = '{value}'; s.dispatchEvent(new Event('change', {{bubbles: true}})); }})()"
    ))
    .await
    .map(|_| ())
}

async fn the_launch_file_preference_downloads_and_outlives_the_page(c: &Ctx) -> Result<()> {
    const CHOICE: &str = "[data-testid=launch-preference]";
    on_page(c, "/", |page| async move {
        let outcome = async {
            choose_launch_preference(&page, "ica").await?;
            // Kept by the worker: a reload (a new page of the same session) shows it.
            let deadline = std::time::Instant::now() + WAIT;
            let mut kept = false;
            while !kept && std::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                page.goto(&format!("{}/", c.stack.portal)).await?;
                page.wait_for_selector(CHOICE, WAIT).await?;
                kept = page
                    .eval("document.querySelector('[data-testid=launch-preference]').value")
                    .await?
                    == "ica";
            }
            check(kept, || "the choice did not outlive the page".into())?;
            // A launch now fetches the ICA file (the worker's download route), no hand-off.
            let before = c.stack.emulator.transaction_log().len();
            reveal(&page, "notepad").await?;
            page.click(&format!("{} [data-testid=launch-button]", card("notepad")))
                .await?;
            page.wait_for_selector(
                &format!("{} [data-testid=download-fallback]", card("notepad")),
                WAIT,
            )
            .await?;
            let deadline = std::time::Instant::now() + WAIT;
            let mut paths = Vec::new();
            while std::time::Instant::now() < deadline {
                paths = c.stack.emulator.transaction_log()[before..]
                    .iter()
                    .map(|r| r.path.clone())
                    .collect::<Vec<_>>();
                if paths.iter().any(|p| p.contains("/notepad/")) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            check(
                paths.iter().any(|p| p.contains("/notepad/"))
                    && !paths.iter().any(|p| {
                        p.ends_with("/notepad/launchStatus")
                            || p.ends_with("/notepad/icaFileFetchTicket")
                    }),
                || format!("the store saw {paths:?}"),
            )
        }
        .await;
        // Back to the default for the tests that follow, whatever happened, and saved by the
        // worker before the page closes (the choice is the user's, not this test's).
        let _ = choose_launch_preference(&page, "app").await;
        let deadline = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < deadline {
            let saved = page
                .eval("fetch('/api/session').then(r => r.json()).then(s => s.preferences.launch)")
                .await;
            if matches!(saved.as_ref().map(Value::as_str), Ok(Some("workspaceApp"))) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        (page, outcome)
    })
    .await
}

async fn a_web_app_opens_in_a_new_tab_that_cannot_reach_the_portal(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            for id in ["workday", "salesforce", "intranet"] {
                reveal(&page, id).await?;
                let web = card(id);
                let button = page
                    .text(&format!("{web} [data-testid=launch-button]"))
                    .await?;
                let badges = page
                    .count(&format!("{web} [data-testid=web-badge]"))
                    .await?;
                check(button == "Open" && badges == 1, || {
                    format!("{id}: button {button:?}, {badges} web badges")
                })?;
            }
            // Enter in search opens the best match, a web app, in a new tab.
            search_for(&page, "workday").await?;
            page.wait_for(
                "document.querySelectorAll('[data-testid=resource-card]').length === 1",
                WAIT,
            )
            .await?;
            let hint = page.text("[data-testid=search-hint]").await?;
            check(hint.starts_with("Enter opens Workday in a new tab"), || {
                format!("hint says {hint:?}")
            })?;
            page.press("Enter").await?;
            let workday = card("workday");
            page.wait_for_selector(&format!("{workday} [data-testid=web-open-link]"), WAIT)
                .await?;
            let address = "https://workday.apps.example/";
            let link = format!("{workday} [data-testid=web-open-link]");
            let (href, rel) = (
                page.attr(&link, "href").await?,
                page.attr(&link, "rel").await?,
            );
            check(
                href.as_deref() == Some(address) && rel.as_deref() == Some("noopener noreferrer"),
                || format!("the fallback link is {href:?} {rel:?}"),
            )?;
            // The real tab: at the app's address, and without a handle on the portal's window.
            let mut tabs = Vec::new();
            let deadline = std::time::Instant::now() + WAIT;
            // A new tab is about:blank for a moment before its navigation starts.
            let at_address = |tabs: &[Value]| {
                tabs.iter()
                    .any(|t| t["url"].as_str().is_some_and(|u| u.starts_with(address)))
            };
            while !at_address(&tabs) && std::time::Instant::now() < deadline {
                tabs = page.opened_tabs().await?;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            for tab in &tabs {
                if let Some(id) = tab["targetId"].as_str() {
                    page.close_tab(id).await?;
                }
            }
            check(
                tabs.len() == 1
                    && tabs[0]["url"]
                        .as_str()
                        .is_some_and(|u| u.starts_with(address))
                    && tabs[0]["canAccessOpener"] == false,
                || format!("tabs opened: {tabs:?}"),
            )?;
            // The card with its "opened in a new tab" panel meets the same bar as the rest.
            let found = axe(&page).await?;
            check(found.is_empty(), || {
                format!("axe, a web app's panel open: {found:?}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

const FAV_PATH: &str = "/citrixapi/store/resources/excel/$favorite";

async fn a_favourite_shows_at_once_and_is_saved(c: &Ctx) -> Result<()> {
    let excel = card("excel");
    let toggle = format!("{excel} [data-testid=favorite-toggle]");
    c.stack.emulator.inject(fault(
        FAV_PATH,
        None,
        FaultKind::Latency { ms: 1500 },
        Some(1),
    ));
    on_page(c, "/", |page| async move {
        let outcome = async {
            reveal(&page, "excel").await?;
            check(
                page.attr(&toggle, "aria-pressed").await?.as_deref() == Some("false"),
                || "Excel starts as a non-favourite".into(),
            )?;
            page.click(&toggle).await?;
            // Before the worker answers, the star is already on.
            let now = page
                .eval(&format!(
                    "[document.querySelector({0}).getAttribute('aria-pressed'), document.querySelector({0}).dataset.saving]",
                    js_str(&toggle)
                ))
                .await?;
            check(now == serde_json::json!(["true", "true"]), || {
                format!("right after the click: {now}")
            })?;
            page.wait_for(&format!("document.querySelector({}).dataset.saving === 'false'", js_str(&toggle)), WAIT)
                .await?;
            // Saved upstream: a reload in the Favourites view shows it.
            page.goto(&format!("{}/?view=favorites", c.stack.portal)).await?;
            page.wait_for_selector("[data-testid=resource-card]", WAIT)
                .await?;
            let favs = names(&page).await?;
            check(favs.contains(&"Microsoft Excel".to_owned()), || {
                format!("favourites after reload: {favs:?}")
            })?;
            let (label, pressed) = (
                page.accessible_name(&toggle).await?,
                page.attr(&toggle, "aria-pressed").await?,
            );
            check(
                label == "Favourite Microsoft Excel"
                    && pressed.as_deref() == Some("true"),
                || format!("toggle label {label:?}, pressed {pressed:?}"),
            )?;
            // And off again, which takes it out of the Favourites view.
            page.click(&toggle).await?;
            page.wait_for(&format!("!document.querySelector({})", js_str(&excel)), WAIT)
                .await?;
            page.goto(&format!("{}/?view=favorites", c.stack.portal)).await?;
            page.wait_for_selector("[data-testid=resource-card]", WAIT)
                .await?;
            let favs = names(&page).await?;
            check(!favs.contains(&"Microsoft Excel".to_owned()), || {
                format!("favourites after unfavouriting: {favs:?}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn a_failed_favourite_rolls_back_with_a_message_and_retry(c: &Ctx) -> Result<()> {
    let toggle = format!("{} [data-testid=favorite-toggle]", card("excel"));
    on_page(c, "/", |page| async move {
        let outcome = async {
            c.stack.emulator.inject(fault(
                FAV_PATH,
                None,
                FaultKind::Latency { ms: 1000 },
                Some(1),
            ));
            c.stack.emulator.inject(fault(
                FAV_PATH,
                None,
                FaultKind::Status { status: 500 },
                Some(1),
            ));
            reveal(&page, "excel").await?;
            page.click(&toggle).await?;
            let optimistic = page.attr(&toggle, "aria-pressed").await?;
            check(optimistic.as_deref() == Some("true"), || {
                format!("not optimistic: {optimistic:?}")
            })?;
            page.wait_for_selector("[data-testid=notice]", WAIT).await?;
            let pressed = page.attr(&toggle, "aria-pressed").await?;
            let message = page.text("[data-testid=notice] p").await?;
            check(
                pressed.as_deref() == Some("false")
                    && message.starts_with("Microsoft Excel could not be added to your favourites.")
                    && !message.contains('{'),
                || format!("after the failure: pressed={pressed:?}, message {message:?}"),
            )?;
            // Try again from the message: the fault is used up, so it saves.
            page.click("[data-testid=notice-retry]").await?;
            page.wait_for(
                &format!(
                    "!document.querySelector('[data-testid=notice]') && document.querySelector({0}).getAttribute('aria-pressed') === 'true' && document.querySelector({0}).dataset.saving === 'false'",
                    js_str(&toggle)
                ),
                WAIT,
            )
            .await?;
            // Leave the seed as it was, through the API (the page's part is proven above).
            let status = page
                .eval(
                    "fetch('/api/resources/excel/favorite', {method: 'DELETE', headers: {'X-Portal-Csrf': '1'}}).then(r => r.status)",
                )
                .await?;
            check(status == 200, || {
                format!("removing the favourite again answered {status}")
            })
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn a_starting_desktop_counts_down_then_offers_the_ica_file(c: &Ctx) -> Result<()> {
    let eng = card("eng-workstation");
    on_page(c, "/", |page| async move {
        let outcome = async {
            let mut navigations = page.subscribe("Page.frameRequestedNavigation");
            page.click(&format!("{eng} [data-testid=launch-button]")).await?;
            // The worker's retry delay, counted down.
            page.wait_for_selector(&format!("{eng} [data-testid=launch-progress][data-seconds-left]"), WAIT)
                .await?;
            let progress = page.text(&format!("{eng} [data-testid=launch-progress]")).await?;
            check(progress.contains("Starting Engineering Workstation") && progress.contains("checking again in"), || {
                format!("progress says {progress:?}")
            })?;
            let disabled = page.eval(&format!("document.querySelector({}).getAttribute('aria-disabled')", js_str(&format!("{eng} [data-testid=launch-button]")))).await?;
            check(disabled == "true", || "launch button enabled while pending".into())?;
            let live = page.text("[data-testid=live-region]").await?;
            check(live.contains("Engineering Workstation is starting"), || format!("live region: {live:?}"))?;

            let uri = next_receiver_uri(&mut navigations).await.ok_or("no hand-off to receiver://")?;
            check(uri.starts_with("receiver://"), || uri.clone())?;
            page.wait_for_selector(&format!("{eng} [data-testid=launch-status][data-state=ready] [data-testid=launch-fallback]"), WAIT)
                .await?;
            let live = page.text("[data-testid=live-region]").await?;
            check(live.contains("is ready"), || format!("live region: {live:?}"))?;
            let get_app = page.attr(&format!("{eng} [data-testid=get-workspace-app]"), "href").await?;
            check(get_app.as_deref().is_some_and(|h| h.starts_with("https://www.citrix.com/")), || format!("get the app: {get_app:?}"))?;
            // The "didn't open?" download is the worker's .ica file for this desktop.
            let ica = page
                .eval(&format!(
                    "(async () => {{ const a = document.querySelector({}); const r = await fetch(a.href); return [a.hasAttribute('download'), r.status, r.headers.get('content-type'), await r.text()]; }})()",
                    js_str(&format!("{eng} [data-testid=ica-download]"))
                ))
                .await?;
            check(
                ica[0] == true
                    && ica[1] == 200
                    && ica[2].as_str().is_some_and(|t| t.contains("application/x-ica"))
                    && ica[3].as_str().is_some_and(|t| t.contains("Engineering Workstation")),
                || format!("ica download gave {ica}"),
            )?;
            // Headless Chromium ignores synthetic mouse input once a page has asked for an
            // external protocol (receiver://), so this click goes through the DOM.
            page.eval(&format!("document.querySelector({}).click()", js_str(&format!("{eng} [data-testid=launch-dismiss]"))))
                .await?;
            page.wait_for(&format!("!document.querySelector({})", js_str(&format!("{eng} [data-testid=launch-status]"))), WAIT)
                .await?;
            Ok(())
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn failed_launches_say_why_and_advise_restart_when_suggested(c: &Ctx) -> Result<()> {
    on_page(c, "/?view=desktops", |page| async move {
        let outcome = async {
            for (id, restart) in [("lab-desktop", true), ("finance-desktop", false)] {
                let sel = card(id);
                page.click(&format!("{sel} [data-testid=launch-button]"))
                    .await?;
                page.wait_for_selector(
                    &format!("{sel} [data-testid=launch-status][data-state=failed]"),
                    WAIT,
                )
                .await?;
                let reason = page
                    .text(&format!("{sel} [data-testid=launch-error]"))
                    .await?;
                let advice = page
                    .count(&format!("{sel} [data-testid=launch-restart-advice]"))
                    .await?;
                check(
                    reason.len() > 10 && !reason.contains('{') && advice == usize::from(restart),
                    || format!("{id}: reason {reason:?}, {advice} restart advice"),
                )?;
                let live = page.text("[data-testid=live-region]").await?;
                check(live.contains("could not be launched"), || {
                    format!("live region: {live:?}")
                })?;
                // Try again is offered, and the launch button works again.
                page.wait_for_selector(&format!("{sel} [data-testid=launch-retry]"), WAIT)
                    .await?;
                let disabled = page
                    .eval(&format!(
                        "document.querySelector({}).getAttribute('aria-disabled')",
                        js_str(&format!("{sel} [data-testid=launch-button]"))
                    ))
                    .await?;
                check(disabled == "false", || {
                    format!("{id}: launch button disabled after failure")
                })?;
            }
            Ok(())
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn a_pending_launch_can_be_cancelled(c: &Ctx) -> Result<()> {
    c.stack.emulator.script_launch(
        "call-centre-desktop",
        LaunchScript {
            retries: 1,
            poll_timeout: 10,
            ..LaunchScript::default()
        },
    );
    let sel = card("call-centre-desktop");
    on_page(c, "/", |page| async move {
        let outcome = async {
            let mut navigations = page.subscribe("Page.frameRequestedNavigation");
            page.click(&format!("{sel} [data-testid=launch-button]"))
                .await?;
            page.wait_for_selector(
                &format!("{sel} [data-testid=launch-status][data-state=pending]"),
                WAIT,
            )
            .await?;
            page.click(&format!("{sel} [data-testid=launch-cancel]"))
                .await?;
            page.wait_for(
                &format!(
                    "!document.querySelector({})",
                    js_str(&format!("{sel} [data-testid=launch-status]"))
                ),
                WAIT,
            )
            .await?;
            let live = page.text("[data-testid=live-region]").await?;
            check(live.contains("cancelled"), || {
                format!("live region: {live:?}")
            })?;
            // The desktop would have been ready after 10 s: nothing opens, nothing reappears.
            tokio::time::sleep(Duration::from_secs(12)).await;
            while let Ok(event) = navigations.try_recv() {
                let url = event["params"]["url"].as_str().unwrap_or_default();
                check(!url.starts_with("receiver://"), || {
                    format!("a cancelled launch opened {url}")
                })?;
            }
            let status = page
                .count(&format!("{sel} [data-testid=launch-status]"))
                .await?;
            check(status == 0, || "the cancelled launch came back".into())
        }
        .await;
        (page, outcome)
    })
    .await
}

/// Clicks `id`'s Launch button until its launch shows. A launch above that changes state while
/// the click is on its way moves the button (its panel grows), and the click lands elsewhere;
/// as a person would, the click is made again.
async fn launch_here(page: &Page<'_>, id: &str) -> Result<()> {
    let status = format!("{} [data-testid=launch-status]", card(id));
    for _ in 0..3 {
        reveal(page, id).await?;
        page.click(&format!("{} [data-testid=launch-button]", card(id)))
            .await?;
        if page
            .wait_for_selector(&status, Duration::from_secs(3))
            .await
            .is_ok()
        {
            return Ok(());
        }
    }
    Err(format!(
        "three clicks on {id}'s Launch button started no launch"
    ))
}

async fn several_launches_at_once_do_not_interfere(c: &Ctx) -> Result<()> {
    // The slow desktop stays pending for about 18 s: well after the others have finished,
    // however many clicks a busy machine needs to start them.
    c.stack.emulator.script_launch(
        "eng-workstation",
        LaunchScript {
            retries: 3,
            poll_timeout: 6,
            ..LaunchScript::default()
        },
    );
    on_page(c, "/", |page| async move {
        let outcome = async {
            let mut navigations = page.subscribe("Page.frameRequestedNavigation");
            // Far apart in the list: each is launched where it is, and each launch's state
            // follows its own resource however the list scrolls.
            for id in ["eng-workstation", "lab-desktop", "word"] {
                launch_here(&page, id).await?;
            }
            let status = |id: &str, state: &str| {
                format!(
                    "{} [data-testid=launch-status][data-state={state}]",
                    card(id)
                )
            };
            reveal(&page, "lab-desktop").await?;
            page.wait_for_selector(&status("lab-desktop", "failed"), WAIT)
                .await?;
            reveal(&page, "word").await?;
            page.wait_for_selector(&status("word", "ready"), WAIT)
                .await?;
            // The slow desktop is still on its own schedule.
            reveal(&page, "eng-workstation").await?;
            let eng = page
                .attr(
                    &format!("{} [data-testid=launch-status]", card("eng-workstation")),
                    "data-state",
                )
                .await?;
            check(eng.as_deref() == Some("pending"), || {
                format!("eng-workstation is {eng:?} while the others finished")
            })?;
            page.wait_for_selector(&status("eng-workstation", "ready"), WAIT)
                .await?;
            let mut states = Vec::new();
            for id in ["eng-workstation", "lab-desktop", "word"] {
                reveal(&page, id).await?;
                let state = page
                    .attr(
                        &format!("{} [data-testid=launch-status]", card(id)),
                        "data-state",
                    )
                    .await?;
                states.push(format!("{id}:{}", state.unwrap_or_default()));
            }
            check(
                states == ["eng-workstation:ready", "lab-desktop:failed", "word:ready"],
                || format!("launch states {states:?}"),
            )?;
            let mut opened = 0;
            while opened < 2 {
                next_receiver_uri(&mut navigations)
                    .await
                    .ok_or_else(|| format!("{opened} of 2 hand-offs"))?;
                opened += 1;
            }
            Ok(())
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn session_expiry_leads_to_sign_in_and_back_to_the_same_place(c: &Ctx) -> Result<()> {
    on_page(c, "/?view=desktops&q=desk", |page| async move {
        let outcome = async {
            let here = page.eval("location.search").await?;
            check(here == "?view=desktops&q=desk", || {
                format!("sign-in brought us to {here}")
            })?;
            let revoked = reqwest::Client::new()
                .post(format!("{}/_emulator/revoke", c.stack.emulator.url()))
                .json(&serde_json::json!({"user": "alice"}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            check(revoked.status().is_success(), || {
                format!("revoke: {}", revoked.status())
            })?;
            page.click(&format!(
                "{} [data-testid=launch-button]",
                card("win11-desktop")
            ))
            .await?;
            page.wait_for_selector("[data-testid=signin-page][data-expired=true]", WAIT)
                .await?;
            let message = page.text("[data-testid=signin-message]").await?;
            check(message.contains("session has ended"), || {
                format!("sign-in says {message:?}")
            })?;
            sign_in_here(&page, &c.stack).await?;
            let back = page.eval("location.pathname + location.search").await?;
            let value = page
                .eval("document.querySelector('[data-testid=search]').value")
                .await?;
            let pressed = page
                .attr("[data-testid=view-desktops]", "aria-pressed")
                .await?;
            check(
                back == "/?view=desktops&q=desk"
                    && value == "desk"
                    && pressed.as_deref() == Some("true"),
                || format!("back at {back}, search {value}, desktops pressed {pressed:?}"),
            )
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn sign_out_shows_the_sign_in_screen(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            let user = page.text("[data-testid=user-name]").await?;
            check(user == demo::USERS[0].display_name, || {
                format!("header shows {user:?}")
            })?;
            page.click("[data-testid=signout-button]").await?;
            page.wait_for_selector("[data-testid=signin-page][data-expired=false]", WAIT)
                .await?;
            // Really signed out: a reload stays on the sign-in screen.
            page.goto(&format!("{}/", c.stack.portal)).await?;
            page.wait_for_selector("[data-testid=signin-page]", WAIT)
                .await?;
            let cards = page.count("[data-testid=resource-card]").await?;
            check(cards == 0, || format!("{cards} cards after signing out"))
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn focused(page: &Page<'_>) -> Result<String> {
    let v = page
        .eval("document.activeElement?.closest('[data-testid=resource-card]') === document.activeElement ? document.activeElement.dataset.resourceId : 'not a card: ' + document.activeElement?.outerHTML.slice(0, 80)")
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

async fn arrow_keys_move_between_cards_and_enter_launches(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            let order = page
                .eval("[...document.querySelectorAll('[data-testid=resource-card]')].map(c => c.dataset.resourceId)")
                .await?;
            let order: Vec<String> = serde_json::from_value(order).map_err(|e| e.to_string())?;
            let columns = page
                .eval("(() => { const cs = [...document.querySelectorAll('[data-testid=resource-card]')]; return cs.filter(c => c.offsetTop === cs[0].offsetTop).length; })()")
                .await?
                .as_u64()
                .unwrap_or(0) as usize;
            check(columns >= 2, || format!("{columns} columns at 1280 px"))?;
            // One tab stop for the whole grid: Tab from the last control before it lands on the
            // first card.
            let stops = page.count("[data-testid=resource-card][tabindex='0']").await?;
            check(stops == 1, || format!("{stops} cards in the tab order"))?;
            page.eval("[...document.querySelectorAll('[data-testid=folder]')].pop().focus()").await?;
            page.press("Tab").await?;
            check(focused(&page).await? == order[0], || "Tab did not reach the first card".into())?;

            page.press("ArrowRight").await?;
            check(focused(&page).await? == order[1], || "ArrowRight".into())?;
            page.press("ArrowDown").await?;
            let f = focused(&page).await?;
            check(f == order[1 + columns], || format!("ArrowDown went to {f}"))?;
            page.press("ArrowLeft").await?;
            page.press("ArrowUp").await?;
            check(focused(&page).await? == order[0], || "ArrowLeft, ArrowUp".into())?;
            // End reaches the last of all 40, which was not rendered until then.
            page.press("End").await?;
            page.wait_for("document.activeElement?.getAttribute('aria-posinset') === '40'", WAIT)
                .await?;
            let last = page.eval("document.activeElement.getAttribute('aria-setsize')").await?;
            check(last == "40" && !order.contains(&focused(&page).await?), || format!("End: set size {last}"))?;
            page.press("Home").await?;
            page.wait_for("document.activeElement?.getAttribute('aria-posinset') === '1'", WAIT)
                .await?;
            check(focused(&page).await? == order[0], || "Home".into())?;
            // The focused card stays the tab stop.
            page.press("ArrowRight").await?;
            let stop = page.attr("[data-testid=resource-card][tabindex='0']", "data-resource-id").await?;
            check(stop.as_deref() == Some(order[1].as_str()), || format!("tab stop is {stop:?}"))?;

            // Enter on a launchable card launches it.
            reveal(&page, "word").await?;
            page.eval(&format!("document.querySelector({}).focus()", js_str(&card("word")))).await?;
            page.press("Enter").await?;
            page.wait_for_selector(&format!("{} [data-testid=launch-status]", card("word")), WAIT)
                .await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn landmarks_labels_and_live_region(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            let report = page
                .eval(r#"(() => {
                    const problems = [];
                    if (!document.querySelector('header')) problems.push('no banner');
                    if (document.querySelectorAll('main').length !== 1) problems.push('main landmarks: ' + document.querySelectorAll('main').length);
                    if (!document.querySelector('nav[aria-label=Views]')) problems.push('no Views nav');
                    if (!document.querySelector('nav[aria-label=Categories]')) problems.push('no Categories nav');
                    if (!document.querySelector('[role=search]')) problems.push('no search landmark');
                    if (!document.querySelector('h1')) problems.push('no h1');
                    const live = document.querySelector('[data-testid=live-region]');
                    if (!live || live.getAttribute('aria-live') !== 'polite') problems.push('no polite live region');
                    const search = document.querySelector('[data-testid=search]');
                    if (!search.labels || search.labels.length === 0) problems.push('search has no label');
                    for (const b of document.querySelectorAll('button, a[href], select, input')) {
                        const name = (b.getAttribute('aria-label') || b.textContent || (b.labels && b.labels[0] && b.labels[0].textContent) || '').trim();
                        if (!name) problems.push('unnamed ' + b.outerHTML.slice(0, 80));
                    }
                    if (document.title !== 'Workspace Portal') problems.push('title ' + document.title);
                    if (!document.querySelector('link[rel=icon]')) problems.push('no favicon');
                    return problems;
                })()"#)
                .await?;
            check(report == serde_json::json!([]), || format!("accessibility problems: {report}"))?;
            // Buttons are named after their card, as a screen reader announces them.
            reveal(&page, "word").await?;
            for (button, name) in [
                ("launch-button", "Launch Microsoft Word"),
                ("favorite-toggle", "Favourite Microsoft Word"),
            ] {
                let heard = page
                    .accessible_name(&format!("{} [data-testid={button}]", card("word")))
                    .await?;
                check(heard == name, || format!("{button} is named {heard:?}, not {name:?}"))?;
            }
            // Focus is visible: a focused card has an outline.
            page.eval(&format!("document.querySelector({}).focus()", js_str(&card("word")))).await?;
            page.press("ArrowRight").await?;
            let outline = page
                .eval("getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth")
                .await?;
            check(outline.as_str().is_some_and(|o| o.starts_with("solid") && !o.ends_with(" 0px")), || {
                format!("focused card outline: {outline}")
            })?;
            page.screenshot(&root().join("tests/e2e/artifacts/catalogue-keyboard.png")).await
        }
        .await;
        (page, outcome)
    })
    .await
}

async fn axe_finds_nothing_serious_in_light_or_dark(c: &Ctx) -> Result<()> {
    let page = c.browser.new_isolated_page().await?;
    let outcome = async {
        let mut problems = Vec::new();
        let scheme_is = |scheme: &'static str| {
            page.call(
                "Emulation.setEmulatedMedia",
                serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
            )
        };
        for scheme in ["light", "dark"] {
            scheme_is(scheme).await?;
            page.goto(&format!("{}/", c.stack.portal)).await?;
            page.wait_for_selector("[data-testid=signin-button]", WAIT)
                .await?;
            for v in axe(&page).await? {
                problems.push(format!("{scheme} sign-in: {v}"));
            }
        }
        sign_in_here(&page, &c.stack).await?;
        for scheme in ["light", "dark"] {
            scheme_is(scheme).await?;
            page.goto(&format!("{}/", c.stack.portal)).await?;
            page.wait_for_selector("[data-testid=catalogue]", WAIT).await?;
            for v in axe(&page).await? {
                problems.push(format!("{scheme} catalogue: {v}"));
            }
            // The list layout with launch panels (failed with advice, pending) and a notice.
            page.goto(&format!("{}/?view=desktops&layout=list", c.stack.portal))
                .await?;
            page.wait_for_selector("[data-testid=catalogue]", WAIT).await?;
            for id in ["lab-desktop", "eng-workstation"] {
                page.click(&format!("{} [data-testid=launch-button]", card(id)))
                    .await?;
            }
            page.wait_for_selector(
                &format!("{} [data-testid=launch-restart-advice]", card("lab-desktop")),
                WAIT,
            )
            .await?;
            c.stack.emulator.inject(fault(
                "/citrixapi/store/resources/win11-desktop/$favorite",
                None,
                FaultKind::Status { status: 500 },
                Some(1),
            ));
            page.click(&format!("{} [data-testid=favorite-toggle]", card("win11-desktop")))
                .await?;
            page.wait_for_selector("[data-testid=notice]", WAIT).await?;
            for v in axe(&page).await? {
                problems.push(format!("{scheme} launches: {v}"));
            }
            // Cancel the slow desktop before it hands off: headless Chromium ignores mouse input
            // in a tab that has asked for receiver://, and the next pass clicks.
            page.click(&format!(
                "{} [data-testid=launch-cancel]",
                card("eng-workstation")
            ))
            .await?;
        }
        check(problems.is_empty(), || problems.join("\n  "))?;
        // The audit itself works: an unlabelled field is a critical finding.
        page.eval("document.querySelector('main').append(document.createElement('input'))")
            .await?;
        let found = axe(&page).await?;
        check(found.iter().any(|v| v.starts_with("label ")), || {
            format!("axe missed an unlabelled input: {found:?}")
        })
    }
    .await;
    let _ = page.close().await;
    outcome
}

/// A phone held upright (360 x 740 CSS pixels): one column of cards, every control on screen,
/// nothing wider than the screen, and launching still works.
async fn a_phone_gets_one_column_and_nothing_sideways(c: &Ctx) -> Result<()> {
    on_page(c, "/", |page| async move {
        let outcome = async {
            page.call(
                "Emulation.setDeviceMetricsOverride",
                serde_json::json!({"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": true}),
            )
            .await?;
            page.goto(&format!("{}/", c.stack.portal)).await?;
            page.wait_for_selector("[data-testid=resource-card]", WAIT).await?;
            let report = page
                .eval(r#"(() => {
                    const problems = [];
                    const width = document.documentElement.clientWidth;
                    if (document.documentElement.scrollWidth > width) problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + width);
                    for (const el of document.querySelectorAll('header *, .toolbar *, .folders *, [data-testid=resource-card] *')) {
                        const r = el.getBoundingClientRect();
                        if (r.width > 0 && (r.left < -1 || r.right > width + 1) && getComputedStyle(el).position !== 'absolute') problems.push('off screen: ' + el.outerHTML.slice(0, 60));
                    }
                    const cards = [...document.querySelectorAll('[data-testid=resource-card]')];
                    if (cards.length < 2 || cards[0].offsetLeft !== cards[1].offsetLeft) problems.push('cards are not in one column');
                    const search = document.querySelector('[data-testid=search]').getBoundingClientRect();
                    if (search.width < 200) problems.push('search box is ' + search.width + ' px wide');
                    return problems.slice(0, 8);
                })()"#)
                .await?;
            check(report == serde_json::json!([]), || format!("at 360 px: {report}"))?;
            page.screenshot(&root().join("tests/e2e/artifacts/catalogue-phone.png")).await?;
            search_for(&page, "microsoft word").await?;
            page.wait_for(&listed_is(1), WAIT).await?;
            page.click(&format!("{} [data-testid=launch-button]", card("word"))).await?;
            page.wait_for_selector(&format!("{} [data-testid=launch-status]", card("word")), WAIT)
                .await
        }
        .await;
        (page, outcome)
    })
    .await
}
