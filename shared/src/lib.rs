//! The wire contract of Workspace Portal.
//!
//! - [`api`]: what the portal's worker (the backend-for-frontend) sends its single-page app.
//!   (What Citrix sends the worker is the worker's own business: `worker/src/citrix/workspace.rs`.)
//!
//! Plus [`time`]: the one way dates are shown (secret expiry), shared by every side.
//!
//! The crate depends on serde only, so both the WASM frontend and the Workers runtime can use it.

pub mod api;
pub mod time;
