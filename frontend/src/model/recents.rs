//! What the user launched lately and when, most recent first, for the "Recently launched" sort
//! and a card's details.
//!
//! The Workspace API has no launch history, so the browser keeps one (in `localStorage`, per
//! user); this type only decides what goes in it and how it reads back.

use serde::{Deserialize, Serialize};

/// How many launches are remembered.
pub const CAPACITY: usize = 50;

/// One launch remembered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    id: String,
    /// When, in Unix seconds; unknown for what an older version stored (ids only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<u64>,
}

/// Resource ids with their last launch, most recently launched first, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recents {
    entries: Vec<Entry>,
}

impl Recents {
    /// Reads what [`Recents::to_storage`] wrote, or an older version's list of ids; anything
    /// unreadable is simply forgotten.
    pub fn from_storage(text: &str) -> Recents {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Entry(Entry),
            Id(String),
        }
        let stored: Vec<Stored> = serde_json::from_str(text).unwrap_or_default();
        let mut recents = Recents::default();
        for s in stored.into_iter().rev() {
            let (id, at) = match s {
                Stored::Entry(e) => (e.id, e.at),
                Stored::Id(id) => (id, None),
            };
            recents.record(&id, at);
        }
        recents
    }

    /// The text to store.
    pub fn to_storage(&self) -> String {
        serde_json::to_string(&self.entries).unwrap_or_default()
    }

    /// Records a launch of `id` at `at` (Unix seconds).
    pub fn touch(&mut self, id: &str, at: u64) {
        self.record(id, Some(at));
    }

    fn record(&mut self, id: &str, at: Option<u64>) {
        if id.is_empty() {
            return;
        }
        self.entries.retain(|e| e.id != id);
        self.entries.insert(
            0,
            Entry {
                id: id.to_owned(),
                at,
            },
        );
        self.entries.truncate(CAPACITY);
    }

    /// 0 for the latest launch, 1 for the one before, …; `None` if not launched lately.
    pub fn rank(&self, id: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.id == id)
    }

    /// When `id` was last launched in this browser, if it was lately and the time is known.
    pub fn last_launched(&self, id: &str) -> Option<u64> {
        self.entries.iter().find(|e| e.id == id).and_then(|e| e.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_first_without_repeats_with_the_last_time() {
        let mut r = Recents::default();
        r.touch("a", 10);
        r.touch("b", 20);
        r.touch("a", 30);
        assert_eq!(r.rank("a"), Some(0));
        assert_eq!(r.rank("b"), Some(1));
        assert_eq!(r.rank("c"), None);
        assert_eq!(r.last_launched("a"), Some(30));
        assert_eq!(r.last_launched("b"), Some(20));
        assert_eq!(r.last_launched("c"), None);
    }

    #[test]
    fn keeps_only_the_latest() {
        let mut r = Recents::default();
        for i in 0..CAPACITY + 5 {
            r.touch(&i.to_string(), i as u64);
        }
        assert_eq!(r.rank(&(CAPACITY + 4).to_string()), Some(0));
        assert_eq!(r.rank("0"), None);
    }

    #[test]
    fn survives_storage_garbage_and_an_older_versions_list() {
        let mut r = Recents::default();
        r.touch("a", 10);
        r.touch("b", 20);
        assert_eq!(Recents::from_storage(&r.to_storage()), r);
        assert_eq!(Recents::from_storage("not json"), Recents::default());
        assert_eq!(Recents::from_storage("{\"a\":1}"), Recents::default());
        let old = Recents::from_storage(r#"["b","a"]"#);
        assert_eq!((old.rank("b"), old.rank("a")), (Some(0), Some(1)));
        assert_eq!(
            old.last_launched("b"),
            None,
            "an older version kept no times"
        );
    }
}
