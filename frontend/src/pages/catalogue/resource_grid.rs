//! The cards at the current place. Only the rows near the screen are in the DOM; empty space of
//! the right height stands in for the rest, so a keystroke costs the same at 40 resources as at
//! 5,000. Keyboard navigation covers every card, rendered or not. Empty states.

use std::sync::Arc;

use leptos::html::Ul;
use leptos::prelude::*;
use portal_shared::api::{CatalogueResource, ResourceKind};
use wasm_bindgen::JsCast;

use super::Ctx;
use super::resource_card::{KEYS_HINT_ID, ResourceCard};
use crate::model::grid_nav::{self, Move};
use crate::model::viewport::{self, Frame, Geometry, Window};
use crate::model::{Empty, Layout, View};
use crate::pause::AfterPause;

/// How long the list must stay put before the rows beyond the screen are rendered: longer than
/// the gap between keystrokes of someone typing.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// The grid (or list) of cards.
#[component]
pub fn ResourceGrid(
    /// The page.
    ctx: Ctx,
) -> impl IntoView {
    let place = ctx.place;
    let grid = NodeRef::<Ul>::new();
    let layout = Memo::new(move |_| place.with(|p| p.layout));
    // Guesses until the first measurement, which comes before the first paint.
    let geometry = RwSignal::new(guess(layout.get_untracked()));
    let frame = RwSignal::new(Frame {
        list_top: 0.0,
        viewport_height: viewport_height(),
    });
    // Each change of the list (a keystroke) renders the screen alone; the overscan rows follow
    // once the list stays put for SETTLE, or at once when the user scrolls.
    let generation = Memo::new(move |before: Option<&u64>| {
        ctx.visible.with(|_| ());
        before.map_or(0, |b| b + 1)
    });
    let settled = RwSignal::new(0_u64);
    let settle = AfterPause::new(SETTLE);
    Effect::new(move |_| {
        let now = generation.get();
        if settled.get_untracked() != now {
            settle.request(move || {
                settled.try_set(now);
            });
        }
    });
    let window = Memo::new(move |before: Option<&Window>| {
        let len = ctx.visible.with(Vec::len);
        // Nothing matches: the cards stay, hidden, so the next keystroke updates them in place
        // instead of making them anew.
        if let (0, Some(before)) = (len, before) {
            return *before;
        }
        let overscan = if settled.get() == generation.get() {
            viewport::OVERSCAN_ROWS
        } else {
            0
        };
        Window::of(len, geometry.get(), frame.get(), overscan)
    });
    let shown = Memo::new(move |_| {
        let w = window.get();
        ctx.visible
            .with(|v| v.get(w.start..w.end).map(<[_]>::to_vec))
            .unwrap_or_default()
    });
    let set_size = Signal::derive(move || ctx.visible.with(Vec::len));
    // Never shown: what a place holds if it is read after the list shrank under it.
    let placeholder = StoredValue::new(Arc::new(CatalogueResource {
        id: String::new(),
        name: String::new(),
        description: None,
        kind: ResourceKind::App,
        category: Vec::new(),
        icon_url: None,
        favorite: false,
        launchable: false,
    }));

    // Where the list is on screen: on scroll only that; after a render or a resize, also the
    // grid's columns and row height.
    // These also run from animation frames, which can come after the grid is gone: nothing
    // here may assume it is still there.
    // A hidden list (nothing matches) measures as nothing at all: it keeps what it had.
    let shown_grid = move || {
        grid.try_get_untracked()
            .flatten()
            .filter(|_| ctx.visible.try_with_untracked(Vec::is_empty) == Some(false))
    };
    let measure_frame = move || {
        if let Some(ul) = shown_grid() {
            set_if_changed(frame, frame_of(&ul));
        }
    };
    let measure = move || {
        if let Some(ul) = shown_grid() {
            if let Some(g) = geometry_of(&ul) {
                set_if_changed(geometry, g);
            }
            set_if_changed(frame, frame_of(&ul));
        }
    };
    Effect::new(move |_| {
        // A new list, window or layout: measure once the browser has laid it out.
        shown.track();
        layout.track();
        grid.track();
        request_animation_frame(measure);
    });
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| {
        settle.cancel();
        if let Some(now) = generation.try_get_untracked() {
            set_if_changed(settled, now);
        }
        measure_frame();
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
    });

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
    let focus_card = move |id: &str| {
        let card = grid
            .try_get_untracked()
            .flatten()
            .and_then(|ul| card_element(&ul, id));
        if let Some(card) = card {
            let _ = card.focus();
        }
    };
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
        let Some((current, len)) = ctx
            .visible
            .with_untracked(|v| v.iter().position(|r| r.id == id).map(|i| (i, v.len())))
        else {
            return;
        };
        let g = geometry.get_untracked();
        let to = grid_nav::target(current, len, g.columns, m);
        let Some(next) = ctx
            .visible
            .with_untracked(|v| v.get(to).map(|r| r.id.clone()))
        else {
            return;
        };
        ev.prevent_default();
        active.set(Some(next.clone()));
        if window.get_untracked().contains(to) {
            // Rendered already: focusing scrolls it on screen if it is not.
            focus_card(&next);
            return;
        }
        // Far away (End, or a row beyond the overscan): scroll there, render, then focus.
        let dy = viewport::scroll_to_show(to, g, frame.get_untracked());
        if let Some(w) = web_sys::window() {
            w.scroll_by_with_x_and_y(0.0, dy);
        }
        measure_frame();
        request_animation_frame(move || focus_card(&next));
    };

    let empty = move || ctx.visible.with(Vec::is_empty);

    view! {
        <Show when=empty>
            <EmptyState ctx=ctx />
        </Show>
        <p id=KEYS_HINT_ID class="sr-only">
            "Arrow keys move between apps and desktops; Home and End go to the first and last. Enter launches."
        </p>
        <ul
            hidden=empty
            class=move || format!("grid layout-{}", layout.get().slug())
            data-testid="catalogue"
            data-layout=move || layout.get().slug()
            aria-labelledby="view-title"
            style:padding-top=move || format!("{}px", window.get().padding(geometry.get()).0)
            style:padding-bottom=move || format!("{}px", window.get().padding(geometry.get()).1)
            node_ref=grid
            on:keydown=on_keydown
        >
            // Keyed by place in the list, not by resource: when a keystroke changes the list,
            // the rendered cards change what they show instead of being made anew.
            <For each=move || window.with(|w| w.start..w.end) key=|index| *index let:index>
                {
                    let resource = Memo::new(move |previous: Option<&Arc<CatalogueResource>>| {
                        // A place past the end shows what it had until the window drops it.
                        ctx.visible
                            .with(|v| v.get(index).cloned())
                            .or_else(|| previous.cloned())
                            .unwrap_or_else(|| placeholder.get_value())
                    });
                    let tab_stop = Signal::derive(move || {
                        tabbable.with(|t| resource.with(|r| t.as_deref() == Some(r.id.as_str())))
                    });
                    view! {
                        <ResourceCard
                            ctx=ctx
                            resource=resource
                            position=index + 1
                            set_size=set_size
                            tab_stop=tab_stop
                            on_focus=move |id| active.set(Some(id))
                        />
                    }
                }
            </For>
        </ul>
    }
}

/// Until measured: one column of cards as tall as style.css makes them (12rem and 4.25rem at
/// 16px), plus the gap.
fn guess(layout: Layout) -> Geometry {
    Geometry {
        columns: 1,
        row_height: match layout {
            Layout::Grid => 208.0,
            Layout::List => 76.0,
        },
    }
}

fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.try_with_untracked(|v| *v != value) == Some(true) {
        signal.try_set(value);
    }
}

fn viewport_height() -> f64 {
    web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(800.0)
}

fn frame_of(ul: &web_sys::HtmlElement) -> Frame {
    Frame {
        list_top: ul.get_bounding_client_rect().top(),
        viewport_height: viewport_height(),
    }
}

/// Columns as the CSS grid resolved them, and the row height as the shortest rendered card
/// plus the row gap: a card showing a launch's progress is taller, the others are all alike.
fn geometry_of(ul: &web_sys::HtmlElement) -> Option<Geometry> {
    let style = web_sys::window()?.get_computed_style(ul).ok()??;
    let columns = style
        .get_property_value("grid-template-columns")
        .ok()?
        .split_whitespace()
        .count();
    let gap = style
        .get_property_value("row-gap")
        .ok()
        .and_then(|g| g.trim().trim_end_matches("px").parse::<f64>().ok())
        .unwrap_or(0.0);
    let cards = ul.children();
    let card = (0..cards.length())
        .filter_map(|i| cards.item(i))
        .map(|c| c.get_bounding_client_rect().height())
        .filter(|h| *h > 0.0)
        .min_by(f64::total_cmp)?;
    Some(Geometry {
        columns,
        row_height: card + gap,
    })
}

/// The rendered card of resource `id`, if it is rendered.
fn card_element(ul: &web_sys::HtmlElement, id: &str) -> Option<web_sys::HtmlElement> {
    let cards = ul.children();
    (0..cards.length())
        .filter_map(|i| cards.item(i))
        .find(|c| c.get_attribute("data-resource-id").as_deref() == Some(id))
        .and_then(|c| c.dyn_into().ok())
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
