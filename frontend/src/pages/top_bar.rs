//! The header of every signed-in page: home, the admin page for admins, who is signed in, and
//! signing out.

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_shared::api::SessionInfo;

use crate::api;
use crate::model::Route;
use crate::nav::{AppLink, Nav};

/// The bar at the top.
#[component]
pub fn TopBar(
    /// Who is signed in.
    session: SessionInfo,
    /// The app's navigation.
    nav: Nav,
    /// Called once the user has signed out.
    signed_out: Callback<()>,
    /// Called with a message when signing out failed and the user is still signed in.
    sign_out_failed: Callback<String>,
) -> impl IntoView {
    let sign_out = move |_| {
        spawn_local(async move {
            match api::logout().await {
                Err(e) if !e.needs_sign_in() => {
                    sign_out_failed.run(format!("You are still signed in. {}", e.message()))
                }
                // Signed out of the identity provider too: it sends the browser back here.
                Ok(Some(end_session)) if leave_for(&end_session) => {}
                _ => signed_out.run(()),
            }
        })
    };
    let user_name = session.user.name.clone();
    view! {
        <header class="topbar">
            <a class="brand" href="/" aria-label="Workspace Portal, home">
                <img src="/favicon.svg" alt="" width="28" height="28" />
                <span>"Workspace Portal"</span>
            </a>
            <div class="who">
                {session.is_admin.then(|| view! {
                    <AppLink to=Route::Admin nav=nav testid="admin-link" class="admin-link">
                        "Admin"
                    </AppLink>
                })}
                <span class="avatar" aria-hidden="true">{initials(&user_name)}</span>
                <span data-testid="user-name" title=session.user.email.clone().unwrap_or_default()>{user_name.clone()}</span>
                <button class="link" data-testid="signout-button" on:click=sign_out>"Sign out"</button>
            </div>
        </header>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect()
}

/// Sends the browser to `url`; `false` if it cannot go.
fn leave_for(url: &str) -> bool {
    web_sys::window().is_some_and(|w| w.location().assign(url).is_ok())
}
