//! Work that waits for a pause: each new request cancels the one still waiting, and leaving the
//! page cancels the last. And the browser's clock, for what the pages date.

use std::time::Duration;

use leptos::prelude::*;

/// Runs the latest of its requests once `delay` passes without another.
#[derive(Clone, Copy)]
pub struct AfterPause {
    delay: Duration,
    waiting: StoredValue<Option<TimeoutHandle>>,
}

impl AfterPause {
    /// Belongs to the component being built: its cleanup cancels what is waiting.
    pub fn new(delay: Duration) -> AfterPause {
        let this = AfterPause {
            delay,
            waiting: StoredValue::new(None),
        };
        on_cleanup(move || this.cancel());
        this
    }

    /// Runs `f` after the pause, instead of anything requested before.
    pub fn request(self, f: impl FnOnce() + 'static) {
        self.cancel();
        let handle = set_timeout_with_handle(f, self.delay).ok();
        self.waiting.try_set_value(handle);
    }

    /// Drops what is waiting, if anything.
    pub fn cancel(self) {
        if let Some(Some(handle)) = self.waiting.try_update_value(Option::take) {
            handle.clear();
        }
    }
}

/// The browser's clock, in Unix seconds.
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}
