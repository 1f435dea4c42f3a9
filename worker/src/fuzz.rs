//! Property tests of every parser of untrusted input: what Citrix Cloud sends (Workspace and
//! Citrix Cloud API payloads), what browsers send (cookies, `returnTo`, sealed values, device
//! ids), ID tokens, and the settings an admin types.
//!
//! Each property runs proptest's default number of cases (256), so `cargo test` stays quick; set
//! `PROPTEST_CASES` (e.g. `PROPTEST_CASES=10000`) for a longer run. Failures are not persisted
//! to `proptest-regressions/` files: a failure prints its shrunk input, and each one found
//! becomes a plain `#[test]` with that exact input beside the parser it broke, where it is read
//! and kept like any other test.
//!
//! ICA files are not here because the worker passes them from the store to the browser without
//! reading them. Launch handles are not here yet: they are only generated (`random_token(24)`),
//! and the check of their format is being written separately.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use url::Url;

use crate::auth::id_token;
use crate::auth::return_to::ReturnTo;
use crate::citrix::catalogue;
use crate::citrix::cloud::{self, RpClient};
use crate::citrix::device::DeviceId;
use crate::citrix::launch::{self, Step};
use crate::citrix::sessions;
use crate::citrix::workspace::{
    Discovery, Endpoint, Items, LaunchAnswer, OAuthErrorBody, OidcMetadata, Resource, ResourceList,
    Service, TokenAnswer,
};
use crate::config::{self, Config as PortalConfig};
use crate::crypto::Keyring;
use crate::http::cookies;
use crate::http::origin::{IconSource, Origin, OriginPattern, Trusted};

/// Proptest's defaults (including `PROPTEST_CASES` from the environment), without regression
/// files in the source tree.
fn config() -> Config {
    Config {
        failure_persistence: None,
        ..Config::default()
    }
}

/// Parses `value` from its text, as a body would be (`Items` reads raw JSON text).
fn parse<T: DeserializeOwned>(value: &Value) -> serde_json::Result<T> {
    serde_json::from_str(&value.to_string())
}

// ---------------------------------------------------------------------------------------------
// Strategies

/// Pieces that parsers of URLs, paths, cookies and numbers trip over.
const PIECES: &[&str] = &[
    "/",
    "\\",
    "%2f",
    "%2F",
    "%5c",
    "%5C",
    "%2e",
    "%00",
    "%0d%0a",
    "%",
    "@",
    ":",
    ";",
    ",",
    "=",
    "?",
    "#",
    "&",
    ".",
    "..",
    "\t",
    "\n",
    "\r",
    " ",
    "\0",
    "\u{7f}",
    "\u{85}",
    "\u{a0}",
    "\u{2028}",
    "\u{3000}",
    "\u{ff0f}",
    "\u{fe6b}",
    "é",
    "😀",
    "\"",
    "'",
    "<",
    "evil.com",
    "acme.cloud.com",
    "auth",
    "login",
    "https:",
    "https://",
    "http://",
    "receiver://",
    "RECEIVER://",
    "javascript:",
    "0",
    "-1",
    "5",
    "1e3",
    "99999999999999999999999",
    "null",
];

/// Arbitrary text, half of it made of [`PIECES`].
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(select(PIECES), 0..12).prop_map(|p| p.concat()),
        any::<String>(),
    ]
}

/// Field names the payload types read, so that arbitrary values land where they matter.
const KEYS: &[&str] = &[
    "resources",
    "resourceId",
    "id",
    "name",
    "description",
    "type",
    "isDesktop",
    "path",
    "isFavorite",
    "favorite",
    "clientTypes",
    "enabled",
    "links",
    "imageUrl",
    "icaFileFetchTicketUrl",
    "icaFileUrl",
    "launchStatusUrl",
    "launchUrl",
    "favoriteUrl",
    "services",
    "service",
    "endpoints",
    "url",
    "capabilities",
    "authScopes",
    "clientSettings",
    "customerDomain",
    "promptLoginEnabled",
    "acr_values",
    "oidcConfiguration",
    "oidc_discovery_endpoint",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "status",
    "pollTimeout",
    "retryUrl",
    "receiverUri",
    "errorId",
    "suggestRestart",
    "error",
    "error_description",
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "id_token",
    "api_key",
    "secret_expiration",
    "client",
    "secret",
];

/// Any JSON value, nested a few levels, with objects keyed mostly by [`KEYS`].
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        number().prop_map(Value::from),
        // A non-finite float becomes `null`.
        any::<f64>().prop_map(Value::from),
        tricky().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        let key = prop_oneof![3 => select(KEYS).prop_map(str::to_owned), 1 => tricky()];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A whole number, often at either end of the range, where arithmetic overflows.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![any::<u64>(), 0..1000u64, u64::MAX - 1000..=u64::MAX]
}

/// A short id from a tiny alphabet, so that empty and repeated ids are common.
fn short_id() -> impl Strategy<Value = String> {
    "[ab]{0,2}"
}

/// A value for a field of a resource: mostly the right type, sometimes anything.
fn resource_field(key: &'static str) -> BoxedStrategy<Value> {
    let typed: BoxedStrategy<Value> = match key {
        "resourceId" | "id" => short_id().prop_map(Value::String).boxed(),
        "isDesktop" | "isFavorite" | "favorite" | "enabled" => {
            any::<Option<bool>>().prop_map(|b| json!(b)).boxed()
        }
        "clientTypes" => prop::collection::vec(select(&["ica30", "ICA30", "content"][..]), 0..3)
            .prop_map(|t| json!(t))
            .boxed(),
        "links" => prop::collection::vec(
            (
                select(
                    &[
                        "imageUrl",
                        "icaFileFetchTicketUrl",
                        "icaFileUrl",
                        "launchStatusUrl",
                        "launchUrl",
                        "favoriteUrl",
                    ][..],
                ),
                tricky(),
            ),
            0..6,
        )
        .prop_map(|l| Value::Object(l.into_iter().map(|(k, v)| (k.into(), v.into())).collect()))
        .boxed(),
        _ => tricky().prop_map(Value::String).boxed(),
    };
    prop_oneof![6 => typed, 1 => Just(Value::Null), 1 => json_value()].boxed()
}

/// Something shaped like a resource of the enumeration answer, often subtly wrong.
fn resource_value() -> impl Strategy<Value = Value> {
    const FIELDS: &[&str] = &[
        "resourceId",
        "id",
        "name",
        "description",
        "type",
        "isDesktop",
        "path",
        "isFavorite",
        "favorite",
        "clientTypes",
        "enabled",
        "links",
    ];
    let fields: Vec<_> = FIELDS
        .iter()
        .map(|&k| prop::option::weighted(0.7, resource_field(k)).prop_map(move |v| (k, v)))
        .collect();
    prop_oneof![
        8 => fields.prop_map(|f| {
            Value::Object(
                f.into_iter()
                    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
                    .collect(),
            )
        }),
        1 => json_value(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Workspace and Citrix Cloud payloads

/// Parses `body` as every payload type, and feeds what parses to the code that consumes it,
/// checking what must hold whatever the body.
fn parse_everything(body: &[u8]) {
    let _ = serde_json::from_slice::<Discovery>(body);
    let _ = serde_json::from_slice::<Service>(body);
    let _ = serde_json::from_slice::<Endpoint>(body);
    let _ = serde_json::from_slice::<OidcMetadata>(body);
    let _ = serde_json::from_slice::<OAuthErrorBody>(body);
    let _ = serde_json::from_slice::<TokenAnswer>(body);
    if let Ok(list) = serde_json::from_slice::<ResourceList>(body) {
        check_catalogue(list);
    }
    if let Ok(list) = serde_json::from_slice::<sessions::SessionList>(body) {
        check_sessions(list);
    }
    if let Ok(answer) = serde_json::from_slice::<LaunchAnswer>(body) {
        for status in [200, 201, 202, 400, 500] {
            check_step(status, &answer);
        }
    }
    if let Ok(token) = cloud::parse_token(body, 1_700_000_000) {
        assert!(!token.value.is_empty());
    }
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = cloud::parse_rpclients(text);
        if let Err(e) = cloud::parse_rotated(text) {
            // The answer holds the new secret: its error names what went wrong and where, and
            // never quotes the body.
            assert!(
                e.starts_with("$rotateSecret answer: ") && !e.contains('"'),
                "{e}"
            );
        }
    }
}

/// The running sessions' invariants for any list the store may send: every session is shown
/// or counted as skipped, and the shown ones have distinct, non-empty ids with their links.
fn check_sessions(list: sessions::SessionList) {
    let listed = list.sessions.good.len() + list.sessions.skipped.len();
    let device = DeviceId::generate();
    let (view, links, skipped) = sessions::build(list, &device, |_| true);
    assert_eq!(view.sessions.len() + skipped.len(), listed);
    assert_eq!(view.skipped as usize, skipped.len());
    let ids: HashSet<&str> = view.sessions.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), view.sessions.len());
    assert!(!ids.contains(""));
    assert_eq!(links.len(), view.sessions.len());
}

/// The catalogue's invariants for any list the store may send.
fn check_catalogue(list: ResourceList) {
    let urls: HashSet<String> = list
        .resources
        .good
        .iter()
        .flat_map(|r| {
            let l = &r.links;
            [
                &l.image_url,
                &l.ica_file_fetch_ticket_url,
                &l.ica_file_url,
                &l.launch_status_url,
                &l.launch_url,
                &l.favorite_url,
            ]
            .into_iter()
            .flatten()
            .cloned()
        })
        .collect();
    let names: HashSet<String> = list.resources.good.iter().map(|r| r.name.clone()).collect();
    let disabled = list
        .resources
        .good
        .iter()
        .filter(|r| r.enabled == Some(false) && r.id().is_some())
        .count();
    let items = list.resources.good.len() + list.resources.skipped.len();
    let (cat, links, skipped) = catalogue::build(list);
    assert_eq!(usize::try_from(cat.skipped).unwrap(), skipped.len());
    // Every item is shown, skipped (and counted) or left out as disabled.
    assert_eq!(cat.resources.len() + skipped.len() + disabled, items);
    let mut ids = HashSet::new();
    for r in &cat.resources {
        assert!(!r.id.is_empty(), "{r:?}");
        assert!(ids.insert(r.id.clone()), "the id {:?} is shown twice", r.id);
        assert!(names.contains(&r.name), "{r:?}");
        let link = &links[&r.id];
        assert_eq!(r.launchable, link.launchable);
        assert_eq!(
            r.icon_url,
            link.image.as_ref().map(|_| catalogue::icon_path(&r.id))
        );
        if r.launchable {
            assert!(link.launch.is_some(), "{r:?}");
        }
    }
    assert_eq!(links.len(), cat.resources.len());
    for l in links.values() {
        let stored = [&l.image, &l.ica, &l.favorite]
            .into_iter()
            .flatten()
            .chain(l.launch.as_ref().map(|(u, _)| u));
        for url in stored {
            assert!(urls.contains(url), "the link {url:?} was not in the input");
        }
    }
}

/// What a launch answer may turn into, for any HTTP status and body.
fn check_step(status: u16, answer: &LaunchAnswer) {
    match launch::normalise(status, answer) {
        Ok(Step::Ready { receiver_uri }) => {
            let scheme = receiver_uri.get(..11).unwrap_or_default();
            assert!(
                scheme.eq_ignore_ascii_case("receiver://"),
                "{receiver_uri:?}"
            );
            assert!(receiver_uri.len() > 11, "{receiver_uri:?}");
            assert!(
                !receiver_uri
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace()),
                "{receiver_uri:?}"
            );
            assert_eq!(Some(receiver_uri.as_str()), answer.receiver_uri.as_deref());
            assert!(matches!(status, 200 | 201));
        }
        Ok(Step::Retry {
            retry_url,
            after_secs,
        }) => {
            assert!((1..=60).contains(&after_secs), "{after_secs}");
            assert_eq!(retry_url, answer.retry_url);
            assert!(matches!(status, 200 | 202));
        }
        Ok(Step::Failed { code, message, .. }) => {
            assert!(!code.is_empty() && !message.is_empty());
            assert_eq!(status, 200);
        }
        Err(e) => assert!(!e.is_empty()),
    }
}

/// The public samples' shapes, to mutate.
const FIXTURES: &[&str] = &[
    include_str!("../fixtures/samples/discovery.json"),
    include_str!("../fixtures/samples/resources-2023.json"),
    include_str!("../fixtures/samples/resources-2026.json"),
    include_str!("../fixtures/samples/launch-retry.json"),
    include_str!("../fixtures/samples/launch-success.json"),
];

/// One change to a body.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(Index),
    Flip(Index, u8),
    InsertNul(Index),
    Insert(Index, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<Index>().prop_map(Mutation::InsertNul),
        (
            any::<Index>(),
            prop_oneof![
                json_value().prop_map(|v| v.to_string()),
                select(&["null", ",", "{", "]", "\"", "\\u", "1e999", "-0"][..])
                    .prop_map(str::to_owned)
            ]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
    ]
}

fn mutate(body: &mut Vec<u8>, m: &Mutation) {
    let at = |i: &Index, len: usize| i.index(len + 1);
    match m {
        Mutation::Truncate(i) => body.truncate(at(i, body.len())),
        Mutation::Flip(i, x) => {
            if !body.is_empty() {
                let i = i.index(body.len());
                body[i] ^= x;
            }
        }
        Mutation::InsertNul(i) => body.insert(at(i, body.len()), 0),
        Mutation::Insert(i, s) => {
            let i = at(i, body.len());
            body.splice(i..i, s.bytes());
        }
    }
}

/// `items` as a list with `bad` at `position`, parsed as `Items<T>`: the good ones are all
/// kept in order, and only the bad one is skipped, under its id when it has one.
fn one_bad_item<T: serde::de::DeserializeOwned>(
    good: Vec<Value>,
    bad: Value,
    position: Index,
    bad_id: Option<&str>,
) -> Items<T> {
    let count = good.len();
    let mut list = good;
    list.insert(position.index(count + 1), bad);
    let items: Items<T> = parse(&Value::Array(list)).unwrap();
    assert_eq!(items.good.len(), count);
    assert_eq!(items.skipped.len(), 1);
    if let Some(id) = bad_id {
        assert_eq!(items.skipped[0].id.as_deref(), Some(id));
    }
    items
}

/// An item that cannot parse whatever else it holds: a scalar, or an object whose `field` has
/// a value of the wrong type, perhaps with a readable id.
fn bad_item(field: &'static str) -> impl Strategy<Value = (Value, Option<String>)> {
    let wrong = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(json!([1, "x"])),
        Just(json!({"nested": true})),
    ];
    prop_oneof![
        prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            tricky().prop_map(Value::String),
        ]
        .prop_map(|v| (v, None)),
        (
            prop::collection::vec((select(KEYS), json_value()), 0..6),
            wrong,
            prop::option::of("[a-z0-9 ]{1,8}")
        )
            .prop_map(move |(fields, wrong, id)| {
                let mut o: Map<String, Value> = fields
                    .into_iter()
                    .filter(|(k, _)| !matches!(*k, "resourceId" | "id" | "service"))
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                o.insert(field.into(), wrong);
                if let Some(id) = &id {
                    o.insert("resourceId".into(), id.clone().into());
                }
                (Value::Object(o), id)
            }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_a_payload_parser(body in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&body);
    }

    #[test]
    fn arbitrary_json_never_panics_a_payload_parser(value in json_value()) {
        parse_everything(value.to_string().as_bytes());
        // The same value as every list and object field the payloads have.
        for key in ["resources", "sessions", "services", "endpoints", "links", "clientSettings", "pollTimeout",
                    "expires_in", "receiverUri", "status"] {
            parse_everything(json!({ key: value.clone() }).to_string().as_bytes());
        }
    }

    #[test]
    fn mutated_samples_never_panic_a_payload_parser(
        fixture in select(FIXTURES),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let mut body = fixture.as_bytes().to_vec();
        for m in &mutations {
            mutate(&mut body, m);
        }
        parse_everything(&body);
    }

    #[test]
    fn a_resource_list_is_never_refused_for_its_items(
        items in prop::collection::vec(resource_value(), 0..12),
    ) {
        let count = items.len();
        let list: ResourceList = parse(&json!({ "resources": items })).unwrap();
        prop_assert_eq!(list.resources.good.len() + list.resources.skipped.len(), count);
        check_catalogue(list);
    }

    #[test]
    fn a_session_list_is_never_refused_for_its_items(
        items in prop::collection::vec(json_value(), 0..12),
    ) {
        let count = items.len();
        let list: sessions::SessionList = parse(&json!({ "sessions": items.clone() })).unwrap();
        prop_assert_eq!(list.sessions.good.len() + list.sessions.skipped.len(), count);
        check_sessions(list);
        // The bare list reads the same.
        let bare: sessions::SessionList = parse(&Value::Array(items)).unwrap();
        prop_assert_eq!(bare.sessions.good.len() + bare.sessions.skipped.len(), count);
    }

    #[test]
    fn one_bad_resource_costs_only_itself(
        ids in prop::collection::vec("[a-z0-9]{1,6}", 0..6),
        (bad, bad_id) in bad_item("name"),
        position in any::<Index>(),
    ) {
        let good = ids.iter().map(|id| json!({"resourceId": id, "name": id})).collect();
        let items: Items<Resource> = one_bad_item(good, bad, position, bad_id.as_deref());
        let kept: Vec<_> = items.good.iter().map(|r| r.id().unwrap_or_default()).collect();
        prop_assert_eq!(kept, ids.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn one_bad_endpoint_or_client_costs_only_itself(
        count in 0..6usize,
        (bad_endpoint, endpoint_id) in bad_item("url"),
        (bad_client, client_id) in bad_item("name"),
        position in any::<Index>(),
    ) {
        let endpoints = (0..count).map(|i| json!({"id": format!("e{i}"), "url": "https://a/"})).collect();
        one_bad_item::<Endpoint>(endpoints, bad_endpoint, position, endpoint_id.as_deref());
        let clients = (0..count).map(|i| json!({"name": format!("c{i}"), "api_key": "k"})).collect();
        let clients: Items<RpClient> = one_bad_item(clients, bad_client, position, client_id.as_deref());
        let names: Vec<_> = clients.good.iter().map(|c| c.name.clone()).collect();
        prop_assert_eq!(names, (0..count).map(|i| format!("c{i}")).collect::<Vec<_>>());
    }

    #[test]
    fn numbers_may_come_as_strings(n in any::<u32>(), big in any::<u64>(), pad in "[ \t]{0,2}") {
        for poll in [json!(n), json!(n.to_string()), json!(format!("{pad}{n}{pad}")), json!(f64::from(n))] {
            let a: LaunchAnswer = parse(&json!({"pollTimeout": poll})).unwrap();
            prop_assert_eq!(a.poll_timeout, Some(n));
        }
        let t: TokenAnswer = parse(&json!({"access_token": "a", "expires_in": big.to_string()})).unwrap();
        prop_assert_eq!(t.expires_in(), Some(std::time::Duration::from_secs(big)));
    }

    #[test]
    fn a_lenient_number_is_never_an_error(value in json_value()) {
        let a: LaunchAnswer = parse(&json!({"pollTimeout": value.clone()})).unwrap();
        if a.poll_timeout.is_some() {
            // Only a number, or a string of digits, is read as one.
            prop_assert!(value.is_number() || value.as_str().is_some_and(|s| {
                s.trim().trim_start_matches('+').bytes().all(|b| b.is_ascii_digit())
            }), "{}", value);
        }
        parse::<TokenAnswer>(&json!({"access_token": "a", "expires_in": value})).unwrap();
    }

    #[test]
    fn a_cloud_token_of_any_lifetime_is_used_until_a_sane_time(lifetime in number(), now in number()) {
        let body = json!({"access_token": "t", "expires_in": lifetime}).to_string();
        let token = cloud::parse_token(body.as_bytes(), now).unwrap();
        prop_assert!(token.use_until >= now);
    }

    // -----------------------------------------------------------------------------------------
    // Launch answers

    #[test]
    fn a_launch_answer_is_normalised_safely(
        status in prop_oneof![select(&[200u16, 201, 202][..]), any::<u16>()],
        answer_status in prop::option::of(prop_oneof![
            select(&["retry", "RETRY", "success", "Success", "failure", "failed", "error"][..])
                .prop_map(str::to_owned),
            tricky(),
        ]),
        poll_timeout in any::<Option<u32>>(),
        retry_url in prop::option::of(tricky()),
        receiver_uri in prop::option::of(prop_oneof![
            (
                select(&["receiver://", "RECEIVER://", "Receiver://", "receiver:/", "receiver:", "https://", ""][..]),
                tricky(),
            )
                .prop_map(|(s, rest)| format!("{s}{rest}")),
            tricky(),
        ]),
        error_id in prop::option::of(tricky()),
        suggest_restart in any::<Option<bool>>(),
    ) {
        let answer = LaunchAnswer {
            status: answer_status,
            poll_timeout,
            retry_url,
            retry_key: None,
            receiver_uri,
            error_id,
            suggest_restart,
        };
        check_step(status, &answer);
    }

    // -----------------------------------------------------------------------------------------
    // What browsers send

    #[test]
    fn any_cookie_header_is_read_without_panic_or_separator(header in tricky(), name in prop_oneof![
        select(&[cookies::SESSION, cookies::LOGIN, cookies::DEVICE][..]).prop_map(str::to_owned),
        tricky(),
    ]) {
        if let Some(v) = cookies::get(&header, &name) {
            prop_assert!(!v.contains(';') && !v.is_empty() && v.trim() == v, "{:?}", v);
            prop_assert!(header.contains(v));
        }
        let _ = DeviceId::from_cookies(&header);
    }

    #[test]
    fn our_cookie_is_found_among_any_others(
        before in prop::collection::vec(("[!#-+.0-9A-Z^_`a-z|~-]{1,16}", "[^;]{0,24}"), 0..5),
        after in prop::collection::vec(("[!#-+.0-9A-Z^_`a-z|~-]{1,16}", "[^;]{0,24}"), 0..5),
        ours in "[!#-+\\--:<-\\[\\]-~]{1,64}",
        name in select(&[cookies::SESSION, cookies::LOGIN, cookies::DEVICE][..]),
        space in select(&["", " ", "  "][..]),
    ) {
        // Other cookies never have our name: the first cookie of a name is the one read.
        let others = |list: &[(String, String)]| -> Vec<String> {
            list.iter().filter(|(k, _)| k != name).map(|(k, v)| format!("{k}={v}")).collect()
        };
        let mut pairs = others(&before);
        pairs.push(format!("{name}={ours}"));
        pairs.extend(others(&after));
        let header = pairs.join(&format!(";{space}"));
        prop_assert_eq!(cookies::get(&header, name), Some(ours.as_str()));
    }

    #[test]
    fn return_to_is_always_a_plain_same_origin_path(input in prop_oneof![
        (any::<bool>(), tricky()).prop_map(|(slash, s)| if slash { format!("/{s}") } else { s }),
        // Long inputs, near the length limit and past it once percent-encoded.
        (select(&["é", "a", "/", "%2f", "😀", " "][..]), 300..1100usize)
            .prop_map(|(piece, n)| format!("/{}", piece.repeat(n))),
    ]) {
        let parsed = ReturnTo::parse(&input);
        let path = parsed.as_str();
        prop_assert!(path.starts_with('/'), "{:?}", path);
        prop_assert!(!path.starts_with("//") && !path.starts_with("/\\"), "{:?}", path);
        prop_assert!(!path.starts_with("/auth/"), "{:?}", path);
        prop_assert!(!path.chars().any(|c| c.is_control() || c.is_whitespace()), "{:?}", path);
        let base = Url::parse("https://portal.example/").unwrap();
        let resolved = base.join(path).unwrap();
        prop_assert_eq!(resolved.origin(), base.origin());
        let again = ReturnTo::parse(path);
        prop_assert_eq!(again.as_str(), path);
    }

    #[test]
    fn a_sealed_value_opens_to_what_was_sealed_and_only_that(
        plaintext in prop::collection::vec(any::<u8>(), 0..256),
        at in any::<Index>(),
        with in any::<char>(),
    ) {
        let ring = keyring();
        let sealed = ring.seal(&plaintext).unwrap();
        prop_assert_eq!(&ring.open(&sealed).unwrap(), &plaintext);
        let chars: Vec<char> = sealed.chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != with);
        let mut tampered = chars;
        tampered[i] = with;
        let tampered: String = tampered.into_iter().collect();
        // The key id before the first `.` only says which key to try first: a changed id may
        // still open, to the same plaintext. A change anywhere else never opens.
        let id_len = sealed.split('.').next().map_or(0, |id| id.chars().count());
        if let Ok(opened) = ring.open(&tampered) {
            prop_assert!(i < id_len, "{:?} opened", tampered);
            prop_assert_eq!(opened, plaintext);
        }
    }

    #[test]
    fn nothing_unsealed_opens(
        sealed in prop_oneof![
            tricky(),
            ("k0|a|", "[A-Za-z0-9_=+/-]{0,24}", "[A-Za-z0-9_=+/-]{0,80}")
                .prop_map(|(id, n, c)| format!("{id}.{n}.{c}")),
        ],
        key in tricky(),
    ) {
        prop_assert!(keyring().open(&sealed).is_err());
        if let Ok(ring) = Keyring::parse(&key) {
            // A ring that parses has a key to seal with.
            let value = ring.seal(b"x").unwrap();
            prop_assert_eq!(ring.open(&value).unwrap(), b"x");
        }
    }

    #[test]
    fn device_ids_are_well_formed_or_refused(
        value in prop_oneof![tricky(), "WP[A-Z2-7]{13}", "WP[A-Za-z0-9]{12,14}"],
    ) {
        if let Some(id) = DeviceId::parse(&value) {
            let s = id.as_str();
            prop_assert!(s.len() == 15 && s.starts_with("WP"), "{:?}", s);
            prop_assert!(s.bytes().skip(2).all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
        }
    }

    #[test]
    fn tagging_any_upstream_url_sets_the_device_once(url in tricky()) {
        let Ok(mut url) = Url::parse(&format!("https://acme.cloud.com/{url}")) else {
            return Ok(());
        };
        let id = DeviceId::generate();
        id.tag(&mut url);
        for key in ["clientName", "deviceId"] {
            let values: Vec<_> = url
                .query_pairs()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
                .collect();
            prop_assert_eq!(values, vec![id.as_str().to_owned()]);
        }
    }

    // -----------------------------------------------------------------------------------------
    // ID tokens

    #[test]
    fn no_arbitrary_string_is_an_id_token(token in prop_oneof![
        tricky(),
        (tricky(), json_value(), tricky()).prop_map(|(h, claims, s)| {
            format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode(claims.to_string()))
        }),
        (tricky(), prop::collection::vec(any::<u8>(), 0..128), tricky())
            .prop_map(|(h, p, s)| format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode(p))),
    ]) {
        prop_assert!(id_token::verify(&token, ISSUER, "portal", "n-1", 1_700_000_000).is_err());
    }

    #[test]
    fn an_id_token_is_accepted_only_before_it_expires(
        exp in number(),
        now in number(),
        extra in json_value(),
    ) {
        let claims = json!({
            "iss": ISSUER, "aud": "portal", "nonce": "n-1", "sub": "u", "exp": exp, "x": extra
        });
        let token = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let accepted = id_token::verify(&token, ISSUER, "portal", "n-1", now).is_ok();
        prop_assert_eq!(accepted, exp.saturating_add(120) >= now);
    }

    // -----------------------------------------------------------------------------------------
    // Settings and origins

    #[test]
    fn any_configuration_is_parsed_or_explained(changes in prop::collection::vec(
        prop_oneof![
            2 => Just(None),
            1 => Just(Some(None)),
            2 => prop_oneof![tricky(), setting_value()].prop_map(|v| Some(Some(v))),
        ],
        SETTINGS.len(),
    )) {
        // A complete configuration, each setting kept, removed or replaced.
        let get = |name: &str| {
            let i = SETTINGS.iter().position(|(s, _)| *s == name)?;
            changes[i].clone().unwrap_or_else(|| Some(SETTINGS[i].1.to_owned()))
        };
        match PortalConfig::parse(get) {
            Ok(c) => {
                prop_assert!(c.scopes.iter().any(|s| s == "openid"));
                prop_assert!(c.idle_timeout_secs > 0 && c.absolute_timeout_secs > 0);
                prop_assert!(c.keyring.seal(b"x").is_ok());
            }
            Err(e) => prop_assert!(!e.0.is_empty()),
        }
    }

    #[test]
    fn the_ssrf_guard_admits_only_its_own_origin(candidate in url_like()) {
        let acme = Origin::parse("https://acme.cloud.com").unwrap();
        if let Ok(url) = Trusted::new(acme).admit(&candidate) {
            prop_assert_eq!(url.scheme(), "https");
            prop_assert_eq!(url.host_str(), Some("acme.cloud.com"));
            prop_assert_eq!(url.port_or_known_default(), Some(443));
            prop_assert!(url.username().is_empty() && url.password().is_none());
        }
        if let Ok(o) = Origin::parse(&candidate) {
            let url = Url::parse(o.as_str()).unwrap();
            prop_assert!(url.scheme() == "https" || url.scheme() == "http");
            prop_assert_eq!(url.path(), "/");
            prop_assert!(!o.as_str().ends_with('/'));
        }
    }

    #[test]
    fn an_icon_host_pattern_admits_only_what_it_names(pattern in url_like(), candidate in url_like()) {
        let _ = OriginPattern::parse(&pattern);
        let store = Trusted::new(Origin::parse("https://acme.cloud.com").unwrap());
        let cdn = OriginPattern::parse("https://*.cloud.com").unwrap();
        match IconSource::of(&candidate, &store, std::slice::from_ref(&cdn)) {
            Ok(IconSource::Store(url)) => prop_assert_eq!(url.host_str(), Some("acme.cloud.com")),
            Ok(IconSource::Allowed(url)) => {
                prop_assert_eq!(url.scheme(), "https");
                prop_assert_eq!(url.port(), None);
                let host = url.host_str().unwrap();
                prop_assert!(host.ends_with(".cloud.com") && host.len() > ".cloud.com".len(), "{}", host);
                prop_assert!(url.username().is_empty() && url.password().is_none());
            }
            Err(e) => prop_assert!(e.contains("ICON_HOSTS")),
        }
    }
}

/// The base of `any_configuration_is_parsed_or_explained` is a configuration that parses, so
/// the property reaches the checks past the first problem.
#[test]
fn the_settings_table_is_a_complete_configuration() {
    let config = PortalConfig::parse(|name| {
        SETTINGS
            .iter()
            .find(|(s, _)| *s == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap();
    assert!(config.rotation.is_some() && config.client_secret_expires.is_some());
}

const ISSUER: &str = "https://accounts.example/core";

/// A keyring of two keys (`a` seals, both open).
fn keyring() -> Keyring {
    Keyring::parse(
        "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,b:HxwdHh8ZGhscFRYXGBESExQNDg8QCQoLDAUGBwgBAgM=",
    )
    .unwrap()
}

/// Every setting `Config::parse` reads, with a value it accepts.
const SETTINGS: &[(&str, &str)] = &[
    ("WORKSPACE_URL", "https://acme.cloud.com"),
    ("APPLICATION_ID", "6f1c2a5e-8d3b-4c7a-9e21-0b5d4f3a7c10"),
    ("CLIENT_ID", "portal"),
    ("CLIENT_SECRET", "s3cret"),
    (
        "SESSION_KEY",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    ),
    ("PORTAL_URL", "https://portal.example"),
    ("CLIENT_NAME", "customer-private-305"),
    ("ICON_HOSTS", "https://*.cloud.com, http://127.0.0.1:8790"),
    ("SCOPES", "openid wsp offline_access"),
    ("ADMIN_USERS", "user-alice, email:bob@acme.example"),
    ("SESSION_IDLE_MINUTES", "60"),
    ("SESSION_MAX_MINUTES", "720"),
    ("CUSTOMER_ID", "acme"),
    ("CWS_API_URL", "https://cws.citrixworkspacesapi.net"),
    ("CC_TRUST_URL", "https://api.cloud.com"),
    ("CC_CLIENT_ID", "cc-id"),
    ("CC_CLIENT_SECRET", "cc-secret"),
    (config::ROTATE_BEFORE_DAYS, "14"),
    (config::EXPIRE_OLD_AFTER_SUCCESSES, "3"),
    (config::EXPIRE_OLD_AFTER_HOURS, "24"),
    ("CLIENT_SECRET_EXPIRES", "2026-12-31"),
];

/// Values that get past the first checks of some setting: URLs, keys, numbers, dates.
fn setting_value() -> impl Strategy<Value = String> {
    prop_oneof![
        url_like(),
        Just("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_owned()),
        "[a-z]{1,3}:[A-Za-z0-9+/]{43}=",
        number().prop_map(|n| n.to_string()),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "(openid|wsp|[a-z]{1,4})( (openid|wsp|[a-z]{1,4})){0,3}",
    ]
}

/// Strings that are, or nearly are, absolute URLs on hosts around `acme.cloud.com`.
fn url_like() -> impl Strategy<Value = String> {
    let scheme = select(
        &[
            "https://", "http://", "HTTPS://", "https:", "https:/", "ftp://", "", "//",
        ][..],
    );
    let userinfo = select(&["", "", "u:p@", "@", "acme.cloud.com@", "u@"][..]);
    let host = select(
        &[
            "acme.cloud.com",
            "ACME.cloud.com",
            "acme.cloud.com.",
            "cdn.cloud.com",
            "a.b.cloud.com",
            "cloud.com",
            "evilcloud.com",
            "acme.cloud.com.evil.com",
            "*.cloud.com",
            "*.com",
            "127.0.0.1",
            "localhost",
            "[::1]",
            "169.254.169.254",
            "xn--acme-cloud.com",
            "acme%2ecloud.com",
            "acme\u{3002}cloud.com",
            "",
        ][..],
    );
    let port = select(&["", "", ":443", ":8443", ":80", ":0", ":99999", ":"][..]);
    (scheme, userinfo, host, port, tricky())
        .prop_map(|(s, u, h, p, rest)| format!("{s}{u}{h}{p}{rest}"))
}
