//! The signed-out screen.

use leptos::prelude::*;

/// Product name and one button to sign in with Citrix.
#[component]
pub fn SignInPage(
    /// The session ended (rather than never existed).
    expired: bool,
) -> impl IntoView {
    view! {
        <main class="centered" data-testid="signin-page" data-expired=expired.to_string()>
            <section class="panel signin" aria-labelledby="signin-title">
                <img src="/favicon.svg" alt="" width="56" height="56" />
                <h1 id="signin-title">"Workspace Portal"</h1>
                <p class="muted" data-testid="signin-message" role=expired.then_some("alert")>
                    {if expired {
                        "Your session has ended. Sign in again to get back to where you were."
                    } else {
                        "Your Citrix apps and desktops, in the browser. Sign in with your Citrix account to continue."
                    }}
                </p>
                <button class="primary" data-testid="signin-button" on:click=move |_| sign_in()>
                    "Sign in"
                </button>
            </section>
        </main>
    }
}

/// Sends the browser to sign in, coming back to where it is now (path and query, so the same
/// view and search).
fn sign_in() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let here = format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    );
    let _ = location.set_href(&crate::model::paths::sign_in_url(&here));
}
