//! The cards at the current place: keyboard navigation, progressive rendering, empty states.

use leptos::html::Ul;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::Ctx;
use super::resource_card::ResourceCard;
use crate::model::grid_nav::{self, Move};
use crate::model::{Empty, View};

/// Cards rendered at first and per "Show more": enough to fill any screen, few enough that a
/// keystroke re-renders within a frame however large the catalogue is.
const PAGE: usize = 120;

/// The grid (or list) of cards.
#[component]
pub fn ResourceGrid(
    /// The page.
    ctx: Ctx,
) -> impl IntoView {
    let place = ctx.place;
    let limit = RwSignal::new(PAGE);
    // A new place starts from the top again.
    Effect::new(move |_| {
        place.track();
        limit.set(PAGE);
    });
    let shown = Memo::new(move |_| {
        let limit = limit.get();
        ctx.visible
            .with(|v| v.iter().take(limit).cloned().collect::<Vec<_>>())
    });
    let more = move || ctx.visible.with(Vec::len).saturating_sub(limit.get());
    // Roving tab stop: one card is in the tab order, arrows move between cards.
    let active = RwSignal::new(None::<String>);
    let tabbable = Memo::new(move |_| {
        shown.with(|s| {
            active
                .with(|a| a.as_ref().and_then(|a| s.iter().find(|r| &r.id == a)))
                .or(s.first())
                .map(|r| r.id.clone())
        })
    });
    let grid = NodeRef::<Ul>::new();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(card) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|e| e.get_attribute("data-testid").as_deref() == Some("resource-card"))
        else {
            return;
        };
        let id = card.get_attribute("data-resource-id").unwrap_or_default();
        if ev.key() == "Enter" {
            let launchable = shown.with_untracked(|s| s.iter().any(|r| r.id == id && r.launchable));
            if launchable {
                ev.prevent_default();
                ctx.launch(id);
            }
            return;
        }
        let Some(m) = Move::from_key(&ev.key()) else {
            return;
        };
        let Some(list) = grid.get_untracked() else {
            return;
        };
        let cards: Vec<web_sys::HtmlElement> =
            match list.query_selector_all(":scope > [data-testid=resource-card]") {
                Ok(nodes) => (0..nodes.length())
                    .filter_map(|i| nodes.item(i))
                    .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                    .collect(),
                Err(_) => return,
            };
        let Some(current) = cards.iter().position(|c| c == &card) else {
            return;
        };
        // Cards in the first row share its top edge; that is how many columns the CSS made.
        let top = cards.first().map(|c| c.offset_top()).unwrap_or_default();
        let columns = cards.iter().take_while(|c| c.offset_top() == top).count();
        let to = grid_nav::target(current, cards.len(), columns, m);
        ev.prevent_default();
        if let Some(next) = cards.get(to) {
            active.set(next.get_attribute("data-resource-id"));
            let _ = next.focus();
        }
    };

    view! {
        <Show
            when=move || !ctx.visible.with(Vec::is_empty)
            fallback=move || view! { <EmptyState ctx=ctx /> }
        >
            <ul
                class=move || format!("grid layout-{}", place.with(|p| p.layout.slug()))
                data-testid="catalogue"
                data-layout=move || place.with(|p| p.layout.slug())
                aria-labelledby="view-title"
                node_ref=grid
                on:keydown=on_keydown
            >
                <For each=move || shown.get() key=|r| r.id.clone() let:resource>
                    {
                        let id = resource.id.clone();
                        let tab_stop = Signal::derive(move || tabbable.with(|t| t.as_deref() == Some(id.as_str())));
                        let id = resource.id.clone();
                        view! { <ResourceCard ctx=ctx resource=resource tab_stop=tab_stop on_focus=move || active.set(Some(id.clone())) /> }
                    }
                </For>
            </ul>
            <Show when=move || { more() > 0 }>
                <p class="more">
                    <button data-testid="show-more" on:click=move |_| limit.update(|l| *l += PAGE)>
                        {move || format!("Show {} more", more().min(PAGE))}
                    </button>
                </p>
            </Show>
        </Show>
    }
}

/// What to say when nothing is shown, and the way out.
#[component]
fn EmptyState(ctx: Ctx) -> impl IntoView {
    let place = ctx.place;
    let why = move || {
        place.with(|p| {
            ctx.model.with(|m| match m {
                Some(Ok(m)) => m.why_empty(p),
                _ => Empty::NoMatches,
            })
        })
    };
    view! {
        <div class="empty" data-testid="empty" data-reason=move || match why() {
            Empty::NoResources => "no-resources",
            Empty::NoFavorites => "no-favorites",
            Empty::NoMatches => "no-matches",
        }>
            {move || match why() {
                Empty::NoResources => view! {
                    <h2>"Nothing here yet"</h2>
                    <p class="muted">"No apps or desktops are published to you. Ask your administrator for access."</p>
                }.into_any(),
                Empty::NoFavorites => view! {
                    <h2>"No favourites yet"</h2>
                    <p class="muted">"Select the star on any app or desktop to keep it here."</p>
                    <button data-testid="empty-action" on:click=move |_| place.update(|p| p.view = View::All)>"Browse all apps and desktops"</button>
                }.into_any(),
                Empty::NoMatches => {
                    let query = place.with(|p| p.query.clone());
                    view! {
                        <h2>"Nothing matches"</h2>
                        <p class="muted">
                            {if query.trim().is_empty() {
                                "Nothing in this view and category.".to_owned()
                            } else {
                                format!("Nothing matches “{}” here.", query.trim())
                            }}
                        </p>
                        <button data-testid="empty-action" on:click=move |_| place.update(|p| {
                            p.query.clear();
                            p.category.clear();
                            p.view = View::All;
                        })>"Clear search and show everything"</button>
                    }.into_any()
                }
            }}
        </div>
    }
}
