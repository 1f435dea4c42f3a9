//! `cargo xtask dev`: the emulator, `wrangler dev` and trunk (a rebuild loop, or `trunk serve`
//! with live reload), together.
//!
//! Each child runs in a process group of its own (wrangler starts node and workerd under it).
//! Ctrl-C, SIGTERM (an IDE's stop button, `kill`) or SIGHUP (a closing terminal), or any child
//! stopping, stops every group. Should xtask die without doing so (SIGKILL), each child gets
//! SIGTERM from the kernel when its parent is gone, and wrangler passes it on to workerd.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::{procs, sh};

const USAGE: &str =
    "usage: cargo xtask dev [--port N] [--serve] [--serve-port N] [-- EMULATOR FLAGS]

  --port N          the portal (wrangler dev) on 127.0.0.1:N (default 8787); the emulator's hosts
                    on N+1 .. N+5 unless the emulator flags say --port
  --serve           `trunk serve` instead of `trunk watch`: open the portal on trunk's port, where
                    an edit rebuilds the SPA and reloads the page; sign-in returns there
  --serve-port N    trunk serve's port (default 8080)
  -- FLAGS         passed to the emulator as they are: --generate 5000, --data FILE,
                    --topology single, --profile plain, --activation-delay S, --token-ttl S, ...
                    (`cargo run -p workspace-emulator -- --help` lists them)";

/// What `cargo xtask dev` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    port: u16,
    /// trunk serve's port, when serving.
    serve: Option<u16>,
    emulator_args: Vec<String>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            port: 8787,
            serve: None,
            emulator_args: Vec::new(),
        };
        let mut serve_port = 8080;
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut port = || -> Result<u16, String> {
                let value = args
                    .next()
                    .ok_or_else(|| format!("{arg} needs a port\n\n{USAGE}"))?;
                value
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| format!("{arg} needs a port from 1 to 65535, not {value:?}"))
            };
            match arg.as_str() {
                "--port" => options.port = port()?,
                "--serve" => options.serve = Some(serve_port),
                "--serve-port" => {
                    serve_port = port()?;
                    options.serve = Some(serve_port);
                }
                "--" => {
                    options.emulator_args = args.cloned().collect();
                    break;
                }
                "-h" | "--help" => return Err(USAGE.into()),
                other => return Err(format!("unknown option {other:?}\n\n{USAGE}")),
            }
        }
        if options.emulator_flag("--port").is_none() && options.port > u16::MAX - 5 {
            return Err(format!(
                "--port {} leaves no room for the emulator's five ports above it",
                options.port
            ));
        }
        Ok(options)
    }

    /// The value of an emulator flag, when given.
    fn emulator_flag(&self, flag: &str) -> Option<&str> {
        let at = self.emulator_args.iter().position(|a| a == flag)?;
        self.emulator_args.get(at + 1).map(String::as_str)
    }

    /// The emulator's flags: the customer domain's port and the portal's redirect URIs first
    /// (the demo seed knows only 8787's), then the developer's, which win.
    fn emulator_command_line(&self) -> Vec<String> {
        let mut line = Vec::new();
        if self.emulator_flag("--port").is_none() {
            line.extend(["--port".to_owned(), (self.port + 1).to_string()]);
        }
        for origin in self.origins() {
            line.extend([
                "--redirect-uri".to_owned(),
                format!("{origin}/auth/callback"),
            ]);
        }
        line.extend(self.emulator_args.iter().cloned());
        line
    }

    /// Where people open the portal: trunk's origin when serving, which is then the worker's
    /// PORTAL_URL, else the worker's own.
    fn origins(&self) -> Vec<String> {
        let port = self.serve.unwrap_or(self.port);
        vec![
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ]
    }

    /// The ports to check before starting: the portal's, trunk's, and the emulator's when known
    /// (`--port 0` lets it pick).
    fn ports(&self) -> Vec<u16> {
        let mut ports = vec![self.port];
        ports.extend(self.serve);
        let emulator = match self.emulator_flag("--port") {
            Some(p) => p.parse().unwrap_or(0),
            None => self.port + 1,
        };
        let hosts = if self.emulator_flag("--topology") == Some("single") {
            1
        } else {
            5
        };
        if emulator != 0 {
            ports.extend((0..hosts).filter_map(|i| emulator.checked_add(i)));
        }
        ports
    }
}

/// The emulator's hosts, as its banner lists them.
#[derive(Debug, Default, PartialEq, Eq)]
struct Hosts {
    customer: String,
    cdn: String,
    trust: String,
    cws: String,
}

impl Hosts {
    /// Reads the banner the emulator prints when it listens: `listening on URL`, then one line
    /// per role in the realistic topology (the single topology plays every role on URL).
    fn from_banner(lines: &[String]) -> Option<Hosts> {
        let url = lines
            .iter()
            .find_map(|l| l.split_once("listening on ").map(|(_, u)| u.trim()))?;
        let role = |name: &str| {
            lines
                .iter()
                .find_map(|l| {
                    let rest = l.trim_start().strip_prefix(name)?;
                    rest.split_whitespace().find(|w| w.starts_with("http"))
                })
                .unwrap_or(url)
                .to_owned()
        };
        Some(Hosts {
            customer: role("customer "),
            cdn: role("cdn "),
            trust: role("trust "),
            cws: role("cws "),
        })
    }

    /// The worker's settings that name the emulator's hosts: they replace `.dev.vars`' values,
    /// so that any port or topology works without editing it.
    fn worker_vars(&self) -> [(&'static str, &str); 4] {
        [
            ("WORKSPACE_URL", &self.customer),
            ("ICON_HOSTS", &self.cdn),
            ("CWS_API_URL", &self.cws),
            ("CC_TRUST_URL", &self.trust),
        ]
    }
}

/// Runs the product locally against the emulator.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    crate::setup::run()?;
    let root = sh::root();
    let vars = root.join(".dev.vars");
    if !vars.exists() {
        std::fs::copy(root.join(".dev.vars.example"), &vars)
            .map_err(|e| format!("cannot create .dev.vars from .dev.vars.example: {e}"))?;
        eprintln!("dev: created .dev.vars from .dev.vars.example");
    }
    let settings = std::fs::read_to_string(&vars).unwrap_or_default();
    if settings.lines().any(|l| l.trim() == "ADMIN_USERS=bob") {
        eprintln!(
            "dev: .dev.vars names the admin `bob`, but ADMIN_USERS now holds subjects (or `email:` entries): set ADMIN_USERS=user-bob, as .dev.vars.example does"
        );
    }
    let mut holders: Vec<u32> = Vec::new();
    let busy: Vec<String> = options
        .ports()
        .into_iter()
        .filter(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_err())
        .filter_map(|port| match procs::listener(port) {
            // One line per run (or process group), however many of its ports are asked for.
            Some(holder) if holders.contains(&holder.xtask.unwrap_or(holder.pgid)) => None,
            Some(holder) => {
                holders.push(holder.xtask.unwrap_or(holder.pgid));
                Some(holder.explain(port))
            }
            None => Some(format!("port {port} is in use; stop whatever uses it, or choose other ports (`cargo xtask dev --port N`)")),
        })
        .collect();
    if !busy.is_empty() {
        return Err(busy.join("\n"));
    }
    crate::compile::frontend()?;
    sh::step("building the emulator");
    // The dev profile: the emulator and its JSON are optimised there (the workspace's
    // profile.dev overrides), it is what the tests build anyway, and the release profile's LTO
    // would make a fresh machine wait minutes longer.
    sh::run(sh::cargo().args(["build", "-p", "workspace-emulator"]))?;

    let mut children = Children::new()?;
    let emulator_line = options.emulator_command_line();
    sh::step(&format!(
        "starting the Citrix emulator: workspace-emulator {}",
        emulator_line.join(" ")
    ));
    let mut emulator = sh::tool(
        &sh::target_dir()
            .join("debug/workspace-emulator")
            .to_string_lossy(),
    );
    emulator.args(&emulator_line).stdout(Stdio::piped());
    let mut child = spawn(&mut emulator)?;
    let stdout = child.stdout.take().expect("piped stdout");
    children.running.push(("emulator", child));
    let mut banner = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|e| format!("reading the emulator's output: {e}"))?;
        println!("{line}");
        // The banner ends with the resources line.
        let done = line.contains("resources ·");
        banner.push(line);
        if done {
            break;
        }
    }
    let hosts = Hosts::from_banner(&banner)
        .ok_or("the emulator stopped before it was ready; see its output above")?;
    // Keep echoing the emulator's output.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|l| println!("{l}")));

    sh::step(&format!(
        "starting wrangler dev on 127.0.0.1:{}",
        options.port
    ));
    let mut wrangler = sh::tool("wrangler");
    wrangler.args([
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        &options.port.to_string(),
        "--show-interactive-dev-session=false",
    ]);
    let mut overridden: Vec<(&str, &str)> = hosts.worker_vars().to_vec();
    let portal_url = options.origins().remove(0);
    if options.serve.is_some() {
        overridden.push(("PORTAL_URL", &portal_url));
    }
    for (name, value) in &overridden {
        wrangler.args(["--var", &format!("{name}:{value}")]);
    }
    children
        .running
        .push(("wrangler dev", spawn(&mut wrangler)?));
    let mut trunk = sh::tool("trunk");
    match options.serve {
        Some(port) => {
            sh::step(&format!(
                "serving frontend/ with live reload: trunk serve on 127.0.0.1:{port}"
            ));
            // Its own output directory: dist/ never gets trunk's live-reload script, which
            // `wrangler deploy` would otherwise publish.
            trunk
                .arg("--config")
                .arg(
                    children
                        .written
                        .insert(write_trunk_config(options.port)?)
                        .as_path(),
                )
                .args([
                    "serve",
                    "--release",
                    "--offline",
                    "--port",
                    &port.to_string(),
                ])
                .arg("--dist")
                .arg(sh::target_dir().join("trunk-serve"));
        }
        None => {
            sh::step("watching frontend/ (trunk watch rebuilds dist/, wrangler serves it)");
            trunk.args(["watch", "--release", "--offline"]);
        }
    }
    children.running.push(("trunk", spawn(&mut trunk)?));

    let limit = Duration::from_secs(300);
    children.wait_for(options.port, "/api/session", "x-frame-options", limit)?;
    if let Some(port) = options.serve {
        children.wait_for(port, "/", "200 ok", limit)?;
    }
    let open = options.serve.map_or_else(
        || format!("http://127.0.0.1:{}/", options.port),
        |port| format!("http://127.0.0.1:{port}/"),
    );
    println!("\n  Workspace Portal is running: open {open}");
    println!(
        "  Sign in with a demo user of the emulator (alice / wonderland, bob / builder — bob is an admin).\n"
    );
    if let Some(port) = options.serve {
        println!(
            "  trunk serve      http://127.0.0.1:{port}/  the SPA, rebuilt and reloaded on every edit; /api and /auth go to the worker"
        );
    }
    println!(
        "  wrangler dev     http://127.0.0.1:{}/  the worker, serving dist/",
        options.port
    );
    println!(
        "  emulator         {}  (its other hosts are listed above)",
        hosts.customer
    );
    println!(
        "  settings         .dev.vars, with {} set for this run",
        overridden
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    if !options.emulator_args.is_empty() {
        println!("  emulator flags   {}", options.emulator_args.join(" "));
    }
    println!(
        "  processes        {} (each leads its process group)",
        children
            .running
            .iter()
            .map(|(name, c)| format!("{name} {}", c.id()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  Ctrl-C (or SIGTERM, SIGHUP) stops everything; `cargo xtask doctor` checks .dev.vars against the emulator.\n"
    );
    children.wait_any()
}

/// For a worker on another port than Trunk.toml's proxies name, a copy of Trunk.toml beside it
/// (so its relative paths hold) that proxies to that port; removed when xtask stops.
fn write_trunk_config(port: u16) -> Result<PathBuf, String> {
    const PROXIED: &str = "http://127.0.0.1:8787/";
    let root = sh::root();
    let text = std::fs::read_to_string(root.join("Trunk.toml"))
        .map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    if !text.contains(PROXIED) {
        return Err(format!("Trunk.toml's proxies no longer name {PROXIED}"));
    }
    let path = root.join(format!(".trunk-{port}.toml"));
    std::fs::write(
        &path,
        text.replace(PROXIED, &format!("http://127.0.0.1:{port}/")),
    )
    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Starts a child as the leader of a process group of its own, asking the kernel to send it
/// SIGTERM when xtask is gone.
fn spawn(cmd: &mut Command) -> Result<Child, String> {
    let parent = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec and calls only prctl,
    // getppid and _exit, which are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // xtask may have died before prctl: then no signal would ever come.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    cmd.process_group(0)
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", sh::describe(cmd)))
}

/// Child processes that are stopped together, by name, and what was written for them.
struct Children {
    running: Vec<(&'static str, Child)>,
    /// Set by Ctrl-C, SIGTERM or SIGHUP.
    stop: Arc<AtomicBool>,
    /// A file written for this run (trunk's config for another worker port).
    written: Option<PathBuf>,
}

impl Children {
    /// None yet; from now on a signal stops whatever is started.
    fn new() -> Result<Children, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        // With ctrlc's `termination` feature this is SIGINT, SIGTERM and SIGHUP.
        ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
            .map_err(|e| format!("cannot handle Ctrl-C, SIGTERM and SIGHUP: {e}"))?;
        Ok(Children {
            running: Vec::new(),
            stop,
            written: None,
        })
    }

    /// `Ok(true)` once a signal asked to stop; an error once a child has stopped.
    fn stopping(&mut self) -> Result<bool, String> {
        for (name, c) in &mut self.running {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(format!("{name} stopped ({status}); stopping the others"));
            }
        }
        Ok(self.stop.load(Ordering::SeqCst))
    }

    /// Waits until `port` answers `path` with `expect` in its head (any case): the worker's
    /// own answers deny framing, trunk serves its page once its first build is done.
    fn wait_for(
        &mut self,
        port: u16,
        path: &str,
        expect: &str,
        limit: Duration,
    ) -> Result<(), String> {
        use std::io::{Read, Write};
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if self.stopping()? {
                return Err("stopped before everything was up".into());
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let mut answer = String::new();
                let asked = s.write_all(
                    format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes(),
                );
                if asked.is_ok()
                    && s.read_to_string(&mut answer).is_ok()
                    && answer.to_ascii_lowercase().contains(expect)
                {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        Err(format!(
            "nothing answered {path} on port {port} within {limit:?}; see the output above"
        ))
    }

    /// Until a signal (then `Ok`) or a child stops.
    fn wait_any(&mut self) -> Result<(), String> {
        loop {
            if self.stopping()? {
                eprintln!("\ndev: stopping everything");
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        // Each child leads its own process group (wrangler's node and workerd are in it):
        // SIGTERM to the group first, so wrangler can stop its workerd; then make sure.
        if let Some(file) = &self.written {
            let _ = std::fs::remove_file(file);
        }
        let signal_groups = |signal: libc::c_int, children: &[(&str, Child)]| {
            for (_, c) in children {
                // SAFETY: kill(2) with a negative pid signals that process group; no memory
                // is involved.
                unsafe { libc::kill(-(c.id() as libc::pid_t), signal) };
            }
        };
        signal_groups(libc::SIGTERM, &self.running);
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(5)
            && self
                .running
                .iter_mut()
                .any(|(_, c)| matches!(c.try_wait(), Ok(None)))
        {
            std::thread::sleep(Duration::from_millis(100));
        }
        signal_groups(libc::SIGKILL, &self.running);
        for (_, c) in &mut self.running {
            let _ = c.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn emulator_flags_pass_through_after_the_portals_own() {
        let o = Options::parse(&args("-- --generate 5000 --data seed.json")).unwrap();
        assert_eq!(o.port, 8787);
        assert_eq!(o.serve, None);
        assert_eq!(
            o.emulator_command_line().join(" "),
            "--port 8788 --redirect-uri http://127.0.0.1:8787/auth/callback --redirect-uri http://localhost:8787/auth/callback --generate 5000 --data seed.json"
        );
        assert_eq!(o.ports(), [8787, 8788, 8789, 8790, 8791, 8792]);
    }

    #[test]
    fn serving_registers_trunks_origin_and_checks_its_port() {
        let o = Options::parse(&args(
            "--serve --port 9000 -- --topology single --port 9100",
        ))
        .unwrap();
        assert_eq!(o.serve, Some(8080));
        assert_eq!(o.origins()[0], "http://127.0.0.1:8080");
        let line = o.emulator_command_line().join(" ");
        assert!(
            line.starts_with("--redirect-uri http://127.0.0.1:8080/auth/callback"),
            "{line}"
        );
        assert!(line.ends_with("--topology single --port 9100"), "{line}");
        assert_eq!(o.ports(), [9000, 8080, 9100]);
        let o = Options::parse(&args("--serve-port 8081 -- --port 0")).unwrap();
        assert_eq!(o.serve, Some(8081));
        assert_eq!(o.ports(), [8787, 8081]);
    }

    #[test]
    fn bad_options_are_explained() {
        for (line, says) in [
            ("--port", "--port needs a port"),
            ("--port 0", "from 1 to 65535"),
            ("--port http", "not \"http\""),
            ("--port 65533", "no room"),
            ("--generate 5000", "unknown option \"--generate\""),
        ] {
            let e = Options::parse(&args(line)).unwrap_err();
            assert!(e.contains(says), "{line}: {e}");
        }
        assert!(
            Options::parse(&args("--help"))
                .unwrap_err()
                .starts_with("usage:")
        );
    }

    #[test]
    fn the_worker_is_pointed_at_the_hosts_the_emulator_prints() {
        let lines: Vec<String> = [
            "workspace-emulator listening on http://127.0.0.1:9001",
            "  customer        http://127.0.0.1:9001",
            "  custom domain   http://localhost:9001 (redirects to the customer domain)",
            "  accounts (OIDC) http://127.0.0.1:9002",
            "  cdn (icons)     http://127.0.0.1:9003",
            "  trust (tokens)  http://127.0.0.1:9004",
            "  cws (rpclients) http://127.0.0.1:9005",
        ]
        .map(str::to_owned)
        .to_vec();
        let hosts = Hosts::from_banner(&lines).unwrap();
        assert_eq!(
            hosts.worker_vars(),
            [
                ("WORKSPACE_URL", "http://127.0.0.1:9001"),
                ("ICON_HOSTS", "http://127.0.0.1:9003"),
                ("CWS_API_URL", "http://127.0.0.1:9005"),
                ("CC_TRUST_URL", "http://127.0.0.1:9004"),
            ]
        );
        let single = [
            "workspace-emulator listening on http://127.0.0.1:9100",
            "  single host: every role on http://127.0.0.1:9100",
        ]
        .map(str::to_owned);
        let hosts = Hosts::from_banner(&single).unwrap();
        assert!(
            hosts
                .worker_vars()
                .iter()
                .all(|(_, v)| *v == "http://127.0.0.1:9100")
        );
        assert_eq!(Hosts::from_banner(&["cannot listen".to_owned()]), None);
    }
}
