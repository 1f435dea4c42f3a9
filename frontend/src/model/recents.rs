//! What the user launched lately, most recent first, for the "Recently launched" sort.
//!
//! The Workspace API has no launch history, so the browser keeps one (in `localStorage`, per
//! user); this type only decides what goes in it and how it reads back.

/// How many launches are remembered.
pub const CAPACITY: usize = 50;

/// Resource ids, most recently launched first, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recents {
    ids: Vec<String>,
}

impl Recents {
    /// Reads what [`Recents::to_storage`] wrote; anything unreadable is simply forgotten.
    pub fn from_storage(text: &str) -> Recents {
        let ids: Vec<String> = serde_json::from_str(text).unwrap_or_default();
        let mut recents = Recents::default();
        for id in ids.into_iter().rev() {
            recents.touch(&id);
        }
        recents
    }

    /// The text to store.
    pub fn to_storage(&self) -> String {
        serde_json::to_string(&self.ids).unwrap_or_default()
    }

    /// Records a launch of `id`.
    pub fn touch(&mut self, id: &str) {
        if id.is_empty() {
            return;
        }
        self.ids.retain(|i| i != id);
        self.ids.insert(0, id.to_owned());
        self.ids.truncate(CAPACITY);
    }

    /// 0 for the latest launch, 1 for the one before, …; `None` if not launched lately.
    pub fn rank(&self, id: &str) -> Option<usize> {
        self.ids.iter().position(|i| i == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_first_without_repeats() {
        let mut r = Recents::default();
        r.touch("a");
        r.touch("b");
        r.touch("a");
        assert_eq!(r.rank("a"), Some(0));
        assert_eq!(r.rank("b"), Some(1));
        assert_eq!(r.rank("c"), None);
    }

    #[test]
    fn keeps_only_the_latest() {
        let mut r = Recents::default();
        for i in 0..CAPACITY + 5 {
            r.touch(&i.to_string());
        }
        assert_eq!(r.rank(&(CAPACITY + 4).to_string()), Some(0));
        assert_eq!(r.rank("0"), None);
    }

    #[test]
    fn survives_storage_and_garbage() {
        let mut r = Recents::default();
        r.touch("a");
        r.touch("b");
        assert_eq!(Recents::from_storage(&r.to_storage()), r);
        assert_eq!(Recents::from_storage("not json"), Recents::default());
        assert_eq!(Recents::from_storage("{\"a\":1}"), Recents::default());
    }
}
