//! `workspace-emulator`: a local Citrix Cloud for development and tests. `--help` lists the flags.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use workspace_emulator::{
    BadTokenStyle, Emulator, EmulatorConfig, LaunchForm, LinkGeneration, Ports, Profile, Seed,
    Topology, demo, generated_resources,
};

const USAGE: &str = "usage: workspace-emulator [flags]    (cargo install --path tests/emulator)

  --port N               the customer domain's port (default 8788; 0 picks free ports for
                         every host); in the realistic topology accounts, cdn, trust and cws
                         listen on N+1 .. N+4
  --bind ADDR            address to listen on (default 127.0.0.1)
  --topology realistic|single
                         one port per Citrix Cloud host (default) or everything on one
  --profile dotnet|plain answers as a .NET service may write them (default: nulls, absent and
                         unknown fields, strings for numbers, redirects) or tidy
  --data FILE            seed file (JSON: customer, users, clients, resources); default: the demo
  --print-seed           print the demo seed as JSON (a starting point for --data) and exit
  --generate N           replace the resources with N generated ones (performance work)
  --redirect-uri URI     add a redirect URI to the first client (repeatable)
  --activation-delay S   seconds before a newly created application id works (default 300)
  --links legacy|current resource link names: launchStatusUrl/launchUrl (default) or
                         icaFileFetchTicketUrl/icaFileUrl
  --launch-form seed|sample
                         launch answers: 202/201 (default) or 200 with status
  --bad-token 400|401    how the store answers bad tokens (default 400 invalid_grant)
  --token-ttl S          access-token lifetime in seconds (default 3600)";

/// `--help`: enough to use the emulator without reading its code.
fn help() -> String {
    let users: Vec<String> = demo::USERS
        .iter()
        .map(|u| format!("{} / {}", u.username, u.password))
        .collect();
    format!(
        "workspace-emulator: a local Citrix Cloud for building against the Citrix Workspace API
without a tenant. Harsher than the real one by default (answers shaped as a .NET service may
write them); it can misbehave on purpose.

It plays Citrix Cloud's hosts on 127.0.0.1, each on its own port (with --port 8788):
  8788  the customer domain (your Workspace URL): discovery, the store, the admin portal (/admin)
  8789  accounts: OIDC (/core/.well-known/openid-configuration, authorize, token, revocation)
  8790  a CDN for some icons      8791  trust: Citrix Cloud API tokens      8792  cws: rpclients
It prints them, the demo users and clients when it starts; Ctrl-C stops it.

The demo seed (--print-seed shows all of it; --data replaces it):
  Workspace URL        http://127.0.0.1:8788 (discovery: GET /citrixapi/discovery/configurations
                       with the header Citrix-ApplicationId)
  private OAuth client {} / {}, application id {}
                       redirect URIs http://127.0.0.1:8787/auth/callback and
                       http://localhost:8787/auth/callback (add yours with --redirect-uri)
  Citrix Cloud API     customer {}, API client {} / {}
  users                {}

At runtime, on the customer domain (JSON over HTTP):
  POST /_emulator/faults    {{\"path\":\"/citrixapi/store/resources\",\"kind\":\"status\",\"status\":503,\"times\":2}}
                            kinds: status, latency (ms), late_answer (ms), timeout, malformed_json,
                            truncated_body, redirect (location); DELETE clears them
  PATCH /_emulator/settings link generation, launch form, bad-token style, token lifetime, clock
  GET /_emulator/log        every request with its Citrix-TransactionId
  /admin                    create, edit, enable, disable, delete and rotate clients

{USAGE}",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
        demo::APPLICATION_ID,
        demo::CUSTOMER_ID,
        demo::CLOUD_CLIENT_ID,
        demo::CLOUD_CLIENT_SECRET,
        users.join(", "),
    )
}

fn parse() -> Result<(EmulatorConfig, Vec<String>), String> {
    let mut config = EmulatorConfig::demo();
    let mut redirects = Vec::new();
    let mut port = 8788u16;
    let mut ip: IpAddr = [127, 0, 0, 1].into();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))
        };
        let number = |v: String, what: &str| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{flag} needs {what}, not {v:?}\n\n{USAGE}"))
        };
        match flag.as_str() {
            "--port" => {
                port = u16::try_from(number(value()?, "a port number")?)
                    .map_err(|_| format!("--port must be at most 65535\n\n{USAGE}"))?
            }
            "--bind" => {
                ip = value()?
                    .parse()
                    .map_err(|_| format!("--bind needs an IP address\n\n{USAGE}"))?
            }
            "--data" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?;
                config.seed = serde_json::from_str::<Seed>(&text)
                    .map_err(|e| format!("{path} is not a valid seed: {e}"))?;
            }
            "--print-seed" => {
                let text = serde_json::to_string_pretty(&demo::seed())
                    .map_err(|e| format!("cannot print the seed: {e}"))?;
                println!("{text}");
                std::process::exit(0);
            }
            "--generate" => {
                let n = number(value()?, "a number of resources")?;
                config.seed.resources = generated_resources(n as usize);
            }
            "--redirect-uri" => redirects.push(value()?),
            "--activation-delay" => {
                config.activation_delay = Duration::from_secs(number(value()?, "seconds")?)
            }
            "--links" => {
                config.settings.links = match value()?.as_str() {
                    "legacy" => LinkGeneration::Legacy,
                    "current" => LinkGeneration::Current,
                    v => return Err(format!("--links is legacy or current, not {v:?}")),
                }
            }
            "--launch-form" => {
                config.settings.launch_form = match value()?.as_str() {
                    "seed" => LaunchForm::Seed,
                    "sample" => LaunchForm::Sample,
                    v => return Err(format!("--launch-form is seed or sample, not {v:?}")),
                }
            }
            "--bad-token" => {
                config.settings.bad_token = match value()?.as_str() {
                    "400" => BadTokenStyle::InvalidGrant400,
                    "401" => BadTokenStyle::Unauthorized401,
                    v => return Err(format!("--bad-token is 400 or 401, not {v:?}")),
                }
            }
            "--topology" => {
                config.topology = match value()?.as_str() {
                    "realistic" => Topology::Realistic,
                    "single" => Topology::Single,
                    v => return Err(format!("--topology is realistic or single, not {v:?}")),
                }
            }
            "--profile" => {
                config.settings.profile = match value()?.as_str() {
                    "dotnet" => Profile::DotNet,
                    "plain" => Profile::Plain,
                    v => return Err(format!("--profile is dotnet or plain, not {v:?}")),
                }
            }
            "--token-ttl" => config.settings.access_token_ttl_secs = number(value()?, "seconds")?,
            "-h" | "--help" => {
                println!("{}", help());
                std::process::exit(0);
            }
            other => return Err(format!("unknown flag {other}\n\n{USAGE}")),
        }
    }
    config.bind = SocketAddr::new(ip, port);
    config.ports = Ports::consecutive(port);
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
    let seed = config.seed.clone();
    let emulator = match Emulator::start(config.clone()).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!(
                "workspace-emulator: cannot listen on {} (ports {}): {e} (is another emulator running? try --port)",
                config.bind.ip(),
                match config.topology {
                    Topology::Single => config.ports.customer.to_string(),
                    Topology::Realistic => {
                        let p = config.ports;
                        format!(
                            "{}, {}, {}, {}, {}",
                            p.customer, p.accounts, p.cdn, p.trust, p.cws
                        )
                    }
                },
            );
            return ExitCode::FAILURE;
        }
    };
    let first_client = seed.clients.first();
    for uri in &redirects {
        if let Some(c) = first_client {
            emulator.add_redirect_uri(&c.client_id, uri);
        }
    }
    let url = emulator.url();
    let hosts = emulator.hosts();
    println!("workspace-emulator listening on {url}");
    if config.topology == Topology::Realistic {
        println!("  customer        {}", hosts.customer);
        println!(
            "  custom domain   {} (redirects to the customer domain)",
            hosts.custom_domain
        );
        println!("  accounts (OIDC) {}", hosts.accounts);
        println!("  cdn (icons)     {}", hosts.cdn);
        println!("  trust (tokens)  {}", hosts.trust);
        println!("  cws (rpclients) {}", hosts.cws);
    } else {
        println!("  single host: every role on {url}");
    }
    let profile = match config.settings.profile {
        Profile::DotNet => "dotnet",
        Profile::Plain => "plain",
    };
    println!("  answer profile: {profile}");
    let users: Vec<String> = seed
        .users
        .iter()
        .map(|u| format!("{} / {}", u.username, u.password))
        .collect();
    println!("  demo users: {}", users.join(", "));
    for c in &seed.clients {
        println!(
            "  OAuth client {} ({}; application id {})",
            c.client_id,
            if c.secret.is_some() {
                "private"
            } else {
                "public"
            },
            c.application_id
        );
    }
    println!(
        "  {} resources · admin portal {url}/admin · control API {url}/_emulator/settings",
        seed.resources.len()
    );
    let _ = tokio::signal::ctrl_c().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}
