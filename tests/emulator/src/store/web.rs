//! Web and SaaS apps (`content` resources): their `launchUrl` says where the app is.
//!
//! No public source shows the Workspace API opening one (the samples list them and say they
//! "will not be able to be launched"); StoreFront's resources carry a `launchurl` for them. So
//! the emulator answers as harshly as a service may: the address is whatever the admin
//! published (`http:` and worse included), and in the .NET profile it comes as a `302` to
//! another origin, which a client must read from `Location`, never follow with the user's
//! token; in the plain profile as `200 {"url": …}`.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{answer, authorize};
use crate::{AppState, Profile, SeedResource};

/// The answer to a web app's `launchUrl`.
pub(super) fn open(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    r: &SeedResource,
) -> Response {
    if let Err(refused) = authorize(state, headers, query) {
        return refused;
    }
    let address = r.web_address();
    match state.profile() {
        Profile::DotNet => (StatusCode::FOUND, [(header::LOCATION, address)]).into_response(),
        Profile::Plain => answer(state, StatusCode::OK, &serde_json::json!({"url": address})),
    }
}
