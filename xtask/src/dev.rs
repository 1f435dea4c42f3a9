//! `cargo xtask dev`: the emulator, `wrangler dev` and a frontend rebuild loop, together.
//! Ctrl-C reaches every child (they share the terminal's process group); when one child stops,
//! the others are stopped too.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::sh;

const EMULATOR_PORT: u16 = 8788;
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
    for port in [EMULATOR_PORT, PORTAL_PORT] {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            return Err(format!(
                "port {port} is in use; stop whatever uses it (another `cargo xtask dev`?) and try again"
            ));
        }
    }
    crate::build_frontend()?;
    sh::step("building the emulator");
    sh::run(sh::cargo().args(["build", "--release", "-p", "workspace-emulator"]))?;

    let mut children = Children(Vec::new());
    sh::step(&format!(
        "starting the Citrix emulator on 127.0.0.1:{EMULATOR_PORT}"
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

    wait_for_port(PORTAL_PORT, Duration::from_secs(180))?;
    println!("\n  Workspace Portal is running at http://127.0.0.1:{PORTAL_PORT}/");
    println!(
        "  Sign in with a demo user of the emulator (alice / wonderland, bob / builder — bob is an admin)."
    );
    println!(
        "  The emulator itself is at http://127.0.0.1:{EMULATOR_PORT}/. Press Ctrl-C to stop everything.\n"
    );
    children.wait_any()
}

fn spawn(cmd: &mut Command) -> Result<Child, String> {
    cmd.spawn()
        .map_err(|e| format!("could not start {}: {e}", sh::describe(cmd)))
}

fn wait_for_port(port: u16, limit: Duration) -> Result<(), String> {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "nothing answered on port {port} within {limit:?}; see the output above"
    ))
}

/// Child processes that are stopped together.
struct Children(Vec<Child>);

impl Children {
    fn wait_any(&mut self) -> Result<(), String> {
        loop {
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
        // SIGTERM first, so wrangler can stop its workerd; then make sure.
        for c in &self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
        }
        std::thread::sleep(Duration::from_secs(1));
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
