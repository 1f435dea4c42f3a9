//! Who holds a port, from `/proc` (Linux): so that `cargo xtask dev` can say when a port is held
//! by a leftover of an earlier run, and how to stop it.

use std::path::Path;

/// A process listening on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// Its process group: `cargo xtask dev` starts each child as the leader of one.
    pub pgid: u32,
    /// Its command line, arguments separated by spaces.
    pub command: String,
    /// The `cargo xtask dev` it runs under, when that is still running.
    pub xtask: Option<u32>,
}

impl Holder {
    /// One of the programs `cargo xtask dev` starts (the emulator, wrangler and its workerd,
    /// trunk), which a stopped run may have left behind.
    pub fn is_ours(&self) -> bool {
        let program = self.command.split(' ').next().unwrap_or_default();
        let name = program.rsplit('/').next().unwrap_or_default();
        matches!(name, "workspace-emulator" | "workerd" | "trunk")
            || self.command.contains("wrangler")
    }

    /// What to tell a person about a port it holds.
    pub fn explain(&self, port: u16) -> String {
        if let Some(xtask) = self.xtask {
            format!(
                "port {port} is held by a running `cargo xtask dev` (pid {xtask}, through `{}`); stop it with Ctrl-C in its terminal or `kill {xtask}`, or choose other ports (`cargo xtask dev --port N`)",
                self.command
            )
        } else if self.is_ours() {
            format!(
                "port {port} is held by a leftover of an earlier `cargo xtask dev`: `{}` (pid {}); stop it and its process group with `kill -- -{}`",
                self.command, self.pid, self.pgid
            )
        } else {
            format!(
                "port {port} is in use by `{}` (pid {}); stop it, or run on other ports (`cargo xtask dev --port N`)",
                self.command, self.pid
            )
        }
    }
}

/// The process listening on `port` on any address, when `/proc` tells (a process of another
/// user may be hidden).
pub fn listener(port: u16) -> Option<Holder> {
    let inode = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .find_map(|text| listening_inode(&text, port))?;
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .into_iter()
                .flatten()
                .flatten()
                .any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|target| target == Path::new(&socket))
                })
        })
        .map(|pid| Holder {
            pid,
            pgid: stat_field(pid, 2).unwrap_or(pid),
            command: command(pid),
            xtask: std::iter::successors(stat_field(pid, 1), |p| stat_field(*p, 1))
                .take(8)
                .find(|p| command(*p).contains("xtask dev")),
        })
}

/// A process's command line, arguments separated by spaces.
fn command(pid: u32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|raw| {
            String::from_utf8_lossy(&raw)
                .split('\0')
                .filter(|a| !a.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// The inode of the socket listening on `port` in a `/proc/net/tcp` table.
fn listening_inode(table: &str, port: u16) -> Option<String> {
    const LISTEN: &str = "0A";
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let local_port = fields.get(1)?.rsplit(':').next()?;
        (u16::from_str_radix(local_port, 16).ok()? == port && *fields.get(3)? == LISTEN)
            .then(|| fields.get(9).map(|s| (*s).to_owned()))
            .flatten()
    })
}

/// A numeric field of `/proc/PID/stat` after the command's closing bracket: 1 the parent, 2 the
/// process group.
fn stat_field(pid: u32, n: usize) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(n)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listener_of_a_port_is_found_with_its_group_and_command() {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let holder = listener(port).expect("this test listens on the port");
        assert_eq!(holder.pid, std::process::id());
        assert_eq!(holder.pgid, stat_field(std::process::id(), 2).unwrap());
        assert_eq!(holder.xtask, None);
        let exe = std::env::current_exe().unwrap();
        assert!(
            holder
                .command
                .contains(exe.file_name().unwrap().to_str().unwrap()),
            "{holder:?}"
        );
        assert!(!holder.is_ours(), "a test binary is not a leftover");
        assert!(holder.explain(port).contains("is in use by"));
        drop(socket);
        assert_eq!(listener(port), None);
    }

    #[test]
    fn leftovers_of_a_dev_run_are_told_apart_and_their_group_is_named() {
        let holder = |command: &str| Holder {
            pid: 40,
            pgid: 31,
            command: command.into(),
            xtask: None,
        };
        for ours in [
            "/work/portal/target/release/workspace-emulator --port 8788",
            "/work/portal/node_modules/@cloudflare/workerd-linux-64/bin/workerd serve --binary",
            "node /work/portal/node_modules/.bin/wrangler dev --port 8787",
            "/root/.cargo/bin/trunk serve --release",
        ] {
            let text = holder(ours).explain(8787);
            assert!(
                text.contains("leftover") && text.contains("kill -- -31"),
                "{text}"
            );
        }
        let running = Holder {
            xtask: Some(20),
            ..holder("/usr/bin/workerd serve")
        }
        .explain(8787);
        assert!(
            running.contains("running `cargo xtask dev` (pid 20") && running.contains("kill 20"),
            "{running}"
        );
        for theirs in ["python3 -m http.server 8787", "/usr/sbin/nginx", ""] {
            let text = holder(theirs).explain(8787);
            assert!(
                !text.contains("leftover") && text.contains("--port"),
                "{text}"
            );
        }
    }

    #[test]
    fn only_a_listening_socket_on_the_port_counts() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2253 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 111 1
   1: 0100007F:2253 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1";
        assert_eq!(listening_inode(table, 8787).as_deref(), Some("222"));
        assert_eq!(listening_inode(table, 8080).as_deref(), Some("333"));
        assert_eq!(listening_inode(table, 8788), None);
    }
}
