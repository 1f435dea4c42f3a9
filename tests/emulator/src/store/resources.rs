//! The resource list: enumeration in either link generation, shaped by the profile, and the
//! per-user favourites it reports.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{RESOURCES, answer, authorize};
use crate::hosts::Role;
use crate::{
    AppState, IconFormat, LinkGeneration, Profile, SeedResource, Topology, json_as, json_error, seg,
};

/// The id of the one malformed item the .NET profile appends to enumeration.
pub const MALFORMED_ID: &str = "malformed-item";

/// Where a resource's icon is: on the CDN for PNG icons in the realistic topology, else on the
/// customer host (which wants the application id).
fn image_url(state: &AppState, headers: &HeaderMap, r: &SeedResource) -> String {
    let id = seg(&r.id);
    match r.icon {
        IconFormat::Png if state.config.topology == Topology::Realistic => {
            format!("{}/icons/{id}.png", state.base(Role::Cdn, headers))
        }
        IconFormat::Png => format!(
            "{}{RESOURCES}/images/{id}.png",
            state.base(Role::Customer, headers)
        ),
        IconFormat::Svg => format!(
            "{}{RESOURCES}/images/{id}.svg",
            state.base(Role::Customer, headers)
        ),
    }
}

/// The launch links of a launchable resource, by name.
fn launch_links(b: &str, id: &str, links: LinkGeneration) -> [(&'static str, String); 2] {
    match links {
        LinkGeneration::Legacy => [
            (
                "launchStatusUrl",
                format!("{b}{RESOURCES}/{id}/launchStatus"),
            ),
            ("launchUrl", format!("{b}{RESOURCES}/{id}/launch")),
        ],
        LinkGeneration::Current => [
            (
                "icaFileFetchTicketUrl",
                format!("{b}{RESOURCES}/{id}/icaFileFetchTicket"),
            ),
            ("icaFileUrl", format!("{b}{RESOURCES}/{id}/icaFile")),
        ],
    }
}

/// A resource in the plain profile: every field present and typed.
fn resource_json(
    b: &str,
    image: String,
    r: &SeedResource,
    favorite: bool,
    links: LinkGeneration,
) -> serde_json::Value {
    let id = seg(&r.id);
    let mut l = serde_json::json!({
        "imageUrl": image,
        "favoriteUrl": format!("{b}{RESOURCES}/{id}/$favorite"),
    });
    if r.launchable() {
        for (name, url) in launch_links(b, &id, links) {
            l[name] = url.into();
        }
    } else if r.is_web() {
        // Either generation: only the ICA links were renamed.
        l["launchUrl"] = format!("{b}{RESOURCES}/{id}/launch").into();
    }
    serde_json::json!({
        "resourceId": r.id, "name": r.name, "description": r.description,
        "type": if r.desktop { "Citrix.MPS.Desktop" } else { "Citrix.MPS.Application" },
        "isDesktop": r.desktop, "path": r.path, "isFavorite": favorite,
        "clientTypes": r.client_types, "enabled": true, "links": l,
    })
}

/// How an optional field appears in the .NET profile.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    Value,
    Null,
    Absent,
}

/// Field `k` of item `i`: present, `null` or left out, in turn, so each item mixes all three.
fn shown(i: usize, k: usize) -> Shown {
    match (i + k) % 3 {
        0 => Shown::Value,
        1 => Shown::Null,
        _ => Shown::Absent,
    }
}

fn put(
    o: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    value: serde_json::Value,
    how: Shown,
) {
    match how {
        Shown::Value => o.insert(key.to_owned(), value),
        Shown::Null => o.insert(key.to_owned(), serde_json::Value::Null),
        Shown::Absent => o.remove(key),
    };
}

/// A resource in the .NET profile, item `i` of the list: every optional field is `null` on some
/// items and left out on others; a desktop keeps `isDesktop: true` or a `type` naming a
/// desktop; a favourite keeps `isFavorite: true`; launch links stay. A description or folder
/// the resource has is always sent (dropping it would change the data, not its shape); one it
/// lacks is `""`, `null` or left out. Unknown fields everywhere;
/// every fourth item carries `id` beside `resourceId`.
fn dotnet_resource_json(
    b: &str,
    image: String,
    r: &SeedResource,
    favorite: bool,
    links: LinkGeneration,
    i: usize,
) -> serde_json::Value {
    let mut v = resource_json(b, image, r, favorite, links);
    let Some(o) = v.as_object_mut() else {
        return v;
    };
    let kind = if r.desktop {
        "Citrix.MPS.Desktop"
    } else {
        "Citrix.MPS.Application"
    };
    let mut type_shown = shown(i, 1);
    let mut desktop_shown = shown(i, 2);
    if r.desktop && type_shown != Shown::Value && desktop_shown != Shown::Value {
        if i.is_multiple_of(2) {
            desktop_shown = Shown::Value;
        } else {
            type_shown = Shown::Value;
        }
    }
    let unless_set = |value: &str, k| {
        if value.is_empty() {
            shown(i, k)
        } else {
            Shown::Value
        }
    };
    put(
        o,
        "description",
        r.description.clone().into(),
        unless_set(&r.description, 0),
    );
    put(o, "type", kind.into(), type_shown);
    put(o, "isDesktop", r.desktop.into(), desktop_shown);
    put(o, "path", r.path.clone().into(), unless_set(&r.path, 3));
    if !favorite {
        put(o, "isFavorite", false.into(), shown(i, 4));
    }
    put(
        o,
        "clientTypes",
        serde_json::json!(r.client_types),
        shown(i, 5),
    );
    put(o, "enabled", true.into(), shown(i, 6));
    // Fields a .NET DTO from StoreFront's heritage may carry.
    match i % 3 {
        0 => o.insert("subscriptionStatus".into(), "subscribed".into()),
        1 => o.insert("subscriptionStatus".into(), serde_json::Value::Null),
        _ => None,
    };
    o.insert("publisherName".into(), serde_json::Value::Null);
    o.insert(
        "images".into(),
        if i.is_multiple_of(2) {
            serde_json::json!([{"size": 32, "depth": 32, "url": null}])
        } else {
            serde_json::Value::Null
        },
    );
    if i % 4 == 3 {
        o.insert("id".into(), r.id.clone().into());
    }
    if let Some(l) = o.get_mut("links").and_then(|l| l.as_object_mut()) {
        // The link names the resource does not have: `null` on even items, left out on odd.
        for name in [
            "launchStatusUrl",
            "launchUrl",
            "icaFileFetchTicketUrl",
            "icaFileUrl",
        ] {
            if !l.contains_key(name) && i.is_multiple_of(2) {
                l.insert(name.into(), serde_json::Value::Null);
            }
        }
        l.insert("subscriptionUrl".into(), serde_json::Value::Null);
    }
    v
}

pub(super) async fn resources(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let b = state.base(Role::Customer, &headers);
    let (links, profile, favorites) = {
        let data = state.data();
        let favorites: HashMap<String, bool> = data
            .favorites
            .iter()
            .filter(|((u, _), _)| *u == user)
            .map(|((_, id), on)| (id.clone(), *on))
            .collect();
        (data.settings.links, data.settings.profile, favorites)
    };
    let mut list: Vec<_> = state
        .config
        .seed
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let fav = favorites.get(&r.id).copied().unwrap_or(r.favorite);
            let image = image_url(&state, &headers, r);
            match profile {
                Profile::Plain => resource_json(&b, image, r, fav, links),
                Profile::DotNet => dotnet_resource_json(&b, image, r, fav, links, i),
            }
        })
        .collect();
    match profile {
        Profile::Plain => Json(serde_json::json!({"resources": list})).into_response(),
        Profile::DotNet => {
            // Exactly one item a client cannot use; it has an id so that a client can log it.
            list.push(serde_json::json!({"resourceId": MALFORMED_ID, "name": null, "links": "not-an-object"}));
            json_as(
                "application/vnd.citrix.store+json; charset=utf-8",
                &serde_json::json!({
                    "isSubscriptionEnabled": true, "isUnauthenticatedStore": false,
                    "unauthorized": null, "continuationToken": null, "resources": list,
                }),
            )
        }
    }
}

async fn set_favorite(
    state: AppState,
    headers: HeaderMap,
    q: Option<String>,
    id: String,
    on: bool,
) -> Response {
    let user = match authorize(&state, &headers, q.as_deref()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if state.resource(&id).is_none() {
        return json_error(StatusCode::NOT_FOUND, "not_found", "no such resource");
    }
    state.data().favorites.insert((user, id.clone()), on);
    answer(
        &state,
        StatusCode::OK,
        &serde_json::json!({"resourceId": id, "isFavorite": on}),
    )
}

pub(super) async fn favorite(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    set_favorite(state, headers, q, id, true).await
}

pub(super) async fn unfavorite(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    set_favorite(state, headers, q, id, false).await
}
