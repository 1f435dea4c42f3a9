//! Every end-to-end suite in one binary: each suite starts the processes it needs (the emulator
//! and `wrangler dev`, with headless Chromium for the browser suites) once and runs its tests
//! one after another against them.
//!
//! `-- NAME` runs one suite when NAME is a suite's name (`bff`, `rotation`, `catalogue`,
//! `admin`, `journeys`, `reliability`, `dev`), else the tests of every suite whose name contains NAME.
//! The last line reads `N passed, M failed`.

mod admin;
mod bff;
mod bff_sessions;
mod catalogue;
mod catalogue_running;
mod dev;
mod journeys;
mod reliability;
mod rotation;

use std::process::ExitCode;

use portal_e2e::suite;

#[tokio::main]
async fn main() -> ExitCode {
    let mut outcomes = Vec::new();
    for (name, what) in suite::SUITES {
        if !suite::wanted(name) {
            continue;
        }
        eprintln!("==> {name}: {what}");
        outcomes.extend(match *name {
            "bff" => bff::run().await,
            "rotation" => rotation::run().await,
            "catalogue" => catalogue::run().await,
            "admin" => admin::run().await,
            "journeys" => journeys::run().await,
            "reliability" => reliability::run().await,
            "dev" => dev::run().await,
            other => vec![Err(format!("no suite {other}"))],
        });
    }
    suite::exit(outcomes)
}
