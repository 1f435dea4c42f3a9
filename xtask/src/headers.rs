//! `dist/_headers`: the security headers of the single-page app's static files. The worker adds
//! its own to `/api` and `/auth`, but static files are served without running it, so the assets
//! layer applies these. The CSP allows trunk's inline loader script by its hash only.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

/// Writes `_headers` next to `index.html` in `dist`.
pub fn write(dist: &Path) -> Result<(), String> {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    std::fs::write(dist.join("_headers"), headers(&html))
        .map_err(|e| format!("cannot write {}/_headers: {e}", dist.display()))
}

/// The `_headers` file for a built `index.html`.
fn headers(index_html: &str) -> String {
    let hashes: String = inline_scripts(index_html)
        .map(|s| {
            let digest = Sha256::digest(s.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    format!(
        "/*\n  Content-Security-Policy: {csp}\n  X-Content-Type-Options: nosniff\n  X-Frame-Options: DENY\n  Referrer-Policy: no-referrer\n  Cross-Origin-Opener-Policy: same-origin\n  Cross-Origin-Resource-Policy: same-origin\n  Strict-Transport-Security: max-age=63072000; includeSubDomains\n  Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()\n"
    )
}

/// The bodies of the inline `<script>` elements (those without `src`).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, after) = rest.split_once('>')?;
        let body = after.split_once("</script>")?.0;
        (!attributes.contains("src=")).then_some(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_allowed_by_hash_and_nothing_else_inline() {
        let html =
            "<html><script src=\"/a.js\"></script><script type=\"module\">init()</script></html>";
        let text = headers(html);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"init()"));
        assert!(text.contains(&format!("'sha256-{expected}'")), "{text}");
        assert_eq!(text.matches("'sha256-").count(), 1);
        assert!(!text.contains("script-src 'self' 'unsafe-inline'"));
        assert!(text.contains("frame-ancestors 'none'"));
        assert!(text.starts_with("/*\n"));
    }
}
