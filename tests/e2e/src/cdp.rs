//! A minimal Chrome DevTools Protocol client over one WebSocket, with flattened target sessions.
//! Enough to navigate, evaluate, click, observe navigations and take screenshots.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

use crate::Result;

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<std::result::Result<Value, String>>>>>;
type Listeners = Arc<Mutex<Vec<(String, mpsc::UnboundedSender<Value>)>>>;

/// A headless Chromium with a fresh profile, killed on drop.
pub struct Browser {
    _child: Child,
    _profile: tempfile::TempDir,
    outgoing: mpsc::UnboundedSender<Message>,
    pending: Pending,
    listeners: Listeners,
    next_id: Arc<AtomicU64>,
}

impl Browser {
    /// Starts `/usr/bin/chromium` (or `$CHROMIUM`) headless.
    pub async fn launch() -> Result<Browser> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let program = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut child = Command::new(&program)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--window-size=1280,900",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {program}: {e} (run `cargo xtask setup`)"))?;
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let ws_url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return Some(url.trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or("Chromium did not open its DevTools port")?;
        // Keep draining stderr so Chromium never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let (socket, _) = tokio_tungstenite::connect_async(&ws_url)
            .await
            .map_err(|e| format!("DevTools connection: {e}"))?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut rx) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if sink.send(m).await.is_err() {
                    break;
                }
            }
        });
        let pending: Pending = Arc::default();
        let listeners: Listeners = Arc::default();
        let (p, l) = (pending.clone(), listeners.clone());
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = v.get("id").and_then(Value::as_u64) {
                    if let Some(tx) = p.lock().unwrap().remove(&id) {
                        let r = match v.get("error") {
                            Some(e) => Err(e.to_string()),
                            None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                        };
                        let _ = tx.send(r);
                    }
                } else if let Some(method) = v.get("method").and_then(Value::as_str) {
                    l.lock()
                        .unwrap()
                        .retain(|(m, tx)| m != method || tx.send(v.clone()).is_ok());
                }
            }
        });
        Ok(Browser {
            _child: child,
            _profile: profile,
            outgoing,
            pending,
            listeners,
            next_id: Arc::new(AtomicU64::new(1)),
        })
    }

    async fn send(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        self.outgoing
            .send(Message::Text(msg.to_string().into()))
            .map_err(|_| "DevTools connection closed")?;
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .map_err(|_| format!("{method} timed out"))?
            .map_err(|_| "DevTools connection closed".to_string())?
            .map_err(|e| format!("{method}: {e}"))
    }

    /// Opens a new tab and attaches to it.
    pub async fn new_page(&self) -> Result<Page<'_>> {
        self.open_page(json!({"url": "about:blank"})).await
    }

    /// Opens a tab in a fresh browser context (its own cookies and storage, like a private
    /// window), so a test starts signed out whatever ran before it.
    pub async fn new_isolated_page(&self) -> Result<Page<'_>> {
        let context = self
            .send(None, "Target.createBrowserContext", json!({}))
            .await?;
        let id = context["browserContextId"]
            .as_str()
            .ok_or("no browserContextId")?;
        self.open_page(json!({"url": "about:blank", "browserContextId": id}))
            .await
    }

    async fn open_page(&self, params: Value) -> Result<Page<'_>> {
        let target = self.send(None, "Target.createTarget", params).await?;
        let target_id = target["targetId"].as_str().ok_or("no targetId")?.to_owned();
        let attached = self
            .send(
                None,
                "Target.attachToTarget",
                json!({"targetId": target_id, "flatten": true}),
            )
            .await?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("no sessionId")?
            .to_owned();
        let page = Page {
            browser: self,
            session,
            target: target_id,
        };
        page.call("Page.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        Ok(page)
    }
}

/// One tab.
pub struct Page<'b> {
    browser: &'b Browser,
    session: String,
    target: String,
}

/// A JavaScript function whose promise resolves once the next frame has been drawn (a task
/// posted from its animation-frame callback runs after that frame's rendering).
pub const NEXT_FRAME: &str =
    "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))";

impl Page<'_> {
    /// Sends a command to this tab.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.browser.send(Some(&self.session), method, params).await
    }

    /// Subscribes to an event of this browser (e.g. `Page.frameRequestedNavigation`).
    pub fn subscribe(&self, method: &str) -> mpsc::UnboundedReceiver<Value> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.browser
            .listeners
            .lock()
            .unwrap()
            .push((method.to_owned(), tx));
        rx
    }

    /// Navigates and waits until the document has loaded.
    pub async fn goto(&self, url: &str) -> Result<()> {
        let r = self.call("Page.navigate", json!({"url": url})).await?;
        if let Some(e) = r.get("errorText").and_then(Value::as_str) {
            return Err(format!("navigating to {url}: {e}"));
        }
        self.wait_for(
            "document.readyState === 'complete'",
            Duration::from_secs(30),
        )
        .await
    }

    /// Evaluates an expression (promises awaited) and returns its JSON value.
    pub async fn eval(&self, expression: &str) -> Result<Value> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("{expression}: {e}"));
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Waits until `condition` evaluates truthy.
    pub async fn wait_for(&self, condition: &str, limit: Duration) -> Result<()> {
        let start = std::time::Instant::now();
        loop {
            // Navigation may destroy the context mid-evaluation; that is just "not yet".
            if let Ok(v) = self.eval(&format!("!!({condition})")).await
                && v == Value::Bool(true)
            {
                return Ok(());
            }
            if start.elapsed() > limit {
                let url = self.eval("location.href").await.unwrap_or_default();
                return Err(format!(
                    "timed out after {limit:?} waiting for `{condition}` (at {url})"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an element and returns nothing; fails with the selector on timeout.
    pub async fn wait_for_selector(&self, selector: &str, limit: Duration) -> Result<()> {
        self.wait_for(
            &format!("document.querySelector({})", js_str(selector)),
            limit,
        )
        .await
    }

    /// Clicks the first element matching `selector` the way a user would (mouse events at its
    /// centre), after scrolling it into view and waiting for it to stay put for a frame: a card
    /// above that grows (a launch's progress) moves it.
    pub async fn click(&self, selector: &str) -> Result<()> {
        self.wait_for_selector(selector, Duration::from_secs(15))
            .await?;
        let rect = self
            .eval(&format!(
                r#"(async () => {{
                    const frame = {NEXT_FRAME};
                    const centre = () => {{
                        const e = document.querySelector({});
                        if (!e) return null;
                        const r = e.getBoundingClientRect();
                        return [r.x + r.width / 2, r.y + r.height / 2];
                    }};
                    document.querySelector({0}).scrollIntoView({{block: 'center'}});
                    let at = centre();
                    for (let i = 0; i < 50; i++) {{
                        await frame();
                        const now = centre();
                        if (now && at && now[0] === at[0] && now[1] === at[1]) break;
                        at = now;
                    }}
                    return at;
                }})()"#,
                js_str(selector)
            ))
            .await?;
        let (Some(x), Some(y)) = (rect[0].as_f64(), rect[1].as_f64()) else {
            return Err(format!("{selector} went away before it could be clicked"));
        };
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )
            .await?;
        }
        Ok(())
    }

    /// Focuses `selector` and types `text` with real key events.
    pub async fn type_into(&self, selector: &str, text: &str) -> Result<()> {
        self.wait_for_selector(selector, Duration::from_secs(15))
            .await?;
        self.eval(&format!(
            "document.querySelector({}).focus()",
            js_str(selector)
        ))
        .await?;
        self.call("Input.insertText", json!({"text": text})).await?;
        Ok(())
    }

    /// The trimmed text of the first match of `selector`.
    pub async fn text(&self, selector: &str) -> Result<String> {
        let v = self
            .eval(&format!(
                "document.querySelector({})?.textContent ?? null",
                js_str(selector)
            ))
            .await?;
        v.as_str()
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| format!("no element {selector}"))
    }

    /// Presses and releases a key as a user would, on whatever has focus. Knows the keys the
    /// portal's shortcuts use: Enter, Escape, Tab, arrows, Home, End, and printable characters.
    pub async fn press(&self, key: &str) -> Result<()> {
        let (code, key_code, text) = match key {
            "Enter" => ("Enter", 13, "\r"),
            "Escape" => ("Escape", 27, ""),
            "Backspace" => ("Backspace", 8, ""),
            "Tab" => ("Tab", 9, ""),
            "ArrowLeft" => ("ArrowLeft", 37, ""),
            "ArrowUp" => ("ArrowUp", 38, ""),
            "ArrowRight" => ("ArrowRight", 39, ""),
            "ArrowDown" => ("ArrowDown", 40, ""),
            "Home" => ("Home", 36, ""),
            "End" => ("End", 35, ""),
            "/" => ("Slash", 191, "/"),
            other => return Err(format!("press: unknown key {other:?}")),
        };
        let mut down = json!({
            "type": if text.is_empty() { "rawKeyDown" } else { "keyDown" },
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": key_code,
        });
        if !text.is_empty() {
            down["text"] = json!(text);
        }
        self.call("Input.dispatchKeyEvent", down).await?;
        self.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": key_code}),
        )
        .await?;
        Ok(())
    }

    /// Closes the tab.
    pub async fn close(&self) -> Result<()> {
        self.browser
            .send(None, "Target.closeTarget", json!({"targetId": self.target}))
            .await
            .map(|_| ())
    }

    /// The tabs this one opened (`window.open`, `target=_blank`) that are still open: each
    /// target's info (`url`, `canAccessOpener`, …).
    pub async fn opened_tabs(&self) -> Result<Vec<Value>> {
        let all = self
            .browser
            .send(None, "Target.getTargets", json!({}))
            .await?;
        Ok(all["targetInfos"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["openerId"].as_str() == Some(self.target.as_str()))
            .cloned()
            .collect())
    }

    /// Closes a tab this one opened.
    pub async fn close_tab(&self, target_id: &str) -> Result<()> {
        self.browser
            .send(None, "Target.closeTarget", json!({"targetId": target_id}))
            .await
            .map(|_| ())
    }

    /// How many elements match `selector`.
    pub async fn count(&self, selector: &str) -> Result<usize> {
        let v = self
            .eval(&format!(
                "document.querySelectorAll({}).length",
                js_str(selector)
            ))
            .await?;
        Ok(v.as_u64().unwrap_or_default() as usize)
    }

    /// An attribute of the first match of `selector`; `None` when absent or nothing matches.
    pub async fn attr(&self, selector: &str, name: &str) -> Result<Option<String>> {
        let v = self
            .eval(&format!(
                "document.querySelector({})?.getAttribute({}) ?? null",
                js_str(selector),
                js_str(name)
            ))
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// The accessible name Chromium computes for the first match of `selector`: what a screen
    /// reader announces, whether it comes from `aria-label`, `aria-labelledby` or the content.
    pub async fn accessible_name(&self, selector: &str) -> Result<String> {
        let node = self.accessibility_node(selector).await?;
        node["name"]["value"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{selector} has no accessible name: {node}"))
    }

    /// Whether screen readers skip the first match of `selector` (Chromium leaves it out of
    /// the accessibility tree).
    pub async fn hidden_from_screen_readers(&self, selector: &str) -> Result<bool> {
        let node = self.accessibility_node(selector).await?;
        Ok(node["ignored"].as_bool() == Some(true))
    }

    /// Chromium's accessibility node for the first match of `selector`.
    async fn accessibility_node(&self, selector: &str) -> Result<Value> {
        let found = self
            .call(
                "Runtime.evaluate",
                json!({"expression": format!("document.querySelector({})", js_str(selector))}),
            )
            .await?;
        let object = found["result"]["objectId"]
            .as_str()
            .ok_or_else(|| format!("nothing matches {selector}"))?;
        let mut tree = self
            .call(
                "Accessibility.getPartialAXTree",
                json!({"objectId": object, "fetchRelatives": false}),
            )
            .await?;
        Ok(tree["nodes"][0].take())
    }

    /// Saves a PNG screenshot.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        use base64::Engine;
        let r = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await?;
        let data = r["data"].as_str().ok_or("no screenshot data")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| e.to_string())?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, bytes).map_err(|e| e.to_string())
    }
}

/// A JavaScript string literal.
pub fn js_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// The URL of the next requested navigation (from [`Page::subscribe`] to
/// `Page.frameRequestedNavigation`) that starts with `prefix`, e.g. the `receiver://` hand-off
/// to Citrix Workspace app; `None` when none comes within `limit`.
pub async fn next_navigation(
    navigations: &mut mpsc::UnboundedReceiver<Value>,
    prefix: &str,
    limit: Duration,
) -> Option<String> {
    tokio::time::timeout(limit, async {
        while let Some(event) = navigations.recv().await {
            let url = event["params"]["url"].as_str().unwrap_or_default();
            if url.starts_with(prefix) {
                return Some(url.to_owned());
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}
