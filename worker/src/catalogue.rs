//! Enumeration results turned into the browser's catalogue and the worker's own link table.

use std::collections::HashMap;

use portal_shared::api::{Catalogue, CatalogueResource, ResourceKind};
use portal_shared::workspace::{Resource, ResourceList};

use crate::session::ResourceLinks;

/// The catalogue for the browser, and the links the worker keeps for later calls.
pub fn build(list: ResourceList) -> (Catalogue, HashMap<String, ResourceLinks>) {
    let mut links = HashMap::with_capacity(list.resources.len());
    let resources = list
        .resources
        .into_iter()
        .filter(|r| r.enabled != Some(false))
        .map(|r| {
            let entry = CatalogueResource {
                id: r.resource_id.clone(),
                name: r.name.clone(),
                description: r.description.clone().filter(|d| !d.trim().is_empty()),
                kind: kind(&r),
                category: category(r.path.as_deref()),
                icon_url: r
                    .links
                    .image_url
                    .as_ref()
                    .map(|_| icon_path(&r.resource_id)),
                favorite: r.is_favorite,
                launchable: launchable(&r),
            };
            links.insert(r.resource_id.clone(), stored_links(&r, entry.launchable));
            entry
        })
        .collect();
    (Catalogue { resources }, links)
}

fn kind(r: &Resource) -> ResourceKind {
    let desktop = r.is_desktop.unwrap_or_else(|| {
        r.resource_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().contains("desktop"))
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
    let ica = r.client_types.is_empty()
        || r.client_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("ica30"));
    ica && (r.links.ica_file_fetch_ticket_url.is_some() || r.links.launch_status_url.is_some())
}

fn stored_links(r: &Resource, launchable: bool) -> ResourceLinks {
    let l = &r.links;
    ResourceLinks {
        name: r.name.clone(),
        image: l.image_url.clone(),
        // The current generation is fetched with GET, the older one with POST.
        launch: l
            .ica_file_fetch_ticket_url
            .clone()
            .map(|u| (u, false))
            .or_else(|| l.launch_status_url.clone().map(|u| (u, true))),
        ica: l.ica_file_url.clone().or_else(|| l.launch_url.clone()),
        favorite: l.favorite_url.clone(),
        launchable,
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
        let (cat, links) = build(list(
            r#"{"resources":[
              {"resourceId":"a 1","name":"Word","type":"Citrix.MPS.Application","path":"\\Office\\Tools\\",
               "clientTypes":["ica30"],"links":{"imageUrl":"https://x/i","launchStatusUrl":"https://x/l","launchUrl":"https://x/ica"}},
              {"resourceId":"d","name":"Desk","type":"Citrix.MPS.Desktop","isFavorite":true,
               "links":{"icaFileFetchTicketUrl":"https://x/t","icaFileUrl":"https://x/f"}},
              {"resourceId":"w","name":"Web","clientTypes":["content"],"links":{}},
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
        assert!(!web.launchable);
        assert_eq!(web.icon_url, None);
    }
}
