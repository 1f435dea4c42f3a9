//! Seed data: customer, users, OAuth clients, Citrix Cloud API clients and published resources.
//! A seed file (`--data FILE`) is this structure in JSON; `--print-seed` writes the demo one.

use serde::{Deserialize, Serialize};

/// Everything the emulator serves.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seed {
    /// Customer id (as in Citrix Cloud); part of the Citrix Cloud API's paths.
    pub customer_id: String,
    /// Customer hosts accepted in `Host`; empty means any loopback host.
    #[serde(default)]
    pub customer_hosts: Vec<String>,
    /// Users who can sign in.
    pub users: Vec<User>,
    /// Workspace OAuth clients.
    pub clients: Vec<OAuthClient>,
    /// Citrix Cloud API clients (service principals) that may call `rpclients`.
    #[serde(default)]
    pub cloud_clients: Vec<CloudClient>,
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
    /// The ID token's `email_verified` claim; absent when `None`, as some providers do.
    #[serde(default)]
    pub email_verified: Option<bool>,
}

/// A Workspace OAuth client as an admin created it in Citrix Cloud.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OAuthClient {
    /// OAuth client id (`api_key` in the Citrix Cloud API's `rpclients` answers).
    pub client_id: String,
    /// The client's name in the Citrix Cloud API (`rpclients/{name}/$rotateSecret`); defaults
    /// to the client id.
    #[serde(default)]
    pub name: String,
    /// Display name in the admin portal.
    #[serde(default)]
    pub display_name: String,
    /// Owner contact, who gets the expiry reminder e-mails.
    #[serde(default)]
    pub owner: String,
    /// Secret of a private client; `None` for a public one.
    pub secret: Option<String>,
    /// How many days ago the secret was issued (it lives 90 days).
    #[serde(default)]
    pub secret_age_days: u32,
    /// The Workspace API application id.
    pub application_id: String,
    /// Exactly matched redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Whether PKCE is required.
    #[serde(default = "yes")]
    pub require_pkce: bool,
    /// Whether users must consent before the client gets their tokens.
    #[serde(default)]
    pub user_consent: bool,
    /// Whether the client is enabled.
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A Citrix Cloud API client (the admin's "secure client"), for client-credentials tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CloudClient {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

fn yes() -> bool {
    true
}

/// The format of a resource's icon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IconFormat {
    /// `image/svg+xml`.
    #[default]
    Svg,
    /// `image/png`.
    Png,
}

/// Which form the launch-status answers take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LaunchForm {
    /// The seed document's: 202 retry (`retryUrl`, `retryKey`, `pollTimeout`), 201 ticket.
    #[default]
    Seed,
    /// The public samples': 200 with `status` `retry`, `success` or `failure`.
    Sample,
}

/// Why a launch fails, as the store reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchFailure {
    /// e.g. `UnavailableDesktop`, `WorkstationInMaintenance`.
    pub error_id: String,
    /// Whether restarting the desktop may help.
    #[serde(default)]
    pub suggest_restart: bool,
}

/// How launches of a resource behave: N "starting" answers, then a ticket or a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchScript {
    /// How many retry answers a launch gets before its outcome.
    #[serde(default)]
    pub retries: u32,
    /// `pollTimeout` of those answers, in seconds.
    #[serde(default = "two")]
    pub poll_timeout: u32,
    /// The outcome is this failure instead of a ticket.
    #[serde(default)]
    pub failure: Option<LaunchFailure>,
    /// This resource's answer form; the emulator-wide setting when absent.
    #[serde(default)]
    pub form: Option<LaunchForm>,
}

impl Default for LaunchScript {
    fn default() -> Self {
        LaunchScript {
            retries: 0,
            poll_timeout: 2,
            failure: None,
            form: None,
        }
    }
}

fn two() -> u32 {
    2
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
    /// Icon format.
    #[serde(default)]
    pub icon: IconFormat,
    /// How launches behave.
    #[serde(default)]
    pub launch: LaunchScript,
    /// Where a web or SaaS app (`content`) opens, as the admin published it (`http:` and all);
    /// default `https://{id}.apps.example/`.
    #[serde(default)]
    pub web_url: Option<String>,
}

impl SeedResource {
    /// Whether the resource launches through ICA.
    pub fn launchable(&self) -> bool {
        self.client_types.iter().any(|t| t == "ica30")
    }

    /// Whether it is a web or SaaS app, opened in the browser.
    pub fn is_web(&self) -> bool {
        !self.launchable() && self.client_types.iter().any(|t| t == "content")
    }

    /// Where the web or SaaS app opens.
    pub fn web_address(&self) -> String {
        self.web_url.clone().unwrap_or_else(|| {
            let host: String = self
                .id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '-'
                    }
                })
                .collect();
            format!("https://{host}.apps.example/")
        })
    }
}

/// A catalogue of `n` generated resources over a dozen categories, for performance work.
pub fn generated_resources(n: usize) -> Vec<SeedResource> {
    const CATEGORIES: &[&str] = &[
        "\\Office\\",
        "\\Engineering\\",
        "\\Engineering\\Tools\\",
        "\\Finance\\",
        "\\HR\\",
        "\\Design\\",
        "\\Sales\\",
        "\\Support\\",
        "\\Legal\\",
        "\\Operations\\",
        "\\Research\\",
        "",
    ];
    const WORDS: &[&str] = &[
        "Ledger", "Atlas", "Beacon", "Canvas", "Delta", "Echo", "Forge", "Harbor", "Insight",
        "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orbit", "Pioneer", "Quartz", "Relay",
        "Summit", "Tundra", "Umbra", "Vertex", "Willow", "Zephyr",
    ];
    const COLORS: &[&str] = &[
        "#2563eb", "#7c3aed", "#0891b2", "#15803d", "#c2410c", "#b91c1c", "#0f766e", "#9333ea",
    ];
    (0..n)
        .map(|i| {
            let desktop = i % 25 == 0;
            let word = WORDS[i % WORDS.len()];
            let second = WORDS[(i / WORDS.len()) % WORDS.len()];
            let name = if desktop {
                format!("{word} Desktop {i}")
            } else {
                format!("{word} {second} {i}")
            };
            SeedResource {
                id: format!("gen-{i}"),
                description: format!("Generated resource number {i}"),
                desktop,
                path: CATEGORIES[i % CATEGORIES.len()].into(),
                client_types: vec![if i % 40 == 7 { "content" } else { "ica30" }.into()],
                favorite: i % 97 == 0,
                color: COLORS[i % COLORS.len()].into(),
                icon: if i % 2 == 0 {
                    IconFormat::Svg
                } else {
                    IconFormat::Png
                },
                launch: LaunchScript {
                    retries: u32::from(desktop),
                    ..LaunchScript::default()
                },
                web_url: None,
                name,
            }
        })
        .collect()
}

/// The demo customer that `cargo xtask dev` and the tests use.
pub mod demo {
    use super::*;

    /// The demo customer id (Citrix Cloud API paths).
    pub const CUSTOMER_ID: &str = "acme";
    /// The demo client's application id.
    pub const APPLICATION_ID: &str = "6f1c2a5e-8d3b-4c7a-9e21-0b5d4f3a7c10";
    /// The demo private client's id.
    pub const CLIENT_ID: &str = "portal-dev";
    /// The demo private client's name in the Citrix Cloud API.
    pub const CLIENT_NAME: &str = "acme-private-1";
    /// The demo private client's secret (not a secret: emulator only).
    pub const CLIENT_SECRET: &str = "dev-secret-not-for-production";
    /// The demo Citrix Cloud API client (for secret rotation).
    pub const CLOUD_CLIENT_ID: &str = "cc-portal-rotation";
    /// Its secret (emulator only).
    pub const CLOUD_CLIENT_SECRET: &str = "cc-dev-secret-not-for-production";

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
        /// Whether the ID token says the e-mail is verified (absent when `None`).
        pub email_verified: Option<bool>,
    }

    /// The demo users; bob is the portal's admin in `.dev.vars.example`.
    pub const USERS: &[DemoUser] = &[
        DemoUser {
            username: "alice",
            password: "wonderland",
            display_name: "Alice Liddell",
            email: "alice@acme.example",
            email_verified: None,
        },
        DemoUser {
            username: "bob",
            password: "builder",
            display_name: "Bob Builder",
            email: "bob@acme.example",
            email_verified: Some(true),
        },
    ];

    /// How a demo resource launches, beyond the default (desktops start once, apps at once).
    #[derive(Clone, Copy)]
    enum Behaviour {
        Normal,
        SlowStart,
        Fails(&'static str, bool),
    }
    use Behaviour::*;

    /// (id, name, desktop, path, colour, client type, description, behaviour)
    type Row = (
        &'static str,
        &'static str,
        bool,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        Behaviour,
    );

    #[rustfmt::skip]
    const RESOURCES: &[Row] = &[
        ("win11-desktop", "Windows 11 Desktop", true, "\\Desktops\\", "#2563eb", "ica30", "Your full Windows 11 desktop", Normal),
        ("eng-workstation", "Engineering Workstation", true, "\\Desktops\\", "#7c3aed", "ica30", "GPU desktop for CAD and builds", SlowStart),
        ("call-centre-desktop", "Call Centre Desktop", true, "\\Desktops\\", "#0891b2", "ica30", "Shared desktop for the service team", Normal),
        ("finance-desktop", "Finance Desktop", true, "\\Desktops\\", "#0f766e", "ica30", "Locked-down desktop for finance (in maintenance)", Fails("WorkstationInMaintenance", false)),
        ("lab-desktop", "Lab Desktop", true, "\\Desktops\\", "#475569", "ica30", "Test lab machine (often unavailable)", Fails("UnavailableDesktop", true)),
        ("word", "Microsoft Word", false, "\\Office\\", "#1d4ed8", "ica30", "Documents and letters", Normal),
        ("excel", "Microsoft Excel", false, "\\Office\\", "#15803d", "ica30", "Spreadsheets", Normal),
        ("powerpoint", "Microsoft PowerPoint", false, "\\Office\\", "#c2410c", "ica30", "Presentations", Normal),
        ("outlook", "Microsoft Outlook", false, "\\Office\\", "#0369a1", "ica30", "Mail and calendar", Normal),
        ("teams", "Microsoft Teams", false, "\\Office\\", "#4f46e5", "ica30", "Chat and meetings", Normal),
        ("onenote", "Microsoft OneNote", false, "\\Office\\", "#7e22ce", "ica30", "Notebooks", Normal),
        ("access", "Microsoft Access", false, "\\Office\\", "#9f1239", "ica30", "Desktop databases", Normal),
        ("acrobat", "Adobe Acrobat Reader", false, "\\Office\\", "#dc2626", "ica30", "Read and sign PDF files", Normal),
        ("vscode", "Visual Studio Code", false, "\\Engineering\\Tools\\", "#0ea5e9", "ica30", "Code editor", Normal),
        ("PuTTY 0.81/ssh", "PuTTY", false, "\\Engineering\\Tools\\", "#525252", "ica30", "", Normal),
        ("winscp", "WinSCP", false, "\\Engineering\\Tools\\", "#16a34a", "ica30", "", Normal),
        ("git-bash", "Git Bash", false, "\\Engineering\\Tools\\", "#ea580c", "ica30", "", Normal),
        ("visual-studio", "Visual Studio 2022", false, "\\Engineering\\", "#6d28d9", "ica30", "IDE for .NET and C++", Normal),
        ("autocad", "AutoCAD", false, "\\Engineering\\", "#b91c1c", "ica30", "2D and 3D design", Normal),
        ("matlab", "MATLAB", false, "\\Engineering\\", "#d97706", "ica30", "Numerical computing", Normal),
        ("solidworks", "SolidWorks", false, "\\Engineering\\", "#be123c", "ica30", "Mechanical CAD", Normal),
        ("sap-gui", "SAP GUI", false, "\\Finance\\", "#0f766e", "ica30", "ERP client", Normal),
        ("quickbooks", "QuickBooks", false, "\\Finance\\", "#16a34a", "ica30", "Accounting", Normal),
        ("bloomberg", "Bloomberg Terminal", false, "\\Finance\\", "#1f2937", "ica30", "Market data", Normal),
        ("expenses", "Expenses", false, "\\Finance\\", "#65a30d", "content", "Submit expense claims (web app)", Normal),
        ("workday", "Workday", false, "\\HR\\", "#f59e0b", "content", "Time off, pay slips and your profile (SaaS)", Normal),
        ("payroll", "Payroll Manager", false, "\\HR\\", "#0d9488", "ica30", "Payroll runs for HR staff", Normal),
        ("learning", "Learning Portal", false, "\\HR\\", "#8b5cf6", "content", "Training courses (web app)", Normal),
        ("photoshop", "Adobe Photoshop", false, "\\Design\\", "#1e40af", "ica30", "Image editing", Normal),
        ("illustrator", "Adobe Illustrator", false, "\\Design\\", "#c2410c", "ica30", "Vector graphics", Normal),
        ("gimp", "GIMP", false, "\\Design\\", "#57534e", "ica30", "Open-source image editor", Normal),
        ("salesforce", "Salesforce", false, "\\Sales\\", "#0284c7", "content", "CRM (SaaS)", Normal),
        ("crm-desktop", "Dynamics CRM Client", false, "\\Sales\\", "#2563eb", "ica30", "Customer records", Normal),
        ("zendesk", "Service Desk Console", false, "\\Support\\", "#047857", "ica30", "Tickets and customers", Normal),
        ("remote-assist", "Remote Assistance", false, "\\Support\\", "#334155", "ica30", "Help a colleague on their screen", Normal),
        ("notepad", "Notepad++", false, "", "#65a30d", "ica30", "Text editor", Normal),
        ("paint", "Paint", false, "", "#db2777", "ica30", "Simple drawing", Normal),
        ("calc 100%/x?y#z", "Calculator", false, "", "#6b7280", "ica30", "Arithmetic and conversions", Normal),
        ("Google Chrome $ü", "Google Chrome", false, "", "#ca8a04", "ica30", "Web browser in the data centre", Normal),
        ("intranet", "Acme Intranet", false, "\\Web\\", "#9333ea", "content", "The company intranet (web app)", Normal),
    ];

    /// Names of the demo resources, in the store's order.
    pub fn resource_names() -> Vec<String> {
        RESOURCES.iter().map(|r| r.1.to_owned()).collect()
    }

    /// The demo seed.
    pub fn seed() -> Seed {
        Seed {
            customer_id: CUSTOMER_ID.into(),
            customer_hosts: vec![],
            users: USERS
                .iter()
                .map(|u| User {
                    username: u.username.into(),
                    password: u.password.into(),
                    name: u.display_name.into(),
                    email: u.email.into(),
                    email_verified: u.email_verified,
                })
                .collect(),
            clients: vec![OAuthClient {
                client_id: CLIENT_ID.into(),
                name: CLIENT_NAME.into(),
                display_name: "Workspace Portal (local)".into(),
                owner: "bob@acme.example".into(),
                secret: Some(CLIENT_SECRET.into()),
                secret_age_days: 30,
                application_id: APPLICATION_ID.into(),
                redirect_uris: vec![
                    "http://127.0.0.1:8787/auth/callback".into(),
                    "http://localhost:8787/auth/callback".into(),
                ],
                require_pkce: true,
                user_consent: false,
                enabled: true,
            }],
            cloud_clients: vec![CloudClient {
                client_id: CLOUD_CLIENT_ID.into(),
                client_secret: CLOUD_CLIENT_SECRET.into(),
            }],
            resources: RESOURCES
                .iter()
                .enumerate()
                .map(
                    |(
                        i,
                        &(id, name, desktop, path, color, client_type, description, behaviour),
                    )| {
                        SeedResource {
                            id: id.into(),
                            name: name.into(),
                            description: description.into(),
                            desktop,
                            path: path.into(),
                            client_types: vec![client_type.into()],
                            favorite: matches!(id, "win11-desktop" | "outlook"),
                            color: color.into(),
                            icon: if i % 3 == 2 {
                                IconFormat::Png
                            } else {
                                IconFormat::Svg
                            },
                            launch: match behaviour {
                                Normal => LaunchScript {
                                    retries: u32::from(desktop),
                                    ..LaunchScript::default()
                                },
                                SlowStart => LaunchScript {
                                    retries: 3,
                                    ..LaunchScript::default()
                                },
                                Fails(error_id, suggest_restart) => LaunchScript {
                                    retries: 1,
                                    failure: Some(LaunchFailure {
                                        error_id: error_id.into(),
                                        suggest_restart,
                                    }),
                                    ..LaunchScript::default()
                                },
                            },
                            // One web app published over plain http, which the portal must
                            // refuse to open.
                            web_url: (id == "learning")
                                .then(|| "http://learning.acme.example/courses".into()),
                        }
                    },
                )
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_forty_resources_over_several_categories() {
        let seed = demo::seed();
        assert_eq!(seed.resources.len(), 40);
        let mut categories: Vec<&str> = seed.resources.iter().map(|r| r.path.as_str()).collect();
        categories.sort();
        categories.dedup();
        assert!(categories.len() >= 8, "{categories:?}");
        assert!(seed.resources.iter().any(|r| !r.launchable()));
        assert!(seed.resources.iter().any(|r| r.icon == IconFormat::Png));
        // Some have no description or no folder, as real catalogues do.
        assert!(seed.resources.iter().any(|r| r.description.is_empty()));
        assert!(seed.resources.iter().any(|r| r.path.is_empty()));
        let ids: std::collections::HashSet<_> = seed.resources.iter().map(|r| &r.id).collect();
        assert_eq!(ids.len(), seed.resources.len(), "ids are unique");
    }

    #[test]
    fn a_seed_file_round_trips_and_old_fields_default() {
        let text = serde_json::to_string(&demo::seed()).unwrap();
        let back: Seed = serde_json::from_str(&text).unwrap();
        assert_eq!(back.resources.len(), 40);
        let minimal: Seed = serde_json::from_str(
            r##"{"customer_id":"c","users":[],"clients":[{"client_id":"x","secret":null,
                "application_id":"a","redirect_uris":[]}],
                "resources":[{"id":"r","name":"R","client_types":["ica30"],"color":"#000"}]}"##,
        )
        .unwrap();
        assert!(minimal.clients[0].require_pkce && minimal.clients[0].enabled);
        assert_eq!(minimal.resources[0].launch, LaunchScript::default());
    }

    #[test]
    fn generated_catalogues_have_unique_ids_and_mixed_kinds() {
        let r = generated_resources(5000);
        assert_eq!(r.len(), 5000);
        let ids: std::collections::HashSet<_> = r.iter().map(|r| &r.id).collect();
        assert_eq!(ids.len(), 5000);
        assert!(r.iter().any(|r| r.desktop) && r.iter().any(|r| !r.launchable()));
    }
}
