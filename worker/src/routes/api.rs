//! `/api/*`: what the single-page app calls.

use std::rc::Rc;
use std::time::Duration;

use portal_shared::api::{FavoriteState, LaunchStatus, SessionInfo};
use worker::{Delay, Env, Method, Request, Response, Url};

use crate::citrix::catalogue::{self, Links, ResourceLinks};
use crate::citrix::device::DeviceId;
use crate::citrix::discovery::customer;
use crate::citrix::launch::{self, Step};
use crate::citrix::upstream::{Answer, Call};
use crate::citrix::workspace::{LaunchAnswer, ResourceList};
use crate::config::Config;
use crate::crypto::{is_token, random_token};
use crate::http::cookies;
use crate::http::error::PortalError;
use crate::http::origin::IconSource;
use crate::http::timing::now_ms;
use crate::http::{header, json};
use crate::session::{self, Handle, Need, PendingLaunch, Prepared, StoredLinks};

/// How often the ICA download waits for a desktop that is still starting.
const ICA_MAX_WAITS: usize = 5;
/// A poll that comes before the store's `pollTimeout` is up waits for it, up to this long (the
/// store is never asked sooner than it said); an earlier one is told to come back.
const EARLY_POLL_WAIT_MS: u64 = 3000;

/// The configuration and the session of a signed-in request.
pub(crate) async fn signed_in(
    req: &Request,
    env: &Env,
) -> Result<(Rc<Config>, Handle), PortalError> {
    let config = Config::from_env(env)?;
    let cookie_header = header(req, "Cookie").unwrap_or_default();
    let id = cookies::get(&cookie_header, cookies::SESSION).ok_or(PortalError::Unauthenticated)?;
    let session = Handle::session(env, &config, id)?;
    Ok((config, session))
}

/// Calls the store with the session's access token `token`; when the store refuses it (401 or
/// 400 `invalid_grant`), asks the session for a fresh one (kept in `token`) and retries once.
pub(crate) async fn with_token(
    session: &Handle,
    config: &Config,
    token: &mut String,
    method: Method,
    url: &Url,
    what: &'static str,
) -> Result<Answer, PortalError> {
    with_token_accepting(
        session,
        config,
        token,
        method,
        url,
        what,
        "application/json",
    )
    .await
}

/// [`with_token`], asking for `accept` (the ICA file is not JSON).
async fn with_token_accepting(
    session: &Handle,
    config: &Config,
    token: &mut String,
    method: Method,
    url: &Url,
    what: &'static str,
    accept: &'static str,
) -> Result<Answer, PortalError> {
    let call = |token: &str| Call {
        method: method.clone(),
        url,
        application_id: Some(&config.application_id),
        headers: vec![
            ("Authorization", format!("Bearer {token}")),
            ("Accept", accept.to_owned()),
        ],
        body: (method == Method::Post).then(|| ("application/json", b"{}".to_vec())),
        what,
    };
    let answer = call(token).send().await?;
    if !answer.is_bad_token() {
        return Ok(answer);
    }
    *token = session.access_token(Some(token)).await?;
    let answer = call(token).send().await?;
    if answer.is_bad_token() {
        return Err(PortalError::SessionExpired);
    }
    Ok(answer)
}

/// `GET /api/session`.
pub async fn session(req: &Request, env: &Env) -> Result<Response, PortalError> {
    let (config, session) = signed_in(req, env).await?;
    let profile = session.profile().await?;
    json(
        200,
        &SessionInfo {
            is_admin: config.is_admin(&profile.user, profile.email_verified),
            user: profile.user,
            customer: profile.customer,
            expires_at: profile.expires_at,
            logout_url: "/auth/logout".into(),
            preferences: profile.preferences,
        },
    )
}

/// Lists the user's resources; stores their links when they changed since the stored ones.
async fn enumerate(
    config: &Config,
    session: &Handle,
    prepared: &mut Prepared,
) -> Result<(portal_shared::api::Catalogue, Links), PortalError> {
    const WHAT: &str = "listing your apps and desktops";
    let customer = customer(config).await?;
    let mut url = customer.list_resources.clone();
    url.query_pairs_mut()
        .append_pair("acceptCachedResults", "true");
    let answer = with_token(
        session,
        config,
        &mut prepared.token,
        Method::Get,
        &url,
        WHAT,
    )
    .await?;
    if answer.status != 200 {
        return Err(PortalError::Upstream {
            what: WHAT.into(),
            detail: format!("enumeration answered {}", answer.status),
        });
    }
    let list: ResourceList = answer.json(WHAT)?;
    let (catalogue, links, skipped) = catalogue::build(list);
    for s in &skipped {
        worker::console_warn!("enumeration: skipped a resource {s}");
    }
    let internal = |e: serde_json::Error| PortalError::Internal(format!("resource links: {e}"));
    let fingerprint = catalogue::fingerprint(&links).map_err(internal)?;
    if prepared.links_fingerprint.as_deref() != Some(fingerprint.as_str()) {
        let stored = serde_json::value::to_raw_value(&links).map_err(internal)?;
        session
            .put_resources(&StoredLinks {
                fingerprint,
                links: stored,
            })
            .await?;
    }
    Ok((catalogue, links))
}

/// `GET /api/resources`: one session call (the token, and the stored links' fingerprint), one
/// upstream call, and a second session call only when the links changed.
pub async fn resources(req: &Request, env: &Env) -> Result<Response, PortalError> {
    let (config, session) = signed_in(req, env).await?;
    let mut prepared = session
        .prepare(&Need {
            enumerate: true,
            ..Need::default()
        })
        .await?;
    let (catalogue, _) = enumerate(&config, &session, &mut prepared).await?;
    json(200, &catalogue)
}

/// The links of one resource and an access token, in one session call: the links from the
/// last enumeration, or a fresh one (at most every half minute: an id nobody published must
/// not cost an enumeration on every request).
pub(super) async fn links_of(
    config: &Config,
    session: &Handle,
    id: &str,
) -> Result<(ResourceLinks, String), PortalError> {
    let mut prepared = session
        .prepare(&Need {
            resource: Some(id.to_owned()),
            ..Need::default()
        })
        .await?;
    if let Some(l) = prepared.links.take() {
        return Ok((l, prepared.token));
    }
    if !prepared.may_enumerate {
        return Err(PortalError::NotFound("This app or desktop".into()));
    }
    let (_, mut all) = enumerate(config, session, &mut prepared).await?;
    let links = all
        .remove(id)
        .ok_or_else(|| PortalError::NotFound("This app or desktop".into()))?;
    Ok((links, prepared.token))
}

/// The SSRF guard for a link the store gave: only on an origin the tenant's discovery names.
pub(crate) async fn admit(
    config: &Config,
    url: &str,
    what: &'static str,
) -> Result<Url, PortalError> {
    customer(config)
        .await?
        .store
        .admit(url)
        .map_err(|e| PortalError::UpstreamMalformed {
            what: what.into(),
            detail: format!("refused URL {}: {e}", loggable(url)),
        })
}

/// A URL as the log may show it: no query, fragment or user info, where tickets and tokens
/// would travel.
fn loggable(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => format!("{}{}", u.origin().ascii_serialization(), u.path()),
        Err(_) => "(not a URL)".into(),
    }
}

/// `GET /api/icons/{id}`: the icon, kept in the edge cache, so a catalogue of many icons costs
/// Citrix Cloud one fetch each. Icons on the store's origins are fetched with the application id
/// (an `<img>` cannot send it); icons on a host the admin allows (`ICON_HOSTS`, a CDN) with no
/// credentials at all; anything else is refused.
pub async fn icon(req: &Request, env: &Env, id: &str) -> Result<Response, PortalError> {
    const WHAT: &str = "loading an icon";
    let (config, session) = signed_in(req, env).await?;
    let (links, _) = links_of(&config, &session, &decode(id)).await?;
    let image = links
        .image
        .ok_or_else(|| PortalError::NotFound("This icon".into()))?;
    let customer = customer(&config).await?;
    let source = IconSource::of(&image, &customer.store, &config.icon_hosts).map_err(|e| {
        PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail: format!("refused icon URL {}: {e}", loggable(&image)),
        }
    })?;
    let (url, application_id) = match source {
        IconSource::Store(url) => (url, Some(config.application_id.as_str())),
        IconSource::Allowed(url) => (url, None),
    };
    let (content_type, body) = icon_bytes(&url, application_id).await?;
    image_response(&content_type, body, "private, max-age=86400")
}

/// An icon's content type and bytes: from the edge cache, or fetched and then cached.
async fn icon_bytes(
    url: &Url,
    application_id: Option<&str>,
) -> Result<(String, Vec<u8>), PortalError> {
    const WHAT: &str = "loading an icon";
    let cache = worker::Cache::default();
    if let Ok(Some(mut hit)) = cache.get(url.as_str(), false).await
        && let Ok(bytes) = hit.bytes().await
    {
        let content_type = hit.headers().get("Content-Type").ok().flatten();
        return Ok((content_type.unwrap_or_default(), bytes));
    }
    let answer = Call {
        method: Method::Get,
        url,
        application_id,
        headers: vec![("Accept", "image/*".into())],
        body: None,
        what: WHAT,
    }
    .send()
    .await?;
    let content_type = answer.content_type.clone().unwrap_or_default();
    if answer.status != 200 || !content_type.starts_with("image/") {
        return Err(PortalError::Upstream {
            what: WHAT.into(),
            detail: format!("icon answered {} {content_type}", answer.status),
        });
    }
    // The edge cache stores only public responses; the browser gets a private one.
    let stored = image_response(&content_type, answer.body.clone(), "public, max-age=86400")?;
    if let Err(e) = cache.put(url.as_str(), stored).await {
        worker::console_warn!("icon not cached: {e}");
    }
    Ok((content_type, answer.body))
}

fn image_response(
    content_type: &str,
    body: Vec<u8>,
    cache_control: &str,
) -> Result<Response, PortalError> {
    let response = Response::from_bytes(body).map_err(|e| PortalError::Internal(e.to_string()))?;
    let set = |k: &str, v: &str| {
        response
            .headers()
            .set(k, v)
            .map_err(|e| PortalError::Internal(e.to_string()))
    };
    set("Content-Type", content_type)?;
    set("Cache-Control", cache_control)?;
    Ok(response)
}

/// `PUT|DELETE /api/resources/{id}/favorite`: add to or remove from the user's favourites.
pub async fn favorite(
    req: &Request,
    env: &Env,
    id: &str,
    on: bool,
) -> Result<Response, PortalError> {
    const WHAT: &str = "changing your favourites";
    let (config, session) = signed_in(req, env).await?;
    let id = decode(id);
    let (links, mut token) = links_of(&config, &session, &id).await?;
    let url = links.favorite.ok_or_else(|| {
        PortalError::BadRequest("This app or desktop cannot be a favourite.".into())
    })?;
    let url = admit(&config, &url, WHAT).await?;
    let method = if on { Method::Post } else { Method::Delete };
    let answer = with_token(&session, &config, &mut token, method, &url, WHAT).await?;
    if !(200..300).contains(&answer.status) {
        return Err(PortalError::Upstream {
            what: WHAT.into(),
            detail: format!("favourite answered {}", answer.status),
        });
    }
    json(200, &FavoriteState { id, favorite: on })
}

/// `POST /api/resources/{id}/launch`.
pub async fn launch(
    req: &Request,
    env: &Env,
    id: &str,
    device: &DeviceId,
) -> Result<Response, PortalError> {
    let (config, session) = signed_in(req, env).await?;
    let id = decode(id);
    let (links, mut token) = links_of(&config, &session, &id).await?;
    let (url, post) = links
        .launch
        .filter(|_| links.launchable)
        .ok_or_else(|| not_launchable(&links.name))?;
    let status = advance(
        &config,
        &session,
        device,
        &mut token,
        PendingLaunch {
            resource_id: id,
            url,
            post,
            not_before_ms: 0,
        },
    )
    .await?;
    json(200, &status)
}

/// Why a resource without ICA links is not launched: a web app opens in the browser instead.
fn not_launchable(name: &str) -> PortalError {
    PortalError::NotLaunchable(format!(
        "{name} cannot be launched with Citrix Workspace app. If it is a web app, open it in the browser instead."
    ))
}

/// `POST /api/launches/{handle}/poll`.
pub async fn poll(
    req: &Request,
    env: &Env,
    handle: &str,
    device: &DeviceId,
) -> Result<Response, PortalError> {
    let not_found = || PortalError::NotFound("This launch".into());
    if !is_token(handle, session::LAUNCH_HANDLE_BYTES) {
        return Err(not_found());
    }
    let (config, session) = signed_in(req, env).await?;
    let mut prepared = session
        .prepare(&Need {
            launch: Some(handle.to_owned()),
            ..Need::default()
        })
        .await?;
    let pending = prepared.launch.take().ok_or_else(not_found)?;
    let early_ms = pending.not_before_ms.saturating_sub(now_ms());
    if early_ms > EARLY_POLL_WAIT_MS {
        session.put_launch(handle, &pending).await?;
        return json(
            200,
            &LaunchStatus::Pending {
                handle: handle.to_owned(),
                retry_after_secs: u32::try_from(early_ms.div_ceil(1000)).unwrap_or(u32::MAX),
            },
        );
    }
    if early_ms > 0 {
        Delay::from(Duration::from_millis(early_ms)).await;
    }
    match advance(
        &config,
        &session,
        device,
        &mut prepared.token,
        pending.clone(),
    )
    .await
    {
        Ok(status) => json(200, &status),
        Err(e) => {
            // A poll that failed on the way can be tried again with the same handle.
            if e.to_api().1.retryable {
                session.put_launch(handle, &pending).await?;
            }
            Err(e)
        }
    }
}

/// One call of the launch-status URL, normalised.
async fn advance(
    config: &Config,
    session: &Handle,
    device: &DeviceId,
    token: &mut String,
    at: PendingLaunch,
) -> Result<LaunchStatus, PortalError> {
    const WHAT: &str = "starting your app or desktop";
    let mut url = admit(config, &at.url, WHAT).await?;
    device.tag(&mut url);
    let method = if at.post { Method::Post } else { Method::Get };
    let answer = with_token(session, config, token, method, &url, WHAT).await?;
    if answer.status >= 500 {
        return Err(PortalError::Upstream {
            what: WHAT.into(),
            detail: format!("launch status answered {}", answer.status),
        });
    }
    let parsed: LaunchAnswer = if answer.body.is_empty() {
        LaunchAnswer::default()
    } else {
        answer.json(WHAT)?
    };
    let step = launch::normalise(answer.status, &parsed).map_err(|detail| {
        PortalError::UpstreamMalformed {
            what: WHAT.into(),
            detail,
        }
    })?;
    Ok(match step {
        Step::Retry {
            retry_url,
            after_secs,
        } => {
            let next = retry_url.unwrap_or(at.url);
            admit(config, &next, WHAT).await?;
            let handle = random_token(session::LAUNCH_HANDLE_BYTES);
            session
                .put_launch(
                    &handle,
                    &PendingLaunch {
                        resource_id: at.resource_id,
                        url: next,
                        post: at.post,
                        not_before_ms: now_ms()
                            .saturating_add(u64::from(after_secs).saturating_mul(1000)),
                    },
                )
                .await?;
            LaunchStatus::Pending {
                handle,
                retry_after_secs: after_secs,
            }
        }
        Step::Ready { receiver_uri } => LaunchStatus::Ready { receiver_uri },
        Step::Failed {
            code,
            message,
            suggest_restart,
        } => LaunchStatus::Failed {
            code,
            message,
            suggest_restart,
        },
    })
}

/// `GET /api/resources/{id}/ica`: the ICA file, for Citrix Workspace app installed natively.
pub async fn ica(
    req: &Request,
    env: &Env,
    id: &str,
    device: &DeviceId,
) -> Result<Response, PortalError> {
    const WHAT: &str = "preparing the ICA file";
    let (config, session) = signed_in(req, env).await?;
    let (links, mut token) = links_of(&config, &session, &decode(id)).await?;
    let mut url = links
        .ica
        .clone()
        .filter(|_| links.launchable)
        .ok_or_else(|| not_launchable(&links.name))?;
    for _ in 0..=ICA_MAX_WAITS {
        let mut admitted = admit(&config, &url, WHAT).await?;
        device.tag(&mut admitted);
        let answer = with_token_accepting(
            &session,
            &config,
            &mut token,
            Method::Get,
            &admitted,
            WHAT,
            "application/x-ica, application/json;q=0.5",
        )
        .await?;
        match answer.status {
            200 => return ica_file(&links.name, answer.body),
            202 => {
                let parsed: LaunchAnswer = answer.json(WHAT)?;
                if let Some(next) = parsed.retry_url {
                    url = next;
                }
                let wait = parsed.poll_timeout.unwrap_or(2).clamp(1, 5);
                Delay::from(Duration::from_secs(u64::from(wait))).await;
            }
            s => {
                return Err(PortalError::Upstream {
                    what: WHAT.into(),
                    detail: format!("ICA file answered {s}"),
                });
            }
        }
    }
    Err(PortalError::Upstream {
        what: WHAT.into(),
        detail: "the desktop was still starting after several waits".into(),
    })
}

fn ica_file(name: &str, body: Vec<u8>) -> Result<Response, PortalError> {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let response = Response::from_bytes(body).map_err(|e| PortalError::Internal(e.to_string()))?;
    let headers = response.headers().clone();
    let set = |k: &str, v: &str| {
        headers
            .set(k, v)
            .map_err(|e| PortalError::Internal(e.to_string()))
    };
    set("Content-Type", "application/x-ica")?;
    set(
        "Content-Disposition",
        &format!("attachment; filename=\"{safe}.ica\""),
    )?;
    Ok(response.with_headers(headers))
}

pub(crate) fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_url_keeps_no_query_fragment_or_user_info() {
        assert_eq!(
            loggable("https://u:p@evil.example:8443/a/b?ticket=T&token=x#frag"),
            "https://evil.example:8443/a/b"
        );
        assert_eq!(loggable("not a url?token=x"), "(not a URL)");
    }
}
