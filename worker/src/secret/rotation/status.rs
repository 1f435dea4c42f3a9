//! The admin page's view of the store ([`SecretStore::status`]): the wire types are in
//! `portal_shared::api`.

use portal_shared::api::{
    ActionAvailability, Banner, BannerLevel, NextAction, RunOutcome as RunResult, RunStatus,
    SecretPhase, SecretStatus,
};
use portal_shared::time::{days_left, utc_minute};

use super::{
    Command, Phase, Plan, RunOutcome, RunRecord, SecretStore, Standing, Unusable, Wait, plural,
    standing,
};
use crate::config::Policy;

impl SecretStore {
    /// The admin page's view.
    pub fn status(&self, now: u64, policy: &Policy, rotation_configured: bool) -> SecretStatus {
        let client = self.observed.as_ref().and_then(|o| o.client.as_ref());
        let api = self.view().map(|(_, api)| api);
        let current_standing = api.map(|a| standing(&self.current, &a));
        let unusable = self.unusable();
        let current_expires_at = self.current.expires_at;
        let old_expires_at = self
            .previous
            .as_ref()
            .and_then(|p| p.expires_at)
            .or_else(|| {
                api.filter(|_| current_standing == Some(Standing::ApiCurrent))?
                    .old
            });
        let days = |e: Option<u64>| e.map(|e| days_left(e, now));
        let plan = self.plan(now, policy, Command::Step);

        let (next_action, next_action_text) = if !rotation_configured {
            (
                NextAction::NotConfigured,
                "Rotation is not configured: set the Citrix Cloud API settings to rotate the secret automatically.".to_owned(),
            )
        } else {
            next_action(&plan, now)
        };
        let availability = |command| -> ActionAvailability {
            if !rotation_configured {
                return refused("rotation is not configured");
            }
            // An admin's command reads Citrix Cloud before it plans, so before the first read
            // (a fresh deployment, before the daily run) it is offered; the run then decides.
            if self.observed.is_none() {
                return ActionAvailability {
                    allowed: true,
                    reason: None,
                };
            }
            match self.plan(now, policy, command) {
                Plan::Rotate { .. } | Plan::ExpireOld { .. } => ActionAvailability {
                    allowed: true,
                    reason: None,
                },
                Plan::ClientUnusable(u) => refused(&u.admin_text()),
                Plan::Refused(why) => refused(&why),
                other => refused(&other.to_string()),
            }
        };

        SecretStatus {
            client_name: client.map(|c| c.name.clone()),
            display_name: client.and_then(|c| c.display_name.clone()),
            enabled: client.map(|c| c.enabled != Some(false)),
            usable: unusable.is_none(),
            rotation_configured,
            phase: match self.phase {
                Phase::Idle => SecretPhase::Idle,
                Phase::Overlap { .. } => SecretPhase::Overlap,
            },
            current_expires_at,
            current_days_left: days(current_expires_at),
            old_expires_at,
            old_days_left: days(old_expires_at),
            successes_with_current: self.current_successes,
            last_rotation_at: self.last_rotation,
            current_issued_at: self.current.issued_at,
            last_observed_at: self.observed.as_ref().map(|o| o.at),
            last_run: self.last_run.as_ref().map(|r| run_status(r, now)),
            next_action,
            next_action_text,
            rotate_now: availability(Command::RotateNow),
            expire_old_now: availability(Command::ExpireOldNow),
            banner: self.banner(
                now,
                policy,
                rotation_configured,
                unusable,
                current_standing,
                api.and_then(|a| a.old),
            ),
        }
    }

    fn banner(
        &self,
        now: u64,
        policy: &Policy,
        rotation_configured: bool,
        unusable: Option<Unusable>,
        current_standing: Option<Standing>,
        api_old: Option<u64>,
    ) -> Option<Banner> {
        if let Some(u) = unusable {
            return Some(error_banner(&u.admin_text()));
        }
        let expires_at = self.current.expires_at;
        if let Some(e) = expires_at
            && e <= now
        {
            return Some(error_banner(&format!(
                "The client secret expired on {}: sign-in fails until it is rotated{}.",
                utc_minute(e),
                if rotation_configured {
                    " (the next run rotates it)"
                } else {
                    " in Citrix Cloud and CLIENT_SECRET is updated"
                }
            )));
        }
        if self
            .last_fallback
            .is_some_and(|f| self.last_success.is_none_or(|s| f > s))
        {
            return Some(warning(
                "Citrix Cloud refused the current secret; sign-ins are using a fallback secret. The next run checks the secrets against Citrix Cloud.",
            ));
        }
        if current_standing == Some(Standing::ApiOld) {
            return Some(warning(&format!(
                "Citrix Cloud holds a newer secret that the portal did not save. The portal keeps using its secret, Citrix Cloud's old one, until {}, and rotates again {} days before.",
                expires_at
                    .map(utc_minute)
                    .unwrap_or_else(|| "it expires".into()),
                policy.rotate_before_days
            )));
        }
        if matches!(
            current_standing,
            Some(Standing::Unknown | Standing::NotListed)
        ) && api_old.is_some()
        {
            return Some(warning(
                "Citrix Cloud lists two working secrets and the portal cannot tell which one CLIENT_SECRET is, so it cannot rotate safely. If CLIENT_SECRET is the newer one, expire the old one in Citrix Cloud.",
            ));
        }
        let left = expires_at.map(|e| e - now)?;
        if left > policy.window() {
            return None;
        }
        let days = days_left(expires_at?, now);
        if !rotation_configured {
            return Some(warning(&format!(
                "The client secret expires in {days} day{} and rotation is not configured: rotate it in Citrix Cloud and update CLIENT_SECRET.",
                plural(days)
            )));
        }
        match &self.last_run {
            Some(RunRecord {
                outcome: RunOutcome::Failed { stage, error },
                ..
            }) => Some(warning(&format!(
                "The client secret expires in {days} day{} and the last run failed {stage}: {error}",
                plural(days)
            ))),
            _ => None,
        }
    }
}

fn next_action(plan: &Plan, now: u64) -> (NextAction, String) {
    match plan {
        Plan::Nothing(Wait::FirstRead) => (
            NextAction::FirstRead,
            "Read the client from Citrix Cloud at the next run.".into(),
        ),
        Plan::Nothing(Wait::RotateLater { due_at } | Wait::RecoverLater { due_at }) => {
            let days = days_left(*due_at, now);
            (
                NextAction::RotateIn { days },
                format!("Rotate in {days} day{}.", plural(days)),
            )
        }
        Plan::Nothing(Wait::Proof {
            more,
            more_after_grace,
            grace_ends,
        }) => {
            let sooner = *grace_ends > now && more_after_grace < more;
            let clause = match more_after_grace {
                _ if !sooner => String::new(),
                0 => format!(" or at the first run after {}", utc_minute(*grace_ends)),
                n => format!(" (or {n}, after {})", utc_minute(*grace_ends)),
            };
            (
                NextAction::ExpireOldAfter {
                    successes: *more,
                    sooner_after: sooner.then_some(*grace_ends),
                },
                format!(
                    "Expire the old secret after {more} more successful sign-in{}{clause}.",
                    plural(u64::from(*more)),
                ),
            )
        }
        Plan::Nothing(Wait::Unmatched { old_expires_at }) => (
            NextAction::WaitForOldSecret {
                old_expires_at: *old_expires_at,
            },
            format!(
                "Wait until Citrix Cloud's old secret is gone{}, then resume rotation.",
                old_expires_at
                    .map(|e| format!(" (it expires on {})", utc_minute(e)))
                    .unwrap_or_default()
            ),
        ),
        Plan::Rotate { .. } => (
            NextAction::RotateAtNextRun,
            "Rotate at the next run.".into(),
        ),
        Plan::ExpireOld { .. } => (
            NextAction::ExpireOldAtNextRun,
            "Expire the old secret at the next run.".into(),
        ),
        Plan::ClientUnusable(u) => (NextAction::ClientUnusable, u.admin_text()),
        // A step is never refused.
        Plan::Refused(why) => (NextAction::Nothing, why.clone()),
    }
}

// ---------------------------------------------------------------------------------------------
// The admin page's view: the wire types are in portal_shared::api.

fn refused(why: &str) -> ActionAvailability {
    ActionAvailability {
        allowed: false,
        reason: Some(why.to_owned()),
    }
}

fn warning(text: &str) -> Banner {
    Banner {
        level: BannerLevel::Warning,
        text: text.to_owned(),
    }
}

fn error_banner(text: &str) -> Banner {
    Banner {
        level: BannerLevel::Error,
        text: text.to_owned(),
    }
}

/// A run still "running" after this long was interrupted.
const RUN_TIMEOUT_SECS: u64 = 15 * 60;

fn run_status(r: &RunRecord, now: u64) -> RunStatus {
    let (outcome, message) = match &r.outcome {
        RunOutcome::Running if now.saturating_sub(r.started_at) > RUN_TIMEOUT_SECS => {
            (RunResult::Interrupted, "The run never finished.".to_owned())
        }
        RunOutcome::Running => (RunResult::Running, "Running.".to_owned()),
        RunOutcome::Done(summary) => (RunResult::Ok, summary.clone()),
        RunOutcome::Failed { stage, error } => {
            (RunResult::Failed, format!("Failed {stage}: {error}"))
        }
    };
    RunStatus {
        command: r.command,
        started_at: r.started_at,
        finished_at: r.finished_at,
        outcome,
        message,
    }
}
