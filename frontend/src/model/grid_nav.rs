//! Arrow-key movement between the cards of the catalogue, as a pure function of the layout.

/// A key that moves focus between cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// Previous card.
    Left,
    /// Next card.
    Right,
    /// Same column, row above.
    Up,
    /// Same column, row below.
    Down,
    /// First card.
    First,
    /// Last card.
    Last,
}

impl Move {
    /// The move for a `KeyboardEvent.key`, if it is one.
    pub fn from_key(key: &str) -> Option<Move> {
        Some(match key {
            "ArrowLeft" => Move::Left,
            "ArrowRight" => Move::Right,
            "ArrowUp" => Move::Up,
            "ArrowDown" => Move::Down,
            "Home" => Move::First,
            "End" => Move::Last,
            _ => return None,
        })
    }
}

/// The index focus moves to from `current` among `len` cards laid out `columns` per row. Moves
/// stop at the edges rather than wrap, as in a data grid; a list is one column.
pub fn target(current: usize, len: usize, columns: usize, m: Move) -> usize {
    if len == 0 {
        return 0;
    }
    let columns = columns.max(1);
    let current = current.min(len - 1);
    let last = len - 1;
    match m {
        Move::Left => current.saturating_sub(1),
        Move::Right => (current + 1).min(last),
        Move::Up => current.checked_sub(columns).unwrap_or(current),
        Move::Down => {
            if current + columns <= last {
                current + columns
            } else if current / columns < last / columns {
                // The last row is short: go to its last card rather than nowhere.
                last
            } else {
                current
            }
        }
        Move::First => 0,
        Move::Last => last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(Move::from_key("ArrowDown"), Some(Move::Down));
        assert_eq!(Move::from_key("End"), Some(Move::Last));
        assert_eq!(Move::from_key("a"), None);
    }

    #[test]
    fn moves_in_a_grid_of_four_columns() {
        // 10 cards: rows [0..4], [4..8], [8, 9].
        assert_eq!(target(5, 10, 4, Move::Left), 4);
        assert_eq!(target(5, 10, 4, Move::Right), 6);
        assert_eq!(target(5, 10, 4, Move::Up), 1);
        assert_eq!(target(1, 10, 4, Move::Up), 1);
        assert_eq!(target(5, 10, 4, Move::Down), 9);
        assert_eq!(target(7, 10, 4, Move::Down), 9);
        assert_eq!(target(9, 10, 4, Move::Down), 9);
        assert_eq!(target(0, 10, 4, Move::Left), 0);
        assert_eq!(target(9, 10, 4, Move::Right), 9);
        assert_eq!(target(5, 10, 4, Move::First), 0);
        assert_eq!(target(5, 10, 4, Move::Last), 9);
    }

    #[test]
    fn a_list_is_one_column_and_nothing_panics() {
        assert_eq!(target(3, 10, 1, Move::Down), 4);
        assert_eq!(target(3, 10, 0, Move::Up), 2);
        assert_eq!(target(0, 0, 4, Move::Down), 0);
        assert_eq!(target(50, 10, 4, Move::Left), 8);
    }
}
