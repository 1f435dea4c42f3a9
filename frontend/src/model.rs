//! The app's state and decisions, in plain Rust: no DOM, no network, tested natively.
//!
//! The view only renders these types and forwards events to them.

pub mod catalogue;
pub mod launch;
pub mod paths;
pub mod search;

pub use catalogue::{CatalogueModel, View};
pub use launch::{Launch, LaunchPhase, Launches, Next};
