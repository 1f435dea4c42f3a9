//! Load and faults: many users sign in at once, then each loops over a random mix of what the
//! SPA does (catalogue, icon, launch and its polls, favourite on and off, ICA file) while access
//! tokens expire several times and the emulator's store misbehaves in scheduled windows
//! (latency, 503 bursts, malformed and truncated bodies, hangs). Every answer is recorded and
//! judged against the bar; the table of metrics and verdicts is printed, and the test
//! fails when a verdict does.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use portal_e2e::Result;
use portal_e2e::suite::{Test, check};
use portal_e2e::visitor::{Visitor, ok_json};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::Value;
use workspace_emulator::{Fault, FaultKind, Settings, User};

use super::Ctx;

/// The load's table, for the report `cargo xtask reliability` prints.
pub static TABLE: OnceLock<String> = OnceLock::new();

/// Users the seed holds for the load (the full run's count; the quick one uses the first few).
const SEEDED_USERS: usize = 50;
/// How long an answer may take while a fault is on: the worker's deadline of 10 s per
/// request, plus margin.
const DEADLINE: Duration = Duration::from_secs(12);
/// The ICA download's: the worker gives it 40 s, since it waits for a desktop that is still
/// starting (202 answers and their `pollTimeout`) before the file exists.
const ICA_DEADLINE: Duration = Duration::from_secs(42);

/// The deadline of a route's answers.
fn deadline(route: &str) -> Duration {
    if route == "ica" {
        ICA_DEADLINE
    } else {
        DEADLINE
    }
}
/// After a window closes, answers may still carry its fault for this long (requests in flight).
const GRACE: Duration = Duration::from_secs(3);
/// The store's paths: every Workspace call a user's request makes, but not sign-in or refresh.
const STORE: &str = "/citrixapi/store/";
/// The error codes that explain a fault to people.
const CLEAR_CODES: [&str; 2] = ["upstream_unavailable", "upstream_malformed"];

pub fn tests() -> Vec<(&'static str, Test<Ctx>)> {
    vec![("load_and_faults", |c| Box::pin(load_and_faults(c)))]
}

/// The load's users, `load-01` … `load-50`.
pub fn users() -> Vec<User> {
    (1..=SEEDED_USERS)
        .map(|i| User {
            username: format!("load-{i:02}"),
            password: format!("load-password-{i:02}"),
            name: format!("Load User {i}"),
            email: format!("load-{i:02}@acme.example"),
            email_verified: Some(true),
        })
        .collect()
}

/// How big the run is.
#[derive(Debug, Clone, Copy)]
struct Plan {
    mode: &'static str,
    users: usize,
    duration: Duration,
    token_ttl_secs: u64,
}

impl Plan {
    /// `PORTAL_RELIABILITY=full`: the 50 users for 60 s; otherwise a quick run for CI.
    fn from_env() -> Plan {
        if std::env::var("PORTAL_RELIABILITY").as_deref() == Ok("full") {
            Plan {
                mode: "full",
                users: 50,
                duration: Duration::from_secs(60),
                token_ttl_secs: 20,
            }
        } else {
            Plan {
                mode: "quick",
                users: 8,
                duration: Duration::from_secs(20),
                token_ttl_secs: 8,
            }
        }
    }
}

/// A span of the run during which the store misbehaves.
struct Window {
    name: &'static str,
    kind: FaultKind,
    start: Duration,
    end: Duration,
}

/// Five windows, one per kind of fault, each in the middle third of its fifth of the run, so
/// clean stretches separate them; the hang is last, as its requests outlive its window most.
fn schedule(duration: Duration) -> Vec<Window> {
    let kinds = [
        ("latency 2 s", FaultKind::Latency { ms: 2000 }),
        ("503 burst", FaultKind::Status { status: 503 }),
        ("malformed JSON", FaultKind::MalformedJson),
        ("truncated body", FaultKind::TruncatedBody),
        ("hang", FaultKind::Timeout),
    ];
    let slot = duration / kinds.len() as u32;
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (name, kind))| Window {
            name,
            kind,
            start: slot * i as u32 + slot / 3,
            end: slot * i as u32 + slot * 2 / 3,
        })
        .collect()
}

/// One answer the load got.
#[derive(Debug, Clone)]
struct Record {
    user: usize,
    route: &'static str,
    /// When it was sent, since the load began.
    sent: Duration,
    took: Duration,
    /// 0 when no HTTP answer came (connection error or the client's own limit).
    status: u16,
    /// The worker's error code, for errors.
    code: Option<String>,
    message: bool,
}

impl Record {
    /// The window whose fault may have reached this request (its lifetime overlaps the window
    /// widened by the grace), if any.
    fn window<'w>(&self, windows: &'w [Window]) -> Option<&'w Window> {
        windows
            .iter()
            .find(|w| self.sent < w.end + GRACE && self.sent + self.took > w.start)
    }
}

/// What the user loop needs of the catalogue: resources by what they may be used for.
struct Targets {
    icons: Vec<String>,
    launchable: Vec<String>,
    /// Launchable resources whose ICA file the store hands out (not the failing desktops).
    ica: Vec<String>,
}

fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// One user's requests, recorded.
struct Recorder<'a> {
    user: usize,
    visitor: &'a Visitor,
    t0: Instant,
    log: &'a Mutex<Vec<Record>>,
}

impl Recorder<'_> {
    /// Sends a request as the SPA does (CSRF header, same origin) and records the answer;
    /// returns its status and JSON body (`null` when not JSON).
    async fn call(&self, route: &'static str, method: Method, path: &str) -> (u16, Value) {
        let sent = self.t0.elapsed();
        let t = Instant::now();
        // The client's own limit, far above the deadline: a hang is recorded, not waited out.
        let answer = tokio::time::timeout(Duration::from_secs(45), async {
            let r = self.visitor.send(method, path).await.ok()?;
            let status = r.status().as_u16();
            let bytes = r.bytes().await.ok()?;
            Some((
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            ))
        })
        .await
        .ok()
        .flatten();
        let (status, body) = answer.unwrap_or((0, Value::Null));
        let error = status >= 400;
        self.log.lock().unwrap().push(Record {
            user: self.user,
            route,
            sent,
            took: t.elapsed(),
            status,
            code: error.then(|| body["code"].as_str().unwrap_or("").to_owned()),
            message: body["message"].as_str().is_some_and(|m| !m.is_empty()),
        });
        (status, body)
    }

    /// A launch and its polls, each with the fresh handle the last answer gave, as the SPA does.
    async fn launch(&self, id: &str) {
        let (mut status, mut body) = self
            .call(
                "launch",
                Method::POST,
                &format!("/api/resources/{}/launch", segment(id)),
            )
            .await;
        for _ in 0..6 {
            if status != 200 || body["state"] != "pending" {
                return;
            }
            let wait = body["retryAfterSecs"].as_u64().unwrap_or(1).min(2);
            tokio::time::sleep(Duration::from_secs(wait)).await;
            let handle = body["handle"].as_str().unwrap_or_default().to_owned();
            (status, body) = self
                .call(
                    "poll",
                    Method::POST,
                    &format!("/api/launches/{handle}/poll"),
                )
                .await;
        }
    }

    /// Loops over a random mix until the load's end.
    async fn run(&self, targets: &Targets, until: Duration) {
        let mut rng = StdRng::seed_from_u64(self.user as u64);
        let pick = |rng: &mut StdRng, list: &[String]| list[rng.gen_range(0..list.len())].clone();
        while self.t0.elapsed() < until {
            match rng.gen_range(0..100) {
                0..30 => {
                    self.call("catalogue", Method::GET, "/api/resources").await;
                }
                30..55 => {
                    let id = pick(&mut rng, &targets.icons);
                    self.call("icon", Method::GET, &format!("/api/icons/{}", segment(&id)))
                        .await;
                }
                55..72 => self.launch(&pick(&mut rng, &targets.launchable)).await,
                72..88 => {
                    let path = format!(
                        "/api/resources/{}/favorite",
                        segment(&pick(&mut rng, &targets.launchable))
                    );
                    self.call("favourite", Method::PUT, &path).await;
                    self.call("favourite", Method::DELETE, &path).await;
                }
                _ => {
                    let id = pick(&mut rng, &targets.ica);
                    self.call(
                        "ica",
                        Method::GET,
                        &format!("/api/resources/{}/ica", segment(&id)),
                    )
                    .await;
                }
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(300..900))).await;
        }
    }
}

async fn load_and_faults(c: &Ctx) -> Result<()> {
    let stack = &c.stack;
    let plan = Plan::from_env();
    let windows = schedule(plan.duration);
    stack.emulator.set_settings(Settings {
        access_token_ttl_secs: plan.token_ttl_secs,
        ..stack.emulator.settings()
    });
    let users = users();
    let refreshes_before = stack.emulator.refresh_requests_by_user();

    // Everyone signs in at once.
    let t_sign_in = Instant::now();
    let visitors: Vec<Visitor> = users[..plan.users]
        .iter()
        .map(|_| Visitor::new(&stack.portal))
        .collect();
    let signed = futures::future::join_all(
        visitors
            .iter()
            .zip(&users)
            .map(|(v, u)| v.sign_in(&u.username, &u.password)),
    )
    .await;
    let sign_in_took = t_sign_in.elapsed();
    let sign_in_failures: Vec<String> = signed
        .iter()
        .zip(&users)
        .filter_map(|(r, u)| r.as_ref().err().map(|e| format!("{}: {e}", u.username)))
        .collect();
    check(sign_in_failures.is_empty(), || {
        format!("sign-ins failed: {sign_in_failures:?}")
    })?;

    let catalogue = ok_json(visitors[0].get("/api/resources").await?).await?;
    let targets = targets(&catalogue)?;

    // The load, and the fault schedule beside it.
    let log = Mutex::new(Vec::new());
    let t0 = Instant::now();
    let faults = async {
        for w in &windows {
            tokio::time::sleep(w.start.saturating_sub(t0.elapsed())).await;
            stack.emulator.inject(Fault {
                path: STORE.into(),
                method: None,
                kind: w.kind.clone(),
                times: None,
            });
            tokio::time::sleep(w.end.saturating_sub(t0.elapsed())).await;
            stack.emulator.clear_faults();
        }
    };
    let recorders: Vec<Recorder> = visitors
        .iter()
        .enumerate()
        .map(|(user, visitor)| Recorder {
            user,
            visitor,
            t0,
            log: &log,
        })
        .collect();
    let load = futures::future::join_all(recorders.iter().map(|r| r.run(&targets, plan.duration)));
    futures::join!(faults, load);
    let wall = t0.elapsed();
    stack.emulator.clear_faults();

    // Afterwards every session is still there.
    let mut dead = Vec::new();
    for (i, v) in visitors.iter().enumerate() {
        if ok_json(v.get("/api/session").await?).await.is_err() {
            dead.push(i);
        }
    }
    let session_life = t_sign_in.elapsed();
    let refreshes_after = stack.emulator.refresh_requests_by_user();
    let refreshes: Vec<usize> = users[..plan.users]
        .iter()
        .map(|u| {
            refreshes_after.get(&u.username).copied().unwrap_or(0)
                - refreshes_before.get(&u.username).copied().unwrap_or(0)
        })
        .collect();

    let records = log.into_inner().unwrap();
    let report = judge(&Judged {
        plan,
        windows: &windows,
        records: &records,
        dead: &dead,
        refreshes: &refreshes,
        session_life,
        sign_in_took,
        wall,
    });
    println!("{}", report.table);
    let _ = TABLE.set(report.table.clone());
    check(report.failed.is_empty(), || {
        format!("verdicts failed: {}", report.failed.join("; "))
    })
}

/// The resources the loop uses, from a user's catalogue.
fn targets(catalogue: &Value) -> Result<Targets> {
    let resources = catalogue["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ids = |f: &dyn Fn(&Value) -> bool| -> Vec<String> {
        resources
            .iter()
            .filter(|r| f(r))
            .filter_map(|r| r["id"].as_str().map(str::to_owned))
            .collect()
    };
    let failing = ["finance-desktop", "lab-desktop", "hostile-launch"];
    let targets = Targets {
        icons: ids(&|r| r["iconUrl"].is_string()),
        launchable: ids(&|r| r["launchable"] == true),
        ica: ids(&|r| {
            r["launchable"] == true && !failing.contains(&r["id"].as_str().unwrap_or_default())
        }),
    };
    check(
        !targets.icons.is_empty() && !targets.launchable.is_empty() && !targets.ica.is_empty(),
        || format!("nothing to use in the catalogue: {catalogue:.300}"),
    )?;
    Ok(targets)
}

/// Everything the verdicts are drawn from.
struct Judged<'a> {
    plan: Plan,
    windows: &'a [Window],
    records: &'a [Record],
    dead: &'a [usize],
    refreshes: &'a [usize],
    session_life: Duration,
    sign_in_took: Duration,
    wall: Duration,
}

struct Report {
    table: String,
    failed: Vec<String>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The verdicts of the bar, as a table.
fn judge(j: &Judged) -> Report {
    let Judged {
        plan,
        windows,
        records,
        ..
    } = j;
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut failed = Vec::new();
    let mut verdict =
        |rows: &mut Vec<[String; 4]>, what: &str, value: String, bar: &str, ok: Option<bool>| {
            let v = match ok {
                Some(true) => "pass",
                Some(false) => {
                    failed.push(format!("{what}: {value} (bar {bar})"));
                    "FAIL"
                }
                None => "",
            };
            rows.push([what.into(), value, bar.into(), v.into()]);
        };

    verdict(
        &mut rows,
        "users signed in at once",
        format!("{} in {}", plan.users, secs(j.sign_in_took)),
        "all",
        Some(true),
    );
    let mut by_route: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records.iter() {
        *by_route.entry(r.route).or_default() += 1;
    }
    verdict(
        &mut rows,
        "requests",
        format!(
            "{} in {} ({})",
            records.len(),
            secs(j.wall),
            by_route
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "",
        None,
    );
    let (inside, outside): (Vec<&Record>, Vec<&Record>) =
        records.iter().partition(|r| r.window(windows).is_some());
    let mut clean: Vec<Duration> = outside.iter().map(|r| r.took).collect();
    clean.sort();
    verdict(
        &mut rows,
        "latency outside windows p50 / p95 / max",
        format!(
            "{} / {} / {}",
            secs(percentile(&clean, 0.5)),
            secs(percentile(&clean, 0.95)),
            secs(clean.last().copied().unwrap_or_default())
        ),
        "",
        None,
    );
    let show = |rs: &[&Record]| {
        rs.iter()
            .take(3)
            .map(|r| {
                format!(
                    "{} {} at {} → {} {}",
                    r.route,
                    r.user,
                    secs(r.sent),
                    r.status,
                    r.code.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let server_errors: Vec<&Record> = outside
        .iter()
        .copied()
        .filter(|r| r.status >= 500 || r.status == 0)
        .collect();
    verdict(
        &mut rows,
        "worker 5xx (or no answer) outside windows",
        format!("{} {}", server_errors.len(), show(&server_errors)),
        "0",
        Some(server_errors.is_empty()),
    );
    let other_errors: Vec<&Record> = outside
        .iter()
        .copied()
        .filter(|r| (400..500).contains(&r.status) && r.status != 401)
        .collect();
    verdict(
        &mut rows,
        "other errors outside windows",
        format!("{} {}", other_errors.len(), show(&other_errors)),
        "0",
        Some(other_errors.is_empty()),
    );
    let unauthorised: Vec<&Record> = records.iter().filter(|r| r.status == 401).collect();
    let mut lost: Vec<usize> = unauthorised.iter().map(|r| r.user).collect();
    lost.extend(j.dead);
    lost.sort();
    lost.dedup();
    verdict(
        &mut rows,
        "lost sessions (a 401, or gone at the end)",
        format!("{} ({} answers 401)", lost.len(), unauthorised.len()),
        "0",
        Some(lost.is_empty()),
    );
    for w in windows.iter() {
        let mine: Vec<&Record> = inside
            .iter()
            .copied()
            .filter(|r| r.window(windows).is_some_and(|x| x.name == w.name))
            .collect();
        let errors = mine
            .iter()
            .filter(|r| r.status >= 400 || r.status == 0)
            .count();
        // An error a fault explains carries a clear code and a message for people.
        let unclear: Vec<&Record> = mine
            .iter()
            .copied()
            .filter(|r| {
                (r.status >= 400 || r.status == 0)
                    && r.status != 401
                    && !(r.message && r.code.as_deref().is_some_and(|c| CLEAR_CODES.contains(&c)))
            })
            .collect();
        let late: Vec<&Record> = mine
            .iter()
            .copied()
            .filter(|r| r.took > deadline(r.route))
            .collect();
        let slowest = mine.iter().map(|r| r.took).max().unwrap_or_default();
        let mut value = format!(
            "{} requests, {errors} errors ({} unclear), slowest {}",
            mine.len(),
            unclear.len(),
            secs(slowest)
        );
        if !unclear.is_empty() || !late.is_empty() {
            let _ = write!(
                value,
                ": {}",
                show(&[unclear.clone(), late.clone()].concat())
            );
        }
        verdict(
            &mut rows,
            &format!("fault: {} ({}–{})", w.name, secs(w.start), secs(w.end)),
            value,
            &format!(
                "clear code, ≤ {} (ICA ≤ {})",
                secs(DEADLINE),
                secs(ICA_DEADLINE)
            ),
            Some(unclear.is_empty() && late.is_empty()),
        );
    }
    let expiries = j.session_life.as_secs() / plan.token_ttl_secs;
    let budget = expiries as usize + 1;
    let most = j.refreshes.iter().copied().max().unwrap_or(0);
    let total: usize = j.refreshes.iter().sum();
    verdict(
        &mut rows,
        "refreshes per session (most / total)",
        format!(
            "{most} / {total} over {} ({expiries} expiries of {} s)",
            secs(j.session_life),
            plan.token_ttl_secs
        ),
        &format!("≤ {budget} each"),
        Some(most <= budget),
    );

    let title = format!(
        "load and faults ({} mode: {} users, {} s, access tokens live {} s)",
        plan.mode,
        plan.users,
        plan.duration.as_secs(),
        plan.token_ttl_secs
    );
    Report {
        table: render(&title, &["measure", "value", "bar", "verdict"], &rows),
        failed,
    }
}

/// A plain-text table with aligned columns.
fn render(title: &str, head: &[&str; 4], rows: &[[String; 4]]) -> String {
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..4).map(width).collect();
    let line = |cells: [&str; 4]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            let _ = write!(out, "{cell}{}  ", " ".repeat(pad));
        }
        out.trim_end().to_owned()
    };
    let mut out = format!("{title}\n");
    out.push_str(&line(*head));
    out.push('\n');
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line([&dashes[0], &dashes[1], &dashes[2], &dashes[3]]));
    out.push('\n');
    for r in rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
        out.push('\n');
    }
    out
}
