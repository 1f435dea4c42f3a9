//! The catalogue: views, folders, search and the cards, with the URL kept in step with what is
//! shown. The page's state and the drivers that talk to the worker (load, launch, favourite) are
//! in `catalogue/ctx.rs`; signing out is the top bar's.

mod ctx;
mod details_dialog;
mod empty_state;
mod folder_nav;
mod launch_panel;
mod notice_list;
mod resource_card;
mod resource_grid;
mod running;
mod toolbar;

use leptos::prelude::*;
use portal_shared::api::SessionInfo;

use crate::api;
use crate::error::ClientError;
use crate::model::admin::BannerView;
use crate::model::{CatalogueModel, Launches, Notices, Place, Recents, Route, Sort, View};
use crate::nav::{AppLink, Nav};
use crate::pause::AfterPause;

use ctx::Ctx;
use details_dialog::DetailsDialog;
use folder_nav::FolderNav;
use notice_list::NoticeList;
use resource_grid::ResourceGrid;
use running::RunningSection;
use toolbar::Toolbar;

use super::top_bar::TopBar;

fn stored_recents(key: &str) -> Recents {
    web_sys::window()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(key).ok().flatten())
        .map(|text| Recents::from_storage(&text))
        .unwrap_or_default()
}

fn current_place() -> Place {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| Place::from_search(&s))
        .unwrap_or_default()
}

/// How long the address bar waits for typing to pause.
const URL_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// Writes the place into the address bar without a new history entry per keystroke.
fn show_place_in_url(place: &Place) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let path = window.location().pathname().unwrap_or_else(|_| "/".into());
    let url = format!("{path}{}", place.to_search());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The signed-in page.
#[component]
pub fn CataloguePage(
    /// Who is signed in.
    session: SessionInfo,
    /// Called when a request finds the session gone.
    session_ended: Callback<()>,
    /// Called once the user has signed out.
    signed_out: Callback<()>,
    /// The app's navigation.
    nav: Nav,
) -> impl IntoView {
    let model: RwSignal<Option<Result<CatalogueModel, ClientError>>> = RwSignal::new(None);
    let place = RwSignal::new(current_place());
    let recents_key = format!("portal.recent.{}", session.user.sub);
    let recents = RwSignal::new(stored_recents(&recents_key));
    let visible = Memo::new(move |_| {
        model.with(|m| match m {
            Some(Ok(m)) => place.with(|p| recents.with(|r| m.filter(p, r))),
            _ => Vec::new(),
        })
    });
    let ctx = Ctx {
        model,
        place,
        launches: RwSignal::new(Launches::default()),
        recents,
        notices: RwSignal::new(Notices::default()),
        live: RwSignal::new(String::new()),
        visible,
        recents_key: StoredValue::new(recents_key),
        session_ended,
        preferences: RwSignal::new(session.preferences),
        details: RwSignal::new(None),
        running: RwSignal::new(None),
    };
    ctx.load();
    // Another view, folder or order is read from its top: if the list was scrolled past, bring
    // its heading back on screen. (Typing needs nothing: focusing search scrolled up already.)
    Effect::new(move |before: Option<(View, Vec<String>, Sort)>| {
        let now = place.with(|p| (p.view, p.category.clone(), p.sort));
        if before.is_some_and(|b| b != now)
            && let Some(title) = document().get_element_by_id("view-title")
            && title.get_bounding_client_rect().top() < 0.0
        {
            title.scroll_into_view();
        }
        now
    });
    // The address bar follows once typing pauses: a history update per keystroke costs more
    // than drawing the new list.
    let url_update = AfterPause::new(URL_DELAY);
    Effect::new(move |_| {
        let place = place.get();
        url_update.request(move || show_place_in_url(&place));
    });

    let search = NodeRef::<leptos::html::Input>::new();
    // `/` focuses search from anywhere but a text field, as in Citrix Workspace and GitHub.
    let slash = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        if typing_somewhere(&ev) {
            return;
        }
        if let Some(input) = search.get_untracked() {
            ev.prevent_default();
            let _ = input.focus();
            input.select();
        }
    });
    on_cleanup(move || slash.remove());

    let sign_out_failed = Callback::new(move |message: String| {
        ctx.notices.update(|n| {
            n.push(message, None);
        })
    });
    // Admins hear about the client secret wherever they are: sign-in for everyone depends on it.
    // Nobody else asks for it.
    let secret_banner = session.is_admin.then(|| {
        LocalResource::new(|| async {
            // A nicety: if the status cannot be had, the admin page says why.
            api::secret_status()
                .await
                .ok()
                .and_then(|status| BannerView::of(&status))
        })
    });
    // Loading, failed (why) or loaded: what the page shows depends on this alone, so a change to
    // the loaded catalogue (a favourite) leaves the grid in place.
    let loaded = Memo::new(move |_| model.with(|m| m.as_ref().map(|r| r.as_ref().err().cloned())));
    let title = move || match place.with(|p| p.view) {
        View::All => "All apps and desktops",
        View::Apps => "Apps",
        View::Desktops => "Desktops",
        View::Favorites => "Favourites",
    };

    view! {
        <a class="skip-link" href="#catalogue-main">"Skip to apps and desktops"</a>
        <TopBar session=session nav=nav signed_out=signed_out sign_out_failed=sign_out_failed />
        <div class="layout">
            <Toolbar ctx=ctx search=search />
            <FolderNav ctx=ctx />
            <main id="catalogue-main" class="content" tabindex="-1" aria-labelledby="view-title">
                // Its own boundary: nothing shows until the status is there, and the rest of the
                // page does not wait for it.
                {secret_banner.map(|banner| view! {
                    <Suspense>
                        {move || Suspend::new(async move {
                            banner.await.map(|b| view! {
                                <div class="banner" role="status" data-tone=b.tone.slug() data-testid="secret-banner">
                                    <p>
                                        <strong>"Client secret: "</strong>{b.text}" "
                                        <AppLink to=Route::Admin nav=nav testid="secret-banner-link">"Open the admin page"</AppLink>
                                    </p>
                                </div>
                            })
                        })}
                    </Suspense>
                })}
                <div class="heading">
                    <h1 id="view-title" data-testid="view-title">{title}</h1>
                    <p class="muted small" data-testid="result-count" role="status">
                        {move || result_count(ctx)}
                    </p>
                    <SkippedNote ctx=ctx />
                </div>
                <RunningSection ctx=ctx />
                {move || match loaded.get() {
                    None => view! { <Skeletons /> }.into_any(),
                    Some(Some(e)) => view! {
                        <div class="panel" data-testid="error" role="alert">
                            <p>{e.message()}</p>
                            <button class="primary" data-testid="retry" on:click=move |_| ctx.load()>"Try again"</button>
                        </div>
                    }.into_any(),
                    Some(None) => view! { <ResourceGrid ctx=ctx /> }.into_any(),
                }}
            </main>
        </div>
        <NoticeList ctx=ctx />
        <DetailsDialog ctx=ctx />
        <div class="sr-only" role="status" aria-live="polite" data-testid="live-region">{move || ctx.live.get()}</div>
    }
}

fn result_count(ctx: Ctx) -> String {
    let loaded = ctx.model.with(|m| matches!(m, Some(Ok(_))));
    if !loaded {
        return String::new();
    }
    items(ctx.visible.with(Vec::len))
}

fn items(n: usize) -> String {
    match n {
        1 => "1 item".into(),
        n => format!("{n} items"),
    }
}

/// Says, beside the count, how many items of the store's answer could not be shown, so a missing
/// app is explained rather than silently absent (the worker's log names them for the admin).
#[component]
fn SkippedNote(ctx: Ctx) -> impl IntoView {
    let skipped = move || {
        ctx.model.with(|m| {
            m.as_ref()
                .and_then(|r| r.as_ref().ok())
                .map_or(0, CatalogueModel::skipped)
        })
    };
    move || {
        let n = skipped();
        (n > 0).then(|| {
            view! {
                <p class="muted small" role="status" data-testid="skipped-note">
                    {items(n)}" from Citrix Workspace could not be shown (sent incomplete)"
                </p>
            }
        })
    }
}

/// Placeholders the size of cards while the catalogue loads, so nothing jumps when it arrives.
#[component]
fn Skeletons() -> impl IntoView {
    view! {
        <ul class="grid layout-grid" aria-busy="true" aria-label="Loading your apps and desktops" data-testid="skeletons">
            {(0..8).map(|_| view! { <li class="card skeleton" aria-hidden="true"></li> }).collect_view()}
        </ul>
    }
}

/// Whether a key press is text input for a field rather than a shortcut.
fn typing_somewhere(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    let Some(el) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        || el
            .dyn_ref::<web_sys::HtmlElement>()
            .is_some_and(|e| e.is_content_editable())
}
