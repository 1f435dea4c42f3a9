//! Component tests: the real app mounted into a real DOM in headless Chromium, with the worker
//! faked at the `fetch` boundary ([`fake_worker`]). Each test drives the page as a person would
//! (typing, clicks, keys) and checks what they would see.
//!
//! `cargo test -p portal-frontend --lib --target wasm32-unknown-unknown` runs them through
//! `wasm-bindgen-test-runner` (.cargo/config.toml), which drives Chromium with ChromeDriver
//! (`webdriver.json` in this crate holds the browser's flags). The end-to-end suites in
//! `tests/e2e` cover the same journeys against the real worker; these pin down the components'
//! own behaviour, including answers the real worker is hard to make give (a failed save at the
//! right moment, a late answer after a cancel).

mod fake_worker;
mod fixtures;
mod page;

mod details;
mod favourites;
mod keyboard;
mod launch;
mod preferences;
mod running;
mod scale;
mod search;
mod session;
mod web_apps;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
