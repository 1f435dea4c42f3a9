//! "Running now": the user's sessions (Workspace Control) above the cards, with reconnect,
//! disconnect and log off, one or all. Reconnecting is the catalogue's own launch; logging off
//! asks first, saying what is lost. The model and its words are `model/running.rs`.

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_shared::api::{ErrorCode, SessionAction};
use wasm_bindgen::JsCast;

use super::ctx::Ctx;
use crate::api;
use crate::error::ClientError;
use crate::model::running::{
    Confirm, Row, RunningModel, confirm_text, done_text, failed_text, skipped_text,
};

/// The section's heading, where focus goes once an action is over (its button is redrawn).
const TITLE_ID: &str = "running-title";
/// The "Log off all" button's id, where focus returns when its question is cancelled.
const LOGOFF_ALL_ID: &str = "running-logoff-all";

/// Moves focus to element `id` once the list has been redrawn.
fn focus_soon(id: String) {
    spawn_local(async move {
        TimeoutFuture::new(0).await;
        if let Some(e) = document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = e.focus();
        }
    });
}

fn update<T>(ctx: Ctx, f: impl FnOnce(&mut RunningModel) -> T) -> Option<T> {
    ctx.running
        .try_update(|r| match r {
            Some(Ok(m)) => Some(f(m)),
            _ => None,
        })
        .flatten()
}

fn name_of(ctx: Ctx, id: &str) -> String {
    let catalogue_name = |m: &RunningModel| ctx.with_model(|c| m.name_of(id, Some(c)));
    ctx.running
        .with_untracked(|r| match r {
            Some(Ok(m)) => catalogue_name(m).or_else(|| Some(m.name_of(id, None))),
            _ => None,
        })
        .unwrap_or_default()
}

/// Disconnects or logs off session `id`, or all of them; the list follows the answer, and a
/// failure changes nothing and says why.
fn act(ctx: Ctx, id: Option<String>, action: SessionAction) {
    let name = id.as_deref().map(|id| name_of(ctx, id));
    if update(ctx, |m| m.begin(id.as_deref())) != Some(true) {
        return;
    }
    spawn_local(async move {
        let answer = api::session_action(id.as_deref(), action).await;
        focus_soon(TITLE_ID.into());
        match answer {
            Ok(changed) => {
                update(ctx, |m| m.finish(Some(&changed)));
                ctx.live.try_set(done_text(action, name.as_deref()));
            }
            Err(e) if e.needs_sign_in() => ctx.session_ended.run(()),
            Err(e) => {
                update(ctx, |m| m.finish(None));
                let text = failed_text(action, name.as_deref(), &e.message());
                ctx.notices.update(|n| {
                    n.push(text, None);
                });
                // The store may have done part of it (some of "all"), or the session is gone
                // or changed: show the list as it now is.
                ctx.load_running();
            }
        }
    });
}

/// The section; nothing at all while nothing runs, or when the store offers no sessions
/// service.
#[component]
pub(super) fn RunningSection(ctx: Ctx) -> impl IntoView {
    ctx.load_running();
    let shown = move || {
        ctx.running.with(|r| match r {
            None => false,
            Some(Err(ClientError::Api { error, .. })) => error.code != ErrorCode::NotFound,
            Some(Err(_)) => true,
            Some(Ok(m)) => m.worth_showing(),
        })
    };
    view! {
        <Show when=shown>
            <section class="running" aria-labelledby=TITLE_ID data-testid="running">
                <div class="running-head">
                    <h2 id=TITLE_ID tabindex="-1">"Running now"</h2>
                    <AllActions ctx=ctx />
                </div>
                {move || {
                    // Names come from the catalogue: show them again once it is there.
                    ctx.model.track();
                    match ctx.running.get() {
                    Some(Err(e)) => view! {
                        <div role="alert" data-testid="running-error">
                            <p>"Your running sessions could not be loaded. "{e.message()}</p>
                            <button class="link" data-testid="running-retry" on:click=move |_| ctx.load_running()>"Try again"</button>
                        </div>
                    }.into_any(),
                    Some(Ok(m)) => view! { <SessionList ctx=ctx model=m /> }.into_any(),
                    None => ().into_any(),
                }}}
            </section>
        </Show>
    }
}

/// Refresh, "Disconnect all" and "Log off all".
#[component]
fn AllActions(ctx: Ctx) -> impl IntoView {
    let offers = move || {
        ctx.running.with(|r| match r {
            Some(Ok(m)) => (m.can_disconnect_all(), m.can_log_off_all()),
            _ => (false, false),
        })
    };
    view! {
        <div class="running-all">
            <button class="link" data-testid="running-refresh" on:click=move |_| ctx.load_running()>"Refresh"</button>
            <Show when=move || offers().0>
                <button data-testid="disconnect-all" on:click=move |_| act(ctx, None, SessionAction::Disconnect)>"Disconnect all"</button>
            </Show>
            <Show when=move || offers().1>
                <button id=LOGOFF_ALL_ID data-testid="logoff-all" on:click=move |_| {
                    update(ctx, |m| m.confirming = Some(Confirm::LogOffAll));
                }>"Log off all"</button>
            </Show>
        </div>
    }
}

#[component]
fn SessionList(ctx: Ctx, model: RunningModel) -> impl IntoView {
    let rows = ctx
        .with_model(|c| model.rows(Some(c)))
        .unwrap_or_else(|| model.rows(None));
    let count = rows.len();
    let confirm_all = (model.confirming == Some(Confirm::LogOffAll))
        .then(|| view! { <ConfirmLogOff ctx=ctx id=None text=confirm_text(&Confirm::LogOffAll, "", count) back_to=LOGOFF_ALL_ID.to_owned() /> });
    let skipped = (model.skipped() > 0).then(|| {
        view! { <p class="muted small" data-testid="running-skipped">{skipped_text(model.skipped())}</p> }
    });
    let busy = model.busy.clone();
    let confirming = model.confirming.clone();
    let list = if rows.is_empty() {
        view! { <p class="muted" data-testid="running-empty">"Nothing is running."</p> }.into_any()
    } else {
        view! {
            <ul class="running-list" data-testid="running-list">
                {rows.into_iter().enumerate().map(|(i, row)| {
                    let busy = busy.as_ref().is_some_and(|b| b.is_none() || b.as_deref() == Some(row.id.as_str()));
                    let asking = confirming == Some(Confirm::LogOff { id: row.id.clone() });
                    view! { <SessionRow ctx=ctx row=row place=i busy=busy asking=asking /> }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {confirm_all}
        {list}
        {skipped}
    }
}

#[component]
fn SessionRow(ctx: Ctx, row: Row, place: usize, busy: bool, asking: bool) -> impl IntoView {
    let name_id = format!("running-name-{place}");
    let Row {
        id,
        name,
        state,
        state_slug,
        reconnect,
        can_disconnect,
        can_log_off,
    } = row;
    let labelled = |action: &str| format!("{action} {name}");
    let launch = reconnect.clone().map(|resource| {
        let name = name.clone();
        move || {
            ctx.launches.with(|l| {
                l.get(&resource)
                    .map(|l| view! { <p class="small" data-testid="reconnect-progress">{l.phase.describe(&name)}</p> })
            })
        }
    });
    let reconnect_button = reconnect.map(|resource| {
        view! {
            <button class="primary" data-testid="reconnect" aria-label=labelled("Reconnect")
                on:click=move |_| ctx.launch(resource.clone())>"Reconnect"</button>
        }
    });
    let disconnect_button = can_disconnect.then(|| {
        let id = id.clone();
        view! {
            <button data-testid="disconnect" aria-label=labelled("Disconnect") aria-disabled=busy.to_string()
                on:click=move |_| act(ctx, Some(id.clone()), SessionAction::Disconnect)>"Disconnect"</button>
        }
    });
    let logoff_id = format!("running-logoff-{place}");
    let logoff_button = can_log_off.then(|| {
        let id = id.clone();
        view! {
            <button id=logoff_id.clone() data-testid="logoff" aria-label=labelled("Log off") aria-disabled=busy.to_string()
                on:click=move |_| {
                    update(ctx, |m| m.confirming = Some(Confirm::LogOff { id: id.clone() }));
                }>"Log off"</button>
        }
    });
    let confirm = asking.then(|| {
        let text = confirm_text(&Confirm::LogOff { id: id.clone() }, &name, 1);
        view! { <ConfirmLogOff ctx=ctx id=Some(id.clone()) text=text back_to=logoff_id /> }
    });
    view! {
        <li class="running-session" data-testid="running-session" data-state=state_slug data-busy=busy.to_string()>
            <div>
                <strong id=name_id data-testid="running-name">{name.clone()}</strong>
                <p class="muted small" data-testid="running-state">{state}</p>
                {launch}
            </div>
            <div class="running-actions">
                {reconnect_button}
                {disconnect_button}
                {logoff_button}
            </div>
            {confirm}
        </li>
    }
}

/// The question before a log-off; focus goes to "Cancel", the safe answer, and Cancel or Escape
/// takes it back to the button that asked (`back_to`).
#[component]
fn ConfirmLogOff(ctx: Ctx, id: Option<String>, text: String, back_to: String) -> impl IntoView {
    let back = StoredValue::new(back_to);
    let cancel_it = move || {
        update(ctx, |m| m.confirming = None);
        focus_soon(back.get_value());
    };
    let cancel = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = cancel.get() {
            let _ = b.focus();
        }
    });
    let text_id = format!("logoff-question-{}", id.is_some());
    let labelled_by = text_id.clone();
    view! {
        <div class="confirm" role="alertdialog" aria-labelledby=labelled_by data-testid="logoff-confirm"
            on:keydown=move |ev| if ev.key() == "Escape" { cancel_it(); }>
            <p id=text_id>{text}</p>
            <button class="danger" data-testid="logoff-confirm-yes"
                on:click=move |_| act(ctx, id.clone(), SessionAction::LogOff)>"Log off"</button>
            <button node_ref=cancel data-testid="logoff-confirm-no"
                on:click=move |_| cancel_it()>"Cancel"</button>
        </div>
    }
}
