//! The admin page's view of the portal's OAuth client secret: facts only. The words for people
//! are the SPA's (`frontend/src/model/admin.rs`); the worker's log has its own.

use serde::{Deserialize, Serialize};

/// `GET /api/admin/secret`, and the answer of `POST /api/admin/secret/rotate` and
/// `POST /api/admin/secret/expire-old` (whose run, refused or not, is `last_run`): where the
/// rotation of the portal's client secret stands. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStatus {
    /// The client's `name` in Citrix Cloud, once read.
    pub client_name: Option<String>,
    /// Its display name.
    pub display_name: Option<String>,
    /// Whether it is enabled, once read.
    pub enabled: Option<bool>,
    /// Why sign-in cannot use the client (missing, disabled, public, secret unlisted), if so.
    pub problem: Option<ClientProblem>,
    /// Whether the Citrix Cloud API settings are present.
    pub rotation_configured: bool,
    /// `ROTATE_BEFORE_DAYS`: how long before its expiry the secret is rotated.
    pub rotate_before_days: u32,
    /// Where the rotation stands.
    pub phase: SecretPhase,
    /// When the current secret expires, Unix seconds, once known.
    pub current_expires_at: Option<u64>,
    /// Days left, partial days rounded up.
    pub current_days_left: Option<u64>,
    /// When the old secret expires, while there is one.
    pub old_expires_at: Option<u64>,
    /// Days left, partial days rounded up.
    pub old_days_left: Option<u64>,
    /// Successful token calls with the current secret.
    pub successes_with_current: u32,
    /// When the portal last rotated the secret.
    pub last_rotation_at: Option<u64>,
    /// When Citrix Cloud issued the current secret (`secret_update_time`), once known.
    pub current_issued_at: Option<u64>,
    /// When the client was last read from Citrix Cloud.
    pub last_observed_at: Option<u64>,
    /// The last run.
    pub last_run: Option<RunStatus>,
    /// What happens next.
    pub next_action: NextAction,
    /// Whether "rotate now" may be used, and if not why.
    pub rotate_now: ActionAvailability,
    /// Whether "expire old secret now" may be used, and if not why.
    pub expire_old_now: ActionAvailability,
    /// What admins must know on every page, when something needs attention.
    pub alert: Option<SecretAlert>,
}

/// Where the rotation of the client secret stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretPhase {
    /// One secret; waiting for its expiry to come near.
    Idle,
    /// A new secret is current and the old one still works until it is expired.
    Overlap,
}

/// Why sign-in cannot use the portal's client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ClientProblem {
    /// Citrix Cloud lists no client that is the portal's.
    Missing {
        /// The clients it lists instead (`name (display name)`), for the admin to choose from.
        #[serde(default)]
        listed: Vec<String>,
    },
    /// The client is disabled in Citrix Cloud.
    Disabled,
    /// The client has no secret (a public client).
    NoSecret,
    /// Citrix Cloud no longer lists the secret the portal holds, and it holds no other.
    SecretNotListed,
}

/// What the rotation does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum NextAction {
    /// The Citrix Cloud API settings are absent.
    NotConfigured,
    /// The client has not been read from Citrix Cloud yet.
    FirstRead,
    /// Rotate in `days` days.
    RotateIn {
        /// Days, rounded up.
        days: u64,
    },
    /// Rotate at the next run.
    RotateAtNextRun,
    /// Expire the old secret after `successes` more successful token calls.
    ExpireOldAfter {
        /// How many more.
        successes: u32,
        /// When fewer will do (the grace period's end), if that is still ahead.
        sooner_after: Option<u64>,
        /// How many are still needed after `sooner_after` (0 or 1).
        #[serde(default)]
        after_grace: u32,
    },
    /// Expire the old secret at the next run.
    ExpireOldAtNextRun,
    /// Waiting for Citrix Cloud's old secret to go, to know which secret is the portal's.
    WaitForOldSecret {
        /// When it expires.
        old_expires_at: Option<u64>,
    },
    /// Someone must fix the client in Citrix Cloud (`SecretStatus::problem` says what).
    ClientUnusable,
    /// Nothing to do.
    Nothing,
}

/// Whether an admin action may be used now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionAvailability {
    /// Whether.
    pub allowed: bool,
    /// If not, why.
    pub reason: Option<Refusal>,
}

/// Why an admin's command is not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Refusal {
    /// The Citrix Cloud API settings are absent.
    NotConfigured,
    /// The client has not been read from Citrix Cloud yet.
    NotReadYet,
    /// The current secret has not been matched to Citrix Cloud's yet.
    NotMatchedYet,
    /// Citrix Cloud lists two working secrets and the portal cannot tell which one it holds:
    /// rotating or expiring could delete it.
    CannotTellSecrets,
    /// Citrix Cloud's old secret is the portal's (a newer one was lost): expiring it would stop
    /// sign-in.
    OldSecretIsOurs,
    /// There is no old secret to expire.
    NoOldSecret,
    /// The current secret has not worked yet: expiring the old one could stop sign-in.
    CurrentUnproven,
    /// The client cannot be used at all.
    ClientUnusable {
        /// Why.
        problem: ClientProblem,
    },
}

/// What admins must know on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SecretAlert {
    /// Sign-in cannot use the client.
    ClientUnusable {
        /// Why.
        problem: ClientProblem,
    },
    /// The current secret has expired: sign-in fails.
    Expired {
        /// When.
        at: u64,
    },
    /// Citrix Cloud refused the current secret; sign-ins use a fallback secret.
    UsingFallback,
    /// Citrix Cloud holds a newer secret the portal did not save; the portal's is the old one.
    LostNewerSecret {
        /// When the portal's secret expires, if known.
        until: Option<u64>,
    },
    /// Citrix Cloud lists two working secrets and the portal cannot tell which one it holds.
    CannotTellSecrets,
    /// The secret expires soon and rotation is not configured.
    ExpiresUnrotated {
        /// Days left.
        days: u64,
    },
    /// The secret expires soon and the last run failed.
    ExpiresAfterFailedRun {
        /// Days left.
        days: u64,
        /// Where the run failed.
        stage: RunStage,
        /// What happened (never a secret).
        error: String,
    },
}

/// What a rotation run was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretCommand {
    /// One step of the machine: the daily cron trigger.
    Step,
    /// An admin's "rotate now", whatever the expiry.
    RotateNow,
    /// An admin's "expire old secret now".
    ExpireOldNow,
}

/// The last rotation run, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunStatus {
    /// What it was asked to do.
    pub command: SecretCommand,
    /// When it started, Unix seconds.
    pub started_at: u64,
    /// When it ended, if it did.
    pub finished_at: Option<u64>,
    /// How it ended.
    pub result: RunResult,
}

/// How a rotation run ended (or that it has not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RunResult {
    /// Still running.
    Running,
    /// Started long ago and never finished.
    Interrupted,
    /// Rotated: the new secret is current.
    Rotated {
        /// When the new secret expires.
        expires_at: Option<u64>,
        /// When the old one expires, unless expired before.
        old_expires_at: Option<u64>,
    },
    /// Expired the old secret.
    ExpiredOld,
    /// Nothing to do yet.
    Waiting {
        /// What comes next.
        next: NextAction,
    },
    /// The admin's command was not carried out.
    Refused {
        /// Why.
        refusal: Refusal,
    },
    /// Failed at `stage`; nothing changed.
    Failed {
        /// Where.
        stage: RunStage,
        /// What happened, for admins (never a secret).
        error: String,
    },
}

/// The external call or write a run failed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RunStage {
    /// Getting a Citrix Cloud API token.
    CloudToken,
    /// `GET rpclients`.
    ListClients,
    /// `$rotateSecret`.
    Rotate,
    /// Writing the store after a rotation: the new secret is lost.
    SaveNewSecret,
    /// `$expireOldSecret`.
    ExpireOld,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_status_round_trips_in_camel_case_with_tagged_facts() {
        let status = SecretStatus {
            client_name: Some("acme-private-1".into()),
            display_name: None,
            enabled: Some(true),
            problem: None,
            rotation_configured: true,
            rotate_before_days: 14,
            phase: SecretPhase::Overlap,
            current_expires_at: Some(100),
            current_days_left: Some(1),
            old_expires_at: None,
            old_days_left: None,
            successes_with_current: 2,
            last_rotation_at: Some(50),
            current_issued_at: None,
            last_observed_at: Some(60),
            last_run: Some(RunStatus {
                command: SecretCommand::RotateNow,
                started_at: 50,
                finished_at: Some(51),
                result: RunResult::Failed {
                    stage: RunStage::ListClients,
                    error: "e".into(),
                },
            }),
            next_action: NextAction::ExpireOldAfter {
                successes: 1,
                sooner_after: Some(90),
                after_grace: 0,
            },
            rotate_now: ActionAvailability {
                allowed: true,
                reason: None,
            },
            expire_old_now: ActionAvailability {
                allowed: false,
                reason: Some(Refusal::ClientUnusable {
                    problem: ClientProblem::Missing {
                        listed: vec!["a".into()],
                    },
                }),
            },
            alert: Some(SecretAlert::ExpiresAfterFailedRun {
                days: 1,
                stage: RunStage::ListClients,
                error: "e".into(),
            }),
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["phase"], "overlap");
        assert_eq!(json["rotateBeforeDays"], 14);
        assert_eq!(json["lastRun"]["command"], "rotateNow");
        assert_eq!(json["lastRun"]["result"]["kind"], "failed");
        assert_eq!(json["lastRun"]["result"]["stage"], "listClients");
        assert_eq!(json["nextAction"]["kind"], "expireOldAfter");
        assert_eq!(json["nextAction"]["soonerAfter"], 90);
        assert_eq!(json["alert"]["kind"], "expiresAfterFailedRun");
        assert_eq!(json["expireOldNow"]["reason"]["kind"], "clientUnusable");
        assert_eq!(
            json["expireOldNow"]["reason"]["problem"],
            serde_json::json!({"kind": "missing", "listed": ["a"]})
        );
        let back: SecretStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, status);
    }
}
