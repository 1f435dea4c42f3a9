//! `cargo xtask dev` as a developer runs it: `--serve` signs in and shows an edit on trunk's port,
//! and stopping xtask by a signal, or killing it outright, leaves nothing running. Each test starts
//! its own `cargo xtask dev` on free ports (the emulator picks its own with `-- --port 0`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use portal_e2e::Result;
use portal_e2e::cdp::Browser;
use portal_e2e::signin::sign_in_on;
use portal_e2e::stack::{free_port, free_ports, root};
use portal_e2e::suite::{self, Context, Test, check};
use tokio::process::{Child, Command};
use workspace_emulator::demo;

/// Every test gets a headless Chromium; the processes are each test's own.
struct Chromium(Browser);

impl Context for Chromium {
    fn wrangler_log(&self) -> String {
        "(each test shows its `cargo xtask dev` output when it fails)".into()
    }

    async fn stop(self) {}
}

fn tests() -> Vec<(&'static str, Test<Chromium>)> {
    vec![
        (
            "trunk_serve_signs_in_on_its_port_reloads_on_an_edit_and_sigterm_stops_everything",
            |c| Box::pin(trunk_serve(&c.0)),
        ),
        ("a_killed_xtask_dev_leaves_nothing_running", |_| {
            Box::pin(killed())
        }),
    ]
}

/// Runs the suite's selected tests.
pub async fn run() -> Vec<suite::Outcome> {
    vec![
        suite::run_on(
            "dev",
            tests(),
            async { Browser::launch().await.map(Chromium) },
            |_| (),
        )
        .await,
    ]
}

/// A running `cargo xtask dev`, its output in a file.
struct Dev {
    xtask: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Dev {
    /// Starts `cargo xtask dev ARGS` and waits until it says the portal runs (the first run
    /// builds the SPA and the worker).
    async fn start(args: &[&str]) -> Result<Dev> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log = dir.path().join("dev.log");
        let out = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        // `cargo run` replaces itself with xtask, so the child is xtask itself.
        let xtask = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["run", "--quiet", "-p", "xtask", "--", "dev"])
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(out.try_clone().map_err(|e| e.to_string())?)
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start cargo xtask dev: {e}"))?;
        let mut dev = Dev {
            xtask,
            log,
            _dir: dir,
        };
        let start = Instant::now();
        while !dev.output().contains("Workspace Portal is running") {
            if let Ok(Some(status)) = dev.xtask.try_wait() {
                return Err(format!(
                    "cargo xtask dev stopped ({status}):\n{}",
                    dev.output()
                ));
            }
            if start.elapsed() > Duration::from_secs(900) {
                return Err(format!(
                    "cargo xtask dev was not up in 15 minutes:\n{}",
                    dev.output()
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(dev)
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process groups xtask says it started (`processes  emulator 1, wrangler dev 2, …`).
    fn groups(&self) -> Result<Vec<u32>> {
        let output = self.output();
        let line = output
            .lines()
            .find_map(|l| l.trim().strip_prefix("processes"))
            .ok_or_else(|| format!("xtask named no processes:\n{output}"))?;
        let groups: Vec<u32> = line
            .split([',', ' '])
            .filter_map(|w| w.parse().ok())
            .collect();
        check(groups.len() == 3, || {
            format!("three children expected: {line}")
        })?;
        Ok(groups)
    }

    /// Sends `signal` to xtask, then waits until every process of every group it started is
    /// gone and `ports` are free again.
    async fn signal_and_expect_nothing_left(mut self, signal: &str, ports: &[u16]) -> Result<()> {
        let groups = self.groups()?;
        let pid = self.xtask.id().ok_or("xtask already stopped")?.to_string();
        run_kill(&[signal, &pid]).await;
        let start = Instant::now();
        loop {
            let mut alive = Vec::new();
            for g in &groups {
                if run_kill(&["-0", "--", &format!("-{g}")]).await {
                    alive.push(*g);
                }
            }
            let held: Vec<u16> = ports
                .iter()
                .copied()
                .filter(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_err())
                .collect();
            if alive.is_empty() && held.is_empty() {
                break;
            }
            if start.elapsed() > Duration::from_secs(30) {
                let left = std::process::Command::new("ps")
                    .args(["-eo", "pid,pgid,cmd"])
                    .output()
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                    .unwrap_or_default();
                let left: Vec<&str> = left
                    .lines()
                    .filter(|l| {
                        let pgid = l.split_whitespace().nth(1).and_then(|g| g.parse().ok());
                        pgid.is_some_and(|g: u32| alive.contains(&g))
                    })
                    .collect();
                return Err(format!(
                    "30 s after {signal}: groups {alive:?} still run, ports {held:?} still held:\n{}\n--- xtask's output ---\n{}",
                    left.join("\n"),
                    self.output()
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let status = tokio::time::timeout(Duration::from_secs(10), self.xtask.wait())
            .await
            .map_err(|_| "xtask itself did not stop".to_owned())?
            .map_err(|e| e.to_string())?;
        check(signal == "-KILL" || status.success(), || {
            format!(
                "xtask ended with {status} after {signal}:\n{}",
                self.output()
            )
        })
    }
}

/// A file of the repository with text appended, put back as it was when dropped.
struct Edit {
    path: PathBuf,
    before: String,
}

impl Edit {
    fn append(path: &std::path::Path, text: &str) -> Result<Edit> {
        let before = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        std::fs::write(path, before.clone() + text)
            .map_err(|e| format!("cannot edit {}: {e}", path.display()))?;
        Ok(Edit {
            path: path.to_owned(),
            before,
        })
    }
}

impl Drop for Edit {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.before) {
            eprintln!("could not put {} back: {e}", self.path.display());
        }
    }
}

/// `kill ARGS`; whether it succeeded.
async fn run_kill(args: &[&str]) -> bool {
    Command::new("kill")
        .args(args)
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

async fn trunk_serve(browser: &Browser) -> Result<()> {
    let [port, serve] = free_ports()?;
    let dev = Dev::start(&[
        "--serve",
        "--port",
        &port.to_string(),
        "--serve-port",
        &serve.to_string(),
        "--",
        "--port",
        "0",
    ])
    .await?;
    let trunk = format!("http://127.0.0.1:{serve}");
    let journey = async {
        let page = browser.new_isolated_page().await?;
        page.goto(&format!("{trunk}/")).await?;
        let user = &demo::USERS[0];
        // Through trunk's proxy to the worker, the emulator's login page, and back to trunk.
        sign_in_on(&page, &trunk, user.username, user.password).await?;
        page.eval("window.beforeTheEdit = true").await?;
        // An edit under frontend/ (a rule at the end of the style sheet, taken out again
        // whatever happens): trunk rebuilds, its script reloads the page, and the page has it.
        let edit = Edit::append(
            &root().join("frontend/style.css"),
            "\n:root { --edited-under-trunk-serve: yes; }\n",
        )?;
        page.wait_for(
            "window.beforeTheEdit === undefined && document.querySelector('[data-testid=catalogue], [data-testid=empty]')",
            Duration::from_secs(300),
        )
        .await?;
        let seen = page
            .eval("getComputedStyle(document.documentElement).getPropertyValue('--edited-under-trunk-serve').trim()")
            .await?;
        drop(edit);
        check(seen.as_str() == Some("yes"), || {
            format!("the reloaded page does not have the edit (the custom property is {seen})")
        })?;
        let origin = page.eval("location.origin").await?;
        check(origin.as_str() == Some(trunk.as_str()), || {
            format!("after the reload the page is at {origin}, not trunk's {trunk}")
        })
    };
    let outcome = journey.await;
    // Stopped whatever the journey came to; the journey's failure is the one to tell.
    let stopped = dev
        .signal_and_expect_nothing_left("-TERM", &[port, serve])
        .await;
    let config = root().join(format!(".trunk-{port}.toml"));
    outcome.and(stopped).and(check(!config.exists(), || {
        format!(
            "{} (trunk's proxies to the worker) is left behind",
            config.display()
        )
    }))
}

async fn killed() -> Result<()> {
    let port = free_port()?;
    let dev = Dev::start(&["--port", &port.to_string(), "--", "--port", "0"]).await?;
    dev.signal_and_expect_nothing_left("-KILL", &[port]).await
}
