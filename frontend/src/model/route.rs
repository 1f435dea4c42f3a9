//! Which page the address bar names. The catalogue keeps its own state in the query
//! ([`super::Place`]); pages are paths, so `/admin` survives a reload and signing in again
//! (`returnTo` carries the path).

use portal_shared::api::{ADMIN_PAGE, CATALOGUE_PAGE};

/// A page of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Route {
    /// The apps and desktops, at `/` (and any path the app does not know, as before pages
    /// existed).
    #[default]
    Catalogue,
    /// The client secret's status and actions, for admins, at `/admin`.
    Admin,
}

impl Route {
    /// The page a `location.pathname` names.
    pub fn from_path(path: &str) -> Route {
        match path.trim_end_matches('/') {
            ADMIN_PAGE => Route::Admin,
            _ => Route::Catalogue,
        }
    }

    /// The path of the page.
    pub fn path(self) -> &'static str {
        match self {
            Route::Catalogue => CATALOGUE_PAGE,
            Route::Admin => ADMIN_PAGE,
        }
    }
}

/// Whether a click on an in-app link should navigate inside the app: a plain primary click.
/// Anything else (middle click, Ctrl/⌘ for a new tab, Shift for a window) is left to the browser.
pub fn is_plain_click(button: i16, ctrl: bool, meta: bool, shift: bool, alt: bool) -> bool {
    button == 0 && !(ctrl || meta || shift || alt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_pages_and_unknown_ones_open_the_catalogue() {
        assert_eq!(Route::from_path("/admin"), Route::Admin);
        assert_eq!(Route::from_path("/admin/"), Route::Admin);
        assert_eq!(Route::from_path("/"), Route::Catalogue);
        assert_eq!(Route::from_path(""), Route::Catalogue);
        assert_eq!(Route::from_path("/administrator"), Route::Catalogue);
        assert_eq!(Route::from_path("/nope"), Route::Catalogue);
        for r in [Route::Catalogue, Route::Admin] {
            assert_eq!(Route::from_path(r.path()), r);
        }
    }

    #[test]
    fn only_plain_primary_clicks_stay_in_the_app() {
        assert!(is_plain_click(0, false, false, false, false));
        assert!(!is_plain_click(1, false, false, false, false));
        assert!(!is_plain_click(0, true, false, false, false));
        assert!(!is_plain_click(0, false, true, false, false));
        assert!(!is_plain_click(0, false, false, true, false));
        assert!(!is_plain_click(0, false, false, false, true));
    }
}
