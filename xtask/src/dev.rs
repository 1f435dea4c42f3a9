//! `cargo xtask dev`: the emulator, `wrangler dev` and a frontend rebuild loop, together.
//! Each child runs in a process group of its own (wrangler starts node and workerd under it);
//! Ctrl-C, or any child stopping, stops every group.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::sh;

/// The emulator's customer domain; its other Citrix Cloud hosts (accounts, CDN, trust, cws)
/// take the next four ports.
const EMULATOR_PORT: u16 = 8788;
const EMULATOR_HOSTS: u16 = 5;
const PORTAL_PORT: u16 = 8787;

/// Runs the product locally against the emulator.
pub fn run() -> Result<(), String> {
    crate::setup::run()?;
    let root = sh::root();
    let vars = root.join(".dev.vars");
    if !vars.exists() {
        std::fs::copy(root.join(".dev.vars.example"), &vars)
            .map_err(|e| format!("cannot create .dev.vars from .dev.vars.example: {e}"))?;
        eprintln!("dev: created .dev.vars from .dev.vars.example");
    }
    let settings = std::fs::read_to_string(&vars).unwrap_or_default();
    if settings.contains(&format!("CWS_API_URL=http://127.0.0.1:{EMULATOR_PORT}")) {
        eprintln!(
            "dev: .dev.vars predates the emulator's separate hosts (CWS_API_URL on {EMULATOR_PORT}); copy CWS_API_URL, CC_TRUST_URL and ICON_HOSTS from .dev.vars.example"
        );
    }
    if settings.lines().any(|l| l.trim() == "ADMIN_USERS=bob") {
        eprintln!(
            "dev: .dev.vars names the admin `bob`, but ADMIN_USERS now holds subjects (or `email:` entries): set ADMIN_USERS=user-bob, as .dev.vars.example does"
        );
    }
    let emulator_ports = EMULATOR_PORT..EMULATOR_PORT + EMULATOR_HOSTS;
    for port in emulator_ports.chain([PORTAL_PORT]) {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Err(format!(
                "port {port} is in use; stop whatever uses it (another `cargo xtask dev`?) and try again"
            ));
        }
    }
    crate::compile::frontend()?;
    sh::step("building the emulator");
    sh::run(sh::cargo().args(["build", "--release", "-p", "workspace-emulator"]))?;

    let mut children = Children(Vec::new());
    sh::step(&format!(
        "starting the Citrix emulator on 127.0.0.1:{EMULATOR_PORT}-{}",
        EMULATOR_PORT + EMULATOR_HOSTS - 1
    ));
    let mut emulator = sh::tool(
        &root
            .join("target/release/workspace-emulator")
            .to_string_lossy(),
    );
    emulator
        .args(["--port", &EMULATOR_PORT.to_string()])
        .stdout(Stdio::piped());
    let mut child = spawn(&mut emulator)?;
    let stdout = child.stdout.take().expect("piped stdout");
    children.0.push(child);
    let mut banner = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|e| format!("reading the emulator's output: {e}"))?;
        let ready = line.contains("listening on");
        banner.push(line);
        if ready {
            break;
        }
    }
    if banner.iter().all(|l| !l.contains("listening on")) {
        return Err("the emulator stopped before it was ready; see its output above".into());
    }
    // Keep echoing the emulator's output (it prints the demo users after it starts listening).
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| println!("{l}")));

    sh::step(&format!("starting wrangler dev on 127.0.0.1:{PORTAL_PORT}"));
    children.0.push(spawn(sh::tool("wrangler").args([
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        &PORTAL_PORT.to_string(),
        "--show-interactive-dev-session=false",
    ]))?);
    sh::step("watching frontend/ (trunk watch rebuilds dist/, wrangler serves it)");
    children.0.push(spawn(sh::tool("trunk").args([
        "watch",
        "--release",
        "--offline",
    ]))?);

    wait_for_portal(PORTAL_PORT, Duration::from_secs(300))?;
    println!("\n  Workspace Portal is running at http://127.0.0.1:{PORTAL_PORT}/");
    println!(
        "  Sign in with a demo user of the emulator (alice / wonderland, bob / builder — bob is an admin)."
    );
    println!(
        "  The emulator's customer domain is http://127.0.0.1:{EMULATOR_PORT}/ (its other hosts are listed above). Press Ctrl-C to stop everything.\n"
    );
    children.wait_any()
}

fn spawn(cmd: &mut Command) -> Result<Child, String> {
    cmd.process_group(0)
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", sh::describe(cmd)))
}

/// Waits until the worker itself answers (its responses deny framing), not just the port.
fn wait_for_portal(port: u16, limit: Duration) -> Result<(), String> {
    use std::io::{Read, Write};
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut answer = String::new();
            let asked = s.write_all(b"GET /api/session HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
            if asked.is_ok()
                && s.read_to_string(&mut answer).is_ok()
                && answer.to_ascii_lowercase().contains("x-frame-options")
            {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(format!(
        "the portal did not answer on port {port} within {limit:?}; see the output above"
    ))
}

/// Child processes that are stopped together.
struct Children(Vec<Child>);

impl Children {
    fn wait_any(&mut self) -> Result<(), String> {
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .map_err(|e| format!("cannot handle Ctrl-C: {e}"))?;
        loop {
            if interrupted.load(Ordering::SeqCst) {
                eprintln!("\ndev: stopping everything");
                return Ok(());
            }
            for c in &mut self.0 {
                if let Ok(Some(status)) = c.try_wait() {
                    return Err(format!(
                        "a child process stopped ({status}); stopping the others"
                    ));
                }
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        // Each child leads its own process group (wrangler's node and workerd are in it):
        // SIGTERM to the group first, so wrangler can stop its workerd; then make sure.
        let signal_groups = |signal: &str, children: &[Child]| {
            for c in children {
                let _ = Command::new("kill")
                    .args([signal, "--", &format!("-{}", c.id())])
                    .status();
            }
        };
        signal_groups("-TERM", &self.0);
        std::thread::sleep(Duration::from_secs(1));
        signal_groups("-KILL", &self.0);
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}
