//! The axe-core accessibility audit, shared by the browser suites.

use serde_json::Value;

use crate::Result;
use crate::cdp::Page;
use crate::stack::root;

/// Runs axe-core (node_modules/axe-core, pinned in package.json) on the page as it is; returns
/// the serious and critical violations, one line each.
pub async fn axe(page: &Page<'_>) -> Result<Vec<String>> {
    let loaded = page.eval("typeof window.axe === 'object'").await?;
    if loaded != Value::Bool(true) {
        let path = root().join("node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e} (run `npm install`)", path.display()))?;
        // Evaluated through DevTools, so the page's CSP (no inline script) does not apply.
        page.eval(&format!("{source}\n;true")).await?;
    }
    let found = page
        .eval(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))",
        )
        .await?;
    serde_json::from_value(found).map_err(|e| e.to_string())
}

/// Switches the page between the light and the dark colour scheme (`prefers-color-scheme`).
pub async fn color_scheme(page: &Page<'_>, scheme: &str) -> Result<()> {
    page.call(
        "Emulation.setEmulatedMedia",
        serde_json::json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
    )
    .await
    .map(|_| ())
}
