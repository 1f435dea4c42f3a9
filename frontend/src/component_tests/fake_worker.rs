//! The worker, faked where the app meets the network: `window.fetch`, which gloo-net calls.
//!
//! Answers are scripted per method and path, built from the real wire types, and every request
//! is recorded. An answer can be held back until the test lets it through, so a test can look at
//! the page while a request is in flight.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use portal_shared::api::{ApiError, CSRF_HEADER, ErrorCode, FavoriteState, RunningSessions};
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The browser's own `fetch`, captured before the first fake replaces it.
    static REAL_FETCH: JsValue =
        Reflect::get(&js_sys::global(), &"fetch".into()).unwrap_or(JsValue::UNDEFINED);
}

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// A response with a JSON body.
    Json {
        /// HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// No answer at all: `fetch` rejects, as when offline.
    Unreachable,
    /// `reply`, once the gate is open.
    Held {
        /// The answer.
        reply: Box<Reply>,
        /// What holds it back.
        gate: Gate,
    },
}

impl Reply {
    /// 200 with `value` as JSON.
    pub fn ok(value: &impl Serialize) -> Reply {
        Reply::with_status(200, value)
    }

    /// `status` with `value` as JSON.
    pub fn with_status(status: u16, value: &impl Serialize) -> Reply {
        Reply::Json {
            status,
            body: serde_json::to_string(value).expect("wire types serialise"),
        }
    }

    /// The worker's error body, as its one error type sends it.
    pub fn error(status: u16, code: ErrorCode, message: &str) -> Reply {
        Reply::with_status(
            status,
            &ApiError {
                code,
                message: message.into(),
                retryable: false,
            },
        )
    }

    /// This answer, held back until the returned gate is opened.
    pub fn held(self) -> (Reply, Gate) {
        let gate = Gate::default();
        let held = Reply::Held {
            reply: Box::new(self),
            gate: gate.clone(),
        };
        (held, gate)
    }

    fn respond(self) -> Promise {
        match self {
            Reply::Json { status, body } => {
                Promise::resolve(&JsValue::from(response(status, &body)))
            }
            Reply::Unreachable => Promise::reject(&js_sys::TypeError::new("Failed to fetch")),
            Reply::Held { reply, gate } => gate.wait(*reply),
        }
    }
}

fn response(status: u16, body: &str) -> web_sys::Response {
    let headers = web_sys::Headers::new().expect("Headers");
    headers
        .set("Content-Type", "application/json")
        .expect("a valid header");
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(Some(body), &init).expect("a valid response")
}

/// Holds answers back until [`Gate::open`].
#[derive(Clone, Default)]
pub struct Gate(Rc<RefCell<GateState>>);

#[derive(Default)]
struct GateState {
    open: bool,
    /// Held answers and the resolve functions of the promises `fetch` returned for them.
    waiting: Vec<(Reply, Function)>,
}

impl Gate {
    fn wait(&self, reply: Reply) -> Promise {
        if self.0.borrow().open {
            return reply.respond();
        }
        let state = self.0.clone();
        Promise::new(&mut |resolve, _reject| {
            state.borrow_mut().waiting.push((reply.clone(), resolve));
        })
    }

    /// Lets every held answer through, and later ones at once.
    pub fn open(&self) {
        let waiting = {
            let mut state = self.0.borrow_mut();
            state.open = true;
            std::mem::take(&mut state.waiting)
        };
        for (reply, resolve) in waiting {
            // Resolving with a promise adopts its outcome, a rejection included.
            let _ = resolve.call1(&JsValue::NULL, &reply.respond());
        }
    }
}

/// A request the app made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path without origin or query, e.g. `/api/session`.
    pub path: String,
    /// Whether it carried the CSRF header the worker requires of state-changing requests.
    pub csrf: bool,
}

impl Seen {
    fn of(input: &JsValue, init: &JsValue) -> Seen {
        if let Some(request) = input.dyn_ref::<web_sys::Request>() {
            let csrf = request.headers().get(CSRF_HEADER).ok().flatten().as_deref() == Some("1");
            return Seen {
                method: request.method(),
                path: path_of(&request.url()),
                csrf,
            };
        }
        // `fetch(url, init)`: not how gloo-net calls it, but nothing should slip past the fake.
        let method = Reflect::get(init, &"method".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "GET".into());
        Seen {
            method: method.to_ascii_uppercase(),
            path: path_of(&input.as_string().unwrap_or_default()),
            csrf: false,
        }
    }
}

fn path_of(url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/"),
        None => url,
    };
    path.split(['?', '#']).next().unwrap_or_default().to_owned()
}

#[derive(Default)]
struct State {
    /// Answers per method and path, in order; the last one keeps answering.
    routes: HashMap<(String, String), VecDeque<Reply>>,
    seen: Vec<Seen>,
}

impl State {
    fn answer(&mut self, method: &str, path: &str) -> Reply {
        if let Some(queue) = self.routes.get_mut(&(method.to_owned(), path.to_owned())) {
            if queue.len() > 1 {
                return queue.pop_front().expect("a queued answer");
            }
            if let Some(reply) = queue.front() {
                return reply.clone();
            }
        }
        unscripted(method, path)
    }
}

/// What the worker would answer to what a test did not script: favourites save as asked,
/// anything else is unknown.
fn unscripted(method: &str, path: &str) -> Reply {
    let favourite = path
        .strip_prefix("/api/resources/")
        .and_then(|p| p.strip_suffix("/favorite"));
    match (method, favourite) {
        ("PUT" | "DELETE", Some(id)) => Reply::ok(&FavoriteState {
            id: id.to_owned(),
            favorite: method == "PUT",
        }),
        // Nothing is running unless a test says so.
        ("GET", None) if path == "/api/sessions" => Reply::ok(&RunningSessions::default()),
        _ => Reply::error(404, ErrorCode::NotFound, "Not scripted in the fake worker."),
    }
}

/// The fake, installed as `window.fetch` for as long as it lives.
pub struct FakeWorker {
    state: Rc<RefCell<State>>,
    _fetch: Closure<dyn FnMut(JsValue, JsValue) -> Promise>,
}

impl FakeWorker {
    /// Replaces `window.fetch`; every route is unscripted until [`FakeWorker::on`].
    pub fn install() -> FakeWorker {
        REAL_FETCH.with(|_| ());
        let state = Rc::new(RefCell::new(State::default()));
        let fetch = {
            let state = state.clone();
            Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(
                move |input: JsValue, init: JsValue| {
                    let seen = Seen::of(&input, &init);
                    let reply = {
                        let mut state = state.borrow_mut();
                        let reply = state.answer(&seen.method, &seen.path);
                        state.seen.push(seen);
                        reply
                    };
                    reply.respond()
                },
            )
        };
        Reflect::set(&js_sys::global(), &"fetch".into(), fetch.as_ref())
            .expect("window.fetch can be replaced");
        FakeWorker {
            state,
            _fetch: fetch,
        }
    }

    /// Adds an answer for `method path`. Answers are given in the order added; the last one
    /// keeps answering.
    pub fn on(&self, method: &str, path: &str, reply: Reply) -> &Self {
        self.state
            .borrow_mut()
            .routes
            .entry((method.to_owned(), path.to_owned()))
            .or_default()
            .push_back(reply);
        self
    }

    /// Every request so far, oldest first.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.borrow().seen.clone()
    }

    /// How many `method path` requests there were.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.state
            .borrow()
            .seen
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count()
    }
}

impl Drop for FakeWorker {
    fn drop(&mut self) {
        REAL_FETCH.with(|real| {
            let _ = Reflect::set(&js_sys::global(), &"fetch".into(), real);
        });
    }
}
