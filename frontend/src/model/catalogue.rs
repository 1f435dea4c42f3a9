//! The catalogue as the app holds it: resources plus their folded search text.

use portal_shared::api::{Catalogue, CatalogueResource, ResourceKind};

use super::search::{Fields, Query, fold};

/// Which slice of the catalogue is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum View {
    /// Apps and desktops.
    #[default]
    All,
    /// Apps only.
    Apps,
    /// Desktops only.
    Desktops,
    /// Whatever the user marked as a favourite.
    Favorites,
}

impl View {
    /// Every view, in the order the tabs show them.
    pub const ALL: [View; 4] = [View::All, View::Apps, View::Desktops, View::Favorites];

    /// The tab's label.
    pub fn label(self) -> &'static str {
        match self {
            View::All => "All",
            View::Apps => "Apps",
            View::Desktops => "Desktops",
            View::Favorites => "Favourites",
        }
    }

    /// Stable name for test ids and attributes.
    pub fn slug(self) -> &'static str {
        match self {
            View::All => "all",
            View::Apps => "apps",
            View::Desktops => "desktops",
            View::Favorites => "favorites",
        }
    }

    /// Whether a resource belongs in this view.
    pub fn admits(self, resource: &CatalogueResource) -> bool {
        match self {
            View::All => true,
            View::Apps => resource.kind == ResourceKind::App,
            View::Desktops => resource.kind == ResourceKind::Desktop,
            View::Favorites => resource.favorite,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    resource: CatalogueResource,
    fields: Fields,
}

/// The user's catalogue, ready to filter on every keystroke.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogueModel {
    entries: Vec<Entry>,
}

impl CatalogueModel {
    /// Builds the model from the worker's answer, folding every searchable field once.
    pub fn new(catalogue: Catalogue) -> Self {
        let mut entries: Vec<Entry> = catalogue
            .resources
            .into_iter()
            .map(|resource| Entry {
                fields: Fields {
                    name: fold(&resource.name),
                    description: resource
                        .description
                        .as_deref()
                        .map(fold)
                        .unwrap_or_default(),
                    category: resource.category.iter().map(|c| fold(c)).collect(),
                },
                resource,
            })
            .collect();
        // Alphabetical is the order people scan a catalogue in; the store's order is arbitrary.
        entries.sort_by(|a, b| {
            a.fields
                .name
                .cmp(&b.fields.name)
                .then_with(|| a.resource.id.cmp(&b.resource.id))
        });
        CatalogueModel { entries }
    }

    /// How many resources there are in all.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalogue has no resources at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many resources a view holds, ignoring any search.
    pub fn count(&self, view: View) -> usize {
        self.entries
            .iter()
            .filter(|e| view.admits(&e.resource))
            .count()
    }

    /// The resources in `view` matching `query`, best matches first, then alphabetically.
    pub fn filter(&self, query: &str, view: View) -> Vec<CatalogueResource> {
        let query = Query::parse(query);
        let mut hits: Vec<(u32, &Entry)> = self
            .entries
            .iter()
            .filter(|e| view.admits(&e.resource))
            .filter_map(|e| query.score(&e.fields).map(|s| (s, e)))
            .collect();
        // Stable sort: equal scores keep the alphabetical order of `entries`.
        hits.sort_by_key(|h| std::cmp::Reverse(h.0));
        hits.into_iter().map(|(_, e)| e.resource.clone()).collect()
    }

    /// Looks a resource up by id.
    pub fn get(&self, id: &str) -> Option<&CatalogueResource> {
        self.entries
            .iter()
            .find(|e| e.resource.id == id)
            .map(|e| &e.resource)
    }

    /// Marks or unmarks a favourite; returns the previous value, or `None` for an unknown id.
    pub fn set_favorite(&mut self, id: &str, favorite: bool) -> Option<bool> {
        let entry = self.entries.iter_mut().find(|e| e.resource.id == id)?;
        Some(std::mem::replace(&mut entry.resource.favorite, favorite))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(id: &str, name: &str, kind: ResourceKind) -> CatalogueResource {
        CatalogueResource {
            id: id.into(),
            name: name.into(),
            description: None,
            kind,
            category: vec![],
            icon_url: None,
            favorite: false,
            launchable: true,
        }
    }

    fn sample() -> CatalogueModel {
        let mut word = resource("w", "Word", ResourceKind::App);
        word.category = vec!["Office".into()];
        word.favorite = true;
        let mut excel = resource("x", "Excel", ResourceKind::App);
        excel.category = vec!["Office".into()];
        excel.description = Some("Spreadsheets and charts".into());
        let mut desktop = resource("d", "Windows 11 Desktop", ResourceKind::Desktop);
        desktop.description = Some("A full desktop with Office".into());
        let mut secure = resource("s", "Sécurité Desktop", ResourceKind::Desktop);
        secure.favorite = true;
        let mut saas = resource("o", "Office 365", ResourceKind::App);
        saas.launchable = false;
        CatalogueModel::new(Catalogue {
            resources: vec![word, excel, desktop, secure, saas],
        })
    }

    fn ids(list: &[CatalogueResource]) -> Vec<&str> {
        list.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn no_query_lists_the_view_alphabetically() {
        let m = sample();
        assert_eq!(ids(&m.filter("", View::All)), ["x", "o", "s", "d", "w"]);
        assert_eq!(ids(&m.filter("", View::Apps)), ["x", "o", "w"]);
        assert_eq!(ids(&m.filter("", View::Desktops)), ["s", "d"]);
        assert_eq!(ids(&m.filter("", View::Favorites)), ["s", "w"]);
    }

    #[test]
    fn counts_per_view() {
        let m = sample();
        assert_eq!(m.len(), 5);
        assert_eq!(m.count(View::All), 5);
        assert_eq!(m.count(View::Apps), 3);
        assert_eq!(m.count(View::Desktops), 2);
        assert_eq!(m.count(View::Favorites), 2);
    }

    #[test]
    fn best_matches_come_first() {
        let m = sample();
        // Name hit, then category hits, then the description hit.
        assert_eq!(ids(&m.filter("office", View::All)), ["o", "x", "w", "d"]);
    }

    #[test]
    fn search_is_case_and_accent_insensitive_and_respects_the_view() {
        let m = sample();
        assert_eq!(ids(&m.filter("SECURITE", View::All)), ["s"]);
        assert_eq!(ids(&m.filter("desk", View::Apps)), Vec::<&str>::new());
        assert_eq!(ids(&m.filter("chart", View::All)), ["x"]);
    }

    #[test]
    fn favourites_can_be_toggled() {
        let mut m = sample();
        assert_eq!(m.set_favorite("x", true), Some(false));
        assert_eq!(ids(&m.filter("", View::Favorites)), ["x", "s", "w"]);
        assert_eq!(m.set_favorite("nope", true), None);
        assert!(m.get("x").unwrap().favorite);
    }
}
