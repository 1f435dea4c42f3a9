//! The product's processes for a test run: the emulator (in-process, real HTTP), `wrangler dev`
//! (the real workerd) configured to it, serving the built SPA.
//!
//! The emulator plays Citrix Cloud as it really is, by default: five hosts (customer domain,
//! accounts, CDN, trust, cws) and .NET-shaped answers (nulls, absences, extra fields, a malformed
//! item, ids that need encoding, redirects). Every suite thus doubles as a conformance suite.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use workspace_emulator::{Emulator, EmulatorConfig, Settings, demo};

use crate::Result;

/// The worker's Citrix Cloud API settings: all set turns secret rotation on.
pub const ROTATION_SETTINGS: [&str; 5] = [
    "CUSTOMER_ID",
    "CWS_API_URL",
    "CC_TRUST_URL",
    "CC_CLIENT_ID",
    "CC_CLIENT_SECRET",
];

/// The worker's `SESSION_KEY` in tests: one unlabelled key, as the README's setup makes.
pub const SESSION_KEY: &str = "dGVzdC1vbmx5LXNlc3Npb24ta2V5LTMyLWJ5dGVzISE=";

/// A running emulator and portal.
pub struct Stack {
    /// The Citrix emulator.
    pub emulator: Emulator,
    /// The portal's origin, e.g. `http://127.0.0.1:41001`.
    pub portal: String,
    wrangler: tokio::sync::Mutex<Child>,
    dir: tempfile::TempDir,
    emulator_config: EmulatorConfig,
    /// The worker's settings, as written to `.dev.vars`.
    vars: std::sync::Mutex<Vec<(String, String)>>,
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// A loopback port free at the time of asking.
pub fn free_port() -> Result<u16> {
    free_ports().map(|[port]| port)
}

/// `N` loopback ports free at the time of asking, all different: each is held until all are
/// chosen, so the kernel cannot hand out one of them twice.
pub fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let held = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>>>()?;
    let ports = held
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>>>()?;
    ports
        .try_into()
        .map_err(|_| "a port for each listener".to_owned())
}

/// How to start a [`Stack`]: the defaults are the demo seed, the realistic topology and the
/// .NET profile, every worker setting the suites need, and the Citrix Cloud API (rotation on).
#[derive(Default)]
pub struct Options<'a> {
    /// Worker settings replaced (`Some`) or removed (`None`).
    pub settings: &'a [(&'a str, Option<&'a str>)],
    /// Days the demo client's secret has left; the seed's age when `None`.
    pub secret_days_left: Option<u32>,
    /// Without the Citrix Cloud API settings: rotation is not configured.
    pub without_rotation: bool,
    /// A change to the emulator's configuration (its seed, topology or profile) first.
    pub emulator: Option<EmulatorChange<'a>>,
}

/// A change to the emulator's configuration before it starts.
pub type EmulatorChange<'a> = Box<dyn FnOnce(&mut EmulatorConfig) + 'a>;

impl Stack {
    /// Starts the emulator and `wrangler dev` pointed at it, as `options` say. The worker and
    /// the SPA must have been built (`cargo xtask build`).
    pub async fn spawn(options: Options<'_>) -> Result<Stack> {
        let mut overrides: Vec<(&str, Option<&str>)> = if options.without_rotation {
            ROTATION_SETTINGS.iter().map(|v| (*v, None)).collect()
        } else {
            vec![]
        };
        overrides.extend_from_slice(options.settings);
        let days_left = options.secret_days_left;
        let change = options.emulator;
        Self::launch(&overrides, move |config| {
            if let Some(days_left) = days_left {
                for c in &mut config.seed.clients {
                    if c.client_id == demo::CLIENT_ID {
                        c.secret_age_days = 90 - days_left;
                    }
                }
            }
            if let Some(change) = change {
                change(config);
            }
        })
        .await
    }

    async fn launch(
        overrides: &[(&str, Option<&str>)],
        emulator_config: impl FnOnce(&mut EmulatorConfig),
    ) -> Result<Stack> {
        let root = root();
        for (what, path) in [
            ("worker", "worker/build/index.js"),
            ("frontend", "dist/index.html"),
        ] {
            if !root.join(path).exists() {
                return Err(format!(
                    "the {what} is not built ({path} missing): run `cargo xtask build`"
                ));
            }
        }
        let mut config = EmulatorConfig::test();
        emulator_config(&mut config);
        let emulator = Emulator::start(config.clone())
            .await
            .map_err(|e| format!("emulator: {e}"))?;

        // A copy of wrangler.toml without the build step (the test uses what was built) and with
        // absolute paths; its .dev.vars points the worker at this emulator.
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let text =
            std::fs::read_to_string(root.join("wrangler.toml")).map_err(|e| e.to_string())?;
        let emulator_config = config;
        let mut config: toml::Table = text.parse().map_err(|e| format!("wrangler.toml: {e}"))?;
        config.remove("build");
        config.insert(
            "main".into(),
            root.join("worker/build/index.js")
                .display()
                .to_string()
                .into(),
        );
        if let Some(toml::Value::Table(assets)) = config.get_mut("assets") {
            assets.insert(
                "directory".into(),
                root.join("dist").display().to_string().into(),
            );
        }
        std::fs::write(
            dir.path().join("wrangler.toml"),
            toml::to_string(&config).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let hosts = emulator.hosts();
        let mut vars: Vec<(&str, String)> = vec![
            ("WORKSPACE_URL", hosts.customer.clone()),
            ("APPLICATION_ID", demo::APPLICATION_ID.to_owned()),
            ("CLIENT_ID", demo::CLIENT_ID.to_owned()),
            ("CLIENT_SECRET", demo::CLIENT_SECRET.to_owned()),
            ("SESSION_KEY", SESSION_KEY.to_owned()),
            ("ADMIN_USERS", "user-bob".to_owned()),
            // The emulator's CDN serves some icons.
            ("ICON_HOSTS", hosts.cdn.clone()),
            // The emulator serves the Citrix Cloud API too, on hosts of their own.
            ("CUSTOMER_ID", demo::CUSTOMER_ID.to_owned()),
            ("CWS_API_URL", hosts.cws.clone()),
            ("CC_TRUST_URL", hosts.trust.clone()),
            ("CC_CLIENT_ID", demo::CLOUD_CLIENT_ID.to_owned()),
            ("CC_CLIENT_SECRET", demo::CLOUD_CLIENT_SECRET.to_owned()),
        ];
        for (name, value) in overrides {
            vars.retain(|(k, _)| k != name);
            if let Some(v) = value {
                vars.push((name, (*v).to_owned()));
            }
        }
        let vars: Vec<(String, String)> =
            vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        write_vars(dir.path(), &vars)?;
        let (bin, path) = wrangler_path()?;
        // A free port can be taken by another process between our check and wrangler's bind:
        // then wrangler says so and stops, and it is started again on other ports.
        let mut attempt = 0;
        let (wrangler, portal) = loop {
            attempt += 1;
            let port = free_port()?;
            let portal = format!("http://127.0.0.1:{port}");
            emulator.add_redirect_uri(demo::CLIENT_ID, &format!("{portal}/auth/callback"));
            let mut wrangler = spawn_wrangler(&bin, &path, dir.path(), port)?;
            match wait_ready(&portal, &mut wrangler, dir.path()).await {
                Ok(()) => break (wrangler, portal),
                Err(e) => {
                    stop_group(&mut wrangler).await;
                    let raced = read_log(dir.path()).contains(PORT_TAKEN);
                    if !(raced && attempt < 3) {
                        return Err(e);
                    }
                }
            }
        };
        Ok(Stack {
            emulator,
            portal,
            wrangler: tokio::sync::Mutex::new(wrangler),
            dir,
            emulator_config,
            vars: std::sync::Mutex::new(vars),
        })
    }

    /// Restarts `wrangler dev` on the same port and the same stored state (sessions, the
    /// secret store), with some settings replaced (`Some`) or removed (`None`): what an admin's
    /// `wrangler secret put` and redeploy do.
    pub async fn restart_worker(&self, changes: &[(&str, Option<&str>)]) -> Result<()> {
        let mut running = self.wrangler.lock().await;
        stop_group(&mut running).await;
        {
            let mut vars = self.vars.lock().map_err(|e| e.to_string())?;
            for (name, value) in changes {
                vars.retain(|(k, _)| k != name);
                if let Some(v) = value {
                    vars.push(((*name).to_owned(), (*v).to_owned()));
                }
            }
            write_vars(self.dir.path(), &vars)?;
        }
        let (bin, path) = wrangler_path()?;
        let port: u16 = self
            .portal
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("no port in {}", self.portal))?;
        let mut last = String::new();
        // The old workerd releases the port a moment after it stops.
        for _ in 0..20 {
            let mut wrangler = spawn_wrangler(&bin, &path, self.dir.path(), port)?;
            match wait_ready(&self.portal, &mut wrangler, self.dir.path()).await {
                Ok(()) => {
                    *running = wrangler;
                    return Ok(());
                }
                Err(e) => {
                    stop_group(&mut wrangler).await;
                    last = e;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
        Err(format!(
            "wrangler did not come back on {}: {last}",
            self.portal
        ))
    }

    /// Every byte the worker's Durable Objects and caches keep on disk: for tests that look
    /// for secrets and tokens at rest.
    pub fn stored_state(&self) -> Vec<u8> {
        fn walk(dir: &Path, out: &mut Vec<u8>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.extend(bytes);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("state"), &mut out);
        out
    }

    /// Restarts the emulator on the same addresses with a fresh state, as a Citrix Cloud that
    /// forgot everything would be: its seed's secrets, no grants, no sessions.
    pub async fn restart_emulator(&mut self) -> Result<()> {
        let url = self.emulator.url();
        self.emulator.go_down();
        let config = EmulatorConfig {
            ports: self.emulator.hosts().ports(),
            ..self.emulator_config.clone()
        };
        let mut last = String::new();
        // The old listener closes asynchronously; give it a moment to release the port.
        for _ in 0..50 {
            match Emulator::start(config.clone()).await {
                Ok(emulator) => {
                    emulator.add_redirect_uri(
                        demo::CLIENT_ID,
                        &format!("{}/auth/callback", self.portal),
                    );
                    self.emulator = emulator;
                    return Ok(());
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("the emulator did not come back on {url}: {last}"))
    }

    /// Puts the emulator's behaviour back to its defaults (settings, faults) between tests.
    pub fn reset(&self) {
        self.emulator.set_settings(Settings::default());
        self.emulator.clear_faults();
    }

    /// What `wrangler dev` printed so far (the worker's console lines included).
    pub fn wrangler_log(&self) -> String {
        read_log(self.dir.path())
    }

    /// The worker's log once it holds `needle`. Wrangler writes what workerd prints a moment
    /// after the answer that caused it has been sent, so a test that just had its answer reads
    /// the log through this; after 10 s without it, an error naming what was missing.
    pub async fn log_with(&self, needle: &str) -> Result<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.wrangler_log();
            if log.contains(needle) {
                return Ok(log);
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("the worker's log never showed {needle:?}"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops wrangler and its workerd (the whole process group).
    pub async fn stop(self) {
        stop_group(&mut *self.wrangler.lock().await).await;
    }
}

/// Writes the worker's settings to `dir/.dev.vars`.
fn write_vars(dir: &Path, vars: &[(String, String)]) -> Result<()> {
    let text: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(dir.join(".dev.vars"), text).map_err(|e| e.to_string())
}

/// Where wrangler is (node_modules/.bin) and a `PATH` that has it first.
fn wrangler_path() -> Result<(PathBuf, std::ffi::OsString)> {
    let bin = root().join("node_modules/.bin");
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .map_err(|e| e.to_string())?;
    Ok((bin, path))
}

/// What wrangler logs when a port it was given is in use.
const PORT_TAKEN: &str = "Address already in use";

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("wrangler.log")).unwrap_or_default()
}

/// `wrangler dev` in `dir` (its wrangler.toml and .dev.vars) on `port`, logging to
/// `dir/wrangler.log`, in a process group of its own.
fn spawn_wrangler(bin: &Path, path: &std::ffi::OsStr, dir: &Path, port: u16) -> Result<Child> {
    let log = std::fs::File::create(dir.join("wrangler.log")).map_err(|e| e.to_string())?;
    // Of two different free ports, at least one is not `port` (free too, when restarting).
    let inspector = free_ports::<2>()?
        .into_iter()
        .find(|p| *p != port)
        .ok_or("no free port for the inspector")?;
    Command::new(bin.join("wrangler"))
        .args([
            "dev",
            "--ip",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--inspector-port",
            &inspector.to_string(),
        ])
        .arg("--persist-to")
        .arg(dir.join("state"))
        .args(["--show-interactive-dev-session=false", "--log-level", "log"])
        // `GET /__scheduled?cron=…` runs the cron handler.
        .arg("--test-scheduled")
        .current_dir(dir)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CI", "true")
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .kill_on_drop(true)
        // Its own process group, so stopping it also stops the workerd it starts.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start wrangler (run `cargo xtask setup`): {e}"))
}

/// Waits until the worker itself answers, or wrangler gives up.
async fn wait_ready(portal: &str, wrangler: &mut Child, dir: &Path) -> Result<()> {
    let client = reqwest::Client::new();
    let url = format!("{portal}/api/session");
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(120) {
        // Any answer of the worker itself (it frames-denies everything) means it is up,
        // even when that answer is a configuration error a journey wants to see.
        if let Ok(r) = client.get(&url).send().await
            && r.headers().contains_key("x-frame-options")
        {
            return Ok(());
        }
        // wrangler reports a port taken in the meantime but may keep running.
        if read_log(dir).contains(PORT_TAKEN) {
            return Err(format!(
                "a port was taken; wrangler's log:\n{}",
                read_log(dir)
            ));
        }
        if let Ok(Some(status)) = wrangler.try_wait() {
            return Err(format!(
                "wrangler dev stopped ({status}); its log:\n{}",
                read_log(dir)
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!(
        "wrangler dev did not come up within 120 s; its log:\n{}",
        read_log(dir)
    ))
}

/// Stops wrangler and the workerd it started: the whole process group.
async fn stop_group(wrangler: &mut Child) {
    if let Some(pid) = wrangler.id() {
        let group = format!("-{pid}");
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .status()
            .await;
        let _ = tokio::time::timeout(Duration::from_secs(5), wrangler.wait()).await;
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .await;
    }
    let _ = wrangler.kill().await;
}
