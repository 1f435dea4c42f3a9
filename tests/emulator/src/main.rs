//! `workspace-emulator --port N [--bind ADDR] [--data FILE] [--redirect-uri URI]...`

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use workspace_emulator::{Emulator, EmulatorConfig, Seed, demo};

const USAGE: &str = "usage: workspace-emulator [--port N] [--bind 127.0.0.1] [--data seed.json] [--redirect-uri URI]...";

fn parse() -> Result<(EmulatorConfig, Vec<String>), String> {
    let mut config = EmulatorConfig::demo();
    let mut redirects = Vec::new();
    let mut port = 8788u16;
    let mut ip: IpAddr = [127, 0, 0, 1].into();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--port" => {
                port = value()?
                    .parse()
                    .map_err(|_| format!("--port needs a number\n{USAGE}"))?
            }
            "--bind" => {
                ip = value()?
                    .parse()
                    .map_err(|_| format!("--bind needs an IP address\n{USAGE}"))?
            }
            "--data" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?;
                config.seed = serde_json::from_str::<Seed>(&text)
                    .map_err(|e| format!("{path} is not a valid seed: {e}"))?;
            }
            "--redirect-uri" => redirects.push(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    config.bind = SocketAddr::new(ip, port);
    Ok((config, redirects))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (config, redirects) = match parse() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("workspace-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let users: Vec<String> = config
        .seed
        .users
        .iter()
        .map(|u| format!("{} / {}", u.username, u.password))
        .collect();
    let client = config
        .seed
        .clients
        .first()
        .map(|c| c.client_id.clone())
        .unwrap_or_default();
    let emulator = match Emulator::start(config.clone()).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("workspace-emulator: cannot listen on {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    for uri in &redirects {
        emulator.add_redirect_uri(&client, uri);
    }
    println!("workspace-emulator listening on {}", emulator.url());
    println!("  demo users: {}", users.join(", "));
    if client == demo::CLIENT_ID {
        println!(
            "  client {} (application id {})",
            demo::CLIENT_ID,
            demo::APPLICATION_ID
        );
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
