//! Citrix Cloud is several hosts: the customer domain (discovery, store, admin portal), the
//! accounts host (OIDC), a CDN for icons, the trust host (Citrix Cloud API tokens) and the CWS
//! API host (`rpclients`). In the realistic topology each role listens on its own loopback port
//! and serves only its own routes; the single topology keeps everything on one host.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::{AppState, json_error};

/// How many hosts the emulator plays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Each role on its own port: customer, accounts, cdn, trust, cws. Links name the right
    /// host; a route on the wrong host is a 404.
    #[default]
    Realistic,
    /// Everything on one host; links are built from the request's `Host`.
    Single,
}

/// The port of each role; 0 picks a free one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ports {
    /// Customer domain: discovery, store, admin portal.
    pub customer: u16,
    /// OIDC (`/core/...`).
    pub accounts: u16,
    /// Icons.
    pub cdn: u16,
    /// Citrix Cloud API tokens (`/cctrustoauth2/...`).
    pub trust: u16,
    /// `rpclients`.
    pub cws: u16,
}

impl Ports {
    /// `customer` and the four ports after it (accounts, cdn, trust, cws); 0 stays 0 everywhere
    /// (all free).
    pub fn consecutive(customer: u16) -> Ports {
        let next = |n: u16| {
            if customer == 0 {
                0
            } else {
                customer.saturating_add(n)
            }
        };
        Ports {
            customer,
            accounts: next(1),
            cdn: next(2),
            trust: next(3),
            cws: next(4),
        }
    }
}

/// Each role's base URL, without a trailing slash, e.g. `http://127.0.0.1:41234`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hosts {
    /// The canonical customer domain.
    pub customer: String,
    /// The same listener by another name (`http://localhost:<customer port>`), as a custom
    /// domain: it redirects to the canonical one (307).
    pub custom_domain: String,
    /// OIDC.
    pub accounts: String,
    /// Icons.
    pub cdn: String,
    /// Citrix Cloud API tokens.
    pub trust: String,
    /// `rpclients`.
    pub cws: String,
}

impl Hosts {
    /// The ports of these URLs: start an emulator with them to come back on the same addresses.
    pub fn ports(&self) -> Ports {
        let port = |u: &str| {
            url::Url::parse(u)
                .ok()
                .and_then(|u| u.port_or_known_default())
                .unwrap_or(0)
        };
        Ports {
            customer: port(&self.customer),
            accounts: port(&self.accounts),
            cdn: port(&self.cdn),
            trust: port(&self.trust),
            cws: port(&self.cws),
        }
    }

    /// The hosts of bound listeners.
    pub(crate) fn of_listeners(topology: Topology, bound: &[(Role, SocketAddr)]) -> Hosts {
        let url = |role: Role| {
            bound
                .iter()
                .find(|(r, _)| *r == role)
                .map(|(_, a)| format!("http://{}", reachable(*a)))
                .unwrap_or_default()
        };
        match topology {
            Topology::Single => {
                let one = url(Role::Single);
                Hosts {
                    customer: one.clone(),
                    custom_domain: one.clone(),
                    accounts: one.clone(),
                    cdn: one.clone(),
                    trust: one.clone(),
                    cws: one,
                }
            }
            Topology::Realistic => {
                let customer_port = bound
                    .iter()
                    .find(|(r, _)| *r == Role::Customer)
                    .map_or(0, |(_, a)| a.port());
                Hosts {
                    customer: url(Role::Customer),
                    custom_domain: format!("http://localhost:{customer_port}"),
                    accounts: url(Role::Accounts),
                    cdn: url(Role::Cdn),
                    trust: url(Role::Trust),
                    cws: url(Role::Cws),
                }
            }
        }
    }

    /// The base URL of `role`.
    pub(crate) fn of(&self, role: Role) -> &str {
        match role {
            Role::Customer | Role::Single => &self.customer,
            Role::Accounts => &self.accounts,
            Role::Cdn => &self.cdn,
            Role::Trust => &self.trust,
            Role::Cws => &self.cws,
        }
    }
}

/// A listener bound to every address is reached on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// What one listener plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Customer,
    Accounts,
    Cdn,
    Trust,
    Cws,
    /// Every role at once.
    Single,
}

impl Role {
    /// The roles of a topology, with their ports, in start order.
    pub(crate) fn plan(topology: Topology, ports: Ports) -> Vec<(Role, u16)> {
        match topology {
            Topology::Single => vec![(Role::Single, ports.customer)],
            Topology::Realistic => vec![
                (Role::Customer, ports.customer),
                (Role::Accounts, ports.accounts),
                (Role::Cdn, ports.cdn),
                (Role::Trust, ports.trust),
                (Role::Cws, ports.cws),
            ],
        }
    }

    /// The name in the request log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Accounts => "accounts",
            Role::Cdn => "cdn",
            Role::Trust => "trust",
            Role::Cws => "cws",
            Role::Single => "single",
        }
    }
}

/// `host[:port]` of a base URL.
fn authority(base: &str) -> &str {
    base.split_once("://").map_or(base, |(_, rest)| rest)
}

/// The customer listener of the realistic topology: the canonical host and the seed's customer
/// hosts are served; the custom domain (`localhost:<port>`) redirects to the canonical host with
/// a 307, as a custom domain would; any other name is an unknown customer. The control API
/// answers under every name.
pub(crate) async fn customer_domain(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with(crate::control::PREFIX) {
        return next.run(request).await;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let Some(host) = host else {
        return next.run(request).await;
    };
    let canonical = authority(&state.hosts.customer);
    if host.eq_ignore_ascii_case(canonical) || state.config.seed.customer_hosts.contains(&host) {
        return next.run(request).await;
    }
    if host.eq_ignore_ascii_case(authority(&state.hosts.custom_domain)) {
        let target = format!(
            "{}{}",
            state.hosts.customer,
            request.uri().path_and_query().map_or("/", |p| p.as_str())
        );
        let mut r = StatusCode::TEMPORARY_REDIRECT.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        return r;
    }
    json_error(
        StatusCode::NOT_FOUND,
        "unknown_customer",
        "no customer has this domain",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_ports_follow_the_customer_port_unless_it_is_free() {
        let p = Ports::consecutive(8788);
        assert_eq!(
            (p.customer, p.accounts, p.cdn, p.trust, p.cws),
            (8788, 8789, 8790, 8791, 8792)
        );
        assert_eq!(Ports::consecutive(0), Ports::default());
    }

    #[test]
    fn hosts_give_back_their_ports() {
        let bound: Vec<(Role, SocketAddr)> = Role::plan(
            Topology::Realistic,
            Ports {
                customer: 1001,
                accounts: 1002,
                cdn: 1003,
                trust: 1004,
                cws: 1005,
            },
        )
        .into_iter()
        .map(|(r, p)| (r, SocketAddr::from(([0, 0, 0, 0], p))))
        .collect();
        let h = Hosts::of_listeners(Topology::Realistic, &bound);
        assert_eq!(h.customer, "http://127.0.0.1:1001");
        assert_eq!(h.custom_domain, "http://localhost:1001");
        assert_eq!(h.cws, "http://127.0.0.1:1005");
        assert_eq!(h.ports().trust, 1004);
        let single = Hosts::of_listeners(
            Topology::Single,
            &[(Role::Single, SocketAddr::from(([127, 0, 0, 1], 7)))],
        );
        assert_eq!(single.custom_domain, single.cdn);
        assert_eq!(
            single.ports(),
            Ports {
                customer: 7,
                accounts: 7,
                cdn: 7,
                trust: 7,
                cws: 7
            }
        );
    }
}
