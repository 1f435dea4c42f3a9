//! Which cards are in the DOM: the rows on screen at once, the rows around them once the list
//! stays put, measured from the page after every render, scroll and resize.

use std::sync::Arc;

use leptos::html::Ul;
use leptos::prelude::*;
use portal_shared::api::CatalogueResource;

use super::dom::{frame_of, geometry_of, guess, set_if_changed, viewport_height};
use crate::model::Layout;
use crate::model::viewport::{self, Frame, Geometry, Window};
use crate::pages::catalogue::ctx::Ctx;
use crate::pause::AfterPause;

/// How long the list must stay put before the rows beyond the screen are rendered: longer than
/// the gap between keystrokes of someone typing.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(150);

/// The rendered slice of the list and what decides it.
#[derive(Clone, Copy)]
pub struct Rendered {
    /// The grid element.
    pub grid: NodeRef<Ul>,
    /// Columns and row height, as last measured.
    pub geometry: RwSignal<Geometry>,
    /// Where the list is on screen.
    pub frame: RwSignal<Frame>,
    /// The indices of the rendered cards.
    pub window: Memo<Window>,
    /// The rendered cards' resources.
    pub shown: Memo<Vec<Arc<CatalogueResource>>>,
    ctx: Ctx,
    generation: Memo<u64>,
    settled: RwSignal<u64>,
    settle: AfterPause,
}

impl Rendered {
    /// The window over `ctx.visible`, and the effects and listeners that keep it measured.
    pub fn new(ctx: Ctx, layout: Memo<Layout>) -> Rendered {
        let grid = NodeRef::<Ul>::new();
        // Guesses until the first measurement, which comes before the first paint.
        let geometry = RwSignal::new(guess(layout.get_untracked()));
        let frame = RwSignal::new(Frame {
            list_top: 0.0,
            viewport_height: viewport_height(),
        });
        // Each change of the list (a keystroke) renders the screen alone; the overscan rows
        // follow once the list stays put for SETTLE, or at once when the user scrolls.
        let generation = Memo::new(move |before: Option<&u64>| {
            ctx.visible.with(|_| ());
            before.map_or(0, |b| b + 1)
        });
        let settled = RwSignal::new(0_u64);
        let settle = AfterPause::new(SETTLE);
        Effect::new(move |_| {
            let now = generation.get();
            if settled.get_untracked() != now {
                settle.request(move || {
                    settled.try_set(now);
                });
            }
        });
        let window = Memo::new(move |before: Option<&Window>| {
            let len = ctx.visible.with(Vec::len);
            // Nothing matches: the cards stay, hidden, so the next keystroke updates them in
            // place instead of making them anew.
            if let (0, Some(before)) = (len, before) {
                return *before;
            }
            let overscan = if settled.get() == generation.get() {
                viewport::OVERSCAN_ROWS
            } else {
                0
            };
            Window::of(len, geometry.get(), frame.get(), overscan)
        });
        let shown = Memo::new(move |_| {
            let w = window.get();
            ctx.visible
                .with(|v| v.get(w.start..w.end).map(<[_]>::to_vec))
                .unwrap_or_default()
        });
        let rendered = Rendered {
            grid,
            geometry,
            frame,
            window,
            shown,
            ctx,
            generation,
            settled,
            settle,
        };
        Effect::new(move |_| {
            // A new list, window or layout: measure once the browser has laid it out.
            shown.track();
            layout.track();
            grid.track();
            request_animation_frame(move || rendered.measure());
        });
        let on_scroll = window_event_listener(leptos::ev::scroll, move |_| rendered.scrolled());
        let on_resize = window_event_listener(leptos::ev::resize, move |_| rendered.measure());
        on_cleanup(move || {
            on_scroll.remove();
            on_resize.remove();
        });
        rendered
    }

    /// The grid, if it is there and shown: these run from animation frames, which can come
    /// after the grid is gone, and a hidden list (nothing matches) measures as nothing at all,
    /// so it keeps what it had.
    fn shown_grid(self) -> Option<web_sys::HtmlUListElement> {
        self.grid
            .try_get_untracked()
            .flatten()
            .filter(|_| self.ctx.visible.try_with_untracked(Vec::is_empty) == Some(false))
    }

    /// Where the list is on screen (all a scroll changes).
    pub fn measure_frame(self) {
        if let Some(ul) = self.shown_grid() {
            set_if_changed(self.frame, frame_of(&ul));
        }
    }

    /// After a render or a resize: the grid's columns and row height too.
    fn measure(self) {
        if let Some(ul) = self.shown_grid() {
            if let Some(g) = geometry_of(&ul) {
                set_if_changed(self.geometry, g);
            }
            set_if_changed(self.frame, frame_of(&ul));
        }
    }

    /// A scroll renders the rows around the screen at once.
    fn scrolled(self) {
        self.settle.cancel();
        if let Some(now) = self.generation.try_get_untracked() {
            set_if_changed(self.settled, now);
        }
        self.measure_frame();
    }
}
