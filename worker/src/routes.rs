//! The handlers of the worker's routes: `/auth/*` (sign-in, callback, sign-out) and `/api/*`
//! (what the single-page app calls, the admin's secret actions among them).

pub mod admin;
pub mod api;
pub mod preferences;
pub mod sessions;
pub mod sign_in;
pub mod web_app;
