//! The admin portal: Workspace OAuth client management (Identity and Access Management → API
//! Access → Workspace API), as a JSON API under `/admin/api/` and a small HTML page at `/admin`.
//! No sign-in: it is a local emulator. What a client shows and how its secret is rotated or
//! expired lives here once; the Citrix Cloud API (`cloud.rs`) uses the same code
//! (seed: oauth-client-management.txt).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch, post};
use portal_shared::time::{days_left, utc_date};
use serde::{Deserialize, Serialize};

use crate::{
    AppState, Client, Data, OAuthClient, SECRET_LIFETIME_SECS, SecretSlot, esc, json_error,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/clients", post(form_create))
        .route("/admin/clients/{client_id}/{action}", post(form_action))
        .route("/admin/api/clients", get(list).post(create))
        .route("/admin/api/clients/{client_id}", patch(edit).delete(delete))
        .route("/admin/api/clients/{client_id}/{action}", post(act))
}

// ---------------------------------------------------------------------------------------------
// Shared with the Citrix Cloud API.

/// Why a client operation was refused; mapped to a response in one place for each surface.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// No such client (or action).
    NotFound(String),
    /// The client is public: it has no secret to rotate or expire.
    Public(String),
    /// The request is malformed or a value is not acceptable.
    Invalid(String),
}

impl ClientError {
    fn status(&self) -> StatusCode {
        match self {
            ClientError::NotFound(_) => StatusCode::NOT_FOUND,
            ClientError::Public(_) | ClientError::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ClientError::NotFound(_) => "not_found",
            ClientError::Public(_) => "public_client",
            ClientError::Invalid(_) => "invalid_request",
        }
    }

    fn message(&self) -> &str {
        match self {
            ClientError::NotFound(m) | ClientError::Public(m) | ClientError::Invalid(m) => m,
        }
    }
}

impl IntoResponse for ClientError {
    fn into_response(self) -> Response {
        json_error(self.status(), self.code(), self.message())
    }
}

/// Public clients have no secret; private (confidential) ones have one that lives 90 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ClientType {
    Private,
    Public,
}

impl ClientType {
    fn of(c: &Client) -> ClientType {
        if c.is_public() {
            ClientType::Public
        } else {
            ClientType::Private
        }
    }

    fn parse(s: &str) -> Result<ClientType, ClientError> {
        match s {
            "private" => Ok(ClientType::Private),
            "public" => Ok(ClientType::Public),
            other => Err(ClientError::Invalid(format!(
                "client_type must be \"private\" or \"public\", not {other:?}"
            ))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ClientType::Private => "private",
            ClientType::Public => "public",
        }
    }
}

/// What both the admin portal and the Citrix Cloud API show of a client. Never a secret value.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    pub name: String,
    pub display_name: String,
    pub owner: String,
    pub client_type: ClientType,
    pub enabled: bool,
    pub application_id: String,
    pub redirect_uris: Vec<String>,
    pub user_consent: bool,
    /// Unix seconds; `null` for a public client.
    pub secret_update_time: Option<u64>,
    pub secret_expiration: Option<u64>,
    /// Unix seconds; `null` unless a rotated-out secret still exists.
    pub secret_update_time_old: Option<u64>,
    pub secret_expiration_old: Option<u64>,
}

impl Summary {
    pub(crate) fn of(c: &Client) -> Summary {
        let s = c.secret.as_ref();
        let old = c.old_secret.as_ref();
        Summary {
            name: c.seed.name.clone(),
            display_name: c.seed.display_name.clone(),
            owner: c.seed.owner.clone(),
            client_type: ClientType::of(c),
            enabled: c.seed.enabled,
            application_id: c.seed.application_id.clone(),
            redirect_uris: c.seed.redirect_uris.clone(),
            user_consent: c.seed.user_consent,
            secret_update_time: s.map(|s| s.updated),
            secret_expiration: s.map(|s| s.expires),
            secret_update_time_old: old.map(|s| s.updated),
            secret_expiration_old: old.map(|s| s.expires),
        }
    }
}

/// Issues a new 90-day secret; the current one keeps working until its own expiry.
pub(crate) fn rotate(c: &mut Client, now: u64) -> Result<String, ClientError> {
    c.rotate(now).ok_or_else(|| public(c))
}

/// The rotated-out secret stops working now. Nothing to do when there is none.
pub(crate) fn expire_old(c: &mut Client) -> Result<(), ClientError> {
    if c.is_public() {
        return Err(public(c));
    }
    c.expire_old();
    Ok(())
}

fn public(c: &Client) -> ClientError {
    ClientError::Public(format!(
        "{} is a public client: it has no secret",
        c.seed.name
    ))
}

// ---------------------------------------------------------------------------------------------
// The admin portal's operations.

/// A client as the admin portal shows it.
#[derive(Debug, Clone, Serialize)]
struct AdminView {
    client_id: String,
    #[serde(flatten)]
    summary: Summary,
    require_pkce: bool,
    created_at: u64,
}

impl AdminView {
    fn of(c: &Client) -> AdminView {
        AdminView {
            client_id: c.seed.client_id.clone(),
            summary: Summary::of(c),
            require_pkce: c.seed.require_pkce,
            created_at: c.created_at,
        }
    }
}

/// A view with the secret that was just issued (shown once).
#[derive(Serialize)]
struct WithSecret {
    #[serde(flatten)]
    view: AdminView,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// The "Create client" form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewClient {
    display_name: String,
    client_type: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    user_consent: bool,
    #[serde(default)]
    owner: String,
    /// Private clients may allow the plain code flow; public ones always need PKCE.
    #[serde(default)]
    require_pkce: Option<bool>,
}

/// The "Client settings" tab (plus enable/disable).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientPatch {
    display_name: Option<String>,
    user_consent: Option<bool>,
    redirect_uris: Option<Vec<String>>,
    enabled: Option<bool>,
}

/// The per-client actions besides editing and deleting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Enable,
    Disable,
    Rotate,
    ExpireOld,
}

impl Action {
    fn parse(s: &str) -> Result<Action, ClientError> {
        match s {
            "enable" => Ok(Action::Enable),
            "disable" => Ok(Action::Disable),
            "rotate" => Ok(Action::Rotate),
            "expire-old" => Ok(Action::ExpireOld),
            other => Err(ClientError::NotFound(format!(
                "unknown action {other:?}; use enable, disable, rotate or expire-old"
            ))),
        }
    }
}

fn display_name(s: &str) -> Result<String, ClientError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ClientError::Invalid(
            "display_name must not be empty".into(),
        ));
    }
    Ok(s.to_owned())
}

/// Redirect URIs are matched exactly, so they are kept as written once checked.
fn redirect_uris(list: &[String]) -> Result<Vec<String>, ClientError> {
    let mut out: Vec<String> = Vec::new();
    for raw in list {
        let uri = raw.trim();
        let bad = |why: &str| ClientError::Invalid(format!("redirect URI {uri:?} {why}"));
        let url = url::Url::parse(uri).map_err(|_| bad("is not an absolute URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(bad("must be an http or https URL with a host"));
        }
        if url.fragment().is_some() {
            return Err(bad("must not have a fragment"));
        }
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    if out.is_empty() {
        return Err(ClientError::Invalid(
            "at least one redirect URI is required".into(),
        ));
    }
    Ok(out)
}

fn not_found(client_id: &str) -> ClientError {
    ClientError::NotFound(format!("no client with id {client_id:?}"))
}

fn find<'a>(data: &'a mut Data, client_id: &str) -> Result<&'a mut Client, ClientError> {
    data.clients
        .iter_mut()
        .find(|c| c.seed.client_id == client_id)
        .ok_or_else(|| not_found(client_id))
}

/// A random UUID (version 4) as Citrix Cloud shows client and application ids.
fn uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `{customer}-{private|public}-{n}`, numbered after the highest such name in use.
fn next_name(data: &Data, customer: &str, kind: ClientType) -> String {
    let n = data
        .clients
        .iter()
        .filter_map(|c| {
            let (prefix, n) = c.seed.name.rsplit_once('-')?;
            let kind = prefix.strip_prefix(customer)?.strip_prefix('-')?;
            matches!(kind, "private" | "public")
                .then(|| n.parse::<u64>().ok())
                .flatten()
        })
        .max()
        .unwrap_or(0);
    format!("{customer}-{}-{}", kind.as_str(), n + 1)
}

/// Creates a client; its application id works once the activation delay has passed.
fn create_client(state: &AppState, new: NewClient) -> Result<WithSecret, ClientError> {
    let kind = ClientType::parse(&new.client_type)?;
    let display_name = display_name(&new.display_name)?;
    let redirect_uris = redirect_uris(&new.redirect_uris)?;
    let require_pkce = match (kind, new.require_pkce) {
        (ClientType::Public, Some(false)) => {
            return Err(ClientError::Invalid(
                "a public client always requires PKCE".into(),
            ));
        }
        (_, r) => r.unwrap_or(true),
    };
    let now = state.now();
    let secret = (kind == ClientType::Private).then(|| crate::token(32));
    let mut data = state.data();
    let seed = OAuthClient {
        client_id: uuid(),
        name: next_name(&data, &state.config.seed.customer_id, kind),
        display_name,
        owner: new.owner.trim().to_owned(),
        secret: secret.clone(),
        secret_age_days: 0,
        application_id: uuid(),
        redirect_uris,
        require_pkce,
        user_consent: new.user_consent,
        enabled: true,
    };
    let client = Client {
        secret: secret.clone().map(|value| SecretSlot {
            value,
            updated: now,
            expires: now + SECRET_LIFETIME_SECS,
        }),
        old_secret: None,
        created_at: now,
        seed,
    };
    let view = AdminView::of(&client);
    data.clients.push(client);
    Ok(WithSecret { view, secret })
}

/// Applies an edit; nothing changes unless every field is acceptable.
fn edit_client(
    state: &AppState,
    client_id: &str,
    p: ClientPatch,
) -> Result<AdminView, ClientError> {
    let name = p.display_name.as_deref().map(display_name).transpose()?;
    let uris = p.redirect_uris.as_deref().map(redirect_uris).transpose()?;
    let mut data = state.data();
    let c = find(&mut data, client_id)?;
    if let Some(n) = name {
        c.seed.display_name = n;
    }
    if let Some(u) = uris {
        c.seed.redirect_uris = u;
    }
    if let Some(consent) = p.user_consent {
        c.seed.user_consent = consent;
    }
    if let Some(enabled) = p.enabled {
        c.seed.enabled = enabled;
    }
    Ok(AdminView::of(c))
}

fn perform(state: &AppState, client_id: &str, action: Action) -> Result<WithSecret, ClientError> {
    let now = state.now();
    let mut data = state.data();
    let c = find(&mut data, client_id)?;
    let secret = match action {
        Action::Enable | Action::Disable => {
            c.seed.enabled = action == Action::Enable;
            None
        }
        Action::Rotate => Some(rotate(c, now)?),
        Action::ExpireOld => {
            expire_old(c)?;
            None
        }
    };
    Ok(WithSecret {
        view: AdminView::of(c),
        secret,
    })
}

/// Deletes a client: applications using it stop working, including the grants it holds.
fn delete_client(state: &AppState, client_id: &str) -> Result<Client, ClientError> {
    let mut data = state.data();
    let at = data
        .clients
        .iter()
        .position(|c| c.seed.client_id == client_id)
        .ok_or_else(|| not_found(client_id))?;
    let client = data.clients.remove(at);
    let families: Vec<String> = data
        .refresh
        .values()
        .filter(|e| e.grant.client_id == client_id)
        .map(|e| e.family.clone())
        .collect();
    for family in families {
        data.revoke_family(&family);
    }
    data.access.retain(|_, a| a.client_id != client_id);
    data.codes.retain(|_, c| c.grant.client_id != client_id);
    data.consents.retain(|(_, c)| c != client_id);
    Ok(client)
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], shape: &str) -> Result<T, ClientError> {
    serde_json::from_slice(body)
        .map_err(|e| ClientError::Invalid(format!("send a JSON object {shape}: {e}")))
}

// ---------------------------------------------------------------------------------------------
// JSON API.

const NEW_CLIENT_SHAPE: &str = "{\"display_name\": \"…\", \"client_type\": \"private\"|\"public\", \"redirect_uris\": [\"https://…\"], \"user_consent\"?: bool, \"owner\"?: \"…\", \"require_pkce\"?: bool}";
const PATCH_SHAPE: &str = "with any of {\"display_name\": \"…\", \"user_consent\": bool, \"redirect_uris\": [\"https://…\"], \"enabled\": bool}";

async fn list(State(state): State<AppState>) -> Json<Vec<AdminView>> {
    Json(state.data().clients.iter().map(AdminView::of).collect())
}

async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    match parse_json(&body, NEW_CLIENT_SHAPE).and_then(|new| create_client(&state, new)) {
        Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn edit(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Response {
    match parse_json(&body, PATCH_SHAPE).and_then(|p| edit_client(&state, &client_id, p)) {
        Ok(view) => Json(view).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn delete(State(state): State<AppState>, Path(client_id): Path<String>) -> Response {
    match delete_client(&state, &client_id) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn act(
    State(state): State<AppState>,
    Path((client_id, action)): Path<(String, String)>,
) -> Response {
    match Action::parse(&action).and_then(|a| perform(&state, &client_id, a)) {
        Ok(done) => Json(done).into_response(),
        Err(e) => e.into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// HTML page.

const STYLE: &str = "body{font:15px system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}\
form.inline{display:inline}button{margin:.1rem}code{word-break:break-all}\
fieldset{margin-top:2rem}label{display:block;margin:.5rem 0 .2rem}input[type=text],textarea,select{width:100%;max-width:32rem}\
.error{color:#b91c1c}.secret{font-size:1.1rem;background:#fef3c7;padding:.3rem}";

fn layout(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=en><head><meta charset=utf-8>\
             <title>{} · Citrix Cloud (emulator)</title><style>{STYLE}</style></head>\
             <body><main><h1>{}</h1>{body}</main></body></html>",
            esc(title),
            esc(title)
        )),
    )
        .into_response()
}

/// An expiry date with how long is left, in whole days rounded up.
fn expiry(expires: Option<u64>, now: u64) -> String {
    let Some(e) = expires else {
        return "—".into();
    };
    let left = match days_left(e, now) {
        0 => "expired".to_owned(),
        1 => "1 day left".to_owned(),
        n => format!("{n} days left"),
    };
    format!("{} ({left})", utc_date(e))
}

/// A path segment, percent-encoded (client ids come from seed files).
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn button(client: &Client, action: &str, label: &str) -> String {
    format!(
        "<form class=inline method=post action=\"/admin/clients/{}/{action}\">\
         <button type=submit data-testid=client-{action} aria-label=\"{label}: {}\">{label}</button></form>",
        segment(&client.seed.client_id),
        esc(&client.seed.display_name)
    )
}

fn row(c: &Client, now: u64) -> String {
    let s = Summary::of(c);
    let mut actions = if s.enabled {
        button(c, "disable", "Disable")
    } else {
        button(c, "enable", "Enable")
    };
    if !c.is_public() {
        actions.push_str(&button(c, "rotate", "Rotate secret"));
        if c.old_secret.is_some() {
            actions.push_str(&button(c, "expire-old", "Expire old secret"));
        }
    }
    actions.push_str(&button(c, "delete", "Delete"));
    format!(
        "<tr data-testid=client-row data-client-id=\"{id}\">\
         <td data-testid=client-display-name>{display}</td>\
         <td><code data-testid=client-id>{id}</code><br><small data-testid=client-name>{name}</small></td>\
         <td data-testid=client-type>{kind}</td>\
         <td><code data-testid=client-application-id>{app}</code></td>\
         <td data-testid=client-enabled>{enabled}</td>\
         <td data-testid=client-secret-expiry>{exp}</td>\
         <td data-testid=client-old-secret-expiry>{old}</td>\
         <td>{actions}</td></tr>",
        id = esc(&c.seed.client_id),
        display = esc(&s.display_name),
        name = esc(&s.name),
        kind = s.client_type.as_str(),
        app = esc(&s.application_id),
        enabled = if s.enabled { "Enabled" } else { "Disabled" },
        exp = esc(&expiry(s.secret_expiration, now)),
        old = esc(&expiry(s.secret_expiration_old, now)),
    )
}

const CREATE_FORM: &str = "<form method=post action=/admin/clients data-testid=create-form><fieldset><legend>Create client</legend>\
<label for=display_name>Display name</label><input type=text id=display_name name=display_name required data-testid=create-display-name>\
<label for=client_type>Client type</label><select id=client_type name=client_type data-testid=create-client-type>\
<option value=private>Private (confidential: has a secret)</option><option value=public>Public (PKCE, no secret)</option></select>\
<label for=redirect_uris>Redirect URIs (one per line)</label><textarea id=redirect_uris name=redirect_uris rows=3 required data-testid=create-redirect-uris></textarea>\
<label for=owner>Owner contact</label><input type=text id=owner name=owner data-testid=create-owner>\
<label><input type=checkbox name=user_consent value=on data-testid=create-user-consent> Require user consent</label>\
<button type=submit data-testid=create-submit>Create client</button></fieldset></form>";

async fn page(State(state): State<AppState>) -> Response {
    let now = state.now();
    let rows: String = state.data().clients.iter().map(|c| row(c, now)).collect();
    let table = if rows.is_empty() {
        "<p data-testid=no-clients>No clients yet.</p>".to_owned()
    } else {
        format!(
            "<table data-testid=clients><caption>Workspace OAuth clients</caption><thead><tr>\
             <th scope=col>Display name</th><th scope=col>Client id</th><th scope=col>Type</th>\
             <th scope=col>Application id</th><th scope=col>Status</th>\
             <th scope=col>Secret expires</th><th scope=col>Old secret expires</th>\
             <th scope=col>Actions</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    layout(
        StatusCode::OK,
        "Workspace API clients",
        &format!("{table}{CREATE_FORM}"),
    )
}

const BACK: &str = "<p><a href=/admin data-testid=back-link>Back to the clients</a></p>";

fn outcome(title: &str, body: &str) -> Response {
    layout(
        StatusCode::OK,
        title,
        &format!("<div data-testid=outcome>{body}</div>{BACK}"),
    )
}

fn error_page(e: &ClientError) -> Response {
    layout(
        e.status(),
        "Something went wrong",
        &format!(
            "<p class=error role=alert data-testid=admin-error>{}</p>{BACK}",
            esc(e.message())
        ),
    )
}

fn secret_block(v: &AdminView, secret: &str) -> String {
    format!(
        "<p>Client id: <code data-testid=new-client-id>{}</code></p>\
         <p>Client secret (shown once, copy it now): <code class=secret data-testid=new-secret>{}</code></p>",
        esc(&v.client_id),
        esc(secret)
    )
}

async fn form_create(State(state): State<AppState>, body: Bytes) -> Response {
    let mut f = Form::parse(&body);
    let new = NewClient {
        display_name: f.take("display_name"),
        client_type: f.take("client_type"),
        redirect_uris: f
            .take("redirect_uris")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        user_consent: matches!(f.take("user_consent").as_str(), "on" | "true" | "yes" | "1"),
        owner: f.take("owner"),
        require_pkce: None,
    };
    match create_client(&state, new) {
        Ok(WithSecret { view, secret }) => {
            let secret = match &secret {
                Some(s) => secret_block(&view, s),
                None => format!(
                    "<p>Client id: <code data-testid=new-client-id>{}</code></p><p>A public client has no secret.</p>",
                    esc(&view.client_id)
                ),
            };
            outcome(
                "Client created",
                &format!(
                    "<p>{} ({}) was created.</p>{secret}\
                     <p>Application id: <code data-testid=new-application-id>{}</code> (it can take a few minutes to become active).</p>",
                    esc(&view.summary.display_name),
                    esc(&view.summary.name),
                    esc(&view.summary.application_id)
                ),
            )
        }
        Err(e) => error_page(&e),
    }
}

async fn form_action(
    State(state): State<AppState>,
    Path((client_id, action)): Path<(String, String)>,
) -> Response {
    if action == "delete" {
        return match delete_client(&state, &client_id) {
            Ok(c) => outcome(
                "Client deleted",
                &format!(
                    "<p>{} was deleted. Applications using it stop working.</p>",
                    esc(&c.seed.display_name)
                ),
            ),
            Err(e) => error_page(&e),
        };
    }
    let (action, done) = match Action::parse(&action)
        .and_then(|a| perform(&state, &client_id, a).map(|done| (a, done)))
    {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let name = esc(&done.view.summary.display_name);
    match action {
        Action::Rotate => outcome(
            "Client secret rotated",
            &format!(
                "<p>{name} has a new secret, valid for 90 days. The old secret keeps working until {} or until you expire it.</p>{}",
                esc(&expiry(
                    done.view.summary.secret_expiration_old,
                    state.now()
                )),
                secret_block(&done.view, done.secret.as_deref().unwrap_or_default())
            ),
        ),
        Action::ExpireOld => outcome(
            "Old secret expired",
            &format!("<p>The old secret of {name} has been expired and no longer works.</p>"),
        ),
        Action::Enable => outcome("Client enabled", &format!("<p>{name} is enabled.</p>")),
        Action::Disable => outcome(
            "Client disabled",
            &format!(
                "<p>{name} is disabled: applications using it stop working until it is enabled again.</p>"
            ),
        ),
    }
}

/// A form-encoded body.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(body: &[u8]) -> Form {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    fn take(&mut self, key: &str) -> String {
        self.0
            .iter()
            .position(|(k, _)| k == key)
            .map(|i| self.0.swap_remove(i).1)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::time::DAY_SECS;

    #[test]
    fn expiry_counts_whole_days_up() {
        let now = 1_000_000_000;
        assert_eq!(expiry(None, now), "—");
        assert!(expiry(Some(now + 1), now).ends_with("(1 day left)"));
        assert!(expiry(Some(now + 60 * DAY_SECS), now).ends_with("(60 days left)"));
        assert!(expiry(Some(now + 60 * DAY_SECS - 5), now).ends_with("(60 days left)"));
        assert!(expiry(Some(now), now).ends_with("(expired)"));
    }

    #[test]
    fn redirect_uris_must_be_absolute_http_urls() {
        let ok = |l: &[&str]| redirect_uris(&l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            ok(&[
                "https://a.example/cb",
                " http://127.0.0.1:1/x ",
                "https://a.example/cb"
            ])
            .unwrap(),
            vec!["https://a.example/cb", "http://127.0.0.1:1/x"]
        );
        for bad in [
            "/relative",
            "ftp://a.example/",
            "not a url",
            "https://a.example/#frag",
            "file:///etc",
        ] {
            assert!(matches!(ok(&[bad]), Err(ClientError::Invalid(_))), "{bad}");
        }
        assert!(ok(&[]).is_err());
    }

    #[test]
    fn uuids_look_like_uuids() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid());
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("portal-dev"), "portal-dev");
        assert_eq!(segment("a/b c\""), "a%2Fb%20c%22");
    }
}
