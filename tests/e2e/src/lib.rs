//! End-to-end harness: the real processes (emulator, `wrangler dev`, headless Chromium) on free
//! loopback ports, and a small Chrome DevTools Protocol client to drive the browser.

pub mod axe;
pub mod cdp;
pub mod grid;
pub mod signin;
pub mod stack;
pub mod suite;
pub mod visitor;

/// Errors of the harness, as text: a failed journey prints them.
pub type Result<T> = std::result::Result<T, String>;
