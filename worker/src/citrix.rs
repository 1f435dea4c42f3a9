//! Citrix Cloud as the worker sees it: discovery of a customer's Workspace, the one function
//! every upstream call goes through, the payloads (read leniently: upstream data is
//! untrusted), the catalogue and launches they become, and the browser's device id that
//! launches carry.

pub mod catalogue;
pub mod cloud;
pub mod device;
pub mod discovery;
pub mod launch;
pub mod sessions;
pub mod upstream;
pub mod web_app;
pub mod workspace;
