//! The grid's keyboard: a roving tab stop, arrows, Home and End across every card (rendered or
//! not), and Enter to launch.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::dom::card_element;
use super::window::Rendered;
use crate::model::grid_nav::{self, Move};
use crate::model::viewport;
use crate::pages::catalogue::ctx::Ctx;

/// The card in the tab order: the one last focused while it is rendered, else the first.
pub fn tab_stop(rendered: Rendered, active: RwSignal<Option<String>>) -> Memo<Option<String>> {
    Memo::new(move |_| {
        rendered.shown.with(|s| {
            active
                .with(|a| a.as_ref().and_then(|a| s.iter().find(|r| &r.id == a)))
                .or(s.first())
                .map(|r| r.id.clone())
        })
    })
}

/// Handles a key pressed on a card.
pub fn on_keydown(
    ctx: Ctx,
    rendered: Rendered,
    active: RwSignal<Option<String>>,
    ev: leptos::ev::KeyboardEvent,
) {
    let Some(card) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .filter(|e| e.get_attribute("data-testid").as_deref() == Some("resource-card"))
    else {
        return;
    };
    let id = card.get_attribute("data-resource-id").unwrap_or_default();
    if ev.key() == "Enter" {
        let opens = rendered
            .shown
            .with_untracked(|s| s.iter().any(|r| r.id == id && r.opens()));
        if opens {
            ev.prevent_default();
            ctx.launch(id);
        }
        return;
    }
    let Some(m) = Move::from_key(&ev.key()) else {
        return;
    };
    let Some((current, len)) = ctx
        .visible
        .with_untracked(|v| v.iter().position(|r| r.id == id).map(|i| (i, v.len())))
    else {
        return;
    };
    let g = rendered.geometry.get_untracked();
    let to = grid_nav::target(current, len, g.columns, m);
    let Some(next) = ctx
        .visible
        .with_untracked(|v| v.get(to).map(|r| r.id.clone()))
    else {
        return;
    };
    ev.prevent_default();
    active.set(Some(next.clone()));
    if rendered.window.get_untracked().contains(to) {
        // Rendered already: focusing scrolls it on screen if it is not.
        focus_card(rendered, &next);
        return;
    }
    // Far away (End, or a row beyond the overscan): scroll there, render, then focus.
    let dy = viewport::scroll_to_show(to, g, rendered.frame.get_untracked());
    if let Some(w) = web_sys::window() {
        w.scroll_by_with_x_and_y(0.0, dy);
    }
    rendered.measure_frame();
    request_animation_frame(move || focus_card(rendered, &next));
}

fn focus_card(rendered: Rendered, id: &str) {
    let card = rendered
        .grid
        .try_get_untracked()
        .flatten()
        .and_then(|ul| card_element(&ul, id));
    if let Some(card) = card {
        let _ = card.focus();
    }
}
