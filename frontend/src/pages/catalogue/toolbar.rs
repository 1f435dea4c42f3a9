//! Views with their counts, search, order, layout and how apps open.

use leptos::html::Input;
use leptos::prelude::*;
use portal_shared::api::LaunchPreference;

use super::ctx::Ctx;
use crate::model::{CatalogueModel, Layout, SearchEnter, Sort, View};

/// The bar above the catalogue.
#[component]
pub fn Toolbar(
    /// The page.
    ctx: Ctx,
    /// The search box, for the `/` shortcut.
    search: NodeRef<Input>,
) -> impl IntoView {
    let place = ctx.place;
    // What Enter does; `None` while the search box is empty.
    let enter = Memo::new(move |_| {
        if place.with(|p| p.query.trim().is_empty()) {
            return None;
        }
        Some(ctx.visible.with(|v| CatalogueModel::search_enter(v)))
    });
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            place.update(|p| p.query.clear());
        }
        "Enter" => {
            ev.prevent_default();
            match enter.get_untracked() {
                Some(SearchEnter::Launch { id, .. }) => ctx.launch(id),
                Some(other) => ctx.live.set(other.refusal().unwrap_or_default().to_owned()),
                None => {}
            }
        }
        _ => {}
    };
    let count = move |v: View| {
        ctx.model
            .with(|m| m.as_ref().and_then(|m| m.as_ref().ok()).map(|m| m.count(v)))
    };

    view! {
        <div class="toolbar" role="search" aria-label="Find apps and desktops">
            <div class="search-box">
                <label class="sr-only" for="search">"Search apps and desktops"</label>
                <input
                    id="search"
                    type="search"
                    class="search"
                    data-testid="search"
                    node_ref=search
                    placeholder="Search apps and desktops   /"
                    autocomplete="off"
                    spellcheck="false"
                    aria-keyshortcuts="/"
                    aria-describedby="search-hint"
                    prop:value=move || place.with(|p| p.query.clone())
                    on:input=move |ev| place.update(|p| p.query = event_target_value(&ev))
                    on:keydown=on_keydown
                />
                <p id="search-hint" class="hint muted small" data-testid="search-hint">
                    {move || {
                        enter.with(|e| e.as_ref().map(SearchEnter::hint))
                            .unwrap_or_else(|| "Press / to search.".to_owned())
                    }}
                </p>
            </div>
            <nav aria-label="Views" class="tabs">
                {View::ALL.into_iter().map(|v| view! {
                    <button
                        class="tab"
                        data-testid=format!("view-{}", v.slug())
                        aria-pressed=move || (place.with(|p| p.view) == v).to_string()
                        on:click=move |_| place.update(|p| {
                            p.view = v;
                            // A folder may not exist in the new view; start from all of them.
                            p.category.clear();
                        })
                    >
                        {v.label()}
                        <span class="count" data-testid="view-count">{move || count(v).map(|n| n.to_string())}</span>
                    </button>
                }).collect_view()}
            </nav>
            <div class="arrange">
                <label class="small" for="sort">"Sort by"</label>
                <select
                    id="sort"
                    data-testid="sort"
                    on:change=move |ev| {
                        let sort = Sort::from_slug(&event_target_value(&ev)).unwrap_or_default();
                        place.update(|p| p.sort = sort);
                    }
                >
                    {Sort::ALL.into_iter().map(|s| view! {
                        <option value=s.slug() selected=move || place.with(|p| p.sort == s)>{s.label()}</option>
                    }).collect_view()}
                </select>
                <label class="small" for="launch-with">"Open apps with"</label>
                <select
                    id="launch-with"
                    data-testid="launch-preference"
                    prop:value=move || {
                        if ctx.preferences.with(|p| p.launch == LaunchPreference::IcaFile) { "ica" } else { "app" }
                    }
                    on:change=move |ev| {
                        let launch = if event_target_value(&ev) == "ica" {
                            LaunchPreference::IcaFile
                        } else {
                            LaunchPreference::WorkspaceApp
                        };
                        ctx.set_launch_preference(launch);
                    }
                >
                    <option value="app" selected=move || ctx.preferences.with(|p| p.launch == LaunchPreference::WorkspaceApp)>"Citrix Workspace app"</option>
                    <option value="ica" selected=move || ctx.preferences.with(|p| p.launch == LaunchPreference::IcaFile)>"Downloaded .ica file"</option>
                </select>
                <div class="segmented" role="group" aria-label="Layout">
                    {Layout::ALL.into_iter().map(|l| view! {
                        <button
                            data-testid=format!("layout-{}", l.slug())
                            aria-pressed=move || (place.with(|p| p.layout) == l).to_string()
                            on:click=move |_| place.update(|p| p.layout = l)
                        >{l.label()}</button>
                    }).collect_view()}
                </div>
            </div>
        </div>
    }
}
