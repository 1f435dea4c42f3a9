//! `cargo xtask reliability`: the bar in one command, bounded in time. Builds the
//! product, runs the worker's property tests (every parser fuzzed) with many more cases than
//! `cargo test` does, the bff suite (the worker's security rules over HTTP, each fix of the
//! security review with its test), then the reliability suite in full mode (attacks, 50 users
//! for 60 s with faults), and prints one summary: each part and test with its outcome, and the
//! load's table.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::sh;

/// Cases per property test, unless `PROPTEST_CASES` says otherwise.
const PROPTEST_CASES: &str = "2000";
/// The property tests' share of the 15-minute budget.
const FUZZ_LIMIT: Duration = Duration::from_secs(3 * 60);
/// The bff suite's share: the worker's security rules over HTTP, the fixes of the security
/// review among them (about 90 s here).
const BFF_LIMIT: Duration = Duration::from_secs(3 * 60);
/// The suite's share: stack, attacks, sign-ins, 60 s of load and the slowest fault's tail.
const SUITE_LIMIT: Duration = Duration::from_secs(8 * 60);

/// One line of the summary.
struct Part {
    name: String,
    outcome: String,
    ok: bool,
    took: Option<Duration>,
}

pub fn run() -> Result<(), String> {
    let started = Instant::now();
    let mut parts = Vec::new();

    let t = Instant::now();
    crate::setup::run()?;
    crate::compile::frontend()?;
    crate::compile::worker()?;
    parts.push(Part {
        name: "build (SPA and worker, release)".into(),
        outcome: "built".into(),
        ok: true,
        took: Some(t.elapsed()),
    });

    let cases = std::env::var("PROPTEST_CASES").unwrap_or_else(|_| PROPTEST_CASES.into());
    sh::step(&format!(
        "the worker's property tests, {cases} cases each (at most {} min)",
        FUZZ_LIMIT.as_secs() / 60
    ));
    let t = Instant::now();
    let mut fuzz = sh::cargo();
    fuzz.args(["test", "-p", "portal-worker", "fuzz"])
        .env("PROPTEST_CASES", &cases);
    let (finished, lines) = run_bounded(&mut fuzz, FUZZ_LIMIT)?;
    let (passed, failed) = test_counts(&lines);
    parts.push(Part {
        name: format!("property tests: cargo test -p portal-worker fuzz ({cases} cases)"),
        outcome: match finished {
            None => format!("stopped after {} s", FUZZ_LIMIT.as_secs()),
            Some(_) if passed + failed == 0 => "no property test found".into(),
            Some(_) => format!("{passed} passed, {failed} failed"),
        },
        ok: finished == Some(true) && failed == 0,
        took: Some(t.elapsed()),
    });

    sh::step(&format!(
        "the worker's security rules over HTTP: the bff suite (at most {} min)",
        BFF_LIMIT.as_secs() / 60
    ));
    let t = Instant::now();
    let mut bff = sh::cargo();
    bff.args(["test", "-p", "portal-e2e", "--test", "e2e", "--", "bff"]);
    let (finished, lines) = run_bounded(&mut bff, BFF_LIMIT)?;
    // The suite's closing line: "N passed, M failed".
    let counts = lines
        .iter()
        .rev()
        .find(|l| l.contains(" passed, ") && l.ends_with(" failed"))
        .cloned();
    parts.push(Part {
        name: "security rules over HTTP: cargo test -p portal-e2e --test e2e -- bff".into(),
        outcome: match (finished, counts) {
            (None, _) => format!("stopped after {} s", BFF_LIMIT.as_secs()),
            (Some(_), Some(counts)) => counts,
            (Some(_), None) => "no result line".into(),
        },
        ok: finished == Some(true),
        took: Some(t.elapsed()),
    });

    sh::step(&format!(
        "the reliability suite in full mode (at most {} min)",
        SUITE_LIMIT.as_secs() / 60
    ));
    let report =
        std::env::temp_dir().join(format!("portal-reliability-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&report);
    let t = Instant::now();
    let mut suite = sh::cargo();
    suite
        .args([
            "test",
            "-p",
            "portal-e2e",
            "--test",
            "e2e",
            "--",
            "reliability",
        ])
        .env("PORTAL_RELIABILITY", "full")
        .env("PORTAL_RELIABILITY_REPORT", &report);
    let (finished, _) = run_bounded(&mut suite, SUITE_LIMIT)?;
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let mut table = String::new();
    for line in text.lines() {
        match line.split('\t').collect::<Vec<_>>().as_slice() {
            ["test", name, verdict] => parts.push(Part {
                name: format!("reliability: {name}"),
                outcome: (*verdict).into(),
                ok: *verdict == "ok",
                took: None,
            }),
            ["error", why] => parts.push(Part {
                name: "reliability suite".into(),
                outcome: (*why).into(),
                ok: false,
                took: None,
            }),
            _ => {
                table.push_str(line);
                table.push('\n');
            }
        }
    }
    parts.push(Part {
        name: "reliability suite (full mode)".into(),
        outcome: match finished {
            None => format!("stopped after {} s", SUITE_LIMIT.as_secs()),
            Some(true) => "passed".into(),
            Some(false) => "failed".into(),
        },
        ok: finished == Some(true),
        took: Some(t.elapsed()),
    });

    print_summary(&parts, &table, started.elapsed());
    let failed: Vec<&str> = parts
        .iter()
        .filter(|p| !p.ok)
        .map(|p| p.name.as_str())
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("reliability: failed: {}", failed.join(", ")))
    }
}

/// Runs `cmd` in a process group of its own, echoing its stdout and keeping the lines; stops
/// the whole group once `limit` has passed. `None` when it was stopped, else whether it passed.
fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<(Option<bool>, Vec<String>), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start {}: {e}", sh::describe(cmd)))?;
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            lines.push(line);
        }
        lines
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let lines = reader.join().unwrap_or_default();
    Ok((status.map(|s| s.success()), lines))
}

/// Passed and failed tests over every `test result:` line of `cargo test`.
fn test_counts(lines: &[String]) -> (usize, usize) {
    let count = |line: &str, word: &str| -> usize {
        line.split(';')
            .find_map(|part| part.trim().strip_suffix(word))
            .and_then(|n| n.trim().rsplit(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    lines
        .iter()
        .filter(|l| l.starts_with("test result:"))
        .fold((0, 0), |(p, f), l| {
            (p + count(l, " passed"), f + count(l, " failed"))
        })
}

fn print_summary(parts: &[Part], table: &str, total: Duration) {
    let width = parts
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0);
    let outcome = parts
        .iter()
        .map(|p| p.outcome.chars().count())
        .max()
        .unwrap_or(0);
    println!("\n==> reliability summary\n");
    for p in parts {
        let took = p
            .took
            .map(|d| format!("{:.0} s", d.as_secs_f64()))
            .unwrap_or_default();
        let mark = if p.ok { "ok  " } else { "FAIL" };
        println!(
            "{mark}  {:<width$}  {:<outcome$}  {took}",
            p.name, p.outcome
        );
    }
    if !table.trim().is_empty() {
        println!("\n{}", table.trim_end());
    }
    println!("\ntotal {:.0} s (bar: 15 min)", total.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_counts_add_up_every_binary() {
        let lines: Vec<String> = [
            "running 3 tests",
            "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 12 filtered out; finished in 1.2s",
            "test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out",
            "test result: ok. 0 passed; 0 failed; 0 ignored",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(test_counts(&lines), (4, 2));
    }
}
