//! Launch answers, normalised.
//!
//! The seed documents say the launch-status URL answers 202 (retry required) or 201 (ticket
//! created); the public samples see 200 with a `status` field. Both become one [`Step`].

use crate::citrix::workspace::LaunchAnswer;

/// Bounds on the delay the store asks for, so a bad answer neither spins nor stalls a launch.
const MIN_POLL_SECS: u32 = 1;
const MAX_POLL_SECS: u32 = 60;
const DEFAULT_POLL_SECS: u32 = 5;

/// What to do next with a launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Poll `retry_url` (or the original URL again, when the store gives none) after the delay.
    Retry {
        /// Where to poll; checked against the customer's origin before use.
        retry_url: Option<String>,
        /// Seconds to wait.
        after_secs: u32,
    },
    /// Hand off to Citrix Workspace app.
    Ready {
        /// The `receiver://` URI.
        receiver_uri: String,
    },
    /// The launch failed.
    Failed {
        /// The store's error id, or our own code.
        code: String,
        /// Why, and what to do.
        message: String,
        /// Whether restarting the desktop may help.
        suggest_restart: bool,
    },
}

/// Interprets an answer of the launch-status URL. `Err` means the answer made no sense.
pub fn normalise(status: u16, answer: &LaunchAnswer) -> Result<Step, String> {
    let retry = || Step::Retry {
        retry_url: answer.retry_url.clone(),
        after_secs: answer
            .poll_timeout
            .unwrap_or(DEFAULT_POLL_SECS)
            .clamp(MIN_POLL_SECS, MAX_POLL_SECS),
    };
    let ready = || match answer.receiver_uri.as_deref() {
        Some(uri) if is_receiver_uri(uri) => Ok(Step::Ready {
            receiver_uri: uri.to_owned(),
        }),
        Some(_) => Err("the launch answer's receiverUri is not a receiver:// URI".to_string()),
        None => Err("the launch answer has no receiverUri".to_string()),
    };
    match (
        status,
        answer
            .status
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
    ) {
        (202, _) | (200, Some("retry")) => Ok(retry()),
        (201, _) | (200, Some("success")) => ready(),
        (200, Some("failure" | "failed" | "error")) => Ok(failed(
            answer.error_id.as_deref(),
            answer.suggest_restart.unwrap_or(false),
        )),
        (200, other) => Err(format!("the launch answer has an unknown status {other:?}")),
        (s, _) => Err(format!(
            "the launch answer has an unexpected HTTP status {s}"
        )),
    }
}

/// A failed launch with a message people can act on.
pub fn failed(error_id: Option<&str>, suggest_restart: bool) -> Step {
    // A blank id is no id: the answer still gets a code.
    let code = error_id
        .filter(|id| !id.trim().is_empty())
        .unwrap_or("LaunchFailed");
    let message = match code {
        "UnavailableDesktop" => {
            "No desktop is available for you right now. Try again in a few minutes; if it keeps happening, contact your administrator."
        }
        "WorkstationInMaintenance" => {
            "This desktop is in maintenance. Try again later or contact your administrator."
        }
        "CouldNotConnectToWorkstation" => {
            "Citrix could not reach this desktop. Try again; if it keeps happening, restart it or contact your administrator."
        }
        "NoMoreActiveSessions" => {
            "You have reached the limit of open sessions. Close one and try again."
        }
        "NotLicensed" => "No Citrix licence is available right now. Contact your administrator.",
        "AppRemoved" => "This app is no longer published to you. Refresh the catalogue.",
        _ => {
            "Citrix could not start this app or desktop. Try again; if it keeps happening, contact your administrator."
        }
    };
    Step::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
        suggest_restart,
    }
}

/// Only Citrix Workspace app's scheme may reach the browser as a hand-off target.
fn is_receiver_uri(uri: &str) -> bool {
    const SCHEME: &str = "receiver://";
    // `get`, not slicing: upstream text may put a multi-byte character across the boundary.
    uri.len() > SCHEME.len()
        && uri
            .get(..SCHEME.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME))
        && !uri.chars().any(|c| c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> LaunchAnswer {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_receiver_uri_with_non_ascii_text_is_judged_not_sliced() {
        for (uri, ok) in [
            ("receiver:/é/x", false),
            ("receiveréé://x", false),
            ("récéiver://x", false),
            ("RECEIVER://acme.cloud.com/é?ticket=1", true),
        ] {
            assert_eq!(is_receiver_uri(uri), ok, "{uri}");
        }
    }

    #[test]
    fn seed_form_202_then_201() {
        let a = answer(r#"{"retryUrl":"https://acme/r/1","retryKey":"1","pollTimeout":3}"#);
        assert_eq!(
            normalise(202, &a).unwrap(),
            Step::Retry {
                retry_url: Some("https://acme/r/1".into()),
                after_secs: 3
            }
        );
        let a = answer(r#"{"receiverUri":"receiver://acme/x?ticket=T"}"#);
        assert_eq!(
            normalise(201, &a).unwrap(),
            Step::Ready {
                receiver_uri: "receiver://acme/x?ticket=T".into()
            }
        );
    }

    #[test]
    fn samples_form_200_with_status() {
        let a = answer(r#"{"status":"retry","pollTimeout":0}"#);
        assert_eq!(
            normalise(200, &a).unwrap(),
            Step::Retry {
                retry_url: None,
                after_secs: 1
            }
        );
        let a = answer(r#"{"status":"success","receiverUri":"receiver://a/b"}"#);
        assert!(matches!(normalise(200, &a).unwrap(), Step::Ready { .. }));
        let a =
            answer(r#"{"status":"failure","errorId":"UnavailableDesktop","suggestRestart":true}"#);
        match normalise(200, &a).unwrap() {
            Step::Failed {
                code,
                message,
                suggest_restart,
            } => {
                assert_eq!(code, "UnavailableDesktop");
                assert!(message.contains("No desktop"));
                assert!(suggest_restart);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_blank_error_id_gets_our_own_code() {
        // Found by `fuzz::a_launch_answer_is_normalised_safely` (PROPTEST_CASES=10000).
        for blank in ["", " "] {
            let a = LaunchAnswer {
                status: Some("failure".into()),
                error_id: Some(blank.into()),
                ..LaunchAnswer::default()
            };
            match normalise(200, &a).unwrap() {
                Step::Failed { code, message, .. } => {
                    assert_eq!(code, "LaunchFailed");
                    assert!(message.contains("could not start"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn poll_delay_is_bounded() {
        let a = answer(r#"{"pollTimeout":86400}"#);
        assert_eq!(
            normalise(202, &a).unwrap(),
            Step::Retry {
                retry_url: None,
                after_secs: 60
            }
        );
        assert_eq!(
            normalise(202, &answer("{}")).unwrap(),
            Step::Retry {
                retry_url: None,
                after_secs: 5
            }
        );
    }

    #[test]
    fn nonsense_is_an_error_not_a_hand_off() {
        assert!(normalise(201, &answer("{}")).is_err());
        assert!(normalise(201, &answer(r#"{"receiverUri":"javascript:alert(1)"}"#)).is_err());
        assert!(normalise(201, &answer(r#"{"receiverUri":"https://evil.com"}"#)).is_err());
        assert!(normalise(200, &answer(r#"{"status":"maybe"}"#)).is_err());
        assert!(normalise(500, &answer("{}")).is_err());
    }
}
