//! The portal's own API between the worker and the single-page app.
//!
//! JSON, camelCase. The browser never sees a token, a Workspace URL or an upstream body: it names
//! resources by id and launches by an opaque handle.

use serde::{Deserialize, Serialize};

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
    /// Whether it can be launched from the portal (ICA); web and SaaS apps cannot.
    pub launchable: bool,
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

/// `GET /api/admin/secret`, and the answer of `POST /api/admin/secret/rotate` and
/// `POST /api/admin/secret/expire-old`: where the rotation of the portal's client secret stands.
/// Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    /// The client's `name` in Citrix Cloud, once read.
    pub client_name: Option<String>,
    /// Its display name.
    pub display_name: Option<String>,
    /// Whether it is enabled, once read.
    pub enabled: Option<bool>,
    /// `false` when the client is missing, disabled, public, or the portal's secret is unlisted.
    pub usable: bool,
    /// Whether the Citrix Cloud API settings are present.
    pub rotation_configured: bool,
    /// Where the rotation stands.
    pub phase: SecretPhase,
    /// When the current secret expires, Unix seconds, once known.
    pub current_expires_at: Option<u64>,
    /// Days left, partial days rounded up.
    pub current_days_left: Option<u64>,
    /// When the old secret expires, while there is one.
    pub old_expires_at: Option<u64>,
    /// Days left, partial days rounded up.
    pub old_days_left: Option<u64>,
    /// Successful token calls with the current secret.
    pub successes_with_current: u32,
    /// When the portal last rotated the secret.
    pub last_rotation_at: Option<u64>,
    /// When Citrix Cloud issued the current secret (`secret_update_time`), once known.
    pub current_issued_at: Option<u64>,
    /// When the client was last read from Citrix Cloud.
    pub last_observed_at: Option<u64>,
    /// The last run.
    pub last_run: Option<RunStatus>,
    /// What happens next.
    pub next_action: NextAction,
    /// The same, for people.
    pub next_action_text: String,
    /// Whether "rotate now" may be used, and if not why.
    pub rotate_now: ActionAvailability,
    /// Whether "expire old secret now" may be used, and if not why.
    pub expire_old_now: ActionAvailability,
    /// A message for every admin page, when something needs attention.
    pub banner: Option<Banner>,
}

/// Where the rotation of the client secret stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretPhase {
    /// One secret; waiting for its expiry to come near.
    Idle,
    /// A new secret is current and the old one still works until it is expired.
    Overlap,
}

/// What the rotation does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum NextAction {
    /// The Citrix Cloud API settings are absent.
    NotConfigured,
    /// The client has not been read from Citrix Cloud yet.
    FirstRead,
    /// Rotate in `days` days.
    RotateIn {
        /// Days, rounded up.
        days: u64,
    },
    /// Rotate at the next run.
    RotateAtNextRun,
    /// Expire the old secret after `successes` more successful token calls.
    ExpireOldAfter {
        /// How many more.
        successes: u32,
        /// When fewer will do (the grace period's end), if that is still ahead.
        sooner_after: Option<u64>,
    },
    /// Expire the old secret at the next run.
    ExpireOldAtNextRun,
    /// Waiting for Citrix Cloud's old secret to go, to know which secret is the portal's.
    WaitForOldSecret {
        /// When it expires.
        old_expires_at: Option<u64>,
    },
    /// Someone must fix the client in Citrix Cloud.
    ClientUnusable,
    /// Nothing to do.
    Nothing,
}

/// Whether an admin action may be used now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionAvailability {
    /// Whether.
    pub allowed: bool,
    /// If not, why.
    pub reason: Option<String>,
}

/// A banner for admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Banner {
    /// How serious.
    pub level: BannerLevel,
    /// The message.
    pub text: String,
}

/// How serious a [`Banner`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BannerLevel {
    /// Something needs attention soon.
    Warning,
    /// Sign-in fails, or will, until someone acts.
    Error,
}

/// What a rotation run was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretCommand {
    /// One step of the machine: the daily cron trigger.
    Step,
    /// An admin's "rotate now", whatever the expiry.
    RotateNow,
    /// An admin's "expire old secret now".
    ExpireOldNow,
}

/// The last rotation run, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStatus {
    /// What it was asked to do.
    pub command: SecretCommand,
    /// When it started, Unix seconds.
    pub started_at: u64,
    /// When it ended, if it did.
    pub finished_at: Option<u64>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// What it did, or the error.
    pub message: String,
}

/// How a rotation run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunOutcome {
    /// Still running.
    Running,
    /// Started long ago and never finished.
    Interrupted,
    /// Finished.
    Ok,
    /// Failed; the message says where and why.
    Failed,
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn secret_status_round_trips_in_camel_case() {
        let status = SecretStatus {
            client_name: Some("acme-private-1".into()),
            display_name: None,
            enabled: Some(true),
            usable: true,
            rotation_configured: true,
            phase: SecretPhase::Overlap,
            current_expires_at: Some(100),
            current_days_left: Some(1),
            old_expires_at: None,
            old_days_left: None,
            successes_with_current: 2,
            last_rotation_at: Some(50),
            current_issued_at: None,
            last_observed_at: Some(60),
            last_run: Some(RunStatus {
                command: SecretCommand::RotateNow,
                started_at: 50,
                finished_at: Some(51),
                outcome: RunOutcome::Ok,
                message: "m".into(),
            }),
            next_action: NextAction::ExpireOldAfter {
                successes: 1,
                sooner_after: Some(90),
            },
            next_action_text: "t".into(),
            rotate_now: ActionAvailability {
                allowed: true,
                reason: None,
            },
            expire_old_now: ActionAvailability {
                allowed: false,
                reason: Some("r".into()),
            },
            banner: Some(Banner {
                level: BannerLevel::Warning,
                text: "b".into(),
            }),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["phase"], "overlap");
        assert_eq!(json["lastRun"]["command"], "rotateNow");
        assert_eq!(json["lastRun"]["outcome"], "ok");
        assert_eq!(json["nextAction"]["kind"], "expireOldAfter");
        assert_eq!(json["nextAction"]["soonerAfter"], 90);
        assert_eq!(json["banner"]["level"], "warning");
        assert_eq!(json["expireOldNow"]["reason"], "r");
        let back: SecretStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, status);
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
