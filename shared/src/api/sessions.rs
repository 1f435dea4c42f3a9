//! Running sessions (Workspace Control): what the worker says about the user's HDX sessions and
//! what its actions did. Facts only; the single-page app puts them into words.

use serde::{Deserialize, Serialize};

/// `GET /api/sessions`: the user's running sessions, on this device and others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningSessions {
    /// Every session the store listed that the portal can name, in the store's order.
    pub sessions: Vec<RunningSession>,
    /// How many listed sessions could not be shown (malformed, or without an id).
    #[serde(default)]
    pub skipped: u32,
    /// Whether the store offers disconnecting all sessions at once.
    #[serde(default)]
    pub can_disconnect_all: bool,
    /// Whether the store offers logging off all sessions at once.
    #[serde(default)]
    pub can_log_off_all: bool,
}

/// Whether a session has a device attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    /// Running and connected to a device.
    Active,
    /// Running with no device attached; reconnecting picks it up where it was left.
    Disconnected,
    /// The store said something else, or nothing.
    Unknown,
}

/// One running session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningSession {
    /// The session's id: the only name the browser uses for it.
    pub id: String,
    /// The catalogue resource running in it, when the store says.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// The store's name for what runs in it, when it sends one.
    #[serde(default)]
    pub name: Option<String>,
    /// Active or disconnected.
    pub state: SessionState,
    /// The device it runs on (its `clientName` or `deviceId`), when known.
    #[serde(default)]
    pub device: Option<String>,
    /// Whether that device is this browser.
    #[serde(default)]
    pub this_device: bool,
    /// When it started, Unix seconds, when known.
    #[serde(default)]
    pub started_at: Option<u64>,
    /// Whether the store offers disconnecting it.
    #[serde(default)]
    pub can_disconnect: bool,
    /// Whether the store offers logging it off.
    #[serde(default)]
    pub can_log_off: bool,
}

/// What a session action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionAction {
    /// Detach the device; the session keeps running.
    Disconnect,
    /// End the session; unsaved work in it is lost.
    LogOff,
}

/// The answer to `POST /api/sessions/{id}/{disconnect|logoff}` and
/// `POST /api/sessions/{disconnect|logoff}`: what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionsChanged {
    /// The action carried out.
    pub action: SessionAction,
    /// The session it was carried out on; `None` for all of the user's sessions.
    #[serde(default)]
    pub id: Option<String>,
}
