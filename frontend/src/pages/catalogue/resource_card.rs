//! One app or desktop: icon, name, kind, folder, favourite toggle and its launch.

use std::sync::Arc;

use leptos::prelude::*;
use portal_shared::api::{CatalogueResource, ResourceKind};

use super::Ctx;
use super::launch_panel::LaunchPanel;
use crate::model::LaunchPhase;

/// A card of the catalogue.
#[component]
pub fn ResourceCard(
    /// The page.
    ctx: Ctx,
    /// The resource.
    resource: Arc<CatalogueResource>,
    /// Whether this card is the grid's tab stop.
    tab_stop: Signal<bool>,
    /// Called when the card gets focus.
    on_focus: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let id = resource.id.clone();
    let name = resource.name.clone();
    let phase = {
        let id = id.clone();
        Memo::new(move |_| ctx.launches.with(|l| l.get(&id).map(|l| l.phase.clone())))
    };
    // Favourite state comes from the model, not the card's copy: it changes optimistically.
    let favorite = {
        let id = id.clone();
        let initial = resource.favorite;
        Memo::new(move |_| {
            ctx.model.with(|m| match m {
                Some(Ok(m)) => m
                    .get(&id)
                    .map(|r| (r.favorite, m.is_saving_favorite(&id)))
                    .unwrap_or((initial, false)),
                _ => (initial, false),
            })
        })
    };
    let (kind, badge) = match resource.kind {
        ResourceKind::App => ("app", "App"),
        ResourceKind::Desktop => ("desktop", "Desktop"),
    };
    let icon_failed = RwSignal::new(resource.icon_url.is_none());
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    let icon = resource.icon_url.clone().unwrap_or_default();
    let name_id = format!("name-{id}");
    let folder = resource.category.join(" › ");
    let launchable = resource.launchable;

    let fav_id = id.clone();
    let fav_name = name.clone();
    let launch_id = id.clone();
    let launch_name = name.clone();
    let status_id = id.clone();
    let status_name = name.clone();

    view! {
        <li
            class="card"
            class:busy=move || phase.with(|p| p.as_ref().is_some_and(LaunchPhase::in_progress))
            data-testid="resource-card"
            data-resource-id=id.clone()
            data-kind=kind
            data-launchable=launchable.to_string()
            tabindex=move || if tab_stop.get() { "0" } else { "-1" }
            aria-labelledby=name_id.clone()
            on:focus=move |_| on_focus()
        >
            <div class="icon" aria-hidden="true">
                <Show when=move || !icon_failed.get() fallback=move || view! { <span class="initials" data-testid="icon-fallback">{initials.clone()}</span> }>
                    <img src=icon.clone() alt="" width="48" height="48" loading="lazy" decoding="async" on:error=move |_| icon_failed.set(true) />
                </Show>
            </div>
            <div class="body">
                <h2 class="name" id=name_id.clone() data-testid="resource-name">{name.clone()}</h2>
                <p class="meta">
                    <span class=format!("badge {kind}")>{badge}</span>
                    {(!launchable).then(|| view! { <span class="badge web" data-testid="web-badge">"Web app"</span> })}
                    {(!folder.is_empty()).then(|| view! { <span class="muted" data-testid="resource-folder">{folder.clone()}</span> })}
                </p>
                {resource.description.clone().filter(|d| !d.trim().is_empty()).map(|d| view! { <p class="desc muted">{d}</p> })}
            </div>
            <div class="actions">
                <button
                    class="star"
                    data-testid="favorite-toggle"
                    aria-pressed=move || favorite.get().0.to_string()
                    aria-label=move || if favorite.get().0 {
                        format!("Remove {fav_name} from favourites")
                    } else {
                        format!("Add {fav_name} to favourites")
                    }
                    data-saving=move || favorite.get().1.to_string()
                    on:click=move |_| ctx.toggle_favorite(fav_id.clone())
                >
                    <span aria-hidden="true">{move || if favorite.get().0 { "★" } else { "☆" }}</span>
                </button>
                {if launchable {
                    view! {
                        <button
                            class="primary"
                            data-testid="launch-button"
                            aria-label=format!("Launch {launch_name}")
                            disabled=move || phase.with(|p| p.as_ref().is_some_and(LaunchPhase::in_progress))
                            on:click=move |_| ctx.launch(launch_id.clone())
                        >"Launch"</button>
                    }.into_any()
                } else {
                    view! { <span class="muted small" data-testid="not-launchable">"Opens in the browser, not here"</span> }.into_any()
                }}
            </div>
            <div class="status">
                {move || phase.get().map(|p| view! { <LaunchPanel ctx=ctx id=status_id.clone() name=status_name.clone() phase=p /> })}
            </div>
        </li>
    }
}
