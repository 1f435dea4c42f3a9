//! A tiny test runner for suites that share expensive processes (a `wrangler dev`, a Chromium):
//! tests run one after another against one context; `-- NAME` runs those whose name contains
//! NAME; the last line reads `N passed, M failed`.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Instant;

use crate::Result;
use crate::cdp::Browser;
use crate::stack::Stack;

/// One test: an async function of the shared context.
pub type Test<C> = for<'a> fn(&'a C) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

/// The suites of the end-to-end binary, in the order they run, and what each proves.
pub const SUITES: &[(&str, &str)] = &[
    ("bff", "the worker over HTTP (emulator + wrangler dev)"),
    (
        "rotation",
        "client secret rotation against the emulator's Citrix Cloud API",
    ),
    (
        "catalogue",
        "the catalogue in headless Chromium: views, search, favourites, launches, keyboard, axe",
    ),
    (
        "admin",
        "the admin page in headless Chromium: client secret status, rotate now, expire old, axe",
    ),
    (
        "journeys",
        "browser journeys (emulator + wrangler dev + headless Chromium)",
    ),
    (
        "reliability",
        "attacks that must fail, and load with faults (quick unless PORTAL_RELIABILITY=full)",
    ),
    // Last: `cargo xtask dev` rebuilds dist/, which the other suites serve.
    (
        "dev",
        "cargo xtask dev: trunk serve signs in and reloads on its port; SIGTERM or SIGKILL of xtask leaves nothing running",
    ),
];

/// The name filter given on the command line, if any.
pub fn filter() -> Option<String> {
    std::env::args().skip(1).find(|a| !a.starts_with('-'))
}

/// Whether suite `suite` may have a test to run: no filter, the suite's own name, or a filter
/// that is not a suite's name (it then selects tests by name in every suite).
pub fn wanted(suite: &str) -> bool {
    match filter() {
        None => true,
        Some(f) if SUITES.iter().any(|(name, _)| *name == f) => f == suite,
        Some(_) => true,
    }
}

/// The tests of `suite` that the command line's filter selects: all of them when it names the
/// suite, else those whose names contain it.
pub fn selected<C>(
    suite: &str,
    tests: Vec<(&'static str, Test<C>)>,
) -> Vec<(&'static str, Test<C>)> {
    let filter = filter().filter(|f| f != suite);
    tests
        .into_iter()
        .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect()
}

/// Runs `tests` in order, calling `reset` before each; returns the names of those that failed.
pub async fn run<C>(
    suite: &str,
    ctx: &C,
    tests: &[(&'static str, Test<C>)],
    reset: impl Fn(&C),
) -> Vec<&'static str> {
    let mut failed = Vec::new();
    for (name, test) in tests {
        reset(ctx);
        let t = Instant::now();
        match test(ctx).await {
            Ok(()) => eprintln!("{suite} {name} ... ok ({:.1?})", t.elapsed()),
            Err(e) => {
                eprintln!("{suite} {name} ... FAILED ({:.1?})\n  {e}", t.elapsed());
                failed.push(*name);
            }
        }
    }
    failed
}

/// A suite's shared context: the worker's log to show when a test failed, and a way to stop.
pub trait Context: Sized {
    /// What `wrangler dev` printed so far.
    fn wrangler_log(&self) -> String;
    /// Stops the processes.
    fn stop(self) -> impl Future<Output = ()>;
}

impl Context for Stack {
    fn wrangler_log(&self) -> String {
        Stack::wrangler_log(self)
    }

    async fn stop(self) {
        Stack::stop(self).await
    }
}

/// A running stack and a headless Chromium: what the browser suites get.
pub struct Browsing {
    /// The portal and the emulator.
    pub stack: Stack,
    /// The browser.
    pub browser: Browser,
}

impl Browsing {
    /// Starts a stack as `options` say, and Chromium.
    pub async fn spawn(options: crate::stack::Options<'_>) -> Result<Browsing> {
        Self::with(Stack::spawn(options).await?).await
    }

    /// Chromium next to a stack started otherwise.
    pub async fn with(stack: Stack) -> Result<Browsing> {
        match Browser::launch().await {
            Ok(browser) => Ok(Browsing { stack, browser }),
            Err(e) => {
                stack.stop().await;
                Err(format!("could not start Chromium: {e}"))
            }
        }
    }
}

impl Context for Browsing {
    fn wrangler_log(&self) -> String {
        self.stack.wrangler_log()
    }

    async fn stop(self) {
        drop(self.browser);
        self.stack.stop().await
    }
}

/// What one part of a suite came to: how many tests ran and which failed.
pub type Outcome = Result<(usize, Vec<&'static str>)>;

/// Starts a context (only if a test is selected), runs the selected tests on it with `reset`
/// before each, shows the worker's log when one failed, and stops the context.
pub async fn run_on<C: Context>(
    suite: &str,
    tests: Vec<(&'static str, Test<C>)>,
    start: impl Future<Output = Result<C>>,
    reset: impl Fn(&C),
) -> Outcome {
    let selected = selected(suite, tests);
    if selected.is_empty() {
        return Ok((0, Vec::new()));
    }
    let started = Instant::now();
    let ctx = start
        .await
        .map_err(|e| format!("could not start the {suite} stack: {e}"))?;
    eprintln!("{suite}: stack up in {:.1?}", started.elapsed());
    let failed = run(suite, &ctx, &selected, reset).await;
    if !failed.is_empty() {
        eprintln!("\n--- wrangler dev log ---\n{}", ctx.wrangler_log());
    }
    ctx.stop().await;
    Ok((selected.len(), failed))
}

/// The exit of a suite made of one or more parts.
pub fn exit(parts: Vec<Outcome>) -> ExitCode {
    let mut total = 0;
    let mut failed = Vec::new();
    for part in parts {
        match part {
            Ok((n, f)) => {
                total += n;
                failed.extend(f);
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        }
    }
    finish(total, &failed)
}

/// Prints the closing line and turns the outcome into the exit code.
fn finish(total: usize, failed: &[&str]) -> ExitCode {
    if !failed.is_empty() {
        eprintln!("\nfailed: {}", failed.join(", "));
    }
    println!("{} passed, {} failed", total - failed.len(), failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Fails with `what` unless `condition` holds.
pub fn check(condition: bool, what: impl FnOnce() -> String) -> Result<()> {
    if condition { Ok(()) } else { Err(what()) }
}
