//! The catalogue: views, search, and the grid of resources.

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_shared::api::SessionInfo;

use crate::api;
use crate::components::ResourceCard;
use crate::error::ClientError;
use crate::model::{CatalogueModel, Launches, Next, View};

/// The signed-in page.
#[component]
pub fn CataloguePage(
    /// Who is signed in.
    session: SessionInfo,
    /// Called once the user has signed out.
    on_signed_out: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let catalogue: RwSignal<Option<Result<CatalogueModel, ClientError>>> = RwSignal::new(None);
    let query = RwSignal::new(String::new());
    let view = RwSignal::new(View::All);
    let launches = RwSignal::new(Launches::default());

    let load = move || {
        catalogue.set(None);
        spawn_local(async move {
            let result = api::resources().await;
            if matches!(&result, Err(e) if e.needs_sign_in()) {
                crate::sign_in();
                return;
            }
            catalogue.set(Some(result.map(CatalogueModel::new)));
        });
    };
    load();

    let visible = Memo::new(move |_| {
        catalogue.with(|c| match c {
            Some(Ok(model)) => query.with(|q| model.filter(q, view.get())),
            _ => Vec::new(),
        })
    });

    let launch = move |id: String| spawn_local(run_launch(id, launches));
    let cancel = move |id: String| launches.update(|l| l.cancel(&id));
    let sign_out = move |_| {
        spawn_local(async move {
            let _ = api::logout().await;
            on_signed_out();
        })
    };

    view! {
        <header class="topbar">
            <a class="brand" href="/"><img src="/favicon.svg" alt="" width="28" height="28" />"Workspace Portal"</a>
            <div class="who">
                <span data-testid="user-name" title=session.user.email.clone().unwrap_or_default()>{session.user.name.clone()}</span>
                <button class="link" data-testid="signout-button" on:click=sign_out>"Sign out"</button>
            </div>
        </header>
        <main class="content">
            <div class="toolbar">
                <nav aria-label="Views" class="tabs">
                    {View::ALL.into_iter().map(|v| view! {
                        <button
                            class="tab"
                            data-testid=format!("view-{}", v.slug())
                            aria-pressed=move || (view.get() == v).to_string()
                            on:click=move |_| view.set(v)
                        >{v.label()}</button>
                    }).collect_view()}
                </nav>
                <input
                    type="search"
                    class="search"
                    data-testid="search"
                    placeholder="Search apps and desktops"
                    aria-label="Search apps and desktops"
                    prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))
                />
            </div>
            {move || match catalogue.get() {
                None => view! {
                    <ul class="grid" aria-busy="true" aria-label="Loading your apps and desktops">
                        {(0..8).map(|_| view! { <li class="card skeleton" aria-hidden="true"></li> }).collect_view()}
                    </ul>
                }.into_any(),
                Some(Err(e)) => view! {
                    <div class="panel" data-testid="error" role="alert">
                        <p>{e.message()}</p>
                        <button data-testid="retry" on:click=move |_| load()>"Try again"</button>
                    </div>
                }.into_any(),
                Some(Ok(_)) => view! {
                    <Show when=move || !visible.with(Vec::is_empty) fallback=|| view! {
                        <p class="muted empty" data-testid="empty">"Nothing matches. Try another search or view."</p>
                    }>
                        <ul class="grid" data-testid="catalogue" aria-label="Apps and desktops">
                            <For each=move || visible.get() key=|r| r.id.clone() let:resource>
                                <ResourceCard resource=resource launches=launches on_launch=launch on_cancel=cancel />
                            </For>
                        </ul>
                    </Show>
                }.into_any(),
            }}
        </main>
    }
}

/// Drives one launch: start, poll as the worker says, then hand off to Citrix Workspace app.
async fn run_launch(id: String, launches: RwSignal<Launches>) {
    let Some(token) = launches.try_update(|l| l.start(&id)) else {
        return;
    };
    let answer = api::launch(&id).await;
    let mut next = launches
        .try_update(|l| l.answer(&id, token, answer))
        .unwrap_or(Next::Stop);
    loop {
        next = match next {
            Next::Wait => {
                TimeoutFuture::new(1_000).await;
                launches
                    .try_update(|l| l.tick(&id, token))
                    .unwrap_or(Next::Stop)
            }
            Next::Poll { handle } => {
                let answer = api::poll(&handle).await;
                launches
                    .try_update(|l| l.answer(&id, token, answer))
                    .unwrap_or(Next::Stop)
            }
            Next::Open { receiver_uri } => {
                // The ticketed launch: the browser opens receiver://, Citrix Workspace app takes over.
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_href(&receiver_uri);
                }
                return;
            }
            Next::SignIn => {
                crate::sign_in();
                return;
            }
            Next::Stop => return,
        }
    }
}
