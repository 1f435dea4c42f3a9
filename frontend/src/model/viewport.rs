//! Which cards to render: the rows on screen and a couple either side, so what a keystroke or a
//! scroll costs does not grow with the catalogue. Plain arithmetic on sizes the view measures.

/// Rows rendered beyond each edge of the screen once the list is settled, so a short scroll
/// finds its cards already there. While the list changes under typing, the screen alone is
/// rendered (`Window::of` with 0): half the cards to update per keystroke.
pub const OVERSCAN_ROWS: usize = 2;

/// The card grid's measured layout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Cards per row (1 for the list layout).
    pub columns: usize,
    /// From the top of one row to the top of the next, in CSS pixels (a card and the row gap).
    pub row_height: f64,
}

impl Geometry {
    /// The same layout with nonsense measurements (zero, negative, NaN) replaced by safe values:
    /// a hidden tab or a page mid-layout measures nothing useful.
    fn sane(self) -> Geometry {
        Geometry {
            columns: self.columns.max(1),
            row_height: if self.row_height.is_finite() && self.row_height >= 1.0 {
                self.row_height
            } else {
                1.0
            },
        }
    }

    /// How many rows `len` cards take.
    pub fn rows(self, len: usize) -> usize {
        len.div_ceil(self.sane().columns)
    }
}

/// Where the list is on screen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// The list's top edge relative to the top of the viewport: negative once scrolled past.
    pub list_top: f64,
    /// The viewport's height.
    pub viewport_height: f64,
}

impl Frame {
    fn sane(self) -> Frame {
        let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
        Frame {
            list_top: finite(self.list_top),
            viewport_height: finite(self.viewport_height).max(0.0),
        }
    }
}

/// The cards to render, `start..end` of the list, and how many rows stand in as empty space
/// above and below them so the scrollbar is the size of the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    /// First card rendered.
    pub start: usize,
    /// One past the last card rendered.
    pub end: usize,
    /// Rows left out above the first card.
    pub rows_above: usize,
    /// Rows left out below the last card.
    pub rows_below: usize,
}

impl Window {
    /// The cards of a `len`-card list on screen, and `overscan` rows beyond each edge of it.
    pub fn of(len: usize, geometry: Geometry, frame: Frame, overscan: usize) -> Window {
        let g = geometry.sane();
        let f = frame.sane();
        let rows = g.rows(len);
        // Rows overlapping the screen: from the one at its top edge to the one at its bottom.
        let first_seen = ((-f.list_top).max(0.0) / g.row_height).floor() as usize;
        let past_seen = ((f.viewport_height - f.list_top).max(0.0) / g.row_height).ceil() as usize;
        let first = first_seen.saturating_sub(overscan).min(rows);
        let past = past_seen.saturating_add(overscan).clamp(first, rows);
        Window {
            start: (first * g.columns).min(len),
            end: (past * g.columns).min(len),
            rows_above: first,
            rows_below: rows - past,
        }
    }

    /// Whether card `index` is rendered.
    pub fn contains(self, index: usize) -> bool {
        (self.start..self.end).contains(&index)
    }

    /// The empty space, in CSS pixels, standing in for the rows above and below.
    pub fn padding(self, geometry: Geometry) -> (f64, f64) {
        let h = geometry.sane().row_height;
        (self.rows_above as f64 * h, self.rows_below as f64 * h)
    }
}

/// How far to scroll (CSS pixels, positive is down) to bring card `index` wholly on screen,
/// the least distance that does; 0 when it already is.
pub fn scroll_to_show(index: usize, geometry: Geometry, frame: Frame) -> f64 {
    let g = geometry.sane();
    let f = frame.sane();
    let top = f.list_top + (index / g.columns) as f64 * g.row_height;
    let bottom = top + g.row_height;
    if top < 0.0 {
        top
    } else if bottom > f.viewport_height {
        // A row taller than the screen shows its top.
        (bottom - f.viewport_height).min(top)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRID: Geometry = Geometry {
        columns: 4,
        row_height: 200.0,
    };

    fn at(list_top: f64) -> Frame {
        Frame {
            list_top,
            viewport_height: 800.0,
        }
    }

    #[test]
    fn at_the_top_renders_the_screen_and_the_overscan_below() {
        // The list starts 300 px down an 800 px screen: rows 0..3 are on screen (row 2 in part).
        let w = Window::of(5000, GRID, at(300.0), OVERSCAN_ROWS);
        assert_eq!((w.start, w.end), (0, 5 * 4));
        assert_eq!((w.rows_above, w.rows_below), (0, 1250 - 5));
    }

    #[test]
    fn scrolled_down_renders_the_rows_on_screen_plus_overscan_either_side() {
        // Scrolled 10,050 px past the list's top: rows 50..55 are on screen.
        let w = Window::of(5000, GRID, at(-10_050.0), OVERSCAN_ROWS);
        assert_eq!(w.rows_above, 50 - OVERSCAN_ROWS);
        assert_eq!(w.start, (50 - OVERSCAN_ROWS) * 4);
        assert_eq!(w.end, (55 + OVERSCAN_ROWS) * 4);
        let (above, below) = w.padding(GRID);
        assert_eq!(above, 48.0 * 200.0);
        assert_eq!(below, (1250 - 57) as f64 * 200.0);
    }

    #[test]
    fn without_overscan_only_the_rows_on_screen() {
        // Rows 50..55 are on screen, as above.
        let w = Window::of(5000, GRID, at(-10_050.0), 0);
        assert_eq!((w.start, w.end), (50 * 4, 55 * 4));
        assert_eq!((w.rows_above, w.rows_below), (50, 1250 - 55));
        assert_eq!(
            Window::of(5000, GRID, at(-10_050.0), OVERSCAN_ROWS).end - w.end,
            2 * 4
        );
    }

    #[test]
    fn what_it_renders_does_not_grow_with_the_list() {
        let small = Window::of(200, GRID, at(-2_000.0), OVERSCAN_ROWS);
        let large = Window::of(50_000, GRID, at(-2_000.0), OVERSCAN_ROWS);
        assert_eq!(small.end - small.start, large.end - large.start);
    }

    #[test]
    fn a_short_last_row_and_the_end_of_the_list() {
        // 10 cards, 4 per row: rows of 4, 4, 2; scrolled to the very end.
        let w = Window::of(10, GRID, at(-400.0), OVERSCAN_ROWS);
        assert_eq!((w.start, w.end, w.rows_below), (0, 10, 0));
        // Scrolled far beyond the end (the list shrank under the scroll position): nothing is
        // rendered and the spacers keep the list its full height until the scroll follows.
        let gone = Window::of(10, GRID, at(-100_000.0), OVERSCAN_ROWS);
        assert_eq!((gone.start, gone.end), (10, 10));
        assert_eq!(gone.rows_above + gone.rows_below, 3);
    }

    #[test]
    fn an_empty_list_renders_nothing() {
        assert_eq!(
            Window::of(0, GRID, at(0.0), OVERSCAN_ROWS),
            Window::default()
        );
    }

    #[test]
    fn nonsense_measurements_still_give_a_window() {
        let broken = Geometry {
            columns: 0,
            row_height: f64::NAN,
        };
        let w = Window::of(
            100,
            broken,
            Frame {
                list_top: f64::NAN,
                viewport_height: -5.0,
            },
            OVERSCAN_ROWS,
        );
        // One column of 1 px rows on a screen of no height: the overscan rows only.
        assert_eq!((w.start, w.end), (0, OVERSCAN_ROWS));
        assert!(w.contains(0) && !w.contains(OVERSCAN_ROWS));
    }

    #[test]
    fn scrolling_brings_a_card_on_screen_by_the_least_distance() {
        let f = at(-1_000.0);
        // Row 5 spans 0..200 on screen: already visible.
        assert_eq!(scroll_to_show(20, GRID, f), 0.0);
        // Row 4 is just above: scroll up by its height.
        assert_eq!(scroll_to_show(19, GRID, f), -200.0);
        // Row 9 spans 800..1000: scroll down until its bottom meets the screen's.
        assert_eq!(scroll_to_show(36, GRID, f), 200.0);
        // The last card of 5,000, far below.
        assert_eq!(
            scroll_to_show(4999, GRID, f),
            -1000.0 + 1250.0 * 200.0 - 800.0
        );
        // A row taller than the screen shows its top.
        let tall = Geometry {
            columns: 1,
            row_height: 1_000.0,
        };
        assert_eq!(scroll_to_show(3, tall, at(0.0)), 3_000.0);
    }
}
