//! Moving between the app's pages without reloading it: the address bar and the history follow
//! [`Route`], and Back and Forward work.

use leptos::prelude::*;

use crate::model::Route;
use crate::model::route::is_plain_click;

/// The current page, shared by everything that links to another page. `Copy`, like a signal.
#[derive(Clone, Copy)]
pub struct Nav {
    route: RwSignal<Route>,
}

impl Nav {
    /// Starts following the address bar, now and on Back and Forward (a listener for the
    /// owner's lifetime, hence not `Default`).
    pub fn start() -> Nav {
        let route = RwSignal::new(current_route());
        let popstate =
            window_event_listener(leptos::ev::popstate, move |_| route.set(current_route()));
        on_cleanup(move || popstate.remove());
        Nav { route }
    }

    /// The page shown.
    pub fn route(self) -> Route {
        self.route.get()
    }

    /// Shows `to` and makes it a history entry. Focus moves to the new page's main landmark, as
    /// a page load would put screen readers at the start of the page.
    pub fn go(self, to: Route) {
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to.path()));
        }
        self.route.set(to);
        request_animation_frame(|| {
            let main = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.query_selector("main").ok().flatten());
            if let Some(main) =
                main.and_then(|m| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(m).ok())
            {
                let _ = main.focus();
            }
        });
    }
}

fn current_route() -> Route {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .map(|p| Route::from_path(&p))
        .unwrap_or_default()
}

/// A link to another page of the app: a real `href` (new tab, copy link), followed in the app on
/// a plain click.
#[component]
pub fn AppLink(
    /// Where to.
    to: Route,
    /// The app's navigation.
    nav: Nav,
    /// Its `data-testid`.
    #[prop(into)]
    testid: String,
    /// CSS classes.
    #[prop(optional, into)]
    class: String,
    children: Children,
) -> impl IntoView {
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if is_plain_click(
            ev.button(),
            ev.ctrl_key(),
            ev.meta_key(),
            ev.shift_key(),
            ev.alt_key(),
        ) {
            ev.prevent_default();
            nav.go(to);
        }
    };
    view! {
        <a
            href=to.path()
            class=class
            data-testid=testid
            aria-current=move || (nav.route() == to).then_some("page")
            on:click=on_click
        >
            {children()}
        </a>
    }
}
