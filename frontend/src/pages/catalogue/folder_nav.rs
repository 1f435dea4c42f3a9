//! Category folders, when the catalogue's resources carry them.

use leptos::prelude::*;

use super::ctx::Ctx;
use crate::model::Folder;

/// The folder list beside (on phones, above) the cards.
#[component]
pub fn FolderNav(
    /// The page.
    ctx: Ctx,
) -> impl IntoView {
    let place = ctx.place;
    // Keyed on the view alone: counting folders walks the whole catalogue, a keystroke in the
    // search box must not.
    let view = Memo::new(move |_| place.with(|p| p.view));
    let folders = Memo::new(move |_| {
        let view = view.get();
        ctx.model.with(|m| match m {
            Some(Ok(m)) => m.folders(view),
            _ => Vec::new(),
        })
    });
    let item = move |path: Vec<String>, label: String, depth: usize, count: Option<usize>| {
        let slug = path.join("/");
        let current = {
            let path = path.clone();
            move || place.with(|p| p.category == path)
        };
        view! {
            <li style=format!("--depth: {depth}")>
                <button
                    class="folder"
                    data-testid="folder"
                    data-folder=slug
                    aria-current=move || current().then_some("true")
                    on:click=move |_| place.update(|p| p.category = path.clone())
                >
                    <span>{label}</span>
                    {count.map(|n| view! { <span class="count">{n}</span> })}
                </button>
            </li>
        }
    };
    view! {
        <Show when=move || !folders.with(Vec::is_empty)>
            <nav class="folders" aria-label="Categories" data-testid="folders">
                <h2 class="small muted">"Categories"</h2>
                <ul>
                    {item(Vec::new(), "All categories".into(), 0, None)}
                    <For each=move || folders.get() key=|f: &Folder| (f.path.clone(), f.count) let:folder>
                        {item(folder.path.clone(), folder.name().to_owned(), folder.depth(), Some(folder.count))}
                    </For>
                </ul>
            </nav>
        </Show>
    }
}
