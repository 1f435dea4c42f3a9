//! One app or desktop: icon, name, kind, and its launch.

use leptos::prelude::*;
use portal_shared::api::{CatalogueResource, ResourceKind};

use crate::api;
use crate::model::{LaunchPhase, Launches};

/// A card of the catalogue grid.
#[component]
pub fn ResourceCard(
    /// The resource.
    resource: CatalogueResource,
    /// Every launch under way.
    launches: RwSignal<Launches>,
    /// Starts a launch of this resource.
    on_launch: impl Fn(String) + Copy + Send + Sync + 'static,
    /// Cancels it.
    on_cancel: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = resource.id.clone();
    let name = resource.name.clone();
    let phase = {
        let id = id.clone();
        Memo::new(move |_| launches.with(|l| l.get(&id).map(|l| l.phase.clone())))
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
    let ica = api::ica_url(&id);
    let launch_id = id.clone();
    let cancel_id = id.clone();
    let status_name = name.clone();

    view! {
        <li class="card" data-testid="resource-card" data-resource-id=id.clone() data-kind=kind>
            <div class="icon" aria-hidden="true">
                <Show when=move || !icon_failed.get() fallback=move || view! { <span class="initials">{initials.clone()}</span> }>
                    <img src=icon.clone() alt="" width="48" height="48" loading="lazy" on:error=move |_| icon_failed.set(true) />
                </Show>
            </div>
            <div class="body">
                <h2 class="name" data-testid="resource-name">{name.clone()}</h2>
                <p class="meta">
                    <span class=format!("badge {kind}")>{badge}</span>
                    {resource.favorite.then(|| view! { <span class="fav" title="Favourite" aria-label="Favourite">"★"</span> })}
                    {(!resource.category.is_empty()).then(|| view! { <span class="muted">{resource.category.join(" › ")}</span> })}
                </p>
                {resource.description.clone().map(|d| view! { <p class="desc muted">{d}</p> })}
            </div>
            <div class="actions">
                {if resource.launchable {
                    view! {
                        <button
                            class="primary"
                            data-testid="launch-button"
                            aria-label=format!("Launch {name}")
                            disabled=move || phase.with(|p| p.as_ref().is_some_and(LaunchPhase::in_progress))
                            on:click=move |_| on_launch(launch_id.clone())
                        >"Launch"</button>
                    }.into_any()
                } else {
                    view! { <span class="muted small" data-testid="not-launchable">"Opens in the browser; not launchable here"</span> }.into_any()
                }}
            </div>
            <div class="status" aria-live="polite">
                {move || phase.get().map(|p| {
                    let state = p.state();
                    let cancel_id = cancel_id.clone();
                    let ica = ica.clone();
                    let text = match &p {
                        LaunchPhase::Starting | LaunchPhase::Polling => format!("Preparing {status_name}…"),
                        LaunchPhase::Waiting { seconds_left, .. } => format!("Preparing {status_name}… checking again in {seconds_left} s"),
                        LaunchPhase::Opening { .. } => "Opening Citrix Workspace app…".to_owned(),
                        LaunchPhase::Failed { message, suggest_restart } => if *suggest_restart {
                            format!("{message} Restarting the desktop may help.")
                        } else {
                            message.clone()
                        },
                    };
                    view! {
                        <div class="launch" data-testid="launch-status" data-state=state>
                            <p>{text}</p>
                            {p.in_progress().then(|| view! {
                                <button class="link" data-testid="launch-cancel" on:click=move |_| on_cancel(cancel_id.clone())>"Cancel"</button>
                            })}
                            {matches!(p, LaunchPhase::Opening { .. }).then(|| view! {
                                <p class="small">"Didn't open? "
                                    <a href=ica.clone() download data-testid="ica-download">"Download the launch file"</a>
                                    " or "
                                    <a href="https://www.citrix.com/downloads/workspace-app/" target="_blank" rel="noopener noreferrer">"get Citrix Workspace app"</a>"."
                                </p>
                            })}
                        </div>
                    }
                })}
            </div>
        </li>
    }
}
