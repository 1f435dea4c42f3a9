//! What the grid reads from the page: where the list is, how the CSS laid out its cards, which
//! element is a card. Everything here tolerates a grid that is already gone.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::model::Layout;
use crate::model::viewport::{Frame, Geometry};

/// Until measured: one column of cards as tall as style.css makes them (12rem and 4.25rem at
/// 16px), plus the gap.
pub fn guess(layout: Layout) -> Geometry {
    Geometry {
        columns: 1,
        row_height: match layout {
            Layout::Grid => 208.0,
            Layout::List => 76.0,
        },
    }
}

pub fn set_if_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    if signal.try_with_untracked(|v| *v != value) == Some(true) {
        signal.try_set(value);
    }
}

pub fn viewport_height() -> f64 {
    web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|h| h.as_f64())
        .unwrap_or(800.0)
}

pub fn frame_of(ul: &web_sys::HtmlElement) -> Frame {
    Frame {
        list_top: ul.get_bounding_client_rect().top(),
        viewport_height: viewport_height(),
    }
}

/// Columns as the CSS grid resolved them, and the row height as the shortest rendered card
/// plus the row gap: a card showing a launch's progress is taller, the others are all alike.
pub fn geometry_of(ul: &web_sys::HtmlElement) -> Option<Geometry> {
    let style = web_sys::window()?.get_computed_style(ul).ok()??;
    let columns = style
        .get_property_value("grid-template-columns")
        .ok()?
        .split_whitespace()
        .count();
    let gap = style
        .get_property_value("row-gap")
        .ok()
        .and_then(|g| g.trim().trim_end_matches("px").parse::<f64>().ok())
        .unwrap_or(0.0);
    let cards = ul.children();
    let card = (0..cards.length())
        .filter_map(|i| cards.item(i))
        .map(|c| c.get_bounding_client_rect().height())
        .filter(|h| *h > 0.0)
        .min_by(f64::total_cmp)?;
    Some(Geometry {
        columns,
        row_height: card + gap,
    })
}

/// The rendered card of resource `id`, if it is rendered.
pub fn card_element(ul: &web_sys::HtmlElement, id: &str) -> Option<web_sys::HtmlElement> {
    let cards = ul.children();
    (0..cards.length())
        .filter_map(|i| cards.item(i))
        .find(|c| c.get_attribute("data-resource-id").as_deref() == Some(id))
        .and_then(|c| c.dyn_into().ok())
}
