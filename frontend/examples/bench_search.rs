//! The catalogue model's search at scale, natively: filtering and ranking a catalogue of 5,000
//! resources against one of 40 (the demo's size) in the same run, per query. The browser
//! benchmark (`tests/e2e/tests/bench.rs`) measures the whole keystroke; this isolates the model.
//!
//! `cargo run --release -p portal-frontend --example bench_search` (`cargo xtask bench` runs it).

use std::hint::black_box;
use std::time::{Duration, Instant};

use portal_frontend::model::{CatalogueModel, Place, Recents};
use portal_shared::api::{Catalogue, CatalogueResource, ResourceKind};

const BASELINE: usize = 40;
const LARGE: usize = 5000;
/// Median of this many samples, each timing enough calls to dwarf the clock's resolution.
const SAMPLES: usize = 31;
const FRAME_MS: f64 = 1000.0 / 60.0;

/// What a person types on the way to a resource, a multi-term query, a description hit and a
/// query that matches nothing.
const QUERIES: &[&str] = &[
    "",
    "l",
    "lu",
    "lum",
    "lumen",
    "lumen atlas",
    "number 42",
    "écran",
];

/// The shape of the emulator's `generated_resources`: a dozen categories, two words and a
/// number per name, a desktop in 25 and a web app in 40.
fn catalogue(n: usize) -> Catalogue {
    const CATEGORIES: &[&[&str]] = &[
        &["Office"],
        &["Engineering"],
        &["Engineering", "Tools"],
        &["Finance"],
        &["HR"],
        &["Design"],
        &["Sales"],
        &["Support"],
        &["Legal"],
        &["Operations"],
        &["Research"],
        &[],
    ];
    const WORDS: &[&str] = &[
        "Ledger", "Atlas", "Beacon", "Canvas", "Delta", "Echo", "Forge", "Harbor", "Insight",
        "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orbit", "Pioneer", "Quartz", "Relay",
        "Summit", "Tundra", "Umbra", "Vertex", "Willow", "Zephyr",
    ];
    let resources = (0..n)
        .map(|i| {
            let desktop = i % 25 == 0;
            let word = WORDS[i % WORDS.len()];
            let second = WORDS[(i / WORDS.len()) % WORDS.len()];
            CatalogueResource {
                id: format!("gen-{i}"),
                name: if desktop {
                    format!("{word} Desktop {i}")
                } else {
                    format!("{word} {second} {i}")
                },
                description: Some(format!("Generated resource number {i}")),
                kind: if desktop {
                    ResourceKind::Desktop
                } else {
                    ResourceKind::App
                },
                category: CATEGORIES[i % CATEGORIES.len()]
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
                icon_url: Some(format!("/api/icons/gen-{i}")),
                favorite: i % 97 == 0,
                launchable: i % 40 != 7,
                opens_in_browser: i % 40 == 7,
            }
        })
        .collect();
    Catalogue {
        resources,
        skipped: 0,
    }
}

/// The median time of one `filter` call for `query`.
fn time_filter(model: &CatalogueModel, query: &str) -> Duration {
    let place = Place {
        query: query.to_owned(),
        ..Place::default()
    };
    let recents = Recents::default();
    // Enough calls per sample for about a millisecond of work at either size.
    let calls = (200_000 / model.len().max(1)).max(5) as u32;
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                black_box(model.filter(black_box(&place), &recents));
            }
            start.elapsed() / calls
        })
        .collect();
    samples.sort();
    samples[SAMPLES / 2]
}

/// The median time to build the model (fold every field, sort) from the worker's answer.
fn time_build(n: usize) -> Duration {
    let source = catalogue(n);
    let mut samples: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let input = source.clone();
            let start = Instant::now();
            black_box(CatalogueModel::new(input));
            start.elapsed()
        })
        .collect();
    samples.sort();
    samples[SAMPLES / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn row(what: &str, base: Duration, large: Duration) {
    println!(
        "{what:<32} {:>10.4} {:>10.4} {:>8.1}x {:>9.1}%",
        ms(base),
        ms(large),
        large.as_secs_f64() / base.as_secs_f64().max(f64::MIN_POSITIVE),
        ms(large) / FRAME_MS * 100.0,
    );
}

fn main() {
    let small = CatalogueModel::new(catalogue(BASELINE));
    let large = CatalogueModel::new(catalogue(LARGE));
    println!("catalogue model, native (median of {SAMPLES} samples; times in ms)");
    println!(
        "{:<32} {:>10} {:>10} {:>9} {:>10}",
        "",
        format!("n={BASELINE}"),
        format!("n={LARGE}"),
        "ratio",
        "of 16.7ms"
    );
    row("build the model", time_build(BASELINE), time_build(LARGE));
    for query in QUERIES {
        let base = time_filter(&small, query);
        let big = time_filter(&large, query);
        let hits = large
            .filter(
                &Place {
                    query: (*query).to_owned(),
                    ..Place::default()
                },
                &Recents::default(),
            )
            .len();
        row(&format!("filter {query:?} ({hits} hits)"), base, big);
    }
}
