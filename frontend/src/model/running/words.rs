//! The words for running sessions: the only place the "Running now" section's sentences are
//! written.

use portal_shared::api::{RunningSession, SessionAction, SessionState};

use super::Confirm;
use crate::model::catalogue::CatalogueModel;

/// What runs in a session: the catalogue's name, else the store's, else a plain description.
pub(super) fn name(s: &RunningSession, catalogue: Option<&CatalogueModel>) -> String {
    s.resource_id
        .as_deref()
        .and_then(|r| catalogue.and_then(|c| c.get(r)))
        .map(|r| r.name.clone())
        .or_else(|| s.name.clone())
        .unwrap_or_else(|| "An app or desktop".into())
}

/// Where a session is, in words.
pub fn state_text(s: &RunningSession) -> String {
    match (s.state, s.this_device, s.device.as_deref()) {
        (SessionState::Active, true, _) => "Running on this device".into(),
        (SessionState::Active, false, Some(device)) => {
            format!("Running on another device ({device})")
        }
        (SessionState::Active, false, None) => "Running on another device".into(),
        (SessionState::Disconnected, ..) => {
            "Disconnected: still running, reconnect to pick up where you left off".into()
        }
        (SessionState::Unknown, ..) => "Running (state unknown)".into(),
    }
}

/// The question before a log-off, saying plainly what is lost.
pub fn confirm_text(confirm: &Confirm, name: &str, count: usize) -> String {
    match confirm {
        Confirm::LogOff { .. } => format!(
            "Log off {name}? Everything running in it closes, and any unsaved work in it is lost."
        ),
        Confirm::LogOffAll => format!(
            "Log off all {count} session{}? Every app and desktop in them closes, and any unsaved work in them is lost.",
            if count == 1 { "" } else { "s" }
        ),
    }
}

/// What is announced once an action is done; `name` is `None` for all sessions.
pub fn done_text(action: SessionAction, name: Option<&str>) -> String {
    match (action, name) {
        (SessionAction::Disconnect, Some(n)) => {
            format!("{n} disconnected. It keeps running until you reconnect or log off.")
        }
        (SessionAction::Disconnect, None) => {
            "All sessions disconnected. They keep running until you reconnect or log off.".into()
        }
        (SessionAction::LogOff, Some(n)) => format!("{n} logged off."),
        (SessionAction::LogOff, None) => "All sessions logged off.".into(),
    }
}

/// What is shown when an action failed; `reason` is the error's own message.
pub fn failed_text(action: SessionAction, name: Option<&str>, reason: &str) -> String {
    let verb = match action {
        SessionAction::Disconnect => "disconnect",
        SessionAction::LogOff => "log off",
    };
    let what = name.unwrap_or("your sessions");
    format!("Could not {verb} {what}. Nothing was changed. {reason}")
}

/// The note about sessions the store listed that cannot be shown.
pub fn skipped_text(n: u32) -> String {
    if n == 1 {
        "1 more session could not be shown: Citrix Workspace described it incompletely.".into()
    } else {
        format!(
            "{n} more sessions could not be shown: Citrix Workspace described them incompletely."
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_off_questions_say_that_unsaved_work_is_lost() {
        let one = confirm_text(&Confirm::LogOff { id: "a".into() }, "Word", 3);
        assert!(
            one.starts_with("Log off Word?") && one.contains("unsaved work"),
            "{one}"
        );
        let all = confirm_text(&Confirm::LogOffAll, "", 2);
        assert!(
            all.starts_with("Log off all 2 sessions?")
                && all.contains("unsaved work in them is lost")
        );
        assert!(confirm_text(&Confirm::LogOffAll, "", 1).contains("1 session?"));
    }

    #[test]
    fn failures_say_nothing_changed_and_why() {
        let t = failed_text(SessionAction::LogOff, Some("Word"), "Citrix is down.");
        assert_eq!(
            t,
            "Could not log off Word. Nothing was changed. Citrix is down."
        );
        assert!(
            failed_text(SessionAction::Disconnect, None, "x").contains("disconnect your sessions")
        );
        assert!(skipped_text(2).starts_with("2 more sessions"));
    }
}
