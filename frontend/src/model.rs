//! The app's state and decisions, in plain Rust: no DOM, no network, tested natively.
//!
//! The view only renders these types and forwards events to them.

pub mod admin;
pub mod catalogue;
pub mod grid_nav;
pub mod launch;
pub mod notices;
pub mod paths;
pub mod place;
pub mod recents;
pub mod route;
pub mod running;
pub mod search;
pub mod viewport;

pub use catalogue::{CatalogueModel, Empty, FavoriteOutcome, Folder, SearchEnter};
pub use launch::{Launch, LaunchPhase, Launches, Next};
pub use notices::{Notice, Notices, Retry};
pub use place::{Layout, Place, Sort, View};
pub use recents::Recents;
pub use route::Route;
pub use viewport::{Frame, Geometry, Window};
