//! Running sessions (Workspace Control) as the catalogue page holds them: the worker's list, what
//! each row offers, the log-off confirmation, and the list brought up to date by an action's
//! answer. Reconnecting is the catalogue's own launch of the session's resource.

mod words;

use portal_shared::api::{
    RunningSession, RunningSessions, SessionAction, SessionState, SessionsChanged,
};

use super::catalogue::CatalogueModel;

pub use words::{confirm_text, done_text, failed_text, skipped_text, state_text};

/// What the user is asked to confirm before it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    /// Log off one session.
    LogOff {
        /// The session.
        id: String,
    },
    /// Log off every session.
    LogOffAll,
}

/// One row of the list, as the view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The session's id.
    pub id: String,
    /// What runs in it, by name.
    pub name: String,
    /// Its state and device, in words.
    pub state: String,
    /// Its state, for the view's `data-state`.
    pub state_slug: &'static str,
    /// The resource to launch again to reconnect, when the catalogue can launch it.
    pub reconnect: Option<String>,
    /// Whether it can be disconnected.
    pub can_disconnect: bool,
    /// Whether it can be logged off.
    pub can_log_off: bool,
}

/// The user's running sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunningModel {
    list: RunningSessions,
    /// The log-off waiting for the user's yes.
    pub confirming: Option<Confirm>,
    /// An action under way: the session's id, or `None` for all of them.
    pub busy: Option<Option<String>>,
    /// Whether an action of this page changed the list.
    acted: bool,
    /// How many times the list changed here (an action's answer, or a list taken in): a list
    /// asked for before a change is older than what is shown.
    version: u64,
}

impl RunningModel {
    /// The model of a list the worker sent.
    pub fn new(list: RunningSessions) -> Self {
        RunningModel {
            list,
            confirming: None,
            busy: None,
            acted: false,
            version: 0,
        }
    }

    /// Which change of the list this is; see [`RunningModel::refresh`].
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Whether the section is shown: something runs, or the user just ended the last session
    /// here (what happened stays in view). With nothing to act on it is left out, and with it
    /// its buttons from the way to the cards; sessions that could not be shown are noted only
    /// beside ones that can (alone, there is nothing to do about them).
    pub fn worth_showing(&self) -> bool {
        !self.is_empty() || self.acted
    }

    /// Whether nothing is running.
    pub fn is_empty(&self) -> bool {
        self.list.sessions.is_empty()
    }

    /// How many listed sessions could not be shown.
    pub fn skipped(&self) -> u32 {
        self.list.skipped
    }

    /// Whether "disconnect all" is offered: something is connected and the store can do it.
    pub fn can_disconnect_all(&self) -> bool {
        self.list.can_disconnect_all
            && self
                .list
                .sessions
                .iter()
                .any(|s| s.state != SessionState::Disconnected)
    }

    /// Whether "log off all" is offered.
    pub fn can_log_off_all(&self) -> bool {
        self.list.can_log_off_all && !self.is_empty()
    }

    /// Whether catalogue resource `id` has a session: the card's "Running" badge.
    pub fn is_running(&self, id: &str) -> bool {
        self.list
            .sessions
            .iter()
            .any(|s| s.resource_id.as_deref() == Some(id))
    }

    /// Whether resource `id` has a session connected to this browser's device: what a launch
    /// or a reconnect leads to once Citrix Workspace app has taken it.
    pub fn is_connected_here(&self, id: &str) -> bool {
        self.list.sessions.iter().any(|s| {
            s.resource_id.as_deref() == Some(id) && s.this_device && s.state == SessionState::Active
        })
    }

    /// Takes in the list as the store had it when asked at `version`, keeping what the user is
    /// doing: an action under way, and a log-off question while there is still something to log
    /// off. A list asked for before the last change here is older than what is shown, and
    /// dropped: `false`.
    pub fn refresh(&mut self, asked_at: u64, list: RunningSessions) -> bool {
        if asked_at != self.version {
            return false;
        }
        self.version += 1;
        self.list = list;
        let asked_of_a_gone_session = match &self.confirming {
            Some(Confirm::LogOff { id }) => self.session(id).is_none(),
            Some(Confirm::LogOffAll) => self.is_empty(),
            None => false,
        };
        if asked_of_a_gone_session {
            self.confirming = None;
        }
        true
    }

    fn session(&self, id: &str) -> Option<&RunningSession> {
        self.list.sessions.iter().find(|s| s.id == id)
    }

    /// The name of what runs in session `id`: the catalogue's name, else the store's.
    pub fn name_of(&self, id: &str, catalogue: Option<&CatalogueModel>) -> String {
        self.session(id)
            .map(|s| words::name(s, catalogue))
            .unwrap_or_default()
    }

    /// The rows, in the store's order.
    pub fn rows(&self, catalogue: Option<&CatalogueModel>) -> Vec<Row> {
        self.list
            .sessions
            .iter()
            .map(|s| {
                let launchable = s
                    .resource_id
                    .as_deref()
                    .and_then(|r| catalogue.and_then(|c| c.get(r)))
                    .filter(|r| r.launchable);
                Row {
                    id: s.id.clone(),
                    name: words::name(s, catalogue),
                    state: state_text(s),
                    state_slug: match s.state {
                        SessionState::Active => "active",
                        SessionState::Disconnected => "disconnected",
                        SessionState::Unknown => "unknown",
                    },
                    // An app on this device is already in front of the user; elsewhere or
                    // disconnected, launching it again brings it here.
                    reconnect: launchable
                        .filter(|_| !(s.this_device && s.state == SessionState::Active))
                        .map(|r| r.id.clone()),
                    can_disconnect: s.can_disconnect && s.state != SessionState::Disconnected,
                    can_log_off: s.can_log_off,
                }
            })
            .collect()
    }

    /// Starts an action unless one is under way; `false` if it must wait.
    pub fn begin(&mut self, id: Option<&str>) -> bool {
        if self.busy.is_some() {
            return false;
        }
        self.confirming = None;
        self.busy = Some(id.map(str::to_owned));
        true
    }

    /// Takes in an action's answer: the list as it now is. A failed action changes nothing.
    pub fn finish(&mut self, changed: Option<&SessionsChanged>) {
        self.busy = None;
        let Some(changed) = changed else {
            return;
        };
        self.acted = true;
        self.version += 1;
        let picked = |s: &RunningSession| changed.id.as_ref().is_none_or(|id| *id == s.id);
        match changed.action {
            SessionAction::LogOff => self.list.sessions.retain(|s| !picked(s)),
            SessionAction::Disconnect => {
                for s in self.list.sessions.iter_mut().filter(|s| picked(s)) {
                    s.state = SessionState::Disconnected;
                    s.this_device = false;
                    s.device = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::catalogue::test_resource;
    use portal_shared::api::{Catalogue, ResourceKind};

    fn session(id: &str, resource: Option<&str>, state: SessionState) -> RunningSession {
        RunningSession {
            id: id.into(),
            resource_id: resource.map(str::to_owned),
            name: None,
            state,
            device: Some("WPOTHER".into()),
            this_device: false,
            started_at: None,
            can_disconnect: true,
            can_log_off: true,
        }
    }

    fn model() -> (RunningModel, CatalogueModel) {
        let list = RunningSessions {
            sessions: vec![
                RunningSession {
                    this_device: true,
                    ..session("a", Some("word"), SessionState::Active)
                },
                session("b", Some("desk"), SessionState::Disconnected),
                RunningSession {
                    name: Some("Old Tool".into()),
                    ..session("c", Some("retired"), SessionState::Active)
                },
                session("d", None, SessionState::Unknown),
            ],
            skipped: 1,
            can_disconnect_all: true,
            can_log_off_all: true,
        };
        let catalogue = CatalogueModel::new(Catalogue {
            resources: vec![
                test_resource("word", "Microsoft Word", ResourceKind::App),
                test_resource("desk", "Windows 11 Desktop", ResourceKind::Desktop),
            ],
            skipped: 0,
        });
        (RunningModel::new(list), catalogue)
    }

    #[test]
    fn rows_name_sessions_by_the_catalogue_and_offer_what_each_allows() {
        let (m, c) = model();
        let rows = m.rows(Some(&c));
        let names: Vec<_> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Microsoft Word",
                "Windows 11 Desktop",
                "Old Tool",
                "An app or desktop"
            ]
        );
        // Active here: nothing to reconnect. Disconnected: reconnect, nothing to disconnect.
        assert_eq!(rows[0].reconnect, None);
        assert_eq!(rows[1].reconnect.as_deref(), Some("desk"));
        assert!(!rows[1].can_disconnect && rows[1].can_log_off);
        // Not in the catalogue: it can be ended, not launched again.
        assert_eq!(rows[2].reconnect, None);
        assert!(rows[2].can_disconnect);
        assert_eq!(rows[3].state_slug, "unknown");
        assert!(m.is_running("word") && m.is_running("retired") && !m.is_running("excel"));
    }

    #[test]
    fn a_refresh_keeps_what_the_user_is_doing_while_it_still_applies() {
        let (mut m, _) = model();
        assert!(!m.is_connected_here("desk"), "disconnected");
        assert!(!m.is_connected_here("retired"), "on another device");
        assert!(m.is_connected_here("word"));
        m.confirming = Some(Confirm::LogOff { id: "b".into() });
        assert!(m.begin(Some("a")));
        m.confirming = Some(Confirm::LogOff { id: "b".into() });
        // Citrix Workspace app reattached the desktop here.
        let mut list = m.list.clone();
        list.sessions[1] = RunningSession {
            this_device: true,
            ..session("b", Some("desk"), SessionState::Active)
        };
        assert!(m.refresh(m.version(), list.clone()));
        assert!(m.is_connected_here("desk"));
        assert_eq!(m.confirming, Some(Confirm::LogOff { id: "b".into() }));
        assert_eq!(
            m.busy,
            Some(Some("a".into())),
            "the action under way goes on"
        );
        // Logged off elsewhere meanwhile: nothing left to ask about.
        list.sessions.remove(1);
        assert!(m.refresh(m.version(), list.clone()));
        assert_eq!(m.confirming, None);
        m.confirming = Some(Confirm::LogOffAll);
        assert!(m.refresh(m.version(), RunningSessions::default()));
        assert_eq!(m.confirming, None);
    }

    #[test]
    fn a_list_asked_for_before_a_change_here_is_dropped() {
        let (mut m, _) = model();
        let asked = m.version();
        // Log off Word while the list is on its way: the list still has it.
        let stale = m.list.clone();
        assert!(m.begin(Some("a")));
        m.finish(Some(&SessionsChanged {
            action: SessionAction::LogOff,
            id: Some("a".into()),
        }));
        assert!(!m.refresh(asked, stale.clone()));
        assert_eq!(m.rows(None).len(), 3, "Word came back");
        // Of two lists asked for at once, the one answered last is dropped too.
        let asked = m.version();
        assert!(m.refresh(asked, RunningSessions::default()));
        assert!(!m.refresh(asked, stale));
        assert!(m.is_empty());
    }

    #[test]
    fn an_answer_updates_the_list_and_a_failure_changes_nothing() {
        let (mut m, _) = model();
        assert!(m.begin(Some("a")));
        assert!(!m.begin(None), "one action at a time");
        m.finish(None);
        assert_eq!(m.rows(None).len(), 4);
        assert!(m.begin(Some("a")));
        m.finish(Some(&SessionsChanged {
            action: SessionAction::Disconnect,
            id: Some("a".into()),
        }));
        let a = &m.rows(None)[0];
        assert_eq!((a.state_slug, a.can_disconnect), ("disconnected", false));
        assert!(m.begin(Some("c")));
        m.finish(Some(&SessionsChanged {
            action: SessionAction::LogOff,
            id: Some("c".into()),
        }));
        assert_eq!(m.rows(None).len(), 3);
        assert!(m.can_disconnect_all(), "d is not known to be disconnected");
        assert!(m.begin(None));
        m.finish(Some(&SessionsChanged {
            action: SessionAction::Disconnect,
            id: None,
        }));
        assert!(!m.can_disconnect_all() && m.can_log_off_all());
        m.finish(Some(&SessionsChanged {
            action: SessionAction::LogOff,
            id: None,
        }));
        assert!(m.is_empty() && !m.can_log_off_all() && m.busy.is_none());
        assert!(m.worth_showing(), "the user ended the last session here");
        assert!(!RunningModel::new(RunningSessions::default()).worth_showing());
        let skipped = RunningSessions {
            skipped: 1,
            ..RunningSessions::default()
        };
        assert!(!RunningModel::new(skipped).worth_showing());
    }
}
