//! The worker as a backend-for-frontend, over real HTTP: `wrangler dev` (workerd) against the
//! emulator, with the emulator misbehaving on purpose. Each DESIGN.md rule has a test here that
//! fails if the rule is broken. `-- NAME` runs the tests whose name contains NAME.

use std::time::{Duration, Instant};

use crate::bff_sessions;
use portal_e2e::Result;
use portal_e2e::stack::{Options, SESSION_KEY, Stack};
use portal_e2e::suite::{self, Test, check};
use portal_e2e::visitor::{
    CSRF, DEVICE_COOKIE, SESSION_COOKIE, Visitor, expect_error, header, location, ok_json,
    status_json,
};
use reqwest::Method;
use serde_json::{Value, json};
use workspace_emulator::{
    BadTokenStyle, Fault, FaultKind, LaunchForm, LinkGeneration, Profile, Settings, demo,
};

fn tests() -> Vec<(&'static str, Test<Stack>)> {
    vec![
        ("csrf_is_required_on_every_state_changing_route", |s| {
            Box::pin(csrf_is_required_on_every_state_changing_route(s))
        }),
        ("security_headers_on_api_auth_and_the_spa", |s| {
            Box::pin(security_headers_on_api_auth_and_the_spa(s))
        }),
        (
            "session_cookie_is_strict_host_only_and_new_at_each_sign_in",
            |s| {
                Box::pin(session_cookie_is_strict_host_only_and_new_at_each_sign_in(
                    s,
                ))
            },
        ),
        ("return_to_only_leads_to_same_origin_paths", |s| {
            Box::pin(return_to_only_leads_to_same_origin_paths(s))
        }),
        ("the_callback_is_single_use_and_bound_to_the_browser", |s| {
            Box::pin(the_callback_is_single_use_and_bound_to_the_browser(s))
        }),
        ("denied_consent_becomes_a_readable_page", |s| {
            Box::pin(denied_consent_becomes_a_readable_page(s))
        }),
        ("a_disabled_client_at_the_code_exchange_is_explained", |s| {
            Box::pin(a_disabled_client_at_the_code_exchange_is_explained(s))
        }),
        (
            "parallel_requests_with_an_expired_token_share_one_refresh",
            |s| Box::pin(parallel_requests_with_an_expired_token_share_one_refresh(s)),
        ),
        ("a_refused_token_is_refreshed_once_in_either_style", |s| {
            Box::pin(a_refused_token_is_refreshed_once_in_either_style(s))
        }),
        ("a_dead_grant_ends_the_session", |s| {
            Box::pin(a_dead_grant_ends_the_session(s))
        }),
        ("both_link_generations_and_launch_forms_launch", |s| {
            Box::pin(both_link_generations_and_launch_forms_launch(s))
        }),
        ("launch_failures_carry_the_reason_and_restart_advice", |s| {
            Box::pin(launch_failures_carry_the_reason_and_restart_advice(s))
        }),
        ("launch_handles_are_opaque_and_per_session", |s| {
            Box::pin(launch_handles_are_opaque_and_per_session(s))
        }),
        ("an_early_poll_waits_for_the_stores_poll_timeout", |s| {
            Box::pin(an_early_poll_waits_for_the_stores_poll_timeout(s))
        }),
        ("preferences_are_kept_per_user_across_sign_ins", |s| {
            Box::pin(preferences_are_kept_per_user_across_sign_ins(s))
        }),
        ("a_choice_saved_during_a_token_refresh_is_kept", |s| {
            Box::pin(a_choice_saved_during_a_token_refresh_is_kept(s))
        }),
        (
            "web_apps_open_only_at_an_https_address_the_store_gave",
            |s| Box::pin(web_apps_open_only_at_an_https_address_the_store_gave(s)),
        ),
        ("upstream_failures_become_clear_errors", |s| {
            Box::pin(upstream_failures_become_clear_errors(s))
        }),
        ("favourites_are_added_and_removed", |s| {
            Box::pin(favourites_are_added_and_removed(s))
        }),
        ("the_ica_file_downloads_as_an_attachment", |s| {
            Box::pin(the_ica_file_downloads_as_an_attachment(s))
        }),
        ("launches_carry_the_browsers_device_id", |s| {
            Box::pin(launches_carry_the_browsers_device_id(s))
        }),
        (
            "every_workspace_call_names_the_application_and_a_transaction",
            |s| Box::pin(every_workspace_call_names_the_application_and_a_transaction(s)),
        ),
        ("icons_are_served_from_the_edge_cache", |s| {
            Box::pin(icons_are_served_from_the_edge_cache(s))
        }),
        (
            "logout_revokes_the_refresh_token_and_clears_the_cookie",
            |s| Box::pin(logout_revokes_the_refresh_token_and_clears_the_cookie(s)),
        ),
        ("a_dotnet_shaped_tenant_is_read_leniently", |s| {
            Box::pin(a_dotnet_shaped_tenant_is_read_leniently(s))
        }),
        ("a_redirect_to_another_origin_is_never_followed", |s| {
            Box::pin(a_redirect_to_another_origin_is_never_followed(s))
        }),
        ("an_upstream_that_hangs_times_out", |s| {
            Box::pin(an_upstream_that_hangs_times_out(s))
        }),
        (
            "sign_out_waits_for_a_refresh_in_flight_and_revokes_the_newest_token",
            |s| Box::pin(sign_out_waits_for_a_refresh_in_flight_and_revokes_the_newest_token(s)),
        ),
        (
            "signing_in_again_revokes_the_previous_sessions_refresh_token",
            |s| Box::pin(signing_in_again_revokes_the_previous_sessions_refresh_token(s)),
        ),
        ("a_ticket_is_fetched_only_for_the_portals_own_pages", |s| {
            Box::pin(a_ticket_is_fetched_only_for_the_portals_own_pages(s))
        }),
        ("an_unknown_id_does_not_enumerate_on_every_request", |s| {
            Box::pin(an_unknown_id_does_not_enumerate_on_every_request(s))
        }),
        // These restart the worker (same port, same stored state) with other settings.
        (
            "admin_rights_follow_subjects_and_verified_emails_at_every_request",
            |s| Box::pin(admin_rights_follow_subjects_and_verified_emails_at_every_request(s)),
        ),
        (
            "rotating_the_session_key_as_documented_keeps_every_session",
            |s| {
                Box::pin(rotating_the_session_key_as_documented_keeps_every_session(
                    s,
                ))
            },
        ),
        ("no_secret_or_token_is_stored_in_plain_text", |s| {
            Box::pin(no_secret_or_token_is_stored_in_plain_text(s))
        }),
        // Last: it reads the log of everything above.
        ("the_log_holds_no_secret_or_token", |s| {
            Box::pin(the_log_holds_no_secret_or_token(s))
        }),
    ]
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    vec![
        suite::run_on(
            "bff",
            tests().into_iter().chain(bff_sessions::tests()).collect(),
            Stack::spawn(Options::default()),
            Stack::reset,
        )
        .await,
    ]
}

/// A visitor signed in as alice.
async fn alice(stack: &Stack) -> Result<Visitor> {
    let u = &demo::USERS[0];
    Visitor::signed_in(&stack.portal, u.username, u.password).await
}

fn settings(stack: &Stack, change: impl FnOnce(&mut Settings)) {
    let mut s = stack.emulator.settings();
    change(&mut s);
    stack.emulator.set_settings(s);
}

fn fault(stack: &Stack, path: &str, kind: FaultKind, times: Option<u32>) {
    stack.emulator.inject(Fault {
        path: path.into(),
        method: None,
        kind,
        times,
    });
}

/// Asks the emulator to refuse alice's tokens: only the access tokens, or the whole grant.
async fn revoke_alice(stack: &Stack, access_only: bool) -> Result<()> {
    let r = reqwest::Client::new()
        .post(format!("{}/_emulator/revoke", stack.emulator.url()))
        .json(&json!({"user": "alice", "access_only": access_only}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status() == 200, || {
        format!("revoke answered {}", r.status())
    })
}

/// Launches a resource through the worker until it is ready, failed or 10 polls passed.
pub(crate) async fn launch(v: &Visitor, id: &str) -> Result<(Vec<String>, Value)> {
    let mut states = Vec::new();
    let mut answer = ok_json(
        v.send(Method::POST, &format!("/api/resources/{id}/launch"))
            .await?,
    )
    .await?;
    loop {
        let state = answer["state"].as_str().unwrap_or_default().to_owned();
        states.push(state.clone());
        if state != "pending" || states.len() > 10 {
            return Ok((states, answer));
        }
        let handle = answer["handle"].as_str().unwrap_or_default().to_owned();
        answer = ok_json(
            v.send(Method::POST, &format!("/api/launches/{handle}/poll"))
                .await?,
        )
        .await?;
    }
}

/// Redeems the ticket of a ready launch `end` as Citrix Workspace app does, which starts (or
/// reattaches) the HDX session.
pub(crate) async fn redeem(stack: &Stack, end: &Value) -> Result<()> {
    let ticket = ticket_of(end["receiverUri"].as_str().unwrap_or_default())?;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/citrixapi/store/client/icaFile",
            stack.emulator.url()
        ))
        .json(&json!({"ticket": ticket}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check(r.status() == 200, || {
        format!("redeem answered {}", r.status())
    })
}

fn ticket_of(receiver_uri: &str) -> Result<String> {
    url::Url::parse(&receiver_uri.replacen("receiver://", "http://", 1))
        .map_err(|e| e.to_string())?
        .query_pairs()
        .find(|(k, _)| k == "ticket")
        .map(|(_, t)| t.into_owned())
        .ok_or_else(|| format!("no ticket in {receiver_uri}"))
}

// ---------------------------------------------------------------- CSRF and headers

async fn csrf_is_required_on_every_state_changing_route(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    // Every state-changing route of the worker, and one that does not exist: the check comes
    // before routing, so no route can skip it.
    let routes = [
        (Method::POST, "/auth/logout"),
        (Method::POST, "/api/resources/word/launch"),
        (Method::POST, "/api/resources/intranet/open"),
        (Method::PUT, "/api/preferences"),
        (Method::POST, "/api/launches/anything/poll"),
        (Method::PUT, "/api/resources/word/favorite"),
        (Method::DELETE, "/api/resources/word/favorite"),
        (Method::POST, "/api/no-such-route"),
    ];
    for (method, path) in &routes {
        for headers in [
            vec![],
            vec![("X-Portal-Csrf", "0")],
            vec![CSRF, ("Sec-Fetch-Site", "cross-site")],
            vec![CSRF, ("Sec-Fetch-Site", "same-site")],
        ] {
            let r = v.request(method.clone(), path, &headers).await?;
            expect_error(r, 403, "csrf_rejected")
                .await
                .map_err(|e| format!("{method} {path} with {headers:?}: {e}"))?;
        }
    }
    // With the header the request is let through (and logout really ends the session).
    let r = v.send(Method::POST, "/auth/logout").await?;
    check(r.status() == 200, || {
        format!("logout answered {}", r.status())
    })
}

async fn security_headers_on_api_auth_and_the_spa(stack: &Stack) -> Result<()> {
    let v = Visitor::new(&stack.portal);
    for path in [
        "/api/session",
        "/api/resources",
        "/auth/login",
        "/",
        "/favicon.svg",
    ] {
        let r = v.get(path).await?;
        let h = r.headers();
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        check(get("x-content-type-options") == "nosniff", || {
            format!("{path}: no nosniff")
        })?;
        check(get("x-frame-options") == "DENY", || {
            format!("{path}: framing allowed")
        })?;
        check(get("referrer-policy") == "no-referrer", || {
            format!("{path}: referrer policy {:?}", get("referrer-policy"))
        })?;
        let csp = get("content-security-policy");
        check(csp.contains("frame-ancestors 'none'"), || {
            format!("{path}: CSP {csp:?}")
        })?;
        check(
            !csp.contains("script-src 'self' 'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
            || format!("{path}: CSP allows inline or eval script: {csp:?}"),
        )?;
        if path.starts_with("/api") {
            check(get("cache-control") == "no-store", || {
                format!("{path}: cacheable")
            })?;
        }
        check(get("cross-origin-resource-policy") == "same-origin", || {
            format!("{path}: readable by other sites' pages")
        })?;
        let hsts = get("strict-transport-security");
        check(
            hsts.contains("max-age=") && !hsts.contains("max-age=0"),
            || format!("{path}: HSTS {hsts:?}"),
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- sign-in

async fn session_cookie_is_strict_host_only_and_new_at_each_sign_in(stack: &Stack) -> Result<()> {
    let v = Visitor::new(&stack.portal);
    let start = v.get("/auth/login").await?;
    let login_cookie = start
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("__Host-Http-portal-login="))
        .map(str::to_owned)
        .ok_or("no login cookie")?;
    check(
        login_cookie.contains("SameSite=Lax")
            && login_cookie.contains("HttpOnly")
            && login_cookie.contains("Secure"),
        || login_cookie.clone(),
    )?;
    let authorize = url::Url::parse(&location(&start)?).map_err(|e| e.to_string())?;
    let q: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    for (k, want) in [
        ("response_type", Some("code")),
        ("code_challenge_method", Some("S256")),
        ("client_id", Some(demo::CLIENT_ID)),
        ("acr_values", Some("tenant:acme")),
        ("state", None),
        ("nonce", None),
        ("code_challenge", None),
    ] {
        let got = q.get(k);
        check(
            got.is_some() && want.is_none_or(|w| got.is_some_and(|g| g == w)),
            || format!("authorize {k} = {got:?}"),
        )?;
    }
    check(q["scope"].split(' ').any(|s| s == "offline_access"), || {
        format!("scope {:?}", q["scope"])
    })?;

    let a = alice(stack).await?;
    let first = a.cookie(SESSION_COOKIE).ok_or("no session")?;
    check(first.len() >= 43, || {
        format!("session id too short: {first}")
    })?;
    // Signing in again, from the same browser, issues a new id and ends the old session.
    let u = &demo::USERS[0];
    a.sign_in(u.username, u.password).await?;
    let second = a.cookie(SESSION_COOKIE).ok_or("no session")?;
    check(first != second, || {
        "the session id was not renewed at sign-in".into()
    })?;
    let old = Visitor::new(&stack.portal);
    let r = old
        .request(
            Method::GET,
            "/api/session",
            &[("Cookie", &format!("{SESSION_COOKIE}={first}"))],
        )
        .await?;
    expect_error(r, 401, "unauthenticated").await?;
    let info = a.json("/api/session").await?;
    check(
        info["user"]["name"] == u.display_name && info["logoutUrl"] == "/auth/logout",
        || info.to_string(),
    )?;
    check(!info.to_string().to_lowercase().contains("token"), || {
        format!("a token in the session answer: {info}")
    })
}

async fn return_to_only_leads_to_same_origin_paths(stack: &Stack) -> Result<()> {
    let u = &demo::USERS[0];
    for (asked, expected) in [
        ("/?view=desktops", "/?view=desktops"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("https:evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/auth/logout", "/"),
        ("/\u{0}x", "/"),
    ] {
        let v = Visitor::new(&stack.portal);
        let page = v.sign_in_at(asked, u.username, u.password).await?;
        let target = format!("0;url={}\"", expected.replace('&', "&amp;"));
        check(page.contains(&target), || {
            format!("returnTo {asked:?}: the page redirects elsewhere: {page}")
        })?;
    }
    Ok(())
}

async fn the_callback_is_single_use_and_bound_to_the_browser(stack: &Stack) -> Result<()> {
    let v = Visitor::new(&stack.portal);
    let start = v.get("/auth/login").await?;
    let authorize = location(&start)?;
    let params: Vec<(String, String)> = url::Url::parse(&authorize)
        .map_err(|e| e.to_string())?
        .query_pairs()
        .into_owned()
        .collect();
    let mut form = params.clone();
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), "wonderland".into()));
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?
        .post(format!(
            "{}/core/connect/authorize/login",
            stack.emulator.hosts().accounts
        ))
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let callback = location(&answer)?;
    // Another browser (no login cookie) cannot complete this sign-in.
    let thief = Visitor::new(&stack.portal);
    let r = thief.get(&callback).await?;
    check(r.status() == 400, || {
        format!(
            "a callback without the login cookie answered {}",
            r.status()
        )
    })?;
    check(thief.cookie(SESSION_COOKIE).is_none(), || {
        "the thief got a session".into()
    })?;
    // A tampered state fails; the transaction is then used up.
    let tampered = callback.replace("state=", "state=x");
    let r = v.get(&tampered).await?;
    check(
        r.status() == 400 && r.text().await.unwrap_or_default().contains("did not match"),
        || "tampered state accepted".into(),
    )?;
    let r = v.get(&callback).await?;
    check(
        r.status() == 400 && v.cookie(SESSION_COOKIE).is_none(),
        || "a used login transaction worked again".into(),
    )?;
    let referrer = header(&r, "referrer-policy");
    check(referrer == "no-referrer", || {
        format!("callback referrer policy {referrer:?}")
    })
}

async fn denied_consent_becomes_a_readable_page(stack: &Stack) -> Result<()> {
    let v = Visitor::new(&stack.portal);
    let start = v.get("/auth/login").await?;
    let authorize = url::Url::parse(&location(&start)?).map_err(|e| e.to_string())?;
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, s)| s.into_owned())
        .unwrap_or_default();
    let r = v
        .get(&format!("/auth/callback?error=access_denied&state={state}"))
        .await?;
    let status = r.status();
    let page = r.text().await.map_err(|e| e.to_string())?;
    check(
        status == 400
            && page.contains("Sign-in cancelled")
            && page.contains("data-testid=start-again"),
        || format!("{status}: {page}"),
    )
}

async fn a_disabled_client_at_the_code_exchange_is_explained(stack: &Stack) -> Result<()> {
    let v = Visitor::new(&stack.portal);
    let start = v.get("/auth/login").await?;
    let authorize = location(&start)?;
    let mut form: Vec<(String, String)> = url::Url::parse(&authorize)
        .map_err(|e| e.to_string())?
        .query_pairs()
        .into_owned()
        .collect();
    form.push(("username".into(), "alice".into()));
    form.push(("password".into(), "wonderland".into()));
    let emulator = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let answer = emulator
        .post(format!(
            "{}/core/connect/authorize/login",
            stack.emulator.hosts().accounts
        ))
        .form(&form)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let callback = location(&answer)?;
    let admin = |action: &'static str| {
        emulator
            .post(format!(
                "{}/admin/api/clients/{}/{action}",
                stack.emulator.url(),
                demo::CLIENT_ID
            ))
            .send()
    };
    admin("disable").await.map_err(|e| e.to_string())?;
    let r = v.get(&callback).await;
    admin("enable").await.map_err(|e| e.to_string())?;
    let page = r?.text().await.map_err(|e| e.to_string())?;
    check(
        page.contains("disabled or deleted") && page.contains("administrator"),
        || page.clone(),
    )
}

// ---------------------------------------------------------------- tokens

async fn parallel_requests_with_an_expired_token_share_one_refresh(stack: &Stack) -> Result<()> {
    // Tokens that expire at once…
    settings(stack, |s| s.access_token_ttl_secs = 2);
    let v = alice(stack).await?;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // …and refreshed ones that last.
    settings(stack, |s| s.access_token_ttl_secs = 3600);
    let before = stack.emulator.refresh_requests();
    let answers = futures::future::join_all((0..50).map(|_| v.get("/api/resources"))).await;
    let mut ok = 0;
    for a in answers {
        let r = a?;
        if r.status() == 200 {
            ok += 1;
        } else {
            return Err(format!(
                "a parallel request failed: {} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ));
        }
    }
    let refreshes = stack.emulator.refresh_requests() - before;
    check(ok == 50 && refreshes == 1, || {
        format!("{ok} of 50 succeeded with {refreshes} refreshes (expected exactly 1)")
    })?;
    // The rotated refresh token was kept: a later refresh works (reuse would revoke the grant).
    revoke_alice(stack, true).await?;
    ok_json(v.get("/api/resources").await?).await.map(|_| ())
}

async fn a_refused_token_is_refreshed_once_in_either_style(stack: &Stack) -> Result<()> {
    for style in [
        BadTokenStyle::InvalidGrant400,
        BadTokenStyle::Unauthorized401,
    ] {
        settings(stack, |s| s.bad_token = style);
        let v = alice(stack).await?;
        revoke_alice(stack, true).await?;
        let before = stack.emulator.refresh_requests();
        let catalogue = ok_json(v.get("/api/resources").await?)
            .await
            .map_err(|e| format!("{style:?}: {e}"))?;
        check(
            catalogue["resources"]
                .as_array()
                .is_some_and(|r| r.len() == 40),
            || catalogue.to_string(),
        )?;
        let refreshes = stack.emulator.refresh_requests() - before;
        check(refreshes == 1, || {
            format!("{style:?}: {refreshes} refreshes")
        })?;
    }
    Ok(())
}

async fn a_dead_grant_ends_the_session(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    revoke_alice(stack, false).await?;
    expect_error(v.get("/api/resources").await?, 401, "session_expired").await?;
    // The session is gone, not half-alive.
    expect_error(v.get("/api/session").await?, 401, "unauthenticated").await?;
    Ok(())
}

// ---------------------------------------------------------------- launch

async fn both_link_generations_and_launch_forms_launch(stack: &Stack) -> Result<()> {
    for (links, form) in [
        (LinkGeneration::Legacy, LaunchForm::Seed),
        (LinkGeneration::Current, LaunchForm::Seed),
        (LinkGeneration::Legacy, LaunchForm::Sample),
        (LinkGeneration::Current, LaunchForm::Sample),
    ] {
        settings(stack, |s| {
            s.links = links;
            s.launch_form = form;
        });
        let v = alice(stack).await?;
        ok_json(v.get("/api/resources").await?).await?;
        let (states, end) = launch(&v, "win11-desktop")
            .await
            .map_err(|e| format!("{links:?}/{form:?}: {e}"))?;
        check(states == ["pending", "ready"], || {
            format!("{links:?}/{form:?}: states {states:?}, last {end}")
        })?;
        check(
            end["receiverUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("receiver://")),
            || end.to_string(),
        )?;
        check(
            !end.to_string().contains("retryUrl")
                && !end.to_string().contains("citrixapi/store/launch"),
            || format!("an upstream URL reached the browser: {end}"),
        )?;
    }
    Ok(())
}

async fn launch_failures_carry_the_reason_and_restart_advice(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let (states, end) = launch(&v, "lab-desktop").await?;
    check(states == ["pending", "failed"], || {
        format!("states {states:?}")
    })?;
    check(
        end["code"] == "UnavailableDesktop" && end["suggestRestart"] == true,
        || end.to_string(),
    )?;
    check(
        end["message"]
            .as_str()
            .is_some_and(|m| m.contains("available")),
        || end.to_string(),
    )?;
    Ok(())
}

/// The store says when to ask again (`pollTimeout`); a client that polls at once must not make
/// the worker ask it sooner: the poll waits, then asks once.
async fn an_early_poll_waits_for_the_stores_poll_timeout(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    // The worker's clock for the wait starts while the launch is handled: time from before it,
    // so a slow answer on a busy machine does not look like a short wait.
    let t0 = Instant::now();
    let first = ok_json(
        v.send(Method::POST, "/api/resources/eng-workstation/launch")
            .await?,
    )
    .await?;
    let (Some(handle), Some(after)) = (first["handle"].as_str(), first["retryAfterSecs"].as_u64())
    else {
        return Err(format!("not pending: {first}"));
    };
    check(after >= 1, || format!("retryAfterSecs {after}"))?;
    let asked = |log: &[workspace_emulator::LoggedRequest]| {
        log.iter().filter(|l| l.path.contains("launch")).count()
    };
    let before = asked(&stack.emulator.transaction_log());
    let answer = ok_json(
        v.send(Method::POST, &format!("/api/launches/{handle}/poll"))
            .await?,
    )
    .await?;
    let waited = t0.elapsed();
    let calls = asked(&stack.emulator.transaction_log()) - before;
    check(waited >= Duration::from_secs(after) && calls == 1, || {
        format!("an immediate poll answered after {waited:?} with {calls} store calls: {answer}")
    })
}

async fn launch_handles_are_opaque_and_per_session(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let first = ok_json(
        v.send(Method::POST, "/api/resources/eng-workstation/launch")
            .await?,
    )
    .await?;
    let handle = first["handle"]
        .as_str()
        .ok_or_else(|| format!("no handle: {first}"))?
        .to_owned();
    check(handle.len() >= 32 && !handle.contains('/'), || {
        format!("handle {handle:?}")
    })?;
    let other = alice(stack).await?;
    expect_error(
        other
            .send(Method::POST, &format!("/api/launches/{handle}/poll"))
            .await?,
        404,
        "not_found",
    )
    .await?;
    expect_error(
        v.send(Method::POST, "/api/launches/made-up/poll").await?,
        404,
        "not_found",
    )
    .await?;
    expect_error(
        v.send(Method::POST, "/api/resources/no-such-app/launch")
            .await?,
        404,
        "not_found",
    )
    .await?;
    Ok(())
}

/// Saves `launch` as the visitor's way to open launches; the worker's answer.
async fn choose_launch(v: &Visitor, launch: &str) -> Result<Value> {
    let body = json!({ "launch": launch }).to_string();
    ok_json(v.send_json(Method::PUT, "/api/preferences", &body).await?).await
}

/// How the visitor's session says launches open.
async fn launch_preference(v: &Visitor) -> Result<Value> {
    Ok(ok_json(v.get("/api/session").await?).await?["preferences"]["launch"].clone())
}

async fn preferences_are_kept_per_user_across_sign_ins(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    check(launch_preference(&v).await? == "workspaceApp", || {
        "alice does not start with the default".into()
    })?;
    let too_large = format!(r#"{{"launch":"{}"}}"#, "x".repeat(2000));
    for bad in ["not json", r#"{"launch": 5}"#, too_large.as_str()] {
        expect_error(
            v.send_json(Method::PUT, "/api/preferences", bad).await?,
            400,
            "bad_request",
        )
        .await
        .map_err(|e| format!("{bad:.40}: {e}"))?;
    }
    let saved = choose_launch(&v, "icaFile").await?;
    check(saved == json!({"launch": "icaFile"}), || saved.to_string())?;
    let outcome = async {
        check(launch_preference(&v).await? == "icaFile", || {
            "the session did not keep it".into()
        })?;
        // Signed in again elsewhere: the same choice. Another user: their own.
        let again = alice(stack).await?;
        check(launch_preference(&again).await? == "icaFile", || {
            "a new sign-in did not start with it".into()
        })?;
        let u = &demo::USERS[1];
        let other = Visitor::signed_in(&stack.portal, u.username, u.password).await?;
        check(launch_preference(&other).await? == "workspaceApp", || {
            format!("{} got alice's choice", u.username)
        })
    }
    .await;
    // Back to the default for the tests that follow.
    choose_launch(&v, "workspaceApp").await?;
    outcome
}

/// A token refresh waiting on the network does not write back the session as it was before:
/// a choice saved meanwhile is still the session's afterwards.
async fn a_choice_saved_during_a_token_refresh_is_kept(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    ok_json(v.get("/api/resources").await?).await?;
    // The store now refuses alice's access token, so the next catalogue call refreshes it; the
    // refresh is answered 1.5 s late, and the choice is saved in the middle of it.
    revoke_alice(stack, true).await?;
    fault(
        stack,
        "/core/connect/token",
        FaultKind::LateAnswer { ms: 1_500 },
        Some(1),
    );
    let refreshes = stack.emulator.refresh_requests();
    let choose = async {
        refresh_started(stack, refreshes).await;
        choose_launch(&v, "icaFile").await
    };
    let (catalogue, chosen) = tokio::join!(
        async { ok_json(v.get("/api/resources").await?).await },
        choose
    );
    let outcome = async {
        catalogue?;
        chosen?;
        check(stack.emulator.refresh_requests() > refreshes, || {
            "no refresh was in flight: the race did not happen".into()
        })?;
        check(launch_preference(&v).await? == "icaFile", || {
            "the refresh wrote back the session from before the choice".into()
        })
    }
    .await;
    // Back to the default for the tests that follow.
    choose_launch(&v, "workspaceApp").await?;
    outcome
}

async fn web_apps_open_only_at_an_https_address_the_store_gave(stack: &Stack) -> Result<()> {
    // The .NET profile answers a web app's launchUrl with a 302 to the app's origin, the plain
    // one with {"url": …}: the same address either way.
    let original = stack.emulator.settings().profile;
    let mut outcome = Ok(());
    for profile in [Profile::DotNet, Profile::Plain] {
        settings(stack, |s| s.profile = profile);
        outcome = web_apps_open_in(stack)
            .await
            .map_err(|e| format!("{profile:?}: {e}"));
        if outcome.is_err() {
            break;
        }
    }
    settings(stack, |s| s.profile = original);
    outcome?;
    let v = alice(stack).await?;
    // A web app is not launched, and an app is not opened as a web app.
    expect_error(
        v.send(Method::POST, "/api/resources/intranet/launch")
            .await?,
        409,
        "not_launchable",
    )
    .await?;
    expect_error(
        v.navigate("/api/resources/intranet/ica").await?,
        409,
        "not_launchable",
    )
    .await?;
    expect_error(
        v.send(Method::POST, "/api/resources/word/open").await?,
        409,
        "not_launchable",
    )
    .await?;
    expect_error(
        v.send(Method::POST, "/api/resources/no-such-app/open")
            .await?,
        404,
        "not_found",
    )
    .await?;
    Ok(())
}

/// Opens the intranet (https) and the learning portal (published over http) in the emulator's
/// current profile.
async fn web_apps_open_in(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let catalogue = ok_json(v.get("/api/resources").await?).await?;
    let intranet = catalogue["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == "intranet"))
        .cloned()
        .unwrap_or_default();
    check(
        intranet["launchable"] == false && intranet["opensInBrowser"] == true,
        || intranet.to_string(),
    )?;
    let before = stack.emulator.transaction_log().len();
    let opened = ok_json(v.send(Method::POST, "/api/resources/intranet/open").await?).await?;
    check(
        opened == json!({"url": "https://intranet.apps.example/"}),
        || opened.to_string(),
    )?;
    // One call to the store, with the user's token; the app's own origin is never called.
    let calls = stack.emulator.transaction_log()[before..].to_vec();
    check(
        calls.len() == 1
            && calls[0].path == "/citrixapi/store/resources/intranet/launch"
            && calls[0].authorization,
        || format!("{calls:?}"),
    )?;
    // Published over plain http: refused, saying why.
    let body = expect_error(
        v.send(Method::POST, "/api/resources/learning/open").await?,
        409,
        "not_launchable",
    )
    .await?;
    check(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Learning Portal") && m.contains("https")),
        || body.to_string(),
    )?;
    // Unpublished since the catalogue was read: not found, not "try again".
    fault(
        stack,
        "/citrixapi/store/resources/intranet/launch",
        FaultKind::Status { status: 404 },
        Some(1),
    );
    let body = expect_error(
        v.send(Method::POST, "/api/resources/intranet/open").await?,
        404,
        "not_found",
    )
    .await?;
    check(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Acme Intranet"))
            && body["retryable"] == false,
        || body.to_string(),
    )
}

// ---------------------------------------------------------------- upstream failures

async fn upstream_failures_become_clear_errors(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let resources = "/citrixapi/store/resources";
    // One 5xx on a GET is retried; the user sees nothing.
    fault(stack, resources, FaultKind::Status { status: 503 }, Some(1));
    ok_json(v.get("/api/resources").await?).await?;
    // Two in a row: a clear, retryable error.
    fault(stack, resources, FaultKind::Status { status: 503 }, Some(2));
    let body = expect_error(v.get("/api/resources").await?, 502, "upstream_unavailable").await?;
    check(body["retryable"] == true, || body.to_string())?;
    for kind in [FaultKind::MalformedJson, FaultKind::TruncatedBody] {
        stack.emulator.clear_faults();
        fault(stack, resources, kind.clone(), None);
        let r = v.get("/api/resources").await?;
        let (status, body) = status_json(r).await;
        check(
            status == 502
                && (body["code"] == "upstream_malformed" || body["code"] == "upstream_unavailable"),
            || format!("{kind:?}: {status} {body}"),
        )?;
        let text = body.to_string();
        check(!text.contains("Calc") && !text.contains("emulator"), || {
            format!("{kind:?}: upstream detail reached the browser: {text}")
        })?;
    }
    stack.emulator.clear_faults();
    // A POST (launch) is not retried: one 5xx is an error at once.
    fault(
        stack,
        "/citrixapi/store/resources/word/launchStatus",
        FaultKind::Status { status: 500 },
        Some(1),
    );
    expect_error(
        v.send(Method::POST, "/api/resources/word/launch").await?,
        502,
        "upstream_unavailable",
    )
    .await?;
    // The session survived all of it.
    ok_json(v.get("/api/session").await?).await.map(|_| ())
}

/// The emulator answers as a .NET service may (nulls, absences, extra fields and services, both id
/// spellings, one malformed item, ids that need encoding, vendor content types, same-origin
/// redirects, icons on a CDN): the worker takes all of it.
async fn a_dotnet_shaped_tenant_is_read_leniently(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let catalogue = ok_json(v.get("/api/resources").await?).await?;
    let resources = catalogue["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids: Vec<&str> = resources.iter().filter_map(|r| r["id"].as_str()).collect();
    check(resources.len() == 40 && catalogue["skipped"] == 1, || {
        format!(
            "{} resources, {} skipped: {ids:?}",
            resources.len(),
            catalogue["skipped"]
        )
    })?;
    let field = |id: &str, key: &str| {
        resources
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r[key].clone())
            .unwrap_or_default()
    };
    // Nulls and absences did not change what is known: favourites and kinds are as seeded.
    check(
        field("win11-desktop", "favorite") == true
            && field("outlook", "favorite") == true
            && field("word", "favorite") == false
            && resources.iter().filter(|r| r["kind"] == "desktop").count() == 5,
        || format!("favourites or kinds lost: {catalogue}"),
    )?;
    let encoded = |id: &str| {
        url::form_urlencoded::byte_serialize(id.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    for id in ["calc 100%/x?y#z", "Google Chrome $ü", "PuTTY 0.81/ssh"] {
        check(ids.contains(&id), || {
            format!("{id:?} is not listed: {ids:?}")
        })?;
        let (states, end) = launch(&v, &encoded(id)).await?;
        check(end["state"] == "ready", || {
            format!("launching {id:?}: {states:?} {end}")
        })?;
    }
    // The ICA file of an id that needs encoding, through the store's redirect.
    let r = v
        .navigate(&format!(
            "/api/resources/{}/ica",
            encoded("calc 100%/x?y#z")
        ))
        .await?;
    let status = r.status();
    let text = r.text().await.map_err(|e| e.to_string())?;
    check(status == 200 && text.contains("Title=Calculator"), || {
        format!("ICA file: {status} {text}")
    })?;
    // A favourite of such an id.
    let fav = ok_json(
        v.send(
            Method::PUT,
            &format!("/api/resources/{}/favorite", encoded("Google Chrome $ü")),
        )
        .await?,
    )
    .await?;
    check(
        fav["favorite"] == true && fav["id"] == "Google Chrome $ü",
        || format!("favourite: {fav}"),
    )?;
    // An icon on the CDN is fetched there, and without credentials.
    let start = stack.emulator.transaction_log().len();
    let r = v
        .get(&format!("/api/icons/{}", encoded("PuTTY 0.81/ssh")))
        .await?;
    let kind = header(&r, "content-type");
    check(r.status() == 200 && kind == "image/png", || {
        format!("CDN icon: {} {kind}", r.status())
    })?;
    let log = stack.emulator.transaction_log();
    let cdn: Vec<_> = log[start..].iter().filter(|l| l.host == "cdn").collect();
    check(
        cdn.iter()
            .all(|l| !l.authorization && l.application_id.is_none()),
        || format!("credentials went to the CDN: {cdn:?}"),
    )
}

/// The SSRF guard holds for redirects: the store redirecting the worker to another origin (here
/// the emulator's CDN, which would log the visit) gets a clear error, and nothing is fetched
/// there; a same-origin redirect is followed.
async fn a_redirect_to_another_origin_is_never_followed(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let elsewhere = format!("{}/icons/stolen", stack.emulator.hosts().cdn);
    let redirect_to = |location: String| FaultKind::Redirect { location };
    fault(
        stack,
        "/citrixapi/store/resources",
        redirect_to(elsewhere.clone()),
        Some(2),
    );
    let start = stack.emulator.transaction_log().len();
    let body = expect_error(v.get("/api/resources").await?, 502, "upstream_unavailable").await?;
    let visited = stack.emulator.transaction_log()[start..]
        .iter()
        .any(|l| l.path.starts_with("/icons/stolen"));
    check(!visited, || {
        "the worker followed a redirect off the store's origin".into()
    })?;
    check(!body.to_string().contains("/icons/stolen"), || {
        format!("the redirect target reached the browser: {body}")
    })?;
    stack.emulator.clear_faults();
    // The same answer pointing back at the store's own origin is followed.
    let same = format!(
        "{}/citrixapi/store/resources?acceptCachedResults=true",
        stack.emulator.url()
    );
    fault(
        stack,
        "/citrixapi/store/resources",
        redirect_to(same),
        Some(1),
    );
    let catalogue = ok_json(v.get("/api/resources").await?).await?;
    check(
        catalogue["resources"]
            .as_array()
            .is_some_and(|r| r.len() == 40),
        || format!("after a same-origin redirect: {catalogue}"),
    )
}

async fn an_upstream_that_hangs_times_out(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    // Two hangs in store: a worker that retried a hung call would meet the second.
    fault(
        stack,
        "/citrixapi/store/resources",
        FaultKind::Timeout,
        Some(2),
    );
    let t = Instant::now();
    let r = v.get("/api/resources").await?;
    let took = t.elapsed();
    let left: Value = reqwest::get(format!("{}/_emulator/faults", stack.emulator.url()))
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    stack.emulator.clear_faults();
    expect_error(r, 502, "upstream_unavailable").await?;
    // One deadline per request (10 s, measured in the worker; a busy machine adds to it on
    // the way back): a call that hung is not tried again, which would take 20 s.
    check(took < Duration::from_secs(15), || {
        format!("the worker waited {took:?}")
    })?;
    check(left[0]["times"] == 1, || {
        format!("the hung call was made again: faults left {left}")
    })
}

// ---------------------------------------------------------------- features

async fn favourites_are_added_and_removed(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let is_favorite = |catalogue: &Value| {
        catalogue["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["id"] == "excel"))
            .map(|r| r["favorite"].clone())
    };
    check(
        is_favorite(&v.json("/api/resources").await?) == Some(json!(false)),
        || "excel starts as a favourite".into(),
    )?;
    let added = ok_json(v.send(Method::PUT, "/api/resources/excel/favorite").await?).await?;
    check(added == json!({"id": "excel", "favorite": true}), || {
        added.to_string()
    })?;
    check(
        is_favorite(&v.json("/api/resources").await?) == Some(json!(true)),
        || "not a favourite after PUT".into(),
    )?;
    let removed = ok_json(
        v.send(Method::DELETE, "/api/resources/excel/favorite")
            .await?,
    )
    .await?;
    check(removed["favorite"] == false, || removed.to_string())?;
    check(
        is_favorite(&v.json("/api/resources").await?) == Some(json!(false)),
        || "still a favourite after DELETE".into(),
    )?;
    expect_error(
        v.send(Method::PUT, "/api/resources/nope/favorite").await?,
        404,
        "not_found",
    )
    .await?;
    Ok(())
}

async fn the_ica_file_downloads_as_an_attachment(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    // A desktop answers 202 first: the worker waits and retries for the user.
    let r = v.navigate("/api/resources/win11-desktop/ica").await?;
    let (kind, disposition) = (
        header(&r, "content-type"),
        header(&r, "content-disposition"),
    );
    let status = r.status();
    let text = r.text().await.map_err(|e| e.to_string())?;
    check(status == 200 && kind == "application/x-ica", || {
        format!("{status} {kind}")
    })?;
    check(
        disposition.starts_with("attachment") && disposition.contains(".ica"),
        || disposition.clone(),
    )?;
    check(text.contains("Title=Windows 11 Desktop"), || text.clone())
}

async fn launches_carry_the_browsers_device_id(stack: &Stack) -> Result<()> {
    let v = Visitor::new(&stack.portal);
    v.get("/api/session").await?;
    let device = v
        .cookie(DEVICE_COOKIE)
        .ok_or("no device cookie on the first answer")?;
    let u = &demo::USERS[0];
    v.sign_in(u.username, u.password).await?;
    check(v.cookie(DEVICE_COOKIE).as_ref() == Some(&device), || {
        "the device id changed at sign-in".into()
    })?;
    let (_, end) = launch(&v, "word").await?;
    redeem(stack, &end).await?;
    // The emulator records which device launched: the portal sent the cookie's id.
    let log = stack.emulator.transaction_log();
    check(
        log.iter()
            .any(|l| l.path.ends_with("/word/launchStatus") && l.status == 201),
        || "no successful launch in the log".into(),
    )?;
    let sessions = stack.emulator.hdx_sessions();
    check(
        sessions
            .iter()
            .any(|s| s.resource == "word" && s.device == device),
        || format!("no session of {device}: {sessions:?}"),
    )?;
    check(device.len() == 15 && device.starts_with("WP"), || {
        device.clone()
    })
}

async fn every_workspace_call_names_the_application_and_a_transaction(stack: &Stack) -> Result<()> {
    let start = stack.emulator.transaction_log().len();
    let v = alice(stack).await?;
    ok_json(v.get("/api/resources").await?).await?;
    launch(&v, "word").await?;
    let log = stack.emulator.transaction_log();
    let calls: Vec<_> = log[start..]
        .iter()
        .filter(|l| l.path.starts_with("/citrixapi/"))
        .collect();
    check(calls.len() >= 2, || {
        format!("only {} Workspace calls", calls.len())
    })?;
    for c in &calls {
        check(
            c.client_transaction_id && c.application_id.as_deref() == Some(demo::APPLICATION_ID),
            || format!("{c:?}"),
        )?;
    }
    let mut ids: Vec<_> = log[start..]
        .iter()
        .map(|l| l.transaction_id.clone())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    check(ids.len() == n, || "a transaction id was reused".into())?;
    // The worker logs each upstream call's transaction id.
    stack.log_with(&calls[0].transaction_id).await.map(|_| ())
}

async fn icons_are_served_from_the_edge_cache(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let fetched = |stack: &Stack| {
        stack
            .emulator
            .transaction_log()
            .iter()
            // A hop of a redirect is not a fetch of the icon.
            .filter(|l| {
                l.status == 200
                    && (l.path.ends_with("/excel.png") || l.path.ends_with("/excel.svg"))
            })
            .count()
    };
    let before = fetched(stack);
    for _ in 0..3 {
        let r = v.get("/api/icons/excel").await?;
        let kind = header(&r, "content-type");
        let cache = header(&r, "cache-control");
        check(
            r.status() == 200 && kind.starts_with("image/") && cache.starts_with("private"),
            || format!("{} {kind} {cache}", r.status()),
        )?;
    }
    let upstream = fetched(stack) - before;
    check(upstream <= 1, || {
        format!("the icon was fetched upstream {upstream} times")
    })?;
    expect_error(
        Visitor::new(&stack.portal).get("/api/icons/excel").await?,
        401,
        "unauthenticated",
    )
    .await
    .map(|_| ())
}

async fn logout_revokes_the_refresh_token_and_clears_the_cookie(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    let start = stack.emulator.transaction_log().len();
    let r = v.send(Method::POST, "/auth/logout").await?;
    check(v.cookie(SESSION_COOKIE).is_none(), || {
        "the session cookie was not cleared".into()
    })?;
    // The identity provider's session ends too: the browser is sent to its end-session endpoint,
    // naming the client and the way back.
    let signed_out = ok_json(r).await?;
    let end = url::Url::parse(signed_out["endSessionUrl"].as_str().unwrap_or_default())
        .map_err(|e| format!("{e}: {signed_out}"))?;
    let param = |k: &str| {
        end.query_pairs()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.into_owned())
    };
    check(
        end.as_str().starts_with(&format!(
            "{}/core/connect/endsession?",
            stack.emulator.hosts().accounts
        )) && param("client_id").as_deref() == Some(demo::CLIENT_ID)
            && param("post_logout_redirect_uri") == Some(format!("{}/", stack.portal)),
        || format!("end-session URL {end}"),
    )?;
    let revoked = stack.emulator.transaction_log()[start..]
        .iter()
        .any(|l| l.path == "/core/connect/revocation" && l.status == 200);
    check(revoked, || {
        "no revocation at the authorization server".into()
    })?;
    expect_error(v.get("/api/session").await?, 401, "unauthenticated")
        .await
        .map(|_| ())
}

async fn the_log_holds_no_secret_or_token(stack: &Stack) -> Result<()> {
    // Make sure there is something to leak: a sign-in, a refresh, a launch and a sign-out.
    let v = alice(stack).await?;
    revoke_alice(stack, true).await?;
    ok_json(v.get("/api/resources").await?).await?;
    launch(&v, "word").await?;
    v.send(Method::POST, "/auth/logout").await?;
    // Everything above is in the log once the sign-out is.
    let log = stack.log_with("/auth/logout").await?;
    let session = v.cookie(SESSION_COOKIE).unwrap_or_default();
    for (what, needle) in [
        ("the client secret", demo::CLIENT_SECRET.to_owned()),
        ("a bearer token", "Bearer ".to_owned()),
        ("a token body", "access_token".to_owned()),
        ("a refresh token", "refresh_token=".to_owned()),
        ("an authorization code", "code=".to_owned()),
        ("a receiver ticket", "ticket=".to_owned()),
    ] {
        check(!log.contains(&needle), || {
            format!("the worker's log holds {what}")
        })?;
    }
    check(session.is_empty() || !log.contains(&session), || {
        "the log holds a session id".into()
    })
}

// ---------------------------------------------------------------- sessions that end

/// `GET /api/session` with a session cookie value the visitor may no longer hold.
async fn session_status(stack: &Stack, cookie: &str) -> Result<u16> {
    let v = Visitor::new(&stack.portal);
    v.plant(SESSION_COOKIE, cookie);
    Ok(v.get("/api/session").await?.status().as_u16())
}

/// Returns once the emulator has had a refresh since it had `before` (or after 10 s).
async fn refresh_started(stack: &Stack, before: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while stack.emulator.refresh_requests() <= before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn sign_out_waits_for_a_refresh_in_flight_and_revokes_the_newest_token(
    stack: &Stack,
) -> Result<()> {
    let before = stack.emulator.live_refresh_tokens("alice");
    settings(stack, |s| s.access_token_ttl_secs = 2);
    let v = alice(stack).await?;
    let cookie = v.cookie(SESSION_COOKIE).ok_or("no session cookie")?;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // The refresh the next request makes is done at once (the old refresh token is used up)
    // and answered 3 s later; sign-out comes in the middle.
    fault(
        stack,
        "/core/connect/token",
        FaultKind::LateAnswer { ms: 3000 },
        Some(1),
    );
    let refreshes = stack.emulator.refresh_requests();
    let sign_out = async {
        refresh_started(stack, refreshes).await;
        v.send(Method::POST, "/auth/logout").await
    };
    let (_, signed_out) = tokio::join!(v.get("/api/resources"), sign_out);
    check(signed_out?.status() == 200, || "sign-out failed".into())?;
    check(stack.emulator.refresh_requests() > refreshes, || {
        "no refresh was in flight: the race did not happen".into()
    })?;
    check(session_status(stack, &cookie).await? == 401, || {
        "the refresh brought the ended session back".into()
    })?;
    let live = stack.emulator.live_refresh_tokens("alice");
    check(live == before, || {
        format!(
            "{} refresh token(s) of the ended session still work",
            live - before
        )
    })
}

async fn signing_in_again_revokes_the_previous_sessions_refresh_token(stack: &Stack) -> Result<()> {
    let before = stack.emulator.live_refresh_tokens("alice");
    let v = alice(stack).await?;
    let old = v.cookie(SESSION_COOKIE).ok_or("no session cookie")?;
    // A browser sends the Strict session cookie to /auth/login (a same-site navigation) but
    // not to the callback (a navigation from the identity provider's site): do the same.
    let u = &demo::USERS[0];
    let callback = v.authorize_at("/", u.username, u.password).await?;
    let login = v
        .cookie("__Host-Http-portal-login")
        .ok_or("no login cookie")?;
    let again = Visitor::new(&stack.portal);
    again.plant("__Host-Http-portal-login", &login);
    let callback = again.get(&callback).await?;
    check(again.cookie(SESSION_COOKIE).is_some(), || {
        format!("no new session: {}", callback.status())
    })?;
    check(session_status(stack, &old).await? == 401, || {
        "the previous session still works".into()
    })?;
    let live = stack.emulator.live_refresh_tokens("alice");
    check(live == before + 1, || {
        format!(
            "{} refresh tokens work after signing in again; only the new session's should",
            live - before
        )
    })
}

// ---------------------------------------------------------------- tickets and ids

async fn a_ticket_is_fetched_only_for_the_portals_own_pages(stack: &Stack) -> Result<()> {
    let u = &demo::USERS[0];
    // Sign-in returns to the app's pages only: never to an API route that fetches a ticket.
    for asked in [
        "/api/resources/word/ica",
        "/api/resources/calc%20100%25%2Fx%3Fy%23z/ica",
        "/admin/../api/resources/word/ica",
        "/API/resources/word/ica",
        "/api/session",
    ] {
        let v = Visitor::new(&stack.portal);
        let page = v.sign_in_at(asked, u.username, u.password).await?;
        check(page.contains("0;url=/\""), || {
            format!("returnTo {asked:?} was followed: {page}")
        })?;
    }
    let v = alice(stack).await?;
    let ica = "/api/resources/word/ica";
    // A link on another site, an address typed in, a browser that says nothing: refused.
    for (headers, what) in [
        (
            vec![("Sec-Fetch-Site", "cross-site")],
            "a link on another site",
        ),
        (vec![("Sec-Fetch-Site", "same-site")], "a sibling site"),
        (vec![("Sec-Fetch-Site", "none")], "an address typed in"),
        (vec![("Origin", "https://evil.example")], "another origin"),
        (vec![], "no Sec-Fetch-Site, Origin or CSRF header"),
    ] {
        let r = v.request(Method::GET, ica, &headers).await?;
        expect_error(r, 403, "csrf_rejected")
            .await
            .map_err(|e| format!("{what}: {e}"))?;
    }
    // The SPA's link (same-origin) and its script (the CSRF header) get the file.
    for headers in [vec![("Sec-Fetch-Site", "same-origin")], vec![CSRF]] {
        let r = v.request(Method::GET, ica, &headers).await?;
        check(r.status() == 200, || {
            format!(
                "{headers:?}: the portal's own download answered {}",
                r.status()
            )
        })?;
    }
    // A launch handle is good for one poll: a replay finds nothing.
    let first = ok_json(
        v.send(Method::POST, "/api/resources/eng-workstation/launch")
            .await?,
    )
    .await?;
    let handle = first["handle"]
        .as_str()
        .ok_or_else(|| format!("no handle: {first}"))?;
    let poll = format!("/api/launches/{handle}/poll");
    ok_json(v.send(Method::POST, &poll).await?).await?;
    expect_error(v.send(Method::POST, &poll).await?, 404, "not_found")
        .await
        .map(|_| ())
}

async fn an_unknown_id_does_not_enumerate_on_every_request(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    v.json("/api/resources").await?;
    let start = stack.emulator.transaction_log().len();
    for _ in 0..5 {
        expect_error(
            v.get("/api/icons/nobody-published-this").await?,
            404,
            "not_found",
        )
        .await?;
    }
    let enumerations = stack.emulator.transaction_log()[start..]
        .iter()
        .filter(|l| l.path.ends_with("/resources") || l.path.contains("/resources?"))
        .count();
    check(enumerations == 0, || {
        format!("{enumerations} enumerations for an id the last one did not have")
    })
}

// ---------------------------------------------------------------- settings an admin changes

async fn admin_secret_status(v: &Visitor) -> Result<u16> {
    Ok(v.get("/api/admin/secret").await?.status().as_u16())
}

async fn admin_rights_follow_subjects_and_verified_emails_at_every_request(
    stack: &Stack,
) -> Result<()> {
    let outcome = async {
        // Alice's e-mail is not verified in her ID token; Bob's is.
        stack
            .restart_worker(&[(
                "ADMIN_USERS",
                Some("email:alice@acme.example,email:bob@acme.example"),
            )])
            .await?;
        let alice = alice(stack).await?;
        let bob = Visitor::new(&stack.portal);
        let u = &demo::USERS[1];
        bob.sign_in(u.username, u.password).await?;
        check(admin_secret_status(&alice).await? == 403, || {
            "an unverified e-mail made alice an admin".into()
        })?;
        check(admin_secret_status(&bob).await? == 200, || {
            "a verified e-mail entry did not make bob an admin".into()
        })?;
        // Removing bob and adding alice by subject takes effect on the sessions they have.
        stack
            .restart_worker(&[("ADMIN_USERS", Some("user-alice"))])
            .await?;
        check(admin_secret_status(&bob).await? == 403, || {
            "bob is still an admin after his removal".into()
        })?;
        check(admin_secret_status(&alice).await? == 200, || {
            "alice's subject did not make her an admin".into()
        })?;
        let session = alice.json("/api/session").await?;
        check(session["isAdmin"] == true, || format!("{session}"))
    }
    .await;
    let restored = stack
        .restart_worker(&[("ADMIN_USERS", Some("user-bob"))])
        .await;
    outcome.and(restored)
}

async fn rotating_the_session_key_as_documented_keeps_every_session(stack: &Stack) -> Result<()> {
    const NEW: &str = "bmV3LXRlc3Qta2V5LWZvci10aGUtcm90YXRpb24tMzI=";
    let outcome = async {
        let alice = alice(stack).await?;
        let bob = Visitor::new(&stack.portal);
        let u = &demo::USERS[1];
        bob.sign_in(u.username, u.password).await?;
        check(admin_secret_status(&bob).await? == 200, || {
            "bob is no admin".into()
        })?;
        // The README: `SESSION_KEY=new:<key>,old:<key>`.
        let rotated = format!("new:{NEW},old:{SESSION_KEY}");
        stack
            .restart_worker(&[("SESSION_KEY", Some(&rotated))])
            .await?;
        alice
            .json("/api/resources")
            .await
            .map_err(|e| format!("alice's session did not survive the rotation: {e}"))?;
        check(admin_secret_status(&bob).await? == 200, || {
            "the secret store did not survive the rotation".into()
        })?;
        let later = Visitor::new(&stack.portal);
        later.sign_in(u.username, u.password).await?;
        // Once the old key is removed, what only it sealed is gone; the new key's sessions stay.
        stack.restart_worker(&[("SESSION_KEY", Some(NEW))]).await?;
        check(alice.get("/api/session").await?.status() == 401, || {
            "a session sealed with a removed key still works".into()
        })?;
        later
            .json("/api/resources")
            .await
            .map_err(|e| format!("a session sealed with the new key: {e}"))?;
        // A key listed twice is refused, by name and without its value.
        stack
            .restart_worker(&[("SESSION_KEY", Some(&format!("{NEW},{NEW}")))])
            .await?;
        let r = Visitor::new(&stack.portal).get("/api/session").await?;
        let body = expect_error(r, 500, "misconfigured").await?;
        let message = body["message"].as_str().unwrap_or_default();
        check(
            message.contains("SESSION_KEY") && !message.contains(NEW),
            || format!("{body}"),
        )
    }
    .await;
    // Back to the suite's key; the new one still opens what it sealed (the secret store).
    let restored = stack
        .restart_worker(&[("SESSION_KEY", Some(&format!("{SESSION_KEY},{NEW}")))])
        .await;
    outcome.and(restored)
}

async fn no_secret_or_token_is_stored_in_plain_text(stack: &Stack) -> Result<()> {
    let v = alice(stack).await?;
    v.json("/api/resources").await?;
    let stored = stack.stored_state();
    check(!stored.is_empty(), || "nothing stored: wrong place".into())?;
    // Secrets and tokens are ASCII: a lossy view finds them wherever they are.
    let stored = String::from_utf8_lossy(&stored);
    let contains = |needle: &str| !needle.is_empty() && stored.contains(needle);
    let mut leaked: Vec<String> = [demo::CLIENT_SECRET, demo::CLOUD_CLIENT_SECRET]
        .into_iter()
        .filter(|s| contains(s))
        .map(|s| format!("secret {s}"))
        .collect();
    leaked.extend(
        stack
            .emulator
            .every_token_issued()
            .into_iter()
            .filter(|t| contains(t))
            .map(|t| format!("token {t}")),
    );
    check(leaked.is_empty(), || {
        format!("stored in plain text: {leaked:?}")
    })
}
