//! What the catalogue says when nothing is shown, and the way out.

use leptos::prelude::*;

use super::ctx::Ctx;
use crate::model::{Empty, View};

/// What to say when nothing is shown, and the way out.
#[component]
pub fn EmptyState(ctx: Ctx) -> impl IntoView {
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
