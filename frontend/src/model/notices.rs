//! Messages about things that went wrong in the background (a favourite that did not save), each
//! with an optional way to try again, until the user dismisses them.

/// How many notices stay on screen; older ones give way.
pub const MAX_SHOWN: usize = 3;

/// What "Try again" on a notice does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Toggle this resource's favourite again.
    Favorite {
        /// Resource id.
        id: String,
    },
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Identifies it for dismissal and as a list key.
    pub id: u64,
    /// What happened, for people.
    pub text: String,
    /// What "Try again" does, when trying again makes sense.
    pub retry: Option<Retry>,
}

/// The notices on screen, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notices {
    items: Vec<Notice>,
    last_id: u64,
}

impl Notices {
    /// Shows a message; returns its id.
    pub fn push(&mut self, text: impl Into<String>, retry: Option<Retry>) -> u64 {
        self.last_id += 1;
        let text = text.into();
        // The same failure twice is one message, not two.
        self.items.retain(|n| n.text != text);
        self.items.push(Notice {
            id: self.last_id,
            text,
            retry,
        });
        if self.items.len() > MAX_SHOWN {
            self.items.remove(0);
        }
        self.last_id
    }

    /// Removes a message.
    pub fn dismiss(&mut self, id: u64) {
        self.items.retain(|n| n.id != id);
    }

    /// The messages, oldest first.
    pub fn items(&self) -> &[Notice] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_dismiss_and_cap() {
        let mut n = Notices::default();
        let a = n.push("a", None);
        n.push("b", Some(Retry::Favorite { id: "x".into() }));
        n.dismiss(a);
        assert_eq!(n.items().len(), 1);
        for t in ["c", "d", "e"] {
            n.push(t, None);
        }
        let texts: Vec<&str> = n.items().iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["c", "d", "e"]);
    }

    #[test]
    fn repeated_messages_are_not_stacked() {
        let mut n = Notices::default();
        n.push("same", None);
        let second = n.push("same", None);
        assert_eq!(n.items().len(), 1);
        assert_eq!(n.items()[0].id, second);
    }
}
