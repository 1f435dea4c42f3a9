//! The catalogue page's state and actions, shared by its components: loading the catalogue,
//! launching (start, poll, hand off to Citrix Workspace app), favourites, notices and recents.

use std::sync::Arc;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use portal_shared::api::CatalogueResource;

use crate::api;
use crate::error::ClientError;
use crate::model::running::RunningModel;
use crate::model::{
    CatalogueModel, FavoriteOutcome, Launches, Next, Notices, Place, Recents, Retry,
};

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
    /// The user's running sessions once loaded (`running.rs`), or why they could not be.
    pub(super) running: RwSignal<Option<Result<RunningModel, ClientError>>>,
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

    pub(super) fn launch(self, id: String) {
        spawn_local(run_launch(self, id));
    }

    pub(super) fn cancel(self, id: &str) {
        let name = self.name_of(id);
        self.launches.update(|l| l.cancel(id));
        self.live.set(format!("Launch of {name} cancelled."));
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
        self.recents.update(|r| r.touch(id));
        let text = self.recents.with_untracked(Recents::to_storage);
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            // Storage may be full or forbidden (private mode): recents are a nicety.
            let _ = storage.set_item(&self.recents_key.get_value(), &text);
        }
    }
}

/// Drives one launch: start, poll as the worker says, then hand off to Citrix Workspace app.
async fn run_launch(ctx: Ctx, id: String) {
    let name = ctx.name_of(&id);
    let Some(token) = ctx.launches.try_update(|l| l.start(&id)) else {
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
    let answer = api::launch(&id).await;
    let mut next = ctx
        .launches
        .try_update(|l| l.answer(&id, token, answer))
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
