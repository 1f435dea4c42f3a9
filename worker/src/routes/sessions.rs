//! `/api/sessions*`: the user's running sessions (Workspace Control): list, and disconnect or log
//! off one or all. Reconnecting is launching the resource again (`api::launch`, which carries
//! this browser's device id).
//!
//! Each route asks its session object once, for a token. Every URL comes from discovery or from
//! the store's own list, admitted by the SSRF guard: a session is acted on by its own link, found
//! again in a fresh list, never by a URL the portal builds or the browser sends.

use portal_shared::api::{RunningSessions, SessionAction, SessionsChanged};
use worker::{Env, Method, Request, Response};

use crate::citrix::device::DeviceId;
use crate::citrix::discovery::{Customer, customer};
use crate::citrix::sessions::{self, SessionLinks, SessionList};
use crate::config::Config;
use crate::http::error::PortalError;
use crate::http::json;
use crate::routes::api::{admit, decode, signed_in, with_token};
use crate::session::{Handle, Need};

const LISTING: &str = "listing your running sessions";

fn what(action: SessionAction) -> &'static str {
    match action {
        SessionAction::Disconnect => "disconnecting your session",
        SessionAction::LogOff => "logging off your session",
    }
}

/// A request's configuration, session, access token and customer, with one session call.
async fn begin(
    req: &Request,
    env: &Env,
) -> Result<(std::rc::Rc<Config>, Handle, String, std::rc::Rc<Customer>), PortalError> {
    let (config, session) = signed_in(req, env).await?;
    let prepared = session.prepare(&Need::default()).await?;
    let customer = customer(&config).await?;
    Ok((config, session, prepared.token, customer))
}

/// Lists the sessions: what the app is told, and each session's links.
async fn list(
    config: &Config,
    session: &Handle,
    token: &mut String,
    customer: &Customer,
    device: &DeviceId,
) -> Result<(RunningSessions, Vec<(String, SessionLinks)>), PortalError> {
    let url = customer
        .discovery
        .endpoint("store", sessions::LIST)
        .ok_or_else(|| PortalError::NotFound("Running sessions on this Citrix Workspace".into()))?
        .to_owned();
    let url = admit(config, &url, LISTING).await?;
    let answer = with_token(session, config, token, Method::Get, &url, LISTING).await?;
    if matches!(answer.status, 404 | 410) {
        // As when discovery names no sessions service: the app shows no section for it.
        return Err(PortalError::NotFound(
            "Running sessions on this Citrix Workspace".into(),
        ));
    }
    if answer.status != 200 {
        return Err(PortalError::Upstream {
            what: LISTING.into(),
            detail: format!("sessions answered {}", answer.status),
        });
    }
    let parsed: SessionList = answer.json(LISTING)?;
    let offered = |a| {
        customer
            .discovery
            .endpoint("store", sessions::all_endpoint(a))
            .is_some()
    };
    let (view, links, skipped) = sessions::build(parsed, device, offered);
    for s in &skipped {
        worker::console_warn!("sessions: skipped a session {s}");
    }
    Ok((view, links))
}

/// `GET /api/sessions`.
pub async fn running(req: &Request, env: &Env, device: &DeviceId) -> Result<Response, PortalError> {
    let (config, session, mut token, customer) = begin(req, env).await?;
    let (view, _) = list(&config, &session, &mut token, &customer, device).await?;
    json(200, &view)
}

/// POSTs an action's URL (from discovery or the store's list) and checks the answer.
async fn post(
    config: &Config,
    session: &Handle,
    token: &mut String,
    url: &str,
    action: SessionAction,
) -> Result<(), PortalError> {
    let url = admit(config, url, what(action)).await?;
    let answer = with_token(session, config, token, Method::Post, &url, what(action)).await?;
    match answer.status {
        200..=299 => Ok(()),
        404 | 410 => Err(PortalError::NotFound("This session".into())),
        s => Err(PortalError::Upstream {
            what: what(action).into(),
            detail: format!("session action answered {s}"),
        }),
    }
}

/// `POST /api/sessions/{id}/{disconnect|logoff}`: the action on one session, by the link the
/// store lists for it.
pub async fn one(
    req: &Request,
    env: &Env,
    device: &DeviceId,
    id: &str,
    action: SessionAction,
) -> Result<Response, PortalError> {
    let id = decode(id);
    let (config, session, mut token, customer) = begin(req, env).await?;
    let (_, links) = list(&config, &session, &mut token, &customer, device).await?;
    let (_, found) = links
        .iter()
        .find(|(known, _)| *known == id)
        .ok_or_else(|| PortalError::NotFound("This session".into()))?;
    // The request is right; the session, as the store now lists it, cannot be acted on.
    let url = found.of(action).ok_or_else(|| {
        PortalError::Conflict(match action {
            SessionAction::Disconnect => "This session cannot be disconnected now.".into(),
            SessionAction::LogOff => "This session cannot be logged off from here.".into(),
        })
    })?;
    post(&config, &session, &mut token, url, action).await?;
    json(
        200,
        &SessionsChanged {
            action,
            id: Some(id),
        },
    )
}

/// `POST /api/sessions/{disconnect|logoff}`: the action on every session of the user, by
/// discovery's endpoint for it, or session by session when discovery names none.
pub async fn all(
    req: &Request,
    env: &Env,
    device: &DeviceId,
    action: SessionAction,
) -> Result<Response, PortalError> {
    let (config, session, mut token, customer) = begin(req, env).await?;
    match customer
        .discovery
        .endpoint("store", sessions::all_endpoint(action))
    {
        Some(url) => post(&config, &session, &mut token, url, action).await?,
        None => {
            // Every session is tried, whatever happens to one: the first failure is answered,
            // and the app then shows the list as it now is.
            let (_, links) = list(&config, &session, &mut token, &customer, device).await?;
            let mut first_failure = None;
            for url in links.iter().filter_map(|(_, l)| l.of(action)) {
                if let Err(e) = post(&config, &session, &mut token, url, action).await {
                    worker::console_warn!("sessions: one of all failed: {}", e.log_line());
                    first_failure.get_or_insert(e);
                }
            }
            if let Some(e) = first_failure {
                return Err(e);
            }
        }
    }
    json(200, &SessionsChanged { action, id: None })
}
