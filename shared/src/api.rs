//! The portal's own API between the worker and the single-page app.
//!
//! JSON, camelCase. The browser never sees a token, a Workspace URL or an upstream body: it names
//! resources by id and launches by an opaque handle.

use serde::{Deserialize, Serialize};

mod secret;
mod sessions;

pub use secret::*;
pub use sessions::*;

/// Header every state-changing request must carry (value `1`); see DESIGN.md, CSRF.
pub const CSRF_HEADER: &str = "X-Portal-Csrf";

/// The single-page app's catalogue page.
pub const CATALOGUE_PAGE: &str = "/";
/// The single-page app's admin page.
pub const ADMIN_PAGE: &str = "/admin";
/// Every page of the single-page app: the only places sign-in may return to.
pub const PAGES: [&str; 2] = [CATALOGUE_PAGE, ADMIN_PAGE];

/// `GET /api/session`: who is signed in. Anonymous callers get 401 instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The signed-in user.
    pub user: User,
    /// The Citrix customer domain the catalogue comes from.
    pub customer: String,
    /// When the session ends at the latest, in Unix seconds.
    pub expires_at: u64,
    /// Where to `POST` to sign out.
    pub logout_url: String,
    /// Whether the user may open the admin page.
    #[serde(default)]
    pub is_admin: bool,
    /// The user's settings, kept by the portal across sign-ins.
    #[serde(default)]
    pub preferences: Preferences,
}

/// A user's settings (`PUT /api/preferences` changes them and answers them), kept by the portal
/// per user, across sessions and devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preferences {
    /// How apps and desktops open.
    #[serde(default)]
    pub launch: LaunchPreference,
}

/// How a launch opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LaunchPreference {
    /// Download the `.ica` file: for Citrix Workspace app installed without its browser hand-off.
    IcaFile,
    /// Hand off to Citrix Workspace app (`receiver://`), the `.ica` file as the fallback. Also
    /// what a value this build does not know means.
    #[default]
    #[serde(other)]
    WorkspaceApp,
}

/// The signed-in user, from the ID token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Subject identifier.
    pub sub: String,
    /// Display name (falls back to the subject).
    pub name: String,
    /// E-mail address, where known.
    #[serde(default)]
    pub email: Option<String>,
}

/// `GET /api/resources`: the user's catalogue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalogue {
    /// Every published app and desktop, in the store's order.
    pub resources: Vec<CatalogueResource>,
    /// How many items the store sent that could not be shown (malformed, or without an id).
    #[serde(default)]
    pub skipped: u32,
}

/// Whether a resource is an app or a desktop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    /// A published application.
    App,
    /// A published desktop.
    Desktop,
}

/// One entry of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueResource {
    /// The resource's id; the only name the browser uses for it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description, where the store has one.
    #[serde(default)]
    pub description: Option<String>,
    /// App or desktop.
    pub kind: ResourceKind,
    /// Category folders from outermost to innermost, e.g. `["Office", "Tools"]`.
    #[serde(default)]
    pub category: Vec<String>,
    /// Same-origin icon URL (`/api/icons/...`), if the resource has an icon.
    #[serde(default)]
    pub icon_url: Option<String>,
    /// Whether the user marked it as a favourite.
    #[serde(default)]
    pub favorite: bool,
    /// Whether it can be launched from the portal (ICA).
    pub launchable: bool,
    /// Whether it is a web or SaaS app the portal opens in a new browser tab
    /// (`POST /api/resources/{id}/open`).
    #[serde(default)]
    pub opens_in_browser: bool,
}

impl CatalogueResource {
    /// Whether the portal can open it at all: launch it (ICA) or open it in a new tab (web).
    pub fn opens(&self) -> bool {
        self.launchable || self.opens_in_browser
    }
}

/// `POST /api/resources/{id}/open`: where a web or SaaS app is, to open in a new tab. Always an
/// `https:` URL the store gave for this resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebApp {
    /// The app's address.
    pub url: String,
}

/// `POST /auth/logout`: the portal's session is over; where the browser goes to end the identity
/// provider's session too, when the provider offers that (so the next sign-in asks for the
/// password again, as it should on a shared computer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedOut {
    /// The provider's end-session URL, to navigate to; it comes back to the portal.
    #[serde(default)]
    pub end_session_url: Option<String>,
}

/// `PUT|DELETE /api/resources/{id}/favorite`: the resource's favourite state after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FavoriteState {
    /// The resource's id.
    pub id: String,
    /// Whether it is a favourite now.
    pub favorite: bool,
}

/// `POST /api/resources/{id}/launch` and `POST /api/launches/{handle}/poll`: where a launch is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum LaunchStatus {
    /// The session is being prepared (e.g. a desktop powers on); poll again after the delay.
    Pending {
        /// Opaque handle to poll with; the worker keeps the upstream retry URL.
        handle: String,
        /// Seconds to wait before polling.
        retry_after_secs: u32,
    },
    /// Hand off to Citrix Workspace app by opening this URI.
    Ready {
        /// A `receiver://` URI carrying a one-time ticket.
        receiver_uri: String,
    },
    /// The launch failed.
    Failed {
        /// Machine-readable reason, e.g. `UnavailableDesktop`.
        code: String,
        /// What happened and what to do, for people.
        message: String,
        /// Whether restarting the desktop may help.
        suggest_restart: bool,
    },
}

/// Machine-readable error codes of [`ApiError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No session: sign in.
    Unauthenticated,
    /// The session ended (the refresh token is no longer accepted): sign in again.
    SessionExpired,
    /// The request lacked the CSRF header or came from another site.
    CsrfRejected,
    /// Signed in, but not allowed.
    Forbidden,
    /// No such resource, launch or route.
    NotFound,
    /// The request itself was malformed.
    BadRequest,
    /// The resource cannot be launched from the portal.
    NotLaunchable,
    /// The portal is misconfigured; an administrator must fix it.
    Misconfigured,
    /// Citrix Cloud could not be reached or failed.
    UpstreamUnavailable,
    /// Citrix Cloud answered something the portal could not understand.
    UpstreamMalformed,
    /// Anything else.
    Internal,
    /// The portal's Citrix Cloud OAuth client is disabled, deleted or its secret no longer
    /// works: nobody can sign in until an administrator fixes it.
    ClientUnusable,
    /// The action cannot be carried out in the current state (HTTP 409); the message says why.
    Conflict,
    /// A code this build does not know (from a newer worker).
    #[serde(other)]
    Unknown,
}

/// The one error body the worker sends the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    /// What kind of failure it is.
    pub code: ErrorCode,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// Whether trying again may succeed.
    pub retryable: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_default_and_forgive_values_from_a_newer_build() {
        let p: Preferences = serde_json::from_str("{}").unwrap();
        assert_eq!(p.launch, LaunchPreference::WorkspaceApp);
        let p: Preferences = serde_json::from_str(r#"{"launch":"icaFile"}"#).unwrap();
        assert_eq!(p.launch, LaunchPreference::IcaFile);
        let p: Preferences = serde_json::from_str(r#"{"launch":"somethingNew"}"#).unwrap();
        assert_eq!(p.launch, LaunchPreference::WorkspaceApp);
        assert_eq!(
            serde_json::to_string(&Preferences {
                launch: LaunchPreference::IcaFile
            })
            .unwrap(),
            r#"{"launch":"icaFile"}"#
        );
    }

    #[test]
    fn launch_status_is_tagged_by_state() {
        let pending = LaunchStatus::Pending {
            handle: "h".into(),
            retry_after_secs: 3,
        };
        assert_eq!(
            serde_json::to_string(&pending).unwrap(),
            r#"{"state":"pending","handle":"h","retryAfterSecs":3}"#
        );
        let ready: LaunchStatus =
            serde_json::from_str(r#"{"state":"ready","receiverUri":"receiver://x"}"#).unwrap();
        assert_eq!(
            ready,
            LaunchStatus::Ready {
                receiver_uri: "receiver://x".into()
            }
        );
    }

    #[test]
    fn unknown_error_codes_do_not_break_old_clients() {
        let e: ApiError =
            serde_json::from_str(r#"{"code":"brand_new","message":"m","retryable":false}"#)
                .unwrap();
        assert_eq!(e.code, ErrorCode::Unknown);
        let e: ApiError =
            serde_json::from_str(r#"{"code":"session_expired","message":"m","retryable":false}"#)
                .unwrap();
        assert_eq!(e.code, ErrorCode::SessionExpired);
    }
}
