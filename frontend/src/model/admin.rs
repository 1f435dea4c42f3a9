//! The admin page of the portal's OAuth client secret: what the worker's [`SecretStatus`] means
//! for people (rows, banner, the two actions and why they are unavailable), and the page's state
//! around loading and running an action.

use portal_shared::api::{
    ActionAvailability, RunResult, RunStatus, SecretCommand, SecretPhase, SecretStatus,
};
use portal_shared::time::{days_left, utc_date, utc_minute};

use crate::error::ClientError;

mod words;

pub use words::Tone;

/// An admin action on the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Rotate the secret now, whatever its expiry.
    Rotate,
    /// Expire the old secret now, once the new one has worked.
    ExpireOld,
}

impl Action {
    /// Both, in the order the page shows them.
    pub const ALL: [Action; 2] = [Action::Rotate, Action::ExpireOld];

    /// Stable name for test ids and element ids.
    pub fn slug(self) -> &'static str {
        match self {
            Action::Rotate => "rotate",
            Action::ExpireOld => "expire-old",
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Action::Rotate => "Rotate now",
            Action::ExpireOld => "Expire old secret now",
        }
    }

    /// The button's label while the action runs.
    pub fn busy_label(self) -> &'static str {
        match self {
            Action::Rotate => "Rotating…",
            Action::ExpireOld => "Expiring the old secret…",
        }
    }

    fn availability(self, status: &SecretStatus) -> &ActionAvailability {
        match self {
            Action::Rotate => &status.rotate_now,
            Action::ExpireOld => &status.expire_old_now,
        }
    }
}

/// A sentence for the page's live region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// How it looks.
    pub tone: Tone,
    /// What to say.
    pub text: String,
}

/// The status's alert as a banner, for admins on every page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannerView {
    /// Warning or error.
    pub tone: Tone,
    /// What to say.
    pub text: String,
}

impl BannerView {
    /// The banner the status asks for, if any.
    pub fn of(status: &SecretStatus) -> Option<BannerView> {
        let (tone, text) = words::alert(status.alert.as_ref()?, status);
        Some(BannerView { tone, text })
    }
}

/// One line of the status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Stable name for test ids.
    pub key: &'static str,
    /// What the line is about.
    pub label: &'static str,
    /// Its value, for people.
    pub value: String,
    /// More text under the value (the last run's message), and whether it is an error.
    pub detail: Option<(String, bool)>,
}

/// One action's button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionView {
    /// Which.
    pub action: Action,
    /// The button's text.
    pub label: &'static str,
    /// Whether pressing it does something now.
    pub enabled: bool,
    /// Why not, when it is not available.
    pub reason: Option<String>,
}

/// Everything the status part of the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    /// Heading under the page title: the client's name, or that it is not known yet.
    pub client: String,
    /// The banner, when something needs attention.
    pub banner: Option<BannerView>,
    /// The status list.
    pub rows: Vec<Row>,
    /// The actions, in [`Action::ALL`] order.
    pub actions: Vec<ActionView>,
}

impl StatusView {
    /// The view of `status` at `now` (Unix seconds), with `busy` running.
    pub fn new(status: &SecretStatus, busy: Option<Action>, now: u64) -> StatusView {
        let client = client_name(status);
        let mut rows = vec![
            row("client", "Client", client.clone()),
            row("state", "State", state(status).into()),
            row(
                "rotation",
                "Automatic rotation",
                if status.rotation_configured {
                    "Configured: a run every day"
                } else {
                    "Not configured"
                }
                .into(),
            ),
            row("phase", "Phase", phase(status.phase).into()),
            row(
                "current-expiry",
                "Current secret expires",
                status
                    .current_expires_at
                    .map_or_else(|| "Not known yet".into(), |e| expiry(e, now)),
            ),
            row(
                "old-expiry",
                "Old secret expires",
                status
                    .old_expires_at
                    .map_or_else(|| "No old secret".into(), |e| expiry(e, now)),
            ),
            row(
                "successes",
                "Successful sign-ins with the current secret",
                status.successes_with_current.to_string(),
            ),
            row(
                "last-rotation",
                "Last rotation",
                status
                    .last_rotation_at
                    .map_or_else(|| "Not rotated by the portal yet".into(), utc_minute),
            ),
            row(
                "last-read",
                "Last read from Citrix Cloud",
                status
                    .last_observed_at
                    .map_or_else(|| "Never".into(), utc_minute),
            ),
        ];
        rows.push(match &status.last_run {
            Some(run) => Row {
                detail: Some((words::run_result(&run.result, status), failed(run))),
                ..row("last-run", "Last run", last_run(run))
            },
            None => row("last-run", "Last run", "No run yet".into()),
        });
        rows.push(row(
            "next-action",
            "Next action",
            words::next_action(&status.next_action, status),
        ));
        let actions = Action::ALL
            .into_iter()
            .map(|action| {
                let available = action.availability(status);
                ActionView {
                    action,
                    label: if busy == Some(action) {
                        action.busy_label()
                    } else {
                        action.label()
                    },
                    enabled: available.allowed && busy.is_none(),
                    reason: (!available.allowed).then(|| match &available.reason {
                        Some(why) => format!("Not available. {}", words::refusal(why)),
                        None => "Not available right now.".into(),
                    }),
                }
            })
            .collect();
        StatusView {
            client,
            banner: BannerView::of(status),
            rows,
            actions,
        }
    }
}

fn row(key: &'static str, label: &'static str, value: String) -> Row {
    Row {
        key,
        label,
        value,
        detail: None,
    }
}

fn client_name(status: &SecretStatus) -> String {
    match (&status.display_name, &status.client_name) {
        (Some(display), Some(name)) if display != name => format!("{display} ({name})"),
        (_, Some(name)) => name.clone(),
        (Some(display), None) => display.clone(),
        (None, None) => "Not read from Citrix Cloud yet".into(),
    }
}

fn state(status: &SecretStatus) -> &'static str {
    match (status.enabled, status.problem.is_none()) {
        (Some(true), true) => "Enabled",
        (Some(true), false) => "Enabled, but sign-in cannot use it",
        (Some(false), _) => "Disabled: nobody can sign in",
        (None, true) => "Not known yet",
        (None, false) => "Not found in Citrix Cloud: nobody can sign in",
    }
}

fn phase(phase: SecretPhase) -> &'static str {
    match phase {
        SecretPhase::Idle => "One secret in use",
        SecretPhase::Overlap => "Overlap: the new secret is in use, the old one still works",
    }
}

/// `2026-03-10 (10 days left)`.
pub fn expiry(expires_at: u64, now: u64) -> String {
    let left = match days_left(expires_at, now) {
        0 => "expired".to_owned(),
        1 => "1 day left".to_owned(),
        n => format!("{n} days left"),
    };
    format!("{} ({left})", utc_date(expires_at))
}

fn last_run(run: &RunStatus) -> String {
    let what = match run.command {
        SecretCommand::Step => "daily run",
        SecretCommand::RotateNow => "rotate now",
        SecretCommand::ExpireOldNow => "expire old secret now",
    };
    format!(
        "{}, {what}: {}",
        utc_minute(run.started_at),
        words::run_result_short(&run.result)
    )
}

/// Whether the run failed (or never finished).
fn failed(run: &RunStatus) -> bool {
    matches!(
        run.result,
        RunResult::Failed { .. } | RunResult::Interrupted
    )
}

/// What the page does after the model took an answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// Nothing more.
    Done,
    /// Fetch the status again: the action was refused because it had changed.
    Reload,
    /// The session is gone: show the sign-in screen.
    SignIn,
}

/// Which screen the page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// The user is not an admin.
    NotAllowed,
    /// The first status is on its way.
    Loading,
    /// The first status could not be fetched, and why.
    Failed(String),
    /// A status is there.
    Ready,
}

/// The admin page's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminModel {
    allowed: bool,
    status: Option<SecretStatus>,
    load_error: Option<String>,
    loading: bool,
    busy: Option<Action>,
    message: Option<Message>,
}

impl AdminModel {
    /// A page for a user who is an admin (per the session) or not.
    pub fn new(is_admin: bool) -> AdminModel {
        AdminModel {
            allowed: is_admin,
            status: None,
            load_error: None,
            loading: false,
            busy: None,
            message: None,
        }
    }

    /// Which screen to show.
    pub fn screen(&self) -> Screen {
        match (&self.status, &self.load_error) {
            _ if !self.allowed => Screen::NotAllowed,
            (Some(_), _) => Screen::Ready,
            (None, Some(e)) if !self.loading => Screen::Failed(e.clone()),
            (None, _) => Screen::Loading,
        }
    }

    /// The status shown, if any.
    pub fn status(&self) -> Option<&SecretStatus> {
        self.status.as_ref()
    }

    /// The status view at `now`.
    pub fn view(&self, now: u64) -> Option<StatusView> {
        self.status
            .as_ref()
            .map(|s| StatusView::new(s, self.busy, now))
    }

    /// The last message, for the live region.
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// Whether a fetch of the status is under way.
    pub fn loading(&self) -> bool {
        self.loading
    }

    /// Starts fetching the status; `false` when there is no point (not an admin, or already).
    pub fn begin_load(&mut self) -> bool {
        if !self.allowed || self.loading {
            return false;
        }
        self.loading = true;
        true
    }

    /// Takes the answer of `GET /api/admin/secret` in.
    pub fn loaded(&mut self, answer: Result<SecretStatus, ClientError>) -> After {
        self.loading = false;
        match answer {
            Ok(status) => {
                self.status = Some(status);
                self.load_error = None;
                After::Done
            }
            Err(e) => self.failed(&e, |e| e.message()),
        }
    }

    /// Starts `action`; `false` when it is not available now (so nothing is sent).
    pub fn begin(&mut self, action: Action) -> bool {
        let available = self
            .status
            .as_ref()
            .is_some_and(|s| action.availability(s).allowed);
        if !self.allowed || !available || self.busy.is_some() {
            return false;
        }
        self.busy = Some(action);
        self.message = None;
        true
    }

    /// Takes the answer of the action's `POST` in.
    pub fn finish(&mut self, action: Action, answer: Result<SecretStatus, ClientError>) -> After {
        self.busy = None;
        match answer {
            Ok(status) => {
                self.message = Some(done(action, &status));
                self.status = Some(status);
                After::Done
            }
            Err(e) => {
                let not_done = not_done(action);
                let after = self.failed(&e, |e| match e.conflict() {
                    Some(why) => format!("{not_done}. {why}"),
                    None => format!("{not_done}. {}", e.message()),
                });
                if e.conflict().is_some() {
                    After::Reload
                } else {
                    after
                }
            }
        }
    }

    fn failed(&mut self, e: &ClientError, say: impl FnOnce(&ClientError) -> String) -> After {
        if e.needs_sign_in() {
            return After::SignIn;
        }
        if e.is_forbidden() {
            self.allowed = false;
            return After::Done;
        }
        let text = say(e);
        if self.status.is_some() {
            self.message = Some(Message {
                tone: Tone::Error,
                text,
            });
        } else {
            self.load_error = Some(text);
        }
        After::Done
    }
}

/// What an action that answered 200 did: the run may still have failed or been refused (its
/// record says).
fn done(action: Action, status: &SecretStatus) -> Message {
    match status.last_run.as_ref().map(|r| &r.result) {
        Some(RunResult::Refused { refusal }) => {
            return Message {
                tone: Tone::Error,
                text: format!("{}. {}", not_done(action), words::refusal(refusal)),
            };
        }
        Some(result @ (RunResult::Failed { .. } | RunResult::Interrupted)) => {
            let what = match action {
                Action::Rotate => "Rotating the secret failed",
                Action::ExpireOld => "Expiring the old secret failed",
            };
            let why = match result {
                RunResult::Failed { stage, error } => {
                    format!(" while {}: {error}.", words::stage(*stage))
                }
                _ => ": the run never finished.".into(),
            };
            return Message {
                tone: Tone::Error,
                text: format!("{what}{why}"),
            };
        }
        _ => {}
    }
    let text = match action {
        Action::Rotate => match status.current_expires_at {
            Some(e) => format!(
                "The secret was rotated. The new secret expires on {}; the old one keeps working until it is expired.",
                utc_date(e)
            ),
            None => "The secret was rotated; the old one keeps working until it is expired.".into(),
        },
        Action::ExpireOld => {
            "The old secret was expired. Only the current secret works now.".into()
        }
    };
    Message {
        tone: Tone::Success,
        text,
    }
}

/// The start of the message when an action was not carried out.
fn not_done(action: Action) -> &'static str {
    match action {
        Action::Rotate => "The secret was not rotated",
        Action::ExpireOld => "The old secret was not expired",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::api::{
        ApiError, ClientProblem, ErrorCode, NextAction, Refusal, RunStage, SecretAlert,
    };
    use portal_shared::time::DAY_SECS;

    /// 2026-03-01 00:00 UTC.
    const NOW: u64 = 1_772_323_200;

    fn allowed() -> ActionAvailability {
        ActionAvailability {
            allowed: true,
            reason: None,
        }
    }

    fn refused(why: Refusal) -> ActionAvailability {
        ActionAvailability {
            allowed: false,
            reason: Some(why),
        }
    }

    /// Idle, read, 10 days left: rotation due at the next run.
    fn idle() -> SecretStatus {
        SecretStatus {
            client_name: Some("acme-private-1".into()),
            display_name: Some("Workspace Portal".into()),
            enabled: Some(true),
            problem: None,
            rotation_configured: true,
            rotate_before_days: 14,
            phase: SecretPhase::Idle,
            current_expires_at: Some(NOW + 10 * DAY_SECS),
            current_days_left: Some(10),
            old_expires_at: None,
            old_days_left: None,
            successes_with_current: 4,
            last_rotation_at: None,
            current_issued_at: None,
            last_observed_at: Some(NOW - 60),
            last_run: None,
            next_action: NextAction::RotateAtNextRun,
            rotate_now: allowed(),
            expire_old_now: refused(Refusal::NoOldSecret),
            alert: None,
        }
    }

    /// Just rotated by an admin: overlap, nothing proven yet.
    fn rotated() -> SecretStatus {
        SecretStatus {
            phase: SecretPhase::Overlap,
            current_expires_at: Some(NOW + 90 * DAY_SECS),
            old_expires_at: Some(NOW + 10 * DAY_SECS),
            successes_with_current: 0,
            last_rotation_at: Some(NOW),
            last_run: Some(RunStatus {
                command: SecretCommand::RotateNow,
                started_at: NOW,
                finished_at: Some(NOW + 2),
                result: RunResult::Rotated {
                    expires_at: Some(NOW + 90 * DAY_SECS),
                    old_expires_at: Some(NOW + 10 * DAY_SECS),
                },
            }),
            next_action: NextAction::ExpireOldAfter {
                successes: 3,
                sooner_after: None,
                after_grace: 1,
            },
            expire_old_now: refused(Refusal::CurrentUnproven),
            ..idle()
        }
    }

    fn api(status: u16, code: ErrorCode, message: &str) -> ClientError {
        ClientError::Api {
            status,
            error: ApiError {
                code,
                message: message.into(),
                retryable: false,
            },
        }
    }

    fn value<'a>(v: &'a StatusView, key: &str) -> &'a str {
        &v.rows.iter().find(|r| r.key == key).unwrap().value
    }

    #[test]
    fn rows_say_name_state_expiries_and_what_happens_next() {
        let v = StatusView::new(&rotated(), None, NOW);
        assert_eq!(v.client, "Workspace Portal (acme-private-1)");
        assert_eq!(value(&v, "state"), "Enabled");
        assert_eq!(value(&v, "rotation"), "Configured: a run every day");
        assert!(value(&v, "phase").starts_with("Overlap"));
        assert_eq!(value(&v, "current-expiry"), "2026-05-30 (90 days left)");
        assert_eq!(value(&v, "old-expiry"), "2026-03-11 (10 days left)");
        assert_eq!(value(&v, "successes"), "0");
        assert_eq!(value(&v, "last-rotation"), "2026-03-01 00:00 UTC");
        assert_eq!(
            value(&v, "last-run"),
            "2026-03-01 00:00 UTC, rotate now: succeeded"
        );
        assert_eq!(
            value(&v, "next-action"),
            "Expire the old secret after 3 more successful sign-ins."
        );
        assert!(v.banner.is_none());
        let keys: Vec<&str> = v.rows.iter().map(|r| r.key).collect();
        assert_eq!(keys.first(), Some(&"client"));
        assert_eq!(keys.last(), Some(&"next-action"));
    }

    #[test]
    fn days_left_count_from_the_browsers_now_and_say_expired() {
        assert_eq!(expiry(NOW + 1, NOW), "2026-03-01 (1 day left)");
        assert_eq!(expiry(NOW + DAY_SECS + 1, NOW), "2026-03-02 (2 days left)");
        assert_eq!(expiry(NOW, NOW), "2026-03-01 (expired)");
        let v = StatusView::new(&idle(), None, NOW + 11 * DAY_SECS);
        assert_eq!(value(&v, "current-expiry"), "2026-03-11 (expired)");
    }

    #[test]
    fn unknowns_are_said_in_words() {
        let s = SecretStatus {
            client_name: None,
            display_name: None,
            enabled: None,
            rotation_configured: false,
            current_expires_at: None,
            last_observed_at: None,
            next_action: NextAction::NotConfigured,
            rotate_now: refused(Refusal::NotConfigured),
            expire_old_now: refused(Refusal::NotConfigured),
            ..idle()
        };
        let v = StatusView::new(&s, None, NOW);
        assert_eq!(v.client, "Not read from Citrix Cloud yet");
        assert_eq!(value(&v, "state"), "Not known yet");
        assert_eq!(value(&v, "rotation"), "Not configured");
        assert_eq!(value(&v, "current-expiry"), "Not known yet");
        assert_eq!(value(&v, "old-expiry"), "No old secret");
        assert_eq!(value(&v, "last-rotation"), "Not rotated by the portal yet");
        assert_eq!(value(&v, "last-read"), "Never");
        assert_eq!(value(&v, "last-run"), "No run yet");
        assert!(value(&v, "next-action").starts_with("Rotation is not configured"));
        for a in &v.actions {
            assert!(!a.enabled);
            assert_eq!(
                a.reason.as_deref(),
                Some("Not available. Rotation is not configured.")
            );
        }
    }

    #[test]
    fn a_disabled_or_missing_client_is_an_error_banner_and_a_clear_state() {
        let s = SecretStatus {
            enabled: Some(false),
            problem: Some(ClientProblem::Disabled),
            alert: Some(SecretAlert::ClientUnusable {
                problem: ClientProblem::Disabled,
            }),
            ..idle()
        };
        let v = StatusView::new(&s, None, NOW);
        assert_eq!(value(&v, "state"), "Disabled: nobody can sign in");
        let banner = v.banner.unwrap();
        assert_eq!(banner.tone, Tone::Error);
        assert!(banner.text.contains("disabled in Citrix Cloud"));
        let missing = SecretStatus {
            client_name: None,
            enabled: None,
            problem: Some(ClientProblem::Missing { listed: vec![] }),
            ..idle()
        };
        assert_eq!(
            value(&StatusView::new(&missing, None, NOW), "state"),
            "Not found in Citrix Cloud: nobody can sign in"
        );
        let warning = SecretStatus {
            alert: Some(SecretAlert::ExpiresUnrotated { days: 1 }),
            ..idle()
        };
        assert_eq!(
            BannerView::of(&warning),
            Some(BannerView {
                tone: Tone::Warning,
                text: "The client secret expires in 1 day and rotation is not configured: rotate it in Citrix Cloud and update CLIENT_SECRET.".into()
            })
        );
        assert_eq!(BannerView::of(&idle()), None);
    }

    #[test]
    fn a_failed_run_shows_its_error() {
        let s = SecretStatus {
            last_run: Some(RunStatus {
                command: SecretCommand::Step,
                started_at: NOW,
                finished_at: Some(NOW + 1),
                result: RunResult::Failed {
                    stage: RunStage::Rotate,
                    error: "Citrix Cloud answered 500".into(),
                },
            }),
            ..idle()
        };
        let v = StatusView::new(&s, None, NOW);
        let run = v.rows.iter().find(|r| r.key == "last-run").unwrap();
        assert_eq!(run.value, "2026-03-01 00:00 UTC, daily run: failed");
        assert_eq!(
            run.detail,
            Some((
                "Failed rotating the secret: Citrix Cloud answered 500.".into(),
                true
            ))
        );
    }

    #[test]
    fn buttons_follow_the_workers_availability_with_its_reason() {
        let v = StatusView::new(&rotated(), None, NOW);
        let [rotate, expire] = [&v.actions[0], &v.actions[1]];
        assert_eq!(
            (rotate.action, rotate.label),
            (Action::Rotate, "Rotate now")
        );
        assert!(rotate.enabled && rotate.reason.is_none());
        assert_eq!(expire.label, "Expire old secret now");
        assert!(!expire.enabled);
        assert!(
            expire.reason.as_deref().unwrap().starts_with(
                "Not available. The current secret has not been used successfully yet"
            )
        );
        let no_reason = SecretStatus {
            rotate_now: ActionAvailability {
                allowed: false,
                reason: None,
            },
            ..idle()
        };
        assert_eq!(
            StatusView::new(&no_reason, None, NOW).actions[0]
                .reason
                .as_deref(),
            Some("Not available right now.")
        );
    }

    #[test]
    fn while_an_action_runs_neither_button_can_be_pressed() {
        let mut m = AdminModel::new(true);
        assert!(m.begin_load());
        assert!(!m.begin_load(), "one fetch at a time");
        m.loaded(Ok(idle()));
        assert!(!m.begin(Action::ExpireOld), "not available");
        assert!(m.begin(Action::Rotate));
        assert!(!m.begin(Action::Rotate), "already running");
        let v = m.view(NOW).unwrap();
        assert_eq!(v.actions[0].label, "Rotating…");
        assert!(v.actions.iter().all(|a| !a.enabled));
    }

    #[test]
    fn a_successful_action_shows_the_new_status_and_says_so() {
        let mut m = AdminModel::new(true);
        m.loaded(Ok(idle()));
        assert!(m.begin(Action::Rotate));
        assert_eq!(m.finish(Action::Rotate, Ok(rotated())), After::Done);
        assert_eq!(m.status(), Some(&rotated()));
        let msg = m.message().unwrap();
        assert_eq!(msg.tone, Tone::Success);
        assert!(
            msg.text
                .starts_with("The secret was rotated. The new secret expires on 2026-05-30")
        );
        let proven = SecretStatus {
            successes_with_current: 1,
            expire_old_now: allowed(),
            ..rotated()
        };
        m.loaded(Ok(proven));
        assert!(m.begin(Action::ExpireOld));
        assert!(
            m.message().is_none(),
            "a new action clears the last message"
        );
        m.finish(Action::ExpireOld, Ok(idle()));
        assert_eq!(
            m.message().unwrap().text,
            "The old secret was expired. Only the current secret works now."
        );
    }

    #[test]
    fn a_run_that_failed_is_not_reported_as_success() {
        let mut m = AdminModel::new(true);
        m.loaded(Ok(idle()));
        m.begin(Action::Rotate);
        let failed = SecretStatus {
            last_run: Some(RunStatus {
                command: SecretCommand::RotateNow,
                started_at: NOW,
                finished_at: Some(NOW),
                result: RunResult::Failed {
                    stage: RunStage::Rotate,
                    error: "Citrix Cloud answered 503".into(),
                },
            }),
            ..idle()
        };
        m.finish(Action::Rotate, Ok(failed));
        let msg = m.message().unwrap();
        assert_eq!(msg.tone, Tone::Error);
        assert_eq!(
            msg.text,
            "Rotating the secret failed while rotating the secret: Citrix Cloud answered 503."
        );
    }

    #[test]
    fn a_refused_command_says_why_in_the_pages_words() {
        let mut m = AdminModel::new(true);
        m.loaded(Ok(SecretStatus {
            expire_old_now: allowed(),
            ..rotated()
        }));
        assert!(m.begin(Action::ExpireOld));
        let refused = SecretStatus {
            last_run: Some(RunStatus {
                command: SecretCommand::ExpireOldNow,
                started_at: NOW,
                finished_at: Some(NOW),
                result: RunResult::Refused {
                    refusal: Refusal::NoOldSecret,
                },
            }),
            ..idle()
        };
        assert_eq!(
            m.finish(Action::ExpireOld, Ok(refused.clone())),
            After::Done
        );
        assert_eq!(
            m.message(),
            Some(&Message {
                tone: Tone::Error,
                text: "The old secret was not expired. There is no old secret to expire.".into()
            })
        );
        assert_eq!(
            m.status(),
            Some(&refused),
            "the status after the run is shown"
        );
        let v = m.view(NOW).unwrap();
        let run = v.rows.iter().find(|r| r.key == "last-run").unwrap();
        assert_eq!(
            run.value,
            "2026-03-01 00:00 UTC, expire old secret now: refused"
        );
    }

    #[test]
    fn every_fact_has_words() {
        let status = idle();
        let listed = ClientProblem::Missing {
            listed: vec!["customer-private-999 (Workspace Portal)".into(), "b".into()],
        };
        let text = words::problem(&listed);
        assert!(
            text.contains("It lists: customer-private-999 (Workspace Portal), b.")
                && text.contains("set CLIENT_NAME"),
            "{text}"
        );
        assert!(
            words::problem(&ClientProblem::Missing { listed: vec![] })
                .contains("check CUSTOMER_ID")
        );
        assert_eq!(
            words::next_action(&NextAction::RotateIn { days: 1 }, &status),
            "Rotate in 1 day."
        );
        let grace = NOW + DAY_SECS;
        assert_eq!(
            words::next_action(
                &NextAction::ExpireOldAfter {
                    successes: 2,
                    sooner_after: Some(grace),
                    after_grace: 0
                },
                &status
            ),
            "Expire the old secret after 2 more successful sign-ins or at the first run after 2026-03-02 00:00 UTC."
        );
        assert_eq!(
            words::next_action(
                &NextAction::ExpireOldAfter {
                    successes: 3,
                    sooner_after: Some(grace),
                    after_grace: 1
                },
                &status
            ),
            "Expire the old secret after 3 more successful sign-ins (or 1, after 2026-03-02 00:00 UTC)."
        );
        let unusable = SecretStatus {
            problem: Some(ClientProblem::Disabled),
            ..idle()
        };
        assert!(
            words::next_action(&NextAction::ClientUnusable, &unusable)
                .contains("disabled in Citrix Cloud")
        );
        let (tone, text) = words::alert(&SecretAlert::LostNewerSecret { until: None }, &status);
        assert_eq!(tone, Tone::Warning);
        assert!(text.contains("rotates again 14 days before"), "{text}");
        let (tone, text) = words::alert(&SecretAlert::Expired { at: NOW }, &status);
        assert_eq!(tone, Tone::Error);
        assert!(text.ends_with("(the next run rotates it)."), "{text}");
    }

    #[test]
    fn a_conflict_shows_the_workers_message_and_reloads() {
        let mut m = AdminModel::new(true);
        let proven = SecretStatus {
            expire_old_now: allowed(),
            ..rotated()
        };
        m.loaded(Ok(proven.clone()));
        assert!(m.begin(Action::ExpireOld));
        let after = m.finish(
            Action::ExpireOld,
            Err(api(409, ErrorCode::Conflict, "Rotation is not configured.")),
        );
        assert_eq!(after, After::Reload);
        assert_eq!(
            m.message(),
            Some(&Message {
                tone: Tone::Error,
                text: "The old secret was not expired. Rotation is not configured.".into()
            })
        );
        // The stale status stays on screen until the new one arrives, and the message with it.
        assert_eq!(m.status(), Some(&proven));
        assert!(m.begin_load());
        m.loaded(Ok(idle()));
        assert_eq!(m.screen(), Screen::Ready);
        assert!(m.message().is_some());
    }

    #[test]
    fn signed_out_forbidden_and_other_failures() {
        let mut m = AdminModel::new(false);
        assert_eq!(m.screen(), Screen::NotAllowed);
        assert!(!m.begin_load(), "nothing is fetched for a non-admin");

        let mut m = AdminModel::new(true);
        assert_eq!(m.screen(), Screen::Loading);
        m.begin_load();
        assert_eq!(
            m.loaded(Err(ClientError::SignInRequired { expired: true })),
            After::SignIn
        );
        // The worker no longer counts the user as an admin.
        m.begin_load();
        m.loaded(Err(api(403, ErrorCode::Forbidden, "not an admin")));
        assert_eq!(m.screen(), Screen::NotAllowed);

        let mut m = AdminModel::new(true);
        m.begin_load();
        m.loaded(Err(ClientError::Network));
        let Screen::Failed(text) = m.screen() else {
            panic!("expected a failure screen");
        };
        assert!(text.contains("could not be reached"));
        m.begin_load();
        assert_eq!(m.screen(), Screen::Loading, "retrying shows progress");
        m.loaded(Ok(idle()));
        m.begin(Action::Rotate);
        assert_eq!(
            m.finish(Action::Rotate, Err(ClientError::Network)),
            After::Done
        );
        assert_eq!(m.screen(), Screen::Ready, "the status stays");
        assert!(
            m.message()
                .unwrap()
                .text
                .starts_with("The secret was not rotated. The portal could not be reached")
        );
        assert!(m.begin(Action::Rotate), "and the button works again");
        assert_eq!(
            m.finish(
                Action::Rotate,
                Err(ClientError::SignInRequired { expired: true })
            ),
            After::SignIn
        );
    }
}
