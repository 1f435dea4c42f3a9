//! Running sessions through the worker, over real HTTP, in the `bff` suite's stack: list,
//! disconnect and log off one or all, reconnect by launching, a malformed list, CSRF.

use portal_e2e::Result;
use portal_e2e::stack::Stack;
use portal_e2e::suite::{Test, check};
use portal_e2e::visitor::{DEVICE_COOKIE, Visitor, expect_error, ok_json, status_json};
use reqwest::Method;
use serde_json::{Value, json};
use workspace_emulator::{Fault, FaultKind, HdxSession, demo};

use crate::bff::{launch, redeem};

const OTHER_DEVICE: &str = "WPOTHERDEVICE12";

/// The tests, appended to the `bff` suite's.
pub fn tests() -> Vec<(&'static str, Test<Stack>)> {
    vec![
        (
            "running_sessions_are_listed_disconnected_and_logged_off",
            |s| Box::pin(running_sessions_are_listed_disconnected_and_logged_off(s)),
        ),
        (
            "running_sessions_all_at_once_touch_only_the_users_own",
            |s| Box::pin(running_sessions_all_at_once_touch_only_the_users_own(s)),
        ),
        (
            "running_session_reconnect_is_a_launch_that_brings_it_here",
            |s| Box::pin(running_session_reconnect_is_a_launch_that_brings_it_here(s)),
        ),
        (
            "running_session_list_malformed_is_a_clear_error_and_changes_nothing",
            |s| Box::pin(running_session_list_malformed_is_a_clear_error_and_changes_nothing(s)),
        ),
        ("running_session_actions_need_the_csrf_header", |s| {
            Box::pin(running_session_actions_need_the_csrf_header(s))
        }),
    ]
}

/// Alice signed in, with no sessions left from other tests; her device id.
async fn alice(stack: &Stack) -> Result<(Visitor, String)> {
    let u = &demo::USERS[0];
    stack.emulator.end_hdx_sessions(u.username);
    let v = Visitor::signed_in(&stack.portal, u.username, u.password).await?;
    let device = v.cookie(DEVICE_COOKIE).ok_or("no device cookie")?;
    Ok((v, device))
}

fn of(stack: &Stack, id: &str) -> Option<HdxSession> {
    stack
        .emulator
        .hdx_sessions()
        .into_iter()
        .find(|s| s.id == id)
}

fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn listed<'a>(list: &'a Value, id: &str) -> Result<&'a Value> {
    list["sessions"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .ok_or_else(|| format!("{id} not listed: {list}"))
}

async fn running_sessions_are_listed_disconnected_and_logged_off(stack: &Stack) -> Result<()> {
    let (v, device) = alice(stack).await?;
    let word = stack.emulator.start_hdx_session("alice", "word", &device);
    let desk = stack
        .emulator
        .start_hdx_session("alice", "eng-workstation", OTHER_DEVICE);
    let retired = stack
        .emulator
        .start_hdx_session("alice", "retired-app", OTHER_DEVICE);
    let list = v.json("/api/sessions").await?;
    // The .NET profile's ghosts (no id, and `.`, which in a path would mean every session)
    // are skipped and counted; the rest are shown.
    check(list["sessions"].as_array().map(Vec::len) == Some(3), || {
        list.to_string()
    })?;
    check(list["skipped"] == 2, || list.to_string())?;
    check(
        list["canDisconnectAll"] == true && list["canLogOffAll"] == true,
        || list.to_string(),
    )?;
    let w = listed(&list, &word)?;
    check(
        w["state"] == "active" && w["thisDevice"] == true && w["resourceId"] == "word",
        || w.to_string(),
    )?;
    let d = listed(&list, &desk)?;
    check(
        d["thisDevice"] == false && d["device"] == OTHER_DEVICE && d["startedAt"].is_u64(),
        || d.to_string(),
    )?;
    check(listed(&list, &retired)?["name"].is_null(), || {
        list.to_string()
    })?;
    // Disconnect one, by the id the list gave (it needs encoding: a space and a slash).
    let path = |id: &str, act: &str| format!("/api/sessions/{}/{act}", encode(id));
    let done = ok_json(v.send(Method::POST, &path(&desk, "disconnect")).await?).await?;
    check(done == json!({"action": "disconnect", "id": desk}), || {
        done.to_string()
    })?;
    check(of(stack, &desk).is_some_and(|s| s.disconnected), || {
        "not disconnected".into()
    })?;
    // Again: the request is fine, the session (disconnected now) is not offered it.
    let again = v.send(Method::POST, &path(&desk, "disconnect")).await?;
    expect_error(again, 409, "conflict").await?;
    let after = v.json("/api/sessions").await?;
    let d = listed(&after, &desk)?;
    check(
        d["state"] == "disconnected" && d["canDisconnect"] == false,
        || d.to_string(),
    )?;
    // Log off one: gone; a second time it is unknown.
    let done = ok_json(v.send(Method::POST, &path(&retired, "logoff")).await?).await?;
    check(done["action"] == "logOff", || done.to_string())?;
    check(of(stack, &retired).is_none(), || "still there".into())?;
    expect_error(
        v.send(Method::POST, &path(&retired, "logoff")).await?,
        404,
        "not_found",
    )
    .await?;
    expect_error(
        v.send(Method::POST, &path("made-up", "logoff")).await?,
        404,
        "not_found",
    )
    .await?;
    // The worker acted by the store's own links: one segment, encoded as the store wrote it.
    let log = stack.emulator.transaction_log();
    check(
        log.iter().any(|l| {
            l.method == "POST" && l.path.ends_with("/$disconnect") && l.path.contains("HDX%20")
        }),
        || "no disconnect by the session's link".into(),
    )?;
    check(of(stack, &word).is_some(), || {
        "an untouched session went".into()
    })
}

async fn running_sessions_all_at_once_touch_only_the_users_own(stack: &Stack) -> Result<()> {
    let (v, device) = alice(stack).await?;
    stack.emulator.end_hdx_sessions("bob");
    let bobs = stack
        .emulator
        .start_hdx_session("bob", "excel", "WPBOBSDEVICE123");
    stack.emulator.start_hdx_session("alice", "word", &device);
    stack
        .emulator
        .start_hdx_session("alice", "excel", OTHER_DEVICE);
    let done = ok_json(v.send(Method::POST, "/api/sessions/disconnect").await?).await?;
    check(done == json!({"action": "disconnect", "id": null}), || {
        done.to_string()
    })?;
    let mine = |s: &HdxSession| s.user == "alice";
    let all = stack.emulator.hdx_sessions();
    check(
        all.iter().filter(|s| mine(s)).all(|s| s.disconnected)
            && all.iter().filter(|s| mine(s)).count() == 2,
        || format!("{all:?}"),
    )?;
    ok_json(v.send(Method::POST, "/api/sessions/logoff").await?).await?;
    let left = stack.emulator.hdx_sessions();
    check(
        !left.iter().any(mine) && of(stack, &bobs).is_some_and(|s| !s.disconnected),
        || format!("{left:?}"),
    )?;
    let list = v.json("/api/sessions").await?;
    check(list["sessions"] == json!([]), || list.to_string())?;
    stack.emulator.end_hdx_sessions("bob");
    Ok(())
}

async fn running_session_reconnect_is_a_launch_that_brings_it_here(stack: &Stack) -> Result<()> {
    let (v, device) = alice(stack).await?;
    let word = stack
        .emulator
        .start_hdx_session("alice", "word", OTHER_DEVICE);
    ok_json(
        v.send(
            Method::POST,
            &format!("/api/sessions/{}/disconnect", encode(&word)),
        )
        .await?,
    )
    .await?;
    // Reconnect: the app launches the resource again; Workspace app redeems the ticket.
    let (_, end) = launch(&v, "word").await?;
    redeem(stack, &end).await?;
    let list = v.json("/api/sessions").await?;
    let w = listed(&list, &word)?;
    check(
        w["state"] == "active" && w["thisDevice"] == true && w["device"] == device.as_str(),
        || w.to_string(),
    )?;
    check(list["sessions"].as_array().map(Vec::len) == Some(1), || {
        format!("a second session instead of the same one: {list}")
    })
}

async fn running_session_list_malformed_is_a_clear_error_and_changes_nothing(
    stack: &Stack,
) -> Result<()> {
    let (v, _) = alice(stack).await?;
    let word = stack
        .emulator
        .start_hdx_session("alice", "word", OTHER_DEVICE);
    for kind in [FaultKind::MalformedJson, FaultKind::TruncatedBody] {
        stack.emulator.clear_faults();
        stack.emulator.inject(Fault {
            path: "/citrixapi/store/sessions".into(),
            method: Some("GET".into()),
            kind: kind.clone(),
            times: None,
        });
        let (status, body) = status_json(v.get("/api/sessions").await?).await;
        check(
            status == 502
                && (body["code"] == "upstream_malformed" || body["code"] == "upstream_unavailable")
                && body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("sessions")),
            || format!("{kind:?}: {status} {body}"),
        )?;
        // An action finds its link in a fresh list: with none to read, nothing is done.
        let r = v
            .send(
                Method::POST,
                &format!("/api/sessions/{}/logoff", encode(&word)),
            )
            .await?;
        check(r.status() == 502, || {
            format!("{kind:?}: logoff answered {}", r.status())
        })?;
        check(of(stack, &word).is_some(), || "the session went".into())?;
    }
    stack.emulator.clear_faults();
    // A refused action says so, and the session is still there.
    stack.emulator.inject(Fault {
        path: "/citrixapi/store/sessions/".into(),
        method: Some("POST".into()),
        kind: FaultKind::Status { status: 500 },
        times: Some(1),
    });
    let r = v
        .send(
            Method::POST,
            &format!("/api/sessions/{}/logoff", encode(&word)),
        )
        .await?;
    expect_error(r, 502, "upstream_unavailable").await?;
    stack.emulator.clear_faults();
    check(of(stack, &word).is_some(), || "the session went".into())?;
    // The session of the portal survived all of it.
    ok_json(v.get("/api/session").await?).await.map(|_| ())
}

async fn running_session_actions_need_the_csrf_header(stack: &Stack) -> Result<()> {
    let (v, _) = alice(stack).await?;
    let word = stack
        .emulator
        .start_hdx_session("alice", "word", OTHER_DEVICE);
    let one = format!("/api/sessions/{}/logoff", encode(&word));
    for path in [
        one.as_str(),
        "/api/sessions/logoff",
        "/api/sessions/disconnect",
    ] {
        for headers in [
            vec![],
            vec![("X-Portal-Csrf", "1"), ("Sec-Fetch-Site", "cross-site")],
        ] {
            let r = v.request(Method::POST, path, &headers).await?;
            expect_error(r, 403, "csrf_rejected")
                .await
                .map_err(|e| format!("{path} with {headers:?}: {e}"))?;
        }
    }
    check(of(stack, &word).is_some_and(|s| !s.disconnected), || {
        "a refused request changed the session".into()
    })?;
    stack.emulator.end_hdx_sessions("alice");
    Ok(())
}
