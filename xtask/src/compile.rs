//! The two things the product is built into: the SPA (`dist/`) and the worker (`worker/build/`).

use crate::sh;

/// `trunk build --release --offline`, with wasm-opt from node_modules on PATH.
pub fn frontend() -> Result<(), String> {
    sh::step("building the frontend (trunk)");
    // Trunk.toml's post-build hook writes dist/_headers (`cargo xtask spa-headers`).
    sh::run(sh::tool("trunk").args(["build", "--release", "--offline"]))
}

/// `worker-build --profile worker` (Cargo.toml: the release build, optimised for speed) in
/// worker/, told where wasm-bindgen, wasm-opt and esbuild are so it never tries to download them.
pub fn worker() -> Result<(), String> {
    sh::step("building the worker (worker-build)");
    let root = sh::root();
    let bin = root.join("node_modules/.bin");
    let mut cmd = sh::tool("worker-build");
    cmd.args(["--profile", "worker"])
        .current_dir(root.join("worker"))
        .env("WASM_BINDGEN_BIN", sh::cargo_bin().join("wasm-bindgen"))
        .env("WASM_OPT_BIN", bin.join("wasm-opt"))
        .env("ESBUILD_BIN", bin.join("esbuild"));
    sh::run(&mut cmd)?;
    strip_names(&root.join("worker/build/index_bg.wasm"))
}

/// Drops the `name` section from the worker's WASM. worker-build keeps it (it runs wasm-opt with
/// `--debuginfo`, whatever the package's wasm-opt settings), and it is an eighth of the gzipped
/// upload: function names only make a crash's stack trace readable, and the panic message is
/// logged without them. `strip = true` in the profile would drop it too, but also the
/// `target_features` section that wasm-bindgen reads to choose its glue.
fn strip_names(wasm: &std::path::Path) -> Result<(), String> {
    let bytes = std::fs::read(wasm).map_err(|e| format!("cannot read {}: {e}", wasm.display()))?;
    let stripped = without_custom_section(&bytes, "name")
        .ok_or_else(|| format!("{} is not a WASM module", wasm.display()))?;
    std::fs::write(wasm, stripped).map_err(|e| format!("cannot write {}: {e}", wasm.display()))
}

/// `module` without its custom sections called `name`; `None` if it is not a well-formed module.
/// Sections are copied byte for byte: only whole sections are left out.
fn without_custom_section(module: &[u8], name: &str) -> Option<Vec<u8>> {
    let (header, mut rest) = module.split_at_checked(8)?;
    if header.get(..4)? != b"\0asm" {
        return None;
    }
    let mut out = header.to_vec();
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = leb128(after_id)?;
        let (body, next) = after_size.split_at_checked(size)?;
        let section = rest.get(..rest.len() - next.len())?;
        let drop = id == 0 && {
            let (len, after_len) = leb128(body)?;
            after_len.get(..len)? == name.as_bytes()
        };
        if !drop {
            out.extend_from_slice(section);
        }
        rest = next;
    }
    Some(out)
}

/// An unsigned LEB128 `u32` (section sizes and name lengths) and the bytes after it.
fn leb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value: u32 = 0;
    for (i, &b) in bytes.iter().enumerate().take(5) {
        value |= u32::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((value as usize, bytes.get(i + 1..)?));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section: its id, its size and its body.
    fn section(id: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![id, body.len() as u8];
        s.extend_from_slice(body);
        s
    }

    fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(payload);
        section(0, &body)
    }

    #[test]
    fn only_the_name_section_is_left_out() {
        let header = b"\0asm\x01\0\0\0".to_vec();
        let types = section(1, &[1, 0x60, 0, 0]);
        let names = custom("name", &[1, 2, 3]);
        let producers = custom("producers", &[0]);
        let module = [header.clone(), types.clone(), names, producers.clone()].concat();
        assert_eq!(
            without_custom_section(&module, "name"),
            Some([header, types, producers].concat())
        );
    }

    #[test]
    fn a_module_without_it_is_unchanged() {
        let module = [b"\0asm\x01\0\0\0".to_vec(), custom("names", &[9])].concat();
        assert_eq!(without_custom_section(&module, "name"), Some(module));
    }

    #[test]
    fn a_long_section_size_is_read_whole() {
        let body = vec![7; 200];
        // 200 = 0b1_1001000: two LEB128 bytes.
        let module = [b"\0asm\x01\0\0\0".as_slice(), &[11, 0xc8, 0x01], &body].concat();
        assert_eq!(without_custom_section(&module, "name"), Some(module));
    }

    #[test]
    fn what_is_not_a_module_is_refused() {
        assert_eq!(without_custom_section(b"<html>", "name"), None);
        // A section claiming more bytes than there are.
        assert_eq!(
            without_custom_section(b"\0asm\x01\0\0\0\x01\x09\0", "name"),
            None
        );
    }
}
