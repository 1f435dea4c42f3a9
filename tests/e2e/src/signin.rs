//! Signing in through the portal's screens, as a person would: the browser suites that start on
//! the catalogue share it.

use std::time::Duration;

use workspace_emulator::demo;

use crate::Result;
use crate::cdp::Page;
use crate::stack::Stack;
use crate::suite::{Browsing, check};

const WAIT: Duration = Duration::from_secs(20);

/// A fresh browser context at `path`, signed in as alice through the emulator's login page.
pub async fn signed_in<'b>(c: &'b Browsing, path: &str) -> Result<Page<'b>> {
    let page = c.browser.new_isolated_page().await?;
    page.goto(&format!("{}{path}", c.stack.portal)).await?;
    sign_in_here(&page, &c.stack).await?;
    Ok(page)
}

/// From the portal's sign-in screen to the catalogue, as alice.
pub async fn sign_in_here(page: &Page<'_>, stack: &Stack) -> Result<()> {
    let user = &demo::USERS[0];
    const LANDED: &str = "[data-testid=catalogue], [data-testid=empty]";
    page.click("[data-testid=signin-button]").await?;
    // The identity provider remembers a user who signed in before in this browser context.
    page.wait_for_selector(&format!("[data-testid=login-username], {LANDED}"), WAIT)
        .await?;
    if page.count("[data-testid=login-username]").await? > 0 {
        page.type_into("[data-testid=login-username]", user.username)
            .await?;
        page.type_into("[data-testid=login-password]", user.password)
            .await?;
        page.click("[data-testid=login-submit]").await?;
    }
    page.wait_for_selector(LANDED, WAIT).await?;
    let origin = page.eval("location.origin").await?;
    check(origin.as_str() == Some(stack.portal.as_str()), || {
        format!("expected to be back on the portal, got {origin}")
    })
}
