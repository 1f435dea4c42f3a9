//! Launch progress per resource: a small state machine the view renders and an async driver feeds.
//!
//! Each launch gets a fresh token. Answers carry the token they were started with, so a cancelled
//! or restarted launch ignores answers that arrive late, and launches of different resources never
//! touch each other.

use std::collections::HashMap;

use portal_shared::api::{LaunchStatus, WebApp};

use crate::error::ClientError;

/// Polls after which the app gives up on a launch that stays pending.
pub const MAX_POLLS: u32 = 60;
/// Longest wait between polls the app accepts from the worker, in seconds.
pub const MAX_RETRY_SECS: u32 = 60;

/// Where one launch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchPhase {
    /// The launch request is in flight.
    Starting,
    /// Counting down to the next poll.
    Waiting {
        /// Handle to poll with.
        handle: String,
        /// Seconds until the poll.
        seconds_left: u32,
    },
    /// A poll is in flight.
    Polling,
    /// Handed off to Citrix Workspace app.
    Opening {
        /// The `receiver://` URI that was opened.
        receiver_uri: String,
        /// The user fell back to the `.ica` file after the hand-off: Citrix Workspace app did
        /// not open it, and downloading every time is worth offering.
        fell_back: bool,
    },
    /// The `.ica` file is being downloaded (the user's launch preference).
    Downloading,
    /// A web app, opened in a new tab.
    InBrowser {
        /// The `https:` address that was opened.
        url: String,
    },
    /// It did not work.
    Failed {
        /// What to tell people.
        message: String,
        /// Whether restarting the desktop may help.
        suggest_restart: bool,
    },
}

impl LaunchPhase {
    /// The `data-state` the view exposes: pending, ready or failed.
    pub fn state(&self) -> &'static str {
        match self {
            LaunchPhase::Starting | LaunchPhase::Waiting { .. } | LaunchPhase::Polling => "pending",
            LaunchPhase::Opening { .. }
            | LaunchPhase::InBrowser { .. }
            | LaunchPhase::Downloading => "ready",
            LaunchPhase::Failed { .. } => "failed",
        }
    }

    /// Whether the launch is still in progress (and so can be cancelled).
    pub fn in_progress(&self) -> bool {
        self.state() == "pending"
    }

    /// The card's status line, countdown included.
    pub fn describe(&self, name: &str) -> String {
        match self {
            LaunchPhase::Starting | LaunchPhase::Polling => format!("Preparing {name}…"),
            LaunchPhase::Waiting { seconds_left, .. } => {
                format!("Starting {name}… checking again in {seconds_left} s")
            }
            LaunchPhase::Opening { .. } => format!("Opening {name} in Citrix Workspace app…"),
            LaunchPhase::InBrowser { .. } => format!("Opened {name} in a new tab."),
            LaunchPhase::Downloading => {
                format!("Downloading the launch file for {name}: open it when it arrives.")
            }
            LaunchPhase::Failed { message, .. } => message.clone(),
        }
    }

    /// What the screen-reader live region says when a launch reaches this phase. The countdown
    /// is left out: announcing every second would drown everything else.
    pub fn announcement(&self, name: &str) -> String {
        match self {
            LaunchPhase::Starting => format!("Launching {name}."),
            LaunchPhase::Waiting { .. } | LaunchPhase::Polling => {
                format!("{name} is starting. This can take a minute.")
            }
            LaunchPhase::Opening {
                fell_back: false, ..
            } => format!("{name} is ready. Opening Citrix Workspace app."),
            LaunchPhase::Opening {
                fell_back: true, ..
            } => format!(
                "Downloading the launch file for {name}. Launches can download it every time instead of opening Citrix Workspace app."
            ),
            LaunchPhase::Downloading => format!("Downloading the launch file for {name}."),
            LaunchPhase::InBrowser { .. } => format!("{name} opened in a new tab."),
            LaunchPhase::Failed {
                message,
                suggest_restart,
            } => {
                let advice = if *suggest_restart {
                    format!(" {RESTART_ADVICE}")
                } else {
                    String::new()
                };
                format!("{name} could not be launched. {message}{advice}")
            }
        }
    }
}

/// What to tell people when the worker says restarting the desktop may help. The Workspace API
/// has no restart the portal could call (the team's reference on the API lists none), so this
/// says who can restart it, and what a restart costs.
pub const RESTART_ADVICE: &str = "Restarting the desktop may help. A restart closes everything open on it, so anything unsaved there is lost. Restart it from Citrix Workspace app, or ask your help desk, then launch it again.";

/// One resource's launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    token: u64,
    polls: u32,
    /// Where it is.
    pub phase: LaunchPhase,
}

/// What the driver should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Sleep a second, then call [`Launches::tick`].
    Wait,
    /// Poll the worker with this handle, then call [`Launches::answer`].
    Poll {
        /// Handle to poll with.
        handle: String,
    },
    /// Open this URI in the top window.
    Open {
        /// The `receiver://` URI.
        receiver_uri: String,
    },
    /// Open this web app in a new tab, without giving it this page (`noopener`).
    OpenTab {
        /// The app's `https:` address.
        url: String,
    },
    /// The session is gone: show sign-in.
    SignIn,
    /// Nothing more to do (done, failed, cancelled or superseded).
    Stop,
}

/// Every resource's launch, keyed by resource id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Launches {
    by_resource: HashMap<String, Launch>,
    last_token: u64,
}

impl Launches {
    /// The launch of a resource, if there is one.
    pub fn get(&self, resource_id: &str) -> Option<&Launch> {
        self.by_resource.get(resource_id)
    }

    /// Starts (or restarts) a launch; returns the token its answers must carry.
    pub fn start(&mut self, resource_id: &str) -> u64 {
        self.last_token += 1;
        self.by_resource.insert(
            resource_id.to_owned(),
            Launch {
                token: self.last_token,
                polls: 0,
                phase: LaunchPhase::Starting,
            },
        );
        self.last_token
    }

    /// Forgets a launch: cancels one in progress, or dismisses a finished one.
    pub fn cancel(&mut self, resource_id: &str) {
        self.by_resource.remove(resource_id);
    }

    fn current(&mut self, resource_id: &str, token: u64) -> Option<&mut Launch> {
        self.by_resource
            .get_mut(resource_id)
            .filter(|launch| launch.token == token)
    }

    /// Takes the worker's answer to a launch or poll request.
    pub fn answer(
        &mut self,
        resource_id: &str,
        token: u64,
        answer: Result<LaunchStatus, ClientError>,
    ) -> Next {
        let Some(launch) = self.current(resource_id, token) else {
            return Next::Stop;
        };
        let (phase, next) = match answer {
            Ok(LaunchStatus::Pending {
                handle,
                retry_after_secs,
            }) => {
                launch.polls += 1;
                if launch.polls > MAX_POLLS {
                    (
                        LaunchPhase::Failed {
                            message: "This is taking too long. Try again later.".into(),
                            suggest_restart: false,
                        },
                        Next::Stop,
                    )
                } else {
                    let seconds_left = retry_after_secs.clamp(1, MAX_RETRY_SECS);
                    (
                        LaunchPhase::Waiting {
                            handle,
                            seconds_left,
                        },
                        Next::Wait,
                    )
                }
            }
            Ok(LaunchStatus::Ready { receiver_uri }) if is_receiver_uri(&receiver_uri) => (
                LaunchPhase::Opening {
                    receiver_uri: receiver_uri.clone(),
                    fell_back: false,
                },
                Next::Open { receiver_uri },
            ),
            Ok(LaunchStatus::Ready { .. }) => (
                LaunchPhase::Failed {
                    message: "The portal sent a launch link this page will not open. Try downloading the launch file instead.".into(),
                    suggest_restart: false,
                },
                Next::Stop,
            ),
            Ok(LaunchStatus::Failed {
                message,
                suggest_restart,
                ..
            }) => (
                LaunchPhase::Failed {
                    message: if message.trim().is_empty() {
                        "The launch failed. Try again.".into()
                    } else {
                        message
                    },
                    suggest_restart,
                },
                Next::Stop,
            ),
            Err(e) if e.needs_sign_in() => {
                self.by_resource.remove(resource_id);
                return Next::SignIn;
            }
            Err(e) => (
                LaunchPhase::Failed {
                    message: e.message(),
                    suggest_restart: false,
                },
                Next::Stop,
            ),
        };
        launch.phase = phase;
        next
    }

    /// Starts a launch that downloads the `.ica` file instead of handing off to Citrix
    /// Workspace app (the user's launch preference); returns the token.
    pub fn start_download(&mut self, resource_id: &str) -> u64 {
        let token = self.start(resource_id);
        if let Some(launch) = self.current(resource_id, token) {
            launch.phase = LaunchPhase::Downloading;
        }
        token
    }

    /// After a hand-off, the user downloaded the `.ica` file instead: the hand-off did not open
    /// Citrix Workspace app, so the card offers downloading every time.
    pub fn fell_back(&mut self, resource_id: &str) {
        if let Some(Launch {
            phase: LaunchPhase::Opening { fell_back, .. },
            ..
        }) = self.by_resource.get_mut(resource_id)
        {
            *fell_back = true;
        }
    }

    /// Takes the worker's answer to opening a web app: only an `https:` address is opened.
    pub fn opened(
        &mut self,
        resource_id: &str,
        token: u64,
        answer: Result<WebApp, ClientError>,
    ) -> Next {
        let url = match answer {
            Ok(WebApp { url }) => url,
            // Errors end a web app's opening as they end a launch.
            Err(e) => return self.answer(resource_id, token, Err(e)),
        };
        let Some(launch) = self.current(resource_id, token) else {
            return Next::Stop;
        };
        if is_https(&url) {
            launch.phase = LaunchPhase::InBrowser { url: url.clone() };
            Next::OpenTab { url }
        } else {
            launch.phase = LaunchPhase::Failed {
                message: "The portal sent an address this page will not open.".into(),
                suggest_restart: false,
            };
            Next::Stop
        }
    }

    /// One second of the countdown has passed.
    pub fn tick(&mut self, resource_id: &str, token: u64) -> Next {
        let Some(launch) = self.current(resource_id, token) else {
            return Next::Stop;
        };
        match &mut launch.phase {
            LaunchPhase::Waiting {
                seconds_left: s @ 2..,
                ..
            } => {
                *s -= 1;
                Next::Wait
            }
            LaunchPhase::Waiting { handle, .. } => {
                let handle = std::mem::take(handle);
                launch.phase = LaunchPhase::Polling;
                Next::Poll { handle }
            }
            _ => Next::Stop,
        }
    }
}

/// Only Citrix Workspace app's own schemes are opened: a compromised or confused answer must not
/// turn the hand-off into a `javascript:` or web navigation.
fn is_receiver_uri(uri: &str) -> bool {
    let scheme = uri
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    uri.contains(':') && matches!(scheme.as_str(), "receiver" | "citrixreceiver")
}

/// A web app's address is opened only over https: the worker vouches for it, and the page
/// checks again.
fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        && url.len() > 8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(handle: &str, secs: u32) -> Result<LaunchStatus, ClientError> {
        Ok(LaunchStatus::Pending {
            handle: handle.into(),
            retry_after_secs: secs,
        })
    }

    fn ready(uri: &str) -> Result<LaunchStatus, ClientError> {
        Ok(LaunchStatus::Ready {
            receiver_uri: uri.into(),
        })
    }

    fn phase<'a>(l: &'a Launches, id: &str) -> &'a LaunchPhase {
        &l.get(id).expect("launch").phase
    }

    #[test]
    fn the_file_taken_after_a_hand_off_offers_downloads_and_a_download_launch_says_so() {
        let mut l = Launches::default();
        let t = l.start("a");
        l.fell_back("a");
        assert_eq!(
            phase(&l, "a"),
            &LaunchPhase::Starting,
            "only after a hand-off"
        );
        l.answer("a", t, ready("receiver://x?ticket=1"));
        l.fell_back("other");
        assert!(matches!(
            phase(&l, "a"),
            LaunchPhase::Opening {
                fell_back: false,
                ..
            }
        ));
        l.fell_back("a");
        assert!(matches!(
            phase(&l, "a"),
            LaunchPhase::Opening {
                fell_back: true,
                ..
            }
        ));
        assert!(
            phase(&l, "a")
                .announcement("Word")
                .contains("download it every time")
        );
        assert_eq!(phase(&l, "a").state(), "ready");

        l.start_download("b");
        assert_eq!(phase(&l, "b"), &LaunchPhase::Downloading);
        assert_eq!(phase(&l, "b").state(), "ready");
        assert!(!phase(&l, "b").in_progress());
    }

    #[test]
    fn a_web_app_opens_in_a_new_tab_only_at_an_https_address() {
        let mut l = Launches::default();
        let t = l.start("w");
        let web = |url: &str| Ok(WebApp { url: url.into() });
        assert_eq!(
            l.opened("w", t, web("https://expenses.example/")),
            Next::OpenTab {
                url: "https://expenses.example/".into()
            }
        );
        assert_eq!(phase(&l, "w").state(), "ready");
        assert_eq!(
            phase(&l, "w").describe("Expenses"),
            "Opened Expenses in a new tab."
        );
        for unsafe_url in ["http://x.example/", "javascript:alert(1)", "https://", "/x"] {
            let t = l.start("w");
            assert_eq!(
                l.opened("w", t, web(unsafe_url)),
                Next::Stop,
                "{unsafe_url}"
            );
            assert_eq!(phase(&l, "w").state(), "failed", "{unsafe_url}");
        }
        let t = l.start("w");
        let refused = ClientError::Api {
            status: 409,
            error: portal_shared::api::ApiError {
                code: portal_shared::api::ErrorCode::NotLaunchable,
                message: "Not https.".into(),
                retryable: false,
            },
        };
        assert_eq!(l.opened("w", t, Err(refused)), Next::Stop);
        assert_eq!(phase(&l, "w").describe("Expenses"), "Not https.");
        let t = l.start("w");
        assert_eq!(
            l.opened("w", t, Err(ClientError::SignInRequired { expired: true })),
            Next::SignIn
        );
        let stale = l.start("w");
        l.cancel("w");
        assert_eq!(l.opened("w", stale, web("https://x.example/")), Next::Stop);
    }

    #[test]
    fn ready_at_once_opens_the_receiver() {
        let mut l = Launches::default();
        let t = l.start("a");
        assert_eq!(phase(&l, "a").state(), "pending");
        assert_eq!(
            l.answer("a", t, ready("receiver://x?ticket=1")),
            Next::Open {
                receiver_uri: "receiver://x?ticket=1".into()
            }
        );
        assert_eq!(phase(&l, "a").state(), "ready");
    }

    #[test]
    fn pending_counts_down_then_polls_then_opens() {
        let mut l = Launches::default();
        let t = l.start("a");
        assert_eq!(l.answer("a", t, pending("h1", 2)), Next::Wait);
        assert_eq!(
            phase(&l, "a"),
            &LaunchPhase::Waiting {
                handle: "h1".into(),
                seconds_left: 2
            }
        );
        assert_eq!(l.tick("a", t), Next::Wait);
        assert_eq!(
            phase(&l, "a"),
            &LaunchPhase::Waiting {
                handle: "h1".into(),
                seconds_left: 1
            }
        );
        assert_eq!(
            l.tick("a", t),
            Next::Poll {
                handle: "h1".into()
            }
        );
        assert_eq!(phase(&l, "a"), &LaunchPhase::Polling);
        assert!(matches!(
            l.answer("a", t, ready("receiver://x")),
            Next::Open { .. }
        ));
    }

    #[test]
    fn pending_twice_then_ready() {
        let mut l = Launches::default();
        let t = l.start("a");
        assert_eq!(l.answer("a", t, pending("h1", 1)), Next::Wait);
        assert_eq!(
            l.tick("a", t),
            Next::Poll {
                handle: "h1".into()
            }
        );
        assert_eq!(l.answer("a", t, pending("h2", 0)), Next::Wait);
        // A zero delay is treated as one second rather than a busy loop.
        assert_eq!(
            l.tick("a", t),
            Next::Poll {
                handle: "h2".into()
            }
        );
        assert!(matches!(
            l.answer("a", t, ready("receiver://x")),
            Next::Open { .. }
        ));
        assert_eq!(phase(&l, "a").state(), "ready");
    }

    #[test]
    fn failure_keeps_the_message_and_restart_advice() {
        let mut l = Launches::default();
        let t = l.start("d");
        let answer = Ok(LaunchStatus::Failed {
            code: "UnavailableDesktop".into(),
            message: "The desktop is not available.".into(),
            suggest_restart: true,
        });
        assert_eq!(l.answer("d", t, answer), Next::Stop);
        assert_eq!(
            phase(&l, "d"),
            &LaunchPhase::Failed {
                message: "The desktop is not available.".into(),
                suggest_restart: true
            }
        );
        assert!(!phase(&l, "d").in_progress());
    }

    #[test]
    fn request_errors_fail_the_launch_or_ask_for_sign_in() {
        let mut l = Launches::default();
        let t = l.start("a");
        assert_eq!(l.answer("a", t, Err(ClientError::Network)), Next::Stop);
        assert_eq!(phase(&l, "a").state(), "failed");
        let t = l.start("a");
        assert_eq!(
            l.answer("a", t, Err(ClientError::SignInRequired { expired: true })),
            Next::SignIn
        );
        assert!(l.get("a").is_none());
    }

    #[test]
    fn cancel_ignores_late_answers() {
        let mut l = Launches::default();
        let t = l.start("a");
        assert_eq!(l.answer("a", t, pending("h", 5)), Next::Wait);
        l.cancel("a");
        assert_eq!(l.tick("a", t), Next::Stop);
        assert_eq!(l.answer("a", t, ready("receiver://late")), Next::Stop);
        assert!(l.get("a").is_none());
    }

    #[test]
    fn a_restart_supersedes_the_old_launch() {
        let mut l = Launches::default();
        let old = l.start("a");
        let new = l.start("a");
        assert_eq!(l.answer("a", old, ready("receiver://old")), Next::Stop);
        assert_eq!(phase(&l, "a"), &LaunchPhase::Starting);
        assert!(matches!(
            l.answer("a", new, ready("receiver://new")),
            Next::Open { .. }
        ));
    }

    #[test]
    fn launches_of_different_resources_are_independent() {
        let mut l = Launches::default();
        let a = l.start("a");
        let b = l.start("b");
        assert_eq!(l.answer("a", a, pending("ha", 3)), Next::Wait);
        assert!(matches!(
            l.answer("b", b, ready("receiver://b")),
            Next::Open { .. }
        ));
        // b's token does not drive a.
        assert_eq!(l.tick("a", b), Next::Stop);
        l.cancel("b");
        assert_eq!(phase(&l, "a").state(), "pending");
        assert_eq!(l.tick("a", a), Next::Wait);
    }

    #[test]
    fn endless_pending_gives_up() {
        let mut l = Launches::default();
        let t = l.start("a");
        for _ in 0..MAX_POLLS {
            assert_eq!(l.answer("a", t, pending("h", 1)), Next::Wait);
            assert!(matches!(l.tick("a", t), Next::Poll { .. }));
        }
        assert_eq!(l.answer("a", t, pending("h", 1)), Next::Stop);
        assert_eq!(phase(&l, "a").state(), "failed");
    }

    #[test]
    fn status_lines_and_announcements() {
        let waiting = LaunchPhase::Waiting {
            handle: "h".into(),
            seconds_left: 3,
        };
        assert_eq!(
            waiting.describe("Lab"),
            "Starting Lab… checking again in 3 s"
        );
        // The live region does not repeat the countdown.
        assert!(!waiting.announcement("Lab").contains('3'));
        assert_eq!(
            waiting.announcement("Lab"),
            LaunchPhase::Polling.announcement("Lab")
        );
        let failed = LaunchPhase::Failed {
            message: "The desktop is not available.".into(),
            suggest_restart: true,
        };
        assert_eq!(failed.describe("Lab"), "The desktop is not available.");
        assert!(failed.announcement("Lab").contains(RESTART_ADVICE));
        let failed = LaunchPhase::Failed {
            message: "In maintenance.".into(),
            suggest_restart: false,
        };
        assert_eq!(
            failed.announcement("Fin"),
            "Fin could not be launched. In maintenance."
        );
        assert!(
            LaunchPhase::Opening {
                receiver_uri: "receiver://x".into(),
                fell_back: false,
            }
            .announcement("Word")
            .starts_with("Word is ready")
        );
    }

    #[test]
    fn only_receiver_uris_are_opened() {
        let mut l = Launches::default();
        for uri in [
            "javascript:alert(1)",
            "https://evil.example/",
            "receiver",
            "",
        ] {
            let t = l.start("a");
            assert_eq!(l.answer("a", t, ready(uri)), Next::Stop, "{uri}");
            assert_eq!(phase(&l, "a").state(), "failed");
        }
        let t = l.start("a");
        assert!(matches!(
            l.answer("a", t, ready("CitrixReceiver://x")),
            Next::Open { .. }
        ));
    }
}
