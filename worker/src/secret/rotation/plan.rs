//! What one run should do: [`SecretStore::plan`] decides when the secret rotates, when the old
//! one is expired, and which of an admin's commands are refused (module docs of `rotation.rs`).

use std::fmt;

use portal_shared::api::Refusal;
use portal_shared::time::utc_minute;

use super::store::{
    ClientProblem, Command, Phase, SecretStore, Standing, plural, problem_words, standing,
};
use crate::config::Policy;

/// Why [`Plan::Rotate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateWhy {
    /// The current secret expires within the policy's window (or has expired).
    Due {
        /// When it expires.
        expires_at: u64,
    },
    /// An admin asked.
    Forced,
    /// Citrix Cloud holds a newer secret we lost, ours is its old one and is due.
    Recover {
        /// When ours expires.
        expires_at: u64,
    },
}

/// Why [`Plan::Nothing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The client has not been read from Citrix Cloud yet.
    FirstRead,
    /// The current secret is not due before `due_at`.
    RotateLater {
        /// When it becomes due.
        due_at: u64,
    },
    /// Ours is Citrix Cloud's old secret (a newer one was lost); rotate again at `due_at`.
    RecoverLater {
        /// When it becomes due.
        due_at: u64,
    },
    /// The new secret must prove itself before the old one is expired.
    Proof {
        /// Successful token calls still needed.
        more: u32,
        /// Still needed once the grace period is over (0 or 1).
        more_after_grace: u32,
        /// When the grace period is over.
        grace_ends: u64,
    },
    /// We cannot tell which of Citrix Cloud's secrets ours is.
    Unmatched {
        /// When Citrix Cloud's old secret expires, which settles it.
        old_expires_at: Option<u64>,
    },
}

/// What one step should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing now.
    Nothing(Wait),
    /// Call `$rotateSecret` for `client_name`.
    Rotate {
        /// The `name` in the URL.
        client_name: String,
        /// Why.
        why: RotateWhy,
    },
    /// Call `$expireOldSecret` for `client_name`.
    ExpireOld {
        /// The `name` in the URL.
        client_name: String,
    },
    /// The client cannot be used; nothing to do until someone fixes it in Citrix Cloud.
    ClientUnusable(ClientProblem),
    /// An admin's command that must not be carried out, and why.
    Refused(Refusal),
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Plan::Nothing(Wait::FirstRead) => {
                f.write_str("nothing to do until the client is read from Citrix Cloud")
            }
            Plan::Nothing(Wait::RotateLater { due_at }) => write!(
                f,
                "nothing to do: the secret is due for rotation on {}",
                utc_minute(*due_at)
            ),
            Plan::Nothing(Wait::RecoverLater { due_at }) => write!(
                f,
                "nothing to do: the portal's secret is Citrix Cloud's old one; rotating again on {}",
                utc_minute(*due_at)
            ),
            Plan::Nothing(Wait::Proof {
                more, grace_ends, ..
            }) => write!(
                f,
                "waiting: the old secret is expired after {more} more successful token call{} with the new one (or fewer, after {})",
                plural(u64::from(*more)),
                utc_minute(*grace_ends)
            ),
            Plan::Nothing(Wait::Unmatched { .. }) => f.write_str(
                "waiting: cannot tell which of Citrix Cloud's two working secrets CLIENT_SECRET is",
            ),
            Plan::Rotate { client_name, why } => match why {
                RotateWhy::Due { expires_at } => write!(
                    f,
                    "rotate the secret of {client_name}: it expires on {}",
                    utc_minute(*expires_at)
                ),
                RotateWhy::Forced => {
                    write!(f, "rotate the secret of {client_name}: an admin asked")
                }
                RotateWhy::Recover { expires_at } => write!(
                    f,
                    "rotate the secret of {client_name} again: the newer one was not saved and ours, Citrix Cloud's old one, expires on {} (this deletes ours, so the new secret must be saved)",
                    utc_minute(*expires_at)
                ),
            },
            Plan::ExpireOld { client_name } => write!(
                f,
                "expire the old secret of {client_name}: the new one has proven itself"
            ),
            Plan::ClientUnusable(p) => f.write_str(&problem_words(p)),
            Plan::Refused(why) => write!(f, "refused: {why:?}"),
        }
    }
}

impl SecretStore {
    /// What to do now. Call after [`SecretStore::observe`].
    pub fn plan(&self, now: u64, policy: &Policy, command: Command) -> Plan {
        if self.observed.is_none() {
            return match command {
                Command::Step => Plan::Nothing(Wait::FirstRead),
                _ => Plan::Refused(Refusal::NotReadYet),
            };
        }
        if let Some(u) = self.unusable() {
            return Plan::ClientUnusable(u);
        }
        let Some((client, api)) = self.view() else {
            return Plan::ClientUnusable(
                self.unusable()
                    .unwrap_or(ClientProblem::Missing { listed: vec![] }),
            );
        };
        let client_name = client.name.clone();
        let due_at = |expires: u64| expires.saturating_sub(policy.window());
        match standing(&self.current, &api) {
            // Not matched since the current secret changed: the next read matches it.
            Standing::Unknown | Standing::NotListed if api.old.is_none() => match command {
                Command::Step => Plan::Nothing(Wait::FirstRead),
                _ => Plan::Refused(Refusal::NotMatchedYet),
            },
            Standing::Unknown | Standing::NotListed => match command {
                Command::Step => Plan::Nothing(Wait::Unmatched {
                    old_expires_at: api.old,
                }),
                _ => Plan::Refused(Refusal::CannotTellSecrets),
            },
            Standing::ApiOld => {
                let expires_at = self.current.expires_at.unwrap_or(api.current);
                match command {
                    Command::ExpireOldNow => Plan::Refused(Refusal::OldSecretIsOurs),
                    Command::RotateNow => Plan::Rotate {
                        client_name,
                        why: RotateWhy::Forced,
                    },
                    Command::Step if now >= due_at(expires_at) => Plan::Rotate {
                        client_name,
                        why: RotateWhy::Recover { expires_at },
                    },
                    Command::Step => Plan::Nothing(Wait::RecoverLater {
                        due_at: due_at(expires_at),
                    }),
                }
            }
            Standing::ApiCurrent => match command {
                Command::RotateNow => Plan::Rotate {
                    client_name,
                    why: RotateWhy::Forced,
                },
                Command::ExpireOldNow if api.old.is_none() => Plan::Refused(Refusal::NoOldSecret),
                Command::ExpireOldNow if self.current_successes == 0 => {
                    Plan::Refused(Refusal::CurrentUnproven)
                }
                Command::ExpireOldNow => Plan::ExpireOld { client_name },
                Command::Step => {
                    let expires_at = api.current;
                    let due = now >= due_at(expires_at);
                    match (api.old.is_some(), self.proof(now, policy)) {
                        (true, None) => Plan::ExpireOld { client_name },
                        _ if due => Plan::Rotate {
                            client_name,
                            why: RotateWhy::Due { expires_at },
                        },
                        (true, Some(wait)) => Plan::Nothing(wait),
                        (false, _) => Plan::Nothing(Wait::RotateLater {
                            due_at: due_at(expires_at),
                        }),
                    }
                }
            },
        }
    }

    /// `None` when the current secret has proven itself: `expire_after_successes` successes,
    /// or one once the grace period since the overlap began has passed. Else what is missing.
    fn proof(&self, now: u64, policy: &Policy) -> Option<Wait> {
        let since = match self.phase {
            Phase::Overlap { since } => since,
            Phase::Idle => self.last_rotation.unwrap_or(now),
        };
        let grace_ends = since.saturating_add(policy.expire_grace_secs);
        let more_after_grace = 1u32.saturating_sub(self.current_successes);
        let more = if now >= grace_ends {
            more_after_grace
        } else {
            policy
                .expire_after_successes
                .saturating_sub(self.current_successes)
        };
        (more > 0).then_some(Wait::Proof {
            more,
            more_after_grace,
            grace_ends,
        })
    }
}
