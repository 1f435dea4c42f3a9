//! The worker's rooms only look down: a module never uses one above it, so there is no circle
//! and a newcomer can read the worker from the bottom up. ARCHITECTURE.md draws the rooms;
//! this test holds the code to the drawing. Test modules may reach anywhere.

use std::path::{Path, PathBuf};

/// The rooms from the bottom up; a room may use its own floor and those below it.
const FLOORS: &[&[&str]] = &[
    &["crypto", "http"],
    &["config", "durable"],
    &["citrix"],
    &["auth"],
    &["secret"],
    &["session"],
    &["routes"],
];

fn floor(room: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&room))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("worker/src is readable")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `citrix` for `citrix.rs` and `citrix/upstream.rs`.
fn room_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next().expect("a file");
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

/// The rooms a file's code (its tests left out) names through `crate::`.
fn rooms_used(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    code.match_indices("crate::")
        .filter_map(|(i, _)| {
            let rest = code.get(i + "crate::".len()..)?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

#[test]
fn no_room_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut wrong = Vec::new();
    let mut placed = 0;
    for file in &files {
        let room = room_of(&src, file);
        // lib.rs routes and fuzz.rs tests: both sit above every room.
        let Some(here) = floor(&room) else {
            assert!(
                matches!(room.as_str(), "lib" | "fuzz"),
                "{} is in no floor of FLOORS: add its room",
                file.display()
            );
            continue;
        };
        placed += 1;
        let text = std::fs::read_to_string(file).expect("readable source");
        for used in rooms_used(&text) {
            match floor(&used) {
                Some(there) if there > here => wrong.push(format!(
                    "{} ({room}) uses crate::{used}, a room above it",
                    file.display()
                )),
                Some(_) => {}
                None => wrong.push(format!(
                    "{} uses crate::{used}, which is in no floor of FLOORS",
                    file.display()
                )),
            }
        }
    }
    assert!(
        placed > 20,
        "only {placed} files found under {}",
        src.display()
    );
    assert!(
        wrong.is_empty(),
        "arrows that run back up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_check_sees_an_arrow_up() {
    let used = rooms_used(
        "use crate::routes::api;\nfn f() { crate::http::header(); }\n#[cfg(test)]\nmod tests { use crate::session; }",
    );
    assert_eq!(used, ["routes", "http"]);
    assert!(floor("routes") > floor("http"));
}
