//! `cargo xtask setup | build | build-worker | dev | doctor | test | bench | reliability`: the
//! only entry points a person needs.
//!
//! Almost only the standard library (plus `ctrlc` and `libc` for `dev`'s children, hashing for the
//! CSP, and `serde_json` with the wire crate's dates for `doctor`), so it compiles in seconds on a
//! fresh machine before anything else is installed.

mod compile;
mod dev;
mod doctor;
mod headers;
mod procs;
mod reliability;
mod setup;
mod sh;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  setup         install what the project needs (idempotent): wasm32 target, trunk, wasm-bindgen,
                worker-build, npm packages, Chromium
  build         build the frontend (trunk) and the worker (worker-build), release mode
  build-worker  build the worker only (wrangler's build command)
  dev           run the portal against the local Citrix emulator; prints what runs where and the
                demo users (`cargo xtask dev --help`: ports, trunk serve, emulator flags)
  doctor        check the portal's settings (.dev.vars, or the environment) against Citrix Cloud or
                the emulator: one line per check, each failure with what to fix
  spa-headers   write the SPA's _headers (trunk runs it after each build)
  test          everything CI checks: fmt, clippy (native and wasm32), unit tests, component tests
                in headless Chromium, builds, browser journeys
  bench         the catalogue at 5,000 resources against 40: the model natively, then keystrokes
                and first render in headless Chromium; prints medians and ratios
  reliability   attacks that must fail, the worker's parsers fuzzed, and 50 users for 60 s while
                Citrix Cloud misbehaves; one summary table, within 15 minutes (a quick version
                of the suite runs in `test`)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run(),
        Some("build") => setup::run()
            .and_then(|_| compile::frontend())
            .and_then(|_| compile::worker()),
        Some("build-worker") => compile::worker(),
        Some("dev") => dev::run(&args[1..]),
        Some("doctor") => doctor::run(&args[1..]),
        // Trunk's post-build hook: the directory being built, or dist/.
        Some("spa-headers") => headers::write(
            &std::env::var_os("TRUNK_STAGING_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| sh::root().join("dist")),
        ),
        Some("test") => test(&args[1..]),
        Some("bench") => bench(),
        Some("reliability") => reliability::run(),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!(
            "unknown command {:?}\n\n{USAGE}",
            other.unwrap_or("")
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The benchmarks: ratios against a baseline measured in the same run, never asserted.
fn bench() -> Result<(), String> {
    setup::run()?;
    compile::frontend()?;
    compile::worker()?;
    sh::step("the catalogue model natively: 5,000 resources against 40");
    sh::run(sh::cargo().args([
        "run",
        "--release",
        "-p",
        "portal-frontend",
        "--example",
        "bench_search",
    ]))?;
    sh::step(
        "the worker's routes against the runtime's floor and the direct call (40, 1,000, 5,000 resources), then the catalogue in headless Chromium (5,000 against 40)",
    );
    sh::run(sh::cargo().args(["test", "-p", "portal-e2e", "--test", "bench"]))
}

/// Every check CI runs. Extra arguments are passed to the end-to-end suites (e.g. a name filter).
fn test(journey_args: &[String]) -> Result<(), String> {
    setup::run()?;
    sh::step("checking formatting");
    sh::run(sh::cargo().args(["fmt", "--all", "--check"]))
        .map_err(|e| format!("{e}\n  run `cargo fmt --all` to fix"))?;
    sh::step("clippy (native)");
    sh::run(sh::cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    sh::step("clippy (wasm32: frontend and worker)");
    sh::run(sh::cargo().args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "portal-frontend",
        "-p",
        "portal-worker",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    sh::step("unit tests (native)");
    sh::run(sh::cargo().args(["test", "--workspace", "--exclude", "portal-e2e"]))?;
    sh::run(sh::cargo().args(["test", "-p", "portal-e2e", "--lib"]))?;
    component_tests()?;
    compile::frontend()?;
    compile::worker()?;
    sh::step("wrangler deploy --dry-run (the deployment an admin makes, without uploading)");
    sh::run(sh::tool("wrangler").args([
        "deploy",
        "--dry-run",
        "--outdir",
        "target/wrangler-dry-run",
    ]))?;
    sh::step("the end-to-end suites: bff, rotation, catalogue, admin, journeys, reliability, dev");
    let mut cmd = sh::cargo();
    cmd.args(["test", "-p", "portal-e2e", "--test", "e2e", "--"])
        .args(journey_args);
    sh::run(&mut cmd)?;
    Ok(())
}

/// The frontend's component tests: its components in headless Chromium with the worker faked at
/// `fetch`. `.cargo/config.toml` makes `wasm-bindgen-test-runner` the wasm32 runner; it drives
/// Chromium through ChromeDriver with the flags in `frontend/webdriver.json`.
fn component_tests() -> Result<(), String> {
    sh::step("frontend component tests (wasm-bindgen-test, headless Chromium)");
    let mut cmd = sh::cargo();
    cmd.args([
        "test",
        "-p",
        "portal-frontend",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
    ]);
    // The runner would take the first WebDriver on PATH (geckodriver before chromedriver), and
    // gives the whole suite 20 s by default: plenty here, not on a busy CI machine.
    for (var, value) in [
        ("CHROMEDRIVER", "/usr/bin/chromedriver"),
        ("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    ] {
        if std::env::var_os(var).is_none() {
            cmd.env(var, value);
        }
    }
    sh::run(&mut cmd)
}
