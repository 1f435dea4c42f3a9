//! The worker's side, on loopback: each API route a person uses beside the runtime's floor (a
//! static asset, and a worker route that does nothing but route: an unknown `/api` path) and the
//! direct call to the emulator's store with a Bearer token, as the worker makes it. Each at 1 and
//! 16 connections, with catalogues of 40, 1,000 and 5,000 resources (the routes whose cost does
//! not depend on the catalogue only at 40).
//!
//! What each route costs is counted in a request made alone: Durable Object calls from the
//! worker's `Server-Timing` header, upstream calls from the emulator's request log (which also
//! sees the calls a Durable Object makes), and the answer's bytes.
//!
//! `BENCH_SECONDS` sets each measurement's window (default 3).

use std::time::{Duration, Instant};

use portal_e2e::Result;
use portal_e2e::stack::{Options, Stack};
use portal_e2e::visitor::{CSRF, Visitor};
use reqwest::{Method, Request};
use workspace_emulator::{demo, generated_resources};

const SIZES: [usize; 3] = [40, 1000, 5000];
const CONNECTIONS: [usize; 2] = [1, 16];
const WARMUP: Duration = Duration::from_millis(300);

/// How long each measurement runs.
fn window() -> Duration {
    let secs = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

/// One request to measure, cloned for every send.
struct Target {
    name: &'static str,
    request: Request,
    /// A worker API route (held to one Durable Object call).
    api: bool,
}

/// What a request made alone cost.
struct Cost {
    objects: Option<u32>,
    upstream: usize,
    bytes: usize,
}

/// Throughput and latency at one number of connections.
#[derive(Clone, Copy)]
struct Load {
    per_sec: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

/// One target's row.
struct Row {
    name: &'static str,
    api: bool,
    cost: Cost,
    loads: Vec<Load>,
}

/// Measures every size and prints the tables.
pub async fn run() -> Result<()> {
    let started = Instant::now();
    let mut slope = Vec::new();
    for n in SIZES {
        let rows = stack(n).await.map_err(|e| format!("n={n}: {e}"))?;
        report(n, &rows);
        let p50 = |name| rows.iter().find(|r| r.name == name).map(|r| r.loads[0].p50);
        slope.push((n, p50("direct store call"), p50("GET /api/resources")));
    }
    report_slope(&slope);
    eprintln!("bench bff: measured in {:.1?}", started.elapsed());
    Ok(())
}

async fn stack(n: usize) -> Result<Vec<Row>> {
    let stack = Stack::spawn(Options {
        emulator: Some(Box::new(move |c| c.seed.resources = generated_resources(n))),
        ..Options::default()
    })
    .await?;
    let outcome = measure(&stack, n).await;
    if outcome.is_err() {
        eprintln!("\n--- wrangler dev log ---\n{}", stack.wrangler_log());
    }
    stack.stop().await;
    outcome
}

async fn measure(stack: &Stack, n: usize) -> Result<Vec<Row>> {
    let user = &demo::USERS[0];
    let visitor = Visitor::signed_in(&stack.portal, user.username, user.password).await?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| e.to_string())?;
    let targets = targets(stack, &visitor, &client, n).await?;
    let mut rows = Vec::new();
    for t in targets {
        let cost = cost(stack, &client, &t).await?;
        let mut loads = Vec::new();
        for c in CONNECTIONS {
            loads.push(load(&client, &t.request, c).await?);
        }
        rows.push(Row {
            name: t.name,
            api: t.api,
            cost,
            loads,
        });
    }
    Ok(rows)
}

/// The requests, with ids taken from the catalogue: an app that launches at once.
async fn targets(
    stack: &Stack,
    visitor: &Visitor,
    client: &reqwest::Client,
    n: usize,
) -> Result<Vec<Target>> {
    let portal = &stack.portal;
    let cookie = visitor.cookie_header();
    let build = |method: Method, path: &str, headers: &[(&str, &str)]| -> Result<Request> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{portal}{path}")
        };
        let mut r = client.request(method, url);
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.build().map_err(|e| e.to_string())
    };
    let signed_in = [("Cookie", cookie.as_str())];
    let catalogue: portal_shared::api::Catalogue = visitor
        .json("/api/resources")
        .await
        .and_then(|v| serde_json::from_value(v).map_err(|e| format!("the catalogue: {e}")))?;
    if catalogue.resources.len() < n.min(40) {
        return Err(format!(
            "the catalogue has {} resources, not {n}",
            catalogue.resources.len()
        ));
    }
    let app = launchable_at_once(visitor, &catalogue).await?;
    let icon = catalogue
        .resources
        .iter()
        .find_map(|r| r.icon_url.clone())
        .ok_or("no resource has an icon")?;
    let token = stack
        .emulator
        .live_access_token(demo::USERS[0].username)
        .ok_or("the emulator holds no live access token for the user")?;
    let bearer = format!("Bearer {token}");
    let direct = build(
        Method::GET,
        &format!(
            "{}/citrixapi/store/resources?acceptCachedResults=true",
            stack.emulator.hosts().customer
        ),
        &[
            ("Authorization", &bearer),
            ("Citrix-ApplicationId", demo::APPLICATION_ID),
            ("Accept", "application/json"),
        ],
    )?;
    let mut targets = vec![
        Target {
            name: "static asset (floor)",
            request: build(Method::GET, "/favicon.svg", &[])?,
            api: false,
        },
        Target {
            name: "worker route (floor)",
            request: build(Method::GET, "/api/bench-floor", &signed_in)?,
            api: false,
        },
        Target {
            name: "direct store call",
            request: direct,
            api: false,
        },
        Target {
            name: "GET /api/resources",
            request: build(Method::GET, "/api/resources", &signed_in)?,
            api: true,
        },
    ];
    if n == SIZES[0] {
        let same_origin = ("Sec-Fetch-Site", "same-origin");
        let changing = [signed_in[0], CSRF, same_origin];
        targets.extend([
            Target {
                name: "GET /api/session",
                request: build(Method::GET, "/api/session", &signed_in)?,
                api: true,
            },
            Target {
                name: "GET /api/icons/{id}",
                request: build(Method::GET, &icon, &signed_in)?,
                api: true,
            },
            Target {
                name: "PUT /api/resources/{id}/favorite",
                request: build(
                    Method::PUT,
                    &format!("/api/resources/{app}/favorite"),
                    &changing,
                )?,
                api: true,
            },
            Target {
                name: "POST /api/resources/{id}/launch",
                request: build(
                    Method::POST,
                    &format!("/api/resources/{app}/launch"),
                    &changing,
                )?,
                api: true,
            },
            Target {
                name: "GET /api/resources/{id}/ica",
                request: build(
                    Method::GET,
                    &format!("/api/resources/{app}/ica"),
                    &[signed_in[0], same_origin],
                )?,
                api: true,
            },
        ]);
    }
    Ok(targets)
}

/// The first launchable resource whose launch is ready without polling.
async fn launchable_at_once(
    visitor: &Visitor,
    catalogue: &portal_shared::api::Catalogue,
) -> Result<String> {
    for r in catalogue.resources.iter().filter(|r| r.launchable).take(20) {
        let path = format!("/api/resources/{}/launch", r.id);
        let answer = visitor.send(Method::POST, &path).await?;
        let body: serde_json::Value = answer.json().await.map_err(|e| e.to_string())?;
        if body["state"] == "ready" {
            return Ok(r.id.clone());
        }
    }
    Err("no resource launched without polling".into())
}

/// One request made alone: Durable Object calls, upstream calls, bytes.
async fn cost(stack: &Stack, client: &reqwest::Client, t: &Target) -> Result<Cost> {
    let before = stack.emulator.transaction_log().len();
    let request = t
        .request
        .try_clone()
        .ok_or("a request that cannot be cloned")?;
    let response = client
        .execute(request)
        .await
        .map_err(|e| format!("{}: {e}", t.name))?;
    let objects = response
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(object_calls);
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() && t.name != "worker route (floor)" {
        return Err(format!("{}: {status}", t.name));
    }
    // The emulator logs a request once it has answered it; the worker's own calls are done
    // before it answers, so the log is complete here.
    let upstream = stack.emulator.transaction_log().len() - before;
    let direct = !t.request.url().as_str().starts_with(&stack.portal);
    Ok(Cost {
        objects,
        upstream: upstream.saturating_sub(usize::from(direct)),
        bytes: body.len(),
    })
}

/// The Durable Object calls in a `Server-Timing` value (`object;dur=3;desc="2", …`).
fn object_calls(value: &str) -> Option<u32> {
    value
        .split(',')
        .map(str::trim)
        .find(|m| m.starts_with("object;"))?
        .split(';')
        .find_map(|p| p.trim().strip_prefix("desc="))?
        .trim_matches('"')
        .parse()
        .ok()
}

/// `connections` loops sending `request` for the window, after a warm-up.
async fn load(client: &reqwest::Client, request: &Request, connections: usize) -> Result<Load> {
    let window = window();
    let mut tasks = Vec::new();
    let started = Instant::now();
    let measure_from = started + WARMUP;
    let until = measure_from + window;
    for _ in 0..connections {
        let client = client.clone();
        let template = request
            .try_clone()
            .ok_or("a request that cannot be cloned")?;
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::new();
            let mut errors = 0;
            // At least one measured request, however slow the route is against the window.
            while Instant::now() < until || took.is_empty() {
                let Some(r) = template.try_clone() else {
                    break;
                };
                let t0 = Instant::now();
                let ok = match client.execute(r).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success() || resp.status() == 404;
                        resp.bytes().await.is_ok() && ok
                    }
                    Err(_) => false,
                };
                if t0 >= measure_from || Instant::now() >= until {
                    took.push(t0.elapsed().as_secs_f64() * 1000.0);
                    errors += usize::from(!ok);
                }
            }
            (took, errors)
        }));
    }
    let mut took = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (mut one, e) = t.await.map_err(|e| e.to_string())?;
        took.append(&mut one);
        errors += e;
    }
    if took.is_empty() {
        return Err("no request completed in the window".into());
    }
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() - 1) as f64 * q).round() as usize];
    Ok(Load {
        per_sec: took.len() as f64 / window.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        errors,
    })
}

fn report(n: usize, rows: &[Row]) {
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    let (Some(floor), Some(direct)) = (find("static asset (floor)"), find("direct store call"))
    else {
        return;
    };
    println!("\nBFF, {n} resources ({:.0?} windows)", window());
    println!(
        "| route | objects | upstream | bytes | 1 conn p50 ms | 16 conn req/s | 16 conn p50 ms | p99 ms | req/s ÷ floor | req/s ÷ direct | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let (one, many) = (r.loads[0], r.loads[1]);
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.0} | {:.1} | {:.1} | {:.2} | {:.2} | {} |",
            r.name,
            r.cost
                .objects
                .map_or_else(|| "–".to_owned(), |o| o.to_string()),
            r.cost.upstream,
            r.cost.bytes,
            one.p50,
            many.per_sec,
            many.p50,
            many.p99,
            many.per_sec / floor.loads[1].per_sec,
            many.per_sec / direct.loads[1].per_sec,
            one.errors + many.errors,
        );
    }
    println!("\nBudgets, {n} resources:");
    if let Some(res) = find("GET /api/resources") {
        let share = res.loads[1].per_sec / floor.loads[1].per_sec;
        verdict(
            "/api/resources at 16 connections ≥ 60 % of the floor's req/s",
            share >= 0.6,
            &format!("{:.0} %", share * 100.0),
        );
        let allowed = floor.loads[0].p50 + direct.loads[0].p50 + 2.0;
        verdict(
            "/api/resources p50 at 1 connection ≤ floor + direct + 2 ms",
            res.loads[0].p50 <= allowed,
            &format!("{:.1} ms against {allowed:.1} ms", res.loads[0].p50),
        );
        verdict(
            "the catalogue makes one upstream call",
            res.cost.upstream == 1,
            &res.cost.upstream.to_string(),
        );
    }
    for r in rows.iter().filter(|r| r.api) {
        verdict(
            &format!("{}: one Durable Object call", r.name),
            r.cost.objects == Some(1),
            &r.cost
                .objects
                .map_or_else(|| "not reported".to_owned(), |o| o.to_string()),
        );
    }
}

fn verdict(what: &str, met: bool, measured: &str) {
    println!(
        "- {} {what}: {measured}",
        if met { "met   " } else { "MISSED" }
    );
}

/// How the p50 at one connection grows with the catalogue: milliseconds per 1,000 resources,
/// from the smallest to the largest size.
fn report_slope(points: &[(usize, Option<f64>, Option<f64>)]) {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return;
    };
    let per_thousand =
        |a: Option<f64>, b: Option<f64>| Some((b? - a?) / ((last.0 - first.0) as f64 / 1000.0));
    println!("\nGrowth with the catalogue (p50 at 1 connection):");
    for &(n, direct, worker) in points {
        println!(
            "- {n} resources: direct {:.1} ms, through the worker {:.1} ms",
            direct.unwrap_or(f64::NAN),
            worker.unwrap_or(f64::NAN)
        );
    }
    if let (Some(d), Some(w)) = (per_thousand(first.1, last.1), per_thousand(first.2, last.2)) {
        println!(
            "- slope: direct {d:.1} ms and the worker {w:.1} ms per 1,000 resources (linear if the middle size sits on the line)"
        );
    }
}
