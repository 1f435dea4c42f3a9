//! One place of the catalogue's list and the app or desktop now in it: icon, name, kind, folder,
//! favourite toggle and its launch. A keystroke that changes the list changes what the rendered
//! cards show, in place; cards are only made and dropped as places scroll in and out of view.

use std::sync::Arc;

use leptos::prelude::*;
use portal_shared::api::{CatalogueResource, ResourceKind};

use super::ctx::Ctx;
use super::launch_panel::LaunchPanel;
use crate::model::LaunchPhase;

/// The id of the text that tells screen-reader users how to move between the cards.
pub const KEYS_HINT_ID: &str = "grid-keys";

/// The card at one place of the list.
#[component]
pub fn ResourceCard(
    /// The page.
    ctx: Ctx,
    /// What is at this place now.
    resource: Memo<Arc<CatalogueResource>>,
    /// The place, from 1: only part of the list is rendered, so screen readers are told where in
    /// the whole this card is.
    position: usize,
    /// How many cards the list has.
    set_size: Signal<usize>,
    /// Whether this card is the grid's tab stop.
    tab_stop: Signal<bool>,
    /// Called with the resource's id when the card gets focus.
    on_focus: impl Fn(String) + Send + Sync + 'static,
) -> impl IntoView {
    let id = Memo::new(move |_| resource.with(|r| r.id.clone()));
    let name = Memo::new(move |_| resource.with(|r| r.name.clone()));
    let launchable = Memo::new(move |_| resource.with(|r| r.launchable));
    let web = Memo::new(move |_| resource.with(|r| r.opens_in_browser));
    let opens = Memo::new(move |_| resource.with(|r| r.opens()));
    let phase =
        Memo::new(move |_| id.with(|id| ctx.launches.with(|l| l.get(id).map(|l| l.phase.clone()))));
    let busy = move || phase.with(|p| p.as_ref().is_some_and(LaunchPhase::in_progress));
    // Favourite state comes from the model, not the card's copy: it changes optimistically.
    let favorite = Memo::new(move |_| {
        let mine = resource.with(|r| r.favorite);
        id.with(|id| {
            ctx.model.with(|m| match m {
                Some(Ok(m)) => m
                    .get(id)
                    .map(|r| (r.favorite, m.is_saving_favorite(id)))
                    .unwrap_or((mine, false)),
                _ => (mine, false),
            })
        })
    });
    let kind = move || match resource.with(|r| r.kind) {
        ResourceKind::App => ("app", "App"),
        ResourceKind::Desktop => ("desktop", "Desktop"),
    };
    // The icon that failed to load, so a later resource at this place tries its own.
    let failed_icon = RwSignal::new(None::<String>);
    let icon = Memo::new(move |_| {
        resource
            .with(|r| r.icon_url.clone())
            .filter(|url| failed_icon.with(|f| f.as_ref() != Some(url)))
    });
    let initials = move || {
        name.with(|n| {
            n.split_whitespace()
                .filter_map(|w| w.chars().next())
                .take(2)
                .collect::<String>()
        })
    };
    let folder = move || resource.with(|r| r.category.join(" › "));
    let description = move || {
        resource.with(|r| {
            r.description
                .as_deref()
                .map(str::trim)
                .unwrap_or_default()
                .to_owned()
        })
    };
    // The buttons are named by reference to the card's name, so a new name is one text change.
    let name_id = format!("name-{position}");
    let favourite_id = format!("favourite-{position}");
    let favourite_names = format!("{favourite_id} {name_id}");
    let details_id = format!("details-{position}");
    let details_names = format!("{details_id} {name_id}");
    let launch_id = format!("launch-{position}");
    let launch_names = format!("{launch_id} {name_id}");

    view! {
        <li
            class="card"
            class:busy=busy
            // Taller than the others while it shows a launch; see style.css.
            class:launching=move || phase.with(Option::is_some)
            data-testid="resource-card"
            data-resource-id=move || id.get()
            data-kind=move || kind().0
            data-launchable=move || launchable.get().to_string()
            tabindex=move || if tab_stop.get() { "0" } else { "-1" }
            aria-labelledby=name_id.clone()
            aria-describedby=KEYS_HINT_ID
            aria-posinset=position
            aria-setsize=move || set_size.get()
            on:focus=move |_| on_focus(id.get_untracked())
        >
            <div class="icon" aria-hidden="true">
                // One <img> per card whatever it shows: a keystroke changes its src, no more.
                <Show
                    when=move || icon.with(Option::is_some)
                    fallback=move || view! { <span class="initials" data-testid="icon-fallback">{initials}</span> }
                >
                    <img
                        src=move || icon.get().unwrap_or_default()
                        alt=""
                        width="48"
                        height="48"
                        loading="lazy"
                        decoding="async"
                        on:error=move |_| failed_icon.set(icon.get_untracked())
                    />
                </Show>
            </div>
            <div class="body">
                <h2 class="name" id=name_id.clone() data-testid="resource-name">{move || name.get()}</h2>
                <p class="meta">
                    <span class="badge kind">{move || kind().1}</span>
                    <Show when=move || web.get()>
                        <span class="badge web" data-testid="web-badge">"Web app"</span>
                    </Show>
                    <Show when=move || id.with(|id| ctx.is_running(id))>
                        <span class="badge running" data-testid="running-badge">"Running"</span>
                    </Show>
                    // Always there, hidden by CSS while empty: a keystroke changes text, no more.
                    <span class="muted path" data-testid="resource-folder">{folder}</span>
                </p>
                <p class="desc muted">{description}</p>
            </div>
            <div class="actions">
                <button
                    class="star"
                    data-testid="favorite-toggle"
                    aria-pressed=move || favorite.get().0.to_string()
                    // A toggle's name stays put ("Favourite" and the card's name); aria-pressed
                    // says whether it is on (WAI-ARIA button pattern). CSS draws the star.
                    aria-labelledby=favourite_names
                    data-saving=move || favorite.get().1.to_string()
                    on:click=move |_| ctx.toggle_favorite(id.get_untracked())
                ><span class="sr-only" id=favourite_id>"Favourite"</span></button>
                <button
                    class="info"
                    data-testid="details-button"
                    aria-haspopup="dialog"
                    aria-labelledby=details_names
                    title="Details"
                    on:click=move |_| ctx.details.set(Some(id.get_untracked()))
                ><span aria-hidden="true">"i"</span><span class="sr-only" id=details_id>"Details"</span></button>
                <Show
                    when=move || opens.get()
                    fallback=|| view! { <span class="muted small not-here" data-testid="not-launchable">"Not available here"</span> }
                >
                    <button
                        class="primary"
                        id=launch_id.clone()
                        data-testid="launch-button"
                        aria-labelledby=launch_names.clone()
                        // Not `disabled`: that would drop keyboard focus to the page mid-launch.
                        aria-disabled=move || busy().to_string()
                        on:click=move |_| {
                            if !busy() {
                                ctx.launch(id.get_untracked());
                            }
                        }
                    >{move || if web.get() { "Open" } else { "Launch" }}</button>
                </Show>
            </div>
            <div class="status">
                {move || phase.get().map(|p| view! { <LaunchPanel ctx=ctx id=id.get() name=name.get() phase=p /> })}
            </div>
        </li>
    }
}
