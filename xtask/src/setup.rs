//! `cargo xtask setup`: installs what the project needs, idempotently. Each tool is checked
//! first and installed only when missing or at the wrong version; every action is announced.

use std::path::Path;

use crate::sh;

const TRUNK_SERIES: &str = "0.21."; // 0.22 needs a newer rustc than the pinned 1.95
const TRUNK_REQ: &str = "~0.21";
const WORKER_BUILD: &str = "0.8.7";

/// Runs every installation step; stops at the first that fails, saying what to do.
pub fn run() -> Result<(), String> {
    sh::step("setup: checking tools");
    wasm_target()?;
    let bindgen = wasm_bindgen_version()?;
    cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &format!("={bindgen}"),
        |v| v == bindgen,
    )?;
    // The component tests' runner comes with the same crate and must be the same release.
    cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen-test-runner",
        &format!("={bindgen}"),
        |v| v == bindgen,
    )?;
    cargo_tool("worker-build", "worker-build", WORKER_BUILD, |v| {
        v == WORKER_BUILD
    })?;
    cargo_tool("trunk", "trunk", TRUNK_REQ, |v| v.starts_with(TRUNK_SERIES))?;
    npm()?;
    chromium()?;
    eprintln!("setup: everything is installed");
    Ok(())
}

fn wasm_target() -> Result<(), String> {
    // RUSTUP_AUTO_INSTALL=0 on these machines: rust-toolchain.toml alone installs nothing.
    let installed =
        sh::output(sh::tool("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    eprintln!("setup: installing the wasm32-unknown-unknown target");
    sh::run(sh::tool("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must equal it exactly.
fn wasm_bindgen_version() -> Result<String, String> {
    let lock = std::fs::read_to_string(sh::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

/// Installs crate `krate` (binary `bin`) unless `<bin> --version` satisfies `ok`.
fn cargo_tool(krate: &str, bin: &str, req: &str, ok: impl Fn(&str) -> bool) -> Result<(), String> {
    let path = sh::cargo_bin().join(bin);
    // `trunk 0.21.14`, `wasm-bindgen 0.2.130`, but worker-build prints just `0.8.7`.
    let current = sh::output(std::process::Command::new(&path).arg("--version")).and_then(|out| {
        out.split_whitespace()
            .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_owned)
    });
    if let Some(v) = &current
        && ok(v)
    {
        return Ok(());
    }
    eprintln!(
        "setup: installing {krate} {req} ({}; a few minutes on a fresh machine)",
        current
            .map(|v| format!("found {v}"))
            .unwrap_or_else(|| "not installed".into())
    );
    let install = |locked: bool| {
        let mut cmd = sh::cargo();
        cmd.args(["install", krate, "--version", req, "--force"]);
        if locked {
            cmd.arg("--locked");
        }
        sh::run(&mut cmd)
    };
    // The registry mirror can lack a version a tool's own lockfile pins; then resolve afresh.
    install(true)
        .or_else(|_| {
            eprintln!("setup: retrying {krate} without --locked");
            install(false)
        })
        .map_err(|e| format!("{e}\n  could not install {krate}; check that crates.io is reachable"))
}

fn npm() -> Result<(), String> {
    let root = sh::root();
    let stamp = root.join("node_modules/.package-lock.json");
    if is_newer(&stamp, &root.join("package-lock.json"))
        && root.join("node_modules/.bin/wrangler").exists()
    {
        return Ok(());
    }
    eprintln!(
        "setup: installing npm packages (wrangler, node 22, binaryen) from package-lock.json"
    );
    // `npm install`, not `npm ci`: the registry mirror here omits other platforms' optional
    // packages (workerd for macOS and Windows) from the lock, which `npm ci` refuses.
    sh::run(
        std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .current_dir(&root),
    )
    .map_err(|e| format!("{e}\n  npm must be installed and the npm registry reachable"))
}

fn is_newer(a: &Path, b: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(a), modified(b)), (Some(x), Some(y)) if x >= y)
}

fn chromium() -> Result<(), String> {
    if Path::new("/usr/bin/chromium").exists() && Path::new("/usr/bin/chromedriver").exists() {
        return Ok(());
    }
    eprintln!("setup: installing Chromium and ChromeDriver from Debian (apt-get)");
    let sudo = sh::output(std::process::Command::new("id").arg("-u")).as_deref() != Some("0");
    let apt = |args: &[&str]| {
        let mut cmd = std::process::Command::new(if sudo { "sudo" } else { "apt-get" });
        if sudo {
            cmd.arg("apt-get");
        }
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        sh::run(&mut cmd)
    };
    let install = ["install", "-y", "chromium", "chromium-driver"];
    apt(&install)
        .or_else(|_| apt(&["update"]).and_then(|_| apt(&install)))
        .map_err(|e| {
            format!("{e}\n  install Chromium yourself: apt-get install chromium chromium-driver")
        })
}
