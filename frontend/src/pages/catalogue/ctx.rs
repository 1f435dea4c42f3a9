//! The catalogue page's state and actions, shared by its components: loading the catalogue,
//! launching (start, poll, hand off to Citrix Workspace app, then follow the session it starts),
//! running sessions, favourites, notices and recents.

use std::sync::Arc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_bindgen::JsCast;
use portal_shared::api::{CatalogueResource, LaunchPreference, Preferences};

use crate::api;
use crate::error::ClientError;
use crate::model::running::RunningModel;
use crate::model::{
    CatalogueModel, FavoriteOutcome, Launches, Next, Notices, Place, Recents, Retry,
};
use crate::pause::now_secs;

/// The page's state and actions, shared by its components. Signals are `Copy`, so is this.
#[derive(Clone, Copy)]
pub(super) struct Ctx {
    /// The catalogue once loaded, or why it could not be.
    pub(super) model: RwSignal<Option<Result<CatalogueModel, ClientError>>>,
    /// View, search, folder, order and layout: mirrored in the URL.
    pub(super) place: RwSignal<Place>,
    /// Every launch under way.
    pub(super) launches: RwSignal<Launches>,
    /// What this browser launched lately.
    pub(super) recents: RwSignal<Recents>,
    /// Background failures shown to the user.
    pub(super) notices: RwSignal<Notices>,
    /// The screen-reader announcement of launch progress.
    pub(super) live: RwSignal<String>,
    /// The resources at the current place, best first.
    pub(super) visible: Memo<Vec<Arc<CatalogueResource>>>,
    /// Where recents are stored (per user).
    pub(super) recents_key: StoredValue<String>,
    /// Called when a request finds the session gone.
    pub(super) session_ended: Callback<()>,
    /// The user's settings, as the worker keeps them.
    pub(super) preferences: RwSignal<Preferences>,
    /// The resource whose details dialog is open.
    pub(super) details: RwSignal<Option<String>>,
    /// The user's running sessions once loaded (`running.rs`), or why they could not be.
    pub(super) running: RwSignal<Option<Result<RunningModel, ClientError>>>,
}

/// The pauses before each look at the running list after a hand-off, in milliseconds: Citrix
/// Workspace app usually takes the ticket within seconds, a desktop may take a minute to start.
const FOLLOW_HAND_OFF_MS: [u32; 4] = [3_000, 7_000, 20_000, 30_000];

/// How a launch goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum How {
    /// The ticketed launch, handed off to Citrix Workspace app.
    Workspace,
    /// The `.ica` file, downloaded (the user's preference).
    IcaFile,
    /// A web app, opened in a new tab.
    Web,
}

impl Ctx {
    pub(super) fn with_model<T>(self, f: impl FnOnce(&CatalogueModel) -> T) -> Option<T> {
        self.model
            .try_with_untracked(|m| match m {
                Some(Ok(m)) => Some(f(m)),
                _ => None,
            })
            .flatten()
    }

    fn update_model<T>(self, f: impl FnOnce(&mut CatalogueModel) -> T) -> Option<T> {
        self.model
            .try_update(|m| match m {
                Some(Ok(m)) => Some(f(m)),
                _ => None,
            })
            .flatten()
    }

    /// Whether resource `id` has a running session.
    pub(super) fn is_running(self, id: &str) -> bool {
        self.running
            .with(|r| matches!(r, Some(Ok(m)) if m.is_running(id)))
    }

    /// Loads (or reloads) the running sessions.
    pub(super) fn load_running(self) {
        spawn_local(self.fetch_running(false));
    }

    /// Fetches the running sessions; a `background` look that fails leaves what is shown, and
    /// a list older than what is shown (an action answered meanwhile) is dropped.
    async fn fetch_running(self, background: bool) {
        let asked_at = self
            .running
            .try_with_untracked(|r| match r {
                Some(Ok(m)) => Some(m.version()),
                _ => None,
            })
            .flatten();
        let result = api::running_sessions().await;
        if matches!(&result, Err(e) if e.needs_sign_in()) {
            self.session_ended.run(());
            return;
        }
        self.running
            .try_update(|r| match (r.as_mut(), asked_at, result) {
                (Some(Ok(m)), Some(asked_at), Ok(list)) => {
                    m.refresh(asked_at, list);
                }
                // Another look filled the list first: this one may be older.
                (Some(Ok(_)), None, Ok(_)) => {}
                (Some(_), _, Err(_)) if background => {}
                (_, _, result) => *r = Some(result.map(RunningModel::new)),
            });
    }

    /// Citrix Workspace app starts (or reattaches) the session in its own time after a hand-off:
    /// the running list looks again a few times, until it shows resource `id` connected here,
    /// so its row and its card's badge follow without a Refresh.
    async fn follow_hand_off(self, id: &str) {
        for wait in FOLLOW_HAND_OFF_MS {
            TimeoutFuture::new(wait).await;
            // The page may be gone meanwhile (signed out, another page): ask nothing then.
            if self.running.try_with_untracked(|_| ()).is_none() {
                return;
            }
            self.fetch_running(true).await;
            let connected = self
                .running
                .try_with_untracked(|r| matches!(r, Some(Ok(m)) if m.is_connected_here(id)));
            // `None`: the page is gone.
            if connected != Some(false) {
                return;
            }
        }
    }

    pub(super) fn load(self) {
        self.model.set(None);
        spawn_local(async move {
            let result = api::resources().await;
            if matches!(&result, Err(e) if e.needs_sign_in()) {
                self.session_ended.run(());
                return;
            }
            self.model.try_set(Some(result.map(CatalogueModel::new)));
        });
    }

    /// Launches an app or desktop as the user prefers, or opens a web app in a new tab.
    pub(super) fn launch(self, id: String) {
        let web = self
            .with_model(|m| m.get(&id).is_some_and(|r| r.opens_in_browser))
            .unwrap_or(false);
        let how = match self.preferences.get_untracked().launch {
            _ if web => How::Web,
            LaunchPreference::IcaFile => How::IcaFile,
            LaunchPreference::WorkspaceApp => How::Workspace,
        };
        spawn_local(run_launch(self, id, how));
    }

    /// Changes how launches open: shown at once, saved for the next sign-in too, and rolled
    /// back with a notice if it cannot be saved.
    pub(super) fn set_launch_preference(self, launch: LaunchPreference) {
        let before = self.preferences.get_untracked();
        let wanted = Preferences { launch };
        if wanted == before {
            return;
        }
        self.preferences.set(wanted);
        spawn_local(async move {
            match api::set_preferences(&wanted).await {
                Ok(saved) => self.preferences.set(saved),
                Err(e) if e.needs_sign_in() => self.session_ended.run(()),
                Err(e) => {
                    self.preferences.set(before);
                    self.notices.update(|n| {
                        n.push(format!("Your choice was not saved. {}", e.message()), None);
                    });
                }
            }
        });
    }

    pub(super) fn cancel(self, id: &str) {
        let name = self.name_of(id);
        self.launches.update(|l| l.cancel(id));
        self.live.set(format!("Launch of {name} cancelled."));
    }

    /// The user downloaded the `.ica` file after a hand-off: it did not open Citrix Workspace
    /// app; the card offers downloading every time.
    pub(super) fn fell_back(self, id: &str) {
        let name = self.name_of(id);
        self.launches.update(|l| l.fell_back(id));
        let said = self
            .launches
            .with_untracked(|l| l.get(id).map(|l| l.phase.announcement(&name)));
        if let Some(said) = said {
            self.live.set(said);
        }
    }

    pub(super) fn dismiss_launch(self, id: &str) {
        self.launches.update(|l| l.cancel(id));
    }

    fn name_of(self, id: &str) -> String {
        self.with_model(|m| m.get(id).map(|r| r.name.clone()))
            .flatten()
            .unwrap_or_else(|| id.to_owned())
    }

    /// Shows the change at once, saves it, and rolls back with a message if saving fails.
    pub(super) fn toggle_favorite(self, id: String) {
        let Some(change) = self
            .update_model(|m| m.begin_favorite_toggle(&id))
            .flatten()
        else {
            return;
        };
        spawn_local(async move {
            let answer = api::set_favorite(&change.id, change.favorite).await;
            match self.update_model(|m| m.finish_favorite_toggle(&change, answer)) {
                Some(FavoriteOutcome::Failed(message)) => {
                    self.notices.update(|n| {
                        n.push(message, Some(Retry::Favorite { id: change.id }));
                    });
                }
                Some(FavoriteOutcome::SignIn) => self.session_ended.run(()),
                Some(FavoriteOutcome::Saved) | None => {}
            }
        });
    }

    pub(super) fn retry(self, notice: u64, retry: Retry) {
        self.notices.update(|n| n.dismiss(notice));
        match retry {
            Retry::Favorite { id } => self.toggle_favorite(id),
        }
    }

    fn remember_launch(self, id: &str) {
        let now = now_secs();
        self.recents.update(|r| r.touch(id, now));
        let text = self.recents.with_untracked(Recents::to_storage);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            // Storage may be full or forbidden (private mode): recents are a nicety.
            let _ = storage.set_item(&self.recents_key.get_value(), &text);
        }
    }
}

/// Drives one launch: start, poll as the worker says, then hand off to Citrix Workspace app; or
/// download its `.ica` file; or, for a web app, ask the worker where it is and open it in a new
/// tab.
async fn run_launch(ctx: Ctx, id: String, how: How) {
    let name = ctx.name_of(&id);
    let Some(token) = ctx.launches.try_update(|l| {
        if how == How::IcaFile {
            l.start_download(&id)
        } else {
            l.start(&id)
        }
    }) else {
        return;
    };
    ctx.remember_launch(&id);
    let mut said = String::new();
    let mut announce = || {
        let text = ctx
            .launches
            .try_with_untracked(|l| l.get(&id).map(|l| l.phase.announcement(&name)))
            .flatten();
        if let Some(text) = text
            && text != said
        {
            ctx.live.try_set(text.clone());
            said = text;
        }
    };
    announce();
    let mut next = match how {
        How::IcaFile => {
            // The worker launches and answers the file once the session is ready. A link with
            // `download` never navigates the page, whatever the answer.
            download(&api::ica_url(&id));
            ctx.follow_hand_off(&id).await;
            return;
        }
        How::Web => {
            let answer = api::open_web(&id).await;
            ctx.launches.try_update(|l| l.opened(&id, token, answer))
        }
        How::Workspace => {
            let answer = api::launch(&id).await;
            ctx.launches.try_update(|l| l.answer(&id, token, answer))
        }
    }
    .unwrap_or(Next::Stop);
    loop {
        announce();
        next = match next {
            Next::Wait => {
                TimeoutFuture::new(1_000).await;
                ctx.launches
                    .try_update(|l| l.tick(&id, token))
                    .unwrap_or(Next::Stop)
            }
            Next::Poll { handle } => {
                let answer = api::poll(&handle).await;
                ctx.launches
                    .try_update(|l| l.answer(&id, token, answer))
                    .unwrap_or(Next::Stop)
            }
            Next::Open { receiver_uri } => {
                // The ticketed launch: the browser opens receiver://, Citrix Workspace app takes
                // over. Nothing tells the page whether it did, hence the "didn't open?" panel.
                if let Some(w) = web_sys::window() {
                    let _ = w.location().set_href(&receiver_uri);
                }
                ctx.follow_hand_off(&id).await;
                return;
            }
            Next::OpenTab { url } => {
                // A new tab without this page as its opener; if the browser blocked it, the
                // card's panel has a link to click.
                if let Some(w) = web_sys::window() {
                    let _ = w.open_with_url_and_target_and_features(
                        &url,
                        "_blank",
                        "noopener,noreferrer",
                    );
                }
                return;
            }
            Next::SignIn => {
                ctx.session_ended.run(());
                return;
            }
            Next::Stop => return,
        }
    }
}

/// Downloads `url` as a link with `download` does when clicked.
fn download(url: &str) {
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(link) = link {
        let _ = link.set_attribute("href", url);
        let _ = link.set_attribute("download", "");
        link.click();
    }
}
