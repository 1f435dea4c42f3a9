//! Web apps: opened in a new tab at the address the worker vouched for, never with this page as
//! the tab's opener, with a link to click when the browser blocked the tab; refused with the
//! worker's reason, opening nothing.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use portal_shared::api::{ErrorCode, WebApp};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use super::fake_worker::{FakeWorker, Reply};
use super::fixtures;
use super::page::{Page, in_card};

const OPEN_PATH: &str = "/api/resources/webmail/open";
const ADDRESS: &str = "https://mail.example/inbox?folder=1";

/// `window.open`, replaced for as long as it lives: records each call instead of opening a tab.
struct OpenedTabs {
    calls: Rc<RefCell<Vec<[String; 3]>>>,
    original: JsValue,
    _stub: Closure<dyn FnMut(String, String, String) -> JsValue>,
}

impl OpenedTabs {
    fn install() -> OpenedTabs {
        let window = js_sys::global();
        let original = Reflect::get(&window, &"open".into()).expect("window.open");
        let calls = Rc::new(RefCell::new(Vec::new()));
        let stub = {
            let calls = calls.clone();
            Closure::<dyn FnMut(String, String, String) -> JsValue>::new(
                move |url, target, features| {
                    calls.borrow_mut().push([url, target, features]);
                    JsValue::NULL
                },
            )
        };
        Reflect::set(&window, &"open".into(), stub.as_ref()).expect("window.open replaced");
        OpenedTabs {
            calls,
            original,
            _stub: stub,
        }
    }

    fn calls(&self) -> Vec<[String; 3]> {
        self.calls.borrow().clone()
    }
}

impl Drop for OpenedTabs {
    fn drop(&mut self) {
        let _ = Reflect::set(&js_sys::global(), &"open".into(), &self.original);
    }
}

/// The usual catalogue, with Web Mail a web app the portal opens.
fn worker_with_a_web_app() -> FakeWorker {
    let mut catalogue = fixtures::catalogue();
    for r in &mut catalogue.resources {
        r.opens_in_browser = r.id == "webmail";
    }
    let worker = FakeWorker::install();
    worker
        .on("GET", "/api/session", Reply::ok(&fixtures::session()))
        .on("GET", "/api/resources", Reply::ok(&catalogue));
    worker
}

fn launch_state(page: &Page) -> Option<String> {
    page.attr(&in_card("webmail", "launch-status"), "data-state")
}

#[wasm_bindgen_test]
async fn a_web_app_opens_in_a_new_tab_without_an_opener_and_offers_a_link() {
    let tabs = OpenedTabs::install();
    let worker = worker_with_a_web_app();
    worker.on(
        "POST",
        OPEN_PATH,
        Reply::ok(&WebApp {
            url: ADDRESS.into(),
        }),
    );
    let page = Page::catalogue(worker).await;
    assert_eq!(
        page.text(&in_card("webmail", "launch-button")).as_deref(),
        Some("Open")
    );
    assert!(page.find(&in_card("webmail", "web-badge")).is_some());

    page.click(&in_card("webmail", "launch-button"));
    page.until_eq("the web app to be open", Some("ready".to_owned()), || {
        launch_state(&page)
    })
    .await;
    assert_eq!(
        tabs.calls(),
        [[
            ADDRESS.to_owned(),
            "_blank".into(),
            "noopener,noreferrer".into()
        ]]
    );
    assert_eq!(
        page.text(&in_card("webmail", "launch-progress")).as_deref(),
        Some("Opened Web Mail in a new tab.")
    );
    assert_eq!(
        page.announced().as_deref(),
        Some("Web Mail opened in a new tab.")
    );
    let link = in_card("webmail", "web-open-link");
    assert_eq!(page.attr(&link, "href").as_deref(), Some(ADDRESS));
    assert_eq!(page.attr(&link, "target").as_deref(), Some("_blank"));
    assert_eq!(
        page.attr(&link, "rel").as_deref(),
        Some("noopener noreferrer")
    );
    let asked = page.worker.seen();
    let open = asked
        .iter()
        .find(|s| s.path == OPEN_PATH)
        .expect("the worker was asked where the app is");
    assert_eq!(open.method, "POST");
    assert!(open.csrf, "the request carries the CSRF header");
}

#[wasm_bindgen_test]
async fn a_web_app_the_worker_refuses_says_why_and_opens_nothing() {
    const WHY: &str = "The address published for Web Mail is not a secure (https) one, so the portal will not open it. Tell your administrator.";
    let tabs = OpenedTabs::install();
    let worker = worker_with_a_web_app();
    worker.on(
        "POST",
        OPEN_PATH,
        Reply::error(409, ErrorCode::NotLaunchable, WHY),
    );
    let page = Page::catalogue(worker).await;
    page.click(&in_card("webmail", "launch-button"));
    page.until_eq("the refusal", Some("failed".to_owned()), || {
        launch_state(&page)
    })
    .await;
    assert_eq!(
        page.text(&in_card("webmail", "launch-error")).as_deref(),
        Some(WHY)
    );
    assert!(tabs.calls().is_empty(), "nothing was opened");
    assert!(page.find(&in_card("webmail", "launch-retry")).is_some());
}
