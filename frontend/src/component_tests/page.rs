//! The app mounted into a fresh element, found and driven the way a person would, and waited
//! for by polling, never by sleeping.

use std::any::Any;
use std::fmt::Debug;
use std::panic::Location;

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, EventTarget, HtmlElement, HtmlInputElement};

use super::fake_worker::FakeWorker;

/// How long [`Page::until`] waits: well beyond any step the app takes (the longest, a launch's
/// countdown in these tests, is 2 s), short enough that a failure shows quickly.
const PATIENCE_MS: f64 = 5_000.0;
const POLL_MS: u32 = 10;
/// Marks the element each test mounts into, to find leftovers of a test that failed.
const ROOT_ATTR: &str = "data-component-test";

/// The search box.
pub const SEARCH: &str = "[data-testid=search]";
/// Every card.
pub const CARDS: &str = "[data-testid=resource-card]";

/// The card of a resource.
pub fn card(id: &str) -> String {
    format!("{CARDS}[data-resource-id=\"{id}\"]")
}

/// Something inside the card of a resource, by its `data-testid`.
pub fn in_card(id: &str, testid: &str) -> String {
    format!("{} [data-testid={testid}]", card(id))
}

pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a document")
}

/// Dispatches a `keydown` of `key` at `target`, bubbling as a real one does. Returns whether the
/// page left the key alone (did not call `preventDefault`).
pub fn press(target: &EventTarget, key: &str) -> bool {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init)
        .expect("a keyboard event");
    target.dispatch_event(&event).expect("dispatch")
}

/// Waits `ms` milliseconds. Only for checking that something does *not* happen.
pub async fn pause(ms: u32) {
    TimeoutFuture::new(ms).await;
}

fn now() -> f64 {
    js_sys::Date::now()
}

/// The app as one test sees it. Dropping it unmounts the app, removes its element, and puts
/// back the browser's `fetch`, address and storage.
pub struct Page {
    root: HtmlElement,
    app: Option<Box<dyn Any>>,
    /// The worker the app talks to.
    pub worker: FakeWorker,
}

impl Page {
    /// Mounts the whole app, as `main.rs` does, at `url` (path and query), talking to `worker`.
    /// The app's real style sheet comes first, as in production: the grid measures its columns
    /// and renders only the rows near the screen, so layout decides which cards are in the DOM.
    pub fn open(url: &str, worker: FakeWorker) -> Page {
        clean_slate(url);
        let document = document();
        let root: HtmlElement = document
            .create_element("div")
            .expect("a div")
            .unchecked_into();
        root.set_attribute(ROOT_ATTR, "").expect("an attribute");
        let style = document.create_element("style").expect("a style element");
        style.set_text_content(Some(include_str!("../../style.css")));
        root.append_child(&style).expect("styled");
        document
            .body()
            .expect("a body")
            .append_child(&root)
            .expect("mounted");
        let app = leptos::mount::mount_to(root.clone(), crate::App);
        Page {
            root,
            app: Some(Box::new(app)),
            worker,
        }
    }

    /// The app at `/` talking to `worker`, once the catalogue's cards are shown (all nine fit on
    /// the test browser's 1280×900 screen).
    pub async fn catalogue(worker: FakeWorker) -> Page {
        let page = Page::open("/", worker);
        page.until_eq("the catalogue's nine cards", 9, || page.all(CARDS).len())
            .await;
        page
    }

    /// The first element matching `selector`, if any.
    pub fn find(&self, selector: &str) -> Option<HtmlElement> {
        self.root
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into().ok())
    }

    /// The element matching `selector`; the test fails if there is none.
    pub fn get(&self, selector: &str) -> HtmlElement {
        self.find(selector)
            .unwrap_or_else(|| panic!("nothing matches {selector}\n{}", self.describe()))
    }

    /// Every element matching `selector`, in document order.
    pub fn all(&self, selector: &str) -> Vec<HtmlElement> {
        let Ok(nodes) = self.root.query_selector_all(selector) else {
            return Vec::new();
        };
        (0..nodes.length())
            .filter_map(|i| nodes.item(i))
            .filter_map(|n| n.dyn_into().ok())
            .collect()
    }

    /// The trimmed text of the element matching `selector`; `None` if there is none.
    pub fn text(&self, selector: &str) -> Option<String> {
        self.find(selector)
            .map(|e| e.text_content().unwrap_or_default().trim().to_owned())
    }

    /// An attribute of the element matching `selector`; `None` if either is missing.
    pub fn attr(&self, selector: &str, name: &str) -> Option<String> {
        self.find(selector).and_then(|e| e.get_attribute(name))
    }

    /// The text the element matching `selector` refers to by `attribute` (`aria-labelledby`,
    /// `aria-describedby`): the referenced elements' text, in order, as a screen reader reads it.
    pub fn referenced_text(&self, selector: &str, attribute: &str) -> Option<String> {
        let ids = self.attr(selector, attribute)?;
        let document = self.root.owner_document()?;
        let parts = ids
            .split_whitespace()
            .map(|id| {
                let text = document.get_element_by_id(id)?.text_content()?;
                Some(text.trim().to_owned())
            })
            .collect::<Option<Vec<_>>>()?;
        Some(parts.join(" "))
    }

    /// The names on the cards, in the order shown.
    pub fn names(&self) -> Vec<String> {
        self.all(&format!("{CARDS} [data-testid=resource-name]"))
            .iter()
            .map(|e| e.text_content().unwrap_or_default().trim().to_owned())
            .collect()
    }

    /// What the screen-reader live region says.
    pub fn announced(&self) -> Option<String> {
        self.text("[data-testid=live-region]")
    }

    /// The search box's current text.
    pub fn search_value(&self) -> String {
        self.get(SEARCH)
            .unchecked_into::<HtmlInputElement>()
            .value()
    }

    /// Clicks the element matching `selector` (a disabled button ignores it, as for a person).
    pub fn click(&self, selector: &str) {
        self.get(selector).click();
    }

    /// Replaces what the field matching `selector` holds with `text`, as typing would, one
    /// `input` event for the lot.
    pub fn type_text(&self, selector: &str, text: &str) {
        let input: HtmlInputElement = self.get(selector).unchecked_into();
        input.set_value(text);
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let event =
            web_sys::Event::new_with_event_init_dict("input", &init).expect("an input event");
        input.dispatch_event(&event).expect("dispatch");
    }

    /// Picks `value` in the `<select>` matching `selector`, as a person choosing an option
    /// does: one `change` event.
    pub fn choose(&self, selector: &str, value: &str) {
        let select = self.get(selector);
        js_sys::Reflect::set(&select, &"value".into(), &value.into()).expect("a select's value");
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        let event =
            web_sys::Event::new_with_event_init_dict("change", &init).expect("a change event");
        select.dispatch_event(&event).expect("dispatch");
    }

    /// The current value of the form control matching `selector`.
    pub fn value(&self, selector: &str) -> Option<String> {
        let control = self.find(selector)?;
        js_sys::Reflect::get(&control, &"value".into())
            .ok()?
            .as_string()
    }

    /// Presses `key` on the element matching `selector`; see [`press`].
    pub fn press(&self, selector: &str, key: &str) -> bool {
        press(&self.get(selector), key)
    }

    /// The focused element, if it is inside the app.
    pub fn focused(&self) -> Option<Element> {
        document()
            .active_element()
            .filter(|e| self.root.contains(Some(e)))
    }

    /// Whether the element matching `selector` has focus.
    pub fn has_focus(&self, selector: &str) -> bool {
        let Some(target) = self.find(selector) else {
            return false;
        };
        self.focused()
            .is_some_and(|f| f == *target.unchecked_ref::<Element>())
    }

    /// Whether a request `method path` was made.
    pub fn requested(&self, method: &str, path: &str) -> bool {
        self.worker.count(method, path) > 0
    }

    /// Waits until `probe` gives `expected`; the test fails after [`PATIENCE_MS`], saying where
    /// it waited, for what, what it saw last and what the page showed.
    #[track_caller]
    pub fn until_eq<T, U>(
        &self,
        what: &str,
        expected: U,
        mut probe: impl FnMut() -> T,
    ) -> impl Future<Output = ()>
    where
        T: PartialEq<U> + Debug,
        U: Debug,
    {
        // Taken now: the future runs where the caller is no longer known.
        let caller = Location::caller();
        async move {
            let start = now();
            loop {
                let got = probe();
                if got == expected {
                    return;
                }
                if now() - start > PATIENCE_MS {
                    panic!(
                        "{caller}: waited {PATIENCE_MS} ms for {what}: expected {expected:?}, got {got:?}\n{}",
                        self.describe()
                    );
                }
                TimeoutFuture::new(POLL_MS).await;
            }
        }
    }

    /// Waits until `condition` holds; see [`Page::until_eq`].
    #[track_caller]
    pub fn until(&self, what: &str, condition: impl FnMut() -> bool) -> impl Future<Output = ()> {
        self.until_eq(what, true, condition)
    }

    /// The page's text and the requests so far, for failure messages.
    fn describe(&self) -> String {
        let text = self.root.text_content().unwrap_or_default();
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let text: String = text.chars().take(1_500).collect();
        let seen: Vec<String> = self
            .worker
            .seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect();
        format!("page text: {text}\nrequests: {}", seen.join(", "))
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // Unmount first: its cleanups remove the app's window listeners.
        drop(self.app.take());
        self.root.remove();
        clean_slate("/");
    }
}

/// Removes what an earlier test may have left (one that failed never dropped its page), and
/// puts the address at `url` and storage back to empty, since the app reads both.
fn clean_slate(url: &str) {
    let document = document();
    if let Ok(leftovers) = document.query_selector_all(&format!("[{ROOT_ATTR}]")) {
        for i in 0..leftovers.length() {
            if let Some(e) = leftovers.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                e.remove();
            }
        }
    }
    let window = web_sys::window().expect("a window");
    if let Ok(history) = window.history() {
        history
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url))
            .expect("the address can change");
    }
    if let Ok(Some(storage)) = window.local_storage() {
        let _ = storage.clear();
    }
}
