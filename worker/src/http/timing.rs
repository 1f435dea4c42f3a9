//! What a request cost: how many Durable Object calls and calls to Citrix it made, and how long
//! they took, sent back in a `Server-Timing` header (`object;dur=3;desc="2", upstream;dur=5;
//! desc="1"`: milliseconds, and the count). The benchmark reads it, and so can a developer in the
//! browser's network panel. The tallies are the isolate's: exact for a request made alone,
//! mixed with others' when requests overlap.

use std::cell::Cell;
use std::future::Future;

/// What was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Durable Object (session or secret).
    Object,
    /// Citrix Cloud: the Workspace API, its identity provider, the Citrix Cloud API.
    Upstream,
}

thread_local! {
    static TALLIES: Cell<[Tally; 2]> = const { Cell::new([Tally::ZERO; 2]) };
}

/// Calls of one kind and their milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Tally {
    calls: u32,
    millis: u64,
}

impl Tally {
    const ZERO: Tally = Tally {
        calls: 0,
        millis: 0,
    };
}

fn slot(kind: Kind) -> usize {
    match kind {
        Kind::Object => 0,
        Kind::Upstream => 1,
    }
}

/// Counts one call of `kind` that took `millis`.
pub fn record(kind: Kind, millis: u64) {
    TALLIES.with(|t| {
        let mut all = t.get();
        let one = &mut all[slot(kind)];
        one.calls = one.calls.saturating_add(1);
        one.millis = one.millis.saturating_add(millis);
        t.set(all);
    });
}

/// The runtime's clock, in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

/// Runs `call`, counting it as one call of `kind` with the time it took.
pub async fn timed<T>(kind: Kind, call: impl Future<Output = T>) -> T {
    let started = now_ms();
    let out = call.await;
    record(kind, now_ms().saturating_sub(started));
    out
}

/// The tallies when a request began.
#[derive(Debug, Clone, Copy)]
pub struct Mark([Tally; 2]);

/// Marks the start of a request.
pub fn mark() -> Mark {
    Mark(TALLIES.with(Cell::get))
}

impl Mark {
    /// The `Server-Timing` value for what was recorded since the mark.
    pub fn server_timing(&self) -> String {
        let now = TALLIES.with(Cell::get);
        [("object", Kind::Object), ("upstream", Kind::Upstream)]
            .iter()
            .map(|&(name, kind)| {
                let (then, now) = (self.0[slot(kind)], now[slot(kind)]);
                format!(
                    "{name};dur={};desc=\"{}\"",
                    now.millis.saturating_sub(then.millis),
                    now.calls.saturating_sub(then.calls)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_sees_only_what_was_recorded_since_its_mark() {
        record(Kind::Object, 7);
        let mark = mark();
        assert_eq!(
            mark.server_timing(),
            "object;dur=0;desc=\"0\", upstream;dur=0;desc=\"0\""
        );
        record(Kind::Object, 2);
        record(Kind::Object, 3);
        record(Kind::Upstream, 11);
        assert_eq!(
            mark.server_timing(),
            "object;dur=5;desc=\"2\", upstream;dur=11;desc=\"1\""
        );
    }
}
