//! The cards at the current place. Only the rows near the screen are in the DOM
//! (`resource_grid/window.rs`); empty space of the right height stands in for the rest, so a
//! keystroke costs the same at 40 resources as at 5,000. Keyboard navigation covers every card,
//! rendered or not (`resource_grid/keys.rs`).

mod dom;
mod keys;
mod window;

use std::sync::Arc;

use leptos::prelude::*;
use portal_shared::api::{CatalogueResource, ResourceKind};

use super::ctx::Ctx;
use super::empty_state::EmptyState;
use super::resource_card::{KEYS_HINT_ID, ResourceCard};
use window::Rendered;

/// The grid (or list) of cards.
#[component]
pub fn ResourceGrid(
    /// The page.
    ctx: Ctx,
) -> impl IntoView {
    let place = ctx.place;
    let layout = Memo::new(move |_| place.with(|p| p.layout));
    let rendered = Rendered::new(ctx, layout);
    let (grid, window, geometry) = (rendered.grid, rendered.window, rendered.geometry);
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
        opens_in_browser: false,
    }));
    // Roving tab stop: one card is in the tab order, arrows move between cards.
    let active = RwSignal::new(None::<String>);
    let tabbable = keys::tab_stop(rendered, active);
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
            on:keydown=move |ev| keys::on_keydown(ctx, rendered, active, ev)
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
