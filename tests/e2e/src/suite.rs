//! A tiny test runner for suites that share expensive processes (a `wrangler dev`, a Chromium):
//! tests run one after another against one context; `-- NAME` runs those whose name contains
//! NAME; the last line reads `N passed, M failed`.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Instant;

use crate::Result;

/// One test: an async function of the shared context.
pub type Test<C> = for<'a> fn(&'a C) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

/// The name filter given on the command line, if any.
pub fn filter() -> Option<String> {
    std::env::args().skip(1).find(|a| !a.starts_with('-'))
}

/// The tests whose names match the command line's filter.
pub fn selected<C>(tests: Vec<(&'static str, Test<C>)>) -> Vec<(&'static str, Test<C>)> {
    let filter = filter();
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

/// Prints the closing line and turns the outcome into the exit code.
pub fn finish(total: usize, failed: &[&str]) -> ExitCode {
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
