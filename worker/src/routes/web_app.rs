//! `POST /api/resources/{id}/open`: a web or SaaS app's address, for the browser to open in a
//! new tab. The address comes from the store, asked through the app's own `launchUrl` (from
//! the session's stored links, admitted by the SSRF guard), and is passed on only when the
//! portal can vouch for it ([`crate::citrix::web_app`]).

use portal_shared::api::WebApp;
use worker::{Env, Method, Request, Response};

use super::api::{admit, decode, links_of, signed_in, with_token};
use crate::citrix::web_app::{self, Refusal};
use crate::http::error::PortalError;
use crate::http::json;

/// Opens a web app: one session call (its links and a token), one call to the store.
pub async fn open(req: &Request, env: &Env, id: &str) -> Result<Response, PortalError> {
    const WHAT: &str = "opening a web app";
    let (config, session) = signed_in(req, env).await?;
    let (links, mut token) = links_of(&config, &session, &decode(id)).await?;
    let Some(link) = links.web.as_deref() else {
        return Err(PortalError::NotLaunchable(format!(
            "{} is not a web app: launch it with Citrix Workspace app instead.",
            links.name
        )));
    };
    let url = admit(&config, link, WHAT).await?;
    let answer = with_token(&session, &config, &mut token, Method::Get, &url, WHAT).await?;
    match web_app::destination(&answer) {
        Ok(address) => json(
            200,
            &WebApp {
                url: address.into(),
            },
        ),
        Err(Refusal::NoAddress(404 | 410)) => Err(PortalError::NotFound(format!(
            "{} on this Citrix Workspace",
            links.name
        ))),
        Err(Refusal::NoAddress(status)) => Err(PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail: format!("the web app's launch link answered {status} without an address"),
        }),
        Err(Refusal::Unsafe(why)) => {
            worker::console_warn!("web app {:?}: refused its address ({why})", links.name);
            Err(PortalError::NotLaunchable(format!(
                "The address published for {} {why}, so the portal will not open it. Tell your administrator.",
                links.name
            )))
        }
    }
}
