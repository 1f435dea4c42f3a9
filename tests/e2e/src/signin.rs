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
    let user = &demo::USERS[0];
    signed_in_as(c, path, user.username, user.password).await
}

/// A fresh browser context at `path`, signed in as `user` through the emulator's login page.
pub async fn signed_in_as<'b>(
    c: &'b Browsing,
    path: &str,
    user: &str,
    password: &str,
) -> Result<Page<'b>> {
    let page = c.browser.new_isolated_page().await?;
    page.goto(&format!("{}{path}", c.stack.portal)).await?;
    sign_in_here_as(&page, &c.stack, user, password).await?;
    Ok(page)
}

/// From the portal's sign-in screen to the catalogue, as alice.
pub async fn sign_in_here(page: &Page<'_>, stack: &Stack) -> Result<()> {
    let user = &demo::USERS[0];
    sign_in_here_as(page, stack, user.username, user.password).await
}

/// From the portal's sign-in screen to the catalogue, as `user`.
pub async fn sign_in_here_as(
    page: &Page<'_>,
    stack: &Stack,
    user: &str,
    password: &str,
) -> Result<()> {
    sign_in_on(page, &stack.portal, user, password).await
}

/// From the sign-in screen of the portal at `portal` (its origin) to the catalogue, as `user`:
/// the browser must come back to that origin.
pub async fn sign_in_on(page: &Page<'_>, portal: &str, user: &str, password: &str) -> Result<()> {
    const LANDED: &str = "[data-testid=catalogue], [data-testid=empty]";
    page.click("[data-testid=signin-button]").await?;
    // The identity provider remembers a user who signed in before in this browser context.
    page.wait_for_selector(&format!("[data-testid=login-username], {LANDED}"), WAIT)
        .await?;
    if page.count("[data-testid=login-username]").await? > 0 {
        page.type_into("[data-testid=login-username]", user).await?;
        page.type_into("[data-testid=login-password]", password)
            .await?;
        page.click("[data-testid=login-submit]").await?;
    }
    page.wait_for_selector(LANDED, WAIT).await?;
    let origin = page.eval("location.origin").await?;
    check(origin.as_str() == Some(portal), || {
        format!("expected to be back on the portal, got {origin}")
    })
}
