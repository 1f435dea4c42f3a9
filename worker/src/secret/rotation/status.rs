//! The admin page's view of the store ([`SecretStore::status`]): facts only, in the wire types
//! of `portal_shared::api`; the SPA words them.

use portal_shared::api::{
    ActionAvailability, ClientProblem, NextAction, Refusal, RunResult, RunStatus, SecretAlert,
    SecretPhase, SecretStatus,
};
use portal_shared::time::days_left;

use super::plan::{Plan, Wait};
use super::store::{Command, Event, Phase, RunRecord, SecretStore, Standing, standing};
use crate::config::Policy;

impl SecretStore {
    /// Records that the run finished after planning `plan`, which needs no call.
    pub fn run_finished(&mut self, plan: &Plan, now: u64) -> Event {
        let command = self.last_run.as_ref().map_or(Command::Step, |r| r.command);
        self.finish(now, finished(plan, command, now));
        Event::info(format!("run finished: {plan}"))
    }

    /// The admin page's view.
    pub fn status(&self, now: u64, policy: &Policy, rotation_configured: bool) -> SecretStatus {
        let client = self.observed.as_ref().and_then(|o| o.client.as_ref());
        let api = self.view().map(|(_, api)| api);
        let current_standing = api.map(|a| standing(&self.current, &a));
        let problem = self.unusable();
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
        let next_action = if rotation_configured {
            next_action(&self.plan(now, policy, Command::Step), now)
        } else {
            NextAction::NotConfigured
        };
        let availability = |command| -> ActionAvailability {
            let refused = |why| ActionAvailability {
                allowed: false,
                reason: Some(why),
            };
            if !rotation_configured {
                return refused(Refusal::NotConfigured);
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
                Plan::ClientUnusable(problem) => refused(Refusal::ClientUnusable { problem }),
                Plan::Refused(why) => refused(why),
                // An admin's command plans a call or a refusal, never a wait.
                Plan::Rotate { .. } | Plan::ExpireOld { .. } | Plan::Nothing(_) => {
                    ActionAvailability {
                        allowed: true,
                        reason: None,
                    }
                }
            }
        };
        let alert = self.alert(
            now,
            policy,
            rotation_configured,
            problem.clone(),
            current_standing,
            api.and_then(|a| a.old),
        );

        SecretStatus {
            client_name: client.map(|c| c.name.clone()),
            display_name: client.and_then(|c| c.display_name.clone()),
            enabled: client.map(|c| c.enabled != Some(false)),
            problem,
            rotation_configured,
            rotate_before_days: policy.rotate_before_days,
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
            rotate_now: availability(Command::RotateNow),
            expire_old_now: availability(Command::ExpireOldNow),
            alert,
        }
    }

    /// The most urgent thing admins must know, if any.
    fn alert(
        &self,
        now: u64,
        policy: &Policy,
        rotation_configured: bool,
        problem: Option<ClientProblem>,
        current_standing: Option<Standing>,
        api_old: Option<u64>,
    ) -> Option<SecretAlert> {
        if let Some(problem) = problem {
            return Some(SecretAlert::ClientUnusable { problem });
        }
        let expires_at = self.current.expires_at;
        if let Some(at) = expires_at.filter(|&e| e <= now) {
            return Some(SecretAlert::Expired { at });
        }
        if self
            .last_fallback
            .is_some_and(|f| self.last_success.is_none_or(|s| f > s))
        {
            return Some(SecretAlert::UsingFallback);
        }
        if current_standing == Some(Standing::ApiOld) {
            return Some(SecretAlert::LostNewerSecret { until: expires_at });
        }
        if matches!(
            current_standing,
            Some(Standing::Unknown | Standing::NotListed)
        ) && api_old.is_some()
        {
            return Some(SecretAlert::CannotTellSecrets);
        }
        let expires_at = expires_at?;
        if expires_at - now > policy.window() {
            return None;
        }
        let days = days_left(expires_at, now);
        if !rotation_configured {
            return Some(SecretAlert::ExpiresUnrotated { days });
        }
        match &self.last_run {
            Some(RunRecord {
                result: RunResult::Failed { stage, error },
                ..
            }) => Some(SecretAlert::ExpiresAfterFailedRun {
                days,
                stage: *stage,
                error: error.clone(),
            }),
            _ => None,
        }
    }
}

/// What a plan means for the admin page.
fn next_action(plan: &Plan, now: u64) -> NextAction {
    match plan {
        Plan::Nothing(Wait::FirstRead) => NextAction::FirstRead,
        Plan::Nothing(Wait::RotateLater { due_at } | Wait::RecoverLater { due_at }) => {
            NextAction::RotateIn {
                days: days_left(*due_at, now),
            }
        }
        Plan::Nothing(Wait::Proof {
            more,
            more_after_grace,
            grace_ends,
        }) => NextAction::ExpireOldAfter {
            successes: *more,
            sooner_after: (*grace_ends > now && more_after_grace < more).then_some(*grace_ends),
            after_grace: *more_after_grace,
        },
        Plan::Nothing(Wait::Unmatched { old_expires_at }) => NextAction::WaitForOldSecret {
            old_expires_at: *old_expires_at,
        },
        Plan::Rotate { .. } => NextAction::RotateAtNextRun,
        Plan::ExpireOld { .. } => NextAction::ExpireOldAtNextRun,
        Plan::ClientUnusable(_) => NextAction::ClientUnusable,
        // A step is never refused; an admin's command is, and says so in its result.
        Plan::Refused(_) => NextAction::Nothing,
    }
}

/// How a run that planned `plan` and needed no call ended.
pub(super) fn finished(plan: &Plan, command: Command, now: u64) -> RunResult {
    match plan {
        Plan::Refused(refusal) => RunResult::Refused {
            refusal: refusal.clone(),
        },
        Plan::ClientUnusable(problem) if command != Command::Step => RunResult::Refused {
            refusal: Refusal::ClientUnusable {
                problem: problem.clone(),
            },
        },
        other => RunResult::Waiting {
            next: next_action(other, now),
        },
    }
}

/// A run still "running" after this long was interrupted.
const RUN_TIMEOUT_SECS: u64 = 15 * 60;

fn run_status(r: &RunRecord, now: u64) -> RunStatus {
    let result = match &r.result {
        RunResult::Running if now.saturating_sub(r.started_at) > RUN_TIMEOUT_SECS => {
            RunResult::Interrupted
        }
        other => other.clone(),
    };
    RunStatus {
        command: r.command,
        started_at: r.started_at,
        finished_at: r.finished_at,
        result,
    }
}
