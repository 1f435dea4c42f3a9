//! Seed data: customer, users, OAuth clients and published resources.

use serde::{Deserialize, Serialize};

/// Everything the emulator serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seed {
    /// Customer id (as in Citrix Cloud).
    pub customer_id: String,
    /// Customer hosts accepted in `Host`; empty means any loopback host.
    #[serde(default)]
    pub customer_hosts: Vec<String>,
    /// Users who can sign in.
    pub users: Vec<User>,
    /// Workspace OAuth clients.
    pub clients: Vec<OAuthClient>,
    /// Published apps and desktops.
    pub resources: Vec<SeedResource>,
}

/// A user of the customer's identity provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Sign-in name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// A Workspace OAuth client as an admin created it in Citrix Cloud.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthClient {
    /// OAuth client id.
    pub client_id: String,
    /// Secret of a private client; `None` for a public one.
    pub secret: Option<String>,
    /// The Workspace API application id.
    pub application_id: String,
    /// Exactly matched redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Whether PKCE is required.
    #[serde(default = "yes")]
    pub require_pkce: bool,
    /// Whether the client is enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

/// A published app or desktop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeedResource {
    /// Resource id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Desktop rather than app.
    #[serde(default)]
    pub desktop: bool,
    /// Category path, StoreFront style (`\Office\`).
    #[serde(default)]
    pub path: String,
    /// Client types; `["ica30"]` launches, `["content"]` is a web/SaaS app.
    pub client_types: Vec<String>,
    /// Favourite of every user at start.
    #[serde(default)]
    pub favorite: bool,
    /// Icon colour (CSS).
    pub color: String,
    /// How many 202 answers a launch gets before its ticket.
    #[serde(default)]
    pub launch_retries: u32,
    /// `pollTimeout` of those answers, in seconds.
    #[serde(default = "two")]
    pub poll_timeout: u32,
}

fn two() -> u32 {
    2
}

impl SeedResource {
    /// Whether the resource launches through ICA.
    pub fn launchable(&self) -> bool {
        self.client_types.iter().any(|t| t == "ica30")
    }
}

/// The demo customer that `cargo xtask dev` and the tests use.
pub mod demo {
    use super::*;

    /// The demo client's application id.
    pub const APPLICATION_ID: &str = "6f1c2a5e-8d3b-4c7a-9e21-0b5d4f3a7c10";
    /// The demo private client's id.
    pub const CLIENT_ID: &str = "portal-dev";
    /// The demo private client's secret (not a secret: emulator only).
    pub const CLIENT_SECRET: &str = "dev-secret-not-for-production";

    /// A demo user's credentials.
    pub struct DemoUser {
        /// Sign-in name.
        pub username: &'static str,
        /// Password.
        pub password: &'static str,
        /// Display name.
        pub display_name: &'static str,
        /// E-mail.
        pub email: &'static str,
    }

    /// The demo users; bob is the portal's admin in `.dev.vars.example`.
    pub const USERS: &[DemoUser] = &[
        DemoUser {
            username: "alice",
            password: "wonderland",
            display_name: "Alice Liddell",
            email: "alice@acme.example",
        },
        DemoUser {
            username: "bob",
            password: "builder",
            display_name: "Bob Builder",
            email: "bob@acme.example",
        },
    ];

    /// (id, name, desktop, path, colour, client type, description)
    const RESOURCES: &[(&str, &str, bool, &str, &str, &str, &str)] = &[
        (
            "win11-desktop",
            "Windows 11 Desktop",
            true,
            "\\Desktops\\",
            "#2563eb",
            "ica30",
            "Your full Windows 11 desktop",
        ),
        (
            "eng-workstation",
            "Engineering Workstation",
            true,
            "\\Desktops\\",
            "#7c3aed",
            "ica30",
            "GPU desktop for CAD and builds",
        ),
        (
            "call-centre-desktop",
            "Call Centre Desktop",
            true,
            "\\Desktops\\",
            "#0891b2",
            "ica30",
            "Shared desktop for the service team",
        ),
        (
            "word",
            "Microsoft Word",
            false,
            "\\Office\\",
            "#1d4ed8",
            "ica30",
            "Documents and letters",
        ),
        (
            "excel",
            "Microsoft Excel",
            false,
            "\\Office\\",
            "#15803d",
            "ica30",
            "Spreadsheets",
        ),
        (
            "powerpoint",
            "Microsoft PowerPoint",
            false,
            "\\Office\\",
            "#c2410c",
            "ica30",
            "Presentations",
        ),
        (
            "outlook",
            "Microsoft Outlook",
            false,
            "\\Office\\",
            "#0369a1",
            "ica30",
            "Mail and calendar",
        ),
        (
            "teams",
            "Microsoft Teams",
            false,
            "\\Office\\",
            "#4f46e5",
            "ica30",
            "Chat and meetings",
        ),
        (
            "vscode",
            "Visual Studio Code",
            false,
            "\\Engineering\\Tools\\",
            "#0ea5e9",
            "ica30",
            "Code editor",
        ),
        (
            "putty",
            "PuTTY",
            false,
            "\\Engineering\\Tools\\",
            "#525252",
            "ica30",
            "SSH and telnet client",
        ),
        (
            "autocad",
            "AutoCAD",
            false,
            "\\Engineering\\",
            "#b91c1c",
            "ica30",
            "2D and 3D design",
        ),
        (
            "sap-gui",
            "SAP GUI",
            false,
            "\\Finance\\",
            "#0f766e",
            "ica30",
            "ERP client",
        ),
        (
            "quickbooks",
            "QuickBooks",
            false,
            "\\Finance\\",
            "#16a34a",
            "ica30",
            "Accounting",
        ),
        (
            "notepad",
            "Notepad++",
            false,
            "",
            "#65a30d",
            "ica30",
            "Text editor",
        ),
        (
            "paint",
            "Paint",
            false,
            "",
            "#db2777",
            "ica30",
            "Simple drawing",
        ),
        (
            "intranet",
            "Acme Intranet",
            false,
            "\\Web\\",
            "#9333ea",
            "content",
            "The company intranet (web app)",
        ),
    ];

    /// Names of the demo resources, in the store's order.
    pub fn resource_names() -> Vec<String> {
        RESOURCES.iter().map(|r| r.1.to_owned()).collect()
    }

    /// The demo seed.
    pub fn seed() -> Seed {
        Seed {
            customer_id: "acme".into(),
            customer_hosts: vec![],
            users: USERS
                .iter()
                .map(|u| User {
                    username: u.username.into(),
                    password: u.password.into(),
                    name: u.display_name.into(),
                    email: u.email.into(),
                })
                .collect(),
            clients: vec![OAuthClient {
                client_id: CLIENT_ID.into(),
                secret: Some(CLIENT_SECRET.into()),
                application_id: APPLICATION_ID.into(),
                redirect_uris: vec![
                    "http://127.0.0.1:8787/auth/callback".into(),
                    "http://localhost:8787/auth/callback".into(),
                ],
                require_pkce: true,
                enabled: true,
            }],
            resources: RESOURCES
                .iter()
                .map(
                    |&(id, name, desktop, path, color, client_type, description)| SeedResource {
                        id: id.into(),
                        name: name.into(),
                        description: description.into(),
                        desktop,
                        path: path.into(),
                        client_types: vec![client_type.into()],
                        favorite: matches!(id, "win11-desktop" | "outlook"),
                        color: color.into(),
                        launch_retries: u32::from(desktop),
                        poll_timeout: 2,
                    },
                )
                .collect(),
        }
    }
}
