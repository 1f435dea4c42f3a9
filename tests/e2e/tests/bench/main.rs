//! `cargo xtask bench`: what the product costs, each number beside a baseline measured in the
//! same run. Two parts, run in this order unless named (`cargo xtask bench -- bff`):
//!
//! - `bff`: the worker's API routes over loopback, against the runtime's floor and the direct
//!   call to the emulator's store, at 1 and 16 connections and three catalogue sizes.
//! - `spa`: the catalogue at scale in headless Chromium.
//!
//! A benchmark reports; it does not judge. It exits 1 only when it could not measure.

mod bff;
mod spa;

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |part: &str| named.is_empty() || named.iter().any(|n| n == part);
    if wanted("bff")
        && let Err(e) = bff::run().await
    {
        eprintln!("bench bff: {e}");
        return ExitCode::FAILURE;
    }
    if wanted("spa")
        && let Err(e) = spa::run().await
    {
        eprintln!("bench spa: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
