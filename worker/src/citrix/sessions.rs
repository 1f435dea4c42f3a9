//! The store's running sessions (Workspace Control), read as leniently as the catalogue
//! (`workspace.rs`' rules): `null` or absent optional values are absent, unknown fields are
//! ignored, ids and times may be numbers or strings, states come in any case, and a session
//! that does not parse, has no id or repeats one is skipped and reported, never fatal.
//!
//! The public sources name no shapes for the Workspace API's sessions beyond
//! `POST sessions/$logoff` (`reference/workspace-api.md` §3); the fields read here are those the
//! emulator serves (its `store/sessions.rs` says why), each optional but the id.

use portal_shared::api::{RunningSession, RunningSessions, SessionAction, SessionState};
use serde::{Deserialize, Deserializer};

use crate::citrix::device::DeviceId;
use crate::citrix::workspace::{Items, Skipped, lenient_number, or_default};

/// The discovery endpoint (service `store`) that lists the user's sessions.
pub const LIST: &str = "ListSessions";

/// The discovery endpoint (service `store`) that carries out `action` on all of the user's
/// sessions.
pub fn all_endpoint(action: SessionAction) -> &'static str {
    match action {
        SessionAction::Disconnect => "DisconnectSessions",
        SessionAction::LogOff => "LogoffSessions",
    }
}

/// The store's answer to `ListSessions`: `{"sessions": [...]}`, or the bare list a .NET action
/// returning a collection writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionList {
    /// The sessions that parsed, and the ones that did not.
    pub sessions: Items<Session>,
}

impl<'de> Deserialize<'de> for SessionList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped {
            #[serde(default)]
            sessions: Items<Session>,
        }
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        let sessions = if raw.get().trim_start().starts_with('[') {
            serde_json::from_str::<Items<Session>>(raw.get())
        } else {
            serde_json::from_str::<Wrapped>(raw.get()).map(|w| w.sessions)
        };
        sessions
            .map(|sessions| SessionList { sessions })
            .map_err(serde::de::Error::custom)
    }
}

/// One listed session.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The session's id (a string or a number).
    #[serde(default, deserialize_with = "lenient_text")]
    id: Option<String>,
    /// The same under the name StoreFront and the DaaS API use.
    #[serde(default, deserialize_with = "lenient_text")]
    session_id: Option<String>,
    /// The resource running in it.
    #[serde(default)]
    resource_id: Option<String>,
    /// What runs in it, by name.
    #[serde(default)]
    name: Option<String>,
    /// `active`, `disconnected`, in any case.
    #[serde(default)]
    state: Option<String>,
    /// The device's name as its launch gave it.
    #[serde(default)]
    client_name: Option<String>,
    /// The device's id as its launch gave it.
    #[serde(default)]
    device_id: Option<String>,
    /// When it started, Unix seconds.
    #[serde(default, deserialize_with = "lenient_number")]
    start_time: Option<u64>,
    /// Its actions.
    #[serde(default, deserialize_with = "or_default")]
    links: SessionLinks,
}

/// A session's hypermedia links.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLinks {
    /// Disconnect this session (POST).
    #[serde(default)]
    pub disconnect_url: Option<String>,
    /// Log this session off (POST).
    #[serde(default)]
    pub logoff_url: Option<String>,
}

impl SessionLinks {
    /// The link that carries out `action`, if the store gave one.
    pub fn of(&self, action: SessionAction) -> Option<&str> {
        match action {
            SessionAction::Disconnect => self.disconnect_url.as_deref(),
            SessionAction::LogOff => self.logoff_url.as_deref(),
        }
        .filter(|u| !u.is_empty())
    }
}

/// A string, or a number as its text; `null`, absent or anything else is absent.
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

fn state(text: Option<&str>) -> SessionState {
    match text.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("active" | "connected") => SessionState::Active,
        Some("disconnected") => SessionState::Disconnected,
        _ => SessionState::Unknown,
    }
}

/// What the single-page app is told, with each session's links by id and what was skipped.
/// `device` is this browser's id; `all` says which actions the store offers on all sessions.
pub fn build(
    list: SessionList,
    device: &DeviceId,
    all: impl Fn(SessionAction) -> bool,
) -> (RunningSessions, Vec<(String, SessionLinks)>, Vec<Skipped>) {
    let mut skipped = list.sessions.skipped;
    let mut links: Vec<(String, SessionLinks)> = Vec::new();
    let mut sessions = Vec::with_capacity(list.sessions.good.len());
    for s in list.sessions.good {
        let Some(id) = s.id.or(s.session_id).filter(|id| !id.is_empty()) else {
            skipped.push(Skipped {
                id: s.resource_id,
                error: "a session has no id".into(),
            });
            continue;
        };
        // In a path, `.` and `..` are steps, not names: `/api/sessions/./logoff` reaches the
        // server as `/api/sessions/logoff`, the log-off of every session.
        if id == "." || id == ".." {
            skipped.push(Skipped {
                id: Some(id),
                error: "a session id that no address can carry".into(),
            });
            continue;
        }
        if links.iter().any(|(known, _)| *known == id) {
            skipped.push(Skipped {
                id: Some(id),
                error: "a session repeats an id already listed".into(),
            });
            continue;
        }
        let device_name = s
            .device_id
            .filter(|d| !d.is_empty())
            .or(s.client_name.filter(|d| !d.is_empty()));
        sessions.push(RunningSession {
            id: id.clone(),
            resource_id: s.resource_id.filter(|r| !r.is_empty()),
            name: s.name.filter(|n| !n.trim().is_empty()),
            state: state(s.state.as_deref()),
            this_device: device_name.as_deref() == Some(device.as_str()),
            device: device_name,
            started_at: s.start_time,
            can_disconnect: s.links.of(SessionAction::Disconnect).is_some(),
            can_log_off: s.links.of(SessionAction::LogOff).is_some(),
        });
        links.push((id, s.links));
    }
    let view = RunningSessions {
        skipped: u32::try_from(skipped.len()).unwrap_or(u32::MAX),
        can_disconnect_all: all(SessionAction::Disconnect),
        can_log_off_all: all(SessionAction::LogOff),
        sessions,
    };
    (view, links, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device() -> DeviceId {
        DeviceId::parse("WPABCDEFGHIJKLM").expect("a device id")
    }

    fn built(json: &str) -> (RunningSessions, Vec<(String, SessionLinks)>, Vec<Skipped>) {
        build(serde_json::from_str(json).expect("JSON"), &device(), |a| {
            a == SessionAction::LogOff
        })
    }

    #[test]
    fn the_dotnet_form_is_read_and_the_ghost_without_an_id_is_skipped() {
        let (view, links, skipped) = built(
            r#"{"sessions":[
              {"id":"HDX a1/word","resourceId":"word","name":"Microsoft Word","state":"Active",
               "clientName":null,"deviceId":"WPABCDEFGHIJKLM","startTime":"1764547200",
               "protocol":"HDX","serverName":null,
               "links":{"logoffUrl":"https://s/l","disconnectUrl":"https://s/d","shadowUrl":null}},
              {"id":7,"resourceId":"retired","state":"DISCONNECTED","clientName":"kiosk-3",
               "startTime":null,"links":{"logoffUrl":"https://s/l7","disconnectUrl":null}},
              {"id":null,"resourceId":null,"state":"Unknown","links":null}
            ],"nextPageToken":null}"#,
        );
        assert_eq!(view.sessions.len(), 2);
        let w = &view.sessions[0];
        assert_eq!(w.id, "HDX a1/word");
        assert_eq!(w.state, SessionState::Active);
        assert!(w.this_device && w.can_disconnect && w.can_log_off);
        assert_eq!(w.started_at, Some(1_764_547_200));
        let r = &view.sessions[1];
        assert_eq!((r.id.as_str(), r.state), ("7", SessionState::Disconnected));
        assert_eq!(r.device.as_deref(), Some("kiosk-3"));
        assert!(!r.this_device && !r.can_disconnect && r.can_log_off);
        assert_eq!((r.name.as_deref(), r.started_at), (None, None));
        assert_eq!(view.skipped, 1);
        assert_eq!(skipped[0].error, "a session has no id");
        assert!(view.can_log_off_all && !view.can_disconnect_all);
        assert_eq!(links[1].1.of(SessionAction::LogOff), Some("https://s/l7"));
        assert_eq!(links[1].1.of(SessionAction::Disconnect), None);
    }

    #[test]
    fn a_bad_session_costs_only_itself() {
        let (view, _, skipped) = built(
            r#"{"sessions":[
              {"id":"a","state":"reconnecting","links":"not-an-object"},
              {"id":"b","state":"active"},
              {"id":"b","state":"disconnected"},
              {"sessionId":"c","state":" Disconnected "}
            ]}"#,
        );
        let ids: Vec<_> = view.sessions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"]);
        assert_eq!(view.sessions[1].state, SessionState::Disconnected);
        assert_eq!(view.skipped, 2);
        assert_eq!(skipped[0].id.as_deref(), Some("a"));
        assert!(skipped[1].error.contains("repeats"), "{:?}", skipped[1]);
    }

    #[test]
    fn an_unknown_state_is_unknown_and_an_empty_or_null_list_is_empty() {
        let (view, _, _) = built(r#"{"sessions":[{"id":"x","state":"Reconnecting"}]}"#);
        assert_eq!(view.sessions[0].state, SessionState::Unknown);
        assert!(!view.sessions[0].can_log_off);
        for empty in [r#"{"sessions":null}"#, "{}", r#"{"sessions":[]}"#] {
            assert!(built(empty).0.sessions.is_empty(), "{empty}");
        }
    }

    #[test]
    fn ids_that_are_path_steps_are_skipped_so_one_session_never_names_all() {
        let (view, links, skipped) = built(
            r#"{"sessions":[{"id":".","state":"active"},{"id":"..","state":"active"},{"id":"a.b","state":"active"}]}"#,
        );
        let ids: Vec<_> = view.sessions.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a.b"]);
        assert_eq!(links.len(), 1);
        assert_eq!((view.skipped, skipped.len()), (2, 2));
    }

    #[test]
    fn a_bare_list_is_read_and_what_is_no_list_does_not_parse() {
        let (view, _, _) = built(r#"[{"id":"a","state":"active"},{"id":"b"}]"#);
        assert_eq!(view.sessions.len(), 2);
        for bad in [
            r#"{"sessions":"none"}"#,
            r#""text""#,
            "7",
            r#"{"sessions":{}}"#,
        ] {
            assert!(serde_json::from_str::<SessionList>(bad).is_err(), "{bad}");
        }
    }
}
