//! The admin page: the portal's OAuth client in Citrix Cloud and the rotation of its secret, with
//! "rotate now" and "expire old secret now". Only for admins; others get a plain "not allowed".

use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_shared::api::SessionInfo;

use crate::api;
use crate::model::Route;
use crate::model::admin::{Action, AdminModel, After, Screen, StatusView, Tone};
use crate::nav::{AppLink, Nav};
use crate::pause::now_secs;

use super::top_bar::TopBar;

const TITLE: &str = "Client secret · Workspace Portal";

fn set_title(title: &str) {
    if let Some(d) = web_sys::window().and_then(|w| w.document()) {
        d.set_title(title);
    }
}

/// The page's state and what it can do. Signals and callbacks are `Copy`, so is this.
#[derive(Clone, Copy)]
struct Ctx {
    model: RwSignal<AdminModel>,
    session_ended: Callback<()>,
}

impl Ctx {
    fn load(self) {
        if !self
            .model
            .try_update(AdminModel::begin_load)
            .unwrap_or(false)
        {
            return;
        }
        spawn_local(async move {
            let answer = api::secret_status().await;
            if self.model.try_update(|m| m.loaded(answer)) == Some(After::SignIn) {
                self.session_ended.run(());
            }
        });
    }

    fn run(self, action: Action) {
        if !self.model.try_update(|m| m.begin(action)).unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            let answer = match action {
                Action::Rotate => api::rotate_secret().await,
                Action::ExpireOld => api::expire_old_secret().await,
            };
            match self.model.try_update(|m| m.finish(action, answer)) {
                Some(After::Reload) => self.load(),
                Some(After::SignIn) => self.session_ended.run(()),
                Some(After::Done) | None => {}
            }
        });
    }
}

/// The admin page.
#[component]
pub fn AdminPage(
    /// Who is signed in.
    session: SessionInfo,
    /// Called when a request finds the session gone.
    session_ended: Callback<()>,
    /// Called once the user has signed out.
    signed_out: Callback<()>,
    /// The app's navigation.
    nav: Nav,
) -> impl IntoView {
    let subject = session.user.sub.clone();
    let ctx = Ctx {
        model: RwSignal::new(AdminModel::new(session.is_admin)),
        session_ended,
    };
    ctx.load();
    set_title(TITLE);
    on_cleanup(|| set_title("Workspace Portal"));
    let screen = Memo::new(move |_| ctx.model.with(AdminModel::screen));
    let sign_out_problem = RwSignal::new(None::<String>);
    let sign_out_failed = Callback::new(move |m: String| sign_out_problem.set(Some(m)));

    view! {
        <a class="skip-link" href="#admin-main">"Skip to the client secret"</a>
        <TopBar session=session nav=nav signed_out=signed_out sign_out_failed=sign_out_failed />
        <main id="admin-main" class="admin" tabindex="-1" aria-labelledby="admin-title" data-testid="admin-page">
            <p class="small">
                <AppLink to=Route::Catalogue nav=nav testid="back-link">"← Apps and desktops"</AppLink>
            </p>
            <h1 id="admin-title">"Client secret"</h1>
            {move || sign_out_problem.get().map(|m| view! {
                <p class="message" data-tone="error" role="alert" data-testid="signout-problem">{m}</p>
            })}
            {move || match screen.get() {
                Screen::NotAllowed => view! { <NotAllowed nav=nav subject=subject.clone() /> }.into_any(),
                Screen::Loading => view! {
                    <p class="muted" aria-busy="true" data-testid="admin-loading">"Loading the client secret's status…"</p>
                }.into_any(),
                Screen::Failed(message) => view! {
                    <div class="panel" role="alert" data-testid="admin-error">
                        <p>{message}</p>
                        <button class="primary" data-testid="admin-retry" on:click=move |_| ctx.load()>"Try again"</button>
                    </div>
                }.into_any(),
                Screen::Ready => view! { <Status ctx=ctx /> }.into_any(),
            }}
        </main>
    }
}

/// What a non-admin who opened `/admin` sees.
#[component]
fn NotAllowed(
    nav: Nav,
    /// The user's subject: what an administrator adds to `ADMIN_USERS`.
    subject: String,
) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="not-allowed-title" data-testid="admin-not-allowed">
            <h2 id="not-allowed-title" class="panel-title">"You are not allowed to see this page"</h2>
            <p>
                "This page is for the portal's administrators. If you need it, ask whoever runs the portal to make you an administrator, and tell them your user id: "
                <code data-testid="not-allowed-subject">{subject}</code>
            </p>
            <p>
                <AppLink to=Route::Catalogue nav=nav testid="not-allowed-back">"Go to your apps and desktops"</AppLink>
            </p>
        </section>
    }
}

/// The status, the banner, the actions and the live region: mounted once the first status is
/// there and kept while it changes, so the button just pressed keeps focus.
#[component]
fn Status(ctx: Ctx) -> impl IntoView {
    let model = ctx.model;
    let shown = Memo::new(move |_| model.with(|m| m.view(now_secs())));
    let client = move || shown.with(|v| v.as_ref().map(|v| v.client.clone()));
    let banner = move || shown.with(|v| v.as_ref().and_then(|v| v.banner.clone()));
    let rows = move || shown.with(|v| v.as_ref().map(|v| v.rows.clone()).unwrap_or_default());
    let loading = move || model.with(AdminModel::loading);

    view! {
        {move || banner().map(|b| view! {
            <div
                class="banner"
                data-tone=b.tone.slug()
                data-testid="admin-banner"
                role=(b.tone == Tone::Error).then_some("alert")
            >
                <p><strong>{if b.tone == Tone::Error { "Needs action now: " } else { "Needs attention: " }}</strong>{b.text}</p>
            </div>
        })}
        <section class="panel wide" aria-labelledby="status-title">
            <div class="section-head">
                <h2 id="status-title">{client}</h2>
                <button
                    data-testid="admin-refresh"
                    aria-disabled=move || loading().to_string()
                    on:click=move |_| ctx.load()
                >
                    {move || if loading() { "Refreshing…" } else { "Refresh status" }}
                </button>
            </div>
            <dl class="status-list" data-testid="admin-status">
                {move || rows().into_iter().map(|r| view! {
                    <div class="status-row" data-testid=format!("admin-row-{}", r.key)>
                        <dt>{r.label}</dt>
                        <dd>
                            <span data-testid=format!("admin-{}", r.key)>{r.value}</span>
                            {r.detail.map(|(text, error)| view! {
                                <span class="detail" data-error=error.to_string() data-testid=format!("admin-{}-detail", r.key)>{text}</span>
                            })}
                        </dd>
                    </div>
                }).collect_view()}
            </dl>
        </section>
        <section class="panel wide" aria-labelledby="actions-title">
            <h2 id="actions-title">"Actions"</h2>
            {Action::ALL.into_iter().map(|action| view! { <ActionButton ctx=ctx shown=shown action=action /> }).collect_view()}
            <p
                class="message"
                role="status"
                aria-live="polite"
                data-testid="admin-message"
                data-tone=move || model.with(|m| m.message().map(|m| m.tone.slug()))
            >
                {move || model.with(|m| m.message().map(|m| m.text.clone()))}
            </p>
        </section>
    }
}

/// One action: its button, what it does, and why it is unavailable when it is.
#[component]
fn ActionButton(ctx: Ctx, shown: Memo<Option<StatusView>>, action: Action) -> impl IntoView {
    let get = move || {
        shown.with(|v| {
            v.as_ref()
                .and_then(|v| v.actions.iter().find(|a| a.action == action).cloned())
        })
    };
    let slug = action.slug();
    let help = match action {
        Action::Rotate => {
            "Creates a new secret in Citrix Cloud and signs users in with it. The old secret keeps working until it is expired."
        }
        Action::ExpireOld => {
            "Deletes the old secret in Citrix Cloud. Allowed once sign-in has worked with the new secret."
        }
    };
    // aria-disabled rather than disabled: the button stays focusable, so keyboard and screen
    // reader users reach it and hear why it is unavailable.
    view! {
        <div class="action" data-testid=format!("{slug}-action")>
            <button
                class="primary"
                data-testid=format!("{slug}-button")
                aria-disabled=move || (!get().is_some_and(|a| a.enabled)).to_string()
                aria-describedby=format!("{slug}-help {slug}-reason")
                on:click=move |_| ctx.run(action)
            >
                {move || get().map_or(action.label(), |a| a.label)}
            </button>
            <p id=format!("{slug}-help") class="muted small">{help}</p>
            <p id=format!("{slug}-reason") class="reason small" data-testid=format!("{slug}-reason")>
                {move || get().and_then(|a| a.reason)}
            </p>
        </div>
    }
}
