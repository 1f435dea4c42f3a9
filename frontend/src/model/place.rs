//! Where the user is in the catalogue, as the URL query says it: `?view=desktops&q=word`.
//!
//! The place lives in the URL so a reload, a shared link, or signing in again after the session
//! ended (`returnTo` carries path and query) brings people back to the same view and search.

use portal_shared::api::{CatalogueResource, ResourceKind};

use super::paths::encode;

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

    /// Stable name for URLs, test ids and attributes.
    pub fn slug(self) -> &'static str {
        match self {
            View::All => "all",
            View::Apps => "apps",
            View::Desktops => "desktops",
            View::Favorites => "favorites",
        }
    }

    /// The view a slug names.
    pub fn from_slug(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.slug() == s)
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

/// The order of the list when no search ranks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sort {
    /// Alphabetical.
    #[default]
    Name,
    /// Recently launched first (in this browser), then alphabetical.
    Recent,
}

impl Sort {
    /// Both orders, as the picker lists them.
    pub const ALL: [Sort; 2] = [Sort::Name, Sort::Recent];

    /// Stable name for URLs and option values.
    pub fn slug(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Recent => "recent",
        }
    }

    /// The picker's label.
    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::Recent => "Recently launched",
        }
    }

    /// The order a slug names.
    pub fn from_slug(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|v| v.slug() == s)
    }
}

/// How the catalogue lays out its resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Layout {
    /// Cards in a responsive grid.
    #[default]
    Grid,
    /// One resource per row.
    List,
}

impl Layout {
    /// Both layouts, in the order the toggle shows them.
    pub const ALL: [Layout; 2] = [Layout::Grid, Layout::List];

    /// Stable name for URLs, test ids and CSS classes.
    pub fn slug(self) -> &'static str {
        match self {
            Layout::Grid => "grid",
            Layout::List => "list",
        }
    }

    /// The toggle's label.
    pub fn label(self) -> &'static str {
        match self {
            Layout::Grid => "Grid",
            Layout::List => "List",
        }
    }

    fn from_slug(s: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.slug() == s)
    }
}

/// The catalogue's state that belongs in the URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    /// Apps, desktops, favourites or everything.
    pub view: View,
    /// What was typed into search.
    pub query: String,
    /// The category folder shown, outermost first; empty for every folder.
    pub category: Vec<String>,
    /// The order of the list.
    pub sort: Sort,
    /// Grid or list.
    pub layout: Layout,
}

impl Place {
    /// Reads a `location.search` (with or without its `?`). Unknown keys and values are ignored,
    /// so an old bookmark or a hand-edited URL still opens the catalogue.
    pub fn from_search(search: &str) -> Place {
        let mut place = Place::default();
        for pair in search.trim_start_matches('?').split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = decode(value);
            match key {
                "view" => place.view = View::from_slug(&value).unwrap_or_default(),
                "q" => place.query = value,
                "cat" => {
                    place.category = value
                        .split('/')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect()
                }
                "sort" => place.sort = Sort::from_slug(&value).unwrap_or_default(),
                "layout" => place.layout = Layout::from_slug(&value).unwrap_or_default(),
                _ => {}
            }
        }
        place
    }

    /// The query string for this place: empty for the default place, otherwise `?` and only the
    /// keys that differ from their defaults.
    pub fn to_search(&self) -> String {
        let mut parts = Vec::new();
        if self.view != View::default() {
            parts.push(format!("view={}", self.view.slug()));
        }
        if !self.query.is_empty() {
            parts.push(format!("q={}", encode(&self.query)));
        }
        if !self.category.is_empty() {
            parts.push(format!("cat={}", encode(&self.category.join("/"))));
        }
        if self.sort != Sort::default() {
            parts.push(format!("sort={}", self.sort.slug()));
        }
        if self.layout != Layout::default() {
            parts.push(format!("layout={}", self.layout.slug()));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

/// Percent-decodes a query value (`+` is a space, as forms send it); invalid escapes stay as
/// they are and invalid UTF-8 becomes U+FFFD rather than an error.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_place_has_no_query() {
        assert_eq!(Place::default().to_search(), "");
        assert_eq!(Place::from_search(""), Place::default());
        assert_eq!(Place::from_search("?"), Place::default());
    }

    #[test]
    fn round_trips_through_the_url() {
        let place = Place {
            view: View::Desktops,
            query: "Écran & co/2".into(),
            category: vec!["Engineering".into(), "Tools".into()],
            sort: Sort::Recent,
            layout: Layout::List,
        };
        let search = place.to_search();
        assert_eq!(
            search,
            "?view=desktops&q=%C3%89cran%20%26%20co%2F2&cat=Engineering%2FTools&sort=recent&layout=list"
        );
        assert_eq!(Place::from_search(&search), place);
    }

    #[test]
    fn only_non_defaults_are_written() {
        let place = Place {
            view: View::Favorites,
            ..Place::default()
        };
        assert_eq!(place.to_search(), "?view=favorites");
    }

    #[test]
    fn unknown_or_broken_input_falls_back_to_defaults() {
        let place = Place::from_search("?view=nope&sort=&layout=3d&utm=x&q=a+b%ZZ%&cat=%2F%2F");
        assert_eq!(place.view, View::All);
        assert_eq!(place.sort, Sort::Name);
        assert_eq!(place.layout, Layout::Grid);
        assert_eq!(place.query, "a b%ZZ%");
        assert!(place.category.is_empty());
        assert_eq!(decode("%FF%41"), "\u{FFFD}A");
        assert_eq!(decode("%4"), "%4");
    }
}
