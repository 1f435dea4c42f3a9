//! Messages about background failures, each with "Try again" where it makes sense.

use leptos::prelude::*;

use super::ctx::Ctx;
use crate::model::Notice;

/// The stack of messages at the bottom of the screen.
#[component]
pub fn NoticeList(
    /// The page.
    ctx: Ctx,
) -> impl IntoView {
    let items = move || ctx.notices.with(|n| n.items().to_vec());
    view! {
        <div class="notices" data-testid="notices">
            <For each=items key=|n: &Notice| n.id let:notice>
                {
                    let id = notice.id;
                    view! {
                        <div class="notice" role="alert" data-testid="notice">
                            <p>{notice.text.clone()}</p>
                            {notice.retry.clone().map(|retry| view! {
                                <button data-testid="notice-retry" on:click=move |_| ctx.retry(id, retry.clone())>"Try again"</button>
                            })}
                            <button class="link" data-testid="notice-dismiss" aria-label="Dismiss message" on:click=move |_| ctx.notices.update(|n| n.dismiss(id))>"Dismiss"</button>
                        </div>
                    }
                }
            </For>
        </div>
    }
}
