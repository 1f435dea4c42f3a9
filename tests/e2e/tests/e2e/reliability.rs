//! Security and reliability against the real processes on loopback: attacks, each a test that
//! fails if the attack works, then many users at once while Citrix Cloud misbehaves. One stack
//! for all of it (with Chromium for what only a browser can judge); its emulator's seed carries
//! hostile strings in every field the store sends, a user whose name is markup, and the load's
//! users. Attacks the `bff` suite already covers (CSRF on state changes, `returnTo`'s basic
//! cases, the callback's single use, security headers, secrets in the log) are not repeated.
//!
//! `PORTAL_RELIABILITY=full` makes the load 50 users for 60 s (what `cargo xtask reliability`
//! runs); by default it is a quick version for `cargo xtask test`. With
//! `PORTAL_RELIABILITY_REPORT=FILE` the outcome of each test and the load's table are written
//! there too, for `cargo xtask reliability`'s summary. `-- NAME` runs the tests whose name
//! contains NAME.

#[path = "reliability/attacks.rs"]
mod attacks;
#[path = "reliability/load.rs"]
mod load;

use portal_e2e::stack::Options;
use portal_e2e::suite::{self, Browsing, Test};
use workspace_emulator::{
    EmulatorConfig, IconFormat, LaunchFailure, LaunchScript, SeedResource, User,
};

type Ctx = Browsing;

/// Markup that, were upstream text ever parsed as HTML, would add an element marked
/// `data-xss` and (CSP permitting) run script that sets `window.__xss`.
pub const MARKUP: &str = r#"<img src=x onerror="window.__xss=(window.__xss||0)+1" data-xss>"#;
/// A word every hostile resource's name holds, to find them all with the search box.
pub const HOSTILE_WORD: &str = "Hostile";
/// A word the names of the web apps published at addresses the portal must not open hold.
pub const ROGUE_WORD: &str = "Rogue";
/// Those addresses, by the web app's id: script, inline content, another site with credentials
/// for it, and a scheme with a tab in it (which URL parsers drop).
pub const ROGUE_ADDRESSES: [(&str, &str); 4] = [
    (
        "rogue-script",
        "javascript:window.__xss=(window.__xss||0)+1",
    ),
    (
        "rogue-data",
        "data:text/html,<script>opener&&(opener.__xss=1)</script>",
    ),
    ("rogue-credentials", "https://admin:hunter2@evil.example/"),
    ("rogue-tab", "java\tscript:window.__xss=1"),
];
/// The user whose display name and e-mail are markup.
pub const MALLORY: (&str, &str) = ("mallory", "mallory-password");

fn tests() -> Vec<(&'static str, Test<Ctx>)> {
    let mut tests = attacks::tests();
    tests.extend(load::tests());
    // Last: it looks for tokens in everything the runs above produced, the load's log included.
    tests.push(("attack_token_or_secret_leaks_anywhere", |c| {
        Box::pin(attacks::attack_token_or_secret_leaks_anywhere(c))
    }));
    tests
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    let tests = tests();
    let names: Vec<&str> = suite::selected("reliability", tests.clone())
        .iter()
        .map(|(n, _)| *n)
        .collect();
    let start = Browsing::spawn(Options {
        emulator: Some(Box::new(hostile_seed)),
        ..Options::default()
    });
    let outcome = suite::run_on("reliability", tests, start, |c: &Ctx| c.stack.reset()).await;
    write_report(&names, &outcome);
    vec![outcome]
}

/// The demo seed plus the hostile resources (rogue web apps among them), mallory and the load's
/// users.
fn hostile_seed(config: &mut EmulatorConfig) {
    let seed = &mut config.seed;
    seed.users.push(User {
        username: MALLORY.0.into(),
        password: MALLORY.1.into(),
        name: format!("Mallory {MARKUP}"),
        email: "mallory<b data-xss>@acme.example".into(),
        email_verified: Some(true),
    });
    seed.users.extend(load::users());
    let hostile = |id: &str, name: String, description: String, path: &str| SeedResource {
        id: id.into(),
        name,
        description,
        desktop: false,
        path: path.into(),
        client_types: vec!["ica30".into()],
        favorite: false,
        color: "#b91c1c".into(),
        icon: IconFormat::Svg,
        launch: LaunchScript::default(),
        web_url: None,
    };
    seed.resources.extend([
        hostile(
            "hostile-name",
            format!("{HOSTILE_WORD} {MARKUP}"),
            "<script data-xss>window.__xss=1</script> in a description".into(),
            "\\<i data-xss>Folder\\",
        ),
        // The id is markup too: it ends up in attributes and URLs.
        hostile(
            r#""><svg onload="window.__xss=1" data-xss>"#,
            format!("{HOSTILE_WORD} id"),
            format!("javascript:window.__xss=1 {MARKUP}"),
            "\\Hostile\\<svg onload=window.__xss=1 data-xss>\\",
        ),
        SeedResource {
            // The store's launch failure reason is markup.
            launch: LaunchScript {
                failure: Some(LaunchFailure {
                    error_id: MARKUP.into(),
                    suggest_restart: true,
                }),
                ..LaunchScript::default()
            },
            ..hostile(
                "hostile-launch",
                format!("{HOSTILE_WORD} launch"),
                String::new(),
                "",
            )
        },
    ]);
    seed.resources.extend(
        ROGUE_ADDRESSES
            .iter()
            .enumerate()
            .map(|(i, (id, address))| SeedResource {
                client_types: vec!["content".into()],
                web_url: Some((*address).into()),
                ..hostile(id, format!("{ROGUE_WORD} web app {i}"), String::new(), "")
            }),
    );
}

/// Writes each selected test's outcome and the load's table to `PORTAL_RELIABILITY_REPORT`.
fn write_report(names: &[&str], outcome: &suite::Outcome) {
    let Some(path) = std::env::var_os("PORTAL_RELIABILITY_REPORT") else {
        return;
    };
    let mut text = String::new();
    for name in names {
        let verdict = match outcome {
            Ok((_, failed)) if failed.contains(name) => "FAILED",
            Ok(_) => "ok",
            Err(_) => "not run",
        };
        text.push_str(&format!("test\t{name}\t{verdict}\n"));
    }
    if let Err(e) = outcome {
        text.push_str(&format!(
            "error\t{}\n",
            e.lines().next().unwrap_or_default()
        ));
    }
    if let Some(table) = load::TABLE.get() {
        text.push_str(table);
    }
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!(
            "could not write the report to {}: {e}",
            path.to_string_lossy()
        );
    }
}
