//! The catalogue grid renders only the cards near the screen, so journeys that need a card far
//! down, or every card, scroll to it as a person would.

use std::time::Duration;

use crate::Result;
use crate::cdp::{NEXT_FRAME, Page, js_str};
use crate::suite::check;

/// The selector of resource `id`'s card.
pub fn card(id: &str) -> String {
    format!(
        "[data-testid=resource-card][data-resource-id={}]",
        js_str(id)
    )
}

/// A JavaScript async function of `step` and `frame` (`NEXT_FRAME`): scrolls from the top, half
/// a screen at a time, and after each frame awaits `step(frame)`; the first answer other than
/// `undefined` is its answer, `null` if the page scrolls no further first.
const SCROLL_DOWN: &str = r#"(async (step, frame) => {
    window.scrollTo(0, 0);
    for (;;) {
        await frame();
        const answer = await step(frame);
        if (answer !== undefined) return answer;
        const bottom = scrollY;
        window.scrollBy(0, innerHeight / 2);
        if (scrollY === bottom) return null;
    }
})"#;

/// Returns once the catalogue is listed: a page just loaded shows its toolbar before it.
async fn listed(page: &Page<'_>) -> Result<()> {
    page.wait_for_selector("[data-testid=resource-card]", Duration::from_secs(20))
        .await
}

/// Scrolls down from the top until card `id` is rendered, and centres it.
pub async fn reveal(page: &Page<'_>, id: &str) -> Result<()> {
    listed(page).await?;
    let found = page
        .eval(&format!(
            r#"{SCROLL_DOWN}(async frame => {{
                const card = document.querySelector({});
                if (!card) return undefined;
                card.scrollIntoView({{block: 'center'}});
                await frame();
                return true;
            }}, {NEXT_FRAME})"#,
            js_str(&card(id))
        ))
        .await?;
    check(found == true, || {
        format!("scrolled to the end without finding {id}")
    })
}

/// The names of every resource listed, in list order: read by scrolling from the top to the end,
/// then back to the top.
pub async fn every_name(page: &Page<'_>) -> Result<Vec<String>> {
    listed(page).await?;
    let names = page
        .eval(&format!(
            r#"(async () => {{
                const seen = new Map();
                await {SCROLL_DOWN}(async () => {{
                    for (const c of document.querySelectorAll('[data-testid=resource-card]')) {{
                        seen.set(Number(c.getAttribute('aria-posinset')),
                            c.querySelector('[data-testid=resource-name]').textContent.trim());
                    }}
                    return undefined;
                }}, {NEXT_FRAME});
                window.scrollTo(0, 0);
                return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(e => e[1]);
            }})()"#
        ))
        .await?;
    serde_json::from_value(names).map_err(|e| e.to_string())
}
