//! A launch's progress inside its card: preparing (with the countdown), ready with the
//! "didn't open?" fallback (the `.ica` file, or for a web app a link to it), or failed with the
//! reason and what to do.

use leptos::prelude::*;
use portal_shared::api::LaunchPreference;

use super::ctx::Ctx;
use crate::api;
use crate::model::LaunchPhase;
use crate::model::launch::RESTART_ADVICE;

/// Where people get Citrix Workspace app when `receiver://` opened nothing.
const WORKSPACE_APP_URL: &str = "https://www.citrix.com/downloads/workspace-app/";

/// The status of one launch.
#[component]
pub fn LaunchPanel(
    /// The page.
    ctx: Ctx,
    /// Resource id.
    id: String,
    /// Resource name.
    name: String,
    /// Where the launch is.
    phase: LaunchPhase,
) -> impl IntoView {
    let state = phase.state();
    let text = phase.describe(&name);
    let seconds_left = match &phase {
        LaunchPhase::Waiting { seconds_left, .. } => Some(seconds_left.to_string()),
        _ => None,
    };
    let body = match phase {
        LaunchPhase::Starting | LaunchPhase::Waiting { .. } | LaunchPhase::Polling => {
            let id = id.clone();
            view! {
                <p class="progress" data-testid="launch-progress" data-seconds-left=seconds_left>
                    <span class="spinner" aria-hidden="true"></span>{text}
                </p>
                <button class="link" data-testid="launch-cancel" aria-label=format!("Cancel launching {name}") on:click=move |_| ctx.cancel(&id)>"Cancel"</button>
            }
            .into_any()
        }
        LaunchPhase::Opening { fell_back, .. } => {
            let retry_id = id.clone();
            let dismiss_id = id.clone();
            let fell_back_id = id.clone();
            // The user needed the file after the hand-off: offer it every time.
            let why = if fell_back {
                view! { <strong data-testid="handoff-hint">"Citrix Workspace app did not open?"</strong>" Open the launch file once it has downloaded. Launches can download it every time instead." }.into_any()
            } else {
                view! { <strong>"Didn't open?"</strong>" Citrix Workspace app may not be installed, or the browser blocked it." }.into_any()
            };
            view! {
                <p data-testid="launch-progress">{text}</p>
                <div class="fallback" data-testid="launch-fallback">
                    <p class="small">{why}</p>
                    <ul class="small">
                        <li><a href=api::ica_url(&id) download="" data-testid="ica-download" on:click=move |_| ctx.fell_back(&fell_back_id)>"Download the launch file (.ica)"</a>" and open it."</li>
                        {fell_back.then(|| view! {
                            <li><button class="link" data-testid="prefer-ica" on:click=move |_| ctx.set_launch_preference(LaunchPreference::IcaFile)>"Always download launch files"</button></li>
                        })}
                        <li><a href=WORKSPACE_APP_URL target="_blank" rel="noopener noreferrer" data-testid="get-workspace-app">"Get Citrix Workspace app"</a></li>
                    </ul>
                    <button class="link" data-testid="launch-retry" on:click=move |_| ctx.launch(retry_id.clone())>"Launch again"</button>
                    <button class="link" data-testid="launch-dismiss" on:click=move |_| ctx.dismiss_launch(&dismiss_id)>"Done"</button>
                </div>
            }
            .into_any()
        }
        LaunchPhase::Downloading => {
            let dismiss_id = id.clone();
            view! {
                <p data-testid="launch-progress">{text}</p>
                <div class="fallback" data-testid="download-fallback">
                    <p class="small">"A desktop that is starting can take a minute. Nothing downloaded? "
                        <a href=api::ica_url(&id) download="" data-testid="ica-download">"Download it again"</a>"."
                    </p>
                    <button class="link" data-testid="launch-dismiss" on:click=move |_| ctx.dismiss_launch(&dismiss_id)>"Done"</button>
                </div>
            }
            .into_any()
        }
        LaunchPhase::InBrowser { url } => {
            let dismiss_id = id.clone();
            view! {
                <p data-testid="launch-progress">{text}</p>
                <div class="fallback" data-testid="web-fallback">
                    <p class="small"><strong>"Didn't open?"</strong>" The browser may have blocked the new tab: "
                        <a href=url target="_blank" rel="noopener noreferrer" data-testid="web-open-link">{format!("open {name}")}</a>"."
                    </p>
                    <button class="link" data-testid="launch-dismiss" on:click=move |_| ctx.dismiss_launch(&dismiss_id)>"Done"</button>
                </div>
            }
            .into_any()
        }
        LaunchPhase::Failed {
            suggest_restart, ..
        } => {
            let retry_id = id.clone();
            let dismiss_id = id.clone();
            view! {
                <p class="error" data-testid="launch-error">{text}</p>
                {suggest_restart.then(|| view! { <p class="small" data-testid="launch-restart-advice">{RESTART_ADVICE}</p> })}
                <button class="link" data-testid="launch-retry" on:click=move |_| ctx.launch(retry_id.clone())>"Try again"</button>
                <button class="link" data-testid="launch-dismiss" on:click=move |_| ctx.dismiss_launch(&dismiss_id)>"Dismiss"</button>
            }
            .into_any()
        }
    };
    view! {
        <div class="launch" data-testid="launch-status" data-state=state>{body}</div>
    }
}
