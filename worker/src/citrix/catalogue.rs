//! Enumeration results turned into the browser's catalogue and the worker's own link table.

use std::collections::BTreeMap;

use portal_shared::api::{Catalogue, CatalogueResource, ResourceKind};
use serde::{Deserialize, Serialize};

use crate::citrix::workspace::{Resource, ResourceList, Skipped};
use crate::crypto::sha256_hex_of;

/// A resource as the worker needs it to act on the browser's behalf: only URLs from enumeration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceLinks {
    /// Display name, for file names and messages.
    pub name: String,
    /// Icon URL.
    pub image: Option<String>,
    /// Ticketed launch: URL and whether it is POSTed (older generation) or GETted.
    pub launch: Option<(String, bool)>,
    /// ICA file URL.
    pub ica: Option<String>,
    /// Favourite URL.
    pub favorite: Option<String>,
    /// Whether the portal may launch it.
    pub launchable: bool,
    /// A web or SaaS app's `launchUrl`: asked where the app is, to open it in a new tab.
    #[serde(default)]
    pub web: Option<String>,
}

/// Every resource's links, by id, in id order: the same enumeration serialises to the same bytes.
pub type Links = BTreeMap<String, ResourceLinks>;

/// The links' fingerprint: the SHA-256 of their JSON (as stored: an object, id to links),
/// hashed as it is written, so that an enumeration that changed nothing costs no copy of it
/// and is not stored again.
pub fn fingerprint(links: &Links) -> Result<String, serde_json::Error> {
    sha256_hex_of(|out| serde_json::to_writer(out, links))
}

/// The catalogue for the browser, and the links the worker keeps for later calls.
///
/// Items the store sent that cannot be used (malformed, without an id, or with the id of an
/// earlier one) are skipped, counted
/// in [`Catalogue::skipped`] and returned for the log, so the rest of the catalogue still shows.
pub fn build(list: ResourceList) -> (Catalogue, Links, Vec<Skipped>) {
    let mut skipped = list.resources.skipped;
    let mut links = Links::new();
    let mut resources = Vec::with_capacity(list.resources.good.len());
    for r in list.resources.good {
        let Some(id) = r.id().map(str::to_owned) else {
            skipped.push(Skipped {
                id: None,
                error: format!("the resource {:?} has no resourceId", r.name),
            });
            continue;
        };
        if r.enabled == Some(false) {
            continue;
        }
        // One id, one tile: a second resource under an id would show twice and launch with the
        // other's links, which the table keeps by id.
        if links.contains_key(&id) {
            skipped.push(Skipped {
                id: Some(id),
                error: format!("the resource {:?} repeats an id already listed", r.name),
            });
            continue;
        }
        let launchable = launchable(&r);
        let stored = stored_links(&r, launchable);
        let opens_in_browser = stored.web.is_some();
        links.insert(id.clone(), stored);
        resources.push(CatalogueResource {
            icon_url: r.links.image_url.as_ref().map(|_| icon_path(&id)),
            kind: kind(r.is_desktop, r.resource_type.as_deref()),
            category: category(r.path.as_deref()),
            favorite: r.is_favorite(),
            launchable,
            opens_in_browser,
            id,
            description: r.description.filter(|d| !d.trim().is_empty()),
            name: r.name,
        });
    }
    let catalogue = Catalogue {
        resources,
        skipped: u32::try_from(skipped.len()).unwrap_or(u32::MAX),
    };
    (catalogue, links, skipped)
}

fn kind(is_desktop: Option<bool>, resource_type: Option<&str>) -> ResourceKind {
    let desktop = is_desktop.unwrap_or_else(|| {
        resource_type.is_some_and(|t| t.to_ascii_lowercase().contains("desktop"))
    });
    if desktop {
        ResourceKind::Desktop
    } else {
        ResourceKind::App
    }
}

/// `\Office\Tools\` → `["Office", "Tools"]`.
fn category(path: Option<&str>) -> Vec<String> {
    path.unwrap_or_default()
        .split(['\\', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Only `ica30` resources launch through the API (seed: Supported Launch Flows).
fn launchable(r: &Resource) -> bool {
    let ica = r.client_types.is_empty() || has_client_type(r, "ica30");
    ica && (r.links.ica_file_fetch_ticket_url.is_some() || r.links.launch_status_url.is_some())
}

fn has_client_type(r: &Resource, wanted: &str) -> bool {
    r.client_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(wanted))
}

/// A web or SaaS app: not launchable through ICA, and a `launchUrl` to ask where it is. Its
/// client types say `content`, or are missing (the .NET form leaves them out): an ICA resource
/// always has a ticket or status link, so a lone `launchUrl` is a web app's.
fn web_link(r: &Resource, launchable: bool) -> Option<String> {
    let web = !launchable
        && r.links.ica_file_fetch_ticket_url.is_none()
        && r.links.launch_status_url.is_none()
        && (r.client_types.is_empty() || has_client_type(r, "content"));
    r.links.launch_url.clone().filter(|_| web)
}

fn stored_links(r: &Resource, launchable: bool) -> ResourceLinks {
    let l = &r.links;
    let web = web_link(r, launchable);
    ResourceLinks {
        name: r.name.clone(),
        image: l.image_url.clone(),
        // The current generation is fetched with GET, the older one with POST.
        launch: l
            .ica_file_fetch_ticket_url
            .clone()
            .map(|u| (u, false))
            .or_else(|| l.launch_status_url.clone().map(|u| (u, true))),
        ica: l
            .ica_file_url
            .clone()
            .or_else(|| l.launch_url.clone())
            .filter(|_| web.is_none()),
        favorite: l.favorite_url.clone(),
        launchable,
        web,
    }
}

/// The same-origin path of a resource's icon.
pub fn icon_path(id: &str) -> String {
    format!(
        "/api/icons/{}",
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(json: &str) -> ResourceList {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn maps_kinds_categories_icons_and_launchability() {
        let (cat, links, skipped) = build(list(
            r#"{"resources":[
              {"resourceId":"a 1","name":"Word","type":"Citrix.MPS.Application","path":"\\Office\\Tools\\",
               "clientTypes":["ica30"],"links":{"imageUrl":"https://x/i","launchStatusUrl":"https://x/l","launchUrl":"https://x/ica"}},
              {"resourceId":"d","name":"Desk","type":"Citrix.MPS.Desktop","isFavorite":true,
               "links":{"icaFileFetchTicketUrl":"https://x/t","icaFileUrl":"https://x/f"}},
              {"resourceId":"w","name":"Web","clientTypes":["content"],"links":{"launchUrl":"https://x/w"}},
              {"resourceId":"off","name":"Off","enabled":false,"links":{}}
            ]}"#,
        ));
        assert_eq!(cat.resources.len(), 3);
        let word = &cat.resources[0];
        assert_eq!(word.kind, ResourceKind::App);
        assert_eq!(word.category, vec!["Office", "Tools"]);
        assert_eq!(word.icon_url.as_deref(), Some("/api/icons/a%201"));
        assert!(word.launchable);
        assert_eq!(links["a 1"].launch, Some(("https://x/l".into(), true)));
        assert_eq!(links["a 1"].ica.as_deref(), Some("https://x/ica"));
        let desk = &cat.resources[1];
        assert_eq!(desk.kind, ResourceKind::Desktop);
        assert!(desk.favorite);
        assert_eq!(links["d"].launch, Some(("https://x/t".into(), false)));
        let web = &cat.resources[2];
        assert!(!web.launchable && web.opens_in_browser);
        assert_eq!(web.icon_url, None);
        assert_eq!(links["w"].web.as_deref(), Some("https://x/w"));
        assert_eq!(links["w"].ica, None, "a web app's launchUrl is no ICA file");
        assert!(!word.opens_in_browser && links["a 1"].web.is_none());
        assert_eq!((cat.skipped, skipped), (0, vec![]));
    }

    #[test]
    fn bad_items_are_skipped_and_counted_and_the_rest_still_shows() {
        let (cat, links, skipped) = build(list(
            r#"{"resources":[
              {"resourceId":"a","id":"a","name":"A","clientTypes":null,"isFavorite":null,"links":null,
               "description":null,"type":null,"isDesktop":null,"path":null,"enabled":null,"future":{"x":1}},
              {"resourceId":"malformed-item","name":null,"links":"not-an-object"},
              {"name":"No id at all"},
              {"resourceId":"calc 100%/x?y#z","name":"Calc","links":{"imageUrl":"https://x/i"}}
            ]}"#,
        ));
        let ids: Vec<_> = cat.resources.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "calc 100%/x?y#z"]);
        assert_eq!(cat.skipped, 2);
        assert_eq!(skipped[0].id.as_deref(), Some("malformed-item"));
        assert!(skipped[1].error.contains("No id at all"), "{}", skipped[1]);
        let a = &cat.resources[0];
        assert!(!a.favorite && a.category.is_empty() && a.description.is_none());
        assert_eq!(a.kind, ResourceKind::App);
        assert!(!a.launchable, "no links, nothing to launch");
        assert_eq!(
            cat.resources[1].icon_url.as_deref(),
            Some("/api/icons/calc%20100%25%2Fx%3Fy%23z")
        );
        assert!(links.contains_key("calc 100%/x?y#z"));
    }

    #[test]
    fn the_fingerprint_is_the_stored_jsons_sha256_and_follows_every_link() {
        let (_, links, _) = build(list(
            r#"{"resources":[{"resourceId":"a","name":"A","links":{"launchStatusUrl":"https://x/1"}},
              {"resourceId":"b","name":"B","links":{"imageUrl":"https://x/i"}}]}"#,
        ));
        let stored = serde_json::to_string(&links).unwrap();
        let fingerprint = fingerprint(&links).unwrap();
        assert_eq!(fingerprint, crate::crypto::sha256_hex(&stored));
        let mut moved = links.clone();
        moved.get_mut("b").unwrap().image = Some("https://x/j".into());
        assert_ne!(super::fingerprint(&moved).unwrap(), fingerprint);
    }

    #[test]
    fn a_repeated_id_is_shown_once_with_the_first_ones_links() {
        // Found by `fuzz::a_resource_list_is_never_refused_for_its_items`.
        let (cat, _, skipped) = build(list(
            r#"{"resources":[{"name":"","resourceId":"b"},{"name":"","resourceId":"b"}]}"#,
        ));
        assert_eq!((cat.resources.len(), cat.skipped), (1, 1));
        assert_eq!(skipped[0].id.as_deref(), Some("b"));
        let (cat, links, _) = build(list(
            r#"{"resources":[
              {"resourceId":"b","name":"First","links":{"launchStatusUrl":"https://x/1"}},
              {"id":"b","name":"Second","links":{"launchStatusUrl":"https://x/2"}}
            ]}"#,
        ));
        let names: Vec<_> = cat.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["First"]);
        assert_eq!(links["b"].launch, Some(("https://x/1".into(), true)));
    }
}
