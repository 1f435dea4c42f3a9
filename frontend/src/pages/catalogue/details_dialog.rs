//! A resource's details in a modal dialog: what it is, where it is filed, its description,
//! whether it is a favourite or running, when it was last launched here, and its launch. The
//! browser's own `<dialog>` keeps focus inside while it is open and closes on Escape; focus then
//! goes back to the card's button.

use leptos::html::Dialog;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use portal_shared::api::{CatalogueResource, ResourceKind};
use portal_shared::time::utc_minute;

use super::ctx::Ctx;

/// The dialog of the resource `ctx.details` names, while it names one that is still listed.
#[component]
pub fn DetailsDialog(
    /// The page.
    ctx: Ctx,
) -> impl IntoView {
    let shown = Memo::new(move |_| {
        let id = ctx.details.get()?;
        ctx.model.with(|m| match m {
            Some(Ok(m)) => m.get(&id).cloned(),
            _ => None,
        })
    });
    let dialog = NodeRef::<Dialog>::new();
    Effect::new(move |_| {
        if shown.with(Option::is_some)
            && let Some(d) = dialog.get()
            && !d.open()
        {
            let _ = d.show_modal();
        }
    });
    let close = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
    };
    // Focus goes back to the card's button, as if the dialog had never been there.
    let closed = move || {
        if let Some(id) = ctx.details.get_untracked() {
            ctx.details.set(None);
            focus_details_button(&id);
        }
    };
    let launch = Callback::new(move |id: String| {
        close();
        ctx.launch(id);
    });
    view! {
        <Show when=move || shown.with(Option::is_some)>
            <dialog
                class="details"
                node_ref=dialog
                data-testid="details-dialog"
                aria-labelledby="details-title"
                on:close=move |_| closed()
            >
                {move || shown.get().map(|r| view! { <Details ctx=ctx resource=r launch=launch /> })}
                <button data-testid="details-close" on:click=move |_| close()>"Close"</button>
            </dialog>
        </Show>
    }
}

#[component]
fn Details(ctx: Ctx, resource: CatalogueResource, launch: Callback<String>) -> impl IntoView {
    let kind = match (resource.kind, resource.opens_in_browser) {
        (_, true) => "Web app: opens in a new tab",
        (ResourceKind::Desktop, false) => "Desktop",
        (ResourceKind::App, false) => "App",
    };
    let folder = if resource.category.is_empty() {
        "Not in a folder".to_owned()
    } else {
        resource.category.join(" › ")
    };
    let description = resource
        .description
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or("No description.")
        .to_owned();
    let recent = ctx.recents.with_untracked(|r| {
        match (r.last_launched(&resource.id), r.rank(&resource.id)) {
            (Some(at), _) => format!("{}, in this browser", utc_minute(at)),
            (None, Some(n)) => format!("The {} most recent in this browser", ordinal(n + 1)),
            (None, None) => "Not lately in this browser".to_owned(),
        }
    });
    let favourite = if resource.favorite { "Yes" } else { "No" };
    let running_id = resource.id.clone();
    let running = move || {
        if ctx.is_running(&running_id) {
            "Yes: see Running now"
        } else {
            "No"
        }
    };
    let opens = resource.opens();
    let id = resource.id.clone();
    let action = if resource.opens_in_browser {
        "Open"
    } else {
        "Launch"
    };
    view! {
        <h2 id="details-title" data-testid="details-name">{resource.name.clone()}</h2>
        <dl class="facts">
            <dt>"Kind"</dt><dd data-testid="details-kind">{kind}</dd>
            <dt>"Folder"</dt><dd data-testid="details-folder">{folder}</dd>
            <dt>"Description"</dt><dd data-testid="details-description">{description}</dd>
            <dt>"Favourite"</dt><dd data-testid="details-favourite">{favourite}</dd>
            <dt>"Running"</dt><dd data-testid="details-running">{running}</dd>
            <dt>"Last launched"</dt><dd data-testid="details-recent">{recent}</dd>
        </dl>
        {opens.then(|| view! {
            <button class="primary" data-testid="details-launch" on:click=move |_| launch.run(id.clone())>{action}</button>
        })}
    }
}

/// Focuses the details button of the card showing resource `id`, if it is rendered.
fn focus_details_button(id: &str) {
    let Ok(cards) = document().query_selector_all("[data-testid=resource-card]") else {
        return;
    };
    let button = (0..cards.length())
        .filter_map(|i| cards.item(i)?.dyn_into::<web_sys::Element>().ok())
        .find(|card| card.get_attribute("data-resource-id").as_deref() == Some(id))
        .and_then(|card| {
            card.query_selector("[data-testid=details-button]")
                .ok()
                .flatten()
        })
        .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(button) = button {
        let _ = button.focus();
    }
}

/// 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd".
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::ordinal;

    #[test]
    fn ordinals_read_as_english() {
        let got: Vec<_> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th"
            ]
        );
    }
}
