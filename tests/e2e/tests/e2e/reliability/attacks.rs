//! Attacks on the portal, each a test that fails if the attack works.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use portal_e2e::Result;
use portal_e2e::cdp::{Page, js_str};
use portal_e2e::grid::card;
use portal_e2e::signin::sign_in_here_as;
use portal_e2e::stack::Stack;
use portal_e2e::suite::{Test, check};
use portal_e2e::visitor::{
    DEVICE_COOKIE, SESSION_COOKIE, Visitor, expect_error, header, ok_json, status_json,
};
use reqwest::Method;
use serde_json::json;
use workspace_emulator::demo;

use super::{Ctx, HOSTILE_WORD, MALLORY, MARKUP, ROGUE_ADDRESSES, ROGUE_WORD};

const WAIT: Duration = Duration::from_secs(20);
/// Where an attacker would like the portal to send people or requests.
const EVIL: &str = "evil.example";

pub fn tests() -> Vec<(&'static str, Test<Ctx>)> {
    vec![
        ("attack_cross_origin_reads_and_cookie_sending", |c| {
            Box::pin(attack_cross_origin_reads_and_cookie_sending(c))
        }),
        ("attack_session_fixation", |c| {
            Box::pin(attack_session_fixation(c))
        }),
        ("attack_forged_truncated_and_tampered_cookies", |c| {
            Box::pin(attack_forged_truncated_and_tampered_cookies(c))
        }),
        ("attack_replayed_or_injected_codes_and_states", |c| {
            Box::pin(attack_replayed_or_injected_codes_and_states(c))
        }),
        ("attack_open_redirect_in_every_encoding", |c| {
            Box::pin(attack_open_redirect_in_every_encoding(c))
        }),
        ("attack_ssrf_through_every_id_and_handle", |c| {
            Box::pin(attack_ssrf_through_every_id_and_handle(c))
        }),
        ("attack_stored_xss_through_upstream_strings", |c| {
            Box::pin(attack_stored_xss_through_upstream_strings(c))
        }),
        (
            "attack_web_apps_at_addresses_the_portal_cannot_vouch_for",
            |c| Box::pin(attack_web_apps_at_addresses_the_portal_cannot_vouch_for(c)),
        ),
        ("attack_framing", |c| Box::pin(attack_framing(c))),
    ]
}

/// A visitor signed in as alice.
async fn alice(stack: &Stack) -> Result<Visitor> {
    let u = &demo::USERS[0];
    Visitor::signed_in(&stack.portal, u.username, u.password).await
}

/// `id` percent-encoded as one path segment, as the SPA sends it.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

// ---------------------------------------------------------------- cross-site requests

/// No script on another site may read an answer or make the browser send the session: the
/// worker grants no CORS at all (so the CSRF header, which needs a preflight, cannot be sent
/// from elsewhere), and the session cookie is host-only, `SameSite=Strict` and out of script's
/// reach. (Which requests need the CSRF header is the `bff` suite's.)
async fn attack_cross_origin_reads_and_cookie_sending(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let v = alice(stack).await?;
    let origin = format!("https://{EVIL}");
    let preflight = v
        .request(
            Method::OPTIONS,
            "/api/resources/word/launch",
            &[
                ("Origin", &origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "x-portal-csrf"),
            ],
        )
        .await?;
    let read = v
        .request(Method::GET, "/api/resources", &[("Origin", &origin)])
        .await?;
    for (what, r) in [("preflight", &preflight), ("GET /api/resources", &read)] {
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-allow-headers",
        ] {
            check(header(r, name).is_empty(), || {
                format!("{what} from {origin}: {name}: {}", header(r, name))
            })?;
        }
    }
    // The session cookie as the callback sets it: host-only, never sent cross-site, out of
    // script's reach.
    let b = Visitor::new(&stack.portal);
    let callback = b
        .authorize_at("/", demo::USERS[1].username, demo::USERS[1].password)
        .await?;
    let answer = b.get(&callback).await?;
    let cookie = answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
        .ok_or("the callback set no session cookie")?;
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["secure", "httponly", "samesite=strict", "path=/"] {
        check(attributes.iter().any(|a| a == wanted), || {
            format!("session cookie without {wanted}: {cookie}")
        })?;
    }
    check(!attributes.iter().any(|a| a.starts_with("domain")), || {
        format!("session cookie with a Domain: {cookie}")
    })
}

// ---------------------------------------------------------------- sessions and cookies

/// An attacker who plants a session id in a victim's browser (a made-up one, or their own
/// signed-in one) before the victim signs in must not end up holding the victim's session.
async fn attack_session_fixation(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let bob = &demo::USERS[1];
    let attacker = Visitor::signed_in(&stack.portal, bob.username, bob.password).await?;
    let attackers_own = attacker
        .cookie(SESSION_COOKIE)
        .ok_or("bob has no session")?;
    let made_up = "A".repeat(attackers_own.len());
    for planted in [made_up, attackers_own] {
        let victim = Visitor::new(&stack.portal);
        victim.plant(SESSION_COOKIE, &planted);
        let u = &demo::USERS[0];
        victim.sign_in(u.username, u.password).await?;
        let got = victim.cookie(SESSION_COOKIE).unwrap_or_default();
        check(got != planted, || {
            format!("the planted session id {planted:.8}… was kept at sign-in")
        })?;
        let info = victim.json("/api/session").await?;
        check(info["user"]["name"] == u.display_name, || {
            format!("the victim is not alice: {info}")
        })?;
        // With the planted id, the attacker sees their own session or none: never alice's.
        let r = Visitor::new(&stack.portal)
            .request(
                Method::GET,
                "/api/session",
                &[("Cookie", &format!("{SESSION_COOKIE}={planted}"))],
            )
            .await?;
        let (status, body) = status_json(r).await;
        check(
            status == 401 || (status == 200 && body["user"]["name"] == bob.display_name),
            || format!("the planted id now answers {status} {body}"),
        )?;
    }
    Ok(())
}

/// Session and device cookies that were forged, truncated or tampered with are refused cleanly
/// (401, or a new device id), never half-accepted and never a server error; a tampered login
/// cookie ends the sign-in.
async fn attack_forged_truncated_and_tampered_cookies(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let v = alice(stack).await?;
    let real = v.cookie(SESSION_COOKIE).ok_or("no session")?;
    let flip = |s: &str, i: usize| -> String {
        s.char_indices()
            .map(|(j, ch)| match (j == i, ch) {
                (true, 'A') => 'B',
                (true, _) => 'A',
                (false, ch) => ch,
            })
            .collect()
    };
    let half = real.chars().take(real.len() / 2).collect::<String>();
    let forged = [
        String::new(),
        "x".into(),
        half,
        real.chars().skip(1).collect(),
        format!("{real}A"),
        flip(&real, 0),
        flip(&real, real.len() - 1),
        real.to_ascii_uppercase(),
        "A".repeat(real.len()),
        "../../../etc/passwd".into(),
        "%00%ff%fe".into(),
        "A".repeat(4096),
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.".into(),
    ];
    for value in &forged {
        if *value == real {
            continue;
        }
        let cookie = format!("{SESSION_COOKIE}={value}");
        for path in ["/api/session", "/api/resources", "/api/icons/word"] {
            let r = Visitor::new(&stack.portal)
                .request(Method::GET, path, &[("Cookie", &cookie)])
                .await?;
            expect_error(r, 401, "unauthenticated")
                .await
                .map_err(|e| format!("{path} with session cookie {value:.40?}: {e}"))?;
        }
    }
    // The real one still works: nothing above disturbed it.
    ok_json(v.get("/api/session").await?).await?;

    // A forged device id is replaced by a fresh one, never passed on to Citrix.
    for value in [
        "WP",
        "WP'\"><b>",
        "../../x",
        "WPAAAAAAAAAAAAAAAAAAAAAA",
        "wp0123456789abc",
    ] {
        let r = Visitor::new(&stack.portal)
            .request(
                Method::GET,
                "/api/session",
                &[("Cookie", &format!("{DEVICE_COOKIE}={value}"))],
            )
            .await?;
        let set: Vec<String> = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|c| c.to_str().ok().map(str::to_owned))
            .collect();
        let fresh = set
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{DEVICE_COOKIE}=")))
            .and_then(|c| c.split(';').next())
            .unwrap_or_default();
        check(
            fresh.len() == 15 && fresh.starts_with("WP") && fresh != value,
            || format!("device cookie {value:?} answered with {set:?}"),
        )?;
    }

    // A tampered login-transaction cookie: the callback refuses and no session is made.
    let u = &demo::USERS[0];
    let b = Visitor::new(&stack.portal);
    let callback = b.authorize_at("/", u.username, u.password).await?;
    let login = "__Host-Http-portal-login";
    let original = b.cookie(login).ok_or("no login cookie")?;
    for tampered in [
        flip(&original, original.len() / 2),
        original.chars().take(original.len() / 2).collect(),
        String::from("x"),
    ] {
        b.plant(login, &tampered);
        let r = b.get(&callback).await?;
        check(
            r.status() == 400 && b.cookie(SESSION_COOKIE).is_none(),
            || {
                format!(
                    "a callback with the login cookie {tampered:.20?}… answered {}",
                    r.status()
                )
            },
        )?;
    }
    Ok(())
}

/// A code or a state used again, or a code from someone else's sign-in slipped into a
/// victim's callback (the attack PKCE and the state cookie exist for), never signs anyone in.
async fn attack_replayed_or_injected_codes_and_states(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let (alice_u, bob_u) = (&demo::USERS[0], &demo::USERS[1]);
    let param = |url: &str, name: &str| -> Result<String> {
        url::Url::parse(url)
            .map_err(|e| e.to_string())?
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| format!("no {name} in {url}"))
    };
    let with = |url: &str, name: &str, value: &str| -> Result<String> {
        let mut u = url::Url::parse(url).map_err(|e| e.to_string())?;
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == name {
                    value.into()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
        Ok(u.into())
    };
    let session_of = |v: &Visitor| v.cookie(SESSION_COOKIE);

    // 1. A code replayed after it signed alice in: refused, alice's session untouched.
    let v = Visitor::new(&stack.portal);
    let first = v
        .authorize_at("/", alice_u.username, alice_u.password)
        .await?;
    v.get(&first).await?;
    let session = session_of(&v).ok_or("the first sign-in made no session")?;
    let r = v.get(&first).await?;
    check(r.status() == 400, || {
        format!("a replayed callback answered {}", r.status())
    })?;
    check(session_of(&v).as_ref() == Some(&session), || {
        "a replayed callback changed the session".into()
    })?;

    // 2. The old state with a fresh code of the same browser: the state belongs to a finished
    // sign-in and must not match the new transaction.
    let second = v
        .authorize_at("/", alice_u.username, alice_u.password)
        .await?;
    let replayed = with(&second, "state", &param(&first, "state")?)?;
    let r = v.get(&replayed).await?;
    check(r.status() == 400, || {
        format!("an old state with a fresh code answered {}", r.status())
    })?;
    check(session_of(&v).as_ref() == Some(&session), || {
        "an old state made a new session".into()
    })?;

    // 3. Bob's code in alice's callback (her state, her login cookie): PKCE binds the code to
    // the browser that started the sign-in, so the exchange fails and nobody is signed in.
    let victim = Visitor::new(&stack.portal);
    let victims = victim
        .authorize_at("/", alice_u.username, alice_u.password)
        .await?;
    let attacker = Visitor::new(&stack.portal);
    let attackers = attacker
        .authorize_at("/", bob_u.username, bob_u.password)
        .await?;
    let injected = with(&victims, "code", &param(&attackers, "code")?)?;
    let r = victim.get(&injected).await?;
    let status = r.status();
    check(status == 400 && session_of(&victim).is_none(), || {
        format!("bob's code in alice's callback answered {status} and a session")
    })?;
    expect_error(victim.get("/api/session").await?, 401, "unauthenticated")
        .await
        .map(|_| ())
}

// ---------------------------------------------------------------- open redirects

/// Where a meta refresh `content` leads, read as a browser does: after `url=`, up to a closing
/// quote when the URL starts with one.
fn refresh_target(page: &str) -> Option<String> {
    let start = page.find("http-equiv=refresh content=\"")?;
    let content = &page[start + "http-equiv=refresh content=\"".len()..];
    let content = &content[..content.find('"')?];
    let content = html_unescape(content);
    let url = content.split_once(';')?.1.trim_start();
    let url = url
        .strip_prefix("url=")
        .or_else(|| url.strip_prefix("URL="))?
        .trim_start();
    Some(match url.chars().next() {
        Some(q @ ('\'' | '"')) => url[1..].split(q).next().unwrap_or_default().to_owned(),
        _ => url.to_owned(),
    })
}

fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `returnTo` in every encoding and trick known to fool a same-origin check: the page after
/// sign-in leads (by its refresh and its link, resolved as a browser resolves them) to the
/// portal's own origin, outside `/api/` and `/auth/`, and nothing of it becomes markup.
async fn attack_open_redirect_in_every_encoding(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let portal = url::Url::parse(&stack.portal).map_err(|e| e.to_string())?;
    let e = EVIL;
    let payloads = [
        format!("///{e}"),
        format!("////{e}/"),
        format!("\\\\{e}"),
        format!("/\\/{e}"),
        format!("\\/{e}"),
        format!("/%5C{e}"),
        format!("/%5c%5c{e}"),
        format!("%2F%2F{e}"),
        format!("/%2f%2f{e}"),
        format!("%252F%252F{e}"),
        format!("/\t/{e}"),
        format!("/\n/{e}"),
        format!("/\r\n/{e}"),
        format!("/%09/{e}"),
        format!(" //{e}"),
        format!("HTTPS://{e}"),
        format!("http:/{e}"),
        format!("http:\\\\{e}"),
        format!("//{e}@127.0.0.1"),
        format!("/@{e}"),
        format!("@{e}"),
        e.to_owned(),
        format!("\u{FF0F}\u{FF0F}{e}"),
        format!("/\u{2215}{e}"),
        format!("/\u{3002}{e}"),
        format!("/./\\{e}"),
        format!("/..//{e}"),
        format!("/%2e%2e//{e}"),
        format!("/;url=//{e}"),
        format!("/\";url=//{e}"),
        format!("/'\";url=//{e}"),
        "javascript:alert(1)".into(),
        "JaVaScRiPt:alert(1)".into(),
        "java\tscript:alert(1)".into(),
        "/javascript:alert(1)".into(),
        "data:text/html,<script>alert(1)</script>".into(),
        "/\"><script>alert(1)</script>".into(),
        format!("/\"><meta http-equiv=refresh content=\"0;url=//{e}\">"),
        "/%61pi/session".into(),
    ];
    // Every payload is tried, and every one that gets through is named.
    let mut through = Vec::new();
    for asked in &payloads {
        if let Err(e) = redirect_stays_home(stack, &portal, asked).await {
            through.push(e);
        }
    }
    check(through.is_empty(), || through.join("\n  "))
}

/// Signs in with `returnTo` = `asked` and checks where the page after the callback leads.
async fn redirect_stays_home(stack: &Stack, portal: &url::Url, asked: &str) -> Result<()> {
    let u = &demo::USERS[0];
    let v = Visitor::new(&stack.portal);
    let page = v.sign_in_at(asked, u.username, u.password).await?;
    let target = refresh_target(&page)
        .ok_or_else(|| format!("returnTo {asked:?}: no redirect in the page: {page:.300}"))?;
    let resolved = portal
        .join(&target)
        .map_err(|err| format!("returnTo {asked:?}: target {target:?}: {err}"))?;
    let path = resolved.path().to_ascii_lowercase();
    check(
        resolved.origin() == portal.origin()
            && !path.starts_with("/api/")
            && !path.starts_with("/auth/"),
        || format!("returnTo {asked:?} leads to {resolved} (target {target:?})"),
    )?;
    let link = page
        .split("href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(html_unescape)
        .unwrap_or_default();
    let link = portal
        .join(&link)
        .map_err(|err| format!("returnTo {asked:?}: link {link:?}: {err}"))?;
    check(link.origin() == portal.origin(), || {
        format!("returnTo {asked:?}: the continue link leads to {link}")
    })?;
    check(
        !page.contains("<script") && page.matches("<meta").count() == 2,
        || format!("returnTo {asked:?} became markup: {page:.400}"),
    )
}

// ---------------------------------------------------------------- SSRF

/// A site of its own on loopback: it answers every request with `html` and counts the
/// connections it gets. As a canary (no request may ever reach it) or an attacker's page.
async fn site(html: String) -> Result<(String, Arc<AtomicUsize>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let html = html.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    Ok((addr.to_string(), hits))
}

/// Every id and handle the browser sends, as URLs, paths, encodings and tricks: the worker
/// answers 4xx and calls nothing but Citrix's known endpoints for seeded resources (the
/// emulator's log), and nothing at all elsewhere (a canary listener on loopback).
async fn attack_ssrf_through_every_id_and_handle(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let v = alice(stack).await?;
    // The session's catalogue is known before the attack, as in real use.
    ok_json(v.get("/api/resources").await?).await?;
    let (canary, hits) = site(String::new()).await?;
    let hosts = stack.emulator.hosts();
    let raw = [
        format!("http://{canary}/ssrf"),
        format!("//{canary}/ssrf"),
        format!("http:\\\\{canary}\\ssrf"),
        format!("@{canary}/ssrf"),
        format!("word@{canary}"),
        format!("{}/_emulator/log", hosts.customer),
        format!("{}/core/connect/userinfo", hosts.accounts),
        format!("{}/icons/word.svg", hosts.cdn),
        "../../../core/connect/userinfo".into(),
        "..".into(),
        ".".into(),
        "word/../../../ssrf".into(),
        "word?x=1".into(),
        "word#x".into(),
        "word\r\nHost: evil.example".into(),
        "\u{0}word".into(),
        "\u{202E}word".into(),
        "file:///etc/passwd".into(),
        "javascript:alert(1)".into(),
        "A".repeat(4000),
    ];
    // Each as the SPA would encode it, and a few hand-made encodings it never would.
    let mut segments: Vec<String> = raw.iter().map(|p| segment(p)).collect();
    segments.extend([
        format!("http:%2F%2F{canary}%2Fssrf"),
        format!("%2F%2F{canary}%2Fssrf"),
        format!("%252F%252F{canary}%252Fssrf"),
        "..%2F..%2F..%2Fcore%2Fconnect%2Fuserinfo".into(),
        "%2e%2e%2f%2e%2e%2fcore%2fconnect%2fuserinfo".into(),
        "%2e%2e".into(),
        "word%2F..%2F..%2Fssrf".into(),
        "word%00".into(),
        "%".into(),
        "%zz".into(),
        "%C0%AE%C0%AE%2F".into(),
    ]);
    let start = stack.emulator.transaction_log().len();
    for s in &segments {
        for (method, path) in [
            (Method::GET, format!("/api/icons/{s}")),
            (Method::POST, format!("/api/resources/{s}/launch")),
            (Method::GET, format!("/api/resources/{s}/ica")),
            (Method::PUT, format!("/api/resources/{s}/favorite")),
            (Method::DELETE, format!("/api/resources/{s}/favorite")),
            (Method::POST, format!("/api/launches/{s}/poll")),
        ] {
            let r = v.send(method.clone(), &path).await?;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap_or_default();
            check((400..500).contains(&status), || {
                format!("{method} {path:.120}: {status} {body:.200}")
            })?;
            check(
                !body.contains(&canary) && !body.contains("evil.example"),
                || format!("{method} {path:.120}: the answer echoes the target: {body:.200}"),
            )?;
        }
    }
    let mut config = workspace_emulator::EmulatorConfig::test();
    super::hostile_seed(&mut config);
    let seeded: Vec<String> = config.seed.resources.into_iter().map(|r| r.id).collect();
    let log = stack.emulator.transaction_log();
    for call in &log[start..] {
        let decoded = percent_decode(&call.path);
        let known_route = [
            "/citrixapi/discovery/configurations",
            "/core/.well-known/",
            "/core/connect/token",
            "/citrixapi/store/resources/images/",
            "/icons/",
            "/citrixapi/store/launch/retry/",
        ]
        .iter()
        .any(|p| call.path.starts_with(p))
            || call.path == "/citrixapi/store/resources";
        let resource_route = [
            "/citrixapi/store/resources/",
            "/citrixapi/store/v2/resources/",
        ]
        .iter()
        .find_map(|p| call.path.strip_prefix(p))
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|id| seeded.contains(&percent_decode(id)));
        check(
            (known_route || resource_route) && !decoded.contains(".."),
            || {
                format!(
                    "the worker called {} {} on the {} host",
                    call.method, call.path, call.host
                )
            },
        )?;
    }
    let reached = hits.load(Ordering::SeqCst);
    check(reached == 0, || {
        format!("the canary at {canary} was reached {reached} times")
    })
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------- the browser

/// Records, in every document the page opens, the Content Security Policy violations that
/// mention the payloads' marker: an injection that CSP merely stopped is still an injection.
const RECORD_VIOLATIONS: &str = "window.__violations = []; \
    document.addEventListener('securitypolicyviolation', e => \
    window.__violations.push(`${e.violatedDirective} ${e.sample}`));";

/// What the page must show after hostile text was rendered: no element a payload made, no
/// script that ran, no violation a payload caused.
async fn nothing_injected(page: &Page<'_>, where_: &str) -> Result<()> {
    let found = page
        .eval(
            "({ran: window.__xss === undefined ? 0 : window.__xss, \
               made: document.querySelectorAll('[data-xss]').length, \
               blocked: (window.__violations || []).filter(v => v.includes('__xss'))})",
        )
        .await?;
    check(
        found["ran"] == 0 && found["made"] == 0 && found["blocked"] == json!([]),
        || format!("{where_}: injected: {found}"),
    )
}

/// A fresh browser context that records CSP violations, signed in as `user`.
async fn hostile_page<'b>(c: &'b Ctx, user: (&str, &str)) -> Result<Page<'b>> {
    let page = c.browser.new_isolated_page().await?;
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": RECORD_VIOLATIONS}),
    )
    .await?;
    page.goto(&c.stack.portal).await?;
    sign_in_here_as(&page, &c.stack, user.0, user.1).await?;
    Ok(page)
}

/// Markup in every string Citrix sends and the portal shows (a resource's name, description,
/// folder and id, a launch failure's reason, the user's name from the ID token, the
/// authorization server's error) is shown as text in Chromium: no element is made and nothing
/// runs.
async fn attack_stored_xss_through_upstream_strings(c: &Ctx) -> Result<()> {
    let page = hostile_page(c, MALLORY).await?;
    let outcome = async {
        let user = page.text("[data-testid=user-name]").await?;
        check(user.contains(MARKUP), || {
            format!("the user's name is not shown as text: {user:?}")
        })?;
        page.type_into("[data-testid=search]", HOSTILE_WORD).await?;
        page.wait_for(
            "document.querySelectorAll('[data-testid=resource-card]').length === 3",
            WAIT,
        )
        .await?;
        let text = page.eval("document.body.innerText").await?;
        let text = text.as_str().unwrap_or_default();
        for shown in [MARKUP, "<i data-xss>Folder"] {
            check(text.contains(shown), || {
                format!("{shown:?} is not shown as text: {text:.600}")
            })?;
        }
        nothing_injected(&page, "the catalogue").await?;
        let launch = card("hostile-launch");
        page.click(&format!("{launch} [data-testid=launch-button]"))
            .await?;
        page.wait_for_selector(
            &format!("{launch} [data-testid=launch-status][data-state=failed]"),
            WAIT,
        )
        .await?;
        nothing_injected(&page, "a launch failure").await?;
        // Each card's own links and attributes hold the hostile id as data.
        let hrefs = page
            .eval(&format!(
                "[...document.querySelectorAll({} + ' [src], ' + {} + ' [href]')].map(e => e.getAttribute('src') || e.getAttribute('href'))",
                js_str(&card(r#""><svg onload="window.__xss=1" data-xss>"#)),
                js_str(&card(r#""><svg onload="window.__xss=1" data-xss>"#)),
            ))
            .await?;
        check(
            hrefs
                .as_array()
                .is_some_and(|a| a.iter().all(|h| h.as_str().is_some_and(|h| h.starts_with('/')))),
            || format!("the hostile id's card links: {hrefs}"),
        )?;
        // The authorization server's error, reflected into the worker's own page.
        page.goto(&format!(
            "{}/auth/callback?error={}&error_description={}&state=x",
            c.stack.portal,
            segment(MARKUP),
            segment(MARKUP)
        ))
        .await?;
        nothing_injected(&page, "the sign-in error page").await
    }
    .await;
    let _ = page.close().await;
    outcome
}

/// A web app published at an address the portal cannot vouch for (script, inline content,
/// another site with credentials, a scheme with a tab in it) is never handed to the browser:
/// the worker answers 409 without the address, and in Chromium each card says why, no tab
/// opens, no link leads there and nothing runs.
async fn attack_web_apps_at_addresses_the_portal_cannot_vouch_for(c: &Ctx) -> Result<()> {
    let v = alice(&c.stack).await?;
    ok_json(v.get("/api/resources").await?).await?;
    for (id, address) in ROGUE_ADDRESSES {
        let r = v
            .send(
                Method::POST,
                &format!("/api/resources/{}/open", segment(id)),
            )
            .await?;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        check(
            status == 409 && body.contains("Tell your administrator"),
            || format!("{id} ({address:?}): {status} {body:.300}"),
        )?;
        for echoed in ["evil.example", "hunter2", "script:", "data:"] {
            check(!body.contains(echoed), || {
                format!("{id}: the answer repeats {echoed:?}: {body:.300}")
            })?;
        }
    }
    let page = hostile_page(c, (demo::USERS[0].username, demo::USERS[0].password)).await?;
    let outcome = async {
        page.type_into("[data-testid=search]", ROGUE_WORD).await?;
        page.wait_for(
            &format!(
                "document.querySelectorAll('[data-testid=resource-card]').length === {}",
                ROGUE_ADDRESSES.len()
            ),
            WAIT,
        )
        .await?;
        for (id, _) in ROGUE_ADDRESSES {
            let rogue = card(id);
            page.click(&format!("{rogue} [data-testid=launch-button]"))
                .await?;
            page.wait_for_selector(
                &format!("{rogue} [data-testid=launch-status][data-state=failed]"),
                WAIT,
            )
            .await?;
            let said = page
                .text(&format!("{rogue} [data-testid=launch-status]"))
                .await?;
            check(said.contains("Tell your administrator"), || {
                format!("{id}: the card says {said:?}")
            })?;
        }
        let links = page
            .eval("[...document.querySelectorAll('[data-testid=web-open-link]')].map(a => a.href)")
            .await?;
        check(links == json!([]), || format!("links to open: {links}"))?;
        let tabs = page.opened_tabs().await?;
        check(tabs.is_empty(), || format!("tabs opened: {tabs:?}"))?;
        let url = page.eval("location.href").await?;
        check(
            url.as_str().is_some_and(|u| u.starts_with(&c.stack.portal)),
            || format!("the page went to {url}"),
        )?;
        nothing_injected(&page, "web apps at rogue addresses").await
    }
    .await;
    let _ = page.close().await;
    outcome
}

/// The portal cannot be framed (clickjacking): Chromium refuses to show it in another site's
/// frame, and every kind of answer (pages, errors, icons, ICA files, JSON) says so.
async fn attack_framing(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let page = c.browser.new_isolated_page().await?;
    let outcome = async {
        let mut log = page.subscribe("Log.entryAdded");
        page.call("Log.enable", json!({})).await?;
        let (attacker, _) = site(format!(
            "<!doctype html><title>Win a prize</title><iframe src=\"{}/\" width=400 height=300></iframe>",
            stack.portal
        ))
        .await?;
        page.goto(&format!("http://{attacker}/")).await?;
        // Chromium says in the embedding page's console that it refused to show the frame.
        let mut said = Vec::new();
        let until = tokio::time::Instant::now() + Duration::from_secs(5);
        while let Ok(Some(entry)) = tokio::time::timeout_at(until, log.recv()).await {
            let text = entry["params"]["entry"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let refused = text.contains(&stack.portal)
                && (text.contains("Refused to") || text.contains("has been blocked"));
            said.push(text);
            if refused {
                return Ok(());
            }
        }
        Err(format!(
            "Chromium did not refuse to frame the portal; its console: {said:?}"
        ))
    }
    .await;
    let _ = page.close().await;
    outcome?;
    let v = alice(stack).await?;
    let anonymous = Visitor::new(&stack.portal);
    let answers = [
        ("an icon", v.get("/api/icons/word").await?),
        (
            "an ICA file",
            v.send(Method::GET, "/api/resources/word/ica").await?,
        ),
        ("an API 404", v.get("/api/no-such-route").await?),
        (
            "a refused CSRF",
            v.request(Method::POST, "/api/resources/word/launch", &[])
                .await?,
        ),
        ("an SPA route", anonymous.get("/some/deep/route").await?),
        (
            "a sign-in error page",
            anonymous.get("/auth/callback?error=access_denied").await?,
        ),
        ("the sign-in start", anonymous.get("/auth/login").await?),
    ];
    for (what, r) in &answers {
        let (frame, csp) = (
            header(r, "x-frame-options"),
            header(r, "content-security-policy"),
        );
        check(
            frame == "DENY" && csp.contains("frame-ancestors 'none'"),
            || {
                format!(
                    "{what} ({}): X-Frame-Options {frame:?}, CSP {csp:?}",
                    r.status()
                )
            },
        )?;
        // An upstream SVG (an icon) served from the portal's origin must not run script there.
        let kind = header(r, "content-type");
        if kind.starts_with("image/") {
            check(
                csp.contains("default-src 'none'") || csp.contains("script-src 'none'"),
                || format!("{what} ({kind}) may run script: CSP {csp:?}"),
            )?;
        }
    }
    Ok(())
}

/// No token or secret of any kind reaches the browser, its storage or the worker's log: every
/// token Citrix issued in this whole run (the emulator keeps them), the client secrets, the
/// session key, the session id outside its HttpOnly cookie.
pub async fn attack_token_or_secret_leaks_anywhere(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    // Something of everything to leak: a sign-in, a forced refresh, a launch, an ICA file.
    let v = alice(stack).await?;
    let session = v.cookie(SESSION_COOKIE).ok_or("no session")?;
    stack.emulator.set_settings(workspace_emulator::Settings {
        access_token_ttl_secs: 1,
        ..stack.emulator.settings()
    });
    let mut answers = Vec::new();
    for (method, path) in [
        (Method::GET, "/api/session"),
        (Method::GET, "/api/resources"),
        (Method::GET, "/api/icons/word"),
        (Method::POST, "/api/resources/word/launch"),
        (Method::POST, "/api/resources/eng-workstation/launch"),
        (Method::GET, "/api/resources/word/ica"),
        (Method::PUT, "/api/resources/word/favorite"),
        (Method::DELETE, "/api/resources/word/favorite"),
        (Method::GET, "/api/admin/secret"),
        (Method::GET, "/api/no-such-route"),
    ] {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let r = v.send(method.clone(), path).await?;
        let headers = format!("{:?}", r.headers());
        let body =
            String::from_utf8_lossy(&r.bytes().await.map_err(|e| e.to_string())?).into_owned();
        answers.push((format!("{method} {path}"), format!("{headers}\n{body}")));
    }
    // The browser: the page, everything script can read, and storage.
    let page = hostile_page(c, (demo::USERS[0].username, demo::USERS[0].password)).await?;
    let seen = page
        .eval(
            "(async () => JSON.stringify({html: document.documentElement.outerHTML, \
               cookie: document.cookie, local: {...localStorage}, session: {...sessionStorage}, \
               databases: indexedDB.databases ? await indexedDB.databases() : [], \
               caches: await caches.keys()}))()",
        )
        .await?;
    let _ = page.close().await;
    answers.push((
        "the page and its storage".into(),
        seen.as_str().unwrap_or_default().into(),
    ));
    answers.push(("the worker's log".into(), stack.wrangler_log()));

    let mut secrets: Vec<(String, String)> = stack
        .emulator
        .every_token_issued()
        .into_iter()
        .map(|t| ("a token Citrix issued".to_owned(), t))
        .collect();
    check(secrets.len() > 3, || {
        "the emulator issued no tokens?".into()
    })?;
    secrets.extend(
        [
            ("the client secret", demo::CLIENT_SECRET),
            ("the Citrix Cloud API secret", demo::CLOUD_CLIENT_SECRET),
            ("the session key", portal_e2e::stack::SESSION_KEY),
        ]
        .map(|(w, s)| (w.to_owned(), s.to_owned())),
    );
    for (where_, text) in &answers {
        for (what, secret) in &secrets {
            check(!text.contains(secret.as_str()), || {
                format!("{where_} holds {what} ({secret:.12}…)")
            })?;
        }
        check(!text.contains("eyJ"), || format!("{where_} holds a JWT"))?;
    }
    // The session id lives in its HttpOnly cookie only: in no answer's body, in no log line,
    // and out of the page's reach.
    for (where_, text) in &answers {
        let body = text.split_once('\n').map_or(text.as_str(), |(_, b)| b);
        check(!body.contains(&session), || {
            format!("{where_} holds the session id")
        })?;
    }
    check(!seen.to_string().contains(SESSION_COOKIE), || {
        "the page can read the session cookie".into()
    })?;
    Ok(())
}
