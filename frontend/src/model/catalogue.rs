//! The catalogue as the app holds it: resources plus their folded search text, the views,
//! category folders and orders people pick from, and favourites changed optimistically.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use portal_shared::api::{Catalogue, CatalogueResource, FavoriteState};

use super::place::{Place, Sort, View};
use super::recents::Recents;
use super::search::{Index, Query, fold};
use crate::error::ClientError;

/// A category folder and how many resources of the view it holds, sub-folders included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Outermost first, e.g. `["Engineering", "Tools"]`.
    pub path: Vec<String>,
    /// Resources in it or below it.
    pub count: usize,
}

impl Folder {
    /// The folder's own name.
    pub fn name(&self) -> &str {
        self.path.last().map(String::as_str).unwrap_or_default()
    }

    /// 0 for a top-level folder.
    pub fn depth(&self) -> usize {
        self.path.len().saturating_sub(1)
    }
}

/// Why a filtered list is empty, so the page can say something useful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Empty {
    /// Nothing is published to this user at all.
    NoResources,
    /// The favourites view, and the user has none.
    NoFavorites,
    /// The search, folder or view excludes everything.
    NoMatches,
}

/// What Enter in the search box does for the current matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchEnter {
    /// Launches the best match the portal can open (a web app in a new tab).
    Launch {
        /// Resource id.
        id: String,
        /// Its name, for the hint.
        name: String,
        /// Whether it is a web app, opened in a new tab.
        web: bool,
    },
    /// Nothing matches: Enter has nothing to launch.
    NothingMatches,
    /// Only resources the portal cannot open match.
    NothingOpens,
}

impl SearchEnter {
    /// The hint under the search box while there is a query.
    pub fn hint(&self) -> String {
        match self {
            Self::Launch {
                name, web: false, ..
            } => format!("Enter launches {name}. Esc clears."),
            Self::Launch {
                name, web: true, ..
            } => format!("Enter opens {name} in a new tab. Esc clears."),
            Self::NothingMatches => "Nothing matches. Esc clears.".to_owned(),
            Self::NothingOpens => "Nothing that matches can be opened here. Esc clears.".to_owned(),
        }
    }

    /// What to tell a screen reader when Enter has nothing to launch.
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            Self::Launch { .. } => None,
            Self::NothingMatches => Some("Nothing to launch: nothing matches the search."),
            Self::NothingOpens => {
                Some("Nothing to launch: nothing that matches can be opened here.")
            }
        }
    }
}

/// A favourite change the page has shown and must now save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FavoriteChange {
    /// Resource id.
    pub id: String,
    /// Its name, for messages.
    pub name: String,
    /// The state asked for.
    pub favorite: bool,
}

/// How saving a favourite change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FavoriteOutcome {
    /// Saved; the catalogue shows what the worker confirmed.
    Saved,
    /// Not saved: rolled back, and this is what to tell people.
    Failed(String),
    /// Not saved because the session is gone: rolled back; show sign-in.
    SignIn,
}

/// The user's catalogue, ready to filter on every keystroke.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CatalogueModel {
    /// Alphabetical by folded name.
    entries: Vec<Arc<CatalogueResource>>,
    /// The entries' search text, in the same order.
    index: Index,
    by_id: HashMap<String, usize>,
    saving: HashSet<String>,
    /// Items that could not be shown: the worker's count plus the ones dropped here.
    skipped: usize,
}

impl CatalogueModel {
    /// Builds the model from the worker's answer, folding every searchable field once.
    pub fn new(catalogue: Catalogue) -> Self {
        let sent = catalogue.resources.len();
        let mut resources: Vec<(String, CatalogueResource)> = catalogue
            .resources
            .into_iter()
            // An entry without an id cannot be launched or toggled: it is bad data, not a card.
            .filter(|r| !r.id.is_empty())
            .map(|r| (fold(&r.name), r))
            .collect();
        // Alphabetical is the order people scan a catalogue in; the store's order is arbitrary.
        resources.sort_by(|(a, ra), (b, rb)| a.cmp(b).then_with(|| ra.id.cmp(&rb.id)));
        // A duplicated id would make two cards one; keep the first.
        let mut seen = HashSet::new();
        resources.retain(|(_, r)| seen.insert(r.id.clone()));
        let mut index = Index::default();
        for (_, r) in &resources {
            index.push(
                &r.name,
                r.description.as_deref().unwrap_or_default(),
                &r.category,
            );
        }
        let entries: Vec<_> = resources.into_iter().map(|(_, r)| Arc::new(r)).collect();
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        CatalogueModel {
            skipped: catalogue.skipped as usize + (sent - entries.len()),
            entries,
            index,
            by_id,
            saving: HashSet::new(),
        }
    }

    /// How many items of the store's answer cannot be shown (malformed, without an id, or a
    /// second entry under one id).
    pub fn skipped(&self) -> usize {
        self.skipped
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
        self.entries.iter().filter(|r| view.admits(r)).count()
    }

    /// The category folders of a view's resources, parents before their children, each with
    /// how many resources it holds. Empty when no resource carries a category.
    pub fn folders(&self, view: View) -> Vec<Folder> {
        let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
        for r in self.entries.iter().filter(|r| view.admits(r)) {
            let path = &r.category;
            for depth in 1..=path.len() {
                *counts.entry(path[..depth].to_vec()).or_default() += 1;
            }
        }
        let mut folders: Vec<Folder> = counts
            .into_iter()
            .map(|(path, count)| Folder { path, count })
            .collect();
        // Case- and accent-insensitive order; a parent's path is a prefix, so it comes first.
        folders.sort_by_cached_key(|f| f.path.iter().map(|p| fold(p)).collect::<Vec<_>>());
        folders
    }

    /// The resources at `place` (view, folder and search), best matches first, then in the
    /// place's order.
    pub fn filter(&self, place: &Place, recents: &Recents) -> Vec<Arc<CatalogueResource>> {
        let query = Query::parse(&place.query);
        let mut hits: Vec<(u32, usize, &Arc<CatalogueResource>)> = self
            .index
            .search(&query)
            .into_iter()
            .map(|(i, score)| (score, &self.entries[i]))
            .filter(|(_, r)| place.view.admits(r) && r.category.starts_with(&place.category))
            .map(|(score, r)| {
                let rank = match place.sort {
                    Sort::Name => 0,
                    Sort::Recent => recents.rank(&r.id).unwrap_or(usize::MAX),
                };
                (score, rank, r)
            })
            .collect();
        // Stable sort: equal keys keep the alphabetical order of `entries`.
        hits.sort_by_key(|&(score, rank, _)| (std::cmp::Reverse(score), rank));
        hits.into_iter().map(|(_, _, r)| r.clone()).collect()
    }

    /// Why `filter` found nothing at `place`.
    pub fn why_empty(&self, place: &Place) -> Empty {
        if self.is_empty() {
            Empty::NoResources
        } else if place.view == View::Favorites && self.count(View::Favorites) == 0 {
            Empty::NoFavorites
        } else {
            Empty::NoMatches
        }
    }

    /// What Enter in the search box does with these results: launch (or open) the best match
    /// the portal can open, or say why there is none.
    pub fn search_enter(results: &[Arc<CatalogueResource>]) -> SearchEnter {
        match results.iter().find(|r| r.opens()) {
            Some(r) => SearchEnter::Launch {
                id: r.id.clone(),
                name: r.name.clone(),
                web: !r.launchable,
            },
            None if results.is_empty() => SearchEnter::NothingMatches,
            None => SearchEnter::NothingOpens,
        }
    }

    /// Looks a resource up by id.
    pub fn get(&self, id: &str) -> Option<&CatalogueResource> {
        self.by_id.get(id).map(|&i| self.entries[i].as_ref())
    }

    /// Marks or unmarks a favourite; returns the previous value, or `None` for an unknown id.
    pub fn set_favorite(&mut self, id: &str, favorite: bool) -> Option<bool> {
        let &i = self.by_id.get(id)?;
        let resource = Arc::make_mut(&mut self.entries[i]);
        Some(std::mem::replace(&mut resource.favorite, favorite))
    }

    /// Whether a favourite change of `id` is being saved.
    pub fn is_saving_favorite(&self, id: &str) -> bool {
        self.saving.contains(id)
    }

    /// Flips a favourite at once (optimistically) and returns the change to save; `None` for
    /// an unknown id or while a change of the same resource is still being saved.
    pub fn begin_favorite_toggle(&mut self, id: &str) -> Option<FavoriteChange> {
        if self.saving.contains(id) {
            return None;
        }
        let resource = self.get(id)?;
        let change = FavoriteChange {
            id: id.to_owned(),
            name: resource.name.clone(),
            favorite: !resource.favorite,
        };
        self.set_favorite(id, change.favorite);
        self.saving.insert(id.to_owned());
        Some(change)
    }

    /// Takes the worker's answer to a change: keeps what it confirmed, or rolls back.
    pub fn finish_favorite_toggle(
        &mut self,
        change: &FavoriteChange,
        answer: Result<FavoriteState, ClientError>,
    ) -> FavoriteOutcome {
        self.saving.remove(&change.id);
        match answer {
            Ok(state) => {
                self.set_favorite(&change.id, state.favorite);
                FavoriteOutcome::Saved
            }
            Err(e) => {
                self.set_favorite(&change.id, !change.favorite);
                if e.needs_sign_in() {
                    return FavoriteOutcome::SignIn;
                }
                let what = if change.favorite {
                    "added to"
                } else {
                    "removed from"
                };
                FavoriteOutcome::Failed(format!(
                    "{} could not be {what} your favourites. {}",
                    change.name,
                    e.message()
                ))
            }
        }
    }
}

/// A launchable resource with only an id, a name and a kind: where the tests' catalogues start
/// (the model's and the component tests').
#[cfg(test)]
pub(crate) fn test_resource(
    id: &str,
    name: &str,
    kind: portal_shared::api::ResourceKind,
) -> CatalogueResource {
    CatalogueResource {
        id: id.into(),
        name: name.into(),
        description: None,
        kind,
        category: Vec::new(),
        icon_url: None,
        favorite: false,
        launchable: true,
        opens_in_browser: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal_shared::api::ResourceKind;
    use portal_shared::api::{ApiError, ErrorCode};

    use super::test_resource as resource;

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
        secure.category = vec!["Engineering".into(), "Tools".into()];
        let mut saas = resource("o", "Office 365", ResourceKind::App);
        saas.launchable = false;
        saas.category = vec!["Engineering".into()];
        CatalogueModel::new(Catalogue {
            resources: vec![word, excel, desktop, secure, saas],
            skipped: 0,
        })
    }

    fn at(view: View, query: &str) -> Place {
        Place {
            view,
            query: query.into(),
            ..Place::default()
        }
    }

    fn ids(list: &[Arc<CatalogueResource>]) -> Vec<&str> {
        list.iter().map(|r| r.id.as_str()).collect()
    }

    fn filter(m: &CatalogueModel, view: View, query: &str) -> Vec<Arc<CatalogueResource>> {
        m.filter(&at(view, query), &Recents::default())
    }

    #[test]
    fn no_query_lists_the_view_alphabetically() {
        let m = sample();
        assert_eq!(ids(&filter(&m, View::All, "")), ["x", "o", "s", "d", "w"]);
        assert_eq!(ids(&filter(&m, View::Apps, "")), ["x", "o", "w"]);
        assert_eq!(ids(&filter(&m, View::Desktops, "")), ["s", "d"]);
        assert_eq!(ids(&filter(&m, View::Favorites, "")), ["s", "w"]);
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
        assert_eq!(ids(&filter(&m, View::All, "office")), ["o", "x", "w", "d"]);
    }

    #[test]
    fn search_is_case_and_accent_insensitive_and_respects_the_view() {
        let m = sample();
        assert_eq!(ids(&filter(&m, View::All, "SECURITE")), ["s"]);
        assert_eq!(ids(&filter(&m, View::Apps, "desk")), Vec::<&str>::new());
        assert_eq!(ids(&filter(&m, View::All, "chart")), ["x"]);
        assert_eq!(ids(&filter(&m, View::All, "TOOLS")), ["s"]);
    }

    #[test]
    fn folders_nest_and_count_their_subfolders() {
        let m = sample();
        let folders: Vec<(String, usize, usize)> = m
            .folders(View::All)
            .iter()
            .map(|f| (f.path.join("/"), f.depth(), f.count))
            .collect();
        assert_eq!(
            folders,
            [
                ("Engineering".to_owned(), 0, 2),
                ("Engineering/Tools".to_owned(), 1, 1),
                ("Office".to_owned(), 0, 2)
            ]
        );
        assert_eq!(m.folders(View::Desktops).len(), 2);
        assert!(
            CatalogueModel::new(Catalogue {
                resources: vec![resource("a", "A", ResourceKind::App)],
                skipped: 0,
            })
            .folders(View::All)
            .is_empty()
        );
    }

    #[test]
    fn a_folder_shows_itself_and_its_subfolders() {
        let m = sample();
        let mut place = at(View::All, "");
        place.category = vec!["Engineering".into()];
        assert_eq!(ids(&m.filter(&place, &Recents::default())), ["o", "s"]);
        place.category = vec!["Engineering".into(), "Tools".into()];
        assert_eq!(ids(&m.filter(&place, &Recents::default())), ["s"]);
        place.view = View::Apps;
        assert!(m.filter(&place, &Recents::default()).is_empty());
    }

    #[test]
    fn recently_launched_first_then_by_name() {
        let m = sample();
        let mut recents = Recents::default();
        recents.touch("w", 1);
        recents.touch("d", 2);
        let mut place = at(View::All, "");
        place.sort = Sort::Recent;
        assert_eq!(ids(&m.filter(&place, &recents)), ["d", "w", "x", "o", "s"]);
        // A search still ranks by relevance first; recency breaks ties.
        place.query = "office".into();
        assert_eq!(ids(&m.filter(&place, &recents)), ["o", "w", "x", "d"]);
        // The name order ignores recents.
        place.sort = Sort::Name;
        place.query.clear();
        assert_eq!(ids(&m.filter(&place, &recents)), ["x", "o", "s", "d", "w"]);
    }

    #[test]
    fn enter_launches_the_best_launchable_match_or_says_why_not() {
        let m = sample();
        let hits = filter(&m, View::All, "office");
        assert_eq!(
            hits[0].id, "o",
            "a resource that cannot open can be the best match"
        );
        let enter = CatalogueModel::search_enter(&hits);
        assert_eq!(
            enter,
            SearchEnter::Launch {
                id: "x".into(),
                name: "Excel".into(),
                web: false,
            }
        );
        assert_eq!(enter.hint(), "Enter launches Excel. Esc clears.");
        assert_eq!(enter.refusal(), None);

        let none = CatalogueModel::search_enter(&filter(&m, View::All, "zzz"));
        assert_eq!(none, SearchEnter::NothingMatches);
        assert_eq!(none.hint(), "Nothing matches. Esc clears.");
        assert!(
            none.refusal()
                .is_some_and(|r| r.contains("nothing matches"))
        );

        let mut only = filter(&m, View::All, "365");
        let closed = CatalogueModel::search_enter(&only);
        assert_eq!(closed, SearchEnter::NothingOpens);
        assert!(
            closed
                .hint()
                .starts_with("Nothing that matches can be opened")
        );
        assert!(
            closed
                .refusal()
                .is_some_and(|r| r.contains("can be opened"))
        );

        Arc::make_mut(&mut only[0]).opens_in_browser = true;
        let web = CatalogueModel::search_enter(&only);
        assert_eq!(
            web,
            SearchEnter::Launch {
                id: "o".into(),
                name: "Office 365".into(),
                web: true,
            }
        );
        assert_eq!(
            web.hint(),
            "Enter opens Office 365 in a new tab. Esc clears."
        );
    }

    #[test]
    fn empty_lists_say_why() {
        let m = sample();
        assert_eq!(m.why_empty(&at(View::All, "zzz")), Empty::NoMatches);
        let mut none = m.clone();
        none.set_favorite("w", false);
        none.set_favorite("s", false);
        assert_eq!(none.why_empty(&at(View::Favorites, "")), Empty::NoFavorites);
        assert_eq!(
            CatalogueModel::default().why_empty(&at(View::All, "")),
            Empty::NoResources
        );
    }

    #[test]
    fn bad_entries_do_not_become_cards() {
        let mut dup = resource("a", "Second", ResourceKind::App);
        dup.favorite = true;
        let m = CatalogueModel::new(Catalogue {
            resources: vec![
                resource("a", "First", ResourceKind::App),
                dup,
                resource("", "No id", ResourceKind::App),
            ],
            skipped: 2,
        });
        assert_eq!(m.len(), 1);
        assert!(m.get("a").is_some());
        assert_eq!(m.skipped(), 4, "the worker's two and the two dropped here");
        assert_eq!(sample().skipped(), 0);
    }

    #[test]
    fn favourites_can_be_set() {
        let mut m = sample();
        assert_eq!(m.set_favorite("x", true), Some(false));
        assert_eq!(ids(&filter(&m, View::Favorites, "")), ["x", "s", "w"]);
        assert_eq!(m.set_favorite("nope", true), None);
        assert!(m.get("x").unwrap().favorite);
    }

    #[test]
    fn a_favourite_toggle_shows_at_once_and_keeps_what_the_worker_confirms() {
        let mut m = sample();
        let change = m.begin_favorite_toggle("x").unwrap();
        assert!(change.favorite);
        assert!(m.get("x").unwrap().favorite, "optimistic");
        assert!(m.is_saving_favorite("x"));
        assert_eq!(m.begin_favorite_toggle("x"), None, "one save at a time");
        let outcome = m.finish_favorite_toggle(
            &change,
            Ok(FavoriteState {
                id: "x".into(),
                favorite: true,
            }),
        );
        assert_eq!(outcome, FavoriteOutcome::Saved);
        assert!(m.get("x").unwrap().favorite);
        assert!(!m.is_saving_favorite("x"));
        assert_eq!(m.begin_favorite_toggle("nope"), None);
    }

    #[test]
    fn a_failed_favourite_toggle_rolls_back_with_a_message() {
        let mut m = sample();
        let change = m.begin_favorite_toggle("w").unwrap();
        assert!(!m.get("w").unwrap().favorite);
        let outcome = m.finish_favorite_toggle(&change, Err(ClientError::Http { status: 500 }));
        assert!(m.get("w").unwrap().favorite, "rolled back");
        let FavoriteOutcome::Failed(message) = outcome else {
            panic!("{outcome:?}")
        };
        assert!(message.starts_with("Word could not be removed from your favourites."));
        assert!(!message.contains('{'));

        let change = m.begin_favorite_toggle("x").unwrap();
        let api = ClientError::Api {
            status: 502,
            error: ApiError {
                code: ErrorCode::UpstreamUnavailable,
                message: "Citrix Cloud is down.".into(),
                retryable: true,
            },
        };
        assert_eq!(
            m.finish_favorite_toggle(&change, Err(api)),
            FavoriteOutcome::Failed(
                "Excel could not be added to your favourites. Citrix Cloud is down.".into()
            )
        );
        assert!(!m.get("x").unwrap().favorite);
    }

    #[test]
    fn an_expired_session_rolls_back_and_asks_for_sign_in() {
        let mut m = sample();
        let change = m.begin_favorite_toggle("x").unwrap();
        let outcome =
            m.finish_favorite_toggle(&change, Err(ClientError::SignInRequired { expired: true }));
        assert_eq!(outcome, FavoriteOutcome::SignIn);
        assert!(!m.get("x").unwrap().favorite);
    }
}
