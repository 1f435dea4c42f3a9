//! The emulator's own tests, one binary: its API over real HTTP (`api`), the admin portal's
//! client management (`admin`), the Citrix Cloud API (`cloud`), the binary on its own (`cli`),
//! and what makes it harsher than Citrix Cloud (`realism`). `common` holds their shared helpers.

mod admin;
mod api;
mod cli;
mod cloud;
mod common;
mod realism;
