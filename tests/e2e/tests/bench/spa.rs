//! The catalogue at scale in headless Chromium (issue 5): a stack seeded with 5,000 resources
//! against one with 40 (the baseline) in the same run. Measured inside the page with
//! `performance.now()`: navigation to the first visible cards, how long an icon takes to answer,
//! and for each kind of keystroke in the search box its main-thread work and when the changed
//! list was on screen. Prints medians and ratios and always exits 0 when it could measure: a
//! benchmark reports, it does not judge.
//!
//! Run by `cargo xtask bench`, never by `cargo xtask test`.

use std::time::Instant;

use portal_e2e::Result;
use portal_e2e::cdp::Page;
use portal_e2e::signin::signed_in;
use portal_e2e::stack::Options;
use portal_e2e::suite::Browsing;
use serde_json::json;
use workspace_emulator::generated_resources;

const BASELINE: usize = 40;
const LARGE: usize = 5000;
const LOADS: usize = 5;
const ROUNDS: usize = 15;
const FRAME_MS: f64 = 1000.0 / 60.0;

/// Each keystroke changes the list at both sizes, so each has something to draw.
#[derive(Clone, Copy)]
enum Key {
    /// Inserted as one input event (as a fast typist's or a paste's).
    Type(&'static str),
    Backspace,
    /// The search box's Escape clears the query.
    Escape,
}

const STEPS: [(&str, Key); 4] = [
    ("type \"lum\"", Key::Type("lum")),
    ("type \"a\" (no match)", Key::Type("a")),
    ("Backspace", Key::Backspace),
    ("Escape (clear)", Key::Escape),
];

/// Installed before the SPA loads: resolves with the `performance.now()` (milliseconds since
/// navigation started) of the first frame drawn after a resource card has a size. The message
/// posted from `requestAnimationFrame` runs after that frame's style, layout and paint.
const READY_JS: &str = r#"
window.__benchReady = new Promise(resolve => {
  const shown = () => {
    const c = document.querySelector('[data-testid=resource-card]');
    return c && c.getBoundingClientRect().height > 0;
  };
  const obs = new MutationObserver(() => {
    if (!shown()) return;
    obs.disconnect();
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => resolve(performance.now());
      ch.port2.postMessage(0);
    });
  });
  obs.observe(document, {childList: true, subtree: true});
});
"#;

/// Arms one keystroke measurement. Two numbers, in milliseconds:
/// - latency: from the keystroke's first event (`timeStamp`, same clock as `performance.now()`)
///   to the end of the first frame drawn after the catalogue's DOM changed. It includes waiting
///   for that frame's vsync, up to a frame whatever the page does.
/// - work: the main thread's time for the keystroke, the part the page controls. Script, from the
///   event to the last DOM change before the frame, plus that frame's own work (animation-frame
///   callbacks, style, layout, paint) from its start, or from the script's end if the script ran
///   into it. At most 16.7 ms means the change is ready for the next frame.
///
/// `null` when nothing changed within 5 s.
const ARM_JS: &str = r#"(() => {
  const target = document.querySelector('main') || document.body;
  const kinds = ['keydown', 'beforeinput', 'input'];
  window.__benchKey = new Promise(resolve => {
    let t0 = null;
    let changed = null;
    let framed = false;
    const start = e => { if (t0 === null) t0 = e.timeStamp; };
    for (const k of kinds) window.addEventListener(k, start, true);
    const finish = v => {
      for (const k of kinds) window.removeEventListener(k, start, true);
      obs.disconnect();
      clearTimeout(timer);
      resolve(v);
    };
    const obs = new MutationObserver(() => {
      if (t0 === null) return;
      changed = performance.now();
      if (framed) return;
      framed = true;
      requestAnimationFrame(frameStart => {
        obs.disconnect();
        const script = changed - t0;
        const from = Math.max(frameStart, changed);
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          const end = performance.now();
          finish({latency: end - t0, work: script + (end - from)});
        };
        ch.port2.postMessage(0);
      });
    });
    obs.observe(target, {childList: true, subtree: true, characterData: true, attributes: true});
    const timer = setTimeout(() => finish(null), 5000);
  });
  return true;
})()"#;

/// Fetches the icons of the cards on screen one after another, past the browser's cache, and
/// resolves with how long each took to answer: the worker looks up the resource's links for
/// every icon, so this shows whether that lookup grows with the catalogue.
const ICONS_JS: &str = r#"(async () => {
  const urls = [...document.querySelectorAll('[data-testid=resource-card] img')].map(i => i.src).slice(0, 12);
  const took = [];
  for (const url of urls) {
    const t0 = performance.now();
    const r = await fetch(url, {cache: 'no-store'});
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`${url} answered ${r.status}`);
    took.push(performance.now() - t0);
  }
  if (took.length === 0) throw new Error('no icons on screen');
  return took;
})()"#;

/// One keystroke, in milliseconds (see `ARM_JS`).
#[derive(Clone, Copy, serde::Deserialize)]
struct Timing {
    latency: f64,
    work: f64,
}

/// What one stack measured, in milliseconds.
struct Run {
    ready: Vec<f64>,
    /// When the catalogue's answer had arrived, on the same clock: the rest of `ready` is the
    /// page's own (decoding, the model, the first render).
    answered: Vec<f64>,
    /// How long `/api/icons/...` took to answer, one icon at a time.
    icons: Vec<f64>,
    keys: Vec<Vec<Timing>>,
    missed: usize,
}

/// Measures both stacks and prints the report.
pub async fn run() -> Result<()> {
    let mut runs = Vec::new();
    for n in [BASELINE, LARGE] {
        let started = Instant::now();
        let r = stack(n).await.map_err(|e| format!("n={n}: {e}"))?;
        eprintln!("bench spa: n={n} measured in {:.1?}", started.elapsed());
        runs.push(r);
    }
    report(&runs[0], &runs[1]);
    Ok(())
}

async fn stack(n: usize) -> Result<Run> {
    let browsing = Browsing::spawn(Options {
        emulator: Some(Box::new(move |c| c.seed.resources = generated_resources(n))),
        ..Options::default()
    })
    .await?;
    let outcome = measure(&browsing).await;
    if outcome.is_err() {
        eprintln!(
            "\n--- wrangler dev log ---\n{}",
            browsing.stack.wrangler_log()
        );
    }
    drop(browsing.browser);
    browsing.stack.stop().await;
    outcome
}

async fn measure(c: &Browsing) -> Result<Run> {
    let page = signed_in(c, "/").await?;
    let outcome = async {
        page.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": READY_JS}),
        )
        .await?;
        let mut ready = Vec::new();
        let mut answered = Vec::new();
        for _ in 0..LOADS {
            page.goto(&format!("{}/", c.stack.portal)).await?;
            let t = page.eval("window.__benchReady").await?;
            ready.push(t.as_f64().ok_or("no ready time")?);
            let a = page
                .eval("performance.getEntriesByType('resource').find(e => new URL(e.name).pathname === '/api/resources')?.responseEnd ?? null")
                .await?;
            answered.push(a.as_f64().ok_or("no /api/resources request was seen")?);
        }
        let icons = serde_json::from_value(page.eval(ICONS_JS).await?)
            .map_err(|e| format!("icon timings: {e}"))?;
        // One unmeasured round: the first search pays for warming up the code paths.
        for (_, key) in STEPS {
            keystroke(&page, key).await?;
        }
        let mut keys = vec![Vec::new(); STEPS.len()];
        let mut missed = 0;
        for _ in 0..ROUNDS {
            for (i, (_, key)) in STEPS.into_iter().enumerate() {
                match keystroke(&page, key).await? {
                    Some(ms) => keys[i].push(ms),
                    None => missed += 1,
                }
            }
        }
        Ok(Run {
            ready,
            answered,
            icons,
            keys,
            missed,
        })
    }
    .await;
    let _ = page.close().await;
    outcome
}

/// Sends one keystroke to the search box and returns its timing, if the list changed.
async fn keystroke(page: &Page<'_>, key: Key) -> Result<Option<Timing>> {
    const SEARCH: &str = "[data-testid=search]";
    page.eval(ARM_JS).await?;
    match key {
        Key::Type(text) => page.type_into(SEARCH, text).await?,
        Key::Backspace => page.press("Backspace").await?,
        Key::Escape => page.press("Escape").await?,
    }
    serde_json::from_value(page.eval("window.__benchKey").await?).map_err(|e| e.to_string())
}

fn median(samples: &[f64]) -> f64 {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => f64::NAN,
        n => s[n / 2],
    }
}

fn report(base: &Run, large: &Run) {
    println!(
        "\ncatalogue in headless Chromium, medians in ms (ready: {LOADS} loads; keystrokes: {ROUNDS} each)"
    );
    println!(
        "{:<44} {:>9} {:>9} {:>8}  frame budget (16.7 ms) at n={LARGE}",
        "",
        format!("n={BASELINE}"),
        format!("n={LARGE}"),
        "ratio"
    );
    let row = |what: &str, b: f64, l: f64, budget: String| {
        let line = format!("{what:<44} {b:>9.1} {l:>9.1} {:>7.1}x  {budget}", l / b);
        println!("{}", line.trim_end());
    };
    row(
        "ready: navigation to first cards",
        median(&base.ready),
        median(&large.ready),
        String::new(),
    );
    row(
        "  of which /api/resources answered at",
        median(&base.answered),
        median(&large.answered),
        String::new(),
    );
    row(
        "icon: /api/icons answered in",
        median(&base.icons),
        median(&large.icons),
        String::new(),
    );
    for (i, (name, _)) in STEPS.iter().enumerate() {
        let of = |run: &Run, f: fn(&Timing) -> f64| {
            median(&run.keys[i].iter().map(f).collect::<Vec<_>>())
        };
        let (b, l) = (of(base, |t| t.work), of(large, |t| t.work));
        let verdict = if l <= FRAME_MS { "within" } else { "over" };
        row(
            &format!("keystroke work: {name}"),
            b,
            l,
            format!("{verdict} ({:.0}% of a frame)", l / FRAME_MS * 100.0),
        );
        row(
            "  on screen after",
            of(base, |t| t.latency),
            of(large, |t| t.latency),
            String::new(),
        );
    }
    if base.missed + large.missed > 0 {
        println!(
            "({} keystrokes at n={BASELINE} and {} at n={LARGE} changed nothing on screen and were left out)",
            base.missed, large.missed
        );
    }
}
