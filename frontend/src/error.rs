//! The one client-side error type, and the one place HTTP answers become errors.

use portal_shared::api::{ApiError, ErrorCode};

/// Why a request to the worker did not give the app what it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// No session, or it ended: the user must sign in (again).
    SignInRequired {
        /// Whether a session existed and expired, as opposed to never having signed in.
        expired: bool,
    },
    /// The worker explained the failure.
    Api {
        /// HTTP status.
        status: u16,
        /// The worker's explanation.
        error: ApiError,
    },
    /// A failure status whose body was not an `ApiError` (a proxy's page, say).
    Http {
        /// HTTP status.
        status: u16,
    },
    /// A success whose body the app could not understand.
    Malformed,
    /// The request never got an answer: offline, DNS, connection reset.
    Network,
}

impl ClientError {
    /// Classifies a non-success answer from its status and body.
    pub fn from_response(status: u16, body: &str) -> Self {
        let api = serde_json::from_str::<ApiError>(body).ok();
        match (status, api) {
            (401, Some(e)) if e.code == ErrorCode::SessionExpired => {
                ClientError::SignInRequired { expired: true }
            }
            (401, Some(e)) if e.code == ErrorCode::Unauthenticated => {
                ClientError::SignInRequired { expired: false }
            }
            // A 401 without our body still means the worker does not know us.
            (401, None) => ClientError::SignInRequired { expired: false },
            (status, Some(error)) => ClientError::Api { status, error },
            (status, None) => ClientError::Http { status },
        }
    }

    /// Whether the right response is the sign-in screen rather than an error message.
    pub fn needs_sign_in(&self) -> bool {
        matches!(self, ClientError::SignInRequired { .. })
    }

    /// Whether the worker refused because the user may not do this at all (not an admin), as
    /// opposed to a rejected CSRF header.
    pub fn is_forbidden(&self) -> bool {
        match self {
            ClientError::Api { error, .. } => error.code == ErrorCode::Forbidden,
            ClientError::Http { status } => *status == 403,
            _ => false,
        }
    }

    /// The worker's reason when an action cannot be carried out in the current state (409).
    pub fn conflict(&self) -> Option<&str> {
        match self {
            ClientError::Api { error, .. } if error.code == ErrorCode::Conflict => {
                Some(error.message.trim()).filter(|m| !m.is_empty())
            }
            _ => None,
        }
    }

    /// What to tell people. Never raw JSON, never a stack trace.
    pub fn message(&self) -> String {
        match self {
            ClientError::SignInRequired { expired: true } => {
                "Your session has ended. Please sign in again.".into()
            }
            ClientError::SignInRequired { expired: false } => "Please sign in.".into(),
            ClientError::Api { error, .. } if !error.message.trim().is_empty() => {
                error.message.trim().to_owned()
            }
            ClientError::Api { error, status } => code_message(error.code, *status),
            ClientError::Http { status } => status_message(*status),
            ClientError::Malformed => {
                "The portal sent an answer this page could not understand. Try again; if it keeps happening, reload the page.".into()
            }
            ClientError::Network => {
                "The portal could not be reached. Check your connection and try again.".into()
            }
        }
    }
}

fn code_message(code: ErrorCode, status: u16) -> String {
    match code {
        ErrorCode::Forbidden | ErrorCode::CsrfRejected => {
            "You are not allowed to do that. Reload the page and try again.".into()
        }
        ErrorCode::NotFound => "That item is no longer available.".into(),
        ErrorCode::NotLaunchable => "This cannot be opened that way from the portal.".into(),
        ErrorCode::Misconfigured => {
            "The portal is not set up correctly. Please tell your administrator.".into()
        }
        ErrorCode::UpstreamUnavailable | ErrorCode::UpstreamMalformed => {
            "Citrix Cloud is not answering properly right now. Try again in a moment.".into()
        }
        _ => status_message(status),
    }
}

fn status_message(status: u16) -> String {
    match status {
        403 => "You are not allowed to do that. Reload the page and try again.".into(),
        404 => "That item is no longer available.".into(),
        408 | 429 => "The portal is busy. Try again in a moment.".into(),
        500..=599 => "The portal is having trouble right now. Try again in a moment.".into(),
        _ => format!("Something went wrong (error {status}). Try again."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthenticated_and_expired_mean_sign_in() {
        let e = ClientError::from_response(
            401,
            r#"{"code":"session_expired","message":"x","retryable":false}"#,
        );
        assert_eq!(e, ClientError::SignInRequired { expired: true });
        let e = ClientError::from_response(
            401,
            r#"{"code":"unauthenticated","message":"x","retryable":false}"#,
        );
        assert!(e.needs_sign_in());
        assert!(ClientError::from_response(401, "<html>").needs_sign_in());
    }

    #[test]
    fn api_errors_keep_the_workers_message() {
        let e = ClientError::from_response(
            502,
            r#"{"code":"upstream_unavailable","message":"Citrix Cloud is down.","retryable":true}"#,
        );
        assert_eq!(e.message(), "Citrix Cloud is down.");
        assert!(!e.needs_sign_in());
    }

    #[test]
    fn forbidden_and_conflict_are_told_apart() {
        let forbidden = ClientError::from_response(
            403,
            r#"{"code":"forbidden","message":"Admins only.","retryable":false}"#,
        );
        assert!(forbidden.is_forbidden());
        let csrf = ClientError::from_response(
            403,
            r#"{"code":"csrf_rejected","message":"x","retryable":false}"#,
        );
        assert!(!csrf.is_forbidden());
        assert!(ClientError::Http { status: 403 }.is_forbidden());
        let conflict = ClientError::from_response(
            409,
            r#"{"code":"conflict","message":" there is no old secret to expire ","retryable":false}"#,
        );
        assert_eq!(
            conflict.conflict(),
            Some("there is no old secret to expire")
        );
        assert_eq!(forbidden.conflict(), None);
        assert_eq!(ClientError::Http { status: 409 }.conflict(), None);
    }

    #[test]
    fn bodies_that_are_not_ours_become_human_messages() {
        let e = ClientError::from_response(503, "<html>Service Unavailable</html>");
        assert_eq!(e, ClientError::Http { status: 503 });
        assert!(!e.message().contains('<'));
        let e = ClientError::from_response(500, r#"{"unexpected":true}"#);
        assert!(!e.message().contains('{'));
        let empty = ClientError::from_response(
            403,
            r#"{"code":"csrf_rejected","message":" ","retryable":false}"#,
        );
        assert!(empty.message().contains("not allowed"));
    }
}
