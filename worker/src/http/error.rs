//! The worker's one error type, mapped to HTTP in exactly one place.
//!
//! Details meant for operators (upstream statuses, parse errors) go to the log; the browser gets
//! an [`ApiError`] with a message for people and never an upstream body, token or secret.

use portal_shared::api::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// What users are told when Citrix Cloud refuses the portal's OAuth client and the portal does
/// not know why.
pub const CLIENT_REFUSED: &str = "Sign-in is unavailable: Citrix Cloud refused the portal's Citrix client, which may be disabled or deleted. Tell your administrator.";

/// Everything that can go wrong while serving a request. Serializable so the session object can
/// hand it back to the worker unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortalError {
    /// No session cookie, or it names no live session.
    Unauthenticated,
    /// The session's refresh token is no longer accepted.
    SessionExpired,
    /// A state-changing request without the CSRF header, or from another site.
    CsrfRejected,
    /// Signed in but not allowed.
    Forbidden,
    /// No such route, resource or launch.
    NotFound(String),
    /// The request is malformed.
    BadRequest(String),
    /// The resource cannot be opened the way asked (a web app launched, a desktop opened as a
    /// web app, a web app at an address the portal cannot vouch for): why, for people.
    NotLaunchable(String),
    /// A setting is missing or malformed.
    Misconfigured(String),
    /// Citrix Cloud failed or could not be reached; `detail` is logged only.
    Upstream {
        /// Which call failed, for people.
        what: String,
        /// What happened, for the log.
        detail: String,
    },
    /// Citrix Cloud answered something we cannot use; `detail` is logged only.
    UpstreamMalformed {
        /// Which call failed, for people.
        what: String,
        /// What was wrong, for the log.
        detail: String,
    },
    /// Citrix Cloud refuses the portal's OAuth client (disabled, deleted, or no secret works).
    ClientUnusable {
        /// What users are told.
        message: String,
        /// What is known, for the log.
        detail: String,
    },
    /// An action that cannot be carried out now (an admin's, or one on a session the store no
    /// longer offers it for), and why.
    Conflict(String),
    /// A bug or a runtime failure; `detail` is logged only.
    Internal(String),
}

impl PortalError {
    /// The HTTP status and body the browser gets.
    pub fn to_api(&self) -> (u16, ApiError) {
        let (status, code, message, retryable) = match self {
            PortalError::Unauthenticated => (401, ErrorCode::Unauthenticated, "You are not signed in.".to_owned(), false),
            PortalError::SessionExpired => (401, ErrorCode::SessionExpired, "Your session has ended. Sign in again to continue.".to_owned(), false),
            PortalError::CsrfRejected => (403, ErrorCode::CsrfRejected, "This request was refused because it did not come from the portal itself. Reload the page and try again.".to_owned(), false),
            PortalError::Forbidden => (403, ErrorCode::Forbidden, "You are not allowed to do this.".to_owned(), false),
            PortalError::NotFound(what) => (404, ErrorCode::NotFound, format!("{what} was not found."), false),
            PortalError::BadRequest(why) => (400, ErrorCode::BadRequest, why.clone(), false),
            PortalError::NotLaunchable(why) => (409, ErrorCode::NotLaunchable, why.clone(), false),
            PortalError::Misconfigured(why) => (500, ErrorCode::Misconfigured, format!("{why} An administrator needs to fix this."), false),
            PortalError::Upstream { what, .. } => (502, ErrorCode::UpstreamUnavailable, format!("Citrix Cloud did not answer while {what}. Try again in a moment."), true),
            PortalError::UpstreamMalformed { what, .. } => (502, ErrorCode::UpstreamMalformed, format!("Citrix Cloud sent an answer the portal could not understand while {what}. Try again; if it keeps happening, tell your administrator."), true),
            PortalError::ClientUnusable { message, .. } => (503, ErrorCode::ClientUnusable, message.clone(), false),
            PortalError::Conflict(why) => (409, ErrorCode::Conflict, why.clone(), false),
            PortalError::Internal(_) => (500, ErrorCode::Internal, "Something went wrong in the portal. Try again.".to_owned(), true),
        };
        (
            status,
            ApiError {
                code,
                message,
                retryable,
            },
        )
    }

    /// A line for the log, with the detail the browser does not get.
    pub fn log_line(&self) -> String {
        match self {
            PortalError::Upstream { what, detail } => {
                format!("upstream failure while {what}: {detail}")
            }
            PortalError::UpstreamMalformed { what, detail } => {
                format!("malformed upstream answer while {what}: {detail}")
            }
            PortalError::Internal(detail) => format!("internal error: {detail}"),
            PortalError::ClientUnusable { detail, .. } => {
                format!("Citrix Cloud refuses the portal's OAuth client: {detail}")
            }
            PortalError::Misconfigured(why) => format!("configuration: {why}"),
            other => format!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_detail_never_reaches_the_browser() {
        let e = PortalError::Upstream {
            what: "listing your apps".into(),
            detail: "token=abc secret body".into(),
        };
        let (status, body) = e.to_api();
        assert_eq!(status, 502);
        assert!(body.retryable);
        assert!(!body.message.contains("abc"));
        assert!(e.log_line().contains("token=abc"));
    }

    #[test]
    fn session_errors_are_401() {
        assert_eq!(PortalError::SessionExpired.to_api().0, 401);
        assert_eq!(
            PortalError::SessionExpired.to_api().1.code,
            ErrorCode::SessionExpired
        );
        assert_eq!(PortalError::Unauthenticated.to_api().0, 401);
        assert_eq!(PortalError::CsrfRejected.to_api().0, 403);
    }

    #[test]
    fn an_unusable_client_is_told_to_users_without_the_detail() {
        let e = PortalError::ClientUnusable {
            message: CLIENT_REFUSED.into(),
            detail: "every secret was refused (invalid_client)".into(),
        };
        let (status, body) = e.to_api();
        assert_eq!((status, body.code), (503, ErrorCode::ClientUnusable));
        assert!(body.message.contains("disabled or deleted"));
        assert!(body.message.contains("administrator"));
        assert!(!body.message.contains("invalid_client"));
        assert!(e.log_line().contains("invalid_client"));
        let (status, body) = PortalError::Conflict("there is no old secret".into()).to_api();
        assert_eq!((status, body.code), (409, ErrorCode::Conflict));
    }
}
