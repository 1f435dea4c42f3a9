//! The two things the product is built into: the SPA (`dist/`) and the worker (`worker/build/`).

use crate::sh;

/// `trunk build --release --offline`, with wasm-opt from node_modules on PATH.
pub fn frontend() -> Result<(), String> {
    sh::step("building the frontend (trunk)");
    // Trunk.toml's post-build hook writes dist/_headers (`cargo xtask spa-headers`).
    sh::run(sh::tool("trunk").args(["build", "--release", "--offline"]))
}

/// `worker-build --release` in worker/, told where wasm-bindgen, wasm-opt and esbuild are so it
/// never tries to download them.
pub fn worker() -> Result<(), String> {
    sh::step("building the worker (worker-build)");
    let root = sh::root();
    let bin = root.join("node_modules/.bin");
    let mut cmd = sh::tool("worker-build");
    cmd.arg("--release")
        .current_dir(root.join("worker"))
        .env("WASM_BINDGEN_BIN", sh::cargo_bin().join("wasm-bindgen"))
        .env("WASM_OPT_BIN", bin.join("wasm-opt"))
        .env("ESBUILD_BIN", bin.join("esbuild"));
    sh::run(&mut cmd)
}
