//! The installed binary on its own: `--help` is enough to use it, and bad flags are explained.

use std::process::Command;

use workspace_emulator::demo;

fn emulator(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_workspace-emulator"))
        .args(args)
        .output()
        .expect("the emulator binary runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn help_names_every_flag_the_hosts_and_the_demo_credentials() {
    let (ok, help) = emulator(&["--help"]);
    assert!(ok, "{help}");
    for needed in [
        "--port",
        "--bind",
        "--topology",
        "--profile",
        "--data",
        "--print-seed",
        "--generate",
        "--redirect-uri",
        "--activation-delay",
        "--links",
        "--launch-form",
        "--bad-token",
        "--token-ttl",
        "/citrixapi/discovery/configurations",
        "Citrix-ApplicationId",
        "/core/.well-known/openid-configuration",
        "/_emulator/faults",
        "/admin",
        "cargo install --path tests/emulator",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET,
        demo::APPLICATION_ID,
        demo::CUSTOMER_ID,
        demo::CLOUD_CLIENT_ID,
        demo::CLOUD_CLIENT_SECRET,
    ] {
        assert!(
            help.contains(needed),
            "--help should name {needed}:\n{help}"
        );
    }
    for user in demo::USERS {
        assert!(help.contains(&format!("{} / {}", user.username, user.password)));
    }
}

#[test]
fn a_bad_flag_is_refused_with_the_usage() {
    for (args, says) in [
        (&["--frobnicate"][..], "unknown flag --frobnicate"),
        (&["--port", "70000"], "--port must be at most 65535"),
        (
            &["--topology", "cloudy"],
            "--topology is realistic or single",
        ),
        (&["--generate"], "--generate needs a value"),
    ] {
        let (ok, text) = emulator(args);
        assert!(!ok, "{args:?} should fail");
        assert!(text.contains(says), "{args:?}: {text}");
    }
    let (_, text) = emulator(&["--frobnicate"]);
    assert!(
        text.contains("usage:"),
        "an unknown flag shows the usage: {text}"
    );
}
