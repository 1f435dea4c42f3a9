//! The wire contract of Workspace Portal.
//!
//! Two families of types live here and nowhere else:
//! - [`workspace`]: what the Citrix Workspace API sends us. The API has changed shape several
//!   times (see `reference/workspace-api.md` §7), so every type is tolerant: unknown fields are
//!   ignored, and fields that some API generations omit are optional.
//! - [`api`]: what the portal's worker (the backend-for-frontend) sends its single-page app.
//!
//! Plus [`time`]: the one way dates are shown (secret expiry), shared by every side.
//!
//! The crate depends on serde only, so both the WASM frontend and the Workers runtime can use it.

pub mod api;
pub mod time;
pub mod workspace;
