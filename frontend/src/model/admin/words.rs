//! The words for the worker's facts about the client secret (`portal_shared::api`): the only
//! place the admin page's sentences are written.

use portal_shared::api::{
    ClientProblem, NextAction, Refusal, RunResult, RunStage, SecretAlert, SecretStatus,
};
use portal_shared::time::{utc_date, utc_minute};

/// How a message or banner should look and be announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// It worked.
    Success,
    /// Needs attention soon.
    Warning,
    /// Failed, or sign-in fails until someone acts.
    Error,
}

impl Tone {
    /// Stable name for CSS and tests.
    pub fn slug(self) -> &'static str {
        match self {
            Tone::Success => "success",
            Tone::Warning => "warning",
            Tone::Error => "error",
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Why sign-in cannot use the client, and what to do.
pub fn problem(p: &ClientProblem) -> String {
    match p {
        ClientProblem::Missing { listed } if listed.is_empty() => {
            "Citrix Cloud lists no OAuth clients at all for this CUSTOMER_ID: check CUSTOMER_ID. If it is right, the portal's client was deleted, and sign-in fails until CLIENT_ID names an existing private client.".into()
        }
        ClientProblem::Missing { listed } => format!(
            "Citrix Cloud lists no OAuth client that is the portal's (none has CLIENT_ID or APPLICATION_ID as its api_key, or the name in CLIENT_NAME). It lists: {}. If one of them is the portal's client, set CLIENT_NAME to its name; if none is, it was deleted, and sign-in fails until CLIENT_ID names an existing private client.",
            listed.join(", ")
        ),
        ClientProblem::Disabled => {
            "The client is disabled in Citrix Cloud: sign-in fails until it is enabled again.".into()
        }
        ClientProblem::NoSecret => {
            "Citrix Cloud shows this client without a secret (a public client): the portal needs a private client.".into()
        }
        ClientProblem::SecretNotListed => {
            "Citrix Cloud no longer lists the secret the portal holds: rotate the secret in Citrix Cloud and set CLIENT_SECRET to the new one.".into()
        }
    }
}

/// Why an admin's command is not carried out, as a sentence.
pub fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::NotConfigured => "Rotation is not configured.".into(),
        Refusal::NotReadYet => {
            "The client has not been read from Citrix Cloud yet; the next run reads it.".into()
        }
        Refusal::NotMatchedYet => {
            "The current secret has not been matched to Citrix Cloud's yet; the next run matches it.".into()
        }
        Refusal::CannotTellSecrets => {
            "Citrix Cloud lists two working secrets and the portal cannot tell which one it holds: rotating or expiring now could delete it. Expire the old secret in Citrix Cloud if CLIENT_SECRET is the new one, or wait until the old one expires.".into()
        }
        Refusal::OldSecretIsOurs => {
            "Citrix Cloud's old secret is the one the portal uses (the newer one was not saved): expiring it would stop sign-in. Rotate instead.".into()
        }
        Refusal::NoOldSecret => "There is no old secret to expire.".into(),
        Refusal::CurrentUnproven => {
            "The current secret has not been used successfully yet: expiring the old one now could stop sign-in. Try again after someone has signed in.".into()
        }
        Refusal::ClientUnusable { problem: p } => problem(p),
    }
}

/// What the rotation does next; `status` says why for an unusable client.
pub fn next_action(next: &NextAction, status: &SecretStatus) -> String {
    match next {
        NextAction::NotConfigured => {
            "Rotation is not configured: set the Citrix Cloud API settings to rotate the secret automatically.".into()
        }
        NextAction::FirstRead => "Read the client from Citrix Cloud at the next run.".into(),
        NextAction::RotateIn { days } => format!("Rotate in {days} day{}.", plural(*days)),
        NextAction::RotateAtNextRun => "Rotate at the next run.".into(),
        NextAction::ExpireOldAfter {
            successes,
            sooner_after,
            after_grace,
        } => {
            let clause = match (sooner_after, after_grace) {
                (None, _) => String::new(),
                (Some(at), 0) => format!(" or at the first run after {}", utc_minute(*at)),
                (Some(at), n) => format!(" (or {n}, after {})", utc_minute(*at)),
            };
            format!(
                "Expire the old secret after {successes} more successful sign-in{}{clause}.",
                plural(u64::from(*successes))
            )
        }
        NextAction::ExpireOldAtNextRun => "Expire the old secret at the next run.".into(),
        NextAction::WaitForOldSecret { old_expires_at } => format!(
            "Wait until Citrix Cloud's old secret is gone{}, then resume rotation.",
            old_expires_at
                .map(|e| format!(" (it expires on {})", utc_minute(e)))
                .unwrap_or_default()
        ),
        NextAction::ClientUnusable => status.problem.as_ref().map_or_else(
            || "Fix the client in Citrix Cloud.".into(),
            problem,
        ),
        NextAction::Nothing => "Nothing to do.".into(),
    }
}

/// Where a run failed.
pub fn stage(s: RunStage) -> &'static str {
    match s {
        RunStage::CloudToken => "getting a Citrix Cloud API token",
        RunStage::ListClients => "reading the client from Citrix Cloud",
        RunStage::Rotate => "rotating the secret",
        RunStage::SaveNewSecret => "saving the new secret",
        RunStage::ExpireOld => "expiring the old secret",
    }
}

/// How a run ended, in a word.
pub fn run_result_short(r: &RunResult) -> &'static str {
    match r {
        RunResult::Running => "running",
        RunResult::Interrupted => "never finished",
        RunResult::Failed { .. } => "failed",
        RunResult::Refused { .. } => "refused",
        RunResult::Rotated { .. } | RunResult::ExpiredOld | RunResult::Waiting { .. } => {
            "succeeded"
        }
    }
}

/// What a run did, or why it did not.
pub fn run_result(r: &RunResult, status: &SecretStatus) -> String {
    let date = |at: &Option<u64>| at.map_or_else(|| "an unknown date".into(), utc_date);
    match r {
        RunResult::Running => "Running.".into(),
        RunResult::Interrupted => "The run never finished.".into(),
        RunResult::Rotated {
            expires_at,
            old_expires_at,
        } => format!(
            "Rotated: the new secret expires on {}; the old one works until {} or until it is expired.",
            date(expires_at),
            date(old_expires_at)
        ),
        RunResult::ExpiredOld => "Expired the old secret.".into(),
        RunResult::Waiting { next } => format!("Nothing to do yet. {}", next_action(next, status)),
        RunResult::Refused { refusal: r } => refusal(r),
        RunResult::Failed { stage: s, error } => format!("Failed {}: {error}.", stage(*s)),
    }
}

/// The alert's look and words.
pub fn alert(a: &SecretAlert, status: &SecretStatus) -> (Tone, String) {
    let days = |d: &u64| format!("{d} day{}", plural(*d));
    match a {
        SecretAlert::ClientUnusable { problem: p } => (Tone::Error, problem(p)),
        SecretAlert::Expired { at } => (
            Tone::Error,
            format!(
                "The client secret expired on {}: sign-in fails until it is rotated{}.",
                utc_minute(*at),
                if status.rotation_configured {
                    " (the next run rotates it)"
                } else {
                    " in Citrix Cloud and CLIENT_SECRET is updated"
                }
            ),
        ),
        SecretAlert::UsingFallback => (
            Tone::Warning,
            "Citrix Cloud refused the current secret; sign-ins are using a fallback secret. The next run checks the secrets against Citrix Cloud.".into(),
        ),
        SecretAlert::LostNewerSecret { until } => (
            Tone::Warning,
            format!(
                "Citrix Cloud holds a newer secret that the portal did not save. The portal keeps using its secret, Citrix Cloud's old one, until {}, and rotates again {} days before.",
                until.map_or_else(|| "it expires".into(), utc_minute),
                status.rotate_before_days
            ),
        ),
        SecretAlert::CannotTellSecrets => (
            Tone::Warning,
            "Citrix Cloud lists two working secrets and the portal cannot tell which one CLIENT_SECRET is, so it cannot rotate safely. If CLIENT_SECRET is the newer one, expire the old one in Citrix Cloud.".into(),
        ),
        SecretAlert::ExpiresUnrotated { days: d } => (
            Tone::Warning,
            format!(
                "The client secret expires in {} and rotation is not configured: rotate it in Citrix Cloud and update CLIENT_SECRET.",
                days(d)
            ),
        ),
        SecretAlert::ExpiresAfterFailedRun {
            days: d,
            stage: s,
            error,
        } => (
            Tone::Warning,
            format!(
                "The client secret expires in {} and the last run failed {}: {error}.",
                days(d),
                stage(*s)
            ),
        ),
    }
}
