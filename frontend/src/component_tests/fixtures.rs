//! Who is signed in and what they see, as the worker would send it.

use portal_shared::api::{
    Catalogue, CatalogueResource, LaunchStatus, ResourceKind, SessionInfo, User,
};

use super::fake_worker::{FakeWorker, Reply};
use crate::model::catalogue::test_resource as resource;

/// What `receiver://` hand-offs in these tests open. Chromium has no handler for the scheme, so
/// the page stays where it is (as the e2e suites rely on too) and the test goes on.
pub const RECEIVER_URI: &str = "receiver://component-test/launch?ticket=not-a-real-ticket";

/// The signed-in user: not an admin, so the page asks for nothing but the catalogue.
pub fn session() -> SessionInfo {
    SessionInfo {
        user: User {
            sub: "user-ada".into(),
            name: "Ada Lovelace".into(),
            email: Some("ada@example.com".into()),
        },
        customer: "acme".into(),
        expires_at: 4_102_444_800,
        logout_url: "/auth/logout".into(),
        is_admin: false,
        preferences: Default::default(),
    }
}

/// Nine resources in an order the page must not keep (it sorts by name). Searching "word" ranks
/// them differently again: WordPad (name starts with it), Microsoft Word (a word starts with it),
/// Notepad (only its description has it).
pub fn catalogue() -> Catalogue {
    use ResourceKind::{App, Desktop};
    Catalogue {
        resources: vec![
            CatalogueResource {
                favorite: true,
                ..resource("win11", "Windows 11 Desktop", Desktop)
            },
            resource("wordpad", "WordPad", App),
            CatalogueResource {
                category: vec!["Office".into()],
                ..resource("word", "Microsoft Word", App)
            },
            CatalogueResource {
                description: Some("A plain word processor".into()),
                ..resource("notepad", "Notepad", App)
            },
            CatalogueResource {
                launchable: false,
                ..resource("webmail", "Web Mail", App)
            },
            CatalogueResource {
                category: vec!["Office".into()],
                ..resource("excel", "Microsoft Excel", App)
            },
            CatalogueResource {
                category: vec!["Operations".into()],
                description: Some("Monitoring dashboard".into()),
                ..resource("ecran", "Écran de contrôle", App)
            },
            CatalogueResource {
                category: vec!["Engineering".into()],
                ..resource("eng-ws", "Engineering Workstation", Desktop)
            },
            resource("calc", "Calculator", App),
        ],
        skipped: 0,
    }
}

/// The catalogue's names in the page's order: alphabetical, accents folded.
pub const ALPHABETICAL: [&str; 9] = [
    "Calculator",
    "Écran de contrôle",
    "Engineering Workstation",
    "Microsoft Excel",
    "Microsoft Word",
    "Notepad",
    "Web Mail",
    "Windows 11 Desktop",
    "WordPad",
];

/// A worker with a session and [`catalogue`]; script more with [`FakeWorker::on`].
pub fn signed_in() -> FakeWorker {
    let worker = FakeWorker::install();
    worker.on("GET", "/api/session", Reply::ok(&session())).on(
        "GET",
        "/api/resources",
        Reply::ok(&catalogue()),
    );
    worker
}

/// The launch endpoint of a resource.
pub fn launch_path(id: &str) -> String {
    format!("/api/resources/{id}/launch")
}

/// The poll endpoint of a launch handle.
pub fn poll_path(handle: &str) -> String {
    format!("/api/launches/{handle}/poll")
}

/// The favourite endpoint of a resource.
pub fn favorite_path(id: &str) -> String {
    format!("/api/resources/{id}/favorite")
}

/// A launch that is ready at once.
pub fn ready() -> LaunchStatus {
    LaunchStatus::Ready {
        receiver_uri: RECEIVER_URI.into(),
    }
}

/// A launch still being prepared.
pub fn pending(handle: &str, retry_after_secs: u32) -> LaunchStatus {
    LaunchStatus::Pending {
        handle: handle.into(),
        retry_after_secs,
    }
}
