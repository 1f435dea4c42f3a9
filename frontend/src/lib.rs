//! Workspace Portal's single-page app. `main.rs` only mounts [`App`]; the model is plain Rust.

pub mod api;
pub mod error;
pub mod model;
pub mod nav;
mod pages;
mod pause;

#[cfg(all(test, target_arch = "wasm32"))]
mod component_tests;

use leptos::prelude::*;

use crate::error::ClientError;
use crate::model::Route;
use crate::nav::Nav;
use crate::pages::{AdminPage, CataloguePage, SignInPage};

/// The app: the sign-in screen when signed out, otherwise the page the address bar names.
#[component]
pub fn App() -> impl IntoView {
    let session = LocalResource::new(api::session);
    let nav = Nav::start();
    // Any request that finds the session gone ends here: the sign-in screen says so, and
    // signing in comes back to the URL the catalogue keeps up to date.
    let session_ended = Callback::new(move |()| {
        session.set(Some(Err(ClientError::SignInRequired { expired: true })))
    });
    let signed_out = Callback::new(move |()| {
        session.set(Some(Err(ClientError::SignInRequired { expired: false })))
    });
    // A Suspense rather than a Transition, so trying again shows "Loading…" again. A page reads
    // its own resources inside a boundary of its own: read outside one, a pending resource would
    // put this "Loading…" in place of the whole page.
    view! {
        <Suspense fallback=|| view! {
            <main class="centered" aria-busy="true" data-testid="app-loading">
                <p class="muted">"Loading…"</p>
            </main>
        }>
            {move || Suspend::new(async move {
                match session.await {
                    Err(e) if e.needs_sign_in() => view! {
                        <SignInPage expired=matches!(e, ClientError::SignInRequired { expired: true }) />
                    }.into_any(),
                    Err(e) => view! {
                        <main class="centered">
                            <div class="panel" data-testid="error" role="alert">
                                <h1 class="panel-title">"Workspace Portal is not available"</h1>
                                <p>{e.message()}</p>
                                <button class="primary" data-testid="retry" on:click=move |_| session.refetch()>"Try again"</button>
                            </div>
                        </main>
                    }.into_any(),
                    Ok(info) => match nav.route() {
                        Route::Catalogue => view! {
                            <CataloguePage session=info session_ended=session_ended signed_out=signed_out nav=nav />
                        }.into_any(),
                        Route::Admin => view! {
                            <AdminPage session=info session_ended=session_ended signed_out=signed_out nav=nav />
                        }.into_any(),
                    },
                }
            })}
        </Suspense>
    }
}
